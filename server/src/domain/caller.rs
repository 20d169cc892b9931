//! Who is calling, and what they may do.
//!
//! Roles: a viewer reads unpublished dashboards of their organisations; an editor
//! also manages their dashboards and annotations; an admin does everything. An
//! API key does what its scopes say, within its owner's organisations when its
//! owner is not an admin. The command line acts as [`Caller::Cli`], which may do
//! everything. How a request's caller is found (key, cookie, CSRF token) is
//! the HTTP layer's business: [`crate::http::auth`].

use std::collections::HashMap;

use app::model::{Role, User};
use chrono::{DateTime, Utc};

use crate::error::{Error, Result};
use crate::store::{
    api_keys::{self, constant_time_eq, ApiKey},
    audit::Actor,
    data_sets::{self, DataSet},
    sessions::Session,
    users, Store,
};

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
    /// The command line, run by whoever runs the server: it may do
    /// everything.
    Cli,
}

/// The scope a key needs for `p`: `None` for [`Permission::Admin`], which
/// only the `admin` scope gives.
fn key_scope(p: Permission) -> Option<String> {
    Some(match p {
        Permission::Admin => return None,
        Permission::ReadUnpublished => READ_UNPUBLISHED.to_string(),
        Permission::ManageDashboards => MANAGE_DASHBOARDS.to_string(),
        Permission::ManageAnnotations => MANAGE_ANNOTATIONS.to_string(),
        Permission::WriteDataSet(name) => api_keys::write_scope(name),
    })
}

/// Who the caller is, in each place a change names them: rendered once, by
/// [`Caller::acting`].
#[derive(Clone, Debug)]
pub struct Acting {
    /// In the audit log.
    pub actor: Actor,
    /// In a record's correction history: `user:EMAIL`, `key:PREFIX`, `cli`.
    pub history: String,
    /// As what they write is signed (a note's author, a portfolio's owner):
    /// the person (or a key's owner), else the key or the command line by name.
    pub author: (Option<i64>, String),
}

