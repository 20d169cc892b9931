//! Dashboards: stored whole (fields and ordered modules), checked before
//! writing by the domain ([`crate::domain::dashboards`]).

use app::model::{Dashboard, DashboardStatus};
use chrono::{DateTime, Utc};

use super::{micros, Store, Write};
use super::{Error, Result};
use crate::{on_pool, on_tx};

fn status_text(status: DashboardStatus) -> &'static str {
    match status {
        DashboardStatus::Unpublished => "unpublished",
        DashboardStatus::InReview => "in-review",
        DashboardStatus::Published => "published",
    }
}

/// Creates or replaces the dashboard with this slug (checked first by
/// [`crate::domain::dashboards::validate`]).
pub async fn save(w: &mut Write, d: &Dashboard, now: DateTime<Utc>) -> Result<()> {
    let body = serde_json::to_string(d)?;
    on_tx!(w, |conn| sqlx::query(
        "INSERT INTO dashboards (slug, status, service_slug, body, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $5)
         ON CONFLICT (slug) DO UPDATE SET status = excluded.status,
             service_slug = excluded.service_slug, body = excluded.body,
             updated_at = excluded.updated_at"
    )
    .bind(&d.slug)
    .bind(status_text(d.status))
    .bind(&d.service)
    .bind(&body)
    .bind(micros(now))
    .execute(conn)
    .await
    .map(|_| ()))?;
    Ok(())
}

pub async fn find(store: &Store, slug: &str) -> Result<Option<Dashboard>> {
    let body: Option<String> = on_pool!(store, |pool| sqlx::query_scalar(
        "SELECT body FROM dashboards WHERE slug = $1"
    )
    .bind(slug)
    .fetch_optional(pool)
    .await)?;
    body.map(|b| serde_json::from_str(&b).map_err(Error::from))
        .transpose()
}

/// Dashboards from their stored bodies.
fn parse_all(bodies: &[String]) -> Result<Vec<Dashboard>> {
    bodies.iter().map(|b| parse(b)).collect()
}

/// Every dashboard (only published ones unless `all`), by slug.
pub async fn list(store: &Store, all: bool) -> Result<Vec<Dashboard>> {
    let bodies: Vec<String> = on_pool!(store, |pool| sqlx::query_scalar(
        "SELECT body FROM dashboards WHERE status = 'published' OR $1 ORDER BY slug"
    )
    .bind(all)
    .fetch_all(pool)
    .await)?;
    parse_all(&bodies)
}

/// The published dashboards of a service, by slug.
pub async fn published_for_service(store: &Store, service: &str) -> Result<Vec<Dashboard>> {
    let bodies: Vec<String> = on_pool!(store, |pool| sqlx::query_scalar(
        "SELECT body FROM dashboards WHERE status = 'published' AND service_slug = $1
         ORDER BY slug"
    )
    .bind(service)
    .fetch_all(pool)
    .await)?;
    parse_all(&bodies)
}

/// The first published dashboard (by slug) of each service that has one.
pub async fn published_by_service(
    store: &Store,
) -> Result<std::collections::HashMap<String, String>> {
    let rows: Vec<(String, String)> = on_pool!(store, |pool| sqlx::query_as(
        "SELECT service_slug, slug FROM dashboards
         WHERE status = 'published' AND service_slug IS NOT NULL ORDER BY slug DESC"
    )
    .fetch_all(pool)
    .await)?;
    // Descending, so the first by slug is inserted last and kept.
    Ok(rows.into_iter().collect())
}

/// Each service's published dashboards, by slug, as stored: (slug, body).
/// One read for a board of many services, whose bodies are parsed
/// ([`parse`]) only when what was worked out from them is not kept.
pub async fn published_bodies_by_service(
    store: &Store,
) -> Result<std::collections::HashMap<String, Vec<(String, String)>>> {
    let rows: Vec<(String, String, String)> = on_pool!(store, |pool| sqlx::query_as(
        "SELECT service_slug, slug, body FROM dashboards
         WHERE status = 'published' AND service_slug IS NOT NULL ORDER BY slug"
    )
    .fetch_all(pool)
    .await)?;
    let mut out: std::collections::HashMap<String, Vec<(String, String)>> = Default::default();
    for (service, slug, body) in rows {
        out.entry(service).or_default().push((slug, body));
    }
    Ok(out)
}

/// A dashboard from its stored body.
pub fn parse(body: &str) -> Result<Dashboard> {
    serde_json::from_str(body).map_err(Error::from)
}

pub async fn delete(w: &mut Write, slug: &str) -> Result<bool> {
    let done = on_tx!(w, |conn| sqlx::query(
        "DELETE FROM dashboards WHERE slug = $1"
    )
    .bind(slug)
    .execute(conn)
    .await
    .map(|r| r.rows_affected()))?;
    Ok(done > 0)
}
