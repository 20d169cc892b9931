//! Wire types: what crosses between the server and the browser, defined once.
//!
//! Every type here is plain data with serde on both sides. Server-only row types
//! live in the server's store and are converted into these.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// A reference to an organisation (a department or an agency).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct OrgRef {
    pub slug: String,
    pub title: String,
    /// Short form such as "DCS"; absent for organisations that have none.
    pub abbreviation: Option<String>,
}

/// Whether an organisation is a department or an agency inside one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum OrgKind {
    Department,
    Agency,
}

/// An organisation as `/api/v1/organisations` reads and writes it: a
/// department (no parent) or an agency (its department as parent); its schema
/// ([`schemas::organisation`]) says so with a `oneOf`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Organisation {
    /// Lower-case letters, digits and dashes.
    pub slug: String,
    pub title: String,
    #[serde(default)]
    pub abbreviation: Option<String>,
    pub kind: OrgKind,
    /// An agency's department, by slug; none for a department.
    #[serde(default)]
    pub parent: Option<String>,
}

/// A service as `/api/v1/services` creates and replaces it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ServiceInput {
    /// Lower-case letters, digits and dashes (at most 100).
    #[cfg_attr(feature = "ssr", schema(pattern = "^[a-z0-9-]{1,100}$"))]
    pub slug: String,
    /// Not blank.
    #[cfg_attr(
        feature = "ssr",
        schema(
            pattern = "[^\\t\\n\\x0b\\x0c\\r \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]"
        )
    )]
    pub title: String,
    #[serde(default)]
    pub description: String,
    /// The department or agency that runs it, by slug.
    #[cfg_attr(feature = "ssr", schema(pattern = "^[a-z0-9-]{1,100}$"))]
    pub organisation: String,
}

/// A service as it appears in lists: who runs it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ServiceListing {
    pub slug: String,
    pub title: String,
    pub department: OrgRef,
    /// The agency inside the department that runs the service, where there is one.
    pub agency: Option<OrgRef>,
}

/// The answer of `GET /api/v1/services`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ServiceList {
    pub services: Vec<ServiceListing>,
}

/// The departments and agencies that run services (each in order of title)
/// and each agency's department, by slug: what the explorer's filters offer
/// (in [`ServiceKpiList`]).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct OrgChoices {
    pub departments: Vec<OrgRef>,
    pub agencies: Vec<OrgRef>,
    pub agency_departments: std::collections::BTreeMap<String, String>,
}

impl OrgChoices {
    pub fn of<'a>(services: impl IntoIterator<Item = &'a ServiceListing>) -> OrgChoices {
        let mut choices = OrgChoices::default();
        let mut seen = std::collections::HashSet::new();
        for s in services {
            if seen.insert(("d", s.department.slug.as_str())) {
                choices.departments.push(s.department.clone());
            }
            if let Some(agency) = &s.agency {
                if seen.insert(("a", agency.slug.as_str())) {
                    choices.agencies.push(agency.clone());
                    choices
                        .agency_departments
                        .insert(agency.slug.clone(), s.department.slug.clone());
                }
            }
        }
        choices.departments.sort_by(|a, b| a.title.cmp(&b.title));
        choices.agencies.sort_by(|a, b| a.title.cmp(&b.title));
        choices
    }
}

/// The granularity of a period. Weeks start on Monday; everything is UTC.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum PeriodKind {
    Hour,
    Day,
    Week,
    Month,
    Quarter,
    Year,
}

impl PeriodKind {
    pub const ALL: [PeriodKind; 6] = [
        PeriodKind::Hour,
        PeriodKind::Day,
        PeriodKind::Week,
        PeriodKind::Month,
        PeriodKind::Quarter,
        PeriodKind::Year,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            PeriodKind::Hour => "hour",
            PeriodKind::Day => "day",
            PeriodKind::Week => "week",
            PeriodKind::Month => "month",
            PeriodKind::Quarter => "quarter",
            PeriodKind::Year => "year",
        }
    }

    pub fn parse(s: &str) -> Option<PeriodKind> {
        PeriodKind::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// A period a chart of KPIs may be drawn by (week, month, quarter or
    /// year), as a query string names it; the message says what is allowed.
    pub fn parse_for_charts(s: &str) -> Result<PeriodKind, String> {
        PeriodKind::parse(s)
            .filter(|k| !matches!(k, PeriodKind::Hour | PeriodKind::Day))
            .ok_or_else(|| format!("period must be week, month, quarter or year, not {s:?}"))
    }
}

/// A half-open span of time: `start <= t < end`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Period {
    pub kind: PeriodKind,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
}

impl Period {
    /// How many days the period holds (a part day counted as its part): what
    /// volumes of periods of different lengths are compared by, a day at a
    /// time, so that February is no dip for its 28 days.
    pub fn days(&self) -> f64 {
        (self.end - self.start).num_seconds() as f64 / 86_400.0
    }
}

/// One line of a channel chart: a channel's value in each period of the series.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ChannelLine {
    /// The channel's key in the data, e.g. `digital`.
    pub channel: String,
    /// The channel's name for people, e.g. "Digital".
    pub label: String,
    /// One value per period, aligned with [`ChannelSeries::periods`]; none
    /// where the data set holds no figure for the channel (a gap, not a 0),
    /// or not for every week of the period.
    pub values: Vec<Option<f64>>,
}

/// The total across `lines` (values aligned by period) of each of `periods`
/// periods: none where no line has a value, or where a line has none inside
/// its run (figures before and after it): a total without it would read as a
/// fall. A line that began later or stopped earlier is no gap. The one rule
/// of every total across channels or groups, on the service page (which the
/// server also tells of gaps beyond the periods shown:
/// [`ChannelSeries::gaps`]) and on dashboards alike.
pub fn totals_across(periods: usize, lines: &[&[Option<f64>]]) -> Vec<Option<f64>> {
    let runs: Vec<(Option<usize>, Option<usize>)> = lines
        .iter()
        .map(|values| {
            (
                values.iter().position(Option::is_some),
                values.iter().rposition(Option::is_some),
            )
        })
        .collect();
    (0..periods)
        .map(|i| {
            let mut total = None;
            for (values, (first, last)) in lines.iter().zip(&runs) {
                match values.get(i).copied().flatten() {
                    Some(v) => total = Some(total.unwrap_or(0.0) + v),
                    None if first.is_some_and(|f| f < i) && last.is_some_and(|l| i < l) => {
                        return None
                    }
                    None => {}
                }
            }
            total
        })
        .collect()
}

/// Transactions by channel over consecutive periods.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ChannelSeries {
    pub periods: Vec<Period>,
    pub channels: Vec<ChannelLine>,
    /// Until when the figures are complete ([`crate::kpi::complete_until`]):
    /// a period ending later is "so far".
    #[serde(default)]
    pub complete_until: Option<DateTime<Utc>>,
    /// Per period, whether a channel misses a week of it between weeks it
    /// has (before or after the periods shown too): such a period has no
    /// total. Empty: none has.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub gaps: Vec<bool>,
}

impl ChannelSeries {
    /// Whether period `i` is complete.
    pub fn is_complete(&self, i: usize) -> bool {
        self.periods
            .get(i)
            .is_some_and(|p| crate::kpi::is_complete(p, self.complete_until))
    }
}

impl ChannelSeries {
    /// The total across channels for each period; none where no channel
    /// has figures, or where a channel has a gap inside its run (figures
    /// before and after, none then): a total without it would read as a
    /// fall. A channel that began later or stopped earlier is no gap.
    pub fn totals(&self) -> Vec<Option<f64>> {
        let lines: Vec<&[Option<f64>]> =
            self.channels.iter().map(|c| c.values.as_slice()).collect();
        let mut totals = totals_across(self.periods.len(), &lines);
        for (total, gap) in totals.iter_mut().zip(&self.gaps) {
            if *gap {
                *total = None;
            }
        }
        totals
    }
}

/// The key performance indicators Pulse knows how to compute.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum KpiKind {
    Transactions,
    CostPerTransaction,
    DigitalTakeUp,
    UserSatisfaction,
    CompletionRate,
}

impl KpiKind {
    pub fn title(self) -> &'static str {
        match self {
            KpiKind::Transactions => "Transactions",
            KpiKind::CostPerTransaction => "Cost per transaction",
            KpiKind::DigitalTakeUp => "Digital take-up",
            KpiKind::UserSatisfaction => "Satisfaction score",
            KpiKind::CompletionRate => "Completion rate",
        }
    }

    /// How values of this KPI are shown.
    pub fn unit(self) -> Unit {
        match self {
            KpiKind::Transactions => Unit::Number,
            KpiKind::CostPerTransaction => Unit::Pounds,
            KpiKind::DigitalTakeUp | KpiKind::UserSatisfaction | KpiKind::CompletionRate => {
                Unit::Ratio
            }
        }
    }

    /// Whether a rise is good news (true for every KPI but cost).
    pub fn higher_is_better(self) -> bool {
        !matches!(self, KpiKind::CostPerTransaction)
    }
}

/// How a number is shown.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Unit {
    Number,
    Pounds,
    /// A fraction between 0 and 1, shown as a percent.
    Ratio,
}

/// A KPI's latest value, the period it covers, and the value of the period before.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct KpiFigure {
    pub kpi: KpiKind,
    /// `None` when the latest period has no value (for example no responses).
    pub value: Option<f64>,
    pub period: Period,
    /// The period before's value; for a rate, `None` also where either rate
    /// is out of too few to rely on ([`crate::kpi::LOW_BASE`]), so no change
    /// is shown or judged.
    pub previous: Option<f64>,
    /// What a rate is out of in that period: the transactions (digital
    /// take-up), the ratings (satisfaction), the starts (completion rate);
    /// none for volumes and costs. Under [`crate::kpi::LOW_BASE`], the rate
    /// is shown with it and not judged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base: Option<f64>,
}

