//! The command line: `serve`, `migrate`, `outbox …`, `audit verify`, `token …`, `check …`.
//!
//! One file per command family: [`outbox`], [`audit`], [`keys`], [`token`]; the file
//! commands (`check`, `convert`, `generate`) go to [`crate::files`], `reconcile` to
//! [`crate::reconcile::cli`].

mod audit;
mod keys;
mod outbox;
mod token;

use std::path::PathBuf;

use clap::{Parser, Subcommand};

use crate::app::{self, RunningGateway};
use crate::config::Settings;
use crate::telemetry;

pub use audit::AuditCommand;
pub use keys::KeysCommand;
pub use outbox::OutboxCommand;
pub use token::TokenCommand;

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
/// An error and its causes as one line, each said once: a cause whose text its parent
/// already carries (thiserror's `{0}` beside `#[source]`) is not repeated.
pub fn error_text(error: &anyhow::Error) -> String {
    let mut text = String::new();
    for cause in error.chain() {
        let part = cause.to_string();
        if text.contains(&part) {
            continue;
        }
        if !text.is_empty() {
            text.push_str(": ");
        }
        text.push_str(&part);
    }
    text
}

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
        let options = crate::files::GenerateOptions {
            records: *records,
            seed: *seed,
            variant: format.clone(),
            invalid_rate: *invalid_rate,
            fein: fein.clone(),
            output: output.clone(),
        };
        return Ok(crate::files::generate("newhire", &options));
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
        Command::Outbox(command) => outbox::outbox(settings, command).await,
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
        Command::Audit(command) => audit::audit_command(settings, command).await,
        Command::Token(command) => token::token(settings, command).await,
        Command::Keys(command) => keys::keys(settings, command).await,
        Command::Check { .. } | Command::Convert { .. } | Command::Generate(_) => {
            unreachable!("handled above")
        }
    }
}
