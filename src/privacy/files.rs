//! Files on disk: what the gateway creates is its own, and the keys it reads must be too.
//!
//! **Created owner-only.** Every file the gateway creates (the SQLite database, whose
//! `-wal` and `-shm` files SQLite creates with the database file's mode; spool files;
//! the sealed copies in a pick-up directory's `processed/`; the CSENet outgoing data set;
//! file drops; key files; development certificates) is created with mode 0600, and every
//! directory it creates with 0700 ([`create_private_dir_all`], [`private_options`]). The
//! mode is given at `open(2)` / `mkdir(2)`, so there is no moment when the file is open
//! to others; the process umask can only narrow it further.
//!
//! **Keys refused when others can reach them.** A key file (the look-up key, each data key,
//! the partner listener's TLS key, a partner client key) or the data key directory that
//! its group or other users may read, write or enter is refused at start with
//! [`InsecurePermissions`], which names the path, its mode and the `chmod` that fixes it
//! ([`check_private`]). Deployments that must live with it for a while set
//! `privacy.insecure_key_permissions = "warn"`: the gateway then starts and logs a warning
//! per path at every start ([`enforce`]).
//!
//! Anything else that keeps key material (the audit key) applies [`enforce`] to its file
//! with the same policy.

use std::fs::{DirBuilder, OpenOptions};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// Mode of every file the gateway creates.
pub const PRIVATE_FILE_MODE: u32 = 0o600;
/// Mode of every directory the gateway creates.
pub const PRIVATE_DIR_MODE: u32 = 0o700;
/// The permission bits that give the group or other users any access.
const OTHERS: u32 = 0o077;

/// What to do with a key file or key directory its group or other users can reach
/// (`privacy.insecure_key_permissions`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum KeyPermissionPolicy {
    /// Refuse to start (the default).
    #[default]
    Refuse,
    /// Start, and log a warning naming the path and its mode.
    Warn,
}

/// A key file or key directory its group or other users can reach.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InsecurePermissions {
    /// The file or directory.
    pub path: PathBuf,
    /// Its permission bits.
    pub mode: u32,
    /// True for a directory.
    pub directory: bool,
}

impl std::fmt::Display for InsecurePermissions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (kind, fix) = if self.directory {
            ("key directory", PRIVATE_DIR_MODE)
        } else {
            ("key file", PRIVATE_FILE_MODE)
        };
        write!(
            f,
            "{kind} {path} is open to other users (mode {mode:04o}): make it owner-only \
             (chmod {fix:o} {path}), or set privacy.insecure_key_permissions = \"warn\" to start anyway",
            path = self.path.display(),
            mode = self.mode,
        )
    }
}

impl std::error::Error for InsecurePermissions {}

/// Checks that only the owner can reach `path` (no group or other permission bit set);
/// symbolic links are followed. A path that cannot be examined (missing, unreadable
/// directory above it) passes: the read that follows reports why it failed.
pub fn check_private(path: &Path) -> Result<(), InsecurePermissions> {
    let Ok(metadata) = std::fs::metadata(path) else {
        return Ok(());
    };
    let mode = metadata.permissions().mode() & 0o7777;
    if mode & OTHERS == 0 {
        return Ok(());
    }
    Err(InsecurePermissions {
        path: path.to_path_buf(),
        mode,
        directory: metadata.is_dir(),
    })
}

/// [`check_private`] under `policy`: with [`KeyPermissionPolicy::Warn`] an open path is
/// logged (every time, so it is not forgotten) and accepted.
pub fn enforce(path: &Path, policy: KeyPermissionPolicy) -> Result<(), InsecurePermissions> {
    match (check_private(path), policy) {
        (Ok(()), _) => Ok(()),
        (Err(open), KeyPermissionPolicy::Refuse) => Err(open),
        (Err(open), KeyPermissionPolicy::Warn) => {
            tracing::warn!(
                path = %open.path.display(),
                mode = format!("{:04o}", open.mode),
                "A key file or key directory is open to other users; used anyway because privacy.insecure_key_permissions = \"warn\". Make it owner-only."
            );
            Ok(())
        }
    }
}

/// Creates `dir` and any missing parent, each new one with mode 0700. Directories that
/// already exist keep their mode.
pub fn create_private_dir_all(dir: &Path) -> std::io::Result<()> {
    DirBuilder::new()
        .recursive(true)
        .mode(PRIVATE_DIR_MODE)
        .create(dir)
}

/// Open options that create a file with mode 0600 (set the access flags on the result).
pub fn private_options() -> OpenOptions {
    let mut options = OpenOptions::new();
    options.mode(PRIVATE_FILE_MODE);
    options
}