/// The answer of `GET /api/v1/services/{slug}`: what the service page shows.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ServiceOverview {
    pub service: ServiceListing,
    pub description: String,
    /// Weekly transactions by channel.
    pub transactions: ChannelSeries,
    /// The latest value of each KPI that has data, in a fixed order.
    pub kpis: Vec<KpiFigure>,
    /// How recent each of the service's data sets is.
    pub freshness: Vec<Freshness>,
    /// With `compare=year`: the total of the same period a year earlier, for each
    /// period of `transactions` (`None` where there was no data then).
    pub previous_year: Option<Vec<Option<f64>>>,
    /// The service's published dashboards (title and address).
    #[serde(default)]
    pub dashboards: Vec<Link>,
}

/// When a data set last received data, and whether it is out of date: its newest
/// record is older than the data set's expected age.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Freshness {
    /// The data set, as `group/type`.
    #[serde(default)]
    pub data_set: String,
    /// The data type, e.g. `transactions-by-channel`.
    pub data_type: String,
    /// When the newest record was written.
    pub last_received: Option<DateTime<Utc>>,
    /// The `_timestamp` of the newest record.
    pub newest_record: Option<DateTime<Utc>>,
    /// The `_timestamp` of the newest record whose period has all its
    /// parts, for data sent as a record per channel, stage or step
    /// ([`crate::catalogue::part_field`]): the oldest of the parts' newest
    /// records, of the parts sent for the newest period or the one before.
    /// What periods are judged complete by; as `newest_record` when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub newest_whole: Option<DateTime<Utc>>,
    /// The `_timestamp` of the oldest record (where "All the data" starts);
    /// given for a dashboard's data sets.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oldest_record: Option<DateTime<Utc>>,
    /// Seconds after the newest record before the data counts as out of date.
    pub max_age_expected: Option<i64>,
    pub out_of_date: bool,
    /// How often a record is sent (one per this period): the catalogue's, for
    /// a data type it knows ([`crate::catalogue::frequency`]); for another, on
    /// a dashboard, what its records' times show
    /// ([`crate::kpi::frequency_of`]), if they show one.
    #[serde(default)]
    pub frequency: Option<PeriodKind>,
    /// When this was worked out: the instant periods are judged complete at
    /// ([`crate::kpi::complete_until`]).
    #[serde(default = "epoch")]
    pub checked_at: DateTime<Utc>,
    /// For data sent as a record per channel, stage or step: where one of
    /// them misses periods between periods it has (a gap, not a 0), which
    /// dashboards show no figure for, as the service pages do not.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub gaps: Vec<PartGap>,
}

/// A span `[start, end)` in which one part of a data set (a channel, a stage,
/// a step: [`crate::catalogue::part_field`]) has no record while it has
/// records before and after it: a gap, not a 0.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct PartGap {
    /// The channel, stage or step, e.g. `phone`.
    pub part: String,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
}

fn epoch() -> DateTime<Utc> {
    DateTime::<Utc>::UNIX_EPOCH
}

impl Freshness {
    /// Until when the data set's figures are complete, read by periods of
    /// `kind` when the catalogue does not say how often it is sent
    /// ([`crate::kpi::complete_until`]).
    pub fn complete_until(&self, kind: PeriodKind) -> Option<DateTime<Utc>> {
        crate::kpi::complete_until(
            self.frequency.unwrap_or(kind),
            self.newest_whole.or(self.newest_record),
            self.checked_at,
        )
    }
}

/// The error body every JSON endpoint answers with.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ErrorBody {
    pub status: String,
    pub message: String,
}

/// A service's headline figures, for the services explorer: its
/// transactions over its last year of figures, the others of their latest
/// complete period (`figures` says which).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ServiceKpis {
    pub service: ServiceListing,
    /// Transactions in the last 52 complete weeks with figures (`year_from`
    /// to `year_to`), when every one of them has figures (none otherwise: a
    /// service 8 weeks old has no year's worth to show).
    pub transactions_per_year: Option<f64>,
    #[serde(default)]
    pub year_from: Option<DateTime<Utc>>,
    #[serde(default)]
    pub year_to: Option<DateTime<Utc>>,
    /// The mean transactions a week over the weeks of that year with
    /// figures: the service's weight in averages over services.
    #[serde(default)]
    pub weekly_transactions: Option<f64>,
    /// The latest complete quarter's cost per transaction, in pounds.
    pub cost_per_transaction: Option<f64>,
    /// Digital transactions as a fraction of all, in the latest complete week.
    pub digital_take_up: Option<f64>,
    /// Satisfaction score (0 to 1) of the latest complete month.
    pub user_satisfaction: Option<f64>,
    /// Completions over starts in the latest complete week.
    pub completion_rate: Option<f64>,
    /// The cost of the last four complete quarters with a cost per transaction
    /// (`cost_from` to `cost_to`, a year): each quarter's cost per
    /// transaction times its transactions, summed; none unless the four
    /// follow one another (a quarter's cost missing between them leaves no
    /// year's cost, not three quarters' or a span of two years).
    #[serde(default)]
    pub total_cost: Option<f64>,
    /// The transactions of those quarters.
    #[serde(default)]
    pub costed_transactions: Option<f64>,
    #[serde(default)]
    pub cost_from: Option<DateTime<Utc>>,
    #[serde(default)]
    pub cost_to: Option<DateTime<Utc>>,
    /// Each KPI's latest complete period, value and the value of the period
    /// before: the figures above, with their periods, as the service page
    /// shows them.
    #[serde(default)]
    pub figures: Vec<KpiFigure>,
}

/// Totals and transaction-weighted averages over a set of services.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct KpiSummary {
    /// Every service shown: those whose figures stopped and those with no
    /// transactions included.
    pub services: usize,
    /// The transactions a year of the `counted` services.
    pub transactions_per_year: f64,
    /// How many of the services are in the total of transactions: those
    /// with recent figures and a whole year of them.
    #[serde(default)]
    pub counted: usize,
    /// How many of the services have figures of the same time: a year
    /// ending at most [`crate::kpi::RECENT_WEEKS`] weeks before `year_to`.
    /// The totals and averages are of these (the averages weighted by each
    /// one's transactions a week); the others' figures stopped earlier.
    #[serde(default)]
    pub current: usize,
    /// How many have a year of figures that ended before the others' did
    /// (more than [`crate::kpi::RECENT_WEEKS`] weeks before `year_to`).
    #[serde(default)]
    pub stopped: usize,
    /// The end of the newest year of figures among the services.
    #[serde(default)]
    pub year_to: Option<DateTime<Utc>>,
    /// Transactions times cost per transaction, summed: of the `costed`
    /// services, each over its last four complete quarters.
    pub total_cost: f64,
    /// How many of the `current` services are in the total cost: those with
    /// four consecutive complete quarters of costs.
    #[serde(default)]
    pub costed: usize,
    /// Total cost over the transactions of the services that report a cost,
    /// in the same quarters.
    pub cost_per_transaction: Option<f64>,
    /// The `current` services' latest complete weeks' digital take-up, each
    /// weighted by the service's transactions a week
    /// ([`crate::kpi::averaged_over`]).
    pub digital_take_up: Option<f64>,
    /// Their latest complete months' satisfaction scores, weighted likewise.
    pub user_satisfaction: Option<f64>,
    /// Their latest complete weeks' completion rates, weighted likewise.
    pub completion_rate: Option<f64>,
    /// How many services each of the three averages above is of, in their
    /// order (digital take-up, satisfaction, completion): the `current`
    /// ones whose rate is relied on (out of 30 or more, and recent) and who
    /// have transactions to weigh it by. An average over other services
    /// than another's is not compared with it.
    #[serde(default)]
    pub averaged: [usize; 3],
}

fn first_page() -> usize {
    1
}

/// The answer of `GET /api/v1/service-kpis`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ServiceKpiList {
    pub services: Vec<ServiceKpis>,
    pub summary: KpiSummary,
    /// Every department and agency, for the filters.
    pub departments: Vec<OrgRef>,
    pub agencies: Vec<OrgRef>,
    /// Each agency's department, by slug.
    #[serde(default)]
    pub agency_departments: std::collections::BTreeMap<String, String>,
    /// Which page `services` is (from 1), of how many (with `per_page`;
    /// otherwise 1 of 1). `summary` covers every page.
    #[serde(default = "first_page")]
    pub page: usize,
    #[serde(default = "first_page")]
    pub pages: usize,
}

/// What a module shows (the Performance Platform's module types).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ModuleType {
    Kpi,
    SingleTimeseries,
    GroupedTimeseries,
    CompletionRate,
    UserSatisfactionGraph,
    BarChartWithNumber,
    Journey,
    Table,
    /// The latest value of a realtime data set ("1,234 people using the
    /// service now") with a sparkline of the last hours, kept up to date as
    /// records arrive.
    Realtime,
    /// Ranked items (top pages, top reasons for contact) with their values and
    /// links, from a grouped query.
    List,
    Section,
}

/// One module of a dashboard: a view of one data set through a stored query, or
/// a section heading over child modules. Its schema ([`schemas::module`]) is
/// a `oneOf` of the two.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Module {
    #[serde(rename = "type")]
    pub module_type: ModuleType,
    pub slug: String,
    pub title: String,
    #[serde(default)]
    pub description: String,
    /// "About the data": where the figures come from and what they mean.
    #[serde(default)]
    pub info: String,
    /// The data set read, as `group/type`; none for a section.
    #[serde(default)]
    pub data_set: Option<String>,
    /// The read API query string, e.g. `period=week&group_by=channel&collect=count:sum`.
    #[serde(default)]
    pub query: String,
    /// Options of the module type (e.g. `{"format": "pounds"}`, `{"stacked": true}`).
    #[serde(default = "empty_object")]
    pub options: serde_json::Value,
    /// A section's modules.
    #[serde(default)]
    pub modules: Vec<Module>,
    /// How often its data set's records come, for a data type the catalogue
    /// does not know ([`crate::catalogue::frequency`] says it for the others):
    /// what the records' times show ([`crate::kpi::frequency_of`]), filled in
    /// from the dashboard's freshness when a page loads it
    /// ([`crate::modules::load_dashboard`]), so that its weeks are shared
    /// between months by their days as the catalogue's are. Worked out, never
    /// stored: not in the API's schema, and a dashboard sent with it is refused.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub frequency: Option<PeriodKind>,
}

