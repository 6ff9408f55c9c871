//! Small helpers over [`ivd_fixed`]: a reader that collects every field error of a record,
//! a writer that keeps the first one, and the crate's [`WriteError`].

use std::borrow::Cow;
use std::fmt;

use ivd_fixed::{ErrorCode, FieldError, Layout, Record, RecordWriter};
use ivd_model::IdError;
use time::Date;

use crate::codes::record::INVALID_ID;

/// Reads the fields of one record, collecting every error instead of stopping at the
/// first: a bad field yields a blank value and an error, and reading goes on.
pub(crate) struct FieldReader<'a> {
    rec: Record<'a>,
    pub(crate) errors: Vec<FieldError>,
}

impl<'a> FieldReader<'a> {
    pub(crate) fn new(rec: Record<'a>) -> Self {
        FieldReader {
            rec,
            errors: Vec::new(),
        }
    }

    fn layout(&self) -> &'a Layout {
        self.rec.layout()
    }

    /// Records an error on field `name` (its position taken from the layout).
    pub(crate) fn fail(&mut self, name: &'static str, code: ErrorCode, message: impl Into<String>) {
        let position = self.layout().field(name).map_or(1, |f| f.start);
        self.errors
            .push(FieldError::new(code, name, position, message));
    }

    fn keep<T>(&mut self, r: Result<T, FieldError>) -> Option<T> {
        r.map_err(|e| self.errors.push(e)).ok()
    }

    /// Text, trailing spaces trimmed; `""` when blank or bad.
    pub(crate) fn text(&mut self, name: &'static str) -> &'a str {
        let r = self.rec.text(name);
        self.keep(r).unwrap_or("")
    }

    /// Text as an owned string.
    pub(crate) fn string(&mut self, name: &'static str) -> String {
        self.text(name).to_owned()
    }

    pub(crate) fn date(&mut self, name: &'static str) -> Option<Date> {
        let r = self.rec.date(name);
        self.keep(r).flatten()
    }

    pub(crate) fn number_opt(&mut self, name: &'static str) -> Option<u64> {
        let r = self.rec.number_opt(name);
        self.keep(r).flatten()
    }

    pub(crate) fn number(&mut self, name: &'static str) -> u64 {
        let r = self.rec.number(name);
        self.keep(r).unwrap_or(0)
    }

    pub(crate) fn amount(&mut self, name: &'static str) -> i64 {
        let r = self.rec.amount(name);
        self.keep(r).unwrap_or(0)
    }

    /// A non-blank text parsed by a model constructor; `None` when blank or invalid (an
    /// `INVALID_ID` error naming the rule, never the value).
    pub(crate) fn parsed<T>(
        &mut self,
        name: &'static str,
        parse: impl FnOnce(&str) -> Result<T, IdError>,
    ) -> Option<T> {
        let s = self.text(name);
        if s.is_empty() {
            return None;
        }
        match parse(s) {
            Ok(v) => Some(v),
            Err(e) => {
                self.fail(name, INVALID_ID, format!("{}: {e}", e.code()));
                None
            }
        }
    }

    /// Like [`FieldReader::parsed`], but blank is a `REQUIRED` error.
    pub(crate) fn required<T>(
        &mut self,
        name: &'static str,
        parse: impl FnOnce(&str) -> Result<T, IdError>,
    ) -> Option<T> {
        let before = self.errors.len();
        let v = self.parsed(name, parse);
        if v.is_none() && self.errors.len() == before {
            self.fail(name, ErrorCode::REQUIRED, "required field is blank");
        }
        v
    }

    pub(crate) fn finish(self) -> Vec<FieldError> {
        self.errors
    }
}

/// Writes one record, keeping the first error (a value that does not fit is an error,
/// never truncated).
pub(crate) struct FieldWriter<'l> {
    w: RecordWriter<'l>,
    error: Option<FieldError>,
}

