//! Reading: zero-copy, typed access to the fields of one record.
//!
//! [`Layout::read`] checks only the record length and returns a [`Record`] that borrows
//! the bytes; each accessor decodes its one field on demand, without allocating (text is
//! a `&str` into the record). [`Layout::read_all`] / [`Record::errors`] check every field
//! and collect every error, for per-record verdicts. Errors allocate; valid data never
//! does.

use time::{Date, Month};

use crate::error::{ErrorCode, FieldError, byte_class};
use crate::layout::{DateBlank, Field, FieldId, FieldKind, Layout};
use crate::verdict::RecordVerdict;

/// A decoded field value, as [`Record::value`] returns it and [`crate::RecordWriter::set`]
/// takes it.
///
/// Not redacted: it is the caller's data. Do not log values of personal fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Value<'a> {
    /// A blank number or date, or a filler.
    Blank,
    /// Text with trailing spaces trimmed, or a literal's constant.
    Text(&'a str),
    /// A number field.
    Number(u64),
    /// A date field.
    Date(Date),
    /// Any amount kind, in minor units.
    Amount(i64),
}

/// One record, read against its layout. Borrows the record bytes; copying is cheap.
#[derive(Debug, Clone, Copy)]
pub struct Record<'a> {
    layout: &'a Layout,
    bytes: &'a [u8],
    record: Option<u64>,
}

impl Layout {
    /// Reads one record (ASCII bytes; decode EBCDIC first with
    /// [`crate::Encoding::decode_into`]). Only the length is checked here: a wrong
    /// length is a record-level `LENGTH` error without position. Fields are decoded and
    /// checked by the accessors of [`Record`].
    pub fn read<'a>(&'a self, record: &'a [u8]) -> Result<Record<'a>, FieldError> {
        if record.len() != self.record_len {
            return Err(length_error(self, record.len()));
        }
        Ok(Record {
            layout: self,
            bytes: record,
            record: None,
        })
    }

    /// Checks every field of `record` and returns every error (empty when valid; a wrong
    /// length gives the single `LENGTH` error). Does not allocate for a valid record.
    pub fn read_all(&self, record: &[u8]) -> Vec<FieldError> {
        match self.read(record) {
            Ok(r) => r.errors(),
            Err(e) => vec![e],
        }
    }

    /// The verdict for record number `record` (1-based): [`Layout::read_all`] wrapped in a
    /// [`RecordVerdict`].
    pub fn verdict(&self, record: u64, bytes: &[u8]) -> RecordVerdict {
        RecordVerdict::new(record, self.read_all(bytes))
    }

    /// Reads every field and writes it back: the canonical form of the record. For a
    /// record already in canonical form (every committed sample should be) the result
    /// is byte-identical — the round-trip test each adapter runs over its samples.
    pub fn rewrite(&self, record: &[u8]) -> Result<Vec<u8>, Vec<FieldError>> {
        let rec = self.read(record).map_err(|e| vec![e])?;
        let errors = rec.errors();
        if !errors.is_empty() {
            return Err(errors);
        }
        let mut w = crate::RecordWriter::new(self);
        for i in 0..self.fields.len() {
            let v = rec.value(i).map_err(|e| vec![e])?;
            w.set(i, v).map_err(|e| vec![e])?;
        }
        Ok(w.finish())
    }
}

fn length_error(layout: &Layout, got: usize) -> FieldError {
    FieldError::record_level(
        ErrorCode::LENGTH,
        format!(
            "record is {got} bytes, layout {} needs {}",
            layout.name, layout.record_len
        ),
    )
}

