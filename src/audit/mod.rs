//! The append-only, hash-chained audit log.
//!
//! Every disclosure and every operator action is one entry. Entry `n` stores the hash of
//! entry `n - 1` (`prev_hash`) and its own hash, computed over its sequence number, time,
//! actor, action, subject, reason, details and `prev_hash`. Changing, removing or
//! re-ordering any entry breaks the chain at that point, which [`verify`] reports.
//! Appends are serialised (see [`DbTx::lock_ordered_log`]) so that sequence numbers have
//! no gaps and two appends never chain to the same predecessor.
//!
//! Entries must never carry personal data: subjects are ids (message, case, receipt),
//! never names or SSNs.

use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::store::{Db, DbTx, OrderedLog, StoreError};
use crate::{on_read, on_tx};

/// The `prev_hash` of the first entry.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// An entry to append.
#[derive(Clone, Debug)]
pub struct NewEntry<'a> {
    /// Who acted: `operator:NAME`, `cli:USER`, `partner:ID`, `system`.
    pub actor: &'a str,
    /// What was done, dotted: `outbox.redeliver`.
    pub action: &'a str,
    /// What it was done to: `message:42`.
    pub subject: &'a str,
    /// Why, when the action requires a reason.
    pub reason: Option<&'a str>,
    /// Further details (ids and counts only).
    pub details: serde_json::Value,
}

/// A stored entry.
#[derive(Clone, Debug, Serialize, sqlx::FromRow)]
#[serde(rename_all = "camelCase")]
pub struct Entry {
    /// Position in the chain, from 1.
    pub seq: i64,
    /// When (ms since the epoch).
    pub at: i64,
    /// Who.
    pub actor: String,
    /// What.
    pub action: String,
    /// To what.
    pub subject: String,
    /// Why.
    pub reason: Option<String>,
    /// Details, JSON text.
    pub details: String,
    /// The previous entry's hash.
    pub prev_hash: String,
    /// This entry's hash.
    pub hash: String,
}

/// The fields an entry's hash covers, in hashing order.
struct HashedFields<'a> {
    seq: i64,
    at: i64,
    actor: &'a str,
    action: &'a str,
    subject: &'a str,
    reason: Option<&'a str>,
    details: &'a str,
    prev_hash: &'a str,
}

impl HashedFields<'_> {
    fn hash(&self) -> String {
        let mut hasher = Sha256::new();
        // Length-prefix every field so that moving bytes from one field to the next
        // changes the hash.
        for part in [
            self.seq.to_string().as_str(),
            self.at.to_string().as_str(),
            self.actor,
            self.action,
            self.subject,
            self.reason.unwrap_or("\u{0}"),
            self.details,
            self.prev_hash,
        ] {
            hasher.update((part.len() as u64).to_be_bytes());
            hasher.update(part.as_bytes());
        }
        hex::encode(hasher.finalize())
    }
}

/// Appends an entry in the caller's transaction; returns its sequence number.
pub async fn append(tx: &mut DbTx, entry: &NewEntry<'_>, now: i64) -> Result<i64, StoreError> {
    tx.lock_ordered_log(OrderedLog::Audit).await?;
    let last: Option<(i64, String)> = on_tx!(tx, c => {
        sqlx::query_as("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1")
            .fetch_optional(c)
            .await?
    });
    let (seq, prev_hash) = match last {
        Some((seq, hash)) => (seq + 1, hash),
        None => (1, GENESIS.to_string()),
    };
    let details = entry.details.to_string();
    let hash = HashedFields {
        seq,
        at: now,
        actor: entry.actor,
        action: entry.action,
        subject: entry.subject,
        reason: entry.reason,
        details: &details,
        prev_hash: &prev_hash,
    }
    .hash();
    on_tx!(tx, c => {
        sqlx::query(
            "INSERT INTO audit_log (seq, at, actor, action, subject, reason, details, prev_hash, hash) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(seq)
        .bind(now)
        .bind(entry.actor)
        .bind(entry.action)
        .bind(entry.subject)
        .bind(entry.reason)
        .bind(&details)
        .bind(&prev_hash)
        .bind(&hash)
        .execute(c)
        .await?
            .rows_affected()
    });
    Ok(seq)
}

/// The result of checking the chain.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Verification {
    /// Every link holds.
    Intact {
        /// Entries checked.
        entries: i64,
    },
    /// The first broken link.
    Broken {
        /// The sequence number of the first entry that does not check out.
        seq: i64,
        /// What is wrong with it.
        problem: String,
        /// Entries that checked out before it.
        verified: i64,
    },
}

/// Walks the chain from the first entry and reports the first broken link.
pub async fn verify(db: &Db) -> Result<Verification, StoreError> {
    let mut expected_prev = GENESIS.to_string();
    let mut expected_seq = 1;
    let page = 1_000;
    loop {
        let entries: Vec<Entry> = on_read!(db, c => {
            sqlx::query_as::<_, Entry>(
                "SELECT seq, at, actor, action, subject, reason, details, prev_hash, hash \
                 FROM audit_log WHERE seq >= $1 ORDER BY seq LIMIT $2",
            )
            .bind(expected_seq)
            .bind(page)
            .fetch_all(c)
            .await?
        });
        let fetched = entries.len() as i64;
        for entry in entries {
            let broken = |problem: &str| Verification::Broken {
                seq: expected_seq,
                problem: problem.to_string(),
                verified: expected_seq - 1,
            };
            if entry.seq != expected_seq {
                return Ok(broken(&format!(
                    "entry {expected_seq} is missing (next is {})",
                    entry.seq
                )));
            }
            if entry.prev_hash != expected_prev {
                return Ok(broken(
                    "prev_hash does not match the hash of the entry before it",
                ));
            }
            let recomputed = HashedFields {
                seq: entry.seq,
                at: entry.at,
                actor: &entry.actor,
                action: &entry.action,
                subject: &entry.subject,
                reason: entry.reason.as_deref(),
                details: &entry.details,
                prev_hash: &entry.prev_hash,
            }
            .hash();
            if recomputed != entry.hash {
                return Ok(broken(
                    "content does not match its hash (the entry was changed)",
                ));
            }
            expected_prev = entry.hash;
            expected_seq += 1;
        }
        if fetched < page {
            return Ok(Verification::Intact {
                entries: expected_seq - 1,
            });
        }
    }
}

/// The most recent entries, newest first.
pub async fn recent(db: &Db, limit: i64) -> Result<Vec<Entry>, StoreError> {
    Ok(on_read!(db, c => {
        sqlx::query_as::<_, Entry>(
            "SELECT seq, at, actor, action, subject, reason, details, prev_hash, hash \
             FROM audit_log ORDER BY seq DESC LIMIT $1",
        )
        .bind(limit)
        .fetch_all(c)
        .await?
    }))
}
