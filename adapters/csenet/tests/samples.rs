//! The committed samples: built here with the crate's own writer, compared with the files
//! in `samples/` (run with `CSENET_WRITE_SAMPLES=1` to regenerate them), and every one of
//! them parsed and written back byte for byte.
//!
//! All data is invented: names like `TESTPERSON`, SSNs in the `123-45-6789` style,
//! addresses on `TEST` streets.

use std::path::PathBuf;

use ivd_csenet::{
    ActionCode, CaseData, Collection, FipsCode, FunctionCode, Header, HeaderKind, Information,
    NcpIdentification, NcpLocate, Order, Participant, ServerError, ServerErrorCode, Transaction,
    server_error_verdicts, split_transactions, transaction_verdicts,
};
use time::macros::{date, time};

fn samples_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("samples")
}

const MN: (&str, &str, &str) = ("27", "123", "00");
const CA: (&str, &str, &str) = ("06", "037", "01");

#[allow(clippy::too_many_arguments)] // a table of sample headers reads best flat
fn header(
    kind: HeaderKind,
    f: FunctionCode,
    a: ActionCode,
    reason: &str,
    serial: u64,
    local: (&str, &str, &str),
    other: (&str, &str, &str),
    case_id: &str,
    other_case_id: &str,
) -> Header {
    let mut h = Header::new(kind, f, a, reason, serial, date!(2026 - 03 - 02));
    h.local_fips = FipsCode::new(local.0, local.1, local.2);
    h.other_fips = FipsCode::new(other.0, other.1, other.2);
    h.case_id = case_id.into();
    h.other_case_id = other_case_id.into();
    h
}

fn case_data(case_type: &str) -> CaseData {
    CaseData {
        case_type: case_type.into(),
        case_status: "O".into(),
        payment_mail_address_line_1: "PO BOX 64306".into(),
        payment_city: "TESTCITY".into(),
        payment_state: "MN".into(),
        payment_zip_1: "55164".into(),
        payment_zip_2: "0306".into(),
        contact_name_last: "TESTWORKER".into(),
        contact_name_first: "CASEY".into(),
        contact_address_line_1: "100 TEST AGENCY WAY".into(),
        contact_city: "TESTCITY".into(),
        contact_state: "MN".into(),
        contact_zip_1: "55101".into(),
        contact_phone_num: "6515550100".into(),
        phone_extension: "123".into(),
        internet_address: "worker@example.org".into(),
        initiating_docket_num: "62-FA-26-0001".into(),
        send_payments_bank_account: "00000000001234567890".into(),
        send_payments_routing_code: "0910000019".into(),
        payment_fips_state: "27".into(),
        payment_fips_county: "123".into(),
        payment_fips_sub: "00".into(),
        nondisclosure_finding: "N".into(),
        ..Default::default()
    }
}

fn ncp_id() -> NcpIdentification {
    NcpIdentification {
        name_last: "TESTPERSON".into(),
        name_first: "ALEX".into(),
        name_middle: "Q".into(),
        ssn: "123456789".into(),
        date_of_birth: Some(date!(1985 - 06 - 15)),
        race: "X".into(),
        gender: "M".into(),
        place_of_birth: "TESTVILLE MN".into(),
        height_ft: "5".into(),
        height_in: "10".into(),
        weight: "180".into(),
        hair_color: "BN".into(),
        eye_color: "BU".into(),
        possibly_dangerous: "N".into(),
        ..Default::default()
    }
}

fn ncp_locate() -> NcpLocate {
    NcpLocate {
        residential_address_line_1: "12 TEST STREET".into(),
        residential_address_line_2: " APT 3".into(),
        residential_city: "TESTTOWN".into(),
        residential_state: "CA".into(),
        residential_zip_1: "90001".into(),
        residential_address_effective_date: Some(date!(2025 - 01 - 01)),
        residential_address_confirmed_ind: "Y".into(),
        mailing_address_line_1: "PO BOX 1".into(),
        mailing_city: "TESTTOWN".into(),
        mailing_state: "CA".into(),
        mailing_zip_1: "90001".into(),
        mailing_address_confirmed_ind: "N".into(),
        home_phone_num: "2135550101".into(),
        occupation: "TEST TECHNICIAN".into(),
        employer_ein: "123456789".into(),
        employer_name: "TESTCO INDUSTRIES".into(),
        employer_address_line_1: "500 TEST BLVD".into(),
        employer_city: "TESTTOWN".into(),
        employer_state: "CA".into(),
        employer_zip_1: "90002".into(),
        employer_phone_num: "2135550199".into(),
        employer_effective_date: Some(date!(2024 - 07 - 01)),
        employer_confirmed_ind: "Y".into(),
        wage_qtr: "4".into(),
        wage_year: "2025".into(),
        wage_amount: Some(1_250_000),
        ..Default::default()
    }
}

