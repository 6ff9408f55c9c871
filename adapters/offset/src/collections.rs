//! OCSE's weekly Collection and Adjustment File: F-4 records and the F-5 control record.
//!
//! The amounts are Federal Tax Information (spec §D.1): the gateway must label and
//! protect what it reads here. This crate keeps them out of every `Debug`, `Display` and
//! error message except as plain amounts in the typed values the caller asked for.

use std::fmt;

use ivd_fixed::{Encoding, FieldError, RecordVerdict};
use ivd_model::Money;
use serde::{Deserialize, Serialize};

use crate::codes::{CaseType, error};
use crate::fields::{
    ControlledFile, FieldReader, FieldWriter, OffsetFields, WriteError, at, is_ctl, mask,
    read_control, state_ok, write_controlled,
};
use crate::layout::{F4, F5};
use crate::submission::OffsetKey;

/// One F-4 record: a tax refund (or administrative) offset collected, or an adjustment
/// (reversal) of one. Positions 1–97 and 225 are verified; case type, offset year, joint
/// return, source and TOP trace number are proposed (\[P\]).
///
/// `Debug` masks the SSN and names.
#[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Collection {
    /// 1-based record number in the file (0 for one built to be written).
    #[serde(default)]
    pub record: u64,
    /// State, SSN, case type.
    pub key: OffsetKey,
    /// Local code.
    #[serde(default)]
    pub local_code: String,
    /// Case id as certified.
    #[serde(default)]
    pub case_id: String,
    /// Last name as on the master file.
    #[serde(default)]
    pub last_name: String,
    /// First name.
    #[serde(default)]
    pub first_name: String,
    /// The certified arrearage (2 decimals).
    pub certified_arrears: Money,
    /// Amount collected; when not zero, the adjustment is zero (\[V\]).
    pub collection: Money,
    /// Amount adjusted (reversed); when not zero, the collection is zero (\[V\]).
    pub adjustment: Money,
    /// Injured-spouse indicator (non-TANF joint returns): `Y` a claim was processed,
    /// `N` no claim information, blank not given.
    #[serde(default)]
    pub injured_spouse: Option<bool>,
    /// Offset (tax) year. \[P\]
    #[serde(default)]
    pub tax_year: Option<u16>,
    /// Joint return indicator. \[P\]
    #[serde(default)]
    pub joint_return: Option<bool>,
    /// Name on the joint return. \[P\] Personal data and FTI.
    #[serde(default)]
    pub joint_return_name: String,
    /// Source of the offset (e.g. `TAX`, `ADM`). \[P\]
    #[serde(default)]
    pub source: String,
    /// Treasury Offset Program trace number. \[P\]
    #[serde(default)]
    pub trace_number: String,
}

impl Collection {
    /// Collection minus adjustment (negative for a reversal), `None` on overflow.
    pub fn net(&self) -> Option<Money> {
        self.collection.checked_sub(self.adjustment)
    }

    /// Whether the state may hold this collection up to six months: a non-TANF joint
    /// return with no injured-spouse claim processed (spec §A.2.3 business rules, \[V\]).
    pub fn may_hold_for_injured_spouse(&self) -> bool {
        self.joint_return == Some(true) && self.injured_spouse != Some(true)
    }

    /// The F-4 record (ASCII).
    pub fn to_record(&self) -> Result<Vec<u8>, FieldError> {
        if !state_ok(&self.key.state) {
            return Err(at(
                &F4,
                "STATE_CODE",
                error::INVALID_STATE,
                "not a USPS state code".into(),
            ));
        }
        if !self.collection.is_zero() && !self.adjustment.is_zero() {
            return Err(at(
                &F4,
                "ADJUSTMENT_AMOUNT",
                error::BOTH_AMOUNTS,
                "a record has a collection or an adjustment, not both".into(),
            ));
        }
        let mut w = FieldWriter::new(&F4);
        w.text("STATE_CODE", &self.key.state)
            .text("LOCAL_CODE", &self.local_code)
            .text("SSN", self.key.ssn.expose())
            .text("CASE_ID", &self.case_id)
            .text("LAST_NAME", &self.last_name)
            .text("FIRST_NAME", &self.first_name)
            .amount("CERTIFIED_ARREARAGE", self.certified_arrears.cents())
            .amount("COLLECTION_AMOUNT", self.collection.cents())
            .amount("ADJUSTMENT_AMOUNT", self.adjustment.cents())
            .text("CASE_TYPE", self.key.case_type.code())
            .number("OFFSET_YEAR", self.tax_year.map_or(0, u64::from))
            .indicator("JOINT_RETURN", self.joint_return)
            .text("JOINT_RETURN_NAME", &self.joint_return_name)
            .text("OFFSET_SOURCE", &self.source)
            .text("TOP_TRACE_NUMBER", &self.trace_number)
            .indicator("INJURED_SPOUSE", self.injured_spouse);
        w.finish()
    }

