//! Health: `GET /_status` (the app is up) and `GET /_status/data-sets` (which
//! data sets have not been updated within their expected age).

use axum::{extract::State, http::header, response::IntoResponse, Json};
use chrono::Utc;
use serde_json::{json, Value};
use utoipa_axum::{router::OpenApiRouter, routes};

use super::AppState;
use crate::domain::ingest::format_datetime;
use crate::error::Result;
use crate::store::{data_sets, records};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(status))
        .routes(routes!(data_set_status))
}

/// Whether the app is up.
#[utoipa::path(get, path = "/_status", tag = "health",
    responses((status = 200, description = "`{\"status\":\"ok\",\"message\":\"app is up\"}`", body = serde_json::Value)))]
async fn status() -> impl IntoResponse {
    (
        [(header::CACHE_CONTROL, "no-cache")],
        Json(json!({ "status": "ok", "message": "app is up" })),
    )
}

/// Which data sets have not been updated within their expected age. Always 200:
/// the body says whether any watched data set is out of date.
#[utoipa::path(get, path = "/_status/data-sets", tag = "health",
    responses((status = 200, description = "`status` is `ok` or `not okay`, with the out-of-date data sets", body = serde_json::Value)))]
async fn data_set_status(State(state): State<AppState>) -> Result<impl IntoResponse> {
    let now = Utc::now();
    let newest: std::collections::HashMap<i64, chrono::DateTime<Utc>> =
        records::newest_timestamps(&state.store)
            .await?
            .into_iter()
            .collect();
    let mut stale: Vec<Value> = Vec::new();
    for data_set in data_sets::list(&state.store).await? {
        let (Some(max_age), Some(last)) = (data_set.max_age_expected, newest.get(&data_set.id))
        else {
            continue;
        };
        if let Some(out_of_date) =
            crate::domain::freshness::seconds_out_of_date(Some(*last), Some(max_age), now)
        {
            stale.push(json!({
                "name": data_set.name,
                "last-updated": format_datetime(*last),
                "max-age-expected": max_age,
                "seconds-out-of-date": out_of_date,
            }));
        }
    }
    let body = match stale.len() {
        0 => json!({ "status": "ok", "message": "All data_sets are in date", "data_sets": null }),
        1 => {
            json!({ "status": "not okay", "message": "1 data-set is out of date", "data_sets": stale })
        }
        n => {
            json!({ "status": "not okay", "message": format!("{n} data-sets are out of date"), "data_sets": stale })
        }
    };
    Ok(([(header::CACHE_CONTROL, "no-cache")], Json(body)))
}
