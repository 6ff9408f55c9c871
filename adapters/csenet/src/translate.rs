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

fn name(
    field: &dyn fmt::Display,
    first: &str,
    middle: &str,
    last: &str,
    suffix: &str,
    errors: &mut Vec<TranslateError>,
) -> Option<PersonName> {
    PersonName::new(
        trim(first),
        Some(trim(middle)),
        trim(last),
        Some(trim(suffix)),
    )
    .map_err(|e| errors.push(TranslateError::id(format!("{field}.Name-Last"), e)))
    .ok()
}

fn ssn(field: &dyn fmt::Display, digits: &str, errors: &mut Vec<TranslateError>) -> Option<Ssn> {
    // An all-zero SSN is the usual "unknown" filler, not an SSN.
    if digits.is_empty() || digits.bytes().all(|b| b == b'0') {
        return None;
    }
    Ssn::parse(digits)
        .map_err(|e| errors.push(TranslateError::id(field.to_string(), e)))
        .ok()
}

fn phone(
    field: &dyn fmt::Display,
    digits: &str,
    kind: PhoneKind,
    errors: &mut Vec<TranslateError>,
) -> Option<ContactPhone> {
    if digits.is_empty() || digits.bytes().all(|b| b == b'0') {
        return None;
    }
    Phone::parse(digits)
        .map(|number| ContactPhone { kind, number })
        .map_err(|e| errors.push(TranslateError::id(field.to_string(), e)))
        .ok()
}

/// The pieces of one CSENet address.
struct RawAddress<'a> {
    line1: &'a str,
    line2: &'a str,
    city: &'a str,
    state: &'a str,
    zip1: &'a str,
    zip2: &'a str,
}

/// An address, when line 1 and the city are present (a partial address without them is
/// not translated; the stored transaction keeps it).
fn address(
    field: &dyn fmt::Display,
    raw: RawAddress<'_>,
    kind: AddressKind,
    verified_on: Option<Date>,
    errors: &mut Vec<TranslateError>,
) -> Option<Address> {
    let (line1, city) = (non_blank(raw.line1)?, non_blank(raw.city)?);
    let line2 = non_blank(raw.line2);
    // Sized once: growing from empty went through `grow_one` for the first line.
    let mut lines = Vec::with_capacity(1 + usize::from(line2.is_some()));
    for line in [Some(line1), line2].into_iter().flatten() {
        match PersonalText::parse(line) {
            Ok(l) => lines.push(l),
            Err(e) => errors.push(TranslateError::id(format!("{field}.Address-Line"), e)),
        }
    }
    let city = PersonalText::parse(city)
        .map_err(|e| errors.push(TranslateError::id(format!("{field}.City"), e)))
        .ok()?;
    let state = non_blank(raw.state).and_then(|s| {
        StateCode::parse(s)
            .map_err(|e| errors.push(TranslateError::id(format!("{field}.State"), e)))
            .ok()
    });
    let zip = non_blank(raw.zip1).and_then(|z| {
        // Joined only when there is a +4 to join.
        let plus4 = trim(raw.zip2);
        let zip = if plus4.is_empty() {
            ZipCode::parse(z)
        } else {
            ZipCode::parse(&joined(&[z, plus4]))
        };
        zip.map_err(|e| errors.push(TranslateError::id(format!("{field}.Zip"), e)))
            .ok()
    });
    Some(Address {
        kind,
        scope: AddressScope::Domestic,
        lines,
        city,
        state,
        zip,
        province: None,
        country: None,
        verified_on,
    })
}

#[allow(clippy::too_many_arguments)]
fn employer(
    field: &dyn fmt::Display,
    name: &str,
    ein: &str,
    addr: RawAddress<'_>,
    started_on: Option<Date>,
    errors: &mut Vec<TranslateError>,
) -> Option<Employer> {
    let name = PersonalText::parse(non_blank(name)?)
        .map_err(|e| errors.push(TranslateError::id(format!("{field}.Name"), e)))
        .ok()?;
    let fein = non_blank(ein).and_then(|ein| {
        Fein::parse(ein)
            .map_err(|e| errors.push(TranslateError::id(format!("{field}.EIN"), e)))
            .ok()
    });
    Some(Employer {
        name,
        fein,
        address: address(field, addr, AddressKind::Mailing, None, errors),
        started_on,
    })
}

