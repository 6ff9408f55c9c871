//! # ivd-fidm — Financial Institution Data Match files, both methods
//!
//! States must match their obligors against the accounts of every financial institution
//! (FI) doing business in the state, quarterly (42 USC 666(a)(17)). This crate is the
//! pure adapter for the files of that exchange (`README.md` has every layout with its
//! \[V\]/\[I\]/\[P\] status and the public sources):
//!
//! * **Method 1, all accounts** — the FI sends an `A` record (itself), one `B` record per
//!   open account ([`Account`]) and a `T` record (the count); later quarters may bring an
//!   *account update file* of opened, closed and changed accounts only. [`read_accounts`]
//!   streams such a file — a million records in constant memory — and
//!   [`write_accounts`] writes one.
//! * **Method 2, matched accounts** — the state sends an *inquiry file* (`D`, one `I` per
//!   person, `T`; 99 bytes each; [`write_inquiry_file`]), the FI answers with a *match
//!   file* (`A`, one `B` per matched account, `T`; [`read_match_file`]).
//! * **Checking** — [`account_verdicts`], [`inquiry_verdicts`], [`match_verdicts`]: one
//!   [`RecordVerdict`] per physical record, for `ivd-gateway check`.
//! * **Test data** — [`generate`] writes synthetic all-accounts files of any size, with
//!   chosen SSNs planted at chosen positions.
//!
//! ## The decision that matters
//!
//! **Every record is declared once, as a static `ivd_fixed::Layout` ([`layouts`]), and
//! every writer reads back what it wrote before writing it**: the reader and the writer
//! cannot disagree on a position, and nothing leaves the gateway that the gateway would
//! refuse coming in. Much of the format was never seen in a federal source — the A/B/T
//! record length, the Method 1 file indicator values, the account-type position, the
//! Method 2 B record from position 358, the T record — and those rows are provisional
//! (\[P\]) choices, marked in [`layouts`] and `README.md`, to be checked against the OCSS
//! handbook before production (§F.7). Changing one is a one-line change to a table.
//!
//! All three readers share one streaming engine: one record in memory at a time, a bad
//! record costs only itself, the trailer's count is checked against the detail records
//! (`TRAILER_COUNT`), and a missing header or trailer is reported on the record where it
//! is noticed. Files may be ASCII or EBCDIC (code page 037), with or without line
//! terminators.
//!
//! ## Privacy
//!
//! FIDM data is FPLS data (42 USC 653(m)) and sensitive financial PII (§D.2). Errors say
//! where and what — record, field, position, code — never the value. `Debug` of
//! [`Account`], [`Match`] and [`Inquiry`] prints only codes, the masked SSN and the last
//! four characters of the account number.
//!
//! ## Example
//!
//! ```
//! use ivd_fidm::{Encoding, Inquiry, MatchFlag, read_match_file, write_inquiry_file};
//!
//! // The state asks: does this person have an account with you?
//! let who = Inquiry {
//!     ssn: "123456789".parse()?,
//!     last_name: "LANTERN".into(),
//!     first_name: "MAPLE".into(),
//!     passback: "CSE0000000101".into(),
//!     fips: "20000".into(),
//! };
//! let inquiry = write_inquiry_file((2026, 3), &[who], Encoding::Ebcdic037)?;
//! assert_eq!(inquiry.len(), 3 * 99);
//!
//! // The bank answers with a match file (a committed synthetic sample).
//! let answer = read_match_file(include_bytes!("../samples/match.txt"), Encoding::Ascii);
//! assert!(answer.is_valid(), "{:?}", answer.verdicts);
//! assert_eq!(answer.institution.as_ref().unwrap().name, "PRAIRIE SAVINGS BANK");
//! let m = &answer.matches[0];
//! assert_eq!((m.passback.as_str(), m.match_flag), ("CSE0000000101", Some(MatchFlag::NameMatches)));
//! // Debug never shows the SSN, the names or the balance.
//! assert!(!format!("{m:?}").contains(m.ssn.expose()));
//!
//! // Written back with the same layouts: byte-identical.
//! let again = ivd_fidm::write_match_file_with(
//!     answer.institution.as_ref().unwrap(),
//!     &answer.matches,
//!     Encoding::Ascii,
//!     ivd_fidm::Framing::Lf,
//! )?;
//! assert_eq!(&again[..], &include_bytes!("../samples/match.txt")[..]);
//!
//! // A per-record verdict, as `ivd-gateway check` prints it.
//! let mut bad = include_bytes!("../samples/match.txt").to_vec();
//! bad[501 + 14] = b'X'; // the first B record's SSN (positions 15-23)
//! let line = ivd_fidm::match_verdicts(&bad, Encoding::Ascii).nth(1).unwrap().to_json_line();
//! assert_eq!(
//!     line,
//!     r#"{"record": 2, "status": "invalid", "errors": [{"field": "ssn", "position": 15, "code": "SSN_FORMAT", "message": "SSN must be 9 digits"}]}"#
//! );
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![deny(missing_docs)]

mod accounts;
pub mod codes;
mod engine;
mod framing;
pub mod generate;
mod inquiry;
pub mod layouts;
mod matches;
mod records;
mod rules;
mod types;
mod write;

pub use accounts::{
    AccountOutcome, AccountReader, AccountWriter, account_verdicts, read_accounts, write_accounts,
};
pub use inquiry::{
    InquiryFile, inquiry_verdicts, read_inquiry_file, write_inquiry_file, write_inquiry_file_with,
};
pub use ivd_fixed::{Encoding, FieldError, Framing, RecordVerdict};
pub use ivd_model::{BirthDate, Fein, Ssn};
pub use matches::{
    MatchFile, match_verdicts, read_match_file, write_match_file, write_match_file_with,
};
pub use types::{
    Account, AccountStatus, AccountType, BalanceIndicator, FileIndicator, Inquiry, Institution,
    Match, MatchFlag, PayeeIndicator, PostalAddress, TrustFund, UpdateIndicator, name_control,
};
pub use write::WriteError;
