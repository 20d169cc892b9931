//! What a chart marks: its notes (numbered in time order, over the periods
//! they cover) and the unusual figures no note explains yet, and the points
//! of the chart ("anchors") the marks are drawn at.

use leptos::prelude::*;

use super::NotesState;
use crate::kpi::{format_value, Unusual};
use crate::model::{Annotation, Period, Unit};
use crate::notes as rules;

/// Where an anchor is drawn: its x, and its y when placed by value.
pub(super) type Point = (f64, Option<f64>);

/// Unusual figures at one period, across a chart's series.
#[derive(Clone, Debug, PartialEq)]
pub(super) struct SpikeAt {
    pub(super) index: usize,
    /// The value to place the marker at (the first series'), if placed by value.
    pub(super) y: Option<f64>,
    /// "Digital: 612,000 (about 150,000 expected)" for each series.
    pub(super) words: Vec<String>,
    pub(super) rise: bool,
}

/// A mark over the chart.
#[derive(Clone, Debug, PartialEq)]
pub(super) enum Mark {
    /// A note (numbered as in the list) over periods `first..=last`.
    Note {
        number: usize,
        note: Annotation,
        first: usize,
        last: usize,
    },
    Spike(SpikeAt),
}

/// Unusual figures (with their series' names), one per period, in period
/// order; their values are placed as the chart draws them (ratios as
/// percents).
fn spikes_of(found: Vec<(String, Unusual)>, unit: Unit) -> Vec<SpikeAt> {
    let mut spikes: Vec<SpikeAt> = Vec::new();
    for (
        name,
        Unusual {
            index,
            value,
            expected,
            score,
        },
    ) in found
    {
        let words = format!(
            "{name}: {} (about {} expected)",
            format_value(Some(value), unit),
            format_value(Some(expected), unit)
        );
        match spikes.iter_mut().find(|s| s.index == index) {
            Some(s) => s.words.push(words),
            None => spikes.push(SpikeAt {
                index,
                y: Some(if unit == Unit::Ratio {
                    value * 100.0
                } else {
                    value
                }),
                words: vec![words],
                rise: score > 0.0,
            }),
        }
    }
    spikes.sort_by_key(|s| s.index);
    spikes
}

/// The chart's series (by name), the same over the year before them too
/// (when loaded), and the unit of their values.
pub(super) struct ChartSeries {
    pub(super) series: Vec<rules::NamedSeries>,
    pub(super) history: Option<(Vec<Period>, Vec<rules::NamedSeries>)>,
    pub(super) unit: Unit,
    /// When the chart's data set was last written.
    pub(super) received: Option<chrono::DateTime<chrono::Utc>>,
}

/// The notes on this chart, numbered in time order, and the unusual figures
/// no note explains, as the page's notes change.
pub(super) fn marks_here(
    state: NotesState,
    dashboard: String,
    module: String,
    periods: StoredValue<Vec<Period>>,
    series: StoredValue<ChartSeries>,
) -> Memo<Vec<Mark>> {
    Memo::new(move |_| {
        let list = state.list.get();
        periods.with_value(|periods| {
            series.with_value(|series| chart_marks(&list, &dashboard, &module, periods, series))
        })
    })
}

/// The marks of module `module` of `dashboard` over `periods`: the notes on it
/// (see [`rules::on_module`]) in the periods, then the unusual figures of its
/// series none of them explains (see [`rules::unexplained_figures`]).
fn chart_marks(
    list: &[Annotation],
    dashboard: &str,
    module: &str,
    periods: &[Period],
    series: &ChartSeries,
) -> Vec<Mark> {
    let mut marks: Vec<Mark> = list
        .iter()
        .filter(|n| rules::on_module(n, dashboard, module))
        .filter_map(|n| {
            let (first, last) = rules::span(n, periods)?;
            Some((n.clone(), first, last))
        })
        .enumerate()
        .map(|(i, (note, first, last))| Mark::Note {
            number: i + 1,
            note,
            first,
            last,
        })
        .collect();
    let found = rules::unexplained_figures(
        list,
        dashboard,
        module,
        (periods, &series.series),
        series
            .history
            .as_ref()
            .map(|(p, s)| (p.as_slice(), s.as_slice())),
        series.unit,
        series.received,
    );
    marks.extend(spikes_of(found, series.unit).into_iter().map(Mark::Spike));
    marks
}

/// Where the marks are drawn: two anchors per note (its first and last
/// period), one per unusual figure (at its value when `by_value`).
pub(super) fn anchors_of(
    here: Memo<Vec<Mark>>,
    by_value: Signal<bool>,
) -> Signal<Vec<(usize, Option<f64>)>> {
    Signal::derive(move || {
        let by_value = by_value.get();
        here.with(|marks| {
            marks
                .iter()
                .flat_map(|m| match m {
                    Mark::Note { first, last, .. } => vec![(*first, None), (*last, None)],
                    Mark::Spike(s) => vec![(s.index, s.y.filter(|_| by_value))],
                })
                .collect::<Vec<_>>()
        })
    })
}

/// Where a note's pin goes: over its moment, or the middle of its range.
pub(super) fn pin_x(note: &Annotation, first: f64, last: f64) -> f64 {
    if is_range(note) {
        (first + last) / 2.0
    } else {
        first
    }
}

/// Whether a note covers a range of time (not a moment).
pub(super) fn is_range(note: &Annotation) -> bool {
    note.ends_at.is_some_and(|e| e > note.starts_at)
}
