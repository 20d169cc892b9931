//! The data query engine, a pipeline of pure stages:
//! query string -> [`params::Query`] (parse and validate) -> plan and one pass over
//! an in-memory [`table::Table`] -> shaped rows ([`execute`]).
//!
//! Storage stays behind a narrow interface: the engine sees a data set as a
//! table built from its records, whichever database they came from. Tables are
//! cached per data set with the version of the records they hold. A write
//! through this instance changes the cached table as it changed the records
//! (added, replaced, patched, moved, deleted, emptied), making a new version
//! that shares every chunk it did not touch ([`chunked`]) while readers finish
//! with the old one; a read whose data set row shows a newer version (a write
//! through another instance) reloads it.

pub mod answers;
pub mod chunked;
pub mod execute;
pub mod params;
pub mod snapshot;
pub mod table;

use std::sync::{Arc, RwLock};

use chrono::{DateTime, Utc};
use rustc_hash::FxHashMap;

use crate::error::Result;
use crate::store::{
    records::{self, Record, StoredRecord},
    Store,
};
use table::Table;

#[derive(Debug, Default)]
struct Entry {
    table: Option<Arc<Table>>,
    /// Each record's row in `table`, by a hash of its id; made at the first
    /// change that needs it (a replace, a patch, a delete), then kept.
    rows: Option<FxHashMap<u64, u32>>,
    /// The data set's version that `table` holds exactly (see
    /// `store::data_sets::bump_version`).
    version: i64,
    /// Held while the table loads: readers that also find it missing or old
    /// wait for that one load instead of making their own.
    loading: Arc<tokio::sync::Mutex<()>>,
    /// The version kept on disk ([`snapshot`]), if known.
    saved: Option<i64>,
    /// When a write through this instance last changed the table.
    changed: Option<std::time::Instant>,
    /// How the table held was last read in ([`Cache::table`]'s sources).
    source: &'static str,
}

/// Data sets held in memory, by id.
///
/// Every change to a data set's records moves its version on (in the same
/// transaction), and every read brings the data set's row, version included,
/// from the database: a table older than that version is loaded again, so
/// instances sharing one database never serve each other's old figures.
#[derive(Clone, Debug, Default)]
pub struct Cache {
    entries: Arc<RwLock<FxHashMap<i64, Entry>>>,
    /// Services' headline figures, worked out from these tables.
    pub headlines: crate::domain::services::Headlines,
    /// What boards show of each service, likewise ([`crate::domain::boards::Worked`]).
    pub boards: crate::domain::services::Kept<crate::domain::boards::Worked>,
    /// Services' unexplained unusual figures, likewise.
    pub flags: crate::domain::boards::Flags,
    /// Read answers, by the version of the records they were worked out from.
    pub answers: answers::Answers,
    /// Each data set's span of records, with the version it was read at.
    spans: ByVersion<records::Span>,
    /// Each data set's newest record (the guide's examples), likewise.
    latest: ByVersion<Option<records::StoredRecord>>,
    /// Each data set's newest whole period's record
    /// ([`crate::domain::kpis::newest_whole`]) and its parts' gaps
    /// ([`crate::domain::kpis::part_gaps`]), with the version they were read at.
    wholes: ByVersion<Whole>,
    /// How often each data set's records come, when worked out without its
    /// table ([`Cache::frequency`]), with the version it was read at.
    frequencies: ByVersion<Option<app::model::PeriodKind>>,
    /// Where large tables are kept between runs, if anywhere (`pulse serve`
    /// keeps them; commands that run once do not).
    snapshots: Option<Arc<snapshot::Snapshots>>,
    /// Held while a snapshot is written: one at a time.
    saving: Arc<tokio::sync::Mutex<()>>,
    /// Where reads are worked out.
    pub work: Work,
}

/// What is worked out once per data set and version: by data set id, the
/// version it was worked out at and what.
type ByVersion<T> = Arc<std::sync::Mutex<FxHashMap<i64, (i64, T)>>>;

/// What `kept` holds of data set `data_set_id` at `version`, else what
/// `read` reads (then kept).
async fn once_a_version<T: Clone, E, F: std::future::Future<Output = std::result::Result<T, E>>>(
    kept: &ByVersion<T>,
    data_set_id: i64,
    version: i64,
    read: impl FnOnce() -> F,
) -> std::result::Result<T, E> {
    let held = kept.lock().expect("kept").get(&data_set_id).cloned();
    if let Some((at, value)) = held {
        if at == version {
            return Ok(value);
        }
    }
    let value = read().await?;
    kept.lock()
        .expect("kept")
        .insert(data_set_id, (version, value.clone()));
    Ok(value)
}

/// What is whole of a data set sent as a record per part: its newest record
/// whose period has every part ([`crate::domain::kpis::newest_whole`]), and
/// where a part misses periods between periods it has
/// ([`crate::domain::kpis::part_gaps`]).
#[derive(Clone, Debug, Default)]
pub struct Whole {
    pub newest: Option<DateTime<Utc>>,
    pub gaps: Arc<Vec<app::model::PartGap>>,
    /// How often its records are sent: the catalogue's, else read from its
    /// records' times ([`crate::domain::kpis::frequency`]).
    pub frequency: Option<app::model::PeriodKind>,
}

