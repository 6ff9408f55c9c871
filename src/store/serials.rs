//! Serial numbers that formats require to be unique and sequential (CSENet transaction
//! serial numbers, e-IWO and federal file control numbers).
//!
//! A counter is advanced in the caller's transaction: the number is used only if that
//! transaction commits, and two transactions never get the same number (on PostgreSQL the
//! counter row is locked until commit; SQLite has one writer). A rolled-back transaction
//! leaves a gap, which the formats allow; reuse they do not.

use crate::on_tx;
use crate::store::{DbTx, StoreError};

/// The next number of counter `name` (1 for a new counter).
pub async fn next(tx: &mut DbTx, name: &str) -> Result<i64, StoreError> {
    let (value,): (i64,) = on_tx!(tx, c => {
        sqlx::query_as(
            "INSERT INTO serial_counters (name, last_value) VALUES ($1, 1) \
             ON CONFLICT (name) DO UPDATE SET last_value = serial_counters.last_value + 1 \
             RETURNING last_value",
        )
        .bind(name)
        .fetch_one(c)
        .await?
    });
    Ok(value)
}

/// Undoes [`next`] of the same transaction when `value` went unused, so that the counter
/// keeps no gap: the transaction still holds the counter (its row lock on PostgreSQL; the
/// writer on SQLite), so nobody has taken a later number.
pub async fn give_back(tx: &mut DbTx, name: &str, value: i64) -> Result<(), StoreError> {
    on_tx!(tx, c => {
        sqlx::query(
            "UPDATE serial_counters SET last_value = last_value - 1 \
             WHERE name = $1 AND last_value = $2",
        )
        .bind(name)
        .bind(value)
        .execute(c)
        .await?
        .rows_affected()
    });
    Ok(())
}
