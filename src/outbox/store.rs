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

use serde::Serialize;

use crate::outbox::MessageState;
use crate::privacy::redact::stored_error_text;
use crate::store::sealing::place;
use crate::store::{Backend, Db, DbTx, OutboxKey, StoreError};
use crate::{on_db, on_read, on_tx};

/// A message leased to a dispatcher.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct Claimed {
    /// Message id.
    pub id: i64,
    /// Partner id.
    pub partner: String,
    /// Ordering key.
    pub ordering_key: String,
    /// Idempotency key, sent with the delivery.
    pub idempotency_key: String,
    /// Renderer kind.
    pub kind: String,
    /// MIME type.
    pub content_type: String,
    /// File name for file drops.
    pub file_name: String,
    /// The bytes (from `outbox_payloads`, opened after the claim).
    #[sqlx(default)]
    pub payload: Vec<u8>,
    /// This attempt's number: the fencing token.
    pub attempt: i64,
    /// Attempts allowed before dead letter.
    pub max_attempts: i64,
    /// When it was enqueued.
    pub created_at: i64,
    /// When this lease ends.
    pub lease_expires_at: Option<i64>,
}

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

/// Claims up to `limit` due messages of `partner` for `worker`, each the oldest live
/// message of its ordering key, longest due first, with a lease until `now + lease_ms`. Expired leases of the
/// partner are reaped first (recorded as `lease_expired` attempts) so they count as due.
pub async fn claim(
    db: &Db,
    partner: &str,
    worker: &str,
    limit: i64,
    lease_ms: i64,
    now: i64,
) -> Result<Vec<Claimed>, StoreError> {
    claim_with(db, partner, worker, limit, lease_ms, now, Reap::Expired).await
}

/// Whether a claim first turns expired leases back into due messages.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reap {
    /// Reap expired leases of the partner first, in the same transaction.
    Expired,
    /// Skip it: the caller reaped recently (a lease expires only when its holder died or
    /// hung, so a busy dispatcher need not look on every claim).
    Skip,
}

/// [`claim`], choosing whether expired leases are reaped first.
///
/// The claim is one statement that returns each message with its sealed bytes, read by a
/// subquery. Without reaping, on PostgreSQL, it runs in its own implicit transaction (one
/// round trip, instead of `BEGIN`, the update, the payload read and `COMMIT`). The bytes
/// are opened after the commit; a message whose bytes do not open keeps its lease until it
/// expires, like a message whose dispatcher died, and the error is returned.
pub async fn claim_with(
    db: &Db,
    partner: &str,
    worker: &str,
    limit: i64,
    lease_ms: i64,
    now: i64,
    reap: Reap,
) -> Result<Vec<Claimed>, StoreError> {
    let sql = claim_sql(db.backend());
    macro_rules! claim_on {
        ($c:expr, $sql:expr) => {
            sqlx::query_as::<_, Claimed>(sqlx::AssertSqlSafe($sql))
                .bind(worker)
                .bind(now)
                .bind(now + lease_ms)
                .bind(partner)
                .bind(limit)
                .fetch_all($c)
                .await?
        };
    }
    let mut claimed: Vec<Claimed> = match (db, reap) {
        (Db::Postgres(pool, _), Reap::Skip) => claim_on!(pool, sql),
        // On SQLite the claim is a unit of the writer's group commit, sharing its commit
        // with the enqueues and results queued beside it.
        _ => {
            let mut tx = db.begin().await?;
            if reap == Reap::Expired {
                reap_expired(&mut tx, partner, now).await?;
            }
            let sql = tx.opening(sql).into_owned();
            let mut claimed: Vec<Claimed> = on_tx!(&mut tx, c => claim_on!(c, sql));
            if tx.backend() == Backend::Sqlite {
                read_payloads(&mut tx, &mut claimed).await?;
            }
            tx.commit().await?;
            claimed
        }
    };
    for message in &mut claimed {
        let here = place::outbox(&message.partner, &message.idempotency_key);
        message.payload = db
            .sealer()
            .open_bytes(std::mem::take(&mut message.payload), &here)?;
    }
    claimed.sort_by_key(|m| m.id);
    Ok(claimed)
}

