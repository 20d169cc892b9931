//! `pulse import`: a CSV or Excel file into a data set, all or nothing.

use crate::store::{data_sets, Store};

pub async fn run(
    database: &str,
    group: &str,
    data_type: &str,
    file: &std::path::Path,
) -> anyhow::Result<()> {
    let store = Store::connect(database).await?;
    store.migrate().await?;
    import_file(&store, group, data_type, file).await
}

/// `pulse import`: read, check every row, store all or nothing, and say so.
async fn import_file(
    store: &Store,
    group: &str,
    data_type: &str,
    file: &std::path::Path,
) -> anyhow::Result<()> {
    use crate::domain::{ingest, records, spreadsheet as import};
    use std::io::{IsTerminal, Write};

    let data_set = data_sets::find(store, group, data_type)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?
        .ok_or_else(|| {
            anyhow::anyhow!(
                "there is no data set {group}/{data_type}: create it first with pulse data-set create"
            )
        })?;
    let sheet = import::read_file(file).map_err(|e| anyhow::anyhow!("{e}"))?;
    if sheet.rows.is_empty() {
        anyhow::bail!(
            "{} has a header but no rows: nothing to import",
            file.display()
        );
    }
    let total = sheet.rows.len();
    let checked = match ingest::check_for(&data_set, serde_json::Value::Array(sheet.records())) {
        Ok(checked) => checked,
        Err(ingest::Refused::BadSchema(e) | ingest::Refused::Json(e)) => anyhow::bail!(e),
        Err(ingest::Refused::Invalid { problems, .. }) => {
            for p in &problems {
                eprintln!("row {}: {}", sheet.rows[p.index].0, p.message);
            }
            anyhow::bail!(
                "{} of {total} rows rejected; nothing was stored. Correct them and import the file again.",
                problems.len()
            );
        }
    };
    let records = checked.records;
    let terminal = std::io::stderr().is_terminal();
    let mut progress = |done: usize| {
        if terminal {
            let width = 30;
            let filled = done * width / total.max(1);
            eprint!(
                "\r[{}{}] {done}/{total} records",
                "#".repeat(filled),
                " ".repeat(width - filled)
            );
            let _ = std::io::stderr().flush();
        }
    };
    let cache = crate::domain::query::Cache::default();
    let ctx = crate::domain::Ctx::cli(store, &cache);
    let name = file.display().to_string();
    let written = records::write_batch(
        &ctx,
        &data_set,
        &records,
        checked.ids_may_exist,
        records::Source::File(&name),
        &mut progress,
    )
    .await?;
    if terminal {
        eprintln!();
    }
    let written = match written {
        records::Wrote::Done(written) => written,
        records::Wrote::Clashes(problems) => {
            for p in &problems {
                eprintln!("row {}: {}", sheet.rows[p.index].0, p.message);
            }
            anyhow::bail!(
                "{} of {total} rows would share an id with another record; nothing was stored. Correct them and import the file again.",
                problems.len()
            );
        }
    };
    println!(
        "Imported {} into {}: {} records stored ({} new, {} replaced, {} unchanged); rejected: none.",
        file.display(),
        data_set.name,
        written.inserted + written.replaced + written.unchanged,
        written.inserted,
        written.replaced,
        written.unchanged
    );
    Ok(())
}
