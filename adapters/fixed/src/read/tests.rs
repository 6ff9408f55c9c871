//! Reading fields: each kind, its padding and its errors.

use super::*;

#[test]
fn trailing_spaces_are_cut_whatever_their_length() {
    for text in ["", "A", "AB CD", " LEADING", "X".repeat(17).as_str()] {
        for pad in 0..20 {
            let field = format!("{text}{}", " ".repeat(pad));
            assert_eq!(unpadded_len(field.as_bytes()), text.len(), "{field:?}");
        }
    }
    assert_eq!(unpadded_len(b"        A        "), 9);
}

#[test]
fn the_word_scan_agrees_with_a_plain_trim_wherever_the_last_letter_falls() {
    for len in 0..=40 {
        for last in 0..len {
            for fill in [b' ', b'X'] {
                let mut field = vec![fill; last];
                field.push(b'Z');
                field.resize(len, b' ');
                let plain = field.iter().rposition(|&c| c != b' ').map_or(0, |i| i + 1);
                assert_eq!(unpadded_len(&field), plain, "{field:?}");
            }
        }
    }
    assert_eq!(trim_padding("ÉCOLE ÉLÉMENTAIRE   "), "ÉCOLE ÉLÉMENTAIRE");
    assert_eq!(trim_padding("ñ       "), "ñ");
}
use crate::layout::Field;
use time::macros::date;

static L: Layout = Layout::new(
    "T",
    66,
    &[
        Field::new("id", 1, 2, FieldKind::Literal("T1")),
        Field::new("name", 3, 6, FieldKind::REQUIRED_TEXT),
        Field::new("note", 9, 4, FieldKind::TEXT),
        Field::new("ssn", 13, 9, FieldKind::NUMBER),
        Field::new(
            "zip4",
            22,
            4,
            FieldKind::Number {
                blank_allowed: true,
            },
        ),
        Field::new(
            "dob",
            26,
            8,
            FieldKind::Date {
                blank: DateBlank::Spaces,
            },
        ),
        Field::new("doh", 34, 8, FieldKind::DATE),
        Field::new("amt", 42, 6, FieldKind::Amount { decimals: 2 }),
        Field::new("lead", 48, 6, FieldKind::SignedAmount { decimals: 2 }),
        Field::new(
            "trail",
            54,
            5,
            FieldKind::TrailingSignAmount { decimals: 0 },
        ),
        Field::new("zoned", 59, 5, FieldKind::ZonedAmount { decimals: 2 }),
        Field::new("fill", 64, 3, FieldKind::Filler),
    ],
);
const _: () = L.assert_valid();

const GOOD: &[u8] = concat!(
    "T1",
    "SMITH ",
    "ab  ",
    "123456789",
    "0123",
    "        ",
    "20240229",
    "000123",
    "-00123",
    "0045+",
    "0012}",
    "   "
)
.as_bytes();

#[test]
fn reads_every_kind() {
    assert_eq!(GOOD.len(), 66);
    let r = L.read(GOOD).unwrap();
    assert_eq!(r.errors(), vec![]);
    assert!(r.is_valid());
    assert_eq!(r.text("id").unwrap(), "T1");
    assert_eq!(r.text("name").unwrap(), "SMITH");
    assert_eq!(r.text("note").unwrap(), "ab");
    assert_eq!(r.number("ssn").unwrap(), 123_456_789);
    assert_eq!(r.number_opt("zip4").unwrap(), Some(123));
    assert_eq!(r.date("dob").unwrap(), None);
    assert_eq!(r.date("doh").unwrap(), Some(date!(2024 - 02 - 29)));
    assert_eq!(r.amount("amt").unwrap(), 123);
    assert_eq!(r.amount("lead").unwrap(), -123);
    assert_eq!(r.amount("trail").unwrap(), 45);
    assert_eq!(r.amount("zoned").unwrap(), -120);
    assert_eq!(r.value("fill").unwrap(), Value::Blank);
    assert_eq!(r.raw(3).unwrap(), b"123456789");
    assert_eq!(r.text(1usize).unwrap(), "SMITH");
}

