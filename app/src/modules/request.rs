//! From a module's stored query and the view to the read API request its
//! figures come from (and the year-earlier and CSV requests derived from it).
//! Pure; every query-string edit goes through [`crate::query_string`].

use chrono::{DateTime, Utc};

use super::view::{is_time_series, ViewParams};
use crate::api::encode_component;
use crate::kpi::{
    add_months, next_period_start, parse_month, period_rank, period_start, year_earlier,
    MAX_PERIODS,
};
use crate::model::{Module, ModuleType, Period, PeriodKind};

use crate::query_string::{self, encode as encode_pairs, first, remove, set};

/// An RFC 3339 time in UTC, to the second (written out by hand: chrono's
/// `format` would bring its whole formatter into the browser's bundle).
fn stamp(t: DateTime<Utc>) -> String {
    use chrono::Timelike;
    format!(
        "{}T{:02}:{:02}:{:02}Z",
        crate::notes::date_value(t),
        t.hour(),
        t.minute(),
        t.second()
    )
}

/// Roughly how many days a period lasts, to keep a duration's span when the
/// period changes.
fn days(kind: PeriodKind) -> f64 {
    match kind {
        PeriodKind::Hour => 1.0 / 24.0,
        PeriodKind::Day => 1.0,
        PeriodKind::Week => 7.0,
        PeriodKind::Month => 365.25 / 12.0,
        PeriodKind::Quarter => 365.25 / 4.0,
        PeriodKind::Year => 365.25,
    }
}

/// The time now: the browser's clock in the browser, the system's elsewhere.
pub fn now() -> DateTime<Utc> {
    #[cfg(feature = "hydrate")]
    {
        DateTime::from_timestamp_millis(js_sys::Date::now() as i64).unwrap_or_default()
    }
    #[cfg(not(feature = "hydrate"))]
    {
        Utc::now()
    }
}

/// A relative window (`duration` with neither `start_at` nor `end_at`) made to
/// end with the current period: the read API, as Backdrop's did, otherwise
/// counts back from the start of the current period, leaving it out, and a
/// dashboard shows the figures of this week (or month) as soon as they are
/// sent. `end_at` is the end of the current period, so the request stays
/// the same until the period ends.
fn through_current_period(pairs: &mut Vec<(String, String)>, now: DateTime<Utc>) {
    let Some(kind) = first(pairs, "period").and_then(PeriodKind::parse) else {
        return;
    };
    if first(pairs, "duration").is_none()
        || first(pairs, "start_at").is_some()
        || first(pairs, "end_at").is_some()
    {
        return;
    }
    let end = next_period_start(kind, period_start(kind, now));
    set(pairs, "end_at", stamp(end));
}

/// The address of a data set (`group/type`) in the read API.
pub fn data_set_path(data_set: &str) -> Option<String> {
    let (group, data_type) = data_set.split_once('/')?;
    Some(format!(
        "/data/{}/{}",
        encode_component(group),
        encode_component(data_type)
    ))
}

/// The module's stored query with the view applied: the period switched (its
/// duration converted to cover about the same span; not for a bar chart with a
/// number, whose title names its period), the months turned into
/// `start_at`/`end_at`, and grouped period queries flattened to one row per period
/// and group. KPIs keep their own query: they show the latest figure. A
/// chart's window counted back from now ends with the current period (`now`'s).
///
/// A period finer than the data's own (from the catalogue,
/// [`crate::catalogue::frequency`]) is refused: monthly satisfaction stays by
/// month when weeks are chosen. Where the data's periods straddle the ones
/// shown (weeks in months), `apportion=true` asks for each record to be shared
/// between them by its days.
pub fn module_query(module: &Module, view: &ViewParams, now: DateTime<Utc>) -> String {
    if module.module_type == ModuleType::Realtime {
        return encode_pairs(&realtime_pairs(module, now));
    }
    let mut pairs = viewed(module, view);
    // Charts over time show (and mark) the period under way, and KPIs pick
    // their latest complete period from it; a journey or a table adds up
    // whole periods (Backdrop's window of complete ones).
    if is_time_series(module.module_type) || module.module_type == ModuleType::Kpi {
        through_current_period(&mut pairs, now);
        not_past_current_period(&mut pairs, now);
    }
    encode_pairs(&pairs)
}

/// A window chosen to end after the current period ends with it
/// ([`crate::kpi::not_past_current_period`]).
fn not_past_current_period(pairs: &mut Vec<(String, String)>, now: DateTime<Utc>) {
    let Some(kind) = first(pairs, "period").and_then(PeriodKind::parse) else {
        return;
    };
    let time = |name: &str| {
        first(pairs, name)
            .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
            .map(|t| t.with_timezone(&Utc))
    };
    let (Some(end), start) = (time("end_at"), time("start_at")) else {
        return;
    };
    let kept = crate::kpi::not_past_current_period(kind, start, end, now);
    if kept != end {
        set(pairs, "end_at", stamp(kept));
    }
}

