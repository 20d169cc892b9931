//! GOV.UK's error summary for a change the API refused: its message, shown at
//! the top of the form and given the focus, so keyboard and screen reader users
//! meet it first.

use leptos::prelude::*;

#[component]
pub fn ProblemSummary(
    /// The API's message, when the last change was refused.
    problem: RwSignal<Option<String>>,
    #[prop(into)] id: String,
) -> impl IntoView {
    let node = NodeRef::<leptos::html::Div>::new();
    Effect::new(move |_| {
        if problem.with(Option::is_some) {
            if let Some(summary) = node.get() {
                let _ = summary.focus();
            }
        }
    });
    view! {
        <div class="govuk-error-summary" role="alert" tabindex="-1" id=id node_ref=node
            hidden=move || problem.with(Option::is_none)>
            <h2 class="govuk-error-summary__title">"There is a problem"</h2>
            <div class="govuk-error-summary__body">
                <p class="govuk-body">{move || problem.get().unwrap_or_default()}</p>
            </div>
        </div>
    }
}

/// GOV.UK's warning text: an icon, "Warning" for screen readers, then what
/// the reader must not miss.
#[component]
pub fn Warning(#[prop(optional, into)] id: Option<String>, children: Children) -> impl IntoView {
    view! {
        <div class="govuk-warning-text" id=id>
            <span class="govuk-warning-text__icon" aria-hidden="true">"!"</span>
            <strong class="govuk-warning-text__text">
                <span class="govuk-visually-hidden">"Warning"</span>
                {children()}
            </strong>
        </div>
    }
}
