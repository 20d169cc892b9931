//! `/api/v1/dashboards`: dashboards and their modules. Anyone reads published
//! ones; signed-in people (and keys that may read unpublished data) read the
//! unpublished ones of their organisations; editors and admins (and keys that may
//! manage dashboards) create, replace and delete them, within their organisations.

use app::model::{Dashboard, DashboardStatus};
use axum::{
    extract::State,
    http::StatusCode,
    response::{IntoResponse, Response},
    Json,
};
use chrono::Utc;
use serde_json::json;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::extract::{Path, Payload};
use super::AppState;
use crate::domain::access;
use crate::domain::caller::{Caller, Permission};
use crate::domain::freshness as fresh;
use crate::error::{Error, Result};
use crate::store::audit::Note;
use crate::store::{dashboards, data_sets, orgs, records};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(show, replace, remove))
        .routes(routes!(freshness))
        .routes(routes!(publish))
        .routes(routes!(service_dashboard))
}

/// The department and agency of the dashboard's service (none without one).
async fn orgs_of(state: &AppState, d: &Dashboard) -> Result<Vec<String>> {
    Ok(match &d.service {
        Some(slug) => access::service_orgs(&state.store, slug)
            .await?
            .unwrap_or_default(),
        None => Vec::new(),
    })
}

/// Whether the caller may see this dashboard: everyone a published one; the
/// unpublished ones only callers who may read unpublished data of its service's
/// organisations.
pub(crate) async fn may_see(state: &AppState, caller: &Caller, d: &Dashboard) -> Result<bool> {
    if d.status == DashboardStatus::Published {
        return Ok(true);
    }
    if !caller.can(Permission::ReadUnpublished) {
        return Ok(false);
    }
    Ok(access::covers(caller, &orgs_of(state, d).await?))
}

/// Refuses a caller who may not manage this dashboard (its service's
/// organisations must be theirs).
async fn may_manage(state: &AppState, caller: &Caller, d: &Dashboard) -> Result<()> {
    caller.require(Permission::ManageDashboards)?;
    let orgs = orgs_of(state, d).await?;
    access::require_in(
        caller,
        Permission::ManageDashboards,
        &orgs,
        &format!("the dashboard {:?}", d.slug),
    )
}

/// The stored dashboard a manager is about to change: a 404 when the caller may
/// neither see nor manage it, a 403 when they may see but not manage it.
async fn to_manage(state: &AppState, caller: &Caller, slug: &str) -> Result<Dashboard> {
    let Some(old) = dashboards::find(&state.store, slug).await? else {
        return Err(no_dashboard(slug));
    };
    let orgs = orgs_of(state, &old).await?;
    let theirs = caller.covers(&orgs.iter().map(String::as_str).collect::<Vec<_>>());
    let manages = caller.can(Permission::ManageDashboards) && theirs;
    if !manages && !may_see(state, caller, &old).await? {
        return Err(no_dashboard(slug));
    }
    may_manage(state, caller, &old).await?;
    Ok(old)
}

fn no_dashboard(slug: &str) -> Error {
    Error::NotFound(format!("There is no dashboard {slug:?}."))
}

/// Published dashboards, and the unpublished ones the caller may see.
#[utoipa::path(get, path = "/dashboards", tag = "dashboards", security((), ("bearer" = [])),
    responses((status = 200, body = app::model::DashboardList)))]
async fn list(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<app::model::DashboardList>> {
    let mut seen = Vec::new();
    for d in dashboards::list(&state.store, caller.can(Permission::ReadUnpublished)).await? {
        if may_see(&state, &caller, &d).await? {
            seen.push(d);
        }
    }
    Ok(Json(app::model::DashboardList { dashboards: seen }))
}

/// One dashboard with its modules. An unpublished one is a 404 to callers who
/// may not see it.
#[utoipa::path(get, path = "/dashboards/{slug}", tag = "dashboards", security((), ("bearer" = [])),
    params(("slug" = String, Path)),
    responses((status = 200, body = Dashboard), (status = 404, body = app::model::ErrorBody)))]
