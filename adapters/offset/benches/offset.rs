//! Federal tax refund offset: the Case Submission and Update File (written weekly by the
//! state, read back to check it) and OCSE's collection file (read at intake), in EBCDIC,
//! the encoding OCSE exchanges.
//!
//! The input is the crate's committed synthetic samples, their records repeated to
//! 10,000 and written by the crate's own writers. Reading is `read_submission_file` /
//! `read_collections`, as the gateway calls them: every record checked, control totals
//! compared. Throughput is per record and per byte.
//!
//! Run: `cargo bench -p ivd-offset --bench offset`.

use std::hint::black_box;

use ivd_bench_support as thread_cpu;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use ivd_offset::{
    DEFAULT_ENCODING, Encoding, read_collections, read_submission_file, write_collections,
    write_submission_file,
};
use thread_cpu::ThreadCpuTime;

const RECORDS: usize = 10_000;
const STATE: &str = "KS";

fn throughput(bytes: usize) -> Throughput {
    Throughput::ElementsAndBytes {
        elements: RECORDS as u64,
        bytes: bytes as u64,
    }
}

fn bench_submission(c: &mut Criterion<ThreadCpuTime>) {
    let sample = read_submission_file(include_bytes!("../samples/submission.txt"), Encoding::Ascii);
    assert!(sample.is_valid());
    let submissions: Vec<_> = sample
        .submissions
        .iter()
        .cycle()
        .take(RECORDS)
        .cloned()
        .collect();
    let file = write_submission_file(STATE, &submissions, DEFAULT_ENCODING)
        .expect("sample values are writable");
    let read = read_submission_file(&file, DEFAULT_ENCODING);
    assert!(read.is_valid());
    assert_eq!(read.submissions.len(), RECORDS);

    let mut group = c.benchmark_group("offset/submission");
    group.throughput(throughput(file.len()));
    group.bench_function("read+validate", |b| {
        b.iter(|| read_submission_file(black_box(&file), DEFAULT_ENCODING))
    });
    group.bench_function("write", |b| {
        b.iter(|| write_submission_file(STATE, &submissions, DEFAULT_ENCODING))
    });
    group.finish();
}

fn bench_collections(c: &mut Criterion<ThreadCpuTime>) {
    let sample = read_collections(
        include_bytes!("../samples/collections.txt"),
        Encoding::Ascii,
    );
    assert!(sample.is_valid());
    let collections: Vec<_> = sample
        .collections
        .iter()
        .cycle()
        .take(RECORDS)
        .cloned()
        .collect();
    let file = write_collections(STATE, &collections, DEFAULT_ENCODING)
        .expect("sample values are writable");
    let read = read_collections(&file, DEFAULT_ENCODING);
    assert!(read.is_valid());
    assert_eq!(read.collections.len(), RECORDS);

    let mut group = c.benchmark_group("offset/collections");
    group.throughput(throughput(file.len()));
    group.bench_function("read+validate", |b| {
        b.iter(|| read_collections(black_box(&file), DEFAULT_ENCODING))
    });
    group.bench_function("write", |b| {
        b.iter(|| write_collections(STATE, &collections, DEFAULT_ENCODING))
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = thread_cpu::config();
    targets = bench_submission, bench_collections
}
criterion_main!(benches);
