//! One income withholding order: the `DTL` record (Chart D-3) as typed values.
//!
//! [`Iwo::to_record`] and [`Iwo::from_record`] use the one [`crate::layout::DTL`] table.
//! Values that do not fit their field are errors, never truncated: an IWO is a legal
//! order, and a silently shortened name or amount would be a different order.
//!
//! Personal data (the employee's name, SSN and birth date, the obligee's and children's
//! names) is held in the model's masking newtypes, so `Debug` of an [`Iwo`] shows none of
//! it. The obligee appears by **name only**: the layout has no field for where the
//! custodial party lives, and this type has none either (spec §1.3, §3.3 rule 3).

use ivd_fixed::{ErrorCode, FieldError};
use ivd_model::{BirthDate, CaseId, Fein, Fips, Money, PersonName, Ssn};
use time::Date;

use crate::codes::record::{INVALID_CODE, INVALID_ID, MISSING};
use crate::codes::{DocumentAction, Frequency};
use crate::fields::{FieldReader, FieldWriter, IdFields, WriteError};
use crate::layout::DTL;

/// The most children one `DTL` record names (Child1..Child6, §1.3).
pub const MAX_CHILDREN: usize = 6;

/// A postal address of an organisation (employer, SDU, state office). Not personal data:
/// a person's address never goes on an IWO.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PostalAddress {
    /// Line 1 (25).
    pub line1: String,
    /// Line 2 (25).
    pub line2: String,
    /// City (22).
    pub city: String,
    /// USPS state code (2).
    pub state: String,
    /// ZIP (5).
    pub zip5: String,
    /// ZIP+4 extension (4).
    pub zip4: String,
}

/// The employer the IWO is sent to (form boxes 2a–2c).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IwoEmployer {
    /// Employer name (57).
    pub name: String,
    /// Employer address.
    pub address: PostalAddress,
    /// Employer FEIN.
    pub fein: Fein,
}

/// The employee (obligor), form boxes 3a–3b.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IwoEmployee {
    /// Name (last 20, first 15, middle 15, suffix 4).
    pub name: PersonName,
    /// SSN.
    pub ssn: Ssn,
    /// Date of birth, when known.
    pub birth_date: Option<BirthDate>,
}

/// A child named on the IWO (boxes 3d–3o).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IwoChild {
    /// Name.
    pub name: PersonName,
    /// Date of birth, when known.
    pub birth_date: Option<BirthDate>,
}

/// An amount "per" a period (e.g. $125.00 per week).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Periodic {
    /// The amount; not negative, at most 11 digits of cents.
    pub amount: Money,
    /// The period.
    pub per: Frequency,
}

/// The order's amounts (boxes 5–12). `None` is an empty line of the form (written as a
/// zero amount and a blank frequency).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SupportAmounts {
    /// 5a/5b current child support.
    pub current_child: Option<Periodic>,
    /// 6a/6b past-due child support.
    pub past_due_child: Option<Periodic>,
    /// 7a/7b current cash medical support.
    pub current_medical: Option<Periodic>,
    /// 8a/8b past-due cash medical support.
    pub past_due_medical: Option<Periodic>,
    /// 9a/9b current spousal support.
    pub current_spousal: Option<Periodic>,
    /// 10a/10b past-due spousal support.
    pub past_due_spousal: Option<Periodic>,
    /// 11a/11b other.
    pub other: Option<Periodic>,
    /// 11c what "other" is (35).
    pub other_description: String,
    /// 12a/12b total.
    pub total: Option<Periodic>,
    /// 6c: are arrears greater than 12 weeks? (`Y`/`N`; raises the CCPA limit by 5 points).
    pub arrears_over_12_weeks: bool,
}

/// Amounts to withhold per pay frequency (boxes 13a–13d).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Deductions {
    /// Per weekly pay period.
    pub weekly: Money,
    /// Per biweekly pay period.
    pub biweekly: Money,
    /// Per semimonthly pay period.
    pub semimonthly: Money,
    /// Per monthly pay period.
    pub monthly: Money,
}

