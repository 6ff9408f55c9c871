//! The accept loop of every listener: the API listener (plain HTTP), the partner listener
//! (mutual TLS, the handshake in [`crate::tls`]) and the optional metrics listener.
//!
//! A listener is where strangers reach the gateway first, so everything a client can hold
//! there is bounded, and each bound is a `[server]` setting ([`ServeOptions::from_settings`]):
//!
//! | what a client holds | bound | when it is reached |
//! |---|---|---|
//! | a connection | `max_connections` per listener | the listener stops accepting: new connections wait in the operating system's accept queue, unread, until a connection ends |
//! | a TLS handshake (partner listener) | `handshake_timeout_secs` | closed |
//! | the headers of an HTTP/1 request | `header_read_timeout_secs`, counted from when the connection is ready for its next request, so it also ends an idle HTTP/1 keep-alive connection | closed |
//! | a connection with no request in flight: before its first request, between requests, or while a request's headers trickle in (HTTP/1 and HTTP/2 alike) | `idle_timeout_secs` | told to close (HTTP/2: GOAWAY); still open and idle as long again: cut |
//! | an HTTP/2 peer that stopped answering | a PING every `keep_alive_interval_secs`, answered within `keep_alive_timeout_secs` | closed |
//! | HTTP/2 streams on one connection | `max_concurrent_streams` | announced in SETTINGS; streams beyond are refused |
//!
//! A request is in flight from its complete headers to the last byte of its response body,
//! so a long upload or download is never idle. Each cut is counted in
//! `ivd_http_connections_cut_total{listener, reason}`, open connections in
//! `ivd_http_connections_open{listener}`, and every time a listener is full in
//! `ivd_http_connections_at_capacity_total{listener}`.
//!
//! Waiting at the cap rather than refusing: a refused client learns nothing it can act on
//! and costs an accept and a close each time; a waiting one is served as soon as an idle or
//! slow connection is cut, and the kernel's queue bounds how many can wait.
//!
//! Every request carries the client's address (`axum::extract::ConnectInfo<SocketAddr>`)
//! and whatever the [`Handshake`] added (on the partner listener, the
//! [`crate::tls::PeerIdentity`] of the client certificate).
//!
//! Shutdown: when the token is cancelled the loop stops accepting at once, every open
//! connection is told to finish gracefully (HTTP/1 closes after the response in flight,
//! HTTP/2 sends GOAWAY), and connections still open after
//! [`ServeOptions::shutdown_grace`] are aborted.

use std::convert::Infallible;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::ConnectInfo;
use axum::http::{Extensions, Request};
use hyper::body::{Body as HttpBody, Frame, Incoming, SizeHint};
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::service::TowerToHyperService;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, watch};
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;
use tower::ServiceExt as _;

use crate::config::ServerSettings;
use crate::telemetry::metrics::ConnectionMetrics;

/// Bounds of one listener. [`Default`] gives the production values (those of
/// [`ServerSettings::default`]); [`ServeOptions::from_settings`] the configured ones.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ServeOptions {
    /// Most connections open at once (default 1024).
    pub max_connections: usize,
    /// How long a client has to complete the TLS handshake (default 10 s).
    pub handshake_timeout: Duration,
    /// How long an HTTP/1 client has to send a request's headers, from when the connection
    /// is ready for it (default 15 s).
    pub header_read_timeout: Duration,
    /// How long a connection may stay without a request in flight (default 60 s).
    pub idle_timeout: Duration,
    /// How often an HTTP/2 peer is pinged (default 30 s; `None`: never).
    pub keep_alive_interval: Option<Duration>,
    /// How long an HTTP/2 peer has to answer a ping (default 20 s).
    pub keep_alive_timeout: Duration,
    /// Most HTTP/2 streams in flight on one connection (default 100).
    pub max_concurrent_streams: u32,
    /// How long open connections may take to finish after shutdown (default 10 s).
    pub shutdown_grace: Duration,
    metrics: Option<ConnectionMetrics>,
}

