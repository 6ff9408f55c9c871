//! The per-record verdict: the contract every adapter's CLI and intake report uses.
//!
//! One JSON object per line, exactly:
//!
//! ```text
//! {"record": 3, "status": "invalid", "errors": [{"field": "SSN", "position": 3, "code": "NOT_NUMERIC", "message": "…"}]}
//! {"record": 4, "status": "valid", "errors": []}
//! {"record": 5, "status": "invalid", "errors": [{"field": "record", "code": "LENGTH", "message": "…"}]}
//! ```
//!
//! Keys in that order, `": "` and `", "` as separators, `position` (1-based start of the
//! offending field) absent for errors of the whole record. Messages never contain field
//! content (see [`FieldError`]), so the lines may be logged and returned to the partner.

use std::fmt;
use std::io;

use serde::Serialize;

use crate::error::{ErrorCode, FieldError};

/// Every error of one record, or none.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordVerdict {
    /// 1-based record number in its file.
    pub record: u64,
    /// Errors in field order; empty when the record is valid.
    pub errors: Vec<FieldError>,
}

#[derive(Serialize)]
struct VerdictView<'a> {
    record: u64,
    status: &'static str,
    errors: Vec<ErrorView<'a>>,
}

#[derive(Serialize)]
struct ErrorView<'a> {
    field: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    position: Option<usize>,
    code: ErrorCode,
    message: &'a str,
}

/// `serde_json` formatter giving `{"a": 1, "b": [1, 2]}` on one line.
struct SpacedLine;

impl serde_json::ser::Formatter for SpacedLine {
    fn begin_array_value<W: ?Sized + io::Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> io::Result<()> {
        if first { Ok(()) } else { w.write_all(b", ") }
    }
    fn begin_object_key<W: ?Sized + io::Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> io::Result<()> {
        if first { Ok(()) } else { w.write_all(b", ") }
    }
    fn begin_object_value<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        w.write_all(b": ")
    }
}

impl RecordVerdict {
    /// The verdict of record `record`; stamps that number on every error.
    pub fn new(record: u64, errors: Vec<FieldError>) -> Self {
        let errors = errors.into_iter().map(|e| e.with_record(record)).collect();
        Self { record, errors }
    }

    /// A valid record.
    pub fn valid(record: u64) -> Self {
        Self {
            record,
            errors: Vec::new(),
        }
    }

    /// Adds an error found by the adapter (e.g. a cross-field rule).
    pub fn push(&mut self, error: FieldError) {
        self.errors.push(error.with_record(self.record));
    }

    /// `true` when there is no error.
    pub fn is_valid(&self) -> bool {
        self.errors.is_empty()
    }

    /// `"valid"` or `"invalid"`.
    pub fn status(&self) -> &'static str {
        if self.is_valid() { "valid" } else { "invalid" }
    }

    /// The JSON line of the contract (no trailing newline); see the module docs.
    pub fn to_json_line(&self) -> String {
        let view = VerdictView {
            record: self.record,
            status: self.status(),
            errors: self
                .errors
                .iter()
                .map(|e| ErrorView {
                    field: &e.field,
                    position: e.position,
                    code: e.code,
                    message: &e.message,
                })
                .collect(),
        };
        let mut out = Vec::with_capacity(64 + 96 * self.errors.len());
        let mut ser = serde_json::Serializer::with_formatter(&mut out, SpacedLine);
        // Serializing plain strings and integers into a Vec cannot fail, and serde_json
        // writes only valid UTF-8.
        match view.serialize(&mut ser) {
            Ok(()) => String::from_utf8(out).unwrap_or_default(),
            Err(_) => String::new(),
        }
    }
}

/// `record 3: invalid — SSN (position 3): NOT_NUMERIC: …; doh (position 280): BAD_DATE: …`
/// or `record 4: valid`.
impl fmt::Display for RecordVerdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "record {}: {}", self.record, self.status())?;
        for (i, e) in self.errors.iter().enumerate() {
            f.write_str(if i == 0 { " — " } else { "; " })?;
            e.render_short(f)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ssn_error() -> FieldError {
        FieldError::new(ErrorCode::NOT_NUMERIC, "SSN", 3, "must be 9 digits")
            .with_bad_bytes(b"12345678X")
    }

    #[test]
    fn valid_json_line() {
        assert_eq!(
            RecordVerdict::valid(1).to_json_line(),
            r#"{"record": 1, "status": "valid", "errors": []}"#
        );
    }

    #[test]
    fn invalid_json_line() {
        let v = RecordVerdict::new(
            3,
            vec![
                ssn_error(),
                FieldError::new(ErrorCode::BAD_DATE, "DOH", 280, "day is \"bad\""),
            ],
        );
        assert_eq!(
            v.to_json_line(),
            r#"{"record": 3, "status": "invalid", "errors": [{"field": "SSN", "position": 3, "code": "NOT_NUMERIC", "message": "must be 9 digits"}, {"field": "DOH", "position": 280, "code": "BAD_DATE", "message": "day is \"bad\""}]}"#
        );
        assert!(!v.to_json_line().contains("12345678X"));
    }

    #[test]
    fn whole_record_error_has_no_position() {
        let v = RecordVerdict::new(
            5,
            vec![FieldError::record_level(
                ErrorCode::LENGTH,
                "record is 800 bytes, layout W4 needs 801",
            )],
        );
        assert_eq!(
            v.to_json_line(),
            r#"{"record": 5, "status": "invalid", "errors": [{"field": "record", "code": "LENGTH", "message": "record is 800 bytes, layout W4 needs 801"}]}"#
        );
        let parsed: serde_json::Value = serde_json::from_str(&v.to_json_line()).unwrap();
        assert!(parsed["errors"][0].get("position").is_none());
    }

    #[test]
    fn human_line() {
        assert_eq!(RecordVerdict::valid(2).to_string(), "record 2: valid");
        let mut v = RecordVerdict::new(3, vec![ssn_error()]);
        assert_eq!(
            v.to_string(),
            "record 3: invalid — SSN (position 3): NOT_NUMERIC: must be 9 digits"
        );
        v.push(FieldError::unpositioned(
            ErrorCode::new("COUNT_MISMATCH"),
            "trailer.record_count",
            "3 records, trailer says 4",
        ));
        assert_eq!(
            v.to_string(),
            "record 3: invalid — SSN (position 3): NOT_NUMERIC: must be 9 digits; \
             trailer.record_count: COUNT_MISMATCH: 3 records, trailer says 4"
        );
        assert!(v.errors.iter().all(|e| e.record == Some(3)));
    }
}
