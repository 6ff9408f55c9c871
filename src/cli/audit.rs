//! `ivd-gateway audit …`: verify the audit chain, list its entries, checkpoints.

use std::path::PathBuf;

use anyhow::Context;
use clap::Subcommand;

use crate::app;
use crate::audit::{self, Verification};
use crate::config::Settings;
use crate::store::now_ms;

/// Audit commands.
#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Check the audit chain: every link under the audit key, and every checkpoint against
    /// the chain's end. Says which tampering it found: an entry rewritten, the last entries
    /// deleted, the whole chain replaced, or a checkpoint file that does not verify.
    ///
    /// Needs the gateway's audit key (audit.key_file or IVD_AUDIT__KEY; never created
    /// here). Exit status: 0 intact, 1 tampering found, 2 could not check.
    Verify {
        /// Checkpoint files, or directories of them, to check the chain against instead of
        /// audit.checkpoint_dir (e.g. the copies shipped off the gateway's host). Repeatable.
        #[arg(long = "checkpoints", value_name = "PATH")]
        checkpoints: Vec<PathBuf>,
    },
    /// Write a signed checkpoint of the chain's head into audit.checkpoint_dir now (a
    /// running gateway writes them at start, at intervals and at shutdown); prints its
    /// path.
    Checkpoint,
}

pub(super) async fn audit_command(
    settings: Settings,
    command: AuditCommand,
) -> anyhow::Result<i32> {
    match command {
        AuditCommand::Verify { checkpoints } => {
            // Loaded before the database is opened (which would create a missing key): a
            // new key would call every entry forged.
            let key = settings
                .audit
                .existing_key(settings.privacy.insecure_key_permissions)
                .context("loading the audit key")?;
            let anchors = if checkpoints.is_empty() {
                audit::Checkpoints::read_configured(&settings.audit, &key)
            } else {
                audit::Checkpoints::read(&checkpoints, &key)
            }
            .context("reading the checkpoints")?;
            let db = app::open_database(&settings).await?;
            let verdict = audit::verify_against(&db, &anchors).await?;
            db.close().await;
            match verdict {
                Verification::Intact {
                    entries,
                    unkeyed,
                    checkpoints,
                    anchor,
                } => {
                    println!("Audit chain intact: {} verified.", entry_count(entries));
                    if unkeyed > 0 {
                        println!(
                            "Entries 1 to {unkeyed} have unkeyed links (written before links were keyed); {}",
                            if unkeyed < entries {
                                "the keyed entries after them cover them."
                            } else {
                                "no keyed entry covers them yet (a gateway of this version keys the chain when it starts)."
                            }
                        );
                    }
                    match anchor {
                        Some(anchor) => println!(
                            "Checked against {checkpoints} checkpoint(s); the newest records entry {} ({}).",
                            anchor.seq, anchor.file
                        ),
                        None => println!(
                            "No checkpoint found: a deleted tail or a chain replaced by unkeyed entries cannot be seen without one (audit.checkpoint_dir, or --checkpoints)."
                        ),
                    }
                    Ok(0)
                }
                Verification::Broken {
                    kind: audit::Tampering::BadCheckpoint,
                    problem,
                    verified,
                    ..
                } => {
                    println!(
                        "Audit checkpoint BROKEN: {problem}. The chain's {} verified.",
                        entry_count(verified)
                    );
                    Ok(1)
                }
                Verification::Broken {
                    seq,
                    problem,
                    verified,
                    ..
                } => {
                    println!(
                        "Audit chain BROKEN at entry {seq}: {problem}. {} before it verified.",
                        entry_count(verified)
                    );
                    Ok(1)
                }
            }
        }
        AuditCommand::Checkpoint => {
            let db = app::open_database(&settings).await?;
            let key = db
                .sealer()
                .audit_key()
                .cloned()
                .context("the database has no audit key attached")?;
            let head = audit::checkpoint::head(&db).await?;
            db.close().await;
            let checkpoint =
                audit::Checkpoint::new(&key, &settings.audit.instance_name(), now_ms(), &head);
            let path = audit::checkpoint::write(
                &settings.audit.checkpoint_dir,
                &checkpoint,
                settings.audit.checkpoints_kept,
            )?;
            println!("{}", path.display());
            eprintln!(
                "Checkpoint of entry {} written; ship it off this host to anchor the chain there.",
                head.seq
            );
            Ok(0)
        }
    }
}

fn entry_count(n: i64) -> String {
    if n == 1 {
        "1 entry".to_string()
    } else {
        format!("{n} entries")
    }
}
