//! The typed client the UI uses for every call of the public API.
//!
//! One contract: pages never reach the database. In the browser a call goes over
//! HTTP with gloo-net; during server-side rendering the very same request is
//! dispatched into the server's API router in-process (with the viewer's cookies and
//! authorization forwarded), so the first paint and later updates cannot disagree.

use serde::de::DeserializeOwned;

use crate::model::{
    ApiKey, Dashboard, DataSetToken, ErrorBody, Freshness, Organisation, PublishedDashboard,
    ServiceKpiList, ServiceList, ServiceOverview, SessionInfo, SessionState,
};
use crate::query_string;

/// Why an API call failed, in words a page can show.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error, serde::Serialize, serde::Deserialize)]
pub enum ApiError {
    /// The API answered with an error status and message.
    #[error("{message}")]
    Status { status: u16, message: String },
    /// The request did not get an answer, or the answer was not understood.
    #[error("could not reach Pulse: {0}")]
    Transport(String),
}

impl ApiError {
    pub fn is_not_found(&self) -> bool {
        matches!(self, ApiError::Status { status: 404, .. })
    }

    /// The HTTP status a page that could not have its data answers with: the
    /// API's own, or 502 where the API gave no answer.
    pub fn status(&self) -> u16 {
        match self {
            ApiError::Status { status, .. } => *status,
            ApiError::Transport(_) => 502,
        }
    }
}