async fn show(
    State(state): State<AppState>,
    caller: Caller,
    Path(slug): Path<String>,
) -> Result<Json<Dashboard>> {
    match dashboards::find(&state.store, &slug).await? {
        Some(d) if may_see(&state, &caller, &d).await? => Ok(Json(d)),
        _ => Err(no_dashboard(&slug)),
    }
}

/// How recent the data of each data set a dashboard's modules read is: when
/// the newest record arrived, its date, and whether it is older than expected.
#[utoipa::path(get, path = "/dashboards/{slug}/freshness", tag = "dashboards", security((), ("bearer" = [])),
    params(("slug" = String, Path)),
    responses((status = 200, body = app::model::FreshnessList),
              (status = 404, body = app::model::ErrorBody)))]
async fn freshness(
    State(state): State<AppState>,
    caller: Caller,
    Path(slug): Path<String>,
) -> Result<Json<app::model::FreshnessList>> {
    let dashboard = match dashboards::find(&state.store, &slug).await? {
        Some(d) if may_see(&state, &caller, &d).await? => d,
        _ => return Err(no_dashboard(&slug)),
    };
    let mut names: Vec<&str> = app::modules::data_modules(&dashboard.modules)
        .into_iter()
        .filter_map(|m| m.data_set.as_deref())
        .collect();
    names.sort_unstable();
    names.dedup();
    let now = Utc::now();
    let mut out = Vec::new();
    for name in names {
        let Some((group, data_type)) = name.split_once('/') else {
            continue;
        };
        let Some(ds) = data_sets::find(&state.store, group, data_type).await? else {
            continue;
        };
        let (newest, received) = records::newest(&state.store, ds.id).await?;
        out.push(fresh::freshness(
            group,
            data_type,
            ds.max_age_expected,
            newest,
            received,
            now,
        ));
    }
    Ok(Json(app::model::FreshnessList { data_sets: out }))
}

/// Creates a dashboard (an editor of its service's organisation, or an admin).
#[utoipa::path(post, path = "/dashboards", tag = "dashboards", security(("bearer" = [])),
    request_body = Dashboard,
    responses((status = 201, body = Dashboard), (status = 400, body = app::model::ErrorBody),
              (status = 404, description = "Its service, or a module's data set, does not exist", body = app::model::ErrorBody),
              (status = 409, description = "The slug is taken, or two modules have one slug", body = app::model::ErrorBody),
              (status = 422, description = "A module's query is one the read API refuses for its data set", body = app::model::ErrorBody)))]
async fn create(State(state): State<AppState>, caller: Caller, body: Payload) -> Result<Response> {
    caller.require(Permission::ManageDashboards)?;
    let d: Dashboard = body.json()?;
    may_manage(&state, &caller, &d).await?;
    if dashboards::find(&state.store, &d.slug).await?.is_some() {
        return Err(Error::Conflict(format!(
            "The dashboard {:?} already exists.",
            d.slug
        )));
    }
    crate::domain::dashboards::validate(&state.store, &d).await?;
    let mut w = state.store.write().await?;
    dashboards::save(&mut w, &d, Utc::now()).await?;
    w.commit(Note::new(
        &caller.actor(),
        "dashboard.create",
        format!("dashboard {}", d.slug),
        json!({ "status": d.status }),
        Utc::now(),
    ))
    .await?;
    Ok((StatusCode::CREATED, Json(d)).into_response())
}

/// Replaces a dashboard and its modules (an editor of its organisation, or an admin).
#[utoipa::path(put, path = "/dashboards/{slug}", tag = "dashboards", security(("bearer" = [])),
    params(("slug" = String, Path)), request_body = Dashboard,
    responses((status = 200, body = Dashboard),
              (status = 400, description = "The body is not valid", body = app::model::ErrorBody),
              (status = 404, description = "No such dashboard; or its service, or a module's data set, does not exist", body = app::model::ErrorBody),
              (status = 409, description = "Two modules have one slug", body = app::model::ErrorBody),
              (status = 422, description = "The body's slug is not the address's, or a module's query is one the read API refuses for its data set", body = app::model::ErrorBody)))]
