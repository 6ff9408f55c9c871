#![no_main]
//! The toolkit every fixed-width adapter reads through, on any bytes. The first three
//! bytes choose the record length, the framing and the encoding; the rest is the file.
//!
//! - EBCDIC 037 is a bijection: decoding what was encoded gives the bytes back.
//! - `split_records` never panics, every record it yields has the record length, and
//!   record numbers run 1, 2, 3… over records and errors alike.
//! - `RecordStream` frames the same bytes identically whatever the size of the reader's
//!   buffer (1 byte up to the whole file): how a file arrives in chunks must not change
//!   which records it holds.
//! - A layout with one field of every kind reads any record without panicking, and a
//!   record it finds valid rewrites to a canonical form that is a fixed point.

use std::io::BufReader;

use ivd_fixed::{
    DateBlank, Encoding, Field, FieldKind, Framing, Layout, RecordStream, StreamItem,
    StreamProblem, split_records,
};
use libfuzzer_sys::fuzz_target;

static EVERY_KIND: Layout = Layout::new(
    "EVERY_KIND",
    65,
    &[
        Field::new("record_id", 1, 2, FieldKind::Literal("R1")),
        Field::new("name", 3, 5, FieldKind::Text { required: true }),
        Field::new(
            "count",
            8,
            4,
            FieldKind::Number {
                blank_allowed: true,
            },
        ),
        Field::new(
            "sequence",
            12,
            3,
            FieldKind::Number {
                blank_allowed: false,
            },
        ),
        Field::new(
            "date_spaces",
            15,
            8,
            FieldKind::Date {
                blank: DateBlank::Spaces,
            },
        ),
        Field::new(
            "date_zeros",
            23,
            8,
            FieldKind::Date {
                blank: DateBlank::Zeros,
            },
        ),
        Field::new(
            "date_never",
            31,
            8,
            FieldKind::Date {
                blank: DateBlank::Never,
            },
        ),
        Field::new("amount", 39, 7, FieldKind::Amount { decimals: 2 }),
        Field::new(
            "leading_sign",
            46,
            6,
            FieldKind::SignedAmount { decimals: 2 },
        ),
        Field::new(
            "trailing_sign",
            52,
            6,
            FieldKind::TrailingSignAmount { decimals: 2 },
        ),
        Field::new("zoned", 58, 6, FieldKind::ZonedAmount { decimals: 0 }),
        Field::new("filler", 64, 2, FieldKind::Filler),
    ],
);
const _: () = EVERY_KIND.assert_valid();

type Framed = Vec<(u64, Result<Vec<u8>, StreamProblem>)>;

fn stream<R: std::io::BufRead>(input: R, len: usize, encoding: Encoding, limit: usize) -> Framed {
    let mut s = RecordStream::new(input, len, encoding);
    let mut out = Vec::new();
    loop {
        match s.next_item() {
            StreamItem::End => return out,
            StreamItem::Record(n) => out.push((n, Ok(s.record().to_vec()))),
            StreamItem::Problem(n, p) => out.push((n, Err(p))),
        }
        // Every item consumes at least one byte, so more items than bytes is a loop.
        assert!(out.len() <= limit, "the stream does not end");
    }
}

fuzz_target!(|data: &[u8]| {
    let [len_byte, framing_byte, control, file @ ..] = data else {
        return;
    };
    let record_len = 1 + usize::from(*len_byte % 80);
    let framing = [
        Framing::Fixed,
        Framing::Lf,
        Framing::CrLf,
        Framing::AnyNewline,
    ][usize::from(*framing_byte % 4)];
    let encoding = if control & 1 == 0 {
        Encoding::Ascii
    } else {
        Encoding::Ebcdic037
    };

    let encoded = Encoding::Ebcdic037.encode(file);
    assert_eq!(Encoding::Ebcdic037.decode(&encoded).as_ref(), file);

    let mut expected_number = 1;
    for item in split_records(file, record_len, framing) {
        match item {
            Ok(record) => {
                assert_eq!(record.bytes.len(), record_len);
                assert_eq!(record.number, expected_number);
            }
            Err(error) => {
                assert_eq!(error.record, Some(expected_number));
                let _ = error.to_string();
            }
        }
        expected_number += 1;
    }

    let whole = stream(file, record_len, encoding, file.len() + 1);
    for (_, item) in &whole {
        if let Ok(record) = item {
            assert_eq!(record.len(), record_len);
        }
    }
    let capacity = 1 + usize::from(control >> 1) % 16;
    let chunked = stream(
        BufReader::with_capacity(capacity, file),
        record_len,
        encoding,
        file.len() + 1,
    );
    assert_eq!(
        chunked, whole,
        "framing depends on the reader's buffer size"
    );

    let record = &file[..file.len().min(EVERY_KIND.record_len)];
    let decoded = encoding.decode(record);
    let errors = EVERY_KIND.read_all(&decoded);
    for e in &errors {
        let _ = e.to_string();
    }
    match EVERY_KIND.rewrite(&decoded) {
        Ok(canonical) => {
            assert!(
                errors.is_empty(),
                "rewrite accepted a record read_all refused"
            );
            assert!(EVERY_KIND.read_all(&canonical).is_empty());
            assert_eq!(
                EVERY_KIND
                    .rewrite(&canonical)
                    .expect("canonical form rewrites"),
                canonical
            );
        }
        Err(_) => assert!(!errors.is_empty() || decoded.len() != EVERY_KIND.record_len),
    }
});
