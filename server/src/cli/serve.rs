//! `pulse serve`: the web server.

use anyhow::Context;

use super::{site_root, ServeArgs};
use crate::{
    http::{app, AppState},
    leptos_options,
    store::Store,
};

pub async fn run(database: &str, args: ServeArgs) -> anyhow::Result<()> {
    let store = Store::connect(database).await?;
    store.migrate().await?;
    let root = site_root(args.site_root);
    if !root.join("pkg").is_dir() {
        tracing::warn!(
            "no built site in {}: pages will render without their scripts and styles \
             (build with `cargo leptos build --release`, or set PULSE_SITE_ROOT)",
            root.display()
        );
    }
    let options = leptos_options(root, args.addr);
    if !args.trusted_proxies.is_empty() {
        tracing::info!(
            "X-Forwarded-* headers are believed from {}",
            args.trusted_proxies
        );
    }
    let router = app(AppState {
        store,
        cache: Default::default(),
        leptos_options: options,
        trusted_proxies: args.trusted_proxies,
    });
    let listener = tokio::net::TcpListener::bind(args.addr)
        .await
        .with_context(|| format!("could not listen on {}", args.addr))?;
    tracing::info!("Pulse is serving on http://{}", args.addr);
    axum::serve(
        listener,
        router.into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown_signal())
    .await?;
    tracing::info!("Pulse has stopped");
    Ok(())
}

/// Resolves on Ctrl-C or SIGTERM, so requests in flight can finish.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
    tracing::info!("shutting down");
}
