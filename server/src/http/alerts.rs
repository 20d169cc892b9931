//! A person's alerts on figures and whether Pulse may e-mail them:
//! `GET`/`POST /api/v1/alerts`, `DELETE /api/v1/alerts/{id}` and
//! `PUT /api/v1/e-mail` (the Notifications settings page uses them).

use app::model::{Alert, AlertList, Done, EmailChoice, NewAlert};
use axum::{extract::State, http::StatusCode, Json};
use utoipa_axum::{router::OpenApiRouter, routes};

use super::extract::{Path, Payload};
use super::AppState;
use crate::domain::alerts;
use crate::domain::caller::Caller;
use crate::error::Result;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(delete))
        .routes(routes!(email))
}

/// Your alerts on figures, and whether e-mail reaches you (anyone signed
/// in, or a key with an owner).
#[utoipa::path(get, path = "/alerts", tag = "accounts", security(("bearer" = [])),
    responses((status = 200, body = AlertList),
              (status = 401, body = app::model::ErrorBody), (status = 403, body = app::model::ErrorBody)))]
async fn list(State(state): State<AppState>, caller: Caller) -> Result<Json<AlertList>> {
    Ok(Json(
        alerts::list(&state.ctx(&caller), state.mail.settings.delivered()).await?,
    ))
}

/// Asks to be e-mailed when a service's KPI misses a target, moves more
/// than a given amount against the period before, or is unusual: once for
/// each complete period it happens in, from the next one on.
#[utoipa::path(post, path = "/alerts", tag = "accounts", security(("bearer" = [])),
    request_body = NewAlert,
    responses((status = 201, body = Alert), (status = 400, body = app::model::ErrorBody),
              (status = 401, body = app::model::ErrorBody), (status = 403, body = app::model::ErrorBody),
              (status = 404, description = "No such service that you can see", body = app::model::ErrorBody),
              (status = 409, description = "You already have this alert", body = app::model::ErrorBody),
              (status = 415, body = app::model::ErrorBody),
              (status = 422, description = "The service has no figures for the KPI, or you have 100 alerts", body = app::model::ErrorBody)))]
async fn create(
    State(state): State<AppState>,
    caller: Caller,
    body: Payload,
) -> Result<(StatusCode, Json<Alert>)> {
    caller.check_csrf()?;
    alerts::owner_of(&caller)?;
    let new: NewAlert = body.json()?;
    Ok((
        StatusCode::CREATED,
        Json(alerts::create(&state.ctx(&caller), &new).await?),
    ))
}

/// Deletes one of your alerts (admins: anyone's).
#[utoipa::path(delete, path = "/alerts/{id}", tag = "accounts", security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses((status = 200, body = Done), (status = 400, body = app::model::ErrorBody),
              (status = 401, body = app::model::ErrorBody), (status = 403, body = app::model::ErrorBody),
              (status = 404, body = app::model::ErrorBody)))]
async fn delete(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> Result<Json<Done>> {
    caller.check_csrf()?;
    alerts::delete(&state.ctx(&caller), id).await?;
    Ok(Json(Done::ok(format!("Alert {id} deleted."))))
}

/// Starts or stops e-mail from Pulse to you: invitations, reminders of late
/// data and alerts (a password reset you ask for is always sent).
#[utoipa::path(put, path = "/e-mail", tag = "accounts", security(("bearer" = [])),
    request_body = EmailChoice,
    responses((status = 200, body = EmailChoice), (status = 400, body = app::model::ErrorBody),
              (status = 401, body = app::model::ErrorBody), (status = 403, body = app::model::ErrorBody),
              (status = 415, body = app::model::ErrorBody)))]
async fn email(
    State(state): State<AppState>,
    caller: Caller,
    body: Payload,
) -> Result<Json<EmailChoice>> {
    caller.check_csrf()?;
    alerts::owner_of(&caller)?;
    let choice: EmailChoice = body.json()?;
    let receive = alerts::set_receiving(&state.ctx(&caller), choice.receive).await?;
    Ok(Json(EmailChoice { receive }))
}
