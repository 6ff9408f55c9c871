//! Translation between CSENet transactions and the canonical model.
//!
//! ## Inbound: [`to_model`]
//!
//! A received transaction becomes an [`InterstateCase`]: the partner's and our case ids
//! and FIPS codes, the NCP and the participants as [`ivd_model::Participant`]s (name, SSN,
//! date of birth, addresses, phones, employers), the orders as
//! [`ivd_model::SupportOrder`]s and the collections. **Point of view:** the server swapped
//! Local/Other before delivering, so `Header::local_fips` / `Header::case_id` are ours and
//! are copied straight into `our_fips` / `our_case_id`; nothing is swapped here.
//!
//! Identifiers are parsed at this edge with the model's newtypes; a value the model
//! rejects (an SSN with area 666, a state code that is not a state) is a
//! [`TranslateError`] naming the field, never quoting it. CSENet codes that map lossily
//! (case type, relationship) are kept verbatim next to the mapped value (spec §1.11).
//!
//! ## Outbound: [`from_case`]
//!
//! Builds the transaction an [`OutboundRequest`] asks for, with the blocks §1.7 requires
//! (and the optional ones only when the request says so: data minimisation). It **always**
//! starts from [`ivd_model::Case::redacted_for_disclosure`], then additionally leaves
//! blank every address, phone and employer field of a protected person (the redacted case
//! still keeps a protected NCP's employers), and sets the Case Data block's
//! Nondisclosure-Finding to `Y` when anyone on the case is protected.

use std::array::from_fn;
use std::borrow::Cow;
use std::fmt;
use std::sync::LazyLock;

use compact_str::{CompactString, ToCompactString};
use ivd_fixed::FieldError;
use ivd_model::{
    Address, AddressKind, AddressScope, Arrears, ArrearsType, BirthDate, Case, CaseId, CaseStatus,
    CaseType, CollectionId, CollectionType, ContactPhone, Employer, Fein, Fips, Frequency, IdError,
    Jurisdiction, Money, Obligation, ObligationType, OrderId, Participant, ParticipantRole, Person,
    PersonId, PersonName, PersonalText, Phone, PhoneKind, Sex, Ssn, StateCode, SupportOrder,
    ZipCode,
};
use time::Date;

use crate::codes::{self, ActionCode, BlockKind, FunctionCode};
use crate::layout;
use crate::transaction::{FipsCode, Header, HeaderKind, Transaction};

/// Why a transaction could not be translated. Names the field and the rule, never the
/// value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {code}: {message}")]
#[non_exhaustive]
pub struct TranslateError {
    /// Block-qualified field (`PARTICIPANT[2].SSN`) or model path.
    pub field: String,
    /// Stable code: the model's `IdError` code (`SSN_AREA`, …) or one of this module's.
    pub code: &'static str,
    /// What is wrong.
    pub message: String,
}

impl TranslateError {
    fn new(field: impl Into<String>, code: &'static str, message: impl Into<String>) -> Self {
        TranslateError {
            field: field.into(),
            code,
            message: message.into(),
        }
    }

    fn id(field: impl Into<String>, e: IdError) -> Self {
        TranslateError::new(field, e.code(), e.to_string())
    }
}

impl From<FieldError> for TranslateError {
    fn from(e: FieldError) -> Self {
        TranslateError {
            field: e.field.to_string(),
            code: e.code.as_str(),
            message: e.message,
        }
    }
}

/// A person of a transaction, with the CSENet codes kept verbatim.
///
/// JSON (serialize only): camelCase; the participant in the model's own JSON form.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct InterstateParticipant {
    /// The person in their mapped role.
    pub participant: Participant,
    /// CSENet Relationship (`A`, `C`, `D`, `P`, `S`); `A` for the NCP-ID person.
    pub relationship_code: CompactString,
    /// CSENet Participant-Status (`O`/`C`), blank for the NCP.
    #[serde(skip_serializing_if = "CompactString::is_empty")]
    pub status_code: CompactString,
}

/// The canonical view of one transaction.
///
/// JSON (serialize only): camelCase; codes as strings (`"function": "LO1"`), dates
/// `YYYY-MM-DD`, the model values (orders, collections, participants) in the model's own
/// JSON form (amounts as `Money` strings), absent values and empty lists left out.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct InterstateCase {
    /// Function.
    pub function: FunctionCode,
    /// Action.
    pub action: ActionCode,
    /// Reason (`""` when blank).
    pub reason: CompactString,
    /// The sender's serial number (the idempotency key together with the sender's FIPS).
    pub serial_number: u64,
    /// Transaction-Date.
    #[serde(with = "crate::json::date")]
    pub transaction_date: Date,
    /// Our FIPS: the header's Local-FIPS (already swapped by the server on inbound).
    pub our_fips: FipsCode,
    /// The partner's FIPS: the header's Other-FIPS.
    pub other_fips: FipsCode,
    /// Our case id (header Case-ID), when present.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub our_case_id: Option<CaseId>,
    /// The partner's case id (header Other-Case-ID), verbatim, when present: another
    /// state's ids need not follow our id rules.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub other_case_id: Option<CompactString>,
    /// Case-Type as sent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub case_type_code: Option<CompactString>,
    /// Case-Type mapped to the model (lossy: `S`, `T`, `N` all map to non-TANF).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub case_type: Option<CaseType>,
    /// Case-Status.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub case_status: Option<CaseStatus>,
    /// Nondisclosure-Finding = `Y`.
    pub nondisclosure_finding: bool,
    /// The NCP (NCP-ID and NCP Locate blocks).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ncp: Option<InterstateParticipant>,
    /// The Participant blocks.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub participants: Vec<InterstateParticipant>,
    /// The Order blocks.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub orders: Vec<SupportOrder>,
    /// The Collection blocks.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub collections: Vec<ivd_model::Collection>,
    /// The Information block, as sent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub information: Option<layout::Information>,
}

