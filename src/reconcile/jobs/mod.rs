//! The registry of reconciliation jobs: the gateway's own, one line each in [`all`], then
//! those each channel adds ([`crate::channels::Channel::jobs`]).
//!
//! A job is a type implementing [`Job`](super::report::Job): one that looks at the gateway
//! as a whole lives in its own file here (add `pub mod NAME;` below and one line to
//! [`all`]); one that belongs to a kind of partner lives in that channel's folder. Its name
//! is what the configuration (`[reconcile.jobs.NAME]`), the CLI (`ivd-gateway reconcile
//! NAME`) and the API (`/operator/v1/reconcile/jobs/NAME/run`) use.

pub mod control_totals;
pub mod outbox_health;

use std::sync::Arc;

use super::report::Job;

/// Every job the gateway knows: its own, then each channel's.
pub fn all() -> Vec<Arc<dyn Job>> {
    let mut jobs: Vec<Arc<dyn Job>> = vec![
        Arc::new(outbox_health::OutboxHealth),
        Arc::new(control_totals::ControlTotals),
    ];
    for channel in crate::channels::all() {
        jobs.extend(channel.jobs());
    }
    jobs
}

/// The job named `name`.
pub fn by_name(name: &str) -> Option<Arc<dyn Job>> {
    all().into_iter().find(|job| job.name() == name)
}

#[cfg(test)]
mod tests {
    #[test]
    fn job_names_are_unique_and_kebab_case() {
        let jobs = super::all();
        let mut names: Vec<&str> = jobs.iter().map(|j| j.name()).collect();
        assert!(
            names
                .iter()
                .all(|n| n.bytes().all(|b| b.is_ascii_lowercase() || b == b'-'))
        );
        names.sort();
        names.dedup();
        assert_eq!(names.len(), jobs.len());
    }
}
