//! The demo's loopback stand-ins for partners that are not gateways: an employer's
//! payroll system receiving e-IWOs, a county office that refuses what it is sent, and an
//! alert webhook that prints every alert it gets.

use axum::Router;
use axum::body::Bytes;
use axum::http::StatusCode;
use axum::routing::post;
use tokio::task::JoinHandle;

/// Starts the stand-ins on `127.0.0.1:port`.
pub async fn start(port: u16) -> anyhow::Result<JoinHandle<()>> {
    let router = Router::new()
        .route("/eiwo", post(employer_receives_an_order))
        .route("/cases", post(county_refuses))
        .route("/alerts", post(alert_received));
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
    Ok(tokio::spawn(async move {
        if let Err(error) = axum::serve(listener, router).await {
            tracing::warn!(error = %error, "The demo's partner stand-ins stopped.");
        }
    }))
}

async fn employer_receives_an_order(body: Bytes) -> StatusCode {
    println!(
        "  [employer] Acme Payroll received an income withholding order file ({} bytes).",
        body.len()
    );
    StatusCode::OK
}

async fn county_refuses() -> (StatusCode, &'static str) {
    (
        StatusCode::UNPROCESSABLE_ENTITY,
        "county-9 does not take cases through this route",
    )
}

async fn alert_received(body: Bytes) -> StatusCode {
    let alert: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
    println!(
        "  [alert] {}: {}",
        alert["state"].as_str().unwrap_or("?"),
        alert["summary"].as_str().unwrap_or("?")
    );
    StatusCode::OK
}
