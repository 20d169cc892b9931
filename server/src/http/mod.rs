//! HTTP: the API router (`/_status`, `/api/v1/...`) and the whole app around it.

pub mod alerts;
pub mod annotations;
pub mod api_v1;
pub mod auth;
pub mod boards;
pub mod client;
pub mod contract;
pub mod dashboards;
pub mod data;
pub mod data_sets;
pub mod digests;
pub mod extract;
pub mod guide;
pub mod invitations;
pub mod keys;
pub mod listen;
pub mod live;
pub mod orgs;
pub mod reminders;
pub mod security;
pub mod session;
pub mod state;
pub mod statics;
pub mod status;
pub mod two_factor;
pub mod users;

use std::sync::atomic::{AtomicU64, Ordering};

use app::{api::InProcessApi, shell, App};
use axum::{http::Request, Router};
use leptos::prelude::*;
use leptos_axum::{generate_route_list, LeptosRoutes};
use tower_http::{
    catch_panic::CatchPanicLayer,
    compression::CompressionLayer,
    trace::{DefaultOnFailure, DefaultOnResponse, TraceLayer},
};
use tracing::Level;
use utoipa::{Modify, OpenApi};
use utoipa_axum::{router::OpenApiRouter, routes};

pub use crate::http::state::AppState;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Pulse",
        description = "How public services perform. `/data/...` is compatible with the \
            Performance Platform's Backdrop data store; `/api/v1/...` is everything else.",
        license(name = "MIT")
    ),
    modifiers(&BearerAuth)
)]
struct ApiDoc;

/// API keys and data sets' write tokens are sent as `Authorization: Bearer`.
struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
        openapi
            .components
            .get_or_insert_with(Default::default)
            .add_security_scheme(
                "bearer",
                SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
            );
    }
}

/// Every API route, registered with its OpenAPI description: the router and the
/// document are built from this one list, so they cannot drift apart.
fn api_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(openapi_json))
        .merge(status::router())
        .merge(data::router())
        .nest("/api/v1", api_v1::router())
}

/// The OpenAPI 3 document of the API, with the bounds this server is run
/// with (`PULSE_MAX_KEY_DAYS`).
pub fn openapi() -> utoipa::openapi::OpenApi {
    static DOCUMENT: std::sync::OnceLock<utoipa::openapi::OpenApi> = std::sync::OnceLock::new();
    let mut document = DOCUMENT
        .get_or_init(|| {
            let mut document = api_routes().split_for_parts().1;
            contract::document_errors(&mut document);
            document.info.version = env!("CARGO_PKG_VERSION").to_string();
            document
        })
        .clone();
    keys::document_max_days(&mut document);
    document
}

/// This document: every route of `/data`, `/api/v1` and `/_status`.
#[utoipa::path(get, path = "/api/openapi.json", tag = "health",
    responses((status = 200, description = "The OpenAPI 3 document", body = serde_json::Value)))]
async fn openapi_json() -> axum::Json<utoipa::openapi::OpenApi> {
    axum::Json(openapi())
}

/// The public API: the part of Pulse a program with a key can call, and the part
/// the pages call in-process while rendering.
pub fn api_router(state: AppState) -> Router {
    let (router, _) = api_routes().split_for_parts();
    router
        .route("/api/v1", axum::routing::any(extract::unknown_route))
        .route(
            "/api/v1/{*rest}",
            axum::routing::any(extract::unknown_route),
        )
        .method_not_allowed_fallback(extract::method_not_allowed)
        .layer(axum::middleware::from_fn(extract::refuse_oversized))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            crate::http::client::layer,
        ))
        .layer(CatchPanicLayer::custom(api_panicked))
        .with_state(state)
}

/// The words of a panic, as far as they are words.
fn panic_words(payload: &(dyn std::any::Any + Send)) -> &str {
    payload
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| payload.downcast_ref::<&str>().copied())
        .unwrap_or("(no message)")
}

/// A fault in Pulse while answering an API request (a panic): the answer is
/// a 500 in the API's own JSON, and the fault is logged; the connection and
/// every other request carry on.
fn api_panicked(payload: Box<dyn std::any::Any + Send + 'static>) -> axum::response::Response {
    use axum::response::IntoResponse;
    tracing::error!(
        panic = panic_words(&*payload),
        "an API request failed in Pulse (a panic)"
    );
    (
        axum::http::StatusCode::INTERNAL_SERVER_ERROR,
        axum::Json(app::model::ErrorBody {
            status: "error".into(),
            message: "Something went wrong on our side; it has been logged.".into(),
        }),
    )
        .into_response()
}

