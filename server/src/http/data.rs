//! `/data/{group}/{type}`: the Backdrop-compatible data API.
//!
//! Writes (`POST`, `PUT []`, `PATCH`, `DELETE`) need the data set's bearer token
//! (or an admin key); reads (`GET`) are public. The status codes and messages are
//! Backdrop's, so its Python client and existing collectors work unchanged; where
//! Pulse does better (atomic batches, error positions, correction history) the
//! answers only grow.

use std::collections::BTreeSet;
use std::io::Read;

use axum::{
    body::{to_bytes, Body, Bytes},
    extract::{Path, RawQuery, State},
    http::{header, HeaderMap, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
    Json,
};
use chrono::Utc;
use serde_json::{json, Value};
use utoipa_axum::{router::OpenApiRouter, routes};

use super::AppState;
use crate::domain::caller::Caller;
use crate::domain::ingest::{self, Problem};
use crate::domain::query::answers::{Answer, Asked};
use crate::domain::query::table::Table;
use crate::domain::query::{execute, params};
use crate::domain::records::{self, Patched};
use crate::store::{api_keys, data_sets, data_sets::DataSet};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(read, write, empty, preflight))
        .routes(routes!(delete_record, patch_record))
}

/// The largest body accepted, before and after gzip decompression.
pub const MAX_BODY_BYTES: usize = 10 * 1024 * 1024;

fn no_cache(mut response: Response) -> Response {
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    response
}

fn error(status: StatusCode, message: impl Into<String>) -> Response {
    let body = json!({ "status": "error", "message": message.into() });
    no_cache((status, Json(body)).into_response())
}

fn unauthorized(message: &str) -> Response {
    let mut response = error(StatusCode::UNAUTHORIZED, message);
    response
        .headers_mut()
        .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("bearer"));
    response
}

fn ok(extra: Option<(&str, String)>) -> Response {
    let mut body = json!({ "status": "ok" });
    if let Some((key, value)) = extra {
        body[key] = Value::String(value);
    }
    no_cache((StatusCode::OK, Json(body)).into_response())
}

/// A failure on Pulse's side, answered as every route answers one: logged and
/// a 500, or a 503 with `Retry-After` when the database cannot be reached or
/// written just now (see `crate::error`).
fn internal(e: impl Into<crate::error::Error>) -> Response {
    e.into().into_response()
}

/// Finds the data set and checks the bearer token, in Backdrop's order.
/// Returns the data set and who is writing.
async fn authorise(
    state: &AppState,
    group: &str,
    data_type: &str,
    headers: &HeaderMap,
) -> Result<(DataSet, Caller), Response> {
    let data_set = match data_sets::find(&state.store, group, data_type).await {
        Ok(Some(ds)) => ds,
        Ok(None) => {
            return Err(error(
                StatusCode::NOT_FOUND,
                "Could not find data_set_config",
            ))
        }
        Err(e) => return Err(internal(e)),
    };
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Err(unauthorized(
            "Expected header of form: Authorization: Bearer <token>",
        ));
    };
    let token = value
        .to_str()
        .ok()
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .filter(|t| !t.is_empty());
    let Some(token) = token else {
        return Err(unauthorized("Unauthorized: Invalid bearer token"));
    };
    let key = match api_keys::authenticate(&state.store, token, Utc::now()).await {
        Ok(Some(key)) => key,
        Ok(None) => return Err(unauthorized("Unauthorized: Invalid bearer token")),
        Err(e) => return Err(internal(e)),
    };
    if !key.has_scope(&api_keys::write_scope(&data_set.name)) {
        return Err(unauthorized("Unauthorized: Invalid bearer token"));
    }
    // A person's key is held to its owner as they are now, on every use.
    let caller = match Caller::of_key(&state.store, key).await {
        Ok(caller) => caller,
        Err(crate::error::Error::Unauthorized(_)) => {
            return Err(unauthorized(
                "Unauthorized: the key's owner has been deactivated",
            ))
        }
        Err(e) => return Err(internal(e)),
    };
    match caller
        .may_write_records(&state.store, &data_set.data_group, &data_set.data_type)
        .await
    {
        Ok(true) => Ok((data_set, caller)),
        Ok(false) => Err(error(
            StatusCode::FORBIDDEN,
            "Forbidden: the key's owner may no longer write this data set \
             (their role or organisations have changed)",
        )),
        Err(e) => Err(internal(e)),
    }
}