fn empty_object() -> serde_json::Value {
    serde_json::Value::Object(Default::default())
}

/// Whether a dashboard can be seen by everyone.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "kebab-case")]
pub enum DashboardStatus {
    Unpublished,
    InReview,
    Published,
}

/// A dashboard: the reference's fields and its ordered modules.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Dashboard {
    /// Lower-case letters, digits and dashes (at most 100), and not one of
    /// Pulse's own first path segments.
    #[cfg_attr(
        feature = "ssr",
        schema(
            pattern = "^(?!(boards|build|data-sets|guide|admin|api|compare|data|dashboards|guidance|pkg|services|settings|sign-in|sign-out|summary|vendor|upload|metrics|invitations|invitation|forgot-password|reset-password|unsubscribe)$)[a-z0-9-]{1,100}$"
        )
    )]
    pub slug: String,
    /// Not blank.
    #[cfg_attr(
        feature = "ssr",
        schema(
            pattern = "[^\\t\\n\\x0b\\x0c\\r \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]"
        )
    )]
    pub title: String,
    /// transaction, high-volume-transaction, service-group, agency, department,
    /// content or other.
    #[serde(default = "transaction")]
    #[cfg_attr(feature = "ssr", schema(schema_with = schemas::dashboard_type))]
    pub dashboard_type: String,
    #[serde(default = "service_dashboard")]
    pub strapline: String,
    #[serde(default)]
    pub tagline: String,
    #[serde(default)]
    pub description: String,
    /// Notes on costs.
    #[serde(default)]
    pub costs: String,
    #[serde(default)]
    pub other_notes: String,
    #[serde(default)]
    #[cfg_attr(feature = "ssr", schema(schema_with = schemas::customer_type))]
    pub customer_type: Option<String>,
    #[serde(default)]
    #[cfg_attr(feature = "ssr", schema(schema_with = schemas::business_model))]
    pub business_model: Option<String>,
    /// "Visit this service": a web address (http:// or https://).
    #[serde(default)]
    #[cfg_attr(feature = "ssr", schema(pattern = "^https?://"))]
    pub service_url: Option<String>,
    #[serde(default)]
    #[cfg_attr(feature = "ssr", schema(schema_with = schemas::dashboard_links))]
    pub links: Vec<Link>,
    /// The service it belongs to, by slug, if any.
    #[serde(default)]
    #[cfg_attr(feature = "ssr", schema(pattern = "^[a-z0-9-]{1,100}$"))]
    pub service: Option<String>,
    pub status: DashboardStatus,
    #[serde(default)]
    pub modules: Vec<Module>,
}

impl Dashboard {
    /// A new unpublished dashboard with these modules and every other field
    /// as the API's defaults leave it.
    pub fn draft(
        slug: String,
        title: String,
        service: Option<String>,
        modules: Vec<Module>,
    ) -> Dashboard {
        Dashboard {
            slug,
            title,
            dashboard_type: transaction(),
            strapline: service_dashboard(),
            tagline: String::new(),
            description: String::new(),
            costs: String::new(),
            other_notes: String::new(),
            customer_type: None,
            business_model: None,
            service_url: None,
            links: Vec::new(),
            service,
            status: DashboardStatus::Unpublished,
            modules,
        }
    }
}

fn transaction() -> String {
    "transaction".into()
}

fn service_dashboard() -> String {
    "Service dashboard".into()
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Link {
    pub title: String,
    /// A web address (http:// or https://) on a dashboard; a path inside
    /// Pulse where Pulse makes the link.
    pub url: String,
}

/// What a person may do: read unpublished dashboards of their organisations
/// (viewer), also edit and annotate them (editor), or everything (admin).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Viewer,
    Editor,
    Admin,
}

impl Role {
    /// The role in a sentence: "a viewer", "an editor", "an admin".
    pub fn with_article(self) -> &'static str {
        match self {
            Role::Viewer => "a viewer",
            Role::Editor => "an editor",
            Role::Admin => "an admin",
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Viewer => "viewer",
            Role::Editor => "editor",
            Role::Admin => "admin",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        [Role::Viewer, Role::Editor, Role::Admin]
            .into_iter()
            .find(|r| r.as_str() == s)
    }
}

/// A person who signs in.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct User {
    pub id: i64,
    pub email: String,
    pub display_name: String,
    pub role: Role,
    /// The departments and agencies they belong to, by slug.
    pub organisations: Vec<String>,
    pub active: bool,
    pub created_at: DateTime<Utc>,
}

/// The answer of `GET /api/v1/session`: who is signed in (nobody: `user` is
/// null), and the token every change made with the session cookie must carry.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct SessionState {
    pub user: Option<User>,
    /// Send as `X-CSRF-Token` (or a form's `csrf_token` field).
    pub csrf_token: Option<String>,
    /// Whether this Pulse sends e-mail (invitations, password resets); when
    /// it does not, pages say so.
    #[serde(default)]
    pub mail_enabled: bool,
    /// After a right password from someone with two-factor sign-in on: the
    /// sign-in waits for their code (`POST /api/v1/session/code`); `user` is
    /// null until then.
    #[serde(default)]
    pub code_needed: bool,
    /// Admins require two-factor sign-in of the person's role and they have
    /// not set it up: they act as a viewer until they do.
    #[serde(default)]
    pub two_factor_needed: bool,
}

/// An API key as it is shown (never with its secret).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ApiKey {
    pub id: i64,
    /// The key's first characters, to tell keys apart.
    pub prefix: String,
    pub name: String,
    pub scopes: Vec<String>,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub expires_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
    /// The user who made it (none for keys made on the command line and data
    /// sets' write tokens).
    pub owner_id: Option<i64>,
    /// Where it stood when it was read (see [`ApiKey::status`]).
    pub status: KeyStatus,
}

/// Where a key stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "kebab-case")]
pub enum KeyStatus {
    Active,
    /// Expires within 14 days.
    ExpiringSoon,
    Expired,
    Revoked,
}

impl KeyStatus {
    pub fn words(self) -> &'static str {
        match self {
            KeyStatus::Active => "Active",
            KeyStatus::ExpiringSoon => "Expiring soon",
            KeyStatus::Expired => "Expired",
            KeyStatus::Revoked => "Revoked",
        }
    }
}

/// The scope of an administrator's key.
pub const ADMIN_SCOPE: &str = "admin";
/// The scope to read unpublished data sets and dashboards.
pub const READ_UNPUBLISHED: &str = "read:unpublished";
/// The scope to manage dashboards, data sets and targets.
pub const MANAGE_DASHBOARDS: &str = "dashboards:write";
/// The scope to write notes.
pub const MANAGE_ANNOTATIONS: &str = "annotations:write";

/// What a key may do: the one syntax of scopes (`admin`, `read:unpublished`,
/// `dashboards:write`, `annotations:write`, `data-set:NAME:write`), for the
/// server, the command line and the settings page.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Scope {
    Admin,
    ReadUnpublished,
    ManageDashboards,
    ManageAnnotations,
    /// Write the records of the data set with this name.
    WriteDataSet(String),
}

impl Scope {
    /// The scope `s` names, if it is one.
    pub fn parse(s: &str) -> Option<Scope> {
        Some(match s {
            ADMIN_SCOPE => Scope::Admin,
            READ_UNPUBLISHED => Scope::ReadUnpublished,
            MANAGE_DASHBOARDS => Scope::ManageDashboards,
            MANAGE_ANNOTATIONS => Scope::ManageAnnotations,
            other => Scope::WriteDataSet(
                other
                    .strip_prefix("data-set:")?
                    .strip_suffix(":write")
                    .filter(|name| !name.is_empty())?
                    .to_string(),
            ),
        })
    }

    /// The words a refused scope is answered with.
    pub const EXPECTED: &'static str = "use admin, read:unpublished, dashboards:write, \
         annotations:write or data-set:NAME:write";
}

impl std::fmt::Display for Scope {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Scope::Admin => f.write_str(ADMIN_SCOPE),
            Scope::ReadUnpublished => f.write_str(READ_UNPUBLISHED),
            Scope::ManageDashboards => f.write_str(MANAGE_DASHBOARDS),
            Scope::ManageAnnotations => f.write_str(MANAGE_ANNOTATIONS),
            Scope::WriteDataSet(name) => write!(f, "data-set:{name}:write"),
        }
    }
}

impl ApiKey {
    /// Whether the key has `scope` (an admin key has every scope).
    pub fn has_scope(&self, scope: &str) -> bool {
        self.scopes.iter().any(|s| s == scope || s == ADMIN_SCOPE)
    }

    pub fn is_admin(&self) -> bool {
        self.scopes.iter().any(|s| s == ADMIN_SCOPE)
    }

    /// Revoked, expired, expiring within 14 days, or active, at `now`.
    pub fn status(&self, now: DateTime<Utc>) -> KeyStatus {
        match (self.revoked_at, self.expires_at) {
            (Some(_), _) => KeyStatus::Revoked,
            (None, Some(t)) if t <= now => KeyStatus::Expired,
            (None, Some(t)) if t - now <= chrono::Duration::days(14) => KeyStatus::ExpiringSoon,
            _ => KeyStatus::Active,
        }
    }
}

/// A new key with its secret, which is shown this once.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct NewKey {
    pub key: ApiKey,
    pub secret: String,
}

/// One of a person's live sessions, as `GET /api/v1/sessions` lists them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct SessionInfo {
    pub id: i64,
    #[serde(default)]
    pub user_id: i64,
    pub created_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub address: String,
    pub user_agent: String,
    /// The session of the request that asked.
    pub current: bool,
}

