//! Regressions from fuzzing and the pathological-input memory check. Each test feeds the
//! exact input and asserts the verdict.

use ivd_eiwo::{acknowledgment_verdicts, iwo_verdicts, read_acknowledgments, read_iwo_file};

/// Envelope errors after which reading stops (`envelope::MAX_ENVELOPE_ERRORS`).
const MAX_ENVELOPE_ERRORS: usize = 1000;

fn stops_reading(errors: &[ivd_fixed::FieldError]) -> bool {
    errors
        .iter()
        .any(|e| e.code.as_str() == "REC" && e.message.contains("reading stops"))
}

/// 50 MB of `\n` once made one `DOC` error per line (52 million) and, for the per-line
/// verdicts, a cloned error per line: tens of gigabytes, killed by the OOM killer. Reading
/// now stops after `MAX_ENVELOPE_ERRORS` (the file is rejected whole at the first).
#[test]
fn a_file_of_blank_lines_is_rejected_with_a_bounded_report() {
    let file = vec![b'\n'; 2_000_000];

    let iwo = read_iwo_file(&file);
    assert!(iwo.iwos().next().is_none());
    assert!(iwo.envelope_errors.len() > MAX_ENVELOPE_ERRORS);
    assert!(iwo.envelope_errors.len() <= MAX_ENVELOPE_ERRORS + 3);
    assert!(stops_reading(&iwo.envelope_errors));
    let lines = iwo_verdicts(&file).count();
    assert_eq!(lines, MAX_ENVELOPE_ERRORS + 1);

    let ack = read_acknowledgments(&file);
    assert!(ack.acknowledgments.is_empty());
    assert!(!ack.is_envelope_valid());
    assert!(ack.envelope_errors.len() <= MAX_ENVELOPE_ERRORS + 3);
    assert!(stops_reading(&ack.envelope_errors));
    assert_eq!(
        acknowledgment_verdicts(&file).count(),
        MAX_ENVELOPE_ERRORS + 1
    );
}

/// The same with junk lines that are not blank.
#[test]
fn a_file_of_junk_lines_is_rejected_with_a_bounded_report() {
    let file = b"XYZ\r\n".repeat(500_000);
    let iwo = read_iwo_file(&file);
    assert!(iwo.envelope_errors.len() <= MAX_ENVELOPE_ERRORS + 3);
    assert!(stops_reading(&iwo.envelope_errors));
    assert!(iwo_verdicts(&file).count() <= MAX_ENVELOPE_ERRORS + 1);
}

/// A few envelope errors do not stop reading: every line still gets its verdict.
#[test]
fn a_few_bad_lines_are_all_reported() {
    let file = b"\n\nXYZ\n".repeat(10);
    let iwo = read_iwo_file(&file);
    assert!(!stops_reading(&iwo.envelope_errors));
    assert_eq!(iwo_verdicts(&file).count(), 30);
}

/// One 50 MB line: a single `REC`/`DOC` verdict, no copy per byte.
#[test]
fn one_enormous_line_is_one_verdict() {
    let mut file = b"FHI".to_vec();
    file.resize(50 * 1024 * 1024, b'A');
    let iwo = read_iwo_file(&file);
    assert!(iwo.header.is_none());
    assert!(!iwo.envelope_errors.is_empty());
    assert_eq!(iwo_verdicts(&file).count(), 1);
}
