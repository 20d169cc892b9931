//! `/data-sets/{group}/{type}`: a spreadsheet upload for editors. The file is
//! sent to `POST /api/v1/data-sets/{group}/{type}/upload`, which answers a
//! preview — the rows read, every problem by row and column, how many records
//! are new and which would replace stored ones, before and after — and nothing
//! is stored until the editor confirms (the same file sent with `store=true`).
//! Under it, the data set's correction history, where the upload then shows.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;
use serde_json::Value;

use crate::api;
use crate::components::problem::ProblemSummary;
use crate::kpi::{format_count, format_date};
use crate::model::{HistoryEntry, Role, SessionState, UploadPreview};

#[component]
pub fn DataSetPage() -> impl IntoView {
    let params = use_params_map();
    let group = params.with_untracked(|p| p.get("group").unwrap_or_default());
    let data_type = params.with_untracked(|p| p.get("data_type").unwrap_or_default());
    let session = Resource::new(|| (), |_| api::session());
    let version = RwSignal::new(0u32);
    let history = Resource::new(move || version.get(), {
        let (group, data_type) = (group.clone(), data_type.clone());
        move |_| {
            let (group, data_type) = (group.clone(), data_type.clone());
            super::when_signed_in(session, |user| async move {
                if user.role >= Role::Editor {
                    api::history(group, data_type).await
                } else {
                    Ok(Vec::new())
                }
            })
        }
    });
    let name = format!("{group}/{data_type}");
    view! {
        <Title text=format!("Upload to {name} - Pulse")/>
        <Suspense fallback=|| view! { <p class="govuk-body">"Loading…"</p> }>
            {move || {
                let (group, data_type) = (group.clone(), data_type.clone());
                Suspend::new(async move {
                    match session.await {
                        Ok(SessionState { user: Some(user), csrf_token, .. }) if user.role >= Role::Editor => {
                            view! { <Uploader group data_type csrf=csrf_token.unwrap_or_default() version history/> }.into_any()
                        }
                        _ => {
                            super::set_status(401);
                            let next = format!("/data-sets/{group}/{data_type}");
                            let href = super::sign_in_href(&next);
                            view! {
                                <h1 class="govuk-heading-xl">"Upload a spreadsheet"</h1>
                                <p class="govuk-body" id="sign-in-needed">
                                    "You need to "<a class="govuk-link" href=href>"sign in"</a>
                                    " as an editor of the service to upload figures."
                                </p>
                            }.into_any()
                        }
                    }
                })
            }}
        </Suspense>
    }
}

/// A record's fields in a line (`channel: digital, count: 812`), without its date.
fn fields_text(v: &Value) -> String {
    match v.as_object() {
        Some(map) => map
            .iter()
            .filter(|(k, _)| !["_timestamp", "_id"].contains(&k.as_str()))
            .map(|(k, v)| match v {
                Value::String(s) => format!("{k}: {s}"),
                other => format!("{k}: {other}"),
            })
            .collect::<Vec<_>>()
            .join(", "),
        None => v.to_string(),
    }
}

fn when(v: &Value) -> String {
    v.get("_timestamp")
        .and_then(Value::as_str)
        .map(|s| s.chars().take(10).collect())
        .unwrap_or_default()
}

