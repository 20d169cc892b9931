//! Invitations, password resets by e-mail, stopping e-mail, and the state of
//! e-mail: `/api/v1/invitations`, `/api/v1/invitation`,
//! `/api/v1/password-reset`, `/api/v1/mail`.
//!
//! What a person does from an e-mail's link (accept an invitation, set a new
//! password, stop e-mail) takes JSON or an HTML form, so the pages work
//! without JavaScript; a form is answered with a redirect to the page.

use app::model::{
    AcceptInvitation, Invitation, InvitationList, InvitationLookUp, InvitationSent, MailStatus,
    NewInvitationRequest, PasswordResetCompletion, PasswordResetLookUp, PasswordResetRequest,
    SessionState,
};
use axum::{
    extract::State,
    http::{header, HeaderMap, HeaderValue, StatusCode},
    response::{IntoResponse, Redirect, Response},
    Json,
};
use chrono::Utc;
use serde::Deserialize;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::auth::session_cookie;
use super::extract::{Path, Payload, Query};
use super::session::form_field;
use super::AppState;
use crate::domain::caller::Caller;
use crate::domain::invitations;
use crate::domain::sessions::Started;
use crate::error::{Error, Result};
use crate::http::client::ClientInfo;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, invite))
        .routes(routes!(withdraw))
        .routes(routes!(look_up, accept))
        .routes(routes!(look_up_reset, request_reset))
        .routes(routes!(complete_reset))
        .routes(routes!(unsubscribe))
        .routes(routes!(status))
}

/// The invitations the caller may see: all of them for admins, those they
/// sent for editors; newest first.
#[utoipa::path(get, path = "/invitations", tag = "accounts", security(("bearer" = [])),
    responses((status = 200, body = InvitationList),
              (status = 401, body = app::model::ErrorBody), (status = 403, body = app::model::ErrorBody)))]
async fn list(State(state): State<AppState>, caller: Caller) -> Result<Json<InvitationList>> {
    Ok(Json(InvitationList {
        invitations: invitations::list(&state.ctx(&caller)).await?,
    }))
}

/// Invites someone by e-mail to set their own password (admins; editors
/// as viewers or editors of their own organisations). The link works for 7
/// days, once. While e-mail is off, the answer carries the link instead.
#[utoipa::path(post, path = "/invitations", tag = "accounts", security(("bearer" = [])), request_body = NewInvitationRequest,
    responses((status = 201, body = InvitationSent), (status = 400, body = app::model::ErrorBody),
              (status = 401, body = app::model::ErrorBody), (status = 403, body = app::model::ErrorBody),
              (status = 404, description = "An organisation named does not exist", body = app::model::ErrorBody),
              (status = 409, description = "The address has an account, or an invitation waiting, or asked for no more e-mail while e-mail reaches people", body = app::model::ErrorBody)))]
async fn invite(State(state): State<AppState>, caller: Caller, body: Payload) -> Result<Response> {
    caller.check_csrf()?;
    caller.require(crate::domain::caller::Permission::ManageDashboards)?;
    let request: NewInvitationRequest = body.json()?;
    let sent = invitations::invite(&state.ctx(&caller), &state.mail.settings, &request).await?;
    state.mail.wake();
    Ok((StatusCode::CREATED, Json(sent)).into_response())
}

/// Withdraws an invitation still waiting (admins, or whoever sent it).
#[utoipa::path(delete, path = "/invitations/{id}", tag = "accounts", security(("bearer" = [])), params(("id" = i64, Path)),
    responses((status = 200, body = Invitation), (status = 401, body = app::model::ErrorBody),
              (status = 403, body = app::model::ErrorBody), (status = 404, body = app::model::ErrorBody),
              (status = 409, description = "Accepted, withdrawn or expired already", body = app::model::ErrorBody)))]
async fn withdraw(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> Result<Json<Invitation>> {
    Ok(Json(invitations::withdraw(&state.ctx(&caller), id).await?))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
struct TokenParams {
    /// The token from the e-mail's link.
    #[param(min_length = 1, max_length = 200)]
    token: String,
}

/// What an invitation's link invites to (its holder needs no account).
#[utoipa::path(get, path = "/invitation", tag = "accounts", params(TokenParams),
    responses((status = 200, body = InvitationLookUp), (status = 400, body = app::model::ErrorBody),
              (status = 404, description = "No invitation has this token", body = app::model::ErrorBody),
              (status = 410, description = "Used, withdrawn or expired", body = app::model::ErrorBody)))]
async fn look_up(
    State(state): State<AppState>,
    Query(params): Query<TokenParams>,
) -> Result<Response> {
    let found = invitations::look_up(&state.store, &params.token, Utc::now()).await?;
    Ok(private(Json(found).into_response()))
}

