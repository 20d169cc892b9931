//! Pure KPI arithmetic, period arithmetic, and number and date formatting.
//!
//! No I/O: the server and the browser both call these, so a figure computed for the
//! first paint and one recomputed after an interaction cannot disagree. The
//! definitions follow the Performance Platform's (see `shared/reference`).

use chrono::{DateTime, Datelike, Duration, NaiveDate, TimeZone, Timelike, Utc};

use crate::model::{KpiKind, Period, PeriodKind, Unit};

// ---------------------------------------------------------------------------
// KPI arithmetic
// ---------------------------------------------------------------------------

/// User satisfaction score from the counts of ratings 1 (very dissatisfied) to 5
/// (very satisfied): `mean = sum(i * rating_i) / total`, `score = (mean - 1) / 4`,
/// so 1.0 means everyone was very satisfied.
///
/// `total` is the ratings' own sum, as in the platform's data; a data set's
/// `total` field that says otherwise is not used, so the mean is one of the
/// ratings given (1 to 5) and the score 0% to 100%: a `total` of 20 beside
/// 10 ratings of 5 gave 25% (as if 10 had rated 0), and one of 5 gave 225%.
///
/// Over a range, add the counts of every period first and call this once: averaging
/// per-period scores would weight a quiet month like a busy one.
pub fn satisfaction_score(ratings: [f64; 5]) -> Option<f64> {
    if ratings.iter().any(|r| *r < 0.0 || !r.is_finite()) {
        return None;
    }
    let given: f64 = ratings.iter().sum();
    if given <= 0.0 {
        return None;
    }
    let weighted: f64 = ratings
        .iter()
        .enumerate()
        .map(|(i, count)| (i as f64 + 1.0) * count)
        .sum();
    let mean = weighted / given;
    Some((mean - 1.0) / 4.0)
}

/// Completion rate: of those who started, the fraction who finished.
pub fn completion_rate(started: f64, completed: f64) -> Option<f64> {
    (started > 0.0).then(|| completed / started)
}

/// Digital take-up: digital transactions as a fraction of all transactions.
/// Zero when there are no digital ones; no value when there is no total.
pub fn digital_take_up(digital: Option<f64>, total: Option<f64>) -> Option<f64> {
    match total {
        Some(total) if total > 0.0 => Some(digital.unwrap_or(0.0) / total),
        _ => None,
    }
}

/// A period's digital transactions, by the one rule of every page: its
/// digital figure (`None` when none fell in it) where it has one; without
/// one, 0 once the period is complete (none were digital: the service has no
/// digital channel, or its digital channel has closed, as the other
/// channels' figures for two periods since say; see `newest_whole` on the
/// server), and unknown before (its digital figures may be yet to come).
pub fn digital_part(digital: Option<f64>, complete: bool) -> Option<f64> {
    digital.or(complete.then_some(0.0))
}

/// Whether a channel's figures for period `i` may be yet to come, however
/// complete the period reads: it is after the channel's `last` figure, and
/// the data (its `data_last` period with any figure) has gone on less than
/// two periods past it. After two, the channel has closed, as the server's
/// `newest_whole` counts it, and a period without its figures had none.
pub fn yet_to_come(i: usize, last: Option<usize>, data_last: Option<usize>) -> bool {
    last.is_some_and(|last| i > last && data_last.is_none_or(|d| d < last.saturating_add(2)))
}

/// A period's digital take-up: [`digital_part`] of its `total`.
pub fn period_take_up(digital: Option<f64>, total: Option<f64>, complete: bool) -> Option<f64> {
    digital_part(digital, complete).and_then(|digital| digital_take_up(Some(digital), total))
}

/// Cost per transaction from the total cost and the number of transactions.
pub fn cost_per_transaction(total_cost: f64, transactions: f64) -> Option<f64> {
    (transactions > 0.0).then(|| total_cost / transactions)
}

/// Total cost: transactions times cost per transaction.
pub fn total_cost(transactions: f64, cost_per_transaction: f64) -> f64 {
    transactions * cost_per_transaction
}

/// The change from `previous` to `current` as a fraction of `previous`
/// (0.1 means up 10%). No value when there is nothing to compare with.
pub fn relative_change(current: Option<f64>, previous: Option<f64>) -> Option<f64> {
    match (current, previous) {
        (Some(c), Some(p)) if p != 0.0 => Some((c - p) / p.abs()),
        _ => None,
    }
}

/// A weighted mean of `(value, weight)` pairs, skipping pairs without a value.
/// Used to roll KPIs up across services, weighted by their transactions.
pub fn weighted_mean(pairs: impl IntoIterator<Item = (Option<f64>, f64)>) -> Option<f64> {
    let (sum, weight) = pairs
        .into_iter()
        .filter_map(|(v, w)| v.map(|v| (v * w, w)))
        .fold((0.0, 0.0), |(s, ws), (vw, w)| (s + vw, ws + w));
    (weight > 0.0).then(|| sum / weight)
}

/// How many weeks before the newest year of figures among services a
/// service's year may end and still be in totals and averages over them:
/// figures that stopped earlier are of another time.
pub const RECENT_WEEKS: i64 = 4;

/// Whether `service`'s figures are of the same time as the newest among
/// those summarised (whose year ends at `newest`): its year ends at most
/// [`RECENT_WEEKS`] weeks before.
pub fn is_current(service: &crate::model::ServiceKpis, newest: Option<DateTime<Utc>>) -> bool {
    year_is_current(service.year_to, newest)
}

/// Whether a year of figures ending at `year_to` is of the same time as the
/// newest, ending at `newest` ([`RECENT_WEEKS`]).
pub fn year_is_current(year_to: Option<DateTime<Utc>>, newest: Option<DateTime<Utc>>) -> bool {
    match (year_to, newest) {
        (Some(to), Some(newest)) => to >= newest - Duration::weeks(RECENT_WEEKS),
        _ => false,
    }
}

/// Whether a year of figures ending at `year_to` stopped before the newest
/// ([`year_is_current`]); no year at all has not stopped.
pub fn year_stopped(year_to: Option<DateTime<Utc>>, newest: Option<DateTime<Utc>>) -> bool {
    year_to.is_some() && !year_is_current(year_to, newest)
}

/// Whether `service`'s figures stopped before the others' ([`is_current`]):
/// it has a year of figures, and the year is of another time. A service
/// with no transactions at all has not stopped.
pub fn has_stopped(service: &crate::model::ServiceKpis, newest: Option<DateTime<Utc>>) -> bool {
    year_stopped(service.year_to, newest)
}

/// The time a service's figure of `kpi` is of, from the first instant up to
/// (not including) the second: the 52 weeks of a year of transactions, else
/// the KPI's latest complete period (a week, a month, a quarter); none
/// without the figure. Boards and the explorer's CSV say it beside each
/// figure, so a rate of last week is not read as a year's.
pub fn figure_span(
    service: &crate::model::ServiceKpis,
    kpi: KpiKind,
) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
    match kpi {
        KpiKind::Transactions => service
            .year_from
            .zip(service.year_to)
            .filter(|_| service.transactions_per_year.is_some()),
        _ => service
            .figures
            .iter()
            .find(|f| f.kpi == kpi && f.value.is_some())
            .map(|f| (f.period.start, f.period.end)),
    }
}

/// The time a summary's average of a rate is of, in words: each service's
/// latest complete period of the KPI ([`figure_span`]), so a board's "Digital
/// take-up" is not read as a year's while its rows are a week's.
pub fn averaged_over(kpi: KpiKind) -> String {
    format!(
        "each service's latest complete {}, weighted by its transactions",
        kpi.finest_period().as_str()
    )
}

/// After a summary's total cost, when some of its services are not in it:
/// " (of 3 of 5 services with four recent quarters of costs)"; nothing when all
/// are, or none (the total is then "no data" or 0).
pub fn costed_words(s: &crate::model::KpiSummary) -> String {
    if s.costed > 0 && s.costed < s.current {
        format!(
            " (of {} of {} services with four recent quarters of costs)",
            s.costed, s.current
        )
    } else {
        String::new()
    }
}

/// Which services a summary's figures are of, when not all of them: "(the
/// transactions a year of 9 of 11 services with a year of figures; 1 service
/// whose figures stopped more than 4 weeks before the others' is in no
/// figure here)".
pub fn counted_words(s: &crate::model::KpiSummary) -> String {
    let parts: Vec<String> = [
        (s.counted < s.current).then(|| {
            format!(
                "the transactions a year of {} of {} services with a year of figures",
                s.counted, s.current
            )
        }),
        stopped_words(s),
    ]
    .into_iter()
    .flatten()
    .collect();
    if parts.is_empty() {
        String::new()
    } else {
        format!(" ({})", parts.join("; "))
    }
}

/// The services a summary leaves out, when any: "2 services whose figures
/// stopped more than 4 weeks before the others' are in no figure here; 1
/// service with no transaction figures is in none".
pub fn stopped_words(s: &crate::model::KpiSummary) -> Option<String> {
    let is = |n: usize| if n == 1 { "is" } else { "are" };
    let stopped = (s.stopped > 0).then(|| {
        format!(
            "{} {} figures stopped more than {RECENT_WEEKS} weeks before the others' {} in no figure here",
            s.stopped,
            if s.stopped == 1 { "service whose" } else { "services whose" },
            is(s.stopped)
        )
    });
    let none = s.services.saturating_sub(s.current + s.stopped);
    let without = (none > 0).then(|| {
        format!(
            "{none} {} with no transaction figures {} in none",
            if none == 1 { "service" } else { "services" },
            is(none)
        )
    });
    let words: Vec<String> = [stopped, without].into_iter().flatten().collect();
    (!words.is_empty()).then(|| words.join("; "))
}

/// A summary's transactions a year as a page shows it: "no data" when no
/// service has a year of figures (not "0").
pub fn format_year_total(s: &crate::model::KpiSummary) -> String {
    if s.counted == 0 {
        "no data".to_string()
    } else {
        format_number(s.transactions_per_year)
    }
}

/// Figures added up from 0: none add up to 0, where `Iterator::sum` of
/// `f64`s gives -0 (which JSON writes `-0.0`: "-0 transactions a year").
pub fn add_up(figures: impl IntoIterator<Item = f64>) -> f64 {
    figures
        .into_iter()
        .fold(0.0, |total, figure| total + figure)
}

/// Totals and transaction-weighted averages over the services whose figures
/// are of the same time ([`is_current`]): volumes of whole years and costs
/// are added up (each service's total cost over its last four complete
/// quarters); the other KPIs are averaged weighted by each service's
/// transactions a week, so a young service counts by its size.
pub fn summarise(services: &[crate::model::ServiceKpis]) -> crate::model::KpiSummary {
    let newest = services.iter().filter_map(|s| s.year_to).max();
    let current: Vec<&crate::model::ServiceKpis> =
        services.iter().filter(|s| is_current(s, newest)).collect();
    let volume = |s: &&crate::model::ServiceKpis| s.weekly_transactions.unwrap_or(0.0);
    let whole: Vec<f64> = current
        .iter()
        .filter_map(|s| s.transactions_per_year)
        .collect();
    // Costs of the same time: a service whose costs stopped in 2022 adds
    // no 2022 year to this year's total (nor to its cost per transaction).
    let costed: Vec<&&crate::model::ServiceKpis> = current
        .iter()
        .filter(|s| s.total_cost.is_some() && !costs_are_stale(s, newest))
        .collect();
    let total_cost = add_up(costed.iter().filter_map(|s| s.total_cost));
    let costed_volume = add_up(costed.iter().filter_map(|s| s.costed_transactions));
    // Each rate's average over the services it is relied on for, and how
    // many those are.
    let rate = |kpi: KpiKind, of: fn(&crate::model::ServiceKpis) -> Option<f64>| {
        let pairs: Vec<(Option<f64>, f64)> = current
            .iter()
            .map(|s| (relied_on(s, kpi, of(s), newest), volume(s)))
            .collect();
        let averaged = pairs
            .iter()
            .filter(|(v, w)| v.is_some() && *w > 0.0)
            .count();
        (weighted_mean(pairs), averaged)
    };
    let take_up = rate(KpiKind::DigitalTakeUp, |s| s.digital_take_up);
    let satisfaction = rate(KpiKind::UserSatisfaction, |s| s.user_satisfaction);
    let completion = rate(KpiKind::CompletionRate, |s| s.completion_rate);
    crate::model::KpiSummary {
        services: services.len(),
        transactions_per_year: add_up(whole.iter().copied()),
        counted: whole.len(),
        current: current.len(),
        stopped: services.iter().filter(|s| has_stopped(s, newest)).count(),
        year_to: newest,
        total_cost,
        costed: costed.len(),
        cost_per_transaction: cost_per_transaction(total_cost, costed_volume),
        digital_take_up: take_up.0,
        user_satisfaction: satisfaction.0,
        completion_rate: completion.0,
        averaged: [take_up.1, satisfaction.1, completion.1],
    }
}

/// Whether a service's year of costs ended with a quarter of another time
/// than `newest` (the rule of [`figure_is_stale`] for its last quarter).
fn costs_are_stale(service: &crate::model::ServiceKpis, newest: Option<DateTime<Utc>>) -> bool {
    service.cost_to.is_some_and(|to| {
        let last_quarter = period_start(PeriodKind::Quarter, to - Duration::days(1));
        span_is_stale(last_quarter, to, newest)
    })
}

