//! Recording what a delivery attempt came to, fenced on its lease, one by one or many
//! in one transaction.

use crate::on_tx;
use crate::privacy::redact::stored_error_text;
use crate::store::{Db, DbTx, OutboxKey, StoreError};

use super::{FenceError, settle_heads};

/// What became of one attempt.
#[derive(Clone, Debug)]
pub struct AttemptRecord<'a> {
    /// Message id.
    pub id: i64,
    /// The attempt (fencing token) the caller holds.
    pub attempt: i64,
    /// Who made it.
    pub worker: &'a str,
    /// When the attempt started.
    pub started_at: i64,
    /// HTTP status, when there was one.
    pub status: Option<u16>,
    /// What the partner said or what went wrong; never payload bytes. Stored (as the
    /// attempt's `detail` and the message's `last_error`) masked and bounded by
    /// [`stored_error_text`], whatever the caller passed.
    pub detail: &'a str,
}

/// The decision taken on an attempt's result.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision {
    /// The partner has it.
    Delivered,
    /// Try again at this time.
    RetryAt(i64),
    /// Give up: attempts or age exhausted after a retryable failure.
    DeadAfterRetries,
    /// Give up: the partner rejected the message.
    DeadRejected,
}

/// Records an attempt and the decision, fenced on the caller's lease.
pub async fn record(
    db: &Db,
    attempt: &AttemptRecord<'_>,
    decision: Decision,
    now: i64,
) -> Result<(), FenceError> {
    let mut tx = db.begin().await?;
    let Some(recorded) = record_fenced(&mut tx, attempt, decision, now).await? else {
        return Err(FenceError::LeaseLost {
            id: attempt.id,
            attempt: attempt.attempt,
        });
    };
    if let Recorded::Finished(key) = recorded {
        settle_heads(&mut tx, &[key]).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// What a fenced result write did, when the lease still held.
enum Recorded {
    /// The message is live still (a retry): its key keeps its head.
    Live,
    /// The message finished (delivered or dead) and is no longer its key's head.
    Finished(OutboxKey),
}

/// Most results [`record_many`] writes with one statement (SQLite and PostgreSQL both
/// take this many bound parameters in one statement with room to spare).
const RECORD_CHUNK: usize = 256;

/// Records many attempts and their decisions in **one transaction**, each fenced on its
/// own lease exactly as [`record`] fences one: a result whose lease was lost writes
/// nothing, and the others are not affected by it. Returns, in the order given, whether
/// each result was recorded.
///
/// Why: a dispatcher finishing many deliveries at once would otherwise commit (and, on
/// SQLite with `synchronous=FULL`, fsync) once per message. Deliveries, the common case,
/// take two statements per [`RECORD_CHUNK`] results on SQLite (a fenced `UPDATE …
/// RETURNING` and a multi-row attempt insert) and one on PostgreSQL (both in one
/// statement), instead of two per result; then one statement settles the heads of all
/// their keys ([`settle_heads`]; on PostgreSQL after one statement that locks the keys).
pub async fn record_many(
    db: &Db,
    results: &[(AttemptRecord<'_>, Decision)],
    now: i64,
) -> Result<Vec<bool>, StoreError> {
    let delivered: Vec<usize> = (0..results.len())
        .filter(|i| results[*i].1 == Decision::Delivered)
        .collect();
    let mut recorded = vec![false; results.len()];
    let mut finished: Vec<OutboxKey> = Vec::new();
    let mut tx = db.begin().await?;
    for chunk in delivered.chunks(RECORD_CHUNK) {
        let fenced = match &mut tx {
            DbTx::Postgres(tx, ..) => deliver_on_postgres(&mut **tx, results, chunk, now).await?,
            DbTx::Sqlite(..) => {
                let fenced = mark_delivered(&mut tx, results, chunk, now).await?;
                let written: Vec<&AttemptRecord<'_>> = chunk
                    .iter()
                    .filter(|i| fenced.contains_key(&results[**i].0.id))
                    .map(|i| &results[*i].0)
                    .collect();
                insert_attempts(&mut tx, &written, "delivered", now).await?;
                fenced
            }
        };
        for i in chunk {
            recorded[*i] = fenced.contains_key(&results[*i].0.id);
        }
        finished.extend(fenced.into_values());
    }
    for (i, (attempt, decision)) in results.iter().enumerate() {
        if *decision != Decision::Delivered {
            let outcome = record_fenced(&mut tx, attempt, *decision, now).await?;
            recorded[i] = outcome.is_some();
            if let Some(Recorded::Finished(key)) = outcome {
                finished.push(key);
            }
        }
    }
    settle_heads(&mut tx, &finished).await?;
    tx.commit().await?;
    Ok(recorded)
}

/// `count` rows of parameters for the six columns `bind_attempt!` binds (id, attempt, worker,
/// started at, status, detail), numbered from `$first`, with `shared` (parameters common to
/// every row, e.g. `"$1, $2, "`) written between started at and status.
fn attempt_rows(count: usize, first: usize, shared: &str) -> String {
    (0..count)
        .map(|n| {
            let p = first + 6 * n;
            format!(
                "(${}, ${}, ${}, ${}, {shared}${}, ${})",
                p,
                p + 1,
                p + 2,
                p + 3,
                p + 4,
                p + 5
            )
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// Binds an attempt's six columns in the order of [`attempt_rows`].
macro_rules! bind_attempt {
    ($query:expr, $attempt:expr) => {{
        let attempt: &AttemptRecord<'_> = $attempt;
        $query
            .bind(attempt.id)
            .bind(attempt.attempt)
            .bind(attempt.worker)
            .bind(attempt.started_at)
            .bind(attempt.status.map(i64::from))
            .bind(stored_error_text(attempt.detail))
    }};
}

/// PostgreSQL: marks the messages of `chunk` (indexes into `results`) delivered where each
/// one's lease still holds and writes their attempt rows, in one statement; returns the ids
/// that matched, each with its key (whose head it no longer is). The same fence as
/// [`mark_delivered`] and [`insert_attempts`].
async fn deliver_on_postgres<'e>(
    executor: impl sqlx::PgExecutor<'e>,
    results: &[(AttemptRecord<'_>, Decision)],
    chunk: &[usize],
    now: i64,
) -> Result<std::collections::HashMap<i64, OutboxKey>, StoreError> {
    // $1 is now; the attempt columns of each result from $2 on.
    let rows = attempt_rows(chunk.len(), 2, "");
    let sql = format!(
        "WITH results (id, attempt, worker, started_at, status, detail) AS (VALUES {}), \
         done AS (UPDATE outbox_messages o SET state = 'delivered', finalized_at = $1, \
         last_error = NULL, lease_owner = NULL, leased_at = NULL, lease_expires_at = NULL, \
         head = 0, updated_at = $1 FROM results r \
         WHERE o.id = r.id AND o.attempt = r.attempt AND o.state = 'running' \
         RETURNING o.id, o.partner, o.ordering_key), \
         written AS (INSERT INTO outbox_attempts (message_id, attempt, worker, started_at, \
         finished_at, outcome, status, detail) SELECT r.id, r.attempt, r.worker, r.started_at, \
         $1, 'delivered', r.status, r.detail FROM results r JOIN done d ON d.id = r.id) \
         SELECT id, partner, ordering_key FROM done",
        rows
    );
    let mut query = sqlx::query_as::<_, (i64, String, String)>(sqlx::AssertSqlSafe(sql)).bind(now);
    for i in chunk {
        query = bind_attempt!(query, &results[*i].0);
    }
    // Planned at every run: once per batch of results, and a kept generic plan of this
    // join, made while the outbox was small, reads every message by a sequential scan.
    let rows = query.persistent(false).fetch_all(executor).await?;
    Ok(rows
        .into_iter()
        .map(|(id, partner, key)| (id, (partner, key)))
        .collect())
}

/// Marks the messages of `chunk` (indexes into `results`) delivered where each one's lease
/// still holds; returns the ids that matched, each with its key.
async fn mark_delivered(
    tx: &mut DbTx,
    results: &[(AttemptRecord<'_>, Decision)],
    chunk: &[usize],
    now: i64,
) -> Result<std::collections::HashMap<i64, OutboxKey>, StoreError> {
    // (id, attempt) pairs as a row-value list: `$2, $3` for the first, `$4, $5`, ...
    let pairs: Vec<String> = (0..chunk.len())
        .map(|n| format!("(${}, ${})", 2 + 2 * n, 3 + 2 * n))
        .collect();
    let sql = format!(
        "UPDATE outbox_messages SET state = 'delivered', finalized_at = $1, last_error = NULL, \
         lease_owner = NULL, leased_at = NULL, lease_expires_at = NULL, head = 0, \
         updated_at = $1 \
         WHERE state = 'running' AND (id, attempt) IN (VALUES {}) \
         RETURNING id, partner, ordering_key",
        pairs.join(", ")
    );
    let sql = tx.opening(&sql).into_owned();
    let rows: Vec<(i64, String, String)> = on_tx!(tx, c => {
        let mut query =
            sqlx::query_as::<_, (i64, String, String)>(sqlx::AssertSqlSafe(sql)).bind(now);
        for i in chunk {
            query = query.bind(results[*i].0.id).bind(results[*i].0.attempt);
        }
        query.fetch_all(c).await?
    });
    Ok(rows
        .into_iter()
        .map(|(id, partner, key)| (id, (partner, key)))
        .collect())
}

/// The fenced state change of one result and, when it matched, its attempt row. None
/// (nothing written) when the lease was lost. A finished message stops being its key's
/// head; the caller settles the key before it commits.
async fn record_fenced(
    tx: &mut DbTx,
    attempt: &AttemptRecord<'_>,
    decision: Decision,
    now: i64,
) -> Result<Option<Recorded>, StoreError> {
    let (state, run_at, finalized, outcome, last_error): (
        &str,
        Option<i64>,
        Option<i64>,
        &str,
        Option<&str>,
    ) = match decision {
        Decision::Delivered => ("delivered", None, Some(now), "delivered", None),
        Decision::RetryAt(at) => ("retry", Some(at), None, "retry", Some(attempt.detail)),
        Decision::DeadAfterRetries => ("dead", None, Some(now), "retry", Some(attempt.detail)),
        Decision::DeadRejected => ("dead", None, Some(now), "rejected", Some(attempt.detail)),
    };
    let last_error = last_error.map(stored_error_text);
    let changed: Option<(String, String)> = on_tx!(&mut *tx, c => {
        sqlx::query_as(
            "UPDATE outbox_messages SET state = $1, run_at = COALESCE($2, run_at), \
             finalized_at = $3, last_error = $4, lease_owner = NULL, leased_at = NULL, \
             lease_expires_at = NULL, updated_at = $5, \
             head = CASE WHEN $3 IS NULL THEN head ELSE 0 END \
             WHERE id = $6 AND state = 'running' AND attempt = $7 \
             RETURNING partner, ordering_key",
        )
        .bind(state)
        .bind(run_at)
        .bind(finalized)
        .bind(last_error)
        .bind(now)
        .bind(attempt.id)
        .bind(attempt.attempt)
        .fetch_optional(c)
        .await?
    });
    let Some(key) = changed else {
        return Ok(None);
    };
    insert_attempt(tx, attempt, outcome, now).await?;
    Ok(Some(match finalized {
        Some(_) => Recorded::Finished(key),
        None => Recorded::Live,
    }))
}

/// Gives a lease back without a result (shutdown before the attempt finished): the
/// message is due again at once. Fenced like [`record`].
pub async fn release(db: &Db, attempt: &AttemptRecord<'_>, now: i64) -> Result<(), FenceError> {
    let mut tx = db.begin().await?;
    let changed = on_tx!(&mut tx, c => {
        sqlx::query(
            "UPDATE outbox_messages SET state = 'retry', run_at = $1, lease_owner = NULL, \
             leased_at = NULL, lease_expires_at = NULL, updated_at = $1 \
             WHERE id = $2 AND state = 'running' AND attempt = $3",
        )
        .bind(now)
        .bind(attempt.id)
        .bind(attempt.attempt)
        .execute(c)
        .await?
        .rows_affected()
    });
    if changed == 0 {
        return Err(FenceError::LeaseLost {
            id: attempt.id,
            attempt: attempt.attempt,
        });
    }
    insert_attempt(&mut tx, attempt, "released", now).await?;
    tx.commit().await?;
    Ok(())
}

async fn insert_attempt(
    tx: &mut DbTx,
    attempt: &AttemptRecord<'_>,
    outcome: &str,
    now: i64,
) -> Result<(), StoreError> {
    on_tx!(tx, c => {
        sqlx::query(
            "INSERT INTO outbox_attempts (message_id, attempt, worker, started_at, finished_at, \
             outcome, status, detail) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(attempt.id)
        .bind(attempt.attempt)
        .bind(attempt.worker)
        .bind(attempt.started_at)
        .bind(now)
        .bind(outcome)
        .bind(attempt.status.map(i64::from))
        .bind(stored_error_text(attempt.detail))
        .execute(c)
        .await?
            .rows_affected()
    });
    Ok(())
}

/// One attempt row for each of `attempts`, all with `outcome`, in one statement.
async fn insert_attempts(
    tx: &mut DbTx,
    attempts: &[&AttemptRecord<'_>],
    outcome: &str,
    now: i64,
) -> Result<(), StoreError> {
    if attempts.is_empty() {
        return Ok(());
    }
    // $1 finished_at and $2 outcome are shared; the attempt columns of each row from $3 on.
    let rows = attempt_rows(attempts.len(), 3, "$1, $2, ");
    let sql = format!(
        "INSERT INTO outbox_attempts (message_id, attempt, worker, started_at, finished_at, \
         outcome, status, detail) VALUES {rows}"
    );
    on_tx!(tx, c => {
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql.as_str())).bind(now).bind(outcome);
        for attempt in attempts {
            query = bind_attempt!(query, attempt);
        }
        query.execute(c).await?
            .rows_affected()
    });
    Ok(())
}