/// Reads worked out on threads of their own, as many at once as the machine
/// has cores: a read that takes seconds (a large data set, many fields
/// collected) holds up neither the pages nor the other requests, which the
/// server's own threads go on answering. Before, two such reads at once
/// left `/_status` waiting 17 s.
#[derive(Clone, Debug)]
pub struct Work(Arc<tokio::sync::Semaphore>);

impl Default for Work {
    fn default() -> Self {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        Work(Arc::new(tokio::sync::Semaphore::new(cores)))
    }
}

impl Work {
    /// Runs `job` on a thread of its own once a place is free. The place is
    /// held until `job` ends, even if whoever asked has gone.
    pub async fn run<T: Send + 'static>(
        &self,
        job: impl FnOnce() -> T + Send + 'static,
    ) -> anyhow::Result<T> {
        let place = self.0.clone().acquire_owned().await?;
        Ok(tokio::task::spawn_blocking(move || {
            let _place = place;
            job()
        })
        .await?)
    }
}

impl Cache {
    /// The table held for the data set, if it is at least as new as `version`.
    fn held(&self, data_set_id: i64, version: i64) -> Option<Arc<Table>> {
        let entries = self.entries.read().expect("cache lock");
        let entry = entries.get(&data_set_id)?;
        entry.table.clone().filter(|_| entry.version >= version)
    }

    /// The newest table held for the data set, whatever its version, with
    /// the version of the data set it holds the records of.
    pub fn newest_held_at(&self, data_set_id: i64) -> Option<(i64, Arc<Table>)> {
        let entries = self.entries.read().expect("cache lock");
        let entry = entries.get(&data_set_id)?;
        Some((entry.version, entry.table.clone()?))
    }

    /// The data set's table, at least as new as `version` (the version in the
    /// data set's row just read): the table held, or loaded from the store.
    pub async fn table(&self, store: &Store, data_set_id: i64, version: i64) -> Result<Arc<Table>> {
        if let Some(table) = self.held(data_set_id, version) {
            return Ok(table);
        }
        let loading = {
            let mut entries = self.entries.write().expect("cache lock");
            let entry = entries.entry(data_set_id).or_default();
            match &entry.table {
                Some(table) if entry.version >= version => return Ok(table.clone()),
                _ => entry.loading.clone(),
            }
        };
        let _one_load = loading.lock().await;
        // Another reader may have loaded it while this one waited.
        if let Some(table) = self.held(data_set_id, version) {
            return Ok(table);
        }
        let began = std::time::Instant::now();
        // An older version held here, or kept on disk: brought up to date
        // with only what changed since.
        if let Some(table) = self.catch_up(store, data_set_id, version, began).await? {
            return Ok(table);
        }
        let mut table = Table::default();
        let loaded = records::for_each(store, data_set_id, |record| table.push(&record)).await?;
        table.shrink_to_fit();
        let table = Arc::new(table);
        crate::metrics::table_loaded(
            data_set_id,
            loaded,
            table.len(),
            began.elapsed(),
            "database",
        );
        self.keep(data_set_id, &table, None, loaded, "database");
        // Slow to load again: kept for the next start, in the background.
        let cache = self.clone();
        tokio::spawn(async move { cache.save(data_set_id).await });
        Ok(table)
    }

    /// Holds `table` (with its row index, if made) as the data set's records
    /// at `version`, unless a write through this instance has moved it on
    /// meanwhile.
    fn keep(
        &self,
        data_set_id: i64,
        table: &Arc<Table>,
        rows: Option<FxHashMap<u64, u32>>,
        version: i64,
        source: &'static str,
    ) {
        let mut entries = self.entries.write().expect("cache lock");
        let entry = entries.entry(data_set_id).or_default();
        if entry.table.is_none() || entry.version <= version {
            entry.table = Some(table.clone());
            entry.rows = rows;
            entry.version = version;
            entry.source = source;
        }
    }

