//! The data query engine, a pipeline of pure stages:
//! query string -> [`params::Query`] (parse and validate) -> plan and one pass over
//! an in-memory [`table::Table`] -> shaped rows ([`execute`]).
//!
//! Storage stays behind a narrow interface: the engine sees a data set as a
//! table built from its records, whichever database they came from. Tables are
//! cached per data set and dropped whenever the data set is written to.

pub mod execute;
pub mod params;
pub mod table;

use std::sync::{Arc, RwLock};

use rustc_hash::FxHashMap;

use crate::error::Result;
use crate::store::{records, Store};
use table::Table;

/// Data sets held in memory, by id.
#[derive(Clone, Debug, Default)]
pub struct Cache {
    tables: Arc<RwLock<FxHashMap<i64, Arc<Table>>>>,
}

impl Cache {
    /// The data set's table, loaded from the store if it is not held yet.
    pub async fn table(&self, store: &Store, data_set_id: i64) -> Result<Arc<Table>> {
        if let Some(table) = self.tables.read().expect("cache lock").get(&data_set_id) {
            return Ok(table.clone());
        }
        let mut table = Table::default();
        records::for_each(store, data_set_id, |record| table.push(&record)).await?;
        table.shrink_to_fit();
        let table = Arc::new(table);
        self.tables
            .write()
            .expect("cache lock")
            .insert(data_set_id, table.clone());
        Ok(table)
    }

    /// Forgets a data set's table after a write; the next read reloads it.
    pub fn invalidate(&self, data_set_id: i64) {
        self.tables
            .write()
            .expect("cache lock")
            .remove(&data_set_id);
    }
}