/// Error code: an order's frequency has no model equivalent.
const UNSUPPORTED_CODE: &str = "UNSUPPORTED_CODE";
/// Error code: a value the model needs is absent.
const MISSING_VALUE: &str = "MISSING_VALUE";
/// Error code: more participants, orders or collections than a transaction holds.
const TOO_MANY: &str = "TOO_MANY";

/// Translates a transaction into the canonical view. Never swaps the point of view.
pub fn to_model(t: &Transaction) -> Result<InterstateCase, Vec<TranslateError>> {
    let mut errors = Vec::new();
    let h = &t.header;
    let our_case_id = non_blank(&h.case_id).and_then(|id| {
        CaseId::parse(id)
            .map_err(|e| errors.push(TranslateError::id("HEADER.Case-ID", e)))
            .ok()
    });
    let case = t.case_data.as_ref();
    let mut ncp = None;
    if let Some(id) = &t.ncp_identification {
        let person = ncp_person(id, t.ncp_locate.as_deref(), &mut errors);
        ncp = person.map(|person| InterstateParticipant {
            participant: Participant {
                role: ParticipantRole::NoncustodialParent,
                person,
                role_start_on: None,
                role_end_on: None,
            },
            relationship_code: "A".into(),
            status_code: CompactString::default(),
        });
    }
    let participants = t
        .participants
        .iter()
        .enumerate()
        .filter_map(|(i, p)| participant(i + 1, p, &mut errors))
        .collect();
    let orders = t
        .orders
        .iter()
        .enumerate()
        .filter_map(|(i, o)| order(i + 1, o, h, &mut errors))
        .collect();
    let collections = t
        .collections
        .iter()
        .enumerate()
        .filter_map(|(i, c)| collection(i + 1, c, h.serial_number, &mut errors))
        .collect();
    let view = InterstateCase {
        function: h.function.clone(),
        action: h.action.clone(),
        reason: h.reason.clone(),
        serial_number: h.serial_number,
        transaction_date: h.transaction_date,
        our_fips: h.local_fips.clone(),
        other_fips: h.other_fips.clone(),
        our_case_id,
        other_case_id: non_blank(&h.other_case_id).map(CompactString::from),
        case_type_code: case
            .and_then(|c| non_blank(&c.case_type))
            .map(CompactString::from),
        case_type: case.and_then(|c| case_type_from_code(&c.case_type)),
        case_status: case.and_then(|c| CaseStatus::from_code(&c.case_status)),
        nondisclosure_finding: case.is_some_and(|c| c.nondisclosure_finding == "Y"),
        ncp,
        participants,
        orders,
        collections,
        information: t.information.as_deref().cloned(),
    };
    if errors.is_empty() {
        Ok(view)
    } else {
        Err(errors)
    }
}

/// A block label with its 1-based number, `PARTICIPANT[2]`: displayed (formatted) only
/// when an error names it, so a clean translation formats no labels.
#[derive(Clone, Copy)]
struct Indexed(&'static str, usize);

impl fmt::Display for Indexed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}[{}]", self.0, self.1)
    }
}

/// A label and a field of it, `PARTICIPANT[2].SSN`, formatted only when displayed.
#[derive(Clone, Copy)]
struct Dotted<'a>(&'a dyn fmt::Display, &'static str);

impl fmt::Display for Dotted<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.0, self.1)
    }
}

/// `CSENET-P{n}`, the person id of participant `n`: a constant for the nine a
/// transaction can hold.
fn participant_person_id(n: usize) -> Cow<'static, str> {
    const IDS: [&str; 9] = [
        "CSENET-P1",
        "CSENET-P2",
        "CSENET-P3",
        "CSENET-P4",
        "CSENET-P5",
        "CSENET-P6",
        "CSENET-P7",
        "CSENET-P8",
        "CSENET-P9",
    ];
    match n.checked_sub(1).and_then(|i| IDS.get(i)) {
        Some(id) => Cow::Borrowed(id),
        None => Cow::Owned(format!("CSENET-P{n}")),
    }
}

