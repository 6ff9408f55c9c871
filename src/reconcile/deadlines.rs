//! Deadlines: the acknowledgments and responses a partner owes us.
//!
//! When a message that needs a business answer is enqueued, the caller records what it
//! expects, under the reference the answer will quote (a CSENet serial number, an e-IWO
//! document tracking number, a file control number), in the same transaction. When the
//! answer arrives, intake satisfies the deadline in the transaction that processes it.
//! Whatever is open past its due time is overdue, and reconciliation reports it.
//!
//! One deadline per (partner, reference, kind): expecting the same answer twice (a
//! redelivered message) keeps the first due date.

use serde::Serialize;

use crate::store::{Db, DbTx, StoreError};
use crate::{on_read, on_tx};

/// An answer we expect.
#[derive(Clone, Debug)]
pub struct Expectation<'a> {
    /// Who owes it.
    pub partner: &'a str,
    /// The outbox message that asked for it, when there is one.
    pub message_id: Option<i64>,
    /// What the answer will quote.
    pub reference: &'a str,
    /// What kind of answer (`csenet.acknowledgment`, `eiwo.employer-ack`, …).
    pub kind: &'a str,
    /// When it is due (ms since the epoch).
    pub due_at: i64,
    /// The case it is about, when the answer will name the case rather than the reference.
    pub case_id: Option<&'a str>,
}

/// A recorded deadline.
#[derive(Clone, Debug, Serialize, sqlx::FromRow)]
#[serde(rename_all = "camelCase")]
pub struct Deadline {
    /// Row id.
    pub id: i64,
    /// Who owes the answer.
    pub partner: String,
    /// The message that asked for it.
    pub message_id: Option<i64>,
    /// What the answer will quote.
    pub reference: String,
    /// Kind of answer.
    pub kind: String,
    /// Due (ms since the epoch).
    pub due_at: i64,
    /// Recorded at.
    pub created_at: i64,
    /// Answered at.
    pub satisfied_at: Option<i64>,
    /// The receipt that carried the answer.
    pub satisfied_by: Option<String>,
    /// The case it is about.
    pub case_id: Option<String>,
}

const COLUMNS: &str = "id, partner, message_id, reference, kind, due_at, created_at, satisfied_at, satisfied_by, case_id";

/// Records an expected answer in the caller's transaction; an existing one is kept.
pub async fn expect(
    tx: &mut DbTx,
    expectation: &Expectation<'_>,
    now: i64,
) -> Result<(), StoreError> {
    on_tx!(tx, c => {
        sqlx::query(
            "INSERT INTO ack_deadlines (partner, message_id, reference, kind, due_at, created_at, case_id) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (partner, reference, kind) DO NOTHING",
        )
        .bind(expectation.partner)
        .bind(expectation.message_id)
        .bind(expectation.reference)
        .bind(expectation.kind)
        .bind(expectation.due_at)
        .bind(now)
        .bind(expectation.case_id)
        .execute(c)
        .await?
        .rows_affected()
    });
    Ok(())
}

/// Marks the answer as received (by receipt `receipt_id`). Returns false when nothing was
/// expected under that reference, or it was already answered.
pub async fn satisfy(
    tx: &mut DbTx,
    partner: &str,
    reference: &str,
    kind: &str,
    receipt_id: &str,
    now: i64,
) -> Result<bool, StoreError> {
    let changed = on_tx!(tx, c => {
        sqlx::query(
            "UPDATE ack_deadlines SET satisfied_at = $1, satisfied_by = $2 \
             WHERE partner = $3 AND reference = $4 AND kind = $5 AND satisfied_at IS NULL",
        )
        .bind(now)
        .bind(receipt_id)
        .bind(partner)
        .bind(reference)
        .bind(kind)
        .execute(c)
        .await?
        .rows_affected()
    });
    Ok(changed == 1)
}

/// Marks the oldest open answer of `kind` that `partner` owes about `case_id` as received
/// (for answers that name the case, not our reference: a CSENet acknowledgment quotes the
/// case ids, never the serial it acknowledges). Returns the reference it satisfied.
pub async fn satisfy_for_case(
    tx: &mut DbTx,
    partner: &str,
    kind: &str,
    case_id: &str,
    receipt_id: &str,
    now: i64,
) -> Result<Option<String>, StoreError> {
    let open: Option<(i64, String)> = on_tx!(tx, c => {
        sqlx::query_as(
            "SELECT id, reference FROM ack_deadlines WHERE partner = $1 AND kind = $2 \
             AND case_id = $3 AND satisfied_at IS NULL ORDER BY due_at, id LIMIT 1",
        )
        .bind(partner)
        .bind(kind)
        .bind(case_id)
        .fetch_optional(c)
        .await?
    });
    let Some((id, reference)) = open else {
        return Ok(None);
    };
    on_tx!(tx, c => {
        sqlx::query("UPDATE ack_deadlines SET satisfied_at = $1, satisfied_by = $2 WHERE id = $3")
            .bind(now)
            .bind(receipt_id)
            .bind(id)
            .execute(c)
            .await?
            .rows_affected()
    });
    Ok(Some(reference))
}

/// Open deadlines whose due time has passed, most overdue first.
pub async fn overdue(db: &Db, now: i64) -> Result<Vec<Deadline>, StoreError> {
    let sql = format!(
        "SELECT {COLUMNS} FROM ack_deadlines WHERE satisfied_at IS NULL AND due_at < $1 ORDER BY due_at, id"
    );
    Ok(on_read!(db, c => {
        sqlx::query_as::<_, Deadline>(sqlx::AssertSqlSafe(sql.as_str()))
            .bind(now)
            .fetch_all(c)
            .await?
    }))
}

/// Every deadline recorded for `reference` (any partner or kind).
pub async fn for_reference(db: &Db, reference: &str) -> Result<Vec<Deadline>, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM ack_deadlines WHERE reference = $1 ORDER BY id");
    Ok(on_read!(db, c => {
        sqlx::query_as::<_, Deadline>(sqlx::AssertSqlSafe(sql.as_str()))
            .bind(reference)
            .fetch_all(c)
            .await?
    }))
}

/// The due time, in ms since the epoch, `working_days` federal working days after the
/// (UTC) date of `from_ms`, at the end of that day.
pub fn due_after_working_days(from_ms: i64, working_days: u32) -> i64 {
    let from = time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(from_ms) * 1_000_000)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH)
        .date();
    let due = super::calendar::add_working_days(from, working_days);
    let end_of_day = due
        .with_hms(23, 59, 59)
        .unwrap_or(due.midnight())
        .assume_utc();
    (end_of_day.unix_timestamp_nanos() / 1_000_000) as i64
}

#[cfg(test)]
mod tests {
    use super::due_after_working_days;

    #[test]
    fn ten_working_days_from_a_friday_before_thanksgiving_end_on_the_seventh_of_december() {
        // 2026-11-20T12:00:00Z
        let from = 1_795_176_000_000;
        let due = due_after_working_days(from, 10);
        // 2026-12-07T23:59:59Z
        assert_eq!(due, 1_796_687_999_000);
    }
}
