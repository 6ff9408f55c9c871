//! Encryption at rest: values sealed with AES-256-GCM under a named data key.
//!
//! A sealed value is text, `ivd1.<key id>.<nonce>.<ciphertext>` (nonce and ciphertext in
//! unpadded URL-safe base64), so it fits a TEXT column on both backends and says which key
//! opens it: keys can be rotated without a flag day, each value re-sealed under the new key
//! while the old one still opens what has not been re-sealed yet.
//!
//! Every value is sealed with *associated data* naming where it lives (for example
//! `offset:27:123456789:A`): a sealed value copied into another row does not open there.
//!
//! Keys are 32 random bytes, written as 64 hexadecimal digits, one file per key
//! (`<dir>/<id>.key`, owner-only), or given in the environment
//! (`IVD_PRIVACY__DATA_KEYS="k0002=<hex>,k0001=<hex>"`, see [`DataKeys::load_with`]). The
//! newest key (the greatest id) seals; every key opens.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore;

use crate::privacy::files::{self, KeyPermissionPolicy};

const PREFIX: &str = "ivd1";

/// A sealed value could not be opened, or keys could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum SealError {
    /// The text is not a sealed value.
    #[error("not a sealed value")]
    Malformed,
    /// No key with the value's key id is loaded.
    #[error("no data key {0} is loaded (its file <data_key_dir>/{0}.key is missing)")]
    UnknownKey(String),
    /// No data keys are attached to the database handle that was asked to seal or open.
    #[error("no data keys are attached (privacy.data_key_dir)")]
    NoKeys,
    /// The value was altered, or sealed for another place.
    #[error(
        "the sealed value does not authenticate (altered, moved from another record, or another key file under the same id)"
    )]
    Forged,
    /// A key file could not be read or written.
    #[error("data key file {path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The cause.
        source: std::io::Error,
    },
    /// A key is not 64 hexadecimal digits, or its id is not a plain name.
    #[error("data key {0} is not 64 hexadecimal digits with a plain [A-Za-z0-9_-] id")]
    BadKey(String),
    /// The key directory or a key file is open to other users (and
    /// `privacy.insecure_key_permissions` is not `warn`).
    #[error(transparent)]
    InsecurePermissions(#[from] crate::privacy::files::InsecurePermissions),
}

/// The loaded data keys.
#[derive(Clone)]
pub struct DataKeys {
    keys: BTreeMap<String, Aes256Gcm>,
    current: String,
}

impl std::fmt::Debug for DataKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DataKeys")
            .field("ids", &self.keys.keys().collect::<Vec<_>>())
            .field("current", &self.current)
            .finish()
    }
}

fn valid_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 32
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

fn cipher(id: &str, hex_text: &str) -> Result<Aes256Gcm, SealError> {
    let bytes = hex::decode(hex_text.trim()).map_err(|_| SealError::BadKey(id.to_string()))?;
    if bytes.len() != 32 || !valid_id(id) {
        return Err(SealError::BadKey(id.to_string()));
    }
    Aes256Gcm::new_from_slice(&bytes).map_err(|_| SealError::BadKey(id.to_string()))
}

impl DataKeys {
    /// Keys given as `(id, 64 hex digits)`; the greatest id seals.
    pub fn from_hex<'a>(
        keys: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Result<DataKeys, SealError> {
        let mut loaded = BTreeMap::new();
        for (id, hex_text) in keys {
            loaded.insert(id.to_string(), cipher(id, hex_text)?);
        }
        let current = loaded
            .keys()
            .next_back()
            .cloned()
            .ok_or_else(|| SealError::BadKey("(none)".into()))?;
        Ok(DataKeys {
            keys: loaded,
            current,
        })
    }

    /// Every `<id>.key` file of `dir`; when there is none, a first key `k0001` is created
    /// (the embedded default's first start). The directory and every key file must be
    /// owner-only ([`files::check_private`]).
    pub fn load_or_create(dir: &Path) -> Result<DataKeys, SealError> {
        Self::load_or_create_with(dir, KeyPermissionPolicy::Refuse)
    }

    /// [`DataKeys::load_or_create`], with `policy` for a directory or key file open to
    /// other users.
    pub fn load_or_create_with(
        dir: &Path,
        policy: KeyPermissionPolicy,
    ) -> Result<DataKeys, SealError> {
        let io = |path: &Path, source| SealError::Io {
            path: path.display().to_string(),
            source,
        };
        files::create_private_dir_all(dir).map_err(|e| io(dir, e))?;
        if Self::read_dir(dir, policy)?.is_empty() {
            Self::create_key(dir, "k0001")?;
        }
        let files = Self::read_dir(dir, policy)?;
        DataKeys::from_hex(files.iter().map(|(id, text)| (id.as_str(), text.as_str())))
    }

