//! Validation (spec §8): one function for every format.

use std::borrow::Cow;

use compact_str::CompactString;
use ivd_fixed::{ErrorCode, FieldError};
use ivd_model::{Fein, PersonName};
use time::{Date, Duration, Month};

use crate::codes;
use crate::fields::{self as f, Locate, addr};
use crate::types::{
    Employee, EmployerInfo, NewHire, PostalAddress, Salary, SalaryFrequency, TaxpayerId,
};

/// Per-state validation settings.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Rules {
    /// "Today" for date checks (passed in, so tests own the clock).
    pub today: Date,
    /// Accept an ITIN in the SSN field (FL does for contractors; MA does not). Default false.
    pub allow_itin: bool,
    /// Reject a date of hire more than this many days after `today` \[P\]. Default 30.
    pub max_days_in_future: i64,
    /// Warn (`HIRE_DATE_OLD`, W005) for a date of hire more than this many days before
    /// `today` \[P\]. Default 365.
    pub warn_days_in_past: i64,
    /// Youngest plausible age at hire; a younger DOB is ignored with `DOB_IMPLAUSIBLE`.
    /// Default 14.
    pub min_age_at_hire: i32,
    /// Oldest plausible age at hire. Default 100.
    pub max_age_at_hire: i32,
}

impl Rules {
    /// The defaults for `today`.
    pub fn new(today: Date) -> Self {
        Self {
            today,
            allow_itin: false,
            max_days_in_future: 30,
            warn_days_in_past: 365,
            min_age_at_hire: 14,
            max_age_at_hire: 100,
        }
    }

    /// With ITINs allowed (or not).
    #[must_use]
    pub fn allow_itin(mut self, allow: bool) -> Self {
        self.allow_itin = allow;
        self
    }
}

/// How a format writes dates and salaries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Dialect {
    /// W4: CCYYMMDD dates, salary 9 digits of cents.
    W4,
    /// Vendor XX: MMDDYYYY dates.
    Xx,
    /// CSV and XML: `YYYY-MM-DD` (CSV also takes CCYYMMDD), salary `1234.56`.
    Text,
}

/// The verdict of one record. Warnings do not make it invalid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordOutcome {
    /// 1-based record number in the file (for XML: the n-th `Employee`; for CSV: the n-th
    /// data row, the header not counted).
    pub record: u64,
    /// The report, when the record is valid.
    pub new_hire: Option<NewHire>,
    /// Errors: any makes the record invalid.
    pub errors: Vec<FieldError>,
    /// Warnings: problems with optional data, which was dropped.
    pub warnings: Vec<FieldError>,
}

impl RecordOutcome {
    /// A record that failed as a whole (framing, I/O, malformed file).
    pub fn failed(record: u64, error: FieldError) -> Self {
        Self {
            record,
            new_hire: None,
            errors: vec![error.with_record(record)],
            warnings: Vec::new(),
        }
    }

    /// The per-record verdict (errors only; warnings are not part of the contract).
    pub fn verdict(&self) -> ivd_fixed::RecordVerdict {
        ivd_fixed::RecordVerdict::new(self.record, self.errors.clone())
    }

    /// Valid: no errors and a report.
    pub fn is_valid(&self) -> bool {
        self.errors.is_empty() && self.new_hire.is_some()
    }
}

struct Ctx<'a, L: Locate> {
    raw: &'a [&'a str; f::N],
    loc: &'a L,
    record: u64,
    errors: Vec<FieldError>,
    warnings: Vec<FieldError>,
}

impl<'a, L: Locate> Ctx<'a, L> {
    fn err_at(&self, field: usize, code: ErrorCode, msg: impl Into<String>) -> FieldError {
        let (name, pos) = self.loc.locate(field);
        let name: Cow<'static, str> = Cow::Borrowed(name);
        match pos {
            Some(p) => FieldError::new(code, name, p, msg),
            None => FieldError::unpositioned(code, name, msg),
        }
        .with_record(self.record)
    }
    fn error(&mut self, field: usize, code: ErrorCode, msg: impl Into<String>) {
        let e = self.err_at(field, code, msg);
        self.errors.push(e);
    }
    fn warn(&mut self, field: usize, code: ErrorCode, msg: impl Into<String>) {
        let e = self.err_at(field, code, msg);
        self.warnings.push(e);
    }
    fn get(&self, field: usize) -> &'a str {
        self.raw[field]
    }
}

