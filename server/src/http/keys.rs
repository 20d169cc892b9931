//! `/api/v1/api-keys`: people's keys for their programs. A key's secret is shown
//! once, when it is made (or rotated); after that only its prefix.
//!
//! Each person sees and manages their own keys; an admin sees and revokes
//! everyone's (`?all=true`). A key's scopes are chosen from what its maker may do:
//! a viewer may grant `read:unpublished`; an editor also `dashboards:write`,
//! `annotations:write` and writing the data sets of their organisations'
//! services (`data-set:NAME:write`); an admin anything, `admin` too.

use app::model::{ApiKey, KeyRequest, NewKey};
use axum::{
    extract::State,
    http::StatusCode,
    response::{IntoResponse, Response},
    Json,
};
use serde::Deserialize;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::extract::{Path, Payload, Query};
use super::AppState;
use crate::domain::caller::{Caller, Permission};
use crate::domain::keys;
use crate::error::Result;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(revoke))
        .routes(routes!(rotate))
}

/// States this server's bounds of `expires_in_days` in the document: from 1
/// to [`max_days`], which whoever runs it sets, so it is filled in when the
/// document is served rather than when it is compiled.
pub fn document_max_days(document: &mut utoipa::openapi::OpenApi) {
    use utoipa::openapi::{schema::Schema, RefOr};
    let request = document
        .components
        .as_mut()
        .and_then(|c| c.schemas.get_mut("KeyRequest"));
    let Some(RefOr::T(Schema::Object(request))) = request else {
        return;
    };
    if let Some(RefOr::T(Schema::Object(days))) = request.properties.get_mut("expires_in_days") {
        days.minimum = Some(utoipa::Number::Int(1));
        days.maximum = Some(utoipa::Number::Int(
            isize::try_from(keys::max_days()).unwrap_or(isize::MAX),
        ));
        days.description = Some(format!(
            "Days until it expires: {} unless given, at most {} (the server's maximum).",
            keys::DEFAULT_DAYS,
            keys::max_days()
        ));
    }
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct ListParams {
    /// `true` (admins only): everyone's keys.
    all: Option<bool>,
}

/// The caller's keys, newest first (everyone's with `all=true`, for admins).
#[utoipa::path(get, path = "/api-keys", tag = "accounts", security(("bearer" = [])), params(ListParams),
    responses((status = 200, body = app::model::KeyList),
              (status = 401, body = app::model::ErrorBody), (status = 403, body = app::model::ErrorBody)))]
async fn list(
    State(state): State<AppState>,
    caller: Caller,
    Query(params): Query<ListParams>,
) -> Result<Json<app::model::KeyList>> {
    let keys = keys::list(&state.ctx(&caller), params.all.unwrap_or(false)).await?;
    Ok(Json(app::model::KeyList { keys }))
}

/// Makes a key; its secret is in the answer, and never again.
#[utoipa::path(post, path = "/api-keys", tag = "accounts", security(("bearer" = [])), request_body = KeyRequest,
    responses((status = 201, body = NewKey), (status = 400, body = app::model::ErrorBody),
              (status = 404, description = "The data set of a `data-set:NAME:write` scope does not exist", body = app::model::ErrorBody),
              (status = 401, body = app::model::ErrorBody), (status = 403, body = app::model::ErrorBody)))]
async fn create(State(state): State<AppState>, caller: Caller, body: Payload) -> Result<Response> {
    caller.require(Permission::ReadUnpublished)?;
    keys::manager(&caller)?;
    let request: KeyRequest = body.json()?;
    let new = keys::create(&state.ctx(&caller), &request).await?;
    Ok((StatusCode::CREATED, Json(new)).into_response())
}

/// Revokes a key: it stops working at once.
#[utoipa::path(post, path = "/api-keys/{id}/revoke", tag = "accounts", security(("bearer" = [])), params(("id" = i64, Path)),
    responses((status = 200, body = ApiKey), (status = 401, body = app::model::ErrorBody),
              (status = 403, body = app::model::ErrorBody), (status = 404, body = app::model::ErrorBody)))]
async fn revoke(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> Result<Json<ApiKey>> {
    Ok(Json(keys::revoke(&state.ctx(&caller), id).await?))
}

/// Replaces a key by a new secret with the same name, scopes and lifetime; the
/// old one is revoked. The new secret is in the answer, and never again.
#[utoipa::path(post, path = "/api-keys/{id}/rotate", tag = "accounts", security(("bearer" = [])), params(("id" = i64, Path)),
    responses((status = 201, body = NewKey), (status = 401, body = app::model::ErrorBody),
              (status = 403, body = app::model::ErrorBody), (status = 404, body = app::model::ErrorBody),
              (status = 409, body = app::model::ErrorBody)))]
async fn rotate(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> Result<Response> {
    let new = keys::rotate(&state.ctx(&caller), id).await?;
    Ok((StatusCode::CREATED, Json(new)).into_response())
}
