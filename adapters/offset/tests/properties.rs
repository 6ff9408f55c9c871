//! Properties: every write reads back as written (both encodings); planning converges;
//! reconciliation finds exactly the planted differences; no input makes a reader panic.

mod common;

use std::collections::{BTreeMap, BTreeSet};

use common::ssn;
use ivd_model::{Money, testing};
use ivd_offset::{
    CaseType, Certification, Collection, DiscrepancyKind, Encoding, Exclusion, OffsetAddress,
    OffsetKey, ReconRecord, Reject, RejectControl, Submission, Thresholds, TransactionType, apply,
    collection_verdicts, plan_cycle, read_collections, read_reconciliation, read_rejects,
    read_submission_file, reconcile, reconciliation_verdicts, reject_verdicts, submission_verdicts,
    write_collections, write_reconciliation, write_rejects, write_submission_file,
};
use proptest::prelude::*;
use proptest::sample::{select, subsequence};

const SSNS: [&str; 5] = [
    "123456789",
    "234567891",
    "345678912",
    "456789123",
    "912701234",
];

fn encoding() -> impl Strategy<Value = Encoding> {
    select(vec![Encoding::Ascii, Encoding::Ebcdic037])
}

fn last_name() -> impl Strategy<Value = String> {
    prop_oneof!["[A-Z]{1,4}", "[A-Z][A-Z-]{3}([A-Z ]{0,14}[A-Z])?"]
}

fn first_name() -> impl Strategy<Value = String> {
    "[A-Z]([A-Z ]{0,12}[A-Z])?"
}

fn state() -> impl Strategy<Value = String> {
    select(vec!["KS", "MN", "PR", "DC", "GU"]).prop_map(str::to_owned)
}

fn text(max: usize) -> impl Strategy<Value = String> {
    proptest::string::string_regex(&format!(
        "[A-Z0-9#]([A-Z0-9 .,#/-]{{0,{}}}[A-Z0-9])?",
        max - 2
    ))
    .unwrap()
}

fn address() -> impl Strategy<Value = OffsetAddress> {
    (
        text(30),
        prop_oneof![Just(String::new()), text(30)],
        text(25),
        state(),
        "([0-9]{5}|[0-9]{9})?",
    )
        .prop_map(|(line1, line2, city, state, zip)| OffsetAddress {
            line1,
            line2,
            city,
            state,
            zip,
        })
}

fn certification(ssns: &'static [&'static str]) -> impl Strategy<Value = Certification> {
    (
        select(ssns),
        select(CaseType::ALL.to_vec()),
        "[A-Z]{2}-[0-9]{1,12}",
        last_name(),
        first_name(),
        0u64..99_999_999,
        "([A-Z0-9]{3})?".prop_filter("CTL is reserved", |l| l != "CTL"),
        proptest::option::of(address()),
        subsequence(Exclusion::ALL.to_vec(), 0..=9),
    )
        .prop_map(
            |(s, ct, case_id, last, first, amount, local, address, ex)| {
                let mut c = Certification::new(
                    OffsetKey::new("KS", ssn(s), ct),
                    &case_id,
                    &last,
                    &first,
                    amount,
                );
                c.local_code = local;
                c.address = address;
                c.exclusions = ex.into_iter().collect();
                c
            },
        )
}

/// A submission that satisfies every E-1 rule of its type.
fn submission() -> impl Strategy<Value = Submission> {
    (
        select(TransactionType::ALL.to_vec()),
        certification(&SSNS),
        state(),
        "([A-Z0-9]{3})?",
        1900u16..=2999,
        proptest::option::of(testing::date()),
        address(),
        "[A-Z0-9]{3}",
    )
        .prop_map(|(t, mut c, ts, tl, year, pon, full, local)| {
            if matches!(t, TransactionType::Add | TransactionType::StatePayment) {
                c.arrears_dollars = c.arrears_dollars.max(1);
            }
            if t == TransactionType::AddressChange
                && !c.address.as_ref().is_some_and(OffsetAddress::is_complete)
            {
                c.address = Some(full);
            }
            if t == TransactionType::LocalCodeChange && c.local_code.is_empty() {
                c.local_code = if local == "CTL" { "CTM".into() } else { local };
            }
            let mut s = Submission::new(t, c);
            s.transfer_state = ts;
            s.transfer_local = tl;
            s.process_year = Some(year);
            s.pon_date = pon;
            s
        })
}

fn reject() -> impl Strategy<Value = Reject> {
    (
        submission(),
        proptest::collection::vec(select(vec!["17", "99", "47", "02", "A1", "05"]), 1..=6),
    )
        .prop_map(|(s, codes)| Reject::for_submission(&s.wire_form(), &codes))
}

