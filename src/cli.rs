//! The command line: `serve`, `migrate`, `outbox …`, `audit verify`, `token …`, `check …`.

use std::path::PathBuf;

use anyhow::Context;
use clap::{Parser, Subcommand};

use crate::app::{self, RunningGateway};
use crate::audit::{self, Verification};
use crate::config::Settings;
use crate::outbox::MessageState;
use crate::outbox::operator as actions;
use crate::outbox::store::{self as outbox_store, ListFilter, MessageSummary};
use crate::store::now_ms;
use crate::store::tokens::{self, Role};
use crate::telemetry;

/// ivd-gateway: the data-exchange gateway of a state child-support (Title IV-D) program.
#[derive(Debug, Parser)]
#[command(name = "ivd-gateway", version, about, long_about = None)]
pub struct Cli {
    /// Configuration file (TOML). Defaults to config/gateway.toml when it exists, else the
    /// built-in defaults. Any value can be overridden with IVD_SECTION__KEY variables.
    #[arg(long, global = true, env = "IVD_CONFIG")]
    pub config: Option<PathBuf>,

    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the gateway: API and partner listeners, outbox dispatcher, retention purge.
    /// Stops cleanly on SIGTERM or Ctrl-C (in-flight deliveries finish or are released).
    Serve,
    /// Apply database migrations and exit.
    Migrate,
    /// Inspect the outbox and act on its messages.
    #[command(subcommand)]
    Outbox(OutboxCommand),
    /// The audit log.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Reconciliation: run a job now and print its report, or list the jobs.
    ///
    /// `reconcile JOB [--dry-run]` runs JOB once, stores the run (trigger manual; a dry run
    /// is marked and changes nothing), and prints its report. `reconcile --list` shows every
    /// job with its schedule, next tick and last run. `reconcile --retry RUN` runs a failed
    /// or died run again. Runs are audited.
    ///
    /// Exit status: 0 the job ran and found nothing, 1 it ran and found discrepancies, 2 it
    /// could not run (unknown job, the job failed, the database failed).
    Reconcile {
        /// The job (`ack-deadlines`, `outbox-health`, …; see --list).
        #[arg(required_unless_present_any = ["list", "retry"], conflicts_with_all = ["list", "retry"])]
        job: Option<String>,
        /// List the jobs, their schedules and last runs.
        #[arg(long, conflicts_with = "retry")]
        list: bool,
        /// Retry this failed or died run.
        #[arg(long, value_name = "RUN")]
        retry: Option<i64>,
        /// Report only: enqueue nothing, change nothing.
        #[arg(long, conflicts_with = "list")]
        dry_run: bool,
        /// JSON output.
        #[arg(long)]
        json: bool,
    },
    /// Accounts and their tokens: issue, rotate, revoke (close), add a FEIN, list.
    #[command(subcommand)]
    Token(TokenCommand),
    /// The data keys that seal SSNs and federal tax information at rest.
    #[command(subcommand)]
    Keys(KeysCommand),
    /// Check a partner file record by record without sending or storing anything.
    ///
    /// Prints one verdict per record. With --json, one JSON object per line:
    /// {"record": N, "status": "valid"|"invalid", "errors": [{"field", "position", "code",
    /// "message"}]}, where N counts records from 1 and position is the 1-based byte
    /// position in the record where the offending field starts (absent for errors of the
    /// whole record). Exit status: 0 every record valid, 1 some record invalid, 2 the file
    /// cannot be read.
    Check {
        /// The format (see the list printed for an unknown one); `newhire` for employers'
        /// new-hire files.
        format: String,
        /// The file.
        file: PathBuf,
        /// One JSON object per record.
        #[arg(long)]
        json: bool,
        /// For `newhire`: w4, xx, csv or xml (default: recognised from the content).
        #[arg(long = "format", value_name = "VARIANT")]
        variant: Option<String>,
    },
    /// Write synthetic partner files for tests, demos and load runs.
    #[command(subcommand)]
    Generate(GenerateCommand),
    /// Convert a partner file to JSON lines, or JSON lines back to the partner format,
    /// without sending or storing anything.
    ///
    /// To JSON (the default): one JSON object per record, {"record": N, "transaction":
    /// {...}, "case": {...}} with the transaction in the adapter's JSON form and its
    /// canonical view; when the view cannot be built, "errors" replaces "case"; a record
    /// that does not parse gives {"record": N, "errors": [...]}, errors in the shape of
    /// `check --json` (field, position, code, message; never a field's value).
    ///
    /// With --from-json: FILE holds one transaction per line, bare or as printed by the
    /// first direction; each is written as one CSENet record per line, with the header kind
    /// its "tail" names (outbound 127 bytes, inbound 121) unless --outbound or --inbound is
    /// given. Lines that cannot be written are reported on stderr, numbered by line.
    ///
    /// Exit status: 0 every record converted, 1 some record failed to parse or to be
    /// written (the others are still printed), 2 the file cannot be read or the format is
    /// unknown. A canonical view that cannot be built is reported in its line's "errors"
    /// but does not fail the record. Output lines carry the file's personal data (names,
    /// SSNs): treat them as the file itself.
    ///
    /// For `newhire`: every valid record is written to stdout in the format --to names
    /// (w4, xx, csv or xml; default xml), invalid ones reported on stderr as `check --json`
    /// verdicts; the input format is recognised from the content or named with --format.
    Convert {
        /// The format: csenet, newhire, tribal (the document as JSON; --from-json back to
        /// XML), or a federal file (offset-submission,
        /// offset-rejects, offset-collections, offset-reconciliation, fidm-accounts,
        /// fidm-inquiry, fidm-matches: one JSON object per record).
        format: String,
        /// The file.
        file: PathBuf,
        /// For `newhire`: the input's format (w4, xx, csv, xml).
        #[arg(long = "format", value_name = "VARIANT")]
        variant: Option<String>,
        /// For `newhire`: the output format (w4, xx, csv, xml).
        #[arg(long, default_value = "xml")]
        to: String,
        /// Read JSON lines and write the partner format.
        #[arg(long)]
        from_json: bool,
        /// With --from-json: write every record with the outbound (127-byte) header.
        #[arg(long, requires = "from_json", conflicts_with = "inbound")]
        outbound: bool,
        /// With --from-json: write every record with the inbound (121-byte) header.
        #[arg(long, requires = "from_json")]
        inbound: bool,
    },
}

