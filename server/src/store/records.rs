//! Records: flat JSON objects in a data set, each with an id and a timestamp.
//!
//! A record with the `_id` of a stored one replaces it (that is how published
//! figures are corrected). Every write is one transaction: all or nothing. Every
//! replace, patch, delete and empty writes the old values to the correction
//! history first, so nothing is lost silently.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};
use sqlx::{FromRow, QueryBuilder};

use super::Result;
use super::{from_micros, micros, Store, Write};
use crate::{on_pool, on_tx};

/// A record ready to be stored: validated, with its id decided.
#[derive(Clone, Debug, PartialEq)]
pub struct Record {
    pub id: String,
    pub timestamp: DateTime<Utc>,
    /// The record's own fields; `_id` and `_timestamp` are kept apart.
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

impl StoredRecord {
    /// The record as the history keeps it: its fields and its `_timestamp`.
    pub fn to_history_value(&self) -> Value {
        let mut map = self.fields.clone();
        map.insert(
            "_timestamp".into(),
            Value::String(format_datetime(self.timestamp)),
        );
        Value::Object(map)
    }
}

impl Record {
    /// The record as the history keeps it: its fields and its `_timestamp`.
    pub fn to_history_value(&self) -> Value {
        let mut map = self.fields.clone();
        map.insert(
            "_timestamp".into(),
            Value::String(format_datetime(self.timestamp)),
        );
        Value::Object(map)
    }
}

/// How Pulse writes a date-time: UTC with a `+00:00` offset, as Backdrop did.
pub fn format_datetime(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, false)
}

#[derive(FromRow)]
struct RecordRow {
    record_id: String,
    ts: i64,
    updated_at: i64,
    body: String,
}

impl TryFrom<RecordRow> for StoredRecord {
    type Error = super::Error;

