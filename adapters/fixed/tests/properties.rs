//! Property tests over a layout with every field kind: write → read → write is the
//! identity (ASCII and EBCDIC), and arbitrary bytes never make the reader panic.

use ivd_fixed::{
    DateBlank, Encoding, Field, FieldKind, Framing, Layout, RecordVerdict, RecordWriter, Value,
    split_records,
};
use proptest::prelude::*;
use time::{Date, Month};

static ALL: Layout = Layout::new(
    "ALL",
    139,
    &[
        Field::new("type", 1, 2, FieldKind::Literal("P9")),
        Field::new("opt_text", 3, 10, FieldKind::TEXT),
        Field::new("req_text", 13, 12, FieldKind::REQUIRED_TEXT),
        Field::new("number", 25, 9, FieldKind::NUMBER),
        Field::new(
            "opt_number",
            34,
            4,
            FieldKind::Number {
                blank_allowed: true,
            },
        ),
        Field::new("date", 38, 8, FieldKind::DATE),
        Field::new(
            "date_sp",
            46,
            8,
            FieldKind::Date {
                blank: DateBlank::Spaces,
            },
        ),
        Field::new(
            "date_zero",
            54,
            8,
            FieldKind::Date {
                blank: DateBlank::Zeros,
            },
        ),
        Field::new("amount", 62, 7, FieldKind::Amount { decimals: 2 }),
        Field::new("lead", 69, 8, FieldKind::SignedAmount { decimals: 2 }),
        Field::new(
            "trail",
            77,
            6,
            FieldKind::TrailingSignAmount { decimals: 0 },
        ),
        Field::new("zoned", 83, 7, FieldKind::ZonedAmount { decimals: 2 }),
        Field::new("big_amount", 90, 18, FieldKind::Amount { decimals: 2 }),
        Field::new("big_lead", 108, 19, FieldKind::SignedAmount { decimals: 2 }),
        Field::new("filler", 127, 5, FieldKind::Filler),
        Field::new(
            "big_number",
            132,
            8,
            FieldKind::Number {
                blank_allowed: false,
            },
        ),
    ],
);
const _: () = ALL.assert_valid();

#[derive(Debug, Clone)]
struct Values {
    opt_text: String,
    req_text: String,
    number: u64,
    opt_number: Option<u64>,
    date: Date,
    date_sp: Option<Date>,
    date_zero: Option<Date>,
    amount: i64,
    lead: i64,
    trail: i64,
    zoned: i64,
    big_amount: i64,
    big_lead: i64,
    big_number: u64,
}

fn date() -> impl Strategy<Value = Date> {
    let lo = Date::from_calendar_date(0, Month::January, 1)
        .unwrap()
        .to_julian_day();
    let hi = Date::from_calendar_date(9999, Month::December, 31)
        .unwrap()
        .to_julian_day();
    (lo..=hi).prop_map(|j| Date::from_julian_day(j).unwrap())
}

fn signed(digits: u32) -> impl Strategy<Value = i64> {
    let max = 10i64.pow(digits) - 1;
    -max..=max
}

fn values() -> impl Strategy<Value = Values> {
    (
        (
            "[ -~]{0,10}",
            "[ -~]{0,11}[!-~]",
            0..1_000_000_000u64,
            proptest::option::of(0..10_000u64),
        ),
        (
            date(),
            proptest::option::of(date()),
            proptest::option::of(date()),
        ),
        (0..10_000_000i64, signed(7), signed(5), signed(7)),
        (
            0..=999_999_999_999_999_999i64,
            signed(18),
            0..100_000_000u64,
        ),
    )
        .prop_map(
            |(
                (opt_text, req_text, number, opt_number),
                (date, date_sp, date_zero),
                (amount, lead, trail, zoned),
                (big_amount, big_lead, big_number),
            )| Values {
                opt_text,
                req_text,
                number,
                opt_number,
                date,
                date_sp,
                date_zero,
                amount,
                lead,
                trail,
                zoned,
                big_amount,
                big_lead,
                big_number,
            },
        )
}

fn write(v: &Values) -> Vec<u8> {
    let mut w = RecordWriter::new(&ALL);
    let r: Result<_, ivd_fixed::FieldError> = (|| {
        w.text("opt_text", &v.opt_text)?
            .text("req_text", &v.req_text)?
            .number("number", v.number)?
            .date("date", Some(v.date))?
            .date("date_sp", v.date_sp)?
            .date("date_zero", v.date_zero)?
            .amount("amount", v.amount)?
            .amount("lead", v.lead)?
            .amount("trail", v.trail)?
            .amount("zoned", v.zoned)?
            .amount("big_amount", v.big_amount)?
            .amount("big_lead", v.big_lead)?
            .number("big_number", v.big_number)?;
        if let Some(n) = v.opt_number {
            w.number("opt_number", n)?;
        }
        Ok(())
    })();
    r.expect("valid values write");
    w.finish()
}

