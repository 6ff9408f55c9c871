//! Employers: new-hire reports in, NDNH transmissions out, matches to noncustodial
//! parents, income withholding orders out and employers' acknowledgments back.
//!
//! The path of one report:
//! 1. [`newhire`]: an employer uploads a file (W4, XX, CSV or XML). Its bytes are spooled
//!    and fsynced before anything reads them; then it is parsed as a stream, in
//!    checkpointed chunks, each record getting a verdict (accepted, invalid, duplicate,
//!    or refused when its FEIN is outside the uploader's scope).
//! 2. [`matching`]: in the same transaction as its verdict, an accepted report whose SSN
//!    (by keyed hash) is a noncustodial parent's on an open case with an order becomes a
//!    "new employer" event for the state system and, when the order has a current
//!    obligation, an income withholding order ([`iwo`]).
//! 3. [`ndnh`]: accepted reports are gathered into SDNH → NDNH transmission files, each
//!    record in exactly one file, and leave through the outbox; NDNH's returns are matched
//!    back to the records they answer.
//! 4. [`iwo`]: e-IWO files go to the employer through the outbox; the employer's
//!    acknowledgment file is taken in, each answer recorded and put on the state feed; an
//!    order still unanswered at its deadline is left open for reconciliation.

pub mod iwo;
pub mod matching;
pub mod ndnh;
pub mod newhire;

use crate::on_read;
use crate::store::{Db, StoreError};

/// Counts for the dashboard and the metrics.
#[derive(Clone, Debug, Default, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EmployerStats {
    /// New-hire records by status.
    pub records: Vec<(String, i64)>,
    /// Accepted records not yet in an NDNH transmission.
    pub awaiting_ndnh: i64,
    /// Withholding orders by status.
    pub orders: Vec<(String, i64)>,
}

/// Reads the counts.
pub async fn stats(db: &Db) -> Result<EmployerStats, StoreError> {
    let records: Vec<(String, i64)> = on_read!(db, c => {
        sqlx::query_as("SELECT status, COUNT(*) FROM new_hire_records GROUP BY status")
            .fetch_all(c)
            .await?
    });
    let (awaiting_ndnh,): (i64,) = on_read!(db, c => {
        sqlx::query_as(
            "SELECT COUNT(*) FROM new_hire_records WHERE status = 'accepted' AND ndnh_batch IS NULL",
        )
        .fetch_one(c)
        .await?
    });
    let orders: Vec<(String, i64)> = on_read!(db, c => {
        sqlx::query_as("SELECT status, COUNT(*) FROM withholding_orders GROUP BY status")
            .fetch_all(c)
            .await?
    });
    Ok(EmployerStats {
        records,
        awaiting_ndnh,
        orders,
    })
}
