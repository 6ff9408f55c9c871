//! How the gateway uses the crate, told as stories.

mod common;

use std::collections::{BTreeMap, BTreeSet};

use common::*;
use ivd_model::{Case, FamilyViolenceIndicator, FviCode, FviSource, Money, ParticipantRole};
use ivd_offset::{
    CaseType, Certification, DiscrepancyKind, Encoding, Exclusion, OffsetAddress, OffsetKey,
    RejectControl, SubmissionControl, Thresholds, TransactionType, apply, certifications_from_case,
    collection_verdicts, plan_cycle, read_collections, read_reconciliation, read_rejects,
    read_submission_file, reconcile, write_collections, write_rejects, write_submission_file,
};
use time::macros::date;

use TransactionType::*;

fn kinds(plan: &[ivd_offset::Submission]) -> Vec<(TransactionType, String)> {
    plan.iter()
        .map(|s| (s.transaction, s.key().to_string()))
        .collect()
}

fn certified(list: &[Certification]) -> BTreeMap<OffsetKey, Certification> {
    list.iter().map(|c| (c.key.clone(), c.clone())).collect()
}

#[test]
fn the_state_certifies_a_new_tanf_obligor_above_the_threshold() {
    let t = Thresholds::FEDERAL;
    let plan = plan_cycle(&[john(CaseType::Tanf, 1350)], &[], &t);
    assert_eq!(kinds(&plan), vec![(Add, "KS ***-**-6789 TANF".to_owned())]);
    assert_eq!(plan[0].certification, john(CaseType::Tanf, 1350));

    // At the threshold is enough; below it waits (TANF $150, non-TANF $500).
    assert_eq!(plan_cycle(&[john(CaseType::Tanf, 150)], &[], &t).len(), 1);
    assert!(plan_cycle(&[john(CaseType::Tanf, 149)], &[], &t).is_empty());
    assert!(plan_cycle(&[john(CaseType::NonTanf, 499)], &[], &t).is_empty());
    assert_eq!(
        plan_cycle(&[john(CaseType::NonTanf, 500)], &[], &t).len(),
        1
    );

    // The file carries it with its control totals, in EBCDIC by default.
    let file = write_submission_file("KS", &plan, ivd_offset::DEFAULT_ENCODING).unwrap();
    assert_eq!(file.len(), 2 * 245);
    let read = read_submission_file(&file, Encoding::Ebcdic037);
    assert!(read.is_valid());
    assert_eq!(read.submissions, plan);
    assert_eq!(
        read.control,
        Some(SubmissionControl {
            state: "KS".into(),
            tanf_count: 1,
            non_tanf_count: 0,
            tanf_amount: 1350,
            non_tanf_amount: 0,
        })
    );
}

#[test]
fn an_obligor_paid_down_to_zero_is_deleted() {
    let now = [john(CaseType::Tanf, 1350), john(CaseType::NonTanf, 900)];
    let plan = plan_cycle(
        &[john(CaseType::Tanf, 0), john(CaseType::NonTanf, 100)],
        &now,
        &Thresholds::FEDERAL,
    );
    // TANF paid off: deleted with amount 0. Non-TANF below the threshold: modified, not
    // deleted (thresholds apply to adds only).
    assert_eq!(
        kinds(&plan),
        vec![
            (Delete, "KS ***-**-6789 TANF".to_owned()),
            (Modify, "KS ***-**-6789 non-TANF".to_owned()),
        ]
    );
    assert_eq!(plan[0].certification.arrears_dollars, 0);

    // A key the state no longer wants at all is deleted too.
    let plan = plan_cycle(&[], &now, &Thresholds::FEDERAL);
    assert_eq!(
        plan.iter().map(|s| s.transaction).collect::<Vec<_>>(),
        vec![Delete, Delete]
    );
}

