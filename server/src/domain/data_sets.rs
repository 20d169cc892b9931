//! Data sets: who manages them, the rules for their names and settings, and
//! every change to them (create, change, delete, a new write token, a
//! spreadsheet stored), each one write with its audit row. The HTTP routes and
//! the command line call these.

use super::json::shown;
use app::model::{
    DataSetHistory, DataSetSettings, DataSetToken, DataSetWithToken, NewDataSet, UploadPreview,
    UploadRefused,
};
use serde_json::{json, Map, Value};

use super::access;
use super::caller::{Caller, Permission};
use super::Ctx;
use crate::error::{Error, Result};
use crate::store::{
    audit::Note,
    data_sets::{self, DataSet},
    history, orgs, records,
};

/// The data set `group/data_type`, or a 404.
pub async fn find(ctx: &Ctx<'_>, group: &str, data_type: &str) -> Result<DataSet> {
    data_sets::find(ctx.store, group, data_type)
        .await?
        .ok_or_else(|| Error::NotFound(format!("There is no data set {group}/{data_type}.")))
}

/// Refuses a caller who may not manage a data set of this group: admins
/// may; editors (and keys with `dashboards:write`) when the group is a service
/// of their organisations.
pub async fn may_manage(ctx: &Ctx<'_>, group: &str) -> Result<()> {
    let caller = ctx.caller;
    if caller.can(Permission::Admin) {
        return caller.check_csrf();
    }
    may_manage_some(caller)?;
    let Some(orgs) = access::service_orgs(ctx.store, group).await? else {
        return Err(Error::Forbidden(format!(
            "Only admins manage data sets outside a service, and there is no service {group:?}."
        )));
    };
    access::require_in(
        caller,
        Permission::ManageDashboards,
        &orgs,
        &format!("the service {group:?}"),
    )
}

/// Refuses a caller who may manage no data set at all (before the body or the
/// data set is looked at): 401 for nobody, 403 for a viewer.
pub fn may_manage_some(caller: &Caller) -> Result<()> {
    if caller.can(Permission::Admin) {
        return caller.check_csrf();
    }
    caller.require(Permission::ManageDashboards)
}

/// Refuses a caller who may neither write the data set's records nor manage
/// it (reading its history, storing a spreadsheet).
async fn may_write_or_manage(ctx: &Ctx<'_>, group: &str, data_type: &str) -> Result<()> {
    ctx.caller.check_csrf()?;
    if !ctx
        .caller
        .may_write_records(ctx.store, group, data_type)
        .await?
    {
        may_manage(ctx, group).await?;
    }
    Ok(())
}

/// Every data set (admins), or those of the caller's services (editors).
pub async fn list(ctx: &Ctx<'_>) -> Result<Vec<DataSet>> {
    let all = data_sets::list(ctx.store).await?;
    if ctx.caller.can(Permission::Admin) {
        return Ok(all);
    }
    ctx.caller.require(Permission::ManageDashboards)?;
    let mut theirs = Vec::new();
    for ds in all {
        if may_manage(ctx, &ds.data_group).await.is_ok() {
            theirs.push(ds);
        }
    }
    Ok(theirs)
}

/// Whether `s` can be a data group or data type: lower-case letters, digits and
/// dashes, starting with a letter or digit (at most 100).
pub fn is_valid_slug(s: &str) -> bool {
    data_sets::is_valid_slug(s)
}

/// Takes a catalogue data type's JSON Schema and `auto_ids`, and the age
/// after which its data is late: two weeks for weekly figures, two months
/// for monthly and two quarters for quarterly (ages count from a period's
/// start). Refused when the type is unknown, or a schema or auto_ids are
/// given too.
pub fn take_type(settings: &mut DataSetSettings, name: &str) -> Result<()> {
    let Some(data_type) = app::catalogue::find(name) else {
        return Err(Error::BadRequest(format!(
            "from_type: {} is not a data type of the catalogue ({})",
            shown(name),
            app::catalogue::NAMES.join(", ")
        )));
    };
    if settings.schema.is_some() || !settings.auto_ids.is_empty() {
        return Err(Error::BadRequest(
            "from_type sets the schema and auto_ids: send neither with it".into(),
        ));
    }
    settings.schema = Some(data_type.schema);
    settings.auto_ids = data_type.auto_ids;
    settings.max_age_expected = Some(app::catalogue::expected_age(data_type.period));
    // Live counts: read often, so cached for short.
    if name == "realtime" {
        settings.realtime = true;
    }
    Ok(())
}

