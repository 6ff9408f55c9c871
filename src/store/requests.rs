//! Outbound transactions the state system asked for: the cause of each such outbox
//! message, kept so that a replay rebuilds the same request from the case as it is now.

use crate::on_tx;
use crate::store::{DbTx, StoreError};

/// A stored request.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct TransactionRequest {
    /// Row id (the outbox message's cause id).
    pub id: i64,
    /// The case it is about.
    pub case_id: String,
    /// The partner it goes to.
    pub partner: String,
    /// The format (renderer kind).
    pub format: String,
    /// Format parameters, JSON (e.g. CSENet function, action, reason).
    pub parameters: String,
    /// When it was asked for.
    pub created_at: i64,
}

/// Records a request in the caller's transaction; returns its id.
pub async fn insert(
    tx: &mut DbTx,
    case_id: &str,
    partner: &str,
    format: &str,
    parameters: &serde_json::Value,
    now: i64,
) -> Result<i64, StoreError> {
    let (id,): (i64,) = on_tx!(tx, c => {
        sqlx::query_as(
            "INSERT INTO transaction_requests (case_id, partner, format, parameters, created_at) \
             VALUES ($1, $2, $3, $4, $5) RETURNING id",
        )
        .bind(case_id)
        .bind(partner)
        .bind(format)
        .bind(parameters.to_string())
        .bind(now)
        .fetch_one(c)
        .await?
    });
    Ok(id)
}

/// Reads a request in the caller's transaction.
pub async fn get(tx: &mut DbTx, id: i64) -> Result<Option<TransactionRequest>, StoreError> {
    Ok(on_tx!(tx, c => {
        sqlx::query_as::<_, TransactionRequest>(
            "SELECT id, case_id, partner, format, parameters, created_at FROM transaction_requests WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(c)
        .await?
    }))
}
