//! Stages 2 to 4: plan the window and the filters against a table, run one pass
//! over its rows, and shape the answer as Backdrop did.

use std::cmp::Ordering;

use app::kpi::{is_shared, next_period_start, period_start, periods_after, shares, too_many_rows};
use app::model::PeriodKind;
use chrono::{DateTime, TimeZone, Utc};
use rustc_hash::{FxHashMap, FxHashSet};
use serde_json::{Map, Number, Value};

use super::params::{Collect, Method, Query};
use super::table::{Cell, Column, Key, Table};
use crate::domain::ingest::format_datetime;

/// A failure a query can meet at run time (the other: [`too_many_rows`]).
pub const INVALID_COLLECT: &str = "invalid collect function";

/// The most figures a query may gather its records into while it runs: a
/// group (per period, with periods) holds one for each collected field. A
/// `limit` keeps only some groups, but every group is gathered first, so
/// without this bound grouping by a field of a million values, twenty fields
/// collected, took gigabytes whatever the limit.
const MAX_GATHERED: usize = 500_000;

fn too_many_groups(groups: usize) -> String {
    let groups = app::kpi::format_count(groups as f64);
    format!(
        "This query would gather its records into more than {groups} groups (one for each \
         value of its group_by fields in each period), more than can be worked out at once - \
         please narrow it with 'start_at' and 'end_at' or 'filter_by', or ask for fewer \
         'group_by' or 'collect' fields"
    )
}

/// Every value a set holds is written in the answer, as a figure is: a set
/// of a field of a million different values (a reference) took gigabytes of
/// one answer, under one group, whatever the bound on groups.
fn too_many_values(most: usize) -> String {
    let most = app::kpi::format_count(most as f64);
    format!(
        "This query would write more than {most} values of its sets (each different value of \
         a 'collect' field without a method, or with ':set', in each group and period, a field \
         without a method twice), more than one answer may hold - please narrow it with \
         'start_at' and 'end_at' or 'filter_by', or collect those fields by ':count'"
    )
}

/// How many values the sets of `buckets` put in the answer: each bucket's (a
/// field without a method twice), again in its group's total where there are
/// periods and groups, and again when flattened.
fn set_values<'a>(buckets: impl Iterator<Item = &'a Bucket> + Clone, query: &Query) -> usize {
    let per_bucket: usize = (query.collect.iter().enumerate())
        .filter(|(_, c)| c.method == Method::Set)
        .map(|(i, c)| {
            let members: usize = buckets.clone().map(|b| b.accs[i].set.len()).sum();
            members.saturating_mul(1 + usize::from(c.bare))
        })
        .sum();
    let copies = if query.period.is_some() && !query.group_by.is_empty() {
        2 + usize::from(query.flatten)
    } else {
        1
    };
    per_bucket.saturating_mul(copies)
}

const HOUR_US: i64 = 3_600_000_000;
const DAY_US: i64 = 24 * HOUR_US;
const WEEK_US: i64 = 7 * DAY_US;
/// 1970-01-05, the first Monday after the epoch.
const MONDAY_US: i64 = 4 * DAY_US;

/// The index of the period of `kind` containing row `row`.
fn period_of(table: &Table, kind: PeriodKind, row: usize) -> i64 {
    let ts = table.ts[row];
    match kind {
        PeriodKind::Hour => ts.div_euclid(HOUR_US),
        PeriodKind::Day => ts.div_euclid(DAY_US),
        PeriodKind::Week => (ts - MONDAY_US).div_euclid(WEEK_US),
        PeriodKind::Month => i64::from(table.months[row]),
        PeriodKind::Quarter => i64::from(table.months[row]).div_euclid(3),
        PeriodKind::Year => i64::from(table.months[row]).div_euclid(12),
    }
}

/// The index of the period of `kind` containing `t`.
fn period_index(kind: PeriodKind, t: DateTime<Utc>) -> i64 {
    let ts = t.timestamp_micros();
    let months = || i64::from(super::table::month_index(t));
    match kind {
        PeriodKind::Hour => ts.div_euclid(HOUR_US),
        PeriodKind::Day => ts.div_euclid(DAY_US),
        PeriodKind::Week => (ts - MONDAY_US).div_euclid(WEEK_US),
        PeriodKind::Month => months(),
        PeriodKind::Quarter => months().div_euclid(3),
        PeriodKind::Year => months().div_euclid(12),
    }
}

/// The start of period `index` of `kind`.
fn period_start_of(kind: PeriodKind, index: i64) -> DateTime<Utc> {
    let from_us = |us: i64| DateTime::from_timestamp_micros(us).unwrap_or_default();
    let from_month = |m: i64| {
        Utc.with_ymd_and_hms(
            m.div_euclid(12) as i32,
            m.rem_euclid(12) as u32 + 1,
            1,
            0,
            0,
            0,
        )
        .single()
        .unwrap_or_default()
    };
    match kind {
        PeriodKind::Hour => from_us(index * HOUR_US),
        PeriodKind::Day => from_us(index * DAY_US),
        PeriodKind::Week => from_us(index * WEEK_US + MONDAY_US),
        PeriodKind::Month => from_month(index),
        PeriodKind::Quarter => from_month(index * 3),
        PeriodKind::Year => from_month(index * 12),
    }
}

/// A filter resolved against the table.
enum Filter<'a> {
    /// Never matches (the value is nowhere in the data).
    Nothing,
    Equals(&'a Column, Cell),
    /// String ids that start with the prefix.
    Prefix(&'a Column, Vec<bool>),
}

impl Filter<'_> {
    fn matches(&self, row: usize) -> bool {
        match self {
            Filter::Nothing => false,
            Filter::Equals(column, cell) => column[row] == *cell,
            Filter::Prefix(column, allowed) => match column[row] {
                Cell::Str(s) => allowed[s as usize],
                _ => false,
            },
        }
    }
}

fn resolve_filters<'a>(table: &'a Table, query: &Query) -> Vec<Filter<'a>> {
    let mut filters = Vec::new();
    for (field, value) in &query.filter_by {
        let Some(column) = table.column(field) else {
            filters.push(Filter::Nothing);
            continue;
        };
        let cell = match value.as_str() {
            "true" => Some(Cell::Bool(true)),
            "false" => Some(Cell::Bool(false)),
            s => table.string_id(s).map(Cell::Str),
        };
        filters.push(match cell {
            Some(cell) => Filter::Equals(column, cell),
            None => Filter::Nothing,
        });
    }
    for (field, prefix) in &query.filter_by_prefix {
        let Some(column) = table.column(field) else {
            filters.push(Filter::Nothing);
            continue;
        };
        let allowed = table
            .strings
            .iter()
            .map(|s| s.starts_with(prefix.as_str()))
            .collect();
        filters.push(Filter::Prefix(column, allowed));
    }
    filters
}

