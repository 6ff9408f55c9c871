//! Large uploads: the body is streamed to a spool file, fsynced, and only then recorded as
//! a receipt — the "raw bytes first" rule of [`intake`](super) for files too large to hold
//! in memory or in a database row (a 1,000,000-record new-hire file is 800 MB).
//!
//! # Invariants
//! - **Memory does not grow with the file.** The body is copied chunk by chunk; the
//!   SHA-256 is computed on the way.
//! - **Durable before acknowledged.** The spool file is written under a temporary name,
//!   fsynced, renamed and its directory fsynced before the receipt row commits; the row
//!   names the file (`spool_path`) and its hash.
//! - **The same file twice is one file.** The content's SHA-256 is the message id
//!   (`sha256:<hex>`) under the submitter: a second upload of the same bytes is linked to
//!   the first receipt and its spool copy removed.
//! - **Too large is refused, not truncated.** A body over the limit stops the copy; the
//!   partial file is removed and nothing is recorded.

use std::path::{Path, PathBuf};

use futures::{Stream, StreamExt};
use sha2::{Digest, Sha256};
use tokio::io::AsyncWriteExt;

use crate::intake::{Received, claim_message_id, new_receipt_id};
use crate::on_tx;
use crate::store::{Db, StoreError};

/// A spooled upload could not be taken in.
#[derive(Debug, thiserror::Error)]
pub enum SpoolError {
    /// The body is larger than allowed.
    #[error("the body is larger than {limit} bytes")]
    TooLarge {
        /// The limit.
        limit: u64,
    },
    /// The body is empty.
    #[error("the body is empty")]
    Empty,
    /// The client's stream broke off.
    #[error("the upload was interrupted: {0}")]
    Interrupted(String),
    /// The spool directory could not be written.
    #[error("spool directory {dir}: {source}")]
    Io {
        /// The directory.
        dir: String,
        /// The cause.
        source: std::io::Error,
    },
    /// The receipt could not be stored.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sqlx::Error> for SpoolError {
    fn from(error: sqlx::Error) -> Self {
        SpoolError::Store(error.into())
    }
}

/// Who sent an upload and through which channel.
#[derive(Clone, Debug)]
pub struct SpooledUpload<'a> {
    /// The submitter (partner id or token name).
    pub partner: &'a str,
    /// The channel (selects the processing).
    pub channel: &'a str,
    /// Declared MIME type.
    pub content_type: &'a str,
}

/// A stored upload.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Spooled {
    /// New or duplicate, with the receipt id.
    pub received: Received,
    /// Bytes received.
    pub size_bytes: u64,
    /// SHA-256 of the content, hex.
    pub sha256: String,
}

/// Streams `body` into `spool_dir`, then records the receipt (or recognises the same
/// content from the same submitter).
pub async fn receive_stream<S, E>(
    db: &Db,
    spool_dir: &Path,
    upload: &SpooledUpload<'_>,
    mut body: S,
    max_bytes: u64,
    now: i64,
) -> Result<Spooled, SpoolError>
where
    S: Stream<Item = Result<bytes::Bytes, E>> + Unpin,
    E: std::fmt::Display,
{
    let io = |source| SpoolError::Io {
        dir: spool_dir.display().to_string(),
        source,
    };
    tokio::fs::create_dir_all(spool_dir).await.map_err(io)?;
    let receipt_id = new_receipt_id(now);
    let temporary = spool_dir.join(format!(".{receipt_id}.part"));
    let final_path = spool_dir.join(format!("{receipt_id}.raw"));
    let mut file = tokio::fs::File::create(&temporary).await.map_err(io)?;
    let mut hasher = Sha256::new();
    let mut size: u64 = 0;
    let copied: Result<(), SpoolError> = async {
        while let Some(chunk) = body.next().await {
            let chunk = chunk.map_err(|e| SpoolError::Interrupted(e.to_string()))?;
            size += chunk.len() as u64;
            if size > max_bytes {
                return Err(SpoolError::TooLarge { limit: max_bytes });
            }
            hasher.update(&chunk);
            file.write_all(&chunk).await.map_err(io)?;
        }
        if size == 0 {
            return Err(SpoolError::Empty);
        }
        file.sync_all().await.map_err(io)?;
        Ok(())
    }
    .await;
    drop(file);
    if let Err(error) = copied {
        let _ = tokio::fs::remove_file(&temporary).await;
        return Err(error);
    }
    tokio::fs::rename(&temporary, &final_path)
        .await
        .map_err(io)?;
    sync_dir(spool_dir).await.map_err(io)?;
    let sha256 = hex::encode(hasher.finalize());
    let message_id = format!("sha256:{sha256}");

    let spool_path = final_path.to_string_lossy().to_string();
    let mut tx = db.begin().await?;
    on_tx!(&mut tx, c => {
        sqlx::query(
            "INSERT INTO inbound_receipts (receipt_id, partner, channel, message_id, content_type, \
             body, size_bytes, sha256, state, received_at, spool_path) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'stored', $9, $10)",
        )
        .bind(&receipt_id)
        .bind(upload.partner)
        .bind(upload.channel)
        .bind(&message_id)
        .bind(upload.content_type)
        .bind(Vec::<u8>::new())
        .bind(size as i64)
        .bind(&sha256)
        .bind(now)
        .bind(&spool_path)
        .execute(c)
        .await?
        .rows_affected()
    });
    // The receipt row first: the de-duplication row refers to it.
    if claim_message_id(&mut tx, upload.partner, &message_id, &receipt_id, now)
        .await?
        .is_some()
    {
        // Seen before: nothing of this upload is kept; the duplicate is counted on its own.
        drop(tx);
        let mut tx = db.begin().await?;
        let original = claim_message_id(&mut tx, upload.partner, &message_id, &receipt_id, now)
            .await?
            .unwrap_or_else(|| receipt_id.clone());
        tx.commit().await?;
        let _ = tokio::fs::remove_file(&final_path).await;
        return Ok(Spooled {
            received: Received::Duplicate {
                receipt_id: original,
            },
            size_bytes: size,
            sha256,
        });
    }
    tx.commit().await?;
    Ok(Spooled {
        received: Received::New { receipt_id },
        size_bytes: size,
        sha256,
    })
}

/// Where a spooled receipt's bytes are.
pub async fn spool_path(db: &Db, receipt_id: &str) -> Result<Option<PathBuf>, StoreError> {
    let row: Option<(Option<String>,)> = crate::on_read!(db, c => {
        sqlx::query_as("SELECT spool_path FROM inbound_receipts WHERE receipt_id = $1")
            .bind(receipt_id)
            .fetch_optional(c)
            .await?
    });
    Ok(row.and_then(|(p,)| p).map(PathBuf::from))
}

async fn sync_dir(dir: &Path) -> std::io::Result<()> {
    let dir = dir.to_path_buf();
    tokio::task::spawn_blocking(move || std::fs::File::open(&dir)?.sync_all())
        .await
        .map_err(std::io::Error::other)?
}
