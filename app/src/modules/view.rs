//! The view: what a dashboard or module page's controls choose (period,
//! months, a year earlier), kept in the page's URL, checked, and which module
//! types follow it. Pure: the server and the browser read a URL the same way.

use serde::{Deserialize, Serialize};

use crate::kpi::{add_months, parse_month, period_count, MAX_PERIODS, MAX_YEAR, MIN_YEAR};
use crate::model::{ModuleType, PeriodKind};
use crate::query_string;

/// The periods a person can switch between.
pub const VIEW_PERIODS: [PeriodKind; 4] = [
    PeriodKind::Week,
    PeriodKind::Month,
    PeriodKind::Quarter,
    PeriodKind::Year,
];

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
}

impl ViewParams {
    /// The view from a page's query parameters; values that are not valid are
    /// dropped (the controls say so), so a hand-edited URL never breaks a page.
    pub fn from_query(get: impl Fn(&str) -> Option<String>) -> ViewParams {
        let month = |name: &str| get(name).filter(|m| parse_month(m).is_some());
        ViewParams {
            period: get("period")
                .and_then(|p| PeriodKind::parse(&p))
                .filter(|p| VIEW_PERIODS.contains(p)),
            from: month("from"),
            to: month("to"),
            compare: get("compare").as_deref() == Some("year"),
        }
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
                compare: true
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
