//! # ivd-gateway
//!
//! The data-exchange gateway of a state child-support (Title IV-D) program. It sits
//! between the state's case system and every outside partner (other states, Tribes,
//! employers, federal offices, financial institutions), translates both ways through the
//! canonical case model ([`ivd_model`]), and guarantees that nothing sent or received is
//! lost, applied twice, or disclosed to someone who must not see it.
//!
//! The layout names the architecture:
//! - [`store`]: SQLite (embedded default) or PostgreSQL, one code path for both;
//! - [`intake`]: inbound bytes stored first, then parsed, duplicates recognised;
//! - [`outbox`]: the durable outbox (leases, fencing, per-key order, retries, dead
//!   letters, redeliver and replay) and its transports;
//! - [`channels`]: per kind of partner, how its messages are built and taken in;
//! - [`privacy`]: keyed hashes that find a person without using the SSN as a key;
//! - [`reconcile`]: working-day calendar and the deadlines of answers partners owe us;
//! - [`audit`]: the hash-chained audit log;
//! - [`web`]: the state-system, operator and partner HTTP APIs;
//! - [`telemetry`]: logs and Prometheus metrics;
//! - [`tls`]: mutual TLS for partners;
//! - [`app`], [`cli`], [`config`]: starting, commanding and configuring an instance.
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
pub mod canonical;
pub mod channels;
pub mod check;
pub mod cli;
pub mod config;
pub mod convert;
pub mod federal_files;
pub mod intake;
pub mod newhire_files;
pub mod outbox;
pub mod privacy;
pub mod reconcile;
pub mod store;
pub mod telemetry;
pub mod tls;
pub mod web;
