//! The format-independent new-hire report.
//!
//! Every `Debug` here is written by hand or delegates to a masked model newtype: an SSN,
//! a name, an address or a date of birth never reaches a log line through `{:?}`.

use std::fmt;

use compact_str::CompactString;
use ivd_model::{Fein, PersonName, Ssn};
use serde::{Deserialize, Serialize};
use time::Date;

use crate::codes;

/// The employee's taxpayer number: an SSN, or an ITIN where the state's [`crate::Rules`]
/// allow ITINs (`allow_itin`; e.g. Florida for independent contractors).
///
/// [`ivd_model::Ssn`] cannot hold an ITIN (area 9xx is invalid for an SSN), hence this
/// type. 9 digits; `Debug`/`Display` print `***-**-1234`; [`TaxpayerId::expose`] gives the
/// digits.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TaxpayerId(String);

impl TaxpayerId {
    /// Parses 9 digits or `ddd-dd-dddd`: a valid SSN, or, when `allow_itin`, a valid ITIN
    /// (area 9xx, group 50–65, 70–88, 90–92 or 94–99). Errors are this crate's SSN codes
    /// (`SSN_FORMAT`, `SSN_AREA`, `SSN_GROUP`, `SSN_SERIAL`, `SSN_ITIN`).
    pub fn parse(s: &str, allow_itin: bool) -> Result<Self, ivd_fixed::ErrorCode> {
        let mut d = [0u8; 9];
        let b = s.as_bytes();
        let ok = match b.len() {
            9 => {
                d.copy_from_slice(b);
                true
            }
            11 if b[3] == b'-' && b[6] == b'-' => {
                d[..3].copy_from_slice(&b[..3]);
                d[3..5].copy_from_slice(&b[4..6]);
                d[5..].copy_from_slice(&b[7..]);
                true
            }
            _ => false,
        };
        if !ok || !d.iter().all(u8::is_ascii_digit) {
            return Err(codes::SSN_FORMAT);
        }
        let area = &d[..3];
        let group = (d[3] - b'0') * 10 + (d[4] - b'0');
        if area[0] == b'9' {
            let itin_group = matches!(group, 50..=65 | 70..=88 | 90..=92 | 94..=99);
            if !itin_group {
                return Err(codes::SSN_AREA);
            }
            if !allow_itin {
                return Err(codes::SSN_ITIN);
            }
        } else if area == b"000" || area == b"666" {
            return Err(codes::SSN_AREA);
        }
        if group == 0 {
            return Err(codes::SSN_GROUP);
        }
        if &d[5..] == b"0000" {
            return Err(codes::SSN_SERIAL);
        }
        // All ASCII digits.
        Ok(Self(String::from_utf8_lossy(&d).into_owned()))
    }

    /// The clear 9 digits. The only accessor that reveals the number.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// The last 4 digits.
    pub fn last4(&self) -> &str {
        &self.0[5..]
    }

    /// Whether this is an ITIN (area 9xx) rather than an SSN.
    pub fn is_itin(&self) -> bool {
        self.0.starts_with('9')
    }

    /// The number as a model [`Ssn`]; `None` for an ITIN.
    pub fn as_ssn(&self) -> Option<Ssn> {
        Ssn::parse(&self.0).ok()
    }
}

impl From<Ssn> for TaxpayerId {
    fn from(ssn: Ssn) -> Self {
        Self(ssn.expose().to_owned())
    }
}

impl From<&Ssn> for TaxpayerId {
    fn from(ssn: &Ssn) -> Self {
        Self(ssn.expose().to_owned())
    }
}

impl fmt::Display for TaxpayerId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "***-**-{}", self.last4())
    }
}

impl fmt::Debug for TaxpayerId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TaxpayerId(***-**-{})", self.last4())
    }
}

impl Serialize for TaxpayerId {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for TaxpayerId {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        TaxpayerId::parse(&s, true).map_err(|c| serde::de::Error::custom(c.as_str()))
    }
}

/// A postal address as the W4 record carries it: three lines, city, then either a US
/// state + ZIP (+4) or a foreign country code (FIPS 10-4), country name and postal code.
/// Text is upper case (readers upper-case what they accept). The parts are
/// `CompactString`s (`&str` by deref): up to 24 bytes are held inline, so reading an
/// address allocates nothing for most of them.
#[derive(Clone, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub struct PostalAddress {
    /// Street line 1 (required).
    pub line1: CompactString,
    /// Line 2.
    pub line2: Option<CompactString>,
    /// Line 3 (military designation or Canadian province).
    pub line3: Option<CompactString>,
    /// City (at least 2 characters).
    pub city: CompactString,
    /// USPS state code (domestic addresses).
    pub state: Option<CompactString>,
    /// 5-digit ZIP (domestic addresses).
    pub zip5: Option<CompactString>,
    /// ZIP+4 extension.
    pub zip4: Option<CompactString>,
    /// FIPS 10-4 country code (foreign addresses; never `US`).
    pub country_code: Option<CompactString>,
    /// Country name (foreign addresses).
    pub country_name: Option<CompactString>,
    /// Foreign postal code.
    pub postal_code: Option<CompactString>,
}

