//! The state's side: what a certification is, one E-1 transaction, and the Case
//! Submission and Update File (E-1 records and the E-2 control record).

use std::collections::BTreeSet;
use std::fmt;

use ivd_fixed::{Encoding, ErrorCode, FieldError, RecordVerdict};
use serde::{Deserialize, Serialize};
use time::Date;

use crate::codes::{CaseType, Exclusion, TransactionType, error};
use crate::fields::{
    ControlledFile, FieldReader, FieldWriter, OffsetFields, WriteError, at, code_chars,
    first_name_ok, is_ctl, last_name_ok, mask, read_control, state_ok, upper, write_controlled,
};
use crate::layout::{E1, E2};
use crate::ssn::OffsetSsn;

time::serde::format_description!(pub(crate) iso_date, Date, "[year]-[month]-[day]");

/// The key of a case on the OCSE Case Master File: submitting state, SSN and case type
/// (E-1 "key", \[V\]). TANF and non-TANF debts of one obligor are two keys.
///
/// Ordered by state, SSN, case type (TANF first). `Debug` and `Display` mask the SSN:
/// `KS ***-**-6789 TANF`.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OffsetKey {
    /// Submitting state, 2-letter USPS code.
    pub state: String,
    /// The obligor's SSN (or ITIN).
    pub ssn: OffsetSsn,
    /// TANF or non-TANF.
    pub case_type: CaseType,
}

impl OffsetKey {
    /// A key.
    pub fn new(state: &str, ssn: OffsetSsn, case_type: CaseType) -> Self {
        OffsetKey {
            state: state.to_owned(),
            ssn,
            case_type,
        }
    }
}

impl fmt::Display for OffsetKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {} {}", self.state, self.ssn, self.case_type)
    }
}

impl fmt::Debug for OffsetKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "OffsetKey({self})")
    }
}

/// The obligor's address as the E-1 carries it (positions 84–179, \[V-KS\]). Domestic
/// only: the position of the country of a foreign address was not found (spec §F.1).
///
/// `Debug` shows only the state.
#[derive(Clone, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OffsetAddress {
    /// Street line 1 (30).
    pub line1: String,
    /// Street line 2 (30), may be empty.
    pub line2: String,
    /// City (25).
    pub city: String,
    /// USPS state code.
    pub state: String,
    /// ZIP: 5 or 9 digits (no dash), or empty.
    pub zip: String,
}

impl OffsetAddress {
    /// "Complete" as OCSE means it: line 1 or 2, city and state (\[V\] fopspec03-01). An
    /// add without one gets warning 47; an address change without one, error 40.
    pub fn is_complete(&self) -> bool {
        (!self.line1.is_empty() || !self.line2.is_empty())
            && !self.city.is_empty()
            && !self.state.is_empty()
    }

    fn is_blank(&self) -> bool {
        *self == OffsetAddress::default()
    }
}

impl fmt::Debug for OffsetAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "OffsetAddress(***, {})", self.state)
    }
}

/// One obligor's debt of one case type, as the state wants it certified (*desired*) or
/// as it was certified (*recorded*). Text is as written on the record: upper case,
/// without trailing spaces. `Debug` masks the SSN, names and address.
#[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Certification {
    /// State, SSN, case type.
    pub key: OffsetKey,
    /// The state's case id (15, state use only; not sent on to Fiscal Service).
    pub case_id: String,
    /// Obligor last name (20).
    pub last_name: String,
    /// Obligor first name (15).
    pub first_name: String,
    /// Arrears in whole dollars.
    pub arrears_dollars: u64,
    /// Local code (3): which local office's contact address the notices print.
    pub local_code: String,
    /// The obligor's address, when the state sends one.
    pub address: Option<OffsetAddress>,
    /// Remedies this case is excluded from.
    pub exclusions: BTreeSet<Exclusion>,
}

impl Certification {
    /// A certification with no local code, address or exclusions.
    pub fn new(
        key: OffsetKey,
        case_id: &str,
        last_name: &str,
        first_name: &str,
        arrears_dollars: u64,
    ) -> Self {
        Certification {
            key,
            case_id: case_id.to_owned(),
            last_name: last_name.to_owned(),
            first_name: first_name.to_owned(),
            arrears_dollars,
            local_code: String::new(),
            address: None,
            exclusions: BTreeSet::new(),
        }
    }
}

