//! Changes to a data set's records (a batch written through the Backdrop API
//! or imported from a file, the data set emptied, one record deleted or
//! patched): each one write, with its correction-history rows and its audit
//! row, and then the tables held in memory. Who may write is decided before
//! (the write API's token check, [`super::caller::Caller::may_write_records`]).

use serde_json::{json, Map, Value};

use super::ingest::{self, Problem, Rules};
use super::query::Change;
use super::Ctx;
use crate::error::{Error, Result};
use crate::store::{
    audit::Note,
    data_sets::DataSet,
    records::{self, format_datetime, Record, StoredRecord, Written},
};

fn note(ctx: &Ctx<'_>, action: &'static str, data_set: &DataSet, detail: Value) -> Note {
    Note::new(
        &ctx.caller.actor(),
        action,
        format!("data set {}", data_set.name),
        detail,
        ctx.now,
    )
}

/// Where a batch came from: the write API, or a file the command line
/// imports (named in the history and the audit log).
pub enum Source<'a> {
    Api,
    File(&'a str),
}

/// What came of a batch.
pub enum Wrote {
    /// Stored, all of it.
    Done(Written),
    /// Nothing stored: these records' identifying values make the id of
    /// another record with other values (see [`ingest::clashes`]).
    Clashes(Vec<Problem>),
}

/// The most field names a data set's records may have between them. A data
/// set is held in memory by field, a cell for every record in each, so
/// records that each brought a name of their own would make it grow with
/// records times names (150,000 records of one new name each: 360 GB).
/// Backdrop's data types have at most a dozen or so.
pub const MAX_FIELDS: usize = 100;

/// Refuses `names` (the distinct fields of records about to be stored) when
/// with the names the data set's records have already they would be more
/// than [`MAX_FIELDS`]: a 400 that says which are new. Records that bring no
/// new name are never refused (a data set given more before there was a
/// bound keeps taking its own fields). Checked again by
/// [`begin_within_fields`] once the write holds the data set, so that writes
/// at once cannot each pass with room that only one of them has.
pub async fn fields_fit(ctx: &Ctx<'_>, data_set: &DataSet, names: &Names<'_>) -> Result<()> {
    fields_fit_at(ctx, data_set, names, data_set.version).await
}

/// [`fields_fit`] against the records at `version` or after.
async fn fields_fit_at(
    ctx: &Ctx<'_>,
    data_set: &DataSet,
    names: &Names<'_>,
    version: i64,
) -> Result<()> {
    let table = ctx.cache.table(ctx.store, data_set.id, version).await?;
    fields_refused(data_set, &table, names).map_or(Ok(()), Err)
}

/// How many times a write bringing new field names reads the records again
/// when writes through other instances keep changing them meanwhile.
const FIELD_CHECKS: usize = 4;

/// Begins the write of records whose distinct fields are `names`: the data
/// set's table held by this instance ([`crate::domain::query::Cache::hold`],
/// from before the write begins until the table has it) and the bound on
/// fields checked against the records as they are when the write begins.
/// What a write through this instance just before brought is in the table
/// held; one through another instance is not, so records that bring a name
/// the table lacks are checked against it only when it is the version the
/// database holds, the data set's row held until the write commits (else
/// the table is brought up to date and checked again): two instances cannot
/// each pass with room that only one of them has.
pub async fn begin_within_fields(
    ctx: &Ctx<'_>,
    data_set: &DataSet,
    names: &Names<'_>,
) -> Result<(tokio::sync::OwnedMutexGuard<()>, crate::store::Write)> {
    let mut version = data_set.version;
    for _ in 0..FIELD_CHECKS {
        fields_fit_at(ctx, data_set, names, version).await?;
        let held = ctx.cache.hold(data_set.id).await;
        // (dropped meanwhile: loaded again)
        let Some((at, table)) = ctx.cache.newest_held_at(data_set.id) else {
            continue;
        };
        if let Some(refused) = fields_refused(data_set, &table, names) {
            return Err(refused);
        }
        let mut w = ctx.store.write().await?;
        if names.iter().all(|name| table.column(name).is_some()) {
            return Ok((held, w));
        }
        match crate::store::data_sets::hold(&mut w, data_set.id).await? {
            Some(now) if now.version == at => return Ok((held, w)),
            Some(now) => version = now.version,
            None => {
                return Err(Error::NotFound(format!(
                    "There is no data set {} any more.",
                    data_set.name
                )))
            }
        }
    }
    Err(Error::Conflict(format!(
        "Data set {} was written to through other instances of Pulse while the new fields \
         were counted, {FIELD_CHECKS} times over: nothing was stored; send the same again.",
        data_set.name
    )))
}

/// The distinct field names of records about to be stored.
pub type Names<'a> = std::collections::BTreeSet<&'a str>;