/// One change in the audit log.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct AuditEntry {
    pub id: i64,
    pub at: DateTime<Utc>,
    /// Who: `user 3 (robin@example.gov.uk)`, `key 7 (pulse_AbCdEfGh)`, `command line`.
    pub actor: String,
    /// How: `session`, `key` or `cli`.
    pub via: String,
    /// What: e.g. `user.create`, `key.revoke`, `dashboard.replace`.
    pub action: String,
    /// What it was done to: e.g. `user 4`, `dashboard register-a-birth`.
    pub target: String,
    /// The change's particulars (free JSON).
    #[cfg_attr(feature = "ssr", schema(value_type = Object))]
    pub detail: serde_json::Value,
}

/// Who may read an annotation.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum Visibility {
    /// Everyone who can see the service's figures.
    #[default]
    Public,
    /// Only signed-in people of the service's organisations (and admins).
    Internal,
}

/// An annotation as it is written: `POST /api/v1/annotations` and
/// `PUT /api/v1/annotations/{id}`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewAnnotation {
    /// The service it is about, by slug.
    #[cfg_attr(feature = "ssr", schema(pattern = "^[a-z0-9-]{1,100}$"))]
    pub service: String,
    /// One module only, as `dashboard/module`; absent for every chart of the service.
    #[serde(default)]
    #[cfg_attr(feature = "ssr", schema(pattern = "^[^/]+/[\\s\\S]+$"))]
    pub module: Option<String>,
    /// The moment, or the start of the range: in the years 1900 to 2200
    /// (UTC; a 422 otherwise).
    pub starts_at: DateTime<Utc>,
    /// The end of a range (absent for a moment), in the same years.
    #[serde(default)]
    pub ends_at: Option<DateTime<Utc>>,
    /// Plain text: line breaks and web addresses are kept, nothing else is
    /// markup. Not blank; at most 2,000 characters.
    #[cfg_attr(
        feature = "ssr",
        schema(
            pattern = "[^\\t\\n\\x0b\\x0c\\r \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]",
            max_length = 2000
        )
    )]
    pub text: String,
    /// At most 10, each letters, digits, spaces and dashes (at most 40).
    #[serde(default)]
    #[cfg_attr(feature = "ssr", schema(schema_with = schemas::tags))]
    pub tags: Vec<String>,
    #[serde(default)]
    pub visibility: Visibility,
}

/// A stored annotation.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Annotation {
    pub id: i64,
    pub service: String,
    pub module: Option<String>,
    pub starts_at: DateTime<Utc>,
    pub ends_at: Option<DateTime<Utc>>,
    pub text: String,
    pub tags: Vec<String>,
    pub visibility: Visibility,
    /// Who wrote it: a person's name, or the key that did.
    pub author: String,
    /// 1 when written, one more at each edit.
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Annotation {
    /// The annotation as it would be written again (to edit it).
    pub fn draft(&self) -> NewAnnotation {
        NewAnnotation {
            service: self.service.clone(),
            module: self.module.clone(),
            starts_at: self.starts_at,
            ends_at: self.ends_at,
            text: self.text.clone(),
            tags: self.tags.clone(),
            visibility: self.visibility,
        }
    }

    /// Its end: the end of its range, or its moment.
    pub fn end(&self) -> DateTime<Utc> {
        self.ends_at.unwrap_or(self.starts_at)
    }
}

/// An earlier version of an annotation, kept when it was edited.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct AnnotationVersion {
    pub version: i64,
    pub module: Option<String>,
    pub starts_at: DateTime<Utc>,
    pub ends_at: Option<DateTime<Utc>>,
    pub text: String,
    pub tags: Vec<String>,
    pub visibility: Visibility,
    pub author: String,
    /// When this version was written.
    pub saved_at: DateTime<Utc>,
}

/// The answer of `GET /api/v1/annotations`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct AnnotationList {
    pub annotations: Vec<Annotation>,
    /// With `service=`: whether the caller may add, edit and delete the
    /// service's annotations.
    #[serde(default)]
    pub may_annotate: bool,
}

/// One problem found in an uploaded spreadsheet.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct UploadProblem {
    /// The spreadsheet's row number (row 1 is the header); none for the file.
    pub row: Option<usize>,
    /// The column's letter and field name (`C (count)`), when one is at fault.
    pub column: Option<String>,
    pub message: String,
}

/// A record an upload would replace: its values before and after.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct UploadReplacement {
    pub row: usize,
    pub id: String,
    #[cfg_attr(feature = "ssr", schema(value_type = Object))]
    pub before: serde_json::Value,
    #[cfg_attr(feature = "ssr", schema(value_type = Object))]
    pub after: serde_json::Value,
}

/// One row of an upload as Pulse read it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct UploadRow {
    pub row: usize,
    #[cfg_attr(feature = "ssr", schema(value_type = Object))]
    pub record: serde_json::Value,
}

/// An upload refused because its file has problems (400): nothing was
/// stored, and the preview says what to correct.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct UploadRefused {
    /// `error`.
    pub status: String,
    pub message: String,
    pub preview: UploadPreview,
}

/// The answer of an upload: what the file holds, what is wrong with it, and
/// what storing it would do (or did, when `stored`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct UploadPreview {
    pub data_set: String,
    pub file_name: String,
    /// `csv` or `xlsx`.
    pub format: String,
    pub columns: Vec<String>,
    /// The first rows as read (at most 100).
    pub rows: Vec<UploadRow>,
    /// Records in the file.
    pub records: usize,
    /// Records that are not stored yet.
    pub new: usize,
    /// Records that replace a stored one with other values.
    pub replaced: usize,
    /// Records identical to the stored one they would replace.
    pub unchanged: usize,
    /// The replaced records' values before and after (at most 100).
    pub replacements: Vec<UploadReplacement>,
    /// The problems found (the first 1,000); nothing is stored while there is one.
    pub problems: Vec<UploadProblem>,
    /// How many problems were found in all.
    #[serde(default)]
    pub problem_count: usize,
    pub stored: bool,
}

/// A heading of a guide page, which the guide's search finds.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct GuideHeading {
    /// The heading's anchor on its page.
    pub id: String,
    pub text: String,
    pub level: u8,
}

/// A guide page as the index lists it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct GuidePageSummary {
    pub slug: String,
    pub title: String,
    /// `service-managers`, `developers` or `everyone`.
    pub audience: String,
    pub summary: String,
}

/// A guide page: rendered HTML with this installation's figures in it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct GuidePage {
    #[serde(flatten)]
    pub page: GuidePageSummary,
    pub html: String,
    pub headings: Vec<GuideHeading>,
}

/// A heading that matches a search of the guide.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct GuideHit {
    pub slug: String,
    pub page_title: String,
    pub heading: GuideHeading,
}

/// The answer of `GET /api/v1/guide`: every page, and the headings matching `q`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct GuideIndex {
    pub pages: Vec<GuidePageSummary>,
    pub query: String,
    pub hits: Vec<GuideHit>,
}

/// A data set as `/api/v1/data-sets` shows it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct DataSet {
    /// The database's id (not part of the answer).
    #[serde(skip)]
    pub id: i64,
    /// As Backdrop named it: `{group}_{type}` with dashes as underscores.
    pub name: String,
    pub data_group: String,
    pub data_type: String,
    pub auto_ids: Vec<String>,
    /// A JSON Schema every record must satisfy, if set.
    #[cfg_attr(feature = "ssr", schema(schema_with = schemas::json_schema))]
    pub schema: Option<serde_json::Value>,
    pub queryable: bool,
    pub published: bool,
    pub realtime: bool,
    pub raw_queries_allowed: bool,
    /// Seconds after the newest record before the data set counts as out of date;
    /// `None` means it is not watched.
    pub max_age_expected: Option<i64>,
    pub upload_format: Option<String>,
    pub created_at: DateTime<Utc>,
    /// Moves on with every change to its records, in the same transaction: an
    /// instance whose table in memory is older reloads it (not part of the
    /// answer).
    #[serde(skip)]
    pub version: i64,
}

/// Data sets.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct DataSetList {
    pub data_sets: Vec<DataSet>,
}

/// The settings of a data set, for creating one or changing one.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DataSetSettings {
    #[serde(default)]
    pub auto_ids: Vec<String>,
    #[serde(default)]
    pub schema: Option<serde_json::Value>,
    #[serde(default = "yes_by_default")]
    pub queryable: bool,
    #[serde(default)]
    pub published: bool,
    #[serde(default)]
    pub realtime: bool,
    #[serde(default = "yes_by_default")]
    pub raw_queries_allowed: bool,
    #[serde(default = "a_day_by_default")]
    pub max_age_expected: Option<i64>,
    #[serde(default)]
    pub upload_format: Option<String>,
}

fn yes_by_default() -> bool {
    true
}

fn a_day_by_default() -> Option<i64> {
    Some(86_400)
}

impl Default for DataSetSettings {
    fn default() -> Self {
        DataSetSettings {
            auto_ids: Vec::new(),
            schema: None,
            queryable: true,
            published: false,
            realtime: false,
            raw_queries_allowed: true,
            max_age_expected: a_day_by_default(),
            upload_format: None,
        }
    }
}

/// What `POST /api/v1/data-sets` and `pulse data-set create` take (its schema
/// written out, [`schemas::new_data_set`], as the settings are flattened into it).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewDataSet {
    pub data_group: String,
    pub data_type: String,
    /// An existing Backdrop token to keep using; a fresh one otherwise.
    #[serde(default)]
    pub bearer_token: Option<String>,
    /// A data type of the catalogue (`/api/v1/data-types`) whose JSON Schema
    /// and `auto_ids` the data set takes.
    #[serde(default)]
    pub from_type: Option<String>,
    #[serde(flatten)]
    pub settings: DataSetSettings,
}

#[cfg(feature = "ssr")]
impl utoipa::PartialSchema for NewDataSet {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        schemas::new_data_set()
    }
}

#[cfg(feature = "ssr")]
impl utoipa::ToSchema for NewDataSet {}

/// A data set just made, with its write token, shown this once.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct DataSetWithToken {
    #[serde(flatten)]
    pub data_set: DataSet,
    pub bearer_token: String,
}

