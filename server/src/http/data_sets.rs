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
use chrono::Utc;
use serde::Deserialize;
use serde_json::{json, Value};
use utoipa_axum::{router::OpenApiRouter, routes};

use super::extract::{Path, Payload, Query};
use super::AppState;
use crate::domain::access;
use crate::domain::caller::{Caller, Permission};
use crate::error::{Error, Result};
use crate::store::audit::Note;
use crate::store::{
    data_sets::{self, DataSet, DataSetSettings},
    history, orgs, records,
};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(show, change, remove))
        .routes(routes!(rotate))
        .routes(routes!(changes))
        .routes(routes!(upload))
}

async fn find(state: &AppState, group: &str, data_type: &str) -> Result<DataSet> {
    data_sets::find(&state.store, group, data_type)
        .await?
        .ok_or_else(|| Error::NotFound(format!("There is no data set {group}/{data_type}.")))
}

/// Refuses a caller who may not manage a data set of this group: admins
/// may; editors (and keys with `dashboards:write`) when the group is a service
/// of their organisations.
async fn may_manage(state: &AppState, caller: &Caller, group: &str) -> Result<()> {
    if caller.can(Permission::Admin) {
        return caller.check_csrf();
    }
    may_manage_some(caller)?;
    let Some(orgs) = access::service_orgs(&state.store, group).await? else {
        return Err(Error::Forbidden(format!(
            "Only admins manage data sets outside a service, and there is no service {group:?}."
        )));
    };
    access::require_in(
        caller,
        Permission::ManageDashboards,
        &orgs,
        &format!("the service {group:?}"),
    )
}

/// Refuses a caller who may manage no data set at all (before the body or the
/// data set is looked at): 401 for nobody, 403 for a viewer.
fn may_manage_some(caller: &Caller) -> Result<()> {
    if caller.can(Permission::Admin) {
        return caller.check_csrf();
    }
    caller.require(Permission::ManageDashboards)
}

/// Every data set (admins), or those of the caller's services (editors).
#[utoipa::path(get, path = "/data-sets", tag = "data sets", security(("bearer" = [])),
    responses((status = 200, body = app::model::DataSetList),
              (status = 401, description = "No valid admin key", body = app::model::ErrorBody)))]
async fn list(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<app::model::DataSetList>> {
    let all = data_sets::list(&state.store).await?;
    if caller.can(Permission::Admin) {
        return Ok(Json(app::model::DataSetList { data_sets: all }));
    }
    caller.require(Permission::ManageDashboards)?;
    let mut theirs = Vec::new();
    for ds in all {
        if may_manage(&state, &caller, &ds.data_group).await.is_ok() {
            theirs.push(ds);
        }
    }
    Ok(Json(app::model::DataSetList { data_sets: theirs }))
}

/// The settings of a data set as its schema states them: `PATCH` takes any
/// of them, `POST` these with its name.
fn settings_properties() -> Value {
    json!({
        "auto_ids": {"type": "array", "items": {"type": "string", "pattern": "^[A-Za-z_][A-Za-z0-9_]+$"},
            "description": "Fields whose values make a record's `_id`."},
        "schema": {"type": ["object", "boolean", "null"], "description": "A JSON Schema every record must meet."},
        "queryable": {"type": "boolean"},
        "published": {"type": "boolean"},
        "realtime": {"type": "boolean"},
        "raw_queries_allowed": {"type": "boolean"},
        "max_age_expected": {"type": ["integer", "null"], "minimum": 1,
            "description": "Seconds after which its data is late; null for never."},
        "upload_format": {"type": ["string", "null"], "enum": ["csv", "excel", null]},
    })
}

fn schema_of(value: Value) -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
    serde_json::from_value(value).expect("a valid schema")
}

/// What `POST /api/v1/data-sets` takes (its schema written out, as the
/// settings are flattened into it).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewDataSet {
    data_group: String,
    data_type: String,
    /// An existing Backdrop token to keep using; a fresh one otherwise.
    #[serde(default)]
    bearer_token: Option<String>,
    /// A data type of the catalogue (`/api/v1/data-types`) whose JSON Schema
    /// and `auto_ids` the data set takes.
    #[serde(default)]
    from_type: Option<String>,
    #[serde(flatten)]
    settings: DataSetSettings,
}

