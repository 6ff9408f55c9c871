//! Synthetic fixtures shared by the tests (never a real person, employer or agency).
#![allow(dead_code)]

use ivd_eiwo::{
    AckAction, AckBatch, Acknowledgment, Deductions, Disposition, DispositionReason,
    DispositionStatus, DocumentAction, FileHeaderInfo, Frequency, IssuingOfficial, Iwo, IwoBatch,
    IwoChild, IwoContext, IwoEmployee, IwoEmployer, NcpAddress, NewEmployer, Periodic,
    PostalAddress, Remittance, StateContact, SupportAmounts, WithholdingTerms,
};
use ivd_model::{
    BirthDate, CaseId, Fein, Fips, Money, PersonName, PersonalText, Phone, Ssn, StateCode,
    StateFips, ZipCode,
};
use time::macros::{date, datetime};

pub const EMPLOYER_FEIN: &str = "411234567";
pub const OTHER_FEIN: &str = "419876543";

pub fn sample(name: &str) -> Vec<u8> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("samples")
        .join(name);
    std::fs::read(path).expect("sample")
}

pub fn fein(s: &str) -> Fein {
    Fein::parse(s).unwrap()
}

pub fn name(first: &str, middle: Option<&str>, last: &str, suffix: Option<&str>) -> PersonName {
    PersonName::new(first, middle, last, suffix).unwrap()
}

pub fn employer(fein_text: &str) -> IwoEmployer {
    IwoEmployer {
        name: "EXAMPLE WIDGETS INC".into(),
        address: PostalAddress {
            line1: "100 EXAMPLE PKWY".into(),
            line2: "PAYROLL DEPT".into(),
            city: "SAINT PAUL".into(),
            state: "MN".into(),
            zip5: "55101".into(),
            zip4: "0001".into(),
        },
        fein: fein(fein_text),
    }
}

pub fn sdu() -> Remittance {
    Remittance {
        payee_name: "EXAMPLE STATE DISBURSEMENT UNIT".into(),
        payee_address: PostalAddress {
            line1: "PO BOX 00001".into(),
            line2: String::new(),
            city: "SAINT PAUL".into(),
            state: "MN".into(),
            zip5: "55100".into(),
            zip4: String::new(),
        },
        fips: Fips::parse("2700000").unwrap(),
        remittance_id: "MN0000000001".into(),
    }
}

pub fn terms() -> WithholdingTerms {
    WithholdingTerms {
        state_tribe_territory: "MINNESOTA".into(),
        begin_within_days: 14,
        start_instructions: "RECEIPT".into(),
        start_date: None,
        send_payment_within_days: 7,
        ccpa_percent: 50,
        send_employee_copy: true,
        penalty_liability: "EMPLOYERS WHO FAIL TO WITHHOLD ARE LIABLE FOR THE AMOUNT".into(),
        antidiscrimination: "DO NOT DISCHARGE OR DISCIPLINE AN EMPLOYEE FOR THIS ORDER".into(),
        specific_payee_limit: String::new(),
    }
}

pub fn contact(office: &str) -> StateContact {
    StateContact {
        name: office.into(),
        phone: "6515550100".into(),
        fax: String::new(),
        email: "support@example.gov".into(),
    }
}

pub fn context(action: DocumentAction, tracking: &str) -> IwoContext {
    IwoContext {
        action,
        document_date: date!(2025 - 03 - 01),
        tracking_number: tracking.into(),
        order: None,
        issuing_state: "MINNESOTA".into(),
        issuing_jurisdiction: "EXAMPLE COUNTY".into(),
        issuing_tribunal: "EXAMPLE COUNTY DISTRICT COURT".into(),
        employer: employer(EMPLOYER_FEIN),
        remittance: sdu(),
        terms: terms(),
        arrears_over_12_weeks: false,
        official: IssuingOfficial {
            name: "EXAMPLE OFFICIAL".into(),
            title: "CHILD SUPPORT OFFICER".into(),
        },
        employee_contact: contact("EXAMPLE COUNTY CHILD SUPPORT"),
        employer_contact: contact("EXAMPLE EMPLOYER SERVICES"),
        employer_contact_address: PostalAddress {
            line1: "1 EXAMPLE PLAZA".into(),
            line2: String::new(),
            city: "SAINT PAUL".into(),
            state: "MN".into(),
            zip5: "55102".into(),
            zip4: String::new(),
        },
        lump_sum: None,
    }
}

fn per(cents: i64, per: Frequency) -> Option<Periodic> {
    Some(Periodic {
        amount: Money::from_cents(cents),
        per,
    })
}

