//! The audit key: the secret the chain's links and the checkpoints are keyed with.
//!
//! One key of 32 random bytes, kept outside the database like the data keys and the look-up
//! key: a file (`audit.key_file`, 64 hexadecimal digits, owner-only, created on first start)
//! or the environment (`IVD_AUDIT__KEY`), which takes precedence. Every instance sharing a
//! database must use the same key, or their links will not verify for each other.
//!
//! Two working keys are derived from it, each HMAC-SHA256 of the key over a fixed label:
//! one for links, one for checkpoint signatures. A value computed for one purpose is never
//! valid for the other (a checkpoint's signature copied into a row's `hash` does not verify
//! as a link). A short public id (also derived) names the key in checkpoints and messages
//! without revealing it, so an operator can tell "signed with another key" from "altered".

use std::path::Path;

use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::Sha256;

use crate::privacy::files::{self, KeyPermissionPolicy};

type HmacSha256 = Hmac<Sha256>;

const LINK_LABEL: &[u8] = b"ivd-gateway audit link v1";
const CHECKPOINT_LABEL: &[u8] = b"ivd-gateway audit checkpoint v1";
const ID_LABEL: &[u8] = b"ivd-gateway audit key id v1";

/// The audit key, loaded. `Debug` shows only its public id.
#[derive(Clone)]
pub struct AuditKey {
    link: HmacSha256,
    checkpoint: HmacSha256,
    id: String,
}

impl std::fmt::Debug for AuditKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "AuditKey({})", self.id)
    }
}

/// The key could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum AuditKeyError {
    /// The key file could not be read or created.
    #[error("audit key file {path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The cause.
        source: std::io::Error,
    },
    /// The key file does not exist (and was not to be created).
    #[error(
        "audit key file {0} does not exist: give the key the gateway links the audit chain with (audit.key_file, or IVD_AUDIT__KEY)"
    )]
    Missing(String),
    /// The key is not 64 hexadecimal digits.
    #[error("the audit key must be 64 hexadecimal digits (32 bytes)")]
    Malformed,
    /// The key file, or its directory, is open to other users.
    #[error(transparent)]
    Insecure(#[from] crate::privacy::files::InsecurePermissions),
}

fn derive(root: &[u8; 32], label: &[u8]) -> [u8; 32] {
    let mut mac = HmacSha256::new_from_slice(root).expect("HMAC takes any key length");
    mac.update(label);
    mac.finalize().into_bytes().into()
}

impl AuditKey {
    /// A key from its 32 bytes.
    pub fn from_bytes(root: [u8; 32]) -> AuditKey {
        let keyed = |label| {
            HmacSha256::new_from_slice(&derive(&root, label)).expect("HMAC takes any key length")
        };
        AuditKey {
            link: keyed(LINK_LABEL),
            checkpoint: keyed(CHECKPOINT_LABEL),
            id: hex::encode(&derive(&root, ID_LABEL)[..6]),
        }
    }

    /// A key from 64 hexadecimal digits.
    pub fn from_hex(text: &str) -> Result<AuditKey, AuditKeyError> {
        let bytes = hex::decode(text.trim()).map_err(|_| AuditKeyError::Malformed)?;
        let root: [u8; 32] = bytes.try_into().map_err(|_| AuditKeyError::Malformed)?;
        Ok(AuditKey::from_bytes(root))
    }

    /// Reads the key from `path`, which must exist (what `audit verify` uses: a verifier
    /// that made itself a new key would call every entry forged).
    pub fn load(path: &Path) -> Result<AuditKey, AuditKeyError> {
        Self::load_with(path, KeyPermissionPolicy::Refuse)
    }

