//! Requests per minute: per partner certificate on the partner listener, per bearer token
//! on the API listener. A client over its quota gets `429 Too Many Requests` with
//! `Retry-After`, and nothing it sent is stored; everyone else is unaffected (each key has
//! its own bucket, a generic cell rate algorithm from `governor`).
//!
//! A bearer token's quota depends on its role ([`TokenLimits`]): the state's case system
//! (`server.state_requests_per_minute`, high by default) pushes every case change of the
//! state and must not be held back at its normal rates; every other role (operators,
//! admins, readers of federal tax information, employers) has the strict
//! `server.token_requests_per_minute`. The role is known once the token is recognised, so
//! the quota is taken there ([`super::authorize`]), before any of the request's body is
//! read.
//!
//! Requests without a credential (no bearer token, no session cookie: the sign-in and
//! registration forms, unknown routes), and requests whose credential was refused, are
//! limited per client address and for all clients together ([`AnonymousLimit`]), so that
//! nobody can flood what needs no sign-in. Health probes are not counted; sign-in also has
//! its own throttling by name and address ([`super::session`]).

use std::num::NonZeroU32;
use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use crate::store::tokens::{Role, TokenHolder};
use crate::tls::PeerIdentity;

/// The client's address, for throttling sign-ins, registrations and requests without a
/// credential: the TCP peer's IP, or, when the peer is one of `server.trusted_proxies` (a
/// TLS-terminating proxy in front of the gateway), the address that proxy saw, the last
/// entry of `X-Forwarded-For` that is not itself a trusted proxy. A forwarded-for header
/// from anyone else is ignored: a client could write any. `unknown` when the listener gave
/// no address (a router called in-process).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClientAddress(pub String);

impl axum::extract::FromRequestParts<crate::web::AppState> for ClientAddress {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &crate::web::AppState,
    ) -> Result<Self, Self::Rejection> {
        Ok(ClientAddress(client_address(
            &parts.extensions,
            &parts.headers,
            &state.settings.server.trusted_proxies,
        )))
    }
}

/// See [`ClientAddress`].
pub fn client_address(
    extensions: &axum::http::Extensions,
    headers: &axum::http::HeaderMap,
    trusted_proxies: &[std::net::IpAddr],
) -> String {
    let Some(peer) = extensions
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .map(|info| info.0.ip())
    else {
        return "unknown".to_string();
    };
    if !trusted_proxies.contains(&peer) {
        return peer.to_string();
    }
    // Each proxy appends the address it saw: read from the right, past our own proxies.
    let forwarded: Vec<std::net::IpAddr> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|a| a.trim().parse().ok())
        .collect();
    forwarded
        .into_iter()
        .rev()
        .find(|address| !trusted_proxies.contains(address))
        .unwrap_or(peer)
        .to_string()
}

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
        if self.limiter.len() > MAX_TRACKED_KEYS {
            self.limiter.retain_recent();
        }
        self.limiter.check_key(&key).map_err(|not_until| {
            not_until
                .wait_time_from(DefaultClock::default().now())
                .as_secs()
                .max(1)
        })
    }

    fn refusal(&self, wait_secs: u64) -> crate::web::ApiError {
        crate::web::ApiError::too_many_requests(
            format!(
                "more than {} requests a minute from this {}; try again in {wait_secs} s",
                self.per_minute, self.what
            ),
            wait_secs,
        )
    }

    fn refuse(&self, wait_secs: u64) -> Response {
        self.refusal(wait_secs).into_response()
    }
}

/// The limit on requests without a (good) credential: one bucket per client address and
/// one for all clients.
#[derive(Clone)]
pub struct AnonymousLimit {
    per_address: Option<RequestLimit>,
    trusted_proxies: Arc<Vec<std::net::IpAddr>>,
    everyone: Option<Arc<governor::DefaultDirectRateLimiter>>,
    everyone_per_minute: u32,
}

impl std::fmt::Debug for AnonymousLimit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AnonymousLimit")
            .field("per_address", &self.per_address)
            .field("everyone_per_minute", &self.everyone_per_minute)
            .finish()
    }
}

/// Keyed buckets kept before the idle ones are dropped (each costs a few bytes; a flood
/// from many addresses must not grow memory without bound).
const MAX_TRACKED_KEYS: usize = 100_000;

impl AnonymousLimit {
    /// `per_address` and `everyone` requests a minute (0: that limit is off); `None` when
    /// both are off. Client addresses are read as [`ClientAddress`] says.
    pub fn new(
        per_address: u32,
        everyone: u32,
        trusted_proxies: Vec<std::net::IpAddr>,
    ) -> Option<Self> {
        let everyone_limiter =
            NonZeroU32::new(everyone).map(|n| Arc::new(RateLimiter::direct(Quota::per_minute(n))));
        let per_address =
            RequestLimit::per_minute(per_address, "client address without a credential");
        if per_address.is_none() && everyone_limiter.is_none() {
            return None;
        }
        Some(AnonymousLimit {
            per_address,
            trusted_proxies: Arc::new(trusted_proxies),
            everyone: everyone_limiter,
            everyone_per_minute: everyone,
        })
    }

