//! Checkpoints: the chain's head, signed and written outside the database.
//!
//! Keyed links show that every entry present is genuine, not that none is missing: whoever
//! can write the database can delete the newest entries, and what is left still verifies.
//! A checkpoint records, at a moment, the chain's newest sequence number, its link (the
//! head), and where keyed links begin, signed with HMAC-SHA256 under a key derived from the
//! audit key (not the link key: a signature is never a valid link). `audit verify` requires
//! every checkpoint it is given to be in the chain: a chain that ends before a checkpoint's
//! entry lost its tail; one whose entry there differs, or that is unkeyed where the
//! checkpoint says keyed, was replaced. Without the key nobody can write a checkpoint that
//! verifies, so deleting entries and then "updating" the checkpoints is not possible either.
//!
//! ## Files
//! One small JSON file per checkpoint, `<instance>.<written_at ms, 13 digits>.<seq>.checkpoint`
//! in `audit.checkpoint_dir` (directory 0700, files 0600: they reveal nothing personal, but
//! nobody else needs them). Written whole under a hidden temporary name and renamed into
//! place, so a reader never sees half a file. Each instance writes only files with its own
//! name and prunes only those, keeping its newest `audit.checkpoints_kept`; so several
//! instances sharing one PostgreSQL can share one directory (with distinct
//! `audit.instance` names) or each keep their own. A checkpoint is written at every start,
//! every `audit.checkpoint_interval_secs` while the chain grows, and at shutdown after
//! everything else has stopped; each one is also logged (INFO: sequence number and head,
//! nothing personal), so a log shipped elsewhere is a second anchor.
//!
//! The directory is on the gateway's host; an attacker who owns that host can delete it.
//! Ship the files elsewhere (a write-once bucket, the SIEM, another host) and verify against
//! that copy: `ivd-gateway audit verify --checkpoints <dir or file>`.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rand::RngCore;
use serde::{Deserialize, Serialize};
use tokio_util::sync::CancellationToken;

use super::key::AuditKey;
use super::settings::AuditSettings;
use crate::store::{Db, StoreError, now_ms};

/// The `format` of every checkpoint this version writes.
pub const FORMAT: &str = "ivd-audit-checkpoint/1";

/// The extension of checkpoint files.
pub const EXTENSION: &str = "checkpoint";

/// Larger files are not checkpoints (a checkpoint is a few hundred bytes).
const MAX_FILE_BYTES: u64 = 64 * 1024;

/// One signed checkpoint, as stored in its file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Checkpoint {
    /// [`FORMAT`].
    pub format: String,
    /// The instance that wrote it.
    pub instance: String,
    /// When (ms since the epoch).
    pub written_at: i64,
    /// The chain's newest entry then (0: the chain was empty).
    pub seq: i64,
    /// That entry's link.
    pub head: String,
    /// The first entry with a keyed link then (none: the chain had no keyed entry).
    pub keyed_from: Option<i64>,
    /// The public id of the audit key that signed it.
    pub key_id: String,
    /// HMAC-SHA256 of the fields above under the checkpoint key, hexadecimal.
    pub signature: String,
}

impl Checkpoint {
    /// A checkpoint of `head`, signed with `key`.
    pub fn new(key: &AuditKey, instance: &str, written_at: i64, head: &Head) -> Checkpoint {
        let mut checkpoint = Checkpoint {
            format: FORMAT.to_string(),
            instance: instance.to_string(),
            written_at,
            seq: head.seq,
            head: head.hash.clone(),
            keyed_from: head.keyed_from,
            key_id: key.id().to_string(),
            signature: String::new(),
        };
        checkpoint.signature = key.sign(&checkpoint.signed_parts());
        checkpoint
    }

    fn signed_parts(&self) -> Vec<Vec<u8>> {
        [
            self.format.clone(),
            self.instance.clone(),
            self.written_at.to_string(),
            self.seq.to_string(),
            self.head.clone(),
            self.keyed_from
                .map_or_else(|| "-".to_string(), |k| k.to_string()),
            self.key_id.clone(),
        ]
        .into_iter()
        .map(String::into_bytes)
        .collect()
    }