impl<'a> Record<'a> {
    /// The layout this record is read with.
    pub fn layout(&self) -> &'a Layout {
        self.layout
    }

    /// The whole record's bytes.
    pub fn as_bytes(&self) -> &'a [u8] {
        self.bytes
    }

    /// Sets the 1-based record number carried into every error from this record.
    #[must_use]
    pub fn with_record(mut self, record: u64) -> Self {
        self.record = Some(record);
        self
    }

    /// The record number, if set.
    pub fn record_number(&self) -> Option<u64> {
        self.record
    }

    fn numbered(&self, e: FieldError) -> FieldError {
        match self.record {
            Some(n) => e.with_record(n),
            None => e,
        }
    }

    fn resolve(&self, id: impl FieldId) -> Result<(&'a Field, &'a [u8]), FieldError> {
        let layout: &'a Layout = self.layout;
        let Some(i) = id.index_in(layout) else {
            return Err(self.numbered(FieldError::unpositioned(
                ErrorCode::UNKNOWN_FIELD,
                id.describe(),
                format!("no such field in layout {}", layout.name),
            )));
        };
        let f = &layout.fields[i];
        match self.bytes.get(f.range()) {
            Some(b) => Ok((f, b)),
            None => Err(self.numbered(FieldError::new(
                ErrorCode::LENGTH,
                f.name,
                f.start,
                "field lies outside the record (layout not validated?)",
            ))),
        }
    }

    /// The raw bytes of a field (untrimmed, unchecked).
    pub fn raw(&self, id: impl FieldId) -> Result<&'a [u8], FieldError> {
        self.resolve(id).map(|(_, b)| b)
    }

    /// Decodes and checks one field of any kind.
    pub fn value(&self, id: impl FieldId) -> Result<Value<'a>, FieldError> {
        let (f, b) = self.resolve(id)?;
        decode(f, b).map_err(|e| self.numbered(e))
    }

    fn wrong_kind(&self, f: &Field, wanted: &str) -> FieldError {
        self.numbered(FieldError::new(
            ErrorCode::WRONG_KIND,
            f.name,
            f.start,
            format!("field is {}, read as {wanted}", f.kind.name()),
        ))
    }

    /// A text (or literal) field, trailing spaces trimmed; `""` when blank and optional.
    pub fn text(&self, id: impl FieldId) -> Result<&'a str, FieldError> {
        let (f, b) = self.resolve(id)?;
        match f.kind {
            FieldKind::Text { .. } | FieldKind::Literal(_) => match decode(f, b) {
                Ok(Value::Text(s)) => Ok(s),
                Ok(_) => Err(self.wrong_kind(f, "text")),
                Err(e) => Err(self.numbered(e)),
            },
            _ => Err(self.wrong_kind(f, "text")),
        }
    }

    /// A number field; `None` when blank and blanks are allowed.
    pub fn number_opt(&self, id: impl FieldId) -> Result<Option<u64>, FieldError> {
        let (f, b) = self.resolve(id)?;
        match f.kind {
            FieldKind::Number { .. } => match decode(f, b) {
                Ok(Value::Number(n)) => Ok(Some(n)),
                Ok(_) => Ok(None),
                Err(e) => Err(self.numbered(e)),
            },
            _ => Err(self.wrong_kind(f, "number")),
        }
    }

    /// A number field; a blank (where allowed) is a `REQUIRED` error here — use
    /// [`Record::number_opt`] for optional numbers.
    pub fn number(&self, id: impl FieldId) -> Result<u64, FieldError> {
        let (f, _) = self.resolve(id)?;
        self.number_opt(id)?.ok_or_else(|| {
            self.numbered(FieldError::new(
                ErrorCode::REQUIRED,
                f.name,
                f.start,
                "number is blank",
            ))
        })
    }

    /// A date field; `None` when blank (all spaces or all zeros) and blanks are allowed.
    pub fn date(&self, id: impl FieldId) -> Result<Option<Date>, FieldError> {
        let (f, b) = self.resolve(id)?;
        match f.kind {
            FieldKind::Date { .. } => match decode(f, b) {
                Ok(Value::Date(d)) => Ok(Some(d)),
                Ok(_) => Ok(None),
                Err(e) => Err(self.numbered(e)),
            },
            _ => Err(self.wrong_kind(f, "date")),
        }
    }

    /// Any amount kind, in minor units (implied decimals: see [`FieldKind::decimals`]).
    pub fn amount(&self, id: impl FieldId) -> Result<i64, FieldError> {
        let (f, b) = self.resolve(id)?;
        match f.kind.decimals() {
            Some(_) => match decode(f, b) {
                Ok(Value::Amount(a)) => Ok(a),
                Ok(_) => Err(self.wrong_kind(f, "amount")),
                Err(e) => Err(self.numbered(e)),
            },
            None => Err(self.wrong_kind(f, "amount")),
        }
    }

    /// Checks every field and returns every error, in field order.
    pub fn errors(&self) -> Vec<FieldError> {
        let mut out = Vec::new();
        self.collect_errors(&mut out);
        out
    }

    /// Like [`Record::errors`], appending to `out` (reuse one vector across records).
    pub fn collect_errors(&self, out: &mut Vec<FieldError>) {
        for i in 0..self.layout.fields.len() {
            if let Err(e) = self.value(i) {
                out.push(e);
            }
        }
    }

    /// `true` when every field is valid (stops at the first error, allocates nothing
    /// for a valid record).
    pub fn is_valid(&self) -> bool {
        (0..self.layout.fields.len()).all(|i| self.value(i).is_ok())
    }
}

