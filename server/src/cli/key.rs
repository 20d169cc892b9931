//! `pulse key create`: an API key, its secret shown once.

use super::KeyCommand;
use crate::store::{
    api_keys,
    audit::{Actor, Note},
    Store,
};

pub async fn run(database: &str, command: KeyCommand) -> anyhow::Result<()> {
    let KeyCommand::Create {
        name,
        scopes,
        expires_in_days,
    } = command;
    if expires_in_days <= 0 {
        anyhow::bail!("--expires-in-days must be at least 1");
    }
    let store = Store::connect(database).await?;
    store.migrate().await?;
    check_scopes(&store, &scopes).await?;
    let now = chrono::Utc::now();
    let mut w = store.write().await.map_err(|e| anyhow::anyhow!("{e}"))?;
    let key = api_keys::create(
        &mut w,
        &name,
        &scopes,
        Some(now + chrono::Duration::days(expires_in_days)),
        None,
        now,
    )
    .await
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    w.commit(Note::new(
        &Actor::cli(),
        "key.create",
        format!("key {} ({})", key.key.id, key.key.prefix),
        serde_json::json!({ "name": key.key.name, "scopes": key.key.scopes }),
        now,
    ))
    .await
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    println!("{}", serde_json::to_string_pretty(&key)?);
    eprintln!("Keep the secret safe: it will not be shown again.");
    Ok(())
}

/// Refuses a scope no key can have, before any key is made: one of the named
/// scopes, or `data-set:NAME:write` for a data set that exists.
async fn check_scopes(store: &Store, scopes: &[String]) -> anyhow::Result<()> {
    use app::model::Scope;
    let data_sets = crate::store::data_sets::list(store)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    for scope in scopes {
        match Scope::parse(scope) {
            Some(Scope::WriteDataSet(name)) if !data_sets.iter().any(|d| d.name == name) => {
                anyhow::bail!("there is no data set {name:?} (scope {scope:?})")
            }
            Some(_) => {}
            None => anyhow::bail!("{scope:?} is not a scope: {}", Scope::EXPECTED),
        }
    }
    Ok(())
}
