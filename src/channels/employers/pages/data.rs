//! What the employer pages read: one account's past uploads and the withholding orders
//! sent to its FEINs. Every query is scoped by the account's id or by the FEINs the account
//! holds now, never by a name or anything a form carries.

use crate::on_read;
use crate::store::{Db, StoreError};

/// One past upload with its totals and how many of its records went on to NDNH.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct PastUpload {
    /// The receipt id.
    pub receipt_id: String,
    /// `w4`, `xx`, `csv` or `xml`.
    pub format: String,
    /// `processing` or `complete`.
    pub state: String,
    /// Records judged.
    pub records: i64,
    /// Accepted.
    pub accepted: i64,
    /// Invalid.
    pub invalid: i64,
    /// Duplicates.
    pub duplicate: i64,
    /// Refused (FEIN outside the account's scope).
    pub refused: i64,
    /// Accepted records already sent to the national directory.
    pub forwarded: i64,
    /// When it was received.
    pub received_at: i64,
}

/// The uploads of the account `account_id`, newest first.
pub async fn uploads_of(
    db: &Db,
    account_id: i64,
    limit: i64,
) -> Result<Vec<PastUpload>, StoreError> {
    Ok(on_read!(db, c => {
        sqlx::query_as::<_, PastUpload>(
            "SELECT h.receipt_id, h.format, h.state, h.records_done AS records, h.accepted, h.invalid, \
             h.duplicate, h.refused, \
             (SELECT COUNT(*) FROM new_hire_records r WHERE r.receipt_id = h.receipt_id \
              AND r.ndnh_batch IS NOT NULL) AS forwarded, \
             h.received_at FROM new_hire_receipts h WHERE h.account_id = $1 \
             ORDER BY h.received_at DESC, h.receipt_id DESC LIMIT $2",
        )
        .bind(account_id)
        .bind(limit)
        .fetch_all(c)
        .await?
    }))
}

/// An order as the employer sees it.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct Order {
    /// Tracking number.
    pub tracking_number: String,
    /// The IV-D case.
    pub case_id: String,
    /// The employer's FEIN.
    pub employer_fein: String,
    /// ORG, AMD, TRM or LUM.
    pub action: String,
    /// sent, accepted or rejected.
    pub status: String,
    /// The employer's reason code, when it rejected.
    pub reason: Option<String>,
    /// When it was issued.
    pub created_at: i64,
    /// When the answer is due.
    pub ack_due_at: i64,
    /// When it was answered.
    pub acked_at: Option<i64>,
}

const ORDER_COLUMNS: &str = "tracking_number, case_id, employer_fein, action, status, reason, \
     created_at, ack_due_at, acked_at";

/// The orders sent to any of `feins`, newest first.
pub async fn orders_for(db: &Db, feins: &[String]) -> Result<Vec<Order>, StoreError> {
    let mut all = Vec::new();
    for fein in feins {
        let mut orders: Vec<Order> = on_read!(db, c => {
            sqlx::query_as::<_, Order>(sqlx::AssertSqlSafe(format!(
                "SELECT {ORDER_COLUMNS} FROM withholding_orders WHERE employer_fein = $1"
            )))
            .bind(fein)
            .fetch_all(c)
            .await?
        });
        all.append(&mut orders);
    }
    all.sort_by_key(|o| std::cmp::Reverse(o.created_at));
    Ok(all)
}

/// The order `tracking_number`, when it was sent to one of `feins`.
pub async fn order(
    db: &Db,
    tracking_number: &str,
    feins: &[String],
) -> Result<Option<Order>, StoreError> {
    let order: Option<Order> = on_read!(db, c => {
        sqlx::query_as::<_, Order>(sqlx::AssertSqlSafe(format!(
            "SELECT {ORDER_COLUMNS} FROM withholding_orders WHERE tracking_number = $1"
        )))
        .bind(tracking_number)
        .fetch_optional(c)
        .await?
    });
    Ok(order.filter(|o| feins.contains(&o.employer_fein)))
}
