//! The registry of reconciliation jobs: one line per job in [`all`].
//!
//! A job is a type implementing [`Job`](super::report::Job) in its own file here; add
//! `pub mod NAME;` below and one `Arc::new(NAME::TheJob)` line to [`all`]. Its name is what
//! the configuration (`[reconcile.jobs.NAME]`), the CLI (`ivd-gateway reconcile NAME`) and
//! the API (`/operator/v1/reconcile/jobs/NAME/run`) use.

pub mod ack_deadlines;
pub mod control_totals;
pub mod fidm;
pub mod interstate_cases;
pub mod new_hires;
pub mod offset;
pub mod outbox_health;

use std::sync::Arc;

use super::report::Job;

/// Every job the gateway knows, in the order they are listed.
pub fn all() -> Vec<Arc<dyn Job>> {
    vec![
        Arc::new(ack_deadlines::AckDeadlines),
        Arc::new(outbox_health::OutboxHealth),
        Arc::new(interstate_cases::InterstateCases),
        Arc::new(new_hires::NewHires),
        Arc::new(offset::Offset),
        Arc::new(control_totals::ControlTotals),
        Arc::new(fidm::Fidm),
    ]
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
