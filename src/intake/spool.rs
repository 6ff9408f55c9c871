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
//! - **Sealed on disk.** The spool file is written in frames of [`FRAME`] bytes, each sealed
//!   with AES-256-GCM (the data keys, see [`crate::store::sealing`]) with associated data
//!   `spool:<receipt_id>:<frame number>:<1 if last>`: frames cannot be reordered, moved to
//!   another upload or cut off at the end unnoticed. The file starts with
//!   `IVDSPOOL1 <key id>\n`; then each frame is a 4-byte big-endian ciphertext length, the
//!   12-byte nonce and the ciphertext with its tag. [`open`] reads it back as clear bytes;
//!   a spool file without that header (written before sealing existed) is read as it is.
//!   The SHA-256 and the size are of the clear bytes. Spool files are not re-sealed by
//!   `keys rotate` (they are deleted after `employers.retention_days`); keep the old key
//!   until then.
//! - **Owner-only.** The spool directory is created 0700 and each spool file 0600
//!   ([`crate::privacy::files`]).

use std::io::Read;
use std::path::{Path, PathBuf};

use futures::{Stream, StreamExt};
use sha2::{Digest, Sha256};
use tokio::io::AsyncWriteExt;

use crate::intake::{Received, claim_message_id, new_receipt_id};
use crate::on_tx;
use crate::privacy::{DataKeys, SealError};
use crate::store::{Db, StoreError};

/// Clear bytes per sealed frame of a spool file.
pub const FRAME: usize = 64 * 1024;
const MAGIC: &[u8] = b"IVDSPOOL1 ";

fn frame_context(receipt_id: &str, index: u64, last: bool) -> String {
    format!("spool:{receipt_id}:{index}:{}", u8::from(last))
}

/// Cuts a stream of clear bytes into sealed frames.
struct FrameSealer {
    keys: DataKeys,
    receipt_id: String,
    pending: Vec<u8>,
    index: u64,
}

impl FrameSealer {
    fn header(&self) -> Vec<u8> {
        let mut header = MAGIC.to_vec();
        header.extend_from_slice(self.keys.current().as_bytes());
        header.push(b'\n');
        header
    }

    fn frame(&mut self, clear: &[u8], last: bool, out: &mut Vec<u8>) {
        let context = frame_context(&self.receipt_id, self.index, last);
        let (nonce, ciphertext) = self.keys.seal_binary(clear, &context);
        out.extend_from_slice(&(ciphertext.len() as u32).to_be_bytes());
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&ciphertext);
        self.index += 1;
    }

    /// Takes `chunk`; returns the sealed frames now complete.
    fn push(&mut self, chunk: &[u8]) -> Vec<u8> {
        self.pending.extend_from_slice(chunk);
        let mut out = Vec::new();
        let mut start = 0;
        while self.pending.len() - start >= FRAME {
            let frame = self.pending[start..start + FRAME].to_vec();
            self.frame(&frame, false, &mut out);
            start += FRAME;
        }
        self.pending.drain(..start);
        out
    }

    /// The last frame (possibly empty): it marks the end, so a cut-off file is noticed.
    fn finish(mut self) -> Vec<u8> {
        let rest = std::mem::take(&mut self.pending);
        let mut out = Vec::new();
        self.frame(&rest, true, &mut out);
        out
    }
}

/// `clear` as the bytes of a sealed spool file of `receipt_id` (for copies kept on disk,
/// such as picked-up files moved to `processed/`); [`open`] reads it back.
pub fn sealed_file_bytes(keys: &DataKeys, receipt_id: &str, clear: &[u8]) -> Vec<u8> {
    let mut sealer = FrameSealer {
        keys: keys.clone(),
        receipt_id: receipt_id.to_string(),
        pending: Vec::new(),
        index: 0,
    };
    let mut bytes = sealer.header();
    bytes.extend(sealer.push(clear));
    bytes.extend(sealer.finish());
    bytes
}

/// Reads a sealed spool file as clear bytes.
struct SpoolReader {
    input: std::io::BufReader<std::fs::File>,
    keys: DataKeys,
    key_id: String,
    receipt_id: String,
    position: u64,
    length: u64,
    index: u64,
    clear: Vec<u8>,
    served: usize,
    ended: bool,
}

