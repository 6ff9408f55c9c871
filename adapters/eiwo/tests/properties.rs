//! Properties: every write reads back as written; family-violence protection on every
//! IWO built from a generated case; no panic on any input.

mod common;

use common::*;
use ivd_eiwo::{
    AckAction, AckBatch, Acknowledgment, Disposition, DispositionReason, DispositionStatus,
    DocumentAction, Frequency, IwoBatch, IwoChild, Periodic, acknowledgment_verdicts,
    iwo_from_case, iwo_verdicts, read_acknowledgments, read_iwo_file, write_acknowledgments,
    write_iwo_file,
};
use ivd_model::testing;
use ivd_model::{BirthDate, Case, Email, Money, PersonalText, Phone, StateCode, ZipCode};
use proptest::option;
use proptest::prelude::*;
use proptest::sample::select;

fn periodic() -> impl Strategy<Value = Option<Periodic>> {
    option::of(
        (0i64..99_999_999_999, select(Frequency::ALL.to_vec())).prop_map(|(c, per)| Periodic {
            amount: Money::from_cents(c),
            per,
        }),
    )
}

fn child() -> impl Strategy<Value = IwoChild> {
    (testing::person_name(), option::of(testing::date())).prop_map(|(name, d)| IwoChild {
        name,
        birth_date: d.map(BirthDate::from_date),
    })
}

fn iwo_batch() -> impl Strategy<Value = IwoBatch> {
    (
        (
            select(DocumentAction::ALL.to_vec()),
            testing::date(),
            testing::case_id(),
            testing::fein(),
            testing::person_name(),
            testing::ssn(),
            option::of(testing::date()),
            option::of(testing::person_name()),
            "[A-Z0-9]{1,12}",
            "[A-Z0-9-]{1,30}",
        ),
        (
            [periodic(), periodic(), periodic(), periodic()],
            [periodic(), periodic(), periodic(), periodic()],
            any::<bool>(),
            proptest::collection::vec(child(), 0..=6),
            option::of((0u64..99_999_999_999).prop_map(|c| Money::from_cents(c as i64))),
            (0u8..100, 0u8..100, 0u8..100),
        ),
        1usize..4,
        "[0-9]{20}",
    )
        .prop_map(
            |(
                (action, date, case_id, fein, name, ssn, dob, obligee, tracking, order),
                (a1, a2, arrears, children, lump, (begin, send, ccpa)),
                copies,
                control,
            )| {
                let mut iwo = iwo(action, "X", "123456789", &tracking, EMPLOYER_FEIN);
                iwo.document_date = date;
                iwo.case_id = case_id;
                iwo.employer.fein = fein.clone();
                iwo.employee.name = name;
                iwo.employee.ssn = ssn;
                iwo.employee.birth_date = dob.map(BirthDate::from_date);
                iwo.obligee = obligee;
                iwo.order_id = order;
                let a = &mut iwo.amounts;
                [
                    a.current_child,
                    a.past_due_child,
                    a.current_medical,
                    a.past_due_medical,
                ] = a1;
                [a.current_spousal, a.past_due_spousal, a.other, a.total] = a2;
                a.arrears_over_12_weeks = arrears;
                iwo.children = children;
                iwo.lump_sum = lump;
                iwo.terms.begin_within_days = begin;
                iwo.terms.send_payment_within_days = send;
                iwo.terms.ccpa_percent = ccpa;
                IwoBatch {
                    control_number: format!("B{control}X"),
                    fein,
                    iwos: vec![iwo; copies],
                }
            },
        )
}