/// How many hours a realtime module shows unless its `hours` option says.
pub const REALTIME_HOURS: u32 = 6;
/// The most hours a realtime module may show.
pub const MAX_REALTIME_HOURS: u32 = 48;
/// The most records a realtime module reads: one a minute over its hours.
const REALTIME_RECORDS: u32 = 60 * MAX_REALTIME_HOURS;

/// The hours a realtime module shows: its `hours` option (1 to
/// [`MAX_REALTIME_HOURS`]), else [`REALTIME_HOURS`].
pub fn realtime_hours(module: &Module) -> u32 {
    module
        .options
        .get("hours")
        .and_then(serde_json::Value::as_u64)
        .filter(|h| (1..=u64::from(MAX_REALTIME_HOURS)).contains(h))
        .map_or(REALTIME_HOURS, |h| h as u32)
}

/// A realtime module's request: its stored filters, and its records of the
/// last hours, oldest first. The window is of whole minutes, so the same
/// request is asked (and answered from the cache) for a minute.
fn realtime_pairs(module: &Module, now: DateTime<Utc>) -> Vec<(String, String)> {
    let mut pairs = query_string::pairs(&module.query);
    let minute = now.timestamp() - now.timestamp().rem_euclid(60);
    let at = |seconds: i64| DateTime::from_timestamp(seconds, 0).unwrap_or(now);
    set(
        &mut pairs,
        "start_at",
        stamp(at(minute - 3_600 * i64::from(realtime_hours(module)))),
    );
    // A count stamped a little ahead (a collector's clock) is shown too.
    set(&mut pairs, "end_at", stamp(at(minute + 120)));
    set(&mut pairs, "sort_by", "_timestamp:ascending".to_string());
    set(&mut pairs, "limit", REALTIME_RECORDS.to_string());
    pairs
}

/// The module's stored query with the view applied, as [`module_query`] but
/// for the window's end (which does not change what the query asks, only up
/// to when).
fn viewed(module: &Module, view: &ViewParams) -> Vec<(String, String)> {
    let mut pairs = query_string::pairs(&module.query);
    let stored_period = first(&pairs, "period").and_then(PeriodKind::parse);
    if module.module_type == ModuleType::Kpi {
        apportion(module, &mut pairs);
        return pairs;
    }
    // A period chosen, else the stored one: either is shown by no period
    // finer than the data's own (a quarter's cost is no month's figure).
    let view = &ViewParams {
        period: view.period.or(stored_period).map(|p| {
            let shown = frequency(module).map_or(p, |f| crate::kpi::shown_by(f, p));
            // An average of averages is no figure: a year's cost per
            // transaction weighs each quarter by its transactions, where a
            // mean of quarters counts each the same.
            match averaged_at_most(module, stored_period) {
                Some(most) if period_rank(shown) > period_rank(most) => most,
                _ => shown,
            }
        }),
        ..view.clone()
    };
    // A bar chart with a number is "per month" (or week...) by its title: it
    // keeps its period, as a KPI does, and follows only the months chosen.
    let switches =
        is_time_series(module.module_type) && module.module_type != ModuleType::BarChartWithNumber;
    if let (Some(old), Some(new), true) = (stored_period, view.period, switches) {
        if let Some(duration) = first(&pairs, "duration").and_then(|d| d.parse::<u32>().ok()) {
            // The same span, within the read API's bound.
            let span = f64::from(duration) * days(old) / days(new);
            set(
                &mut pairs,
                "duration",
                (span.ceil().clamp(1.0, f64::from(MAX_PERIODS)) as u32).to_string(),
            );
        }
        set(&mut pairs, "period", new.as_str().to_string());
    }
    let from = view.from.as_deref().and_then(parse_month);
    let to = view
        .to
        .as_deref()
        .and_then(parse_month)
        .map(|t| add_months(t, 1));
    match (from, to) {
        (Some(from), Some(to)) => {
            remove(&mut pairs, "duration");
            set(&mut pairs, "start_at", stamp(from));
            set(&mut pairs, "end_at", stamp(to));
        }
        (Some(from), None) => {
            remove(&mut pairs, "end_at");
            set(&mut pairs, "start_at", stamp(from));
        }
        (None, Some(to)) => {
            remove(&mut pairs, "start_at");
            set(&mut pairs, "end_at", stamp(to));
        }
        (None, None) => {}
    }
    // Months that hold more of the chart's own periods than the read API
    // answers (years of days, with no period chosen: each chart keeps its
    // own) are shown by the shortest longer period that fits, and the chart
    // says so ([`scale_note`]): the page never asks for what it is refused.
    if let (Some(from), Some(to), Some(kind)) = (
        from,
        to,
        first(&pairs, "period").and_then(PeriodKind::parse),
    ) {
        let fits = fitting_period(kind, from, to);
        if fits != kind {
            set(&mut pairs, "period", fits.as_str().to_string());
        }
    }
    let period = first(&pairs, "period").is_some();
    if period && first(&pairs, "group_by").is_some() {
        set(&mut pairs, "flatten", "true".to_string());
    }
    apportion(module, &mut pairs);
    pairs
}

