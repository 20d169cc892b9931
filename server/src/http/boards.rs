//! Summary boards, portfolios, targets and comparisons.
//!
//! - `GET /api/v1/boards/{organisation}` and `GET /api/v1/boards/portfolio/{id}`:
//!   a board (JSON, or CSV with `format=csv`). Anyone may read them: their
//!   figures are those the caller may read (published ones; unpublished ones
//!   too for those who may read unpublished data of the service's
//!   organisations: [`crate::domain::caller::readable_data_sets`]).
//! - `/api/v1/portfolios`: signed-in people save sets of services as
//!   portfolios; the owner (or an admin) changes or deletes one.
//! - `/api/v1/targets`: editors of a service's organisation set and delete its
//!   targets; anyone reads them.
//! - `GET /api/v1/compare`: up to six services side by side on one KPI.

use app::boards::{
    Board, Comparison, NewPortfolio, NewTarget, Portfolio, Target, TargetList, COMPARE_LIMIT, KPIS,
};
use app::model::{KpiKind, PeriodKind};
use app::modules::csv_line;
use axum::{
    extract::State,
    http::{header, StatusCode},
    response::{IntoResponse, Response},
    Json,
};
use serde::Deserialize;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::extract::{Path, Payload, Query};
use super::AppState;
use crate::domain::annotations;
use crate::domain::boards;
use crate::domain::caller::{Caller, Permission};
use crate::domain::portfolios;
use crate::error::{Error, Result};
use crate::store::targets;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(organisation_board))
        .routes(routes!(portfolio_board))
        .routes(routes!(list_portfolios, create_portfolio))
        .routes(routes!(show_portfolio, replace_portfolio, delete_portfolio))
        .routes(routes!(list_targets, set_target))
        .routes(routes!(delete_target))
        .routes(routes!(compare))
}

/// How a board is sent.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct BoardParams {
    /// `json` (the default) or `csv`.
    #[param(pattern = "^(json|csv)$")]
    pub format: Option<String>,
}

fn board_response(board: Board, format: Option<&str>, name: &str) -> Result<Response> {
    match format {
        None | Some("json") => Ok(Json(board).into_response()),
        Some("csv") => Ok((
            [
                (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
                (
                    header::CONTENT_DISPOSITION,
                    format!("attachment; filename=board-{name}.csv"),
                ),
            ],
            board_csv(&board),
        )
            .into_response()),
        Some(other) => Err(Error::BadRequest(format!(
            "format must be json or csv, not {other:?}"
        ))),
    }
}

/// One row per service: its organisations, then per KPI its value, target,
/// status, trend and base (what a rate is out of: under 30, it has no status),
/// then the days its year of transactions covers and whether its figures
/// stopped before the others' (then none is judged against a target), then
/// the days of each other KPI's figure (its latest complete period).
pub fn board_csv(board: &Board) -> String {
    let mut heading = vec![
        "service".to_string(),
        "department".to_string(),
        "agency".to_string(),
    ];
    for kpi in KPIS {
        for part in ["", "_target", "_status", "_trend", "_base"] {
            heading.push(format!("{}{part}", kpi.key()));
        }
    }
    heading.extend(["year_first_day", "year_last_day", "figures_stopped"].map(String::from));
    heading.extend(super::api_v1::latest_days_heading());
    let mut out = csv_line(heading.iter().map(String::as_str));
    let number = |v: Option<f64>| v.map(|v| v.to_string()).unwrap_or_default();
    let word = |v: Option<String>| v.unwrap_or_default();
    for row in &board.services {
        let mut record = super::api_v1::service_cells(&row.service).to_vec();
        for k in &row.kpis {
            record.push(number(k.value));
            record.push(number(k.target));
            record.push(word(k.status.map(|s| format!("{s:?}").to_lowercase())));
            record.push(word(k.trend.map(|t| format!("{t:?}").to_lowercase())));
            record.push(number(k.base));
        }
        let span = |kpi: KpiKind| {
            let k = row
                .kpis
                .iter()
                .find(|k| k.kpi == kpi && k.value.is_some())?;
            k.from.zip(k.to)
        };
        record.extend(super::api_v1::days(span(KpiKind::Transactions)));
        let stopped = app::kpi::year_stopped(row.year_to, board.summary.year_to);
        record.push(if stopped { "yes" } else { "no" }.to_string());
        record.extend(
            super::api_v1::LATEST
                .iter()
                .flat_map(|&kpi| super::api_v1::days(span(kpi))),
        );
        out.push_str(&csv_line(record.iter().map(String::as_str)));
    }
    out
}

/// The board of a department or agency: its services and its agencies' services.
#[utoipa::path(get, path = "/boards/{organisation}", tag = "boards", security((), ("bearer" = [])),
    params(("organisation" = String, Path), BoardParams),
    responses((status = 200, description = "JSON, or CSV with format=csv",
               content((Board = "application/json"), (String = "text/csv"))),
              (status = 404, body = app::model::ErrorBody)))]
