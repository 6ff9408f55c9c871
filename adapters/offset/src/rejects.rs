//! OCSE's Rejected Case Submission and Update File: F-1 records (the submitted record
//! echoed, with up to six error or warning codes) and the F-2 `CTL` control record.

use std::fmt;

use ivd_fixed::{Encoding, FieldError, RecordVerdict};
use serde::{Deserialize, Serialize};

use crate::codes::{CaseType, RejectCode, TransactionType, error};
use crate::fields::{
    ControlledFile, FieldReader, FieldWriter, WriteError, at, is_ctl, mask, read_control, state_ok,
    write_controlled,
};
use crate::layout::{F1, F1_ERROR_CODES, F2};
use crate::submission::{OffsetKey, Submission, SubmissionControl, read_e1_parts};

/// One F-1 record: a submission OCSE rejected, or accepted with a warning.
///
/// Positions 1–49 are verified in the chart, 50–139 (the rest of the echo, the
/// exclusions, the error codes and the name control) in the Kansas record definition (see
/// [`crate::layout::F1`]). `Debug` masks the SSN and names.
#[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Reject {
    /// 1-based record number in the file (0 for a reject built to be written).
    #[serde(default)]
    pub record: u64,
    /// State, SSN, case type of the submission.
    pub key: OffsetKey,
    /// Local code echoed.
    #[serde(default)]
    pub local_code: String,
    /// Case id echoed.
    #[serde(default)]
    pub case_id: String,
    /// Last name echoed.
    #[serde(default)]
    pub last_name: String,
    /// First name echoed.
    #[serde(default)]
    pub first_name: String,
    /// Amount echoed, whole dollars.
    #[serde(default)]
    pub arrears_dollars: u64,
    /// The transaction type, `None` when blank or not a known code (OCSE error 07).
    pub transaction: Option<TransactionType>,
    /// Error and warning codes, in record order (1 to 6).
    pub codes: Vec<RejectCode>,
}

impl Reject {
    /// The reject OCSE would send for `submission` (to play OCSE in tests and demos).
    pub fn for_submission(submission: &Submission, codes: &[&str]) -> Self {
        let c = &submission.certification;
        Reject {
            record: 0,
            key: c.key.clone(),
            local_code: if submission.transaction.uses_local_code() {
                c.local_code.clone()
            } else {
                String::new()
            },
            case_id: c.case_id.clone(),
            last_name: c.last_name.clone(),
            first_name: c.first_name.clone(),
            arrears_dollars: if submission.transaction.uses_amount() {
                c.arrears_dollars
            } else {
                0
            },
            transaction: Some(submission.transaction),
            codes: codes.iter().map(|c| RejectCode::new(c)).collect(),
        }
    }

    /// Whether the submission was rejected (at least one code is not a warning). A
    /// record with warnings only was accepted.
    pub fn is_rejected(&self) -> bool {
        self.codes.iter().any(|c| !c.warning)
    }

    /// The F-1 record (ASCII).
    pub fn to_record(&self) -> Result<Vec<u8>, FieldError> {
        if self.codes.is_empty() || self.codes.len() > 6 {
            return Err(at(
                &F1,
                "ERROR_CODE_1",
                error::NO_REJECT_CODE,
                "a reject carries 1 to 6 codes".into(),
            ));
        }
        if !state_ok(&self.key.state) {
            return Err(at(
                &F1,
                "STATE_CODE",
                error::INVALID_STATE,
                "not a USPS state code".into(),
            ));
        }
        let mut w = FieldWriter::new(&F1);
        w.text("STATE_CODE", &self.key.state)
            .text("LOCAL_CODE", &self.local_code)
            .text("SSN", self.key.ssn.expose())
            .text("CASE_ID", &self.case_id)
            .text("LAST_NAME", &self.last_name)
            .text("FIRST_NAME", &self.first_name)
            .number("ARREARAGE_AMOUNT", self.arrears_dollars)
            .text(
                "TRANSACTION_TYPE",
                self.transaction.map_or(" ", TransactionType::code),
            )
            .text("CASE_TYPE", self.key.case_type.code())
            .number("PROCESS_YEAR", 0);
        for (name, code) in F1_ERROR_CODES.iter().zip(&self.codes) {
            if code.code.len() != 2 || code.code.starts_with(' ') {
                return Err(at(
                    &F1,
                    name,
                    ivd_fixed::ErrorCode::TOO_LONG,
                    "a reject code is 2 characters".into(),
                ));
            }
            w.text(name, &code.code);
        }
        w.finish()
    }

