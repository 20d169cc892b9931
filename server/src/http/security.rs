//! Headers every answer carries so that a browser treats it strictly: no
//! guessing of content types, no referrer sent to other sites, no framing by
//! other sites, and a `Content-Security-Policy` (a page's own, naming its
//! nonce, is set while it renders: see `app::shell`; everything else gets one
//! that allows nothing to run).

use axum::{
    http::{header, HeaderValue},
    response::Response,
};

/// Adds the headers to an answer (keeping a policy the page set itself).
pub async fn headers(mut response: Response) -> Response {
    let headers = response.headers_mut();
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    if !headers.contains_key(header::CONTENT_SECURITY_POLICY) {
        headers.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(app::html::OTHER_POLICY),
        );
    }
    response
}
