//! The two modules that are not charts over periods: a live figure
//! (`realtime`: the newest count of a realtime data set, with a sparkline of
//! the last hours, kept up to date as records arrive) and a ranked list
//! (`list`: top pages, top reasons for contact, with their values and links).
//!
//! A live figure follows its data set through its event stream
//! (`/api/v1/live/{group}/{type}`, one event per change, from whichever
//! instance took the write), and asks again every few seconds where the
//! stream cannot be had. That code only pages with a live figure need: it is
//! fetched (as wasm of its own) when one is on the page.

use chrono::{DateTime, Utc};
use leptos::prelude::*;

use crate::kpi::{format_time, format_value_in_full};
use crate::model::{Module, Unit};
use crate::modules::{unit, Item, LiveFigures, TableData};

/// How often a live figure asks again where the event stream cannot be had.
pub const POLL_SECONDS: u32 = 3;

/// The words after a live figure's number: its `words` option, else what its
/// field counts ("people using the service now" for `unique_visitors`; "at
/// the last count" instead of "now" for a count the feed stopped after, in a
/// module's own words too when they end in "now").
fn words(module: &Module, stopped: bool) -> String {
    if let Some(words) = module.options.get("words").and_then(|w| w.as_str()) {
        let words = words.trim_end();
        return match words.len().checked_sub(3).filter(|_| stopped) {
            Some(cut)
                if words.is_char_boundary(cut)
                    && words[cut..].eq_ignore_ascii_case("now")
                    && (cut == 0 || words[..cut].ends_with(' ')) =>
            {
                format!("{}at the last count", &words[..cut])
            }
            _ => words.to_string(),
        };
    }
    let when = if stopped { "at the last count" } else { "now" };
    match module.options.get("value").and_then(|v| v.as_str()) {
        Some("unique_visitors") | None => format!("people using the service {when}"),
        Some(field) => format!(
            "{} {when}",
            crate::modules::label_for(module, field).to_ascii_lowercase()
        ),
    }
}

/// Whether a count made `at` is older than a live figure's counts come, as
/// of `now`: the feed stopped.
fn stopped(at: DateTime<Utc>, now: DateTime<Utc>) -> bool {
    now - at > chrono::Duration::minutes(10)
}

/// A live figure: the newest count in large type, when it was counted, and a
/// sparkline of the counts of the last hours (their table is beside it, drawn
/// from the same `figures`, which follow the data set from the browser).
#[component]
pub fn LiveFigure(module: Module, figures: RwSignal<LiveFigures>) -> impl IntoView {
    let unit = unit(&module);
    let value = move || {
        figures.with(|f| match f.latest() {
            Some((_, v)) => format_value_in_full(v, unit),
            None => "No count".to_string(),
        })
    };
    // Read again every half minute, so that a count the feed stopped after
    // is said to be the last one on a page left open.
    let clock = RwSignal::new(0u32);
    #[cfg(feature = "hydrate")]
    {
        let handle = set_interval_with_handle(
            move || clock.update(|c| *c = c.wrapping_add(1)),
            std::time::Duration::from_secs(30),
        )
        .ok();
        on_cleanup(move || {
            if let Some(h) = handle {
                h.clear();
            }
        });
    }
    let words = {
        let module = module.clone();
        move || {
            clock.track();
            let late = figures.with(|f| {
                f.latest()
                    .is_some_and(|(t, _)| stopped(t, crate::modules::now()))
            });
            format!(" {}", words(&module, late))
        }
    };
    let when = move || {
        clock.track();
        figures.with(|f| match f.latest() {
            Some((t, _)) => counted(t, crate::modules::now()),
            None => format!("No count in the last {} hours.", f.hours),
        })
    };
    // Followed from the browser once the page is interactive.
    #[cfg(feature = "hydrate")]
    follow(figures, module.clone());
    let label = format!("{} over the last hours", module.title);
    let spark = move || figures.with(|f| sparkline(f, unit, &label));
    view! {
        <div class="pulse-live">
            <p class="pulse-kpi__value pulse-live__value">{value}
                <span class="pulse-live__words">{words}</span></p>
            <p class="pulse-kpi__period pulse-live__when">{when}
                <span class="pulse-live__status" aria-live="polite"></span></p>
            {spark}
        </div>
    }
}

/// When the newest count was made, as of `now`: a count more than ten
/// minutes old (the feed stopped) is said to be the last one, with its day
/// when it is not today's, not passed off as the number now.
fn counted(at: DateTime<Utc>, now: DateTime<Utc>) -> String {
    let when = format_time(at, now);
    if !stopped(at, now) {
        format!("Counted at {when}.")
    } else {
        format!("Last counted at {when}: no count has come since.")
    }
}

