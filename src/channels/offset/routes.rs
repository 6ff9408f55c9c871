//! The offset channel's routes on the API listener: the operator's "run the cycle now",
//! and the federal tax information it holds, read only with the `fti-reader` role and
//! audited before the answer leaves ([`crate::web::fti::audit_read`]).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::{Json, Router};

use super::OffsetExchange;
use crate::store::now_ms;
use crate::web::fti::audit_read;
use crate::web::operator::audit_job;
use crate::web::{ApiError, AppState, Bearer, FtiReaderRole, OperatorRoles};

/// The routes.
pub fn api_routes() -> Router<AppState> {
    Router::new()
        .route("/operator/v1/offset/cycle", post(run_offset_cycle))
        .route("/fti/v1/offset/collections/{id}", get(get_collection))
        .route(
            "/fti/v1/offset/reconciliations/{run}",
            get(get_reconciliation),
        )
}

fn exchange(state: &AppState) -> OffsetExchange {
    OffsetExchange {
        db: state.db.clone(),
        settings: state.settings.clone(),
        key: state.lookup_key.clone(),
        sealer: state.data_keys.clone(),
    }
}

/// `POST /operator/v1/offset/cycle`: runs the tax refund offset certification cycle now
/// (only the changes since the last one are sent; nothing when nothing changed).
async fn run_offset_cycle(
    State(state): State<AppState>,
    Bearer(holder, _): Bearer<OperatorRoles>,
) -> Result<impl IntoResponse, ApiError> {
    if state.settings.offset.partner.is_none() {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "Not configured",
            "no offset partner is configured",
        ));
    }
    let exchange = exchange(&state);
    let report = exchange.run_cycle(now_ms()).await?;
    state.dispatcher_wake.notify_waiters();
    let outcome = serde_json::json!({ "cycle": report });
    audit_job(
        &state,
        &format!("token:{}", holder.name),
        "offset-cycle",
        outcome.clone(),
    )
    .await?;
    Ok(Json(outcome))
}

async fn get_collection(
    State(state): State<AppState>,
    Bearer(holder, _): Bearer<FtiReaderRole>,
    Path(id): Path<String>,
) -> Result<impl IntoResponse, ApiError> {
    let collection = exchange(&state)
        .collection(&id)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("no offset collection {id}")))?;
    audit_read(&state, &holder, &format!("offset-collection:{id}")).await?;
    Ok(Json(collection))
}

async fn get_reconciliation(
    State(state): State<AppState>,
    Bearer(holder, _): Bearer<FtiReaderRole>,
    Path(run): Path<i64>,
) -> Result<impl IntoResponse, ApiError> {
    let report = exchange(&state)
        .reconciliation_report(run)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("no offset reconciliation {run}")))?;
    audit_read(&state, &holder, &format!("offset-reconciliation:{run}")).await?;
    Ok(Json(
        serde_json::json!({ "run": run, "differences": report }),
    ))
}
