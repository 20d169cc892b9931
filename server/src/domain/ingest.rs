//! Incoming records: the validation rules of the Backdrop write API, as pure
//! functions from a parsed JSON body to records ready to store, or to the list of
//! problems (the first one of each bad record, with its position and field).

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::{Map, Value};

use crate::store::records::{identifying_values, identity, made_from, Record, StoredRecord};

/// The internal fields a record may carry; every other key starting with `_` is
/// refused.
pub const INTERNAL_FIELDS: [&str; 4] = ["_timestamp", "_start_at", "_end_at", "_id"];

/// One problem with one record.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// The record's position in the batch, from 0.
    pub index: usize,
    /// The field at fault, when there is one.
    pub field: Option<String>,
    pub message: String,
}

/// Whether `key` is a valid field name (one rule, in [`app::kpi`]).
pub use app::kpi::is_field_name as is_valid_key;

/// Parses a Backdrop date-time (kept with the ids it is read into).
pub use crate::store::records::parse_datetime;

/// How Pulse writes a date-time (kept with the records it is stored in).
pub use crate::store::records::format_datetime;

/// What a data set asks of its records.
#[derive(Default)]
pub struct Rules<'a> {
    pub auto_ids: &'a [String],
    /// The data set's JSON Schema, compiled; records are checked against it last.
    pub schema: Option<&'a jsonschema::Validator>,
}

/// Records checked for a data set, ready to store.
pub struct Checked {
    pub records: Vec<Record>,
    /// False when every id was freshly made, so none can match a stored record.
    pub ids_may_exist: bool,
}

/// Why a body's records cannot be stored.
pub enum Refused {
    /// Bad records: the first problem of each, of the first records with
    /// problems (as many as asked for), and how many records have problems.
    Invalid {
        problems: Vec<Problem>,
        count: usize,
    },
    /// The data set's own schema does not compile (it was checked when set).
    BadSchema(String),
    /// The body is not JSON: the parser's words.
    Json(String),
}

/// Checks a body's records against a data set's rules (auto_ids, schema) and
/// gives ids to those without: what the write API and `pulse import` share.
/// Every problem is kept.
pub fn check_for(
    data_set: &crate::store::data_sets::DataSet,
    body: Value,
) -> Result<Checked, Refused> {
    checked_by(data_set, usize::MAX, |tally| {
        tally.take_body(body);
        Ok(())
    })
}

/// [`check_for`] of a body as it was sent: a list's records are read and
/// checked one at a time, so they are never held twice (parsed, and as
/// records), and of a bad body only the first `most` problems are kept (the
/// rest are counted). A 10 MB body of 1.16 million small wrong records held
/// 898 MB parsed; read this way, 87 MB.
pub fn check_json_for(
    data_set: &crate::store::data_sets::DataSet,
    json: &[u8],
    most: usize,
) -> Result<Checked, Refused> {
    checked_by(data_set, most, |tally| {
        tally.read(json).map_err(|e| Refused::Json(e.to_string()))
    })
}

/// The records `fill` gives a [`Tally`] under the data set's rules.
fn checked_by(
    data_set: &crate::store::data_sets::DataSet,
    most: usize,
    fill: impl FnOnce(&mut Tally<'_, '_>) -> Result<(), Refused>,
) -> Result<Checked, Refused> {
    let schema = data_set
        .schema
        .as_ref()
        .map(compile_schema)
        .transpose()
        .map_err(Refused::BadSchema)?;
    let rules = Rules {
        auto_ids: &data_set.auto_ids,
        schema: schema.as_ref(),
    };
    let mut fresh = 0;
    let mut new_id = || {
        fresh += 1;
        crate::store::records::fresh_id()
    };
    let mut tally = Tally::new(&rules, &mut new_id, most);
    fill(&mut tally)?;
    let records = tally
        .end()
        .map_err(|(problems, count)| Refused::Invalid { problems, count })?;
    Ok(Checked {
        ids_may_exist: records.len() > fresh,
        records,
    })
}

/// Records checked one at a time, in the order they come: every good one
/// while none is bad; once one is, nothing will be stored, so only the first
/// `most` problems are kept, and how many there are.
struct Tally<'r, 'a> {
    rules: &'r Rules<'a>,
    new_id: &'r mut dyn FnMut() -> String,
    records: Vec<Record>,
    problems: Vec<Problem>,
    count: usize,
    index: usize,
    most: usize,
}

