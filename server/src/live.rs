//! Live modules' streams: which data sets someone is watching, and when their
//! records change, through this instance or any other on the same database.
//!
//! Each watched data set has one watcher per instance (however many people
//! watch it) that reads its version from the database every
//! [`Live::every`]: a write through another instance reaches this one's
//! watchers within that. A data set nobody watches any more is let go.
//! Streams are counted: past [`Live::new`]'s most, or past its address's
//! share of them, a stream is refused (and a page asks every few seconds
//! instead). Every stream ends when the server
//! shuts down, so a shutdown never waits for a page left open.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{watch, OwnedSemaphorePermit, Semaphore};

use crate::store::{data_sets, Store};

/// The watched data sets and the streams open on this instance.
#[derive(Clone)]
pub struct Live {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Live {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Live")
            .field("streams_free", &self.inner.streams.available_permits())
            .field("every", &self.inner.every)
            .finish()
    }
}

/// One address holds at most this fraction of the streams (a fiftieth), and
/// at least [`PER_ADDRESS_LEAST`]: four clients holding 250 streams each left
/// none for anyone else.
const PER_ADDRESS_SHARE: usize = 50;
const PER_ADDRESS_LEAST: usize = 4;

/// A stream's place, given back when it is dropped.
#[derive(Debug)]
pub struct Admitted {
    _stream: OwnedSemaphorePermit,
    _place: Option<crate::domain::caller::Place>,
}

struct Inner {
    store: Store,
    /// A data set's id, and the channel that carries its version.
    watched: Mutex<HashMap<i64, watch::Sender<i64>>>,
    streams: Arc<Semaphore>,
    /// Streams open by client address, and the most one address may hold.
    held: Arc<crate::domain::caller::Held>,
    per_address: usize,
    closing: watch::Sender<bool>,
    every: Duration,
}

impl Live {
    /// At most `streams` streams at once, each data set's version read every
    /// `every`.
    pub fn new(store: Store, streams: usize, every: Duration) -> Live {
        Live {
            inner: Arc::new(Inner {
                store,
                watched: Mutex::new(HashMap::new()),
                streams: Arc::new(Semaphore::new(streams)),
                held: Arc::default(),
                per_address: (streams / PER_ADDRESS_SHARE).max(PER_ADDRESS_LEAST),
                closing: watch::channel(false).0,
                every,
            }),
        }
    }

    /// How often a watched data set's version is read.
    pub fn every(&self) -> Duration {
        self.inner.every
    }

    /// A place for one more stream from `client`, unless as many as allowed
    /// are open, or its address holds its share of them (`Err` with that
    /// share).
    pub fn admit(&self, client: Option<std::net::IpAddr>) -> Result<Admitted, Option<usize>> {
        let most = self.inner.per_address;
        let place = match client {
            Some(address) => Some(self.inner.held.take(address, most).ok_or(Some(most))?),
            None => None,
        };
        let permit = self
            .inner
            .streams
            .clone()
            .try_acquire_owned()
            .map_err(|_| None)?;
        Ok(Admitted {
            _stream: permit,
            _place: place,
        })
    }

    /// Resolves when the server is shutting down (at once when it is).
    pub fn closing(&self) -> impl std::future::Future<Output = ()> + Send + 'static {
        let mut closing = self.inner.closing.subscribe();
        async move {
            let _ = closing.wait_for(|c| *c).await;
        }
    }

    /// Ends every stream (the server is shutting down).
    pub fn close(&self) {
        self.inner.closing.send_replace(true);
    }

    /// The versions of data set `id` from now on (`version` is the one just
    /// read), changed whenever its records change.
    pub fn watch(&self, id: i64, version: i64) -> watch::Receiver<i64> {
        let mut watched = self.inner.watched.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(sender) = watched.get(&id) {
            sender.send_if_modified(|v| newer(v, version));
            return sender.subscribe();
        }
        let (sender, receiver) = watch::channel(version);
        watched.insert(id, sender.clone());
        tokio::spawn(watcher(self.inner.clone(), id, sender));
        receiver
    }
}

/// Moves `current` on to `version` when that is newer.
fn newer(current: &mut i64, version: i64) -> bool {
    if version > *current {
        *current = version;
        true
    } else {
        false
    }
}

/// Reads data set `id`'s version every `every` until nobody watches it (or it
/// is gone, or the server shuts down).
async fn watcher(inner: Arc<Inner>, id: i64, sender: watch::Sender<i64>) {
    let mut closing = inner.closing.subscribe();
    loop {
        tokio::select! {
            _ = tokio::time::sleep(inner.every) => {}
            _ = closing.wait_for(|c| *c) => break,
        }
        {
            let mut watched = inner.watched.lock().unwrap_or_else(|e| e.into_inner());
            if sender.receiver_count() == 0 {
                watched.remove(&id);
                return;
            }
        }
        match data_sets::version_of(&inner.store, id).await {
            Ok(Some(version)) => {
                sender.send_if_modified(|v| newer(v, version));
            }
            // Gone: its streams end.
            Ok(None) => break,
            Err(e) => tracing::debug!("a live data set's version could not be read: {e}"),
        }
    }
    inner
        .watched
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .remove(&id);
}
