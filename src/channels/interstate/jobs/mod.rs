//! The interstate channel's reconciliation jobs: the answers partners owe us
//! ([`ack_deadlines`]) and our cases against the partners' (the CSENet case reconciliation,
//! [`interstate_cases`]).

pub mod ack_deadlines;
pub mod interstate_cases;
