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
use crate::{in_snapshot, on_pool, on_tx};

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

/// How a date-time is spelled in a record's id: UTC, `YYYY-MM-DDTHH:MM:SSZ`,
/// with fractional seconds only when there are any. A record sent with `Z`
/// (as Backdrop's own examples were) so keeps exactly Backdrop's id, and every
/// other spelling of the same moment makes the same id.
pub fn id_datetime(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
}

/// Parses a Backdrop date-time: ISO 8601 with a `T`, with `Z`, `+00:00` or `+0000`
/// offsets (converted to UTC), fractional seconds, or no offset (taken as UTC).
/// A bare date, or a space instead of the `T`, is refused.
pub fn parse_datetime(s: &str) -> Option<DateTime<Utc>> {
    use chrono::NaiveDateTime;
    if s.len() < 19 || s.as_bytes().get(10) != Some(&b'T') {
        return None;
    }
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t.with_timezone(&Utc));
    }
    if let Ok(t) = DateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f%z") {
        return Some(t.with_timezone(&Utc));
    }
    NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f")
        .ok()
        .map(|t| t.and_utc())
}

/// A field's value as it goes into an id: a string as it is, anything else as
/// JSON (`3`, `true`).
fn id_text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// The values that identify a record in a data set with `auto_ids`, in their
/// order: date-times (`_timestamp`, `_start_at`, `_end_at`) spelled as
/// [`id_datetime`] spells them, other fields as sent. `None` when the record
/// lacks one of them (or a date-time field is not one).
pub fn identifying_values(
    auto_ids: &[String],
    timestamp: DateTime<Utc>,
    fields: &Map<String, Value>,
) -> Option<Vec<String>> {
    auto_ids
        .iter()
        .map(|f| match f.as_str() {
            "_timestamp" => Some(id_datetime(timestamp)),
            "_start_at" | "_end_at" => fields
                .get(f)
                .and_then(Value::as_str)
                .and_then(parse_datetime)
                .map(id_datetime),
            _ => fields.get(f).map(id_text),
        })
        .collect()
}

/// The id a record's identifying values make (see [`identifying_values`]).
pub fn identity(
    auto_ids: &[String],
    timestamp: DateTime<Utc>,
    fields: &Map<String, Value>,
) -> Option<String> {
    let values = identifying_values(auto_ids, timestamp, fields)?;
    let refs: Vec<&str> = values.iter().map(String::as_str).collect();
    Some(auto_id(&refs))
}

/// Whether `id` was made from these identifying values by an earlier Pulse,
/// which built ids from the values as sent: the same values, with any
/// spelling of the same moment in the date-time fields (`+00:00`, `+01:00`,
/// no offset, ...). False for an id given by its sender.
pub fn made_from(
    id: &str,
    auto_ids: &[String],
    timestamp: DateTime<Utc>,
    fields: &Map<String, Value>,
) -> bool {
    let Some(decoded) = base64_decode(id).and_then(|b| String::from_utf8(b).ok()) else {
        return false;
    };
    let mut parts = Vec::with_capacity(auto_ids.len());
    for f in auto_ids {
        let part = match f.as_str() {
            "_timestamp" => Part::Moment(timestamp),
            "_start_at" | "_end_at" => {
                match fields
                    .get(f)
                    .and_then(Value::as_str)
                    .and_then(parse_datetime)
                {
                    Some(t) => Part::Moment(t),
                    None => return false,
                }
            }
            _ => match fields.get(f) {
                Some(v) => Part::Text(id_text(v)),
                None => return false,
            },
        };
        parts.push(part);
    }
    matches_parts(&decoded, &parts)
}

enum Part {
    Text(String),
    Moment(DateTime<Utc>),
}

