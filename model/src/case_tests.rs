//! Tests of the case rules, masking of whole cases, and redaction (unit and property).

use crate::testing;
use crate::*;
use proptest::prelude::*;
use std::collections::HashSet;

fn tanf() -> Case {
    serde_json::from_str(include_str!("../../schemas/samples/case-tanf.json")).unwrap()
}

fn protected() -> Case {
    serde_json::from_str(include_str!("../../schemas/samples/case-protected.json")).unwrap()
}

fn codes(case: &Case) -> Vec<(String, &'static str)> {
    match case.validate() {
        Ok(()) => vec![],
        Err(es) => es.into_iter().map(|e| (e.path.clone(), e.code())).collect(),
    }
}

fn one(case: &Case, path: &str, code: &str) {
    assert_eq!(codes(case), vec![(path.to_owned(), code)]);
}

#[test]
fn samples_are_valid() {
    assert_eq!(codes(&tanf()), vec![]);
    assert_eq!(codes(&protected()), vec![]);
}

#[test]
fn county_or_tribe() {
    let mut c = tanf();
    c.county = None;
    one(&c, "county", "CASE_COUNTY_OR_TRIBE");
    let mut c = tanf();
    c.tribe = Some(TribeCode::parse("T0123").unwrap());
    assert_eq!(
        codes(&c),
        vec![
            ("tribe".into(), "CASE_COUNTY_OR_TRIBE"),
            ("caseType".into(), "CASE_TRIBAL_TRIBE")
        ]
    );
    let mut c = tanf();
    c.case_type = CaseType::Tribal;
    one(&c, "caseType", "CASE_TRIBAL_TRIBE");
    let mut c = tanf();
    c.county = None;
    c.tribe = Some(TribeCode::parse("T0123").unwrap());
    one(&c, "caseType", "CASE_TRIBAL_TRIBE");
    c.case_type = CaseType::Tribal;
    assert_eq!(codes(&c), vec![]);
}

#[test]
fn partner_jurisdiction() {
    let mut c = tanf();
    c.intergovernmental_role = IntergovernmentalRole::Initiating;
    one(&c, "partnerJurisdiction", "CASE_PARTNER_MISSING");
    c.partner_jurisdiction = Some(Jurisdiction::Country {
        country: CountryCode::parse("CA").unwrap(),
    });
    assert_eq!(codes(&c), vec![]);
    c.intergovernmental_role = IntergovernmentalRole::None;
    one(&c, "partnerJurisdiction", "CASE_PARTNER_UNEXPECTED");
}

#[test]
fn required_roles() {
    let mut c = tanf();
    c.participants
        .retain(|p| p.role != ParticipantRole::CustodialParty);
    one(&c, "participants", "CASE_NO_CUSTODIAL_PARTY");
    let mut c = tanf();
    c.participants[0].role = ParticipantRole::Caretaker;
    assert_eq!(codes(&c), vec![]);
    let mut c = tanf();
    c.participants.retain(|p| p.role != ParticipantRole::Child);
    one(&c, "participants", "CASE_NO_CHILD");
    let mut c = tanf();
    c.participants[1].role = ParticipantRole::Other;
    one(&c, "participants", "CASE_NO_NONCUSTODIAL_PARENT");
    for r in [
        ParticipantRole::AllegedFather,
        ParticipantRole::PutativeFather,
    ] {
        c.participants[1].role = r;
        assert_eq!(codes(&c), vec![]);
    }
}

