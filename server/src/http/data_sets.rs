//! `/api/v1/data-sets`: creating, listing, changing and deleting data sets, their
//! write tokens, their correction history and spreadsheet uploads.
//!
//! Admins manage every data set. Editors (and keys with `dashboards:write`)
//! manage the data sets of their organisations' services — a data set belongs
//! to the service its group names — except deleting one.
//!
//! - `GET /api/v1/data-sets`, `POST /api/v1/data-sets`
//! - `GET | PATCH | DELETE /api/v1/data-sets/{group}/{type}`
//! - `POST /api/v1/data-sets/{group}/{type}/token`: a new write token
//! - `GET /api/v1/data-sets/{group}/{type}/history`: the correction history
//! - `POST /api/v1/data-sets/{group}/{type}/upload`: a CSV or XLSX file, previewed or stored

use axum::{
    body::Body,
    extract::State,
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Response},
    Json,
};
use serde::Deserialize;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::extract::{Path, Payload, Query};
use super::AppState;
use crate::domain::caller::Caller;
use crate::domain::data_sets;
use crate::error::{Error, Result};
use crate::store::data_sets::DataSet;
use app::model::NewDataSet;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(show, change, remove))
        .routes(routes!(rotate))
        .routes(routes!(changes))
        .routes(routes!(upload))
}

/// Every data set (admins), or those of the caller's services (editors).
#[utoipa::path(get, path = "/data-sets", tag = "data sets", security(("bearer" = [])),
    responses((status = 200, body = app::model::DataSetList),
              (status = 401, description = "No valid admin key", body = app::model::ErrorBody)))]
async fn list(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<app::model::DataSetList>> {
    Ok(Json(app::model::DataSetList {
        data_sets: data_sets::list(&state.ctx(&caller)).await?,
    }))
}

/// What `PATCH /api/v1/data-sets/{group}/{type}` takes: any of the settings.
struct DataSetChange;

impl utoipa::PartialSchema for DataSetChange {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        app::model::schemas::data_set_change()
    }
}

impl utoipa::ToSchema for DataSetChange {}

/// Creates a data set; the answer carries its write `bearer_token`, shown this once.
#[utoipa::path(post, path = "/data-sets", tag = "data sets", security(("bearer" = [])),
    request_body(content = NewDataSet, description = "`data_group`, `data_type`, and optionally `from_type` (a catalogue data type: its schema and auto_ids are used), `auto_ids`, `schema`, `queryable`, `published`, `realtime`, `raw_queries_allowed`, `max_age_expected`, `upload_format`, `bearer_token`. Editors create data sets only for their organisations' services (the group is the service's slug)"),
    responses((status = 201, description = "The data set with its `bearer_token`", body = app::model::DataSetWithToken),
              (status = 400, description = "Invalid settings", body = app::model::ErrorBody),
              (status = 409, description = "It exists already", body = app::model::ErrorBody)))]
async fn create(State(state): State<AppState>, caller: Caller, body: Payload) -> Result<Response> {
    data_sets::may_manage_some(&caller)?;
    let new: NewDataSet = body.json()?;
    let created = data_sets::create(&state.ctx(&caller), new).await?;
    Ok((StatusCode::CREATED, Json(created)).into_response())
}

/// One data set's settings.
#[utoipa::path(get, path = "/data-sets/{group}/{data_type}", tag = "data sets", security(("bearer" = [])),
    params(("group" = String, Path), ("data_type" = String, Path)),
    responses((status = 200, body = app::model::DataSet), (status = 404, body = app::model::ErrorBody)))]
async fn show(
    State(state): State<AppState>,
    caller: Caller,
    Path((group, data_type)): Path<(String, String)>,
) -> Result<Json<DataSet>> {
    Ok(Json(
        data_sets::show(&state.ctx(&caller), &group, &data_type).await?,
    ))
}

/// Changes the settings named in the body; the others stay as they are.
#[utoipa::path(patch, path = "/data-sets/{group}/{data_type}", tag = "data sets", security(("bearer" = [])),
    params(("group" = String, Path), ("data_type" = String, Path)),
    request_body(content = DataSetChange, description = "Any of the settings"),
    responses((status = 200, body = app::model::DataSet), (status = 400, body = app::model::ErrorBody), (status = 404, body = app::model::ErrorBody)))]
async fn change(
    State(state): State<AppState>,
    caller: Caller,
    Path((group, data_type)): Path<(String, String)>,
    body: Payload,
) -> Result<Json<DataSet>> {
    let ctx = state.ctx(&caller);
    data_sets::may_manage(&ctx, &group).await?;
    let changes: serde_json::Map<String, serde_json::Value> = body.json()?;
    Ok(Json(
        data_sets::change(&ctx, &group, &data_type, changes).await?,
    ))
}

/// Deletes a data set with its records, history and write tokens.
#[utoipa::path(delete, path = "/data-sets/{group}/{data_type}", tag = "data sets", security(("bearer" = [])),
    params(("group" = String, Path), ("data_type" = String, Path)),
    responses((status = 200, body = app::model::Done), (status = 404, body = app::model::ErrorBody)))]
