//! The transaction model: one header and the data blocks its indicators announce, parsed
//! from and written to one variable-length CSENet record (spec §1.2).
//!
//! ## Framing
//!
//! A record is `H + 351c + 181i + 1421l + 341p + 254o + 70k + 416f` bytes, where `H` is
//! 127 (outbound header, state → server) or 121 (inbound header, server → state) and the
//! letters are the header's indicator digits (positions 90–96, the same in both headers).
//! [`Transaction::parse`] reads the indicators, decides the header kind by that length
//! rule, and rejects a record that fits neither with a record-level `LENGTH` error.
//!
//! ## Errors
//!
//! Every error of a record is collected, not just the first. Field errors carry the
//! block-qualified field name (`PARTICIPANT[2].SSN`) and the 1-based position **in the
//! whole record** (block offset + field start), so a `check` report points at the byte.
//!
//! ## Round trip
//!
//! Parsing then writing a record with the same header kind gives back the same bytes for
//! every record in canonical form: text keeps its leading spaces (only trailing spaces
//! are trimmed, and the writer pads them back), digit fields keep all their digits, and
//! blank dates are written as spaces. The one normalisation: a date of all zeros reads
//! as "no date" and is written back as spaces.

use compact_str::CompactString;
use ivd_fixed::{ErrorCode, FieldError, Layout, Record, RecordWriter};
use time::{Date, Time};

use crate::codec::{Codec, Date8, Digits, Text, printable_ascii, relocate};
use crate::codes::{self, ActionCode, BlockKind, FunctionCode};
use crate::layout::{
    CaseData, Collection, INBOUND_HEADER, Information, NcpIdentification, NcpLocate,
    OUTBOUND_HEADER, Order, Participant,
};

/// Error code: the function/action/reason combination is not in the catalog (§1.6).
pub const INVALID_FAR: ErrorCode = ErrorCode::new("INVALID_FAR");
/// Error code: a block the combination requires (§1.7, §1.3) is absent or too few.
pub const MISSING_BLOCK: ErrorCode = ErrorCode::new("MISSING_BLOCK");
/// Error code: a block the combination does not allow is present, or too many.
pub const UNEXPECTED_BLOCK: ErrorCode = ErrorCode::new("UNEXPECTED_BLOCK");
/// Error code: a code field holds a value the spec does not list.
pub const INVALID_CODE: ErrorCode = ErrorCode::new("INVALID_CODE");
/// Error code: a Case-ID breaks the character rules of §1.3.
pub const INVALID_CASE_ID: ErrorCode = ErrorCode::new("INVALID_CASE_ID");
/// Error code: a FIPS state code is not a valid state.
pub const INVALID_FIPS: ErrorCode = ErrorCode::new("INVALID_FIPS");
/// Error code: the Transaction-Serial-Number is zero.
pub const INVALID_SERIAL: ErrorCode = ErrorCode::new("INVALID_SERIAL");
/// Error code: an `HHMMSS` time is not a valid time of day.
pub const BAD_TIME: ErrorCode = ErrorCode::new("BAD_TIME");
/// Error code: a single-block indicator is not 0 or 1.
pub const BAD_INDICATOR: ErrorCode = ErrorCode::new("BAD_INDICATOR");

/// Which header a record carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HeaderKind {
    /// State → server (IGD Chart C-3), 127 bytes.
    Outbound,
    /// Server → state (IGD Chart C-4), 121 bytes.
    Inbound,
}

impl HeaderKind {
    /// The header layout.
    pub fn layout(self) -> &'static Layout {
        match self {
            HeaderKind::Outbound => &OUTBOUND_HEADER,
            HeaderKind::Inbound => &INBOUND_HEADER,
        }
    }

    /// The header length: 127 or 121.
    #[allow(clippy::len_without_is_empty)] // a header is never empty
    pub fn len(self) -> usize {
        self.layout().record_len
    }
}

/// A 7-character FIPS / location code split as the header stores it: state (2 digits),
/// county (3 digits), sub-location (2 A/N, not edited by CSENet).
///
/// JSON: `{"state": "27", "county": "123", "sub": "00"}`, blank parts left out (an object
/// rather than the 7-character string, so that a blank part survives the round trip).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FipsCode {
    /// State, 2 digits (`""` when blank).
    #[serde(default, skip_serializing_if = "CompactString::is_empty")]
    pub state: CompactString,
    /// County, 3 digits (`""` when blank).
    #[serde(default, skip_serializing_if = "CompactString::is_empty")]
    pub county: CompactString,
    /// Sub-location, up to 2 characters, trailing spaces trimmed.
    #[serde(default, skip_serializing_if = "CompactString::is_empty")]
    pub sub: CompactString,
}

impl FipsCode {
    /// A code from its parts.
    pub fn new(state: &str, county: &str, sub: &str) -> FipsCode {
        FipsCode {
            state: state.into(),
            county: county.into(),
            sub: sub.into(),
        }
    }

    /// Splits a 7-character code `SSCCCLL`; `None` unless it has 7 ASCII characters.
    pub fn parse(code: &str) -> Option<FipsCode> {
        if code.len() != 7 || !code.is_ascii() {
            return None;
        }
        Some(FipsCode::new(&code[..2], &code[2..5], code[5..].trim_end()))
    }

    /// The 7-character form (sub-location space-padded).
    pub fn code(&self) -> String {
        format!("{}{}{:<2}", self.state, self.county, self.sub)
    }

    /// The model's [`ivd_model::Fips`], when the code is 7 digits with a valid state.
    pub fn to_model(&self) -> Option<ivd_model::Fips> {
        ivd_model::Fips::parse(&self.code()).ok()
    }
}

impl std::fmt::Display for FipsCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.code())
    }
}

/// The outbound header's last fields (positions 97–127).
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct OutboundTail {
    /// Sent-Date (optional).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "crate::json::date_opt"
    )]
    pub sent_date: Option<Date>,
    /// Sent-Time `HHMMSS` (optional); JSON `"HH:MM:SS"`.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "crate::json::time_opt"
    )]
    pub sent_time: Option<Time>,
    /// Due-Date (reserved, blank).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "crate::json::date_opt"
    )]
    pub due_date: Option<Date>,
    /// Response-Date (reserved, blank).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "crate::json::date_opt"
    )]
    pub response_date: Option<Date>,
}