/// SQLite: the bytes of the claimed messages, in one query. SQLite computes every row of
/// an `UPDATE … RETURNING` before it returns the first, so bytes returned by the claim
/// itself would be held twice, and NDNH transmissions are megabytes each.
async fn read_payloads(tx: &mut DbTx, claimed: &mut [Claimed]) -> Result<(), StoreError> {
    if claimed.is_empty() {
        return Ok(());
    }
    let rows: Vec<(i64, Vec<u8>)> = on_tx!(tx, c => {
        let mut select = sqlx::QueryBuilder::new(
            "SELECT message_id, payload FROM outbox_payloads WHERE message_id IN (",
        );
        let mut list = select.separated(", ");
        for message in claimed.iter() {
            list.push_bind(message.id);
        }
        select.push(")");
        select.build_query_as().fetch_all(c).await?
    });
    let mut sealed: std::collections::HashMap<i64, Vec<u8>> = rows.into_iter().collect();
    for message in claimed.iter_mut() {
        // The payload row is written with its message and deleted with it.
        message.payload = sealed
            .remove(&message.id)
            .ok_or(StoreError::Sqlx(sqlx::Error::RowNotFound))?;
    }
    Ok(())
}

/// The claim statement of `backend`: lease up to `$5` due heads of partner `$4`'s keys to
/// worker `$1` at `$2` until `$3`, returning each with its sealed bytes. Public for the
/// plan checks and the benchmark that time the statement itself.
///
/// Only heads are candidates ([`settle_heads`]), read from the partial index
/// `outbox_due_heads` in due order: the claim touches about as many rows as it leases,
/// however many messages wait behind their heads and whatever statistics the planner has.
/// The conditions repeat the index's condition word for word: SQLite uses a partial index
/// only when the query states its WHERE.
pub fn claim_sql(backend: Backend) -> &'static str {
    macro_rules! due {
        () => {
            "m.partner = $4 AND m.head = 1 AND m.state IN ('pending', 'retry') \
             AND m.run_at <= $2"
        };
    }
    match backend {
        // SQLite has one writer, so the select and the update cannot interleave with
        // another claim.
        Backend::Sqlite => concat!(
            "UPDATE outbox_messages SET state = 'running', attempt = attempt + 1, \
             lease_owner = $1, leased_at = $2, lease_expires_at = $3, updated_at = $2 \
             WHERE id IN (SELECT m.id FROM outbox_messages m WHERE ",
            due!(),
            " ORDER BY m.run_at, m.id LIMIT $5) RETURNING id, partner, ordering_key, \
             idempotency_key, kind, content_type, file_name, attempt, max_attempts, \
             created_at, lease_expires_at"
        ),
        // Several instances claim at once: heads another claimer has locked are skipped
        // (their keys wait, having no other candidate). The update matches
        // `= ANY (ARRAY(SELECT id FROM due))` rather than joining `due`: the generic plan
        // is then an index scan of the primary key, never a hash join over a sequential
        // scan.
        Backend::Postgres => concat!(
            "WITH due AS (SELECT m.id FROM outbox_messages m WHERE ",
            due!(),
            " ORDER BY m.run_at, m.id LIMIT $5 FOR UPDATE SKIP LOCKED) \
             UPDATE outbox_messages o SET state = 'running', attempt = o.attempt + 1, \
             lease_owner = $1, leased_at = $2, lease_expires_at = $3, updated_at = $2 \
             WHERE o.id = ANY (ARRAY(SELECT id FROM due)) AND o.state IN ('pending', 'retry') \
             RETURNING o.id, o.partner, o.ordering_key, o.idempotency_key, o.kind, \
             o.content_type, o.file_name, o.attempt, o.max_attempts, \
             o.created_at, o.lease_expires_at, (SELECT b.payload FROM outbox_payloads b \
             WHERE b.message_id = o.id) AS payload"
        ),
    }
}

