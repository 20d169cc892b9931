//! A person's weekly digests of boards: `GET`/`POST /api/v1/digests`,
//! `DELETE /api/v1/digests/{id}` and `POST /api/v1/digests/{id}/copy` (the
//! Notifications settings page uses them).

use app::model::{Digest, DigestCopy, DigestList, Done, NewDigest};
use axum::{extract::State, http::StatusCode, Json};
use utoipa_axum::{router::OpenApiRouter, routes};

use super::extract::{Path, Payload};
use super::AppState;
use crate::domain::caller::Caller;
use crate::domain::digests;
use crate::error::Result;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(delete))
        .routes(routes!(copy))
}

/// Your weekly digests of boards, when they are sent, and whether e-mail
/// reaches you (anyone signed in, or a key with an owner).
#[utoipa::path(get, path = "/digests", tag = "accounts", security(("bearer" = [])),
    responses((status = 200, body = DigestList),
              (status = 401, body = app::model::ErrorBody), (status = 403, body = app::model::ErrorBody)))]
async fn list(State(state): State<AppState>, caller: Caller) -> Result<Json<DigestList>> {
    Ok(Json(
        digests::list(&state.ctx(&caller), &state.mail.settings).await?,
    ))
}

/// Asks for a board (a department's or an agency's, or a portfolio) by
/// e-mail each week: its headline figures, what changed, what needs
/// attention and the week's new notes, from the next time digests are sent.
#[utoipa::path(post, path = "/digests", tag = "accounts", security(("bearer" = [])),
    request_body = NewDigest,
    responses((status = 201, body = Digest), (status = 400, body = app::model::ErrorBody),
              (status = 401, body = app::model::ErrorBody), (status = 403, body = app::model::ErrorBody),
              (status = 404, description = "No such board", body = app::model::ErrorBody),
              (status = 409, description = "You already get this board", body = app::model::ErrorBody),
              (status = 415, body = app::model::ErrorBody),
              (status = 422, description = "You have 50 digests", body = app::model::ErrorBody)))]
async fn create(
    State(state): State<AppState>,
    caller: Caller,
    body: Payload,
) -> Result<(StatusCode, Json<Digest>)> {
    caller.check_csrf()?;
    digests::owner_of(&caller)?;
    let new: NewDigest = body.json()?;
    Ok((
        StatusCode::CREATED,
        Json(digests::create(&state.ctx(&caller), &state.mail.settings, &new).await?),
    ))
}

/// Stops one of your weekly digests (admins: anyone's).
#[utoipa::path(delete, path = "/digests/{id}", tag = "accounts", security(("bearer" = [])),
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
    digests::delete(&state.ctx(&caller), id).await?;
    Ok(Json(Done::ok(format!("Weekly digest {id} stopped."))))
}

/// Sends you a copy of one of your weekly digests now, as it would be sent
/// (it changes nothing of the weekly one): at most one a minute.
#[utoipa::path(post, path = "/digests/{id}/copy", tag = "accounts", security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses((status = 202, body = DigestCopy), (status = 400, body = app::model::ErrorBody),
              (status = 401, body = app::model::ErrorBody), (status = 403, body = app::model::ErrorBody),
              (status = 404, body = app::model::ErrorBody),
              (status = 409, description = "E-mail to you is stopped", body = app::model::ErrorBody),
              (status = 429, description = "A copy was sent less than a minute ago", body = app::model::ErrorBody)))]
async fn copy(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> Result<(StatusCode, Json<DigestCopy>)> {
    caller.check_csrf()?;
    let to = digests::send_copy(&state.ctx(&caller), &state.mail.settings, id).await?;
    state.mail.wake();
    Ok((StatusCode::ACCEPTED, Json(DigestCopy { to })))
}