    /// Reads one F-4 record (ASCII).
    pub fn from_record(record_number: u64, record: &[u8]) -> Result<Collection, Vec<FieldError>> {
        let rec = F4.read(record).map_err(|e| vec![e])?;
        let mut r = FieldReader::new(rec);
        let state = r.string("STATE_CODE");
        let local_code = r.string("LOCAL_CODE");
        let ssn = r.ssn("SSN");
        let case_id = r.string("CASE_ID");
        let last_name = r.string("LAST_NAME");
        let first_name = r.string("FIRST_NAME");
        let certified_arrears = Money::from_cents(r.amount("CERTIFIED_ARREARAGE"));
        let collection = Money::from_cents(r.amount("COLLECTION_AMOUNT"));
        let adjustment = Money::from_cents(r.amount("ADJUSTMENT_AMOUNT"));
        let case_type = r.code("CASE_TYPE", CaseType::from_code, error::UNKNOWN_CASE_TYPE);
        let tax_year = r.year("OFFSET_YEAR");
        let joint_return = r.indicator("JOINT_RETURN");
        let joint_return_name = r.string("JOINT_RETURN_NAME");
        let source = r.string("OFFSET_SOURCE");
        let trace_number = r.string("TOP_TRACE_NUMBER");
        let injured_spouse = r.indicator("INJURED_SPOUSE");
        if !state.is_empty() && !state_ok(&state) {
            r.fail("STATE_CODE", error::INVALID_STATE, "not a USPS state code");
        }
        if !collection.is_zero() && !adjustment.is_zero() {
            r.fail(
                "ADJUSTMENT_AMOUNT",
                error::BOTH_AMOUNTS,
                "a record has a collection or an adjustment, not both",
            );
        }
        let errors = r.finish();
        match (ssn, case_type) {
            (Some(ssn), Some(case_type)) if errors.is_empty() => Ok(Collection {
                record: record_number,
                key: OffsetKey::new(&state, ssn, case_type),
                local_code,
                case_id,
                last_name,
                first_name,
                certified_arrears,
                collection,
                adjustment,
                injured_spouse,
                tax_year,
                joint_return,
                joint_return_name,
                source,
                trace_number,
            }),
            _ => Err(errors),
        }
    }
}

impl fmt::Debug for Collection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Collection")
            .field("record", &self.record)
            .field("key", &self.key)
            .field("case_id", &self.case_id)
            .field("last_name", &mask(&self.last_name))
            .field("first_name", &mask(&self.first_name))
            .field("certified_arrears", &self.certified_arrears)
            .field("collection", &self.collection)
            .field("adjustment", &self.adjustment)
            .field("injured_spouse", &self.injured_spouse)
            .field("tax_year", &self.tax_year)
            .field("joint_return", &self.joint_return)
            .field("joint_return_name", &mask(&self.joint_return_name))
            .field("source", &self.source)
            .field("trace_number", &self.trace_number)
            .finish()
    }
}

/// The F-5 control record (layout **proposed**, \[P\]): record count and the collection
/// and adjustment totals.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CollectionControl {
    /// State.
    pub state: String,
    /// Number of F-4 records.
    pub record_count: u64,
    /// Sum of the collection amounts.
    pub collection_total: Money,
    /// Sum of the adjustment amounts.
    pub adjustment_total: Money,
}

impl CollectionControl {
    /// The control record for `collections` (`None` when a total overflows).
    pub fn tally(state: &str, collections: &[Collection]) -> Option<Self> {
        Some(CollectionControl {
            state: state.to_owned(),
            record_count: collections.len() as u64,
            collection_total: Money::checked_sum(collections.iter().map(|c| c.collection))?,
            adjustment_total: Money::checked_sum(collections.iter().map(|c| c.adjustment))?,
        })
    }

