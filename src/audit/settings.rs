//! The `[audit]` section: where the audit key is, where checkpoints go and how often.

use std::path::PathBuf;

use serde::Deserialize;

use super::key::{AuditKey, AuditKeyError};
use crate::privacy::files::KeyPermissionPolicy;

/// The audit chain's key and its checkpoints (the anchors kept outside the database).
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AuditSettings {
    /// The audit key as 64 hexadecimal digits (usually the environment variable
    /// `IVD_AUDIT__KEY`). Takes precedence over the file.
    pub key: Option<String>,
    /// A file holding the audit key; created with a random key on first start when missing
    /// (owner-only). Every instance sharing a database must use the same key.
    pub key_file: PathBuf,
    /// Where this instance writes its signed checkpoints (the chain's head, anchored outside
    /// the database), and where `audit verify` looks for them by default. Created owner-only.
    pub checkpoint_dir: PathBuf,
    /// A checkpoint is written this often while the chain grows (and at every start and
    /// stop), in seconds.
    pub checkpoint_interval_secs: u64,
    /// This instance keeps its newest this-many checkpoint files and deletes older ones
    /// (files of other instances are never touched).
    pub checkpoints_kept: usize,
    /// The name this instance signs its checkpoints with and puts in their file names;
    /// default: the host name. Give each instance sharing a checkpoint directory its own.
    pub instance: Option<String>,
}

impl Default for AuditSettings {
    fn default() -> Self {
        AuditSettings {
            key: None,
            key_file: PathBuf::from("data/keys/audit.key"),
            checkpoint_dir: PathBuf::from("data/audit/checkpoints"),
            checkpoint_interval_secs: 300,
            checkpoints_kept: 288,
            instance: None,
        }
    }
}

impl std::fmt::Debug for AuditSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuditSettings")
            .field("key", &self.key.as_ref().map(|_| "(set)"))
            .field("key_file", &self.key_file)
            .field("checkpoint_dir", &self.checkpoint_dir)
            .field("checkpoint_interval_secs", &self.checkpoint_interval_secs)
            .field("checkpoints_kept", &self.checkpoints_kept)
            .field("instance", &self.instance)
            .finish()
    }
}

impl AuditSettings {
    /// The audit key: the configured one, else the key file's (created when missing);
    /// a key file others can reach is handled by `policy`
    /// (`privacy.insecure_key_permissions`).
    pub fn key(&self, policy: KeyPermissionPolicy) -> Result<AuditKey, AuditKeyError> {
        match &self.key {
            Some(hex) => AuditKey::from_hex(hex),
            None => AuditKey::load_or_create_with(&self.key_file, policy),
        }
    }

    /// The audit key as [`key`](Self::key), but never created: a verifier with a new key
    /// would call every entry forged.
    pub fn existing_key(&self, policy: KeyPermissionPolicy) -> Result<AuditKey, AuditKeyError> {
        match &self.key {
            Some(hex) => AuditKey::from_hex(hex),
            None => AuditKey::load_with(&self.key_file, policy),
        }
    }

    /// This instance's name in checkpoints: the configured one, else the host name, with
    /// every character other than letters, digits, `-` and `_` replaced by `_` (it is part
    /// of file names).
    pub fn instance_name(&self) -> String {
        let name = self.instance.clone().unwrap_or_else(|| {
            std::fs::read_to_string("/proc/sys/kernel/hostname")
                .map(|h| h.trim().to_string())
                .ok()
                .filter(|h| !h.is_empty())
                .unwrap_or_else(|| "gateway".to_string())
        });
        name.chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                    c
                } else {
                    '_'
                }
            })
            .collect()
    }

    /// The rules a start checks.
    pub fn check(&self) -> Result<(), String> {
        if self.checkpoint_interval_secs == 0 || self.checkpoints_kept == 0 {
            return Err(
                "audit.checkpoint_interval_secs and audit.checkpoints_kept must be positive".into(),
            );
        }
        if self.instance.as_deref().is_some_and(str::is_empty) {
            return Err("audit.instance must not be empty".into());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instance_names_are_safe_in_file_names_and_the_key_is_never_printed() {
        let settings = AuditSettings {
            instance: Some("gw.east/1".into()),
            key: Some("ab".repeat(32)),
            ..AuditSettings::default()
        };
        assert_eq!(settings.instance_name(), "gw_east_1");
        assert!(!format!("{settings:?}").contains("abab"));
        assert!(settings.check().is_ok());
        let zero = AuditSettings {
            checkpoints_kept: 0,
            ..AuditSettings::default()
        };
        assert!(zero.check().is_err());
    }
}
