//! How the gateway and employers use the crate, told as stories.

mod common;

use common::*;
use ivd_eiwo::codes::envelope::{BCT, CNM, DOC, RCT, REC};
use ivd_eiwo::codes::record::INVALID_COMBINATION;
use ivd_eiwo::{
    AckAction, Disposition, DispositionReason, DispositionStatus, DocumentAction, Frequency,
    IwoError, acknowledgment_verdicts, iwo_from_case, iwo_verdicts, layout, read_acknowledgments,
    read_iwo_file, write_acknowledgments, write_iwo_file,
};
use ivd_fixed::ErrorCode;
use ivd_model::{Case, Money, ParticipantRole, Ssn};
use time::macros::date;

fn tanf_case() -> Case {
    serde_json::from_str(include_str!("../../../schemas/samples/case-tanf.json")).unwrap()
}

fn protected_case() -> Case {
    serde_json::from_str(include_str!("../../../schemas/samples/case-protected.json")).unwrap()
}

fn ssn(s: &str) -> Ssn {
    Ssn::parse(s).unwrap()
}

/// The byte range of a layout's field.
fn range(layout: &ivd_fixed::Layout, field: &str) -> std::ops::Range<usize> {
    layout.field(field).expect("field of the layout").range()
}

/// Replaces line `n` (1-based) of a file.
fn with_line(file: &[u8], n: usize, f: impl FnOnce(&mut Vec<u8>)) -> Vec<u8> {
    let mut lines: Vec<Vec<u8>> = file
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .map(<[u8]>::to_vec)
        .collect();
    f(&mut lines[n - 1]);
    let mut out = lines.join(&b'\n');
    out.push(b'\n');
    out
}

fn codes(errors: &[ivd_fixed::FieldError]) -> Vec<&str> {
    errors.iter().map(|e| e.code.as_str()).collect()
}

#[test]
fn the_state_issues_an_iwo_for_a_tanf_case() {
    let case = tanf_case();
    let ctx = context(DocumentAction::Original, "TRK000000101");
    let iwo = iwo_from_case(&case, &ssn("234567890"), &ctx).expect("builds");
    assert_eq!(iwo.case_id.as_str(), "MN-0001234");
    assert_eq!(iwo.order_id, "ORD-2024-001");
    assert_eq!(iwo.employee.name.expose().last, "SAMPLE");
    assert_eq!(iwo.obligee.as_ref().unwrap().expose().first, "JANE");
    assert_eq!(iwo.children.len(), 1);
    let child = iwo.amounts.current_child.unwrap();
    assert_eq!(
        (child.amount, child.per),
        (Money::from_cents(45_000), Frequency::Monthly)
    );
    assert_eq!(
        iwo.amounts.current_medical.unwrap().amount,
        Money::from_cents(7_550)
    );
    assert_eq!(iwo.amounts.total.unwrap().amount, Money::from_cents(52_550));
    // $525.50 a month = $6,306.00 a year: $121.27 a week, $242.54 every two weeks.
    assert_eq!(iwo.deductions.weekly, Money::from_cents(12_127));
    assert_eq!(iwo.deductions.biweekly, Money::from_cents(24_254));
    assert_eq!(iwo.deductions.semimonthly, Money::from_cents(26_275));
    assert_eq!(iwo.deductions.monthly, Money::from_cents(52_550));

    // Into a file for the employer, and the employer reads it back.
    let mut w = ivd_eiwo::IwoFileWriter::new(
        "27IWO00000000000000101",
        ivd_model::StateFips::parse("27").unwrap(),
        fein(EMPLOYER_FEIN),
        time::macros::datetime!(2025-03-01 09:00:00),
    )
    .unwrap();
    w.add_batch(
        "27IWB00000000000000101",
        &fein(EMPLOYER_FEIN),
        std::slice::from_ref(&iwo),
    )
    .unwrap();
    let file = w.finish().unwrap();
    let read = read_iwo_file(&file);
    assert_eq!(read.envelope_errors, vec![]);
    assert_eq!(read.iwos().collect::<Vec<_>>(), [&iwo]);
    assert!(iwo_verdicts(&file).all(|v| v.is_valid()));
}