#[test]
fn an_ssn_correction_is_a_delete_then_an_add() {
    // The state certified John under a mistyped SSN; the case now has the right one,
    // which happens to sort *before* the old one.
    let mut wrong = john(CaseType::Tanf, 1350);
    wrong.key.ssn = ssn("523456789");
    let plan = plan_cycle(
        &[john(CaseType::Tanf, 1350)],
        &[wrong],
        &Thresholds::FEDERAL,
    );
    assert_eq!(
        kinds(&plan),
        vec![
            (Delete, "KS ***-**-6789 TANF".to_owned()),
            (Add, "KS ***-**-6789 TANF".to_owned()),
        ]
    );
    assert_eq!(plan[0].key().ssn.expose(), "523456789");
    assert_eq!(plan[1].key().ssn.expose(), "123456789");
}

#[test]
fn each_change_is_its_own_transaction_in_a_fixed_order() {
    let before = john(CaseType::Tanf, 1350);
    let mut after = before.clone();
    after.case_id = "KS-0009999".into();
    after.last_name = "SAMPLE-JONES".into();
    after.local_code = "002".into();
    after.address = Some(OffsetAddress {
        line1: "200 OTHER AVE".into(),
        ..address()
    });
    after.arrears_dollars = 1200;
    after.exclusions = BTreeSet::from([Exclusion::Pas, Exclusion::Adm]);
    let plan = plan_cycle(
        &[after.clone()],
        std::slice::from_ref(&before),
        &Thresholds::FEDERAL,
    );
    let types: Vec<_> = plan.iter().map(|s| s.transaction).collect();
    assert_eq!(
        types,
        vec![
            CaseIdChange,
            NameChange,
            LocalCodeChange,
            AddressChange,
            Modify,
            ReplaceExclusions
        ]
    );
    // Recording them all gives what the state wanted; planning again gives nothing.
    let mut now = certified(&[before]);
    for s in &plan {
        apply(&mut now, s);
    }
    assert_eq!(
        now.values().cloned().collect::<Vec<_>>(),
        vec![after.clone()]
    );
    assert!(
        plan_cycle(
            &[after],
            &now.into_values().collect::<Vec<_>>(),
            &Thresholds::FEDERAL
        )
        .is_empty()
    );
}

#[test]
fn a_name_change_is_sent_once_for_both_case_types() {
    let now = [john(CaseType::Tanf, 1350), john(CaseType::NonTanf, 900)];
    let mut want = now.clone();
    for c in &mut want {
        c.last_name = "SAMPLE-JONES".into();
    }
    let plan = plan_cycle(&want, &now, &Thresholds::FEDERAL);
    assert_eq!(
        kinds(&plan),
        vec![(NameChange, "KS ***-**-6789 TANF".to_owned())]
    );
    let mut rec = certified(&now);
    apply(&mut rec, &plan[0]);
    assert!(rec.values().all(|c| c.last_name == "SAMPLE-JONES"));
}

#[test]
fn an_incomplete_address_is_not_sent_as_a_change() {
    let before = john(CaseType::Tanf, 1350);
    let mut after = before.clone();
    after.address = Some(OffsetAddress {
        city: String::new(),
        ..address()
    });
    assert!(
        plan_cycle(
            &[after.clone()],
            std::slice::from_ref(&before),
            &Thresholds::FEDERAL
        )
        .is_empty()
    );
    // And the writer refuses a Z without one (OCSE would reject it with error 40).
    let z = ivd_offset::Submission::new(AddressChange, after);
    let err = write_submission_file("KS", &[z], Encoding::Ascii).unwrap_err();
    assert_eq!((err.record, err.code.as_str()), (1, "INCOMPLETE_ADDRESS"));
}