fn with(at: usize, patch: &[u8]) -> Vec<u8> {
    let mut v = GOOD.to_vec();
    v[at - 1..at - 1 + patch.len()].copy_from_slice(patch);
    v
}

fn one_error(rec: &[u8]) -> FieldError {
    let errs = L.read_all(rec);
    assert_eq!(errs.len(), 1, "{errs:?}");
    errs.into_iter().next().unwrap()
}

#[test]
fn length_is_a_record_level_error() {
    let e = L.read(&GOOD[..65]).unwrap_err();
    assert_eq!(e.code, ErrorCode::LENGTH);
    assert_eq!(e.position, None);
    assert_eq!(e.field, "record");
    assert_eq!(L.read_all(b"").len(), 1);
}

#[test]
fn text_errors() {
    let e = one_error(&with(3, b"      "));
    assert_eq!((e.code, e.position), (ErrorCode::REQUIRED, Some(3)));
    let e = one_error(&with(4, b"\x00"));
    assert_eq!(e.code, ErrorCode::NOT_TEXT);
    assert_eq!(
        e.message,
        "control byte at byte 2 of 6; text must be printable ASCII"
    );
    let e = one_error(&with(9, b"\xC1"));
    assert_eq!(e.code, ErrorCode::NOT_TEXT);
    // optional text may be blank; leading spaces are kept
    let r = with(9, b"    ");
    assert_eq!(L.read(&r).unwrap().text("note").unwrap(), "");
    let r = with(9, b" x  ");
    assert_eq!(L.read(&r).unwrap().text("note").unwrap(), " x");
}

#[test]
fn number_errors_do_not_leak_digits() {
    let rec = with(13, b"123 5A789");
    let e = one_error(&rec);
    assert_eq!((e.code, e.position), (ErrorCode::NOT_NUMERIC, Some(13)));
    assert_eq!(
        e.message,
        "non-digit (space) at byte 4 of 9; expected right-justified zero-filled digits"
    );
    assert!(!e.to_string().contains("123"));
    assert_eq!(e.bad_bytes(), b"123 5A789");
    let r = L.read(&rec).unwrap().with_record(4);
    let e = r.number("ssn").unwrap_err();
    assert_eq!(e.record, Some(4));
    // blank allowed only where declared
    let e = one_error(&with(13, b"         "));
    assert_eq!(e.code, ErrorCode::NOT_NUMERIC);
    let r = with(22, b"    ");
    let rec = L.read(&r).unwrap();
    assert_eq!(rec.number_opt("zip4").unwrap(), None);
    assert_eq!(rec.number("zip4").unwrap_err().code, ErrorCode::REQUIRED);
    assert_eq!(one_error(&with(22, b" 123")).code, ErrorCode::NOT_NUMERIC);
}

#[test]
fn date_errors_and_blanks() {
    assert_eq!(one_error(&with(34, b"20230229")).code, ErrorCode::BAD_DATE);
    assert_eq!(
        one_error(&with(34, b"20231301")).message,
        "month out of range 01-12"
    );
    assert_eq!(one_error(&with(34, b"2023-1-1")).code, ErrorCode::BAD_DATE);
    assert_eq!(one_error(&with(34, b"        ")).code, ErrorCode::REQUIRED);
    assert_eq!(one_error(&with(34, b"00000000")).code, ErrorCode::REQUIRED);
    let r = with(26, b"00000000");
    assert_eq!(L.read(&r).unwrap().date("dob").unwrap(), None);
    let r = with(26, b"19991231");
    assert_eq!(
        L.read(&r).unwrap().date("dob").unwrap(),
        Some(date!(1999 - 12 - 31))
    );
    assert_eq!(one_error(&with(26, b"1999123 ")).code, ErrorCode::BAD_DATE);
}