/// `s` with its ASCII letters upper-cased.
fn upper(s: &str) -> CompactString {
    let mut upper = CompactString::from(s);
    upper.make_ascii_uppercase();
    upper
}

/// [`upper`]; `None` for blank.
fn upper_opt(s: &str) -> Option<CompactString> {
    (!s.is_empty()).then(|| upper(s))
}

fn printable(s: &str) -> bool {
    ivd_fixed::is_printable_ascii(s.as_bytes())
}

/// A–Z (either case), space, hyphen.
fn name_chars(s: &str) -> bool {
    s.bytes()
        .all(|b| b.is_ascii_alphabetic() || b == b' ' || b == b'-')
}

fn digits(s: &str, n: usize) -> bool {
    s.len() == n && s.bytes().all(|b| b.is_ascii_digit())
}

/// Whether `s` is a USPS state, DC, territory or military code (either case): the
/// model's list, looked up in its bit table.
pub fn is_usps_state(s: &str) -> bool {
    match *s.as_bytes() {
        [a, b] => {
            let upper = [a.to_ascii_uppercase(), b.to_ascii_uppercase()];
            std::str::from_utf8(&upper).is_ok_and(|code| ivd_model::StateCode::parse(code).is_ok())
        }
        _ => false,
    }
}

/// Parses a date in the dialect's form. `Err(())` for a malformed or impossible date.
pub(crate) fn parse_date(s: &str, dialect: Dialect) -> Result<Date, ()> {
    let b = s.as_bytes();
    let num = |r: std::ops::Range<usize>| -> Result<u32, ()> {
        let part = b.get(r).ok_or(())?;
        if part.is_empty() || !part.iter().all(u8::is_ascii_digit) {
            return Err(());
        }
        Ok(part.iter().fold(0u32, |a, &c| a * 10 + u32::from(c - b'0')))
    };
    let (y, m, d) = match (dialect, b.len()) {
        (Dialect::Xx, 8) => (num(4..8)?, num(0..2)?, num(2..4)?),
        (Dialect::W4 | Dialect::Text, 8) => (num(0..4)?, num(4..6)?, num(6..8)?),
        (Dialect::Text, 10) if b[4] == b'-' && b[7] == b'-' => {
            (num(0..4)?, num(5..7)?, num(8..10)?)
        }
        _ => return Err(()),
    };
    let month = Month::try_from(u8::try_from(m).map_err(|_| ())?).map_err(|_| ())?;
    Date::from_calendar_date(
        i32::try_from(y).map_err(|_| ())?,
        month,
        u8::try_from(d).map_err(|_| ())?,
    )
    .map_err(|_| ())
}

/// Salary in cents from the dialect's form.
fn parse_salary(s: &str, dialect: Dialect) -> Option<u64> {
    let (whole, cents) = match dialect {
        Dialect::W4 | Dialect::Xx => {
            return (s.len() <= 9 && s.bytes().all(|b| b.is_ascii_digit()))
                .then(|| s.parse().ok())
                .flatten();
        }
        Dialect::Text => match s.split_once('.') {
            Some((w, c)) if c.len() == 2 => (w, c),
            Some(_) => return None,
            None => (s, "00"),
        },
    };
    if whole.is_empty()
        || whole.len() > 7
        || !whole.bytes().all(|b| b.is_ascii_digit())
        || !cents.bytes().all(|b| b.is_ascii_digit())
    {
        return None;
    }
    Some(whole.parse::<u64>().ok()? * 100 + cents.parse::<u64>().ok()?)
}

fn flag(s: &str) -> Result<Option<bool>, ()> {
    match s {
        "" => Ok(None),
        "Y" | "y" => Ok(Some(true)),
        "N" | "n" => Ok(Some(false)),
        _ => Err(()),
    }
}