/// Whether `text` is `parts` joined with `.`, a moment matching any spelling
/// of it that parses back to it.
fn matches_parts(text: &str, parts: &[Part]) -> bool {
    let Some((part, rest)) = parts.split_first() else {
        return text.is_empty();
    };
    let after = |tail: &str| -> bool {
        if rest.is_empty() {
            tail.is_empty()
        } else {
            tail.strip_prefix('.')
                .is_some_and(|tail| matches_parts(tail, rest))
        }
    };
    match part {
        Part::Text(value) => text.strip_prefix(value.as_str()).is_some_and(after),
        Part::Moment(t) => {
            // A date-time is 19 to about 35 characters; try each end.
            (19..=text.len().min(40)).any(|end| {
                text.is_char_boundary(end)
                    && parse_datetime(&text[..end]) == Some(*t)
                    && after(&text[end..])
            })
        }
    }
}

fn base64_decode(text: &str) -> Option<Vec<u8>> {
    let bytes = text.as_bytes();
    if bytes.is_empty() || !bytes.len().is_multiple_of(4) {
        return None;
    }
    let value = |c: u8| -> Option<u32> {
        Some(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        } as u32)
    };
    let mut out = Vec::with_capacity(bytes.len() / 4 * 3);
    let chunks = bytes.len() / 4;
    for (i, chunk) in bytes.chunks(4).enumerate() {
        let pad = chunk.iter().rev().take_while(|&&c| c == b'=').count();
        if pad > 2 || (pad > 0 && i + 1 != chunks) {
            return None;
        }
        let mut n = 0u32;
        for &c in &chunk[..4 - pad] {
            n = (n << 6) | value(c)?;
        }
        n <<= 6 * pad as u32;
        out.push((n >> 16) as u8);
        if pad < 2 {
            out.push((n >> 8) as u8);
        }
        if pad < 1 {
            out.push(n as u8);
        }
    }
    Some(out)
}

/// Whether two records hold the same values (a whole number and the same
/// number written with a fraction, `3` and `3.0`, are the same).
pub fn same_values(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| same_values(v, w)))
        }
        _ => a == b,
    }
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
    /// Records that replaced a stored one with the same id and other values.
    pub replaced: usize,
    /// Records sent again exactly as stored: not a correction, so the history
    /// does not list them (their `_updated_at` still says when they last came).
    pub unchanged: usize,
    /// The data set's version after the batch (see [`super::data_sets::bump_version`]).
    pub version: i64,
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
    // First: the data set's row is then held until this change commits, so
    // changes to one data set are numbered in the order they commit (see
    // `changes_since`).
    let version = super::data_sets::bump_version(w, data_set_id).await?;

    let written = on_tx!(w, |conn| {
        let mut replaced = 0;
        let mut found = 0;
        let mut done = 0;
        // An upload leaves records it holds as they are stored untouched
        // (their `_updated_at` too).
        let mut same: std::collections::HashSet<String> = std::collections::HashSet::new();
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
                found += old.len();
                let new_by_id: HashMap<&str, &Record> =
                    chunk.iter().map(|r| (r.id.as_str(), *r)).collect();
                // A record sent again as it is stored is no correction.
                let changed: Vec<(String, String, Option<String>)> = old
                    .into_iter()
                    .filter_map(|row| {
                        let record_id = row.record_id.clone();
                        let new = new_by_id
                            .get(record_id.as_str())
                            .map(|r| r.to_history_value());
                        let old_value = StoredRecord::try_from(row)
                            .map(|r| r.to_history_value())
                            .unwrap_or_default();
                        if new.as_ref().is_some_and(|n| same_values(&old_value, n)) {
                            if upload.is_some() {
                                same.insert(record_id);
                            }
                            return None;
                        }
                        Some((record_id, old_value.to_string(), new.map(|n| n.to_string())))
                    })
                    .collect();
                if changed.is_empty() {
                    continue;
                }
                replaced += changed.len();
                let mut h = QueryBuilder::new(
                    "INSERT INTO record_history (data_set_id, record_id, action, old_value, new_value, actor, at, version) ",
                );
                h.push_values(changed, |mut b, (record_id, old_value, new)| {
                    b.push_bind(data_set_id);
                    b.push_bind(record_id);
                    b.push_bind("replace");
                    b.push_bind(old_value);
                    b.push_bind(new);
                    b.push_bind(actor.to_string());
                    b.push_bind(now_us);
                    b.push_bind(version);
                });
                h.build().execute(&mut *conn).await?;
            }
        }
        let to_write: Vec<(&Record, &String)> = batch
            .iter()
            .copied()
            .zip(&bodies)
            .filter(|(r, _)| !same.contains(&r.id))
            .collect();
        for chunk in to_write.chunks(ROWS_PER_STATEMENT) {
            let mut q = QueryBuilder::new(
                "INSERT INTO records (data_set_id, record_id, ts, updated_at, body, version) ",
            );
            q.push_values(chunk.iter(), |mut b, (r, body)| {
                b.push_bind(data_set_id);
                b.push_bind(r.id.as_str());
                b.push_bind(micros(r.timestamp));
                b.push_bind(now_us);
                b.push_bind(body.as_str());
                b.push_bind(version);
            });
            q.push(
                " ON CONFLICT (data_set_id, record_id) DO UPDATE SET ts = excluded.ts, \
                 updated_at = excluded.updated_at, body = excluded.body, version = excluded.version",
            );
            q.build().execute(&mut *conn).await?;
            done += chunk.len();
            progress(done);
        }
        if let Some((file_name, summary)) = upload {
            // With what was written, as it was.
            let mut summary = summary.clone();
            if let Some(fields) = summary.as_object_mut() {
                fields.insert("new".into(), (batch.len() - found).into());
                fields.insert("replaced".into(), replaced.into());
                fields.insert("unchanged".into(), (found - replaced).into());
            }
            sqlx::query(
                "INSERT INTO record_history (data_set_id, record_id, action, old_value, new_value, actor, at, version) \
                 VALUES ($1, $2, 'upload', NULL, $3, $4, $5, $6)",
            )
            .bind(data_set_id)
            .bind(file_name)
            .bind(summary.to_string())
            .bind(actor)
            .bind(now_us)
            .bind(version)
            .execute(&mut *conn)
            .await?;
        }
        Ok::<_, sqlx::Error>(Written {
            inserted: batch.len() - found,
            replaced,
            unchanged: found - replaced,
            version,
        })
    })?;
    Ok(written)
}

