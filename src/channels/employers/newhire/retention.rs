//! How long an upload's raw bytes and its records' W4 copies are kept.

use crate::store::{Db, StoreError};
use crate::{on_read, on_tx};

/// Deletes the raw files of processed uploads received before `cutoff`, and the W4 copies
/// of their records that have gone to NDNH; the receipts and verdicts stay. Returns how
/// many files were deleted.
pub async fn purge_before(db: &Db, cutoff: i64) -> Result<usize, StoreError> {
    let old: Vec<(String, String)> = on_read!(db, c => {
        sqlx::query_as(
            "SELECT receipt_id, spool_path FROM inbound_receipts WHERE spool_path IS NOT NULL \
             AND state = 'processed' AND received_at < $1 ORDER BY received_at LIMIT 1000",
        )
        .bind(cutoff)
        .fetch_all(c)
        .await?
    });
    for (receipt_id, path) in &old {
        match std::fs::remove_file(path) {
            Ok(()) => {}
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
            Err(error) => {
                tracing::warn!(receipt_id, error = %error, "A spooled upload past retention could not be deleted; retried at the next run.");
                continue;
            }
        }
        let mut tx = db.begin().await?;
        on_tx!(&mut tx, c => {
            sqlx::query("UPDATE inbound_receipts SET spool_path = NULL WHERE receipt_id = $1")
                .bind(receipt_id)
                .execute(c)
                .await?
                .rows_affected()
        });
        on_tx!(&mut tx, c => {
            sqlx::query(
                "UPDATE new_hire_records SET w4 = NULL WHERE receipt_id = $1 AND ndnh_batch IS NOT NULL",
            )
            .bind(receipt_id)
            .execute(c)
            .await?
            .rows_affected()
        });
        tx.commit().await?;
    }
    Ok(old.len())
}

/// Runs [`purge_before`] every `interval` until shut down.
pub async fn run_retention(
    db: Db,
    retention: std::time::Duration,
    interval: std::time::Duration,
    shutdown: tokio_util::sync::CancellationToken,
) {
    loop {
        let cutoff = crate::store::now_ms() - retention.as_millis() as i64;
        match purge_before(&db, cutoff).await {
            Ok(0) => {}
            Ok(purged) => tracing::info!(purged, "Deleted new-hire uploads past retention."),
            Err(error) => tracing::warn!(error = %error, "New-hire retention purge failed."),
        }
        tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = tokio::time::sleep(interval) => {}
        }
    }
}
