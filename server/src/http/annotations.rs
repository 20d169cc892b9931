//! `/api/v1/annotations`: editors' notes on a service's figures.
//!
//! Anyone reads public notes; internal ones only signed-in people of the
//! service's organisations (and keys that may read unpublished data, and
//! admins), to whom anyone else gets a 404. Editors and admins (and keys with
//! `annotations:write`) write them, for services of their organisations. Every
//! edit keeps the version it replaced; creating, editing and deleting are in the
//! audit log (a delete with the text that was deleted).

use app::model::{Annotation, AnnotationList, AnnotationVersion, NewAnnotation, Visibility};
use axum::{
    extract::State,
    http::StatusCode,
    response::{IntoResponse, Response},
    Json,
};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::json;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::extract::{Path, Payload, Query};
use super::AppState;
use crate::domain::access;
use crate::domain::caller::{Caller, Permission};
use crate::error::{Error, Result};
use crate::on_pool;
use crate::store::audit::Note;
use crate::store::{
    annotations::{self, Filter, Stored},
    dashboards,
};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(show, replace, remove))
        .routes(routes!(versions))
}

/// Whether the caller may read this note: a public one, anyone; an internal
/// one, those who may read unpublished figures or write notes, of its service's
/// organisations. A note on a module must also pass [`crate::domain::dashboards::may_see`]
/// (its dashboard may be unpublished), which the handlers check.
pub(crate) fn may_read(caller: &Caller, stored: &Stored) -> bool {
    stored.annotation.visibility == Visibility::Public || insider(caller, &stored.orgs)
}

/// Whether the caller may see the dashboards of the notes' modules: a note on
/// a module of a dashboard they may not see (an unpublished one) would name
/// it, so it is not theirs to read either. Each dashboard is looked up once.
struct Dashboards<'a> {
    state: &'a AppState,
    caller: &'a Caller,
    seen: std::collections::HashMap<String, bool>,
}

impl<'a> Dashboards<'a> {
    fn new(state: &'a AppState, caller: &'a Caller) -> Self {
        Dashboards {
            state,
            caller,
            seen: Default::default(),
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
        let visible = match dashboards::find(&self.state.store, slug).await? {
            Some(d) => crate::domain::dashboards::may_see(&self.state.ctx(self.caller), &d).await?,
            None => true,
        };
        self.seen.insert(slug.to_string(), visible);
        Ok(visible)
    }
}

fn insider(caller: &Caller, orgs: &[String]) -> bool {
    (caller.can(Permission::ReadUnpublished) || caller.can(Permission::ManageAnnotations))
        && access::covers(caller, orgs)
}

/// Refuses a caller who may not write notes on the service `service` (a 404
/// when there is no such service).
async fn may_write_on(state: &AppState, caller: &Caller, service: &str) -> Result<()> {
    access::require_service(caller, Permission::ManageAnnotations, &state.store, service).await?;
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
async fn check(state: &AppState, note: &NewAnnotation) -> Result<()> {
    app::notes::check_fields(note).map_err(Error::BadRequest)?;
    app::notes::check_range(note).map_err(Error::Unprocessable)?;
    if let Some((dashboard, module)) = note.module.as_deref().and_then(|m| m.split_once('/')) {
        let found = dashboards::find(&state.store, dashboard).await?;
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
                "{name} must be a date (YYYY-MM-DD) or a time (RFC 3339), not {text:?}"
            ))
        })
}

/// A date or an RFC 3339 time, as [`parse_time`] takes it.
fn date_or_time() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
    serde_json::from_value(json!({
        "anyOf": [
            {"type": "string", "format": "date"},
            {"type": "string", "format": "date-time"},
        ],
    }))
    .expect("a valid schema")
}

/// What a list of notes is narrowed to.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ListParams {
    /// Notes of this service (by slug).
    pub service: Option<String>,
    /// Notes of the service that owns this data set (`group/type`), without
    /// those on a module that reads another data set.
    #[param(pattern = "^[^/]+/[^/]+$")]
    pub data_set: Option<String>,
    /// Notes that belong on this module's chart (`dashboard/module`): the
    /// service's notes for every chart and the module's own.
    #[param(pattern = "^[^/]+/[^/]+$")]
    pub module: Option<String>,
    /// Notes that end on or after this date (`YYYY-MM-DD`) or time (RFC 3339).
    #[param(schema_with = date_or_time)]
    pub from: Option<String>,
    /// Notes that start before this date (`YYYY-MM-DD`) or time (RFC 3339).
    #[param(schema_with = date_or_time)]
    pub to: Option<String>,
    /// Notes with this tag.
    pub tag: Option<String>,
}

