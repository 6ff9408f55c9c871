//! The mutual-TLS accept loop.
//!
//! One task per connection. A connection first has to finish its TLS handshake within
//! [`ServeOptions::handshake_timeout`]; a client that connects and says nothing, or crawls,
//! is dropped then instead of holding a task forever. The verified leaf certificate becomes
//! a [`PeerIdentity`] that is inserted into the extensions of every request of that
//! connection, so axum handlers take `Extension<PeerIdentity>`. HTTP/1.1 and HTTP/2 are both
//! served (`hyper_util`'s auto builder, chosen by ALPN or preface).
//!
//! Shutdown: when the token is cancelled the loop stops accepting at once, every open
//! connection is told to finish gracefully (HTTP/1 closes after the response in flight,
//! HTTP/2 sends GOAWAY), and connections still open after
//! [`ServeOptions::shutdown_grace`] are aborted.

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use hyper::Request;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::service::TowerToHyperService;
use rustls::ServerConfig;
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinSet;
use tokio_rustls::TlsAcceptor;
use tokio_util::sync::CancellationToken;
use tower::ServiceExt as _;

use super::PeerIdentity;

/// Bounds of the accept loop. [`Default`] gives the production values.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ServeOptions {
    /// How long a client has to complete the TLS handshake (default 10 s).
    pub handshake_timeout: Duration,
    /// How long an HTTP/1 client has to send a request's headers (default 30 s).
    pub header_read_timeout: Duration,
    /// How long open connections may take to finish after shutdown (default 30 s).
    pub shutdown_grace: Duration,
}

impl Default for ServeOptions {
    fn default() -> Self {
        Self {
            handshake_timeout: Duration::from_secs(10),
            header_read_timeout: Duration::from_secs(30),
            shutdown_grace: Duration::from_secs(30),
        }
    }
}

impl ServeOptions {
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
}

/// Serves `router` over mutual TLS on `listener` until `shutdown` is cancelled, with the
/// default [`ServeOptions`]. See [`serve_mtls_with_options`].
pub async fn serve_mtls(
    listener: TcpListener,
    config: Arc<ServerConfig>,
    router: Router,
    shutdown: CancellationToken,
) -> io::Result<()> {
    serve_mtls_with_options(listener, config, router, shutdown, ServeOptions::default()).await
}

/// Serves `router` over mutual TLS on `listener` until `shutdown` is cancelled.
///
/// `config` should come from [`super::server_config`] (client certificate required); a
/// connection that nevertheless arrives without a client certificate is closed before any
/// request is read. Handshake failures are logged at `warn` and the loop goes on.
///
/// Returns once every connection has finished or the shutdown grace period is over. Accept
/// errors (for example running out of file descriptors) are logged and retried after a
/// short pause, so today this only returns `Ok`; the `io::Result` leaves room for a
/// listener that can fail for good.
pub async fn serve_mtls_with_options(
    listener: TcpListener,
    config: Arc<ServerConfig>,
    router: Router,
    shutdown: CancellationToken,
    options: ServeOptions,
) -> io::Result<()> {
    let acceptor = TlsAcceptor::from(config);
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            biased;
            () = shutdown.cancelled() => break,
            Some(finished) = connections.join_next(), if !connections.is_empty() => {
                log_task_end(finished);
            }
            accepted = listener.accept() => match accepted {
                Ok((stream, remote)) => {
                    connections.spawn(serve_connection(
                        acceptor.clone(),
                        stream,
                        remote,
                        router.clone(),
                        shutdown.clone(),
                        options.clone(),
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
            },
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

fn log_task_end(finished: Result<(), tokio::task::JoinError>) {
    if let Err(error) = finished
        && error.is_panic()
    {
        tracing::error!(error = %error, "A connection task panicked.");
    }
}

async fn serve_connection(
    acceptor: TlsAcceptor,
    stream: TcpStream,
    remote: SocketAddr,
    router: Router,
    shutdown: CancellationToken,
    options: ServeOptions,
) {
    let handshake = tokio::time::timeout(options.handshake_timeout, acceptor.accept(stream));
    let tls = tokio::select! {
        () = shutdown.cancelled() => return,
        handshake = handshake => match handshake {
            Ok(Ok(tls)) => tls,
            Ok(Err(error)) => {
                tracing::warn!(remote = %remote, error = %error, "TLS handshake failed.");
                return;
            }
            Err(_elapsed) => {
                tracing::warn!(
                    remote = %remote,
                    timeout_seconds = options.handshake_timeout.as_secs_f64(),
                    "TLS handshake timed out."
                );
                return;
            }
        },
    };

    let leaf = tls
        .get_ref()
        .1
        .peer_certificates()
        .and_then(|chain| chain.first());
    let identity = match leaf.map(|der| PeerIdentity::from_der(der)) {
        Some(Ok(identity)) => identity,
        Some(Err(error)) => {
            tracing::warn!(remote = %remote, error = %error, "Client certificate unreadable, closing the connection.");
            return;
        }
        None => {
            tracing::warn!(remote = %remote, "No client certificate presented, closing the connection.");
            return;
        }
    };
    tracing::debug!(
        remote = %remote,
        fingerprint = %identity.fingerprint_sha256,
        "Mutual TLS connection established."
    );

    let service = router.map_request(move |mut request: Request<Incoming>| {
        request.extensions_mut().insert(identity.clone());
        request
    });
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(options.header_read_timeout);
    builder.http2().timer(TokioTimer::new());
    let connection = builder
        .serve_connection_with_upgrades(TokioIo::new(tls), TowerToHyperService::new(service));
    tokio::pin!(connection);

    let result = tokio::select! {
        result = connection.as_mut() => result,
        () = shutdown.cancelled() => {
            connection.as_mut().graceful_shutdown();
            connection.await
        }
    };
    if let Err(error) = result {
        // Clients hanging up mid-request end up here; that is theirs to retry.
        tracing::debug!(remote = %remote, error = %error, "Connection ended with an error.");
    }
}
