//! Signing in and out: `/api/v1/session` and `/api/v1/sessions`.
//!
//! The sign-in and sign-out endpoints take JSON (answering JSON) or an HTML form
//! (answering with a redirect), so the pages work without JavaScript. Failed
//! sign-ins are throttled per account and per address, and the answer never says
//! whether an email belongs to anyone.

use app::model::SessionState;
use app::model::{Credentials, PasswordChange};
use axum::{
    extract::State,
    http::{header, HeaderMap, HeaderValue, StatusCode},
    response::{IntoResponse, Redirect, Response},
    Json,
};
use chrono::Utc;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::auth::{cleared_cookie, session_cookie};
use super::extract::{Path, Payload};
use super::AppState;
use crate::domain::caller::Caller;
use crate::domain::sessions::{self, SignIn};
use crate::error::{Error, Result};
use crate::http::client::ClientInfo;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(current, sign_in))
        .routes(routes!(sign_out))
        .routes(routes!(sign_out_everywhere))
        .routes(routes!(change_password))
        .routes(routes!(list))
        .routes(routes!(end_one))
}

const WRONG: &str = "Enter the email address and password of your Pulse account: \
    they did not match.";
const THROTTLED: &str = "Too many attempts to sign in. Wait 15 minutes, then try again.";

pub(super) fn is_form(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"))
}

pub(super) fn form_field(body: &[u8], name: &str) -> Option<String> {
    form_urlencoded::parse(body)
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

/// A path inside Pulse to go to after a form, never another site.
fn local_path(next: Option<String>) -> String {
    match next {
        Some(p) if p.starts_with('/') && !p.starts_with("//") && !p.contains('\\') => p,
        _ => "/".to_string(),
    }
}

/// Who is signed in (`user` null for nobody) and the CSRF token their changes
/// must carry.
#[utoipa::path(get, path = "/session", tag = "accounts", security((), ("bearer" = [])),
    responses((status = 200, body = SessionState)))]
async fn current(State(state): State<AppState>, caller: Caller) -> Json<SessionState> {
    let mail_enabled = state.mail.settings.enabled;
    Json(match &caller {
        Caller::Person { user, session, .. } => SessionState {
            user: Some(user.clone()),
            csrf_token: Some(session.csrf_token.clone()),
            mail_enabled,
        },
        _ => SessionState {
            mail_enabled,
            ..SessionState::default()
        },
    })
}

/// Signs in with an email and password (JSON, or an HTML form with `next`):
/// sets the session cookie. Five failures for an account from one address,
/// twenty from an address, or fifty for an account from anywhere, in 15
/// minutes stop further tries from there for a while. The address is the
/// client's, as trusted proxies name it (`--trusted-proxies`).
#[utoipa::path(post, path = "/session", tag = "accounts",
    request_body(content = Credentials, description = "JSON, or a form with `email`, `password` and `next`"),
    responses((status = 200, body = SessionState), (status = 303, description = "A form: to `next`, or back to the sign-in page"),
              (status = 401, body = app::model::ErrorBody), (status = 429, body = app::model::ErrorBody)))]
async fn sign_in(
    State(state): State<AppState>,
    client: ClientInfo,
    headers: HeaderMap,
    body: Payload,
) -> Result<Response> {
    let form = is_form(&headers);
    let (email, password, next) = if form {
        (
            form_field(body.bytes(), "email").unwrap_or_default(),
            form_field(body.bytes(), "password").unwrap_or_default(),
            Some(local_path(form_field(body.bytes(), "next"))),
        )
    } else {
        let c: Credentials = body.json()?;
        (c.email, c.password, None)
    };
    let email = email.trim().to_lowercase();
    let ip = client.address_text();
    let back = |error: &str| {
        let mut url = format!("/sign-in?error={error}");
        if !email.is_empty() {
            url.push_str(&format!("&email={}", app::api::encode_component(&email)));
        }
        Redirect::to(&url).into_response()
    };
    if email.is_empty() || password.is_empty() {
        return Ok(if form {
            back("missing")
        } else {
            Error::BadRequest("Enter your email address and your password.".into()).into_response()
        });
    }
    let agent = headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let (user, session, token) =
        match sessions::sign_in(&state.store, &email, &password, &ip, agent, Utc::now()).await? {
            SignIn::Started(started) => (started.user, started.session, started.token),
            SignIn::Throttled if form => return Ok(back("throttled")),
            SignIn::Throttled => {
                return Ok((
                    StatusCode::TOO_MANY_REQUESTS,
                    Json(app::model::ErrorBody {
                        status: "error".into(),
                        message: THROTTLED.into(),
                    }),
                )
                    .into_response())
            }
            SignIn::Wrong if form => return Ok(back("credentials")),
            SignIn::Wrong => return Ok(Error::Unauthorized(WRONG.into()).into_response()),
        };
    let cookie = HeaderValue::from_str(&session_cookie(&token, client.https))
        .map_err(|e| Error::Internal(e.into()))?;
    let mut response = match next {
        Some(next) => Redirect::to(&next).into_response(),
        None => Json(SessionState {
            user: Some(user),
            csrf_token: Some(session.csrf_token),
            mail_enabled: state.mail.settings.enabled,
        })
        .into_response(),
    };
    response.headers_mut().insert(header::SET_COOKIE, cookie);
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}