/// The inbound header's last fields (positions 97–121).
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct InboundTail {
    /// Date-Received (the state may fill it).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "crate::json::date_opt"
    )]
    pub date_received: Option<Date>,
    /// Time-Received `HHMMSS` (the state may fill it); JSON `"HH:MM:SS"`.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "crate::json::time_opt"
    )]
    pub time_received: Option<Time>,
    /// Processing-Complete (reserved, blank).
    #[serde(default, skip_serializing_if = "CompactString::is_empty")]
    pub processing_complete: CompactString,
    /// Attachments-Due-Date (reserved, blank).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "crate::json::date_opt"
    )]
    pub attachments_due_date: Option<Date>,
    /// Sent-To-State-Host (reserved, blank).
    #[serde(default, skip_serializing_if = "CompactString::is_empty")]
    pub sent_to_state_host: CompactString,
    /// Interstate-Forms-Printed (reserved, blank).
    #[serde(default, skip_serializing_if = "CompactString::is_empty")]
    pub interstate_forms_printed: CompactString,
}

/// The header-kind-specific end of the header.
///
/// JSON: an object tagged with the header kind, `{"kind": "outbound", "sentDate": …}` or
/// `{"kind": "inbound", "dateReceived": …}`: the kind a transaction is written with.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum HeaderTail {
    /// Positions 97–127 of an outbound header.
    Outbound(OutboundTail),
    /// Positions 97–121 of an inbound header.
    Inbound(InboundTail),
}

impl HeaderTail {
    /// The kind of header this tail belongs to.
    pub fn kind(&self) -> HeaderKind {
        match self {
            HeaderTail::Outbound(_) => HeaderKind::Outbound,
            HeaderTail::Inbound(_) => HeaderKind::Inbound,
        }
    }
}

/// The Transaction Header (spec §1.3), without the block indicators: those are computed
/// from the blocks a [`Transaction`] holds when it is written.
///
/// Point of view: in an **inbound** header the server has already swapped Local/Other
/// FIPS and Case-ID/Other-Case-ID, so `local_fips` and `case_id` are always the reading
/// state's. Nothing in this crate swaps them again.
///
/// JSON: camelCase fields; the codes as strings (`"function": "LO1"`, `"action": "R"`),
/// dates `YYYY-MM-DD`, blank strings and dates left out.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Header {
    /// Local-FIPS (positions 1–7): the state this record is written for / by.
    pub local_fips: FipsCode,
    /// Other-FIPS (positions 8–14): the partner.
    pub other_fips: FipsCode,
    /// Transaction-Serial-Number (18–29), ≥ 1, unique per sending state.
    pub serial_number: u64,
    /// Error-Reason-Code (30–31), reserved, kept verbatim.
    #[serde(default, skip_serializing_if = "CompactString::is_empty")]
    pub error_reason_code: CompactString,
    /// Transaction-Type (32–33), reserved, kept verbatim.
    #[serde(default, skip_serializing_if = "CompactString::is_empty")]
    pub transaction_type: CompactString,
    /// Action-Code (34).
    pub action: ActionCode,
    /// Functional-Type-Code (35–37).
    pub function: FunctionCode,
    /// Transaction-Date (38–45).
    #[serde(with = "crate::json::date")]
    pub transaction_date: Date,
    /// Case-ID (46–60): the local case id.
    #[serde(default, skip_serializing_if = "CompactString::is_empty")]
    pub case_id: CompactString,
    /// Other-Case-ID (61–75): the partner's case id.
    #[serde(default, skip_serializing_if = "CompactString::is_empty")]
    pub other_case_id: CompactString,
    /// Action-Reason (76–80), `""` when blank.
    #[serde(default, skip_serializing_if = "CompactString::is_empty")]
    pub reason: CompactString,
    /// Action-Resolution-Date (81–88).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "crate::json::date_opt"
    )]
    pub action_resolution_date: Option<Date>,
    /// Attachments-Ind (89), `Y` or `N`, kept verbatim.
    #[serde(default, skip_serializing_if = "CompactString::is_empty")]
    pub attachments: CompactString,
    /// The kind-specific end of the header.
    pub tail: HeaderTail,
}

impl Header {
    /// A header with blank reserved and optional fields and `Attachments-Ind` `N`.
    pub fn new(
        kind: HeaderKind,
        function: FunctionCode,
        action: ActionCode,
        reason: &str,
        serial_number: u64,
        transaction_date: Date,
    ) -> Header {
        Header {
            local_fips: FipsCode::default(),
            other_fips: FipsCode::default(),
            serial_number,
            error_reason_code: CompactString::default(),
            transaction_type: CompactString::default(),
            action,
            function,
            transaction_date,
            case_id: CompactString::default(),
            other_case_id: CompactString::default(),
            reason: reason.into(),
            action_resolution_date: None,
            attachments: "N".into(),
            tail: match kind {
                HeaderKind::Outbound => HeaderTail::Outbound(OutboundTail::default()),
                HeaderKind::Inbound => HeaderTail::Inbound(InboundTail::default()),
            },
        }
    }

    /// Whether Attachments-Ind is `Y`.
    pub fn has_attachments(&self) -> bool {
        self.attachments == "Y"
    }

