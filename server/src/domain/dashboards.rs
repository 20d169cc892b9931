//! Dashboards' rules: what a dashboard must be before it is stored (its
//! fields, its service, every module's slug, data set and stored query, parsed
//! as the read API would).

use app::model::{Dashboard, Module, ModuleType};
use app::model::{BUSINESS_MODELS, CUSTOMER_TYPES, DASHBOARD_TYPES};

use crate::domain::query::params;
use crate::error::{Error, Result};
use crate::store::{data_sets, orgs, Store};

fn is_slug(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 100
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// First path segments the app uses itself: a dashboard lives at `/{slug}`, so
/// none may take one of these.
pub const RESERVED_SLUGS: [&str; 20] = [
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
/// set and stored query (parsed as the read API would).
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
            "slug {:?} is taken by Pulse's own pages; choose another",
            d.slug
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
            "customer_type {c:?} must be one of {}",
            CUSTOMER_TYPES.join(", ")
        ));
    }
    if let Some(b) = d
        .business_model
        .as_deref()
        .filter(|b| !BUSINESS_MODELS.contains(b))
    {
        return bad(format!(
            "business_model {b:?} must be one of {}",
            BUSINESS_MODELS.join(", ")
        ));
    }
    for url in d.service_url.iter().chain(d.links.iter().map(|l| &l.url)) {
        if !(url.starts_with("https://") || url.starts_with("http://")) {
            return bad(format!(
                "{url:?} is not a web address (http:// or https://)"
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
        };
        if let Err(message) = params::parse(&pairs, allow) {
            return Err(Error::Unprocessable(format!(
                "module {name:?}: its query is not valid: {message}"
            )));
        }
    }
    Ok(())
}
