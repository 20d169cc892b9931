//! The page for addresses that match no route.

use leptos::prelude::*;
use leptos_meta::Title;

use super::set_status;

#[component]
pub fn NotFound() -> impl IntoView {
    set_status(404);
    view! {
        <Title text="Page not found - Pulse"/>
        <h1 class="govuk-heading-l">"Page not found"</h1>
        <p class="govuk-body">"If you typed the web address, check it is correct."</p>
        <p class="govuk-body"><a class="govuk-link" href="/">"See all services"</a></p>
    }
}