#[test]
fn ocse_rejects_a_record_with_error_17_and_an_unknown_code_99() {
    let file = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/samples/rejects.txt")).unwrap();
    let read = read_rejects(&file, Encoding::Ascii);
    assert!(read.is_valid(), "{:?}", read.errors);

    let first = &read.rejects[0];
    assert_eq!(first.record, 1);
    assert_eq!(first.transaction, Some(Add));
    assert_eq!(first.key, key("123456789", CaseType::Tanf));
    assert_eq!(first.case_id, "KS-0001234");
    let codes: Vec<(&str, Option<&str>)> = first
        .codes
        .iter()
        .map(|c| (c.code.as_str(), c.meaning))
        .collect();
    assert_eq!(
        codes,
        vec![
            ("17", Some("Last name does not match the SSN")),
            ("99", None)
        ]
    );
    assert!(first.is_rejected());

    // Warning 47: accepted without a complete address.
    let second = &read.rejects[1];
    assert!(!second.is_rejected() && second.codes[0].warning);

    // F-2 counts agree with the records, and with what the state sent (E-2).
    let control = read.control.clone().unwrap();
    assert_eq!(
        (
            control.tanf_rejected,
            control.tanf_warning,
            control.tanf_accepted
        ),
        (1, 1, 2)
    );
    let sent = SubmissionControl::tally("KS", &sample_submissions());
    assert!(control.check_against(&sent).is_empty());
    let mut short = sent.clone();
    short.tanf_count += 1;
    assert_eq!(
        codes_of(&control.check_against(&short)),
        vec!["COUNT_MISMATCH"]
    );

    // The rejected add is not applied: next week's plan sends it again.
    let mut rec = BTreeMap::new();
    for s in &sample_submissions() {
        let rejected = read
            .rejects
            .iter()
            .any(|r| r.key == *s.key() && r.transaction == Some(s.transaction) && r.is_rejected());
        if !rejected {
            apply(&mut rec, s);
        }
    }
    let certified_now: Vec<_> = rec.into_values().collect();
    let again = plan_cycle(
        &[john(CaseType::Tanf, 1350)],
        &certified_now,
        &Thresholds::FEDERAL,
    );
    assert_eq!(again[0].transaction, Add);

    let shown = format!("{read:?}");
    assert!(
        !shown.contains("SAMPLE") && !shown.contains("123456789"),
        "{shown}"
    );
}

fn codes_of(errors: &[ivd_offset::FieldError]) -> Vec<&str> {
    errors.iter().map(|e| e.code.as_str()).collect()
}

#[test]
fn a_reject_file_whose_counts_disagree_is_flagged_on_its_control_record() {
    let rejects = sample_rejects();
    let mut control = RejectControl::tally("KS", &rejects, 2, 2);
    control.tanf_rejected = 5;
    let file = write_rejects(&rejects, &control, Encoding::Ascii).unwrap();
    let read = read_rejects(&file, Encoding::Ascii);
    assert_eq!(codes_of(&read.errors), vec!["COUNT_MISMATCH"]);
    assert_eq!(read.errors[0].field, "TANF_REJECTED");
    assert_eq!(read.verdicts[2].errors.len(), 1);
    assert_eq!(
        read.rejects.len(),
        2,
        "the records themselves are still usable"
    );
}

#[test]
fn weekly_collections_are_read_with_their_totals_checked() {
    let file = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/samples/collections.txt"
    ))
    .unwrap();
    let read = read_collections(&file, Encoding::Ascii);
    assert!(read.is_valid());
    let [tax, reversal] = read.collections.as_slice() else {
        panic!("two records")
    };
    assert_eq!(tax.collection, Money::from_cents(25_000));
    assert_eq!(tax.net(), Some(Money::from_cents(25_000)));
    assert_eq!(reversal.net(), Some(Money::from_cents(-5_000)));
    assert_eq!(
        (reversal.injured_spouse, reversal.tax_year),
        (Some(true), Some(2024))
    );
    assert!(!tax.may_hold_for_injured_spouse());

    // A control total that disagrees is a file error; plain digits (zone F) are read too.
    let ctl = lines(&file).len();
    let bad = patch(&file, ctl, 15, b"000000002600{");
    assert_eq!(
        codes_of(&read_collections(&bad, Encoding::Ascii).errors),
        vec!["AMOUNT_MISMATCH"]
    );
    let plain = patch(&file, 1, 76, b"00000025000");
    assert!(read_collections(&plain, Encoding::Ascii).is_valid());

    // A record with both a collection and an adjustment breaks a verified rule.
    let both = patch(&file, 1, 87, b"0000000100{");
    let v: Vec<_> = collection_verdicts(&both, Encoding::Ascii).collect();
    assert_eq!(codes_of(&v[0].errors), vec!["BOTH_AMOUNTS"]);

    // Written by OCSE in EBCDIC, read the same.
    let ebcdic = write_collections("KS", &read.collections, Encoding::Ebcdic037).unwrap();
    assert_eq!(
        read_collections(&ebcdic, Encoding::Ebcdic037).collections,
        read.collections
    );
}

