//! Dashboards: who sees and who manages them, what a dashboard must be before
//! it is stored (its fields, its service, every module's slug, data set and
//! stored query, parsed as the read API would), and every change to them
//! (create, replace, delete, publish with the data sets its modules read, and
//! a service's dashboard made with its data sets), each one write with its
//! audit row.
//!
//! Anyone sees published dashboards; callers who may read unpublished data
//! see the unpublished ones of their organisations; editors and admins (and
//! keys that may manage dashboards) change them, within their organisations.

use super::json::shown;
use app::catalogue::{self, CHOICES};
use app::kpi::MAX_MODULES;
use app::model::{
    Dashboard, DashboardStatus, Freshness, Module, ModuleType, PublishedDashboard,
    ServiceDashboard, ServiceDashboardRequest, ServiceInput, WriteToken,
};
use app::model::{BUSINESS_MODELS, CUSTOMER_TYPES, DASHBOARD_TYPES};
use app::modules::count_modules;
use serde_json::json;

use super::access;
use super::caller::Permission;
use super::Ctx;
use crate::domain::query::params;
use crate::error::{Error, Result};
use crate::store::{audit::Note, dashboards, data_sets, orgs, Store};

fn is_slug(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 100
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// First path segments the app uses itself: a dashboard lives at `/{slug}`, so
/// none may take one of these.
pub const RESERVED_SLUGS: [&str; 26] = [
    "boards",
    "build",
    "data-sets",
    "guide",
    "admin",
    "api",
    "compare",
    "data",
    "dashboards",
    "favicon.svg",
    "guidance",
    "pkg",
    "services",
    "settings",
    "sign-in",
    "sign-out",
    "summary",
    "vendor",
    "_status",
    "upload",
    "metrics",
    "invitations",
    "invitation",
    "forgot-password",
    "reset-password",
    "unsubscribe",
];

/// What a change is about to make along with a dashboard, which
/// [`validate_planned`] counts as existing: a service (by slug) and data sets
/// (`group/type`, with whether raw queries are allowed).
#[derive(Debug, Default)]
pub struct Planned {
    pub service: Option<String>,
    pub data_sets: Vec<(String, bool)>,
}

/// Checks a dashboard: its fields, its service, and every module's slug, data
/// set and stored query (parsed as the read API would), and that it holds at
/// most [`MAX_MODULES`].
pub async fn validate(store: &Store, d: &Dashboard) -> Result<()> {
    validate_planned(store, d, &Planned::default()).await
}

/// [`validate`], counting what `planned` is about to make as existing.
pub async fn validate_planned(store: &Store, d: &Dashboard, planned: &Planned) -> Result<()> {
    let bad = |m: String| Err(Error::BadRequest(m));
    if !is_slug(&d.slug) {
        return bad(format!(
            "slug {:?} must be lower-case letters, digits and dashes",
            d.slug
        ));
    }
    if RESERVED_SLUGS.contains(&d.slug.as_str()) {
        return bad(format!(
            "slug {} is taken by Pulse's own pages; choose another",
            shown(&d.slug)
        ));
    }
    if d.title.trim().is_empty() {
        return bad("title must not be empty".into());
    }
    if !DASHBOARD_TYPES.contains(&d.dashboard_type.as_str()) {
        return bad(format!(
            "dashboard_type must be one of {}",
            DASHBOARD_TYPES.join(", ")
        ));
    }
    if let Some(c) = d
        .customer_type
        .as_deref()
        .filter(|c| !CUSTOMER_TYPES.contains(c))
    {
        return bad(format!(
            "customer_type {} must be one of {}",
            shown(c),
            CUSTOMER_TYPES.join(", ")
        ));
    }
    if let Some(b) = d
        .business_model
        .as_deref()
        .filter(|b| !BUSINESS_MODELS.contains(b))
    {
        return bad(format!(
            "business_model {} must be one of {}",
            shown(b),
            BUSINESS_MODELS.join(", ")
        ));
    }
    for url in d.service_url.iter().chain(d.links.iter().map(|l| &l.url)) {
        if !(url.starts_with("https://") || url.starts_with("http://")) {
            return bad(format!(
                "{} is not a web address (http:// or https://)",
                shown(url)
            ));
        }
    }
    // What a schema says comes first (400); then what names something that
    // does not exist (404); then what a schema cannot say: two modules of one
    // name (409, like any name taken) and stored queries the read API refuses
    // for their data sets (422).
    let mut modules: Vec<&Module> = Vec::new();
    let mut pending: Vec<&Module> = d.modules.iter().collect();
    while let Some(m) = pending.pop() {
        let name = &m.slug;
        if !is_slug(name) {
            return bad(format!(
                "module slug {name:?} must be lower-case letters, digits and dashes"
            ));
        }
        if m.title.trim().is_empty() {
            return bad(format!("module {name:?} needs a title"));
        }
        if m.frequency.is_some() {
            return bad(format!(
                "module {name:?}: frequency is not set but worked out from its data set (the catalogue, or its records' times); leave it out"
            ));
        }
        if !m.options.is_object() {
            return bad(format!(
                "module {name:?}: options must be an object, e.g. {{\"format\": \"pounds\"}}"
            ));
        }
        if m.module_type == ModuleType::Section {
            if m.data_set.is_some() {
                return bad(format!("section {name:?} reads no data set"));
            }
            pending.extend(m.modules.iter());
        } else {
            if !m.modules.is_empty() {
                return bad(format!("only a section holds modules, not {name:?}"));
            }
            if m.data_set
                .as_deref()
                .and_then(|d| d.split_once('/'))
                .is_none()
            {
                return bad(format!("module {name:?} needs a data_set as group/type"));
            }
        }
        modules.push(m);
        if modules.len() > MAX_MODULES {
            return bad(format!(
                "a dashboard holds at most {MAX_MODULES} modules (sections and the modules in them counted); \
                 this one has {}. Split it into two dashboards, or show less on this one",
                count_modules(&d.modules)
            ));
        }
    }
    if let Some(service) = d
        .service
        .as_ref()
        .filter(|s| planned.service.as_ref() != Some(s))
    {
        if orgs::find_service(store, service).await?.is_none() {
            return Err(Error::NotFound(format!("There is no service `{service}`.")));
        }
    }
    let mut charts = Vec::new();
    for m in &modules {
        let Some((group, data_type)) = m.data_set.as_deref().and_then(|d| d.split_once('/')) else {
            continue;
        };
        let name = format!("{group}/{data_type}");
        let raw = match planned.data_sets.iter().find(|(n, _)| *n == name) {
            Some((_, raw)) => *raw,
            None => match data_sets::find(store, group, data_type).await? {
                Some(data_set) => data_set.raw_queries_allowed,
                None => {
                    return Err(Error::NotFound(format!(
                        "Module `{}`: there is no data set `{group}/{data_type}`.",
                        m.slug
                    )))
                }
            },
        };
        charts.push((*m, raw));
    }
    let mut slugs: Vec<&str> = Vec::new();
    for m in &modules {
        if slugs.contains(&m.slug.as_str()) {
            return Err(Error::Conflict(format!(
                "Two modules are called {:?}: each module's `slug` must be its own.",
                m.slug
            )));
        }
        slugs.push(&m.slug);
    }
    for (m, raw_queries_allowed) in charts {
        let name = &m.slug;
        let pairs: Vec<(String, String)> = form_urlencoded::parse(m.query.as_bytes())
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        let allow = params::Allowances {
            raw_queries_allowed,
            frequency: m
                .data_set
                .as_deref()
                .and_then(|ds| ds.split_once('/'))
                .and_then(|(_, data_type)| app::catalogue::frequency(data_type)),
        };
        // What its type cannot show first: it says more than the query's rule.
        if let Some(problem) = app::modules::type_problem(m) {
            return Err(Error::Unprocessable(format!("module {name:?}: {problem}")));
        }
        if let Err(message) = params::parse(&pairs, allow) {
            return Err(Error::Unprocessable(format!(
                "module {name:?}: its query is not valid: {message}"
            )));
        }
        // A live figure asks for its records of the last hours: a data set
        // that refuses raw queries cannot answer it.
        if m.module_type == ModuleType::Realtime && !raw_queries_allowed {
            return Err(Error::Unprocessable(format!(
                "module {name:?}: a live figure reads records, and its data set refuses raw queries"
            )));
        }
    }
    Ok(())
}

/// The department and agency of the dashboard's service (none without one).
async fn orgs_of(ctx: &Ctx<'_>, d: &Dashboard) -> Result<Vec<String>> {
    Ok(match &d.service {
        Some(slug) => access::service_orgs(ctx.store, slug)
            .await?
            .unwrap_or_default(),
        None => Vec::new(),
    })
}

/// Whether the caller may see this dashboard: everyone a published one; the
/// unpublished ones only callers who may read unpublished data of its service's
/// organisations.
pub async fn may_see(ctx: &Ctx<'_>, d: &Dashboard) -> Result<bool> {
    if d.status == DashboardStatus::Published {
        return Ok(true);
    }
    if !ctx.caller.can(Permission::ReadUnpublished) {
        return Ok(false);
    }
    Ok(access::covers(ctx.caller, &orgs_of(ctx, d).await?))
}

/// Refuses a caller who may not manage this dashboard (its service's
/// organisations must be theirs).
async fn may_manage(ctx: &Ctx<'_>, d: &Dashboard) -> Result<()> {
    ctx.caller.require(Permission::ManageDashboards)?;
    let orgs = orgs_of(ctx, d).await?;
    access::require_in(
        ctx.caller,
        Permission::ManageDashboards,
        &orgs,
        &format!("the dashboard {:?}", d.slug),
    )
}

/// The stored dashboard a manager is about to change: a 404 when the caller may
/// neither see nor manage it, a 403 when they may see but not manage it.
async fn to_manage(ctx: &Ctx<'_>, slug: &str) -> Result<Dashboard> {
    let Some(old) = dashboards::find(ctx.store, slug).await? else {
        return Err(no_dashboard(slug));
    };
    let orgs = orgs_of(ctx, &old).await?;
    let theirs = ctx
        .caller
        .covers(&orgs.iter().map(String::as_str).collect::<Vec<_>>());
    let manages = ctx.caller.can(Permission::ManageDashboards) && theirs;
    if !manages && !may_see(ctx, &old).await? {
        return Err(no_dashboard(slug));
    }
    may_manage(ctx, &old).await?;
    Ok(old)
}

fn no_dashboard(slug: &str) -> Error {
    Error::NotFound(format!("There is no dashboard {slug:?}."))
}

/// Published dashboards, and the unpublished ones the caller may see.
pub async fn list(ctx: &Ctx<'_>) -> Result<Vec<Dashboard>> {
    let mut seen = Vec::new();
    for d in dashboards::list(ctx.store, ctx.caller.can(Permission::ReadUnpublished)).await? {
        if may_see(ctx, &d).await? {
            seen.push(d);
        }
    }
    Ok(seen)
}

/// One dashboard with its modules: a 404 when there is none, or when it is
/// unpublished and the caller may not see it.
pub async fn show(ctx: &Ctx<'_>, slug: &str) -> Result<Dashboard> {
    match dashboards::find(ctx.store, slug).await? {
        Some(d) if may_see(ctx, &d).await? => Ok(d),
        _ => Err(no_dashboard(slug)),
    }
}

/// How recent the data of each data set a dashboard's modules read is (by
/// name; those that do not exist are left out).
pub async fn freshness(ctx: &Ctx<'_>, slug: &str) -> Result<Vec<Freshness>> {
    let dashboard = show(ctx, slug).await?;
    let mut names: Vec<&str> = app::modules::data_modules(&dashboard.modules)
        .into_iter()
        .filter_map(|m| m.data_set.as_deref())
        .collect();
    names.sort_unstable();
    names.dedup();
    let mut out = Vec::new();
    for name in names {
        let Some((group, data_type)) = name.split_once('/') else {
            continue;
        };
        let Some(ds) = data_sets::find(ctx.store, group, data_type).await? else {
            continue;
        };
        let span = ctx.cache.span(ctx.store, ds.id, ds.version).await?;
        // A period split by channel, stage or step is complete when all
        // of it has come, by the rule the service pages follow.
        // Where a part misses periods between periods it has, dashboards
        // show no figure, as the service pages do not. Data of a kind the
        // catalogue does not know is sent as often as its records' times
        // show: its first and newest periods, and when it is out of date,
        // are judged by that.
        let parts = app::catalogue::part_field(data_type).is_some();
        let whole = if parts || app::catalogue::frequency(data_type).is_none() {
            Some(
                ctx.cache
                    .whole(ctx.store, ds.id, ds.version, data_type)
                    .await?,
            )
        } else {
            None
        };
        let mut freshness = super::freshness::freshness(
            group,
            data_type,
            (
                ds.max_age_expected,
                whole.as_ref().and_then(|w| w.frequency),
            ),
            span.newest,
            span.received,
            ctx.now,
        );
        freshness.oldest_record = span.oldest;
        if let Some(whole) = whole.filter(|_| parts) {
            freshness.newest_whole = whole
                .newest
                .filter(|whole| Some(*whole) != freshness.newest_record);
            freshness.gaps = whole.gaps.to_vec();
        }
        out.push(freshness);
    }
    Ok(out)
}

/// Creates a dashboard (an editor of its service's organisation, or an admin).
pub async fn create(ctx: &Ctx<'_>, d: Dashboard) -> Result<Dashboard> {
    ctx.caller.require(Permission::ManageDashboards)?;
    may_manage(ctx, &d).await?;
    if dashboards::find(ctx.store, &d.slug).await?.is_some() {
        return Err(Error::Conflict(format!(
            "The dashboard {:?} already exists.",
            d.slug
        )));
    }
    validate(ctx.store, &d).await?;
    let mut w = ctx.store.write().await?;
    dashboards::save(&mut w, &d, ctx.now).await?;
    w.commit(Note::new(
        &ctx.caller.actor(),
        "dashboard.create",
        format!("dashboard {}", d.slug),
        json!({ "status": d.status }),
        ctx.now,
    ))
    .await?;
    Ok(d)
}

/// Replaces the dashboard `slug` and its modules (an editor of its
/// organisation, or an admin); the new one keeps its slug.
pub async fn replace(ctx: &Ctx<'_>, slug: &str, d: Dashboard) -> Result<Dashboard> {
    ctx.caller.require(Permission::ManageDashboards)?;
    may_manage(ctx, &d).await?;
    to_manage(ctx, slug).await?;
    if d.slug != slug {
        return Err(Error::Unprocessable(format!(
            "the body's slug {} is not the address's {slug:?}",
            shown(&d.slug)
        )));
    }
    validate(ctx.store, &d).await?;
    let mut w = ctx.store.write().await?;
    dashboards::save(&mut w, &d, ctx.now).await?;
    w.commit(Note::new(
        &ctx.caller.actor(),
        "dashboard.replace",
        format!("dashboard {}", d.slug),
        json!({ "status": d.status }),
        ctx.now,
    ))
    .await?;
    Ok(d)
}

/// The service a dashboard is made for: a new one, or the id of one that exists.
enum ServiceFor {
    New(ServiceInput),
    Existing(i64),
}

/// Makes the service `slug`'s dashboard from the KPIs it should show, in one
/// change (audited as one): the service too when it is new, a data set for
/// each data type the KPIs read (those that exist are used as they are; each
/// new one gets a write token, shown only this once), and the dashboard,
/// unpublished, with a module for each KPI. Either all of it is made or none
/// of it.
pub async fn create_for_service(
    ctx: &Ctx<'_>,
    slug: &str,
    wanted: ServiceDashboardRequest,
) -> Result<ServiceDashboard> {
    let caller = ctx.caller;
    caller.require(Permission::ManageDashboards)?;
    if wanted.kpis.is_empty() {
        return Err(Error::BadRequest(
            "kpis: choose at least one KPI for the dashboard".into(),
        ));
    }
    if let Some(unknown) = wanted.kpis.iter().find(|k| catalogue::choice(k).is_none()) {
        let known: Vec<&str> = CHOICES.iter().map(|c| c.key).collect();
        return Err(Error::BadRequest(format!(
            "kpis: {} is not one of {}",
            shown(unknown),
            known.join(", ")
        )));
    }
    let slug = slug.to_string();
    let address = wanted.dashboard.clone().unwrap_or_else(|| slug.clone());
    // Who may, and what the dashboard is called after.
    let (title, description) = match &wanted.new_service {
        Some(new) => {
            access::require_new_service(ctx, &new.organisation).await?;
            if orgs::find_service(ctx.store, &slug).await?.is_some() {
                return Err(Error::Conflict(format!(
                    "The service {slug:?} already exists: choose it rather than making it again."
                )));
            }
            (
                new.title.trim().to_string(),
                new.description.trim().to_string(),
            )
        }
        None => {
            access::require_service(ctx, Permission::ManageDashboards, &slug).await?;
            let (listing, description) = orgs::find_service(ctx.store, &slug)
                .await?
                .ok_or_else(|| Error::NotFound(format!("There is no service `{slug}`.")))?;
            (listing.title, description)
        }
    };
    if dashboards::find(ctx.store, &address).await?.is_some() {
        return Err(Error::Conflict(format!(
            "There is already a dashboard at /{address}: enter another address."
        )));
    }
    // The modules, in the builder's order, and the data types they read.
    let mut modules = Vec::new();
    let mut types: Vec<&str> = Vec::new();
    for c in CHOICES
        .iter()
        .filter(|c| wanted.kpis.iter().any(|k| k == c.key))
    {
        if !types.contains(&c.data_type) {
            types.push(c.data_type);
        }
        modules.extend(catalogue::modules_for(&slug, c.key));
    }
    let mut existing = Vec::new();
    let mut to_make = Vec::new();
    for data_type in types {
        if data_sets::find(ctx.store, &slug, data_type)
            .await?
            .is_some()
        {
            existing.push(format!("{slug}/{data_type}"));
        } else {
            let mut settings = data_sets::DataSetSettings::default();
            super::data_sets::take_type(&mut settings, data_type)?;
            to_make.push((data_type, settings));
        }
    }
    let d = Dashboard {
        description,
        ..Dashboard::draft(address.clone(), title.clone(), Some(slug.clone()), modules)
    };
    let planned = Planned {
        service: wanted.new_service.as_ref().map(|_| slug.clone()),
        data_sets: to_make
            .iter()
            .map(|(t, s)| (format!("{slug}/{t}"), s.raw_queries_allowed))
            .collect(),
    };
    validate_planned(ctx.store, &d, &planned).await?;
    // The service to make, or the existing one's id, read before the write
    // begins (no read from the pool while a write is open).
    let service = match &wanted.new_service {
        Some(new) => ServiceFor::New(ServiceInput {
            slug: slug.clone(),
            title: title.clone(),
            description: d.description.clone(),
            organisation: new.organisation.clone(),
        }),
        None => ServiceFor::Existing(
            orgs::service_id(ctx.store, &slug)
                .await?
                .ok_or_else(|| Error::NotFound(format!("There is no service `{slug}`.")))?,
        ),
    };

    let now = ctx.now;
    let mut w = ctx.store.write().await?;
    let service_id = match &service {
        ServiceFor::New(input) => super::orgs::save_service(&mut w, input).await?,
        ServiceFor::Existing(id) => *id,
    };
    let mut tokens = Vec::new();
    for (data_type, settings) in &to_make {
        let made = data_sets::create_with_token(
            &mut w,
            &slug,
            data_type,
            Some(service_id),
            settings,
            None,
            now,
        )
        .await?;
        tokens.push(WriteToken {
            data_set: format!("{slug}/{data_type}"),
            bearer_token: made.bearer_token,
        });
    }
    dashboards::save(&mut w, &d, now).await?;
    let made: Vec<&str> = tokens.iter().map(|t| t.data_set.as_str()).collect();
    w.commit(Note::new(
        &caller.actor(),
        "service.dashboard",
        format!("dashboard {address}"),
        json!({ "service": slug, "new_service": wanted.new_service.is_some(),
                "data_sets_made": made, "kpis": wanted.kpis }),
        now,
    ))
    .await?;
    Ok(ServiceDashboard {
        dashboard: d,
        created_service: wanted.new_service.is_some(),
        tokens,
        existing,
    })
}

/// Publishes a dashboard with the data sets its modules read, in one change
/// (audited as one): everyone can then read the dashboard and its figures. A
/// data set the caller may not publish (another organisation's) is refused
/// unless it is published already.
pub async fn publish(ctx: &Ctx<'_>, slug: &str) -> Result<PublishedDashboard> {
    let caller = ctx.caller;
    caller.require(Permission::ManageDashboards)?;
    let mut d = to_manage(ctx, slug).await?;
    let mut read: Vec<String> = app::modules::data_modules(&d.modules)
        .into_iter()
        .filter_map(|m| m.data_set.clone())
        .collect();
    read.sort();
    read.dedup();
    let mut to_publish = Vec::new();
    for name in &read {
        let (group, data_type) = name.split_once('/').unwrap_or((name, ""));
        let Some(ds) = data_sets::find(ctx.store, group, data_type).await? else {
            return Err(Error::Unprocessable(format!(
                "A module reads the data set {name:?}, which does not exist."
            )));
        };
        if ds.published {
            continue;
        }
        if !caller.can(Permission::Admin) {
            let orgs = access::service_orgs(ctx.store, group)
                .await?
                .unwrap_or_default();
            access::require_in(
                caller,
                Permission::ManageDashboards,
                &orgs,
                &format!("the data set {name:?}, which a module reads and is not published,"),
            )?;
        }
        to_publish.push(ds);
    }
    d.status = DashboardStatus::Published;
    let mut w = ctx.store.write().await?;
    dashboards::save(&mut w, &d, ctx.now).await?;
    for ds in &to_publish {
        data_sets::publish(&mut w, ds.id).await?;
    }
    let published_data_sets: Vec<String> = to_publish
        .iter()
        .map(|ds| format!("{}/{}", ds.data_group, ds.data_type))
        .collect();
    w.commit(Note::new(
        &caller.actor(),
        "dashboard.publish",
        format!("dashboard {slug}"),
        json!({ "data_sets": published_data_sets }),
        ctx.now,
    ))
    .await?;
    for ds in &to_publish {
        ctx.cache.invalidate(ds.id);
    }
    Ok(PublishedDashboard {
        dashboard: d,
        published_data_sets,
    })
}

/// Deletes a dashboard (an editor of its organisation, or an admin).
pub async fn remove(ctx: &Ctx<'_>, slug: &str) -> Result<()> {
    ctx.caller.require(Permission::ManageDashboards)?;
    to_manage(ctx, slug).await?;
    let mut w = ctx.store.write().await?;
    dashboards::delete(&mut w, slug).await?;
    w.commit(Note::new(
        &ctx.caller.actor(),
        "dashboard.delete",
        format!("dashboard {slug}"),
        json!({}),
        ctx.now,
    ))
    .await?;
    Ok(())
}
