//! "Partners are not us": records assembled byte by byte from the public record definitions
//! (the lengths and order of the Kansas e-IWO records, the positions of OCSE's Chart D-3
//! that could be read), not by this crate's writer, and read by this crate's reader.
//!
//! Each record is a list of `(value, length)` pieces in the order of the public definition;
//! nothing here looks at `ivd_eiwo::layout`. If a row of the layout drifts from the public
//! definition, a value lands in the wrong field and these tests fail.

use ivd_eiwo::{
    DispositionReason, DispositionStatus, DocumentAction, Frequency, read_acknowledgments,
    read_iwo_file,
};
use ivd_model::Money;
use time::macros::date;

/// Pads each value with spaces to its length (numbers are given already zero-filled) and
/// pads the record to `record_len` (the envelope's record lengths are this crate's
/// proposal; the public definitions give the fields, not the padding).
fn record(pieces: &[(&str, usize)], record_len: usize) -> Vec<u8> {
    let mut out = Vec::new();
    for (value, len) in pieces {
        assert!(value.len() <= *len, "{value:?} is longer than {len}");
        out.extend_from_slice(value.as_bytes());
        out.resize(out.len() + len - value.len(), b' ');
    }
    assert!(out.len() <= record_len, "fields add up to {}", out.len());
    out.resize(record_len, b' ');
    out
}

/// Kansas `EIWO_B587_HEADER_RECORD`: code 3, control number 22, state FIPS 5, EIN 9,
/// primary EIN 9, creation date 8, creation time 6, error field name 18.
fn header(code: &str, control: &str, fips: &str, ein: &str) -> Vec<u8> {
    record(
        &[
            (code, 3),
            (control, 22),
            (fips, 5),
            (ein, 9),
            ("", 9),
            ("20251201", 8),
            ("093000", 6),
            ("", 18),
        ],
        100,
    )
}

/// Kansas `EIWO_B587_TRAILER_RECORD`: code 3, control number 22, then four 5-digit counts
/// (batches, records, employer sent, state sent) and an 18-byte error field name.
fn trailer(code: &str, control: &str, batches: &str, records: &str, state_sent: &str) -> Vec<u8> {
    record(
        &[
            (code, 3),
            (control, 22),
            (batches, 5),
            (records, 5),
            ("00000", 5),
            (state_sent, 5),
            ("", 18),
        ],
        100,
    )
}

const TRACKING: &str = "20KS0000000000000000000000TRK1"; // 30 characters
const OBLIGEE_LAST: &str = "OBLIGEE-LASTNAME-LONGER-THAN-TWENTY-BYTES"; // 40 characters

