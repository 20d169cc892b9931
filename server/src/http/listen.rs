//! How `pulse serve` takes connections, so that no client can use the server
//! up. A request's head must arrive within the header timeout (a connection
//! sending it slowly, or idle that long between requests, is closed); a body
//! may pause at most the body timeout; an answer may wait at most the send
//! timeout for a client that does not take it; the connections open at once stay
//! below the limit on open files, so the database always has files to open;
//! and one client address may hold only so many of them, so one client cannot
//! take every place. Without these, one client holding 20,000 connections that
//! sent a request's head a line at a time left no page answered, and the
//! server's memory went from 67 MB to 585 MB.

use std::{
    future::Future,
    net::SocketAddr,
    sync::Arc,
    time::{Duration, Instant},
};

use axum::{body::Body, extract::ConnectInfo, Router};
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::{net::TcpListener, sync::Semaphore};
use tower::ServiceExt;

use super::client::TrustedProxies;
use crate::domain::caller::Held;

/// Files kept for the database, the site's files, snapshots and logs when
/// the most connections is worked out from the limit on open files.
const KEPT_FILES: u64 = 256;

/// What a client may hold and how long it may take.
#[derive(Clone, Debug)]
pub struct Limits {
    /// The most connections open at once; past it, new ones wait.
    pub connections: usize,
    /// The most one client address may hold (0: no limit); past it, its new
    /// connections are closed at once.
    pub per_address: usize,
    /// How long a request's head may take to arrive.
    pub header: Duration,
    /// How long a request's body may pause.
    pub body: Duration,
    /// How long an answer may wait for the client to take it.
    pub send: Duration,
    /// Proxies, which speak for many people and are not limited by address.
    pub trusted: TrustedProxies,
}

/// The most connections: `configured`, or by default the open-file limit
/// less [`KEPT_FILES`]. Either way the soft limit on open files is first
/// raised to the hard one (as Go's runtime does at start), so a configured
/// number is not cut short by a low soft limit.
pub fn connections(configured: Option<u64>) -> usize {
    let limit = raise_open_file_limit();
    let most = configured.unwrap_or(limit.saturating_sub(KEPT_FILES).max(16));
    usize::try_from(most).unwrap_or(usize::MAX)
}

/// Raises the soft limit on open files to the hard one where it can, and
/// returns the soft limit (at most a million: "unlimited" is not a count).
fn raise_open_file_limit() -> u64 {
    use rustix::process::{getrlimit, setrlimit, Resource, Rlimit};
    const MOST: u64 = 1 << 20;
    let now = getrlimit(Resource::Nofile);
    let wanted = now.maximum.unwrap_or(MOST).min(MOST);
    let current = now.current.unwrap_or(MOST).min(MOST);
    if current < wanted {
        let raised = Rlimit {
            current: Some(wanted),
            maximum: now.maximum,
        };
        if setrlimit(Resource::Nofile, raised).is_ok() {
            return wanted;
        }
    }
    current
}

/// Whether an error from `accept` concerns one connection only (the next
/// accept may work at once).
fn one_connection(e: &std::io::Error) -> bool {
    use std::io::ErrorKind::*;
    matches!(
        e.kind(),
        ConnectionRefused | ConnectionAborted | ConnectionReset
    )
}

