//! `pulse audit`: the audit log as JSON, newest first.

use crate::store::{audit, Store};

pub async fn run(database: &str, filter: &str, limit: i64) -> anyhow::Result<()> {
    let store = Store::connect(database).await?;
    store.migrate().await?;
    let entries = audit::list(&store, filter, limit)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    println!("{}", serde_json::to_string_pretty(&entries)?);
    Ok(())
}
