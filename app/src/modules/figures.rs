//! From the read API's answer to the figures a module shows: values per
//! period and series, headline figures, completion, satisfaction, journeys and
//! records. Pure: the server renders a module from the same figures the
//! browser computes after a change.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::options::{label_for, option_str, option_strings};
use crate::kpi::{
    completion_rate, format_count, is_complete, latest_complete, period_containing,
    satisfaction_score, MAX_MODULE_FIGURES, MAX_PAGE_FIGURES,
};
use crate::model::{Module, ModuleType, Period, PeriodKind};
use crate::query_string::{self, first};

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
    /// The total of every series in each period: none where none has a
    /// value, or where a series has none inside its run, by the service
    /// page's rule ([`crate::model::totals_across`]).
    pub fn totals(&self) -> Vec<Option<f64>> {
        let lines: Vec<&[Option<f64>]> = self.series.iter().map(|s| s.values.as_slice()).collect();
        crate::model::totals_across(self.periods.len(), &lines)
    }

    /// The newest complete period (ending by `complete_until`, see
    /// [`crate::kpi::complete_until`]) with a value in `values`, with that value
    /// and the one of the period just before it.
    pub fn latest(
        &self,
        values: &[Option<f64>],
        complete_until: DateTime<Utc>,
    ) -> Option<LatestFigure> {
        let i = latest_complete(&self.periods, values, Some(complete_until))?;
        Some(LatestFigure {
            value: values[i],
            previous: i.checked_sub(1).and_then(|j| values[j]),
            period: Some(self.periods[i]),
            so_far: false,
        })
    }

    /// The figure of period `i` (one a person points at): a period not yet
    /// complete is "so far", and not compared with the one before.
    pub fn at(
        &self,
        values: &[Option<f64>],
        i: usize,
        complete_until: DateTime<Utc>,
    ) -> Option<LatestFigure> {
        let period = *self.periods.get(i)?;
        let so_far = !is_complete(&period, Some(complete_until));
        Some(LatestFigure {
            value: values.get(i).copied().flatten(),
            previous: (!so_far)
                .then(|| i.checked_sub(1).and_then(|j| values[j]))
                .flatten(),
            period: Some(period),
            so_far,
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
    /// The period has not ended, or its data is not all in: its figure is
    /// "so far", never compared with a whole period.
    #[serde(default)]
    pub so_far: bool,
}

/// Completion per period: how many started and how many finished.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CompletionFigures {
    pub periods: Vec<Period>,
    /// How many started in each period: none where no start step has a
    /// figure, or one has a gap ([`crate::model::totals_across`]).
    pub started: Vec<Option<f64>>,
    /// How many finished, likewise.
    pub completed: Vec<Option<f64>>,
}

impl CompletionFigures {
    /// The rate of each period: none where either side has no figure (a week
    /// whose completions were not sent is no 0%).
    pub fn rates(&self) -> Vec<Option<f64>> {
        self.started
            .iter()
            .zip(&self.completed)
            .map(|(s, c)| completion_rate((*s)?, (*c)?))
            .collect()
    }
}

/// Ratings per period: counts of 1 (very dissatisfied) to 5 (very satisfied) and
/// the number of responses.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SatisfactionFigures {
    pub periods: Vec<Period>,
    pub ratings: Vec<[f64; 5]>,
    /// The ratings given in each period: none where nothing was sent (a
    /// period with no figures is not one of 0 responses).
    pub responses: Vec<Option<f64>>,
}

impl SatisfactionFigures {
    pub fn scores(&self) -> Vec<Option<f64>> {
        self.ratings
            .iter()
            .map(|r| satisfaction_score(*r))
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
    /// The steps, the span of time their counts add up (from the first
    /// period's start to the last one's end) when the answer has periods,
    /// how many whole periods inside it were left out (not every step's
    /// figures were sent for them), and the named steps with no figures at
    /// all in it (then no steps: a step never sent is not 0 people).
    Journey(
        Vec<Step>,
        Option<(DateTime<Utc>, DateTime<Utc>)>,
        usize,
        Vec<String>,
    ),
    /// `table`: column keys and one row of cells per record.
    Table {
        columns: Vec<String>,
        rows: Vec<Vec<Value>>,
    },
    /// `realtime`: the counts of the last hours.
    Live(LiveFigures),
    /// `list`: the items, most first.
    List(Vec<Item>),
}

impl Figures {
    /// How many figures a page shows of these: a time series' periods times
    /// its series, a rate's periods times what it is worked out from, a
    /// table's cells, a list's items. What [`MAX_MODULE_FIGURES`] and
    /// [`MAX_PAGE_FIGURES`] count.
    pub fn count(&self) -> usize {
        match self {
            Figures::Time(t) => t.periods.len() * t.series.len().max(1),
            Figures::Kpi(_) => 1,
            Figures::Completion(c) => c.periods.len() * 2,
            Figures::Satisfaction(s) => s.periods.len() * 6,
            Figures::Journey(steps, ..) => steps.len(),
            Figures::Table { columns, rows } => rows.len() * columns.len().max(1),
            Figures::Live(live) => live.points.len(),
            Figures::List(items) => items.len(),
        }
    }

    /// What the figures are, in words.
    fn shape(&self) -> String {
        let n = |x: usize| format_count(x as f64);
        match self {
            Figures::Time(t) => format!(
                "{} series over {} periods",
                n(t.series.len()),
                n(t.periods.len())
            ),
            Figures::Completion(c) => format!("over {} periods", n(c.periods.len())),
            Figures::Satisfaction(s) => format!("over {} periods", n(s.periods.len())),
            Figures::Table { columns, rows } => {
                format!("{} rows of {} columns", n(rows.len()), n(columns.len()))
            }
            Figures::Live(live) => format!("{} counts", n(live.points.len())),
            Figures::Journey(steps, ..) => format!("{} steps", n(steps.len())),
            Figures::List(items) => format!("{} items", n(items.len())),
            Figures::Kpi(_) => "one figure".into(),
        }
    }
}

/// The figures, or why a module does not show them: more than
/// [`MAX_MODULE_FIGURES`], in words that say how to ask for fewer.
pub fn within_module_bound(module_type: ModuleType, figures: Figures) -> Result<Figures, String> {
    let count = figures.count();
    if count <= MAX_MODULE_FIGURES {
        return Ok(figures);
    }
    let count = format_count(count as f64);
    Err(too_many_figures(module_type, &count, Some(figures.shape())))
}

/// Why a module does not show its figures, when its read was refused for
/// holding more than [`MAX_MODULE_FIGURES`] rows (`max_rows`): each row is at
/// least one figure.
pub fn too_many_rows_to_show(module_type: ModuleType, rows: usize) -> String {
    let rows = format!("at least {}", format_count(rows as f64));
    too_many_figures(module_type, &rows, None)
}

/// "there are {how_many} of them ({shape}), more than a module shows", and
/// how a module of this type shows fewer.
fn too_many_figures(module_type: ModuleType, how_many: &str, shape: Option<String>) -> String {
    let shape = shape.map(|s| format!(" ({s})")).unwrap_or_default();
    let fewer = match module_type {
        ModuleType::Table => "Ask for fewer rows (the query's limit) or fewer columns",
        ModuleType::Kpi
        | ModuleType::List
        | ModuleType::Journey
        | ModuleType::Realtime
        | ModuleType::Section => "Ask for fewer in the module's query (its limit)",
        _ => "Choose a longer period or a shorter date range",
    };
    format!(
        "there are {how_many} of them{shape}, more than a module shows (at most {}). \
         {fewer}, or read them all through the API query behind it.",
        format_count(MAX_MODULE_FIGURES as f64),
    )
}

/// Why a module's figures are not on its dashboard's page: `how_many` more
/// would take the page past [`MAX_PAGE_FIGURES`].
pub fn past_page_bound(how_many: &str) -> String {
    format!(
        "this dashboard already shows as many figures as one page holds (at most {}), \
         and these are {how_many} more. They are on the module's own page: follow its title.",
        format_count(MAX_PAGE_FIGURES as f64),
    )
}

/// A realtime module's counts: each record's time and value, oldest first,
/// over the last `hours`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LiveFigures {
    pub points: Vec<(DateTime<Utc>, f64)>,
    pub hours: u32,
}

