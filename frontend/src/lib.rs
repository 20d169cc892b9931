//! The WebAssembly entry point: hydrates the server-rendered page.

use wasm_bindgen::prelude::wasm_bindgen;

#[wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    // Lazily loaded pages (see `app`) are fetched before the page they are on
    // is hydrated.
    leptos::mount::hydrate_lazy(app::App);
}

/// Room for `cargo leptos build --split` to lay out the data of the split
/// bundle, never sent to a browser.
///
/// wasm-split gives each part of the bundle the data (text, tables) only it
/// uses, laid out again part by part. Text the linker merged (one string
/// inside another) that two parts use is then written twice, and padding
/// comes between the parts; when the new layout comes out longer than the
/// linker's, however little, every part's data stays in the main wasm
/// ("Overlong segment 0 by 54 after relocation, putting it in main module"):
/// 100 KB more on every first visit, from a change elsewhere as small as one
/// optional prop. These bytes are linked (`#[used]`) but no code reads
/// them, so no part takes them: the layout has this much room, and they are
/// left out of every part. `scripts/test` checks that the lazily loaded
/// pages' text stays out of the main wasm (`end2end/split-check.mjs`).
#[used]
static SPLIT_LAYOUT_ROOM: [u8; 4096] = [0x5a; 4096];
