//! Data sets: a data group (usually the service) and a data type, with the settings
//! that govern how records are written and read.

use chrono::{DateTime, Utc};
use sqlx::FromRow;
use std::sync::Arc;

use super::{from_micros, micros, Store, Write};
use super::{Error, Result};
use crate::{on_pool, on_tx};

/// A data set's name: `group_type` with `-` replaced by `_`, as Backdrop named them.
pub fn name(group: &str, data_type: &str) -> String {
    format!("{group}_{data_type}").replace('-', "_")
}

/// Whether `s` can be a data group or data type: lower-case letters, digits and
/// dashes, starting with a letter or digit.
pub fn is_valid_slug(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 100
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
        && s.as_bytes()[0].is_ascii_alphanumeric()
}

pub use app::model::{DataSet, DataSetWithToken};

#[derive(FromRow)]
struct DataSetRow {
    id: i64,
    name: String,
    data_group: String,
    data_type: String,
    auto_ids: String,
    schema: Option<String>,
    queryable: bool,
    published: bool,
    realtime: bool,
    raw_queries_allowed: bool,
    max_age_expected: Option<i64>,
    upload_format: Option<String>,
    created_at: i64,
    version: i64,
}

impl From<DataSetRow> for DataSet {
    fn from(r: DataSetRow) -> Self {
        DataSet {
            id: r.id,
            name: r.name,
            data_group: r.data_group,
            data_type: r.data_type,
            auto_ids: serde_json::from_str(&r.auto_ids).unwrap_or_default(),
            schema: r.schema.and_then(|s| serde_json::from_str(&s).ok()),
            queryable: r.queryable,
            published: r.published,
            realtime: r.realtime,
            raw_queries_allowed: r.raw_queries_allowed,
            max_age_expected: r.max_age_expected,
            upload_format: r.upload_format,
            created_at: from_micros(r.created_at),
            version: r.version,
        }
    }
}

const COLUMNS: &str = "id, name, data_group, data_type, auto_ids, schema, queryable, published, \
     realtime, raw_queries_allowed, max_age_expected, upload_format, created_at, version";

pub use app::model::DataSetSettings;

/// Creates a data set (its name and settings checked by the domain); a data
/// set with the same group and type is a conflict.
pub async fn create(
    w: &mut Write,
    group: &str,
    data_type: &str,
    service_id: Option<i64>,
    settings: &DataSetSettings,
    now: DateTime<Utc>,
) -> Result<DataSet> {
    if find_in(w, group, data_type).await?.is_some() {
        return Err(Error::Conflict(format!(
            "The data set {group}/{data_type} already exists."
        )));
    }
    let sql = format!(
        "INSERT INTO data_sets (name, data_group, data_type, service_id, auto_ids, schema,
             queryable, published, realtime, raw_queries_allowed, max_age_expected,
             upload_format, created_at, version)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $13)
         RETURNING {COLUMNS}"
    );
    let auto_ids = serde_json::to_string(&settings.auto_ids)?;
    let schema = settings.schema.as_ref().map(|s| s.to_string());
    let row: DataSetRow = on_tx!(w, |conn| sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()))
        .bind(name(group, data_type))
        .bind(group)
        .bind(data_type)
        .bind(service_id)
        .bind(&auto_ids)
        .bind(&schema)
        .bind(settings.queryable)
        .bind(settings.published)
        .bind(settings.realtime)
        .bind(settings.raw_queries_allowed)
        .bind(settings.max_age_expected)
        .bind(&settings.upload_format)
        .bind(micros(now))
        .fetch_one(conn)
        .await)?;
    Ok(row.into())
}

/// A data set's settings as they are, read in the change `w` after it takes
/// the data set's row: no other change to them commits until this one does.
pub async fn hold(w: &mut Write, id: i64) -> Result<Option<DataSet>> {
    w.hold_row("data_sets", id).await?;
    let sql = format!("SELECT {COLUMNS} FROM data_sets WHERE id = $1");
    let row: Option<DataSetRow> =
        on_tx!(w, |conn| sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()))
            .bind(id)
            .fetch_optional(conn)
            .await)?;
    Ok(row.map(Into::into))
}

