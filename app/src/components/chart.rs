//! Charts: an ECharts option built by a pure function from shared data, and a
//! component that owns the ECharts instance in the browser.
//!
//! The option builders are plain functions from model types to an [`EChart`]
//! (its series `charming`'s typed lines and bars, its frame JSON) and are
//! tested natively. The component renders an empty, labelled container on the
//! server; after hydration an effect creates the ECharts instance in it, sets
//! the option (replacing, not merging, so removed series do not linger),
//! resizes it with the window and disposes of it when the component goes away.

use charming::{
    element::{
        AreaStyle, BorderType, ItemStyle, Label, LabelPosition, LineStyle, LineStyleType, MarkArea,
        MarkAreaData,
    },
    series::{Bar, Line},
};
use leptos::prelude::*;
use serde_json::{json, Value};

use crate::components::table_toggle::NoScriptChart;

use crate::kpi::{is_complete, short_period_label};
use crate::model::{ChannelSeries, Period, Unit};
use crate::modules::{Step, TimeFigures};
use chrono::{DateTime, Utc};

/// An ECharts option, as it goes to ECharts: its frame (palette, tooltip,
/// legend, grid, axes, zoom) written here in ECharts' names, and its series,
/// each a `charming` [`Line`] or [`Bar`].
///
/// The frame is not a `charming::Chart`: serialising one compiles in the
/// serialisers of every series type and component ECharts has (pies, maps,
/// toolboxes, …), which the browser would download on every dashboard for
/// nothing, so the option is put together from the series Pulse draws.
#[derive(Clone, Debug, PartialEq)]
pub struct EChart(Value);

impl EChart {
    /// A frame without series.
    fn new(frame: Value) -> EChart {
        EChart(frame)
    }

    /// The option with one more series.
    pub fn series(mut self, series: impl serde::Serialize) -> EChart {
        let series = serde_json::to_value(series).unwrap_or(Value::Null);
        if let Some(frame) = self.0.as_object_mut() {
            match frame.get_mut("series").and_then(Value::as_array_mut) {
                Some(all) => all.push(series),
                None => {
                    frame.insert("series".into(), Value::Array(vec![series]));
                }
            }
        }
        self
    }

    /// The option with `key` (a grid, a legend) set to `value`.
    fn with(mut self, key: &str, value: Value) -> EChart {
        if let Some(frame) = self.0.as_object_mut() {
            frame.insert(key.into(), value);
        }
        self
    }

    /// The option as JSON.
    pub fn as_value(&self) -> &Value {
        &self.0
    }
}

/// How a chart zooms inside the plot, added to its option as it goes to
/// ECharts: the mouse wheel scrolls the page
/// (the chart zooms with Ctrl and the wheel, a pinch, a drag or the slider),
/// and a touch that moves the page is not taken by the chart.
/// A chart whose legend is drawn by the page ([`legend_entries`]) has its
/// own legend hidden.
pub fn page_friendly(option: &mut serde_json::Value) {
    if legend_entries(option).len() > 1 {
        if let Some(legend) = option.get_mut("legend").and_then(|l| l.as_object_mut()) {
            legend.insert("show".into(), false.into());
        }
    }
    let zooms = match option.get_mut("dataZoom") {
        Some(serde_json::Value::Array(zooms)) => zooms,
        _ => return,
    };
    for zoom in zooms {
        if zoom.get("type").and_then(serde_json::Value::as_str) == Some("inside") {
            if let Some(zoom) = zoom.as_object_mut() {
                zoom.insert("zoomOnMouseWheel".into(), "ctrl".into());
                zoom.insert("moveOnMouseWheel".into(), false.into());
                zoom.insert("preventDefaultMouseMove".into(), false.into());
            }
        }
    }
}

/// One line or set of bars of a chart, as its legend shows it.
#[derive(Clone, Debug, PartialEq)]
pub struct LegendEntry {
    pub name: String,
    /// A CSS colour.
    pub colour: String,
    /// Drawn as a line (else as bars).
    pub line: bool,
    pub dashed: bool,
}

/// ECharts' own colours, for an option that names none.
const ECHARTS_PALETTE: [&str; 9] = [
    "#5470c6", "#91cc75", "#fac858", "#ee6666", "#73c0de", "#3ba272", "#fc8452", "#9a60b4",
    "#ea7ccc",
];

/// What a chart's legend holds, as ECharts would draw it: each series' name
/// once, in order, in its own colour or the palette's colour for its name.
/// The page draws it as buttons (which the keyboard reaches, unlike the
/// canvas); empty when the chart shows no legend.
pub fn legend_entries(option: &serde_json::Value) -> Vec<LegendEntry> {
    use serde_json::Value;
    let legend = option.get("legend").and_then(|legend| match legend {
        Value::Array(all) => all.first(),
        one => Some(one),
    });
    if legend.is_none_or(|l| l.get("show") == Some(&Value::Bool(false))) {
        return Vec::new();
    }
    let palette: Vec<&str> = match option.get("color").and_then(Value::as_array) {
        Some(colours) => colours.iter().filter_map(Value::as_str).collect(),
        None => Vec::new(),
    };
    let palette = if palette.is_empty() {
        ECHARTS_PALETTE.to_vec()
    } else {
        palette
    };
    let text = |v: &Value, path: &[&str]| {
        path.iter()
            .try_fold(v, |v, key| v.get(key))
            .and_then(Value::as_str)
            .map(str::to_string)
    };
    let mut entries: Vec<LegendEntry> = Vec::new();
    let mut next = 0;
    for series in option
        .get("series")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let Some(name) = text(series, &["name"]).filter(|n| !n.is_empty()) else {
            continue;
        };
        if entries.iter().any(|e| e.name == name) {
            continue;
        }
        // A line is drawn in its line style's colour, bars in their item
        // style's; a series without one takes the palette's next colour (one
        // with its own leaves the palette alone, as in ECharts).
        let line = text(series, &["type"]).as_deref() == Some("line");
        let own = text(
            series,
            &[if line { "lineStyle" } else { "itemStyle" }, "color"],
        );
        let colour = own.unwrap_or_else(|| {
            next += 1;
            palette[(next - 1) % palette.len()].to_string()
        });
        entries.push(LegendEntry {
            name,
            colour,
            line,
            dashed: text(series, &["lineStyle", "type"]).as_deref() == Some("dashed"),
        });
    }
    entries
}

/// Where Pulse serves its build of ECharts (only the parts it uses), loaded
/// by the first chart of a visit.
pub const ECHARTS_SCRIPT: &str = "/vendor/echarts.min.js";

/// Colours that meet contrast guidance on white, one per channel (GOV.UK palette).
pub const PALETTE: [&str; 6] = [
    "#1d70b8", "#f47738", "#4c2c92", "#00703c", "#d4351c", "#505a5f",
];

/// The option of the transactions-by-channel line chart: one line per channel over
/// the series' periods, a tooltip on the axis, a legend that toggles lines, and a
/// zoom slider over time. With `previous`, the total and the total of a year
/// earlier are overlaid (dashed), with gaps where there was no data then.
pub fn channel_chart(series: &ChannelSeries, previous: Option<&[Option<f64>]>) -> EChart {
    let until = series.complete_until.unwrap_or(DateTime::<Utc>::MIN_UTC);
    let labels = period_labels(&series.periods, until);
    let so_far = first_so_far(&series.periods, until);
    let mut chart = base_chart(
        labels.clone(),
        Unit::Number,
        zooms(labels.len()),
        "Transactions",
    );
    for (i, line) in series.channels.iter().enumerate() {
        let drawn = Line::new()
            .name(line.label.as_str())
            .show_symbol(false)
            .data(line.values.clone());
        let drawn = match so_far.filter(|_| i == 0) {
            Some(from) => drawn.mark_area(so_far_band(&labels, from)),
            None => drawn,
        };
        chart = chart.series(lone_values_drawn(drawn, &line.values));
    }
    if let Some(previous) = previous {
        chart = chart.series(total_line(series.totals())).series(dashed(
            "Total, a year earlier",
            crate::kpi::comparable_year_earlier(previous, &series.periods, series.complete_until),
        ));
    }
    chart
}

/// Whether a line has a value with a gap on either side (or at an end): a
/// line with no symbols draws nothing there, so its points are drawn.
fn has_lone_value(values: &[Option<f64>]) -> bool {
    let at = |i: Option<usize>| i.and_then(|i| values.get(i)).copied().flatten();
    (0..values.len())
        .any(|i| values[i].is_some() && at(i.checked_sub(1)).is_none() && at(Some(i + 1)).is_none())
}

/// A line's series with each lone value (a gap on either side) drawn as a
/// point, every one of them: ECharts thins a line's points where they crowd
/// (`showAllSymbol: 'auto'`), and a lone value thinned away is not drawn at all.
fn lone_values_drawn(line: Line, values: &[Option<f64>]) -> Value {
    let mut series = serde_json::to_value(line).unwrap_or(Value::Null);
    if has_lone_value(values) {
        series["showSymbol"] = Value::Bool(true);
        series["showAllSymbol"] = Value::Bool(true);
    }
    series
}

/// The black line of the totals.
fn total_line(values: Vec<impl Into<charming::datatype::DataPoint>>) -> Line {
    Line::new()
        .name("Total")
        .show_symbol(false)
        .item_style(ItemStyle::new().color("#0b0c0c"))
        .line_style(LineStyle::new().color("#0b0c0c").width(2))
        .data(values)
}

/// Whether a chart of this many periods offers zoom and pan (a handful of bars
/// needs neither).
pub fn zooms(periods: usize) -> bool {
    periods > 12
}

/// How a time-series module draws its series.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum TimeStyle {
    /// A line per series.
    Lines,
    /// Areas stacked on each other, the top edge being the total.
    Stacked,
    /// Stacked to 100%: each series' share of the period's total.
    Percent,
    /// A bar per period (one series).
    Bars,
}

