//! Routes on the partner listener. Every request here has passed mutual TLS; the client
//! certificate selects the partner that pins it (by fingerprint, or by subject and issuer;
//! never by a name in it), and a certificate bound to no partner, or to more than one, is
//! refused.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::{Json, Router};

use crate::config::PartnerSettings;
use crate::intake::{self, Inbound, Received, RecordArrival};
use crate::store::now_ms;
use crate::telemetry::metrics::Metrics;
use crate::tls::PeerIdentity;
use crate::web::{ApiError, AppState};

/// The partner routes every gateway has; each channel adds its own
/// ([`crate::channels::Channel::partner_routes`]).
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/partner/v1/messages", post(receive_message))
        .route("/partner/v1/whoami", get(whoami))
}

/// The partner bound to the presented certificate: the one partner that pins it by
/// fingerprint, or by subject and issuer. A certificate no partner pins, or (against the
/// start-time check, a fingerprint pin of one partner and a subject pin of another) more
/// than one, is refused.
pub fn partner_for<'a>(
    state: &'a AppState,
    peer: &PeerIdentity,
) -> Result<&'a PartnerSettings, ApiError> {
    let mut bound = state.settings.partners.iter().filter(|p| p.binds(peer));
    match (bound.next(), bound.next()) {
        (Some(partner), None) => Ok(partner),
        (None, _) => {
            tracing::warn!(fingerprint = %peer.fingerprint_sha256, "A client certificate bound to no partner was refused.");
            Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "Unknown partner",
                "this certificate is not bound to any partner",
            ))
        }
        (Some(first), Some(second)) => {
            tracing::error!(
                fingerprint = %peer.fingerprint_sha256,
                first = %first.id,
                second = %second.id,
                "A client certificate pinned by two partners was refused; pin it for one only."
            );
            Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "Ambiguous partner",
                "this certificate is bound to more than one partner",
            ))
        }
    }
}

/// The partner bound to the connection's client certificate. As an extractor it runs
/// before the body is read, so a certificate bound to no partner is answered 403 without
/// reading a byte of the body.
pub struct BoundPartner(pub PartnerSettings);

impl axum::extract::FromRequestParts<AppState> for BoundPartner {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let peer = parts.extensions.get::<PeerIdentity>().ok_or_else(|| {
            ApiError::new(
                StatusCode::FORBIDDEN,
                "Unknown partner",
                "no client certificate came with this request",
            )
        })?;
        Ok(BoundPartner(partner_for(state, peer)?.clone()))
    }
}

/// Reads a request body that was left unread until the partner's authorization passed,
/// within the listener's body limit.
pub(crate) async fn read_body(
    state: &AppState,
    body: axum::body::Body,
) -> Result<axum::body::Bytes, ApiError> {
    let limit = state.settings.server.max_body_bytes;
    axum::body::to_bytes(body, limit).await.map_err(|error| {
        let too_large = std::error::Error::source(&error)
            .is_some_and(|cause| cause.is::<http_body_util::LengthLimitError>());
        if too_large {
            ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "Body too large",
                format!("the body may be at most {limit} bytes"),
            )
        } else {
            ApiError::bad_request("the body could not be read; send it again")
        }
    })
}

async fn whoami(BoundPartner(partner): BoundPartner) -> Result<impl IntoResponse, ApiError> {
    Ok(Json(
        serde_json::json!({ "partner": partner.id, "kind": partner.kind }),
    ))
}

async fn receive_message(
    State(state): State<AppState>,
    BoundPartner(partner): BoundPartner,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Result<impl IntoResponse, ApiError> {
    let message_id = headers
        .get("idempotency-key")
        .or_else(|| headers.get("message-id"))
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|v| !v.is_empty() && v.len() <= 200)
        .ok_or_else(|| {
            ApiError::bad_request(
                "an Idempotency-Key (or Message-Id) header of at most 200 characters is required",
            )
        })?
        .to_string();
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("application/octet-stream")
        .to_string();
    if body.is_empty() {
        return Err(ApiError::bad_request("the body is empty"));
    }
    let now = now_ms();
    let received = intake::receive(
        &state.db,
        &Inbound {
            partner: &partner.id,
            channel: "messages",
            message_id: Some(&message_id),
            content_type: &content_type,
            body: &body,
        },
        now,
    )
    .await?;
    match &received {
        Received::New { receipt_id } => {
            Metrics::partner(&state.metrics.inbound_received, &partner.id);
            // The bytes are committed; processing failures leave the receipt `stored`
            // for `intake::resume`, and the partner's answer stays a success.
            if let Err(error) = intake::process(&state.db, &RecordArrival, receipt_id, now).await {
                tracing::warn!(partner = %partner.id, receipt_id, error = %error, "Processing a stored receipt failed; it will be resumed.");
            }
            tracing::info!(partner = %partner.id, receipt_id, bytes = body.len(), "Inbound message stored.");
            Ok((StatusCode::ACCEPTED, Json(received)))
        }
        Received::Duplicate { receipt_id } => {
            Metrics::partner(&state.metrics.inbound_duplicates, &partner.id);
            tracing::info!(partner = %partner.id, receipt_id, "Duplicate inbound message recognised.");
            Ok((StatusCode::OK, Json(received)))
        }
    }
}

/// Stores a partner's body as a receipt on `channel` (the bytes first), then gives it its
/// verdicts. Returns the receipt id and the processor's outcome (`None` when another
/// task, the resume loop, judged it first).
pub(crate) async fn store_and_process(
    state: &AppState,
    partner: &str,
    channel: &str,
    headers: &HeaderMap,
    default_content_type: &str,
    body: &[u8],
) -> Result<(String, Option<String>), ApiError> {
    use crate::intake::ProcessorFor;
    if body.is_empty() {
        return Err(ApiError::bad_request("the body is empty"));
    }
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or(default_content_type);
    let now = now_ms();
    let received = intake::receive(
        &state.db,
        &Inbound {
            partner,
            channel,
            message_id: None,
            content_type,
            body,
        },
        now,
    )
    .await?;
    Metrics::partner(&state.metrics.inbound_received, partner);
    let receipt_id = received.receipt_id().to_string();
    let outcome = intake::process_outcome(
        &state.db,
        state.processors.for_channel(channel),
        &receipt_id,
        now,
    )
    .await?;
    Ok((receipt_id, outcome))
}
