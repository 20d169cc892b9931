//! Organisations (departments and agencies) and the services they run.

pub use app::model::OrgKind;
use app::model::{OrgRef, Organisation, ServiceListing};
use sqlx::FromRow;
use std::sync::Arc;

use super::{Error, Result};
use super::{Store, Write};
use crate::{on_pool, on_tx};

fn kind_str(kind: OrgKind) -> &'static str {
    match kind {
        OrgKind::Department => "department",
        OrgKind::Agency => "agency",
    }
}

pub struct OrgForUpsert<'a> {
    pub slug: &'a str,
    pub title: &'a str,
    pub abbreviation: Option<&'a str>,
    pub kind: OrgKind,
    pub parent_id: Option<i64>,
}

/// Creates the organisation, or updates the one with the same slug; returns its id.
pub async fn upsert_org(w: &mut Write, org: &OrgForUpsert<'_>) -> Result<i64> {
    let id = on_tx!(w, |conn| sqlx::query_scalar(
        "INSERT INTO organisations (slug, title, abbreviation, kind, parent_id)
         VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (slug) DO UPDATE SET title = excluded.title,
             abbreviation = excluded.abbreviation, kind = excluded.kind,
             parent_id = excluded.parent_id
         RETURNING id",
    )
    .bind(org.slug)
    .bind(org.title)
    .bind(org.abbreviation)
    .bind(kind_str(org.kind))
    .bind(org.parent_id)
    .fetch_one(conn)
    .await)?;
    Ok(id)
}

pub struct ServiceForUpsert<'a> {
    pub slug: &'a str,
    pub title: &'a str,
    pub description: &'a str,
    pub organisation_id: i64,
}

/// Creates the service, or updates the one with the same slug; returns its id.
pub async fn upsert_service(w: &mut Write, service: &ServiceForUpsert<'_>) -> Result<i64> {
    let id = on_tx!(w, |conn| sqlx::query_scalar(
        "INSERT INTO services (slug, title, description, organisation_id)
         VALUES ($1, $2, $3, $4)
         ON CONFLICT (slug) DO UPDATE SET title = excluded.title,
             description = excluded.description, organisation_id = excluded.organisation_id
         RETURNING id",
    )
    .bind(service.slug)
    .bind(service.title)
    .bind(service.description)
    .bind(service.organisation_id)
    .fetch_one(conn)
    .await)?;
    Ok(id)
}

/// A service joined with the organisation that runs it and that one's parent.
#[derive(FromRow)]
struct ServiceRow {
    slug: String,
    title: String,
    description: String,
    org_slug: String,
    org_title: String,
    org_abbreviation: Option<String>,
    org_kind: String,
    parent_slug: Option<String>,
    parent_title: Option<String>,
    parent_abbreviation: Option<String>,
}

impl ServiceRow {
    fn into_listing(self) -> (ServiceListing, String) {
        let org = OrgRef {
            slug: self.org_slug,
            title: self.org_title,
            abbreviation: self.org_abbreviation,
        };
        let parent = match (self.parent_slug, self.parent_title) {
            (Some(slug), Some(title)) => Some(OrgRef {
                slug,
                title,
                abbreviation: self.parent_abbreviation,
            }),
            _ => None,
        };
        // An agency's department is its parent; a department runs the service itself.
        let (department, agency) = match (self.org_kind.as_str(), parent) {
            ("agency", Some(parent)) => (parent, Some(org)),
            _ => (org, None),
        };
        let listing = ServiceListing {
            slug: self.slug,
            title: self.title,
            department,
            agency,
        };
        (listing, self.description)
    }
}

const SERVICE_SELECT: &str = "
    SELECT s.slug, s.title, s.description,
           o.slug AS org_slug, o.title AS org_title, o.abbreviation AS org_abbreviation,
           o.kind AS org_kind,
           p.slug AS parent_slug, p.title AS parent_title, p.abbreviation AS parent_abbreviation
    FROM services s
    JOIN organisations o ON o.id = s.organisation_id
    LEFT JOIN organisations p ON p.id = o.parent_id";

/// Every service, by department and then by title.
///
/// Kept between reads while the catalogue has not changed
/// ([`super::catalogue`]): a change by any instance is seen by the next read.
pub async fn list_services(store: &Store) -> Result<Arc<Vec<ServiceListing>>> {
    let at = super::catalogue::stamp(store).await?.changes;
    store
        .catalogue()
        .services
        .get_or_read(at, async {
            let rows: Vec<ServiceRow> = on_pool!(store, |pool| sqlx::query_as(SERVICE_SELECT)
                .fetch_all(pool)
                .await)?;
            let mut services: Vec<ServiceListing> =
                rows.into_iter().map(|r| r.into_listing().0).collect();
            services.sort_by(|a, b| {
                (&a.department.title, &a.title).cmp(&(&b.department.title, &b.title))
            });
            Ok(services)
        })
        .await
}

/// One service and its description, if it exists.
pub async fn find_service(store: &Store, slug: &str) -> Result<Option<(ServiceListing, String)>> {
    let sql = format!("{SERVICE_SELECT} WHERE s.slug = $1");
    let row: Option<ServiceRow> = on_pool!(store, |pool| sqlx::query_as(sqlx::AssertSqlSafe(
        sql.clone()
    ))
    .bind(slug)
    .fetch_optional(pool)
    .await)?;
    Ok(row.map(ServiceRow::into_listing))
}

/// A row of `organisations` with its parent's slug.
#[derive(FromRow)]
struct OrgRow {
    slug: String,
    title: String,
    abbreviation: Option<String>,
    kind: String,
    parent: Option<String>,
}

