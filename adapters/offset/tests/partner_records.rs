//! "Partners are not us": a Rejected Case Submission file assembled byte by byte from the
//! public record definitions, not by this crate's writer, and read by this crate's reader.
//!
//! F-1 follows the Kansas record definition of the file OCSE returns (`FDSO_RETURN_H`,
//! "Exhibit H", in the Kansas child-support system's public code): state 2, local code 3,
//! SSN 9, case id 15, last name 20, first name 15, amount 8, transaction type 1, case type 1,
//! transfer state 2, transfer local code 3, process year 4, exclusions 40, six error codes
//! of 2, name control 4 (139 bytes, padded to the 245 of every record of the program). F-2
//! follows Chart F-2. Nothing here looks at `ivd_offset::layout`.

use ivd_fixed::Encoding;
use ivd_offset::{CaseType, TransactionType, read_rejects};

/// Pads each value with spaces to its length and the record to 245 bytes.
fn record(pieces: &[(&str, usize)]) -> Vec<u8> {
    let mut out = Vec::new();
    for (value, len) in pieces {
        assert!(value.len() <= *len, "{value:?} is longer than {len}");
        out.extend_from_slice(value.as_bytes());
        out.resize(out.len() + len - value.len(), b' ');
    }
    assert!(out.len() <= 245, "fields add up to {}", out.len());
    out.resize(245, b' ');
    out
}

fn f1(
    ssn: &str,
    case_type: &str,
    exclusions: &str,
    codes: [&str; 6],
    name_control: &str,
) -> Vec<u8> {
    let mut p = vec![
        ("KS", 2),
        ("001", 3),
        (ssn, 9),
        ("KS-0001234", 15),
        ("EXAMPLE", 20),
        ("ALEX", 15),
        ("00001500", 8),
        ("A", 1),
        (case_type, 1),
        ("", 2),
        ("", 3),
        ("", 4),
        (exclusions, 40),
    ];
    for code in codes {
        p.push((code, 2));
    }
    p.push((name_control, 4));
    record(&p)
}

/// Chart F-2: `KS`, `CTL`, then TANF accepted/rejected, non-TANF accepted/rejected, TANF
/// and non-TANF warnings, 9 digits each.
fn f2(counts: [&str; 6]) -> Vec<u8> {
    let mut p = vec![("KS", 2), ("CTL", 3)];
    for c in counts {
        p.push((c, 9));
    }
    record(&p)
}

#[test]
fn a_reject_file_built_from_the_public_definitions_reads_field_by_field() {
    let mut file = Vec::new();
    for r in [
        f1(
            "123456789",
            "A",
            "ADM,RET",
            ["17", "99", "", "", "", ""],
            "EXAM",
        ),
        f1("234567890", "N", "", ["47", "", "", "", "", ""], ""),
        f2([
            "000000000",
            "000000001",
            "000000000",
            "000000000",
            "000000000",
            "000000001",
        ]),
    ] {
        file.extend_from_slice(&r);
        file.push(b'\n');
    }
    let read = read_rejects(&file, Encoding::Ascii);
    assert!(read.is_valid(), "{:?} {:?}", read.errors, read.verdicts);
    assert_eq!(read.rejects.len(), 2);

    let first = &read.rejects[0];
    assert_eq!(first.key.ssn.expose(), "123456789");
    assert_eq!(first.key.case_type, CaseType::Tanf);
    assert_eq!(first.case_id, "KS-0001234");
    assert_eq!(first.last_name, "EXAMPLE");
    assert_eq!(first.first_name, "ALEX");
    assert_eq!(first.arrears_dollars, 1500);
    assert_eq!(first.transaction, Some(TransactionType::Add));
    // The error codes are read at 124–135, after the 40-byte exclusions.
    let codes: Vec<&str> = first.codes.iter().map(|c| c.code.as_str()).collect();
    assert_eq!(codes, ["17", "99"]);
    assert!(first.is_rejected());

    let second = &read.rejects[1];
    assert_eq!(second.key.case_type, CaseType::NonTanf);
    assert_eq!(second.codes.len(), 1);
    assert!(!second.is_rejected() && second.codes[0].warning);
}

#[test]
fn an_error_code_at_the_old_position_is_not_read() {
    // A record whose codes sit at 228–239 (the earlier proposal) carries none at 124–135:
    // the reader says so instead of finding codes in the wrong place.
    let mut rec = f1("123456789", "A", "", ["", "", "", "", "", ""], "");
    rec[227..229].copy_from_slice(b"17");
    let mut file = rec;
    file.push(b'\n');
    file.extend_from_slice(&f2([
        "000000000",
        "000000001",
        "000000000",
        "000000000",
        "000000000",
        "000000000",
    ]));
    file.push(b'\n');
    let read = read_rejects(&file, Encoding::Ascii);
    let first = &read.verdicts[0];
    assert!(!first.is_valid());
    assert_eq!(first.errors[0].field, "ERROR_CODE_1");
    assert_eq!(first.errors[0].position, Some(124));
}