    /// Reads the header; `fast` as for the blocks (see `codec::block!`).
    fn read(
        bytes: &[u8],
        kind: HeaderKind,
        errors: &mut Vec<FieldError>,
        fast: bool,
    ) -> Option<Header> {
        let rec = match kind.layout().read(bytes) {
            Ok(r) => r,
            Err(e) => {
                errors.push(relocate(e, "HEADER", 0));
                return None;
            }
        };
        let before = errors.len();
        let mut r = HeaderReader {
            rec,
            kind,
            ascii: if fast { printable_ascii(bytes) } else { None },
            errors,
        };
        let local_fips = FipsCode {
            state: r.get::<Digits>(hdr::LOCAL_FIPS_STATE),
            county: r.get::<Digits>(hdr::LOCAL_FIPS_COUNTY),
            sub: r.get::<Text>(hdr::LOCAL_FIPS_SUB),
        };
        let other_fips = FipsCode {
            state: r.get::<Digits>(hdr::OTHER_FIPS_STATE),
            county: r.get::<Digits>(hdr::OTHER_FIPS_COUNTY),
            sub: r.get::<Text>(hdr::OTHER_FIPS_SUB),
        };
        r.check(hdr::VERSION);
        let serial_number = r.number(hdr::SERIAL);
        let error_reason_code = r.get::<Text>(hdr::ERROR_REASON_CODE);
        let transaction_type = r.get::<Text>(hdr::TRANSACTION_TYPE);
        let action = ActionCode::parse(r.text(hdr::ACTION));
        let function = FunctionCode::parse(r.text(hdr::FUNCTION));
        let transaction_date = r.required_date(hdr::TRANSACTION_DATE);
        let case_id = r.get::<Text>(hdr::CASE_ID);
        let other_case_id = r.get::<Text>(hdr::OTHER_CASE_ID);
        let reason = r.get::<Text>(hdr::REASON);
        let action_resolution_date = r.get::<Date8>(hdr::ACTION_RESOLUTION_DATE);
        let attachments = r.get::<Text>(hdr::ATTACHMENTS);
        let tail = match kind {
            HeaderKind::Outbound => {
                let t = OutboundTail {
                    sent_date: r.get::<Date8>(hdr::SENT_DATE),
                    sent_time: r.time(hdr::SENT_TIME),
                    due_date: r.get::<Date8>(hdr::DUE_DATE),
                    response_date: r.get::<Date8>(hdr::RESPONSE_DATE),
                };
                r.check(hdr::OVERDUE);
                HeaderTail::Outbound(t)
            }
            HeaderKind::Inbound => HeaderTail::Inbound(InboundTail {
                date_received: r.get::<Date8>(hdr::DATE_RECEIVED),
                time_received: r.time(hdr::TIME_RECEIVED),
                processing_complete: r.get::<Text>(hdr::PROCESSING_COMPLETE),
                attachments_due_date: r.get::<Date8>(hdr::ATTACHMENTS_DUE_DATE),
                sent_to_state_host: r.get::<Text>(hdr::SENT_TO_STATE_HOST),
                interstate_forms_printed: r.get::<Text>(hdr::INTERSTATE_FORMS_PRINTED),
            }),
        };
        if errors.len() > before {
            return None;
        }
        Some(Header {
            local_fips,
            other_fips,
            serial_number,
            error_reason_code,
            transaction_type,
            action,
            function,
            transaction_date: transaction_date?,
            case_id,
            other_case_id,
            reason,
            action_resolution_date,
            attachments,
            tail,
        })
    }

    fn write(
        &self,
        kind: HeaderKind,
        counts: [usize; 7],
        out: &mut Vec<u8>,
        errors: &mut Vec<FieldError>,
    ) {
        let mut w = HeaderWriter {
            w: RecordWriter::new(kind.layout()),
            errors,
        };
        w.put::<Digits>("Local-FIPS-State", &self.local_fips.state);
        w.put::<Digits>("Local-FIPS-County", &self.local_fips.county);
        w.put::<Text>("Local-FIPS-Sub", &self.local_fips.sub);
        w.put::<Digits>("Other-FIPS-State", &self.other_fips.state);
        w.put::<Digits>("Other-FIPS-County", &self.other_fips.county);
        w.put::<Text>("Other-FIPS-Sub", &self.other_fips.sub);
        w.number("Transaction-Serial-Number", self.serial_number);
        w.put::<Text>("Error-Reason-Code", &self.error_reason_code);
        w.put::<Text>("Transaction-Type", &self.transaction_type);
        w.put::<Text>("Action-Code", &self.action.code().into());
        w.put::<Text>("Functional-Type-Code", &self.function.code().into());
        w.put::<Date8>("Transaction-Date", &Some(self.transaction_date));
        w.put::<Text>("Case-ID", &self.case_id);
        w.put::<Text>("Other-Case-ID", &self.other_case_id);
        w.put::<Text>("Action-Reason", &self.reason);
        w.put::<Date8>("Action-Resolution-Date", &self.action_resolution_date);
        w.put::<Text>("Attachments-Ind", &self.attachments);
        for kind in BlockKind::ALL {
            let n = counts[kind.index()];
            w.number(kind.indicator(), u64::try_from(n).unwrap_or(u64::MAX));
        }
        // Writing for the other kind of header than the one parsed leaves the tail blank.
        match (&self.tail, kind) {
            (HeaderTail::Outbound(t), HeaderKind::Outbound) => {
                w.put::<Date8>("Sent-Date", &t.sent_date);
                w.time("Sent-Time", t.sent_time);
                w.put::<Date8>("Due-Date", &t.due_date);
                w.put::<Date8>("Response-Date", &t.response_date);
            }
            (HeaderTail::Inbound(t), HeaderKind::Inbound) => {
                w.put::<Date8>("Date-Received", &t.date_received);
                w.time("Time-Received", t.time_received);
                w.put::<Text>("Processing-Complete", &t.processing_complete);
                w.put::<Date8>("Attachments-Due-Date", &t.attachments_due_date);
                w.put::<Text>("Sent-To-State-Host", &t.sent_to_state_host);
                w.put::<Text>("Interstate-Forms-Printed", &t.interstate_forms_printed);
            }
            _ => {}
        }
        out.extend_from_slice(w.w.as_bytes());
    }
}

struct HeaderReader<'a, 'e> {
    rec: Record<'a>,
    /// The kind of header `rec` is read with (its layout is `kind.layout()`).
    kind: HeaderKind,
    /// The whole header as `&str` when it is printable ASCII (see
    /// [`printable_ascii`]): the fast path of every field.
    ascii: Option<&'a str>,
    errors: &'e mut Vec<FieldError>,
}

