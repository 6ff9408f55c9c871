//! The append-only audit log: a chain of keyed links, anchored outside the database.
//!
//! Every disclosure and every operator action is one entry. Entry `n` stores the link of
//! entry `n - 1` (`prev_hash`) and its own link (`hash`): HMAC-SHA256 under the audit key
//! ([`key`]) of its sequence number, time, actor, action, subject, reason, details and
//! `prev_hash`, each length-prefixed, stored as `hmac:<64 hex digits>`. The key is kept
//! outside the database (a file or the environment, like the data keys), so someone who can
//! write the database but cannot read the key cannot make a link: an entry changed,
//! inserted or re-ordered does not verify, whether or not every later link was
//! "recomputed".
//!
//! Links cannot show what is *missing*: delete the newest entries and what is left still
//! verifies. So the head is anchored outside the database ([`checkpoint`]): signed
//! checkpoint files written at start, at intervals and at shutdown, and log lines.
//!
//! ## What [`verify`] tells apart
//!
//! | tampering | what verify finds | [`Tampering`] |
//! |---|---|---|
//! | an entry changed, links after it recomputed or not | the first entry whose link does not verify, after entries (or before entries) that do | `rewritten` |
//! | entries removed from the middle | a gap in the sequence numbers, or an entry whose `prev_hash` is not its predecessor's link | `rewritten` |
//! | the newest entries deleted | every link verifies, but a checkpoint records a later entry | `tail-deleted` |
//! | deleted, then continued (e.g. a restored backup) | a checkpoint's entry differs, although its link verifies | `tail-deleted` |
//! | the whole chain replaced | no entry anywhere verifies under the key, or unkeyed links where a checkpoint says keyed | `replaced` |
//! | a checkpoint file altered or forged | its signature does not verify | `bad-checkpoint` |
//!
//! An edit of the very first entry with every later link recomputed leaves nothing of the
//! chain that verifies: it is reported as `replaced`, which for the evidence it is.
//!
//! ## Entries from before keyed links
//!
//! Databases written before links were keyed hold entries whose `hash` is a plain SHA-256
//! (64 hex digits, no prefix). They are kept as written (the log stays append-only; no
//! migration rewrites it) and checked as before, and they are protected from the first
//! keyed entry on: its keyed link covers their head, so changing any of them breaks that
//! link. The first start of this version appends an `audit.keyed` entry when the newest
//! entry is unkeyed ([`checkpoint::Anchor::start`]), so the protection starts at once.
//! Unkeyed links may only open the chain: one after a keyed link is a rewrite. A chain of
//! unkeyed links only looks like an old database to the links alone, and anyone can
//! compute them; a checkpoint that says the chain was keyed is what shows it was replaced.
//! A link says which kind it is by its form (as a sealed value names its key), so there is
//! no schema change and no migration.
//!
//! Appends are serialised (see [`DbTx::lock_ordered_log`]) so that sequence numbers have
//! no gaps and two appends never chain to the same predecessor. A handle without the audit
//! key refuses to append ([`StoreError::NoAuditKey`]) rather than write an unkeyed link.
//!
//! Entries must never carry personal data: subjects are ids (message, case, receipt),
//! never names or SSNs.

pub mod checkpoint;
pub mod key;
pub mod settings;
mod verify;

pub use checkpoint::{Anchor, Checkpoint, Checkpoints};
pub use key::{AuditKey, AuditKeyError};
pub use settings::AuditSettings;
pub use verify::{Anchored, Tampering, Verification, verify, verify_against};

use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::store::{Db, DbTx, OrderedLog, StoreError};
use crate::{on_read, on_tx};

/// The `prev_hash` of the first entry.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// The start of every keyed link.
pub const KEYED_PREFIX: &str = "hmac:";

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
    /// The previous entry's link.
    pub prev_hash: String,
    /// This entry's link: `hmac:<hex>` (keyed), or 64 hex digits (unkeyed, written before
    /// links were keyed).
    pub hash: String,
}

