//! # ivd-offset — Federal Tax Refund Offset (state ↔ OCSE)
//!
//! The state certifies obligors with past-due support to OCSE every week; OCSE passes
//! them to Treasury (tax refund and administrative offset) and the Department of State
//! (passport denial), and sends back rejects, collections and, now and then, a full
//! reconciliation file (the OCSS FCE User Guide; `README.md` lists the sources). This crate is that exchange as
//! pure functions: bytes and values in, bytes and values out; no I/O, no clock.
//!
//! ## Main types
//!
//! * [`Certification`] — one obligor's debt of one [`CaseType`], keyed by
//!   [`OffsetKey`] (state, SSN, case type), as the state *wants* it certified or as it
//!   *is* certified. [`certifications_from_case`] builds the wanted ones from an
//!   [`ivd_model::Case`].
//! * [`plan_cycle`] — the weekly cycle: the [`Submission`]s (E-1 transactions, one
//!   [`TransactionType`] each) that take the federal master file from what is certified
//!   to what is wanted; [`apply`] records an accepted one.
//! * [`write_submission_file`] / [`read_submission_file`] — the Case Submission and
//!   Update File (E-1 records + E-2 control totals).
//! * OCSE's answers: [`read_rejects`] ([`Reject`] with [`RejectCode`]s, F-2 counts),
//!   [`read_collections`] ([`Collection`], F-5 totals), [`read_reconciliation`]
//!   ([`ReconRecord`], `RCT` totals) and [`reconcile`] ([`Discrepancy`] with its
//!   corrective submission). Each has a writer, so tests and demos can play OCSE, and a
//!   `*_verdicts` function for `ivd-gateway check`.
//! * [`layout`] — every record declared once as an [`ivd_fixed::Layout`], each row
//!   tagged verified (`[V]`, `[V-KS]`) or inferred / proposed (`[I]`, `[P]`); the
//!   README has the same tables.
//!
//! ## The decision that matters
//!
//! **The state's side is a difference, not a log.** The gateway never composes E-1
//! transactions by hand: it states what it wants certified and what it recorded as
//! certified, and [`plan_cycle`] computes the transactions (adds only at or above the
//! $150 / $500 thresholds, deletes at zero, one B per person, an SSN change as a delete
//! then an add), in a fixed order, so the same inputs always give the same file. Applying
//! the accepted transactions and planning again gives nothing, and [`reconcile`] uses the
//! same vocabulary to correct drift against OCSE's own file.
//!
//! Files are EBCDIC (CP037), 245-byte records with no line terminators ([`DEFAULT_ENCODING`]);
//! the readers also take ASCII, with or without `\n` / `\r\n`. Readers never fail: each
//! record gets a verdict, and control-record mismatches are file errors.
//!
//! ## Privacy
//!
//! SSNs ([`OffsetSsn`], which also admits the ITINs the E-1 allows) and names print
//! masked in every `Debug` and `Display`; errors name record, field, position and code,
//! never a value. Collection data is Federal Tax Information (spec §D.1): the gateway
//! must label and guard it.
//!
//! ## Example
//!
//! ```
//! use ivd_offset::{Encoding, TransactionType, read_submission_file, write_submission_file};
//!
//! // A committed sample (ASCII, one record per line): five E-1 records and the E-2.
//! let file = include_bytes!("../samples/submission.txt");
//! let read = read_submission_file(file, Encoding::Ascii);
//! assert!(read.is_valid());
//! let add = &read.submissions[0];
//! assert_eq!(add.transaction, TransactionType::Add);
//! assert_eq!(add.key().to_string(), "KS ***-**-6789 TANF"); // masked
//! assert!(!format!("{add:?}").contains("SAMPLE"));          // names too
//! assert_eq!(read.control.as_ref().unwrap().tanf_count, 3);
//!
//! // Written back: the same bytes; and in EBCDIC, as OCSE wants it.
//! assert_eq!(write_submission_file("KS", &read.submissions, Encoding::Ascii).unwrap(), file);
//! let ebcdic = write_submission_file("KS", &read.submissions, Encoding::Ebcdic037).unwrap();
//! assert_eq!(ebcdic.len(), 6 * 245);
//! assert_eq!(read_submission_file(&ebcdic, Encoding::Ebcdic037).submissions, read.submissions);
//!
//! // The check contract: one JSON line per record.
//! let line = ivd_offset::submission_verdicts(file, Encoding::Ascii).next().unwrap();
//! assert_eq!(line.to_json_line(), r#"{"record": 1, "status": "valid", "errors": []}"#);
//! ```
#![deny(missing_docs)]

pub mod codes;
mod collections;
mod fields;
mod from_case;
pub mod layout;
mod plan;
mod recon;
mod rejects;
mod ssn;
mod submission;

pub use codes::{CaseType, Exclusion, REJECT_CODES, RejectCode, TransactionType};
pub use collections::{
    Collection, CollectionControl, CollectionFile, collection_verdicts, read_collections,
    write_collections,
};
pub use fields::WriteError;
pub use from_case::certifications_from_case;
pub use ivd_fixed::{Encoding, FieldError, RecordVerdict};
pub use plan::{Thresholds, apply, merge_certifications, plan_cycle};
pub use recon::{
    Discrepancy, DiscrepancyKind, ReconControl, ReconFile, ReconRecord, read_reconciliation,
    reconcile, reconciliation_verdicts, write_reconciliation,
};
pub use rejects::{
    Reject, RejectControl, RejectFile, read_rejects, reject_verdicts, write_rejects,
};
pub use ssn::{OffsetSsn, SsnFormatError, TaxIdKind};
pub use submission::{
    Certification, OffsetAddress, OffsetKey, Submission, SubmissionControl, SubmissionFile,
    read_submission_file, submission_verdicts, write_submission_file,
};

/// The encoding of the federal files: EBCDIC code page 037 (spec §A.0 \[V\], code page
/// \[I\]: confirm with OCSS).
pub const DEFAULT_ENCODING: Encoding = Encoding::Ebcdic037;
