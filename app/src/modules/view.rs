//! The view: what a dashboard or module page's controls choose (period,
//! months, a year earlier), kept in the page's URL, checked, and which module
//! types follow it. Pure: the server and the browser read a URL the same way.

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::kpi::{add_months, parse_month, period_count, MAX_PERIODS, MAX_YEAR, MIN_YEAR};
use crate::model::{ModuleType, Period, PeriodKind};
use crate::query_string;

/// The periods a person can switch between (and days, where a page's data is
/// daily: [`offered_periods`]).
pub const VIEW_PERIODS: [PeriodKind; 4] = [
    PeriodKind::Week,
    PeriodKind::Month,
    PeriodKind::Quarter,
    PeriodKind::Year,
];

/// A span of time chosen by name (the time picker's presets), kept in the URL
/// as `range=` and turned into months when the page is read, so a link to
/// "the last 12 months" stays the last 12 months.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Range {
    Last12Months,
    Last2Years,
    ThisFinancialYear,
    LastFinancialYear,
    /// From the month of the oldest figure of the page's data.
    All,
}

impl Range {
    pub const ALL: [Range; 5] = [
        Range::Last12Months,
        Range::Last2Years,
        Range::ThisFinancialYear,
        Range::LastFinancialYear,
        Range::All,
    ];

    pub fn key(self) -> &'static str {
        match self {
            Range::Last12Months => "12-months",
            Range::Last2Years => "2-years",
            Range::ThisFinancialYear => "this-financial-year",
            Range::LastFinancialYear => "last-financial-year",
            Range::All => "all",
        }
    }

    pub fn parse(key: &str) -> Option<Range> {
        Range::ALL.into_iter().find(|r| r.key() == key)
    }

    /// The first month of the UK financial year (April to March) holding
    /// `now`, moved by `years`.
    fn financial_year(now: DateTime<Utc>, years: i32) -> DateTime<Utc> {
        let start = if now.month() >= 4 {
            now.year()
        } else {
            now.year() - 1
        };
        add_months(
            parse_month(&format!("{:04}-04", start)).unwrap_or(now),
            12 * years,
        )
    }

    /// Its name in the time picker at `now` (financial years with their months).
    pub fn label(self, now: DateTime<Utc>) -> String {
        let year = |years: i32| {
            let start = Range::financial_year(now, years);
            format!(
                "April {} to March {}",
                start.year(),
                add_months(start, 11).year()
            )
        };
        match self {
            Range::Last12Months => "The last 12 months".into(),
            Range::Last2Years => "The last 2 years".into(),
            Range::ThisFinancialYear => format!("This financial year ({}, so far)", year(0)),
            Range::LastFinancialYear => format!("Last financial year ({})", year(-1)),
            Range::All => "All the data".into(),
        }
    }

    /// The first and last months it covers at `now` (months under way
    /// included, never months to come); `All` starts at `oldest`'s month and
    /// is `None` without it.
    pub fn months(
        self,
        now: DateTime<Utc>,
        oldest: Option<DateTime<Utc>>,
    ) -> Option<(String, String)> {
        let month = |t: DateTime<Utc>| format!("{:04}-{:02}", t.year(), t.month());
        let this_month = parse_month(&month(now))?;
        let (from, to) = match self {
            Range::Last12Months => (add_months(this_month, -11), this_month),
            Range::Last2Years => (add_months(this_month, -23), this_month),
            Range::ThisFinancialYear => (Range::financial_year(now, 0), this_month),
            Range::LastFinancialYear => {
                let start = Range::financial_year(now, -1);
                (start, add_months(start, 11))
            }
            Range::All => (parse_month(&month(oldest?))?, this_month),
        };
        Some((month(from), month(to.max(from))))
    }
}

