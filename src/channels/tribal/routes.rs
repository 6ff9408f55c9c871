//! The Tribal channel's route on the partner listener: `POST /partner/v1/tribal`.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum::routing::post;
use axum::{Json, Router};

use crate::web::partner::{BoundPartner, read_body, store_and_process};
use crate::web::{ApiError, AppState};

/// The routes.
pub fn partner_routes() -> Router<AppState> {
    Router::new().route("/partner/v1/tribal", post(receive_tribal))
}

/// `POST /partner/v1/tribal`: one Tribal exchange document from a Tribe (or, on a Tribe's
/// gateway, from the state). The body is stored first; the answer is the document's
/// verdict: 200 when accepted or a duplicate, 422 when rejected (with every reason).
async fn receive_tribal(
    State(state): State<AppState>,
    BoundPartner(partner): BoundPartner,
    headers: HeaderMap,
    body: axum::body::Body,
) -> Result<impl IntoResponse, ApiError> {
    use super::intake::{CHANNEL, DocumentVerdict};
    if partner.tribal_xml_agreement().is_none() {
        let detail = if partner.csenet_agreement().is_some() {
            "this partner's agreement exchanges CSENet transactions: use /partner/v1/csenet"
        } else {
            "this partner has no Tribal exchange agreement"
        };
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "No exchange agreement",
            detail,
        ));
    }
    // Read only now that the agreement admits this route.
    let body = read_body(&state, body).await?;
    let (receipt_id, outcome) = store_and_process(
        &state,
        &partner.id,
        CHANNEL,
        &headers,
        "application/xml",
        &body,
    )
    .await?;
    let Some(verdict) = outcome
        .as_deref()
        .and_then(|text| serde_json::from_str::<DocumentVerdict>(text).ok())
    else {
        // Stored, and judged meanwhile by the resume loop: the partner knows its bytes
        // are safe; the verdict is on the receipt and the event feed.
        return Ok((
            StatusCode::ACCEPTED,
            Json(serde_json::json!({ "receiptId": receipt_id })),
        ));
    };
    tracing::info!(
        partner = %partner.id,
        receipt_id,
        status = %verdict.status,
        transaction = verdict.transaction.as_deref().unwrap_or(""),
        "Tribal document taken in."
    );
    let status = if verdict.status == "rejected" {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    Ok((
        status,
        Json(serde_json::json!({ "receiptId": receipt_id, "document": verdict })),
    ))
}