#[test]
fn reconciliation_finds_each_difference_and_its_correction() {
    let file = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/samples/reconciliation.txt"
    ))
    .unwrap();
    let federal = read_reconciliation(&file, Encoding::Ascii);
    assert!(federal.is_valid());
    // The state holds: John TANF (exclusions PAS only), John non-TANF at 700 under a
    // different first name, and Mia, whom OCSE lacks. OCSE also has Pat.
    let mut john_tanf = john(CaseType::Tanf, 1350);
    john_tanf.exclusions = BTreeSet::from([Exclusion::Pas]);
    let mut john_non = john(CaseType::NonTanf, 700);
    john_non.first_name = "JON".into();
    let mia = Certification::new(
        key("456789123", CaseType::Tanf),
        "KS-0004567",
        "MODEL",
        "MIA",
        300,
    );
    let found = reconcile(&[john_tanf, john_non, mia], &federal.records);
    let got: Vec<(String, DiscrepancyKind, Option<TransactionType>)> = found
        .iter()
        .map(|d| {
            (
                d.key.to_string(),
                d.kind.clone(),
                d.correction.as_ref().map(|s| s.transaction),
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            (
                "KS ***-**-6789 TANF".into(),
                DiscrepancyKind::ExclusionsDiffer,
                Some(ReplaceExclusions)
            ),
            (
                "KS ***-**-6789 non-TANF".into(),
                DiscrepancyKind::NameDiffers,
                None
            ),
            (
                "KS ***-**-6789 non-TANF".into(),
                DiscrepancyKind::AmountDiffers {
                    state: 700,
                    federal: 600
                },
                Some(Modify)
            ),
            (
                "KS ***-**-7891 non-TANF".into(),
                DiscrepancyKind::MissingAtState,
                Some(Delete)
            ),
            (
                "KS ***-**-9123 TANF".into(),
                DiscrepancyKind::MissingAtFederal,
                Some(Add)
            ),
        ]
    );
    // The corrections form a valid submission file.
    let fixes: Vec<_> = found.into_iter().filter_map(|d| d.correction).collect();
    assert!(
        read_submission_file(
            &write_submission_file("KS", &fixes, Encoding::Ascii).unwrap(),
            Encoding::Ascii
        )
        .is_valid()
    );
}

fn tanf_case() -> Case {
    serde_json::from_str(include_str!("../../../schemas/samples/case-tanf.json")).unwrap()
}

#[test]
fn certifications_come_from_the_case_arrears_buckets() {
    let certs = certifications_from_case(&tanf_case(), "MN");
    assert_eq!(certs.len(), 2);
    let (tanf, non) = (&certs[0], &certs[1]);
    assert_eq!(
        (tanf.key.case_type, tanf.arrears_dollars),
        (CaseType::Tanf, 1350)
    );
    assert_eq!(
        (non.key.case_type, non.arrears_dollars),
        (CaseType::NonTanf, 200)
    );
    assert_eq!(tanf.key.ssn.expose(), "234567890");
    assert_eq!(
        (tanf.last_name.as_str(), tanf.first_name.as_str()),
        ("SAMPLE", "JOHN")
    );
    assert_eq!(tanf.case_id, "MN-0001234");
    assert_eq!(tanf.address.as_ref().map(|a| a.state.as_str()), Some("MN"));
    assert!(tanf.exclusions.is_empty() && tanf.local_code.is_empty());
    // Non-TANF $200 is below the threshold: only the TANF debt is added.
    let plan = plan_cycle(&certs, &[], &Thresholds::FEDERAL);
    assert_eq!(kinds(&plan), vec![(Add, "MN ***-**-7890 TANF".to_owned())]);
    assert!(write_submission_file("MN", &plan, Encoding::Ascii).is_ok());
}