impl<'r, 'a> Tally<'r, 'a> {
    fn new(rules: &'r Rules<'a>, new_id: &'r mut dyn FnMut() -> String, most: usize) -> Self {
        Tally {
            rules,
            new_id,
            records: Vec::new(),
            problems: Vec::new(),
            count: 0,
            index: 0,
            most,
        }
    }

    fn take(&mut self, item: Value) {
        let index = self.index;
        self.index += 1;
        match record_from_value(item, self.rules, self.new_id) {
            Ok(record) if self.count == 0 => self.records.push(record),
            Ok(_) => {}
            Err((field, message)) => {
                // Nothing of the body will be stored now.
                self.records = Vec::new();
                self.count += 1;
                if self.problems.len() < self.most {
                    self.problems.push(Problem {
                        index,
                        field,
                        message,
                    });
                }
            }
        }
    }

    /// A parsed body: one object is a list of one.
    fn take_body(&mut self, body: Value) {
        match body {
            Value::Array(items) => items.into_iter().for_each(|item| self.take(item)),
            other => self.take(other),
        }
    }

    /// A body as sent: a list is read a record at a time.
    fn read(&mut self, json: &[u8]) -> Result<(), serde_json::Error> {
        let first = json.iter().find(|b| !b.is_ascii_whitespace());
        if first != Some(&b'[') {
            self.take_body(serde_json::from_slice(json)?);
            return Ok(());
        }
        struct Each<'t, 'r, 'a>(&'t mut Tally<'r, 'a>);
        impl<'de> serde::de::Visitor<'de> for Each<'_, '_, '_> {
            type Value = ();
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a list of records")
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
                while let Some(item) = seq.next_element::<Value>()? {
                    self.0.take(item);
                }
                Ok(())
            }
        }
        let mut parser = serde_json::Deserializer::from_slice(json);
        serde::Deserializer::deserialize_seq(&mut parser, Each(self))?;
        parser.end()
    }

    fn end(self) -> Result<Vec<Record>, (Vec<Problem>, usize)> {
        if self.count == 0 {
            Ok(self.records)
        } else {
            Err((self.problems, self.count))
        }
    }
}

/// Compiles a data set's JSON Schema, or says why it is not one.
pub fn compile_schema(schema: &Value) -> Result<jsonschema::Validator, String> {
    jsonschema::validator_for(schema).map_err(|e| format!("schema is not a valid JSON Schema: {e}"))
}

/// Turns a request body into records: one object is a list of one; every record
/// is checked and the first problem of each is reported. Either every record is
/// good, or nothing is returned but the problems.
pub fn records_from_body(
    body: Value,
    rules: &Rules<'_>,
    new_id: &mut dyn FnMut() -> String,
) -> Result<Vec<Record>, Vec<Problem>> {
    let mut tally = Tally::new(rules, new_id, usize::MAX);
    tally.take_body(body);
    tally.end().map_err(|(problems, _)| problems)
}

type RecordError = (Option<String>, String);

