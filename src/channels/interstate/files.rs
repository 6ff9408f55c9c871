//! The CSENet files for `check` and `convert`: transactions (outgoing or incoming data
//! set) and the CSENet server's error records.
//!
//! `convert csenet FILE [--from-json [--outbound|--inbound]]`: transactions to JSON lines
//! and back, without sending or storing anything.
//!
//! **To JSON** (`convert csenet FILE`): one JSON object per record, numbered from 1 like
//! `check`:
//!
//! * `{"record": N, "transaction": {…}, "case": {…}}` — the transaction in the adapter's
//!   JSON form (`ivd_csenet` crate docs, *JSON form*) and its canonical view
//!   (`ivd_csenet::translate::InterstateCase`);
//! * `{"record": N, "transaction": {…}, "errors": […]}` — parsed, but the canonical view
//!   could not be built (an identifier the model refuses);
//! * `{"record": N, "errors": […]}` — the record does not parse.
//!
//! Errors have the shape of the `check` contract, `{"field", "position", "code",
//! "message"}` (`position` absent when there is none), and never quote a value.
//!
//! **From JSON** (`convert csenet --from-json FILE`): each non-blank line is a transaction
//! in the JSON form, bare or wrapped as the first direction prints it (`{"record",
//! "transaction", …}`; `case` and `errors` are ignored). Each is written as one CSENet
//! record per line with the header kind its `tail` names, or the one `--outbound` /
//! `--inbound` asks for. A line that cannot be written is reported on stderr as a `check`
//! verdict numbered by its line, and nothing is printed for it.
//!
//! Exit status: 0 every record converted, 1 some record failed (the others are still
//! printed), 2 the file cannot be read or the format is unknown. A record "converted" when
//! its transaction did (it parsed, or it was written): a canonical view the model refuses
//! is reported in that line's `errors` but does not fail the record, since the
//! transaction itself is complete and converts back.
//!
//! Data lines on stdout are the user's own data (they hold SSNs and names); nothing else
//! the command prints quotes a field value.

use std::io::Write;
use std::path::Path;

use ivd_csenet::{HeaderKind, Transaction};
use ivd_fixed::{ErrorCode, FieldError, RecordVerdict};
use serde::Serialize;

use crate::files::{FileFormat, FileOptions, read_file};

/// CSENet 2000 transactions, one per line; outgoing (127-byte header) and incoming
/// (121-byte header) records are told apart by the length rule.
#[derive(Debug)]
pub struct CsenetTransactions;

impl FileFormat for CsenetTransactions {
    fn name(&self) -> &'static str {
        "csenet"
    }

    fn describe(&self) -> &'static str {
        "CSENet 2000 transactions (outgoing or incoming data set), one per line"
    }

    fn check<'a>(&'a self, bytes: &'a [u8]) -> Box<dyn Iterator<Item = RecordVerdict> + 'a> {
        Box::new(ivd_csenet::transaction_verdicts(bytes))
    }

    fn converts(&self) -> bool {
        true
    }

    fn convert_file(&self, file: &Path, options: &FileOptions) -> i32 {
        let direction = match (options.from_json, options.outbound, options.inbound) {
            (false, _, _) => Direction::ToJson,
            (true, true, _) => Direction::FromJson(Some(HeaderKind::Outbound)),
            (true, _, true) => Direction::FromJson(Some(HeaderKind::Inbound)),
            (true, false, false) => Direction::FromJson(None),
        };
        convert(file, direction)
    }
}

/// The CSENet server's 145-byte error records (the invalid transactions data set).
#[derive(Debug)]
pub struct CsenetServerErrors;

impl FileFormat for CsenetServerErrors {
    fn name(&self) -> &'static str {
        "csenet-errors"
    }

    fn describe(&self) -> &'static str {
        "CSENet server error records (invalid transactions data set), 145 bytes each"
    }

    fn check<'a>(&'a self, bytes: &'a [u8]) -> Box<dyn Iterator<Item = RecordVerdict> + 'a> {
        Box::new(ivd_csenet::server_error_verdicts(bytes))
    }
}

/// Which way to convert.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Direction {
    /// Partner records to JSON lines.
    ToJson,
    /// JSON lines to partner records; `Some` forces the header kind.
    FromJson(Option<HeaderKind>),
}

/// `convert csenet`; returns the exit status.
fn convert(file: &Path, direction: Direction) -> i32 {
    let Some(bytes) = read_file(file) else {
        return 2;
    };
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let result = match direction {
        Direction::ToJson => csenet_to_json(&bytes, &mut out),
        Direction::FromJson(kind) => csenet_from_json(&bytes, kind, &mut out),
    };
    let failed = match result.and_then(|failed| out.flush().map(|()| failed)) {
        Ok(failed) => failed,
        Err(error) => {
            eprintln!("Cannot write the output: {error}");
            return 2;
        }
    };
    if failed > 0 { 1 } else { 0 }
}

/// The `check` contract's JSON shape of one error.
#[derive(Debug, Serialize)]
struct ErrorView {
    field: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    position: Option<usize>,
    code: String,
    message: String,
}

impl From<&FieldError> for ErrorView {
    fn from(e: &FieldError) -> Self {
        ErrorView {
            field: e.field.to_string(),
            position: e.position,
            code: e.code.as_str().to_owned(),
            message: e.message.clone(),
        }
    }
}

