//! Health: `GET /_status` (the app is up) and `GET /_status/data-sets` (which
//! data sets have not been updated within their expected age).

use axum::{extract::State, http::header, response::IntoResponse, routing::get, Json, Router};
use chrono::Utc;
use serde_json::{json, Value};

use super::AppState;
use crate::error::Result;
use crate::ingest::format_datetime;
use crate::store::{data_sets, records};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/_status", get(status))
        .route("/_status/data-sets", get(data_set_status))
}

async fn status() -> impl IntoResponse {
    (
        [(header::CACHE_CONTROL, "no-cache")],
        Json(json!({ "status": "ok", "message": "app is up" })),
    )
}

/// Always 200: the body says whether any watched data set is out of date.
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
        let out_of_date = (now - *last).num_seconds() - max_age;
        if out_of_date > 0 {
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