/// Serves `router` on `listener` until `shutdown` completes, then lets the
/// open connections finish the requests they are answering.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limits: Limits,
    shutdown: impl Future<Output = ()>,
) {
    let most = u32::try_from(limits.connections.clamp(1, 1 << 20)).unwrap_or(1 << 20);
    let places = Arc::new(Semaphore::new(most as usize));
    let held = Arc::new(Held::default());
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(limits.header);
    let mut refused = 0u64;
    let mut told = None::<Instant>;
    tokio::pin!(shutdown);
    loop {
        let place = tokio::select! {
            place = places.clone().acquire_owned() => match place {
                Ok(place) => place,
                Err(_) => break,
            },
            () = &mut shutdown => break,
        };
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) if one_connection(&e) => continue,
                Err(e) => {
                    // Out of files or memory: wait for some to be given back.
                    tracing::error!("could not take a connection: {e}");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let counted = if limits.per_address == 0 || limits.trusted.trusts(peer.ip()) {
            None
        } else {
            match held.take(peer.ip(), limits.per_address) {
                Some(counted) => Some(counted),
                None => {
                    drop(stream);
                    refused += 1;
                    if told.is_none_or(|t| t.elapsed() >= Duration::from_secs(60)) {
                        tracing::warn!(
                            "closed {refused} connection(s) from {} over its {} open at once \
                             (--max-connections-per-address)",
                            peer.ip(),
                            limits.per_address
                        );
                        refused = 0;
                        told = Some(Instant::now());
                    }
                    continue;
                }
            }
        };
        let router = router.clone();
        let pause = limits.body;
        let service = hyper::service::service_fn(move |mut request: hyper::Request<Incoming>| {
            request
                .extensions_mut()
                .insert(ConnectInfo::<SocketAddr>(peer));
            let request = request.map(|body| Body::new(Paced::new(Body::new(body), pause)));
            router.clone().oneshot(request)
        });
        let stream = Taken::new(stream, limits.send);
        let connection = http.serve_connection(TokioIo::new(stream), service);
        let mut stopped = stopped.clone();
        tokio::spawn(async move {
            let _place = place;
            let _counted = counted;
            tokio::pin!(connection);
            tokio::select! {
                _ = connection.as_mut() => return,
                _ = stopped.wait_for(|stop| *stop) => connection.as_mut().graceful_shutdown(),
            }
            let _ = connection.await;
        });
    }
    drop(listener);
    let _ = stop.send(true);
    // Every place given back: every connection has finished.
    let _ = places.acquire_many(most).await;
}

/// The fewest bytes a second a body must average once it has taken longer
/// than the body timeout (a 10 MiB upload may take three hours at this rate,
/// and a client sending a byte every few seconds is cut off), and the fewest
/// a client must take of an answer once it has kept it waiting longer than
/// the send timeout.
pub const SLOWEST_RATE: u64 = 1_000;

/// How much longer a transfer may wait for the other side, `spent` into it
/// (the time it has waited so far) with `bytes` moved: at most `pause`, and
/// no longer than `pause` beyond what the bytes earned at [`SLOWEST_RATE`].
fn may_wait(pause: Duration, spent: Duration, bytes: u64) -> Duration {
    let earned = Duration::from_millis(bytes.saturating_mul(1000) / SLOWEST_RATE);
    pause.min((pause + earned).saturating_sub(spent))
}

/// Why a body was not read to its end: it paused too long, or came too slowly.
#[derive(Debug)]
pub struct TooSlow;

impl std::fmt::Display for TooSlow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("the body paused too long or came too slowly")
    }
}

impl std::error::Error for TooSlow {}

/// A request's body that must keep coming: each part within `pause` of the
/// last, and [`SLOWEST_RATE`] bytes a second on average after the first
/// `pause` (so a body that trickles is cut off as one that stops is).
struct Paced {
    body: Body,
    pause: Duration,
    began: tokio::time::Instant,
    received: u64,
    deadline: std::pin::Pin<Box<tokio::time::Sleep>>,
}

impl Paced {
    fn new(body: Body, pause: Duration) -> Paced {
        let began = tokio::time::Instant::now();
        Paced {
            body,
            pause,
            began,
            received: 0,
            deadline: Box::pin(tokio::time::sleep_until(began + pause)),
        }
    }

    /// When the next part must have come: the sooner of a pause from `now`
    /// and the time the bytes so far have earned.
    fn next_deadline(&self, now: tokio::time::Instant) -> tokio::time::Instant {
        now + may_wait(self.pause, now - self.began, self.received)
    }
}

impl http_body::Body for Paced {
    type Data = bytes::Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<http_body::Frame<Self::Data>, Self::Error>>> {
        use std::task::Poll;
        let this = &mut *self;
        match std::pin::Pin::new(&mut this.body).poll_frame(cx) {
            Poll::Ready(Some(Ok(frame))) => {
                if let Some(data) = frame.data_ref() {
                    this.received += data.len() as u64;
                    let next = this.next_deadline(tokio::time::Instant::now());
                    this.deadline.as_mut().reset(next);
                }
                Poll::Ready(Some(Ok(frame)))
            }
            Poll::Pending => match this.deadline.as_mut().poll(cx) {
                Poll::Ready(()) => Poll::Ready(Some(Err(axum::Error::new(TooSlow)))),
                Poll::Pending => Poll::Pending,
            },
            done => done,
        }
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.body.size_hint()
    }
}