    /// Reads one F-1 record (ASCII).
    pub fn from_record(record_number: u64, record: &[u8]) -> Result<Reject, Vec<FieldError>> {
        let rec = F1.read(record).map_err(|e| vec![e])?;
        let mut r = FieldReader::new(rec);
        let (parts, _, case_type) = read_e1_parts(&mut r, false);
        // The echoed transaction type may be the invalid one OCSE rejects (error 07).
        let transaction = rec
            .text("TRANSACTION_TYPE")
            .ok()
            .and_then(TransactionType::from_code);
        let mut errors: Vec<FieldError> = r
            .take_errors()
            .into_iter()
            .filter(|e| e.field != "TRANSACTION_TYPE")
            .collect();
        let mut codes = Vec::new();
        for name in F1_ERROR_CODES {
            let c = r.text(name);
            if !c.is_empty() {
                codes.push(RejectCode::new(c));
            }
        }
        let _ = r.text("NAME_CONTROL");
        errors.extend(r.finish());
        if codes.is_empty() {
            errors.push(at(
                &F1,
                "ERROR_CODE_1",
                error::NO_REJECT_CODE,
                "a reject record carries at least one code".into(),
            ));
        }
        errors.sort_by_key(|e| e.position);
        match case_type {
            Some(case_type) if errors.is_empty() => Ok(Reject {
                record: record_number,
                key: OffsetKey::new(&parts.state, parts.ssn, case_type),
                local_code: parts.local,
                case_id: parts.case_id,
                last_name: parts.last,
                first_name: parts.first,
                arrears_dollars: parts.amount,
                transaction,
                codes,
            }),
            _ => Err(errors),
        }
    }
}

impl fmt::Debug for Reject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Reject")
            .field("record", &self.record)
            .field("key", &self.key)
            .field("local_code", &self.local_code)
            .field("case_id", &self.case_id)
            .field("last_name", &mask(&self.last_name))
            .field("first_name", &mask(&self.first_name))
            .field("arrears_dollars", &self.arrears_dollars)
            .field("transaction", &self.transaction)
            .field("codes", &self.codes)
            .finish()
    }
}

/// The F-2 `CTL` record (every position verified): accepted, rejected and warning counts
/// per case type.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RejectControl {
    /// Submitting state.
    pub state: String,
    /// TANF records accepted (warnings included, \[I\]).
    pub tanf_accepted: u64,
    /// TANF records rejected.
    pub tanf_rejected: u64,
    /// Non-TANF records accepted.
    pub non_tanf_accepted: u64,
    /// Non-TANF records rejected.
    pub non_tanf_rejected: u64,
    /// TANF records accepted with a warning.
    pub tanf_warning: u64,
    /// Non-TANF records accepted with a warning.
    pub non_tanf_warning: u64,
}

impl RejectControl {
    /// The control record OCSE would write for `rejects`, given how many records of each
    /// case type it accepted. A record is *rejected* when it has an error code and a
    /// *warning* when it has warning codes only (\[I\]).
    pub fn tally(
        state: &str,
        rejects: &[Reject],
        tanf_accepted: u64,
        non_tanf_accepted: u64,
    ) -> Self {
        let mut c = RejectControl {
            state: state.to_owned(),
            tanf_accepted,
            non_tanf_accepted,
            ..RejectControl::default()
        };
        for r in rejects {
            let rejected = r.is_rejected();
            match (r.key.case_type, rejected) {
                (CaseType::Tanf, true) => c.tanf_rejected += 1,
                (CaseType::Tanf, false) => c.tanf_warning += 1,
                (CaseType::NonTanf, true) => c.non_tanf_rejected += 1,
                (CaseType::NonTanf, false) => c.non_tanf_warning += 1,
            }
        }
        c
    }

    /// Checks the counts against what the state sent (its E-2): accepted + rejected per
    /// case type must equal the records sent (spec §E.5). Errors name the F-2 field.
    pub fn check_against(&self, sent: &SubmissionControl) -> Vec<FieldError> {
        let mut errors = Vec::new();
        let pairs = [
            (
                "TANF_ACCEPTED",
                self.tanf_accepted + self.tanf_rejected,
                sent.tanf_count,
            ),
            (
                "NON_TANF_ACCEPTED",
                self.non_tanf_accepted + self.non_tanf_rejected,
                sent.non_tanf_count,
            ),
        ];
        for (field, answered, sent) in pairs {
            if answered != sent {
                errors.push(at(
                    &F2,
                    field,
                    error::COUNT_MISMATCH,
                    format!("OCSE answered {answered} records, the state sent {sent}"),
                ));
            }
        }
        if self.state != sent.state {
            errors.push(at(
                &F2,
                "STATE_CODE",
                error::STATE_MISMATCH,
                "not the state of the submission file".into(),
            ));
        }
        errors
    }