/// A complete synthetic IWO.
pub fn iwo(action: DocumentAction, case: &str, ssn: &str, tracking: &str, fein_text: &str) -> Iwo {
    let ctx = context(action, tracking);
    Iwo {
        action,
        document_date: ctx.document_date,
        issuing_state: ctx.issuing_state,
        issuing_jurisdiction: ctx.issuing_jurisdiction,
        issuing_tribunal: ctx.issuing_tribunal,
        case_id: CaseId::parse(case).unwrap(),
        order_id: "ORD-0".into(),
        tracking_number: tracking.into(),
        employer: employer(fein_text),
        employee: IwoEmployee {
            name: name("ALEX", Some("Q"), "EXAMPLE", Some("JR")),
            ssn: Ssn::parse(ssn).unwrap(),
            birth_date: Some(BirthDate::from_date(date!(1985 - 06 - 15))),
        },
        obligee: Some(name("SAM", None, "SAMPLE", None)),
        amounts: SupportAmounts {
            current_child: per(50_000, Frequency::Monthly),
            past_due_child: per(10_000, Frequency::Monthly),
            current_medical: per(5_000, Frequency::Monthly),
            total: per(65_000, Frequency::Monthly),
            arrears_over_12_weeks: true,
            ..SupportAmounts::default()
        },
        deductions: Deductions {
            weekly: Money::from_cents(15_000),
            biweekly: Money::from_cents(30_000),
            semimonthly: Money::from_cents(32_500),
            monthly: Money::from_cents(65_000),
        },
        lump_sum: None,
        terms: ctx.terms,
        remittance: ctx.remittance,
        official: ctx.official,
        employee_contact: ctx.employee_contact,
        employer_contact: ctx.employer_contact,
        employer_contact_address: ctx.employer_contact_address,
        children: vec![
            IwoChild {
                name: name("TAYLOR", None, "EXAMPLE", None),
                birth_date: Some(BirthDate::from_date(date!(2015 - 01 - 20))),
            },
            IwoChild {
                name: name("JORDAN", Some("R"), "EXAMPLE", None),
                birth_date: None,
            },
        ],
    }
}

pub fn iwo_header() -> FileHeaderInfo {
    FileHeaderInfo {
        control_number: "27IWO00000000000000001".into(),
        state_fips: Some(StateFips::parse("27").unwrap()),
        ein: fein(EMPLOYER_FEIN),
        primary_ein: None,
        created: datetime!(2025-03-01 08:30:00),
    }
}

pub fn iwo_batches() -> Vec<IwoBatch> {
    let lump = {
        let mut i = iwo(
            DocumentAction::LumpSum,
            "MN0000000003",
            "345678901",
            "TRK000000003",
            OTHER_FEIN,
        );
        i.lump_sum = Some(Money::from_cents(125_000));
        i
    };
    vec![
        IwoBatch {
            control_number: "27IWB00000000000000001".into(),
            fein: fein(EMPLOYER_FEIN),
            iwos: vec![
                iwo(
                    DocumentAction::Original,
                    "MN0000000001",
                    "123456789",
                    "TRK000000001",
                    EMPLOYER_FEIN,
                ),
                iwo(
                    DocumentAction::Amended,
                    "MN0000000002",
                    "234567890",
                    "TRK000000002",
                    EMPLOYER_FEIN,
                ),
            ],
        },
        IwoBatch {
            control_number: "27IWB00000000000000002".into(),
            fein: fein(OTHER_FEIN),
            iwos: vec![lump],
        },
    ]
}

pub fn ack_header() -> FileHeaderInfo {
    FileHeaderInfo {
        control_number: "27ACK00000000000000001".into(),
        state_fips: Some(StateFips::parse("27").unwrap()),
        ein: fein(EMPLOYER_FEIN),
        primary_ein: None,
        created: datetime!(2025-03-05 16:45:10),
    }
}

pub fn answer(case: &str, tracking: &str, disposition: Disposition) -> Acknowledgment {
    Acknowledgment::answer(
        AckAction::Original,
        CaseId::parse(case).unwrap(),
        fein(EMPLOYER_FEIN),
        tracking,
        disposition,
    )
}

/// Accepts and rejects, and one employer-initiated termination.
pub fn acks() -> Vec<Acknowledgment> {
    let mut accepted = answer("MN0000000001", "TRK000000001", Disposition::ACCEPTED);
    accepted.employee_name = Some(name("ALEX", Some("Q"), "EXAMPLE", Some("JR")));
    accepted.employee_ssn = Some(Ssn::parse("123456789").unwrap());
    accepted.order_id = "ORD-0".into();

    let mut gone = answer(
        "MN0000000002",
        "TRK000000002",
        Disposition::rejected(DispositionReason::NoLongerEmployed),
    );
    gone.employee_ssn = Some(Ssn::parse("234566789").unwrap());
    gone.termination_date = Some(date!(2025 - 01 - 31));
    gone.final_payment_date = Some(date!(2025 - 01 - 31));
    gone.final_payment_amount = Some(Money::from_cents(21_550));
    gone.ncp_address = Some(NcpAddress {
        line1: PersonalText::parse("1 SAMPLE ST").unwrap(),
        line2: None,
        city: PersonalText::parse("DULUTH").unwrap(),
        state: StateCode::parse("MN").unwrap(),
        zip: ZipCode::parse("55802").unwrap(),
    });
    gone.ncp_phone = Some(Phone::parse("2185550199").unwrap());
    gone.new_employer = Some(NewEmployer {
        name: "EXAMPLE LOGISTICS LLC".into(),
        address: PostalAddress {
            line1: "9 EXAMPLE RD".into(),
            city: "FARGO".into(),
            state: "ND".into(),
            zip5: "58102".into(),
            ..PostalAddress::default()
        },
    });

    let mut multi = answer(
        "MN0000000004",
        "TRK000000004",
        Disposition::rejected(DispositionReason::MultipleStates),
    );
    multi.multi_iwo_state = Some(StateCode::parse("WI").unwrap());

    let mut terminated = Acknowledgment::answer(
        AckAction::EmployerInitiated,
        CaseId::parse("MN0000000005").unwrap(),
        fein(EMPLOYER_FEIN),
        "",
        Disposition {
            status: DispositionStatus::Terminated,
            reason: None,
        },
    );
    terminated.termination_date = Some(date!(2025 - 02 - 28));
    vec![accepted, gone, multi, terminated]
}

pub fn ack_batches() -> Vec<AckBatch> {
    vec![AckBatch {
        control_number: "27ACB00000000000000001".into(),
        fein: fein(EMPLOYER_FEIN),
        acknowledgments: acks(),
    }]
}