/// Reads the body, gunzips it if it says so, and parses it as JSON.
/// A write's body, unzipped when it says it is gzip: JSON, at most
/// [`MAX_BODY_BYTES`], or the answer that says why not.
async fn body_bytes(headers: &HeaderMap, body: Body) -> Result<Bytes, Response> {
    let too_large = || {
        error(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("The request body is larger than the limit of {MAX_BODY_BYTES} bytes."),
        )
    };
    let bytes: Bytes = to_bytes(body, MAX_BODY_BYTES).await.map_err(|e| {
        if super::extract::too_long(&e) {
            too_large()
        } else {
            error(StatusCode::BAD_REQUEST, super::extract::unread(&e))
        }
    })?;
    if bytes.is_empty() {
        return Err(error(
            StatusCode::BAD_REQUEST,
            "Expected JSON request body but received zero bytes.",
        ));
    }
    let is_json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("application/json"));
    if !is_json {
        let body = json!({ "messages": ["Expected header: Content-type: application/json"] });
        return Err(no_cache(
            (StatusCode::BAD_REQUEST, Json(body)).into_response(),
        ));
    }
    let gzipped = headers
        .get(header::CONTENT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("gzip"));
    let bytes = if gzipped {
        let mut out = Vec::new();
        let mut decoder = flate2::read::GzDecoder::new(&bytes[..]).take(MAX_BODY_BYTES as u64 + 1);
        if decoder.read_to_end(&mut out).is_err() {
            return Err(error(
                StatusCode::BAD_REQUEST,
                "The request body says it is gzip-compressed but is not valid gzip.",
            ));
        }
        if out.len() > MAX_BODY_BYTES {
            return Err(too_large());
        }
        Bytes::from(out)
    } else {
        bytes
    };
    Ok(bytes)
}

/// A body that is not JSON: the parser's words.
fn not_json(e: impl std::fmt::Display) -> Response {
    error(StatusCode::BAD_REQUEST, format!("Error parsing JSON: {e}"))
}

/// An authorised write's data set, its writer, and its body as sent.
async fn authorised_body(
    state: &AppState,
    group: &str,
    data_type: &str,
    headers: &HeaderMap,
    body: Body,
) -> Result<(DataSet, Caller, Bytes), Response> {
    let (data_set, caller) = authorise(state, group, data_type, headers).await?;
    let bytes = body_bytes(headers, body).await?;
    Ok((data_set, caller, bytes))
}

/// The most problems one refused write lists (a 10 MB body may hold a
/// million records, each wrong: listed, they made an answer of 140 MB).
const MOST_PROBLEMS_LISTED: usize = 1_000;

/// A validation failure: Backdrop's `messages`, and where each problem is
/// (the first [`MOST_PROBLEMS_LISTED`], and then how many more there are).
/// `count` is how many there are, of which `problems` are the first.
fn invalid(problems: &[Problem], count: usize) -> Response {
    let listed = &problems[..problems.len().min(MOST_PROBLEMS_LISTED)];
    let mut messages: Vec<String> = listed.iter().map(|p| p.message.clone()).collect();
    if count > listed.len() {
        messages.push(format!(
            "...and {} more problems: only the first {} are listed. Nothing was written.",
            app::kpi::format_count((count - listed.len()) as f64),
            app::kpi::format_count(MOST_PROBLEMS_LISTED as f64),
        ));
    }
    let body = json!({ "messages": messages, "errors": listed });
    no_cache((StatusCode::BAD_REQUEST, Json(body)).into_response())
}

/// Stores records: one object or a list, all or nothing. A record with the `_id`
/// of a stored one (given, or made from the data set's `auto_ids`) replaces it.
#[utoipa::path(post, path = "/data/{group}/{data_type}", tag = "data (Backdrop)", security(("bearer" = [])),
    params(("group" = String, Path), ("data_type" = String, Path)),
    request_body(content = serde_json::Value, content_type = "application/json",
        description = "A record or a list of records (flat JSON objects with `_timestamp`); may be gzip-encoded"),
    responses(
        (status = 200, description = "`{\"status\":\"ok\"}`", body = serde_json::Value),
        (status = 400, description = "Bad body, or invalid records (among them a record whose identifying values make the id of another with other values): `{\"messages\":[...],\"errors\":[{\"index\",\"field\",\"message\"}]}`, the first 1,000 problems and then a message saying how many more", body = serde_json::Value),
        (status = 401, description = "No or wrong bearer token", body = serde_json::Value),
        (status = 404, description = "`Could not find data_set_config`", body = serde_json::Value),
        (status = 409, description = "The records bring new fields and were written to through other instances of Pulse while they were counted, four times over: nothing was stored; send them again", body = serde_json::Value),
        (status = 413, description = "Over 10 MiB (after decompression)", body = serde_json::Value)))]
