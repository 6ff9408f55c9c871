//! Properties: family-violence redaction on every outbound transaction, and no panic on
//! any input.

use ivd_csenet::codes::{self, BlockKind, far_catalog};
use ivd_csenet::translate::{OutboundRequest, from_case};
use ivd_csenet::{
    ActionCode, CaseData, FipsCode, FunctionCode, HeaderKind, ServerError, Transaction,
    server_error_verdicts, transaction_verdicts,
};
use ivd_model::{Case, PersonalText, ZipCode};
use proptest::prelude::*;
use proptest::sample::select;
use time::macros::date;

/// The ZIP every protected address gets; no unprotected address keeps it.
const MARKER_ZIP: &str = "09901";

/// Marks every protected person's contact data with tokens that nothing else in a
/// generated case or in our office data can contain (`#`), so that finding one in the
/// written bytes is a leak, never a coincidence. Protection itself is unchanged.
fn mark_protected(mut case: Case) -> Case {
    let protected: Vec<bool> = case
        .participants
        .iter()
        .map(|p| case.is_protected(&p.person))
        .collect();
    let mark = |s: &str| PersonalText::parse(s).expect("valid text");
    let marker_zip = || ZipCode::parse(MARKER_ZIP).expect("valid ZIP");
    let other_zip = || ZipCode::parse("55401").expect("valid ZIP");
    for (p, protected) in case.participants.iter_mut().zip(protected) {
        let addresses = p.person.addresses.iter_mut().chain(
            p.person
                .employers
                .iter_mut()
                .filter_map(|e| e.address.as_mut()),
        );
        if !protected {
            // Nobody else may share the marker ZIP, so finding it is a leak.
            for a in addresses {
                if a.zip.as_ref().is_some_and(|z| z.zip5() == MARKER_ZIP) {
                    a.zip = Some(other_zip());
                }
            }
            continue;
        }
        for a in addresses {
            if a.zip.is_some() {
                a.zip = Some(marker_zip());
            }
        }
        for a in &mut p.person.addresses {
            a.lines = vec![mark("#FV-LINE#")];
            a.city = mark("#FV-CITY#");
        }
        for e in &mut p.person.employers {
            e.name = mark("#FV-EMPLOYER#");
            if let Some(a) = &mut e.address {
                a.lines = vec![mark("#FV-EMP-LINE#")];
                a.city = mark("#FV-EMP-CITY#");
            }
        }
    }
    case
}

fn request(far: &codes::Far, include_optional: bool) -> OutboundRequest {
    OutboundRequest {
        function: FunctionCode::parse(far.function),
        action: ActionCode::parse(&far.action.to_string()),
        reason: far.reason.to_owned(),
        local_fips: FipsCode::new("27", "123", "00"),
        other_fips: FipsCode::new("06", "037", "01"),
        other_case_id: Some("CA0000000001".into()),
        serial_number: 7,
        transaction_date: date!(2026 - 03 - 06),
        action_resolution_date: None,
        office: CaseData {
            payment_mail_address_line_1: "PO BOX 64306".into(),
            ..Default::default()
        },
        information: Some(ivd_csenet::Information {
            status_change_code: "O".into(),
            information_text_line_1: "000000000001RLO120260301".into(),
            new_case_id: "NEW-1".into(),
            ..Default::default()
        }),
        attachments: false,
        include_optional_blocks: include_optional,
    }
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    !needle.is_empty()
        && haystack
            .windows(needle.len())
            .any(|w| w == needle.as_bytes())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn no_outbound_transaction_discloses_a_protected_persons_location(
        case in ivd_model::testing::protected_case().prop_map(mark_protected),
        far in select(far_catalog().to_vec()),
        include_optional in any::<bool>(),
    ) {
        let req = request(&far, include_optional);
        let Ok(t) = from_case(&case, &req) else { return Ok(()); };
        let bytes = t.write(HeaderKind::Outbound).expect("from_case output is writable");
        for p in case.participants.iter().filter(|p| case.is_protected(&p.person)) {
            prop_assert!(!contains(&bytes, "#FV"), "a protected address or employer leaked");
            for phone in &p.person.phones {
                prop_assert!(!contains(&bytes, phone.number.expose()), "a protected phone leaked");
            }
            for email in &p.person.emails {
                prop_assert!(!contains(&bytes, email.expose()), "a protected email leaked");
            }
            // ZIPs are digits: check every ZIP field of the written transaction.
            let back = Transaction::parse(&bytes).expect("written bytes parse");
            let mut zips: Vec<&str> = back.participants.iter().map(|b| b.zip_1.as_str()).collect();
            zips.extend(back.participants.iter().map(|b| b.employer_zip_1.as_str()));
            if let Some(l) = &back.ncp_locate {
                zips.extend([l.residential_zip_1.as_str(), l.mailing_zip_1.as_str(), l.employer_zip_1.as_str(), l.employer2_zip_1.as_str(), l.employer3_zip_1.as_str()]);
            }
            for a in p.person.addresses.iter().chain(p.person.employers.iter().filter_map(|e| e.address.as_ref())) {
                if let Some(zip) = &a.zip {
                    prop_assert!(!zips.contains(&zip.zip5()), "a protected ZIP leaked");
                }
            }
        }
        let req_rules = codes::requirements(&req.function, &req.action, &req.reason, req.attachments);
        if req_rules.rule(BlockKind::CaseData).max >= 1 {
            let case_data = t.case_data.as_ref().expect("the finding travels in Case Data");
            prop_assert_eq!(case_data.nondisclosure_finding.as_str(), "Y");
        }
    }

    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..3000)) {
        let _ = Transaction::parse(&bytes);
        let _ = ServerError::parse(&bytes);
        prop_assert!(transaction_verdicts(&bytes).all(|v| !v.to_json_line().is_empty()));
        let _ = server_error_verdicts(&bytes).count();
    }

    #[test]
    fn a_mutated_sample_never_panics_and_what_parses_writes_a_stable_form(
        which in 0usize..4,
        edits in proptest::collection::vec((0usize..9000, any::<u8>()), 1..6),
    ) {
        let names = ["enf-request-outbound.txt", "csi-response-inbound.txt", "col-tax-offset-inbound.txt", "lo1-response-inbound.txt"];
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("samples").join(names[which]);
        let mut bytes = std::fs::read(path).expect("sample");
        bytes.pop();
        for (at, b) in edits {
            let len = bytes.len();
            if let Some(slot) = bytes.get_mut(at % len) {
                *slot = b;
            }
        }
        if let Ok(t) = Transaction::parse(&bytes) {
            let once = t.write(t.header_kind()).expect("a parsed transaction writes");
            let again = Transaction::parse(&once).expect("its canonical form parses");
            prop_assert_eq!(&again, &t);
            prop_assert_eq!(again.write(again.header_kind()).expect("writes"), once);
        }
    }
}

#[test]
fn the_redaction_property_is_not_vacuous_most_protected_cases_build_a_transaction() {
    use proptest::strategy::ValueTree;
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let far = far_catalog()
        .iter()
        .find(|f| f.function == "EST" && f.action == 'R' && f.reason == "SRORD")
        .expect("in the catalog");
    let built = (0..50)
        .filter(|_| {
            let case = ivd_model::testing::protected_case()
                .new_tree(&mut runner)
                .expect("generates")
                .current();
            from_case(&mark_protected(case), &request(far, true)).is_ok()
        })
        .count();
    assert!(built >= 40, "only {built} of 50 built");
}
