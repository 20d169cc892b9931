//! Who is calling, and what they may do.
//!
//! Every handler that needs to know takes a [`Caller`]: resolved from an
//! `Authorization: Bearer` API key (which wins when present; a key that is not
//! valid is a 401), else from the session cookie, else anonymous. A change made
//! with a session cookie (any method but GET, HEAD and OPTIONS) must carry the
//! session's CSRF token, as `X-CSRF-Token` or, for HTML forms, a `csrf_token`
//! field the handler passes on.
//!
//! Roles: a viewer reads unpublished dashboards of their organisations; an editor
//! also manages their dashboards and annotations; an admin does everything. An
//! API key does what its scopes say, within its owner's organisations when its
//! owner is not an admin.

use std::collections::HashMap;

use app::model::{Role, User};
use axum::{
    extract::FromRequestParts,
    http::{header, request::Parts, HeaderMap, Method},
};
use chrono::Utc;

use crate::error::{Error, Result};
use crate::state::AppState;
use crate::store::{
    api_keys::{self, constant_time_eq, ApiKey},
    audit::Actor,
    data_sets::{self, DataSet},
    sessions::{self, Session},
    users,
};

/// The session cookie's name.
pub const COOKIE: &str = "pulse_session";

/// Scopes a key can have besides `admin` and `data-set:NAME:write`.
pub use app::model::{MANAGE_ANNOTATIONS, MANAGE_DASHBOARDS, READ_UNPUBLISHED};

/// Something a caller may be allowed to do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Permission<'a> {
    /// Users, organisations, services, data sets, the audit log, anyone's keys.
    Admin,
    ReadUnpublished,
    ManageDashboards,
    ManageAnnotations,
    /// Write the records of the data set with this name.
    WriteDataSet(&'a str),
}

/// Who is calling.
#[derive(Clone, Debug)]
pub enum Caller {
    Anonymous,
    /// Signed in: `csrf_ok` says whether the request carried the session's token.
    Person {
        user: User,
        session: Session,
        csrf_ok: bool,
        changes: bool,
    },
    /// A program with an API key, and the key's owner if it has one.
    Key {
        key: ApiKey,
        owner: Option<User>,
    },
}

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

