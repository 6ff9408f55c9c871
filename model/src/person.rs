//! Persons and their locate data: addresses, phones, emails, employers, FVI.

use crate::codes::{AddressKind, AddressScope, FviCode, FviSource, PhoneKind, Sex};
use crate::ids::{
    BirthDate, CountryCode, Email, Fein, PersonId, PersonName, PersonalText, Phone, Ssn, StateCode,
    ZipCode,
};
use serde::{Deserialize, Serialize};
use time::Date;

/// A person on a case (NIEM `nc:Person`).
///
/// Every personal field is a masking newtype, so `{:?}` of a `Person` shows no SSN, name,
/// birth date, address, phone, email or employer name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Person {
    /// The state system's participant id (not personal data).
    pub person_id: PersonId,
    /// Name.
    pub name: PersonName,
    /// SSN, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ssn: Option<Ssn>,
    /// Date of birth, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date_of_birth: Option<BirthDate>,
    /// Sex, when recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sex: Option<Sex>,
    /// Known addresses.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub addresses: Vec<Address>,
    /// Known phone numbers.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub phones: Vec<ContactPhone>,
    /// Known email addresses.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub emails: Vec<Email>,
    /// Known employers (income sources of type employer).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub employers: Vec<Employer>,
    /// Family violence indicator; present means the person is protected (§3.3).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub family_violence: Option<FamilyViolenceIndicator>,
}

impl Person {
    /// Whether the person carries a family violence indicator. Such a person's address,
    /// phones and emails must never reach another party (see
    /// [`Case::redacted_for_disclosure`](crate::Case::redacted_for_disclosure)).
    pub fn is_protected(&self) -> bool {
        self.family_violence.is_some()
    }

    /// Removes every piece of contact data: addresses, phones, emails.
    pub(crate) fn strip_contact(&mut self) {
        self.addresses.clear();
        self.phones.clear();
        self.emails.clear();
    }
}

/// A postal address (§2.5).
///
/// Domestic addresses carry `state` and `zip` and no `country`; foreign addresses carry a
/// `country` (not `US`) and no `state`/`zip`; 1–3 lines. Checked by
/// [`Case::validate`](crate::Case::validate).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Address {
    /// Residential or mailing.
    pub kind: AddressKind,
    /// Domestic or foreign.
    pub scope: AddressScope,
    /// Street lines, 1 to 3.
    pub lines: Vec<PersonalText>,
    /// City.
    pub city: PersonalText,
    /// USPS state (domestic only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<StateCode>,
    /// ZIP or ZIP+4 (domestic only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub zip: Option<ZipCode>,
    /// Province or region (foreign only, optional).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub province: Option<PersonalText>,
    /// Country (foreign only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country: Option<CountryCode>,
    /// When the address was last verified.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "crate::date::iso_date::option"
    )]
    pub verified_on: Option<Date>,
}

/// A phone number with its kind.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ContactPhone {
    /// Home, work or mobile.
    pub kind: PhoneKind,
    /// The number.
    pub number: Phone,
}

/// An employer of the person (income source type `E`, §2.5).
///
/// The employer name is [`PersonalText`]: for a protected custodial party it locates them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Employer {
    /// Employer name.
    pub name: PersonalText,
    /// Employer FEIN, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fein: Option<Fein>,
    /// Employer address (payroll or work site).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<Address>,
    /// Employment start date.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "crate::date::iso_date::option"
    )]
    pub started_on: Option<Date>,
}

/// A family violence indicator on a person (§3.3 rule 1): code, set date and source.
///
/// Sticky: only the owning state clears it, never an inbound partner message. That rule is
/// enforced where inbound events are applied, not here.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FamilyViolenceIndicator {
    /// Why the person is protected.
    pub code: FviCode,
    /// When the indicator was set.
    #[serde(with = "crate::date::iso_date")]
    pub set_on: Date,
    /// Who set it.
    pub source: FviSource,
}
