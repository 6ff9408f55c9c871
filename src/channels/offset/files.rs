//! The tax refund offset files for `check` and `convert`: the state's submission file and
//! the three files OCSE returns. Federal files come in EBCDIC or ASCII; the file commands
//! tell them apart by the bytes ([`crate::files::sniff_encoding`]).

use ivd_fixed::RecordVerdict;

use crate::files::{FileFormat, Parsed, WholeFileFormat, json_values, sniff_encoding};

/// One offset file format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OffsetFormat {
    /// State → OCSE case submission and update file (E-1/E-2).
    Submission,
    /// OCSE → state rejected case submissions (F-1/F-2).
    Rejects,
    /// OCSE → state collections and adjustments (F-4/F-5).
    Collections,
    /// OCSE → state case reconciliation (F-6/F-7).
    Reconciliation,
}

/// Every offset format, as the file commands list them.
pub const FORMATS: [&dyn FileFormat; 4] = [
    &OffsetFormat::Submission,
    &OffsetFormat::Rejects,
    &OffsetFormat::Collections,
    &OffsetFormat::Reconciliation,
];

impl WholeFileFormat for OffsetFormat {
    fn name(&self) -> &'static str {
        match self {
            OffsetFormat::Submission => "offset-submission",
            OffsetFormat::Rejects => "offset-rejects",
            OffsetFormat::Collections => "offset-collections",
            OffsetFormat::Reconciliation => "offset-reconciliation",
        }
    }

    fn describe(&self) -> &'static str {
        match self {
            OffsetFormat::Submission => {
                "tax refund offset case submission and update file (245-byte E-1 records, E-2 control)"
            }
            OffsetFormat::Rejects => "tax refund offset rejected submissions (F-1, F-2 control)",
            OffsetFormat::Collections => {
                "tax refund offset collections and adjustments (F-4, F-5 control)"
            }
            OffsetFormat::Reconciliation => {
                "tax refund offset case reconciliation (F-6 REC, F-7 RCT)"
            }
        }
    }

    /// A verdict for every record of `bytes`.
    fn verdicts(&self, bytes: &[u8]) -> Vec<RecordVerdict> {
        let encoding = sniff_encoding(bytes);
        match self {
            OffsetFormat::Submission => ivd_offset::submission_verdicts(bytes, encoding).collect(),
            OffsetFormat::Rejects => ivd_offset::reject_verdicts(bytes, encoding).collect(),
            OffsetFormat::Collections => ivd_offset::collection_verdicts(bytes, encoding).collect(),
            OffsetFormat::Reconciliation => {
                ivd_offset::reconciliation_verdicts(bytes, encoding).collect()
            }
        }
    }

    /// The parsed records as JSON values, the invalid records' verdicts and the file-level
    /// errors.
    fn parsed(&self, bytes: &[u8]) -> Parsed {
        let encoding = sniff_encoding(bytes);
        let (values, verdicts, errors) = match self {
            OffsetFormat::Submission => {
                let f = ivd_offset::read_submission_file(bytes, encoding);
                (json_values(&f.submissions), f.verdicts, f.errors)
            }
            OffsetFormat::Rejects => {
                let f = ivd_offset::read_rejects(bytes, encoding);
                (json_values(&f.rejects), f.verdicts, f.errors)
            }
            OffsetFormat::Collections => {
                let f = ivd_offset::read_collections(bytes, encoding);
                (json_values(&f.collections), f.verdicts, f.errors)
            }
            OffsetFormat::Reconciliation => {
                let f = ivd_offset::read_reconciliation(bytes, encoding);
                (json_values(&f.records), f.verdicts, f.errors)
            }
        };
        let invalid = verdicts.into_iter().filter(|v| !v.is_valid()).collect();
        (values, invalid, errors)
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    #[test]
    fn every_committed_sample_checks_with_its_format() {
        crate::files::every_sample_reads_clean(&[
            (
                OffsetFormat::Submission,
                "adapters/offset/samples/submission.txt",
            ),
            (
                OffsetFormat::Submission,
                "adapters/offset/samples/submission.ebcdic",
            ),
            (OffsetFormat::Rejects, "adapters/offset/samples/rejects.txt"),
            (
                OffsetFormat::Collections,
                "adapters/offset/samples/collections.txt",
            ),
            (
                OffsetFormat::Reconciliation,
                "adapters/offset/samples/reconciliation.txt",
            ),
        ]);
    }

    #[test]
    fn a_bad_record_is_named_without_its_value() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let bytes =
            std::fs::read(root.join("adapters/offset/samples/submission-mixed.txt")).unwrap();
        let verdicts = OffsetFormat::Submission.verdicts(&bytes);
        assert!(verdicts.iter().any(|v| !v.is_valid()));
        let expected = std::fs::read_to_string(
            root.join("adapters/offset/samples/submission-mixed.verdicts.jsonl"),
        )
        .unwrap();
        let got: Vec<String> = verdicts.iter().map(RecordVerdict::to_json_line).collect();
        assert_eq!(got, expected.lines().collect::<Vec<_>>());
    }
}
