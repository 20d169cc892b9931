//! Data sets: a data group (usually the service) and a data type, with the settings
//! that govern how records are written and read.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sqlx::FromRow;

use super::{from_micros, micros, Store, Write};
use crate::error::{Error, Result};
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
        }
    }
}

const COLUMNS: &str = "id, name, data_group, data_type, auto_ids, schema, queryable, published, \
     realtime, raw_queries_allowed, max_age_expected, upload_format, created_at";

/// The settings of a data set, for creating one or changing one.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DataSetSettings {
    #[serde(default)]
    pub auto_ids: Vec<String>,
    #[serde(default)]
    pub schema: Option<serde_json::Value>,
    #[serde(default = "yes")]
    pub queryable: bool,
    #[serde(default)]
    pub published: bool,
    #[serde(default)]
    pub realtime: bool,
    #[serde(default = "yes")]
    pub raw_queries_allowed: bool,
    #[serde(default = "a_day")]
    pub max_age_expected: Option<i64>,
    #[serde(default)]
    pub upload_format: Option<String>,
}

fn yes() -> bool {
    true
}

fn a_day() -> Option<i64> {
    Some(86_400)
}

impl Default for DataSetSettings {
    fn default() -> Self {
        DataSetSettings {
            auto_ids: Vec::new(),
            schema: None,
            queryable: true,
            published: false,
            realtime: false,
            raw_queries_allowed: true,
            max_age_expected: a_day(),
            upload_format: None,
        }
    }
}

impl DataSetSettings {
    /// Takes a catalogue data type's JSON Schema and `auto_ids`, and the age
    /// after which its data is late: two weeks for weekly figures, two months
    /// for monthly and two quarters for quarterly (ages count from a period's
    /// start). Refused when the type is unknown, or a schema or auto_ids are
    /// given too.
    pub fn take_type(&mut self, name: &str) -> Result<()> {
        let Some(data_type) = app::catalogue::find(name) else {
            return Err(Error::BadRequest(format!(
                "from_type: {name:?} is not a data type of the catalogue ({})",
                app::catalogue::NAMES.join(", ")
            )));
        };
        if self.schema.is_some() || !self.auto_ids.is_empty() {
            return Err(Error::BadRequest(
                "from_type sets the schema and auto_ids: send neither with it".into(),
            ));
        }
        self.schema = Some(data_type.schema);
        self.auto_ids = data_type.auto_ids;
        self.max_age_expected = Some(match data_type.period {
            app::model::PeriodKind::Quarter => 184 * 86_400,
            app::model::PeriodKind::Month => 62 * 86_400,
            _ => 15 * 86_400,
        });
        Ok(())
    }

    /// Checks the settings, with a message for each kind of mistake.
    pub fn validate(&self) -> Result<()> {
        for field in &self.auto_ids {
            if !crate::domain::ingest::is_valid_key(field) {
                return Err(Error::BadRequest(format!(
                    "auto_ids: {field:?} is not a valid field name"
                )));
            }
        }
        if let Some(schema) = &self.schema {
            if !schema.is_object() && !schema.is_boolean() {
                return Err(Error::BadRequest(
                    "schema must be a JSON Schema (an object)".into(),
                ));
            }
            crate::domain::ingest::compile_schema(schema).map_err(Error::BadRequest)?;
        }
        if let Some(age) = self.max_age_expected {
            if age <= 0 {
                return Err(Error::BadRequest(
                    "max_age_expected must be a positive number of seconds, or null".into(),
                ));
            }
        }
        if let Some(format) = &self.upload_format {
            if format != "csv" && format != "excel" {
                return Err(Error::BadRequest(
                    "upload_format must be \"csv\" or \"excel\"".into(),
                ));
            }
        }
        Ok(())
    }
}

/// Creates a data set; a data set with the same group and type is a conflict.
pub async fn create(
    w: &mut Write,
    group: &str,
    data_type: &str,
    service_id: Option<i64>,
    settings: &DataSetSettings,
    now: DateTime<Utc>,
) -> Result<DataSet> {
    if !is_valid_slug(group) {
        return Err(Error::BadRequest(format!(
            "{group:?} is not a valid data group: use lower-case letters, digits and dashes"
        )));
    }
    if !is_valid_slug(data_type) {
        return Err(Error::BadRequest(format!(
            "{data_type:?} is not a valid data type: use lower-case letters, digits and dashes"
        )));
    }
    settings.validate()?;
    if find_in(w, group, data_type).await?.is_some() {
        return Err(Error::Conflict(format!(
            "The data set {group}/{data_type} already exists."
        )));
    }
    let sql = format!(
        "INSERT INTO data_sets (name, data_group, data_type, service_id, auto_ids, schema,
             queryable, published, realtime, raw_queries_allowed, max_age_expected,
             upload_format, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
         RETURNING {COLUMNS}"
    );
    let auto_ids = serde_json::to_string(&settings.auto_ids).map_err(anyhow::Error::from)?;
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

/// Changes a data set's settings.
pub async fn update(w: &mut Write, id: i64, settings: &DataSetSettings) -> Result<DataSet> {
    settings.validate()?;
    let sql = format!(
        "UPDATE data_sets SET auto_ids = $1, schema = $2, queryable = $3, published = $4,
             realtime = $5, raw_queries_allowed = $6, max_age_expected = $7, upload_format = $8
         WHERE id = $9
         RETURNING {COLUMNS}"
    );
    let auto_ids = serde_json::to_string(&settings.auto_ids).map_err(anyhow::Error::from)?;
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
    let sql = format!("SELECT {COLUMNS} FROM data_sets ORDER BY name");
    let rows: Vec<DataSetRow> = on_pool!(store, |pool| sqlx::query_as(sqlx::AssertSqlSafe(
        sql.clone()
    ))
    .fetch_all(pool)
    .await)?;
    Ok(rows.into_iter().map(Into::into).collect())
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
    if let Some(token) = &token {
        if token.chars().count() < 16 || token.chars().any(char::is_whitespace) {
            return Err(Error::BadRequest(
                "a bearer token must be at least 16 characters, without spaces".into(),
            ));
        }
    }
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
