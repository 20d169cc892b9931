//! Stage 1: the query string, parsed and validated into a [`Query`], with the
//! Backdrop read API's messages, checked in its order (first failure wins).

use app::kpi::{MAX_PERIODS, MAX_ROWS, MAX_YEAR, MIN_YEAR};
use app::model::PeriodKind;
use chrono::{DateTime, Datelike, Utc};

use crate::domain::ingest::is_valid_key;

/// How a collected field is summarised.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Method {
    Sum,
    Count,
    Set,
    Mean,
    Min,
    Max,
}

impl Method {
    fn parse(s: &str) -> Option<Method> {
        Some(match s {
            "sum" => Method::Sum,
            "count" => Method::Count,
            "set" => Method::Set,
            "mean" => Method::Mean,
            "min" => Method::Min,
            "max" => Method::Max,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Method::Sum => "sum",
            Method::Count => "count",
            Method::Set => "set",
            Method::Mean => "mean",
            Method::Min => "min",
            Method::Max => "max",
        }
    }
}

/// One `collect` parameter.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Collect {
    pub field: String,
    pub method: Method,
    /// True when no method was named: the answer then carries the set under the
    /// bare field name as well as under `field:set`.
    pub bare: bool,
}

impl Collect {
    /// The key of this collection in an answer row, e.g. `value:sum`.
    pub fn key(&self) -> String {
        format!("{}:{}", self.field, self.method.as_str())
    }
}

/// A validated read query.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Query {
    pub start_at: Option<DateTime<Utc>>,
    pub end_at: Option<DateTime<Utc>>,
    pub inclusive: bool,
    pub period: Option<PeriodKind>,
    pub duration: Option<u32>,
    pub filter_by: Vec<(String, String)>,
    pub filter_by_prefix: Vec<(String, String)>,
    pub group_by: Vec<String>,
    pub collect: Vec<Collect>,
    /// Field and whether ascending.
    pub sort_by: Option<(String, bool)>,
    /// `None` means no limit.
    pub limit: Option<usize>,
    pub flatten: bool,
    pub csv: bool,
    /// Pulse: with `apportion=true`, the period each record stands for (its
    /// data set's frequency): a record whose period straddles the answer's is
    /// shared between them by its days ([`app::kpi::shares`]).
    pub apportion: Option<PeriodKind>,
    /// Pulse: with `max_rows=N`, an answer of more than N rows is refused
    /// before it is made, as one over [`MAX_ROWS`] is (`None`: that bound). A
    /// dashboard's module asks for no more than it shows.
    pub max_rows: Option<usize>,
}

impl Query {
    pub fn is_raw(&self) -> bool {
        self.period.is_none() && self.group_by.is_empty()
    }

    /// The most rows this query's answer may hold.
    pub fn row_bound(&self) -> usize {
        self.max_rows.unwrap_or(MAX_ROWS)
    }
}

/// The most times `group_by`, `filter_by`, `filter_by_prefix` or `collect`
/// may be given in one query (a dashboard's module asks for one to three).
pub const MAX_REPEATS: usize = 20;

const KNOWN: [&str; 15] = [
    "start_at",
    "end_at",
    "inclusive",
    "period",
    "duration",
    "filter_by",
    "filter_by_prefix",
    "group_by",
    "collect",
    "sort_by",
    "limit",
    "flatten",
    "format",
    "apportion",
    "max_rows",
];

/// What a data set allows of its readers.
#[derive(Clone, Copy, Debug)]
pub struct Allowances {
    pub raw_queries_allowed: bool,
    /// How often the data set's records are sent, as its data type says
    /// ([`app::catalogue::frequency`]) or, for another type, its records'
    /// times show ([`crate::domain::kpis::frequency`]): what `apportion=true`
    /// needs.
    pub frequency: Option<PeriodKind>,
}

fn all<'a>(pairs: &'a [(String, String)], name: &str) -> Vec<&'a str> {
    pairs
        .iter()
        .filter(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
        .collect()
}

fn one<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

fn parse_time(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// A whole number of at most `max`: `not_whole` when it is not one (a sign, a
/// fraction, a word), `too_large` when it is over (however many digits).
fn whole(s: &str, max: u64, not_whole: &str, too_large: &str) -> Result<u64, String> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(not_whole.into());
    }
    match s.parse::<u64>() {
        Ok(n) if n <= max => Ok(n),
        _ => Err(too_large.into()),
    }
}

