//! The look-up key and the keyed hash of SSNs.

use std::path::Path;

use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::Sha256;

use crate::privacy::files::{self, InsecurePermissions, KeyPermissionPolicy};

/// The secret key of the keyed hash. Every gateway instance sharing a database must use
/// the same key, or their digests will not meet.
#[derive(Clone)]
pub struct LookupKey([u8; 32]);

impl std::fmt::Debug for LookupKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("LookupKey(..)")
    }
}

/// The key could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum LookupKeyError {
    /// The key file could not be read or created.
    #[error("look-up key file {path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The cause.
        source: std::io::Error,
    },
    /// The key is not 64 hexadecimal digits.
    #[error("the look-up key must be 64 hexadecimal digits (32 bytes)")]
    Malformed,
    /// The key file is open to other users (and `privacy.insecure_key_permissions` is not
    /// `warn`).
    #[error(transparent)]
    InsecurePermissions(#[from] InsecurePermissions),
}

impl LookupKey {
    /// A key from 64 hexadecimal digits.
    pub fn from_hex(text: &str) -> Result<LookupKey, LookupKeyError> {
        let bytes = hex::decode(text.trim()).map_err(|_| LookupKeyError::Malformed)?;
        let key: [u8; 32] = bytes.try_into().map_err(|_| LookupKeyError::Malformed)?;
        Ok(LookupKey(key))
    }

    /// Reads the key from `path`, which must be owner-only ([`files::check_private`]);
    /// when the file does not exist, creates it with a new random key, readable by its
    /// owner only (the embedded default's first start).
    pub fn load_or_create(path: &Path) -> Result<LookupKey, LookupKeyError> {
        Self::load_or_create_with(path, KeyPermissionPolicy::Refuse)
    }

    /// [`LookupKey::load_or_create`], with `policy` for a key file open to other users.
    pub fn load_or_create_with(
        path: &Path,
        policy: KeyPermissionPolicy,
    ) -> Result<LookupKey, LookupKeyError> {
        let io = |source| LookupKeyError::Io {
            path: path.display().to_string(),
            source,
        };
        files::enforce(path, policy)?;
        match std::fs::read_to_string(path) {
            Ok(text) => LookupKey::from_hex(&text),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                let mut key = [0u8; 32];
                rand::rng().fill_bytes(&mut key);
                if files::create_key_file(path, hex::encode(key).as_bytes()).map_err(io)? {
                    Ok(LookupKey(key))
                } else {
                    // Another instance created it first: use theirs.
                    LookupKey::from_hex(&std::fs::read_to_string(path).map_err(io)?)
                }
            }
            Err(error) => Err(io(error)),
        }
    }

    /// The keyed hash of an SSN, as 64 hexadecimal digits.
    pub fn ssn_hash(&self, ssn: &ivd_model::Ssn) -> String {
        self.taxpayer_id_hash(ssn.expose())
    }

    /// The keyed hash of a taxpayer id given as its 9 digits (an SSN, or an ITIN where a
    /// state accepts them); equal to [`ssn_hash`](Self::ssn_hash) for the same digits.
    pub fn taxpayer_id_hash(&self, digits: &str) -> String {
        let mut mac =
            <Hmac<Sha256> as Mac>::new_from_slice(&self.0).expect("HMAC takes any key length");
        mac.update(b"ssn:");
        mac.update(digits.as_bytes());
        hex::encode(mac.finalize().into_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instances_starting_together_share_one_key() {
        let ssn: ivd_model::Ssn = "123-45-6789".parse().unwrap();
        for _ in 0..20 {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("keys/lookup.key");
            let hashes: Vec<String> = std::thread::scope(|scope| {
                let workers: Vec<_> = (0..8)
                    .map(|_| scope.spawn(|| LookupKey::load_or_create(&path)))
                    .collect();
                workers
                    .into_iter()
                    .map(|w| {
                        w.join()
                            .unwrap()
                            .expect("every instance loads the key")
                            .ssn_hash(&ssn)
                    })
                    .collect()
            });
            assert!(hashes.iter().all(|h| *h == hashes[0]));
            let files = std::fs::read_dir(path.parent().unwrap()).unwrap().count();
            assert_eq!(files, 1, "one key file, no temporary left behind");
        }
    }

    #[test]
    fn equal_ssns_meet_and_different_keys_do_not() {
        let ssn: ivd_model::Ssn = "123-45-6789".parse().unwrap();
        let a = LookupKey::from_hex(&"11".repeat(32)).unwrap();
        let b = LookupKey::from_hex(&"22".repeat(32)).unwrap();
        assert_eq!(a.ssn_hash(&ssn), a.ssn_hash(&"123456789".parse().unwrap()));
        assert_ne!(a.ssn_hash(&ssn), b.ssn_hash(&ssn));
        assert!(!a.ssn_hash(&ssn).contains("6789"));
        assert_eq!(format!("{a:?}"), "LookupKey(..)");
    }

    #[test]
    fn a_missing_key_file_is_created_once_and_then_reused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("keys/lookup.key");
        let ssn: ivd_model::Ssn = "123-45-6789".parse().unwrap();
        let first = LookupKey::load_or_create(&path).unwrap();
        let again = LookupKey::load_or_create(&path).unwrap();
        assert_eq!(first.ssn_hash(&ssn), again.ssn_hash(&ssn));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
            let mode = std::fs::metadata(path.parent().unwrap())
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o700, "the directory made for it too");
        }
    }

    #[test]
    fn a_key_file_readable_by_others_is_refused_unless_told_to_warn() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("lookup.key");
        let created = LookupKey::load_or_create(&path).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        match LookupKey::load_or_create(&path) {
            Err(LookupKeyError::InsecurePermissions(open)) => {
                assert_eq!(open.mode, 0o644);
                assert!(open.to_string().contains("lookup.key"), "{open}");
            }
            other => panic!("a key file readable by others was used: {other:?}"),
        }
        let ssn: ivd_model::Ssn = "123-45-6789".parse().unwrap();
        let warned = LookupKey::load_or_create_with(&path, KeyPermissionPolicy::Warn).unwrap();
        assert_eq!(warned.ssn_hash(&ssn), created.ssn_hash(&ssn));
    }

    #[test]
    fn a_malformed_key_is_refused() {
        assert!(matches!(
            LookupKey::from_hex("abc"),
            Err(LookupKeyError::Malformed)
        ));
    }
}
