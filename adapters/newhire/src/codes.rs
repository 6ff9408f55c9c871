//! Stable error and warning codes of this crate, and their NDNH (§5.5 \[P\]) equivalents.
//!
//! Codes are part of the per-record report contract: once published they do not change.
//! `README.md` has the table.

use ivd_fixed::ErrorCode;

macro_rules! codes {
    ($($(#[$m:meta])* $name:ident = $ndnh:literal;)*) => {
        $($(#[$m])* pub const $name: ErrorCode = ErrorCode::new(stringify!($name));)*

        /// Every code of this crate with its NDNH-style 4-character code (§5.5 \[P\]).
        pub const TABLE: &[(ErrorCode, &str)] = &[$(($name, $ndnh)),*];
    };
}

codes! {
    /// SSN blank, not 9 digits, or not digits.
    SSN_FORMAT = "E001";
    /// SSN area 000, 666, or 9xx outside the ITIN groups.
    SSN_AREA = "E002";
    /// SSN group 00.
    SSN_GROUP = "E002";
    /// SSN serial 0000.
    SSN_SERIAL = "E002";
    /// An ITIN where the state's rules do not allow one.
    SSN_ITIN = "E002";
    /// Employee first and last name both blank.
    NAME_BLANK = "E003";
    /// A name holds a character other than A–Z, space or hyphen.
    NAME_CHARS = "E003";
    /// Date of hire blank.
    HIRE_DATE_MISSING = "E004";
    /// Date of hire not a real calendar date.
    HIRE_DATE_INVALID = "E004";
    /// Date of hire more than `max_days_in_future` days after today.
    HIRE_DATE_FUTURE = "E004";
    /// Date of hire before 1900.
    HIRE_DATE_TOO_OLD = "E004";
    /// FEIN blank.
    FEIN_MISSING = "E005";
    /// FEIN not 9 digits.
    FEIN_FORMAT = "E005";
    /// FEIN prefix never issued by the IRS.
    FEIN_PREFIX = "E005";
    /// Employer name blank.
    EMPLOYER_NAME_MISSING = "E006";
    /// Address line 1 blank (employee or employer address).
    ADDRESS_MISSING = "E007";
    /// City blank or shorter than 2 characters, or a character other than A–Z, space,
    /// hyphen.
    CITY = "E007";
    /// Domestic address without a valid USPS state code.
    STATE_CODE = "E007";
    /// Domestic address without a 5-digit ZIP.
    ZIP_FORMAT = "E007";
    /// ZIP+4 neither blank nor 4 digits.
    ZIP4_FORMAT = "E007";
    /// Foreign address (country name or postal code given) without a country code, or a
    /// country code that is not 2 letters.
    COUNTRY_CODE = "E007";
    /// `US` given as the country of a foreign address.
    COUNTRY_US = "E007";
    /// A text field holds a character outside printable ASCII.
    NOT_TEXT = "E008";
    /// The record identifier is not `W4` / `?? Newhire Record` + version.
    RECORD_ID = "E009";
    /// Record of the wrong length (fixed formats) — ivd-fixed's `LENGTH`.
    LENGTH = "E009";
    /// The file ends inside a record — ivd-fixed's `PARTIAL_RECORD`.
    PARTIAL_RECORD = "E009";
    /// Reading the input failed.
    IO_ERROR = "E009";
    /// CSV header row missing, unknown column, duplicate or missing required column.
    CSV_HEADER = "E009";
    /// CSV row with a different number of fields from the header.
    CSV_FIELD_COUNT = "E009";
    /// XML not well-formed, or unexpected elements.
    XML_MALFORMED = "E009";
    /// XML with a DOCTYPE or entity declaration/reference (refused: entity expansion).
    XML_DOCTYPE = "E009";
    /// NDNH transmission: header missing or not first.
    HEADER_MISSING = "E010";
    /// NDNH transmission: trailer missing, not last, or its count does not match.
    TRAILER_COUNT = "E011";
    /// Warning: date of birth not a real date; ignored.
    DOB_INVALID = "W003";
    /// Warning: date of birth in the future or age at hire outside 14..=100; ignored.
    DOB_IMPLAUSIBLE = "W003";
    /// Warning: state of hire not a USPS code; ignored.
    STATE_OF_HIRE = "W004";
    /// Warning: date of hire more than `warn_days_in_past` days back.
    HIRE_DATE_OLD = "W005";
    /// Warning: optional (payroll) address incomplete or invalid; ignored.
    OPTIONAL_ADDRESS = "W006";
    /// Warning: phone / extension not digits of the right length; ignored.
    PHONE = "W007";
    /// Warning: a Y/N indicator (medical insurance, multistate) is something else; ignored.
    FLAG = "W007";
    /// Warning: salary not digits, too large, or without a valid frequency; ignored.
    SALARY = "W007";
}

/// The NDNH-style 4-character code for one of this crate's codes (`E009` for a code
/// this crate does not know).
pub fn ndnh_code(code: ErrorCode) -> &'static str {
    TABLE
        .iter()
        .find(|(c, _)| *c == code)
        .map(|(_, n)| *n)
        .unwrap_or("E009")
}

/// The meaning of an NDNH-style 4-character code (§5.5 \[P\]); `None` for a code not in the
/// table (kept verbatim by the reader).
pub fn ndnh_meaning(code: &str) -> Option<&'static str> {
    Some(match code {
        "E001" => "missing or non-numeric SSN",
        "E002" => "invalid SSN (area 000/666/9xx, group 00, serial 0000)",
        "E003" => "employee first and last name both blank",
        "E004" => "invalid or missing date of hire",
        "E005" => "FEIN missing or not 9 digits",
        "E006" => "employer name missing",
        "E007" => "address missing, or domestic address without a valid state/ZIP",
        "E008" => "character outside printable ASCII [P]",
        "E009" => "record malformed (identifier, length, file structure) [P]",
        "E010" => "header missing or not first",
        "E011" => "trailer count mismatch",
        "W001" => "SSN/name not verified (posted to Unverified)",
        "W002" => "SSN corrected by SSA",
        "W003" => "invalid DOB ignored",
        "W004" => "invalid state-of-hire ignored",
        "W005" => "date of hire in the future or more than N years back",
        "W006" => "optional address invalid, ignored [P]",
        "W007" => "optional employer or salary data invalid, ignored [P]",
        _ => return None,
    })
}
