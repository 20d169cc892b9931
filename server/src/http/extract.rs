//! The extractors of `/api/v1`: [`Path`], [`Query`] and [`Payload`] (a body),
//! whose rejections are the app's [`Error`], so every refusal is the JSON error
//! body (`{"status":"error","message":...}`) in words a person understands,
//! never serde's.
//!
//! A body is read by [`Payload`] (over [`MAX_JSON_BYTES`] is a 413 at once, by
//! its `Content-Length`, or as soon as a chunked body passes the limit) but only
//! parsed when the handler asks, after it has checked the caller: an anonymous
//! write with a bad body is a 401, not a 400 about the body.

use axum::body::Bytes;
use axum::{
    extract::{FromRequest, FromRequestParts, Request},
    http::{header, request::Parts, HeaderMap},
};
use futures_util::StreamExt;
use serde::de::DeserializeOwned;

pub use crate::domain::json::{describe, parse_json, Where};
use crate::domain::json::{quoted, shown, type_words};
use crate::error::{Error, Result};

/// The largest JSON (or form) body `/api/v1` takes. Uploads have their own
/// limit ([`crate::domain::upload::MAX_UPLOAD_BYTES`]).
pub const MAX_JSON_BYTES: usize = 2 * 1024 * 1024;

/// The limit in words.
pub const JSON_LIMIT_WORDS: &str = "2 MiB";

/// Parameters of the address (`/annotations/{id}`).
pub struct Path<T>(pub T);

impl<T, S> FromRequestParts<S> for Path<T>
where
    T: DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self> {
        use axum::extract::path::ErrorKind;
        use axum::extract::rejection::PathRejection;
        // The parameters by name, to name the one refused.
        let named: Vec<(String, String)> =
            match axum::extract::RawPathParams::from_request_parts(parts, state).await {
                Ok(raw) => raw
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect(),
                Err(_) => Vec::new(),
            };
        let name_of = |value: &str| {
            named
                .iter()
                .find(|(_, v)| v == value)
                .map(|(k, _)| k.clone())
        };
        match axum::extract::Path::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Path(value)) => Ok(Path(value)),
            Err(PathRejection::FailedToDeserializePathParams(e)) => {
                let message = match e.kind() {
                    ErrorKind::ParseErrorAtKey {
                        key,
                        value,
                        expected_type,
                    } => format!(
                        "`{key}` in the address must be {}, not {}.",
                        type_words(expected_type),
                        shown(value)
                    ),
                    ErrorKind::ParseErrorAtIndex {
                        value,
                        expected_type,
                        ..
                    }
                    | ErrorKind::ParseError {
                        value,
                        expected_type,
                    } => match name_of(value) {
                        Some(key) => format!(
                            "`{key}` in the address must be {}, not {}.",
                            type_words(expected_type),
                            shown(value)
                        ),
                        None => format!(
                            "The address holds {} where it needs {}.",
                            shown(value),
                            type_words(expected_type)
                        ),
                    },
                    ErrorKind::InvalidUtf8InPathParam { key } => {
                        format!("`{key}` in the address is not valid UTF-8.")
                    }
                    _ => "The address is not one this API knows.".to_string(),
                };
                Err(Error::BadRequest(message))
            }
            Err(other) => Err(Error::Internal(anyhow::anyhow!(
                "path parameters: {}",
                other.body_text()
            ))),
        }
    }
}

/// The query string (`?limit=10`), into a struct of its parameters.
pub struct Query<T>(pub T);

impl<T, S> FromRequestParts<S> for Query<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self> {
        parse_query(parts.uri.query().unwrap_or("")).map(Query)
    }
}

/// A query string into `T`, refused in words (see [`describe`]).
pub fn parse_query<T: DeserializeOwned>(raw: &str) -> Result<T> {
    let deserializer = serde_urlencoded::Deserializer::new(form_urlencoded::parse(raw.as_bytes()));
    serde_path_to_error::deserialize(deserializer).map_err(|e| {
        let place = e.path().to_string();
        let message = e.inner().to_string();
        // Without the field's name from the path, the message names it.
        let field = if place == "." || place == "?" {
            quoted(&message).unwrap_or_default()
        } else {
            place
        };
        let value = form_urlencoded::parse(raw.as_bytes())
            .find(|(k, _)| *k == field)
            .map(|(_, v)| v.into_owned());
        Error::BadRequest(describe(Where::Query, &field, &message, value.as_deref()))
    })
}

/// A request's body, read (within [`MAX_JSON_BYTES`]) but not yet parsed: the
/// handler parses it with [`Payload::json`] once it has checked the caller.
pub struct Payload {
    bytes: Bytes,
    headers: HeaderMap,
}

fn too_large() -> Error {
    Error::TooLarge(format!(
        "The body is larger than {JSON_LIMIT_WORDS}, the most this API takes."
    ))
}

/// The `Content-Length` a request declares, if any.
pub fn declared_length(headers: &HeaderMap) -> Option<u64> {
    headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse().ok())
}

