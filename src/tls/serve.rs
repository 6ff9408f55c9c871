//! The mutual-TLS handshake of the partner listener.
//!
//! The accept loop, its bounds (connections, handshake, headers, idle, HTTP/2 keep-alive)
//! and shutdown are those of every listener ([`crate::web::listener`]); this module adds
//! the handshake. A connection first has to finish its TLS handshake within
//! [`ServeOptions::handshake_timeout`]; a client that connects and says nothing, or crawls,
//! is dropped then instead of holding a task forever. The verified leaf certificate becomes
//! a [`PeerIdentity`] that is inserted into the extensions of every request of that
//! connection, so axum handlers take `Extension<PeerIdentity>`. HTTP/1.1 and HTTP/2 are both
//! served (`hyper_util`'s auto builder, chosen by ALPN or preface).

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::http::Extensions;
use rustls::ServerConfig;
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::TlsAcceptor;
use tokio_rustls::server::TlsStream;
use tokio_util::sync::CancellationToken;

use super::PeerIdentity;
pub use crate::web::listener::ServeOptions;
use crate::web::listener::{self, Handshake};

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
/// Returns as [`listener::serve`] does: once every connection has finished or the shutdown
/// grace period is over.
pub async fn serve_mtls_with_options(
    listener: TcpListener,
    config: Arc<ServerConfig>,
    router: Router,
    shutdown: CancellationToken,
    options: ServeOptions,
) -> io::Result<()> {
    listener::serve(
        listener,
        MutualTls(TlsAcceptor::from(config)),
        router,
        shutdown,
        options,
    )
    .await
}

/// The partner listener's handshake: TLS with a verified client certificate, whose identity
/// every request of the connection carries.
#[derive(Clone)]
struct MutualTls(TlsAcceptor);

impl Handshake for MutualTls {
    type Stream = TlsStream<TcpStream>;

    async fn handshake(
        &self,
        stream: TcpStream,
        remote: SocketAddr,
    ) -> Option<(Self::Stream, Extensions)> {
        let tls = match self.0.accept(stream).await {
            Ok(tls) => tls,
            Err(error) => {
                tracing::warn!(remote = %remote, error = %error, "TLS handshake failed.");
                return None;
            }
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
                return None;
            }
            None => {
                tracing::warn!(remote = %remote, "No client certificate presented, closing the connection.");
                return None;
            }
        };
        tracing::debug!(
            remote = %remote,
            fingerprint = %identity.fingerprint_sha256,
            "Mutual TLS connection established."
        );
        let mut extensions = Extensions::new();
        extensions.insert(identity);
        Some((tls, extensions))
    }
}
