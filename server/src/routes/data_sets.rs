//! `/api/v1/data-sets`: creating, listing, changing and deleting data sets, their
//! write tokens and their correction history. Every route needs an admin key.
//!
//! - `GET /api/v1/data-sets`, `POST /api/v1/data-sets`
//! - `GET | PATCH | DELETE /api/v1/data-sets/{group}/{type}`
//! - `POST /api/v1/data-sets/{group}/{type}/token`: a new write token
//! - `GET /api/v1/data-sets/{group}/{type}/history`: the correction history

use axum::{
    extract::{FromRequest, Path, Query, Request, State},
    http::StatusCode,
    response::{IntoResponse, Response},
    Json,
};
use chrono::Utc;
use serde::{de::DeserializeOwned, Deserialize};
use serde_json::{json, Value};
use utoipa_axum::{router::OpenApiRouter, routes};

use super::AppState;
use crate::auth::{Caller, Permission};
use crate::error::{Error, Result};
use crate::store::{
    data_sets::{self, DataSet, DataSetSettings},
    history,
};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(show, change, remove))
        .routes(routes!(rotate))
        .routes(routes!(changes))
}

/// A JSON body whose rejection is Pulse's own JSON error.
pub struct ApiJson<T>(pub T);

impl<S, T> FromRequest<S> for ApiJson<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = Error;

    async fn from_request(req: Request, state: &S) -> Result<Self> {
        match Json::<T>::from_request(req, state).await {
            Ok(Json(value)) => Ok(ApiJson(value)),
            Err(rejection) => Err(Error::BadRequest(rejection.body_text())),
        }
    }
}

async fn find(state: &AppState, group: &str, data_type: &str) -> Result<DataSet> {
    data_sets::find(&state.store, group, data_type)
        .await?
        .ok_or_else(|| Error::NotFound(format!("There is no data set {group}/{data_type}.")))
}

/// Every data set, by name.
#[utoipa::path(get, path = "/data-sets", tag = "data sets", security(("bearer" = [])),
    responses((status = 200, description = "`{\"data_sets\": [...]}`", body = serde_json::Value),
              (status = 401, description = "No valid admin key", body = app::model::ErrorBody)))]
async fn list(State(state): State<AppState>, caller: Caller) -> Result<Json<Value>> {
    caller.require(Permission::Admin)?;
    let all = data_sets::list(&state.store).await?;
    Ok(Json(json!({ "data_sets": all })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewDataSet {
    data_group: String,
    data_type: String,
    /// An existing Backdrop token to keep using; a fresh one otherwise.
    #[serde(default)]
    bearer_token: Option<String>,
    #[serde(flatten)]
    settings: DataSetSettings,
}

/// Creates a data set; the answer carries its write `bearer_token`, shown this once.
#[utoipa::path(post, path = "/data-sets", tag = "data sets", security(("bearer" = [])),
    request_body(content = serde_json::Value, description = "`data_group`, `data_type`, and optionally `auto_ids`, `schema`, `queryable`, `published`, `realtime`, `raw_queries_allowed`, `max_age_expected`, `upload_format`, `bearer_token`"),
    responses((status = 201, description = "The data set with its `bearer_token`", body = serde_json::Value),
              (status = 400, description = "Invalid settings", body = app::model::ErrorBody),
              (status = 409, description = "It exists already", body = app::model::ErrorBody)))]
async fn create(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(new): ApiJson<NewDataSet>,
) -> Result<Response> {
    caller.require(Permission::Admin)?;
    let created = data_sets::create_with_token(
        &state.store,
        &new.data_group,
        &new.data_type,
        None,
        &new.settings,
        new.bearer_token,
        Utc::now(),
    )
    .await?;
    crate::store::audit::record(
        &state.store,
        &caller.actor(),
        "data-set.create",
        &format!("data set {}", created.data_set.name),
        json!({}),
        Utc::now(),
    )
    .await?;
    Ok((StatusCode::CREATED, Json(created)).into_response())
}

/// One data set's settings.
#[utoipa::path(get, path = "/data-sets/{group}/{data_type}", tag = "data sets", security(("bearer" = [])),
    params(("group" = String, Path), ("data_type" = String, Path)),
    responses((status = 200, body = serde_json::Value), (status = 404, body = app::model::ErrorBody)))]
async fn show(
    State(state): State<AppState>,
    caller: Caller,
    Path((group, data_type)): Path<(String, String)>,
) -> Result<Json<DataSet>> {
    caller.require(Permission::Admin)?;
    Ok(Json(find(&state, &group, &data_type).await?))
}

