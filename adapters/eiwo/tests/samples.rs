//! The committed samples: they are what the fixtures write (run with `EIWO_BLESS=1` to
//! regenerate them after a deliberate layout change), they read back without error, and
//! read → write gives the same bytes.

mod common;

use common::*;
use ivd_eiwo::codes::record::{INVALID_COMBINATION, INVALID_ID};
use ivd_eiwo::{
    AckBatch, IwoBatch, acknowledgment_verdicts, layout, read_acknowledgments, read_iwo_file,
    write_acknowledgments, write_iwo_file,
};
use ivd_fixed::ErrorCode;

fn iwo_file() -> Vec<u8> {
    write_iwo_file(&iwo_header(), &iwo_batches()).expect("fixtures write")
}

fn ack_file() -> Vec<u8> {
    write_acknowledgments(&ack_header(), &ack_batches()).expect("fixtures write")
}

/// An acknowledgment file whose envelope is sound but whose records are not all: record
/// 4 accepts with reason N (not allowed), record 5 has SSN area 666, record 6 is short.
fn ack_bad_record_file() -> Vec<u8> {
    let mut batches = ack_batches();
    batches[0].acknowledgments.truncate(2);
    batches[0].acknowledgments.push(answer(
        "MN0000000006",
        "TRK000000006",
        ivd_eiwo::Disposition::ACCEPTED,
    ));
    batches[0].acknowledgments.push(answer(
        "MN0000000007",
        "TRK000000007",
        ivd_eiwo::Disposition::ACCEPTED,
    ));
    batches[0].acknowledgments.push(answer(
        "MN0000000008",
        "TRK000000008",
        ivd_eiwo::Disposition::ACCEPTED,
    ));
    let mut header = ack_header();
    header.control_number = "27ACK00000000000000002".into();
    batches[0].control_number = "27ACB00000000000000002".into();
    let file = write_acknowledgments(&header, &batches).unwrap();
    let mut lines: Vec<Vec<u8>> = file
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .map(<[u8]>::to_vec)
        .collect();
    let reason = layout::ACK
        .field("DISPOSITION_REASON_CODE")
        .unwrap()
        .range();
    lines[4][reason].copy_from_slice(b"N  ");
    let ssn = layout::ACK.field("EMPLOYEE_SSN").unwrap().range();
    lines[5][ssn].copy_from_slice(b"666123456");
    lines[6].truncate(400);
    let mut out = lines.join(&b'\n');
    out.push(b'\n');
    out
}

fn check_or_bless(name: &str, bytes: &[u8]) {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("samples")
        .join(name);
    if std::env::var_os("EIWO_BLESS").is_some() {
        std::fs::write(&path, bytes).unwrap();
    }
    assert_eq!(
        sample(name),
        bytes,
        "{name} differs from what the fixtures write"
    );
}

#[test]
fn every_layout_is_contiguous_and_adds_up() {
    for l in layout::ALL {
        assert_eq!(l.validate(), Ok(()), "{}", l.name);
    }
    // The positions the spec verifies (§1.3, §1.2).
    let at = |l: &ivd_fixed::Layout, f: &str| {
        let f = l.field(f).unwrap();
        (f.start, f.end())
    };
    assert_eq!(at(&layout::DTL, "DOCUMENT_CODE"), (1, 3));
    assert_eq!(at(&layout::DTL, "FILLER_1"), (4, 6));
    assert_eq!(at(&layout::DTL, "DOCUMENT_ACTION_CODE"), (7, 9));
    assert_eq!(at(&layout::DTL, "DOCUMENT_DATE"), (10, 17));
    assert_eq!(
        at(&layout::DTL, "ISSUING_STATE_TRIBE_TERRITORY_NAME"),
        (18, 52)
    );
    assert_eq!(at(&layout::DTL, "ISSUING_JURISDICTION_NAME"), (53, 87));
    assert_eq!(at(&layout::DTL, "CASE_IDENTIFIER"), (88, 102));
    assert_eq!(at(&layout::DTL, "EMPLOYER_NAME"), (103, 159));
    assert_eq!(at(&layout::DTL, "EMPLOYER_ADDRESS_LINE_1"), (160, 184));
    assert_eq!(at(&layout::HEADER, "CONTROL_NUMBER"), (4, 25));
}

