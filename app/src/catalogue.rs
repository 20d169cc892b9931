//! The data types catalogue: the standard kinds of data set a service sends
//! (their fields, an example, the KPI each feeds, the JSON Schema and
//! `auto_ids` a data set made from one gets, a CSV template), and the
//! dashboard builder's presets: which data sets and modules each KPI needs.
//!
//! Pure data and functions, shared by the server (the API, data set creation,
//! the guide) and the browser (the builder's forms).

use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

use crate::model::{KpiKind, Module, ModuleType, PeriodKind};
use crate::query_string;

/// What a field holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum FieldKind {
    /// An ISO 8601 date-time (`2026-11-16T00:00:00Z`): the start of the period.
    Timestamp,
    /// A whole number, zero or more.
    Count,
    /// A number, zero or more.
    Amount,
    /// Text; one of `allowed` where those are given.
    Text,
}

impl FieldKind {
    pub fn words(self) -> &'static str {
        match self {
            FieldKind::Timestamp => "date-time (ISO 8601)",
            FieldKind::Count => "whole number",
            FieldKind::Amount => "number",
            FieldKind::Text => "text",
        }
    }
}

/// One field of a data type.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Field {
    pub name: String,
    pub kind: FieldKind,
    pub required: bool,
    pub description: String,
    /// The values a text field may take; empty when any text goes.
    #[serde(default)]
    pub allowed: Vec<String>,
}

/// A data type of the catalogue, as `/api/v1/data-types` shows it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct DataType {
    /// The data set's `data_type` (`transactions-by-channel`).
    pub name: String,
    pub title: String,
    pub summary: String,
    /// How often a record is sent: one per this period (and per group, if any).
    pub period: PeriodKind,
    pub fields: Vec<Field>,
    /// The fields that identify a record: sending one again with the same
    /// values replaces it (a correction).
    pub auto_ids: Vec<String>,
    /// The KPIs computed from it (none for journey steps).
    pub kpis: Vec<KpiKind>,
    /// Example records, in the order a template lists them.
    #[cfg_attr(feature = "ssr", schema(value_type = Vec<Object>))]
    pub examples: Vec<Value>,
    /// The JSON Schema a data set made from this type checks records against.
    #[cfg_attr(feature = "ssr", schema(value_type = Object))]
    pub schema: Value,
}

/// The answer of `GET /api/v1/data-types`: the catalogue, and how many data
/// sets of each type (and of types not in it) this installation holds.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct DataTypeList {
    pub data_types: Vec<DataTypeInUse>,
    /// Data types in use here that the catalogue does not describe, by name,
    /// with the number of data sets of each.
    pub others: Vec<(String, usize)>,
}

/// A catalogue entry and how many data sets of it exist here.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct DataTypeInUse {
    #[serde(flatten)]
    pub data_type: DataType,
    pub data_sets: usize,
}

const TIMESTAMP: &str = "_timestamp";

fn field(name: &str, kind: FieldKind, description: &str, allowed: &[&str]) -> Field {
    Field {
        name: name.into(),
        kind,
        required: true,
        description: description.into(),
        allowed: allowed.iter().map(|s| s.to_string()).collect(),
    }
}

fn timestamp(period: &str) -> Field {
    field(
        TIMESTAMP,
        FieldKind::Timestamp,
        &format!("The start of the {period} the figures are for, in UTC."),
        &[],
    )
}

/// The standard channels of transactions-by-channel, in the order pages show them.
pub const CHANNELS: [&str; 4] = ["digital", "phone", "paper", "face_to_face"];

/// The names of the catalogue's data types, in the order it lists them.
pub const NAMES: [&str; 7] = [
    "transactions-by-channel",
    "cost-per-transaction",
    "user-satisfaction",
    "completion-rate",
    "journey",
    "top-pages",
    "realtime",
];

