//! Each key's head (its oldest live message) kept right as messages finish, and expired
//! leases reaped.

use crate::on_tx;
use crate::store::{Backend, DbTx, OutboxKey, StoreError};

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
    // Planned at every run (an unnamed statement), not kept prepared: once per
    // transaction that enqueues or records results, against the generic plan a
    // connection would keep from the first runs, which on a table analyzed while it held
    // a page or two is three sequential scans of the outbox (see `claim_sql`).
    sqlx::query(SETTLE_HEADS_POSTGRES)
        .bind(&partners)
        .bind(&ordering_keys)
        .persistent(false)
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

/// The oldest live message of key `k`, for the settling statements, which ask only for
/// keys without a head: every live message of such a key has `head = 0`, and the index
/// `outbox_waiting_by_key` (the live messages that are not a head, in key and id order)
/// answers it from its first entry. The conditions repeat the index's word for word
/// (SQLite uses a partial index only then).
macro_rules! oldest_live_of_key {
    () => {
        "(SELECT m.id FROM outbox_messages m WHERE m.partner = k.partner \
         AND m.ordering_key = k.ordering_key AND m.head = 0 \
         AND m.state IN ('pending', 'running', 'retry') ORDER BY m.id LIMIT 1)"
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
pub(super) const SETTLE_HEADS_SQLITE: &str = concat!(
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
pub(super) const REAP_ATTEMPTS: &str = "INSERT INTO outbox_attempts (message_id, attempt, worker, \
     started_at, finished_at, outcome, status, detail) \
     SELECT id, attempt, COALESCE(lease_owner, ''), COALESCE(leased_at, $2), $2, \
     'lease_expired', NULL, 'lease expired before a result was recorded' \
     FROM outbox_messages WHERE partner = $1 AND state = 'running' \
     AND lease_expires_at < $2 \
     ON CONFLICT DO NOTHING";
pub(super) const REAP_MESSAGES: &str = "UPDATE outbox_messages SET \
     state = CASE WHEN attempt >= max_attempts THEN 'dead' ELSE 'retry' END, \
     finalized_at = CASE WHEN attempt >= max_attempts THEN $2 ELSE NULL END, \
     head = CASE WHEN attempt >= max_attempts THEN 0 ELSE head END, \
     last_error = 'lease expired', run_at = $2, lease_owner = NULL, leased_at = NULL, \
     lease_expires_at = NULL, updated_at = $2 \
     WHERE partner = $1 AND state = 'running' AND lease_expires_at < $2 \
     RETURNING partner, ordering_key, state";

pub(super) async fn reap_expired(tx: &mut DbTx, partner: &str, now: i64) -> Result<(), StoreError> {
    // At most once a second per partner: planned at every run on PostgreSQL, like
    // settling (SQLite keeps its statements; it plans without statistics).
    let keep = tx.backend() == Backend::Sqlite;
    let reaped: Vec<(String, String, String)> = on_tx!(&mut *tx, c => {
        sqlx::query(REAP_ATTEMPTS)
            .bind(partner)
            .bind(now)
            .persistent(keep)
            .execute(&mut *c)
            .await?;
        sqlx::query_as(REAP_MESSAGES)
            .bind(partner)
            .bind(now)
            .persistent(keep)
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
