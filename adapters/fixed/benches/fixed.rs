//! The fixed-width engine every adapter reads and writes with: checking every field of a
//! record (`Layout::read_all`, what a per-record verdict costs), typed reads, the
//! `RecordWriter`, streaming framed EBCDIC records (`RecordStream` + decode), and the
//! CP037 tables.
//!
//! The layout is declared here: 245 bytes like the tax-offset E-1, with every kind of
//! field the adapters use (literal, text, numbers, dates, each amount kind, filler). The
//! 10,000 synthetic records are written by `RecordWriter`. Throughput is per record and
//! per byte.
//!
//! Run: `cargo bench -p ivd-fixed --bench fixed`.

use std::hint::black_box;

use ivd_bench_support as thread_cpu;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use ivd_fixed::{
    DateBlank, Encoding, Field, FieldKind, Layout, RecordStream, RecordWriter, StreamItem,
};
use thread_cpu::ThreadCpuTime;
use time::{Date, Duration, macros::date};

const RECORDS: usize = 10_000;

static SAMPLE: Layout = Layout::new(
    "BENCH",
    245,
    &[
        Field::new("record_type", 1, 2, FieldKind::Literal("E1")),
        Field::new("state", 3, 2, FieldKind::REQUIRED_TEXT),
        Field::new("ssn", 5, 9, FieldKind::NUMBER),
        Field::new("case_id", 14, 15, FieldKind::REQUIRED_TEXT),
        Field::new("last_name", 29, 20, FieldKind::REQUIRED_TEXT),
        Field::new("first_name", 49, 15, FieldKind::TEXT),
        Field::new("address", 64, 40, FieldKind::TEXT),
        Field::new("city", 104, 25, FieldKind::TEXT),
        Field::new(
            "zip",
            129,
            9,
            FieldKind::Number {
                blank_allowed: true,
            },
        ),
        Field::new(
            "birth_date",
            138,
            8,
            FieldKind::Date {
                blank: DateBlank::Spaces,
            },
        ),
        Field::new("certified_on", 146, 8, FieldKind::DATE),
        Field::new("arrears", 154, 10, FieldKind::Amount { decimals: 2 }),
        Field::new(
            "adjustment",
            164,
            10,
            FieldKind::SignedAmount { decimals: 2 },
        ),
        Field::new(
            "refund",
            174,
            10,
            FieldKind::TrailingSignAmount { decimals: 2 },
        ),
        Field::new("offset", 184, 10, FieldKind::ZonedAmount { decimals: 2 }),
        Field::new("transaction", 194, 1, FieldKind::REQUIRED_TEXT),
        Field::new("filler", 195, 51, FieldKind::Filler),
    ],
);
const _: () = SAMPLE.assert_valid();

const LAST_NAMES: [&str; 4] = ["SAMPLE", "EXAMPLE", "O'BRIEN-LEE", "DOE SMITH"];

/// Record `n` (synthetic values that vary with `n`).
fn record(n: usize) -> Vec<u8> {
    let day = |base: Date, days: usize| base + Duration::days(days as i64 % 3650);
    let cents = (n as i64 * 7919) % 99_999_999;
    let mut w = RecordWriter::new(&SAMPLE);
    w.text("state", "KS")
        .and_then(|w| w.number("ssn", 100_000_000 + n as u64 * 37 % 800_000_000))
        .and_then(|w| w.text("case_id", &format!("KS-{n:07}")))
        .and_then(|w| w.text("last_name", LAST_NAMES[n % LAST_NAMES.len()]))
        .and_then(|w| w.text("first_name", if n.is_multiple_of(5) { "" } else { "ALEX" }))
        .and_then(|w| w.text("address", "1200 EXAMPLE AVENUE APT 4"))
        .and_then(|w| w.text("city", "TOPEKA"))
        .and_then(|w| w.number("zip", 666_030_000 + n as u64 % 10_000))
        .and_then(|w| {
            w.date(
                "birth_date",
                (!n.is_multiple_of(7)).then(|| day(date!(1970 - 01 - 01), n)),
            )
        })
        .and_then(|w| w.date("certified_on", Some(day(date!(2020 - 01 - 01), n))))
        .and_then(|w| w.amount("arrears", cents))
        .and_then(|w| w.amount("adjustment", -cents / 3))
        .and_then(|w| w.amount("refund", cents / 2 - 5_000))
        .and_then(|w| w.amount("offset", -(cents / 7)))
        .and_then(|w| w.text("transaction", "A"))
        .expect("bench values fit the layout");
    w.finish()
}

/// Reads every field of a record through the typed accessors (what an adapter's
/// `from_record` does).
fn typed_read(bytes: &[u8]) -> i64 {
    let r = SAMPLE.read(bytes).expect("the length is right");
    let text = |name| r.text(name).map_or(0, str::len) as i64;
    let amount = |name| r.amount(name).unwrap_or(0);
    let date = |name| {
        r.date(name)
            .ok()
            .flatten()
            .map_or(0, |d: Date| i64::from(d.ordinal()))
    };
    text("state")
        + text("case_id")
        + text("last_name")
        + text("first_name")
        + text("address")
        + text("city")
        + r.number("ssn").map_or(0, |n| n as i64)
        + r.number_opt("zip").ok().flatten().map_or(0, |n| n as i64)
        + date("birth_date")
        + date("certified_on")
        + amount("arrears")
        + amount("adjustment")
        + amount("refund")
        + amount("offset")
        + text("transaction")
}

fn bench_fixed(c: &mut Criterion<ThreadCpuTime>) {
    let records: Vec<Vec<u8>> = (0..RECORDS).map(record).collect();
    let ascii: Vec<u8> = records.concat();
    let ebcdic = Encoding::Ebcdic037.encode(&ascii).into_owned();
    for r in &records {
        assert!(SAMPLE.read_all(r).is_empty());
    }

    let mut group = c.benchmark_group("fixed/layout");
    group.throughput(Throughput::ElementsAndBytes {
        elements: RECORDS as u64,
        bytes: ascii.len() as u64,
    });
    group.bench_function("read_all (check every field)", |b| {
        b.iter(|| {
            ascii
                .chunks_exact(SAMPLE.record_len)
                .map(|r| SAMPLE.read_all(black_box(r)).len())
                .sum::<usize>()
        })
    });
    group.bench_function("typed read", |b| {
        b.iter(|| {
            ascii
                .chunks_exact(SAMPLE.record_len)
                .map(typed_read)
                .sum::<i64>()
        })
    });
    group.bench_function("stream+decode ebcdic", |b| {
        b.iter(|| {
            let mut stream = RecordStream::new(
                black_box(&ebcdic[..]),
                SAMPLE.record_len,
                Encoding::Ebcdic037,
            );
            let mut valid = 0usize;
            while let StreamItem::Record(_) = stream.next_item() {
                let record = stream.record_mut();
                Encoding::Ebcdic037.decode_in_place(record);
                valid += usize::from(SAMPLE.read_all(record).is_empty());
            }
            valid
        })
    });
    group.bench_function("write", |b| {
        b.iter(|| {
            (0..RECORDS)
                .map(|n| record(black_box(n)).len())
                .sum::<usize>()
        })
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = thread_cpu::config();
    targets = bench_fixed
}
criterion_main!(benches);
