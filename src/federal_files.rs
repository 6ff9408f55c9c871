//! `check` and `convert` for the federal tax refund offset files and the FIDM files.
//!
//! Federal files come in EBCDIC (the federal rule) or ASCII (test files, some states'
//! FIDM partners); the commands tell them apart by the bytes: a file whose first record is
//! nearly all printable ASCII is ASCII, anything else is EBCDIC 037.
//!
//! `convert FORMAT FILE` prints one JSON object per parsed record (the adapter's JSON form,
//! documented in `adapters/offset/README.md` and `adapters/fidm/README.md`) and reports
//! every invalid record on stderr as a `check --json` verdict; exit 0 when every record
//! converted, 1 when some did not, 2 when the file cannot be read. Output lines hold the
//! file's personal data (SSNs, names): treat them as the file itself.

use std::io::Write;
use std::path::Path;

use ivd_fixed::{Encoding, FieldError, RecordVerdict};
use serde::Serialize;

use crate::check::CheckFormat;

/// ASCII when the first 245 bytes are at least 95% printable ASCII or line ends.
pub fn sniff_encoding(bytes: &[u8]) -> Encoding {
    let head = &bytes[..bytes.len().min(245)];
    if head.is_empty() {
        return Encoding::Ascii;
    }
    let printable = head
        .iter()
        .filter(|b| (0x20..0x7f).contains(*b) || **b == b'\n' || **b == b'\r')
        .count();
    if printable * 100 >= head.len() * 95 {
        Encoding::Ascii
    } else {
        Encoding::Ebcdic037
    }
}

/// One federal file format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FederalFormat {
    /// State → OCSE case submission and update file (E-1/E-2).
    OffsetSubmission,
    /// OCSE → state rejected case submissions (F-1/F-2).
    OffsetRejects,
    /// OCSE → state collections and adjustments (F-4/F-5).
    OffsetCollections,
    /// OCSE → state case reconciliation (F-6/F-7).
    OffsetReconciliation,
    /// Financial institution → state, Method 1 all accounts (A/B/T).
    FidmAccounts,
    /// State → financial institution, Method 2 inquiry (D/I/T).
    FidmInquiry,
    /// Financial institution → state, Method 2 matches (A/B/T).
    FidmMatches,
}

impl FederalFormat {
    /// Every format.
    pub const ALL: [FederalFormat; 7] = [
        FederalFormat::OffsetSubmission,
        FederalFormat::OffsetRejects,
        FederalFormat::OffsetCollections,
        FederalFormat::OffsetReconciliation,
        FederalFormat::FidmAccounts,
        FederalFormat::FidmInquiry,
        FederalFormat::FidmMatches,
    ];

