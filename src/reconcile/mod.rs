//! Reconciliation: what we sent against what partners acknowledged, hold or paid.
//!
//! - [`calendar`]: federal working days, the unit of every interstate and employer
//!   timeframe ("acknowledge within 10 working days").
//! - [`deadlines`]: the acknowledgments and responses partners owe us, with their due
//!   dates; a received acknowledgment satisfies its deadline, and what is past due is
//!   reported.
//! - [`report`]: what a job finds ([`report::Findings`], [`report::Discrepancy`]) and the
//!   [`report::Job`] contract every reconciliation job implements.
//! - [`jobs`]: the jobs.

pub mod calendar;
pub mod deadlines;
pub mod jobs;
pub mod report;