/// How often a record of a catalogue data type is sent (one per this period,
/// per group if any): `None` for a type the catalogue does not describe. The
/// same as [`find`]'s `period`, without building the entry.
pub fn frequency(data_type: &str) -> Option<PeriodKind> {
    match data_type {
        "cost-per-transaction" => Some(PeriodKind::Quarter),
        "user-satisfaction" => Some(PeriodKind::Month),
        "transactions-by-channel" | "completion-rate" | "journey" => Some(PeriodKind::Week),
        "top-pages" => Some(PeriodKind::Month),
        "realtime" => Some(PeriodKind::Hour),
        _ => None,
    }
}

/// The field a period's figures of a catalogue data type are split by, one
/// record per value (the channel, the stage, the step): a period is whole
/// when every value sent lately has come (see [`crate::model::Freshness`]'s
/// `newest_whole`). `None` for types sent as one record a period.
pub fn part_field(data_type: &str) -> Option<&'static str> {
    match data_type {
        "transactions-by-channel" => Some("channel"),
        "completion-rate" => Some("stage"),
        "journey" => Some("step"),
        _ => None,
    }
}

/// How old (in seconds, counted from the start of its period, as a record's
/// `_timestamp` is) the newest record of data sent once per `frequency` may
/// be before it is late: the next period's figures are due a grace after
/// that period ends (3 days for weeks, 14 for months, 31 for quarters, 31
/// for years), so two periods and the grace. For example monthly figures
/// dated 1 October are late from 16 December, when November's have not come
/// within two weeks of November's end. The default of every data set made
/// from the catalogue, and of the demo's.
pub fn expected_age(frequency: PeriodKind) -> i64 {
    let days = match frequency {
        PeriodKind::Hour => return 2 * 3_600 + 3_600,
        PeriodKind::Day => 2 + 1,
        PeriodKind::Week => 14 + 3,
        PeriodKind::Month => 62 + 14,
        PeriodKind::Quarter => 184 + 31,
        PeriodKind::Year => 366 + 365 + 31,
    };
    days * 86_400
}