/// Checks the settings, with a message for each kind of mistake.
pub fn check_settings(settings: &DataSetSettings) -> Result<()> {
    for field in &settings.auto_ids {
        if !super::ingest::is_valid_key(field) {
            return Err(Error::BadRequest(format!(
                "auto_ids: {} is not a valid field name",
                shown(field)
            )));
        }
    }
    if let Some(schema) = &settings.schema {
        if !schema.is_object() && !schema.is_boolean() {
            return Err(Error::BadRequest(
                "schema must be a JSON Schema (an object)".into(),
            ));
        }
        super::ingest::compile_schema(schema).map_err(Error::BadRequest)?;
    }
    if let Some(age) = settings.max_age_expected {
        // A century at most: a longer wait is no expectation, and far larger
        // numbers overflowed the sums that tell whether data is late.
        if !(1..=app::kpi::MAX_AGE_EXPECTED).contains(&age) {
            return Err(Error::BadRequest(format!(
                "max_age_expected must be a positive number of seconds up to \
                 {} (100 years), or null",
                app::kpi::MAX_AGE_EXPECTED
            )));
        }
    }
    if let Some(format) = &settings.upload_format {
        if format != "csv" && format != "excel" {
            return Err(Error::BadRequest(
                "upload_format must be \"csv\" or \"excel\"".into(),
            ));
        }
    }
    Ok(())
}

/// Checks a new data set's group, type, settings and carried-over token.
fn check_new(new: &NewDataSet) -> Result<()> {
    for (what, value) in [
        ("data group", &new.data_group),
        ("data type", &new.data_type),
    ] {
        if !is_valid_slug(value) {
            return Err(Error::BadRequest(format!(
                "{} is not a valid {what}: use lower-case letters, digits and dashes",
                shown(value)
            )));
        }
    }
    check_settings(&new.settings)?;
    if let Some(token) = &new.bearer_token {
        if token.chars().count() < 16 || token.chars().any(char::is_whitespace) {
            return Err(Error::BadRequest(
                "a bearer token must be at least 16 characters, without spaces".into(),
            ));
        }
    }
    Ok(())
}

/// Creates a data set and its write token (shown this once).
pub async fn create(ctx: &Ctx<'_>, mut new: NewDataSet) -> Result<DataSetWithToken> {
    may_manage(ctx, &new.data_group).await?;
    if let Some(name) = &new.from_type {
        // What was sent is checked before the data type's settings replace it.
        check_settings(&new.settings)?;
        take_type(&mut new.settings, name)?;
    }
    check_new(&new)?;
    if data_sets::find(ctx.store, &new.data_group, &new.data_type)
        .await?
        .is_some()
    {
        return Err(Error::Conflict(format!(
            "The data set {}/{} already exists.",
            new.data_group, new.data_type
        )));
    }
    let service_id = orgs::service_id(ctx.store, &new.data_group).await?;
    let mut w = ctx.store.write().await?;
    let created = data_sets::create_with_token(
        &mut w,
        &new.data_group,
        &new.data_type,
        service_id,
        &new.settings,
        new.bearer_token,
        ctx.now,
    )
    .await?;
    w.commit(Note::new(
        &ctx.caller.actor(),
        "data-set.create",
        format!("data set {}", created.data_set.name),
        json!({}),
        ctx.now,
    ))
    .await?;
    Ok(created)
}

/// One data set's settings.
pub async fn show(ctx: &Ctx<'_>, group: &str, data_type: &str) -> Result<DataSet> {
    may_manage(ctx, group).await?;
    find(ctx, group, data_type).await
}

