//! The Case Reconciliation File (F-6 `REC` records, F-7 `RCT` control) and the
//! certification reconciliation built on it (spec §A.3, §E.5).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use ivd_fixed::{Encoding, FieldError, RecordVerdict};
use serde::{Deserialize, Serialize};
use time::Date;

use crate::codes::{CaseType, Exclusion, TransactionType, error};
use crate::fields::{
    ControlledFile, FieldReader, FieldWriter, OffsetFields, WriteError, at, mask, read_control,
    state_ok, write_controlled,
};
use crate::layout::{F6, F6_EXCLUSIONS, F7};
use crate::submission::{Certification, OffsetKey, Submission, iso_date};

/// One F-6 `REC` record: a case as the OCSE Case Master File holds it. Field order
/// \[V-KS\], offsets \[I\]; `Debug` masks the SSN and names.
#[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReconRecord {
    /// 1-based record number in the file (0 for one built to be written).
    #[serde(default)]
    pub record: u64,
    /// State, SSN, case type.
    pub key: OffsetKey,
    /// Local code.
    #[serde(default)]
    pub local_code: String,
    /// Case id.
    #[serde(default)]
    pub case_id: String,
    /// Last name on the master file.
    #[serde(default)]
    pub last_name: String,
    /// First name.
    #[serde(default)]
    pub first_name: String,
    /// Current certified arrearage, whole dollars.
    pub arrears_dollars: u64,
    /// Pre-offset notice date.
    #[serde(default, with = "iso_date::option")]
    pub pon_date: Option<Date>,
    /// Pre-offset hold indicator (`Y`/`N`/blank). Meaning beyond the name not found.
    #[serde(default)]
    pub pre_offset_hold: Option<bool>,
    /// Exclusions on the master file.
    #[serde(default)]
    pub exclusions: BTreeSet<Exclusion>,
}

impl ReconRecord {
    /// The record for a certification (to play OCSE).
    pub fn from_certification(c: &Certification) -> Self {
        ReconRecord {
            record: 0,
            key: c.key.clone(),
            local_code: c.local_code.clone(),
            case_id: c.case_id.clone(),
            last_name: c.last_name.clone(),
            first_name: c.first_name.clone(),
            arrears_dollars: c.arrears_dollars,
            pon_date: None,
            pre_offset_hold: None,
            exclusions: c.exclusions.clone(),
        }
    }

    /// The F-6 record (ASCII).
    pub fn to_record(&self) -> Result<Vec<u8>, FieldError> {
        if !state_ok(&self.key.state) {
            return Err(at(
                &F6,
                "STATE_CODE",
                error::INVALID_STATE,
                "not a USPS state code".into(),
            ));
        }
        let mut w = FieldWriter::new(&F6);
        w.text("STATE_CODE", &self.key.state)
            .text("LOCAL_CODE", &self.local_code)
            .text("SSN", self.key.ssn.expose())
            .text("CASE_ID", &self.case_id)
            .text("LAST_NAME", &self.last_name)
            .text("FIRST_NAME", &self.first_name)
            .number("ARREARAGE_AMOUNT", self.arrears_dollars)
            .text("CASE_TYPE", self.key.case_type.code())
            .date("PON_DATE", self.pon_date)
            .indicator("PRE_OFFSET_HOLD", self.pre_offset_hold);
        for (name, e) in F6_EXCLUSIONS.iter().zip(Exclusion::ALL) {
            w.text(
                name,
                if self.exclusions.contains(&e) {
                    e.code()
                } else {
                    ""
                },
            );
        }
        w.finish()
    }