impl From<&ivd_csenet::translate::TranslateError> for ErrorView {
    fn from(e: &ivd_csenet::translate::TranslateError) -> Self {
        ErrorView {
            field: e.field.clone(),
            position: None,
            code: e.code.to_owned(),
            message: e.message.clone(),
        }
    }
}

/// One output line of the first direction.
#[derive(Serialize)]
struct Line<'a> {
    record: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    transaction: Option<&'a Transaction>,
    #[serde(skip_serializing_if = "Option::is_none")]
    case: Option<ivd_csenet::translate::InterstateCase>,
    #[serde(skip_serializing_if = "Option::is_none")]
    errors: Option<Vec<ErrorView>>,
}

/// Writes one JSON line per record; returns how many failed.
fn csenet_to_json(bytes: &[u8], out: &mut impl Write) -> std::io::Result<u64> {
    let mut failed = 0;
    for (record, n) in ivd_csenet::split_transactions(bytes).zip(1u64..) {
        let parsed = Transaction::parse(record);
        let line = match &parsed {
            Ok(t) => match ivd_csenet::translate::to_model(t) {
                Ok(case) => Line {
                    record: n,
                    transaction: Some(t),
                    case: Some(case),
                    errors: None,
                },
                // The record parsed but has no canonical view (a value the model refuses):
                // the transaction is printed with the reasons, and the record counts as
                // failed.
                Err(errors) => {
                    failed += 1;
                    Line {
                        record: n,
                        transaction: Some(t),
                        case: None,
                        errors: Some(errors.iter().map(ErrorView::from).collect()),
                    }
                }
            },
            Err(errors) => {
                failed += 1;
                Line {
                    record: n,
                    transaction: None,
                    case: None,
                    errors: Some(errors.iter().map(ErrorView::from).collect()),
                }
            }
        };
        serde_json::to_writer(&mut *out, &line)?;
        out.write_all(b"\n")?;
    }
    Ok(failed)
}

/// Writes one CSENet record per JSON line; returns how many failed (reported on stderr).
fn csenet_from_json(
    bytes: &[u8],
    kind: Option<HeaderKind>,
    out: &mut impl Write,
) -> std::io::Result<u64> {
    let mut failed = 0;
    for (line, n) in bytes.split(|b| *b == b'\n').zip(1u64..) {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let written = transaction_from_line(line).and_then(|t| {
            let kind = kind.unwrap_or_else(|| t.header_kind());
            t.write(kind)
        });
        match written {
            Ok(record) => {
                out.write_all(&record)?;
                out.write_all(b"\n")?;
            }
            Err(errors) => {
                failed += 1;
                eprintln!("{}", RecordVerdict::new(n, errors));
            }
        }
    }
    Ok(failed)
}

const JSON: ErrorCode = ErrorCode::new("JSON");
const INVALID_VALUE: ErrorCode = ErrorCode::new("INVALID_VALUE");

/// The keys of the first direction's lines.
const WRAPPER_KEYS: [&str; 4] = ["record", "transaction", "case", "errors"];

/// A transaction from one JSON line, bare or wrapped.
fn transaction_from_line(line: &[u8]) -> Result<Transaction, Vec<FieldError>> {
    let value: serde_json::Value = serde_json::from_slice(line).map_err(|e| {
        vec![FieldError::new(
            JSON,
            "line",
            e.column().max(1),
            ivd_casejson::without_quoted_values(&e.to_string()),
        )]
    })?;
    let serde_json::Value::Object(mut map) = value else {
        return Err(vec![FieldError::unpositioned(
            JSON,
            "line",
            "expected a JSON object",
        )]);
    };
    let (value, prefix) = if map.contains_key("transaction") || map.contains_key("record") {
        if map.keys().any(|k| !WRAPPER_KEYS.contains(&k.as_str())) {
            return Err(vec![FieldError::unpositioned(
                JSON,
                "line",
                "unknown field; expected record, transaction, case, errors",
            )]);
        }
        match map.remove("transaction") {
            Some(t) => (t, "transaction"),
            None => {
                return Err(vec![FieldError::unpositioned(
                    ErrorCode::REQUIRED,
                    "transaction",
                    "no transaction (the record did not convert)",
                )]);
            }
        }
    } else {
        (serde_json::Value::Object(map), "")
    };
    serde_path_to_error::deserialize::<_, Transaction>(value).map_err(|e| {
        let path = e.path().to_string();
        let field = match (prefix, path.as_str()) {
            ("", p) => p.to_owned(),
            (pre, ".") => pre.to_owned(),
            (pre, p) => format!("{pre}.{p}"),
        };
        let message = ivd_casejson::without_quoted_values(&e.into_inner().to_string());
        vec![FieldError::unpositioned(INVALID_VALUE, field, message)]
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refused_value_is_named_by_path_and_never_quoted() {
        let line = br#"{"record": 1, "transaction": {"header": {"serialNumber": "123-45-6789"}}}"#;
        let errors = transaction_from_line(line).unwrap_err();
        assert_eq!(errors[0].field, "transaction.header.serialNumber");
        assert!(!errors[0].message.contains("6789"), "{}", errors[0].message);

        let errors = transaction_from_line(br#"{"record": 3, "errors": []}"#).unwrap_err();
        assert_eq!(errors[0].code, ErrorCode::REQUIRED);
        let errors = transaction_from_line(b"{not json").unwrap_err();
        assert_eq!(errors[0].code, JSON);
        let errors = transaction_from_line(br#"{"record": 1, "secret": "x"}"#).unwrap_err();
        assert_eq!(errors[0].code, JSON);
    }
}