/// The window of a period query, as period indices `[first, first + count)`, and
/// whether it came from a duration (and so may be shifted), and which way.
#[derive(Clone, Copy, Debug)]
struct Window {
    first: i64,
    count: i64,
    shift: Shift,
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Shift {
    None,
    /// Counting forward from `start_at`: start at the first period with data.
    Forward,
    /// Counting back from `end_at` or now: end at the last period with data.
    Backward,
}

/// The first period boundary at or after `t`, as a period index.
fn boundary_after(kind: PeriodKind, t: DateTime<Utc>) -> i64 {
    let start = period_start(kind, t);
    if start == t {
        period_index(kind, t)
    } else {
        period_index(kind, next_period_start(kind, start))
    }
}

/// The periods of an absolute window, as `(first, count)`: the parser bounds
/// `count` with this before anything is read.
pub fn absolute_window(
    kind: PeriodKind,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    inclusive: bool,
) -> (i64, i64) {
    let first = period_index(kind, start);
    let last = if inclusive {
        period_index(kind, end) + 1
    } else {
        boundary_after(kind, end)
    };
    (first, (last - first).max(0))
}

fn period_window(query: &Query, kind: PeriodKind, now: DateTime<Utc>) -> Window {
    match (query.start_at, query.end_at, query.duration) {
        (Some(start), Some(end), _) => {
            let (first, count) = absolute_window(kind, start, end, query.inclusive);
            Window {
                first,
                count,
                shift: Shift::None,
            }
        }
        (Some(start), None, Some(n)) => Window {
            first: period_index(kind, start),
            count: i64::from(n),
            shift: Shift::Forward,
        },
        (None, Some(end), Some(n)) => Window {
            first: boundary_after(kind, end) - i64::from(n),
            count: i64::from(n),
            shift: Shift::Backward,
        },
        // Neither end: the last `n` complete periods, ending at the start of
        // the current one (which is unfinished, and so left out), as Backdrop
        // counted. A page that wants the current period asks with `end_at`.
        (_, _, n) => {
            let n = i64::from(n.unwrap_or(1));
            Window {
                first: period_index(kind, now) - n,
                count: n,
                shift: Shift::Backward,
            }
        }
    }
}

/// Running totals for one collected field in one bucket.
#[derive(Clone, Debug, Default)]
struct Acc {
    count: u64,
    /// Wide enough that no number of whole numbers overflows it.
    int_sum: i128,
    float_sum: f64,
    all_int: bool,
    min: Option<Cell>,
    max: Option<Cell>,
    set: FxHashSet<Key>,
    invalid: bool,
    /// Some of the sum is a share of a record ([`Acc::add_share`]): a sum of
    /// whole numbers is then an estimate, rounded to a whole number.
    shared: bool,
}

impl Acc {
    fn new() -> Acc {
        Acc {
            all_int: true,
            ..Acc::default()
        }
    }

    fn add(&mut self, method: Method, cell: Cell) {
        if cell == Cell::Missing {
            return;
        }
        self.count += 1;
        match method {
            Method::Count => {}
            Method::Set => {
                if let Some(key) = cell.key() {
                    self.set.insert(key);
                }
            }
            Method::Sum | Method::Mean => match cell {
                Cell::Int(i) => {
                    self.int_sum += i128::from(i);
                    self.float_sum += i as f64;
                }
                Cell::Num(f) => {
                    self.all_int = false;
                    self.float_sum += f;
                }
                _ => self.invalid = true,
            },
            Method::Min | Method::Max => self.fold_extremes(cell),
        }
    }

    /// Adds `share` of a sum's `cell` (a record shared between periods by its
    /// days: [`app::kpi::shares`]).
    fn add_share(&mut self, method: Method, cell: Cell, share: f64) {
        if share == 1.0 || method == Method::Count {
            return self.add(method, cell);
        }
        if cell == Cell::Missing {
            return;
        }
        self.count += 1;
        self.shared = true;
        match (cell, cell.number()) {
            (Cell::Int(_), Some(x)) if method == Method::Sum => self.float_sum += x * share,
            (_, Some(x)) if method == Method::Sum => {
                self.all_int = false;
                self.float_sum += x * share;
            }
            _ => self.invalid = true,
        }
    }

    /// Keeps `cell` as the minimum or maximum if it is one.
    fn fold_extremes(&mut self, cell: Cell) {
        let Some(x) = cell.number() else {
            self.invalid = true;
            return;
        };
        if self.min.and_then(Cell::number).is_none_or(|m| x < m) {
            self.min = Some(cell);
        }
        if self.max.and_then(Cell::number).is_none_or(|m| x > m) {
            self.max = Some(cell);
        }
    }

    fn value(&self, table: &Table, method: Method) -> Value {
        match method {
            Method::Count => Value::Number(self.count.into()),
            Method::Set => {
                let mut keys: Vec<Key> = self.set.iter().copied().collect();
                keys.sort_by(|a, b| compare_keys(table, *a, *b));
                Value::Array(keys.into_iter().map(|k| table.key_value(k)).collect())
            }
            _ if self.count == 0 => Value::Null,
            // A sum of whole numbers is whole while it fits (JSON's integers
            // here are 64-bit), and a float beyond: never wrapped round.
            // Shares of whole numbers are an estimate, kept unrounded (to a
            // millionth, past the sum's floating-point noise): a rate worked
            // out from rounded shares is not the one the service page shows
            // (18 of 36 is 50.0%, 18.43 of 36.14 is 51.0%). Pages write
            // counts whole.
            Method::Sum if self.all_int && self.shared => {
                let x = (self.float_sum * 1e6).round() / 1e6;
                if x.fract() == 0.0 {
                    whole(x)
                } else {
                    float(x)
                }
            }
            Method::Sum if self.all_int => match i64::try_from(self.int_sum) {
                Ok(sum) => Value::Number(sum.into()),
                Err(_) => float(self.int_sum as f64),
            },
            Method::Sum => float(self.float_sum),
            Method::Mean => float(self.float_sum / self.count as f64),
            Method::Min => self.min.map(|c| table.value(c)).unwrap_or(Value::Null),
            Method::Max => self.max.map(|c| table.value(c)).unwrap_or(Value::Null),
        }
    }
}

/// A whole number as an integer where one holds it exactly, else a float.
fn whole(x: f64) -> Value {
    if x.abs() < 9e15 {
        Value::Number((x as i64).into())
    } else {
        float(x)
    }
}

fn float(x: f64) -> Value {
    Number::from_f64(x)
        .map(Value::Number)
        .unwrap_or(Value::Null)
}

/// Group values in order: null, booleans, numbers, strings (by their text).
fn compare_keys(table: &Table, a: Key, b: Key) -> Ordering {
    let rank = |k: Key| match k {
        Key::Null => 0,
        Key::Bool(_) => 1,
        Key::Int(_) | Key::Num(_) => 2,
        Key::Str(_) => 3,
    };
    let number = |k: Key| match k {
        Key::Int(i) => i as f64,
        Key::Num(bits) => f64::from_bits(bits),
        _ => 0.0,
    };
    match (a, b) {
        (Key::Str(x), Key::Str(y)) => table.strings[x as usize].cmp(&table.strings[y as usize]),
        (Key::Bool(x), Key::Bool(y)) => x.cmp(&y),
        _ if rank(a) == 2 && rank(b) == 2 => number(a).total_cmp(&number(b)),
        _ => rank(a).cmp(&rank(b)),
    }
}

/// Compares two JSON values of answer rows, for `sort_by`.
fn compare_values(a: Option<&Value>, b: Option<&Value>) -> Ordering {
    fn rank(v: Option<&Value>) -> u8 {
        match v {
            None | Some(Value::Null) => 0,
            Some(Value::Bool(_)) => 1,
            Some(Value::Number(_)) => 2,
            Some(Value::String(_)) => 3,
            Some(_) => 4,
        }
    }
    match (a, b) {
        (Some(Value::Number(x)), Some(Value::Number(y))) => x
            .as_f64()
            .unwrap_or(0.0)
            .total_cmp(&y.as_f64().unwrap_or(0.0)),
        (Some(Value::String(x)), Some(Value::String(y))) => x.cmp(y),
        (Some(Value::Bool(x)), Some(Value::Bool(y))) => x.cmp(y),
        _ => rank(a).cmp(&rank(b)),
    }
}

/// Totals of one bucket (a group, a period, or a group in a period).
#[derive(Clone, Debug)]
struct Bucket {
    count: u64,
    accs: Vec<Acc>,
}

impl Bucket {
    fn new(collect: &[Collect]) -> Bucket {
        Bucket {
            count: 0,
            accs: collect.iter().map(|_| Acc::new()).collect(),
        }
    }

