//! How one CSENet field type maps onto an `ivd-fixed` field kind and a Rust value, and the
//! `block!` macro that declares a data block once: its layout table, its typed struct, and
//! the reader and writer that walk the table in order.
//!
//! CSENet has two field types, `A/N` and `N` (IGD Appendix C). We split `N` by meaning:
//!
//! | codec | IGD type | `FieldKind` | Rust value | blank |
//! |---|---|---|---|---|
//! | [`Text`] | A/N | `Text` (optional) | `CompactString`, trailing spaces trimmed, leading kept | `""` |
//! | [`Digits`] | N (ids, ZIP, phone, FIPS, counts) | `Number { blank_allowed }` | `CompactString` of exactly the field's width | `""` |
//! | [`Date8`] | N(8) dates | `Date { blank: Spaces }` | `Option<time::Date>` | `None` |
//! | [`Cents`] | N(12) amounts | `Number { blank_allowed }` | `Option<i64>`, 2 implied decimals | `None` |
//! | [`SignedCents`] | N(12) that may be negative | `Text` | `Option<i64>`, leading `-` | `None` |
//! | [`LongDigits`] | N(20) (bank account) | `Text` | `CompactString` of 20 digits | `""` |
//!
//! Every field of every block is syntactically optional: the IGD's "R" flags are
//! conditional on the transaction (see `codes`), so they are enforced by
//! [`crate::Transaction::check_rules`], not by the layout.

use compact_str::CompactString;
use ivd_fixed::{DateBlank, ErrorCode, FieldError, FieldKind, Record, RecordWriter};
use time::Date;

/// A field codec: the kind in the layout and the typed value in the block struct.
pub(crate) trait Codec {
    /// The Rust value.
    type Value: Default + Clone + PartialEq + Eq;
    /// The `ivd-fixed` field kind.
    const KIND: FieldKind;
    /// Reads field `i` of `rec`.
    fn read(rec: &Record<'_>, i: usize) -> Result<Self::Value, FieldError>;
    /// The fast path of [`Codec::read`], for a field whose bytes are already known to be
    /// printable ASCII (`field` is the whole, untrimmed field): `Some(value)` exactly when
    /// `read` would return `Ok(value)`, `None` when the field is not valid (or is a case
    /// left to `read`), so the caller falls back to `read` for the error. Skipping the
    /// per-field UTF-8 check and field look-up is the point; a `None` is never wrong.
    fn read_ascii(field: &str) -> Option<Self::Value>;
    /// Writes `v` into field `i`.
    fn write(w: &mut RecordWriter<'_>, i: usize, v: &Self::Value) -> Result<(), FieldError>;
    /// Whether the value is blank (for redacting `Debug`).
    fn is_blank(v: &Self::Value) -> bool;
}

fn field_of<'l>(w: &RecordWriter<'l>, i: usize) -> Option<&'l ivd_fixed::Field> {
    w.layout().fields.get(i)
}

fn write_error(w: &RecordWriter<'_>, i: usize, code: ErrorCode, msg: &str) -> FieldError {
    match field_of(w, i) {
        Some(f) => FieldError::new(code, f.name, f.start, msg),
        None => FieldError::unpositioned(ErrorCode::UNKNOWN_FIELD, "record", msg),
    }
}

/// `Some(block as &str)` when every byte of `bytes` is printable ASCII (0x20–0x7E), the
/// common case: then one UTF-8 check covers every field of the block, and the codecs'
/// [`Codec::read_ascii`] fast paths can slice it. `None` sends every field through the
/// per-field checks of [`Codec::read`], which name the offending field.
#[inline]
pub(crate) fn printable_ascii(bytes: &[u8]) -> Option<&str> {
    if ivd_fixed::is_printable_ascii(bytes) {
        // Printable ASCII is valid UTF-8; `simdutf8` confirms it for the type system at a
        // fraction of `std::str::from_utf8`'s cost per byte.
        simdutf8::basic::from_utf8(bytes).ok()
    } else {
        None
    }
}

#[inline]
fn all_digits(field: &str) -> bool {
    field.bytes().all(|b| b.is_ascii_digit())
}

