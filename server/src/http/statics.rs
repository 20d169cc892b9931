//! The site's static files and how browsers may keep them.
//!
//! Both are sent compressed with Brotli (or gzip) from copies the release build
//! made (`cargo leptos build --precompress`), where the browser accepts it.
//!
//! - `/pkg`: the wasm, its JavaScript and the stylesheet. A release build names
//!   them by their content's hash (`hash-files` in the workspace's Leptos
//!   settings), so a name never changes meaning: browsers keep them for a year
//!   without asking again. An unhashed build's files are checked every time.
//! - `/vendor` (GOV.UK Frontend's stylesheet, ECharts) and `/favicon.svg` keep
//!   their names across versions: each answer carries an `ETag` of the file's
//!   content, and a browser that sends it back gets `304 Not Modified`.

use std::{
    collections::HashMap,
    path::{Path, PathBuf},
    sync::Arc,
};

use axum::{
    extract::Request,
    http::{header, HeaderValue, StatusCode},
    middleware::{self, Next},
    response::{IntoResponse, Response},
    Router,
};
use sha2::{Digest, Sha256};
use tower_http::{
    services::{ServeDir, ServeFile},
    set_header::SetResponseHeaderLayer,
};

/// How long a hashed file may be kept: a year, never revalidated.
const IMMUTABLE: &str = "public, max-age=31536000, immutable";
/// Files whose names stay the same: kept, but checked before each use.
const REVALIDATE: &str = "no-cache";

/// The routes of the static files under `site` (the site root); `pkg` is its
/// package folder's name and `hashed` whether the build named files by hash.
pub fn router(site: &Path, pkg: &str, hashed: bool) -> Router {
    let pkg_cache = if hashed { IMMUTABLE } else { REVALIDATE };
    let pkg_files = tower::ServiceBuilder::new()
        .layer(SetResponseHeaderLayer::overriding(
            header::CACHE_CONTROL,
            HeaderValue::from_static(pkg_cache),
        ))
        .service(precompressed(ServeDir::new(site.join(pkg))));
    let tags = Arc::new(ETags::of(site));
    let named = Router::new()
        .nest_service("/vendor", precompressed(ServeDir::new(site.join("vendor"))))
        .route_service("/favicon.svg", ServeFile::new(site.join("favicon.svg")))
        .layer(middleware::from_fn(move |request: Request, next: Next| {
            let tags = tags.clone();
            async move { tags.answer(request, next).await }
        }));
    Router::new()
        .nest_service(&format!("/{pkg}"), pkg_files)
        .merge(named)
}

/// A release build (`--precompress`) puts a Brotli and a gzip copy beside each
/// file: sent to browsers that take them, instead of compressing on the fly.
fn precompressed(dir: ServeDir) -> ServeDir {
    dir.precompressed_br().precompressed_gzip()
}

/// The `ETag` of each file under `/vendor` and of the favicon, by URL path,
/// computed once when Pulse starts (the files are installed with it).
struct ETags(HashMap<String, HeaderValue>);

impl ETags {
    fn of(site: &Path) -> Self {
        let mut tags = HashMap::new();
        let mut files: Vec<(String, PathBuf)> =
            vec![("/favicon.svg".into(), site.join("favicon.svg"))];
        if let Ok(entries) = std::fs::read_dir(site.join("vendor")) {
            for entry in entries.flatten() {
                let name = entry.file_name().to_string_lossy().into_owned();
                // Compressed copies are sent under their file's own name.
                if !name.ends_with(".br") && !name.ends_with(".gz") {
                    files.push((format!("/vendor/{name}"), entry.path()));
                }
            }
        }
        for (path, file) in files {
            if let Ok(bytes) = std::fs::read(&file) {
                let digest = Sha256::digest(&bytes);
                let hex: String = digest[..12].iter().map(|b| format!("{b:02x}")).collect();
                // Weak: the same file may be sent compressed or not.
                if let Ok(value) = HeaderValue::from_str(&format!("W/\"{hex}\"")) {
                    tags.insert(path, value);
                }
            }
        }
        ETags(tags)
    }

