//! A table beside a chart, hidden behind a button once the page is
//! interactive. Without JavaScript the chart cannot be drawn, so the table is
//! shown in its place: the document gets the class `pulse-js` from a script in
//! the page's head, and only then does the stylesheet hide closed tables.

use leptos::prelude::*;

/// The button `id` shows and hides `children`; `show` and `hide` are its words.
#[component]
pub fn TableToggle(
    #[prop(into)] id: String,
    #[prop(default = "Show as a table")] show: &'static str,
    #[prop(default = "Hide the table")] hide: &'static str,
    children: Children,
) -> impl IntoView {
    let open = RwSignal::new(false);
    let content = format!("{id}-content");
    view! {
        <div class="pulse-table-toggle" class:pulse-table-toggle--open=move || open.get()>
            <button type="button" class="pulse-link-button pulse-table-toggle__button" id=id
                aria-controls=content.clone() aria-expanded=move || open.get().to_string()
                on:click=move |_| {
                    let _ = open.try_update(|o| *o = !*o);
                }>
                {move || if open.get() { hide } else { show }}
            </button>
            <div class="pulse-table-toggle__content" id=content>{children()}</div>
        </div>
    }
}

/// What a chart's place says when charts cannot be drawn (hidden once the
/// page runs JavaScript).
#[component]
pub fn NoScriptChart() -> impl IntoView {
    view! {
        <p class="govuk-inset-text pulse-no-js">
            "Interactive charts need JavaScript and WebAssembly, which this browser is not running. The same figures are in the table."
        </p>
    }
}