impl Entry {
    fn fields(&self) -> LinkedFields<'_> {
        LinkedFields {
            seq: self.seq,
            at: self.at,
            actor: &self.actor,
            action: &self.action,
            subject: &self.subject,
            reason: self.reason.as_deref(),
            details: &self.details,
            prev_hash: &self.prev_hash,
        }
    }

    /// Whether this entry's own link verifies (keyed under `key`, or unkeyed SHA-256),
    /// whatever its neighbours.
    pub(crate) fn link_verifies(&self, key: &AuditKey) -> bool {
        self.fields().verifies(key, &self.hash)
    }
}

/// Whether `link` is a keyed link.
pub fn is_keyed(link: &str) -> bool {
    link.starts_with(KEYED_PREFIX)
}

/// The fields a link covers, in order.
struct LinkedFields<'a> {
    seq: i64,
    at: i64,
    actor: &'a str,
    action: &'a str,
    subject: &'a str,
    reason: Option<&'a str>,
    details: &'a str,
    prev_hash: &'a str,
}

impl LinkedFields<'_> {
    fn parts(&self) -> [Vec<u8>; 8] {
        [
            self.seq.to_string().into_bytes(),
            self.at.to_string().into_bytes(),
            self.actor.as_bytes().to_vec(),
            self.action.as_bytes().to_vec(),
            self.subject.as_bytes().to_vec(),
            self.reason.unwrap_or("\u{0}").as_bytes().to_vec(),
            self.details.as_bytes().to_vec(),
            self.prev_hash.as_bytes().to_vec(),
        ]
    }

    /// The keyed link, `hmac:<hex>`.
    fn keyed(&self, key: &AuditKey) -> String {
        format!("{KEYED_PREFIX}{}", key.link(&self.parts()))
    }

    /// The unkeyed link of entries written before links were keyed: SHA-256 over the same
    /// length-prefixed fields.
    fn unkeyed(&self) -> String {
        let mut hasher = Sha256::new();
        for part in self.parts() {
            hasher.update((part.len() as u64).to_be_bytes());
            hasher.update(&part);
        }
        hex::encode(hasher.finalize())
    }

    fn verifies(&self, key: &AuditKey, link: &str) -> bool {
        match link.strip_prefix(KEYED_PREFIX) {
            Some(mac) => key.link_matches(&self.parts(), mac),
            None => link == self.unkeyed(),
        }
    }
}

fn audit_key(tx: &DbTx) -> Result<AuditKey, StoreError> {
    tx.sealer()
        .audit_key()
        .cloned()
        .ok_or(StoreError::NoAuditKey)
}

/// Appends an entry in the caller's transaction; returns its sequence number.
pub async fn append(tx: &mut DbTx, entry: &NewEntry<'_>, now: i64) -> Result<i64, StoreError> {
    let key = audit_key(tx)?;
    tx.lock_ordered_log(OrderedLog::Audit).await?;
    let last = newest_in(tx).await?;
    insert_after(tx, &key, last, entry, now).await
}

async fn newest_in(tx: &mut DbTx) -> Result<Option<(i64, String)>, StoreError> {
    Ok(on_tx!(tx, c => {
        sqlx::query_as("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1")
            .fetch_optional(c)
            .await?
    }))
}