async fn write(
    State(state): State<AppState>,
    Path((group, data_type)): Path<(String, String)>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let (data_set, caller, bytes) =
        match authorised_body(&state, &group, &data_type, &headers, body).await {
            Ok(found) => found,
            Err(response) => return response,
        };
    // Read and checked a record at a time, on a thread of its own: a body of
    // 10 MB may hold a million records.
    let (data_set, checked) = match tokio::task::spawn_blocking(move || {
        let checked = ingest::check_json_for(&data_set, &bytes, MOST_PROBLEMS_LISTED);
        (data_set, checked)
    })
    .await
    {
        Ok(done) => done,
        Err(e) => return internal(anyhow::anyhow!("checking a write's records failed: {e}")),
    };
    let (batch, ids_may_exist) = match checked {
        Ok(checked) => (checked.records, checked.ids_may_exist),
        Err(ingest::Refused::Invalid { problems, count }) => return invalid(&problems, count),
        Err(ingest::Refused::Json(e)) => return not_json(e),
        Err(ingest::Refused::BadSchema(e)) => return internal(anyhow::anyhow!(e)),
    };
    let ctx = state.ctx(&caller);
    let written = records::write_batch(
        &ctx,
        &data_set,
        &batch,
        ids_may_exist,
        records::Source::Api,
        &mut |_| {},
    )
    .await;
    match written {
        Ok(records::Wrote::Done(_)) => ok(None),
        Ok(records::Wrote::Clashes(problems)) => invalid(&problems, problems.len()),
        Err(e) => internal(e),
    }
}

/// Empties the data set: the body must be exactly `[]`.
#[utoipa::path(put, path = "/data/{group}/{data_type}", tag = "data (Backdrop)", security(("bearer" = [])),
    params(("group" = String, Path), ("data_type" = String, Path)),
    request_body(content = serde_json::Value, content_type = "application/json", description = "`[]`"),
    responses((status = 200, description = "`{\"status\":\"ok\",\"message\":\"NAME now contains 0 records\"}`", body = serde_json::Value),
              (status = 400, description = "`Not implemented: you can only pass an empty JSON list`", body = serde_json::Value)))]
async fn empty(
    State(state): State<AppState>,
    Path((group, data_type)): Path<(String, String)>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let (data_set, caller, bytes) =
        match authorised_body(&state, &group, &data_type, &headers, body).await {
            Ok(found) => found,
            Err(response) => return response,
        };
    // JSON, read without keeping what it holds; then, is it an empty list?
    if let Err(e) = serde_json::from_slice::<serde::de::IgnoredAny>(&bytes) {
        return not_json(e);
    }
    let empty = serde_json::from_slice::<Vec<serde::de::IgnoredAny>>(&bytes);
    if !empty.is_ok_and(|items| items.is_empty()) {
        return error(
            StatusCode::BAD_REQUEST,
            "Not implemented: you can only pass an empty JSON list",
        );
    }
    match records::empty(&state.ctx(&caller), &data_set).await {
        Ok(_) => ok(Some((
            "message",
            format!("{} now contains 0 records", data_set.name),
        ))),
        Err(e) => internal(e),
    }
}

/// Deletes one record (kept in the correction history).
#[utoipa::path(delete, path = "/data/{group}/{data_type}/{id}", tag = "data (Backdrop)", security(("bearer" = [])),
    params(("group" = String, Path), ("data_type" = String, Path), ("id" = String, Path, description = "The record's `_id`")),
    responses((status = 200, body = serde_json::Value), (status = 404, description = "`No record found with id ID`", body = serde_json::Value)))]