#[test]
fn a_protected_obligors_address_is_never_certified() {
    let mut case = tanf_case();
    for p in &mut case.participants {
        if p.role == ParticipantRole::NoncustodialParent {
            p.person.family_violence = Some(FamilyViolenceIndicator {
                code: FviCode::ALL[0],
                set_on: date!(2025 - 01 - 01),
                source: FviSource::ALL[0],
            });
        }
    }
    let certs = certifications_from_case(&case, "MN");
    assert_eq!(certs.len(), 2);
    assert!(certs.iter().all(|c| c.address.is_none()));
    let file = write_submission_file(
        "MN",
        &plan_cycle(&certs, &[], &Thresholds::FEDERAL),
        Encoding::Ascii,
    )
    .unwrap();
    let text = String::from_utf8(file).unwrap();
    for p in &tanf_case().participants {
        for a in &p.person.addresses {
            assert!(
                !text.contains(&a.city.expose().to_ascii_uppercase()),
                "no city of anyone"
            );
        }
    }
}

#[test]
fn a_case_with_two_obligors_is_not_certified_against_either() {
    let mut case = tanf_case();
    let mut second = case
        .participants_in(ParticipantRole::NoncustodialParent)
        .next()
        .unwrap()
        .clone();
    second.person.person_id = "P-SECOND".parse().unwrap();
    second.person.ssn = Some("345678912".parse().unwrap());
    case.participants.push(second);
    assert!(certifications_from_case(&case, "MN").is_empty());
}

#[test]
fn the_writer_refuses_what_ocse_would_reject_and_never_says_the_value() {
    let ok = john(CaseType::Tanf, 1350);
    let cases: Vec<(Certification, TransactionType, &str, &str)> = vec![
        (
            Certification {
                last_name: "Sample".into(),
                ..ok.clone()
            },
            Add,
            "LAST_NAME",
            "NOT_UPPER_CASE",
        ),
        (
            Certification {
                last_name: "O'BRIEN".into(),
                ..ok.clone()
            },
            Add,
            "LAST_NAME",
            "BAD_LAST_NAME",
        ),
        (
            Certification {
                first_name: "2JOHN".into(),
                ..ok.clone()
            },
            Add,
            "FIRST_NAME",
            "BAD_FIRST_NAME",
        ),
        (
            Certification {
                first_name: String::new(),
                ..ok.clone()
            },
            NameChange,
            "FIRST_NAME",
            "REQUIRED",
        ),
        (
            Certification {
                arrears_dollars: 0,
                ..ok.clone()
            },
            Add,
            "ARREARAGE_AMOUNT",
            "ZERO_AMOUNT",
        ),
        (
            Certification {
                arrears_dollars: 100_000_000,
                ..ok.clone()
            },
            Add,
            "ARREARAGE_AMOUNT",
            "OVERFLOW",
        ),
        (
            Certification {
                local_code: "CTL".into(),
                ..ok.clone()
            },
            Add,
            "LOCAL_CODE",
            "RESERVED_LOCAL_CODE",
        ),
        (
            Certification {
                case_id: String::new(),
                ..ok.clone()
            },
            CaseIdChange,
            "CASE_ID",
            "REQUIRED",
        ),
        (
            Certification {
                last_name: "A".repeat(21),
                ..ok.clone()
            },
            Delete,
            "LAST_NAME",
            "TOO_LONG",
        ),
        (
            Certification {
                key: key("666123456", CaseType::Tanf),
                ..ok.clone()
            },
            Add,
            "SSN",
            "INVALID_SSN",
        ),
        (
            Certification {
                key: OffsetKey::new("XX", ssn("123456789"), CaseType::Tanf),
                ..ok.clone()
            },
            Add,
            "STATE_CODE",
            "STATE_MISMATCH",
        ),
    ];
    for (cert, t, field, code) in cases {
        let err = write_submission_file(
            "KS",
            &[ivd_offset::Submission::new(t, cert)],
            Encoding::Ascii,
        )
        .unwrap_err();
        assert_eq!((err.field.as_ref(), err.code.as_str()), (field, code));
        let shown = format!("{err} {err:?}");
        assert!(
            !shown.contains("Sample") && !shown.contains("666123456") && !shown.contains("BRIEN"),
            "{shown}"
        );
    }
    // An ITIN is a valid key (E-1 allows it); a state payment needs its year.
    let mut s = ivd_offset::Submission::new(
        StatePayment,
        Certification {
            key: key("912701234", CaseType::Tanf),
            ..ok
        },
    );
    assert_eq!(
        write_submission_file("KS", &[s.clone()], Encoding::Ascii)
            .unwrap_err()
            .code
            .as_str(),
        "REQUIRED"
    );
    s.process_year = Some(2025);
    assert!(write_submission_file("KS", &[s], Encoding::Ascii).is_ok());
}