/// What `generate` writes.
#[derive(Debug, Subcommand)]
pub enum GenerateCommand {
    /// A synthetic new-hire file: random people (SSNs valid in form but random, never
    /// drawn from a real record), valid FEINs, real dates; deterministic for a seed.
    Newhire {
        /// How many records.
        #[arg(long)]
        records: u64,
        /// Seed of the random generator (the same seed gives the same file).
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// w4, xx, csv or xml.
        #[arg(long, default_value = "w4")]
        format: String,
        /// Share of records made invalid (0 to 1), each in a realistic way.
        #[arg(long, default_value_t = 0.0)]
        invalid_rate: f64,
        /// Every record for this employer FEIN (default: random employers).
        #[arg(long, value_parser = parse_fein)]
        fein: Option<ivd_model::Fein>,
        /// Write here instead of stdout.
        #[arg(long, short)]
        output: Option<PathBuf>,
    },
}

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

fn parse_fein(text: &str) -> Result<ivd_model::Fein, String> {
    ivd_model::Fein::parse(text).map_err(|e| format!("not a valid FEIN ({})", e.code()))
}

fn load_settings(path: Option<PathBuf>) -> anyhow::Result<Settings> {
    let path = path.or_else(|| {
        let default = PathBuf::from("config/gateway.toml");
        default.exists().then_some(default)
    });
    Ok(Settings::load(path.as_deref())?)
}

fn cli_actor() -> String {
    let user = std::env::var("USER")
        .or_else(|_| std::env::var("LOGNAME"))
        .unwrap_or_else(|_| "unknown".into());
    format!("cli:{user}")
}

/// Runs the command line; returns the process exit code.
pub async fn run(cli: Cli) -> anyhow::Result<i32> {
    if let Command::Check {
        format,
        file,
        json,
        variant,
    } = &cli.command
    {
        let options = crate::files::FileOptions {
            json: *json,
            variant: variant.clone(),
            ..Default::default()
        };
        return Ok(crate::files::check(format, file, &options));
    }
    if let Command::Generate(GenerateCommand::Newhire {
        records,
        seed,
        format,
        invalid_rate,
        fein,
        output,
    }) = &cli.command
    {
        return Ok(crate::channels::employers::files::generate(
            *records,
            *seed,
            format,
            *invalid_rate,
            fein.as_ref(),
            output.as_deref(),
        ));
    }
    if let Command::Convert {
        format,
        file,
        from_json,
        outbound,
        inbound,
        variant,
        to,
    } = &cli.command
    {
        let options = crate::files::FileOptions {
            variant: variant.clone(),
            to: Some(to.clone()),
            from_json: *from_json,
            outbound: *outbound,
            inbound: *inbound,
            ..Default::default()
        };
        return Ok(crate::files::convert(format, file, &options));
    }
    let settings = load_settings(cli.config)?;
    telemetry::init_logging(settings.log.format, &settings.log.filter);
    match cli.command {
        Command::Serve => {
            let signal = app::ShutdownSignal::listen();
            let gateway = RunningGateway::start(settings).await?;
            gateway.run_until(signal).await;
            Ok(0)
        }
        Command::Migrate => {
            let db = app::open_database(&settings).await?;
            println!("Migrations applied ({:?}).", db.backend());
            db.close().await;
            Ok(0)
        }
        Command::Outbox(command) => outbox(settings, command).await,
        Command::Reconcile {
            job,
            list,
            retry,
            dry_run,
            json,
        } => {
            use crate::reconcile::cli::Request;
            let request = match (job, retry) {
                (Some(job), _) => Request::Run { job, dry_run, json },
                (None, Some(run)) => Request::Retry { run, json },
                (None, None) if list => Request::List { json },
                (None, None) => anyhow::bail!("name a job, or use --list"),
            };
            let db = app::open_database(&settings).await?;
            let code =
                crate::reconcile::cli::run(settings, db.clone(), &cli_actor(), request).await;
            db.close().await;
            code
        }
        Command::Audit(command) => audit_command(settings, command).await,
        Command::Token(command) => token(settings, command).await,
        Command::Keys(command) => keys(settings, command).await,
        Command::Check { .. } | Command::Convert { .. } | Command::Generate(_) => {
            unreachable!("handled above")
        }
    }
}

fn print_summaries(messages: &[MessageSummary], json: bool) -> anyhow::Result<()> {
    if json {
        for message in messages {
            println!("{}", serde_json::to_string(message)?);
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

async fn outbox(settings: Settings, command: OutboxCommand) -> anyhow::Result<i32> {
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

async fn audit_command(settings: Settings, command: AuditCommand) -> anyhow::Result<i32> {
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

async fn keys(settings: Settings, command: KeysCommand) -> anyhow::Result<i32> {
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

async fn token(settings: Settings, command: TokenCommand) -> anyhow::Result<i32> {
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
