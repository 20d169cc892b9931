//! The one KPI engine. Every figure of a service that a page shows (the service
//! page's tiles and chart, the services explorer, boards, compare) comes from
//! here, computed over the service's standard data sets as held in memory
//! ([`crate::domain::query::Cache`]), with the arithmetic of [`app::kpi`].
//!
//! A service's standard data sets are found by convention: group = the
//! service's slug, and the types of [`STANDARD_TYPES`]; only those the caller
//! may read count (published ones for everyone:
//! [`crate::domain::caller::readable_data_sets`]).

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use app::kpi::{
    completion_rate, digital_take_up, next_period_start, period_containing, periods_between,
    satisfaction_score,
};
use app::model::{
    ChannelLine, ChannelSeries, Freshness, KpiFigure, KpiKind, Period, PeriodKind, ServiceKpis,
    ServiceListing,
};
use chrono::{DateTime, Duration, Utc};

use crate::domain::query::table::{Cell, Table};
use crate::domain::query::Cache;
use crate::error::Result;
use crate::store::{data_sets::DataSet, from_micros, Store};

/// The standard data types a service's KPIs are computed from.
pub const STANDARD_TYPES: [&str; 4] = [
    "transactions-by-channel",
    "cost-per-transaction",
    "user-satisfaction",
    "completion-rate",
];

/// The data sets a caller may read, by (group, type), from
/// [`crate::domain::caller::readable_data_sets`].
pub type Readable = HashMap<(String, String), DataSet>;

/// A span of time to chart, `[start, end)`, either end open (then the data
/// decides it).
pub type Window = (Option<DateTime<Utc>>, Option<DateTime<Utc>>);