/// Changes a data set's settings.
pub async fn update(w: &mut Write, id: i64, settings: &DataSetSettings) -> Result<DataSet> {
    let sql = format!(
        "UPDATE data_sets SET auto_ids = $1, schema = $2, queryable = $3, published = $4,
             realtime = $5, raw_queries_allowed = $6, max_age_expected = $7, upload_format = $8
         WHERE id = $9
         RETURNING {COLUMNS}"
    );
    let auto_ids = serde_json::to_string(&settings.auto_ids)?;
    let schema = settings.schema.as_ref().map(|s| s.to_string());
    let row: DataSetRow = on_tx!(w, |conn| sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()))
        .bind(&auto_ids)
        .bind(&schema)
        .bind(settings.queryable)
        .bind(settings.published)
        .bind(settings.realtime)
        .bind(settings.raw_queries_allowed)
        .bind(settings.max_age_expected)
        .bind(&settings.upload_format)
        .bind(id)
        .fetch_one(conn)
        .await)?;
    Ok(row.into())
}

/// Moves the version of a data set's records on, in the change that alters
/// them (see `migrations/*/0011_data_set_versions.sql`); answers the new one.
pub async fn bump_version(w: &mut Write, id: i64) -> Result<i64> {
    Ok(on_tx!(w, |conn| sqlx::query_scalar(
        "UPDATE data_sets SET version = version + 1 WHERE id = $1 RETURNING version"
    )
    .bind(id)
    .fetch_one(conn)
    .await)?)
}

/// The version of a data set's records (`None` when it is gone): what a live
/// module's stream watches, on every instance.
pub async fn version_of(store: &Store, id: i64) -> Result<Option<i64>> {
    Ok(on_pool!(store, |pool| sqlx::query_scalar(
        "SELECT version FROM data_sets WHERE id = $1"
    )
    .bind(id)
    .fetch_optional(pool)
    .await)?)
}

/// A fingerprint of what every read of every data set depends on: each data
/// set's id, version (its records) and the settings reads follow. It changes
/// whenever records or those settings change, or a data set comes or goes
/// (and with any other change to the catalogue: [`super::catalogue::Stamp`]).
pub async fn fingerprint(store: &Store) -> Result<u64> {
    use std::hash::{Hash, Hasher};
    let mut hasher = rustc_hash::FxHasher::default();
    super::catalogue::stamp(store).await?.hash(&mut hasher);
    Ok(hasher.finish())
}

/// Publishes a data set (its records become readable by everyone).
pub async fn publish(w: &mut Write, id: i64) -> Result<()> {
    on_tx!(w, |conn| sqlx::query(
        "UPDATE data_sets SET published = $1 WHERE id = $2"
    )
    .bind(true)
    .bind(id)
    .execute(conn)
    .await
    .map(|r| r.rows_affected()))?;
    Ok(())
}

/// Deletes a data set with its records, its history and its write tokens.
pub async fn delete(w: &mut Write, data_set: &DataSet) -> Result<()> {
    let scope = super::api_keys::write_scope(&data_set.name);
    on_tx!(w, |conn| {
        sqlx::query("DELETE FROM record_history WHERE data_set_id = $1")
            .bind(data_set.id)
            .execute(&mut *conn)
            .await?;
        sqlx::query("DELETE FROM records WHERE data_set_id = $1")
            .bind(data_set.id)
            .execute(&mut *conn)
            .await?;
        sqlx::query("DELETE FROM api_keys WHERE scopes = $1")
            .bind(serde_json::json!([scope]).to_string())
            .execute(&mut *conn)
            .await?;
        sqlx::query("DELETE FROM data_sets WHERE id = $1")
            .bind(data_set.id)
            .execute(&mut *conn)
            .await?;
        Ok::<_, sqlx::Error>(())
    })?;
    Ok(())
}

