//! Federal tax information (tax refund offset data, and the reconciliation discrepancies
//! derived from it): readable only with the `fti-reader` role, and every read is in the
//! audit trail — who, what, when — before the answer leaves.

use axum::Router;
use axum::routing::get;

use crate::audit;
use crate::store::now_ms;
use crate::store::tokens::TokenHolder;
use crate::web::{ApiError, AppState};

/// The FTI routes every gateway has; channels that hold federal tax information add
/// theirs, and read through [`audit_read`].
pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/fti/v1/reconcile/runs/{id}",
            get(crate::reconcile::web::fti_show_run),
        )
        .route(
            "/fti/v1/reconcile/runs/{id}/report.csv",
            get(crate::reconcile::web::fti_report_csv),
        )
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