async fn organisation_board(
    State(state): State<AppState>,
    // An API key that is sent must be valid, even for what anyone reads.
    caller: Caller,
    Path(org): Path<String>,
    Query(params): Query<BoardParams>,
) -> Result<Response> {
    let ctx = state.ctx(&caller);
    let board = boards::named(&ctx, &org).await?;
    board_response(board, params.format.as_deref(), &org)
}

/// A portfolio's board. Anyone with its link may read it.
#[utoipa::path(get, path = "/boards/portfolio/{id}", tag = "boards", security((), ("bearer" = [])),
    params(("id" = String, Path), BoardParams),
    responses((status = 200, description = "JSON, or CSV with format=csv",
               content((Board = "application/json"), (String = "text/csv"))),
              (status = 404, body = app::model::ErrorBody)))]
async fn portfolio_board(
    State(state): State<AppState>,
    // An API key that is sent must be valid, even for what anyone reads.
    caller: Caller,
    Path(id): Path<String>,
    Query(params): Query<BoardParams>,
) -> Result<Response> {
    let ctx = state.ctx(&caller);
    let board = boards::named(&ctx, &format!("portfolio/{id}")).await?;
    board_response(board, params.format.as_deref(), &id)
}

/// The caller's portfolios, newest first.
#[utoipa::path(get, path = "/portfolios", tag = "boards", security(("bearer" = [])),
    responses((status = 200, body = app::model::PortfolioList),
              (status = 401, body = app::model::ErrorBody)))]
async fn list_portfolios(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<app::model::PortfolioList>> {
    Ok(Json(app::model::PortfolioList {
        portfolios: portfolios::mine(&state.ctx(&caller)).await?,
    }))
}

/// Saves a set of services as a portfolio; its board is at
/// `/boards/portfolio/{id}`.
#[utoipa::path(post, path = "/portfolios", tag = "boards", security(("bearer" = [])),
    request_body = NewPortfolio,
    responses((status = 201, body = Portfolio), (status = 400, body = app::model::ErrorBody),
              (status = 404, description = "A service named does not exist", body = app::model::ErrorBody),
              (status = 401, body = app::model::ErrorBody)))]
async fn create_portfolio(
    State(state): State<AppState>,
    caller: Caller,
    body: Payload,
) -> Result<Response> {
    portfolios::may_save(&caller)?;
    let new: NewPortfolio = body.json()?;
    let saved = portfolios::create(&state.ctx(&caller), new).await?;
    Ok((StatusCode::CREATED, Json(saved)).into_response())
}

/// One portfolio.
#[utoipa::path(get, path = "/portfolios/{id}", tag = "boards", security((), ("bearer" = [])),
    params(("id" = String, Path)),
    responses((status = 200, body = Portfolio), (status = 404, body = app::model::ErrorBody)))]
async fn show_portfolio(
    State(state): State<AppState>,
    // An API key that is sent must be valid, even for what anyone reads.
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Portfolio>> {
    Ok(Json(
        portfolios::find(&state.ctx(&caller), &id).await?.portfolio,
    ))
}

/// Replaces a portfolio's title and services (its owner, or an admin).
#[utoipa::path(put, path = "/portfolios/{id}", tag = "boards", security(("bearer" = [])),
    params(("id" = String, Path)), request_body = NewPortfolio,
    responses((status = 200, body = Portfolio), (status = 400, body = app::model::ErrorBody),
              (status = 403, body = app::model::ErrorBody), (status = 404, body = app::model::ErrorBody)))]
async fn replace_portfolio(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    body: Payload,
) -> Result<Json<Portfolio>> {
    let ctx = state.ctx(&caller);
    portfolios::to_change(&ctx, &id).await?;
    let new: NewPortfolio = body.json()?;
    Ok(Json(portfolios::replace(&ctx, &id, new).await?))
}

/// Deletes a portfolio (its owner, or an admin).
#[utoipa::path(delete, path = "/portfolios/{id}", tag = "boards", security(("bearer" = [])),
    params(("id" = String, Path)),
    responses((status = 200, body = app::model::DeletedPortfolio), (status = 403, body = app::model::ErrorBody),
              (status = 404, body = app::model::ErrorBody)))]
async fn delete_portfolio(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<app::model::DeletedPortfolio>> {
    portfolios::remove(&state.ctx(&caller), &id).await?;
    Ok(Json(app::model::DeletedPortfolio { deleted: id }))
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct TargetParams {
    /// Only this service's targets.
    pub service: Option<String>,
}

/// Targets, by service, KPI and the date each takes effect.
#[utoipa::path(get, path = "/targets", tag = "boards", security((), ("bearer" = [])), params(TargetParams),
    responses((status = 200, body = TargetList)))]