/// One entry of a data set's correction history.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct HistoryEntry {
    /// The record's id; for an upload, the file's name.
    pub record_id: String,
    /// `replace`, `patch`, `delete`, `empty` or `upload`.
    pub action: String,
    #[cfg_attr(feature = "ssr", schema(value_type = Option<Object>))]
    pub old_value: Option<serde_json::Value>,
    #[cfg_attr(feature = "ssr", schema(value_type = Option<Object>))]
    pub new_value: Option<serde_json::Value>,
    /// Who made the change: `key:<prefix>` for an API key, `user:<email>` for a
    /// person, `cli` for the command line.
    pub actor: String,
    pub at: DateTime<Utc>,
}

// --- Request bodies of /api/v1 (the answers are above) ----------------------

/// What `POST /api/v1/api-keys` takes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct KeyRequest {
    /// What the key is for, e.g. "nightly upload" (not blank; at most 100
    /// characters).
    #[cfg_attr(
        feature = "ssr",
        schema(
            pattern = "[^\\t\\n\\x0b\\x0c\\r \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]",
            max_length = 100
        )
    )]
    pub name: String,
    /// `read:unpublished`, `dashboards:write`, `annotations:write`,
    /// `data-set:NAME:write`, `admin`.
    #[cfg_attr(feature = "ssr", schema(schema_with = schemas::key_scopes))]
    pub scopes: Vec<String>,
    /// Days until it expires: 90 unless given, at most the server's maximum.
    #[serde(default)]
    #[cfg_attr(feature = "ssr", schema(minimum = 1))]
    pub expires_in_days: Option<i64>,
}

/// What `POST /api/v1/session` takes (as JSON or a form).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Credentials {
    /// Not blank (white space around it is trimmed).
    #[cfg_attr(
        feature = "ssr",
        schema(
            pattern = "[^\\t\\n\\x0b\\x0c\\r \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]"
        )
    )]
    pub email: String,
    #[cfg_attr(feature = "ssr", schema(min_length = 1))]
    pub password: String,
}

/// What `PUT /api/v1/session/password` takes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PasswordChange {
    pub current_password: String,
    /// 12 to 256 characters.
    #[cfg_attr(feature = "ssr", schema(min_length = 12, max_length = 256))]
    pub new_password: String,
}

/// What `POST /api/v1/users` takes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewUserRequest {
    /// An email address (like name@example.gov.uk; at most 254 characters).
    #[cfg_attr(feature = "ssr", schema(schema_with = schemas::email_address))]
    pub email: String,
    /// Not blank.
    #[cfg_attr(
        feature = "ssr",
        schema(
            pattern = "[^\\t\\n\\x0b\\x0c\\r \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]"
        )
    )]
    pub display_name: String,
    pub role: Role,
    #[serde(default)]
    #[cfg_attr(feature = "ssr", schema(schema_with = schemas::organisation_slugs))]
    pub organisations: Vec<String>,
    /// Their first password (12 to 256 characters); they can change it in
    /// their settings.
    #[cfg_attr(feature = "ssr", schema(min_length = 12, max_length = 256))]
    pub password: String,
}

/// What `PATCH /api/v1/users/{id}` takes: any of these.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct UserChangeRequest {
    /// Not blank.
    #[cfg_attr(
        feature = "ssr",
        schema(
            pattern = "[^\\t\\n\\x0b\\x0c\\r \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]"
        )
    )]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<Role>,
    #[cfg_attr(feature = "ssr", schema(schema_with = schemas::optional_organisation_slugs))]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub organisations: Option<Vec<String>>,
    /// `false` deactivates (and ends their sessions); `true` lets them in again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub active: Option<bool>,
}

/// The request schemas that a derive cannot write: a choice between shapes
/// (`oneOf`), and enumerations of strings the server keeps as strings. Each is
/// as strict as the server's own checks, so a body the schema allows is one
/// the server takes (or refuses only for what a schema cannot know: a name that
/// does not exist, or one already taken).
#[cfg(feature = "ssr")]
pub mod schemas {
    use serde_json::{json, Value};
    use utoipa::openapi::{schema::Schema, RefOr};

    /// A slug: lower-case letters, digits and dashes, at most 100.
    pub const SLUG: &str = "^[a-z0-9-]{1,100}$";
    /// Text that is not blank: a character that Rust's `trim` keeps (its
    /// `White_Space`, written out, as `\\s` differs between regex dialects).
    pub const NOT_BLANK: &str = "[^\\t\\n\\x0b\\x0c\\r \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]";

    fn schema(value: Value) -> RefOr<Schema> {
        serde_json::from_value(value).expect("a valid schema")
    }

    /// The settings of a data set as its schema states them: `PATCH` takes any
    /// of them, `POST` these with its name.
    pub fn settings_properties() -> Value {
        json!({
            "auto_ids": {"type": "array", "items": {"type": "string", "pattern": "^[A-Za-z_][A-Za-z0-9_]+$"},
                "description": "Fields whose values make a record's `_id`."},
            "schema": {"type": ["object", "boolean", "null"], "description": "A JSON Schema every record must meet."},
            "queryable": {"type": "boolean"},
            "published": {"type": "boolean"},
            "realtime": {"type": "boolean"},
            "raw_queries_allowed": {"type": "boolean"},
            "max_age_expected": {"type": ["integer", "null"], "minimum": 1, "maximum": crate::kpi::MAX_AGE_EXPECTED,
                "description": "Seconds after which its data is late (at most 100 years); null for never."},
            "upload_format": {"type": ["string", "null"], "enum": ["csv", "excel", null]},
        })
    }

    /// A new data set: its group and type, and any of its settings; or its
    /// group, type and a data type of the catalogue whose schema it takes.
    pub fn new_data_set() -> RefOr<Schema> {
        let mut properties = settings_properties();
        properties["data_group"] = json!({"type": "string", "pattern": "^[a-z0-9][a-z0-9_-]{0,99}$",
            "description": "The group: the slug of the service it belongs to, for editors."});
        properties["data_type"] =
            json!({"type": "string", "pattern": "^[a-z0-9][a-z0-9_-]{0,99}$"});
        // Unicode's white space, as the server knows it (`\S` would allow U+0085).
        properties["bearer_token"] = json!({"type": ["string", "null"], "minLength": 16, "pattern": "^[^\\t\\n\\x0b\\x0c\\r \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]*$",
            "description": "An existing Backdrop token to keep using (at least 16 characters, no spaces); a fresh one otherwise."});
        // With `from_type`, the data set takes the type's schema and auto_ids,
        // so the body sends neither (null or empty at most); without it, any.
        let mut typed = properties.clone();
        typed["from_type"] = json!({"type": "string", "enum": crate::catalogue::NAMES,
            "description": "A data type of the catalogue (`/api/v1/data-types`) whose JSON Schema and `auto_ids` the data set takes."});
        typed["schema"] = json!({"type": "null", "description": "Taken from the data type."});
        typed["auto_ids"] = json!({"type": "array", "items": false, "maxItems": 0,
            "description": "Taken from the data type."});
        properties["from_type"] =
            json!({"type": "null", "description": "No data type of the catalogue."});
        let shape = |title: &str, properties: Value, required: &[&str]| {
            json!({
                "type": "object",
                "title": title,
                "required": required,
                "additionalProperties": false,
                "properties": properties,
            })
        };
        schema(json!({
            "description": "A new data set: its group and type, and any of its settings; or its group and type and a data type of the catalogue (`from_type`) whose schema and auto_ids it takes.",
            "oneOf": [
                shape("its own settings", properties, &["data_group", "data_type"]),
                shape("from a data type", typed, &["data_group", "data_type", "from_type"]),
            ],
        }))
    }

    /// What `PATCH /api/v1/data-sets/{group}/{type}` takes: any of the settings.
    pub fn data_set_change() -> RefOr<Schema> {
        schema(json!({
            "type": "object",
            "description": "Any of a data set's settings; the others stay as they are.",
            "additionalProperties": false,
            "properties": settings_properties(),
        }))
    }

    fn one_of_strings(values: &[&str], nullable: bool) -> RefOr<Schema> {
        let mut values: Vec<Value> = values.iter().map(|v| json!(v)).collect();
        if nullable {
            values.push(Value::Null);
        }
        schema(json!({
            "type": if nullable { json!(["string", "null"]) } else { json!("string") },
            "enum": values,
        }))
    }

    pub fn dashboard_type() -> RefOr<Schema> {
        one_of_strings(&super::DASHBOARD_TYPES, false)
    }

    pub fn customer_type() -> RefOr<Schema> {
        one_of_strings(&super::CUSTOMER_TYPES, true)
    }

    pub fn business_model() -> RefOr<Schema> {
        one_of_strings(&super::BUSINESS_MODELS, true)
    }

    /// A portfolio's services: 1 to 200 slugs, each once.
    pub fn portfolio_services() -> RefOr<Schema> {
        schema(json!({
            "type": "array",
            "minItems": 1,
            "maxItems": 200,
            "uniqueItems": true,
            "items": {"type": "string", "pattern": SLUG},
            "description": "The services' slugs, each once.",
        }))
    }

    /// Slugs of organisations, as a person's; null (or absent) to leave them.
    pub fn optional_organisation_slugs() -> RefOr<Schema> {
        schema(json!({
            "type": ["array", "null"],
            "items": {"type": "string", "pattern": SLUG},
            "description": "Organisations, by slug; null or absent to leave them as they are.",
        }))
    }

    /// The builder's choices a dashboard is made from: at least one, each a
    /// key of [`crate::catalogue::CHOICES`].
    pub fn kpi_choices() -> RefOr<Schema> {
        let keys: Vec<&str> = crate::catalogue::CHOICES.iter().map(|c| c.key).collect();
        schema(json!({
            "type": "array",
            "minItems": 1,
            "items": {"type": "string", "enum": keys},
        }))
    }

    /// A JSON Schema (an object, or `true` / `false`), or null for none.
    pub fn json_schema() -> RefOr<Schema> {
        schema(json!({
            "type": ["object", "boolean", "null"],
            "description": "A JSON Schema every record must satisfy, if set.",
        }))
    }