fn ncp_person(
    id: &layout::NcpIdentification,
    locate: Option<&layout::NcpLocate>,
    errors: &mut Vec<TranslateError>,
) -> Option<Person> {
    let name = name(
        &"NCP_ID",
        &id.name_first,
        &id.name_middle,
        &id.name_last,
        &id.name_suffix,
        errors,
    )?;
    let mut person = Person {
        person_id: person_id(0)?,
        name,
        ssn: ssn(&"NCP_ID.SSN", &id.ssn, errors),
        date_of_birth: id.date_of_birth.map(BirthDate::from_date),
        sex: sex_from_code(&id.gender),
        addresses: Vec::new(),
        phones: Vec::new(),
        emails: Vec::new(),
        employers: Vec::new(),
        family_violence: None,
    };
    if let Some(l) = locate {
        let confirmed = |ind: &str, d: Option<Date>| if ind == "Y" { d } else { None };
        person.addresses.extend(address(
            &"NCP_LOCATE.Residential",
            RawAddress {
                line1: &l.residential_address_line_1,
                line2: &l.residential_address_line_2,
                city: &l.residential_city,
                state: &l.residential_state,
                zip1: &l.residential_zip_1,
                zip2: &l.residential_zip_2,
            },
            AddressKind::Residential,
            confirmed(
                &l.residential_address_confirmed_ind,
                l.residential_address_effective_date,
            ),
            errors,
        ));
        person.addresses.extend(address(
            &"NCP_LOCATE.Mailing",
            RawAddress {
                line1: &l.mailing_address_line_1,
                line2: &l.mailing_address_line_2,
                city: &l.mailing_city,
                state: &l.mailing_state,
                zip1: &l.mailing_zip_1,
                zip2: &l.mailing_zip_2,
            },
            AddressKind::Mailing,
            confirmed(
                &l.mailing_address_confirmed_ind,
                l.mailing_address_effective_date,
            ),
            errors,
        ));
        person.phones.extend(phone(
            &"NCP_LOCATE.Home-Phone-Num",
            &l.home_phone_num,
            PhoneKind::Home,
            errors,
        ));
        person.phones.extend(phone(
            &"NCP_LOCATE.Work-Phone-Num",
            &l.work_phone_num,
            PhoneKind::Work,
            errors,
        ));
        let employers = [
            (
                "NCP_LOCATE.Employer",
                &l.employer_name,
                &l.employer_ein,
                RawAddress {
                    line1: &l.employer_address_line_1,
                    line2: &l.employer_address_line_2,
                    city: &l.employer_city,
                    state: &l.employer_state,
                    zip1: &l.employer_zip_1,
                    zip2: &l.employer_zip_2,
                },
                l.employer_effective_date,
            ),
            (
                "NCP_LOCATE.Employer2",
                &l.employer2_name,
                &l.employer2_ein,
                RawAddress {
                    line1: &l.employer2_address_line_1,
                    line2: &l.employer2_address_line_2,
                    city: &l.employer2_city,
                    state: &l.employer2_state,
                    zip1: &l.employer2_zip_1,
                    zip2: &l.employer2_zip_2,
                },
                l.employer2_effective_date,
            ),
            (
                "NCP_LOCATE.Employer3",
                &l.employer3_name,
                &l.employer3_ein,
                RawAddress {
                    line1: &l.employer3_address_line_1,
                    line2: &l.employer3_address_line_2,
                    city: &l.employer3_city,
                    state: &l.employer3_state,
                    zip1: &l.employer3_zip_1,
                    zip2: &l.employer3_zip_2,
                },
                l.employer3_effective_date,
            ),
        ];
        for (field, name, ein, addr, started) in employers {
            person
                .employers
                .extend(employer(&field, name, ein, addr, started, errors));
        }
    }
    Some(person)
}