/// A service's rate of `kpi` as an average over services takes it: none when
/// it is of a handful ([`low_base_words`]: 2 responses must not speak for a
/// service of 100,000 transactions a week), or when its latest period ended
/// more than [`RECENT_WEEKS`] weeks (and its own length) before the newest
/// year among those summarised (a 2021 score is not this year's).
fn relied_on(
    service: &crate::model::ServiceKpis,
    kpi: KpiKind,
    value: Option<f64>,
    newest: Option<DateTime<Utc>>,
) -> Option<f64> {
    let Some(figure) = service.figures.iter().find(|f| f.kpi == kpi) else {
        return value;
    };
    value.filter(|_| {
        low_base_words(kpi, figure.base).is_none() && !figure_is_stale(service, kpi, newest)
    })
}

/// Whether a service's latest figure of `kpi` ended more than
/// [`RECENT_WEEKS`] weeks (and its own length) before `newest`, the newest
/// year of the services shown with it: of another time (a 2021 score beside
/// this year's), so it is in no average and judged against no target.
pub fn figure_is_stale(
    service: &crate::model::ServiceKpis,
    kpi: KpiKind,
    newest: Option<DateTime<Utc>>,
) -> bool {
    service
        .figures
        .iter()
        .find(|f| f.kpi == kpi)
        .is_some_and(|figure| span_is_stale(figure.period.start, figure.period.end, newest))
}

/// Whether a figure of `from` to `to` is of another time than `newest`
/// ([`figure_is_stale`]).
pub fn span_is_stale(
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    newest: Option<DateTime<Utc>>,
) -> bool {
    newest.is_some_and(|n| to + (to - from) + Duration::weeks(RECENT_WEEKS) < n)
}

// ---------------------------------------------------------------------------
// Bounds: how much one question may ask (the API refuses more with a 400 that
// says how to narrow it; the pages' controls say so before asking)
// ---------------------------------------------------------------------------

/// The most periods one answer covers: a `/data` period window (`duration`, or
/// `start_at`..`end_at` counted in periods), a service's chart, a dashboard's
/// view.
pub const MAX_PERIODS: u32 = 1_000;

/// The earliest year a date or month asked for may be in.
pub const MIN_YEAR: i32 = 1900;

/// The latest year a date or month asked for may be in.
pub const MAX_YEAR: i32 = 2200;

/// The longest a data set may be expected to go without new data
/// (`max_age_expected`): a century, in seconds.
pub const MAX_AGE_EXPECTED: i64 = 36_524 * 86_400;

/// The most rows one `/data` answer holds (raw records, groups, or periods times
/// groups), in JSON or CSV; also the largest `limit` of `/data` and of a data
/// set's correction history.
pub const MAX_ROWS: usize = 100_000;

/// The most modules one dashboard holds, sections and the modules in them
/// counted (the demo's hold 8 to 10). Every view of a dashboard draws each of
/// its modules: an editor's dashboard of 5,000 modules made each anonymous view
/// of it 815 MB of HTML, 35 s and 3.5 GB of the server's memory. A dashboard
/// stored with more (before there was a bound) shows its first 50.
pub const MAX_MODULES: usize = 50;

/// The most figures one module shows on a page (a time series' periods times
/// its series, a table's cells, a list's items): a grouped chart of 1,000 days
/// for ten groups. Each figure is in the page four times (the chart's data,
/// its table and the two downloads), so past this a page is megabytes; a
/// module that would show more says so and how to narrow it.
pub const MAX_MODULE_FIGURES: usize = 10_000;

/// The most figures one dashboard page shows in all: modules past it, in page
/// order, say so and are shown on their own pages (a page at this bound is
/// about 7 MB of HTML).
pub const MAX_PAGE_FIGURES: usize = 50_000;

/// Why a read is refused: its answer would hold `rows` rows, more than
/// `bound` ([`MAX_ROWS`], or the query's `max_rows`). Said before the answer
/// is made; [`rows_refused`] reads it back.
pub fn too_many_rows(rows: usize, bound: usize) -> String {
    format!("This query's answer would hold {rows} rows, more than the {bound} allowed - please narrow it with 'start_at' and 'end_at', 'filter_by' or 'limit'")
}

/// How many rows a read refused by [`too_many_rows`] would have held.
pub fn rows_refused(message: &str) -> Option<usize> {
    let rest = message.strip_prefix("This query's answer would hold ")?;
    let (rows, rest) = rest.split_once(' ')?;
    rest.starts_with("rows, more than the ")
        .then(|| rows.parse().ok())
        .flatten()
}

/// The largest `limit` of the audit log.
pub const MAX_AUDIT_LIMIT: i64 = 1_000;

// ---------------------------------------------------------------------------
// Periods (UTC; weeks start on Monday; quarters start in Jan, Apr, Jul, Oct)
// ---------------------------------------------------------------------------

fn midnight(date: NaiveDate) -> DateTime<Utc> {
    Utc.from_utc_datetime(&date.and_hms_opt(0, 0, 0).expect("midnight exists"))
}

fn first_of_month(year: i32, month: u32) -> DateTime<Utc> {
    midnight(NaiveDate::from_ymd_opt(year, month, 1).expect("valid month"))
}

/// The first of the month `months` months after the month of `t` (before, when
/// negative).
pub fn add_months(t: DateTime<Utc>, months: i32) -> DateTime<Utc> {
    let index = t.year() * 12 + t.month0() as i32 + months;
    first_of_month(index.div_euclid(12), index.rem_euclid(12) as u32 + 1)
}

/// The start of the period of `kind` that contains `t`.
pub fn period_start(kind: PeriodKind, t: DateTime<Utc>) -> DateTime<Utc> {
    match kind {
        PeriodKind::Hour => t
            .with_minute(0)
            .and_then(|t| t.with_second(0))
            .and_then(|t| t.with_nanosecond(0))
            .expect("hour start exists"),
        PeriodKind::Day => midnight(t.date_naive()),
        PeriodKind::Week => {
            let date = t.date_naive();
            midnight(date - Duration::days(date.weekday().num_days_from_monday() as i64))
        }
        PeriodKind::Month => first_of_month(t.year(), t.month()),
        PeriodKind::Quarter => first_of_month(t.year(), (t.month0() / 3) * 3 + 1),
        PeriodKind::Year => first_of_month(t.year(), 1),
    }
}

/// The end of a window of periods of `kind` from `start` to `end`, brought
/// back to the end of the period under way at `now` when it runs past it
/// (the rest of this month in "the last 12 months", by week): periods that
/// have not begun hold no figures, not even ones "so far". A window all to
/// come keeps its end (it shows nothing). The one rule of dashboards'
/// modules and service pages.
pub fn not_past_current_period(
    kind: PeriodKind,
    start: Option<DateTime<Utc>>,
    end: DateTime<Utc>,
    now: DateTime<Utc>,
) -> DateTime<Utc> {
    let current_end = next_period_start(kind, period_start(kind, now));
    if end > current_end && start.is_none_or(|s| s < current_end) {
        current_end
    } else {
        end
    }
}

/// How often records are sent, read from their `_timestamp`s (`times`,
/// sorted and each once), for data of a kind the catalogue does not know:
/// the longest period of which every record's time is a start, two of them
/// one period apart (a year, a quarter, a month, a week, a day or an hour).
/// None when no such period is found (records at odd times, one record, or
/// none one period after another).
pub fn frequency_of(times: &[DateTime<Utc>]) -> Option<PeriodKind> {
    let mut kinds = PeriodKind::ALL;
    kinds.reverse();
    kinds.into_iter().find(|&kind| {
        times.iter().all(|&t| period_start(kind, t) == t)
            && times
                .windows(2)
                .any(|w| next_period_start(kind, w[0]) == w[1])
    })
}

/// The start of the period after the one that starts at `start`
/// (`start` must be a period start).
pub fn next_period_start(kind: PeriodKind, start: DateTime<Utc>) -> DateTime<Utc> {
    match kind {
        PeriodKind::Hour => start + Duration::hours(1),
        PeriodKind::Day => start + Duration::days(1),
        PeriodKind::Week => start + Duration::weeks(1),
        PeriodKind::Month => add_months(start, 1),
        PeriodKind::Quarter => add_months(start, 3),
        PeriodKind::Year => add_months(start, 12),
    }
}

/// The period of `kind` that contains `t`.
pub fn period_containing(kind: PeriodKind, t: DateTime<Utc>) -> Period {
    let start = period_start(kind, t);
    Period {
        kind,
        start,
        end: next_period_start(kind, start),
    }
}

/// The start of a month written `YYYY-MM` (as an `<input type="month">` gives
/// it), or `None` when it is not one or its year is outside
/// [`MIN_YEAR`]..=[`MAX_YEAR`].
pub fn parse_month(s: &str) -> Option<DateTime<Utc>> {
    month_in_range(s, "month").ok()
}

/// The start of a month written `YYYY-MM` whose year is within
/// [`MIN_YEAR`]..=[`MAX_YEAR`], or why it is not one (`name` names the field).
/// The one month parser of the API, the pages and their controls.
pub fn month_in_range(s: &str, name: &str) -> Result<DateTime<Utc>, String> {
    let refused = || {
        format!(
            "{name} must be a month from {MIN_YEAR}-01 to {MAX_YEAR}-12 written YYYY-MM, like 2025-04, not {s:?}"
        )
    };
    let (year, month) = s.split_once('-').ok_or_else(refused)?;
    let digits = |t: &str, n: usize| t.len() == n && t.bytes().all(|b| b.is_ascii_digit());
    if !digits(year, 4) || !digits(month, 2) {
        return Err(refused());
    }
    let year: i32 = year.parse().map_err(|_| refused())?;
    let month: u32 = month.parse().map_err(|_| refused())?;
    if !(1..=12).contains(&month) || !(MIN_YEAR..=MAX_YEAR).contains(&year) {
        return Err(refused());
    }
    Ok(first_of_month(year, month))
}

/// The start of the period `n` periods of `kind` after the one starting at
/// `start` (before it, when `n` is negative); `start` must be a period start.
pub fn periods_after(kind: PeriodKind, start: DateTime<Utc>, n: i32) -> DateTime<Utc> {
    match kind {
        PeriodKind::Hour => start + Duration::hours(i64::from(n)),
        PeriodKind::Day => start + Duration::days(i64::from(n)),
        PeriodKind::Week => start + Duration::weeks(i64::from(n)),
        PeriodKind::Month => add_months(start, n),
        PeriodKind::Quarter => add_months(start, n.saturating_mul(3)),
        PeriodKind::Year => add_months(start, n.saturating_mul(12)),
    }
}

/// How many periods of `kind` [`periods_between`] gives for `[from, to)`
/// (from the start of the period holding `from`), without making them.
pub fn period_count(kind: PeriodKind, from: DateTime<Utc>, to: DateTime<Utc>) -> i64 {
    let start = period_start(kind, from);
    if to <= start {
        return 0;
    }
    let ceil = |span: i64, unit: i64| (span + unit - 1).div_euclid(unit);
    let millis = (to - start).num_milliseconds();
    match kind {
        PeriodKind::Hour => ceil(millis, 3_600_000),
        PeriodKind::Day => ceil(millis, 86_400_000),
        PeriodKind::Week => ceil(millis, 7 * 86_400_000),
        PeriodKind::Month | PeriodKind::Quarter | PeriodKind::Year => {
            let index = |t: DateTime<Utc>| i64::from(t.year()) * 12 + i64::from(t.month0());
            let months =
                index(to) - index(start) + i64::from(period_start(PeriodKind::Month, to) != to);
            let per = match kind {
                PeriodKind::Month => 1,
                PeriodKind::Quarter => 3,
                _ => 12,
            };
            ceil(months, per)
        }
    }
}

/// The same period a year earlier: 52 weeks back for weeks (so a Monday stays a
/// Monday), 12 months back for months, quarters and years.
pub fn year_earlier(period: &Period) -> Period {
    match period.kind {
        PeriodKind::Hour | PeriodKind::Day | PeriodKind::Week => Period {
            kind: period.kind,
            start: period.start - Duration::weeks(52),
            end: period.end - Duration::weeks(52),
        },
        _ => Period {
            kind: period.kind,
            start: add_months(period.start, -12),
            end: add_months(period.end, -12),
        },
    }
}

/// Every period of `kind` that overlaps `[from, to)`, oldest first.
pub fn periods_between(kind: PeriodKind, from: DateTime<Utc>, to: DateTime<Utc>) -> Vec<Period> {
    let mut out = Vec::new();
    let mut start = period_start(kind, from);
    while start < to {
        let end = next_period_start(kind, start);
        out.push(Period { kind, start, end });
        start = end;
    }
    out
}

// ---------------------------------------------------------------------------
// Complete periods, and records shared between periods by their days
// ---------------------------------------------------------------------------

