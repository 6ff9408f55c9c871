//! The FIDM channel's route on the API listener: the operator's "write the inquiry file
//! now".

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::post;
use axum::{Json, Router};

use crate::store::now_ms;
use crate::web::operator::audit_job;
use crate::web::{ApiError, AppState, Bearer, OperatorRoles};

/// The routes.
pub fn api_routes() -> Router<AppState> {
    Router::new().route("/operator/v1/fidm/inquiry", post(run_fidm_inquiry))
}

/// `POST /operator/v1/fidm/inquiry`: writes the FIDM inquiry file for the obligors with
/// arrears now.
async fn run_fidm_inquiry(
    State(state): State<AppState>,
    Bearer(holder, _): Bearer<OperatorRoles>,
) -> Result<impl IntoResponse, ApiError> {
    if state.settings.fidm.partner.is_none() {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "Not configured",
            "no FIDM partner is configured",
        ));
    }
    let inquiry = super::inquiry::FidmInquiry {
        db: state.db.clone(),
        settings: state.settings.clone(),
        key: state.lookup_key.clone(),
    };
    let run = inquiry.write_inquiry(now_ms()).await?;
    state.dispatcher_wake.notify_waiters();
    let outcome = serde_json::json!({
        "run": run.as_ref().map(|r| serde_json::json!({
            "runNumber": r.run_number, "yearMonth": r.year_month, "count": r.count, "messageId": r.message_id,
        })),
    });
    audit_job(
        &state,
        &format!("token:{}", holder.name),
        "fidm-inquiry",
        outcome.clone(),
    )
    .await?;
    Ok(Json(outcome))
}
