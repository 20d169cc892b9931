//! `/api/v1/dashboards`: dashboards and their modules. Anyone reads published
//! ones; signed-in people (and keys that may read unpublished data) read the
//! unpublished ones of their organisations; editors and admins (and keys that may
//! manage dashboards) create, replace and delete them, within their organisations.

use app::model::Dashboard;
use axum::{
    extract::State,
    http::StatusCode,
    response::{IntoResponse, Response},
    Json,
};
use utoipa_axum::{router::OpenApiRouter, routes};

use super::extract::{Path, Payload};
use super::AppState;
use crate::domain::caller::{Caller, Permission};
use crate::domain::dashboards;
use crate::error::Result;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(show, replace, remove))
        .routes(routes!(freshness))
        .routes(routes!(publish))
        .routes(routes!(service_dashboard))
}

/// Published dashboards, and the unpublished ones the caller may see.
#[utoipa::path(get, path = "/dashboards", tag = "dashboards", security((), ("bearer" = [])),
    responses((status = 200, body = app::model::DashboardList)))]
async fn list(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<app::model::DashboardList>> {
    Ok(Json(app::model::DashboardList {
        dashboards: dashboards::list(&state.ctx(&caller)).await?,
    }))
}

/// One dashboard with its modules. An unpublished one is a 404 to callers who
/// may not see it.
#[utoipa::path(get, path = "/dashboards/{slug}", tag = "dashboards", security((), ("bearer" = [])),
    params(("slug" = String, Path)),
    responses((status = 200, body = Dashboard), (status = 404, body = app::model::ErrorBody)))]
async fn show(
    State(state): State<AppState>,
    caller: Caller,
    Path(slug): Path<String>,
) -> Result<Json<Dashboard>> {
    Ok(Json(dashboards::show(&state.ctx(&caller), &slug).await?))
}

/// How recent the data of each data set a dashboard's modules read is: when
/// the newest record arrived, its date, and whether it is older than expected.
#[utoipa::path(get, path = "/dashboards/{slug}/freshness", tag = "dashboards", security((), ("bearer" = [])),
    params(("slug" = String, Path)),
    responses((status = 200, body = app::model::FreshnessList),
              (status = 404, body = app::model::ErrorBody)))]
async fn freshness(
    State(state): State<AppState>,
    caller: Caller,
    Path(slug): Path<String>,
) -> Result<Json<app::model::FreshnessList>> {
    Ok(Json(app::model::FreshnessList {
        data_sets: dashboards::freshness(&state.ctx(&caller), &slug).await?,
    }))
}

/// Creates a dashboard (an editor of its service's organisation, or an admin).
#[utoipa::path(post, path = "/dashboards", tag = "dashboards", security(("bearer" = [])),
    request_body = Dashboard,
    responses((status = 201, body = Dashboard), (status = 400, body = app::model::ErrorBody),
              (status = 404, description = "Its service, or a module's data set, does not exist", body = app::model::ErrorBody),
              (status = 409, description = "The slug is taken, or two modules have one slug", body = app::model::ErrorBody),
              (status = 422, description = "A module's query is one the read API refuses for its data set", body = app::model::ErrorBody)))]
async fn create(State(state): State<AppState>, caller: Caller, body: Payload) -> Result<Response> {
    caller.require(Permission::ManageDashboards)?;
    let d: Dashboard = body.json()?;
    let created = dashboards::create(&state.ctx(&caller), d).await?;
    Ok((StatusCode::CREATED, Json(created)).into_response())
}

/// Replaces a dashboard and its modules (an editor of its organisation, or an admin).
#[utoipa::path(put, path = "/dashboards/{slug}", tag = "dashboards", security(("bearer" = [])),
    params(("slug" = String, Path)), request_body = Dashboard,
    responses((status = 200, body = Dashboard),
              (status = 400, description = "The body is not valid", body = app::model::ErrorBody),
              (status = 404, description = "No such dashboard; or its service, or a module's data set, does not exist", body = app::model::ErrorBody),
              (status = 409, description = "Two modules have one slug", body = app::model::ErrorBody),
              (status = 422, description = "The body's slug is not the address's, or a module's query is one the read API refuses for its data set", body = app::model::ErrorBody)))]
async fn replace(
    State(state): State<AppState>,
    caller: Caller,
    Path(slug): Path<String>,
    body: Payload,
) -> Result<Json<Dashboard>> {
    caller.require(Permission::ManageDashboards)?;
    let d: Dashboard = body.json()?;
    Ok(Json(
        dashboards::replace(&state.ctx(&caller), &slug, d).await?,
    ))
}

/// Makes a service's dashboard from the KPIs it should show, in one change
/// (audited as one): the service too when it is new, a data set for each data
/// type the KPIs read (those that exist are used as they are; each new one
/// gets a write token, shown only this once), and the dashboard, unpublished,
/// with a module for each KPI. Either all of it is made or none of it.
#[utoipa::path(post, path = "/services/{slug}/dashboard", tag = "dashboards", security(("bearer" = [])),
    params(("slug" = String, Path, pattern = "^[a-z0-9-]{1,100}$", description = "The service's slug (the new service's, with `new_service`)")),
    request_body = app::model::ServiceDashboardRequest,
    responses((status = 201, body = app::model::ServiceDashboard), (status = 400, body = app::model::ErrorBody),
              (status = 401, body = app::model::ErrorBody), (status = 403, body = app::model::ErrorBody),
              (status = 404, description = "No such service (without `new_service`) or organisation", body = app::model::ErrorBody),
              (status = 409, description = "The service (with `new_service`) or the dashboard's address exists already", body = app::model::ErrorBody)))]
async fn service_dashboard(
    State(state): State<AppState>,
    caller: Caller,
    Path(slug): Path<String>,
    body: Payload,
) -> Result<Response> {
    caller.require(Permission::ManageDashboards)?;
    let wanted: app::model::ServiceDashboardRequest = body.json()?;
    let answer = dashboards::create_for_service(&state.ctx(&caller), &slug, wanted).await?;
    Ok((StatusCode::CREATED, Json(answer)).into_response())
}

/// Publishes a dashboard with the data sets its modules read, in one change
/// (audited as one): everyone can then read the dashboard and its figures. A
/// data set the caller may not publish (another organisation's) is refused
/// unless it is published already.
#[utoipa::path(post, path = "/dashboards/{slug}/publish", tag = "dashboards", security(("bearer" = [])),
    params(("slug" = String, Path)),
    responses((status = 200, body = app::model::PublishedDashboard), (status = 401, body = app::model::ErrorBody),
              (status = 403, body = app::model::ErrorBody), (status = 404, body = app::model::ErrorBody),
              (status = 422, body = app::model::ErrorBody)))]
async fn publish(
    State(state): State<AppState>,
    caller: Caller,
    Path(slug): Path<String>,
) -> Result<Json<app::model::PublishedDashboard>> {
    Ok(Json(dashboards::publish(&state.ctx(&caller), &slug).await?))
}

/// Deletes a dashboard (an editor of its organisation, or an admin).
#[utoipa::path(delete, path = "/dashboards/{slug}", tag = "dashboards", security(("bearer" = [])),
    params(("slug" = String, Path)),
    responses((status = 200, body = app::model::Done), (status = 404, body = app::model::ErrorBody)))]
async fn remove(
    State(state): State<AppState>,
    caller: Caller,
    Path(slug): Path<String>,
) -> Result<Json<app::model::Done>> {
    dashboards::remove(&state.ctx(&caller), &slug).await?;
    Ok(Json(app::model::Done::ok(format!("{slug} was deleted"))))
}