fn collection() -> impl Strategy<Value = Collection> {
    (
        certification(&SSNS),
        0i64..99_999_999_999,
        -99_999_999i64..99_999_999,
        any::<bool>(),
        proptest::option::of(any::<bool>()),
        proptest::option::of(1990u16..2100),
        proptest::option::of(any::<bool>()),
        prop_oneof![Just(String::new()), text(35)],
        "(TAX|ADM)?",
        "[A-Z0-9]{0,15}",
    )
        .prop_map(
            |(c, certified, amount, is_collection, injured, year, joint, jname, source, trace)| {
                let (collection, adjustment) = if is_collection {
                    (amount, 0)
                } else {
                    (0, amount)
                };
                Collection {
                    record: 0,
                    key: c.key,
                    local_code: c.local_code,
                    case_id: c.case_id,
                    last_name: c.last_name,
                    first_name: c.first_name,
                    certified_arrears: Money::from_cents(certified),
                    collection: Money::from_cents(collection),
                    adjustment: Money::from_cents(adjustment),
                    injured_spouse: injured,
                    tax_year: year,
                    joint_return: joint,
                    joint_return_name: jname,
                    source,
                    trace_number: trace,
                }
            },
        )
}

fn recon() -> impl Strategy<Value = ReconRecord> {
    (
        certification(&SSNS),
        proptest::option::of(testing::date()),
        proptest::option::of(any::<bool>()),
    )
        .prop_map(|(c, pon, hold)| {
            let mut r = ReconRecord::from_certification(&c);
            r.pon_date = pon;
            r.pre_offset_hold = hold;
            r
        })
}

