//! Intake: inbound bytes are stored first, then parsed.
//!
//! # Invariants
//! - **Raw bytes first.** [`receive`] commits the body, byte for byte, with a receipt id
//!   and a SHA-256, before anything reads it. A crash after that commit loses nothing:
//!   [`resume`] processes every receipt still in state `stored` at the next start.
//! - **Duplicates are recognised, never applied twice.** A partner's message id is unique
//!   per partner (`inbound_dedup`); the same id again is linked to the first receipt and
//!   counted, and nothing new is stored or processed. Two copies racing each other on
//!   PostgreSQL meet on the table's primary key: the loser rolls back and reports the
//!   winner's receipt.
//! - **Acknowledged after the commit.** The partner's success answer is sent only after
//!   the receipt is committed.
//! - **Processing is transactional.** A [`Processor`] turns a receipt into events in the
//!   same transaction that marks it processed, so a receipt is processed once or not at
//!   all.
//! - **Sealed at rest.** The body is sealed under `inbound_receipts:<receipt_id>` (see
//!   [`crate::store::sealing`]) by [`receive`] and opened by [`process_outcome`]; the
//!   SHA-256 and size describe the clear bytes. Spooled uploads (`spool_path`) keep their
//!   bytes in the spool file instead ([`spool`]).

pub mod pickup;
pub mod spool;

use rand::RngCore;
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::on_tx;
use crate::store::events::{self, NewEvent};
use crate::store::sealing::place;
use crate::store::{Db, DbTx, StoreError};

/// One inbound message or file.
#[derive(Clone, Debug)]
pub struct Inbound<'a> {
    /// The partner it comes from (already authenticated).
    pub partner: &'a str,
    /// The route or pick-up directory it came through (selects the processor).
    pub channel: &'a str,
    /// The partner's own id for it (message id, control number), when it has one.
    pub message_id: Option<&'a str>,
    /// Declared MIME type.
    pub content_type: &'a str,
    /// The raw bytes.
    pub body: &'a [u8],
}

/// What [`receive`] did.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(
    rename_all = "camelCase",
    rename_all_fields = "camelCase",
    tag = "status"
)]
pub enum Received {
    /// Stored under a new receipt.
    New {
        /// The receipt id.
        receipt_id: String,
    },
    /// Seen before: linked to the first receipt; nothing stored.
    Duplicate {
        /// The first receipt's id.
        receipt_id: String,
    },
}

impl Received {
    /// The receipt id (new or original).
    pub fn receipt_id(&self) -> &str {
        match self {
            Received::New { receipt_id } | Received::Duplicate { receipt_id } => receipt_id,
        }
    }
}

pub(crate) fn new_receipt_id(now: i64) -> String {
    let mut random = [0u8; 8];
    rand::rng().fill_bytes(&mut random);
    format!("R{now:013}-{}", hex::encode(random))
}

/// Records, in the caller's transaction, that `partner`'s message `message_id` arrived in
/// receipt `receipt_id`. Returns the first receipt's id when the message was seen before
/// (and counts the duplicate); `None` when it is new. Adapters whose files carry many
/// messages (CSENet transactions, control-numbered records) de-duplicate each with it.
pub async fn claim_message_id(
    tx: &mut DbTx,
    partner: &str,
    message_id: &str,
    receipt_id: &str,
    now: i64,
) -> Result<Option<String>, StoreError> {
    let inserted = on_tx!(tx, c => {
        sqlx::query(
            "INSERT INTO inbound_dedup (partner, message_id, receipt_id, first_seen_at, last_seen_at) \
             VALUES ($1, $2, $3, $4, $4) ON CONFLICT (partner, message_id) DO NOTHING",
        )
        .bind(partner)
        .bind(message_id)
        .bind(receipt_id)
        .bind(now)
        .execute(c)
        .await?
        .rows_affected()
    });
    if inserted == 1 {
        return Ok(None);
    }
    count_duplicate(tx, partner, message_id, now).await
}

/// Counts another arrival of a known message; returns its first receipt (`None` when the
/// message is not known).
async fn count_duplicate(
    tx: &mut DbTx,
    partner: &str,
    message_id: &str,
    now: i64,
) -> Result<Option<String>, StoreError> {
    let original: Option<(String,)> = on_tx!(tx, c => {
        sqlx::query_as(
            "UPDATE inbound_dedup SET duplicates = duplicates + 1, last_seen_at = $1 \
             WHERE partner = $2 AND message_id = $3 RETURNING receipt_id",
        )
        .bind(now)
        .bind(partner)
        .bind(message_id)
        .fetch_optional(c)
        .await?
    });
    Ok(original.map(|(id,)| id))
}