impl fmt::Debug for Certification {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Certification")
            .field("key", &self.key)
            .field("case_id", &self.case_id)
            .field("last_name", &mask(&self.last_name))
            .field("first_name", &mask(&self.first_name))
            .field("arrears_dollars", &self.arrears_dollars)
            .field("local_code", &self.local_code)
            .field("address", &self.address)
            .field("exclusions", &self.exclusions)
            .finish()
    }
}

/// One E-1 record: a transaction on one certification.
///
/// Each transaction type uses only some fields of the certification (the record's
/// other positions are written blank, or zeros for numbers): always the key, case id
/// and names; the amount for A, M, S (D writes 0); the local code for A, L, U; the
/// address for A, Z; the PON date for A; the exclusions for A, R; the transfer state
/// and local code for T; the process year for S. [`Submission::wire_form`] is the value
/// with only those fields, which is what reading the record gives back.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Submission {
    /// What to do.
    pub transaction: TransactionType,
    /// The certification the transaction carries (see the type doc for which fields).
    pub certification: Certification,
    /// T: the state holding the order (2).
    #[serde(default)]
    pub transfer_state: String,
    /// T: its local code (3).
    #[serde(default)]
    pub transfer_local: String,
    /// S: the offset year the state payment is for (CCYY).
    #[serde(default)]
    pub process_year: Option<u16>,
    /// A: the date the state issued the pre-offset notice itself.
    #[serde(default, with = "iso_date::option")]
    pub pon_date: Option<Date>,
}

impl Submission {
    /// A transaction on `certification`, with no transfer, year or PON date.
    pub fn new(transaction: TransactionType, certification: Certification) -> Self {
        Submission {
            transaction,
            certification,
            transfer_state: String::new(),
            transfer_local: String::new(),
            process_year: None,
            pon_date: None,
        }
    }

    /// The key.
    pub fn key(&self) -> &OffsetKey {
        &self.certification.key
    }

    /// The value with only the fields its transaction type writes (see the type doc):
    /// `read(write(s)) == s.wire_form()`.
    #[must_use]
    pub fn wire_form(&self) -> Submission {
        let t = self.transaction;
        let c = &self.certification;
        let mut out = Submission::new(
            t,
            Certification::new(
                c.key.clone(),
                &c.case_id,
                &c.last_name,
                &c.first_name,
                if t.uses_amount() {
                    c.arrears_dollars
                } else {
                    0
                },
            ),
        );
        if t.uses_local_code() {
            out.certification.local_code = c.local_code.clone();
        }
        if t.uses_address() {
            out.certification.address = c.address.clone().filter(|a| !a.is_blank());
        }
        if t.uses_exclusions() {
            out.certification.exclusions = c.exclusions.clone();
        }
        if t == TransactionType::Transfer {
            out.transfer_state = self.transfer_state.clone();
            out.transfer_local = self.transfer_local.clone();
        }
        if t == TransactionType::StatePayment {
            out.process_year = self.process_year;
        }
        if t == TransactionType::Add {
            out.pon_date = self.pon_date;
        }
        out
    }