#[test]
fn unique_ids_and_dates() {
    let mut c = tanf();
    c.participants[2].person.person_id = c.participants[0].person.person_id.clone();
    one(&c, "participants[2].person.personId", "PERSON_ID_DUPLICATE");

    let mut c = tanf();
    c.participants[0].role_end_on = Some(time::macros::date!(2020 - 01 - 01));
    one(&c, "participants[0].roleEndOn", "DATE_ORDER");

    let mut c = tanf();
    c.orders[0].obligations[0].end_on = Some(time::macros::date!(2020 - 01 - 01));
    one(&c, "orders[0].obligations[0].endOn", "DATE_ORDER");

    let mut c = tanf();
    c.orders.push(c.orders[0].clone());
    one(&c, "orders[1].orderId", "ORDER_ID_DUPLICATE");

    let mut c = tanf();
    c.collections[1].collection_id = c.collections[0].collection_id.clone();
    one(&c, "collections[1].collectionId", "COLLECTION_ID_DUPLICATE");
}

#[test]
fn amounts() {
    let mut c = tanf();
    c.orders[0].obligations[1].amount = Money::from_cents(-1);
    one(&c, "orders[0].obligations[1].amount", "OBLIGATION_NEGATIVE");
    let mut c = tanf();
    c.collections[0].amount = Money::ZERO;
    one(&c, "collections[0].amount", "COLLECTION_NOT_POSITIVE");
    let mut c = tanf();
    c.orders[0].arrears[1].arrears_type = ArrearsType::Tanf;
    one(
        &c,
        "orders[0].arrears[1].arrearsType",
        "ARREARS_TYPE_DUPLICATE",
    );
    let mut c = tanf();
    c.collections[0].applied_order_id = Some(OrderId::parse("NOPE").unwrap());
    one(
        &c,
        "collections[0].appliedOrderId",
        "COLLECTION_UNKNOWN_ORDER",
    );
    assert_eq!(
        tanf().orders[0].total_arrears(),
        Some(Money::from_cents(155_000))
    );
}

#[test]
fn addresses() {
    let at = "participants[0].person.addresses[0]";
    let mut c = tanf();
    c.participants[0].person.addresses[0].zip = None;
    one(&c, &format!("{at}.zip"), "ADDRESS_DOMESTIC");
    let mut c = tanf();
    c.participants[0].person.addresses[0].state = None;
    one(&c, &format!("{at}.state"), "ADDRESS_DOMESTIC");
    let mut c = tanf();
    c.participants[0].person.addresses[0].country = Some(CountryCode::parse("US").unwrap());
    one(&c, &format!("{at}.country"), "ADDRESS_DOMESTIC");
    let mut c = tanf();
    c.participants[0].person.addresses[0].lines.clear();
    one(&c, &format!("{at}.lines"), "ADDRESS_LINES");
    let mut c = tanf();
    let a = &mut c.participants[0].person.addresses[0];
    a.scope = AddressScope::Foreign;
    a.state = None;
    a.zip = None;
    one(&c, &format!("{at}.country"), "ADDRESS_FOREIGN");
    c.participants[0].person.addresses[0].country = Some(CountryCode::parse("US").unwrap());
    one(&c, &format!("{at}.country"), "ADDRESS_FOREIGN");
    c.participants[0].person.addresses[0].country = Some(CountryCode::parse("MX").unwrap());
    assert_eq!(codes(&c), vec![]);
    c.participants[0].person.addresses[0].zip = Some(ZipCode::parse("55101").unwrap());
    one(&c, &format!("{at}.zip"), "ADDRESS_FOREIGN");
    let mut c = tanf();
    c.participants[1].person.employers[0]
        .address
        .as_mut()
        .unwrap()
        .state = None;
    one(
        &c,
        "participants[1].person.employers[0].address.state",
        "ADDRESS_DOMESTIC",
    );
}

#[test]
fn model_error_display_has_path_and_code_only() {
    let mut c = tanf();
    c.participants[0].person.addresses[0].zip = None;
    let e = &c.validate().unwrap_err()[0];
    assert_eq!(
        e.to_string(),
        "participants[0].person.addresses[0].zip: a domestic address needs state and zip and no country (ADDRESS_DOMESTIC)"
    );
}

