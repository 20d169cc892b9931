//! The WebAssembly entry point: hydrates the server-rendered page.

use wasm_bindgen::prelude::wasm_bindgen;

#[wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    // Lazily loaded pages (see `app`) are fetched before the page they are on
    // is hydrated.
    leptos::mount::hydrate_lazy(app::App);
}