#[inline]
fn all_spaces(field: &str) -> bool {
    field.bytes().all(|b| b == b' ')
}

/// Value of an all-digit field of at most 19 digits (the caller has checked both).
#[inline]
fn digit_value(field: &str) -> u64 {
    field.bytes().fold(0u64, |v, b| {
        v.wrapping_mul(10).wrapping_add(u64::from(b - b'0'))
    })
}

/// `A/N`: left-justified, space-padded text.
pub(crate) struct Text;
impl Codec for Text {
    type Value = CompactString;
    const KIND: FieldKind = FieldKind::TEXT;
    fn read(rec: &Record<'_>, i: usize) -> Result<CompactString, FieldError> {
        rec.text(i).map(CompactString::from)
    }
    // Inlined into every field of every block: a call per field cost more than the
    // trim and copy it wraps.
    #[inline(always)]
    fn read_ascii(field: &str) -> Option<CompactString> {
        // Optional text: any printable ASCII is valid.
        Some(ivd_fixed::trim_padding(field).into())
    }
    fn write(w: &mut RecordWriter<'_>, i: usize, v: &CompactString) -> Result<(), FieldError> {
        w.text(i, v).map(|_| ())
    }
    fn is_blank(v: &CompactString) -> bool {
        v.trim().is_empty()
    }
}

/// `N` identifiers and codes kept as their digits (SSN, ZIP, phone, FIPS, EIN, counts):
/// read as the full-width digit string, written right-justified and zero-filled.
pub(crate) struct Digits;
impl Codec for Digits {
    type Value = CompactString;
    const KIND: FieldKind = FieldKind::Number {
        blank_allowed: true,
    };
    fn read(rec: &Record<'_>, i: usize) -> Result<CompactString, FieldError> {
        match rec.number_opt(i)? {
            None => Ok(CompactString::default()),
            // Checked digits, so ASCII: one exact-size allocation, no per-char push.
            Some(_) => Ok(CompactString::from_utf8_lossy(rec.raw(i)?)),
        }
    }
    #[inline(always)]
    fn read_ascii(field: &str) -> Option<CompactString> {
        // `ivd-fixed` numbers: at most 19 digits (layouts are validated), all digits, or
        // all spaces when blank.
        if field.len() > 19 {
            None
        } else if all_digits(field) {
            Some(field.into())
        } else if all_spaces(field) {
            Some(CompactString::default())
        } else {
            None
        }
    }
    fn write(w: &mut RecordWriter<'_>, i: usize, v: &CompactString) -> Result<(), FieldError> {
        if v.is_empty() {
            return w.clear(i).map(|_| ());
        }
        if !v.bytes().all(|b| b.is_ascii_digit()) {
            return Err(write_error(
                w,
                i,
                ErrorCode::NOT_NUMERIC,
                "value must be digits only",
            ));
        }
        let width = field_of(w, i).map_or(0, |f| f.len);
        let significant = v.trim_start_matches('0');
        if v.len() > width && significant.len() > width {
            return Err(write_error(
                w,
                i,
                ErrorCode::OVERFLOW,
                "value has more digits than the field",
            ));
        }
        // At most 19 significant digits (layouts are validated), so this fits u64.
        let n = significant.parse::<u64>().unwrap_or(0);
        w.number(i, n).map(|_| ())
    }
    fn is_blank(v: &CompactString) -> bool {
        v.is_empty()
    }
}

/// `N(8)` `CCYYMMDD` dates; all spaces or all zeros read as no date, which is written
/// as spaces.
pub(crate) struct Date8;
impl Codec for Date8 {
    type Value = Option<Date>;
    const KIND: FieldKind = FieldKind::Date {
        blank: DateBlank::Spaces,
    };
    fn read(rec: &Record<'_>, i: usize) -> Result<Option<Date>, FieldError> {
        rec.date(i)
    }
    fn read_ascii(field: &str) -> Option<Option<Date>> {
        // `DateBlank::Spaces`: all spaces or all zeros is no date; otherwise eight
        // digits CCYYMMDD making a calendar date.
        if all_spaces(field) || field.bytes().all(|b| b == b'0') {
            return Some(None);
        }
        if field.len() != 8 || !all_digits(field) {
            return None;
        }
        let n = digit_value(field);
        let year = i32::try_from(n / 10_000).ok()?;
        let month = time::Month::try_from(u8::try_from((n / 100) % 100).ok()?).ok()?;
        let day = u8::try_from(n % 100).ok()?;
        Date::from_calendar_date(year, month, day).ok().map(Some)
    }
    fn write(w: &mut RecordWriter<'_>, i: usize, v: &Option<Date>) -> Result<(), FieldError> {
        w.date(i, *v).map(|_| ())
    }
    fn is_blank(v: &Option<Date>) -> bool {
        v.is_none()
    }
}