/// One `DTL` record: Chart D-3 for 1–184 (document code, filler 4–6, action 7–9, …,
/// employer address line 1), then the Kansas `EIWO_B587_DETAIL_RECORD` lengths in the
/// order of the Kansas file writer `LE_B587_WRITE_FILE`.
fn detail() -> Vec<u8> {
    let zero = "00000000000";
    let mut p: Vec<(&str, usize)> = vec![
        ("DTL", 3),
        ("", 3),
        ("ORG", 3),
        ("20251201", 8),
        ("KANSAS", 35),
        ("EXAMPLE COUNTY", 35),
        ("KS0000000001", 15),
        ("EXAMPLE PARTNER PAYROLL LLC", 57),
        ("200 SAMPLE AVE", 25),
        ("SUITE 5", 25),
        ("TOPEKA", 22),
        ("KS", 2),
        ("66601", 5),
        ("0001", 4),
        ("481234567", 9),
        ("EXAMPLE", 20),
        ("ALEX", 15),
        ("Q", 15),
        ("", 4),
        ("123456789", 9),
        ("19850615", 8),
        (OBLIGEE_LAST, 57),
        ("SAM", 15),
        ("", 15),
        ("", 4),
        ("EXAMPLE COUNTY DISTRICT COURT", 35),
        // Current child support $450.00 monthly, past-due child $25.00 weekly.
        ("00000045000", 11),
        ("M", 1),
        ("00000002500", 11),
        ("W", 1),
    ];
    // Current/past-due medical, current/past-due spousal, other: empty lines.
    for _ in 0..5 {
        p.push((zero, 11));
        p.push(("", 1));
    }
    p.extend([
        ("", 35),            // other: description
        ("00000055833", 11), // total $558.33
        ("M", 1),            // per month
        ("N", 1),            // arrears older than 12 weeks
        ("00000012885", 11), // per weekly pay
        ("00000025770", 11), // per biweekly pay
        ("00000027917", 11), // per semimonthly pay
        ("00000055833", 11), // per monthly pay
        ("KANSAS", 35),      // state/Tribe/territory of the terms
        ("14", 2),           // begin withholding within days
        ("RECEIPT", 8),      // start instructions
        ("07", 2),           // send payment within days
        ("50", 2),           // CCPA percent
        ("EXAMPLE PAYMENT CENTER", 57),
        ("PO BOX 00002", 25),
        ("", 25),
        ("TOPEKA", 22),
        ("KS", 2),
        ("66601", 5),
        ("", 4),
        ("2000000", 7), // payee remittance FIPS
        ("EXAMPLE OFFICIAL", 70),
        ("CHILD SUPPORT OFFICER", 50),
        ("Y", 1), // send the employee a copy
        ("PENALTY TEXT", 160),
        ("ANTIDISCRIMINATION TEXT", 160),
        ("", 160), // payee-specific limit
        ("EXAMPLE CHILD SUPPORT", 57),
        ("7855550100", 10),
        ("", 10),
        ("support@example.gov", 48),
        (TRACKING, 30), // tracking number, before the employer contact block
        ("ORDER-0000000001", 30),
        ("EXAMPLE EMPLOYER SERVICES", 57),
        ("1 EXAMPLE PLAZA", 25),
        ("", 25),
        ("TOPEKA", 22),
        ("KS", 2),
        ("66603", 5),
        ("", 4),
        ("7855550101", 10),
        ("", 10),
        ("employers@example.gov", 48),
        // Child 1.
        ("EXAMPLE", 20),
        ("TAYLOR", 15),
        ("", 15),
        ("", 4),
        ("20150120", 8),
    ]);
    // Children 2 to 6: none.
    for _ in 0..5 {
        p.extend([("", 20), ("", 15), ("", 15), ("", 4), ("", 8)]);
    }
    p.extend([
        ("", 11),                  // lump sum (blank: not a LUM)
        ("KS0000000001REMIT", 20), // remittance id, after the lump sum
        ("", 25),                  // Kansas DOCUMENT_IMAGE_TEXT
        ("20251215", 8),           // income withholding start date
    ]);
    record(&p, 2250)
}

fn lines(records: &[Vec<u8>]) -> Vec<u8> {
    let mut out = Vec::new();
    for r in records {
        out.extend_from_slice(r);
        out.push(b'\n');
    }
    out
}

/// A file of one batch holding the one order [`detail`], its control numbers ending in
/// `sequence`, the batch trailer counting `batch_records` records.
fn one_order_file(sequence: u32, batch_records: &str) -> Vec<u8> {
    let file_control = format!("20IWO{sequence:017}");
    let batch_control = format!("20IWB{sequence:017}");
    lines(&[
        header("FHI", &file_control, "20000", "481234567"),
        header("BHI", &batch_control, "20000", "481234567"),
        detail(),
        trailer("BTI", &batch_control, "00000", batch_records, "00001"),
        trailer("FTI", &file_control, "00001", "00001", "00001"),
    ])
}

#[test]
fn an_iwo_file_built_from_the_public_definitions_reads_field_by_field() {
    let file = one_order_file(1, "00001");
    let read = read_iwo_file(&file);
    assert_eq!(read.envelope_errors, vec![]);
    assert!(
        read.verdicts.iter().all(|v| v.is_valid()),
        "{:?}",
        read.verdicts
    );
    let header = read.header.as_ref().expect("header");
    assert_eq!(header.state_fips.as_ref().map(|f| f.as_str()), Some("20"));
    let iwos: Vec<_> = read.iwos().collect();
    assert_eq!(iwos.len(), 1);
    let iwo = iwos[0];
    assert_eq!(iwo.action, DocumentAction::Original);
    assert_eq!(iwo.case_id.as_str(), "KS0000000001");
    assert_eq!(iwo.employer.address.zip4, "0001");
    assert_eq!(iwo.employee.ssn.expose(), "123456789");
    assert_eq!(
        iwo.obligee.as_ref().map(|n| n.expose().last),
        Some(OBLIGEE_LAST)
    );
    assert_eq!(iwo.issuing_tribunal, "EXAMPLE COUNTY DISTRICT COURT");
    let child = iwo.amounts.current_child.expect("current child support");
    assert_eq!(
        (child.amount, child.per),
        (Money::from_cents(45_000), Frequency::Monthly)
    );
    let past_due = iwo.amounts.past_due_child.expect("past-due child support");
    assert_eq!(
        (past_due.amount, past_due.per),
        (Money::from_cents(2_500), Frequency::Weekly)
    );
    assert_eq!(iwo.amounts.current_medical, None);
    assert_eq!(
        iwo.amounts.total.map(|t| t.amount),
        Some(Money::from_cents(55_833))
    );
    assert!(!iwo.amounts.arrears_over_12_weeks);
    assert_eq!(iwo.deductions.semimonthly, Money::from_cents(27_917));
    assert_eq!(iwo.terms.begin_within_days, 14);
    assert_eq!(iwo.terms.start_instructions, "RECEIPT");
    assert_eq!(iwo.terms.send_payment_within_days, 7);
    assert_eq!(iwo.terms.ccpa_percent, 50);
    assert_eq!(iwo.terms.start_date, Some(date!(2025 - 12 - 15)));
    assert_eq!(iwo.remittance.fips.as_str(), "2000000");
    assert_eq!(iwo.remittance.remittance_id, "KS0000000001REMIT");
    assert_eq!(iwo.tracking_number, TRACKING);
    assert_eq!(iwo.order_id, "ORDER-0000000001");
    assert_eq!(iwo.employer_contact.name, "EXAMPLE EMPLOYER SERVICES");
    assert_eq!(iwo.employer_contact.email, "employers@example.gov");
    assert_eq!(iwo.employer_contact_address.zip5, "66603");
    assert_eq!(iwo.children.len(), 1);
    assert_eq!(iwo.children[0].name.expose().first, "TAYLOR");
    assert_eq!(iwo.lump_sum, None);
}

