//! Summary boards and comparisons of services: their shared types and the pure
//! rules behind them (status against a target, trends, indexing, shares,
//! ranks), used by the server to build them and by the pages to show them.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::model::{Annotation, KpiKind, KpiSummary, Period, PeriodKind, ServiceListing, Unit};

/// The most services a comparison holds.
pub const COMPARE_LIMIT: usize = 6;

/// The KPIs a board and a comparison show, in their order.
pub const KPIS: [KpiKind; 5] = [
    KpiKind::Transactions,
    KpiKind::CostPerTransaction,
    KpiKind::DigitalTakeUp,
    KpiKind::UserSatisfaction,
    KpiKind::CompletionRate,
];

impl KpiKind {
    /// The name used in addresses and the API, e.g. `digital_take_up`.
    pub fn key(self) -> &'static str {
        match self {
            KpiKind::Transactions => "transactions",
            KpiKind::CostPerTransaction => "cost_per_transaction",
            KpiKind::DigitalTakeUp => "digital_take_up",
            KpiKind::UserSatisfaction => "user_satisfaction",
            KpiKind::CompletionRate => "completion_rate",
        }
    }

    pub fn from_key(key: &str) -> Option<KpiKind> {
        KPIS.into_iter().find(|k| k.key() == key)
    }

    /// The finest period the KPI's data is collected by: costs are quarterly,
    /// satisfaction ratings monthly, the rest weekly.
    pub fn finest_period(self) -> PeriodKind {
        match self {
            KpiKind::CostPerTransaction => PeriodKind::Quarter,
            KpiKind::UserSatisfaction => PeriodKind::Month,
            _ => PeriodKind::Week,
        }
    }
}

/// Red, amber or green: how a KPI stands against its target.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Rag {
    Red,
    Amber,
    Green,
}

impl Rag {
    pub fn label(self) -> &'static str {
        match self {
            Rag::Red => "Below target",
            Rag::Amber => "Near target",
            Rag::Green => "On target",
        }
    }
}

/// How far short of its target a KPI may fall and still be amber: 5% of the
/// target.
pub const AMBER_MARGIN: f64 = 0.05;

/// `value` against `target` for `kpi` (lower is better for costs): green when
/// it meets the target, amber when within [`AMBER_MARGIN`] of it, red beyond;
/// `None` without both.
pub fn status(kpi: KpiKind, value: Option<f64>, target: Option<f64>) -> Option<Rag> {
    let (value, target) = (value?, target?);
    let shortfall = if kpi.higher_is_better() {
        target - value
    } else {
        value - target
    };
    Some(if shortfall <= 0.0 {
        Rag::Green
    } else if shortfall <= AMBER_MARGIN * target.abs() {
        Rag::Amber
    } else {
        Rag::Red
    })
}

/// Which way a KPI is going.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Trend {
    Up,
    Down,
    Flat,
}

/// A change smaller than this is flat: 2% for volumes and money, 1
/// percentage point for rates.
pub fn flat_band(unit: Unit) -> f64 {
    if unit == Unit::Ratio {
        0.01
    } else {
        0.02
    }
}

/// A worsening at least this large needs attention: 5% for volumes and money,
/// 3 percentage points for rates.
pub fn attention_band(unit: Unit) -> f64 {
    if unit == Unit::Ratio {
        0.03
    } else {
        0.05
    }
}

/// The trend of a series of values in `unit`, each with what it is out of
/// (its weight): the last three values pooled against the three before,
/// each three as the mean of its values weighted by their weights, so a
/// quiet month counts for less than a busy one and a month of 28 days
/// compares fairly with one of 31 (volumes are given per day, weighted by
/// days); read as [`crate::kpi::change_in`] reads it (percentage points for
/// rates, relative otherwise). `None` unless each of the last six periods
/// has a figure (with a gap among them, the last three periods are not
/// what is compared, which is what a board says it compares), or with
/// nothing to compare with.
pub fn trend(values: &[Option<(f64, f64)>], unit: Unit) -> Option<(Trend, f64)> {
    let last_six = values.get(values.len().checked_sub(6)?..)?;
    let present: Vec<(f64, f64)> = last_six.iter().copied().collect::<Option<_>>()?;
    let n = present.len();
    let pooled = |three: &[(f64, f64)]| {
        crate::kpi::weighted_mean(three.iter().map(|&(value, weight)| (Some(value), weight)))
    };
    let recent = pooled(&present[n - 3..]);
    let before = pooled(&present[n - 6..n - 3]);
    let change = crate::kpi::change_in(unit, recent, before)?;
    let direction = if change.abs() < flat_band(unit) {
        Trend::Flat
    } else if change > 0.0 {
        Trend::Up
    } else {
        Trend::Down
    };
    Some((direction, change))
}