/// The catalogue entry of a data type, by name.
pub fn find(name: &str) -> Option<DataType> {
    type Parts<'a> = (
        &'a str,
        &'a str,
        PeriodKind,
        Vec<Field>,
        &'a [&'a str],
        Vec<KpiKind>,
        Vec<Value>,
    );
    let (title, summary, period, fields, auto_ids, kpis, examples): Parts = match name {
        "transactions-by-channel" => (
            "Transactions by channel",
            "How many transactions were completed each week, by the channel people used.",
            PeriodKind::Week,
            vec![
                timestamp("week (a Monday)"),
                field(
                    "channel",
                    FieldKind::Text,
                    "How the transaction was made.",
                    &CHANNELS,
                ),
                field(
                    "count",
                    FieldKind::Count,
                    "Transactions completed in that week through that channel.",
                    &[],
                ),
            ],
            &[TIMESTAMP, "channel"],
            vec![KpiKind::Transactions, KpiKind::DigitalTakeUp],
            vec![
                json!({"_timestamp": "2026-11-16T00:00:00Z", "channel": "digital", "count": 812}),
                json!({"_timestamp": "2026-11-16T00:00:00Z", "channel": "phone", "count": 240}),
                json!({"_timestamp": "2026-11-16T00:00:00Z", "channel": "paper", "count": 96}),
                json!({"_timestamp": "2026-11-16T00:00:00Z", "channel": "face_to_face", "count": 12}),
            ],
        ),
        "cost-per-transaction" => (
            "Cost per transaction",
            "What one transaction costs on average, across all channels, each quarter.",
            PeriodKind::Quarter,
            vec![
                timestamp("quarter (1 January, April, July or October)"),
                field(
                    "cost_per_transaction",
                    FieldKind::Amount,
                    "The quarter's total cost of the service (staff, IT, accommodation) divided by its transactions, in pounds.",
                    &[],
                ),
            ],
            &[TIMESTAMP],
            vec![KpiKind::CostPerTransaction],
            vec![
                json!({"_timestamp": "2026-04-01T00:00:00Z", "cost_per_transaction": 4.85}),
                json!({"_timestamp": "2026-07-01T00:00:00Z", "cost_per_transaction": 4.62}),
            ],
        ),
        "user-satisfaction" => (
            "User satisfaction",
            "The ratings people gave on the service's feedback page each month, from 1 (very dissatisfied) to 5 (very satisfied).",
            PeriodKind::Month,
            {
                let mut fields = vec![timestamp("month (the 1st)")];
                for (i, words) in [
                    "very dissatisfied",
                    "dissatisfied",
                    "neither satisfied nor dissatisfied",
                    "satisfied",
                    "very satisfied",
                ]
                .iter()
                .enumerate()
                {
                    fields.push(field(
                        &format!("rating_{}", i + 1),
                        FieldKind::Count,
                        &format!("How many people rated the service {} ({words}).", i + 1),
                        &[],
                    ));
                }
                fields.push(field(
                    "total",
                    FieldKind::Count,
                    "How many people answered (the sum of the ratings).",
                    &[],
                ));
                fields
            },
            &[TIMESTAMP],
            vec![KpiKind::UserSatisfaction],
            vec![json!({
                "_timestamp": "2026-10-01T00:00:00Z",
                "rating_1": 12, "rating_2": 20, "rating_3": 41, "rating_4": 160, "rating_5": 210,
                "total": 443
            })],
        ),
        "completion-rate" => (
            "Completion rate",
            "How many people started the digital service each week, and how many finished.",
            PeriodKind::Week,
            vec![
                timestamp("week (a Monday)"),
                field(
                    "stage",
                    FieldKind::Text,
                    "start: began the service; end: finished it.",
                    &["start", "end"],
                ),
                field(
                    "count",
                    FieldKind::Count,
                    "People at that stage in that week.",
                    &[],
                ),
            ],
            &[TIMESTAMP, "stage"],
            vec![KpiKind::CompletionRate],
            vec![
                json!({"_timestamp": "2026-11-16T00:00:00Z", "stage": "start", "count": 1040}),
                json!({"_timestamp": "2026-11-16T00:00:00Z", "stage": "end", "count": 812}),
            ],
        ),
        "journey" => (
            "Journey steps",
            "How many people reached each step of the digital service each week: where they drop out.",
            PeriodKind::Week,
            vec![
                timestamp("week (a Monday)"),
                field(
                    "step",
                    FieldKind::Text,
                    "The step's short name, such as eligibility, details, payment or done.",
                    &[],
                ),
                field(
                    "count",
                    FieldKind::Count,
                    "People who reached that step in that week.",
                    &[],
                ),
            ],
            &[TIMESTAMP, "step"],
            Vec::new(),
            vec![
                json!({"_timestamp": "2026-11-16T00:00:00Z", "step": "eligibility", "count": 1040}),
                json!({"_timestamp": "2026-11-16T00:00:00Z", "step": "details", "count": 930}),
                json!({"_timestamp": "2026-11-16T00:00:00Z", "step": "payment", "count": 850}),
                json!({"_timestamp": "2026-11-16T00:00:00Z", "step": "done", "count": 812}),
            ],
        ),
        "top-pages" => (
            "Top pages",
            "How many times each page of the service was viewed each month: what people look for.",
            PeriodKind::Month,
            vec![
                timestamp("month (the 1st)"),
                field(
                    "page",
                    FieldKind::Text,
                    "The page's path on the service, starting with a slash.",
                    &[],
                ),
                field("title", FieldKind::Text, "The page's title.", &[]),
                field(
                    "views",
                    FieldKind::Count,
                    "How many times the page was viewed that month.",
                    &[],
                ),
            ],
            &[TIMESTAMP, "page"],
            Vec::new(),
            vec![
                json!({"_timestamp": "2026-11-01T00:00:00Z", "page": "/eligibility", "title": "Check you can use this service", "views": 48210}),
                json!({"_timestamp": "2026-11-01T00:00:00Z", "page": "/fees", "title": "What it costs", "views": 21034}),
            ],
        ),
        "realtime" => (
            "People using the service now",
            "How many people were using the service at each moment, sent every minute or two: what a live module shows.",
            PeriodKind::Hour,
            vec![
                field(
                    TIMESTAMP,
                    FieldKind::Timestamp,
                    "When the count was taken, in UTC.",
                    &[],
                ),
                field(
                    "unique_visitors",
                    FieldKind::Count,
                    "How many people were using the service at that moment.",
                    &[],
                ),
            ],
            &[TIMESTAMP],
            Vec::new(),
            vec![
                json!({"_timestamp": "2026-11-16T10:42:00Z", "unique_visitors": 1234}),
                json!({"_timestamp": "2026-11-16T10:44:00Z", "unique_visitors": 1251}),
            ],
        ),
        _ => return None,
    };
    let schema = schema_of(&fields);
    Some(DataType {
        name: name.to_string(),
        title: title.into(),
        summary: summary.into(),
        period,
        fields,
        auto_ids: auto_ids.iter().map(|s| s.to_string()).collect(),
        kpis,
        examples,
        schema,
    })
}

