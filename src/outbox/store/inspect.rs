//! What operators and metrics read: messages listed and shown, depth, oldest live
//! message, the origin of a replay; putting a message back; the retention purge.

use serde::Serialize;

use crate::outbox::MessageState;
use crate::store::sealing::place;
use crate::store::{Db, DbTx, StoreError};
use crate::{on_db, on_read, on_tx};

use super::settle_heads;

/// A message without its payload, for lists.
#[derive(Clone, Debug, Serialize, sqlx::FromRow)]
#[serde(rename_all = "camelCase")]
pub struct MessageSummary {
    /// Message id.
    pub id: i64,
    /// Partner id.
    pub partner: String,
    /// Ordering key.
    pub ordering_key: String,
    /// Idempotency key.
    pub idempotency_key: String,
    /// Renderer kind.
    pub kind: String,
    /// State name.
    pub state: String,
    /// Attempts made.
    pub attempt: i64,
    /// Attempts allowed.
    pub max_attempts: i64,
    /// Next attempt not before.
    pub run_at: i64,
    /// Last failure, if any.
    pub last_error: Option<String>,
    /// Cause kind.
    pub cause_kind: String,
    /// Cause id.
    pub cause_id: String,
    /// The message this one replays.
    pub replay_of: Option<i64>,
    /// Enqueued at.
    pub created_at: i64,
    /// Delivered or dead at.
    pub finalized_at: Option<i64>,
}

const SUMMARY_COLUMNS: &str = "id, partner, ordering_key, idempotency_key, kind, state, attempt, \
     max_attempts, run_at, last_error, cause_kind, cause_id, replay_of, created_at, finalized_at";

/// One attempt of a message's history.
#[derive(Clone, Debug, Serialize, sqlx::FromRow)]
#[serde(rename_all = "camelCase")]
pub struct AttemptRow {
    /// Attempt number.
    pub attempt: i64,
    /// Who made it.
    pub worker: String,
    /// Started at.
    pub started_at: i64,
    /// Finished at.
    pub finished_at: i64,
    /// delivered, retry, rejected, lease_expired or released.
    pub outcome: String,
    /// HTTP status.
    pub status: Option<i64>,
    /// Detail.
    pub detail: String,
}

/// A message with its whole attempt history (still without the payload bytes, which may
/// hold personal data; their size and hash identify them).
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MessageDetail {
    /// The summary fields.
    #[serde(flatten)]
    pub summary: MessageSummary,
    /// MIME type.
    pub content_type: String,
    /// File name for file drops.
    pub file_name: String,
    /// Payload size in bytes.
    pub payload_bytes: usize,
    /// SHA-256 of the payload, hex.
    pub payload_sha256: String,
    /// Every attempt, oldest first.
    pub attempts: Vec<AttemptRow>,
}

/// Filter for [`list`].
#[derive(Clone, Debug, Default)]
pub struct ListFilter {
    /// Only this partner.
    pub partner: Option<String>,
    /// Only this state.
    pub state: Option<MessageState>,
    /// Only ids greater than this (paging).
    pub after_id: Option<i64>,
    /// At most this many (default 100).
    pub limit: Option<i64>,
}

/// Lists messages, oldest first.
pub async fn list(db: &Db, filter: &ListFilter) -> Result<Vec<MessageSummary>, StoreError> {
    let sql = format!(
        "SELECT {SUMMARY_COLUMNS} FROM outbox_messages \
         WHERE ($1 IS NULL OR partner = $1) AND ($2 IS NULL OR state = $2) AND id > $3 \
         ORDER BY id LIMIT $4"
    );
    let partner = filter.partner.as_deref();
    let state = filter.state.map(MessageState::as_str);
    Ok(on_read!(db, c => {
        sqlx::query_as::<_, MessageSummary>(sqlx::AssertSqlSafe(sql.as_str()))
            .bind(partner)
            .bind(state)
            .bind(filter.after_id.unwrap_or(0))
            .bind(filter.limit.unwrap_or(100).clamp(1, 10_000))
            .fetch_all(c)
            .await?
    }))
}

/// One message with its attempt history.
pub async fn show(db: &Db, id: i64) -> Result<Option<MessageDetail>, StoreError> {
    let sql = format!(
        "SELECT {SUMMARY_COLUMNS}, content_type, file_name, \
         (SELECT p.payload FROM outbox_payloads p WHERE p.message_id = outbox_messages.id) AS payload \
         FROM outbox_messages WHERE id = $1"
    );
    #[derive(sqlx::FromRow)]
    struct Row {
        #[sqlx(flatten)]
        summary: MessageSummary,
        content_type: String,
        file_name: String,
        payload: Vec<u8>,
    }
    let row: Option<Row> = on_read!(db, c => {
        sqlx::query_as::<_, Row>(sqlx::AssertSqlSafe(sql.as_str())).bind(id).fetch_optional(c).await?
    });
    let Some(mut row) = row else { return Ok(None) };
    // Size and digest are of the bytes the partner gets, not of their sealed form.
    row.payload = db.sealer().open_bytes(
        std::mem::take(&mut row.payload),
        &place::outbox(&row.summary.partner, &row.summary.idempotency_key),
    )?;
    let attempts: Vec<AttemptRow> = on_read!(db, c => {
        sqlx::query_as::<_, AttemptRow>(
            "SELECT attempt, worker, started_at, finished_at, outcome, status, detail \
             FROM outbox_attempts WHERE message_id = $1 ORDER BY attempt, finished_at",
        )
        .bind(id)
        .fetch_all(c)
        .await?
    });
    use sha2::Digest;
    Ok(Some(MessageDetail {
        payload_bytes: row.payload.len(),
        payload_sha256: hex::encode(sha2::Sha256::digest(&row.payload)),
        summary: row.summary,
        content_type: row.content_type,
        file_name: row.file_name,
        attempts,
    }))
}