/// The counts of the last hours as a line, placed by their times across the
/// window (a gap of more than ten minutes breaks the line); its figures are
/// in the table beside it.
fn sparkline(live: &LiveFigures, unit: Unit, label: &str) -> impl IntoView {
    const W: f64 = 320.0;
    const H: f64 = 48.0;
    let (end, _) = live.latest()?;
    let start = end - chrono::Duration::hours(i64::from(live.hours));
    let span = (end - start).num_seconds().max(1) as f64;
    let (lo, hi) = live
        .points
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), (_, v)| {
            (lo.min(*v), hi.max(*v))
        });
    // The scale starts at 0 at most; the words give the counts' own least.
    let least = lo;
    let lo = lo.min(0.0);
    let range = if hi > lo { hi - lo } else { 1.0 };
    let x = |t: DateTime<Utc>| W * ((t - start).num_seconds() as f64 / span).clamp(0.0, 1.0);
    let y = |v: f64| 2.0 + (H - 4.0) * (1.0 - (v - lo) / range);
    let mut path = String::new();
    let mut last: Option<DateTime<Utc>> = None;
    for (t, v) in live.points.iter().filter(|(t, _)| *t >= start) {
        let pen = match last {
            Some(before) if (*t - before).num_minutes() <= 10 => "L",
            _ => "M",
        };
        path.push_str(&format!("{pen}{:.1},{:.1} ", x(*t), y(*v)));
        last = Some(*t);
    }
    let (dot_x, dot_y) = live.latest().map(|(t, v)| (x(t), y(v))).unwrap_or_default();
    let aria = format!(
        "{label}: from {} to {}. The counts are in the table.",
        format_value_in_full(least, unit),
        format_value_in_full(hi, unit)
    );
    Some(view! {
        <svg class="pulse-live__spark" viewBox=format!("0 0 {W} {H}") preserveAspectRatio="none"
            role="img" aria-label=aria>
            <path class="pulse-spark__line" d=path/>
            <circle class="pulse-spark__dot" cx=format!("{dot_x:.1}") cy=format!("{dot_y:.1}") r="3"/>
        </svg>
    })
}

/// Starts following a live figure: the code is fetched (as wasm of its own)
/// the first time a page has one, then the figure follows its data set until
/// the page goes away.
#[cfg(feature = "hydrate")]
fn follow(figures: RwSignal<LiveFigures>, module: Module) {
    use std::sync::{Arc, Mutex};
    // Set once following has started: what stops it. Taken by the cleanup.
    type Stopper = send_wrapper::SendWrapper<Box<dyn FnOnce()>>;
    let stop: Arc<Mutex<Option<Stopper>>> = Arc::new(Mutex::new(None));
    let gone = Arc::new(std::sync::atomic::AtomicBool::new(false));
    {
        let (stop, gone) = (stop.clone(), gone.clone());
        on_cleanup(move || {
            gone.store(true, std::sync::atomic::Ordering::SeqCst);
            if let Some(stop) = stop.lock().ok().and_then(|mut s| s.take()) {
                (stop.take())();
            }
        });
    }
    leptos::task::spawn_local(async move {
        // (its code could not be fetched: the figure stays as the page came)
        let Ok(stopper) = follow_live(figures, module).await else {
            return;
        };
        if gone.load(std::sync::atomic::Ordering::SeqCst) {
            stopper();
        } else if let Ok(mut slot) = stop.lock() {
            *slot = Some(send_wrapper::SendWrapper::new(stopper));
        }
    });
}

/// Follows a live figure's data set: on each event of its stream (a change,
/// through any instance) the module's records of the last hours are read
/// again; without the stream, they are read every [`POLL_SECONDS`]. Returns
/// what stops it.
#[cfg(feature = "hydrate")]
#[leptos::wasm_split::wasm_split(
    live_figures,
    wasm_split_path = ::leptos::wasm_split,
    fallible
)]
fn follow_live(
    figures: RwSignal<LiveFigures>,
    module: Module,
) -> Result<Box<dyn FnOnce()>, leptos::wasm_split::SplitLoaderError> {
    Ok(follow::start(figures, module))
}

#[cfg(feature = "hydrate")]
mod follow {
    use std::cell::Cell;
    use std::rc::Rc;

    use leptos::prelude::*;
    use wasm_bindgen::closure::Closure;
    use wasm_bindgen::JsCast;

    use super::POLL_SECONDS;
    use crate::model::Module;
    use crate::modules::{figures, module_request, LiveFigures, ViewParams};