/// Every data type of the catalogue.
pub fn all() -> Vec<DataType> {
    NAMES.iter().filter_map(|n| find(n)).collect()
}

/// The JSON Schema of records with these fields: each required, of its kind,
/// and no fields beyond them (but Backdrop's own `_id`, `_start_at`, `_end_at`).
fn schema_of(fields: &[Field]) -> Value {
    let mut properties = Map::new();
    for f in fields {
        let property = match f.kind {
            // The write API checks date-times itself, with Backdrop's message.
            FieldKind::Timestamp => json!({"type": "string"}),
            FieldKind::Count => json!({"type": "integer", "minimum": 0}),
            FieldKind::Amount => json!({"type": "number", "minimum": 0}),
            FieldKind::Text if f.allowed.is_empty() => json!({"type": "string", "minLength": 1}),
            FieldKind::Text => json!({"enum": f.allowed}),
        };
        properties.insert(f.name.clone(), property);
    }
    for internal in ["_id", "_start_at", "_end_at"] {
        properties.insert(internal.into(), json!({"type": "string"}));
    }
    json!({
        "type": "object",
        "required": fields.iter().filter(|f| f.required).map(|f| f.name.as_str()).collect::<Vec<_>>(),
        "properties": properties,
        "additionalProperties": false,
    })
}

/// A CSV template: the fields as the header row, then the examples.
pub fn csv_template(data_type: &DataType) -> String {
    let mut out = String::new();
    let names: Vec<&str> = data_type.fields.iter().map(|f| f.name.as_str()).collect();
    out.push_str(&names.join(","));
    out.push('\n');
    for example in &data_type.examples {
        let cells: Vec<String> = names
            .iter()
            .map(|n| match example.get(*n) {
                Some(Value::String(s)) => s.clone(),
                Some(Value::Null) | None => String::new(),
                Some(v) => v.to_string(),
            })
            .collect();
        out.push_str(&cells.join(","));
        out.push('\n');
    }
    out
}

/// What the builder offers: a KPI (or journey steps), the data type it reads,
/// and words for the person choosing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Choice {
    /// The key sent to `POST /api/v1/services/{slug}/dashboard`.
    pub key: &'static str,
    pub title: &'static str,
    pub data_type: &'static str,
    pub hint: &'static str,
}