/// A service's standard data sets, where they exist and may be read.
#[derive(Default)]
pub struct Standard {
    pub transactions: Option<Arc<Table>>,
    pub cost: Option<Arc<Table>>,
    pub satisfaction: Option<Arc<Table>>,
    pub completion: Option<Arc<Table>>,
    /// Each present data set's type, expected age and table, for freshness.
    pub watched: Vec<(&'static str, Option<i64>, Arc<Table>)>,
}

/// The standard tables of the service `slug` that `readable` holds.
pub async fn standard(
    store: &Store,
    cache: &Cache,
    readable: &Readable,
    slug: &str,
) -> Result<Standard> {
    let mut out = Standard::default();
    for data_type in STANDARD_TYPES {
        let Some(ds) = readable.get(&(slug.to_string(), data_type.to_string())) else {
            continue;
        };
        let table = cache.table(store, ds.id).await?;
        out.watched
            .push((data_type, ds.max_age_expected, table.clone()));
        let slot = match data_type {
            "transactions-by-channel" => &mut out.transactions,
            "cost-per-transaction" => &mut out.cost,
            "user-satisfaction" => &mut out.satisfaction,
            _ => &mut out.completion,
        };
        *slot = Some(table);
    }
    Ok(out)
}

fn number(column: Option<&[Cell]>, row: usize) -> Option<f64> {
    column.and_then(|c| c[row].number())
}

fn is(column: Option<&[Cell]>, row: usize, id: Option<u32>) -> bool {
    matches!((column, id), (Some(c), Some(id)) if c[row] == Cell::Str(id))
}

fn time(table: &Table, row: usize) -> DateTime<Utc> {
    from_micros(table.ts[row])
}

/// Per period start: (all transactions, digital ones).
pub fn transactions_by(table: &Table, kind: PeriodKind) -> BTreeMap<DateTime<Utc>, (f64, f64)> {
    let (count, channel) = (table.column("count"), table.column("channel"));
    let digital = table.string_id("digital");
    let mut sums = BTreeMap::new();
    for row in 0..table.len() {
        let Some(n) = number(count, row) else {
            continue;
        };
        let start = period_containing(kind, time(table, row)).start;
        let entry: &mut (f64, f64) = sums.entry(start).or_default();
        entry.0 += n;
        if is(channel, row, digital) {
            entry.1 += n;
        }
    }
    sums
}

/// Per period start: (ratings 1 to 5, responses).
fn ratings_by(table: &Table, kind: PeriodKind) -> BTreeMap<DateTime<Utc>, ([f64; 5], f64)> {
    let columns: Vec<Option<&[Cell]>> = (1..=5)
        .map(|i| table.column(&format!("rating_{i}")))
        .collect();
    let total = table.column("total");
    let mut sums = BTreeMap::new();
    for row in 0..table.len() {
        let start = period_containing(kind, time(table, row)).start;
        let entry: &mut ([f64; 5], f64) = sums.entry(start).or_default();
        for (slot, column) in entry.0.iter_mut().zip(&columns) {
            *slot += number(*column, row).unwrap_or(0.0);
        }
        entry.1 += number(total, row).unwrap_or(0.0);
    }
    sums
}

/// Per period start: (started, completed).
fn completions_by(table: &Table, kind: PeriodKind) -> BTreeMap<DateTime<Utc>, (f64, f64)> {
    let (count, stage) = (table.column("count"), table.column("stage"));
    let (start_id, end_id) = (table.string_id("start"), table.string_id("end"));
    let mut sums = BTreeMap::new();
    for row in 0..table.len() {
        let n = number(count, row).unwrap_or(0.0);
        let start = period_containing(kind, time(table, row)).start;
        let entry: &mut (f64, f64) = sums.entry(start).or_default();
        if is(stage, row, start_id) {
            entry.0 += n;
        } else if is(stage, row, end_id) {
            entry.1 += n;
        }
    }
    sums
}

/// The cost per transaction of each quarter (the newest record of a quarter
/// wins), then averaged into years when `kind` is a year.
fn costs_by(table: &Table, kind: PeriodKind) -> BTreeMap<DateTime<Utc>, Option<f64>> {
    let column = table.column("cost_per_transaction");
    let mut quarters: BTreeMap<DateTime<Utc>, (i64, Option<f64>)> = BTreeMap::new();
    for row in 0..table.len() {
        let start = period_containing(PeriodKind::Quarter, time(table, row)).start;
        let entry = quarters.entry(start).or_insert((i64::MIN, None));
        if table.ts[row] >= entry.0 {
            *entry = (table.ts[row], number(column, row));
        }
    }
    if kind != PeriodKind::Year {
        return quarters.into_iter().map(|(k, (_, v))| (k, v)).collect();
    }
    let mut years: BTreeMap<DateTime<Utc>, (f64, f64)> = BTreeMap::new();
    for (start, (_, value)) in quarters {
        if let Some(v) = value {
            let entry = years
                .entry(period_containing(PeriodKind::Year, start).start)
                .or_default();
            entry.0 += v;
            entry.1 += 1.0;
        }
    }
    years
        .into_iter()
        .map(|(k, (sum, n))| (k, Some(sum / n)))
        .collect()
}

/// `kpi` per period of `kind` (clamped to the KPI's finest period), by period
/// start; only periods with data are present.
pub fn series(
    data: &Standard,
    kpi: KpiKind,
    kind: PeriodKind,
) -> (PeriodKind, BTreeMap<DateTime<Utc>, Option<f64>>) {
    let kind = coarsest(kind, kpi.finest_period());
    let values = match kpi {
        // A count of a period the data does not yet cover to its end (the
        // month under way) would read as a fall: such a period is left out.
        KpiKind::Transactions => data.transactions.as_deref().map(|t| {
            let covered =
                t.ts.iter()
                    .max()
                    .map(|&newest| period_containing(PeriodKind::Week, from_micros(newest)).end);
            transactions_by(t, kind)
                .into_iter()
                .filter(|(start, _)| covered.is_some_and(|c| next_period_start(kind, *start) <= c))
                .map(|(k, (all, _))| (k, Some(all)))
                .collect()
        }),
        KpiKind::DigitalTakeUp => data.transactions.as_deref().map(|t| {
            transactions_by(t, kind)
                .into_iter()
                .map(|(k, (all, digital))| (k, digital_take_up(Some(digital), Some(all))))
                .collect()
        }),
        KpiKind::UserSatisfaction => data.satisfaction.as_deref().map(|t| {
            ratings_by(t, kind)
                .into_iter()
                .map(|(k, (ratings, total))| (k, satisfaction_score(ratings, total)))
                .collect()
        }),
        KpiKind::CompletionRate => data.completion.as_deref().map(|t| {
            completions_by(t, kind)
                .into_iter()
                .map(|(k, (started, done))| (k, completion_rate(started, done)))
                .collect()
        }),
        KpiKind::CostPerTransaction => data.cost.as_deref().map(|t| costs_by(t, kind)),
    };
    (kind, values.unwrap_or_default())
}

fn rank(kind: PeriodKind) -> u8 {
    match kind {
        PeriodKind::Hour => 0,
        PeriodKind::Day => 1,
        PeriodKind::Week => 2,
        PeriodKind::Month => 3,
        PeriodKind::Quarter => 4,
        PeriodKind::Year => 5,
    }
}

/// The coarser of two kinds of period.
pub fn coarsest(a: PeriodKind, b: PeriodKind) -> PeriodKind {
    if rank(a) >= rank(b) {
        a
    } else {
        b
    }
}

/// The order KPIs are shown in.
pub const ORDER: [KpiKind; 5] = [
    KpiKind::Transactions,
    KpiKind::CostPerTransaction,
    KpiKind::DigitalTakeUp,
    KpiKind::UserSatisfaction,
    KpiKind::CompletionRate,
];

/// The latest value of each KPI that has data, by its finest period, with the
/// value of the period before, in [`ORDER`] (the service page's tiles).
pub fn latest(data: &Standard) -> Vec<KpiFigure> {
    ORDER
        .into_iter()
        .filter_map(|kpi| {
            let (kind, values) = series(data, kpi, kpi.finest_period());
            let mut newest = values.iter().rev();
            let (start, value) = newest.next()?;
            Some(KpiFigure {
                kpi,
                value: *value,
                period: period_containing(kind, *start),
                previous: newest.next().and_then(|(_, v)| *v),
            })
        })
        .collect()
}

/// A service's headline figures (as the services explorer and boards show
/// them): a year of transactions (the last 52 weeks with data), the latest
/// quarter's cost per transaction, and the last year's digital take-up,
/// satisfaction and completion rate.
pub fn yearly(service: ServiceListing, data: &Standard) -> ServiceKpis {
    let weekly = data
        .transactions
        .as_deref()
        .map(|t| transactions_by(t, PeriodKind::Week))
        .unwrap_or_default();
    // The last 52 weeks from the newest week with data (weeks without records
    // count as none).
    let newest = weekly.keys().next_back().copied();
    let year_start = newest.map(|n| n - Duration::weeks(51));
    let in_year = |t: &DateTime<Utc>| year_start.is_none_or(|s| *t >= s);
    let (mut all, mut digital) = (0.0, 0.0);
    for (_, (a, d)) in weekly.iter().filter(|(k, _)| in_year(k)) {
        all += a;
        digital += d;
    }
    let has_weeks = !weekly.is_empty();
    let has_digital = data
        .transactions
        .as_deref()
        .and_then(|t| t.string_id("digital"))
        .is_some();
    let (mut started, mut completed) = (0.0, 0.0);
    if let Some(t) = data.completion.as_deref() {
        let (count, stage) = (t.column("count"), t.column("stage"));
        let (s, e) = (t.string_id("start"), t.string_id("end"));
        for row in 0..t.len() {
            if !in_year(&time(t, row)) {
                continue;
            }
            let n = number(count, row).unwrap_or(0.0);
            if is(stage, row, s) {
                started += n;
            } else if is(stage, row, e) {
                completed += n;
            }
        }
    }
    let mut ratings = [0.0; 5];
    let mut responses = 0.0;
    if let Some(t) = data.satisfaction.as_deref() {
        if let Some(newest) = t.ts.iter().max() {
            let since = newest - Duration::days(365).num_microseconds().unwrap_or(0);
            let columns: Vec<Option<&[Cell]>> =
                (1..=5).map(|i| t.column(&format!("rating_{i}"))).collect();
            let total = t.column("total");
            for row in (0..t.len()).filter(|&r| t.ts[r] > since) {
                for (slot, column) in ratings.iter_mut().zip(&columns) {
                    *slot += number(*column, row).unwrap_or(0.0);
                }
                responses += number(total, row).unwrap_or(0.0);
            }
        }
    }
    let cost = data
        .cost
        .as_deref()
        .and_then(|t| costs_by(t, PeriodKind::Quarter).into_iter().next_back())
        .and_then(|(_, v)| v);
    ServiceKpis {
        service,
        transactions_per_year: has_weeks.then_some(all),
        cost_per_transaction: cost,
        digital_take_up: digital_take_up(has_digital.then_some(digital), has_weeks.then_some(all)),
        user_satisfaction: satisfaction_score(ratings, responses),
        completion_rate: completion_rate(started, completed),
    }
}

/// `[first, last)` cut to [`app::kpi::MAX_PERIODS`] periods of `kind`: the
/// newest ones, or the first ones when the end is open (the data decides it)
/// and the start was asked for.
fn at_most_max_periods(
    kind: PeriodKind,
    first: DateTime<Utc>,
    last: DateTime<Utc>,
    open_end: bool,
) -> (DateTime<Utc>, DateTime<Utc>) {
    use app::kpi::{period_count, period_start, periods_after, MAX_PERIODS};
    let max = MAX_PERIODS as i32;
    if period_count(kind, first, last) <= i64::from(MAX_PERIODS) {
        return (first, last);
    }
    if open_end {
        let first = period_start(kind, first);
        (first, periods_after(kind, first, max))
    } else {
        let start = period_start(kind, last);
        let last = if start == last {
            last
        } else {
            next_period_start(kind, start)
        };
        (periods_after(kind, last, -max), last)
    }
}

/// Transactions by channel per period of `kind`, zero-filled, over `window`; an
/// open end is where the data starts or stops. Standard channels come first in
/// their usual order ([`app::catalogue::CHANNELS`]), then any others by name.
pub fn channel_series(table: Option<&Table>, kind: PeriodKind, window: Window) -> ChannelSeries {
    let (from, to) = window;
    let mut sums: BTreeMap<(DateTime<Utc>, u32), f64> = BTreeMap::new();
    if let Some(t) = table {
        let (count, channel) = (t.column("count"), t.column("channel"));
        for row in 0..t.len() {
            let at = time(t, row);
            if from.is_some_and(|f| at < f) || to.is_some_and(|e| at >= e) {
                continue;
            }
            let (Some(Cell::Str(c)), Some(n)) = (channel.map(|c| c[row]), number(count, row))
            else {
                continue;
            };
            *sums
                .entry((period_containing(kind, at).start, c))
                .or_insert(0.0) += n;
        }
    }
    let first = from.or_else(|| sums.keys().next().map(|k| k.0));
    let last = to.or_else(|| {
        sums.keys()
            .next_back()
            .map(|k| next_period_start(kind, k.0))
    });
    let periods = match (first, last) {
        (Some(first), Some(last)) => {
            let open_end = from.is_some() && to.is_none();
            let (first, last) = at_most_max_periods(kind, first, last, open_end);
            periods_between(kind, first, last)
        }
        _ => Vec::new(),
    };
    let (Some(t), false) = (table, sums.is_empty()) else {
        return ChannelSeries {
            periods,
            channels: Vec::new(),
        };
    };
    let mut present: Vec<(&str, u32)> = sums
        .keys()
        .map(|(_, c)| (t.strings[*c as usize].as_str(), *c))
        .collect();
    present.sort();
    present.dedup();
    let rank = |name: &str| {
        app::catalogue::CHANNELS
            .iter()
            .position(|c| *c == name)
            .unwrap_or(app::catalogue::CHANNELS.len())
    };
    present.sort_by_key(|(name, _)| rank(name));
    let channels = present
        .into_iter()
        .map(|(name, id)| ChannelLine {
            channel: name.to_string(),
            label: app::modules::humanise(name),
            values: periods
                .iter()
                .map(|p| sums.get(&(p.start, id)).copied().unwrap_or(0.0))
                .collect(),
        })
        .collect();
    ChannelSeries { periods, channels }
}

/// The total of transactions in the same period a year before each of `periods`
/// ([`app::kpi::year_earlier`]), or `None` where nothing was recorded then.
pub fn year_earlier(table: Option<&Table>, periods: &[Period]) -> Vec<Option<f64>> {
    let Some(t) = table else {
        return vec![None; periods.len()];
    };
    let count = t.column("count");
    periods
        .iter()
        .map(|p| {
            let back = app::kpi::year_earlier(p);
            let (start, end) = (back.start.timestamp_micros(), back.end.timestamp_micros());
            let mut total = None;
            for row in (0..t.len()).filter(|&r| t.ts[r] >= start && t.ts[r] < end) {
                if let Some(n) = number(count, row) {
                    *total.get_or_insert(0.0) += n;
                }
            }
            total
        })
        .collect()
}

/// How recent each of the service's standard data sets is.
pub fn freshness(data: &Standard, slug: &str, now: DateTime<Utc>) -> Vec<Freshness> {
    data.watched
        .iter()
        .map(|(data_type, max_age, table)| {
            super::freshness::freshness(
                slug,
                data_type,
                *max_age,
                table.ts.iter().max().map(|&t| from_micros(t)),
                table.updated_at.iter().max().map(|&t| from_micros(t)),
                now,
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::records::StoredRecord;
    use chrono::TimeZone;
    use serde_json::json;

    fn table(rows: &[(i32, u32, u32, serde_json::Value)]) -> Table {
        let records: Vec<StoredRecord> = rows
            .iter()
            .enumerate()
            .map(|(i, (y, m, d, fields))| {
                let timestamp = Utc.with_ymd_and_hms(*y, *m, *d, 0, 0, 0).unwrap();
                StoredRecord {
                    id: i.to_string(),
                    timestamp,
                    updated_at: timestamp,
                    fields: fields.as_object().unwrap().clone(),
                }
            })
            .collect();
        Table::from_records(&records)
    }

    fn at(y: i32, m: u32, d: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, m, d, 0, 0, 0).unwrap()
    }

    #[test]
    fn a_year_earlier_is_52_weeks_or_12_months_back_and_empty_where_no_data() {
        let t = table(&[
            (2025, 3, 3, json!({"count": 5})),
            (2025, 3, 10, json!({"count": 7})),
            (2025, 4, 7, json!({"count": 1})),
        ]);
        let months = periods_between(PeriodKind::Month, at(2026, 2, 1), at(2026, 5, 1));
        assert_eq!(
            year_earlier(Some(&t), &months),
            vec![None, Some(12.0), Some(1.0)]
        );
        // The week of 2 March 2026 looks back to the week of 3 March 2025.
        let weeks = periods_between(PeriodKind::Week, at(2026, 3, 2), at(2026, 3, 16));
        assert_eq!(year_earlier(Some(&t), &weeks), vec![Some(5.0), Some(7.0)]);
        assert_eq!(year_earlier(None, &weeks), vec![None, None]);
    }

    #[test]
    fn channels_are_zero_filled_in_the_standard_order_then_by_name() {
        let t = table(&[
            (2026, 11, 2, json!({"channel": "phone", "count": 3})),
            (2026, 11, 2, json!({"channel": "digital", "count": 10})),
            (2026, 11, 16, json!({"channel": "digital", "count": 12})),
            (2026, 11, 16, json!({"channel": "kiosk_visit", "count": 1})),
            (2026, 11, 16, json!({"channel": "digital", "count": "n/a"})),
        ]);
        let series = channel_series(Some(&t), PeriodKind::Week, (None, None));
        assert_eq!(series.periods.len(), 3);
        let lines: Vec<(&str, &str, Vec<f64>)> = series
            .channels
            .iter()
            .map(|c| (c.channel.as_str(), c.label.as_str(), c.values.clone()))
            .collect();
        assert_eq!(
            lines,
            [
                ("digital", "Digital", vec![10.0, 0.0, 12.0]),
                ("phone", "Phone", vec![3.0, 0.0, 0.0]),
                ("kiosk_visit", "Kiosk visit", vec![0.0, 0.0, 1.0]),
            ]
        );
        // A window cuts records and fixes the periods, data or not.
        let window = (Some(at(2026, 11, 9)), Some(at(2026, 11, 30)));
        let cut = channel_series(Some(&t), PeriodKind::Week, window);
        assert_eq!(cut.periods.len(), 3);
        assert_eq!(cut.totals(), vec![0.0, 13.0, 0.0]);
        let none = channel_series(None, PeriodKind::Month, window);
        assert_eq!((none.periods.len(), none.channels.len()), (1, 0));
    }

    #[test]
    fn the_latest_figures_are_each_kpi_by_its_finest_period() {
        let data = Standard {
            transactions: Some(Arc::new(table(&[
                (2026, 11, 2, json!({"channel": "digital", "count": 30})),
                (2026, 11, 2, json!({"channel": "phone", "count": 10})),
                (2026, 11, 9, json!({"channel": "digital", "count": 45})),
                (2026, 11, 9, json!({"channel": "phone", "count": 5})),
            ]))),
            cost: Some(Arc::new(table(&[
                (2026, 4, 1, json!({"cost_per_transaction": 4.0})),
                (2026, 7, 1, json!({"cost_per_transaction": 3.0})),
                (2026, 8, 1, json!({"cost_per_transaction": 2.5})),
            ]))),
            ..Default::default()
        };
        let figures = latest(&data);
        let got: Vec<(KpiKind, Option<f64>, Option<f64>, PeriodKind)> = figures
            .iter()
            .map(|f| (f.kpi, f.value, f.previous, f.period.kind))
            .collect();
        assert_eq!(
            got,
            [
                (
                    KpiKind::Transactions,
                    Some(50.0),
                    Some(40.0),
                    PeriodKind::Week
                ),
                (
                    KpiKind::CostPerTransaction,
                    Some(2.5),
                    Some(4.0),
                    PeriodKind::Quarter
                ),
                (
                    KpiKind::DigitalTakeUp,
                    Some(0.9),
                    Some(0.75),
                    PeriodKind::Week
                ),
            ]
        );
        assert_eq!(figures[1].period.start, at(2026, 7, 1));
    }
}