    /// Checks the E-1 rules (§A.1.1 "Rules" column and the E-chart intro) on the fields
    /// this transaction type writes. Every error is positioned on the E-1 field; none
    /// carries the value. Lengths are checked by the writer (`TOO_LONG`).
    pub fn validate(&self) -> Vec<FieldError> {
        let mut errors = Vec::new();
        let mut fail = |name: &'static str, code: ErrorCode, msg: &str| {
            errors.push(at(&E1, name, code, msg.to_owned()));
        };
        let t = self.transaction;
        let w = self.wire_form();
        let c = &w.certification;
        if !state_ok(&c.key.state) {
            fail("STATE_CODE", error::INVALID_STATE, "not a USPS state code");
        }
        // A blank local code is allowed, on an L too: OCSE then uses the state's default
        // contact (E-1 local code text, [V]; that L may blank it is [I]).
        if t.uses_local_code() {
            check_code(&mut fail, "LOCAL_CODE", &c.local_code);
            if c.local_code == "CTL" {
                fail(
                    "LOCAL_CODE",
                    error::RESERVED_LOCAL_CODE,
                    "CTL marks control records",
                );
            }
        }
        if !c.key.ssn.is_certifiable() {
            fail("SSN", error::INVALID_SSN, "not a valid SSN or ITIN");
        }
        check_code(&mut fail, "CASE_ID", &c.case_id);
        let needs_case_id = matches!(
            t,
            TransactionType::Add | TransactionType::CaseIdChange | TransactionType::Update
        );
        if needs_case_id && c.case_id.is_empty() {
            fail(
                "CASE_ID",
                ErrorCode::REQUIRED,
                "required for transaction types A, C and U",
            );
        }
        if c.last_name.is_empty() {
            fail(
                "LAST_NAME",
                ErrorCode::REQUIRED,
                "required for every transaction type",
            );
        } else if !upper(&c.last_name) {
            fail(
                "LAST_NAME",
                error::NOT_UPPER_CASE,
                "alphabetic data must be upper case",
            );
        } else if !last_name_ok(&c.last_name) {
            fail(
                "LAST_NAME",
                error::BAD_LAST_NAME,
                "the first 4 positions may hold letters, digits and hyphens only",
            );
        }
        let needs_first = matches!(t, TransactionType::Add | TransactionType::NameChange);
        if c.first_name.is_empty() {
            if needs_first {
                fail(
                    "FIRST_NAME",
                    ErrorCode::REQUIRED,
                    "required for transaction types A and B",
                );
            }
        } else if !upper(&c.first_name) {
            fail(
                "FIRST_NAME",
                error::NOT_UPPER_CASE,
                "alphabetic data must be upper case",
            );
        } else if !first_name_ok(&c.first_name) {
            fail(
                "FIRST_NAME",
                error::BAD_FIRST_NAME,
                "position 1 must be a letter",
            );
        }
        if matches!(t, TransactionType::Add | TransactionType::StatePayment)
            && c.arrears_dollars == 0
        {
            fail(
                "ARREARAGE_AMOUNT",
                error::ZERO_AMOUNT,
                "must be greater than zero for A and S",
            );
        }
        if t == TransactionType::Transfer {
            if w.transfer_state.is_empty() {
                fail(
                    "TRANSFER_STATE",
                    ErrorCode::REQUIRED,
                    "a transfer needs the state holding the order",
                );
            } else if !state_ok(&w.transfer_state) {
                fail(
                    "TRANSFER_STATE",
                    error::INVALID_STATE,
                    "not a USPS state code",
                );
            }
            check_code(&mut fail, "TRANSFER_LOCAL_CODE", &w.transfer_local);
        }
        if t == TransactionType::StatePayment {
            match w.process_year {
                None => fail(
                    "PROCESS_YEAR",
                    ErrorCode::REQUIRED,
                    "a state payment needs its offset year",
                ),
                Some(y) if !(1900..=2999).contains(&y) => fail(
                    "PROCESS_YEAR",
                    error::BAD_YEAR,
                    "year must be CCYY between 1900 and 2999",
                ),
                Some(_) => {}
            }
        }
        if t == TransactionType::AddressChange
            && !c.address.as_ref().is_some_and(OffsetAddress::is_complete)
        {
            fail(
                "ADDRESS_LINE_1",
                error::INCOMPLETE_ADDRESS,
                "an address change needs line 1 or 2, city and state (OCSE error 40)",
            );
        }
        if let Some(a) = &c.address {
            for (name, v) in [
                ("ADDRESS_LINE_1", &a.line1),
                ("ADDRESS_LINE_2", &a.line2),
                ("CITY", &a.city),
            ] {
                if !upper(v) {
                    fail(
                        name,
                        error::NOT_UPPER_CASE,
                        "alphabetic data must be upper case",
                    );
                }
            }
            if !a.state.is_empty() && !state_ok(&a.state) {
                fail(
                    "ADDRESS_STATE",
                    error::INVALID_STATE,
                    "not a USPS state code",
                );
            }
            let zip_ok = a.zip.is_empty()
                || ((a.zip.len() == 5 || a.zip.len() == 9)
                    && a.zip.bytes().all(|b| b.is_ascii_digit()));
            if !zip_ok {
                fail("ZIP_CODE", error::BAD_ZIP, "ZIP must be 5 or 9 digits");
            }
        }
        errors
    }

    /// The E-1 record (ASCII bytes), after [`Submission::validate`].
    pub fn to_record(&self) -> Result<Vec<u8>, FieldError> {
        if let Some(e) = self.validate().into_iter().next() {
            return Err(e);
        }
        let s = self.wire_form();
        let c = &s.certification;
        let a = c.address.clone().unwrap_or_default();
        let mut w = FieldWriter::new(&E1);
        w.text("STATE_CODE", &c.key.state)
            .text("LOCAL_CODE", &c.local_code)
            .text("SSN", c.key.ssn.expose())
            .text("CASE_ID", &c.case_id)
            .text("LAST_NAME", &c.last_name)
            .text("FIRST_NAME", &c.first_name)
            .number("ARREARAGE_AMOUNT", c.arrears_dollars)
            .text("TRANSACTION_TYPE", s.transaction.code())
            .text("CASE_TYPE", c.key.case_type.code())
            .text("TRANSFER_STATE", &s.transfer_state)
            .text("TRANSFER_LOCAL_CODE", &s.transfer_local)
            .number("PROCESS_YEAR", s.process_year.map_or(0, u64::from))
            .text("ADDRESS_LINE_1", &a.line1)
            .text("ADDRESS_LINE_2", &a.line2)
            .text("CITY", &a.city)
            .text("ADDRESS_STATE", &a.state)
            .text("ZIP_CODE", &a.zip)
            .date("PON_DATE", s.pon_date)
            .text("EXCLUSIONS", &Exclusion::join(&c.exclusions));
        w.finish()
    }

    /// Reads one E-1 record (ASCII bytes): the submission in its
    /// [wire form](Submission::wire_form), or every error of the record.
    pub fn from_record(record: &[u8]) -> Result<Submission, Vec<FieldError>> {
        let rec = E1.read(record).map_err(|e| vec![e])?;
        let mut r = FieldReader::new(rec);
        let (parts, transaction, case_type) = read_e1_parts(&mut r, true);
        let mut errors = r.finish();
        let sub = assemble(
            parts,
            transaction.unwrap_or(TransactionType::Delete),
            case_type.unwrap_or(CaseType::Tanf),
        );
        // Value rules, except on fields whose bytes were already wrong.
        for e in sub.validate() {
            if !errors.iter().any(|x| x.field == e.field) {
                errors.push(e);
            }
        }
        errors.sort_by_key(|e| e.position);
        if errors.is_empty() && transaction.is_some() && case_type.is_some() {
            Ok(sub.wire_form())
        } else {
            Err(errors)
        }
    }
}

