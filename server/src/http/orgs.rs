//! `/api/v1/organisations` and the writing half of `/api/v1/services`: the
//! departments and agencies, and the services they run. Anyone reads; an admin
//! key creates, replaces and deletes.

use app::model::{Organisation, ServiceInput};
use axum::{
    extract::State,
    http::StatusCode,
    response::{IntoResponse, Response},
    Json,
};
use chrono::Utc;
use serde_json::json;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::extract::{Path, Payload};
use super::AppState;
use crate::domain::access;
use crate::domain::caller::{Caller, Permission};
use crate::error::{Error, Result};
use crate::store::audit::Note;
use crate::store::orgs;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(show, replace, remove))
        .routes(routes!(create_service))
        .routes(routes!(replace_service, remove_service))
}

fn no_org(slug: &str) -> Error {
    Error::NotFound(format!("There is no organisation {slug:?}."))
}

fn same_slug(body: &str, address: &str) -> Result<()> {
    if body != address {
        return Err(Error::Unprocessable(format!(
            "the body's slug {body:?} is not the address's {address:?}"
        )));
    }
    Ok(())
}

/// Every department and agency.
#[utoipa::path(get, path = "/organisations", tag = "organisations",
    responses((status = 200, body = app::model::OrganisationList)))]
async fn list(State(state): State<AppState>) -> Result<Json<app::model::OrganisationList>> {
    Ok(Json(app::model::OrganisationList {
        organisations: orgs::list_orgs(&state.store).await?,
    }))
}

/// One department or agency.
#[utoipa::path(get, path = "/organisations/{slug}", tag = "organisations",
    params(("slug" = String, Path)),
    responses((status = 200, body = Organisation), (status = 404, body = app::model::ErrorBody)))]
async fn show(
    State(state): State<AppState>,
    Path(slug): Path<String>,
) -> Result<Json<Organisation>> {
    orgs::find_org(&state.store, &slug)
        .await?
        .map(Json)
        .ok_or_else(|| no_org(&slug))
}

/// Creates a department or an agency (admin key).
#[utoipa::path(post, path = "/organisations", tag = "organisations", security(("bearer" = [])),
    request_body = Organisation,
    responses((status = 201, body = Organisation), (status = 400, body = app::model::ErrorBody),
              (status = 404, description = "An agency's department does not exist", body = app::model::ErrorBody),
              (status = 409, body = app::model::ErrorBody),
              (status = 422, description = "An agency's parent is not a department", body = app::model::ErrorBody)))]
async fn create(State(state): State<AppState>, caller: Caller, body: Payload) -> Result<Response> {
    caller.require(Permission::Admin)?;
    let org: Organisation = body.json()?;
    if orgs::find_org(&state.store, &org.slug).await?.is_some() {
        return Err(Error::Conflict(format!(
            "The organisation {:?} already exists.",
            org.slug
        )));
    }
    let mut w = state.store.write().await?;
    crate::domain::orgs::save_org(&mut w, &org).await?;
    w.commit(Note::new(
        &caller.actor(),
        "organisation.create",
        format!("organisation {}", org.slug),
        serde_json::to_value(&org).unwrap_or_default(),
        Utc::now(),
    ))
    .await?;
    let saved = orgs::find_org(&state.store, &org.slug).await?;
    Ok((StatusCode::CREATED, Json(saved)).into_response())
}

/// Replaces a department or an agency (admin key).
#[utoipa::path(put, path = "/organisations/{slug}", tag = "organisations", security(("bearer" = [])),
    params(("slug" = String, Path)), request_body = Organisation,
    responses((status = 200, body = Organisation), (status = 400, description = "The body is not valid", body = app::model::ErrorBody),
              (status = 404, description = "No such organisation, or an agency's department does not exist", body = app::model::ErrorBody),
              (status = 409, body = app::model::ErrorBody),
              (status = 422, description = "The body's slug is not the address's, or an agency's parent is not a department", body = app::model::ErrorBody)))]
async fn replace(
    State(state): State<AppState>,
    caller: Caller,
    Path(slug): Path<String>,
    body: Payload,
) -> Result<Json<Organisation>> {
    caller.require(Permission::Admin)?;
    let org: Organisation = body.json()?;
    if orgs::find_org(&state.store, &slug).await?.is_none() {
        return Err(no_org(&slug));
    }
    same_slug(&org.slug, &slug)?;
    let mut w = state.store.write().await?;
    crate::domain::orgs::save_org(&mut w, &org).await?;
    w.commit(Note::new(
        &caller.actor(),
        "organisation.replace",
        format!("organisation {slug}"),
        serde_json::to_value(&org).unwrap_or_default(),
        Utc::now(),
    ))
    .await?;
    orgs::find_org(&state.store, &slug)
        .await?
        .map(Json)
        .ok_or_else(|| no_org(&slug))
}