fn record_from_value(
    item: Value,
    rules: &Rules<'_>,
    new_id: &mut dyn FnMut() -> String,
) -> Result<Record, RecordError> {
    let Value::Object(map) = item else {
        return Err((None, "record is not a JSON object".to_string()));
    };
    check_fields(&map)?;
    let id = match map.get("_id") {
        None => None,
        Some(Value::String(id)) if !id.is_empty() && !id.chars().any(char::is_whitespace) => {
            Some(id.clone())
        }
        Some(other) => {
            let shown = match other {
                Value::String(s) => s.clone(),
                v => v.to_string(),
            };
            return Err((
                Some("_id".into()),
                format!("_id \"{shown}\" is not a valid id"),
            ));
        }
    };
    for field in ["_timestamp", "_start_at", "_end_at"] {
        if let Some(value) = map.get(field) {
            let Some(t) = value.as_str().and_then(parse_datetime) else {
                return Err((
                    Some(field.into()),
                    format!("{field} is not a valid datetime object"),
                ));
            };
            // Dates far outside the bounds a query may ask for would only
            // stretch the charts that span a data set's records.
            if !(app::kpi::MIN_YEAR..=app::kpi::MAX_YEAR).contains(&chrono::Datelike::year(&t)) {
                return Err((
                    Some(field.into()),
                    format!(
                        "{field} must be in the years {} to {}",
                        app::kpi::MIN_YEAR,
                        app::kpi::MAX_YEAR
                    ),
                ));
            }
        }
    }
    let timestamp = match map.get("_timestamp").and_then(Value::as_str) {
        Some(s) => parse_datetime(s).expect("checked above"),
        None => {
            return Err((
                Some("_timestamp".into()),
                "_timestamp is a required property".to_string(),
            ))
        }
    };
    let missing: Vec<&str> = rules
        .auto_ids
        .iter()
        .filter(|f| !map.contains_key(f.as_str()))
        .map(String::as_str)
        .collect();
    if !missing.is_empty() {
        return Err((
            Some(missing[0].to_string()),
            format!(
                "The following required id fields are missing: {}",
                missing.join(", ")
            ),
        ));
    }
    if let Some(validator) = rules.schema {
        let record = Value::Object(map);
        let failure = validator.iter_errors(&record).next().map(|e| {
            let path = e.instance_path().to_string();
            let field = path
                .trim_start_matches('/')
                .split('/')
                .next()
                .unwrap_or("")
                .to_string();
            (field, e.to_string())
        });
        if let Some((field, message)) = failure {
            return Err(((!field.is_empty()).then_some(field), message));
        }
        let Value::Object(back) = record else {
            unreachable!("built as an object above")
        };
        return finish(back, id, timestamp, rules, new_id);
    }
    finish(map, id, timestamp, rules, new_id)
}

fn finish(
    map: Map<String, Value>,
    id: Option<String>,
    timestamp: DateTime<Utc>,
    rules: &Rules<'_>,
    new_id: &mut dyn FnMut() -> String,
) -> Result<Record, RecordError> {
    let mut fields = Map::with_capacity(map.len());
    for (key, value) in map {
        match key.as_str() {
            "_id" | "_timestamp" => {}
            // _start_at and _end_at are kept, normalised to UTC.
            "_start_at" | "_end_at" => {
                let t = value
                    .as_str()
                    .and_then(parse_datetime)
                    .expect("checked above");
                fields.insert(key, Value::String(format_datetime(t)));
            }
            _ => {
                fields.insert(key, value);
            }
        }
    }
    // The id from the auto_ids fields, each moment spelled in UTC with `Z`:
    // one identity per record, however its date-times were written.
    let id =
        match id {
            Some(id) => id,
            None if !rules.auto_ids.is_empty() => {
                match identity(rules.auto_ids, timestamp, &fields) {
                Some(id) => id,
                None => {
                    return Err((
                        None,
                        format!(
                            "The identifying fields ({}) must all be present, and the date-time ones valid date-times",
                            rules.auto_ids.join(", ")
                        ),
                    ))
                }
            }
            }
            None => new_id(),
        };
    Ok(Record {
        id,
        timestamp,
        fields,
    })
}

