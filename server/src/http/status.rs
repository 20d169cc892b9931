//! Health: `GET /_status` (the app is up), `GET /_status/ready` (this instance
//! can serve: for a load balancer) and `GET /_status/data-sets` (which data
//! sets have not been updated within their expected age).

use axum::{
    extract::State,
    http::{header, StatusCode},
    response::IntoResponse,
    Json,
};
use chrono::Utc;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::AppState;
use crate::domain::freshness;
use crate::error::Result;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(status))
        .routes(routes!(ready))
        .routes(routes!(data_set_status))
}

/// Whether the app is up.
#[utoipa::path(get, path = "/_status", tag = "health",
    responses((status = 200, description = "`{\"status\":\"ok\",\"message\":\"app is up\"}`", body = app::model::Done)))]
async fn status() -> impl IntoResponse {
    (
        [(header::CACHE_CONTROL, "no-cache")],
        Json(app::model::Done::ok("app is up")),
    )
}

/// Whether this instance can serve, for a load balancer's health check: the
/// database answers, holds this build's migrations and takes a write. 503 (and
/// which check failed) when not; it recovers by itself when the database does.
#[utoipa::path(get, path = "/_status/ready", tag = "health",
    responses(
        (status = 200, description = "Ready: `status` `ok` and each check's result", body = app::model::Readiness),
        (status = 503, description = "Not ready: `status` `not ready` and which check failed", body = app::model::Readiness)))]
async fn ready(State(state): State<AppState>) -> impl IntoResponse {
    let found = state.store.readiness().await;
    let word = |check: &std::result::Result<(), String>| match check {
        Ok(()) => "ok".to_string(),
        Err(why) => why.clone(),
    };
    let body = app::model::Readiness {
        status: if found.ready() { "ok" } else { "not ready" }.to_string(),
        database: word(&found.database),
        migrations: word(&found.migrations),
        writes: word(&found.writes),
    };
    let status = if found.ready() {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (status, [(header::CACHE_CONTROL, "no-cache")], Json(body))
}

/// Which data sets have not been updated within their expected age. Always 200:
/// the body says whether any watched data set is out of date.
#[utoipa::path(get, path = "/_status/data-sets", tag = "health",
    responses((status = 200, description = "`status` is `ok` or `not okay`, with the out-of-date data sets", body = app::model::DataSetsStatus)))]
async fn data_set_status(State(state): State<AppState>) -> Result<impl IntoResponse> {
    let body = freshness::data_sets_status(&state.store, &state.cache, Utc::now()).await?;
    Ok(([(header::CACHE_CONTROL, "no-cache")], Json(body)))
}