/// The builder's choices, in the order it shows them.
pub const CHOICES: [Choice; 6] = [
    Choice {
        key: "transactions",
        title: "Transactions",
        data_type: "transactions-by-channel",
        hint: "How many transactions, by channel, each week.",
    },
    Choice {
        key: "digital_take_up",
        title: "Digital take-up",
        data_type: "transactions-by-channel",
        hint: "The share of transactions made online (from the same data as transactions).",
    },
    Choice {
        key: "cost_per_transaction",
        title: "Cost per transaction",
        data_type: "cost-per-transaction",
        hint: "What a transaction costs, each quarter.",
    },
    Choice {
        key: "user_satisfaction",
        title: "User satisfaction",
        data_type: "user-satisfaction",
        hint: "The feedback page's ratings, each month.",
    },
    Choice {
        key: "completion_rate",
        title: "Completion rate",
        data_type: "completion-rate",
        hint: "How many who start the digital service finish it.",
    },
    Choice {
        key: "journey",
        title: "Journey steps",
        data_type: "journey",
        hint: "How many reach each step: where people drop out.",
    },
];

/// The builder's choice with this key.
pub fn choice(key: &str) -> Option<Choice> {
    CHOICES.iter().copied().find(|c| c.key == key)
}

/// The module types the builder's "Add a module" form offers, with words.
pub const MODULE_TYPES: [(ModuleType, &str); 10] = [
    (ModuleType::Kpi, "Headline figure (KPI)"),
    (ModuleType::SingleTimeseries, "Line chart"),
    (ModuleType::GroupedTimeseries, "Line chart by group"),
    (ModuleType::BarChartWithNumber, "Bar chart with a number"),
    (ModuleType::CompletionRate, "Completion rate"),
    (ModuleType::UserSatisfactionGraph, "User satisfaction"),
    (ModuleType::Journey, "Journey steps"),
    (ModuleType::Table, "Table of records"),
    (ModuleType::Realtime, "Live figure (realtime)"),
    (ModuleType::List, "Ranked list (top items)"),
];

/// A module type's words in the builder.
pub fn module_type_words(t: ModuleType) -> &'static str {
    MODULE_TYPES
        .iter()
        .find(|(m, _)| *m == t)
        .map(|(_, w)| *w)
        .unwrap_or("Section")
}

/// A module type by its serde name (`single_timeseries`).
pub fn module_type_named(name: &str) -> Option<ModuleType> {
    serde_json::from_value(Value::String(name.to_string())).ok()
}

/// A module type's serde name.
pub fn module_type_name(t: ModuleType) -> String {
    match serde_json::to_value(t) {
        Ok(Value::String(s)) => s,
        _ => String::new(),
    }
}

/// The module a builder's choice adds for a service, with its data set
/// `{service}/{data_type}`, query and options set so it draws at once.
pub fn modules_for(service: &str, key: &str) -> Vec<Module> {
    let Some(c) = choice(key) else {
        return Vec::new();
    };
    let ds = c.data_type;
    let m = |t: ModuleType, slug: &str, title: &str, query: &str, options: Value| Module {
        module_type: t,
        slug: slug.into(),
        title: title.into(),
        description: String::new(),
        info: format!(
            "From the {ds} data set ({}).",
            find(ds).map(|d| d.summary).unwrap_or_default()
        ),
        data_set: Some(format!("{service}/{ds}")),
        query: query.into(),
        options,
        modules: Vec::new(),
        frequency: None,
    };
    match key {
        "transactions" => vec![
            m(
                ModuleType::BarChartWithNumber,
                "transactions-per-month",
                "Transactions per month",
                "period=month&duration=12&collect=count:sum",
                json!({}),
            ),
            m(
                ModuleType::GroupedTimeseries,
                "transactions-by-channel",
                "Transactions by channel",
                "period=week&duration=52&group_by=channel&collect=count:sum",
                json!({"total": true, "series": CHANNELS}),
            ),
        ],
        "digital_take_up" => vec![m(
            ModuleType::CompletionRate,
            "digital-take-up",
            "Digital take-up",
            "period=month&duration=12&group_by=channel&collect=count:sum",
            json!({"start": "*", "end": "digital", "kpi": "digital_take_up"}),
        )],
        "cost_per_transaction" => vec![m(
            ModuleType::Kpi,
            "cost-per-transaction",
            "Cost per transaction",
            "period=quarter&duration=8&collect=cost_per_transaction:mean",
            json!({"format": "pounds"}),
        )],
        "user_satisfaction" => vec![m(
            ModuleType::UserSatisfactionGraph,
            "user-satisfaction",
            "User satisfaction",
            &satisfaction_query(),
            json!({}),
        )],
        "completion_rate" => vec![m(
            ModuleType::CompletionRate,
            "completion-rate",
            "Completion rate",
            "period=week&duration=52&group_by=stage&collect=count:sum",
            json!({"start": "start", "end": "end"}),
        )],
        "journey" => vec![m(
            ModuleType::Journey,
            "journey",
            "Users at each step",
            "period=week&duration=4&group_by=step&collect=count:sum",
            json!({}),
        )],
        _ => Vec::new(),
    }
}

