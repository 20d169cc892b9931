//! The catalogue (the data sets, the services and their organisations) as last
//! read, kept between requests for as long as the database says it still
//! holds (`catalogue_changes`, migrations `0018`): the explorer, boards and
//! every read that asks which data sets a caller may read otherwise read
//! thousands of rows per request. One row of three numbers is read instead,
//! so a change committed by any instance is seen by the next read of every
//! other.

use std::sync::{Arc, Mutex};

use super::{Result, Store};
use crate::on_pool;

/// Where the catalogue stands: how many changes were made to anything but the
/// data sets' versions, and the data sets' count and sum of versions (each
/// taken modulo [`MODULUS`]: versions start at a data set's creation in
/// microseconds, and thousands of them would overflow a sum). Versions only
/// move on, so with the same changes (the same data sets) the sum moves
/// whenever some data set's records changed, unless a billion changes were
/// made between two reads (each change moves it by one, modulo [`MODULUS`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Stamp {
    pub changes: i64,
    pub data_sets: i64,
    pub versions: i64,
}

/// What each version is taken modulo in [`Stamp::versions`] (a prime).
pub const MODULUS: i64 = 1_000_000_007;

/// Reads where the catalogue stands now.
pub async fn stamp(store: &Store) -> Result<Stamp> {
    let sql = format!(
        "SELECT (SELECT n FROM catalogue_changes WHERE id = 1), COUNT(*),
                CAST(COALESCE(SUM(version % {MODULUS}), 0) AS BIGINT)
         FROM data_sets"
    );
    let (changes, data_sets, versions): (i64, i64, i64) = on_pool!(store, |pool| sqlx::query_as(
        sqlx::AssertSqlSafe(sql.clone())
    )
    .fetch_one(pool)
    .await)?;
    Ok(Stamp {
        changes,
        data_sets,
        versions,
    })
}

/// One thing read of the catalogue, with the stamp (or part of it) it was
/// read at.
#[derive(Debug)]
pub struct Kept<K, T> {
    held: Mutex<Option<(K, Arc<T>)>>,
}

impl<K, T> Default for Kept<K, T> {
    fn default() -> Self {
        Kept {
            held: Mutex::new(None),
        }
    }
}

impl<K: PartialEq + Copy, T> Kept<K, T> {
    /// What was read at `at`, if that is what is kept; otherwise reads it
    /// with `read` and keeps it. (What is read may be newer than `at`, read
    /// first: it is then kept under an older stamp and read again next time,
    /// never the other way round.)
    pub async fn get_or_read<F>(&self, at: K, read: F) -> Result<Arc<T>>
    where
        F: std::future::Future<Output = Result<T>>,
    {
        if let Some((_, kept)) = self
            .held
            .lock()
            .expect("catalogue lock")
            .as_ref()
            .filter(|(k, _)| *k == at)
        {
            return Ok(kept.clone());
        }
        let read = Arc::new(read.await?);
        *self.held.lock().expect("catalogue lock") = Some((at, read.clone()));
        Ok(read)
    }
}

/// What each [`Store`] keeps of the catalogue.
#[derive(Debug, Default)]
pub struct Catalogue {
    /// Every data set without its schema, by name.
    pub data_sets: Kept<Stamp, Vec<super::data_sets::DataSet>>,
    /// Every service, by department and title (a data set's records do not
    /// change them: kept by the changes alone).
    pub services: Kept<i64, Vec<app::model::ServiceListing>>,
}
