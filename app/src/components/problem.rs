//! GOV.UK's error summary for a change the API refused: its message, shown at
//! the top of the form and given the focus, so keyboard and screen reader users
//! meet it first.

use leptos::prelude::*;

#[component]
pub fn ProblemSummary(
    /// The API's message, when the last change was refused.
    problem: RwSignal<Option<String>>,
    #[prop(into)] id: String,
    /// The field the problem is with, when it is one field's: the message
    /// links to it, as GOV.UK's error summary does.
    #[prop(optional, into)]
    field: Option<Signal<Option<&'static str>>>,
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
                {move || {
                    let text = problem.get().unwrap_or_default();
                    match field.and_then(|f| f.get()) {
                        Some(field) => view! {
                            <ul class="govuk-list govuk-error-summary__list">
                                // To the field itself, not only its place in the page.
                                <li><a href=format!("#{field}") on:click=move |ev| {
                                    ev.prevent_default();
                                    super::navigation::focus_soon(vec![field.to_string()]);
                                }>{text}</a></li>
                            </ul>
                        }
                        .into_any(),
                        None => view! { <p class="govuk-body">{text}</p> }.into_any(),
                    }
                }}
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