    /// How the data set's table held was read in: `database`, `snapshot`,
    /// `memory_and_changes` or `snapshot_and_changes`.
    #[cfg(test)]
    fn source(&self, data_set_id: i64) -> &'static str {
        let entries = self.entries.read().expect("cache lock");
        entries.get(&data_set_id).map_or("", |e| e.source)
    }

    /// The data set's table at `version` or after, made from the table held
    /// at an older version (changed through another instance since), else
    /// from the one kept on disk (at an older version after a crash), and
    /// the records changed since ([`records::changes_since`]); `None` when
    /// neither is there, or so much changed that a whole load is faster.
    /// Called with the data set's `loading` held, so no write through this
    /// instance changes the entry meanwhile.
    async fn catch_up(
        &self,
        store: &Store,
        data_set_id: i64,
        version: i64,
        began: std::time::Instant,
    ) -> Result<Option<Arc<Table>>> {
        let held = {
            let mut entries = self.entries.write().expect("cache lock");
            let entry = entries.entry(data_set_id).or_default();
            match &entry.table {
                // (version 0: a data set that had gone)
                Some(table) if entry.version > 0 => {
                    Some((table.clone(), entry.rows.take(), entry.version))
                }
                _ => None,
            }
        };
        let (mut table, mut rows, at, source) = match held {
            Some((table, rows, at)) => (table, rows, at, "memory_and_changes"),
            None => match self.kept(data_set_id, version).await {
                Some((table, at)) => (Arc::new(table), None, at, "snapshot_and_changes"),
                None => return Ok(None),
            },
        };
        let from_disk = source.starts_with("snapshot");
        if from_disk {
            let mut entries = self.entries.write().expect("cache lock");
            let entry = entries.entry(data_set_id).or_default();
            entry.saved = Some(entry.saved.map_or(at, |s| s.max(at)));
        }
        let mut now = at;
        if at < version {
            // Beyond a quarter of the table, a whole load is about as fast.
            let most = (table.len() / 4).max(10_000);
            let Some(changes) = records::changes_since(store, data_set_id, at, most).await? else {
                return Ok(None);
            };
            if changes.version < at {
                // Gone (or another data set with its id): loaded whole.
                return Ok(None);
            }
            now = changes.version;
            let made = tokio::task::spawn_blocking(move || {
                // Copies only the chunks the changes touch (see `chunked`).
                let made = catch_up(Arc::make_mut(&mut table), &mut rows, &changes);
                made.then_some((table, rows))
            })
            .await
            .map_err(|e| crate::error::Error::Internal(anyhow::anyhow!(e)))?;
            let Some(made) = made else {
                return Ok(None);
            };
            (table, rows) = made;
        }
        let source = if now == at && from_disk {
            "snapshot"
        } else {
            source
        };
        crate::metrics::table_loaded(data_set_id, now, table.len(), began.elapsed(), source);
        self.keep(data_set_id, &table, rows, now, source);
        Ok(Some(table))
    }

    /// The span of the data set's records at `version` (the version in its
    /// row just read): read from the database once per version.
    pub async fn span(
        &self,
        store: &Store,
        data_set_id: i64,
        version: i64,
    ) -> Result<records::Span> {
        Ok(once_a_version(&self.spans, data_set_id, version, || {
            records::span(store, data_set_id)
        })
        .await?)
    }

    /// The data set's newest record at `version` (the version in its row
    /// just read): read from the database once per version.
    pub async fn latest(
        &self,
        store: &Store,
        data_set_id: i64,
        version: i64,
    ) -> Result<Option<records::StoredRecord>> {
        Ok(once_a_version(&self.latest, data_set_id, version, || {
            records::latest(store, data_set_id)
        })
        .await?)
    }

    /// How often the records of data set `data_set_id` (of `data_type`, at
    /// `version`) come: the catalogue's frequency of its type, else what its
    /// records' times show ([`crate::domain::kpis::frequency`], as [`Whole`]
    /// has it), worked out once a version from its distinct times alone, so
    /// that what only asks this (`/_status/data-sets`, the late-data
    /// reminders) loads no table into memory.
    pub async fn frequency(
        &self,
        store: &Store,
        data_set_id: i64,
        version: i64,
        data_type: &str,
    ) -> Result<Option<app::model::PeriodKind>> {
        if let Some(kind) = app::catalogue::frequency(data_type) {
            return Ok(Some(kind));
        }
        let whole = self
            .wholes
            .lock()
            .expect("wholes")
            .get(&data_set_id)
            .cloned();
        if let Some((_, whole)) = whole.filter(|(at, _)| *at == version) {
            return Ok(whole.frequency);
        }
        let kept = self
            .frequencies
            .lock()
            .expect("frequencies")
            .get(&data_set_id)
            .copied();
        if let Some((_, kind)) = kept.filter(|(at, _)| *at == version) {
            return Ok(kind);
        }
        let times = records::distinct_times(store, data_set_id).await?;
        let kind = app::kpi::frequency_of(&times);
        self.frequencies
            .lock()
            .expect("frequencies")
            .insert(data_set_id, (version, kind));
        Ok(kind)
    }

    /// What is whole of data set `data_set_id` (of `data_type`, at
    /// `version`): its newest record whose period has all its parts, and its
    /// parts' gaps ([`Whole`]), worked out once a version.
    pub async fn whole(
        &self,
        store: &Store,
        data_set_id: i64,
        version: i64,
        data_type: &str,
    ) -> Result<Whole> {
        let kept = self
            .wholes
            .lock()
            .expect("wholes")
            .get(&data_set_id)
            .cloned();
        if let Some((_, whole)) = kept.filter(|(at, _)| *at == version) {
            return Ok(whole);
        }
        let table = self.table(store, data_set_id, version).await?;
        let whole = Whole {
            newest: crate::domain::kpis::newest_whole(&table, data_type),
            gaps: Arc::new(crate::domain::kpis::part_gaps(&table, data_type)),
            frequency: crate::domain::kpis::frequency(&table, data_type),
        };
        self.wholes
            .lock()
            .expect("wholes")
            .insert(data_set_id, (version, whole.clone()));
        Ok(whole)
    }

    /// Keeps at most `bytes` of read answers (0: none).
    pub fn with_answer_room(mut self, bytes: usize) -> Cache {
        self.answers = answers::Answers::with_room(bytes);
        self
    }

    /// Keeps large tables on disk in `snapshots` between runs.
    pub fn with_snapshots(mut self, snapshots: snapshot::Snapshots) -> Cache {
        self.snapshots = Some(Arc::new(snapshots));
        self
    }

    /// The data set's table kept on disk at `version` or before, with the
    /// version it holds.
    async fn kept(&self, data_set_id: i64, version: i64) -> Option<(Table, i64)> {
        let snapshots = self.snapshots.clone()?;
        tokio::task::spawn_blocking(move || snapshots.load(data_set_id, version))
            .await
            .ok()
            .flatten()
    }

    /// Writes a snapshot of the data set's table, if large enough and not
    /// kept already at its version; false if it could not be written.
    async fn save(&self, data_set_id: i64) -> bool {
        let Some(snapshots) = self.snapshots.clone() else {
            return true;
        };
        let _one_at_a_time = self.saving.lock().await;
        let (table, version) = {
            let entries = self.entries.read().expect("cache lock");
            let Some(entry) = entries.get(&data_set_id) else {
                return true;
            };
            match &entry.table {
                Some(table)
                    if table.len() >= snapshots.min_rows && entry.saved != Some(entry.version) =>
                {
                    (table.clone(), entry.version)
                }
                _ => return true,
            }
        };
        let began = std::time::Instant::now();
        let rows = table.len();
        let written =
            tokio::task::spawn_blocking(move || snapshots.save(data_set_id, version, &table))
                .await
                .map_err(std::io::Error::other)
                .and_then(|written| written);
        match written {
            Ok(()) => {
                tracing::debug!(
                    "kept data set {data_set_id} ({rows} rows, version {version}) on disk in {:?}",
                    began.elapsed()
                );
                let mut entries = self.entries.write().expect("cache lock");
                if let Some(entry) = entries.get_mut(&data_set_id) {
                    entry.saved = Some(entry.saved.map_or(version, |s| s.max(version)));
                }
                true
            }
            Err(e) => {
                tracing::warn!("could not keep data set {data_set_id} on disk: {e}");
                false
            }
        }
    }

    /// Writes a snapshot of every large table changed through this instance
    /// since its last one, once no write has changed it for `quiet` (while
    /// records keep coming, a snapshot would be old at once); on shutdown,
    /// with no wait.
    pub async fn save_changed(&self, quiet: std::time::Duration) {
        if self.snapshots.is_none() {
            return;
        }
        let due: Vec<i64> = {
            let entries = self.entries.read().expect("cache lock");
            entries
                .iter()
                .filter(|(_, e)| {
                    e.table.is_some()
                        && e.saved != Some(e.version)
                        && e.changed.is_none_or(|at| at.elapsed() >= quiet)
                })
                .map(|(&id, _)| id)
                .collect()
        };
        for data_set_id in due {
            if !self.save(data_set_id).await {
                // The disk is full or not writable: tried again next time.
                return;
            }
        }
    }

    /// Forgets a data set that is gone, and its snapshot.
    pub fn forget(&self, data_set_id: i64) {
        self.entries
            .write()
            .expect("cache lock")
            .remove(&data_set_id);
        if let Some(snapshots) = &self.snapshots {
            snapshots.remove(data_set_id);
        }
    }

    /// Held by a write through this instance from before it begins (so
    /// before it takes a connection: a reader loading the table never waits
    /// for a connection a writer holds) until it has changed the table
    /// ([`Cache::apply`]): a reader that meets the new version in the
    /// database meanwhile waits for that change instead of loading the whole
    /// table again.
    pub async fn hold(&self, data_set_id: i64) -> tokio::sync::OwnedMutexGuard<()> {
        let loading = {
            let mut entries = self.entries.write().expect("cache lock");
            entries.entry(data_set_id).or_default().loading.clone()
        };
        loading.lock_owned().await
    }

    /// Forgets a data set's table after a write; the next read reloads it.
    pub fn invalidate(&self, data_set_id: i64) {
        let mut entries = self.entries.write().expect("cache lock");
        if let Some(entry) = entries.get_mut(&data_set_id) {
            entry.table = None;
            entry.rows = None;
        }
    }

    /// After a write through this instance that made `change` to the data
    /// set's records at `updated_at` and moved it to `version`: changes the
    /// held table the same way when it holds exactly the version before;
    /// otherwise (another change came between, through another instance)
    /// leaves it at its version, for the next read to bring up to date with
    /// what changed since ([`Cache::table`]). A change that cannot be made
    /// exactly drops the table, to be loaded again.
    pub fn apply(
        &self,
        data_set_id: i64,
        change: Change<'_>,
        updated_at: DateTime<Utc>,
        version: i64,
    ) {
        let (mut table, mut rows) = {
            let mut entries = self.entries.write().expect("cache lock");
            let Some(entry) = entries.get_mut(&data_set_id) else {
                return;
            };
            entry.changed = Some(std::time::Instant::now());
            if entry.version != version - 1 {
                return;
            }
            let Some(table) = entry.table.as_mut() else {
                return;
            };
            if Arc::strong_count(table) == 1 {
                // No reader holds it (a reader takes it under this lock):
                // changed in place, at once.
                let applied = change.apply(Arc::make_mut(table), &mut entry.rows, updated_at);
                Self::applied(entry, data_set_id, version, applied);
                return;
            }
            (table.clone(), entry.rows.take())
        };
        // A reader holds it: the chunks the change touches are copied (see
        // `chunked`) without holding the lock, which every reader of every
        // data set takes.
        let applied = change.apply(Arc::make_mut(&mut table), &mut rows, updated_at);
        let mut entries = self.entries.write().expect("cache lock");
        let Some(entry) = entries.get_mut(&data_set_id) else {
            return;
        };
        // Unless another change came meanwhile (the next read catches up).
        if entry.version == version - 1 {
            entry.table = Some(table);
            entry.rows = rows;
            Self::applied(entry, data_set_id, version, applied);
        }
    }

    /// Records a change made to the entry's table (else drops the table, to
    /// be loaded again).
    fn applied(entry: &mut Entry, data_set_id: i64, version: i64, applied: bool) {
        if applied {
            entry.version = version;
            let held = entry.table.as_ref().map_or(0, |t| t.len());
            crate::metrics::table_held(data_set_id, version, held);
        } else {
            entry.table = None;
            entry.rows = None;
        }
    }
}

