//! Annotations: editors' notes on a service's figures, who reads and who
//! writes them, and every change to them (create, replace, delete), each one
//! write with its audit row.
//!
//! Anyone reads public notes; internal ones only signed-in people of the
//! service's organisations (and keys that may read unpublished data, and
//! admins), to whom anyone else gets a 404. A note on a module of a dashboard
//! the caller may not see (an unpublished one) would name it, so it is not
//! theirs to read either. Editors and admins (and keys with
//! `annotations:write`) write notes, for services of their organisations.
//! Every edit keeps the version it replaced; creating, editing and deleting
//! are in the audit log (a delete with the text that was deleted).

use super::json::shown;
use std::collections::HashMap;

use app::model::{Annotation, AnnotationList, AnnotationVersion, NewAnnotation, Visibility};
use chrono::{DateTime, Utc};
use serde_json::json;

use super::access;
use super::caller::{Caller, Permission};
use super::Ctx;
use crate::error::{Error, Result};
use crate::store::{
    annotations::{self, Filter, Stored},
    audit::Note,
    dashboards,
};

/// Whether the caller may read this note: a public one, anyone; an internal
/// one, those who may read unpublished figures or write notes, of its service's
/// organisations. A note on a module must also pass
/// [`super::dashboards::may_see`] (its dashboard may be unpublished), which
/// the functions here check.
pub fn may_read(caller: &Caller, stored: &Stored) -> bool {
    stored.annotation.visibility == Visibility::Public || insider(caller, &stored.orgs)
}

/// Whether the caller may see the dashboards of the notes' modules: a note on
/// a module of a dashboard they may not see (an unpublished one) would name
/// it, so it is not theirs to read either. Each dashboard is looked up once.
struct Dashboards<'a, 'c> {
    ctx: &'a Ctx<'c>,
    seen: HashMap<String, bool>,
}

impl<'a, 'c> Dashboards<'a, 'c> {
    fn new(ctx: &'a Ctx<'c>) -> Self {
        Dashboards {
            ctx,
            seen: HashMap::new(),
        }
    }

    /// Whether the caller may see the dashboard of `module` (`dashboard/module`;
    /// none: a note on the whole service).
    async fn may_see(&mut self, module: Option<&str>) -> Result<bool> {
        let Some((slug, _)) = module.and_then(|m| m.split_once('/')) else {
            return Ok(true);
        };
        if let Some(seen) = self.seen.get(slug) {
            return Ok(*seen);
        }
        let visible = match dashboards::find(self.ctx.store, slug).await? {
            Some(d) => super::dashboards::may_see(self.ctx, &d).await?,
            None => true,
        };
        self.seen.insert(slug.to_string(), visible);
        Ok(visible)
    }
}

/// Of `notes`, those the caller may read: [`may_read`], and on a module of a
/// dashboard they may see. Every list of notes for someone passes this, the
/// API's and the weekly digest's alike.
pub async fn readable_of(ctx: &Ctx<'_>, notes: Vec<Stored>) -> Result<Vec<Stored>> {
    let mut visible = Dashboards::new(ctx);
    let mut out = Vec::new();
    for stored in notes {
        if may_read(ctx.caller, &stored)
            && visible.may_see(stored.annotation.module.as_deref()).await?
        {
            out.push(stored);
        }
    }
    Ok(out)
}

fn insider(caller: &Caller, orgs: &[String]) -> bool {
    (caller.can(Permission::ReadUnpublished) || caller.can(Permission::ManageAnnotations))
        && access::covers(caller, orgs)
}

/// Refuses a caller who may not write notes on the service `service` (a 404
/// when there is no such service).
async fn may_write_on(ctx: &Ctx<'_>, service: &str) -> Result<()> {
    access::require_service(ctx, Permission::ManageAnnotations, service).await?;
    Ok(())
}

/// Refuses a caller who may not write notes on a service of these organisations.
fn may_write(caller: &Caller, orgs: &[String], service: &str) -> Result<()> {
    access::require_in(
        caller,
        Permission::ManageAnnotations,
        orgs,
        &format!("the service {service:?}"),
    )
}

/// Checks a note before it is written: its fields, and that its module (if
/// any) is a module of a dashboard of its service.
async fn check(ctx: &Ctx<'_>, note: &NewAnnotation) -> Result<()> {
    app::notes::check_fields(note).map_err(Error::BadRequest)?;
    app::notes::check_range(note).map_err(Error::Unprocessable)?;
    if let Some((dashboard, module)) = note.module.as_deref().and_then(|m| m.split_once('/')) {
        let found = dashboards::find(ctx.store, dashboard).await?;
        let Some(d) = found.filter(|d| d.service.as_deref() == Some(note.service.as_str())) else {
            return Err(Error::NotFound(format!(
                "The service `{}` has no dashboard `{dashboard}`.",
                note.service
            )));
        };
        if app::modules::find_module(&d.modules, module).is_none() {
            return Err(Error::NotFound(format!(
                "The dashboard `{dashboard}` has no module `{module}`."
            )));
        }
    }
    Ok(())
}

