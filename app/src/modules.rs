//! Dashboard modules: from a module's stored query and the view a person chose
//! (period, months, a year earlier) to the read API request, and from the read
//! API's answer to the figures a module shows.
//!
//! All pure and shared: the server renders a module from the same figures the
//! browser computes after a change, and the downloads are the very request the
//! figures came from.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::api::{encode_component, ApiError};
use crate::kpi::{
    add_months, completion_rate, format_date, format_exact, format_percent, format_period,
    parse_month, period_containing, period_count, satisfaction_score, year_earlier, MAX_PERIODS,
    MAX_YEAR, MIN_YEAR,
};
use crate::model::{Dashboard, Freshness, Module, ModuleType, Period, PeriodKind, Unit};

// ---------------------------------------------------------------------------
// The view: what the page's controls choose, kept in the URL
// ---------------------------------------------------------------------------

/// The periods a person can switch between.
pub const VIEW_PERIODS: [PeriodKind; 4] = [
    PeriodKind::Week,
    PeriodKind::Month,
    PeriodKind::Quarter,
    PeriodKind::Year,
];

/// The view chosen on a dashboard or module page: applies to every time-series
/// module. Every field is optional: empty is the module's own stored query.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ViewParams {
    pub period: Option<PeriodKind>,
    /// The first month shown, `YYYY-MM`.
    pub from: Option<String>,
    /// The last month shown, `YYYY-MM`.
    pub to: Option<String>,
    /// Overlay the same periods a year earlier.
    pub compare: bool,
}

impl ViewParams {
    /// The view from a page's query parameters; values that are not valid are
    /// dropped (the controls say so), so a hand-edited URL never breaks a page.
    pub fn from_query(get: impl Fn(&str) -> Option<String>) -> ViewParams {
        let month = |name: &str| get(name).filter(|m| parse_month(m).is_some());
        ViewParams {
            period: get("period")
                .and_then(|p| PeriodKind::parse(&p))
                .filter(|p| VIEW_PERIODS.contains(p)),
            from: month("from"),
            to: month("to"),
            compare: get("compare").as_deref() == Some("year"),
        }
    }

    /// The view as a query string for the page's own URL.
    pub fn to_query(&self) -> String {
        let mut parts = Vec::new();
        if let Some(p) = self.period {
            parts.push(format!("period={}", p.as_str()));
        }
        if let Some(from) = &self.from {
            parts.push(format!("from={}", encode_component(from)));
        }
        if let Some(to) = &self.to {
            parts.push(format!("to={}", encode_component(to)));
        }
        if self.compare {
            parts.push("compare=year".to_string());
        }
        parts.join("&")
    }

    /// The months in order and, with a period chosen, at most
    /// [`MAX_PERIODS`] periods; or why they are not.
    pub fn check(&self) -> Result<(), String> {
        if let (Some(from), Some(to)) = (&self.from, &self.to) {
            if from > to {
                return Err(format!(
                    "The first month ({from}) must not be after the last month ({to})."
                ));
            }
            if let (Some(kind), Some(start), Some(last)) =
                (self.period, parse_month(from), parse_month(to))
            {
                let periods = period_count(kind, start, add_months(last, 1));
                if periods > i64::from(MAX_PERIODS) {
                    return Err(format!(
                        "From {from} to {to} is {periods} {}s: at most {MAX_PERIODS} can be shown. Choose fewer months or a longer period.",
                        kind.as_str()
                    ));
                }
            }
        }
        Ok(())
    }

    /// The view to ask the API for: without its months when they fail
    /// [`ViewParams::check`] (the controls say why), so a page always answers.
    pub fn usable(mut self) -> ViewParams {
        if self.check().is_err() {
            self.from = None;
            self.to = None;
        }
        self
    }

    /// What is wrong with a page's view parameters, for its controls to say: a
    /// month that is not one (or is outside the years [`MIN_YEAR`] to
    /// [`MAX_YEAR`]), or months that fail [`ViewParams::check`].
    pub fn problem(get: impl Fn(&str) -> Option<String>) -> Option<String> {
        for (name, words) in [("from", "The first month"), ("to", "The last month")] {
            if let Some(value) = get(name).filter(|v| !v.is_empty()) {
                if parse_month(&value).is_none() {
                    return Some(format!(
                        "{words} must be a month from {MIN_YEAR}-01 to {MAX_YEAR}-12, like 2025-04, not {value}."
                    ));
                }
            }
        }
        ViewParams::from_query(&get).check().err()
    }
}

/// Whether a module type charts values over time (and so follows the view).
pub fn is_time_series(t: ModuleType) -> bool {
    matches!(
        t,
        ModuleType::SingleTimeseries
            | ModuleType::GroupedTimeseries
            | ModuleType::CompletionRate
            | ModuleType::UserSatisfactionGraph
            | ModuleType::BarChartWithNumber
    )
}

// ---------------------------------------------------------------------------
// Queries
// ---------------------------------------------------------------------------

/// A query string as ordered, decoded pairs (see [`crate::query_string`]).
pub use crate::query_string::pairs as query_pairs;
use crate::query_string::{encode as encode_pairs, first, remove, set};