/// A change made to a data set's records, as the cached table takes it.
pub enum Change<'a> {
    /// New records only (none had its id before).
    Append(&'a [Record]),
    /// Records stored (each new, or in place of the record with its id; the
    /// last of several with one id wins).
    Upsert(&'a [Record]),
    /// The record with this id, deleted.
    Delete(&'a str),
    /// The record with id `from`, stored as `to` (another id).
    Move { from: &'a str, to: &'a Record },
    /// Every record, deleted.
    Empty,
}

/// A record's id as the row index keys it.
fn id_hash(id: &str) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut hasher = rustc_hash::FxHasher::default();
    id.hash(&mut hasher);
    hasher.finish()
}

/// Each record's row, by [`id_hash`]; `None` if two ids share a hash.
fn index_rows(table: &Table) -> Option<FxHashMap<u64, u32>> {
    let mut rows = FxHashMap::default();
    rows.reserve(table.len());
    for (row, id) in table.ids.iter().enumerate() {
        if rows.insert(id_hash(id), row as u32).is_some() {
            return None;
        }
    }
    Some(rows)
}

impl Change<'_> {
    /// Makes the change to `table`, keeping `rows` (when made) in step;
    /// false when it cannot be made exactly (the table must then be loaded
    /// again).
    fn apply(
        &self,
        table: &mut Table,
        rows: &mut Option<FxHashMap<u64, u32>>,
        updated_at: DateTime<Utc>,
    ) -> bool {
        let stored = |record: &Record| StoredRecord {
            id: record.id.clone(),
            timestamp: record.timestamp,
            updated_at,
            fields: record.fields.clone(),
        };
        if let Change::Empty = self {
            *table = Table::default();
            *rows = Some(FxHashMap::default());
            return true;
        }
        // New ids are never looked for: appending needs no index (but keeps
        // one that is made).
        if rows.is_none() && !matches!(self, Change::Append(_)) {
            *rows = index_rows(table);
            if rows.is_none() {
                return false;
            }
        }
        match self {
            Change::Append(records) | Change::Upsert(records) => {
                records.iter().all(|r| upsert(table, rows, &stored(r)))
            }
            Change::Delete(id) => remove(table, rows, id),
            Change::Move { from, to } => {
                remove(table, rows, from) && upsert(table, rows, &stored(to))
            }
            Change::Empty => true,
        }
    }
}