fn invalid(message: String) -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::InvalidData, message)
}

impl SpoolReader {
    fn next_frame(&mut self) -> std::io::Result<()> {
        if self.position >= self.length {
            return Err(invalid(format!(
                "spooled upload {} is cut off (no last frame)",
                self.receipt_id
            )));
        }
        let mut length = [0u8; 4];
        let mut nonce = [0u8; 12];
        self.input.read_exact(&mut length)?;
        self.input.read_exact(&mut nonce)?;
        let length = u32::from_be_bytes(length) as usize;
        if length > FRAME + 16 {
            return Err(invalid(format!(
                "spooled upload {}: frame {} is malformed",
                self.receipt_id, self.index
            )));
        }
        let mut ciphertext = vec![0u8; length];
        self.input.read_exact(&mut ciphertext)?;
        self.position += 16 + length as u64;
        let last = self.position >= self.length;
        let context = frame_context(&self.receipt_id, self.index, last);
        self.clear = self
            .keys
            .open_binary(&self.key_id, &nonce, &ciphertext, &context)
            .map_err(|error: SealError| {
                invalid(format!(
                    "spooled upload {} frame {}: {error}",
                    self.receipt_id, self.index
                ))
            })?;
        self.served = 0;
        self.index += 1;
        self.ended = last;
        Ok(())
    }
}

impl Read for SpoolReader {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        while self.served == self.clear.len() {
            if self.ended {
                return Ok(0);
            }
            self.next_frame()?;
        }
        let n = buf.len().min(self.clear.len() - self.served);
        buf[..n].copy_from_slice(&self.clear[self.served..self.served + n]);
        self.served += n;
        Ok(n)
    }
}

