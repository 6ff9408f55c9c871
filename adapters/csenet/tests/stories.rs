//! How the gateway uses the crate, told as stories over the committed samples.

use ivd_csenet::acknowledgment::{
    AckContext, AckDecision, Clock, DeadlineKind, acknowledgment, deadlines, our_deadlines,
    rejection,
};
use ivd_csenet::translate::{OutboundRequest, from_case, to_model};
use ivd_csenet::{
    ActionCode, CaseData, FipsCode, FunctionCode, HeaderKind, INVALID_FAR, Information,
    MISSING_BLOCK, Transaction, UNEXPECTED_BLOCK, transaction_verdicts,
};
use ivd_fixed::ErrorCode;
use ivd_model::{Case, ParticipantRole};
use time::macros::date;

fn sample(name: &str) -> Vec<u8> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("samples")
        .join(name);
    let mut bytes = std::fs::read(path).expect("sample");
    if bytes.last() == Some(&b'\n') {
        bytes.pop();
    }
    bytes
}

fn parsed(name: &str) -> Transaction {
    Transaction::parse(&sample(name)).expect("sample parses")
}

/// A deterministic generated case with orders and nobody protected.
fn model_case() -> Case {
    use proptest::strategy::{Strategy, ValueTree};
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    loop {
        let case = ivd_model::testing::case()
            .new_tree(&mut runner)
            .expect("generates")
            .current();
        if !case.orders.is_empty()
            && !case.has_protected_participant()
            && case.county.is_some()
            && case
                .participants
                .iter()
                .any(|p| p.role.is_noncustodial() && p.person.ssn.is_some())
        {
            return case;
        }
    }
}

#[test]
fn an_inbound_locate_response_keeps_the_servers_point_of_view() {
    let t = parsed("lo1-response-inbound.txt");
    assert_eq!(t.header_kind(), HeaderKind::Inbound);
    // The server already swapped: Local is us (Minnesota), Other the partner (California).
    assert_ne!(t.header.local_fips, t.header.other_fips);
    let view = to_model(&t).expect("translates");
    assert_eq!(view.our_fips.code(), "2712300");
    assert_eq!(view.other_fips.code(), "0603701");
    assert_eq!(
        view.our_case_id.as_ref().map(|c| c.as_str()),
        Some("MN0000000001")
    );
    assert_eq!(view.other_case_id.as_deref(), Some("CA-LOC-77"));
    let ncp = view.ncp.expect("NCP");
    assert_eq!(ncp.participant.role, ParticipantRole::NoncustodialParent);
    assert_eq!(
        ncp.participant.person.ssn.as_ref().map(|s| s.expose()),
        Some("123456789")
    );
    assert_eq!(ncp.participant.person.addresses.len(), 2);
    assert_eq!(ncp.participant.person.employers.len(), 1);
    assert_eq!(ncp.participant.person.phones.len(), 1);
}

#[test]
fn a_record_whose_length_fits_neither_header_is_a_length_error() {
    let mut record = sample("lo1-request-outbound.txt");
    record.pop();
    let errors = Transaction::parse(&record).unwrap_err();
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0].code, ErrorCode::LENGTH);
    assert_eq!(errors[0].position, None);
}

#[test]
fn every_field_error_is_reported_with_its_position_in_the_whole_record() {
    let mut record = sample("enf-request-outbound.txt");
    record[40] = b'X'; // Transaction-Date (38-45)
    let ncp_ssn = 127 + 351 + 56; // NCP-ID SSN starts at 57 in the block
    record[ncp_ssn] = b'?';
    let errors = Transaction::parse(&record).unwrap_err();
    let found: Vec<(String, Option<usize>, &str)> = errors
        .iter()
        .map(|e| (e.field.to_string(), e.position, e.code.as_str()))
        .collect();
    assert_eq!(
        found,
        [
            ("HEADER.Transaction-Date".to_owned(), Some(38), "BAD_DATE"),
            ("NCP_ID.SSN".to_owned(), Some(127 + 351 + 57), "NOT_NUMERIC"),
        ]
    );
    assert!(errors.iter().all(|e| !e.to_string().contains("123456789")));
}

