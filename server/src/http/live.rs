//! `GET /api/v1/live/{group}/{data_type}`: a data set's version, which moves
//! on with every change to its records, as JSON or, for a client that accepts
//! only `text/event-stream` (a browser's `EventSource`), as server-sent
//! events: one at once and one after each change, through this instance or
//! any other on the same database ([`crate::live`]). Live modules follow it.

use std::time::Duration;

use app::model::LiveVersion;
use axum::{
    extract::State,
    http::{header, HeaderMap, HeaderValue},
    response::{
        sse::{Event, KeepAlive, Sse},
        IntoResponse, Response,
    },
    Json,
};
use futures_util::stream;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::client::ClientInfo;
use super::extract::Path;
use super::AppState;
use crate::domain::caller::Caller;
use crate::error::{Error, Result};
use crate::store::data_sets;

/// How long one stream lasts: then it ends, and a browser's `EventSource`
/// opens another by itself (what a proxy's idle or lifetime limits expect).
const STREAM_FOR: Duration = Duration::from_secs(30 * 60);
/// How long a browser waits before opening a stream again.
const RETRY: Duration = Duration::from_secs(2);

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(live))
}

/// Whether the request asks for the stream: `Accept` names
/// `text/event-stream` and nothing else (as `EventSource` sends it).
fn wants_stream(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|v| v.split(';').next().unwrap_or("").trim())
        .fold(None, |only, media| match (only, media) {
            (None | Some(true), "text/event-stream") => Some(true),
            _ => Some(false),
        })
        .unwrap_or(false)
}

/// The version of a data set's records, which moves on with every change to
/// them. Public, as reads of the data are. Asked with `Accept:
/// text/event-stream` (alone), the answer is a stream of server-sent events
/// instead: an event `change` whose data is the version, at once and after
/// each change to the records through any instance on the same database
/// (within a second), a comment every 15 seconds, for 30 minutes (a browser's
/// `EventSource` then opens another); `503` with `Retry-After` when this
/// instance has as many streams open as it allows (`--live-streams`), or the
/// client's address holds its share of them (a fiftieth, at least 4).
#[utoipa::path(get, path = "/live/{group}/{data_type}", tag = "data sets",
    params(("group" = String, Path), ("data_type" = String, Path)),
    responses((status = 200, body = LiveVersion),
              (status = 401, description = "A key or session that is not valid", body = app::model::ErrorBody),
              (status = 404, description = "No such data set, or one that is not queryable", body = app::model::ErrorBody),
              (status = 503, description = "Too many streams open (with `Accept: text/event-stream`)", body = app::model::ErrorBody)))]
async fn live(
    State(state): State<AppState>,
    Path((group, data_type)): Path<(String, String)>,
    headers: HeaderMap,
    client: ClientInfo,
    _caller: Caller,
) -> Result<Response> {
    let data_set = data_sets::find(&state.store, &group, &data_type)
        .await?
        .filter(|d| d.queryable)
        .ok_or_else(|| Error::NotFound(format!("There is no data set {group}/{data_type}.")))?;
    if !wants_stream(&headers) {
        return Ok(Json(LiveVersion {
            data_set: format!("{group}/{data_type}"),
            version: data_set.version,
        })
        .into_response());
    }
    let permit = match state.live.admit(client.address) {
        Ok(permit) => permit,
        Err(None) => return Err(Error::Unavailable(
            "This Pulse has as many live streams open as it allows: ask again later, or read the data every few seconds.".into(),
        )),
        Err(Some(most)) => return Err(Error::Unavailable(format!(
            "Your address has as many live streams open as one address may ({most}): close some, or read the data every few seconds."
        ))),
    };
    let versions = state.live.watch(data_set.id, data_set.version);
    let until = tokio::time::Instant::now() + STREAM_FOR;
    let closing = Box::pin(state.live.closing());
    let events = stream::unfold(
        (versions, true, permit, closing),
        move |(mut versions, first, permit, mut closing)| async move {
            if !first {
                tokio::select! {
                    changed = versions.changed() => changed.ok()?,
                    _ = &mut closing => return None,
                    _ = tokio::time::sleep_until(until) => return None,
                }
            }
            let version = *versions.borrow_and_update();
            let mut event = Event::default()
                .event("change")
                .id(version.to_string())
                .data(version.to_string());
            if first {
                event = event.retry(RETRY);
            }
            Some((
                Ok::<_, std::convert::Infallible>(event),
                (versions, false, permit, closing),
            ))
        },
    );
    let mut response = Sse::new(events)
        .keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
        .into_response();
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    // A proxy that buffers would hold the events back.
    headers.insert("x-accel-buffering", HeaderValue::from_static("no"));
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_an_event_stream_alone_is_streamed() {
        let accept = |v: &str| {
            let mut h = HeaderMap::new();
            h.insert(header::ACCEPT, HeaderValue::from_str(v).unwrap());
            wants_stream(&h)
        };
        assert!(accept("text/event-stream"));
        assert!(accept("text/event-stream;q=1"));
        assert!(!accept("*/*"));
        assert!(!accept("application/json"));
        assert!(!accept("text/event-stream, application/json"));
        assert!(!wants_stream(&HeaderMap::new()));
    }
}
