//! `/healthz` (alive), `/readyz` (database reachable, migrations applied), `/metrics`.
//!
//! `/metrics` is served on the API listener, or only on its own listener when
//! `server.metrics_listen` is set (an address only the monitoring network reaches). With
//! `server.metrics_token_file` it answers only a scraper that presents that file's token
//! as `Authorization: Bearer …` (Prometheus: `authorization: { credentials_file: … }`);
//! the file is read at every scrape, like Prometheus reads its own, so the token can be
//! replaced without a restart. Either way no label carries anything a client sent (see
//! [`crate::telemetry::metrics`]).

use std::path::Path;

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::config::ServerSettings;
use crate::store::now_ms;
use crate::web::{ApiError, AppState};

/// The health routes, and `/metrics` unless it has a listener of its own.
pub fn routes(server: &ServerSettings) -> Router<AppState> {
    let router = Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz));
    if server.metrics_listen.is_some() {
        router
    } else {
        router.merge(metrics_routes())
    }
}

/// `/metrics` alone: the routes of the metrics listener.
pub fn metrics_routes() -> Router<AppState> {
    Router::new().route("/metrics", get(metrics))
}

/// Reads the metrics token file: its content without surrounding white space, which must
/// not be empty.
pub async fn read_metrics_token(path: &Path) -> std::io::Result<String> {
    let token = tokio::fs::read_to_string(path).await?.trim().to_string();
    if token.is_empty() {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            "the file is empty",
        ));
    }
    Ok(token)
}

/// `Ok` when no token is configured or the request presents it; otherwise the answer.
async fn check_metrics_token(state: &AppState, headers: &HeaderMap) -> Result<(), Response> {
    let Some(path) = &state.settings.server.metrics_token_file else {
        return Ok(());
    };
    let expected = read_metrics_token(path).await.map_err(|error| {
        tracing::error!(path = %path.display(), error = %error, "The metrics token file could not be read.");
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "Metrics unavailable",
            "the metrics token could not be read; see the gateway's log",
        )
        .into_response()
    })?;
    let presented = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .unwrap_or_default();
    // Digests first, so the comparison takes as long whatever the lengths.
    let matches: bool = Sha256::digest(presented.as_bytes())[..]
        .ct_eq(&Sha256::digest(expected.as_bytes())[..])
        .into();
    if matches && !presented.is_empty() {
        return Ok(());
    }
    let mut refused = ApiError::new(
        StatusCode::UNAUTHORIZED,
        "Unauthorized",
        "the metrics token is required",
    )
    .into_response();
    refused
        .headers_mut()
        .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
    Err(refused)
}

async fn healthz() -> impl IntoResponse {
    (StatusCode::OK, "ok\n")
}

async fn readyz(State(state): State<AppState>) -> impl IntoResponse {
    match state.db.is_ready().await {
        Ok(true) => (
            StatusCode::OK,
            axum::Json(serde_json::json!({ "status": "ready" })),
        ),
        Ok(false) => (
            StatusCode::SERVICE_UNAVAILABLE,
            axum::Json(
                serde_json::json!({ "status": "not ready", "reason": "migrations not applied" }),
            ),
        ),
        Err(error) => {
            tracing::warn!(error = %error, "Readiness check could not reach the database.");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                axum::Json(
                    serde_json::json!({ "status": "not ready", "reason": "database unreachable" }),
                ),
            )
        }
    }
}

/// `/metrics`: OpenMetrics to a scraper that asks for it (Prometheus does), the classic
/// Prometheus text format (0.0.4) to everyone else, so `promtool check metrics` and plain
/// `curl` see a consistent exposition.
async fn metrics(State(state): State<AppState>, headers: HeaderMap) -> Response {
    if let Err(refused) = check_metrics_token(&state, &headers).await {
        return refused;
    }
    let openmetrics = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|accept| accept.contains("application/openmetrics-text"));
    for channel in state.channels.iter() {
        state
            .metrics
            .set_circuit(&channel.id, channel.circuit.state());
    }
    match state
        .metrics
        .render(&state.db, &state.partner_ids(), now_ms())
        .await
    {
        Ok(text) if openmetrics => (
            StatusCode::OK,
            [(
                header::CONTENT_TYPE,
                "application/openmetrics-text; version=1.0.0; charset=utf-8",
            )],
            text,
        )
            .into_response(),
        Ok(text) => (
            StatusCode::OK,
            [(
                header::CONTENT_TYPE,
                "text/plain; version=0.0.4; charset=utf-8",
            )],
            crate::telemetry::metrics::classic_text(&text),
        )
            .into_response(),
        Err(error) => {
            tracing::warn!(error = %error, "Metrics could not read the database.");
            (StatusCode::SERVICE_UNAVAILABLE, "database unreachable\n").into_response()
        }
    }
}