/// Until when a data set's figures are complete: the end of the newest period
/// of the data's own `frequency` that has both ended by `now` and holds the
/// newest record (or an earlier one). Nothing after it may be read as a whole
/// period: a week under way, or a month whose last week has not been sent.
///
/// A period of any kind is complete when it ends at or before this instant
/// ([`is_complete`]); it is the one rule every headline, change, board,
/// comparison and chart follows. `None` when the data set has no records.
pub fn complete_until(
    frequency: PeriodKind,
    newest_record: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Option<DateTime<Utc>> {
    let newest = newest_record?;
    let newest_end = next_period_start(frequency, period_start(frequency, newest));
    Some(newest_end.min(period_start(frequency, now)))
}

/// Whether `period` is complete: it ends at or before `complete_until` (see
/// [`complete_until`]). With no such instant (no data), nothing is complete.
pub fn is_complete(period: &Period, complete_until: Option<DateTime<Utc>>) -> bool {
    complete_until.is_some_and(|until| period.end <= until)
}

/// The latest complete period among `periods` that has a value in `values`
/// (aligned with `periods`), as an index.
pub fn latest_complete(
    periods: &[Period],
    values: &[Option<f64>],
    complete_until: Option<DateTime<Utc>>,
) -> Option<usize> {
    periods
        .iter()
        .zip(values)
        .rposition(|(p, v)| v.is_some() && is_complete(p, complete_until))
}

/// Whether `coarse` periods are made of whole `fine` ones or `fine` ones may
/// straddle them (weeks straddle months, quarters and years).
fn straddles(fine: PeriodKind, coarse: PeriodKind) -> bool {
    fine == PeriodKind::Week
        && matches!(
            coarse,
            PeriodKind::Month | PeriodKind::Quarter | PeriodKind::Year
        )
}

/// How a record of a data set sent once per `frequency` period, dated `at`, is
/// shared between the periods of `kind`: each period it overlaps, by start, with
/// the share of its days that fall there. A week from Monday 29 September gives
/// 2/7 to September and 5/7 to October; a record in a period at least as long
/// as its own goes wholly to the period holding it. The shares add up to 1.
///
/// Adding weekly figures up by month without this would make a month of five
/// Mondays look a quarter busier than one of four.
pub fn shares(
    frequency: PeriodKind,
    at: DateTime<Utc>,
    kind: PeriodKind,
) -> Vec<(DateTime<Utc>, f64)> {
    if !straddles(frequency, kind) {
        return vec![(period_start(kind, at), 1.0)];
    }
    let start = period_start(frequency, at);
    let end = next_period_start(frequency, start);
    let whole = (end - start).num_seconds() as f64;
    let mut out = Vec::with_capacity(2);
    let mut from = start;
    while from < end {
        let bucket = period_start(kind, from);
        let to = next_period_start(kind, bucket).min(end);
        out.push((bucket, (to - from).num_seconds() as f64 / whole));
        from = to;
    }
    out
}

/// Whether figures of `kind` are made by sharing records sent once per
/// `frequency` period between them ([`shares`]): a chart by month of weekly
/// data says so.
pub fn is_shared(frequency: PeriodKind, kind: PeriodKind) -> bool {
    straddles(frequency, kind)
}

/// The finer of two kinds of period is refused for data sent at the coarser:
/// monthly satisfaction cannot be shown by week. The kind to show data sent
/// once per `frequency` by, when `kind` is asked for.
pub fn shown_by(frequency: PeriodKind, kind: PeriodKind) -> PeriodKind {
    if period_rank(kind) >= period_rank(frequency) {
        kind
    } else {
        frequency
    }
}

/// Kinds of period from the finest (an hour) to the coarsest (a year).
pub fn period_rank(kind: PeriodKind) -> u8 {
    match kind {
        PeriodKind::Hour => 0,
        PeriodKind::Day => 1,
        PeriodKind::Week => 2,
        PeriodKind::Month => 3,
        PeriodKind::Quarter => 4,
        PeriodKind::Year => 5,
    }
}

// ---------------------------------------------------------------------------
// Formatting
// ---------------------------------------------------------------------------

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// A month in words: "April 2025".
pub fn format_month(t: DateTime<Utc>) -> String {
    format!("{} {}", month_name(t.month0()), t.year())
}

fn month_name(month0: u32) -> &'static str {
    MONTHS[month0 as usize]
}

fn month_abbr(month0: u32) -> &'static str {
    &MONTHS[month0 as usize][..3]
}

/// Rounds to `sig` significant figures.
fn round_sig(x: f64, sig: i32) -> f64 {
    if x == 0.0 || !x.is_finite() {
        return x;
    }
    let magnitude = x.abs().log10().floor() as i32;
    let factor = 10f64.powi(sig - 1 - magnitude);
    (x * factor).round() / factor
}

/// Writes a non-negative number with thousands separators and at most `decimals`
/// decimal places, dropping trailing zeros.
fn with_separators(x: f64, decimals: usize) -> String {
    // Whole numbers (most figures are counts) need no float formatting.
    let text = if x.fract() == 0.0 && x.abs() < 9e15 {
        (x as i64).to_string()
    } else {
        format!("{:.*}", decimals, x)
    };
    let (int_part, frac_part) = match text.split_once('.') {
        Some((i, f)) => (i, f.trim_end_matches('0')),
        None => (text.as_str(), ""),
    };
    let grouped = group_digits(int_part);
    if frac_part.is_empty() {
        grouped
    } else {
        format!("{grouped}.{frac_part}")
    }
}

/// A number to 3 significant figures with a magnitude suffix:
/// `2_990_000_000.0` gives "2.99bn", `12_345.0` gives "12.3k", `999.0` gives "999".
pub fn format_number(x: f64) -> String {
    if !x.is_finite() {
        return "no data".to_string();
    }
    let sign = if x < 0.0 { "-" } else { "" };
    let rounded = round_sig(x.abs(), 3);
    let (scaled, suffix) = if rounded >= 1e9 {
        (rounded / 1e9, "bn")
    } else if rounded >= 1e6 {
        (rounded / 1e6, "m")
    } else if rounded >= 1e3 {
        (rounded / 1e3, "k")
    } else {
        (rounded, "")
    };
    // After scaling, keep 3 significant figures: 1.23, 12.3, 123, and whole numbers
    // beyond that (1,230bn).
    let decimals = if scaled >= 100.0 {
        0
    } else if scaled >= 10.0 {
        1
    } else {
        2
    };
    format!(
        "{sign}{}{suffix}",
        with_separators(round_sig(scaled, 3), decimals)
    )
}

/// A whole count with thousands separators: 1234567 gives "1,234,567".
pub fn format_count(x: f64) -> String {
    if !x.is_finite() {
        return "no data".to_string();
    }
    let sign = if x < 0.0 { "-" } else { "" };
    format!("{sign}{}", with_separators(x.abs().round(), 0))
}

/// A number as a person types it ("80", "0.95", "-3", "+4", ".5", "5.",
/// "1e3"): read as JSON reads one, whose code the browser's bundle holds
/// already for the page's data (Rust's own `f64` parser brings a 10 KB table
/// into it); `None` for anything else, infinities and NaN included.
pub fn parse_number(typed: &str) -> Option<f64> {
    let typed = typed.trim();
    let (sign, unsigned) = match typed.as_bytes().first()? {
        b'-' => ("-", &typed[1..]),
        b'+' => ("", &typed[1..]),
        _ => ("", typed),
    };
    let bytes = unsigned.as_bytes();
    let digit_first = match bytes {
        [d, ..] if d.is_ascii_digit() => true,
        [b'.', d, ..] if d.is_ascii_digit() => true,
        _ => false,
    };
    if !digit_first {
        return None;
    }
    // JSON has no ".5", "5." or "007".
    let rest = unsigned.trim_start_matches('0');
    let rest = rest.strip_suffix('.').unwrap_or(rest);
    let lead = if rest.starts_with(|c: char| c.is_ascii_digit()) {
        ""
    } else {
        "0"
    };
    serde_json::from_str::<f64>(&format!("{sign}{lead}{rest}"))
        .ok()
        .filter(|v| v.is_finite())
}

/// Digits with thousands separators: "1234567" gives "1,234,567".
pub fn group_digits(digits: &str) -> String {
    let digits = digits.as_bytes();
    let mut grouped = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, d) in digits.iter().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(*d as char);
    }
    grouped
}

/// A number as it is, for tables: whole numbers with thousands separators
/// ("1,234"), others to at most 2 decimal places ("4.57", "1,234.5").
pub fn format_exact(x: f64) -> String {
    if !x.is_finite() {
        return "no data".to_string();
    }
    let sign = if x < 0.0 { "-" } else { "" };
    format!("{sign}{}", with_separators(x.abs(), 2))
}

/// A value as a sentence says it in full: counts exactly ("1,234,567"),
/// pounds and percentages as [`format_value`] has them.
pub fn format_value_in_full(value: f64, unit: Unit) -> String {
    match unit {
        Unit::Number => format_exact(value),
        _ => format_value(Some(value), unit),
    }
}

/// Pounds: always with £, to the penny under £100 ("£4.56", "£15.80"), to 3
/// significant figures above ("£123", "£1.23m").
pub fn format_pounds(x: f64) -> String {
    if !x.is_finite() {
        return "no data".to_string();
    }
    let sign = if x < 0.0 { "-" } else { "" };
    let abs = x.abs();
    if (abs * 100.0).round() < 10_000.0 {
        format!("{sign}£{abs:.2}")
    } else {
        format!("{sign}£{}", format_number(abs))
    }
}

/// A fraction as a percent to one decimal place: 0.7821 gives "78.2%".
pub fn format_percent(ratio: f64) -> String {
    if !ratio.is_finite() {
        return "no data".to_string();
    }
    let percent = ratio * 100.0;
    // Nothing, or less than shown, is never "-0.0%".
    if (percent * 10.0).round() == 0.0 {
        return "0.0%".to_string();
    }
    format!("{percent:.1}%")
}

/// A value in its unit, or "no data".
pub fn format_value(value: Option<f64>, unit: Unit) -> String {
    match value {
        None => "no data".to_string(),
        Some(v) => match unit {
            Unit::Number => format_number(v),
            Unit::Pounds => format_pounds(v),
            Unit::Ratio => format_percent(v),
        },
    }
}

/// A signed change as a percent: "+2.5%", "-0.4%", "no change".
pub fn format_change(change: f64) -> String {
    let percent = change * 100.0;
    if percent.abs() < 0.05 {
        "no change".to_string()
    } else if percent > 0.0 {
        format!("+{percent:.1}%")
    } else {
        format!("{percent:.1}%")
    }
}

/// The change from `previous` to `current` as it should be read for their
/// unit: the difference for rates (0.023 for 79.6% to 81.9%, read as
/// percentage points), the relative change for volumes and money.
pub fn change_in(unit: Unit, current: Option<f64>, previous: Option<f64>) -> Option<f64> {
    match unit {
        Unit::Ratio => match (current, previous) {
            (Some(c), Some(p)) => Some(c - p),
            _ => None,
        },
        Unit::Number | Unit::Pounds => relative_change(current, previous),
    }
}

/// A rate out of fewer than this many (responses, people who started,
/// transactions) is too few to rely on: it is shown with its base and said
/// so, and a board judges it against no target.
pub const LOW_BASE: f64 = 30.0;

/// The words for a rate's small base, "from 4 responses: too few to rely
/// on"; none when the base is large enough, or `kpi` is not a rate.
pub fn low_base_words(kpi: KpiKind, base: Option<f64>) -> Option<String> {
    // Rounded first, so the words never say "from 30" of a base under it.
    let base = base?.round();
    if base >= LOW_BASE {
        return None;
    }
    Some(format!("{}: too few to rely on", from_base(kpi, base)?))
}

/// The figure a rate of `kpi` out of `base` changed from: `previous`, the
/// rate of the period before out of `base_before`, unless either is out of
/// too few to rely on ([`LOW_BASE`]): 3 responses going to 400 is no rise or
/// fall. A figure that is no rate keeps its `previous`.
pub fn previous_if_enough(
    kpi: KpiKind,
    previous: Option<f64>,
    base: Option<f64>,
    base_before: Option<f64>,
) -> Option<f64> {
    previous.filter(|_| {
        low_base_words(kpi, base).is_none() && low_base_words(kpi, base_before).is_none()
    })
}

/// What a rate of `kpi` is out of, in words ("from 1,204 responses"), and
/// [`low_base_words`] where that is too few to rely on: the words under a
/// dashboard's headline rate. `None` for a figure that is no rate.
pub fn base_words(kpi: KpiKind, base: f64) -> Option<String> {
    low_base_words(kpi, Some(base)).or_else(|| from_base(kpi, base.round()))
}

fn from_base(kpi: KpiKind, base: f64) -> Option<String> {
    let (one, many) = match kpi {
        KpiKind::UserSatisfaction => ("response", "responses"),
        KpiKind::CompletionRate => ("person who started", "people who started"),
        KpiKind::DigitalTakeUp => ("transaction", "transactions"),
        KpiKind::Transactions | KpiKind::CostPerTransaction => return None,
    };
    Some(format!(
        "from {} {}",
        format_count(base),
        if base == 1.0 { one } else { many }
    ))
}

/// The period just before `period`, of its kind.
pub fn period_before(period: &Period) -> Period {
    period_containing(period.kind, periods_after(period.kind, period.start, -1))
}

/// Whether a figure over `now` is compared with one over `then` per day: it
/// is a `volume` (it adds records up: transactions, a sum of pounds; not a
/// rate, not a mean such as a cost per transaction) and the periods' lengths
/// differ (a February and a January, a leap year's February and the one
/// before), so the days alone would make a change.
pub fn per_day(volume: bool, now: &Period, then: &Period) -> bool {
    volume && (now.end - now.start) != (then.end - then.start)
}

/// The change from `earlier`, over the period `then`, to `value`, over
/// `now`, as [`change_in`] reads it; volumes over periods of different
/// lengths are compared per day ([`per_day`]): February's 28 days of the
/// same daily business as January's 31 are no change, not "-9.7%".
pub fn change_over(
    unit: Unit,
    volume: bool,
    now: &Period,
    value: Option<f64>,
    then: &Period,
    earlier: Option<f64>,
) -> Option<f64> {
    if per_day(volume, now, then) {
        return relative_change(
            value.map(|v| v / now.days()),
            earlier.map(|v| v / then.days()),
        );
    }
    change_in(unit, value, earlier)
}

/// A change from [`change_in`] in words: "+2.3 points" for rates, "+2.5%"
/// otherwise, "no change" when it rounds to none.
pub fn format_change_in(unit: Unit, change: f64) -> String {
    if unit != Unit::Ratio {
        return format_change(change);
    }
    let points = change * 100.0;
    if points.abs() < 0.05 {
        "no change".to_string()
    } else {
        format!("{points:+.1} points")
    }
}

