//! # ivd-fixed — fixed-width records, declared once, read and written
//!
//! Federal and state child-support exchanges are files of fixed-width records: the W4
//! new-hire record (801 bytes), CSENet transaction headers and blocks, tax-offset
//! records (245 bytes, EBCDIC), FIDM inquiry and match files. This crate is the toolkit
//! every such adapter declares its layouts with. It is pure: bytes in, values and errors
//! out; no I/O.
//!
//! ## The one decision that matters
//!
//! **One layout table per record type, used by both the reader and the writer**, so the
//! two can never disagree about where a field is or how it is encoded. A [`Layout`] is
//! `const` data — a name, a record length and a slice of [`Field`]s with positions
//! copied as the federal specs print them (1-based start, length). Tests check each table
//! with [`Layout::validate`] (contiguous, non-overlapping, adding up to the record
//! length), and every committed sample must survive read → write byte for byte.
//!
//! ## Main types
//!
//! * [`Layout`], [`Field`], [`FieldKind`] — the table: text, numbers, `CCYYMMDD` dates,
//!   unsigned and signed amounts with implied decimals (leading sign, trailing sign,
//!   zoned-decimal overpunch), filler and literals.
//! * [`Record`] — zero-copy typed access to one record ([`Layout::read`]): text comes
//!   back as `&str` into the record; reading a valid record allocates nothing.
//!   [`Layout::read_all`] checks every field and returns every error.
//! * [`RecordWriter`] — typed setters; values that do not fit are errors, never
//!   truncated; unset fields are written as their blank, literals automatically.
//! * [`FieldReader`] / [`FieldWriter`] — the adapters' field-by-field reading (every error
//!   of a record collected) and writing (the first error kept).
//! * [`Encoding`] — ASCII and EBCDIC code page 037, full 256-byte tables both ways.
//! * [`RecordStream`] — records one at a time from any `BufRead`, in constant memory;
//!   [`Framer`] the same with its problems as record-level [`FieldError`]s.
//! * [`split_records`] — a file buffer as an iterator of records, with or without line
//!   terminators, reporting a trailing partial record with its number.
//! * [`FieldError`] (stable [`ErrorCode`]s) and [`RecordVerdict`] — the per-record report
//!   contract: `{"record": N, "status": "valid"|"invalid", "errors": [...]}`.
//!
//! ## Privacy
//!
//! Fields hold SSNs, names and account numbers. No error message, `Display` or `Debug`
//! of this crate ever contains field content; an error says *where* (record, field,
//! position) and *what* (code, byte class and offset). The offending bytes are reachable
//! only through [`FieldError::bad_bytes`].
//!
//! ## Example
//!
//! ```
//! use ivd_fixed::{DateBlank, Encoding, Field, FieldKind, Layout, RecordWriter};
//! use time::macros::date;
//!
//! // A small layout, declared once as static data and checked at compile time.
//! static PAYMENT: Layout = Layout::new("PAYMENT", 40, &[
//!     Field::new("record_type", 1, 2, FieldKind::Literal("P1")),
//!     Field::new("ssn", 3, 9, FieldKind::NUMBER),
//!     Field::new("last_name", 12, 12, FieldKind::REQUIRED_TEXT),
//!     Field::new("paid_on", 24, 8, FieldKind::Date { blank: DateBlank::Spaces }),
//!     Field::new("amount", 32, 7, FieldKind::ZonedAmount { decimals: 2 }),
//!     Field::new("filler", 39, 2, FieldKind::Filler),
//! ]);
//! const _: () = PAYMENT.assert_valid();
//!
//! let bytes = b"P1000001234O'BRIEN-LEE 20250131001250}  ";
//!
//! // Read: typed, zero-copy.
//! let rec = PAYMENT.read(bytes)?;
//! assert_eq!(rec.text("last_name")?, "O'BRIEN-LEE");
//! assert_eq!(rec.number("ssn")?, 1234);
//! assert_eq!(rec.date("paid_on")?, Some(date!(2025 - 01 - 31)));
//! assert_eq!(rec.amount("amount")?, -12_500); // -125.00: zoned overpunch '}' = -0
//! assert!(PAYMENT.read_all(bytes).is_empty());
//!
//! // Write it back with the same table: byte-identical.
//! let mut w = RecordWriter::new(&PAYMENT);
//! w.number("ssn", rec.number("ssn")?)?
//!     .text("last_name", rec.text("last_name")?)?
//!     .date("paid_on", rec.date("paid_on")?)?
//!     .amount("amount", rec.amount("amount")?)?;
//! assert_eq!(w.as_bytes(), bytes);
//! assert_eq!(PAYMENT.rewrite(bytes).unwrap(), bytes); // the same, generically
//!
//! // EBCDIC: translate, then read with the same layout.
//! let ebcdic = w.finish_encoded(Encoding::Ebcdic037);
//! let mut buf = Vec::new();
//! let ascii = Encoding::Ebcdic037.decode_into(&ebcdic, &mut buf);
//! assert_eq!(ascii, bytes);
//!
//! // A per-record verdict, as the CLI prints it.
//! let bad = b"P10000X1234O'BRIEN-LEE 20250132001250}  ";
//! assert_eq!(
//!     PAYMENT.verdict(7, bad).to_json_line(),
//!     r#"{"record": 7, "status": "invalid", "errors": [{"field": "ssn", "position": 3, "code": "NOT_NUMERIC", "message": "non-digit (letter) at byte 5 of 9; expected right-justified zero-filled digits"}, {"field": "paid_on", "position": 24, "code": "BAD_DATE", "message": "day is not valid for the month"}]}"#
//! );
//! # Ok::<(), ivd_fixed::FieldError>(())
//! ```
#![deny(missing_docs)]

mod encoding;
mod error;
mod fields;
mod layout;
mod read;
mod split;
mod stream;
mod verdict;
mod write;

pub use encoding::{ASCII_TO_EBCDIC037, EBCDIC037_TO_ASCII, Encoding};
pub use error::{ErrorCode, FieldError};
pub use fields::{FieldReader, FieldWriter};
pub use layout::{DateBlank, Field, FieldId, FieldKind, Layout, LayoutError};
pub use read::{Record, Value, is_printable_ascii, trim_padding, unpadded_len};
pub use split::{Framing, RawRecord, Records, split_records};
pub use stream::{Frame, Framer, RecordStream, StreamItem, StreamProblem};
pub use verdict::RecordVerdict;
pub use write::RecordWriter;
