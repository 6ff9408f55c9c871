//! Writing: typed values into a record, by the same layout table the reader uses.

use time::Date;

use crate::encoding::Encoding;
use crate::error::{ErrorCode, FieldError};
use crate::layout::{DateBlank, Field, FieldId, FieldKind, Layout};
use crate::read::Value;

/// Builds one record. Starts with every field at its blank (spaces for text, filler,
/// blank-allowed numbers and blank dates; zeros for numbers and amounts, `+0…`/`0…+`/
/// `0…{` for signed amounts; `0`s for [`DateBlank::Zeros`] dates) and every literal in
/// place, so unset fields are always well-formed blanks.
///
/// Setters never truncate or round: a value that does not fit is an error and leaves
/// the field unchanged.
///
/// ```
/// # use ivd_fixed::{Field, FieldKind, Layout, RecordWriter};
/// static L: Layout = Layout::new("X", 7, &[
///     Field::new("id", 1, 2, FieldKind::Literal("X1")),
///     Field::new("n", 3, 5, FieldKind::NUMBER),
/// ]);
/// let mut w = RecordWriter::new(&L);
/// w.number("n", 42)?;
/// assert_eq!(w.finish(), b"X100042");
/// # Ok::<(), ivd_fixed::FieldError>(())
/// ```
#[derive(Debug, Clone)]
pub struct RecordWriter<'l> {
    layout: &'l Layout,
    buf: Vec<u8>,
}

impl<'l> RecordWriter<'l> {
    /// A blank record of `layout`.
    pub fn new(layout: &'l Layout) -> Self {
        Self::with_buffer(layout, Vec::with_capacity(layout.record_len))
    }

    /// A blank record built in `buf` (cleared first), to reuse one allocation across
    /// records: `RecordWriter::with_buffer(&L, previous.finish())`.
    pub fn with_buffer(layout: &'l Layout, mut buf: Vec<u8>) -> Self {
        buf.clear();
        buf.resize(layout.record_len, b' ');
        let mut w = Self { layout, buf };
        for f in layout.fields {
            if let Some(slot) = w.buf.get_mut(f.range()) {
                fill_blank(f, slot);
            }
        }
        w
    }