/// Stores an inbound message's bytes (or recognises a duplicate) and commits.
pub async fn receive(db: &Db, inbound: &Inbound<'_>, now: i64) -> Result<Received, StoreError> {
    if let Some(message_id) = inbound.message_id
        && let Some(original) = note_duplicate(db, inbound.partner, message_id, now).await?
    {
        return Ok(Received::Duplicate {
            receipt_id: original,
        });
    }
    let receipt_id = new_receipt_id(now);
    let sha256 = hex::encode(Sha256::digest(inbound.body));
    let mut tx = db.begin().await?;
    // Raw partner bytes carry SSNs: sealed at rest under the receipt id (see
    // `store::sealing`). `sha256` and `size_bytes` describe the clear bytes.
    let body = tx
        .sealer()
        .seal_bytes(inbound.body, &place::receipt(&receipt_id))?;
    on_tx!(&mut tx, c => {
        sqlx::query(
            "INSERT INTO inbound_receipts (receipt_id, partner, channel, message_id, content_type, \
             body, size_bytes, sha256, state, received_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'stored', $9)",
        )
        .bind(&receipt_id)
        .bind(inbound.partner)
        .bind(inbound.channel)
        .bind(inbound.message_id)
        .bind(inbound.content_type)
        .bind(&body)
        .bind(inbound.body.len() as i64)
        .bind(&sha256)
        .bind(now)
        .execute(c)
        .await?
            .rows_affected()
    });
    if let Some(message_id) = inbound.message_id {
        let inserted = on_tx!(&mut tx, c => {
            sqlx::query(
                "INSERT INTO inbound_dedup (partner, message_id, receipt_id, first_seen_at, last_seen_at) \
                 VALUES ($1, $2, $3, $4, $4)",
            )
            .bind(inbound.partner)
            .bind(message_id)
            .bind(&receipt_id)
            .bind(now)
            .execute(c)
            .await
            .map(|done| done.rows_affected())
        });
        if let Err(error) = inserted {
            if is_unique_violation(&error) {
                drop(tx);
                if let Some(original) = note_duplicate(db, inbound.partner, message_id, now).await?
                {
                    return Ok(Received::Duplicate {
                        receipt_id: original,
                    });
                }
            }
            return Err(error.into());
        }
    }
    tx.commit().await?;
    Ok(Received::New { receipt_id })
}

fn is_unique_violation(error: &sqlx::Error) -> bool {
    matches!(error, sqlx::Error::Database(db) if db.is_unique_violation())
}

async fn note_duplicate(
    db: &Db,
    partner: &str,
    message_id: &str,
    now: i64,
) -> Result<Option<String>, StoreError> {
    let mut tx = db.begin().await?;
    let original = count_duplicate(&mut tx, partner, message_id, now).await?;
    tx.commit().await?;
    Ok(original)
}

/// A stored receipt, as a processor sees it.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct Receipt {
    /// Receipt id.
    pub receipt_id: String,
    /// Partner id.
    pub partner: String,
    /// Channel.
    pub channel: String,
    /// The partner's message id.
    pub message_id: Option<String>,
    /// MIME type.
    pub content_type: String,
    /// The raw bytes.
    pub body: Vec<u8>,
    /// SHA-256, hex.
    pub sha256: String,
    /// When it was received.
    pub received_at: i64,
}

/// A receipt's summary, for operators (no body).
#[derive(Clone, Debug, Serialize, sqlx::FromRow)]
#[serde(rename_all = "camelCase")]
pub struct ReceiptSummary {
    /// Receipt id.
    pub receipt_id: String,
    /// Partner id.
    pub partner: String,
    /// Channel.
    pub channel: String,
    /// The partner's message id.
    pub message_id: Option<String>,
    /// MIME type.
    pub content_type: String,
    /// Size in bytes.
    pub size_bytes: i64,
    /// SHA-256, hex.
    pub sha256: String,
    /// stored, processed or failed.
    pub state: String,
    /// When it was received.
    pub received_at: i64,
    /// When it was processed.
    pub processed_at: Option<i64>,
    /// What processing concluded.
    pub outcome: Option<String>,
}

/// Turns a stored receipt into events, inside the transaction that marks it processed.
#[async_trait::async_trait]
pub trait Processor: Send + Sync {
    /// Processes one receipt; returns a one-line outcome (counts, never personal data).
    async fn process(
        &self,
        tx: &mut DbTx,
        receipt: &Receipt,
        now: i64,
    ) -> Result<String, StoreError>;
}

/// The processor for channels no adapter claims: the state system is told that a message
/// arrived (partner, receipt, size, hash) so that nothing received goes unnoticed.
#[derive(Debug, Default)]
pub struct RecordArrival;

#[async_trait::async_trait]
impl Processor for RecordArrival {
    async fn process(
        &self,
        tx: &mut DbTx,
        receipt: &Receipt,
        now: i64,
    ) -> Result<String, StoreError> {
        events::append(
            tx,
            &NewEvent {
                kind: "inbound.received",
                partner: Some(&receipt.partner),
                case_id: None,
                receipt_id: Some(&receipt.receipt_id),
                payload: serde_json::json!({
                    "channel": receipt.channel,
                    "messageId": receipt.message_id,
                    "contentType": receipt.content_type,
                    "sizeBytes": receipt.body.len(),
                    "sha256": receipt.sha256,
                }),
            },
            now,
        )
        .await?;
        Ok("arrival recorded".to_string())
    }
}