impl TimeStyle {
    pub fn parse(s: &str) -> Option<TimeStyle> {
        match s {
            "lines" => Some(TimeStyle::Lines),
            "stacked" => Some(TimeStyle::Stacked),
            "percent" => Some(TimeStyle::Percent),
            "bars" => Some(TimeStyle::Bars),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            TimeStyle::Lines => "lines",
            TimeStyle::Stacked => "stacked",
            TimeStyle::Percent => "percent",
            TimeStyle::Bars => "bars",
        }
    }
}

/// Values as the chart plots them: percents for ratios (to 1 decimal place, as the
/// table shows them), otherwise as they are.
fn plotted(values: &[Option<f64>], unit: Unit) -> Vec<Option<f64>> {
    values
        .iter()
        .map(|v| {
            v.map(|v| match unit {
                Unit::Ratio => (v * 1000.0).round() / 10.0,
                _ => v,
            })
        })
        .collect()
}

/// The plot area's margins inside a chart of categories, in pixels (the marks
/// drawn over a chart are placed with them).
pub const GRID_LEFT: f64 = 64.0;
pub const GRID_RIGHT: f64 = 24.0;
pub const GRID_TOP: f64 = 40.0;

/// The plot area's bottom margin: room for the zoom slider when there is one.
pub fn grid_bottom(zoom: bool) -> f64 {
    if zoom {
        72.0
    } else {
        32.0
    }
}

/// The units a tooltip's `valueFormatter` may name, in the option as it is
/// built; the browser puts a function in the name's place.
pub const TOOLTIP_UNITS: [(&str, Unit); 3] = [
    ("number", Unit::Number),
    ("pounds", Unit::Pounds),
    ("percent", Unit::Ratio),
];

fn unit_key(unit: Unit) -> &'static str {
    TOOLTIP_UNITS
        .iter()
        .find(|(_, u)| *u == unit)
        .map_or("number", |(key, _)| key)
}

/// A figure as a chart's tooltip writes it: as the table does, from the
/// figure as plotted (a rate is plotted as a percentage already).
pub fn tooltip_figure(plotted: Option<f64>, unit: Unit) -> String {
    match (plotted, unit) {
        (Some(v), Unit::Ratio) => crate::kpi::format_percent(v / 100.0),
        (Some(v), _) => crate::kpi::format_value_in_full(v, unit),
        (None, _) => "no data".into(),
    }
}

/// A chart over categories (periods, steps): the palette, an axis tooltip, a
/// legend, the value axis in `unit` (named `name` unless empty) and, with `zoom`,
/// zoom and pan.
fn base_chart(labels: Vec<String>, unit: Unit, zoom: bool, name: &str) -> EChart {
    let mut value_axis = json!({"type": "value"});
    let formatter = match unit {
        Unit::Ratio => Some("{value}%"),
        Unit::Pounds => Some("£{value}"),
        Unit::Number => None,
    };
    if let Some(formatter) = formatter {
        value_axis["axisLabel"] = json!({ "formatter": formatter });
    }
    if !name.is_empty() {
        value_axis["name"] = name.into();
        // From the axis rightwards: centred on it, a long name ran off the
        // chart's left edge ("ndex (first shared = 100)").
        value_axis["nameTextStyle"] = json!({"align": "left"});
    }
    let mut frame = json!({
        "color": PALETTE,
        // The unit's name stands for the function that writes the tooltip's
        // figures as the tables do ("£4.57", not 4.5666667), put in its
        // place in the browser ([`TOOLTIP_UNITS`]).
        "tooltip": {"trigger": "axis", "valueFormatter": unit_key(unit)},
        "legend": {"top": 0},
        "grid": {
            "left": GRID_LEFT,
            "right": GRID_RIGHT,
            "top": GRID_TOP,
            "bottom": grid_bottom(zoom),
        },
        "xAxis": {"type": "category", "data": labels},
        "yAxis": value_axis,
    });
    if zoom {
        frame["dataZoom"] = json!([
            {"type": "inside"},
            {"type": "slider", "bottom": 16},
        ]);
    }
    EChart::new(frame)
}

fn dashed(name: &str, values: Vec<Option<f64>>) -> Value {
    let line = Line::new()
        .name(name)
        .show_symbol(false)
        .item_style(ItemStyle::new().color("#505a5f"))
        .line_style(
            LineStyle::new()
                .color("#505a5f")
                .width(2)
                .type_(LineStyleType::Dashed),
        )
        .data(values.clone());
    // A value a year earlier alone between gaps is drawn as a point.
    lone_values_drawn(line, &values)
}

/// The axis labels of `periods`: a period not yet complete (see
/// [`crate::kpi::complete_until`]) says "so far".
fn period_labels(periods: &[Period], complete_until: DateTime<Utc>) -> Vec<String> {
    periods
        .iter()
        .map(|p| {
            if is_complete(p, Some(complete_until)) {
                short_period_label(p)
            } else {
                format!("{} (so far)", short_period_label(p))
            }
        })
        .collect()
}

/// The index of the first period not yet complete, if any.
fn first_so_far(periods: &[Period], complete_until: DateTime<Utc>) -> Option<usize> {
    periods
        .iter()
        .position(|p| !is_complete(p, Some(complete_until)))
}

/// A grey band labelled "So far" over the stretch of a line chart that leads to
/// the periods from `from` on: from the last whole period's point to the plot's
/// right edge (an end without a place is the edge to ECharts), so the band has
/// a width even when only the last period is unfinished and covers every
/// segment drawn to a figure that is not a whole period's. Where the last whole
/// period is the first drawn (two points), that segment is the whole line and
/// the band would say every figure is one "so far": it starts at the first
/// unfinished point instead.
fn so_far_band(labels: &[String], from: usize) -> MarkArea {
    let start = if from >= 2 { from - 1 } else { from };
    let start = labels
        .get(start)
        .or(labels.last())
        .map_or("", String::as_str);
    MarkArea::new()
        .silent(true)
        .item_style(ItemStyle::new().color("rgba(177, 180, 182, 0.45)"))
        .label(Label::new().show(true).formatter("So far"))
        .data(vec![(
            MarkAreaData::new().x_axis(start).name("So far"),
            MarkAreaData::new(),
        )])
}

/// A series' name and values.
type Named = (String, Vec<Option<f64>>);

/// A time-series module's chart: its series as lines, stacked areas, shares of
/// 100% or bars; with `total`, a line of the totals; with `previous`, the totals
/// (or rates) of a year earlier, dashed. Zoom and pan over time, a legend that
/// toggles series, a tooltip on the axis.
pub fn time_chart(
    figures: &TimeFigures,
    style: TimeStyle,
    unit: Unit,
    total: bool,
    previous: Option<&[Option<f64>]>,
    complete_until: DateTime<Utc>,
) -> EChart {
    let labels = period_labels(&figures.periods, complete_until);
    let so_far = first_so_far(&figures.periods, complete_until);
    let totals = figures.totals();
    let (unit, series): (Unit, Vec<Named>) = match style {
        TimeStyle::Percent => (
            Unit::Ratio,
            figures
                .series
                .iter()
                .map(|s| {
                    let shares = s
                        .values
                        .iter()
                        .zip(&totals)
                        .map(|(v, t)| match (v, t) {
                            (Some(v), Some(t)) if *t != 0.0 => Some(v / t),
                            _ => None,
                        })
                        .collect();
                    (s.label.clone(), shares)
                })
                .collect(),
        ),
        _ => (
            unit,
            figures
                .series
                .iter()
                .map(|s| (s.label.clone(), s.values.clone()))
                .collect(),
        ),
    };
    let mut chart = base_chart(labels.clone(), unit, zooms(figures.periods.len()), "");
    for (i, (name, values)) in series.into_iter().enumerate() {
        let values = plotted(&values, unit);
        let band = so_far
            .filter(|_| i == 0)
            .map(|from| so_far_band(&labels, from));
        chart = match style {
            // A bar not yet complete is drawn pale, as its own series ("so
            // far"), stacked on the same place.
            TimeStyle::Bars => match so_far {
                Some(from) => {
                    let whole: Vec<Option<f64>> = values
                        .iter()
                        .enumerate()
                        .map(|(j, v)| if j < from { *v } else { None })
                        .collect();
                    let part: Vec<Option<f64>> = values
                        .iter()
                        .enumerate()
                        .map(|(j, v)| if j >= from { *v } else { None })
                        .collect();
                    // Both in the series' own colour (the palette would
                    // otherwise give the pale bars the next series' colour).
                    let colour = PALETTE[i % PALETTE.len()];
                    chart
                        .series(
                            Bar::new()
                                .name(name.as_str())
                                .stack("bars")
                                .item_style(ItemStyle::new().color(colour))
                                .data(whole),
                        )
                        .series(
                            Bar::new()
                                .name(format!("{name} (so far)").as_str())
                                .stack("bars")
                                .item_style(
                                    ItemStyle::new()
                                        .color(colour)
                                        .opacity(0.45)
                                        .border_type(BorderType::Dashed)
                                        .border_width(2)
                                        .border_color("#0b0c0c"),
                                )
                                .data(part),
                        )
                }
                None => chart.series(Bar::new().name(name.as_str()).data(values)),
            },
            TimeStyle::Lines => {
                let line = Line::new()
                    .name(name.as_str())
                    .show_symbol(false)
                    .data(values.clone());
                let line = match band {
                    Some(band) => line.mark_area(band),
                    None => line,
                };
                chart.series(lone_values_drawn(line, &values))
            }
            TimeStyle::Stacked | TimeStyle::Percent => {
                let line = Line::new()
                    .name(name.as_str())
                    .show_symbol(false)
                    .stack("all")
                    .area_style(AreaStyle::new().opacity(0.6))
                    .data(values);
                chart.series(match band {
                    Some(band) => line.mark_area(band),
                    None => line,
                })
            }
        };
    }
    if total && style == TimeStyle::Lines && figures.series.len() > 1 {
        chart = chart.series(total_line(plotted(&totals, unit)));
    }
    if let (Some(previous), false) = (previous, style == TimeStyle::Percent) {
        let name = if figures.series.len() > 1 {
            "Total, a year earlier"
        } else {
            "A year earlier"
        };
        chart = chart.series(dashed(name, plotted(previous, unit)));
    }
    chart
}

