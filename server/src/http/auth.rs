//! How a request's caller is found.
//!
//! Every handler that needs to know takes a [`Caller`]: resolved from an
//! `Authorization: Bearer` API key (which wins when present; a key that is not
//! valid is a 401), else from the session cookie, else anonymous. A change made
//! with a session cookie (any method but GET, HEAD and OPTIONS) must carry the
//! session's CSRF token, as `X-CSRF-Token` or, for HTML forms, a `csrf_token`
//! field the handler passes on. What a caller may do is the domain's rule
//! ([`crate::domain::caller`]).

use axum::{
    extract::FromRequestParts,
    http::{header, request::Parts, HeaderMap, Method},
};
use chrono::Utc;

use super::AppState;
use crate::domain::caller::Caller;
use crate::error::{Error, Result};
use crate::store::{
    api_keys::{self, constant_time_eq},
    sessions, users,
};

/// The session cookie's name.
pub const COOKIE: &str = "pulse_session";

fn cookie_value<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|pair| {
            let (k, v) = pair.trim().split_once('=')?;
            (k == name).then_some(v)
        })
}

/// Resolves the caller of a request (see the module's notes).
pub async fn resolve(state: &AppState, headers: &HeaderMap, method: &Method) -> Result<Caller> {
    let now = Utc::now();
    if let Some(value) = headers.get(header::AUTHORIZATION) {
        let token = value
            .to_str()
            .ok()
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim)
            .ok_or_else(|| {
                Error::Unauthorized("Send the key as Authorization: Bearer <key>.".into())
            })?;
        let key = api_keys::authenticate(&state.store, token, now)
            .await?
            .ok_or_else(|| {
                Error::Unauthorized("The key is not valid, or has expired or been revoked.".into())
            })?;
        return Caller::of_key(&state.store, key).await;
    }
    let Some(token) = cookie_value(headers, COOKIE) else {
        return Ok(Caller::Anonymous);
    };
    let Some(session) = sessions::find_live(&state.store, token, now).await? else {
        return Ok(Caller::Anonymous);
    };
    let user = match users::find(&state.store, session.user_id).await? {
        Some(u) if u.user.active => u.user,
        _ => return Ok(Caller::Anonymous),
    };
    // Admins require two factors of admins and editors: until they are set
    // up, such a person acts as a viewer.
    let user = crate::domain::two_factor::as_acting(&state.store, user).await?;
    let csrf_ok = headers
        .get("x-csrf-token")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| constant_time_eq(t, &session.csrf_token));
    let changes = !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS);
    Ok(Caller::Person {
        user,
        session,
        csrf_ok,
        changes,
    })
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self> {
        resolve(state, &parts.headers, &parts.method).await
    }
}

/// The `Set-Cookie` value of a new session: HttpOnly, SameSite=Lax, for the whole
/// site, Secure when the request came over HTTPS.
pub fn session_cookie(token: &str, secure: bool) -> String {
    format!(
        "{COOKIE}={token}; Path=/; HttpOnly; SameSite=Lax; Max-Age={}{}",
        sessions::ABSOLUTE.num_seconds(),
        if secure { "; Secure" } else { "" }
    )
}

/// The cookie that carries a sign-in waiting for its code.
pub const WAITING_COOKIE: &str = "pulse_sign_in";

/// The `Set-Cookie` value of a sign-in waiting for its code (`None` removes it).
pub fn waiting_cookie(token: Option<&str>, secure: bool) -> String {
    format!(
        "{WAITING_COOKIE}={}; Path=/api/v1/session; HttpOnly; SameSite=Lax; Max-Age={}{}",
        token.unwrap_or_default(),
        if token.is_some() {
            crate::domain::sessions::CODE_WAIT.num_seconds()
        } else {
            0
        },
        if secure { "; Secure" } else { "" }
    )
}

/// The value of the cookie `name`, if the request has it.
pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    cookie_value(headers, name).map(str::to_string)
}

/// The `Set-Cookie` value that removes the session cookie.
pub fn cleared_cookie(secure: bool) -> String {
    format!(
        "{COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0{}",
        if secure { "; Secure" } else { "" }
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_session_cookie_is_found_among_others() {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::COOKIE,
            "a=1; pulse_session=abc; b=2".parse().unwrap(),
        );
        assert_eq!(cookie_value(&headers, COOKIE), Some("abc"));
        assert_eq!(cookie_value(&headers, "c"), None);
    }

    #[test]
    fn cookies_are_http_only_and_lax_and_secure_over_https() {
        let c = session_cookie("t", false);
        assert!(c.contains("HttpOnly") && c.contains("SameSite=Lax") && !c.contains("Secure"));
        assert!(session_cookie("t", true).ends_with("; Secure"));
        assert!(cleared_cookie(false).contains("Max-Age=0"));
    }
}
