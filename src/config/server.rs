//! The instance's own settings: its database, its listeners, the partner listener's
//! certificates, the outbox's dispatcher and the logs.

use std::net::SocketAddr;
use std::path::PathBuf;

use serde::Deserialize;

use crate::telemetry::LogFormat;

/// Database settings.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DatabaseSettings {
    /// `sqlite://data/gateway.db` (the embedded default) or `postgres://…`.
    pub url: String,
}

impl Default for DatabaseSettings {
    fn default() -> Self {
        DatabaseSettings {
            url: "sqlite://data/gateway.db".to_string(),
        }
    }
}

/// Listener settings.
///
/// The bounds on connections (`max_connections` … `max_concurrent_streams`) apply to each
/// listener (API, partner, metrics) and to HTTP/1 and HTTP/2 alike; `web::listener`
/// explains each.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ServerSettings {
    /// State-system API, operator API, dashboard, employer pages, health and (unless
    /// `metrics_listen` is set) metrics.
    pub listen: SocketAddr,
    /// Partners, over mutual TLS only.
    pub partner_listen: SocketAddr,
    /// Largest request body accepted, in bytes.
    pub max_body_bytes: usize,
    /// How long in-flight deliveries, and open connections of the listeners, may run on
    /// after a shutdown signal, in seconds.
    pub shutdown_grace_secs: u64,
    /// Mark the session cookies of the dashboard and the employer pages `Secure`: set it
    /// when browsers reach the API listener over HTTPS (a TLS-terminating proxy in front of
    /// it). It may stay off only while `listen` is a loopback address (the embedded
    /// default, plain HTTP on 127.0.0.1): anywhere else the start is refused, because the
    /// cookies would cross the network in clear.
    pub secure_cookies: bool,
    /// Requests a minute one partner certificate may make on the partner listener (0: no
    /// limit).
    pub partner_requests_per_minute: u32,
    /// Requests a minute one bearer token may make on the API listener (0: no limit):
    /// operators, admins, readers of federal tax information and employers. The state
    /// system's tokens have their own quota, `state_requests_per_minute`.
    pub token_requests_per_minute: u32,
    /// Requests a minute one token of the state system's role may make on the API listener
    /// (0: no limit). The state's case system pushes every case change and asks for every
    /// outbound transaction, thousands a second at a nightly sync; the default (600,000, ten
    /// thousand a second) is above what the gateway serves per request, so it bounds only a
    /// runaway client.
    pub state_requests_per_minute: u32,
    /// Most bytes one bulk case push (`POST /state/v1/cases/bulk`) may send. The bulk push
    /// streams and is not bounded by `max_body_bytes`: a first load is hundreds of
    /// thousands of cases. Lines past the bound get no verdict; the push ends with a
    /// summary saying where it stopped.
    pub bulk_max_bytes: u64,
    /// Longest line of a bulk case push, in bytes (one case with its transaction request).
    /// A longer line is rejected with its verdict (`LINE_TOO_LONG`) and skipped; the lines
    /// after it are read on.
    pub bulk_max_line_bytes: usize,
    /// Requests a minute the API listener takes without a credential (no bearer token, no
    /// session cookie: sign-in and registration forms, unknown routes) or with one it
    /// refused, from all clients together (0: no limit). Health probes are not counted.
    pub anonymous_requests_per_minute: u32,
    /// The same, per client address (0: no limit).
    pub anonymous_requests_per_minute_per_address: u32,
    /// Addresses of proxies in front of the API listener (a TLS terminator) whose
    /// `X-Forwarded-For` names the client; from anyone else the header is ignored. Empty:
    /// the client is the TCP peer (behind a proxy, every client would then be the proxy,
    /// and the per-address limits would count them together).
    pub trusted_proxies: Vec<std::net::IpAddr>,
    /// Most connections one listener holds open at once; beyond it, new connections wait
    /// in the operating system's accept queue until one ends.
    pub max_connections: usize,
    /// Seconds a client of the partner listener has to complete the TLS handshake.
    pub handshake_timeout_secs: u64,
    /// Seconds an HTTP/1 client has to send a request's headers, counted from when the
    /// connection is ready for the request: it also closes an HTTP/1 connection that stays
    /// idle between requests.
    pub header_read_timeout_secs: u64,
    /// Seconds a connection may stay with no request in flight (before its first request,
    /// between requests, or while a request's headers trickle in) before it is told to
    /// close; it is cut if still open and idle as long again.
    pub idle_timeout_secs: u64,
    /// Seconds between the pings an HTTP/2 peer must answer (0: no pings).
    pub keep_alive_interval_secs: u64,
    /// Seconds an HTTP/2 peer has to answer a ping before its connection is closed.
    pub keep_alive_timeout_secs: u64,
    /// Most HTTP/2 streams (requests) in flight on one connection.
    pub max_concurrent_streams: u32,
    /// Serve `/metrics` on this address (plain HTTP, the same bounds) instead of on the API
    /// listener, for example an interface only the monitoring network reaches.
    pub metrics_listen: Option<SocketAddr>,
    /// A file holding the bearer token `/metrics` requires (`Authorization: Bearer …`),
    /// read at every scrape so that it can be replaced without a restart; unset: no token.
    pub metrics_token_file: Option<PathBuf>,
}

