//! Logs and metrics.
//!
//! Logs go through `tracing`: JSON lines in production (`log.format = "json"`, or whenever
//! standard error is not a terminal), readable lines on a terminal. Log fields carry ids,
//! counts and states, never an SSN, a name or an address; identifier newtypes print masked
//! even if one slips through.
//!
//! Metrics are Prometheus text at `/metrics` ([`metrics::Metrics`]).

pub mod metrics;

use std::io::IsTerminal;

use serde::Deserialize;
use tracing_subscriber::EnvFilter;

/// How log lines are written.
#[derive(Clone, Copy, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// JSON when standard error is not a terminal, readable text when it is.
    #[default]
    Auto,
    /// One JSON object a line.
    Json,
    /// Readable text.
    Text,
}

/// Installs the global subscriber. `RUST_LOG` overrides `default_filter`. Safe to call
/// more than once (later calls do nothing).
pub fn init_logging(format: LogFormat, default_filter: &str) {
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default_filter));
    let json = match format {
        LogFormat::Json => true,
        LogFormat::Text => false,
        LogFormat::Auto => !std::io::stderr().is_terminal(),
    };
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = if json {
        builder
            .json()
            .flatten_event(true)
            .with_current_span(false)
            .try_init()
    } else {
        builder.try_init()
    };
}
