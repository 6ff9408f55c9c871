//! # ivd-tools
//!
//! The tools around the `ivd-gateway` service, kept out of it: the production library and
//! binary are built without any of this. Everything here uses the gateway's public API.
//!
//! - [`bench`]: the load drivers (outbox, backlog, claim statement, bulk case push) and the
//!   benchmark sink other queues post to; `ivd-tools bench …`;
//! - [`demo`]: the whole exchange on one machine with synthetic data; `ivd-tools demo`;
//! - [`cli`]: the `ivd-tools` command line (with `ivd-tools gateway …`, the gateway's own
//!   command line, which the extra instances of `bench outbox --instances N` run).
//!
//! The other benchmark pieces live beside this crate under `tools/`: the FIDM match tools
//! (`tools/examples/`), the peer queues of the side-by-side comparison
//! (`tools/bench/queues/`), the benchmark scripts (`tools/bench/*.sh`) and the adapters'
//! criterion measurement (`tools/bench-support/`, the `ivd-bench-support` crate).

pub mod bench;
pub mod cli;
pub mod demo;
