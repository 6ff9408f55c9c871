//! How one outbox message reaches a partner: one [`Transport`] per partner channel, one
//! [`Transport::deliver`] call per attempt.
//!
//! A transport knows nothing of leases, attempts or backoff; the dispatcher owns those. It
//! makes exactly one attempt and says how it went, in the three outcomes the outbox orders
//! by (delivered < retry < rejected):
//!
//! | outcome | meaning | dispatcher does |
//! |---|---|---|
//! | [`DeliveryOutcome::Delivered`] | the partner has the bytes | finalize the message |
//! | [`DeliveryOutcome::Retry`] | nothing known to be wrong with the bytes: partner busy or down, network trouble, a full disk | back off (at least `retry_after`) and try again, up to the partner's limit |
//! | [`DeliveryOutcome::Rejected`] | the partner refused *these bytes* for good | dead-letter at once: sending the same bytes again cannot help |
//!
//! When in doubt a transport says `Retry`: every message carries an idempotency key the
//! receiver de-duplicates on (HTTP: `Idempotency-Key`; file drop: the file name), so a second
//! copy of something that did get through is harmless, while a wrongly rejected message needs
//! an operator.
//!
//! Payloads may hold SSNs and other personal data. No outcome text, log line or error here
//! ever contains payload bytes; a partner's own response text is kept because operators
//! need it, but only cleaned: control characters removed, every run of 9 or more digits and
//! every written SSN masked ([`crate::privacy::redact`]), at most 512 characters (the store
//! bounds it again to 512 bytes). [`Delivery`]'s `Debug` shows only the payload's length.
//!
//! Transports: [`HttpsTransport`] (HTTP POST over TLS, mutual TLS when the client config
//! carries a certificate), [`FileDropTransport`] (atomic write into a pick-up directory) and
//! [`DataSetTransport`] (one record appended to a data set file, e.g. CSENet's outgoing
//! transactions).

mod data_set;
mod file_drop;
mod https;

#[cfg(test)]
mod tests;

use std::fmt;
use std::time::Duration;

pub use data_set::DataSetTransport;
pub use file_drop::FileDropTransport;
pub use https::HttpsTransport;

/// One attempt to hand a message to a partner.
#[derive(Clone, Copy)]
pub struct Delivery<'a> {
    /// The outbox message id (sent as `X-Ivd-Message-Id`).
    pub message_id: i64,
    /// The format-derived idempotency key the partner de-duplicates on.
    pub idempotency_key: &'a str,
    /// MIME type of the payload.
    pub content_type: &'a str,
    /// The bytes to deliver. May contain personal data: never logged.
    pub payload: &'a [u8],
    /// The file name the partner expects (file drops; informational for HTTP).
    pub file_name: &'a str,
}

impl fmt::Debug for Delivery<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Delivery")
            .field("message_id", &self.message_id)
            .field("idempotency_key", &self.idempotency_key)
            .field("content_type", &self.content_type)
            .field("payload_len", &self.payload.len())
            .field("file_name", &self.file_name)
            .finish()
    }
}

/// How one delivery attempt went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeliveryOutcome {
    /// The partner has the message.
    Delivered {
        /// The HTTP status, for HTTP transports.
        status: Option<u16>,
        /// What the partner said (truncated), or what was done.
        detail: String,
    },
    /// Worth retrying later (5xx, 408, 429, timeouts, connection refused/reset, I/O errors writing a file).
    Retry {
        /// The HTTP status, when the partner answered at all.
        status: Option<u16>,
        /// What happened, never with payload bytes.
        reason: String,
        /// The partner's `Retry-After`, when it gave one.
        retry_after: Option<Duration>,
    },
    /// The partner refused it permanently (other 4xx); retrying the same bytes cannot help.
    Rejected {
        /// The HTTP status, when the partner answered.
        status: Option<u16>,
        /// Why, never with payload bytes.
        reason: String,
    },
}

impl DeliveryOutcome {
    /// The outcome's name, for metrics labels and log fields.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Delivered { .. } => "delivered",
            Self::Retry { .. } => "retry",
            Self::Rejected { .. } => "rejected",
        }
    }
}

/// A way to hand messages to one partner.
#[async_trait::async_trait]
pub trait Transport: Send + Sync + std::fmt::Debug {
    /// Makes one attempt; never panics, never returns an error: every failure is an outcome.
    async fn deliver(&self, delivery: &Delivery<'_>) -> DeliveryOutcome;
    /// Short description for logs/dashboards, no secrets (e.g. "https POST https://host/path", "file drop /dir").
    fn describe(&self) -> String;
}

/// A transport that cannot be built from its configuration.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TransportError {
    /// The endpoint is not an absolute `http://` or `https://` URL, or carries credentials.
    #[error("invalid partner endpoint: {0}")]
    InvalidEndpoint(String),
    /// An `https://` endpoint needs a TLS client configuration.
    #[error("endpoint {endpoint} is https but no TLS client configuration was given")]
    TlsConfigRequired {
        /// The endpoint, without query.
        endpoint: String,
    },
    /// A TLS configuration was given for an `http://` endpoint: almost certainly a
    /// configuration mistake that would send personal data in clear.
    #[error(
        "endpoint {endpoint} is plaintext http but a TLS client configuration was given; use https"
    )]
    PlaintextWithTls {
        /// The endpoint, without query.
        endpoint: String,
    },
}

/// Longest partner text kept in an outcome, in characters.
const MAX_TEXT_CHARS: usize = 512;

/// Partner-supplied text made safe for one log line: lossy UTF-8, control characters turned
/// into spaces, runs of whitespace collapsed, digit runs and written SSNs masked, at most
/// [`MAX_TEXT_CHARS`] characters.
fn clean_text(bytes: &[u8]) -> String {
    let text = collapse(bytes);
    match crate::privacy::redact::mask_digit_runs(&text) {
        std::borrow::Cow::Borrowed(_) => text,
        std::borrow::Cow::Owned(masked) => masked,
    }
}

fn collapse(bytes: &[u8]) -> String {
    let lossy = String::from_utf8_lossy(bytes);
    let mut text = String::with_capacity(lossy.len().min(MAX_TEXT_CHARS + 4));
    let mut chars = 0;
    let mut last_space = true;
    for c in lossy.chars() {
        let c = if c.is_control() || c.is_whitespace() {
            ' '
        } else {
            c
        };
        if c == ' ' && last_space {
            continue;
        }
        if chars == MAX_TEXT_CHARS {
            text.push('…');
            return text;
        }
        last_space = c == ' ';
        text.push(c);
        chars += 1;
    }
    text.truncate(text.trim_end().len());
    text
}