pub async fn find(store: &Store, group: &str, data_type: &str) -> Result<Option<DataSet>> {
    let sql = format!("SELECT {COLUMNS} FROM data_sets WHERE data_group = $1 AND data_type = $2");
    let row: Option<DataSetRow> = on_pool!(store, |pool| sqlx::query_as(sqlx::AssertSqlSafe(
        sql.clone()
    ))
    .bind(group)
    .bind(data_type)
    .fetch_optional(pool)
    .await)?;
    Ok(row.map(Into::into))
}

/// [`find`], inside a change.
async fn find_in(w: &mut Write, group: &str, data_type: &str) -> Result<Option<DataSet>> {
    let sql = format!("SELECT {COLUMNS} FROM data_sets WHERE data_group = $1 AND data_type = $2");
    let row: Option<DataSetRow> =
        on_tx!(w, |conn| sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()))
            .bind(group)
            .bind(data_type)
            .fetch_optional(conn)
            .await)?;
    Ok(row.map(Into::into))
}

/// Every data set, by name.
pub async fn list(store: &Store) -> Result<Vec<DataSet>> {
    list_of(store, COLUMNS).await
}

async fn list_of(store: &Store, columns: &str) -> Result<Vec<DataSet>> {
    let sql = format!("SELECT {columns} FROM data_sets ORDER BY name");
    let rows: Vec<DataSetRow> = on_pool!(store, |pool| sqlx::query_as(sqlx::AssertSqlSafe(
        sql.clone()
    ))
    .fetch_all(pool)
    .await)?;
    Ok(rows.into_iter().map(Into::into).collect())
}

/// Every data set, by name, without its JSON Schema (left `None`): what
/// working out figures needs, and far less to read (a catalogue type's
/// schema is kilobytes, and the explorer reads every data set).
///
/// Kept between reads while the catalogue's stamp holds
/// ([`super::catalogue`]): a change by any instance is seen by the next read.
pub async fn list_without_schemas(store: &Store) -> Result<Arc<Vec<DataSet>>> {
    let at = super::catalogue::stamp(store).await?;
    store
        .catalogue()
        .data_sets
        .get_or_read(
            at,
            list_of(
                store,
                &COLUMNS.replace("schema,", "CAST(NULL AS TEXT) AS schema,"),
            ),
        )
        .await
}

/// Creates a data set and its write token (a fresh one, or `token` when an
/// existing Backdrop token is carried over).
pub async fn create_with_token(
    w: &mut Write,
    group: &str,
    data_type: &str,
    service_id: Option<i64>,
    settings: &DataSetSettings,
    token: Option<String>,
    now: DateTime<Utc>,
) -> Result<DataSetWithToken> {
    let data_set = create(w, group, data_type, service_id, settings, now).await?;
    let key = super::api_keys::create(
        w,
        &format!("Write token for {}", data_set.name),
        &[super::api_keys::write_scope(&data_set.name)],
        None,
        token,
        now,
    )
    .await?;
    Ok(DataSetWithToken {
        data_set,
        bearer_token: key.secret,
    })
}

/// Revokes a data set's write tokens and issues a new one.
pub async fn rotate_token(w: &mut Write, data_set: &DataSet, now: DateTime<Utc>) -> Result<String> {
    // The data set held first: two rotations at once are made one after the
    // other, so the second revokes the first's token (one live, not two).
    hold(w, data_set.id).await?;
    let scopes = [super::api_keys::write_scope(&data_set.name)];
    super::api_keys::revoke_with_scopes(w, &scopes, now).await?;
    let key = super::api_keys::create(
        w,
        &format!("Write token for {}", data_set.name),
        &scopes,
        None,
        None,
        now,
    )
    .await?;
    Ok(key.secret)
}