fn field_err(f: &Field, code: ErrorCode, msg: impl Into<String>, bytes: &[u8]) -> FieldError {
    FieldError::new(code, f.name, f.start, msg).with_bad_bytes(bytes)
}

/// Parses all-digit bytes; `Err(i)` is the offset of the first non-digit.
#[inline]
fn digits(bytes: &[u8]) -> Result<u64, usize> {
    let mut v: u64 = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let d = b.wrapping_sub(b'0');
        if d > 9 {
            return Err(i);
        }
        // A validated layout never has more than 19 digits, which always fit in u64;
        // wrapping here would only hit unvalidated tables, caught below by the caller.
        v = v.wrapping_mul(10).wrapping_add(u64::from(d));
    }
    Ok(v)
}

fn not_numeric(f: &Field, bytes: &[u8], field_bytes: &[u8], at: usize) -> FieldError {
    field_err(
        f,
        ErrorCode::NOT_NUMERIC,
        format!(
            "non-digit ({}) at byte {} of {}; expected right-justified zero-filled digits",
            byte_class(bytes[at]),
            at + 1,
            bytes.len()
        ),
        field_bytes,
    )
}

fn amount_digits(f: &Field, digit_bytes: &[u8], field_bytes: &[u8]) -> Result<i64, FieldError> {
    if digit_bytes.len() > 18 {
        return Err(field_err(
            f,
            ErrorCode::OVERFLOW,
            "more than 18 digits",
            field_bytes,
        ));
    }
    match digits(digit_bytes) {
        // At most 18 digits: always fits in i64.
        Ok(v) => Ok(v as i64),
        Err(at) => Err(not_numeric(f, digit_bytes, field_bytes, at)),
    }
}

/// `text` without its trailing spaces (leading spaces are kept): the value of a
/// space-padded text field whose bytes the caller already holds as `&str`.
///
/// ```
/// assert_eq!(ivd_fixed::trim_padding("  MAIN ST     "), "  MAIN ST");
/// ```
#[inline]
pub fn trim_padding(text: &str) -> &str {
    text.get(..unpadded_len(text.as_bytes()))
        .unwrap_or_default()
}

