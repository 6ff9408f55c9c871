//! Synthetic fixtures shared by the tests (never a real person).
#![allow(dead_code)]

use std::collections::BTreeSet;

use ivd_model::Money;
use ivd_offset::{
    CaseType, Certification, Collection, Exclusion, OffsetAddress, OffsetKey, OffsetSsn,
    ReconRecord, Reject, Submission, TransactionType,
};
use time::macros::date;

pub fn ssn(s: &str) -> OffsetSsn {
    OffsetSsn::parse(s).unwrap()
}

pub fn key(ssn_digits: &str, case_type: CaseType) -> OffsetKey {
    OffsetKey::new("KS", ssn(ssn_digits), case_type)
}

pub fn address() -> OffsetAddress {
    OffsetAddress {
        line1: "100 EXAMPLE ST".into(),
        line2: "APT 2".into(),
        city: "TOPEKA".into(),
        state: "KS".into(),
        zip: "666030001".into(),
    }
}

/// John Sample's TANF debt, as the state wants it certified.
pub fn john(case_type: CaseType, dollars: u64) -> Certification {
    let mut c = Certification::new(
        key("123456789", case_type),
        "KS-0001234",
        "SAMPLE",
        "JOHN",
        dollars,
    );
    c.local_code = "001".into();
    c.address = Some(address());
    c
}

pub fn pat(case_type: CaseType, dollars: u64) -> Certification {
    Certification::new(
        key("234567891", case_type),
        "KS-0002345",
        "EXAMPLE",
        "PAT",
        dollars,
    )
}

pub fn tx(t: TransactionType, c: Certification) -> Submission {
    Submission::new(t, c)
}

/// The submissions of `samples/submission.txt`.
pub fn sample_submissions() -> Vec<Submission> {
    let mut add = tx(TransactionType::Add, john(CaseType::Tanf, 1350));
    add.certification.exclusions = BTreeSet::from([Exclusion::Pas]);
    add.pon_date = Some(date!(2025 - 06 - 01));
    let mut modify = tx(TransactionType::Modify, john(CaseType::NonTanf, 600));
    modify.certification.local_code.clear();
    modify.certification.address = None;
    let delete = tx(TransactionType::Delete, pat(CaseType::Tanf, 0));
    let itin = tx(
        TransactionType::Add,
        Certification::new(
            key("912701234", CaseType::Tanf),
            "KS-0005678",
            "NUMERO",
            "UNO",
            200,
        ),
    );
    let rename = tx(
        TransactionType::NameChange,
        Certification::new(
            key("345678912", CaseType::NonTanf),
            "KS-0003456",
            "DOE-SMITH",
            "ALEX",
            0,
        ),
    );
    vec![add, modify, delete, itin, rename]
}

/// OCSE's answer to the sample: the add of John is rejected (17 and an unknown 99), the
/// ITIN add is accepted with warning 47.
pub fn sample_rejects() -> Vec<Reject> {
    let subs = sample_submissions();
    vec![
        Reject::for_submission(&subs[0], &["17", "99"]),
        Reject::for_submission(&subs[3], &["47"]),
    ]
}

pub fn sample_collections() -> Vec<Collection> {
    vec![
        Collection {
            record: 0,
            key: key("123456789", CaseType::Tanf),
            local_code: "001".into(),
            case_id: "KS-0001234".into(),
            last_name: "SAMPLE".into(),
            first_name: "JOHN".into(),
            certified_arrears: Money::from_cents(135_000),
            collection: Money::from_cents(25_000),
            adjustment: Money::ZERO,
            injured_spouse: Some(false),
            tax_year: Some(2025),
            joint_return: Some(false),
            joint_return_name: String::new(),
            source: "TAX".into(),
            trace_number: "TRC000000000001".into(),
        },
        Collection {
            record: 0,
            key: key("234567891", CaseType::NonTanf),
            local_code: String::new(),
            case_id: "KS-0002345".into(),
            last_name: "EXAMPLE".into(),
            first_name: "PAT".into(),
            certified_arrears: Money::from_cents(80_000),
            collection: Money::ZERO,
            adjustment: Money::from_cents(5_000),
            injured_spouse: Some(true),
            tax_year: Some(2024),
            joint_return: Some(true),
            joint_return_name: "EXAMPLE CHRIS".into(),
            source: "TAX".into(),
            trace_number: "TRC000000000002".into(),
        },
    ]
}

pub fn sample_recon() -> Vec<ReconRecord> {
    let mut john_tanf = ReconRecord::from_certification(&john(CaseType::Tanf, 1350));
    john_tanf.exclusions = BTreeSet::from([Exclusion::Pas, Exclusion::Adm]);
    john_tanf.pon_date = Some(date!(2025 - 06 - 01));
    john_tanf.pre_offset_hold = Some(false);
    let john_non = ReconRecord::from_certification(&john(CaseType::NonTanf, 600));
    let pat = ReconRecord::from_certification(&pat(CaseType::NonTanf, 800));
    vec![john_tanf, john_non, pat]
}

/// Splits an ASCII file into its lines (without `\n`).
pub fn lines(file: &[u8]) -> Vec<Vec<u8>> {
    file.split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .map(<[u8]>::to_vec)
        .collect()
}

pub fn join(lines: &[Vec<u8>]) -> Vec<u8> {
    let mut out = lines.join(&b'\n');
    out.push(b'\n');
    out
}

/// Overwrites 1-based positions `start..` of line `n` (1-based).
pub fn patch(file: &[u8], n: usize, start: usize, bytes: &[u8]) -> Vec<u8> {
    let mut ls = lines(file);
    ls[n - 1][start - 1..start - 1 + bytes.len()].copy_from_slice(bytes);
    join(&ls)
}

pub fn codes(errors: &[ivd_offset::FieldError]) -> Vec<&str> {
    errors.iter().map(|e| e.code.as_str()).collect()
}