impl<'a> HeaderReader<'a, '_> {
    /// Field `i`'s untrimmed text, when the header is printable ASCII.
    ///
    /// Inlined with a constant `i` and the layouts named as the statics they are, the
    /// field's range is a constant (for fields 1–96 the same in both layouts), rather
    /// than looked up in the layout's table per field and record.
    #[inline(always)]
    fn ascii_field(&self, i: usize) -> Option<&'a str> {
        let field = self.layout().fields.get(i)?;
        self.ascii?.get(field.range())
    }

    #[inline(always)]
    fn get<C: Codec>(&mut self, i: usize) -> C::Value {
        if let Some(v) = self.ascii_field(i).and_then(C::read_ascii) {
            return v;
        }
        match C::read(&self.rec, i) {
            Ok(v) => v,
            Err(e) => {
                self.errors.push(relocate(e, "HEADER", 0));
                C::Value::default()
            }
        }
    }

    /// A date the layout requires (`FieldKind::DATE`): the fast path takes only a
    /// date; a blank goes through the checked read, which reports it as `REQUIRED`
    /// (`Date8`'s fast path would accept a blank as "no date").
    fn required_date(&mut self, i: usize) -> Option<Date> {
        if let Some(Some(date)) = self.ascii_field(i).and_then(Date8::read_ascii) {
            return Some(date);
        }
        match self.rec.date(i) {
            Ok(date) => date,
            Err(e) => {
                self.errors.push(relocate(e, "HEADER", 0));
                None
            }
        }
    }

    /// A text field borrowed from the record (`""` after an error), for the codes that
    /// are parsed into enums rather than kept.
    fn text(&mut self, i: usize) -> &'a str {
        if let Some(field) = self.ascii_field(i) {
            return ivd_fixed::trim_padding(field);
        }
        match self.rec.text(i) {
            Ok(s) => s,
            Err(e) => {
                self.errors.push(relocate(e, "HEADER", 0));
                ""
            }
        }
    }

    /// The layout of the header being read, as the static it is (see `ascii_field`).
    #[inline(always)]
    fn layout(&self) -> &'static Layout {
        match self.kind {
            HeaderKind::Outbound => &OUTBOUND_HEADER,
            HeaderKind::Inbound => &INBOUND_HEADER,
        }
    }

    #[inline(always)]
    fn check(&mut self, i: usize) {
        // Fast path: a literal field (the version, the overdue indicator) that holds its
        // literal; anything else is decoded and reported by the checked read.
        if let (Some(text), Some(field)) = (self.ascii_field(i), self.layout().fields.get(i))
            && let ivd_fixed::FieldKind::Literal(literal) = field.kind
            && text == literal
        {
            return;
        }
        if let Err(e) = self.rec.value(i) {
            self.errors.push(relocate(e, "HEADER", 0));
        }
    }

    #[inline(always)]
    fn number(&mut self, i: usize) -> u64 {
        // Fast path: a number field of at most 19 digits, all digits (a blank or anything
        // else goes to the checked read, which reports it).
        if let (Some(text), Some(field)) = (self.ascii_field(i), self.layout().fields.get(i))
            && matches!(field.kind, ivd_fixed::FieldKind::Number { .. })
            && (1..=19).contains(&text.len())
            && text.bytes().all(|b| b.is_ascii_digit())
        {
            return text.bytes().fold(0u64, |v, b| v * 10 + u64::from(b - b'0'));
        }
        match self.rec.number(i) {
            Ok(n) => n,
            Err(e) => {
                self.errors.push(relocate(e, "HEADER", 0));
                0
            }
        }
    }

    fn time(&mut self, i: usize) -> Option<Time> {
        let digits = self.get::<Digits>(i);
        if digits.is_empty() {
            return None;
        }
        match parse_hhmmss(&digits) {
            Some(t) => Some(t),
            None => {
                let (name, start) = self
                    .rec
                    .layout()
                    .fields
                    .get(i)
                    .map_or(("?", 1), |f| (f.name, f.start));
                self.errors.push(
                    FieldError::new(
                        BAD_TIME,
                        format!("HEADER.{name}"),
                        start,
                        "not a valid HHMMSS time of day",
                    )
                    .with_bad_bytes(digits.as_bytes()),
                );
                None
            }
        }
    }
}

/// Indices of the header fields, resolved from their names at compile time (a name
/// look-up per field per record was 3% of parsing). Positions 1–96 are the same fields
/// in both headers; the build fails if they ever differ.
mod hdr {
    use crate::layout::{INBOUND_HEADER, OUTBOUND_HEADER};

    /// Index of a field of positions 1–96, the same in both headers.
    const fn shared(name: &str) -> usize {
        let i = OUTBOUND_HEADER.expect_index(name);
        assert!(i == INBOUND_HEADER.expect_index(name));
        i
    }

    pub(super) const LOCAL_FIPS_STATE: usize = shared("Local-FIPS-State");
    pub(super) const LOCAL_FIPS_COUNTY: usize = shared("Local-FIPS-County");
    pub(super) const LOCAL_FIPS_SUB: usize = shared("Local-FIPS-Sub");
    pub(super) const OTHER_FIPS_STATE: usize = shared("Other-FIPS-State");
    pub(super) const OTHER_FIPS_COUNTY: usize = shared("Other-FIPS-County");
    pub(super) const OTHER_FIPS_SUB: usize = shared("Other-FIPS-Sub");
    pub(super) const VERSION: usize = shared("CSENet-Version-Number");
    pub(super) const SERIAL: usize = shared("Transaction-Serial-Number");
    pub(super) const ERROR_REASON_CODE: usize = shared("Error-Reason-Code");
    pub(super) const TRANSACTION_TYPE: usize = shared("Transaction-Type");
    pub(super) const ACTION: usize = shared("Action-Code");
    pub(super) const FUNCTION: usize = shared("Functional-Type-Code");
    pub(super) const TRANSACTION_DATE: usize = shared("Transaction-Date");
    pub(super) const CASE_ID: usize = shared("Case-ID");
    pub(super) const OTHER_CASE_ID: usize = shared("Other-Case-ID");
    pub(super) const REASON: usize = shared("Action-Reason");
    pub(super) const ACTION_RESOLUTION_DATE: usize = shared("Action-Resolution-Date");
    pub(super) const ATTACHMENTS: usize = shared("Attachments-Ind");

    pub(super) const SENT_DATE: usize = OUTBOUND_HEADER.expect_index("Sent-Date");
    pub(super) const SENT_TIME: usize = OUTBOUND_HEADER.expect_index("Sent-Time");
    pub(super) const DUE_DATE: usize = OUTBOUND_HEADER.expect_index("Due-Date");
    pub(super) const RESPONSE_DATE: usize = OUTBOUND_HEADER.expect_index("Response-Date");
    pub(super) const OVERDUE: usize = OUTBOUND_HEADER.expect_index("Overdue-Ind");

