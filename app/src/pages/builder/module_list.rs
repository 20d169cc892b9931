//! The dashboard's modules in order, each with its handle, its move, change
//! and remove buttons, and its form (see `module_form`) when being changed.
//! A module moves by dragging, by the arrow keys on its handle, or by its
//! buttons; after a move from the keyboard the focus follows the module.

use leptos::prelude::*;

use super::arrange::Arrangement;
use super::module_form::ModuleForm;
use crate::catalogue;
use crate::model::{Dashboard, Module};

/// The list of modules, under its heading and hint.
#[component]
pub(super) fn ModuleList(arrangement: Arrangement) -> impl IntoView {
    let draft = arrangement.draft;
    let editing = RwSignal::new(None::<String>);
    let dragging = RwSignal::new(None::<usize>);
    super::module_form::TypedInForms::provide();
    view! {
        <h2 class="govuk-heading-l" id="modules-heading">"Modules"</h2>
        <p class="govuk-body" id="modules-hint">"In the order the dashboard shows them. Drag a module by its handle to move it, or focus the handle and press the up and down arrow keys."</p>
        <ol class="pulse-build__modules" aria-labelledby="modules-heading" aria-describedby="modules-hint">
            {move || {
                let modules = draft.with(|d| d.as_ref().map(|d| d.modules.clone()).unwrap_or_default());
                let n = modules.len();
                modules.into_iter().enumerate().map(|(i, m)| {
                    module_item(arrangement, editing, dragging, (i, n), m)
                }).collect::<Vec<_>>()
            }}
        </ol>
    }
}

/// Module `i` of `n`: its row (handle, words, buttons) and its form.
fn module_item(
    arrangement: Arrangement,
    editing: RwSignal<Option<String>>,
    dragging: RwSignal<Option<usize>>,
    (i, n): (usize, usize),
    m: Module,
) -> impl IntoView {
    let move_module =
        move |from: usize, to: usize, follow: bool| reorder(arrangement, from, to, follow);
    let title = m.title.clone();
    let slug = m.slug.clone();
    let words = catalogue::module_type_words(m.module_type);
    let data_set = m
        .data_set
        .clone()
        .unwrap_or_else(|| format!("{} modules", m.modules.len()));
    let label = format!(
        "Move “{title}” (position {} of {n}): up and down arrow keys",
        i + 1
    );
    let is_editing = {
        let slug = slug.clone();
        move || editing.get().as_deref() == Some(slug.as_str())
    };
    let module_for_form = m.clone();
    let change = arrangement.change;
    view! {
        <li class="pulse-build__module" draggable="true" data-slug=slug.clone()
            on:dragstart=move |ev: leptos::ev::DragEvent| {
                #[cfg(feature = "hydrate")]
                if let Some(dt) = ev.data_transfer() {
                    let _ = dt.set_data("text/plain", &i.to_string());
                    dt.set_effect_allowed("move");
                }
                #[cfg(not(feature = "hydrate"))]
                let _ = ev;
                dragging.set(Some(i));
            }
            on:dragend=move |_| dragging.set(None)
            on:dragover=move |ev: leptos::ev::DragEvent| ev.prevent_default()
            on:drop=move |ev: leptos::ev::DragEvent| {
                ev.prevent_default();
                if let Some(from) = dragging.get_untracked() {
                    dragging.set(None);
                    move_module(from, i, false);
                }
            }>
            <div class="pulse-build__module-row">
                <button type="button" class="pulse-build__handle" id=format!("handle-{i}") aria-label=label
                    on:keydown=move |ev: leptos::ev::KeyboardEvent| {
                        match ev.key().as_str() {
                            "ArrowUp" if i > 0 => { ev.prevent_default(); move_module(i, i - 1, true); }
                            "ArrowDown" if i + 1 < n => { ev.prevent_default(); move_module(i, i + 1, true); }
                            _ => {}
                        }
                    }>"⠿"</button>
                <div class="pulse-build__module-text">
                    <span class="govuk-body govuk-!-font-weight-bold pulse-build__module-title">{title.clone()}</span>
                    <span class="govuk-body-s pulse-build__module-kind">{format!("{words} · {data_set}")}</span>
                </div>
                {module_actions(arrangement, editing, (i, n), &m)}
            </div>
            <Show when=is_editing>
                <ModuleForm module=module_for_form.clone() index=i change editing/>
            </Show>
        </li>
    }
}