impl Caller {
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
                    Error::Unauthorized(
                        "The key is not valid, or has expired or been revoked.".into(),
                    )
                })?;
            return Caller::of_key(state, key).await;
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

    /// The caller a valid key makes: the key with its owner as the owner is
    /// now (role, organisations), looked up on every use. A key whose owner has
    /// been deactivated (or deleted) is refused (401). A key without an owner
    /// belongs to what it was made for (a data set's write token, a key made
    /// with the command line) and stands on its scopes alone.
    pub async fn of_key(state: &AppState, key: ApiKey) -> Result<Caller> {
        let owner = match key.owner_id {
            Some(id) => {
                let owner = users::find(&state.store, id).await?.map(|u| u.user);
                match owner {
                    Some(u) if u.active => Some(u),
                    _ => {
                        return Err(Error::Unauthorized(
                            "The key's owner has been deactivated.".into(),
                        ))
                    }
                }
            }
            None => None,
        };
        Ok(Caller::Key { key, owner })
    }

    /// Whether the caller may write the records of the data set `group/type`
    /// (through `/data` or an upload): a key with the data set's write scope
    /// (or an admin key). A key made by a person is held to that person as they
    /// are now: an editor or admin, whose organisations still include the data
    /// set's service's department or agency (admins cover all). A key without
    /// an owner (the data set's own write token) is held to its scope only.
    pub async fn may_write_records(
        &self,
        state: &AppState,
        group: &str,
        data_type: &str,
    ) -> Result<bool> {
        if !self.can(Permission::WriteDataSet(&data_sets::name(group, data_type))) {
            return Ok(false);
        }
        match self {
            Caller::Key {
                owner: Some(owner), ..
            } if owner.role != Role::Admin => {
                let orgs = crate::domain::access::service_orgs(&state.store, group)
                    .await?
                    .unwrap_or_default();
                Ok(belongs(owner, &orgs))
            }
            _ => Ok(true),
        }
    }

    /// Whether the caller may read the figures of `data_set`, whose service
    /// belongs to `service_orgs` (its department and agency): everyone reads a
    /// published data set's; an unpublished one's only those who may read
    /// unpublished data (signed-in people, keys with `read:unpublished`, admins)
    /// of one of those organisations. The one rule for every page and API
    /// that shows figures: see [`readable_data_sets`].
    pub fn may_read(&self, data_set: &DataSet, service_orgs: &[&str]) -> bool {
        data_set.published || (self.can(Permission::ReadUnpublished) && self.covers(service_orgs))
    }

    /// The signed-in person, if it is one.
    pub fn user(&self) -> Option<&User> {
        match self {
            Caller::Person { user, .. } => Some(user),
            _ => None,
        }
    }

    pub fn session(&self) -> Option<&Session> {
        match self {
            Caller::Person { session, .. } => Some(session),
            _ => None,
        }
    }

    /// Who this is in a record's correction history: `user:EMAIL`,
    /// `key:PREFIX` (the command line writes `cli`).
    pub fn history_label(&self) -> String {
        match self {
            Caller::Person { user, .. } => format!("user:{}", user.email),
            Caller::Key { key, .. } => format!("key:{}", key.prefix),
            Caller::Anonymous => "anonymous".into(),
        }
    }

    /// Who this is, for the audit log.
    pub fn actor(&self) -> Actor {
        match self {
            Caller::Anonymous => Actor {
                label: "anonymous".into(),
                via: "none",
            },
            Caller::Person { user, session, .. } => Actor {
                label: format!("user {} ({}), session {}", user.id, user.email, session.id),
                via: "session",
            },
            Caller::Key { key, .. } => Actor {
                label: format!("key {} ({})", key.id, key.prefix),
                via: "key",
            },
        }
    }

    fn is_admin(&self) -> bool {
        match self {
            Caller::Person { user, .. } => user.role == Role::Admin,
            Caller::Key { key, owner } => {
                key.is_admin() && owner.as_ref().is_none_or(|o| o.role == Role::Admin)
            }
            Caller::Anonymous => false,
        }
    }

    /// Whether the caller may do `p` at all (before organisations are looked at).
    pub fn can(&self, p: Permission) -> bool {
        if self.is_admin() {
            return true;
        }
        match self {
            Caller::Anonymous => false,
            Caller::Person { user, .. } => match p {
                Permission::Admin | Permission::WriteDataSet(_) => false,
                Permission::ReadUnpublished => true,
                Permission::ManageDashboards | Permission::ManageAnnotations => {
                    user.role >= Role::Editor
                }
            },
            Caller::Key { key, owner } => {
                let scope = match p {
                    Permission::Admin => return false,
                    Permission::ReadUnpublished => READ_UNPUBLISHED.to_string(),
                    Permission::ManageDashboards => MANAGE_DASHBOARDS.to_string(),
                    Permission::ManageAnnotations => MANAGE_ANNOTATIONS.to_string(),
                    Permission::WriteDataSet(name) => api_keys::write_scope(name),
                };
                let owner_may = match (owner, p) {
                    (None, _) => true,
                    (Some(o), Permission::ReadUnpublished) => o.role >= Role::Viewer,
                    (Some(o), _) => o.role >= Role::Editor,
                };
                owner_may && key.scopes.contains(&scope)
            }
        }
    }

    /// Whether the caller's organisations include one of `orgs` (the department
    /// and agency of a service). Admins and keys without an owner cover all.
    pub fn covers(&self, orgs: &[&str]) -> bool {
        if self.is_admin() {
            return true;
        }
        let user = match self {
            Caller::Person { user, .. } => user,
            Caller::Key { owner: Some(o), .. } => o,
            Caller::Key { owner: None, .. } => return true,
            Caller::Anonymous => return false,
        };
        user.organisations
            .iter()
            .any(|mine| orgs.iter().any(|o| o == mine))
    }

    /// Refuses what the caller may not do: 401 for nobody, 403 for somebody.
    /// A change made with a session cookie also needs its CSRF token.
    pub fn require(&self, p: Permission) -> Result<()> {
        self.check_csrf()?;
        self.allowed(p)
    }

    /// Refuses a change made with a session cookie but without its CSRF token
    /// (for changes anyone signed in may make, which [`Caller::require`] does
    /// not cover).
    pub fn check_csrf(&self) -> Result<()> {
        if let Caller::Person {
            csrf_ok: false,
            changes: true,
            ..
        } = self
        {
            return Err(Error::Forbidden(
                "This change needs your session's CSRF token: send it as X-CSRF-Token.".into(),
            ));
        }
        Ok(())
    }

    /// Who is acting, as what they write is signed: the person (or a key's
    /// owner), else the key by name.
    pub fn acting_as(&self) -> (Option<i64>, String) {
        match self {
            Caller::Person { user, .. } => (Some(user.id), user.display_name.clone()),
            Caller::Key {
                owner: Some(owner), ..
            } => (Some(owner.id), owner.display_name.clone()),
            Caller::Key { key, owner: None } => (None, format!("API key {:?}", key.name)),
            Caller::Anonymous => (None, "anonymous".into()),
        }
    }

    /// As [`Caller::require`], with the CSRF token of an HTML form.
    pub fn require_with_form_token(&self, p: Permission, token: &str) -> Result<()> {
        if let Caller::Person { session, .. } = self {
            if !constant_time_eq(token, &session.csrf_token) {
                return Err(Error::Forbidden(
                    "The form has expired: go back, reload the page and try again.".into(),
                ));
            }
        }
        self.allowed(p)
    }

    fn allowed(&self, p: Permission) -> Result<()> {
        if self.can(p) {
            return Ok(());
        }
        match self {
            Caller::Anonymous => Err(Error::Unauthorized(
                "Sign in, or send an API key as Authorization: Bearer <key>.".into(),
            )),
            Caller::Person { user, .. } => Err(Error::Forbidden(format!(
                "As {} you may not do this.",
                match user.role {
                    Role::Viewer => "a viewer",
                    Role::Editor => "an editor",
                    Role::Admin => "an admin",
                }
            ))),
            Caller::Key { .. } => Err(Error::Forbidden(
                "This key's scopes do not allow this.".into(),
            )),
        }
    }

    /// A signed-in person or a key with an owner: the user acting.
    pub fn acting_user(&self) -> Option<&User> {
        match self {
            Caller::Person { user, .. } => Some(user),
            Caller::Key { owner, .. } => owner.as_ref(),
            Caller::Anonymous => None,
        }
    }
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self> {
        Caller::resolve(state, &parts.headers, &parts.method).await
    }
}