#[test]
fn deserialization_rejects_bad_values_and_unknown_fields() {
    let json = include_str!("../../schemas/samples/case-tanf.json");
    for (from, to) in [
        ("\"123-45-6789\"", "\"666-45-6789\""),
        ("\"41-1234567\"", "\"07-1234567\""),
        ("\"2712300\"", "\"0312300\""),
        ("\"MN-0001234\"", "\"mn-0001234\""),
        ("\"450.00\"", "450.00"),
        ("\"2024-06-01\"", "\"2024-6-1\""),
        ("\"tanf\"", "\"AF\""),
        ("\"nondisclosureFinding\"", "\"nondisclosure\""),
    ] {
        let bad = json.replacen(from, to, 1);
        assert_ne!(bad, json, "{from}");
        let err = serde_json::from_str::<Case>(&bad).unwrap_err().to_string();
        assert!(!err.contains("6789") && !err.contains("1234567"), "{err}");
    }
}

#[test]
fn debug_of_a_whole_case_shows_no_personal_data() {
    let c = protected();
    let json = serde_json::to_string(&c).unwrap();
    let debug = format!("{c:?} {c:#?}");
    for secret in [
        "456789012",
        "567890123",
        "ALEX",
        "PLACEHOLDER",
        "HIDDEN",
        "MINNEAPOLIS",
        "55401",
        "6125550110",
        "alex.placeholder",
        "SAMPLE CLINIC",
        "1992-07-04",
        "527654321",
    ] {
        assert!(json.contains(secret), "test data should contain {secret}");
        assert!(!debug.contains(secret), "Debug leaks {secret}");
    }
    // Identifiers operators need stay readable.
    assert!(debug.contains("MN-0009876") && debug.contains("2705300"));
}

#[test]
fn protection_rules() {
    let c = tanf();
    assert!(!c.has_protected_participant());
    assert!(c.participants.iter().all(|p| !c.is_protected(&p.person)));
    assert_eq!(c.redacted_for_disclosure(), c);

    // Rule 2: nondisclosure protects CP, caretaker and children, not the NCP.
    let mut c = tanf();
    c.nondisclosure_finding = true;
    let roles: Vec<_> = c
        .participants
        .iter()
        .map(|p| (p.role, c.is_protected(&p.person)))
        .collect();
    assert_eq!(
        roles,
        vec![
            (ParticipantRole::CustodialParty, true),
            (ParticipantRole::NoncustodialParent, false),
            (ParticipantRole::Child, true)
        ]
    );

    // Rule 1: an FVI protects its person whatever the role; and any FVI on the case
    // protects the custodial household too (rule 3 of `Case::is_protected`).
    let fvi = protected().participants[0].person.family_violence.clone();
    let mut c = tanf();
    c.participants[1].person.family_violence = fvi.clone();
    assert!(c.participants[1].person.is_protected());
    assert!(!c.participants[0].person.is_protected());
    assert!(c.participants.iter().all(|p| c.is_protected(&p.person)));
    let r = c.redacted_for_disclosure();
    assert!(r.nondisclosure_finding);
    let ncp = &r.participants[1].person;
    assert!(ncp.addresses.is_empty() && ncp.phones.is_empty() && ncp.emails.is_empty());
    assert_eq!(
        ncp.employers.len(),
        1,
        "an NCP's employer stays: the IWO needs it"
    );
    let cp = &r.participants[0].person;
    assert!(cp.addresses.is_empty() && cp.phones.is_empty() && cp.emails.is_empty());
    assert_eq!(r.redacted_for_disclosure(), r);

    // An "other" participant is protected only by their own FVI.
    let mut c = tanf();
    c.participants[2].person.family_violence = fvi;
    c.participants[1].role = ParticipantRole::Other;
    assert!(
        c.is_protected(&c.participants[0].person),
        "CP shares the child's household"
    );
    assert!(!c.is_protected(&c.participants[1].person));
}

