//! FIDM: the Method 1 all-accounts file (read at intake: streamed, every B record
//! checked, the trailer count compared) and Method 2 inquiry and match files, in EBCDIC.
//!
//! The input is synthetic: 10,000 accounts from the crate's seeded generator, and the
//! committed inquiry and match samples repeated to 10,000 records, written by the crate's
//! own writers. Throughput is per detail record and per byte.
//!
//! Run: `cargo bench -p ivd-fidm --bench fidm`.

use std::hint::black_box;

use ivd_bench_support as thread_cpu;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use ivd_fidm::generate::{AccountGenerator, institution, write_all_accounts};
use ivd_fidm::{
    Account, Encoding, read_accounts, read_inquiry_file, read_match_file, write_accounts,
    write_inquiry_file, write_match_file,
};
use thread_cpu::ThreadCpuTime;

const RECORDS: usize = 10_000;
const SEED: u64 = 20_260_301;
const ENCODING: Encoding = Encoding::Ebcdic037;

fn throughput(bytes: usize) -> Throughput {
    Throughput::ElementsAndBytes {
        elements: RECORDS as u64,
        bytes: bytes as u64,
    }
}

/// Reads an all-accounts file as intake does; returns the number of valid accounts.
fn read_all(file: &[u8]) -> usize {
    read_accounts(file, ENCODING)
        .filter(|outcome| outcome.is_valid())
        .map(|outcome| black_box(outcome).account.is_some())
        .filter(|&account| account)
        .count()
}

fn bench_all_accounts(c: &mut Criterion<ThreadCpuTime>) {
    let mut file = Vec::new();
    write_all_accounts(RECORDS as u64, SEED, &[], ENCODING, &mut file, |_| {})
        .expect("writing to memory cannot fail");
    assert_eq!(read_all(&file), RECORDS);

    let bank = institution(SEED);
    let mut generator = AccountGenerator::new(SEED, &[]);
    let accounts: Vec<Account> = (1..=RECORDS as u64).map(|n| generator.account(n)).collect();

    let mut group = c.benchmark_group("fidm/all-accounts");
    group.throughput(throughput(file.len()));
    group.bench_function("read+validate", |b| b.iter(|| read_all(black_box(&file))));
    group.bench_function("write", |b| {
        b.iter(|| {
            let mut w = write_accounts(&bank, ENCODING, Vec::with_capacity(file.len()));
            for account in &accounts {
                w.push(account).expect("generated accounts are valid");
            }
            w.finish().expect("writing to memory cannot fail")
        })
    });
    group.finish();
}

fn bench_method2(c: &mut Criterion<ThreadCpuTime>) {
    let inquiry_sample =
        read_inquiry_file(include_bytes!("../samples/inquiry.txt"), Encoding::Ascii);
    let year_month = inquiry_sample
        .year_month
        .expect("the sample has a D record");
    let inquiries: Vec<_> = inquiry_sample
        .inquiries
        .iter()
        .cycle()
        .take(RECORDS)
        .cloned()
        .collect();
    let inquiry_file =
        write_inquiry_file(year_month, &inquiries, ENCODING).expect("sample values are writable");
    assert_eq!(
        read_inquiry_file(&inquiry_file, ENCODING).inquiries.len(),
        RECORDS
    );

    let match_sample = read_match_file(include_bytes!("../samples/match.txt"), Encoding::Ascii);
    assert!(match_sample.is_valid());
    let bank = match_sample
        .institution
        .clone()
        .expect("the sample has an A record");
    let matches: Vec<_> = match_sample
        .matches
        .iter()
        .cycle()
        .take(RECORDS)
        .cloned()
        .collect();
    let match_file =
        write_match_file(&bank, &matches, ENCODING).expect("sample values are writable");
    let read = read_match_file(&match_file, ENCODING);
    assert!(read.is_valid());
    assert_eq!(read.matches.len(), RECORDS);

    let mut group = c.benchmark_group("fidm/inquiry");
    group.throughput(throughput(inquiry_file.len()));
    group.bench_function("write", |b| {
        b.iter(|| write_inquiry_file(year_month, &inquiries, ENCODING))
    });
    group.bench_function("read+validate", |b| {
        b.iter(|| read_inquiry_file(black_box(&inquiry_file), ENCODING))
    });
    group.finish();

    let mut group = c.benchmark_group("fidm/match");
    group.throughput(throughput(match_file.len()));
    group.bench_function("read+validate", |b| {
        b.iter(|| read_match_file(black_box(&match_file), ENCODING))
    });
    group.bench_function("write", |b| {
        b.iter(|| write_match_file(&bank, &matches, ENCODING))
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = thread_cpu::config();
    targets = bench_all_accounts, bench_method2
}
criterion_main!(benches);