#[test]
fn the_iwo_never_says_where_the_protected_custodial_party_lives() {
    let case = protected_case();
    assert!(case.has_protected_participant());
    let mut ctx = context(DocumentAction::Original, "TRK000000102");
    ctx.document_date = date!(2025 - 06 - 01);
    let ncp = case
        .participants_in(ParticipantRole::NoncustodialParent)
        .next()
        .unwrap();
    let iwo = iwo_from_case(&case, ncp.person.ssn.as_ref().unwrap(), &ctx).expect("builds");
    let record = String::from_utf8(iwo.to_record().unwrap()).unwrap();
    let cp = case
        .participants_in(ParticipantRole::CustodialParty)
        .next()
        .unwrap();
    assert!(!cp.person.addresses.is_empty());
    for a in &cp.person.addresses {
        for line in &a.lines {
            assert!(!record.contains(line.expose()));
        }
        assert!(!record.contains(a.city.expose()));
        if let Some(zip) = &a.zip {
            assert!(!record.contains(zip.expose()));
        }
    }
    for p in &cp.person.phones {
        assert!(!record.contains(p.number.expose()));
    }
    // The name stays: the order must say who the obligee is.
    assert_eq!(iwo.obligee.unwrap().expose().first, "ALEX");
}

#[test]
fn an_iwo_is_refused_when_the_case_cannot_support_it() {
    let case = tanf_case();
    let ctx = context(DocumentAction::Original, "TRK000000103");
    // The custodial party is not the obligor.
    assert_eq!(
        iwo_from_case(&case, &ssn("123456789"), &ctx),
        Err(IwoError::NcpNotOnCase)
    );
    // Before the order's obligations start there is nothing to withhold.
    let mut early = ctx.clone();
    early.document_date = date!(2024 - 01 - 01);
    assert_eq!(
        iwo_from_case(&case, &ssn("234567890"), &early),
        Err(IwoError::NoActiveOrder)
    );
    // Seven children do not fit one e-IWO.
    let mut big = case.clone();
    let child = big
        .participants_in(ParticipantRole::Child)
        .next()
        .unwrap()
        .clone();
    for i in 0..6 {
        let mut c = child.clone();
        c.person.person_id = ivd_model::PersonId::parse(&format!("EXTRA{i}")).unwrap();
        big.participants.push(c);
    }
    assert_eq!(
        iwo_from_case(&big, &ssn("234567890"), &ctx),
        Err(IwoError::TooManyChildren { count: 7 })
    );
    // A lump-sum IWO needs the amount.
    let lum = context(DocumentAction::LumpSum, "TRK000000104");
    assert_eq!(
        iwo_from_case(&case, &ssn("234567890"), &lum),
        Err(IwoError::MissingLumpSum)
    );
    // A termination carries no amounts.
    let trm = context(DocumentAction::Termination, "TRK000000105");
    let iwo = iwo_from_case(&case, &ssn("234567890"), &trm).unwrap();
    assert_eq!(iwo.amounts.total, None);
    // Error text never carries the SSN.
    assert!(!IwoError::NcpNotOnCase.to_string().contains("234567890"));
}

#[test]
fn employer_rejects_an_iwo_n_no_longer_employed() {
    let file = read_acknowledgments(&sample("ack-accepts-and-rejects.txt"));
    assert!(file.is_envelope_valid());
    let gone = file
        .acknowledgments
        .iter()
        .find(|a| a.disposition.reason == Some(DispositionReason::NoLongerEmployed))
        .expect("the rejection");
    assert_eq!(gone.record, 4);
    assert_eq!(gone.case_id.as_str(), "MN0000000002");
    assert_eq!(gone.tracking_number, "TRK000000002");
    assert_eq!(gone.disposition.status, DispositionStatus::Rejected);
    assert_eq!(gone.termination_date, Some(date!(2025 - 01 - 31)));
    assert_eq!(gone.final_payment_amount, Some(Money::from_cents(21_550)));
    assert_eq!(
        gone.new_employer.as_ref().unwrap().name,
        "EXAMPLE LOGISTICS LLC"
    );
    assert_eq!(gone.ncp_address.as_ref().unwrap().city.expose(), "DULUTH");
}