#[test]
fn redaction_of_the_protected_sample() {
    let c = protected();
    let r = c.redacted_for_disclosure();
    let json = serde_json::to_string(&r).unwrap();
    for gone in [
        "HIDDEN WAY",
        "MINNEAPOLIS",
        "6125550110",
        "alex.placeholder",
        "SAMPLE CLINIC",
        "527654321",
    ] {
        assert!(!json.contains(gone), "{gone} survived redaction");
    }
    // The NCP is not protected: their data is needed (and lawful) to enforce.
    for kept in ["900 OTHER ST", "EXAMPLE TRUCKING", "456789012"] {
        assert!(json.contains(kept), "{kept} should stay");
    }
    assert!(r.nondisclosure_finding);
    assert_eq!(r.validate(), Ok(()));
    assert_eq!(r.redacted_for_disclosure(), r);
}

/// Tokens of a person's contact and (optionally) employer data as they appear in JSON.
fn tokens(p: &Person, with_employers: bool) -> Vec<String> {
    let mut t = Vec::new();
    for a in &p.addresses {
        t.extend(a.lines.iter().map(|l| l.expose().to_owned()));
    }
    t.extend(p.phones.iter().map(|ph| ph.number.expose().to_owned()));
    t.extend(p.emails.iter().map(|e| e.expose().to_owned()));
    if with_employers {
        for e in &p.employers {
            t.push(e.name.expose().to_owned());
            if let Some(a) = &e.address {
                t.extend(a.lines.iter().map(|l| l.expose().to_owned()));
            }
        }
    }
    t
}

proptest! {
    #[test]
    fn generated_cases_are_valid_and_roundtrip(case in testing::case()) {
        prop_assert_eq!(case.validate(), Ok(()));
        let json = serde_json::to_string(&case).unwrap();
        let back: Case = serde_json::from_str(&json).unwrap();
        prop_assert_eq!(back, case);
    }

    #[test]
    fn no_protected_contact_survives_redaction(case in testing::protected_case()) {
        let redacted = case.redacted_for_disclosure();
        prop_assert!(redacted.nondisclosure_finding);
        prop_assert_eq!(redacted.validate(), Ok(()));
        prop_assert_eq!(redacted.participants.len(), case.participants.len());

        let mut leaked_if_seen = HashSet::new();
        let mut allowed = HashSet::new();
        for (before, after) in case.participants.iter().zip(&redacted.participants) {
            let household = before.role.is_custodial_household();
            if case.is_protected(&before.person) {
                prop_assert!(after.person.addresses.is_empty());
                prop_assert!(after.person.phones.is_empty());
                prop_assert!(after.person.emails.is_empty());
                if household {
                    prop_assert!(after.person.employers.is_empty());
                }
                leaked_if_seen.extend(tokens(&before.person, household));
            } else {
                prop_assert_eq!(&after.person, &before.person);
                allowed.extend(tokens(&after.person, true));
            }
            if case.nondisclosure_finding && household {
                prop_assert!(case.is_protected(&before.person));
            }
            if before.person.is_protected() {
                prop_assert!(case.is_protected(&before.person));
            }
        }
        // Token check over the serialized message, as an adapter's output would be checked.
        let json = serde_json::to_string(&redacted).unwrap();
        for token in leaked_if_seen.difference(&allowed) {
            let quoted = format!("\"{token}\"");
            prop_assert!(!json.contains(&quoted), "protected token survived: {}", token);
        }
        prop_assert_eq!(redacted.redacted_for_disclosure(), redacted.clone());
    }

    #[test]
    fn unprotected_cases_are_not_changed(case in testing::case()) {
        if !case.has_protected_participant() {
            prop_assert_eq!(case.redacted_for_disclosure(), case);
        }
    }

    #[test]
    fn debug_of_generated_cases_shows_no_ssn(case in testing::case()) {
        let debug = format!("{case:?}");
        for p in &case.participants {
            if let Some(ssn) = &p.person.ssn {
                prop_assert!(!debug.contains(ssn.expose()));
            }
            for e in &p.person.emails {
                prop_assert!(!debug.contains(e.expose()));
            }
        }
    }
}