/// `kind`, or the shortest longer period of which `from` to `to` holds at
/// most [`MAX_PERIODS`].
fn fitting_period(kind: PeriodKind, from: DateTime<Utc>, to: DateTime<Utc>) -> PeriodKind {
    PeriodKind::ALL
        .into_iter()
        .filter(|k| crate::kpi::period_rank(*k) >= crate::kpi::period_rank(kind))
        .find(|k| crate::kpi::period_count(*k, from, to) <= i64::from(MAX_PERIODS))
        .unwrap_or(PeriodKind::Year)
}

/// What a chart says about its periods: when they are not its data's own
/// ([`period_note`]), and when they run past the months chosen
/// ([`beyond_months`]).
pub fn scale_note(module: &Module, view: &ViewParams) -> Option<String> {
    let notes: Vec<String> = [period_note(module, view), beyond_months(module, view)]
        .into_iter()
        .flatten()
        .collect();
    (!notes.is_empty()).then(|| notes.join(" "))
}

/// What a chart says when its periods run past the months chosen: by quarter
/// or year a figure is of a whole calendar quarter or year, so months that
/// begin or end inside one (a financial year, April to March, by year) are
/// shown with months beyond them, and the chart says which.
fn beyond_months(module: &Module, view: &ViewParams) -> Option<String> {
    // (a KPI keeps its own window whatever months are chosen)
    if module.module_type == ModuleType::Kpi {
        return None;
    }
    let pairs = viewed(module, view);
    let shown = first(&pairs, "period")
        .and_then(PeriodKind::parse)
        .filter(|k| matches!(k, PeriodKind::Quarter | PeriodKind::Year))?;
    let whole = |t: DateTime<Utc>| {
        let start = period_start(shown, t);
        crate::kpi::format_period(&Period {
            kind: shown,
            start,
            end: next_period_start(shown, start),
        })
    };
    let mut beyond = Vec::new();
    if let Some(from) = view.from.as_deref().and_then(parse_month) {
        if period_start(shown, from) != from {
            beyond.push(format!(
                "{} begins before {}",
                whole(from),
                crate::kpi::format_month(from)
            ));
        }
    }
    if let Some(to) = view.to.as_deref().and_then(parse_month) {
        let after = add_months(to, 1);
        if period_start(shown, after) != after {
            beyond.push(format!(
                "{} ends after {}",
                whole(to),
                crate::kpi::format_month(to)
            ));
        }
    }
    (!beyond.is_empty()).then(|| {
        format!(
            "By {}, each figure is of a whole calendar {}: {}.",
            shown.as_str(),
            shown.as_str(),
            beyond.join(", and ")
        )
    })
}

/// Whether a query collects sums and nothing else: only sums are shared
/// between periods by days. A week's mean is no part of a month's, and a
/// count of records (`:count`, or Backdrop's `_count` of a query that
/// collects nothing) would count a record shared between two months in
/// both: those are by the periods the records start in.
fn only_sums(pairs: &[(String, String)]) -> bool {
    let mut collected = pairs.iter().filter(|(k, _)| k == "collect").peekable();
    collected.peek().is_some() && collected.all(|(_, v)| v.ends_with(":sum"))
}

/// Whether the module collects an average of its records (any of its
/// fields, not only the one it charts): it cannot be shown by periods
/// longer than its data's own, nor than its own stored ones (see
/// [`averaged_at_most`]).
fn averages(module: &Module) -> bool {
    query_string::pairs(&module.query)
        .iter()
        .any(|(k, v)| k == "collect" && v.ends_with(":mean"))
}

/// The longest period a module whose figure is an average of its records
/// (`cost_per_transaction:mean`) is shown by: the longer of how often its
/// data comes and its own stored period (an average of longer periods would
/// be an average of averages). `None` for other modules.
fn averaged_at_most(module: &Module, stored: Option<PeriodKind>) -> Option<PeriodKind> {
    if !averages(module) {
        return None;
    }
    [frequency(module), stored]
        .into_iter()
        .flatten()
        .max_by_key(|k| period_rank(*k))
}