/// The page a person sees when rendering a page failed in Pulse (a panic):
/// GOV.UK's words for it, a 500, and the fault logged.
fn page_panicked(payload: Box<dyn std::any::Any + Send + 'static>) -> axum::response::Response {
    tracing::error!(
        panic = panic_words(&*payload),
        "a page failed in Pulse (a panic)"
    );
    sorry_page()
}

/// GOV.UK's words for a fault in the service, as a 500.
fn sorry_page() -> axum::response::Response {
    use axum::response::IntoResponse;
    (
        axum::http::StatusCode::INTERNAL_SERVER_ERROR,
        [(axum::http::header::CACHE_CONTROL, "no-store")],
        axum::response::Html(
            "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
             <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
             <title>Sorry, there is a problem with the service - Pulse</title></head>\
             <body><main><h1>Sorry, there is a problem with the service</h1>\
             <p>Try again later. The problem has been logged.</p>\
             <p><a href=\"/\">Go to Pulse's home page</a></p></main></body></html>\n",
        ),
    )
        .into_response()
}

/// Makes a page to its end even when the browser has gone, and answers with
/// the whole of it. Leptos disposes a page's reactive owner when its response
/// is dropped, as when the browser closes the connection; a task of the page
/// still running then reads what was disposed and panics ("Tried to access a
/// reactive value that has already been disposed", from
/// `Suspend::dry_resolve`), leaving that task's thread with a disposed owner
/// and observer current (reactive_graph puts back the previous ones only when
/// nothing panicked), which the next page rendered on the thread may meet. So
/// a page is made in a task of its own that reads its whole body before
/// anything is dropped; the request waits for that task. Nothing is lost by
/// not streaming: pages are sent once their data is in (`SsrMode::Async`).
async fn whole_page(
    request: Request<axum::body::Body>,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use tracing::Instrument;
    let made = tokio::spawn(
        async move {
            let (parts, body) = next.run(request).await.into_parts();
            (parts, axum::body::to_bytes(body, usize::MAX).await)
        }
        .in_current_span(),
    );
    match made.await {
        Ok((parts, Ok(bytes))) => axum::response::Response::from_parts(parts, bytes.into()),
        Ok((_, Err(error))) => {
            tracing::error!(%error, "a page's body failed in Pulse");
            sorry_page()
        }
        Err(failed) => match failed.try_into_panic() {
            Ok(payload) => page_panicked(payload),
            Err(failed) => {
                tracing::error!(%failed, "a page's task ended early");
                sorry_page()
            }
        },
    }
}

/// Reads a page's query as the browser will. Leptos' router decodes each
/// query value twice, the second time on the server leniently (a broken
/// escape kept, bytes that are no UTF-8 made U+FFFD) and in the browser by
/// `decodeURIComponent`, which refuses such a value whole and keeps it as
/// it was. A value both decoding and refused (`%2541%25FF`, read once as
/// `%41%FF`) was then `A\u{FFFD}` on the server and `%41%FF` in the browser:
/// a page drawing its markup from it (the comparison's services, a digest's
/// board) drew one thing on the server and another in the browser, whose
/// hydration then panicked. Such a value is escaped once more here, so the
/// server reads it as the browser does; every other request is untouched.
async fn query_as_browsers_read_it(
    mut request: Request<axum::body::Body>,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let read_again = request.uri().query().and_then(browsers_query);
    if let Some(query) = read_again {
        let path = request.uri().path();
        if let Ok(uri) = format!("{path}?{query}").parse() {
            *request.uri_mut() = uri;
        }
    }
    next.run(request).await
}

/// `query` with each value the browser's `decodeURIComponent` refuses and
/// the server's lenient decoding would change escaped once more (its `%`
/// as `%25`), so both read it as it is; `None` when there is none.
fn browsers_query(query: &str) -> Option<String> {
    let mut changed = false;
    let pairs: Vec<(String, String)> = form_urlencoded::parse(query.as_bytes())
        .map(|(name, value)| {
            let refused = strictly_decoded(&value).is_none();
            let escapes = value
                .as_bytes()
                .windows(3)
                .any(|w| w[0] == b'%' && w[1].is_ascii_hexdigit() && w[2].is_ascii_hexdigit());
            if refused && escapes {
                changed = true;
                (name.into_owned(), value.replace('%', "%25"))
            } else {
                (name.into_owned(), value.into_owned())
            }
        })
        .collect();
    changed.then(|| {
        form_urlencoded::Serializer::new(String::new())
            .extend_pairs(&pairs)
            .finish()
    })
}

