//! Delivery by writing a file into a partner's pick-up directory.
//!
//! The partner (or the SFTP/Connect:Direct job that forwards to it) must never see half a
//! file, and a file it may already have picked up must never change under it. So:
//!
//! 1. the payload is written to `dir/.<file_name>.tmp-<random>` (hidden, created with
//!    `O_EXCL`, mode 0600 unless [`FileDropTransport::with_mode`] says otherwise), then
//!    `fsync`ed;
//! 2. it is published under `dir/<file_name>` with `link(2)`, which fails instead of
//!    replacing an existing file (plain `rename(2)` would silently overwrite). On file
//!    systems without hard links it falls back to `rename(2)` after checking that the name
//!    is free;
//! 3. the temporary name is removed and the directory is `fsync`ed, so the new name survives
//!    a power cut.
//!
//! The file name is the idempotency key of a file drop. If `dir/<file_name>` already holds
//! exactly these bytes, an earlier attempt got through before a crash: delivered. If it
//! holds other bytes: rejected, never overwritten. Any I/O error (missing or read-only
//! directory, full disk) is a retry with the error kind in the reason, and the temporary
//! file is removed. Names with `/`, `\`, `..`, a leading `.` or control characters are
//! rejected: they could escape the directory or hide from the partner; so are names longer
//! than 200 bytes (the temporary name must fit in a directory entry).

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use super::{Delivery, DeliveryOutcome, Transport};

/// Writes each message as one file in a pick-up directory. See the module documentation.
#[derive(Debug, Clone)]
pub struct FileDropTransport {
    dir: PathBuf,
    mode: u32,
}

impl FileDropTransport {
    /// Drops files into `dir` (which must exist; it is not created, a missing directory is
    /// a retry so that an unmounted share is noticed rather than papered over).
    pub fn new(dir: PathBuf) -> Self {
        Self { dir, mode: 0o600 }
    }

    /// Permission bits of the files written (default 0600: payloads hold personal data;
    /// widen only for a pick-up job that runs as another user in the file's group).
    pub fn with_mode(mut self, mode: u32) -> Self {
        self.mode = mode;
        self
    }
}

#[async_trait::async_trait]
impl Transport for FileDropTransport {
    async fn deliver(&self, delivery: &Delivery<'_>) -> DeliveryOutcome {
        if let Err(reason) = check_file_name(delivery.file_name) {
            return DeliveryOutcome::Rejected {
                status: None,
                reason,
            };
        }
        let dir = self.dir.clone();
        let mode = self.mode;
        let file_name = delivery.file_name.to_owned();
        let payload = delivery.payload.to_vec();
        match tokio::task::spawn_blocking(move || drop_file(&dir, &file_name, &payload, mode)).await
        {
            Ok(outcome) => outcome,
            Err(error) => DeliveryOutcome::Retry {
                status: None,
                reason: format!("the file writer task did not finish: {error}"),
                retry_after: None,
            },
        }
    }

    fn describe(&self) -> String {
        format!("file drop {}", self.dir.display())
    }
}

/// Longest file name accepted: the temporary name adds 23 bytes and must stay within the
/// usual 255-byte limit of a directory entry.
const MAX_NAME_BYTES: usize = 200;

fn check_file_name(name: &str) -> Result<(), String> {
    let problem = if name.is_empty() {
        "is empty"
    } else if name.len() > MAX_NAME_BYTES {
        "is longer than 200 bytes"
    } else if name.contains('/') || name.contains('\\') {
        "contains a path separator"
    } else if name.contains("..") {
        "contains '..'"
    } else if name.starts_with('.') {
        "starts with '.'"
    } else if name.chars().any(char::is_control) {
        "contains control characters"
    } else {
        return Ok(());
    };
    Err(format!("the file name {problem}; refusing to write it"))
}

fn retry(step: &str, error: &io::Error) -> DeliveryOutcome {
    DeliveryOutcome::Retry {
        status: None,
        // io::Error from std::fs carries the OS error, never the path or the data.
        reason: format!("{step} failed ({:?}: {error})", error.kind()),
        retry_after: None,
    }
}