    /// Checks the signature; the error says why it does not verify.
    pub fn verify(&self, key: &AuditKey) -> Result<(), String> {
        if self.format != FORMAT {
            return Err(format!("unknown format {:?}", self.format));
        }
        if self.key_id != key.id() {
            return Err(format!(
                "signed with another audit key (id {}; this key's id is {})",
                self.key_id,
                key.id()
            ));
        }
        if !key.signature_matches(&self.signed_parts(), &self.signature) {
            return Err(
                "altered or forged: its signature does not verify under the audit key".into(),
            );
        }
        Ok(())
    }

    /// The file name this checkpoint is written under.
    pub fn file_name(&self) -> String {
        format!(
            "{}.{:013}.{}.{EXTENSION}",
            self.instance, self.written_at, self.seq
        )
    }
}

/// The chain's head: its newest entry, and where keyed links begin.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Head {
    /// The newest entry's sequence number (0: empty).
    pub seq: i64,
    /// Its link ([`super::GENESIS`] when empty).
    pub hash: String,
    /// The first entry with a keyed link.
    pub keyed_from: Option<i64>,
}

/// A checkpoint read from a file whose signature verifies.
#[derive(Clone, Debug)]
pub struct Found {
    /// The file.
    pub path: PathBuf,
    /// What it says.
    pub checkpoint: Checkpoint,
}

/// A file that was to be a checkpoint but does not verify.
#[derive(Clone, Debug)]
pub struct Invalid {
    /// The file.
    pub path: PathBuf,
    /// Why.
    pub problem: String,
}

/// The checkpoints `audit verify` checks the chain against.
#[derive(Clone, Debug, Default)]
pub struct Checkpoints {
    /// Those whose signature verifies.
    pub valid: Vec<Found>,
    /// Those that do not (each one fails the verification).
    pub invalid: Vec<Invalid>,
}

/// Reading checkpoints failed (not a bad checkpoint: one that could not be read at all).
#[derive(Debug, thiserror::Error)]
pub enum CheckpointError {
    /// A file or directory could not be read or written.
    #[error("checkpoint {path}: {source}")]
    Io {
        /// The file or directory.
        path: String,
        /// The cause.
        source: std::io::Error,
    },
    /// Reading the chain's head failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

fn io_error(path: &Path) -> impl Fn(std::io::Error) -> CheckpointError + '_ {
    move |source| CheckpointError::Io {
        path: path.display().to_string(),
        source,
    }
}

impl Checkpoints {
    /// Reads every path given: a directory contributes its `*.checkpoint` files (hidden
    /// temporaries aside), a file is read whatever its name. A path that does not exist is
    /// an error (the operator named it).
    pub fn read(paths: &[PathBuf], key: &AuditKey) -> Result<Checkpoints, CheckpointError> {
        let mut found = Checkpoints::default();
        for path in paths {
            let metadata = std::fs::metadata(path).map_err(io_error(path))?;
            if metadata.is_dir() {
                found.read_dir(path, key)?;
            } else {
                found.read_file(path, key)?;
            }
        }
        Ok(found)
    }

    /// The checkpoints of the configured directory; none when it does not exist yet.
    pub fn read_configured(
        settings: &AuditSettings,
        key: &AuditKey,
    ) -> Result<Checkpoints, CheckpointError> {
        let mut found = Checkpoints::default();
        if settings.checkpoint_dir.is_dir() {
            found.read_dir(&settings.checkpoint_dir, key)?;
        }
        Ok(found)
    }

