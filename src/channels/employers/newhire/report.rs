//! What a receipt says: its totals, its records' verdicts, and who sent it.

use serde::Serialize;

use crate::on_read;
use crate::store::{Db, StoreError};

/// The totals of one upload.
#[derive(Clone, Debug, Default, Serialize, sqlx::FromRow, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Summary {
    /// The receipt id.
    pub receipt_id: String,
    /// `w4`, `xx`, `csv` or `xml`.
    pub format: String,
    /// `processing` or `complete`.
    pub state: String,
    /// Records judged so far.
    pub records: i64,
    /// Accepted (will be forwarded to NDNH).
    pub accepted: i64,
    /// Invalid (see each record's problems).
    pub invalid: i64,
    /// Duplicates of an earlier report.
    pub duplicate: i64,
    /// FEIN outside the uploader's scope.
    pub refused: i64,
    /// Accepted reports that matched a noncustodial parent. Internal: never serialized, so
    /// no employer-facing answer (API, pages, CSV) can tell an employer whether an SSN
    /// belongs to a noncustodial parent.
    #[serde(skip_serializing)]
    pub matched: i64,
    /// When it was received (ms since the epoch).
    pub received_at: i64,
    /// When processing finished.
    pub completed_at: Option<i64>,
}

impl Summary {
    /// True when every record was for a FEIN outside the sender's scope: nothing of the
    /// file was taken, and the sender is told so as a refusal.
    pub fn all_outside_scope(&self) -> bool {
        self.records > 0 && self.refused == self.records
    }
}

pub(super) const SUMMARY_COLUMNS: &str = "receipt_id, format, state, records_done AS records, accepted, \
     invalid, duplicate, refused, matched, received_at, completed_at";

/// One record's verdict in a receipt.
#[derive(Clone, Debug, Serialize, sqlx::FromRow)]
#[serde(rename_all = "camelCase")]
pub struct RecordReport {
    /// 1-based record number in the file.
    #[serde(rename = "record")]
    pub record_no: i64,
    /// accepted, invalid, duplicate or refused.
    pub status: String,
    /// Errors and warnings (JSON array), when there are any.
    #[serde(skip)]
    pub problems: Option<String>,
    /// The earlier report this one repeats (`receipt/record`).
    pub duplicate_of: Option<String>,
    /// The NDNH transmission it went out in.
    pub ndnh_batch: Option<i64>,
    /// What NDNH said: posted, warning or rejected.
    pub ndnh_status: Option<String>,
}

impl RecordReport {
    /// The problems as JSON values.
    pub fn problems_json(&self) -> Vec<serde_json::Value> {
        self.problems
            .as_deref()
            .and_then(|p| serde_json::from_str(p).ok())
            .unwrap_or_default()
    }
}

/// One problem of a record, as stored and reported: never the value.
#[derive(Clone, Debug, Serialize, serde::Deserialize, PartialEq, Eq)]
pub struct Problem {
    /// The field.
    pub field: String,
    /// 1-based byte position in a fixed-width record (column for CSV), when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub position: Option<usize>,
    /// Stable code.
    pub code: String,
    /// What is wrong and how to fix it.
    pub message: String,
    /// `error` (the record is not accepted) or `warning`.
    pub severity: String,
}

pub(super) fn problem(error: &ivd_fixed::FieldError, severity: &str) -> Problem {
    Problem {
        field: error.field.to_string(),
        position: error.position,
        code: error.code.as_str().to_string(),
        message: error.message.clone(),
        severity: severity.to_string(),
    }
}

/// The totals of a receipt.
pub async fn summary(db: &Db, receipt_id: &str) -> Result<Option<Summary>, StoreError> {
    Ok(on_read!(db, c => {
        sqlx::query_as::<_, Summary>(sqlx::AssertSqlSafe(format!(
            "SELECT {SUMMARY_COLUMNS} FROM new_hire_receipts WHERE receipt_id = $1"
        )))
        .bind(receipt_id)
        .fetch_optional(c)
        .await?
    }))
}

/// Who sent an upload.
#[derive(Clone, Copy, Debug)]
pub struct Submitter<'a> {
    /// The account that sent it (the identity receipts are read by); none for a file a
    /// partner dropped.
    pub account_id: Option<i64>,
    /// The account's or partner's name, for display.
    pub name: &'a str,
}

/// The account that uploaded a receipt: `None` when there is no such receipt,
/// `Some(None)` when no account sent it.
pub async fn submitter_account(
    db: &Db,
    receipt_id: &str,
) -> Result<Option<Option<i64>>, StoreError> {
    let row: Option<(Option<i64>,)> = on_read!(db, c => {
        sqlx::query_as("SELECT account_id FROM new_hire_receipts WHERE receipt_id = $1")
            .bind(receipt_id)
            .fetch_optional(c)
            .await?
    });
    Ok(row.map(|(account,)| account))
}

/// A page of a receipt's records after record `after`, in order.
pub async fn records(
    db: &Db,
    receipt_id: &str,
    after: i64,
    limit: i64,
) -> Result<Vec<RecordReport>, StoreError> {
    Ok(on_read!(db, c => {
        sqlx::query_as::<_, RecordReport>(
            "SELECT record_no, status, problems, duplicate_of, ndnh_batch, ndnh_status \
             FROM new_hire_records WHERE receipt_id = $1 AND record_no > $2 \
             ORDER BY record_no LIMIT $3",
        )
        .bind(receipt_id)
        .bind(after)
        .bind(limit)
        .fetch_all(c)
        .await?
    }))
}