    /// Adds `share` of row `row` (1 for all of it).
    fn add(&mut self, collect: &[Collect], columns: &[Option<&Column>], row: usize, share: f64) {
        self.count += 1;
        for (i, c) in collect.iter().enumerate() {
            if let Some(column) = columns[i] {
                self.accs[i].add_share(c.method, column[row], share);
            }
        }
    }

    fn merge(&mut self, other: &Bucket, collect: &[Collect]) {
        self.count += other.count;
        for (i, c) in collect.iter().enumerate() {
            let (a, b) = (&mut self.accs[i], &other.accs[i]);
            a.count += b.count;
            a.int_sum += b.int_sum;
            a.float_sum += b.float_sum;
            a.all_int &= b.all_int;
            a.shared |= b.shared;
            a.invalid |= b.invalid;
            a.set.extend(b.set.iter().copied());
            if matches!(c.method, Method::Min | Method::Max) {
                for cell in [b.min, b.max].into_iter().flatten() {
                    a.fold_extremes(cell);
                }
            }
        }
    }

    fn invalid(&self) -> bool {
        self.accs.iter().any(|a| a.invalid)
    }

    /// Writes `_count` and the collected values into `row`; `empty` buckets (a
    /// zero-filled period) give nulls.
    fn write(&self, table: &Table, collect: &[Collect], row: &mut Map<String, Value>) {
        row.insert("_count".into(), Value::Number(self.count.into()));
        for (i, c) in collect.iter().enumerate() {
            let value = if self.count == 0 {
                Value::Null
            } else {
                self.accs[i].value(table, c.method)
            };
            if c.bare {
                row.insert(c.field.clone(), value.clone());
            }
            row.insert(c.key(), value);
        }
    }
}

fn period_keys(kind: PeriodKind, index: i64, row: &mut Map<String, Value>) {
    let start = period_start_of(kind, index);
    row.insert("_start_at".into(), Value::String(format_datetime(start)));
    row.insert(
        "_end_at".into(),
        Value::String(format_datetime(next_period_start(kind, start))),
    );
}

/// A query's answer: rows made whole, or raw records, which are made one at a
/// time as they are written (a raw answer may hold 100,000 records; of ten
/// fields each, made whole at once, they took 650 MB beside the 55 MB sent).
#[derive(Debug)]
pub enum Rows {
    Made(Vec<Value>),
    /// The raw records' rows in the table, in the answer's order.
    Records(Vec<usize>),
}

impl Rows {
    /// Calls `f` with each row of the answer, in order.
    pub fn each(&self, table: &Table, mut f: impl FnMut(&Value)) {
        match self {
            Rows::Made(rows) => rows.iter().for_each(f),
            Rows::Records(rows) => {
                for &row in rows {
                    f(&Value::Object(record(table, row)));
                }
            }
        }
    }

