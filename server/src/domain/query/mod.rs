//! The data query engine, a pipeline of pure stages:
//! query string -> [`params::Query`] (parse and validate) -> plan and one pass over
//! an in-memory [`table::Table`] -> shaped rows ([`execute`]).
//!
//! Storage stays behind a narrow interface: the engine sees a data set as a
//! table built from its records, whichever database they came from. Tables are
//! cached per data set with the version of the records they hold; a write
//! appends to the cached table when it only added records, and drops it
//! otherwise (the next read reloads it); a read whose data set row shows a
//! newer version (a write through another instance) reloads it too.

pub mod execute;
pub mod params;
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
    /// The data set's version that `table` holds exactly (see
    /// `store::data_sets::bump_version`).
    version: i64,
    /// Held while the table loads: readers that also find it missing or old
    /// wait for that one load instead of making their own.
    loading: Arc<tokio::sync::Mutex<()>>,
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
}

impl Cache {
    /// The table held for the data set, if it is at least as new as `version`.
    fn held(&self, data_set_id: i64, version: i64) -> Option<Arc<Table>> {
        let entries = self.entries.read().expect("cache lock");
        let entry = entries.get(&data_set_id)?;
        entry.table.clone().filter(|_| entry.version >= version)
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
        let mut table = Table::default();
        let loaded = records::for_each(store, data_set_id, |record| table.push(&record)).await?;
        table.shrink_to_fit();
        crate::metrics::table_loaded(data_set_id, loaded, table.len(), began.elapsed());
        let table = Arc::new(table);
        let mut entries = self.entries.write().expect("cache lock");
        let entry = entries.entry(data_set_id).or_default();
        // A write through this instance may have moved it on meanwhile.
        if entry.table.is_none() || entry.version <= loaded {
            entry.table = Some(table.clone());
            entry.version = loaded;
        }
        Ok(table)
    }

    /// Forgets a data set's table after a write; the next read reloads it.
    pub fn invalidate(&self, data_set_id: i64) {
        let mut entries = self.entries.write().expect("cache lock");
        if let Some(entry) = entries.get_mut(&data_set_id) {
            entry.table = None;
        }
    }

    /// After a write that only added `added` (every one new) and moved the
    /// data set to `version`, appends them to the held table when it holds
    /// exactly the version before; otherwise (another change came between,
    /// from here or another instance) drops it, to be loaded again.
    pub fn append(
        &self,
        data_set_id: i64,
        added: &[Record],
        updated_at: DateTime<Utc>,
        version: i64,
    ) {
        let mut entries = self.entries.write().expect("cache lock");
        let Some(entry) = entries.get_mut(&data_set_id) else {
            return;
        };
        let Some(table) = entry
            .table
            .as_mut()
            .filter(|_| entry.version == version - 1)
        else {
            entry.table = None;
            return;
        };
        // Copies the table only if a reader still holds this version.
        let table = Arc::make_mut(table);
        for record in added {
            table.push(&StoredRecord {
                id: record.id.clone(),
                timestamp: record.timestamp,
                updated_at,
                fields: record.fields.clone(),
            });
        }
        entry.version = version;
        crate::metrics::table_held(data_set_id, version, table.len());
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

    #[tokio::test]
    async fn tables_follow_the_data_sets_version() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::connect(&format!("sqlite://{}", dir.path().join("c.db").display()))
            .await
            .unwrap();
        store.migrate().await.unwrap();
        let cache = Cache::default();
        // Nothing held: an append does nothing.
        cache.append(7, &[record("a1")], Utc::now(), 1);
        let empty = cache.table(&store, 7, 0).await.unwrap();
        assert_eq!(empty.len(), 0);
        // A write from here that only added records, right after the version
        // held: appended in place (the store has none of them, so a reload
        // would show none).
        cache.append(7, &[record("a2"), record("a3")], Utc::now(), 1);
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
        // An append that skips a version is not applied: the table is dropped.
        cache.append(7, &[record("a4")], Utc::now(), 9);
        assert_eq!(cache.table(&store, 7, 0).await.unwrap().len(), 0);
    }
}