/// The person id of participant `n` (1-based), or of the NCP for `n == 0`: what
/// [`parse_person_id`] gives, parsed once for the NCP and the nine participants a
/// transaction holds (a clone of the inline id costs a fraction of the parse).
fn person_id(n: usize) -> Option<PersonId> {
    static IDS: LazyLock<[Option<PersonId>; 10]> = LazyLock::new(|| from_fn(parse_person_id));
    match IDS.get(n) {
        Some(id) => id.clone(),
        None => parse_person_id(n),
    }
}

/// `CSENET-NCP` for `n == 0`, otherwise `CSENET-P{n}`, as a [`PersonId`].
fn parse_person_id(n: usize) -> Option<PersonId> {
    if n == 0 {
        PersonId::parse("CSENET-NCP").ok()
    } else {
        PersonId::parse(&participant_person_id(n)).ok()
    }
}

/// `parts` joined, for short values the model copies anyway (a ZIP+4, a FIPS code, a
/// collection id): up to 24 bytes a `CompactString` holds inline, so nothing is
/// allocated, and nothing goes through `fmt`'s machinery, which cost more than the rest
/// of an address's translation.
fn joined(parts: &[&str]) -> CompactString {
    let mut out = CompactString::with_capacity(parts.iter().map(|p| p.len()).sum());
    for part in parts {
        out.push_str(part);
    }
    out
}

/// `s` trimmed, unless that leaves nothing.
fn non_blank(s: &str) -> Option<&str> {
    let t = trim(s);
    (!t.is_empty()).then_some(t)
}

/// `s` without leading and trailing whitespace, like `str::trim`. Field values are
/// mostly ASCII padded with spaces, so the spaces are cut byte by byte and
/// `str::trim`'s Unicode look-up runs only when an end is something else than a
/// printable ASCII character.
#[inline]
fn trim(s: &str) -> &str {
    let bytes = s.as_bytes();
    // The usual value: already trimmed (text fields are read without their padding),
    // answered inline; the rest out of line.
    match (bytes.first(), bytes.last()) {
        (Some(first), Some(last)) if first.is_ascii_graphic() && last.is_ascii_graphic() => s,
        (None, _) => s,
        _ => trim_ends(s),
    }
}

/// [`trim`] of a value with a space or a non-ASCII byte at an end.
#[inline(never)]
fn trim_ends(s: &str) -> &str {
    let bytes = s.as_bytes();
    let start = bytes.iter().position(|&b| b != b' ').unwrap_or(bytes.len());
    let end = bytes
        .iter()
        .rposition(|&b| b != b' ')
        .map_or(start, |last| last + 1);
    // Both ends are next to an ASCII space or at an end of `s`: char boundaries.
    let inner = s.get(start..end).unwrap_or_default();
    match (inner.as_bytes().first(), inner.as_bytes().last()) {
        (Some(first), Some(last)) if first.is_ascii_graphic() && last.is_ascii_graphic() => inner,
        (None, None) => inner,
        _ => inner.trim(),
    }
}

fn case_type_from_code(code: &str) -> Option<CaseType> {
    match code {
        "A" | "R" => Some(CaseType::Tanf),
        "F" | "C" => Some(CaseType::FosterCare),
        "M" => Some(CaseType::MedicaidOnly),
        "N" | "S" | "T" | "V" => Some(CaseType::NonTanf),
        _ => None,
    }
}

fn sex_from_code(code: &str) -> Option<Sex> {
    match code {
        "M" => Some(Sex::Male),
        "F" => Some(Sex::Female),
        "O" => Some(Sex::Unknown),
        _ => None,
    }
}

mod blocks;

use blocks::{collection, ncp_person, order, participant};

mod outbound;

pub use outbound::{OutboundRequest, from_case};

#[cfg(test)]
mod tests {
    use super::{PersonId, parse_person_id, person_id, trim};
    use proptest::prelude::*;

    #[test]
    fn person_ids_are_the_parsed_ones() {
        assert_eq!(person_id(0), PersonId::parse("CSENET-NCP").ok());
        for n in 1..=12 {
            let id = format!("CSENET-P{n}");
            assert_eq!(person_id(n), PersonId::parse(&id).ok(), "{n}");
            assert_eq!(person_id(n), parse_person_id(n), "{n}");
            assert_eq!(person_id(n).map(|p| p.as_str().to_owned()), Some(id));
        }
    }

    #[test]
    fn trim_cuts_spaces_and_other_whitespace_like_str_trim() {
        for s in [
            "",
            " ",
            "   ",
            "A",
            " A ",
            "  MAIN ST  ",
            "\tTAB\t",
            " \u{a0}NBSP\u{a0} ",
            "ÉCOLE ",
            " Ñ",
            "A\u{2003}",
            "\u{2003}",
        ] {
            assert_eq!(trim(s), s.trim(), "{s:?}");
        }
    }

    proptest! {
        #[test]
        fn trim_agrees_with_str_trim(s in "[ \\t\\u{a0}\\u{2003}A-Za-z0-9ÉÑ.-]{0,12}") {
            prop_assert_eq!(trim(&s), s.trim());
        }
    }
}
