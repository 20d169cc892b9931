//! What every handler (and the extractors that resolve the caller) can reach:
//! the store, the tables held in memory, the rendering options and the trusted
//! proxies. Kept apart from the HTTP layer so that the rules it serves do not
//! import the router.

use axum::extract::FromRef;
use leptos::prelude::LeptosOptions;

use crate::store::Store;

/// What every handler can reach.
#[derive(Clone, Debug)]
pub struct AppState {
    pub store: Store,
    /// Data sets held in memory for queries.
    pub cache: crate::query::Cache,
    pub leptos_options: LeptosOptions,
    /// The proxies whose `X-Forwarded-*` headers are believed
    /// ([`crate::client`]).
    pub trusted_proxies: crate::client::TrustedProxies,
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos_options.clone()
    }
}