async fn delete_record(
    State(state): State<AppState>,
    Path((group, data_type, id)): Path<(String, String, String)>,
    headers: HeaderMap,
) -> Response {
    let (data_set, caller) = match authorise(&state, &group, &data_type, &headers).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    match records::delete(&state.ctx(&caller), &data_set, &id).await {
        Ok(true) => ok(None),
        Ok(false) => error(
            StatusCode::NOT_FOUND,
            format!("No record found with id {id}"),
        ),
        Err(e) => internal(e),
    }
}

/// Merges the body's fields into one record (not a replace). When the change
/// is to the fields its id is made from (the data set's `auto_ids`,
/// `_timestamp` among them), the record moves to the id they now make.
#[utoipa::path(patch, path = "/data/{group}/{data_type}/{id}", tag = "data (Backdrop)", security(("bearer" = [])),
    params(("group" = String, Path), ("data_type" = String, Path), ("id" = String, Path, description = "The record's `_id`")),
    request_body(content = serde_json::Value, content_type = "application/json", description = "The fields to change"),
    responses((status = 200, description = "`{\"status\":\"ok\"}`, with `\"_id\"` the record's new id when it moved", body = serde_json::Value),
        (status = 400, description = "Invalid merged record, or a move to an id another record has: `{\"messages\":[...],\"errors\":[...]}`", body = serde_json::Value),
        (status = 404, body = serde_json::Value),
        (status = 409, description = "The record brings new fields and the data set was written to through other instances of Pulse while they were counted, four times over: nothing was changed; send it again", body = serde_json::Value)))]
async fn patch_record(
    State(state): State<AppState>,
    Path((group, data_type, id)): Path<(String, String, String)>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let (data_set, caller, bytes) =
        match authorised_body(&state, &group, &data_type, &headers, body).await {
            Ok(found) => found,
            Err(response) => return response,
        };
    let value = match serde_json::from_slice(&bytes) {
        Ok(value) => value,
        Err(e) => return not_json(e),
    };
    let Value::Object(changes) = value else {
        let problem = Problem {
            index: 0,
            field: None,
            message: "record is not a JSON object".into(),
        };
        return invalid(&[problem], 1);
    };
    match records::patch(&state.ctx(&caller), &data_set, &id, changes).await {
        Ok(Patched::Done) => ok(None),
        Ok(Patched::Moved(new_id)) => ok(Some(("_id", new_id))),
        Ok(Patched::NotFound) => error(
            StatusCode::NOT_FOUND,
            format!("No record found with id {id}"),
        ),
        Ok(Patched::Invalid(problems)) => invalid(&problems, problems.len()),
        Err(e) => internal(e),
    }
}

/// The data sets one page has read (see [`app::api::PageScope`]): a page
/// whose modules read one data set several times reads its row (and so its
/// version) once, and shows every module as of that one version.
#[derive(Debug, Default)]
pub struct PageReads(std::sync::Mutex<rustc_hash::FxHashMap<(String, String), DataSet>>);

impl PageReads {
    async fn find(
        &self,
        store: &crate::store::Store,
        group: &str,
        data_type: &str,
    ) -> Result<Option<DataSet>, crate::store::error::Error> {
        let key = (group.to_string(), data_type.to_string());
        if let Some(found) = self.0.lock().expect("page reads").get(&key) {
            return Ok(Some(found.clone()));
        }
        let found = data_sets::find(store, group, data_type).await?;
        if let Some(ds) = &found {
            self.0
                .lock()
                .expect("page reads")
                .entry(key)
                .or_insert_with(|| ds.clone());
        }
        Ok(found)
    }
}

const UNPUBLISHED_WARNING: &str =
    "Warning: This data-set is unpublished. Data may be subject to change or be inaccurate.";

fn cors(response: &mut Response) {
    response.headers_mut().insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
}

