//! Storage: one module per aggregate, over SQLite or Postgres.
//!
//! SQLite is the embedded default (a file, WAL mode, foreign keys on); Postgres is
//! chosen by a `postgres://` URL. The SQL is written once, with `$1` placeholders
//! that both understand, and [`on_pool!`] runs it against whichever pool is open.
//! Every change runs in one [`Write`]: a transaction that holds the change,
//! its history rows and its audit row, committed together or not at all.

pub mod alerts;
pub mod annotations;
pub mod api_keys;
pub mod audit;
pub mod catalogue;
pub mod dashboards;
pub mod data_sets;
pub mod digests;
pub mod error;
pub mod history;
pub mod invitations;
pub mod mail;
pub mod orgs;
pub mod portfolios;
pub mod records;
pub mod reminders;
pub mod sessions;
pub mod targets;
pub mod two_factor;
pub mod upgrades;
pub mod users;

pub use error::{Error, Result};

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::{path::Path, str::FromStr, time::Duration};

use anyhow::Context;
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};

/// The open database.
#[derive(Clone, Debug)]
pub enum Db {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// Runs `$body` with `$pool` bound to the open pool, whichever backend it is.
/// The body is compiled once per backend, so it may use backend-specific types.
#[macro_export]
macro_rules! on_pool {
    ($store:expr, |$pool:ident| $body:expr) => {
        match $store.db() {
            $crate::store::Db::Sqlite($pool) => $body,
            $crate::store::Db::Postgres($pool) => $body,
        }
    };
}

/// Runs `$body` with `$tx`, a read transaction on either backend: one
/// snapshot for every query in it (SQLite in WAL mode gives one to any
/// transaction; Postgres is asked for REPEATABLE READ), committed after.
/// `$body` is the value; errors (`?`) leave the caller's function.
#[macro_export]
macro_rules! in_snapshot {
    ($store:expr, |$tx:ident| $body:expr) => {
        match $store.db() {
            $crate::store::Db::Sqlite(pool) => {
                let mut $tx = pool.begin().await?;
                let answer = $body;
                $tx.commit().await?;
                answer
            }
            $crate::store::Db::Postgres(pool) => {
                let mut $tx = pool
                    .begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
                    .await?;
                let answer = $body;
                $tx.commit().await?;
                answer
            }
        }
    };
}

/// An open write transaction, on either backend.
pub enum Tx {
    Sqlite(sqlx::Transaction<'static, sqlx::Sqlite>),
    Postgres(sqlx::Transaction<'static, sqlx::Postgres>),
}

/// One change to the database: begun with [`Store::write`], written through
/// by the store's write functions, and committed with the audit row that says
/// who did it ([`Write::commit`]). Dropped uncommitted (an error on the way),
/// nothing of it is kept.
pub struct Write {
    tx: Tx,
}

/// Runs `$body` with `$conn` bound to the write's connection (a `&mut`
/// connection of whichever backend is open); reborrow it (`&mut *$conn`) to
/// use it more than once.
#[macro_export]
macro_rules! on_tx {
    ($write:expr, |$conn:ident| $body:expr) => {
        match $write.tx() {
            $crate::store::Tx::Sqlite(tx) => {
                let $conn = &mut **tx;
                $body
            }
            $crate::store::Tx::Postgres(tx) => {
                let $conn = &mut **tx;
                $body
            }
        }
    };
}

impl Write {
    pub fn tx(&mut self) -> &mut Tx {
        &mut self.tx
    }

    /// Takes `name` (an address, say) until this change commits: another
    /// change that takes the same name waits (on Postgres a transaction's
    /// advisory lock; on SQLite a change holds the database whole already).
    /// For a check that what the change makes is not there yet.
    pub async fn hold_name(&mut self, name: &str) -> Result<()> {
        if let Tx::Postgres(tx) = &mut self.tx {
            sqlx::query("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))")
                .bind(name)
                .execute(&mut **tx)
                .await?;
        }
        Ok(())
    }

    /// Takes the row of `table` whose id is `id` until this change commits
    /// (another change that takes it waits): on Postgres by `SELECT … FOR
    /// UPDATE`; on SQLite a change holds the database whole already (`BEGIN
    /// IMMEDIATE`). Nothing is written (no version moves, no trigger runs).
    /// Whether the row is there.
    pub async fn hold_row(&mut self, table: &'static str, id: i64) -> Result<bool> {
        let found: Option<i64> = match &mut self.tx {
            Tx::Sqlite(tx) => {
                sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
                    "SELECT id FROM {table} WHERE id = $1"
                )))
                .bind(id)
                .fetch_optional(&mut **tx)
                .await?
            }
            Tx::Postgres(tx) => {
                sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
                    "SELECT id FROM {table} WHERE id = $1 FOR UPDATE"
                )))
                .bind(id)
                .fetch_optional(&mut **tx)
                .await?
            }
        };
        Ok(found.is_some())
    }

    /// How many rows of `table` belong to the person `user_id` (its
    /// `user_id` column), counted in this change after taking their row
    /// ([`Write::hold_row`]): two made at once, through one instance or two,
    /// are counted one after the other, so neither passes a bound the other
    /// reached.
    pub async fn count_held(&mut self, table: &'static str, user_id: i64) -> Result<i64> {
        self.hold_row("users", user_id).await?;
        let sql = format!("SELECT COUNT(*) FROM {table} WHERE user_id = $1");
        Ok(on_tx!(self, |conn| sqlx::query_scalar(
            sqlx::AssertSqlSafe(sql.clone())
        )
        .bind(user_id)
        .fetch_one(conn)
        .await)?)
    }

    /// Writes the audit row and commits: the change and its note are kept
    /// together, or (if either fails) neither is.
    pub async fn commit(mut self, note: audit::Note) -> Result<()> {
        audit::insert(&mut self, &note).await?;
        match self.tx {
            Tx::Sqlite(tx) => tx.commit().await?,
            Tx::Postgres(tx) => tx.commit().await?,
        }
        Ok(())
    }
}

