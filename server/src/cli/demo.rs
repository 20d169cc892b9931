//! `pulse demo`: the fictional demo data and people.

use super::DemoArgs;
use crate::{demo, store::Store};

/// The most services `--services` makes (some 6 million records).
const MOST_SERVICES: usize = 10_000;

pub async fn run(database: &str, args: DemoArgs) -> anyhow::Result<()> {
    // Checked before the database is touched.
    let own = demo::service_count();
    let copies = match args.services {
        Some(n) if n < own => {
            anyhow::bail!("--services must be at least {own}, the demo's own services (got {n})")
        }
        Some(n) if n > MOST_SERVICES => anyhow::bail!(
            "--services must be at most {MOST_SERVICES}, about 600 records each (got {n})"
        ),
        Some(n) => n - own,
        None => 0,
    };
    let store = Store::connect(database).await?;
    store.migrate().await?;
    let until = args.until.unwrap_or_else(chrono::Utc::now);
    let loaded = demo::load(&store, args.seed, until).await?;
    if loaded.records_stored == 0 && loaded.data_sets_created == 0 && loaded.dashboards_created == 0
    {
        println!("The demo data was already loaded into {database}; nothing changed.");
    } else {
        println!(
            "Loaded fictional demo data into {}: {} services, {} data sets created, {} records stored, {} dashboards created.",
            database, loaded.services, loaded.data_sets_created, loaded.records_stored, loaded.dashboards_created
        );
    }
    if copies > 0 {
        let made = demo::load_copies(&store, copies, args.seed, until).await?;
        println!(
            "Copies of the demo's services, with figures of their own: {} (from {} to {}).",
            made.len(),
            made.first().map_or("", String::as_str),
            made.last().map_or("", String::as_str),
        );
    }
    let password = std::env::var("PULSE_DEMO_PASSWORD").ok();
    let people = demo::users(&store, password.as_deref()).await?;
    if people.is_empty() {
        println!(
            "The demo users were already there (reset a password with `pulse user set-password`)."
        );
    } else {
        println!("Demo users (sign in at /sign-in; the passwords are shown this once):");
        for (email, role, password) in people {
            println!("  {role:<7} {email:<32} {password}");
        }
    }
    if args.live {
        println!(
            "Feeding the live figure of /{} every {} s (Ctrl-C stops it).",
            demo::LIVE_SERVICE,
            args.live_every
        );
        tokio::select! {
            fed = demo::feed_live(&store, std::time::Duration::from_secs(args.live_every)) => fed?,
            _ = tokio::signal::ctrl_c() => println!("Stopped feeding the live figure."),
        }
    }
    Ok(())
}