/// What a chart says about its periods when they are not its data's own:
/// weekly figures shared between months by their days, or monthly data kept
/// by month when weeks were chosen.
fn period_note(module: &Module, view: &ViewParams) -> Option<String> {
    let pairs = viewed(module, view);
    let shown = first(&pairs, "period").and_then(PeriodKind::parse)?;
    // Shown by a longer period than the chart's own, as the months chosen
    // hold too many of its own.
    let own = shown_period(
        module,
        &ViewParams {
            from: None,
            to: None,
            ..view.clone()
        },
    );
    if let Some(own) = own.filter(|own| *own != shown) {
        return Some(format!(
            "Shown by {}: the months chosen hold more than {} {}s, more than a chart shows.",
            shown.as_str(),
            crate::kpi::format_count(f64::from(MAX_PERIODS)),
            own.as_str()
        ));
    }
    // A longer period asked of averages, which are not averaged again (a
    // KPI, and a bar chart with a number, keep their period whatever is
    // asked: nothing to say).
    let follows =
        is_time_series(module.module_type) && module.module_type != ModuleType::BarChartWithNumber;
    if let Some(asked) = view
        .period
        .filter(|asked| follows && period_rank(*asked) > period_rank(shown) && averages(module))
    {
        return Some(format!(
            "Averages are shown by {}: a {}'s figure is no plain average of its {}s' (each \
             would count the same, whatever it held).",
            shown.as_str(),
            asked.as_str(),
            shown.as_str()
        ));
    }
    let data = frequency(module)?;
    let adjective = |k: PeriodKind| match k {
        PeriodKind::Hour => "Hourly",
        PeriodKind::Day => "Daily",
        PeriodKind::Week => "Weekly",
        PeriodKind::Month => "Monthly",
        PeriodKind::Quarter => "Quarterly",
        PeriodKind::Year => "Yearly",
    };
    if first(&pairs, "apportion") == Some("true") {
        return Some(format!(
            "{} figures added up by {}: a {} that spans two {}s counts in each for its days there.",
            adjective(data),
            shown.as_str(),
            data.as_str(),
            shown.as_str()
        ));
    }
    match view.period {
        Some(asked)
            if crate::kpi::period_rank(asked) < crate::kpi::period_rank(shown) && shown == data =>
        {
            Some(format!(
                "{} data: shown by {}, the shortest period it is sent for.",
                adjective(data),
                data.as_str()
            ))
        }
        _ => None,
    }
}

/// How often the module's data set is sent: as its data type says in the
/// catalogue, else as its records' times show ([`Module::frequency`]), when
/// known.
pub fn frequency(module: &Module) -> Option<PeriodKind> {
    let (_, data_type) = module.data_set.as_deref()?.split_once('/')?;
    crate::catalogue::frequency(data_type).or(module.frequency)
}

/// Whether the module's figures are its data's records shared between longer
/// periods by their days (weeks by month): its chart says so.
pub fn is_apportioned(query: &str) -> bool {
    first(&query_string::pairs(query), "apportion") == Some("true")
}

/// Whether a module's figures by periods of `kind` are its records' sums
/// shared between them by their days (weeks by month): estimates, whose
/// counts the pages write whole while rates are worked out from them as
/// they are.
pub fn shared_by_days(module: &Module, kind: PeriodKind) -> bool {
    frequency(module).is_some_and(|f| crate::kpi::is_shared(f, kind))
        && only_sums(&query_string::pairs(&module.query))
}

/// Asks for records to be shared by days where the data's periods straddle the
/// ones asked for (and only then, so other answers are Backdrop's own).
fn apportion(module: &Module, pairs: &mut Vec<(String, String)>) {
    let kind = first(pairs, "period").and_then(PeriodKind::parse);
    match (frequency(module), kind) {
        (Some(f), Some(k)) if crate::kpi::is_shared(f, k) && only_sums(pairs) => {
            set(pairs, "apportion", "true".to_string());
        }
        _ => remove(pairs, "apportion"),
    }
}

/// The period a module's figures are shown by, with the view applied.
pub fn shown_period(module: &Module, view: &ViewParams) -> Option<PeriodKind> {
    first(&viewed(module, view), "period").and_then(PeriodKind::parse)
}

/// The read API request (path and query) for a module's figures at `now`;
/// `None` for a section, or a module whose data set is not `group/type`.
pub fn module_request(module: &Module, view: &ViewParams, now: DateTime<Utc>) -> Option<String> {
    let path = data_set_path(module.data_set.as_deref()?)?;
    Some(query_string::href(&path, &module_query(module, view, now)))
}

/// The request for the same periods a year earlier, as an explicit window, so
/// the answer lines up with `periods` one for one.
pub fn year_earlier_request(request: &str, periods: &[Period]) -> Option<String> {
    let (first_period, last_period) = (periods.first()?, periods.last()?);
    let (path, query) = split_request(request);
    let mut pairs = query_string::pairs(query);
    remove(&mut pairs, "duration");
    set(
        &mut pairs,
        "start_at",
        stamp(year_earlier(first_period).start),
    );
    set(&mut pairs, "end_at", stamp(year_earlier(last_period).end));
    Some(query_string::href(path, &encode_pairs(&pairs)))
}

/// The request for `periods` and the year before them, as an explicit window:
/// what a chart's unusual figures are judged over, so that each period can be
/// compared with the same period a year earlier (see
/// [`crate::notes::unexplained_figures`]).
pub fn with_year_before_request(request: &str, periods: &[Period]) -> Option<String> {
    let (first_period, last_period) = (periods.first()?, periods.last()?);
    let (path, query) = split_request(request);
    let mut pairs = query_string::pairs(query);
    remove(&mut pairs, "duration");
    set(
        &mut pairs,
        "start_at",
        stamp(year_earlier(first_period).start),
    );
    set(&mut pairs, "end_at", stamp(last_period.end));
    Some(query_string::href(path, &encode_pairs(&pairs)))
}

/// The same request answered as CSV: `format=csv` added after its query.
pub fn csv_request(request: &str) -> String {
    let (path, query) = split_request(request);
    let mut pairs = query_string::pairs(query);
    pairs.push(("format".to_string(), "csv".to_string()));
    query_string::href(path, &encode_pairs(&pairs))
}

