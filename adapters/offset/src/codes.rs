//! The code tables of the offset exchange: case types, transaction types, exclusion
//! indicators, OCSE's reject codes, and this crate's own error codes.

use std::collections::BTreeSet;
use std::fmt;

use serde::{Deserialize, Serialize};

/// Which federal debt a certification is: TANF and non-TANF arrears of one obligor are
/// separate cases on the OCSE Case Master File (E-1 position 74, \[V-KS\]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum CaseType {
    /// Arrears assigned to the state (TANF). Code `A`.
    Tanf,
    /// Arrears owed to the family (non-TANF). Code `N`.
    NonTanf,
}

impl CaseType {
    /// Both case types, TANF first (the key order).
    pub const ALL: [CaseType; 2] = [CaseType::Tanf, CaseType::NonTanf];

    /// The one-letter code on the record.
    pub const fn code(self) -> &'static str {
        match self {
            CaseType::Tanf => "A",
            CaseType::NonTanf => "N",
        }
    }

    /// The case type of a code, `None` when unknown.
    pub fn from_code(code: &str) -> Option<Self> {
        match code {
            "A" => Some(CaseType::Tanf),
            "N" => Some(CaseType::NonTanf),
            _ => None,
        }
    }
}

impl fmt::Display for CaseType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            CaseType::Tanf => "TANF",
            CaseType::NonTanf => "non-TANF",
        })
    }
}

/// The transaction type of an E-1 record (position 73, spec §A.1.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum TransactionType {
    /// `A`: certify a new case (the debt). \[V\]
    Add,
    /// `B`: change the obligor's name; applies to the TANF and the non-TANF case of the
    /// same SSN and state. \[V\]
    NameChange,
    /// `C`: change the case id. \[V\]
    CaseIdChange,
    /// `D`: delete (decertify) the case. \[V-KS\]
    Delete,
    /// `L`: change the local code. \[V\]
    LocalCodeChange,
    /// `M`: modify the arrearage amount. \[V-KS\]
    Modify,
    /// `R`: replace the whole set of exclusion indicators. \[V\]
    ReplaceExclusions,
    /// `S`: state payment against an offset year. \[V\]
    StatePayment,
    /// `T`: transfer for administrative review to another state. \[V-KS\]
    Transfer,
    /// `U`: exists in the 2013 E-1 text; meaning **not confirmed** \[I\].
    Update,
    /// `Z`: change the obligor's address. \[V\]
    AddressChange,
}

impl TransactionType {
    /// Every transaction type, in code order.
    pub const ALL: [TransactionType; 11] = [
        TransactionType::Add,
        TransactionType::NameChange,
        TransactionType::CaseIdChange,
        TransactionType::Delete,
        TransactionType::LocalCodeChange,
        TransactionType::Modify,
        TransactionType::ReplaceExclusions,
        TransactionType::StatePayment,
        TransactionType::Transfer,
        TransactionType::Update,
        TransactionType::AddressChange,
    ];

    /// The one-letter code on the record.
    pub const fn code(self) -> &'static str {
        match self {
            TransactionType::Add => "A",
            TransactionType::NameChange => "B",
            TransactionType::CaseIdChange => "C",
            TransactionType::Delete => "D",
            TransactionType::LocalCodeChange => "L",
            TransactionType::Modify => "M",
            TransactionType::ReplaceExclusions => "R",
            TransactionType::StatePayment => "S",
            TransactionType::Transfer => "T",
            TransactionType::Update => "U",
            TransactionType::AddressChange => "Z",
        }
    }

    /// The transaction type of a code, `None` when unknown.
    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.code() == code)
    }

    /// Whether the record carries the local code (A, L, U: E-1 "Rules", \[V\]).
    pub const fn uses_local_code(self) -> bool {
        matches!(
            self,
            TransactionType::Add | TransactionType::LocalCodeChange | TransactionType::Update
        )
    }

    /// Whether the record carries the arrearage amount (A, M, S \[I\]).
    pub const fn uses_amount(self) -> bool {
        matches!(
            self,
            TransactionType::Add | TransactionType::Modify | TransactionType::StatePayment
        )
    }

    /// Whether the record carries the address block (A, Z, \[V-KS\]).
    pub const fn uses_address(self) -> bool {
        matches!(self, TransactionType::Add | TransactionType::AddressChange)
    }

    /// Whether the record carries the exclusion indicators (A, R, \[V\]).
    pub const fn uses_exclusions(self) -> bool {
        matches!(
            self,
            TransactionType::Add | TransactionType::ReplaceExclusions
        )
    }
}

