//! New-hire reports: parse + validate (the intake path) and write, in every format.
//!
//! The input is synthetic: 10,000 reports from the crate's own seeded generator, all
//! valid, written by the crate's own writer. Parsing goes through `ivd_newhire::read_new_hires`
//! with `Rules`, exactly as `channels::employers::newhire` reads a spooled file, so the
//! figures include every §8 check. Throughput is reported per record and per byte.
//!
//! Run: `cargo bench -p ivd-newhire --bench newhire`.

use std::hint::black_box;

use ivd_bench_support as thread_cpu;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use ivd_fixed::Encoding;
use ivd_newhire::generate::{Generator, write_file};
use ivd_newhire::ndnh::{TransmissionHeader, TransmissionWriter, read_transmission};
use ivd_newhire::{FORMATS, Format, NewHire, Rules, read_new_hires, write_new_hires};
use thread_cpu::ThreadCpuTime;
use time::Date;
use time::macros::date;

const RECORDS: u64 = 10_000;
const SEED: u64 = 20_260_320;
const TODAY: Date = date!(2026 - 03 - 20);

/// One file of `RECORDS` valid reports in `format`.
fn file(format: Format) -> Vec<u8> {
    let mut out = Vec::new();
    let summary = write_file(format, RECORDS, SEED, 0.0, TODAY, &mut out, |_| {})
        .expect("writing to memory cannot fail");
    assert_eq!(summary.valid, RECORDS);
    out
}

/// Reads `bytes` as intake does and returns the number of valid reports.
fn parse_and_validate(format: Format, bytes: &[u8], rules: &Rules) -> u64 {
    let mut valid = 0;
    for outcome in read_new_hires(format, bytes, rules) {
        valid += u64::from(outcome.is_valid());
        black_box(&outcome);
    }
    valid
}

fn throughput(bytes: usize) -> Throughput {
    Throughput::ElementsAndBytes {
        elements: RECORDS,
        bytes: bytes as u64,
    }
}

fn bench_parse(c: &mut Criterion<ThreadCpuTime>) {
    let rules = Rules::new(TODAY);
    let mut group = c.benchmark_group("newhire/parse+validate");
    for format in FORMATS {
        let bytes = file(format);
        // Every generated report must pass, or the bench would time the error path.
        assert_eq!(parse_and_validate(format, &bytes, &rules), RECORDS);
        group.throughput(throughput(bytes.len()));
        group.bench_function(format.name(), |b| {
            b.iter(|| parse_and_validate(format, black_box(&bytes), &rules));
        });
    }
    group.finish();
}

fn reports() -> Vec<NewHire> {
    let mut generator = Generator::new(SEED, TODAY);
    (0..RECORDS).map(|_| generator.new_hire()).collect()
}

fn bench_write(c: &mut Criterion<ThreadCpuTime>) {
    let hires = reports();
    let mut group = c.benchmark_group("newhire/write");
    for format in FORMATS {
        let write = |capacity: usize| {
            let mut w = write_new_hires(format, Vec::with_capacity(capacity));
            for nh in &hires {
                w.push(nh).expect("generated reports are writable");
            }
            w.finish().expect("writing to memory cannot fail")
        };
        let size = write(0).len();
        group.throughput(throughput(size));
        group.bench_function(format.name(), |b| b.iter(|| write(size)));
    }
    group.finish();
}

fn bench_ndnh(c: &mut Criterion<ThreadCpuTime>) {
    let hires = reports();
    let header = TransmissionHeader {
        state_fips: 20,
        batch_number: 1,
        date: TODAY,
    };
    let mut group = c.benchmark_group("newhire/ndnh");
    for (name, encoding) in [("ascii", Encoding::Ascii), ("ebcdic", Encoding::Ebcdic037)] {
        let write = |capacity: usize| {
            let mut w = TransmissionWriter::new(header, encoding, Vec::with_capacity(capacity));
            for nh in &hires {
                w.push(nh).expect("generated reports are writable");
            }
            w.finish().expect("writing to memory cannot fail").0
        };
        let transmission = write(0);
        group.throughput(throughput(transmission.len()));
        group.bench_function(format!("write_{name}"), |b| {
            b.iter(|| write(transmission.len()))
        });
        let read = read_transmission(&transmission, encoding);
        assert!(read.errors.is_empty() && read.records.iter().all(|r| r.is_valid()));
        group.bench_function(format!("read_{name}"), |b| {
            b.iter(|| read_transmission(black_box(&transmission), encoding))
        });
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = thread_cpu::config();
    targets = bench_parse, bench_write, bench_ndnh
}
criterion_main!(benches);
