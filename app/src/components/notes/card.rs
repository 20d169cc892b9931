//! An opened note, over the chart: its text in full, who wrote it, and for
//! editors Edit and Delete (with a question first).

use leptos::prelude::*;

use super::draft::Draft;
use super::{note_text, NotesState};
use crate::components::chart::GRID_TOP;
use crate::model::{Annotation, Visibility};
use crate::notes as rules;

/// An opened note: its text in full, who wrote it, and for editors Edit and
/// Delete (with a question first).
#[component]
pub(super) fn NoteCard(
    note: Annotation,
    card: RwSignal<Option<i64>>,
    draft: Draft,
    may: bool,
    state: NotesState,
) -> impl IntoView {
    let confirming = RwSignal::new(false);
    let problem = RwSignal::new(None::<String>);
    let id = note.id;
    let edited = note.version > 1;
    let edit_note = note.clone();
    let close = move || card.set(None);
    let remove = move |_| state.delete(id, problem, move || card.set(None));
    view! {
        <div class="pulse-note-card" role="dialog" aria-labelledby=format!("note-{id}-when") id=format!("note-card-{id}")
            on:keydown=move |ev| if ev.key() == "Escape" { close() }>
            <p class="govuk-body-s govuk-!-margin-bottom-1" id=format!("note-{id}-when")>
                <strong>{rules::when(&note)}</strong>
                {(note.visibility == Visibility::Internal).then(|| view! { " " <strong class="govuk-tag govuk-tag--grey">"Internal"</strong> })}
            </p>
            <p class="govuk-body-s pulse-note-card__text">{note_text(&note.text)}</p>
            <p class="govuk-body-s pulse-note-card__by">{format!("By {}{}", note.author, if edited { " (edited)" } else { "" })}</p>
            {move || problem.get().map(|p| view! { <p class="govuk-error-message">{p}</p> })}
            <div class="govuk-button-group">
                {may.then(|| view! {
                    <button type="button" class="govuk-button govuk-button--secondary" on:click=move |_| {
                        card.set(None);
                        draft.edit(&edit_note, draft.at.get_untracked().or(Some((0.0, GRID_TOP))));
                    }>"Edit"</button>
                    <Show when=move || !confirming.get()
                        fallback=move || view! {
                            <button type="button" class="govuk-button govuk-button--warning" on:click=remove>"Yes, delete the note"</button>
                            <button type="button" class="govuk-button govuk-button--secondary" on:click=move |_| confirming.set(false)>"Keep it"</button>
                        }>
                        <button type="button" class="govuk-button govuk-button--warning" on:click=move |_| confirming.set(true)>"Delete"</button>
                    </Show>
                })}
                <button type="button" class="govuk-button govuk-button--secondary" on:click=move |_| close()>"Close"</button>
            </div>
        </div>
    }
}
