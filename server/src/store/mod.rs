//! Storage: one module per aggregate, over a sqlx pool.
//!
//! SQLite is the embedded default (a file, WAL mode, foreign keys on). Every write
//! that must be all-or-nothing runs in one transaction.

pub mod data_sets;
pub mod orgs;
pub mod records;

use std::{path::Path, str::FromStr, time::Duration};

use anyhow::Context;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};

/// The database behind Pulse.
#[derive(Clone, Debug)]
pub struct Store {
    pool: SqlitePool,
}

impl Store {
    /// Opens the database at `url`, creating the file (and its folder) if missing.
    pub async fn connect(url: &str) -> anyhow::Result<Store> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            anyhow::bail!(
                "Postgres support arrives with the data API; use a sqlite:// URL for now"
            );
        }
        if !url.starts_with("sqlite:") {
            anyhow::bail!("the database URL must start with sqlite:// (got {url:?})");
        }
        let options = SqliteConnectOptions::from_str(url)
            .with_context(|| format!("{url:?} is not a valid SQLite URL"))?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10));
        let file = options.get_filename();
        if let Some(dir) = file.parent().filter(|d| !d.as_os_str().is_empty()) {
            if !dir.exists() && file != Path::new(":memory:") {
                std::fs::create_dir_all(dir)
                    .with_context(|| format!("could not create the folder {}", dir.display()))?;
            }
        }
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            .connect_with(options)
            .await
            .with_context(|| format!("could not open the database {url:?}"))?;
        Ok(Store { pool })
    }

    /// Applies any migration not yet applied.
    pub async fn migrate(&self) -> anyhow::Result<()> {
        sqlx::migrate!("../migrations/sqlite")
            .run(&self.pool)
            .await
            .context("could not apply the database migrations")
    }

    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }
}

/// Microseconds since the epoch, the unit of every stored time.
pub fn micros(t: chrono::DateTime<chrono::Utc>) -> i64 {
    t.timestamp_micros()
}

/// The inverse of [`micros`].
pub fn from_micros(us: i64) -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::from_timestamp_micros(us).unwrap_or_default()
}
