//! The Transaction Header: its two kinds (outbound 127 bytes, inbound 121 bytes, IGD
//! Charts C-3 and C-4), its fields, and how it is read and written (see the parent
//! module).

use super::*;

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
    pub(super) fn read(
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

    pub(super) fn write(
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