    /// A key's scopes: at least one, each one of the scopes there are.
    pub fn key_scopes() -> RefOr<Schema> {
        schema(json!({
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "string",
                "pattern": "^(read:unpublished|dashboards:write|annotations:write|admin|data-set:[\\s\\S]+:write)$",
            },
        }))
    }

    /// An email address as Pulse takes one (`domain::users::normalise_email`):
    /// RFC 5321's dot-atom in ASCII (letters, digits and RFC 5322's other
    /// atext characters, in runs joined by single dots), @, a domain of
    /// names of letters, digits and hyphens (not at either end, 63 at most)
    /// joined by dots; no white space but around it (Unicode's white space,
    /// which the pattern language's `\s` is not quite: it lacks U+0085 and
    /// has U+FEFF), at most 254 characters.
    pub const EMAIL: &str = "^[\\t\\n\\x0b\\x0c\\r \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]*[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*@([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\\.)+[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?[\\t\\n\\x0b\\x0c\\r \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]*$";

    /// An email address, as [`EMAIL`] says.
    pub fn email_address() -> RefOr<Schema> {
        schema(json!({
            "type": "string",
            "pattern": EMAIL,
            "maxLength": 254,
            "description": "An email address (like name@example.gov.uk; at most 254 characters).",
        }))
    }

    /// Slugs of organisations, as a person's.
    pub fn organisation_slugs() -> RefOr<Schema> {
        schema(json!({
            "type": "array",
            "items": {"type": "string", "pattern": SLUG},
            "description": "Organisations, by slug.",
        }))
    }

    /// A dashboard's links: each a title and a web address (a [`super::Link`]
    /// elsewhere may be a path inside Pulse).
    pub fn dashboard_links() -> RefOr<Schema> {
        schema(json!({
            "type": "array",
            "items": {
                "type": "object",
                "required": ["title", "url"],
                "additionalProperties": false,
                "properties": {
                    "title": {"type": "string"},
                    "url": {"type": "string", "pattern": "^https?://", "description": "A web address (http:// or https://)."},
                },
            },
        }))
    }

    /// A note's tags: at most 10, each letters, digits, spaces and dashes.
    pub fn tags() -> RefOr<Schema> {
        schema(json!({
            "type": "array",
            "maxItems": 10,
            "items": {"type": "string", "pattern": "^([^\\W_]| |-){1,40}$"},
        }))
    }

    /// An organisation: a department (without a parent) or an agency (with
    /// its department's slug as parent).
    pub fn organisation() -> RefOr<Schema> {
        let shape = |kind: &str, parent: Value, required: &[&str]| {
            json!({
                "type": "object",
                "title": kind,
                "required": required,
                "additionalProperties": false,
                "properties": {
                    "slug": {"type": "string", "pattern": SLUG, "description": "Lower-case letters, digits and dashes."},
                    "title": {"type": "string", "pattern": NOT_BLANK},
                    "abbreviation": {"type": ["string", "null"], "pattern": NOT_BLANK, "maxLength": 20,
                        "description": "Short form such as \"DCS\" (at most 20 characters); absent or null for none."},
                    "kind": {"type": "string", "enum": [kind]},
                    "parent": parent,
                },
            })
        };
        schema(json!({
            "description": "An organisation as `/api/v1/organisations` reads and writes it: a department, or an agency with its department as `parent`.",
            "oneOf": [
                shape("department", json!({"type": "null", "description": "A department has none."}), &["slug", "title", "kind"]),
                shape("agency", json!({"type": "string", "pattern": SLUG, "description": "The agency's department, by slug."}), &["slug", "title", "kind", "parent"]),
            ],
        }))
    }

    /// A module: a section (no data set; its modules inside) or a chart of
    /// one data set (`group/type`) through a stored query, with no modules.
    pub fn module() -> RefOr<Schema> {
        let shape = |types: Value, data_set: Value, modules: Value, required: &[&str]| {
            json!({
                "type": "object",
                "required": required,
                "additionalProperties": false,
                "properties": {
                    "type": types,
                    "slug": {"type": "string", "pattern": SLUG, "description": "Unique within the dashboard."},
                    "title": {"type": "string", "pattern": NOT_BLANK},
                    "description": {"type": "string"},
                    "info": {"type": "string", "description": "\"About the data\": where the figures come from and what they mean."},
                    "data_set": data_set,
                    "query": {"type": "string", "description": "The read API query string, e.g. `period=week&group_by=channel&collect=count:sum`."},
                    "options": {"type": "object", "description": "Options of the module type (e.g. `{\"format\": \"pounds\"}`, `{\"stacked\": true}`)."},
                    "modules": modules,
                },
            })
        };
        let charts: Vec<&str> = super::MODULE_TYPES
            .iter()
            .copied()
            .filter(|t| *t != "section")
            .collect();
        schema(json!({
            "description": "One module of a dashboard: a view of one data set through a stored query, or a section heading over child modules.",
            "oneOf": [
                shape(json!({"type": "string", "enum": ["section"]}),
                      json!({"type": "null", "description": "A section reads no data set."}),
                      json!({"type": "array", "items": {"$ref": "#/components/schemas/Module"}, "description": "The section's modules."}),
                      &["type", "slug", "title"]),
                shape(json!({"type": "string", "enum": charts}),
                      json!({"type": "string", "pattern": "^[^/]+/[\\s\\S]+$", "description": "The data set read, as `group/type`."}),
                      // `items` makes it an array schema (which keeps `maxItems`).
                      json!({"type": "array", "items": false, "maxItems": 0, "description": "Only a section holds modules: empty or absent."}),
                      &["type", "slug", "title", "data_set"]),
            ],
        }))
    }
}

#[cfg(feature = "ssr")]
impl utoipa::PartialSchema for Organisation {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        schemas::organisation()
    }
}

#[cfg(feature = "ssr")]
impl utoipa::ToSchema for Organisation {}

#[cfg(feature = "ssr")]
impl utoipa::PartialSchema for Module {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        schemas::module()
    }
}

#[cfg(feature = "ssr")]
impl utoipa::ToSchema for Module {}

/// The kinds of dashboard (`Dashboard::dashboard_type`).
pub const DASHBOARD_TYPES: [&str; 7] = [
    "transaction",
    "high-volume-transaction",
    "service-group",
    "agency",
    "department",
    "content",
    "other",
];

/// Who a service is for (`Dashboard::customer_type`).
pub const CUSTOMER_TYPES: [&str; 4] = [
    "Business",
    "Individuals",
    "Business and individuals",
    "Charity",
];

/// Who pays for a service (`Dashboard::business_model`).
pub const BUSINESS_MODELS: [&str; 4] = [
    "Department budget",
    "Fees and charges",
    "Taxpayers",
    "Fees and charges, and taxpayers",
];

/// Every module type's name on the wire.
pub const MODULE_TYPES: [&str; 11] = [
    "kpi",
    "single_timeseries",
    "grouped_timeseries",
    "completion_rate",
    "user_satisfaction_graph",
    "bar_chart_with_number",
    "journey",
    "table",
    "realtime",
    "list",
    "section",
];

// The answers of `/api/v1` that wrap a list or confirm a change: each declared
// once, used by the handler that answers it and by `app::api`.

/// `GET /api/v1/live/{group}/{data_type}`: the version of a data set's
/// records, which moves on with every change to them (the stream of the same
/// address sends it as each change happens).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct LiveVersion {
    /// `group/type`.
    pub data_set: String,
    pub version: i64,
}

/// `GET /_status/data-sets`: whether any watched data set is out of date
/// (Backdrop's answer, field names and all).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct DataSetsStatus {
    /// `ok`, or `not okay` when a data set is out of date.
    pub status: String,
    pub message: String,
    /// The data sets out of date; null when none is.
    pub data_sets: Option<Vec<StaleDataSet>>,
}

/// A data set whose newest record is older than its expected age.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "kebab-case")]
pub struct StaleDataSet {
    pub name: String,
    /// The newest record's `_timestamp`.
    pub last_updated: String,
    /// Seconds.
    pub max_age_expected: i64,
    pub seconds_out_of_date: i64,
}

/// Whether an instance can serve (`GET /_status/ready`): each check's result,
/// `ok` or why it failed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Readiness {
    /// `ok` or `not ready`.
    pub status: String,
    /// The database answers.
    pub database: String,
    /// The database holds every migration of this build.
    pub migrations: String,
    /// The database takes a write.
    pub writes: String,
}

/// A change done, in words: `{"status": "ok", "message": "…"}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Done {
    /// Always `ok`.
    pub status: String,
    pub message: String,
}

impl Done {
    pub fn ok(message: impl Into<String>) -> Done {
        Done {
            status: "ok".into(),
            message: message.into(),
        }
    }
}

/// A portfolio deleted: its id.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct DeletedPortfolio {
    pub deleted: String,
}

/// A service that does not exist yet, made with its dashboard.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewServiceDetails {
    /// Not blank.
    #[cfg_attr(
        feature = "ssr",
        schema(
            pattern = "[^\\t\\n\\x0b\\x0c\\r \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]"
        )
    )]
    pub title: String,
    #[serde(default)]
    pub description: String,
    /// The department or agency that runs it, by slug.
    #[cfg_attr(feature = "ssr", schema(pattern = "^[a-z0-9-]{1,100}$"))]
    pub organisation: String,
}

/// What `POST /api/v1/services/{slug}/dashboard` takes: the KPIs a service's
/// first dashboard shows; the service too when it is new.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ServiceDashboardRequest {
    /// The builder's choices: `transactions`, `digital_take_up`,
    /// `cost_per_transaction`, `user_satisfaction`, `completion_rate`,
    /// `journey` (at least one).
    #[cfg_attr(feature = "ssr", schema(schema_with = schemas::kpi_choices))]
    pub kpis: Vec<String>,
    /// The dashboard's address: the service's slug when left out (lower-case
    /// letters, digits and dashes, and not one of Pulse's own first path
    /// segments).
    #[serde(default)]
    #[cfg_attr(
        feature = "ssr",
        schema(
            pattern = "^(?!(boards|build|data-sets|guide|admin|api|compare|data|dashboards|guidance|pkg|services|settings|sign-in|sign-out|summary|vendor|upload|metrics|invitations|invitation|forgot-password|reset-password|unsubscribe)$)[a-z0-9-]{1,100}$"
        )
    )]
    pub dashboard: Option<String>,
    /// Given when the service does not exist yet: it is made too.
    #[serde(default)]
    pub new_service: Option<NewServiceDetails>,
}