/// The view chosen on a dashboard or module page: applies to every time-series
/// module. Every field is optional: empty is the module's own stored query.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ViewParams {
    pub period: Option<PeriodKind>,
    /// The first month shown, `YYYY-MM`.
    pub from: Option<String>,
    /// The last month shown, `YYYY-MM`.
    pub to: Option<String>,
    /// Overlay the same periods a year earlier.
    pub compare: bool,
    /// A named span of time; months chosen by hand take its place.
    #[serde(default)]
    pub range: Option<Range>,
}

impl ViewParams {
    /// The view from a page's query parameters; values that are not valid are
    /// dropped (the controls say so), so a hand-edited URL never breaks a page.
    pub fn from_query(get: impl Fn(&str) -> Option<String>) -> ViewParams {
        let month = |name: &str| get(name).filter(|m| parse_month(m).is_some());
        ViewParams {
            period: get("period")
                .and_then(|p| PeriodKind::parse(&p))
                .filter(|p| *p == PeriodKind::Day || VIEW_PERIODS.contains(p)),
            from: month("from"),
            to: month("to"),
            compare: get("compare").as_deref() == Some("year"),
            range: get("range").and_then(|r| Range::parse(&r)).filter(|r| {
                // The controls sent as a form (without JavaScript) carry the
                // span chosen, the months below it, and the span they were
                // drawn with (`was`): months typed under a span left as it
                // was are months of one's own, as "Months of my choice" is.
                let typed = month("from").is_some() || month("to").is_some();
                !(typed && get("was").as_deref() == Some(r.key()))
            }),
        }
    }

    /// The view with its named range turned into months at `now` (`oldest`:
    /// the oldest figure of the page's data, for "All the data"), checked as
    /// [`ViewParams::usable`]. A named range takes the place of months (the
    /// time picker clears one when the other is chosen; a form sent without
    /// JavaScript carries both, and "Months of my choice" names no range).
    pub fn resolved(mut self, now: DateTime<Utc>, oldest: Option<DateTime<Utc>>) -> ViewParams {
        if let Some((from, to)) = self.range.and_then(|r| r.months(now, oldest)) {
            self.from = Some(from);
            self.to = Some(to);
        }
        self.usable()
    }

    /// Why the view's named range is not what the page shows, for its
    /// controls to say: its months are more periods than a page shows ("All
    /// the data" by day, from years back), so the usual span is drawn.
    pub fn range_problem(
        &self,
        now: DateTime<Utc>,
        oldest: Option<DateTime<Utc>>,
    ) -> Option<String> {
        let (from, to) = self.range?.months(now, oldest)?;
        ViewParams {
            from: Some(from),
            to: Some(to),
            ..self.clone()
        }
        .check()
        .err()
    }

    /// The view as a query string for the page's own URL (written by
    /// [`crate::query_string`]).
    pub fn to_query(&self) -> String {
        let mut pairs = Vec::new();
        if let Some(p) = self.period {
            pairs.push(("period".to_string(), p.as_str().to_string()));
        }
        if let Some(from) = &self.from {
            pairs.push(("from".to_string(), from.clone()));
        }
        if let Some(to) = &self.to {
            pairs.push(("to".to_string(), to.clone()));
        }
        if self.compare {
            pairs.push(("compare".to_string(), "year".to_string()));
        }
        if let Some(range) = self.range {
            pairs.push(("range".to_string(), range.key().to_string()));
        }
        query_string::encode(&pairs)
    }

    /// The months in order and, with a period chosen, at most
    /// [`MAX_PERIODS`] periods; or why they are not.
    pub fn check(&self) -> Result<(), String> {
        if let (Some(from), Some(to)) = (&self.from, &self.to) {
            if from > to {
                return Err(format!(
                    "The first month ({from}) must not be after the last month ({to})."
                ));
            }
            // Without a period chosen, each chart keeps its own: weeks at the
            // finest, so the bound is counted in weeks.
            let kind = self.period.or(Some(PeriodKind::Week));
            if let (Some(kind), Some(start), Some(last)) =
                (kind, parse_month(from), parse_month(to))
            {
                let periods = period_count(kind, start, add_months(last, 1));
                if periods > i64::from(MAX_PERIODS) {
                    return Err(format!(
                        "From {from} to {to} is {periods} {}s: at most {MAX_PERIODS} can be shown. Choose fewer months or a longer period.",
                        kind.as_str()
                    ));
                }
            }
        }
        Ok(())
    }

