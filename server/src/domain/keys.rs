//! API keys: who manages which, which scopes a maker may grant, and every
//! change to them (make, revoke, rotate), each one write with its audit row.
//!
//! Each person sees and manages their own keys; an admin sees and revokes
//! everyone's. A key's scopes are chosen from what its maker may do: a viewer
//! may grant `read:unpublished`; an editor also `dashboards:write`,
//! `annotations:write` and writing the data sets of their organisations'
//! services (`data-set:NAME:write`); an admin (and the command line)
//! anything, `admin` too.

use super::json::shown;
use app::model::{ApiKey, KeyRequest, NewKey, Role, Scope};
use chrono::Duration;
use serde_json::json;

use super::access;
use super::caller::{Caller, Permission};
use super::Ctx;
use crate::error::{Error, Result};
use crate::store::audit::Note;
use crate::store::{api_keys, data_sets};

/// Days a key lasts unless its maker says otherwise.
pub const DEFAULT_DAYS: i64 = 90;

/// The longest a key may last, in days: `PULSE_MAX_KEY_DAYS` (set by whoever runs
/// Pulse), 365 when unset.
pub fn max_days() -> i64 {
    std::env::var("PULSE_MAX_KEY_DAYS")
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|d: &i64| *d > 0)
        .unwrap_or(365)
}

/// Keys are managed by signed-in people, and by admin keys.
pub fn manager(caller: &Caller) -> Result<Option<i64>> {
    match caller {
        Caller::Person { user, .. } => Ok(Some(user.id)),
        Caller::Key { .. } if caller.can(Permission::Admin) => Ok(None),
        Caller::Cli => Ok(None),
        Caller::Key { .. } => Err(Error::Forbidden(
            "Keys are managed by people signed in, or with an admin key.".into(),
        )),
        Caller::Anonymous => Err(Error::Unauthorized(
            "Sign in to manage your API keys.".into(),
        )),
    }
}

/// The caller's keys, newest first (everyone's with `all`, for admins).
pub async fn list(ctx: &Ctx<'_>, all: bool) -> Result<Vec<ApiKey>> {
    let me = manager(ctx.caller)?;
    let all = all || me.is_none();
    if all && !ctx.caller.can(Permission::Admin) {
        return Err(Error::Forbidden("Only admins see everyone's keys.".into()));
    }
    Ok(api_keys::list(ctx.store, if all { None } else { me }).await?)
}

/// Whether the caller may put `scope` on a key, or why not.
async fn check_scope(ctx: &Ctx<'_>, scope: &str) -> Result<()> {
    let caller = ctx.caller;
    let admin = caller.can(Permission::Admin);
    let role = caller.user().map(|u| u.role);
    let editor = admin || role >= Some(Role::Editor);
    let refuse = |why: &str| {
        Err(Error::Forbidden(format!(
            "You may not grant {scope:?}: {why}."
        )))
    };
    let Some(parsed) = Scope::parse(scope) else {
        return Err(Error::BadRequest(format!(
            "{} is not a scope: {}",
            shown(scope),
            Scope::EXPECTED
        )));
    };
    match parsed {
        Scope::Admin if admin => Ok(()),
        Scope::Admin => refuse("only admins may"),
        Scope::ReadUnpublished => Ok(()),
        Scope::ManageDashboards | Scope::ManageAnnotations if editor => Ok(()),
        Scope::ManageDashboards | Scope::ManageAnnotations => refuse("only editors and admins may"),
        Scope::WriteDataSet(name) => {
            let found = data_sets::list(ctx.store)
                .await?
                .into_iter()
                .find(|d| d.name == name);
            let Some(data_set) = found else {
                return Err(Error::NotFound(format!("There is no data set `{name}`.")));
            };
            if admin {
                return Ok(());
            }
            if !editor {
                return refuse("only editors and admins may");
            }
            let service_orgs = access::service_orgs(ctx.store, &data_set.data_group)
                .await?
                .unwrap_or_default();
            if access::covers(caller, &service_orgs) {
                Ok(())
            } else {
                refuse("the data set's service is not one of your organisations'")
            }
        }
    }
}

