//! Annotations: editors' notes on a service's figures. An edit keeps the
//! version it replaces in `annotation_versions`, in the same transaction.

use app::model::{Annotation, AnnotationVersion, NewAnnotation, Visibility};
use chrono::{DateTime, Utc};
use sqlx::FromRow;

use super::{from_micros, micros, Store, Write};
use super::{Error, Result};
use crate::{on_pool, on_tx};

/// What a list of annotations is narrowed to (each optional).
#[derive(Clone, Debug, Default)]
pub struct Filter {
    pub service: Option<String>,
    /// Notes that end at or after this time.
    pub from: Option<DateTime<Utc>>,
    /// Notes that start before this time.
    pub to: Option<DateTime<Utc>>,
}

/// A stored annotation with the organisations of its service (its department
/// and agency, by slug), which decide who may read and change it.
#[derive(Clone, Debug)]
pub struct Stored {
    pub annotation: Annotation,
    pub orgs: Vec<String>,
}

#[derive(FromRow)]
struct Row {
    id: i64,
    service: String,
    module: Option<String>,
    starts_at: i64,
    ends_at: Option<i64>,
    body: String,
    tags: String,
    visibility: String,
    author: String,
    version: i64,
    created_at: i64,
    updated_at: i64,
    org: String,
    parent: Option<String>,
}

fn visibility_of(text: &str) -> Visibility {
    if text == "internal" {
        Visibility::Internal
    } else {
        Visibility::Public
    }
}

fn visibility_text(v: Visibility) -> &'static str {
    match v {
        Visibility::Public => "public",
        Visibility::Internal => "internal",
    }
}

fn tags_of(text: &str) -> Vec<String> {
    serde_json::from_str(text).unwrap_or_default()
}

impl From<Row> for Stored {
    fn from(r: Row) -> Stored {
        Stored {
            annotation: Annotation {
                id: r.id,
                service: r.service,
                module: r.module,
                starts_at: from_micros(r.starts_at),
                ends_at: r.ends_at.map(from_micros),
                text: r.body,
                tags: tags_of(&r.tags),
                visibility: visibility_of(&r.visibility),
                author: r.author,
                version: r.version,
                created_at: from_micros(r.created_at),
                updated_at: from_micros(r.updated_at),
            },
            orgs: std::iter::once(r.org).chain(r.parent).collect(),
        }
    }
}

const SELECT: &str = "
    SELECT a.id, s.slug AS service, a.module, a.starts_at, a.ends_at, a.body, a.tags,
           a.visibility, a.author, a.version, a.created_at, a.updated_at,
           o.slug AS org, p.slug AS parent
    FROM annotations a
    JOIN services s ON s.id = a.service_id
    JOIN organisations o ON o.id = s.organisation_id
    LEFT JOIN organisations p ON p.id = o.parent_id";

/// Annotations by time (then by id), narrowed by `filter`.
pub async fn list(store: &Store, filter: &Filter) -> Result<Vec<Stored>> {
    let sql = format!(
        "{SELECT}
         WHERE ($1 IS NULL OR s.slug = $1)
           AND ($2 IS NULL OR COALESCE(a.ends_at, a.starts_at) >= $2)
           AND ($3 IS NULL OR a.starts_at < $3)
         ORDER BY a.starts_at, a.id"
    );
    let rows: Vec<Row> = on_pool!(store, |pool| sqlx::query_as(sqlx::AssertSqlSafe(
        sql.clone()
    ))
    .bind(filter.service.as_deref())
    .bind(filter.from.map(micros))
    .bind(filter.to.map(micros))
    .fetch_all(pool)
    .await)?;
    Ok(rows.into_iter().map(Stored::from).collect())
}

pub async fn find(store: &Store, id: i64) -> Result<Option<Stored>> {
    let sql = format!("{SELECT} WHERE a.id = $1");
    let row: Option<Row> = on_pool!(store, |pool| sqlx::query_as(sqlx::AssertSqlSafe(
        sql.clone()
    ))
    .bind(id)
    .fetch_optional(pool)
    .await)?;
    Ok(row.map(Stored::from))
}

/// [`find`], inside a change (seeing what it wrote).
async fn find_in(w: &mut Write, id: i64) -> Result<Option<Stored>> {
    let sql = format!("{SELECT} WHERE a.id = $1");
    let row: Option<Row> = on_tx!(w, |conn| sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()))
        .bind(id)
        .fetch_optional(conn)
        .await)?;
    Ok(row.map(Stored::from))
}

async fn service_id(w: &mut Write, slug: &str) -> Result<i64> {
    let id: Option<i64> = on_tx!(w, |conn| sqlx::query_scalar(
        "SELECT id FROM services WHERE slug = $1"
    )
    .bind(slug)
    .fetch_optional(conn)
    .await)?;
    id.ok_or_else(|| Error::NotFound(format!("There is no service `{slug}`.")))
}