    pub(super) const DATE_RECEIVED: usize = INBOUND_HEADER.expect_index("Date-Received");
    pub(super) const TIME_RECEIVED: usize = INBOUND_HEADER.expect_index("Time-Received");
    pub(super) const PROCESSING_COMPLETE: usize =
        INBOUND_HEADER.expect_index("Processing-Complete");
    pub(super) const ATTACHMENTS_DUE_DATE: usize =
        INBOUND_HEADER.expect_index("Attachments-Due-Date");
    pub(super) const SENT_TO_STATE_HOST: usize = INBOUND_HEADER.expect_index("Sent-To-State-Host");
    pub(super) const INTERSTATE_FORMS_PRINTED: usize =
        INBOUND_HEADER.expect_index("Interstate-Forms-Printed");
}

fn parse_hhmmss(digits: &str) -> Option<Time> {
    let n = |r: std::ops::Range<usize>| digits.get(r).and_then(|s| s.parse::<u8>().ok());
    Time::from_hms(n(0..2)?, n(2..4)?, n(4..6)?).ok()
}

struct HeaderWriter<'l, 'e> {
    w: RecordWriter<'l>,
    errors: &'e mut Vec<FieldError>,
}

impl HeaderWriter<'_, '_> {
    fn index(&self, name: &str) -> usize {
        self.w.layout().index_of(name).unwrap_or(usize::MAX)
    }

    fn put<C: Codec>(&mut self, name: &str, v: &C::Value) {
        let i = self.index(name);
        if let Err(e) = C::write(&mut self.w, i, v) {
            self.errors.push(relocate(e, "HEADER", 0));
        }
    }

    fn number(&mut self, name: &str, n: u64) {
        let i = self.index(name);
        if let Err(e) = self.w.number(i, n) {
            self.errors.push(relocate(e, "HEADER", 0));
        }
    }

    fn time(&mut self, name: &str, t: Option<Time>) {
        let digits = t
            .map(|t| {
                compact_str::format_compact!("{:02}{:02}{:02}", t.hour(), t.minute(), t.second())
            })
            .unwrap_or_default();
        self.put::<Digits>(name, &digits);
    }
}

/// One CSENet transaction: a header and its data blocks, in record order.
///
/// JSON (crate docs, *JSON form*): `{"header": {…}, "caseData": {…}, "ncpIdentification":
/// {…}, "ncpLocate": {…}, "participants": […], "orders": […], "collections": […],
/// "information": {…}}`, absent blocks and empty lists left out.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Transaction {
    /// The header (indicators are derived from the blocks below).
    pub header: Header,
    /// Case Data (0–1), boxed like the NCP Locate block.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub case_data: Option<Box<CaseData>>,
    /// NCP Identification (0–1), boxed like the NCP Locate block.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ncp_identification: Option<Box<NcpIdentification>>,
    /// NCP Locate (0–1). The single blocks are boxed: held inline they made a
    /// transaction 4.2 KB (this one alone 2.3 KB), copied on every move (out of
    /// `parse`, into a `Result`, into the caller's variable).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ncp_locate: Option<Box<NcpLocate>>,
    /// Participants (0–9).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub participants: Vec<Participant>,
    /// Orders (0–9).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub orders: Vec<Order>,
    /// Collections (0–9).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub collections: Vec<Collection>,
    /// Information (0–1), boxed like the NCP Locate block.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub information: Option<Box<Information>>,
}

impl Transaction {
    /// A transaction with `header` and no blocks.
    pub fn new(header: Header) -> Transaction {
        Transaction {
            header,
            case_data: None,
            ncp_identification: None,
            ncp_locate: None,
            participants: Vec::new(),
            orders: Vec::new(),
            collections: Vec::new(),
            information: None,
        }
    }

    /// Parses one record (without its line terminator) and checks the transaction rules
    /// ([`Transaction::check_rules`]). Returns every error found, positions relative to
    /// the whole record. Rules are checked only when every field is well-formed.
    pub fn parse(record: &[u8]) -> Result<Transaction, Vec<FieldError>> {
        Transaction::parse_fields_with(record, true, true)
    }

    /// Parses one record checking framing and field syntax only, not the transaction
    /// rules: for ingesting combinations a newer IGD release added.
    pub fn parse_fields(record: &[u8]) -> Result<Transaction, Vec<FieldError>> {
        Transaction::parse_fields_with(record, true, false)
    }

    /// [`Transaction::parse_fields`], with the fast field paths (`fast`) or with every
    /// field through the checked reads (the reference the tests compare with), and with
    /// the transaction rules when `rules` (checked here rather than by the caller so that
    /// the ~4 KB transaction is built once in the result, not moved out and back in).
    fn parse_fields_with(
        record: &[u8],
        fast: bool,
        rules: bool,
    ) -> Result<Transaction, Vec<FieldError>> {
        let mut errors = Vec::new();
        let Some(counts) = read_indicators(record, &mut errors) else {
            return Err(errors);
        };
        let body: usize = BlockKind::ALL
            .iter()
            .map(|k| counts[k.index()] * k.len())
            .sum();
        let kind = if record.len() == OUTBOUND_HEADER.record_len + body {
            HeaderKind::Outbound
        } else if record.len() == INBOUND_HEADER.record_len + body {
            HeaderKind::Inbound
        } else {
            return Err(vec![FieldError::record_level(
                ErrorCode::LENGTH,
                format!(
                    "record is {} bytes; its block indicators call for {} (outbound header) or {} (inbound header)",
                    record.len(),
                    OUTBOUND_HEADER.record_len + body,
                    INBOUND_HEADER.record_len + body
                ),
            )]);
        };
        let header_len = kind.len();
        let header = Header::read(
            record.get(..header_len).unwrap_or_default(),
            kind,
            &mut errors,
            fast,
        );
        let mut at = header_len;
        let mut next = |kind: BlockKind| -> (&[u8], usize) {
            let from = at;
            at += kind.len();
            (record.get(from..at).unwrap_or_default(), from)
        };
        let has = |kind: BlockKind| counts[kind.index()] == 1;
        let case_data = has(BlockKind::CaseData)
            .then(|| next(BlockKind::CaseData))
            .map(|(b, o)| Box::new(CaseData::read_block(b, "CASE_DATA", o, &mut errors, fast)));
        let ncp_identification = has(BlockKind::NcpIdentification)
            .then(|| next(BlockKind::NcpIdentification))
            .map(|(b, o)| {
                Box::new(NcpIdentification::read_block(
                    b,
                    "NCP_ID",
                    o,
                    &mut errors,
                    fast,
                ))
            });
        let ncp_locate = has(BlockKind::NcpLocate)
            .then(|| next(BlockKind::NcpLocate))
            .map(|(b, o)| Box::new(NcpLocate::read_block(b, "NCP_LOCATE", o, &mut errors, fast)));
        let mut participants = Vec::with_capacity(counts[BlockKind::Participant.index()]);
        for n in 1..=counts[BlockKind::Participant.index()] {
            let (b, o) = next(BlockKind::Participant);
            participants.push(Participant::read_block(
                b,
                format_args!("PARTICIPANT[{n}]"),
                o,
                &mut errors,
                fast,
            ));
        }
        let mut orders = Vec::with_capacity(counts[BlockKind::Order.index()]);
        for n in 1..=counts[BlockKind::Order.index()] {
            let (b, o) = next(BlockKind::Order);
            orders.push(Order::read_block(
                b,
                format_args!("ORDER[{n}]"),
                o,
                &mut errors,
                fast,
            ));
        }
        let mut collections = Vec::with_capacity(counts[BlockKind::Collection.index()]);
        for n in 1..=counts[BlockKind::Collection.index()] {
            let (b, o) = next(BlockKind::Collection);
            collections.push(Collection::read_block(
                b,
                format_args!("COLLECTION[{n}]"),
                o,
                &mut errors,
                fast,
            ));
        }
        let information = (counts[BlockKind::Information.index()] == 1).then(|| {
            let (b, o) = next(BlockKind::Information);
            Box::new(Information::read_block(
                b,
                "INFORMATION",
                o,
                &mut errors,
                fast,
            ))
        });
        let Some(header) = header.filter(|_| errors.is_empty()) else {
            return Err(errors);
        };
        let transaction = Transaction {
            header,
            case_data,
            ncp_identification,
            ncp_locate,
            participants,
            orders,
            collections,
            information,
        };
        if rules {
            transaction.check_rules()?;
        }
        Ok(transaction)
    }