/// The CSRF token a request carries: the header for JSON, the field for a form.
fn checked(caller: &Caller, headers: &HeaderMap, body: &[u8]) -> Result<()> {
    let Caller::Person { .. } = caller else {
        return Err(Error::Unauthorized("You are not signed in.".into()));
    };
    let token = if is_form(headers) {
        form_field(body, "csrf_token").unwrap_or_default()
    } else {
        headers
            .get("x-csrf-token")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string()
    };
    caller.require_with_form_token(crate::domain::caller::Permission::ReadUnpublished, &token)
}

fn signed_out(client: &ClientInfo, headers: &HeaderMap, message: &str) -> Result<Response> {
    let cookie = HeaderValue::from_str(&cleared_cookie(client.https))
        .map_err(|e| Error::Internal(e.into()))?;
    let mut response = if is_form(headers) {
        Redirect::to("/sign-in?signed-out=1").into_response()
    } else {
        Json(app::model::Done::ok(message)).into_response()
    };
    response.headers_mut().insert(header::SET_COOKIE, cookie);
    Ok(response)
}

/// Signs out of this session (JSON with `X-CSRF-Token`, or a form with `csrf_token`).
#[utoipa::path(post, path = "/session/sign-out", tag = "accounts", security((), ("bearer" = [])),
    request_body(content = String, description = "Nothing (JSON callers send `X-CSRF-Token`), or a form with `csrf_token`", content_type = "application/x-www-form-urlencoded"),
    responses((status = 200, body = app::model::Done), (status = 303, description = "A form: to the sign-in page"),
              (status = 401, body = app::model::ErrorBody), (status = 403, body = app::model::ErrorBody)))]
async fn sign_out(
    State(state): State<AppState>,
    caller: Caller,
    client: ClientInfo,
    headers: HeaderMap,
    body: Payload,
) -> Result<Response> {
    checked(&caller, &headers, body.bytes())?;
    sessions::sign_out(&state.ctx(&caller)).await?;
    signed_out(&client, &headers, "You have signed out.")
}

/// Ends every session of the signed-in person, this one too.
#[utoipa::path(post, path = "/session/sign-out-everywhere", tag = "accounts", security((), ("bearer" = [])),
    request_body(content = String, description = "Nothing (JSON callers send `X-CSRF-Token`), or a form with `csrf_token`", content_type = "application/x-www-form-urlencoded"),
    responses((status = 200, body = app::model::Done), (status = 303, description = "A form: to the sign-in page"),
              (status = 401, body = app::model::ErrorBody), (status = 403, body = app::model::ErrorBody)))]
async fn sign_out_everywhere(
    State(state): State<AppState>,
    caller: Caller,
    client: ClientInfo,
    headers: HeaderMap,
    body: Payload,
) -> Result<Response> {
    checked(&caller, &headers, body.bytes())?;
    let ended = sessions::sign_out_everywhere(&state.ctx(&caller)).await?;
    signed_out(&client, &headers, &format!("{ended} session(s) ended."))
}

/// Changes the signed-in person's password; their other sessions end.
#[utoipa::path(put, path = "/session/password", tag = "accounts", security(("bearer" = [])), request_body = PasswordChange,
    responses((status = 200, body = app::model::Done), (status = 400, body = app::model::ErrorBody), (status = 422, description = "A password among the most common (or made of the email address)", body = app::model::ErrorBody),
              (status = 401, body = app::model::ErrorBody), (status = 403, body = app::model::ErrorBody)))]
async fn change_password(
    State(state): State<AppState>,
    caller: Caller,
    body: Payload,
) -> Result<Json<app::model::Done>> {
    caller.require(crate::domain::caller::Permission::ReadUnpublished)?;
    let change: PasswordChange = body.json()?;
    crate::domain::users::change_own_password(
        &state.ctx(&caller),
        &change.current_password,
        &change.new_password,
    )
    .await?;
    Ok(Json(app::model::Done::ok(
        "Your password has been changed; your other sessions have ended.",
    )))
}

/// The signed-in person's live sessions, newest first (`current` marks this one).
#[utoipa::path(get, path = "/sessions", tag = "accounts", security(("bearer" = [])),
    responses((status = 200, body = app::model::SessionList),
              (status = 401, body = app::model::ErrorBody)))]
async fn list(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<app::model::SessionList>> {
    let Some(session) = caller.session() else {
        return Err(Error::Unauthorized("Sign in to see your sessions.".into()));
    };
    let sessions = sessions::mine(&state.ctx(&caller))
        .await?
        .into_iter()
        .map(|s| app::model::SessionInfo {
            current: s.id == session.id,
            id: s.id,
            user_id: s.user_id,
            created_at: s.created_at,
            last_seen_at: s.last_seen_at,
            expires_at: s.expires_at,
            address: s.address,
            user_agent: s.user_agent,
        })
        .collect();
    Ok(Json(app::model::SessionList { sessions }))
}

/// Ends one of the signed-in person's sessions.
#[utoipa::path(delete, path = "/sessions/{id}", tag = "accounts", security(("bearer" = [])), params(("id" = i64, Path)),
    responses((status = 200, body = app::model::Done), (status = 401, body = app::model::ErrorBody),
              (status = 403, body = app::model::ErrorBody), (status = 404, body = app::model::ErrorBody)))]
async fn end_one(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> Result<Json<app::model::Done>> {
    sessions::end_mine(&state.ctx(&caller), id).await?;
    Ok(Json(app::model::Done::ok(format!(
        "Session {id} has ended."
    ))))
}
