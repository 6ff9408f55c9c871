//! e-IWO: reading employer acknowledgment files (the intake path: envelope, then every
//! `ACK` record checked) and e-IWO files, and writing both.
//!
//! The input is the crate's committed synthetic samples, their records repeated into one
//! batch of 10,000 and written by the crate's own writers. `read_acknowledgments` is what
//! `channels::employers::iwo` calls on a received file. Throughput is per detail record
//! and per byte.
//!
//! Run: `cargo bench -p ivd-eiwo --bench eiwo`.

use std::hint::black_box;

use ivd_bench_support as thread_cpu;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use ivd_eiwo::{
    AckBatch, IwoBatch, read_acknowledgments, read_iwo_file, write_acknowledgments, write_iwo_file,
};
use thread_cpu::ThreadCpuTime;

const RECORDS: usize = 10_000;

fn throughput(bytes: usize) -> Throughput {
    Throughput::ElementsAndBytes {
        elements: RECORDS as u64,
        bytes: bytes as u64,
    }
}

fn bench_acknowledgments(c: &mut Criterion<ThreadCpuTime>) {
    let sample = read_acknowledgments(include_bytes!("../samples/ack-accepts-and-rejects.txt"));
    assert!(sample.is_envelope_valid());
    let header = sample.header.clone().expect("the sample's header is valid");
    let batch = AckBatch {
        control_number: "27ACB00000000000000001".into(),
        fein: sample.fein.clone().expect("the sample names its employer"),
        acknowledgments: sample
            .acknowledgments
            .iter()
            .cycle()
            .take(RECORDS)
            .cloned()
            .collect(),
    };
    let batches = [batch];
    let file = write_acknowledgments(&header, &batches).expect("sample values are writable");
    let read = read_acknowledgments(&file);
    assert!(read.is_envelope_valid());
    assert_eq!(read.acknowledgments.len(), RECORDS);

    let mut group = c.benchmark_group("eiwo/acknowledgments");
    group.throughput(throughput(file.len()));
    group.bench_function("read+validate", |b| {
        b.iter(|| read_acknowledgments(black_box(&file)))
    });
    group.bench_function("write", |b| {
        b.iter(|| write_acknowledgments(&header, &batches))
    });
    group.finish();
}

fn bench_iwo_file(c: &mut Criterion<ThreadCpuTime>) {
    let sample = read_iwo_file(include_bytes!("../samples/iwo-file.txt"));
    assert!(sample.envelope_errors.is_empty());
    let header = sample.header.clone().expect("the sample's header is valid");
    let first = &sample.batches[0];
    let batches = [IwoBatch {
        control_number: first.control_number.clone(),
        fein: first.fein.clone(),
        iwos: first.iwos.iter().cycle().take(RECORDS).cloned().collect(),
    }];
    let file = write_iwo_file(&header, &batches).expect("sample values are writable");
    let read = read_iwo_file(&file);
    assert!(read.envelope_errors.is_empty());
    assert_eq!(read.iwos().count(), RECORDS);

    let mut group = c.benchmark_group("eiwo/iwo-file");
    group.throughput(throughput(file.len()));
    group.bench_function("read+validate", |b| {
        b.iter(|| read_iwo_file(black_box(&file)))
    });
    group.bench_function("write", |b| b.iter(|| write_iwo_file(&header, &batches)));
    group.finish();
}

criterion_group! {
    name = benches;
    config = thread_cpu::config();
    targets = bench_acknowledgments, bench_iwo_file
}
criterion_main!(benches);