/// The row of the record `id`, if held (`rows` must be made).
fn row_of(table: &Table, rows: &FxHashMap<u64, u32>, id: &str) -> Option<usize> {
    let row = *rows.get(&id_hash(id))? as usize;
    (table.ids[row] == id).then_some(row)
}

/// Stores `record` in `table`: in place of the record with its id, or new.
/// Without an index (only made when needed), it is new.
fn upsert(
    table: &mut Table,
    rows: &mut Option<FxHashMap<u64, u32>>,
    record: &StoredRecord,
) -> bool {
    let Some(rows) = rows else {
        table.push(record);
        return true;
    };
    let hash = id_hash(&record.id);
    match rows.get(&hash) {
        Some(&row) if table.ids[row as usize] == record.id => table.replace(row as usize, record),
        // Another id with the same hash: cannot be told apart here.
        Some(_) => return false,
        None => {
            rows.insert(hash, table.len() as u32);
            table.push(record);
        }
    }
    true
}

/// Removes the record `id` from `table` (the last row moves into its place).
fn remove(table: &mut Table, rows: &mut Option<FxHashMap<u64, u32>>, id: &str) -> bool {
    let Some(index) = rows else { return false };
    let Some(row) = row_of(table, index, id) else {
        return false;
    };
    let last = table.len() - 1;
    index.remove(&id_hash(id));
    table.swap_remove(row);
    if row != last {
        index.insert(id_hash(&table.ids[row]), row as u32);
    }
    true
}