/// A user satisfaction graph's query: each rating's sum and the total, by
/// month for a year.
fn satisfaction_query() -> String {
    let mut pairs = vec![
        ("period", "month".to_string()),
        ("duration", "12".to_string()),
    ];
    pairs.extend((1..=5).map(|i| ("collect", format!("rating_{i}:sum"))));
    pairs.push(("collect", "total:sum".to_string()));
    query_string::encode(&pairs)
}

/// A new module of type `t` reading the data set `group/data_type`, with the
/// query a module of that type needs for that kind of data, for the builder's
/// "Add a module" form. The value summed is the data type's first number.
pub fn new_module(t: ModuleType, data_set: &str, slug: &str, title: &str) -> Module {
    let data_type = data_set.split_once('/').map(|(_, t)| t).unwrap_or("");
    let spec = find(data_type);
    let group = spec.as_ref().and_then(|d| {
        d.fields
            .iter()
            .find(|f| f.kind == FieldKind::Text)
            .map(|f| f.name.clone())
    });
    let value = spec
        .as_ref()
        .and_then(|d| {
            d.fields
                .iter()
                .find(|f| matches!(f.kind, FieldKind::Count | FieldKind::Amount))
                .map(|f| f.name.clone())
        })
        .unwrap_or_else(|| "count".into());
    let period = spec.as_ref().map(|d| d.period).unwrap_or(PeriodKind::Week);
    let duration = match period {
        PeriodKind::Quarter => 8,
        PeriodKind::Month => 12,
        _ => 52,
    };
    let agg = if value == "cost_per_transaction" {
        "mean"
    } else {
        "sum"
    };
    let collect = |agg: &str| ("collect", format!("{value}:{agg}"));
    // The period and how many of them, then `rest`.
    let timed = |rest: Vec<(&'static str, String)>| {
        let mut pairs = vec![
            ("period", period.as_str().to_string()),
            ("duration", duration.to_string()),
        ];
        pairs.extend(rest);
        query_string::encode(&pairs)
    };
    let (query, options) = match t {
        ModuleType::Kpi | ModuleType::SingleTimeseries | ModuleType::BarChartWithNumber => {
            let format = if value == "cost_per_transaction" {
                json!({"format": "pounds"})
            } else {
                json!({})
            };
            (timed(vec![collect(agg)]), format)
        }
        ModuleType::GroupedTimeseries => (
            timed(
                group
                    .iter()
                    .map(|g| ("group_by", g.clone()))
                    .chain([collect(agg)])
                    .collect(),
            ),
            json!({}),
        ),
        ModuleType::CompletionRate => (
            timed(vec![
                ("group_by", group.as_deref().unwrap_or("stage").to_string()),
                collect("sum"),
            ]),
            if data_type == "transactions-by-channel" {
                json!({"start": "*", "end": "digital", "kpi": "digital_take_up"})
            } else {
                json!({"start": "start", "end": "end"})
            },
        ),
        ModuleType::UserSatisfactionGraph => (satisfaction_query(), json!({})),
        ModuleType::Journey => (
            query_string::encode(&[
                ("group_by", group.as_deref().unwrap_or("step").to_string()),
                collect("sum"),
            ]),
            json!({}),
        ),
        ModuleType::Table => ("sort_by=_timestamp:descending&limit=12".into(), json!({})),
        // The newest counts of the last hours (the request adds the window).
        ModuleType::Realtime => (
            String::new(),
            json!({"value": value, "hours": crate::modules::REALTIME_HOURS}),
        ),
        // The items with the most, summed over the months shown.
        ModuleType::List => {
            let item = group.as_deref().unwrap_or("name").to_string();
            let mut pairs = vec![("group_by", item.clone())];
            // A page's title beside its path, when the data has both.
            let titled = spec
                .as_ref()
                .is_some_and(|d| d.fields.iter().any(|f| f.name == "title"));
            if titled && item != "title" {
                pairs.push(("group_by", "title".to_string()));
            }
            pairs.push(collect("sum"));
            pairs.push(("sort_by", format!("{value}:sum:descending")));
            pairs.push(("limit", "10".to_string()));
            (query_string::encode(&pairs), json!({}))
        }
        ModuleType::Section => (String::new(), json!({})),
    };
    Module {
        module_type: t,
        slug: slug.into(),
        title: title.into(),
        description: String::new(),
        info: String::new(),
        data_set: (t != ModuleType::Section).then(|| data_set.to_string()),
        query,
        options,
        modules: Vec::new(),
        frequency: None,
    }
}