    /// The rows as a JSON array, as `serde_json` writes a `Vec<Value>`.
    pub fn write_json(&self, table: &Table, out: &mut Vec<u8>) -> serde_json::Result<()> {
        out.push(b'[');
        let mut first = true;
        let mut result = Ok(());
        self.each(table, |row| {
            if result.is_ok() {
                if !std::mem::take(&mut first) {
                    out.push(b',');
                }
                result = serde_json::to_writer(&mut *out, row);
            }
        });
        out.push(b']');
        result
    }
}

/// Runs a validated query over a table, making every row of its answer.
pub fn execute(table: &Table, query: &Query, now: DateTime<Utc>) -> Result<Vec<Value>, String> {
    Ok(match run(table, query, now)? {
        Rows::Made(rows) => rows,
        Rows::Records(rows) => rows
            .into_iter()
            .map(|row| Value::Object(record(table, row)))
            .collect(),
    })
}

/// Runs a validated query over a table. `now` anchors relative windows.
pub fn run(table: &Table, query: &Query, now: DateTime<Utc>) -> Result<Rows, String> {
    let filters = resolve_filters(table, query);
    let collect_columns: Vec<Option<&Column>> = query
        .collect
        .iter()
        .map(|c| table.column(&c.field))
        .collect();
    let group_columns: Vec<Option<&Column>> =
        query.group_by.iter().map(|g| table.column(g)).collect();
    // A group_by on a field no record has leaves every record out.
    if group_columns.iter().any(Option::is_none) {
        return Ok(Rows::Made(Vec::new()));
    }
    let group_columns: Vec<&Column> = group_columns.into_iter().flatten().collect();

    // The time window on `_timestamp`, as microseconds.
    let (mut lo, mut hi) = (i64::MIN, i64::MAX);
    let window = query.period.map(|kind| period_window(query, kind, now));
    match (query.period, window) {
        (Some(kind), Some(w)) => {
            // A shifted window moves by less than its length: rows further
            // away than that can never be in the answer.
            let (first, last) = match w.shift {
                Shift::None => (w.first, w.first + w.count),
                Shift::Forward => (w.first, w.first + 2 * w.count - 1),
                Shift::Backward => (w.first + 1 - w.count, w.first + w.count),
            };
            lo = period_start_of(kind, first).timestamp_micros();
            hi = period_start_of(kind, last).timestamp_micros() - 1;
            // A shared record may start in the period before the first.
            if let Some(frequency) = query.apportion.filter(|f| is_shared(*f, kind)) {
                lo = periods_after(
                    frequency,
                    period_start(frequency, period_start_of(kind, first)),
                    -1,
                )
                .timestamp_micros();
            }
        }
        _ => {
            if let Some(start) = query.start_at {
                lo = start.timestamp_micros();
            }
            if let Some(end) = query.end_at {
                hi = end.timestamp_micros() - i64::from(!query.inclusive);
            }
        }
    }
    let selected = |row: usize| {
        let ts = table.ts[row];
        ts >= lo && ts <= hi && filters.iter().all(|f| f.matches(row))
    };

    if query.is_raw() {
        return raw(table, query, (0..table.len()).filter(|&r| selected(r))).map(Rows::Records);
    }

    // One pass: a bucket per (period, group). Groups get small ids, found by
    // string id directly in the common case of one text field, else by hashing
    // the key (looked up by slice, so no allocation per row).
    let kind = query.period;
    // Records sent once per `frequency` period that straddles the answer's
    // periods are shared between them by their days.
    let shared = match (kind, query.apportion) {
        (Some(k), Some(frequency)) if is_shared(frequency, k) => Some(frequency),
        _ => None,
    };
    let mut group_ids: FxHashMap<Vec<Key>, u32> = FxHashMap::default();
    let mut group_keys: Vec<Vec<Key>> = Vec::new();
    let mut by_string: Vec<u32> = vec![u32::MAX; table.strings.len()];
    let single = group_columns.len() == 1;
    let mut slots: FxHashMap<(i64, u32), Bucket> = FxHashMap::default();
    let most_slots = MAX_GATHERED / query.collect.len().max(1);
    let mut key = Vec::with_capacity(group_columns.len());
    'rows: for row in 0..table.len() {
        if !selected(row) {
            continue;
        }
        if slots.len() > most_slots {
            return Err(too_many_groups(most_slots));
        }
        let gid = match (single, group_columns.first().map(|c| c[row])) {
            (true, Some(Cell::Str(s))) if by_string[s as usize] != u32::MAX => {
                by_string[s as usize]
            }
            _ => {
                key.clear();
                for column in &group_columns {
                    match column[row].key() {
                        Some(k) => key.push(k),
                        None => continue 'rows,
                    }
                }
                let gid = match group_ids.get(key.as_slice()) {
                    Some(&gid) => gid,
                    None => {
                        let gid = group_keys.len() as u32;
                        group_keys.push(key.clone());
                        group_ids.insert(key.clone(), gid);
                        gid
                    }
                };
                if let (true, Some(Cell::Str(s))) = (single, group_columns.first().map(|c| c[row]))
                {
                    by_string[s as usize] = gid;
                }
                gid
            }
        };
        match (kind, shared) {
            (Some(k), Some(frequency)) => {
                let at = DateTime::from_timestamp_micros(table.ts[row]).unwrap_or_default();
                for (start, share) in shares(frequency, at, k) {
                    slots
                        .entry((period_index(k, start), gid))
                        .or_insert_with(|| Bucket::new(&query.collect))
                        .add(&query.collect, &collect_columns, row, share);
                }
            }
            _ => {
                let period = kind.map(|k| period_of(table, k, row)).unwrap_or(0);
                slots
                    .entry((period, gid))
                    .or_insert_with(|| Bucket::new(&query.collect))
                    .add(&query.collect, &collect_columns, row, 1.0);
            }
        }
    }
    if slots.len() > most_slots {
        return Err(too_many_groups(most_slots));
    }
    let mut buckets: FxHashMap<(i64, Vec<Key>), Bucket> = slots
        .into_iter()
        .map(|((period, gid), bucket)| ((period, group_keys[gid as usize].clone()), bucket))
        .collect();
    if buckets.values().any(Bucket::invalid) {
        return Err(INVALID_COLLECT.into());
    }

    // The periods of the answer, after any shift.
    let periods: Vec<i64> = match (kind, window) {
        (Some(_), Some(w)) => {
            let in_window = |p: i64| p >= w.first && p < w.first + w.count;
            let with_data = buckets.keys().map(|(p, _)| *p).filter(|p| in_window(*p));
            let first = match w.shift {
                Shift::None => w.first,
                Shift::Forward => with_data.min().unwrap_or(w.first),
                Shift::Backward => with_data.max().map(|p| p + 1 - w.count).unwrap_or(w.first),
            };
            // A shifted window reaches data outside the requested one: count it.
            if first != w.first {
                buckets.retain(|(p, _), _| *p >= first && *p < first + w.count);
            } else {
                buckets.retain(|(p, _), _| in_window(*p));
            }
            (first..first + w.count).collect()
        }
        _ => vec![0],
    };
    // (counted in the periods of the answer alone: a window shifted to the
    // data, or weeks shared with the month before, gather more)
    if set_values(buckets.values(), query) > MAX_GATHERED {
        return Err(too_many_values(MAX_GATHERED));
    }

    // Groups, in ascending order of their values.
    let mut groups: Vec<Vec<Key>> = buckets.keys().map(|(_, g)| g.clone()).collect();
    groups.sort_by(|a, b| {
        a.iter()
            .zip(b)
            .map(|(x, y)| compare_keys(table, *x, *y))
            .find(|o| o.is_ne())
            .unwrap_or(Ordering::Equal)
    });
    groups.dedup();

    let group_fields = |group: &[Key], row: &mut Map<String, Value>| {
        for (field, key) in query.group_by.iter().zip(group) {
            row.insert(field.clone(), table.key_value(*key));
        }
    };
    let empty = Bucket::new(&query.collect);

    // Every answer row is a group (in each period, when there are periods):
    // refuse an answer over the bound before it is made.
    // (Without groups, every period is a row, even with no records.)
    let kept_groups = match query.limit {
        _ if query.group_by.is_empty() => 1,
        Some(limit) => limit.min(groups.len()),
        None => groups.len(),
    };
    let answer = kept_groups.saturating_mul(periods.len());
    if answer > query.row_bound() {
        return Err(too_many_rows(answer, query.row_bound()));
    }

    let Some(kind) = kind else {
        // group_by only.
        let mut rows: Vec<Map<String, Value>> = groups
            .iter()
            .map(|g| {
                let mut row = Map::new();
                group_fields(g, &mut row);
                buckets[&(0, g.clone())].write(table, &query.collect, &mut row);
                row
            })
            .collect();
        sort_and_limit(&mut rows, query);
        return Ok(Rows::Made(rows.into_iter().map(Value::Object).collect()));
    };