    async fn answer(&self, request: Request, next: Next) -> Response {
        let Some(tag) = self.0.get(request.uri().path()).cloned() else {
            return next.run(request).await;
        };
        let known = request
            .headers()
            .get_all(header::IF_NONE_MATCH)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .any(|v| v.trim() == "*" || weak_eq(v.trim(), tag.to_str().unwrap_or_default()));
        let mut response = if known {
            StatusCode::NOT_MODIFIED.into_response()
        } else {
            next.run(request).await
        };
        if response.status().is_success() || response.status() == StatusCode::NOT_MODIFIED {
            let headers = response.headers_mut();
            headers.insert(header::ETAG, tag);
            headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(REVALIDATE));
        }
        response
    }
}

/// Whether two entity tags name the same content (weak comparison).
fn weak_eq(a: &str, b: &str) -> bool {
    a.trim_start_matches("W/") == b.trim_start_matches("W/")
}

#[cfg(test)]
mod tests {
    use super::{router, weak_eq};
    use axum::{
        body::Body,
        http::{header, Request, StatusCode},
    };
    use tower::ServiceExt;

    #[test]
    fn tags_compare_weakly() {
        assert!(weak_eq("W/\"ab\"", "\"ab\""));
        assert!(weak_eq("\"ab\"", "W/\"ab\""));
        assert!(!weak_eq("\"ab\"", "\"abc\""));
    }

    fn site() -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("pkg")).unwrap();
        std::fs::create_dir_all(dir.path().join("vendor")).unwrap();
        std::fs::write(dir.path().join("pkg/pulse.AbC.js"), "export {}").unwrap();
        std::fs::write(dir.path().join("vendor/echarts.min.js"), "var e").unwrap();
        std::fs::write(dir.path().join("favicon.svg"), "<svg/>").unwrap();
        dir
    }

    async fn get(app: &axum::Router, path: &str, tag: Option<&str>) -> axum::http::Response<Body> {
        let mut request = Request::get(path);
        if let Some(tag) = tag {
            request = request.header(header::IF_NONE_MATCH, tag);
        }
        app.clone()
            .oneshot(request.body(Body::empty()).unwrap())
            .await
            .unwrap()
    }

    #[tokio::test]
    async fn hashed_files_are_kept_for_a_year_and_named_ones_revalidated() {
        let dir = site();
        let app = router(dir.path(), "pkg", true);
        let js = get(&app, "/pkg/pulse.AbC.js", None).await;
        assert_eq!(js.status(), StatusCode::OK);
        assert_eq!(
            js.headers()[header::CACHE_CONTROL],
            "public, max-age=31536000, immutable"
        );

        let vendor = get(&app, "/vendor/echarts.min.js", None).await;
        assert_eq!(vendor.status(), StatusCode::OK);
        assert_eq!(vendor.headers()[header::CACHE_CONTROL], "no-cache");
        let tag = vendor.headers()[header::ETAG].to_str().unwrap().to_string();
        assert!(tag.starts_with("W/\""), "{tag}");
        let again = get(&app, "/vendor/echarts.min.js", Some(&tag)).await;
        assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
        assert_eq!(again.headers()[header::ETAG], tag.as_str());
        let other = get(&app, "/vendor/echarts.min.js", Some("W/\"other\"")).await;
        assert_eq!(other.status(), StatusCode::OK);
        // A compressed copy beside a file is sent to a browser that takes it.
        std::fs::write(dir.path().join("vendor/echarts.min.js.br"), "br bytes").unwrap();
        let app = router(dir.path(), "pkg", true);
        let request = Request::get("/vendor/echarts.min.js")
            .header(header::ACCEPT_ENCODING, "br, gzip")
            .body(Body::empty())
            .unwrap();
        let br = app.clone().oneshot(request).await.unwrap();
        assert_eq!(br.headers()[header::CONTENT_ENCODING], "br");
        assert_eq!(br.headers()[header::ETAG], tag.as_str());
        let icon = get(&app, "/favicon.svg", None).await;
        assert!(icon.headers().contains_key(header::ETAG));
        assert_eq!(
            get(&app, "/vendor/none.js", None).await.status(),
            StatusCode::NOT_FOUND
        );

        // A build that did not hash its files: checked every time.
        let plain = router(dir.path(), "pkg", false);
        let js = get(&plain, "/pkg/pulse.AbC.js", None).await;
        assert_eq!(js.headers()[header::CACHE_CONTROL], "no-cache");
    }
}