fn stamp(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// Roughly how many days a period lasts, to keep a duration's span when the
/// period changes.
fn days(kind: PeriodKind) -> f64 {
    match kind {
        PeriodKind::Hour => 1.0 / 24.0,
        PeriodKind::Day => 1.0,
        PeriodKind::Week => 7.0,
        PeriodKind::Month => 365.25 / 12.0,
        PeriodKind::Quarter => 365.25 / 4.0,
        PeriodKind::Year => 365.25,
    }
}

/// The address of a data set (`group/type`) in the read API.
pub fn data_set_path(data_set: &str) -> Option<String> {
    let (group, data_type) = data_set.split_once('/')?;
    Some(format!(
        "/data/{}/{}",
        encode_component(group),
        encode_component(data_type)
    ))
}

/// The module's stored query with the view applied: the period switched (its
/// duration converted to cover about the same span; not for a bar chart with a
/// number, whose title names its period), the months turned into
/// `start_at`/`end_at`, and grouped period queries flattened to one row per period
/// and group. KPIs keep their own query: they show the latest figure.
pub fn module_query(module: &Module, view: &ViewParams) -> String {
    let mut pairs = query_pairs(&module.query);
    let stored_period = first(&pairs, "period").and_then(PeriodKind::parse);
    if module.module_type == ModuleType::Kpi {
        return encode_pairs(&pairs);
    }
    // A bar chart with a number is "per month" (or week...) by its title: it
    // keeps its period, as a KPI does, and follows only the months chosen.
    let switches =
        is_time_series(module.module_type) && module.module_type != ModuleType::BarChartWithNumber;
    if let (Some(old), Some(new), true) = (stored_period, view.period, switches) {
        if let Some(duration) = first(&pairs, "duration").and_then(|d| d.parse::<u32>().ok()) {
            // The same span, within the read API's bound.
            let span = f64::from(duration) * days(old) / days(new);
            set(
                &mut pairs,
                "duration",
                (span.ceil().clamp(1.0, f64::from(MAX_PERIODS)) as u32).to_string(),
            );
        }
        set(&mut pairs, "period", new.as_str().to_string());
    }
    let from = view.from.as_deref().and_then(parse_month);
    let to = view
        .to
        .as_deref()
        .and_then(parse_month)
        .map(|t| add_months(t, 1));
    match (from, to) {
        (Some(from), Some(to)) => {
            remove(&mut pairs, "duration");
            set(&mut pairs, "start_at", stamp(from));
            set(&mut pairs, "end_at", stamp(to));
        }
        (Some(from), None) => {
            remove(&mut pairs, "end_at");
            set(&mut pairs, "start_at", stamp(from));
        }
        (None, Some(to)) => {
            remove(&mut pairs, "start_at");
            set(&mut pairs, "end_at", stamp(to));
        }
        (None, None) => {}
    }
    let period = first(&pairs, "period").is_some();
    if period && first(&pairs, "group_by").is_some() {
        set(&mut pairs, "flatten", "true".to_string());
    }
    encode_pairs(&pairs)
}

/// The read API request (path and query) for a module's figures; `None` for a
/// section, or a module whose data set is not `group/type`.
pub fn module_request(module: &Module, view: &ViewParams) -> Option<String> {
    let path = data_set_path(module.data_set.as_deref()?)?;
    let query = module_query(module, view);
    Some(if query.is_empty() {
        path
    } else {
        format!("{path}?{query}")
    })
}

/// The request for the same periods a year earlier, as an explicit window, so
/// the answer lines up with `periods` one for one.
pub fn year_earlier_request(request: &str, periods: &[Period]) -> Option<String> {
    let (first_period, last_period) = (periods.first()?, periods.last()?);
    let (path, query) = request.split_once('?').unwrap_or((request, ""));
    let mut pairs = query_pairs(query);
    remove(&mut pairs, "duration");
    set(
        &mut pairs,
        "start_at",
        stamp(year_earlier(first_period).start),
    );
    set(&mut pairs, "end_at", stamp(year_earlier(last_period).end));
    Some(format!("{path}?{}", encode_pairs(&pairs)))
}

/// The same request answered as CSV.
pub fn csv_request(request: &str) -> String {
    let separator = if request.contains('?') { '&' } else { '?' };
    format!("{request}{separator}format=csv")
}

// ---------------------------------------------------------------------------
// Figures
// ---------------------------------------------------------------------------

/// One named line of values, one per period (`None` where there is no value).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Series {
    /// The category in the data (e.g. `digital`), or the collected field.
    pub key: String,
    pub label: String,
    pub values: Vec<Option<f64>>,
}

/// Values over consecutive periods.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TimeFigures {
    pub periods: Vec<Period>,
    pub series: Vec<Series>,
}

impl TimeFigures {
    /// The total of every series in each period (`None` where none has a value).
    pub fn totals(&self) -> Vec<Option<f64>> {
        (0..self.periods.len())
            .map(|i| {
                self.series
                    .iter()
                    .filter_map(|s| s.values[i])
                    .fold(None, |acc, v| Some(acc.unwrap_or(0.0) + v))
            })
            .collect()
    }

    /// The newest period with a value in `values`, with that value and the one of
    /// the period before it.
    pub fn latest(&self, values: &[Option<f64>]) -> Option<LatestFigure> {
        let i = values.iter().rposition(Option::is_some)?;
        Some(LatestFigure {
            value: values[i],
            previous: i.checked_sub(1).and_then(|j| values[j]),
            period: Some(self.periods[i]),
        })
    }
}

/// A headline figure: the latest value, the period it covers, the one before.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LatestFigure {
    pub value: Option<f64>,
    pub previous: Option<f64>,
    /// `None` when the data set has no periods at all.
    pub period: Option<Period>,
}

/// Completion per period: how many started and how many finished.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CompletionFigures {
    pub periods: Vec<Period>,
    pub started: Vec<f64>,
    pub completed: Vec<f64>,
}

impl CompletionFigures {
    pub fn rates(&self) -> Vec<Option<f64>> {
        self.started
            .iter()
            .zip(&self.completed)
            .map(|(s, c)| completion_rate(*s, *c))
            .collect()
    }
}

/// Ratings per period: counts of 1 (very dissatisfied) to 5 (very satisfied) and
/// the number of responses.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SatisfactionFigures {
    pub periods: Vec<Period>,
    pub ratings: Vec<[f64; 5]>,
    pub responses: Vec<f64>,
}

impl SatisfactionFigures {
    pub fn scores(&self) -> Vec<Option<f64>> {
        self.ratings
            .iter()
            .zip(&self.responses)
            .map(|(r, t)| satisfaction_score(*r, *t))
            .collect()
    }
}

/// A step of a journey and how many reached it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Step {
    pub key: String,
    pub label: String,
    pub count: f64,
}

/// What a module shows, computed from the read API's answer.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Figures {
    /// `single_timeseries`, `grouped_timeseries`, `bar_chart_with_number`.
    Time(TimeFigures),
    Kpi(LatestFigure),
    Completion(CompletionFigures),
    Satisfaction(SatisfactionFigures),
    Journey(Vec<Step>),
    /// `table`: column keys and one row of cells per record.
    Table {
        columns: Vec<String>,
        rows: Vec<Vec<Value>>,
    },
}

fn option_str<'a>(module: &'a Module, key: &str) -> Option<&'a str> {
    module.options.get(key).and_then(Value::as_str)
}

