//! `pulse data-set`: create, list, and a new write token.

use anyhow::Context;

use super::DataSetCommand;
use crate::store::{
    audit::{Actor, Note},
    data_sets, Store,
};

pub async fn run(database: &str, command: DataSetCommand) -> anyhow::Result<()> {
    let store = Store::connect(database).await?;
    store.migrate().await?;
    match command {
        DataSetCommand::Create(args) => {
            let schema = match &args.schema {
                Some(path) => {
                    let text = std::fs::read_to_string(path)
                        .with_context(|| format!("could not read {}", path.display()))?;
                    Some(
                        serde_json::from_str(&text)
                            .with_context(|| format!("{} is not valid JSON", path.display()))?,
                    )
                }
                None => None,
            };
            let mut settings = data_sets::DataSetSettings {
                auto_ids: args.auto_ids,
                schema,
                queryable: args.queryable,
                published: args.published,
                realtime: args.realtime,
                raw_queries_allowed: args.raw_queries_allowed,
                max_age_expected: Some(args.max_age_expected),
                upload_format: None,
            };
            if let Some(name) = &args.from_type {
                settings
                    .take_type(name)
                    .map_err(|e| anyhow::anyhow!("{e}"))?;
            }
            let service_id = crate::store::orgs::service_id(&store, &args.group)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            let now = chrono::Utc::now();
            let mut w = store.write().await.map_err(|e| anyhow::anyhow!("{e}"))?;
            let created = data_sets::create_with_token(
                &mut w,
                &args.group,
                &args.data_type,
                service_id,
                &settings,
                args.bearer_token,
                now,
            )
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
            w.commit(Note::new(
                &Actor::cli(),
                "data-set.create",
                format!("data set {}", created.data_set.name),
                serde_json::json!({}),
                now,
            ))
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
            println!("{}", serde_json::to_string_pretty(&created)?);
        }
        DataSetCommand::List => {
            let all = data_sets::list(&store)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            println!("{}", serde_json::to_string_pretty(&all)?);
        }
        DataSetCommand::RotateToken { group, data_type } => {
            let data_set = data_sets::find(&store, &group, &data_type)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?
                .ok_or_else(|| anyhow::anyhow!("there is no data set {group}/{data_type}"))?;
            let now = chrono::Utc::now();
            let mut w = store.write().await.map_err(|e| anyhow::anyhow!("{e}"))?;
            let token = data_sets::rotate_token(&mut w, &data_set, now)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            w.commit(Note::new(
                &Actor::cli(),
                "data-set.token",
                format!("data set {}", data_set.name),
                serde_json::json!({}),
                now,
            ))
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
            println!(
                "{}",
                serde_json::to_string_pretty(
                    &serde_json::json!({ "name": data_set.name, "bearer_token": token })
                )?
            );
        }
    }
    Ok(())
}
