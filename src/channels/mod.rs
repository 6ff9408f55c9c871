//! Partner channels: one folder per kind of partner, each with the same shape — its
//! configuration, how its messages are built (`outbound`) and taken in (`intake`).

pub mod employers;
pub mod fidm;
pub mod interstate;
pub mod offset;
pub mod tribal;