    /// The name on the command line.
    pub fn name(self) -> &'static str {
        match self {
            FederalFormat::OffsetSubmission => "offset-submission",
            FederalFormat::OffsetRejects => "offset-rejects",
            FederalFormat::OffsetCollections => "offset-collections",
            FederalFormat::OffsetReconciliation => "offset-reconciliation",
            FederalFormat::FidmAccounts => "fidm-accounts",
            FederalFormat::FidmInquiry => "fidm-inquiry",
            FederalFormat::FidmMatches => "fidm-matches",
        }
    }

    /// One line saying what it is.
    pub fn describe(self) -> &'static str {
        match self {
            FederalFormat::OffsetSubmission => {
                "tax refund offset case submission and update file (245-byte E-1 records, E-2 control)"
            }
            FederalFormat::OffsetRejects => {
                "tax refund offset rejected submissions (F-1, F-2 control)"
            }
            FederalFormat::OffsetCollections => {
                "tax refund offset collections and adjustments (F-4, F-5 control)"
            }
            FederalFormat::OffsetReconciliation => {
                "tax refund offset case reconciliation (F-6 REC, F-7 RCT)"
            }
            FederalFormat::FidmAccounts => "FIDM Method 1 all-accounts or update file (A/B/T)",
            FederalFormat::FidmInquiry => "FIDM Method 2 inquiry file (D/I/T, 99 bytes)",
            FederalFormat::FidmMatches => "FIDM Method 2 match file (A/B/T)",
        }
    }

    /// The format with this command-line name.
    pub fn named(name: &str) -> Option<FederalFormat> {
        FederalFormat::ALL.into_iter().find(|f| f.name() == name)
    }

    fn verdicts(self, bytes: &[u8]) -> Vec<RecordVerdict> {
        let encoding = sniff_encoding(bytes);
        match self {
            FederalFormat::OffsetSubmission => {
                ivd_offset::submission_verdicts(bytes, encoding).collect()
            }
            FederalFormat::OffsetRejects => ivd_offset::reject_verdicts(bytes, encoding).collect(),
            FederalFormat::OffsetCollections => {
                ivd_offset::collection_verdicts(bytes, encoding).collect()
            }
            FederalFormat::OffsetReconciliation => {
                ivd_offset::reconciliation_verdicts(bytes, encoding).collect()
            }
            FederalFormat::FidmAccounts => ivd_fidm::account_verdicts(bytes, encoding).collect(),
            FederalFormat::FidmInquiry => ivd_fidm::inquiry_verdicts(bytes, encoding).collect(),
            FederalFormat::FidmMatches => ivd_fidm::match_verdicts(bytes, encoding).collect(),
        }
    }

    /// The parsed records as JSON values with their record numbers, and the file's
    /// problems (invalid records' verdicts and file-level errors).
    fn parsed(self, bytes: &[u8]) -> (Vec<serde_json::Value>, Vec<RecordVerdict>, Vec<FieldError>) {
        fn json<T: Serialize>(items: &[T]) -> Vec<serde_json::Value> {
            items
                .iter()
                .map(|i| serde_json::to_value(i).unwrap_or_default())
                .collect()
        }
        let encoding = sniff_encoding(bytes);
        let (values, verdicts, errors) = match self {
            FederalFormat::OffsetSubmission => {
                let f = ivd_offset::read_submission_file(bytes, encoding);
                (json(&f.submissions), f.verdicts, f.errors)
            }
            FederalFormat::OffsetRejects => {
                let f = ivd_offset::read_rejects(bytes, encoding);
                (json(&f.rejects), f.verdicts, f.errors)
            }
            FederalFormat::OffsetCollections => {
                let f = ivd_offset::read_collections(bytes, encoding);
                (json(&f.collections), f.verdicts, f.errors)
            }
            FederalFormat::OffsetReconciliation => {
                let f = ivd_offset::read_reconciliation(bytes, encoding);
                (json(&f.records), f.verdicts, f.errors)
            }
            FederalFormat::FidmAccounts => {
                let mut accounts = Vec::new();
                let mut verdicts = Vec::new();
                for outcome in ivd_fidm::read_accounts(bytes, encoding) {
                    verdicts.push(outcome.verdict());
                    if let Some(account) = outcome.account {
                        accounts.push(account);
                    }
                }
                (json(&accounts), verdicts, Vec::new())
            }
            FederalFormat::FidmInquiry => {
                let f = ivd_fidm::read_inquiry_file(bytes, encoding);
                let values = f
                    .inquiries
                    .iter()
                    .zip(&f.records)
                    .map(|(inquiry, record)| {
                        serde_json::json!({ "record": record, "inquiry": inquiry })
                    })
                    .collect();
                (values, f.verdicts, f.errors)
            }
            FederalFormat::FidmMatches => {
                let f = ivd_fidm::read_match_file(bytes, encoding);
                (json(&f.matches), f.verdicts, f.errors)
            }
        };
        let invalid = verdicts.into_iter().filter(|v| !v.is_valid()).collect();
        (values, invalid, errors)
    }
}

impl CheckFormat for FederalFormat {
    fn name(&self) -> &'static str {
        FederalFormat::name(*self)
    }

    fn describe(&self) -> &'static str {
        FederalFormat::describe(*self)
    }

    fn check<'a>(&'a self, bytes: &'a [u8]) -> Box<dyn Iterator<Item = RecordVerdict> + 'a> {
        Box::new(self.verdicts(bytes).into_iter())
    }
}

/// `convert FORMAT FILE` for a federal format; returns the exit status.
pub fn convert(format: FederalFormat, file: &Path) -> i32 {
    let bytes = match std::fs::read(file) {
        Ok(bytes) => bytes,
        Err(error) => {
            eprintln!("Cannot read {}: {error}", file.display());
            return 2;
        }
    };
    let (values, invalid, errors) = format.parsed(&bytes);
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    for value in &values {
        if writeln!(out, "{value}").is_err() {
            return 2;
        }
    }
    if out.flush().is_err() {
        return 2;
    }
    for verdict in &invalid {
        eprintln!("{}", verdict.to_json_line());
    }
    for error in &errors {
        eprintln!(
            "{}",
            serde_json::json!({ "file": true, "field": error.field, "code": error.code.as_str(), "message": error.message })
        );
    }
    if invalid.is_empty() && errors.is_empty() {
        0
    } else {
        1
    }
}

