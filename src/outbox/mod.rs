//! The durable outbox: every message to a partner, from the moment its cause is committed
//! until the partner has it, or an operator has decided what to do with it.
//!
//! # Invariants
//! - **No transaction, no message.** [`enqueue`] writes the message in the caller's
//!   transaction, beside the state change that causes it; both commit or neither does.
//!   Every message names its cause (`cause_kind`, `cause_id`), which is what a replay
//!   rebuilds it from.
//! - **Nothing applied twice.** Each message carries an idempotency key, unique per
//!   partner (a second enqueue with the same key is refused, see
//!   [`EnqueueOutcome::Duplicate`]) and sent with every attempt (`Idempotency-Key` over
//!   HTTPS, the file name for file drops), so a receiver de-duplicates retries and
//!   re-sends after a crash.
//! - **Per-key order.** Per (partner, ordering key), messages are delivered in the order
//!   they were enqueued: only the key's **head**, its oldest live message, may be claimed.
//!   Keys are independent and go in parallel. A message that goes to dead letter stops
//!   blocking its key (a dead case must not stall every later message of the case).
//!   Redelivered, it takes its old place again: being older than anything live of its key,
//!   it becomes the head and the key waits for it.
//! - **Claims cost what they lease.** The head is a flag on the message (`head = 1`),
//!   kept by every change that can move it ([`store::settle_heads`]: a head delivered or
//!   dead, a redelivery, an enqueue to a key with none), and a claim reads only due heads
//!   from one partial index in due order. Chosen over the alternatives weighed: the
//!   `NOT EXISTS` anti-join this replaced ("no older live message of this key") had to
//!   look at every due message of the partner, and with the statistics a bulk load leaves
//!   PostgreSQL ran it as a filter over all live messages (63 ms a claim at 14,000 live);
//!   a `LATERAL` walk over keys reads every key with live messages, however few are due;
//!   a separate heads table costs a second row to write and lock at every enqueue and
//!   result for what one column and one index say. On PostgreSQL, the transactions that
//!   settle a key take its advisory lock last, just before they commit, all in one order,
//!   so a head finishing and a message enqueued to its key at the same moment cannot each
//!   miss the other.
//! - **What a claim writes.** Once the search reads only due heads, a claim's cost is its
//!   writes: on PostgreSQL a claim changes `state` and `lease_expires_at`, columns that
//!   indexes and index conditions name, so the leased row's new version can never be a
//!   heap-only update and goes into every index whose condition it meets. The head is
//!   therefore kept out of every index it does not need: the index settling reads (the
//!   oldest live message of a key without a head) holds only the messages that are not
//!   a head (`outbox_waiting_by_key`), so a claim writes four index entries (primary key,
//!   idempotency key, head of key, leases) instead of five, and so does every settled
//!   head. Measured before that change at 1,000,000 live messages (10 a key), never
//!   analyzed, with the statement's own timing (no commit wait): a batch of 16 took
//!   0.5–0.9 ms on the server, ~30 shared buffers a leased message, a batch of 64 about
//!   2 ms (`BENCHMARKS.md` has the current figures). Weighed and not taken: a narrow lease
//!   table beside the message (the claim would still have to take the head out of the
//!   due index, or every claim would walk past the leased heads still in it and look
//!   each one up in the lease table: about as many buffers as it saves); dropping the
//!   row lock of `FOR UPDATE SKIP LOCKED` (it is what lets several instances claim at
//!   once without waiting for each other); a lower fillfactor (it helps only heap-only
//!   updates, which a claim cannot be); moving the idempotency key's unique index to the
//!   never-updated payload row (saves a further tenth of a claim's buffers, but changes
//!   how both backends detect a duplicate enqueue: left for a later pass).
//! - **Plans that do not freeze.** sqlx keeps statements prepared per connection, and
//!   after five runs PostgreSQL may settle on a generic plan and keep it for as long as
//!   the connection lives. Made while a table was analyzed at a page or two (a new
//!   gateway's first minutes, a first load), that plan is a sequential scan that stays
//!   as the table grows: the statements run once per transaction or batch (settling
//!   heads, recording a batch of results, reaping) are therefore planned at every run.
//!   The claim is kept prepared (planning it costs ~0.3 ms, a third of its budget); its
//!   generic plan reads the due heads from their index whatever the statistics, and only
//!   a plan made on a one-page table would fetch the leased rows by a scan, until the
//!   next vacuum or analyze of the table replans it.
//! - **Leases and fencing.** A dispatcher claims a message by setting `state = running`,
//!   `attempt = attempt + 1` and a lease expiry. `attempt` is the fencing token: every
//!   later state change says `AND state = 'running' AND attempt = $n`, so a dispatcher
//!   whose lease expired and was taken over finds zero rows and records nothing
//!   ([`store::FenceError::LeaseLost`]). Expired leases are claimed again like due
//!   messages. `attempt` only ever grows (a released lease is not given back), because
//!   reusing a number would let a stale holder match again.
//! - **No lock across the network.** Claiming is one short transaction, delivering holds
//!   nothing open, recording the result is another short transaction. The lease (not a row
//!   lock) is what keeps others away meanwhile.
//!
//! # Tables
//! `outbox_messages` (one row a message; `state` ∈ pending, running, retry, delivered,
//! dead, enforced by a named CHECK) and `outbox_attempts` (one row an attempt: worker,
//! times, outcome, HTTP status, detail). Delivered messages older than the retention are
//! purged in bulk ([`store::purge_delivered`]); their attempts go with them.
//!
//! # Outcomes
//! delivered < retry < rejected. A retry waits for a capped exponential backoff with jitter
//! ([`retry::RetryPolicy`], built on `backon`); past the partner's `max_attempts` or
//! `max_age` the message goes to dead letter with its whole attempt history. A rejection
//! (the partner said the message itself is wrong) goes to dead letter at once. Operators
//! bring a dead message back with **redeliver** (the same bytes) or **replay** (rebuilt
//! from its cause as a new message linked to the old one); both need a reason and leave an
//! audit entry.

