//! `/api/v1`: everything but the Backdrop-compatible data API.
//!
//! - `GET /api/v1/services`: every service with its department and agency.
//! - `GET /api/v1/services/{slug}`: a service's weekly transactions by channel and
//!   the latest value of each KPI.

use app::model::{
    KpiKind, OrgChoices, PeriodKind, ServiceKpiList, ServiceKpis, ServiceList, ServiceOverview,
};
use app::modules::csv_line;
use axum::{
    extract::State,
    http::header,
    response::{IntoResponse, Response},
    Json,
};
use serde::Deserialize;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::extract::{Path, Query};
use super::AppState;
use crate::domain::caller::{readable_data_sets, Caller};
use crate::{
    domain::services,
    error::{Error, Result},
    store::orgs,
};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_services))
        .routes(routes!(service_overview))
        .routes(routes!(service_kpis))
        .merge(super::data_sets::router())
        .merge(super::dashboards::router())
        .merge(super::annotations::router())
        .merge(super::boards::router())
        .merge(super::orgs::router())
        .merge(super::session::router())
        .merge(super::keys::router())
        .merge(super::users::router())
        .merge(super::invitations::router())
        .merge(super::reminders::router())
        .merge(super::alerts::router())
        .merge(super::digests::router())
        .merge(super::live::router())
        .merge(super::two_factor::router())
        .merge(super::guide::router())
}

/// Every service with its department and agency.
#[utoipa::path(get, path = "/services", tag = "services",
    responses((status = 200, body = ServiceList)))]
async fn list_services(State(state): State<AppState>) -> Result<Json<ServiceList>> {
    let services = orgs::list_services(&state.store).await?;
    Ok(Json(ServiceList {
        services: services.to_vec(),
    }))
}

/// What a service's chart shows.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ChartParams {
    /// week (the default), month, quarter or year.
    #[param(pattern = "^(week|month|quarter|year)$")]
    pub period: Option<String>,
    /// The first month shown, as YYYY-MM, from 1900-01 to 2200-12; the chart
    /// shows at most 1,000 periods.
    #[param(pattern = "^(((19|20|21)[0-9]{2}|2200)-(0[1-9]|1[0-2]))?$")]
    pub from: Option<String>,
    /// The last month shown, as YYYY-MM, from 1900-01 to 2200-12 and not
    /// before `from`.
    #[param(pattern = "^(((19|20|21)[0-9]{2}|2200)-(0[1-9]|1[0-2]))?$")]
    pub to: Option<String>,
    /// `year` to add each period's total of a year earlier; absent or empty
    /// for none.
    #[param(pattern = "^(year)?$")]
    pub compare: Option<String>,
}

/// The first instant of a `YYYY-MM` month in the years the API answers for.
fn month(value: &str, name: &str) -> Result<chrono::DateTime<chrono::Utc>> {
    app::kpi::month_in_range(value, name).map_err(Error::BadRequest)
}

/// A service's transactions by channel (weekly unless asked otherwise, over the
/// months asked for) and the latest value of each KPI.
/// Figures come from published data sets, and from the unpublished ones of
/// the service's organisations for callers who may read unpublished data.
#[utoipa::path(get, path = "/services/{slug}", tag = "services", security((), ("bearer" = [])),
    params(("slug" = String, Path, description = "The service's slug"), ChartParams),
    responses((status = 200, body = ServiceOverview),
              (status = 400, description = "A bad period or month", body = app::model::ErrorBody),
              (status = 404, description = "No such service", body = app::model::ErrorBody),
              (status = 422, description = "`from` after `to`, or more periods than can be shown (1,000)", body = app::model::ErrorBody)))]