    /// The layout being written.
    pub fn layout(&self) -> &'l Layout {
        self.layout
    }

    /// The record so far (ASCII).
    pub fn as_bytes(&self) -> &[u8] {
        &self.buf
    }

    /// The finished record (ASCII).
    pub fn finish(self) -> Vec<u8> {
        self.buf
    }

    /// The finished record in `encoding`.
    pub fn finish_encoded(mut self, encoding: Encoding) -> Vec<u8> {
        encoding.encode_in_place(&mut self.buf);
        self.buf
    }

    fn slot(&mut self, id: impl FieldId) -> Result<(&'l Field, &mut [u8]), FieldError> {
        let layout: &'l Layout = self.layout;
        let Some(i) = id.index_in(layout) else {
            return Err(FieldError::unpositioned(
                ErrorCode::UNKNOWN_FIELD,
                id.describe(),
                format!("no such field in layout {}", layout.name),
            ));
        };
        let f = &layout.fields[i];
        match self.buf.get_mut(f.range()) {
            Some(slot) => Ok((f, slot)),
            None => Err(FieldError::new(
                ErrorCode::LENGTH,
                f.name,
                f.start,
                "field lies outside the record (layout not validated?)",
            )),
        }
    }

    /// Sets a text field (left-justified, space-padded). Errors: `NOT_TEXT` for a
    /// character outside printable ASCII, `TOO_LONG` if longer than the field. For a
    /// literal field the value must equal the constant (`LITERAL_MISMATCH`).
    pub fn text(&mut self, id: impl FieldId, value: &str) -> Result<&mut Self, FieldError> {
        let (f, slot) = self.slot(id)?;
        match f.kind {
            FieldKind::Text { .. } => {
                let v = value.as_bytes();
                if let Some(at) = v.iter().position(|&c| !(0x20..=0x7E).contains(&c)) {
                    return Err(err(
                        f,
                        ErrorCode::NOT_TEXT,
                        format!("character at byte {} is not printable ASCII", at + 1),
                    ));
                }
                if v.len() > slot.len() {
                    return Err(err(
                        f,
                        ErrorCode::TOO_LONG,
                        format!("value is {} bytes, field holds {}", v.len(), slot.len()),
                    ));
                }
                slot[..v.len()].copy_from_slice(v);
                slot[v.len()..].fill(b' ');
            }
            FieldKind::Literal(lit) if lit == value => {}
            FieldKind::Literal(lit) => {
                return Err(err(
                    f,
                    ErrorCode::LITERAL_MISMATCH,
                    format!("field is the constant {lit:?}"),
                ));
            }
            _ => return Err(wrong_kind(f, "text")),
        }
        Ok(self)
    }

    /// Sets a number field (right-justified, zero-filled). `OVERFLOW` if it has more
    /// digits than the field.
    pub fn number(&mut self, id: impl FieldId, value: u64) -> Result<&mut Self, FieldError> {
        let (f, slot) = self.slot(id)?;
        match f.kind {
            FieldKind::Number { .. } => put_digits(f, slot, value)?,
            _ => return Err(wrong_kind(f, "number")),
        }
        Ok(self)
    }

    /// Sets a date field as `CCYYMMDD`; `None` writes the field's blank (`REQUIRED` if
    /// the field does not allow blanks). `BAD_DATE` for a year outside 0000–9999.
    pub fn date(&mut self, id: impl FieldId, value: Option<Date>) -> Result<&mut Self, FieldError> {
        let (f, slot) = self.slot(id)?;
        let FieldKind::Date { blank } = f.kind else {
            return Err(wrong_kind(f, "date"));
        };
        match value {
            None if blank == DateBlank::Never => {
                return Err(err(f, ErrorCode::REQUIRED, "date is required"));
            }
            None => fill_blank(f, slot),
            Some(d) => {
                let year = d.year();
                if !(0..=9999).contains(&year) || slot.len() != 8 {
                    return Err(err(f, ErrorCode::BAD_DATE, "year outside 0000-9999"));
                }
                let n = year as u64 * 10_000
                    + u64::from(u8::from(d.month())) * 100
                    + u64::from(d.day());
                put_digits(f, slot, n)?;
            }
        }
        Ok(self)
    }

    /// Sets any amount kind from minor units (e.g. cents for 2 implied decimals).
    /// `SIGN` for a negative value in an unsigned [`FieldKind::Amount`]; `OVERFLOW` when
    /// the magnitude has more digits than the field.
    pub fn amount(&mut self, id: impl FieldId, minor_units: i64) -> Result<&mut Self, FieldError> {
        let (f, slot) = self.slot(id)?;
        let neg = minor_units < 0;
        let mag = minor_units.unsigned_abs();
        match f.kind {
            FieldKind::Amount { .. } => {
                if neg {
                    return Err(err(
                        f,
                        ErrorCode::SIGN,
                        "unsigned amount cannot be negative",
                    ));
                }
                put_digits(f, slot, mag)?;
            }
            FieldKind::SignedAmount { .. } => {
                let Some((sign, digits)) = slot.split_first_mut() else {
                    return Err(err(f, ErrorCode::OVERFLOW, "field has no room"));
                };
                put_digits(f, digits, mag)?;
                *sign = if neg { b'-' } else { b'+' };
            }
            FieldKind::TrailingSignAmount { .. } => {
                let Some((sign, digits)) = slot.split_last_mut() else {
                    return Err(err(f, ErrorCode::OVERFLOW, "field has no room"));
                };
                put_digits(f, digits, mag)?;
                *sign = if neg { b'-' } else { b'+' };
            }
            FieldKind::ZonedAmount { .. } => {
                put_digits(f, slot, mag)?;
                if let Some(last) = slot.last_mut() {
                    *last = overpunch_encode(*last - b'0', neg);
                }
            }
            _ => return Err(wrong_kind(f, "amount")),
        }
        Ok(self)
    }

    /// Writes the field's blank (see [`RecordWriter`]); literals are restored.
    pub fn clear(&mut self, id: impl FieldId) -> Result<&mut Self, FieldError> {
        let (f, slot) = self.slot(id)?;
        fill_blank(f, slot);
        Ok(self)
    }

    /// Sets a field from a [`Value`] (as [`crate::Record::value`] returns it):
    /// `Blank` clears, the others call the typed setter.
    pub fn set(&mut self, id: impl FieldId, value: Value<'_>) -> Result<&mut Self, FieldError> {
        match value {
            Value::Blank => {
                let (f, _) = self.slot(id)?;
                if let FieldKind::Date {
                    blank: DateBlank::Never,
                } = f.kind
                {
                    return Err(err(f, ErrorCode::REQUIRED, "date is required"));
                }
                self.clear(id)
            }
            Value::Text(s) => self.text(id, s),
            Value::Number(n) => self.number(id, n),
            Value::Date(d) => self.date(id, Some(d)),
            Value::Amount(a) => self.amount(id, a),
        }
    }
}