/// Deletes an organisation that runs no service and has no agencies (admin key).
#[utoipa::path(delete, path = "/organisations/{slug}", tag = "organisations", security(("bearer" = [])),
    params(("slug" = String, Path)),
    responses((status = 200, body = app::model::Done), (status = 404, body = app::model::ErrorBody),
              (status = 409, body = app::model::ErrorBody)))]
async fn remove(
    State(state): State<AppState>,
    caller: Caller,
    Path(slug): Path<String>,
) -> Result<Json<app::model::Done>> {
    caller.require(Permission::Admin)?;
    let mut w = state.store.write().await?;
    if !orgs::delete_org(&mut w, &slug).await? {
        return Err(no_org(&slug));
    }
    w.commit(Note::new(
        &caller.actor(),
        "organisation.delete",
        format!("organisation {slug}"),
        json!({}),
        Utc::now(),
    ))
    .await?;

    Ok(Json(app::model::Done::ok(format!("{slug} was deleted"))))
}

fn no_service(slug: &str) -> Error {
    Error::NotFound(format!("There is no service called {slug:?}."))
}

/// Creates a service run by an organisation: admins, and editors (or keys
/// with `dashboards:write`) of that organisation or its department.
#[utoipa::path(post, path = "/services", tag = "services", security(("bearer" = [])),
    request_body = ServiceInput,
    responses((status = 201, body = app::model::ServiceListing), (status = 400, body = app::model::ErrorBody),
              (status = 404, description = "The organisation does not exist", body = app::model::ErrorBody),
              (status = 409, body = app::model::ErrorBody)))]
async fn create_service(
    State(state): State<AppState>,
    caller: Caller,
    body: Payload,
) -> Result<Response> {
    if !caller.can(Permission::Admin) {
        caller.require(Permission::ManageDashboards)?;
    }
    let service: ServiceInput = body.json()?;
    access::require_new_service(&caller, &state.store, &service.organisation).await?;
    if orgs::find_service(&state.store, &service.slug)
        .await?
        .is_some()
    {
        return Err(Error::Conflict(format!(
            "The service {:?} already exists.",
            service.slug
        )));
    }
    let mut w = state.store.write().await?;
    crate::domain::orgs::save_service(&mut w, &service).await?;
    w.commit(Note::new(
        &caller.actor(),
        "service.create",
        format!("service {}", service.slug),
        serde_json::to_value(&service).unwrap_or_default(),
        Utc::now(),
    ))
    .await?;
    let (listing, _) = orgs::find_service(&state.store, &service.slug)
        .await?
        .ok_or_else(|| no_service(&service.slug))?;
    Ok((StatusCode::CREATED, Json(listing)).into_response())
}

/// Replaces a service's title, description and organisation (admin key).
#[utoipa::path(put, path = "/services/{slug}", tag = "services", security(("bearer" = [])),
    params(("slug" = String, Path)), request_body = ServiceInput,
    responses((status = 200, body = app::model::ServiceListing), (status = 400, description = "The body is not valid", body = app::model::ErrorBody),
              (status = 404, description = "No such service, or the organisation does not exist", body = app::model::ErrorBody),
              (status = 422, description = "The body's slug is not the address's", body = app::model::ErrorBody)))]
async fn replace_service(
    State(state): State<AppState>,
    caller: Caller,
    Path(slug): Path<String>,
    body: Payload,
) -> Result<Json<app::model::ServiceListing>> {
    caller.require(Permission::Admin)?;
    let service: ServiceInput = body.json()?;
    if orgs::find_service(&state.store, &slug).await?.is_none() {
        return Err(no_service(&slug));
    }
    same_slug(&service.slug, &slug)?;
    let mut w = state.store.write().await?;
    crate::domain::orgs::save_service(&mut w, &service).await?;
    w.commit(Note::new(
        &caller.actor(),
        "service.replace",
        format!("service {slug}"),
        serde_json::to_value(&service).unwrap_or_default(),
        Utc::now(),
    ))
    .await?;
    let (listing, _) = orgs::find_service(&state.store, &slug)
        .await?
        .ok_or_else(|| no_service(&slug))?;
    Ok(Json(listing))
}

/// Deletes a service that has no data sets and no dashboard (admin key).
#[utoipa::path(delete, path = "/services/{slug}", tag = "services", security(("bearer" = [])),
    params(("slug" = String, Path)),
    responses((status = 200, body = app::model::Done), (status = 404, body = app::model::ErrorBody),
              (status = 409, body = app::model::ErrorBody)))]
async fn remove_service(
    State(state): State<AppState>,
    caller: Caller,
    Path(slug): Path<String>,
) -> Result<Json<app::model::Done>> {
    caller.require(Permission::Admin)?;
    let mut w = state.store.write().await?;
    if !orgs::delete_service(&mut w, &slug).await? {
        return Err(no_service(&slug));
    }
    w.commit(Note::new(
        &caller.actor(),
        "service.delete",
        format!("service {slug}"),
        json!({}),
        Utc::now(),
    ))
    .await?;

    Ok(Json(app::model::Done::ok(format!("{slug} was deleted"))))
}
