//! Portfolios and targets: who saves, changes and deletes a portfolio (a
//! signed-in person's, or a key's, saved set of services; its owner or an
//! admin changes it), who sets and deletes a service's targets (editors of its
//! organisation, admins, keys with `dashboards:write`), and every change to
//! them, each one write with its audit row.

use app::boards::{NewPortfolio, NewTarget, Portfolio, Target};
use app::model::ServiceListing;
use serde_json::json;

use super::access;
use super::caller::{Caller, Permission};
use super::Ctx;
use crate::error::{Error, Result};
use crate::store::{
    audit::Note,
    orgs,
    portfolios::{self, Stored},
    targets,
};

/// The services named, in that order; a 404 naming any that do not exist.
pub async fn named_services(ctx: &Ctx<'_>, slugs: &[String]) -> Result<Vec<ServiceListing>> {
    let all = orgs::list_services(ctx.store).await?;
    let mut out = Vec::new();
    let mut unknown = Vec::new();
    for slug in slugs {
        match all.iter().find(|s| &s.slug == slug) {
            Some(s) => out.push(s.clone()),
            None => unknown.push(format!("`{slug}`")),
        }
    }
    if !unknown.is_empty() {
        return Err(Error::NotFound(format!(
            "There is no service {}.",
            unknown.join(", no service ")
        )));
    }
    Ok(out)
}

/// The portfolio `id` (anyone with its link may read it), or a 404.
pub async fn find(ctx: &Ctx<'_>, id: &str) -> Result<Stored> {
    portfolios::find(ctx.store, id)
        .await?
        .ok_or_else(|| Error::NotFound(format!("There is no portfolio {id:?}.")))
}

/// Who owns what a caller saves: a person (or a key's owner), else the key;
/// nobody may save anonymously.
fn owner(caller: &Caller) -> Result<(Option<i64>, String)> {
    match caller {
        Caller::Anonymous => Err(Error::Unauthorized(
            "Sign in, or send an API key, to save a portfolio.".into(),
        )),
        _ => Ok(caller.acting().author),
    }
}

/// Refuses a caller who may save no portfolio (before anything they send is
/// read): nobody, or a change made with a cookie without its CSRF token.
pub fn may_save(caller: &Caller) -> Result<()> {
    owner(caller)?;
    caller.check_csrf()
}

/// Refuses a change to a portfolio by anyone but its owner or an admin.
fn may_change(caller: &Caller, stored: &Stored) -> Result<()> {
    let (id, _) = owner(caller)?;
    if caller.can(Permission::Admin) || (id.is_some() && id == stored.owner_id) {
        Ok(())
    } else {
        Err(Error::Forbidden(
            "Only the portfolio's owner (or an admin) may change it.".into(),
        ))
    }
}

/// The portfolio a caller is about to change or delete: a 404 when there is
/// none, a 403 when it is not theirs (nor are they an admin).
pub async fn to_change(ctx: &Ctx<'_>, id: &str) -> Result<Stored> {
    may_save(ctx.caller)?;
    let stored = find(ctx, id).await?;
    may_change(ctx.caller, &stored)?;
    Ok(stored)
}

/// The caller's portfolios, newest first (none for a key without an owner).
pub async fn mine(ctx: &Ctx<'_>) -> Result<Vec<Portfolio>> {
    let (id, _) = owner(ctx.caller)?;
    Ok(match id {
        Some(id) => portfolios::of_owner(ctx.store, id).await?,
        None => Vec::new(),
    })
}

async fn check_portfolio(ctx: &Ctx<'_>, new: &NewPortfolio) -> Result<()> {
    new.check().map_err(Error::BadRequest)?;
    named_services(ctx, &new.services).await?;
    Ok(())
}

/// Saves a set of services as a portfolio, owned by the caller.
pub async fn create(ctx: &Ctx<'_>, new: NewPortfolio) -> Result<Portfolio> {
    let (owner_id, name) = owner(ctx.caller)?;
    ctx.caller.check_csrf()?;
    check_portfolio(ctx, &new).await?;
    let mut w = ctx.store.write().await?;
    let saved = portfolios::create(&mut w, &new, (owner_id, &name), ctx.now).await?;
    w.commit(Note::new(
        &ctx.caller.actor(),
        "portfolio.create",
        format!("portfolio {}", saved.id),
        json!({ "title": saved.title, "services": saved.services }),
        ctx.now,
    ))
    .await?;
    Ok(saved)
}

/// Replaces a portfolio's title and services (its owner, or an admin).
pub async fn replace(ctx: &Ctx<'_>, id: &str, new: NewPortfolio) -> Result<Portfolio> {
    to_change(ctx, id).await?;
    check_portfolio(ctx, &new).await?;
    let mut w = ctx.store.write().await?;
    portfolios::replace(&mut w, id, &new, ctx.now).await?;
    w.commit(Note::new(
        &ctx.caller.actor(),
        "portfolio.replace",
        format!("portfolio {id}"),
        json!({ "title": new.title.trim(), "services": new.services }),
        ctx.now,
    ))
    .await?;
    Ok(find(ctx, id).await?.portfolio)
}

/// Deletes a portfolio (its owner, or an admin).
pub async fn remove(ctx: &Ctx<'_>, id: &str) -> Result<()> {
    let stored = to_change(ctx, id).await?;
    let mut w = ctx.store.write().await?;
    portfolios::delete(&mut w, id).await?;
    w.commit(Note::new(
        &ctx.caller.actor(),
        "portfolio.delete",
        format!("portfolio {id}"),
        json!({ "title": stored.portfolio.title, "services": stored.portfolio.services }),
        ctx.now,
    ))
    .await?;
    Ok(())
}

/// Refuses a target change by anyone but an editor of the service's
/// organisation (or an admin, or a key with `dashboards:write`); a 404 when
/// there is no such service.
async fn may_set(ctx: &Ctx<'_>, service: &str) -> Result<()> {
    ctx.caller.require(Permission::ManageDashboards)?;
    access::require_service(ctx, Permission::ManageDashboards, service).await?;
    Ok(())
}

/// Sets a target for a service's KPI from a date (replacing one set for the
/// same KPI and date).
pub async fn set_target(ctx: &Ctx<'_>, new: NewTarget) -> Result<Target> {
    ctx.caller.require(Permission::ManageDashboards)?;
    may_set(ctx, &new.service).await?;
    new.check().map_err(Error::BadRequest)?;
    let set_by = owner(ctx.caller)?.1;
    let mut w = ctx.store.write().await?;
    let target = targets::set(&mut w, &new, &set_by, ctx.now).await?;
    w.commit(Note::new(
        &ctx.caller.actor(),
        "target.set",
        format!("target {}", target.id),
        json!({ "service": new.service, "kpi": new.kpi.key(), "value": new.value,
                "effective_from": new.effective_from }),
        ctx.now,
    ))
    .await?;
    Ok(target)
}

/// Deletes a target.
pub async fn delete_target(ctx: &Ctx<'_>, id: i64) -> Result<()> {
    ctx.caller.require(Permission::ManageDashboards)?;
    let target = targets::find(ctx.store, id)
        .await?
        .ok_or_else(|| Error::NotFound(format!("There is no target {id}.")))?;
    may_set(ctx, &target.service).await?;
    let mut w = ctx.store.write().await?;
    targets::delete(&mut w, id).await?;
    w.commit(Note::new(
        &ctx.caller.actor(),
        "target.delete",
        format!("target {id}"),
        json!({ "service": target.service, "kpi": target.kpi.key(), "value": target.value,
                "effective_from": target.effective_from }),
        ctx.now,
    ))
    .await?;
    Ok(())
}