    if query.group_by.is_empty() {
        // period only: one zero-filled row per period.
        let no_group: Vec<Key> = Vec::new();
        return Ok(Rows::Made(
            periods
                .iter()
                .map(|p| {
                    let mut row = Map::new();
                    period_keys(kind, *p, &mut row);
                    buckets
                        .get(&(*p, no_group.clone()))
                        .unwrap_or(&empty)
                        .write(table, &query.collect, &mut row);
                    Value::Object(row)
                })
                .collect(),
        ));
    }

    // period and group_by: a row per group with its zero-filled periods. The
    // groups' totals first (from the buckets with data, in period order), then
    // sorted and limited, and only the groups kept get their periods.
    let index: FxHashMap<&[Key], usize> = groups
        .iter()
        .enumerate()
        .map(|(i, g)| (g.as_slice(), i))
        .collect();
    let mut per_group: Vec<Vec<(i64, &Bucket)>> = vec![Vec::new(); groups.len()];
    for ((p, g), bucket) in &buckets {
        per_group[index[g.as_slice()]].push((*p, bucket));
    }
    let mut rows: Vec<(Map<String, Value>, Vec<Key>)> = groups
        .iter()
        .zip(per_group.iter_mut())
        .map(|(g, with_data)| {
            with_data.sort_by_key(|(p, _)| *p);
            let mut total = Bucket::new(&query.collect);
            for (_, b) in with_data.iter() {
                total.merge(b, &query.collect);
            }
            let mut row = Map::new();
            group_fields(g, &mut row);
            total.write(table, &query.collect, &mut row);
            row.insert(
                "_group_count".into(),
                Value::Number((with_data.len() as u64).into()),
            );
            (row, g.clone())
        })
        .collect();
    if let Some((field, ascending)) = &query.sort_by {
        rows.sort_by(|(a, _), (b, _)| {
            let o = compare_values(a.get(field), b.get(field));
            if *ascending {
                o
            } else {
                o.reverse()
            }
        });
    }
    if let Some(limit) = query.limit {
        rows.truncate(limit);
    }
    for (row, g) in &mut rows {
        let values = periods
            .iter()
            .map(|p| {
                let mut value = Map::new();
                period_keys(kind, *p, &mut value);
                buckets.get(&(*p, g.clone())).unwrap_or(&empty).write(
                    table,
                    &query.collect,
                    &mut value,
                );
                Value::Object(value)
            })
            .collect();
        row.insert("values".into(), Value::Array(values));
    }
    if !query.flatten {
        return Ok(Rows::Made(
            rows.into_iter().map(|(r, _)| Value::Object(r)).collect(),
        ));
    }
    // Flattened: one row per period and group, by period.
    let mut flat = Vec::with_capacity(periods.len() * rows.len());
    for i in 0..periods.len() {
        for (row, g) in &rows {
            let mut out = match &row["values"][i] {
                Value::Object(m) => m.clone(),
                _ => Map::new(),
            };
            group_fields(g, &mut out);
            flat.push(Value::Object(out));
        }
    }
    Ok(Rows::Made(flat))
}

fn sort_and_limit(rows: &mut Vec<Map<String, Value>>, query: &Query) {
    if let Some((field, ascending)) = &query.sort_by {
        rows.sort_by(|a, b| {
            let o = compare_values(a.get(field), b.get(field));
            if *ascending {
                o
            } else {
                o.reverse()
            }
        });
    }
    if let Some(limit) = query.limit {
        rows.truncate(limit);
    }
}

/// The value of `field` in the raw record of `row`, as [`raw`] writes it.
fn raw_field(table: &Table, row: usize, field: &str) -> Option<Value> {
    let time = |us: i64| {
        Value::String(format_datetime(
            DateTime::from_timestamp_micros(us).unwrap_or_default(),
        ))
    };
    match field {
        "_id" => return Some(Value::String(table.ids[row].clone())),
        "_timestamp" => return Some(time(table.ts[row])),
        "_updated_at" => return Some(time(table.updated_at[row])),
        _ => {}
    }
    if let Some(kind) = field
        .strip_prefix('_')
        .and_then(|f| f.strip_suffix("_start_at"))
        .and_then(PeriodKind::parse)
    {
        let ts = DateTime::from_timestamp_micros(table.ts[row]).unwrap_or_default();
        return Some(Value::String(format_datetime(period_start(kind, ts))));
    }
    let cell = table.column(field)?[row];
    (cell != Cell::Missing).then(|| table.value(cell))
}

/// The rows of the raw records asked for, in the answer's order.
fn raw(
    table: &Table,
    query: &Query,
    rows: impl Iterator<Item = usize>,
) -> Result<Vec<usize>, String> {
    // Oldest first, then in the order stored; sorted on the one field asked
    // for and limited before any record is built.
    let mut rows: Vec<usize> = rows.collect();
    rows.sort_by_key(|&row| (table.ts[row], row));
    let answer = query.limit.map_or(rows.len(), |l| l.min(rows.len()));
    if answer > query.row_bound() {
        return Err(too_many_rows(answer, query.row_bound()));
    }
    if let Some((field, ascending)) = &query.sort_by {
        let mut keyed: Vec<(Option<Value>, usize)> = rows
            .iter()
            .map(|&row| (raw_field(table, row, field), row))
            .collect();
        keyed.sort_by(|(a, _), (b, _)| {
            let o = compare_values(a.as_ref(), b.as_ref());
            if *ascending {
                o
            } else {
                o.reverse()
            }
        });
        rows = keyed.into_iter().map(|(_, row)| row).collect();
    }
    rows.truncate(answer);
    Ok(rows)
}