pub mod circuit;
pub mod dispatcher;
pub mod operator;
pub mod render;
pub mod retry;
pub mod store;
pub mod transport;

use serde::Serialize;

use crate::on_tx;
use crate::store::{DbTx, StoreError};

/// The life of a message.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum MessageState {
    /// Waiting for its first attempt.
    Pending,
    /// Leased by a dispatcher.
    Running,
    /// Waiting for its next attempt after a failure.
    Retry,
    /// The partner has it.
    Delivered,
    /// Given up; waits for an operator.
    Dead,
}

impl MessageState {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            MessageState::Pending => "pending",
            MessageState::Running => "running",
            MessageState::Retry => "retry",
            MessageState::Delivered => "delivered",
            MessageState::Dead => "dead",
        }
    }

    /// Parses a stored name.
    pub fn parse(name: &str) -> Option<MessageState> {
        Self::ALL.into_iter().find(|s| s.as_str() == name)
    }

    /// Every state, in life order.
    pub const ALL: [MessageState; 5] = [
        MessageState::Pending,
        MessageState::Running,
        MessageState::Retry,
        MessageState::Delivered,
        MessageState::Dead,
    ];
}

/// A message to enqueue.
#[derive(Clone, Debug)]
pub struct NewMessage {
    /// The partner id (from the configuration).
    pub partner: String,
    /// Messages with the same key are delivered in order (usually the case id).
    pub ordering_key: String,
    /// Unique per partner; derived from the format (serial, control number, ...).
    pub idempotency_key: String,
    /// The renderer that built it (see [`render`]), used by replay.
    pub kind: String,
    /// MIME type of the payload.
    pub content_type: String,
    /// Name under which a file-drop transport writes it.
    pub file_name: String,
    /// The bytes to deliver.
    pub payload: Vec<u8>,
    /// What caused it (e.g. `case`).
    pub cause_kind: String,
    /// Which one (e.g. the case id and version).
    pub cause_id: String,
    /// Attempts before dead letter.
    pub max_attempts: i64,
    /// Not before this time (ms since the epoch).
    pub run_at: i64,
    /// When this message rebuilds another one.
    pub replay_of: Option<i64>,
}

/// What [`enqueue`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EnqueueOutcome {
    /// A new message with this id.
    Enqueued(i64),
    /// The partner already has a message with this idempotency key (its id); nothing was
    /// added.
    Duplicate(i64),
}

impl EnqueueOutcome {
    /// The id of the message that carries this idempotency key.
    pub fn id(self) -> i64 {
        match self {
            EnqueueOutcome::Enqueued(id) | EnqueueOutcome::Duplicate(id) => id,
        }
    }
}

