//! The store's own errors: what the database says of a read or a change.
//! The store checks no rules (the domain does, before it writes); it reports
//! what is missing, what a constraint refuses, and what failed.

use std::sync::atomic::{AtomicU64, Ordering};

/// An error of the store.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Something the change names does not exist.
    #[error("{0}")]
    NotFound(String),
    /// A uniqueness constraint refuses the change: something with the same
    /// name exists.
    #[error("{0}")]
    Conflict(String),
    /// The database refused or failed.
    #[error(transparent)]
    Database(sqlx::Error),
    /// A JSON column that could not be written, or read back.
    #[error("a stored value could not be encoded or decoded: {0}")]
    Encoding(#[from] serde_json::Error),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// A unique violation is a [`Error::Conflict`] naming its fields; any other
/// database error is a [`Error::Database`].
impl From<sqlx::Error> for Error {
    fn from(e: sqlx::Error) -> Self {
        if is_read_only(&e) {
            READ_ONLY_SEEN.store(now_ms(), Ordering::Relaxed);
        }
        match unique_violation(&e) {
            Some(fields) => Error::Conflict(conflict_message(&fields)),
            None => Error::Database(e),
        }
    }
}

/// When (milliseconds since the epoch) a write was last refused because the
/// database could not be written; 0 for never.
static READ_ONLY_SEEN: AtomicU64 = AtomicU64::new(0);

fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

/// Whether `e` says the database cannot be written: a SQLite file (or its
/// folder) that is read-only (`SQLITE_READONLY` and its extended codes), or a
/// Postgres in read-only mode (`25006`).
pub fn is_read_only(e: &sqlx::Error) -> bool {
    let sqlx::Error::Database(db) = e else {
        return false;
    };
    let code = db.code().unwrap_or_default();
    let sqlite_read_only = code.parse::<u32>().is_ok_and(|c| c & 0xff == 8);
    sqlite_read_only || code == "25006" || db.message().contains("readonly database")
}

/// Whether a connection open for `age` was opened before the last write
/// refused as read-only: such a connection never writes again (SQLite opened
/// it read-only), so the pool closes it and opens another.
pub fn opened_before_read_only(age: std::time::Duration) -> bool {
    let seen = READ_ONLY_SEEN.load(Ordering::Relaxed);
    seen != 0 && now_ms().saturating_sub(age.as_millis() as u64) <= seen
}

/// The fields of a unique constraint that `e` violates, if it is such a
/// violation, on SQLite (`UNIQUE constraint failed: data_sets.data_group,
/// data_sets.data_type`) and on Postgres (`Key (data_group, data_type)=(...)
/// already exists.`). Empty when the database does not say which.
pub fn unique_violation(e: &sqlx::Error) -> Option<Vec<String>> {
    let sqlx::Error::Database(db) = e else {
        return None;
    };
    if !db.is_unique_violation() {
        return None;
    }
    let sqlite = db
        .message()
        .split_once("UNIQUE constraint failed:")
        .map(|(_, columns)| columns.to_string());
    let postgres = db
        .try_downcast_ref::<sqlx::postgres::PgDatabaseError>()
        .and_then(|pg| pg.detail())
        .and_then(|detail| detail.strip_prefix("Key ("))
        .and_then(|rest| rest.split_once(")="))
        .map(|(columns, _)| columns.to_string());
    Some(
        sqlite
            .or(postgres)
            .unwrap_or_default()
            .split(',')
            .map(|c| c.trim())
            .map(|c| c.rsplit('.').next().unwrap_or(c))
            // An expression index (`lower(email)`) names its column inside.
            .map(|c| c.trim_start_matches("lower(").trim_end_matches(')'))
            .filter(|c| !c.is_empty())
            .map(str::to_string)
            .collect(),
    )
}

/// The 409 message of a unique violation on `fields`.
fn conflict_message(fields: &[String]) -> String {
    match fields {
        [] => "Something with the same name already exists: choose another.".into(),
        [one] => format!("Something with this `{one}` already exists: choose another."),
        many => format!(
            "Something with this {} already exists: choose another.",
            many.iter()
                .map(|f| format!("`{f}`"))
                .collect::<Vec<_>>()
                .join(" and ")
        ),
    }
}