/// What [`Store::readiness`] found: each check passed, or why not.
#[derive(Clone, Debug)]
pub struct Readiness {
    pub database: std::result::Result<(), String>,
    pub migrations: std::result::Result<(), String>,
    pub writes: std::result::Result<(), String>,
}

impl Readiness {
    pub fn ready(&self) -> bool {
        self.database.is_ok() && self.migrations.is_ok() && self.writes.is_ok()
    }
}

/// The database behind Pulse.
#[derive(Clone, Debug)]
pub struct Store {
    db: Db,
    /// Records written through this process (see [`Store::records_written`]).
    written: Arc<AtomicUsize>,
    /// The catalogue as last read ([`catalogue`]).
    catalogue: Arc<catalogue::Catalogue>,
    /// A SQLite database's file (none for Postgres, or one in memory).
    file: Option<std::path::PathBuf>,
}

/// Whether the planner's statistics are refreshed when the records written
/// through this process go from `before` to `after`: at 10,000, 20,000,
/// 40,000 and so on (as the table grows, its statistics need refreshing less
/// often), as Postgres's own autovacuum would at each tenth of growth.
fn analyze_due(before: usize, after: usize) -> bool {
    let mut at = 10_000usize;
    while at <= after {
        if before < at {
            return true;
        }
        at = at.saturating_mul(2);
    }
    false
}