#[test]
fn employer_accepts_and_reports_another_state_and_a_termination() {
    let file = read_acknowledgments(&sample("ack-accepts-and-rejects.txt"));
    let a = &file.acknowledgments;
    assert_eq!(a[0].disposition, Disposition::ACCEPTED);
    assert_eq!(
        a[2].disposition.reason,
        Some(DispositionReason::MultipleStates)
    );
    assert_eq!(a[2].multi_iwo_state.as_ref().unwrap().as_str(), "WI");
    assert_eq!(a[3].action, AckAction::EmployerInitiated);
    assert_eq!(a[3].disposition.status, DispositionStatus::Terminated);
}

#[test]
fn an_envelope_with_a_wrong_record_count_is_reported_with_rct() {
    let good = sample("ack-accepts-and-rejects.txt");
    // The batch trailer (line 7) says 5 records; the batch has 4.
    let bad = with_line(&good, 7, |l| {
        l[range(&layout::TRAILER, "RECORD_COUNT")].copy_from_slice(b"00005")
    });
    let file = read_acknowledgments(&bad);
    assert_eq!(codes(&file.envelope_errors), ["RCT"]);
    assert_eq!(file.envelope_errors[0].record, Some(7));
    assert_eq!(file.envelope_errors[0].field, "RECORD_COUNT");
    assert_eq!(file.envelope_errors[0].code, RCT);
    // The records themselves are still checked and reported.
    assert_eq!(file.acknowledgments.len(), 4);
    // The file trailer's count too.
    let bad = with_line(&good, 8, |l| {
        l[range(&layout::TRAILER, "RECORD_COUNT")].copy_from_slice(b"00003")
    });
    assert_eq!(codes(&read_acknowledgments(&bad).envelope_errors), ["RCT"]);
    // And its batch count.
    let bad = with_line(&good, 8, |l| {
        l[range(&layout::TRAILER, "BATCH_COUNT")].copy_from_slice(b"00002")
    });
    assert_eq!(read_acknowledgments(&bad).envelope_errors[0].code, BCT);
}

#[test]
fn broken_envelopes_get_the_portal_codes() {
    let good = sample("ack-accepts-and-rejects.txt");
    // An IWO file header on an acknowledgment file.
    let bad = with_line(&good, 1, |l| l[2] = b'I');
    let errors = read_acknowledgments(&bad).envelope_errors;
    assert!(codes(&errors).contains(&"DOC"), "{errors:?}");
    assert_eq!(errors[0].code, DOC);
    // A trailer whose control number is not its header's.
    let bad = with_line(&good, 7, |l| l[24] = b'9');
    assert_eq!(codes(&read_acknowledgments(&bad).envelope_errors), ["CNM"]);
    assert_eq!(read_acknowledgments(&bad).envelope_errors[0].code, CNM);
    // No file trailer.
    let lines: Vec<&[u8]> = good
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .collect();
    let mut cut = lines[..7].join(&b'\n');
    cut.push(b'\n');
    let errors = read_acknowledgments(&cut).envelope_errors;
    assert_eq!(codes(&errors), ["REC"]);
    assert_eq!(errors[0].code, REC);
    // A bad creation date and time.
    let bad = with_line(&good, 1, |l| {
        l[range(&layout::HEADER, "CREATION_DATE")].copy_from_slice(b"13401340");
        l[range(&layout::HEADER, "CREATION_TIME")].copy_from_slice(b"256100");
    });
    assert_eq!(
        codes(&read_acknowledgments(&bad).envelope_errors),
        ["CDT", "CTM"]
    );
    // An empty file.
    assert_eq!(codes(&read_acknowledgments(b"").envelope_errors), ["REC"]);
    // Records of an ack file in an IWO file.
    assert!(
        read_iwo_file(&good)
            .envelope_errors
            .iter()
            .any(|e| e.code == DOC)
    );
    // The check contract puts whole-file errors on the last line.
    let v: Vec<_> = acknowledgment_verdicts(&cut).collect();
    assert_eq!(v.len(), 7);
    assert_eq!(v[6].errors[0].code, REC);
}