/// Writes a message in the caller's transaction. The message exists if and only if the
/// transaction commits.
pub async fn enqueue(
    tx: &mut DbTx,
    message: &NewMessage,
    now: i64,
) -> Result<EnqueueOutcome, StoreError> {
    // Partner bytes (CSENet records, NDNH W4 records, e-IWOs...) carry SSNs: sealed at rest
    // under the message's unique (partner, idempotency key).
    let payload = tx.sealer().seal_bytes(
        &message.payload,
        &crate::store::sealing::place::outbox(&message.partner, &message.idempotency_key),
    )?;
    // A key the partner already has inserts nothing (and, on PostgreSQL, waits for a
    // concurrent insert of the same key to commit or roll back instead of failing).
    //
    // The head of the key (see `store::settle_heads`): on SQLite, whose one writer orders
    // every transaction, the message is the head when its key has none; on PostgreSQL it
    // starts as 0 and the transaction settles its keys' heads as it commits.
    macro_rules! insert_message {
        ($head:expr) => {
            concat!(
                "INSERT INTO outbox_messages (partner, ordering_key, \
                 idempotency_key, kind, content_type, file_name, cause_kind, cause_id, \
                 replay_of, state, attempt, max_attempts, run_at, created_at, updated_at, \
                 head) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'pending', 0, $10, $11, \
                 $12, $12, ",
                $head,
                ") ON CONFLICT (partner, idempotency_key) DO NOTHING"
            )
        };
    }
    macro_rules! bind_message {
        ($query:expr) => {
            $query
                .bind(&message.partner)
                .bind(&message.ordering_key)
                .bind(&message.idempotency_key)
                .bind(&message.kind)
                .bind(&message.content_type)
                .bind(&message.file_name)
                .bind(&message.cause_kind)
                .bind(&message.cause_id)
                .bind(message.replay_of)
                .bind(message.max_attempts)
                .bind(message.run_at)
                .bind(now)
        };
    }
    // The bytes go in their own row: the message row is updated at every claim and result,
    // and SQLite would rewrite a large payload each time. The payload row is written with
    // its message and deleted with it.
    let inserted: Option<(i64,)> = match tx {
        // One round trip: the payload insert reads the new id from the message insert.
        DbTx::Postgres(tx, _, enqueued) => {
            let sql = concat!(
                "WITH m AS (",
                insert_message!("0"),
                " RETURNING id) \
                 INSERT INTO outbox_payloads (message_id, partner, idempotency_key, payload) \
                 SELECT id, $1, $3, $13 FROM m RETURNING message_id"
            );
            let inserted = bind_message!(sqlx::query_as(sql))
                .bind(&payload)
                .fetch_optional(&mut **tx)
                .await?;
            if inserted.is_some() {
                enqueued.push((message.partner.clone(), message.ordering_key.clone()));
            }
            inserted
        }
        // One call to sqlx's SQLite worker thread for both rows: every statement is a
        // hand-off to that thread and back, and under load the hand-offs, not SQLite,
        // set the latency. `changes()` is what the message insert changed (0 for a key
        // the partner already has), read while the payload insert runs.
        DbTx::Sqlite(unit, _) => {
            let sql = concat!(
                insert_message!(
                    "NOT EXISTS (SELECT 1 FROM outbox_messages h \
                     WHERE h.partner = $1 AND h.ordering_key = $2 AND h.head = 1)"
                ),
                "; INSERT INTO outbox_payloads (message_id, partner, idempotency_key, payload) \
                 SELECT id, $1, $3, $13 FROM outbox_messages \
                 WHERE partner = $1 AND idempotency_key = $3 AND changes() = 1 \
                 RETURNING message_id"
            );
            let sql = unit.opening(sql).into_owned();
            bind_message!(sqlx::query_as(sqlx::AssertSqlSafe(sql)))
                .bind(&payload)
                .fetch_optional(unit.connection().await?)
                .await?
        }
    };
    if let Some((id,)) = inserted {
        return Ok(EnqueueOutcome::Enqueued(id));
    }
    let (existing,): (i64,) = on_tx!(tx, c => {
        sqlx::query_as("SELECT id FROM outbox_messages WHERE partner = $1 AND idempotency_key = $2")
            .bind(&message.partner)
            .bind(&message.idempotency_key)
            .fetch_one(c)
            .await?
    });
    Ok(EnqueueOutcome::Duplicate(existing))
}