/// `N(12)` amounts: zero-filled digits with 2 implied decimals, in cents; blank = `None`.
pub(crate) struct Cents;
impl Codec for Cents {
    type Value = Option<i64>;
    const KIND: FieldKind = FieldKind::Number {
        blank_allowed: true,
    };
    fn read(rec: &Record<'_>, i: usize) -> Result<Option<i64>, FieldError> {
        // 12 digits always fit in i64.
        Ok(rec
            .number_opt(i)?
            .map(|n| i64::try_from(n).unwrap_or(i64::MAX)))
    }
    fn read_ascii(field: &str) -> Option<Option<i64>> {
        if field.len() > 19 {
            None
        } else if all_digits(field) {
            Some(Some(i64::try_from(digit_value(field)).unwrap_or(i64::MAX)))
        } else if all_spaces(field) {
            Some(None)
        } else {
            None
        }
    }
    fn write(w: &mut RecordWriter<'_>, i: usize, v: &Option<i64>) -> Result<(), FieldError> {
        match *v {
            None => w.clear(i).map(|_| ()),
            Some(c) if c < 0 => Err(write_error(
                w,
                i,
                ErrorCode::SIGN,
                "amount cannot be negative in this field",
            )),
            Some(c) => w.number(i, c.unsigned_abs()).map(|_| ()),
        }
    }
    fn is_blank(v: &Option<i64>) -> bool {
        v.is_none()
    }
}

/// `N(12)` amount that may be negative (Order-Arrears-Total-Amount). The IGD does not say
/// how the sign is encoded; we read and write a leading `-` followed by 11 zero-filled
/// digits, and plain 12 digits for zero and positive values. Declared as text so that
/// the `-` is not a syntax error in the layout.
pub(crate) struct SignedCents;
impl SignedCents {
    fn decode(raw: &[u8]) -> Result<Option<i64>, &'static str> {
        if raw.iter().all(|&b| b == b' ') {
            return Ok(None);
        }
        let (neg, digits) = match raw.split_first() {
            Some((b'-', rest)) => (true, rest),
            _ => (false, raw),
        };
        if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
            return Err("expected zero-filled digits, optionally after a leading '-'");
        }
        let mut v: i64 = 0;
        for &d in digits {
            v = v
                .checked_mul(10)
                .and_then(|v| v.checked_add(i64::from(d - b'0')))
                .ok_or("too many digits")?;
        }
        Ok(Some(if neg { -v } else { v }))
    }
}
impl Codec for SignedCents {
    type Value = Option<i64>;
    const KIND: FieldKind = FieldKind::TEXT;
    fn read(rec: &Record<'_>, i: usize) -> Result<Option<i64>, FieldError> {
        let raw = rec.raw(i)?;
        rec.value(i)?; // printable ASCII
        Self::decode(raw).map_err(|msg| {
            let (name, start) = rec
                .layout()
                .fields
                .get(i)
                .map_or(("record", 1), |f| (f.name, f.start));
            FieldError::new(ErrorCode::NOT_NUMERIC, name, start, msg).with_bad_bytes(raw)
        })
    }
    fn read_ascii(field: &str) -> Option<Option<i64>> {
        Self::decode(field.as_bytes()).ok()
    }
    fn write(w: &mut RecordWriter<'_>, i: usize, v: &Option<i64>) -> Result<(), FieldError> {
        let width = field_of(w, i).map_or(0, |f| f.len);
        let s = match *v {
            None => String::new(),
            Some(c) if c < 0 => format!("-{:0>1$}", c.unsigned_abs(), width.saturating_sub(1)),
            Some(c) => format!("{c:0>width$}"),
        };
        if s.len() > width {
            return Err(write_error(
                w,
                i,
                ErrorCode::OVERFLOW,
                "amount has more digits than the field",
            ));
        }
        w.text(i, &s).map(|_| ())
    }
    fn is_blank(v: &Option<i64>) -> bool {
        v.is_none()
    }
}

