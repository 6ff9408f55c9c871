//! HTTP POST to a partner endpoint, over TLS (mutual TLS when the client configuration
//! carries a certificate).
//!
//! Status mapping: 2xx delivered; 408, 425, 429 and 5xx retry (honouring a `Retry-After` in
//! seconds); any other 4xx rejected. 3xx is retried: this client does not follow redirects,
//! and a redirect means the endpoint is misconfigured, which an operator can fix before the
//! message runs out of attempts (rejecting would dead-letter it at once). Connection
//! failures, TLS failures (including the partner refusing our certificate), timeouts and a
//! response body that breaks off are retried; the partner de-duplicates on
//! `Idempotency-Key`, so a retry of something that did get through is harmless.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use http_body_util::{BodyExt as _, Full};
use hyper::body::{Bytes, Incoming};
use hyper::header::{CONTENT_TYPE, HeaderName, HeaderValue, RETRY_AFTER, USER_AGENT};
use hyper::{Method, Request, Response, StatusCode, Uri};
use hyper_rustls::{HttpsConnector, HttpsConnectorBuilder};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;

use super::{Delivery, DeliveryOutcome, Transport, TransportError, clean_text};

/// At most this much of a partner's response body is read; the rest is dropped.
const MAX_RESPONSE_BYTES: usize = 64 * 1024;
/// A `Retry-After` longer than this is capped (a partner cannot park a message for a week).
const MAX_RETRY_AFTER: Duration = Duration::from_secs(24 * 60 * 60);

static IDEMPOTENCY_KEY: HeaderName = HeaderName::from_static("idempotency-key");
static MESSAGE_ID: HeaderName = HeaderName::from_static("x-ivd-message-id");

/// Delivers by `POST`ing the payload to one endpoint.
///
/// Headers: `Content-Type`, `Idempotency-Key: <key>`, `X-Ivd-Message-Id: <id>`. The whole
/// exchange (connect, TLS, request, response body) is bounded by the timeout given to
/// [`HttpsTransport::new`]. Connections are pooled and reused between deliveries; HTTP/2 is
/// used when the partner offers it by ALPN.
pub struct HttpsTransport {
    client: Client<HttpsConnector<HttpConnector>, Full<Bytes>>,
    endpoint: Uri,
    described: String,
    timeout: Duration,
}

impl HttpsTransport {
    /// A transport posting to `endpoint`.
    ///
    /// - `https://` endpoints need `tls` (from [`crate::tls::client_config`]; it decides the
    ///   trusted CA and whether a client certificate is presented).
    /// - `http://` endpoints are accepted only with `tls = None`. Plaintext exists for
    ///   loopback test partners; whether a channel may use it is the configuration's
    ///   decision (it should refuse `http://` outside tests), not this type's.
    /// - Credentials in the URL (`user:pass@`) are refused: they would end up in logs.
    pub fn new(
        endpoint: &str,
        tls: Option<Arc<rustls::ClientConfig>>,
        timeout: Duration,
    ) -> Result<Self, TransportError> {
        let uri: Uri = endpoint
            .parse()
            .map_err(|_| TransportError::InvalidEndpoint("not a valid URL".to_owned()))?;
        let authority = uri
            .authority()
            .ok_or_else(|| TransportError::InvalidEndpoint("the URL has no host".to_owned()))?;
        if authority.as_str().contains('@') {
            return Err(TransportError::InvalidEndpoint(
                "credentials in the URL are not allowed".to_owned(),
            ));
        }
        let described = format!(
            "{}://{}{}",
            uri.scheme_str().unwrap_or_default(),
            authority,
            uri.path()
        );

        let mut http = HttpConnector::new();
        http.enforce_http(false);
        http.set_nodelay(true);
        http.set_connect_timeout(Some(timeout));
        let connector = match (uri.scheme_str(), tls) {
            (Some("https"), Some(tls)) => {
                let mut config = (*tls).clone();
                // The connector sets ALPN itself and refuses (panics on) a preset list.
                config.alpn_protocols.clear();
                HttpsConnectorBuilder::new()
                    .with_tls_config(config)
                    .https_only()
                    .enable_all_versions()
                    .wrap_connector(http)
            }
            (Some("https"), None) => {
                return Err(TransportError::TlsConfigRequired {
                    endpoint: described,
                });
            }
            (Some("http"), Some(_)) => {
                return Err(TransportError::PlaintextWithTls {
                    endpoint: described,
                });
            }
            (Some("http"), None) => HttpsConnectorBuilder::new()
                .with_tls_config(no_roots_config())
                .https_or_http()
                .enable_all_versions()
                .wrap_connector(http),
            _ => {
                return Err(TransportError::InvalidEndpoint(
                    "the scheme must be https (or http for loopback test partners)".to_owned(),
                ));
            }
        };
        let client = Client::builder(TokioExecutor::new()).build(connector);
        Ok(Self {
            client,
            endpoint: uri,
            described,
            timeout,
        })
    }