    /// The view to ask the API for: without its months when they fail
    /// [`ViewParams::check`] (the controls say why), so a page always answers.
    pub fn usable(mut self) -> ViewParams {
        if self.check().is_err() {
            self.from = None;
            self.to = None;
        }
        self
    }

    /// What is wrong with a page's view parameters, for its controls to say: a
    /// month that is not one (or is outside the years [`MIN_YEAR`] to
    /// [`MAX_YEAR`]), or months that fail [`ViewParams::check`].
    pub fn problem(get: impl Fn(&str) -> Option<String>) -> Option<String> {
        for (name, words) in [("from", "The first month"), ("to", "The last month")] {
            if let Some(value) = get(name).filter(|v| !v.is_empty()) {
                if parse_month(&value).is_none() {
                    return Some(format!(
                        "{words} must be a month from {MIN_YEAR}-01 to {MAX_YEAR}-12, like 2025-04, not {value}."
                    ));
                }
            }
        }
        ViewParams::from_query(&get).check().err()
    }
}

/// The periods the view can offer for `modules`: from the finest frequency of
/// their time-series data on (monthly data is never shown by week; beside
/// weekly data, it stays by month when weeks are chosen), days included when
/// that is daily or hourly (data of a type the catalogue does not describe
/// comes as often as its records show, [`crate::model::Module::frequency`],
/// else is daily when its module reads it by day); every period but days
/// when a module's frequency is not known.
pub fn offered_periods(modules: &[&crate::model::Module]) -> Vec<PeriodKind> {
    let frequencies: Vec<Option<PeriodKind>> = modules
        .iter()
        .filter(|m| is_time_series(m.module_type))
        .map(|m| {
            super::request::frequency(m).or_else(|| {
                super::request::shown_period(m, &ViewParams::default())
                    .filter(|p| *p == PeriodKind::Day)
            })
        })
        .collect();
    let finest = match frequencies.iter().copied().collect::<Option<Vec<_>>>() {
        Some(known) => known
            .into_iter()
            .min_by_key(|k| crate::kpi::period_rank(*k)),
        None => None,
    };
    // Hourly data is shown by day too.
    let day = finest
        .is_some_and(|f| crate::kpi::period_rank(f) <= crate::kpi::period_rank(PeriodKind::Day));
    day.then_some(PeriodKind::Day)
        .into_iter()
        .chain(VIEW_PERIODS.into_iter().filter(|p| {
            finest.is_none_or(|f| crate::kpi::period_rank(*p) >= crate::kpi::period_rank(f))
        }))
        .collect()
}

/// The part of time the charts of a page are zoomed to, kept in the page's
/// URL as `zoom=2025-01-06..2025-06-30`: the first day of the first period
/// shown and of the last. Days, not positions on an axis, so a link shows the
/// same time by week or by month, and a page whose data moves on keeps it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Zoom {
    pub from: NaiveDate,
    pub to: NaiveDate,
}

impl Zoom {
    /// The query parameter's name.
    pub const KEY: &'static str = "zoom";

    /// `2025-01-06..2025-06-30`; `None` for anything else, or days out of order.
    pub fn parse(s: &str) -> Option<Zoom> {
        let (from, to) = s.split_once("..")?;
        let day = |d: &str| {
            let exact = d.len() == 10 && d.as_bytes()[4] == b'-' && d.as_bytes()[7] == b'-';
            exact
                .then(|| crate::notes::parse_date(d))
                .flatten()
                .map(|t| t.date_naive())
        };
        let (from, to) = (day(from)?, day(to)?);
        (from <= to).then_some(Zoom { from, to })
    }