/// Refuses, before any handler, a request to `/api/v1` whose `Content-Length`
/// is over what the API takes ([`MAX_JSON_BYTES`], or
/// [`crate::domain::upload::MAX_UPLOAD_BYTES`] for an upload): a 413 even on a route
/// that never reads its body.
pub async fn refuse_oversized(
    request: Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    let path = request.uri().path();
    if path == "/api/v1" || path.starts_with("/api/v1/") {
        let (limit, words) = if path.ends_with("/upload") {
            (crate::domain::upload::MAX_UPLOAD_BYTES, "10 MiB")
        } else {
            (MAX_JSON_BYTES, JSON_LIMIT_WORDS)
        };
        if declared_length(request.headers()).is_some_and(|n| n > limit as u64) {
            return Error::TooLarge(format!(
                "The body is larger than {words}, the most this API takes."
            ))
            .into_response();
        }
    }
    next.run(request).await
}

/// The errors behind a body's error, itself first.
fn causes(e: &axum::Error) -> impl Iterator<Item = &(dyn std::error::Error + 'static)> {
    std::iter::successors(Some(e as &(dyn std::error::Error + 'static)), |e| {
        e.source()
    })
}

/// Why a body could not be read, when it was not its size.
pub fn unread(e: &axum::Error) -> String {
    if causes(e).any(|e| e.is::<super::listen::TooSlow>()) {
        format!(
            "The body stopped arriving before its end, or came too slowly (Pulse waits \
             --body-timeout for each part, and takes {} bytes a second at the least once \
             that time has passed); nothing was written.",
            super::listen::SLOWEST_RATE
        )
    } else {
        "The body could not be read to its end; nothing was written.".into()
    }
}

/// Whether a body's error is that it passed the limit it was read with.
pub fn too_long(e: &axum::Error) -> bool {
    causes(e).any(|e| e.is::<http_body_util::LengthLimitError>())
}

/// Reads a body of at most `limit` bytes: refused by its `Content-Length`
/// before reading, or as soon as it passes the limit.
pub async fn read_limited(
    headers: &HeaderMap,
    body: axum::body::Body,
    limit: usize,
    too_large: impl Fn() -> Error,
) -> Result<Bytes> {
    if declared_length(headers).is_some_and(|n| n > limit as u64) {
        return Err(too_large());
    }
    let mut stream = body.into_data_stream();
    let mut out = Vec::new();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| Error::BadRequest(unread(&e)))?;
        if out.len() + chunk.len() > limit {
            return Err(too_large());
        }
        out.extend_from_slice(&chunk);
    }
    Ok(Bytes::from(out))
}

impl<S: Send + Sync> FromRequest<S> for Payload {
    type Rejection = Error;

    async fn from_request(req: Request, _state: &S) -> Result<Self> {
        let (parts, body) = req.into_parts();
        let bytes = read_limited(&parts.headers, body, MAX_JSON_BYTES, too_large).await?;
        Ok(Payload {
            bytes,
            headers: parts.headers,
        })
    }
}

/// Whether a content type is JSON (`application/json`, `application/x+json`).
fn is_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|v| v.trim().to_ascii_lowercase())
        .is_some_and(|v| {
            v == "application/json" || (v.starts_with("application/") && v.ends_with("+json"))
        })
}

impl Payload {
    /// The body's bytes as sent.
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// Whether the body is an HTML form (`application/x-www-form-urlencoded`).
    pub fn is_form(&self) -> bool {
        super::session::is_form(&self.headers)
    }

    /// The body as JSON of type `T`: a 415 when it is not sent as JSON, a 400
    /// saying what is wrong with it otherwise.
    pub fn json<T: DeserializeOwned>(&self) -> Result<T> {
        if !is_json(&self.headers) {
            return Err(Error::Unsupported(
                "Send the body as JSON, with Content-Type: application/json.".into(),
            ));
        }
        parse_json(&self.bytes)
    }
}

/// Any address under `/api/v1` that is no operation: a JSON 404.
pub async fn unknown_route(uri: axum::http::Uri) -> Error {
    Error::NotFound(format!(
        "There is no {} in this API: /api/openapi.json lists what there is.",
        uri.path()
    ))
}

/// Any address under `/data` that is not a data set's or a record's: a JSON
/// 404, as every other answer of the data API is JSON.
pub async fn unknown_data_route(
    method: axum::http::Method,
    uri: axum::http::Uri,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    let body = app::model::ErrorBody {
        status: "error".into(),
        message: format!(
            "There is no {method} {} in the data API: it answers GET, POST and PUT at \
             /data/{{group}}/{{type}}, and PATCH and DELETE at /data/{{group}}/{{type}}/{{id}}.",
            uri.path()
        ),
    };
    (axum::http::StatusCode::NOT_FOUND, axum::Json(body)).into_response()
}

