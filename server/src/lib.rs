//! The Pulse server: the `pulse` binary's command line, the HTTP routes, the
//! storage, and the demo data.

pub mod cli;
pub mod demo;
pub mod domain;
pub mod error;
pub mod http;
pub mod live;
pub mod mail;
pub mod metrics;
pub mod store;

use std::path::PathBuf;

use leptos::config::LeptosOptions;

/// The options Leptos needs to render pages and link the wasm bundle. A
/// release build names its files by their hashes and lists them in the site's
/// `hash.txt` (`hash-file-name` in the workspace's Leptos settings), which
/// Leptos reads by an absolute path, wherever the binary runs from.
pub fn leptos_options(site_root: PathBuf, addr: std::net::SocketAddr) -> LeptosOptions {
    let hash_file = std::path::absolute(site_root.join(app::HASH_FILE))
        .unwrap_or_else(|_| site_root.join(app::HASH_FILE));
    LeptosOptions::builder()
        .output_name("pulse")
        .site_root(site_root.to_string_lossy().to_string())
        .site_pkg_dir("pkg")
        .site_addr(addr)
        .hash_files(hash_file.is_file())
        .hash_file(std::sync::Arc::from(hash_file.to_string_lossy().as_ref()))
        .build()
}