/// Makes a key for the caller (the command line's and an admin key's have
/// no owner); its secret is in the answer, and never again.
pub async fn create(ctx: &Ctx<'_>, request: &KeyRequest) -> Result<NewKey> {
    ctx.caller.require(Permission::ReadUnpublished)?;
    let owner = manager(ctx.caller)?;
    let name = request.name.trim();
    if name.is_empty() || request.name.chars().count() > 100 {
        return Err(Error::BadRequest(
            "name the key (1 to 100 characters)".into(),
        ));
    }
    if request.scopes.is_empty() {
        return Err(Error::BadRequest("choose at least one scope".into()));
    }
    let mut scopes = request.scopes.clone();
    scopes.sort();
    scopes.dedup();
    for scope in &scopes {
        check_scope(ctx, scope).await?;
    }
    let days = request.expires_in_days.unwrap_or(DEFAULT_DAYS);
    let max = max_days();
    if !(1..=max).contains(&days) {
        return Err(Error::BadRequest(format!(
            "expires_in_days must be from 1 to {max}"
        )));
    }
    let mut w = ctx.store.write().await?;
    let new = api_keys::create_owned(
        &mut w,
        name,
        &scopes,
        Some(ctx.now + Duration::days(days)),
        None,
        owner,
        ctx.now,
    )
    .await?;
    w.commit(Note::new(
        &ctx.caller.actor(),
        "key.create",
        format!("key {}", new.key.id),
        json!({ "name": name, "scopes": scopes, "prefix": new.key.prefix }),
        ctx.now,
    ))
    .await?;
    Ok(new)
}

/// The key with this id, if the caller may manage it (their own; an admin any).
async fn managed(ctx: &Ctx<'_>, id: i64) -> Result<ApiKey> {
    let caller = ctx.caller;
    let me = manager(caller)?;
    let key = api_keys::find(ctx.store, id).await?;
    match key {
        Some(k) if caller.can(Permission::Admin) || (me.is_some() && k.owner_id == me) => Ok(k),
        _ => Err(Error::NotFound(format!("You have no key {id}."))),
    }
}

/// Revokes a key: it stops working at once.
pub async fn revoke(ctx: &Ctx<'_>, id: i64) -> Result<ApiKey> {
    ctx.caller.require(Permission::ReadUnpublished)?;
    let key = managed(ctx, id).await?;
    let mut w = ctx.store.write().await?;
    api_keys::revoke(&mut w, key.id, ctx.now).await?;
    w.commit(Note::new(
        &ctx.caller.actor(),
        "key.revoke",
        format!("key {id}"),
        json!({ "name": key.name, "prefix": key.prefix }),
        ctx.now,
    ))
    .await?;
    Ok(api_keys::find(ctx.store, id).await?.unwrap_or(key))
}

/// Replaces a key by a new secret with the same name, scopes and lifetime; the
/// old one is revoked.
pub async fn rotate(ctx: &Ctx<'_>, id: i64) -> Result<NewKey> {
    ctx.caller.require(Permission::ReadUnpublished)?;
    let key = managed(ctx, id).await?;
    // The new secret goes to whoever asks for it: someone else's key is
    // theirs to rotate (an admin may revoke it), else its uses would be
    // written down as theirs while someone else held it.
    if key.owner_id.is_some() && key.owner_id != manager(ctx.caller)? {
        return Err(Error::Forbidden(format!(
            "The key {id} is someone else's: only they may give it a new secret. Revoke it if it \
             must stop working."
        )));
    }
    if key.revoked_at.is_some() {
        return Err(Error::Conflict(format!(
            "The key {id} is revoked: make a new one instead."
        )));
    }
    // A new secret grants the key's scopes again: only as the caller may
    // grant them now (an admin acting as a viewer until they set up two
    // factors may not). A scope whose data set has gone grants nothing, and
    // does not stop the rest.
    for scope in &key.scopes {
        if let Err(Error::Forbidden(why)) = check_scope(ctx, scope).await {
            return Err(Error::Forbidden(format!(
                "{why} A new secret for the key {id} would grant it: revoke the key, or make \
                 one with scopes you may grant."
            )));
        }
    }
    let mut w = ctx.store.write().await?;
    let new = api_keys::rotate(&mut w, &key, ctx.now).await?;
    w.commit(Note::new(
        &ctx.caller.actor(),
        "key.rotate",
        format!("key {id}"),
        json!({ "new_key": new.key.id, "prefix": new.key.prefix }),
        ctx.now,
    ))
    .await?;
    Ok(new)
}