/// Withholding terms and notices of the form.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WithholdingTerms {
    /// The state/Tribe/territory whose law the terms follow (35).
    pub state_tribe_territory: String,
    /// Begin withholding no later than the first pay period after this many days (2 digits).
    pub begin_within_days: u8,
    /// Start instructions (8; Kansas writes `RECEIPT`: start on receipt of the order).
    pub start_instructions: String,
    /// Income withholding start date, when the order names one.
    pub start_date: Option<Date>,
    /// Send payment within this many business days of the pay date (2 digits).
    pub send_payment_within_days: u8,
    /// CCPA percentage of disposable income to withhold when support cannot be paid in
    /// full (50, 55, 60 or 65 by federal law; 2 digits).
    pub ccpa_percent: u8,
    /// Whether the employer must give the employee a copy.
    pub send_employee_copy: bool,
    /// Penalty and liability text (160).
    pub penalty_liability: String,
    /// Anti-discrimination text (160).
    pub antidiscrimination: String,
    /// Withholding limits specific to the payee (160).
    pub specific_payee_limit: String,
}

/// Where the employer sends the money: the SDU or Tribal payee (never the custodial party,
/// §1.5 "must be rejected").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Remittance {
    /// Payee name (57).
    pub payee_name: String,
    /// Payee address.
    pub payee_address: PostalAddress,
    /// The SDU / Tribal payee locator (FIPS) code.
    pub fips: Fips,
    /// The remittance id that must go with every payment (20).
    pub remittance_id: String,
}

/// The official who issues the IWO.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IssuingOfficial {
    /// Name (70).
    pub name: String,
    /// Title (50).
    pub title: String,
}

/// A contact at the issuing agency (not a party to the case).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StateContact {
    /// Name or office (57).
    pub name: String,
    /// Phone, 10 digits or empty.
    pub phone: String,
    /// Fax, 10 digits or empty.
    pub fax: String,
    /// Email or web address (48).
    pub email: String,
}

/// One income withholding order: a `DTL` record.
///
/// `Debug` masks the personal data (names, SSN, birth dates are model newtypes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Iwo {
    /// Original, amended, termination or lump sum.
    pub action: DocumentAction,
    /// Document date (form 1e).
    pub document_date: Date,
    /// Issuing state/Tribe/territory name (35).
    pub issuing_state: String,
    /// Issuing jurisdiction: city, county, district or Tribe (35).
    pub issuing_jurisdiction: String,
    /// Issuing tribunal of the support order (form box 4, 35).
    pub issuing_tribunal: String,
    /// IV-D case id as reported to the FCR.
    pub case_id: CaseId,
    /// Order identifier (30).
    pub order_id: String,
    /// Document tracking number (up to 30): how the employer's acknowledgment finds this IWO.
    pub tracking_number: String,
    /// The employer.
    pub employer: IwoEmployer,
    /// The employee (obligor).
    pub employee: IwoEmployee,
    /// The custodial party (obligee), by name only.
    pub obligee: Option<PersonName>,
    /// Amounts of the order.
    pub amounts: SupportAmounts,
    /// Amounts per pay frequency.
    pub deductions: Deductions,
    /// Lump sum to withhold (form box 14), for `LUM`.
    pub lump_sum: Option<Money>,
    /// Terms and notices.
    pub terms: WithholdingTerms,
    /// Where to pay.
    pub remittance: Remittance,
    /// Who issues it.
    pub official: IssuingOfficial,
    /// The agency contact for the employee.
    pub employee_contact: StateContact,
    /// The agency contact for the employer.
    pub employer_contact: StateContact,
    /// The employer contact's address.
    pub employer_contact_address: PostalAddress,
    /// Children of the order, at most [`MAX_CHILDREN`].
    pub children: Vec<IwoChild>,
}

/// `(amount field, frequency field)` of each [`SupportAmounts`] line, in layout order.
const AMOUNT_FIELDS: [(&str, &str); 8] = [
    (
        "SUPPORT_CURRENT_CHILD_AMOUNT",
        "SUPPORT_CURRENT_CHILD_FREQUENCY",
    ),
    (
        "SUPPORT_PAST_DUE_CHILD_AMOUNT",
        "SUPPORT_PAST_DUE_CHILD_FREQUENCY",
    ),
    (
        "SUPPORT_CURRENT_MEDICAL_AMOUNT",
        "SUPPORT_CURRENT_MEDICAL_FREQUENCY",
    ),
    (
        "SUPPORT_PAST_DUE_MEDICAL_AMOUNT",
        "SUPPORT_PAST_DUE_MEDICAL_FREQUENCY",
    ),
    (
        "SUPPORT_CURRENT_SPOUSAL_AMOUNT",
        "SUPPORT_CURRENT_SPOUSAL_FREQUENCY",
    ),
    (
        "SUPPORT_PAST_DUE_SPOUSAL_AMOUNT",
        "SUPPORT_PAST_DUE_SPOUSAL_FREQUENCY",
    ),
    ("OBLIGATION_OTHER_AMOUNT", "OBLIGATION_OTHER_FREQUENCY"),
    ("OBLIGATION_TOTAL_AMOUNT", "OBLIGATION_TOTAL_FREQUENCY"),
];