    fn read_dir(&mut self, dir: &Path, key: &AuditKey) -> Result<(), CheckpointError> {
        let mut files = Vec::new();
        for entry in std::fs::read_dir(dir).map_err(io_error(dir))? {
            let path = entry.map_err(io_error(dir))?.path();
            let visible = path
                .file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| !n.starts_with('.'));
            if visible && path.extension().is_some_and(|e| e == EXTENSION) && path.is_file() {
                files.push(path);
            }
        }
        files.sort();
        for file in files {
            self.read_file(&file, key)?;
        }
        Ok(())
    }

    fn read_file(&mut self, path: &Path, key: &AuditKey) -> Result<(), CheckpointError> {
        let invalid = |problem: String| Invalid {
            path: path.to_path_buf(),
            problem,
        };
        let size = std::fs::metadata(path).map_err(io_error(path))?.len();
        if size > MAX_FILE_BYTES {
            self.invalid
                .push(invalid(format!("{size} bytes: not a checkpoint")));
            return Ok(());
        }
        let text = std::fs::read(path).map_err(io_error(path))?;
        match serde_json::from_slice::<Checkpoint>(&text) {
            Err(error) => self
                .invalid
                .push(invalid(format!("not a checkpoint ({error})"))),
            Ok(checkpoint) => match checkpoint.verify(key) {
                Ok(()) => self.valid.push(Found {
                    path: path.to_path_buf(),
                    checkpoint,
                }),
                Err(problem) => self.invalid.push(invalid(problem)),
            },
        }
        Ok(())
    }

    /// The valid checkpoint with the greatest sequence number (the newest written, of
    /// those, on a tie).
    pub fn newest(&self) -> Option<&Found> {
        self.valid
            .iter()
            .max_by_key(|f| (f.checkpoint.seq, f.checkpoint.written_at))
    }
}

/// Writes `checkpoint` into `dir` (created 0700) as a 0600 file, whole or not at all, and
/// prunes this instance's older files beyond `keep`. Returns the file.
pub fn write(dir: &Path, checkpoint: &Checkpoint, keep: usize) -> Result<PathBuf, CheckpointError> {
    create_private_dir(dir)?;
    let path = dir.join(checkpoint.file_name());
    let mut nonce = [0u8; 8];
    rand::rng().fill_bytes(&mut nonce);
    let temporary = dir.join(format!(
        ".{}.{}.tmp",
        checkpoint.file_name(),
        hex::encode(nonce)
    ));
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut text = serde_json::to_vec(checkpoint).expect("a checkpoint serialises");
    text.push(b'\n');
    let written = options.open(&temporary).and_then(|mut file| {
        file.write_all(&text)?;
        file.sync_all()
    });
    let renamed = written.and_then(|()| std::fs::rename(&temporary, &path));
    if let Err(error) = renamed {
        let _ = std::fs::remove_file(&temporary);
        return Err(io_error(&path)(error));
    }
    // The rename is durable once the directory is synced.
    if let Ok(handle) = std::fs::File::open(dir) {
        let _ = handle.sync_all();
    }
    prune(dir, &checkpoint.instance, keep)?;
    Ok(path)
}

fn create_private_dir(dir: &Path) -> Result<(), CheckpointError> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir).map_err(io_error(dir))
}

/// `(written_at, seq)` of a file name `<instance>.<written_at>.<seq>.checkpoint` of
/// `instance`.
fn own_file_order(name: &str, instance: &str) -> Option<(i64, i64)> {
    let rest = name
        .strip_suffix(EXTENSION)?
        .strip_suffix('.')?
        .strip_prefix(instance)?
        .strip_prefix('.')?;
    let (written_at, seq) = rest.split_once('.')?;
    Some((written_at.parse().ok()?, seq.parse().ok()?))
}

fn prune(dir: &Path, instance: &str, keep: usize) -> Result<(), CheckpointError> {
    let mut own = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(io_error(dir))? {
        let entry = entry.map_err(io_error(dir))?;
        let name = entry.file_name();
        if let Some(order) = name.to_str().and_then(|n| own_file_order(n, instance)) {
            own.push((order, entry.path()));
        }
    }
    own.sort();
    let excess = own.len().saturating_sub(keep);
    for (_, path) in own.into_iter().take(excess) {
        // Another process of the same instance may have pruned it first.
        match std::fs::remove_file(&path) {
            Ok(()) => {}
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
            Err(error) => return Err(io_error(&path)(error)),
        }
    }
    Ok(())
}

/// What makes a checkpoint: the chain's head read from the database.
pub async fn head(db: &Db) -> Result<Head, StoreError> {
    let (seq, hash) = super::newest(db).await?;
    Ok(Head {
        seq,
        hash,
        keyed_from: super::first_keyed(db).await?,
    })
}