fn check_code(fail: &mut impl FnMut(&'static str, ErrorCode, &str), name: &'static str, v: &str) {
    if !v.is_empty() && !code_chars(v) {
        fail(
            name,
            error::BAD_CHARACTERS,
            "allowed: A-Z, 0-9, hyphen, inner spaces",
        );
    }
}

/// The E-1 fields as read, before the transaction type decides which are used.
pub(crate) struct E1Parts {
    pub(crate) state: String,
    pub(crate) local: String,
    pub(crate) ssn: OffsetSsn,
    pub(crate) case_id: String,
    pub(crate) last: String,
    pub(crate) first: String,
    pub(crate) amount: u64,
    pub(crate) transfer_state: String,
    pub(crate) transfer_local: String,
    pub(crate) year: Option<u16>,
    pub(crate) address: OffsetAddress,
    pub(crate) pon: Option<Date>,
    pub(crate) exclusions: BTreeSet<Exclusion>,
}

/// Reads positions 1–227 of an E-1, or with `with_address` false the F-1 echo (1–83 and
/// the exclusions, no address block or PON date). SSN digits are checked here; whether
/// they are a valid SSN is the caller's rule.
pub(crate) fn read_e1_parts(
    r: &mut FieldReader<'_>,
    with_address: bool,
) -> (E1Parts, Option<TransactionType>, Option<CaseType>) {
    let state = r.string("STATE_CODE");
    let local = r.string("LOCAL_CODE");
    let ssn = r.ssn("SSN");
    let case_id = r.string("CASE_ID");
    let last = r.string("LAST_NAME");
    let first = r.string("FIRST_NAME");
    let amount = r.number("ARREARAGE_AMOUNT");
    let transaction = r.code(
        "TRANSACTION_TYPE",
        TransactionType::from_code,
        error::UNKNOWN_TRANSACTION,
    );
    let case_type = r.code("CASE_TYPE", CaseType::from_code, error::UNKNOWN_CASE_TYPE);
    let transfer_state = r.string("TRANSFER_STATE");
    let transfer_local = r.string("TRANSFER_LOCAL_CODE");
    let year = r.year("PROCESS_YEAR");
    let (address, pon) = if with_address {
        let address = OffsetAddress {
            line1: r.string("ADDRESS_LINE_1"),
            line2: r.string("ADDRESS_LINE_2"),
            city: r.string("CITY"),
            state: r.string("ADDRESS_STATE"),
            zip: r.string("ZIP_CODE"),
        };
        (address, r.date("PON_DATE"))
    } else {
        (OffsetAddress::default(), None)
    };
    let exclusions = r.exclusions("EXCLUSIONS");
    (
        E1Parts {
            state,
            local,
            ssn: ssn.unwrap_or_else(placeholder_ssn),
            case_id,
            last,
            first,
            amount,
            transfer_state,
            transfer_local,
            year,
            address,
            pon,
            exclusions,
        },
        transaction,
        case_type,
    )
}

/// Stands in for an unreadable SSN while the other rules are checked (never returned:
/// the record already has an error).
pub(crate) fn placeholder_ssn() -> OffsetSsn {
    OffsetSsn::parse("100000001").unwrap_or_else(|_| unreachable!("a literal of 9 digits"))
}

fn assemble(p: E1Parts, transaction: TransactionType, case_type: CaseType) -> Submission {
    let mut c = Certification::new(
        OffsetKey::new(&p.state, p.ssn, case_type),
        &p.case_id,
        &p.last,
        &p.first,
        p.amount,
    );
    c.local_code = p.local;
    c.address = Some(p.address).filter(|a| !a.is_blank());
    c.exclusions = p.exclusions;
    Submission {
        transaction,
        certification: c,
        transfer_state: p.transfer_state,
        transfer_local: p.transfer_local,
        process_year: p.year,
        pon_date: p.pon,
    }
}

/// The E-2 control record: per case type, the number of E-1 records and the total of
/// the A and M amounts (\[V-KS\] LeB520 adds only A and M amounts).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SubmissionControl {
    /// Submitting state.
    pub state: String,
    /// TANF E-1 records (every transaction type, \[I\]).
    pub tanf_count: u64,
    /// Non-TANF E-1 records.
    pub non_tanf_count: u64,
    /// Sum of the TANF A and M amounts, whole dollars.
    pub tanf_amount: u64,
    /// Sum of the non-TANF A and M amounts, whole dollars.
    pub non_tanf_amount: u64,
}