/// Gives every key of `keys` that has live messages and no head its oldest live message
/// as head, in `tx`. Every change that can leave a key without a head calls it before its
/// transaction commits: a finished head (delivered, dead), a redelivered message taking
/// its old place, and on PostgreSQL every enqueue (at commit, see [`DbTx::commit`]).
///
/// On PostgreSQL the keys are locked first (transaction-scoped advisory locks, taken in
/// one order by everyone, as the last thing before the settling statement and the
/// commit). Two transactions settling the same key then run one after the other, and the
/// second's statement, taken after the first committed, sees its work: without the lock,
/// a head finishing while a message of its key is enqueued could each miss the other, and
/// the key would be left with no head, never claimed. SQLite's one writer already runs
/// them one after the other.
pub(crate) async fn settle_heads(tx: &mut DbTx, keys: &[OutboxKey]) -> Result<(), StoreError> {
    if keys.is_empty() {
        return Ok(());
    }
    match tx {
        DbTx::Postgres(tx, ..) => settle_heads_on_postgres(tx, keys).await,
        DbTx::Sqlite(unit, _) => {
            let keys = serde_json::to_string(keys)
                .map_err(|e| StoreError::Invalid(format!("outbox keys: {e}")))?;
            let sql = unit.opening(SETTLE_HEADS_SQLITE).into_owned();
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(keys)
                .execute(unit.connection().await?)
                .await?;
            Ok(())
        }
    }
}

/// [`settle_heads`] on a PostgreSQL transaction: lock the keys, then settle them.
pub(crate) async fn settle_heads_on_postgres(
    tx: &mut sqlx::Transaction<'static, sqlx::Postgres>,
    keys: &[OutboxKey],
) -> Result<(), StoreError> {
    let (partners, ordering_keys): (Vec<&str>, Vec<&str>) =
        keys.iter().map(|(p, k)| (p.as_str(), k.as_str())).unzip();
    sqlx::query(LOCK_KEYS_POSTGRES)
        .bind(&partners)
        .bind(&ordering_keys)
        .execute(&mut **tx)
        .await?;
    sqlx::query(SETTLE_HEADS_POSTGRES)
        .bind(&partners)
        .bind(&ordering_keys)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// The statement that settles the heads of the keys it is given (without the locks
/// PostgreSQL takes first, see [`settle_heads`]): on PostgreSQL the partners as `$1` and
/// the ordering keys as `$2`, two text arrays; on SQLite `$1`, a JSON array of pairs.
/// Public for the plan checks.
pub fn settle_heads_sql(backend: Backend) -> &'static str {
    match backend {
        Backend::Postgres => SETTLE_HEADS_POSTGRES,
        Backend::Sqlite => SETTLE_HEADS_SQLITE,
    }
}

/// The oldest live message of key `k`, for the settling statements (the index
/// `outbox_live_by_key` answers it from its first entry).
macro_rules! oldest_live_of_key {
    () => {
        "(SELECT m.id FROM outbox_messages m WHERE m.partner = k.partner \
         AND m.ordering_key = k.ordering_key AND m.state IN ('pending', 'running', 'retry') \
         ORDER BY m.id LIMIT 1)"
    };
}

/// Whether key `k` has a head (the unique index `outbox_head_of_key`).
macro_rules! key_has_head {
    () => {
        "EXISTS (SELECT 1 FROM outbox_messages h WHERE h.partner = k.partner \
         AND h.ordering_key = k.ordering_key AND h.head = 1)"
    };
}