    fn to_record(&self) -> Result<Vec<u8>, FieldError> {
        let mut w = FieldWriter::new(&F5);
        w.text("STATE_CODE", &self.state)
            .number("RECORD_COUNT", self.record_count)
            .amount("COLLECTION_TOTAL", self.collection_total.cents())
            .amount("ADJUSTMENT_TOTAL", self.adjustment_total.cents());
        w.finish()
    }

    fn from_record(record: &[u8]) -> (Option<Self>, Vec<FieldError>) {
        read_control(&F5, record, |r| {
            let c = CollectionControl {
                state: r.string("STATE_CODE"),
                record_count: r.number("RECORD_COUNT"),
                collection_total: Money::from_cents(r.amount("COLLECTION_TOTAL")),
                adjustment_total: Money::from_cents(r.amount("ADJUSTMENT_TOTAL")),
            };
            let _ = r.text("CONTROL");
            c
        })
    }
}

/// A Collection and Adjustment File, read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CollectionFile {
    /// The valid F-4 records, in file order.
    pub collections: Vec<Collection>,
    /// The F-5 control record, when present and readable.
    pub control: Option<CollectionControl>,
    /// One verdict per record.
    pub verdicts: Vec<RecordVerdict>,
    /// Errors of the whole file (missing control, totals that do not match).
    pub errors: Vec<FieldError>,
}

impl CollectionFile {
    /// No file error and every record valid.
    pub fn is_valid(&self) -> bool {
        self.errors.is_empty() && self.verdicts.iter().all(RecordVerdict::is_valid)
    }
}

/// Writes a collection file as OCSE would: F-4 records, then the F-5 control record with
/// the count and totals.
pub fn write_collections(
    state: &str,
    collections: &[Collection],
    encoding: Encoding,
) -> Result<Vec<u8>, WriteError> {
    write_controlled(
        collections,
        Collection::to_record,
        || {
            CollectionControl::tally(state, collections)
                .ok_or_else(|| {
                    at(
                        &F5,
                        "COLLECTION_TOTAL",
                        ivd_fixed::ErrorCode::OVERFLOW,
                        "total overflows".into(),
                    )
                })?
                .to_record()
        },
        encoding,
    )
}

/// Reads a collection file. Never fails. The control count and totals are checked
/// against the valid F-4 records.
pub fn read_collections(bytes: &[u8], encoding: Encoding) -> CollectionFile {
    let mut details = 0u64;
    let mut file = ControlledFile::read(
        bytes,
        encoding,
        "F-5",
        is_ctl,
        CollectionControl::from_record,
        |n, rec| {
            details += 1;
            Collection::from_record(n, rec)
        },
    );
    if let Some(c) = file.control.clone() {
        let sum = |f: fn(&Collection) -> Money| -> i128 {
            file.detail_values().map(|x| i128::from(f(x).cents())).sum()
        };
        let (collected, adjusted) = (sum(|x| x.collection), sum(|x| x.adjustment));
        let fc = &mut file.check;
        fc.compare(
            &F5,
            "RECORD_COUNT",
            error::COUNT_MISMATCH,
            c.record_count,
            details,
        );
        fc.compare(
            &F5,
            "COLLECTION_TOTAL",
            error::AMOUNT_MISMATCH,
            c.collection_total.cents(),
            collected,
        );
        fc.compare(
            &F5,
            "ADJUSTMENT_TOTAL",
            error::AMOUNT_MISMATCH,
            c.adjustment_total.cents(),
            adjusted,
        );
        file.retain_state(&c.state, |x| &x.key.state, &F4);
    }
    let (collections, control, verdicts, errors) = file.into_parts();
    CollectionFile {
        collections,
        control,
        verdicts,
        errors,
    }
}

/// The per-record verdicts of a collection file (`ivd-gateway check offset-collections`).
/// A missing control record is a verdict of its own after the last record.
pub fn collection_verdicts(
    bytes: &[u8],
    encoding: Encoding,
) -> impl Iterator<Item = RecordVerdict> {
    let file = read_collections(bytes, encoding);
    crate::fields::check_verdicts(file.verdicts, &file.errors).into_iter()
}