/// Changes the settings named in `changes` (a JSON object); the others stay
/// as they are.
pub async fn change(
    ctx: &Ctx<'_>,
    group: &str,
    data_type: &str,
    changes: Map<String, Value>,
) -> Result<DataSet> {
    may_manage(ctx, group).await?;
    let found = find(ctx, group, data_type).await?;
    let mut w = ctx.store.write().await?;
    // Read again in the write, the data set held until it commits: a change
    // to other settings made meanwhile (through another instance) is kept.
    let current = data_sets::hold(&mut w, found.id)
        .await?
        .ok_or_else(|| Error::NotFound(format!("There is no data set {group}/{data_type}.")))?;
    let mut settings = serde_json::to_value(DataSetSettings {
        auto_ids: current.auto_ids.clone(),
        schema: current.schema.clone(),
        queryable: current.queryable,
        published: current.published,
        realtime: current.realtime,
        raw_queries_allowed: current.raw_queries_allowed,
        max_age_expected: current.max_age_expected,
        upload_format: current.upload_format.clone(),
    })
    .map_err(anyhow::Error::from)?;
    for (key, value) in changes {
        settings[key] = value;
    }
    let settings: DataSetSettings =
        super::json::parse_json(&serde_json::to_vec(&settings).map_err(anyhow::Error::from)?)?;
    check_settings(&settings)?;
    let updated = data_sets::update(&mut w, current.id, &settings).await?;
    w.commit(Note::new(
        &ctx.caller.actor(),
        "data-set.change",
        format!("data set {}", current.name),
        serde_json::to_value(&settings).unwrap_or_default(),
        ctx.now,
    ))
    .await?;
    ctx.cache.invalidate(current.id);
    Ok(updated)
}

/// Deletes a data set with its records, history and write tokens (admins).
pub async fn remove(ctx: &Ctx<'_>, group: &str, data_type: &str) -> Result<DataSet> {
    ctx.caller.require(Permission::Admin)?;
    let current = find(ctx, group, data_type).await?;
    let mut w = ctx.store.write().await?;
    data_sets::delete(&mut w, &current).await?;
    w.commit(Note::new(
        &ctx.caller.actor(),
        "data-set.delete",
        format!("data set {}", current.name),
        json!({}),
        ctx.now,
    ))
    .await?;
    ctx.cache.forget(current.id);
    Ok(current)
}

/// Revokes the data set's write tokens and issues a new one.
pub async fn rotate_token(ctx: &Ctx<'_>, group: &str, data_type: &str) -> Result<DataSetToken> {
    may_manage(ctx, group).await?;
    let current = find(ctx, group, data_type).await?;
    let mut w = ctx.store.write().await?;
    let token = data_sets::rotate_token(&mut w, &current, ctx.now).await?;
    w.commit(Note::new(
        &ctx.caller.actor(),
        "data-set.token",
        format!("data set {}", current.name),
        json!({}),
        ctx.now,
    ))
    .await?;
    Ok(DataSetToken {
        name: current.name,
        bearer_token: token,
    })
}

/// The correction history, newest first, at most `limit` entries (from 1 to
/// 100,000; 1,000 when not given). Those who manage the data set read it, and
/// so does its writer.
pub async fn history(
    ctx: &Ctx<'_>,
    group: &str,
    data_type: &str,
    limit: Option<i64>,
) -> Result<DataSetHistory> {
    if !ctx
        .caller
        .may_write_records(ctx.store, group, data_type)
        .await?
    {
        may_manage(ctx, group).await?;
    }
    let current = find(ctx, group, data_type).await?;
    let limit = super::query::params::list_limit(limit, 1000, app::kpi::MAX_ROWS as i64)
        .map_err(Error::BadRequest)?;
    Ok(DataSetHistory {
        name: current.name,
        history: history::list(ctx.store, current.id, limit).await?,
    })
}