/// Reads records, raw or aggregated, as Backdrop answered.
#[utoipa::path(get, path = "/data/{group}/{data_type}", tag = "data (Backdrop)",
    params(("group" = String, Path), ("data_type" = String, Path),
        ("start_at" = Option<String>, Query, description = "ISO 8601 with an offset (send `+` as `%2B`); records at or after it; in the years 1900 to 2200"),
        ("end_at" = Option<String>, Query, description = "ISO 8601 with an offset; records before it; in the years 1900 to 2200 (or the first instant of 2201, the end of 2200). With a period, `start_at` to `end_at` may cover at most 1,000 periods"),
        ("inclusive" = Option<bool>, Query, description = "Make `end_at` inclusive"),
        ("period" = Option<String>, Query, description = "hour, day, week, month, quarter or year"),
        ("duration" = Option<u32>, Query, minimum = 1, maximum = 1000, description = "A number of periods (1 to 1,000), counted from `start_at`, back from `end_at`, or, with neither, back from the start of the current period (the last complete periods; ask with `end_at` for the unfinished one)"),
        ("filter_by" = Option<Vec<String>>, Query, max_items = 20, description = "`field:value`, repeatable (at most 20 times)"),
        ("filter_by_prefix" = Option<Vec<String>>, Query, max_items = 20, description = "`field:prefix`, repeatable (at most 20 times)"),
        ("group_by" = Option<Vec<String>>, Query, max_items = 20, description = "A field, repeatable (at most 20 times)"),
        ("collect" = Option<Vec<String>>, Query, max_items = 20, description = "`field:sum|count|set|mean|min|max`, repeatable (at most 20 times)"),
        ("sort_by" = Option<String>, Query, description = "`field:ascending|descending`"),
        ("limit" = Option<u32>, Query, minimum = 0, maximum = 100000, description = "At most this many records or groups (at most 100,000); 0 = no limit. An answer of more than 100,000 rows (records, groups, or groups times periods) is refused with a 400: narrow it"),
        ("flatten" = Option<bool>, Query, description = "One row per period and group"),
        ("format" = Option<String>, Query, description = "`csv` for CSV"),
        ("apportion" = Option<bool>, Query, description = "Pulse: with `period` and sums only, share each record between the periods it spans by its days (weeks into months); a record covers its data type's period in the catalogue or, for another type, the one its records' times show (each at the start of a day, a week, a month…)"),
        ("max_rows" = Option<u32>, Query, minimum = 1, maximum = 100000, description = "Pulse: refuse with a 400, before it is made, an answer of more than this many rows (records, groups, or groups times periods) rather than send it; 1 to 100,000 (the bound without it). A dashboard's module asks for no more than it can show")),
    responses(
        (status = 200, description = "`{\"data\":[...]}` (and a `warning` while unpublished), or CSV", body = serde_json::Value),
        (status = 400, description = "`{\"status\":\"error\",\"message\":...}`", body = serde_json::Value),
        (status = 404, description = "`data_set not found`", body = serde_json::Value)))]
