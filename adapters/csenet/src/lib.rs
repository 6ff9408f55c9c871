//! # ivd-csenet — CSENet 2000 interstate transactions
//!
//! CSENet is the OCSS network through which state child-support systems exchange
//! interstate cases: quick locates (`LO1`), case status (`CSI`), enforcement (`ENF`),
//! establishment (`EST`), paternity (`PAT`), case management (`MSC`) and collections
//! (`COL`). This crate parses, validates, translates and writes those transactions. It is
//! pure: bytes and model values in, bytes and model values out; no I/O.
//!
//! ## Main types
//!
//! * [`Transaction`] — one record: a [`Header`] and the data blocks its indicators
//!   announce ([`CaseData`], [`NcpIdentification`], [`NcpLocate`], up to nine
//!   [`Participant`]s, [`Order`]s and [`Collection`]s, and [`Information`]).
//!   [`Transaction::parse`] / [`Transaction::write`]; [`Transaction::check_rules`].
//! * [`layout`] — every block's table, declared once and used by reader and writer.
//! * [`codes`] — function, action and reason codes, the valid combinations (§1.6) and
//!   the blocks each one requires (§1.7).
//! * [`read_transactions`] — a data set read one transaction at a time;
//!   [`transaction_verdicts`] / [`server_error_verdicts`] — the per-record `check` contract.
//! * [`ServerError`] — the 145-byte records of the Invalid Transactions data set.
//! * [`icr`] — the Interstate Case Reconciliation State Extract File record (one per
//!   participant of an interstate case) and the ICR reason codes.
//! * [`translate`] — inbound transactions to an [`translate::InterstateCase`] of model
//!   values, and outbound transactions from an [`ivd_model::Case`], always redacted.
//! * [`acknowledgment`] — which acknowledgment a received transaction calls for, and the
//!   deadlines a transaction starts.
//!
//! ## The decision that matters
//!
//! **The header kind is decided by the length rule, and the point of view is never
//! swapped.** A record carries no "direction" field: its length is the header (127 bytes
//! outbound, 121 inbound) plus the blocks the indicators announce, so the parser tries
//! both and anything else is a `LENGTH` error. Inbound records arrive with Local/Other
//! already swapped by the server, so `Header::local_fips` and `Header::case_id` always
//! mean *us*; swapping again would send our answer to ourselves.
//!
//! Errors carry block-qualified field names and positions in the whole record
//! (`PARTICIPANT[2].SSN` at 1059), never field content.
//!
//! ## JSON form
//!
//! [`Transaction`] and everything in it implement serde `Serialize` and `Deserialize`;
//! [`translate::InterstateCase`] implements `Serialize`. The rules:
//!
//! * field names are camelCase (`caseData`, `ncpLocate`, `nameLast`, `dateOfBirth`);
//! * function and action codes are their strings (`"LO1"`, `"R"`); unknown codes are
//!   kept verbatim (and refused when written);
//! * text and digit fields are strings exactly as held (digit fields keep every digit:
//!   `"000123456"`); FIPS codes are `{"state", "county", "sub"}` objects;
//! * dates are `"YYYY-MM-DD"` (the model's convention), header times `"HH:MM:SS"`;
//! * amounts are [`ivd_model::Money`] strings with two decimals (`"1234.56"`, `"-5.00"`),
//!   never JSON numbers: the rule of the canonical case JSON, so no float slips in;
//! * a blank value (empty text, no date, no amount, absent block, no participants) is
//!   left out, and a missing field reads as blank;
//! * the header's `tail` is tagged with the header kind (`{"kind": "outbound", …}` or
//!   `{"kind": "inbound", …}`), so the JSON keeps the kind the record had;
//! * unknown fields are refused; deserialization errors never quote a value.
//!
//! Block indicators are not in the JSON: they follow from the blocks present. Parsing a
//! record, serializing, deserializing and writing with the same header kind gives back
//! the record's bytes.
//!
//! ## Example
//!
//! ```
//! use ivd_csenet::{FunctionCode, HeaderKind, Transaction};
//!
//! let file = include_bytes!("../samples/lo1-response-inbound.txt");
//! let record = file.strip_suffix(b"\n").unwrap();
//!
//! let t = Transaction::parse(record).map_err(|e| e[0].to_string())?;
//! assert_eq!(t.header_kind(), HeaderKind::Inbound);
//! assert_eq!(t.header.function, FunctionCode::Lo1);
//! assert_eq!(t.header.reason, "LSADR");
//! assert_eq!(t.header.local_fips.code(), "2712300"); // us: the server swapped already
//! assert!(t.ncp_locate.is_some());
//!
//! // Written back with the same header kind: byte-identical.
//! assert_eq!(t.write(HeaderKind::Inbound).map_err(|e| e[0].to_string())?, record);
//!
//! // The check contract, one JSON line per record.
//! let line = ivd_csenet::transaction_verdicts(file).next().unwrap().to_json_line();
//! assert_eq!(line, r#"{"record": 1, "status": "valid", "errors": []}"#);
//! # Ok::<(), String>(())
//! ```
#![deny(missing_docs)]

pub mod acknowledgment;
mod check;
mod codec;
pub mod codes;
pub mod icr;
mod json;
pub mod layout;
mod server_error;
mod transaction;
pub mod translate;

/// The string type of every text and digit field of a [`Transaction`]: a value of up to
/// 24 bytes (every digit field and most text fields) is held inline, without an
/// allocation. It dereferences to `&str` and compares with `&str` and `String`.
pub use compact_str::CompactString;

pub use check::{
    read_transactions, server_error_verdicts, split_transactions, transaction_verdicts,
};
pub use codes::{ActionCode, BlockKind, FunctionCode};
pub use layout::{
    CaseData, Collection, Information, NcpIdentification, NcpLocate, Order, Participant,
};
pub use server_error::{ServerError, ServerErrorCode, Severity};
pub use transaction::{
    BAD_INDICATOR, BAD_TIME, FipsCode, Header, HeaderKind, HeaderTail, INVALID_CASE_ID,
    INVALID_CODE, INVALID_FAR, INVALID_FIPS, INVALID_SERIAL, InboundTail, MISSING_BLOCK,
    OutboundTail, Transaction, UNEXPECTED_BLOCK, check_case_id,
};
