//! The notes of a chart in a list, numbered as their pins: date, text,
//! author, tags; for editors, Edit and Delete. Under the chart (with a word on
//! the unusual figures no note explains yet) and in its table view.

use leptos::prelude::*;

use super::draft::Draft;
use super::marks::Mark;
use super::{note_text, NotesState};
use crate::components::navigation::focus_soon;
use crate::model::{Annotation, Visibility};
use crate::notes as rules;

/// The notes of a chart in a list: date, text, author; for editors, Edit and
/// Delete (under the chart, not in its table view).
#[component]
pub(super) fn NotesList(
    here: Memo<Vec<Mark>>,
    id: String,
    draft: Draft,
    may: bool,
    state: NotesState,
    controls: bool,
) -> impl IntoView {
    let items = move || {
        here.get()
            .into_iter()
            .filter_map(|m| match m {
                Mark::Note { number, note, .. } => Some((number, note)),
                Mark::Spike(_) => None,
            })
            .collect::<Vec<_>>()
    };
    let unexplained =
        move || here.with(|m| m.iter().filter(|m| matches!(m, Mark::Spike(_))).count());
    let heading_id = format!("{id}-heading");
    let list_id = id.clone();
    view! {
        <div class="pulse-notes" id=list_id>
            <h3 class="govuk-heading-s" id=heading_id.clone() tabindex="-1">"Notes on this chart"</h3>
            {move || {
                let items = items();
                if items.is_empty() {
                    return view! { <p class="govuk-body-s pulse-notes__none">"No notes for these dates."</p> }.into_any();
                }
                view! {
                    <ol class="govuk-list pulse-notes__list" aria-labelledby=heading_id.clone()>
                        {items.into_iter().map(|(number, note)| {
                            note_item(&id, (number, note), draft, may, state, controls)
                        }).collect_view()}
                    </ol>
                }.into_any()
            }}
            {move || (controls && unexplained() > 0).then(|| {
                let n = unexplained();
                let words = if n == 1 { "1 unusual figure on this chart has".to_string() } else { format!("{n} unusual figures on this chart have") };
                view! {
                    <p class="govuk-body-s pulse-notes__unexplained">
                        {format!("{words} no note yet (marked with a small black diamond on the chart).")}
                        {may.then_some(" Press one to explain it.")}
                    </p>
                }
            })}
        </div>
    }
}

/// Note `number` of the list `id`: when, what, by whom; Edit and Delete for
/// editors when the list has `controls`.
fn note_item(
    id: &str,
    (number, note): (usize, Annotation),
    draft: Draft,
    may: bool,
    state: NotesState,
    controls: bool,
) -> impl IntoView {
    let item_id = format!("{id}-{}", note.id);
    let edit_note = note.clone();
    let note_id = note.id;
    let confirming = RwSignal::new(false);
    let problem = RwSignal::new(None::<String>);
    // Focus after a delete: the list's heading (the next note's place moves).
    let heading = format!("{id}-heading");
    let remove = move |_| {
        let heading = heading.clone();
        state.delete(note_id, problem, move || focus_soon(vec![heading]))
    };
    let (delete_id, confirm_id) = (format!("{item_id}-delete"), format!("{item_id}-confirm"));
    let (ask, keep) = super::confirming(confirming, &delete_id, &confirm_id);
    view! {
        <li class="pulse-notes__item" id=item_id data-note=note.id>
            <span class="pulse-notes__number" aria-hidden="true">{number}</span>
            <div class="pulse-notes__body">
                <p class="govuk-body-s govuk-!-margin-bottom-1">
                    <strong class="pulse-notes__when">{rules::when(&note)}</strong>
                    {(note.visibility == Visibility::Internal).then(|| view! { " " <strong class="govuk-tag govuk-tag--grey">"Internal"</strong> })}
                    {note.module.is_some().then(|| view! { " " <span class="govuk-tag govuk-tag--blue">"This chart"</span> })}
                </p>
                <p class="govuk-body-s govuk-!-margin-bottom-1 pulse-notes__text">{note_text(&note.text)}</p>
                <p class="govuk-body-s pulse-notes__by">
                    {format!("By {}", note.author)}
                    {(note.version > 1).then_some(" (edited)")}
                    {(!note.tags.is_empty()).then(|| format!(" · Tags: {}", note.tags.join(", ")))}
                </p>
                {move || problem.get().map(|p| view! { <p class="govuk-error-message">{p}</p> })}
                {(controls && may).then(|| view! {
                    <div class="govuk-button-group pulse-notes__actions pulse-js-only">
                        <button type="button" class="govuk-button govuk-button--secondary govuk-!-margin-bottom-0"
                            on:click=move |_| draft.edit(&edit_note, None)>
                            "Edit"<span class="govuk-visually-hidden">{format!(" note {number}")}</span>
                        </button>
                        <Show when=move || !confirming.get()
                            fallback=move || view! {
                                <button type="button" class="govuk-button govuk-button--warning govuk-!-margin-bottom-0"
                                    id=confirm_id.clone() on:click=remove.clone()>
                                    "Yes, delete note "{number}
                                </button>
                                <button type="button" class="govuk-button govuk-button--secondary govuk-!-margin-bottom-0"
                                    on:click=keep.clone()>"Keep it"</button>
                            }>
                            <button type="button" class="govuk-button govuk-button--warning govuk-!-margin-bottom-0"
                                id=delete_id.clone() on:click=ask.clone()>
                                "Delete"<span class="govuk-visually-hidden">{format!(" note {number}")}</span>
                            </button>
                        </Show>
                    </div>
                })}
            </div>
        </li>
    }
}
