//! `/healthz` (alive), `/readyz` (database reachable, migrations applied), `/metrics`.

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;

use crate::store::now_ms;
use crate::web::AppState;

/// The health and metrics routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
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
async fn metrics(
    State(state): State<AppState>,
    headers: axum::http::HeaderMap,
) -> impl IntoResponse {
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
