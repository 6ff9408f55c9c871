//! The Tribal IV-D XML case exchange (`schemas/tribal-exchange.xsd`).
//!
//! No federal file format exists between a state and a Tribal IV-D program, so the
//! gateway defines one: an XML document, one message per document, whose requests,
//! responses and acknowledgments mean what CSENet's do. The function codes are CSENet's (`LO1` locate, `CSI` case status, `ENF`
//! enforcement, `EST` establishment, `PAT` paternity, `COL` collection, `MSC` case
//! management), and so are the action codes (`R` request, `U` update, `C` cancel, `M`
//! reminder, `P` provide, `A` acknowledge) and the five-letter reason codes. The case
//! itself is the canonical [`ivd_model::Case`], written with NIEM Human Services / Core
//! element names where one exists (`PersonSSNIdentification`, `PersonBirthDate`,
//! `LocationCityName`, `ObligationDueAmount`, …). See `README.md` for the exchange.
//!
//! # Main types
//!
//! - [`TribalMessage`]: header (message id, timestamp, sender and receiver [`Party`]),
//!   [`MessageKind`], [`Function`], action and reason codes, both case ids, and an optional
//!   [`Case`](ivd_model::Case).
//! - [`read_message`] reads a document into a message or returns every [`ValidationError`], each
//!   naming an element path (`TribalExchange/Request/Case/Participant[2]/Person/PersonSSNIdentification`)
//!   and never a value; [`message_verdicts`] gives the same as `ivd_fixed::RecordVerdict`s.
//! - [`write_message`] writes a message; [`acknowledgment`] builds the acknowledgment a receiver
//!   owes; [`to_json`] / [`from_json`] are the JSON form.
//!
//! # The decision that matters
//!
//! **The writer only ever writes the disclosable case.** [`write_message`] applies
//! [`Case::redacted_for_disclosure`](ivd_model::Case::redacted_for_disclosure) itself, so no
//! caller can forget: a person with a family violence indicator (or the custodial household
//! under a nondisclosure finding) leaves without address, phone, email (and, for the
//! household, employer), and the document carries `NondisclosureFindingIndicator` `true`.
//! The writer then parses what it wrote, so every document it returns is one [`read_message`]
//! accepts.
//!
//! The reader is a pull parser (quick-xml) over a size-bounded input. It **refuses** any
//! DOCTYPE (and so every entity declaration) and every entity reference other than the five
//! predefined ones and character references, bounds nesting depth, element count, text
//! length and attributes per element, and builds a small element tree that is then checked
//! element by element, in work linear in the element count.
//!
//! # Example
//!
//! ```
//! let bytes = include_bytes!("../samples/csi-request.xml");
//! let message = ivd_tribal::read_message(bytes).expect("the sample is valid");
//! assert_eq!(message.function, ivd_tribal::Function::CaseStatus);
//! assert_eq!(message.sender.locator, "90830");
//!
//! // Written back, it reads the same.
//! let again = ivd_tribal::read_message(&ivd_tribal::write_message(&message)?).expect("valid");
//! assert_eq!(again, message);
//!
//! // The receiver owes an acknowledgment.
//! let sent_at = time::macros::datetime!(2025-03-02 09:00 UTC);
//! let ack = ivd_tribal::acknowledgment(&message, "ST-ACK-1", sent_at);
//! assert_eq!(ack.in_reply_to.as_deref(), Some(message.message_id.as_str()));
//! # Ok::<(), ivd_tribal::WriteError>(())
//! ```

#![deny(missing_docs)]

mod read;
mod write;

use ivd_fixed::{ErrorCode, FieldError, RecordVerdict};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

pub use read::{MAX_ATTRIBUTES, MAX_DEPTH, MAX_DOCUMENT, MAX_ELEMENTS, MAX_TEXT};

/// The target namespace of `schemas/tribal-exchange.xsd`.
pub const NAMESPACE: &str = "urn:ivd-gateway:tribal-exchange:1";

/// What a message asks or answers about: CSENet's function codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Function {
    /// `LO1` locate a person.
    #[serde(rename = "LO1")]
    Locate,
    /// `CSI` case status information.
    #[serde(rename = "CSI")]
    CaseStatus,
    /// `ENF` enforcement of an order.
    #[serde(rename = "ENF")]
    Enforcement,
    /// `EST` establishment of an order.
    #[serde(rename = "EST")]
    Establishment,
    /// `PAT` paternity establishment.
    #[serde(rename = "PAT")]
    Paternity,
    /// `COL` collections.
    #[serde(rename = "COL")]
    Collection,
    /// `MSC` case management (miscellaneous).
    #[serde(rename = "MSC")]
    CaseManagement,
}

