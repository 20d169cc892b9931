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

/// Whether the keyboard focus has been lost: on nothing, on the page's
/// body, or on an element no longer in the document (one drawn again).
pub fn focus_lost() -> bool {
    #[cfg(feature = "hydrate")]
    {
        let active = web_sys::window()
            .and_then(|w| w.document())
            .and_then(|d| d.active_element());
        active.is_none_or(|e| !e.is_connected() || e.tag_name().eq_ignore_ascii_case("body"))
    }
    #[cfg(not(feature = "hydrate"))]
    false
}

/// Which control of a part of the page that is drawn again (its figures
/// reloading) had the keyboard focus, so that the part drawn again gives it
/// back: set as the focus comes into the part, forgotten as it moves to
/// another element outside it (not when it is lost with the part).
#[derive(Clone, Copy)]
pub struct KeptFocus(RwSignal<Option<String>>);

impl Default for KeptFocus {
    fn default() -> Self {
        Self(RwSignal::new(None))
    }
}

impl KeptFocus {
    /// The part's `focusin`: its element with an id.
    pub fn focused(&self, ev: &leptos::ev::FocusEvent) {
        #[cfg(feature = "hydrate")]
        {
            use wasm_bindgen::JsCast;
            let id = ev
                .target()
                .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
                .map(|e| e.id())
                .filter(|id| !id.is_empty());
            let _ = self.0.try_set(id);
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = ev;
    }

    /// The part's `focusout`: focus moving to an element outside the part
    /// forgets it; focus lost with the element (nothing receives it) does not.
    pub fn left(&self, ev: &leptos::ev::FocusEvent) {
        #[cfg(feature = "hydrate")]
        {
            use wasm_bindgen::JsCast;
            let inside = |node: web_sys::EventTarget| {
                let part = ev
                    .current_target()
                    .and_then(|t| t.dyn_into::<web_sys::Node>().ok());
                let node = node.dyn_into::<web_sys::Node>().ok();
                part.is_some_and(|p| p.contains(node.as_ref()))
            };
            if let Some(next) = ev.related_target() {
                if !inside(next) {
                    let _ = self.0.try_set(None);
                }
            }
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = ev;
    }

    /// Forgets the control (the part opened afresh).
    pub fn forget(&self) {
        let _ = self.0.try_set(None);
    }

    /// Gives the focus back to the control that had it, if the focus was
    /// lost (see [`focus_lost`]) and the control is on the page.
    pub fn give_back(&self) {
        #[cfg(feature = "hydrate")]
        {
            use wasm_bindgen::JsCast;
            let Some(id) = self.0.try_get_untracked().flatten() else {
                return;
            };
            if !focus_lost() {
                return;
            }
            if let Some(element) = web_sys::window()
                .and_then(|w| w.document())
                .and_then(|d| d.get_element_by_id(&id))
                .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok())
            {
                let options = web_sys::FocusOptions::new();
                options.set_prevent_scroll(true);
                let _ = element.focus_with_options(&options);
            }
        }
    }
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
