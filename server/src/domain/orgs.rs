//! Organisations and services: the rules for their slugs, titles and
//! parents, checked inside the change that writes them.

use app::model::{OrgKind, Organisation, ServiceInput};

use crate::error::{Error, Result};
use crate::store::{
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
                    "the parent {parent:?} is not a department: an agency belongs to a department"
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