fn fields_refused(
    data_set: &DataSet,
    table: &crate::domain::query::table::Table,
    names: &Names<'_>,
) -> Option<Error> {
    let new: Vec<&str> = names
        .iter()
        .copied()
        .filter(|name| table.column(name).is_none())
        .collect();
    let held = table.column_names.len();
    if new.is_empty() || held + new.len() <= MAX_FIELDS {
        return None;
    }
    let shown: Vec<&str> = new.iter().take(5).copied().collect();
    let more = match new.len() - shown.len() {
        0 => String::new(),
        n => format!(" and {} more", app::kpi::format_count(n as f64)),
    };
    Some(Error::BadRequest(format!(
        "These records would give data set {} {} different fields ({held} of them it has, \
         {} new: {}{more}); a data set's records may have at most {MAX_FIELDS} between them. \
         Send figures of many kinds as a record per kind, with a field naming the kind (as \
         channel names the channel), not as a field of their own each. Nothing was stored.",
        data_set.name,
        app::kpi::format_count((held + new.len()) as f64),
        app::kpi::format_count(new.len() as f64),
        shown.join(", "),
    )))
}

/// The distinct field names of `records`.
pub fn names_of(records: &[Record]) -> Names<'_> {
    records
        .iter()
        .flat_map(|r| r.fields.keys().map(String::as_str))
        .collect()
}

/// Stores a checked batch, all or nothing, replacing records with the same
/// id; `progress` hears how many are written so far. A record sent again as
/// it is stored is counted `unchanged`, and not listed in the history.
pub async fn write_batch(
    ctx: &Ctx<'_>,
    data_set: &DataSet,
    batch: &[Record],
    ids_may_exist: bool,
    source: Source<'_>,
    progress: &mut (dyn FnMut(usize) + Send),
) -> Result<Wrote> {
    let names = names_of(batch);
    let history = match source {
        Source::Api => ctx.caller.acting().history,
        Source::File(file) => format!("{}:import:{file}", ctx.caller.acting().history),
    };
    let (_held, mut w) = begin_within_fields(ctx, data_set, &names).await?;
    // Checked in the write, the data set held until it commits: a record
    // written meanwhile through another instance is seen (dropped, the
    // write is undone).
    if ids_may_exist && !data_set.auto_ids.is_empty() {
        let ids: Vec<&str> = batch.iter().map(|r| r.id.as_str()).collect();
        let stored = records::hold_and_find(&mut w, data_set.id, &ids).await?;
        let clashes = ingest::clashes(&data_set.auto_ids, batch, &stored);
        if !clashes.is_empty() {
            return Ok(Wrote::Clashes(clashes));
        }
    }
    let written = records::upsert_batch_with_progress(
        &mut w,
        data_set.id,
        batch,
        ids_may_exist,
        &history,
        ctx.now,
        progress,
    )
    .await?;
    let note = match source {
        Source::Api => note(
            ctx,
            "records.write",
            data_set,
            json!({ "records": batch.len(), "new": written.inserted,
                    "replaced": written.replaced, "unchanged": written.unchanged }),
        ),
        Source::File(file) => note(
            ctx,
            "records.import",
            data_set,
            json!({ "file": file, "records": batch.len(), "new": written.inserted,
                    "replaced": written.replaced, "unchanged": written.unchanged }),
        ),
    };
    w.commit(note).await?;
    crate::metrics::records_written(written.inserted, written.replaced, written.unchanged);
    ctx.store
        .records_written(written.inserted + written.replaced);
    let change = if written.inserted == batch.len() {
        Change::Append(batch)
    } else {
        Change::Upsert(batch)
    };
    ctx.cache
        .apply(data_set.id, change, ctx.now, written.version);
    Ok(Wrote::Done(written))
}

/// Empties the data set; answers how many records went.
pub async fn empty(ctx: &Ctx<'_>, data_set: &DataSet) -> Result<u64> {
    // (from before the write begins until the table has it: see `hold`)
    let _held = ctx.cache.hold(data_set.id).await;
    let mut w = ctx.store.write().await?;
    let history = ctx.caller.acting().history;
    let (removed, version) = records::empty(&mut w, data_set.id, &history, ctx.now).await?;
    w.commit(note(
        ctx,
        "records.empty",
        data_set,
        json!({ "removed": removed }),
    ))
    .await?;
    ctx.cache
        .apply(data_set.id, Change::Empty, ctx.now, version);
    Ok(removed)
}

/// Deletes the record `id` (kept in the correction history); `false` when
/// there is none.
pub async fn delete(ctx: &Ctx<'_>, data_set: &DataSet, id: &str) -> Result<bool> {
    // (from before the write begins until the table has it: see `hold`)
    let _held = ctx.cache.hold(data_set.id).await;
    let mut w = ctx.store.write().await?;
    let history = ctx.caller.acting().history;
    let Some(version) = records::delete(&mut w, data_set.id, id, &history, ctx.now).await? else {
        return Ok(false);
    };
    w.commit(note(ctx, "records.delete", data_set, json!({ "id": id })))
        .await?;
    ctx.cache
        .apply(data_set.id, Change::Delete(id), ctx.now, version);
    Ok(true)
}