/// A write token made for a data set, shown once.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct WriteToken {
    /// `group/type`.
    pub data_set: String,
    pub bearer_token: String,
}

/// What `POST /api/v1/services/{slug}/dashboard` made, in one change: the
/// dashboard (unpublished), the data sets it reads that were made (with their
/// write tokens, shown only this once) and those that existed already.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ServiceDashboard {
    pub dashboard: Dashboard,
    pub created_service: bool,
    pub tokens: Vec<WriteToken>,
    /// `group/type` of each data set that existed already and is used as it is.
    pub existing: Vec<String>,
}

/// What publishing a dashboard did (`POST /api/v1/dashboards/{slug}/publish`):
/// the dashboard as now stored, and the data sets its modules read that were
/// published with it (by name, `group/type`), so that everyone can read its
/// figures.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct PublishedDashboard {
    pub dashboard: Dashboard,
    pub published_data_sets: Vec<String>,
}

/// A target deleted: its id.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct DeletedTarget {
    pub deleted: i64,
}

/// Every version of a note, oldest first.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct AnnotationVersions {
    pub versions: Vec<AnnotationVersion>,
}

/// The caller's portfolios.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct PortfolioList {
    pub portfolios: Vec<crate::boards::Portfolio>,
}

/// The dashboards the caller may see.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct DashboardList {
    pub dashboards: Vec<Dashboard>,
}

/// How recent the data of each data set a dashboard reads is.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct FreshnessList {
    pub data_sets: Vec<Freshness>,
}

/// A data set's new write token (shown once).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct DataSetToken {
    pub name: String,
    pub bearer_token: String,
}

/// A data set's correction history, newest first.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct DataSetHistory {
    pub name: String,
    pub history: Vec<HistoryEntry>,
}

/// API keys, newest first.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct KeyList {
    pub keys: Vec<ApiKey>,
}

/// Every department and agency.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct OrganisationList {
    pub organisations: Vec<Organisation>,
}

/// Every user.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct UserList {
    pub users: Vec<User>,
}

/// The signed-in person's live sessions, newest first.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct SessionList {
    pub sessions: Vec<SessionInfo>,
}

/// Entries of the audit log, newest first.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct AuditLog {
    pub entries: Vec<AuditEntry>,
}

/// Where an invitation stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum InvitationStatus {
    /// Sent, and its link still works.
    Pending,
    /// The person set their password: they have an account.
    Accepted,
    /// Withdrawn by whoever sent it, or by an admin.
    Withdrawn,
    /// Not accepted within 7 days.
    Expired,
}

impl InvitationStatus {
    pub fn label(self) -> &'static str {
        match self {
            InvitationStatus::Pending => "Waiting",
            InvitationStatus::Accepted => "Accepted",
            InvitationStatus::Withdrawn => "Withdrawn",
            InvitationStatus::Expired => "Expired",
        }
    }
}

/// An invitation to Pulse (never with its token).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Invitation {
    pub id: i64,
    pub email: String,
    /// The name suggested by whoever invited them (they may change it).
    pub display_name: String,
    pub role: Role,
    /// The departments and agencies they will belong to, by slug.
    pub organisations: Vec<String>,
    /// The id of the user who sent it (null once that user is deleted).
    pub invited_by: Option<i64>,
    pub inviter_name: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub status: InvitationStatus,
}

/// What `POST /api/v1/invitations` takes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewInvitationRequest {
    #[cfg_attr(feature = "ssr", schema(schema_with = schemas::email_address))]
    pub email: String,
    /// A name to suggest (the person may change it); the part of the email
    /// before @ if left out. At most 100 characters.
    #[serde(default)]
    #[cfg_attr(feature = "ssr", schema(max_length = 100))]
    pub display_name: String,
    /// Editors may invite viewers and editors only.
    pub role: Role,
    /// Departments and agencies by slug; editors may name only their own,
    /// and at least one.
    #[serde(default)]
    #[cfg_attr(feature = "ssr", schema(schema_with = schemas::organisation_slugs))]
    pub organisations: Vec<String>,
}

/// What `POST /api/v1/invitations` answers: the invitation, and (only when
/// e-mail is off) the link to pass on by other means.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct InvitationSent {
    pub invitation: Invitation,
    /// Whether an e-mail is on its way to the person.
    pub emailed: bool,
    /// The link that lets them set their password: present only when
    /// e-mail is off, to send them some other safe way.
    pub link: Option<String>,
}

/// The invitations an admin (all) or an editor (their own) can see.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct InvitationList {
    pub invitations: Vec<Invitation>,
}

/// What the holder of an invitation's link may know of it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct InvitationLookUp {
    pub email: String,
    pub display_name: String,
    pub role: Role,
    /// The organisations' names.
    pub organisations: Vec<String>,
    pub inviter_name: String,
    pub expires_at: DateTime<Utc>,
    /// Passwords must be at least this long.
    pub min_password: usize,
}

/// What `POST /api/v1/invitation` takes (or a form with these fields).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct AcceptInvitation {
    /// The token from the invitation's link.
    pub token: String,
    /// The name shown in Pulse (the one the invitation suggested if blank;
    /// at most 100 characters).
    #[cfg_attr(feature = "ssr", schema(max_length = 100))]
    pub display_name: String,
    /// 12 to 256 characters, not a common password.
    #[cfg_attr(feature = "ssr", schema(min_length = 12, max_length = 256))]
    pub password: String,
}

/// What `POST /api/v1/password-reset` takes (or a form with `email`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PasswordResetRequest {
    #[cfg_attr(feature = "ssr", schema(schema_with = schemas::email_address))]
    pub email: String,
}

/// What `POST /api/v1/password-reset/complete` takes (or a form).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PasswordResetCompletion {
    /// The token from the e-mail's link.
    pub token: String,
    /// 12 to 256 characters, not a common password.
    #[cfg_attr(feature = "ssr", schema(min_length = 12, max_length = 256))]
    pub password: String,
}

/// What the holder of a reset link may know of it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct PasswordResetLookUp {
    pub email: String,
    pub expires_at: DateTime<Utc>,
    pub min_password: usize,
}

/// A message Pulse sent or is sending, as admins see it (without its text).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct MailMessage {
    pub id: i64,
    /// `invitation`, `password-reset`, …
    pub kind: String,
    pub to: String,
    pub subject: String,
    pub created_at: DateTime<Utc>,
    pub attempts: i64,
    pub sent_at: Option<DateTime<Utc>>,
    /// When Pulse gave up (after 8 attempts over about a day).
    pub failed_at: Option<DateTime<Utc>>,
    pub last_error: String,
}

/// Whether Pulse sends e-mail, and the latest messages (admins).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct MailStatus {
    /// False when no instance on the database has an SMTP server: messages
    /// go to the log.
    pub enabled: bool,
    /// True when this instance has no SMTP server of its own and another
    /// on its database sends the mail.
    #[serde(default)]
    pub elsewhere: bool,
    /// The sender's address.
    pub from: String,
    pub messages: Vec<MailMessage>,
}

/// A watched data set's reminders of late data, as admins see them
/// (`GET /api/v1/reminders`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct LateDataReminders {
    /// `group/type`.
    pub data_set: String,
    pub data_group: String,
    pub data_type: String,
    /// The service of the data set's group, if there is one.
    pub service_title: Option<String>,
    /// Seconds after the newest record before the data is late.
    pub max_age_expected: i64,
    /// The `_timestamp` of its newest record (`None` while it holds none).
    pub newest_record: Option<DateTime<Utc>>,
    /// Whether it is late now.
    pub late: bool,
    /// When Pulse found it late (`None` while in date).
    pub late_since: Option<DateTime<Utc>>,
    /// Reminders sent since it was found late: 0, 1 or 2.
    pub reminders_sent: i64,
    pub last_reminded_at: Option<DateTime<Utc>>,
    /// When it was last found in date again after being late.
    pub received_at: Option<DateTime<Utc>>,
    /// Whether an admin paused its reminders.
    pub paused: bool,
    pub paused_at: Option<DateTime<Utc>>,
    pub paused_by: String,
    /// Who is reminded: the editors of its service (its admins when it has none),
    /// without the addresses that stopped e-mail.
    pub recipients: Vec<String>,
}

/// The answer of `GET /api/v1/reminders`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ReminderList {
    /// Whether Pulse sends e-mail (otherwise reminders are written to the log).
    pub mail_enabled: bool,
    pub data_sets: Vec<LateDataReminders>,
}

/// What `PUT /api/v1/reminders/{group}/{data_type}` takes.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ReminderChange {
    /// True to send no reminders about the data set until resumed.
    pub paused: bool,
}

/// A person's two-factor sign-in (`GET /api/v1/two-factor`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct TwoFactorStatus {
    pub enabled: bool,
    /// Unused recovery codes (0 while it is off).
    pub recovery_codes_left: i64,
    /// Whether admins require two factors of admins and editors.
    pub required: bool,
    /// Whether that requirement is of this person (an admin or editor).
    pub required_of_you: bool,
}

/// A secret being set up (`POST /api/v1/two-factor/setup`): for an
/// authentication app, as a QR code or typed.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct TwoFactorSetup {
    /// Base32, as apps take it typed.
    pub secret: String,
    /// The `otpauth://totp/…` link the QR code holds.
    pub otpauth_uri: String,
    /// The QR code, an SVG image drawn by Pulse.
    pub qr_svg: String,
}

/// A code from an authentication app (or, signing in, a recovery code).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct TwoFactorCode {
    #[cfg_attr(feature = "ssr", schema(max_length = 100))]
    pub code: String,
}