/// Refuses `limit` over this (`limit=0` is no limit; answers still hold at
/// most [`MAX_ROWS`] rows).
fn limit_too_large() -> String {
    format!("limit must be at most {MAX_ROWS}")
}

fn duration_too_large() -> String {
    format!("'duration' must be at most {MAX_PERIODS} - please ask for fewer periods, or for a longer period (like 'month' rather than 'week')")
}

fn boolean(s: Option<&str>, message: &str) -> Result<bool, String> {
    match s {
        None | Some("false") => Ok(false),
        Some("true") => Ok(true),
        Some(_) => Err(message.to_string()),
    }
}

fn is_midnight(t: DateTime<Utc>) -> bool {
    t.timestamp() % 86_400 == 0 && t.timestamp_subsec_nanos() == 0
}

/// Parses and validates the query parameters (repeated keys allowed).
pub fn parse(pairs: &[(String, String)], allow: Allowances) -> Result<Query, String> {
    // 1. Unknown parameters.
    if pairs.iter().any(|(k, _)| !KNOWN.contains(&k.as_str())) {
        return Err("An unrecognised parameter was provided".into());
    }
    // A query's work grows with each field it groups by, filters on or
    // collects: 5,000 fields collected took one read 10 s and 2.7 GB.
    for name in ["group_by", "filter_by", "filter_by_prefix", "collect"] {
        if pairs.iter().filter(|(k, _)| k == name).count() > MAX_REPEATS {
            return Err(format!(
                "'{name}' may be given at most {MAX_REPEATS} times in one query"
            ));
        }
    }
    if let Some(format) = one(pairs, "format") {
        if format != "csv" && format != "json" {
            return Err("format must be either 'json' or 'csv'".into());
        }
    }
    let start_raw = one(pairs, "start_at");
    let end_raw = one(pairs, "end_at");
    let duration_raw = one(pairs, "duration");
    let period_raw = one(pairs, "period");
    let group_raw = all(pairs, "group_by");

    // 2. Period queries need a window; only grouped ones may be limited.
    if period_raw.is_some() {
        if duration_raw.is_none() && (start_raw.is_none() || end_raw.is_none()) {
            return Err(
                "Either 'duration' or both 'start_at' and 'end_at' are required for a period query"
                    .into(),
            );
        }
        if one(pairs, "limit").is_some() && group_raw.is_empty() {
            return Err(
                "A period query can only be limited if it is grouped - please add 'group_by'"
                    .into(),
            );
        }
    }

    // 3. Date-times.
    let start_at = match start_raw {
        Some(s) => Some(parse_time(s).ok_or("start_at is not a valid datetime")?),
        None => None,
    };
    let end_at = match end_raw {
        Some(s) => Some(parse_time(s).ok_or("end_at is not a valid datetime")?),
        None => None,
    };
    // An end is exclusive: the first instant after the last year ends a query
    // of that year's last day (a view "to December 2200" asks for it).
    let end_of_bound = |t: DateTime<Utc>| {
        t.year() == MAX_YEAR + 1 && t.ordinal() == 1 && t.time() == chrono::NaiveTime::MIN
    };
    for (name, t) in [("start_at", start_at), ("end_at", end_at)] {
        let past_the_end = name == "end_at" && t.is_some_and(end_of_bound);
        if !past_the_end && t.is_some_and(|t| !(MIN_YEAR..=MAX_YEAR).contains(&t.year())) {
            return Err(format!(
                "{name} must be in the years {MIN_YEAR} to {MAX_YEAR}"
            ));
        }
    }

    // 4. Filters.
    let filters = all(pairs, "filter_by");
    let prefixes = all(pairs, "filter_by_prefix");
    if !filters.is_empty() && !prefixes.is_empty() {
        return Err("Cannot use both filter_by and filter_by_prefix in the same query".into());
    }
    let mut filter_by = Vec::new();
    let mut filter_by_prefix = Vec::new();
    for (name, values, out) in [
        ("filter_by", &filters, &mut filter_by),
        ("filter_by_prefix", &prefixes, &mut filter_by_prefix),
    ] {
        for value in values.iter() {
            let Some((field, wanted)) = value.split_once(':') else {
                return Err(format!(
                    "{name} must be a field name and value separated by a colon (:) eg. authority:Westminster"
                ));
            };
            if !is_valid_key(field) {
                return Err("Cannot filter by an invalid field name".into());
            }
            if value.starts_with('$') {
                return Err(format!("{name} must not start with a $"));
            }
            out.push((field.to_string(), wanted.to_string()));
        }
    }

    // 5. Period.
    let period = match period_raw {
        Some(p) => Some(PeriodKind::parse(p).ok_or(
            "'period' must be one of ['hour', 'day', 'week', 'month', 'quarter', 'year']",
        )?),
        None => None,
    };

    // 6. Sorting.
    let sort_by = match one(pairs, "sort_by") {
        None => None,
        Some(s) => {
            if period.is_some() && group_raw.is_empty() {
                return Err("Cannot sort for period queries without group_by. Period queries are always sorted by time.".into());
            }
            let Some((field, direction)) = s.rsplit_once(':') else {
                return Err("sort_by must be a field name and sort direction separated by a colon (:) eg. authority:ascending".into());
            };
            let ascending = match direction {
                "ascending" => true,
                "descending" => false,
                _ => {
                    return Err("Unrecognised sort direction. Supported directions include: ascending, descending".into())
                }
            };
            if !is_valid_key(field) && !is_answer_key(field) {
                return Err("Cannot sort by an invalid field name".into());
            }
            Some((field.to_string(), ascending))
        }
    };

    // 7. Grouping.
    let mut group_by = Vec::new();
    for field in &group_raw {
        if !is_valid_key(field) {
            return Err("Cannot group by an invalid field name".into());
        }
        if field.starts_with('_') {
            return Err(
                "Cannot group by internal fields, internal fields start with an underscore".into(),
            );
        }
        if !group_by.iter().any(|g| g == field) {
            group_by.push(field.to_string());
        }
    }

    // 8. Whole numbers.
    let limit = match one(pairs, "limit") {
        None => None,
        Some(s) => match whole(
            s,
            MAX_ROWS as u64,
            "limit must be a positive integer",
            &limit_too_large(),
        )? {
            0 => None,
            n => Some(n as usize),
        },
    };
    let max_rows = match one(pairs, "max_rows") {
        None => None,
        Some(s) => match whole(
            s,
            MAX_ROWS as u64,
            "max_rows must be a positive integer",
            &format!("max_rows must be at most {MAX_ROWS}"),
        )? {
            0 => return Err("max_rows must be a positive integer".into()),
            n => Some(n as usize),
        },
    };
    let duration = match duration_raw {
        None => None,
        Some(s) => Some(whole(
            s,
            u64::from(MAX_PERIODS),
            "duration must be a positive integer",
            &duration_too_large(),
        )? as u32),
    };

    // 9. Collecting needs something to collect over.
    let collect_raw = all(pairs, "collect");
    if !collect_raw.is_empty() && group_by.is_empty() && period.is_none() {
        return Err("collect can be used only with either ['group_by', 'period']".into());
    }

    // 10. Absolute and relative time.
    if start_at.is_some() && end_at.is_some() && duration.is_some() {
        return Err("Absolute and relative time cannot be requested at the same time - either ask for 'start_at' and 'end_at', or ask for 'start_at'/'end_at' with 'duration'".into());
    }
    if start_at.is_some() && end_at.is_none() && duration.is_none() {
        return Err("Use of 'start_at' requires 'end_at' or 'duration'".into());
    }
    if end_at.is_some() && start_at.is_none() && duration.is_none() {
        return Err("Use of 'end_at' requires 'start_at' or 'duration'".into());
    }
    if duration == Some(0) {
        return Err("'duration' must not be zero".into());
    }
    if duration.is_some() && period.is_none() {
        return Err("If 'duration' is requested (for relative time), 'period' is required - please add a period (like 'day', 'month' etc)".into());
    }

    // 11. What to collect.
    let mut collect = Vec::new();
    for c in &collect_raw {
        let (field, method, bare) = match c.split_once(':') {
            Some((field, method)) => (
                field,
                Method::parse(method).ok_or("Unknown collection method")?,
                false,
            ),
            None => (*c, Method::Set, true),
        };
        if !is_valid_key(field) {
            return Err("Cannot collect an invalid field name".into());
        }
        if field.starts_with('_') {
            return Err(
                "Cannot collect internal fields, internal fields start with an underscore".into(),
            );
        }
        if group_by.iter().any(|g| g == field) {
            return Err("Cannot collect by a field that is used for group_by".into());
        }
        let entry = Collect {
            field: field.to_string(),
            method,
            bare,
        };
        if !collect.contains(&entry) {
            collect.push(entry);
        }
    }

    // 12. Flags.
    let flatten = boolean(
        one(pairs, "flatten"),
        "flatten must be either 'true' or 'false'",
    )?;
    let inclusive = boolean(
        one(pairs, "inclusive"),
        "inclusive must be either 'true' or 'false'",
    )?;
    if one(pairs, "inclusive").is_some() && start_at.is_none() && end_at.is_none() {
        return Err("inclusive can be used only with either ['start_at', 'end_at']".into());
    }

    // 13. Data sets that do not allow raw queries.
    if !allow.raw_queries_allowed {
        if period.is_none() && group_by.is_empty() {
            return Err("querying for raw data is not allowed".into());
        }
        if let (Some(start), Some(end)) = (start_at, end_at) {
            if end - start < chrono::Duration::days(7) {
                return Err("The minimum time span for a query is 7 days".into());
            }
        }
        if period.is_some_and(|p| p != PeriodKind::Hour) {
            for (name, t) in [("start_at", start_at), ("end_at", end_at)] {
                if let Some(t) = t {
                    if !is_midnight(t) {
                        return Err(format!("{name} must be midnight"));
                    }
                }
            }
        }
        if period == Some(PeriodKind::Week) {
            use chrono::Datelike;
            for (name, t) in [("start_at", start_at), ("end_at", end_at)] {
                if t.is_some_and(|t| t.weekday() != chrono::Weekday::Mon) {
                    return Err(format!("{name} must be a monday"));
                }
            }
        }
        if period == Some(PeriodKind::Month) {
            use chrono::Datelike;
            for (name, t) in [("start_at", start_at), ("end_at", end_at)] {
                if t.is_some_and(|t| t.day() != 1) {
                    return Err(format!(
                        "'{name}' must be the first of the month for period=month queries"
                    ));
                }
            }
        }
    }

    // 14. A period window of at most MAX_PERIODS periods (a duration is
    // bounded above).
    if let (Some(kind), Some(start), Some(end)) = (period, start_at, end_at) {
        let (_, count) = super::execute::absolute_window(kind, start, end, inclusive);
        if count > i64::from(MAX_PERIODS) {
            return Err(format!(
                "A period query may cover at most {MAX_PERIODS} periods, and this one covers {count} - please narrow 'start_at' and 'end_at', or ask for a longer period (like 'month' rather than 'week')"
            ));
        }
    }

    // 15. Pulse: sharing records between periods by their days.
    let apportion = if boolean(
        one(pairs, "apportion"),
        "apportion must be either 'true' or 'false'",
    )? {
        if period.is_none() {
            return Err("apportion=true shares records between periods: it needs 'period'".into());
        }
        let Some(frequency) = allow.frequency else {
            return Err("apportion=true needs to know how long a record covers: Pulse's catalogue says it of its data types (a week for transactions-by-channel), and of another type its records' times must show it (each at the start of a day, a week, a month…, two of them one such period apart); of this data set, neither says it".into());
        };
        if collect
            .iter()
            .any(|c| !matches!(c.method, Method::Sum | Method::Count))
        {
            return Err("apportion=true shares sums between periods by days: collect only with :sum (or :count), not :mean, :min, :max or :set".into());
        }
        Some(frequency)
    } else {
        None
    };

    Ok(Query {
        start_at,
        end_at,
        inclusive,
        period,
        duration,
        filter_by,
        filter_by_prefix,
        group_by,
        collect,
        sort_by,
        limit,
        flatten,
        csv: one(pairs, "format") == Some("csv"),
        apportion,
        max_rows,
    })
}