impl Default for ServerSettings {
    fn default() -> Self {
        ServerSettings {
            listen: "127.0.0.1:8080".parse().expect("valid address"),
            partner_listen: "127.0.0.1:8443".parse().expect("valid address"),
            max_body_bytes: 64 * 1024 * 1024,
            shutdown_grace_secs: 10,
            secure_cookies: false,
            partner_requests_per_minute: 6000,
            token_requests_per_minute: 6000,
            state_requests_per_minute: 600_000,
            bulk_max_bytes: 8 * 1024 * 1024 * 1024,
            bulk_max_line_bytes: 1024 * 1024,
            anonymous_requests_per_minute: 3000,
            anonymous_requests_per_minute_per_address: 300,
            trusted_proxies: Vec::new(),
            max_connections: 1024,
            handshake_timeout_secs: 10,
            header_read_timeout_secs: 15,
            idle_timeout_secs: 60,
            keep_alive_interval_secs: 30,
            keep_alive_timeout_secs: 20,
            max_concurrent_streams: 100,
            metrics_listen: None,
            metrics_token_file: None,
        }
    }
}

impl ServerSettings {
    /// The rules among the listener settings; the message names the key.
    pub(super) fn check(&self) -> Result<(), String> {
        if !self.secure_cookies && !self.listen.ip().is_loopback() {
            return Err(format!(
                "server.secure_cookies is false while server.listen ({}) is not a loopback \
                 address: browsers would send the session cookies of the dashboard and the \
                 employer pages in clear. Serve the API listener over HTTPS (a TLS-terminating \
                 proxy in front of it) and set server.secure_cookies = true, or listen on \
                 127.0.0.1 or ::1 (where a proxy on the same host reaches it)",
                self.listen
            ));
        }
        for (key, value) in [
            ("max_connections", self.max_connections as u64),
            ("handshake_timeout_secs", self.handshake_timeout_secs),
            ("header_read_timeout_secs", self.header_read_timeout_secs),
            ("idle_timeout_secs", self.idle_timeout_secs),
            ("keep_alive_timeout_secs", self.keep_alive_timeout_secs),
            (
                "max_concurrent_streams",
                u64::from(self.max_concurrent_streams),
            ),
            ("bulk_max_bytes", self.bulk_max_bytes),
            ("bulk_max_line_bytes", self.bulk_max_line_bytes as u64),
        ] {
            if value == 0 {
                return Err(format!("server.{key} must be positive"));
            }
        }
        if let Some(metrics) = self.metrics_listen
            && metrics.port() != 0
            && (metrics == self.listen || metrics == self.partner_listen)
        {
            return Err(format!(
                "server.metrics_listen ({metrics}) must differ from server.listen and server.partner_listen"
            ));
        }
        Ok(())
    }
}

/// Certificates of the partner listener. When `cert` is not set, development
/// certificates (a CA, a server certificate for localhost, one partner client certificate)
/// are generated in `dir` on first start.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TlsSettings {
    /// Where generated development certificates go.
    pub dir: PathBuf,
    /// Server certificate chain (PEM).
    pub cert: Option<PathBuf>,
    /// Server private key (PEM).
    pub key: Option<PathBuf>,
    /// The CA that signs partner client certificates (PEM).
    pub client_ca: Option<PathBuf>,
}

impl Default for TlsSettings {
    fn default() -> Self {
        TlsSettings {
            dir: PathBuf::from("data/tls"),
            cert: None,
            key: None,
            client_ca: None,
        }
    }
}

/// Outbox dispatcher settings.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct OutboxSettings {
    /// Run dispatchers in this instance.
    pub enabled: bool,
    /// How long a claim holds a message, in seconds. Must exceed every transport time-out.
    pub lease_secs: u64,
    /// How often an idle dispatcher looks for due messages, in milliseconds.
    pub poll_interval_ms: u64,
    /// Most messages claimed per partner in one statement. It also sets how many claimed
    /// messages may wait for a partner's delivery slot (twice this, see
    /// `outbox::dispatcher::ClaimWindow`): lower it for partners that answer slowly.
    pub batch_size: usize,
    /// Delivered messages are kept this many days, then purged.
    pub retention_days: u64,
    /// How often the purge runs, in seconds.
    pub purge_interval_secs: u64,
    /// Name of this instance in leases and attempt history (default: host name and pid).
    pub worker_id: Option<String>,
}

impl Default for OutboxSettings {
    fn default() -> Self {
        OutboxSettings {
            enabled: true,
            lease_secs: 60,
            poll_interval_ms: 250,
            batch_size: 32,
            retention_days: 30,
            purge_interval_secs: 3600,
            worker_id: None,
        }
    }
}

/// Log settings.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LogSettings {
    /// `auto`, `json` or `text`.
    pub format: LogFormat,
    /// Default filter when `RUST_LOG` is not set.
    pub filter: String,
}

impl Default for LogSettings {
    fn default() -> Self {
        LogSettings {
            format: LogFormat::Auto,
            filter: "info".to_string(),
        }
    }
}