/// A time given as RFC 3339 or as a date (`YYYY-MM-DD`, midnight UTC).
fn parse_time(name: &str, text: &str) -> Result<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .ok()
        .or_else(|| app::notes::parse_date(text))
        .ok_or_else(|| {
            Error::BadRequest(format!(
                "{name} must be a date (YYYY-MM-DD) or a time (RFC 3339), not {}",
                shown(text)
            ))
        })
}

/// What a list of notes is narrowed to (each optional).
#[derive(Debug, Default)]
pub struct Narrowing {
    /// Notes of this service (by slug).
    pub service: Option<String>,
    /// Notes of the service that owns this data set (`group/type`), without
    /// those on a module that reads another data set: the data set's name and
    /// the slug of the service that owns it (`None`: it belongs to no service,
    /// so it has no notes).
    pub data_set: Option<(String, Option<String>)>,
    /// Notes that belong on this module's chart (`dashboard/module`): the
    /// service's notes for every chart and the module's own.
    pub module: Option<String>,
    /// Notes that end on or after this date (`YYYY-MM-DD`) or time (RFC 3339).
    pub from: Option<String>,
    /// Notes that start before this date (`YYYY-MM-DD`) or time (RFC 3339).
    pub to: Option<String>,
    /// Notes with this tag.
    pub tag: Option<String>,
}

/// Notes the caller may read, by time, narrowed as `wanted` says. With a
/// service (or a data set or module), `may_annotate` says whether the caller
/// may write that service's notes.
pub async fn list(ctx: &Ctx<'_>, wanted: Narrowing) -> Result<AnnotationList> {
    let caller = ctx.caller;
    let mut service = wanted.service.clone();
    let mut module_data_set = None;
    if let Some((name, owner)) = &wanted.data_set {
        // A data set of no service has no notes: nothing matches.
        let Some(owner) = owner.clone() else {
            return Ok(AnnotationList::default());
        };
        if service.as_ref().is_some_and(|s| *s != owner) {
            return Ok(AnnotationList::default());
        }
        service = Some(owner);
        module_data_set = Some(name.clone());
    }
    let module = match &wanted.module {
        Some(m) => {
            let (dashboard, slug) = m.split_once('/').ok_or_else(|| {
                Error::BadRequest(format!(
                    "module must be given as dashboard/module, not {m:?}"
                ))
            })?;
            let mut d = dashboards::find(ctx.store, dashboard)
                .await?
                .filter(|d| app::modules::find_module(&d.modules, slug).is_some());
            // An unpublished dashboard's module is no module to those who may
            // not see the dashboard.
            if let Some(found) = &d {
                if !super::dashboards::may_see(ctx, found).await? {
                    d = None;
                }
            }
            let d = d.ok_or_else(|| Error::NotFound(format!("There is no module {m:?}.")))?;
            match (&d.service, &service) {
                (Some(s), None) => service = Some(s.clone()),
                (Some(s), Some(asked)) if s == asked => {}
                _ => return Ok(AnnotationList::default()),
            }
            Some((dashboard.to_string(), slug.to_string()))
        }
        None => None,
    };
    let service_orgs = match &service {
        Some(s) => Some(
            access::service_orgs(ctx.store, s)
                .await?
                .ok_or_else(|| Error::NotFound(format!("There is no service {s:?}.")))?,
        ),
        None => None,
    };
    let filter = Filter {
        service: service.clone(),
        from: wanted
            .from
            .as_deref()
            .map(|t| parse_time("from", t))
            .transpose()?,
        to: wanted
            .to
            .as_deref()
            .map(|t| parse_time("to", t))
            .transpose()?,
    };
    // Modules' data sets, looked up once per dashboard.
    let mut boards: Vec<(String, Option<app::model::Dashboard>)> = Vec::new();
    let mut out = Vec::new();
    for stored in readable_of(ctx, annotations::list(ctx.store, &filter).await?).await? {
        let note = &stored.annotation;
        if let Some(tag) = &wanted.tag {
            if !note.tags.iter().any(|t| t.eq_ignore_ascii_case(tag)) {
                continue;
            }
        }
        if let Some((dashboard, slug)) = &module {
            if !app::notes::on_module(note, dashboard, slug) {
                continue;
            }
        }
        if let (Some(wanted), Some((dashboard, slug))) = (
            &module_data_set,
            note.module.as_deref().and_then(|m| m.split_once('/')),
        ) {
            if !boards.iter().any(|(s, _)| s == dashboard) {
                let d = dashboards::find(ctx.store, dashboard).await?;
                boards.push((dashboard.to_string(), d));
            }
            let reads = boards
                .iter()
                .find(|(s, _)| s == dashboard)
                .and_then(|(_, d)| d.as_ref())
                .and_then(|d| app::modules::find_module(&d.modules, slug))
                .and_then(|m| m.data_set.as_deref());
            if reads != Some(wanted.as_str()) {
                continue;
            }
        }
        out.push(stored.annotation);
    }
    let may_annotate = service_orgs.is_some_and(|orgs| {
        caller.can(Permission::ManageAnnotations) && access::covers(caller, &orgs)
    });
    Ok(AnnotationList {
        annotations: out,
        may_annotate,
    })
}