    /// Takes one request from `client`'s bucket and everyone's; the refusal when either
    /// is empty.
    fn check(&self, client: &str) -> Option<Response> {
        if let Some(per_address) = &self.per_address
            && let Err(wait) = per_address.check(client.to_string())
        {
            return Some(per_address.refuse(wait));
        }
        let not_until = self.everyone.as_ref()?.check().err()?;
        let wait = not_until
            .wait_time_from(DefaultClock::default().now())
            .as_secs()
            .max(1);
        Some(
            crate::web::ApiError::too_many_requests(
                format!(
                    "more than {} requests a minute without a credential; try again in {wait} s",
                    self.everyone_per_minute
                ),
                wait,
            )
            .into_response(),
        )
    }
}

fn carries_credential(headers: &axum::http::HeaderMap) -> bool {
    headers.contains_key(header::AUTHORIZATION)
        || headers
            .get_all(header::COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .any(|v| v.contains(super::session::COOKIE))
}

/// Middleware of the API listener: requests without a credential are counted against
/// their address and everyone; a request whose credential is refused (401) is counted
/// after its answer, so that guessing tokens is limited like anything anonymous.
pub async fn anonymous(
    State(limit): State<AnonymousLimit>,
    request: Request,
    next: Next,
) -> Response {
    let path = request.uri().path();
    if path == "/healthz" || path == "/readyz" {
        return next.run(request).await;
    }
    let client = client_address(
        request.extensions(),
        request.headers(),
        &limit.trusted_proxies,
    );
    let credential = carries_credential(request.headers());
    if !credential && let Some(refusal) = limit.check(&client) {
        tracing::warn!("Requests without a credential went over their quota.");
        return refusal;
    }
    let response = next.run(request).await;
    if credential && response.status() == StatusCode::UNAUTHORIZED {
        // Charged after the answer: the next attempt from this address pays for it.
        let _ = limit.check(&client);
    }
    response
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

/// The quotas of bearer tokens on the API listener, by role: one bucket per token (by its
/// row id; the token itself is never kept).
#[derive(Clone, Debug, Default)]
pub struct TokenLimits {
    /// Tokens of the state system's role (`server.state_requests_per_minute`).
    state_system: Option<RequestLimit>,
    /// Every other role (`server.token_requests_per_minute`).
    others: Option<RequestLimit>,
}

impl TokenLimits {
    /// The quotas `server` configures (0: that role is not limited).
    pub fn new(server: &crate::config::ServerSettings) -> Self {
        TokenLimits {
            state_system: RequestLimit::per_minute(
                server.state_requests_per_minute,
                "state-system token",
            ),
            others: RequestLimit::per_minute(server.token_requests_per_minute, "token"),
        }
    }

    /// Takes one request from `holder`'s bucket; the refusal (`429` with `Retry-After`)
    /// when it is empty.
    pub fn check(&self, holder: &TokenHolder) -> Result<(), crate::web::ApiError> {
        let limit = match holder.role {
            Role::StateSystem => &self.state_system,
            Role::Operator | Role::Admin | Role::FtiReader | Role::Employer => &self.others,
        };
        let Some(limit) = limit else {
            return Ok(());
        };
        limit.check(holder.token_id.to_string()).map_err(|wait| {
            tracing::warn!(
                wait_secs = wait,
                role = holder.role.as_str(),
                "A token went over its request quota."
            );
            limit.refusal(wait)
        })
    }
}

#[cfg(test)]
mod tests {
    use std::net::{IpAddr, SocketAddr};

    use axum::extract::ConnectInfo;
    use axum::http::{Extensions, HeaderMap, HeaderValue};

    use super::client_address;

    fn from(peer: &str, forwarded: Option<&str>, trusted: &[&str]) -> String {
        let mut extensions = Extensions::new();
        extensions.insert(ConnectInfo(SocketAddr::new(peer.parse().unwrap(), 40000)));
        let mut headers = HeaderMap::new();
        if let Some(forwarded) = forwarded {
            headers.insert("x-forwarded-for", HeaderValue::from_str(forwarded).unwrap());
        }
        let trusted: Vec<IpAddr> = trusted.iter().map(|a| a.parse().unwrap()).collect();
        client_address(&extensions, &headers, &trusted)
    }

    #[test]
    fn a_client_that_writes_its_own_forwarded_for_is_still_its_own_address() {
        assert_eq!(from("192.0.2.7", Some("198.51.100.1"), &[]), "192.0.2.7");
        assert_eq!(
            from("192.0.2.7", Some("198.51.100.1"), &["10.0.0.5"]),
            "192.0.2.7"
        );
    }

    #[test]
    fn behind_a_trusted_proxy_the_client_is_the_address_it_saw() {
        // The client forged the first entry; the proxy appended what it really saw.
        assert_eq!(
            from("10.0.0.5", Some("198.51.100.1, 203.0.113.9"), &["10.0.0.5"]),
            "203.0.113.9"
        );
        // Two proxies of ours in a row.
        assert_eq!(
            from(
                "10.0.0.5",
                Some("203.0.113.9, 10.0.0.6"),
                &["10.0.0.5", "10.0.0.6"]
            ),
            "203.0.113.9"
        );
        // A trusted proxy that forwarded nothing is the client.
        assert_eq!(from("10.0.0.5", None, &["10.0.0.5"]), "10.0.0.5");
    }
}