/// What came of a patch.
pub enum Patched {
    Done,
    /// Done, and the record's identifying values changed, so it now has
    /// this id (its old one is gone).
    Moved(String),
    /// There is no record with that id.
    NotFound,
    /// The merged record breaks the data set's rules.
    Invalid(Vec<Problem>),
}

/// Merges `changes` into the record `id` (not a replace), and checks the
/// merged record as a whole against the data set's rules. A record whose id
/// was made from its identifying values (the data set's `auto_ids`) keeps
/// one identity: when a change to them (`_timestamp` among them) makes
/// another id, the record moves to it (refused when another record has it);
/// an id given by its sender stays.
pub async fn patch(
    ctx: &Ctx<'_>,
    data_set: &DataSet,
    id: &str,
    changes: Map<String, Value>,
) -> Result<Patched> {
    // A first look, outside the write: the patched record, checked (its
    // fields may need the table loaded to be counted).
    let Some(old) = records::find(ctx.store, data_set.id, id).await? else {
        return Ok(Patched::NotFound);
    };
    let record = match patched(data_set, id, &old, changes.clone())? {
        Ok(record) => record,
        Err(problems) => return Ok(Patched::Invalid(problems)),
    };
    let names = names_of(std::slice::from_ref(&record));
    let (_held, mut w) = begin_within_fields(ctx, data_set, &names).await?;
    // Again in the write, the data set held until it commits: a change made
    // to the record meanwhile (through another instance) is patched, not
    // put back to what was read before it.
    let Some(old) = records::hold_and_find(&mut w, data_set.id, &[id])
        .await?
        .remove(id)
    else {
        return Ok(Patched::NotFound);
    };
    let record = match patched(data_set, id, &old, changes)? {
        Ok(record) => record,
        Err(problems) => return Ok(Patched::Invalid(problems)),
    };
    let history = ctx.caller.acting().history;
    if record.id == id {
        let Some(version) =
            records::patch(&mut w, data_set.id, &old, &record, &history, ctx.now).await?
        else {
            return Ok(Patched::NotFound);
        };
        w.commit(note(ctx, "records.patch", data_set, json!({ "id": id })))
            .await?;
        ctx.cache.apply(
            data_set.id,
            Change::Upsert(std::slice::from_ref(&record)),
            ctx.now,
            version,
        );
        return Ok(Patched::Done);
    }
    let version =
        match records::move_to(&mut w, data_set.id, &old, &record, &history, ctx.now).await? {
            records::Moved::Done(version) => version,
            records::Moved::NotFound => return Ok(Patched::NotFound),
            records::Moved::Taken => {
                return Ok(Patched::Invalid(vec![Problem {
                    index: 0,
                    field: None,
                    message: format!(
                        "This change gives record {id} the identifying values of record {}, which \
                     is already stored: a record has one identity, so two cannot share it. \
                     Change or delete record {} first, or send the corrected figures to it.",
                        record.id, record.id
                    ),
                }]))
            }
        };
    w.commit(note(
        ctx,
        "records.patch",
        data_set,
        json!({ "id": id, "moved_to": record.id }),
    ))
    .await?;
    ctx.cache.apply(
        data_set.id,
        Change::Move {
            from: id,
            to: &record,
        },
        ctx.now,
        version,
    );
    Ok(Patched::Moved(record.id))
}

/// The record `old` becomes with `changes`, checked as a write is (its
/// identity kept or moved by its identifying fields); the problems if not.
fn patched(
    data_set: &DataSet,
    id: &str,
    old: &StoredRecord,
    changes: Map<String, Value>,
) -> Result<std::result::Result<Record, Vec<Problem>>> {
    let mut merged: Map<String, Value> = old.fields.clone();
    merged.insert(
        "_timestamp".into(),
        Value::String(format_datetime(old.timestamp)),
    );
    merged.extend(changes);
    let auto_identified = !data_set.auto_ids.is_empty()
        && records::made_from(id, &data_set.auto_ids, old.timestamp, &old.fields);
    if !auto_identified {
        merged.insert("_id".into(), Value::String(id.to_string()));
    } else if let Some(given) = merged.get("_id").and_then(Value::as_str) {
        if given != id {
            return Ok(Err(vec![Problem {
                index: 0,
                field: Some("_id".into()),
                message: format!(
                    "A patch cannot give record {id} another _id (\"{given}\"): its id is made \
                     from its identifying fields ({}); change those and it moves",
                    data_set.auto_ids.join(", ")
                ),
            }]));
        }
        merged.remove("_id");
    }
    let schema = data_set
        .schema
        .as_ref()
        .map(ingest::compile_schema)
        .transpose()
        .map_err(|e| Error::Internal(anyhow::anyhow!(e)))?;
    let rules = Rules {
        auto_ids: &data_set.auto_ids,
        schema: schema.as_ref(),
    };
    let record =
        match ingest::records_from_body(Value::Object(merged), &rules, &mut records::fresh_id) {
            Ok(mut records) => records.remove(0),
            Err(problems) => return Ok(Err(problems)),
        };
    Ok(Ok(record))
}