/// What `POST /api/v1/two-factor` takes to turn two factors on: the code the
/// app set up shows now, and the person's password (a session alone, perhaps
/// someone else's, cannot tie the account to another phone).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct TwoFactorConfirm {
    #[cfg_attr(feature = "ssr", schema(max_length = 100))]
    pub code: String,
    #[cfg_attr(feature = "ssr", schema(max_length = 1000))]
    pub password: String,
}

/// The recovery codes made when two factors are turned on, shown once.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct RecoveryCodes {
    pub recovery_codes: Vec<String>,
}

/// What `POST /api/v1/two-factor/off` takes: the person's password.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct TwoFactorOff {
    #[cfg_attr(feature = "ssr", schema(max_length = 1000))]
    pub password: String,
}

/// What `PUT /api/v1/two-factor/requirement` takes (admins).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct TwoFactorRequirement {
    /// True to require two factors of admins and editors.
    pub required: bool,
}

/// What an alert watches a service's KPI for (`POST /api/v1/alerts`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum AlertRule {
    /// The figure is worse than a target: the alert's `threshold` when it has
    /// one, else the service's own target for the KPI (set on its board) in
    /// force at the period's end. Worse is lower, or higher for cost.
    MissesTarget,
    /// The figure moves more than `threshold` percent, up or down, against
    /// the complete period before.
    ChangesByPercent,
    /// A rate (digital take-up, satisfaction, completion) moves more than
    /// `threshold` percentage points, up or down, against the complete
    /// period before.
    ChangesByPoints,
    /// The figure is unusual for its series (as dashboards mark it).
    Unusual,
}

impl AlertRule {
    pub const ALL: [AlertRule; 4] = [
        AlertRule::MissesTarget,
        AlertRule::ChangesByPercent,
        AlertRule::ChangesByPoints,
        AlertRule::Unusual,
    ];

    /// As the API and the database name it.
    pub fn key(self) -> &'static str {
        match self {
            AlertRule::MissesTarget => "misses_target",
            AlertRule::ChangesByPercent => "changes_by_percent",
            AlertRule::ChangesByPoints => "changes_by_points",
            AlertRule::Unusual => "unusual",
        }
    }

    pub fn from_key(key: &str) -> Option<AlertRule> {
        AlertRule::ALL.into_iter().find(|r| r.key() == key)
    }

    /// What the rule says of `kpi`, in words: "Digital take-up falls below
    /// 80%", "Cost per transaction moves more than 10% against the period
    /// before". `threshold` is in the KPI's unit for a target, else percent
    /// or points.
    pub fn describe(self, kpi: KpiKind, threshold: Option<f64>) -> String {
        let what = kpi.title();
        // "Transactions fall", "Digital take-up falls".
        let s = if kpi == KpiKind::Transactions {
            ""
        } else {
            "s"
        };
        match self {
            AlertRule::MissesTarget => {
                let way = if kpi.higher_is_better() {
                    format!("fall{s} below")
                } else {
                    format!("rise{s} above")
                };
                match threshold {
                    Some(t) => format!(
                        "{what} {way} {}",
                        crate::kpi::format_value_in_full(t, kpi.unit())
                    ),
                    None => format!("{what} {way} the service's target"),
                }
            }
            AlertRule::ChangesByPercent => format!(
                "{what} move{s} more than {}% against the period before",
                threshold_words(threshold)
            ),
            AlertRule::ChangesByPoints => format!(
                "{what} move{s} more than {} percentage points against the period before",
                threshold_words(threshold)
            ),
            AlertRule::Unusual if s.is_empty() => format!("{what} are unusual"),
            AlertRule::Unusual => format!("{what} is unusual"),
        }
    }
}

/// A threshold as typed: no trailing zeros.
fn threshold_words(threshold: Option<f64>) -> String {
    let t = threshold.unwrap_or_default();
    let s = format!("{t:.2}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// What `POST /api/v1/alerts` takes: tell me when this service's KPI does
/// this.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewAlert {
    /// The service, by slug.
    #[cfg_attr(feature = "ssr", schema(min_length = 1, max_length = 200))]
    pub service: String,
    pub kpi: KpiKind,
    pub rule: AlertRule,
    /// `misses_target`: the target in the KPI's unit (a count of
    /// transactions a year, pounds, or a fraction from 0 to 1), or none for
    /// the service's own target; `changes_by_percent`: percent (more than 0,
    /// at most 1,000); `changes_by_points`: percentage points (more than 0,
    /// at most 100); `unusual`: none.
    #[serde(default)]
    pub threshold: Option<f64>,
}

/// One of a person's alerts.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Alert {
    pub id: i64,
    /// The service's slug.
    pub service: String,
    pub service_title: String,
    pub kpi: KpiKind,
    pub rule: AlertRule,
    pub threshold: Option<f64>,
    /// The rule in words ([`AlertRule::describe`]).
    pub description: String,
    pub created_at: DateTime<Utc>,
    /// The start of the newest complete period judged so far.
    pub checked_through: Option<DateTime<Utc>>,
    /// How many times it has been sent.
    pub sent: i64,
    pub last_sent_at: Option<DateTime<Utc>>,
}

/// The answer of `GET /api/v1/alerts`: the signed-in person's alerts, and
/// whether e-mail reaches them.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct AlertList {
    /// Whether Pulse sends e-mail (otherwise alerts are written to its log).
    pub mail_enabled: bool,
    /// The address alerts go to.
    pub email: String,
    /// False once the person has stopped e-mail from Pulse (then no alert
    /// is sent until they start it again: `PUT /api/v1/e-mail`).
    pub receiving: bool,
    pub alerts: Vec<Alert>,
}

/// What `POST /api/v1/digests` takes: the board to get by e-mail each week.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewDigest {
    /// An organisation's slug (a department's or an agency's board), or
    /// `portfolio/` and a portfolio's id.
    pub board: String,
}

/// A weekly digest: a board a person gets by e-mail each week.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Digest {
    pub id: i64,
    /// As asked for: an organisation's slug, or `portfolio/{id}`.
    pub board: String,
    /// The board's title.
    pub title: String,
    /// The board's page (none if the board no longer exists).
    pub url: Option<String>,
    pub created_at: DateTime<Utc>,
    /// How many digests were sent.
    pub sent: i64,
    pub last_sent_at: Option<DateTime<Utc>>,
    /// When the next is due.
    pub next_at: DateTime<Utc>,
}

/// The answer of `GET /api/v1/digests`: the signed-in person's weekly
/// digests, when they are sent, and whether e-mail reaches them.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct DigestList {
    pub digests: Vec<Digest>,
    /// When digests are sent, in words ("Mondays at 07:00 (UK time)").
    pub schedule: String,
    /// Whether Pulse sends e-mail (otherwise digests are written to its log).
    pub mail_enabled: bool,
    /// False once the person has stopped e-mail from Pulse.
    pub receiving: bool,
}

/// The answer of `POST /api/v1/digests/{id}/copy`: where the copy went.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct DigestCopy {
    pub to: String,
}

/// What `PUT /api/v1/e-mail` takes: whether Pulse may e-mail the signed-in
/// person (invitations, reminders and alerts; password resets they ask for
/// are always sent).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct EmailChoice {
    pub receive: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_channel_gap_inside_its_run_leaves_no_total_but_a_start_or_end_does() {
        use chrono::TimeZone;
        let periods = crate::kpi::periods_between(
            PeriodKind::Week,
            chrono::Utc.with_ymd_and_hms(2026, 3, 2, 0, 0, 0).unwrap(),
            chrono::Utc.with_ymd_and_hms(2026, 4, 6, 0, 0, 0).unwrap(),
        );
        let line = |values: Vec<Option<f64>>| ChannelLine {
            channel: "c".into(),
            label: "C".into(),
            values,
        };
        let series = ChannelSeries {
            periods,
            channels: vec![
                line(vec![Some(1.0), Some(1.0), Some(1.0), Some(1.0), None]),
                // Phone missing in week 3: a gap inside its run.
                line(vec![Some(2.0), Some(2.0), None, Some(2.0), None]),
                // Kiosks began in week 2.
                line(vec![None, Some(4.0), Some(4.0), Some(4.0), None]),
            ],
            complete_until: None,
            gaps: Vec::new(),
        };
        assert_eq!(
            series.totals(),
            [Some(3.0), Some(7.0), None, Some(7.0), None]
        );
        // A gap the server knows of (a week missing inside a month, or
        // before the periods shown) leaves no total either.
        let mut series = series;
        series.gaps = vec![true, false, false, false, false];
        assert_eq!(series.totals(), [None, Some(7.0), None, Some(7.0), None]);
    }

    fn org(slug: &str, title: &str) -> OrgRef {
        OrgRef {
            slug: slug.into(),
            title: title.into(),
            abbreviation: None,
        }
    }

    fn service(slug: &str, department: OrgRef, agency: Option<OrgRef>) -> ServiceListing {
        ServiceListing {
            slug: slug.into(),
            title: slug.into(),
            department,
            agency,
        }
    }

    #[test]
    fn choices_are_each_organisation_once_by_title_with_agencies_departments() {
        let (home, tax) = (org("home", "Home Office"), org("tax", "Department of Tax"));
        let (passports, vat) = (org("passports", "Passports"), org("vat", "VAT Agency"));
        let services = [
            service("a", home.clone(), Some(passports.clone())),
            service("b", tax.clone(), Some(vat.clone())),
            service("c", home.clone(), Some(passports.clone())),
            service("d", tax.clone(), None),
        ];
        let choices = OrgChoices::of(&services);
        assert_eq!(choices.departments, vec![tax, home]);
        assert_eq!(choices.agencies, vec![passports, vat]);
        assert_eq!(
            choices.agency_departments,
            [("passports", "home"), ("vat", "tax")]
                .map(|(a, d)| (a.to_string(), d.to_string()))
                .into()
        );
        assert_eq!(OrgChoices::of(&[]), OrgChoices::default());
    }
}
