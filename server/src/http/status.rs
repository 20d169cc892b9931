//! Health: `GET /_status` (the app is up) and `GET /_status/data-sets` (which
//! data sets have not been updated within their expected age).

use axum::{extract::State, http::header, response::IntoResponse, Json};
use chrono::Utc;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::AppState;
use crate::domain::freshness;
use crate::error::Result;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(status))
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

/// Which data sets have not been updated within their expected age. Always 200:
/// the body says whether any watched data set is out of date.
#[utoipa::path(get, path = "/_status/data-sets", tag = "health",
    responses((status = 200, description = "`status` is `ok` or `not okay`, with the out-of-date data sets", body = app::model::DataSetsStatus)))]
async fn data_set_status(State(state): State<AppState>) -> Result<impl IntoResponse> {
    let body = freshness::data_sets_status(&state.store, Utc::now()).await?;
    Ok(([(header::CACHE_CONTROL, "no-cache")], Json(body)))
}
