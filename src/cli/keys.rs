//! `ivd-gateway keys …`: data keys and their rotation.

use anyhow::Context;
use clap::Subcommand;

use crate::app;
use crate::audit;
use crate::config::Settings;
use crate::store::now_ms;

use super::cli_actor;

/// Data key commands.
#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Create a new data key and re-seal every sealed value of every table under it, in
    /// batches (resumable: run it again with the same id to finish an interrupted run).
    /// Old keys are kept; retire one by deleting its file once `keys list` shows nothing
    /// under it. Restart running gateways afterwards.
    Rotate {
        /// The new key's id (must sort after every existing id); default: the newest
        /// id's number plus one (k0001 -> k0002).
        #[arg(long)]
        new_key_id: Option<String>,
    },
    /// The data keys (which one seals) and how many stored values are under each.
    List {
        /// One JSON object instead of text.
        #[arg(long)]
        json: bool,
    },
}

pub(super) async fn keys(settings: Settings, command: KeysCommand) -> anyhow::Result<i32> {
    use crate::privacy::rotate;
    let dir = &settings.privacy.data_key_dir;
    match command {
        KeysCommand::Rotate { new_key_id } => {
            let given = settings.privacy.data_keys.as_deref();
            let policy = settings.privacy.insecure_key_permissions;
            let keys = rotate::prepare_key(dir, given, new_key_id.as_deref(), policy)
                .with_context(|| format!("preparing the new data key in {}", dir.display()))?;
            let new_id = keys.current().to_string();
            let db = app::open_database(&settings).await?.with_data_keys(keys);
            let counts = rotate::reseal_all(&db)
                .await
                .with_context(|| format!("re-sealing under {new_id} (run again to resume)"))?;
            let mut tx = db.begin().await?;
            audit::append(
                &mut tx,
                &audit::NewEntry {
                    actor: &cli_actor(),
                    action: "keys.rotate",
                    subject: &format!("data-key:{new_id}"),
                    reason: None,
                    details: serde_json::json!({ "newKey": new_id, "tables": counts }),
                },
                now_ms(),
            )
            .await?;
            tx.commit().await?;
            db.close().await;
            println!("Sealing key: {new_id}");
            for (column, count) in &counts {
                println!(
                    "{column}: {} re-sealed, {} already under {new_id}, {} changed meanwhile",
                    count.resealed, count.skipped, count.changed
                );
            }
            eprintln!(
                "Restart running gateways so they seal under {new_id}; old keys are kept (delete a key's file to retire it once `keys list` shows nothing under it)."
            );
            Ok(0)
        }
        KeysCommand::List { json } => {
            let db = app::open_database(&settings).await?;
            let census = rotate::census(&db).await?;
            let keys = db
                .sealer()
                .keys()
                .context("the database has no data keys attached")?;
            let ids: Vec<&str> = keys.ids().collect();
            if json {
                println!(
                    "{}",
                    serde_json::json!({ "keys": ids, "sealing": keys.current(), "values": census })
                );
            } else {
                for id in &ids {
                    let under: u64 = census.values().filter_map(|c| c.get(*id)).sum();
                    let sealing = if *id == keys.current() {
                        " (seals)"
                    } else {
                        ""
                    };
                    println!("{id}{sealing}: {under} values");
                }
                for (column, per_key) in &census {
                    let parts: Vec<String> = per_key
                        .iter()
                        .filter(|(_, n)| **n > 0)
                        .map(|(id, n)| format!("{id}={n}"))
                        .collect();
                    println!("  {column}: {}", parts.join(" "));
                }
            }
            db.close().await;
            Ok(0)
        }
    }
}
