//! # ivd-gateway
//!
//! The data-exchange gateway of a state child-support (Title IV-D) program. It sits
//! between the state's case system and every outside partner (other states, Tribes,
//! employers, federal offices, financial institutions), translates both ways through the
//! canonical case model ([`ivd_model`]), and guarantees that nothing sent or received is
//! lost, applied twice, or disclosed to someone who must not see it.
//!
//! The layout names the architecture. The core, which names no partner:
//! - [`store`]: SQLite (embedded default) or PostgreSQL, one code path for both;
//! - [`intake`]: inbound bytes stored first, then processed, duplicates recognised;
//! - [`outbox`]: the durable outbox (one head per key, leases, fencing, retries, dead
//!   letters, redeliver and replay) and its transports;
//! - [`reconcile`]: the working-day calendar, deadlines, reconciliation jobs and their runs;
//! - [`files`]: the `check` and `convert` commands' contract and format registry;
//! - [`web`]: the state-system, operator and partner HTTP APIs, the dashboard, sessions;
//! - [`audit`]: the hash-chained audit log;
//! - [`privacy`]: keyed hashes that find a person without using the SSN as a key, sealing
//!   at rest, redaction of texts partners send;
//! - [`alerts`]: partner down, dead letters, overdue answers, to the log and webhooks;
//! - [`telemetry`]: logs and Prometheus metrics;
//! - [`tls`]: mutual TLS for partners;
//! - [`config`], [`cli`], [`app`]: configuring, commanding and composing an instance.
//!
//! And the spokes: [`channels`], one folder per kind of partner (other states, Tribes,
//! employers, the tax refund offset program, financial institutions), each registered by one
//! line in [`channels::all`].
//!
//! The load drivers (`bench`) and the whole-exchange demo are tools, not the service: they
//! live in the `ivd-tools` crate (`tools/`), which uses this library's public API, so the
//! production library and binary are built without them.
//!
//! The one decision that matters most: a message to a partner is written in the same
//! database transaction as the change that causes it, and leaves only through the outbox.
//!
//! ```no_run
//! # async fn example() -> anyhow::Result<()> {
//! let settings = ivd_gateway::config::Settings::load(Some("config/gateway.toml".as_ref()))?;
//! let gateway = ivd_gateway::app::RunningGateway::start(settings).await?;
//! println!("API on {}, partners on {}", gateway.api_addr, gateway.partner_addr);
//! gateway.run_until_signal().await;
//! # Ok(())
//! # }
//! ```

pub mod alerts;
pub mod app;
pub mod audit;
pub mod channels;
pub mod cli;
pub mod config;
pub mod files;
pub mod intake;
pub mod outbox;
pub mod privacy;
pub mod reconcile;
pub mod store;
pub mod telemetry;
pub mod tls;
pub mod web;