impl<'l> FieldWriter<'l> {
    pub(crate) fn new(layout: &'l Layout) -> Self {
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

    pub(crate) fn text(&mut self, name: &'static str, value: &str) -> &mut Self {
        let r = self.w.text(name, value).map(|_| ());
        self.keep(r);
        self
    }

    pub(crate) fn date(&mut self, name: &'static str, value: Option<Date>) -> &mut Self {
        let r = self.w.date(name, value).map(|_| ());
        self.keep(r);
        self
    }

    pub(crate) fn number(&mut self, name: &'static str, value: u64) -> &mut Self {
        let r = self.w.number(name, value).map(|_| ());
        self.keep(r);
        self
    }

    /// An optional number (blank when `None`).
    pub(crate) fn number_opt(&mut self, name: &'static str, value: Option<u64>) -> &mut Self {
        let r = match value {
            Some(v) => self.w.number(name, v).map(|_| ()),
            None => self.w.clear(name).map(|_| ()),
        };
        self.keep(r);
        self
    }

    /// An optional amount in cents, in an optional-number field (blank when `None`);
    /// negative amounts are a `SIGN` error.
    pub(crate) fn cents_opt(&mut self, name: &'static str, cents: Option<i64>) -> &mut Self {
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

    pub(crate) fn amount(&mut self, name: &'static str, cents: i64) -> &mut Self {
        let r = self.w.amount(name, cents).map(|_| ());
        self.keep(r);
        self
    }

    /// Records an error of the caller's own rule.
    pub(crate) fn fail(&mut self, name: &'static str, code: ErrorCode, message: impl Into<String>) {
        let position = self.w.layout().field(name).map_or(1, |f| f.start);
        self.keep(Err(FieldError::new(code, name, position, message)));
    }

    pub(crate) fn finish(self) -> Result<Vec<u8>, FieldError> {
        match self.error {
            Some(e) => Err(e),
            None => Ok(self.w.finish()),
        }
    }
}

/// Why a file could not be written. Says where (batch, record, field) and what (a stable
/// code and a message); never the value, which may be an SSN or a name.
#[derive(Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
#[error("{}", self.render())]
pub struct WriteError {
    /// 1-based batch number in the file, when the error is in a batch.
    pub batch: Option<usize>,
    /// 1-based detail record number within its batch, when the error is in a record.
    pub record: Option<usize>,
    /// Field name (as in the layout), or `"CONTROL_NUMBER"` / `"EIN"` for envelope rules.
    pub field: Cow<'static, str>,
    /// Stable code: an [`ivd_fixed::ErrorCode`] (`TOO_LONG`, `OVERFLOW`, `SIGN`, …), an
    /// envelope code of [`crate::codes::envelope`], or one of [`crate::codes::record`].
    pub code: ErrorCode,
    /// What is wrong.
    pub message: String,
}

impl WriteError {
    pub(crate) fn new(
        field: impl Into<Cow<'static, str>>,
        code: ErrorCode,
        message: impl Into<String>,
    ) -> Self {
        WriteError {
            batch: None,
            record: None,
            field: field.into(),
            code,
            message: message.into(),
        }
    }

    pub(crate) fn at(mut self, batch: Option<usize>, record: Option<usize>) -> Self {
        self.batch = batch;
        self.record = record;
        self
    }

    fn render(&self) -> String {
        let mut s = String::new();
        if let Some(b) = self.batch {
            s.push_str(&format!("batch {b}, "));
        }
        if let Some(r) = self.record {
            s.push_str(&format!("record {r}, "));
        }
        s.push_str(&format!("{}: {}: {}", self.field, self.code, self.message));
        s
    }
}

impl fmt::Debug for WriteError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.render())
    }
}

impl From<FieldError> for WriteError {
    fn from(e: FieldError) -> Self {
        WriteError::new(e.field, e.code, e.message)
    }
}

/// Splits a file into lines without their terminators (`\n`, optionally preceded by
/// `\r`), numbered from 1. A file ending in a terminator has no empty last line.
pub(crate) fn lines(file: &[u8]) -> impl Iterator<Item = (u64, &[u8])> + '_ {
    let mut rest = file;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        let (line, next) = match rest.iter().position(|&b| b == b'\n') {
            Some(p) => (&rest[..p], &rest[p + 1..]),
            None => (rest, &rest[rest.len()..]),
        };
        rest = next;
        Some(line.strip_suffix(b"\r").unwrap_or(line))
    })
    .zip(1u64..)
    .map(|(l, n)| (n, l))
}