/// The service that owns a data set, by slug; `None` when it belongs to no
/// service (so it has no notes).
async fn service_of_data_set(state: &AppState, name: &str) -> Result<Option<String>> {
    let (group, data_type) = name.split_once('/').ok_or_else(|| {
        Error::BadRequest(format!(
            "data_set must be given as group/type, not {name:?}"
        ))
    })?;
    let slug: Option<Option<String>> = on_pool!(&state.store, |pool| sqlx::query_scalar(
        "SELECT s.slug FROM data_sets d LEFT JOIN services s ON s.id = d.service_id
         WHERE d.data_group = $1 AND d.data_type = $2"
    )
    .bind(group)
    .bind(data_type)
    .fetch_optional(pool)
    .await)?;
    match slug {
        None => Err(Error::NotFound(format!("There is no data set {name}."))),
        Some(owner) => Ok(owner),
    }
}

/// Notes the caller may read, by time, narrowed by service, data set, module,
/// time and tag. With `service` (or `data_set` or `module`), `may_annotate`
/// says whether the caller may write that service's notes.
#[utoipa::path(get, path = "/annotations", tag = "annotations", security((), ("bearer" = [])),
    params(ListParams),
    responses((status = 200, body = AnnotationList), (status = 400, body = app::model::ErrorBody),
              (status = 404, description = "No such data set", body = app::model::ErrorBody)))]
async fn list(
    State(state): State<AppState>,
    caller: Caller,
    Query(params): Query<ListParams>,
) -> Result<Json<AnnotationList>> {
    let mut service = params.service.clone();
    let mut module_data_set = None;
    if let Some(name) = &params.data_set {
        // A data set of no service has no notes: nothing matches.
        let Some(owner) = service_of_data_set(&state, name).await? else {
            return Ok(Json(AnnotationList::default()));
        };
        if service.as_ref().is_some_and(|s| *s != owner) {
            return Ok(Json(AnnotationList::default()));
        }
        service = Some(owner);
        module_data_set = Some(name.clone());
    }
    let module = match &params.module {
        Some(m) => {
            let (dashboard, slug) = m.split_once('/').ok_or_else(|| {
                Error::BadRequest(format!(
                    "module must be given as dashboard/module, not {m:?}"
                ))
            })?;
            let mut d = dashboards::find(&state.store, dashboard)
                .await?
                .filter(|d| app::modules::find_module(&d.modules, slug).is_some());
            // An unpublished dashboard's module is no module to those who may
            // not see the dashboard.
            if let Some(found) = &d {
                if !crate::domain::dashboards::may_see(&state.ctx(&caller), found).await? {
                    d = None;
                }
            }
            let d = d.ok_or_else(|| Error::NotFound(format!("There is no module {m:?}.")))?;
            match (&d.service, &service) {
                (Some(s), None) => service = Some(s.clone()),
                (Some(s), Some(asked)) if s == asked => {}
                _ => return Ok(Json(AnnotationList::default())),
            }
            Some((dashboard.to_string(), slug.to_string()))
        }
        None => None,
    };
    let service_orgs = match &service {
        Some(s) => Some(
            access::service_orgs(&state.store, s)
                .await?
                .ok_or_else(|| Error::NotFound(format!("There is no service {s:?}.")))?,
        ),
        None => None,
    };
    let filter = Filter {
        service: service.clone(),
        from: params
            .from
            .as_deref()
            .map(|t| parse_time("from", t))
            .transpose()?,
        to: params
            .to
            .as_deref()
            .map(|t| parse_time("to", t))
            .transpose()?,
    };
    // Modules' data sets, looked up once per dashboard.
    let mut boards: Vec<(String, Option<app::model::Dashboard>)> = Vec::new();
    let mut out = Vec::new();
    let mut visible = Dashboards::new(&state, &caller);
    for stored in annotations::list(&state.store, &filter).await? {
        if !may_read(&caller, &stored)
            || !visible.may_see(stored.annotation.module.as_deref()).await?
        {
            continue;
        }
        let note = &stored.annotation;
        if let Some(tag) = &params.tag {
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
                let d = dashboards::find(&state.store, dashboard).await?;
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
        caller.can(Permission::ManageAnnotations) && access::covers(&caller, &orgs)
    });
    Ok(Json(AnnotationList {
        annotations: out,
        may_annotate,
    }))
}

fn no_note(id: i64) -> Error {
    Error::NotFound(format!("There is no annotation {id}."))
}

/// A note the caller may read (else a 404).
async fn readable(state: &AppState, caller: &Caller, id: i64) -> Result<Stored> {
    match annotations::find(&state.store, id).await? {
        Some(stored)
            if may_read(caller, &stored)
                && Dashboards::new(state, caller)
                    .may_see(stored.annotation.module.as_deref())
                    .await? =>
        {
            Ok(stored)
        }
        _ => Err(no_note(id)),
    }
}

/// Adds a note (an editor of the service's organisation, or an admin).
#[utoipa::path(post, path = "/annotations", tag = "annotations", security(("bearer" = [])),
    request_body = NewAnnotation,
    responses((status = 201, body = Annotation), (status = 400, body = app::model::ErrorBody),
              (status = 404, description = "The service, or the dashboard or module named, does not exist", body = app::model::ErrorBody),
              (status = 401, body = app::model::ErrorBody), (status = 403, body = app::model::ErrorBody),
              (status = 422, description = "It ends before it starts", body = app::model::ErrorBody)))]