async fn list_targets(
    State(state): State<AppState>,
    // An API key that is sent must be valid, even for what anyone reads.
    _caller: Caller,
    Query(params): Query<TargetParams>,
) -> Result<Json<TargetList>> {
    let targets = targets::list(&state.store, params.service.as_deref()).await?;
    Ok(Json(TargetList { targets }))
}

/// Sets a target for a service's KPI from a date (replacing one set for the
/// same KPI and date). Values are in the KPI's unit: transactions a year,
/// pounds, or a fraction from 0 to 1.
#[utoipa::path(post, path = "/targets", tag = "boards", security(("bearer" = [])),
    request_body = NewTarget,
    responses((status = 201, body = Target), (status = 400, body = app::model::ErrorBody),
              (status = 404, description = "The service does not exist", body = app::model::ErrorBody),
              (status = 401, body = app::model::ErrorBody), (status = 403, body = app::model::ErrorBody)))]
async fn set_target(
    State(state): State<AppState>,
    caller: Caller,
    body: Payload,
) -> Result<Response> {
    caller.require(Permission::ManageDashboards)?;
    let new: NewTarget = body.json()?;
    let target = portfolios::set_target(&state.ctx(&caller), new).await?;
    Ok((StatusCode::CREATED, Json(target)).into_response())
}

/// Deletes a target.
#[utoipa::path(delete, path = "/targets/{id}", tag = "boards", security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses((status = 200, body = app::model::DeletedTarget), (status = 403, body = app::model::ErrorBody),
              (status = 404, body = app::model::ErrorBody)))]
async fn delete_target(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> Result<Json<app::model::DeletedTarget>> {
    portfolios::delete_target(&state.ctx(&caller), id).await?;
    Ok(Json(app::model::DeletedTarget { deleted: id }))
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct CompareParams {
    /// Service slugs separated by commas: one to six, each once.
    #[param(
        required = true,
        pattern = "^[\\s,]*[a-z0-9-]{1,100}(\\s*,[\\s,]*[a-z0-9-]{1,100}){0,5}[\\s,]*$"
    )]
    pub services: Option<String>,
    /// transactions (the default), cost_per_transaction, digital_take_up,
    /// user_satisfaction or completion_rate.
    #[param(
        pattern = "^(transactions|cost_per_transaction|digital_take_up|user_satisfaction|completion_rate)$"
    )]
    pub kpi: Option<String>,
    /// week, month (the default), quarter or year; a KPI collected more
    /// coarsely (costs by quarter, satisfaction by month) uses its own.
    #[param(pattern = "^(week|month|quarter|year)$")]
    pub period: Option<String>,
}

/// Services side by side on one KPI over aligned periods, with each one's
/// latest value, changes, target line and notes.
#[utoipa::path(get, path = "/compare", tag = "boards", security((), ("bearer" = [])), params(CompareParams),
    responses((status = 200, body = Comparison), (status = 400, body = app::model::ErrorBody),
              (status = 404, description = "A service named does not exist", body = app::model::ErrorBody)))]
async fn compare(
    State(state): State<AppState>,
    caller: Caller,
    Query(params): Query<CompareParams>,
) -> Result<Json<Comparison>> {
    let slugs: Vec<String> = params
        .services
        .as_deref()
        .unwrap_or("")
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(String::from)
        .collect();
    if slugs.is_empty() {
        return Err(Error::BadRequest(
            "services must name at least one service, e.g. services=a,b".into(),
        ));
    }
    if slugs.len() > COMPARE_LIMIT {
        return Err(Error::BadRequest(format!(
            "services may name at most {COMPARE_LIMIT} services, not {}",
            slugs.len()
        )));
    }
    let kpi = match params.kpi.as_deref() {
        None | Some("") => KpiKind::Transactions,
        Some(k) => KpiKind::from_key(k).ok_or_else(|| {
            Error::BadRequest(format!(
                "kpi must be one of {}, not {k:?}",
                KPIS.map(KpiKind::key).join(", ")
            ))
        })?,
    };
    let period = match params.period.as_deref() {
        None | Some("") => PeriodKind::Month,
        Some(p) => PeriodKind::parse_for_charts(p).map_err(Error::BadRequest)?,
    };
    // Services that do not exist (404) before one named twice (400).
    let ctx = state.ctx(&caller);
    let services = portfolios::named_services(&ctx, &slugs).await?;
    for (i, s) in slugs.iter().enumerate() {
        if slugs[..i].contains(s) {
            return Err(Error::BadRequest(format!("services names {s:?} twice")));
        }
    }
    let comparison = boards::compare(&ctx, services, kpi, period, |n| {
        annotations::may_read(&caller, n)
    })
    .await?;
    Ok(Json(comparison))
}
