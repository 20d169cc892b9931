//! The dashboard's details: its title and what the service does.

use leptos::prelude::*;

use super::arrange::Arrangement;
use crate::model::Dashboard;

/// The details form, filled in with the draft's details.
#[component]
pub(super) fn Details(arrangement: Arrangement) -> impl IntoView {
    let Arrangement {
        draft,
        problem,
        change,
        ..
    } = arrangement;
    let title_input = NodeRef::<leptos::html::Input>::new();
    let description_input = NodeRef::<leptos::html::Textarea>::new();
    let save_details = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let title = title_input
            .get_untracked()
            .map(|i| i.value())
            .unwrap_or_default();
        let description = description_input
            .get_untracked()
            .map(|t| t.value())
            .unwrap_or_default();
        if title.trim().is_empty() {
            problem.set(Some("Enter the dashboard's title.".into()));
            return;
        }
        change.run((
            "Details changed.".into(),
            Box::new(move |d: &mut Dashboard| {
                d.title = title.trim().to_string();
                d.description = description.trim().to_string();
            }),
        ));
    };

    view! {
        <h2 class="govuk-heading-m" id="details-heading">"Details"</h2>
        <form on:submit=save_details aria-labelledby="details-heading">
            <div class="govuk-form-group">
                <label class="govuk-label" for="dashboard-title">"Title"</label>
                <input class="govuk-input" id="dashboard-title" type="text" node_ref=title_input
                    value=draft.with_untracked(|d| d.as_ref().map(|d| d.title.clone()).unwrap_or_default())/>
            </div>
            <div class="govuk-form-group">
                <label class="govuk-label" for="dashboard-description">"What the service does"</label>
                // A textarea's text is set as a property: markers in its
                // server-rendered content would be shown as text.
                <textarea class="govuk-textarea" id="dashboard-description" rows="3" node_ref=description_input
                    prop:value=draft.with_untracked(|d| d.as_ref().map(|d| d.description.clone()).unwrap_or_default())>
                </textarea>
            </div>
            <button type="submit" class="govuk-button govuk-button--secondary" data-module="govuk-button">"Save the details"</button>
        </form>
    }
}
