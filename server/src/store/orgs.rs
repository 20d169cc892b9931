//! Organisations (departments and agencies) and the services they run.

use app::model::{OrgRef, ServiceListing};
use sqlx::FromRow;

use super::Store;
use crate::error::Result;
use crate::on_pool;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OrgKind {
    Department,
    Agency,
}

impl OrgKind {
    fn as_str(self) -> &'static str {
        match self {
            OrgKind::Department => "department",
            OrgKind::Agency => "agency",
        }
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
pub async fn upsert_org(store: &Store, org: &OrgForUpsert<'_>) -> Result<i64> {
    let id = on_pool!(store, |pool| sqlx::query_scalar(
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
    .bind(org.kind.as_str())
    .bind(org.parent_id)
    .fetch_one(pool)
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
pub async fn upsert_service(store: &Store, service: &ServiceForUpsert<'_>) -> Result<i64> {
    let id = on_pool!(store, |pool| sqlx::query_scalar(
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
    .fetch_one(pool)
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
pub async fn list_services(store: &Store) -> Result<Vec<ServiceListing>> {
    let rows: Vec<ServiceRow> = on_pool!(store, |pool| sqlx::query_as(SERVICE_SELECT)
        .fetch_all(pool)
        .await)?;
    let mut services: Vec<ServiceListing> = rows.into_iter().map(|r| r.into_listing().0).collect();
    services.sort_by(|a, b| (&a.department.title, &a.title).cmp(&(&b.department.title, &b.title)));
    Ok(services)
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