/// Whether `trend` is bad news for `kpi` (the number of transactions is not
/// judged: fewer may be good or bad).
pub fn worsening(kpi: KpiKind, trend: Trend) -> bool {
    match (kpi, trend) {
        (KpiKind::Transactions, _) | (_, Trend::Flat) => false,
        (kpi, Trend::Up) => !kpi.higher_is_better(),
        (kpi, Trend::Down) => kpi.higher_is_better(),
    }
}

/// A target a service set for one KPI, in force from a date until a later
/// target of the same KPI replaces it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Target {
    pub id: i64,
    pub service: String,
    pub kpi: KpiKind,
    /// In the KPI's own unit: a count a year, pounds, or a fraction (0 to 1).
    pub value: f64,
    pub effective_from: NaiveDate,
    pub set_by: String,
    pub created_at: DateTime<Utc>,
}

/// What an editor sends to set a target.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewTarget {
    /// The service, by slug.
    pub service: String,
    pub kpi: KpiKind,
    /// In the KPI's unit: a count a year, pounds, or a fraction from 0 to 1.
    pub value: f64,
    /// `YYYY-MM-DD`.
    pub effective_from: NaiveDate,
}

/// The schema of [`NewTarget`]: one shape for the KPIs counted or in pounds
/// (zero or more), one for those that are a fraction (0 to 1), as
/// [`NewTarget::check`] takes them.
#[cfg(feature = "ssr")]
impl utoipa::PartialSchema for NewTarget {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use serde_json::json;
        let shape = |ratio: bool| {
            let kpis: Vec<&str> = KPIS
                .iter()
                .filter(|k| (k.unit() == crate::model::Unit::Ratio) == ratio)
                .map(|k| k.key())
                .collect();
            let value = if ratio {
                json!({"type": "number", "minimum": 0, "maximum": 1,
                    "description": "A fraction from 0 to 1 (0.8 for 80%)."})
            } else {
                json!({"type": "number", "minimum": 0,
                    "description": "In the KPI's unit: a count a year, or pounds."})
            };
            json!({
                "type": "object",
                "title": if ratio { "fraction" } else { "count or pounds" },
                "required": ["service", "kpi", "value", "effective_from"],
                "additionalProperties": false,
                "properties": {
                    "service": {"type": "string", "pattern": "^[a-z0-9-]{1,100}$",
                        "description": "The service, by slug."},
                    "kpi": {"type": "string", "enum": kpis},
                    "value": value,
                    "effective_from": {"type": "string", "format": "date",
                        "description": "`YYYY-MM-DD`."},
                },
            })
        };
        serde_json::from_value(json!({
            "description": "What an editor sends to set a target.",
            "oneOf": [shape(false), shape(true)],
        }))
        .expect("a valid schema")
    }
}

#[cfg(feature = "ssr")]
impl utoipa::ToSchema for NewTarget {}

impl NewTarget {
    /// Why the target cannot be stored, if it cannot.
    pub fn check(&self) -> Result<(), String> {
        if !self.value.is_finite() || self.value < 0.0 {
            return Err("value must be a number, zero or more".into());
        }
        if self.kpi.unit() == crate::model::Unit::Ratio && self.value > 1.0 {
            return Err(format!(
                "a target for {} is a fraction from 0 to 1 (0.8 for 80%)",
                self.kpi.title().to_ascii_lowercase()
            ));
        }
        Ok(())
    }
}

/// The answer of `GET /api/v1/targets`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct TargetList {
    pub targets: Vec<Target>,
}

/// The target of `kpi` in force at `at`: the one with the latest effective date
/// not after it.
pub fn target_at(targets: &[Target], kpi: KpiKind, at: NaiveDate) -> Option<f64> {
    targets
        .iter()
        .filter(|t| t.kpi == kpi && t.effective_from <= at)
        .max_by_key(|t| (t.effective_from, t.id))
        .map(|t| t.value)
}

