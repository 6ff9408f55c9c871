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

mod header;

pub use header::{FipsCode, Header, HeaderKind, HeaderTail, InboundTail, OutboundTail};

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
