//! `/api/v1/annotations`: editors' notes on a service's figures.
//!
//! Anyone reads public notes; internal ones only signed-in people of the
//! service's organisations (and keys that may read unpublished data, and
//! admins), to whom anyone else gets a 404. Editors and admins (and keys with
//! `annotations:write`) write them, for services of their organisations. Every
//! edit keeps the version it replaced; creating, editing and deleting are in the
//! audit log (a delete with the text that was deleted).

use app::model::{Annotation, AnnotationList, NewAnnotation};
use axum::{
    extract::State,
    http::StatusCode,
    response::{IntoResponse, Response},
    Json,
};
use serde::Deserialize;
use serde_json::json;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::extract::{Path, Payload, Query};
use super::AppState;
use crate::domain::annotations::{self, Narrowing};
use crate::domain::caller::{Caller, Permission};
use crate::error::{Error, Result};
use crate::on_pool;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(show, replace, remove))
        .routes(routes!(versions))
}

/// A date or an RFC 3339 time, as the domain takes it.
fn date_or_time() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
    serde_json::from_value(json!({
        "anyOf": [
            {"type": "string", "format": "date"},
            {"type": "string", "format": "date-time"},
        ],
    }))
    .expect("a valid schema")
}

/// What a list of notes is narrowed to.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ListParams {
    /// Notes of this service (by slug).
    pub service: Option<String>,
    /// Notes of the service that owns this data set (`group/type`), without
    /// those on a module that reads another data set.
    #[param(pattern = "^[^/]+/[^/]+$")]
    pub data_set: Option<String>,
    /// Notes that belong on this module's chart (`dashboard/module`): the
    /// service's notes for every chart and the module's own.
    #[param(pattern = "^[^/]+/[^/]+$")]
    pub module: Option<String>,
    /// Notes that end on or after this date (`YYYY-MM-DD`) or time (RFC 3339).
    #[param(schema_with = date_or_time)]
    pub from: Option<String>,
    /// Notes that start before this date (`YYYY-MM-DD`) or time (RFC 3339).
    #[param(schema_with = date_or_time)]
    pub to: Option<String>,
    /// Notes with this tag.
    pub tag: Option<String>,
}

/// The service that owns a data set, by slug; `None` when it belongs to no
/// service (so it has no notes).
async fn service_of_data_set(state: &AppState, name: &str) -> Result<Option<String>> {
    let (group, data_type) = name.split_once('/').ok_or_else(|| {
        Error::BadRequest(format!(
            "data_set must be given as group/type, not {name:?}"
        ))
    })?;
    let slug: Option<Option<String>> = on_pool!(&state.store, |pool| sqlx::query_scalar(
        "SELECT s.slug FROM data_sets d LEFT JOIN services s ON s.id = d.service_id
         WHERE d.data_group = $1 AND d.data_type = $2"
    )
    .bind(group)
    .bind(data_type)
    .fetch_optional(pool)
    .await)?;
    match slug {
        None => Err(Error::NotFound(format!("There is no data set {name}."))),
        Some(owner) => Ok(owner),
    }
}

/// Notes the caller may read, by time, narrowed by service, data set, module,
/// time and tag. With `service` (or `data_set` or `module`), `may_annotate`
/// says whether the caller may write that service's notes.
#[utoipa::path(get, path = "/annotations", tag = "annotations", security((), ("bearer" = [])),
    params(ListParams),
    responses((status = 200, body = AnnotationList), (status = 400, body = app::model::ErrorBody),
              (status = 404, description = "No such data set", body = app::model::ErrorBody)))]
async fn list(
    State(state): State<AppState>,
    caller: Caller,
    Query(params): Query<ListParams>,
) -> Result<Json<AnnotationList>> {
    // A data set's service is looked up first: a data set of no service has
    // no notes.
    let data_set = match &params.data_set {
        Some(name) => Some((name.clone(), service_of_data_set(&state, name).await?)),
        None => None,
    };
    let wanted = Narrowing {
        service: params.service,
        data_set,
        module: params.module,
        from: params.from,
        to: params.to,
        tag: params.tag,
    };
    Ok(Json(annotations::list(&state.ctx(&caller), wanted).await?))
}

/// Adds a note (an editor of the service's organisation, or an admin).
#[utoipa::path(post, path = "/annotations", tag = "annotations", security(("bearer" = [])),
    request_body = NewAnnotation,
    responses((status = 201, body = Annotation), (status = 400, body = app::model::ErrorBody),
              (status = 404, description = "The service, or the dashboard or module named, does not exist", body = app::model::ErrorBody),
              (status = 401, body = app::model::ErrorBody), (status = 403, body = app::model::ErrorBody),
              (status = 422, description = "It ends before it starts", body = app::model::ErrorBody)))]
async fn create(State(state): State<AppState>, caller: Caller, body: Payload) -> Result<Response> {
    caller.require(Permission::ManageAnnotations)?;
    let note: NewAnnotation = body.json()?;
    let created = annotations::create(&state.ctx(&caller), note).await?;
    Ok((StatusCode::CREATED, Json(created)).into_response())
}

/// One note.
#[utoipa::path(get, path = "/annotations/{id}", tag = "annotations", security((), ("bearer" = [])),
    params(("id" = i64, Path)),
    responses((status = 200, body = Annotation), (status = 404, body = app::model::ErrorBody)))]
async fn show(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> Result<Json<Annotation>> {
    Ok(Json(annotations::show(&state.ctx(&caller), id).await?))
}

/// Replaces a note, keeping the version it replaces (an editor of the service's
/// organisation, or an admin). It may move to another service of theirs.
#[utoipa::path(put, path = "/annotations/{id}", tag = "annotations", security(("bearer" = [])),
    params(("id" = i64, Path)), request_body = NewAnnotation,
    responses((status = 200, body = Annotation), (status = 400, body = app::model::ErrorBody),
              (status = 403, body = app::model::ErrorBody), (status = 404, body = app::model::ErrorBody),
              (status = 422, description = "It ends before it starts", body = app::model::ErrorBody)))]
async fn replace(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    body: Payload,
) -> Result<Json<Annotation>> {
    let ctx = state.ctx(&caller);
    annotations::to_change(&ctx, id).await?;
    let note: NewAnnotation = body.json()?;
    Ok(Json(annotations::replace(&ctx, id, note).await?))
}

/// Deletes a note and its earlier versions; the audit log keeps what it said.
#[utoipa::path(delete, path = "/annotations/{id}", tag = "annotations", security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses((status = 200, body = app::model::Done), (status = 403, body = app::model::ErrorBody),
              (status = 404, body = app::model::ErrorBody)))]
async fn remove(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> Result<Json<app::model::Done>> {
    annotations::remove(&state.ctx(&caller), id).await?;
    Ok(Json(app::model::Done::ok(format!(
        "annotation {id} was deleted"
    ))))
}

/// The earlier versions of a note, newest first (whoever may read the note).
#[utoipa::path(get, path = "/annotations/{id}/versions", tag = "annotations", security((), ("bearer" = [])),
    params(("id" = i64, Path)),
    responses((status = 200, body = app::model::AnnotationVersions),
              (status = 404, body = app::model::ErrorBody)))]
async fn versions(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> Result<Json<app::model::AnnotationVersions>> {
    Ok(Json(app::model::AnnotationVersions {
        versions: annotations::versions(&state.ctx(&caller), id).await?,
    }))
}