/// The target line of `kpi` over `periods`: the target in force at each
/// period's end.
pub fn target_line(targets: &[Target], kpi: KpiKind, periods: &[Period]) -> Vec<Option<f64>> {
    periods
        .iter()
        .map(|p| {
            let last_day = (p.end - chrono::Duration::seconds(1)).date_naive();
            Some(target_over(
                kpi,
                target_at(targets, kpi, last_day)?,
                p.days(),
            ))
        })
        .collect()
}

/// A KPI's target over a period of `days` days: a transactions target is a
/// year's (52 weeks, as "transactions a year" is), so a week's share of it is
/// 7/364 and a day's 1/364; a rate's or a cost's is the same over any period.
pub fn target_over(kpi: KpiKind, target: f64, days: f64) -> f64 {
    if kpi == KpiKind::Transactions {
        target * days / 364.0
    } else {
        target
    }
}

/// One KPI of one service on a board.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct BoardKpi {
    pub kpi: KpiKind,
    /// The figure the board shows, as the services explorer does: a year's
    /// transactions, else the latest complete period's (a quarter's cost per
    /// transaction, a week's digital take-up or completion rate, a month's
    /// satisfaction score): `from` and `to` say which.
    pub value: Option<f64>,
    /// The first instant of the time `value` is of ([`crate::kpi::figure_span`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<chrono::DateTime<chrono::Utc>>,
    /// The instant after it ends.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<chrono::DateTime<chrono::Utc>>,
    /// Recent values for a sparkline, oldest first: monthly, or quarterly for
    /// costs; transactions a day in each month (months of 28 and 31 days alike).
    pub spark: Vec<Option<f64>>,
    pub trend: Option<Trend>,
    /// The relative change behind [`BoardKpi::trend`].
    pub change: Option<f64>,
    pub target: Option<f64>,
    /// Against the target; none when there is none, or the rate's base is
    /// under [`crate::kpi::LOW_BASE`] (too few to judge).
    pub status: Option<Rag>,
    /// What the rate is out of ([`crate::model::KpiFigure::base`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base: Option<f64>,
}

/// A service's row on a board.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct BoardService {
    pub service: ServiceListing,
    pub kpis: Vec<BoardKpi>,
    /// When its year of transactions ends ([`crate::model::ServiceKpis::year_to`]):
    /// before the board's newest by more than [`crate::kpi::RECENT_WEEKS`]
    /// weeks, its figures stopped, and none is judged against a target.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub year_to: Option<chrono::DateTime<chrono::Utc>>,
    /// Its mean transactions a week: with no year's worth, "not a year of
    /// figures" rather than "no data".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weekly_transactions: Option<f64>,
    /// Where its figures come from on a dashboard, if one is published.
    pub dashboard: Option<String>,
}

/// Why a service is on a board's "needs attention" list.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Concern {
    OutOfDate,
    BelowTarget,
    Worsening,
    /// An unusual figure (a spike or a dip) that a dashboard of the service
    /// marks and no note explains (the rule: [`crate::kpi::unusual_points`]).
    UnexplainedSpike,
}

/// One line of a board's "needs attention" list.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Attention {
    pub service: String,
    pub service_title: String,
    pub concern: Concern,
    pub kpi: Option<KpiKind>,
    /// What is wrong, in a sentence.
    pub message: String,
}

/// A board: a department's or agency's services, or a portfolio's.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Board {
    pub title: String,
    /// `/boards/{organisation}` or `/boards/portfolio/{id}`.
    pub url: String,
    pub summary: KpiSummary,
    pub services: Vec<BoardService>,
    pub attention: Vec<Attention>,
    /// The portfolio behind the board, if it is one.
    pub portfolio: Option<Portfolio>,
}

/// A set of services a sponsor saved to read as one board.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Portfolio {
    /// Random and unguessable: the board is shared by its link.
    pub id: String,
    pub title: String,
    pub services: Vec<String>,
    pub owner: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// What is sent to save a portfolio.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewPortfolio {
    /// Not blank; at most 120 characters.
    #[cfg_attr(
        feature = "ssr",
        schema(
            pattern = "[^\\t\\n\\x0b\\x0c\\r \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]",
            max_length = 120
        )
    )]
    pub title: String,
    /// The services' slugs, each once (1 to 200).
    #[cfg_attr(feature = "ssr", schema(schema_with = crate::model::schemas::portfolio_services))]
    pub services: Vec<String>,
}

