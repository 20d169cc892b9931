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

use super::auth::{cleared_cookie, cookie, session_cookie, waiting_cookie, WAITING_COOKIE};
use super::extract::{Path, Payload};
use super::AppState;
use crate::domain::caller::Caller;
use crate::domain::sessions::{self, SignIn};
use crate::domain::users;
use crate::error::{Error, Result};
use crate::http::client::ClientInfo;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(current, sign_in))
        .routes(routes!(second_step))
        .routes(routes!(sign_out))
        .routes(routes!(sign_out_everywhere))
        .routes(routes!(change_password))
        .routes(routes!(list))
        .routes(routes!(end_one))
}

const WRONG: &str = "Enter the email address and password of your Pulse account: \
    they did not match.";
const THROTTLED: &str = "Too many attempts to sign in. Wait 15 minutes, then try again.";

/// Refuses a request that signs someone in when a browser says it was sent
/// by another site's page (`Sec-Fetch-Site`): a form there could sign a
/// visitor in as its author, whose account then receives what they do
/// ("login CSRF"). Programs send no such header, and are not refused.
pub(super) fn from_this_site(headers: &HeaderMap) -> Result<()> {
    match headers.get("sec-fetch-site").map(|v| v.as_bytes()) {
        None | Some(b"same-origin") | Some(b"none") => Ok(()),
        Some(_) => Err(Error::Forbidden(
            "This form was sent from another site's page: Pulse signs people in from its own \
             pages only. Open Pulse and sign in there."
                .into(),
        )),
    }
}

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
    next.as_deref()
        .and_then(app::html::local_path)
        .unwrap_or("/")
        .to_string()
}

/// Whether admins require two factors of this person, who has not set them
/// up (and so acts as a viewer).
async fn two_factor_needed(state: &AppState, user_id: i64) -> bool {
    match crate::store::users::find(&state.store, user_id).await {
        Ok(Some(real)) => crate::domain::two_factor::needed(&state.store, user_id, real.user.role)
            .await
            .unwrap_or(false),
        _ => false,
    }
}

/// Who is signed in (`user` null for nobody) and the CSRF token their changes
/// must carry.
#[utoipa::path(get, path = "/session", tag = "accounts", security((), ("bearer" = [])),
    responses((status = 200, body = SessionState)))]
async fn current(State(state): State<AppState>, caller: Caller) -> Json<SessionState> {
    let mail_enabled = state.mail.settings.delivered();
    Json(match &caller {
        Caller::Person { user, session, .. } => SessionState {
            user: Some(user.clone()),
            csrf_token: Some(session.csrf_token.clone()),
            mail_enabled,
            two_factor_needed: two_factor_needed(&state, user.id).await,
            ..SessionState::default()
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
    responses((status = 403, description = "Sent by another site's page (`Sec-Fetch-Site`)", body = app::model::ErrorBody), (status = 200, body = SessionState), (status = 303, description = "A form: to `next`, or back to the sign-in page"),
              (status = 401, body = app::model::ErrorBody), (status = 429, body = app::model::ErrorBody)))]
async fn sign_in(
    State(state): State<AppState>,
    client: ClientInfo,
    headers: HeaderMap,
    body: Payload,
) -> Result<Response> {
    from_this_site(&headers)?;
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
    // No account has a longer address: refused before anything is counted
    // or kept (a 2 MB address was written down with each attempt).
    if email.chars().count() > users::MAX_EMAIL {
        if form {
            return Ok(Redirect::to("/sign-in?error=credentials").into_response());
        }
        users::normalise_email(&email)?;
    }
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
    let outcome =
        sessions::sign_in(&state.store, &email, &password, &ip, agent, Utc::now()).await?;
    match outcome {
        SignIn::Throttled if form => Ok(back("throttled")),
        SignIn::Wrong if form => Ok(back("credentials")),
        SignIn::Wrong => Ok(Error::Unauthorized(WRONG.into()).into_response()),
        SignIn::CodeNeeded(token) => {
            let waiting = HeaderValue::from_str(&waiting_cookie(Some(&token), client.https))
                .map_err(|e| Error::Internal(e.into()))?;
            let mut response = match next {
                Some(next) => Redirect::to(&format!(
                    "/sign-in/code?next={}",
                    app::api::encode_component(&next)
                ))
                .into_response(),
                None => Json(SessionState {
                    code_needed: true,
                    mail_enabled: state.mail.settings.delivered(),
                    ..SessionState::default()
                })
                .into_response(),
            };
            response.headers_mut().insert(header::SET_COOKIE, waiting);
            no_store(&mut response);
            Ok(response)
        }
        other => signed_in(&state, &client, other, next, THROTTLED).await,
    }
}

fn no_store(response: &mut Response) {
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
}

/// The answer to a sign-in that started a session (its cookie, and the
/// session's state or a redirect to `next`), or was throttled. Someone whose
/// admins require two factors they have not set up goes to the settings
/// page's part that sets them up.
async fn signed_in(
    state: &AppState,
    client: &ClientInfo,
    outcome: SignIn,
    next: Option<String>,
    throttled: &str,
) -> Result<Response> {
    let started = match outcome {
        SignIn::Started(started) => started,
        SignIn::Throttled => {
            return Ok((
                StatusCode::TOO_MANY_REQUESTS,
                Json(app::model::ErrorBody {
                    status: "error".into(),
                    message: throttled.into(),
                }),
            )
                .into_response())
        }
        _ => return Err(Error::Internal(anyhow::anyhow!("not a started session"))),
    };
    let cookie = HeaderValue::from_str(&session_cookie(&started.token, client.https))
        .map_err(|e| Error::Internal(e.into()))?;
    let needed =
        crate::domain::two_factor::needed(&state.store, started.user.id, started.user.role).await?;
    let mut response = match next {
        Some(_) if needed => Redirect::to("/settings/api-keys#two-factor-heading").into_response(),
        Some(next) => Redirect::to(&next).into_response(),
        None => {
            let mut user = started.user;
            if needed {
                user.role = app::model::Role::Viewer;
            }
            Json(SessionState {
                user: Some(user),
                csrf_token: Some(started.session.csrf_token),
                mail_enabled: state.mail.settings.delivered(),
                two_factor_needed: needed,
                ..SessionState::default()
            })
            .into_response()
        }
    };
    response.headers_mut().append(header::SET_COOKIE, cookie);
    no_store(&mut response);
    Ok(response)
}

const WRONG_CODE: &str = "Enter the 6-digit code your authentication app shows now, or one of \
    your recovery codes: that code did not match.";
const CODE_EXPIRED: &str = "Sign in again: the sign-in waiting for your code ended (after 10 \
    minutes, or because it was finished).";
const CODE_THROTTLED: &str = "Too many wrong codes. Wait 15 minutes, then sign in again (after 30 \
    in a day, wait until tomorrow). If you did not try them, someone has your password: change it.";

/// The second step of signing in with two factors: the code from the
/// person's authentication app (each works once), or one of their recovery
/// codes, for the sign-in waiting in the `pulse_sign_in` cookie (10 minutes).
/// JSON `{"code": …}`, or a form with `code` and `next`. Throttled like
/// passwords.
#[utoipa::path(post, path = "/session/code", tag = "accounts",
    request_body(content = app::model::TwoFactorCode, description = "JSON, or a form with `code` and `next`"),
    responses((status = 403, description = "Sent by another site's page (`Sec-Fetch-Site`)", body = app::model::ErrorBody), (status = 200, body = SessionState), (status = 303, description = "A form: to `next`, or back to the code page"),
              (status = 400, body = app::model::ErrorBody),
              (status = 401, description = "The code did not match, or no sign-in waits for one", body = app::model::ErrorBody),
              (status = 429, body = app::model::ErrorBody)))]
