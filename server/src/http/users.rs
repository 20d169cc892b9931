//! `/api/v1/users` (admins only) and `/api/v1/audit`: the people who sign in, and
//! the log of every change.

use app::model::User;
use app::model::{NewUserRequest, UserChangeRequest};
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
use crate::domain::users;
use crate::error::{Error, Result};
use crate::store::audit;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(show, update))
        .routes(routes!(audit_log))
}

/// Every user (admins).
#[utoipa::path(get, path = "/users", tag = "accounts", security(("bearer" = [])),
    responses((status = 200, body = app::model::UserList),
              (status = 401, body = app::model::ErrorBody), (status = 403, body = app::model::ErrorBody)))]
async fn list(State(state): State<AppState>, caller: Caller) -> Result<Json<app::model::UserList>> {
    Ok(Json(app::model::UserList {
        users: users::list(&state.ctx(&caller)).await?,
    }))
}

/// Creates a user (admins).
#[utoipa::path(post, path = "/users", tag = "accounts", security(("bearer" = [])), request_body = NewUserRequest,
    responses((status = 201, body = User), (status = 400, body = app::model::ErrorBody), (status = 422, description = "A password among the most common (or made of the email address)", body = app::model::ErrorBody),
              (status = 404, description = "An organisation named does not exist", body = app::model::ErrorBody),
              (status = 401, body = app::model::ErrorBody), (status = 403, body = app::model::ErrorBody),
              (status = 409, body = app::model::ErrorBody)))]
async fn create(State(state): State<AppState>, caller: Caller, body: Payload) -> Result<Response> {
    caller.require(Permission::Admin)?;
    let request: NewUserRequest = body.json()?;
    let user = users::create(&state.ctx(&caller), &request).await?;
    Ok((StatusCode::CREATED, Json(user)).into_response())
}

/// One user (admins).
#[utoipa::path(get, path = "/users/{id}", tag = "accounts", security(("bearer" = [])), params(("id" = i64, Path)),
    responses((status = 200, body = User), (status = 401, body = app::model::ErrorBody),
              (status = 403, body = app::model::ErrorBody), (status = 404, body = app::model::ErrorBody)))]
async fn show(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> Result<Json<User>> {
    Ok(Json(users::show(&state.ctx(&caller), id).await?))
}

/// Changes a user's name, role, organisations or whether they may sign in
/// (admins). An admin cannot deactivate or demote themselves.
#[utoipa::path(patch, path = "/users/{id}", tag = "accounts", security(("bearer" = [])), params(("id" = i64, Path)),
    request_body = UserChangeRequest,
    responses((status = 200, body = User), (status = 400, body = app::model::ErrorBody),
              (status = 401, body = app::model::ErrorBody), (status = 403, body = app::model::ErrorBody),
              (status = 404, body = app::model::ErrorBody)))]
async fn update(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    body: Payload,
) -> Result<Json<User>> {
    caller.require(Permission::Admin)?;
    let request: UserChangeRequest = body.json()?;
    Ok(Json(users::update(&state.ctx(&caller), id, request).await?))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct AuditParams {
    /// Only entries whose actor, action, target or detail contains this.
    filter: Option<String>,
    /// At most this many, newest first (100 unless given; from 1 to 1,000).
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<i64>,
}

/// The audit log, newest first (admins).
#[utoipa::path(get, path = "/audit", tag = "accounts", security(("bearer" = [])), params(AuditParams),
    responses((status = 200, body = app::model::AuditLog),
              (status = 401, body = app::model::ErrorBody), (status = 403, body = app::model::ErrorBody)))]
async fn audit_log(
    State(state): State<AppState>,
    caller: Caller,
    Query(params): Query<AuditParams>,
) -> Result<Json<app::model::AuditLog>> {
    caller.require(Permission::Admin)?;
    let limit =
        crate::domain::query::params::list_limit(params.limit, 100, app::kpi::MAX_AUDIT_LIMIT)
            .map_err(Error::BadRequest)?;
    let entries = audit::list(&state.store, params.filter.as_deref().unwrap_or(""), limit).await?;
    Ok(Json(app::model::AuditLog { entries }))
}