    /// Reads one F-6 record (ASCII). An exclusion flag holds its own code or spaces
    /// (\[I\]); anything else is `UNKNOWN_EXCLUSION`.
    pub fn from_record(record_number: u64, record: &[u8]) -> Result<ReconRecord, Vec<FieldError>> {
        let rec = F6.read(record).map_err(|e| vec![e])?;
        let mut r = FieldReader::new(rec);
        let _ = r.text("RECORD_ID");
        let state = r.string("STATE_CODE");
        let local_code = r.string("LOCAL_CODE");
        let ssn = r.ssn("SSN");
        let case_id = r.string("CASE_ID");
        let last_name = r.string("LAST_NAME");
        let first_name = r.string("FIRST_NAME");
        let arrears_dollars = r.number("ARREARAGE_AMOUNT");
        let case_type = r.code("CASE_TYPE", CaseType::from_code, error::UNKNOWN_CASE_TYPE);
        let pon_date = r.date("PON_DATE");
        let pre_offset_hold = r.indicator("PRE_OFFSET_HOLD");
        let mut exclusions = BTreeSet::new();
        for (name, e) in F6_EXCLUSIONS.into_iter().zip(Exclusion::ALL) {
            match r.text(name) {
                "" => {}
                c if c == e.code() => {
                    exclusions.insert(e);
                }
                _ => r.fail(
                    name,
                    error::UNKNOWN_EXCLUSION,
                    format!("holds neither {} nor spaces", e.code()),
                ),
            }
        }
        if !state.is_empty() && !state_ok(&state) {
            r.fail("STATE_CODE", error::INVALID_STATE, "not a USPS state code");
        }
        let errors = r.finish();
        match (ssn, case_type) {
            (Some(ssn), Some(case_type)) if errors.is_empty() => Ok(ReconRecord {
                record: record_number,
                key: OffsetKey::new(&state, ssn, case_type),
                local_code,
                case_id,
                last_name,
                first_name,
                arrears_dollars,
                pon_date,
                pre_offset_hold,
                exclusions,
            }),
            _ => Err(errors),
        }
    }
}

impl fmt::Debug for ReconRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReconRecord")
            .field("record", &self.record)
            .field("key", &self.key)
            .field("local_code", &self.local_code)
            .field("case_id", &self.case_id)
            .field("last_name", &mask(&self.last_name))
            .field("first_name", &mask(&self.first_name))
            .field("arrears_dollars", &self.arrears_dollars)
            .field("pon_date", &self.pon_date)
            .field("pre_offset_hold", &self.pre_offset_hold)
            .field("exclusions", &self.exclusions)
            .finish()
    }
}

/// The F-7 `RCT` control record (\[P\]): counts and amount totals per case type.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReconControl {
    /// State.
    pub state: String,
    /// TANF `REC` records.
    pub tanf_count: u64,
    /// Non-TANF `REC` records.
    pub non_tanf_count: u64,
    /// Sum of the TANF amounts, whole dollars.
    pub tanf_amount: u64,
    /// Sum of the non-TANF amounts, whole dollars.
    pub non_tanf_amount: u64,
}

impl ReconControl {
    /// The control record for `records`.
    pub fn tally(state: &str, records: &[ReconRecord]) -> Self {
        let mut c = ReconControl {
            state: state.to_owned(),
            ..ReconControl::default()
        };
        for r in records {
            match r.key.case_type {
                CaseType::Tanf => {
                    c.tanf_count += 1;
                    c.tanf_amount = c.tanf_amount.saturating_add(r.arrears_dollars);
                }
                CaseType::NonTanf => {
                    c.non_tanf_count += 1;
                    c.non_tanf_amount = c.non_tanf_amount.saturating_add(r.arrears_dollars);
                }
            }
        }
        c
    }

    fn to_record(&self) -> Result<Vec<u8>, FieldError> {
        let mut w = FieldWriter::new(&F7);
        w.text("STATE_CODE", &self.state)
            .number("TANF_COUNT", self.tanf_count)
            .number("NON_TANF_COUNT", self.non_tanf_count)
            .number("TANF_AMOUNT", self.tanf_amount)
            .number("NON_TANF_AMOUNT", self.non_tanf_amount);
        w.finish()
    }

