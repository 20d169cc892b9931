//! Health: `GET /_status`.

use axum::{http::header, response::IntoResponse, routing::get, Json, Router};
use serde_json::json;

use super::AppState;

pub fn router() -> Router<AppState> {
    Router::new().route("/_status", get(status))
}

async fn status() -> impl IntoResponse {
    (
        [(header::CACHE_CONTROL, "no-cache")],
        Json(json!({ "status": "ok", "message": "app is up" })),
    )
}