impl LiveFigures {
    /// The newest count and when it was taken.
    pub fn latest(&self) -> Option<(DateTime<Utc>, f64)> {
        self.points.last().copied()
    }
}

/// One item of a ranked list: what it is, where it links to, its value.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Item {
    pub label: String,
    pub link: Option<String>,
    pub value: Option<f64>,
}

/// The key a collected value has in the answer: the module's `value` option, or
/// its query's first `collect` (`count:sum`).
pub(crate) fn value_key(module: &Module) -> Option<String> {
    if let Some(v) = option_str(module, "value") {
        return Some(v.to_string());
    }
    let pairs = query_string::pairs(&module.query);
    first(&pairs, "collect").map(str::to_string)
}

/// Whether a module's figure adds its records up (a `:sum`, or a count of
/// records): a volume, which over periods of different lengths is compared
/// per day ([`crate::kpi::change_over`]). A mean, a maximum or a level is not.
pub fn adds_up(module: &Module) -> bool {
    value_key(module).is_none_or(|k| k.ends_with(":sum") || k == "_count")
}

fn group_key(module: &Module) -> Option<String> {
    first(&query_string::pairs(&module.query), "group_by").map(str::to_string)
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
/// The periods of an answer's rows (in their order, one per run of rows
/// with the same start), and each row's period: an index into them, the
/// first period that starts when the row does. Rows of one period share their
/// times (a period's row per category), so a time is read once per run.
fn periods_of(rows: &[&Map<String, Value>]) -> Result<(Vec<Period>, Vec<usize>), String> {
    let mut periods: Vec<Period> = Vec::new();
    let mut first: HashMap<DateTime<Utc>, usize> = HashMap::new();
    let mut each = Vec::with_capacity(rows.len());
    // The last row's times as sent, and the start they were read as.
    let mut last: Option<(&str, &str, DateTime<Utc>)> = None;
    for row in rows {
        let sent = (
            row.get("_start_at").and_then(Value::as_str),
            row.get("_end_at").and_then(Value::as_str),
        );
        let start = match (last, sent) {
            (Some((s, e, start)), (Some(this_s), Some(this_e))) if s == this_s && e == this_e => {
                start
            }
            _ => {
                let (Some(start), Some(end)) = (time(row, "_start_at"), time(row, "_end_at"))
                else {
                    return Err(
                        "the answer has no periods: the module's query needs a period".into(),
                    );
                };
                if periods.last().is_none_or(|p| p.start != start) {
                    let kind = PeriodKind::ALL
                        .into_iter()
                        .find(|k| {
                            let p = period_containing(*k, start);
                            p.start == start && p.end == end
                        })
                        .ok_or_else(|| format!("{start} to {end} is not a period Pulse knows"))?;
                    periods.push(Period { kind, start, end });
                }
                last = sent.0.zip(sent.1).map(|(s, e)| (s, e, start));
                start
            }
        };
        each.push(*first.entry(start).or_insert(periods.len() - 1));
    }
    Ok((periods, each))
}

/// Values per period and category (`group`), in the module's `series` order
/// first, then in order of appearance.
fn grouped(
    module: &Module,
    rows: &[&Map<String, Value>],
    group: &str,
    value: &str,
) -> Result<TimeFigures, String> {
    let (periods, at) = periods_of(rows)?;
    let mut series: Vec<Series> = option_strings(module, "series")
        .into_iter()
        .map(|key| Series {
            label: label_for(module, &key),
            key,
            values: vec![None; periods.len()],
        })
        .collect();
    for (row, i) in rows.iter().zip(at) {
        let Some(group) = row.get(group) else {
            continue;
        };
        let key = match group {
            Value::String(s) => std::borrow::Cow::Borrowed(s.as_str()),
            other => std::borrow::Cow::Owned(other.to_string()),
        };
        let position = match series.iter().position(|s| s.key == key) {
            Some(p) => p,
            None => {
                series.push(Series {
                    label: label_for(module, &key),
                    key: key.into_owned(),
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
    let (periods, at) = periods_of(rows)?;
    let mut values = vec![None; periods.len()];
    for (row, i) in rows.iter().zip(at) {
        values[i] = number(row, value);
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
fn matches(pattern: &str, key: &str) -> bool {
    match pattern.strip_suffix('*') {
        Some(prefix) => key.starts_with(prefix),
        None => pattern == key,
    }
}

/// The figures of a module from the rows of the read API's answer to
/// [`module_request`](super::module_request). An error names what about the
/// module does not fit its data.
///
/// `complete_until` is when the module's data stops being complete
/// ([`crate::kpi::complete_until`]): a headline is the latest period ending by
/// then.
pub fn figures(
    module: &Module,
    rows: &[Value],
    complete_until: DateTime<Utc>,
) -> Result<Figures, String> {
    let rows = rows_of(rows);
    let need_value = || {
        value_key(module).ok_or_else(|| {
            "the module's query collects nothing (add collect=field:sum)".to_string()
        })
    };
    match module.module_type {
        ModuleType::Section => Err("a section has no figures of its own".into()),
        ModuleType::SingleTimeseries | ModuleType::BarChartWithNumber => Ok(Figures::Time(
            whole_counts(module, single(module, &rows, &need_value()?)?),
        )),
        ModuleType::GroupedTimeseries => {
            let value = need_value()?;
            let time = match group_key(module) {
                Some(group) => grouped(module, &rows, &group, &value)?,
                None => single(module, &rows, &value)?,
            };
            Ok(Figures::Time(whole_counts(module, time)))
        }
        ModuleType::Kpi => Ok(Figures::Kpi(kpi(
            module,
            &rows,
            &need_value()?,
            complete_until,
        )?)),
        ModuleType::CompletionRate => Ok(Figures::Completion(completion(
            module,
            &rows,
            &need_value()?,
            complete_until,
        )?)),
        ModuleType::UserSatisfactionGraph => Ok(Figures::Satisfaction(satisfaction(&rows)?)),
        ModuleType::Journey => {
            let value = need_value()?;
            // Only whole periods that every step has a figure for: a week
            // whose later steps have not come in yet is no drop at them, and
            // a step's gap (or a week it was not sent) is no 0 people. Rows
            // without their period are counted as they are; rows of groups
            // that are not among the steps named judge nothing.
            let named = option_strings(module, "steps");
            let group = group_key(module).ok_or("a journey needs group_by (the step)")?;
            let is_step = |r: &Map<String, Value>| {
                named.is_empty()
                    || (r.get(&group).and_then(Value::as_str))
                        .is_some_and(|k| named.iter().any(|n| n == k))
            };
            let whole: Vec<&Map<String, Value>> = (rows.iter().copied())
                .filter(|r| time(r, "_end_at").is_none_or(|end| end <= complete_until))
                .collect();
            let mut gaps: Vec<DateTime<Utc>> = (whole.iter())
                .filter(|r| is_step(r) && number(r, &value).is_none())
                .filter_map(|r| time(r, "_start_at"))
                .collect();
            // A named step with no row for a period was not sent for it
            // either (the API gives a group's empty periods only when the
            // group has a record in the window).
            fn step_in<'a>(r: &'a Map<String, Value>, group: &str) -> Option<&'a str> {
                r.get(group).and_then(Value::as_str)
            }
            let sent: std::collections::HashSet<(&str, Option<DateTime<Utc>>)> = (whole.iter())
                .filter_map(|r| Some((step_in(r, &group)?, time(r, "_start_at"))))
                .collect();
            let starts: std::collections::BTreeSet<DateTime<Utc>> =
                whole.iter().filter_map(|r| time(r, "_start_at")).collect();
            gaps.extend(starts.into_iter().filter(|start| {
                (named.iter()).any(|n| !sent.contains(&(n.as_str(), Some(*start))))
            }));
            // A named step with no figure at all: no journey is drawn
            // through it, and it is named.
            let unsent: Vec<String> = (named.iter())
                .filter(|n| {
                    !(whole.iter()).any(|r| {
                        step_in(r, &group) == Some(n.as_str()) && number(r, &value).is_some()
                    })
                })
                .map(|n| label_for(module, n))
                .collect();
            gaps.sort();
            gaps.dedup();
            let kept: Vec<&Map<String, Value>> = (whole.iter().copied())
                .filter(|r| time(r, "_start_at").is_none_or(|start| !gaps.contains(&start)))
                .collect();
            let span_of = |rows: &[&Map<String, Value>]| {
                (rows.iter())
                    .filter_map(|r| Some((time(r, "_start_at")?, time(r, "_end_at")?)))
                    .fold(
                        None,
                        |acc: Option<(DateTime<Utc>, DateTime<Utc>)>, (s, e)| {
                            Some(acc.map_or((s, e), |(a, b)| (a.min(s), b.max(e))))
                        },
                    )
            };
            // No whole period with every step's figures: no steps drawn, and
            // the span of the periods left out said.
            let (mut steps, span) = match span_of(&kept) {
                _ if !unsent.is_empty() => (Vec::new(), span_of(&whole)),
                None if !gaps.is_empty() => (Vec::new(), span_of(&whole)),
                span => (journey(module, &kept, &value)?, span),
            };
            // A step's users over months of weekly data: written whole.
            let periods = periods_of(&kept)
                .map(|(periods, _)| periods)
                .unwrap_or_default();
            if shared_counts(module, periods.first()) {
                for step in &mut steps {
                    step.count = step.count.round();
                }
            }
            // Whole periods inside the span left out for a step's gap.
            let left_out = (gaps.iter())
                .filter(|start| span.is_some_and(|(from, to)| from <= **start && **start < to))
                .count();
            Ok(Figures::Journey(steps, span, left_out, unsent))
        }
        ModuleType::Table => Ok(table(module, &rows)),
        ModuleType::Realtime => Ok(Figures::Live(live(module, &rows)?)),
        ModuleType::List => Ok(Figures::List(list(module, &rows, &need_value()?)?)),
    }
}

/// Counts shared between periods by their days ([`super::shared_by_days`]),
/// written whole, as the service page writes them: 1,843 transactions, not
/// 1,843.29. (Rates are worked out from the shares as they are.)
fn whole_counts(module: &Module, mut time: TimeFigures) -> TimeFigures {
    if shared_counts(module, time.periods.first()) {
        for value in time.series.iter_mut().flat_map(|s| s.values.iter_mut()) {
            *value = value.map(f64::round);
        }
    }
    time
}

/// Whether a module's figures by periods like `period` are counts shared
/// between them by their days. (Money keeps its pence, and a sum of
/// fractions such as hours its fractions: only counts, `count` as
/// Backdrop's data sets name them, are whole numbers.)
fn shared_counts(module: &Module, period: Option<&Period>) -> bool {
    value_key(module).is_some_and(|k| k == "count:sum" || k.ends_with("_count:sum"))
        && super::unit(module) == crate::model::Unit::Number
        && period.is_some_and(|p| super::shared_by_days(module, p.kind))
}

/// A realtime module's counts: the `value` option's field of each record (the
/// answer is oldest first), records without one left out.
fn live(module: &Module, rows: &[&Map<String, Value>]) -> Result<LiveFigures, String> {
    let value = option_str(module, "value")
        .ok_or("a live figure needs options.value, the field it shows (e.g. unique_visitors)")?;
    let points = rows
        .iter()
        .filter_map(|row| Some((time(row, "_timestamp")?, number(row, value)?)))
        .collect();
    Ok(LiveFigures {
        points,
        hours: super::request::realtime_hours(module),
    })
}

/// A ranked list: one item per group of the answer, in its order (the query
/// sorts and limits). The label is the `label` option's field, else the last
/// `group_by` (a page's title beside its path), named by the `labels` option;
/// the link is the `link` option with `{field}` replaced by the group's value
/// of that field, kept only when it is a web address or a path of this site.
fn list(module: &Module, rows: &[&Map<String, Value>], value: &str) -> Result<Vec<Item>, String> {
    let groups: Vec<String> = query_string::pairs(&module.query)
        .into_iter()
        .filter(|(k, _)| k == "group_by")
        .map(|(_, v)| v)
        .collect();
    let label_field = option_str(module, "label")
        .map(str::to_string)
        .or_else(|| groups.last().cloned())
        .ok_or("a list needs group_by (what each item is)")?;
    let text = |row: &Map<String, Value>, field: &str| match row.get(field) {
        Some(Value::String(s)) => Some(s.clone()),
        Some(Value::Null) | None => None,
        Some(other) => Some(other.to_string()),
    };
    Ok(rows
        .iter()
        .map(|row| {
            let key = text(row, &label_field).unwrap_or_default();
            let label = match module
                .options
                .get("labels")
                .and_then(|l| l.get(&key))
                .and_then(Value::as_str)
            {
                Some(label) => label.to_string(),
                None if key.is_empty() => "(none)".to_string(),
                None => key,
            };
            let link = option_str(module, "link").and_then(|template| {
                let mut link = template.to_string();
                for field in &groups {
                    let placeholder = format!("{{{field}}}");
                    if link.contains(&placeholder) {
                        link = link.replace(&placeholder, &link_part(&text(row, field)?));
                    }
                }
                safe_link(&link).then_some(link)
            });
            Item {
                label,
                link,
                value: number(row, value),
            }
        })
        .collect())
}

/// What about a module's query and options its type cannot show, in words
/// (checked when a dashboard is saved): a live figure reads records (no
/// period, group or collect) and names the field it shows; a list groups and
/// collects over no period, and its link is a web address or a path of this
/// site whose `{field}`s are its groups.
pub fn type_problem(module: &Module) -> Option<String> {
    let pairs = query_string::pairs(&module.query);
    let has = |key: &str| pairs.iter().any(|(k, _)| k == key);
    match module.module_type {
        ModuleType::Realtime => {
            if let Some(key) = ["period", "duration", "group_by", "collect"]
                .into_iter()
                .find(|k| has(k))
            {
                return Some(format!(
                    "a live figure reads the records of its last hours: its query may filter them, but not use {key}"
                ));
            }
            match module.options.get("value") {
                Some(Value::String(v)) if crate::kpi::is_field_name(v) => {}
                _ => {
                    return Some(
                        "a live figure needs options.value, the field it shows (e.g. \"unique_visitors\")"
                            .into(),
                    )
                }
            }
            match module.options.get("hours") {
                None => None,
                Some(h)
                    if h.as_u64().is_some_and(|h| {
                        (1..=u64::from(super::request::MAX_REALTIME_HOURS)).contains(&h)
                    }) =>
                {
                    None
                }
                Some(_) => Some(format!(
                    "options.hours must be a whole number of hours from 1 to {}",
                    super::request::MAX_REALTIME_HOURS
                )),
            }
        }
        ModuleType::List => {
            if has("period") || has("duration") {
                return Some(
                    "a list adds up its items over the months shown: its query may not use period or duration"
                        .into(),
                );
            }
            if !has("group_by") || !has("collect") {
                return Some(
                    "a list needs group_by (what each item is) and collect (its value), e.g. group_by=page&collect=views:sum&sort_by=views:sum:descending&limit=10"
                        .into(),
                );
            }
            let link = match module.options.get("link") {
                None => return None,
                Some(Value::String(link)) => link,
                Some(_) => return Some("options.link must be text".into()),
            };
            let mut bare = link.clone();
            for (k, v) in &pairs {
                if k == "group_by" {
                    bare = bare.replace(&format!("{{{v}}}"), "x");
                }
            }
            if bare.contains(['{', '}']) {
                return Some(
                    "options.link may only name the list's group_by fields, in braces (e.g. https://www.gov.uk{page})"
                        .into(),
                );
            }
            (!safe_link(&bare)).then(|| {
                "options.link must be a web address (https://...) or a path of this site (/...)"
                    .into()
            })
        }
        _ => None,
    }
}

/// A value put in a link: letters, digits, `-._~/` as they are, anything
/// else percent-encoded (so a value cannot end the address or start another).
fn link_part(value: &str) -> String {
    crate::query_string::percent_encode(value, b"-._~/")
}

/// Whether a list's link may be followed: an `http(s)` address or a path of
/// this site (never `javascript:` or another scheme, never `//host`).
pub fn safe_link(link: &str) -> bool {
    let lower = link.to_ascii_lowercase();
    (lower.starts_with("https://") || lower.starts_with("http://") || link.starts_with('/'))
        && !link.starts_with("//")
        && !link.contains(['\\', '\n', '\r', '\t', ' ', '"', '<', '>'])
}

/// A KPI: the newest complete period with a value against the one before (no
/// value at all: the last complete period, with none).
fn kpi(
    module: &Module,
    rows: &[&Map<String, Value>],
    value: &str,
    complete_until: DateTime<Utc>,
) -> Result<LatestFigure, String> {
    let figures = whole_counts(module, single(module, rows, value)?);
    Ok(figures
        .latest(&figures.series[0].values, complete_until)
        .unwrap_or(LatestFigure {
            value: None,
            previous: None,
            period: figures
                .periods
                .iter()
                .rev()
                .find(|p| is_complete(p, Some(complete_until)))
                .copied(),
            so_far: false,
        }))
}

/// Completion: per period, the records at the `start` steps and at the `end`
/// steps (patterns, see [`matches`]).
fn completion(
    module: &Module,
    rows: &[&Map<String, Value>],
    value: &str,
    complete_until: DateTime<Utc>,
) -> Result<CompletionFigures, String> {
    let group =
        group_key(module).ok_or("a completion rate needs group_by (the step of each record)")?;
    let start = option_str(module, "start").ok_or("a completion rate needs a start step")?;
    let end = option_str(module, "end").ok_or("a completion rate needs an end step")?;
    let by_step = grouped(module, rows, &group, value)?;
    // The steps' figures added up, by the rule of every total: a step
    // missing between periods it has leaves no figure.
    let sum = |pattern: &str| -> Vec<Option<f64>> {
        let lines: Vec<&[Option<f64>]> = by_step
            .series
            .iter()
            .filter(|s| matches(pattern, &s.key))
            .map(|s| s.values.as_slice())
            .collect();
        crate::model::totals_across(by_step.periods.len(), &lines)
    };
    let started = sum(start);
    let completed = if super::options::rate_kpi(module) == crate::model::KpiKind::DigitalTakeUp {
        // Digital transactions are a part of all of them, by the rule of
        // every page (`crate::kpi::period_take_up`): a complete period
        // without digital figures had none digital (0%), one under way has
        // no figure yet. (A period missing a channel it has before and after
        // has no total, so no figure, by `totals_across`, as on the service
        // page.) Here the rate's parts: the period's digital transactions.
        // (A period after the digital channel's last figure, by less than
        // two, may have them yet to come whatever its completeness says:
        // `crate::kpi::yet_to_come`.)
        let digital = sum(end);
        let last = digital.iter().rposition(Option::is_some);
        let data_last = started.iter().rposition(Option::is_some);
        started
            .iter()
            .zip(digital)
            .zip(&by_step.periods)
            .enumerate()
            .map(|(i, ((all, digital), period))| {
                let complete = crate::kpi::is_complete(period, Some(complete_until))
                    && !crate::kpi::yet_to_come(i, last, data_last);
                all.and(crate::kpi::digital_part(digital, complete))
            })
            .collect()
    } else {
        sum(end)
    };
    Ok(CompletionFigures {
        started,
        completed,
        periods: by_step.periods,
    })
}

/// Satisfaction: per period, the counts of each rating and the responses
/// (the ratings given, which the score is of: a `total` field that says
/// otherwise is not read).
fn satisfaction(rows: &[&Map<String, Value>]) -> Result<SatisfactionFigures, String> {
    let (periods, at) = periods_of(rows)?;
    let mut ratings = vec![[0.0; 5]; periods.len()];
    let mut responses = vec![None; periods.len()];
    const RATINGS: [&str; 5] = [
        "rating_1:sum",
        "rating_2:sum",
        "rating_3:sum",
        "rating_4:sum",
        "rating_5:sum",
    ];
    for (row, i) in rows.iter().zip(at) {
        let given = RATINGS.map(|key| number(row, key));
        if given.iter().all(Option::is_none) {
            // (an empty period: its sums are nulls)
            continue;
        }
        ratings[i] = given.map(|r| r.unwrap_or(0.0));
        responses[i] = Some(ratings[i].iter().sum());
    }
    Ok(SatisfactionFigures {
        periods,
        ratings,
        responses,
    })
}

/// A journey: how many reached each step, in the `steps` option's order (only
/// those steps), else most first (a journey only narrows; the data's own order
/// is the steps' names' order, not the journey's).
fn journey(
    module: &Module,
    rows: &[&Map<String, Value>],
    value: &str,
) -> Result<Vec<Step>, String> {
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
    for row in rows {
        let Some(key) = row.get(&group).and_then(Value::as_str) else {
            continue;
        };
        let count = number(row, value).unwrap_or(0.0);
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
    if !fixed {
        // (a stable sort: steps reached by as many keep the data's order)
        steps.sort_by(|a, b| b.count.total_cmp(&a.count));
    }
    Ok(steps)
}

/// Records as they are: the `columns` option's fields, else every field but
/// the internal ones, times first.
fn table(module: &Module, rows: &[&Map<String, Value>]) -> Figures {
    let mut columns = option_strings(module, "columns");
    if columns.is_empty() {
        let internal = |k: &str| {
            k == "_id"
                || k == "_updated_at"
                || (k.starts_with('_') && k.ends_with("_start_at") && k != "_start_at")
        };
        let mut seen: Vec<String> = Vec::new();
        for row in rows {
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
    Figures::Table { columns, rows }
}

/// A year earlier's figures beside a module's periods: each period's total
/// (or rate) a year before it, and a rate's bases (what it is out of).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct YearEarlier {
    pub values: Vec<Option<f64>>,
    /// A rate's bases, one per period (none for volumes).
    #[serde(default)]
    pub bases: Vec<Option<f64>>,
    /// The rate, for the words of a base of too few.
    #[serde(default)]
    pub kpi: Option<crate::model::KpiKind>,
}

impl YearEarlier {
    /// Where period `i`'s figure a year earlier is a rate of too few to rely
    /// on ([`crate::kpi::LOW_BASE`]), the words that say so.
    pub fn too_few(&self, i: usize) -> Option<String> {
        crate::kpi::low_base_words(self.kpi?, self.bases.get(i).copied().flatten())
    }

    /// The figures a period may be set beside: a rate of too few is none (a
    /// chart draws no point for it; the table gives it with its words).
    pub fn relied_on(&self) -> Vec<Option<f64>> {
        (self.values.iter().enumerate())
            .map(|(i, v)| v.filter(|_| self.too_few(i).is_none()))
            .collect()
    }
}

/// The totals (or rates, with their bases) of a year earlier's answer, one
/// per period, for the overlay.
pub fn year_earlier_totals(module: &Module, rows: &[Value]) -> YearEarlier {
    match figures(module, rows, DateTime::<Utc>::MAX_UTC) {
        // Several averages (a cost by channel) have no total to set beside.
        Ok(Figures::Time(t)) if group_key(module).is_none() || adds_up(module) => YearEarlier {
            values: t.totals(),
            ..YearEarlier::default()
        },
        Ok(Figures::Completion(c)) => YearEarlier {
            values: c.rates(),
            bases: c.started,
            kpi: Some(super::options::rate_kpi(module)),
        },
        Ok(Figures::Satisfaction(s)) => YearEarlier {
            values: s.scores(),
            bases: s.responses,
            kpi: Some(crate::model::KpiKind::UserSatisfaction),
        },
        _ => YearEarlier::default(),
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::model::Unit;
    use crate::modules::fixtures::{module, t, week};
    use crate::modules::unit;
    use serde_json::json;

    /// Every period complete.
    const ALL: DateTime<Utc> = DateTime::<Utc>::MAX_UTC;

    /// Daily figures of `series` groups over `days` days.
    pub(crate) fn daily(series: usize, days: usize) -> Figures {
        let start = t("2024-01-01T00:00:00Z");
        let periods = (0..days)
            .map(|d| Period {
                kind: PeriodKind::Day,
                start: start + chrono::Duration::days(d as i64),
                end: start + chrono::Duration::days(d as i64 + 1),
            })
            .collect();
        let series = (0..series)
            .map(|g| Series {
                key: format!("g{g}"),
                label: format!("Group {g}"),
                values: vec![Some(1.0); days],
            })
            .collect();
        Figures::Time(TimeFigures { periods, series })
    }

    #[test]
    fn a_module_shows_at_most_its_bound_of_figures_and_says_how_to_show_fewer() {
        // Ten groups over 1,000 days: the most a module shows.
        let most = daily(10, 1000);
        assert_eq!(most.count(), MAX_MODULE_FIGURES);
        let grouped = ModuleType::GroupedTimeseries;
        assert_eq!(within_module_bound(grouped, most.clone()), Ok(most));
        // One more group is refused in words that say what and how to narrow.
        let refused = within_module_bound(grouped, daily(11, 1000)).unwrap_err();
        assert_eq!(
            refused,
            "there are 11,000 of them (11 series over 1,000 periods), more than a module shows \
             (at most 10,000). Choose a longer period or a shorter date range, or read them all \
             through the API query behind it."
        );
        // A table counts its cells; its advice is about rows and columns.
        let table = Figures::Table {
            columns: vec!["a".into(), "b".into(), "c".into()],
            rows: vec![vec![json!(1), json!(2), json!(3)]; 3_334],
        };
        assert_eq!(table.count(), 10_002);
        let refused = within_module_bound(ModuleType::Table, table).unwrap_err();
        assert!(
            refused.contains("10,002 of them (3,334 rows of 3 columns)"),
            "{refused}"
        );
        assert!(refused.contains("Ask for fewer rows"), "{refused}");
        // A read refused for its rows says at least as many.
        assert_eq!(
            too_many_rows_to_show(grouped, 94_672),
            "there are at least 94,672 of them, more than a module shows (at most 10,000). \
             Choose a longer period or a shorter date range, or read them all through the API \
             query behind it."
        );
        // Rates count what they are worked out from.
        let completion = Figures::Completion(CompletionFigures {
            periods: Vec::new(),
            started: Vec::new(),
            completed: Vec::new(),
        });
        assert_eq!(completion.count(), 0);
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
        let Figures::Time(f) = figures(&m, &rows, ALL).unwrap() else {
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
        let Figures::Kpi(k) = figures(&m, &rows, ALL).unwrap() else {
            panic!("not a KPI")
        };
        assert_eq!(k.value, Some(5.0));
        assert_eq!(k.previous, Some(4.0));
        assert_eq!(k.period.unwrap().start, t("2026-11-09T00:00:00Z"));
        assert_eq!(unit(&m), Unit::Pounds);
        // No value at all: "no data" for the last period.
        let Figures::Kpi(k) = figures(&m, &rows[2..], ALL).unwrap() else {
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
        let Figures::Completion(c) = figures(&m, &rows, ALL).unwrap() else {
            panic!("not completion")
        };
        assert_eq!(c.started, [Some(200.0), Some(0.0)]);
        assert_eq!(c.completed, [Some(150.0), None]);
        assert_eq!(c.rates(), [Some(0.75), None]);
        // A week whose completions were not sent, between weeks that have
        // them, has no rate (not 0%); nor one past the last sent.
        let rows = vec![
            week("2026-11-02", json!({"stage": "start", "count:sum": 100})),
            week(
                "2026-11-02",
                json!({"stage": "done-online", "count:sum": 80}),
            ),
            week("2026-11-09", json!({"stage": "start", "count:sum": 100})),
            week("2026-11-16", json!({"stage": "start", "count:sum": 100})),
            week(
                "2026-11-16",
                json!({"stage": "done-online", "count:sum": 70}),
            ),
            week("2026-11-23", json!({"stage": "start", "count:sum": 100})),
        ];
        let Figures::Completion(c) = figures(&m, &rows, ALL).unwrap() else {
            panic!("not completion")
        };
        assert_eq!(c.rates(), [Some(0.8), None, Some(0.7), None]);
    }

    #[test]
    fn digital_take_up_is_zero_where_no_transaction_was_digital() {
        // The service page's rule: digital transactions are a part of all of
        // them, so a service that never sent a digital channel took up 0%; a
        // week missing a channel it sent before and after has no total, so
        // no figure (as the service page drops it), nor has a week with no
        // transactions at all.
        let m = module(
            ModuleType::CompletionRate,
            "period=week&group_by=channel&collect=count:sum",
            json!({"start": "*", "end": "digital", "kpi": "digital_take_up"}),
        );
        let rows = vec![
            week("2026-11-02", json!({"channel": "phone", "count:sum": 40})),
            week("2026-11-02", json!({"channel": "digital", "count:sum": 60})),
            week("2026-11-09", json!({"channel": "phone", "count:sum": 50})),
            week("2026-11-16", json!({"channel": "phone", "count:sum": 30})),
            week("2026-11-16", json!({"channel": "digital", "count:sum": 10})),
            week("2026-11-23", json!({"channel": "phone", "count:sum": null})),
            // Phone's figures came, digital's not yet: no figure, not 0%,
            // while the week is not complete.
            week("2026-11-30", json!({"channel": "phone", "count:sum": 20})),
        ];
        let under_way = t("2026-11-30T00:00:00Z");
        let Figures::Completion(c) = figures(&m, &rows, under_way).unwrap() else {
            panic!("not a rate")
        };
        assert_eq!(c.rates(), [Some(0.6), None, Some(0.25), None, None]);
        assert_eq!(c.completed[4], None, "its digital transactions are unknown");
        // Once it is complete (the data set's newest whole week: digital sent
        // nothing for two weeks, so its channel has closed, by the server's
        // `newest_whole`), none were digital: 0%, as the service page says.
        let Figures::Completion(closed) = figures(&m, &rows, ALL).unwrap() else {
            panic!("not a rate")
        };
        assert_eq!(closed.rates()[4], Some(0.0));
        assert_eq!(
            closed.rates()[4],
            crate::kpi::period_take_up(None, Some(20.0), true)
        );
        assert_eq!(crate::kpi::period_take_up(None, Some(20.0), false), None);
        // Whatever its completeness reads (a data set whose parts Pulse does
        // not know), a week just after digital's last figure, the data gone
        // on less than two weeks past it, may have them yet to come; two
        // weeks on, digital has closed.
        let mut late = rows[..5].to_vec();
        late.push(week(
            "2026-11-23",
            json!({"channel": "phone", "count:sum": 25}),
        ));
        let Figures::Completion(one) = figures(&m, &late, ALL).unwrap() else {
            panic!("not a rate")
        };
        assert_eq!(
            one.rates()[3],
            None,
            "one week past digital's last: yet to come"
        );
        late.push(week(
            "2026-11-30",
            json!({"channel": "phone", "count:sum": 20}),
        ));
        let Figures::Completion(two) = figures(&m, &late, ALL).unwrap() else {
            panic!("not a rate")
        };
        assert_eq!(two.rates()[3..], [Some(0.0), Some(0.0)]);
        assert_eq!(
            [c.rates()[0], c.rates()[2]],
            [
                crate::kpi::digital_take_up(Some(60.0), Some(100.0)),
                crate::kpi::digital_take_up(Some(10.0), Some(40.0)),
            ]
        );
        // Never by a digital channel: 0% each week, not "no data".
        let Figures::Completion(c) = figures(&m, &[rows[0].clone(), rows[2].clone()], ALL).unwrap()
        else {
            panic!("not a rate")
        };
        assert_eq!(c.rates(), [Some(0.0), Some(0.0)]);
        // (a plain 0: an empty float `sum` is -0, which was written "-0.0%")
        assert!(c.rates()[0].unwrap().is_sign_positive());
    }

    #[test]
    fn a_period_with_no_ratings_sent_has_no_responses_rather_than_none() {
        let m = module(
            ModuleType::UserSatisfactionGraph,
            "period=week&collect=rating_1:sum",
            json!({}),
        );
        let empty = json!({"rating_1:sum": null, "rating_2:sum": null, "rating_3:sum": null, "rating_4:sum": null, "rating_5:sum": null});
        let rows = vec![
            week(
                "2026-11-09",
                json!({"rating_1:sum": 0, "rating_2:sum": 0, "rating_3:sum": 0, "rating_4:sum": 0, "rating_5:sum": 0}),
            ),
            week("2026-11-16", empty),
        ];
        let Figures::Satisfaction(s) = figures(&m, &rows, ALL).unwrap() else {
            panic!("not satisfaction")
        };
        // Sent as none: 0 responses; not sent: no figure (the table says "no data").
        assert_eq!(s.responses, [Some(0.0), None]);
        assert_eq!(s.scores(), [None, None]);
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
        let Figures::Satisfaction(s) = figures(&m, &rows, ALL).unwrap() else {
            panic!("not satisfaction")
        };
        assert_eq!(s.ratings[0], [1.0, 2.0, 3.0, 4.0, 10.0]);
        assert_eq!(s.scores(), [Some(0.75)]);
    }

    #[test]
    fn a_journey_keeps_its_steps_in_order_and_names_a_step_never_sent() {
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
        // Details were never sent: not 0 people, and no journey through it.
        let Figures::Journey(steps, None, 0, unsent) = figures(&m, &rows, ALL).unwrap() else {
            panic!("not a journey")
        };
        assert!(steps.is_empty());
        assert_eq!(unsent, ["Details"]);
        let rows = vec![
            json!({"stage": "end", "count:sum": 40}),
            json!({"stage": "details", "count:sum": 0}),
            json!({"stage": "start", "count:sum": 100}),
            json!({"stage": "other", "count:sum": 7}),
        ];
        let Figures::Journey(steps, None, 0, unsent) = figures(&m, &rows, ALL).unwrap() else {
            panic!("not a journey")
        };
        let counts: Vec<f64> = steps.iter().map(|s| s.count).collect();
        assert_eq!(counts, [100.0, 0.0, 40.0], "a 0 sent is 0");
        assert_eq!(steps[1].label, "Details");
        assert!(unsent.is_empty());
    }

    #[test]
    fn a_named_step_not_sent_for_a_week_leaves_that_week_out() {
        let m = module(
            ModuleType::Journey,
            "period=week&group_by=step&collect=count:sum",
            json!({"steps": ["eligibility", "payment", "done"]}),
        );
        let week = |start: &str, end: &str, step: &str, count: i64| json!({"_start_at": start, "_end_at": end, "step": step, "count:sum": count});
        let (w1, w2) = (
            ("2026-11-02T00:00:00+00:00", "2026-11-09T00:00:00+00:00"),
            ("2026-11-09T00:00:00+00:00", "2026-11-16T00:00:00+00:00"),
        );
        let mut rows = Vec::new();
        for (start, end) in [w1, w2] {
            rows.push(week(start, end, "eligibility", 1000));
            rows.push(week(start, end, "done", 700));
        }
        // Payment never sent: named, no steps, both weeks left out.
        let until = DateTime::parse_from_rfc3339("2026-11-16T00:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let Figures::Journey(steps, span, left_out, unsent) = figures(&m, &rows, until).unwrap()
        else {
            panic!("not a journey")
        };
        assert!(steps.is_empty());
        assert_eq!(unsent, ["Payment"]);
        assert_eq!(span.unwrap().0.to_rfc3339(), w1.0);
        assert_eq!(left_out, 2);
        // Sent for the second week only (no row at all for the first, as the
        // API answers a group with no record that week): the second counted.
        rows.push(week(w2.0, w2.1, "payment", 800));
        let Figures::Journey(steps, span, left_out, unsent) = figures(&m, &rows, until).unwrap()
        else {
            panic!("not a journey")
        };
        let counts: Vec<f64> = steps.iter().map(|s| s.count).collect();
        assert_eq!(counts, [1000.0, 800.0, 700.0]);
        assert!(unsent.is_empty());
        assert_eq!(span.unwrap().0.to_rfc3339(), w2.0);
        assert_eq!(left_out, 0, "the week left out is before the span");
    }

    #[test]
    fn a_journey_without_its_steps_named_runs_most_first_over_whole_weeks_every_step_has() {
        // The builder's journey names no steps, and /data gives them in the
        // order of their names: eligibility comes before done by its
        // figures, not its name.
        let m = module(
            ModuleType::Journey,
            "period=week&group_by=step&collect=count:sum",
            json!({}),
        );
        let week = |start: &str, end: &str, step: &str, count: Value| json!({"_start_at": start, "_end_at": end, "step": step, "count:sum": count});
        let (w1, w2, w3) = (
            ("2026-11-02T00:00:00+00:00", "2026-11-09T00:00:00+00:00"),
            ("2026-11-09T00:00:00+00:00", "2026-11-16T00:00:00+00:00"),
            ("2026-11-16T00:00:00+00:00", "2026-11-23T00:00:00+00:00"),
        );
        let mut rows = Vec::new();
        for (start, end) in [w1, w2, w3] {
            rows.push(week(start, end, "details", json!(930)));
            rows.push(week(start, end, "done", json!(812)));
            rows.push(week(start, end, "eligibility", json!(1040)));
            rows.push(week(start, end, "payment", json!(850)));
        }
        // The second week's payments were not sent (a gap): that week is
        // left out for every step, not counted as no one paying.
        rows[7]["count:sum"] = Value::Null;
        // The third week is under way.
        let until = DateTime::parse_from_rfc3339("2026-11-19T00:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let Figures::Journey(steps, span, left_out, _) = figures(&m, &rows, until).unwrap() else {
            panic!("not a journey")
        };
        let got: Vec<(&str, f64)> = steps.iter().map(|s| (s.key.as_str(), s.count)).collect();
        assert_eq!(
            got,
            [
                ("eligibility", 1040.0),
                ("details", 930.0),
                ("payment", 850.0),
                ("done", 812.0)
            ]
        );
        let (from, to) = span.unwrap();
        assert_eq!(
            (from.to_rfc3339(), to.to_rfc3339()),
            (
                "2026-11-02T00:00:00+00:00".to_string(),
                "2026-11-09T00:00:00+00:00".to_string()
            )
        );
        assert_eq!(left_out, 0);
        // With the first week's details missing instead, the span runs over
        // it to the second week, and says one was left out.
        rows[7]["count:sum"] = json!(850);
        rows[4]["count:sum"] = json!(930);
        rows[0]["count:sum"] = Value::Null;
        let Figures::Journey(_, span, left_out, _) = figures(&m, &rows, until).unwrap() else {
            panic!("not a journey")
        };
        assert_eq!(span.unwrap().0.to_rfc3339(), "2026-11-09T00:00:00+00:00");
        assert_eq!(left_out, 0);
        rows[0]["count:sum"] = json!(930);
        rows[5]["count:sum"] = Value::Null;
        let with_third_whole = DateTime::parse_from_rfc3339("2026-11-23T00:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let Figures::Journey(steps, span, left_out, _) =
            figures(&m, &rows, with_third_whole).unwrap()
        else {
            panic!("not a journey")
        };
        assert_eq!(span.unwrap().1.to_rfc3339(), "2026-11-23T00:00:00+00:00");
        assert_eq!(left_out, 1);
        assert_eq!(steps[0].count, 2080.0);
        // No whole week with every step's figures: no steps, and every week
        // said to be left out.
        for (i, row) in rows.iter_mut().enumerate() {
            if i % 4 == 3 {
                row["count:sum"] = Value::Null;
            }
        }
        let Figures::Journey(steps, span, left_out, _) =
            figures(&m, &rows, with_third_whole).unwrap()
        else {
            panic!("not a journey")
        };
        assert!(steps.is_empty());
        assert_eq!(span.unwrap().0.to_rfc3339(), "2026-11-02T00:00:00+00:00");
        assert_eq!(left_out, 3);
        // With its steps named, a group that is no step judges no week.
        rows[5]["count:sum"] = json!(812);
        let named = module(
            ModuleType::Journey,
            "period=week&group_by=step&collect=count:sum",
            json!({"steps": ["eligibility", "done"]}),
        );
        let Figures::Journey(steps, _, left_out, _) =
            figures(&named, &rows, with_third_whole).unwrap()
        else {
            panic!("not a journey")
        };
        assert_eq!(left_out, 0);
        assert_eq!(steps[0].count, 3120.0);
    }

    #[test]
    fn a_table_shows_the_records_own_fields_after_their_time() {
        let m = module(ModuleType::Table, "limit=2", json!({}));
        let rows = vec![json!({
            "_id": "x", "_timestamp": "2026-01-01T00:00:00+00:00", "_updated_at": "2026-01-02T00:00:00+00:00",
            "_week_start_at": "2025-12-29T00:00:00+00:00", "cost": 4.5, "channel": "digital"
        })];
        let Figures::Table { columns, rows } = figures(&m, &rows, ALL).unwrap() else {
            panic!("not a table")
        };
        assert_eq!(columns, ["_timestamp", "channel", "cost"]);
        assert_eq!(rows[0][2], json!(4.5));
    }

    #[test]
    fn a_module_that_does_not_fit_its_data_says_why() {
        let m = module(ModuleType::SingleTimeseries, "collect=count:sum", json!({}));
        let err = figures(&m, &[json!({"count:sum": 3})], ALL).unwrap_err();
        assert!(err.contains("needs a period"), "{err}");
        let m = module(ModuleType::SingleTimeseries, "period=week", json!({}));
        assert!(figures(&m, &[], ALL)
            .unwrap_err()
            .contains("collects nothing"));
    }

    #[test]
    fn a_live_figure_is_the_newest_count_of_its_records() {
        let m = module(
            ModuleType::Realtime,
            "",
            json!({"value": "unique_visitors", "hours": 2}),
        );
        let rows = vec![
            json!({"_timestamp": "2026-12-03T09:40:00+00:00", "unique_visitors": 1200}),
            json!({"_timestamp": "2026-12-03T09:42:00+00:00", "other": 3}),
            json!({"_timestamp": "2026-12-03T09:44:00+00:00", "unique_visitors": 1234}),
        ];
        let Figures::Live(live) = figures(&m, &rows, ALL).unwrap() else {
            panic!("not a live figure");
        };
        assert_eq!(live.hours, 2);
        assert_eq!(live.points.len(), 2);
        assert_eq!(live.latest(), Some((t("2026-12-03T09:44:00Z"), 1234.0)));
        let table = crate::modules::table_data(&m, &Figures::Live(live), None, ALL);
        assert_eq!(table.headers, ["Time", "Unique visitors"]);
        assert_eq!(table.rows[0][0].text, "09:44 GMT");
        assert_eq!(table.rows[0][1].text, "1,234");
        // No field to show: said, not guessed.
        let bare = module(ModuleType::Realtime, "", json!({}));
        assert!(figures(&bare, &rows, ALL)
            .unwrap_err()
            .contains("options.value"));
    }

    #[test]
    fn a_list_keeps_the_answers_order_with_labels_and_safe_links() {
        let m = module(
            ModuleType::List,
            "group_by=page&group_by=title&collect=views:sum&sort_by=views:sum:descending&limit=3",
            json!({"link": "https://www.example.com{page}"}),
        );
        let rows = vec![
            json!({"page": "/fees", "title": "What it costs", "views:sum": 900}),
            json!({"page": "/a b?c=<d>", "title": "Odd", "views:sum": 40}),
            json!({"page": null, "title": null, "views:sum": 2}),
        ];
        let Figures::List(items) = figures(&m, &rows, ALL).unwrap() else {
            panic!("not a list");
        };
        assert_eq!(items[0].label, "What it costs");
        assert_eq!(
            items[0].link.as_deref(),
            Some("https://www.example.com/fees")
        );
        assert_eq!(items[0].value, Some(900.0));
        // A value cannot break out of the address.
        assert_eq!(
            items[1].link.as_deref(),
            Some("https://www.example.com/a%20b%3Fc%3D%3Cd%3E")
        );
        // An item without the link's field has no link.
        assert_eq!(
            (items[2].label.as_str(), items[2].link.as_deref()),
            ("(none)", None)
        );
        let table = crate::modules::table_data(&m, &Figures::List(items), None, ALL);
        assert_eq!(table.headers, ["Rank", "Title", "Views"]);
        assert_eq!(table.rows[1][0].text, "2");
    }

    #[test]
    fn links_are_web_addresses_or_paths_of_this_site() {
        for good in ["https://www.gov.uk/x", "http://a.example/", "/guide"] {
            assert!(safe_link(good), "{good}");
        }
        for bad in [
            "javascript:alert(1)",
            "JavaScript:alert(1)",
            "//evil.example/",
            "data:text/html,x",
            "https://a b",
            "/\\evil",
        ] {
            assert!(!safe_link(bad), "{bad}");
        }
    }

    #[test]
    fn a_type_says_what_its_query_and_options_cannot_be() {
        let problem = |t, query: &str, options| type_problem(&module(t, query, options));
        assert_eq!(
            problem(
                ModuleType::Realtime,
                "filter_by=site:a",
                json!({"value": "nn", "hours": 6})
            ),
            None
        );
        assert!(
            problem(ModuleType::Realtime, "period=hour", json!({"value": "nn"}))
                .unwrap()
                .contains("period")
        );
        assert!(problem(ModuleType::Realtime, "", json!({}))
            .unwrap()
            .contains("options.value"));
        assert!(problem(
            ModuleType::Realtime,
            "",
            json!({"value": "nn", "hours": 49})
        )
        .unwrap()
        .contains("hours"));
        let list = "group_by=page&collect=views:sum";
        assert_eq!(
            problem(ModuleType::List, list, json!({"link": "/pages{page}"})),
            None
        );
        assert!(problem(ModuleType::List, "collect=views:sum", json!({}))
            .unwrap()
            .contains("group_by"));
        assert!(
            problem(ModuleType::List, &format!("{list}&period=month"), json!({}))
                .unwrap()
                .contains("period")
        );
        assert!(problem(
            ModuleType::List,
            list,
            json!({"link": "javascript:x{page}"})
        )
        .unwrap()
        .contains("web address"));
        assert!(problem(
            ModuleType::List,
            list,
            json!({"link": "https://a.example{title}"})
        )
        .unwrap()
        .contains("group_by fields"));
        assert_eq!(problem(ModuleType::Kpi, "period=week", json!({})), None);
    }
}