/// The `limit` of a list of `/api/v1` (the audit log, a correction history):
/// `default` when none is given, else a whole number from 1 to `max`.
pub fn list_limit(limit: Option<i64>, default: i64, max: i64) -> Result<i64, String> {
    match limit {
        None => Ok(default),
        Some(n) if (1..=max).contains(&n) => Ok(n),
        Some(n) => Err(format!("limit must be from 1 to {max}, not {n}")),
    }
}

/// One query for each validation message, in the order they are checked, with
/// the message it gets. The parser's tests and the HTTP tests both walk it.
pub const MESSAGE_EXAMPLES: &[(&str, &str)] = &[
        ("foo=bar", "An unrecognised parameter was provided"),
        ("collect=a&collect=a&collect=a&collect=a&collect=a&collect=a&collect=a&collect=a&collect=a&collect=a&collect=a&collect=a&collect=a&collect=a&collect=a&collect=a&collect=a&collect=a&collect=a&collect=a&collect=a", "'collect' may be given at most 20 times in one query"),
        ("period=week", "Either 'duration' or both 'start_at' and 'end_at' are required for a period query"),
        ("period=week&duration=3&limit=3", "A period query can only be limited if it is grouped - please add 'group_by'"),
        ("start_at=2012-01-01&end_at=2012-02-01T00:00:00Z", "start_at is not a valid datetime"),
        ("start_at=2012-01-01T00:00:00Z&end_at=nope", "end_at is not a valid datetime"),
        ("start_at=0001-01-01T00:00:00Z&end_at=2012-01-01T00:00:00Z", "start_at must be in the years 1900 to 2200"),
        ("start_at=2012-01-01T00:00:00Z&end_at=9999-12-31T00:00:00Z", "end_at must be in the years 1900 to 2200"),
        ("filter_by=a:b&filter_by_prefix=a:b", "Cannot use both filter_by and filter_by_prefix in the same query"),
        ("filter_by=ab", "filter_by must be a field name and value separated by a colon (:) eg. authority:Westminster"),
        ("filter_by=a-b:c", "Cannot filter by an invalid field name"),
        ("period=fortnight&duration=2", "'period' must be one of ['hour', 'day', 'week', 'month', 'quarter', 'year']"),
        ("period=week&duration=2&sort_by=ab:ascending", "Cannot sort for period queries without group_by. Period queries are always sorted by time."),
        ("sort_by=ab", "sort_by must be a field name and sort direction separated by a colon (:) eg. authority:ascending"),
        ("sort_by=ab:up", "Unrecognised sort direction. Supported directions include: ascending, descending"),
        ("sort_by=a-b:ascending", "Cannot sort by an invalid field name"),
        ("group_by=a-b", "Cannot group by an invalid field name"),
        ("group_by=_secret", "Cannot group by internal fields, internal fields start with an underscore"),
        ("limit=-1", "limit must be a positive integer"),
        ("limit=x", "limit must be a positive integer"),
        ("limit=100001", "limit must be at most 100000"),
        ("max_rows=0", "max_rows must be a positive integer"),
        ("max_rows=-1", "max_rows must be a positive integer"),
        ("max_rows=100001", "max_rows must be at most 100000"),
        ("limit=99999999999999999999", "limit must be at most 100000"),
        ("period=day&duration=x", "duration must be a positive integer"),
        ("period=day&duration=-5", "duration must be a positive integer"),
        ("period=year&duration=4000000000", "'duration' must be at most 1000 - please ask for fewer periods, or for a longer period (like 'month' rather than 'week')"),
        ("period=hour&duration=100000000", "'duration' must be at most 1000 - please ask for fewer periods, or for a longer period (like 'month' rather than 'week')"),
        ("collect=value", "collect can be used only with either ['group_by', 'period']"),
        ("start_at=2012-01-01T00:00:00Z&end_at=2012-02-01T00:00:00Z&duration=3&period=day", "Absolute and relative time cannot be requested at the same time - either ask for 'start_at' and 'end_at', or ask for 'start_at'/'end_at' with 'duration'"),
        ("start_at=2012-01-01T00:00:00Z", "Use of 'start_at' requires 'end_at' or 'duration'"),
        ("end_at=2012-01-01T00:00:00Z", "Use of 'end_at' requires 'start_at' or 'duration'"),
        ("period=day&duration=0", "'duration' must not be zero"),
        ("duration=3", "If 'duration' is requested (for relative time), 'period' is required - please add a period (like 'day', 'month' etc)"),
        ("group_by=ab&collect=value:median", "Unknown collection method"),
        ("group_by=ab&collect=a-b:sum", "Cannot collect an invalid field name"),
        ("group_by=ab&collect=_id:sum", "Cannot collect internal fields, internal fields start with an underscore"),
        ("group_by=ab&collect=ab:sum", "Cannot collect by a field that is used for group_by"),
        ("flatten=yes", "flatten must be either 'true' or 'false'"),
        ("start_at=2012-01-01T00:00:00Z&end_at=2012-02-01T00:00:00Z&inclusive=maybe", "inclusive must be either 'true' or 'false'"),
        ("inclusive=true", "inclusive can be used only with either ['start_at', 'end_at']"),
        ("period=week&start_at=1900-01-01T00:00:00Z&end_at=2200-12-31T00:00:00Z", "A period query may cover at most 1000 periods, and this one covers 15706 - please narrow 'start_at' and 'end_at', or ask for a longer period (like 'month' rather than 'week')"),
        ("period=hour&start_at=2012-01-01T00:00:00Z&end_at=2012-02-11T16:00:01Z", "A period query may cover at most 1000 periods, and this one covers 1001 - please narrow 'start_at' and 'end_at', or ask for a longer period (like 'month' rather than 'week')"),
];

