//! The reconciliation jobs, each a [`crate::reconcile::report::Job`].

pub mod control_totals;
pub mod fidm;
pub mod interstate_cases;
pub mod new_hires;
pub mod offset;