impl utoipa::PartialSchema for NewDataSet {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        let mut properties = settings_properties();
        properties["data_group"] = json!({"type": "string", "pattern": "^[a-z0-9][a-z0-9_-]{0,99}$",
            "description": "The group: the slug of the service it belongs to, for editors."});
        properties["data_type"] =
            json!({"type": "string", "pattern": "^[a-z0-9][a-z0-9_-]{0,99}$"});
        // Unicode's white space, as the server knows it (`\S` would allow U+0085).
        properties["bearer_token"] = json!({"type": ["string", "null"], "minLength": 16, "pattern": "^[^\\t\\n\\x0b\\x0c\\r \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]*$",
            "description": "An existing Backdrop token to keep using (at least 16 characters, no spaces); a fresh one otherwise."});
        // With `from_type`, the data set takes the type's schema and auto_ids,
        // so the body sends neither (null or empty at most); without it, any.
        let mut typed = properties.clone();
        typed["from_type"] = json!({"type": "string", "enum": app::catalogue::NAMES,
            "description": "A data type of the catalogue (`/api/v1/data-types`) whose JSON Schema and `auto_ids` the data set takes."});
        typed["schema"] = json!({"type": "null", "description": "Taken from the data type."});
        typed["auto_ids"] = json!({"type": "array", "items": false, "maxItems": 0,
            "description": "Taken from the data type."});
        properties["from_type"] =
            json!({"type": "null", "description": "No data type of the catalogue."});
        let shape = |title: &str, properties: Value, required: &[&str]| {
            json!({
                "type": "object",
                "title": title,
                "required": required,
                "additionalProperties": false,
                "properties": properties,
            })
        };
        schema_of(json!({
            "description": "A new data set: its group and type, and any of its settings; or its group and type and a data type of the catalogue (`from_type`) whose schema and auto_ids it takes.",
            "oneOf": [
                shape("its own settings", properties, &["data_group", "data_type"]),
                shape("from a data type", typed, &["data_group", "data_type", "from_type"]),
            ],
        }))
    }
}

impl utoipa::ToSchema for NewDataSet {}

/// What `PATCH /api/v1/data-sets/{group}/{type}` takes: any of the settings.
struct DataSetChange;

impl utoipa::PartialSchema for DataSetChange {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        schema_of(json!({
            "type": "object",
            "description": "Any of a data set's settings; the others stay as they are.",
            "additionalProperties": false,
            "properties": settings_properties(),
        }))
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
    may_manage_some(&caller)?;
    let mut new: NewDataSet = body.json()?;
    may_manage(&state, &caller, &new.data_group).await?;
    if let Some(name) = &new.from_type {
        // What was sent is checked before the data type's settings replace it.
        new.settings.validate()?;
        new.settings.take_type(name)?;
    }
    if data_sets::find(&state.store, &new.data_group, &new.data_type)
        .await?
        .is_some()
    {
        return Err(Error::Conflict(format!(
            "The data set {}/{} already exists.",
            new.data_group, new.data_type
        )));
    }
    let service_id = orgs::service_id(&state.store, &new.data_group).await?;
    let mut w = state.store.write().await?;
    let created = data_sets::create_with_token(
        &mut w,
        &new.data_group,
        &new.data_type,
        service_id,
        &new.settings,
        new.bearer_token,
        Utc::now(),
    )
    .await?;
    w.commit(Note::new(
        &caller.actor(),
        "data-set.create",
        format!("data set {}", created.data_set.name),
        json!({}),
        Utc::now(),
    ))
    .await?;
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
    may_manage(&state, &caller, &group).await?;
    Ok(Json(find(&state, &group, &data_type).await?))
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
    may_manage(&state, &caller, &group).await?;
    let changes: serde_json::Map<String, Value> = body.json()?;
    let current = find(&state, &group, &data_type).await?;
    // Only the settings named change; the rest stay as they are.
    let mut settings = serde_json::to_value(DataSetSettings {
        auto_ids: current.auto_ids.clone(),
        schema: current.schema.clone(),
        queryable: current.queryable,
        published: current.published,
        realtime: current.realtime,
        raw_queries_allowed: current.raw_queries_allowed,
        max_age_expected: current.max_age_expected,
        upload_format: current.upload_format.clone(),
    })
    .map_err(anyhow::Error::from)?;
    for (key, value) in changes {
        settings[key] = value;
    }
    let settings: DataSetSettings =
        super::extract::parse_json(&serde_json::to_vec(&settings).map_err(anyhow::Error::from)?)?;
    let mut w = state.store.write().await?;
    let updated = data_sets::update(&mut w, current.id, &settings).await?;
    w.commit(Note::new(
        &caller.actor(),
        "data-set.change",
        format!("data set {}", current.name),
        serde_json::to_value(&settings).unwrap_or_default(),
        Utc::now(),
    ))
    .await?;
    state.cache.invalidate(current.id);
    Ok(Json(updated))
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
    caller.require(Permission::Admin)?;
    let current = find(&state, &group, &data_type).await?;
    let mut w = state.store.write().await?;
    data_sets::delete(&mut w, &current).await?;
    w.commit(Note::new(
        &caller.actor(),
        "data-set.delete",
        format!("data set {}", current.name),
        json!({}),
        Utc::now(),
    ))
    .await?;
    state.cache.invalidate(current.id);

