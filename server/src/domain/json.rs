//! JSON read into typed values, refused in words a person understands
//! (never serde's): what the HTTP bodies and the domain's merged settings are
//! read with.

use serde::de::DeserializeOwned;

use crate::error::{Error, Result};

/// A JSON object into `T`, refused in words (see [`describe`]). Every body
/// of `/api/v1` is an object (serde would take a list for a struct).
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T> {
    let Some(first) = bytes.iter().find(|b| !b.is_ascii_whitespace()) else {
        return Err(Error::BadRequest(
            "The body is empty: send a JSON object.".into(),
        ));
    };
    if *first != b'{' {
        if let Ok(value) = serde_json::from_slice::<serde_json::Value>(bytes) {
            let kind = match value {
                serde_json::Value::Array(_) => "a list",
                serde_json::Value::String(_) => "a string",
                serde_json::Value::Number(_) => "a number",
                serde_json::Value::Bool(_) => "true or false",
                _ => "null",
            };
            return Err(Error::BadRequest(format!(
                "The body must be a JSON object, not {kind}."
            )));
        }
    }
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    match serde_path_to_error::deserialize(&mut deserializer) {
        Ok(value) => {
            deserializer.end().map_err(|e| json_error(".", &e))?;
            Ok(value)
        }
        Err(e) => {
            // A whole number written with a fraction (`274.0`) is an integer
            // to JSON Schema, so to the OpenAPI document: read it as one.
            if e.inner().classify() == serde_json::error::Category::Data {
                if let Ok(mut value) = serde_json::from_slice::<serde_json::Value>(bytes) {
                    if whole_numbers_as_integers(&mut value) {
                        return serde_path_to_error::deserialize(value).map_err(|e| {
                            let place = e.path().to_string();
                            json_error(&place, e.inner())
                        });
                    }
                }
            }
            let place = e.path().to_string();
            Err(json_error(&place, e.inner()))
        }
    }
}

/// Rewrites every whole number written with a fraction (`274.0`, `-3e2`)
/// that fits an `i64` as that integer; whether any was.
fn whole_numbers_as_integers(value: &mut serde_json::Value) -> bool {
    use serde_json::Value;
    // -2^63 to 2^63, exclusive of 2^63, which does not fit.
    const LOWEST: f64 = i64::MIN as f64;
    let mut changed = false;
    match value {
        Value::Number(n) if n.is_f64() => {
            if let Some(f) = n
                .as_f64()
                .filter(|f| f.fract() == 0.0 && (LOWEST..-LOWEST).contains(f))
            {
                *value = Value::from(f as i64);
                changed = true;
            }
        }
        Value::Array(items) => {
            for item in items {
                changed |= whole_numbers_as_integers(item);
            }
        }
        Value::Object(fields) => {
            for field in fields.values_mut() {
                changed |= whole_numbers_as_integers(field);
            }
        }
        _ => {}
    }
    changed
}

fn json_error(place: &str, e: &serde_json::Error) -> Error {
    use serde_json::error::Category;
    let full = e.to_string();
    let at = format!(" at line {} column {}", e.line(), e.column());
    let message = full.strip_suffix(&at).unwrap_or(&full);
    Error::BadRequest(match e.classify() {
        Category::Syntax | Category::Io => {
            format!("The body is not valid JSON: {message}{at}.")
        }
        Category::Eof => format!("The body ends before its JSON does{at}."),
        Category::Data => describe(Where::Body, place, message, None),
    })
}

/// What is being described: the body's fields or the query's parameters.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Where {
    Body,
    Query,
}

/// A value someone sent, quoted for an answer as Rust's `{:?}` quotes it:
/// whole when it is short, else its first 64 characters and how long it
/// was, so that an error never repeats a long value back (a body may be
/// megabytes).
pub fn shown(value: &str) -> String {
    const SHOWN: usize = 64;
    let length = value.chars().count();
    if length <= SHOWN {
        return format!("{value:?}");
    }
    let start: String = value.chars().take(SHOWN).collect();
    format!("{start:?}… ({length} characters)")
}

/// The first `quoted` word of a serde message.
pub(crate) fn quoted(message: &str) -> Option<String> {
    let start = message.find('`')? + 1;
    let len = message[start..].find('`')?;
    Some(message[start..start + len].to_string())
}

/// Every `quoted` word of a serde message.
pub(crate) fn all_quoted(message: &str) -> Vec<String> {
    message
        .split('`')
        .skip(1)
        .step_by(2)
        .map(str::to_string)
        .collect()
}

/// A Rust type's name, as a person would say what it holds.
pub(crate) fn type_words(name: &str) -> String {
    match name {
        "i8" | "i16" | "i32" | "i64" | "isize" | "u8" | "u16" | "u32" | "u64" | "usize" => {
            let (min, max): (i128, i128) = match name {
                "i8" => (i8::MIN.into(), i8::MAX.into()),
                "i16" => (i16::MIN.into(), i16::MAX.into()),
                "i32" => (i32::MIN.into(), i32::MAX.into()),
                "u8" => (0, u8::MAX.into()),
                "u16" => (0, u16::MAX.into()),
                "u32" => (0, u32::MAX.into()),
                "u64" | "usize" => (0, u64::MAX.into()),
                _ => (i64::MIN.into(), i64::MAX.into()),
            };
            format!("a whole number from {min} to {max}")
        }
        "f32" | "f64" => "a number".into(),
        "bool" => "true or false".into(),
        "char" => "one character".into(),
        "a sequence" => "a list".into(),
        "a map" => "an object".into(),
        "a boolean" => "true or false".into(),
        "a borrowed string" | "a string" | "alloc::string::String" | "String" => "a string".into(),
        other if other.starts_with("struct ") || other.starts_with("a map") => "an object".into(),
        other if other.starts_with("a string") => "a string".into(),
        other if other.starts_with("an integer") || other.starts_with("i64") => {
            "a whole number".into()
        }
        other => other.to_string(),
    }
}

