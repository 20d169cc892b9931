//! `/api/v1/api-keys`: people's keys for their programs. A key's secret is shown
//! once, when it is made (or rotated); after that only its prefix.
//!
//! Each person sees and manages their own keys; an admin sees and revokes
//! everyone's (`?all=true`). A key's scopes are chosen from what its maker may do:
//! a viewer may grant `read:unpublished`; an editor also `dashboards:write`,
//! `annotations:write` and writing the data sets of their organisations'
//! services (`data-set:NAME:write`); an admin anything, `admin` too.

use app::model::KeyRequest;
use app::model::{ApiKey, NewKey, Role};
use axum::{
    extract::State,
    http::StatusCode,
    response::{IntoResponse, Response},
    Json,
};
use chrono::{Duration, Utc};
use serde::Deserialize;
use serde_json::json;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::extract::{Path, Payload, Query};
use super::AppState;
use crate::domain::access;
use crate::domain::caller::{Caller, Permission};
use crate::error::{Error, Result};
use crate::store::audit::Note;
use crate::store::{api_keys, data_sets};
use app::model::Scope;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(revoke))
        .routes(routes!(rotate))
}

/// Days a key lasts unless its maker says otherwise.
pub const DEFAULT_DAYS: i64 = 90;

/// The longest a key may last, in days: `PULSE_MAX_KEY_DAYS` (set by whoever runs
/// Pulse), 365 when unset.
pub fn max_days() -> i64 {
    std::env::var("PULSE_MAX_KEY_DAYS")
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|d: &i64| *d > 0)
        .unwrap_or(365)
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
            isize::try_from(max_days()).unwrap_or(isize::MAX),
        ));
        days.description = Some(format!(
            "Days until it expires: {DEFAULT_DAYS} unless given, at most {} (the server's maximum).",
            max_days()
        ));
    }
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct ListParams {
    /// `true` (admins only): everyone's keys.
    all: Option<bool>,
}

/// Keys are managed by signed-in people, and by admin keys.
fn manager(caller: &Caller) -> Result<Option<i64>> {
    match caller {
        Caller::Person { user, .. } => Ok(Some(user.id)),
        Caller::Key { .. } if caller.can(Permission::Admin) => Ok(None),
        Caller::Cli => Ok(None),
        Caller::Key { .. } => Err(Error::Forbidden(
            "Keys are managed by people signed in, or with an admin key.".into(),
        )),
        Caller::Anonymous => Err(Error::Unauthorized(
            "Sign in to manage your API keys.".into(),
        )),
    }
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
    let me = manager(&caller)?;
    let all = params.all.unwrap_or(false) || me.is_none();
    if all && !caller.can(Permission::Admin) {
        return Err(Error::Forbidden("Only admins see everyone's keys.".into()));
    }
    let keys = api_keys::list(&state.store, if all { None } else { me }).await?;
    Ok(Json(app::model::KeyList { keys }))
}

/// Whether the caller may put `scope` on a key, or why not.
async fn check_scope(state: &AppState, caller: &Caller, scope: &str) -> Result<()> {
    let admin = caller.can(Permission::Admin);
    let role = caller.user().map(|u| u.role);
    let editor = admin || role >= Some(Role::Editor);
    let refuse = |why: &str| {
        Err(Error::Forbidden(format!(
            "You may not grant {scope:?}: {why}."
        )))
    };
    let Some(parsed) = Scope::parse(scope) else {
        return Err(Error::BadRequest(format!(
            "{scope:?} is not a scope: {}",
            Scope::EXPECTED
        )));
    };
    match parsed {
        Scope::Admin if admin => Ok(()),
        Scope::Admin => refuse("only admins may"),
        Scope::ReadUnpublished => Ok(()),
        Scope::ManageDashboards | Scope::ManageAnnotations if editor => Ok(()),
        Scope::ManageDashboards | Scope::ManageAnnotations => refuse("only editors and admins may"),
        Scope::WriteDataSet(name) => {
            let found = data_sets::list(&state.store)
                .await?
                .into_iter()
                .find(|d| d.name == name);
            let Some(data_set) = found else {
                return Err(Error::NotFound(format!("There is no data set `{name}`.")));
            };
            if admin {
                return Ok(());
            }
            if !editor {
                return refuse("only editors and admins may");
            }
            let service_orgs = access::service_orgs(&state.store, &data_set.data_group)
                .await?
                .unwrap_or_default();
            if access::covers(caller, &service_orgs) {
                Ok(())
            } else {
                refuse("the data set's service is not one of your organisations'")
            }
        }
    }
}