/// The advisory lock class of outbox keys (the second number is a hash of the key; a
/// collision only makes two keys wait for each other).
const LOCK_KEYS_POSTGRES: &str = "SELECT pg_advisory_xact_lock(29163523, s.h) FROM \
     (SELECT DISTINCT hashtext(k.partner || chr(31) || k.ordering_key) AS h \
     FROM unnest($1::text[], $2::text[]) AS k (partner, ordering_key) ORDER BY h) s";

const SETTLE_HEADS_POSTGRES: &str = concat!(
    "UPDATE outbox_messages SET head = 1 WHERE id = ANY (ARRAY(SELECT ",
    oldest_live_of_key!(),
    " FROM unnest($1::text[], $2::text[]) AS k (partner, ordering_key) WHERE NOT ",
    key_has_head!(),
    "))"
);

/// The keys come as one JSON array of `[partner, ordering key]` pairs.
const SETTLE_HEADS_SQLITE: &str = concat!(
    "UPDATE outbox_messages SET head = 1 WHERE id IN (SELECT ",
    oldest_live_of_key!(),
    " FROM (SELECT json_extract(value, '$[0]') AS partner, \
     json_extract(value, '$[1]') AS ordering_key FROM json_each($1)) k WHERE NOT ",
    key_has_head!(),
    ")"
);

/// Reaping's two statements: the attempt of each expired lease of partner `$1` at `$2`,
/// then the messages due again (or dead, leaving their key's head to the next message).
/// Both read the leased messages only, from the partial index `outbox_leases`, whose
/// condition they state word for word (SQLite uses a partial index only then).
const REAP_ATTEMPTS: &str = "INSERT INTO outbox_attempts (message_id, attempt, worker, \
     started_at, finished_at, outcome, status, detail) \
     SELECT id, attempt, COALESCE(lease_owner, ''), COALESCE(leased_at, $2), $2, \
     'lease_expired', NULL, 'lease expired before a result was recorded' \
     FROM outbox_messages WHERE partner = $1 AND state = 'running' \
     AND lease_expires_at < $2 \
     ON CONFLICT DO NOTHING";
const REAP_MESSAGES: &str = "UPDATE outbox_messages SET \
     state = CASE WHEN attempt >= max_attempts THEN 'dead' ELSE 'retry' END, \
     finalized_at = CASE WHEN attempt >= max_attempts THEN $2 ELSE NULL END, \
     head = CASE WHEN attempt >= max_attempts THEN 0 ELSE head END, \
     last_error = 'lease expired', run_at = $2, lease_owner = NULL, leased_at = NULL, \
     lease_expires_at = NULL, updated_at = $2 \
     WHERE partner = $1 AND state = 'running' AND lease_expires_at < $2 \
     RETURNING partner, ordering_key, state";

async fn reap_expired(tx: &mut DbTx, partner: &str, now: i64) -> Result<(), StoreError> {
    let reaped: Vec<(String, String, String)> = on_tx!(&mut *tx, c => {
        sqlx::query(REAP_ATTEMPTS)
            .bind(partner)
            .bind(now)
            .execute(&mut *c)
            .await?;
        sqlx::query_as(REAP_MESSAGES)
            .bind(partner)
            .bind(now)
            .fetch_all(c)
            .await?
    });
    let finished: Vec<OutboxKey> = reaped
        .into_iter()
        .filter(|(.., state)| state == "dead")
        .map(|(partner, key, _)| (partner, key))
        .collect();
    settle_heads(tx, &finished).await
}

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
    let rows = query.fetch_all(executor).await?;
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

#[cfg(test)]
mod tests {
    use super::*;

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
        // message from the first entry of the key's live index.
        let plan: Vec<(i64, i64, i64, String)> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "EXPLAIN QUERY PLAN {SETTLE_HEADS_SQLITE}"
        )))
        .bind("[]")
        .fetch_all(read)
        .await
        .unwrap();
        let details: Vec<&str> = plan.iter().map(|(.., detail)| detail.as_str()).collect();
        for index in ["outbox_head_of_key", "outbox_live_by_key"] {
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