#[test]
fn an_invalid_combination_is_flagged_by_parse_and_refused_by_write() {
    let mut t = parsed("csi-request-outbound.txt");
    t.header.reason = "LSADR".into();
    let errors = t.write(HeaderKind::Outbound).unwrap_err();
    assert!(
        errors
            .iter()
            .any(|e| e.code == INVALID_FAR && e.position == Some(76))
    );
    let mut record = sample("csi-request-outbound.txt");
    record[75..80].copy_from_slice(b"LSADR");
    let errors = Transaction::parse(&record).unwrap_err();
    assert_eq!(errors[0].code, INVALID_FAR);
}

#[test]
fn an_enforcement_request_without_orders_is_missing_a_block_and_a_quick_locate_with_locate_data_has_one_too_many()
 {
    let mut t = parsed("enf-request-outbound.txt");
    t.orders.clear();
    let errors = t.check_rules().unwrap_err();
    assert!(errors.iter().any(|e| e.code == MISSING_BLOCK
        && e.field == "HEADER.Order-Data-Ind"
        && e.position == Some(94)));
    let mut lo1 = parsed("lo1-request-outbound.txt");
    lo1.ncp_locate = parsed("lo1-response-inbound.txt").ncp_locate;
    let errors = lo1.check_rules().unwrap_err();
    assert!(
        errors
            .iter()
            .any(|e| e.code == UNEXPECTED_BLOCK && e.position == Some(92))
    );
}

#[test]
fn a_transaction_parsed_inbound_can_be_written_outbound_with_the_same_blocks() {
    let t = parsed("pat-request-inbound.txt");
    let out = t.write(HeaderKind::Outbound).expect("writes");
    assert_eq!(out.len(), sample("pat-request-inbound.txt").len() + 6);
    let back = Transaction::parse(&out).expect("parses");
    assert_eq!(back.header_kind(), HeaderKind::Outbound);
    assert_eq!(back.participants, t.participants);
}

#[test]
fn a_received_enforcement_request_is_acknowledged_within_ten_working_days() {
    let received = parsed("est-request-inbound.txt");
    assert_eq!(
        our_deadlines(&received)
            .iter()
            .find(|d| d.kind == DeadlineKind::Acknowledgment)
            .and_then(|d| d.working_days()),
        Some(10)
    );
    let ctx = AckContext {
        serial_number: 2001,
        transaction_date: date!(2026 - 03 - 05),
        case_data: *received.case_data.clone().unwrap(),
    };
    let ack =
        acknowledgment(&received, AckDecision::NoFurtherInformation, &ctx).expect("an ack is due");
    assert_eq!(ack.header.action, ActionCode::Acknowledge);
    assert_eq!(ack.header.function, FunctionCode::Est);
    assert_eq!(ack.header.reason, "ANOAD");
    // Our point of view stays ours: no swap on the way back either.
    assert_eq!(ack.header.local_fips, received.header.local_fips);
    assert_eq!(ack.header.other_case_id, received.header.other_case_id);
    let bytes = ack
        .write(HeaderKind::Outbound)
        .expect("a valid acknowledgment");
    assert!(transaction_verdicts(&bytes).all(|v| v.is_valid()));

    let more = AckDecision::AdditionalInformationNeeded(Information {
        status_change_code: "O".into(),
        information_text_line_1: "PLEASE SEND CERTIFIED COPY OF ORDER".into(),
        ..Default::default()
    });
    let aadin = acknowledgment(&received, more, &ctx).unwrap();
    assert_eq!(aadin.header.reason, "AADIN");
    aadin
        .check_rules()
        .expect("AADIN carries its Information block");

    // A collection needs no acknowledgment.
    assert!(
        acknowledgment(
            &parsed("col-tax-offset-inbound.txt"),
            AckDecision::NoFurtherInformation,
            &ctx
        )
        .is_none()
    );
}