impl From<OrgRow> for Organisation {
    fn from(r: OrgRow) -> Self {
        Organisation {
            slug: r.slug,
            title: r.title,
            abbreviation: r.abbreviation,
            kind: if r.kind == "agency" {
                OrgKind::Agency
            } else {
                OrgKind::Department
            },
            parent: r.parent,
        }
    }
}

const ORG_SELECT: &str = "
    SELECT o.slug, o.title, o.abbreviation, o.kind, p.slug AS parent
    FROM organisations o LEFT JOIN organisations p ON p.id = o.parent_id";

/// Every organisation, departments first, by title.
pub async fn list_orgs(store: &Store) -> Result<Vec<Organisation>> {
    let sql = format!("{ORG_SELECT} ORDER BY o.kind DESC, o.title");
    let rows: Vec<OrgRow> = on_pool!(store, |pool| sqlx::query_as(sqlx::AssertSqlSafe(
        sql.clone()
    ))
    .fetch_all(pool)
    .await)?;
    Ok(rows.into_iter().map(Organisation::from).collect())
}

/// The organisation with this slug, if there is one.
pub async fn find_org(store: &Store, slug: &str) -> Result<Option<Organisation>> {
    let sql = format!("{ORG_SELECT} WHERE o.slug = $1");
    let row: Option<OrgRow> = on_pool!(store, |pool| sqlx::query_as(sqlx::AssertSqlSafe(
        sql.clone()
    ))
    .bind(slug)
    .fetch_optional(pool)
    .await)?;
    Ok(row.map(Organisation::from))
}

pub async fn org_id(w: &mut Write, slug: &str) -> Result<Option<i64>> {
    Ok(on_tx!(w, |conn| sqlx::query_scalar(
        "SELECT id FROM organisations WHERE slug = $1"
    )
    .bind(slug)
    .fetch_optional(conn)
    .await)?)
}

pub fn is_slug(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 100
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// The id and kind (`department`, `agency`) of the organisation `slug`,
/// inside a change.
pub async fn org_kind_in(w: &mut Write, slug: &str) -> Result<Option<(i64, String)>> {
    Ok(on_tx!(w, |conn| sqlx::query_as(
        "SELECT id, kind FROM organisations WHERE slug = $1"
    )
    .bind(slug)
    .fetch_optional(conn)
    .await)?)
}

/// How many agencies the organisation `slug` has, inside a change.
pub async fn agencies_in(w: &mut Write, slug: &str) -> Result<i64> {
    Ok(on_tx!(w, |conn| sqlx::query_scalar(
        "SELECT COUNT(*) FROM organisations c JOIN organisations o ON c.parent_id = o.id
         WHERE o.slug = $1"
    )
    .bind(slug)
    .fetch_one(conn)
    .await)?)
}

/// The string a kind is stored as.
pub fn kind_text(kind: OrgKind) -> &'static str {
    kind_str(kind)
}

/// Deletes an organisation that runs no service and has no agencies.
pub async fn delete_org(w: &mut Write, slug: &str) -> Result<bool> {
    let Some(id) = org_id(w, slug).await? else {
        return Ok(false);
    };
    let (services, agencies): (i64, i64) = on_tx!(w, |conn| sqlx::query_as(
        "SELECT (SELECT COUNT(*) FROM services WHERE organisation_id = $1),
                (SELECT COUNT(*) FROM organisations WHERE parent_id = $1)"
    )
    .bind(id)
    .fetch_one(conn)
    .await)?;
    if services > 0 || agencies > 0 {
        return Err(Error::Conflict(format!(
            "{slug:?} still runs {services} service(s) and has {agencies} agency(ies): \
             move or delete them first"
        )));
    }
    on_tx!(w, |conn| sqlx::query(
        "DELETE FROM organisations WHERE id = $1"
    )
    .bind(id)
    .execute(conn)
    .await
    .map(|r| r.rows_affected()))?;
    Ok(true)
}

/// Deletes a service that no data set and no dashboard belongs to.
pub async fn delete_service(w: &mut Write, slug: &str) -> Result<bool> {
    let id: Option<i64> = on_tx!(w, |conn| sqlx::query_scalar(
        "SELECT id FROM services WHERE slug = $1"
    )
    .bind(slug)
    .fetch_optional(conn)
    .await)?;
    let Some(id) = id else {
        return Ok(false);
    };
    let data_sets: i64 = on_tx!(w, |conn| sqlx::query_scalar(
        "SELECT COUNT(*) FROM data_sets WHERE service_id = $1"
    )
    .bind(id)
    .fetch_one(conn)
    .await)?;
    let dashboards: i64 = on_tx!(w, |conn| sqlx::query_scalar(
        "SELECT COUNT(*) FROM dashboards WHERE service_slug = $1"
    )
    .bind(slug)
    .fetch_one(conn)
    .await)?;
    if data_sets > 0 || dashboards > 0 {
        return Err(Error::Conflict(format!(
            "{slug:?} still has {data_sets} data set(s) and {dashboards} dashboard(s): \
             delete them first"
        )));
    }
    on_tx!(w, |conn| sqlx::query("DELETE FROM services WHERE id = $1")
        .bind(id)
        .execute(conn)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(true)
}

/// A service's id by slug, if it exists.
pub async fn service_id(store: &Store, slug: &str) -> Result<Option<i64>> {
    Ok(on_pool!(store, |pool| sqlx::query_scalar(
        "SELECT id FROM services WHERE slug = $1"
    )
    .bind(slug)
    .fetch_optional(pool)
    .await)?)
}