    /// The query parameter's value.
    pub fn key(&self) -> String {
        // Written out by hand: chrono's `format` would bring its whole
        // formatter into the browser's bundle.
        let day =
            |d: NaiveDate| crate::notes::date_value(d.and_time(chrono::NaiveTime::MIN).and_utc());
        format!("{}..{}", day(self.from), day(self.to))
    }

    /// The first and last of `periods` (in time order) shown by this zoom: from
    /// the period that ends after `from` to the last that starts by `to`;
    /// `None` when none is, or when all are (nothing to zoom).
    pub fn window(&self, periods: &[Period]) -> Option<(usize, usize)> {
        let first = periods
            .iter()
            .position(|p| p.end.date_naive() > self.from)?;
        let last = periods
            .iter()
            .rposition(|p| p.start.date_naive() <= self.to)?;
        (first <= last && (first, last) != (0, periods.len() - 1)).then_some((first, last))
    }

    /// The zoom that shows `periods[first..=last]`; `None` for all of them.
    pub fn of(periods: &[Period], first: usize, last: usize) -> Option<Zoom> {
        let last = last.min(periods.len().checked_sub(1)?);
        if first > last || (first, last) == (0, periods.len() - 1) {
            return None;
        }
        Some(Zoom {
            from: periods[first].start.date_naive(),
            to: periods[last].start.date_naive(),
        })
    }

    /// The periods a chart's zoom window shows, from ECharts' percentages of a
    /// category axis of `count` categories (as its slider reports them).
    pub fn indices(count: usize, start: f64, end: f64) -> Option<(usize, usize)> {
        let last = count.checked_sub(1)? as f64;
        let at = |percent: f64| (percent.clamp(0.0, 100.0) / 100.0 * last).round() as usize;
        let (a, b) = (at(start.min(end)), at(start.max(end)));
        Some((a, b))
    }

    /// The percentages of a category axis of `count` categories that show
    /// categories `first..=last`.
    pub fn percents(count: usize, first: usize, last: usize) -> (f64, f64) {
        match count.checked_sub(1) {
            Some(span) if span > 0 => (
                first as f64 / span as f64 * 100.0,
                last.min(span) as f64 / span as f64 * 100.0,
            ),
            _ => (0.0, 100.0),
        }
    }
}