fn tags_text(tags: &[String]) -> String {
    serde_json::to_string(tags).unwrap_or_else(|_| "[]".into())
}

/// Stores a new annotation by `author` (a person's id and name, or a key's name).
pub async fn create(
    w: &mut Write,
    note: &NewAnnotation,
    author: (Option<i64>, &str),
    now: DateTime<Utc>,
) -> Result<Stored> {
    let service = service_id(w, &note.service).await?;
    let id: i64 = on_tx!(w, |conn| sqlx::query_scalar(
        "INSERT INTO annotations (service_id, module, starts_at, ends_at, body, tags,
             visibility, author_id, author, version, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 1, $10, $10) RETURNING id"
    )
    .bind(service)
    .bind(note.module.as_deref())
    .bind(micros(note.starts_at))
    .bind(note.ends_at.map(micros))
    .bind(note.text.trim())
    .bind(tags_text(&note.tags))
    .bind(visibility_text(note.visibility))
    .bind(author.0)
    .bind(author.1)
    .bind(micros(now))
    .fetch_one(conn)
    .await)?;
    find_in(w, id)
        .await?
        .ok_or(Error::Database(sqlx::Error::RowNotFound))
}

/// Replaces annotation `id` with `note` by `author`, keeping the version it
/// replaces. `None` when there is no such annotation.
pub async fn update(
    w: &mut Write,
    id: i64,
    note: &NewAnnotation,
    author: (Option<i64>, &str),
    now: DateTime<Utc>,
) -> Result<Option<Stored>> {
    let service = service_id(w, &note.service).await?;
    let done: u64 = on_tx!(w, |conn| {
        sqlx::query(
            "INSERT INTO annotation_versions (annotation_id, version, module, starts_at, ends_at,
                 body, tags, visibility, author, saved_at)
             SELECT id, version, module, starts_at, ends_at, body, tags, visibility, author,
                 updated_at
             FROM annotations WHERE id = $1",
        )
        .bind(id)
        .execute(&mut *conn)
        .await?;
        sqlx::query(
            "UPDATE annotations SET service_id = $2, module = $3, starts_at = $4, ends_at = $5,
                 body = $6, tags = $7, visibility = $8, author_id = $9, author = $10,
                 version = version + 1, updated_at = $11
             WHERE id = $1",
        )
        .bind(id)
        .bind(service)
        .bind(note.module.as_deref())
        .bind(micros(note.starts_at))
        .bind(note.ends_at.map(micros))
        .bind(note.text.trim())
        .bind(tags_text(&note.tags))
        .bind(visibility_text(note.visibility))
        .bind(author.0)
        .bind(author.1)
        .bind(micros(now))
        .execute(conn)
        .await
        .map(|r| r.rows_affected())
    })?;
    if done == 0 {
        return Ok(None);
    }
    find_in(w, id).await
}

/// Deletes an annotation and its earlier versions (the audit log keeps what it said).
pub async fn delete(w: &mut Write, id: i64) -> Result<bool> {
    let done: u64 = on_tx!(w, |conn| {
        sqlx::query("DELETE FROM annotation_versions WHERE annotation_id = $1")
            .bind(id)
            .execute(&mut *conn)
            .await?;
        sqlx::query("DELETE FROM annotations WHERE id = $1")
            .bind(id)
            .execute(conn)
            .await
            .map(|r| r.rows_affected())
    })?;
    Ok(done > 0)
}

#[derive(FromRow)]
struct VersionRow {
    version: i64,
    module: Option<String>,
    starts_at: i64,
    ends_at: Option<i64>,
    body: String,
    tags: String,
    visibility: String,
    author: String,
    saved_at: i64,
}

/// The earlier versions of an annotation, newest first.
pub async fn versions(store: &Store, id: i64) -> Result<Vec<AnnotationVersion>> {
    let rows: Vec<VersionRow> = on_pool!(store, |pool| sqlx::query_as(
        "SELECT version, module, starts_at, ends_at, body, tags, visibility, author, saved_at
         FROM annotation_versions WHERE annotation_id = $1 ORDER BY version DESC"
    )
    .bind(id)
    .fetch_all(pool)
    .await)?;
    Ok(rows
        .into_iter()
        .map(|r| AnnotationVersion {
            version: r.version,
            module: r.module,
            starts_at: from_micros(r.starts_at),
            ends_at: r.ends_at.map(from_micros),
            text: r.body,
            tags: tags_of(&r.tags),
            visibility: visibility_of(&r.visibility),
            author: r.author,
            saved_at: from_micros(r.saved_at),
        })
        .collect())
}