/// What a table says in place of the whole of a period a year earlier beside
/// a volume of a period not yet over (part of one beside the whole of another
/// is no comparison).
pub const NOT_YET_COMPARABLE: &str = "not yet comparable (the period is not over)";

/// A year earlier's volumes as a chart draws them beside `periods`: none
/// beside a period not complete by `complete_until` (part of a period
/// beside the whole of one is no comparison; a table says
/// [`NOT_YET_COMPARABLE`] there).
pub fn comparable_year_earlier(
    previous: &[Option<f64>],
    periods: &[Period],
    complete_until: Option<DateTime<Utc>>,
) -> Vec<Option<f64>> {
    previous
        .iter()
        .enumerate()
        .map(|(i, v)| {
            v.filter(|_| {
                periods
                    .get(i)
                    .is_some_and(|p| is_complete(p, complete_until))
            })
        })
        .collect()
}

/// A period that has not ended (or whose data is not all in yet), in words:
/// "Oct to Dec 2026 so far".
pub fn format_period_so_far(period: &Period) -> String {
    format!("{} so far", format_period(period))
}

/// A period in words, as people say it: "1 to 7 March 2014", "24 to 30 Mar 2014"
/// styles; the end shown is the last day inside the period.
///
/// - a month: "March 2014"; a quarter: "Jan to Mar 2014"; a year: "Jan to Dec 2014"
/// - a week inside one month: "3 to 9 March 2014"; across months: "24 February to
///   2 March 2014"; across years: "29 December 2014 to 4 January 2015"
/// - a day: "3 March 2014"; an hour: "3 March 2014, 14:00 to 15:00"
pub fn format_period(period: &Period) -> String {
    let start = period.start;
    match period.kind {
        PeriodKind::Hour => format!(
            "{} {} {}, {:02}:00 to {:02}:00",
            start.day(),
            month_name(start.month0()),
            start.year(),
            start.hour(),
            (start.hour() + 1) % 24
        ),
        PeriodKind::Day => format_date(start),
        PeriodKind::Month => format!("{} {}", month_name(start.month0()), start.year()),
        PeriodKind::Quarter | PeriodKind::Year => {
            let last = period.end - Duration::days(1);
            format!(
                "{} to {} {}",
                month_abbr(start.month0()),
                month_abbr(last.month0()),
                last.year()
            )
        }
        PeriodKind::Week => format_date_range(start, period.end),
    }
}

/// A date such as "3 March 2014".
pub fn format_date(t: DateTime<Utc>) -> String {
    format!("{} {} {}", t.day(), month_name(t.month0()), t.year())
}

/// Whether `key` is a valid field name: `^[a-z_][a-z0-9_]+$` after
/// lower-casing (Backdrop's rule, for records and the fields queries name).
pub fn is_field_name(key: &str) -> bool {
    let lower = key.to_ascii_lowercase();
    let bytes = lower.as_bytes();
    bytes.len() >= 2
        && (bytes[0].is_ascii_lowercase() || bytes[0] == b'_')
        && bytes[1..]
            .iter()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'_')
        && key.is_ascii()
}

/// A moment's time of day as UK clocks show it, to the minute, with the
/// zone: "09:42 GMT", "10:42 BST" (with its UK date when it is not
/// `today`'s: "09:42 GMT on 3 December 2026").
pub fn format_time(t: DateTime<Utc>, today: DateTime<Utc>) -> String {
    let offset = uk_offset(t);
    let zone = if offset.is_zero() { "GMT" } else { "BST" };
    // (UK wall-clock time, held in a UTC value only to be written out)
    let local = t + offset;
    let clock = format!("{:02}:{:02} {zone}", local.hour(), local.minute());
    if local.date_naive() == (today + uk_offset(today)).date_naive() {
        clock
    } else {
        format!("{clock} on {}", format_date(local))
    }
}

/// The last Sunday of `month` in `year`, at 01:00 UTC (when the UK's clocks
/// change).
pub fn clocks_change(year: i32, month: u32) -> DateTime<Utc> {
    let first_of_next = NaiveDate::from_ymd_opt(year, month + 1, 1).expect("a date");
    let last = first_of_next.pred_opt().expect("a date");
    let back = last.weekday().num_days_from_sunday() as i64;
    let sunday = last - Duration::days(back);
    Utc.from_utc_datetime(&sunday.and_hms_opt(1, 0, 0).expect("a time"))
}

/// How far UK time is ahead of UTC at `t`: an hour in summer time (from the
/// last Sunday of March to the last Sunday of October, at 01:00 UTC).
pub fn uk_offset(t: DateTime<Utc>) -> Duration {
    let year = t.year();
    if clocks_change(year, 3) <= t && t < clocks_change(year, 10) {
        Duration::hours(1)
    } else {
        Duration::zero()
    }
}

/// The moment that UK clocks show `date` at `at` (the earlier, when the
/// clocks go back; the hour after, when they skip it).
pub fn uk_moment(date: NaiveDate, at: chrono::NaiveTime) -> DateTime<Utc> {
    let local = Utc.from_utc_datetime(&date.and_time(at));
    let summer = local - Duration::hours(1);
    if uk_offset(summer) == Duration::hours(1) {
        summer
    } else {
        local
    }
}

/// A span of seconds in its largest whole unit: "8 days", "36 hours",
/// "90 minutes" (a part minute counts as a minute).
pub fn span_words(seconds: i64) -> String {
    let plural = |n: i64, unit: &str| format!("{n} {unit}{}", if n == 1 { "" } else { "s" });
    if seconds % 86_400 == 0 {
        plural(seconds / 86_400, "day")
    } else if seconds % 3_600 == 0 {
        plural(seconds / 3_600, "hour")
    } else {
        plural(seconds.saturating_add(59) / 60, "minute")
    }
}