/// An offset exclusion indicator (spec §A.1.4): the case is certified, but not for this
/// remedy. Serialized (JSON and record) as its 3-letter code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Exclusion {
    /// `ADM`: administrative offset (all non-tax federal payments). \[V-KS\]
    Adm,
    /// `RET`: federal retirement offset. \[V-KS\]
    Ret,
    /// `VEN`: vendor / miscellaneous payment offset. \[V-KS\]
    Ven,
    /// `SAL`: federal salary offset. \[V-KS\]
    Sal,
    /// `TAX`: tax refund offset. \[V-KS\]
    Tax,
    /// `PAS`: passport denial. \[V\]
    Pas,
    /// `FIN`: multistate financial institution data match. \[V-KS\]
    Fin,
    /// `INS`: insurance match (Release 07-01). \[V\]
    Ins,
    /// `DCK`: debt check (Release 05-01). The remedy is \[V\]; the code is **inferred** \[I\].
    Dck,
}

impl Exclusion {
    /// Every exclusion, in the canonical (written) order.
    pub const ALL: [Exclusion; 9] = [
        Exclusion::Adm,
        Exclusion::Ret,
        Exclusion::Ven,
        Exclusion::Sal,
        Exclusion::Tax,
        Exclusion::Pas,
        Exclusion::Fin,
        Exclusion::Ins,
        Exclusion::Dck,
    ];

    /// The 3-letter code.
    pub const fn code(self) -> &'static str {
        match self {
            Exclusion::Adm => "ADM",
            Exclusion::Ret => "RET",
            Exclusion::Ven => "VEN",
            Exclusion::Sal => "SAL",
            Exclusion::Tax => "TAX",
            Exclusion::Pas => "PAS",
            Exclusion::Fin => "FIN",
            Exclusion::Ins => "INS",
            Exclusion::Dck => "DCK",
        }
    }

    /// The exclusion of a code, `None` when unknown.
    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|e| e.code() == code)
    }

    /// The comma-joined form written in the 40-byte field (`ADM,PAS,TAX`), in canonical
    /// order; empty for no exclusion.
    pub fn join(set: &BTreeSet<Exclusion>) -> String {
        let codes: Vec<&str> = set.iter().map(|e| e.code()).collect();
        codes.join(",")
    }

    /// Parses the comma-joined form (any order; blank = none). The error names what is
    /// wrong, never the content.
    pub fn parse_list(s: &str) -> Result<BTreeSet<Exclusion>, (ivd_fixed::ErrorCode, String)> {
        let mut set = BTreeSet::new();
        if s.trim().is_empty() {
            return Ok(set);
        }
        for (i, token) in s.split(',').enumerate() {
            let Some(e) = Exclusion::from_code(token) else {
                return Err((
                    error::UNKNOWN_EXCLUSION,
                    format!("item {} is not a known 3-letter exclusion code", i + 1),
                ));
            };
            if !set.insert(e) {
                return Err((
                    error::DUPLICATE_EXCLUSION,
                    format!("item {} repeats an exclusion code", i + 1),
                ));
            }
        }
        Ok(set)
    }
}

impl fmt::Display for Exclusion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// One error or warning code of a rejected (F-1) record, with its meaning from the
/// §A.2.1 table. Codes not in the table are kept verbatim with `meaning: None`: OCSE's
/// list is longer than the one the spec could gather.
///
/// JSON: `{"code": "17", "meaning": "…", "warning": false}`; reading JSON looks the code
/// up again (only `code` is used), so the table stays the one source of meanings.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(into = "RejectCodeJson")]
pub struct RejectCode {
    /// The code as on the record (2 characters), e.g. `"17"`.
    pub code: String,
    /// Its meaning, when the code is in the table.
    pub meaning: Option<&'static str>,
    /// `true` for a warning (the record was accepted), `false` for an error (rejected).
    pub warning: bool,
}

#[derive(Serialize, Deserialize)]
struct RejectCodeJson {
    code: String,
    #[serde(default, skip_deserializing)]
    meaning: Option<String>,
    #[serde(default, skip_deserializing)]
    warning: bool,
}

impl From<RejectCode> for RejectCodeJson {
    fn from(c: RejectCode) -> Self {
        RejectCodeJson {
            code: c.code,
            meaning: c.meaning.map(str::to_owned),
            warning: c.warning,
        }
    }
}

impl<'de> Deserialize<'de> for RejectCode {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let j = RejectCodeJson::deserialize(d)?;
        Ok(RejectCode::new(&j.code))
    }
}