    fn to_record(&self) -> Result<Vec<u8>, FieldError> {
        let mut w = FieldWriter::new(&F2);
        w.text("STATE_CODE", &self.state)
            .number("TANF_ACCEPTED", self.tanf_accepted)
            .number("TANF_REJECTED", self.tanf_rejected)
            .number("NON_TANF_ACCEPTED", self.non_tanf_accepted)
            .number("NON_TANF_REJECTED", self.non_tanf_rejected)
            .number("TANF_WARNING", self.tanf_warning)
            .number("NON_TANF_WARNING", self.non_tanf_warning);
        w.finish()
    }

    fn from_record(record: &[u8]) -> (Option<Self>, Vec<FieldError>) {
        read_control(&F2, record, |r| {
            let c = RejectControl {
                state: r.string("STATE_CODE"),
                tanf_accepted: r.number("TANF_ACCEPTED"),
                tanf_rejected: r.number("TANF_REJECTED"),
                non_tanf_accepted: r.number("NON_TANF_ACCEPTED"),
                non_tanf_rejected: r.number("NON_TANF_REJECTED"),
                tanf_warning: r.number("TANF_WARNING"),
                non_tanf_warning: r.number("NON_TANF_WARNING"),
            };
            let _ = r.text("CONTROL");
            c
        })
    }
}

/// A Rejected Case Submission and Update File, read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RejectFile {
    /// The readable F-1 records, in file order.
    pub rejects: Vec<Reject>,
    /// The F-2 control record, when present and readable.
    pub control: Option<RejectControl>,
    /// One verdict per record.
    pub verdicts: Vec<RecordVerdict>,
    /// Errors of the whole file (missing control, rejected/warning counts that do not
    /// match the F-1 records).
    pub errors: Vec<FieldError>,
}

impl RejectFile {
    /// No file error and every record valid.
    pub fn is_valid(&self) -> bool {
        self.errors.is_empty() && self.verdicts.iter().all(RecordVerdict::is_valid)
    }
}

/// Writes a reject file as OCSE would: the F-1 records, then `control` as given (build
/// it with [`RejectControl::tally`]).
pub fn write_rejects(
    rejects: &[Reject],
    control: &RejectControl,
    encoding: Encoding,
) -> Result<Vec<u8>, WriteError> {
    write_controlled(rejects, Reject::to_record, || control.to_record(), encoding)
}

/// Reads a reject file. Never fails. The F-2 rejected and warning counts are checked
/// against the F-1 records; the accepted counts need the E-2 the state sent
/// ([`RejectControl::check_against`]).
pub fn read_rejects(bytes: &[u8], encoding: Encoding) -> RejectFile {
    let mut file = ControlledFile::read(
        bytes,
        encoding,
        "F-2",
        is_ctl,
        RejectControl::from_record,
        Reject::from_record,
    );
    if let Some(c) = file.control.clone() {
        let all: Vec<Reject> = file.detail_values().cloned().collect();
        let seen = RejectControl::tally(&c.state, &all, 0, 0);
        let fc = &mut file.check;
        fc.compare(
            &F2,
            "TANF_REJECTED",
            error::COUNT_MISMATCH,
            c.tanf_rejected,
            seen.tanf_rejected,
        );
        fc.compare(
            &F2,
            "NON_TANF_REJECTED",
            error::COUNT_MISMATCH,
            c.non_tanf_rejected,
            seen.non_tanf_rejected,
        );
        fc.compare(
            &F2,
            "TANF_WARNING",
            error::COUNT_MISMATCH,
            c.tanf_warning,
            seen.tanf_warning,
        );
        fc.compare(
            &F2,
            "NON_TANF_WARNING",
            error::COUNT_MISMATCH,
            c.non_tanf_warning,
            seen.non_tanf_warning,
        );
        file.retain_state(&c.state, |r| &r.key.state, &F1);
    }
    let (rejects, control, verdicts, errors) = file.into_parts();
    RejectFile {
        rejects,
        control,
        verdicts,
        errors,
    }
}

/// The per-record verdicts of a reject file (`ivd-gateway check offset-rejects`).
/// A missing control record is a verdict of its own after the last record.
pub fn reject_verdicts(bytes: &[u8], encoding: Encoding) -> impl Iterator<Item = RecordVerdict> {
    let file = read_rejects(bytes, encoding);
    crate::fields::check_verdicts(file.verdicts, &file.errors).into_iter()
}