#[test]
fn amount_and_sign_errors() {
    assert_eq!(one_error(&with(42, b"-00001")).code, ErrorCode::NOT_NUMERIC);
    assert_eq!(one_error(&with(48, b" 00123")).code, ErrorCode::SIGN);
    assert_eq!(one_error(&with(48, b"+0012A")).code, ErrorCode::NOT_NUMERIC);
    assert_eq!(one_error(&with(54, b"00045")).code, ErrorCode::SIGN);
    assert_eq!(one_error(&with(59, b"0012 ")).code, ErrorCode::SIGN);
    assert_eq!(one_error(&with(59, b"0X12{")).code, ErrorCode::NOT_NUMERIC);
    let amount = |rec: Vec<u8>, f: &str| L.read(&rec).unwrap().amount(f).unwrap();
    assert_eq!(amount(with(48, b"+99999"), "lead"), 99_999);
    assert_eq!(amount(with(54, b"0001-"), "trail"), -1);
    assert_eq!(amount(with(59, b"0012A"), "zoned"), 121);
    assert_eq!(amount(with(59, b"0012R"), "zoned"), -129);
    assert_eq!(amount(with(59, b"00129"), "zoned"), 129);
    assert_eq!(amount(with(59, b"0000{"), "zoned"), 0);
}

#[test]
fn overpunch_table() {
    for (i, c) in b"{ABCDEFGHI".iter().enumerate() {
        assert_eq!(overpunch_decode(*c), Some((i as u8, false)));
    }
    for (i, c) in b"}JKLMNOPQR".iter().enumerate() {
        assert_eq!(overpunch_decode(*c), Some((i as u8, true)));
    }
    assert_eq!(overpunch_decode(b'S'), None);
}

#[test]
fn literal_and_filler() {
    let e = one_error(&with(1, b"T2"));
    assert_eq!((e.code, e.position), (ErrorCode::LITERAL_MISMATCH, Some(1)));
    assert_eq!(e.message, "expected the constant \"T1\"");
    // filler content is ignored
    assert!(L.read_all(&with(64, b"\x00\xFFx")).is_empty());
}

#[test]
fn collects_every_error_in_field_order() {
    let mut rec = with(1, b"XX");
    rec[12] = b'A';
    rec[39] = b'9';
    let errs = L.read_all(&rec);
    let codes: Vec<_> = errs.iter().map(|e| (e.field.as_ref(), e.code)).collect();
    assert_eq!(
        codes,
        vec![
            ("id", ErrorCode::LITERAL_MISMATCH),
            ("ssn", ErrorCode::NOT_NUMERIC),
            ("doh", ErrorCode::BAD_DATE)
        ]
    );
    let v = L.verdict(9, &rec);
    assert!(!v.is_valid());
    assert!(v.errors.iter().all(|e| e.record == Some(9)));
}

#[test]
fn wrong_kind_and_unknown_field() {
    let r = L.read(GOOD).unwrap();
    assert_eq!(r.date("name").unwrap_err().code, ErrorCode::WRONG_KIND);
    assert_eq!(r.text("ssn").unwrap_err().code, ErrorCode::WRONG_KIND);
    assert_eq!(r.number("amt").unwrap_err().code, ErrorCode::WRONG_KIND);
    assert_eq!(r.amount("doh").unwrap_err().code, ErrorCode::WRONG_KIND);
    let e = r.text("nope").unwrap_err();
    assert_eq!((e.code, e.position), (ErrorCode::UNKNOWN_FIELD, None));
    assert_eq!(r.value(99usize).unwrap_err().field, "#99");
}

#[test]
fn rewrite_is_identity_on_canonical_records() {
    assert_eq!(L.rewrite(GOOD).unwrap(), GOOD);
    // non-canonical: zoned plain digit and zero date get canonical forms
    let r = with(59, b"00129");
    let out = L.rewrite(&r).unwrap();
    assert_eq!(&out[58..63], b"0012I");
    assert!(L.rewrite(&with(1, b"XX")).is_err());
}