    /// The keys of `dir` together with keys given as text (`id=hex,id=hex`, usually the
    /// environment variable `IVD_PRIVACY__DATA_KEYS`). A first key `k0001` is created in
    /// `dir` only when neither has any. An id given both ways with different keys is
    /// refused. `policy` says what to do with a directory or key file open to others.
    pub fn load_with(
        dir: &Path,
        given: Option<&str>,
        policy: KeyPermissionPolicy,
    ) -> Result<DataKeys, SealError> {
        let mut all: BTreeMap<String, String> = BTreeMap::new();
        for pair in given.unwrap_or("").split(',').map(str::trim) {
            if pair.is_empty() {
                continue;
            }
            let (id, hex_text) = pair
                .split_once('=')
                .ok_or_else(|| SealError::BadKey("(given without an id=)".into()))?;
            all.insert(id.trim().to_string(), hex_text.trim().to_string());
        }
        if all.is_empty() {
            return DataKeys::load_or_create_with(dir, policy);
        }
        if dir.is_dir() {
            for (id, text) in Self::read_dir(dir, policy)? {
                match all.get(&id) {
                    Some(other) if !other.eq_ignore_ascii_case(text.trim()) => {
                        return Err(SealError::BadKey(id));
                    }
                    _ => {
                        all.insert(id, text.trim().to_string());
                    }
                }
            }
        }
        DataKeys::from_hex(all.iter().map(|(id, text)| (id.as_str(), text.as_str())))
    }

    /// The `<id>.key` files of `dir`, each checked owner-only (as is `dir`) before it is
    /// read.
    fn read_dir(
        dir: &Path,
        policy: KeyPermissionPolicy,
    ) -> Result<Vec<(String, String)>, SealError> {
        let io = |source| SealError::Io {
            path: dir.display().to_string(),
            source,
        };
        files::enforce(dir, policy)?;
        let mut found = Vec::new();
        for entry in std::fs::read_dir(dir).map_err(io)? {
            let path = entry.map_err(io)?.path();
            let (Some(stem), Some("key")) = (
                path.file_stem().and_then(|s| s.to_str()),
                path.extension().and_then(|s| s.to_str()),
            ) else {
                continue;
            };
            files::enforce(&path, policy)?;
            let text = std::fs::read_to_string(&path).map_err(|source| SealError::Io {
                path: path.display().to_string(),
                source,
            })?;
            found.push((stem.to_string(), text));
        }
        Ok(found)
    }

    /// Writes a new random key `<dir>/<id>.key` (owner-only); refuses to overwrite one.
    pub fn create_key(dir: &Path, id: &str) -> Result<(), SealError> {
        if !valid_id(id) {
            return Err(SealError::BadKey(id.to_string()));
        }
        let path = dir.join(format!("{id}.key"));
        let io = |source| SealError::Io {
            path: path.display().to_string(),
            source,
        };
        files::create_private_dir_all(dir).map_err(io)?;
        let mut key = [0u8; 32];
        rand::rng().fill_bytes(&mut key);
        // The key is written whole to a private temporary file, then linked into place: a
        // gateway starting at the same moment sees either no key file or a complete one,
        // never a half-written one.
        let mut nonce = [0u8; 8];
        rand::rng().fill_bytes(&mut nonce);
        let temporary = dir.join(format!(".{id}.{}.tmp", hex::encode(nonce)));
        let written = files::private_options()
            .write(true)
            .create_new(true)
            .open(&temporary)
            .and_then(|mut file| {
                file.write_all(hex::encode(key).as_bytes())?;
                file.sync_all()
            });
        let linked = written.and_then(|()| std::fs::hard_link(&temporary, &path));
        let _ = std::fs::remove_file(&temporary);
        match linked {
            Ok(()) => Ok(()),
            // Another instance created it at the same moment: theirs stands.
            Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
            Err(error) => Err(io(error)),
        }
    }

    /// The ids of every loaded key, in order (the last one seals).
    pub fn ids(&self) -> impl Iterator<Item = &str> {
        self.keys.keys().map(String::as_str)
    }

    /// The id of the key that seals.
    pub fn current(&self) -> &str {
        &self.current
    }

