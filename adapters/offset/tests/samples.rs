//! The committed samples: each is what the fixtures write (regenerate with
//! `OFFSET_BLESS=1 cargo test -p ivd-offset --test samples` after a deliberate layout
//! change), reads back without error, and read → write gives the same bytes.

mod common;

use common::*;
use ivd_offset::{
    Encoding, RejectControl, layout, read_collections, read_reconciliation, read_rejects,
    read_submission_file, submission_verdicts, write_collections, write_reconciliation,
    write_rejects, write_submission_file,
};

fn check(name: &str, written: &[u8]) {
    let path = format!("{}/samples/{name}", env!("CARGO_MANIFEST_DIR"));
    if std::env::var_os("OFFSET_BLESS").is_some() {
        std::fs::write(&path, written).unwrap();
    }
    let committed = std::fs::read(&path).unwrap_or_else(|_| panic!("{path} missing; bless it"));
    assert!(
        committed == written,
        "{name} differs from what the fixtures write"
    );
}

fn submission_file(encoding: Encoding) -> Vec<u8> {
    write_submission_file("KS", &sample_submissions(), encoding).unwrap()
}

fn reject_file() -> Vec<u8> {
    let rejects = sample_rejects();
    let control = RejectControl::tally("KS", &rejects, 2, 2);
    write_rejects(&rejects, &control, Encoding::Ascii).unwrap()
}

/// Records 1–4 broken on purpose: a lower-case name, SSN area 666, unknown transaction
/// `X`, a 4-digit ZIP on an add (record 1); the control's TANF count is off by one.
fn mixed_file() -> Vec<u8> {
    let f = submission_file(Encoding::Ascii);
    let f = patch(&f, 2, 30, b"Sample");
    let f = patch(&f, 3, 6, b"666");
    let f = patch(&f, 4, 73, b"X");
    let f = patch(&f, 1, 171, b"6660     ");
    patch(&f, 6, 6, b"000000004")
}

#[test]
fn samples_are_what_the_fixtures_write() {
    check("submission.txt", &submission_file(Encoding::Ascii));
    check("submission.ebcdic", &submission_file(Encoding::Ebcdic037));
    check("rejects.txt", &reject_file());
    check(
        "collections.txt",
        &write_collections("KS", &sample_collections(), Encoding::Ascii).unwrap(),
    );
    check(
        "reconciliation.txt",
        &write_reconciliation("KS", &sample_recon(), Encoding::Ascii).unwrap(),
    );
    check("submission-mixed.txt", &mixed_file());
    let verdicts: String = submission_verdicts(&mixed_file(), Encoding::Ascii)
        .map(|v| v.to_json_line() + "\n")
        .collect();
    check("submission-mixed.verdicts.jsonl", verdicts.as_bytes());
}

#[test]
fn every_sample_reads_clean_and_rewrites_byte_for_byte() {
    let ascii = submission_file(Encoding::Ascii);
    let read = read_submission_file(&ascii, Encoding::Ascii);
    assert!(read.is_valid(), "{:?}", read.verdicts);
    assert_eq!(
        write_submission_file("KS", &read.submissions, Encoding::Ascii).unwrap(),
        ascii
    );

    let ebcdic = submission_file(Encoding::Ebcdic037);
    assert!(
        !ebcdic.contains(&b'\n'),
        "EBCDIC files have no line terminators"
    );
    let read_e = read_submission_file(&ebcdic, Encoding::Ebcdic037);
    assert_eq!(read_e, read);

    let rejects = read_rejects(&reject_file(), Encoding::Ascii);
    assert!(rejects.is_valid(), "{:?}", rejects.verdicts);
    let control = rejects.control.clone().unwrap();
    assert_eq!(
        write_rejects(&rejects.rejects, &control, Encoding::Ascii).unwrap(),
        reject_file()
    );

    let coll = write_collections("KS", &sample_collections(), Encoding::Ascii).unwrap();
    let read_c = read_collections(&coll, Encoding::Ascii);
    assert!(read_c.is_valid(), "{:?}", read_c.verdicts);
    assert_eq!(
        write_collections("KS", &read_c.collections, Encoding::Ascii).unwrap(),
        coll
    );

    let recon = write_reconciliation("KS", &sample_recon(), Encoding::Ascii).unwrap();
    let read_r = read_reconciliation(&recon, Encoding::Ascii);
    assert!(read_r.is_valid(), "{:?}", read_r.verdicts);
    assert_eq!(
        write_reconciliation("KS", &read_r.records, Encoding::Ascii).unwrap(),
        recon
    );
}

#[test]
fn every_record_of_every_sample_is_canonical_for_its_layout() {
    let pairs: [(&str, &[&ivd_fixed::Layout]); 4] = [
        ("submission.txt", &[&layout::E1, &layout::E2]),
        ("rejects.txt", &[&layout::F1, &layout::F2]),
        ("collections.txt", &[&layout::F4, &layout::F5]),
        ("reconciliation.txt", &[&layout::F6, &layout::F7]),
    ];
    for (name, layouts) in pairs {
        let file = std::fs::read(format!("{}/samples/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap();
        let ls = lines(&file);
        for (i, l) in ls.iter().enumerate() {
            let layout = if i + 1 == ls.len() {
                layouts[1]
            } else {
                layouts[0]
            };
            assert_eq!(
                layout.rewrite(l).as_deref(),
                Ok(&l[..]),
                "{name} line {}",
                i + 1
            );
        }
    }
}

#[test]
fn the_mixed_sample_reports_each_planted_error() {
    let read = read_submission_file(&mixed_file(), Encoding::Ascii);
    let got: Vec<(u64, Vec<&str>)> = read
        .verdicts
        .iter()
        .map(|v| (v.record, codes(&v.errors)))
        .collect();
    assert_eq!(
        got,
        vec![
            (1, vec!["BAD_ZIP"]),
            (2, vec!["NOT_UPPER_CASE"]),
            (3, vec!["INVALID_SSN"]),
            (4, vec!["UNKNOWN_TRANSACTION"]),
            (5, vec![]),
            // The TANF count was planted; the TANF amount differs because record 4 is
            // no longer an add (only A and M amounts are totalled).
            (6, vec!["COUNT_MISMATCH", "AMOUNT_MISMATCH"]),
        ]
    );
    assert_eq!(read.submissions.len(), 1);
    assert_eq!(
        codes(&read.errors),
        vec!["COUNT_MISMATCH", "AMOUNT_MISMATCH"]
    );
    assert_eq!(read.errors[0].record, Some(6));
    let shown = format!("{read:?}");
    assert!(
        !shown.contains("666") && !shown.contains("Sample"),
        "no value in any report"
    );
}
