//! What a page does when a part of its WebAssembly cannot be fetched.
//!
//! Pages few visitors open, and the note editor and live figures, are split
//! off the main WebAssembly (`cargo leptos build --split`) and fetched when
//! needed. A fetch fails when the connection drops, and when Pulse was
//! updated since the page was opened: files are named by their contents, so
//! an old page asks for files that are gone. Leptos' own `#[lazy]` and
//! `#[lazy_route]` then panic, which stops every control on the page; Pulse's
//! split functions are `fallible` instead, and what failed is loaded whole
//! from the server (a page), or said (a part of one).

#[cfg(feature = "hydrate")]
use leptos::prelude::*;

/// How long a page loaded whole after a failed fetch is not loaded whole
/// again for the same reason: a fetch that fails again says so instead of
/// loading the page over and over.
#[cfg(feature = "hydrate")]
const AGAIN_AFTER_MS: u64 = 60_000;

/// The key in `sessionStorage` of the last page loaded whole (`{time} {path}`).
#[cfg(feature = "hydrate")]
const KEY: &str = "pulse-loaded-whole";

/// Loads `path` whole from the server, unless that was done for it in the
/// last minute; whether it does.
#[cfg(feature = "hydrate")]
fn load_whole(path: &str) -> bool {
    let Some(window) = web_sys::window() else {
        return false;
    };
    // Whole milliseconds: read back as an integer (reading an `f64` would
    // bring Rust's float parser and its 10 KB of tables into the bundle).
    let now = js_sys::Date::now() as u64;
    let storage = window.session_storage().ok().flatten();
    let last = storage
        .as_ref()
        .and_then(|s| s.get_item(KEY).ok().flatten())
        .unwrap_or_default();
    if let Some((at, was)) = last.split_once(' ') {
        let at: u64 = at.parse().unwrap_or(0);
        if was == path && now.saturating_sub(at) < AGAIN_AFTER_MS {
            return false;
        }
    }
    if let Some(storage) = &storage {
        let _ = storage.set_item(KEY, &format!("{now} {path}"));
    }
    window.location().assign(path).is_ok()
}

/// What a page split off the main WebAssembly shows when its part cannot
/// be fetched: the page is loaded whole from the server (which needs none
/// of it to show the page), or, when that was just tried, a message.
#[cfg(feature = "hydrate")]
pub fn page_not_loaded() -> AnyView {
    let url = leptos_router::hooks::use_url().get_untracked();
    let mut path = url.path().to_string();
    if !url.search().is_empty() {
        path.push('?');
        path.push_str(url.search());
    }
    path.push_str(url.hash());
    if load_whole(&path) {
        return ().into_any();
    }
    view! {
        <div class="govuk-error-summary" role="alert" tabindex="-1">
            <h2 class="govuk-error-summary__title">"This page could not be loaded"</h2>
            <div class="govuk-error-summary__body">
                <p class="govuk-body">
                    "Part of it could not be fetched: check your connection, then "
                    <a class="govuk-link" href=path.clone() rel="external">"load the page again"</a>
                    "."
                </p>
            </div>
        </div>
    }
    .into_any()
}

/// On the server a page is never fetched.
#[cfg(not(feature = "hydrate"))]
pub fn page_not_loaded() -> leptos::prelude::AnyView {
    use leptos::prelude::IntoAny;
    ().into_any()
}

/// What a part of a page split off the main WebAssembly (the note editor)
/// shows when it cannot be fetched.
pub fn part_not_loaded(what: &'static str) -> leptos::prelude::AnyView {
    use leptos::prelude::*;
    view! {
        <p class="govuk-error-message" role="alert">
            {format!("{what} could not be loaded: check your connection, then try again.")}
        </p>
    }
    .into_any()
}
