//! Delivery by appending a record to a data set file: the CSENet "outgoing transactions"
//! data set, which the CSENet server retrieves and then empties.
//!
//! Each message is one newline-terminated record. Appending is idempotent: a record that is
//! already in the file (an earlier attempt got through before a crash, and the server has
//! not yet emptied the file) is not written again. After the append the file is `fsync`ed,
//! so a delivered record survives a power cut. Appends to one file are serialised within
//! the process; several gateway instances must not share one data set file. A data set the
//! gateway creates is owner-only (0600): its records carry SSNs, and the CSENet server's
//! retrieval runs as the gateway's user or is given access deliberately.

use std::collections::HashMap;
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

use super::{Delivery, DeliveryOutcome, Transport};

/// Appends each message as one record of a data set file.
#[derive(Debug, Clone)]
pub struct DataSetTransport {
    file: PathBuf,
}

/// One lock per data set path, shared by every channel of the process that writes to it.
fn lock_for(path: &Path) -> Arc<Mutex<()>> {
    static LOCKS: OnceLock<Mutex<HashMap<PathBuf, Arc<Mutex<()>>>>> = OnceLock::new();
    let mut locks = LOCKS
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|p| p.into_inner());
    locks.entry(path.to_path_buf()).or_default().clone()
}

impl DataSetTransport {
    /// Appends to `file`, which is created owner-only when missing (its directory must
    /// exist).
    pub fn new(file: PathBuf) -> Self {
        DataSetTransport { file }
    }

    fn append(file: &Path, record: &[u8]) -> io::Result<bool> {
        let lock = lock_for(file);
        let _guard = lock.lock().unwrap_or_else(|p| p.into_inner());
        let mut data_set = crate::privacy::files::private_options()
            .read(true)
            .append(true)
            .create(true)
            .open(file)?;
        let mut existing = Vec::new();
        data_set.seek(SeekFrom::Start(0))?;
        data_set.read_to_end(&mut existing)?;
        if existing.split(|b| *b == b'\n').any(|line| line == record) {
            return Ok(false);
        }
        let mut bytes = Vec::with_capacity(record.len() + 2);
        if !existing.is_empty() && !existing.ends_with(b"\n") {
            // A torn last line from a crash mid-write must not swallow this record.
            bytes.push(b'\n');
        }
        bytes.extend_from_slice(record);
        bytes.push(b'\n');
        data_set.write_all(&bytes)?;
        data_set.sync_data()?;
        Ok(true)
    }
}

#[async_trait::async_trait]
impl Transport for DataSetTransport {
    async fn deliver(&self, delivery: &Delivery<'_>) -> DeliveryOutcome {
        let record: Vec<u8> = delivery
            .payload
            .strip_suffix(b"\n")
            .unwrap_or(delivery.payload)
            .to_vec();
        if record.is_empty() || record.contains(&b'\n') {
            return DeliveryOutcome::Rejected {
                status: None,
                reason: "a data set record must be one non-empty line".to_string(),
            };
        }
        let file = self.file.clone();
        match tokio::task::spawn_blocking(move || Self::append(&file, &record)).await {
            Ok(Ok(true)) => DeliveryOutcome::Delivered {
                status: None,
                detail: "appended to the data set".to_string(),
            },
            Ok(Ok(false)) => DeliveryOutcome::Delivered {
                status: None,
                detail: "already in the data set".to_string(),
            },
            Ok(Err(error)) => DeliveryOutcome::Retry {
                status: None,
                reason: format!("data set not written: {:?}", error.kind()),
                retry_after: None,
            },
            Err(_) => DeliveryOutcome::Retry {
                status: None,
                reason: "data set writer stopped".to_string(),
                retry_after: None,
            },
        }
    }

    fn describe(&self) -> String {
        format!("data set append {}", self.file.display())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn delivery(payload: &[u8]) -> Delivery<'_> {
        Delivery {
            message_id: 1,
            idempotency_key: "k",
            content_type: "text/plain",
            payload,
            file_name: "f",
        }
    }

    #[tokio::test]
    async fn records_are_appended_once_each_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("outgoing.dat");
        let transport = DataSetTransport::new(file.clone());
        for record in [&b"RECORD-1\n"[..], b"RECORD-2\n", b"RECORD-1\n"] {
            assert!(matches!(
                transport.deliver(&delivery(record)).await,
                DeliveryOutcome::Delivered { .. }
            ));
        }
        assert_eq!(
            std::fs::read(&file).unwrap(),
            b"RECORD-1\nRECORD-2\n",
            "the repeat was not appended"
        );
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&file).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "records carry SSNs: owner-only");
    }

    #[tokio::test]
    async fn a_torn_last_line_does_not_swallow_the_next_record() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("outgoing.dat");
        std::fs::write(&file, b"RECORD-1\nTORN").unwrap();
        let transport = DataSetTransport::new(file.clone());
        transport.deliver(&delivery(b"RECORD-2\n")).await;
        assert_eq!(std::fs::read(&file).unwrap(), b"RECORD-1\nTORN\nRECORD-2\n");
    }

    #[tokio::test]
    async fn a_missing_directory_is_retried_and_a_multi_line_payload_rejected() {
        let dir = tempfile::tempdir().unwrap();
        let transport = DataSetTransport::new(dir.path().join("absent").join("outgoing.dat"));
        assert!(matches!(
            transport.deliver(&delivery(b"RECORD\n")).await,
            DeliveryOutcome::Retry { .. }
        ));
        let transport = DataSetTransport::new(dir.path().join("outgoing.dat"));
        assert!(matches!(
            transport.deliver(&delivery(b"ONE\nTWO\n")).await,
            DeliveryOutcome::Rejected { .. }
        ));
    }
}