impl Function {
    /// Every function.
    pub const ALL: [Function; 7] = [
        Function::Locate,
        Function::CaseStatus,
        Function::Enforcement,
        Function::Establishment,
        Function::Paternity,
        Function::Collection,
        Function::CaseManagement,
    ];

    /// The CSENet function code.
    pub fn code(self) -> &'static str {
        match self {
            Function::Locate => "LO1",
            Function::CaseStatus => "CSI",
            Function::Enforcement => "ENF",
            Function::Establishment => "EST",
            Function::Paternity => "PAT",
            Function::Collection => "COL",
            Function::CaseManagement => "MSC",
        }
    }

    /// The function whose code is `code` (exact match).
    pub fn from_code(code: &str) -> Option<Function> {
        Function::ALL.into_iter().find(|f| f.code() == code)
    }
}

/// Which of the three message elements the document carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum MessageKind {
    /// `Request`: starts (`R`), updates (`U`), cancels (`C`) or reminds (`M`).
    Request,
    /// `Response`: provides information (`P`).
    Response,
    /// `Acknowledgment`: receipt of a request (`A`).
    Acknowledgment,
}

impl MessageKind {
    /// The element name.
    pub fn element(self) -> &'static str {
        match self {
            MessageKind::Request => "Request",
            MessageKind::Response => "Response",
            MessageKind::Acknowledgment => "Acknowledgment",
        }
    }

    /// The action codes this kind may carry.
    pub fn actions(self) -> &'static [&'static str] {
        match self {
            MessageKind::Request => &["R", "U", "C", "M"],
            MessageKind::Response => &["P"],
            MessageKind::Acknowledgment => &["A"],
        }
    }
}

/// A state or a Tribe.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum PartyKind {
    /// A state IV-D agency: locator is its 7-digit FIPS code.
    State,
    /// A Tribal IV-D program: locator is its 5-digit IRG tribal locator code.
    Tribe,
}

impl PartyKind {
    /// `state` or `tribe`, as in the XML.
    pub fn code(self) -> &'static str {
        match self {
            PartyKind::State => "state",
            PartyKind::Tribe => "tribe",
        }
    }

    /// How many digits the locator has.
    pub fn locator_len(self) -> usize {
        match self {
            PartyKind::State => 7,
            PartyKind::Tribe => 5,
        }
    }
}

/// The sender or receiver of a message.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Party {
    /// State or Tribe.
    pub kind: PartyKind,
    /// State FIPS (7 digits) or tribal locator code (5 digits, e.g. `90830`).
    pub locator: String,
}

/// One Tribal exchange message.
///
/// JSON (for `ivd-gateway convert tribal`): camelCase fields, `sentAt` in RFC 3339,
/// `function` as its code (`"CSI"`), `case` in the canonical case JSON.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TribalMessage {
    /// The sender's unique id of this message (1–50 of `A-Z a-z 0-9 . _ -`); receivers
    /// de-duplicate on it.
    pub message_id: String,
    /// When the sender sent it.
    #[serde(with = "time::serde::rfc3339")]
    pub sent_at: OffsetDateTime,
    /// Who sent it.
    pub sender: Party,
    /// Who it is for.
    pub receiver: Party,
    /// Request, response or acknowledgment.
    pub kind: MessageKind,
    /// CSENet function.
    pub function: Function,
    /// CSENet action code (`R`, `U`, `C`, `M` for requests; `P` responses; `A` acks).
    pub action: String,
    /// CSENet reason code (5 upper-case letters), when the function/action has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The sender's case id. Empty only in an acknowledgment from a receiver that has no
    /// case yet.
    pub sender_case_id: String,
    /// The receiver's case id, when the sender knows it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub receiver_case_id: Option<String>,
    /// The message id this one answers (responses and acknowledgments).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub in_reply_to: Option<String>,
    /// The case, when the function needs one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub case: Option<ivd_model::Case>,
}

/// One problem in a document: where (element path), what (stable code), and why — never
/// the value, which may be an SSN.
///
/// The crate's one error shape, like `ivd_fixed::FieldError` in the fixed-width adapters
/// with the element path in place of record, field and position.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[error("{path}: {code}: {message}")]
#[non_exhaustive]
pub struct ValidationError {
    /// Element path such as `TribalExchange/Request/Case/Participant[2]/Person/PersonSSNIdentification`
    /// (repeatable elements carry a 1-based index), or `document` for errors of the whole
    /// document.
    pub path: String,
    /// Stable code, e.g. `BAD_VALUE`, `REQUIRED`, `XML_DOCTYPE`.
    pub code: ErrorCode,
    /// What is wrong; never contains element content.
    pub message: String,
}

impl ValidationError {
    pub(crate) fn new(
        path: impl Into<String>,
        code: ErrorCode,
        message: impl Into<String>,
    ) -> Self {
        Self {
            path: path.into(),
            code,
            message: message.into(),
        }
    }
}