fn ack() -> impl Strategy<Value = Acknowledgment> {
    let reasons: Vec<Option<DispositionReason>> = std::iter::once(None)
        .chain(DispositionReason::ALL.iter().copied().map(Some))
        .collect();
    (
        (
            select(AckAction::ALL.to_vec()),
            select(DispositionStatus::ALL.to_vec()),
            select(reasons),
            testing::case_id(),
            testing::fein(),
            option::of(testing::person_name()),
            option::of(testing::ssn()),
            "[A-Z0-9]{1,12}",
            "[A-Z0-9-]{0,30}",
        ),
        (
            option::of(testing::date()),
            option::of(testing::date()),
            option::of((0i64..99_999_999_999).prop_map(Money::from_cents)),
            option::of((testing::phone(), "[A-Z]{2}", "[0-9]{5}(-[0-9]{4})?")),
            testing::date(),
            (0i64..99_999_999_999).prop_map(Money::from_cents),
            "[A-Z ]{0,10}[A-Z]",
        ),
    )
        .prop_filter(
            "allowed dispositions",
            |((action, status, reason, ..), _)| {
                Disposition {
                    status: *status,
                    reason: *reason,
                }
                .check(*action)
                .is_ok()
            },
        )
        .prop_filter_map(
            "valid state codes",
            |(
                (action, status, reason, case_id, fein, name, ssn, tracking, order),
                (term, fin, fin_amount, ncp, lump_date, lump_amount, lump_type),
            )| {
                let mut a = Acknowledgment::answer(
                    action,
                    case_id,
                    fein,
                    &tracking,
                    Disposition { status, reason },
                );
                a.employee_name = name;
                a.employee_ssn = ssn;
                a.order_id = order;
                a.termination_date = term.or(Some(lump_date));
                a.final_payment_date = fin;
                a.final_payment_amount = fin_amount;
                if let Some((phone, state, zip)) = ncp {
                    a.ncp_phone = Some(phone);
                    a.ncp_address = Some(ivd_eiwo::NcpAddress {
                        line1: PersonalText::parse("1 EXAMPLE ST").ok()?,
                        line2: PersonalText::parse("UNIT 2").ok(),
                        city: PersonalText::parse("EXAMPLE CITY").ok()?,
                        state: StateCode::parse(&state).ok()?,
                        zip: ZipCode::parse(&zip).ok()?,
                    });
                }
                a.lump_sum_date = Some(lump_date);
                a.lump_sum_amount = Some(lump_amount);
                a.lump_sum_type = lump_type;
                a.multi_iwo_state = StateCode::parse("WI").ok();
                Some(a)
            },
        )
}