    Ok(Json(app::model::Done::ok(format!(
        "{} was deleted",
        current.name
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
    may_manage(&state, &caller, &group).await?;
    let current = find(&state, &group, &data_type).await?;
    let mut w = state.store.write().await?;
    let token = data_sets::rotate_token(&mut w, &current, Utc::now()).await?;
    w.commit(Note::new(
        &caller.actor(),
        "data-set.token",
        format!("data set {}", current.name),
        json!({}),
        Utc::now(),
    ))
    .await?;

    Ok(Json(app::model::DataSetToken {
        name: current.name,
        bearer_token: token,
    }))
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
    if !caller
        .may_write_records(&state.store, &group, &data_type)
        .await?
    {
        may_manage(&state, &caller, &group).await?;
    }
    let current = find(&state, &group, &data_type).await?;
    let limit =
        crate::domain::query::params::list_limit(params.limit, 1000, app::kpi::MAX_ROWS as i64)
            .map_err(Error::BadRequest)?;
    let entries = history::list(&state.store, current.id, limit).await?;
    Ok(Json(app::model::DataSetHistory {
        name: current.name,
        history: entries,
    }))
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
              (status = 400, description = "Empty, unreadable, or (storing) with problems: `{\"status\":\"error\",\"message\",\"preview\"}`", body = app::model::ErrorBody),
              (status = 404, body = app::model::ErrorBody),
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
    caller.check_csrf()?;
    if !caller
        .may_write_records(&state.store, &group, &data_type)
        .await?
    {
        may_manage(&state, &caller, &group).await?;
    }
    let data_set = find(&state, &group, &data_type).await?;
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
    let prepared =
        crate::domain::upload::prepare(&state.store, &data_set, &file_name, &bytes).await?;
    let mut preview = prepared.preview;
    if !params.store {
        return Ok(Json(preview).into_response());
    }
    if !preview.problems.is_empty() {
        let n = preview.problems.len();
        let body = json!({
            "status": "error",
            "message": format!(
                "{file_name} has {n} problem{}; nothing was stored. Correct {} and upload it again.",
                if n == 1 { "" } else { "s" },
                if n == 1 { "it" } else { "them" },
            ),
            "preview": preview,
        });
        return Ok((StatusCode::BAD_REQUEST, Json(body)).into_response());
    }
    let summary = json!({
        "file_name": file_name,
        "records": preview.records,
        "new": preview.new,
        "replaced": preview.replaced,
        "unchanged": preview.unchanged,
    });
    let now = Utc::now();
    let mut w = state.store.write().await?;
    records::upsert_upload(
        &mut w,
        data_set.id,
        &prepared.records,
        &caller.acting().history,
        now,
        &file_name,
        &summary,
    )
    .await?;
    w.commit(Note::new(
        &caller.actor(),
        "records.upload",
        format!("data set {}", data_set.name),
        summary,
        now,
    ))
    .await?;
    state.cache.invalidate(data_set.id);
    preview.stored = true;
    Ok(Json(preview).into_response())
}