    fn build_request(&self, delivery: &Delivery<'_>) -> Result<Request<Full<Bytes>>, String> {
        let content_type = HeaderValue::from_str(delivery.content_type)
            .map_err(|_| "the content type is not a valid HTTP header value".to_owned())?;
        let idempotency_key = HeaderValue::from_str(delivery.idempotency_key)
            .map_err(|_| "the idempotency key is not a valid HTTP header value".to_owned())?;
        Request::builder()
            .method(Method::POST)
            .uri(self.endpoint.clone())
            .header(CONTENT_TYPE, content_type)
            .header(&IDEMPOTENCY_KEY, idempotency_key)
            .header(&MESSAGE_ID, delivery.message_id)
            .header(
                USER_AGENT,
                concat!("ivd-gateway/", env!("CARGO_PKG_VERSION")),
            )
            .body(Full::new(Bytes::copy_from_slice(delivery.payload)))
            .map_err(|error| format!("the request could not be built: {error}"))
    }

    async fn exchange(&self, request: Request<Full<Bytes>>) -> DeliveryOutcome {
        let response = match self.client.request(request).await {
            Ok(response) => response,
            Err(error) => {
                let stage = if error.is_connect() {
                    "connecting to the partner failed"
                } else {
                    "the request failed"
                };
                return DeliveryOutcome::Retry {
                    status: None,
                    reason: format!("{stage}: {}", error_chain(&error)),
                    retry_after: None,
                };
            }
        };
        let status = response.status();
        let retry_after = response
            .headers()
            .get(RETRY_AFTER)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.trim().parse::<u64>().ok())
            .map(|seconds| Duration::from_secs(seconds).min(MAX_RETRY_AFTER));
        let text = match read_bounded(response).await {
            Ok(text) => text,
            Err(error) => {
                return DeliveryOutcome::Retry {
                    status: Some(status.as_u16()),
                    reason: format!(
                        "HTTP {}, then reading the response body failed: {}",
                        status.as_u16(),
                        error_chain(&error)
                    ),
                    retry_after,
                };
            }
        };
        classify(status, &text, retry_after)
    }
}

/// Maps a complete response to an outcome.
fn classify(status: StatusCode, text: &str, retry_after: Option<Duration>) -> DeliveryOutcome {
    let code = status.as_u16();
    let said = if text.is_empty() {
        format!("HTTP {code} (empty body)")
    } else {
        format!("HTTP {code}: {text}")
    };
    if status.is_success() {
        DeliveryOutcome::Delivered {
            status: Some(code),
            detail: said,
        }
    } else if status.is_server_error() || matches!(code, 408 | 425 | 429) {
        DeliveryOutcome::Retry {
            status: Some(code),
            reason: said,
            retry_after,
        }
    } else if status.is_client_error() {
        DeliveryOutcome::Rejected {
            status: Some(code),
            reason: said,
        }
    } else {
        DeliveryOutcome::Retry {
            status: Some(code),
            reason: format!(
                "{said} (unexpected status; redirects are not followed, check the endpoint)"
            ),
            retry_after,
        }
    }
}

/// Reads at most [`MAX_RESPONSE_BYTES`] of the body and returns it as cleaned text.
async fn read_bounded(response: Response<Incoming>) -> Result<String, hyper::Error> {
    let mut body = response.into_body();
    let mut bytes = Vec::new();
    while bytes.len() < MAX_RESPONSE_BYTES {
        let Some(frame) = body.frame().await else {
            break;
        };
        if let Ok(data) = frame?.into_data() {
            let room = MAX_RESPONSE_BYTES - bytes.len();
            bytes.extend_from_slice(&data[..data.len().min(room)]);
        }
    }
    Ok(clean_text(&bytes))
}

/// An error and its sources, `: `-separated, repeated messages dropped. Errors of hyper,
/// rustls and the OS say what happened to the connection; none of them carries request
/// bytes.
fn error_chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut parts: Vec<String> = vec![error.to_string()];
    let mut source = error.source();
    while let Some(current) = source {
        let message = current.to_string();
        if !parts.iter().any(|part| part.contains(&message)) {
            parts.push(message);
        }
        source = current.source();
    }
    parts.join(": ")
}

/// A TLS configuration trusting nothing, for the connector of `http://` endpoints (which
/// never uses it: the endpoint is fixed at construction).
fn no_roots_config() -> rustls::ClientConfig {
    rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .expect("the ring provider supports the default protocol versions")
        .with_root_certificates(rustls::RootCertStore::empty())
        .with_no_client_auth()
}

#[async_trait::async_trait]
impl Transport for HttpsTransport {
    async fn deliver(&self, delivery: &Delivery<'_>) -> DeliveryOutcome {
        let request = match self.build_request(delivery) {
            Ok(request) => request,
            Err(reason) => {
                return DeliveryOutcome::Rejected {
                    status: None,
                    reason,
                };
            }
        };
        match tokio::time::timeout(self.timeout, self.exchange(request)).await {
            Ok(outcome) => outcome,
            Err(_elapsed) => DeliveryOutcome::Retry {
                status: None,
                reason: format!(
                    "no complete response within {:.1} s (timed out)",
                    self.timeout.as_secs_f64()
                ),
                retry_after: None,
            },
        }
    }

    fn describe(&self) -> String {
        format!(
            "{} POST {}",
            self.endpoint.scheme_str().unwrap_or("https"),
            self.described
        )
    }
}

impl fmt::Debug for HttpsTransport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpsTransport")
            .field("endpoint", &self.described)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}