/// The series of rates out of too few to rely on, in a rate's chart.
pub const TOO_FEW: &str = "Too few to rely on (under 30)";

/// One line of rates (completion, satisfaction) over periods, as percents, with
/// a year earlier dashed and the service's target (in force at each period)
/// dashed in green; a period's rate out of too few to rely on (`few`) drawn
/// apart, a hollow grey point ([`TOO_FEW`]).
pub fn rate_chart(
    periods: &[Period],
    name: &str,
    rates: &[Option<f64>],
    few: &[bool],
    previous: Option<&[Option<f64>]>,
    target: &[Option<f64>],
    complete_until: DateTime<Utc>,
) -> EChart {
    let labels = period_labels(periods, complete_until);
    // A rate out of too few to rely on (`few`) is no point of the line: a
    // hollow grey point of its own series, named for what it is.
    let of = |few_ones: bool| -> Vec<Option<f64>> {
        (rates.iter().enumerate())
            .map(|(i, r)| r.filter(|_| few.get(i).copied().unwrap_or(false) == few_ones))
            .collect()
    };
    let relied_on = plotted(&of(false), Unit::Ratio);
    let line = Line::new()
        .name(name)
        .show_symbol(true)
        .data(relied_on.clone());
    let line = match first_so_far(periods, complete_until) {
        Some(from) => line.mark_area(so_far_band(&labels, from)),
        None => line,
    };
    let mut chart = base_chart(labels, Unit::Ratio, zooms(periods.len()), "")
        .series(lone_values_drawn(line, &relied_on));
    let too_few = of(true);
    if too_few.iter().any(Option::is_some) {
        let mut points = serde_json::to_value(
            Line::new()
                .name(TOO_FEW)
                .symbol(charming::element::Symbol::Custom("emptyCircle".into()))
                .symbol_size(10)
                .item_style(ItemStyle::new().color("#505a5f"))
                .line_style(LineStyle::new().color("#505a5f").width(0))
                .data(plotted(&too_few, Unit::Ratio)),
        )
        .unwrap_or(Value::Null);
        // Its line is not drawn: every point is, however many crowd.
        points["showAllSymbol"] = Value::Bool(true);
        chart = chart.series(points);
    }
    if let Some(previous) = previous {
        chart = chart.series(dashed("A year earlier", plotted(previous, Unit::Ratio)));
    }
    if target.iter().any(Option::is_some) {
        chart = chart.series(
            Line::new()
                .name("Target")
                .show_symbol(false)
                .item_style(ItemStyle::new().color("#00703c"))
                .line_style(
                    LineStyle::new()
                        .color("#00703c")
                        .width(2)
                        .type_(LineStyleType::Dashed),
                )
                .data(plotted(target, Unit::Ratio)),
        );
    }
    chart
}

/// One service's line in a comparison: its name, values (as the chart's scale
/// has them), which of them are rates out of too few to rely on (`few`, one
/// per period; empty for none), target line (empty without one) and notes as
/// (period index, number) pins.
pub struct ComparedLine {
    pub name: String,
    pub values: Vec<Option<f64>>,
    pub few: Vec<bool>,
    pub target: Vec<Option<f64>>,
    pub pins: Vec<(usize, usize)>,
}

/// The comparison chart: a line per service over the same periods, in the
/// palette's order; a rate out of too few to rely on no point of its line but
/// a hollow point in the line's colour, of a series of its own ("…: too few
/// to rely on (under 30)"); each target dashed in its service's colour; each
/// note a numbered pin on its service's line.
pub fn compare_chart(periods: &[Period], unit: Unit, axis: &str, lines: &[ComparedLine]) -> EChart {
    use charming::element::{MarkPoint, MarkPointData};
    let labels: Vec<String> = periods.iter().map(short_period_label).collect();
    let mut chart = base_chart(labels, unit, zooms(periods.len()), axis);
    for (i, line) in lines.iter().enumerate() {
        let colour = PALETTE[i % PALETTE.len()];
        let few = |at: usize| line.few.get(at).copied().unwrap_or(false);
        let of = |few_ones: bool| -> Vec<Option<f64>> {
            (line.values.iter().enumerate())
                .map(|(at, v)| v.filter(|_| few(at) == few_ones))
                .collect()
        };
        let (values, too_few) = (plotted(&of(false), unit), plotted(&of(true), unit));
        // A note's pin sits on its period's figure, relied on or not.
        let all = plotted(&line.values, unit);
        let pins: Vec<MarkPointData> = line
            .pins
            .iter()
            .filter_map(|(at, number)| {
                let y = all.get(*at).copied().flatten()?;
                Some(
                    MarkPointData::new()
                        .name(format!("Note {number}"))
                        .x_axis(*at as f64)
                        .y_axis(y)
                        .value(*number as f64),
                )
            })
            .collect();
        let mut series = Line::new()
            .name(line.name.as_str())
            .show_symbol(periods.len() <= 24)
            .connect_nulls(false)
            .item_style(ItemStyle::new().color(colour))
            .line_style(LineStyle::new().color(colour).width(2))
            .data(values.clone());
        let pinned = !pins.is_empty();
        if pinned {
            series = series.mark_point(MarkPoint::new().data(pins));
        }
        let mut series = lone_values_drawn(series, &values);
        if pinned {
            // A pin's tooltip names its note ("Note 3"), not its number
            // written in the chart's unit ("3.0%") by the chart's tooltip.
            series["markPoint"]["tooltip"] = json!({"formatter": "{b}"});
        }
        chart = chart.series(series);
        if too_few.iter().any(Option::is_some) {
            let mut points = serde_json::to_value(
                Line::new()
                    .name(format!("{}: {}", line.name, TOO_FEW.to_ascii_lowercase()))
                    .symbol(charming::element::Symbol::Custom("emptyCircle".into()))
                    .symbol_size(10)
                    .item_style(ItemStyle::new().color(colour))
                    .line_style(LineStyle::new().color(colour).width(0))
                    .data(too_few),
            )
            .unwrap_or(Value::Null);
            points["showAllSymbol"] = Value::Bool(true);
            chart = chart.series(points);
        }
        if line.target.iter().any(Option::is_some) {
            chart = chart.series(
                Line::new()
                    .name(format!("{} target", line.name))
                    .show_symbol(false)
                    .item_style(ItemStyle::new().color(colour))
                    .line_style(
                        LineStyle::new()
                            .color(colour)
                            .width(1)
                            .type_(LineStyleType::Dashed),
                    )
                    .data(plotted(&line.target, unit)),
            );
        }
    }
    chart
}

/// The names of ratings 1 to 5.
pub const RATINGS: [&str; 5] = [
    "Very dissatisfied",
    "Dissatisfied",
    "Neither satisfied nor dissatisfied",
    "Satisfied",
    "Very satisfied",
];

/// How many gave each rating in one period, as bars; a period nothing was
/// sent for (`None`) has no bars, each rating saying "no data".
pub fn ratings_chart(ratings: Option<&[f64; 5]>) -> EChart {
    // Every rating named under its bar, the long one over two lines.
    let labels: Vec<String> = RATINGS
        .iter()
        .map(|r| r.replace(" nor ", "\nnor "))
        .collect();
    EChart::new(json!({
        "color": [PALETTE[0]],
        "tooltip": {"trigger": "axis", "valueFormatter": unit_key(Unit::Number)},
        "grid": {"left": 16, "right": 24, "top": 24, "bottom": 16, "containLabel": true},
        "xAxis": {"type": "category", "axisLabel": {"interval": 0}, "data": labels},
        "yAxis": {"type": "value"},
    }))
    .series({
        let bars = Bar::new()
            .name("Responses")
            // Each bar labelled with its count as the table writes it.
            .label(
                Label::new()
                    .show(true)
                    .position(LabelPosition::Top)
                    .formatter("{b}"),
            )
            .data(
                ratings
                    .unwrap_or(&[0.0; 5])
                    .iter()
                    .map(|r| {
                        charming::datatype::DataPointItem::new(*r)
                            .name(crate::kpi::format_count(*r))
                            .into()
                    })
                    .collect::<Vec<charming::datatype::DataPoint>>(),
            );
        let mut bars = serde_json::to_value(bars).unwrap_or(Value::Null);
        if ratings.is_none() {
            bars["data"] = Value::Array(vec![json!({"value": null, "name": "no data"}); 5]);
        }
        bars
    })
}

/// A journey as a funnel of bars: how many reached each step, labelled with the
/// share of the first step.
pub fn journey_chart(steps: &[Step]) -> EChart {
    // Each bar is labelled with its count as the table writes it ("28,132,898"),
    // and the axes keep their labels inside the chart (it has no marks to place).
    let bars: Vec<charming::datatype::DataPoint> = steps
        .iter()
        .map(|s| {
            charming::datatype::DataPointItem::new(s.count)
                .name(crate::kpi::format_count(s.count))
                .into()
        })
        .collect();
    base_chart(
        steps.iter().map(|s| s.label.clone()).collect(),
        Unit::Number,
        false,
        "",
    )
    .with(
        "grid",
        json!({
            "left": 16,
            "right": GRID_RIGHT,
            "top": GRID_TOP,
            "bottom": grid_bottom(false),
            "containLabel": true,
        }),
    )
    .with("legend", json!({"show": false}))
    .series(
        Bar::new()
            .name("Users")
            .label(
                Label::new()
                    .show(true)
                    .position(LabelPosition::Top)
                    .formatter("{b}"),
            )
            .data(bars),
    )
}

/// Marks drawn over a chart of categories (notes, unusual points), and what
/// the chart tells them: `anchors` are the points to place (a category's index
/// and a value, or just the category); the chart writes where they are, in
/// pixels inside the chart, to `placed` whenever it is drawn, resized or zoomed.
/// `on_point` hears a click in the plot area (the category's index and where
/// the click was); `on_range` a shift-drag across categories (the first and last
/// index), while `selecting` holds the pixels being dragged across.
#[derive(Clone, Copy)]
pub struct Marks {
    pub anchors: Signal<Vec<(usize, Option<f64>)>>,
    pub placed: RwSignal<Placed>,
    pub on_point: Option<Callback<(usize, f64, f64)>>,
    pub on_range: Option<Callback<(usize, usize)>>,
    pub selecting: RwSignal<Option<(f64, f64)>>,
}

