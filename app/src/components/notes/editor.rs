//! The editor that writes a note: its form (date or range, text, tags, who
//! sees it, on which charts), the note checked as the server checks it
//! ([`crate::notes::check`]), and saved through the API. Only editors need
//! its code: it is fetched (as wasm of its own) when first opened.

use leptos::html::{Button, Input, Textarea};
use leptos::prelude::*;

use super::draft::Draft;
use super::NotesState;
use crate::model::{Annotation, NewAnnotation, Visibility};
use crate::notes as rules;

/// The editor, whose code only editors need: fetched (as wasm of its own, see
/// `app/src/lib.rs`) the first time an editor opens it.
#[component]
pub(super) fn LazyEditor(
    draft: Draft,
    state: NotesState,
    dashboard: String,
    module: String,
    return_to: NodeRef<Button>,
    anchored: bool,
) -> impl IntoView {
    view! {
        <Suspense fallback=|| view! { <p class="govuk-body-s">"Opening the editor…"</p> }>
            {
                let (dashboard, module) = (dashboard.clone(), module.clone());
                Suspend::new(async move {
                    #[cfg(feature = "hydrate")]
                    let editor =
                        editor_view(draft, state, dashboard, module, return_to, anchored).await;
                    #[cfg(not(feature = "hydrate"))]
                    let editor = editor_view(draft, state, dashboard, module, return_to, anchored);
                    editor.unwrap_or_else(|_| crate::lazy::part_not_loaded("The note editor"))
                })
            }
        </Suspense>
    }
}

#[cfg_attr(
    feature = "hydrate",
    leptos::wasm_split::wasm_split(
        notes_editor,
        wasm_split_path = ::leptos::wasm_split,
        fallible
    )
)]
fn editor_view(
    draft: Draft,
    state: NotesState,
    dashboard: String,
    module: String,
    return_to: NodeRef<Button>,
    anchored: bool,
) -> Result<AnyView, leptos::wasm_split::SplitLoaderError> {
    Ok(view! { <Editor draft state dashboard module return_to anchored/> }.into_any())
}

/// The form that writes a note: opened at a point of the chart, over a dragged
/// range, or from "Add a note" (below the chart). Escape or Cancel closes it.
#[component]
fn Editor(
    draft: Draft,
    state: NotesState,
    dashboard: String,
    module: String,
    return_to: NodeRef<Button>,
    anchored: bool,
) -> impl IntoView {
    let first = NodeRef::<Input>::new();
    let text_ref = NodeRef::<Textarea>::new();
    focus_first(draft, anchored, text_ref, first);
    let prefix = format!("{dashboard}-{module}-note");
    let module_path = format!("{dashboard}/{module}");
    // Back to "Add a note" (also when opened from the chart, which holds no
    // focus of its own).
    let close = move || {
        let _ = draft.open.try_set(false);
        if let Some(b) = return_to.try_get_untracked().flatten() {
            let _ = b.focus();
        }
    };
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        // Saving already, or the editor's state gone with the figures it
        // was drawn with (the page reloading them): not sent.
        if draft.saving.try_get_untracked() != Some(false) || state.csrf.try_get_value().is_none() {
            return;
        }
        match note_of(draft, state, &module_path) {
            Ok(note) => save(draft, state, note, close),
            Err(problem) => draft.problem.set(Some(problem)),
        }
    };
    let class = if anchored {
        "pulse-note-editor pulse-note-editor--anchored"
    } else {
        "pulse-note-editor"
    };
    view! {
        <form class=class style=placement(draft) role="dialog" aria-labelledby=format!("{prefix}-heading")
            id=format!("{prefix}-editor") novalidate on:submit=submit
            on:keydown=move |ev| if ev.key() == "Escape" { close() }
            on:focusin=move |ev| draft.focus.focused(&ev) on:focusout=move |ev| draft.focus.left(&ev)>
            <h3 class="govuk-heading-s" id=format!("{prefix}-heading")>{heading(draft)}</h3>
            {move || draft.problem.get().map(|p| view! {
                <div class="govuk-error-summary" role="alert">
                    <h4 class="govuk-error-summary__title">"There is a problem"</h4>
                    <div class="govuk-error-summary__body"><p class="govuk-body-s">{p}</p></div>
                </div>
            })}
            {dates(draft, &prefix, first)}
            {what_happened(draft, &prefix, text_ref)}
            {tags(draft, &prefix)}
            {reach(draft, &prefix)}
            <div class="govuk-button-group">
                <button type="submit" class="govuk-button" disabled=move || draft.saving.get()>"Save the note"</button>
                <button type="button" class="govuk-button govuk-button--secondary" on:click=move |_| close()>"Cancel"</button>
            </div>
        </form>
    }
}