fn option_strings(module: &Module, key: &str) -> Vec<String> {
    module
        .options
        .get(key)
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// How a module's values are shown: its `format` option (`number`, `pounds`,
/// `percent`), or what its type implies.
pub fn unit(module: &Module) -> Unit {
    match module.module_type {
        ModuleType::CompletionRate | ModuleType::UserSatisfactionGraph => Unit::Ratio,
        _ => match option_str(module, "format") {
            Some("pounds") | Some("currency") => Unit::Pounds,
            Some("percent") => Unit::Ratio,
            _ => Unit::Number,
        },
    }
}

/// A category's name for people: the module's `labels` option, else the key with
/// underscores as spaces and a capital first letter (`face_to_face` is "Face to
/// face").
pub fn label_for(module: &Module, key: &str) -> String {
    if let Some(label) = module
        .options
        .get("labels")
        .and_then(|l| l.get(key))
        .and_then(Value::as_str)
    {
        return label.to_string();
    }
    humanise(key)
}

/// `face_to_face` gives "Face to face"; `_timestamp` gives "Timestamp".
pub fn humanise(key: &str) -> String {
    let words = key.trim_start_matches('_').replace(['_', '-'], " ");
    let mut chars = words.chars();
    match chars.next() {
        Some(c) => c.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// The key a collected value has in the answer: the module's `value` option, or
/// its query's first `collect` (`count:sum`).
fn value_key(module: &Module) -> Option<String> {
    if let Some(v) = option_str(module, "value") {
        return Some(v.to_string());
    }
    let pairs = query_pairs(&module.query);
    first(&pairs, "collect").map(str::to_string)
}

fn group_key(module: &Module) -> Option<String> {
    first(&query_pairs(&module.query), "group_by").map(str::to_string)
}

fn time(row: &Map<String, Value>, key: &str) -> Option<DateTime<Utc>> {
    let s = row.get(key)?.as_str()?;
    DateTime::parse_from_rfc3339(s)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

fn number(row: &Map<String, Value>, key: &str) -> Option<f64> {
    row.get(key).and_then(Value::as_f64)
}

fn rows_of(rows: &[Value]) -> Vec<&Map<String, Value>> {
    rows.iter().filter_map(Value::as_object).collect()
}

/// The periods of a period answer, in order, from `_start_at`/`_end_at`.
fn periods_of(rows: &[&Map<String, Value>]) -> Result<Vec<Period>, String> {
    let mut periods: Vec<Period> = Vec::new();
    for row in rows {
        let (Some(start), Some(end)) = (time(row, "_start_at"), time(row, "_end_at")) else {
            return Err("the answer has no periods: the module's query needs a period".into());
        };
        if periods.last().is_some_and(|p| p.start == start) {
            continue;
        }
        let kind = [
            PeriodKind::Hour,
            PeriodKind::Day,
            PeriodKind::Week,
            PeriodKind::Month,
            PeriodKind::Quarter,
            PeriodKind::Year,
        ]
        .into_iter()
        .find(|k| {
            let p = period_containing(*k, start);
            p.start == start && p.end == end
        })
        .ok_or_else(|| format!("{start} to {end} is not a period Pulse knows"))?;
        periods.push(Period { kind, start, end });
    }
    Ok(periods)
}

fn index_of(periods: &[Period], row: &Map<String, Value>) -> Option<usize> {
    let start = time(row, "_start_at")?;
    periods.iter().position(|p| p.start == start)
}

/// Values per period and category (`group`), in the module's `series` order
/// first, then in order of appearance.
fn grouped(
    module: &Module,
    rows: &[&Map<String, Value>],
    group: &str,
    value: &str,
) -> Result<TimeFigures, String> {
    let periods = periods_of(rows)?;
    let mut series: Vec<Series> = option_strings(module, "series")
        .into_iter()
        .map(|key| Series {
            label: label_for(module, &key),
            key,
            values: vec![None; periods.len()],
        })
        .collect();
    for row in rows {
        let Some(key) = row.get(group).map(|v| match v {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        }) else {
            continue;
        };
        let Some(i) = index_of(&periods, row) else {
            continue;
        };
        let position = match series.iter().position(|s| s.key == key) {
            Some(p) => p,
            None => {
                series.push(Series {
                    label: label_for(module, &key),
                    key,
                    values: vec![None; periods.len()],
                });
                series.len() - 1
            }
        };
        series[position].values[i] = number(row, value);
    }
    Ok(TimeFigures { periods, series })
}

fn single(
    module: &Module,
    rows: &[&Map<String, Value>],
    value: &str,
) -> Result<TimeFigures, String> {
    let periods = periods_of(rows)?;
    let mut values = vec![None; periods.len()];
    for row in rows {
        if let Some(i) = index_of(&periods, row) {
            values[i] = number(row, value);
        }
    }
    Ok(TimeFigures {
        periods,
        series: vec![Series {
            key: value.to_string(),
            label: option_str(module, "label")
                .map(str::to_string)
                .unwrap_or_else(|| module.title.clone()),
            values,
        }],
    })
}

/// Whether a category matches a step pattern: equal, or a prefix ending in `*`.
/// The KPI a completion-rate module charts: its `kpi` option
/// (`digital_take_up` for a share of transactions made online), else the
/// completion rate.
pub fn rate_kpi(module: &Module) -> crate::model::KpiKind {
    use crate::model::KpiKind;
    match option_str(module, "kpi") {
        Some("digital_take_up") => KpiKind::DigitalTakeUp,
        Some("user_satisfaction") => KpiKind::UserSatisfaction,
        _ => KpiKind::CompletionRate,
    }
}

fn matches(pattern: &str, key: &str) -> bool {
    match pattern.strip_suffix('*') {
        Some(prefix) => key.starts_with(prefix),
        None => pattern == key,
    }
}

/// The figures of a module from the rows of the read API's answer to
/// [`module_request`]. An error names what about the module does not fit its data.
pub fn figures(module: &Module, rows: &[Value]) -> Result<Figures, String> {
    let rows = rows_of(rows);
    let need_value = || {
        value_key(module).ok_or_else(|| {
            "the module's query collects nothing (add collect=field:sum)".to_string()
        })
    };
    match module.module_type {
        ModuleType::Section => Err("a section has no figures of its own".into()),
        ModuleType::SingleTimeseries | ModuleType::BarChartWithNumber => {
            Ok(Figures::Time(single(module, &rows, &need_value()?)?))
        }
        ModuleType::GroupedTimeseries => {
            let value = need_value()?;
            match group_key(module) {
                Some(group) => Ok(Figures::Time(grouped(module, &rows, &group, &value)?)),
                None => Ok(Figures::Time(single(module, &rows, &value)?)),
            }
        }
        ModuleType::Kpi => {
            let figures = single(module, &rows, &need_value()?)?;
            let latest = figures
                .latest(&figures.series[0].values)
                .unwrap_or(LatestFigure {
                    value: None,
                    previous: None,
                    period: figures.periods.last().copied(),
                });
            Ok(Figures::Kpi(latest))
        }
        ModuleType::CompletionRate => {
            let value = need_value()?;
            let group = group_key(module)
                .ok_or("a completion rate needs group_by (the step of each record)")?;
            let start =
                option_str(module, "start").ok_or("a completion rate needs a start step")?;
            let end = option_str(module, "end").ok_or("a completion rate needs an end step")?;
            let by_step = grouped(module, &rows, &group, &value)?;
            let sum = |pattern: &str| -> Vec<f64> {
                (0..by_step.periods.len())
                    .map(|i| {
                        by_step
                            .series
                            .iter()
                            .filter(|s| matches(pattern, &s.key))
                            .filter_map(|s| s.values[i])
                            .sum()
                    })
                    .collect()
            };
            Ok(Figures::Completion(CompletionFigures {
                started: sum(start),
                completed: sum(end),
                periods: by_step.periods,
            }))
        }
        ModuleType::UserSatisfactionGraph => {
            let periods = periods_of(&rows)?;
            let mut ratings = vec![[0.0; 5]; periods.len()];
            let mut responses = vec![0.0; periods.len()];
            let total = option_str(module, "total").unwrap_or("total:sum");
            for row in &rows {
                let Some(i) = index_of(&periods, row) else {
                    continue;
                };
                for (r, slot) in ratings[i].iter_mut().enumerate() {
                    *slot = number(row, &format!("rating_{}:sum", r + 1)).unwrap_or(0.0);
                }
                responses[i] = number(row, total).unwrap_or(0.0);
            }
            Ok(Figures::Satisfaction(SatisfactionFigures {
                periods,
                ratings,
                responses,
            }))
        }
        ModuleType::Journey => {
            let value = need_value()?;
            let group = group_key(module).ok_or("a journey needs group_by (the step)")?;
            let mut steps: Vec<Step> = option_strings(module, "steps")
                .into_iter()
                .map(|key| Step {
                    label: label_for(module, &key),
                    key,
                    count: 0.0,
                })
                .collect();
            let fixed = !steps.is_empty();
            for row in &rows {
                let Some(key) = row.get(&group).and_then(Value::as_str) else {
                    continue;
                };
                let count = number(row, &value).unwrap_or(0.0);
                match steps.iter_mut().find(|s| s.key == key) {
                    Some(step) => step.count += count,
                    None if !fixed => steps.push(Step {
                        key: key.to_string(),
                        label: label_for(module, key),
                        count,
                    }),
                    None => {}
                }
            }
            Ok(Figures::Journey(steps))
        }
        ModuleType::Table => {
            let mut columns = option_strings(module, "columns");
            if columns.is_empty() {
                let internal = |k: &str| {
                    k == "_id"
                        || k == "_updated_at"
                        || (k.starts_with('_') && k.ends_with("_start_at") && k != "_start_at")
                };
                let mut seen: Vec<String> = Vec::new();
                for row in &rows {
                    for key in row.keys() {
                        if !internal(key) && !seen.contains(key) {
                            seen.push(key.clone());
                        }
                    }
                }
                // Times first, then the record's own fields by name.
                seen.sort_by_key(|k| (!k.starts_with('_'), k.clone()));
                columns = seen;
            }
            let rows = rows
                .iter()
                .map(|row| {
                    columns
                        .iter()
                        .map(|c| row.get(c).cloned().unwrap_or(Value::Null))
                        .collect()
                })
                .collect();
            Ok(Figures::Table { columns, rows })
        }
    }
}

/// The totals of a year earlier's answer, one per period, for the overlay.
pub fn year_earlier_totals(module: &Module, rows: &[Value]) -> Vec<Option<f64>> {
    match figures(module, rows) {
        Ok(Figures::Time(t)) => t.totals(),
        Ok(Figures::Completion(c)) => c.rates(),
        Ok(Figures::Satisfaction(s)) => s.scores(),
        _ => Vec::new(),
    }
}

// ---------------------------------------------------------------------------
// Tables: the same figures as the charts, in words and numbers
// ---------------------------------------------------------------------------

/// A table cell: its text, and the number it shows (for sorting).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Cell {
    pub text: String,
    pub number: Option<f64>,
}

/// A module's figures as a table.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TableData {
    pub headers: Vec<String>,
    /// Whether each column holds numbers (right-aligned).
    pub numeric: Vec<bool>,
    pub rows: Vec<Vec<Cell>>,
}

impl TableData {
    /// The rows ordered by column `column` (numbers as numbers, else by text).
    pub fn sorted(&self, column: usize, ascending: bool) -> Vec<Vec<Cell>> {
        let mut rows = self.rows.clone();
        if column < self.headers.len() {
            rows.sort_by(|a, b| {
                let (a, b) = (&a[column], &b[column]);
                // Cells without a number go last either way.
                let order = match (a.number, b.number) {
                    (Some(x), Some(y)) => x.total_cmp(&y),
                    (Some(_), None) => return std::cmp::Ordering::Less,
                    (None, Some(_)) => return std::cmp::Ordering::Greater,
                    (None, None) => a.text.cmp(&b.text),
                };
                if ascending {
                    order
                } else {
                    order.reverse()
                }
            });
        }
        rows
    }
}

/// A value in a unit, exactly enough for a table: counts in full, pounds and
/// pence, percents to 1 decimal place.
pub fn format_cell(value: Option<f64>, unit: Unit) -> Cell {
    let text = match value {
        None => "no data".to_string(),
        Some(v) => match unit {
            Unit::Number => format_exact(v),
            Unit::Pounds => {
                let pence = format!("{:.2}", v.abs());
                let (pounds, pence) = pence.split_once('.').unwrap_or((&pence, "00"));
                let sign = if v < 0.0 { "-" } else { "" };
                let pounds = format_exact(pounds.parse::<f64>().unwrap_or(0.0));
                format!("{sign}£{pounds}.{pence}")
            }
            Unit::Ratio => format_percent(v),
        },
    };
    Cell {
        text,
        number: value,
    }
}

fn text_cell(text: String) -> Cell {
    Cell { text, number: None }
}

fn period_cell(period: &Period) -> Cell {
    Cell {
        text: format_period(period),
        number: Some(period.start.timestamp() as f64),
    }
}

/// The period column's heading.
fn period_heading(periods: &[Period]) -> String {
    match periods.first().map(|p| p.kind) {
        Some(PeriodKind::Hour) => "Hour",
        Some(PeriodKind::Day) => "Day",
        Some(PeriodKind::Month) => "Month",
        Some(PeriodKind::Quarter) => "Quarter",
        Some(PeriodKind::Year) => "Year",
        _ => "Week",
    }
    .to_string()
}

/// A JSON value from a record, for a table cell.
fn value_cell(key: &str, value: &Value) -> Cell {
    match value {
        Value::Null => text_cell(String::new()),
        Value::Bool(b) => text_cell(if *b { "yes" } else { "no" }.into()),
        Value::Number(n) => format_cell(n.as_f64(), Unit::Number),
        Value::String(s) if key.starts_with('_') => match DateTime::parse_from_rfc3339(s) {
            Ok(t) => Cell {
                text: format_date(t.with_timezone(&Utc)),
                number: Some(t.timestamp() as f64),
            },
            Err(_) => text_cell(s.clone()),
        },
        Value::String(s) => text_cell(s.clone()),
        other => text_cell(other.to_string()),
    }
}

/// The figures of a module as a table, newest period first (the one people ask
/// about), with the year earlier when there is one.
pub fn table_data(
    module: &Module,
    figures: &Figures,
    previous: Option<&[Option<f64>]>,
) -> TableData {
    let unit = unit(module);
    let mut headers: Vec<String>;
    let mut rows: Vec<Vec<Cell>>;
    match figures {
        Figures::Time(t) => {
            headers = vec![period_heading(&t.periods)];
            headers.extend(t.series.iter().map(|s| s.label.clone()));
            let totals = t.totals();
            let with_total = t.series.len() > 1;
            if with_total {
                headers.push("Total".into());
            }
            rows = (0..t.periods.len())
                .map(|i| {
                    let mut row = vec![period_cell(&t.periods[i])];
                    row.extend(t.series.iter().map(|s| format_cell(s.values[i], unit)));
                    if with_total {
                        row.push(format_cell(totals[i], unit));
                    }
                    row
                })
                .collect();
        }
        Figures::Kpi(k) => {
            headers = vec!["Period".into(), "Value".into(), "Period before".into()];
            rows = vec![vec![
                k.period
                    .as_ref()
                    .map(period_cell)
                    .unwrap_or_else(|| text_cell("no data".into())),
                format_cell(k.value, unit),
                format_cell(k.previous, unit),
            ]];
        }
        Figures::Completion(c) => {
            headers = vec![
                period_heading(&c.periods),
                "Started".into(),
                "Completed".into(),
                "Completion rate".into(),
            ];
            let rates = c.rates();
            rows = (0..c.periods.len())
                .map(|i| {
                    vec![
                        period_cell(&c.periods[i]),
                        format_cell(Some(c.started[i]), Unit::Number),
                        format_cell(Some(c.completed[i]), Unit::Number),
                        format_cell(rates[i], Unit::Ratio),
                    ]
                })
                .collect();
        }
        Figures::Satisfaction(s) => {
            headers = vec![period_heading(&s.periods), "Responses".into()];
            headers.extend((1..=5).map(|i| format!("Rating {i}")));
            headers.push("Satisfaction".into());
            let scores = s.scores();
            rows = (0..s.periods.len())
                .map(|i| {
                    let mut row = vec![
                        period_cell(&s.periods[i]),
                        format_cell(Some(s.responses[i]), Unit::Number),
                    ];
                    row.extend(
                        s.ratings[i]
                            .iter()
                            .map(|r| format_cell(Some(*r), Unit::Number)),
                    );
                    row.push(format_cell(scores[i], Unit::Ratio));
                    row
                })
                .collect();
        }
        Figures::Journey(steps) => {
            headers = vec!["Step".into(), "Users".into(), "Of those who started".into()];
            let first = steps.first().map(|s| s.count).unwrap_or(0.0);
            rows = steps
                .iter()
                .map(|s| {
                    vec![
                        text_cell(s.label.clone()),
                        format_cell(Some(s.count), Unit::Number),
                        format_cell((first > 0.0).then(|| s.count / first), Unit::Ratio),
                    ]
                })
                .collect();
            return TableData {
                numeric: headers.iter().enumerate().map(|(i, _)| i > 0).collect(),
                headers,
                rows,
            };
        }
        Figures::Table {
            columns,
            rows: records,
        } => {
            let headers: Vec<String> = columns
                .iter()
                .map(|c| match c.as_str() {
                    "_timestamp" => "Date".to_string(),
                    "_start_at" => "From".to_string(),
                    "_end_at" => "To".to_string(),
                    other => label_for(module, other),
                })
                .collect();
            let rows: Vec<Vec<Cell>> = records
                .iter()
                .map(|r| {
                    columns
                        .iter()
                        .zip(r)
                        .map(|(c, v)| value_cell(c, v))
                        .collect()
                })
                .collect();
            let numeric = (0..columns.len())
                .map(|i| {
                    records.iter().any(|r| r[i].is_number())
                        && records.iter().all(|r| r[i].is_number() || r[i].is_null())
                })
                .collect();
            return TableData {
                headers,
                numeric,
                rows,
            };
        }
    }
    if let Some(previous) = previous.filter(|p| p.len() == rows.len()) {
        let previous_unit = match figures {
            Figures::Completion(_) | Figures::Satisfaction(_) => Unit::Ratio,
            _ => unit,
        };
        headers.push("A year earlier".into());
        for (row, value) in rows.iter_mut().zip(previous) {
            row.push(format_cell(*value, previous_unit));
        }
    }
    rows.reverse();
    TableData {
        numeric: headers.iter().enumerate().map(|(i, _)| i > 0).collect(),
        headers,
        rows,
    }
}

// ---------------------------------------------------------------------------
// A dashboard, loaded
// ---------------------------------------------------------------------------

/// A module with its figures (or why there are none), for a page to show.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LoadedModule {
    pub slug: String,
    /// The read API request the figures came from (the downloads are its answer).
    pub request: Option<String>,
    pub figures: Result<Figures, String>,
    /// With a year earlier asked for: the total (or rate) of the same period a
    /// year before each period, aligned with the figures' periods.
    pub previous_year: Option<Vec<Option<f64>>>,
}

/// A dashboard with the figures of its modules and the freshness of its data.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DashboardView {
    pub dashboard: Dashboard,
    pub freshness: Vec<Freshness>,
    /// One per module that reads data (sections' children included), in page order.
    pub modules: Vec<LoadedModule>,
    pub view: ViewParams,
    /// The notes of the dashboard's service the viewer may read, and whether
    /// they may write them.
    #[serde(default)]
    pub notes: crate::model::AnnotationList,
    /// The viewer's CSRF token, when they may write notes.
    #[serde(default)]
    pub csrf: Option<String>,
    /// The targets of the dashboard's service, drawn on its rate charts.
    #[serde(default)]
    pub targets: Vec<crate::boards::Target>,
}