impl Default for ServeOptions {
    fn default() -> Self {
        Self::from_settings(&ServerSettings::default())
    }
}

impl ServeOptions {
    /// The bounds configured in `[server]`.
    pub fn from_settings(server: &ServerSettings) -> Self {
        let secs = Duration::from_secs;
        Self {
            max_connections: server.max_connections,
            handshake_timeout: secs(server.handshake_timeout_secs),
            header_read_timeout: secs(server.header_read_timeout_secs),
            idle_timeout: secs(server.idle_timeout_secs),
            keep_alive_interval: (server.keep_alive_interval_secs > 0)
                .then(|| secs(server.keep_alive_interval_secs)),
            keep_alive_timeout: secs(server.keep_alive_timeout_secs),
            max_concurrent_streams: server.max_concurrent_streams,
            shutdown_grace: secs(server.shutdown_grace_secs),
            metrics: None,
        }
    }

    /// Sets [`ServeOptions::handshake_timeout`].
    pub fn handshake_timeout(mut self, timeout: Duration) -> Self {
        self.handshake_timeout = timeout;
        self
    }

    /// Sets [`ServeOptions::shutdown_grace`].
    pub fn shutdown_grace(mut self, grace: Duration) -> Self {
        self.shutdown_grace = grace;
        self
    }

    /// Sets [`ServeOptions::header_read_timeout`].
    pub fn header_read_timeout(mut self, timeout: Duration) -> Self {
        self.header_read_timeout = timeout;
        self
    }

    /// Sets [`ServeOptions::idle_timeout`].
    pub fn idle_timeout(mut self, timeout: Duration) -> Self {
        self.idle_timeout = timeout;
        self
    }

    /// Sets [`ServeOptions::max_connections`].
    pub fn max_connections(mut self, max: usize) -> Self {
        self.max_connections = max;
        self
    }

    /// Counts this listener's connections in `metrics`.
    pub fn count_in(mut self, metrics: ConnectionMetrics) -> Self {
        self.metrics = Some(metrics);
        self
    }

    fn cut(&self, reason: &'static str) {
        if let Some(metrics) = &self.metrics {
            metrics.cut(reason);
        }
    }
}

/// What turns an accepted TCP connection into one HTTP is spoken on.
pub trait Handshake: Clone + Send + Sync + 'static {
    /// The stream HTTP runs over.
    type Stream: AsyncRead + AsyncWrite + Unpin + Send + 'static;

    /// Completes the handshake (bounded by [`ServeOptions::handshake_timeout`] by the
    /// caller). `None` closes the connection; the implementation has logged why. The
    /// extensions are added to every request of the connection.
    fn handshake(
        &self,
        stream: TcpStream,
        remote: SocketAddr,
    ) -> impl Future<Output = Option<(Self::Stream, Extensions)>> + Send;
}

/// Plain HTTP: no handshake.
#[derive(Clone, Copy, Debug, Default)]
pub struct Plain;

impl Handshake for Plain {
    type Stream = TcpStream;

    async fn handshake(
        &self,
        stream: TcpStream,
        _remote: SocketAddr,
    ) -> Option<(TcpStream, Extensions)> {
        Some((stream, Extensions::new()))
    }
}