/// Creates the key file `path` holding `contents`, owner-only, unless it exists: written
/// whole to a private temporary file, then linked into place, so that an instance starting
/// at the same moment reads no file or a complete one. Returns `false` when another
/// instance created it first (read theirs).
pub fn create_key_file(path: &Path, contents: &[u8]) -> std::io::Result<bool> {
    use std::io::Write;
    if let Some(dir) = path.parent()
        && !dir.as_os_str().is_empty()
    {
        create_private_dir_all(dir)?;
    }
    let mut nonce = [0u8; 8];
    rand::RngCore::fill_bytes(&mut rand::rng(), &mut nonce);
    let temporary = path.with_extension(format!("{}.tmp", hex::encode(nonce)));
    let written = private_options()
        .write(true)
        .create_new(true)
        .open(&temporary)
        .and_then(|mut file| {
            file.write_all(contents)?;
            file.sync_all()
        });
    let linked = written.and_then(|()| std::fs::hard_link(&temporary, path));
    let _ = std::fs::remove_file(&temporary);
    match linked {
        Ok(()) => Ok(true),
        Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => Ok(false),
        Err(error) => Err(error),
    }
}

/// Takes group and other permissions away from `path`, a file the gateway owns that an
/// earlier version may have created open (the SQLite database). Returns the mode it had
/// when it changed anything; `None` when it was already private or does not exist.
pub fn make_private(path: &Path) -> std::io::Result<Option<u32>> {
    let metadata = match std::fs::metadata(path) {
        Ok(metadata) => metadata,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(error) => return Err(error),
    };
    let mode = metadata.permissions().mode() & 0o7777;
    if mode & OTHERS == 0 {
        return Ok(None);
    }
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode & !OTHERS))?;
    Ok(Some(mode))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chmod(path: &Path, mode: u32) {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
    }

    #[test]
    fn only_owner_only_paths_pass_and_the_refusal_names_the_fix() {
        let dir = tempfile::tempdir().unwrap();
        let key = dir.path().join("k0001.key");
        std::fs::write(&key, "00").unwrap();
        chmod(&key, 0o600);
        assert_eq!(check_private(&key), Ok(()));
        chmod(&key, 0o400);
        assert_eq!(check_private(&key), Ok(()));
        for open in [0o640, 0o604, 0o620, 0o602, 0o644] {
            chmod(&key, open);
            let refused = check_private(&key).unwrap_err();
            assert_eq!(refused.mode, open);
            assert!(!refused.directory);
            let text = refused.to_string();
            assert!(text.contains(&format!("{open:04o}")), "{text}");
            assert!(text.contains("chmod 600"), "{text}");
            assert!(text.contains("insecure_key_permissions"), "{text}");
        }
        let keys = dir.path().join("keys");
        std::fs::create_dir(&keys).unwrap();
        chmod(&keys, 0o755);
        let refused = check_private(&keys).unwrap_err();
        assert!(refused.directory);
        assert!(refused.to_string().contains("chmod 700"), "{refused}");
        chmod(&keys, 0o700);
        assert_eq!(check_private(&keys), Ok(()));
        assert_eq!(check_private(&dir.path().join("missing")), Ok(()));
    }

    #[test]
    fn warn_accepts_what_refuse_refuses() {
        let dir = tempfile::tempdir().unwrap();
        let key = dir.path().join("lookup.key");
        std::fs::write(&key, "00").unwrap();
        chmod(&key, 0o644);
        assert!(enforce(&key, KeyPermissionPolicy::Refuse).is_err());
        assert_eq!(enforce(&key, KeyPermissionPolicy::Warn), Ok(()));
    }

    #[test]
    fn what_is_created_is_owner_only_whatever_the_umask_allows() {
        let dir = tempfile::tempdir().unwrap();
        let nested = dir.path().join("a/b/c");
        create_private_dir_all(&nested).unwrap();
        for path in [dir.path().join("a"), dir.path().join("a/b"), nested.clone()] {
            let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o700, "{}", path.display());
        }
        let file = nested.join("f");
        private_options()
            .write(true)
            .create_new(true)
            .open(&file)
            .unwrap();
        let mode = std::fs::metadata(&file).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }

    #[test]
    fn an_open_file_is_made_private_once() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("gateway.db");
        std::fs::write(&db, "").unwrap();
        chmod(&db, 0o644);
        assert_eq!(make_private(&db).unwrap(), Some(0o644));
        let mode = std::fs::metadata(&db).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        assert_eq!(make_private(&db).unwrap(), None);
        assert_eq!(make_private(&dir.path().join("missing")).unwrap(), None);
    }
}
