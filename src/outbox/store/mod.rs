//! The outbox's SQL: claiming, recording outcomes (fenced), operator actions, listing,
//! figures for metrics, and the retention purge.
//!
//! Every function takes "now" (ms since the epoch) from its caller. Each state change after
//! a claim is fenced with `AND state = 'running' AND attempt = $n`; a change that matches no
//! row means the caller's lease was taken over, and nothing is recorded.
//!
//! Payloads are sealed at rest by [`crate::outbox::enqueue`] under
//! `outbox_messages:<partner>:<idempotency_key>`; [`claim`] and [`show`] open them.
//!
//! What a partner answered is its own text: an attempt's `detail` and a message's
//! `last_error` are stored with every run of 9 or more digits (and every written SSN)
//! masked and at most 512 bytes long ([`stored_error_text`]), here, whatever the transport
//! handed over.

mod claim;
mod heads;
mod inspect;
mod record;

use crate::store::StoreError;

pub use claim::{Claimed, Reap, claim, claim_sql, claim_with};
pub use heads::settle_heads_sql;
pub(crate) use heads::{settle_heads, settle_heads_on_postgres};
pub use inspect::{
    AttemptRow, ListFilter, MessageDetail, MessageOrigin, MessageSummary, depth, list, oldest_live,
    origin, purge_delivered, put_back, replay_count, show,
};
pub use record::{AttemptRecord, Decision, record, record_many, release};

/// A fenced write found that the lease is no longer the caller's.
#[derive(Debug, thiserror::Error)]
pub enum FenceError {
    /// Another dispatcher holds the message now (or an operator moved it).
    #[error("lease lost: message {id} attempt {attempt} is no longer held by this dispatcher")]
    LeaseLost {
        /// Message id.
        id: i64,
        /// The attempt the caller held.
        attempt: i64,
    },
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sqlx::Error> for FenceError {
    fn from(error: sqlx::Error) -> Self {
        FenceError::Store(StoreError::Sqlx(error))
    }
}

#[cfg(test)]
mod tests {
    use super::heads::{REAP_ATTEMPTS, REAP_MESSAGES, SETTLE_HEADS_SQLITE};
    use super::*;
    use crate::store::{Backend, Db};

    /// The dispatcher's statements that run over and over read only what they act on: the
    /// claim the due heads (`outbox_due_heads`), the reaping the leased messages
    /// (`outbox_leases`), never every message a partner ever had, nor every live one. On
    /// SQLite, which uses a partial index only when the statement states its condition.
    #[tokio::test]
    async fn the_claim_and_the_reaping_read_only_heads_and_leases_on_sqlite() {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::connect(&format!("sqlite://{}/plan.db", dir.path().display()))
            .await
            .unwrap();
        db.migrate().await.unwrap();
        let Db::Sqlite { read, .. } = &db else {
            unreachable!("a SQLite URL")
        };
        for (sql, index) in [
            (claim_sql(Backend::Sqlite), "outbox_due_heads"),
            (REAP_ATTEMPTS, "outbox_leases"),
            (REAP_MESSAGES, "outbox_leases"),
        ] {
            let plan: Vec<(i64, i64, i64, String)> =
                sqlx::query_as(sqlx::AssertSqlSafe(format!("EXPLAIN QUERY PLAN {sql}")))
                    .fetch_all(read)
                    .await
                    .unwrap();
            let details: Vec<&str> = plan.iter().map(|(.., detail)| detail.as_str()).collect();
            assert!(
                details.iter().any(|d| d.contains(index))
                    && !details.iter().any(|d| {
                        d.starts_with("SCAN") || d.contains("sqlite_autoindex_outbox_messages")
                    }),
                "does not read through {index} alone: {details:?}\n{sql}"
            );
        }
        // Settling a key reads its head from the unique head index and its oldest live
        // message from the first entry of the key's index of waiting messages.
        let plan: Vec<(i64, i64, i64, String)> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "EXPLAIN QUERY PLAN {SETTLE_HEADS_SQLITE}"
        )))
        .bind("[]")
        .fetch_all(read)
        .await
        .unwrap();
        let details: Vec<&str> = plan.iter().map(|(.., detail)| detail.as_str()).collect();
        for index in ["outbox_head_of_key", "outbox_waiting_by_key"] {
            assert!(
                details.iter().any(|d| d.contains(index)),
                "settling does not use {index}: {details:?}"
            );
        }
        assert!(
            !details
                .iter()
                .any(|d| d.starts_with("SCAN") && !d.contains("json_each")),
            "settling scans the outbox: {details:?}"
        );
        db.close().await;
    }
}
