//! What the tests of the modules' parts share: a module, a view, a time and
//! a week's row of an answer.

use chrono::{DateTime, Utc};
use serde_json::{json, Value};

use super::ViewParams;
use crate::model::{Module, ModuleType, PeriodKind};

pub(crate) fn module(module_type: ModuleType, query: &str, options: Value) -> Module {
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
        frequency: None,
    }
}

pub(crate) fn view(period: Option<PeriodKind>, from: Option<&str>, to: Option<&str>) -> ViewParams {
    ViewParams {
        period,
        from: from.map(str::to_string),
        to: to.map(str::to_string),
        compare: false,
        range: None,
    }
}

pub(crate) fn t(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

pub(crate) fn week(start: &str, extra: Value) -> Value {
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