/// Changes the settings named in the body; the others stay as they are.
#[utoipa::path(patch, path = "/data-sets/{group}/{data_type}", tag = "data sets", security(("bearer" = [])),
    params(("group" = String, Path), ("data_type" = String, Path)),
    request_body(content = serde_json::Value, description = "Any of the settings"),
    responses((status = 200, body = serde_json::Value), (status = 400, body = app::model::ErrorBody), (status = 404, body = app::model::ErrorBody)))]
async fn change(
    State(state): State<AppState>,
    caller: Caller,
    Path((group, data_type)): Path<(String, String)>,
    ApiJson(changes): ApiJson<serde_json::Map<String, Value>>,
) -> Result<Json<DataSet>> {
    caller.require(Permission::Admin)?;
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
        serde_json::from_value(settings).map_err(|e| Error::BadRequest(e.to_string()))?;
    let updated = data_sets::update(&state.store, current.id, &settings).await?;
    state.cache.invalidate(current.id);
    crate::store::audit::record(
        &state.store,
        &caller.actor(),
        "data-set.change",
        &format!("data set {}", current.name),
        serde_json::to_value(&settings).unwrap_or_default(),
        Utc::now(),
    )
    .await?;
    Ok(Json(updated))
}

/// Deletes a data set with its records, history and write tokens.
#[utoipa::path(delete, path = "/data-sets/{group}/{data_type}", tag = "data sets", security(("bearer" = [])),
    params(("group" = String, Path), ("data_type" = String, Path)),
    responses((status = 200, body = serde_json::Value), (status = 404, body = app::model::ErrorBody)))]
async fn remove(
    State(state): State<AppState>,
    caller: Caller,
    Path((group, data_type)): Path<(String, String)>,
) -> Result<Json<Value>> {
    caller.require(Permission::Admin)?;
    let current = find(&state, &group, &data_type).await?;
    data_sets::delete(&state.store, &current).await?;
    state.cache.invalidate(current.id);
    crate::store::audit::record(
        &state.store,
        &caller.actor(),
        "data-set.delete",
        &format!("data set {}", current.name),
        json!({}),
        Utc::now(),
    )
    .await?;

    Ok(Json(
        json!({ "status": "ok", "message": format!("{} was deleted", current.name) }),
    ))
}

/// Revokes the data set's write tokens and issues a new one.
#[utoipa::path(post, path = "/data-sets/{group}/{data_type}/token", tag = "data sets", security(("bearer" = [])),
    params(("group" = String, Path), ("data_type" = String, Path)),
    responses((status = 200, description = "`{\"name\", \"bearer_token\"}`", body = serde_json::Value), (status = 404, body = app::model::ErrorBody)))]
async fn rotate(
    State(state): State<AppState>,
    caller: Caller,
    Path((group, data_type)): Path<(String, String)>,
) -> Result<Json<Value>> {
    caller.require(Permission::Admin)?;
    let current = find(&state, &group, &data_type).await?;
    let token = data_sets::rotate_token(&state.store, &current, Utc::now()).await?;
    crate::store::audit::record(
        &state.store,
        &caller.actor(),
        "data-set.token",
        &format!("data set {}", current.name),
        json!({}),
        Utc::now(),
    )
    .await?;

    Ok(Json(json!({ "name": current.name, "bearer_token": token })))
}

#[derive(Deserialize)]
struct HistoryParams {
    limit: Option<i64>,
}

/// The correction history, newest first: every replace, patch, delete and empty.
#[utoipa::path(get, path = "/data-sets/{group}/{data_type}/history", tag = "data sets", security(("bearer" = [])),
    params(("group" = String, Path), ("data_type" = String, Path),
           ("limit" = Option<i64>, Query, description = "At most this many entries (default 1000)")),
    responses((status = 200, description = "`{\"name\", \"history\": [...]}`", body = serde_json::Value), (status = 404, body = app::model::ErrorBody)))]
async fn changes(
    State(state): State<AppState>,
    caller: Caller,
    Path((group, data_type)): Path<(String, String)>,
    Query(params): Query<HistoryParams>,
) -> Result<Json<Value>> {
    caller.require(Permission::Admin)?;
    let current = find(&state, &group, &data_type).await?;
    let limit = params.limit.unwrap_or(1000).clamp(1, 100_000);
    let entries = history::list(&state.store, current.id, limit).await?;
    Ok(Json(json!({ "name": current.name, "history": entries })))
}