/// What serde saw, as a person would say it (`integer `5`` -> `the number 5`).
pub(crate) fn seen_words(seen: &str) -> String {
    let value = quoted(seen)
        .or_else(|| {
            seen.split_once(' ')
                .map(|(_, v)| v.trim_matches('"').to_string())
        })
        .unwrap_or_default();
    match seen.split(' ').next().unwrap_or("") {
        "integer" | "floating" => format!("the number {value}"),
        "string" => format!("the string {}", shown(&value)),
        "boolean" => value.to_string(),
        "map" => "an object".into(),
        "sequence" => "a list".into(),
        "null" | "unit" => "null".into(),
        "character" => format!("the character {value:?}"),
        _ => seen.to_string(),
    }
}

/// A serde message about `place` (a field's path, `.` for the whole) in words.
pub fn describe(place_of: Where, place: &str, message: &str, value: Option<&str>) -> String {
    let whole = place.is_empty() || place == "." || place == "?";
    let (thing, in_what) = match place_of {
        Where::Body if whole => ("The body".to_string(), "The body".to_string()),
        Where::Body => (format!("`{place}`"), format!("`{place}`")),
        Where::Query if whole => (
            "The query string".to_string(),
            "The query string".to_string(),
        ),
        Where::Query => (
            format!("The parameter `{place}`"),
            "The query string".to_string(),
        ),
    };
    if let Some(rest) = message.strip_prefix("missing field ") {
        let field = quoted(rest).unwrap_or_default();
        return match place_of {
            Where::Body => format!("{thing} needs a field `{field}`."),
            Where::Query => format!("The query string needs the parameter `{field}`."),
        };
    }
    if let Some(rest) = message.strip_prefix("unknown field ") {
        let words = all_quoted(rest);
        let field = words.first().cloned().unwrap_or_default();
        // The path of an unknown field ends with the field itself.
        let parent = place
            .strip_suffix(field.as_str())
            .map(|p| p.trim_end_matches('.'))
            .unwrap_or(place);
        let thing = if parent.is_empty() || parent == "." || place_of == Where::Query {
            match place_of {
                Where::Body => "The body".to_string(),
                Where::Query => "The query string".to_string(),
            }
        } else {
            format!("`{parent}`")
        };
        let known: Vec<String> = words.iter().skip(1).map(|w| format!("`{w}`")).collect();
        let (noun, owner) = match place_of {
            Where::Body => ("a field", thing.clone()),
            Where::Query => ("a parameter", in_what.clone()),
        };
        return if known.is_empty() {
            format!("{owner} has {noun} `{field}` that it may not have.")
        } else {
            format!(
                "{owner} has {noun} `{field}` that it may not have: it takes {}.",
                known.join(", ")
            )
        };
    }
    if let Some(rest) = message.strip_prefix("duplicate field ") {
        let field = quoted(rest).unwrap_or_default();
        return match place_of {
            Where::Body => format!("{thing} has the field `{field}` twice."),
            Where::Query => format!("The query string gives `{field}` more than once."),
        };
    }
    if let Some(rest) = message.strip_prefix("unknown variant ") {
        let words = all_quoted(rest);
        let got = words.first().cloned().unwrap_or_default();
        let known: Vec<String> = words.iter().skip(1).map(|w| format!("`{w}`")).collect();
        let got = if got.chars().count() <= 64 {
            format!("`{got}`")
        } else {
            shown(&got)
        };
        return format!("{thing} must be one of {}, not {got}.", known.join(", "));
    }
    for prefix in ["invalid type: ", "invalid value: "] {
        if let Some(rest) = message.strip_prefix(prefix) {
            if let Some((seen, expected)) = rest.rsplit_once(", expected ") {
                return format!(
                    "{thing} must be {}, not {}.",
                    type_words(expected),
                    seen_words(seen)
                );
            }
        }
    }
    if let Some(rest) = message.strip_prefix("invalid length ") {
        if let Some((n, expected)) = rest.split_once(", expected ") {
            return format!("{thing} must be {expected}, not {n} long.");
        }
    }
    // The parse errors of numbers and booleans in a query string.
    let shown = value
        .map(|v| format!(", not {}", shown(v)))
        .unwrap_or_default();
    if message.contains("invalid digit")
        || message.contains("too large to fit")
        || message.contains("too small to fit")
        || message.contains("cannot parse integer")
    {
        return format!("{thing} must be a whole number{shown}.");
    }
    if message.contains("invalid float literal") {
        return format!("{thing} must be a number{shown}.");
    }
    if message.contains("`true` or `false`") {
        return format!("{thing} must be true or false{shown}.");
    }
    format!("{thing} is not valid: {message}.")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_value_is_shown_by_its_start_and_length() {
        assert_eq!(shown("</title>"), "\"</title>\"");
        assert_eq!(shown(&"a".repeat(64)), format!("{:?}", "a".repeat(64)));
        let long = format!("{}@x.gov.uk", "é".repeat(2_000_000));
        assert_eq!(
            shown(&long),
            format!("{:?}… (2000009 characters)", "é".repeat(64))
        );
        let message = describe(
            Where::Body,
            "kind",
            &format!("unknown variant `{}`, expected `a` or `b`", "x".repeat(100)),
            None,
        );
        assert!(message.ends_with("… (100 characters)."), "{message}");
        assert!(message.len() < 140, "{message}");
    }
}
