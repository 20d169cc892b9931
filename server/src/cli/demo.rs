//! `pulse demo`: the fictional demo data and people.

use super::DemoArgs;
use crate::{demo, store::Store};

pub async fn run(database: &str, args: DemoArgs) -> anyhow::Result<()> {
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
    Ok(())
}