/// A response nobody keeps: it answers for a token.
fn private(mut response: Response) -> Response {
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// A session just started, as its cookie and the answer: JSON for a JSON
/// request, a redirect home for a form.
fn signed_in(
    started: Started,
    client: &ClientInfo,
    form: bool,
    mail_enabled: bool,
) -> Result<Response> {
    let cookie = HeaderValue::from_str(&session_cookie(&started.token, client.https))
        .map_err(|e| Error::Internal(e.into()))?;
    let mut response = if form {
        Redirect::to("/?welcome=1").into_response()
    } else {
        Json(SessionState {
            user: Some(started.user),
            csrf_token: Some(started.session.csrf_token),
            mail_enabled,
            ..SessionState::default()
        })
        .into_response()
    };
    response.headers_mut().insert(header::SET_COOKIE, cookie);
    Ok(private(response))
}

/// Where a form goes back to with what was wrong, in a word the page
/// explains (`password`: the password's rules; `link`: the link no longer
/// works).
fn back_with(page: &str, token: &str, error: &Error) -> Response {
    let code = match error {
        Error::BadRequest(_) | Error::Unprocessable(_) => "password",
        Error::Gone(_) | Error::NotFound(_) => "link",
        _ => "failed",
    };
    private(
        Redirect::to(&format!(
            "{page}?token={}&error={code}",
            app::api::encode_component(token)
        ))
        .into_response(),
    )
}

fn agent(headers: &HeaderMap) -> &str {
    headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
}

/// Accepts an invitation: the account is made with the name and password
/// given (12 to 256 characters, not a common one), and its holder is signed
/// in. JSON, or a form with `token`, `display_name` and `password` (then
/// answered with a redirect).
#[utoipa::path(post, path = "/invitation", tag = "accounts",
    request_body(content = AcceptInvitation, description = "JSON, or a form with the same fields"),
    responses((status = 403, description = "Sent by another site's page (`Sec-Fetch-Site`)", body = app::model::ErrorBody), (status = 200, body = SessionState), (status = 303, description = "A form: home, signed in; or back to the page with `error`"),
              (status = 400, body = app::model::ErrorBody), (status = 422, description = "A password among the most common (or made of the email address)", body = app::model::ErrorBody),
              (status = 404, description = "No invitation has this token", body = app::model::ErrorBody),
              (status = 409, description = "The address has an account already", body = app::model::ErrorBody),
              (status = 410, description = "Used, withdrawn or expired", body = app::model::ErrorBody)))]
async fn accept(
    State(state): State<AppState>,
    client: ClientInfo,
    headers: HeaderMap,
    body: Payload,
) -> Result<Response> {
    super::session::from_this_site(&headers)?;
    let form = body.is_form();
    let request = if form {
        let field = |name| form_field(body.bytes(), name).unwrap_or_default();
        AcceptInvitation {
            token: field("token"),
            display_name: field("display_name"),
            password: field("password"),
        }
    } else {
        body.json()?
    };
    let outcome = invitations::accept(
        &state.store,
        &request.token,
        &request.display_name,
        &request.password,
        &client.address_text(),
        agent(&headers),
        Utc::now(),
    )
    .await;
    match outcome {
        Ok(started) => signed_in(started, &client, form, state.mail.settings.delivered()),
        Err(e) if form => Ok(back_with("/invitation", &request.token, &e)),
        Err(e) => Err(e),
    }
}

/// Sends a link to set a new password (1 hour, once) to an address, if it
/// is an active account's. The answer is the same whether or not it is, so
/// it never tells who has an account; at most 3 links an hour per account.
/// JSON, or a form with `email` (answered with a redirect).
#[utoipa::path(post, path = "/password-reset", tag = "accounts",
    request_body(content = PasswordResetRequest, description = "JSON, or a form with `email`"),
    responses((status = 202, body = app::model::Done), (status = 303, description = "A form: to the page that says what happens next"),
              (status = 400, body = app::model::ErrorBody)))]
async fn request_reset(
    State(state): State<AppState>,
    client: ClientInfo,
    body: Payload,
) -> Result<Response> {
    let form = body.is_form();
    let email = if form {
        form_field(body.bytes(), "email").unwrap_or_default()
    } else {
        body.json::<PasswordResetRequest>()?.email
    };
    let outcome = invitations::request_reset(
        &state.store,
        &state.mail.settings,
        &email,
        &client.address_text(),
        Utc::now(),
    )
    .await;
    state.mail.wake();
    match outcome {
        Ok(()) if form => Ok(Redirect::to(&format!(
            "/forgot-password?sent={}",
            app::api::encode_component(email.trim())
        ))
        .into_response()),
        Ok(()) => Ok((
            StatusCode::ACCEPTED,
            Json(app::model::Done::ok(
                "If this address has a Pulse account, a link to set a new password is on its way \
                 to it. The link works for 1 hour.",
            )),
        )
            .into_response()),
        Err(Error::BadRequest(_)) if form => {
            Ok(Redirect::to("/forgot-password?error=email").into_response())
        }
        Err(e) => Err(e),
    }
}

/// Whose password a reset link sets, and until when it works.
#[utoipa::path(get, path = "/password-reset", tag = "accounts", params(TokenParams),
    responses((status = 200, body = PasswordResetLookUp), (status = 400, body = app::model::ErrorBody),
              (status = 404, description = "No reset has this token", body = app::model::ErrorBody),
              (status = 410, description = "Used or expired", body = app::model::ErrorBody)))]
