//! The marks drawn over a chart: the band being dragged, the notes' bands and
//! pins (with their tooltips), the markers of unexplained unusual figures, the
//! opened note's card and the editor opened on the chart; and the ways an
//! editor opens it there (a click, a drag) or below it ("Add a note").

use leptos::prelude::*;

use super::card::NoteCard;
use super::draft::{dates_of, Draft};
use super::editor::LazyEditor;
use super::marks::{is_range, pin_rows, span, within, Mark, Point, Span, SpikeAt};
use super::{note_text, ChartState};
use crate::components::chart::GRID_TOP;
use crate::model::{Annotation, Period};
use crate::notes as rules;

/// For editors: a click on period `i` (at `x`, `y`) opens the editor there,
/// for a note on that period.
pub(super) fn on_point(chart: ChartState) -> Option<Callback<(usize, f64, f64)>> {
    let ChartState {
        periods,
        draft,
        card,
        may,
        ..
    } = chart;
    may.then(|| {
        Callback::new(move |(i, x, y): (usize, f64, f64)| {
            // (`try_`: here and below, a chart whose page is reloading its
            // figures is still shown, and clicked, after its state has gone)
            let Some((from, _)) = periods.try_with_value(|p| dates_of(p, i, i)) else {
                return;
            };
            if !from.is_empty() {
                card.set(None);
                draft.start(from, String::new(), Some((x, y)));
            }
        })
    })
}

/// For editors: a drag over periods `a` to `b` opens the editor where the drag
/// began, for a note over those periods.
pub(super) fn on_range(chart: ChartState) -> Option<Callback<(usize, usize)>> {
    let ChartState {
        periods,
        selecting,
        draft,
        card,
        may,
        ..
    } = chart;
    may.then(|| {
        Callback::new(move |(a, b): (usize, usize)| {
            let count = periods.try_with_value(Vec::len).unwrap_or_default();
            if count == 0 {
                return;
            }
            let (a, b) = (a.min(count - 1), b.min(count - 1));
            let Some((from, to)) = periods.try_with_value(|p| dates_of(p, a, b)) else {
                return;
            };
            // The editor opens where the drag began.
            let x = selecting
                .try_get_untracked()
                .flatten()
                .map(|(x0, x1)| x0.min(x1))
                .unwrap_or(0.0);
            card.set(None);
            draft.start(
                from,
                if a == b { String::new() } else { to },
                Some((x, GRID_TOP)),
            );
        })
    })
}

/// Everything drawn over the chart.
pub(super) fn overlay(chart: ChartState, chart_id: &str, dashboard: &str, module: &str) -> AnyView {
    let ChartState {
        state,
        selecting,
        draft,
        card,
        may,
        bottom,
        add_button,
        ..
    } = chart;
    let chart_id = chart_id.to_string();
    let card_chart = chart_id.clone();
    let (dashboard, module) = (dashboard.to_string(), module.to_string());
    view! {
        <div class="pulse-marks">
            {move || selecting.get().map(|(a, b)| view! {
                <div class="pulse-band pulse-band--selecting" style=format!(
                    "left:{}px;width:{}px;top:{GRID_TOP}px;bottom:{bottom}px", a.min(b), (a - b).abs()
                )></div>
            })}
            {move || placed_marks(chart, &chart_id)}
            {move || card.get().and_then(|id| {
                state.list.with(|l| l.iter().find(|n| n.id == id).cloned())
            }).map(|note| view! { <NoteCard note card draft may state chart_id=card_chart.clone()/> })}
            <Show when=move || draft.open.get() && draft.at.get().is_some()>
                <LazyEditor draft state dashboard=dashboard.clone() module=module.clone() return_to=add_button anchored=true/>
            </Show>
        </div>
    }
    .into_any()
}

/// The chart's marks where the chart has placed their anchors: a note's band
/// and pin (pins that would cover each other go one below the other), an
/// unusual figure's marker.
fn placed_marks(chart: ChartState, chart_id: &str) -> impl IntoView {
    let ChartState {
        periods,
        here,
        placed,
        draft,
        card,
        may,
        bottom,
        ..
    } = chart;
    let placed = placed.get();
    let marks = here.get();
    // Where each drawn note's pin goes; pins that would cover each other go
    // one below the other.
    let mut cursor = 0;
    let at = |i: usize| placed.points.get(i).copied().flatten();
    let spans: Vec<Option<Span>> = marks
        .iter()
        .map(|mark| match mark {
            Mark::Note { note, .. } => {
                let drawn = match (at(cursor), at(cursor + 1)) {
                    (Some((a, _)), Some((b, _))) => {
                        span(is_range(note), a, b, placed.step, placed.plot)
                    }
                    _ => None,
                };
                cursor += 2;
                drawn
            }
            Mark::Spike(_) => {
                cursor += 1;
                None
            }
        })
        .collect();
    let middles: Vec<f64> = spans.iter().flatten().map(|s| s.pin).collect();
    let mut rows = pin_rows(&middles).into_iter();
    let mut cursor = 0;
    marks
        .into_iter()
        .zip(spans)
        .map(|(mark, drawn)| match mark {
            Mark::Note { number, note, .. } => {
                cursor += 2;
                let Some(drawn) = drawn else {
                    return ().into_any();
                };
                let row = rows.next().unwrap_or(0);
                note_mark((number, row), note, drawn, bottom, chart_id, card)
            }
            Mark::Spike(spike) => {
                let shown = at(cursor).filter(|(x, _)| within(*x, placed.plot));
                cursor += 1;
                spike_mark(spike, shown, chart_id, periods, draft, card, may)
            }
        })
        .collect_view()
}

