//! The correction history: the old (and new) values of every record replaced,
//! patched, deleted or emptied, with who did it and when.

use sqlx::FromRow;

use super::Result;
use super::{from_micros, Store};
use crate::on_pool;

pub use app::model::HistoryEntry;

#[derive(FromRow)]
struct HistoryRow {
    record_id: String,
    action: String,
    old_value: Option<String>,
    new_value: Option<String>,
    actor: String,
    at: i64,
}

/// The newest `limit` changes of a data set, newest first.
pub async fn list(store: &Store, data_set_id: i64, limit: i64) -> Result<Vec<HistoryEntry>> {
    let rows: Vec<HistoryRow> = on_pool!(store, |pool| sqlx::query_as(
        "SELECT record_id, action, old_value, new_value, actor, at FROM record_history
         WHERE data_set_id = $1 ORDER BY at DESC, id DESC LIMIT $2"
    )
    .bind(data_set_id)
    .bind(limit)
    .fetch_all(pool)
    .await)?;
    Ok(rows
        .into_iter()
        .map(|r| HistoryEntry {
            record_id: r.record_id,
            action: r.action,
            old_value: r.old_value.and_then(|v| serde_json::from_str(&v).ok()),
            new_value: r.new_value.and_then(|v| serde_json::from_str(&v).ok()),
            actor: r.actor,
            at: from_micros(r.at),
        })
        .collect())
}