async fn insert_after(
    tx: &mut DbTx,
    key: &AuditKey,
    last: Option<(i64, String)>,
    entry: &NewEntry<'_>,
    now: i64,
) -> Result<i64, StoreError> {
    let (seq, prev_hash) = match last {
        Some((seq, hash)) => (seq + 1, hash),
        None => (1, GENESIS.to_string()),
    };
    let details = entry.details.to_string();
    let hash = LinkedFields {
        seq,
        at: now,
        actor: entry.actor,
        action: entry.action,
        subject: entry.subject,
        reason: entry.reason,
        details: &details,
        prev_hash: &prev_hash,
    }
    .keyed(key);
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

/// When the newest entry has an unkeyed link (a database from before keyed links),
/// appends an `audit.keyed` entry whose keyed link covers every entry before it, and
/// returns its sequence number. Instances starting together key the chain once: the check
/// and the append happen under the chain's lock.
pub async fn key_unkeyed_chain(db: &Db, now: i64) -> Result<Option<i64>, StoreError> {
    let mut tx = db.begin().await?;
    let key = audit_key(&tx)?;
    tx.lock_ordered_log(OrderedLog::Audit).await?;
    let last = newest_in(&mut tx).await?;
    let Some((unkeyed, head)) = last.clone().filter(|(_, hash)| !is_keyed(hash)) else {
        return Ok(None);
    };
    let seq = insert_after(
        &mut tx,
        &key,
        last,
        &NewEntry {
            actor: "system",
            action: "audit.keyed",
            subject: "audit:chain",
            reason: None,
            details: serde_json::json!({ "unkeyedEntries": unkeyed, "unkeyedHead": head }),
        },
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(Some(seq))
}

/// The newest entry's sequence number and link; `(0, GENESIS)` when the chain is empty.
pub async fn newest(db: &Db) -> Result<(i64, String), StoreError> {
    let last: Option<(i64, String)> = on_read!(db, c => {
        sqlx::query_as("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1")
            .fetch_optional(c)
            .await?
    });
    Ok(last.unwrap_or_else(|| (0, GENESIS.to_string())))
}

/// The first entry with a keyed link (the primary key's order: stops at the first one).
pub(crate) async fn first_keyed(db: &Db) -> Result<Option<i64>, StoreError> {
    let first: Option<(i64,)> = on_read!(db, c => {
        sqlx::query_as("SELECT seq FROM audit_log WHERE hash LIKE 'hmac:%' ORDER BY seq LIMIT 1")
            .fetch_optional(c)
            .await?
    });
    Ok(first.map(|(seq,)| seq))
}

/// Whether the newest entry's own link verifies under the handle's audit key (true for an
/// empty chain). A keyed head this key does not verify means another key (a misconfigured
/// instance) or a rewritten entry.
pub async fn newest_verifies(db: &Db) -> Result<bool, StoreError> {
    let key = db
        .sealer()
        .audit_key()
        .cloned()
        .ok_or(StoreError::NoAuditKey)?;
    let last: Option<Entry> = on_read!(db, c => {
        sqlx::query_as::<_, Entry>(
            "SELECT seq, at, actor, action, subject, reason, details, prev_hash, hash \
             FROM audit_log ORDER BY seq DESC LIMIT 1",
        )
        .fetch_optional(c)
        .await?
    });
    Ok(last.is_none_or(|entry| entry.link_verifies(&key)))
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

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(seq: i64, prev_hash: &str) -> Entry {
        Entry {
            seq,
            at: 1_700_000_000_000 + seq,
            actor: "operator:ana".into(),
            action: "outbox.redeliver".into(),
            subject: format!("message:{seq}"),
            reason: Some("partner fixed its endpoint".into()),
            details: "{}".into(),
            prev_hash: prev_hash.into(),
            hash: String::new(),
        }
    }

    #[test]
    fn a_keyed_link_verifies_only_under_its_key_and_unchanged() {
        let key = AuditKey::from_bytes([1; 32]);
        let mut e = entry(1, GENESIS);
        e.hash = e.fields().keyed(&key);
        assert!(is_keyed(&e.hash));
        assert!(e.link_verifies(&key));
        assert!(!e.link_verifies(&AuditKey::from_bytes([2; 32])));
        let mut changed = e.clone();
        changed.reason = Some("routine".into());
        assert!(!changed.link_verifies(&key));
        // Recomputing the old way does not make a keyed link.
        changed.hash = changed.fields().unkeyed();
        assert!(!is_keyed(&changed.hash));
    }

    #[test]
    fn unkeyed_links_of_old_databases_still_check_their_content() {
        let key = AuditKey::from_bytes([1; 32]);
        let mut e = entry(1, GENESIS);
        e.hash = e.fields().unkeyed();
        // The link the gateway wrote before links were keyed, byte for byte.
        assert_eq!(
            e.hash,
            "4ea5261496adf1353b1a14ae6c0c3a03728d755ee5a827374ac8d8e854d4ff21"
        );
        assert!(e.link_verifies(&key), "any key: an unkeyed link has none");
        e.subject = "message:99".into();
        assert!(!e.link_verifies(&key));
    }

    #[test]
    fn moving_bytes_between_fields_changes_the_link() {
        let key = AuditKey::from_bytes([1; 32]);
        let a = entry(1, GENESIS);
        let mut b = a.clone();
        b.actor = "operator:an".into();
        b.action = "aoutbox.redeliver".into();
        assert_ne!(a.fields().keyed(&key), b.fields().keyed(&key));
    }
}