/// The request as a page reads it: refused by the read API, before its answer
/// is made, when that would hold more than `rows` rows (`max_rows`). A page
/// reads no more than it can show.
pub fn at_most_rows(request: &str, rows: usize) -> String {
    let (path, query) = split_request(request);
    let mut pairs = query_string::pairs(query);
    set(&mut pairs, "max_rows", rows.to_string());
    query_string::href(path, &encode_pairs(&pairs))
}

/// A request's path and its query (empty when it has none).
fn split_request(request: &str) -> (&str, &str) {
    request.split_once('?').unwrap_or((request, ""))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kpi::period_containing;
    use crate::modules::fixtures::{module, t, view};
    use serde_json::json;

    /// A Wednesday in November 2026.
    fn now() -> DateTime<Utc> {
        t("2026-11-25T15:30:00Z")
    }

    #[test]
    fn the_stored_query_is_used_ending_with_the_current_period_without_a_view() {
        let weeks = module(
            ModuleType::SingleTimeseries,
            "period=week&duration=52&collect=count:sum",
            json!({}),
        );
        // The read API leaves out the unfinished period unless asked for it.
        assert_eq!(
            module_request(&weeks, &ViewParams::default(), now()).unwrap(),
            "/data/renew/transactions-by-channel?period=week&duration=52&collect=count:sum&end_at=2026-11-30T00:00:00Z"
        );
        assert_eq!(scale_note(&weeks, &ViewParams::default()), None);
        // A window the module names itself is left as it is.
        let fixed = module(
            ModuleType::SingleTimeseries,
            "period=week&duration=4&end_at=2026-01-05T00:00:00Z",
            json!({}),
        );
        assert_eq!(
            module_query(&fixed, &ViewParams::default(), now()),
            "period=week&duration=4&end_at=2026-01-05T00:00:00Z"
        );
    }

    #[test]
    fn weeks_shown_by_month_are_shared_by_days_and_say_so() {
        // Weekly transactions by month: shared by days.
        let m = module(
            ModuleType::SingleTimeseries,
            "period=month&duration=36&collect=count:sum",
            json!({}),
        );
        assert_eq!(
            module_request(&m, &ViewParams::default(), now()).unwrap(),
            "/data/renew/transactions-by-channel?period=month&duration=36&collect=count:sum&apportion=true&end_at=2026-12-01T00:00:00Z"
        );
        assert_eq!(
            shown_period(&m, &ViewParams::default()),
            Some(PeriodKind::Month)
        );
        assert_eq!(
            scale_note(&m, &ViewParams::default()).unwrap(),
            "Weekly figures added up by month: a week that spans two months counts in each for its days there."
        );
        // A mean cannot be shared: Backdrop's own answer.
        let mean = module(
            ModuleType::Kpi,
            "period=month&duration=3&collect=count:mean",
            json!({}),
        );
        assert!(!module_query(&mean, &ViewParams::default(), now()).contains("apportion"));
        // Switched to weeks: the data's own period, nothing shared.
        let weekly = module_query(&m, &view(Some(PeriodKind::Week), None, None), now());
        assert!(!weekly.contains("apportion"), "{weekly}");
        // A type the catalogue does not know is not shared while how often
        // its records come is not known either...
        let mut own = m.clone();
        own.data_set = Some("renew/my-own-counts".into());
        assert!(!module_query(&own, &ViewParams::default(), now()).contains("apportion"));
        assert_eq!(scale_note(&own, &ViewParams::default()), None);
        // ...and is, as the catalogue's, once its records show they come weekly.
        own.frequency = Some(PeriodKind::Week);
        assert!(module_query(&own, &ViewParams::default(), now()).contains("apportion=true"));
        assert_eq!(
            scale_note(&own, &ViewParams::default()).unwrap(),
            "Weekly figures added up by month: a week that spans two months counts in each for its days there."
        );
        // The catalogue says first: transactions come weekly whatever is filled in.
        let mut known = m.clone();
        known.frequency = Some(PeriodKind::Month);
        assert!(module_query(&known, &ViewParams::default(), now()).contains("apportion=true"));
    }

    #[test]
    fn a_period_finer_than_the_data_is_refused_and_said() {
        let mut m = module(
            ModuleType::UserSatisfactionGraph,
            "period=month&duration=12&collect=rating_1:sum&collect=total:sum",
            json!({}),
        );
        m.data_set = Some("renew/user-satisfaction".into());
        let weeks = view(Some(PeriodKind::Week), None, None);
        let q = query_string::pairs(&module_query(&m, &weeks, now()));
        assert_eq!(first(&q, "period"), Some("month"));
        assert_eq!(first(&q, "duration"), Some("12"));
        assert_eq!(
            scale_note(&m, &weeks).unwrap(),
            "Monthly data: shown by month, the shortest period it is sent for."
        );
        // A quarter of monthly data is made of whole months: nothing to say.
        let quarters = view(Some(PeriodKind::Quarter), None, None);
        assert_eq!(scale_note(&m, &quarters), None);
        assert!(!module_query(&m, &quarters, now()).contains("apportion"));
    }

    #[test]
    fn switching_the_period_keeps_the_span_and_flattens_groups() {
        let m = module(
            ModuleType::GroupedTimeseries,
            "period=week&duration=156&group_by=channel&collect=count:sum",
            json!({}),
        );
        let q = query_string::pairs(&module_query(
            &m,
            &view(Some(PeriodKind::Month), None, None),
            now(),
        ));
        assert_eq!(first(&q, "period"), Some("month"));
        // 156 weeks are 1,092 days: 35.9 months, so 36.
        assert_eq!(first(&q, "duration"), Some("36"));
        assert_eq!(first(&q, "flatten"), Some("true"));
        let q = query_string::pairs(&module_query(
            &m,
            &view(Some(PeriodKind::Year), None, None),
            now(),
        ));
        assert_eq!(first(&q, "duration"), Some("3"));
        // "Transactions per month" stays monthly.
        let bars = module(
            ModuleType::BarChartWithNumber,
            "period=month&duration=6&collect=count:sum",
            json!({}),
        );
        let q = query_string::pairs(&module_query(
            &bars,
            &view(Some(PeriodKind::Week), None, None),
            now(),
        ));
        assert_eq!(first(&q, "period"), Some("month"));
        assert_eq!(first(&q, "duration"), Some("6"));
    }

    #[test]
    fn months_become_a_window_from_the_first_of_the_first_to_after_the_last() {
        let m = module(
            ModuleType::SingleTimeseries,
            "period=month&duration=36&collect=count:sum",
            json!({}),
        );
        let q = query_string::pairs(&module_query(
            &m,
            &view(None, Some("2025-01"), Some("2025-06")),
            now(),
        ));
        assert_eq!(first(&q, "duration"), None);
        assert_eq!(first(&q, "start_at"), Some("2025-01-01T00:00:00Z"));
        assert_eq!(first(&q, "end_at"), Some("2025-07-01T00:00:00Z"));
        // One end only: the duration counts from it.
        let q = query_string::pairs(&module_query(&m, &view(None, None, Some("2025-12")), now()));
        assert_eq!(first(&q, "end_at"), Some("2026-01-01T00:00:00Z"));
        assert_eq!(first(&q, "duration"), Some("36"));
    }

    #[test]
    fn months_of_more_days_than_a_chart_shows_are_shown_by_week_and_it_says_so() {
        // A chart of daily figures (a data type the catalogue does not
        // describe), no period chosen: it keeps its own, by day.
        let mut daily = module(
            ModuleType::SingleTimeseries,
            "period=day&duration=30&collect=count:sum",
            json!({}),
        );
        daily.data_set = Some("renew/site-visits".into());
        let year = view(None, Some("2025-01"), Some("2025-12"));
        let q = query_string::pairs(&module_query(&daily, &year, now()));
        assert_eq!(first(&q, "period"), Some("day"));
        assert_eq!(scale_note(&daily, &year), None);
        // Four years are 1,461 days, more than the read API answers: by week
        // (209 of them), which the chart says.
        let years = view(None, Some("2022-01"), Some("2025-12"));
        let q = query_string::pairs(&module_query(&daily, &years, now()));
        assert_eq!(first(&q, "period"), Some("week"));
        assert_eq!(first(&q, "start_at"), Some("2022-01-01T00:00:00Z"));
        assert_eq!(
            scale_note(&daily, &years).as_deref(),
            Some("Shown by week: the months chosen hold more than 1,000 days, more than a chart shows.")
        );
        // A period chosen is kept (the view's own check refuses too many).
        let by_month = view(Some(PeriodKind::Month), Some("2022-01"), Some("2025-12"));
        let q = query_string::pairs(&module_query(&daily, &by_month, now()));
        assert_eq!(first(&q, "period"), Some("month"));
        assert_eq!(scale_note(&daily, &by_month), None);
    }

    #[test]
    fn averages_are_never_averaged_again_over_longer_periods() {
        let mut cost = module(
            ModuleType::SingleTimeseries,
            "period=quarter&duration=8&collect=cost_per_transaction:mean",
            json!({}),
        );
        cost.data_set = Some("renew/cost-per-transaction".into());
        // By year: kept by quarter, and said.
        let by_year = view(Some(PeriodKind::Year), None, None);
        let q = query_string::pairs(&module_query(&cost, &by_year, now()));
        assert_eq!(first(&q, "period"), Some("quarter"));
        assert_eq!(
            scale_note(&cost, &by_year).unwrap(),
            "Averages are shown by quarter: a year's figure is no plain average of its quarters' \
             (each would count the same, whatever it held)."
        );
        // By quarter, nothing to say; a sum by year is added up as before.
        assert_eq!(
            scale_note(&cost, &view(Some(PeriodKind::Quarter), None, None)),
            None
        );
        let mut total = cost.clone();
        total.query = "period=quarter&duration=8&collect=cost:sum".into();
        let q = query_string::pairs(&module_query(&total, &by_year, now()));
        assert_eq!(first(&q, "period"), Some("year"));
        // A KPI tile keeps its own period and window: nothing to say.
        let mut tile = cost.clone();
        tile.module_type = ModuleType::Kpi;
        assert_eq!(scale_note(&tile, &by_year), None);
        let months = view(Some(PeriodKind::Year), Some("2025-05"), Some("2026-03"));
        assert_eq!(scale_note(&tile, &months), None);
        // Monthly means of weekly data: by month as stored, never by year;
        // of data whose frequency is not known, likewise by its own period.
        let mut monthly = cost.clone();
        monthly.data_set = Some("renew/transactions-by-channel".into());
        monthly.query = "period=month&duration=12&collect=count:mean".into();
        let by_month = view(Some(PeriodKind::Month), None, None);
        let q = query_string::pairs(&module_query(&monthly, &by_month, now()));
        assert_eq!(first(&q, "period"), Some("month"));
        let q = query_string::pairs(&module_query(&monthly, &by_year, now()));
        assert_eq!(first(&q, "period"), Some("month"));
        monthly.data_set = Some("renew/my-own-levels".into());
        let q = query_string::pairs(&module_query(&monthly, &by_year, now()));
        assert_eq!(first(&q, "period"), Some("month"));
        assert!(scale_note(&monthly, &by_year)
            .unwrap()
            .starts_with("Averages are shown by month: a year's figure"));
    }

    #[test]
    fn only_sums_are_shared_by_days_and_no_period_is_finer_than_the_data() {
        let period = |m: &Module, v: &ViewParams| {
            let q = query_string::pairs(&module_query(m, v, now()));
            (
                first(&q, "period").map(str::to_string),
                first(&q, "apportion").map(str::to_string),
            )
        };
        let by_month = view(Some(PeriodKind::Month), None, None);
        let mut m = module(
            ModuleType::SingleTimeseries,
            "period=week&duration=26&collect=count:sum",
            json!({}),
        );
        m.data_set = Some("renew/transactions-by-channel".into());
        assert_eq!(
            period(&m, &by_month),
            (Some("month".into()), Some("true".into()))
        );
        // A mean beside the sum: weeks are not shared by days, so they are
        // not added up by month at all (a month of five weeks' starts would
        // read a quarter above one of four): kept by week.
        m.query = "period=week&duration=26&collect=count:sum&collect=count:mean".into();
        assert_eq!(period(&m, &by_month), (Some("week".into()), None));
        // Nor is a count of records (a week shared by two months is one
        // record): counted by the month each starts in.
        m.query = "period=week&duration=26&collect=count:count".into();
        assert_eq!(period(&m, &by_month), (Some("month".into()), None));
        m.query = "period=week&duration=26".into();
        assert_eq!(period(&m, &by_month), (Some("month".into()), None));
        // Stored by a period finer than the data's, nothing chosen: shown by
        // the data's own (a quarter's cost is no month's, a week's count no
        // day's).
        let none = view(None, None, None);
        m.query = "period=day&duration=30&collect=count:sum".into();
        assert_eq!(period(&m, &none).0.as_deref(), Some("week"));
        let mut cost = module(
            ModuleType::SingleTimeseries,
            "period=month&duration=12&collect=cost_per_transaction:mean",
            json!({}),
        );
        cost.data_set = Some("renew/cost-per-transaction".into());
        assert_eq!(period(&cost, &none).0.as_deref(), Some("quarter"));
    }

    #[test]
    fn a_financial_year_by_year_says_its_figures_are_of_calendar_years() {
        let m = module(
            ModuleType::SingleTimeseries,
            "period=month&duration=12&collect=count:sum",
            json!({}),
        );
        // April 2025 to March 2026 by year: 2025 and 2026, January to December.
        let by_year = view(Some(PeriodKind::Year), Some("2025-04"), Some("2026-03"));
        assert_eq!(
            scale_note(&m, &by_year).unwrap(),
            "Weekly figures added up by year: a week that spans two years counts in each for \
             its days there. By year, each figure is of a whole calendar year: Jan to Dec 2025 \
             begins before April 2025, and Jan to Dec 2026 ends after March 2026."
        );
        // By quarter it is whole quarters: nothing beyond to say.
        let by_quarter = view(Some(PeriodKind::Quarter), Some("2025-04"), Some("2026-03"));
        assert!(!scale_note(&m, &by_quarter)
            .unwrap_or_default()
            .contains("whole calendar"));
        // A quarter begun part-way: only that end.
        let from_may = view(Some(PeriodKind::Quarter), Some("2025-05"), Some("2026-03"));
        assert!(scale_note(&m, &from_may)
            .unwrap()
            .ends_with("By quarter, each figure is of a whole calendar quarter: Apr to Jun 2025 begins before May 2025."));
        // Calendar years by year, or months by month: nothing.
        let years = view(Some(PeriodKind::Year), Some("2024-01"), Some("2025-12"));
        assert!(!scale_note(&m, &years)
            .unwrap_or_default()
            .contains("whole calendar"));
    }

    #[test]
    fn a_window_ends_with_the_current_period_not_weeks_that_have_not_begun() {
        // On Wednesday 25 November 2026, months to December 2026, by week:
        // the week of 23 November is the last.
        let weeks = module(
            ModuleType::SingleTimeseries,
            "period=week&duration=52&collect=count:sum",
            json!({}),
        );
        let q = query_string::pairs(&module_query(
            &weeks,
            &view(None, Some("2026-01"), Some("2026-12")),
            now(),
        ));
        assert_eq!(first(&q, "start_at"), Some("2026-01-01T00:00:00Z"));
        assert_eq!(first(&q, "end_at"), Some("2026-11-30T00:00:00Z"));
        // By month, November is the last.
        let q = query_string::pairs(&module_query(
            &weeks,
            &view(Some(PeriodKind::Month), Some("2026-01"), Some("2026-12")),
            now(),
        ));
        assert_eq!(first(&q, "end_at"), Some("2026-12-01T00:00:00Z"));
        // Months all to come are left as chosen (nothing to show).
        let q = query_string::pairs(&module_query(
            &weeks,
            &view(None, Some("2027-01"), Some("2027-03")),
            now(),
        ));
        assert_eq!(first(&q, "end_at"), Some("2027-04-01T00:00:00Z"));
    }

    #[test]
    fn a_journey_adds_up_whole_weeks_not_the_week_under_way() {
        let m = module(
            ModuleType::Journey,
            "period=week&duration=4&group_by=stage&collect=count:sum",
            json!({}),
        );
        let q = query_string::pairs(&module_query(&m, &view(None, None, None), now()));
        // Backdrop's window: the 4 weeks before the current one.
        assert_eq!(first(&q, "end_at"), None);
        assert_eq!(first(&q, "duration"), Some("4"));
    }

    #[test]
    fn kpis_keep_their_own_query() {
        let m = module(
            ModuleType::Kpi,
            "period=quarter&duration=8&collect=cost_per_transaction:mean",
            json!({}),
        );
        assert_eq!(
            module_query(
                &m,
                &view(Some(PeriodKind::Week), Some("2020-01"), None),
                now()
            ),
            "period=quarter&duration=8&collect=cost_per_transaction:mean&end_at=2027-01-01T00:00:00Z"
        );
    }

    #[test]
    fn a_csv_download_is_the_same_request_with_format_csv() {
        assert_eq!(csv_request("/data/a/b"), "/data/a/b?format=csv");
        assert_eq!(
            csv_request("/data/a/b?period=week&filter_by=channel:face%20to%20face"),
            "/data/a/b?period=week&filter_by=channel:face%20to%20face&format=csv"
        );
    }

    #[test]
    fn a_year_earlier_is_the_same_window_shifted() {
        let periods = vec![
            period_containing(PeriodKind::Week, t("2026-11-09T00:00:00Z")),
            period_containing(PeriodKind::Week, t("2026-11-16T00:00:00Z")),
        ];
        let r = year_earlier_request(
            "/data/a/b?period=week&duration=2&collect=count:sum",
            &periods,
        )
        .unwrap();
        assert_eq!(
            r,
            "/data/a/b?period=week&collect=count:sum&start_at=2025-11-10T00:00:00Z&end_at=2025-11-24T00:00:00Z"
        );
    }

    #[test]
    fn a_live_figure_asks_for_its_records_of_the_last_hours_oldest_first() {
        let m = module(
            ModuleType::Realtime,
            "filter_by=site:main",
            json!({"value": "unique_visitors", "hours": 2}),
        );
        // The view's period and months do not apply: it is about now.
        let q = query_string::pairs(&module_query(
            &m,
            &view(Some(PeriodKind::Month), Some("2025-01"), None),
            t("2026-11-25T15:30:42Z"),
        ));
        assert_eq!(first(&q, "filter_by"), Some("site:main"));
        // On a whole minute, so a minute's requests are one.
        assert_eq!(first(&q, "start_at"), Some("2026-11-25T13:30:00Z"));
        assert_eq!(first(&q, "end_at"), Some("2026-11-25T15:32:00Z"));
        assert_eq!(first(&q, "sort_by"), Some("_timestamp:ascending"));
        assert_eq!(first(&q, "limit"), Some("2880"));
        assert_eq!(first(&q, "period"), None);
        let default = module(ModuleType::Realtime, "", json!({"value": "n", "hours": 0}));
        assert_eq!(realtime_hours(&default), REALTIME_HOURS);
    }

    #[test]
    fn a_list_adds_up_the_months_shown() {
        let m = module(
            ModuleType::List,
            "group_by=page&collect=views:sum&sort_by=views:sum:descending&limit=5",
            json!({}),
        );
        let q = query_string::pairs(&module_query(
            &m,
            &view(None, Some("2025-01"), Some("2025-06")),
            now(),
        ));
        assert_eq!(first(&q, "start_at"), Some("2025-01-01T00:00:00Z"));
        assert_eq!(first(&q, "end_at"), Some("2025-07-01T00:00:00Z"));
        assert_eq!(first(&q, "flatten"), None);
        assert_eq!(first(&q, "limit"), Some("5"));
    }
}