/// Which address block, and whether problems are errors or (optional address) warnings.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Severity {
    Error,
    Warning,
}

impl<L: Locate> Ctx<'_, L> {
    fn report(&mut self, sev: Severity, field: usize, code: ErrorCode, msg: &str) {
        match sev {
            Severity::Error => self.error(field, code, msg),
            Severity::Warning => self.warn(field, code, msg),
        }
    }

    /// Checks the text fields of an address block for printable ASCII; returns whether any
    /// failed.
    fn address(&mut self, base: usize, sev: Severity, who: &str) -> Option<PostalAddress> {
        let before = (self.errors.len(), self.warnings.len());
        let g = |o: usize| base + o;
        for o in 0..addr::LEN {
            if !printable(self.get(g(o))) {
                self.report(
                    sev,
                    g(o),
                    codes::NOT_TEXT,
                    "character outside printable ASCII",
                );
            }
        }
        if self.get(g(addr::LINE1)).is_empty() {
            let msg = format!("{who} address line 1 is blank");
            self.report(sev, g(addr::LINE1), codes::ADDRESS_MISSING, &msg);
        }
        let city = self.get(g(addr::CITY));
        if city.len() < 2 {
            self.report(
                sev,
                g(addr::CITY),
                codes::CITY,
                "city must be at least 2 characters",
            );
        } else if !name_chars(city) {
            self.report(
                sev,
                g(addr::CITY),
                codes::CITY,
                "city may hold only A-Z, space and hyphen",
            );
        }
        let cc = self.get(g(addr::COUNTRY_CODE));
        let foreign_info =
            !self.get(g(addr::COUNTRY_NAME)).is_empty() || !self.get(g(addr::POSTAL)).is_empty();
        if cc.is_empty() {
            if foreign_info {
                self.report(
                    sev,
                    g(addr::COUNTRY_CODE),
                    codes::COUNTRY_CODE,
                    "a foreign address needs a FIPS 10-4 country code",
                );
            }
            if !is_usps_state(self.get(g(addr::STATE))) {
                self.report(
                    sev,
                    g(addr::STATE),
                    codes::STATE_CODE,
                    "domestic address needs a USPS state code",
                );
            }
            if !digits(self.get(g(addr::ZIP)), 5) {
                self.report(
                    sev,
                    g(addr::ZIP),
                    codes::ZIP_FORMAT,
                    "domestic address needs a 5-digit ZIP",
                );
            }
        } else if cc.len() != 2 || !cc.bytes().all(|b| b.is_ascii_alphabetic()) {
            self.report(
                sev,
                g(addr::COUNTRY_CODE),
                codes::COUNTRY_CODE,
                "country code must be 2 letters (FIPS 10-4)",
            );
        } else if cc.eq_ignore_ascii_case("US") {
            self.report(
                sev,
                g(addr::COUNTRY_CODE),
                codes::COUNTRY_US,
                "US is not a foreign country; leave the country code blank",
            );
        }
        let z4 = self.get(g(addr::ZIP4));
        if !z4.is_empty() && !digits(z4, 4) {
            self.report(
                sev,
                g(addr::ZIP4),
                codes::ZIP4_FORMAT,
                "ZIP+4 must be 4 digits or blank",
            );
        }
        if (self.errors.len(), self.warnings.len()) != before {
            return None;
        }
        let up = |o: usize| upper_opt(self.get(g(o)));
        Some(PostalAddress {
            line1: upper(self.get(g(addr::LINE1))),
            line2: up(addr::LINE2),
            line3: up(addr::LINE3),
            city: upper(city),
            state: up(addr::STATE),
            zip5: up(addr::ZIP),
            zip4: up(addr::ZIP4),
            country_code: up(addr::COUNTRY_CODE),
            country_name: up(addr::COUNTRY_NAME),
            postal_code: up(addr::POSTAL),
        })
    }
}

