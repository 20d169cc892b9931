//! The one query-string codec: a query string as ordered, decoded pairs, and
//! back. Used for modules' stored queries (the builder edits them) and for
//! the read API requests built from them (the dashboards and downloads).
//!
//! Decoding follows `application/x-www-form-urlencoded` (`+` is a space, `%XX`
//! a byte; a `%` not followed by two hex digits stays as it is). Encoding
//! escapes only what would change a query's meaning or is not allowed in one
//! (`&`, `=`, `+`, `#`, `%`, spaces, quotes, non-ASCII and control
//! characters); `:`, `,` and `/` stay readable, so `collect=count:sum` is
//! written as it is read.

/// A query string as ordered, decoded pairs (a leading `?` is ignored).
pub fn pairs(query: &str) -> Vec<(String, String)> {
    query
        .trim_start_matches('?')
        .split('&')
        .filter(|part| !part.is_empty())
        .map(|part| {
            let (k, v) = part.split_once('=').unwrap_or((part, ""));
            (decode(k), decode(v))
        })
        .collect()
}

/// The query string of `pairs`, in their order.
pub fn encode(pairs: &[(String, String)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| format!("{}={}", escape(k), escape(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// The first value of `key`.
pub fn first<'a>(pairs: &'a [(String, String)], key: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}

/// Sets `key` to `value`: in its place when it is there (later copies go),
/// else at the end.
pub fn set(pairs: &mut Vec<(String, String)>, key: &str, value: String) {
    match pairs.iter().position(|(k, _)| k == key) {
        Some(i) => {
            pairs[i].1 = value;
            let mut seen = false;
            pairs.retain(|(k, _)| k != key || !std::mem::replace(&mut seen, true));
        }
        None => pairs.push((key.to_string(), value)),
    }
}

/// Removes every value of `key`.
pub fn remove(pairs: &mut Vec<(String, String)>, key: &str) {
    pairs.retain(|(k, _)| k != key);
}

/// A query string's (decoded) value of `key`, if it has one.
pub fn param(query: &str, key: &str) -> Option<String> {
    first(&pairs(query), key).map(str::to_string)
}

/// The query string with `key` set to `value` (in its place, or first when it
/// was not there), or removed when `value` is empty.
pub fn with_param(query: &str, key: &str, value: &str) -> String {
    let mut pairs = pairs(query);
    if value.is_empty() {
        remove(&mut pairs, key);
    } else if first(&pairs, key).is_some() {
        set(&mut pairs, key, value.to_string());
    } else {
        pairs.insert(0, (key.to_string(), value.to_string()));
    }
    encode(&pairs)
}

fn decode(s: &str) -> String {
    let hex = |b: u8| (b as char).to_digit(16).map(|d| d as u8);
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => match (
                bytes.get(i + 1).copied().and_then(hex),
                bytes.get(i + 2).copied().and_then(hex),
            ) {
                (Some(h), Some(l)) => {
                    out.push(h * 16 + l);
                    i += 2;
                }
                _ => out.push(b'%'),
            },
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~:,/@!$()*;".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pairs_round_trip_and_stay_readable() {
        let q = "period=week&collect=count:sum&filter_by=channel:face to face&x=a%26b";
        let p = pairs(q);
        assert_eq!(first(&p, "filter_by"), Some("channel:face to face"));
        assert_eq!(first(&p, "x"), Some("a&b"));
        assert_eq!(
            encode(&p),
            "period=week&collect=count:sum&filter_by=channel:face%20to%20face&x=a%26b"
        );
        assert_eq!(pairs(&encode(&p)), p);
        assert_eq!(first(&pairs("?a=1&b"), "b"), Some(""));
        assert_eq!(first(&pairs("a=%zz+%41"), "a"), Some("%zz A"));
        assert_eq!(encode(&pairs("q=ü#1")), "q=%C3%BC%231");
    }

    #[test]
    fn params_are_read_and_set() {
        let q = "period=week&duration=52&collect=count:sum";
        assert_eq!(param(q, "duration").as_deref(), Some("52"));
        assert_eq!(param(q, "group_by"), None);
        assert_eq!(
            with_param(q, "period", "month"),
            "period=month&duration=52&collect=count:sum"
        );
        assert_eq!(
            with_param(q, "duration", ""),
            "period=week&collect=count:sum"
        );
        assert_eq!(
            with_param("collect=count:sum", "period", "month"),
            "period=month&collect=count:sum"
        );
        let mut p = pairs("a=1&b=2&a=3");
        set(&mut p, "a", "4".into());
        assert_eq!(encode(&p), "a=4&b=2");
        set(&mut p, "c", "5".into());
        remove(&mut p, "b");
        assert_eq!(encode(&p), "a=4&c=5");
    }
}