async fn service_overview(
    State(state): State<AppState>,
    caller: Caller,
    Path(slug): Path<String>,
    Query(params): Query<ChartParams>,
) -> Result<Json<ServiceOverview>> {
    let kind = PeriodKind::parse_for_charts(params.period.as_deref().unwrap_or("week"))
        .map_err(Error::BadRequest)?;
    let from = params
        .from
        .as_deref()
        .filter(|v| !v.is_empty())
        .map(|v| month(v, "from"))
        .transpose()?;
    let to = params
        .to
        .as_deref()
        .filter(|v| !v.is_empty())
        .map(|v| month(v, "to").map(|t| app::kpi::next_period_start(PeriodKind::Month, t)))
        .transpose()?;
    if let (Some(f), Some(t)) = (from, to) {
        if f >= t {
            // Each month is valid alone: the pair is refused as unprocessable
            // (422), as every rule between fields is.
            return Err(Error::Unprocessable("from must not be after to".into()));
        }
        let periods = app::kpi::period_count(kind, f, t);
        if periods > i64::from(app::kpi::MAX_PERIODS) {
            return Err(Error::Unprocessable(format!(
                "from {} to {} is {periods} {}s: at most {} can be shown - choose fewer months or a longer period",
                params.from.as_deref().unwrap_or_default(),
                params.to.as_deref().unwrap_or_default(),
                kind.as_str(),
                app::kpi::MAX_PERIODS
            )));
        }
    }
    // Periods start where they start: widen the window to whole periods,
    // and end it with the period under way (weeks to come hold nothing).
    let now = chrono::Utc::now();
    let from = from.map(|f| app::kpi::period_start(kind, f));
    let to = to.map(|t| {
        let start = app::kpi::period_start(kind, t);
        let end = if start == t {
            t
        } else {
            app::kpi::next_period_start(kind, start)
        };
        app::kpi::not_past_current_period(kind, from, end, now)
    });
    let compare_year = match params.compare.as_deref() {
        None | Some("") => false,
        Some("year") => true,
        Some(other) => {
            return Err(Error::BadRequest(format!(
                "compare must be year, not {other:?}"
            )))
        }
    };
    Ok(Json(
        services::overview(
            &state.store,
            &state.cache,
            &readable_data_sets(&state.store, &caller).await?,
            &slug,
            (kind, (from, to), compare_year),
            now,
        )
        .await?,
    ))
}

/// The filters and order of the services explorer.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ExplorerParams {
    /// Services whose title contains this (any case).
    pub name: Option<String>,
    /// A department's slug.
    pub department: Option<String>,
    /// An agency's slug.
    pub agency: Option<String>,
    /// service, department, transactions_per_year, cost_per_transaction,
    /// digital_take_up, user_satisfaction or completion_rate.
    #[param(
        pattern = "^(service|department|transactions_per_year|cost_per_transaction|digital_take_up|user_satisfaction|completion_rate)$"
    )]
    pub sort: Option<String>,
    /// asc or desc.
    #[param(pattern = "^(asc|desc)$")]
    pub direction: Option<String>,
    /// `csv` for CSV.
    #[param(pattern = "^(json|csv)$")]
    pub format: Option<String>,
    /// How many services a page holds (1 to 1000); every service on one page
    /// without it. CSV always holds every service the filters show.
    #[param(minimum = 1, maximum = 1000)]
    pub per_page: Option<u32>,
    /// Which page (from 1). A page past the last holds no services (without
    /// `per_page`, every service is on page 1).
    #[param(minimum = 1, maximum = 1000000)]
    pub page: Option<u32>,
}

/// The most services one page of the explorer holds.
pub const MOST_PER_PAGE: u32 = 1000;

/// The columns a list can be sorted by.
pub const SORTS: [&str; 7] = [
    "service",
    "department",
    "transactions_per_year",
    "cost_per_transaction",
    "digital_take_up",
    "user_satisfaction",
    "completion_rate",
];

fn figure(s: &ServiceKpis, column: &str) -> Option<f64> {
    match column {
        "transactions_per_year" => s.transactions_per_year,
        "cost_per_transaction" => s.cost_per_transaction,
        "digital_take_up" => s.digital_take_up,
        "user_satisfaction" => s.user_satisfaction,
        "completion_rate" => s.completion_rate,
        _ => None,
    }
}

/// Every service's headline figures (its transactions over its last year of
/// figures, the others of their latest complete period), filtered and sorted,
/// with totals and averages over what the filters show (of the services
/// whose figures are of the same time: `summary.current`; see the guide's
/// "How figures are calculated").
/// Figures come from published data sets, and from the unpublished ones of
/// the service's organisations for callers who may read unpublished data.
#[utoipa::path(get, path = "/service-kpis", tag = "services", security((), ("bearer" = [])),
    params(ExplorerParams),
    responses((status = 200, description = "JSON, or CSV with format=csv",
               content((ServiceKpiList = "application/json"), (String = "text/csv"))),
              (status = 400, description = "An unknown filter, sort or direction", body = app::model::ErrorBody)))]