/// Anchors a running gateway's chain: writes checkpoints at start, at intervals while the
/// chain grows, and at shutdown.
#[derive(Debug)]
pub struct Anchor {
    db: Db,
    key: AuditKey,
    settings: AuditSettings,
    instance: String,
    /// The newest sequence number checkpointed by this process (no file when unchanged).
    last: Mutex<Option<i64>>,
}

impl Anchor {
    /// Prepares the chain of a starting gateway and writes its first checkpoint. When the
    /// newest entry has an unkeyed link (a database from before keyed links), an
    /// `audit.keyed` entry is appended first, so that the old entries are covered by a keyed
    /// link from now on. When the newest entry has a keyed link this key does not verify,
    /// the start is logged as an error (another instance with another key, or a rewritten
    /// entry: `audit verify` says which), and the gateway runs on.
    pub async fn start(db: &Db, settings: &AuditSettings) -> Result<Arc<Anchor>, CheckpointError> {
        let key = db
            .sealer()
            .audit_key()
            .cloned()
            .ok_or(StoreError::NoAuditKey)?;
        if let Some(seq) = super::key_unkeyed_chain(db, now_ms()).await? {
            tracing::info!(
                seq,
                unkeyed = seq - 1,
                "Audit chain keyed: the entries before this one have unkeyed links and are covered by its keyed link."
            );
        }
        if !super::newest_verifies(db).await? {
            tracing::error!(
                key_id = key.id(),
                "The newest audit entry does not verify under this instance's audit key: instances sharing a database must share audit.key_file (or IVD_AUDIT__KEY), or the entry was rewritten. Run `ivd-gateway audit verify`."
            );
        }
        let anchor = Arc::new(Anchor {
            db: db.clone(),
            key,
            instance: settings.instance_name(),
            settings: settings.clone(),
            last: Mutex::new(None),
        });
        anchor.checkpoint("start").await?;
        Ok(anchor)
    }

    /// Writes a checkpoint of the current head (`trigger` goes to the log line).
    pub async fn checkpoint(&self, trigger: &'static str) -> Result<PathBuf, CheckpointError> {
        let head = head(&self.db).await?;
        let checkpoint = Checkpoint::new(&self.key, &self.instance, now_ms(), &head);
        let path = write(
            &self.settings.checkpoint_dir,
            &checkpoint,
            self.settings.checkpoints_kept,
        )?;
        *self.last.lock().expect("checkpoint bookkeeping") = Some(head.seq);
        tracing::info!(
            trigger,
            seq = head.seq,
            head = %head.hash,
            key_id = self.key.id(),
            file = %path.display(),
            "Audit chain checkpoint written."
        );
        Ok(path)
    }

