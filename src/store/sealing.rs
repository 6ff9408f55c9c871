//! Values sealed at rest, at one choke point per table.
//!
//! Every column that can hold an SSN or federal tax information is sealed with the data
//! keys ([`DataKeys`], AES-256-GCM) by the store function that writes it and opened by the
//! store function that reads it; callers see clear values and never a key. The keys travel
//! with the [`Db`](super::Db) ([`Db::with_data_keys`](super::Db::with_data_keys)) and with
//! every transaction begun from it.
//!
//! | table . column              | associated data (the row's place)                   |
//! |-----------------------------|------------------------------------------------------|
//! | `cases.snapshot`            | `cases:<case_id>`                                    |
//! | `events.payload`            | `events:<id>` (the id is taken before the insert)   |
//! | `outbox_payloads.payload`   | `outbox_messages:<partner>:<idempotency_key>`        |
//! | `inbound_receipts.body`     | `inbound_receipts:<receipt_id>`                      |
//! | `new_hire_records.w4`       | `new_hire_records:<receipt_id>:<record_no>`          |
//! | `offset_*.sealed`           | see `channels::offset` (sealed there since 0007)     |
//! | `reconcile_runs.fti_report` | `reconcile_runs:<id>:fti` (since 0020)               |
//!
//! The associated data names a stable key of the row, known before the row is written, so
//! a sealed value copied into another row (or another table) does not open there: the
//! read fails with [`StoreError::Sealed`] instead of returning another person's data.
//!
//! A sealed value is the text `ivd1.<key id>.<nonce>.<ciphertext>` in TEXT columns; BLOB /
//! BYTEA columns hold the binary form `ivd1b.<key id>.` + 12-byte nonce + ciphertext (no
//! base64: they hold the large values). A stored value that does not start with `ivd1.` was
//! written in clear before sealing existed: it is read as it is and
//! sealed by the next `ivd-gateway keys rotate`. No partner format starts with `ivd1.`
//! (CSENet and NDNH records start with digits, XML with `<`, JSON with `{`).
//!
//! Writing a sealed column through a [`Db`](super::Db) without data keys fails closed
//! ([`SealError::NoKeys`]) rather than storing the value in clear.

use std::sync::Arc;

use crate::audit::AuditKey;
use crate::privacy::{DataKeys, SealError};
use crate::store::StoreError;

/// The start of every sealed text value (TEXT columns).
pub const SEALED_PREFIX: &[u8] = b"ivd1.";
/// The start of every sealed binary value (BLOB / BYTEA columns):
/// `ivd1b.<key id>.<12-byte nonce><ciphertext and tag>`, raw bytes (no base64: these columns
/// hold the large values, partner files and W4 records).
pub const SEALED_BINARY_PREFIX: &[u8] = b"ivd1b.";

/// The keys a [`Db`](super::Db) carries: the data keys it seals and opens with (none until
/// [`Db::with_data_keys`](super::Db::with_data_keys)), and the key that links the audit
/// chain (none until [`Db::with_audit_key`](super::Db::with_audit_key); see
/// [`crate::audit`]). Both live outside the database and travel with every transaction.
#[derive(Clone, Debug, Default)]
pub struct Sealer {
    data: Option<Arc<DataKeys>>,
    audit: Option<Arc<AuditKey>>,
}

/// True when `stored` is a sealed value (and not a value written in clear before sealing existed).
pub fn is_sealed(stored: &[u8]) -> bool {
    stored.starts_with(SEALED_PREFIX) || stored.starts_with(SEALED_BINARY_PREFIX)
}

/// The prefix of values sealed under `key_id`, in the text or the binary form.
pub fn key_prefix(key_id: &str, binary: bool) -> Vec<u8> {
    let start = if binary {
        SEALED_BINARY_PREFIX
    } else {
        SEALED_PREFIX
    };
    [start, key_id.as_bytes(), b"."].concat()
}

impl Sealer {
    /// A sealer with `keys`.
    pub fn new(keys: DataKeys) -> Sealer {
        Sealer::default().with_data_keys(keys)
    }

    /// This sealer with `keys` as its data keys (the audit key kept).
    pub fn with_data_keys(self, keys: DataKeys) -> Sealer {
        Sealer {
            data: Some(Arc::new(keys)),
            ..self
        }
    }

    /// This sealer with `key` linking the audit chain (the data keys kept).
    pub fn with_audit_key(self, key: AuditKey) -> Sealer {
        Sealer {
            audit: Some(Arc::new(key)),
            ..self
        }
    }

    /// The keys, when attached.
    pub fn keys(&self) -> Option<&DataKeys> {
        self.data.as_deref()
    }

    /// The audit key, when attached.
    pub fn audit_key(&self) -> Option<&AuditKey> {
        self.audit.as_deref()
    }

    fn require(&self, place: &str) -> Result<&DataKeys, StoreError> {
        self.keys().ok_or_else(|| StoreError::Sealed {
            place: place.to_string(),
            source: SealError::NoKeys,
        })
    }

    /// Seals `clear` for `place`, as text.
    pub fn seal(&self, clear: &[u8], place: &str) -> Result<String, StoreError> {
        Ok(self.require(place)?.seal(clear, place))
    }

