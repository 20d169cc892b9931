//! `/api/v1/users` (admins only) and `/api/v1/audit`: the people who sign in, and
//! the log of every change.

use app::model::{NewUserRequest, UserChangeRequest};
use app::model::{Role, User};
use axum::{
    extract::State,
    http::StatusCode,
    response::{IntoResponse, Response},
    Json,
};
use chrono::Utc;
use serde::Deserialize;
use serde_json::json;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::extract::{Path, Payload, Query};
use super::AppState;
use crate::domain::caller::{Caller, Permission};
use crate::error::{Error, Result};
use crate::store::audit::Note;
use crate::store::{audit, users};

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
    caller.require(Permission::Admin)?;
    Ok(Json(app::model::UserList {
        users: users::list(&state.store).await?,
    }))
}

/// Creates a user (admins).
#[utoipa::path(post, path = "/users", tag = "accounts", security(("bearer" = [])), request_body = NewUserRequest,
    responses((status = 201, body = User), (status = 400, body = app::model::ErrorBody),
              (status = 404, description = "An organisation named does not exist", body = app::model::ErrorBody),
              (status = 401, body = app::model::ErrorBody), (status = 403, body = app::model::ErrorBody),
              (status = 409, body = app::model::ErrorBody)))]
async fn create(State(state): State<AppState>, caller: Caller, body: Payload) -> Result<Response> {
    caller.require(Permission::Admin)?;
    let request: NewUserRequest = body.json()?;
    let now = Utc::now();
    let mut w = state.store.write().await?;
    let user = users::create(
        &mut w,
        &users::NewUser {
            email: &request.email,
            display_name: &request.display_name,
            role: request.role,
            organisations: &request.organisations,
            password: &request.password,
        },
        now,
    )
    .await?;
    w.commit(Note::new(
        &caller.actor(),
        "user.create",
        format!("user {}", user.id),
        json!({ "email": user.email, "role": user.role, "organisations": user.organisations }),
        now,
    ))
    .await?;
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
    caller.require(Permission::Admin)?;
    users::find(&state.store, id)
        .await?
        .map(|u| Json(u.user))
        .ok_or_else(|| Error::NotFound(format!("There is no user {id}.")))
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
    if caller.user().is_some_and(|me| me.id == id)
        && (request.active == Some(false) || request.role.is_some_and(|r| r != Role::Admin))
    {
        return Err(Error::BadRequest(
            "You cannot deactivate yourself or give up being an admin: ask another admin.".into(),
        ));
    }
    let change = users::UserChange {
        display_name: request.display_name,
        role: request.role,
        organisations: request.organisations,
        active: request.active,
    };
    let mut w = state.store.write().await?;
    let user = users::update(&mut w, id, &change).await?;
    w.commit(Note::new(
        &caller.actor(),
        "user.update",
        format!("user {id}"),
        json!({ "role": user.role, "organisations": user.organisations, "active": user.active }),
        Utc::now(),
    ))
    .await?;
    Ok(Json(user))
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