    /// The kind of header this transaction was parsed with (or built for).
    pub fn header_kind(&self) -> HeaderKind {
        self.header.tail.kind()
    }

    /// How many blocks of each kind the transaction holds, indexed by
    /// [`BlockKind::index`]: the header indicators it is written with.
    pub fn counts(&self) -> [usize; 7] {
        [
            usize::from(self.case_data.is_some()),
            usize::from(self.ncp_identification.is_some()),
            usize::from(self.ncp_locate.is_some()),
            self.participants.len(),
            self.orders.len(),
            self.collections.len(),
            usize::from(self.information.is_some()),
        ]
    }

    /// 0-based offset of block `n` (0-based) of `kind` in the record written with `kind`
    /// of header.
    fn offset_of(&self, header: HeaderKind, kind: BlockKind, n: usize) -> usize {
        let counts = self.counts();
        header.len()
            + BlockKind::ALL
                .iter()
                .take_while(|k| **k != kind)
                .map(|k| counts[k.index()] * k.len())
                .sum::<usize>()
            + n * kind.len()
    }

    /// Writes the transaction with a `kind` header. Indicators are computed from the
    /// blocks present. Refuses (returning every error) a transaction that breaks the
    /// rules of [`Transaction::check_rules`] or whose values do not fit their fields.
    pub fn write(&self, kind: HeaderKind) -> Result<Vec<u8>, Vec<FieldError>> {
        let mut errors = match self.check_rules_as(kind) {
            Ok(()) => Vec::new(),
            Err(e) => e,
        };
        let counts = self.counts();
        let body: usize = BlockKind::ALL
            .iter()
            .map(|k| counts[k.index()] * k.len())
            .sum();
        let mut out = Vec::with_capacity(kind.len() + body);
        self.header.write(kind, counts, &mut out, &mut errors);
        if let Some(b) = &self.case_data {
            b.write_block(&mut out, "CASE_DATA", &mut errors);
        }
        if let Some(b) = &self.ncp_identification {
            b.write_block(&mut out, "NCP_ID", &mut errors);
        }
        if let Some(b) = &self.ncp_locate {
            b.write_block(&mut out, "NCP_LOCATE", &mut errors);
        }
        for (n, b) in self.participants.iter().enumerate() {
            b.write_block(&mut out, &format!("PARTICIPANT[{}]", n + 1), &mut errors);
        }
        for (n, b) in self.orders.iter().enumerate() {
            b.write_block(&mut out, &format!("ORDER[{}]", n + 1), &mut errors);
        }
        for (n, b) in self.collections.iter().enumerate() {
            b.write_block(&mut out, &format!("COLLECTION[{}]", n + 1), &mut errors);
        }
        if let Some(b) = &self.information {
            b.write_block(&mut out, "INFORMATION", &mut errors);
        }
        if errors.is_empty() {
            Ok(out)
        } else {
            Err(errors)
        }
    }

    /// Checks the transaction rules of the spec and returns every broken one:
    ///
    /// - the function/action/reason combination is in the catalog (§1.6): `INVALID_FAR`
    ///   (or `INVALID_CODE` for an unknown function or action);
    /// - the blocks match what the combination requires (§1.7 and the header indicator
    ///   rules of §1.3, see [`codes::requirements`]): `MISSING_BLOCK`,
    ///   `UNEXPECTED_BLOCK` at the header indicator's position;
    /// - Attachments-Ind is `Y` or `N`; with `Y`, one of Information text lines 1–3 is
    ///   filled (§1.5);
    /// - Transaction-Serial-Number ≥ 1: `INVALID_SERIAL`;
    /// - Local and Other FIPS state and county are present and the state is a valid
    ///   state FIPS code: `INVALID_FIPS` / `REQUIRED`;
    /// - Case-ID and Other-Case-ID, when not blank, follow the §1.3 character rules
    ///   (first character not a space, not all zeros, no `*` or `\`, not only spaces and
    ///   zeros): `INVALID_CASE_ID`;
    /// - the Information block's Status-Change-Code is `O` or `C` except on `MSC P
    ///   REJCT`; `MSC P REJCT` repeats the rejected transaction in text line 1 (first 24
    ///   positions not blank); `MSC P GSCAS` carries a valid New-Case-ID (§1.5).
    ///
    /// Positions are those of the record written with this transaction's header kind.
    pub fn check_rules(&self) -> Result<(), Vec<FieldError>> {
        self.check_rules_as(self.header_kind())
    }