    fn try_from(r: RecordRow) -> Result<Self> {
        let fields = serde_json::from_str(&r.body)?;
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

/// A fresh record id: 24 hexadecimal digits, like the ids Backdrop handed out.
/// The first 12 are the time in microseconds and the rest random, so fresh ids
/// sort by when they were made and land at the end of the index.
pub fn fresh_id() -> String {
    use rand::RngCore;
    use std::fmt::Write;
    let micros = Utc::now().timestamp_micros() as u64 & 0xffff_ffff_ffff;
    let mut bytes = [0u8; 6];
    rand::rng().fill_bytes(&mut bytes);
    let mut id = String::with_capacity(24);
    let _ = write!(id, "{micros:012x}");
    for b in bytes {
        let _ = write!(id, "{b:02x}");
    }
    id
}

/// What a batch did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Written {
    /// Records that did not exist before.
    pub inserted: usize,
    /// Records that replaced a stored one with the same id.
    pub replaced: usize,
}

/// Rows per INSERT statement: well under both backends' limits on parameters.
const ROWS_PER_STATEMENT: usize = 1000;

/// Stores a batch in one transaction, replacing records with the same id (the
/// last of several with one id wins) and keeping the replaced values in the
/// history. `ids_may_exist` is false when every id was freshly made, which saves
/// looking for them.
pub async fn upsert_batch(
    w: &mut Write,
    data_set_id: i64,
    records: &[Record],
    ids_may_exist: bool,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<Written> {
    upsert_batch_with_progress(
        w,
        data_set_id,
        records,
        ids_may_exist,
        actor,
        now,
        &mut |_| {},
    )
    .await
}

/// [`upsert_batch`], calling `progress` with the number of records written so far
/// after each statement (for a progress bar on a long import).
pub async fn upsert_batch_with_progress(
    w: &mut Write,
    data_set_id: i64,
    records: &[Record],
    ids_may_exist: bool,
    actor: &str,
    now: DateTime<Utc>,
    progress: &mut (dyn FnMut(usize) + Send),
) -> Result<Written> {
    write_batch(
        w,
        data_set_id,
        records,
        ids_may_exist,
        actor,
        now,
        progress,
        None,
    )
    .await
}

/// [`upsert_batch`] for a spreadsheet upload: the correction history also
/// gets one `upload` entry (under the file's name, with `summary` as its new
/// value), in the same transaction as the records.
pub async fn upsert_upload(
    w: &mut Write,
    data_set_id: i64,
    records: &[Record],
    actor: &str,
    now: DateTime<Utc>,
    file_name: &str,
    summary: &Value,
) -> Result<Written> {
    write_batch(
        w,
        data_set_id,
        records,
        true,
        actor,
        now,
        &mut |_| {},
        Some((file_name, summary)),
    )
    .await
}

#[allow(clippy::too_many_arguments)]
async fn write_batch(
    w: &mut Write,
    data_set_id: i64,
    records: &[Record],
    ids_may_exist: bool,
    actor: &str,
    now: DateTime<Utc>,
    progress: &mut (dyn FnMut(usize) + Send),
    upload: Option<(&str, &Value)>,
) -> Result<Written> {
    // Keep the last record of each id, in the order they came.
    let mut last: HashMap<&str, usize> = HashMap::with_capacity(records.len());
    for (i, r) in records.iter().enumerate() {
        last.insert(r.id.as_str(), i);
    }
    let batch: Vec<&Record> = records
        .iter()
        .enumerate()
        .filter(|(i, r)| last[r.id.as_str()] == *i)
        .map(|(_, r)| r)
        .collect();
    let bodies: Vec<String> = batch
        .iter()
        .map(|r| serde_json::to_string(&r.fields))
        .collect::<std::result::Result<_, _>>()?;
    let now_us = micros(now);

    let written = on_tx!(w, |conn| {
        let mut replaced = 0;
        let mut done = 0;
        if ids_may_exist {
            for chunk in batch.chunks(ROWS_PER_STATEMENT) {
                let mut q = QueryBuilder::new(
                    "SELECT record_id, ts, updated_at, body FROM records WHERE data_set_id = ",
                );
                q.push_bind(data_set_id).push(" AND record_id IN (");
                let mut ids = q.separated(", ");
                for r in chunk {
                    ids.push_bind(r.id.as_str());
                }
                q.push(")");
                let old: Vec<RecordRow> = q.build_query_as().fetch_all(&mut *conn).await?;
                if old.is_empty() {
                    continue;
                }
                replaced += old.len();
                let new_by_id: HashMap<&str, &Record> =
                    chunk.iter().map(|r| (r.id.as_str(), *r)).collect();
                let mut h = QueryBuilder::new(
                    "INSERT INTO record_history (data_set_id, record_id, action, old_value, new_value, actor, at) ",
                );
                h.push_values(old, |mut b, row| {
                    let record_id = row.record_id.clone();
                    let new = new_by_id
                        .get(record_id.as_str())
                        .map(|r| r.to_history_value().to_string());
                    let old_value = StoredRecord::try_from(row)
                        .map(|r| r.to_history_value().to_string())
                        .unwrap_or_default();
                    b.push_bind(data_set_id);
                    b.push_bind(record_id);
                    b.push_bind("replace");
                    b.push_bind(old_value);
                    b.push_bind(new);
                    b.push_bind(actor.to_string());
                    b.push_bind(now_us);
                });
                h.build().execute(&mut *conn).await?;
            }
        }
        for (chunk, chunk_bodies) in batch
            .chunks(ROWS_PER_STATEMENT)
            .zip(bodies.chunks(ROWS_PER_STATEMENT))
        {
            let mut q = QueryBuilder::new(
                "INSERT INTO records (data_set_id, record_id, ts, updated_at, body) ",
            );
            q.push_values(chunk.iter().zip(chunk_bodies), |mut b, (r, body)| {
                b.push_bind(data_set_id);
                b.push_bind(r.id.as_str());
                b.push_bind(micros(r.timestamp));
                b.push_bind(now_us);
                b.push_bind(body.as_str());
            });
            q.push(
                " ON CONFLICT (data_set_id, record_id) DO UPDATE SET ts = excluded.ts, \
                 updated_at = excluded.updated_at, body = excluded.body",
            );
            q.build().execute(&mut *conn).await?;
            done += chunk.len();
            progress(done);
        }
        if let Some((file_name, summary)) = upload {
            sqlx::query(
                "INSERT INTO record_history (data_set_id, record_id, action, old_value, new_value, actor, at) \
                 VALUES ($1, $2, 'upload', NULL, $3, $4, $5)",
            )
            .bind(data_set_id)
            .bind(file_name)
            .bind(summary.to_string())
            .bind(actor)
            .bind(now_us)
            .execute(&mut *conn)
            .await?;
        }
        Ok::<_, sqlx::Error>(Written {
            inserted: batch.len() - replaced,
            replaced,
        })
    })?;
    Ok(written)
}

/// The stored records among `ids`, by id.
pub async fn find_many(
    store: &Store,
    data_set_id: i64,
    ids: &[&str],
) -> Result<HashMap<String, StoredRecord>> {
    let mut found = HashMap::new();
    for chunk in ids.chunks(ROWS_PER_STATEMENT) {
        let rows: Vec<RecordRow> = on_pool!(store, |pool| {
            let mut q = QueryBuilder::new(
                "SELECT record_id, ts, updated_at, body FROM records WHERE data_set_id = ",
            );
            q.push_bind(data_set_id).push(" AND record_id IN (");
            let mut list = q.separated(", ");
            for id in chunk {
                list.push_bind(*id);
            }
            q.push(")");
            q.build_query_as().fetch_all(pool).await
        })?;
        for row in rows {
            let record = StoredRecord::try_from(row)?;
            found.insert(record.id.clone(), record);
        }
    }
    Ok(found)
}

/// One stored record, if it exists.
pub async fn find(store: &Store, data_set_id: i64, id: &str) -> Result<Option<StoredRecord>> {
    let row: Option<RecordRow> = on_pool!(store, |pool| {
        sqlx::query_as(
        "SELECT record_id, ts, updated_at, body FROM records WHERE data_set_id = $1 AND record_id = $2"
    )
    .bind(data_set_id)
    .bind(id)
    .fetch_optional(pool)
    .await
    })?;
    row.map(StoredRecord::try_from).transpose()
}

/// [`find`], inside a change.
async fn find_in(w: &mut Write, data_set_id: i64, id: &str) -> Result<Option<StoredRecord>> {
    let row: Option<RecordRow> = on_tx!(w, |conn| {
        sqlx::query_as(
            "SELECT record_id, ts, updated_at, body FROM records
             WHERE data_set_id = $1 AND record_id = $2",
        )
        .bind(data_set_id)
        .bind(id)
        .fetch_optional(conn)
        .await
    })?;
    row.map(StoredRecord::try_from).transpose()
}

/// Replaces one stored record by `record` (its merged, validated new state),
/// keeping the old values in the history as a patch. False if it does not exist.
pub async fn patch(
    w: &mut Write,
    data_set_id: i64,
    old: &StoredRecord,
    record: &Record,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<bool> {
    let body = serde_json::to_string(&record.fields)?;
    let changed = on_tx!(w, |conn| {
        let done = sqlx::query(
            "UPDATE records SET ts = $1, updated_at = $2, body = $3
             WHERE data_set_id = $4 AND record_id = $5",
        )
        .bind(micros(record.timestamp))
        .bind(micros(now))
        .bind(&body)
        .bind(data_set_id)
        .bind(&record.id)
        .execute(&mut *conn)
        .await?
        .rows_affected();
        if done > 0 {
            sqlx::query(
                "INSERT INTO record_history (data_set_id, record_id, action, old_value, new_value, actor, at)
                 VALUES ($1, $2, 'patch', $3, $4, $5, $6)",
            )
            .bind(data_set_id)
            .bind(&record.id)
            .bind(old.to_history_value().to_string())
            .bind(record.to_history_value().to_string())
            .bind(actor)
            .bind(micros(now))
            .execute(&mut *conn)
            .await?;
        }
        Ok::<_, sqlx::Error>(done > 0)
    })?;
    Ok(changed)
}

/// Deletes one record, keeping it in the history. False if it did not exist.
pub async fn delete(
    w: &mut Write,
    data_set_id: i64,
    id: &str,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<bool> {
    let Some(old) = find_in(w, data_set_id, id).await? else {
        return Ok(false);
    };
    let deleted = on_tx!(w, |conn| {
        let done = sqlx::query("DELETE FROM records WHERE data_set_id = $1 AND record_id = $2")
            .bind(data_set_id)
            .bind(id)
            .execute(&mut *conn)
            .await?
            .rows_affected();
        if done > 0 {
            sqlx::query(
                "INSERT INTO record_history (data_set_id, record_id, action, old_value, new_value, actor, at)
                 VALUES ($1, $2, 'delete', $3, NULL, $4, $5)",
            )
            .bind(data_set_id)
            .bind(id)
            .bind(old.to_history_value().to_string())
            .bind(actor)
            .bind(micros(now))
            .execute(&mut *conn)
            .await?;
        }
        Ok::<_, sqlx::Error>(done > 0)
    })?;
    Ok(deleted)
}

/// Empties a data set, keeping every record in the history. Returns how many
/// records there were.
pub async fn empty(
    w: &mut Write,
    data_set_id: i64,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<u64> {
    let now_us = micros(now);
    let removed = on_tx!(w, |conn| {
        let rows: Vec<RecordRow> = sqlx::query_as(
            "SELECT record_id, ts, updated_at, body FROM records WHERE data_set_id = $1",
        )
        .bind(data_set_id)
        .fetch_all(&mut *conn)
        .await?;
        let count = rows.len() as u64;
        let mut rows = rows.into_iter().peekable();
        while rows.peek().is_some() {
            let chunk: Vec<RecordRow> = rows.by_ref().take(ROWS_PER_STATEMENT).collect();
            let mut h = QueryBuilder::new(
                "INSERT INTO record_history (data_set_id, record_id, action, old_value, new_value, actor, at) ",
            );
            h.push_values(chunk, |mut b, row| {
                let record_id = row.record_id.clone();
                let old_value = StoredRecord::try_from(row)
                    .map(|r| r.to_history_value().to_string())
                    .unwrap_or_default();
                b.push_bind(data_set_id);
                b.push_bind(record_id);
                b.push_bind("empty");
                b.push_bind(old_value);
                b.push_bind(None::<String>);
                b.push_bind(actor.to_string());
                b.push_bind(now_us);
            });
            h.build().execute(&mut *conn).await?;
        }
        sqlx::query("DELETE FROM records WHERE data_set_id = $1")
            .bind(data_set_id)
            .execute(&mut *conn)
            .await?;
        Ok::<_, sqlx::Error>(count)
    })?;
    Ok(removed)
}

/// How many records the data set holds.
pub async fn count(store: &Store, data_set_id: i64) -> Result<i64> {
    Ok(on_pool!(store, |pool| sqlx::query_scalar(
        "SELECT COUNT(*) FROM records WHERE data_set_id = $1"
    )
    .bind(data_set_id)
    .fetch_one(pool)
    .await)?)
}

/// The newest `_timestamp` of each data set that has records.
pub async fn newest_timestamps(store: &Store) -> Result<Vec<(i64, DateTime<Utc>)>> {
    let rows: Vec<(i64, i64)> = on_pool!(store, |pool| sqlx::query_as(
        "SELECT data_set_id, MAX(ts) FROM records GROUP BY data_set_id"
    )
    .fetch_all(pool)
    .await)?;
    Ok(rows
        .into_iter()
        .map(|(id, ts)| (id, from_micros(ts)))
        .collect())
}

/// The newest `_timestamp` of the data set's records and when the newest was
/// written (`None` for both when it has none).
pub async fn newest(
    store: &Store,
    data_set_id: i64,
) -> Result<(Option<DateTime<Utc>>, Option<DateTime<Utc>>)> {
    let (ts, updated): (Option<i64>, Option<i64>) = on_pool!(store, |pool| sqlx::query_as(
        "SELECT MAX(ts), MAX(updated_at) FROM records WHERE data_set_id = $1"
    )
    .bind(data_set_id)
    .fetch_one(pool)
    .await)?;
    Ok((ts.map(from_micros), updated.map(from_micros)))
}

/// The data set's newest record (by `_timestamp`), if it has any.
pub async fn latest(store: &Store, data_set_id: i64) -> Result<Option<StoredRecord>> {
    let row: Option<RecordRow> = on_pool!(store, |pool| sqlx::query_as(
        "SELECT record_id, ts, updated_at, body FROM records WHERE data_set_id = $1 \
         ORDER BY ts DESC, record_id LIMIT 1"
    )
    .bind(data_set_id)
    .fetch_optional(pool)
    .await)?;
    row.map(StoredRecord::try_from).transpose()
}

/// Every record of the data set, oldest first.
pub async fn all(store: &Store, data_set_id: i64) -> Result<Vec<StoredRecord>> {
    let rows: Vec<RecordRow> = on_pool!(store, |pool| sqlx::query_as(
        "SELECT record_id, ts, updated_at, body FROM records
         WHERE data_set_id = $1 ORDER BY ts, record_id"
    )
    .bind(data_set_id)
    .fetch_all(pool)
    .await)?;
    rows.into_iter().map(StoredRecord::try_from).collect()
}

/// Calls `visit` with every record of the data set, oldest first, streaming them
/// from the database so that a large data set is never all in memory twice.
pub async fn for_each(
    store: &Store,
    data_set_id: i64,
    mut visit: impl FnMut(StoredRecord),
) -> Result<()> {
    use futures_util::TryStreamExt;
    on_pool!(store, |pool| {
        // In the order they were stored: the table does not need them sorted.
        let mut rows = sqlx::query_as::<_, RecordRow>(
            "SELECT record_id, ts, updated_at, body FROM records WHERE data_set_id = $1",
        )
        .bind(data_set_id)
        .fetch(pool);
        while let Some(row) = rows.try_next().await? {
            visit(StoredRecord::try_from(row)?);
        }
        Ok::<_, super::Error>(())
    })
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

    #[test]
    fn fresh_ids_are_distinct_hex() {
        let a = fresh_id();
        assert_eq!(a.len(), 24);
        assert!(a.bytes().all(|b| b.is_ascii_hexdigit()));
        assert_ne!(a, fresh_id());
    }
}
