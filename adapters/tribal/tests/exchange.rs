//! Stories of the Tribal exchange: what a Tribe and a state send each other, what the
//! gateway refuses, and the properties every written document keeps.
//!
//! Regenerate the committed samples with `TRIBAL_BLESS=1 cargo test -p ivd-tribal`.

use std::path::{Path, PathBuf};

use ivd_model::Case;
use ivd_tribal::{
    Function, MessageKind, Party, PartyKind, TribalMessage, acknowledgment, message_verdicts,
    read_message, write_message,
};
use proptest::prelude::*;
use time::OffsetDateTime;
use time::macros::datetime;

const SCHEMA: &str = "../../schemas/tribal-exchange.xsd";

fn tribe() -> Party {
    Party {
        kind: PartyKind::Tribe,
        locator: "90830".into(),
    }
}

fn state() -> Party {
    Party {
        kind: PartyKind::State,
        locator: "5500000".into(),
    }
}

fn model_case(name: &str) -> Case {
    let path = format!("../../schemas/samples/{name}.json");
    serde_json::from_str(&std::fs::read_to_string(path).expect("model sample")).expect("valid")
}

fn csi_request() -> TribalMessage {
    TribalMessage {
        message_id: "T90830-2025-000017".into(),
        sent_at: datetime!(2025-03-01 14:30:00 -06:00),
        sender: tribe(),
        receiver: state(),
        kind: MessageKind::Request,
        function: Function::CaseStatus,
        action: "R".into(),
        reason: Some("FRINF".into()),
        sender_case_id: "T0123-000045".into(),
        receiver_case_id: Some("WI-77001".into()),
        in_reply_to: None,
        case: Some(model_case("case-tribal")),
    }
}

fn lo1_response() -> TribalMessage {
    TribalMessage {
        message_id: "ST-LO1-9001".into(),
        sent_at: datetime!(2025-03-04 08:00:00 UTC),
        sender: state(),
        receiver: tribe(),
        kind: MessageKind::Response,
        function: Function::Locate,
        action: "P".into(),
        reason: Some("LSADR".into()),
        sender_case_id: "MN-0009876".into(),
        receiver_case_id: Some("T0123-000045".into()),
        in_reply_to: Some("T90830-2025-000020".into()),
        case: Some(model_case("case-protected")),
    }
}

fn samples() -> Vec<(&'static str, Vec<u8>)> {
    let req = csi_request();
    let ack = acknowledgment(&req, "ST-ACK-0001", datetime!(2025-03-01 20:31:07.25 UTC));
    vec![
        ("csi-request.xml", write_message(&req).expect("writes")),
        (
            "csi-acknowledgment.xml",
            write_message(&ack).expect("writes"),
        ),
        (
            "lo1-response-protected.xml",
            write_message(&lo1_response()).expect("writes"),
        ),
    ]
}

fn xmllint(file: &Path) {
    let out = std::process::Command::new("xmllint")
        .args(["--noout", "--schema", SCHEMA])
        .arg(file)
        .output()
        .expect("xmllint is installed");
    assert!(
        out.status.success(),
        "{}: {}",
        file.display(),
        String::from_utf8_lossy(&out.stderr)
    );
}

fn temp_file(name: &str, bytes: &[u8]) -> PathBuf {
    let path = std::env::temp_dir().join(format!("ivd-tribal-{}-{name}", std::process::id()));
    std::fs::write(&path, bytes).expect("temp file");
    path
}

#[test]
fn committed_samples_are_what_the_writer_writes_and_validate_against_the_schema() {
    for (name, bytes) in samples() {
        let path = Path::new("samples").join(name);
        if std::env::var_os("TRIBAL_BLESS").is_some() {
            std::fs::write(&path, &bytes).expect("bless");
        }
        let committed = std::fs::read(&path).expect("committed sample");
        assert_eq!(
            committed, bytes,
            "{name} differs from what write_message() gives"
        );
        let message = read_message(&committed).expect("sample parses");
        assert_eq!(
            write_message(&message).expect("writes"),
            committed,
            "{name} round trip"
        );
        xmllint(&path);
    }
}