    /// Writes a checkpoint every `audit.checkpoint_interval_secs` while the chain grows,
    /// until `shutdown`. The last checkpoint is [`at_shutdown`](Self::at_shutdown)'s, once
    /// nothing else can append.
    pub async fn run(self: Arc<Self>, shutdown: CancellationToken) {
        let period = Duration::from_secs(self.settings.checkpoint_interval_secs.max(1));
        let mut ticks = tokio::time::interval_at(tokio::time::Instant::now() + period, period);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = shutdown.cancelled() => return,
                _ = ticks.tick() => {}
            }
            let moved = match super::newest(&self.db).await {
                Ok((seq, _)) => *self.last.lock().expect("checkpoint bookkeeping") != Some(seq),
                Err(error) => {
                    tracing::error!(error = %error, "Reading the audit chain's head for a checkpoint failed; retried at the next interval.");
                    continue;
                }
            };
            if moved && let Err(error) = self.checkpoint("interval").await {
                tracing::error!(error = %error, "Writing an audit checkpoint failed; retried at the next interval.");
            }
        }
    }

    /// The checkpoint at shutdown, after every task that could append has stopped.
    pub async fn at_shutdown(&self) {
        if let Err(error) = self.checkpoint("shutdown").await {
            tracing::error!(error = %error, "Writing the audit checkpoint at shutdown failed.");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> AuditKey {
        AuditKey::from_bytes([3; 32])
    }

    fn head(seq: i64) -> Head {
        Head {
            seq,
            hash: format!("hmac:{}", "ab".repeat(32)),
            keyed_from: Some(1),
        }
    }

    #[test]
    fn a_checkpoint_verifies_only_unchanged_and_under_its_key() {
        let checkpoint = Checkpoint::new(&key(), "gw-1", 1_700_000_000_000, &head(42));
        assert!(checkpoint.verify(&key()).is_ok());
        for altered in [
            Checkpoint {
                seq: 41,
                ..checkpoint.clone()
            },
            Checkpoint {
                head: format!("hmac:{}", "cd".repeat(32)),
                ..checkpoint.clone()
            },
            Checkpoint {
                keyed_from: None,
                ..checkpoint.clone()
            },
            Checkpoint {
                instance: "gw-2".into(),
                ..checkpoint.clone()
            },
        ] {
            let problem = altered.verify(&key()).unwrap_err();
            assert!(problem.contains("altered or forged"), "{problem}");
        }
        let other = AuditKey::from_bytes([4; 32]);
        let problem = checkpoint.verify(&other).unwrap_err();
        assert!(problem.contains("another audit key"), "{problem}");
        // Someone with the other key re-signing under our id still fails.
        let forged = Checkpoint {
            key_id: key().id().to_string(),
            ..Checkpoint::new(&other, "gw-1", 1, &head(50))
        };
        assert!(
            forged
                .verify(&key())
                .unwrap_err()
                .contains("altered or forged")
        );
    }

    #[test]
    fn files_are_private_whole_and_pruned_per_instance() {
        let dir = tempfile::tempdir().unwrap();
        let checkpoints = dir.path().join("audit/checkpoints");
        for n in 1..=5 {
            let own = Checkpoint::new(&key(), "gw-1", 1_000 + n, &head(n));
            write(&checkpoints, &own, 3).unwrap();
        }
        let other = Checkpoint::new(&key(), "gw-2", 10, &head(1));
        write(&checkpoints, &other, 3).unwrap();
        let mut names: Vec<String> = std::fs::read_dir(&checkpoints)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        names.sort();
        assert_eq!(
            names,
            [
                "gw-1.0000000001003.3.checkpoint",
                "gw-1.0000000001004.4.checkpoint",
                "gw-1.0000000001005.5.checkpoint",
                "gw-2.0000000000010.1.checkpoint",
            ],
            "the newest three of gw-1, and gw-2's own left alone; no temporary left"
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode(&checkpoints), 0o700);
            assert_eq!(mode(&checkpoints.join(&names[0])), 0o600);
        }
        let read = Checkpoints::read(std::slice::from_ref(&checkpoints), &key()).unwrap();
        assert_eq!(read.valid.len(), 4);
        assert!(read.invalid.is_empty());
        assert_eq!(read.newest().unwrap().checkpoint.seq, 5);
    }

    #[test]
    fn a_file_that_is_not_a_signed_checkpoint_is_reported_not_skipped() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a.checkpoint"), b"{\"seq\": 9}").unwrap();
        let mut altered = Checkpoint::new(&key(), "gw-1", 5, &head(7));
        altered.seq = 3;
        std::fs::write(
            dir.path().join("b.checkpoint"),
            serde_json::to_vec(&altered).unwrap(),
        )
        .unwrap();
        std::fs::write(dir.path().join("notes.txt"), b"not read").unwrap();
        let read = Checkpoints::read(&[dir.path().to_path_buf()], &key()).unwrap();
        assert!(read.valid.is_empty());
        assert_eq!(read.invalid.len(), 2);
        assert!(read.invalid[0].problem.contains("not a checkpoint"));
        assert!(read.invalid[1].problem.contains("altered or forged"));
        let missing = Checkpoints::read(&[dir.path().join("nowhere")], &key());
        assert!(matches!(missing, Err(CheckpointError::Io { .. })));
    }

    #[test]
    fn only_own_file_names_are_ordered_for_pruning() {
        assert_eq!(
            own_file_order("gw-1.0000000001003.3.checkpoint", "gw-1"),
            Some((1003, 3))
        );
        assert_eq!(
            own_file_order("gw-10.0000000001003.3.checkpoint", "gw-1"),
            None
        );
        assert_eq!(own_file_order(".gw-1.1.3.checkpoint.ab.tmp", "gw-1"), None);
        assert_eq!(own_file_order("gw-1.x.3.checkpoint", "gw-1"), None);
    }
}