/// A spreadsheet read and checked against the data set (nothing stored):
/// refused before the file is read to a caller who may neither write nor
/// manage it.
pub async fn check_upload(
    ctx: &Ctx<'_>,
    group: &str,
    data_type: &str,
    file_name: &str,
    bytes: &[u8],
) -> Result<(DataSet, super::upload::Prepared)> {
    may_write_or_manage(ctx, group, data_type).await?;
    let data_set = find(ctx, group, data_type).await?;
    let prepared = super::upload::prepare(ctx.store, &data_set, file_name, bytes).await?;
    let names = super::records::names_of(&prepared.records);
    super::records::fields_fit(ctx, &data_set, &names).await?;
    Ok((data_set, prepared))
}

/// Access for an upload, checked before its body is read.
pub async fn may_upload(ctx: &Ctx<'_>, group: &str, data_type: &str) -> Result<()> {
    may_write_or_manage(ctx, group, data_type).await?;
    find(ctx, group, data_type).await.map(|_| ())
}

/// Stores a checked spreadsheet: every record in one write, noted in the
/// correction history and the audit log. Only a file without problems is
/// stored; one with problems is refused, with its preview, and nothing is.
pub async fn store_upload(
    ctx: &Ctx<'_>,
    data_set: &DataSet,
    file_name: &str,
    prepared: super::upload::Prepared,
) -> Result<std::result::Result<UploadPreview, UploadRefused>> {
    if !prepared.preview.problems.is_empty() {
        let n = prepared.preview.problem_count;
        return Ok(Err(UploadRefused {
            status: "error".into(),
            message: format!(
                "{file_name} has {} problem{}; nothing was stored. Correct {} and upload it again.",
                app::kpi::format_count(n as f64),
                if n == 1 { "" } else { "s" },
                if n == 1 { "it" } else { "them" },
            ),
            preview: prepared.preview,
        }));
    }
    let super::upload::Prepared {
        mut preview,
        records: checked,
        rows,
        ..
    } = prepared;
    // The bound on fields, counted again as the write begins (records
    // written since the file was checked, through any instance, counted).
    let names = super::records::names_of(&checked);
    let (_held, mut w) = super::records::begin_within_fields(ctx, data_set, &names).await?;
    // Checked again as it is written, the data set held until this write
    // commits: a record written since the file was checked (through this
    // instance or another) that makes the same id from other values is not
    // replaced by mistake.
    let ids: Vec<&str> = checked.iter().map(|r| r.id.as_str()).collect();
    let stored = records::hold_and_find(&mut w, data_set.id, &ids).await?;
    let clashes = super::ingest::clashes(&data_set.auto_ids, &checked, &stored);
    if !clashes.is_empty() {
        preview.problem_count = clashes.len();
        preview.problems = clashes
            .into_iter()
            .take(super::upload::SHOWN_PROBLEMS)
            .map(|p| app::model::UploadProblem {
                row: rows.get(p.index).copied(),
                column: None,
                message: p.message,
            })
            .collect();
        let n = preview.problem_count;
        return Ok(Err(UploadRefused {
            status: "error".into(),
            message: format!(
                "{file_name} has {} problem{} with records stored since it was checked; nothing \
                 was stored. Correct {} and upload it again.",
                app::kpi::format_count(n as f64),
                if n == 1 { "" } else { "s" },
                if n == 1 { "it" } else { "them" },
            ),
            preview,
        }));
    }
    let summary = json!({
        "file_name": file_name,
        "records": preview.records,
    });
    let written = records::upsert_upload(
        &mut w,
        data_set.id,
        &checked,
        &ctx.caller.acting().history,
        ctx.now,
        file_name,
        &summary,
    )
    .await?;
    // What was written, as it was (the preview was of the records stored
    // when the file was checked): the same counts as the write's own.
    super::upload::compare(&mut preview, &checked, &rows, &stored);
    w.commit(Note::new(
        &ctx.caller.actor(),
        "records.upload",
        format!("data set {}", data_set.name),
        json!({
            "file_name": file_name,
            "records": preview.records,
            "new": written.inserted,
            "replaced": written.replaced,
            "unchanged": written.unchanged,
        }),
        ctx.now,
    ))
    .await?;
    // (the table held is brought up to date by the next read, with only the
    // records this upload changed: see `Cache::table`)
    crate::metrics::records_written(written.inserted, written.replaced, written.unchanged);
    preview.stored = true;
    Ok(Ok(preview))
}