/// Processes one stored receipt, if it is still unprocessed. Returns false when another
/// worker (or an earlier run) already processed it.
pub async fn process(
    db: &Db,
    processor: &dyn Processor,
    receipt_id: &str,
    now: i64,
) -> Result<bool, StoreError> {
    Ok(process_outcome(db, processor, receipt_id, now)
        .await?
        .is_some())
}

/// Like [`process`], returning the processor's outcome (`None` when the receipt was
/// already processed).
pub async fn process_outcome(
    db: &Db,
    processor: &dyn Processor,
    receipt_id: &str,
    now: i64,
) -> Result<Option<String>, StoreError> {
    let mut tx = db.begin().await?;
    let receipt: Option<Receipt> = on_tx!(&mut tx, c => {
        sqlx::query_as::<_, Receipt>(
            "SELECT receipt_id, partner, channel, message_id, content_type, body, sha256, received_at \
             FROM inbound_receipts WHERE receipt_id = $1 AND state = 'stored'",
        )
        .bind(receipt_id)
        .fetch_optional(c)
        .await?
    });
    let Some(mut receipt) = receipt else {
        return Ok(None);
    };
    receipt.body = tx.sealer().open_bytes(
        std::mem::take(&mut receipt.body),
        &place::receipt(&receipt.receipt_id),
    )?;
    let outcome = processor.process(&mut tx, &receipt, now).await?;
    let marked = on_tx!(&mut tx, c => {
        sqlx::query(
            "UPDATE inbound_receipts SET state = 'processed', processed_at = $1, outcome = $2 \
             WHERE receipt_id = $3 AND state = 'stored'",
        )
        .bind(now)
        .bind(&outcome)
        .bind(receipt_id)
        .execute(c)
        .await?
        .rows_affected()
    });
    if marked == 0 {
        // Someone else finished it meanwhile; roll our events back.
        return Ok(None);
    }
    tx.commit().await?;
    Ok(Some(outcome))
}

/// Chooses the processor of a channel.
pub trait ProcessorFor: Send + Sync {
    /// The processor of receipts that came through `channel`.
    fn for_channel(&self, channel: &str) -> &dyn Processor;
}

impl ProcessorFor for RecordArrival {
    fn for_channel(&self, _channel: &str) -> &dyn Processor {
        self
    }
}

/// The processors of a gateway, by channel (each partner channel registers its own:
/// [`crate::channels::processors`]); channels nobody claims get [`RecordArrival`].
#[derive(Default)]
pub struct Processors {
    by_channel: std::collections::HashMap<String, std::sync::Arc<dyn Processor>>,
    fallback: RecordArrival,
}

impl std::fmt::Debug for Processors {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.by_channel.keys()).finish()
    }
}

impl Processors {
    /// Registers the processor of `channel`.
    pub fn register(&mut self, channel: &str, processor: std::sync::Arc<dyn Processor>) {
        self.by_channel.insert(channel.to_string(), processor);
    }
}

impl ProcessorFor for Processors {
    fn for_channel(&self, channel: &str) -> &dyn Processor {
        match self.by_channel.get(channel) {
            Some(processor) => processor.as_ref(),
            None => &self.fallback,
        }
    }
}

/// Processes every receipt left in state `stored` (after a crash), oldest first, each by
/// the processor of its channel.
pub async fn resume(db: &Db, processors: &dyn ProcessorFor, now: i64) -> Result<usize, StoreError> {
    let pending: Vec<(String, String)> = crate::on_read!(db, c => {
        // Spooled uploads are resumed by their own channel, which processes them in
        // checkpointed chunks rather than one transaction.
        sqlx::query_as("SELECT receipt_id, channel FROM inbound_receipts WHERE state = 'stored' AND spool_path IS NULL ORDER BY received_at")
            .fetch_all(c)
            .await?
    });
    let mut done = 0;
    for (receipt_id, channel) in pending {
        if process(db, processors.for_channel(&channel), &receipt_id, now).await? {
            done += 1;
        }
    }
    Ok(done)
}

/// The most recent receipts, newest first.
pub async fn recent(db: &Db, limit: i64) -> Result<Vec<ReceiptSummary>, StoreError> {
    Ok(crate::on_read!(db, c => {
        sqlx::query_as::<_, ReceiptSummary>(
            "SELECT receipt_id, partner, channel, message_id, content_type, size_bytes, sha256, \
             state, received_at, processed_at, outcome FROM inbound_receipts \
             ORDER BY received_at DESC LIMIT $1",
        )
        .bind(limit)
        .fetch_all(c)
        .await?
    }))
}