/// Percent-encodes one path segment (slugs are already safe; this keeps odd
/// input harmless). Query strings are [`crate::query_string`]'s.
pub fn encode_component(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The path of a service's overview in the API.
pub fn service_path(slug: &str) -> String {
    format!("/api/v1/services/{}", encode_component(slug))
}

/// `GET /api/v1/services`: every service with its department.
pub async fn services() -> Result<ServiceList, ApiError> {
    get_json("/api/v1/services".to_string()).await
}

/// `GET /api/v1/services/{slug}?{query}`: a service's transactions by channel (as
/// `query` asks: `period`, `from`, `to`) and latest KPIs.
pub async fn service_overview(slug: String, query: String) -> Result<ServiceOverview, ApiError> {
    get_json(query_string::href(&service_path(&slug), &query)).await
}

/// `GET /api/v1/service-kpis?{query}`: the services explorer's rows and summary.
/// `query` is an already encoded query string (the page's own).
pub async fn service_kpis(query: String) -> Result<ServiceKpiList, ApiError> {
    get_json(service_kpis_path(&query)).await
}

/// The explorer's API address for a query string (also its CSV, with `format=csv`).
pub fn service_kpis_path(query: &str) -> String {
    query_string::href("/api/v1/service-kpis", query)
}

/// `GET /api/v1/dashboards/{slug}`: a dashboard and its modules.
pub async fn dashboard(slug: &str) -> Result<Dashboard, ApiError> {
    get_json(format!("/api/v1/dashboards/{}", encode_component(slug))).await
}

/// `GET /api/v1/dashboards/{slug}/freshness`: how recent each of its data sets is.
pub async fn dashboard_freshness(slug: &str) -> Result<Vec<Freshness>, ApiError> {
    let answer: crate::model::FreshnessList = get_json(format!(
        "/api/v1/dashboards/{}/freshness",
        encode_component(slug)
    ))
    .await?;
    Ok(answer.data_sets)
}

/// `GET /api/v1/annotations?service=`: the notes of a service the viewer may
/// read, and whether they may write them.
pub async fn annotations(service: &str) -> Result<crate::model::AnnotationList, ApiError> {
    get_json(query_string::href(
        "/api/v1/annotations",
        &query_string::encode(&[("service", service)]),
    ))
    .await
}

/// `GET /api/v1/boards/{organisation}`, or `/api/v1/boards/portfolio/{id}`
/// when `portfolio`.
pub async fn board(key: String, portfolio: bool) -> Result<crate::boards::Board, ApiError> {
    get_json(board_path(&key, portfolio)).await
}

/// A board's address in the API (its CSV with `?format=csv`).
pub fn board_path(key: &str, portfolio: bool) -> String {
    if portfolio {
        format!("/api/v1/boards/portfolio/{}", encode_component(key))
    } else {
        format!("/api/v1/boards/{}", encode_component(key))
    }
}

/// `GET /api/v1/compare?{query}`.
pub async fn compare(query: String) -> Result<crate::boards::Comparison, ApiError> {
    get_json(query_string::href("/api/v1/compare", &query)).await
}

/// `GET /api/v1/targets`.
pub async fn targets() -> Result<crate::boards::TargetList, ApiError> {
    get_json("/api/v1/targets".to_string()).await
}

/// `GET /api/v1/targets?service=`: one service's targets.
pub async fn targets_of(service: &str) -> Result<crate::boards::TargetList, ApiError> {
    get_json(query_string::href(
        "/api/v1/targets",
        &query_string::encode(&[("service", service)]),
    ))
    .await
}

/// `GET /api/v1/portfolios`: the signed-in person's portfolios.
pub async fn portfolios() -> Result<Vec<crate::boards::Portfolio>, ApiError> {
    let answer: crate::model::PortfolioList = get_json("/api/v1/portfolios".to_string()).await?;
    Ok(answer.portfolios)
}

/// A read API query's answer.
#[derive(serde::Deserialize)]
pub(crate) struct Rows {
    pub(crate) data: Vec<serde_json::Value>,
}

/// A read API query (`/data/{group}/{type}?...`): the rows of its answer.
pub async fn data_rows(path: String) -> Result<std::sync::Arc<Vec<serde_json::Value>>, ApiError> {
    #[cfg(feature = "ssr")]
    {
        let (status, body) = in_process::get(path).await?;
        if !(200..300).contains(&status) {
            return Err(error_from_body(status, &body));
        }
        parsed_rows::parse(body)
    }
    #[cfg(not(feature = "ssr"))]
    {
        let answer: Rows = get_json(path).await?;
        Ok(std::sync::Arc::new(answer.data))
    }
}

/// Read answers already parsed, by their bytes (on the server): every view
/// of a dashboard reads the same answers, which the server keeps, so the
/// same bytes come again and again. Compared in full (the hash only finds
/// them); the oldest go first.
#[cfg(feature = "ssr")]
mod parsed_rows {
    use std::collections::{HashMap, VecDeque};
    use std::hash::{Hash, Hasher};
    use std::sync::{Arc, LazyLock, Mutex};

    use axum::body::Bytes;
    use serde_json::Value;

    use super::{ApiError, Rows};

    /// The answers' bytes kept at most (their parsed rows take a few times
    /// that); a larger answer is parsed each time.
    const ROOM: usize = 8 << 20;
    const LARGEST: usize = 1 << 20;

    #[derive(Default)]
    struct Kept {
        parsed: HashMap<u64, (Bytes, Arc<Vec<Value>>)>,
        order: VecDeque<u64>,
        bytes: usize,
    }

    static KEPT: LazyLock<Mutex<Kept>> = LazyLock::new(Mutex::default);

    pub(super) fn parse(body: Bytes) -> Result<Arc<Vec<Value>>, ApiError> {
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        body.hash(&mut hasher);
        let hash = hasher.finish();
        {
            let kept = KEPT.lock().unwrap_or_else(|p| p.into_inner());
            if let Some((bytes, rows)) = kept.parsed.get(&hash) {
                if *bytes == body {
                    return Ok(rows.clone());
                }
            }
        }
        let rows: Rows =
            serde_json::from_slice(&body).map_err(|e| ApiError::Transport(e.to_string()))?;
        let rows = Arc::new(rows.data);
        if body.len() > LARGEST {
            return Ok(rows);
        }
        let mut kept = KEPT.lock().unwrap_or_else(|p| p.into_inner());
        while kept.bytes + body.len() > ROOM {
            let Some(old) = kept.order.pop_front() else {
                break;
            };
            if let Some((gone, _)) = kept.parsed.remove(&old) {
                kept.bytes -= gone.len();
            }
        }
        kept.bytes += body.len();
        if let Some((was, _)) = kept.parsed.insert(hash, (body, rows.clone())) {
            // Another answer with the same hash: replaced.
            kept.bytes -= was.len();
        } else {
            kept.order.push_back(hash);
        }
        Ok(rows)
    }
}

/// `GET /api/v1/session`: who is signed in, and their CSRF token.
pub async fn session() -> Result<SessionState, ApiError> {
    get_json("/api/v1/session".to_string()).await
}

/// `GET /api/v1/api-keys`: the signed-in person's keys (everyone's with `all`).
pub async fn api_keys(all: bool) -> Result<Vec<ApiKey>, ApiError> {
    let query = if all { vec![("all", "true")] } else { vec![] };
    let answer: crate::model::KeyList = get_json(query_string::href(
        "/api/v1/api-keys",
        &query_string::encode(&query),
    ))
    .await?;
    Ok(answer.keys)
}

/// `GET /api/v1/users` (admins): everyone who can sign in.
pub async fn users() -> Result<Vec<crate::model::User>, ApiError> {
    let answer: crate::model::UserList = get_json("/api/v1/users".to_string()).await?;
    Ok(answer.users)
}

/// `GET /api/v1/audit?filter=` (admins): the audit log, newest first.
pub async fn audit(filter: String) -> Result<Vec<crate::model::AuditEntry>, ApiError> {
    let answer: crate::model::AuditLog = get_json(query_string::href(
        "/api/v1/audit",
        &query_string::encode(&[("filter", filter)]),
    ))
    .await?;
    Ok(answer.entries)
}

/// `GET /api/v1/guide?q=`: the guide's pages and the headings matching `q`.
pub async fn guide_index(q: String) -> Result<crate::model::GuideIndex, ApiError> {
    get_json(query_string::href(
        "/api/v1/guide",
        &query_string::encode(&[("q", q)]),
    ))
    .await
}

/// `GET /api/v1/guide/{page}`: one page of the guide.
pub async fn guide_page(page: String) -> Result<crate::model::GuidePage, ApiError> {
    get_json(format!("/api/v1/guide/{}", encode_component(&page))).await
}

/// `GET /api/v1/data-sets`: the data sets the caller manages.
pub async fn data_sets() -> Result<Vec<crate::model::DataSet>, ApiError> {
    let answer: crate::model::DataSetList = get_json("/api/v1/data-sets".to_string()).await?;
    Ok(answer.data_sets)
}

/// `GET /api/v1/data-sets/{group}/{type}/history`: the correction history.
pub async fn history(
    group: String,
    data_type: String,
) -> Result<Vec<crate::model::HistoryEntry>, ApiError> {
    let path = format!("{}/history", data_set_path(&group, &data_type));
    let answer: crate::model::DataSetHistory = get_json(query_string::href(
        &path,
        &query_string::encode(&[("limit", "50")]),
    ))
    .await?;
    Ok(answer.history)
}

/// A data set's address in the API: `/api/v1/data-sets/{group}/{type}`.
fn data_set_path(group: &str, data_type: &str) -> String {
    format!(
        "/api/v1/data-sets/{}/{}",
        encode_component(group),
        encode_component(data_type)
    )
}

/// `POST /api/v1/data-sets/{group}/{type}/token`: a new write token for the
/// data set (the old one stops working).
pub async fn new_write_token(
    group: &str,
    data_type: &str,
    csrf: String,
) -> Result<DataSetToken, ApiError> {
    send_json("POST", write_token_path(group, data_type), None, csrf).await
}

fn write_token_path(group: &str, data_type: &str) -> String {
    format!("{}/token", data_set_path(group, data_type))
}

/// `POST /api/v1/dashboards/{slug}/publish`: publishes the dashboard and the
/// data sets its modules read.
pub async fn publish_dashboard(slug: &str, csrf: String) -> Result<PublishedDashboard, ApiError> {
    send_json("POST", publish_path(slug), None, csrf).await
}

fn publish_path(slug: &str) -> String {
    format!("/api/v1/dashboards/{}/publish", encode_component(slug))
}

/// `GET /api/v1/organisations`: every organisation.
pub async fn organisations() -> Result<Vec<Organisation>, ApiError> {
    let answer: crate::model::OrganisationList =
        get_json("/api/v1/organisations".to_string()).await?;
    Ok(answer.organisations)
}

/// Sends a file's bytes to `path` (an upload), with the session's CSRF token,
/// and decodes the JSON answer (a refusal gives the API's message).
#[cfg(feature = "hydrate")]
pub async fn upload_file<T: DeserializeOwned>(
    path: String,
    file: web_sys::File,
    csrf: String,
) -> Result<T, ApiError> {
    use gloo_net::http::{Method, RequestBuilder};
    send_wrapper::SendWrapper::new(async move {
        let request = RequestBuilder::new(&path)
            .method(Method::POST)
            .header("Accept", "application/json")
            .header("X-CSRF-Token", &csrf)
            .body(wasm_bindgen::JsValue::from(file))
            .map_err(|e| ApiError::Transport(e.to_string()))?;
        decoded(request.send().await).await
    })
    .await
}

/// An answer in the browser: its JSON decoded, or the API's error message.
#[cfg(feature = "hydrate")]
async fn decoded<T: DeserializeOwned>(
    sent: Result<gloo_net::http::Response, gloo_net::Error>,
) -> Result<T, ApiError> {
    let response = sent.map_err(|e| ApiError::Transport(e.to_string()))?;
    let status = response.status();
    let text = response
        .text()
        .await
        .map_err(|e| ApiError::Transport(e.to_string()))?;
    if !(200..300).contains(&status) {
        return Err(error_from_body(status, text.as_bytes()));
    }
    // From a `str`, as Leptos decodes the page's resources when it hydrates:
    // one decoder per type in the bundle instead of two (a `&[u8]` one too).
    serde_json::from_str(&text).map_err(|e| ApiError::Transport(e.to_string()))
}

/// `GET /api/v1/sessions`: the signed-in person's live sessions.
pub async fn sessions() -> Result<Vec<SessionInfo>, ApiError> {
    let answer: crate::model::SessionList = get_json("/api/v1/sessions".to_string()).await?;
    Ok(answer.sessions)
}

/// A change through the API from the browser: `method` to `path` with a JSON
/// body, carrying the session's CSRF token. (Pages make changes only once
/// interactive; during server rendering this is refused.)
/// A typed request body for [`send_json`].
pub fn body<T: serde::Serialize>(value: &T) -> Option<serde_json::Value> {
    serde_json::to_value(value).ok()
}

pub async fn send_json<T: DeserializeOwned>(
    method: &'static str,
    path: String,
    body: Option<serde_json::Value>,
    csrf: String,
) -> Result<T, ApiError> {
    #[cfg(feature = "hydrate")]
    {
        use gloo_net::http::{Method, RequestBuilder};
        let method = match method {
            "POST" => Method::POST,
            "PUT" => Method::PUT,
            "PATCH" => Method::PATCH,
            "DELETE" => Method::DELETE,
            _ => Method::GET,
        };
        send_wrapper::SendWrapper::new(async move {
            let builder = RequestBuilder::new(&path)
                .method(method)
                .header("Accept", "application/json")
                .header("X-CSRF-Token", &csrf);
            let request = match body {
                Some(body) => builder
                    .json(&body)
                    .map_err(|e| ApiError::Transport(e.to_string()))?,
                None => builder
                    .build()
                    .map_err(|e| ApiError::Transport(e.to_string()))?,
            };
            decoded(request.send().await).await
        })
        .await
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = (method, path, body, csrf);
        Err(ApiError::Transport(
            "changes are made from the browser".into(),
        ))
    }
}

fn error_from_body(status: u16, body: &[u8]) -> ApiError {
    let message = std::str::from_utf8(body)
        .map_err(|e| e.to_string())
        .and_then(|text| serde_json::from_str::<ErrorBody>(text).map_err(|e| e.to_string()))
        .map(|b| b.message)
        .unwrap_or_else(|_| format!("the server answered with status {status}"));
    ApiError::Status { status, message }
}

#[cfg(feature = "ssr")]
pub use in_process::{InProcessApi, PageScope};

#[cfg(feature = "ssr")]
mod in_process {
    use super::*;
    use http_body_util::BodyExt;
    use tower::ServiceExt;

    /// The server's API router, provided as context while rendering pages.
    #[derive(Clone)]
    pub struct InProcessApi(pub axum::Router);

    /// What the server keeps for one page while it renders (provided as
    /// context, one per page request): every API request the page makes
    /// carries it, so that they share what they read alike (each data set
    /// read once, as of one moment). Opaque here; the server knows its type.
    #[derive(Clone)]
    pub struct PageScope(pub std::sync::Arc<dyn std::any::Any + Send + Sync>);

    /// Headers of the page request that identify the viewer, forwarded to the API.
    /// (And the address it was reached at, which the guide's examples name; the
    /// server believes the `x-forwarded-*` ones only from a trusted proxy, as
    /// for the page request itself, whose TCP peer goes along too.)
    const FORWARDED: [&str; 6] = [
        "cookie",
        "authorization",
        "host",
        "x-forwarded-for",
        "x-forwarded-host",
        "x-forwarded-proto",
    ];

    pub(super) async fn get(path: String) -> Result<(u16, axum::body::Bytes), ApiError> {
        let api = leptos::prelude::use_context::<InProcessApi>().ok_or_else(|| {
            ApiError::Transport("the API is not available while rendering".into())
        })?;
        let parts = leptos::prelude::use_context::<http::request::Parts>();
        let mut request =
            http::Request::get(&path).header(http::header::ACCEPT, "application/json");
        if let Some(parts) = &parts {
            for name in FORWARDED {
                if let Some(value) = parts.headers.get(name) {
                    request = request.header(name, value);
                }
            }
        }
        let mut request = request
            .body(axum::body::Body::empty())
            .map_err(|e| ApiError::Transport(e.to_string()))?;
        if let Some(scope) = leptos::prelude::use_context::<PageScope>() {
            request.extensions_mut().insert(scope);
        }
        if let Some(peer) = parts.as_ref().and_then(|p| {
            p.extensions
                .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
                .cloned()
        }) {
            request.extensions_mut().insert(peer);
        }
        let response = api
            .0
            .oneshot(request)
            .await
            .map_err(|e| ApiError::Transport(e.to_string()))?;
        let status = response.status().as_u16();
        let body = response
            .into_body()
            .collect()
            .await
            .map_err(|e| ApiError::Transport(e.to_string()))?
            .to_bytes();
        Ok((status, body))
    }
}

/// Fetches `path` from the API and decodes its JSON answer.
pub async fn get_json<T: DeserializeOwned>(path: String) -> Result<T, ApiError> {
    #[cfg(feature = "ssr")]
    {
        let (status, body) = in_process::get(path).await?;
        if !(200..300).contains(&status) {
            return Err(error_from_body(status, &body));
        }
        serde_json::from_slice(&body).map_err(|e| ApiError::Transport(e.to_string()))
    }
    #[cfg(all(feature = "hydrate", not(feature = "ssr")))]
    {
        // gloo-net's future is not Send; in the browser there is one thread, so the
        // wrapper only satisfies the bound that Leptos resources ask for.
        send_wrapper::SendWrapper::new(async move {
            let sent = gloo_net::http::Request::get(&path)
                .header("Accept", "application/json")
                .send()
                .await;
            decoded(sent).await
        })
        .await
    }
    #[cfg(not(any(feature = "ssr", feature = "hydrate")))]
    {
        let _ = path;
        Err(ApiError::Transport("built without a transport".into()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_escape_odd_segments() {
        assert_eq!(
            service_path("renew-a-licence"),
            "/api/v1/services/renew-a-licence"
        );
        assert_eq!(service_path("a/b c"), "/api/v1/services/a%2Fb%20c");
        assert_eq!(
            write_token_path("my service", "a/b"),
            "/api/v1/data-sets/my%20service/a%2Fb/token"
        );
        assert_eq!(
            publish_path("renew a/b"),
            "/api/v1/dashboards/renew%20a%2Fb/publish"
        );
        assert_eq!(service_kpis_path(""), "/api/v1/service-kpis");
        assert_eq!(
            service_kpis_path("name=driv"),
            "/api/v1/service-kpis?name=driv"
        );
    }

    #[test]
    fn error_bodies_become_messages() {
        let e = error_from_body(404, br#"{"status":"error","message":"no such service"}"#);
        assert_eq!(e.to_string(), "no such service");
        assert!(e.is_not_found());
        let e = error_from_body(502, b"<html>");
        assert_eq!(e.to_string(), "the server answered with status 502");
    }
}