fn err(f: &Field, code: ErrorCode, msg: impl Into<String>) -> FieldError {
    FieldError::new(code, f.name, f.start, msg)
}

fn wrong_kind(f: &Field, wanted: &str) -> FieldError {
    err(
        f,
        ErrorCode::WRONG_KIND,
        format!("field is {}, written as {wanted}", f.kind.name()),
    )
}

/// Right-justified zero-filled digits; leaves `slot` untouched on overflow.
fn put_digits(f: &Field, slot: &mut [u8], mut value: u64) -> Result<(), FieldError> {
    let needed = value.checked_ilog10().map_or(1, |l| l as usize + 1);
    if needed > slot.len() {
        return Err(err(
            f,
            ErrorCode::OVERFLOW,
            format!("value has {needed} digits, field holds {}", slot.len()),
        ));
    }
    for b in slot.iter_mut().rev() {
        *b = b'0' + (value % 10) as u8;
        value /= 10;
    }
    Ok(())
}

/// Zoned-decimal last byte for `digit` (0–9), ASCII view of EBCDIC zones C / D.
pub(crate) fn overpunch_encode(digit: u8, negative: bool) -> u8 {
    match (digit, negative) {
        (0, false) => b'{',
        (0, true) => b'}',
        (d, false) => b'A' + d - 1,
        (d, true) => b'J' + d - 1,
    }
}