    /// [`AuditKey::load`], with `policy` for a key file open to other users: someone who
    /// can read the key can rewrite the chain unnoticed.
    pub fn load_with(path: &Path, policy: KeyPermissionPolicy) -> Result<AuditKey, AuditKeyError> {
        files::enforce(path, policy)?;
        match std::fs::read_to_string(path) {
            Ok(text) => AuditKey::from_hex(&text),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                Err(AuditKeyError::Missing(path.display().to_string()))
            }
            Err(source) => Err(AuditKeyError::Io {
                path: path.display().to_string(),
                source,
            }),
        }
    }

    /// Reads the key from `path`; when the file does not exist, creates it with a new random
    /// key, readable by its owner only (the first start). Instances starting at the same
    /// moment end up with one key: the file is written whole under a private temporary name
    /// and linked into place, and whoever links second reads the winner's key.
    pub fn load_or_create(path: &Path) -> Result<AuditKey, AuditKeyError> {
        Self::load_or_create_with(path, KeyPermissionPolicy::Refuse)
    }

    /// [`AuditKey::load_or_create`], with `policy` for a key file open to other users.
    pub fn load_or_create_with(
        path: &Path,
        policy: KeyPermissionPolicy,
    ) -> Result<AuditKey, AuditKeyError> {
        let io = |source| AuditKeyError::Io {
            path: path.display().to_string(),
            source,
        };
        match AuditKey::load_with(path, policy) {
            Err(AuditKeyError::Missing(_)) => {}
            other => return other,
        }
        let mut root = [0u8; 32];
        rand::rng().fill_bytes(&mut root);
        if files::create_key_file(path, hex::encode(root).as_bytes()).map_err(io)? {
            Ok(AuditKey::from_bytes(root))
        } else {
            // Another instance created it first: use theirs.
            AuditKey::load_with(path, policy)
        }
    }

    /// The key's public id (12 hexadecimal digits derived from it; reveals nothing of it).
    pub fn id(&self) -> &str {
        &self.id
    }

    /// HMAC-SHA256 under the link key of length-prefixed `parts`, as 64 hex digits.
    pub(crate) fn link<P: AsRef<[u8]>>(&self, parts: &[P]) -> String {
        hex::encode(mac_of(&self.link, parts).finalize().into_bytes())
    }

    /// Whether `hex_mac` is the link of `parts` (compared in constant time).
    pub(crate) fn link_matches<P: AsRef<[u8]>>(&self, parts: &[P], hex_mac: &str) -> bool {
        matches_hex(mac_of(&self.link, parts), hex_mac)
    }

    /// HMAC-SHA256 under the checkpoint key of length-prefixed `parts`, as 64 hex digits.
    pub(crate) fn sign<P: AsRef<[u8]>>(&self, parts: &[P]) -> String {
        hex::encode(mac_of(&self.checkpoint, parts).finalize().into_bytes())
    }

    /// Whether `hex_mac` is the checkpoint signature of `parts` (constant time).
    pub(crate) fn signature_matches<P: AsRef<[u8]>>(&self, parts: &[P], hex_mac: &str) -> bool {
        matches_hex(mac_of(&self.checkpoint, parts), hex_mac)
    }
}

/// Length-prefixes every part, so that moving bytes from one field to the next changes
/// the MAC.
fn mac_of<P: AsRef<[u8]>>(key: &HmacSha256, parts: &[P]) -> HmacSha256 {
    let mut mac = key.clone();
    for part in parts {
        let part = part.as_ref();
        mac.update(&(part.len() as u64).to_be_bytes());
        mac.update(part);
    }
    mac
}

fn matches_hex(mac: HmacSha256, hex_mac: &str) -> bool {
    match hex::decode(hex_mac) {
        Ok(bytes) => mac.verify_slice(&bytes).is_ok(),
        Err(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(byte: u8) -> AuditKey {
        AuditKey::from_bytes([byte; 32])
    }

    #[test]
    fn links_and_signatures_are_separate_keys() {
        let k = key(7);
        let parts: [&[u8]; 2] = [b"1", b"operator:ana"];
        let link = k.link(&parts);
        assert!(k.link_matches(&parts, &link));
        assert_ne!(link, k.sign(&parts), "a link is never a valid signature");
        assert!(!k.signature_matches(&parts, &link));
        assert!(
            !key(8).link_matches(&parts, &link),
            "another key, another link"
        );
        let moved: [&[u8]; 3] = [b"1", b"operator:an", b"a"];
        assert!(!k.link_matches(&moved, &link), "parts are framed");
        assert!(!k.link_matches(&parts, "not hex"));
    }

    #[test]
    fn the_id_names_the_key_without_revealing_it() {
        let k = AuditKey::from_hex(&"ab".repeat(32)).unwrap();
        assert_eq!(k.id().len(), 12);
        assert!(!"ab".repeat(32).contains(k.id()));
        assert_ne!(k.id(), key(1).id());
        assert_eq!(format!("{k:?}"), format!("AuditKey({})", k.id()));
        assert!(matches!(
            AuditKey::from_hex("abc"),
            Err(AuditKeyError::Malformed)
        ));
    }

    #[test]
    fn a_missing_key_file_is_created_once_owner_only_and_verify_never_creates_one() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("keys/audit.key");
        assert!(matches!(
            AuditKey::load(&path),
            Err(AuditKeyError::Missing(_))
        ));
        assert!(!path.exists(), "loading alone creates nothing");
        let first = AuditKey::load_or_create(&path).unwrap();
        let again = AuditKey::load_or_create(&path).unwrap();
        assert_eq!(first.id(), again.id());
        assert_eq!(AuditKey::load(&path).unwrap().id(), first.id());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[test]
    fn instances_starting_together_share_one_key() {
        for _ in 0..10 {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("audit.key");
            let ids: Vec<String> = std::thread::scope(|scope| {
                let workers: Vec<_> = (0..8)
                    .map(|_| scope.spawn(|| AuditKey::load_or_create(&path)))
                    .collect();
                workers
                    .into_iter()
                    .map(|w| w.join().unwrap().unwrap().id().to_string())
                    .collect()
            });
            assert!(ids.iter().all(|id| *id == ids[0]));
            assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
        }
    }
}
