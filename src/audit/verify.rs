//! Walking the chain: every link under the audit key, then every checkpoint against it.
//!
//! The walk reads the chain in pages, in sequence order, and stops at the first entry that
//! does not check out. Which kind of tampering that is depends on what else verifies: when
//! an earlier keyed entry verified, the chain is the gateway's up to there and the failing
//! entry was *rewritten*; when none did yet, the walk reads on for any keyed entry that
//! still verifies on its own (an entry after the damage that the attacker left alone, or
//! could not relink): found, the failing entry was rewritten; none in the whole chain, the
//! chain was *replaced*. Only when every link holds are the checkpoints compared with its
//! end: a checkpoint past the end means the *tail was deleted*.

use std::collections::BTreeMap;

use serde::Serialize;

use super::checkpoint::{Checkpoints, Found};
use super::{AuditKey, Entry, GENESIS, is_keyed};
use crate::on_read;
use crate::store::{Db, StoreError};

/// Entries read per query.
const PAGE: i64 = 1_000;

/// What kind of tampering a broken chain shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Tampering {
    /// An entry was changed, inserted or removed inside the chain (later links recomputed
    /// or not): the entries before it, or some after it, still verify.
    Rewritten,
    /// The newest entries were deleted: every link verifies, but a checkpoint records more.
    TailDeleted,
    /// Nothing in the chain verifies under the audit key: it was replaced (or this is not
    /// the gateway's key).
    Replaced,
    /// A checkpoint file was altered, forged or signed with another key.
    BadCheckpoint,
}

/// The newest checkpoint an intact chain was checked against.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Anchored {
    /// The entry it records.
    pub seq: i64,
    /// The instance that wrote it.
    pub instance: String,
    /// When (ms since the epoch).
    pub written_at: i64,
    /// Its file.
    pub file: String,
}

/// The result of checking the chain.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Verification {
    /// Every link holds, and every checkpoint is in the chain.
    Intact {
        /// Entries checked.
        entries: i64,
        /// Of those, entries with unkeyed links from before links were keyed (all at the
        /// start of the chain).
        unkeyed: i64,
        /// Checkpoints the chain was checked against (0: a deleted tail, or a chain replaced
        /// by unkeyed entries, could not have been seen).
        checkpoints: usize,
        /// The newest of them.
        anchor: Option<Anchored>,
    },
    /// The first thing that does not check out.
    Broken {
        /// What kind of tampering it shows.
        kind: Tampering,
        /// The first entry concerned (for a deleted tail, the first missing one).
        seq: i64,
        /// What is wrong, in a sentence that names entries and files, never contents.
        problem: String,
        /// Entries that checked out before it.
        verified: i64,
    },
}

/// Walks the chain with the handle's audit key, without checkpoints: a changed or forged
/// entry is found, a deleted tail is not.
pub async fn verify(db: &Db) -> Result<Verification, StoreError> {
    verify_against(db, &Checkpoints::default()).await
}

/// Walks the chain with the handle's audit key and checks it against `checkpoints`.
pub async fn verify_against(
    db: &Db,
    checkpoints: &Checkpoints,
) -> Result<Verification, StoreError> {
    let key = db
        .sealer()
        .audit_key()
        .cloned()
        .ok_or(StoreError::NoAuditKey)?;
    let mut walk = Walk::new(&key, checkpoints);
    let mut from = 1;
    loop {
        let entries: Vec<Entry> = on_read!(db, c => {
            sqlx::query_as::<_, Entry>(
                "SELECT seq, at, actor, action, subject, reason, details, prev_hash, hash \
                 FROM audit_log WHERE seq >= $1 ORDER BY seq LIMIT $2",
            )
            .bind(from)
            .bind(PAGE)
            .fetch_all(c)
            .await?
        });
        let fetched = entries.len() as i64;
        for entry in &entries {
            if let Some(verdict) = walk.feed(entry) {
                return Ok(verdict);
            }
        }
        match entries.last() {
            Some(last) if fetched == PAGE => from = last.seq + 1,
            _ => return Ok(walk.finish()),
        }
    }
}

/// A failure seen before any keyed entry verified: rewritten or replaced, depending on
/// whether a keyed entry that verifies turns up later.
struct Pending {
    seq: i64,
    /// The verdict's words if it turns out rewritten.
    rewritten: String,
    /// What was seen, for the verdict's words if it turns out replaced.
    detail: String,
}