#[test]
fn a_tribe_asks_the_state_for_a_case_status_and_gets_an_acknowledgment() {
    let request = read_message(&std::fs::read("samples/csi-request.xml").unwrap()).expect("valid");
    assert_eq!(request.kind, MessageKind::Request);
    assert_eq!(request.function.code(), "CSI");
    assert_eq!(request.sender, tribe());

    let ack = acknowledgment(
        &request,
        "ST-ACK-0001",
        datetime!(2025-03-01 20:31:07.25 UTC),
    );
    assert_eq!(ack.kind, MessageKind::Acknowledgment);
    assert_eq!(ack.action, "A");
    assert_eq!(ack.function, Function::CaseStatus);
    assert_eq!(
        (ack.sender.clone(), ack.receiver.clone()),
        (state(), tribe())
    );
    assert_eq!(ack.sender_case_id, "WI-77001");
    assert_eq!(ack.receiver_case_id.as_deref(), Some("T0123-000045"));
    assert_eq!(ack.in_reply_to.as_deref(), Some("T90830-2025-000017"));

    let bytes = write_message(&ack).expect("an acknowledgment writes");
    assert_eq!(read_message(&bytes).expect("and reads back"), ack);
}

#[test]
fn a_receiver_without_a_case_yet_acknowledges_with_no_case_id_of_its_own() {
    let mut request = csi_request();
    request.receiver_case_id = None;
    let ack = acknowledgment(&request, "ACK-2", datetime!(2025-03-02 00:00 UTC));
    assert_eq!(ack.sender_case_id, "");
    let bytes = write_message(&ack).expect("writes");
    assert!(!String::from_utf8_lossy(&bytes).contains("SenderCaseID"));
    assert_eq!(read_message(&bytes).expect("reads"), ack);
}

#[test]
fn the_state_answers_a_locate_without_disclosing_a_protected_household() {
    let message = lo1_response();
    let case = message.case.as_ref().unwrap();
    assert!(case.has_protected_participant());
    let text = String::from_utf8(write_message(&message).unwrap()).unwrap();
    assert!(text.contains("<NondisclosureFindingIndicator>true<"));
    for p in &case.participants {
        if case.is_protected(&p.person) {
            for a in &p.person.addresses {
                for l in &a.lines {
                    assert!(
                        !text.contains(l.expose()),
                        "an address line of a protected person"
                    );
                }
            }
            for ph in &p.person.phones {
                assert!(!text.contains(ph.number.expose()));
            }
            for e in &p.person.emails {
                assert!(!text.contains(e.expose()));
            }
        }
    }
}

#[test]
fn a_document_with_a_doctype_is_refused() {
    let doc = br#"<?xml version="1.0"?>
<!DOCTYPE TribalExchange [<!ENTITY x "boom">]>
<TribalExchange xmlns="urn:ivd-gateway:tribal-exchange:1"><Header><MessageID>&x;</MessageID></Header></TribalExchange>"#;
    let errors = read_message(doc).unwrap_err();
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0].code.as_str(), "XML_DOCTYPE");
}

#[test]
fn an_undeclared_entity_reference_is_refused() {
    let text = std::fs::read_to_string("samples/csi-request.xml").unwrap();
    let doc = text.replace("T90830-2025-000017", "&ext;");
    let errors = read_message(doc.as_bytes()).unwrap_err();
    assert_eq!(errors[0].code.as_str(), "XML_DOCTYPE");
}

