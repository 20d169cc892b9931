//! Upgrades of the stored data that SQL alone cannot make, run once each
//! after the migrations: each one's row in `upgrades` is written in the same
//! transaction as its changes, so it is done wholly and once, on SQLite and
//! on Postgres alike (a second process starting at the same moment waits for
//! the row, then finds it and does nothing).

use std::collections::HashMap;

use chrono::Utc;
use serde_json::{json, Value};
use sqlx::FromRow;

use super::records::{identity, made_from, StoredRecord};
use super::{audit, from_micros, micros, Result, Store, Write};
use crate::on_tx;

/// The upgrade that gave every record one identity (issue 17).
pub const RECORD_IDS_IN_UTC: &str = "0009_record_ids_in_utc";

/// Who the correction history says made an upgrade's changes.
pub const ACTOR: &str = "pulse:upgrade";

/// Runs every upgrade not yet run.
pub async fn run(store: &Store) -> Result<()> {
    let mut w = store.write().await?;
    if !claim(&mut w, RECORD_IDS_IN_UTC).await? {
        return Ok(());
    }
    let detail = record_ids_in_utc(&mut w).await?;
    let note = audit::Note::new(
        &audit::Actor {
            label: ACTOR.into(),
            via: "upgrade",
        },
        "records.upgrade",
        RECORD_IDS_IN_UTC,
        detail,
        Utc::now(),
    );
    w.commit(note).await
}

/// Writes the upgrade's row; false when it is there already (the upgrade
/// has run). On Postgres a second writer of the same row waits for the
/// first's transaction, and then finds it.
async fn claim(w: &mut Write, name: &str) -> Result<bool> {
    let inserted = on_tx!(w, |conn| sqlx::query(
        "INSERT INTO upgrades (name, done_at) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING"
    )
    .bind(name)
    .bind(micros(Utc::now()))
    .execute(conn)
    .await
    .map(|r| r.rows_affected()))?;
    Ok(inserted == 1)
}

#[derive(FromRow)]
struct Row {
    record_id: String,
    ts: i64,
    updated_at: i64,
    body: String,
}

/// Recomputes the id of every record whose id was made from its data set's
/// `auto_ids` (with its date-times spelled as they were sent), spelling
/// date-times in UTC with `Z` ([`super::records::id_datetime`]). Records
/// that so become one are merged: the newest (by `updated_at`, then the one
/// written later) is kept, and each one merged away gets a `merge` entry in
/// the correction history. Records whose ids were given are left alone.
/// Answers what changed, by data set, for the audit log.
async fn record_ids_in_utc(w: &mut Write) -> Result<Value> {
    let data_sets: Vec<(i64, String, String)> = on_tx!(w, |conn| sqlx::query_as(
        "SELECT id, name, auto_ids FROM data_sets ORDER BY id"
    )
    .fetch_all(conn)
    .await)?;
    let now = micros(Utc::now());
    let mut report = serde_json::Map::new();
    for (data_set_id, name, auto_ids) in data_sets {
        let auto_ids: Vec<String> = serde_json::from_str(&auto_ids).unwrap_or_default();
        if auto_ids.is_empty() {
            continue;
        }
        // Oldest write first, and in the order written: the last of each
        // identity is the one kept.
        let rows: Vec<Row> = match w.tx() {
            super::Tx::Sqlite(tx) => {
                sqlx::query_as(
                    "SELECT record_id, ts, updated_at, body FROM records
                     WHERE data_set_id = $1 ORDER BY updated_at, rowid",
                )
                .bind(data_set_id)
                .fetch_all(&mut **tx)
                .await?
            }
            super::Tx::Postgres(tx) => {
                sqlx::query_as(
                    "SELECT record_id, ts, updated_at, body FROM records
                     WHERE data_set_id = $1 ORDER BY updated_at, ctid",
                )
                .bind(data_set_id)
                .fetch_all(&mut **tx)
                .await?
            }
        };
        // Each record's id from now on, and the records of each id.
        let mut by_id: HashMap<String, Vec<(StoredRecord, String)>> = HashMap::new();
        let mut order: Vec<String> = Vec::new();
        for row in rows {
            let record = StoredRecord {
                id: row.record_id,
                timestamp: from_micros(row.ts),
                updated_at: from_micros(row.updated_at),
                fields: serde_json::from_str(&row.body)?,
            };
            let target = if made_from(&record.id, &auto_ids, record.timestamp, &record.fields) {
                identity(&auto_ids, record.timestamp, &record.fields)
                    .unwrap_or_else(|| record.id.clone())
            } else {
                record.id.clone()
            };
            let group = by_id.entry(target.clone()).or_default();
            if group.is_empty() {
                order.push(target);
            }
            group.push((record, row.body));
        }
        let (mut renamed, mut merged) = (0usize, 0usize);
        for target in order {
            let group = &by_id[&target];
            if group.len() == 1 && group[0].0.id == target {
                continue;
            }
            let kept = &group.last().expect("a group has a record").0;
            // Every record of the group goes first, leaving the new id free
            // whatever order the groups come in.
            for (record, _) in group {
                on_tx!(w, |conn| sqlx::query(
                    "DELETE FROM records WHERE data_set_id = $1 AND record_id = $2"
                )
                .bind(data_set_id)
                .bind(&record.id)
                .execute(conn)
                .await
                .map(|_| ()))?;
            }
            if kept.id != target {
                renamed += 1;
            }
            for (record, _) in &group[..group.len() - 1] {
                merged += 1;
                let with_id = |mut value: Value, id: &str| {
                    value["_id"] = Value::String(id.to_string());
                    value.to_string()
                };
                let old_value = with_id(record.to_history_value(), &record.id);
                let new_value = with_id(kept.to_history_value(), &target);
                on_tx!(w, |conn| {
                    sqlx::query(
                    "INSERT INTO record_history (data_set_id, record_id, action, old_value, new_value, actor, at)
                     VALUES ($1, $2, 'merge', $3, $4, $5, $6)"
                )
                .bind(data_set_id)
                .bind(&target)
                .bind(&old_value)
                .bind(&new_value)
                .bind(ACTOR)
                .bind(now)
                .execute(conn)
                .await
                .map(|_| ())
                })?;
            }
        }
        // Insert the kept records once every old id of the data set is gone.
        for (target, group) in &by_id {
            let (kept, body) = group.last().expect("a group has a record");
            if group.len() == 1 && kept.id == *target {
                continue;
            }
            on_tx!(w, |conn| sqlx::query(
                "INSERT INTO records (data_set_id, record_id, ts, updated_at, body)
                 VALUES ($1, $2, $3, $4, $5)"
            )
            .bind(data_set_id)
            .bind(target)
            .bind(micros(kept.timestamp))
            .bind(micros(kept.updated_at))
            .bind(body)
            .execute(conn)
            .await
            .map(|_| ()))?;
        }
        if renamed + merged > 0 {
            report.insert(name, json!({ "new_ids": renamed, "merged": merged }));
        }
    }
    Ok(Value::Object(report))
}
