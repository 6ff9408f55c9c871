//! Field and record errors with stable codes.
//!
//! A [`FieldError`] says *where* (record number, field name, 1-based position) and *what*
//! (a stable [`ErrorCode`] and a message) — never *which value*: fields hold SSNs, names
//! and account numbers. The offending bytes are kept, but only behind the explicit
//! [`FieldError::bad_bytes`] accessor; `Display` and `Debug` print only their count.

use std::borrow::Cow;
use std::fmt;

/// A stable, machine-readable error code such as `NOT_NUMERIC`.
///
/// Codes are part of the per-record report contract (see [`crate::RecordVerdict`]):
/// partners and operators match on them, so a code, once published, never changes.
/// Adapters define their own codes with [`ErrorCode::new`].
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ErrorCode(&'static str);

impl ErrorCode {
    /// The record does not have the layout's length (record-level, no position).
    pub const LENGTH: Self = Self("LENGTH");
    /// A trailing partial record at the end of a file (record-level, no position).
    pub const PARTIAL_RECORD: Self = Self("PARTIAL_RECORD");
    /// Reading the input failed (record-level, no position; the stream ends).
    pub const IO_ERROR: Self = Self("IO_ERROR");
    /// A record is not followed by the expected line terminator (record-level).
    pub const BAD_TERMINATOR: Self = Self("BAD_TERMINATOR");
    /// A numeric field (number or amount) holds something other than digits.
    pub const NOT_NUMERIC: Self = Self("NOT_NUMERIC");
    /// A date field is not a valid CCYYMMDD calendar date.
    pub const BAD_DATE: Self = Self("BAD_DATE");
    /// A text field holds a byte outside printable ASCII (0x20–0x7E).
    pub const NOT_TEXT: Self = Self("NOT_TEXT");
    /// A literal field (e.g. a record type code) does not hold its constant.
    pub const LITERAL_MISMATCH: Self = Self("LITERAL_MISMATCH");
    /// A signed amount has a missing or invalid sign, or a negative value was given
    /// for an unsigned amount.
    pub const SIGN: Self = Self("SIGN");
    /// A required field is blank.
    pub const REQUIRED: Self = Self("REQUIRED");
    /// A text value is longer than its field (writing).
    pub const TOO_LONG: Self = Self("TOO_LONG");
    /// A number or amount does not fit its field, or does not fit `u64`/`i64`.
    pub const OVERFLOW: Self = Self("OVERFLOW");
    /// The field name or index is not in the layout (a programming error).
    pub const UNKNOWN_FIELD: Self = Self("UNKNOWN_FIELD");
    /// The field was accessed as the wrong kind (e.g. `date` on a text field).
    pub const WRONG_KIND: Self = Self("WRONG_KIND");

    /// A code defined by an adapter, e.g. `ErrorCode::new("COUNT_MISMATCH")`.
    /// Use upper-case ASCII with underscores, like the built-in codes.
    pub const fn new(code: &'static str) -> Self {
        Self(code)
    }

    /// The code as a string.
    pub const fn as_str(self) -> &'static str {
        self.0
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

impl fmt::Debug for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

impl serde::Serialize for ErrorCode {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.0)
    }
}

/// One problem with one field of one record, or with a whole record.
///
/// * `record` — 1-based record number in its file, when known (set by the caller, the
///   file splitter or [`crate::RecordVerdict::new`]).
/// * `field` — the layout's field name, `"record"` for whole-record errors, or any
///   name an adapter chooses (e.g. `"trailer.record_count"`).
/// * `position` — 1-based byte position where the field starts; `None` for errors of the
///   whole record (such as its length).
///
/// **Privacy.** The `Display` and `Debug` renderings never contain the field's bytes: a
/// field may hold an SSN. Messages describe the problem by class and offset only
/// ("non-digit (letter) at offset 3"). The offending bytes are available through
/// [`FieldError::bad_bytes`] for a caller that has a legitimate need (e.g. a secured
/// error file back to the same partner) and must be handled as personal data.
#[derive(Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
#[error("{}", self.render())]
pub struct FieldError {
    /// 1-based record number, when known.
    pub record: Option<u64>,
    /// Field name (or `"record"` for whole-record errors).
    pub field: Cow<'static, str>,
    /// 1-based byte position where the field starts; `None` for whole-record errors.
    pub position: Option<usize>,
    /// Stable error code.
    pub code: ErrorCode,
    /// Human-readable message; never contains field content.
    pub message: String,
    bad_bytes: Vec<u8>,
}