/// Keys of answer rows that may be sorted on besides record fields: `_count`,
/// `_group_count` and collected keys like `value:sum`.
fn is_answer_key(field: &str) -> bool {
    match field.split_once(':') {
        Some((f, m)) => is_valid_key(f) && Method::parse(m).is_some(),
        None => field == "_count" || field == "_group_count",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(s: &str) -> Result<Query, String> {
        q_with(s, true)
    }

    fn q_with(s: &str, raw: bool) -> Result<Query, String> {
        let pairs: Vec<(String, String)> = s
            .split('&')
            .filter(|p| !p.is_empty())
            .map(|p| {
                let (k, v) = p.split_once('=').unwrap_or((p, ""));
                (k.to_string(), v.replace("%2B", "+"))
            })
            .collect();
        parse(
            &pairs,
            Allowances {
                raw_queries_allowed: raw,
                frequency: None,
            },
        )
    }

    fn err(s: &str) -> String {
        q(s).unwrap_err()
    }

    #[test]
    fn every_message_in_order() {
        let cases = MESSAGE_EXAMPLES;
        for (query, message) in cases {
            assert_eq!(&err(query), message, "for {query}");
        }
    }

    #[test]
    fn a_query_may_end_as_the_last_year_ends_and_no_later() {
        let to = |end: &str| {
            q(&format!(
                "period=month&start_at=2200-01-01T00:00:00Z&end_at={end}"
            ))
        };
        assert!(to("2201-01-01T00:00:00Z").is_ok());
        assert_eq!(
            to("2201-01-01T00:00:01Z").unwrap_err(),
            "end_at must be in the years 1900 to 2200"
        );
        assert_eq!(
            to("2201-01-02T00:00:00Z").unwrap_err(),
            "end_at must be in the years 1900 to 2200"
        );
        assert_eq!(
            q("start_at=2201-01-01T00:00:00Z&end_at=2201-01-01T00:00:00Z").unwrap_err(),
            "start_at must be in the years 1900 to 2200"
        );
    }

    #[test]
    fn data_sets_without_raw_queries_have_more_rules() {
        let e = |s: &str| q_with(s, false).unwrap_err();
        assert_eq!(e(""), "querying for raw data is not allowed");
        assert_eq!(
            e("group_by=ab&start_at=2012-01-01T00:00:00Z&end_at=2012-01-03T00:00:00Z"),
            "The minimum time span for a query is 7 days"
        );
        assert_eq!(
            e("period=day&start_at=2012-01-01T01:00:00Z&end_at=2012-02-01T00:00:00Z"),
            "start_at must be midnight"
        );
        assert_eq!(
            e("period=week&start_at=2012-01-03T00:00:00Z&end_at=2012-02-06T00:00:00Z"),
            "start_at must be a monday"
        );
        assert_eq!(
            e("period=month&start_at=2012-01-01T00:00:00Z&end_at=2012-02-02T00:00:00Z"),
            "'end_at' must be the first of the month for period=month queries"
        );
        assert!(q_with(
            "period=week&start_at=2012-01-02T00:00:00Z&end_at=2012-02-06T00:00:00Z",
            false
        )
        .is_ok());
    }

    #[test]
    fn a_full_query_parses() {
        let query = q("period=month&duration=12&filter_by=service:a&filter_by=flag:true&group_by=channel&collect=count:sum&collect=name&sort_by=count:sum:descending&limit=5&flatten=true").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(query.period, Some(PeriodKind::Month));
        assert_eq!(query.duration, Some(12));
        assert_eq!(
            query.filter_by,
            vec![
                ("service".into(), "a".into()),
                ("flag".into(), "true".into())
            ]
        );
        assert_eq!(query.group_by, vec!["channel".to_string()]);
        assert_eq!(query.collect[0].key(), "count:sum");
        assert!(query.collect[1].bare);
        assert_eq!(query.limit, Some(5));
        assert!(query.flatten);
        assert!(q("start_at=2012-01-01T00:00:00%2B01:00&end_at=2012-01-02T00:00:00Z").is_ok());
        assert_eq!(q("limit=0").unwrap().limit, None);
        assert_eq!(q("max_rows=10").unwrap().row_bound(), 10);
        assert_eq!(q("").unwrap().row_bound(), MAX_ROWS);
    }
}