/// Serves `router` on `listener`, each connection through `handshake`, until `shutdown` is
/// cancelled; see the module documentation for the bounds.
///
/// Returns once every connection has finished or the shutdown grace period is over. Accept
/// errors (for example running out of file descriptors) are logged and retried after a
/// short pause, so today this only returns `Ok`; the `io::Result` leaves room for a
/// listener that can fail for good.
pub async fn serve<H: Handshake>(
    listener: TcpListener,
    handshake: H,
    router: Router,
    shutdown: CancellationToken,
    options: ServeOptions,
) -> io::Result<()> {
    let slots = Arc::new(Semaphore::new(options.max_connections.max(1)));
    let mut connections = JoinSet::new();
    loop {
        // A slot first, then accept: at the cap, new connections stay in the kernel's queue.
        let slot = tokio::select! {
            biased;
            () = shutdown.cancelled() => break,
            Some(finished) = connections.join_next(), if !connections.is_empty() => {
                log_task_end(finished);
                continue;
            }
            slot = free_slot(&slots, &options) => slot,
        };
        let Some(slot) = slot else { break };
        let accepted = tokio::select! {
            biased;
            () = shutdown.cancelled() => break,
            accepted = listener.accept() => accepted,
        };
        match accepted {
            Ok((stream, remote)) => {
                connections.spawn(serve_connection(
                    handshake.clone(),
                    stream,
                    remote,
                    router.clone(),
                    shutdown.clone(),
                    options.clone(),
                    slot,
                ));
            }
            Err(error) => {
                tracing::warn!(error = %error, "Accepting a TCP connection failed.");
                if !matches!(
                    error.kind(),
                    io::ErrorKind::ConnectionAborted | io::ErrorKind::ConnectionReset
                ) {
                    // EMFILE and friends: do not spin while the condition lasts.
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            }
        }
    }
    drop(listener);

    let open = connections.len();
    if open > 0 {
        tracing::info!(
            open,
            "Listener stopped, waiting for open connections to finish."
        );
    }
    let drain = async {
        while let Some(finished) = connections.join_next().await {
            log_task_end(finished);
        }
    };
    if tokio::time::timeout(options.shutdown_grace, drain)
        .await
        .is_err()
    {
        tracing::warn!(
            open = connections.len(),
            grace_seconds = options.shutdown_grace.as_secs_f64(),
            "Shutdown grace period over, aborting the connections still open."
        );
        connections.shutdown().await;
    }
    Ok(())
}

/// A connection slot; when there is none, counts the listener as full and waits for one.
/// `None` only if the semaphore was closed, which nothing does.
async fn free_slot(slots: &Arc<Semaphore>, options: &ServeOptions) -> Option<OwnedSemaphorePermit> {
    if let Ok(slot) = slots.clone().try_acquire_owned() {
        return Some(slot);
    }
    if let Some(metrics) = &options.metrics {
        metrics.at_capacity();
    }
    tracing::debug!(
        max_connections = options.max_connections,
        "Listener full, new connections wait."
    );
    slots.clone().acquire_owned().await.ok()
}

fn log_task_end(finished: Result<(), tokio::task::JoinError>) {
    if let Err(error) = finished
        && error.is_panic()
    {
        tracing::error!(error = %error, "A connection task panicked.");
    }
}

async fn serve_connection<H: Handshake>(
    handshake: H,
    stream: TcpStream,
    remote: SocketAddr,
    router: Router,
    shutdown: CancellationToken,
    options: ServeOptions,
    _slot: OwnedSemaphorePermit,
) {
    let _open = options.metrics.as_ref().map(ConnectionMetrics::opened);
    let handshake = tokio::time::timeout(
        options.handshake_timeout,
        handshake.handshake(stream, remote),
    );
    let (stream, mut extensions) = tokio::select! {
        () = shutdown.cancelled() => return,
        done = handshake => match done {
            Ok(Some(done)) => done,
            Ok(None) => return,
            Err(_elapsed) => {
                tracing::warn!(
                    remote = %remote,
                    timeout_seconds = options.handshake_timeout.as_secs_f64(),
                    "Handshake timed out."
                );
                options.cut("handshake-timeout");
                return;
            }
        },
    };
    extensions.insert(ConnectInfo(remote));

    let activity = Activity::default();
    let service = {
        let activity = activity.clone();
        tower::service_fn(move |mut request: Request<Incoming>| {
            request.extensions_mut().extend(extensions.clone());
            let in_flight = activity.begin();
            let router = router.clone();
            async move {
                let response = router.oneshot(request).await?;
                Ok::<_, Infallible>(response.map(|body| {
                    Body::new(Tracked {
                        body,
                        _in_flight: in_flight,
                    })
                }))
            }
        })
    };
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(options.header_read_timeout);
    builder
        .http2()
        .timer(TokioTimer::new())
        .max_concurrent_streams(options.max_concurrent_streams)
        .keep_alive_interval(options.keep_alive_interval)
        .keep_alive_timeout(options.keep_alive_timeout);
    let connection = builder
        .serve_connection_with_upgrades(TokioIo::new(stream), TowerToHyperService::new(service));
    tokio::pin!(connection);

    let mut closing = false;
    let result = loop {
        tokio::select! {
            result = connection.as_mut() => break result,
            () = shutdown.cancelled(), if !closing => {
                connection.as_mut().graceful_shutdown();
                closing = true;
            }
            () = activity.idle_for(options.idle_timeout) => {
                if closing {
                    // Told to close and still there, with nothing in flight: a peer that
                    // does not take part in the closing handshake.
                    tracing::debug!(remote = %remote, "Connection did not close when told to; cut.");
                    return;
                }
                tracing::debug!(
                    remote = %remote,
                    idle_seconds = options.idle_timeout.as_secs_f64(),
                    "Closing an idle connection."
                );
                options.cut("idle");
                connection.as_mut().graceful_shutdown();
                closing = true;
            }
        }
    };
    if let Err(error) = result {
        if error
            .downcast_ref::<hyper::Error>()
            .is_some_and(hyper::Error::is_timeout)
        {
            options.cut("header-timeout");
            tracing::debug!(remote = %remote, "Request headers not received in time; connection closed.");
        } else {
            // Clients hanging up mid-request end up here; that is theirs to retry.
            tracing::debug!(remote = %remote, error = %error, "Connection ended with an error.");
        }
    }
}

/// Requests in flight on one connection, and a way to wait until there has been none for a
/// while.
#[derive(Clone)]
struct Activity(Arc<watch::Sender<usize>>);

impl Default for Activity {
    fn default() -> Self {
        Activity(Arc::new(watch::Sender::new(0)))
    }
}

impl Activity {
    fn begin(&self) -> InFlight {
        self.0.send_modify(|n| *n += 1);
        InFlight(self.0.clone())
    }

    /// Completes once no request has been in flight for `limit` without a break.
    async fn idle_for(&self, limit: Duration) {
        let mut requests = self.0.subscribe();
        loop {
            // Fails only when the sender is gone, and `self` holds it.
            if requests.wait_for(|n| *n == 0).await.is_err() {
                return std::future::pending().await;
            }
            if tokio::time::timeout(limit, requests.changed())
                .await
                .is_err()
            {
                return;
            }
        }
    }
}

/// One request in flight, until dropped (with the response body, or with the request when
/// the client went away first).
struct InFlight(Arc<watch::Sender<usize>>);

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.send_modify(|n| *n = n.saturating_sub(1));
    }
}

