//! The data query engine, a pipeline of pure stages:
//! query string -> [`params::Query`] (parse and validate) -> plan and one pass over
//! an in-memory [`table::Table`] -> shaped rows ([`execute`]).
//!
//! Storage stays behind a narrow interface: the engine sees a data set as a
//! table built from its records, whichever database they came from. Tables are
//! cached per data set; a write appends to the cached table when it only added
//! records, and drops it otherwise (the next read reloads it).

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
    /// Counts the writes to the data set, so that a table loaded while a write
    /// was committing is not kept (it may lack that write).
    generation: u64,
}

/// Data sets held in memory, by id.
#[derive(Clone, Debug, Default)]
pub struct Cache {
    entries: Arc<RwLock<FxHashMap<i64, Entry>>>,
}

impl Cache {
    /// The data set's table, loaded from the store if it is not held yet.
    pub async fn table(&self, store: &Store, data_set_id: i64) -> Result<Arc<Table>> {
        let generation = {
            let entries = self.entries.read().expect("cache lock");
            match entries.get(&data_set_id) {
                Some(Entry {
                    table: Some(table), ..
                }) => return Ok(table.clone()),
                Some(entry) => entry.generation,
                None => 0,
            }
        };
        let mut table = Table::default();
        records::for_each(store, data_set_id, |record| table.push(&record)).await?;
        table.shrink_to_fit();
        let table = Arc::new(table);
        let mut entries = self.entries.write().expect("cache lock");
        let entry = entries.entry(data_set_id).or_default();
        if entry.generation == generation {
            entry.table = Some(table.clone());
        }
        Ok(table)
    }

    /// Forgets a data set's table after a write; the next read reloads it.
    pub fn invalidate(&self, data_set_id: i64) {
        let mut entries = self.entries.write().expect("cache lock");
        let entry = entries.entry(data_set_id).or_default();
        entry.generation += 1;
        entry.table = None;
    }

    /// After a write that only added `added` (every one new), appends them to
    /// the held table instead of dropping it.
    pub fn append(&self, data_set_id: i64, added: &[Record], updated_at: DateTime<Utc>) {
        let mut entries = self.entries.write().expect("cache lock");
        let entry = entries.entry(data_set_id).or_default();
        entry.generation += 1;
        if let Some(table) = entry.table.as_mut() {
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

    #[tokio::test]
    async fn writes_append_or_drop_and_stale_loads_are_not_kept() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::connect(&format!("sqlite://{}", dir.path().join("c.db").display()))
            .await
            .unwrap();
        store.migrate().await.unwrap();
        let cache = Cache::default();
        // Nothing held: an append only moves the generation on.
        cache.append(7, &[record("a1")], Utc::now());
        let empty = cache.table(&store, 7).await.unwrap();
        assert_eq!(empty.len(), 0);
        cache.append(7, &[record("a2"), record("a3")], Utc::now());
        assert_eq!(cache.table(&store, 7).await.unwrap().len(), 2);
        assert_eq!(
            empty.len(),
            0,
            "a reader's version is never changed under it"
        );
        cache.invalidate(7);
        assert_eq!(
            cache.table(&store, 7).await.unwrap().len(),
            0,
            "reloaded from the store"
        );
    }
}