/// Marks every protected person's contact data with tokens nothing else can contain.
fn mark_protected(mut case: Case) -> Case {
    let protected: Vec<bool> = case
        .participants
        .iter()
        .map(|p| case.is_protected(&p.person))
        .collect();
    let text = |s: &str| PersonalText::parse(s).unwrap();
    for (p, protected) in case.participants.iter_mut().zip(protected) {
        let addresses = p.person.addresses.iter_mut().chain(
            p.person
                .employers
                .iter_mut()
                .filter_map(|e| e.address.as_mut()),
        );
        for a in addresses {
            if protected {
                a.lines = vec![text("#FV-LINE#")];
                a.city = text("#FV-CITY#");
                if a.zip.is_some() {
                    a.zip = ZipCode::parse("09901").ok();
                }
            } else if a.zip.as_ref().is_some_and(|z| z.zip5() == "09901") {
                a.zip = ZipCode::parse("55401").ok();
            }
        }
        if protected {
            for ph in &mut p.person.phones {
                ph.number = Phone::parse("2025550142").unwrap();
            }
            for e in &mut p.person.emails {
                *e = Email::parse("fv.marker@example.com").unwrap();
            }
            for e in &mut p.person.employers {
                e.name = text("#FV-EMPLOYER#");
            }
        }
    }
    case
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn every_iwo_file_written_reads_back_as_written(batches in proptest::collection::vec(iwo_batch(), 0..3)) {
        // Distinct control numbers within the file.
        let batches: Vec<IwoBatch> = batches
            .into_iter()
            .enumerate()
            .map(|(i, mut b)| { b.control_number.replace_range(0..1, &format!("{i}")); b })
            .collect();
        let bytes = write_iwo_file(&iwo_header(), &batches).expect("writes");
        let file = read_iwo_file(&bytes);
        prop_assert_eq!(&file.envelope_errors, &vec![]);
        prop_assert!(file.verdicts.iter().all(|v| v.is_valid()), "{:?}", file.verdicts);
        prop_assert_eq!(file.header.as_ref(), Some(&iwo_header()));
        prop_assert_eq!(&file.batches, &batches);
        prop_assert_eq!(write_iwo_file(&iwo_header(), &file.batches).unwrap(), bytes);
    }

    #[test]
    fn every_ack_file_written_reads_back_as_written(acks in proptest::collection::vec(ack(), 0..8)) {
        let batch = AckBatch {
            control_number: "27ACB00000000000000009".into(),
            fein: fein(EMPLOYER_FEIN),
            acknowledgments: acks.clone(),
        };
        let bytes = write_acknowledgments(&ack_header(), &[batch]).expect("writes");
        let file = read_acknowledgments(&bytes);
        prop_assert!(file.is_envelope_valid(), "{:?}", file.envelope_errors);
        prop_assert!(file.verdicts.iter().all(|v| v.is_valid()), "{:?}", file.verdicts);
        let read: Vec<Acknowledgment> = file.acknowledgments.into_iter().map(|mut a| { a.record = 0; a }).collect();
        prop_assert_eq!(read, acks);
        prop_assert!(acknowledgment_verdicts(&bytes).all(|v| v.is_valid()));
    }

    #[test]
    fn an_iwo_from_a_protected_case_carries_no_address_phone_email_or_employer(case in testing::protected_case()) {
        let case = mark_protected(case);
        let Some((order, start)) = case
            .orders
            .iter()
            .find_map(|o| o.obligations.first().map(|ob| (o.order_id.clone(), ob.start_on)))
        else {
            return Ok(());
        };
        for ncp in case.participants.iter().filter(|p| p.role.is_noncustodial()) {
            let Some(ssn) = &ncp.person.ssn else { continue };
            let mut ctx = context(DocumentAction::Original, "TRK000000900");
            ctx.document_date = start;
            ctx.order = Some(order.clone());
            let Ok(iwo) = iwo_from_case(&case, ssn, &ctx) else { continue };
            let record = String::from_utf8(iwo.to_record().expect("writes")).unwrap();
            for marker in ["#FV", "09901", "2025550142", "fv.marker"] {
                prop_assert!(!record.contains(marker), "{} leaked", marker);
            }
            let debug = format!("{iwo:?}");
            prop_assert!(!debug.contains(ssn.expose()));
        }
    }

    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..3000)) {
        let _ = read_acknowledgments(&bytes);
        let _ = read_iwo_file(&bytes);
        for v in acknowledgment_verdicts(&bytes).chain(iwo_verdicts(&bytes)) {
            let _ = v.to_json_line();
        }
    }

    #[test]
    fn damaged_samples_never_panic(
        which in any::<bool>(),
        edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..20),
        cut in any::<prop::sample::Index>(),
    ) {
        let mut bytes = sample(if which { "iwo-file.txt" } else { "ack-accepts-and-rejects.txt" });
        for (at, b) in edits {
            let i = at.index(bytes.len());
            bytes[i] = b;
        }
        bytes.truncate(cut.index(bytes.len() + 1));
        let a = read_acknowledgments(&bytes);
        let i = read_iwo_file(&bytes);
        // Whatever reads, writes back to a record that reads as the same value.
        for ack in &a.acknowledgments {
            let again = Acknowledgment::from_record(ack.record, &ack.to_record().unwrap());
            prop_assert_eq!(again.as_ref(), Ok(ack));
        }
        for iwo in i.iwos() {
            let again = ivd_eiwo::Iwo::from_record(&iwo.to_record().unwrap());
            prop_assert_eq!(again.as_ref(), Ok(iwo));
        }
        prop_assert!(acknowledgment_verdicts(&bytes).count() >= a.verdicts.len());
        prop_assert!(iwo_verdicts(&bytes).count() >= i.verdicts.len());
    }
}
