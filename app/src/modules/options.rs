//! How a module's options are read: the unit its values are shown in, the
//! names of its categories, and the KPI a rate chart shows. Pure.

use serde_json::Value;

use crate::model::{Module, ModuleType, Unit};

/// A module's option `key`, when it is a string.
pub(super) fn option_str<'a>(module: &'a Module, key: &str) -> Option<&'a str> {
    module.options.get(key).and_then(Value::as_str)
}

/// A module's option `key`, when it is a list: its strings.
pub(super) fn option_strings(module: &Module, key: &str) -> Vec<String> {
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
        Some(c) => std::iter::once(c.to_ascii_uppercase())
            .chain(chars)
            .collect(),
        None => String::new(),
    }
}

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
