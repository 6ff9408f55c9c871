//! File pick-up: partners (or their transfer software) drop files into a directory; the
//! gateway takes each one in through [`intake::receive`](super::receive) and moves it out
//! of the way.
//!
//! # Invariants
//! - **Stored before moved.** A file is moved to `processed/` only after its bytes are
//!   committed as a receipt. A crash between the two leaves the file where it was; the next
//!   scan reads it again, and its message id — the file name and the SHA-256 of its
//!   content — makes it a recognised duplicate: it is moved, not applied twice.
//! - **The same file twice is one file.** A partner that drops the same file (same name,
//!   same bytes) again gets the first receipt linked, and nothing new is applied.
//! - **Half-written files are left alone.** A file is taken only when it has not changed
//!   for `settle_secs`; transfer software that writes in place has that long to finish.
//! - **Moves are durable.** After the rename the directory is fsynced, so a power cut
//!   cannot bring back a file that was already taken in.
//! - **No clear copy is kept.** What lands in `processed/` is the file sealed with the data
//!   keys (the spool format, [`super::spool::open`] reads it back), not the partner's clear
//!   bytes; the original is removed once the sealed copy is durable. `processed/` is
//!   created 0700 and each sealed copy 0600.
//!
//! Dotfiles (temporary names of transfers in progress) and subdirectories are ignored.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use sha2::{Digest, Sha256};
use tokio_util::sync::CancellationToken;

use crate::config::PickupSettings;
use crate::intake::{self, Inbound, Processor, ProcessorFor, Received};
use crate::store::{Db, StoreError, now_ms};

/// What one scan did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ScanReport {
    /// Files stored under a new receipt.
    pub received: Vec<String>,
    /// Files recognised as already received (moved without being applied again).
    pub duplicates: Vec<String>,
    /// Files left in place because they are still changing.
    pub unsettled: usize,
}

/// A scan could not complete.
#[derive(Debug, thiserror::Error)]
pub enum PickupError {
    /// The directory could not be read or a file not moved.
    #[error("pick-up directory {dir}: {source}")]
    Io {
        /// The directory.
        dir: String,
        /// The cause.
        source: std::io::Error,
    },
    /// Storing the file failed (it stays in place and is retried at the next scan).
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// One partner's pick-up directory.
#[derive(Clone, Debug)]
pub struct Pickup {
    /// The partner the files come from.
    pub partner: String,
    /// Its settings.
    pub settings: PickupSettings,
}

impl Pickup {
    fn io(&self, source: std::io::Error) -> PickupError {
        PickupError::Io {
            dir: self.settings.directory.display().to_string(),
            source,
        }
    }

    fn processed_dir(&self) -> PathBuf {
        self.settings.directory.join("processed")
    }

    /// Takes in every settled file once, oldest name first.
    pub async fn scan(
        &self,
        db: &Db,
        processor: &dyn Processor,
    ) -> Result<ScanReport, PickupError> {
        let mut report = ScanReport::default();
        let settle = Duration::from_secs(self.settings.settle_secs);
        let mut files = Vec::new();
        let mut entries = tokio::fs::read_dir(&self.settings.directory)
            .await
            .map_err(|e| self.io(e))?;
        while let Some(entry) = entries.next_entry().await.map_err(|e| self.io(e))? {
            let name = entry.file_name().to_string_lossy().into_owned();
            let Ok(meta) = entry.metadata().await else {
                continue;
            };
            if name.starts_with('.') || !meta.is_file() {
                continue;
            }
            let age = meta
                .modified()
                .ok()
                .and_then(|m| SystemTime::now().duration_since(m).ok());
            if age.is_none_or(|age| age < settle) {
                report.unsettled += 1;
                continue;
            }
            files.push((name, entry.path()));
        }
        files.sort();
        for (name, path) in files {
            let body = tokio::fs::read(&path).await.map_err(|e| self.io(e))?;
            let message_id = format!("file:{name}:{}", hex::encode(Sha256::digest(&body)));
            let now = now_ms();
            let received = intake::receive(
                db,
                &Inbound {
                    partner: &self.partner,
                    channel: &self.settings.channel,
                    message_id: Some(&message_id),
                    content_type: "application/octet-stream",
                    body: &body,
                },
                now,
            )
            .await?;
            if let Received::New { receipt_id } = &received {
                // Processing failures leave the receipt `stored` for `intake::resume`; the
                // bytes are safe, so the file may go.
                if let Err(error) = intake::process(db, processor, receipt_id, now).await {
                    tracing::warn!(partner = %self.partner, receipt_id, error = %error, "Processing a picked-up file failed; it will be resumed.");
                }
            }
            self.move_to_processed(db, &path, received.receipt_id(), &name, &body)
                .await?;
            match received {
                Received::New { receipt_id } => {
                    tracing::info!(partner = %self.partner, receipt_id, bytes = body.len(), "File picked up.");
                    report.received.push(name);
                }
                Received::Duplicate { receipt_id } => {
                    tracing::info!(partner = %self.partner, receipt_id, "A file already received was dropped again; not applied twice.");
                    report.duplicates.push(name);
                }
            }
        }
        Ok(report)
    }

