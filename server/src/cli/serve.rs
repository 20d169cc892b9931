//! `pulse serve`: the web server.

use std::path::PathBuf;

use anyhow::Context;

use super::{site_root, ServeArgs};
use crate::{
    domain::query::{snapshot::Snapshots, Cache},
    http::{app, AppState},
    leptos_options,
    store::Store,
};

pub async fn run(database: &str, args: ServeArgs) -> anyhow::Result<()> {
    let store = Store::connect(database).await?;
    store.migrate().await?;
    let root = site_root(args.site_root.clone());
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
    let (mail, sender) = mail_sender(&store, &args)?;
    let mut cache = Cache::default().with_answer_room(args.answers_mb.saturating_mul(1 << 20));
    match args
        .snapshots
        .filter(|dir| dir.as_os_str() != "off")
        .or_else(|| default_snapshots(database))
    {
        Some(dir) => match Snapshots::new(&dir, args.snapshot_min_records) {
            Ok(snapshots) => {
                tracing::info!("large tables are kept between runs in {}", dir.display());
                cache = cache.with_snapshots(snapshots);
            }
            Err(e) => tracing::warn!(
                "large tables cannot be kept between runs in {} ({e}): each start reads them \
                 from the database",
                dir.display()
            ),
        },
        None => tracing::info!("tables are not kept between runs"),
    }
    let reminders = tokio::spawn(crate::mail::run_reminders(
        store.clone(),
        cache.clone(),
        mail.clone(),
        std::time::Duration::from_secs(args.late_data_every),
    ));
    // Tables changed by writes are kept again once the writes pause.
    let keeper = tokio::spawn({
        let cache = cache.clone();
        async move {
            let pause = std::time::Duration::from_secs(10);
            loop {
                tokio::time::sleep(pause).await;
                cache.save_changed(pause).await;
            }
        }
    });
    let live = crate::live::Live::new(
        store.clone(),
        args.live_streams as usize,
        std::time::Duration::from_secs(1),
    );
    let limits = crate::http::listen::Limits {
        connections: crate::http::listen::connections(args.max_connections),
        per_address: usize::try_from(args.max_connections_per_address).unwrap_or(usize::MAX),
        header: std::time::Duration::from_secs(args.header_timeout),
        body: std::time::Duration::from_secs(args.body_timeout),
        send: std::time::Duration::from_secs(args.send_timeout),
        trusted: args.trusted_proxies.clone(),
    };
    let router = app(AppState {
        store,
        cache: cache.clone(),
        leptos_options: options,
        trusted_proxies: args.trusted_proxies,
        mail,
        live: live.clone(),
    });
    let listener = tokio::net::TcpListener::bind(args.addr)
        .await
        .with_context(|| format!("could not listen on {}", args.addr))?;
    tracing::info!(
        "Pulse is serving on http://{} (at most {} connections, {} from one address; \
         a request's head within {} s, its body pausing at most {} s, \
         an answer waiting at most {} s for its client)",
        args.addr,
        limits.connections,
        match limits.per_address {
            0 => "any number".to_string(),
            most => most.to_string(),
        },
        args.header_timeout,
        args.body_timeout,
        args.send_timeout
    );
    crate::http::listen::serve(listener, router, limits, {
        // Open streams end first, so the shutdown waits only for requests.
        let live = live.clone();
        async move {
            shutdown_signal().await;
            live.close();
        }
    })
    .await;
    keeper.abort();
    sender.abort();
    reminders.abort();
    // What writes changed since, kept for the next start.
    cache.save_changed(std::time::Duration::ZERO).await;
    tracing::info!("Pulse has stopped");
    Ok(())
}

/// `--public-url` as links begin (no trailing slash), or what is wrong with it.
pub fn public_url(url: &str) -> anyhow::Result<String> {
    let parsed = url::Url::parse(url)
        .ok()
        .filter(|u| matches!(u.scheme(), "http" | "https") && u.host_str().is_some())
        .with_context(|| {
            format!("--public-url must be like https://pulse.example.gov.uk (got {url:?})")
        })?;
    Ok(parsed.as_str().trim_end_matches('/').to_string())
}

/// E-mail as configured, and the task that sends it.
fn mail_sender(
    store: &Store,
    args: &ServeArgs,
) -> anyhow::Result<(crate::mail::Mail, tokio::task::JoinHandle<()>)> {
    let from = crate::mail::mailbox(&args.mail_from)?;
    let public_url = match &args.public_url {
        Some(url) => public_url(url)?,
        None => format!("http://{}", args.addr),
    };
    let transport = match &args.smtp_url {
        Some(url) if !url.is_empty() => {
            let smtp = crate::mail::smtp(url).context("--smtp-url")?;
            tracing::info!("e-mail is sent from {from} through the SMTP server of --smtp-url");
            crate::mail::Transport::Smtp(smtp)
        }
        _ => {
            tracing::info!("e-mail is off (no --smtp-url): messages are written to this log");
            crate::mail::Transport::Log
        }
    };
    let mail = crate::mail::Mail::new(crate::domain::mail::MailSettings {
        enabled: matches!(transport, crate::mail::Transport::Smtp(_)),
        public_url,
        from: from.to_string(),
        digests: args.digest_at,
        ..Default::default()
    });
    let sender = tokio::spawn(crate::mail::run_sender(
        store.clone(),
        mail.clone(),
        transport,
        from,
    ));
    Ok((mail, sender))
}

/// Where tables are kept between runs unless told: beside a SQLite file, or
/// under `data/tables` by Postgres server and database (none for a database in
/// memory).
fn default_snapshots(database: &str) -> Option<PathBuf> {
    use std::str::FromStr;
    if let Ok(options) = sqlx::postgres::PgConnectOptions::from_str(database) {
        if database.starts_with("postgres") {
            let name = format!(
                "{}-{}-{}",
                options.get_host(),
                options.get_port(),
                options.get_database().unwrap_or("postgres")
            )
            .replace(
                |c: char| !c.is_ascii_alphanumeric() && c != '-' && c != '.',
                "_",
            );
            return Some(PathBuf::from("data/tables").join(name));
        }
    }
    let options = sqlx::sqlite::SqliteConnectOptions::from_str(database).ok()?;
    let file = options.get_filename();
    if file.as_os_str().is_empty() || file.to_string_lossy().contains(":memory:") {
        return None;
    }
    let mut dir = file.as_os_str().to_owned();
    dir.push(".tables");
    Some(PathBuf::from(dir))
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
