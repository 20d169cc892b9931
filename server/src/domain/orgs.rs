//! Organisations and services: the rules for their slugs, titles and
//! parents (checked inside the change that writes them), and every change to
//! them, each one write with its audit row.

use super::json::shown;
use app::model::{OrgKind, Organisation, ServiceInput, ServiceListing};
use serde_json::json;

use super::access;
use super::caller::Permission;
use super::Ctx;
use crate::error::{Error, Result};
use crate::store::{
    audit::Note,
    orgs::{self, is_slug, OrgForUpsert, ServiceForUpsert},
    Write,
};

fn check_slug_and_title(what: &str, slug: &str, title: &str) -> Result<()> {
    if !is_slug(slug) {
        return Err(Error::BadRequest(format!(
            "{what} slug {slug:?} must be lower-case letters, digits and dashes (at most 100)"
        )));
    }
    if title.trim().is_empty() {
        return Err(Error::BadRequest(format!("{what} title must not be empty")));
    }
    Ok(())
}

/// Checks an organisation and writes it (a new one, or over the one with its
/// slug); an agency's parent must be a department.
pub async fn save_org(w: &mut Write, org: &Organisation) -> Result<()> {
    check_slug_and_title("the organisation's", &org.slug, &org.title)?;
    if let Some(a) = &org.abbreviation {
        if a.trim().is_empty() || a.chars().count() > 20 {
            return Err(Error::BadRequest(
                "abbreviation must be 1 to 20 characters, or left out".into(),
            ));
        }
    }
    let parent_id = match (org.kind, &org.parent) {
        (OrgKind::Department, Some(_)) => {
            return Err(Error::BadRequest(
                "a department has no parent; only an agency belongs to a department".into(),
            ))
        }
        (OrgKind::Department, None) => None,
        (OrgKind::Agency, None) => {
            return Err(Error::BadRequest(
                "an agency needs its department as parent".into(),
            ))
        }
        (OrgKind::Agency, Some(parent)) => {
            let found = orgs::org_kind_in(w, parent).await?;
            match found {
                Some((id, kind))
                    if kind == orgs::kind_text(OrgKind::Department) && parent != &org.slug =>
                {
                    Some(id)
                }
                Some(_) => {
                    return Err(Error::Unprocessable(format!(
                        "the parent {} is not a department: an agency belongs to a department",
                        shown(parent)
                    )))
                }
                None => {
                    return Err(Error::NotFound(format!(
                        "There is no department `{parent}`."
                    )))
                }
            }
        }
    };
    if org.kind == OrgKind::Agency {
        let children = orgs::agencies_in(w, &org.slug).await?;
        if children > 0 {
            return Err(Error::Conflict(format!(
                "{:?} has agencies of its own, so it must stay a department",
                org.slug
            )));
        }
    }
    orgs::upsert_org(
        w,
        &OrgForUpsert {
            slug: &org.slug,
            title: org.title.trim(),
            abbreviation: org.abbreviation.as_deref(),
            kind: org.kind,
            parent_id,
        },
    )
    .await?;
    Ok(())
}

/// Checks a service and writes it (a new one, or over the one with its slug).
/// Returns its id.
pub async fn save_service(w: &mut Write, service: &ServiceInput) -> Result<i64> {
    check_slug_and_title("the service's", &service.slug, &service.title)?;
    let organisation_id = orgs::org_id(w, &service.organisation)
        .await?
        .ok_or_else(|| {
            Error::NotFound(format!(
                "There is no organisation `{}`.",
                service.organisation
            ))
        })?;
    Ok(orgs::upsert_service(
        w,
        &ServiceForUpsert {
            slug: &service.slug,
            title: service.title.trim(),
            description: &service.description,
            organisation_id,
        },
    )
    .await?)
}

fn no_org(slug: &str) -> Error {
    Error::NotFound(format!("There is no organisation {slug:?}."))
}

fn no_service(slug: &str) -> Error {
    Error::NotFound(format!("There is no service called {slug:?}."))
}

fn same_slug(body: &str, address: &str) -> Result<()> {
    if body != address {
        return Err(Error::Unprocessable(format!(
            "the body's slug {} is not the address's {address:?}",
            shown(body)
        )));
    }
    Ok(())
}

/// One department or agency.
pub async fn find_org(ctx: &Ctx<'_>, slug: &str) -> Result<Organisation> {
    orgs::find_org(ctx.store, slug)
        .await?
        .ok_or_else(|| no_org(slug))
}