async fn replace(
    State(state): State<AppState>,
    caller: Caller,
    Path(slug): Path<String>,
    body: Payload,
) -> Result<Json<Dashboard>> {
    caller.require(Permission::ManageDashboards)?;
    let d: Dashboard = body.json()?;
    may_manage(&state, &caller, &d).await?;
    to_manage(&state, &caller, &slug).await?;
    if d.slug != slug {
        return Err(Error::Unprocessable(format!(
            "the body's slug {:?} is not the address's {slug:?}",
            d.slug
        )));
    }
    crate::domain::dashboards::validate(&state.store, &d).await?;
    let mut w = state.store.write().await?;
    dashboards::save(&mut w, &d, Utc::now()).await?;
    w.commit(Note::new(
        &caller.actor(),
        "dashboard.replace",
        format!("dashboard {}", d.slug),
        json!({ "status": d.status }),
        Utc::now(),
    ))
    .await?;
    Ok(Json(d))
}

/// Makes a service's dashboard from the KPIs it should show, in one change
/// (audited as one): the service too when it is new, a data set for each data
/// type the KPIs read (those that exist are used as they are; each new one
/// gets a write token, shown only this once), and the dashboard, unpublished,
/// with a module for each KPI. Either all of it is made or none of it.
#[utoipa::path(post, path = "/services/{slug}/dashboard", tag = "dashboards", security(("bearer" = [])),
    params(("slug" = String, Path, pattern = "^[a-z0-9-]{1,100}$", description = "The service's slug (the new service's, with `new_service`)")),
    request_body = app::model::ServiceDashboardRequest,
    responses((status = 201, body = app::model::ServiceDashboard), (status = 400, body = app::model::ErrorBody),
              (status = 401, body = app::model::ErrorBody), (status = 403, body = app::model::ErrorBody),
              (status = 404, description = "No such service (without `new_service`) or organisation", body = app::model::ErrorBody),
              (status = 409, description = "The service (with `new_service`) or the dashboard's address exists already", body = app::model::ErrorBody)))]
async fn service_dashboard(
    State(state): State<AppState>,
    caller: Caller,
    Path(slug): Path<String>,
    body: Payload,
) -> Result<Response> {
    use app::catalogue::{self, CHOICES};
    use app::model::{ServiceDashboardRequest, ServiceInput, WriteToken};
    caller.require(Permission::ManageDashboards)?;
    let wanted: ServiceDashboardRequest = body.json()?;
    if wanted.kpis.is_empty() {
        return Err(Error::BadRequest(
            "kpis: choose at least one KPI for the dashboard".into(),
        ));
    }
    if let Some(unknown) = wanted.kpis.iter().find(|k| catalogue::choice(k).is_none()) {
        let known: Vec<&str> = CHOICES.iter().map(|c| c.key).collect();
        return Err(Error::BadRequest(format!(
            "kpis: {unknown:?} is not one of {}",
            known.join(", ")
        )));
    }
    let address = wanted.dashboard.clone().unwrap_or_else(|| slug.clone());
    // Who may, and what the dashboard is called after.
    let (title, description) = match &wanted.new_service {
        Some(new) => {
            access::require_new_service(&caller, &state.store, &new.organisation).await?;
            if orgs::find_service(&state.store, &slug).await?.is_some() {
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
            access::require_service(&caller, Permission::ManageDashboards, &state.store, &slug)
                .await?;
            let (listing, description) = orgs::find_service(&state.store, &slug)
                .await?
                .ok_or_else(|| Error::NotFound(format!("There is no service `{slug}`.")))?;
            (listing.title, description)
        }
    };
    if dashboards::find(&state.store, &address).await?.is_some() {
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
        if data_sets::find(&state.store, &slug, data_type)
            .await?
            .is_some()
        {
            existing.push(format!("{slug}/{data_type}"));
        } else {
            let mut settings = data_sets::DataSetSettings::default();
            crate::domain::data_sets::take_type(&mut settings, data_type)?;
            to_make.push((data_type, settings));
        }
    }
    let d = Dashboard {
        description,
        ..Dashboard::draft(address.clone(), title.clone(), Some(slug.clone()), modules)
    };
    let planned = crate::domain::dashboards::Planned {
        service: wanted.new_service.as_ref().map(|_| slug.clone()),
        data_sets: to_make
            .iter()
            .map(|(t, s)| (format!("{slug}/{t}"), s.raw_queries_allowed))
            .collect(),
    };
    crate::domain::dashboards::validate_planned(&state.store, &d, &planned).await?;

    let now = Utc::now();
    let mut w = state.store.write().await?;
    let service_id = match &wanted.new_service {
        Some(new) => {
            let input = ServiceInput {
                slug: slug.clone(),
                title: title.clone(),
                description: d.description.clone(),
                organisation: new.organisation.clone(),
            };
            crate::domain::orgs::save_service(&mut w, &input).await?
        }
        None => orgs::service_id(&state.store, &slug)
            .await?
            .ok_or_else(|| Error::NotFound(format!("There is no service `{slug}`.")))?,
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
    let answer = app::model::ServiceDashboard {
        dashboard: d,
        created_service: wanted.new_service.is_some(),
        tokens,
        existing,
    };
    Ok((StatusCode::CREATED, Json(answer)).into_response())
}

/// Publishes a dashboard with the data sets its modules read, in one change
/// (audited as one): everyone can then read the dashboard and its figures. A
/// data set the caller may not publish (another organisation's) is refused
/// unless it is published already.
#[utoipa::path(post, path = "/dashboards/{slug}/publish", tag = "dashboards", security(("bearer" = [])),
    params(("slug" = String, Path)),
    responses((status = 200, body = app::model::PublishedDashboard), (status = 401, body = app::model::ErrorBody),
              (status = 403, body = app::model::ErrorBody), (status = 404, body = app::model::ErrorBody),
              (status = 422, body = app::model::ErrorBody)))]
