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

/// Where a note is drawn: its band's (or line's) left and right edges and
/// its pin's x.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) struct Span {
    pub left: f64,
    pub right: f64,
    pub pin: f64,
}

/// Where a note is drawn (`range` if it is one, else a moment), its first and last periods being at `first` and
/// `last` (x in pixels), periods `step` apart, on a plot from `plot.0` to
/// `plot.1`: a range's band runs half a period beyond each end, cut at the
/// plot's edges, with the pin over the middle of what shows; a moment is a
/// line with the pin over it. `None` when nothing of the note is in view
/// (the chart is zoomed elsewhere).
pub(super) fn span(
    range: bool,
    first: f64,
    last: f64,
    step: f64,
    plot: (f64, f64),
) -> Option<Span> {
    let (lo, hi) = plot;
    if range {
        let left = (first - step / 2.0).max(lo);
        let right = (last + step / 2.0).min(hi);
        (right - left >= 1.0).then_some(Span {
            left,
            right,
            pin: (left + right) / 2.0,
        })
    } else {
        // (a moment at the plot's edge may be a rounding off it)
        within(first, plot).then_some(Span {
            left: first,
            right: first,
            pin: first,
        })
    }
}

/// Whether `x` is on the plot (allowing a pixel's rounding either side).
pub(super) fn within(x: f64, (lo, hi): (f64, f64)) -> bool {
    x >= lo - 1.0 && x <= hi + 1.0
}

/// How far apart two pins' middles must be not to touch: a pin is 24 px wide
/// with one digit and about 32 px with two, and keeps a little room.
pub(super) const PIN_GAP: f64 = 34.0;

/// The row of each pin (0 is the top): a pin goes in the first row where it
/// touches no pin already placed, so no two pins ever cover each other.
pub(super) fn pin_rows(middles: &[f64]) -> Vec<usize> {
    let mut rows: Vec<Vec<f64>> = Vec::new();
    middles
        .iter()
        .map(|&x| {
            let free = rows
                .iter()
                .position(|row| row.iter().all(|other| (other - x).abs() >= PIN_GAP));
            let row = free.unwrap_or(rows.len());
            if row == rows.len() {
                rows.push(Vec::new());
            }
            rows[row].push(x);
            row
        })
        .collect()
}

/// Whether a note covers a range of time (not a moment).
pub(super) fn is_range(note: &Annotation) -> bool {
    note.ends_at.is_some_and(|e| e > note.starts_at)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Whether any two pins in the same row touch.
    fn touching(middles: &[f64], rows: &[usize]) -> bool {
        (0..middles.len()).any(|i| {
            (i + 1..middles.len())
                .any(|j| rows[i] == rows[j] && (middles[i] - middles[j]).abs() < PIN_GAP)
        })
    }

    #[test]
    fn a_range_running_past_the_zoomed_window_is_drawn_up_to_its_edge() {
        let plot = (64.0, 600.0);
        let range = true;
        // Ends in the window's last period, whose half-period band would
        // reach past the plot: cut at the edge, not dropped.
        let s = span(range, 500.0, 600.0, 20.0, plot).expect("drawn");
        assert_eq!((s.left, s.right, s.pin), (490.0, 600.0, 545.0));
        // Starts before the window and ends after it: the whole plot.
        let s = span(range, -200.0, 900.0, 20.0, plot).expect("drawn");
        assert_eq!((s.left, s.right), (64.0, 600.0));
        // Wholly after or before the window: not drawn.
        assert_eq!(span(range, 640.0, 700.0, 20.0, plot), None);
        assert_eq!(span(range, -100.0, 40.0, 20.0, plot), None);
    }

    #[test]
    fn a_moment_is_drawn_only_when_in_view() {
        let plot = (64.0, 600.0);
        let moment = false;
        assert_eq!(
            span(moment, 600.4, 600.4, 20.0, plot).map(|s| s.pin),
            Some(600.4)
        );
        assert_eq!(span(moment, 620.0, 620.0, 20.0, plot), None);
        assert_eq!(span(moment, 40.0, 40.0, 20.0, plot), None);
    }

    #[test]
    fn pins_far_apart_share_the_top_row() {
        assert_eq!(pin_rows(&[10.0, 60.0, 200.0]), vec![0, 0, 0]);
    }

    #[test]
    fn pins_that_would_touch_go_one_below_the_other() {
        // Weekly periods 20 px apart: every neighbour would touch.
        let middles = [100.0, 120.0, 140.0, 160.0];
        let rows = pin_rows(&middles);
        assert_eq!(rows, vec![0, 1, 0, 1]);
        assert!(!touching(&middles, &rows));
    }

    #[test]
    fn no_two_pins_ever_touch_whatever_their_order() {
        // Many notes close together, in no particular order (as a range's
        // pin sits at its middle, pins need not come in x order).
        let middles: Vec<f64> = (0..40).map(|i| f64::from((i * 37) % 23) * 9.0).collect();
        let rows = pin_rows(&middles);
        assert!(!touching(&middles, &rows));
        // Each pin went in the first free row, so no more rows than needed
        // at the most crowded place.
        assert!(rows.iter().max().copied().unwrap_or(0) < middles.len());
    }

    #[test]
    fn notes_at_one_moment_stack() {
        assert_eq!(pin_rows(&[50.0, 50.0, 50.0]), vec![0, 1, 2]);
    }
}