    /// Seals `plaintext` for the place `context` names.
    pub fn seal(&self, plaintext: &[u8], context: &str) -> String {
        let cipher = &self.keys[&self.current];
        let mut nonce = [0u8; 12];
        rand::rng().fill_bytes(&mut nonce);
        let ciphertext = cipher
            .encrypt(
                &Nonce::from(nonce),
                Payload {
                    msg: plaintext,
                    aad: context.as_bytes(),
                },
            )
            .expect("AES-GCM encryption of an in-memory buffer cannot fail");
        format!(
            "{PREFIX}.{}.{}.{}",
            self.current,
            URL_SAFE_NO_PAD.encode(nonce),
            URL_SAFE_NO_PAD.encode(ciphertext)
        )
    }

    /// Opens a sealed value for the place `context` names.
    pub fn open(&self, sealed: &str, context: &str) -> Result<Vec<u8>, SealError> {
        let mut parts = sealed.split('.');
        let (Some(PREFIX), Some(id), Some(nonce), Some(ciphertext), None) = (
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
        ) else {
            return Err(SealError::Malformed);
        };
        let cipher = self
            .keys
            .get(id)
            .ok_or_else(|| SealError::UnknownKey(id.to_string()))?;
        let nonce: [u8; 12] = URL_SAFE_NO_PAD
            .decode(nonce)
            .map_err(|_| SealError::Malformed)?
            .try_into()
            .map_err(|_| SealError::Malformed)?;
        let ciphertext = URL_SAFE_NO_PAD
            .decode(ciphertext)
            .map_err(|_| SealError::Malformed)?;
        cipher
            .decrypt(
                &Nonce::from(nonce),
                Payload {
                    msg: &ciphertext,
                    aad: context.as_bytes(),
                },
            )
            .map_err(|_| SealError::Forged)
    }

    /// Seals `plaintext` for `context` under the sealing key, as binary: the random
    /// nonce and the ciphertext with its tag (for files, where base64 would cost a third
    /// more; the key id is written once in the file's header).
    pub fn seal_binary(&self, plaintext: &[u8], context: &str) -> ([u8; 12], Vec<u8>) {
        let cipher = &self.keys[&self.current];
        let mut nonce = [0u8; 12];
        rand::rng().fill_bytes(&mut nonce);
        let ciphertext = cipher
            .encrypt(
                &Nonce::from(nonce),
                Payload {
                    msg: plaintext,
                    aad: context.as_bytes(),
                },
            )
            .expect("AES-GCM encryption of an in-memory buffer cannot fail");
        (nonce, ciphertext)
    }

    /// Opens what [`DataKeys::seal_binary`] sealed under `key_id`.
    pub fn open_binary(
        &self,
        key_id: &str,
        nonce: &[u8; 12],
        ciphertext: &[u8],
        context: &str,
    ) -> Result<Vec<u8>, SealError> {
        let cipher = self
            .keys
            .get(key_id)
            .ok_or_else(|| SealError::UnknownKey(key_id.to_string()))?;
        cipher
            .decrypt(
                &Nonce::from(*nonce),
                Payload {
                    msg: ciphertext,
                    aad: context.as_bytes(),
                },
            )
            .map_err(|_| SealError::Forged)
    }

    /// The key id a sealed value was sealed under.
    pub fn key_id(sealed: &str) -> Option<&str> {
        let mut parts = sealed.split('.');
        (parts.next() == Some(PREFIX))
            .then(|| parts.next())
            .flatten()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys() -> DataKeys {
        DataKeys::from_hex([("k0001", "11".repeat(32).as_str())]).unwrap()
    }

    #[test]
    fn a_sealed_value_opens_in_its_place_only() {
        let keys = keys();
        let sealed = keys.seal(b"123456789", "offset:27:A");
        assert!(!sealed.contains("123456789"));
        assert_eq!(keys.open(&sealed, "offset:27:A").unwrap(), b"123456789");
        assert!(matches!(
            keys.open(&sealed, "offset:27:N"),
            Err(SealError::Forged)
        ));
        assert_ne!(
            sealed,
            keys.seal(b"123456789", "offset:27:A"),
            "fresh nonce"
        );
    }

    #[test]
    fn an_altered_value_or_an_unknown_key_is_refused() {
        let keys = keys();
        let sealed = keys.seal(b"secret", "x");
        let mut altered = sealed.clone().into_bytes();
        let last = altered.len() - 2;
        altered[last] = if altered[last] == b'A' { b'B' } else { b'A' };
        let altered = String::from_utf8(altered).unwrap();
        assert!(keys.open(&altered, "x").is_err());
        let other = DataKeys::from_hex([("k0002", "22".repeat(32).as_str())]).unwrap();
        assert!(matches!(
            other.open(&sealed, "x"),
            Err(SealError::UnknownKey(_))
        ));
        assert!(matches!(
            keys.open("plain text", "x"),
            Err(SealError::Malformed)
        ));
    }

    #[test]
    fn after_rotation_the_new_key_seals_and_the_old_still_opens() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("keys");
        let first = DataKeys::load_or_create(&dir).unwrap();
        let old = first.seal(b"v", "c");
        DataKeys::create_key(&dir, "k0002").unwrap();
        let rotated = DataKeys::load_or_create(&dir).unwrap();
        assert_eq!(rotated.current(), "k0002");
        assert_eq!(rotated.open(&old, "c").unwrap(), b"v");
        assert_eq!(DataKeys::key_id(&rotated.seal(b"v", "c")), Some("k0002"));
        assert_eq!(DataKeys::key_id(&old), Some("k0001"));
    }
}

