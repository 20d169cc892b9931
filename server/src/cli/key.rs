//! `pulse key create`: an API key, its secret shown once. The command line
//! may grant any scope (as an admin may); the key has no owner.

use super::KeyCommand;
use crate::domain::{keys, query::Cache, Ctx};
use crate::store::Store;

pub async fn run(database: &str, command: KeyCommand) -> anyhow::Result<()> {
    let KeyCommand::Create {
        name,
        scopes,
        expires_in_days,
    } = command;
    let store = Store::connect(database).await?;
    store.migrate().await?;
    let cache = Cache::default();
    let request = app::model::KeyRequest {
        name,
        scopes,
        expires_in_days: Some(expires_in_days),
    };
    let key = keys::create(&Ctx::cli(&store, &cache), &request).await?;
    println!("{}", serde_json::to_string_pretty(&key)?);
    eprintln!("Keep the secret safe: it will not be shown again.");
    Ok(())
}