    async fn move_to_processed(
        &self,
        db: &Db,
        path: &Path,
        receipt_id: &str,
        name: &str,
        body: &[u8],
    ) -> Result<(), PickupError> {
        let target_dir = self.processed_dir();
        let dir = target_dir.clone();
        tokio::task::spawn_blocking(move || crate::privacy::files::create_private_dir_all(&dir))
            .await
            .map_err(|e| self.io(std::io::Error::other(e)))?
            .map_err(|e| self.io(e))?;
        let target = target_dir.join(format!("{receipt_id}-{name}"));
        let keys = db.sealer().keys().ok_or_else(|| StoreError::Sealed {
            place: format!("processed:{receipt_id}"),
            source: crate::privacy::SealError::NoKeys,
        })?;
        // A sealed copy, made durable, then the clear original removed.
        let sealed = super::spool::sealed_file_bytes(keys, receipt_id, body);
        let temporary = target_dir.join(format!(".{receipt_id}-{name}.part"));
        let written = temporary.clone();
        tokio::task::spawn_blocking(move || -> std::io::Result<()> {
            use std::io::Write;
            let mut file = crate::privacy::files::private_options()
                .write(true)
                .create(true)
                .truncate(true)
                .open(&written)?;
            file.write_all(&sealed)?;
            file.sync_all()
        })
        .await
        .map_err(|e| self.io(std::io::Error::other(e)))?
        .map_err(|e| self.io(e))?;
        tokio::fs::rename(&temporary, &target)
            .await
            .map_err(|e| self.io(e))?;
        tokio::fs::remove_file(path).await.map_err(|e| self.io(e))?;
        let dirs = [self.settings.directory.clone(), target_dir];
        tokio::task::spawn_blocking(move || -> std::io::Result<()> {
            for dir in dirs {
                std::fs::File::open(dir)?.sync_all()?;
            }
            Ok(())
        })
        .await
        .map_err(|e| self.io(std::io::Error::other(e)))?
        .map_err(|e| self.io(e))
    }

    /// Scans every `interval_secs` until `shutdown`, with the processor of its channel.
    pub async fn run(
        self,
        db: Db,
        processors: std::sync::Arc<crate::intake::Processors>,
        shutdown: CancellationToken,
    ) {
        let interval = Duration::from_secs(self.settings.interval_secs.max(1));
        loop {
            match self
                .scan(&db, processors.for_channel(&self.settings.channel))
                .await
            {
                Ok(report) if report.received.is_empty() && report.duplicates.is_empty() => {}
                Ok(report) => {
                    tracing::debug!(partner = %self.partner, received = report.received.len(), duplicates = report.duplicates.len(), "Pick-up scan done.")
                }
                Err(error) => {
                    tracing::warn!(partner = %self.partner, error = %error, "Pick-up scan failed; retrying at the next interval.")
                }
            }
            tokio::select! {
                _ = shutdown.cancelled() => return,
                _ = tokio::time::sleep(interval) => {}
            }
        }
    }
}