impl SubmissionControl {
    /// The control record for `submissions`.
    pub fn tally(state: &str, submissions: &[Submission]) -> Self {
        let mut c = SubmissionControl {
            state: state.to_owned(),
            tanf_count: 0,
            non_tanf_count: 0,
            tanf_amount: 0,
            non_tanf_amount: 0,
        };
        for s in submissions {
            let amount = match s.transaction {
                TransactionType::Add | TransactionType::Modify => s.certification.arrears_dollars,
                _ => 0,
            };
            c.add(s.key().case_type, amount);
        }
        c
    }

    fn add(&mut self, case_type: CaseType, amount: u64) {
        match case_type {
            CaseType::Tanf => {
                self.tanf_count += 1;
                self.tanf_amount = self.tanf_amount.saturating_add(amount);
            }
            CaseType::NonTanf => {
                self.non_tanf_count += 1;
                self.non_tanf_amount = self.non_tanf_amount.saturating_add(amount);
            }
        }
    }

    fn to_record(&self) -> Result<Vec<u8>, FieldError> {
        let mut w = FieldWriter::new(&E2);
        w.text("STATE_CODE", &self.state)
            .number("TANF_COUNT", self.tanf_count)
            .number("NON_TANF_COUNT", self.non_tanf_count)
            .number("TANF_AMOUNT", self.tanf_amount)
            .number("NON_TANF_AMOUNT", self.non_tanf_amount);
        w.finish()
    }

    fn from_record(record: &[u8]) -> (Option<Self>, Vec<FieldError>) {
        read_control(&E2, record, |r| {
            let c = SubmissionControl {
                state: r.string("STATE_CODE"),
                tanf_count: r.number("TANF_COUNT"),
                non_tanf_count: r.number("NON_TANF_COUNT"),
                tanf_amount: r.number("TANF_AMOUNT"),
                non_tanf_amount: r.number("NON_TANF_AMOUNT"),
            };
            let _ = r.text("CONTROL");
            c
        })
    }
}

/// A Case Submission and Update File, read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubmissionFile {
    /// The valid E-1 records, in file order, in [wire form](Submission::wire_form).
    pub submissions: Vec<Submission>,
    /// One verdict per record of the file (control record included).
    pub verdicts: Vec<RecordVerdict>,
    /// The E-2 control record, when present and readable.
    pub control: Option<SubmissionControl>,
    /// Errors of the file as a whole: missing or misplaced control record, control
    /// totals that do not match the records.
    pub errors: Vec<FieldError>,
}

