//! What every handler (and the extractors that resolve the caller) can reach:
//! the store, the tables held in memory, the rendering options and the trusted
//! proxies. Kept apart from the HTTP layer so that the rules it serves do not
//! import the router.

use axum::extract::FromRef;
use leptos::prelude::LeptosOptions;

use crate::domain::{caller::Caller, Ctx};
use crate::store::Store;

/// What every handler can reach.
#[derive(Clone, Debug)]
pub struct AppState {
    pub store: Store,
    /// Data sets held in memory for queries.
    pub cache: crate::domain::query::Cache,
    pub leptos_options: LeptosOptions,
    /// The proxies whose `X-Forwarded-*` headers are believed
    /// ([`crate::http::client`]).
    pub trusted_proxies: crate::http::client::TrustedProxies,
    /// E-mail: its settings, and the bell that wakes this instance's sender.
    pub mail: crate::mail::Mail,
    /// Live modules' streams and the data sets they watch.
    pub live: crate::live::Live,
}

impl AppState {
    /// The domain's context for a request by `caller`, now.
    pub fn ctx<'a>(&'a self, caller: &'a Caller) -> Ctx<'a> {
        Ctx::new(caller, &self.store, &self.cache)
    }
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos_options.clone()
    }
}