    /// Seals `clear` for `place`, as the bytes of a BLOB / BYTEA column (the binary form).
    pub fn seal_bytes(&self, clear: &[u8], place: &str) -> Result<Vec<u8>, StoreError> {
        Ok(seal_binary(self.require(place)?, clear, place))
    }

    /// Opens a stored value of `place`; a value stored in clear (before sealing existed) is returned
    /// as it is.
    pub fn open_bytes(&self, stored: Vec<u8>, place: &str) -> Result<Vec<u8>, StoreError> {
        if stored.starts_with(SEALED_BINARY_PREFIX) {
            return open_binary(self.require(place)?, &stored, place).map_err(|source| {
                StoreError::Sealed {
                    place: place.to_string(),
                    source,
                }
            });
        }
        if !is_sealed(&stored) {
            return Ok(stored);
        }
        let text = std::str::from_utf8(&stored).map_err(|_| StoreError::Sealed {
            place: place.to_string(),
            source: SealError::Malformed,
        })?;
        self.require(place)?
            .open(text, place)
            .map_err(|source| StoreError::Sealed {
                place: place.to_string(),
                source,
            })
    }

    /// Opens a stored text value of `place` (see [`Sealer::open_bytes`]).
    pub fn open_text(&self, stored: String, place: &str) -> Result<String, StoreError> {
        if !is_sealed(stored.as_bytes()) {
            return Ok(stored);
        }
        let clear = self.open_bytes(stored.into_bytes(), place)?;
        String::from_utf8(clear).map_err(|_| StoreError::Sealed {
            place: place.to_string(),
            source: SealError::Malformed,
        })
    }
}

/// `clear` sealed under the sealing key in the binary form.
pub fn seal_binary(keys: &DataKeys, clear: &[u8], place: &str) -> Vec<u8> {
    let (nonce, ciphertext) = keys.seal_binary(clear, place);
    let mut out = key_prefix(keys.current(), true);
    out.reserve(nonce.len() + ciphertext.len());
    out.extend_from_slice(&nonce);
    out.extend_from_slice(&ciphertext);
    out
}

fn open_binary(keys: &DataKeys, stored: &[u8], place: &str) -> Result<Vec<u8>, SealError> {
    let rest = &stored[SEALED_BINARY_PREFIX.len()..];
    let dot = rest
        .iter()
        .take(33)
        .position(|b| *b == b'.')
        .ok_or(SealError::Malformed)?;
    let key_id = std::str::from_utf8(&rest[..dot]).map_err(|_| SealError::Malformed)?;
    let body = &rest[dot + 1..];
    if body.len() < 12 + 16 {
        return Err(SealError::Malformed);
    }
    let nonce: [u8; 12] = body[..12].try_into().map_err(|_| SealError::Malformed)?;
    keys.open_binary(key_id, &nonce, &body[12..], place)
}

/// The associated data of each sealed column: one function per table, used by the store
/// function that writes the column, the one that reads it, and `keys rotate`.
pub mod place {
    /// `cases.snapshot`.
    pub fn case(case_id: &str) -> String {
        format!("cases:{case_id}")
    }
    /// `events.payload`.
    pub fn event(id: i64) -> String {
        format!("events:{id}")
    }
    /// `outbox_payloads.payload`.
    pub fn outbox(partner: &str, idempotency_key: &str) -> String {
        format!("outbox_messages:{partner}:{idempotency_key}")
    }
    /// `inbound_receipts.body`.
    pub fn receipt(receipt_id: &str) -> String {
        format!("inbound_receipts:{receipt_id}")
    }
    /// `new_hire_records.w4`.
    pub fn new_hire(receipt_id: &str, record_no: i64) -> String {
        format!("new_hire_records:{receipt_id}:{record_no}")
    }
    /// `reconcile_runs.fti_report`: the discrepancies of a run that are federal tax
    /// information.
    pub fn reconcile_fti(run: i64) -> String {
        format!("reconcile_runs:{run}:fti")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_forms_open_in_their_place_only() {
        let sealer =
            Sealer::new(DataKeys::from_hex([("k0001", "44".repeat(32).as_str())]).unwrap());
        let binary = sealer.seal_bytes(b"123456789", "t:1").unwrap();
        assert!(binary.starts_with(b"ivd1b.k0001."));
        assert_eq!(binary.len(), b"ivd1b.k0001.".len() + 12 + 9 + 16);
        assert_eq!(
            sealer.open_bytes(binary.clone(), "t:1").unwrap(),
            b"123456789"
        );
        assert!(matches!(
            sealer.open_bytes(binary, "t:2"),
            Err(StoreError::Sealed {
                source: SealError::Forged,
                ..
            })
        ));
        let text = sealer.seal(b"123456789", "t:1").unwrap();
        assert_eq!(
            sealer.open_bytes(text.into_bytes(), "t:1").unwrap(),
            b"123456789"
        );
        assert_eq!(
            sealer.open_bytes(b"clear".to_vec(), "t:1").unwrap(),
            b"clear"
        );
        assert!(
            sealer
                .open_bytes(b"ivd1b.k0001.short".to_vec(), "t:1")
                .is_err()
        );
    }
}