/// The raw record of `row`, with its internal fields and period keys.
fn record(table: &Table, row: usize) -> Map<String, Value> {
    let mut record = Map::new();
    for (name, column) in table.column_names.iter().zip(&table.columns) {
        if column[row] != Cell::Missing {
            record.insert(name.clone(), table.value(column[row]));
        }
    }
    let ts = DateTime::from_timestamp_micros(table.ts[row]).unwrap_or_default();
    let updated = DateTime::from_timestamp_micros(table.updated_at[row]).unwrap_or_default();
    record.insert("_id".into(), Value::String(table.ids[row].clone()));
    record.insert("_timestamp".into(), Value::String(format_datetime(ts)));
    record.insert(
        "_updated_at".into(),
        Value::String(format_datetime(updated)),
    );
    for kind in PeriodKind::ALL {
        record.insert(
            format!("_{}_start_at", kind.as_str()),
            Value::String(format_datetime(period_start(kind, ts))),
        );
    }
    record
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::query::params::{parse, Allowances};
    use crate::store::records::StoredRecord;
    use serde_json::json;

    fn table() -> Table {
        let rows = [
            ("2013-03-04T00:00:00Z", "a", 1),
            ("2013-03-05T00:00:00Z", "b", 2),
            ("2013-03-18T00:00:00Z", "a", 4),
        ];
        let records: Vec<StoredRecord> = rows
            .iter()
            .enumerate()
            .map(|(i, (t, g, n))| StoredRecord {
                id: i.to_string(),
                timestamp: crate::domain::ingest::parse_datetime(t).unwrap(),
                updated_at: Utc::now(),
                fields: json!({"group": g, "num": n}).as_object().unwrap().clone(),
            })
            .collect();
        Table::from_records(&records)
    }

    fn run(query: &str) -> Value {
        let pairs: Vec<(String, String)> = form_urlencoded::parse(query.as_bytes())
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        let query = parse(
            &pairs,
            Allowances {
                raw_queries_allowed: true,
                frequency: Some(PeriodKind::Week),
            },
        )
        .unwrap();
        let now = crate::domain::ingest::parse_datetime("2013-03-20T00:00:00Z").unwrap();
        Value::Array(execute(&table(), &query, now).unwrap())
    }

    #[test]
    fn groups_sum_and_count() {
        assert_eq!(
            run("group_by=group&collect=num:sum"),
            json!([{"group": "a", "_count": 2, "num:sum": 5}, {"group": "b", "_count": 1, "num:sum": 2}])
        );
    }

    /// A stored record `id` of `fields` at `timestamp`.
    fn stored(id: i64, timestamp: DateTime<Utc>, fields: Value) -> StoredRecord {
        StoredRecord {
            id: id.to_string(),
            timestamp,
            updated_at: Utc::now(),
            fields: fields.as_object().unwrap().clone(),
        }
    }

    /// `query` (a query string) as the read API parses it, raw queries
    /// allowed, of data sent weekly.
    fn parsed(query: &str) -> Result<Query, String> {
        let pairs: Vec<(String, String)> = form_urlencoded::parse(query.as_bytes())
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        let allow = Allowances {
            raw_queries_allowed: true,
            frequency: Some(PeriodKind::Week),
        };
        parse(&pairs, allow)
    }

    #[test]
    fn sets_of_too_many_values_are_refused_before_they_are_written() {
        // 100,000 records, each its own reference, in two groups.
        let t0 = crate::domain::ingest::parse_datetime("2013-03-04T00:00:00Z").unwrap();
        let records: Vec<StoredRecord> = (0..100_000)
            .map(|i| {
                let group = if i % 2 == 0 { "a" } else { "b" };
                let fields = json!({"group": group, "reference": format!("R{i}")});
                stored(i, t0 + chrono::Duration::minutes(i), fields)
            })
            .collect();
        let table = Table::from_records(&records);
        let ask = |q: &str| {
            execute(
                &table,
                &parsed(q).unwrap(),
                t0 + chrono::Duration::weeks(20),
            )
        };
        const WINDOW: &str = "start_at=2013-03-04T00:00:00Z&end_at=2013-07-22T00:00:00Z";
        // 100,000 values written twice (the bare field and `:set`), twice
        // more by week and group (each group's total), once more flattened.
        let refused = ask(&format!(
            "{WINDOW}&group_by=group&period=week&flatten=true&collect=reference"
        ))
        .unwrap_err();
        assert!(
            refused.contains("more than 500,000 values of its sets"),
            "{refused}"
        );
        // 300,000 values, in each week and again in each group's total.
        assert!(ask(&format!(
            "{WINDOW}&group_by=group&period=week&collect=reference&collect=reference:set"
        ))
        .unwrap_err()
        .contains("values of its sets"));
        // 100,000 values once each, counted, or sets of few values: answered.
        let once = ask("group_by=group&collect=reference:set").unwrap();
        assert_eq!(
            once[0]["reference:set"].as_array().map(Vec::len),
            Some(50_000)
        );
        let counted = ask(&format!(
            "{WINDOW}&group_by=group&period=week&flatten=true&collect=reference:count"
        ))
        .unwrap();
        // 20 weeks of 2 groups, each week's 10,080 minutes halved.
        assert_eq!(counted.len(), 40);
        assert_eq!(counted[0]["reference:count"], json!(5_040));
    }

    #[test]
    fn sums_too_big_for_64_bits_are_floats_not_wrapped_round() {
        let records = |values: &[i64]| -> Vec<StoredRecord> {
            values
                .iter()
                .enumerate()
                .map(|(i, n)| StoredRecord {
                    id: i.to_string(),
                    timestamp: crate::domain::ingest::parse_datetime("2013-03-04T00:00:00Z")
                        .unwrap(),
                    updated_at: Utc::now(),
                    fields: json!({"group": "a", "num": n}).as_object().unwrap().clone(),
                })
                .collect()
        };
        let sum = |values: &[i64]| {
            let table = Table::from_records(&records(values));
            let pairs = vec![
                ("group_by".to_string(), "group".to_string()),
                ("collect".to_string(), "num:sum".to_string()),
            ];
            let allow = Allowances {
                raw_queries_allowed: true,
                frequency: Some(PeriodKind::Week),
            };
            let query = parse(&pairs, allow).unwrap();
            execute(&table, &query, Utc::now()).unwrap()[0]["num:sum"].clone()
        };
        // It wrapped round to -2.
        assert_eq!(sum(&[i64::MAX, i64::MAX]), json!(1.8446744073709552e19));
        assert_eq!(sum(&[i64::MIN, -1]), json!(-9.223372036854776e18));
        // Within 64 bits a sum stays exact, even past a float's 53.
        assert_eq!(sum(&[i64::MAX, -1, 1]), json!(i64::MAX));
    }

    #[test]
    fn apportioned_weeks_are_shared_between_months_by_their_days() {
        // Weekly records of 700 from Monday 24 February to Monday 31 March
        // 2014: the week of 24 February has 5 days in February, the week of
        // 31 March 1 day in March.
        let records: Vec<StoredRecord> = (0..6)
            .map(|i| {
                let monday = crate::domain::ingest::parse_datetime("2014-02-24T00:00:00Z").unwrap();
                let fields = json!({"num": 700, "cost": 7.0, "odd": 701});
                stored(i, monday + chrono::Duration::weeks(i), fields)
            })
            .collect();
        let table = Table::from_records(&records);
        let ask = |q: &str| {
            let now = crate::domain::ingest::parse_datetime("2014-06-01T00:00:00Z").unwrap();
            parsed(q).map(|query| execute(&table, &query, now).unwrap())
        };
        let window = "period=month&start_at=2014-02-01T00:00:00Z&end_at=2014-05-01T00:00:00Z";
        let shared = ask(&format!(
            "{window}&collect=num:sum&collect=cost:sum&apportion=true"
        ))
        .unwrap();
        let sums: Vec<&Value> = shared.iter().map(|m| &m["num:sum"]).collect();
        // February: 5/7 of a week; March: 2/7 + 3 weeks + 1/7 + ... = 28 days'
        // worth up to the 30th, and 1 of the week of 31 March; April: 6 days.
        assert_eq!(sums, [&json!(500), &json!(3100), &json!(600)]);
        // Shares that come out whole are written whole; money keeps its pence.
        assert_eq!(shared[0]["cost:sum"], json!(5.0));
        // Shares of whole numbers that do not are kept (a rate worked out from
        // them is the one worked out from the records), to a millionth.
        let odd = ask(&format!("{window}&collect=odd:sum&apportion=true")).unwrap();
        let sums: Vec<&Value> = odd.iter().map(|m| &m["odd:sum"]).collect();
        assert_eq!(
            sums,
            [&json!(500.714286), &json!(3104.428571), &json!(600.857143)]
        );
        // Without it, each record counts where its _timestamp falls (Backdrop).
        let plain = ask(&format!("{window}&collect=num:sum")).unwrap();
        let sums: Vec<&Value> = plain.iter().map(|m| &m["num:sum"]).collect();
        assert_eq!(sums, [&json!(700), &json!(3500), &Value::Null]);
        // What it cannot do is refused in words.
        assert!(ask(&format!("{window}&collect=num:mean&apportion=true"))
            .unwrap_err()
            .contains("collect only with :sum"));
        assert!(ask("group_by=num&apportion=true")
            .unwrap_err()
            .contains("needs 'period'"));
        assert!(ask(&format!("{window}&apportion=yes"))
            .unwrap_err()
            .contains("'true' or 'false'"));
    }

    #[test]
    fn grouping_into_more_figures_than_the_bound_is_refused_whatever_the_limit() {
        // Five fields collected: at most 100,000 groups.
        let records = |n: usize| -> Vec<StoredRecord> {
            (0..n)
                .map(|i| StoredRecord {
                    id: i.to_string(),
                    timestamp: crate::domain::ingest::parse_datetime("2013-03-04T00:00:00Z")
                        .unwrap(),
                    updated_at: Utc::now(),
                    fields: json!({"group": format!("g{i}"), "num": i})
                        .as_object()
                        .unwrap()
                        .clone(),
                })
                .collect()
        };
        let ask = |table: &Table, query: &str| {
            let pairs: Vec<(String, String)> = form_urlencoded::parse(query.as_bytes())
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect();
            let allow = Allowances {
                raw_queries_allowed: true,
                frequency: None,
            };
            execute(table, &parse(&pairs, allow).unwrap(), Utc::now())
        };
        let five = "group_by=group&collect=num:sum&collect=num:mean&collect=num:min\
                    &collect=num:max&collect=num:count&sort_by=num:sum:descending&limit=1";
        let within = Table::from_records(&records(100_000));
        let top = ask(&within, five).unwrap();
        assert_eq!(top.len(), 1);
        assert_eq!(top[0]["group"], "g99999");
        let over = Table::from_records(&records(100_001));
        let refused = ask(&over, five).unwrap_err();
        assert!(refused.contains("more than 100,000 groups"), "{refused}");
        // One field collected: five times as many.
        assert!(ask(&over, "group_by=group&collect=num:sum&limit=1").is_ok());
    }

    #[test]
    fn periods_are_zero_filled() {
        let weeks = run(
            "period=week&start_at=2013-03-04T00:00:00Z&end_at=2013-03-25T00:00:00Z&collect=num:sum",
        );
        let counts: Vec<&Value> = weeks
            .as_array()
            .unwrap()
            .iter()
            .map(|w| &w["_count"])
            .collect();
        assert_eq!(counts, [&json!(2), &json!(0), &json!(1)]);
        assert_eq!(weeks[1]["num:sum"], Value::Null);
    }

    #[test]
    fn relative_windows_count_back_from_now_and_shift_to_the_data() {
        // Now is in the week of 18 March, unfinished: two weeks back are the
        // complete weeks of 4 and 11 March, as Backdrop counted (the week of
        // 18 March, which has data, is left out). The week of 11 March has
        // none, so the window moves back to end on the week of 4 March.
        let weeks = run("period=week&duration=2");
        assert_eq!(weeks[0]["_start_at"], "2013-02-25T00:00:00+00:00");
        assert_eq!(weeks[1]["_start_at"], "2013-03-04T00:00:00+00:00");
        assert_eq!(weeks[1]["_end_at"], "2013-03-11T00:00:00+00:00");
        assert_eq!(weeks[1]["_count"], 2);
        // The unfinished week is there when asked for with end_at.
        let current = run("period=week&duration=2&end_at=2013-03-20T00:00:00Z");
        assert_eq!(current[1]["_start_at"], "2013-03-18T00:00:00+00:00");
        assert_eq!(current[1]["_count"], 1);
        // The three days before now hold no data: the window moves back to end
        // on the last day that has some.
        let days = run("period=day&duration=3");
        assert_eq!(days[2]["_start_at"], "2013-03-18T00:00:00+00:00");
        assert_eq!(days[2]["_count"], 1);
    }

    #[test]
    fn raw_records_are_oldest_first_and_limited_early() {
        let raw = run("limit=2");
        assert_eq!(raw.as_array().unwrap().len(), 2);
        assert_eq!(raw[0]["_id"], "0");
        let sorted = run("sort_by=num:descending&limit=1");
        assert_eq!(sorted[0]["num"], 4);
    }
}