impl FieldError {
    /// An error about one field that starts at 1-based `position`.
    pub fn new(
        code: ErrorCode,
        field: impl Into<Cow<'static, str>>,
        position: usize,
        message: impl Into<String>,
    ) -> Self {
        Self {
            record: None,
            field: field.into(),
            position: Some(position),
            code,
            message: message.into(),
            bad_bytes: Vec::new(),
        }
    }

    /// An error about the whole record (no position), with field name `"record"`.
    pub fn record_level(code: ErrorCode, message: impl Into<String>) -> Self {
        Self::unpositioned(code, "record", message)
    }

    /// An error with a name but no position, e.g. an adapter's `"trailer.record_count"`.
    pub fn unpositioned(
        code: ErrorCode,
        field: impl Into<Cow<'static, str>>,
        message: impl Into<String>,
    ) -> Self {
        Self {
            record: None,
            field: field.into(),
            position: None,
            code,
            message: message.into(),
            bad_bytes: Vec::new(),
        }
    }

    /// Sets the 1-based record number.
    #[must_use]
    pub fn with_record(mut self, record: u64) -> Self {
        self.record = Some(record);
        self
    }

    /// Attaches the offending bytes (kept out of every rendering).
    #[must_use]
    pub fn with_bad_bytes(mut self, bytes: &[u8]) -> Self {
        self.bad_bytes = bytes.to_vec();
        self
    }

    /// The offending bytes of the field, exactly as read (after decoding to ASCII).
    ///
    /// **Sensitive:** may be an SSN or other personal data. Do not log or display it.
    /// Empty for whole-record errors and for errors raised while writing.
    pub fn bad_bytes(&self) -> &[u8] {
        &self.bad_bytes
    }

    /// `SSN (position 3): NOT_NUMERIC: …` or `record: LENGTH: …` — no record number.
    pub(crate) fn render_short(&self, f: &mut impl fmt::Write) -> fmt::Result {
        match self.position {
            Some(p) => write!(
                f,
                "{} (position {p}): {}: {}",
                self.field, self.code, self.message
            ),
            None => write!(f, "{}: {}: {}", self.field, self.code, self.message),
        }
    }

    fn render(&self) -> String {
        let mut s = String::new();
        if let Some(r) = self.record {
            s.push_str(&format!("record {r}: "));
        }
        // Writing into a String cannot fail.
        let _ = self.render_short(&mut s);
        s
    }
}

impl fmt::Debug for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FieldError")
            .field("record", &self.record)
            .field("field", &self.field)
            .field("position", &self.position)
            .field("code", &self.code)
            .field("message", &self.message)
            .field(
                "bad_bytes",
                &format_args!("<{} bytes redacted>", self.bad_bytes.len()),
            )
            .finish()
    }
}

/// Describes a byte by class only, for messages that must not reveal content.
pub(crate) fn byte_class(b: u8) -> &'static str {
    match b {
        b'0'..=b'9' => "digit",
        b'A'..=b'Z' | b'a'..=b'z' => "letter",
        b' ' => "space",
        0x21..=0x7E => "punctuation",
        0x00..=0x1F | 0x7F => "control byte",
        _ => "non-ASCII byte",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_and_debug_never_show_bad_bytes() {
        let e = FieldError::new(
            ErrorCode::NOT_NUMERIC,
            "SSN",
            3,
            "non-digit (letter) at offset 4",
        )
        .with_record(7)
        .with_bad_bytes(b"1234X6789");
        let shown = format!("{e} {e:?}");
        assert!(!shown.contains("1234"), "{shown}");
        assert!(shown.contains("<9 bytes redacted>"));
        assert_eq!(
            e.to_string(),
            "record 7: SSN (position 3): NOT_NUMERIC: non-digit (letter) at offset 4"
        );
        assert_eq!(e.bad_bytes(), b"1234X6789");
    }

    #[test]
    fn record_level_error_has_no_position() {
        let e = FieldError::record_level(ErrorCode::LENGTH, "length 3, expected 5");
        assert_eq!(e.position, None);
        assert_eq!(e.to_string(), "record: LENGTH: length 3, expected 5");
    }

    #[test]
    fn byte_classes() {
        assert_eq!(byte_class(b'7'), "digit");
        assert_eq!(byte_class(b'x'), "letter");
        assert_eq!(byte_class(b' '), "space");
        assert_eq!(byte_class(b'-'), "punctuation");
        assert_eq!(byte_class(0), "control byte");
        assert_eq!(byte_class(0xC1), "non-ASCII byte");
    }
}