impl Caller {
    /// The caller a valid key makes: the key with its owner as the owner is
    /// now (role, organisations, and the two factors admins may require of
    /// them), looked up on every use. A key whose owner has
    /// been deactivated (or deleted) is refused (401). A key without an owner
    /// belongs to what it was made for (a data set's write token, a key made
    /// with the command line) and stands on its scopes alone.
    pub async fn of_key(store: &Store, key: ApiKey) -> Result<Caller> {
        let owner = match key.owner_id {
            Some(id) => {
                let owner = users::find(store, id).await?.map(|u| u.user);
                match owner {
                    // As signed in, so by key: an admin or editor that
                    // admins require two factors of acts as a viewer until
                    // they set them up.
                    Some(u) if u.active => Some(super::two_factor::as_acting(store, u).await?),
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
        store: &Store,
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
                let orgs = crate::domain::access::service_orgs(store, group)
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
        if let Caller::Person { user, .. } = self {
            return Caller::person_may_read(user, data_set, service_orgs);
        }
        data_set.published || (self.can(Permission::ReadUnpublished) && self.covers(service_orgs))
    }

    /// Whether `user`, signed in, may read `data_set` (of a service of
    /// `service_orgs`): what [`Caller::may_read`] says of them, for work done
    /// on their behalf while they are away (their alerts).
    pub fn person_may_read(user: &User, data_set: &DataSet, service_orgs: &[&str]) -> bool {
        data_set.published
            || user.role == Role::Admin
            || user
                .organisations
                .iter()
                .any(|mine| service_orgs.iter().any(|o| o == mine))
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

    /// Who this is, in the audit log, a record's history and what they sign.
    pub fn acting(&self) -> Acting {
        let (actor, via, history, author) = match self {
            Caller::Anonymous => (
                "anonymous".to_string(),
                "none",
                "anonymous".to_string(),
                (None, "anonymous".to_string()),
            ),
            Caller::Person { user, session, .. } => (
                format!("user {} ({}), session {}", user.id, user.email, session.id),
                "session",
                format!("user:{}", user.email),
                (Some(user.id), user.display_name.clone()),
            ),
            Caller::Key { key, owner } => (
                format!("key {} ({})", key.id, key.prefix),
                "key",
                format!("key:{}", key.prefix),
                match owner {
                    Some(o) => (Some(o.id), o.display_name.clone()),
                    None => (None, format!("API key {:?}", key.name)),
                },
            ),
            Caller::Cli => {
                return Acting {
                    actor: Actor::cli(),
                    history: "cli".to_string(),
                    author: (None, "the command line".to_string()),
                }
            }
        };
        Acting {
            actor: Actor { label: actor, via },
            history,
            author,
        }
    }

    /// Who this is, for the audit log.
    pub fn actor(&self) -> Actor {
        self.acting().actor
    }

    fn is_admin(&self) -> bool {
        match self {
            Caller::Person { user, .. } => user.role == Role::Admin,
            Caller::Key { key, owner } => {
                key.is_admin() && owner.as_ref().is_none_or(|o| o.role == Role::Admin)
            }
            Caller::Cli => true,
            Caller::Anonymous => false,
        }
    }

    /// Whether the caller may do `p` at all (before organisations are looked at).
    pub fn can(&self, p: Permission) -> bool {
        if self.is_admin() {
            return true;
        }
        match self {
            Caller::Anonymous | Caller::Cli => false,
            Caller::Person { user, .. } => match p {
                Permission::Admin | Permission::WriteDataSet(_) => false,
                Permission::ReadUnpublished => true,
                Permission::ManageDashboards | Permission::ManageAnnotations => {
                    user.role >= Role::Editor
                }
            },
            Caller::Key { key, owner } => {
                let Some(scope) = key_scope(p) else {
                    return false;
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
            Caller::Key { owner: None, .. } | Caller::Cli => return true,
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
                user.role.with_article()
            ))),
            // The key's scopes allow it, and its owner as they are now does not.
            Caller::Key {
                key,
                owner: Some(owner),
            } if key.is_admin() || key_scope(p).is_some_and(|s| key.scopes.contains(&s)) => {
                Err(Error::Forbidden(format!(
                    "This key does what its owner, {}, may do now, and as {} they may not do this{}.",
                    owner.email,
                    owner.role.with_article(),
                    if owner.role == Role::Viewer {
                        " (an admin or editor acts as a viewer until they set up the \
                         two-factor sign-in that admins require)"
                    } else {
                        ""
                    }
                )))
            }
            Caller::Key { .. } => Err(Error::Forbidden(
                "This key's scopes do not allow this.".into(),
            )),
            Caller::Cli => Ok(()),
        }
    }

    /// `user` as they read when signed in, for what Pulse works out to send
    /// them (a digest of a board): no session, and nothing may be changed
    /// as this caller (it carries no CSRF token).
    pub fn reading_as(user: User) -> Caller {
        let never = DateTime::<Utc>::UNIX_EPOCH;
        Caller::Person {
            session: Session {
                id: 0,
                user_id: user.id,
                csrf_token: String::new(),
                created_at: never,
                last_seen_at: never,
                expires_at: never,
                address: String::new(),
                user_agent: String::new(),
            },
            user,
            csrf_ok: false,
            changes: false,
        }
    }

    /// The person what Pulse e-mails this caller would belong to (`things`,
    /// as "alerts"): a signed-in person, or a key's owner; refused in words
    /// otherwise (401 for nobody, 403 for a key without an owner).
    pub fn person_to_mail(&self, things: &str) -> Result<&User> {
        self.acting_user().ok_or_else(|| match self {
            Caller::Anonymous => Error::Unauthorized(format!("Sign in to manage your {things}.")),
            _ => Error::Forbidden(format!(
                "Your {things} are e-mailed to a person: use a key that belongs to someone, or \
                 sign in."
            )),
        })
    }

    /// A signed-in person or a key with an owner: the user acting.
    pub fn acting_user(&self) -> Option<&User> {
        match self {
            Caller::Person { user, .. } => Some(user),
            Caller::Key { owner, .. } => owner.as_ref(),
            Caller::Anonymous | Caller::Cli => None,
        }
    }
}

/// Whether a person's organisations include one of `orgs` (admins cover all).
fn belongs(user: &User, orgs: &[String]) -> bool {
    user.role == Role::Admin || user.organisations.iter().any(|mine| orgs.contains(mine))
}

/// The data sets whose figures `caller` may read, by (group, type), as
/// [`Caller::may_read`] decides: what the explorer, service pages, boards,
/// comparisons and the guide compute their figures from. A data set belongs to
/// the service its group names. Their schemas are left out.
pub async fn readable_data_sets(
    store: &Store,
    caller: &Caller,
) -> Result<HashMap<(String, String), DataSet>> {
    // (Figures never need a data set's schema.)
    let all = data_sets::list_without_schemas(store).await?;
    let insider = caller.can(Permission::ReadUnpublished);
    // (A data set outside a service is only for admins.)
    let services: HashMap<String, Vec<String>> = if insider && all.iter().any(|d| !d.published) {
        crate::domain::access::orgs_by_service(store).await?
    } else {
        HashMap::new()
    };
    Ok(all
        .iter()
        .filter(|d| {
            let orgs: Vec<&str> = services
                .get(&d.data_group)
                .map(|o| o.iter().map(String::as_str).collect())
                .unwrap_or_default();
            caller.may_read(d, &orgs)
        })
        .map(|d| ((d.data_group.clone(), d.data_type.clone()), d.clone()))
        .collect())
}

/// The address a client is counted under, for the connections it may hold
/// and the sign-ins it may try: an IPv4 address as it is, an IPv6 address by
/// its /64 (what one household or machine is given, so a client cannot
/// escape its limits by changing the rest).
pub fn counted_as(ip: std::net::IpAddr) -> std::net::IpAddr {
    use std::net::{IpAddr, Ipv6Addr};
    match ip {
        IpAddr::V4(_) => ip,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let s = v6.segments();
                IpAddr::V6(Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
            }
        },
    }
}

/// What clients hold (connections, live streams), by the address they are
/// counted under ([`counted_as`]).
#[derive(Debug, Default)]
pub struct Held(std::sync::Mutex<std::collections::HashMap<std::net::IpAddr, usize>>);

/// One thing counted against its address, until it is dropped.
#[derive(Debug)]
pub struct Place {
    held: std::sync::Arc<Held>,
    address: std::net::IpAddr,
}

impl Held {
    /// One more for `address` (as [`counted_as`] counts it), unless it holds
    /// `most` already.
    pub fn take(
        self: &std::sync::Arc<Self>,
        address: std::net::IpAddr,
        most: usize,
    ) -> Option<Place> {
        let address = counted_as(address);
        let mut held = self.0.lock().unwrap_or_else(|e| e.into_inner());
        let count = held.entry(address).or_default();
        if *count >= most {
            return None;
        }
        *count += 1;
        Some(Place {
            held: self.clone(),
            address,
        })
    }
}

impl Drop for Place {
    fn drop(&mut self) {
        let mut held = self.held.0.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(count) = held.get_mut(&self.address) {
            *count -= 1;
            if *count == 0 {
                held.remove(&self.address);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::IpAddr;

    #[test]
    fn an_ipv6_address_counts_by_its_64() {
        let a: IpAddr = "2001:db8:1:2:aaaa::1".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:bbbb::9".parse().unwrap();
        let c: IpAddr = "2001:db8:1:3::1".parse().unwrap();
        assert_eq!(counted_as(a), counted_as(b));
        assert_ne!(counted_as(a), counted_as(c));
        let mapped: IpAddr = "::ffff:192.0.2.7".parse().unwrap();
        assert_eq!(counted_as(mapped), "192.0.2.7".parse::<IpAddr>().unwrap());
    }

    #[test]
    fn an_address_holds_at_most_its_places_and_gets_them_back() {
        let held = std::sync::Arc::new(Held::default());
        let address: IpAddr = "192.0.2.1".parse().unwrap();
        let other: IpAddr = "192.0.2.2".parse().unwrap();
        let first = held.take(address, 2).unwrap();
        let _second = held.take(address, 2).unwrap();
        assert!(held.take(address, 2).is_none());
        assert!(held.take(other, 2).is_some());
        drop(first);
        assert!(held.take(address, 2).is_some());
    }
}
