//! Who may change what in an organisation's service: the one
//! organisation-scoped check ([`require_service`]), and the one lookup of a
//! service's organisations ([`service_orgs`]).
//!
//! A service belongs to its department and, if it has one, its agency. A
//! person (or a key a person made) acts within their organisations; admins and
//! keys without an owner (a data set's own write token, a key made with the
//! command line) act everywhere their role or scopes allow.

use super::json::shown;
use std::collections::HashMap;

use crate::domain::caller::{Caller, Permission};
use crate::domain::Ctx;
use crate::error::{Error, Result};
use crate::store::{orgs, Store};

/// The department and agency of the service `slug`, or `None` when there is no
/// such service.
pub async fn service_orgs(store: &Store, slug: &str) -> Result<Option<Vec<String>>> {
    Ok(orgs::find_service(store, slug).await?.map(|(s, _)| {
        std::iter::once(s.department.slug)
            .chain(s.agency.map(|a| a.slug))
            .collect()
    }))
}

/// Every service's department and agency, by the service's slug.
pub async fn orgs_by_service(store: &Store) -> Result<HashMap<String, Vec<String>>> {
    Ok(orgs::list_services(store)
        .await?
        .iter()
        .map(|s| {
            let orgs = std::iter::once(s.department.slug.clone())
                .chain(s.agency.as_ref().map(|a| a.slug.clone()))
                .collect();
            (s.slug.clone(), orgs)
        })
        .collect())
}

/// Whether the caller's organisations include one of `orgs`.
pub fn covers(caller: &Caller, orgs: &[String]) -> bool {
    caller.covers(&orgs.iter().map(String::as_str).collect::<Vec<_>>())
}

/// Refuses a caller without `permission` (401 for nobody, 403 for somebody,
/// and the session's CSRF token for a change made with a cookie), or whose
/// organisations do not include one of `orgs`, the organisations of `what`
/// (e.g. `the service "register-a-birth"`, `the dashboard "tax"`).
pub fn require_in(
    caller: &Caller,
    permission: Permission,
    orgs: &[String],
    what: &str,
) -> Result<()> {
    caller.require(permission)?;
    if !covers(caller, orgs) {
        return Err(Error::Forbidden(format!(
            "{} belongs to an organisation that is not yours.",
            capitalised(what)
        )));
    }
    Ok(())
}

/// The organisation-scoped check for a change to the service `service`: a 404
/// when there is no such service, else as [`require_in`]. Returns the
/// service's organisations.
pub async fn require_service(
    ctx: &Ctx<'_>,
    permission: Permission<'_>,
    service: &str,
) -> Result<Vec<String>> {
    let caller = ctx.caller;
    let orgs = service_orgs(ctx.store, service)
        .await?
        .ok_or_else(|| Error::NotFound(format!("There is no service `{service}`.")))?;
    require_in(
        caller,
        permission,
        &orgs,
        &format!("the service {service:?}"),
    )?;
    Ok(orgs)
}

/// The check for making a new service run by `organisation`: an admin, or
/// someone who manages dashboards in that organisation (or its department).
pub async fn require_new_service(ctx: &Ctx<'_>, organisation: &str) -> Result<()> {
    let (caller, store) = (ctx.caller, ctx.store);
    if caller.can(Permission::Admin) {
        return caller.check_csrf();
    }
    caller.require(Permission::ManageDashboards)?;
    let org = orgs::find_org(store, organisation).await?;
    let mut org_slugs = vec![organisation.to_string()];
    if let Some(parent) = org.and_then(|o| o.parent) {
        org_slugs.push(parent);
    }
    if !covers(caller, &org_slugs) {
        return Err(Error::Forbidden(format!(
            "You may create services only in your own organisations, and {} is not one of them.",
            shown(organisation)
        )));
    }
    Ok(())
}

/// `s` with its first letter in upper case (for the start of a sentence).
pub fn capitalised(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(c) => c.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}
