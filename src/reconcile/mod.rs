//! Reconciliation: what we sent against what partners acknowledged, hold or paid.
//!
//! - [`calendar`]: federal working days, the unit of every interstate and employer
//!   timeframe ("acknowledge within 10 working days").
//! - [`deadlines`]: the acknowledgments and responses partners owe us, with their due
//!   dates; a received acknowledgment satisfies its deadline, and what is past due is
//!   reported.
//! - [`report`]: what a job finds ([`report::Findings`], [`report::Discrepancy`]) and the
//!   [`report::Job`] contract every reconciliation job implements. Discrepancies derived
//!   from federal tax information are marked and stored sealed apart from the report, for
//!   the `fti-reader` role only.
//! - [`jobs`]: the registry of jobs (one line each) and the jobs themselves.
//! - [`runs`]: the stored runs, with status, heartbeat, counts and report.
//! - [`scheduler`]: running a job now or on its cron schedule, once per tick across
//!   instances ([`scheduler::Runner`]).
//! - [`settings`]: `[reconcile]` in the configuration.
//! - [`cli`] and [`web`]: `ivd-gateway reconcile …` and `/operator/v1/reconcile/…`, with
//!   reports as JSON and CSV ([`csv`]).

pub mod calendar;
pub mod cli;
pub mod csv;
pub mod deadlines;
pub mod jobs;
pub mod report;
pub mod runs;
pub mod scheduler;
pub mod settings;
pub mod web;

pub use settings::ReconcileSettings;