/// A module's buttons: move up, move down, change (opens its form), remove.
fn module_actions(
    arrangement: Arrangement,
    editing: RwSignal<Option<String>>,
    (i, n): (usize, usize),
    m: &Module,
) -> impl IntoView {
    let change = arrangement.change;
    let move_module =
        move |from: usize, to: usize, follow: bool| reorder(arrangement, from, to, follow);
    let title = m.title.clone();
    let is_editing = {
        let slug = m.slug.clone();
        move || editing.get().as_deref() == Some(slug.as_str())
    };
    let slug_for_edit = m.slug.clone();
    let title_for_remove = title.clone();
    view! {
        <div class="pulse-build__module-actions">
            <button type="button" class="govuk-button govuk-button--secondary pulse-build__small" disabled={i == 0}
                on:click=move |_| move_module(i, i.saturating_sub(1), true)>"Move up"<span class="govuk-visually-hidden">{format!(" “{title}”")}</span></button>
            <button type="button" class="govuk-button govuk-button--secondary pulse-build__small" disabled={i + 1 >= n}
                on:click=move |_| move_module(i, i + 1, true)>"Move down"<span class="govuk-visually-hidden">{format!(" “{}”", m.title)}</span></button>
            <button type="button" class="govuk-button govuk-button--secondary pulse-build__small"
                aria-expanded=move || is_editing().to_string()
                on:click=move |_| editing.update(|e| {
                    *e = if e.as_deref() == Some(slug_for_edit.as_str()) { None } else { Some(slug_for_edit.clone()) };
                })>"Change"<span class="govuk-visually-hidden">{format!(" “{}”", m.title)}</span></button>
            <button type="button" class="govuk-button govuk-button--warning pulse-build__small"
                on:click=move |_| {
                    let t = title_for_remove.clone();
                    change.run((
                        format!("Removed “{t}”."),
                        Box::new(move |d: &mut Dashboard| { if i < d.modules.len() { d.modules.remove(i); } }),
                    ));
                }>"Remove"<span class="govuk-visually-hidden">{format!(" “{}”", m.title)}</span></button>
        </div>
    }
}

/// Moves module `from` to position `to` (and saves); `follow` moves the focus
/// to the moved module's handle once redrawn (for the keys and buttons that
/// moved it; a mouse drop leaves it be).
fn reorder(arrangement: Arrangement, from: usize, to: usize, follow: bool) {
    let Arrangement { draft, change, .. } = arrangement;
    let Some(d) = draft.get_untracked() else {
        return;
    };
    if from >= d.modules.len() || to >= d.modules.len() || from == to {
        return;
    }
    let title = d.modules[from].title.clone();
    let what = format!(
        "Moved “{title}” to position {} of {}.",
        to + 1,
        d.modules.len()
    );
    change.run((
        what,
        Box::new(move |d: &mut Dashboard| {
            let m = d.modules.remove(from);
            d.modules.insert(to, m);
        }),
    ));
    // Focus follows the module moved (its handle, once redrawn), unless
    // the person has put it somewhere outside the list meanwhile (the
    // list is redrawn in place, so the focus may still be on the row the
    // module left).
    #[cfg(feature = "hydrate")]
    if follow {
        set_timeout(
            move || {
                use wasm_bindgen::JsCast;
                let Some(doc) = web_sys::window().and_then(|w| w.document()) else {
                    return;
                };
                let lost = doc.active_element().is_none_or(|e| {
                    !e.is_connected()
                        || e.tag_name() == "BODY"
                        || e.closest(".pulse-build__modules").ok().flatten().is_some()
                });
                if let Some(el) = doc
                    .get_element_by_id(&format!("handle-{to}"))
                    .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok())
                    .filter(|_| lost)
                {
                    let _ = el.focus();
                }
            },
            std::time::Duration::from_millis(30),
        );
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = follow;
}