async fn read(
    State(state): State<AppState>,
    Path((group, data_type)): Path<(String, String)>,
    RawQuery(query): RawQuery,
    scope: Option<axum::Extension<app::api::PageScope>>,
) -> Response {
    let not_found = || {
        let mut r = error(StatusCode::NOT_FOUND, "data_set not found");
        cors(&mut r);
        r
    };
    let page = scope
        .as_ref()
        .and_then(|s| s.0 .0.downcast_ref::<PageReads>());
    let found = match page {
        Some(page) => page.find(&state.store, &group, &data_type).await,
        None => data_sets::find(&state.store, &group, &data_type).await,
    };
    let data_set = match found {
        Ok(Some(ds)) if ds.queryable => ds,
        Ok(_) => return not_found(),
        Err(e) => return internal(e),
    };
    let cache_control = if !data_set.published {
        "no-cache"
    } else if data_set.realtime {
        "max-age=120, must-revalidate"
    } else {
        "max-age=1800, must-revalidate"
    };
    let now = Utc::now();
    let asked = Asked {
        data_set: data_set.id,
        version: data_set.version,
        published: data_set.published,
        query: query.clone().unwrap_or_default(),
        hour: now.timestamp().div_euclid(3600),
    };
    if let Some(answer) = state.cache.answers.get(&asked) {
        return answered(answer, cache_control);
    }
    let pairs: Vec<(String, String)> = form_urlencoded::parse(query.unwrap_or_default().as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    let bad_request = |message: String| {
        let mut r = error(StatusCode::BAD_REQUEST, message);
        cors(&mut r);
        r
    };
    // How long a record covers, for `apportion`: the catalogue's, or what the
    // records' times show (worked out once a version).
    let frequency = match app::catalogue::frequency(&data_set.data_type) {
        None if pairs.iter().any(|(k, v)| k == "apportion" && v == "true") => match state
            .cache
            .whole(
                &state.store,
                data_set.id,
                data_set.version,
                &data_set.data_type,
            )
            .await
        {
            Ok(whole) => whole.frequency,
            Err(e) => return internal(e),
        },
        known => known,
    };
    let query = match params::parse(
        &pairs,
        params::Allowances {
            raw_queries_allowed: data_set.raw_queries_allowed,
            frequency,
        },
    ) {
        Ok(query) => query,
        Err(message) => return bad_request(message),
    };
    let table = match state
        .cache
        .table(&state.store, data_set.id, data_set.version)
        .await
    {
        Ok(table) => table,
        Err(e) => return internal(e),
    };
    // Worked out on a thread of its own, a few at a time: a query that takes
    // seconds never holds up the requests served beside it.
    let published = data_set.published;
    let worked = state
        .cache
        .work
        .run(move || -> Result<Answer, Result<String, anyhow::Error>> {
            let mut query = query;
            // CSV has one row per period and group.
            query.flatten |= query.csv && query.period.is_some() && !query.group_by.is_empty();
            let rows = execute::run(&table, &query, now).map_err(Ok)?;
            if query.csv {
                return Ok(Answer {
                    csv: true,
                    body: Bytes::from(to_csv(&table, &rows)),
                });
            }
            // Written a row at a time: `{"data":[...]}`, and the warning.
            let mut body = b"{\"data\":".to_vec();
            rows.write_json(&table, &mut body)
                .map_err(|e| Err(e.into()))?;
            if !published {
                body.extend_from_slice(b",\"warning\":");
                serde_json::to_writer(&mut body, UNPUBLISHED_WARNING).map_err(|e| Err(e.into()))?;
            }
            body.push(b'}');
            Ok(Answer {
                csv: false,
                body: Bytes::from(body),
            })
        })
        .await;
    let answer = match worked {
        Ok(Ok(answer)) => answer,
        Ok(Err(Ok(message))) => return bad_request(message),
        Ok(Err(Err(e))) | Err(e) => return internal(e),
    };
    state.cache.answers.put(asked, answer.clone());
    answered(answer, cache_control)
}

/// A read's answer, as sent.
fn answered(answer: Answer, cache_control: &'static str) -> Response {
    let mut response = if answer.csv {
        (
            [
                (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
                (
                    header::CONTENT_DISPOSITION,
                    "attachment; filename=export.csv",
                ),
            ],
            answer.body,
        )
            .into_response()
    } else {
        ([(header::CONTENT_TYPE, "application/json")], answer.body).into_response()
    };
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static(cache_control),
    );
    cors(&mut response);
    response
}

/// Rows as CSV: a header of the sorted union of keys, CRLF line ends.
pub fn to_csv(table: &Table, rows: &execute::Rows) -> String {
    let mut keys: BTreeSet<String> = BTreeSet::new();
    rows.each(table, |row| {
        for key in row.as_object().into_iter().flat_map(|r| r.keys()) {
            if !keys.contains(key) {
                keys.insert(key.clone());
            }
        }
    });
    let mut writer = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(Vec::new());
    let _ = writer.write_record(&keys);
    rows.each(table, |row| {
        let Some(row) = row.as_object() else { return };
        let cells = keys.iter().map(|k| match row.get(k) {
            None | Some(Value::Null) => String::new(),
            Some(Value::String(s)) => s.clone(),
            Some(other) => other.to_string(),
        });
        let _ = writer.write_record(cells);
    });
    String::from_utf8(writer.into_inner().unwrap_or_default()).unwrap_or_default()
}

/// CORS preflight for reads.
#[utoipa::path(options, path = "/data/{group}/{data_type}", tag = "data (Backdrop)",
    params(("group" = String, Path), ("data_type" = String, Path)),
    responses((status = 200, description = "CORS headers; `Access-Control-Max-Age: 86400`")))]
async fn preflight() -> Response {
    let mut response = StatusCode::OK.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    headers.insert(
        header::ACCESS_CONTROL_MAX_AGE,
        HeaderValue::from_static("86400"),
    );
    headers.insert(
        header::ACCESS_CONTROL_ALLOW_HEADERS,
        HeaderValue::from_static("cache-control, govuk-request-id, request-id"),
    );
    headers.insert(
        header::ACCESS_CONTROL_ALLOW_METHODS,
        HeaderValue::from_static("GET, OPTIONS"),
    );
    response
}