async fn publish(
    State(state): State<AppState>,
    caller: Caller,
    Path(slug): Path<String>,
) -> Result<Json<app::model::PublishedDashboard>> {
    caller.require(Permission::ManageDashboards)?;
    let mut d = to_manage(&state, &caller, &slug).await?;
    let mut read: Vec<String> = app::modules::data_modules(&d.modules)
        .into_iter()
        .filter_map(|m| m.data_set.clone())
        .collect();
    read.sort();
    read.dedup();
    let mut to_publish = Vec::new();
    for name in &read {
        let (group, data_type) = name.split_once('/').unwrap_or((name, ""));
        let Some(ds) = data_sets::find(&state.store, group, data_type).await? else {
            return Err(Error::Unprocessable(format!(
                "A module reads the data set {name:?}, which does not exist."
            )));
        };
        if ds.published {
            continue;
        }
        if !caller.can(Permission::Admin) {
            let orgs = access::service_orgs(&state.store, group)
                .await?
                .unwrap_or_default();
            access::require_in(
                &caller,
                Permission::ManageDashboards,
                &orgs,
                &format!("the data set {name:?}, which a module reads and is not published,"),
            )?;
        }
        to_publish.push(ds);
    }
    d.status = DashboardStatus::Published;
    let now = Utc::now();
    let mut w = state.store.write().await?;
    dashboards::save(&mut w, &d, now).await?;
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
        now,
    ))
    .await?;
    for ds in &to_publish {
        state.cache.invalidate(ds.id);
    }
    Ok(Json(app::model::PublishedDashboard {
        dashboard: d,
        published_data_sets,
    }))
}

/// Deletes a dashboard (an editor of its organisation, or an admin).
#[utoipa::path(delete, path = "/dashboards/{slug}", tag = "dashboards", security(("bearer" = [])),
    params(("slug" = String, Path)),
    responses((status = 200, body = app::model::Done), (status = 404, body = app::model::ErrorBody)))]
async fn remove(
    State(state): State<AppState>,
    caller: Caller,
    Path(slug): Path<String>,
) -> Result<Json<app::model::Done>> {
    caller.require(Permission::ManageDashboards)?;
    to_manage(&state, &caller, &slug).await?;
    let mut w = state.store.write().await?;
    dashboards::delete(&mut w, &slug).await?;
    w.commit(Note::new(
        &caller.actor(),
        "dashboard.delete",
        format!("dashboard {slug}"),
        json!({}),
        Utc::now(),
    ))
    .await?;

    Ok(Json(app::model::Done::ok(format!("{slug} was deleted"))))
}