fn participant(
    last: &str,
    first: &str,
    ssn: &str,
    relationship: &str,
    dob: time::Date,
) -> Participant {
    Participant {
        name_last: last.into(),
        name_first: first.into(),
        date_of_birth: Some(dob),
        ssn: ssn.into(),
        gender: "F".into(),
        relationship: relationship.into(),
        participant_status: "O".into(),
        dependent_relation_cp: if relationship == "D" {
            "C".into()
        } else {
            Default::default()
        },
        address_line_1: "77 TEST AVENUE".into(),
        city: "TESTCITY".into(),
        state: "MN".into(),
        zip_1: "55102".into(),
        dependent_paternity_status: if relationship == "D" {
            "Y".into()
        } else {
            Default::default()
        },
        ..Default::default()
    }
}

fn order(id: &str, amount: i64, arrears: i64) -> Order {
    Order {
        order_fips_state: "27".into(),
        order_fips_county: "123".into(),
        order_fips_sub: "00".into(),
        order_id: id.into(),
        order_filing_date: Some(date!(2020 - 05 - 01)),
        order_type: "J".into(),
        debt_type: "CS".into(),
        order_freq: "M".into(),
        order_freq_amount: Some(amount),
        order_effective_date: Some(date!(2020 - 06 - 01)),
        order_arrears_freq: "M".into(),
        order_arrears_freq_amount: Some(5_000),
        order_arrears_total_amount: Some(arrears),
        arrears_non_tanf_amount: Some(arrears.abs()),
        medical_ordered: "Y".into(),
        controlling_order_flag: "D".into(),
        new_order_flag: "N".into(),
        docket_num: "62-FA-20-0042".into(),
        ..Default::default()
    }
}

fn collection(on: time::Date, cents: i64, source: &str) -> Collection {
    Collection {
        date_of_collection: Some(on),
        date_of_posting: Some(on),
        payment_amount: Some(cents),
        payment_source: source.into(),
        interstate_payment_method: if source == "I" {
            "O".into()
        } else {
            "E".into()
        },
        ..Default::default()
    }
}

fn info(line1: &str) -> Information {
    Information {
        status_change_code: "O".into(),
        information_text_line_1: line1.into(),
        ..Default::default()
    }
}

fn kids() -> Vec<Participant> {
    vec![
        participant(
            "TESTPERSON",
            "JORDAN",
            "345678912",
            "C",
            date!(1987 - 02 - 03),
        ),
        participant(
            "TESTPERSON",
            "RILEY",
            "234567891",
            "D",
            date!(2015 - 09 - 10),
        ),
        participant("TESTPERSON", "SAM", "", "D", date!(2018 - 11 - 20)),
    ]
}

use FunctionCode as F;
use HeaderKind::{Inbound, Outbound};