/// Why a connection was closed while answering: its client did not take the
/// answer in time.
#[derive(Debug)]
struct NotTaken;

impl std::fmt::Display for NotTaken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("the client did not take its answer in time (--send-timeout)")
    }
}

impl std::error::Error for NotTaken {}

/// A connection whose client must take what it is sent: a write may wait at
/// most `pause` for it, and all the waiting together may pass `pause` only by
/// the time the bytes taken earned at [`SLOWEST_RATE`]. Only time spent
/// waiting for the client counts (a live stream with nothing to say waits on
/// no one). Without it, a client that asked for pages and never read them
/// held its connections, and their answers, for ever.
struct Taken<S> {
    stream: S,
    pause: Duration,
    /// Bytes the client has taken, and how long it kept writes waiting.
    sent: u64,
    waited: Duration,
    /// Since when the write now waiting has waited.
    since: Option<tokio::time::Instant>,
    deadline: std::pin::Pin<Box<tokio::time::Sleep>>,
}

impl<S> Taken<S> {
    fn new(stream: S, pause: Duration) -> Taken<S> {
        Taken {
            stream,
            pause,
            sent: 0,
            waited: Duration::ZERO,
            since: None,
            deadline: Box::pin(tokio::time::sleep(pause)),
        }
    }

    /// What a write came to: counted if it went, timed if it waits.
    fn count(
        &mut self,
        cx: &mut std::task::Context<'_>,
        polled: std::task::Poll<std::io::Result<usize>>,
    ) -> std::task::Poll<std::io::Result<usize>> {
        use std::task::Poll;
        match polled {
            Poll::Pending => {
                if self.since.is_none() {
                    let now = tokio::time::Instant::now();
                    self.since = Some(now);
                    let wait = may_wait(self.pause, self.waited, self.sent);
                    self.deadline.as_mut().reset(now + wait);
                }
                match self.deadline.as_mut().poll(cx) {
                    Poll::Ready(()) => Poll::Ready(Err(std::io::Error::new(
                        std::io::ErrorKind::TimedOut,
                        NotTaken,
                    ))),
                    Poll::Pending => Poll::Pending,
                }
            }
            done => {
                if let Some(since) = self.since.take() {
                    self.waited += since.elapsed();
                }
                if let Poll::Ready(Ok(n)) = done {
                    self.sent += n as u64;
                }
                done
            }
        }
    }
}

impl<S: tokio::io::AsyncRead + Unpin> tokio::io::AsyncRead for Taken<S> {
    fn poll_read(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.stream).poll_read(cx, buf)
    }
}

impl<S: tokio::io::AsyncWrite + Unpin> tokio::io::AsyncWrite for Taken<S> {
    fn poll_write(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &[u8],
    ) -> std::task::Poll<std::io::Result<usize>> {
        let polled = std::pin::Pin::new(&mut self.stream).poll_write(cx, buf);
        self.count(cx, polled)
    }

    fn poll_write_vectored(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> std::task::Poll<std::io::Result<usize>> {
        let polled = std::pin::Pin::new(&mut self.stream).poll_write_vectored(cx, bufs);
        self.count(cx, polled)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    fn poll_flush(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.stream).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_body_must_keep_coming() {
        let pause = Duration::from_secs(30);
        let mut paced = Paced::new(Body::empty(), pause);
        let began = paced.began;
        // Nothing yet: a pause from the start.
        assert_eq!(paced.next_deadline(began), began + pause);
        // 5,000 bytes by 2 s: a pause from then (5 s earned, beyond it).
        paced.received = 5_000;
        let now = began + Duration::from_secs(2);
        assert_eq!(paced.next_deadline(now), now + pause);
        // Still 5,000 bytes at 33 s: the 35 s they earned come first.
        let now = began + Duration::from_secs(33);
        assert_eq!(
            paced.next_deadline(now),
            began + pause + Duration::from_secs(5)
        );
    }
}