    fn check_rules_as(&self, kind: HeaderKind) -> Result<(), Vec<FieldError>> {
        let mut errors = Vec::new();
        let h = &self.header;
        let mut err = |code: ErrorCode, field: &str, position: usize, msg: String| {
            errors.push(FieldError::new(code, field.to_owned(), position, msg));
        };
        let known_function = !matches!(h.function, FunctionCode::Other(_));
        let known_action = !matches!(h.action, ActionCode::Other(_));
        if !known_function {
            err(
                INVALID_CODE,
                "HEADER.Functional-Type-Code",
                35,
                "not one of LO1, CSI, ENF, EST, PAT, MSC, COL".into(),
            );
        }
        if !known_action {
            err(
                INVALID_CODE,
                "HEADER.Action-Code",
                34,
                "not one of R, P, A, U, C, M".into(),
            );
        }
        if known_function && known_action && !codes::is_valid_far(&h.function, &h.action, &h.reason)
        {
            err(
                INVALID_FAR,
                "HEADER.Action-Reason",
                76,
                format!(
                    "{} {} with this reason is not a valid function/action/reason combination",
                    h.function, h.action
                ),
            );
        }
        if known_function && known_action {
            let req = codes::requirements(&h.function, &h.action, &h.reason, h.has_attachments());
            let counts = self.counts();
            for kind in BlockKind::ALL {
                let rule = req.rule(kind);
                let n = counts[kind.index()];
                if n < usize::from(rule.min) {
                    err(
                        MISSING_BLOCK,
                        &format!("HEADER.{}", kind.indicator()),
                        kind.indicator_position(),
                        format!(
                            "{} {} {:?} needs at least {} {} block(s), has {n}",
                            h.function,
                            h.action,
                            h.reason,
                            rule.min,
                            kind.label()
                        ),
                    );
                } else if n > usize::from(rule.max) {
                    err(
                        UNEXPECTED_BLOCK,
                        &format!("HEADER.{}", kind.indicator()),
                        kind.indicator_position(),
                        format!(
                            "{} {} {:?} allows at most {} {} block(s), has {n}",
                            h.function,
                            h.action,
                            h.reason,
                            rule.max,
                            kind.label()
                        ),
                    );
                }
            }
        } else {
            let counts = self.counts();
            for kind in BlockKind::ALL {
                if counts[kind.index()] > usize::from(kind.max_count()) {
                    err(
                        UNEXPECTED_BLOCK,
                        &format!("HEADER.{}", kind.indicator()),
                        kind.indicator_position(),
                        format!("at most {} {} block(s)", kind.max_count(), kind.label()),
                    );
                }
            }
        }
        if h.attachments != "Y" && h.attachments != "N" {
            err(
                INVALID_CODE,
                "HEADER.Attachments-Ind",
                89,
                "must be Y or N".into(),
            );
        }
        if h.serial_number == 0 {
            err(
                INVALID_SERIAL,
                "HEADER.Transaction-Serial-Number",
                18,
                "must be at least 1".into(),
            );
        }
        for (fips, prefix, at) in [(&h.local_fips, "Local", 1), (&h.other_fips, "Other", 8)] {
            if fips.state.is_empty() {
                err(
                    ErrorCode::REQUIRED,
                    &format!("HEADER.{prefix}-FIPS-State"),
                    at,
                    "state FIPS code is blank".into(),
                );
            } else if ivd_model::StateFips::parse(&fips.state).is_err() {
                err(
                    INVALID_FIPS,
                    &format!("HEADER.{prefix}-FIPS-State"),
                    at,
                    "not a valid state FIPS code".into(),
                );
            }
            if fips.county.is_empty() {
                err(
                    ErrorCode::REQUIRED,
                    &format!("HEADER.{prefix}-FIPS-County"),
                    at + 2,
                    "county FIPS code is blank".into(),
                );
            }
        }
        for (id, name, at) in [
            (&h.case_id, "Case-ID", 46),
            (&h.other_case_id, "Other-Case-ID", 61),
        ] {
            if let Err(why) = check_case_id(id) {
                err(INVALID_CASE_ID, &format!("HEADER.{name}"), at, why.into());
            }
        }
        let is = |f: FunctionCode, a: ActionCode, r: &str| {
            h.function == f && h.action == a && h.reason == r
        };
        let rejct = is(FunctionCode::Msc, ActionCode::Provide, "REJCT");
        if let Some(info) = &self.information {
            let base = self.offset_of(kind, BlockKind::Information, 0);
            if !rejct && info.status_change_code != "O" && info.status_change_code != "C" {
                err(
                    INVALID_CODE,
                    "INFORMATION.Status-Change-Code",
                    base + 1,
                    "must be O or C".into(),
                );
            }
            if rejct
                && first_chars(&info.information_text_line_1, 24)
                    .trim()
                    .is_empty()
            {
                err(
                    ErrorCode::REQUIRED,
                    "INFORMATION.Information-Text-Line-1",
                    base + 17,
                    "MSC P REJCT repeats the rejected transaction's serial, action, function and date".into(),
                );
            }
            if is(FunctionCode::Msc, ActionCode::Provide, "GSCAS") {
                if info.new_case_id.is_empty() {
                    err(
                        ErrorCode::REQUIRED,
                        "INFORMATION.New-Case-ID",
                        base + 2,
                        "MSC P GSCAS needs the new case id".into(),
                    );
                } else if let Err(why) = check_case_id(&info.new_case_id) {
                    err(
                        INVALID_CASE_ID,
                        "INFORMATION.New-Case-ID",
                        base + 2,
                        why.into(),
                    );
                }
            }
            if h.has_attachments()
                && [
                    &info.information_text_line_1,
                    &info.information_text_line_2,
                    &info.information_text_line_3,
                ]
                .iter()
                .all(|l| l.trim().is_empty())
            {
                err(
                    ErrorCode::REQUIRED,
                    "INFORMATION.Information-Text-Line-1",
                    base + 17,
                    "with attachments, text lines 1-3 list them".into(),
                );
            }
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }
}

/// The first `n` characters of `s` (all of it when shorter), borrowed.
fn first_chars(s: &str, n: usize) -> &str {
    match s.char_indices().nth(n) {
        Some((end, _)) => s.get(..end).unwrap_or(s),
        None => s,
    }
}

/// The Case-ID character rules of §1.3, for a non-blank id (a blank id passes: whether
/// one is required depends on the transaction).
pub fn check_case_id(id: &str) -> Result<(), &'static str> {
    if id.trim().is_empty() {
        return Ok(());
    }
    if id.starts_with(' ') {
        return Err("first character is a space");
    }
    if id.contains('*') || id.contains('\\') {
        return Err("contains '*' or '\\'");
    }
    if id.chars().all(|c| c == '0' || c == ' ') {
        return Err("only zeros (and spaces)");
    }
    Ok(())
}

