//! Reusable pieces of pages: the layout, charts, KPI tiles, modules and tables.

pub mod chart;
pub mod kpi_tile;
pub mod layout;
pub mod live;
pub mod module;
pub mod navigation;
pub mod notes;
pub mod pagination;
pub mod problem;
pub mod scroll_table;
pub mod table_toggle;
pub mod tray;
pub mod view_controls;

/// The value of the control `selector` finds in the form an event happened
/// in (the form's own submit, or an event of one of its controls), read from
/// the page. A form drawn in a part of the page that reloads is read so:
/// while the part reloads, the form still shown, and used, is the one drawn
/// before, whose node references and signals have gone with it (read
/// through them, its fields were empty, or the page panicked).
pub fn form_value(ev: &leptos::ev::Event, selector: &str) -> Option<String> {
    #[cfg(feature = "hydrate")]
    {
        use wasm_bindgen::JsCast;
        let form = ev
            .target()?
            .dyn_into::<web_sys::Element>()
            .ok()?
            .closest("form")
            .ok()??;
        let control = form.query_selector(selector).ok()??;
        js_sys::Reflect::get(&control, &"value".into())
            .ok()?
            .as_string()
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = (ev, selector);
        None
    }
}
