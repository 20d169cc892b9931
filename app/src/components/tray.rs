//! The compare tray: services gathered for a comparison, kept in the browser
//! (`localStorage`) so it survives navigation and reloads, shown in a bar that
//! stays at the bottom of the window.
//!
//! Services come in by a mouse drag (HTML drag and drop) of a service's row or
//! card, a touch drag of its handle (pointer events), or its "Add to
//! comparison" button. In the tray they are reordered by dragging, or from the
//! keyboard with the arrow keys (or the move buttons); dragging one out of the
//! tray, its remove button or the Delete key takes it out.

use leptos::prelude::*;

use super::navigation::focus_soon;
use crate::boards::COMPARE_LIMIT;
use crate::query_string;

/// The drag data type of a service being dragged in: `slug` TAB `title`.
const SERVICE_TYPE: &str = "application/x-pulse-service";
/// The drag data type of a tray item being moved: its index.
const ITEM_TYPE: &str = "application/x-pulse-tray";
const STORAGE_KEY: &str = "pulse-compare";

/// A service in the tray: its slug and title.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Item {
    pub slug: String,
    pub title: String,
}

/// The tray, shared by every page through the context.
#[derive(Clone, Copy)]
pub struct Tray {
    pub items: RwSignal<Vec<Item>>,
    /// A service is being dragged: the tray shows itself as a place to drop.
    pub dragging: RwSignal<bool>,
    /// The last change, read out by screen readers.
    pub said: RwSignal<String>,
}

/// Lines of `slug` TAB `title` (no JSON code needed in the bundle).
fn encode(items: &[Item]) -> String {
    items
        .iter()
        .map(|i| format!("{}\t{}", i.slug, i.title))
        .collect::<Vec<_>>()
        .join("\n")
}

fn decode(text: &str) -> Vec<Item> {
    text.lines()
        .filter_map(|line| {
            let (slug, title) = line.split_once('\t')?;
            (!slug.is_empty()).then(|| Item {
                slug: slug.to_string(),
                title: title.to_string(),
            })
        })
        .take(COMPARE_LIMIT)
        .collect()
}

/// The address of a comparison of these services.
pub fn compare_href(items: &[Item]) -> String {
    let slugs: Vec<&str> = items.iter().map(|i| i.slug.as_str()).collect();
    compare_path(&slugs)
}

/// The address of a comparison of the services `slugs` (commas stay readable).
pub fn compare_path(slugs: &[&str]) -> String {
    query_string::href(
        "/compare",
        &query_string::encode(&[("services", slugs.join(","))]),
    )
}

impl Tray {
    pub fn has(self, slug: &str) -> bool {
        self.items
            .with(|items| items.iter().any(|i| i.slug == slug))
    }

    /// Adds a service at the end (or at `at`); refuses a seventh.
    pub fn add(self, item: Item, at: Option<usize>) {
        if self.has(&item.slug) {
            self.said
                .set(format!("{} is already in the comparison.", item.title));
            return;
        }
        if self.items.with(Vec::len) >= COMPARE_LIMIT {
            self.said.set(format!(
                "A comparison holds at most {COMPARE_LIMIT} services: remove one to add {}.",
                item.title
            ));
            return;
        }
        let title = item.title.clone();
        self.items.update(|items| {
            let at = at.unwrap_or(items.len()).min(items.len());
            items.insert(at, item);
        });
        let n = self.items.with(Vec::len);
        self.said.set(format!(
            "{title} added to the comparison ({n} of {COMPARE_LIMIT})."
        ));
    }

    pub fn remove(self, slug: &str) {
        let mut title = String::new();
        self.items.update(|items| {
            if let Some(i) = items.iter().position(|i| i.slug == slug) {
                title = items.remove(i).title;
            }
        });
        if !title.is_empty() {
            self.said
                .set(format!("{title} removed from the comparison."));
        }
    }

    /// Moves the item at `from` to `to`.
    pub fn reorder(self, from: usize, to: usize) {
        let mut said = String::new();
        self.items.update(|items| {
            if from < items.len() && to < items.len() && from != to {
                let item = items.remove(from);
                said = format!(
                    "{} moved to position {} of {}.",
                    item.title,
                    to + 1,
                    items.len() + 1
                );
                items.insert(to, item);
            }
        });
        if !said.is_empty() {
            self.said.set(said);
        }
    }
}

