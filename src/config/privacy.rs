//! The keys that protect personal data: the data keys sealing it at rest, the look-up key
//! that finds a person without using the SSN as a key.

use std::path::PathBuf;

use serde::Deserialize;

/// Keys that protect personal data.
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PrivacySettings {
    /// The key of the keyed SSN hash, as 64 hexadecimal digits (usually given as the
    /// environment variable `IVD_PRIVACY__LOOKUP_KEY`). Takes precedence over the file.
    pub lookup_key: Option<String>,
    /// A file holding the key; created with a random key on first start when missing.
    pub lookup_key_file: PathBuf,
    /// The data keys that seal federal tax information at rest, one `<id>.key` file each
    /// (64 hexadecimal digits); the greatest id seals, every one opens. A first key is
    /// created when the directory is empty.
    pub data_key_dir: PathBuf,
    /// Data keys given in the environment (`IVD_PRIVACY__DATA_KEYS`), `id=<64 hex>`
    /// separated by commas, in addition to the files of `data_key_dir` (for deployments
    /// that inject secrets as variables). When set, no first key file is created.
    pub data_keys: Option<String>,
    /// A key file (look-up key, data keys, TLS private keys) or the data key directory that
    /// other users can reach: `refuse` (the default) stops the start with the path, its
    /// mode and the `chmod` that fixes it; `warn` starts and logs a warning per path.
    pub insecure_key_permissions: crate::privacy::files::KeyPermissionPolicy,
}

impl Default for PrivacySettings {
    fn default() -> Self {
        PrivacySettings {
            lookup_key: None,
            lookup_key_file: PathBuf::from("data/keys/lookup.key"),
            data_key_dir: PathBuf::from("data/keys/data"),
            data_keys: None,
            insecure_key_permissions: Default::default(),
        }
    }
}

impl std::fmt::Debug for PrivacySettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PrivacySettings")
            .field("lookup_key", &self.lookup_key.as_ref().map(|_| "(set)"))
            .field("lookup_key_file", &self.lookup_key_file)
            .field("data_key_dir", &self.data_key_dir)
            .field("data_keys", &self.data_keys.as_ref().map(|_| "(set)"))
            .field("insecure_key_permissions", &self.insecure_key_permissions)
            .finish()
    }
}

impl PrivacySettings {
    /// The data keys: the files of `data_key_dir` and any given in `data_keys`.
    pub fn data_keys(&self) -> Result<crate::privacy::DataKeys, crate::privacy::SealError> {
        crate::privacy::DataKeys::load_with(
            &self.data_key_dir,
            self.data_keys.as_deref(),
            self.insecure_key_permissions,
        )
    }

    /// The look-up key: the configured one, else the key file's (created when missing).
    pub fn lookup_key(&self) -> Result<crate::privacy::LookupKey, crate::privacy::LookupKeyError> {
        match &self.lookup_key {
            Some(hex) => crate::privacy::LookupKey::from_hex(hex),
            None => crate::privacy::LookupKey::load_or_create_with(
                &self.lookup_key_file,
                self.insecure_key_permissions,
            ),
        }
    }
}
