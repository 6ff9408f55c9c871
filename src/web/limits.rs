//! Requests per minute: per partner certificate on the partner listener, per bearer token
//! on the API listener. A client over its quota gets `429 Too Many Requests` with
//! `Retry-After`, and nothing it sent is stored; everyone else is unaffected (each key has
//! its own bucket, a generic cell rate algorithm from `governor`).
//!
//! Requests without a token (health, metrics, the dashboard's pages) are not limited here:
//! they carry no identity to count by, and sign-in has its own lock-out.

use std::num::NonZeroU32;
use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use sha2::{Digest, Sha256};

use crate::tls::PeerIdentity;

/// A keyed requests-per-minute limit.
#[derive(Clone)]
pub struct RequestLimit {
    limiter: Arc<DefaultKeyedRateLimiter<String>>,
    per_minute: u32,
    what: &'static str,
}

impl std::fmt::Debug for RequestLimit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RequestLimit")
            .field("per_minute", &self.per_minute)
            .field("what", &self.what)
            .finish()
    }
}

impl RequestLimit {
    /// `per_minute` requests a minute per key (0: no limit), bursts up to the same number.
    pub fn per_minute(per_minute: u32, what: &'static str) -> Option<Self> {
        let quota = Quota::per_minute(NonZeroU32::new(per_minute)?);
        Some(RequestLimit {
            limiter: Arc::new(RateLimiter::keyed(quota)),
            per_minute,
            what,
        })
    }

    /// `Ok` when `key` may make one more request now; otherwise the seconds to wait.
    fn check(&self, key: String) -> Result<(), u64> {
        self.limiter.check_key(&key).map_err(|not_until| {
            not_until
                .wait_time_from(DefaultClock::default().now())
                .as_secs()
                .max(1)
        })
    }

    fn refuse(&self, wait_secs: u64) -> Response {
        let mut response = crate::web::ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "Too many requests",
            format!(
                "more than {} requests a minute from this {}; try again in {wait_secs} s",
                self.per_minute, self.what
            ),
        )
        .into_response();
        if let Ok(value) = HeaderValue::from_str(&wait_secs.to_string()) {
            response.headers_mut().insert(header::RETRY_AFTER, value);
        }
        response
    }
}

/// Middleware of the partner listener: one bucket per client certificate.
pub async fn per_partner(
    State(limit): State<RequestLimit>,
    request: Request,
    next: Next,
) -> Response {
    let key = request
        .extensions()
        .get::<PeerIdentity>()
        .map(|peer| peer.fingerprint_sha256.clone());
    if let Some(key) = key
        && let Err(wait) = limit.check(key)
    {
        tracing::warn!(wait_secs = wait, "A partner went over its request quota.");
        return limit.refuse(wait);
    }
    next.run(request).await
}

/// Middleware of the API listener: one bucket per bearer token (by its hash; the token
/// itself is never kept).
pub async fn per_token(
    State(limit): State<RequestLimit>,
    request: Request,
    next: Next,
) -> Response {
    let key = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(|token| hex::encode(Sha256::digest(token.trim().as_bytes())));
    if let Some(key) = key
        && let Err(wait) = limit.check(key)
    {
        tracing::warn!(wait_secs = wait, "A token went over its request quota.");
        return limit.refuse(wait);
    }
    next.run(request).await
}
