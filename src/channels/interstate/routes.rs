//! The interstate channel's route on the partner listener: `POST /partner/v1/csenet`.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum::routing::post;
use axum::{Json, Router};

use crate::web::partner::{BoundPartner, read_body, store_and_process};
use crate::web::{ApiError, AppState};

/// The routes.
pub fn partner_routes() -> Router<AppState> {
    Router::new().route("/partner/v1/csenet", post(receive_csenet))
}

/// `POST /partner/v1/csenet`: one or more newline-terminated CSENet transactions from a
/// partner state. The body is stored first; the answer lists a verdict per transaction.
async fn receive_csenet(
    State(state): State<AppState>,
    BoundPartner(partner): BoundPartner,
    headers: HeaderMap,
    body: axum::body::Body,
) -> Result<impl IntoResponse, ApiError> {
    use super::intake::{CHANNEL, TransactionVerdict};
    if partner.csenet_agreement().is_none() {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "No exchange agreement",
            "this partner has no CSENet exchange agreement",
        ));
    }
    // Read only now that the agreement admits this route.
    let body = read_body(&state, body).await?;
    let (receipt_id, outcome) =
        store_and_process(&state, &partner.id, CHANNEL, &headers, "text/plain", &body).await?;
    let verdicts: Vec<TransactionVerdict> = outcome
        .as_deref()
        .and_then(|text| serde_json::from_str(text).ok())
        .unwrap_or_default();
    let count = |status: &str| verdicts.iter().filter(|v| v.status == status).count();
    tracing::info!(
        partner = %partner.id,
        receipt_id,
        accepted = count("accepted"),
        duplicates = count("duplicate"),
        rejected = count("rejected"),
        "CSENet transactions taken in."
    );
    Ok((
        StatusCode::OK,
        Json(serde_json::json!({ "receiptId": receipt_id, "transactions": verdicts })),
    ))
}