/// Where a message comes from and where it stands: what redeliver and replay decide on.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct MessageOrigin {
    /// Message id.
    pub id: i64,
    /// Partner id.
    pub partner: String,
    /// Ordering key.
    pub ordering_key: String,
    /// Renderer kind.
    pub kind: String,
    /// Cause kind.
    pub cause_kind: String,
    /// Cause id.
    pub cause_id: String,
    /// State name.
    pub state: String,
}

/// Loads a message's origin and state, inside the operator's transaction.
pub async fn origin(tx: &mut DbTx, id: i64) -> Result<Option<MessageOrigin>, StoreError> {
    Ok(on_tx!(tx, c => {
        sqlx::query_as::<_, MessageOrigin>(
            "SELECT id, partner, ordering_key, kind, cause_kind, cause_id, state \
             FROM outbox_messages WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(c)
        .await?
    }))
}

/// How many replays of message `id` exist already (to number the next one).
pub async fn replay_count(tx: &mut DbTx, id: i64) -> Result<i64, StoreError> {
    let (n,): (i64,) = on_tx!(tx, c => {
        sqlx::query_as("SELECT COUNT(*) FROM outbox_messages WHERE replay_of = $1")
            .bind(id)
            .fetch_one(c)
            .await?
    });
    Ok(n)
}

/// Puts a dead or delivered message back in line with its same bytes, allowing it
/// `extra_attempts` more attempts. Returns false (and changes nothing) when the message is
/// not dead or delivered.
///
/// It takes its old place in its key: older than anything live there, it becomes the
/// key's head (a younger head gives the place up; if that one is in flight, its result is
/// still recorded) and the key waits for it.
pub async fn put_back(
    tx: &mut DbTx,
    id: i64,
    extra_attempts: i64,
    now: i64,
) -> Result<bool, StoreError> {
    let key: Option<(String, String)> = on_tx!(&mut *tx, c => {
        sqlx::query_as(
            "UPDATE outbox_messages SET state = 'pending', run_at = $1, \
             max_attempts = attempt + $2, finalized_at = NULL, last_error = NULL, \
             head = 0, updated_at = $1 WHERE id = $3 AND state IN ('dead', 'delivered') \
             RETURNING partner, ordering_key",
        )
        .bind(now)
        .bind(extra_attempts)
        .bind(id)
        .fetch_optional(c)
        .await?
    });
    let Some(key) = key else {
        return Ok(false);
    };
    on_tx!(&mut *tx, c => {
        sqlx::query(
            "UPDATE outbox_messages SET head = 0, updated_at = $1 \
             WHERE partner = $2 AND ordering_key = $3 AND head = 1 AND id > $4",
        )
        .bind(now)
        .bind(&key.0)
        .bind(&key.1)
        .bind(id)
        .execute(c)
        .await?
        .rows_affected()
    });
    settle_heads(tx, &[key]).await?;
    Ok(true)
}

/// Message counts per (partner, state).
pub async fn depth(db: &Db) -> Result<Vec<(String, String, i64)>, StoreError> {
    Ok(on_read!(db, c => {
        sqlx::query_as(
            "SELECT partner, state, COUNT(*) FROM outbox_messages GROUP BY partner, state",
        )
        .fetch_all(c)
        .await?
    }))
}

/// Per partner, when its oldest undelivered live message was enqueued.
pub async fn oldest_live(db: &Db) -> Result<Vec<(String, i64)>, StoreError> {
    Ok(on_read!(db, c => {
        sqlx::query_as(
            "SELECT partner, MIN(created_at) FROM outbox_messages \
             WHERE state IN ('pending', 'running', 'retry') GROUP BY partner",
        )
        .fetch_all(c)
        .await?
    }))
}

/// Deletes delivered messages finalized before `cutoff`, `batch` rows per transaction so a
/// large purge never holds the writer for long. Returns how many were deleted.
pub async fn purge_delivered(db: &Db, cutoff: i64, batch: i64) -> Result<u64, StoreError> {
    let mut total = 0;
    loop {
        let deleted = on_db!(db, c => {
            sqlx::query(
                "DELETE FROM outbox_messages WHERE id IN (SELECT id FROM outbox_messages \
                 WHERE state IN ('delivered', 'dead') AND state = 'delivered' \
                 AND finalized_at < $1 ORDER BY id LIMIT $2)",
            )
            .bind(cutoff)
            .bind(batch)
            .execute(c)
            .await?
            .rows_affected()
        });
        total += deleted;
        if deleted < batch as u64 {
            return Ok(total);
        }
    }
}