async fn remove(
    State(state): State<AppState>,
    caller: Caller,
    Path((group, data_type)): Path<(String, String)>,
) -> Result<Json<app::model::Done>> {
    let removed = data_sets::remove(&state.ctx(&caller), &group, &data_type).await?;
    Ok(Json(app::model::Done::ok(format!(
        "{} was deleted",
        removed.name
    ))))
}

/// Revokes the data set's write tokens and issues a new one.
#[utoipa::path(post, path = "/data-sets/{group}/{data_type}/token", tag = "data sets", security(("bearer" = [])),
    params(("group" = String, Path), ("data_type" = String, Path)),
    responses((status = 200, body = app::model::DataSetToken), (status = 404, body = app::model::ErrorBody)))]
async fn rotate(
    State(state): State<AppState>,
    caller: Caller,
    Path((group, data_type)): Path<(String, String)>,
) -> Result<Json<app::model::DataSetToken>> {
    Ok(Json(
        data_sets::rotate_token(&state.ctx(&caller), &group, &data_type).await?,
    ))
}

#[derive(Deserialize)]
struct HistoryParams {
    limit: Option<i64>,
}

/// The correction history, newest first: every replace, patch, delete, empty
/// and upload. Those who manage the data set read it, and so does its writer.
#[utoipa::path(get, path = "/data-sets/{group}/{data_type}/history", tag = "data sets", security(("bearer" = [])),
    params(("group" = String, Path), ("data_type" = String, Path),
           ("limit" = Option<i64>, Query, minimum = 1, maximum = 100000, description = "At most this many entries (default 1,000; from 1 to 100,000)")),
    responses((status = 200, body = app::model::DataSetHistory), (status = 404, body = app::model::ErrorBody)))]
async fn changes(
    State(state): State<AppState>,
    caller: Caller,
    Path((group, data_type)): Path<(String, String)>,
    Query(params): Query<HistoryParams>,
) -> Result<Json<app::model::DataSetHistory>> {
    Ok(Json(
        data_sets::history(&state.ctx(&caller), &group, &data_type, params.limit).await?,
    ))
}

#[derive(Deserialize)]
struct UploadParams {
    /// The file's name: its extension says whether it is CSV or XLSX.
    #[serde(default)]
    file_name: Option<String>,
    /// Store the records (when the file has no problems); otherwise only
    /// the preview is answered.
    #[serde(default)]
    store: bool,
}

/// A spreadsheet (CSV, or the first sheet of an XLSX workbook; row 1 names
/// the fields) as the body. Without `store=true` nothing is stored: the answer
/// is the preview — the rows read, every problem by row and column, how many
/// records are new and which would replace stored ones, before and after. With
/// `store=true` a file without problems is stored, all of it in one
/// transaction, and noted in the correction history; one with problems is
/// refused (400, with them) and nothing is stored.
#[utoipa::path(post, path = "/data-sets/{group}/{data_type}/upload", tag = "data sets", security(("bearer" = [])),
    params(("group" = String, Path), ("data_type" = String, Path),
           ("file_name" = Option<String>, Query, description = "The file's name, e.g. `figures.xlsx`"),
           ("store" = Option<bool>, Query, description = "`true` to store the records; otherwise a preview")),
    request_body(content = Vec<u8>, content_type = "text/csv", description = "The file's bytes (CSV or XLSX), at most 10 MiB"),
    responses((status = 200, body = app::model::UploadPreview),
              (status = 400, description = "Empty, unreadable, over the bounds (1,000,000 cells with something in them, 500,000 records, a workbook unpacking to over 200 MB), or (storing) with problems: `{\"status\":\"error\",\"message\",\"preview\"}`", body = app::model::ErrorBody),
              (status = 404, body = app::model::ErrorBody),
              (status = 409, description = "Storing records that bring new fields, the data set was written to through other instances of Pulse while they were counted, four times over: nothing was stored; send the file again", body = app::model::ErrorBody),
              (status = 413, description = "Over 10 MiB", body = app::model::ErrorBody),
              (status = 415, description = "Not a CSV or XLSX file", body = app::model::ErrorBody),
              (status = 422, description = "A header row and no records below it", body = app::model::ErrorBody)))]
async fn upload(
    State(state): State<AppState>,
    caller: Caller,
    Path((group, data_type)): Path<(String, String)>,
    Query(params): Query<UploadParams>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response> {
    let ctx = state.ctx(&caller);
    data_sets::may_upload(&ctx, &group, &data_type).await?;
    let file_name = params
        .file_name
        .filter(|n| !n.trim().is_empty())
        .unwrap_or_else(|| "the file".into());
    let limit = crate::domain::upload::MAX_UPLOAD_BYTES;
    let bytes = super::extract::read_limited(&headers, body, limit, || {
        Error::TooLarge(format!(
            "{file_name} is larger than {}, the most an upload may be. Split it into smaller files.",
            crate::domain::upload::LIMIT_WORDS
        ))
    })
    .await?;
    let (data_set, prepared) =
        data_sets::check_upload(&ctx, &group, &data_type, &file_name, &bytes).await?;
    if !params.store {
        return Ok(Json(prepared.preview).into_response());
    }
    match data_sets::store_upload(&ctx, &data_set, &file_name, prepared).await? {
        Ok(stored) => Ok(Json(stored).into_response()),
        Err(refused) => Ok((StatusCode::BAD_REQUEST, Json(refused)).into_response()),
    }
}