/// Records whose identifying values differ from another's while making the
/// same id: ids join the values with `.` (as Backdrop's did, for
/// compatibility), so `a: "x.y", b: "z"` and `a: "x", b: "y.z"` would be one
/// record. Each such record of `batch` is refused, naming both: against an
/// earlier record of the batch, or against the stored record with its id
/// (`stored`, by id). Records whose id was given (`_id`) are not compared.
pub fn clashes(
    auto_ids: &[String],
    batch: &[Record],
    stored: &HashMap<String, StoredRecord>,
) -> Vec<Problem> {
    if auto_ids.is_empty() {
        return Vec::new();
    }
    let shown = |values: &[String]| -> String {
        auto_ids
            .iter()
            .zip(values)
            .map(|(f, v)| format!("{f} {}", Value::String(v.clone())))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut seen: HashMap<&str, (usize, Vec<String>)> = HashMap::new();
    let mut problems = Vec::new();
    for (index, record) in batch.iter().enumerate() {
        let Some(values) = identifying_values(auto_ids, record.timestamp, &record.fields) else {
            continue;
        };
        if identity(auto_ids, record.timestamp, &record.fields).as_deref() != Some(&record.id) {
            continue;
        }
        let clash = |other: &[String], which: String| Problem {
            index,
            field: None,
            message: format!(
                "This record ({}) and {which} ({}) make the same _id \"{}\": ids join the \
                 identifying values with \".\", so the two cannot be told apart. Change a \
                 value so that they differ, or send the record with an _id of its own.",
                shown(&values),
                shown(other),
                record.id
            ),
        };
        if let Some((earlier, other)) = seen.get(record.id.as_str()) {
            if *other != values {
                problems.push(clash(other, format!("record {earlier} of this batch")));
                continue;
            }
        } else if let Some(old) = stored.get(&record.id) {
            if made_from(&old.id, auto_ids, old.timestamp, &old.fields) {
                if let Some(other) = identifying_values(auto_ids, old.timestamp, &old.fields) {
                    if other != values {
                        problems.push(clash(&other, "the stored record".to_string()));
                        continue;
                    }
                }
            }
        }
        seen.entry(record.id.as_str()).or_insert((index, values));
    }
    problems
}

fn check_fields(map: &Map<String, Value>) -> Result<(), RecordError> {
    for (key, value) in map {
        if !is_valid_key(key) {
            return Err((Some(key.clone()), format!("{key} is not a valid key")));
        }
        if key.starts_with('_') && !INTERNAL_FIELDS.contains(&key.as_str()) {
            return Err((
                Some(key.clone()),
                format!("{key} is not a recognised internal field"),
            ));
        }
        if matches!(value, Value::Object(_) | Value::Array(_)) {
            return Err((Some(key.clone()), format!("{key} has an invalid value")));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn ids() -> impl FnMut() -> String {
        let mut n = 0;
        move || {
            n += 1;
            format!("id{n}")
        }
    }

    fn check(body: Value, auto_ids: &[&str]) -> Result<Vec<Record>, Vec<Problem>> {
        let auto_ids: Vec<String> = auto_ids.iter().map(|s| s.to_string()).collect();
        records_from_body(
            body,
            &Rules {
                auto_ids: &auto_ids,
                schema: None,
            },
            &mut ids(),
        )
    }

    fn first_message(body: Value) -> String {
        check(body, &[]).unwrap_err()[0].message.clone()
    }

    #[test]
    fn keys_follow_the_backdrop_rule() {
        assert!(is_valid_key("count"));
        assert!(is_valid_key("camelCase"));
        assert!(is_valid_key("_timestamp"));
        assert!(is_valid_key("a1"));
        assert!(!is_valid_key("a"));
        assert!(!is_valid_key("1a"));
        assert!(!is_valid_key("has-dash"));
        assert!(!is_valid_key("has space"));
        assert!(!is_valid_key("naïve"));
    }

    #[test]
    fn each_rule_has_its_message() {
        let t = "2013-03-11T00:00:00Z";
        assert_eq!(
            first_message(json!({"_timestamp": t, "bad-key": 1})),
            "bad-key is not a valid key"
        );
        assert_eq!(
            first_message(json!({"_timestamp": t, "_secret": 1})),
            "_secret is not a recognised internal field"
        );
        assert_eq!(
            first_message(json!({"_timestamp": t, "nested": {"a": 1}})),
            "nested has an invalid value"
        );
        assert_eq!(
            first_message(json!({"_timestamp": t, "list": [1]})),
            "list has an invalid value"
        );
        assert_eq!(
            first_message(json!({"_timestamp": t, "_id": "a b"})),
            "_id \"a b\" is not a valid id"
        );
        assert_eq!(
            first_message(json!({"_timestamp": t, "_id": ""})),
            "_id \"\" is not a valid id"
        );
        assert_eq!(
            first_message(json!({"_timestamp": "2013-03-11"})),
            "_timestamp is not a valid datetime object"
        );
        assert_eq!(
            first_message(json!({"_timestamp": "2013-03-11 00:00:00"})),
            "_timestamp is not a valid datetime object"
        );
        assert_eq!(
            first_message(json!({"value": 1})),
            "_timestamp is a required property"
        );
        assert_eq!(
            first_message(json!({"_timestamp": "0001-01-01T00:00:00Z"})),
            "_timestamp must be in the years 1900 to 2200"
        );
        assert_eq!(
            first_message(json!({"_timestamp": t, "_end_at": "9999-12-31T00:00:00Z"})),
            "_end_at must be in the years 1900 to 2200"
        );
        let problems =
            check(json!([{"_timestamp": t}]), &["_timestamp", "key", "other"]).unwrap_err();
        assert_eq!(
            problems[0].message,
            "The following required id fields are missing: key, other"
        );
        assert_eq!(first_message(json!([1])), "record is not a JSON object");
    }

    #[test]
    fn only_the_first_problem_of_each_record_is_reported_with_its_place() {
        let problems = check(
            json!([
                {"_timestamp": "2013-03-11T00:00:00Z", "ok": 1},
                {"bad-key": 1, "_timestamp": "nope"},
                {"_timestamp": "2013-03-11T00:00:00Z"},
                {"xy": {"a": 1}, "_timestamp": "2013-03-11T00:00:00Z"}
            ]),
            &[],
        )
        .unwrap_err();
        assert_eq!(
            problems,
            vec![
                Problem {
                    index: 1,
                    field: Some("bad-key".into()),
                    message: "bad-key is not a valid key".into()
                },
                Problem {
                    index: 3,
                    field: Some("xy".into()),
                    message: "xy has an invalid value".into()
                },
            ]
        );
    }

    #[test]
    fn date_times_in_every_accepted_form_become_utc() {
        let expect = |s: &str, want: &str| {
            assert_eq!(format_datetime(parse_datetime(s).unwrap()), want, "{s}");
        };
        expect("2013-03-11T00:00:00Z", "2013-03-11T00:00:00+00:00");
        expect("2013-03-11T00:00:00+00:00", "2013-03-11T00:00:00+00:00");
        expect("2013-03-11T00:00:00+0000", "2013-03-11T00:00:00+00:00");
        expect("2013-03-11T01:00:00+01:00", "2013-03-11T00:00:00+00:00");
        expect("2013-03-11T00:00:00", "2013-03-11T00:00:00+00:00");
        expect("2013-03-11T00:00:00.5Z", "2013-03-11T00:00:00.500+00:00");
        assert!(parse_datetime("2013-03-11").is_none());
        assert!(parse_datetime("2013-03-11 00:00:00").is_none());
        assert!(parse_datetime("not a date at all!!").is_none());
    }

    #[test]
    fn the_schema_is_checked_last_and_names_the_field() {
        let schema = compile_schema(&json!({
            "type": "object",
            "properties": {"count": {"type": "integer", "minimum": 0}},
            "required": ["count"]
        }))
        .unwrap();
        let rules = Rules {
            auto_ids: &[],
            schema: Some(&schema),
        };
        let ok = records_from_body(
            json!({"_timestamp": "2013-03-11T00:00:00Z", "count": 3}),
            &rules,
            &mut ids(),
        );
        assert!(ok.is_ok());
        let bad = records_from_body(
            json!({"_timestamp": "2013-03-11T00:00:00Z", "count": -1}),
            &rules,
            &mut ids(),
        )
        .unwrap_err();
        assert_eq!(bad[0].field.as_deref(), Some("count"));
        assert!(bad[0].message.contains("minimum"), "{}", bad[0].message);
        let missing = records_from_body(
            json!({"_timestamp": "2013-03-11T00:00:00Z"}),
            &rules,
            &mut ids(),
        )
        .unwrap_err();
        assert!(
            missing[0].message.contains("count"),
            "{}",
            missing[0].message
        );
        // The Backdrop rules still come first.
        let first = records_from_body(json!({"count": -1}), &rules, &mut ids()).unwrap_err();
        assert_eq!(first[0].message, "_timestamp is a required property");
        assert!(compile_schema(&json!({"type": "no-such-type"})).is_err());
    }

    #[test]
    fn values_that_join_to_one_id_clash_within_a_batch_and_with_the_stored() {
        let auto_ids = ["area".to_string(), "office".to_string()];
        let t = "2013-03-11T00:00:00Z";
        let batch = check(
            json!([
                {"_timestamp": t, "area": "x.y", "office": "z"},
                {"_timestamp": t, "area": "x.y", "office": "z", "count": 2},
                {"_timestamp": t, "area": "x", "office": "y.z"},
                {"_timestamp": t, "area": "other", "office": "z"},
            ]),
            &["area", "office"],
        )
        .unwrap();
        let problems = clashes(&auto_ids, &batch, &HashMap::new());
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert_eq!(problems[0].index, 2);
        assert!(problems[0]
            .message
            .contains("record 0 of this batch (area \"x.y\", office \"z\")"));
        // Against the stored record, which an earlier Pulse stored.
        let stored_record = StoredRecord {
            id: batch[0].id.clone(),
            timestamp: batch[0].timestamp,
            updated_at: Utc::now(),
            fields: batch[0].fields.clone(),
        };
        let own = StoredRecord {
            id: "own-id".into(),
            ..stored_record.clone()
        };
        let stored = HashMap::from([(stored_record.id.clone(), stored_record)]);
        let problems = clashes(&auto_ids, &batch[2..], &stored);
        assert_eq!(problems.len(), 1);
        assert!(problems[0]
            .message
            .contains("the stored record (area \"x.y\", office \"z\")"));
        assert!(clashes(&auto_ids, &batch[..2], &stored).is_empty());
        // A record with an _id of its own is not compared.
        let given = check(
            json!([{"_timestamp": t, "area": "x", "office": "y.z", "_id": "own-id"}]),
            &["area", "office"],
        )
        .unwrap();
        let stored = HashMap::from([("own-id".to_string(), own)]);
        assert!(clashes(&auto_ids, &given, &stored).is_empty());
    }

    #[test]
    fn ids_come_from_id_then_auto_ids_then_fresh() {
        let t = "2013-03-11T00:00:00Z";
        let given = check(json!({"_timestamp": t, "_id": "mine"}), &["_timestamp"]).unwrap();
        assert_eq!(given[0].id, "mine");
        let auto = check(
            json!({"_timestamp": t, "key": "k1"}),
            &["_timestamp", "key"],
        )
        .unwrap();
        assert_eq!(auto[0].id, "MjAxMy0wMy0xMVQwMDowMDowMFouazE=");
        let fresh = check(json!([{"_timestamp": t}, {"_timestamp": t}]), &[]).unwrap();
        assert_eq!((fresh[0].id.as_str(), fresh[1].id.as_str()), ("id1", "id2"));
        // Internal fields are not kept among the record's own fields.
        assert!(!given[0].fields.contains_key("_id"));
        assert!(!given[0].fields.contains_key("_timestamp"));
    }
}

/// Arbitrary bodies never make the checker panic: every one is records or
/// problems, one problem at most per record.
#[cfg(test)]
mod properties {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    /// Any JSON value, a few levels deep.
    fn any_json() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(|n| json!(n)),
            any::<f64>().prop_map(|x| json!(x)),
            ".{0,12}".prop_map(Value::String),
        ];
        leaf.prop_recursive(3, 24, 6, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
                prop::collection::btree_map(".{0,8}", inner, 0..6)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    /// Something near a date-time: valid ones in and out of the bounds, and
    /// broken ones.
    fn date_time() -> impl Strategy<Value = String> {
        prop_oneof![
            (0u32..10_000, 0u32..14, 0u32..33, 0u32..25)
                .prop_map(|(y, mo, d, h)| format!("{y:04}-{mo:02}-{d:02}T{h:02}:00:00Z")),
            (1900u32..2201, 1u32..13, 1u32..29)
                .prop_map(|(y, mo, d)| format!("{y:04}-{mo:02}-{d:02}T00:00:00+01:00")),
            "[0-9T:+Z. -]{0,30}",
        ]
    }

    /// A body shaped like records, with keys and values near the rules' edges.
    fn record_like() -> impl Strategy<Value = Value> {
        let key = prop_oneof![
            Just("_timestamp".to_string()),
            Just("_id".to_string()),
            Just("_start_at".to_string()),
            Just("_end_at".to_string()),
            Just("_secret".to_string()),
            "[a-z_][a-z0-9_-]{0,6}",
        ];
        let value = prop_oneof![date_time().prop_map(Value::String), any_json(),];
        prop::collection::vec(
            prop::collection::btree_map(key, value, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
            0..5,
        )
        .prop_map(Value::Array)
    }

    fn data_set(auto_ids: Vec<String>, schema: Option<Value>) -> crate::store::data_sets::DataSet {
        crate::store::data_sets::DataSet {
            id: 1,
            name: "g_t".into(),
            data_group: "g".into(),
            data_type: "t".into(),
            auto_ids,
            schema,
            queryable: true,
            published: true,
            realtime: false,
            raw_queries_allowed: true,
            max_age_expected: None,
            upload_format: None,
            created_at: chrono::Utc::now(),
            version: 0,
        }
    }

    fn checked(body: Value, data_set: &crate::store::data_sets::DataSet) {
        let records = match &body {
            Value::Array(items) => items.len(),
            _ => 1,
        };
        // The same body as sent, read a record at a time, keeping 3 problems.
        let sent = serde_json::to_vec(&body).unwrap();
        let streamed = check_json_for(data_set, &sent, 3);
        match (check_for(data_set, body), streamed) {
            (Ok(checked), Ok(streamed)) => {
                assert_eq!(checked.records.len(), records);
                for r in &checked.records {
                    let year = chrono::Datelike::year(&r.timestamp);
                    assert!((app::kpi::MIN_YEAR..=app::kpi::MAX_YEAR).contains(&year));
                    assert!(r.fields.keys().all(|k| is_valid_key(k)));
                }
                let fields = |c: &Checked| -> Vec<_> {
                    c.records
                        .iter()
                        .map(|r| (r.timestamp, r.fields.clone()))
                        .collect()
                };
                assert_eq!(fields(&checked), fields(&streamed));
                assert_eq!(checked.ids_may_exist, streamed.ids_may_exist);
            }
            (
                Err(Refused::Invalid { problems, count }),
                Err(Refused::Invalid {
                    problems: first,
                    count: counted,
                }),
            ) => {
                assert!(!problems.is_empty() && problems.len() <= records);
                assert_eq!(count, problems.len());
                assert!(problems.windows(2).all(|w| w[0].index < w[1].index));
                assert_eq!(counted, count);
                assert_eq!(first[..], problems[..problems.len().min(3)]);
            }
            (Err(Refused::BadSchema(e)), _) => panic!("the test's schema is valid: {e}"),
            (_, Err(Refused::Json(e))) => panic!("the body was written as JSON: {e}"),
            _ => panic!("a body read whole and as sent were judged apart"),
        }
    }

    #[test]
    fn a_body_as_sent_is_read_as_json_is() {
        let data_set = data_set(Vec::new(), None);
        let refused = |json: &str| match check_json_for(&data_set, json.as_bytes(), 10) {
            Err(Refused::Json(e)) => e,
            _ => panic!("{json} is not JSON"),
        };
        // Broken lists, whatever breaks them, and what follows a list.
        for json in [
            "[",
            "[{}",
            "[{},",
            "[1 2]",
            "[] x",
            "[]]",
            " [ {\"_timestamp\": } ]",
        ] {
            assert!(!refused(json).is_empty());
        }
        // One record alone, with space before it, is a list of one.
        let one = r#" {"_timestamp": "2026-01-05T00:00:00Z", "count": 1}"#;
        assert!(
            matches!(check_json_for(&data_set, one.as_bytes(), 10), Ok(c) if c.records.len() == 1)
        );
        let many = format!("[{}]", vec![r#"{"ab": 1}"#; 2_500].join(","));
        match check_json_for(&data_set, many.as_bytes(), 1_000) {
            Err(Refused::Invalid { problems, count }) => {
                assert_eq!((problems.len(), count), (1_000, 2_500));
                assert_eq!(problems[999].index, 999);
            }
            _ => panic!("2,500 records without a _timestamp are refused"),
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

        #[test]
        fn any_json_body_is_checked_without_panicking(body in any_json()) {
            checked(body, &data_set(Vec::new(), None));
        }

        #[test]
        fn record_like_bodies_are_checked_with_every_rule(
            body in record_like(),
            auto_ids in prop::sample::subsequence(vec!["_timestamp".to_string(), "channel".to_string(), "count".to_string()], 0..3),
        ) {
            checked(body.clone(), &data_set(auto_ids, None));
            let schema = json!({"type": "object", "properties": {"count": {"type": "integer", "minimum": 0}}});
            checked(body, &data_set(Vec::new(), Some(schema)));
        }
    }
}
