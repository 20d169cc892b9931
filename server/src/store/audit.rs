//! The audit log: who changed what, when, and through which key or session.

use chrono::{DateTime, Utc};
use sqlx::FromRow;

use super::Result;
use super::{from_micros, micros, Store, Write};
use crate::{on_pool, on_tx};

/// One change, as the log keeps it.
pub use app::model::AuditEntry as Entry;

#[derive(FromRow)]
struct EntryRow {
    id: i64,
    at: i64,
    actor: String,
    via: String,
    action: String,
    target: String,
    detail: String,
}

/// Who did something, for the log.
#[derive(Clone, Debug)]
pub struct Actor {
    pub label: String,
    pub via: &'static str,
}

impl Actor {
    pub fn cli() -> Actor {
        Actor {
            label: "command line".into(),
            via: "cli",
        }
    }

    /// Pulse itself, for what it does on its own (reminders of late data).
    pub fn pulse() -> Actor {
        Actor {
            label: "Pulse".into(),
            via: "pulse",
        }
    }
}

/// What one change says of itself in the log: written in the change's own
/// transaction by [`super::Write::commit`].
#[derive(Clone, Debug)]
pub struct Note {
    pub actor: Actor,
    pub action: &'static str,
    pub target: String,
    pub detail: serde_json::Value,
    pub at: DateTime<Utc>,
}

impl Note {
    pub fn new(
        actor: &Actor,
        action: &'static str,
        target: impl Into<String>,
        detail: serde_json::Value,
        at: DateTime<Utc>,
    ) -> Note {
        Note {
            actor: actor.clone(),
            action,
            target: target.into(),
            detail,
            at,
        }
    }
}

impl Note {
    /// A change made on the command line (or by a tool run beside Pulse),
    /// with nothing more to say of it.
    pub fn cli(action: &'static str, target: impl Into<String>, at: DateTime<Utc>) -> Note {
        Note::new(&Actor::cli(), action, target, serde_json::json!({}), at)
    }
}

/// Writes one entry, inside the change's transaction.
pub(super) async fn insert(w: &mut Write, note: &Note) -> Result<()> {
    on_tx!(w, |conn| sqlx::query(
        "INSERT INTO audit_log (at, actor, via, action, target, detail)
         VALUES ($1, $2, $3, $4, $5, $6)"
    )
    .bind(micros(note.at))
    .bind(&note.actor.label)
    .bind(note.actor.via)
    .bind(note.action)
    .bind(&note.target)
    .bind(note.detail.to_string())
    .execute(conn)
    .await
    .map(|r| r.rows_affected()))?;
    Ok(())
}

/// Entries, newest first, whose actor, action, target or detail contains `text` (all
/// when empty), at most `limit`.
pub async fn list(store: &Store, text: &str, limit: i64) -> Result<Vec<Entry>> {
    let pattern = format!("%{}%", text.to_lowercase());
    let rows: Vec<EntryRow> = on_pool!(store, |pool| sqlx::query_as(
        "SELECT id, at, actor, via, action, target, detail FROM audit_log
         WHERE LOWER(actor) LIKE $1 OR LOWER(action) LIKE $1 OR LOWER(target) LIKE $1
            OR LOWER(detail) LIKE $1
         ORDER BY at DESC, id DESC LIMIT $2"
    )
    .bind(&pattern)
    .bind(limit)
    .fetch_all(pool)
    .await)?;
    Ok(rows
        .into_iter()
        .map(|r| Entry {
            id: r.id,
            at: from_micros(r.at),
            actor: r.actor,
            via: r.via,
            action: r.action,
            target: r.target,
            detail: serde_json::from_str(&r.detail).unwrap_or(serde_json::Value::Null),
        })
        .collect())
}
