//! `/api/v1/guide` and `/api/v1/data-types`: the guide's pages (rendered with
//! this installation's figures) and the data types catalogue with its CSV
//! templates. Anyone reads them.

use std::collections::BTreeMap;

use app::catalogue::{self, DataTypeInUse, DataTypeList};
use app::model::{GuideIndex, GuidePage};
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
use crate::domain::guide::{self, Facts};
use crate::error::{Error, Result};
use crate::http::client::ClientInfo;
use crate::store::{dashboards, data_sets, orgs};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(guide_index))
        .routes(routes!(guide_page))
        .routes(routes!(data_types))
        .routes(routes!(data_type))
        .routes(routes!(template))
}

/// How many data sets of each data type exist here.
async fn types_in_use(state: &AppState) -> Result<BTreeMap<String, usize>> {
    let mut counts = BTreeMap::new();
    for ds in data_sets::list(&state.store).await? {
        *counts.entry(ds.data_type).or_insert(0) += 1;
    }
    Ok(counts)
}

/// This installation's figures for the guide, at the address the reader
/// reached Pulse at: only published data sets' (what anyone may read), whoever
/// reads the guide.
async fn facts(state: &AppState, client: &ClientInfo) -> Result<Facts> {
    let mut all: Vec<data_sets::DataSet> = readable_data_sets(&state.store, &Caller::Anonymous)
        .await?
        .into_values()
        .collect();
    all.sort_by(|a, b| a.name.cmp(&b.name));
    let services = orgs::list_services(&state.store).await?;
    let published = dashboards::list(&state.store, false).await?;
    let mut types_in_use = BTreeMap::new();
    for ds in &all {
        *types_in_use.entry(ds.data_type.clone()).or_insert(0) += 1;
    }
    // Examples come from published data sets only.
    let mut example_records = BTreeMap::new();
    for name in catalogue::NAMES {
        if let Some(ds) = all.iter().find(|d| d.published && d.data_type == name) {
            // (read once a version: the guide is anyone's to read)
            if let Some(record) = state.cache.latest(&state.store, ds.id, ds.version).await? {
                example_records.insert(name.to_string(), record.to_history_value());
            }
        }
    }
    let example_service = all
        .iter()
        .find(|d| d.published && d.data_type == "transactions-by-channel")
        .map(|d| d.data_group.clone())
        .unwrap_or_else(|| "your-service".into());
    Ok(Facts {
        base_url: client.base_url(),
        example_service,
        services: services.len(),
        published_dashboards: published.len(),
        data_sets: all.len(),
        types_in_use,
        example_records,
        openapi: serde_json::to_value(super::openapi()).unwrap_or_default(),
    })
}

#[derive(Deserialize)]
struct SearchParams {
    #[serde(default)]
    q: String,
}

/// Every guide page (title, audience, summary), and the headings that hold
/// every word of `q`.
#[utoipa::path(get, path = "/guide", tag = "guide", security((), ("bearer" = [])),
    params(("q" = Option<String>, Query, description = "Words to find in the pages' headings")),
    responses((status = 200, body = GuideIndex)))]
async fn guide_index(
    State(state): State<AppState>,
    _caller: Caller,
    client: ClientInfo,
    Query(params): Query<SearchParams>,
) -> Result<Json<GuideIndex>> {
    let q: String = params.q.chars().take(200).collect();
    if q.trim().is_empty() {
        return Ok(Json(guide::index("", &Facts::default())));
    }
    let facts = facts(&state, &client).await?;
    Ok(Json(guide::index(&q, &facts)))
}

/// One guide page, as HTML with this installation's address and figures.
#[utoipa::path(get, path = "/guide/{page}", tag = "guide", security((), ("bearer" = [])),
    params(("page" = String, Path, description = "The page's slug, e.g. `send-data`")),
    responses((status = 200, body = GuidePage), (status = 404, body = app::model::ErrorBody)))]
async fn guide_page(
    State(state): State<AppState>,
    _caller: Caller,
    client: ClientInfo,
    Path(page): Path<String>,
) -> Result<Json<GuidePage>> {
    let facts = facts(&state, &client).await?;
    guide::page(&page, &facts)
        .map(Json)
        .ok_or_else(|| Error::NotFound(format!("The guide has no page {page:?}.")))
}

/// The data types catalogue, with how many data sets of each type exist here
/// (and the data types in use that it does not describe).
#[utoipa::path(get, path = "/data-types", tag = "data types", security((), ("bearer" = [])),
    responses((status = 200, body = DataTypeList)))]
async fn data_types(State(state): State<AppState>, _caller: Caller) -> Result<Json<DataTypeList>> {
    let counts = types_in_use(&state).await?;
    let data_types = catalogue::all()
        .into_iter()
        .map(|t| DataTypeInUse {
            data_sets: counts.get(&t.name).copied().unwrap_or(0),
            data_type: t,
        })
        .collect();
    let others = counts
        .into_iter()
        .filter(|(name, _)| catalogue::find(name).is_none())
        .collect();
    Ok(Json(DataTypeList { data_types, others }))
}

fn unknown_type(name: &str) -> Error {
    Error::NotFound(format!(
        "There is no data type {name:?} in the catalogue; it has {}.",
        catalogue::NAMES.join(", ")
    ))
}

/// One data type: its fields, examples, JSON Schema and auto_ids.
#[utoipa::path(get, path = "/data-types/{name}", tag = "data types", security((), ("bearer" = [])),
    params(("name" = String, Path, description = "e.g. `completion-rate`")),
    responses((status = 200, body = DataTypeInUse), (status = 404, body = app::model::ErrorBody)))]
async fn data_type(
    State(state): State<AppState>,
    _caller: Caller,
    Path(name): Path<String>,
) -> Result<Json<DataTypeInUse>> {
    let t = catalogue::find(&name).ok_or_else(|| unknown_type(&name))?;
    let counts = types_in_use(&state).await?;
    Ok(Json(DataTypeInUse {
        data_sets: counts.get(&name).copied().unwrap_or(0),
        data_type: t,
    }))
}

/// A CSV template of a data type: its fields as the header and example rows.
#[utoipa::path(get, path = "/data-types/{name}/template.csv", tag = "data types", security((), ("bearer" = [])),
    params(("name" = String, Path)),
    responses((status = 200, description = "CSV", content_type = "text/csv", body = String),
              (status = 404, body = app::model::ErrorBody)))]
async fn template(_caller: Caller, Path(name): Path<String>) -> Result<Response> {
    let t = catalogue::find(&name).ok_or_else(|| unknown_type(&name))?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}-template.csv\""),
            ),
        ],
        catalogue::csv_template(&t),
    )
        .into_response())
}