    fn from_record(record: &[u8]) -> (Option<Self>, Vec<FieldError>) {
        read_control(&F7, record, |r| ReconControl {
            state: r.string("STATE_CODE"),
            tanf_count: r.number("TANF_COUNT"),
            non_tanf_count: r.number("NON_TANF_COUNT"),
            tanf_amount: r.number("TANF_AMOUNT"),
            non_tanf_amount: r.number("NON_TANF_AMOUNT"),
        })
    }
}

/// A Case Reconciliation File, read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReconFile {
    /// The valid `REC` records, in file order.
    pub records: Vec<ReconRecord>,
    /// The `RCT` control record, when present and readable.
    pub control: Option<ReconControl>,
    /// One verdict per record.
    pub verdicts: Vec<RecordVerdict>,
    /// Errors of the whole file.
    pub errors: Vec<FieldError>,
}

impl ReconFile {
    /// No file error and every record valid.
    pub fn is_valid(&self) -> bool {
        self.errors.is_empty() && self.verdicts.iter().all(RecordVerdict::is_valid)
    }
}

/// Writes a reconciliation file as OCSE would: `REC` records, then `RCT`.
pub fn write_reconciliation(
    state: &str,
    records: &[ReconRecord],
    encoding: Encoding,
) -> Result<Vec<u8>, WriteError> {
    write_controlled(
        records,
        ReconRecord::to_record,
        || ReconControl::tally(state, records).to_record(),
        encoding,
    )
}

/// Reads a reconciliation file. Never fails; counts and totals of `RCT` are checked
/// against the valid `REC` records.
pub fn read_reconciliation(bytes: &[u8], encoding: Encoding) -> ReconFile {
    let mut file = ControlledFile::read(
        bytes,
        encoding,
        "RCT",
        |rec| rec.starts_with(b"RCT"),
        ReconControl::from_record,
        |n, rec| {
            if rec.starts_with(b"REC") {
                ReconRecord::from_record(n, rec)
            } else {
                Err(vec![at(
                    &F6,
                    "RECORD_ID",
                    error::UNKNOWN_RECORD_TYPE,
                    "record identifier is neither REC nor RCT".into(),
                )])
            }
        },
    );
    if let Some(c) = file.control.clone() {
        let all: Vec<ReconRecord> = file.detail_values().cloned().collect();
        let seen = ReconControl::tally(&c.state, &all);
        let fc = &mut file.check;
        fc.compare(
            &F7,
            "TANF_COUNT",
            error::COUNT_MISMATCH,
            c.tanf_count,
            seen.tanf_count,
        );
        fc.compare(
            &F7,
            "NON_TANF_COUNT",
            error::COUNT_MISMATCH,
            c.non_tanf_count,
            seen.non_tanf_count,
        );
        fc.compare(
            &F7,
            "TANF_AMOUNT",
            error::AMOUNT_MISMATCH,
            c.tanf_amount,
            seen.tanf_amount,
        );
        fc.compare(
            &F7,
            "NON_TANF_AMOUNT",
            error::AMOUNT_MISMATCH,
            c.non_tanf_amount,
            seen.non_tanf_amount,
        );
        file.retain_state(&c.state, |r| &r.key.state, &F6);
    }
    let (records, control, verdicts, errors) = file.into_parts();
    ReconFile {
        records,
        control,
        verdicts,
        errors,
    }
}

/// The per-record verdicts of a reconciliation file.
/// A missing control record is a verdict of its own after the last record.
pub fn reconciliation_verdicts(
    bytes: &[u8],
    encoding: Encoding,
) -> impl Iterator<Item = RecordVerdict> {
    let file = read_reconciliation(bytes, encoding);
    crate::fields::check_verdicts(file.verdicts, &file.errors).into_iter()
}

