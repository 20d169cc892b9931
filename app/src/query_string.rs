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
pub fn encode<K: AsRef<str>, V: AsRef<str>>(pairs: &[(K, V)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| format!("{}={}", escape(k.as_ref()), escape(v.as_ref())))
        .collect::<Vec<_>>()
        .join("&")
}

/// `path` with `query` (an encoded query string) after a `?`, or `path` alone
/// when the query is empty.
pub fn href(path: &str, query: &str) -> String {
    if query.is_empty() {
        path.to_string()
    } else {
        format!("{path}?{query}")
    }
}

/// The pairs a page keeps in its address: `keys` in that order, each with its
/// value in `changes` when it is there, else `current(key)`; empty values are
/// left out (so a change to `""` removes a key).
pub fn kept(
    keys: &[&str],
    current: impl Fn(&str) -> Option<String>,
    changes: &[(&str, &str)],
) -> Vec<(String, String)> {
    keys.iter()
        .filter_map(|&key| {
            let value = match changes.iter().find(|(k, _)| *k == key) {
                Some((_, v)) => v.to_string(),
                None => current(key)?,
            };
            (!value.is_empty()).then(|| (key.to_string(), value))
        })
        .collect()
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
    percent_encode(s, b"-._~:,/@!$()*;")
}

/// `s` with every byte but ASCII letters, digits and those in `kept`
/// percent-encoded.
pub fn percent_encode(s: &str, kept: &[u8]) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || kept.contains(&b) {
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

    #[test]
    fn borrowed_pairs_encode_and_join_their_path() {
        let next = "/data-sets/a b/c".to_string();
        assert_eq!(encode(&[("next", &next)]), "next=/data-sets/a%20b/c");
        assert_eq!(encode::<&str, &str>(&[]), "");
        assert_eq!(href("/compare", "services=a,b"), "/compare?services=a,b");
        assert_eq!(href("/services", ""), "/services");
        assert_eq!(href("", "sort=1"), "?sort=1");
    }

    #[test]
    fn kept_pairs_follow_the_keys_and_apply_changes() {
        let current = |key: &str| match key {
            "b" => Some("2".to_string()),
            "c" => Some("3".to_string()),
            "d" => Some(String::new()),
            _ => None,
        };
        let p = kept(&["a", "b", "c", "d"], current, &[("a", "1"), ("c", "")]);
        assert_eq!(encode(&p), "a=1&b=2");
        assert_eq!(
            encode(&kept(&["c", "b"], current, &[("z", "9")])),
            "c=3&b=2"
        );
    }
}