/// What an existing `target` means for this payload; `None` when there is no such file.
fn existing(target: &Path, payload: &[u8]) -> Option<DeliveryOutcome> {
    let metadata = match fs::symlink_metadata(target) {
        Ok(metadata) => metadata,
        Err(error) if error.kind() == io::ErrorKind::NotFound => return None,
        Err(error) => return Some(retry("checking for an existing file", &error)),
    };
    let different = DeliveryOutcome::Rejected {
        status: None,
        reason: "a different file of that name is already in the drop directory; it is never overwritten".to_owned(),
    };
    if !metadata.file_type().is_file() {
        return Some(DeliveryOutcome::Rejected {
            status: None,
            reason: "something other than a regular file has that name in the drop directory"
                .to_owned(),
        });
    }
    if metadata.len() != payload.len() as u64 {
        return Some(different);
    }
    Some(match fs::read(target) {
        Ok(bytes) if bytes == payload => DeliveryOutcome::Delivered {
            status: None,
            detail: format!(
                "already present with identical content ({} bytes): an earlier attempt got through",
                payload.len()
            ),
        },
        Ok(_) => different,
        Err(error) => retry("reading the existing file", &error),
    })
}

fn drop_file(dir: &Path, file_name: &str, payload: &[u8], mode: u32) -> DeliveryOutcome {
    let target = dir.join(file_name);
    if let Some(outcome) = existing(&target, payload) {
        return outcome;
    }

    let temporary = dir.join(format!(".{file_name}.tmp-{:016x}", rand::random::<u64>()));
    let file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(mode)
        .open(&temporary);
    let mut file = match file {
        Ok(file) => file,
        Err(error) => return retry("creating the temporary file", &error),
    };
    let written = file.write_all(payload).and_then(|()| file.sync_all());
    drop(file);
    if let Err(error) = written {
        remove_temporary(&temporary);
        return retry("writing the temporary file", &error);
    }

    let published = publish(&temporary, &target);
    remove_temporary(&temporary);
    match published {
        Ok(()) => {}
        // Someone else published that name between our check and now.
        Err(error) if error.kind() == io::ErrorKind::AlreadyExists => {
            return existing(&target, payload)
                .unwrap_or_else(|| retry("publishing the file", &error));
        }
        Err(error) => return retry("publishing the file", &error),
    }

    // The file is in place; if making the directory entry durable fails, the next attempt
    // finds identical bytes and reports delivered.
    if let Err(error) = File::open(dir).and_then(|directory| directory.sync_all()) {
        return retry("syncing the drop directory", &error);
    }
    DeliveryOutcome::Delivered {
        status: None,
        detail: format!("wrote {file_name} ({} bytes)", payload.len()),
    }
}

/// Gives `temporary` the name `target` without ever replacing an existing `target`.
fn publish(temporary: &Path, target: &Path) -> io::Result<()> {
    match fs::hard_link(temporary, target) {
        Ok(()) => Ok(()),
        // File systems without hard links (some network shares, FAT): rename, after
        // checking the name is free. The window between the two is the best we can do there.
        Err(error)
            if matches!(
                error.kind(),
                io::ErrorKind::Unsupported | io::ErrorKind::PermissionDenied
            ) =>
        {
            match fs::symlink_metadata(target) {
                Ok(_) => Err(io::Error::from(io::ErrorKind::AlreadyExists)),
                Err(missing) if missing.kind() == io::ErrorKind::NotFound => {
                    fs::rename(temporary, target)
                }
                Err(other) => Err(other),
            }
        }
        Err(error) => Err(error),
    }
}

fn remove_temporary(temporary: &Path) {
    match fs::remove_file(temporary) {
        Ok(()) => {}
        // Already renamed into place by the fallback, or never created.
        Err(error) if error.kind() == io::ErrorKind::NotFound => {}
        Err(error) => tracing::warn!(
            error = %error,
            "Removing a temporary file in the drop directory failed; it is hidden (dot file) and can be deleted."
        ),
    }
}
