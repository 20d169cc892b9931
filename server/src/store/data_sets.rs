//! Data sets: a data group (usually the service) and a data type, with the settings
//! that govern how records are written and read.

use chrono::{DateTime, Utc};
use sqlx::{FromRow, SqlitePool};

use super::{from_micros, micros};
use crate::error::Result;

/// A data set's name: `group_type` with `-` replaced by `_`, as Backdrop named them.
pub fn name(group: &str, data_type: &str) -> String {
    format!("{group}_{data_type}").replace('-', "_")
}

#[derive(Clone, Debug, PartialEq)]
pub struct DataSet {
    pub id: i64,
    pub name: String,
    pub data_group: String,
    pub data_type: String,
    pub service_id: Option<i64>,
    pub auto_ids: Vec<String>,
    pub queryable: bool,
    pub published: bool,
    pub realtime: bool,
    pub raw_queries_allowed: bool,
    pub max_age_expected: Option<i64>,
    pub created_at: DateTime<Utc>,
}

#[derive(FromRow)]
struct DataSetRow {
    id: i64,
    name: String,
    data_group: String,
    data_type: String,
    service_id: Option<i64>,
    auto_ids: String,
    queryable: bool,
    published: bool,
    realtime: bool,
    raw_queries_allowed: bool,
    max_age_expected: Option<i64>,
    created_at: i64,
}

impl From<DataSetRow> for DataSet {
    fn from(r: DataSetRow) -> Self {
        DataSet {
            id: r.id,
            name: r.name,
            data_group: r.data_group,
            data_type: r.data_type,
            service_id: r.service_id,
            auto_ids: serde_json::from_str(&r.auto_ids).unwrap_or_default(),
            queryable: r.queryable,
            published: r.published,
            realtime: r.realtime,
            raw_queries_allowed: r.raw_queries_allowed,
            max_age_expected: r.max_age_expected,
            created_at: from_micros(r.created_at),
        }
    }
}

/// What it takes to create a data set.
#[derive(Clone, Debug)]
pub struct DataSetForCreate {
    pub data_group: String,
    pub data_type: String,
    pub service_id: Option<i64>,
    pub auto_ids: Vec<String>,
    pub published: bool,
    pub max_age_expected: Option<i64>,
}

pub async fn create(
    pool: &SqlitePool,
    new: &DataSetForCreate,
    now: DateTime<Utc>,
) -> Result<DataSet> {
    let row: DataSetRow = sqlx::query_as(
        "INSERT INTO data_sets (name, data_group, data_type, service_id, auto_ids, published,
                                max_age_expected, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)
         RETURNING id, name, data_group, data_type, service_id, auto_ids, queryable, published,
                   realtime, raw_queries_allowed, max_age_expected, created_at",
    )
    .bind(name(&new.data_group, &new.data_type))
    .bind(&new.data_group)
    .bind(&new.data_type)
    .bind(new.service_id)
    .bind(serde_json::to_string(&new.auto_ids).map_err(anyhow::Error::from)?)
    .bind(new.published)
    .bind(new.max_age_expected)
    .bind(micros(now))
    .fetch_one(pool)
    .await?;
    Ok(row.into())
}

pub async fn find(pool: &SqlitePool, group: &str, data_type: &str) -> Result<Option<DataSet>> {
    let row: Option<DataSetRow> = sqlx::query_as(
        "SELECT id, name, data_group, data_type, service_id, auto_ids, queryable, published,
                realtime, raw_queries_allowed, max_age_expected, created_at
         FROM data_sets WHERE data_group = ? AND data_type = ?",
    )
    .bind(group)
    .bind(data_type)
    .fetch_optional(pool)
    .await?;
    Ok(row.map(Into::into))
}