/// Creates a department or an agency (admins).
pub async fn create_org(ctx: &Ctx<'_>, org: &Organisation) -> Result<Organisation> {
    ctx.caller.require(Permission::Admin)?;
    if orgs::find_org(ctx.store, &org.slug).await?.is_some() {
        return Err(Error::Conflict(format!(
            "The organisation {:?} already exists.",
            org.slug
        )));
    }
    let mut w = ctx.store.write().await?;
    save_org(&mut w, org).await?;
    w.commit(Note::new(
        &ctx.caller.actor(),
        "organisation.create",
        format!("organisation {}", org.slug),
        serde_json::to_value(org).unwrap_or_default(),
        ctx.now,
    ))
    .await?;
    find_org(ctx, &org.slug).await
}

/// Replaces the department or agency `slug` (admins).
pub async fn replace_org(ctx: &Ctx<'_>, slug: &str, org: &Organisation) -> Result<Organisation> {
    ctx.caller.require(Permission::Admin)?;
    if orgs::find_org(ctx.store, slug).await?.is_none() {
        return Err(no_org(slug));
    }
    same_slug(&org.slug, slug)?;
    let mut w = ctx.store.write().await?;
    save_org(&mut w, org).await?;
    w.commit(Note::new(
        &ctx.caller.actor(),
        "organisation.replace",
        format!("organisation {slug}"),
        serde_json::to_value(org).unwrap_or_default(),
        ctx.now,
    ))
    .await?;
    find_org(ctx, slug).await
}

/// Deletes an organisation that runs no service and has no agencies (admins).
pub async fn remove_org(ctx: &Ctx<'_>, slug: &str) -> Result<()> {
    ctx.caller.require(Permission::Admin)?;
    let mut w = ctx.store.write().await?;
    if !orgs::delete_org(&mut w, slug).await? {
        return Err(no_org(slug));
    }
    w.commit(Note::new(
        &ctx.caller.actor(),
        "organisation.delete",
        format!("organisation {slug}"),
        json!({}),
        ctx.now,
    ))
    .await?;
    Ok(())
}

async fn find_service(ctx: &Ctx<'_>, slug: &str) -> Result<ServiceListing> {
    orgs::find_service(ctx.store, slug)
        .await?
        .map(|(listing, _)| listing)
        .ok_or_else(|| no_service(slug))
}

/// Creates a service run by an organisation: admins, and editors (or keys
/// with `dashboards:write`) of that organisation or its department.
pub async fn create_service(ctx: &Ctx<'_>, service: &ServiceInput) -> Result<ServiceListing> {
    access::require_new_service(ctx, &service.organisation).await?;
    if orgs::find_service(ctx.store, &service.slug)
        .await?
        .is_some()
    {
        return Err(Error::Conflict(format!(
            "The service {:?} already exists.",
            service.slug
        )));
    }
    let mut w = ctx.store.write().await?;
    save_service(&mut w, service).await?;
    w.commit(Note::new(
        &ctx.caller.actor(),
        "service.create",
        format!("service {}", service.slug),
        serde_json::to_value(service).unwrap_or_default(),
        ctx.now,
    ))
    .await?;
    find_service(ctx, &service.slug).await
}

/// Replaces the title, description and organisation of the service `slug`
/// (admins).
pub async fn replace_service(
    ctx: &Ctx<'_>,
    slug: &str,
    service: &ServiceInput,
) -> Result<ServiceListing> {
    ctx.caller.require(Permission::Admin)?;
    if orgs::find_service(ctx.store, slug).await?.is_none() {
        return Err(no_service(slug));
    }
    same_slug(&service.slug, slug)?;
    let mut w = ctx.store.write().await?;
    save_service(&mut w, service).await?;
    w.commit(Note::new(
        &ctx.caller.actor(),
        "service.replace",
        format!("service {slug}"),
        serde_json::to_value(service).unwrap_or_default(),
        ctx.now,
    ))
    .await?;
    find_service(ctx, slug).await
}

/// Deletes a service that has no data sets and no dashboard (admins).
pub async fn remove_service(ctx: &Ctx<'_>, slug: &str) -> Result<()> {
    ctx.caller.require(Permission::Admin)?;
    let mut w = ctx.store.write().await?;
    if !orgs::delete_service(&mut w, slug).await? {
        return Err(no_service(slug));
    }
    w.commit(Note::new(
        &ctx.caller.actor(),
        "service.delete",
        format!("service {slug}"),
        json!({}),
        ctx.now,
    ))
    .await?;
    Ok(())
}