#[test]
fn a_bad_ssn_is_named_by_its_element_path_and_not_quoted() {
    let text = std::fs::read_to_string("samples/csi-request.xml").unwrap();
    // The alleged father (second participant) has the only SSN; make it 11 characters.
    let mut seen = 0;
    let doc: String = text
        .split_inclusive('\n')
        .map(|line| {
            if line.contains("<PersonSSNIdentification>") {
                seen += 1;
                if seen == 1 {
                    return line
                        .replacen(
                            "<PersonSSNIdentification>",
                            "<PersonSSNIdentification>99",
                            1,
                        )
                        .replacen("</", "X</", 1);
                }
            }
            line.to_owned()
        })
        .collect();
    let errors = read_message(doc.as_bytes()).unwrap_err();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(
        errors[0].path,
        "TribalExchange/Request/Case/Participant[2]/Person/PersonSSNIdentification"
    );
    assert_eq!(errors[0].code.as_str(), "BAD_VALUE");
    assert!(!errors[0].to_string().contains("99"));

    let verdict: Vec<_> = message_verdicts(doc.as_bytes()).collect();
    assert_eq!(verdict.len(), 1);
    assert_eq!(verdict[0].record, 1);
    assert_eq!(verdict[0].errors[0].field, errors[0].path);
    assert_eq!(verdict[0].errors[0].position, None);
}

#[test]
fn every_problem_of_a_document_is_reported_at_once() {
    let text = std::fs::read_to_string("samples/csi-request.xml").unwrap();
    let doc = text
        .replace("<LocatorCode>90830<", "<LocatorCode>9083<")
        .replace("<FunctionCode>CSI<", "<FunctionCode>XYZ<")
        .replace("<ActionCode>R<", "<ActionCode>P<")
        .replace("<CaseOpenedDate>", "<Surprise/><CaseOpenedDate>");
    let paths: Vec<(String, &str)> = read_message(doc.as_bytes())
        .unwrap_err()
        .into_iter()
        .map(|e| (e.path, e.code.as_str()))
        .collect();
    for expected in [
        ("TribalExchange/Header/Sender/LocatorCode", "BAD_VALUE"),
        ("TribalExchange/Request/FunctionCode", "BAD_VALUE"),
        ("TribalExchange/Request/ActionCode", "ACTION_MISMATCH"),
        ("TribalExchange/Request/Case/Surprise", "UNKNOWN_ELEMENT"),
    ] {
        assert!(
            paths.iter().any(|(p, c)| (p.as_str(), *c) == expected),
            "{expected:?} not in {paths:?}"
        );
    }
}

#[test]
fn a_document_in_another_namespace_is_refused() {
    let text = std::fs::read_to_string("samples/csi-request.xml").unwrap();
    let doc = text.replace("urn:ivd-gateway:tribal-exchange:1", "urn:example:other");
    assert_eq!(
        read_message(doc.as_bytes()).unwrap_err()[0].code.as_str(),
        "WRONG_ROOT"
    );
}

#[test]
fn deep_nesting_and_huge_text_are_refused_not_buffered() {
    let deep = format!(
        "<TribalExchange xmlns=\"urn:ivd-gateway:tribal-exchange:1\">{}",
        "<Header>".repeat(100)
    );
    assert_eq!(
        read_message(deep.as_bytes()).unwrap_err()[0].code.as_str(),
        "XML_MALFORMED"
    );
    let huge = format!(
        "<TribalExchange xmlns=\"urn:ivd-gateway:tribal-exchange:1\"><Header><MessageID>{}</MessageID></Header></TribalExchange>",
        "A".repeat(10_000)
    );
    let errors = read_message(huge.as_bytes()).unwrap_err();
    assert_eq!(errors[0].code.as_str(), "XML_MALFORMED");
    assert!(!errors[0].message.contains("AAAA"));
}

#[test]
fn json_form_round_trips_both_ways() {
    let message = csi_request();
    let json = ivd_tribal::to_json(&message).unwrap();
    assert!(json.contains("\"function\": \"CSI\""));
    assert_eq!(ivd_tribal::from_json(&json).unwrap(), message);
}

#[test]
fn function_codes_are_csenets() {
    for f in Function::ALL {
        assert_eq!(Function::from_code(f.code()), Some(f));
    }
    let codes: Vec<_> = Function::ALL.iter().map(|f| f.code()).collect();
    assert_eq!(codes, ["LO1", "CSI", "ENF", "EST", "PAT", "COL", "MSC"]);
    assert_eq!(Function::from_code("lo1"), None);
}