/// Arbitrary query strings never make the parser or the engine panic, and any
/// query accepted stays within the bounds (`app::kpi::MAX_PERIODS`,
/// `MAX_ROWS`, `MIN_YEAR`..`MAX_YEAR`) before and after it runs.
#[cfg(test)]
mod properties {
    use super::*;
    use crate::domain::query::params::{parse, Allowances};
    use crate::store::records::StoredRecord;
    use app::kpi::{MAX_PERIODS, MAX_ROWS, MAX_YEAR, MIN_YEAR};
    use chrono::Datelike;
    use proptest::prelude::*;
    use serde_json::json;

    fn table() -> Table {
        let rows = [
            ("2013-03-04T00:00:00Z", "a", json!(1)),
            ("2013-03-05T10:00:00Z", "b", json!(2.5)),
            ("2013-03-18T00:00:00Z", "a", json!("x")),
            ("2014-01-01T00:00:00Z", "c", json!(true)),
            ("1900-01-01T00:00:00Z", "a", json!(null)),
            ("2200-12-31T23:00:00Z", "b", json!(7)),
        ];
        let records: Vec<StoredRecord> = rows
            .iter()
            .enumerate()
            .map(|(i, (t, g, n))| StoredRecord {
                id: i.to_string(),
                timestamp: crate::domain::ingest::parse_datetime(t).unwrap(),
                updated_at: Utc::now(),
                fields: json!({"group": g, "num": n}).as_object().unwrap().clone(),
            })
            .collect();
        Table::from_records(&records)
    }