async fn look_up_reset(
    State(state): State<AppState>,
    Query(params): Query<TokenParams>,
) -> Result<Response> {
    let found = invitations::look_up_reset(&state.store, &params.token, Utc::now()).await?;
    Ok(private(Json(found).into_response()))
}

/// Sets a new password from a reset link (12 to 256 characters, not a
/// common one): every session of the account ends, and one starts here.
/// JSON, or a form with `token` and `password` (answered with a redirect).
#[utoipa::path(post, path = "/password-reset/complete", tag = "accounts",
    request_body(content = PasswordResetCompletion, description = "JSON, or a form with the same fields"),
    responses((status = 403, description = "Sent by another site's page (`Sec-Fetch-Site`)", body = app::model::ErrorBody), (status = 200, body = SessionState), (status = 303, description = "A form: home, signed in; or back to the page with `error`"),
              (status = 400, body = app::model::ErrorBody), (status = 422, description = "A password among the most common (or made of the email address)", body = app::model::ErrorBody),
              (status = 404, description = "No reset has this token", body = app::model::ErrorBody),
              (status = 410, description = "Used or expired", body = app::model::ErrorBody)))]
async fn complete_reset(
    State(state): State<AppState>,
    client: ClientInfo,
    headers: HeaderMap,
    body: Payload,
) -> Result<Response> {
    super::session::from_this_site(&headers)?;
    let form = body.is_form();
    let request = if form {
        let field = |name| form_field(body.bytes(), name).unwrap_or_default();
        PasswordResetCompletion {
            token: field("token"),
            password: field("password"),
        }
    } else {
        body.json()?
    };
    let outcome = invitations::complete_reset(
        &state.store,
        &request.token,
        &request.password,
        &client.address_text(),
        agent(&headers),
        Utc::now(),
    )
    .await;
    match outcome {
        Ok((Some(started), _ended)) => {
            signed_in(started, &client, form, state.mail.settings.delivered())
        }
        // Two factors on: the new password and a code sign them in.
        Ok((None, _ended)) if form => Ok(Redirect::to("/sign-in?reset=1").into_response()),
        Ok((None, _ended)) => Ok(Json(SessionState {
            mail_enabled: state.mail.settings.delivered(),
            ..SessionState::default()
        })
        .into_response()),
        Err(e) if form => Ok(back_with("/reset-password", &request.token, &e)),
        Err(e) => Err(e),
    }
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
struct UnsubscribeParams {
    /// The address that wants no more e-mail (as the link names it).
    #[param(min_length = 1, max_length = 254)]
    address: String,
    /// The signature from the e-mail's link.
    #[param(min_length = 1, max_length = 200)]
    token: String,
}

/// Stops every e-mail Pulse would send an address unasked (invitations,
/// reminders, alerts, digests), from the signed link at the foot of each
/// e-mail, without signing in; a password reset the person asks for is still
/// sent. Mail clients' one-click unsubscribe (RFC 8058) posts here; the
/// `/unsubscribe` page's form too (answered with a redirect to it).
#[utoipa::path(post, path = "/mail/unsubscribe", tag = "accounts", params(UnsubscribeParams),
    request_body(content = String, description = "Nothing, `List-Unsubscribe=One-Click`, or the page's form", content_type = "application/x-www-form-urlencoded"),
    responses((status = 200, body = app::model::Done), (status = 303, description = "The page's form: back to it"),
              (status = 400, body = app::model::ErrorBody),
              (status = 403, description = "The link's signature is not this address's", body = app::model::ErrorBody)))]
async fn unsubscribe(
    State(state): State<AppState>,
    Query(params): Query<UnsubscribeParams>,
    body: Payload,
) -> Result<Response> {
    let from_page = body.is_form() && form_field(body.bytes(), "from_page").is_some();
    let outcome =
        invitations::unsubscribe(&state.store, &params.address, &params.token, Utc::now()).await;
    if from_page {
        let page = format!(
            "/unsubscribe?address={}&token={}",
            app::api::encode_component(&params.address),
            app::api::encode_component(&params.token)
        );
        return Ok(match outcome {
            Ok(_) => Redirect::to(&format!("{page}&done=1")).into_response(),
            Err(_) => Redirect::to(&format!("{page}&error=link")).into_response(),
        });
    }
    outcome?;
    Ok(Json(app::model::Done::ok(format!(
        "Pulse will send no more e-mail to {} unless it is asked for.",
        params.address.trim().to_lowercase()
    )))
    .into_response())
}

/// Whether Pulse sends e-mail (or writes it to its log), and the latest 100
/// messages with what became of each (admins).
#[utoipa::path(get, path = "/mail", tag = "accounts", security(("bearer" = [])),
    responses((status = 200, body = MailStatus),
              (status = 401, body = app::model::ErrorBody), (status = 403, body = app::model::ErrorBody)))]
async fn status(State(state): State<AppState>, caller: Caller) -> Result<Json<MailStatus>> {
    Ok(Json(
        invitations::status(&state.ctx(&caller), &state.mail.settings).await?,
    ))
}