/// Whether a person's organisations include one of `orgs` (admins cover all).
fn belongs(user: &User, orgs: &[String]) -> bool {
    user.role == Role::Admin || user.organisations.iter().any(|mine| orgs.contains(mine))
}

/// The data sets whose figures `caller` may read, by (group, type), as
/// [`Caller::may_read`] decides: what the explorer, service pages, boards,
/// comparisons and the guide compute their figures from. A data set belongs to
/// the service its group names.
pub async fn readable_data_sets(
    state: &AppState,
    caller: &Caller,
) -> Result<HashMap<(String, String), DataSet>> {
    let all = data_sets::list(&state.store).await?;
    let insider = caller.can(Permission::ReadUnpublished);
    // (A data set outside a service is only for admins.)
    let services: HashMap<String, Vec<String>> = if insider && all.iter().any(|d| !d.published) {
        crate::domain::access::orgs_by_service(&state.store).await?
    } else {
        HashMap::new()
    };
    Ok(all
        .into_iter()
        .filter(|d| {
            let orgs: Vec<&str> = services
                .get(&d.data_group)
                .map(|o| o.iter().map(String::as_str).collect())
                .unwrap_or_default();
            caller.may_read(d, &orgs)
        })
        .map(|d| ((d.data_group.clone(), d.data_type.clone()), d))
        .collect())
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