impl DashboardView {
    pub fn loaded(&self, slug: &str) -> Option<&LoadedModule> {
        self.modules.iter().find(|m| m.slug == slug)
    }

    /// The freshness of a module's data set.
    pub fn freshness_of(&self, module: &Module) -> Option<&Freshness> {
        let data_set = module.data_set.as_deref()?;
        self.freshness.iter().find(|f| f.data_set == data_set)
    }
}

/// Every module of a dashboard that reads data, sections' children in place.
pub fn data_modules(modules: &[Module]) -> Vec<&Module> {
    let mut out = Vec::new();
    for m in modules {
        if m.module_type == ModuleType::Section {
            out.extend(data_modules(&m.modules));
        } else {
            out.push(m);
        }
    }
    out
}

/// The module with this slug, anywhere in the dashboard.
pub fn find_module<'a>(modules: &'a [Module], slug: &str) -> Option<&'a Module> {
    modules.iter().find_map(|m| {
        if m.slug == slug {
            Some(m)
        } else {
            find_module(&m.modules, slug)
        }
    })
}

/// Loads a module's figures (and a year earlier, when asked) through the API.
pub async fn load_module(module: Module, view: ViewParams) -> LoadedModule {
    let request = module_request(&module, &view);
    let slug = module.slug.clone();
    let Some(path) = request.clone() else {
        return LoadedModule {
            slug,
            request,
            figures: Err("the module has no data set (write it as group/type)".into()),
            previous_year: None,
        };
    };
    let figures = match crate::api::data_rows(path.clone()).await {
        Ok(rows) => figures(&module, &rows),
        Err(e) => Err(api_message(&e)),
    };
    let periods = match &figures {
        Ok(Figures::Time(t)) => Some(t.periods.clone()),
        Ok(Figures::Completion(c)) => Some(c.periods.clone()),
        Ok(Figures::Satisfaction(s)) => Some(s.periods.clone()),
        _ => None,
    };
    let previous_year = match (view.compare, periods) {
        (true, Some(periods)) => match year_earlier_request(&path, &periods) {
            Some(earlier) => crate::api::data_rows(earlier)
                .await
                .ok()
                .map(|rows| year_earlier_totals(&module, &rows))
                .filter(|v| v.len() == periods.len()),
            None => None,
        },
        _ => None,
    };
    LoadedModule {
        slug,
        request,
        figures,
        previous_year,
    }
}