/// Every sample transaction, by file.
fn sample_files() -> Vec<(&'static str, Vec<(Transaction, HeaderKind)>)> {
    let lo1_request = {
        let mut t = Transaction::new(header(
            Outbound,
            F::Lo1,
            ActionCode::Request,
            "",
            1001,
            MN,
            CA,
            "MN0000000001",
            "",
        ));
        t.case_data = Some(Box::new(case_data("A")));
        t.ncp_identification = Some(Box::new(ncp_id()));
        if let ivd_csenet::HeaderTail::Outbound(tail) = &mut t.header.tail {
            tail.sent_date = Some(date!(2026 - 03 - 02));
            tail.sent_time = Some(time!(14:05:09));
        }
        t
    };
    let lo1_response = {
        // Inbound: the server already swapped the point of view, so Local is us (MN).
        let mut t = Transaction::new(header(
            Inbound,
            F::Lo1,
            ActionCode::Provide,
            "LSADR",
            55001,
            MN,
            CA,
            "MN0000000001",
            "CA-LOC-77",
        ));
        t.case_data = Some(Box::new(case_data("A")));
        t.ncp_identification = Some(Box::new(ncp_id()));
        t.ncp_locate = Some(Box::new(ncp_locate()));
        if let ivd_csenet::HeaderTail::Inbound(tail) = &mut t.header.tail {
            tail.date_received = Some(date!(2026 - 03 - 03));
            tail.time_received = Some(time!(08:00:00));
        }
        t
    };
    let csi_request = {
        let mut t = Transaction::new(header(
            Outbound,
            F::Csi,
            ActionCode::Request,
            "FRINF",
            1002,
            MN,
            CA,
            "MN0000000002",
            "CA0000000002",
        ));
        t.case_data = Some(Box::new(case_data("N")));
        t
    };
    let csi_response = {
        let mut t = Transaction::new(header(
            Inbound,
            F::Csi,
            ActionCode::Provide,
            "FSINF",
            55002,
            MN,
            CA,
            "MN0000000002",
            "CA0000000002",
        ));
        t.case_data = Some(Box::new(case_data("N")));
        t.ncp_identification = Some(Box::new(ncp_id()));
        t.participants = kids()[..2].to_vec();
        t.orders = vec![
            order("CA-ORD-1", 45_000, 120_000),
            order("CA-ORD-2", 10_000, -2_500),
        ];
        t
    };
    let enf_request = {
        let mut h = header(
            Outbound,
            F::Enf,
            ActionCode::Request,
            "ERWAG",
            1003,
            MN,
            CA,
            "MN0000000003",
            "",
        );
        h.attachments = "Y".into();
        let mut t = Transaction::new(h);
        t.case_data = Some(Box::new(case_data("A")));
        t.ncp_identification = Some(Box::new(ncp_id()));
        t.ncp_locate = Some(Box::new(ncp_locate()));
        t.participants = kids();
        t.orders = vec![
            order("MN-ORD-1", 52_500, 310_000),
            order("MN-ORD-2", 7_500, 0),
        ];
        t.information = Some(Box::new(info(
            "ATTACHED: UIFSA TRANSMITTAL 1, CERTIFIED ORDER, PAYMENT HISTORY",
        )));
        t
    };
    let est_request = {
        let mut t = Transaction::new(header(
            Inbound,
            F::Est,
            ActionCode::Request,
            "SRORD",
            55003,
            MN,
            CA,
            "",
            "CA0000000004",
        ));
        t.case_data = Some(Box::new(case_data("T")));
        t.ncp_identification = Some(Box::new(ncp_id()));
        t.ncp_locate = Some(Box::new(ncp_locate()));
        t.participants = kids()[..2].to_vec();
        t
    };
    let pat_request = {
        let mut t = Transaction::new(header(
            Inbound,
            F::Pat,
            ActionCode::Request,
            "",
            55004,
            MN,
            CA,
            "",
            "CA0000000005",
        ));
        t.case_data = Some(Box::new(case_data("T")));
        t.ncp_identification = Some(Box::new(ncp_id()));
        t.ncp_locate = Some(Box::new(ncp_locate()));
        let mut kids = kids();
        kids[1].dependent_paternity_status = "N".into();
        t.participants = kids;
        t
    };
    let msc_reject = {
        let mut t = Transaction::new(header(
            Outbound,
            F::Msc,
            ActionCode::Provide,
            "REJCT",
            1004,
            MN,
            CA,
            "",
            "CA0000000009",
        ));
        let mut i = info("000000055009RENF20260301ERWAG");
        i.status_change_code = Default::default();
        i.information_text_line_2 = "OTHER-CASE-ID NOT RECOGNIZED".into();
        t.information = Some(Box::new(i));
        t
    };
    let col_citax = {
        let mut t = Transaction::new(header(
            Inbound,
            F::Col,
            ActionCode::Provide,
            "CITAX",
            55005,
            MN,
            CA,
            "MN0000000006",
            "CA0000000006",
        ));
        t.case_data = Some(Box::new(case_data("A")));
        t.ncp_identification = Some(Box::new(ncp_id()));
        t.participants = kids()[..1].to_vec();
        t.collections = vec![
            collection(date!(2026 - 02 - 14), 123_456, "I"),
            collection(date!(2026 - 02 - 20), 20_000, "I"),
        ];
        t
    };
    let msc_status = {
        let mut t = Transaction::new(header(
            Outbound,
            F::Msc,
            ActionCode::Provide,
            "GSPUD",
            1005,
            MN,
            CA,
            "MN0000000007",
            "CA0000000007",
        ));
        t.case_data = Some(Box::new(case_data("A")));
        t.ncp_identification = Some(Box::new(ncp_id()));
        t.participants = kids()[..1].to_vec();
        t.information = Some(Box::new(info(
            "HEARING CONTINUED TO APRIL; NO ACTION NEEDED FROM RESPONDING STATE",
        )));
        t
    };
    let enf_ack = {
        let mut t = Transaction::new(header(
            Outbound,
            F::Enf,
            ActionCode::Acknowledge,
            "ANOAD",
            1006,
            MN,
            CA,
            "MN0000000008",
            "CA0000000008",
        ));
        t.case_data = Some(Box::new(case_data("A")));
        t.ncp_identification = Some(Box::new(ncp_id()));
        t.participants = kids()[..1].to_vec();
        t
    };
    vec![
        ("lo1-request-outbound.txt", vec![(lo1_request, Outbound)]),
        ("lo1-response-inbound.txt", vec![(lo1_response, Inbound)]),
        ("csi-request-outbound.txt", vec![(csi_request, Outbound)]),
        (
            "csi-response-inbound.txt",
            vec![(csi_response.clone(), Inbound)],
        ),
        (
            "enf-request-outbound.txt",
            vec![(enf_request.clone(), Outbound)],
        ),
        (
            "est-request-inbound.txt",
            vec![(est_request.clone(), Inbound)],
        ),
        (
            "pat-request-inbound.txt",
            vec![(pat_request.clone(), Inbound)],
        ),
        ("msc-reject-outbound.txt", vec![(msc_reject, Outbound)]),
        (
            "col-tax-offset-inbound.txt",
            vec![(col_citax.clone(), Inbound)],
        ),
        (
            "outgoing-batch.txt",
            vec![
                (msc_status, Outbound),
                (enf_ack, Outbound),
                (enf_request, Outbound),
            ],
        ),
        (
            "incoming-batch.txt",
            vec![
                (pat_request, Inbound),
                (est_request, Inbound),
                (csi_response, Inbound),
                (col_citax, Inbound),
            ],
        ),
    ]
}