/// The walk's state, fed one entry at a time in sequence order.
pub(super) struct Walk<'a> {
    key: &'a AuditKey,
    checkpoints: &'a Checkpoints,
    /// Checkpoints by the entry they record.
    at: BTreeMap<i64, Vec<&'a Found>>,
    /// The earliest entry some checkpoint says is keyed, and that checkpoint.
    must_key_from: Option<(i64, &'a Found)>,
    expected_seq: i64,
    expected_prev: String,
    keyed_from: Option<i64>,
    unkeyed: i64,
    pending: Option<Pending>,
}

fn broken(kind: Tampering, seq: i64, problem: String, verified: i64) -> Verification {
    Verification::Broken {
        kind,
        seq,
        problem,
        verified,
    }
}

fn describe(found: &Found) -> String {
    let when = crate::store::rfc3339_of_ms(found.checkpoint.written_at)
        .unwrap_or_else(|| found.checkpoint.written_at.to_string());
    format!(
        "checkpoint {} (instance {}, written {when})",
        found.path.display(),
        found.checkpoint.instance
    )
}

impl<'a> Walk<'a> {
    pub(super) fn new(key: &'a AuditKey, checkpoints: &'a Checkpoints) -> Walk<'a> {
        let mut at: BTreeMap<i64, Vec<&Found>> = BTreeMap::new();
        let mut must_key_from: Option<(i64, &Found)> = None;
        for found in &checkpoints.valid {
            let checkpoint = &found.checkpoint;
            if checkpoint.seq > 0 {
                at.entry(checkpoint.seq).or_default().push(found);
            }
            if let Some(keyed) = checkpoint.keyed_from
                && must_key_from.is_none_or(|(k, _)| keyed < k)
            {
                must_key_from = Some((keyed, found));
            }
        }
        Walk {
            key,
            checkpoints,
            at,
            must_key_from,
            expected_seq: 1,
            expected_prev: GENESIS.to_string(),
            keyed_from: None,
            unkeyed: 0,
            pending: None,
        }
    }

    fn own_keyed_link(&self, entry: &Entry) -> bool {
        is_keyed(&entry.hash) && entry.link_verifies(self.key)
    }

    /// Takes the next entry; `Some` when the verdict is known.
    pub(super) fn feed(&mut self, entry: &Entry) -> Option<Verification> {
        if let Some(pending) = &self.pending {
            return self.own_keyed_link(entry).then(|| {
                broken(
                    Tampering::Rewritten,
                    pending.seq,
                    pending.rewritten.clone(),
                    pending.seq - 1,
                )
            });
        }
        let seq = self.expected_seq;
        if entry.seq != seq {
            let missing = if entry.seq == seq + 1 {
                format!("entry {seq} is missing (the next entry is {})", entry.seq)
            } else {
                format!("entries {seq} to {} are missing", entry.seq - 1)
            };
            let rewritten = if entry.seq == seq + 1 {
                format!(
                    "entry {seq} was deleted from the chain (the next entry is {})",
                    entry.seq
                )
            } else {
                format!(
                    "entries {seq} to {} were deleted from the chain",
                    entry.seq - 1
                )
            };
            return self.fail(entry, rewritten, missing);
        }
        if entry.prev_hash != self.expected_prev {
            // The entry is intact but covers another predecessor: the evidence of the
            // rewrite is the entry before it (or one further back, relinked since).
            if seq > 1 && self.own_keyed_link(entry) {
                let before = seq - 1;
                return Some(broken(
                    Tampering::Rewritten,
                    before,
                    format!(
                        "entry {before} (or one before it) was rewritten: entry {seq}'s keyed link covers another entry {before}"
                    ),
                    before - 1,
                ));
            }
            let detail = format!(
                "it does not follow entry {} (its prev_hash is not that entry's link)",
                seq - 1
            );
            return self.fail(
                entry,
                format!("entry {seq} was rewritten: {detail}"),
                detail,
            );
        }
        if is_keyed(&entry.hash) {
            if !entry.link_verifies(self.key) {
                let detail = "its keyed link does not verify under the audit key".to_string();
                return self.fail(
                    entry,
                    format!("entry {seq} was rewritten: {detail}"),
                    detail,
                );
            }
            self.keyed_from.get_or_insert(seq);
        } else {
            if self.keyed_from.is_some() {
                return self.fail(
                    entry,
                    format!(
                        "entry {seq} was rewritten: it carries an unkeyed link after keyed entries (links recomputed without the key)"
                    ),
                    String::new(),
                );
            }
            if let Some((keyed, found)) = self.must_key_from
                && seq >= keyed
            {
                let detail = format!(
                    "it carries an unkeyed link, but {} says the chain is keyed from entry {keyed}",
                    describe(found)
                );
                return self.fail(
                    entry,
                    format!("entry {seq} was rewritten: {detail}"),
                    detail,
                );
            }
            if !entry.link_verifies(self.key) {
                let detail = "its content does not match its (unkeyed) link".to_string();
                return self.fail(
                    entry,
                    format!("entry {seq} was rewritten: {detail}"),
                    detail,
                );
            }
            self.unkeyed += 1;
        }
        if let Some(found) = self
            .at
            .get(&seq)
            .and_then(|list| list.iter().find(|f| f.checkpoint.head != entry.hash))
        {
            let verified = seq - 1;
            return Some(if is_keyed(&entry.hash) {
                broken(
                    Tampering::TailDeleted,
                    seq,
                    format!(
                        "entry {seq} is not the entry {} records, although both were made with this key: entries were deleted and others written since (a database restored from an older backup?)",
                        describe(found)
                    ),
                    verified,
                )
            } else {
                broken(
                    Tampering::Rewritten,
                    seq,
                    format!(
                        "the unkeyed entries up to {seq} were rewritten: entry {seq} is not the entry {} records",
                        describe(found)
                    ),
                    verified,
                )
            });
        }
        self.expected_prev = entry.hash.clone();
        self.expected_seq += 1;
        None
    }

    /// The entry expected next does not check out: `rewritten` says so when the chain is
    /// known to be the gateway's around it, `detail` is what was seen, for the verdict
    /// when nothing turns out to be.
    fn fail(&mut self, entry: &Entry, rewritten: String, detail: String) -> Option<Verification> {
        let seq = self.expected_seq;
        if self.keyed_from.is_some() || self.own_keyed_link(entry) {
            return Some(broken(Tampering::Rewritten, seq, rewritten, seq - 1));
        }
        self.pending = Some(Pending {
            seq,
            rewritten,
            detail,
        });
        None
    }

    /// The chain has ended.
    pub(super) fn finish(self) -> Verification {
        let end = self.expected_seq - 1;
        if let Some(pending) = self.pending {
            let mut problem = format!(
                "the chain was replaced: no entry in it verifies under this gateway's audit key (id {}); the first that does not is entry {}: {}",
                self.key.id(),
                pending.seq,
                pending.detail
            );
            if self.checkpoints.valid.is_empty() && !self.checkpoints.invalid.is_empty() {
                problem.push_str(
                    "; no checkpoint file verifies under this key either, so it may not be the gateway's audit key",
                );
            }
            return broken(Tampering::Replaced, pending.seq, problem, pending.seq - 1);
        }
        if let Some(found) = self.checkpoints.newest()
            && found.checkpoint.seq > end
        {
            let missing = found.checkpoint.seq - end;
            let what = match (missing, end) {
                (1, _) => "the last entry was deleted".to_string(),
                (_, 0) => format!("all {missing} entries were deleted"),
                _ => format!("the last {missing} entries were deleted"),
            };
            let ends = if end == 0 {
                "the chain is empty".to_string()
            } else {
                format!("the chain ends at entry {end}")
            };
            let problem = format!(
                "{what}: {} records entry {}, {ends}",
                describe(found),
                found.checkpoint.seq
            );
            return broken(Tampering::TailDeleted, end + 1, problem, end);
        }
        if let Some(invalid) = self.checkpoints.invalid.first() {
            return broken(
                Tampering::BadCheckpoint,
                0,
                format!(
                    "checkpoint file {} does not verify: {}",
                    invalid.path.display(),
                    invalid.problem
                ),
                end,
            );
        }
        Verification::Intact {
            entries: end,
            unkeyed: self.unkeyed,
            checkpoints: self.checkpoints.valid.len(),
            anchor: self.checkpoints.newest().map(|found| Anchored {
                seq: found.checkpoint.seq,
                instance: found.checkpoint.instance.clone(),
                written_at: found.checkpoint.written_at,
                file: found.path.display().to_string(),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::checkpoint::{Checkpoint, Head, Invalid};
    use super::super::{KEYED_PREFIX, LinkedFields};
    use super::*;

    fn key() -> AuditKey {
        AuditKey::from_bytes([9; 32])
    }

    fn fields(entry: &Entry) -> LinkedFields<'_> {
        entry.fields()
    }

    /// `n` entries linked as the gateway links them: unkeyed up to `unkeyed`, keyed after.
    fn chain(n: i64, unkeyed: i64, key: &AuditKey) -> Vec<Entry> {
        let mut entries: Vec<Entry> = Vec::new();
        for seq in 1..=n {
            let prev = entries
                .last()
                .map_or(GENESIS.to_string(), |e| e.hash.clone());
            let mut entry = Entry {
                seq,
                at: 1_000 + seq,
                actor: "operator:ana".into(),
                action: "outbox.redeliver".into(),
                subject: format!("message:{seq}"),
                reason: Some("partner fixed its endpoint".into()),
                details: "{}".into(),
                prev_hash: prev,
                hash: String::new(),
            };
            entry.hash = if seq <= unkeyed {
                fields(&entry).unkeyed()
            } else {
                fields(&entry).keyed(key)
            };
            entries.push(entry);
        }
        entries
    }

    /// What someone without the key does after changing `from`: links every entry from
    /// there on again, the old way or with a key of their own.
    fn relink(entries: &mut [Entry], from: usize, forger: Option<&AuditKey>) {
        for i in from..entries.len() {
            if i > 0 {
                entries[i].prev_hash = entries[i - 1].hash.clone();
            } else {
                entries[i].prev_hash = GENESIS.to_string();
            }
            entries[i].hash = match forger {
                Some(k) => fields(&entries[i]).keyed(k),
                None => fields(&entries[i]).unkeyed(),
            };
        }
    }

    fn checkpoint_of(entries: &[Entry], key: &AuditKey) -> Checkpoints {
        let last = entries.last().unwrap();
        let head = Head {
            seq: last.seq,
            hash: last.hash.clone(),
            keyed_from: entries.iter().find(|e| is_keyed(&e.hash)).map(|e| e.seq),
        };
        Checkpoints {
            valid: vec![Found {
                path: "gw.checkpoint".into(),
                checkpoint: Checkpoint::new(key, "gw", 5_000, &head),
            }],
            invalid: Vec::new(),
        }
    }

    fn walk(entries: &[Entry], key: &AuditKey, checkpoints: &Checkpoints) -> Verification {
        let mut walk = Walk::new(key, checkpoints);
        for entry in entries {
            if let Some(verdict) = walk.feed(entry) {
                return verdict;
            }
        }
        walk.finish()
    }

    fn kind(v: &Verification) -> (Option<Tampering>, i64) {
        match v {
            Verification::Broken { kind, seq, .. } => (Some(*kind), *seq),
            Verification::Intact { entries, .. } => (None, *entries),
        }
    }

    #[test]
    fn an_intact_chain_is_intact_and_anchored() {
        let k = key();
        let entries = chain(6, 0, &k);
        let anchors = checkpoint_of(&entries, &k);
        match walk(&entries, &k, &anchors) {
            Verification::Intact {
                entries,
                unkeyed,
                checkpoints,
                anchor,
            } => {
                assert_eq!((entries, unkeyed, checkpoints), (6, 0, 1));
                assert_eq!(anchor.unwrap().seq, 6);
            }
            other => panic!("{other:?}"),
        }
        assert!(entries[0].hash.starts_with(KEYED_PREFIX));
    }

    #[test]
    fn an_entry_edited_with_links_recomputed_is_rewritten_at_that_entry() {
        let k = key();
        for forger in [None, Some(AuditKey::from_bytes([1; 32]))] {
            let mut entries = chain(6, 0, &k);
            let anchors = checkpoint_of(&entries, &k);
            entries[2].reason = Some("routine".into());
            relink(&mut entries, 2, forger.as_ref());
            let verdict = walk(&entries, &k, &anchors);
            assert_eq!(
                kind(&verdict),
                (Some(Tampering::Rewritten), 3),
                "{verdict:?}"
            );
            assert!(matches!(verdict, Verification::Broken { verified: 2, .. }));
        }
    }

    #[test]
    fn an_entry_edited_without_relinking_is_rewritten_even_when_it_is_the_first() {
        let k = key();
        let mut entries = chain(3, 0, &k);
        entries[0].subject = "message:99".into();
        let verdict = walk(&entries, &k, &Checkpoints::default());
        assert_eq!(
            kind(&verdict),
            (Some(Tampering::Rewritten), 1),
            "{verdict:?}"
        );
    }

    #[test]
    fn a_deleted_tail_is_seen_only_with_a_checkpoint() {
        let k = key();
        let entries = chain(6, 0, &k);
        let anchors = checkpoint_of(&entries, &k);
        let verdict = walk(&entries[..4], &k, &anchors);
        assert_eq!(
            kind(&verdict),
            (Some(Tampering::TailDeleted), 5),
            "{verdict:?}"
        );
        let Verification::Broken { problem, .. } = &verdict else {
            unreachable!()
        };
        assert!(
            problem.contains("the last 2 entries were deleted"),
            "{problem}"
        );
        assert_eq!(
            kind(&walk(&[], &k, &anchors)).0,
            Some(Tampering::TailDeleted)
        );
        assert_eq!(
            kind(&walk(&entries[..4], &k, &Checkpoints::default())),
            (None, 4),
            "without an anchor, a shorter chain is all there is"
        );
    }

    #[test]
    fn a_chain_replaced_by_one_of_the_same_shape_is_replaced() {
        let k = key();
        let genuine = chain(6, 0, &k);
        let anchors = checkpoint_of(&genuine, &k);
        // Forged under another key, in the keyed form: nothing verifies, with or without
        // checkpoints.
        let forged = chain(6, 0, &AuditKey::from_bytes([1; 32]));
        for anchors in [&anchors, &Checkpoints::default()] {
            let verdict = walk(&forged, &k, anchors);
            assert_eq!(
                kind(&verdict),
                (Some(Tampering::Replaced), 1),
                "{verdict:?}"
            );
        }
        // Forged with unkeyed links, shorter: the checkpoint says keyed from entry 1.
        let unkeyed = chain(3, 3, &k);
        let verdict = walk(&unkeyed, &k, &anchors);
        assert_eq!(
            kind(&verdict),
            (Some(Tampering::Replaced), 1),
            "{verdict:?}"
        );
    }

    #[test]
    fn entries_removed_from_the_middle_are_named() {
        let k = key();
        let mut entries = chain(6, 0, &k);
        entries.remove(2);
        let verdict = walk(&entries, &k, &Checkpoints::default());
        let Verification::Broken {
            kind, seq, problem, ..
        } = verdict
        else {
            panic!()
        };
        assert_eq!((kind, seq), (Tampering::Rewritten, 3));
        assert!(problem.contains("entry 3 was deleted"), "{problem}");
    }

    #[test]
    fn an_old_unkeyed_start_is_covered_by_the_first_keyed_link() {
        let k = key();
        let entries = chain(6, 3, &k);
        assert!(matches!(
            walk(&entries, &k, &checkpoint_of(&entries, &k)),
            Verification::Intact { unkeyed: 3, .. }
        ));
        // Rewriting an old entry (recomputing the unkeyed links) breaks the keyed link of
        // entry 4, which covers them.
        let mut rewritten = entries.clone();
        rewritten[1].reason = Some("routine".into());
        relink(&mut rewritten[..3], 1, None);
        let verdict = walk(&rewritten, &k, &Checkpoints::default());
        assert_eq!(
            kind(&verdict),
            (Some(Tampering::Rewritten), 3),
            "{verdict:?}"
        );
        // Turning keyed entries into unkeyed ones is a rewrite.
        let mut downgraded = entries.clone();
        relink(&mut downgraded, 4, None);
        let verdict = walk(&downgraded, &k, &Checkpoints::default());
        assert_eq!(
            kind(&verdict),
            (Some(Tampering::Rewritten), 5),
            "{verdict:?}"
        );
    }

    #[test]
    fn a_backup_restored_and_continued_differs_from_the_checkpoint() {
        let k = key();
        let entries = chain(6, 0, &k);
        let anchors = checkpoint_of(&entries[..5], &k);
        let mut continued = entries[..4].to_vec();
        let mut other = chain(5, 0, &k)[4].clone();
        other.subject = "message:other".into();
        other.prev_hash = continued[3].hash.clone();
        other.hash = fields(&other).keyed(&k);
        continued.push(other);
        let verdict = walk(&continued, &k, &anchors);
        assert_eq!(
            kind(&verdict),
            (Some(Tampering::TailDeleted), 5),
            "{verdict:?}"
        );
    }

    #[test]
    fn a_bad_checkpoint_file_fails_an_intact_chain_and_hints_at_a_wrong_key() {
        let k = key();
        let entries = chain(2, 0, &k);
        let bad = Checkpoints {
            valid: Vec::new(),
            invalid: vec![Invalid {
                path: "x.checkpoint".into(),
                problem: "altered or forged".into(),
            }],
        };
        assert_eq!(
            kind(&walk(&entries, &k, &bad)).0,
            Some(Tampering::BadCheckpoint)
        );
        let other = AuditKey::from_bytes([1; 32]);
        let Verification::Broken { kind, problem, .. } = walk(&entries, &other, &bad) else {
            panic!()
        };
        assert_eq!(kind, Tampering::Replaced);
        assert!(
            problem.contains("it may not be the gateway's audit key"),
            "{problem}"
        );
    }
}
