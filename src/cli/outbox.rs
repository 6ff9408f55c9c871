//! `ivd-gateway outbox …`: list, show, redeliver and replay messages.

use anyhow::Context;
use clap::Subcommand;

use crate::app;
use crate::config::Settings;
use crate::outbox::MessageState;
use crate::outbox::operator as actions;
use crate::outbox::store::{self as outbox_store, ListFilter, MessageSummary};
use crate::store::now_ms;

use super::cli_actor;

/// Outbox commands.
#[derive(Debug, Subcommand)]
pub enum OutboxCommand {
    /// List messages, oldest first.
    List {
        /// Only this partner.
        #[arg(long)]
        partner: Option<String>,
        /// Only this state: pending, running, retry, delivered or dead.
        #[arg(long)]
        state: Option<String>,
        /// At most this many.
        #[arg(long, default_value_t = 100)]
        limit: i64,
        /// JSON output.
        #[arg(long)]
        json: bool,
    },
    /// Show one message with its whole attempt history.
    Show {
        /// Message id.
        id: i64,
    },
    /// List dead letters.
    Dead {
        /// Only this partner.
        #[arg(long)]
        partner: Option<String>,
        /// JSON output.
        #[arg(long)]
        json: bool,
    },
    /// Send a dead (or delivered) message again with the same bytes. Audited.
    Redeliver {
        /// Message id.
        id: i64,
        /// Why (required; goes to the audit log).
        #[arg(long)]
        reason: String,
    },
    /// Rebuild a dead (or delivered) message from its cause as a new message. Audited.
    Replay {
        /// Message id.
        id: i64,
        /// Why (required; goes to the audit log).
        #[arg(long)]
        reason: String,
    },
}

/// `value` with every `…At` field in epoch milliseconds (the API's form) written as an
/// RFC 3339 time instead, for a person reading the command's output.
fn readable_times(value: serde_json::Value) -> serde_json::Value {
    use serde_json::Value;
    match value {
        Value::Object(fields) => Value::Object(
            fields
                .into_iter()
                .map(|(key, field)| {
                    let time = key
                        .ends_with("At")
                        .then(|| field.as_i64())
                        .flatten()
                        .and_then(crate::store::rfc3339_of_ms);
                    let field = match time {
                        Some(text) => Value::String(text),
                        None => readable_times(field),
                    };
                    (key, field)
                })
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.into_iter().map(readable_times).collect()),
        other => other,
    }
}

fn print_summaries(messages: &[MessageSummary], json: bool) -> anyhow::Result<()> {
    if json {
        for message in messages {
            let message = readable_times(serde_json::to_value(message)?);
            println!("{}", serde_json::to_string(&message)?);
        }
        return Ok(());
    }
    println!(
        "{:>8}  {:<16} {:<20} {:<10} {:>7}  LAST ERROR",
        "ID", "PARTNER", "ORDERING KEY", "STATE", "ATTEMPT"
    );
    for m in messages {
        println!(
            "{:>8}  {:<16} {:<20} {:<10} {:>3}/{:<3}  {}",
            m.id,
            m.partner,
            m.ordering_key,
            m.state,
            m.attempt,
            m.max_attempts,
            m.last_error.as_deref().unwrap_or("")
        );
    }
    println!("{} message(s).", messages.len());
    Ok(())
}

pub(super) async fn outbox(settings: Settings, command: OutboxCommand) -> anyhow::Result<i32> {
    let db = app::open_database(&settings).await?;
    let attempts_for = |partner: &str| settings.max_attempts_for(partner);
    let code = match command {
        OutboxCommand::List {
            partner,
            state,
            limit,
            json,
        } => {
            let state = match state {
                Some(name) => Some(
                    MessageState::parse(&name)
                        .context("state must be pending, running, retry, delivered or dead")?,
                ),
                None => None,
            };
            let messages = outbox_store::list(
                &db,
                &ListFilter {
                    partner,
                    state,
                    after_id: None,
                    limit: Some(limit),
                },
            )
            .await?;
            print_summaries(&messages, json)?;
            0
        }
        OutboxCommand::Dead { partner, json } => {
            let messages = outbox_store::list(
                &db,
                &ListFilter {
                    partner,
                    state: Some(MessageState::Dead),
                    after_id: None,
                    limit: Some(10_000),
                },
            )
            .await?;
            print_summaries(&messages, json)?;
            0
        }
        OutboxCommand::Show { id } => match outbox_store::show(&db, id).await? {
            Some(detail) => {
                let detail = readable_times(serde_json::to_value(&detail)?);
                println!("{}", serde_json::to_string_pretty(&detail)?);
                0
            }
            None => {
                eprintln!("No message {id}.");
                1
            }
        },
        OutboxCommand::Redeliver { id, reason } => {
            actions::redeliver(&db, id, &reason, &cli_actor(), &attempts_for, now_ms()).await?;
            println!("Message {id} is pending again; a running gateway will deliver it.");
            0
        }
        OutboxCommand::Replay { id, reason } => {
            let replayed = actions::replay(
                &db,
                &crate::channels::renderers(&settings),
                id,
                &reason,
                &cli_actor(),
                &attempts_for,
                now_ms(),
            )
            .await?;
            println!(
                "Message {id} rebuilt from its cause as message {}.",
                replayed.replacement
            );
            0
        }
    };
    db.close().await;
    Ok(code)
}

#[cfg(test)]
mod tests {
    use super::readable_times;
    use serde_json::json;

    #[test]
    fn times_read_as_rfc3339_and_other_numbers_stay() {
        let shown = readable_times(json!({
            "id": 7,
            "runAt": 1_765_152_000_000i64,
            "finalizedAt": null,
            "attempts": [{ "attempt": 1, "startedAt": 1_765_152_000_500i64 }]
        }));
        assert_eq!(shown["id"], 7);
        assert_eq!(shown["runAt"], "2025-12-08T00:00:00Z");
        assert_eq!(shown["finalizedAt"], serde_json::Value::Null);
        assert_eq!(shown["attempts"][0]["attempt"], 1);
        assert_eq!(shown["attempts"][0]["startedAt"], "2025-12-08T00:00:00.5Z");
    }
}