fn no_note(id: i64) -> Error {
    Error::NotFound(format!("There is no annotation {id}."))
}

/// A note the caller may read (else a 404).
async fn readable(ctx: &Ctx<'_>, id: i64) -> Result<Stored> {
    match annotations::find(ctx.store, id).await? {
        Some(stored)
            if may_read(ctx.caller, &stored)
                && Dashboards::new(ctx)
                    .may_see(stored.annotation.module.as_deref())
                    .await? =>
        {
            Ok(stored)
        }
        _ => Err(no_note(id)),
    }
}

/// One note the caller may read (else a 404).
pub async fn show(ctx: &Ctx<'_>, id: i64) -> Result<Annotation> {
    Ok(readable(ctx, id).await?.annotation)
}

/// Adds a note (an editor of the service's organisation, or an admin).
pub async fn create(ctx: &Ctx<'_>, note: NewAnnotation) -> Result<Annotation> {
    ctx.caller.require(Permission::ManageAnnotations)?;
    may_write_on(ctx, &note.service).await?;
    check(ctx, &note).await?;
    let (author_id, name) = ctx.caller.acting().author;
    let mut w = ctx.store.write().await?;
    let stored = annotations::create(&mut w, &note, (author_id, &name), ctx.now).await?;
    let id = stored.annotation.id;
    w.commit(Note::new(
        &ctx.caller.actor(),
        "annotation.create",
        format!("annotation {id}"),
        json!({ "service": note.service, "text": stored.annotation.text }),
        ctx.now,
    ))
    .await?;
    Ok(stored.annotation)
}

/// The stored note a writer is about to change: a 404 when the caller may not
/// read it, a 403 when they may read but not write it.
pub async fn to_change(ctx: &Ctx<'_>, id: i64) -> Result<Stored> {
    ctx.caller.require(Permission::ManageAnnotations)?;
    let stored = readable(ctx, id).await?;
    may_write(ctx.caller, &stored.orgs, &stored.annotation.service)?;
    Ok(stored)
}

/// Replaces a note, keeping the version it replaces (an editor of the service's
/// organisation, or an admin). It may move to another service of theirs.
pub async fn replace(ctx: &Ctx<'_>, id: i64, note: NewAnnotation) -> Result<Annotation> {
    let old = to_change(ctx, id).await?;
    if note.service != old.annotation.service {
        may_write_on(ctx, &note.service).await?;
    }
    check(ctx, &note).await?;
    let (author_id, name) = ctx.caller.acting().author;
    let mut w = ctx.store.write().await?;
    let stored = annotations::update(&mut w, id, &note, (author_id, &name), ctx.now)
        .await?
        .ok_or_else(|| no_note(id))?;
    w.commit(Note::new(
        &ctx.caller.actor(),
        "annotation.replace",
        format!("annotation {id}"),
        json!({
            "service": note.service,
            "version": stored.annotation.version,
            "text": stored.annotation.text,
            "was": old.annotation.text,
        }),
        ctx.now,
    ))
    .await?;
    Ok(stored.annotation)
}

/// Deletes a note and its earlier versions; the audit log keeps what it said.
pub async fn remove(ctx: &Ctx<'_>, id: i64) -> Result<()> {
    let old = to_change(ctx, id).await?;
    let mut w = ctx.store.write().await?;
    annotations::delete(&mut w, id).await?;
    let note = &old.annotation;
    w.commit(Note::new(
        &ctx.caller.actor(),
        "annotation.delete",
        format!("annotation {id}"),
        json!({
            "service": note.service,
            "module": note.module,
            "starts_at": note.starts_at,
            "ends_at": note.ends_at,
            "text": note.text,
            "tags": note.tags,
            "visibility": note.visibility,
            "author": note.author,
        }),
        ctx.now,
    ))
    .await?;
    Ok(())
}

/// The earlier versions of a note, newest first (whoever may read the note).
pub async fn versions(ctx: &Ctx<'_>, id: i64) -> Result<Vec<AnnotationVersion>> {
    let stored = readable(ctx, id).await?;
    // An earlier internal version stays internal after the note is made public.
    let insider = insider(ctx.caller, &stored.orgs);
    let mut visible = Dashboards::new(ctx);
    let mut versions: Vec<AnnotationVersion> = Vec::new();
    for v in annotations::versions(ctx.store, id).await? {
        // Nor does an earlier version name a dashboard the caller may not see.
        if (insider || v.visibility == Visibility::Public)
            && visible.may_see(v.module.as_deref()).await?
        {
            versions.push(v);
        }
    }
    Ok(versions)
}
