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
use utoipa_axum::{router::OpenApiRouter, routes};

use super::extract::{Path, Payload};
use super::AppState;
use crate::domain::caller::{Caller, Permission};
use crate::domain::orgs;
use crate::error::Result;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(show, replace, remove))
        .routes(routes!(create_service))
        .routes(routes!(replace_service, remove_service))
}

/// Every department and agency.
#[utoipa::path(get, path = "/organisations", tag = "organisations",
    responses((status = 200, body = app::model::OrganisationList)))]
async fn list(State(state): State<AppState>) -> Result<Json<app::model::OrganisationList>> {
    Ok(Json(app::model::OrganisationList {
        organisations: crate::store::orgs::list_orgs(&state.store).await?,
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
    // Anyone reads an organisation, whoever they say they are.
    Ok(Json(
        orgs::find_org(&state.ctx(&Caller::Anonymous), &slug).await?,
    ))
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
    let saved = orgs::create_org(&state.ctx(&caller), &org).await?;
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
    Ok(Json(
        orgs::replace_org(&state.ctx(&caller), &slug, &org).await?,
    ))
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
    orgs::remove_org(&state.ctx(&caller), &slug).await?;
    Ok(Json(app::model::Done::ok(format!("{slug} was deleted"))))
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
    let listing = orgs::create_service(&state.ctx(&caller), &service).await?;
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
    Ok(Json(
        orgs::replace_service(&state.ctx(&caller), &slug, &service).await?,
    ))
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
    orgs::remove_service(&state.ctx(&caller), &slug).await?;
    Ok(Json(app::model::Done::ok(format!("{slug} was deleted"))))
}
