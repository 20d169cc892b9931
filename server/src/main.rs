//! `pulse`: serve, migrate, demo.

use anyhow::Context;
use clap::Parser;
use tracing_subscriber::EnvFilter;

use server::{
    cli::{site_root, Cli, Command},
    demo, leptos_options,
    routes::{app, AppState},
    store::Store,
};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_env("PULSE_LOG")
                .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn")),
        )
        .init();
    let cli = Cli::parse();
    match cli.command {
        Command::Migrate { database } => {
            let store = Store::connect(&database.url).await?;
            store.migrate().await?;
            println!("The database {} is up to date.", database.url);
        }
        Command::Demo(args) => {
            let store = Store::connect(&args.database.url).await?;
            store.migrate().await?;
            let until = args.until.unwrap_or_else(chrono::Utc::now);
            let loaded = demo::load(store.pool(), args.seed, until).await?;
            if loaded.records_stored == 0 && loaded.data_sets_created == 0 {
                println!(
                    "The demo data was already loaded into {}; nothing changed.",
                    args.database.url
                );
            } else {
                println!(
                    "Loaded fictional demo data into {}: {} services, {} data sets created, {} records stored.",
                    args.database.url, loaded.services, loaded.data_sets_created, loaded.records_stored
                );
            }
        }
        Command::Serve(args) => {
            let store = Store::connect(&args.database.url).await?;
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
            let router = app(AppState {
                store,
                leptos_options: options,
            });
            let listener = tokio::net::TcpListener::bind(args.addr)
                .await
                .with_context(|| format!("could not listen on {}", args.addr))?;
            tracing::info!("Pulse is serving on http://{}", args.addr);
            axum::serve(listener, router)
                .with_graceful_shutdown(shutdown_signal())
                .await?;
            tracing::info!("Pulse has stopped");
        }
    }
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