/// Once the form is there, the focus goes to its first field: the text when
/// opened on the chart (the date is set), else the date.
fn focus_first(draft: Draft, anchored: bool, text_ref: NodeRef<Textarea>, first: NodeRef<Input>) {
    Effect::new(move |_| {
        // A click on the chart has set the date: the text comes next. From the
        // button, the date comes first. Drawn again (its figures reloaded
        // while it was open), it takes the focus only back, to the field it
        // was in, if the focus was lost. (On the next frame: the form may not
        // be in the document yet when its elements exist.)
        let (text, date) = (text_ref.get(), first.get());
        request_animation_frame(move || {
            if draft.fresh.try_get_untracked() != Some(true) {
                draft.focus.give_back();
                return;
            }
            let focused = if anchored {
                text.map(|t| t.focus())
            } else {
                date.map(|d| d.focus())
            };
            if focused.is_some() {
                let _ = draft.fresh.try_set(false);
            }
        });
    });
}

/// The note the editor's fields make, or what to say first: a date that is
/// not one, or what [`rules::check`] refuses.
fn note_of(draft: Draft, state: NotesState, module_path: &str) -> Result<NewAnnotation, String> {
    let Some(starts_at) = rules::parse_date(&draft.from.get_untracked()) else {
        return Err("Enter the date of the note, for example 2025-01-31".into());
    };
    let to = draft.to.get_untracked();
    let ends_at = if to.trim().is_empty() {
        None
    } else {
        match rules::parse_date(&to) {
            Some(t) => Some(t),
            None => {
                return Err("Enter the end of the range as a date, for example 2025-02-06, or leave it empty".into());
            }
        }
    };
    let note = NewAnnotation {
        service: state.service.get_value().unwrap_or_default(),
        module: draft
            .this_chart
            .get_untracked()
            .then(|| module_path.to_string()),
        starts_at,
        ends_at: ends_at.filter(|e| *e != starts_at),
        text: draft.text.get_untracked(),
        tags: rules::parse_tags(&draft.tags.get_untracked()),
        visibility: if draft.internal.get_untracked() {
            Visibility::Internal
        } else {
            Visibility::Public
        },
    };
    rules::check(&note)?;
    Ok(note)
}

/// Saves the note (a new one, or the one being edited): on every chart at
/// once, then `close`; or the API's reason in the editor.
fn save(draft: Draft, state: NotesState, note: NewAnnotation, close: impl Fn() + 'static) {
    let (method, path) = match draft.id.get_untracked() {
        Some(id) => ("PUT", format!("/api/v1/annotations/{id}")),
        None => ("POST", "/api/v1/annotations".to_string()),
    };
    let token = state.csrf.get_value();
    draft.saving.set(true);
    leptos::task::spawn_local(async move {
        let answer =
            crate::api::send_json::<Annotation>(method, path, crate::api::body(&note), token).await;
        draft.saving.set(false);
        match answer {
            Ok(saved) => {
                state.remember(saved.id, Some(saved));
                close();
            }
            Err(e) => draft.problem.set(Some(e.to_string())),
        }
    });
}

