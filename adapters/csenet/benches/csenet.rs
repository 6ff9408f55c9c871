//! CSENet 2000: parse + translate (the intake path) and write; the ICR extract.
//!
//! The input is the crate's committed synthetic inbound samples (every function: LO1,
//! CSI, EST, PAT, COL, the incoming batch), repeated to 10,000 transactions in one
//! Incoming Transactions data set. Each transaction goes through what
//! `channels::interstate::intake` does with a received file: `split_transactions`,
//! `Transaction::parse` (field syntax and transaction rules) and
//! `translate::to_model` (the canonical case). Throughput is per transaction and per byte.
//!
//! Run: `cargo bench -p ivd-csenet --bench csenet`.

use std::hint::black_box;

use ivd_bench_support as thread_cpu;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use ivd_csenet::{Transaction, icr, split_transactions, translate};
use thread_cpu::ThreadCpuTime;

const TRANSACTIONS: usize = 10_000;
const ICR_RECORDS: usize = 10_000;

const INBOUND_SAMPLES: [&[u8]; 6] = [
    include_bytes!("../samples/incoming-batch.txt"),
    include_bytes!("../samples/lo1-response-inbound.txt"),
    include_bytes!("../samples/csi-response-inbound.txt"),
    include_bytes!("../samples/est-request-inbound.txt"),
    include_bytes!("../samples/pat-request-inbound.txt"),
    include_bytes!("../samples/col-tax-offset-inbound.txt"),
];

/// An Incoming Transactions data set of `TRANSACTIONS` records cycling through the
/// samples' records.
fn incoming_file() -> Vec<u8> {
    let records: Vec<&[u8]> = INBOUND_SAMPLES
        .iter()
        .flat_map(|sample| split_transactions(sample))
        .collect();
    let mut file = Vec::new();
    for record in records.iter().cycle().take(TRANSACTIONS) {
        file.extend_from_slice(record);
        file.push(b'\n');
    }
    file
}

/// What intake does per transaction, without the database: returns how many parsed and
/// translated cleanly.
fn parse_and_translate(file: &[u8]) -> usize {
    let mut translated = 0;
    for record in split_transactions(file) {
        let Ok(transaction) = Transaction::parse(record) else {
            continue;
        };
        let case = translate::to_model(&transaction);
        translated += usize::from(case.is_ok());
        black_box((&transaction, &case));
    }
    translated
}

fn throughput(elements: usize, bytes: usize) -> Throughput {
    Throughput::ElementsAndBytes {
        elements: elements as u64,
        bytes: bytes as u64,
    }
}

fn bench_transactions(c: &mut Criterion<ThreadCpuTime>) {
    let file = incoming_file();
    // Every sample transaction is valid and translatable: the bench times the
    // success path, not early rejections.
    assert_eq!(parse_and_translate(&file), TRANSACTIONS);
    let mut group = c.benchmark_group("csenet/transactions");
    group.throughput(throughput(TRANSACTIONS, file.len()));
    group.bench_function("parse+translate", |b| {
        b.iter(|| parse_and_translate(black_box(&file)))
    });

    let parsed: Vec<Transaction> = split_transactions(&file)
        .map(|record| Transaction::parse(record).expect("samples are valid"))
        .collect();
    group.bench_function("write", |b| {
        b.iter(|| {
            let mut out = Vec::with_capacity(file.len());
            for t in &parsed {
                out.extend_from_slice(&t.write(t.header_kind()).expect("samples are writable"));
                out.push(b'\n');
            }
            out
        })
    });
    group.finish();
}

fn bench_icr(c: &mut Criterion<ThreadCpuTime>) {
    let sample = icr::read_extract(include_bytes!("../samples/icr-extract-inbound.txt"));
    assert!(sample.is_valid());
    let records: Vec<&icr::IcrRecord> = sample
        .records
        .iter()
        .map(|(_, record)| record)
        .cycle()
        .take(ICR_RECORDS)
        .collect();
    let file = icr::write_extract(records.iter().copied()).expect("samples are writable");
    assert_eq!(icr::read_extract(&file).records.len(), ICR_RECORDS);

    let mut group = c.benchmark_group("csenet/icr-extract");
    group.throughput(throughput(ICR_RECORDS, file.len()));
    group.bench_function("read", |b| b.iter(|| icr::read_extract(black_box(&file))));
    group.bench_function("write", |b| {
        b.iter(|| icr::write_extract(records.iter().copied()))
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = thread_cpu::config();
    targets = bench_transactions, bench_icr
}
criterion_main!(benches);
