//! Small helpers over [`ivd_fixed`]: the e-IWO rules over its [`FieldReader`] (model
//! identifiers), the crate's [`WriteError`] and line splitting.

use std::borrow::Cow;
use std::fmt;

use ivd_fixed::{ErrorCode, FieldError};
use ivd_model::IdError;

use crate::codes::record::INVALID_ID;

pub(crate) use ivd_fixed::{FieldReader, FieldWriter};

/// The e-IWO rules over [`FieldReader`]: fields holding a model identifier.
pub(crate) trait IdFields {
    /// A non-blank text parsed by a model constructor; `None` when blank or invalid (an
    /// `INVALID_ID` error naming the rule, never the value).
    fn parsed<T>(
        &mut self,
        name: &'static str,
        parse: impl FnOnce(&str) -> Result<T, IdError>,
    ) -> Option<T>;

    /// Like [`IdFields::parsed`], but blank is a `REQUIRED` error.
    fn required<T>(
        &mut self,
        name: &'static str,
        parse: impl FnOnce(&str) -> Result<T, IdError>,
    ) -> Option<T>;
}

impl IdFields for FieldReader<'_> {
    fn parsed<T>(
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

    fn required<T>(
        &mut self,
        name: &'static str,
        parse: impl FnOnce(&str) -> Result<T, IdError>,
    ) -> Option<T> {
        let before = self.errors().len();
        let v = self.parsed(name, parse);
        if v.is_none() && self.errors().len() == before {
            self.fail(name, ErrorCode::REQUIRED, "required field is blank");
        }
        v
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