impl NewPortfolio {
    pub fn check(&self) -> Result<(), String> {
        let title = self.title.trim();
        if title.is_empty() {
            return Err("title must not be empty".into());
        }
        // Counted as sent, as its schema's `maxLength` counts.
        if self.title.chars().count() > 120 {
            return Err("title must be at most 120 characters".into());
        }
        if self.services.is_empty() {
            return Err("services must name at least one service".into());
        }
        if self.services.len() > 200 {
            return Err("services may name at most 200 services".into());
        }
        for (i, s) in self.services.iter().enumerate() {
            if self.services[..i].contains(s) {
                return Err(format!("services names {s:?} twice"));
            }
        }
        Ok(())
    }
}

/// How the series of a comparison are drawn.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Scale {
    /// The values themselves.
    #[default]
    Absolute,
    /// Each series divided by its first value, times 100.
    Indexed,
    /// Each service's part of the services' total in each period.
    Share,
}

impl Scale {
    pub const ALL: [Scale; 3] = [Scale::Absolute, Scale::Indexed, Scale::Share];

    pub fn key(self) -> &'static str {
        match self {
            Scale::Absolute => "absolute",
            Scale::Indexed => "indexed",
            Scale::Share => "share",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Scale::Absolute => "Values",
            Scale::Indexed => "Indexed to 100 at the start",
            Scale::Share => "Share of the total",
        }
    }

    pub fn from_key(key: &str) -> Option<Scale> {
        Scale::ALL.into_iter().find(|s| s.key() == key)
    }
}

/// One service in a comparison.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ComparedService {
    pub service: ServiceListing,
    /// One value per period of the comparison; `None` where there is no data.
    pub values: Vec<Option<f64>>,
    /// The newest period with a value, and that value.
    pub latest: Option<f64>,
    pub latest_period: Option<Period>,
    /// The value of the period before the latest: what the latest is
    /// compared with, so none where either rate is out of too few to rely
    /// on ([`crate::kpi::previous_if_enough`]).
    pub previous: Option<f64>,
    /// The value of the same period a year before the latest, on the same
    /// terms.
    pub year_earlier: Option<f64>,
    /// Why the service has no figures for this KPI, if it has none.
    pub missing: Option<String>,
    /// What the latest rate is out of ([`crate::model::KpiFigure::base`]):
    /// under [`crate::kpi::LOW_BASE`] it is shown with it and not ranked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base: Option<f64>,
    /// What each period's rate is out of, one per period (empty for a KPI
    /// that is no rate): one under [`crate::kpi::LOW_BASE`] is drawn apart
    /// and written with its words.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub bases: Vec<Option<f64>>,
    /// Its target line, one per period (empty without targets).
    pub target: Vec<Option<f64>>,
    /// Its notes the reader may see, over the compared periods.
    pub annotations: Vec<Annotation>,
}

/// The answer of `GET /api/v1/compare`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Comparison {
    pub kpi: KpiKind,
    pub period: PeriodKind,
    pub periods: Vec<Period>,
    pub services: Vec<ComparedService>,
}