/// Where a chart's anchors are, in pixels from its top left corner.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Placed {
    /// One per anchor: its x, and its y when it has a value (`None` when the
    /// chart cannot place it). An anchor zoomed out of view lies outside
    /// `plot`.
    pub points: Vec<Option<(f64, Option<f64>)>>,
    /// The distance between two neighbouring categories.
    pub step: f64,
    /// The plot's left and right edges: marks are drawn only between them.
    pub plot: (f64, f64),
}

/// A chart in the page. `option` is rebuilt reactively; `label` describes the chart
/// for assistive technology (the same figures are always in a table nearby).
/// `on_hover` hears the index of the period under the pointer (`None` when it
/// leaves the chart); `on_pick` the index of a point or bar clicked. `marks` and
/// `children` (drawn over the chart, inside its frame) add notes and the like.
///
/// A chart of several lines has its legend drawn as buttons above it, which
/// show and hide each line by mouse or keyboard. A chart that zooms takes the
/// keyboard focus (arrow keys move through time, + and − zoom, 0 shows it all);
/// given its `periods`, its zoom is the page's, kept in the URL (`zoom=`) and
/// shared by every chart of the page that has a time axis.
#[component]
pub fn Chart(
    #[prop(into)] option: Signal<EChart>,
    #[prop(into)] label: String,
    #[prop(into)] id: String,
    /// Whether the chart zooms (and so offers a reset).
    #[prop(default = true)]
    zoom: bool,
    /// The periods of the time axis, one per category.
    #[prop(optional)]
    periods: Option<Vec<Period>>,
    #[prop(optional)] on_hover: Option<Callback<Option<usize>>>,
    #[prop(optional)] on_pick: Option<Callback<usize>>,
    #[prop(optional_no_strip)] marks: Option<Marks>,
    #[prop(optional)] children: Option<Children>,
    /// Buttons beside the chart's own.
    #[prop(optional_no_strip)]
    actions: Option<AnyView>,
) -> impl IntoView {
    // A handful of periods has no zoom to offer (nor a slider drawn), so
    // neither keys nor a reset that would keep a window no one sees.
    let zoom = zoom && periods.as_ref().is_none_or(|p| zooms(p.len()));
    let node = NodeRef::<leptos::html::Div>::new();
    let file_name = format!("{id}.png");
    let handle = browser::attach(
        node,
        option,
        browser::Hearing {
            on_hover,
            on_pick,
            marks,
        },
        periods.filter(|_| zoom),
    );
    let legend = Memo::new(move |_| option.with(|o| legend_entries(o.as_value())));
    // The lines hidden by the legend; a new option shows them all again.
    let hidden = RwSignal::new(Vec::<String>::new());
    Effect::new(move |_| {
        option.track();
        hidden.set(Vec::new());
    });
    let legend_view = {
        let handle = handle.clone();
        let id = id.clone();
        move || {
            let entries = legend.get();
            (entries.len() > 1).then(|| {
                let buttons = entries
                    .into_iter()
                    .map(|entry| {
                        let handle = handle.clone();
                        let name = entry.name.clone();
                        let shown = {
                            let name = name.clone();
                            move || !hidden.with(|h| h.contains(&name))
                        };
                        let swatch = format!(
                            "pulse-legend__swatch{}{}",
                            if entry.line { " pulse-legend__swatch--line" } else { "" },
                            if entry.dashed { " pulse-legend__swatch--dashed" } else { "" },
                        );
                        view! {
                            <button type="button" class="pulse-legend__item" aria-pressed=move || shown().to_string()
                                on:click=move |_| {
                                    handle.toggle(&name);
                                    hidden.update(|h| match h.iter().position(|n| *n == name) {
                                        Some(i) => { h.remove(i); }
                                        None => h.push(name.clone()),
                                    });
                                }>
                                <span class=swatch style=format!("--swatch:{}", entry.colour) aria-hidden="true"></span>
                                {entry.name}
                            </button>
                        }
                    })
                    .collect_view();
                view! {
                    <div class="pulse-legend" role="group" aria-label="Lines shown (press to show or hide)"
                        id=format!("{id}-legend")>{buttons}</div>
                }
            })
        }
    };
    let (reset, save, keys) = {
        let (a, b, c) = (handle.clone(), handle.clone(), handle);
        (
            move |_: leptos::ev::MouseEvent| a.reset_zoom(),
            move |_: leptos::ev::MouseEvent| b.save_png(&file_name),
            move |ev: leptos::ev::KeyboardEvent| {
                if !ev.ctrl_key() && !ev.meta_key() && !ev.alt_key() && c.key(&ev.key()) {
                    ev.prevent_default();
                }
            },
        )
    };
    let keys_id = format!("{id}-keys");
    view! {
        // Fetched beside the page's own scripts, ready when the chart is drawn
        // (a preload link may stand in the body; in the head, through
        // leptos_meta, it was lost from pages whose charts render after the
        // head has gone out).
        <link href={ECHARTS_SCRIPT} r#as="script" rel="preload"/>
        <NoScriptChart/>
        {legend_view}
        <div class="pulse-chart-frame">
            <div class="pulse-chart" id=id.clone() node_ref=node role="img" aria-label=label
                tabindex=zoom.then_some("0") aria-describedby=zoom.then(|| keys_id.clone())
                on:keydown=keys></div>
            {zoom.then(|| view! {
                <p class="pulse-chart-keys" id=keys_id.clone()>
                    "Keys: \u{2190} and \u{2192} move through time, + and \u{2212} zoom in and out, 0 shows it all."
                </p>
            })}
            {children.map(|c| c())}
        </div>
        <div class="pulse-chart-actions">
            {zoom.then(|| view! {
                <button type="button" class="govuk-button govuk-button--secondary" id=format!("{id}-reset")
                    on:click=reset>"Reset zoom"</button>
            })}
            <button type="button" class="govuk-button govuk-button--secondary" id=format!("{id}-png")
                on:click=save>"Download chart (PNG)"</button>
            {actions}
        </div>
    }
}

/// On the server a chart is only its frame: nothing to attach.
#[cfg(not(feature = "hydrate"))]
mod browser {
    use leptos::prelude::*;

    use super::EChart;
    use crate::model::Period;

    /// What the page hears from a chart.
    pub struct Hearing {
        pub on_hover: Option<Callback<Option<usize>>>,
        pub on_pick: Option<Callback<usize>>,
        pub marks: Option<super::Marks>,
    }

    #[derive(Clone)]
    pub struct Handle;

    impl Handle {
        pub fn reset_zoom(&self) {}
        pub fn save_png(&self, _file_name: &str) {}
        pub fn toggle(&self, _name: &str) {}
        pub fn key(&self, _key: &str) -> bool {
            false
        }
    }

    pub fn attach(
        _node: NodeRef<leptos::html::Div>,
        _option: Signal<EChart>,
        hearing: Hearing,
        _periods: Option<Vec<Period>>,
    ) -> Handle {
        // Nothing to hear on the server.
        let _ = (hearing.on_hover, hearing.on_pick, hearing.marks);
        Handle
    }
}

#[cfg(feature = "hydrate")]
mod browser {
    use std::{
        cell::{Cell, RefCell},
        rc::Rc,
    };

    use leptos::prelude::*;
    use send_wrapper::SendWrapper;
    use wasm_bindgen::prelude::*;

    use super::EChart;
    use crate::components::navigation::use_go;
    use crate::modules::Zoom;
    use crate::query_string;
    use leptos::leptos_dom::helpers::TimeoutHandle;
    use leptos_router::hooks::{use_location, use_query_map};

    #[wasm_bindgen]
    extern "C" {
        /// An ECharts instance, as returned by `echarts.init` (a clone is
        /// another handle on the same instance).
        #[derive(Clone)]
        pub type Instance;

        #[wasm_bindgen(js_namespace = echarts, js_name = init)]
        fn init(element: &web_sys::HtmlElement) -> Instance;

        #[wasm_bindgen(method, js_name = setOption)]
        fn set_option(this: &Instance, option: &JsValue, not_merge: bool);

        #[wasm_bindgen(method)]
        fn resize(this: &Instance);

        #[wasm_bindgen(method)]
        fn dispose(this: &Instance);

        #[wasm_bindgen(method, js_name = dispatchAction)]
        fn dispatch_action(this: &Instance, action: &JsValue);

        /// An action whose event is not heard (`{silent: true}`).
        #[wasm_bindgen(method, js_name = dispatchAction)]
        fn dispatch_action_with(this: &Instance, action: &JsValue, options: &JsValue);

        #[wasm_bindgen(method, js_name = getDataURL)]
        fn get_data_url(this: &Instance, options: &JsValue) -> String;

        #[wasm_bindgen(method)]
        fn on(this: &Instance, event: &str, handler: &js_sys::Function);

        #[wasm_bindgen(method, js_name = convertToPixel)]
        fn convert_to_pixel(this: &Instance, finder: &JsValue, value: &JsValue) -> JsValue;

        #[wasm_bindgen(method, js_name = convertFromPixel)]
        fn convert_from_pixel(this: &Instance, finder: &JsValue, value: &JsValue) -> JsValue;

        #[wasm_bindgen(method, js_name = containPixel)]
        fn contain_pixel(this: &Instance, finder: &JsValue, value: &JsValue) -> bool;

        /// The instance's drawing surface, which hears clicks anywhere on it.
        pub type Surface;

        #[wasm_bindgen(method, js_name = getZr)]
        fn get_zr(this: &Instance) -> Surface;

        #[wasm_bindgen(method, js_name = on)]
        fn on_surface(this: &Surface, event: &str, handler: &js_sys::Function);
    }

