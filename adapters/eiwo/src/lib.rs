//! # ivd-eiwo — electronic Income Withholding Orders (e-IWO)
//!
//! States send income withholding orders to employers through the OCSS e-IWO portal, and
//! employers answer each one with an acknowledgment (spec §1). This crate reads and writes
//! both flat-file formats and builds an IWO from the canonical case. It is pure: bytes and
//! model values in, bytes and model values out; no I/O, no clock.
//!
//! ## Main types
//!
//! * [`Iwo`] — one order (`DTL` record, Chart D-3), built by [`iwo_from_case`] from an
//!   [`ivd_model::Case`] and an [`IwoContext`]; written into a file by
//!   [`write_iwo_file`] / [`IwoFileWriter`], read by [`read_iwo_file`] (as the employer).
//! * [`Acknowledgment`] — one employer answer (`ACK` record, Chart D-4) with its
//!   [`Disposition`]; [`read_acknowledgments`] → [`AckFile`], [`write_acknowledgments`],
//!   and [`acknowledgment_verdicts`], the per-record contract of `ivd-gateway check eiwo-ack`.
//! * [`FileHeaderInfo`] — the universal header (Chart D-1); trailers (D-2) are written
//!   with the counts and checked on read.
//! * [`layout`] — every record type's table, declared once for reader and writer, with
//!   each row marked verified (\[V2\]) or proposed (\[P\]); see the crate's `README.md`.
//! * [`codes`] — document actions, frequencies, disposition statuses and reasons, and
//!   the error codes (the portal's envelope codes `RCT`, `BCT`, `DOC`, `REC`, …).
//!
//! ## The decision that matters
//!
//! **The envelope is validated before any record is believed, and the IWO cannot say
//! where the custodial family lives.** Reading a file checks header first, trailers
//! present, batch and record counts and control numbers (errors with the portal's codes),
//! then checks each detail record on its own: a bad record never stops the good ones, and
//! a broken envelope rejects the file whole. On the way out, [`Iwo`] has no field for any
//! address, phone or employer of a case participant: the obligee is a name, payment goes
//! to the SDU. Family-violence protection therefore holds by construction, and a property
//! test proves it on generated protected cases.
//!
//! Control numbers (22 characters, unique forever, §1.2) are the caller's: the gateway
//! derives them from its own sequence and never reuses one, not even on a retry.
//!
//! No error message, `Display` or `Debug` contains an SSN or a name: errors name the
//! record, field and position; personal values are model newtypes that print masked.
//!
//! ## Example
//!
//! ```
//! use ivd_eiwo::{AckAction, DispositionReason, DispositionStatus, read_acknowledgments};
//!
//! let file = include_bytes!("../samples/ack-accepts-and-rejects.txt");
//! let acks = read_acknowledgments(file);
//! assert!(acks.is_envelope_valid());
//! assert_eq!(acks.file_control, "27ACK00000000000000001");
//! let rejected = &acks.acknowledgments[1];
//! assert_eq!(rejected.action, AckAction::Original);
//! assert_eq!(rejected.disposition.status, DispositionStatus::Rejected);
//! assert_eq!(rejected.disposition.reason, Some(DispositionReason::NoLongerEmployed));
//! assert_eq!(format!("{:?}", rejected.employee_ssn), "Some(Ssn(***-**-6789))");
//!
//! // Written back with the same header and batches: byte-identical.
//! let header = acks.header.clone().expect("valid header");
//! let batch = ivd_eiwo::AckBatch {
//!     control_number: "27ACB00000000000000001".into(),
//!     fein: acks.fein.clone().unwrap(),
//!     acknowledgments: acks.acknowledgments.clone(),
//! };
//! assert_eq!(ivd_eiwo::write_acknowledgments(&header, &[batch]).unwrap(), file);
//!
//! // The check contract: one JSON line per record of the file.
//! let line = ivd_eiwo::acknowledgment_verdicts(file).nth(2).unwrap().to_json_line();
//! assert_eq!(line, r#"{"record": 3, "status": "valid", "errors": []}"#);
//! ```
#![deny(missing_docs)]

mod ack;
pub mod codes;
mod envelope;
mod fields;
mod from_case;
mod iwo;
mod iwo_file;
pub mod layout;

pub use ack::{
    AckBatch, AckFile, Acknowledgment, NcpAddress, NewEmployer, acknowledgment_verdicts,
    read_acknowledgments, write_acknowledgments,
};
pub use codes::{
    AckAction, Disposition, DispositionReason, DispositionStatus, DocumentAction, Frequency,
};
pub use envelope::{CONTROL_NUMBER_LEN, FileHeaderInfo, FileKind, check_control_number};
pub use fields::WriteError;
pub use from_case::{IwoContext, IwoError, iwo_from_case};
pub use iwo::{
    Deductions, IssuingOfficial, Iwo, IwoChild, IwoEmployee, IwoEmployer, MAX_CHILDREN, Periodic,
    PostalAddress, Remittance, StateContact, SupportAmounts, WithholdingTerms,
};
pub use iwo_file::{IwoBatch, IwoFile, IwoFileWriter, iwo_verdicts, read_iwo_file, write_iwo_file};
