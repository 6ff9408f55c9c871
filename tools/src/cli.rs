//! The command line: `demo`, `bench …`, and `gateway …` (the gateway's own command line).

use std::ffi::OsString;
use std::path::PathBuf;

use clap::{Parser, Subcommand};

use ivd_gateway::telemetry;

use crate::bench::BenchCommand;

/// ivd-tools: the demo and the load drivers of ivd-gateway, kept out of the service.
#[derive(Debug, Parser)]
#[command(name = "ivd-tools", version, about, long_about = None)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the whole exchange on this machine with synthetic data: three gateways
    /// (Minnesota, Wisconsin, a Tribe), an employer, a county, NDNH, OCSE and a bank on
    /// loopback, traffic through every exchange (a dead letter and a partner outage
    /// included), and Minnesota's dashboard left running until Ctrl-C.
    Demo {
        /// Where the demo keeps its databases, certificates and exchanged files; an earlier
        /// demo's directory is wiped, any other non-empty directory is refused.
        #[arg(long, default_value = "data/demo")]
        dir: PathBuf,
        /// Where Minnesota's dashboard and API listen.
        #[arg(long, default_value = "127.0.0.1:8080")]
        listen: std::net::SocketAddr,
        /// How long Wisconsin stays down during the outage, in seconds.
        #[arg(long, default_value_t = 20)]
        outage_secs: u64,
    },
    /// Load drivers: measure the outbox (durable deliveries per second, enqueue →
    /// delivered latency), or run the benchmark sink other queues post to.
    #[command(subcommand)]
    Bench(BenchCommand),
    /// The gateway's own command line, in this program: `ivd-tools gateway ARGS` does what
    /// `ivd-gateway ARGS` does (the extra instances of `bench outbox --instances N` run
    /// `ivd-tools gateway --config FILE serve`). Every argument is the gateway's, `--help`
    /// included.
    #[command(disable_help_flag = true)]
    Gateway {
        /// The arguments of `ivd-gateway`.
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<OsString>,
    },
}

/// Runs a command; returns the process exit status.
pub async fn run(cli: Cli) -> anyhow::Result<i32> {
    match cli.command {
        Command::Demo {
            dir,
            listen,
            outage_secs,
        } => {
            // The demo prints its own story (alerts included); the gateways' logs say only
            // what went wrong.
            telemetry::init_logging(telemetry::LogFormat::Text, "error");
            crate::demo::run(crate::demo::DemoOptions {
                dir,
                listen,
                outage: std::time::Duration::from_secs(outage_secs),
            })
            .await?;
            Ok(0)
        }
        Command::Bench(command) => {
            telemetry::init_logging(telemetry::LogFormat::Text, "warn");
            crate::bench::run_command(&command).await
        }
        Command::Gateway { args } => {
            let gateway = ivd_gateway::cli::Cli::parse_from(
                std::iter::once(OsString::from("ivd-gateway")).chain(args),
            );
            ivd_gateway::cli::run(gateway).await
        }
    }
}
