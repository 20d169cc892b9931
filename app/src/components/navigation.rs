//! Controls that change the page's URL.

use leptos::prelude::*;
use leptos_router::hooks::use_navigate;
use leptos_router::NavigateOptions;

/// Sends the page to `href` (on this site, without scrolling) once the event
/// being handled is over. A control that changes the URL re-renders the part
/// of the page that holds it: navigating from inside the control's own handler
/// rebuilt that handler while it ran ("RefCell already borrowed") and let the
/// next keypress reach signals of the part already disposed. `replace` keeps
/// the browser's history to one entry (for typing).
pub fn use_go(replace: bool) -> impl Fn(String) + Clone + 'static {
    let navigate = use_navigate();
    move |href: String| {
        let navigate = navigate.clone();
        request_animation_frame(move || {
            navigate(
                &href,
                NavigateOptions {
                    replace,
                    scroll: false,
                    ..Default::default()
                },
            )
        });
    }
}

/// Moves the keyboard focus, once the page has redrawn, to the first element
/// of `ids` that is there: after something is deleted, confirmed, cancelled
/// or closed, focus goes to a sensible place instead of dropping to the page.
pub fn focus_soon(ids: Vec<String>) {
    #[cfg(feature = "hydrate")]
    request_animation_frame(move || {
        use wasm_bindgen::JsCast;
        let Some(document) = web_sys::window().and_then(|w| w.document()) else {
            return;
        };
        if let Some(element) = ids
            .iter()
            .filter_map(|id| document.get_element_by_id(id))
            .find_map(|e| e.dyn_into::<web_sys::HtmlElement>().ok())
        {
            let _ = element.focus();
        }
    });
    #[cfg(not(feature = "hydrate"))]
    let _ = ids;
}

/// The links between the pages of one part of the site (the admin pages, a
/// person's settings): `(href, words)`, the one at `here` marked as the
/// current page.
pub fn section_nav(
    label: &'static str,
    links: &'static [(&'static str, &'static str)],
    here: &'static str,
) -> impl IntoView {
    view! {
        <nav aria-label=label class="pulse-admin-nav">
            <ul class="govuk-list pulse-inline-list">
                {links.iter().map(|&(href, words)| {
                    let current = (href == here).then_some("page");
                    view! {
                        <li class="govuk-service-navigation__item">
                            <a class="govuk-link" href=href aria-current=current>{words}</a>
                        </li>
                    }
                }).collect_view()}
            </ul>
        </nav>
    }
}
