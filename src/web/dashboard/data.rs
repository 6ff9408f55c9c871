//! What the dashboard reads that no other part of the gateway needs: delivery activity per
//! partner and over time, and the audit trail searched.

use crate::audit::Entry;
use crate::store::{Db, StoreError};
use crate::{on_read, store};

/// A partner's latest delivery outcomes (database-wide, every instance).
#[derive(Clone, Debug, Default)]
pub struct Activity {
    /// Last delivered attempt (ms).
    pub last_success: Option<i64>,
    /// Last failed attempt (ms).
    pub last_failure: Option<i64>,
    /// What the last failure said (status, connection error; set by the transport).
    pub last_failure_reason: Option<String>,
    /// Messages waiting for a retry.
    pub retrying: i64,
}

/// The latest outcomes of `partner`'s deliveries.
pub async fn activity(db: &Db, partner: &str) -> Result<Activity, StoreError> {
    let success: Option<(Option<i64>,)> = on_read!(db, c => {
        sqlx::query_as(
            "SELECT MAX(a.finished_at) FROM outbox_attempts a JOIN outbox_messages m ON m.id = a.message_id \
             WHERE m.partner = $1 AND a.outcome = 'delivered'",
        )
        .bind(partner)
        .fetch_optional(c)
        .await?
    });
    let failure: Option<(i64, String)> = on_read!(db, c => {
        sqlx::query_as(
            "SELECT a.finished_at, a.detail FROM outbox_attempts a JOIN outbox_messages m ON m.id = a.message_id \
             WHERE m.partner = $1 AND a.outcome IN ('retry', 'rejected') \
             ORDER BY a.finished_at DESC LIMIT 1",
        )
        .bind(partner)
        .fetch_optional(c)
        .await?
    });
    let (retrying,): (i64,) = on_read!(db, c => {
        sqlx::query_as("SELECT COUNT(*) FROM outbox_messages WHERE partner = $1 AND state = 'retry'")
            .bind(partner)
            .fetch_one(c)
            .await?
    });
    Ok(Activity {
        last_success: success.and_then(|(at,)| at),
        last_failure: failure.as_ref().map(|(at, _)| *at),
        last_failure_reason: failure.map(|(_, detail)| detail),
        retrying,
    })
}

/// Delivered and failed attempts per bucket of `bucket_ms` since `since` (ms), oldest
/// first: `(bucket start, delivered, failed)`.
pub async fn throughput(
    db: &Db,
    since: i64,
    bucket_ms: i64,
) -> Result<Vec<(i64, i64, i64)>, StoreError> {
    let rows: Vec<(i64, i64, i64)> = on_read!(db, c => {
        sqlx::query_as(
            "SELECT (finished_at / $2) * $2 AS bucket, \
             SUM(CASE WHEN outcome = 'delivered' THEN 1 ELSE 0 END), \
             SUM(CASE WHEN outcome IN ('retry', 'rejected') THEN 1 ELSE 0 END) \
             FROM outbox_attempts WHERE finished_at >= $1 GROUP BY bucket ORDER BY bucket",
        )
        .bind(since)
        .bind(bucket_ms)
        .fetch_all(c)
        .await?
    });
    Ok(rows)
}

/// Audit entries whose actor, action, subject or reason contains `query` (any case),
/// newest first; all of the latest when `query` is empty.
pub async fn search_audit(db: &Db, query: &str, limit: i64) -> Result<Vec<Entry>, StoreError> {
    if query.trim().is_empty() {
        return crate::audit::recent(db, limit).await;
    }
    // LIKE's own wildcards in the query are matched literally.
    let pattern = format!(
        "%{}%",
        query
            .trim()
            .to_lowercase()
            .replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_")
    );
    Ok(on_read!(db, c => {
        sqlx::query_as::<_, Entry>(
            "SELECT seq, at, actor, action, subject, reason, details, prev_hash, hash FROM audit_log \
             WHERE LOWER(actor) LIKE $1 ESCAPE '\\' OR LOWER(action) LIKE $1 ESCAPE '\\' \
             OR LOWER(subject) LIKE $1 ESCAPE '\\' OR LOWER(COALESCE(reason, '')) LIKE $1 ESCAPE '\\' \
             ORDER BY seq DESC LIMIT $2",
        )
        .bind(pattern)
        .bind(limit)
        .fetch_all(c)
        .await?
    }))
}

/// One receipt's summary.
pub async fn receipt(
    db: &Db,
    receipt_id: &str,
) -> Result<Option<crate::intake::ReceiptSummary>, StoreError> {
    Ok(on_read!(db, c => {
        sqlx::query_as::<_, crate::intake::ReceiptSummary>(
            "SELECT receipt_id, partner, channel, message_id, content_type, size_bytes, sha256, \
             state, received_at, processed_at, outcome FROM inbound_receipts WHERE receipt_id = $1",
        )
        .bind(receipt_id)
        .fetch_optional(c)
        .await?
    }))
}

/// The time now, for pages.
pub fn now() -> i64 {
    store::now_ms()
}