/// `convert tribal FILE`: the document as one JSON object; with `from_json`, a JSON object
/// (as printed) written back as the XML document (redacted, checked against the reader).
/// Exit 0 converted, 1 invalid, 2 unreadable.
pub fn convert_tribal(file: &Path, from_json: bool) -> i32 {
    let bytes = match std::fs::read(file) {
        Ok(bytes) => bytes,
        Err(error) => {
            eprintln!("Cannot read {}: {error}", file.display());
            return 2;
        }
    };
    let result: Result<Vec<u8>, String> = if from_json {
        match ivd_tribal::from_json(&String::from_utf8_lossy(&bytes)) {
            Ok(message) => ivd_tribal::write(&message).map_err(|e| format!("{e:?}")),
            Err(error) => Err(format!(
                "not a Tribal exchange message in JSON: line {}, column {}",
                error.line(),
                error.column()
            )),
        }
    } else {
        match ivd_tribal::parse(&bytes) {
            Ok(message) => ivd_tribal::to_json(&message)
                .map(|mut json| {
                    json.push('\n');
                    json.into_bytes()
                })
                .map_err(|e| e.to_string()),
            Err(_) => {
                for verdict in ivd_tribal::verdicts(&bytes) {
                    eprintln!("{}", verdict.to_json_line());
                }
                return 1;
            }
        }
    };
    match result {
        Ok(out) => {
            if std::io::stdout().write_all(&out).is_err() {
                return 2;
            }
            0
        }
        Err(message) => {
            eprintln!("{message}");
            1
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ascii_and_ebcdic_are_told_apart_by_their_bytes() {
        let ascii = b"KS   123456789".repeat(20);
        assert_eq!(sniff_encoding(&ascii), Encoding::Ascii);
        let ebcdic = Encoding::Ebcdic037.encode(&ascii).into_owned();
        assert_eq!(sniff_encoding(&ebcdic), Encoding::Ebcdic037);
    }

    #[test]
    fn every_committed_sample_checks_with_its_format() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        for (format, sample) in [
            (
                FederalFormat::OffsetSubmission,
                "adapters/offset/samples/submission.txt",
            ),
            (
                FederalFormat::OffsetSubmission,
                "adapters/offset/samples/submission.ebcdic",
            ),
            (
                FederalFormat::OffsetRejects,
                "adapters/offset/samples/rejects.txt",
            ),
            (
                FederalFormat::OffsetCollections,
                "adapters/offset/samples/collections.txt",
            ),
            (
                FederalFormat::OffsetReconciliation,
                "adapters/offset/samples/reconciliation.txt",
            ),
            (
                FederalFormat::FidmAccounts,
                "adapters/fidm/samples/all-accounts.txt",
            ),
            (
                FederalFormat::FidmAccounts,
                "adapters/fidm/samples/all-accounts.ebc",
            ),
            (
                FederalFormat::FidmInquiry,
                "adapters/fidm/samples/inquiry.txt",
            ),
            (
                FederalFormat::FidmMatches,
                "adapters/fidm/samples/match.txt",
            ),
        ] {
            let bytes = std::fs::read(root.join(sample)).unwrap();
            let verdicts = format.verdicts(&bytes);
            assert!(!verdicts.is_empty(), "{sample}");
            assert!(
                verdicts.iter().all(RecordVerdict::is_valid),
                "{sample}: {verdicts:?}"
            );
            let (values, invalid, errors) = format.parsed(&bytes);
            assert!(
                !values.is_empty() && invalid.is_empty() && errors.is_empty(),
                "{sample}"
            );
        }
    }

    #[test]
    fn a_bad_record_is_named_without_its_value() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let bytes =
            std::fs::read(root.join("adapters/offset/samples/submission-mixed.txt")).unwrap();
        let verdicts = FederalFormat::OffsetSubmission.verdicts(&bytes);
        assert!(verdicts.iter().any(|v| !v.is_valid()));
        let expected = std::fs::read_to_string(
            root.join("adapters/offset/samples/submission-mixed.verdicts.jsonl"),
        )
        .unwrap();
        let got: Vec<String> = verdicts.iter().map(RecordVerdict::to_json_line).collect();
        assert_eq!(got, expected.lines().collect::<Vec<_>>());
    }
}