/// The §A.2.1 table: code, meaning, warning. Kansas `CabFdsoReturnMessage` \[V-KS\] plus
/// the release notes \[V\]; **not complete**.
pub const REJECT_CODES: &[(&str, &str, bool)] = &[
    ("01", "Invalid submitting state code", false),
    ("02", "Invalid SSN", false),
    ("03", "Invalid last name", false),
    ("04", "Invalid first name", false),
    ("05", "Invalid arrearage amount", false),
    ("06", "Case already exists (on an add)", false),
    ("07", "Invalid transaction type", false),
    ("08", "Duplicate transaction in the same cycle", false),
    ("09", "Invalid case type indicator", false),
    (
        "11",
        "State payment amount equals the amount on the OCSE Case Master File",
        false,
    ),
    ("12", "SSN not on the OCSE Case Master File", false),
    ("17", "Last name does not match the SSN", false),
    (
        "19",
        "Fiscal Service cannot decrease a debt whose balance is $0",
        false,
    ),
    ("23", "Invalid transfer state", false),
    ("26", "Invalid processing year for a state payment", false),
    ("29", "Invalid local code change", false),
    ("32", "Invalid pre-offset notice issue date", false),
    ("33", "Invalid exclusion indicators", false),
    (
        "34",
        "State payment submitted, but no offset found for that offset year",
        false,
    ),
    ("35", "State payment amount exceeds the offset", false),
    ("38", "Case was previously deleted", false),
    ("40", "Incomplete address on an address change", false),
    ("47", "Add sent without a complete address", true),
];

impl RejectCode {
    /// The code with its meaning from [`REJECT_CODES`]; unknown codes are kept verbatim
    /// (meaning `None`, not a warning).
    pub fn new(code: &str) -> Self {
        match REJECT_CODES.iter().find(|(c, _, _)| *c == code) {
            Some(&(c, meaning, warning)) => RejectCode {
                code: c.to_owned(),
                meaning: Some(meaning),
                warning,
            },
            None => RejectCode {
                code: code.to_owned(),
                meaning: None,
                warning: false,
            },
        }
    }

    /// Whether the code is in the table.
    pub fn is_known(&self) -> bool {
        self.meaning.is_some()
    }
}

/// This crate's error codes (in addition to [`ivd_fixed::ErrorCode`]'s `NOT_NUMERIC`,
/// `BAD_DATE`, `REQUIRED`, `TOO_LONG`, `LENGTH`, `PARTIAL_RECORD`, …). Stable: the
/// gateway reports them to operators and maps them to its own.
pub mod error {
    use ivd_fixed::ErrorCode;

