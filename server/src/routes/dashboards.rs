//! `/api/v1/dashboards`: dashboards and their modules. Anyone reads published
//! ones; an admin key reads all and creates, replaces and deletes them.
//! (Accounts and roles arrive with their own issue; until then an admin key.)

use app::model::{Dashboard, DashboardStatus};
use axum::{
    extract::{Path, State},
    http::{header, HeaderMap, StatusCode},
    response::{IntoResponse, Response},
    Json,
};
use chrono::Utc;
use serde_json::json;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::data_sets::{admin, ApiJson};
use super::AppState;
use crate::error::{Error, Result};
use crate::overview::freshness_from;
use crate::store::{dashboards, data_sets, records};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(show, replace, remove))
        .routes(routes!(freshness))
}

/// Whether the caller presents an admin key (a key that is not one is refused).
async fn is_admin(state: &AppState, headers: &HeaderMap) -> Result<bool> {
    if headers.contains_key(header::AUTHORIZATION) {
        admin(state, headers).await?;
        return Ok(true);
    }
    Ok(false)
}

/// Published dashboards (all of them with an admin key).
#[utoipa::path(get, path = "/dashboards", tag = "dashboards",
    responses((status = 200, description = "`{\"dashboards\": [...]}`", body = serde_json::Value)))]
async fn list(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Json<serde_json::Value>> {
    let all = is_admin(&state, &headers).await?;
    Ok(Json(
        json!({ "dashboards": dashboards::list(&state.store, all).await? }),
    ))
}

/// One dashboard with its modules. An unpublished one is a 404 without an admin key.
#[utoipa::path(get, path = "/dashboards/{slug}", tag = "dashboards",
    params(("slug" = String, Path)),
    responses((status = 200, body = Dashboard), (status = 404, body = app::model::ErrorBody)))]
async fn show(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(slug): Path<String>,
) -> Result<Json<Dashboard>> {
    let all = is_admin(&state, &headers).await?;
    match dashboards::find(&state.store, &slug).await? {
        Some(d) if all || d.status == DashboardStatus::Published => Ok(Json(d)),
        _ => Err(Error::NotFound(format!("There is no dashboard {slug:?}."))),
    }
}

/// How recent the data of each data set a dashboard's modules read is: when
/// the newest record arrived, its date, and whether it is older than expected.
#[utoipa::path(get, path = "/dashboards/{slug}/freshness", tag = "dashboards",
    params(("slug" = String, Path)),
    responses((status = 200, description = "`{\"data_sets\": [Freshness]}`", body = serde_json::Value),
              (status = 404, body = app::model::ErrorBody)))]
async fn freshness(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(slug): Path<String>,
) -> Result<Json<serde_json::Value>> {
    let all = is_admin(&state, &headers).await?;
    let dashboard = match dashboards::find(&state.store, &slug).await? {
        Some(d) if all || d.status == DashboardStatus::Published => d,
        _ => return Err(Error::NotFound(format!("There is no dashboard {slug:?}."))),
    };
    let mut names: Vec<&str> = app::modules::data_modules(&dashboard.modules)
        .into_iter()
        .filter_map(|m| m.data_set.as_deref())
        .collect();
    names.sort_unstable();
    names.dedup();
    let now = Utc::now();
    let mut out = Vec::new();
    for name in names {
        let Some((group, data_type)) = name.split_once('/') else {
            continue;
        };
        let Some(ds) = data_sets::find(&state.store, group, data_type).await? else {
            continue;
        };
        let (newest, received) = records::newest(&state.store, ds.id).await?;
        out.push(freshness_from(
            group,
            data_type,
            ds.max_age_expected,
            newest,
            received,
            now,
        ));
    }
    Ok(Json(json!({ "data_sets": out })))
}

/// Creates a dashboard (admin key).
#[utoipa::path(post, path = "/dashboards", tag = "dashboards", security(("bearer" = [])),
    request_body = Dashboard,
    responses((status = 201, body = Dashboard), (status = 400, body = app::model::ErrorBody),
              (status = 409, body = app::model::ErrorBody)))]
async fn create(
    State(state): State<AppState>,
    headers: HeaderMap,
    ApiJson(d): ApiJson<Dashboard>,
) -> Result<Response> {
    admin(&state, &headers).await?;
    if dashboards::find(&state.store, &d.slug).await?.is_some() {
        return Err(Error::Conflict(format!(
            "The dashboard {:?} already exists.",
            d.slug
        )));
    }
    dashboards::validate(&state.store, &d).await?;
    dashboards::save(&state.store, &d, Utc::now()).await?;
    Ok((StatusCode::CREATED, Json(d)).into_response())
}

/// Replaces a dashboard and its modules (admin key).
#[utoipa::path(put, path = "/dashboards/{slug}", tag = "dashboards", security(("bearer" = [])),
    params(("slug" = String, Path)), request_body = Dashboard,
    responses((status = 200, body = Dashboard), (status = 400, body = app::model::ErrorBody),
              (status = 404, body = app::model::ErrorBody)))]
async fn replace(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(slug): Path<String>,
    ApiJson(d): ApiJson<Dashboard>,
) -> Result<Json<Dashboard>> {
    admin(&state, &headers).await?;
    if d.slug != slug {
        return Err(Error::BadRequest(format!(
            "the body's slug {:?} is not the address's {slug:?}",
            d.slug
        )));
    }
    if dashboards::find(&state.store, &slug).await?.is_none() {
        return Err(Error::NotFound(format!("There is no dashboard {slug:?}.")));
    }
    dashboards::validate(&state.store, &d).await?;
    dashboards::save(&state.store, &d, Utc::now()).await?;
    Ok(Json(d))
}

/// Deletes a dashboard (admin key).
#[utoipa::path(delete, path = "/dashboards/{slug}", tag = "dashboards", security(("bearer" = [])),
    params(("slug" = String, Path)),
    responses((status = 200, body = serde_json::Value), (status = 404, body = app::model::ErrorBody)))]
async fn remove(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(slug): Path<String>,
) -> Result<Json<serde_json::Value>> {
    admin(&state, &headers).await?;
    if !dashboards::delete(&state.store, &slug).await? {
        return Err(Error::NotFound(format!("There is no dashboard {slug:?}.")));
    }
    Ok(Json(
        json!({ "status": "ok", "message": format!("{slug} was deleted") }),
    ))
}
