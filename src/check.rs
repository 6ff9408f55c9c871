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

use ivd_fixed::RecordVerdict;

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
    vec![
        &CaseJsonLines,
        &CsenetTransactions,
        &CsenetServerErrors,
        &EiwoAcknowledgments,
        &TribalExchange,
        &crate::federal_files::FederalFormat::OffsetSubmission,
        &crate::federal_files::FederalFormat::OffsetRejects,
        &crate::federal_files::FederalFormat::OffsetCollections,
        &crate::federal_files::FederalFormat::OffsetReconciliation,
        &crate::federal_files::FederalFormat::FidmAccounts,
        &crate::federal_files::FederalFormat::FidmInquiry,
        &crate::federal_files::FederalFormat::FidmMatches,
    ]
}

/// A Tribal case-exchange document (`schemas/tribal-exchange.xsd`): one verdict for the
/// document, errors named by element path.
#[derive(Debug)]
pub struct TribalExchange;

impl CheckFormat for TribalExchange {
    fn name(&self) -> &'static str {
        "tribal"
    }

    fn describe(&self) -> &'static str {
        "Tribal case-exchange XML document (request, response or acknowledgment)"
    }

    fn check<'a>(&'a self, bytes: &'a [u8]) -> Box<dyn Iterator<Item = RecordVerdict> + 'a> {
        Box::new(ivd_tribal::verdicts(bytes))
    }
}

/// Employers' e-IWO acknowledgment files (FHA, BHA, ACK…, BTA, FTA): the envelope and
/// every acknowledgment record.
#[derive(Debug)]
pub struct EiwoAcknowledgments;

impl CheckFormat for EiwoAcknowledgments {
    fn name(&self) -> &'static str {
        "eiwo-ack"
    }

    fn describe(&self) -> &'static str {
        "e-IWO employer acknowledgment files (header, batches, ACK records, trailers)"
    }

    fn check<'a>(&'a self, bytes: &'a [u8]) -> Box<dyn Iterator<Item = RecordVerdict> + 'a> {
        Box::new(ivd_eiwo::verdicts(bytes))
    }
}

/// CSENet 2000 transactions, one per line; outgoing (127-byte header) and incoming
/// (121-byte header) records are told apart by the length rule.
#[derive(Debug)]
pub struct CsenetTransactions;

impl CheckFormat for CsenetTransactions {
    fn name(&self) -> &'static str {
        "csenet"
    }

    fn describe(&self) -> &'static str {
        "CSENet 2000 transactions (outgoing or incoming data set), one per line"
    }

    fn check<'a>(&'a self, bytes: &'a [u8]) -> Box<dyn Iterator<Item = RecordVerdict> + 'a> {
        Box::new(ivd_csenet::verdicts(bytes))
    }
}

/// The CSENet server's 145-byte error records (the invalid transactions data set).
#[derive(Debug)]
pub struct CsenetServerErrors;

impl CheckFormat for CsenetServerErrors {
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

/// Runs the command; returns the exit status.
pub fn run(format: &str, file: &Path, json: bool) -> i32 {
    let Some(checker) = formats().into_iter().find(|f| f.name() == format) else {
        eprintln!("Unknown format {format:?}. Known formats:");
        for f in formats() {
            eprintln!("  {:<12} {}", f.name(), f.describe());
        }
        eprintln!(
            "  {:<12} employers' new-hire files (W4, XX, CSV or XML; --format to name one)",
            "newhire"
        );
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
    match crate::canonical::parse_case(line) {
        Ok(_) => RecordVerdict::valid(record),
        Err(errors) => RecordVerdict::new(record, errors),
    }
}
