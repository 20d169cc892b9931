//! An opened note, over the chart: its text in full, who wrote it, and for
//! editors Edit and Delete (with a question first).

use leptos::prelude::*;

use super::draft::Draft;
use super::{note_text, NotesState};
use crate::components::chart::GRID_TOP;
use crate::components::navigation::focus_soon;
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
    /// The chart's id: the note's pin, the list of notes and "Add a note" are
    /// named after it (where the focus goes when the card closes).
    chart_id: String,
) -> impl IntoView {
    let confirming = RwSignal::new(false);
    let problem = RwSignal::new(None::<String>);
    let id = note.id;
    let edited = note.version > 1;
    let edit_note = note.clone();
    let (pin, list) = (
        format!("{chart_id}-note-{id}"),
        format!("{chart_id}-notes-heading"),
    );
    let close = {
        let pin = pin.clone();
        move || {
            let _ = card.try_set(None);
            focus_soon(vec![pin.clone()]);
        }
    };
    let close_button = close.clone();
    let remove = move |_| {
        let list = list.clone();
        state.delete(id, problem, move || {
            let _ = card.try_set(None);
            focus_soon(vec![list]);
        })
    };
    let (delete_id, confirm_id) = (format!("note-{id}-delete"), format!("note-{id}-confirm"));
    // Opened, the card takes the focus (Escape closes it, back to its pin).
    focus_soon(vec![format!("note-card-{id}")]);
    let (ask, keep) = super::confirming(confirming, &delete_id, &confirm_id);
    view! {
        <div class="pulse-note-card" role="dialog" aria-labelledby=format!("note-{id}-when") id=format!("note-card-{id}") tabindex="-1"
            on:keydown={
                let close = close.clone();
                move |ev| if ev.key() == "Escape" { close() }
            }>
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
                        draft.edit(&edit_note, draft.at.try_get_untracked().flatten().or(Some((0.0, GRID_TOP))));
                    }>"Edit"</button>
                    <Show when=move || !confirming.get()
                        fallback=move || view! {
                            <button type="button" class="govuk-button govuk-button--warning" id=confirm_id.clone()
                                on:click=remove.clone()>"Yes, delete the note"</button>
                            <button type="button" class="govuk-button govuk-button--secondary" on:click=keep.clone()>"Keep it"</button>
                        }>
                        <button type="button" class="govuk-button govuk-button--warning" id=delete_id.clone()
                            on:click=ask.clone()>"Delete"</button>
                    </Show>
                })}
                <button type="button" class="govuk-button govuk-button--secondary" on:click=move |_| close_button()>"Close"</button>
            </div>
        </div>
    }
}