/// Stable error codes of this adapter.
pub mod codes {
    use ivd_fixed::ErrorCode;

    /// The XML is not well-formed, too big, too deep, or not UTF-8.
    pub const XML_MALFORMED: ErrorCode = ErrorCode::new("XML_MALFORMED");
    /// A DOCTYPE, or an entity reference other than the predefined ones.
    pub const XML_DOCTYPE: ErrorCode = ErrorCode::new("XML_DOCTYPE");
    /// The root is not `TribalExchange` in [`NAMESPACE`](crate::NAMESPACE).
    pub const WRONG_ROOT: ErrorCode = ErrorCode::new("WRONG_ROOT");
    /// An element that the schema does not allow there.
    pub const UNKNOWN_ELEMENT: ErrorCode = ErrorCode::new("UNKNOWN_ELEMENT");
    /// A required element is missing.
    pub const REQUIRED: ErrorCode = ErrorCode::REQUIRED;
    /// An element that may appear once appears more often.
    pub const REPEATED: ErrorCode = ErrorCode::new("REPEATED");
    /// An element's value is not valid for its type.
    pub const BAD_VALUE: ErrorCode = ErrorCode::new("BAD_VALUE");
    /// The action code does not fit the message kind.
    pub const ACTION_MISMATCH: ErrorCode = ErrorCode::new("ACTION_MISMATCH");
    /// The case breaks a cross-field rule of the case model.
    pub const CASE_RULE: ErrorCode = ErrorCode::new("CASE_RULE");
}

/// Why a message could not be written.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WriteError {
    /// The message breaks the exchange's rules; nothing was written.
    #[error("the message is not valid: {} error(s), first: {}", .0.len(), .0.first().map(ToString::to_string).unwrap_or_default())]
    Invalid(Vec<ValidationError>),
    /// The timestamp cannot be written as an XML dateTime (e.g. an offset with seconds).
    #[error("the sent timestamp cannot be written as RFC 3339")]
    Timestamp,
}

/// Reads one document. Returns every problem found, each with its element path.
pub fn read_message(bytes: &[u8]) -> Result<TribalMessage, Vec<ValidationError>> {
    let tree = read::tree(bytes).map_err(|e| vec![e])?;
    read::message(&tree)
}

/// Writes `message` as a document that validates against `schemas/tribal-exchange.xsd`.
///
/// The case is redacted for disclosure first (see the crate documentation), and the result
/// is parsed again before it is returned, so an invalid message is refused here and not
/// by the partner.
pub fn write_message(message: &TribalMessage) -> Result<Vec<u8>, WriteError> {
    let redacted = message
        .case
        .as_ref()
        .map(ivd_model::Case::redacted_for_disclosure);
    let bytes = write::document(message, redacted.as_ref())?;
    read_message(&bytes).map_err(WriteError::Invalid)?;
    Ok(bytes)
}

/// One verdict per document (record 1), for `ivd-gateway check tribal`: each error's
/// `field` is the element path, `position` is `None`.
pub fn message_verdicts(bytes: &[u8]) -> impl Iterator<Item = RecordVerdict> {
    let errors = match read_message(bytes) {
        Ok(_) => Vec::new(),
        Err(errors) => errors
            .into_iter()
            .map(|e| FieldError::unpositioned(e.code, e.path, e.message).with_record(1))
            .collect(),
    };
    std::iter::once(RecordVerdict::new(1, errors))
}

/// The JSON form of a message.
pub fn to_json(message: &TribalMessage) -> Result<String, serde_json::Error> {
    serde_json::to_string_pretty(message)
}

/// A message from its JSON form.
pub fn from_json(json: &str) -> Result<TribalMessage, serde_json::Error> {
    serde_json::from_str(json)
}

/// The acknowledgment the receiver of `request` owes: same function, action `A`, no
/// reason, parties swapped, case ids swapped (the receiver's own case id empty when the
/// request did not name one), `in_reply_to` the request's message id, no case.
pub fn acknowledgment(
    request: &TribalMessage,
    message_id: &str,
    sent_at: OffsetDateTime,
) -> TribalMessage {
    TribalMessage {
        message_id: message_id.to_owned(),
        sent_at,
        sender: request.receiver.clone(),
        receiver: request.sender.clone(),
        kind: MessageKind::Acknowledgment,
        function: request.function,
        action: "A".to_owned(),
        reason: None,
        sender_case_id: request.receiver_case_id.clone().unwrap_or_default(),
        receiver_case_id: Some(request.sender_case_id.clone()).filter(|s| !s.is_empty()),
        in_reply_to: Some(request.message_id.clone()),
        case: None,
    }
}