/// Validates one record's logical fields and builds the report.
pub(crate) fn validate<L: Locate>(
    record: u64,
    raw: &[&str; f::N],
    loc: &L,
    dialect: Dialect,
    rules: &Rules,
) -> RecordOutcome {
    let mut c = Ctx {
        raw,
        loc,
        record,
        errors: Vec::new(),
        warnings: Vec::new(),
    };

    // SSN (E001/E002).
    let ssn = match c.get(f::SSN) {
        "" => {
            c.error(f::SSN, codes::SSN_FORMAT, "SSN is blank");
            None
        }
        s => match TaxpayerId::parse(s, rules.allow_itin) {
            Ok(t) => Some(t),
            Err(code) => {
                let msg = match code.as_str() {
                    "SSN_FORMAT" => "SSN must be 9 digits",
                    "SSN_AREA" => "SSN area 000, 666 and 900-999 are never issued",
                    "SSN_GROUP" => "SSN group 00 is never issued",
                    "SSN_SERIAL" => "SSN serial 0000 is never issued",
                    _ => "an ITIN is not accepted in the SSN field in this state",
                };
                c.error(f::SSN, code, msg);
                None
            }
        },
    };

    // Names (E003).
    let mut names_ok = true;
    for field in [f::FIRST, f::MIDDLE, f::LAST] {
        if !name_chars(c.get(field)) {
            c.error(
                field,
                codes::NAME_CHARS,
                "names may hold only A-Z, space and hyphen",
            );
            names_ok = false;
        }
    }
    if c.get(f::FIRST).is_empty() && c.get(f::LAST).is_empty() {
        c.error(
            f::FIRST,
            codes::NAME_BLANK,
            "first and last name are both blank",
        );
        names_ok = false;
    }
    let name = if names_ok {
        let first = c.get(f::FIRST).to_ascii_uppercase();
        let middle = upper_opt(c.get(f::MIDDLE));
        let last = c.get(f::LAST).to_ascii_uppercase();
        match PersonName::new(&first, middle.as_deref(), &last, None) {
            Ok(n) => Some(n),
            Err(_) => {
                c.error(f::FIRST, codes::NAME_CHARS, "name is not acceptable");
                None
            }
        }
    } else {
        None
    };

    // Employee address (E007).
    let address = c.address(f::EMP_ADDR, Severity::Error, "employee");

    // Date of hire (E004, W005).
    let hire_date = match c.get(f::DOH) {
        "" => {
            c.error(f::DOH, codes::HIRE_DATE_MISSING, "date of hire is blank");
            None
        }
        s => match parse_date(s, dialect) {
            Err(()) => {
                c.error(
                    f::DOH,
                    codes::HIRE_DATE_INVALID,
                    "date of hire is not a valid calendar date",
                );
                None
            }
            Ok(d) if d.year() < 1900 => {
                c.error(
                    f::DOH,
                    codes::HIRE_DATE_TOO_OLD,
                    "date of hire is before 1900",
                );
                None
            }
            Ok(d) if d > rules.today + Duration::days(rules.max_days_in_future) => {
                let msg = format!(
                    "date of hire is more than {} days in the future",
                    rules.max_days_in_future
                );
                c.error(f::DOH, codes::HIRE_DATE_FUTURE, msg);
                None
            }
            Ok(d) => {
                if d < rules.today - Duration::days(rules.warn_days_in_past) {
                    let msg = format!(
                        "date of hire is more than {} days in the past",
                        rules.warn_days_in_past
                    );
                    c.warn(f::DOH, codes::HIRE_DATE_OLD, msg);
                }
                Some(d)
            }
        },
    };

    // Date of birth (W003: ignored when wrong).
    let birth_date = match c.get(f::DOB) {
        "" => None,
        s if s.bytes().all(|b| b == b'0') => None,
        s => match parse_date(s, dialect) {
            Err(()) => {
                c.warn(
                    f::DOB,
                    codes::DOB_INVALID,
                    "date of birth is not a valid calendar date; ignored",
                );
                None
            }
            Ok(dob) => {
                let at = hire_date.unwrap_or(rules.today);
                let age = age_at(dob, at);
                if dob > rules.today || age < rules.min_age_at_hire || age > rules.max_age_at_hire {
                    let msg = format!(
                        "date of birth is not plausible (age at hire must be {}..={}); ignored",
                        rules.min_age_at_hire, rules.max_age_at_hire
                    );
                    c.warn(f::DOB, codes::DOB_IMPLAUSIBLE, msg);
                    None
                } else {
                    Some(dob)
                }
            }
        },
    };

    // State of hire (W004).
    let state_of_hire = match c.get(f::STATE_OF_HIRE) {
        "" => None,
        s if is_usps_state(s) => Some(upper(s)),
        _ => {
            c.warn(
                f::STATE_OF_HIRE,
                codes::STATE_OF_HIRE,
                "state of hire is not a USPS code; ignored",
            );
            None
        }
    };

    // FEIN (E005).
    let fein = match c.get(f::FEIN) {
        "" => {
            c.error(f::FEIN, codes::FEIN_MISSING, "FEIN is blank");
            None
        }
        s => match Fein::parse(s) {
            Ok(fein) => Some(fein),
            Err(ivd_model::IdError::FeinPrefix) => {
                c.error(
                    f::FEIN,
                    codes::FEIN_PREFIX,
                    "FEIN prefix was never issued by the IRS",
                );
                None
            }
            Err(_) => {
                c.error(f::FEIN, codes::FEIN_FORMAT, "FEIN must be 9 digits");
                None
            }
        },
    };
    let sein = c.get(f::SEIN);
    if !printable(sein) {
        c.error(
            f::SEIN,
            codes::NOT_TEXT,
            "character outside printable ASCII",
        );
    }

    // Employer name (E006) and address.
    let er_name = c.get(f::ER_NAME);
    if er_name.is_empty() {
        c.error(
            f::ER_NAME,
            codes::EMPLOYER_NAME_MISSING,
            "employer name is blank",
        );
    } else if !printable(er_name) {
        c.error(
            f::ER_NAME,
            codes::NOT_TEXT,
            "character outside printable ASCII",
        );
    }
    let er_address = c.address(f::ER_ADDR, Severity::Error, "employer");

    // Optional address: all blank is absent; problems are warnings and drop it.
    let optional_address = if (0..addr::LEN).all(|o| c.get(f::OPT_ADDR + o).is_empty()) {
        None
    } else {
        let w = c.warnings.len();
        let a = c.address(f::OPT_ADDR, Severity::Warning, "optional");
        for e in &mut c.warnings[w..] {
            e.message.push_str("; optional address ignored");
        }
        if a.is_none() {
            // One code for the caller to match on, besides the detailed ones.
            c.warn(
                f::OPT_ADDR,
                codes::OPTIONAL_ADDRESS,
                "optional address incomplete or invalid; ignored",
            );
        }
        a
    };

    // Optional employer extras (warnings).
    let phone = match c.get(f::PHONE) {
        "" => None,
        s if digits(s, 10) => Some(s.into()),
        _ => {
            c.warn(f::PHONE, codes::PHONE, "phone must be 10 digits; ignored");
            None
        }
    };
    let phone_extension = match c.get(f::PHONE_EXT) {
        "" => None,
        s if s.len() <= 6 && s.bytes().all(|b| b.is_ascii_digit()) => Some(s.into()),
        _ => {
            c.warn(
                f::PHONE_EXT,
                codes::PHONE,
                "phone extension must be up to 6 digits; ignored",
            );
            None
        }
    };
    let contact = c.get(f::CONTACT);
    let contact = if printable(contact) {
        upper_opt(contact)
    } else {
        c.warn(
            f::CONTACT,
            codes::NOT_TEXT,
            "character outside printable ASCII; ignored",
        );
        None
    };
    let multistate = flag(c.get(f::MULTISTATE)).unwrap_or_else(|()| {
        c.warn(
            f::MULTISTATE,
            codes::FLAG,
            "multistate indicator must be Y or N; ignored",
        );
        None
    });
    let medical_insurance = flag(c.get(f::MEDICAL)).unwrap_or_else(|()| {
        c.warn(
            f::MEDICAL,
            codes::FLAG,
            "medical insurance indicator must be Y or N; ignored",
        );
        None
    });
    let salary = match (c.get(f::SALARY), c.get(f::SALARY_FREQ)) {
        ("", "") => None,
        (amount, freq) => match (
            parse_salary(amount, dialect),
            SalaryFrequency::from_code(freq),
        ) {
            (Some(amount_cents), Some(frequency)) => Some(Salary {
                amount_cents,
                frequency,
            }),
            (None, _)
                if dialect == Dialect::W4
                    && amount.bytes().all(|b| b == b'0')
                    && freq.is_empty() =>
            {
                None
            }
            (None, _) => {
                c.warn(
                    f::SALARY,
                    codes::SALARY,
                    "salary amount is not a valid amount; ignored",
                );
                None
            }
            (Some(_), None) => {
                c.warn(
                    f::SALARY_FREQ,
                    codes::SALARY,
                    "salary frequency must be H, W, B, S, M or A; ignored",
                );
                None
            }
        },
    };

    let new_hire = match (ssn, name, address, hire_date, fein, er_address) {
        (Some(ssn), Some(name), Some(address), Some(hire_date), Some(fein), Some(er_address))
            if c.errors.is_empty() =>
        {
            Some(NewHire {
                employee: Employee {
                    ssn,
                    name,
                    address,
                    birth_date,
                },
                hire_date,
                state_of_hire,
                employer: EmployerInfo {
                    fein,
                    state_ein: upper_opt(sein),
                    name: upper(er_name),
                    address: er_address,
                    optional_address,
                    phone,
                    phone_extension,
                    contact,
                    multistate,
                },
                medical_insurance,
                salary,
            })
        }
        _ => None,
    };
    RecordOutcome {
        record,
        new_hire,
        errors: c.errors,
        warnings: c.warnings,
    }
}

