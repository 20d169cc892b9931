//! Records: flat JSON objects in a data set, each with an id and a timestamp.
//!
//! A record with the `_id` of a stored one replaces it (that is how published
//! figures are corrected). A batch is written in one transaction: all or nothing.

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};
use sqlx::{FromRow, SqlitePool};

use super::{from_micros, micros};
use crate::error::Result;

/// A record ready to be stored: validated, with its id decided.
#[derive(Clone, Debug, PartialEq)]
pub struct Record {
    pub id: String,
    pub timestamp: DateTime<Utc>,
    /// The record's own fields; internal (underscore) fields are not kept here.
    pub fields: Map<String, Value>,
}

/// A record as stored.
#[derive(Clone, Debug, PartialEq)]
pub struct StoredRecord {
    pub id: String,
    pub timestamp: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub fields: Map<String, Value>,
}

#[derive(FromRow)]
struct RecordRow {
    record_id: String,
    ts: i64,
    updated_at: i64,
    body: String,
}

impl TryFrom<RecordRow> for StoredRecord {
    type Error = crate::error::Error;

    fn try_from(r: RecordRow) -> Result<Self> {
        let fields = serde_json::from_str(&r.body).map_err(anyhow::Error::from)?;
        Ok(StoredRecord {
            id: r.record_id,
            timestamp: from_micros(r.ts),
            updated_at: from_micros(r.updated_at),
            fields,
        })
    }
}

/// The id Backdrop derived from a data set's `auto_ids` fields: standard padded
/// base64 of the fields' values as sent, joined with `.`.
pub fn auto_id(values: &[&str]) -> String {
    base64_standard(values.join(".").as_bytes())
}

fn base64_standard(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Stores a batch in one transaction, replacing records with the same id.
/// Returns how many records were written.
pub async fn upsert_batch(
    pool: &SqlitePool,
    data_set_id: i64,
    records: &[Record],
    now: DateTime<Utc>,
) -> Result<usize> {
    let mut tx = pool.begin().await?;
    for record in records {
        let body = serde_json::to_string(&record.fields).map_err(anyhow::Error::from)?;
        sqlx::query(
            "INSERT INTO records (data_set_id, record_id, ts, updated_at, body)
             VALUES (?, ?, ?, ?, ?)
             ON CONFLICT (data_set_id, record_id) DO UPDATE SET
                 ts = excluded.ts, updated_at = excluded.updated_at, body = excluded.body",
        )
        .bind(data_set_id)
        .bind(&record.id)
        .bind(micros(record.timestamp))
        .bind(micros(now))
        .bind(body)
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(records.len())
}

/// How many records the data set holds.
pub async fn count(pool: &SqlitePool, data_set_id: i64) -> Result<i64> {
    Ok(
        sqlx::query_scalar("SELECT COUNT(*) FROM records WHERE data_set_id = ?")
            .bind(data_set_id)
            .fetch_one(pool)
            .await?,
    )
}

/// Every record of the data set, oldest first.
pub async fn all(pool: &SqlitePool, data_set_id: i64) -> Result<Vec<StoredRecord>> {
    let rows: Vec<RecordRow> = sqlx::query_as(
        "SELECT record_id, ts, updated_at, body FROM records
         WHERE data_set_id = ? ORDER BY ts, record_id",
    )
    .bind(data_set_id)
    .fetch_all(pool)
    .await?;
    rows.into_iter().map(StoredRecord::try_from).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auto_id_matches_backdrop() {
        // The example from the reference: fields `_timestamp,key`.
        assert_eq!(
            auto_id(&["2013-03-11T00:00:00Z", "k1"]),
            "MjAxMy0wMy0xMVQwMDowMDowMFouazE="
        );
        assert_eq!(base64_standard(b"ab"), "YWI=");
        assert_eq!(base64_standard(b"a"), "YQ==");
        assert_eq!(base64_standard(b"abc"), "YWJj");
    }
}