/// Whether a module type charts values over time (and so follows the view).
pub fn is_time_series(t: ModuleType) -> bool {
    matches!(
        t,
        ModuleType::SingleTimeseries
            | ModuleType::GroupedTimeseries
            | ModuleType::CompletionRate
            | ModuleType::UserSatisfactionGraph
            | ModuleType::BarChartWithNumber
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::ModuleType;
    use crate::modules::fixtures::{module, view};
    use crate::modules::module_query;
    use serde_json::json;

    fn weeks(first: &str, count: usize) -> Vec<Period> {
        let start = NaiveDate::parse_from_str(first, "%Y-%m-%d").unwrap();
        (0..count)
            .map(|i| {
                let day = start + chrono::Duration::weeks(i as i64);
                let at = |d: NaiveDate| d.and_hms_opt(0, 0, 0).unwrap().and_utc();
                Period {
                    kind: PeriodKind::Week,
                    start: at(day),
                    end: at(day + chrono::Duration::weeks(1)),
                }
            })
            .collect()
    }

    fn months(first: (i32, u32), count: usize) -> Vec<Period> {
        (0..count)
            .map(|i| {
                let month = |n: usize| {
                    let m = first.1 as usize - 1 + n;
                    NaiveDate::from_ymd_opt(first.0 + (m / 12) as i32, (m % 12) as u32 + 1, 1)
                        .unwrap()
                        .and_hms_opt(0, 0, 0)
                        .unwrap()
                        .and_utc()
                };
                Period {
                    kind: PeriodKind::Month,
                    start: month(i),
                    end: month(i + 1),
                }
            })
            .collect()
    }

    #[test]
    fn a_zoom_is_two_days_in_order() {
        let z = Zoom::parse("2025-01-06..2025-06-30").unwrap();
        assert_eq!(z.key(), "2025-01-06..2025-06-30");
        assert_eq!(Zoom::parse("2025-06-30..2025-01-06"), None);
        assert_eq!(Zoom::parse("2025-01-06"), None);
        assert_eq!(Zoom::parse("2025-02-30..2025-03-01"), None);
        assert_eq!(Zoom::parse("<script>..2025-01-01"), None);
    }

    #[test]
    fn a_zoom_made_by_week_shows_the_same_time_by_month() {
        let by_week = weeks("2025-01-06", 52);
        let zoom = Zoom::of(&by_week, 4, 12).unwrap();
        assert_eq!(zoom.key(), "2025-02-03..2025-03-31");
        assert_eq!(zoom.window(&by_week), Some((4, 12)));
        // By month, from January 2025: February and March.
        let by_month = months((2025, 1), 12);
        assert_eq!(zoom.window(&by_month), Some((1, 2)));
    }

    #[test]
    fn a_zoom_over_everything_or_nothing_is_no_zoom() {
        let by_week = weeks("2025-01-06", 10);
        assert_eq!(Zoom::of(&by_week, 0, 9), None);
        assert_eq!(Zoom::of(&by_week, 0, 99), None);
        assert_eq!(Zoom::of(&[], 0, 0), None);
        let outside = Zoom::parse("2019-01-01..2019-06-01").unwrap();
        assert_eq!(outside.window(&by_week), None);
        let all = Zoom::parse("2020-01-01..2030-01-01").unwrap();
        assert_eq!(all.window(&by_week), None);
    }

    #[test]
    fn slider_percentages_turn_into_periods_and_back() {
        assert_eq!(Zoom::indices(11, 20.0, 50.0), Some((2, 5)));
        assert_eq!(Zoom::indices(11, 50.0, 20.0), Some((2, 5)));
        assert_eq!(Zoom::indices(11, -5.0, 130.0), Some((0, 10)));
        assert_eq!(Zoom::indices(0, 0.0, 100.0), None);
        assert_eq!(Zoom::percents(11, 2, 5), (20.0, 50.0));
        assert_eq!(Zoom::percents(1, 0, 0), (0.0, 100.0));
    }

    #[test]
    fn only_periods_the_data_supports_are_offered() {
        let monthly = module(
            ModuleType::UserSatisfactionGraph,
            "period=month&duration=12",
            json!({}),
        );
        let mut satisfaction = monthly.clone();
        satisfaction.data_set = Some("tax/user-satisfaction".into());
        let mut weekly = monthly.clone();
        weekly.data_set = Some("tax/transactions-by-channel".into());
        assert_eq!(
            offered_periods(&[&satisfaction]),
            [PeriodKind::Month, PeriodKind::Quarter, PeriodKind::Year]
        );
        assert_eq!(offered_periods(&[&satisfaction, &weekly]), VIEW_PERIODS);
        let mut unknown = monthly.clone();
        unknown.data_set = Some("tax/something-else".into());
        assert_eq!(offered_periods(&[&satisfaction, &unknown]), VIEW_PERIODS);
        // Data the catalogue does not describe, read by day: days too
        // (monthly satisfaction beside it stays by month), but not beside
        // data whose frequency is not known.
        let mut daily = unknown.clone();
        daily.query = "period=day&duration=30".into();
        let mut every_day = vec![PeriodKind::Day];
        every_day.extend(VIEW_PERIODS);
        assert_eq!(offered_periods(&[&daily]), every_day);
        assert_eq!(offered_periods(&[&daily, &satisfaction]), every_day);
        assert_eq!(offered_periods(&[&daily, &unknown]), VIEW_PERIODS);
        // Once its records show they come hourly, days on; monthly, months
        // on, as the catalogue's.
        unknown.frequency = Some(PeriodKind::Hour);
        assert_eq!(offered_periods(&[&unknown]), every_day);
        unknown.frequency = Some(PeriodKind::Month);
        assert_eq!(
            offered_periods(&[&unknown]),
            [PeriodKind::Month, PeriodKind::Quarter, PeriodKind::Year]
        );
    }

    #[test]
    fn named_ranges_are_months_at_the_time_they_are_read() {
        let now = chrono::DateTime::parse_from_rfc3339("2026-12-02T09:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let months = |r: Range| r.months(now, None);
        let pair = |a: &str, b: &str| Some((a.to_string(), b.to_string()));
        assert_eq!(months(Range::Last12Months), pair("2026-01", "2026-12"));
        assert_eq!(months(Range::Last2Years), pair("2025-01", "2026-12"));
        assert_eq!(months(Range::ThisFinancialYear), pair("2026-04", "2026-12"));
        assert_eq!(months(Range::LastFinancialYear), pair("2025-04", "2026-03"));
        assert_eq!(months(Range::All), None);
        let oldest = chrono::DateTime::parse_from_rfc3339("2013-04-08T00:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(
            Range::All.months(now, Some(oldest)),
            pair("2013-04", "2026-12")
        );
        // Before April, the financial year began the April before.
        let march = chrono::DateTime::parse_from_rfc3339("2027-03-31T23:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(
            Range::ThisFinancialYear.months(march, None),
            pair("2026-04", "2027-03")
        );
        assert_eq!(
            Range::LastFinancialYear.label(march),
            "Last financial year (April 2025 to March 2026)"
        );

        // Kept in the URL by name; months chosen by hand take its place.
        let get = |pairs: &'static [(&'static str, &'static str)]| {
            move |name: &str| {
                pairs
                    .iter()
                    .find(|(k, _)| *k == name)
                    .map(|(_, v)| v.to_string())
            }
        };
        let named = ViewParams::from_query(get(&[("range", "2-years")]));
        assert_eq!(named.range, Some(Range::Last2Years));
        assert_eq!(named.to_query(), "range=2-years");
        let resolved = named.resolved(now, None);
        assert_eq!(
            (resolved.from.as_deref(), resolved.to.as_deref()),
            (Some("2025-01"), Some("2026-12"))
        );
        let by_hand = ViewParams::from_query(get(&[
            ("range", "custom"),
            ("from", "2026-01"),
            ("to", "2026-03"),
        ]));
        assert_eq!(by_hand.range, None);
        // Sent as a form: months typed under the span the controls were
        // drawn with are one's own; a span chosen over months shown is the span.
        let typed = ViewParams::from_query(get(&[
            ("range", "2-years"),
            ("was", "2-years"),
            ("from", "2024-01"),
            ("to", "2024-06"),
        ]));
        assert_eq!(
            (typed.range, typed.from.as_deref(), typed.to.as_deref()),
            (None, Some("2024-01"), Some("2024-06"))
        );
        let chosen = ViewParams::from_query(get(&[
            ("range", "2-years"),
            ("was", "custom"),
            ("from", "2024-01"),
            ("to", "2024-06"),
        ]));
        assert_eq!(chosen.range, Some(Range::Last2Years));
        assert_eq!(chosen.resolved(now, None).from.as_deref(), Some("2025-01"));
        let unchanged = ViewParams::from_query(get(&[
            ("range", "2-years"),
            ("was", "2-years"),
            ("from", ""),
            ("to", ""),
        ]));
        assert_eq!(unchanged.range, Some(Range::Last2Years));
        assert_eq!(
            by_hand.clone().resolved(now, None).from.as_deref(),
            Some("2026-01")
        );
        // Sent without JavaScript, a named range wins over the months left in
        // their boxes.
        let both = ViewParams::from_query(get(&[
            ("range", "12-months"),
            ("from", "2020-01"),
            ("to", "2020-03"),
        ]));
        assert_eq!(both.resolved(now, None).from.as_deref(), Some("2026-01"));
        assert_eq!(
            ViewParams::from_query(get(&[("range", "forever")])).range,
            None
        );

        // All the data by day, from 2013: 5,023 days, more than a page
        // shows, so the usual span is drawn, and the controls say why.
        let all_by_day = ViewParams::from_query(get(&[("range", "all"), ("period", "day")]));
        assert_eq!(
            all_by_day.range_problem(now, Some(oldest)).as_deref(),
            Some("From 2013-04 to 2026-12 is 5023 days: at most 1000 can be shown. Choose fewer months or a longer period.")
        );
        assert_eq!(all_by_day.clone().resolved(now, Some(oldest)).from, None);
        // By month it is shown; without a named range there is nothing to say.
        let all_by_month = ViewParams::from_query(get(&[("range", "all"), ("period", "month")]));
        assert_eq!(all_by_month.range_problem(now, Some(oldest)), None);
        assert_eq!(by_hand.range_problem(now, Some(oldest)), None);
    }

    #[test]
    fn views_out_of_bounds_are_explained_and_left_out() {
        let query = |pairs: &'static [(&'static str, &'static str)]| {
            move |name: &str| {
                pairs
                    .iter()
                    .find(|(k, _)| *k == name)
                    .map(|(_, v)| v.to_string())
            }
        };
        // Months outside the years are dropped, and the controls say why.
        let absurd = query(&[("period", "week"), ("from", "0000-01"), ("to", "9999-12")]);
        let v = ViewParams::from_query(absurd);
        assert_eq!((v.from.as_deref(), v.to.as_deref()), (None, None));
        assert_eq!(
            ViewParams::problem(absurd).unwrap(),
            "The first month must be a month from 1900-01 to 2200-12, like 2025-04, not 0000-01."
        );
        // Valid months too many weeks apart: said, and not asked for.
        let long = query(&[("period", "week"), ("from", "1901-01"), ("to", "2200-12")]);
        let v = ViewParams::from_query(long);
        assert!(v
            .check()
            .unwrap_err()
            .starts_with("From 1901-01 to 2200-12 is 15654 weeks: at most 1000 can be shown."));
        let usable = v.usable();
        assert_eq!((usable.from, usable.to), (None, None));
        assert_eq!(usable.period, Some(PeriodKind::Week));
        // By year, the same months are fine.
        let years = query(&[("period", "year"), ("from", "1901-01"), ("to", "2200-12")]);
        assert_eq!(ViewParams::problem(years), None);
        assert_eq!(
            ViewParams::from_query(years).usable().from.as_deref(),
            Some("1901-01")
        );
        // Switching a long duration to a shorter period stays within the bound.
        let m = module(
            ModuleType::SingleTimeseries,
            "period=year&duration=100&collect=count:sum",
            json!({}),
        );
        let now = crate::modules::fixtures::t("2026-11-25T00:00:00Z");
        assert_eq!(
            module_query(&m, &view(Some(PeriodKind::Week), None, None), now),
            "period=week&duration=1000&collect=count:sum&end_at=2026-11-30T00:00:00Z"
        );
    }

    #[test]
    fn views_from_urls_drop_what_is_not_valid() {
        let q = |pairs: &'static [(&'static str, &'static str)]| {
            move |name: &str| {
                pairs
                    .iter()
                    .find(|(k, _)| *k == name)
                    .map(|(_, v)| v.to_string())
            }
        };
        let v = ViewParams::from_query(q(&[
            ("period", "hour"),
            ("from", "2025-13"),
            ("to", "2025-06"),
            ("compare", "year"),
        ]));
        assert_eq!(
            v,
            ViewParams {
                period: None,
                from: None,
                to: Some("2025-06".into()),
                compare: true,
                range: None,
            }
        );
        assert_eq!(v.to_query(), "to=2025-06&compare=year");
        let backwards = view(None, Some("2025-06"), Some("2025-01"));
        assert!(backwards.check().unwrap_err().contains("must not be after"));
        // Without a period, the charts keep their own (weeks at the finest):
        // a range too long for the read API in weeks is refused here too.
        let long = view(None, Some("2025-04"), Some("2099-01"));
        assert!(
            long.check().unwrap_err().contains("weeks"),
            "{:?}",
            long.check()
        );
        assert!(view(None, Some("2025-04"), Some("2026-03")).check().is_ok());
    }
}
