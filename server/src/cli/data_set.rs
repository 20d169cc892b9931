//! `pulse data-set`: create, list, and a new write token.

use anyhow::Context;

use super::DataSetCommand;
use crate::domain::{data_sets, query::Cache, Ctx};
use crate::store::Store;

pub async fn run(database: &str, command: DataSetCommand) -> anyhow::Result<()> {
    let store = Store::connect(database).await?;
    store.migrate().await?;
    let cache = Cache::default();
    let ctx = Ctx::cli(&store, &cache);
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
            let settings = app::model::DataSetSettings {
                auto_ids: args.auto_ids,
                schema,
                queryable: args.queryable,
                published: args.published,
                realtime: args.realtime,
                raw_queries_allowed: args.raw_queries_allowed,
                max_age_expected: Some(args.max_age_expected),
                upload_format: None,
            };
            let new = app::model::NewDataSet {
                data_group: args.group,
                data_type: args.data_type,
                bearer_token: args.bearer_token,
                from_type: args.from_type,
                settings,
            };
            let created = data_sets::create(&ctx, new).await?;
            println!("{}", serde_json::to_string_pretty(&created)?);
        }
        DataSetCommand::List => {
            let all = data_sets::list(&ctx).await?;
            println!("{}", serde_json::to_string_pretty(&all)?);
        }
        DataSetCommand::RotateToken { group, data_type } => {
            let token = data_sets::rotate_token(&ctx, &group, &data_type).await?;
            println!("{}", serde_json::to_string_pretty(&token)?);
        }
    }
    Ok(())
}