async fn second_step(
    State(state): State<AppState>,
    client: ClientInfo,
    headers: HeaderMap,
    body: Payload,
) -> Result<Response> {
    from_this_site(&headers)?;
    let form = is_form(&headers);
    let (code, next) = if form {
        (
            form_field(body.bytes(), "code").unwrap_or_default(),
            Some(local_path(form_field(body.bytes(), "next"))),
        )
    } else {
        let c: app::model::TwoFactorCode = body.json()?;
        (c.code, None)
    };
    let back = |error: &str| {
        let next = next.clone().unwrap_or_else(|| "/".into());
        Redirect::to(&format!(
            "/sign-in/code?error={error}&next={}",
            app::api::encode_component(&next)
        ))
        .into_response()
    };
    let Some(token) = cookie(&headers, WAITING_COOKIE).filter(|t| !t.is_empty()) else {
        return Ok(if form {
            Redirect::to("/sign-in?error=expired").into_response()
        } else {
            Error::Unauthorized(CODE_EXPIRED.into()).into_response()
        });
    };
    if code.trim().is_empty() {
        return Ok(if form {
            back("missing")
        } else {
            Error::BadRequest("Enter the code from your authentication app.".into()).into_response()
        });
    }
    let agent = headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let ip = client.address_text();
    let outcome = sessions::second_step(
        &state.store,
        &state.mail.settings,
        &token,
        &code,
        &ip,
        agent,
        Utc::now(),
    )
    .await;
    state.mail.wake();
    let outcome = outcome?;
    match outcome {
        SignIn::Expired if form => Ok(Redirect::to("/sign-in?error=expired").into_response()),
        SignIn::Expired => Ok(Error::Unauthorized(CODE_EXPIRED.into()).into_response()),
        SignIn::Throttled if form => Ok(back("throttled")),
        SignIn::Wrong if form => Ok(back("code")),
        SignIn::Wrong => Ok(Error::Unauthorized(WRONG_CODE.into()).into_response()),
        other => {
            let mut response = signed_in(&state, &client, other, next, CODE_THROTTLED).await?;
            if response.status() != StatusCode::TOO_MANY_REQUESTS {
                let cleared = HeaderValue::from_str(&waiting_cookie(None, client.https))
                    .map_err(|e| Error::Internal(e.into()))?;
                response.headers_mut().append(header::SET_COOKIE, cleared);
            }
            Ok(response)
        }
    }
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
              (status = 401, body = app::model::ErrorBody), (status = 403, description = "No CSRF token, or not the current password", body = app::model::ErrorBody),
              (status = 429, description = "Too many wrong passwords lately", body = app::model::ErrorBody)))]
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
