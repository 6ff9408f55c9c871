//! Federal tax information (tax refund offset data, and the reconciliation discrepancies
//! derived from it): readable only with the `fti-reader` role, and every read is in the
//! audit trail — who, what, when — before the answer leaves.

use axum::extract::{Path, State};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{Json, Router};

use crate::audit;
use crate::channels::offset::OffsetExchange;
use crate::store::now_ms;
use crate::store::tokens::TokenHolder;
use crate::web::{ApiError, AppState, Bearer, FtiReaderRole};

/// The FTI routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/fti/v1/offset/collections/{id}", get(get_collection))
        .route(
            "/fti/v1/offset/reconciliations/{run}",
            get(get_reconciliation),
        )
        .route(
            "/fti/v1/reconcile/runs/{id}",
            get(crate::reconcile::web::fti_show_run),
        )
        .route(
            "/fti/v1/reconcile/runs/{id}/report.csv",
            get(crate::reconcile::web::fti_report_csv),
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

/// Records the read in the audit trail (committed before the data is answered).
pub(crate) async fn audit_read(
    state: &AppState,
    holder: &TokenHolder,
    subject: &str,
) -> Result<(), ApiError> {
    let mut tx = state.db.begin().await?;
    audit::append(
        &mut tx,
        &audit::NewEntry {
            actor: &format!("token:{}", holder.name),
            action: "fti.read",
            subject,
            reason: None,
            details: serde_json::json!({ "role": holder.role.as_str() }),
        },
        now_ms(),
    )
    .await?;
    tx.commit().await?;
    Ok(())
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