fn numbered<T>(items: &mut [T], set: impl Fn(&mut T, u64)) {
    for (i, x) in items.iter_mut().enumerate() {
        set(x, i as u64 + 1);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    #[test]
    fn a_written_submission_file_reads_back_as_its_wire_form(
        subs in proptest::collection::vec(submission(), 0..12),
        enc in encoding(),
    ) {
        let file = write_submission_file("KS", &subs, enc).unwrap();
        let read = read_submission_file(&file, enc);
        prop_assert!(read.is_valid(), "{:?}", read.verdicts);
        let wire: Vec<_> = subs.iter().map(Submission::wire_form).collect();
        prop_assert_eq!(&read.submissions, &wire);
        // And the wire form writes the same bytes.
        prop_assert_eq!(write_submission_file("KS", &wire, enc).unwrap(), file);
    }

    #[test]
    fn a_written_reject_file_reads_back(
        mut rejects in proptest::collection::vec(reject(), 0..10),
        accepted in (0u64..1000, 0u64..1000),
        enc in encoding(),
    ) {
        numbered(&mut rejects, |r, n| r.record = n);
        let control = RejectControl::tally("KS", &rejects, accepted.0, accepted.1);
        let file = write_rejects(&rejects, &control, enc).unwrap();
        let read = read_rejects(&file, enc);
        prop_assert!(read.is_valid(), "{:?}", read.verdicts);
        prop_assert_eq!(read.rejects, rejects);
        prop_assert_eq!(read.control, Some(control));
    }

    #[test]
    fn a_written_collection_file_reads_back(
        mut items in proptest::collection::vec(collection(), 0..10),
        enc in encoding(),
    ) {
        numbered(&mut items, |c, n| c.record = n);
        let file = write_collections("KS", &items, enc).unwrap();
        let read = read_collections(&file, enc);
        prop_assert!(read.is_valid(), "{:?}", read.verdicts);
        prop_assert_eq!(read.collections, items);
    }

    #[test]
    fn a_written_reconciliation_file_reads_back(
        mut items in proptest::collection::vec(recon(), 0..10),
        enc in encoding(),
    ) {
        numbered(&mut items, |r, n| r.record = n);
        let file = write_reconciliation("KS", &items, enc).unwrap();
        let read = read_reconciliation(&file, enc);
        prop_assert!(read.is_valid(), "{:?}", read.verdicts);
        prop_assert_eq!(read.records, items);
    }

    #[test]
    fn applying_a_plan_converges(
        desired in proptest::collection::vec(certification(&SSNS), 0..10),
        certified in proptest::collection::vec(certification(&SSNS), 0..10),
    ) {
        // Ten merged amounts still fit the 8-digit field.
        let desired: Vec<_> = desired
            .into_iter()
            .map(|mut c| {
                c.arrears_dollars %= 9_999_999;
                c
            })
            .collect();
        let t = Thresholds::FEDERAL;
        let mut now: BTreeMap<OffsetKey, Certification> =
            certified.iter().map(|c| (c.key.clone(), c.clone())).collect();
        let start: Vec<_> = now.values().cloned().collect();
        let plan = plan_cycle(&desired, &start, &t);
        // Every planned submission is one OCSE would accept.
        let written = write_submission_file("KS", &plan, Encoding::Ebcdic037);
        prop_assert!(written.is_ok(), "{:?} {:?}", written, plan);
        for s in &plan {
            apply(&mut now, s);
        }
        let after: Vec<_> = now.values().cloned().collect();
        prop_assert!(plan_cycle(&desired, &after, &t).is_empty(), "{:?}", plan_cycle(&desired, &after, &t));
        // Nothing certified that the state does not want, and every amount is the wanted one.
        let wanted = ivd_offset::merge_certifications(&desired);
        for c in &after {
            let w = wanted.iter().find(|w| w.key == c.key);
            prop_assert!(w.is_some_and(|w| w.arrears_dollars == c.arrears_dollars && w.arrears_dollars > 0));
        }
    }

    #[test]
    fn reconcile_finds_exactly_the_planted_differences(
        state in proptest::collection::vec(certification(&SSNS[..4]), 0..8),
        plants in proptest::collection::vec(0u8..6, 8),
        extra in proptest::collection::vec(certification(&["567891234", "678912345"]), 0..3),
    ) {
        let state: Vec<Certification> = ivd_offset::merge_certifications(&state);
        let mut federal = Vec::new();
        let mut expected: Vec<(OffsetKey, DiscrepancyKind)> = Vec::new();
        for (c, plant) in state.iter().zip(plants.iter().chain(std::iter::repeat(&0))) {
            let mut r = ReconRecord::from_certification(c);
            match plant {
                1 => {
                    expected.push((c.key.clone(), DiscrepancyKind::MissingAtFederal));
                    continue;
                }
                2 => {
                    r.arrears_dollars = c.arrears_dollars + 1;
                    expected.push((c.key.clone(), DiscrepancyKind::AmountDiffers { state: c.arrears_dollars, federal: r.arrears_dollars }));
                }
                3 => {
                    let toggled: BTreeSet<_> = r.exclusions.symmetric_difference(&BTreeSet::from([Exclusion::Tax])).copied().collect();
                    r.exclusions = toggled;
                    expected.push((c.key.clone(), DiscrepancyKind::ExclusionsDiffer));
                }
                4 => {
                    r.last_name.push('X');
                    expected.push((c.key.clone(), DiscrepancyKind::NameDiffers));
                }
                5 => {
                    r.case_id.push('9');
                    expected.push((c.key.clone(), DiscrepancyKind::CaseIdDiffers));
                }
                _ => {}
            }
            federal.push(r);
        }
        for c in ivd_offset::merge_certifications(&extra) {
            expected.push((c.key.clone(), DiscrepancyKind::MissingAtState));
            federal.push(ReconRecord::from_certification(&c));
        }
        expected.sort_by(|a, b| a.0.cmp(&b.0));
        let found: Vec<_> = reconcile(&state, &federal).into_iter().map(|d| (d.key, d.kind)).collect();
        prop_assert_eq!(found, expected);
    }

    #[test]
    fn no_bytes_make_a_reader_panic(bytes in proptest::collection::vec(any::<u8>(), 0..800), enc in encoding()) {
        let _ = read_submission_file(&bytes, enc);
        let _ = read_rejects(&bytes, enc);
        let _ = read_collections(&bytes, enc);
        let _ = read_reconciliation(&bytes, enc);
        for v in submission_verdicts(&bytes, enc)
            .chain(reject_verdicts(&bytes, enc))
            .chain(collection_verdicts(&bytes, enc))
            .chain(reconciliation_verdicts(&bytes, enc))
        {
            let _ = v.to_json_line();
        }
    }

    #[test]
    fn flipped_bytes_in_a_valid_file_never_panic_and_keep_the_count(
        flips in proptest::collection::vec((0usize..6 * 246, any::<u8>()), 1..8),
    ) {
        let mut file = write_submission_file("KS", &common::sample_submissions(), Encoding::Ascii).unwrap();
        for (i, b) in flips {
            let i = i % file.len();
            if file[i] != b'\n' && b != b'\n' && b != b'\r' {
                file[i] = b;
            }
        }
        let read = read_submission_file(&file, Encoding::Ascii);
        prop_assert_eq!(read.verdicts.len(), 6);
        prop_assert!(read.submissions.len() <= 5);
    }
}