/// Length of `b` without its trailing spaces. Text fields are mostly padding (and often
/// wholly blank), so the padding is skipped eight bytes at a time, and the last
/// non-space byte of the first word that is not all spaces is found from its bits
/// rather than byte by byte; only a field's first `len % 8` bytes are looked at singly.
///
/// ```
/// assert_eq!(ivd_fixed::unpadded_len(b"  MAIN ST     "), 9);
/// ```
#[inline]
pub fn unpadded_len(b: &[u8]) -> usize {
    const SPACES: u64 = u64::from_le_bytes([b' '; 8]);
    let mut end = b.len();
    let mut words = b.rchunks_exact(8);
    for word in &mut words {
        let differs = word.try_into().map_or(0, u64::from_le_bytes) ^ SPACES;
        if differs != 0 {
            // Little-endian: the word's last byte is its most significant, so the
            // leading zero bytes of `differs` are the word's trailing spaces.
            return end - (differs.leading_zeros() / 8) as usize;
        }
        end -= 8;
    }
    words
        .remainder()
        .iter()
        .rposition(|&c| c != b' ')
        .map_or(0, |last| last + 1)
}

fn is_all(bytes: &[u8], c: u8) -> bool {
    bytes.iter().all(|&b| b == c)
}

/// Whether every byte is printable ASCII (0x20–0x7E): the check every reader makes of a
/// text field, a block or a whole record. Branch-free, so the compiler vectorises it;
/// which byte is at fault is the caller's question, asked only when this fails.
///
/// ```
/// assert!(ivd_fixed::is_printable_ascii(b"MAIN ST ~"));
/// assert!(!ivd_fixed::is_printable_ascii(b"TAB\there"));
/// ```
#[inline]
pub fn is_printable_ascii(bytes: &[u8]) -> bool {
    bytes
        .iter()
        .fold(true, |ok, &c| ok & (c.wrapping_sub(0x20) < 0x5F))
}

/// Decodes and checks one field. The single place that knows every kind's encoding on
/// the read side (the writer mirrors it in `write.rs`).
pub(crate) fn decode<'a>(f: &Field, b: &'a [u8]) -> Result<Value<'a>, FieldError> {
    match f.kind {
        FieldKind::Text { required } => {
            // The offending offset is looked up only on error.
            if !is_printable_ascii(b) {
                let at = b
                    .iter()
                    .position(|&c| !(0x20..=0x7E).contains(&c))
                    .unwrap_or(0);
                return Err(field_err(
                    f,
                    ErrorCode::NOT_TEXT,
                    format!(
                        "{} at byte {} of {}; text must be printable ASCII",
                        byte_class(b[at]),
                        at + 1,
                        b.len()
                    ),
                    b,
                ));
            }
            let end = unpadded_len(b);
            if required && end == 0 {
                return Err(field_err(
                    f,
                    ErrorCode::REQUIRED,
                    "required text is blank",
                    b,
                ));
            }
            // Printable ASCII is always valid UTF-8.
            std::str::from_utf8(&b[..end])
                .map(Value::Text)
                .map_err(|_| field_err(f, ErrorCode::NOT_TEXT, "not ASCII", b))
        }
        FieldKind::Number { blank_allowed } => {
            if b.len() > 19 {
                return Err(field_err(f, ErrorCode::OVERFLOW, "more than 19 digits", b));
            }
            match digits(b) {
                Ok(n) => Ok(Value::Number(n)),
                Err(_) if blank_allowed && is_all(b, b' ') => Ok(Value::Blank),
                Err(at) => Err(not_numeric(f, b, b, at)),
            }
        }
        FieldKind::Date { blank } => {
            if blank != DateBlank::Never && (is_all(b, b' ') || is_all(b, b'0')) {
                return Ok(Value::Blank);
            }
            if is_all(b, b' ') || is_all(b, b'0') {
                return Err(field_err(
                    f,
                    ErrorCode::REQUIRED,
                    "required date is blank",
                    b,
                ));
            }
            parse_date(b)
                .map(Value::Date)
                .map_err(|msg| field_err(f, ErrorCode::BAD_DATE, msg, b))
        }
        FieldKind::Amount { .. } => amount_digits(f, b, b).map(Value::Amount),
        FieldKind::SignedAmount { .. } => {
            let Some((&sign, rest)) = b.split_first() else {
                return Err(field_err(f, ErrorCode::SIGN, "no room for a sign", b));
            };
            let neg = sign_of(f, sign, "first", b)?;
            let v = amount_digits(f, rest, b)?;
            Ok(Value::Amount(if neg { -v } else { v }))
        }
        FieldKind::TrailingSignAmount { .. } => {
            let Some((&sign, rest)) = b.split_last() else {
                return Err(field_err(f, ErrorCode::SIGN, "no room for a sign", b));
            };
            let neg = sign_of(f, sign, "last", b)?;
            let v = amount_digits(f, rest, b)?;
            Ok(Value::Amount(if neg { -v } else { v }))
        }
        FieldKind::ZonedAmount { .. } => {
            let Some((&last, rest)) = b.split_last() else {
                return Err(field_err(f, ErrorCode::SIGN, "empty zoned field", b));
            };
            let Some((digit, neg)) = overpunch_decode(last) else {
                return Err(field_err(
                    f,
                    ErrorCode::SIGN,
                    format!(
                        "last byte is {}; expected a digit or an overpunch sign ({{ A-I }} J-R)",
                        byte_class(last)
                    ),
                    b,
                ));
            };
            let high = amount_digits(f, rest, b)?;
            let v = high
                .checked_mul(10)
                .and_then(|v| v.checked_add(i64::from(digit)))
                .ok_or_else(|| field_err(f, ErrorCode::OVERFLOW, "more than 18 digits", b))?;
            Ok(Value::Amount(if neg { -v } else { v }))
        }
        FieldKind::Filler => Ok(Value::Blank),
        FieldKind::Literal(lit) => {
            if b == lit.as_bytes() {
                Ok(Value::Text(lit))
            } else {
                Err(field_err(
                    f,
                    ErrorCode::LITERAL_MISMATCH,
                    format!("expected the constant {lit:?}"),
                    b,
                ))
            }
        }
    }
}

