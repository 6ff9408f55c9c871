//! `ivd-gateway check FORMAT FILE [--json]`: one verdict per record, without sending or
//! storing anything.
//!
//! The contract every format follows (fixed here, built on [`ivd_fixed::RecordVerdict`]):
//! one verdict per record, numbered from 1; with `--json` one JSON object per line,
//! `{"record": N, "status": "valid"|"invalid", "errors": [{"field": NAME, "position": P,
//! "code": CODE, "message": TEXT}]}`, where `P` is the 1-based byte position in the record
//! where the offending field starts and is absent for errors of the whole record; exit
//! status 0 when every record is valid, 1 when any is invalid, 2 when the file cannot be
//! read. Messages never quote field values (an SSN must not reach a terminal log).
//!
//! Each adapter adds its formats to [`formats`].

use std::path::Path;

use ivd_fixed::{ErrorCode, FieldError, RecordVerdict};

/// A file format `check` understands.
pub trait CheckFormat: Sync {
    /// The name given on the command line.
    fn name(&self) -> &'static str;
    /// One line saying what it is.
    fn describe(&self) -> &'static str;
    /// A verdict for every record of `bytes`, in order.
    fn check<'a>(&'a self, bytes: &'a [u8]) -> Box<dyn Iterator<Item = RecordVerdict> + 'a>;
}

/// Every format `check` knows.
pub fn formats() -> Vec<&'static dyn CheckFormat> {
    vec![&CaseJsonLines]
}

/// Runs the command; returns the exit status.
pub fn run(format: &str, file: &Path, json: bool) -> i32 {
    let Some(checker) = formats().into_iter().find(|f| f.name() == format) else {
        eprintln!("Unknown format {format:?}. Known formats:");
        for f in formats() {
            eprintln!("  {:<12} {}", f.name(), f.describe());
        }
        return 2;
    };
    let bytes = match std::fs::read(file) {
        Ok(bytes) => bytes,
        Err(error) => {
            eprintln!("Cannot read {}: {error}", file.display());
            return 2;
        }
    };
    let (mut records, mut invalid) = (0u64, 0u64);
    for verdict in checker.check(&bytes) {
        records += 1;
        if !verdict.is_valid() {
            invalid += 1;
        }
        if json {
            println!("{}", verdict.to_json_line());
        } else {
            println!("{verdict}");
        }
    }
    if !json {
        println!(
            "{records} record(s), {} valid, {invalid} invalid.",
            records - invalid
        );
    }
    if invalid > 0 { 1 } else { 0 }
}

/// Newline-delimited canonical cases (`schemas/case.schema.json`), one case a line: the
/// format in which the state system pushes cases in bulk.
#[derive(Debug)]
pub struct CaseJsonLines;

impl CheckFormat for CaseJsonLines {
    fn name(&self) -> &'static str {
        "case-json"
    }

    fn describe(&self) -> &'static str {
        "canonical IV-D cases, one JSON object per line"
    }

    fn check<'a>(&'a self, bytes: &'a [u8]) -> Box<dyn Iterator<Item = RecordVerdict> + 'a> {
        let lines = bytes
            .split(|b| *b == b'\n')
            .map(|line| line.strip_suffix(b"\r").unwrap_or(line))
            .filter(|line| !line.iter().all(u8::is_ascii_whitespace));
        Box::new(
            lines
                .zip(1u64..)
                .map(|(line, record)| check_case_line(record, line)),
        )
    }
}

fn check_case_line(record: u64, line: &[u8]) -> RecordVerdict {
    match serde_json::from_slice::<ivd_model::Case>(line) {
        Err(error) => RecordVerdict::new(
            record,
            vec![FieldError::new(
                ErrorCode::new("JSON"),
                "case",
                error.column().max(1),
                without_quoted_values(&error.to_string()),
            )],
        ),
        Ok(case) => match case.validate() {
            Ok(()) => RecordVerdict::valid(record),
            Err(errors) => RecordVerdict::new(
                record,
                errors
                    .into_iter()
                    .map(|e| {
                        FieldError::unpositioned(
                            ErrorCode::new(e.code()),
                            e.path.clone(),
                            e.to_string(),
                        )
                    })
                    .collect(),
            ),
        },
    }
}

/// serde quotes the offending value in some messages (``invalid type: integer `123456789` ``);
/// that value may be an SSN, so every quoted span is blanked before the text leaves.
pub fn without_quoted_values(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    let mut quote: Option<char> = None;
    for ch in message.chars() {
        match quote {
            Some(q) if ch == q => {
                out.push(ch);
                quote = None;
            }
            Some(_) => {}
            None if ch == '`' || ch == '"' => {
                out.push(ch);
                out.push('…');
                quote = Some(ch);
            }
            None => out.push(ch),
        }
    }
    // Drop serde's own " at line L column C" suffix; the caller reports the position.
    match out.find(" at line ") {
        Some(at) => out[..at].to_string(),
        None => out,
    }
}

#[cfg(test)]
mod quoting_tests {
    use super::without_quoted_values;

    #[test]
    fn quoted_values_never_reach_an_error_text() {
        let text = without_quoted_values(
            "invalid type: integer `123456789`, expected a string at line 1 column 9",
        );
        assert_eq!(text, "invalid type: integer `…`, expected a string");
        let text = without_quoted_values("unknown variant \"Sister\", expected one of `Child`");
        assert!(!text.contains("Sister"), "{text}");
    }
}