    thread_local! {
        /// The functions that write a tooltip's figures, one per unit, made
        /// once and kept for the page's life.
        static FORMATTERS: Vec<(&'static str, js_sys::Function)> = super::TOOLTIP_UNITS
            .iter()
            .map(|(key, unit)| {
                let unit = *unit;
                let write = Closure::<dyn Fn(JsValue) -> String>::new(move |value: JsValue| {
                    super::tooltip_figure(value.as_f64(), unit)
                });
                (*key, write.into_js_value().unchecked_into())
            })
            .collect();
    }

    /// Puts the function that writes figures in the place of the unit's
    /// name in `option`'s tooltip.
    fn format_tooltips(option: &JsValue) {
        let Ok(tooltip) = js_sys::Reflect::get(option, &"tooltip".into()) else {
            return;
        };
        if !tooltip.is_object() {
            return;
        }
        let key = JsValue::from_str("valueFormatter");
        let Some(unit) = js_sys::Reflect::get(&tooltip, &key)
            .ok()
            .and_then(|u| u.as_string())
        else {
            return;
        };
        FORMATTERS.with(|all| {
            let write = all.iter().find(|(name, _)| *name == unit);
            let _ = match write {
                Some((_, write)) => js_sys::Reflect::set(&tooltip, &key, write),
                None => js_sys::Reflect::delete_property(
                    tooltip.unchecked_ref::<js_sys::Object>(),
                    &key,
                ),
            };
        });
    }

    /// The chart in `slot`, if there is one, without holding the slot: ECharts
    /// calls back into Pulse (`finished`, the axis pointer, clicks) from inside
    /// `setOption` and `dispatchAction`, and those callbacks look in the slot
    /// too, so no borrow may be held across a call into ECharts.
    fn current(slot: &RefCell<Option<Instance>>) -> Option<Instance> {
        slot.try_borrow().ok().and_then(|chart| chart.clone())
    }

    fn echarts_loaded() -> bool {
        js_sys::Reflect::get(&js_sys::global(), &JsValue::from_str("echarts"))
            .is_ok_and(|e| e.is_object())
    }

    /// Adds ECharts' script to the page (once) and sets `arrived` when it has
    /// run. A script that fails to load leaves the chart's table and message.
    fn load_echarts(arrived: RwSignal<bool>) {
        let Some(document) = web_sys::window().and_then(|w| w.document()) else {
            return;
        };
        let script = match document.get_element_by_id("pulse-echarts") {
            Some(script) => script,
            None => {
                let Ok(script) = document.create_element("script") else {
                    return;
                };
                script.set_id("pulse-echarts");
                let _ = script.set_attribute("src", super::ECHARTS_SCRIPT);
                let _ = script.set_attribute("async", "");
                if let Some(head) = document.head() {
                    let _ = head.append_child(&script);
                }
                script
            }
        };
        let listener = Closure::once_into_js(move || {
            let _ = arrived.try_set(echarts_loaded());
        });
        let _ = script.add_event_listener_with_callback("load", listener.unchecked_ref());
    }

    /// The first grid of a chart, for the conversions.
    fn grid() -> JsValue {
        js_sys::JSON::parse(r#"{"gridIndex":0}"#).unwrap_or(JsValue::NULL)
    }

    fn pair(a: f64, b: f64) -> JsValue {
        let array = js_sys::Array::new();
        array.push(&JsValue::from_f64(a));
        array.push(&JsValue::from_f64(b));
        array.into()
    }

    /// Where category `index` (at `value`) is drawn.
    fn pixel_of(chart: &Instance, index: usize, value: Option<f64>) -> Option<(f64, Option<f64>)> {
        let at = chart.convert_to_pixel(&grid(), &pair(index as f64, value.unwrap_or(0.0)));
        let x = number_at(&at, &["0"])?;
        Some((x, value.and_then(|_| number_at(&at, &["1"]))))
    }

    /// The category under pixel `x` of the plot area, if `(x, y)` is inside it.
    fn category_at(chart: &Instance, x: f64, y: f64, inside: bool) -> Option<usize> {
        if inside && !chart.contain_pixel(&grid(), &pair(x, y)) {
            return None;
        }
        let at = chart.convert_from_pixel(&grid(), &pair(x, y));
        let i = number_at(&at, &["0"])?.round();
        Some(i.max(0.0) as usize)
    }

    type Listener = Closure<dyn FnMut(JsValue)>;
    type MouseListener = Closure<dyn FnMut(web_sys::MouseEvent)>;
    /// The frame's own listeners (shift-drag), to remove when the chart goes.
    type DragListeners =
        Rc<RefCell<Option<(web_sys::Element, Vec<(&'static str, MouseListener)>)>>>;

    /// Hears clicks in the plot area (`marks.on_point`) and shift-drags across it
    /// (`marks.on_range`). A shift-drag is caught on the chart's frame before
    /// ECharts sees it, so it does not also pan the chart or count as a click.
    fn listen_for_notes(
        chart: &Instance,
        element: &web_sys::HtmlElement,
        clicks: &Rc<RefCell<Option<Listener>>>,
        drags: &DragListeners,
        marks: super::Marks,
        instance: &Rc<RefCell<Option<Instance>>>,
    ) {
        if let Some(callback) = marks.on_point {
            let slot = instance.clone();
            let listener: Listener = Closure::new(move |event: JsValue| {
                let (Some(x), Some(y)) = (
                    number_at(&event, &["offsetX"]),
                    number_at(&event, &["offsetY"]),
                ) else {
                    return;
                };
                let index = current(&slot).and_then(|c| category_at(&c, x, y, true));
                if let Some(i) = index {
                    let _ = callback.try_run((i, x, y));
                }
            });
            chart
                .get_zr()
                .on_surface("click", listener.as_ref().unchecked_ref());
            *clicks.borrow_mut() = Some(listener);
        }
        let (Some(callback), Some(frame)) = (marks.on_range, element.parent_element()) else {
            return;
        };
        let start: Rc<Cell<Option<f64>>> = Rc::default();
        let dragged = Rc::new(Cell::new(false));
        let offset = {
            let element = element.clone();
            move |e: &web_sys::MouseEvent| {
                let rect = element.get_bounding_client_rect();
                (
                    f64::from(e.client_x()) - rect.left(),
                    f64::from(e.client_y()) - rect.top(),
                )
            }
        };
        let mut list: Vec<(&'static str, MouseListener)> = Vec::new();
        {
            let (start, slot, offset) = (start.clone(), instance.clone(), offset.clone());
            list.push((
                "mousedown",
                Closure::new(move |e: web_sys::MouseEvent| {
                    if !e.shift_key() || e.button() != 0 {
                        return;
                    }
                    let (x, y) = offset(&e);
                    let inside =
                        current(&slot).is_some_and(|c| c.contain_pixel(&grid(), &pair(x, y)));
                    if !inside {
                        return;
                    }
                    e.stop_propagation();
                    e.prevent_default();
                    start.set(Some(x));
                    let _ = marks.selecting.try_set(Some((x, x)));
                }),
            ));
        }
        {
            let (start, offset) = (start.clone(), offset.clone());
            list.push((
                "mousemove",
                Closure::new(move |e: web_sys::MouseEvent| {
                    let Some(x0) = start.get() else { return };
                    e.stop_propagation();
                    let _ = marks.selecting.try_set(Some((x0, offset(&e).0)));
                }),
            ));
        }
        {
            let (slot, dragged) = (instance.clone(), dragged.clone());
            list.push((
                "mouseup",
                Closure::new(move |e: web_sys::MouseEvent| {
                    let Some(x0) = start.take() else { return };
                    e.stop_propagation();
                    dragged.set(true);
                    let (x1, y) = offset(&e);
                    let _ = marks.selecting.try_set(Some((x0, x1)));
                    let range = current(&slot).and_then(|chart| {
                        Some((
                            category_at(&chart, x0, y, false)?,
                            category_at(&chart, x1, y, false)?,
                        ))
                    });
                    // The callback may read `selecting` (where the drag was).
                    if let Some((a, b)) = range {
                        let _ = callback.try_run((a.min(b), a.max(b)));
                    }
                    let _ = marks.selecting.try_set(None);
                }),
            ));
        }
        list.push((
            "click",
            Closure::new(move |e: web_sys::MouseEvent| {
                // The click that ends a shift-drag is not a click on a point.
                if dragged.replace(false) {
                    e.stop_propagation();
                }
            }),
        ));
        for (event, listener) in &list {
            let _ = frame.add_event_listener_with_callback_and_bool(
                event,
                listener.as_ref().unchecked_ref(),
                true,
            );
        }
        *drags.borrow_mut() = Some((frame, list));
    }

    /// Places the anchors of `marks` on the drawn chart.
    fn place(chart: &Instance, element: &web_sys::HtmlElement, marks: &super::Marks) {
        let width = f64::from(element.client_width());
        let Some(anchors) = marks.anchors.try_get_untracked() else {
            return;
        };
        // Anchors zoomed out of view are placed too (outside the plot), so a
        // note's range that runs past the window's edge is still drawn up
        // to it; what is drawn is clipped to `plot`.
        let points = anchors
            .iter()
            .map(|(i, v)| pixel_of(chart, *i, *v))
            .collect();
        let step = match (pixel_of(chart, 0, None), pixel_of(chart, 1, None)) {
            (Some((a, _)), Some((b, _))) => (b - a).abs(),
            _ => 0.0,
        };
        let plot = (super::GRID_LEFT, width - super::GRID_RIGHT);
        let placed = super::Placed { points, step, plot };
        // Marks of a chart whose module has gone are left alone.
        if marks
            .placed
            .try_get_untracked()
            .is_some_and(|p| p != placed)
        {
            let _ = marks.placed.try_set(placed);
        }
    }

    /// A number inside an event object, at `path`.
    fn number_at(event: &JsValue, path: &[&str]) -> Option<f64> {
        let mut value = event.clone();
        for key in path {
            value = if let Ok(index) = key.parse::<u32>() {
                js_sys::Reflect::get_u32(&value, index).ok()?
            } else {
                js_sys::Reflect::get(&value, &JsValue::from_str(key)).ok()?
            };
        }
        value.as_f64()
    }

    /// What the page hears from a chart.
    pub struct Hearing {
        pub on_hover: Option<Callback<Option<usize>>>,
        pub on_pick: Option<Callback<usize>>,
        pub marks: Option<super::Marks>,
    }

    /// An object of number fields, for ECharts' actions.
    fn object(fields: &[(&str, JsValue)]) -> JsValue {
        let object = js_sys::Object::new();
        for (key, value) in fields {
            let _ = js_sys::Reflect::set(&object, &JsValue::from_str(key), value);
        }
        object.into()
    }

    /// Zooms `chart` to `start..end` (percentages of the axis).
    fn zoom_to(chart: &Instance, (start, end): (f64, f64)) {
        chart.dispatch_action(&object(&[
            ("type", "dataZoom".into()),
            ("start", start.into()),
            ("end", end.into()),
        ]));
    }

    /// Where a zoom event left the window, in percentages (a slider's event
    /// says it at its top level, a drag or pinch inside `batch`).
    fn zoomed_window(event: &JsValue) -> Option<(f64, f64)> {
        let at = |path: &[&str]| number_at(event, path);
        let (start, end) = match (at(&["start"]), at(&["end"])) {
            (Some(s), Some(e)) => (s, e),
            _ => (at(&["batch", "0", "start"])?, at(&["batch", "0", "end"])?),
        };
        // Percentages of the axis, in order (the keys' moves clamp by them).
        let (start, end) = (start.clamp(0.0, 100.0), end.clamp(0.0, 100.0));
        (start <= end).then_some((start, end))
    }

    /// The page's zoom, kept in the URL and shared by its charts: each chart
    /// shows the URL's zoom, and a zoom made on a chart (by mouse, touch or
    /// keyboard) goes to the URL once it settles.
    struct ZoomSync {
        periods: Rc<Vec<crate::model::Period>>,
        url: Memo<Option<Zoom>>,
        write: Rc<dyn Fn(Option<Zoom>)>,
        /// The URL's update waiting for the zoom to settle.
        pending: Cell<Option<TimeoutHandle>>,
    }

    impl ZoomSync {
        fn new(periods: Vec<crate::model::Period>) -> ZoomSync {
            let query = use_query_map();
            let url = Memo::new(move |_| {
                query
                    .with(|q| q.get(Zoom::KEY))
                    .and_then(|z| Zoom::parse(&z))
            });
            let location = use_location();
            let go = use_go(true);
            // The page the chart is drawn on: a zoom is never written into
            // another's URL (one the person has gone on to).
            let home = location.pathname.get_untracked();
            let write = Rc::new(move |zoom: Option<Zoom>| {
                let (Some(path), Some(search)) = (
                    location.pathname.try_get_untracked(),
                    location.search.try_get_untracked(),
                ) else {
                    return;
                };
                // The browser's own address too: going back changes it at
                // once, the router's only once the page it goes to is
                // drawn, and a zoom settling in between went into the
                // address of the page gone back to.
                let now_at = web_sys::window().and_then(|w| w.location().pathname().ok());
                if path != home || now_at.is_some_and(|now| now != home) {
                    return;
                }
                let value = zoom.map(|z| z.key()).unwrap_or_default();
                let query = query_string::with_param(&search, Zoom::KEY, &value);
                go(query_string::href(&path, &query));
            });
            ZoomSync {
                periods: Rc::new(periods),
                url,
                write,
                pending: Cell::new(None),
            }
        }

        /// The window (percentages) that shows the URL's zoom on this chart.
        fn wanted(&self, zoom: Option<Zoom>) -> (f64, f64) {
            match zoom.and_then(|z| z.window(&self.periods)) {
                Some((first, last)) => Zoom::percents(self.periods.len(), first, last),
                None => (0.0, 100.0),
            }
        }

        /// Forgets a window waiting to be put in the URL (the chart is going).
        fn cancel(&self) {
            if let Some(pending) = self.pending.take() {
                pending.clear();
            }
        }

        /// Once the chart's window has stayed put a moment, puts it in the URL.
        fn settle(self: &Rc<Self>, window: (f64, f64)) {
            self.cancel();
            let sync = self.clone();
            self.pending.set(
                set_timeout_with_handle(
                    move || {
                        let (start, end) = window;
                        let zoom = Zoom::indices(sync.periods.len(), start, end)
                            .and_then(|(a, b)| Zoom::of(&sync.periods, a, b));
                        // Gone with its page (whose URL is another's now):
                        // nothing to write.
                        let Some(shown) = sync.url.try_get_untracked() else {
                            return;
                        };
                        if shown != zoom {
                            (sync.write)(zoom);
                        }
                    },
                    std::time::Duration::from_millis(250),
                )
                .ok(),
            );
        }
    }

    /// What the page can ask of a drawn chart (held by the page's reactive
    /// views, which the browser runs on its one thread).
    #[derive(Clone)]
    pub struct Handle {
        instance: SendWrapper<Rc<RefCell<Option<Instance>>>>,
        /// The part of the axis shown, in percentages.
        window: SendWrapper<Rc<Cell<(f64, f64)>>>,
        /// Whether the page draws the legend (the canvas's is hidden).
        page_legend: SendWrapper<Rc<Cell<bool>>>,
    }

    impl Handle {
        /// Shows the whole time axis again.
        pub fn reset_zoom(&self) {
            if let Some(chart) = current(&self.instance) {
                zoom_to(&chart, (0.0, 100.0));
            }
        }

        /// Shows or hides the line called `name`.
        pub fn toggle(&self, name: &str) {
            if let Some(chart) = current(&self.instance) {
                chart.dispatch_action(&object(&[
                    ("type", "legendToggleSelect".into()),
                    ("name", name.into()),
                ]));
            }
        }

        /// Moves or zooms the chart for a key pressed on it: the arrows move a
        /// tenth of the view through time, + and - zoom in and out about its
        /// middle, 0 and Home show it all. Whether the key was one of those.
        pub fn key(&self, key: &str) -> bool {
            let Some(chart) = current(&self.instance) else {
                return false;
            };
            let (start, end) = self.window.get();
            let width = (end - start).max(1.0);
            let middle = (start + end) / 2.0;
            let shift = |by: f64| {
                let by = by.clamp(-start, 100.0 - end);
                (start + by, end + by)
            };
            let around = |width: f64| {
                let width = width.clamp(2.0, 100.0);
                let start = (middle - width / 2.0).clamp(0.0, 100.0 - width);
                (start, start + width)
            };
            let window = match key {
                "ArrowLeft" => shift(-width / 10.0),
                "ArrowRight" => shift(width / 10.0),
                "+" | "=" => around(width / 1.5),
                "-" | "_" | "\u{2212}" => around(width * 1.5),
                "0" | "Home" => (0.0, 100.0),
                _ => return false,
            };
            zoom_to(&chart, window);
            true
        }

        /// Downloads the chart as a PNG image.
        pub fn save_png(&self, file_name: &str) {
            let legend = |show: bool| object(&[("legend", object(&[("show", show.into())]))]);
            let Some(url) = current(&self.instance).and_then(|chart| {
                let options = js_sys::JSON::parse(
                    r##"{"type":"png","pixelRatio":2,"backgroundColor":"#ffffff"}"##,
                )
                .ok()?;
                // The picture carries its legend, which the page draws beside
                // the chart.
                let page_legend = self.page_legend.get();
                if page_legend {
                    chart.set_option(&legend(true), false);
                }
                let url = chart.get_data_url(&options);
                if page_legend {
                    chart.set_option(&legend(false), false);
                }
                Some(url)
            }) else {
                return;
            };
            let link = web_sys::window()
                .and_then(|w| w.document())
                .and_then(|d| d.create_element("a").ok())
                .and_then(|a| a.dyn_into::<web_sys::HtmlAnchorElement>().ok());
            if let Some(link) = link {
                link.set_href(&url);
                link.set_download(file_name);
                link.click();
            }
        }
    }

    /// Shows `zoom` on `chart`, quietly (the change is not heard as the
    /// chart's own), unless it shows it already.
    fn show_zoom(chart: &Instance, window: &Cell<(f64, f64)>, sync: &ZoomSync, zoom: Option<Zoom>) {
        let wanted = sync.wanted(zoom);
        let (now, close) = (window.get(), |a: f64, b: f64| (a - b).abs() < 0.01);
        if close(now.0, wanted.0) && close(now.1, wanted.1) {
            return;
        }
        window.set(wanted);
        chart.dispatch_action_with(
            &object(&[
                ("type", "dataZoom".into()),
                ("start", wanted.0.into()),
                ("end", wanted.1.into()),
            ]),
            &object(&[("silent", true.into())]),
        );
    }

    /// Creates the instance once the element exists, sets the option whenever it
    /// changes, follows the element's size, and disposes of everything on cleanup.
    pub fn attach(
        node: NodeRef<leptos::html::Div>,
        option: Signal<EChart>,
        Hearing {
            on_hover,
            on_pick,
            marks,
        }: Hearing,
        periods: Option<Vec<crate::model::Period>>,
    ) -> Handle {
        let instance: Rc<RefCell<Option<Instance>>> = Rc::default();
        let window = Rc::new(Cell::new((0.0, 100.0)));
        let page_legend = Rc::new(Cell::new(false));
        let sync = periods.map(|p| Rc::new(ZoomSync::new(p)));

        // Chart events: the period under the pointer (the axis pointer's value is
        // the category's index), leaving the chart, and clicks on points.
        let mut listeners: Vec<(&'static str, Listener)> = Vec::new();
        if let Some(callback) = on_hover {
            listeners.push((
                "updateAxisPointer",
                Closure::new(move |event: JsValue| {
                    if let Some(i) = number_at(&event, &["axesInfo", "0", "value"]) {
                        let _ = callback.try_run(Some(i as usize));
                    }
                }),
            ));
            listeners.push((
                "globalout",
                Closure::new(move |_: JsValue| {
                    let _ = callback.try_run(None);
                }),
            ));
        }
        if let Some(callback) = on_pick {
            listeners.push((
                "click",
                Closure::new(move |event: JsValue| {
                    if let Some(i) = number_at(&event, &["dataIndex"]) {
                        let _ = callback.try_run(i as usize);
                    }
                }),
            ));
        }
        // A zoom made on the chart: where it is, and (once it settles) the URL.
        {
            let (window, sync) = (window.clone(), sync.clone());
            listeners.push((
                "datazoom",
                Closure::new(move |event: JsValue| {
                    if let Some(at) = zoomed_window(&event) {
                        window.set(at);
                        if let Some(sync) = &sync {
                            sync.settle(at);
                        }
                    }
                }),
            ));
        }
        // Marks follow every drawing of the chart (zoom and resize included).
        if let Some(marks) = marks {
            let slot = instance.clone();
            listeners.push((
                "finished",
                Closure::new(move |_: JsValue| {
                    if let (Some(chart), Some(element)) =
                        (current(&slot), node.try_get_untracked().flatten())
                    {
                        place(&chart, &element, &marks);
                    }
                }),
            ));
            let slot = instance.clone();
            Effect::new(move |_| {
                marks.anchors.track();
                if let (Some(chart), Some(element)) =
                    (current(&slot), node.try_get_untracked().flatten())
                {
                    place(&chart, &element, &marks);
                }
            });
        }
        let listeners = Rc::new(listeners);
        let surface_listener: Rc<RefCell<Option<Listener>>> = Rc::default();
        let drag_listeners: DragListeners = Rc::default();

        // The element may be laid out after the chart is created (for example on a
        // client-side navigation), and its width follows the window: a
        // ResizeObserver sees both.
        let slot = instance.clone();
        let on_resize = Closure::<dyn FnMut(js_sys::Array)>::new(move |_entries: js_sys::Array| {
            if let Some(chart) = current(&slot) {
                chart.resize();
            }
        });
        let observer = web_sys::ResizeObserver::new(on_resize.as_ref().unchecked_ref()).ok();

        let slot = instance.clone();
        let watching = observer.clone();
        let hearing = listeners.clone();
        let clicks = surface_listener.clone();
        let drags = drag_listeners.clone();
        let clicked = instance.clone();
        let (drawn_legend, drawn_window, drawn_sync) =
            (page_legend.clone(), window.clone(), sync.clone());
        // ECharts comes with the first chart of a visit (pages without charts
        // never load it); each chart draws once it has arrived.
        let arrived = RwSignal::new(echarts_loaded());
        Effect::new(move |_| {
            // Written out in place (an option is large, and never cloned).
            let json = option.with(|o| {
                let mut value = o.as_value().clone();
                let entries = super::legend_entries(&value).len();
                super::page_friendly(&mut value);
                (value.to_string(), entries)
            });
            let Some(element) = node.get() else { return };
            if !arrived.get() {
                load_echarts(arrived);
                return;
            }
            let (json, entries) = json;
            drawn_legend.set(entries > 1);
            let Ok(value) = js_sys::JSON::parse(&json) else {
                return;
            };
            let chart = match current(&slot) {
                Some(chart) => chart,
                None => {
                    if let Some(observer) = &watching {
                        observer.observe(&element);
                    }
                    let chart = init(&element);
                    for (event, listener) in hearing.iter() {
                        chart.on(event, listener.as_ref().unchecked_ref());
                    }
                    if let Some(marks) = marks {
                        listen_for_notes(&chart, &element, &clicks, &drags, marks, &clicked);
                    }
                    // Stored before the first drawing, whose callbacks look for it.
                    match slot.try_borrow_mut() {
                        Ok(mut stored) => *stored = Some(chart.clone()),
                        Err(_) => return,
                    }
                    chart
                }
            };
            format_tooltips(&value);
            chart.set_option(&value, true);
            // A new option shows the whole axis: then the page's zoom.
            drawn_window.set((0.0, 100.0));
            if let Some(sync) = &drawn_sync {
                show_zoom(&chart, &drawn_window, sync, sync.url.get_untracked());
            }
        });

        // The page's zoom changed (by another chart, or the history): follow it.
        if let Some(sync) = sync.clone() {
            let (slot, window) = (instance.clone(), window.clone());
            Effect::new(move |_| {
                let zoom = sync.url.get();
                if let Some(chart) = current(&slot) {
                    show_zoom(&chart, &window, &sync, zoom);
                }
            });
        }

        let handle = Handle {
            instance: SendWrapper::new(instance.clone()),
            window: SendWrapper::new(window),
            page_legend: SendWrapper::new(page_legend),
        };
        let owned = SendWrapper::new((
            instance,
            observer,
            on_resize,
            listeners,
            surface_listener,
            drag_listeners,
            sync,
        ));
        on_cleanup(move || {
            let (instance, observer, on_resize, listeners, surface, drags, sync) = owned.take();
            if let Some(sync) = sync {
                sync.cancel();
            }
            if let Some(observer) = observer {
                observer.disconnect();
            }
            if let Some((frame, listeners)) = drags.try_borrow_mut().ok().and_then(|mut d| d.take())
            {
                for (event, listener) in &listeners {
                    let _ = frame.remove_event_listener_with_callback_and_bool(
                        event,
                        listener.as_ref().unchecked_ref(),
                        true,
                    );
                }
            }
            drop(surface);
            drop(on_resize);
            let chart = instance.try_borrow_mut().ok().and_then(|mut c| c.take());
            if let Some(chart) = chart {
                chart.dispose();
            }
            // After the chart that called them is gone.
            drop(listeners);
        });
        handle
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_value_alone_between_gaps_is_drawn_as_a_point() {
        assert!(!has_lone_value(&[
            Some(1.0),
            Some(2.0),
            None,
            Some(3.0),
            Some(4.0)
        ]));
        assert!(has_lone_value(&[Some(1.0), None, Some(3.0), None]));
        assert!(has_lone_value(&[None, Some(3.0)]));
        assert!(has_lone_value(&[Some(3.0)]));
        assert!(!has_lone_value(&[None, None]));
    }

    #[test]
    fn the_wheel_scrolls_the_page_and_ctrl_wheel_zooms() {
        use chrono::{TimeZone, Utc};
        // Enough weeks to zoom in (a dozen or fewer draw no slider).
        let periods = crate::kpi::periods_between(
            crate::model::PeriodKind::Week,
            Utc.with_ymd_and_hms(2014, 3, 3, 0, 0, 0).unwrap(),
            Utc.with_ymd_and_hms(2014, 6, 2, 0, 0, 0).unwrap(),
        );
        assert_eq!(periods.len(), 13);
        let series = ChannelSeries {
            periods,
            channels: Vec::new(),
            complete_until: None,
            gaps: Vec::new(),
        };
        let mut option = channel_chart(&series, None).as_value().clone();
        page_friendly(&mut option);
        let zooms = option["dataZoom"].as_array().unwrap();
        let inside = zooms.iter().find(|z| z["type"] == "inside").unwrap();
        assert_eq!(inside["zoomOnMouseWheel"], "ctrl");
        assert_eq!(inside["moveOnMouseWheel"], false);
        let slider = zooms.iter().find(|z| z["type"] == "slider").unwrap();
        assert!(slider.get("zoomOnMouseWheel").is_none());
    }
    use crate::kpi::periods_between;
    use crate::model::{ChannelLine, PeriodKind};
    use chrono::{TimeZone, Utc};

    fn series() -> ChannelSeries {
        let periods = periods_between(
            PeriodKind::Week,
            Utc.with_ymd_and_hms(2014, 3, 3, 0, 0, 0).unwrap(),
            Utc.with_ymd_and_hms(2014, 3, 17, 0, 0, 0).unwrap(),
        );
        ChannelSeries {
            periods,
            channels: vec![
                ChannelLine {
                    channel: "digital".into(),
                    label: "Digital".into(),
                    values: vec![Some(10.0), Some(20.0)],
                },
                ChannelLine {
                    channel: "phone".into(),
                    label: "Phone".into(),
                    values: vec![Some(5.0), None],
                },
            ],
            // The second week is under way.
            complete_until: Some(Utc.with_ymd_and_hms(2014, 3, 10, 0, 0, 0).unwrap()),
            gaps: Vec::new(),
        }
    }

    #[test]
    fn a_bar_not_yet_complete_is_drawn_pale_and_says_so_far() {
        use crate::modules::{Series, TimeFigures};
        let periods = periods_between(
            PeriodKind::Quarter,
            Utc.with_ymd_and_hms(2026, 4, 1, 0, 0, 0).unwrap(),
            Utc.with_ymd_and_hms(2027, 1, 1, 0, 0, 0).unwrap(),
        );
        let figures = TimeFigures {
            periods,
            series: vec![Series {
                key: "count:sum".into(),
                label: "Transactions".into(),
                values: vec![Some(9.0), Some(8.0), Some(3.0)],
            }],
        };
        let until = Utc.with_ymd_and_hms(2026, 10, 1, 0, 0, 0).unwrap();
        let option = time_chart(&figures, TimeStyle::Bars, Unit::Number, false, None, until)
            .as_value()
            .clone();
        assert_eq!(
            option["xAxis"]["data"],
            serde_json::json!(["Q2 2026", "Q3 2026", "Q4 2026 (so far)"])
        );
        let bars = option["series"].as_array().unwrap();
        assert_eq!(bars[0]["data"], serde_json::json!([9.0, 8.0, null]));
        assert_eq!(bars[1]["name"], "Transactions (so far)");
        assert_eq!(bars[1]["data"], serde_json::json!([null, null, 3.0]));
        assert_eq!(bars[1]["itemStyle"]["borderType"], "dashed");
        // Pale, in the series' own colour, not the next series'.
        assert_eq!(bars[0]["itemStyle"]["color"], PALETTE[0]);
        assert_eq!(bars[1]["itemStyle"]["color"], PALETTE[0]);
        // All complete: one series, as before.
        let whole = time_chart(
            &figures,
            TimeStyle::Bars,
            Unit::Number,
            false,
            None,
            DateTime::<Utc>::MAX_UTC,
        )
        .as_value()
        .clone();
        assert_eq!(whole["series"].as_array().unwrap().len(), 1);
    }

    #[test]
    fn channel_chart_has_a_line_per_channel_over_the_periods() {
        let option: serde_json::Value = channel_chart(&series(), None).as_value().clone();
        let lines = option["series"].as_array().unwrap();
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0]["type"], "line");
        assert_eq!(lines[0]["name"], "Digital");
        // A week a channel has no figures for is a gap, not a 0.
        assert_eq!(lines[1]["data"], serde_json::json!([5.0, null]));
        assert_eq!(
            option["xAxis"]["data"],
            serde_json::json!(["3 Mar 2014", "10 Mar 2014 (so far)"])
        );
        // The week under way is drawn apart: a grey band labelled "So far"
        // from it to the plot's edge. With two weeks, the segment that leads
        // to it is the whole line: the band does not cover the whole week.
        let band = &lines[0]["markArea"]["data"][0];
        assert_eq!(band[0]["xAxis"], "10 Mar 2014 (so far)");
        assert_eq!(band[1], serde_json::json!({}), "to the edge");
        assert_eq!(band[0]["name"], "So far");
        // With more whole weeks, from the last whole week's point: over the
        // segment drawn to a figure that is not a whole week's.
        let labels: Vec<String> = ["3 Mar", "10 Mar", "17 Mar (so far)"]
            .map(String::from)
            .into();
        let three = serde_json::to_value(so_far_band(&labels, 2)).unwrap();
        assert_eq!(three["data"][0][0]["xAxis"], "10 Mar");
        assert_eq!(three["data"][0][1], serde_json::json!({}));
        let none_whole = serde_json::to_value(so_far_band(&labels[2..], 0)).unwrap();
        assert_eq!(none_whole["data"][0][0]["xAxis"], "17 Mar (so far)");
        assert!(lines[1].get("markArea").is_none());
        assert_eq!(option["tooltip"]["trigger"], "axis");
        assert_eq!(option["tooltip"]["valueFormatter"], "number");
        // Two weeks: nothing to zoom into, so no slider (nor keys or reset).
        assert!(option.get("dataZoom").is_none());
    }

    #[test]
    fn a_tooltip_writes_figures_as_the_tables_do() {
        // Each unit's name in the option has its function in the browser.
        for unit in [Unit::Number, Unit::Pounds, Unit::Ratio] {
            let key = unit_key(unit);
            assert_eq!(
                TOOLTIP_UNITS.iter().find(|(k, _)| *k == key).unwrap().1,
                unit
            );
        }
        // A cost averaged over transactions, to the penny; a rate as plotted
        // (a percentage already); a count in full.
        assert_eq!(tooltip_figure(Some(4.5666667), Unit::Pounds), "£4.57");
        assert_eq!(tooltip_figure(Some(78.2), Unit::Ratio), "78.2%");
        assert_eq!(tooltip_figure(Some(1234567.0), Unit::Number), "1,234,567");
        assert_eq!(tooltip_figure(None, Unit::Pounds), "no data");
        let option = base_chart(vec!["Q1 2026".into()], Unit::Pounds, false, "");
        assert_eq!(option.as_value()["tooltip"]["valueFormatter"], "pounds");
        // A note's pin on a comparison of rates is named, not written as a rate.
        let periods = series().periods;
        let line = ComparedLine {
            name: "A service".into(),
            values: vec![Some(0.5), Some(0.6)],
            few: Vec::new(),
            target: Vec::new(),
            pins: vec![(1, 3)],
        };
        let option = compare_chart(&periods, Unit::Ratio, "", &[line]);
        let pin = &option.as_value()["series"][0]["markPoint"];
        assert_eq!(pin["data"][0]["name"], "Note 3");
        assert_eq!(pin["tooltip"]["formatter"], "{b}");
        assert_eq!(option.as_value()["tooltip"]["valueFormatter"], "percent");
        // A month nothing was sent for has no bars of 0.
        let none = ratings_chart(None);
        let bars = &none.as_value()["series"][0]["data"];
        assert_eq!(
            bars[4],
            serde_json::json!({"value": null, "name": "no data"})
        );
        let some = ratings_chart(Some(&[1.0, 2.0, 3.0, 4.0, 5.0]));
        assert_eq!(some.as_value()["series"][0]["data"][4]["value"], 5.0);
    }

    #[test]
    fn every_rate_of_too_few_and_every_lone_rate_is_drawn_however_many_periods() {
        // A year of weeks, every other one out of too few: ECharts would thin
        // the points of so crowded a line, and a thinned point of a series
        // whose line is not drawn (or of a lone value) is not drawn at all.
        let periods = periods_between(
            PeriodKind::Week,
            Utc.with_ymd_and_hms(2014, 1, 6, 0, 0, 0).unwrap(),
            Utc.with_ymd_and_hms(2015, 1, 5, 0, 0, 0).unwrap(),
        );
        assert_eq!(periods.len(), 52);
        let rates: Vec<Option<f64>> = (0..52).map(|i| Some(0.5 + i as f64 / 200.0)).collect();
        let few: Vec<bool> = (0..52).map(|i| i % 2 == 0).collect();
        let until = Utc.with_ymd_and_hms(2015, 1, 5, 0, 0, 0).unwrap();
        let option = rate_chart(&periods, "Completion rate", &rates, &few, None, &[], until);
        let series = option.as_value()["series"].as_array().unwrap().clone();
        let named = |name: &str| series.iter().find(|s| s["name"] == name).unwrap().clone();
        let relied_on = named("Completion rate");
        let too_few = named(TOO_FEW);
        let drawn = |s: &serde_json::Value| {
            s["data"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|v| !v.is_null())
                .count()
        };
        assert_eq!((drawn(&relied_on), drawn(&too_few)), (26, 26));
        assert_eq!(too_few["showAllSymbol"], true);
        // Every relied-on week is alone between two of too few.
        assert_eq!(relied_on["showSymbol"], true);
        assert_eq!(relied_on["showAllSymbol"], true);
        // A line without lone values is left to ECharts' thinning.
        let option = rate_chart(
            &periods,
            "Completion rate",
            &rates,
            &[false; 52],
            None,
            &[],
            until,
        );
        let line = &option.as_value()["series"][0];
        assert_eq!(line["showSymbol"], true);
        assert!(line.get("showAllSymbol").is_none());
        // A comparison: each service's rates of too few drawn apart, hollow
        // in its colour, every one of them.
        let compared = ComparedLine {
            name: "Hire a boat".into(),
            values: rates.clone(),
            few: few.clone(),
            target: Vec::new(),
            pins: Vec::new(),
        };
        let option = compare_chart(&periods, Unit::Ratio, "", &[compared]);
        let series = option.as_value()["series"].as_array().unwrap().clone();
        assert_eq!(series.len(), 2);
        assert_eq!(series[0]["name"], "Hire a boat");
        assert_eq!(
            series[1]["name"],
            "Hire a boat: too few to rely on (under 30)"
        );
        assert_eq!((drawn(&series[0]), drawn(&series[1])), (26, 26));
        assert_eq!(series[1]["showAllSymbol"], true);
        assert_eq!(series[1]["itemStyle"]["color"], PALETTE[0]);
        // The relied-on line's lone points are drawn, every one.
        assert_eq!(series[0]["showAllSymbol"], true);
    }

    #[test]
    fn a_year_earlier_is_overlaid_dashed_with_gaps() {
        let option: serde_json::Value = channel_chart(&series(), Some(&[Some(12.0), Some(30.0)]))
            .as_value()
            .clone();
        let lines = option["series"].as_array().unwrap();
        assert_eq!(lines.len(), 4);
        assert_eq!(lines[2]["name"], "Total");
        // Phone's figures end after the first week: the total is digital's.
        assert_eq!(lines[2]["data"], serde_json::json!([15.0, 20.0]));
        assert_eq!(lines[3]["name"], "Total, a year earlier");
        assert_eq!(lines[3]["lineStyle"]["type"], "dashed");
        // The week so far is set beside no whole week a year earlier.
        assert_eq!(lines[3]["data"], serde_json::json!([12.0, null]));
        let none = channel_chart(&series(), Some(&[None, Some(30.0)]));
        assert_eq!(
            none.as_value()["series"][3]["data"],
            serde_json::json!([null, null])
        );
    }
    #[test]
    fn the_legend_is_drawn_by_the_page_in_the_lines_own_colours() {
        let mut option = channel_chart(&series(), Some(&[None, Some(30.0)]))
            .as_value()
            .clone();
        let entries = legend_entries(&option);
        let names: Vec<&str> = entries.iter().map(|e| e.name.as_str()).collect();
        let lines = option["series"].as_array().unwrap();
        assert_eq!(names.len(), lines.len());
        assert_eq!(names[2], "Total");
        // Channels take the palette in turn; the total and the year earlier
        // have their own colours, and the year earlier is dashed.
        assert_eq!(entries[0].colour, PALETTE[0]);
        assert_eq!(entries[1].colour, PALETTE[1]);
        assert_eq!(entries[2].colour, "#0b0c0c");
        assert!(entries.iter().all(|e| e.line));
        assert!(entries[3].dashed && !entries[2].dashed);
        // The canvas's own legend gives way to the page's.
        page_friendly(&mut option);
        assert_eq!(option["legend"]["show"], false);
    }

    #[test]
    fn a_series_with_its_own_colour_leaves_the_palette_alone() {
        let option = serde_json::json!({
            "color": ["#111111", "#222222"],
            "legend": {},
            "series": [
                {"type": "line", "name": "Target", "lineStyle": {"color": "#00703c"}},
                {"type": "bar", "name": "A"},
                {"type": "bar", "name": "A"},
                {"type": "bar", "name": "B"},
                {"type": "bar", "name": ""},
                {"type": "bar", "name": "C"},
            ]
        });
        let entries = legend_entries(&option);
        let got: Vec<(&str, &str)> = entries
            .iter()
            .map(|e| (e.name.as_str(), e.colour.as_str()))
            .collect();
        assert_eq!(
            got,
            vec![
                ("Target", "#00703c"),
                ("A", "#111111"),
                ("B", "#222222"),
                ("C", "#111111")
            ]
        );
    }

    #[test]
    fn a_chart_without_a_legend_has_none_on_the_page() {
        let option = journey_chart(&[]).as_value().clone();
        assert!(legend_entries(&option).is_empty());
        let option = serde_json::json!({"series": [{"type": "line", "name": "A"}]});
        assert!(legend_entries(&option).is_empty());
    }
}