/// Name fields `(last, first, middle, suffix)`.
type NameFields = [&'static str; 4];

const EMPLOYEE_NAME: NameFields = [
    "EMPLOYEE_LAST_NAME",
    "EMPLOYEE_FIRST_NAME",
    "EMPLOYEE_MIDDLE_NAME",
    "EMPLOYEE_SUFFIX",
];
const OBLIGEE_NAME: NameFields = [
    "OBLIGEE_LAST_NAME",
    "OBLIGEE_FIRST_NAME",
    "OBLIGEE_MIDDLE_NAME",
    "OBLIGEE_SUFFIX",
];
/// Child name fields and birth date field.
const CHILD_FIELDS: [(NameFields, &str); MAX_CHILDREN] = [
    (
        [
            "CHILD1_LAST_NAME",
            "CHILD1_FIRST_NAME",
            "CHILD1_MIDDLE_NAME",
            "CHILD1_SUFFIX",
        ],
        "CHILD1_BIRTH_DATE",
    ),
    (
        [
            "CHILD2_LAST_NAME",
            "CHILD2_FIRST_NAME",
            "CHILD2_MIDDLE_NAME",
            "CHILD2_SUFFIX",
        ],
        "CHILD2_BIRTH_DATE",
    ),
    (
        [
            "CHILD3_LAST_NAME",
            "CHILD3_FIRST_NAME",
            "CHILD3_MIDDLE_NAME",
            "CHILD3_SUFFIX",
        ],
        "CHILD3_BIRTH_DATE",
    ),
    (
        [
            "CHILD4_LAST_NAME",
            "CHILD4_FIRST_NAME",
            "CHILD4_MIDDLE_NAME",
            "CHILD4_SUFFIX",
        ],
        "CHILD4_BIRTH_DATE",
    ),
    (
        [
            "CHILD5_LAST_NAME",
            "CHILD5_FIRST_NAME",
            "CHILD5_MIDDLE_NAME",
            "CHILD5_SUFFIX",
        ],
        "CHILD5_BIRTH_DATE",
    ),
    (
        [
            "CHILD6_LAST_NAME",
            "CHILD6_FIRST_NAME",
            "CHILD6_MIDDLE_NAME",
            "CHILD6_SUFFIX",
        ],
        "CHILD6_BIRTH_DATE",
    ),
];

/// Address fields `(line1, line2, city, state, zip, zip ext)`.
type AddressFields = [&'static str; 6];

const EMPLOYER_ADDRESS: AddressFields = [
    "EMPLOYER_ADDRESS_LINE_1",
    "EMPLOYER_ADDRESS_LINE_2",
    "EMPLOYER_ADDRESS_CITY_NAME",
    "EMPLOYER_ADDRESS_STATE_CODE",
    "EMPLOYER_ADDRESS_ZIP_CODE",
    "EMPLOYER_ADDRESS_EXT_ZIP_CODE",
];
const PAYEE_ADDRESS: AddressFields = [
    "PAYEE_ADDRESS_LINE_1",
    "PAYEE_ADDRESS_LINE_2",
    "PAYEE_ADDRESS_CITY_NAME",
    "PAYEE_ADDRESS_STATE_CODE",
    "PAYEE_ADDRESS_ZIP_CODE",
    "PAYEE_ADDRESS_EXT_ZIP_CODE",
];
const EMPLOYER_CONTACT_ADDRESS: AddressFields = [
    "EMPLOYER_CONTACT_ADDRESS_LINE_1",
    "EMPLOYER_CONTACT_ADDRESS_LINE_2",
    "EMPLOYER_CONTACT_ADDRESS_CITY_NAME",
    "EMPLOYER_CONTACT_ADDRESS_STATE_CODE",
    "EMPLOYER_CONTACT_ADDRESS_ZIP_CODE",
    "EMPLOYER_CONTACT_ADDRESS_EXT_ZIP_CODE",
];

/// Contact fields `(name, phone, fax, email)`.
type ContactFields = [&'static str; 4];

const EMPLOYEE_CONTACT: ContactFields = [
    "EMPLOYEE_STATE_CONTACT_NAME",
    "EMPLOYEE_STATE_CONTACT_PHONE",
    "EMPLOYEE_STATE_CONTACT_FAX",
    "EMPLOYEE_STATE_CONTACT_EMAIL",
];
const EMPLOYER_CONTACT: ContactFields = [
    "EMPLOYER_CONTACT_NAME",
    "EMPLOYER_CONTACT_PHONE",
    "EMPLOYER_CONTACT_FAX",
    "EMPLOYER_CONTACT_EMAIL",
];

pub(crate) fn write_name(w: &mut FieldWriter<'_>, f: NameFields, name: Option<&PersonName>) {
    let parts = name.map(PersonName::expose);
    w.text(f[0], parts.map_or("", |p| p.last))
        .text(f[1], parts.map_or("", |p| p.first))
        .text(f[2], parts.and_then(|p| p.middle).unwrap_or(""))
        .text(f[3], parts.and_then(|p| p.suffix).unwrap_or(""));
}

/// A name, `None` when all four fields are blank.
pub(crate) fn read_name(r: &mut FieldReader<'_>, f: NameFields) -> Option<PersonName> {
    let (last, first, middle, suffix) = (r.text(f[0]), r.text(f[1]), r.text(f[2]), r.text(f[3]));
    if [last, first, middle, suffix].iter().all(|s| s.is_empty()) {
        return None;
    }
    let opt = |s: &str| Some(s).filter(|s| !s.is_empty()).map(str::to_owned);
    match PersonName::new(first, opt(middle).as_deref(), last, opt(suffix).as_deref()) {
        Ok(n) => Some(n),
        Err(e) => {
            r.fail(f[0], INVALID_ID, format!("{}: {e}", e.code()));
            None
        }
    }
}

pub(crate) fn write_address(w: &mut FieldWriter<'_>, f: AddressFields, a: &PostalAddress) {
    w.text(f[0], &a.line1)
        .text(f[1], &a.line2)
        .text(f[2], &a.city)
        .text(f[3], &a.state)
        .text(f[4], &a.zip5)
        .text(f[5], &a.zip4);
}

pub(crate) fn read_address(r: &mut FieldReader<'_>, f: AddressFields) -> PostalAddress {
    PostalAddress {
        line1: r.string(f[0]),
        line2: r.string(f[1]),
        city: r.string(f[2]),
        state: r.string(f[3]),
        zip5: r.string(f[4]),
        zip4: r.string(f[5]),
    }
}

fn write_contact(w: &mut FieldWriter<'_>, f: ContactFields, c: &StateContact) {
    for (field, value) in [(f[1], &c.phone), (f[2], &c.fax)] {
        if !is_phone(value) {
            w.fail(field, INVALID_ID, "a phone number is 10 digits or blank");
        }
    }
    w.text(f[0], &c.name)
        .text(f[1], &c.phone)
        .text(f[2], &c.fax)
        .text(f[3], &c.email);
}

fn read_contact(r: &mut FieldReader<'_>, f: ContactFields) -> StateContact {
    let c = StateContact {
        name: r.string(f[0]),
        phone: r.string(f[1]),
        fax: r.string(f[2]),
        email: r.string(f[3]),
    };
    for (field, value) in [(f[1], &c.phone), (f[2], &c.fax)] {
        if !is_phone(value) {
            r.fail(field, INVALID_ID, "a phone number is 10 digits or blank");
        }
    }
    c
}

fn is_phone(s: &str) -> bool {
    s.is_empty() || (s.len() == 10 && s.bytes().all(|b| b.is_ascii_digit()))
}

fn yes_no(v: bool) -> &'static str {
    if v { "Y" } else { "N" }
}

/// `Y` → true; `N` or blank → false; anything else is `INVALID_CODE`.
pub(crate) fn read_yes_no(r: &mut FieldReader<'_>, field: &'static str) -> bool {
    match r.text(field) {
        "Y" => true,
        "N" | "" => false,
        _ => {
            r.fail(field, INVALID_CODE, "expected Y or N");
            false
        }
    }
}

fn birth_date(d: Option<&BirthDate>) -> Option<Date> {
    d.map(BirthDate::expose)
}

impl Iwo {
    /// Writes the `DTL` record (without line terminator).
    pub fn to_record(&self) -> Result<Vec<u8>, WriteError> {
        let mut w = FieldWriter::new(&DTL);
        w.text("DOCUMENT_ACTION_CODE", self.action.code())
            .date("DOCUMENT_DATE", Some(self.document_date))
            .text("ISSUING_STATE_TRIBE_TERRITORY_NAME", &self.issuing_state)
            .text("ISSUING_JURISDICTION_NAME", &self.issuing_jurisdiction)
            .text("CASE_IDENTIFIER", self.case_id.as_str())
            .text("EMPLOYER_NAME", &self.employer.name);
        write_address(&mut w, EMPLOYER_ADDRESS, &self.employer.address);
        w.text("EIN", self.employer.fein.expose());
        write_name(&mut w, EMPLOYEE_NAME, Some(&self.employee.name));
        w.text("EMPLOYEE_SSN", self.employee.ssn.expose()).date(
            "EMPLOYEE_BIRTH_DATE",
            birth_date(self.employee.birth_date.as_ref()),
        );
        write_name(&mut w, OBLIGEE_NAME, self.obligee.as_ref());
        w.text("ISSUING_TRIBUNAL_NAME", &self.issuing_tribunal);
        let a = &self.amounts;
        let lines = [
            a.current_child,
            a.past_due_child,
            a.current_medical,
            a.past_due_medical,
            a.current_spousal,
            a.past_due_spousal,
            a.other,
            a.total,
        ];
        for ((amount_field, freq_field), line) in AMOUNT_FIELDS.into_iter().zip(lines) {
            w.amount(amount_field, line.map_or(0, |p| p.amount.cents()))
                .text(freq_field, line.map_or("", |p| p.per.code()));
        }
        let d = &self.deductions;
        w.text("OBLIGATION_OTHER_DESCRIPTION", &a.other_description)
            .text(
                "ARREARS_12_WEEK_OVERDUE_CODE",
                yes_no(a.arrears_over_12_weeks),
            )
            .amount("IWO_DEDUCTION_WEEKLY_AMOUNT", d.weekly.cents())
            .amount("IWO_DEDUCTION_BIWEEKLY_AMOUNT", d.biweekly.cents())
            .amount("IWO_DEDUCTION_SEMIMONTHLY_AMOUNT", d.semimonthly.cents())
            .amount("IWO_DEDUCTION_MONTHLY_AMOUNT", d.monthly.cents());
        let t = &self.terms;
        w.text("STATE_TRIBE_TERRITORY_NAME", &t.state_tribe_territory)
            .number("BEGIN_WITHHOLDING_WITHIN_DAYS", t.begin_within_days.into())
            .text(
                "INCOME_WITHHOLDING_START_INSTRUCTIONS",
                &t.start_instructions,
            )
            .number(
                "SEND_PAYMENT_WITHIN_DAYS",
                t.send_payment_within_days.into(),
            )
            .number("IWO_CCPA_PERCENT_RATE", t.ccpa_percent.into())
            .text("PAYEE_NAME", &self.remittance.payee_name);
        write_address(&mut w, PAYEE_ADDRESS, &self.remittance.payee_address);
        w.text("PAYEE_REMITTANCE_FIPS_CODE", self.remittance.fips.as_str())
            .text("REMITTANCE_IDENTIFIER", &self.remittance.remittance_id)
            .text("GOVERNMENT_OFFICIAL_NAME", &self.official.name)
            .text("ISSUING_OFFICIAL_TITLE", &self.official.title)
            .text("SEND_EMPLOYEE_COPY_INDICATOR", yes_no(t.send_employee_copy))
            .text("PENALTY_LIABILITY_INFO_TEXT", &t.penalty_liability)
            .text("ANTIDISCRIMINATION_PROVISION_TEXT", &t.antidiscrimination)
            .text("SPECIFIC_PAYEE_WITHHOLDING_LIMIT", &t.specific_payee_limit);
        write_contact(&mut w, EMPLOYEE_CONTACT, &self.employee_contact);
        write_contact(&mut w, EMPLOYER_CONTACT, &self.employer_contact);
        write_address(
            &mut w,
            EMPLOYER_CONTACT_ADDRESS,
            &self.employer_contact_address,
        );
        w.text("DOCUMENT_TRACKING_NUMBER", &self.tracking_number)
            .text("ORDER_IDENTIFIER", &self.order_id);
        if self.children.len() > MAX_CHILDREN {
            w.fail(
                "CHILD1_LAST_NAME",
                ErrorCode::OVERFLOW,
                format!("{} children; a record names at most 6", self.children.len()),
            );
        }
        for (child, (names, born)) in self.children.iter().zip(CHILD_FIELDS) {
            write_name(&mut w, names, Some(&child.name));
            w.date(born, birth_date(child.birth_date.as_ref()));
        }
        w.cents_opt("LUMP_SUM_PAYMENT_AMOUNT", self.lump_sum.map(Money::cents))
            .date("INCOME_WITHHOLDING_START_DATE", t.start_date);
        Ok(w.finish()?)
    }

    /// Reads a `DTL` record (without line terminator). Returns every error of the record,
    /// each naming field and position, never a value.
    pub fn from_record(bytes: &[u8]) -> Result<Iwo, Vec<FieldError>> {
        let rec = DTL.read(bytes).map_err(|e| vec![e])?;
        let mut r = FieldReader::new(rec);
        let _ = r.text("DOCUMENT_CODE");
        let action = code_of(&mut r, "DOCUMENT_ACTION_CODE", DocumentAction::from_code);
        let document_date = r.date("DOCUMENT_DATE");
        let issuing_state = r.string("ISSUING_STATE_TRIBE_TERRITORY_NAME");
        let issuing_jurisdiction = r.string("ISSUING_JURISDICTION_NAME");
        let case_id = r.required("CASE_IDENTIFIER", CaseId::parse);
        let employer_name = r.string("EMPLOYER_NAME");
        let employer_address = read_address(&mut r, EMPLOYER_ADDRESS);
        let fein = r.required("EIN", Fein::parse);
        let employee_name = read_name(&mut r, EMPLOYEE_NAME);
        if employee_name.is_none() && r.errors().is_empty() {
            r.fail(
                EMPLOYEE_NAME[0],
                ErrorCode::REQUIRED,
                "employee name is blank",
            );
        }
        let ssn = r.required("EMPLOYEE_SSN", Ssn::parse);
        let employee_birth = r.date("EMPLOYEE_BIRTH_DATE").map(BirthDate::from_date);
        let obligee = read_name(&mut r, OBLIGEE_NAME);
        let issuing_tribunal = r.string("ISSUING_TRIBUNAL_NAME");
        let mut lines = [None; 8];
        for (slot, (amount_field, freq_field)) in lines.iter_mut().zip(AMOUNT_FIELDS) {
            let cents = r.amount(amount_field);
            let freq = r.text(freq_field);
            *slot = match (freq, Frequency::from_code(freq)) {
                ("", _) if cents == 0 => None,
                ("", _) => {
                    r.fail(freq_field, MISSING, "an amount needs its frequency");
                    None
                }
                (_, Some(per)) => Some(Periodic {
                    amount: Money::from_cents(cents),
                    per,
                }),
                (_, None) => {
                    r.fail(freq_field, INVALID_CODE, "unknown frequency code");
                    None
                }
            };
        }
        let other_description = r.string("OBLIGATION_OTHER_DESCRIPTION");
        let arrears_over_12_weeks = read_yes_no(&mut r, "ARREARS_12_WEEK_OVERDUE_CODE");
        let deductions = Deductions {
            weekly: Money::from_cents(r.amount("IWO_DEDUCTION_WEEKLY_AMOUNT")),
            biweekly: Money::from_cents(r.amount("IWO_DEDUCTION_BIWEEKLY_AMOUNT")),
            semimonthly: Money::from_cents(r.amount("IWO_DEDUCTION_SEMIMONTHLY_AMOUNT")),
            monthly: Money::from_cents(r.amount("IWO_DEDUCTION_MONTHLY_AMOUNT")),
        };
        let state_tribe_territory = r.string("STATE_TRIBE_TERRITORY_NAME");
        let begin_within_days = r.number("BEGIN_WITHHOLDING_WITHIN_DAYS") as u8;
        let start_instructions = r.string("INCOME_WITHHOLDING_START_INSTRUCTIONS");
        let send_payment_within_days = r.number("SEND_PAYMENT_WITHIN_DAYS") as u8;
        let ccpa_percent = r.number("IWO_CCPA_PERCENT_RATE") as u8;
        let payee_name = r.string("PAYEE_NAME");
        let payee_address = read_address(&mut r, PAYEE_ADDRESS);
        let fips = r.required("PAYEE_REMITTANCE_FIPS_CODE", Fips::parse);
        let remittance_id = r.string("REMITTANCE_IDENTIFIER");
        let official = IssuingOfficial {
            name: r.string("GOVERNMENT_OFFICIAL_NAME"),
            title: r.string("ISSUING_OFFICIAL_TITLE"),
        };
        let send_employee_copy = read_yes_no(&mut r, "SEND_EMPLOYEE_COPY_INDICATOR");
        let penalty_liability = r.string("PENALTY_LIABILITY_INFO_TEXT");
        let antidiscrimination = r.string("ANTIDISCRIMINATION_PROVISION_TEXT");
        let specific_payee_limit = r.string("SPECIFIC_PAYEE_WITHHOLDING_LIMIT");
        let employee_contact = read_contact(&mut r, EMPLOYEE_CONTACT);
        let employer_contact = read_contact(&mut r, EMPLOYER_CONTACT);
        let employer_contact_address = read_address(&mut r, EMPLOYER_CONTACT_ADDRESS);
        let tracking_number = r.string("DOCUMENT_TRACKING_NUMBER");
        let order_id = r.string("ORDER_IDENTIFIER");
        let mut children = Vec::new();
        for (names, born) in CHILD_FIELDS {
            let name = read_name(&mut r, names);
            let birth = r.date(born).map(BirthDate::from_date);
            match name {
                Some(name) => children.push(IwoChild {
                    name,
                    birth_date: birth,
                }),
                None if birth.is_some() => {
                    r.fail(names[0], MISSING, "a child's birth date without a name")
                }
                None => {}
            }
        }
        let lump_sum = r
            .number_opt("LUMP_SUM_PAYMENT_AMOUNT")
            .map(|c| Money::from_cents(c as i64));
        let start_date = r.date("INCOME_WITHHOLDING_START_DATE");
        let errors = r.finish();
        match (
            errors.is_empty(),
            action,
            document_date,
            case_id,
            fein,
            employee_name,
            ssn,
            fips,
        ) {
            (
                true,
                Some(action),
                Some(document_date),
                Some(case_id),
                Some(fein),
                Some(name),
                Some(ssn),
                Some(fips),
            ) => Ok(Iwo {
                action,
                document_date,
                issuing_state,
                issuing_jurisdiction,
                issuing_tribunal,
                case_id,
                order_id,
                tracking_number,
                employer: IwoEmployer {
                    name: employer_name,
                    address: employer_address,
                    fein,
                },
                employee: IwoEmployee {
                    name,
                    ssn,
                    birth_date: employee_birth,
                },
                obligee,
                amounts: SupportAmounts {
                    current_child: lines[0],
                    past_due_child: lines[1],
                    current_medical: lines[2],
                    past_due_medical: lines[3],
                    current_spousal: lines[4],
                    past_due_spousal: lines[5],
                    other: lines[6],
                    other_description,
                    total: lines[7],
                    arrears_over_12_weeks,
                },
                deductions,
                lump_sum,
                terms: WithholdingTerms {
                    state_tribe_territory,
                    begin_within_days,
                    start_instructions,
                    start_date,
                    send_payment_within_days,
                    ccpa_percent,
                    send_employee_copy,
                    penalty_liability,
                    antidiscrimination,
                    specific_payee_limit,
                },
                remittance: Remittance {
                    payee_name,
                    payee_address,
                    fips,
                    remittance_id,
                },
                official,
                employee_contact,
                employer_contact,
                employer_contact_address,
                children,
            }),
            (true, ..) => Err(vec![FieldError::record_level(
                ErrorCode::REQUIRED,
                "a required field is blank",
            )]),
            (false, ..) => Err(errors),
        }
    }
}

/// A code field decoded by `from_code`; unknown codes are `INVALID_CODE`.
pub(crate) fn code_of<T>(
    r: &mut FieldReader<'_>,
    field: &'static str,
    from_code: fn(&str) -> Option<T>,
) -> Option<T> {
    let s = r.text(field);
    if s.is_empty() {
        return None; // REQUIRED already reported by the layout
    }
    let v = from_code(s);
    if v.is_none() {
        r.fail(field, INVALID_CODE, "unknown code");
    }
    v
}