#[component]
fn Uploader(
    group: String,
    data_type: String,
    csrf: String,
    version: RwSignal<u32>,
    history: Resource<Result<Vec<HistoryEntry>, api::ApiError>>,
) -> impl IntoView {
    let name = format!("{group}/{data_type}");
    let path = format!(
        "/api/v1/data-sets/{}/{}/upload",
        api::encode_component(&group),
        api::encode_component(&data_type)
    );
    let csrf = StoredValue::new(csrf);
    let path = StoredValue::new(path);
    let problem = RwSignal::new(None::<String>);
    let preview = RwSignal::new(None::<UploadPreview>);
    let busy = RwSignal::new(false);
    let input = NodeRef::<leptos::html::Input>::new();
    let template = crate::catalogue::find(&data_type).map(|t| {
        let fields: Vec<String> = t.fields.iter().map(|f| f.name.clone()).collect();
        (
            format!("/api/v1/data-types/{data_type}/template.csv"),
            fields.join(", "),
            t.title,
        )
    });

    // (asked again once a file is stored, which only the browser does)
    #[cfg(not(feature = "hydrate"))]
    let _ = version;
    // Sends the chosen file: a preview, or (`store`) the records themselves.
    let send = move |store: bool| {
        #[cfg(feature = "hydrate")]
        {
            let Some(file) = input
                .get_untracked()
                .and_then(|i| i.files())
                .and_then(|f| f.get(0))
            else {
                problem.set(Some("Choose a CSV or Excel (.xlsx) file to upload.".into()));
                return;
            };
            let file_name = file.name();
            let mut query = vec![("file_name", file_name)];
            if store {
                query.push(("store", "true".to_string()));
            }
            let url =
                crate::query_string::href(&path.get_value(), &crate::query_string::encode(&query));
            let token = csrf.get_value();
            busy.set(true);
            leptos::task::spawn_local(async move {
                let answer = api::upload_file::<UploadPreview>(url, file, token).await;
                busy.set(false);
                match answer {
                    Ok(p) => {
                        problem.set(None);
                        if p.stored {
                            version.update(|v| *v += 1);
                        }
                        preview.set(Some(p));
                        // What was found, announced and met first by keyboard:
                        // its problems, that it was stored, or what it holds.
                        crate::components::navigation::focus_soon(
                            ["upload-problems", "upload-stored", "preview-heading"]
                                .map(String::from)
                                .to_vec(),
                        );
                    }
                    Err(e) => {
                        preview.set(None);
                        problem.set(Some(match e {
                            api::ApiError::Status { message, .. } => message,
                            other => other.to_string(),
                        }));
                    }
                }
            });
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = (store, input, path, csrf, busy);
    };
    let check = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        preview.set(None);
        send(false);
    };

    view! {
        <div class="govuk-breadcrumbs">
            <ol class="govuk-breadcrumbs__list">
                <li class="govuk-breadcrumbs__list-item"><a class="govuk-breadcrumbs__link" href="/build">"Build a dashboard"</a></li>
            </ol>
        </div>
        <span class="govuk-caption-l">{name.clone()}</span>
        <h1 class="govuk-heading-xl">"Upload a spreadsheet"</h1>
        <ProblemSummary problem id="upload-problem"/>
        {template.map(|(href, fields, title)| view! {
            <p class="govuk-body">
                {format!("A {} spreadsheet has a header row naming the fields ({fields}), then one record per row. ", title.to_ascii_lowercase())}
                <a class="govuk-link" href=href id="template-link">"Download the CSV template"</a>"."
            </p>
        })}
        <p class="govuk-body">"Pulse checks every row and shows you what it found before anything is stored. A file is stored whole or not at all."</p>
        <form on:submit=check class="pulse-upload" id="upload-form">
            <div class="govuk-form-group">
                <label class="govuk-label govuk-label--s" for="upload-file">"Choose a CSV or Excel (.xlsx) file"</label>
                <div class="govuk-hint" id="upload-file-hint">"At most 10 MB, 500,000 records and 1,000,000 cells. Dates as 2026-11-16 or 2026-11-16T00:00:00Z; the first sheet of a workbook is read."</div>
                <input class="govuk-file-upload" id="upload-file" name="file" type="file" node_ref=input
                    accept=".csv,.xlsx,text/csv,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
                    aria-describedby="upload-file-hint"
                    on:change=move |_| preview.set(None)/>
            </div>
            <button type="submit" class="govuk-button govuk-button--secondary" id="check-file" data-module="govuk-button" disabled=move || busy.get()>
                "Check the file"
            </button>
        </form>
        {move || preview.get().map(|p| view! { <PreviewView preview=p on_store=Callback::new(move |_| send(true)) busy/> })}
        <h2 class="govuk-heading-l" id="history-heading">"Correction history"</h2>
        <Suspense fallback=|| view! { <p class="govuk-body">"Loading the history…"</p> }>
            {move || Suspend::new(async move {
                match history.await {
                    Ok(entries) => view! { <HistoryTable entries/> }.into_any(),
                    Err(e) => view! { <p class="govuk-body">{e.to_string()}</p> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn PreviewView(
    preview: UploadPreview,
    on_store: Callback<()>,
    busy: RwSignal<bool>,
) -> impl IntoView {
    let p = preview;
    let n = p.records;
    let records = format_count(n as f64);
    // What storing would do is known only for a file without problems.
    let summary = if p.problems.is_empty() {
        format!(
            "{records} record{} read from {}: {} new, {} replacing stored records with other values, {} the same as stored.",
            if n == 1 { "" } else { "s" },
            p.file_name,
            format_count(p.new as f64),
            format_count(p.replaced as f64),
            format_count(p.unchanged as f64)
        )
    } else {
        format!(
            "{records} record{} read from {}.",
            if n == 1 { "" } else { "s" },
            p.file_name
        )
    };
    if p.stored {
        return view! {
            <div class="govuk-notification-banner govuk-notification-banner--success" role="alert" id="upload-stored" tabindex="-1"
                aria-labelledby="stored-title" data-module="govuk-notification-banner">
                <div class="govuk-notification-banner__header">
                    <h2 class="govuk-notification-banner__title" id="stored-title">"Success"</h2>
                </div>
                <div class="govuk-notification-banner__content">
                    <p class="govuk-notification-banner__heading">{format!("Stored {records} record{} from {}", if n == 1 { "" } else { "s" }, p.file_name)}</p>
                    <p class="govuk-body">{format!("{} new, {} replaced. The correction history below keeps the upload and every replaced value.", format_count(p.new as f64), format_count(p.replaced as f64))}</p>
                </div>
            </div>
        }
        .into_any();
    }
    let problems = !p.problems.is_empty();
    let problem_rows: Vec<_> = p
        .problems
        .iter()
        .map(|q| {
            view! {
                <tr class="govuk-table__row">
                    <td class="govuk-table__cell">{q.row.map(|r| r.to_string()).unwrap_or_else(|| "–".into())}</td>
                    <td class="govuk-table__cell">{q.column.clone().unwrap_or_else(|| "–".into())}</td>
                    <td class="govuk-table__cell">{q.message.clone()}</td>
                </tr>
            }
        })
        .collect();
    let replacement_rows: Vec<_> = p
        .replacements
        .iter()
        .map(|r| {
            view! {
                <tr class="govuk-table__row">
                    <td class="govuk-table__cell">{r.row}</td>
                    <td class="govuk-table__cell">{when(&r.after)}</td>
                    <td class="govuk-table__cell">{fields_text(&r.before)}</td>
                    <td class="govuk-table__cell">{fields_text(&r.after)}</td>
                </tr>
            }
        })
        .collect();
    let has_replacements = !replacement_rows.is_empty();
    let columns = p.columns.clone();
    let head: Vec<_> = std::iter::once("Row".to_string())
        .chain(columns.iter().cloned())
        .map(|c| view! { <th scope="col" class="govuk-table__header">{c}</th> })
        .collect();
    let rows: Vec<_> = p
        .rows
        .iter()
        .map(|r| {
            let cells: Vec<_> = columns
                .iter()
                .map(|c| {
                    let text = match r.record.get(c) {
                        Some(Value::String(s)) => s.clone(),
                        Some(v) => v.to_string(),
                        None => String::new(),
                    };
                    view! { <td class="govuk-table__cell">{text}</td> }
                })
                .collect();
            view! { <tr class="govuk-table__row"><th scope="row" class="govuk-table__header">{r.row}</th>{cells}</tr> }
        })
        .collect();
    let shown = p.rows.len();
    view! {
        <section class="pulse-upload__preview" aria-labelledby="preview-heading" id="upload-preview">
            <h2 class="govuk-heading-l" id="preview-heading" tabindex="-1">"What the file holds"</h2>
            <p class="govuk-body" id="upload-summary">{summary}</p>
            {problems.then(|| view! {
                <div class="govuk-error-summary" role="alert" tabindex="-1" id="upload-problems">
                    <h2 class="govuk-error-summary__title">{format!("{} problem{} found: nothing has been stored", format_count(p.problem_count as f64), if p.problem_count == 1 { "" } else { "s" })}</h2>
                    <div class="govuk-error-summary__body">
                        <p class="govuk-body">"Correct the file and upload it again."</p>
                    </div>
                </div>
                <table class="govuk-table" id="problem-table">
                    <caption class="govuk-table__caption govuk-table__caption--m">{
                        if p.problem_count > p.problems.len() {
                            format!("Problems: the first {} of {}", format_count(p.problems.len() as f64), format_count(p.problem_count as f64))
                        } else {
                            "Problems".to_string()
                        }
                    }</caption>
                    <thead class="govuk-table__head"><tr class="govuk-table__row">
                        <th scope="col" class="govuk-table__header">"Row"</th>
                        <th scope="col" class="govuk-table__header">"Column"</th>
                        <th scope="col" class="govuk-table__header">"Problem"</th>
                    </tr></thead>
                    <tbody class="govuk-table__body">{problem_rows}</tbody>
                </table>
            })}
            {has_replacements.then(|| view! {
                <table class="govuk-table" id="replacement-table">
                    <caption class="govuk-table__caption govuk-table__caption--m">"Records this would replace"</caption>
                    <thead class="govuk-table__head"><tr class="govuk-table__row">
                        <th scope="col" class="govuk-table__header">"Row"</th>
                        <th scope="col" class="govuk-table__header">"Date"</th>
                        <th scope="col" class="govuk-table__header">"Before"</th>
                        <th scope="col" class="govuk-table__header">"After"</th>
                    </tr></thead>
                    <tbody class="govuk-table__body">{replacement_rows}</tbody>
                </table>
            })}
            {(!problems).then(|| view! {
                <button type="button" class="govuk-button" id="store-file" data-module="govuk-button"
                    disabled=move || busy.get() on:click=move |_| on_store.run(())>
                    {format!("Store these {records} records")}
                </button>
            })}
            <div class="pulse-table-scroll" role="region" aria-labelledby="rows-caption" tabindex="0">
                <table class="govuk-table pulse-upload__rows" id="rows-table">
                    <caption class="govuk-table__caption govuk-table__caption--s" id="rows-caption">
                        {if shown < n { format!("The first {shown} rows as read") } else { "The rows as read".to_string() }}
                    </caption>
                    <thead class="govuk-table__head"><tr class="govuk-table__row">{head}</tr></thead>
                    <tbody class="govuk-table__body">{rows}</tbody>
                </table>
            </div>
        </section>
    }
    .into_any()
}

#[component]
fn HistoryTable(entries: Vec<HistoryEntry>) -> impl IntoView {
    if entries.is_empty() {
        return view! { <p class="govuk-body" id="history-empty">"No corrections yet: nothing has been replaced, changed, deleted or uploaded."</p> }.into_any();
    }
    let rows: Vec<_> = entries
        .into_iter()
        .map(|e| {
            let what =
                match e.action.as_str() {
                    "upload" => {
                        let s = e.new_value.clone().unwrap_or_default();
                        format!(
                            "Uploaded {}: {} records ({} new, {} replaced)",
                            e.record_id, s["records"], s["new"], s["replaced"]
                        )
                    }
                    "replace" => format!(
                        "Replaced {} {}: {} → {}",
                        e.old_value.as_ref().map(when).unwrap_or_default(),
                        e.record_id,
                        e.old_value.as_ref().map(fields_text).unwrap_or_default(),
                        e.new_value.as_ref().map(fields_text).unwrap_or_default()
                    ),
                    "patch" => format!(
                        "Changed {}: {} → {}",
                        e.record_id,
                        e.old_value.as_ref().map(fields_text).unwrap_or_default(),
                        e.new_value.as_ref().map(fields_text).unwrap_or_default()
                    ),
                    "delete" => format!(
                        "Deleted {}: {}",
                        e.record_id,
                        e.old_value.as_ref().map(fields_text).unwrap_or_default()
                    ),
                    "move" => format!(
                        "Moved {} to {} (its identifying fields changed): {} → {}",
                        e.old_value
                            .as_ref()
                            .and_then(|v| v["_id"].as_str())
                            .unwrap_or_default(),
                        e.record_id,
                        e.old_value.as_ref().map(fields_text).unwrap_or_default(),
                        e.new_value.as_ref().map(fields_text).unwrap_or_default()
                    ),
                    "merge" => format!(
                    "Merged {} into {} (the same record, its date written another way): {} → {}",
                    e.old_value.as_ref().and_then(|v| v["_id"].as_str()).unwrap_or_default(),
                    e.record_id,
                    e.old_value.as_ref().map(fields_text).unwrap_or_default(),
                    e.new_value.as_ref().map(fields_text).unwrap_or_default()
                ),
                    "empty" => "Emptied the data set".to_string(),
                    other => other.to_string(),
                };
            view! {
                <tr class="govuk-table__row" data-action=e.action.clone()>
                    <td class="govuk-table__cell">{format_date(e.at)}</td>
                    <td class="govuk-table__cell">{e.actor.clone()}</td>
                    <td class="govuk-table__cell">{what}</td>
                </tr>
            }
        })
        .collect();
    view! {
        <table class="govuk-table" id="history-table">
            <caption class="govuk-table__caption govuk-table__caption--s">"The newest 50 changes, newest first"</caption>
            <thead class="govuk-table__head"><tr class="govuk-table__row">
                <th scope="col" class="govuk-table__header">"When"</th>
                <th scope="col" class="govuk-table__header">"Who"</th>
                <th scope="col" class="govuk-table__header">"What"</th>
            </tr></thead>
            <tbody class="govuk-table__body">{rows}</tbody>
        </table>
    }
    .into_any()
}