fn role_from_relationship(code: &str) -> ParticipantRole {
    match code {
        "A" => ParticipantRole::NoncustodialParent,
        "C" => ParticipantRole::CustodialParty,
        "D" => ParticipantRole::Child,
        "P" => ParticipantRole::PutativeFather,
        "S" => ParticipantRole::Caretaker,
        _ => ParticipantRole::Other,
    }
}

fn participant(
    n: usize,
    p: &layout::Participant,
    errors: &mut Vec<TranslateError>,
) -> Option<InterstateParticipant> {
    // Labels are formatted only when an error needs one.
    let field = Indexed("PARTICIPANT", n);
    let name = name(
        &field,
        &p.name_first,
        &p.name_middle,
        &p.name_last,
        &p.name_suffix,
        errors,
    )?;
    let verified = if p.address_confirmed == "Y" {
        p.date_address_confirmed
    } else {
        None
    };
    let person = Person {
        person_id: person_id(n)?,
        name,
        ssn: ssn(&Dotted(&field, "SSN"), &p.ssn, errors),
        date_of_birth: p.date_of_birth.map(BirthDate::from_date),
        sex: sex_from_code(&p.gender),
        addresses: address(
            &field,
            RawAddress {
                line1: &p.address_line_1,
                line2: &p.address_line_2,
                city: &p.city,
                state: &p.state,
                zip1: &p.zip_1,
                zip2: &p.zip_2,
            },
            AddressKind::Residential,
            verified,
            errors,
        )
        .into_iter()
        .collect(),
        phones: phone(
            &Dotted(&field, "Work-Phone"),
            &p.work_phone,
            PhoneKind::Work,
            errors,
        )
        .into_iter()
        .collect(),
        emails: Vec::new(),
        employers: employer(
            &Dotted(&field, "Employer"),
            &p.employer_name,
            &p.emp_ein,
            RawAddress {
                line1: &p.employer_street_line_1,
                line2: &p.employer_street_line_2,
                city: &p.employer_city,
                state: &p.employer_state,
                zip1: &p.employer_zip_1,
                zip2: &p.employer_zip_2,
            },
            None,
            errors,
        )
        .into_iter()
        .collect(),
        family_violence: None,
    };
    Some(InterstateParticipant {
        participant: Participant {
            role: role_from_relationship(&p.relationship),
            person,
            role_start_on: None,
            role_end_on: None,
        },
        relationship_code: p.relationship.clone(),
        status_code: p.participant_status.clone(),
    })
}

fn frequency_from_code(code: &str) -> Option<Frequency> {
    match code {
        "W" => Some(Frequency::Weekly),
        "B" => Some(Frequency::Biweekly),
        "S" => Some(Frequency::Semimonthly),
        "M" => Some(Frequency::Monthly),
        _ => None,
    }
}