    /// Not a valid USPS state code.
    pub const INVALID_STATE: ErrorCode = ErrorCode::new("INVALID_STATE");
    /// The SSN field is not 9 digits, or not a valid SSN or ITIN where one is required.
    pub const INVALID_SSN: ErrorCode = ErrorCode::new("INVALID_SSN");
    /// Unknown transaction type code.
    pub const UNKNOWN_TRANSACTION: ErrorCode = ErrorCode::new("UNKNOWN_TRANSACTION");
    /// Unknown case type indicator (not `A` or `N`).
    pub const UNKNOWN_CASE_TYPE: ErrorCode = ErrorCode::new("UNKNOWN_CASE_TYPE");
    /// An exclusion code not in §A.1.4.
    pub const UNKNOWN_EXCLUSION: ErrorCode = ErrorCode::new("UNKNOWN_EXCLUSION");
    /// An exclusion code listed twice.
    pub const DUPLICATE_EXCLUSION: ErrorCode = ErrorCode::new("DUPLICATE_EXCLUSION");
    /// Alphabetic data must be upper case (E-chart intro, \[V\]).
    pub const NOT_UPPER_CASE: ErrorCode = ErrorCode::new("NOT_UPPER_CASE");
    /// The last name's first 4 positions hold a space or a special character other than
    /// a hyphen (\[V\]).
    pub const BAD_LAST_NAME: ErrorCode = ErrorCode::new("BAD_LAST_NAME");
    /// The first name does not start with a letter (\[V\]).
    pub const BAD_FIRST_NAME: ErrorCode = ErrorCode::new("BAD_FIRST_NAME");
    /// A code field (local code, case id) holds characters other than `A`–`Z`, `0`–`9`,
    /// `-` and inner spaces.
    pub const BAD_CHARACTERS: ErrorCode = ErrorCode::new("BAD_CHARACTERS");
    /// An amount that must be positive for this transaction type is zero.
    pub const ZERO_AMOUNT: ErrorCode = ErrorCode::new("ZERO_AMOUNT");
    /// A ZIP code that is not 5 or 9 digits.
    pub const BAD_ZIP: ErrorCode = ErrorCode::new("BAD_ZIP");
    /// An address change without line 1 or 2, city and state (OCSE error 40).
    pub const INCOMPLETE_ADDRESS: ErrorCode = ErrorCode::new("INCOMPLETE_ADDRESS");
    /// A year outside 1900–2999.
    pub const BAD_YEAR: ErrorCode = ErrorCode::new("BAD_YEAR");
    /// Local code `CTL` is reserved: it marks control records (\[I\]).
    pub const RESERVED_LOCAL_CODE: ErrorCode = ErrorCode::new("RESERVED_LOCAL_CODE");
    /// A record's state differs from the file's (control record or writer argument).
    pub const STATE_MISMATCH: ErrorCode = ErrorCode::new("STATE_MISMATCH");
    /// The file has no control record.
    pub const MISSING_CONTROL: ErrorCode = ErrorCode::new("MISSING_CONTROL");
    /// A control record that is not the last record.
    pub const CONTROL_NOT_LAST: ErrorCode = ErrorCode::new("CONTROL_NOT_LAST");
    /// More than one control record.
    pub const DUPLICATE_CONTROL: ErrorCode = ErrorCode::new("DUPLICATE_CONTROL");
    /// A control count differs from the records of the file.
    pub const COUNT_MISMATCH: ErrorCode = ErrorCode::new("COUNT_MISMATCH");
    /// A control total amount differs from the records of the file.
    pub const AMOUNT_MISMATCH: ErrorCode = ErrorCode::new("AMOUNT_MISMATCH");
    /// A reject record without any error or warning code.
    pub const NO_REJECT_CODE: ErrorCode = ErrorCode::new("NO_REJECT_CODE");
    /// A collection record with both a collection and an adjustment amount (\[V\]: one of
    /// them is zeros).
    pub const BOTH_AMOUNTS: ErrorCode = ErrorCode::new("BOTH_AMOUNTS");
    /// A `Y`/`N` indicator holding something else.
    pub const BAD_INDICATOR: ErrorCode = ErrorCode::new("BAD_INDICATOR");
    /// A reconciliation record that is neither `REC` nor `RCT`.
    pub const UNKNOWN_RECORD_TYPE: ErrorCode = ErrorCode::new("UNKNOWN_RECORD_TYPE");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip() {
        for t in TransactionType::ALL {
            assert_eq!(TransactionType::from_code(t.code()), Some(t));
        }
        for c in CaseType::ALL {
            assert_eq!(CaseType::from_code(c.code()), Some(c));
        }
        for e in Exclusion::ALL {
            assert_eq!(Exclusion::from_code(e.code()), Some(e));
        }
        assert_eq!(TransactionType::from_code("X"), None);
        assert_eq!(CaseType::from_code("B"), None);
    }

    #[test]
    fn exclusions_join_in_canonical_order_and_fit() {
        let all: BTreeSet<_> = Exclusion::ALL.into_iter().collect();
        let joined = Exclusion::join(&all);
        assert_eq!(joined, "ADM,RET,VEN,SAL,TAX,PAS,FIN,INS,DCK");
        assert!(joined.len() <= 40);
        let set = Exclusion::parse_list("TAX,ADM,PAS").unwrap();
        assert_eq!(Exclusion::join(&set), "ADM,TAX,PAS");
        assert_eq!(Exclusion::parse_list("   ").unwrap(), BTreeSet::new());
        assert_eq!(
            Exclusion::parse_list("ADM,XYZ").unwrap_err().0,
            error::UNKNOWN_EXCLUSION
        );
        assert_eq!(
            Exclusion::parse_list("ADM,ADM").unwrap_err().0,
            error::DUPLICATE_EXCLUSION
        );
        assert_eq!(
            Exclusion::parse_list("ADM, PAS").unwrap_err().0,
            error::UNKNOWN_EXCLUSION
        );
    }

    #[test]
    fn reject_codes_known_unknown_and_warning() {
        let c = RejectCode::new("17");
        assert_eq!(c.meaning, Some("Last name does not match the SSN"));
        assert!(!c.warning && c.is_known());
        assert!(RejectCode::new("47").warning);
        let u = RejectCode::new("99");
        assert_eq!((u.code.as_str(), u.meaning, u.warning), ("99", None, false));
        let json = serde_json::to_string(&c).unwrap();
        assert_eq!(
            json,
            r#"{"code":"17","meaning":"Last name does not match the SSN","warning":false}"#
        );
        let back: RejectCode = serde_json::from_str(r#"{"code":"47"}"#).unwrap();
        assert!(back.warning);
    }
}