#[test]
fn the_file_trailer_counts_are_five_digits() {
    // A record count of 2 where the file has one record: the count is read at 31–35.
    let file = one_order_file(2, "00002");
    let read = read_iwo_file(&file);
    let codes: Vec<&str> = read
        .envelope_errors
        .iter()
        .map(|e| e.code.as_str())
        .collect();
    assert_eq!(codes, ["RCT"]);
    assert_eq!(read.envelope_errors[0].position, Some(31));
}

/// One `ACK` record: document code and (2010 Chart D-4) the action code at 4–6, then the
/// fields with the Kansas acknowledgment reader's lengths (tracking number 30, disposition
/// status 2, reason 3) in this crate's proposed order.
fn ack(status: &str, reason: &str, other_state: &str) -> Vec<u8> {
    record(
        &[
            ("ACK", 3),
            ("ORG", 3),
            ("KS0000000001", 15),
            ("481234567", 9),
            ("EXAMPLE", 20),
            ("ALEX", 15),
            ("", 15),
            ("", 4),
            ("123456789", 9),
            (TRACKING, 30),
            ("ORDER-0000000001", 30),
            (status, 2),
            (reason, 3),
            ("", 8),
            ("", 8),
            ("", 11),
            ("", 25),
            ("", 25),
            ("", 22),
            ("", 2),
            ("", 5),
            ("", 4),
            ("", 10),
            ("", 57),
            ("", 25),
            ("", 25),
            ("", 22),
            ("", 2),
            ("", 5),
            ("", 4),
            ("", 8),
            ("", 11),
            ("", 35),
            (other_state, 2),
            ("", 32),
            ("", 32),
            ("", 1),
        ],
        550,
    )
}

#[test]
fn acknowledgments_built_from_the_public_lengths_read_field_by_field() {
    let file = lines(&[
        header("FHA", "20ACK00000000000000001", "", "481234567"),
        header("BHA", "20ACB00000000000000001", "", "481234567"),
        ack("A", "", ""),
        ack("R", "M", "MO"),
        trailer("BTA", "20ACB00000000000000001", "00000", "00002", "00000"),
        trailer("FTA", "20ACK00000000000000001", "00001", "00002", "00000"),
    ]);
    let read = read_acknowledgments(&file);
    assert_eq!(read.envelope_errors, vec![]);
    assert!(
        read.verdicts.iter().all(|v| v.is_valid()),
        "{:?}",
        read.verdicts
    );
    let acks = &read.acknowledgments;
    assert_eq!(acks.len(), 2);
    assert_eq!(acks[0].tracking_number, TRACKING);
    assert_eq!(acks[0].disposition.status, DispositionStatus::Accepted);
    assert_eq!(acks[0].disposition.reason, None);
    assert_eq!(acks[1].disposition.status, DispositionStatus::Rejected);
    assert_eq!(
        acks[1].disposition.reason,
        Some(DispositionReason::MultipleStates)
    );
    assert_eq!(
        acks[1].multi_iwo_state.as_ref().map(|s| s.as_str()),
        Some("MO")
    );
    assert_eq!(acks[1].order_id, "ORDER-0000000001");
}