/// `N(20)` (Send-Payments-Bank-Account): longer than the 19 digits `ivd-fixed` numbers
/// hold, so declared as text and checked for digits here.
pub(crate) struct LongDigits;
impl Codec for LongDigits {
    type Value = CompactString;
    const KIND: FieldKind = FieldKind::TEXT;
    fn read(rec: &Record<'_>, i: usize) -> Result<CompactString, FieldError> {
        let raw = rec.raw(i)?;
        rec.value(i)?;
        if raw.iter().all(|&b| b == b' ') {
            return Ok(CompactString::default());
        }
        match raw.iter().position(|b| !b.is_ascii_digit()) {
            None => Ok(raw.iter().map(|&b| char::from(b)).collect()),
            Some(at) => {
                let (name, start) = rec
                    .layout()
                    .fields
                    .get(i)
                    .map_or(("record", 1), |f| (f.name, f.start));
                Err(FieldError::new(
                    ErrorCode::NOT_NUMERIC,
                    name,
                    start,
                    format!(
                        "non-digit at byte {} of {}; expected right-justified zero-filled digits",
                        at + 1,
                        raw.len()
                    ),
                )
                .with_bad_bytes(raw))
            }
        }
    }
    fn read_ascii(field: &str) -> Option<CompactString> {
        if all_spaces(field) {
            Some(CompactString::default())
        } else if all_digits(field) {
            Some(field.into())
        } else {
            None
        }
    }
    fn write(w: &mut RecordWriter<'_>, i: usize, v: &CompactString) -> Result<(), FieldError> {
        let width = field_of(w, i).map_or(0, |f| f.len);
        if v.is_empty() {
            return w.clear(i).map(|_| ());
        }
        if !v.bytes().all(|b| b.is_ascii_digit()) {
            return Err(write_error(
                w,
                i,
                ErrorCode::NOT_NUMERIC,
                "value must be digits only",
            ));
        }
        if v.len() > width {
            return Err(write_error(
                w,
                i,
                ErrorCode::OVERFLOW,
                "value has more digits than the field",
            ));
        }
        w.text(i, &format!("{v:0>width$}")).map(|_| ())
    }
    fn is_blank(v: &CompactString) -> bool {
        v.is_empty()
    }
}

/// Moves a block-relative error to its place in the whole record: the field is prefixed
/// with the block (`PARTICIPANT[2].SSN`) and the position shifted by the block's offset.
///
/// `block` is formatted only here, on the error path: a valid record never builds its
/// `PARTICIPANT[n]` labels.
pub(crate) fn relocate(
    mut e: FieldError,
    block: impl std::fmt::Display,
    offset: usize,
) -> FieldError {
    e.field = format!("{block}.{}", e.field).into();
    e.position = e.position.map(|p| p + offset);
    e
}