/// For editors, under the chart: "Add a note", which opens the editor below
/// the chart for a note on the last period.
pub(super) fn add_button(chart: ChartState, chart_id: &str) -> AnyView {
    let ChartState {
        periods,
        draft,
        card,
        add_button,
        ..
    } = chart;
    view! {
        <button type="button" class="govuk-button govuk-button--secondary pulse-add-note"
            id=format!("{chart_id}-add-note") node_ref=add_button
            on:click=move |_| {
                let Some((from, _)) = periods.try_with_value(|p| {
                    dates_of(p, p.len().saturating_sub(1), 0)
                }) else {
                    return;
                };
                card.set(None);
                draft.start(from, String::new(), None);
            }>
            "Add a note"
        </button>
    }
    .into_any()
}

/// A note over the chart: a shaded band for a range (a line for a moment) and
/// a numbered pin that shows the note when hovered or focused, and opens it
/// (with Edit and Delete for editors) when pressed.
fn note_mark(
    (number, row): (usize, usize),
    note: Annotation,
    drawn: Span,
    bottom: f64,
    chart_id: &str,
    card: RwSignal<Option<i64>>,
) -> AnyView {
    let range = is_range(&note);
    let (left, width, middle) = (drawn.left, drawn.right - drawn.left, drawn.pin);
    let top = GRID_TOP - 14.0 + 28.0 * row as f64;
    let tip_id = format!("{chart_id}-note-{}-tip", note.id);
    let id = note.id;
    let band = if range {
        view! {
            <div class="pulse-band" data-note=id style=format!(
                "left:{left}px;width:{width}px;top:{GRID_TOP}px;bottom:{bottom}px"
            )></div>
        }
        .into_any()
    } else {
        view! {
            <div class="pulse-note-line" data-note=id style=format!(
                "left:{left}px;top:{GRID_TOP}px;bottom:{bottom}px"
            )></div>
        }
        .into_any()
    };
    let when = rules::when(&note);
    let label = format!("Note {number}, {when}");
    view! {
        {band}
        <button type="button" class="pulse-pin" id=format!("{chart_id}-note-{id}")
            data-note=id style=format!("left:{middle}px;top:{top}px")
            aria-label=label aria-describedby=tip_id.clone() aria-expanded=move || (card.get() == Some(id)).to_string()
            on:click=move |_| card.update(|c| *c = if *c == Some(id) { None } else { Some(id) })>
            {number}
        </button>
        <div class="pulse-tip" role="tooltip" id=tip_id style=format!("left:{middle}px;top:{}px", top + 20.0)>
            <strong>{when}</strong><br/>{note_text(&note.text)}
        </div>
    }
    .into_any()
}

/// A marker on an unusual figure no note explains: for editors a button that
/// opens the editor there ("Explain this spike"), for others a quiet mark with
/// the figures in its tooltip.
fn spike_mark(
    spike: SpikeAt,
    at: Option<Point>,
    chart_id: &str,
    periods: StoredValue<Vec<Period>>,
    draft: Draft,
    card: RwSignal<Option<i64>>,
    may: bool,
) -> AnyView {
    let Some((x, y)) = at else {
        return ().into_any();
    };
    let y = y.unwrap_or(GRID_TOP);
    let period = periods.with_value(|p| {
        p.get(spike.index)
            .map(crate::kpi::format_period)
            .unwrap_or_default()
    });
    let what = if spike.rise { "spike" } else { "dip" };
    let figures = spike.words.join("; ");
    let tip_id = format!("{chart_id}-spike-{}-tip", spike.index);
    let style = format!("left:{x}px;top:{y}px");
    let tip_style = format!("left:{x}px;top:{}px", y + 12.0);
    let id = format!("{chart_id}-spike-{}", spike.index);
    let class = if spike.rise {
        "pulse-spike pulse-spike--rise"
    } else {
        "pulse-spike pulse-spike--dip"
    };
    let tip = if may {
        format!("Unusual {what} in {period}, not explained yet. {figures}. Press to explain it.")
    } else {
        format!("Unusual {what} in {period}, not explained yet. {figures}.")
    };
    let marker = if may {
        let index = spike.index;
        view! {
            <button type="button" class=class id=id style=style data-index=index
                aria-label=format!("Explain this {what}: {period}") aria-describedby=tip_id.clone()
                on:click=move |_| {
                    let Some((from, _)) = periods.try_with_value(|p| dates_of(p, index, index)) else {
                        return;
                    };
                    card.set(None);
                    draft.start(from, String::new(), Some((x, y)));
                }>
                <span class="govuk-visually-hidden">"Explain this "{what}</span>
            </button>
        }
        .into_any()
    } else {
        view! {
            <span class=class id=id style=style role="img" data-index=spike.index
                aria-label=format!("Unusual {what}, not explained yet: {period}") aria-describedby=tip_id.clone()></span>
        }
        .into_any()
    };
    view! {
        {marker}
        <div class="pulse-tip pulse-tip--spike" role="tooltip" id=tip_id style=tip_style>{tip}</div>
    }
    .into_any()
}