impl PostalAddress {
    /// Whether this is a foreign address (it has a country code).
    pub fn is_foreign(&self) -> bool {
        self.country_code.is_some()
    }
}

impl fmt::Debug for PostalAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // State and country do not locate a person; everything else is masked.
        f.debug_struct("PostalAddress")
            .field("lines", &"<redacted>")
            .field("state", &self.state)
            .field("country_code", &self.country_code)
            .finish_non_exhaustive()
    }
}

/// The employee.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Employee {
    /// SSN (or ITIN where allowed).
    pub ssn: TaxpayerId,
    /// First, middle and last name (no suffix: the formats have none). Masked in `Debug`.
    pub name: PersonName,
    /// Home or mailing address.
    pub address: PostalAddress,
    /// Date of birth, when reported and plausible (an implausible one is dropped with
    /// warning `DOB_INVALID` / `DOB_IMPLAUSIBLE`).
    pub birth_date: Option<Date>,
}

impl fmt::Debug for Employee {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Employee")
            .field("ssn", &self.ssn)
            .field("name", &self.name)
            .field("address", &self.address)
            .field("birth_date", &self.birth_date.map(|_| "****-**-**"))
            .finish()
    }
}

/// The employer as the report names it.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EmployerInfo {
    /// Federal EIN (prefix-checked).
    pub fein: Fein,
    /// State employer id (SEIN / UI account), as given.
    pub state_ein: Option<CompactString>,
    /// Employer name.
    pub name: CompactString,
    /// Employer address.
    pub address: PostalAddress,
    /// Optional (payroll / income-withholding) address.
    pub optional_address: Option<PostalAddress>,
    /// Phone, 10 digits (XX, CSV, XML).
    pub phone: Option<CompactString>,
    /// Phone extension, digits (XX, CSV, XML).
    pub phone_extension: Option<CompactString>,
    /// Contact person (XX, CSV, XML).
    pub contact: Option<CompactString>,
    /// Multistate employer indicator (XX, CSV, XML).
    pub multistate: Option<bool>,
}

impl fmt::Debug for EmployerInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The employer name is not personal data (operators need it); a sole proprietor's
        // contact and phone may be, so they are masked.
        f.debug_struct("EmployerInfo")
            .field("fein", &self.fein)
            .field("name", &self.name)
            .field("address", &self.address)
            .field("optional_address", &self.optional_address)
            .field("contact", &self.contact.as_ref().map(|_| "<redacted>"))
            .field("phone", &self.phone.as_ref().map(|_| "<redacted>"))
            .field("multistate", &self.multistate)
            .finish_non_exhaustive()
    }
}

/// How often the salary amount is paid \[P\]: the Texas form's options, one letter each.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum SalaryFrequency {
    /// `H`
    Hourly,
    /// `W`
    Weekly,
    /// `B`
    Biweekly,
    /// `S`
    SemiMonthly,
    /// `M`
    Monthly,
    /// `A`
    Annually,
}

impl SalaryFrequency {
    /// The one-letter code.
    pub fn code(self) -> char {
        match self {
            Self::Hourly => 'H',
            Self::Weekly => 'W',
            Self::Biweekly => 'B',
            Self::SemiMonthly => 'S',
            Self::Monthly => 'M',
            Self::Annually => 'A',
        }
    }

    /// From the one-letter code (upper or lower case).
    pub fn from_code(c: &str) -> Option<Self> {
        Some(match c {
            "H" | "h" => Self::Hourly,
            "W" | "w" => Self::Weekly,
            "B" | "b" => Self::Biweekly,
            "S" | "s" => Self::SemiMonthly,
            "M" | "m" => Self::Monthly,
            "A" | "a" => Self::Annually,
            _ => return None,
        })
    }
}

/// Expected salary: an amount and how often it is paid.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Salary {
    /// Amount in cents (at most 9 digits: 9,999,999.99).
    pub amount_cents: u64,
    /// Pay frequency.
    pub frequency: SalaryFrequency,
}

impl fmt::Debug for Salary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Salary")
            .field("amount_cents", &"<redacted>")
            .field("frequency", &self.frequency)
            .finish()
    }
}

/// One employee's new-hire report, whatever format it came in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewHire {
    /// The employee.
    pub employee: Employee,
    /// Date of hire (the first day services were performed for pay).
    pub hire_date: Date,
    /// USPS code of the state of hire, when reported and valid.
    pub state_of_hire: Option<CompactString>,
    /// The employer.
    pub employer: EmployerInfo,
    /// Whether medical / dependent health insurance is available (XX VA/MD, CSV, XML).
    pub medical_insurance: Option<bool>,
    /// Expected salary (W4 Texas positions, CSV, XML) [P frequency codes].
    pub salary: Option<Salary>,
}