/// A response body that keeps its request in flight until it is sent or dropped.
struct Tracked {
    body: Body,
    _in_flight: InFlight,
}

impl HttpBody for Tracked {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        Pin::new(&mut self.body).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn a_connection_is_idle_only_while_nothing_is_in_flight() {
        let activity = Activity::default();
        let limit = Duration::from_secs(10);

        // Nothing in flight: idle after the limit.
        tokio::time::timeout(limit + Duration::from_millis(1), activity.idle_for(limit))
            .await
            .expect("idle after the limit");

        // A request in flight (its response body not yet sent): never idle.
        let in_flight = activity.begin();
        assert!(
            tokio::time::timeout(limit * 5, activity.idle_for(limit))
                .await
                .is_err(),
            "not idle while a request is in flight"
        );

        // Its end starts the count again from zero.
        let idle = tokio::spawn({
            let activity = activity.clone();
            async move { activity.idle_for(limit).await }
        });
        tokio::time::sleep(limit * 2).await;
        drop(in_flight);
        tokio::time::sleep(limit - Duration::from_secs(1)).await;
        assert!(
            !idle.is_finished(),
            "the count starts when the request ends"
        );
        tokio::time::sleep(Duration::from_secs(2)).await;
        assert!(idle.is_finished(), "idle once the limit has passed");
    }
}