async fn service_kpis(
    State(state): State<AppState>,
    caller: Caller,
    Query(params): Query<ExplorerParams>,
) -> Result<Response> {
    let sort = params.sort.as_deref().unwrap_or("service");
    if !SORTS.contains(&sort) {
        return Err(Error::BadRequest(format!(
            "sort must be one of {}",
            SORTS.join(", ")
        )));
    }
    let descending = match params.direction.as_deref() {
        None | Some("asc") => false,
        Some("desc") => true,
        Some(_) => return Err(Error::BadRequest("direction must be asc or desc".into())),
    };
    if params
        .per_page
        .is_some_and(|n| !(1..=MOST_PER_PAGE).contains(&n))
    {
        return Err(Error::BadRequest(format!(
            "per_page must be from 1 to {MOST_PER_PAGE}"
        )));
    }
    if params.page.is_some_and(|n| !(1..=1_000_000).contains(&n)) {
        return Err(Error::BadRequest("page must be from 1 to 1000000".into()));
    }
    let readable = readable_data_sets(&state.store, &caller).await?;
    let all = services::headline_figures(&state.store, &state.cache, &readable, chrono::Utc::now())
        .await?;
    let OrgChoices {
        departments,
        agencies,
        agency_departments,
    } = OrgChoices::of(all.iter().map(|s| &s.service));
    let name = params.name.as_deref().unwrap_or("").trim().to_lowercase();
    let mut services: Vec<ServiceKpis> = all
        .into_iter()
        .filter(|s| name.is_empty() || s.service.title.to_lowercase().contains(&name))
        .filter(|s| {
            params
                .department
                .as_deref()
                .is_none_or(|d| d.is_empty() || s.service.department.slug == d)
        })
        .filter(|s| {
            params.agency.as_deref().is_none_or(|a| {
                a.is_empty() || s.service.agency.as_ref().is_some_and(|x| x.slug == a)
            })
        })
        .collect();
    // Summarised before they are sorted, so its sums do not depend on the
    // order asked for; a figure of another time than its newest year of
    // figures heads no ranking (as it is in no average).
    let summary = app::kpi::summarise(&services);
    let newest = summary.year_to;
    services.sort_by(|a, b| {
        let order = match sort {
            "service" => a.service.title.cmp(&b.service.title),
            "department" => (&a.service.department.title, &a.service.title)
                .cmp(&(&b.service.department.title, &b.service.title)),
            column => match (figure(a, column), figure(b, column)) {
                (Some(x), Some(y)) => {
                    // A rate of too few to rely on (2 of 2 satisfied: 100%),
                    // or a figure of another time (a 2021 score), goes after
                    // every figure relied on, whichever the direction, as it
                    // heads no ranking.
                    let few = |s: &ServiceKpis| match KpiKind::from_key(column) {
                        Some(kpi) => {
                            let base = s.figures.iter().find(|f| f.kpi == kpi).and_then(|f| f.base);
                            app::kpi::low_base_words(kpi, base).is_some()
                                || app::kpi::figure_is_stale(s, kpi, newest)
                        }
                        // A year of a service whose figures stopped.
                        None => app::kpi::has_stopped(s, newest),
                    };
                    match few(a).cmp(&few(b)) {
                        std::cmp::Ordering::Equal => x.total_cmp(&y),
                        unequal => return unequal,
                    }
                }
                // Services without the figure go last whichever the direction.
                (Some(_), None) => return std::cmp::Ordering::Less,
                (None, Some(_)) => return std::cmp::Ordering::Greater,
                (None, None) => std::cmp::Ordering::Equal,
            },
        };
        if descending {
            order.reverse()
        } else {
            order
        }
    });
    if params.format.as_deref() == Some("csv") {
        return Ok((
            [
                (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
                (
                    header::CONTENT_DISPOSITION,
                    "attachment; filename=services.csv",
                ),
            ],
            services_csv(&services, summary.year_to),
        )
            .into_response());
    }
    if let Some(format) = params.format.as_deref().filter(|f| *f != "json") {
        return Err(Error::BadRequest(format!(
            "format must be json or csv, not {format:?}"
        )));
    }
    // Without `per_page`, one page holds every service (a later page none).
    let (page, pages, services) = match params.per_page {
        None if params.page.unwrap_or(1) > 1 => (params.page.unwrap_or(1) as usize, 1, Vec::new()),
        None => (1, 1, services),
        Some(per_page) => {
            let per_page = per_page as usize;
            let page = params.page.unwrap_or(1) as usize;
            let pages = services.len().div_ceil(per_page).max(1);
            let shown = services
                .into_iter()
                .skip((page - 1).saturating_mul(per_page))
                .take(per_page)
                .collect();
            (page, pages, shown)
        }
    };
    Ok(Json(ServiceKpiList {
        services,
        summary,
        departments,
        agencies,
        agency_departments,
        page,
        pages,
    })
    .into_response())
}

/// `newest`: the newest year of transactions among them (`summary.year_to`).
fn services_csv(services: &[ServiceKpis], newest: Option<chrono::DateTime<chrono::Utc>>) -> String {
    let heading: Vec<String> = [
        "service",
        "department",
        "agency",
        "transactions_per_year",
        "cost_per_transaction",
        "digital_take_up",
        "digital_take_up_base",
        "user_satisfaction",
        "user_satisfaction_base",
        "completion_rate",
        "completion_rate_base",
        "year_first_day",
        "year_last_day",
        "figures_stopped",
    ]
    .into_iter()
    .map(String::from)
    .chain(latest_days_heading())
    .collect();
    let mut out = csv_line(heading.iter().map(String::as_str));
    let number = |v: Option<f64>| v.map(|v| v.to_string()).unwrap_or_default();
    for s in services {
        let [first_day, last_day] = days(app::kpi::figure_span(s, KpiKind::Transactions));
        // What a rate is out of: under 30, the pages say it is too few to rely on.
        let base =
            |kpi: KpiKind| number(s.figures.iter().find(|f| f.kpi == kpi).and_then(|f| f.base));
        let stopped = app::kpi::has_stopped(s, newest);
        let record: Vec<String> = service_cells(&s.service)
            .into_iter()
            .chain([
                number(s.transactions_per_year),
                number(s.cost_per_transaction),
                number(s.digital_take_up),
                base(KpiKind::DigitalTakeUp),
                number(s.user_satisfaction),
                base(KpiKind::UserSatisfaction),
                number(s.completion_rate),
                base(KpiKind::CompletionRate),
                first_day,
                last_day,
                if stopped { "yes" } else { "no" }.to_string(),
            ])
            .chain(
                LATEST
                    .iter()
                    .flat_map(|&kpi| days(app::kpi::figure_span(s, kpi))),
            )
            .collect();
        out.push_str(&csv_line(record.iter().map(String::as_str)));
    }
    out
}

/// A service's first cells in a CSV: its title, its department's and its
/// agency's (empty without one).
pub(super) fn service_cells(service: &app::model::ServiceListing) -> [String; 3] {
    [
        service.title.clone(),
        service.department.title.clone(),
        service
            .agency
            .as_ref()
            .map(|a| a.title.clone())
            .unwrap_or_default(),
    ]
}

/// The first and last days (both in it, `YYYY-MM-DD`) of the time a figure
/// is of ([`app::kpi::figure_span`]), for a CSV's `year_first_day` and
/// `year_last_day` (a year of transactions) or `…_first_day` and
/// `…_last_day` (a latest period); empty without the figure.
pub(super) fn days(
    span: Option<(chrono::DateTime<chrono::Utc>, chrono::DateTime<chrono::Utc>)>,
) -> [String; 2] {
    let day = |t: chrono::DateTime<chrono::Utc>| t.format("%Y-%m-%d").to_string();
    match span {
        Some((from, to)) => [day(from), day(to - chrono::Duration::days(1))],
        None => [String::new(), String::new()],
    }
}

/// The KPIs whose figure is of their latest complete period (the others' is
/// a year of transactions): CSVs end with the days of each.
pub(super) const LATEST: [KpiKind; 4] = [
    KpiKind::CostPerTransaction,
    KpiKind::DigitalTakeUp,
    KpiKind::UserSatisfaction,
    KpiKind::CompletionRate,
];

/// The headings of those days: `cost_per_transaction_first_day`, …
pub(super) fn latest_days_heading() -> impl Iterator<Item = String> {
    LATEST
        .iter()
        .flat_map(|kpi| ["first_day", "last_day"].map(|end| format!("{}_{end}", kpi.key())))
}