/// Series indexed to 100 at the first of `periods` that every one of them has
/// a figure for (so they start from the same time: a service indexed at 2020
/// beside one indexed at 2025 would share an axis and nothing else); each at
/// its own first figure when they have no period in common. Volumes
/// (`per_day`) are indexed a day at a time, so February is no dip for its
/// days. A figure `few` marks (a rate of a handful) is no base: 2 of 5
/// people finishing, as 100, made a year of 80% of 10,000 read "doubled".
/// `None` throughout a series with no figure that may be a base (none, only
/// zeros, or only rates of a handful): the others still share a period.
pub fn indexed(
    series: &[Vec<Option<f64>>],
    periods: &[Period],
    per_day: bool,
    few: &[Vec<bool>],
) -> Vec<Vec<Option<f64>>> {
    let may_base = |s: usize, i: usize, v: Option<f64>| {
        v.is_some_and(|v| v != 0.0) && !few.get(s).and_then(|f| f.get(i)).copied().unwrap_or(false)
    };
    let days = |i: usize| periods.get(i).map_or(1.0, Period::days);
    let daily: Vec<Vec<Option<f64>>> = series
        .iter()
        .map(|values| {
            values
                .iter()
                .enumerate()
                .map(|(i, v)| v.map(|v| if per_day { v / days(i) } else { v }))
                .collect()
        })
        .collect();
    let len = daily.iter().map(Vec::len).max().unwrap_or(0);
    let first_base = |s: usize| {
        (daily[s].iter().enumerate())
            .find(|(i, v)| may_base(s, *i, **v))
            .and_then(|(_, v)| *v)
    };
    // Only series that have a base can share one.
    let based: Vec<bool> = (0..daily.len()).map(|s| first_base(s).is_some()).collect();
    let common = (0..len).find(|&i| {
        (daily.iter().enumerate())
            .filter(|(s, _)| based[*s])
            .all(|(s, values)| may_base(s, i, values.get(i).copied().flatten()))
    });
    daily
        .iter()
        .enumerate()
        .map(|(s, values)| {
            let base = match common {
                _ if !based[s] => None,
                Some(i) => values.get(i).copied().flatten(),
                None => first_base(s),
            };
            values.iter().map(|v| Some(100.0 * (*v)? / base?)).collect()
        })
        .collect()
}

/// Each series as its share of the sum of all series in each period; a period
/// where any series has no value has no shares (a share of a partial total
/// would mislead).
pub fn shares(series: &[Vec<Option<f64>>]) -> Vec<Vec<Option<f64>>> {
    let len = series.iter().map(Vec::len).max().unwrap_or(0);
    let totals: Vec<Option<f64>> = (0..len)
        .map(|i| {
            series
                .iter()
                .map(|s| s.get(i).copied().flatten())
                .sum::<Option<f64>>()
                .filter(|t| *t != 0.0)
        })
        .collect();
    series
        .iter()
        .map(|s| {
            (0..len)
                .map(|i| Some(s.get(i).copied().flatten()? / totals[i]?))
                .collect()
        })
        .collect()
}

impl Comparison {
    /// Whether each service's latest figure is of the newest period any of
    /// them has, and not a rate of a handful: only those are ranked against
    /// each other (a June rate is not "best" beside March ones, nor worse;
    /// one response of 5 is not the best score).
    pub fn of_the_latest_period(&self) -> Vec<bool> {
        let enough = |s: &ComparedService| crate::kpi::low_base_words(self.kpi, s.base).is_none();
        // The newest period among figures that may be ranked at all.
        let newest = self
            .services
            .iter()
            .filter(|s| enough(s))
            .filter_map(|s| s.latest_period.as_ref().map(|p| p.start))
            .max();
        self.services
            .iter()
            .map(|s| {
                s.latest_period.as_ref().map(|p| p.start) == newest && newest.is_some() && enough(s)
            })
            .collect()
    }
}