/// Answers the data API's JSON 404 for an address under `/data` that is
/// neither a data set's (`/data/{group}/{type}`) nor a record's
/// (`/data/{group}/{type}/{id}`), which the pages' fallback would otherwise
/// answer with an HTML page; passes every other request on.
pub async fn unknown_data_routes(
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let path = request.uri().path();
    let unknown = match path.strip_prefix("/data") {
        Some("") => true,
        Some(rest) => match rest.strip_prefix('/') {
            Some(rest) => {
                let segments: Vec<&str> = rest.split('/').collect();
                !(2..=3).contains(&segments.len()) || segments.iter().any(|s| s.is_empty())
            }
            // `/database...`: not under `/data`.
            None => false,
        },
        None => false,
    };
    if unknown {
        let (method, uri) = (request.method().clone(), request.uri().clone());
        return unknown_data_route(method, uri).await;
    }
    next.run(request).await
}

/// A method an address does not take: under `/api/v1`, a JSON 405 (axum adds
/// the `Allow` header); at a data set's address the bare 405, as Backdrop
/// answered; at a record's address (`/data/{group}/{type}/{id}`, which Backdrop
/// did not have) the JSON 404 of an unknown data route.
pub async fn method_not_allowed(
    method: axum::http::Method,
    uri: axum::http::Uri,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    let status = axum::http::StatusCode::METHOD_NOT_ALLOWED;
    if let Some(rest) = uri.path().strip_prefix("/data/") {
        if rest.split('/').count() != 2 {
            return unknown_data_route(method, uri).await;
        }
    }
    if !uri.path().starts_with("/api/v1/") {
        return status.into_response();
    }
    let body = app::model::ErrorBody {
        status: "error".into(),
        message: format!(
            "{} does not take {method}: the Allow header lists what it takes.",
            uri.path()
        ),
    };
    (status, axum::Json(body)).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[allow(dead_code)]
    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Note {
        title: String,
        count: Option<i64>,
        kind: Option<Kind>,
        items: Option<Vec<Item>>,
    }

    #[allow(dead_code)]
    #[derive(Debug, Deserialize)]
    #[serde(rename_all = "lowercase")]
    enum Kind {
        Public,
        Internal,
    }

    #[allow(dead_code)]
    #[derive(Debug, Deserialize)]
    struct Item {
        name: String,
    }

    fn body_message(text: &str) -> String {
        parse_json::<Note>(text.as_bytes()).unwrap_err().to_string()
    }

    #[test]
    fn bodies_are_refused_in_words() {
        assert_eq!(body_message("{}"), "The body needs a field `title`.");
        assert_eq!(
            body_message("{\"title\":5}"),
            "`title` must be a string, not the number 5."
        );
        assert_eq!(
            body_message("{\"title\":\"a\",\"count\":\"x\"}"),
            "`count` must be a whole number from -9223372036854775808 to 9223372036854775807, not the string \"x\"."
        );
        assert_eq!(
            body_message("{\"title\":\"a\",\"kind\":\"secret\"}"),
            "`kind` must be one of `public`, `internal`, not `secret`."
        );
        assert_eq!(
            body_message("{\"title\":\"a\",\"items\":[{}]}"),
            "`items[0]` needs a field `name`."
        );
        assert!(body_message("{\"title\":\"a\",\"x\":1}")
            .starts_with("The body has a field `x` that it may not have: it takes `title`"));
        assert_eq!(
            body_message("{\"title\""),
            "The body ends before its JSON does at line 1 column 8."
        );
        assert_eq!(
            body_message("{\"title\" 1}"),
            "The body is not valid JSON: expected `:` at line 1 column 10."
        );
        assert_eq!(
            body_message("{\"title\":\"a\"} x"),
            "The body is not valid JSON: trailing characters at line 1 column 15."
        );
        assert_eq!(body_message(""), "The body is empty: send a JSON object.");
        assert_eq!(
            body_message("[1]"),
            "The body must be a JSON object, not a list."
        );
        for text in ["{}", "{\"title\":5}", "[1]", "{\"title\":\"a\",\"x\":1}"] {
            let message = body_message(text);
            assert!(!message.contains("deserialize"), "{message}");
            assert!(!message.contains("invalid type"), "{message}");
        }
    }

    #[allow(dead_code)]
    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Params {
        limit: Option<i64>,
        all: Option<bool>,
        name: Option<String>,
    }

    fn query_message(text: &str) -> String {
        match parse_query::<Params>(text) {
            Ok(_) => "ok".into(),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn query_strings_are_refused_in_words() {
        assert_eq!(query_message("limit=5&all=true"), "ok");
        assert_eq!(
            query_message("limit=99999999999999999999"),
            "The parameter `limit` must be a whole number, not \"99999999999999999999\"."
        );
        assert_eq!(
            query_message("limit=abc"),
            "The parameter `limit` must be a whole number, not \"abc\"."
        );
        assert_eq!(
            query_message("all=yes"),
            "The parameter `all` must be true or false, not \"yes\"."
        );
        assert!(query_message("nope=1")
            .starts_with("The query string has a parameter `nope` that it may not have"));
        assert_eq!(
            query_message("name=a&name=b"),
            "The query string gives `name` more than once."
        );
    }
}