    fn key() -> impl Strategy<Value = String> {
        prop_oneof![
            8 => prop::sample::select(vec![
                "start_at", "end_at", "inclusive", "period", "duration", "filter_by",
                "filter_by_prefix", "group_by", "collect", "sort_by", "limit", "flatten",
                "format",
            ])
            .prop_map(String::from),
            1 => ".{0,6}",
        ]
    }

    fn value() -> impl Strategy<Value = String> {
        let field = prop::sample::select(vec![
            "group",
            "num",
            "_id",
            "_timestamp",
            "nope",
            "a-b",
            "_count",
        ]);
        prop_oneof![
            // Whole numbers, huge and negative ones too.
            any::<u64>().prop_map(|n| n.to_string()),
            (0u64..2_000).prop_map(|n| n.to_string()),
            any::<i64>().prop_map(|n| n.to_string()),
            "[0-9]{15,30}",
            // Date-times in and out of the years.
            (0i32..10_000, 1u32..13, 1u32..29, 0u32..24)
                .prop_map(|(y, m, d, h)| { format!("{y:04}-{m:02}-{d:02}T{h:02}:00:00Z") }),
            (1890i32..2210, 1u32..13, 1u32..29)
                .prop_map(|(y, m, d)| { format!("{y:04}-{m:02}-{d:02}T00:00:00+05:30") }),
            prop::sample::select(vec![
                "hour",
                "day",
                "week",
                "month",
                "quarter",
                "year",
                "fortnight"
            ])
            .prop_map(String::from),
            prop::sample::select(vec!["true", "false", "csv", "json", ""]).prop_map(String::from),
            (
                field.clone(),
                prop::sample::select(vec![
                    "sum",
                    "count",
                    "set",
                    "mean",
                    "min",
                    "max",
                    "median",
                    "ascending",
                    "descending",
                    "a",
                    "b"
                ])
            )
                .prop_map(|(f, m)| format!("{f}:{m}")),
            field.prop_map(String::from),
            ".{0,10}",
        ]
    }

    /// Queries of the usual shape (so that most are accepted), with windows
    /// around the bounds.
    fn usual() -> impl Strategy<Value = Vec<(String, String)>> {
        let time = || {
            prop_oneof![
                (1890i32..2210, 1u32..13, 1u32..29, 0u32..24),
                (1999i32..2001, 1u32..13, 1u32..29, 0u32..24),
            ]
            .prop_map(|(y, m, d, h)| format!("{y:04}-{m:02}-{d:02}T{h:02}:00:00Z"))
        };
        let duration = prop_oneof![
            4 => (1u64..1_100).prop_map(|n| n.to_string()),
            1 => any::<u64>().prop_map(|n| n.to_string()),
        ];
        // Which of start_at, end_at and duration are given.
        let window = prop_oneof![
            duration.clone().prop_map(|d| vec![("duration", d)]),
            (time(), time()).prop_map(|(s, e)| vec![("start_at", s), ("end_at", e)]),
            (time(), duration.clone()).prop_map(|(s, d)| vec![("start_at", s), ("duration", d)]),
            (time(), duration).prop_map(|(e, d)| vec![("end_at", e), ("duration", d)]),
        ];
        let period = prop::sample::select(vec!["hour", "day", "week", "month", "quarter", "year"]);
        let limit = prop_oneof![
            (0u64..200_000).prop_map(|n| n.to_string()),
            Just("99999999999999999999".to_string()),
        ];
        (
            prop::option::weighted(0.8, period),
            window,
            any::<bool>(),
            prop::option::of(prop::sample::select(vec![
                "num:sum", "num:max", "num:set", "num:mean",
            ])),
            prop::option::weighted(0.3, limit),
            any::<(bool, bool, bool)>(),
        )
            .prop_map(
                |(period, window, group, collect, limit, (flatten, csv, inclusive))| {
                    let mut pairs: Vec<(String, String)> = Vec::new();
                    let mut push = |k: &str, v: Option<String>| {
                        if let Some(v) = v {
                            pairs.push((k.to_string(), v));
                        }
                    };
                    push("period", period.map(String::from));
                    for (k, v) in window {
                        push(k, Some(v));
                    }
                    push("group_by", group.then(|| "group".to_string()));
                    push("collect", collect.map(String::from));
                    push("limit", limit);
                    push("flatten", flatten.then(|| "true".to_string()));
                    push("format", csv.then(|| "csv".to_string()));
                    push("inclusive", inclusive.then(|| "true".to_string()));
                    pairs
                },
            )
    }

    fn check(
        pairs: &[(String, String)],
        raw_queries_allowed: bool,
        now_year: i32,
    ) -> Result<(), TestCaseError> {
        let Ok(query) = parse(
            pairs,
            Allowances {
                raw_queries_allowed,
                frequency: None,
            },
        ) else {
            return Ok(());
        };
        prop_assert!(query
            .duration
            .is_none_or(|d| (1..=MAX_PERIODS).contains(&d)));
        prop_assert!(query.limit.is_none_or(|l| (1..=MAX_ROWS).contains(&l)));
        for t in [query.start_at, query.end_at].into_iter().flatten() {
            prop_assert!((MIN_YEAR..=MAX_YEAR).contains(&t.year()));
        }
        let now = Utc.with_ymd_and_hms(now_year, 6, 15, 12, 0, 0).unwrap();
        if let Some(kind) = query.period {
            let window = period_window(&query, kind, now);
            prop_assert!(window.count >= 0 && window.count <= i64::from(MAX_PERIODS));
        }
        if let Ok(rows) = execute(&table(), &query, now) {
            prop_assert!(rows.len() <= MAX_ROWS && rows.len() <= query.row_bound());
            if query.period.is_some() && query.group_by.is_empty() {
                prop_assert!(rows.len() <= MAX_PERIODS as usize);
            }
        }
        Ok(())
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 1500, ..ProptestConfig::default() })]

        #[test]
        fn any_query_parses_and_runs_within_the_bounds(
            pairs in prop::collection::vec((key(), value()), 0..7),
            raw_queries_allowed in any::<bool>(),
            now_year in MIN_YEAR..=MAX_YEAR,
        ) {
            check(&pairs, raw_queries_allowed, now_year)?;
        }

    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 4000, ..ProptestConfig::default() })]

        #[test]
        fn usual_queries_run_within_the_bounds(
            pairs in usual(),
            raw_queries_allowed in any::<bool>(),
            now_year in MIN_YEAR..=MAX_YEAR,
        ) {
            check(&pairs, raw_queries_allowed, now_year)?;
        }
    }
}