/// Reads the seven indicator digits (positions 90–96).
fn read_indicators(record: &[u8], errors: &mut Vec<FieldError>) -> Option<[usize; 7]> {
    let Some(digits) = record.get(89..96) else {
        errors.push(FieldError::record_level(
            ErrorCode::LENGTH,
            format!(
                "record is {} bytes; a transaction has at least a 121-byte header",
                record.len()
            ),
        ));
        return None;
    };
    let mut counts = [0usize; 7];
    for (kind, &b) in BlockKind::ALL.iter().zip(digits) {
        // Named only on the error paths: a valid record formats nothing.
        let field = || format!("HEADER.{}", kind.indicator());
        let at = kind.indicator_position();
        if !b.is_ascii_digit() {
            errors.push(
                FieldError::new(
                    ErrorCode::NOT_NUMERIC,
                    field(),
                    at,
                    "block indicator must be a digit",
                )
                .with_bad_bytes(&[b]),
            );
            continue;
        }
        let n = usize::from(b - b'0');
        if n > usize::from(kind.max_count()) {
            errors.push(
                FieldError::new(BAD_INDICATOR, field(), at, "indicator must be 0 or 1")
                    .with_bad_bytes(&[b]),
            );
            continue;
        }
        counts[kind.index()] = n;
    }
    errors.is_empty().then_some(counts)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Every committed transaction sample, one record each.
    fn sample_records() -> Vec<Vec<u8>> {
        let files: [&[u8]; 12] = [
            include_bytes!("../samples/check-one-invalid.txt"),
            include_bytes!("../samples/col-tax-offset-inbound.txt"),
            include_bytes!("../samples/csi-request-outbound.txt"),
            include_bytes!("../samples/csi-response-inbound.txt"),
            include_bytes!("../samples/enf-request-outbound.txt"),
            include_bytes!("../samples/est-request-inbound.txt"),
            include_bytes!("../samples/incoming-batch.txt"),
            include_bytes!("../samples/lo1-request-outbound.txt"),
            include_bytes!("../samples/lo1-response-inbound.txt"),
            include_bytes!("../samples/msc-reject-outbound.txt"),
            include_bytes!("../samples/outgoing-batch.txt"),
            include_bytes!("../samples/pat-request-inbound.txt"),
        ];
        files
            .iter()
            .flat_map(|f| crate::split_transactions(f))
            .map(<[u8]>::to_vec)
            .collect()
    }

    /// The fast and the checked field reads agree: same transaction or same errors
    /// (codes, fields, positions, messages).
    fn assert_same(record: &[u8]) {
        let fast = Transaction::parse_fields_with(record, true, false);
        let checked = Transaction::parse_fields_with(record, false, false);
        assert_eq!(fast, checked);
    }

    #[test]
    fn fast_reads_agree_with_checked_reads_on_every_sample() {
        let records = sample_records();
        assert!(records.len() > 10);
        for record in &records {
            assert_same(record);
        }
    }

    #[test]
    fn a_blank_transaction_date_is_rejected_with_its_own_error() {
        // The fast path once took the blank as "no date" and rejected the record with
        // no error at all.
        for fill in [b' ', b'0'] {
            let mut record = sample_records().remove(1);
            record[37..45].fill(fill);
            let errors = Transaction::parse(&record).expect_err("the date is required");
            assert_eq!(errors.len(), 1, "{errors:?}");
            assert_eq!(errors[0].field, "HEADER.Transaction-Date");
            assert_eq!(errors[0].position, Some(38));
            assert_same(&record);
        }
    }

    /// Bytes that stress every codec: padding, zeros (blank dates), digits, letters,
    /// signs, the characters Case-IDs refuse, and non-printable and non-ASCII bytes.
    fn replacement_byte() -> impl Strategy<Value = u8> {
        prop::sample::select(vec![
            b' ', b' ', b'0', b'0', b'1', b'2', b'3', b'9', b'A', b'Z', b'-', b'*', b'\\', 0x00,
            0x09, 0x7F, 0x80, 0xC3, 0xA9, 0xFF,
        ])
    }

    proptest! {
        /// Samples with a few bytes replaced anywhere, header included: whatever the
        /// bytes, the fast path gives exactly what the checked reads give.
        #[test]
        fn fast_reads_agree_with_checked_reads_on_mutated_samples(
            pick in any::<prop::sample::Index>(),
            edits in prop::collection::vec((any::<prop::sample::Index>(), replacement_byte()), 1..8),
        ) {
            let records = sample_records();
            let mut record = pick.get(&records).clone();
            for (at, byte) in edits {
                let i = at.index(record.len());
                record[i] = byte;
            }
            assert_same(&record);
        }

        /// Whole fields rewritten: a run of one byte (all spaces, all zeros, all digits)
        /// or a date-like run, to reach the blank and valid paths of every codec.
        #[test]
        fn fast_reads_agree_with_checked_reads_on_rewritten_runs(
            pick in any::<prop::sample::Index>(),
            at in any::<prop::sample::Index>(),
            len in 1usize..30,
            fill in prop_oneof![
                replacement_byte().prop_map(|b| vec![b]),
                Just(b"20240229".to_vec()),
                Just(b"20230229".to_vec()),
                Just(b"19991301".to_vec()),
                Just(b"-0000001234".to_vec()),
                Just(b"235960".to_vec()),
            ],
        ) {
            let records = sample_records();
            let mut record = pick.get(&records).clone();
            let start = at.index(record.len());
            for (k, slot) in record.iter_mut().skip(start).take(len).enumerate() {
                *slot = fill[k % fill.len()];
            }
            assert_same(&record);
        }
    }
}