impl SubmissionFile {
    /// No file error and every record valid.
    pub fn is_valid(&self) -> bool {
        self.errors.is_empty() && self.verdicts.iter().all(RecordVerdict::is_valid)
    }
}

/// Writes the Case Submission and Update File for `state`: one E-1 record per
/// submission (in order), then the E-2 control record. EBCDIC files have no line
/// terminators; ASCII files end every record with `\n`.
///
/// Fails on the first submission that breaks an E-1 rule ([`Submission::validate`]),
/// does not fit its field, or belongs to another state; the error names the record
/// number it would have had.
pub fn write_submission_file(
    state: &str,
    submissions: &[Submission],
    encoding: Encoding,
) -> Result<Vec<u8>, WriteError> {
    write_controlled(
        submissions,
        |s| {
            if s.key().state != state {
                return Err(at(
                    &E1,
                    "STATE_CODE",
                    error::STATE_MISMATCH,
                    "the record's state is not the file's".into(),
                ));
            }
            s.to_record()
        },
        || {
            if !state_ok(state) {
                return Err(at(
                    &E2,
                    "STATE_CODE",
                    error::INVALID_STATE,
                    "not a USPS state code".into(),
                ));
            }
            SubmissionControl::tally(state, submissions).to_record()
        },
        encoding,
    )
}

/// Reads a Case Submission and Update File (as OCSE would, or to check what the
/// gateway is about to send). Never fails: every problem is in a verdict or in
/// [`SubmissionFile::errors`]. Control totals are checked against every E-1 record whose
/// case type and amount can be read, valid or not.
pub fn read_submission_file(bytes: &[u8], encoding: Encoding) -> SubmissionFile {
    let mut seen = SubmissionControl::tally("", &[]);
    let mut file = ControlledFile::read(
        bytes,
        encoding,
        "E-2",
        is_ctl,
        SubmissionControl::from_record,
        |_, rec| {
            tally_raw(&mut seen, rec);
            Submission::from_record(rec)
        },
    );
    if let Some(c) = file.control.clone() {
        let fc = &mut file.check;
        fc.compare(
            &E2,
            "TANF_COUNT",
            error::COUNT_MISMATCH,
            c.tanf_count,
            seen.tanf_count,
        );
        fc.compare(
            &E2,
            "NON_TANF_COUNT",
            error::COUNT_MISMATCH,
            c.non_tanf_count,
            seen.non_tanf_count,
        );
        fc.compare(
            &E2,
            "TANF_AMOUNT",
            error::AMOUNT_MISMATCH,
            c.tanf_amount,
            seen.tanf_amount,
        );
        fc.compare(
            &E2,
            "NON_TANF_AMOUNT",
            error::AMOUNT_MISMATCH,
            c.non_tanf_amount,
            seen.non_tanf_amount,
        );
        file.retain_state(&c.state, |s| &s.key().state, &E1);
    }
    let (submissions, control, verdicts, errors) = file.into_parts();
    SubmissionFile {
        submissions,
        verdicts,
        control,
        errors,
    }
}

/// Counts an E-1 record from its raw bytes (case type at 74, transaction at 73, amount
/// at 65–72), so that an invalid record still counts.
fn tally_raw(c: &mut SubmissionControl, rec: &[u8]) {
    let case_type = match rec.get(73) {
        Some(b'A') => CaseType::Tanf,
        Some(b'N') => CaseType::NonTanf,
        _ => return,
    };
    let amount = match rec.get(72) {
        Some(b'A' | b'M') => std::str::from_utf8(&rec[64..72])
            .ok()
            .and_then(|s| s.parse::<u64>().ok())
            .unwrap_or(0),
        _ => 0,
    };
    c.add(case_type, amount);
}

/// The per-record verdicts of a submission file (`ivd-gateway check offset-submission`),
/// control-total errors on the control record's verdict.
/// A missing control record is a verdict of its own after the last record.
pub fn submission_verdicts(
    bytes: &[u8],
    encoding: Encoding,
) -> impl Iterator<Item = RecordVerdict> {
    let file = read_submission_file(bytes, encoding);
    crate::fields::check_verdicts(file.verdicts, &file.errors).into_iter()
}