/// Whole years from `dob` to `at`.
fn age_at(dob: Date, at: Date) -> i32 {
    let mut age = at.year() - dob.year();
    if (at.month() as u8, at.day()) < (dob.month() as u8, dob.day()) {
        age -= 1;
    }
    age
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn dates_in_each_dialect() {
        assert_eq!(
            parse_date("20240229", Dialect::W4),
            Ok(date!(2024 - 02 - 29))
        );
        assert_eq!(parse_date("20230229", Dialect::W4), Err(()));
        assert_eq!(
            parse_date("02292024", Dialect::Xx),
            Ok(date!(2024 - 02 - 29))
        );
        assert_eq!(
            parse_date("2024-02-29", Dialect::Text),
            Ok(date!(2024 - 02 - 29))
        );
        assert_eq!(parse_date("20241301", Dialect::W4), Err(()));
        assert_eq!(parse_date("2024-2-29", Dialect::Text), Err(()));
        assert_eq!(parse_date("+2024029", Dialect::W4), Err(()));
    }

    #[test]
    fn salaries_and_flags() {
        assert_eq!(parse_salary("000123456", Dialect::W4), Some(123_456));
        assert_eq!(parse_salary("1234.56", Dialect::Text), Some(123_456));
        assert_eq!(parse_salary("1234", Dialect::Text), Some(123_400));
        assert_eq!(parse_salary("1234.5", Dialect::Text), None);
        assert_eq!(parse_salary("-1.00", Dialect::Text), None);
        assert_eq!(flag("y"), Ok(Some(true)));
        assert_eq!(flag("X"), Err(()));
    }

    #[test]
    fn ages_and_states() {
        assert_eq!(age_at(date!(2000 - 03 - 21), date!(2026 - 03 - 20)), 25);
        assert_eq!(age_at(date!(2000 - 03 - 20), date!(2026 - 03 - 20)), 26);
        assert!(is_usps_state("ae") && is_usps_state("PR") && !is_usps_state("XX"));
    }

    #[test]
    fn every_code_has_an_ndnh_equivalent_and_a_meaning() {
        for (code, ndnh) in codes::TABLE {
            assert_eq!(codes::ndnh_code(*code), *ndnh);
            assert!(codes::ndnh_meaning(ndnh).is_some(), "{code}");
        }
    }
}