/// A slug made from a title: lower-case letters and digits, words joined by
/// dashes (`"Apply for a licence!"` gives `apply-for-a-licence`).
pub fn slug_of(title: &str) -> String {
    let mut out = String::new();
    for c in title.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.is_empty() && !out.ends_with('-') {
            out.push('-');
        }
    }
    out.trim_end_matches('-').chars().take(60).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn figures_are_late_a_grace_after_the_next_period_ends() {
        use chrono::{Duration, TimeZone, Utc};
        let late_from =
            |kind, newest: chrono::DateTime<Utc>| newest + Duration::seconds(expected_age(kind));
        let october = Utc.with_ymd_and_hms(2026, 10, 1, 0, 0, 0).unwrap();
        // November ends on 1 December; its figures have two weeks.
        assert_eq!(
            late_from(PeriodKind::Month, october),
            Utc.with_ymd_and_hms(2026, 12, 16, 0, 0, 0).unwrap()
        );
        // The week after 16 November ends on 30 November; 3 days more.
        let week = Utc.with_ymd_and_hms(2026, 11, 16, 0, 0, 0).unwrap();
        assert_eq!(
            late_from(PeriodKind::Week, week),
            Utc.with_ymd_and_hms(2026, 12, 3, 0, 0, 0).unwrap()
        );
        // Q3's figures: Q4 ends on 1 January, then a month.
        let q3 = Utc.with_ymd_and_hms(2026, 7, 1, 0, 0, 0).unwrap();
        assert_eq!(
            late_from(PeriodKind::Quarter, q3),
            Utc.with_ymd_and_hms(2027, 2, 1, 0, 0, 0).unwrap()
        );
    }

    #[test]
    fn frequencies_are_the_entries_periods() {
        for name in NAMES {
            assert_eq!(frequency(name), find(name).map(|d| d.period), "{name}");
        }
        assert_eq!(frequency("my-own-type"), None);
    }

    #[test]
    fn every_type_has_fields_examples_and_ids_that_agree() {
        for t in all() {
            assert!(!t.examples.is_empty(), "{}", t.name);
            for id in &t.auto_ids {
                assert!(t.fields.iter().any(|f| &f.name == id), "{} {id}", t.name);
            }
            for example in &t.examples {
                let obj = example.as_object().unwrap();
                for f in &t.fields {
                    assert!(obj.contains_key(&f.name), "{} lacks {}", t.name, f.name);
                }
                assert_eq!(obj.len(), t.fields.len(), "{}", t.name);
            }
        }
        assert!(find("nonsense").is_none());
    }

    #[test]
    fn schema_requires_fields_and_refuses_strays() {
        let t = find("completion-rate").unwrap();
        assert_eq!(
            t.schema["required"],
            json!(["_timestamp", "stage", "count"])
        );
        assert_eq!(
            t.schema["properties"]["stage"],
            json!({"enum": ["start", "end"]})
        );
        assert_eq!(t.schema["additionalProperties"], json!(false));
        assert_eq!(
            t.schema["properties"]["count"],
            json!({"type": "integer", "minimum": 0})
        );
    }

    #[test]
    fn a_template_is_the_header_and_the_examples() {
        let t = find("completion-rate").unwrap();
        assert_eq!(
            csv_template(&t),
            "_timestamp,stage,count\n\
             2026-11-16T00:00:00Z,start,1040\n\
             2026-11-16T00:00:00Z,end,812\n"
        );
    }

    #[test]
    fn choices_make_modules_on_the_service_s_data_sets() {
        for c in CHOICES {
            let modules = modules_for("my-service", c.key);
            assert!(!modules.is_empty(), "{}", c.key);
            for m in modules {
                assert_eq!(
                    m.data_set.as_deref(),
                    Some(format!("my-service/{}", c.data_type).as_str())
                );
                assert!(find(c.data_type).is_some());
            }
        }
        assert!(modules_for("s", "nonsense").is_empty());
        let take_up = &modules_for("s", "digital_take_up")[0];
        assert_eq!(take_up.options["kpi"], "digital_take_up");
    }

    #[test]
    fn new_modules_read_the_type_s_fields() {
        let m = new_module(ModuleType::GroupedTimeseries, "s/journey", "steps", "Steps");
        assert_eq!(
            m.query,
            "period=week&duration=52&group_by=step&collect=count:sum"
        );
        let k = new_module(ModuleType::Kpi, "s/cost-per-transaction", "c", "Cost");
        assert_eq!(
            k.query,
            "period=quarter&duration=8&collect=cost_per_transaction:mean"
        );
        assert_eq!(k.options["format"], "pounds");
        let t = new_module(
            ModuleType::CompletionRate,
            "s/transactions-by-channel",
            "d",
            "D",
        );
        assert_eq!(t.options["end"], "digital");
        assert_eq!(
            new_module(ModuleType::CompletionRate, "s/completion-rate", "r", "R").query,
            "period=week&duration=52&group_by=stage&collect=count:sum"
        );
        assert_eq!(
            new_module(
                ModuleType::GroupedTimeseries,
                "s/cost-per-transaction",
                "c",
                "C"
            )
            .query,
            "period=quarter&duration=8&collect=cost_per_transaction:mean"
        );
        assert_eq!(
            new_module(ModuleType::Journey, "s/journey", "j", "J").query,
            "group_by=step&collect=count:sum"
        );
        let satisfaction = "period=month&duration=12&collect=rating_1:sum&collect=rating_2:sum\
             &collect=rating_3:sum&collect=rating_4:sum&collect=rating_5:sum&collect=total:sum";
        assert_eq!(
            new_module(
                ModuleType::UserSatisfactionGraph,
                "s/user-satisfaction",
                "u",
                "U"
            )
            .query,
            satisfaction
        );
        assert_eq!(modules_for("s", "user_satisfaction")[0].query, satisfaction);
    }

    #[test]
    fn slugs_come_from_titles() {
        assert_eq!(slug_of("Apply for a licence!"), "apply-for-a-licence");
        assert_eq!(slug_of("  Tax: 2026 "), "tax-2026");
        assert_eq!(slug_of("!!"), "");
    }
}
