//! Error types of the model.
//!
//! Two kinds, both with stable machine codes and both free of the offending value:
//!
//! - [`IdError`]: a single value (an SSN, a FEIN, an amount…) failed its constructor. The
//!   variant names the rule that was broken; `Display` says which rule in words.
//! - [`ModelError`]: a cross-field rule of a whole [`Case`](crate::Case) failed. It carries a
//!   JSON path such as `participants[2].person.addresses[0].zip` and a [`ModelErrorKind`].
//!
//! Neither type ever contains the value that was rejected: the value may be an SSN, and error
//! messages travel to logs, per-record reports and partners.

/// A value was rejected by a newtype constructor (`parse`, `TryFrom`, deserialization).
///
/// The message and [`code`](IdError::code) name the rule; the rejected value is never part
/// of the error.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
#[non_exhaustive]
pub enum IdError {
    /// An SSN is not 9 digits (optionally written `ddd-dd-dddd`).
    #[error("SSN must be 9 digits, optionally written ddd-dd-dddd")]
    SsnFormat,
    /// An SSN area (digits 1–3) is 000, 666 or 900–999.
    #[error("SSN area (first 3 digits) must not be 000, 666 or 900-999")]
    SsnArea,
    /// An SSN group (digits 4–5) is 00.
    #[error("SSN group (digits 4-5) must not be 00")]
    SsnGroup,
    /// An SSN serial (digits 6–9) is 0000.
    #[error("SSN serial (last 4 digits) must not be 0000")]
    SsnSerial,
    /// A FEIN is not 9 digits (optionally written `dd-ddddddd`).
    #[error("FEIN must be 9 digits, optionally written dd-ddddddd")]
    FeinFormat,
    /// A FEIN prefix (digits 1–2) was never issued by the IRS.
    #[error("FEIN prefix (first 2 digits) is not a valid IRS campus or Internet prefix")]
    FeinPrefix,
    /// A FIPS code is not 7 digits (state 2, county 3, local 2).
    #[error("FIPS code must be 7 digits: state (2), county (3), local office (2)")]
    FipsFormat,
    /// A state FIPS code is not 2 digits.
    #[error("state FIPS code must be 2 digits")]
    StateFipsFormat,
    /// A state FIPS code is not a US state, DC or territory code.
    #[error("state FIPS code is not a US state, DC or territory")]
    FipsState,
    /// A IV-D case id is empty or longer than 15 characters.
    #[error("case id must be 1 to 15 characters")]
    CaseIdLength,
    /// A IV-D case id contains a character other than `A`–`Z`, `0`–`9` and `-`.
    #[error("case id may contain only upper-case letters, digits and '-'")]
    CaseIdChars,
    /// A Tribe code is not 3–10 upper-case letters or digits.
    #[error("Tribe code must be 3 to 10 upper-case letters or digits")]
    TribeCode,
    /// A local identifier (person, order, collection id) is empty, too long or has bad characters.
    #[error("identifier must be 1 to 32 characters: letters, digits, '-', '_' or '.'")]
    LocalId,
    /// An amount is not a decimal number with at most 2 fraction digits.
    #[error("amount must be a decimal number with at most 2 fraction digits, like 1234.56 or -5")]
    MoneyFormat,
    /// An amount does not fit in 64-bit cents, or a sum overflowed.
    #[error("amount is out of range")]
    MoneyOverflow,
    /// A person name has neither a first nor a last name.
    #[error("name needs a first or a last name")]
    NameBlank,
    /// A name part contains a control character or is too long.
    #[error("name parts must be at most 64 characters with no control characters")]
    NameChars,
    /// A phone number is not 10 digits.
    #[error("phone number must be 10 digits (separators ' ', '-', '.', '(', ')' allowed)")]
    PhoneFormat,
    /// A phone area code or exchange starts with 0 or 1 (not a NANP number).
    #[error("phone area code and exchange must start with 2-9")]
    PhoneNanp,
    /// An email address is not `local@domain.tld`.
    #[error("email must look like local@domain.tld, at most 254 characters, no spaces")]
    EmailFormat,
    /// A ZIP code is not 5 or 9 digits (`ddddd`, `ddddd-dddd`, `ddddddddd`).
    #[error("ZIP code must be 5 digits or ZIP+4 (ddddd-dddd)")]
    ZipFormat,
    /// A state code is not a USPS state, DC, territory or military code.
    #[error("state code must be a USPS 2-letter state, DC, territory or military code")]
    StateCode,
    /// A country code is not 2 upper-case letters.
    #[error("country code must be 2 upper-case letters")]
    CountryCode,
    /// A date is not `YYYY-MM-DD` or is not a calendar date.
    #[error("date must be a calendar date written YYYY-MM-DD")]
    DateFormat,
    /// A free-text personal field (address line, city, employer name) is blank, too long or
    /// has control characters.
    #[error("text must be 1 to 100 characters with no control characters")]
    Text,
}

