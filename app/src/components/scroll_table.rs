//! A table wider than a phone: it scrolls sideways inside its own region
//! (which the keyboard can reach and scroll), with a hint on narrow screens,
//! so the page itself never scrolls sideways.

use leptos::prelude::*;

/// `children` (a table) in a region named `label` that scrolls sideways.
#[component]
pub fn ScrollTable(#[prop(into)] label: String, children: Children) -> impl IntoView {
    view! {
        <p class="govuk-body-s pulse-scroll-hint" aria-hidden="true">"Scroll the table sideways to see every column."</p>
        <div class="pulse-table-wide" role="region" aria-label=format!("{label}: table") tabindex="0">{children()}</div>
    }
}