/// Names as a sentence lists them: "A", "A and B", "A, B and C".
pub fn in_words(names: &[String]) -> String {
    match names {
        [] => String::new(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

/// The days of `[start, end)` in words: "1 to 7 March 2014".
pub fn format_date_range(start: DateTime<Utc>, end: DateTime<Utc>) -> String {
    let last = end - Duration::days(1);
    if last.date_naive() <= start.date_naive() {
        return format_date(start);
    }
    if start.year() != last.year() {
        format!("{} to {}", format_date(start), format_date(last))
    } else if start.month() != last.month() {
        format!(
            "{} {} to {}",
            start.day(),
            month_name(start.month0()),
            format_date(last)
        )
    } else {
        format!("{} to {}", start.day(), format_date(last))
    }
}

/// A short label for chart axes: "3 Mar 2014" for days and weeks, "Mar 2014" for
/// months, "Q1 2014" for quarters, "2014" for years.
pub fn short_period_label(period: &Period) -> String {
    let s = period.start;
    match period.kind {
        PeriodKind::Hour => format!("{} {} {:02}:00", s.day(), month_abbr(s.month0()), s.hour()),
        PeriodKind::Day | PeriodKind::Week => {
            format!("{} {} {}", s.day(), month_abbr(s.month0()), s.year())
        }
        PeriodKind::Month => format!("{} {}", month_abbr(s.month0()), s.year()),
        PeriodKind::Quarter => format!("Q{} {}", s.month0() / 3 + 1, s.year()),
        PeriodKind::Year => s.year().to_string(),
    }
}

/// A point of a series that stands out: from the recent level of the series
/// and from the same period a year earlier, with no note explaining it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Unusual {
    /// Its index in the series.
    pub index: usize,
    /// The value there.
    pub value: f64,
    /// What was expected there: of the expectations it was compared with (the
    /// recent level, and that level moved as the same period moved a year
    /// earlier), the nearest to the value.
    pub expected: f64,
    /// How far it is from `expected`, in the series' usual noise (robust
    /// standard deviations; positive for a spike, negative for a dip).
    pub score: f64,
}

/// How many robust standard deviations from every expectation make a point
/// unusual.
pub const UNUSUAL_SCORE: f64 = 4.0;

/// The least noise assumed around the level of a count or an amount, as a
/// share of that level (so a count must move by at least 32% to stand out).
pub const MIN_SPREAD: f64 = 0.08;

/// The least noise assumed around the level of a rate (a fraction between 0
/// and 1, such as satisfaction, completion or digital take-up): 1 percentage
/// point.
pub const MIN_RATE_SPREAD: f64 = 0.01;

/// The least move of a rate, from every expectation, that is flagged:
/// 5 percentage points. Rates are judged in points, not as a share of their
/// level: 76.5% to 61.0% is a fall of 15.5 points.
pub const MIN_RATE_CHANGE: f64 = 0.05;

/// Points on each side whose strays from their own baselines set the usual
/// stray around a point.
const USUAL_WINDOW: usize = 13;

/// Neighbours on each side that a point is compared with.
const NEIGHBOURS: usize = 4;

/// What the neighbours of point `i` expect there, and how widely they stray
/// from that expectation.
///
/// The neighbours are the `2 × NEIGHBOURS` nearest points with a value at
/// multiples of `step` away (1, or 7 for days, so Mondays are compared with
/// Mondays); at the ends of the series there are fewer on one side and more on
/// the other. Through them runs a robust line (Theil–Sen: the median of the
/// slopes between pairs, and the median intercept), so a seasonal rise or fall
/// is followed and only a sudden change stands out; one or two odd neighbours
/// barely move it. The expectation is that line at `i`; the spread is the
/// median absolute deviation of the neighbours from it, scaled to a standard
/// deviation.
fn neighbourhood(values: &[Option<f64>], i: usize, step: usize) -> Option<(f64, f64)> {
    values.get(i).copied().flatten()?;
    let step = step.max(1);
    let want = 2 * NEIGHBOURS;
    let at = |j: usize| values[j].map(|v| ((j as f64 - i as f64) / step as f64, v));
    let before: Vec<(f64, f64)> = (1..=i / step)
        .filter_map(|k| at(i - k * step))
        .take(want)
        .collect();
    let after: Vec<(f64, f64)> = (1..)
        .map(|k| i + k * step)
        .take_while(|j| *j < values.len())
        .filter_map(at)
        .take(want)
        .collect();
    // The nearer ones first, as evenly from both sides as the series allows.
    let from_before = before.len().min(want - after.len().min(NEIGHBOURS));
    let from_after = after.len().min(want - from_before);
    let near: Vec<(f64, f64)> = before[..from_before]
        .iter()
        .chain(&after[..from_after])
        .copied()
        .collect();
    if near.len() < want / 2 + 1 {
        return None;
    }
    let mut slopes: Vec<f64> = Vec::with_capacity(near.len() * near.len() / 2);
    for (a, (xa, ya)) in near.iter().enumerate() {
        for (xb, yb) in &near[a + 1..] {
            if xa != xb {
                slopes.push((yb - ya) / (xb - xa));
            }
        }
    }
    let slope = median(&mut slopes)?;
    // The line's value at `i` (offset 0).
    let mut intercepts: Vec<f64> = near.iter().map(|(x, y)| y - slope * x).collect();
    let expected = median(&mut intercepts)?;
    let mut deviations: Vec<f64> = near
        .iter()
        .map(|(x, y)| (y - (expected + slope * x)).abs())
        .collect();
    let mad = median(&mut deviations)?;
    Some((expected, 1.4826 * mad))
}

fn median(values: &mut [f64]) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    values.sort_by(f64::total_cmp);
    let mid = values.len() / 2;
    Some(if values.len().is_multiple_of(2) {
        (values[mid - 1] + values[mid]) / 2.0
    } else {
        values[mid]
    })
}

/// How a series of `kind` periods is compared with itself: the step between
/// the neighbours a point is compared with (the same weekday for days, the
/// same hour for hours), and how many periods back the same period a year
/// earlier is with the slack either side of it (a date fixed in the calendar,
/// such as 31 January, drifts by a day a year against weeks), if any.
fn rhythm(kind: PeriodKind) -> (usize, Option<(usize, usize)>) {
    match kind {
        PeriodKind::Hour => (24, None),
        PeriodKind::Day => (7, Some((364, 7))),
        PeriodKind::Week => (1, Some((52, 1))),
        PeriodKind::Month => (1, Some((12, 0))),
        PeriodKind::Quarter => (1, Some((4, 0))),
        PeriodKind::Year => (1, None),
    }
}

/// Whether point `i` lies in or beside a period a note covers (`notes` are
/// the first and last index each note covers).
fn noted(i: usize, notes: &[(usize, usize)]) -> bool {
    notes.iter().any(|(a, b)| *a <= i + 1 && i <= b + 1)
}

/// The unusual points of a series of `kind` periods whose values are in
/// `unit`, in order: the single rule behind every flag (a dashboard's charts
/// and a board's "needs attention" list). `notes` are the first and last
/// index of the periods each note on the series covers.
///
/// Each point is compared with expectations:
///
/// - the recent level: a robust line through its neighbours (see
///   `neighbourhood`; days are compared with the same weekday, hours with the
///   same hour), and
/// - for weeks, months, quarters and days, the same period a year earlier
///   (52 weeks back and the week either side; 12 months; 4 quarters; 364 days
///   and the same weekday either side): the recent level moved as that period
///   moved from its own recent level, as a share of it for counts and
///   amounts, in percentage points for rates. With no year earlier in the
///   series (its first year), the year later is used: a January peak every
///   year is the rhythm of the service, whichever year it is seen in.
///
/// A point is unusual only when it is at least [`UNUSUAL_SCORE`] times the
/// series' noise away from every expectation, on the same side of all. The
/// noise is the largest of the neighbours' own spread, the usual stray of the
/// points around it from their baselines (the median of the nearest
/// `2 × USUAL_WINDOW`), and a floor: [`MIN_SPREAD`] of the level for counts
/// and amounts (relative: their noise grows with their size), and
/// [`MIN_RATE_SPREAD`] for rates (`Unit::Ratio`, in points: a rate near 0%
/// or 100% moves in points, not in shares of itself). A rate must also move
/// at least [`MIN_RATE_CHANGE`] from every expectation.
///
/// Not flagged: a dip in the newest period when `filling_in` says it may
/// still be filling in (a month to date), and a point a note covers or is
/// beside (the note explains it).
pub fn unusual_points(
    values: &[Option<f64>],
    kind: PeriodKind,
    unit: Unit,
    notes: &[(usize, usize)],
    filling_in: bool,
) -> Vec<Unusual> {
    unusual::remembered(values, kind, unit, notes, filling_in, detect_unusual)
}

/// The answers of [`unusual_points`] already worked out: every view of a
/// dashboard, and every board of its service, asks about the same series
/// again (on the server, for each request). Kept by everything the answer
/// depends on, compared in full (a hash only finds them).
mod unusual {
    use std::collections::HashMap;
    use std::hash::{Hash, Hasher};
    use std::sync::{LazyLock, Mutex};

    use super::{PeriodKind, Unit, Unusual};

    /// More series than this and the oldest half goes.
    const MOST: usize = 4096;

    #[derive(PartialEq)]
    struct Asked {
        values: Vec<Option<u64>>,
        kind: PeriodKind,
        unit: Unit,
        notes: Vec<(usize, usize)>,
        filling_in: bool,
    }

    #[derive(Default)]
    struct Kept {
        answers: HashMap<u64, (Asked, Vec<Unusual>)>,
        order: std::collections::VecDeque<u64>,
    }

    static KEPT: LazyLock<Mutex<Kept>> = LazyLock::new(Mutex::default);

    /// How unusual points are found (`detect_unusual`).
    type Detect = fn(&[Option<f64>], PeriodKind, Unit, &[(usize, usize)], bool) -> Vec<Unusual>;

    /// The answer for these arguments: kept, or worked out by `detect`
    /// (and kept).
    pub(super) fn remembered(
        values: &[Option<f64>],
        kind: PeriodKind,
        unit: Unit,
        notes: &[(usize, usize)],
        filling_in: bool,
        detect: Detect,
    ) -> Vec<Unusual> {
        let asked = Asked {
            values: values.iter().map(|v| v.map(f64::to_bits)).collect(),
            kind,
            unit,
            notes: notes.to_vec(),
            filling_in,
        };
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        asked.values.hash(&mut hasher);
        (kind, unit, &asked.notes, filling_in).hash(&mut hasher);
        let hash = hasher.finish();
        {
            let kept = KEPT.lock().unwrap_or_else(|p| p.into_inner());
            if let Some((was, found)) = kept.answers.get(&hash) {
                if *was == asked {
                    return found.clone();
                }
            }
        }
        let found = detect(values, kind, unit, notes, filling_in);
        let mut kept = KEPT.lock().unwrap_or_else(|p| p.into_inner());
        if kept.answers.len() >= MOST {
            for _ in 0..MOST / 2 {
                if let Some(old) = kept.order.pop_front() {
                    kept.answers.remove(&old);
                }
            }
        }
        if kept.answers.insert(hash, (asked, found.clone())).is_none() {
            kept.order.push_back(hash);
        }
        found
    }
}

fn detect_unusual(
    values: &[Option<f64>],
    kind: PeriodKind,
    unit: Unit,
    notes: &[(usize, usize)],
    filling_in: bool,
) -> Vec<Unusual> {
    let (step, year) = rhythm(kind);
    let rate = unit == Unit::Ratio;
    // How far `x` is from `level`: a share of it, or points for rates.
    let off = |x: f64, level: f64| -> Option<f64> {
        if rate {
            Some(x - level)
        } else {
            (level != 0.0).then(|| (x - level) / level.abs())
        }
    };
    let around: Vec<Option<(f64, f64)>> = (0..values.len())
        .map(|i| neighbourhood(values, i, step))
        .collect();
    // How far each point strays from what its neighbours expect; the usual
    // stray around a point is the median of its `USUAL_WINDOW` nearest points'
    // on each side (a quarter of weeks): a noisy stretch (a channel down to a
    // few hundred a week) needs a bigger move to stand out than eight
    // neighbours alone may suggest.
    let strays: Vec<Option<f64>> = values
        .iter()
        .zip(&around)
        .map(|(v, a)| off((*v)?, a.as_ref()?.0))
        .collect();
    let usual_at = |i: usize| {
        let from = i.saturating_sub(USUAL_WINDOW);
        let to = (i + USUAL_WINDOW + 1).min(strays.len());
        let mut near: Vec<f64> = (from..to)
            .filter(|j| *j != i)
            .filter_map(|j| strays[j].map(f64::abs))
            .collect();
        1.4826 * median(&mut near).unwrap_or(0.0)
    };
    // The same period a year earlier (or, in the first year, a year later):
    // how it stood against its own recent level.
    let seasonal_moves = |i: usize| -> Vec<f64> {
        let Some((lag, slack)) = year else {
            return Vec::new();
        };
        let moves_at = |centre: Option<usize>| -> Vec<f64> {
            let Some(c) = centre else {
                return Vec::new();
            };
            [c.checked_sub(slack), Some(c), Some(c + slack)]
                .into_iter()
                .flatten()
                .filter(|j| *j < values.len() && *j != i)
                .collect::<std::collections::BTreeSet<usize>>()
                .into_iter()
                .filter_map(|j| strays[j])
                .collect()
        };
        let earlier = moves_at(i.checked_sub(lag));
        if earlier.is_empty() {
            moves_at(Some(i + lag))
        } else {
            earlier
        }
    };
    let judge = |i: usize| -> Option<(f64, f64)> {
        let x = values[i]?;
        let (level, local) = around[i]?;
        let noise = if rate {
            local.max(usual_at(i)).max(MIN_RATE_SPREAD)
        } else {
            off(level + local, level)?
                .abs()
                .max(usual_at(i))
                .max(MIN_SPREAD)
        };
        if noise <= 0.0 || !noise.is_finite() {
            return None;
        }
        let mut expectations = vec![level];
        expectations.extend(seasonal_moves(i).into_iter().map(|m| {
            if rate {
                level + m
            } else {
                level * (1.0 + m)
            }
        }));
        // Against each expectation: the score, in noise, and the move.
        let scored: Vec<(f64, f64)> = expectations
            .into_iter()
            .filter_map(|e| {
                let score = if rate {
                    (x - e) / noise
                } else {
                    (x - e) / (noise * e.abs()).max(f64::MIN_POSITIVE)
                };
                score.is_finite().then_some((score, e))
            })
            .collect();
        let sign = scored.first()?.0.signum();
        let unusual = scored.iter().all(|(score, e)| {
            score.signum() == sign
                && score.abs() >= UNUSUAL_SCORE
                && (!rate || (x - e).abs() >= MIN_RATE_CHANGE)
        });
        if !unusual {
            return None;
        }
        scored
            .into_iter()
            .min_by(|a, b| a.0.abs().total_cmp(&b.0.abs()))
    };
    // The newest period may still be filling in (a month to date): a dip there
    // is not news yet.
    let newest = values
        .iter()
        .rposition(Option::is_some)
        .filter(|_| filling_in);
    (0..values.len())
        .filter(|i| !noted(*i, notes))
        .filter_map(|i| {
            let (score, expected) = judge(i)?;
            if Some(i) == newest && score < 0.0 {
                return None;
            }
            Some(Unusual {
                index: i,
                value: values[i]?,
                expected,
                score,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_listed_as_a_sentence_lists_them() {
        let names = |n: &[&str]| in_words(&n.iter().map(|s| s.to_string()).collect::<Vec<_>>());
        assert_eq!(names(&[]), "");
        assert_eq!(names(&["A"]), "A");
        assert_eq!(names(&["A", "B"]), "A and B");
        assert_eq!(names(&["A", "B", "C"]), "A, B and C");
    }

    #[test]
    fn how_often_records_are_sent_is_read_from_their_times() {
        let days = |from: &str, n: i64, step: i64| -> Vec<DateTime<Utc>> {
            (0..n).map(|i| t(from) + Duration::days(i * step)).collect()
        };
        // Daily from a Wednesday, weekly on Mondays (a gap between two).
        assert_eq!(
            frequency_of(&days("2021-12-29T00:00:00Z", 60, 1)),
            Some(PeriodKind::Day)
        );
        let mut weeks = days("2021-12-27T00:00:00Z", 10, 7);
        weeks.remove(4);
        assert_eq!(frequency_of(&weeks), Some(PeriodKind::Week));
        let months: Vec<DateTime<Utc>> = (0..14)
            .map(|m| add_months(t("2024-01-01T00:00:00Z"), m))
            .collect();
        assert_eq!(frequency_of(&months), Some(PeriodKind::Month));
        let years = [t("2023-01-01T00:00:00Z"), t("2024-01-01T00:00:00Z")];
        assert_eq!(frequency_of(&years), Some(PeriodKind::Year));
        // Every hour: hours.
        let hours: Vec<DateTime<Utc>> = (0..5)
            .map(|h| t("2026-11-30T00:00:00Z") + Duration::hours(h))
            .collect();
        assert_eq!(frequency_of(&hours), Some(PeriodKind::Hour));
        // One record, none one period after another, or odd times: not known.
        assert_eq!(frequency_of(&days("2021-12-29T00:00:00Z", 1, 1)), None);
        assert_eq!(frequency_of(&days("2021-12-29T00:00:00Z", 5, 2)), None);
        assert_eq!(
            frequency_of(&[t("2026-11-30T10:30:00Z"), t("2026-12-01T10:30:00Z")]),
            None
        );
        assert_eq!(frequency_of(&[]), None);
    }

    /// A weekly series with a gentle yearly swing and a little deterministic noise.
    fn ordinary_weeks(n: usize) -> Vec<Option<f64>> {
        (0..n)
            .map(|i| {
                let season = 1.0 + 0.15 * (i as f64 * std::f64::consts::TAU / 52.0).sin();
                let noise = 1.0 + 0.03 * (((i * 7919) % 13) as f64 / 6.0 - 1.0);
                Some(1000.0 * season * noise)
            })
            .collect()
    }

    #[test]
    fn a_read_refused_for_its_rows_is_read_back() {
        assert_eq!(rows_refused(&too_many_rows(94_672, 10_000)), Some(94_672));
        assert_eq!(
            rows_refused(&too_many_rows(100_001, MAX_ROWS)),
            Some(100_001)
        );
        assert_eq!(rows_refused("limit must be at most 100000"), None);
        assert_eq!(
            rows_refused("This query's answer would hold many rows"),
            None
        );
    }

    #[test]
    fn ordinary_weeks_are_not_unusual() {
        assert_eq!(
            unusual_points(
                &ordinary_weeks(156),
                PeriodKind::Week,
                Unit::Number,
                &[],
                true
            ),
            vec![]
        );
        // Flat, empty and tiny series neither.
        assert!(
            unusual_points(&[Some(5.0); 30], PeriodKind::Week, Unit::Number, &[], true).is_empty()
        );
        assert!(unusual_points(&[], PeriodKind::Week, Unit::Number, &[], true).is_empty());
        assert!(unusual_points(
            &[Some(1.0), Some(90.0), Some(1.0)],
            PeriodKind::Week,
            Unit::Number,
            &[],
            true
        )
        .is_empty());
        assert!(unusual_points(&[None; 20], PeriodKind::Month, Unit::Number, &[], true).is_empty());
    }

    #[test]
    fn a_spike_and_a_dip_are_found_with_their_direction() {
        let mut v = ordinary_weeks(60);
        v[20] = v[20].map(|x| x * 2.5);
        v[41] = v[41].map(|x| x * 0.3);
        let found = unusual_points(&v, PeriodKind::Week, Unit::Number, &[], true);
        let at: Vec<usize> = found.iter().map(|u| u.index).collect();
        assert_eq!(at, vec![20, 41]);
        assert!(found[0].score > UNUSUAL_SCORE && found[1].score < -UNUSUAL_SCORE);
        assert!(
            (found[0].expected / 1000.0 - 1.0).abs() < 0.3,
            "{:?}",
            found[0]
        );
    }

    #[test]
    fn the_newest_and_oldest_points_are_judged_too() {
        let mut v = ordinary_weeks(30);
        v[29] = v[29].map(|x| x * 3.0);
        v[0] = v[0].map(|x| x * 0.2);
        let at: Vec<usize> = unusual_points(&v, PeriodKind::Week, Unit::Number, &[], true)
            .iter()
            .map(|u| u.index)
            .collect();
        assert_eq!(at, vec![0, 29]);
        // A dip in the newest period is not news yet: it may still be filling in.
        v[29] = v[29].map(|x| x / 3.0 * 0.3);
        let at: Vec<usize> = unusual_points(&v, PeriodKind::Week, Unit::Number, &[], true)
            .iter()
            .map(|u| u.index)
            .collect();
        assert_eq!(at, vec![0]);
        // Unless the newest period is known to be complete.
        let at: Vec<usize> = unusual_points(&v, PeriodKind::Week, Unit::Number, &[], false)
            .iter()
            .map(|u| u.index)
            .collect();
        assert_eq!(at, vec![0, 29]);
    }

    #[test]
    fn a_noisy_series_needs_a_bigger_move() {
        // ±45% noise (a channel of a few hundred): its swings are ordinary,
        // a fourfold week is not.
        let mut v: Vec<Option<f64>> = (0..80)
            .map(|i| Some(300.0 * (1.0 + 0.45 * (((i * 7919) % 17) as f64 / 8.0 - 1.0))))
            .collect();
        assert!(
            unusual_points(&v, PeriodKind::Week, Unit::Number, &[], true).is_empty(),
            "{:?}",
            unusual_points(&v, PeriodKind::Week, Unit::Number, &[], true)
        );
        v[40] = Some(1500.0);
        let at: Vec<usize> = unusual_points(&v, PeriodKind::Week, Unit::Number, &[], true)
            .iter()
            .map(|u| u.index)
            .collect();
        assert_eq!(at, vec![40]);
    }

    /// The indices flagged in a series of counts.
    fn flagged(v: &[Option<f64>], kind: PeriodKind) -> Vec<usize> {
        unusual_points(v, kind, Unit::Number, &[], true)
            .iter()
            .map(|u| u.index)
            .collect()
    }

    /// The indices flagged in a series of rates.
    fn flagged_rates(v: &[Option<f64>], kind: PeriodKind) -> Vec<usize> {
        unusual_points(v, kind, Unit::Ratio, &[], true)
            .iter()
            .map(|u| u.index)
            .collect()
    }

    /// Three years of weeks with a filing deadline at the end of every
    /// January, as the demo's: the deadline week three times the usual, the
    /// week before it 1.7 times. Weeks start on 1 January of the first year,
    /// so the deadline falls in week 4, then (52 weeks on) in week 56 or 57.
    fn january_peaks() -> Vec<Option<f64>> {
        let mut v = ordinary_weeks(156);
        for deadline in [4, 56 + 1, 108 + 1] {
            v[deadline] = v[deadline].map(|x| x * 3.0);
            v[deadline - 1] = v[deadline - 1].map(|x| x * 1.7);
        }
        v
    }

    #[test]
    fn a_peak_every_january_is_the_rhythm_of_the_service_not_news() {
        // Before, every January was flagged (as "recurring"): now a move like
        // the same period's a year earlier (or, in the first year, a year
        // later) is seasonal, even when the deadline's week drifts by one.
        assert_eq!(
            flagged(&january_peaks(), PeriodKind::Week),
            Vec::<usize>::new()
        );
        // A peak in one year only is news, whichever year it is.
        for year in 0..3 {
            let mut v = ordinary_weeks(156);
            let i = 4 + 52 * year;
            v[i] = v[i].map(|x| x * 3.0);
            assert_eq!(flagged(&v, PeriodKind::Week), vec![i], "year {year}");
        }
        // A January three times the usual peak stands out from that peak too.
        let mut v = january_peaks();
        v[109] = v[109].map(|x| x * 3.0);
        let found = unusual_points(&v, PeriodKind::Week, Unit::Number, &[], true);
        assert_eq!(found.iter().map(|u| u.index).collect::<Vec<_>>(), vec![109]);
        // Expected: the usual January peak, not an ordinary week.
        assert!(found[0].expected > 2.0 * 1000.0, "{:?}", found[0]);
    }

    #[test]
    fn monthly_january_peaks_over_three_years_are_seasonal() {
        let months = |peak_in_year_3: f64| -> Vec<Option<f64>> {
            (0..36)
                .map(|i| {
                    let noise = 1.0 + 0.03 * (((i * 7919) % 13) as f64 / 6.0 - 1.0);
                    let peak = match i {
                        0 | 12 => 2.5,
                        24 => peak_in_year_3,
                        _ => 1.0,
                    };
                    Some(40_000.0 * noise * peak)
                })
                .collect()
        };
        assert_eq!(
            flagged(&months(2.5), PeriodKind::Month),
            Vec::<usize>::new()
        );
        // A January of more than twice the usual peak is not.
        assert_eq!(flagged(&months(6.0), PeriodKind::Month), vec![24]);
    }

    /// A deterministic stand-in for noise: evenly spread over -1..1.
    fn jitter(i: usize) -> f64 {
        let x = (i as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 40;
        x as f64 / (1u64 << 24) as f64 * 2.0 - 1.0
    }

    /// Three years of a monthly rate around `level`, with noise of up to
    /// `noise` either side.
    fn rate_months(level: f64, noise: f64) -> Vec<Option<f64>> {
        (0..36).map(|i| Some(level + noise * jitter(i))).collect()
    }

    #[test]
    fn a_sharp_fall_in_a_rate_is_found_in_points() {
        // Satisfaction at about 76.5%, ±2 points from month to month.
        let mut v = rate_months(0.765, 0.02);
        assert_eq!(flagged_rates(&v, PeriodKind::Month), Vec::<usize>::new());
        // Before, 76.5% to 61.0% was not flagged: 15.5 points is only 20% of
        // the level, under four times the 8% assumed for counts.
        v[30] = Some(0.61);
        assert_eq!(flagged(&v, PeriodKind::Month), Vec::<usize>::new());
        let found = unusual_points(&v, PeriodKind::Month, Unit::Ratio, &[], true);
        assert_eq!(found.iter().map(|u| u.index).collect::<Vec<_>>(), vec![30]);
        assert!(found[0].score < -UNUSUAL_SCORE);
        assert!((found[0].expected - 0.765).abs() < 0.02, "{:?}", found[0]);
        // So is a sharp rise, and a fall in weekly completion.
        v[30] = Some(0.92);
        assert_eq!(flagged_rates(&v, PeriodKind::Month), vec![30]);
        let mut weeks: Vec<Option<f64>> =
            (0..104).map(|i| Some(0.89 + 0.015 * jitter(i))).collect();
        assert_eq!(flagged_rates(&weeks, PeriodKind::Week), Vec::<usize>::new());
        weeks[96] = Some(0.49);
        assert_eq!(flagged_rates(&weeks, PeriodKind::Week), vec![96]);
    }

    #[test]
    fn ordinary_rate_noise_is_not_flagged() {
        // Few responses: a rate swinging ±6 points is ordinary, a fall of
        // 8 points in it too.
        let mut noisy = rate_months(0.7, 0.06);
        assert_eq!(
            flagged_rates(&noisy, PeriodKind::Month),
            Vec::<usize>::new()
        );
        noisy[20] = noisy[20].map(|x| x - 0.08);
        assert_eq!(
            flagged_rates(&noisy, PeriodKind::Month),
            Vec::<usize>::new()
        );
        // A very steady rate (±0.2 points): a 3-point move is many times its
        // noise, but under 5 points it is not worth a flag.
        let mut steady = rate_months(0.95, 0.002);
        steady[20] = Some(0.92);
        assert_eq!(
            flagged_rates(&steady, PeriodKind::Month),
            Vec::<usize>::new()
        );
        steady[20] = Some(0.89);
        assert_eq!(flagged_rates(&steady, PeriodKind::Month), vec![20]);
        // A rate with a dip every January (take-up falls as paper forms come
        // in) is seasonal.
        let mut seasonal = rate_months(0.8, 0.01);
        for i in [0, 12, 24] {
            seasonal[i] = seasonal[i].map(|x| x - 0.12);
        }
        assert_eq!(
            flagged_rates(&seasonal, PeriodKind::Month),
            Vec::<usize>::new()
        );
        // Digital take-up over 0.99 or near 0 is judged in points too.
        let low: Vec<Option<f64>> = rate_months(0.03, 0.004);
        assert_eq!(flagged_rates(&low, PeriodKind::Month), Vec::<usize>::new());
    }

    #[test]
    fn a_note_over_a_period_or_beside_it_explains_it() {
        let mut v = ordinary_weeks(60);
        v[20] = v[20].map(|x| x * 2.5);
        v[41] = v[41].map(|x| x * 0.3);
        let at = |notes: &[(usize, usize)]| -> Vec<usize> {
            unusual_points(&v, PeriodKind::Week, Unit::Number, notes, true)
                .iter()
                .map(|u| u.index)
                .collect()
        };
        assert_eq!(at(&[]), vec![20, 41]);
        // A note over weeks 18 to 21, or on the week after the dip.
        assert_eq!(at(&[(18, 21)]), vec![41]);
        assert_eq!(at(&[(42, 42)]), vec![20]);
        assert_eq!(at(&[(40, 40), (19, 19)]), Vec::<usize>::new());
        // A note two weeks away does not.
        assert_eq!(at(&[(22, 30), (43, 50)]), vec![20, 41]);
        // A noted January peak is still the reference for the next year's.
        let v = january_peaks();
        assert_eq!(
            unusual_points(&v, PeriodKind::Week, Unit::Number, &[(107, 109)], true),
            vec![]
        );
    }

    #[test]
    fn days_are_compared_with_the_same_weekday() {
        // Quiet weekends are the rhythm of a service, not news.
        let mut v: Vec<Option<f64>> = (0..70)
            .map(|i| {
                Some(if i % 7 >= 5 {
                    100.0
                } else {
                    1000.0 + (i % 3) as f64 * 10.0
                })
            })
            .collect();
        assert!(unusual_points(&v, PeriodKind::Day, Unit::Number, &[], true).is_empty());
        // A Wednesday as quiet as a Sunday is.
        v[30] = Some(100.0);
        let at: Vec<usize> = unusual_points(&v, PeriodKind::Day, Unit::Number, &[], true)
            .iter()
            .map(|u| u.index)
            .collect();
        assert_eq!(at, vec![30]);
    }

    #[test]
    fn gaps_are_skipped_not_read_as_zero() {
        let mut v = ordinary_weeks(40);
        for i in [10, 11, 12, 25] {
            v[i] = None;
        }
        assert!(unusual_points(&v, PeriodKind::Week, Unit::Number, &[], true).is_empty());
    }

    fn t(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn satisfaction_score_follows_the_platform_definition() {
        // Everyone very satisfied: 100%; everyone very dissatisfied: 0%.
        assert_eq!(satisfaction_score([0.0, 0.0, 0.0, 0.0, 10.0]), Some(1.0));
        assert_eq!(satisfaction_score([10.0, 0.0, 0.0, 0.0, 0.0]), Some(0.0));
        // mean = (1*1 + 2*2 + 3*3 + 4*4 + 5*10) / 20 = 80 / 20 = 4; score = 0.75
        assert_eq!(satisfaction_score([1.0, 2.0, 3.0, 4.0, 10.0]), Some(0.75));
        assert_eq!(satisfaction_score([0.0; 5]), None);
        // The score is of the ratings given, 0% to 100% whatever else a data
        // set says; a count that is no count gives none.
        assert_eq!(satisfaction_score([-10.0, 0.0, 0.0, 0.0, 20.0]), None);
        assert_eq!(satisfaction_score([0.0, 0.0, f64::NAN, 0.0, 1.0]), None);
    }

    #[test]
    fn satisfaction_over_a_range_sums_ratings_before_scoring() {
        // A quiet month (all very satisfied) and a busy one (all neutral).
        let quiet = [0.0, 0.0, 0.0, 0.0, 2.0];
        let busy = [0.0, 0.0, 98.0, 0.0, 0.0];
        let mut summed = [0.0; 5];
        for i in 0..5 {
            summed[i] = quiet[i] + busy[i];
        }
        let score = satisfaction_score(summed).unwrap();
        // mean = (5*2 + 3*98) / 100 = 3.04; score = 0.51, not the 0.75 an average of
        // the two monthly scores (1.0 and 0.5) would give.
        assert!((score - 0.51).abs() < 1e-12);
    }

    #[test]
    fn completion_rate_is_end_over_start() {
        assert_eq!(completion_rate(200.0, 150.0), Some(0.75));
        assert_eq!(completion_rate(0.0, 5.0), None);
    }

    #[test]
    fn digital_take_up_handles_missing_parts() {
        assert_eq!(digital_take_up(Some(30.0), Some(120.0)), Some(0.25));
        assert_eq!(digital_take_up(None, Some(120.0)), Some(0.0));
        assert_eq!(digital_take_up(Some(3.0), None), None);
        assert_eq!(digital_take_up(Some(0.0), Some(0.0)), None);
    }

    #[test]
    fn cost_per_transaction_and_total_cost_are_inverse() {
        assert_eq!(cost_per_transaction(1_000.0, 400.0), Some(2.5));
        assert_eq!(total_cost(400.0, 2.5), 1_000.0);
        assert_eq!(cost_per_transaction(1_000.0, 0.0), None);
    }

    #[test]
    fn weighted_mean_weights_by_transactions() {
        let m = weighted_mean([(Some(0.5), 100.0), (Some(1.0), 300.0), (None, 1e9)]).unwrap();
        assert!((m - 0.875).abs() < 1e-12);
        assert_eq!(weighted_mean([(None, 1.0)]), None);
    }

    #[test]
    fn no_services_add_up_to_zero_not_minus_zero() {
        // (`Iterator::sum` of no `f64`s is -0, which JSON writes "-0.0")
        let summary = summarise(&[]);
        for total in [summary.transactions_per_year, summary.total_cost] {
            assert!(total == 0.0 && total.is_sign_positive(), "{total:?}");
        }
        assert!(add_up([-0.0]).is_sign_positive());
        assert_eq!(add_up([1.5, 2.5]), 4.0);
    }

    #[test]
    fn summaries_add_volumes_and_weight_the_rest() {
        use crate::model::{OrgRef, ServiceKpis, ServiceListing};
        let service = |slug: &str, volume, cost: Option<(f64, f64)>, take_up| ServiceKpis {
            service: ServiceListing {
                slug: slug.into(),
                title: slug.into(),
                department: OrgRef {
                    slug: "d1".into(),
                    title: "D".into(),
                    abbreviation: None,
                },
                agency: None,
            },
            transactions_per_year: Some(volume),
            year_from: None,
            year_to: Some(Utc.with_ymd_and_hms(2026, 11, 30, 0, 0, 0).unwrap()),
            weekly_transactions: Some(volume / 52.0),
            cost_per_transaction: None,
            digital_take_up: take_up,
            user_satisfaction: None,
            completion_rate: None,
            total_cost: cost.map(|c| c.0),
            costed_transactions: cost.map(|c| c.1),
            cost_from: None,
            cost_to: None,
            figures: Vec::new(),
        };
        let summary = summarise(&[
            service("a1", 1_000.0, Some((2_000.0, 900.0)), Some(0.5)),
            service("b1", 3_000.0, Some((12_000.0, 3_100.0)), Some(0.9)),
            service("c1", 6_000.0, None, None),
        ]);
        assert_eq!(summary.services, 3);
        assert_eq!(summary.transactions_per_year, 10_000.0);
        assert_eq!(summary.total_cost, 14_000.0);
        // Cost per transaction over the quarters costed: 14,000 / 4,000.
        assert_eq!(summary.cost_per_transaction, Some(3.5));
        // (0.5 * 1,000 + 0.9 * 3,000) / 4,000
        assert!((summary.digital_take_up.unwrap() - 0.8).abs() < 1e-12);
        assert_eq!(summary.user_satisfaction, None);
        assert_eq!((summary.counted, summary.current), (3, 3));
        assert_eq!(counted_words(&summary), "");
        // c1 has no year of costs: the total says whose it is.
        assert_eq!(summary.costed, 2);
        assert_eq!(
            costed_words(&summary),
            " (of 2 of 3 services with four recent quarters of costs)"
        );
        // Costs that stopped long before the others' figures are of
        // another time: not added to this year's (the last quarter ended
        // 30 September 2025, more than a quarter and 4 weeks before).
        let mut old_costs = service("f1", 2_000.0, Some((50_000.0, 1_000.0)), None);
        old_costs.cost_from = Some(Utc.with_ymd_and_hms(2024, 10, 1, 0, 0, 0).unwrap());
        old_costs.cost_to = Some(Utc.with_ymd_and_hms(2025, 10, 1, 0, 0, 0).unwrap());
        let mut recent_costs = old_costs.clone();
        recent_costs.service.slug = "g1".into();
        recent_costs.cost_from = Some(Utc.with_ymd_and_hms(2025, 10, 1, 0, 0, 0).unwrap());
        recent_costs.cost_to = Some(Utc.with_ymd_and_hms(2026, 10, 1, 0, 0, 0).unwrap());
        let with_old = summarise(&[
            service("a1", 1_000.0, Some((2_000.0, 900.0)), Some(0.5)),
            old_costs,
            recent_costs,
        ]);
        assert_eq!(with_old.total_cost, 52_000.0);
        assert_eq!(with_old.costed, 2);
        assert_eq!(with_old.cost_per_transaction, Some(52_000.0 / 1_900.0));
        assert_eq!(
            costed_words(&with_old),
            " (of 2 of 3 services with four recent quarters of costs)"
        );
        // A young service (8 weeks of 1,000) has no year to add up, but its
        // rate is weighed by its weeks; one whose figures stopped long ago
        // is in no figure at all.
        let mut young = service("d1", 0.0, None, Some(0.1));
        young.transactions_per_year = None;
        young.weekly_transactions = Some(1_000.0);
        // Stopped 5 weeks before the others' figures.
        let mut stopped = service("e1", 52_000.0, Some((9e9, 9e6)), Some(0.0));
        stopped.year_to = Some(Utc.with_ymd_and_hms(2026, 10, 26, 0, 0, 0).unwrap());
        // Four weeks before is the same time.
        let mut late = service("f1", 0.0, None, None);
        late.year_to = Some(Utc.with_ymd_and_hms(2026, 11, 2, 0, 0, 0).unwrap());
        late.transactions_per_year = None;
        late.weekly_transactions = None;
        // No transactions at all: not stopped, in no total.
        let mut none = service("g1", 0.0, None, Some(0.9));
        none.year_to = None;
        none.transactions_per_year = None;
        none.weekly_transactions = None;
        let summary = summarise(&[
            service("a1", 52_000.0, Some((2_000.0, 900.0)), Some(0.5)),
            young,
            stopped,
            late,
            none,
        ]);
        assert_eq!(
            (
                summary.services,
                summary.current,
                summary.counted,
                summary.stopped
            ),
            (5, 3, 1, 1)
        );
        assert_eq!(format_year_total(&summary), "52k");
        assert_eq!(summary.transactions_per_year, 52_000.0);
        assert_eq!(summary.total_cost, 2_000.0);
        // (0.5 * 1,000 + 0.1 * 1,000) / 2,000 a week
        assert!((summary.digital_take_up.unwrap() - 0.3).abs() < 1e-12);
        assert_eq!(
            counted_words(&summary),
            " (the transactions a year of 1 of 3 services with a year of figures; \
             1 service whose figures stopped more than 4 weeks before the others' is in no figure here; \
             1 service with no transaction figures is in none)"
        );
        // A rate of a handful, or of long ago, is in no average: a service of
        // 5,000 a week whose 2 responses score 20%, and one whose score is of
        // 2021, leave the average with the one it can rely on.
        let figure = |kpi, base: f64, month: u32, year: i32| crate::model::KpiFigure {
            kpi,
            value: Some(0.2),
            previous: None,
            period: period_containing(
                PeriodKind::Month,
                Utc.with_ymd_and_hms(year, month, 1, 0, 0, 0).unwrap(),
            ),
            base: Some(base),
        };
        let mut big = service("h1", 260_000.0, None, None);
        big.user_satisfaction = Some(0.2);
        big.figures = vec![figure(KpiKind::UserSatisfaction, 2.0, 10, 2026)];
        let mut old = service("i1", 52_000.0, None, None);
        old.user_satisfaction = Some(0.2);
        old.figures = vec![figure(KpiKind::UserSatisfaction, 500.0, 3, 2021)];
        let mut relied = service("j1", 52_000.0, None, None);
        relied.user_satisfaction = Some(0.9);
        relied.figures = vec![figure(KpiKind::UserSatisfaction, 5_000.0, 10, 2026)];
        // The 2021 score is of another time (boards judge it against no
        // target); October 2026's is not, nor is a KPI without a figure.
        let newest = Some(Utc.with_ymd_and_hms(2026, 11, 30, 0, 0, 0).unwrap());
        assert!(figure_is_stale(&old, KpiKind::UserSatisfaction, newest));
        assert!(!figure_is_stale(&relied, KpiKind::UserSatisfaction, newest));
        assert!(!figure_is_stale(&relied, KpiKind::CompletionRate, newest));
        // A month ending 31 October is of this time until 4 weeks and a
        // month after it, and no longer.
        let month = chrono::Duration::days(31);
        let end = Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0).unwrap();
        let at = |extra: i64| {
            Some(end + month + chrono::Duration::weeks(4) + chrono::Duration::days(extra))
        };
        assert!(!figure_is_stale(&relied, KpiKind::UserSatisfaction, at(0)));
        assert!(figure_is_stale(&relied, KpiKind::UserSatisfaction, at(1)));
        // The time each figure is of: the month of a score, none for a KPI
        // without a figure or whose latest period has no value, and a year of
        // transactions only when there is a year's total.
        let october = period_containing(
            PeriodKind::Month,
            Utc.with_ymd_and_hms(2026, 10, 1, 0, 0, 0).unwrap(),
        );
        assert_eq!(
            figure_span(&relied, KpiKind::UserSatisfaction),
            Some((october.start, october.end))
        );
        assert_eq!(figure_span(&relied, KpiKind::CompletionRate), None);
        let mut unanswered = relied.clone();
        unanswered.figures[0].value = None;
        assert_eq!(figure_span(&unanswered, KpiKind::UserSatisfaction), None);
        let year_from = Utc.with_ymd_and_hms(2025, 12, 1, 0, 0, 0).unwrap();
        let mut year = relied.clone();
        year.year_from = Some(year_from);
        assert_eq!(
            figure_span(&year, KpiKind::Transactions),
            Some((year_from, year.year_to.unwrap()))
        );
        year.transactions_per_year = None;
        assert_eq!(figure_span(&year, KpiKind::Transactions), None);
        let summary = summarise(&[big, old, relied]);
        assert_eq!(summary.user_satisfaction, Some(0.9));
        // The score is the relied-on one's alone, and says so.
        assert_eq!(summary.averaged[1], 1);
    }

    #[test]
    fn relative_change_is_signed() {
        assert_eq!(relative_change(Some(110.0), Some(100.0)), Some(0.1));
        assert_eq!(relative_change(Some(90.0), Some(100.0)), Some(-0.1));
        assert_eq!(relative_change(Some(90.0), Some(0.0)), None);
        assert_eq!(relative_change(None, Some(1.0)), None);
    }

    #[test]
    fn periods_start_where_the_platform_said() {
        let x = t("2014-03-12T15:42:10Z"); // a Wednesday
        assert_eq!(period_start(PeriodKind::Hour, x), t("2014-03-12T15:00:00Z"));
        assert_eq!(period_start(PeriodKind::Day, x), t("2014-03-12T00:00:00Z"));
        assert_eq!(period_start(PeriodKind::Week, x), t("2014-03-10T00:00:00Z"));
        assert_eq!(
            period_start(PeriodKind::Month, x),
            t("2014-03-01T00:00:00Z")
        );
        assert_eq!(
            period_start(PeriodKind::Quarter, x),
            t("2014-01-01T00:00:00Z")
        );
        assert_eq!(period_start(PeriodKind::Year, x), t("2014-01-01T00:00:00Z"));
        // A Monday is its own week start; a Sunday belongs to the week before.
        assert_eq!(
            period_start(PeriodKind::Week, t("2014-03-10T00:00:00Z")),
            t("2014-03-10T00:00:00Z")
        );
        assert_eq!(
            period_start(PeriodKind::Week, t("2014-03-16T23:59:59Z")),
            t("2014-03-10T00:00:00Z")
        );
        assert_eq!(
            next_period_start(PeriodKind::Quarter, t("2014-10-01T00:00:00Z")),
            t("2015-01-01T00:00:00Z")
        );
    }

    #[test]
    fn periods_between_covers_the_window() {
        let p = periods_between(
            PeriodKind::Month,
            t("2014-01-15T00:00:00Z"),
            t("2014-04-01T00:00:00Z"),
        );
        let starts: Vec<_> = p.iter().map(|p| p.start).collect();
        assert_eq!(
            starts,
            vec![
                t("2014-01-01T00:00:00Z"),
                t("2014-02-01T00:00:00Z"),
                t("2014-03-01T00:00:00Z")
            ]
        );
    }

    #[test]
    fn numbers_have_three_significant_figures_and_suffixes() {
        assert_eq!(format_number(2_990_000_000.0), "2.99bn");
        assert_eq!(format_number(12_345.0), "12.3k");
        assert_eq!(format_number(999.0), "999");
        assert_eq!(format_number(1_000.0), "1k");
        assert_eq!(format_number(999_999.0), "1m");
        assert_eq!(format_number(1_234_000_000_000.0), "1,230bn");
        assert_eq!(format_number(12.345), "12.3");
        assert_eq!(format_number(0.0), "0");
        assert_eq!(format_number(-45_600.0), "-45.6k");
        assert_eq!(format_count(1_234_567.0), "1,234,567");
    }

    #[test]
    fn pounds_show_pence_under_a_hundred() {
        assert_eq!(format_pounds(4.5), "£4.50");
        assert_eq!(format_pounds(0.37), "£0.37");
        assert_eq!(format_pounds(12.34), "£12.34");
        assert_eq!(format_pounds(15.8), "£15.80");
        assert_eq!(format_pounds(99.994), "£99.99");
        assert_eq!(format_pounds(99.996), "£100");
        assert_eq!(format_pounds(123.4), "£123");
        assert_eq!(format_pounds(1_234_567.0), "£1.23m");
    }

    #[test]
    fn rates_change_in_points_and_volumes_in_percent() {
        let rate = change_in(Unit::Ratio, Some(0.819), Some(0.796)).unwrap();
        assert_eq!(format_change_in(Unit::Ratio, rate), "+2.3 points");
        assert_eq!(format_change_in(Unit::Ratio, -0.155), "-15.5 points");
        assert_eq!(format_change_in(Unit::Ratio, 0.0002), "no change");
        // February against January: per day, so the same daily business
        // is no change; weeks against weeks as they are.
        let month =
            |m| period_containing(PeriodKind::Month, t(&format!("2026-{m:02}-01T00:00:00Z")));
        assert_eq!(period_before(&month(2)), month(1));
        assert!(per_day(true, &month(2), &month(1)));
        assert!(!per_day(false, &month(2), &month(1)));
        assert!(!per_day(true, &month(3), &month(1)));
        // A sum of pounds is a volume too.
        let pounds = change_over(
            Unit::Pounds,
            true,
            &month(2),
            Some(28.0),
            &month(1),
            Some(31.0),
        );
        assert!(pounds.unwrap().abs() < 1e-12, "{pounds:?}");
        let same = change_over(
            Unit::Number,
            true,
            &month(2),
            Some(2_800.0),
            &month(1),
            Some(3_100.0),
        );
        assert!(same.unwrap().abs() < 1e-12, "{same:?}");
        assert_eq!(
            change_over(
                Unit::Number,
                true,
                &month(4),
                Some(110.0),
                &month(3),
                Some(100.0)
            )
            .map(|c| (c * 1e6).round()),
            Some(((110.0 / 30.0 - 100.0 / 31.0) / (100.0 / 31.0) * 1e6_f64).round())
        );
        let weeks = period_containing(PeriodKind::Week, t("2026-03-09T00:00:00Z"));
        assert_eq!(
            change_over(
                Unit::Number,
                true,
                &weeks,
                Some(110.0),
                &period_before(&weeks),
                Some(100.0)
            ),
            change_in(Unit::Number, Some(110.0), Some(100.0))
        );
        assert_eq!(
            low_base_words(KpiKind::UserSatisfaction, Some(1.0)).as_deref(),
            Some("from 1 response: too few to rely on")
        );
        assert_eq!(
            low_base_words(KpiKind::CompletionRate, Some(29.0)).as_deref(),
            Some("from 29 people who started: too few to rely on")
        );
        assert_eq!(low_base_words(KpiKind::DigitalTakeUp, Some(30.0)), None);
        assert_eq!(low_base_words(KpiKind::DigitalTakeUp, Some(29.6)), None);
        assert_eq!(low_base_words(KpiKind::Transactions, Some(3.0)), None);
        // Under a headline: what the rate is out of, whatever its size.
        assert_eq!(
            base_words(KpiKind::CompletionRate, 1204.4).as_deref(),
            Some("from 1,204 people who started")
        );
        assert_eq!(
            base_words(KpiKind::UserSatisfaction, 1.0).as_deref(),
            Some("from 1 response: too few to rely on")
        );
        assert_eq!(base_words(KpiKind::CostPerTransaction, 10.0), None);
        assert_eq!(low_base_words(KpiKind::UserSatisfaction, None), None);
        let volume = change_in(Unit::Number, Some(110.0), Some(100.0)).unwrap();
        assert_eq!(format_change_in(Unit::Number, volume), "+10.0%");
        assert_eq!(change_in(Unit::Pounds, Some(3.0), None), None);
    }

    #[test]
    fn complete_periods_end_where_both_the_clock_and_the_data_allow() {
        let now = t("2026-12-01T09:30:00Z"); // a Tuesday
        let newest_week = Some(t("2026-11-23T00:00:00Z"));
        let until = complete_until(PeriodKind::Week, newest_week, now);
        assert_eq!(until, Some(t("2026-11-30T00:00:00Z")));
        let week = |s| period_containing(PeriodKind::Week, t(s));
        let month = |s| period_containing(PeriodKind::Month, t(s));
        let quarter = |s| period_containing(PeriodKind::Quarter, t(s));
        let year = |s| period_containing(PeriodKind::Year, t(s));
        assert!(is_complete(&week("2026-11-23T00:00:00Z"), until));
        assert!(!is_complete(&week("2026-11-30T00:00:00Z"), until));
        // November's last day is in the week of 30 November, not yet sent: not complete.
        assert!(!is_complete(&month("2026-11-15T00:00:00Z"), until));
        assert!(is_complete(&month("2026-10-15T00:00:00Z"), until));
        assert!(!is_complete(&quarter("2026-10-15T00:00:00Z"), until));
        assert!(is_complete(&quarter("2026-09-30T00:00:00Z"), until));
        assert!(!is_complete(&year("2026-06-01T00:00:00Z"), until));
        assert!(is_complete(&year("2025-06-01T00:00:00Z"), until));
        // A record for the week under way does not complete it.
        let sent_early = complete_until(PeriodKind::Week, Some(t("2026-11-30T00:00:00Z")), now);
        assert_eq!(sent_early, until);
        // Monthly data on 1 December: November is complete once it is in.
        let monthly = complete_until(PeriodKind::Month, Some(t("2026-11-01T00:00:00Z")), now);
        assert!(is_complete(&month("2026-11-15T00:00:00Z"), monthly));
        assert!(!is_complete(&month("2026-12-01T00:00:00Z"), monthly));
        // Late data: complete only as far as it goes.
        let late = complete_until(PeriodKind::Month, Some(t("2026-06-01T00:00:00Z")), now);
        assert!(is_complete(&month("2026-06-01T00:00:00Z"), late));
        assert!(!is_complete(&month("2026-07-01T00:00:00Z"), late));
        // Quarterly data at the turn of a year.
        let q = complete_until(
            PeriodKind::Quarter,
            Some(t("2026-10-01T00:00:00Z")),
            t("2027-01-01T00:00:00Z"),
        );
        assert_eq!(q, Some(t("2027-01-01T00:00:00Z")));
        assert!(is_complete(&year("2026-03-01T00:00:00Z"), q));
        assert_eq!(complete_until(PeriodKind::Week, None, now), None);
        assert!(!is_complete(&week("2020-01-06T00:00:00Z"), None));
        // The newest complete period with a value.
        let periods = periods_between(PeriodKind::Month, t("2026-09-01T00:00:00Z"), now);
        let values = [Some(1.0), Some(2.0), None, Some(4.0)];
        assert_eq!(latest_complete(&periods, &values, until), Some(1));
        assert_eq!(latest_complete(&periods, &values, monthly), Some(1));
        assert_eq!(latest_complete(&periods, &[None; 4], monthly), None);
        assert_eq!(
            format_period_so_far(&quarter("2026-11-01T00:00:00Z")),
            "Oct to Dec 2026 so far"
        );
    }

    #[test]
    fn weeks_are_shared_between_months_by_their_days() {
        // Monday 29 September 2025: 2 days in September, 5 in October.
        let got = shares(
            PeriodKind::Week,
            t("2025-09-29T00:00:00Z"),
            PeriodKind::Month,
        );
        assert_eq!(
            got,
            vec![
                (t("2025-09-01T00:00:00Z"), 2.0 / 7.0),
                (t("2025-10-01T00:00:00Z"), 5.0 / 7.0)
            ]
        );
        // Across a year (and so a quarter) too.
        let new_year = shares(
            PeriodKind::Week,
            t("2025-12-29T00:00:00Z"),
            PeriodKind::Year,
        );
        assert_eq!(new_year[0], (t("2025-01-01T00:00:00Z"), 3.0 / 7.0));
        assert_eq!(new_year[1], (t("2026-01-01T00:00:00Z"), 4.0 / 7.0));
        // A week inside one month, days into weeks, months into quarters: whole.
        for (f, at, k) in [
            (PeriodKind::Week, "2025-10-06T00:00:00Z", PeriodKind::Month),
            (PeriodKind::Day, "2025-10-05T00:00:00Z", PeriodKind::Week),
            (
                PeriodKind::Month,
                "2025-11-01T00:00:00Z",
                PeriodKind::Quarter,
            ),
            (PeriodKind::Week, "2025-10-01T00:00:00Z", PeriodKind::Week),
        ] {
            let got = shares(f, t(at), k);
            assert_eq!(got, vec![(period_start(k, t(at)), 1.0)], "{f:?} {at} {k:?}");
        }
        // Two years of steady weeks: months differ only by their days (28 to 31),
        // not by their Mondays (4 or 5).
        let mut months: std::collections::BTreeMap<DateTime<Utc>, f64> = Default::default();
        let first = t("2024-01-01T00:00:00Z");
        for w in 0..104 {
            for (m, share) in shares(
                PeriodKind::Week,
                first + Duration::weeks(w),
                PeriodKind::Month,
            ) {
                *months.entry(m).or_default() += 700.0 * share;
            }
        }
        for (start, total) in months.iter().skip(1).take(22) {
            let days = period_containing(PeriodKind::Month, *start).days();
            assert!((total - 100.0 * days).abs() < 1e-6, "{start}: {total}");
        }
        assert!(is_shared(PeriodKind::Week, PeriodKind::Quarter));
        assert!(!is_shared(PeriodKind::Month, PeriodKind::Quarter));
        assert_eq!(
            shown_by(PeriodKind::Month, PeriodKind::Week),
            PeriodKind::Month
        );
        assert_eq!(
            shown_by(PeriodKind::Week, PeriodKind::Year),
            PeriodKind::Year
        );
    }

    #[test]
    fn percents_have_one_decimal_place() {
        assert_eq!(format_percent(0.78214), "78.2%");
        assert_eq!(format_percent(-0.0), "0.0%");
        assert_eq!(format_percent(-0.0004), "0.0%");
        assert_eq!(format_percent(-0.0006), "-0.1%");
        assert_eq!(format_percent(1.0), "100.0%");
        assert_eq!(format_change(0.025), "+2.5%");
        assert_eq!(format_change(-0.004), "-0.4%");
        assert_eq!(format_change(0.0001), "no change");
        assert_eq!(format_value(None, Unit::Ratio), "no data");
    }

    #[test]
    fn numbers_are_read_as_people_type_them_and_nothing_else() {
        for (typed, value) in [
            ("80", 80.0),
            ("0.95", 0.95),
            (" -3 ", -3.0),
            ("+4", 4.0),
            (".5", 0.5),
            ("-.5", -0.5),
            ("5.", 5.0),
            ("007", 7.0),
            ("0", 0.0),
            ("000", 0.0),
            ("1e3", 1000.0),
            ("2.5E-2", 0.025),
            ("1234567.0123456", 1_234_567.012_345_6),
        ] {
            assert_eq!(parse_number(typed), Some(value), "{typed}");
            assert_eq!(
                parse_number(typed),
                typed.trim().parse::<f64>().ok(),
                "{typed}"
            );
        }
        for typed in [
            "", " ", "-", "+", ".", "e5", "-e5", "1,000", "80%", "£4", "inf", "NaN", "1e400",
            "1.2.3", "0x10", "5 5", "--5", "1e", "١٢",
        ] {
            assert_eq!(parse_number(typed), None, "{typed:?}");
        }
    }

    #[test]
    fn digits_are_grouped_in_thousands() {
        assert_eq!(group_digits(""), "");
        assert_eq!(group_digits("12"), "12");
        assert_eq!(group_digits("123"), "123");
        assert_eq!(group_digits("1234"), "1,234");
        assert_eq!(group_digits("1234567"), "1,234,567");
    }

    #[test]
    fn periods_read_as_words() {
        let week = period_containing(PeriodKind::Week, t("2014-03-05T00:00:00Z"));
        assert_eq!(format_period(&week), "3 to 9 March 2014");
        let across = period_containing(PeriodKind::Week, t("2014-03-25T00:00:00Z"));
        assert_eq!(format_period(&across), "24 to 30 March 2014");
        let months = period_containing(PeriodKind::Week, t("2014-03-01T00:00:00Z"));
        assert_eq!(format_period(&months), "24 February to 2 March 2014");
        let years = period_containing(PeriodKind::Week, t("2015-01-01T00:00:00Z"));
        assert_eq!(format_period(&years), "29 December 2014 to 4 January 2015");
        let month = period_containing(PeriodKind::Month, t("2014-03-05T00:00:00Z"));
        assert_eq!(format_period(&month), "March 2014");
        let quarter = period_containing(PeriodKind::Quarter, t("2014-05-05T00:00:00Z"));
        assert_eq!(format_period(&quarter), "Apr to Jun 2014");
        let year = period_containing(PeriodKind::Year, t("2014-05-05T00:00:00Z"));
        assert_eq!(format_period(&year), "Jan to Dec 2014");
        assert_eq!(short_period_label(&quarter), "Q2 2014");
    }

    #[test]
    fn months_are_checked_for_form_and_years() {
        assert_eq!(parse_month("2025-04"), Some(t("2025-04-01T00:00:00Z")));
        assert_eq!(parse_month("1900-01"), Some(t("1900-01-01T00:00:00Z")));
        assert_eq!(parse_month("2200-12"), Some(t("2200-12-01T00:00:00Z")));
        for bad in [
            "0000-01", "9999-12", "1899-12", "2201-01", "2025-13", "2025-00", "2025-1", "+202-01",
            "2025", "",
        ] {
            assert_eq!(parse_month(bad), None, "{bad}");
        }
        assert_eq!(
            month_in_range("0000-01", "from").unwrap_err(),
            "from must be a month from 1900-01 to 2200-12 written YYYY-MM, like 2025-04, not \"0000-01\""
        );
    }

    #[test]
    fn period_counts_match_the_periods_themselves() {
        let times = [
            "1900-01-01T00:00:00Z",
            "2013-03-04T00:00:00Z",
            "2013-03-05T13:30:00Z",
            "2014-02-28T23:59:59Z",
            "2014-03-01T00:00:00Z",
            "2016-12-31T12:00:00Z",
        ];
        for kind in PeriodKind::ALL {
            for from in times {
                for to in times {
                    let (from, to) = (t(from), t(to));
                    if kind == PeriodKind::Hour && (to - from).num_days() > 400 {
                        continue;
                    }
                    assert_eq!(
                        period_count(kind, from, to),
                        periods_between(kind, from, to).len() as i64,
                        "{kind:?} {from} {to}"
                    );
                }
            }
            let start = period_start(kind, t("2013-03-05T13:30:00Z"));
            assert_eq!(
                period_count(kind, start, periods_after(kind, start, 17)),
                17
            );
            assert_eq!(
                periods_after(kind, periods_after(kind, start, 5), -5),
                start
            );
        }
        // A century of weeks is far over the bound; years 1900 to 2200 are not.
        let (from, to) = (t("1900-01-01T00:00:00Z"), t("2201-01-01T00:00:00Z"));
        assert!(period_count(PeriodKind::Week, from, to) > i64::from(MAX_PERIODS));
        assert_eq!(period_count(PeriodKind::Year, from, to), 301);
    }

    #[test]
    fn times_are_written_as_uk_clocks_show_them() {
        let winter = t("2026-12-03T09:44:00Z");
        assert_eq!(format_time(winter, winter), "09:44 GMT");
        let summer = t("2026-07-01T09:44:00Z");
        assert_eq!(format_time(summer, summer), "10:44 BST");
        // 23:30 UTC in summer is the next day in the UK.
        let late = t("2026-07-01T23:30:00Z");
        assert_eq!(format_time(late, summer), "00:30 BST on 2 July 2026");
        // The hour the clocks change.
        assert_eq!(
            format_time(t("2026-03-29T00:59:00Z"), winter),
            "00:59 GMT on 29 March 2026"
        );
        assert_eq!(
            format_time(t("2026-03-29T01:00:00Z"), winter),
            "02:00 BST on 29 March 2026"
        );
        assert_eq!(
            format_time(t("2026-10-25T01:00:00Z"), winter),
            "01:00 GMT on 25 October 2026"
        );
    }
}