/// The §1.4 table, row by row: which reasons each status allows when answering an IWO.
#[test]
fn every_disposition_combination_of_the_table_is_accepted_or_refused_as_it_says() {
    use DispositionReason as R;
    use DispositionStatus as S;
    let allowed_with_a = [
        None,
        Some(R::NameMismatch),
        Some(R::EmployeeSuspended),
        Some(R::WrongFein),
    ];
    let allowed_with_r = [
        R::NameMismatch,
        R::EmployeeSuspended,
        R::WrongFein,
        R::Duplicate,
        R::MultipleStates,
        R::NoLongerEmployed,
        R::Other,
        R::NotKnown,
        R::CannotProcess,
        R::NoCurrentIwo,
    ];
    let reasons: Vec<Option<R>> = std::iter::once(None)
        .chain(R::ALL.iter().copied().map(Some))
        .collect();
    for &action in AckAction::ALL {
        for &status in S::ALL {
            for &reason in &reasons {
                let expected = match (action, status) {
                    (
                        AckAction::EmployerInitiated,
                        S::LumpSumNotice | S::Suspended | S::Terminated,
                    ) => true,
                    (AckAction::EmployerInitiated, _) => false,
                    (_, S::Accepted) => allowed_with_a.contains(&reason),
                    (_, S::Rejected) => reason.is_some_and(|r| allowed_with_r.contains(&r)),
                    (_, _) => false,
                };
                let d = Disposition { status, reason };
                assert_eq!(
                    d.check(action).is_ok(),
                    expected,
                    "{action} {status} {reason:?}"
                );
                // And the same verdict when the employer's file says it.
                let mut ack = answer("MN0000000001", "TRK000000001", d);
                ack.action = action;
                ack.termination_date = Some(date!(2025 - 01 - 31));
                ack.lump_sum_date = Some(date!(2025 - 01 - 31));
                ack.lump_sum_amount = Some(Money::from_cents(100));
                ack.multi_iwo_state = Some(ivd_model::StateCode::parse("WI").unwrap());
                let written = ack.to_record();
                assert_eq!(written.is_ok(), expected, "{action} {status} {reason:?}");
                if !expected {
                    assert_eq!(written.unwrap_err().code, INVALID_COMBINATION);
                    // Force the bytes, as a careless employer would, and read them.
                    let mut ok = ack.clone();
                    ok.disposition = if action == AckAction::EmployerInitiated {
                        Disposition {
                            status: S::Terminated,
                            reason: None,
                        }
                    } else {
                        Disposition::ACCEPTED
                    };
                    let mut bytes = ok.to_record().unwrap();
                    let f = ivd_eiwo::layout::ACK
                        .field("DISPOSITION_STATUS_CODE")
                        .unwrap();
                    bytes[f.start - 1] = status.code().as_bytes()[0];
                    let r = ivd_eiwo::layout::ACK
                        .field("DISPOSITION_REASON_CODE")
                        .unwrap();
                    bytes[r.start - 1] = reason.map_or(b' ', |r| r.code().as_bytes()[0]);
                    let errors = ivd_eiwo::Acknowledgment::from_record(1, &bytes).unwrap_err();
                    assert_eq!(
                        codes(&errors),
                        ["INVALID_COMBINATION"],
                        "{action} {status} {reason:?}"
                    );
                }
            }
        }
    }
}

