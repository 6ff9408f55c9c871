//! Regressions found by the bad-input corpus (`tests/corpus/offset/` of the gateway).

mod common;

use common::*;
use ivd_offset::{
    Encoding, collection_verdicts, read_submission_file, reconciliation_verdicts, reject_verdicts,
    submission_verdicts, write_collections, write_reconciliation, write_submission_file,
};

fn submission_file() -> Vec<u8> {
    write_submission_file("KS", &sample_submissions(), Encoding::Ascii).unwrap()
}

/// `"<record> <field> <code>"` for every error of every verdict.
fn verdict_errors(verdicts: impl Iterator<Item = ivd_offset::RecordVerdict>) -> Vec<String> {
    verdicts
        .flat_map(|v| {
            v.errors
                .iter()
                .map(|e| format!("{} {} {}", v.record, e.field, e.code.as_str()))
                .collect::<Vec<_>>()
        })
        .collect()
}

#[test]
fn a_short_first_line_costs_that_line_alone() {
    // Record 1 loses its last 5 bytes (filler). The framing used to be decided from the
    // byte after the first 245 alone: the file was taken as back to back, record 1 was
    // accepted with the line end and the start of record 2 in its filler, and every
    // later record was read shifted by 5 bytes.
    let mut lines = lines(&submission_file());
    let first_len = lines[0].len();
    lines[0].truncate(first_len - 5);
    let file = join(&lines);
    let read = read_submission_file(&file, Encoding::Ascii);
    assert_eq!(read.verdicts.len(), lines.len());
    assert_eq!(
        verdict_errors(read.verdicts.clone().into_iter()),
        [
            "1 record LENGTH",
            // The control record counts the lost submission and its amount.
            "6 TANF_COUNT COUNT_MISMATCH",
            "6 TANF_AMOUNT AMOUNT_MISMATCH",
        ]
    );
    assert_eq!(read.submissions.len(), lines.len() - 2);
}

#[test]
fn a_long_first_line_costs_that_line_alone() {
    let mut lines = lines(&submission_file());
    lines[0].extend_from_slice(b"EXTRA");
    let file = join(&lines);
    let read = read_submission_file(&file, Encoding::Ascii);
    assert_eq!(read.verdicts.len(), lines.len());
    assert_eq!(read.verdicts[0].errors[0].code.as_str(), "LENGTH");
    assert!(
        read.verdicts[1..lines.len() - 1]
            .iter()
            .all(|v| v.is_valid())
    );
}

#[test]
fn back_to_back_records_are_still_read_as_such() {
    let file: Vec<u8> = lines(&submission_file()).concat();
    let read = read_submission_file(&file, Encoding::Ascii);
    assert!(read.is_valid(), "{:?}", read.verdicts);
    let ebcdic = write_submission_file("KS", &sample_submissions(), Encoding::Ebcdic037).unwrap();
    assert!(read_submission_file(&ebcdic, Encoding::Ebcdic037).is_valid());
}

#[test]
fn a_file_without_its_control_record_is_not_reported_valid_by_check() {
    let without_last = |file: Vec<u8>| {
        let lines = lines(&file);
        join(&lines[..lines.len() - 1])
    };
    let submission = without_last(submission_file());
    let errors = verdict_errors(submission_verdicts(&submission, Encoding::Ascii));
    assert_eq!(errors, ["6 record MISSING_CONTROL"]);

    let collections =
        without_last(write_collections("KS", &sample_collections(), Encoding::Ascii).unwrap());
    let errors = verdict_errors(collection_verdicts(&collections, Encoding::Ascii));
    assert_eq!(errors.len(), 1);
    assert!(errors[0].ends_with("record MISSING_CONTROL"), "{errors:?}");

    let recon = without_last(write_reconciliation("KS", &sample_recon(), Encoding::Ascii).unwrap());
    let errors = verdict_errors(reconciliation_verdicts(&recon, Encoding::Ascii));
    assert_eq!(errors.len(), 1);
    assert!(errors[0].ends_with("record MISSING_CONTROL"), "{errors:?}");
}

#[test]
fn an_empty_file_is_one_verdict_saying_the_control_record_is_missing() {
    for verdicts in [
        verdict_errors(submission_verdicts(b"", Encoding::Ascii)),
        verdict_errors(reject_verdicts(b"", Encoding::Ascii)),
        verdict_errors(collection_verdicts(b"", Encoding::Ascii)),
        verdict_errors(reconciliation_verdicts(b"", Encoding::Ascii)),
    ] {
        assert_eq!(verdicts, ["1 record MISSING_CONTROL"]);
    }
}