/// Reads every field and writes it again through the generic `Value` interface.
fn rewrite(bytes: &[u8]) -> Vec<u8> {
    let rec = ALL.read(bytes).expect("length");
    let mut w = RecordWriter::new(&ALL);
    for i in 0..ALL.fields.len() {
        let v = rec.value(i).expect("valid field");
        w.set(i, v).expect("rewritable");
    }
    w.finish()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn write_read_write_is_identity_ascii(v in values()) {
        let bytes = write(&v);
        prop_assert_eq!(bytes.len(), ALL.record_len);
        prop_assert!(ALL.read_all(&bytes).is_empty());
        let rec = ALL.read(&bytes).unwrap();
        prop_assert_eq!(rec.text("opt_text").unwrap(), v.opt_text.trim_end_matches(' '));
        prop_assert_eq!(rec.text("req_text").unwrap(), v.req_text.as_str());
        prop_assert_eq!(rec.number("number").unwrap(), v.number);
        prop_assert_eq!(rec.number_opt("opt_number").unwrap(), v.opt_number);
        prop_assert_eq!(rec.date("date").unwrap(), Some(v.date));
        prop_assert_eq!(rec.date("date_sp").unwrap(), v.date_sp);
        prop_assert_eq!(rec.date("date_zero").unwrap(), v.date_zero);
        prop_assert_eq!(rec.amount("amount").unwrap(), v.amount);
        prop_assert_eq!(rec.amount("lead").unwrap(), v.lead);
        prop_assert_eq!(rec.amount("trail").unwrap(), v.trail);
        prop_assert_eq!(rec.amount("zoned").unwrap(), v.zoned);
        prop_assert_eq!(rec.amount("big_amount").unwrap(), v.big_amount);
        prop_assert_eq!(rec.amount("big_lead").unwrap(), v.big_lead);
        prop_assert_eq!(rec.number("big_number").unwrap(), v.big_number);
        prop_assert_eq!(rec.value("filler").unwrap(), Value::Blank);
        prop_assert_eq!(&rewrite(&bytes), &bytes);
        prop_assert_eq!(&ALL.rewrite(&bytes).unwrap(), &bytes);
    }

    #[test]
    fn write_read_write_is_identity_ebcdic(v in values()) {
        let ascii = write(&v);
        let ebcdic = Encoding::Ebcdic037.encode(&ascii).into_owned();
        let mut buf = Vec::new();
        let decoded = Encoding::Ebcdic037.decode_into(&ebcdic, &mut buf);
        prop_assert_eq!(decoded, &ascii[..]);
        let again = Encoding::Ebcdic037.encode(&rewrite(decoded)).into_owned();
        prop_assert_eq!(again, ebcdic);
    }

    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
        let errors = ALL.read_all(&bytes);
        if bytes.len() != ALL.record_len {
            prop_assert_eq!(errors.len(), 1);
            prop_assert_eq!(errors[0].position, None);
        }
        let line = RecordVerdict::new(1, errors).to_json_line();
        prop_assert!(serde_json::from_str::<serde_json::Value>(&line).is_ok());
        for framing in [Framing::Fixed, Framing::Lf, Framing::CrLf, Framing::AnyNewline] {
            let mut seen = 0;
            for r in split_records(&bytes, 7, framing) {
                seen += 1;
                if let Ok(r) = r {
                    prop_assert_eq!(r.bytes.len(), 7);
                }
            }
            prop_assert!(seen <= bytes.len());
        }
    }

    #[test]
    fn random_records_of_the_right_length_never_panic(
        bytes in proptest::collection::vec(any::<u8>(), 139),
        ebcdic in any::<bool>(),
    ) {
        let mut buf = Vec::new();
        let bytes: &[u8] = if ebcdic {
            Encoding::Ebcdic037.decode_into(&bytes, &mut buf)
        } else {
            &bytes
        };
        let errors = ALL.read_all(bytes);
        let rec = ALL.read(bytes).unwrap();
        for (i, f) in ALL.fields.iter().enumerate() {
            let _ = rec.text(i);
            let _ = rec.number(i);
            let _ = rec.number_opt(i);
            let _ = rec.date(i);
            let _ = rec.amount(i);
            let checked = rec.value(i);
            let reported = errors.iter().any(|e| e.position == Some(f.start));
            prop_assert_eq!(checked.is_err(), reported);
        }
        // a record that reads cleanly rewrites without error
        if errors.is_empty() {
            prop_assert!(ALL.rewrite(bytes).is_ok());
        }
    }

    #[test]
    fn one_byte_mutations_are_reported_at_the_right_field(
        v in values(),
        at in 0usize..139,
        byte in any::<u8>(),
    ) {
        let mut bytes = write(&v);
        bytes[at] = byte;
        for e in ALL.read_all(&bytes) {
            let f = ALL.field(&e.field).unwrap();
            prop_assert_eq!(e.position, Some(f.start));
            prop_assert!(f.range().contains(&at), "error in {} for byte {}", f.name, at);
        }
    }
}