#[test]
fn no_display_debug_or_error_text_contains_an_ssn_or_a_name() {
    let secrets = [
        "123456789",
        "234567890",
        "234566789",
        "ALEX",
        "EXAMPLE",
        "SAMPLE",
        "TAYLOR",
        "JORDAN",
        "DULUTH",
        "1 SAMPLE ST",
        "2185550199",
    ];
    let check = |text: String| {
        for s in secrets {
            assert!(!text.contains(s), "{s} leaked into: {text}");
        }
    };
    let batches = iwo_batches();
    check(format!("{:?}", batches[0].iwos[0].employee));
    check(format!("{:?}", batches[0].iwos[0].children));
    check(format!("{:?}", batches[0].iwos[0].obligee));
    let file = read_acknowledgments(&sample("ack-accepts-and-rejects.txt"));
    for a in &file.acknowledgments {
        check(format!("{:?}", a.employee_name));
        check(format!("{:?}", a.employee_ssn));
        check(format!("{:?}", a.ncp_address));
        check(format!("{:?}", a.ncp_phone));
    }
    // Errors of a bad file: verdicts, envelope errors, write errors.
    for v in acknowledgment_verdicts(&sample("ack-bad-record.txt")) {
        check(v.to_json_line());
        for e in &v.errors {
            check(format!("{e} {e:?}"));
        }
    }
    let mut too_long = batches.clone();
    too_long[0].iwos[0].employee.name = name("ALEX", None, "EXAMPLEEXAMPLEEXAMPLEEXAMPLE", None);
    let e = write_iwo_file(&iwo_header(), &too_long).unwrap_err();
    assert_eq!(e.code, ErrorCode::TOO_LONG);
    assert_eq!((e.batch, e.record), (Some(1), Some(1)));
    check(format!("{e} {e:?}"));
    let mut wrong = ack_batches();
    wrong[0].acknowledgments[0].disposition =
        Disposition::rejected(DispositionReason::NoLongerEmployed);
    wrong[0].acknowledgments[0].disposition.status = DispositionStatus::LumpSumNotice;
    let e = write_acknowledgments(&ack_header(), &wrong).unwrap_err();
    check(format!("{e} {e:?}"));
    for e in [
        IwoError::NcpNotOnCase,
        IwoError::NameDoesNotFit { who: "child" },
    ] {
        check(format!("{e} {e:?}"));
    }
}

#[test]
fn the_writer_refuses_bad_control_numbers_and_strangers_in_a_batch() {
    let mut header = iwo_header();
    header.control_number = "SHORT".into();
    assert_eq!(
        write_iwo_file(&header, &iwo_batches()).unwrap_err().code,
        CNM
    );
    let mut batches = iwo_batches();
    batches[1].control_number = batches[0].control_number.clone();
    assert_eq!(
        write_iwo_file(&iwo_header(), &batches).unwrap_err().code,
        CNM
    );
    let mut batches = iwo_batches();
    batches[1].iwos[0].employer.fein = fein(EMPLOYER_FEIN);
    let e = write_iwo_file(&iwo_header(), &batches).unwrap_err();
    assert_eq!(
        (e.code.as_str(), e.batch, e.record),
        ("EIN", Some(2), Some(1))
    );
    let mut header = iwo_header();
    header.state_fips = None;
    assert_eq!(
        write_iwo_file(&header, &iwo_batches())
            .unwrap_err()
            .code
            .as_str(),
        "FPS"
    );
}

#[test]
fn an_employer_reads_a_damaged_iwo_file_record_by_record() {
    let good = sample("iwo-file.txt");
    // Line 3 gets an unknown action code, line 4 an SSN with area 000.
    let bad = with_line(&good, 3, |l| {
        l[range(&layout::DTL, "DOCUMENT_ACTION_CODE")].copy_from_slice(b"XXX")
    });
    let bad = with_line(&bad, 4, |l| {
        l[range(&layout::DTL, "EMPLOYEE_SSN")].copy_from_slice(b"000123456")
    });
    let file = read_iwo_file(&bad);
    assert_eq!(file.envelope_errors, vec![]);
    let invalid: Vec<(u64, &str)> = file
        .verdicts
        .iter()
        .filter(|v| !v.is_valid())
        .map(|v| (v.record, v.errors[0].code.as_str()))
        .collect();
    assert_eq!(invalid, [(3, "INVALID_CODE"), (4, "INVALID_ID")]);
    assert_eq!(file.iwos().count(), 1);
}