async fn create(State(state): State<AppState>, caller: Caller, body: Payload) -> Result<Response> {
    caller.require(Permission::ManageAnnotations)?;
    let note: NewAnnotation = body.json()?;
    may_write_on(&state, &caller, &note.service).await?;
    check(&state, &note).await?;
    let (author_id, name) = caller.acting().author;
    let now = Utc::now();
    let mut w = state.store.write().await?;
    let stored = annotations::create(&mut w, &note, (author_id, &name), now).await?;
    let id = stored.annotation.id;
    w.commit(Note::new(
        &caller.actor(),
        "annotation.create",
        format!("annotation {id}"),
        json!({ "service": note.service, "text": stored.annotation.text }),
        now,
    ))
    .await?;
    Ok((StatusCode::CREATED, Json(stored.annotation)).into_response())
}

/// One note.
#[utoipa::path(get, path = "/annotations/{id}", tag = "annotations", security((), ("bearer" = [])),
    params(("id" = i64, Path)),
    responses((status = 200, body = Annotation), (status = 404, body = app::model::ErrorBody)))]
async fn show(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> Result<Json<Annotation>> {
    Ok(Json(readable(&state, &caller, id).await?.annotation))
}

/// The stored note a writer is about to change: a 404 when the caller may not
/// read it, a 403 when they may read but not write it.
async fn to_change(state: &AppState, caller: &Caller, id: i64) -> Result<Stored> {
    caller.require(Permission::ManageAnnotations)?;
    let stored = readable(state, caller, id).await?;
    may_write(caller, &stored.orgs, &stored.annotation.service)?;
    Ok(stored)
}

/// Replaces a note, keeping the version it replaces (an editor of the service's
/// organisation, or an admin). It may move to another service of theirs.
#[utoipa::path(put, path = "/annotations/{id}", tag = "annotations", security(("bearer" = [])),
    params(("id" = i64, Path)), request_body = NewAnnotation,
    responses((status = 200, body = Annotation), (status = 400, body = app::model::ErrorBody),
              (status = 403, body = app::model::ErrorBody), (status = 404, body = app::model::ErrorBody),
              (status = 422, description = "It ends before it starts", body = app::model::ErrorBody)))]
async fn replace(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    body: Payload,
) -> Result<Json<Annotation>> {
    let old = to_change(&state, &caller, id).await?;
    let note: NewAnnotation = body.json()?;
    if note.service != old.annotation.service {
        may_write_on(&state, &caller, &note.service).await?;
    }
    check(&state, &note).await?;
    let (author_id, name) = caller.acting().author;
    let now = Utc::now();
    let mut w = state.store.write().await?;
    let stored = annotations::update(&mut w, id, &note, (author_id, &name), now)
        .await?
        .ok_or_else(|| no_note(id))?;
    w.commit(Note::new(
        &caller.actor(),
        "annotation.replace",
        format!("annotation {id}"),
        json!({
            "service": note.service,
            "version": stored.annotation.version,
            "text": stored.annotation.text,
            "was": old.annotation.text,
        }),
        now,
    ))
    .await?;
    Ok(Json(stored.annotation))
}

/// Deletes a note and its earlier versions; the audit log keeps what it said.
#[utoipa::path(delete, path = "/annotations/{id}", tag = "annotations", security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses((status = 200, body = app::model::Done), (status = 403, body = app::model::ErrorBody),
              (status = 404, body = app::model::ErrorBody)))]
async fn remove(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> Result<Json<app::model::Done>> {
    let old = to_change(&state, &caller, id).await?;
    let mut w = state.store.write().await?;
    annotations::delete(&mut w, id).await?;
    let note = &old.annotation;
    w.commit(Note::new(
        &caller.actor(),
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
        Utc::now(),
    ))
    .await?;
    Ok(Json(app::model::Done::ok(format!(
        "annotation {id} was deleted"
    ))))
}

/// The earlier versions of a note, newest first (whoever may read the note).
#[utoipa::path(get, path = "/annotations/{id}/versions", tag = "annotations", security((), ("bearer" = [])),
    params(("id" = i64, Path)),
    responses((status = 200, body = app::model::AnnotationVersions),
              (status = 404, body = app::model::ErrorBody)))]
async fn versions(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> Result<Json<app::model::AnnotationVersions>> {
    let stored = readable(&state, &caller, id).await?;
    // An earlier internal version stays internal after the note is made public.
    let insider = insider(&caller, &stored.orgs);
    let mut visible = Dashboards::new(&state, &caller);
    let mut versions: Vec<AnnotationVersion> = Vec::new();
    for v in annotations::versions(&state.store, id).await? {
        // Nor does an earlier version name a dashboard the caller may not see.
        if (insider || v.visibility == Visibility::Public)
            && visible.may_see(v.module.as_deref()).await?
        {
            versions.push(v);
        }
    }
    Ok(Json(app::model::AnnotationVersions { versions }))
}