/// Ranks (1 = best) of `values`; ties share a rank; no value, no rank.
pub fn ranks(values: &[Option<f64>], higher_is_better: bool) -> Vec<Option<usize>> {
    values
        .iter()
        .map(|v| {
            let v = (*v)?;
            let better = values
                .iter()
                .flatten()
                .filter(|o| if higher_is_better { **o > v } else { **o < v })
                .count();
            Some(better + 1)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_is_green_on_target_amber_within_five_percent_and_red_beyond() {
        let s = KpiKind::DigitalTakeUp;
        assert_eq!(status(s, Some(0.81), Some(0.8)), Some(Rag::Green));
        assert_eq!(status(s, Some(0.8), Some(0.8)), Some(Rag::Green));
        assert_eq!(status(s, Some(0.77), Some(0.8)), Some(Rag::Amber));
        assert_eq!(status(s, Some(0.75), Some(0.8)), Some(Rag::Red));
        // Lower is better for costs.
        let c = KpiKind::CostPerTransaction;
        assert_eq!(status(c, Some(4.0), Some(5.0)), Some(Rag::Green));
        assert_eq!(status(c, Some(5.2), Some(5.0)), Some(Rag::Amber));
        assert_eq!(status(c, Some(6.0), Some(5.0)), Some(Rag::Red));
        assert_eq!(status(c, None, Some(5.0)), None);
        assert_eq!(status(c, Some(5.0), None), None);
    }

    #[test]
    fn only_services_with_figures_of_the_newest_period_are_ranked() {
        use crate::model::{OrgRef, Period, PeriodKind, ServiceListing};
        use chrono::{TimeZone, Utc};
        let month = |m| {
            let start = Utc.with_ymd_and_hms(2026, m, 1, 0, 0, 0).unwrap();
            crate::kpi::period_containing(PeriodKind::Month, start)
        };
        let service = |latest: Option<Period>| ComparedService {
            service: ServiceListing {
                slug: "s".into(),
                title: "S".into(),
                department: OrgRef {
                    slug: "d".into(),
                    title: "D".into(),
                    abbreviation: None,
                },
                agency: None,
            },
            values: Vec::new(),
            latest: latest.as_ref().map(|_| 0.9),
            latest_period: latest,
            previous: None,
            year_earlier: None,
            missing: None,
            base: None,
            bases: Vec::new(),
            target: Vec::new(),
            annotations: Vec::new(),
        };
        let c = Comparison {
            kpi: KpiKind::CompletionRate,
            period: PeriodKind::Month,
            periods: Vec::new(),
            services: vec![
                service(Some(month(6))),
                service(Some(month(3))),
                service(None),
                service(Some(month(6))),
                ComparedService {
                    base: Some(3.0),
                    ..service(Some(month(6)))
                },
            ],
        };
        assert_eq!(c.of_the_latest_period(), [true, false, false, true, false]);
        // A rate of a handful in a newer period than the others' holds
        // none of them back.
        let c = Comparison {
            services: vec![
                ComparedService {
                    base: Some(1.0),
                    ..service(Some(month(7)))
                },
                service(Some(month(6))),
                service(Some(month(6))),
            ],
            ..c
        };
        assert_eq!(c.of_the_latest_period(), [false, true, true]);
    }

    #[test]
    fn trends_compare_the_last_three_values_with_the_three_before() {
        let even = |values: &[f64]| values.iter().map(|&v| Some((v, 1.0))).collect::<Vec<_>>();
        let trend = |values: &[Option<f64>], unit| {
            trend(
                &values
                    .iter()
                    .map(|v| v.map(|v| (v, 1.0)))
                    .collect::<Vec<_>>(),
                unit,
            )
        };
        let up = [1.0, 1.0, 1.0, 1.2, 1.2, 1.2].map(Some);
        assert_eq!(trend(&up, Unit::Number).map(|t| t.0), Some(Trend::Up));
        let flat = [1.0, 1.0, 1.0, 1.01, 1.0, 1.0].map(Some);
        assert_eq!(trend(&flat, Unit::Number).map(|t| t.0), Some(Trend::Flat));
        let down = [
            None,
            Some(5.0),
            Some(5.0),
            Some(5.0),
            Some(4.0),
            Some(4.0),
            Some(4.0),
        ];
        assert_eq!(trend(&down, Unit::Number).map(|t| t.0), Some(Trend::Down));
        assert_eq!(trend(&[Some(1.0); 5], Unit::Number), None);
        // A gap among the last six periods (November's, or the newest's):
        // the last three periods are not what would be compared, so no trend.
        let gap = [Some(5.0), Some(5.0), Some(5.0), Some(5.0), None, Some(4.0)];
        assert_eq!(trend(&gap, Unit::Number), None);
        let newest_missing = [
            Some(5.0),
            Some(5.0),
            Some(5.0),
            Some(4.0),
            Some(4.0),
            Some(4.0),
            None,
        ];
        assert_eq!(trend(&newest_missing, Unit::Number), None);
        // Rates move in points: 79.6% to 81.9% is up 2.3 points, not 2.9%.
        let rates = [0.796, 0.796, 0.796, 0.819, 0.819, 0.819].map(Some);
        let (direction, change) = trend(&rates, Unit::Ratio).unwrap();
        assert_eq!(direction, Trend::Up);
        assert!((change - 0.023).abs() < 1e-9);
        let steady = [0.80, 0.80, 0.80, 0.805, 0.805, 0.805].map(Some);
        assert_eq!(trend(&steady, Unit::Ratio).map(|t| t.0), Some(Trend::Flat));
        // Pooled: a busy month at 90% and two quiet ones at 60% are 84%
        // together, not 70%; against 80% before, up 4 points, not down 10.
        let pooled = [
            Some((0.8, 100.0)),
            Some((0.8, 100.0)),
            Some((0.8, 100.0)),
            Some((0.9, 800.0)),
            Some((0.6, 100.0)),
            Some((0.6, 100.0)),
        ];
        let (direction, change) = super::trend(&pooled, Unit::Ratio).unwrap();
        assert_eq!(direction, Trend::Up);
        assert!((change - 0.04).abs() < 1e-9, "{change}");
        assert_eq!(
            super::trend(&even(&[1.0, 1.0, 1.0, 1.0, 1.0, 1.0]), Unit::Number).map(|t| t.0),
            Some(Trend::Flat)
        );
        assert!(worsening(KpiKind::CompletionRate, Trend::Down));
        assert!(worsening(KpiKind::CostPerTransaction, Trend::Up));
        assert!(!worsening(KpiKind::CostPerTransaction, Trend::Down));
        assert!(!worsening(KpiKind::Transactions, Trend::Down));
    }

    #[test]
    fn the_target_in_force_is_the_latest_one_started() {
        let day = |m, d| NaiveDate::from_ymd_opt(2026, m, d).unwrap();
        let t = |id, kpi, value, from| Target {
            id,
            service: "s".into(),
            kpi,
            value,
            effective_from: from,
            set_by: "e".into(),
            created_at: Utc::now(),
        };
        let targets = [
            t(1, KpiKind::DigitalTakeUp, 0.7, day(1, 1)),
            t(2, KpiKind::DigitalTakeUp, 0.8, day(4, 1)),
            t(3, KpiKind::CompletionRate, 0.9, day(2, 1)),
        ];
        assert_eq!(
            target_at(&targets, KpiKind::DigitalTakeUp, day(3, 31)),
            Some(0.7)
        );
        assert_eq!(
            target_at(&targets, KpiKind::DigitalTakeUp, day(4, 1)),
            Some(0.8)
        );
        assert_eq!(
            target_at(&targets, KpiKind::CompletionRate, day(1, 31)),
            None
        );
        let months = crate::kpi::periods_between(
            PeriodKind::Month,
            crate::kpi::parse_month("2026-02").unwrap(),
            crate::kpi::parse_month("2026-05").unwrap(),
        );
        assert_eq!(
            target_line(&targets, KpiKind::DigitalTakeUp, &months),
            vec![Some(0.7), Some(0.7), Some(0.8)]
        );
    }

    #[test]
    fn indexes_shares_and_ranks() {
        let one = |values: &[Option<f64>]| indexed(&[values.to_vec()], &[], false, &[]).remove(0);
        assert_eq!(
            one(&[None, Some(50.0), Some(75.0), None]),
            vec![None, Some(100.0), Some(150.0), None]
        );
        // A zero is no base: the first figure that is not.
        assert_eq!(one(&[Some(0.0), Some(3.0)]), vec![Some(0.0), Some(100.0)]);
        assert_eq!(one(&[Some(0.0), None]), vec![None, None]);
        // Two services from the first period both have: B's figures begin
        // later, so A is indexed there too, not at its own first.
        let both = indexed(
            &[
                vec![Some(100.0), Some(150.0), Some(300.0)],
                vec![None, Some(10.0), Some(11.0)],
            ],
            &[],
            false,
            &[],
        );
        assert_eq!(
            both[0],
            vec![Some(100.0 * 100.0 / 150.0), Some(100.0), Some(200.0)]
        );
        assert_eq!(both[1], vec![None, Some(100.0), Some(110.0)]);
        // Volumes by month, a day at a time: February's 2,800 is January's
        // 3,100, 100 a day.
        use chrono::TimeZone;
        let months = crate::kpi::periods_between(
            PeriodKind::Month,
            chrono::Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap(),
            chrono::Utc.with_ymd_and_hms(2026, 3, 1, 0, 0, 0).unwrap(),
        );
        let volumes = indexed(&[vec![Some(3_100.0), Some(2_800.0)]], &months, true, &[]);
        assert_eq!(volumes[0], vec![Some(100.0), Some(100.0)]);
        // A rate of a handful is no base: 40% of 5 people, then 80% of
        // thousands, is indexed at the first period both services' rates
        // are relied on; a series of none relied on is not indexed.
        let rates = indexed(
            &[
                vec![Some(0.4), Some(0.8), Some(0.8)],
                vec![Some(0.5), Some(0.5), Some(0.6)],
            ],
            &[],
            false,
            &[vec![true, false, false], vec![false, false, false]],
        );
        assert_eq!(rates[0], vec![Some(50.0), Some(100.0), Some(100.0)]);
        assert_eq!(rates[1], vec![Some(100.0), Some(100.0), Some(120.0)]);
        let alone = indexed(
            &[vec![Some(0.4), Some(0.8)]],
            &[],
            false,
            &[vec![true, true]],
        );
        assert_eq!(alone[0], vec![None, None]);
        // A service whose every rate is of a handful is not indexed, and
        // keeps the others from no shared period: they start together.
        let beside = indexed(
            &[
                vec![None, Some(0.5), Some(0.6)],
                vec![Some(0.2), Some(0.4), Some(0.8)],
                vec![Some(0.9), Some(0.9), Some(0.9)],
            ],
            &[],
            false,
            &[vec![false; 3], vec![false; 3], vec![true; 3]],
        );
        assert_eq!(beside[0], vec![None, Some(100.0), Some(120.0)]);
        assert_eq!(beside[1], vec![Some(50.0), Some(100.0), Some(200.0)]);
        assert_eq!(beside[2], vec![None, None, None]);
        let s = shares(&[
            vec![Some(1.0), Some(3.0), None],
            vec![Some(3.0), Some(1.0), Some(2.0)],
        ]);
        assert_eq!(s[0], vec![Some(0.25), Some(0.75), None]);
        assert_eq!(s[1], vec![Some(0.75), Some(0.25), None]);
        assert_eq!(
            ranks(&[Some(3.0), None, Some(5.0), Some(3.0)], true),
            vec![Some(2), None, Some(1), Some(2)]
        );
        assert_eq!(
            ranks(&[Some(3.0), Some(5.0)], false),
            vec![Some(1), Some(2)]
        );
    }

    #[test]
    fn portfolios_and_targets_say_what_is_wrong() {
        let p = |title: &str, services: &[&str]| NewPortfolio {
            title: title.into(),
            services: services.iter().map(|s| s.to_string()).collect(),
        };
        assert!(p("Mine", &["a", "b"]).check().is_ok());
        assert_eq!(
            p(" ", &["a"]).check().unwrap_err(),
            "title must not be empty"
        );
        assert!(p("Mine", &[]).check().unwrap_err().contains("at least one"));
        assert!(p("Mine", &["a", "a"])
            .check()
            .unwrap_err()
            .contains("twice"));
        let t = |kpi, value| NewTarget {
            service: "s".into(),
            kpi,
            value,
            effective_from: NaiveDate::from_ymd_opt(2026, 4, 1).unwrap(),
        };
        assert!(t(KpiKind::DigitalTakeUp, 0.8).check().is_ok());
        assert!(t(KpiKind::DigitalTakeUp, 80.0)
            .check()
            .unwrap_err()
            .contains("0.8 for 80%"));
        assert!(t(KpiKind::Transactions, -1.0).check().is_err());
        assert!(t(KpiKind::Transactions, f64::NAN).check().is_err());
        assert!(t(KpiKind::Transactions, 1e6).check().is_ok());
    }

    #[test]
    fn a_years_transactions_target_is_shared_by_days_and_a_rates_is_not() {
        use chrono::TimeZone;
        let target = Target {
            id: 1,
            service: "s".into(),
            kpi: KpiKind::Transactions,
            value: 364_000.0,
            effective_from: NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
            set_by: "someone".into(),
            created_at: chrono::Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap(),
        };
        let weeks = crate::kpi::periods_between(
            PeriodKind::Week,
            chrono::Utc.with_ymd_and_hms(2026, 3, 2, 0, 0, 0).unwrap(),
            chrono::Utc.with_ymd_and_hms(2026, 3, 16, 0, 0, 0).unwrap(),
        );
        let line = target_line(std::slice::from_ref(&target), KpiKind::Transactions, &weeks);
        assert_eq!(line, [Some(7_000.0), Some(7_000.0)]);
        assert_eq!(target_over(KpiKind::Transactions, 364_000.0, 1.0), 1_000.0);
        assert_eq!(target_over(KpiKind::DigitalTakeUp, 0.8, 31.0), 0.8);
    }
}