    /// The status line beside the time, for people and the browser tests.
    fn say(slug: &str, words: &str) {
        if let Some(status) = web_sys::window().and_then(|w| w.document()).and_then(|d| {
            d.query_selector(&format!("#module-{slug} .pulse-live__status"))
                .ok()
                .flatten()
        }) {
            status.set_text_content(Some(words));
        }
    }

    /// Reads the module's records of the last hours again, past the browser's
    /// cache, and shows them.
    async fn refresh(figures_signal: RwSignal<LiveFigures>, module: Module) {
        let Some(path) = module_request(&module, &ViewParams::default(), crate::modules::now())
        else {
            return;
        };
        let Ok(response) = gloo_net::http::Request::get(&path)
            .header("Accept", "application/json")
            .cache(web_sys::RequestCache::NoStore)
            .send()
            .await
        else {
            return;
        };
        if !response.ok() {
            return;
        }
        let Ok(text) = response.text().await else {
            return;
        };
        let Ok(answer) = serde_json::from_str::<crate::api::Rows>(&text) else {
            return;
        };
        if let Ok(crate::modules::Figures::Live(live)) = figures(
            &module,
            &answer.data,
            chrono::DateTime::<chrono::Utc>::MAX_UTC,
        ) {
            let _ = figures_signal.try_set(live);
        }
    }

    pub(super) fn start(figures: RwSignal<LiveFigures>, module: Module) -> Box<dyn FnOnce()> {
        let Some(stream) = module.data_set.as_deref().and_then(|ds| {
            let (group, data_type) = ds.split_once('/')?;
            Some(format!(
                "/api/v1/live/{}/{}",
                crate::api::encode_component(group),
                crate::api::encode_component(data_type)
            ))
        }) else {
            return Box::new(|| {});
        };
        let slug = module.slug.clone();
        let busy = Rc::new(Cell::new(false));
        let again = Rc::new(Cell::new(false));
        // One read at a time; a change during it reads once more after it.
        let read: Rc<dyn Fn()> = {
            let (busy, again, module) = (busy.clone(), again.clone(), module.clone());
            Rc::new(move || {
                if busy.replace(true) {
                    again.set(true);
                    return;
                }
                let (busy, again, module) = (busy.clone(), again.clone(), module.clone());
                leptos::task::spawn_local(async move {
                    loop {
                        refresh(figures, module.clone()).await;
                        if !again.replace(false) {
                            break;
                        }
                    }
                    busy.set(false);
                });
            })
        };
        let window = web_sys::window();
        let poller: Rc<Cell<Option<i32>>> = Rc::new(Cell::new(None));
        let poll = {
            let (read, poller, slug, window) =
                (read.clone(), poller.clone(), slug.clone(), window.clone());
            move || {
                if poller.get().is_some() {
                    return;
                }
                let Some(window) = &window else { return };
                let tick = Closure::<dyn Fn()>::new({
                    let read = read.clone();
                    move || read()
                });
                if let Ok(id) = window.set_interval_with_callback_and_timeout_and_arguments_0(
                    tick.as_ref().unchecked_ref(),
                    (POLL_SECONDS * 1000) as i32,
                ) {
                    poller.set(Some(id));
                    say(&slug, &format!(" Updated every {POLL_SECONDS} seconds."));
                }
                tick.forget();
            }
        };
        let source = web_sys::EventSource::new(&stream).ok();
        let mut keep: Vec<Closure<dyn FnMut(web_sys::Event)>> = Vec::new();
        match &source {
            Some(source) => {
                let on_change = Closure::<dyn FnMut(web_sys::Event)>::new({
                    let (read, slug) = (read.clone(), slug.clone());
                    let mut first = true;
                    move |_| {
                        if first {
                            // The stream's first event is the version now: read
                            // once, for what came while the page loaded.
                            first = false;
                            say(&slug, " Updated as counts arrive.");
                        }
                        read();
                    }
                });
                let _ = source
                    .add_event_listener_with_callback("change", on_change.as_ref().unchecked_ref());
                let on_error = Closure::<dyn FnMut(web_sys::Event)>::new({
                    let (source, poll) = (source.clone(), poll.clone());
                    move |_| {
                        // Closed for good (refused, or not a stream): ask every
                        // few seconds instead. A dropped connection is retried
                        // by the browser itself.
                        if source.ready_state() == web_sys::EventSource::CLOSED {
                            poll();
                        }
                    }
                });
                source.set_onerror(Some(on_error.as_ref().unchecked_ref()));
                keep.extend([on_change, on_error]);
            }
            None => poll(),
        }
        Box::new(move || {
            if let Some(source) = source {
                source.set_onerror(None);
                source.close();
            }
            if let (Some(window), Some(id)) = (window, poller.take()) {
                window.clear_interval_with_handle(id);
            }
            drop(keep);
        })
    }
}