/// `value` decoded as `decodeURIComponent` does: `None` for a `%` not
/// followed by two hex digits, or bytes that are not UTF-8.
fn strictly_decoded(value: &str) -> Option<String> {
    let bytes = value.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = bytes.get(i + 1..i + 3)?;
            if !hex.iter().all(u8::is_ascii_hexdigit) {
                return None;
            }
            out.push(u8::from_str_radix(std::str::from_utf8(hex).ok()?, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// The pages' routes, listed once per process. Leptos lists them by rendering
/// the app with resource loading suppressed process-wide: a page rendering
/// meanwhile, on another thread, would wait for ever for its data (leptos
/// issue 4773). `pulse serve` builds its app once, but the tests build one
/// per test, side by side.
fn route_list() -> Vec<leptos_axum::AxumRouteListing> {
    static ROUTES: std::sync::OnceLock<Vec<leptos_axum::AxumRouteListing>> =
        std::sync::OnceLock::new();
    ROUTES.get_or_init(|| generate_route_list(App)).clone()
}

/// Counts every request for `/metrics`: its kind of route, status and time.
async fn count_request(
    request: Request<axum::body::Body>,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let began = std::time::Instant::now();
    let method = request.method().to_string();
    let path = request.uri().path().to_string();
    let response = next.run(request).await;
    crate::metrics::request(&method, &path, response.status().as_u16(), began.elapsed());
    response
}

/// `GET /metrics`: Prometheus's text format (see [`crate::metrics`]). For the
/// monitoring network: a proxy in front of Pulse need not pass it on.
async fn metrics_page() -> impl axum::response::IntoResponse {
    (
        [
            (
                axum::http::header::CONTENT_TYPE,
                "text/plain; version=0.0.4; charset=utf-8",
            ),
            (axum::http::header::CACHE_CONTROL, "no-store"),
        ],
        crate::metrics::render(),
    )
}

/// The whole app: pages (server-rendered, then hydrated), the API, static files.
pub fn app(state: AppState) -> Router {
    let api = api_router(state.clone());
    let in_process = InProcessApi(api.clone());
    let options = state.leptos_options.clone();
    let routes = route_list();
    // Static files by their own routes: dashboards live at `/{dashboard}` and
    // `/{dashboard}/{module}`, which would otherwise take `/favicon.svg` and
    // `/pkg/pulse.js`.
    let site = std::path::PathBuf::from(options.site_root.as_ref());
    let statics = statics::router(&site, &options.site_pkg_dir, options.hash_files);
    let pages = Router::new()
        .leptos_routes_with_context(
            &state,
            routes,
            move || {
                provide_context(in_process.clone());
                provide_context(app::api::PageScope(std::sync::Arc::new(
                    data::PageReads::default(),
                )));
            },
            {
                let options = options.clone();
                move || shell(options.clone())
            },
        )
        .fallback(leptos_axum::file_and_error_handler::<AppState, _>(shell))
        .with_state(state)
        .layer(CatchPanicLayer::custom(page_panicked))
        .layer(axum::middleware::from_fn(whole_page))
        .layer(axum::middleware::from_fn(query_as_browsers_read_it));
    pages
        .merge(statics)
        .merge(api)
        .route("/metrics", axum::routing::get(metrics_page))
        .layer(axum::middleware::from_fn(extract::unknown_data_routes))
        .layer(axum::middleware::from_fn(count_request))
        .layer(CompressionLayer::new())
        .layer(axum::middleware::map_response(security::headers))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(|request: &Request<_>| {
                    // A number per request, in every log line of its span, so an error
                    // logged deep inside can be matched to its request.
                    static NEXT_ID: AtomicU64 = AtomicU64::new(1);
                    let id = NEXT_ID.fetch_add(1, Ordering::Relaxed);
                    let uri = without_secrets(request.uri());
                    tracing::info_span!("request", id, method = %request.method(), uri = %uri)
                })
                .on_response(DefaultOnResponse::new().level(Level::INFO))
                .on_failure(DefaultOnFailure::new().level(Level::ERROR)),
        )
}

/// A request's address as the log shows it: a `token` in its query (an
/// invitation's, a password reset's, an unsubscribe link's) is left out, so
/// the log holds no working link.
fn without_secrets(uri: &axum::http::Uri) -> String {
    let Some(query) = uri.query() else {
        return uri.to_string();
    };
    let kept: Vec<&str> = query
        .split('&')
        .map(|pair| {
            if pair.split('=').next() == Some("token") {
                "token=…"
            } else {
                pair
            }
        })
        .collect();
    format!("{}?{}", uri.path(), kept.join("&"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;
    use http_body_util::BodyExt;
    use tower::ServiceExt;

    /// A route that fails in Pulse, behind each kind of answer to it.
    async fn ask(router: Router) -> (u16, String, String) {
        let answer = router
            .oneshot(Request::get("/fails").body(Body::empty()).unwrap())
            .await
            .unwrap();
        let status = answer.status().as_u16();
        let kind = answer.headers()[axum::http::header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .to_string();
        let body = answer.into_body().collect().await.unwrap().to_bytes();
        (status, kind, String::from_utf8_lossy(&body).into_owned())
    }

    fn failing() -> Router {
        Router::new().route(
            "/fails",
            axum::routing::get(|| async {
                std::hint::black_box(None::<&'static str>).expect("a fault in Pulse")
            }),
        )
    }

    #[tokio::test]
    async fn a_panic_is_answered_with_a_500_in_words() {
        let (status, kind, body) =
            ask(failing().layer(CatchPanicLayer::custom(api_panicked))).await;
        assert_eq!(status, 500);
        assert_eq!(kind, "application/json");
        let body: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(
            body,
            serde_json::json!({"status": "error",
                "message": "Something went wrong on our side; it has been logged."})
        );
        let (status, kind, body) =
            ask(failing().layer(CatchPanicLayer::custom(page_panicked))).await;
        assert_eq!(status, 500);
        assert_eq!(kind, "text/html; charset=utf-8");
        assert!(
            body.contains("<h1>Sorry, there is a problem with the service</h1>"),
            "{body}"
        );
    }

    #[test]
    fn the_log_shows_no_link_s_token() {
        let shown = |uri: &str| without_secrets(&uri.parse().unwrap());
        assert_eq!(
            shown("/invitation?token=evrzks_F_GWffeRzi"),
            "/invitation?token=…"
        );
        assert_eq!(
            shown("/api/v1/mail/unsubscribe?address=sam%40example.gov.uk&token=9ad3e5"),
            "/api/v1/mail/unsubscribe?address=sam%40example.gov.uk&token=…"
        );
        assert_eq!(
            shown("/file-a-tax-return?period=month&tokens=2"),
            "/file-a-tax-return?period=month&tokens=2"
        );
        assert_eq!(shown("/services"), "/services");
    }

    #[test]
    fn a_query_is_read_on_the_server_as_the_browser_reads_it() {
        // What decodeURIComponent takes is left alone, broken or not.
        for query in [
            "services=register-a-birth%2Cfile-a-tax-return",
            "name=50%25",
            "name=%25",
            "kpi=%2541",
            "name=caf%C3%A9",
            "a=%FF",
            "",
        ] {
            assert_eq!(browsers_query(query), None, "{query}");
        }
        // Refused by it, and changed by a lenient decoding: kept as sent.
        let query =
            browsers_query("services=%2572egister-a-birth%2C%25FF&kpi=transactions").unwrap();
        let pairs: Vec<(String, String)> = form_urlencoded::parse(query.as_bytes())
            .into_owned()
            .collect();
        assert_eq!(
            pairs,
            [
                (
                    "services".to_string(),
                    "%2572egister-a-birth,%25FF".to_string()
                ),
                ("kpi".to_string(), "transactions".to_string()),
            ]
        );
        assert_eq!(
            browsers_query("x=%2541%25").as_deref(),
            Some("x=%252541%2525")
        );
        assert_eq!(strictly_decoded("%41%C3%A9"), Some("Aé".to_string()));
        assert_eq!(strictly_decoded("%41%"), None);
        assert_eq!(strictly_decoded("%E9"), None);
        assert_eq!(strictly_decoded("%4"), None);
        assert_eq!(strictly_decoded("%zz"), None);
        assert_eq!(strictly_decoded("%+1"), None);
    }

    #[test]
    fn a_panic_s_words_are_read() {
        assert_eq!(panic_words(&String::from("out of range")), "out of range");
        assert_eq!(panic_words(&"a fault"), "a fault");
        assert_eq!(panic_words(&7_u8), "(no message)");
    }
}
