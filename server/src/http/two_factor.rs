//! Two-factor sign-in: `/api/v1/two-factor` (a signed-in person's own: see,
//! set up, confirm, turn off) and `/api/v1/two-factor/requirement` (admins
//! require it of admins and editors). The code at sign-in goes to
//! `POST /api/v1/session/code` ([`super::session`]).

use app::model::{
    RecoveryCodes, TwoFactorConfirm, TwoFactorOff, TwoFactorRequirement, TwoFactorSetup,
    TwoFactorStatus,
};
use axum::{extract::State, http::StatusCode, Json};
use utoipa_axum::{router::OpenApiRouter, routes};

use super::extract::Payload;
use super::AppState;
use crate::domain::caller::Caller;
use crate::domain::two_factor;
use crate::error::Result;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(status, confirm))
        .routes(routes!(setup))
        .routes(routes!(off))
        .routes(routes!(requirement))
}

/// The caller's two-factor sign-in: on or off, recovery codes left, and
/// whether admins require it.
#[utoipa::path(get, path = "/two-factor", tag = "accounts",
    responses((status = 200, body = TwoFactorStatus),
              (status = 401, body = app::model::ErrorBody), (status = 403, body = app::model::ErrorBody)))]
async fn status(State(state): State<AppState>, caller: Caller) -> Result<Json<TwoFactorStatus>> {
    Ok(Json(two_factor::status(&state.ctx(&caller)).await?))
}

/// Starts setting up two-factor sign-in: a new secret for an authentication
/// app, as a QR code (SVG, drawn by Pulse) and as text. Nothing changes at
/// sign-in until a code from the app confirms it.
#[utoipa::path(post, path = "/two-factor/setup", tag = "accounts",
    responses((status = 201, body = TwoFactorSetup),
              (status = 401, body = app::model::ErrorBody), (status = 403, body = app::model::ErrorBody),
              (status = 409, description = "Two-factor sign-in is on already", body = app::model::ErrorBody)))]
async fn setup(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<(StatusCode, Json<TwoFactorSetup>)> {
    Ok((
        StatusCode::CREATED,
        Json(two_factor::begin(&state.ctx(&caller)).await?),
    ))
}

/// Turns two-factor sign-in on, with a code from the app just set up and the
/// person's password: the answer holds 10 recovery codes, shown this once.
/// The person's other sessions end.
#[utoipa::path(post, path = "/two-factor", tag = "accounts", request_body = TwoFactorConfirm,
    responses((status = 201, body = RecoveryCodes), (status = 400, body = app::model::ErrorBody),
              (status = 401, body = app::model::ErrorBody),
              (status = 403, description = "No CSRF token, or not the person's password", body = app::model::ErrorBody),
              (status = 409, description = "Not being set up, or on already", body = app::model::ErrorBody),
              (status = 422, description = "The code did not match", body = app::model::ErrorBody),
              (status = 429, description = "Too many wrong passwords lately", body = app::model::ErrorBody)))]
async fn confirm(
    State(state): State<AppState>,
    caller: Caller,
    body: Payload,
) -> Result<(StatusCode, Json<RecoveryCodes>)> {
    caller.check_csrf()?;
    let request: TwoFactorConfirm = body.json()?;
    Ok((
        StatusCode::CREATED,
        Json(two_factor::confirm(&state.ctx(&caller), &request.code, &request.password).await?),
    ))
}

/// Turns two-factor sign-in off, given the person's password (refused while
/// admins require it of the person's role).
#[utoipa::path(post, path = "/two-factor/off", tag = "accounts", request_body = TwoFactorOff,
    responses((status = 200, body = TwoFactorStatus), (status = 400, body = app::model::ErrorBody),
              (status = 401, body = app::model::ErrorBody),
              (status = 403, description = "Not the person's password", body = app::model::ErrorBody),
              (status = 409, description = "Required of the person's role", body = app::model::ErrorBody),
              (status = 429, description = "Too many wrong passwords lately", body = app::model::ErrorBody)))]
async fn off(
    State(state): State<AppState>,
    caller: Caller,
    body: Payload,
) -> Result<Json<TwoFactorStatus>> {
    caller.check_csrf()?;
    let request: TwoFactorOff = body.json()?;
    Ok(Json(
        two_factor::disable(&state.ctx(&caller), &request.password).await?,
    ))
}

/// Requires two-factor sign-in of admins and editors, or stops requiring it
/// (admins, who must have it on themselves). Until they set it up, admins
/// and editors act as viewers.
#[utoipa::path(put, path = "/two-factor/requirement", tag = "accounts", request_body = TwoFactorRequirement,
    responses((status = 200, body = TwoFactorStatus), (status = 400, body = app::model::ErrorBody),
              (status = 401, body = app::model::ErrorBody), (status = 403, body = app::model::ErrorBody),
              (status = 409, description = "The admin has not turned it on for themselves", body = app::model::ErrorBody)))]
async fn requirement(
    State(state): State<AppState>,
    caller: Caller,
    body: Payload,
) -> Result<Json<TwoFactorStatus>> {
    caller.require(crate::domain::caller::Permission::Admin)?;
    let request: TwoFactorRequirement = body.json()?;
    Ok(Json(
        two_factor::require(&state.ctx(&caller), request.required).await?,
    ))
}