impl IdError {
    /// Every rule, for looking a code up again ([`IdError::from_code`]).
    pub const ALL: &'static [IdError] = &[
        IdError::SsnFormat,
        IdError::SsnArea,
        IdError::SsnGroup,
        IdError::SsnSerial,
        IdError::FeinFormat,
        IdError::FeinPrefix,
        IdError::FipsFormat,
        IdError::StateFipsFormat,
        IdError::FipsState,
        IdError::CaseIdLength,
        IdError::CaseIdChars,
        IdError::TribeCode,
        IdError::LocalId,
        IdError::MoneyFormat,
        IdError::MoneyOverflow,
        IdError::NameBlank,
        IdError::NameChars,
        IdError::PhoneFormat,
        IdError::PhoneNanp,
        IdError::EmailFormat,
        IdError::ZipFormat,
        IdError::StateCode,
        IdError::CountryCode,
        IdError::DateFormat,
        IdError::Text,
    ];

    /// The rule with this stable code: serde carries a refused value's error as text
    /// ("… (SSN_AREA)"), and readers turn the code back into the rule.
    pub fn from_code(code: &str) -> Option<IdError> {
        Self::ALL.iter().copied().find(|e| e.code() == code)
    }

    /// The stable machine code of the rule that was broken, e.g. `"SSN_AREA"`.
    ///
    /// Codes never change meaning; new rules get new codes.
    pub fn code(self) -> &'static str {
        match self {
            IdError::SsnFormat => "SSN_FORMAT",
            IdError::SsnArea => "SSN_AREA",
            IdError::SsnGroup => "SSN_GROUP",
            IdError::SsnSerial => "SSN_SERIAL",
            IdError::FeinFormat => "FEIN_FORMAT",
            IdError::FeinPrefix => "FEIN_PREFIX",
            IdError::FipsFormat => "FIPS_FORMAT",
            IdError::StateFipsFormat => "STATE_FIPS_FORMAT",
            IdError::FipsState => "FIPS_STATE",
            IdError::CaseIdLength => "CASE_ID_LENGTH",
            IdError::CaseIdChars => "CASE_ID_CHARS",
            IdError::TribeCode => "TRIBE_CODE",
            IdError::LocalId => "LOCAL_ID",
            IdError::MoneyFormat => "MONEY_FORMAT",
            IdError::MoneyOverflow => "MONEY_OVERFLOW",
            IdError::NameBlank => "NAME_BLANK",
            IdError::NameChars => "NAME_CHARS",
            IdError::PhoneFormat => "PHONE_FORMAT",
            IdError::PhoneNanp => "PHONE_NANP",
            IdError::EmailFormat => "EMAIL_FORMAT",
            IdError::ZipFormat => "ZIP_FORMAT",
            IdError::StateCode => "STATE_CODE",
            IdError::CountryCode => "COUNTRY_CODE",
            IdError::DateFormat => "DATE_FORMAT",
            IdError::Text => "TEXT",
        }
    }
}