fn api_message(e: &ApiError) -> String {
    match e {
        ApiError::Status { message, .. } => message.clone(),
        other => other.to_string(),
    }
}

/// Loads a dashboard, its data sets' freshness and every module's figures (or
/// only the module `only`), the modules' requests in parallel.
pub async fn load_dashboard(
    slug: String,
    view: ViewParams,
    only: Option<String>,
) -> Result<DashboardView, ApiError> {
    let dashboard = crate::api::dashboard(&slug).await?;
    let freshness = crate::api::dashboard_freshness(&slug).await?;
    let wanted: Vec<Module> = data_modules(&dashboard.modules)
        .into_iter()
        .filter(|m| only.as_deref().is_none_or(|o| o == m.slug))
        .cloned()
        .collect();
    if let Some(only) = &only {
        if wanted.is_empty() {
            return Err(ApiError::Status {
                status: 404,
                message: format!("The dashboard {slug:?} has no module {only:?}."),
            });
        }
    }
    let modules =
        futures_util::future::join_all(wanted.into_iter().map(|m| load_module(m, view.clone())))
            .await;
    let notes = match &dashboard.service {
        Some(service) => crate::api::annotations(service).await?,
        None => crate::model::AnnotationList::default(),
    };
    let csrf = if notes.may_annotate {
        crate::api::session().await?.csrf_token
    } else {
        None
    };
    let targets = match &dashboard.service {
        Some(service) => crate::api::targets_of(service).await?.targets,
        None => Vec::new(),
    };
    Ok(DashboardView {
        dashboard,
        freshness,
        modules,
        view,
        notes,
        csrf,
        targets,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn module(module_type: ModuleType, query: &str, options: Value) -> Module {
        Module {
            module_type,
            slug: "m".into(),
            title: "Transactions".into(),
            description: String::new(),
            info: String::new(),
            data_set: Some("renew/transactions-by-channel".into()),
            query: query.into(),
            options,
            modules: Vec::new(),
        }
    }

    fn view(period: Option<PeriodKind>, from: Option<&str>, to: Option<&str>) -> ViewParams {
        ViewParams {
            period,
            from: from.map(str::to_string),
            to: to.map(str::to_string),
            compare: false,
        }
    }

    #[test]
    fn views_out_of_bounds_are_explained_and_left_out() {
        let query = |pairs: &'static [(&'static str, &'static str)]| {
            move |name: &str| {
                pairs
                    .iter()
                    .find(|(k, _)| *k == name)
                    .map(|(_, v)| v.to_string())
            }
        };
        // Months outside the years are dropped, and the controls say why.
        let absurd = query(&[("period", "week"), ("from", "0000-01"), ("to", "9999-12")]);
        let v = ViewParams::from_query(absurd);
        assert_eq!((v.from.as_deref(), v.to.as_deref()), (None, None));
        assert_eq!(
            ViewParams::problem(absurd).unwrap(),
            "The first month must be a month from 1900-01 to 2200-12, like 2025-04, not 0000-01."
        );
        // Valid months too many weeks apart: said, and not asked for.
        let long = query(&[("period", "week"), ("from", "1901-01"), ("to", "2200-12")]);
        let v = ViewParams::from_query(long);
        assert!(v
            .check()
            .unwrap_err()
            .starts_with("From 1901-01 to 2200-12 is 15654 weeks: at most 1000 can be shown."));
        let usable = v.usable();
        assert_eq!((usable.from, usable.to), (None, None));
        assert_eq!(usable.period, Some(PeriodKind::Week));
        // By year, the same months are fine.
        let years = query(&[("period", "year"), ("from", "1901-01"), ("to", "2200-12")]);
        assert_eq!(ViewParams::problem(years), None);
        assert_eq!(
            ViewParams::from_query(years).usable().from.as_deref(),
            Some("1901-01")
        );
        // Switching a long duration to a shorter period stays within the bound.
        let m = module(
            ModuleType::SingleTimeseries,
            "period=year&duration=100&collect=count:sum",
            json!({}),
        );
        assert_eq!(
            module_query(&m, &view(Some(PeriodKind::Week), None, None)),
            "period=week&duration=1000&collect=count:sum"
        );
    }

    #[test]
    fn the_stored_query_is_used_as_it_is_without_a_view() {
        let m = module(
            ModuleType::SingleTimeseries,
            "period=month&duration=36&collect=count:sum",
            json!({}),
        );
        assert_eq!(
            module_request(&m, &ViewParams::default()).unwrap(),
            "/data/renew/transactions-by-channel?period=month&duration=36&collect=count:sum"
        );
    }

    #[test]
    fn switching_the_period_keeps_the_span_and_flattens_groups() {
        let m = module(
            ModuleType::GroupedTimeseries,
            "period=week&duration=156&group_by=channel&collect=count:sum",
            json!({}),
        );
        let q = query_pairs(&module_query(
            &m,
            &view(Some(PeriodKind::Month), None, None),
        ));
        assert_eq!(first(&q, "period"), Some("month"));
        // 156 weeks are 1,092 days: 35.9 months, so 36.
        assert_eq!(first(&q, "duration"), Some("36"));
        assert_eq!(first(&q, "flatten"), Some("true"));
        let q = query_pairs(&module_query(&m, &view(Some(PeriodKind::Year), None, None)));
        assert_eq!(first(&q, "duration"), Some("3"));
        // "Transactions per month" stays monthly.
        let bars = module(
            ModuleType::BarChartWithNumber,
            "period=month&duration=6&collect=count:sum",
            json!({}),
        );
        let q = query_pairs(&module_query(
            &bars,
            &view(Some(PeriodKind::Week), None, None),
        ));
        assert_eq!(first(&q, "period"), Some("month"));
        assert_eq!(first(&q, "duration"), Some("6"));
    }

    #[test]
    fn months_become_a_window_from_the_first_of_the_first_to_after_the_last() {
        let m = module(
            ModuleType::SingleTimeseries,
            "period=month&duration=36&collect=count:sum",
            json!({}),
        );
        let q = query_pairs(&module_query(
            &m,
            &view(None, Some("2025-01"), Some("2025-06")),
        ));
        assert_eq!(first(&q, "duration"), None);
        assert_eq!(first(&q, "start_at"), Some("2025-01-01T00:00:00Z"));
        assert_eq!(first(&q, "end_at"), Some("2025-07-01T00:00:00Z"));
        // One end only: the duration counts from it.
        let q = query_pairs(&module_query(&m, &view(None, None, Some("2025-12"))));
        assert_eq!(first(&q, "end_at"), Some("2026-01-01T00:00:00Z"));
        assert_eq!(first(&q, "duration"), Some("36"));
    }

    #[test]
    fn kpis_keep_their_own_query() {
        let m = module(
            ModuleType::Kpi,
            "period=quarter&duration=8&collect=cost_per_transaction:mean",
            json!({}),
        );
        assert_eq!(
            module_query(&m, &view(Some(PeriodKind::Week), Some("2020-01"), None)),
            "period=quarter&duration=8&collect=cost_per_transaction:mean"
        );
    }

    #[test]
    fn a_year_earlier_is_the_same_window_shifted() {
        let periods = vec![
            period_containing(PeriodKind::Week, t("2026-11-09T00:00:00Z")),
            period_containing(PeriodKind::Week, t("2026-11-16T00:00:00Z")),
        ];
        let r = year_earlier_request(
            "/data/a/b?period=week&duration=2&collect=count:sum",
            &periods,
        )
        .unwrap();
        assert_eq!(
            r,
            "/data/a/b?period=week&collect=count:sum&start_at=2025-11-10T00:00:00Z&end_at=2025-11-24T00:00:00Z"
        );
    }

    #[test]
    fn views_from_urls_drop_what_is_not_valid() {
        let q = |pairs: &'static [(&'static str, &'static str)]| {
            move |name: &str| {
                pairs
                    .iter()
                    .find(|(k, _)| *k == name)
                    .map(|(_, v)| v.to_string())
            }
        };
        let v = ViewParams::from_query(q(&[
            ("period", "hour"),
            ("from", "2025-13"),
            ("to", "2025-06"),
            ("compare", "year"),
        ]));
        assert_eq!(
            v,
            ViewParams {
                period: None,
                from: None,
                to: Some("2025-06".into()),
                compare: true
            }
        );
        assert_eq!(v.to_query(), "to=2025-06&compare=year");
        let backwards = view(None, Some("2025-06"), Some("2025-01"));
        assert!(backwards.check().unwrap_err().contains("must not be after"));
    }

    fn t(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn week(start: &str, extra: Value) -> Value {
        let mut row = json!({
            "_start_at": format!("{start}T00:00:00+00:00"),
            "_end_at": (t(&format!("{start}T00:00:00Z")) + chrono::Duration::weeks(1))
                .format("%Y-%m-%dT%H:%M:%S+00:00").to_string(),
        });
        row.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        row
    }

    #[test]
    fn grouped_rows_become_one_series_per_category_in_the_chosen_order() {
        let m = module(
            ModuleType::GroupedTimeseries,
            "period=week&group_by=channel&collect=count:sum",
            json!({"series": ["digital", "phone"], "labels": {"phone": "Telephone"}}),
        );
        let rows = vec![
            week("2026-11-09", json!({"channel": "phone", "count:sum": 5})),
            week("2026-11-09", json!({"channel": "digital", "count:sum": 10})),
            week(
                "2026-11-09",
                json!({"channel": "face_to_face", "count:sum": 1}),
            ),
            week("2026-11-16", json!({"channel": "phone", "count:sum": null})),
            week("2026-11-16", json!({"channel": "digital", "count:sum": 12})),
        ];
        let Figures::Time(f) = figures(&m, &rows).unwrap() else {
            panic!("not a time series")
        };
        assert_eq!(f.periods.len(), 2);
        assert_eq!(f.periods[0].kind, PeriodKind::Week);
        let labels: Vec<&str> = f.series.iter().map(|s| s.label.as_str()).collect();
        assert_eq!(labels, ["Digital", "Telephone", "Face to face"]);
        assert_eq!(f.series[1].values, [Some(5.0), None]);
        assert_eq!(f.totals(), [Some(16.0), Some(12.0)]);
    }

    #[test]
    fn a_kpi_is_the_newest_period_with_a_value_against_the_one_before() {
        let m = module(
            ModuleType::Kpi,
            "period=week&collect=cost:mean",
            json!({"format": "pounds"}),
        );
        let rows = vec![
            week("2026-11-02", json!({"cost:mean": 4.0})),
            week("2026-11-09", json!({"cost:mean": 5.0})),
            week("2026-11-16", json!({"cost:mean": null})),
        ];
        let Figures::Kpi(k) = figures(&m, &rows).unwrap() else {
            panic!("not a KPI")
        };
        assert_eq!(k.value, Some(5.0));
        assert_eq!(k.previous, Some(4.0));
        assert_eq!(k.period.unwrap().start, t("2026-11-09T00:00:00Z"));
        assert_eq!(unit(&m), Unit::Pounds);
        // No value at all: "no data" for the last period.
        let Figures::Kpi(k) = figures(&m, &rows[2..]).unwrap() else {
            panic!("not a KPI")
        };
        assert_eq!(k.value, None);
        assert_eq!(k.period.unwrap().start, t("2026-11-16T00:00:00Z"));
    }

    #[test]
    fn completion_is_end_steps_over_start_steps_per_period() {
        let m = module(
            ModuleType::CompletionRate,
            "period=week&group_by=stage&collect=count:sum",
            json!({"start": "start", "end": "done*"}),
        );
        let rows = vec![
            week("2026-11-09", json!({"stage": "start", "count:sum": 200})),
            week(
                "2026-11-09",
                json!({"stage": "done-online", "count:sum": 120}),
            ),
            week("2026-11-09", json!({"stage": "done-post", "count:sum": 30})),
            week("2026-11-16", json!({"stage": "start", "count:sum": 0})),
        ];
        let Figures::Completion(c) = figures(&m, &rows).unwrap() else {
            panic!("not completion")
        };
        assert_eq!(c.started, [200.0, 0.0]);
        assert_eq!(c.completed, [150.0, 0.0]);
        assert_eq!(c.rates(), [Some(0.75), None]);
    }

    #[test]
    fn satisfaction_scores_follow_the_platform_definition() {
        let m = module(
            ModuleType::UserSatisfactionGraph,
            "period=week&collect=rating_1:sum&collect=total:sum",
            json!({}),
        );
        let rows = vec![week(
            "2026-11-09",
            json!({"rating_1:sum": 1, "rating_2:sum": 2, "rating_3:sum": 3, "rating_4:sum": 4, "rating_5:sum": 10, "total:sum": 20}),
        )];
        let Figures::Satisfaction(s) = figures(&m, &rows).unwrap() else {
            panic!("not satisfaction")
        };
        assert_eq!(s.ratings[0], [1.0, 2.0, 3.0, 4.0, 10.0]);
        assert_eq!(s.scores(), [Some(0.75)]);
    }

    #[test]
    fn a_journey_keeps_its_steps_in_order_with_zero_for_missing_ones() {
        let m = module(
            ModuleType::Journey,
            "group_by=stage&collect=count:sum",
            json!({"steps": ["start", "details", "end"]}),
        );
        let rows = vec![
            json!({"stage": "end", "count:sum": 40}),
            json!({"stage": "start", "count:sum": 100}),
            json!({"stage": "other", "count:sum": 7}),
        ];
        let Figures::Journey(steps) = figures(&m, &rows).unwrap() else {
            panic!("not a journey")
        };
        let counts: Vec<f64> = steps.iter().map(|s| s.count).collect();
        assert_eq!(counts, [100.0, 0.0, 40.0]);
        assert_eq!(steps[1].label, "Details");
    }

    #[test]
    fn a_table_shows_the_records_own_fields_after_their_time() {
        let m = module(ModuleType::Table, "limit=2", json!({}));
        let rows = vec![json!({
            "_id": "x", "_timestamp": "2026-01-01T00:00:00+00:00", "_updated_at": "2026-01-02T00:00:00+00:00",
            "_week_start_at": "2025-12-29T00:00:00+00:00", "cost": 4.5, "channel": "digital"
        })];
        let Figures::Table { columns, rows } = figures(&m, &rows).unwrap() else {
            panic!("not a table")
        };
        assert_eq!(columns, ["_timestamp", "channel", "cost"]);
        assert_eq!(rows[0][2], json!(4.5));
    }

    #[test]
    fn tables_show_the_chart_figures_newest_first_and_sort_by_number() {
        let m = module(
            ModuleType::GroupedTimeseries,
            "period=week&group_by=channel&collect=count:sum",
            json!({}),
        );
        let rows = vec![
            week(
                "2026-11-09",
                json!({"channel": "digital", "count:sum": 1200}),
            ),
            week("2026-11-09", json!({"channel": "phone", "count:sum": 5})),
            week("2026-11-16", json!({"channel": "digital", "count:sum": 30})),
            week("2026-11-16", json!({"channel": "phone", "count:sum": null})),
        ];
        let f = figures(&m, &rows).unwrap();
        let t = table_data(&m, &f, Some(&[Some(1000.0), None]));
        assert_eq!(
            t.headers,
            ["Week", "Digital", "Phone", "Total", "A year earlier"]
        );
        let texts: Vec<Vec<&str>> = t
            .rows
            .iter()
            .map(|r| r.iter().map(|c| c.text.as_str()).collect())
            .collect();
        assert_eq!(
            texts,
            [
                ["16 to 22 November 2026", "30", "no data", "30", "no data"],
                ["9 to 15 November 2026", "1,200", "5", "1,205", "1,000"],
            ]
        );
        let by_digital = t.sorted(1, true);
        assert_eq!(by_digital[0][1].text, "30");
        let by_phone = t.sorted(2, false);
        assert_eq!(by_phone[0][2].text, "5");
    }

    #[test]
    fn cells_show_pounds_and_pence_and_percents() {
        assert_eq!(format_cell(Some(1234.5), Unit::Pounds).text, "£1,234.50");
        assert_eq!(format_cell(Some(4.567), Unit::Pounds).text, "£4.57");
        assert_eq!(format_cell(Some(0.7821), Unit::Ratio).text, "78.2%");
        assert_eq!(format_cell(Some(2.5), Unit::Number).text, "2.5");
        assert_eq!(format_cell(None, Unit::Number).text, "no data");
    }

    #[test]
    fn a_module_that_does_not_fit_its_data_says_why() {
        let m = module(ModuleType::SingleTimeseries, "collect=count:sum", json!({}));
        let err = figures(&m, &[json!({"count:sum": 3})]).unwrap_err();
        assert!(err.contains("needs a period"), "{err}");
        let m = module(ModuleType::SingleTimeseries, "period=week", json!({}));
        assert!(figures(&m, &[]).unwrap_err().contains("collects nothing"));
    }
}