/// Makes `changes` (what changed since the version `table` holds) to
/// `table`, keeping `rows` (if made) in step: removals first, then the
/// records stored, so a record removed and stored again is there. False
/// when they cannot be made exactly (two ids share a hash).
fn catch_up(
    table: &mut Table,
    rows: &mut Option<FxHashMap<u64, u32>>,
    changes: &records::Changes,
) -> bool {
    if changes.emptied {
        // Everything held went; whatever is there now was stored since.
        *table = Table::default();
        *rows = Some(FxHashMap::default());
    } else if changes.removed.is_empty() && changes.stored.is_empty() {
        return true;
    } else if rows.is_none() {
        // A table just read from disk has no index: one pass finds the rows
        // of the few ids concerned, far cheaper than indexing every row (the
        // first write through this instance makes the index, as it would).
        catch_up_by_scan(table, changes);
        return true;
    } else {
        for id in &changes.removed {
            // False when not held (stored and removed since): nothing to do.
            remove(table, rows, id);
        }
    }
    changes
        .stored
        .iter()
        .all(|record| upsert(table, rows, record))
}

/// [`catch_up`] for a table without an index, by one pass over its ids.
fn catch_up_by_scan(table: &mut Table, changes: &records::Changes) {
    let wanted: rustc_hash::FxHashSet<&str> = changes
        .removed
        .iter()
        .map(String::as_str)
        .chain(changes.stored.iter().map(|r| r.id.as_str()))
        .collect();
    // Each id concerned that is held, and its row (ids are held once each).
    let mut found: FxHashMap<String, usize> = FxHashMap::default();
    for (row, id) in table.ids.iter().enumerate() {
        if wanted.contains(id.as_str()) {
            found.insert(id.clone(), row);
        }
    }
    for id in &changes.removed {
        let Some(row) = found.remove(id.as_str()) else {
            continue;
        };
        // The last row moves into its place.
        let last = table.len() - 1;
        table.swap_remove(row);
        if row != last {
            if let Some(moved) = found.get_mut(table.ids[row].as_str()) {
                *moved = row;
            }
        }
    }
    for record in &changes.stored {
        match found.get(record.id.as_str()) {
            Some(&row) => table.replace(row, record),
            None => {
                found.insert(record.id.clone(), table.len());
                table.push(record);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn record(id: &str) -> Record {
        Record {
            id: id.into(),
            timestamp: Utc::now(),
            fields: json!({"count": 1}).as_object().unwrap().clone(),
        }
    }

    /// The (id, count) of every row of a table, sorted.
    fn rows(table: &Table) -> Vec<(String, i64)> {
        let count = table.column("count");
        let mut out: Vec<(String, i64)> = (0..table.len())
            .map(|row| {
                let n = match count.map(|c| c[row]) {
                    Some(table::Cell::Int(n)) => n,
                    _ => -1,
                };
                (table.ids[row].clone(), n)
            })
            .collect();
        out.sort();
        out
    }

    fn counted(id: &str, count: i64) -> Record {
        Record {
            id: id.into(),
            timestamp: Utc::now(),
            fields: json!({ "count": count }).as_object().unwrap().clone(),
        }
    }

    async fn empty_store() -> (Store, tempfile::TempDir) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::connect(&format!("sqlite://{}", dir.path().join("c.db").display()))
            .await
            .unwrap();
        store.migrate().await.unwrap();
        (store, dir)
    }

    #[tokio::test]
    async fn tables_follow_the_data_sets_version() {
        let (store, _dir) = empty_store().await;
        let cache = Cache::default();
        // Nothing held: a change does nothing.
        cache.apply(7, Change::Append(&[record("a1")]), Utc::now(), 1);
        let empty = cache.table(&store, 7, 0).await.unwrap();
        assert_eq!(empty.len(), 0);
        // A write from here right after the version held: made in memory
        // (the store has none of these records, so a reload would show none).
        cache.apply(
            7,
            Change::Append(&[record("a2"), record("a3")]),
            Utc::now(),
            1,
        );
        assert_eq!(cache.table(&store, 7, 1).await.unwrap().len(), 2);
        assert_eq!(
            empty.len(),
            0,
            "a reader's version is never changed under it"
        );
        // An older version asked for is served from memory too.
        assert_eq!(cache.table(&store, 7, 0).await.unwrap().len(), 2);
        // A newer version (a write through another instance): loaded again.
        assert_eq!(cache.table(&store, 7, 2).await.unwrap().len(), 0);
        // A change that skips a version is not made: the table stays at its
        // version, for the next read to bring up to date (here the data set
        // has gone, so that read loads it whole).
        cache.apply(7, Change::Append(&[record("a4")]), Utc::now(), 9);
        assert_eq!(cache.table(&store, 7, 1).await.unwrap().len(), 2);
        assert_eq!(cache.table(&store, 7, 9).await.unwrap().len(), 0);
        assert_eq!(cache.source(7), "database");
    }

    #[test]
    fn catching_up_without_an_index_matches_catching_up_with_one() {
        let stored = |id: &str, count: i64| StoredRecord {
            id: id.into(),
            timestamp: Utc::now(),
            updated_at: Utc::now(),
            fields: json!({ "count": count }).as_object().unwrap().clone(),
        };
        let held: Vec<StoredRecord> = (0..1000).map(|i| stored(&format!("r{i}"), i)).collect();
        let table = Table::from_records(&held);
        // Removed: the last row (so a tracked row moves), one stored again,
        // one never held; stored: replaced, new, and one moved by a removal.
        let changes = records::Changes {
            version: 2,
            emptied: false,
            removed: ["r999", "r0", "r5", "gone"].map(String::from).to_vec(),
            stored: vec![
                stored("r0", -1),
                stored("r998", -2),
                stored("new", 7),
                stored("r3", -3),
            ],
        };
        let mut scanned = table.clone();
        let mut no_index = None;
        assert!(catch_up(&mut scanned, &mut no_index, &changes));
        assert!(no_index.is_none(), "no index is made");
        let mut indexed = table.clone();
        let mut index = index_rows(&indexed);
        assert!(catch_up(&mut indexed, &mut index, &changes));
        assert_eq!(rows(&scanned), rows(&indexed));
        let got = rows(&scanned);
        assert_eq!(got.len(), 1000 - 3 + 2, "r0 stored again, and one new");
        for row in [("r0", -1), ("r998", -2), ("new", 7), ("r3", -3), ("r1", 1)] {
            assert!(got.contains(&(row.0.to_string(), row.1)), "{row:?}");
        }
        assert!(!got.iter().any(|(id, _)| id == "r999" || id == "r5"));
    }

    /// A data set in `store` holding `records`; answers its id and version.
    async fn data_set_with(store: &Store, records: &[Record]) -> (i64, i64) {
        use crate::store::{audit::Note, data_sets};
        let now = Utc::now();
        let mut w = store.write().await.unwrap();
        let settings = data_sets::DataSetSettings::default();
        let data_set = data_sets::create(&mut w, "g", "t", None, &settings, now)
            .await
            .unwrap();
        let written = records::upsert_batch(&mut w, data_set.id, records, true, "test", now)
            .await
            .unwrap();
        w.commit(Note::cli("test", "g/t", now)).await.unwrap();
        (data_set.id, written.version)
    }

    /// Writes through the store alone (as another instance would, unseen by
    /// any cache here); answers the data set's version after.
    async fn elsewhere(store: &Store, id: i64, change: Change<'_>) -> i64 {
        use crate::store::audit::Note;
        let now = Utc::now();
        let old = match change {
            Change::Move { from, .. } => records::find(store, id, from).await.unwrap(),
            _ => None,
        };
        let mut w = store.write().await.unwrap();
        let version = match change {
            Change::Append(batch) | Change::Upsert(batch) => {
                records::upsert_batch(&mut w, id, batch, true, "test", now)
                    .await
                    .unwrap()
                    .version
            }
            Change::Delete(record) => records::delete(&mut w, id, record, "test", now)
                .await
                .unwrap()
                .expect("held"),
            Change::Move { to, .. } => {
                let old = old.expect("held");
                match records::move_to(&mut w, id, &old, to, "test", now)
                    .await
                    .unwrap()
                {
                    records::Moved::Done(version) => version,
                    other => panic!("not moved: {other:?}"),
                }
            }
            Change::Empty => records::empty(&mut w, id, "test", now).await.unwrap().1,
        };
        w.commit(Note::cli("test", "g/t", now)).await.unwrap();
        version
    }

    #[tokio::test]
    async fn tables_are_brought_up_to_date_with_what_changed_elsewhere() {
        let (store, dir) = empty_store().await;
        let many: Vec<Record> = (0..30_000).map(|i| counted(&format!("r{i}"), i)).collect();
        let (id, mut version) = data_set_with(&store, &many).await;
        let snapshots = || snapshot::Snapshots::new(&dir.path().join("tables"), 0).unwrap();
        let cache = Cache::default().with_snapshots(snapshots());
        assert_eq!(
            cache.table(&store, id, version).await.unwrap().len(),
            30_000
        );
        assert_eq!(cache.source(id), "database");
        assert!(cache.save(id).await);
        let kept = version;
        // Each kind of change, made elsewhere, then read here: the table held
        // is brought up to date, and matches the records as loaded whole.
        let moved = counted("r4-moved", 44);
        let changes = [
            Change::Append(&[counted("n1", 1), counted("n2", 2)][..]),
            Change::Upsert(&[counted("r1", 100), counted("n3", 3), counted("r1", 1000)][..]),
            Change::Delete("r2"),
            Change::Move {
                from: "r4",
                to: &moved,
            },
            // Stored again after its delete.
            Change::Upsert(&[counted("r2", 22)][..]),
        ];
        for change in changes {
            version = elsewhere(&store, id, change).await;
            let held = cache.table(&store, id, version).await.unwrap();
            let whole = Cache::default().table(&store, id, version).await.unwrap();
            assert_eq!(rows(&held), rows(&whole));
            assert_eq!(cache.source(id), "memory_and_changes");
        }
        let got = rows(&cache.table(&store, id, version).await.unwrap());
        assert_eq!(got.len(), 30_003);
        for row in [("r1", 1000), ("r2", 22), ("r4-moved", 44), ("n3", 3)] {
            assert!(got.contains(&(row.0.to_string(), row.1)), "{row:?}");
        }
        assert!(!got.iter().any(|(id, _)| id == "r4"));
        // Several changes at once, read after a restart: the snapshot kept at
        // an older version, brought up to date.
        elsewhere(&store, id, Change::Delete("r9")).await;
        version = elsewhere(&store, id, Change::Upsert(&[counted("r9", 9)][..])).await;
        let restarted = Cache::default().with_snapshots(snapshots());
        let held = restarted.table(&store, id, version).await.unwrap();
        assert_eq!(restarted.source(id), "snapshot_and_changes");
        assert_eq!(rows(&held), got);
        assert!(kept < version);
        // Emptied, then one stored: caught up too.
        elsewhere(&store, id, Change::Empty).await;
        version = elsewhere(&store, id, Change::Append(&[counted("after", 1)][..])).await;
        let held = cache.table(&store, id, version).await.unwrap();
        assert_eq!(rows(&held), vec![("after".to_string(), 1)]);
        assert_eq!(cache.source(id), "memory_and_changes");
        // Too much changed (more than a quarter, and over the floor): loaded
        // whole.
        let batch: Vec<Record> = (0..10_001).map(|i| counted(&format!("b{i}"), i)).collect();
        version = elsewhere(&store, id, Change::Append(&batch)).await;
        assert_eq!(
            cache.table(&store, id, version).await.unwrap().len(),
            10_002
        );
        assert_eq!(cache.source(id), "database");
    }

    #[tokio::test]
    async fn replaces_patches_moves_and_deletes_are_made_in_place() {
        let (store, _dir) = empty_store().await;
        let cache = Cache::default();
        cache.table(&store, 3, 0).await.unwrap();
        let many: Vec<Record> = (0..40_000).map(|i| counted(&format!("r{i}"), i)).collect();
        cache.apply(3, Change::Append(&many), Utc::now(), 1);
        let before = cache.table(&store, 3, 1).await.unwrap();
        // Replaced (one of them twice in the batch: the last wins), and one new.
        cache.apply(
            3,
            Change::Upsert(&[
                counted("r5", 500),
                counted("r39999", 1),
                counted("r5", 5000),
                counted("new", 7),
            ]),
            Utc::now(),
            2,
        );
        let after = cache.table(&store, 3, 2).await.unwrap();
        assert_eq!(after.len(), 40_001);
        let got = rows(&after);
        assert!(got.contains(&("r5".into(), 5000)) && got.contains(&("r39999".into(), 1)));
        assert!(got.contains(&("new".into(), 7)));
        // The reader of the version before still sees it whole.
        assert_eq!(before.len(), 40_000);
        assert!(rows(&before).contains(&("r5".into(), 5)));
        // Deleted: the last row takes its place; then moved to another id.
        cache.apply(3, Change::Delete("r7"), Utc::now(), 3);
        let to = counted("r8-moved", 88);
        cache.apply(
            3,
            Change::Move {
                from: "r8",
                to: &to,
            },
            Utc::now(),
            4,
        );
        let now = cache.table(&store, 3, 4).await.unwrap();
        let got = rows(&now);
        assert_eq!(now.len(), 40_000);
        assert!(!got.iter().any(|(id, _)| id == "r7" || id == "r8"));
        assert!(got.contains(&("r8-moved".into(), 88)) && got.contains(&("new".into(), 7)));
        // Each id once, each row where the index says.
        let mut ids: Vec<&String> = now.ids.iter().collect();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), now.len());
        // A delete of a record not held: the table cannot be trusted, so it
        // is loaded again (the store holds none).
        cache.apply(3, Change::Delete("nowhere"), Utc::now(), 5);
        assert_eq!(cache.table(&store, 3, 0).await.unwrap().len(), 0);
        // Emptied in place.
        cache.apply(3, Change::Append(&many[..3]), Utc::now(), 1);
        assert_eq!(cache.table(&store, 3, 1).await.unwrap().len(), 3);
        cache.apply(3, Change::Empty, Utc::now(), 2);
        assert!(cache.table(&store, 3, 2).await.unwrap().is_empty());
    }
}