impl Store {
    /// Opens the database at `url`: `sqlite://FILE` (the file and its folder are
    /// created if missing) or `postgres://...`.
    pub async fn connect(url: &str) -> anyhow::Result<Store> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let options = PgConnectOptions::from_str(url)
                .with_context(|| format!("{url:?} is not a valid Postgres URL"))?;
            let pool = PgPoolOptions::new()
                .max_connections(16)
                .acquire_timeout(Duration::from_secs(10))
                .connect_with(options)
                .await
                .with_context(|| format!("could not connect to the database {url:?}"))?;
            return Ok(Store {
                db: Db::Postgres(pool),
                written: Arc::default(),
                catalogue: Arc::default(),
                file: None,
            });
        }
        if !url.starts_with("sqlite:") {
            anyhow::bail!(
                "the database URL must start with sqlite:// or postgres:// (got {url:?})"
            );
        }
        let options = SqliteConnectOptions::from_str(url)
            .with_context(|| format!("{url:?} is not a valid SQLite URL"))?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10))
            // A 16 MiB page cache per connection (the default is 2 MiB): bulk
            // writes into large data sets otherwise spend their time re-reading
            // index pages. Checkpoints every 40 MiB of WAL rather than 4 MiB.
            .pragma("cache_size", "-16384")
            .pragma("temp_store", "memory")
            .pragma("wal_autocheckpoint", "10000");
        let file = options.get_filename();
        let kept_file = (file != Path::new(":memory:") && !file.as_os_str().is_empty())
            .then(|| file.to_path_buf());
        if let Some(dir) = file.parent().filter(|d| !d.as_os_str().is_empty()) {
            if !dir.exists() && file != Path::new(":memory:") {
                std::fs::create_dir_all(dir)
                    .with_context(|| format!("could not create the folder {}", dir.display()))?;
            }
        }
        // Few connections: SQLite writes one at a time anyway, reads are served
        // from memory, and each connection keeps its own page cache warm. A
        // connection opened while the file could not be written stays unable
        // to write, so after a write was refused so, connections older than
        // the refusal are closed instead of reused (see `error::read_only_seen`).
        let pool = SqlitePoolOptions::new()
            .max_connections(4)
            .before_acquire(|_, meta| {
                Box::pin(async move { Ok(!error::opened_before_read_only(meta.age)) })
            })
            .connect_with(options)
            .await
            .with_context(|| format!("could not open the database {url:?}"))?;
        Ok(Store {
            db: Db::Sqlite(pool),
            written: Arc::default(),
            catalogue: Arc::default(),
            file: kept_file,
        })
    }

    /// What this store keeps of the catalogue between reads.
    pub fn catalogue(&self) -> &catalogue::Catalogue {
        &self.catalogue
    }

    /// After `count` records were written and committed: on Postgres, from
    /// time to time ([`analyze_due`]), refreshes the planner's statistics of
    /// the records (`ANALYZE records`) in the background. A database whose
    /// autovacuum is off otherwise keeps the statistics of an empty table, and
    /// its planner then reads far more than it needs: batches of 1,000 records
    /// took seconds each past 200,000 records until `ANALYZE` ran.
    pub fn records_written(&self, count: usize) {
        let Db::Postgres(pool) = &self.db else {
            return;
        };
        let before = self.written.fetch_add(count, Ordering::Relaxed);
        if analyze_due(before, before + count) {
            let pool = pool.clone();
            tokio::spawn(async move {
                if let Err(e) = sqlx::query("ANALYZE records").execute(&pool).await {
                    tracing::warn!("could not refresh the records' statistics: {e}");
                }
            });
        }
    }

    /// Applies any migration not yet applied, then any upgrade of the stored
    /// data not yet made ([`upgrades`]).
    pub async fn migrate(&self) -> anyhow::Result<()> {
        // Two processes started at once on one SQLite file would both apply
        // a migration (Postgres' migrations take a lock of their own): the
        // second's then fails, and it stops. So they take turns, by a lock
        // on a file beside the database, held until the migrations are done.
        let _turn = match &self.file {
            Some(file) => {
                let mut lock = file.as_os_str().to_owned();
                lock.push(".migrating");
                let lock = std::path::PathBuf::from(lock);
                let held = tokio::task::spawn_blocking(
                    move || -> std::io::Result<Option<std::fs::File>> {
                        let f = match std::fs::File::options()
                            .create(true)
                            .truncate(false)
                            .write(true)
                            .open(&lock)
                        {
                            Ok(f) => f,
                            // A folder this process may not write in: no
                            // migration can be written either, and the
                            // readiness check says so; one at a time is moot.
                            Err(e)
                                if matches!(
                                    e.kind(),
                                    std::io::ErrorKind::PermissionDenied
                                        | std::io::ErrorKind::ReadOnlyFilesystem
                                ) =>
                            {
                                tracing::warn!(
                                    "could not make {} ({e}): migrating without it",
                                    lock.display()
                                );
                                return Ok(None);
                            }
                            Err(e) => return Err(e),
                        };
                        f.lock()?;
                        Ok(Some(f))
                    },
                )
                .await?;
                held.context("could not take the migrations' lock beside the database")?
            }
            None => None,
        };
        match &self.db {
            Db::Sqlite(pool) => sqlx::migrate!("../migrations/sqlite").run(pool).await,
            Db::Postgres(pool) => sqlx::migrate!("../migrations/postgres").run(pool).await,
        }
        .context("could not apply the database migrations")?;
        upgrades::run(self)
            .await
            .context("could not upgrade the stored data")
    }

    /// Whether this instance can serve (for `/_status/ready`): the database
    /// answers, holds every migration this build has, and takes a write. Each
    /// check has a few seconds; what failed is said in words.
    pub async fn readiness(&self) -> Readiness {
        use tokio::time::timeout;
        const WAIT: Duration = Duration::from_secs(3);
        let said = |e: &dyn std::fmt::Display| e.to_string();
        let select = async {
            on_pool!(self, |pool| sqlx::query_scalar::<_, i32>("SELECT 1")
                .fetch_one(pool)
                .await)
        };
        let answers = match timeout(WAIT, select).await {
            Ok(Ok(_)) => Ok(()),
            Ok(Err(e)) => Err(format!("the database cannot be reached: {}", said(&e))),
            Err(_) => Err("the database did not answer within 3 seconds".to_string()),
        };
        if answers.is_err() {
            let not_checked = Err("not checked: the database cannot be reached".to_string());
            return Readiness {
                database: answers,
                migrations: not_checked.clone(),
                writes: not_checked,
            };
        }
        let wanted = match &self.db {
            Db::Sqlite(_) => sqlx::migrate!("../migrations/sqlite")
                .iter()
                .map(|m| m.version)
                .max(),
            Db::Postgres(_) => sqlx::migrate!("../migrations/postgres")
                .iter()
                .map(|m| m.version)
                .max(),
        };
        let applied: std::result::Result<Option<i64>, sqlx::Error> = on_pool!(self, |pool| {
            sqlx::query_scalar("SELECT MAX(version) FROM _sqlx_migrations WHERE success")
                .fetch_one(pool)
                .await
        });
        let migrations = match applied {
            Ok(applied) if applied == wanted => Ok(()),
            Ok(applied) => Err(format!(
                "the database's migrations ({}) are not this build's ({}): run `pulse migrate` \
                 with this build",
                applied.map_or("none".into(), |v| v.to_string()),
                wanted.map_or("none".into(), |v| v.to_string()),
            )),
            Err(e) => Err(format!("the migrations could not be read: {}", said(&e))),
        };
        // A write that changes nothing, in a transaction of its own: refused
        // by a read-only file or database, waited for behind a long write.
        let probe = async {
            on_pool!(self, |pool| sqlx::query(
                "UPDATE data_sets SET version = version WHERE id = -1"
            )
            .execute(pool)
            .await
            .map(|_| ()))
            .map_err(Error::from)
        };
        let writes = match timeout(WAIT, probe).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => Err(format!("the database cannot be written: {e}")),
            Err(_) => Ok(()),
        };
        Readiness {
            database: answers,
            migrations,
            writes,
        }
    }

    /// Closes every connection (waiting for those in use).
    pub async fn close(&self) {
        match &self.db {
            Db::Sqlite(pool) => pool.close().await,
            Db::Postgres(pool) => pool.close().await,
        }
    }

    /// Begins one change (see [`Write`]).
    pub async fn write(&self) -> Result<Write> {
        let tx = match &self.db {
            Db::Sqlite(pool) => Tx::Sqlite(begin_write(pool).await?),
            Db::Postgres(pool) => Tx::Postgres(begin_write(pool).await?),
        };
        Ok(Write { tx })
    }

    pub fn db(&self) -> &Db {
        &self.db
    }

    /// Which backend this is, for messages and benchmarks.
    pub fn backend(&self) -> &'static str {
        match self.db {
            Db::Sqlite(_) => "SQLite",
            Db::Postgres(_) => "Postgres",
        }
    }
}

/// Begins a transaction that will write. On SQLite it takes the write lock at
/// once (`BEGIN IMMEDIATE`), waiting up to the busy timeout for another writer
/// to finish: a deferred transaction that reads first and then writes cannot
/// wait, and fails with "database is locked" whenever another writer got in
/// between. Postgres needs nothing special.
pub async fn begin_write<DB: sqlx::Database>(
    pool: &sqlx::Pool<DB>,
) -> sqlx::Result<sqlx::Transaction<'static, DB>> {
    if DB::NAME == "SQLite" {
        pool.begin_with("BEGIN IMMEDIATE").await
    } else {
        pool.begin().await
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statistics_are_refreshed_as_the_records_double() {
        assert!(!analyze_due(0, 9_999));
        assert!(analyze_due(9_000, 10_000));
        assert!(!analyze_due(10_000, 19_999));
        assert!(analyze_due(19_000, 21_000));
        assert!(analyze_due(0, 1_000_000));
        assert!(!analyze_due(700_000, 1_000_000));
        assert!(analyze_due(1_000_000, 1_400_000));
    }
}