/// Makes the tray and shares it; in the browser, loads it from and saves it to
/// `localStorage`.
pub fn provide_tray() -> Tray {
    let tray = Tray {
        items: RwSignal::new(Vec::new()),
        dragging: RwSignal::new(false),
        said: RwSignal::new(String::new()),
    };
    // Read once the page is hydrated (the server rendered an empty tray, and
    // the first render in the browser must match it), then saved on each change.
    #[cfg(feature = "hydrate")]
    {
        let storage = web_sys::window().and_then(|w| w.local_storage().ok().flatten());
        let loaded = StoredValue::new(false);
        Effect::new(move |_| {
            let text = tray.items.with(|items| encode(items));
            let Some(s) = &storage else { return };
            if loaded.get_value() {
                let _ = s.set_item(STORAGE_KEY, &text);
            } else {
                loaded.set_value(true);
                if let Ok(Some(saved)) = s.get_item(STORAGE_KEY) {
                    // Anything added in the moment before this keeps its place
                    // after what was saved.
                    tray.items.update(|items| {
                        let mut all = decode(&saved);
                        for item in items.drain(..) {
                            if !all.contains(&item) && all.len() < COMPARE_LIMIT {
                                all.push(item);
                            }
                        }
                        *items = all;
                    });
                }
            }
        });
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = (
        STORAGE_KEY,
        encode as fn(&[Item]) -> String,
        decode as fn(&str) -> Vec<Item>,
    );
    provide_context(tray);
    tray
}

pub fn use_tray() -> Option<Tray> {
    use_context::<Tray>()
}

/// What a drag carries of `kind` (the browser's drag data; none on the server).
fn drag_data(ev: &leptos::ev::DragEvent, kind: &str) -> Option<String> {
    #[cfg(feature = "hydrate")]
    {
        ev.data_transfer()?
            .get_data(kind)
            .ok()
            .filter(|d| !d.is_empty())
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = (ev, kind);
        None
    }
}

/// Starts a drag carrying `data` of `kind` (and `text`), allowing `effect`.
fn set_drag(ev: &leptos::ev::DragEvent, kind: &str, data: &str, text: &str, effect: &str) {
    #[cfg(feature = "hydrate")]
    if let Some(dt) = ev.data_transfer() {
        let _ = dt.set_data(kind, data);
        let _ = dt.set_data("text/plain", text);
        dt.set_effect_allowed(effect);
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = (ev, kind, data, text, effect);
}

/// Whether a drag ended without anything taking it.
fn dropped_nowhere(ev: &leptos::ev::DragEvent) -> bool {
    #[cfg(feature = "hydrate")]
    {
        ev.data_transfer()
            .is_some_and(|dt| dt.drop_effect() == "none")
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = ev;
        false
    }
}

/// The service a drop carries, if any.
fn dropped_service(ev: &leptos::ev::DragEvent) -> Option<Item> {
    decode(&drag_data(ev, SERVICE_TYPE)?).into_iter().next()
}

fn dropped_item(ev: &leptos::ev::DragEvent) -> Option<usize> {
    drag_data(ev, ITEM_TYPE)?.parse().ok()
}

/// Whether the point (client coordinates) is over the tray.
#[cfg(feature = "hydrate")]
fn over_tray(x: i32, y: i32) -> bool {
    web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.element_from_point(x as f32, y as f32))
        .and_then(|e| e.closest(".pulse-tray").ok().flatten())
        .is_some()
}

/// What a service row or card needs to be dragged into the tray: the mouse
/// (`draggable` with HTML drag and drop) and touch (pointer events on its
/// handle: see [`DragHandle`]).
pub fn drag_start(tray: Tray, slug: String, title: String) -> impl Fn(leptos::ev::DragEvent) {
    move |ev: leptos::ev::DragEvent| {
        set_drag(
            &ev,
            SERVICE_TYPE,
            &format!("{slug}\t{title}"),
            &title,
            "copy",
        );
        tray.dragging.set(true);
    }
}

pub fn drag_end(tray: Tray) -> impl Fn(leptos::ev::DragEvent) {
    move |_| tray.dragging.set(false)
}

/// A handle to drag a service into the tray with a finger or pen (a mouse drags
/// the whole row).
#[component]
pub fn DragHandle(slug: String, title: String) -> impl IntoView {
    let tray = use_tray();
    let label = format!("Drag {title} to the comparison");
    let down = move |ev: leptos::ev::PointerEvent| {
        if ev.pointer_type() != "mouse" {
            if let Some(t) = tray {
                t.dragging.set(true);
            }
        }
    };
    let up = move |ev: leptos::ev::PointerEvent| {
        let Some(t) = tray else { return };
        if ev.pointer_type() == "mouse" {
            return;
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = (&slug, &title);
        #[cfg(feature = "hydrate")]
        if over_tray(ev.client_x(), ev.client_y()) {
            t.add(
                Item {
                    slug: slug.clone(),
                    title: title.clone(),
                },
                None,
            );
        }
        t.dragging.set(false);
    };
    let cancel = move |_: leptos::ev::PointerEvent| {
        if let Some(t) = tray {
            t.dragging.set(false);
        }
    };
    view! {
        <span class="pulse-drag-handle" aria-hidden="true" title=label
            on:pointerdown=down on:pointerup=up on:pointercancel=cancel>"⠿"</span>
    }
}

/// "Add to comparison", or "Remove from comparison" once it is in.
#[component]
pub fn AddToCompare(slug: String, title: String) -> impl IntoView {
    let tray = use_tray();
    let in_tray = {
        let slug = slug.clone();
        move || tray.is_some_and(|t| t.has(&slug))
    };
    let click = {
        let in_tray = in_tray.clone();
        let title = title.clone();
        let slug = slug.clone();
        move |_| {
            let Some(t) = tray else { return };
            if in_tray() {
                t.remove(&slug);
            } else {
                t.add(
                    Item {
                        slug: slug.clone(),
                        title: title.clone(),
                    },
                    None,
                );
            }
        }
    };
    let text = {
        let in_tray = in_tray.clone();
        move || {
            if in_tray() {
                "Remove from comparison"
            } else {
                "Add to comparison"
            }
        }
    };
    // Without JavaScript there is no tray: a link starts a comparison, to
    // which the comparison's own form adds others.
    let href = format!("/compare?services={}", crate::api::encode_component(&slug));
    view! {
        <button type="button" class="govuk-button govuk-button--secondary pulse-add-compare pulse-js-only"
            data-slug=slug aria-pressed=move || in_tray().to_string() on:click=click>
            {text}<span class="govuk-visually-hidden">{format!(": {title}")}</span>
        </button>
        <a class="govuk-link pulse-no-js-only pulse-compare-link" href=href>
            "Compare with other services"<span class="govuk-visually-hidden">{format!(": {title}")}</span>
        </a>
    }
}

/// The tray itself, at the bottom of the window while it holds a service or a
/// service is being dragged.
#[component]
pub fn CompareTray() -> impl IntoView {
    let Some(tray) = use_tray() else {
        return ().into_any();
    };
    let shown = move || tray.dragging.get() || tray.items.with(|i| !i.is_empty());
    let over = RwSignal::new(false);
    let on_over = move |ev: leptos::ev::DragEvent| {
        ev.prevent_default();
        over.set(true);
    };
    let on_leave = move |_: leptos::ev::DragEvent| over.set(false);
    let on_drop = move |ev: leptos::ev::DragEvent| {
        ev.prevent_default();
        over.set(false);
        tray.dragging.set(false);
        if let Some(item) = dropped_service(&ev) {
            tray.add(item, None);
        } else if let Some(from) = dropped_item(&ev) {
            // Dropped on the tray but not on an item: to the end.
            tray.reorder(from, tray.items.with(Vec::len).saturating_sub(1));
        }
    };
    let items = move || {
        let items = tray.items.get();
        let n = items.len();
        items
            .into_iter()
            .enumerate()
            .map(|(i, item)| tray_item(tray, i, n, item))
            .collect_view()
    };
    let count = move || tray.items.with(Vec::len);
    let href = move || tray.items.with(|i| compare_href(i));
    // On a phone the tray is one line until opened (its services, Clear).
    let expanded = RwSignal::new(false);
    view! {
        <section class="pulse-tray" class:pulse-tray--over=move || over.get()
            class:pulse-tray--expanded=move || expanded.get()
            class:pulse-tray--dragging=move || tray.dragging.get()
            hidden=move || !shown() aria-labelledby="pulse-tray-title"
            on:dragover=on_over on:dragleave=on_leave on:drop=on_drop>
            <div class="govuk-width-container pulse-tray__inner">
                <h2 class="govuk-heading-s pulse-tray__title" id="pulse-tray-title">
                    {move || format!("Compare ({} of {COMPARE_LIMIT})", count())}
                </h2>
                <ol class="pulse-tray__items" id="pulse-tray-items">{items}</ol>
                <p class="govuk-body-s pulse-tray__hint" hidden=move || tray.items.with(|i| !i.is_empty())>
                    "Drop a service here to compare it."
                </p>
                <div class="pulse-tray__actions">
                    <button type="button" class="govuk-button govuk-button--secondary pulse-tray__toggle" id="pulse-tray-toggle"
                        aria-controls="pulse-tray-items" aria-expanded=move || expanded.get().to_string()
                        hidden=move || count() == 0
                        on:click=move |_| {
                            let _ = expanded.try_update(|e| *e = !*e);
                        }>
                        {move || if expanded.get() { "Hide" } else { "Show" }}
                        <span class="govuk-visually-hidden">" the services to compare"</span>
                    </button>
                    <a class="govuk-button pulse-tray__compare" id="pulse-tray-compare" href=href
                        hidden=move || count() == 0>"Compare"</a>
                    <button type="button" class="govuk-button govuk-button--secondary" id="pulse-tray-clear"
                        hidden=move || count() == 0 on:click=move |_| {
                            tray.items.set(Vec::new());
                            tray.said.set("The comparison is empty.".into());
                            focus_soon(vec!["main-content".into()]);
                        }>"Clear"</button>
                </div>
                <p class="govuk-visually-hidden" aria-live="polite" id="pulse-tray-said">{move || tray.said.get()}</p>
            </div>
        </section>
    }
    .into_any()
}

fn tray_item(tray: Tray, i: usize, n: usize, item: Item) -> impl IntoView {
    let title = item.title.clone();
    let slug = item.slug.clone();
    let start = {
        let title = title.clone();
        move |ev: leptos::ev::DragEvent| set_drag(&ev, ITEM_TYPE, &i.to_string(), &title, "move")
    };
    // Dropped outside any place that takes it: out of the comparison.
    let end = {
        let slug = slug.clone();
        move |ev: leptos::ev::DragEvent| {
            if dropped_nowhere(&ev) {
                tray.remove(&slug);
            }
        }
    };
    let drop = move |ev: leptos::ev::DragEvent| {
        ev.prevent_default();
        ev.stop_propagation();
        tray.dragging.set(false);
        if let Some(from) = dropped_item(&ev) {
            tray.reorder(from, i);
        } else if let Some(new) = dropped_service(&ev) {
            tray.add(new, Some(i));
        }
    };
    let key = {
        let slug = slug.clone();
        move |ev: leptos::ev::KeyboardEvent| match ev.key().as_str() {
            "ArrowLeft" | "ArrowUp" if i > 0 => {
                ev.prevent_default();
                tray.reorder(i, i - 1);
                focus_item(i - 1);
            }
            "ArrowRight" | "ArrowDown" if i + 1 < n => {
                ev.prevent_default();
                tray.reorder(i, i + 1);
                focus_item(i + 1);
            }
            "Delete" | "Backspace" => {
                ev.prevent_default();
                tray.remove(&slug);
                focus_after_removal(i, n);
            }
            _ => {}
        }
    };
    let remove = {
        let slug = slug.clone();
        move |_| {
            tray.remove(&slug);
            focus_after_removal(i, n);
        }
    };
    view! {
        <li class="pulse-tray__item" draggable="true" tabindex="0" data-slug=slug.clone()
            id=format!("pulse-tray-item-{i}")
            aria-label=format!("{title}, {} of {n}. Arrow keys move it, Delete takes it out.", i + 1)
            on:dragstart=start on:dragend=end on:dragover=|ev| ev.prevent_default() on:drop=drop
            on:keydown=key>
            <span class="pulse-tray__name">{title.clone()}</span>
            <button type="button" class="pulse-tray__button" disabled={i == 0}
                aria-label=format!("Move {title} earlier") on:click=move |_| tray.reorder(i, i.saturating_sub(1))>"←"</button>
            <button type="button" class="pulse-tray__button" disabled={i + 1 >= n}
                aria-label=format!("Move {title} later") on:click=move |_| tray.reorder(i, i + 1)>"→"</button>
            <button type="button" class="pulse-tray__button" aria-label=format!("Remove {title}")
                on:click=remove>"×"</button>
        </li>
    }
}

/// Keeps the keyboard focus on an item after it moved.
fn focus_item(i: usize) {
    focus_soon(vec![format!("pulse-tray-item-{i}")]);
}

/// After item `i` of `n` leaves the tray: focus on the item now in its place
/// (or the one before it), or on the page's content when the tray is empty.
fn focus_after_removal(i: usize, n: usize) {
    let mut ids = Vec::new();
    if n > 1 {
        ids.push(format!("pulse-tray-item-{}", i.min(n - 2)));
    }
    ids.push("main-content".to_string());
    focus_soon(ids);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tray_is_kept_as_lines_and_read_back_the_same() {
        let items = vec![
            Item {
                slug: "a".into(),
                title: "Service A".into(),
            },
            Item {
                slug: "b".into(),
                title: "B, with a comma".into(),
            },
        ];
        assert_eq!(decode(&encode(&items)), items);
        assert_eq!(
            decode("junk\n\tno slug\nc\tC"),
            vec![Item {
                slug: "c".into(),
                title: "C".into()
            }]
        );
        assert_eq!(compare_href(&items), "/compare?services=a,b");
        assert_eq!(compare_path(&["a b", "c"]), "/compare?services=a%20b,c");
        let many = (0..9)
            .map(|i| format!("s{i}\tS{i}"))
            .collect::<Vec<_>>()
            .join("\n");
        assert_eq!(decode(&many).len(), COMPARE_LIMIT);
    }
}