#[test]
fn the_deadlines_we_are_owed_follow_what_we_send() {
    let enf = parsed("enf-request-outbound.txt");
    let d = deadlines(&enf);
    assert_eq!(d.len(), 1);
    assert_eq!(
        (d[0].kind, d[0].days, d[0].clock),
        (DeadlineKind::Acknowledgment, 10, Clock::WorkingDays)
    );
    let csi = deadlines(&parsed("csi-request-outbound.txt"));
    assert!(
        csi.iter()
            .any(|d| d.kind == DeadlineKind::CaseStatusResponse
                && d.days == 7
                && d.clock == Clock::CalendarDays)
    );
    assert!(
        csi.iter()
            .any(|d| d.kind == DeadlineKind::NoRepeatedCaseStatusRequest && d.days == 30)
    );
    assert!(deadlines(&parsed("lo1-request-outbound.txt")).is_empty());
    let found = our_deadlines(&parsed("lo1-response-inbound.txt"));
    assert!(
        found
            .iter()
            .any(|d| d.kind == DeadlineKind::Referral && d.days == 20)
    );
}

#[test]
fn a_transaction_for_an_unknown_case_is_rejected_with_its_own_identity_repeated() {
    let received = parsed("csi-response-inbound.txt");
    let r = rejection(&received, 3001, date!(2026 - 03 - 04));
    let bytes = r.write(HeaderKind::Outbound).expect("valid REJCT");
    let back = Transaction::parse(&bytes).unwrap();
    let line = &back.information.unwrap().information_text_line_1;
    assert_eq!(line, "000000055002PCSI20260302FSINF");
}

fn request(function: FunctionCode, action: ActionCode, reason: &str) -> OutboundRequest {
    OutboundRequest {
        function,
        action,
        reason: reason.into(),
        local_fips: FipsCode::new("27", "123", "00"),
        other_fips: FipsCode::new("06", "037", "01"),
        other_case_id: None,
        serial_number: 4001,
        transaction_date: date!(2026 - 03 - 06),
        action_resolution_date: None,
        office: CaseData {
            payment_mail_address_line_1: "PO BOX 64306".into(),
            contact_name_last: "TESTWORKER".into(),
            ..Default::default()
        },
        information: None,
        attachments: false,
        include_optional_blocks: false,
    }
}

#[test]
fn a_quick_locate_request_is_built_from_a_case_and_reads_back_as_the_same_person() {
    let case = model_case();
    let t = from_case(&case, &request(FunctionCode::Lo1, ActionCode::Request, "")).expect("builds");
    assert!(t.case_data.is_some() && t.ncp_identification.is_some());
    assert!(t.ncp_locate.is_none() && t.participants.is_empty());
    let bytes = t.write(HeaderKind::Outbound).expect("writes");
    let back = Transaction::parse(&bytes).expect("parses");
    let view = to_model(&back).expect("translates");
    let ncp = case
        .participants
        .iter()
        .find(|p| p.role.is_noncustodial())
        .unwrap();
    let read = view.ncp.unwrap().participant.person;
    assert_eq!(read.ssn, ncp.person.ssn);
    assert_eq!(read.name.expose().last, ncp.person.name.expose().last);
    assert_eq!(view.our_case_id.as_ref(), Some(&case.id));
}

#[test]
fn an_enforcement_request_from_a_case_without_orders_is_refused_with_the_missing_block() {
    let mut case = model_case();
    case.orders.clear();
    let errors = from_case(
        &case,
        &request(FunctionCode::Enf, ActionCode::Request, "ERWAG"),
    )
    .unwrap_err();
    assert!(
        errors
            .iter()
            .any(|e| e.code == "MISSING_BLOCK" && e.field == "HEADER.Order-Data-Ind")
    );
}

#[test]
fn a_nondisclosure_finding_travels_with_the_case_data_block() {
    let mut case = model_case();
    case.nondisclosure_finding = true;
    let t = from_case(
        &case,
        &request(FunctionCode::Csi, ActionCode::Request, "FRINF"),
    )
    .expect("builds");
    assert_eq!(t.case_data.unwrap().nondisclosure_finding, "Y");
    let plain = from_case(
        &model_case(),
        &request(FunctionCode::Lo1, ActionCode::Request, ""),
    )
    .unwrap();
    assert_eq!(plain.case_data.unwrap().nondisclosure_finding, "N");
}