/// Where the editor opened on the chart goes: by the point clicked, within
/// the chart.
fn placement(draft: Draft) -> impl Fn() -> Option<String> + Copy {
    move || {
        draft.at.get().map(|(x, y)| {
            format!(
                "left:max(0px, min({x}px, calc(100% - 21rem)));top:{}px",
                y + 12.0
            )
        })
    }
}

/// "Add a note", or "Edit the note".
fn heading(draft: Draft) -> impl Fn() -> &'static str + Copy {
    move || {
        if draft.id.get().is_some() {
            "Edit the note"
        } else {
            "Add a note"
        }
    }
}

/// The date of the note, and the end of its range.
fn dates(draft: Draft, prefix: &str, first: NodeRef<Input>) -> impl IntoView {
    view! {
        <div class="pulse-note-editor__dates">
            <div class="govuk-form-group">
                <label class="govuk-label govuk-label--s" for=format!("{prefix}-from")>"Date"</label>
                <input class="govuk-input" type="date" id=format!("{prefix}-from") node_ref=first
                    prop:value=move || draft.from.get()
                    on:input=move |ev| draft.from.set(event_target_value(&ev))/>
            </div>
            <div class="govuk-form-group">
                <label class="govuk-label govuk-label--s" for=format!("{prefix}-to")>"Until (for a range)"</label>
                <input class="govuk-input" type="date" id=format!("{prefix}-to")
                    prop:value=move || draft.to.get()
                    on:input=move |ev| draft.to.set(event_target_value(&ev))/>
            </div>
        </div>
    }
}

/// What happened: the note's text.
fn what_happened(draft: Draft, prefix: &str, text_ref: NodeRef<Textarea>) -> impl IntoView {
    view! {
        <div class="govuk-form-group">
            <label class="govuk-label govuk-label--s" for=format!("{prefix}-text")>"What happened"</label>
            <div class="govuk-hint" id=format!("{prefix}-text-hint")>"Plain text. Web addresses become links."</div>
            <textarea class="govuk-textarea" id=format!("{prefix}-text") rows="3" node_ref=text_ref
                aria-describedby=format!("{prefix}-text-hint")
                prop:value=move || draft.text.get()
                on:input=move |ev| draft.text.set(event_target_value(&ev))></textarea>
        </div>
    }
}

/// The note's tags, separated by commas.
fn tags(draft: Draft, prefix: &str) -> impl IntoView {
    view! {
        <div class="govuk-form-group">
            <label class="govuk-label govuk-label--s" for=format!("{prefix}-tags")>"Tags (optional, separated by commas)"</label>
            <input class="govuk-input" type="text" id=format!("{prefix}-tags")
                prop:value=move || draft.tags.get()
                on:input=move |ev| draft.tags.set(event_target_value(&ev))/>
        </div>
    }
}

/// Who sees the note (everyone, or the service's organisation) and on which
/// charts (this one, or every chart of the service).
fn reach(draft: Draft, prefix: &str) -> impl IntoView {
    view! {
        <div class="govuk-form-group">
            <div class="govuk-checkboxes govuk-checkboxes--small">
                <div class="govuk-checkboxes__item">
                    <input class="govuk-checkboxes__input" type="checkbox" id=format!("{prefix}-internal")
                        prop:checked=move || draft.internal.get()
                        on:change=move |ev| draft.internal.set(event_target_checked(&ev))/>
                    <label class="govuk-label govuk-checkboxes__label" for=format!("{prefix}-internal")>
                        "Internal: only people of the service's organisation see it"
                    </label>
                </div>
                <div class="govuk-checkboxes__item">
                    <input class="govuk-checkboxes__input" type="checkbox" id=format!("{prefix}-this-chart")
                        prop:checked=move || draft.this_chart.get()
                        on:change=move |ev| draft.this_chart.set(event_target_checked(&ev))/>
                    <label class="govuk-label govuk-checkboxes__label" for=format!("{prefix}-this-chart")>
                        "On this chart only (otherwise on every chart of the service)"
                    </label>
                </div>
            </div>
        </div>
    }
}