/// A ranked list: each item's rank, name (a link when it has one) and value,
/// with a bar to the scale of the first. A table: the list is its own table.
#[component]
pub fn RankedList(
    module: Module,
    items: Vec<Item>,
    /// What the values add up over, in words.
    span: String,
) -> impl IntoView {
    let table = crate::modules::table_data(
        &module,
        &crate::modules::Figures::List(items.clone()),
        None,
        DateTime::<Utc>::MAX_UTC,
    );
    let most = items.iter().filter_map(|i| i.value).fold(0.0_f64, f64::max);
    let TableData {
        headers,
        rows: cells,
        ..
    } = table;
    let rows = items
        .into_iter()
        .zip(cells)
        .enumerate()
        .map(|(i, (item, cells))| {
            // As in the downloads: the table's own words for the value.
            let value = cells.into_iter().nth(2).map(|c| c.text).unwrap_or_default();
            let share = match item.value {
                Some(v) if most > 0.0 => (100.0 * v / most).clamp(0.0, 100.0),
                _ => 0.0,
            };
            let name = match item.link {
                Some(link) => view! { <a class="govuk-link" href=link>{item.label}</a> }.into_any(),
                None => item.label.into_any(),
            };
            view! {
                <tr class="govuk-table__row">
                    <td class="govuk-table__cell govuk-table__cell--numeric pulse-list__rank">{(i + 1).to_string()}</td>
                    <th scope="row" class="govuk-table__header pulse-list__item">
                        {name}
                        <span class="pulse-list__bar" aria-hidden="true" style=format!("width: {share:.1}%")></span>
                    </th>
                    <td class="govuk-table__cell govuk-table__cell--numeric">{value}</td>
                </tr>
            }
        })
        .collect_view();
    let id = format!("table-{}", module.slug);
    view! {
        <p class="pulse-kpi__period pulse-list__span">{span}</p>
        <div class="pulse-table-scroll" role="region" aria-label=format!("{}: table", module.title) tabindex="0">
            <table class="govuk-table pulse-list" id=id>
                <caption class="govuk-visually-hidden">{module.title.clone()}</caption>
                <thead class="govuk-table__head">
                    <tr class="govuk-table__row">
                        {headers.into_iter().enumerate().map(|(i, h)| {
                            let class = if i == 1 { "govuk-table__header" } else { "govuk-table__header govuk-table__header--numeric" };
                            view! { <th scope="col" class=class>{h}</th> }
                        }).collect_view()}
                    </tr>
                </thead>
                <tbody class="govuk-table__body">{rows}</tbody>
            </table>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn a_count_the_feed_stopped_after_is_said_to_be_the_last() {
        let at = |h, m| Utc.with_ymd_and_hms(2026, 12, 7, h, m, 0).unwrap();
        assert_eq!(counted(at(9, 12), at(9, 15)), "Counted at 09:12 GMT.");
        let module: Module = serde_json::from_value(serde_json::json!({
            "slug": "live", "title": "Live", "type": "realtime", "query": "", "options": {}
        }))
        .unwrap();
        assert_eq!(words(&module, false), "people using the service now");
        assert_eq!(
            words(&module, true),
            "people using the service at the last count"
        );
        // A module's own words ending in "now" say so too; others are kept.
        let own = |w: &str| -> Module {
            serde_json::from_value(serde_json::json!({
                "slug": "live", "title": "Live", "type": "realtime", "query": "",
                "options": { "words": w }
            }))
            .unwrap()
        };
        assert_eq!(
            words(&own("visitors on GOV.UK now"), false),
            "visitors on GOV.UK now"
        );
        assert_eq!(
            words(&own("visitors on GOV.UK Now "), true),
            "visitors on GOV.UK at the last count"
        );
        assert_eq!(words(&own("calls we know"), true), "calls we know");
        assert_eq!(words(&own("now"), true), "at the last count");
        assert_eq!(words(&own("ñow"), true), "ñow");
        assert_eq!(
            counted(at(9, 12), at(14, 50)),
            "Last counted at 09:12 GMT: no count has come since."
        );
        // Yesterday's count says its day.
        let yesterday = Utc.with_ymd_and_hms(2026, 12, 6, 23, 58, 0).unwrap();
        assert_eq!(
            counted(yesterday, at(0, 30)),
            "Last counted at 23:58 GMT on 6 December 2026: no count has come since."
        );
    }
}