fn party() -> impl Strategy<Value = Party> {
    prop_oneof![
        "[0-5][0-9]00000".prop_filter_map("valid state FIPS", |s| {
            ivd_model::Fips::parse(&s).ok().map(|_| Party {
                kind: PartyKind::State,
                locator: s,
            })
        }),
        "[0-9]{5}".prop_map(|s| Party {
            kind: PartyKind::Tribe,
            locator: s
        }),
    ]
}

fn message(case: impl Strategy<Value = Case>) -> impl Strategy<Value = TribalMessage> {
    let id = "[A-Za-z0-9._-]{1,50}";
    (
        (id, 0i64..4_000_000_000, 0u32..1_000_000_000, -720i32..=720),
        (party(), party()),
        (
            prop::sample::select(Function::ALL.to_vec()),
            prop::sample::select(vec![
                (MessageKind::Request, "R"),
                (MessageKind::Request, "U"),
                (MessageKind::Request, "C"),
                (MessageKind::Request, "M"),
                (MessageKind::Response, "P"),
                (MessageKind::Acknowledgment, "A"),
            ]),
            prop::option::of("[A-Z]{5}"),
        ),
        (id, prop::option::of(id), prop::option::of(id)),
        prop::option::weighted(0.9, case),
    )
        .prop_map(
            |(
                (mid, secs, nanos, minutes),
                (sender, receiver),
                (function, (kind, action), reason),
                (scid, rcid, reply),
                case,
            )| {
                let offset = time::UtcOffset::from_whole_seconds(minutes * 60).unwrap();
                let sent_at = OffsetDateTime::from_unix_timestamp(secs)
                    .unwrap()
                    .replace_nanosecond(nanos)
                    .unwrap()
                    .to_offset(offset);
                TribalMessage {
                    message_id: mid,
                    sent_at,
                    sender,
                    receiver,
                    kind,
                    function,
                    action: action.into(),
                    reason,
                    sender_case_id: scid,
                    receiver_case_id: rcid,
                    in_reply_to: reply,
                    case,
                }
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(50))]

    /// Written and read back, a message is its redacted self; and xmllint agrees the
    /// document is valid.
    #[test]
    fn write_then_parse_gives_back_the_redacted_message(m in message(ivd_model::testing::case())) {
        let bytes = write_message(&m).expect("a valid message writes");
        let back = read_message(&bytes).expect("what we write we read");
        let mut expected = m.clone();
        expected.case = m.case.as_ref().map(Case::redacted_for_disclosure);
        prop_assert_eq!(&back, &expected);
        prop_assert_eq!(write_message(&back).expect("again"), bytes.clone());
        let path = temp_file("generated.xml", &bytes);
        xmllint(&path);
        let _ = std::fs::remove_file(path);
    }

    /// The guard of §3.3: a protected person's address, phone and email never leave.
    #[test]
    fn a_protected_persons_contact_data_is_never_written(m in message(ivd_model::testing::protected_case())) {
        let Some(case) = &m.case else { return Ok(()) };
        let back = read_message(&write_message(&m).expect("writes")).expect("reads");
        let written = back.case.expect("the case is written");
        prop_assert!(written.nondisclosure_finding);
        for p in &case.participants {
            if case.is_protected(&p.person) {
                let out = written
                    .participants
                    .iter()
                    .find(|q| q.person.person_id == p.person.person_id)
                    .expect("the person is still on the case");
                prop_assert!(out.person.addresses.is_empty());
                prop_assert!(out.person.phones.is_empty());
                prop_assert!(out.person.emails.is_empty());
            }
        }
    }

    #[test]
    fn random_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..2048)) {
        let _ = read_message(&bytes);
        let _ = message_verdicts(&bytes).count();
    }

    #[test]
    fn mangled_samples_never_panic(cut in 0usize..3000, byte in any::<u8>()) {
        let mut doc = std::fs::read("samples/lo1-response-protected.xml").unwrap();
        let at = cut % doc.len();
        doc[at] = byte;
        let _ = read_message(&doc);
        doc.truncate(at);
        let _ = read_message(&doc);
    }
}