/// Opens the spool file of `receipt_id` for reading its clear bytes (blocking I/O: call
/// it from a blocking thread). A file written before sealing existed is read as it is.
pub fn open(
    path: &Path,
    keys: Option<&DataKeys>,
    receipt_id: &str,
) -> std::io::Result<Box<dyn Read + Send>> {
    let file = std::fs::File::open(path)?;
    let length = file.metadata()?.len();
    let mut input = std::io::BufReader::with_capacity(1 << 20, file);
    let mut magic = [0u8; MAGIC.len()];
    let mut got = 0;
    while got < magic.len() {
        match input.read(&mut magic[got..])? {
            0 => break,
            n => got += n,
        }
    }
    if &magic[..got] != MAGIC {
        // Clear, from before sealing: start again from the first byte.
        let mut file = input.into_inner();
        std::io::Seek::seek(&mut file, std::io::SeekFrom::Start(0))?;
        return Ok(Box::new(std::io::BufReader::with_capacity(1 << 20, file)));
    }
    let mut key_id = Vec::new();
    loop {
        let mut byte = [0u8; 1];
        input.read_exact(&mut byte)?;
        if byte[0] == b'\n' {
            break;
        }
        key_id.push(byte[0]);
        if key_id.len() > 32 {
            return Err(invalid(format!("spooled upload {receipt_id}: bad header")));
        }
    }
    let key_id = String::from_utf8(key_id)
        .map_err(|_| invalid(format!("spooled upload {receipt_id}: bad header")))?;
    let keys = keys.cloned().ok_or_else(|| {
        invalid(format!(
            "spooled upload {receipt_id}: {}",
            SealError::NoKeys
        ))
    })?;
    let position = (MAGIC.len() + key_id.len() + 1) as u64;
    Ok(Box::new(SpoolReader {
        input,
        keys,
        key_id,
        receipt_id: receipt_id.to_string(),
        position,
        length,
        index: 0,
        clear: Vec::new(),
        served: 0,
        ended: false,
    }))
}

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
    let dir = spool_dir.to_path_buf();
    tokio::task::spawn_blocking(move || crate::privacy::files::create_private_dir_all(&dir))
        .await
        .map_err(|e| io(std::io::Error::other(e)))?
        .map_err(io)?;
    let receipt_id = new_receipt_id(now);
    let temporary = spool_dir.join(format!(".{receipt_id}.part"));
    let final_path = spool_dir.join(format!("{receipt_id}.raw"));
    let keys = db
        .sealer()
        .keys()
        .cloned()
        .ok_or_else(|| StoreError::Sealed {
            place: format!("spool:{receipt_id}"),
            source: SealError::NoKeys,
        })?;
    let mut sealer = FrameSealer {
        keys,
        receipt_id: receipt_id.clone(),
        pending: Vec::with_capacity(2 * FRAME),
        index: 0,
    };
    let mut file = tokio::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(crate::privacy::files::PRIVATE_FILE_MODE)
        .open(&temporary)
        .await
        .map_err(io)?;
    let mut hasher = Sha256::new();
    let mut size: u64 = 0;
    let copied: Result<(), SpoolError> = async {
        file.write_all(&sealer.header()).await.map_err(io)?;
        while let Some(chunk) = body.next().await {
            let chunk = chunk.map_err(|e| SpoolError::Interrupted(e.to_string()))?;
            size += chunk.len() as u64;
            if size > max_bytes {
                return Err(SpoolError::TooLarge { limit: max_bytes });
            }
            hasher.update(&chunk);
            let frames = sealer.push(&chunk);
            if !frames.is_empty() {
                file.write_all(&frames).await.map_err(io)?;
            }
        }
        if size == 0 {
            return Err(SpoolError::Empty);
        }
        file.write_all(&sealer.finish()).await.map_err(io)?;
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

#[cfg(test)]
mod tests {
    use super::*;

    fn keys() -> DataKeys {
        DataKeys::from_hex([("k0001", "33".repeat(32).as_str())]).unwrap()
    }

    fn sealed_file(dir: &Path, clear: &[u8], receipt_id: &str) -> PathBuf {
        let mut sealer = FrameSealer {
            keys: keys(),
            receipt_id: receipt_id.into(),
            pending: Vec::new(),
            index: 0,
        };
        let mut bytes = sealer.header();
        for chunk in clear.chunks(10_000) {
            bytes.extend(sealer.push(chunk));
        }
        bytes.extend(sealer.finish());
        let path = dir.join(format!("{receipt_id}.raw"));
        std::fs::write(&path, bytes).unwrap();
        path
    }

    fn read_all(path: &Path, receipt_id: &str) -> std::io::Result<Vec<u8>> {
        let mut out = Vec::new();
        open(path, Some(&keys()), receipt_id)?.read_to_end(&mut out)?;
        Ok(out)
    }

    #[test]
    fn a_spool_file_is_sealed_and_reads_back_whole() {
        let dir = tempfile::tempdir().unwrap();
        for size in [0, 1, FRAME - 1, FRAME, FRAME + 1, 3 * FRAME + 17] {
            let clear: Vec<u8> = (0..size).map(|i| b"0123456789"[i % 10]).collect();
            let path = sealed_file(dir.path(), &clear, "r1");
            let raw = std::fs::read(&path).unwrap();
            assert!(size < 9 || !raw.windows(9).any(|w| w == b"123456789"));
            assert_eq!(read_all(&path, "r1").unwrap(), clear, "size {size}");
        }
    }

    #[test]
    fn a_cut_off_moved_or_clear_spool_file_is_told_apart() {
        let dir = tempfile::tempdir().unwrap();
        let clear = vec![b'7'; 2 * FRAME + 5];
        let path = sealed_file(dir.path(), &clear, "r1");
        // Moved to another upload: does not open.
        assert!(read_all(&path, "r2").is_err());
        // The last frame cut off: noticed, not a short file.
        let raw = std::fs::read(&path).unwrap();
        let frame = 16 + FRAME + 16;
        std::fs::write(&path, &raw[..raw.len() - (16 + 5 + 16)]).unwrap();
        assert!(read_all(&path, "r1").is_err());
        std::fs::write(&path, &raw[..raw.len() - (16 + 5 + 16) - frame]).unwrap();
        assert!(read_all(&path, "r1").is_err());
        // Written before sealing existed: read as it is.
        std::fs::write(&path, b"plain W4 bytes").unwrap();
        assert_eq!(read_all(&path, "r1").unwrap(), b"plain W4 bytes");
    }
}