fn sign_of(f: &Field, sign: u8, which: &str, b: &[u8]) -> Result<bool, FieldError> {
    match sign {
        b'-' => Ok(true),
        b'+' => Ok(false),
        other => Err(field_err(
            f,
            ErrorCode::SIGN,
            format!(
                "{which} byte must be '+' or '-', found {}",
                byte_class(other)
            ),
            b,
        )),
    }
}

/// Zoned-decimal last byte (ASCII view of EBCDIC zones C / D / F): `(digit, negative)`.
pub(crate) fn overpunch_decode(b: u8) -> Option<(u8, bool)> {
    match b {
        b'0'..=b'9' => Some((b - b'0', false)),
        b'{' => Some((0, false)),
        b'A'..=b'I' => Some((b - b'A' + 1, false)),
        b'}' => Some((0, true)),
        b'J'..=b'R' => Some((b - b'J' + 1, true)),
        _ => None,
    }
}

fn parse_date(b: &[u8]) -> Result<Date, String> {
    if b.len() != 8 {
        return Err(format!("date field is {} bytes, CCYYMMDD needs 8", b.len()));
    }
    let n = digits(b).map_err(|at| {
        format!(
            "non-digit ({}) at byte {} of 8; expected CCYYMMDD",
            byte_class(b[at]),
            at + 1
        )
    })?;
    // Eight digits: year 0000-9999, always in range for `time` (±9999).
    let year = (n / 10_000) as i32;
    let month = ((n / 100) % 100) as u8;
    let day = (n % 100) as u8;
    let month = Month::try_from(month).map_err(|_| "month out of range 01-12".to_owned())?;
    Date::from_calendar_date(year, month, day)
        .map_err(|_| "day is not valid for the month".to_owned())
}

#[cfg(test)]
mod tests;