#[test]
fn the_iwo_sample_is_what_the_fixtures_write_and_reads_back() {
    let bytes = iwo_file();
    check_or_bless("iwo-file.txt", &bytes);
    let file = read_iwo_file(&bytes);
    assert_eq!(file.envelope_errors, vec![]);
    assert!(
        file.verdicts.iter().all(|v| v.is_valid()),
        "{:?}",
        file.verdicts
    );
    assert_eq!(file.header, Some(iwo_header()));
    assert_eq!(file.batches, iwo_batches());
    let again = write_iwo_file(file.header.as_ref().unwrap(), &file.batches).unwrap();
    assert_eq!(again, bytes);
}

#[test]
fn the_ack_sample_is_what_the_fixtures_write_and_reads_back() {
    let bytes = ack_file();
    check_or_bless("ack-accepts-and-rejects.txt", &bytes);
    let file = read_acknowledgments(&bytes);
    assert!(file.is_envelope_valid(), "{:?}", file.envelope_errors);
    assert!(
        file.verdicts.iter().all(|v| v.is_valid()),
        "{:?}",
        file.verdicts
    );
    let mut expected = acks();
    for (a, line) in expected.iter_mut().zip(3..) {
        a.record = line;
    }
    assert_eq!(file.acknowledgments, expected);
    let batch = AckBatch {
        control_number: "27ACB00000000000000001".into(),
        fein: file.fein.clone().unwrap(),
        acknowledgments: file.acknowledgments.clone(),
    };
    assert_eq!(
        write_acknowledgments(file.header.as_ref().unwrap(), &[batch]).unwrap(),
        bytes
    );
}

#[test]
fn the_bad_record_sample_rejects_three_records_and_keeps_the_good_ones() {
    let bytes = ack_bad_record_file();
    check_or_bless("ack-bad-record.txt", &bytes);
    let file = read_acknowledgments(&bytes);
    assert!(file.is_envelope_valid(), "{:?}", file.envelope_errors);
    let invalid: Vec<(u64, ErrorCode)> = file
        .verdicts
        .iter()
        .filter(|v| !v.is_valid())
        .map(|v| (v.record, v.errors[0].code))
        .collect();
    assert_eq!(
        invalid,
        [
            (5, INVALID_COMBINATION),
            (6, INVALID_ID),
            (7, ErrorCode::LENGTH)
        ]
    );
    assert_eq!(file.acknowledgments.len(), 2);
    // The check contract: one line per record of the file, header and trailers included.
    let lines: Vec<String> = acknowledgment_verdicts(&bytes)
        .map(|v| v.to_json_line())
        .collect();
    assert_eq!(lines.len(), 9);
    assert!(
        lines[4].contains(r#""code": "INVALID_COMBINATION""#),
        "{}",
        lines[4]
    );
    assert!(
        lines[5].contains(r#""field": "EMPLOYEE_SSN""#),
        "{}",
        lines[5]
    );
    assert!(!lines[5].contains("666123456"));
}

#[test]
fn every_dtl_record_of_the_sample_rewrites_byte_for_byte() {
    let bytes = sample("iwo-file.txt");
    for line in bytes
        .split(|&b| b == b'\n')
        .filter(|l| l.starts_with(b"DTL"))
    {
        assert_eq!(layout::DTL.rewrite(line).unwrap(), line);
    }
    for line in sample("ack-accepts-and-rejects.txt").split(|&b| b == b'\n') {
        if line.starts_with(b"ACK") {
            assert_eq!(layout::ACK.rewrite(line).unwrap(), line);
        }
    }
}

#[test]
fn a_file_mixing_every_record_type_dispatches_by_document_code() {
    let bytes = sample("iwo-file.txt");
    let codes: Vec<&[u8]> = bytes
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .map(|l| &l[..3])
        .collect();
    assert_eq!(
        codes,
        [
            &b"FHI"[..],
            b"BHI",
            b"DTL",
            b"DTL",
            b"BTI",
            b"BHI",
            b"DTL",
            b"BTI",
            b"FTI"
        ]
    );
    let lens: Vec<usize> = bytes
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .map(<[u8]>::len)
        .collect();
    assert_eq!(lens, [100, 100, 2250, 2250, 100, 100, 2250, 100, 100]);
    let _unused: Option<IwoBatch> = None;
}