fn fill_blank(f: &Field, slot: &mut [u8]) {
    match f.kind {
        FieldKind::Text { .. } | FieldKind::Filler => slot.fill(b' '),
        FieldKind::Number { blank_allowed } => slot.fill(if blank_allowed { b' ' } else { b'0' }),
        FieldKind::Date { blank } => slot.fill(if blank == DateBlank::Zeros {
            b'0'
        } else {
            b' '
        }),
        FieldKind::Amount { .. } => slot.fill(b'0'),
        FieldKind::SignedAmount { .. } => {
            slot.fill(b'0');
            if let Some(s) = slot.first_mut() {
                *s = b'+';
            }
        }
        FieldKind::TrailingSignAmount { .. } => {
            slot.fill(b'0');
            if let Some(s) = slot.last_mut() {
                *s = b'+';
            }
        }
        FieldKind::ZonedAmount { .. } => {
            slot.fill(b'0');
            if let Some(s) = slot.last_mut() {
                *s = b'{';
            }
        }
        FieldKind::Literal(lit) => {
            let n = lit.len().min(slot.len());
            slot[..n].copy_from_slice(&lit.as_bytes()[..n]);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    static L: Layout = Layout::new(
        "W",
        52,
        &[
            Field::new("id", 1, 2, FieldKind::Literal("W1")),
            Field::new("name", 3, 5, FieldKind::REQUIRED_TEXT),
            Field::new("n", 8, 4, FieldKind::NUMBER),
            Field::new(
                "zip4",
                12,
                4,
                FieldKind::Number {
                    blank_allowed: true,
                },
            ),
            Field::new(
                "d",
                16,
                8,
                FieldKind::Date {
                    blank: DateBlank::Zeros,
                },
            ),
            Field::new("doh", 24, 8, FieldKind::DATE),
            Field::new("amt", 32, 5, FieldKind::Amount { decimals: 2 }),
            Field::new("lead", 37, 5, FieldKind::SignedAmount { decimals: 2 }),
            Field::new(
                "trail",
                42,
                4,
                FieldKind::TrailingSignAmount { decimals: 0 },
            ),
            Field::new("zoned", 46, 4, FieldKind::ZonedAmount { decimals: 2 }),
            Field::new("fill", 50, 3, FieldKind::Filler),
        ],
    );
    const _: () = L.assert_valid();

    #[test]
    fn blank_record() {
        let w = RecordWriter::new(&L);
        assert_eq!(
            w.as_bytes(),
            b"W1     0000    00000000        00000+0000000+000{   "
        );
    }

    #[test]
    fn writes_every_kind_and_reads_it_back() -> Result<(), FieldError> {
        let mut w = RecordWriter::new(&L);
        w.text("name", "AB")?
            .number("n", 42)?
            .number("zip4", 7)?
            .date("d", Some(date!(2024 - 02 - 29)))?
            .date("doh", Some(date!(0001 - 01 - 01)))?
            .amount("amt", 12_345)?
            .amount("lead", -1)?
            .amount("trail", -999)?
            .amount("zoned", -123)?;
        let rec = w.finish();
        assert_eq!(rec, b"W1AB   00420007202402290001010112345-0001999-012L   ");
        let r = L.read(&rec)?;
        assert_eq!(r.errors(), vec![]);
        assert_eq!(r.amount("zoned")?, -123);
        assert_eq!(r.amount("trail")?, -999);
        assert_eq!(r.date("doh")?, Some(date!(0001 - 01 - 01)));
        Ok(())
    }

    #[test]
    fn zoned_positive_and_zero() -> Result<(), FieldError> {
        let mut w = RecordWriter::new(&L);
        w.amount("zoned", 120)?;
        assert_eq!(&w.as_bytes()[45..49], b"012{");
        w.amount("zoned", 9)?;
        assert_eq!(&w.as_bytes()[45..49], b"000I");
        w.amount("zoned", -40)?;
        assert_eq!(&w.as_bytes()[45..49], b"004}");
        Ok(())
    }

    #[test]
    fn overpunch_encode_matches_decode() {
        for d in 0..10 {
            for neg in [false, true] {
                let b = overpunch_encode(d, neg);
                assert_eq!(crate::read::overpunch_decode(b), Some((d, neg)));
            }
        }
    }

    #[test]
    fn write_errors() {
        let mut w = RecordWriter::new(&L);
        let code = |r: Result<&mut RecordWriter<'_>, FieldError>| r.err().map(|e| e.code);
        assert_eq!(code(w.text("name", "TOOLONG")), Some(ErrorCode::TOO_LONG));
        assert_eq!(code(w.text("name", "Ré")), Some(ErrorCode::NOT_TEXT));
        assert_eq!(code(w.text("name", "a\tb")), Some(ErrorCode::NOT_TEXT));
        assert_eq!(code(w.text("id", "W2")), Some(ErrorCode::LITERAL_MISMATCH));
        assert_eq!(code(w.text("id", "W1")), None);
        assert_eq!(code(w.number("n", 10_000)), Some(ErrorCode::OVERFLOW));
        assert_eq!(code(w.number("n", 9_999)), None);
        assert_eq!(code(w.amount("amt", -1)), Some(ErrorCode::SIGN));
        assert_eq!(code(w.amount("amt", 100_000)), Some(ErrorCode::OVERFLOW));
        assert_eq!(code(w.amount("lead", -10_000)), Some(ErrorCode::OVERFLOW));
        assert_eq!(code(w.amount("lead", i64::MIN)), Some(ErrorCode::OVERFLOW));
        assert_eq!(code(w.amount("zoned", 10_000)), Some(ErrorCode::OVERFLOW));
        assert_eq!(code(w.date("doh", None)), Some(ErrorCode::REQUIRED));
        assert_eq!(code(w.set("doh", Value::Blank)), Some(ErrorCode::REQUIRED));
        let far = Date::from_calendar_date(-5, time::Month::May, 1).unwrap();
        assert_eq!(code(w.date("doh", Some(far))), Some(ErrorCode::BAD_DATE));
        assert_eq!(code(w.number("name", 1)), Some(ErrorCode::WRONG_KIND));
        assert_eq!(code(w.text("fill", "x")), Some(ErrorCode::WRONG_KIND));
        assert_eq!(code(w.amount("n", 1)), Some(ErrorCode::WRONG_KIND));
        assert_eq!(code(w.date("n", None)), Some(ErrorCode::WRONG_KIND));
        assert_eq!(code(w.text("nope", "x")), Some(ErrorCode::UNKNOWN_FIELD));
        // failed setters left the record untouched
        assert_eq!(
            w.as_bytes(),
            b"W1     9999    00000000        00000+0000000+000{   "
        );
        // messages carry sizes, never values
        let e = w.text("name", "SECRETVALUE").unwrap_err();
        assert_eq!(e.message, "value is 11 bytes, field holds 5");
        assert_eq!(e.position, Some(3));
    }

    #[test]
    fn clear_and_set_blank() -> Result<(), FieldError> {
        let mut w = RecordWriter::new(&L);
        w.number("zip4", 12)?
            .date("d", Some(date!(2020 - 01 - 01)))?;
        w.set("zip4", Value::Blank)?
            .clear("d")?
            .set("fill", Value::Blank)?;
        assert_eq!(&w.as_bytes()[11..23], b"    00000000");
        Ok(())
    }

    #[test]
    fn reuses_buffer() -> Result<(), FieldError> {
        let mut w = RecordWriter::new(&L);
        w.text("name", "X")?;
        let first = w.finish();
        let w = RecordWriter::with_buffer(&L, first);
        assert_eq!(w.as_bytes(), RecordWriter::new(&L).as_bytes());
        Ok(())
    }
}
