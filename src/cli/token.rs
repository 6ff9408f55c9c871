//! `ivd-gateway token …`: accounts and their credentials.

use clap::Subcommand;

use crate::app;
use crate::audit;
use crate::config::Settings;
use crate::store::now_ms;
use crate::store::tokens::{self, Role};

use super::{cli_actor, parse_fein};

/// Token commands: accounts and their credentials.
#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Open an account and issue its first token; the token is printed once and stored
    /// only as a hash. Refused when the name was ever used (names are never reused, even
    /// after an account is closed) or a FEIN is held by another account.
    Issue {
        /// The account's name (a system or a person; not a secret; unique for all time).
        #[arg(long)]
        name: String,
        /// What it may do: state-system (pushes cases, reads the feed), operator (watches,
        /// redelivers, replays, runs jobs), admin (an operator who also approves employer
        /// accounts), fti-reader (reads federal tax information), employer (reports new
        /// hires and answers withholding orders for its FEINs).
        #[arg(long, value_enum)]
        role: Role,
        /// For an employer or payroll-agent account: a FEIN it acts for (repeat for each
        /// employer an agent acts for).
        #[arg(long = "fein", value_parser = parse_fein)]
        feins: Vec<ivd_model::Fein>,
    },
    /// Issue a new token for an open account and revoke its earlier ones (the account, its
    /// FEINs and its history stay); sessions opened with the old tokens end.
    Rotate {
        /// The account's name.
        #[arg(long)]
        name: String,
    },
    /// Close an account: every token revoked, every session ended, its FEINs released.
    /// Its name is never given out again.
    Revoke {
        /// The account's name.
        #[arg(long)]
        name: String,
    },
    /// Add a FEIN to an open employer account (a deliberate admin action: the reason goes
    /// to the audit trail). Refused when another account holds the FEIN.
    AddFein {
        /// The account's name.
        #[arg(long)]
        name: String,
        /// The FEIN to add.
        #[arg(long, value_parser = parse_fein)]
        fein: ivd_model::Fein,
        /// Why (required; audited).
        #[arg(long)]
        reason: String,
    },
    /// List every account: id, name, role, FEINs, live tokens, open or closed.
    List {
        /// One JSON object per account instead of text.
        #[arg(long)]
        json: bool,
    },
}

pub(super) async fn token(settings: Settings, command: TokenCommand) -> anyhow::Result<i32> {
    use crate::store::accounts::{self, AccountError};
    let db = app::open_database(&settings).await?;
    let actor = cli_actor();
    let refused = |error: AccountError| -> anyhow::Result<i32> {
        match error {
            AccountError::Refused(refusal) => {
                eprintln!("Refused: {refusal}.");
                Ok(1)
            }
            AccountError::Store(error) => Err(error.into()),
        }
    };
    let done = match command {
        TokenCommand::Issue { name, role, feins } => {
            let mut tx = db.begin().await?;
            let opened =
                tokens::open_with_token_in(&mut tx, &name, role, &feins, &actor, now_ms()).await;
            let (account, token) = match opened {
                Ok(opened) => opened,
                Err(error) => return refused(error),
            };
            audit::append(
                &mut tx,
                &audit::NewEntry {
                    actor: &actor,
                    action: "token.issue",
                    subject: &format!("account:{account}"),
                    reason: None,
                    details: serde_json::json!({
                        "name": name,
                        "role": role.as_str(),
                        "feins": feins.iter().map(|f| f.expose()).collect::<Vec<_>>(),
                    }),
                },
                now_ms(),
            )
            .await?;
            tx.commit().await?;
            println!("{token}");
            eprintln!(
                "Account {name} (id {account}, {}) opened with a token. It is shown once; store it now.",
                role.as_str()
            );
            0
        }
        TokenCommand::Rotate { name } => {
            let (account, token, revoked) = match tokens::rotate(&db, &name, now_ms()).await {
                Ok(rotated) => rotated,
                Err(error) => return refused(error),
            };
            let mut tx = db.begin().await?;
            audit::append(
                &mut tx,
                &audit::NewEntry {
                    actor: &actor,
                    action: "token.rotate",
                    subject: &format!("account:{account}"),
                    reason: None,
                    details: serde_json::json!({ "revoked": revoked }),
                },
                now_ms(),
            )
            .await?;
            tx.commit().await?;
            println!("{token}");
            eprintln!(
                "New token for {name} (id {account}); {revoked} earlier token(s) revoked. It is shown once; store it now."
            );
            0
        }
        TokenCommand::Revoke { name } => {
            match accounts::close(&db, &name, &actor, now_ms()).await {
                Ok((account, revoked)) => {
                    println!("{revoked} token(s) revoked.");
                    eprintln!(
                        "Account {name} (id {account}) closed; its name will not be given out again."
                    );
                    0
                }
                Err(error) => return refused(error),
            }
        }
        TokenCommand::AddFein { name, fein, reason } => {
            match accounts::add_fein(&db, &name, &fein, &actor, &reason, now_ms()).await {
                Ok(account) => {
                    eprintln!(
                        "FEIN added to {name} (id {account}); the reason is in the audit trail."
                    );
                    0
                }
                Err(error) => return refused(error),
            }
        }
        TokenCommand::List { json } => {
            for account in accounts::list(&db).await? {
                if json {
                    println!("{}", serde_json::to_string(&account)?);
                } else {
                    println!(
                        "{:>6}  {:<24} {:<12} {:<6} tokens {}  {}",
                        account.id,
                        account.name,
                        account.role,
                        if account.closed_at.is_some() {
                            "closed"
                        } else {
                            "open"
                        },
                        account.live_tokens,
                        account.feins.join(","),
                    );
                }
            }
            0
        }
    };
    db.close().await;
    Ok(done)
}