/// The stored records among `ids`, by id, read in the change `w` after it
/// takes the data set's row ([`Write::hold_row`]), so no other change to its
/// records commits until this one does.
pub async fn hold_and_find(
    w: &mut Write,
    data_set_id: i64,
    ids: &[&str],
) -> Result<HashMap<String, StoredRecord>> {
    w.hold_row("data_sets", data_set_id).await?;
    let mut found = HashMap::new();
    for chunk in ids.chunks(ROWS_PER_STATEMENT) {
        let rows: Vec<RecordRow> = on_tx!(w, |conn| {
            let mut q = QueryBuilder::new(
                "SELECT record_id, ts, updated_at, body FROM records WHERE data_set_id = ",
            );
            q.push_bind(data_set_id).push(" AND record_id IN (");
            let mut list = q.separated(", ");
            for id in chunk {
                list.push_bind(*id);
            }
            q.push(")");
            q.build_query_as().fetch_all(conn).await
        })?;
        for row in rows {
            let record = StoredRecord::try_from(row)?;
            found.insert(record.id.clone(), record);
        }
    }
    Ok(found)
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
/// keeping the old values in the history as a patch. Answers the data set's
/// new version, or `None` if the record does not exist.
pub async fn patch(
    w: &mut Write,
    data_set_id: i64,
    old: &StoredRecord,
    record: &Record,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<Option<i64>> {
    let body = serde_json::to_string(&record.fields)?;
    // (first: see `write_batch`; undone with the rest when there is no record)
    let version = super::data_sets::bump_version(w, data_set_id).await?;
    let changed = on_tx!(w, |conn| {
        let done = sqlx::query(
            "UPDATE records SET ts = $1, updated_at = $2, body = $3, version = $6
             WHERE data_set_id = $4 AND record_id = $5",
        )
        .bind(micros(record.timestamp))
        .bind(micros(now))
        .bind(&body)
        .bind(data_set_id)
        .bind(&record.id)
        .bind(version)
        .execute(&mut *conn)
        .await?
        .rows_affected();
        if done > 0 {
            sqlx::query(
                "INSERT INTO record_history (data_set_id, record_id, action, old_value, new_value, actor, at, version)
                 VALUES ($1, $2, 'patch', $3, $4, $5, $6, $7)",
            )
            .bind(data_set_id)
            .bind(&record.id)
            .bind(old.to_history_value().to_string())
            .bind(record.to_history_value().to_string())
            .bind(actor)
            .bind(micros(now))
            .bind(version)
            .execute(&mut *conn)
            .await?;
        }
        Ok::<_, sqlx::Error>(done > 0)
    })?;
    Ok(changed.then_some(version))
}

/// What came of moving a record to another id.
#[derive(Debug, PartialEq, Eq)]
pub enum Moved {
    /// Moved: the data set's new version.
    Done(i64),
    /// The record is no longer there.
    NotFound,
    /// Another record has the new id.
    Taken,
}

/// Replaces the stored record `old` by `record` (its merged, validated new
/// state) under `record.id`, another id: one history entry, `move`, under
/// the new id, whose old and new values carry the old and new `_id`.
pub async fn move_to(
    w: &mut Write,
    data_set_id: i64,
    old: &StoredRecord,
    record: &Record,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<Moved> {
    let body = serde_json::to_string(&record.fields)?;
    let with_id = |mut value: Value, id: &str| {
        value["_id"] = Value::String(id.to_string());
        value.to_string()
    };
    let old_value = with_id(old.to_history_value(), &old.id);
    let new_value = with_id(record.to_history_value(), &record.id);
    // (first: see `write_batch`; undone with the rest when not moved)
    let version = super::data_sets::bump_version(w, data_set_id).await?;
    let moved = on_tx!(w, |conn| {
        let taken: Option<i32> =
            sqlx::query_scalar("SELECT 1 FROM records WHERE data_set_id = $1 AND record_id = $2")
                .bind(data_set_id)
                .bind(&record.id)
                .fetch_optional(&mut *conn)
                .await?;
        if taken.is_some() {
            return Ok(Moved::Taken);
        }
        let deleted = sqlx::query("DELETE FROM records WHERE data_set_id = $1 AND record_id = $2")
            .bind(data_set_id)
            .bind(&old.id)
            .execute(&mut *conn)
            .await?
            .rows_affected();
        if deleted == 0 {
            return Ok(Moved::NotFound);
        }
        sqlx::query(
            "INSERT INTO records (data_set_id, record_id, ts, updated_at, body, version)
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(data_set_id)
        .bind(&record.id)
        .bind(micros(record.timestamp))
        .bind(micros(now))
        .bind(&body)
        .bind(version)
        .execute(&mut *conn)
        .await?;
        sqlx::query(
            "INSERT INTO record_history (data_set_id, record_id, action, old_value, new_value, actor, at, version)
             VALUES ($1, $2, 'move', $3, $4, $5, $6, $7)",
        )
        .bind(data_set_id)
        .bind(&record.id)
        .bind(&old_value)
        .bind(&new_value)
        .bind(actor)
        .bind(micros(now))
        .bind(version)
        .execute(&mut *conn)
        .await?;
        Ok::<_, sqlx::Error>(Moved::Done(version))
    })?;
    Ok(moved)
}

/// Deletes one record, keeping it in the history. Answers the data set's new
/// version, or `None` if the record did not exist.
pub async fn delete(
    w: &mut Write,
    data_set_id: i64,
    id: &str,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<Option<i64>> {
    let Some(old) = find_in(w, data_set_id, id).await? else {
        return Ok(None);
    };
    // (first: see `write_batch`)
    let version = super::data_sets::bump_version(w, data_set_id).await?;
    let deleted = on_tx!(w, |conn| {
        let done = sqlx::query("DELETE FROM records WHERE data_set_id = $1 AND record_id = $2")
            .bind(data_set_id)
            .bind(id)
            .execute(&mut *conn)
            .await?
            .rows_affected();
        if done > 0 {
            sqlx::query(
                "INSERT INTO record_history (data_set_id, record_id, action, old_value, new_value, actor, at, version)
                 VALUES ($1, $2, 'delete', $3, NULL, $4, $5, $6)",
            )
            .bind(data_set_id)
            .bind(id)
            .bind(old.to_history_value().to_string())
            .bind(actor)
            .bind(micros(now))
            .bind(version)
            .execute(&mut *conn)
            .await?;
        }
        Ok::<_, sqlx::Error>(done > 0)
    })?;
    Ok(deleted.then_some(version))
}

/// Empties a data set, keeping every record in the history. Returns how many
/// records there were, and the data set's new version.
pub async fn empty(
    w: &mut Write,
    data_set_id: i64,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<(u64, i64)> {
    let now_us = micros(now);
    // (first: see `write_batch`)
    let version = super::data_sets::bump_version(w, data_set_id).await?;
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
                "INSERT INTO record_history (data_set_id, record_id, action, old_value, new_value, actor, at, version) ",
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
                b.push_bind(version);
            });
            h.build().execute(&mut *conn).await?;
        }
        sqlx::query("DELETE FROM records WHERE data_set_id = $1")
            .bind(data_set_id)
            .execute(&mut *conn)
            .await?;
        Ok::<_, sqlx::Error>(count)
    })?;
    Ok((removed, version))
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

/// The distinct `_timestamp`s of a data set's records, oldest first.
pub async fn distinct_times(store: &Store, data_set_id: i64) -> Result<Vec<DateTime<Utc>>> {
    let times: Vec<(i64,)> = on_pool!(store, |pool| sqlx::query_as(
        "SELECT DISTINCT ts FROM records WHERE data_set_id = $1 ORDER BY ts"
    )
    .bind(data_set_id)
    .fetch_all(pool)
    .await)?;
    Ok(times.into_iter().map(|(ts,)| from_micros(ts)).collect())
}

/// The span of a data set's records: the oldest and newest `_timestamp` and
/// when the newest was written (`None` for each when it has none).
#[derive(Clone, Debug)]
pub struct Span {
    pub oldest: Option<DateTime<Utc>>,
    pub newest: Option<DateTime<Utc>>,
    pub received: Option<DateTime<Utc>>,
}

/// The [`Span`] of the data set's records.
pub async fn span(store: &Store, data_set_id: i64) -> Result<Span> {
    let (oldest, newest, updated): (Option<i64>, Option<i64>, Option<i64>) =
        on_pool!(store, |pool| sqlx::query_as(
            "SELECT MIN(ts), MAX(ts), MAX(updated_at) FROM records WHERE data_set_id = $1"
        )
        .bind(data_set_id)
        .fetch_one(pool)
        .await)?;
    Ok(Span {
        oldest: oldest.map(from_micros),
        newest: newest.map(from_micros),
        received: updated.map(from_micros),
    })
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

/// Calls `visit` with every record of the data set, streaming them from the
/// database so that a large data set is never all in memory twice; answers the
/// data set's version those records are at (0 when it has gone).
pub async fn for_each(
    store: &Store,
    data_set_id: i64,
    mut visit: impl FnMut(StoredRecord),
) -> Result<i64> {
    use futures_util::TryStreamExt;
    // One snapshot for the version and the records, so the version says
    // exactly which changes the records hold.
    in_snapshot!(store, |tx| {
        let version: Option<i64> =
            sqlx::query_scalar("SELECT version FROM data_sets WHERE id = $1")
                .bind(data_set_id)
                .fetch_optional(&mut *tx)
                .await?;
        {
            // In the order they were stored: the table does not need them sorted.
            let mut rows = sqlx::query_as::<_, RecordRow>(
                "SELECT record_id, ts, updated_at, body FROM records WHERE data_set_id = $1",
            )
            .bind(data_set_id)
            .fetch(&mut *tx);
            while let Some(row) = rows.try_next().await? {
                visit(StoredRecord::try_from(row)?);
            }
        }
        Ok(version.unwrap_or(0))
    })
}

/// What changed in a data set's records after one version of them (see
/// [`changes_since`]).
#[derive(Debug, Default)]
pub struct Changes {
    /// The data set's version these changes bring the records to (0 when it
    /// has gone).
    pub version: i64,
    /// Every record was deleted at some version after the one asked about.
    pub emptied: bool,
    /// The ids of records deleted or moved away after it (after the last
    /// emptying, if emptied); some may have been stored again since: they
    /// are in `stored` too.
    pub removed: Vec<String>,
    /// Every record stored, replaced, patched or moved to after it, as it is
    /// now.
    pub stored: Vec<StoredRecord>,
}

/// What changed in the data set's records after `since` (a version of
/// them): applied to the records as they were at `since` (removals first,
/// then the records stored), it gives them as they are at
/// [`Changes::version`] exactly. Every writer moves the version on before
/// it writes (holding the data set's row until it commits), and marks what
/// it stores and removes with that version, so nothing committed after
/// `since` is missed. `None` when more than `most` records changed (a
/// whole load is then the faster way).
pub async fn changes_since(
    store: &Store,
    data_set_id: i64,
    since: i64,
    most: usize,
) -> Result<Option<Changes>> {
    let limit = most as i64 + 1;
    // One snapshot for the version and the changes, as in `for_each`.
    let (version, emptied, removals, stored) = in_snapshot!(store, |tx| {
        let row: Option<(i64, i64)> =
            sqlx::query_as("SELECT version, created_at FROM data_sets WHERE id = $1")
                .bind(data_set_id)
                .fetch_optional(&mut *tx)
                .await?;
        // A data set's versions start at its creation (since migration 0011):
        // a version held from before it is of another data set, deleted, whose
        // id SQLite gave again; its records are not this one's to change.
        if let Some((version, created)) = row {
            if since < created && created <= version {
                return Ok(None);
            }
        }
        let version = row.map(|(version, _)| version);
        // (each query names the removals' partial index's condition, so
        // both databases use it)
        let emptied: Option<i64> = sqlx::query_scalar(
            "SELECT MAX(version) FROM record_history
             WHERE data_set_id = $1 AND action IN ('delete', 'move', 'empty')
               AND action = 'empty' AND version > $2",
        )
        .bind(data_set_id)
        .bind(since)
        .fetch_one(&mut *tx)
        .await?;
        // After emptying, only what came since counts.
        let removals: Vec<(String, String, Option<String>)> = sqlx::query_as(
            "SELECT action, record_id, old_value FROM record_history
             WHERE data_set_id = $1 AND action IN ('delete', 'move', 'empty')
               AND action <> 'empty' AND version > $2
             LIMIT $3",
        )
        .bind(data_set_id)
        .bind(emptied.unwrap_or(since).max(since))
        .bind(limit)
        .fetch_all(&mut *tx)
        .await?;
        let stored: Vec<RecordRow> = if removals.len() > most {
            Vec::new()
        } else {
            sqlx::query_as(
                "SELECT record_id, ts, updated_at, body FROM records
                 WHERE data_set_id = $1 AND version > $2 LIMIT $3",
            )
            .bind(data_set_id)
            .bind(since)
            .bind(limit)
            .fetch_all(&mut *tx)
            .await?
        };
        (version.unwrap_or(0), emptied.is_some(), removals, stored)
    });
    if removals.len() > most || stored.len() > most {
        return Ok(None);
    }
    let mut changes = Changes {
        version,
        emptied,
        ..Changes::default()
    };
    for (action, record_id, old_value) in removals {
        match action.as_str() {
            // A move's entry is under the new id; the old one is in its old value.
            "move" => {
                let old_id = old_value
                    .as_deref()
                    .and_then(|v| serde_json::from_str::<Value>(v).ok())
                    .and_then(|v| v.get("_id").and_then(Value::as_str).map(str::to_string));
                match old_id {
                    Some(id) => changes.removed.push(id),
                    // Cannot tell which record went: a whole load is exact.
                    None => return Ok(None),
                }
            }
            _ => changes.removed.push(record_id),
        }
    }
    changes.stored = stored
        .into_iter()
        .map(StoredRecord::try_from)
        .collect::<Result<_>>()?;
    Ok(Some(changes))
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

    fn fields(value: serde_json::Value) -> Map<String, Value> {
        value.as_object().unwrap().clone()
    }

    #[test]
    fn ids_spell_every_moment_in_utc_with_z() {
        let auto_ids = ["_timestamp".to_string(), "key".to_string()];
        let id = |stamp: &str| {
            identity(
                &auto_ids,
                parse_datetime(stamp).unwrap(),
                &fields(serde_json::json!({"key": "k1"})),
            )
            .unwrap()
        };
        // Backdrop's example, sent with Z: Backdrop's id.
        assert_eq!(
            id("2013-03-11T00:00:00Z"),
            "MjAxMy0wMy0xMVQwMDowMDowMFouazE="
        );
        for same in [
            "2013-03-11T00:00:00+00:00",
            "2013-03-11T01:00:00+01:00",
            "2013-03-10T19:00:00-0500",
            "2013-03-11T00:00:00",
            "2013-03-11T00:00:00.000Z",
        ] {
            assert_eq!(id(same), "MjAxMy0wMy0xMVQwMDowMDowMFouazE=", "{same}");
        }
        let t = |s: &str| id_datetime(parse_datetime(s).unwrap());
        assert_eq!(
            t("2013-03-11T00:00:00.25+00:00"),
            "2013-03-11T00:00:00.250Z"
        );
        assert_eq!(
            t("2013-03-11T00:00:00.000001Z"),
            "2013-03-11T00:00:00.000001Z"
        );
        // Numbers and booleans as JSON, a missing field: no id.
        let values = identifying_values(
            &["count".into(), "flag".into()],
            Utc::now(),
            &fields(serde_json::json!({"count": 3, "flag": true})),
        );
        assert_eq!(values, Some(vec!["3".to_string(), "true".to_string()]));
        assert_eq!(identity(&["absent".into()], Utc::now(), &Map::new()), None);
    }

    #[test]
    fn ids_an_earlier_pulse_made_are_recognised_in_any_spelling() {
        let auto_ids = ["_timestamp".to_string(), "key".to_string()];
        let when = parse_datetime("2013-03-11T00:00:00Z").unwrap();
        let key = fields(serde_json::json!({"key": "k.1"}));
        for sent in [
            "2013-03-11T00:00:00Z.k.1",
            "2013-03-11T00:00:00+00:00.k.1",
            "2013-03-11T01:00:00+01:00.k.1",
            "2013-03-11T00:00:00.k.1",
            "2013-03-11T00:00:00.000+0000.k.1",
        ] {
            assert!(
                made_from(&auto_id(&[sent]), &auto_ids, when, &key),
                "{sent}"
            );
        }
        for other in [
            "2013-03-12T00:00:00Z.k.1",
            "2013-03-11T00:00:00Z.k.2",
            "2013-03-11T00:00:00Z.k",
            "2013-03-11T00:00:00Z",
        ] {
            assert!(
                !made_from(&auto_id(&[other]), &auto_ids, when, &key),
                "{other}"
            );
        }
        assert!(!made_from("my-own-id", &auto_ids, when, &key));
        assert!(!made_from("not base64!", &auto_ids, when, &key));
        assert_eq!(base64_decode("YWI="), Some(b"ab".to_vec()));
        assert_eq!(base64_decode("YQ=="), Some(b"a".to_vec()));
        assert_eq!(base64_decode("YQ==YWJj"), None);
    }

    #[test]
    fn fresh_ids_are_distinct_hex() {
        let a = fresh_id();
        assert_eq!(a.len(), 24);
        assert!(a.bytes().all(|b| b.is_ascii_hexdigit()));
        assert_ne!(a, fresh_id());
    }
}
