//! A criterion measurement that counts the CPU time of the benchmarking thread (user and
//! system, `CLOCK_THREAD_CPUTIME_ID`) instead of wall time.
//!
//! Why: the adapter targets are "on one core", and the machines the benches run on are
//! shared (CI runners, a 2-vCPU box where other builds compile). Wall time there counts
//! the time the thread waited for a core; the thread's CPU time does not, so the figures
//! stay comparable with an idle machine. Cache and memory-bandwidth contention still
//! show (they slow the thread while it runs), so note the load next to any figure.
//!
//! A dev-dependency of every adapter crate, used by its criterion bench
//! (`use ivd_bench_support::{ThreadCpuTime, config}`); `tools/bench/adapters.sh` runs them
//! all and prints one table.

use criterion::Criterion;
use criterion::measurement::{Measurement, ValueFormatter, WallTime};

/// Thread CPU time in nanoseconds; formatted and reported like wall time.
pub struct ThreadCpuTime;

/// Criterion's own duration formatting (ns → s/ms/µs, bytes and elements per second).
static DURATION_FORMAT: WallTime = WallTime;

fn thread_cpu_ns() -> u64 {
    let mut now = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `now` is a valid, writable timespec; CLOCK_THREAD_CPUTIME_ID is supported
    // on Linux and the BSDs/macOS this runs on. A failure leaves `now` zeroed, which the
    // assertion below turns into a loud error instead of a silent zero time.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut now) };
    assert_eq!(rc, 0, "clock_gettime(CLOCK_THREAD_CPUTIME_ID) failed");
    now.tv_sec as u64 * 1_000_000_000 + now.tv_nsec as u64
}

impl Measurement for ThreadCpuTime {
    type Intermediate = u64;
    type Value = u64;

    fn start(&self) -> u64 {
        thread_cpu_ns()
    }

    fn end(&self, started: u64) -> u64 {
        thread_cpu_ns().saturating_sub(started)
    }

    fn add(&self, a: &u64, b: &u64) -> u64 {
        a + b
    }

    fn zero(&self) -> u64 {
        0
    }

    fn to_f64(&self, ns: &u64) -> f64 {
        *ns as f64
    }

    fn formatter(&self) -> &dyn ValueFormatter {
        DURATION_FORMAT.formatter()
    }
}

/// The configuration every adapter bench uses: thread CPU time, no plots (the
/// `plotters` feature is off anyway; this keeps criterion from looking for gnuplot).
pub fn config() -> Criterion<ThreadCpuTime> {
    Criterion::default()
        .with_measurement(ThreadCpuTime)
        .without_plots()
}