#[cfg(test)]
mod given_keys {
    use super::*;

    #[test]
    fn instances_starting_together_create_one_key_and_all_read_it_whole() {
        for _ in 0..20 {
            let root = tempfile::tempdir().unwrap();
            let dir = root.path().join("keys");
            let loaded: Vec<DataKeys> = std::thread::scope(|scope| {
                let workers: Vec<_> = (0..8)
                    .map(|_| scope.spawn(|| DataKeys::load_or_create(&dir)))
                    .collect();
                workers
                    .into_iter()
                    .map(|w| w.join().unwrap().expect("every instance loads the key"))
                    .collect()
            });
            let sealed = loaded[0].seal(b"synthetic", "test:1");
            for keys in &loaded {
                assert_eq!(keys.current(), "k0001");
                assert_eq!(keys.open(&sealed, "test:1").unwrap(), b"synthetic");
            }
            let files = std::fs::read_dir(&dir).unwrap().count();
            assert_eq!(files, 1, "one key file, no temporary left behind");
        }
    }

    #[test]
    fn keys_given_in_the_environment_join_the_key_files() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("keys");
        let given = format!("k0002={}", "22".repeat(32));
        let refuse = KeyPermissionPolicy::Refuse;
        let keys = DataKeys::load_with(&dir, Some(&given), refuse).unwrap();
        assert_eq!(
            keys.ids().collect::<Vec<_>>(),
            ["k0002"],
            "no file key created"
        );
        DataKeys::create_key(&dir, "k0001").unwrap();
        let keys = DataKeys::load_with(&dir, Some(&given), refuse).unwrap();
        assert_eq!(keys.ids().collect::<Vec<_>>(), ["k0001", "k0002"]);
        assert_eq!(keys.current(), "k0002");
        files::private_options()
            .write(true)
            .create_new(true)
            .open(dir.join("k0002.key"))
            .and_then(|mut f| f.write_all("33".repeat(32).as_bytes()))
            .unwrap();
        assert!(matches!(
            DataKeys::load_with(&dir, Some(&given), refuse),
            Err(SealError::BadKey(id)) if id == "k0002"
        ));
        assert!(DataKeys::load_with(&dir, Some("no-equals-sign"), refuse).is_err());
    }

    #[test]
    fn a_key_file_or_directory_open_to_others_is_refused_unless_told_to_warn() {
        use std::os::unix::fs::PermissionsExt;
        let chmod = |path: &Path, mode: u32| {
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap()
        };
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("keys/data");
        let created = DataKeys::load_or_create(&dir).unwrap();
        for (path, expected) in [
            (root.path().join("keys"), 0o700),
            (dir.clone(), 0o700),
            (dir.join("k0001.key"), 0o600),
        ] {
            let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, expected, "{}", path.display());
        }
        let key = dir.join("k0001.key");
        chmod(&key, 0o644);
        match DataKeys::load_or_create(&dir) {
            Err(SealError::InsecurePermissions(open)) => {
                assert_eq!(open.path, key);
                assert_eq!(open.mode, 0o644);
            }
            other => panic!("a key file readable by others was used: {other:?}"),
        }
        let warned = DataKeys::load_or_create_with(&dir, KeyPermissionPolicy::Warn).unwrap();
        assert_eq!(warned.current(), created.current());
        chmod(&key, 0o600);
        chmod(&dir, 0o755);
        assert!(matches!(
            DataKeys::load_with(&dir, None, KeyPermissionPolicy::Refuse),
            Err(SealError::InsecurePermissions(open)) if open.directory
        ));
        chmod(&dir, 0o700);
        assert!(DataKeys::load_or_create(&dir).is_ok());
    }
}