fn build(file: &[(Transaction, HeaderKind)]) -> Vec<u8> {
    let mut out = Vec::new();
    for (t, kind) in file {
        out.extend(t.write(*kind).expect("sample transactions are valid"));
        out.push(b'\n');
    }
    out
}

/// The check acceptance sample: four valid transactions and, third, one whose second
/// participant's SSN holds a letter.
fn check_sample() -> Vec<u8> {
    let files = sample_files();
    let incoming = &files[10].1;
    let mut out = Vec::new();
    for (i, (t, kind)) in incoming.iter().enumerate() {
        let mut bytes = t.write(*kind).expect("valid");
        if i == 2 {
            // CSI P FSINF inbound: header 121 + case 351 + NCP-ID 181, participant 2
            // starts at 121 + 351 + 181 + 341 = 994 (0-based); SSN is at 65 in the block.
            bytes[994 + 64 + 4] = b'X';
        }
        out.extend(bytes);
        out.push(b'\n');
    }
    out
}

fn server_errors() -> Vec<u8> {
    let e = |counter: &str, code: &str, serial: &str, msg: &str| ServerError {
        counter: counter.into(),
        local_fips: "2712300".into(),
        other_fips: "0603701".into(),
        local_case_id: "MN0000000003".into(),
        other_case_id: String::new(),
        action: "R".into(),
        function: "ENF".into(),
        reason: "ERWAG".into(),
        action_resolution_date: None,
        transaction_date: Some(date!(2026 - 03 - 02)),
        code: ServerErrorCode(code.into()),
        serial_number: serial.into(),
        message: msg.into(),
    };
    let mut out = Vec::new();
    for rec in [
        e(
            "000001",
            "E012",
            "000000001003",
            "INVALID OTHER FIPS COUNTY",
        ),
        e(
            "000002",
            "E020",
            "000000001003",
            "DUPLICATE TRANSACTION SERIAL NUMBER",
        ),
        e(
            "000003",
            "W031",
            "000000001003",
            "PARTICIPANT DATE OF BIRTH MISSING",
        ),
    ] {
        out.extend(rec.write().expect("valid"));
        out.push(b'\n');
    }
    out
}