/// Declares one data block: `pub static $LAYOUT`, `pub struct $Name` with one typed field
/// per layout field (in order, serde `Serialize` and `Deserialize` in the JSON form of
/// `crate::json`), `read_block` and `write_block`.
macro_rules! block {
    (
        $(#[$meta:meta])*
        $name:ident, $layout:ident = ($lname:literal, $len:literal) {
            $(
                $(#[$fmeta:meta])*
                $field:ident : $codec:ident = ($fname:literal, $start:literal, $flen:literal)
            ),+ $(,)?
        }
    ) => {
        #[doc = concat!("Layout of the ", $lname, " block (", stringify!($len), " bytes), positions as IGD Appendix C prints them.")]
        pub static $layout: ivd_fixed::Layout = ivd_fixed::Layout::new($lname, $len, &[
            $( ivd_fixed::Field::new($fname, $start, $flen, <$crate::codec::$codec as $crate::codec::Codec>::KIND), )+
        ]);
        const _: () = $layout.assert_valid();

        $(#[$meta])*
        ///
        /// `Debug` prints which fields are set, never their values (they include SSNs,
        /// names and addresses).
        ///
        /// JSON (crate docs, *JSON form*): camelCase field names, blank fields left out.
        #[derive(Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
        #[serde(rename_all = "camelCase", deny_unknown_fields)]
        pub struct $name {
            $(
                $(#[$fmeta])*
                #[doc = concat!("`", $fname, "`: positions ", stringify!($start), ", ", stringify!($flen), " bytes.")]
                #[serde(default, with = "crate::json::field", skip_serializing_if = "crate::json::field::is_blank")]
                pub $field: $crate::codec::value_type!($codec),
            )+
        }

        impl std::fmt::Debug for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                let mut set: Vec<&str> = Vec::new();
                $(
                    if !<$crate::codec::$codec as $crate::codec::Codec>::is_blank(&self.$field) {
                        set.push($fname);
                    }
                )+
                f.debug_struct(stringify!($name))
                    .field("fields_set", &set)
                    .finish_non_exhaustive()
            }
        }

        impl $name {
            /// Reads the block from exactly its length of bytes (the caller has checked the
            /// length); errors are relocated to `offset` in the record and named `label`.
            ///
            /// With `fast`, one printable/UTF-8 check covers the whole block and each
            /// field takes its codec's [`read_ascii`](crate::codec::Codec::read_ascii) fast
            /// path, falling back to the checked [`read`](crate::codec::Codec::read) (which
            /// builds the error) only when the fast path does not accept the field.
            /// Without, every field goes through `read`: the reference the tests compare
            /// the fast path with. The result is the same either way.
            #[allow(unused_assignments)]
            #[inline]
            pub(crate) fn read_block(
                bytes: &[u8],
                label: impl std::fmt::Display + Copy,
                offset: usize,
                errors: &mut Vec<ivd_fixed::FieldError>,
                fast: bool,
            ) -> Self {
                let rec = match $layout.read(bytes) {
                    Ok(r) => r,
                    Err(e) => {
                        errors.push($crate::codec::relocate(e, label, offset));
                        return Self::default();
                    }
                };
                let ascii = if fast { $crate::codec::printable_ascii(bytes) } else { None };
                let mut i = 0usize;
                $(
                    let quick = ascii
                        .and_then(|s| s.get($start - 1..$start - 1 + $flen))
                        .and_then(<$crate::codec::$codec as $crate::codec::Codec>::read_ascii);
                    let $field = match quick {
                        Some(v) => v,
                        None => match <$crate::codec::$codec as $crate::codec::Codec>::read(&rec, i) {
                            Ok(v) => v,
                            Err(e) => {
                                errors.push($crate::codec::relocate(e, label, offset));
                                Default::default()
                            }
                        },
                    };
                    i += 1;
                )+
                Self { $($field),+ }
            }

            /// Appends the block to `out`; errors are relocated like `read_block`'s.
            #[allow(unused_assignments)]
            pub(crate) fn write_block(
                &self,
                out: &mut Vec<u8>,
                label: &str,
                errors: &mut Vec<ivd_fixed::FieldError>,
            ) {
                let offset = out.len();
                let mut w = ivd_fixed::RecordWriter::new(&$layout);
                let mut i = 0usize;
                $(
                    if let Err(e) = <$crate::codec::$codec as $crate::codec::Codec>::write(&mut w, i, &self.$field) {
                        errors.push($crate::codec::relocate(e, label, offset));
                    }
                    i += 1;
                )+
                out.extend_from_slice(w.as_bytes());
            }
        }
    };
}
pub(crate) use block;

/// The public Rust type of a codec's value (so public struct fields do not name the
/// private `Codec` trait).
macro_rules! value_type {
    (Text) => { compact_str::CompactString };
    (Digits) => { compact_str::CompactString };
    (LongDigits) => { compact_str::CompactString };
    (Date8) => { Option<time::Date> };
    (Cents) => { Option<i64> };
    (SignedCents) => { Option<i64> };
}
pub(crate) use value_type;
