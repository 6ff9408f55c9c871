//! Field-by-field reading and writing of one record, as the adapters do it: a
//! [`FieldReader`] that collects every field error of a record (a bad field gives a
//! default value and an error, and reading goes on), and a [`FieldWriter`] that keeps the
//! first error (a value that does not fit is an error, never truncated).
//!
//! An adapter adds its own value rules (its codes, its identifiers) on top, e.g. with an
//! extension trait over [`FieldReader`] that calls [`FieldReader::text`] and
//! [`FieldReader::fail`].

use time::Date;

use crate::{ErrorCode, FieldError, Layout, Record, RecordWriter};

/// Reads the fields of one record, collecting every error instead of stopping at the
/// first: a bad field yields a blank (or zero) value and an error, and reading goes on.
///
/// ```
/// use ivd_fixed::{Field, FieldKind, FieldReader, Layout};
///
/// static REC: Layout = Layout::new("REC", 8, &[
///     Field::new("name", 1, 4, FieldKind::TEXT),
///     Field::new("count", 5, 4, FieldKind::NUMBER),
/// ]);
/// let mut r = FieldReader::new(REC.read(b"ANN 00X1").unwrap());
/// assert_eq!(r.text("name"), "ANN");
/// assert_eq!(r.number("count"), 0); // not numeric: 0 and an error
/// let errors = r.finish();
/// assert_eq!(errors.len(), 1);
/// assert_eq!(errors[0].code.as_str(), "NOT_NUMERIC");
/// ```
#[derive(Debug)]
pub struct FieldReader<'a> {
    rec: Record<'a>,
    errors: Vec<FieldError>,
}

impl<'a> FieldReader<'a> {
    /// A reader of `rec`, with no error yet.
    pub fn new(rec: Record<'a>) -> Self {
        FieldReader {
            rec,
            errors: Vec::new(),
        }
    }

    /// The layout of the record.
    pub fn layout(&self) -> &'a Layout {
        self.rec.layout()
    }

    /// The errors so far.
    pub fn errors(&self) -> &[FieldError] {
        &self.errors
    }

    /// The errors so far, leaving none (reading goes on).
    pub fn take_errors(&mut self) -> Vec<FieldError> {
        std::mem::take(&mut self.errors)
    }

    /// Adds an error of the caller's own making.
    pub fn push(&mut self, e: FieldError) {
        self.errors.push(e);
    }

    /// Records an error on field `name` (its position taken from the layout; 1 when the
    /// layout has no such field).
    pub fn fail(&mut self, name: &'static str, code: ErrorCode, message: impl Into<String>) {
        let e = self.layout().error_at(name, code, message);
        self.errors.push(e);
    }

    /// The value of `r`, or `None` with its error kept.
    pub fn keep<T>(&mut self, r: Result<T, FieldError>) -> Option<T> {
        r.map_err(|e| self.errors.push(e)).ok()
    }

    /// Text, trailing spaces trimmed; `""` when blank or bad.
    pub fn text(&mut self, name: &'static str) -> &'a str {
        let r = self.rec.text(name);
        self.keep(r).unwrap_or("")
    }

    /// Text as an owned string.
    pub fn string(&mut self, name: &'static str) -> String {
        self.text(name).to_owned()
    }

    /// A date; `None` when blank or bad.
    pub fn date(&mut self, name: &'static str) -> Option<Date> {
        let r = self.rec.date(name);
        self.keep(r).flatten()
    }

    /// An optional number; `None` when blank or bad.
    pub fn number_opt(&mut self, name: &'static str) -> Option<u64> {
        let r = self.rec.number_opt(name);
        self.keep(r).flatten()
    }

    /// An optional number where zero means absent too: blank, zero or bad are `None`.
    pub fn number_nonzero(&mut self, name: &'static str) -> Option<u64> {
        self.number_opt(name).filter(|&n| n != 0)
    }

    /// A number; 0 when bad.
    pub fn number(&mut self, name: &'static str) -> u64 {
        let r = self.rec.number(name);
        self.keep(r).unwrap_or(0)
    }

    /// An amount in minor units; 0 when bad.
    pub fn amount(&mut self, name: &'static str) -> i64 {
        let r = self.rec.amount(name);
        self.keep(r).unwrap_or(0)
    }

    /// Text that read without error (blank included), or `None` with its error kept.
    pub fn text_checked(&mut self, name: &'static str) -> Option<&'a str> {
        let r = self.rec.text(name);
        self.keep(r)
    }

    /// A code looked up in its table; an unknown one is an error `code` ("not a known
    /// code").
    pub fn code<T>(
        &mut self,
        name: &'static str,
        lookup: impl FnOnce(&str) -> Option<T>,
        code: ErrorCode,
    ) -> Option<T> {
        let s = self.text_checked(name)?;
        let v = lookup(s);
        if v.is_none() {
            self.fail(name, code, "not a known code");
        }
        v
    }

    /// Every error of the record, in reading order.
    pub fn finish(self) -> Vec<FieldError> {
        self.errors
    }
}

/// Writes one record, keeping the first error (a value that does not fit is an error,
/// never truncated). The setters chain; [`FieldWriter::finish`] gives the record or the
/// first error.
///
/// ```
/// use ivd_fixed::{Field, FieldKind, FieldWriter, Layout};
///
/// static REC: Layout = Layout::new("REC", 8, &[
///     Field::new("name", 1, 4, FieldKind::TEXT),
///     Field::new("count", 5, 4, FieldKind::NUMBER),
/// ]);
/// let mut w = FieldWriter::new(&REC);
/// w.text("name", "ANN").number("count", 12);
/// assert_eq!(w.finish().unwrap(), b"ANN 0012");
///
/// let mut w = FieldWriter::new(&REC);
/// w.text("name", "ANNABEL").number("count", 123_456);
/// assert_eq!(w.finish().unwrap_err().code.as_str(), "TOO_LONG"); // the first error
/// ```
#[derive(Debug)]
pub struct FieldWriter<'l> {
    w: RecordWriter<'l>,
    error: Option<FieldError>,
}