fn all_expected() -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<(String, Vec<u8>)> = sample_files()
        .iter()
        .map(|(name, ts)| ((*name).to_owned(), build(ts)))
        .collect();
    files.push(("check-one-invalid.txt".into(), check_sample()));
    files.push(("server-errors.txt".into(), server_errors()));
    files
}

#[test]
fn the_committed_samples_are_what_the_writer_produces() {
    let regenerate = std::env::var_os("CSENET_WRITE_SAMPLES").is_some();
    for (name, bytes) in all_expected() {
        let path = samples_dir().join(&name);
        if regenerate {
            std::fs::write(&path, &bytes).expect("write sample");
        }
        let committed = std::fs::read(&path).expect("sample is committed");
        assert!(
            committed == bytes,
            "{name} differs from the builder; regenerate"
        );
    }
}

#[test]
fn every_sample_transaction_parses_and_writes_back_byte_identical() {
    let mut seen = 0;
    for (name, _) in all_expected() {
        if name == "server-errors.txt" || name == "check-one-invalid.txt" {
            continue;
        }
        let file = std::fs::read(samples_dir().join(&name)).expect("sample");
        for record in split_transactions(&file) {
            let t = Transaction::parse(record).unwrap_or_else(|e| {
                panic!(
                    "{name}: {}",
                    e.iter()
                        .map(|e| e.to_string())
                        .collect::<Vec<_>>()
                        .join("; ")
                )
            });
            assert_eq!(t.write(t.header_kind()).expect("writes"), record, "{name}");
            seen += 1;
        }
    }
    assert!(seen >= 15, "{seen}");
}

#[test]
fn the_samples_cover_every_function_and_every_block_and_both_headers() {
    let mut functions = std::collections::BTreeSet::new();
    let mut kinds = std::collections::BTreeSet::new();
    let mut max_counts = [0usize; 7];
    for (name, _) in all_expected() {
        if name == "server-errors.txt" || name == "check-one-invalid.txt" {
            continue;
        }
        let file = std::fs::read(samples_dir().join(&name)).expect("sample");
        for record in split_transactions(&file) {
            let t = Transaction::parse(record).expect("valid");
            functions.insert(t.header.function.code().to_owned());
            kinds.insert(format!("{:?}", t.header_kind()));
            for (m, c) in max_counts.iter_mut().zip(t.counts()) {
                *m = (*m).max(c);
            }
        }
    }
    assert_eq!(functions.len(), 7, "{functions:?}");
    assert_eq!(kinds.len(), 2);
    assert!(max_counts.iter().all(|&c| c >= 1), "{max_counts:?}");
    assert!(max_counts[3] >= 2 && max_counts[4] >= 2 && max_counts[5] >= 2);
}

#[test]
fn the_check_sample_has_exactly_one_invalid_transaction_pointing_at_the_ssn() {
    let file = std::fs::read(samples_dir().join("check-one-invalid.txt")).expect("sample");
    let verdicts: Vec<_> = transaction_verdicts(&file).collect();
    assert_eq!(verdicts.len(), 4);
    let invalid: Vec<_> = verdicts.iter().filter(|v| !v.is_valid()).collect();
    assert_eq!(invalid.len(), 1);
    assert_eq!(invalid[0].record, 3);
    assert_eq!(
        invalid[0].to_json_line(),
        r#"{"record": 3, "status": "invalid", "errors": [{"field": "PARTICIPANT[2].SSN", "position": 1059, "code": "NOT_NUMERIC", "message": "non-digit (letter) at byte 5 of 9; expected right-justified zero-filled digits"}]}"#
    );
    assert!(!invalid[0].to_json_line().contains("2345"));
}

#[test]
fn the_server_error_sample_is_three_valid_records_one_a_warning() {
    let file = std::fs::read(samples_dir().join("server-errors.txt")).expect("sample");
    assert!(server_error_verdicts(&file).all(|v| v.is_valid()));
    let warnings = split_transactions(&file)
        .map(|r| ServerError::parse(r).expect("valid"))
        .filter(|e| e.code.is_warning())
        .count();
    assert_eq!(warnings, 1);
    for record in split_transactions(&file) {
        assert_eq!(ServerError::parse(record).unwrap().write().unwrap(), record);
    }
}
