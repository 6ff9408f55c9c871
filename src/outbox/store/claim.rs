//! Claiming: the due heads of a partner's keys, leased to one dispatcher, with their
//! payloads opened.

use crate::on_tx;
use crate::store::sealing::place;
use crate::store::{Backend, Db, DbTx, StoreError};

use super::heads::reap_expired;

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