/// What differs between the state's record of a certification and OCSE's.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", tag = "kind")]
#[non_exhaustive]
pub enum DiscrepancyKind {
    /// The state holds it as certified; OCSE does not have it. Correction: re-send the
    /// add (Kansas LeB502 step 3), when the amount is not zero.
    MissingAtFederal,
    /// OCSE has it; the state does not hold it as certified. Correction: delete with
    /// amount 0, key from the federal record (step 4).
    MissingAtState,
    /// Amounts differ (whole dollars). Correction: modify to the state's amount.
    AmountDiffers {
        /// The state's amount.
        state: u64,
        /// OCSE's amount.
        federal: u64,
    },
    /// Case ids differ. Correction: case id change to the state's.
    CaseIdDiffers,
    /// Last or first name differs. No correction: OCSE's name is taken as correct
    /// (Kansas PR131272); the state updates its own record.
    NameDiffers,
    /// Exclusion sets differ. Correction: replace exclusions with the state's.
    ExclusionsDiffer,
}

/// One difference found by [`reconcile`], with the submission that corrects it (if any).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Discrepancy {
    /// The case.
    pub key: OffsetKey,
    /// What differs.
    pub kind: DiscrepancyKind,
    /// The E-1 transaction that makes OCSE match the state, when one should be sent.
    pub correction: Option<Submission>,
}

/// Certification reconciliation (spec §A.3, §E.5): a sort-merge of what the state holds
/// as certified against OCSE's reconciliation records, by key. Every difference is
/// reported with its reason and, where one applies, the corrective submission. Order:
/// by key, then missing / case id / name / amount / exclusions. A key listed twice on
/// either side is compared once (first entry).
pub fn reconcile(state_certified: &[Certification], federal: &[ReconRecord]) -> Vec<Discrepancy> {
    let mut state: BTreeMap<&OffsetKey, &Certification> = BTreeMap::new();
    for c in state_certified {
        state.entry(&c.key).or_insert(c);
    }
    let mut fed: BTreeMap<&OffsetKey, &ReconRecord> = BTreeMap::new();
    for r in federal {
        fed.entry(&r.key).or_insert(r);
    }
    let keys: BTreeSet<&OffsetKey> = state.keys().chain(fed.keys()).copied().collect();
    let mut out = Vec::new();
    for key in keys {
        let found = |kind, correction| Discrepancy {
            key: key.clone(),
            kind,
            correction,
        };
        match (state.get(key), fed.get(key)) {
            (Some(s), None) => {
                let fix = (s.arrears_dollars > 0)
                    .then(|| Submission::new(TransactionType::Add, (*s).clone()));
                out.push(found(DiscrepancyKind::MissingAtFederal, fix));
            }
            (None, Some(f)) => {
                let mut c =
                    Certification::new(key.clone(), &f.case_id, &f.last_name, &f.first_name, 0);
                c.local_code.clone_from(&f.local_code);
                out.push(found(
                    DiscrepancyKind::MissingAtState,
                    Some(Submission::new(TransactionType::Delete, c)),
                ));
            }
            (Some(s), Some(f)) => {
                let fix = |t| Some(Submission::new(t, (*s).clone()));
                if s.case_id != f.case_id {
                    out.push(found(
                        DiscrepancyKind::CaseIdDiffers,
                        fix(TransactionType::CaseIdChange),
                    ));
                }
                if !s.last_name.trim().eq_ignore_ascii_case(f.last_name.trim())
                    || !s
                        .first_name
                        .trim()
                        .eq_ignore_ascii_case(f.first_name.trim())
                {
                    out.push(found(DiscrepancyKind::NameDiffers, None));
                }
                if s.arrears_dollars != f.arrears_dollars {
                    out.push(found(
                        DiscrepancyKind::AmountDiffers {
                            state: s.arrears_dollars,
                            federal: f.arrears_dollars,
                        },
                        fix(TransactionType::Modify),
                    ));
                }
                if s.exclusions != f.exclusions {
                    out.push(found(
                        DiscrepancyKind::ExclusionsDiffer,
                        fix(TransactionType::ReplaceExclusions),
                    ));
                }
            }
            (None, None) => {}
        }
    }
    out
}
