//! The Pulse server: the `pulse` binary's command line, the HTTP routes, the
//! storage, and the demo data.

pub mod cli;
pub mod demo;
pub mod domain;
pub mod error;
pub mod http;
pub mod store;

use std::path::PathBuf;

use leptos::config::LeptosOptions;

/// The options Leptos needs to render pages and link the wasm bundle.
pub fn leptos_options(site_root: PathBuf, addr: std::net::SocketAddr) -> LeptosOptions {
    LeptosOptions::builder()
        .output_name("pulse")
        .site_root(site_root.to_string_lossy().to_string())
        .site_pkg_dir("pkg")
        .site_addr(addr)
        .build()
}