/// What cross-field rule of a [`Case`](crate::Case) was broken. See [`Case::validate`](crate::Case::validate).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
#[non_exhaustive]
pub enum ModelErrorKind {
    /// Neither or both of `county` and `tribe` are set; exactly one must be.
    #[error("exactly one of county and tribe must be set")]
    CountyOrTribe,
    /// `caseType` is `tribal` but `tribe` is not set, or `tribe` is set on a non-Tribal case.
    #[error("a Tribal case must name its tribe, and only a Tribal case may")]
    TribalCaseTribe,
    /// The case has no custodial party (or caretaker).
    #[error("the case needs a custodial party or caretaker")]
    NoCustodialParty,
    /// The case has no child.
    #[error("the case needs at least one child")]
    NoChild,
    /// The case has no noncustodial parent, alleged father or putative father.
    #[error("the case needs a noncustodial parent, alleged father or putative father")]
    NoNoncustodialParent,
    /// Two participants share a `personId`.
    #[error("personId is used by another participant")]
    DuplicatePersonId,
    /// An intergovernmental case (initiating/responding) has no partner jurisdiction.
    #[error("an initiating or responding case needs a partnerJurisdiction")]
    PartnerMissing,
    /// A case that is not intergovernmental names a partner jurisdiction.
    #[error("only an initiating or responding case may have a partnerJurisdiction")]
    PartnerUnexpected,
    /// An end date is before its start date.
    #[error("end date is before start date")]
    DateOrder,
    /// A domestic address has no state or no ZIP code, or names a country.
    #[error("a domestic address needs state and zip and no country")]
    DomesticAddress,
    /// A foreign address has no country, or has a USPS state or ZIP code.
    #[error("a foreign address needs a country (not US) and no state or zip")]
    ForeignAddress,
    /// An address has no lines or more than 3.
    #[error("an address needs 1 to 3 lines")]
    AddressLines,
    /// Two orders share an `orderId`.
    #[error("orderId is used by another order")]
    DuplicateOrderId,
    /// An obligation amount is negative.
    #[error("an obligation amount must not be negative")]
    NegativeObligation,
    /// One order lists the same arrears type twice.
    #[error("arrears type is listed twice on the order")]
    DuplicateArrearsType,
    /// Two collections share a `collectionId`.
    #[error("collectionId is used by another collection")]
    DuplicateCollectionId,
    /// A collection amount is zero or negative.
    #[error("a collection amount must be positive")]
    NonPositiveCollection,
    /// A collection names an order that is not on the case.
    #[error("appliedOrderId does not name an order of this case")]
    UnknownOrder,
}

impl ModelErrorKind {
    /// The stable machine code of the rule, e.g. `"CASE_COUNTY_OR_TRIBE"`.
    pub fn code(self) -> &'static str {
        match self {
            ModelErrorKind::CountyOrTribe => "CASE_COUNTY_OR_TRIBE",
            ModelErrorKind::TribalCaseTribe => "CASE_TRIBAL_TRIBE",
            ModelErrorKind::NoCustodialParty => "CASE_NO_CUSTODIAL_PARTY",
            ModelErrorKind::NoChild => "CASE_NO_CHILD",
            ModelErrorKind::NoNoncustodialParent => "CASE_NO_NONCUSTODIAL_PARENT",
            ModelErrorKind::DuplicatePersonId => "PERSON_ID_DUPLICATE",
            ModelErrorKind::PartnerMissing => "CASE_PARTNER_MISSING",
            ModelErrorKind::PartnerUnexpected => "CASE_PARTNER_UNEXPECTED",
            ModelErrorKind::DateOrder => "DATE_ORDER",
            ModelErrorKind::DomesticAddress => "ADDRESS_DOMESTIC",
            ModelErrorKind::ForeignAddress => "ADDRESS_FOREIGN",
            ModelErrorKind::AddressLines => "ADDRESS_LINES",
            ModelErrorKind::DuplicateOrderId => "ORDER_ID_DUPLICATE",
            ModelErrorKind::NegativeObligation => "OBLIGATION_NEGATIVE",
            ModelErrorKind::DuplicateArrearsType => "ARREARS_TYPE_DUPLICATE",
            ModelErrorKind::DuplicateCollectionId => "COLLECTION_ID_DUPLICATE",
            ModelErrorKind::NonPositiveCollection => "COLLECTION_NOT_POSITIVE",
            ModelErrorKind::UnknownOrder => "COLLECTION_UNKNOWN_ORDER",
        }
    }
}

/// A cross-field rule of a case failed at `path`.
///
/// `path` is a JSON path into the case as serialized (`participants[2].person.ssn`), so a
/// per-record report can point at the field without quoting its value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{path}: {kind} ({code})", code = kind.code())]
pub struct ModelError {
    /// JSON path of the field (or object) that breaks the rule.
    pub path: String,
    /// The rule that was broken.
    pub kind: ModelErrorKind,
}

impl ModelError {
    /// Creates an error for `path`.
    pub fn new(path: impl Into<String>, kind: ModelErrorKind) -> Self {
        ModelError {
            path: path.into(),
            kind,
        }
    }

    /// The stable machine code of the rule, see [`ModelErrorKind::code`].
    pub fn code(&self) -> &'static str {
        self.kind.code()
    }
}

#[cfg(test)]
mod id_error_code_tests {
    use super::IdError;

    #[test]
    fn every_code_maps_back_to_its_rule() {
        for rule in IdError::ALL {
            assert_eq!(IdError::from_code(rule.code()), Some(*rule));
        }
        assert_eq!(IdError::from_code("NOPE"), None);
    }
}