fn order(
    n: usize,
    o: &layout::Order,
    h: &Header,
    errors: &mut Vec<TranslateError>,
) -> Option<SupportOrder> {
    let field = Indexed("ORDER", n);
    let allowed = |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.');
    let trimmed = trim(&o.order_id);
    // Borrowed unless a character has to be replaced (the usual id needs none).
    let id: Cow<'_, str> = if trimmed.is_empty() {
        Cow::Owned(format!("CSENET-ORDER-{n}"))
    } else if trimmed.chars().all(allowed) {
        Cow::Borrowed(trimmed)
    } else {
        Cow::Owned(
            trimmed
                .chars()
                .map(|c| if allowed(c) { c } else { '-' })
                .collect(),
        )
    };
    let order_id = OrderId::parse(&id)
        .map_err(|e| errors.push(TranslateError::id(format!("{field}.Order-ID"), e)))
        .ok()?;
    // A blank Order-FIPS (allowed on CSI responses) is read as the partner's state.
    let fips = if trim(&o.order_fips_state).is_empty() {
        joined(&[&h.other_fips.state, "00000"])
    } else {
        // The sub-location is zero-filled on the left to its 2 digits.
        let sub = trim(&o.order_fips_sub);
        let fill = "00".get(sub.chars().count().min(2)..).unwrap_or_default();
        joined(&[&o.order_fips_state, &o.order_fips_county, fill, sub])
    };
    let issuing_jurisdiction = match Fips::parse(&fips) {
        Ok(fips) => Jurisdiction::State { fips },
        Err(e) => {
            errors.push(TranslateError::id(format!("{field}.Order-FIPS-State"), e));
            return None;
        }
    };
    let mut obligations = Vec::new();
    if let Some(amount) = o.order_freq_amount {
        let obligation_type = match o.debt_type.as_str() {
            "SS" => ObligationType::SpousalSupport,
            "MS" => ObligationType::MedicalSupport,
            _ => ObligationType::ChildSupport,
        };
        match (frequency_from_code(&o.order_freq), o.order_effective_date) {
            (Some(frequency), Some(start_on)) => obligations.push(Obligation {
                obligation_type,
                amount: Money::from_cents(amount),
                frequency,
                start_on,
                end_on: o.order_end_date,
            }),
            (None, _) => errors.push(TranslateError::new(
                format!("{field}.Order-Freq"),
                UNSUPPORTED_CODE,
                "frequency has no equivalent in the case model (W, B, S, M only)",
            )),
            (_, None) => errors.push(TranslateError::new(
                format!("{field}.Order-Effective-Date"),
                MISSING_VALUE,
                "an obligation needs its effective date",
            )),
        }
    }
    let mut arrears = Vec::new();
    let tanf = o.arrears_tanf_amount.unwrap_or(0) + o.foster_care_amount.unwrap_or(0);
    let non_tanf = o.arrears_non_tanf_amount.unwrap_or(0) + o.medical_amount.unwrap_or(0);
    if o.arrears_tanf_amount.is_some() || o.foster_care_amount.is_some() {
        arrears.push(Arrears {
            arrears_type: ArrearsType::Tanf,
            amount: Money::from_cents(tanf),
            as_of: h.transaction_date,
        });
    }
    if o.arrears_non_tanf_amount.is_some() || o.medical_amount.is_some() {
        arrears.push(Arrears {
            arrears_type: ArrearsType::NonTanf,
            amount: Money::from_cents(non_tanf),
            as_of: h.transaction_date,
        });
    }
    Some(SupportOrder {
        order_id,
        issuing_jurisdiction,
        ordered_on: o.order_filing_date,
        obligations,
        arrears,
    })
}

fn collection(
    n: usize,
    c: &layout::Collection,
    serial: u64,
    errors: &mut Vec<TranslateError>,
) -> Option<ivd_model::Collection> {
    let field = Indexed("COLLECTION", n);
    let Some(collected_on) = c.date_of_collection else {
        errors.push(TranslateError::new(
            format!("{field}.Date-Of-Collection"),
            MISSING_VALUE,
            "a collection needs its date",
        ));
        return None;
    };
    let collection_type = match c.payment_source.as_str() {
        "A" => CollectionType::IncomeWithholding,
        "I" => CollectionType::FederalTaxOffset,
        "S" => CollectionType::StateTaxOffset,
        "U" => CollectionType::UnemploymentIntercept,
        "N" => CollectionType::Payment,
        _ => CollectionType::Other,
    };
    Some(ivd_model::Collection {
        collection_id: {
            let (serial, n) = (serial.to_compact_string(), n.to_compact_string());
            CollectionId::parse(&joined(&["CSENET-", &serial, "-", &n])).ok()?
        },
        collected_on,
        amount: Money::from_cents(c.payment_amount.unwrap_or(0)),
        collection_type,
        applied_order_id: None,
    })
}

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