/// Makes a key; its secret is in the answer, and never again.
#[utoipa::path(post, path = "/api-keys", tag = "accounts", security(("bearer" = [])), request_body = KeyRequest,
    responses((status = 201, body = NewKey), (status = 400, body = app::model::ErrorBody),
              (status = 404, description = "The data set of a `data-set:NAME:write` scope does not exist", body = app::model::ErrorBody),
              (status = 401, body = app::model::ErrorBody), (status = 403, body = app::model::ErrorBody)))]
async fn create(State(state): State<AppState>, caller: Caller, body: Payload) -> Result<Response> {
    caller.require(Permission::ReadUnpublished)?;
    let owner = manager(&caller)?;
    let request: KeyRequest = body.json()?;
    let name = request.name.trim();
    if name.is_empty() || request.name.chars().count() > 100 {
        return Err(Error::BadRequest(
            "name the key (1 to 100 characters)".into(),
        ));
    }
    if request.scopes.is_empty() {
        return Err(Error::BadRequest("choose at least one scope".into()));
    }
    let mut scopes = request.scopes.clone();
    scopes.sort();
    scopes.dedup();
    for scope in &scopes {
        check_scope(&state, &caller, scope).await?;
    }
    let days = request.expires_in_days.unwrap_or(DEFAULT_DAYS);
    let max = max_days();
    if !(1..=max).contains(&days) {
        return Err(Error::BadRequest(format!(
            "expires_in_days must be from 1 to {max}"
        )));
    }
    let now = Utc::now();
    let mut w = state.store.write().await?;
    let new = api_keys::create_owned(
        &mut w,
        name,
        &scopes,
        Some(now + Duration::days(days)),
        None,
        owner,
        now,
    )
    .await?;
    w.commit(Note::new(
        &caller.actor(),
        "key.create",
        format!("key {}", new.key.id),
        json!({ "name": name, "scopes": scopes, "prefix": new.key.prefix }),
        now,
    ))
    .await?;
    Ok((StatusCode::CREATED, Json(new)).into_response())
}

/// The key with this id, if the caller may manage it (their own; an admin any).
async fn managed(state: &AppState, caller: &Caller, id: i64) -> Result<ApiKey> {
    let me = manager(caller)?;
    let key = api_keys::find(&state.store, id).await?;
    match key {
        Some(k) if caller.can(Permission::Admin) || (me.is_some() && k.owner_id == me) => Ok(k),
        _ => Err(Error::NotFound(format!("You have no key {id}."))),
    }
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
    caller.require(Permission::ReadUnpublished)?;
    let key = managed(&state, &caller, id).await?;
    let now = Utc::now();
    let mut w = state.store.write().await?;
    api_keys::revoke(&mut w, key.id, now).await?;
    w.commit(Note::new(
        &caller.actor(),
        "key.revoke",
        format!("key {id}"),
        json!({ "name": key.name, "prefix": key.prefix }),
        now,
    ))
    .await?;
    Ok(Json(api_keys::find(&state.store, id).await?.unwrap_or(key)))
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
    caller.require(Permission::ReadUnpublished)?;
    let key = managed(&state, &caller, id).await?;
    if key.revoked_at.is_some() {
        return Err(Error::Conflict(format!(
            "The key {id} is revoked: make a new one instead."
        )));
    }
    let now = Utc::now();
    let mut w = state.store.write().await?;
    let new = api_keys::rotate(&mut w, &key, now).await?;
    w.commit(Note::new(
        &caller.actor(),
        "key.rotate",
        format!("key {id}"),
        json!({ "new_key": new.key.id, "prefix": new.key.prefix }),
        now,
    ))
    .await?;
    Ok((StatusCode::CREATED, Json(new)).into_response())
}