#[test]
fn the_reader_takes_ascii_with_or_without_line_ends_and_reports_broken_files() {
    let ascii = write_submission_file("KS", &sample_submissions(), Encoding::Ascii).unwrap();
    let expected = read_submission_file(&ascii, Encoding::Ascii).submissions;
    let fixed: Vec<u8> = lines(&ascii).concat();
    let crlf: Vec<u8> = lines(&ascii)
        .iter()
        .flat_map(|l| [l.as_slice(), b"\r\n"].concat())
        .collect();
    for file in [&fixed, &crlf] {
        let read = read_submission_file(file, Encoding::Ascii);
        assert!(read.is_valid());
        assert_eq!(read.submissions, expected);
    }
    // No control record.
    let headless = join(&lines(&ascii)[..5]);
    assert_eq!(
        codes_of(&read_submission_file(&headless, Encoding::Ascii).errors),
        vec!["MISSING_CONTROL"]
    );
    // Control not last.
    let mut ls = lines(&ascii);
    ls.swap(4, 5);
    assert_eq!(
        codes_of(&read_submission_file(&join(&ls), Encoding::Ascii).errors),
        vec!["CONTROL_NOT_LAST"]
    );
    // A truncated EBCDIC file: the partial record is reported with its number.
    let ebcdic = write_submission_file("KS", &sample_submissions(), Encoding::Ebcdic037).unwrap();
    let cut = read_submission_file(&ebcdic[..245 * 3 + 100], Encoding::Ebcdic037);
    assert_eq!(cut.verdicts.len(), 4);
    assert_eq!(codes_of(&cut.verdicts[3].errors), vec!["PARTIAL_RECORD"]);
    assert_eq!(codes_of(&cut.errors), vec!["MISSING_CONTROL"]);
    // EBCDIC read as ASCII is not silently accepted.
    assert!(!read_submission_file(&ebcdic, Encoding::Ascii).is_valid());
}

#[test]
fn submissions_travel_as_json_for_convert() {
    let s = &sample_submissions()[0];
    let json = serde_json::to_value(s).unwrap();
    assert_eq!(json["transaction"], "add");
    assert_eq!(json["certification"]["key"]["caseType"], "tanf");
    assert_eq!(json["certification"]["key"]["ssn"], "123456789");
    assert_eq!(
        json["certification"]["exclusions"],
        serde_json::json!(["PAS"])
    );
    assert_eq!(json["ponDate"], "2025-06-01");
    let back: ivd_offset::Submission = serde_json::from_value(json).unwrap();
    assert_eq!(&back, s);
}