impl<'l> FieldWriter<'l> {
    /// A writer of a blank record of `layout`.
    pub fn new(layout: &'l Layout) -> Self {
        FieldWriter {
            w: RecordWriter::new(layout),
            error: None,
        }
    }

    fn keep(&mut self, r: Result<(), FieldError>) {
        if let Err(e) = r
            && self.error.is_none()
        {
            self.error = Some(e);
        }
    }

    /// Text.
    pub fn text(&mut self, name: &'static str, value: &str) -> &mut Self {
        let r = self.w.text(name, value).map(|_| ());
        self.keep(r);
        self
    }

    /// A date (blank when `None`).
    pub fn date(&mut self, name: &'static str, value: Option<Date>) -> &mut Self {
        let r = self.w.date(name, value).map(|_| ());
        self.keep(r);
        self
    }

    /// A number.
    pub fn number(&mut self, name: &'static str, value: u64) -> &mut Self {
        let r = self.w.number(name, value).map(|_| ());
        self.keep(r);
        self
    }

    /// An optional number (blank when `None`).
    pub fn number_opt(&mut self, name: &'static str, value: Option<u64>) -> &mut Self {
        let r = match value {
            Some(v) => self.w.number(name, v).map(|_| ()),
            None => self.w.clear(name).map(|_| ()),
        };
        self.keep(r);
        self
    }

    /// An optional amount in cents, in an optional-number field (blank when `None`);
    /// negative amounts are a `SIGN` error.
    pub fn cents_opt(&mut self, name: &'static str, cents: Option<i64>) -> &mut Self {
        match cents {
            Some(c) if c < 0 => self.fail(name, ErrorCode::SIGN, "amount cannot be negative"),
            Some(c) => {
                self.number(name, c.unsigned_abs());
            }
            None => {
                self.number_opt(name, None);
            }
        }
        self
    }

    /// An amount in minor units.
    pub fn amount(&mut self, name: &'static str, cents: i64) -> &mut Self {
        let r = self.w.amount(name, cents).map(|_| ());
        self.keep(r);
        self
    }

    /// A `Y`/`N` indicator (blank when `None`).
    pub fn indicator(&mut self, name: &'static str, value: Option<bool>) -> &mut Self {
        self.text(
            name,
            match value {
                Some(true) => "Y",
                Some(false) => "N",
                None => "",
            },
        )
    }

    /// Records an error of the caller's own rule (kept only if it is the first).
    pub fn fail(&mut self, name: &'static str, code: ErrorCode, message: impl Into<String>) {
        let e = self.w.layout().error_at(name, code, message);
        self.keep(Err(e));
    }

    /// The record, or the first error.
    pub fn finish(self) -> Result<Vec<u8>, FieldError> {
        match self.error {
            Some(e) => Err(e),
            None => Ok(self.w.finish()),
        }
    }
}
