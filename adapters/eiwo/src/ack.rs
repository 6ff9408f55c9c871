//! Employer acknowledgments (employer → state): `FHA`, batches of `BHA` / `ACK`… /
//! `BTA`, `FTA` (Chart D-4, spec §1.4).
//!
//! Every `ACK` record answers one IWO (action `ORG`/`AMD`/`TRM`/`LUM`, status `A` or `R`)
//! or is a notice the employer starts (`EMP`, status `L`/`S`/`T`). Besides field syntax,
//! each record is checked against these rules (per-record errors, never a whole-file
//! rejection):
//!
//! | rule | code |
//! |---|---|
//! | status/reason combination allowed for the action ([`Disposition::check`]) | `INVALID_COMBINATION` |
//! | reason `M` names the other state (`MULTIPLE_IWO_STATE_CODE`) | `MISSING` |
//! | an answer to an IWO carries its tracking number | `MISSING` |
//! | `EMP` + `T` carries the termination date | `MISSING` |
//! | `EMP` + `L` carries the lump-sum date and amount | `MISSING` |
//!
//! The last four are \[I\]: what Kansas needs to act on the record (§1.4 field list).

use ivd_fixed::{ErrorCode, FieldError, RecordVerdict};
use ivd_model::{CaseId, Fein, Money, PersonName, PersonalText, Phone, Ssn, StateCode, ZipCode};
use time::Date;

use crate::codes::record::{INVALID_CODE, INVALID_COMBINATION, MISSING};
use crate::codes::{AckAction, Disposition, DispositionReason, DispositionStatus};
use crate::envelope::{FileHeaderInfo, FileKind, assemble, line_verdicts, read_envelope};
use crate::fields::{FieldReader, FieldWriter, IdFields, WriteError};
use crate::iwo::{PostalAddress, code_of, read_address, read_name, write_address, write_name};
use crate::layout::ACK;

/// The employee's last known home address, as the employer reports it on a termination.
/// Personal data: every part is a masking newtype.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NcpAddress {
    /// Line 1.
    pub line1: PersonalText,
    /// Line 2.
    pub line2: Option<PersonalText>,
    /// City.
    pub city: PersonalText,
    /// State.
    pub state: StateCode,
    /// ZIP or ZIP+4.
    pub zip: ZipCode,
}

/// The employee's new employer, when the old one knows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewEmployer {
    /// Name (57).
    pub name: String,
    /// Address.
    pub address: PostalAddress,
}

/// One acknowledgment (`ACK` record).
///
/// `Debug` masks personal data (SSN, names, the NCP's address and phone).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Acknowledgment {
    /// Line number in the file it was read from (0 when built to be written; ignored on
    /// write).
    pub record: u64,
    /// The IWO action answered, or `EMP`.
    pub action: AckAction,
    /// The IV-D case id of the IWO.
    pub case_id: CaseId,
    /// The employer's FEIN.
    pub fein: Fein,
    /// The employee's name as the employer has it.
    pub employee_name: Option<PersonName>,
    /// The employee's SSN.
    pub employee_ssn: Option<Ssn>,
    /// The IWO's document tracking number (required when answering an IWO).
    pub tracking_number: String,
    /// The IWO's order identifier.
    pub order_id: String,
    /// Status and reason.
    pub disposition: Disposition,
    /// Date employment ended.
    pub termination_date: Option<Date>,
    /// Date of the final payment.
    pub final_payment_date: Option<Date>,
    /// Amount of the final payment.
    pub final_payment_amount: Option<Money>,
    /// The employee's last known address.
    pub ncp_address: Option<NcpAddress>,
    /// The employee's last known phone.
    pub ncp_phone: Option<Phone>,
    /// The new employer.
    pub new_employer: Option<NewEmployer>,
    /// Date of the lump-sum payment.
    pub lump_sum_date: Option<Date>,
    /// Amount of the lump-sum payment.
    pub lump_sum_amount: Option<Money>,
    /// Kind of lump sum (bonus, commission, …; 35).
    pub lump_sum_type: String,
    /// With reason `M`: the other state that sent an IWO.
    pub multi_iwo_state: Option<StateCode>,
}

impl Acknowledgment {
    /// A minimal acknowledgment answering an IWO.
    pub fn answer(
        action: AckAction,
        case_id: CaseId,
        fein: Fein,
        tracking_number: &str,
        disposition: Disposition,
    ) -> Self {
        Acknowledgment {
            record: 0,
            action,
            case_id,
            fein,
            employee_name: None,
            employee_ssn: None,
            tracking_number: tracking_number.to_owned(),
            order_id: String::new(),
            disposition,
            termination_date: None,
            final_payment_date: None,
            final_payment_amount: None,
            ncp_address: None,
            ncp_phone: None,
            new_employer: None,
            lump_sum_date: None,
            lump_sum_amount: None,
            lump_sum_type: String::new(),
            multi_iwo_state: None,
        }
    }

    /// The rules beyond field syntax (see the module documentation): `(field, code,
    /// message)` of each broken one.
    pub fn rule_errors(&self) -> Vec<(&'static str, ErrorCode, &'static str)> {
        let mut out = Vec::new();
        if let Err(msg) = self.disposition.check(self.action) {
            out.push(("DISPOSITION_REASON_CODE", INVALID_COMBINATION, msg));
        }
        if self.disposition.reason == Some(DispositionReason::MultipleStates)
            && self.multi_iwo_state.is_none()
        {
            out.push((
                "MULTIPLE_IWO_STATE_CODE",
                MISSING,
                "reason M names the other state",
            ));
        }
        let emp = self.action == AckAction::EmployerInitiated;
        if !emp && self.tracking_number.is_empty() {
            out.push((
                "DOCUMENT_TRACKING_NUMBER",
                MISSING,
                "an answer to an IWO carries its tracking number",
            ));
        }
        if emp
            && self.disposition.status == DispositionStatus::Terminated
            && self.termination_date.is_none()
        {
            out.push((
                "TERMINATION_DATE",
                MISSING,
                "a termination notice carries the termination date",
            ));
        }
        if emp && self.disposition.status == DispositionStatus::LumpSumNotice {
            if self.lump_sum_date.is_none() {
                out.push((
                    "LUMP_SUM_DATE",
                    MISSING,
                    "a lump-sum notice carries its date",
                ));
            }
            if self.lump_sum_amount.is_none() {
                out.push((
                    "LUMP_SUM_AMOUNT",
                    MISSING,
                    "a lump-sum notice carries its amount",
                ));
            }
        }
        out
    }

    /// Writes the `ACK` record (without line terminator). Refuses a record that breaks a
    /// rule of the module documentation.
    pub fn to_record(&self) -> Result<Vec<u8>, WriteError> {
        if let Some((field, code, msg)) = self.rule_errors().into_iter().next() {
            return Err(WriteError::new(field, code, msg));
        }
        let mut w = FieldWriter::new(&ACK);
        w.text("DOCUMENT_ACTION_CODE", self.action.code())
            .text("CASE_IDENTIFIER", self.case_id.as_str())
            .text("EIN", self.fein.expose());
        write_name(&mut w, EMPLOYEE_NAME, self.employee_name.as_ref());
        w.text(
            "EMPLOYEE_SSN",
            self.employee_ssn.as_ref().map_or("", Ssn::expose),
        )
        .text("DOCUMENT_TRACKING_NUMBER", &self.tracking_number)
        .text("ORDER_IDENTIFIER", &self.order_id)
        .text("DISPOSITION_STATUS_CODE", self.disposition.status.code())
        .text(
            "DISPOSITION_REASON_CODE",
            self.disposition.reason.map_or("", DispositionReason::code),
        )
        .date("TERMINATION_DATE", self.termination_date)
        .date("FINAL_PAYMENT_DATE", self.final_payment_date)
        .cents_opt(
            "FINAL_PAYMENT_AMOUNT",
            self.final_payment_amount.map(Money::cents),
        );
        let a = self.ncp_address.as_ref();
        let zip = a.map(|a| &a.zip);
        w.text(
            "NCP_LAST_KNOWN_ADDRESS_LINE_1",
            a.map_or("", |a| a.line1.expose()),
        )
        .text(
            "NCP_LAST_KNOWN_ADDRESS_LINE_2",
            a.and_then(|a| a.line2.as_ref())
                .map_or("", PersonalText::expose),
        )
        .text(
            "NCP_LAST_KNOWN_ADDRESS_CITY_NAME",
            a.map_or("", |a| a.city.expose()),
        )
        .text(
            "NCP_LAST_KNOWN_ADDRESS_STATE_CODE",
            a.map_or("", |a| a.state.as_str()),
        )
        .text(
            "NCP_LAST_KNOWN_ADDRESS_ZIP_CODE",
            zip.map_or("", ZipCode::zip5),
        )
        .text(
            "NCP_LAST_KNOWN_ADDRESS_EXT_ZIP_CODE",
            zip.and_then(ZipCode::plus4).unwrap_or(""),
        )
        .text(
            "NCP_LAST_KNOWN_PHONE",
            self.ncp_phone.as_ref().map_or("", Phone::expose),
        );
        let empty = PostalAddress::default();
        let ne = self.new_employer.as_ref();
        w.text("NEW_EMPLOYER_NAME", ne.map_or("", |n| &n.name));
        write_address(
            &mut w,
            NEW_EMPLOYER_ADDRESS,
            ne.map_or(&empty, |n| &n.address),
        );
        w.date("LUMP_SUM_DATE", self.lump_sum_date)
            .cents_opt("LUMP_SUM_AMOUNT", self.lump_sum_amount.map(Money::cents))
            .text("LUMP_SUM_TYPE", &self.lump_sum_type)
            .text(
                "MULTIPLE_IWO_STATE_CODE",
                self.multi_iwo_state.as_ref().map_or("", StateCode::as_str),
            );
        Ok(w.finish()?)
    }

    /// Reads an `ACK` record (without line terminator): every field error and every broken
    /// rule, each naming field and position, never a value.
    pub fn from_record(record: u64, bytes: &[u8]) -> Result<Acknowledgment, Vec<FieldError>> {
        let rec = ACK.read(bytes).map_err(|e| vec![e])?;
        let mut r = FieldReader::new(rec);
        let _ = r.text("DOCUMENT_CODE");
        let action = code_of(&mut r, "DOCUMENT_ACTION_CODE", AckAction::from_code);
        let case_id = r.required("CASE_IDENTIFIER", CaseId::parse);
        let fein = r.required("EIN", Fein::parse);
        let employee_name = read_name(&mut r, EMPLOYEE_NAME);
        let employee_ssn = r.parsed("EMPLOYEE_SSN", Ssn::parse);
        let tracking_number = r.string("DOCUMENT_TRACKING_NUMBER");
        let order_id = r.string("ORDER_IDENTIFIER");
        let status = code_of(
            &mut r,
            "DISPOSITION_STATUS_CODE",
            DispositionStatus::from_code,
        );
        let reason_text = r.text("DISPOSITION_REASON_CODE");
        let reason = DispositionReason::from_code(reason_text);
        if !reason_text.is_empty() && reason.is_none() {
            r.fail("DISPOSITION_REASON_CODE", INVALID_CODE, "unknown code");
        }
        let termination_date = r.date("TERMINATION_DATE");
        let final_payment_date = r.date("FINAL_PAYMENT_DATE");
        let final_payment_amount = cents(&mut r, "FINAL_PAYMENT_AMOUNT");
        let ncp_address = read_ncp_address(&mut r);
        let ncp_phone = r.parsed("NCP_LAST_KNOWN_PHONE", Phone::parse);
        let new_employer_name = r.string("NEW_EMPLOYER_NAME");
        let new_employer_address = read_address(&mut r, NEW_EMPLOYER_ADDRESS);
        let new_employer = (!new_employer_name.is_empty()
            || new_employer_address != PostalAddress::default())
        .then_some(NewEmployer {
            name: new_employer_name,
            address: new_employer_address,
        });
        let lump_sum_date = r.date("LUMP_SUM_DATE");
        let lump_sum_amount = cents(&mut r, "LUMP_SUM_AMOUNT");
        let lump_sum_type = r.string("LUMP_SUM_TYPE");
        let multi_iwo_state = r.parsed("MULTIPLE_IWO_STATE_CODE", StateCode::parse);
        let (Some(action), Some(case_id), Some(fein), Some(status)) =
            (action, case_id, fein, status)
        else {
            return Err(or_required(r.finish()));
        };
        let ack = Acknowledgment {
            record,
            action,
            case_id,
            fein,
            employee_name,
            employee_ssn,
            tracking_number,
            order_id,
            disposition: Disposition { status, reason },
            termination_date,
            final_payment_date,
            final_payment_amount,
            ncp_address,
            ncp_phone,
            new_employer,
            lump_sum_date,
            lump_sum_amount,
            lump_sum_type,
            multi_iwo_state,
        };
        if reason_text.is_empty() || reason.is_some() {
            for (field, code, msg) in ack.rule_errors() {
                r.fail(field, code, msg);
            }
        }
        let errors = r.finish();
        if errors.is_empty() {
            Ok(ack)
        } else {
            Err(errors)
        }
    }
}

fn or_required(errors: Vec<FieldError>) -> Vec<FieldError> {
    if errors.is_empty() {
        vec![FieldError::record_level(
            ErrorCode::REQUIRED,
            "a required field is blank",
        )]
    } else {
        errors
    }
}

fn cents(r: &mut FieldReader<'_>, field: &'static str) -> Option<Money> {
    r.number_opt(field).map(|c| Money::from_cents(c as i64))
}

const EMPLOYEE_NAME: [&str; 4] = [
    "EMPLOYEE_LAST_NAME",
    "EMPLOYEE_FIRST_NAME",
    "EMPLOYEE_MIDDLE_NAME",
    "EMPLOYEE_SUFFIX",
];
const NEW_EMPLOYER_ADDRESS: [&str; 6] = [
    "NEW_EMPLOYER_ADDRESS_LINE_1",
    "NEW_EMPLOYER_ADDRESS_LINE_2",
    "NEW_EMPLOYER_ADDRESS_CITY_NAME",
    "NEW_EMPLOYER_ADDRESS_STATE_CODE",
    "NEW_EMPLOYER_ADDRESS_ZIP_CODE",
    "NEW_EMPLOYER_ADDRESS_EXT_ZIP_CODE",
];

/// The NCP's address: all blank is `None`; otherwise line 1, city, state and ZIP are
/// required.
fn read_ncp_address(r: &mut FieldReader<'_>) -> Option<NcpAddress> {
    let raw = [
        "NCP_LAST_KNOWN_ADDRESS_LINE_1",
        "NCP_LAST_KNOWN_ADDRESS_LINE_2",
        "NCP_LAST_KNOWN_ADDRESS_CITY_NAME",
        "NCP_LAST_KNOWN_ADDRESS_STATE_CODE",
        "NCP_LAST_KNOWN_ADDRESS_ZIP_CODE",
        "NCP_LAST_KNOWN_ADDRESS_EXT_ZIP_CODE",
    ];
    let texts: Vec<&str> = raw.iter().map(|f| r.text(f)).collect();
    if texts.iter().all(|t| t.is_empty()) {
        return None;
    }
    let line1 = r.required(raw[0], PersonalText::parse);
    let line2 = r.parsed(raw[1], PersonalText::parse);
    let city = r.required(raw[2], PersonalText::parse);
    let state = r.required(raw[3], StateCode::parse);
    let zip_text = if texts[5].is_empty() {
        texts[4].to_owned()
    } else {
        format!("{}-{}", texts[4], texts[5])
    };
    let zip = if texts[4].is_empty() {
        r.fail(raw[4], ErrorCode::REQUIRED, "required field is blank");
        None
    } else {
        match ZipCode::parse(&zip_text) {
            Ok(z) => Some(z),
            Err(e) => {
                r.fail(
                    raw[4],
                    crate::codes::record::INVALID_ID,
                    format!("{}: {e}", e.code()),
                );
                None
            }
        }
    };
    Some(NcpAddress {
        line1: line1?,
        line2,
        city: city?,
        state: state?,
        zip: zip?,
    })
}

/// One batch of acknowledgments, for one employer FEIN.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AckBatch {
    /// The batch's control number (22 A/N, unique forever).
    pub control_number: String,
    /// The employer's FEIN (batch header EIN).
    pub fein: Fein,
    /// The acknowledgments.
    pub acknowledgments: Vec<Acknowledgment>,
}

/// Writes an acknowledgment file (`FHA`, `BHA`/`ACK`…/`BTA` per batch, `FTA`). The
/// employers' web form (a later issue) and tests use it.
pub fn write_acknowledgments(
    header: &FileHeaderInfo,
    batches: &[AckBatch],
) -> Result<Vec<u8>, WriteError> {
    let mut framed = Vec::with_capacity(batches.len());
    for (b, batch) in batches.iter().enumerate() {
        let records = batch
            .acknowledgments
            .iter()
            .enumerate()
            .map(|(i, a)| a.to_record().map_err(|e| e.at(Some(b + 1), Some(i + 1))))
            .collect::<Result<Vec<_>, _>>()?;
        framed.push((batch.control_number.clone(), batch.fein.clone(), records));
    }
    assemble(FileKind::Acknowledgment, header, &framed)
}

/// An acknowledgment file, read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AckFile {
    /// The file header, when valid.
    pub header: Option<FileHeaderInfo>,
    /// The file header's control number as written (even when invalid).
    pub file_control: String,
    /// The file header's EIN, when valid.
    pub fein: Option<Fein>,
    /// Every valid `ACK` record, in file order, with its line number.
    pub acknowledgments: Vec<Acknowledgment>,
    /// One verdict per `ACK` record.
    pub verdicts: Vec<RecordVerdict>,
    /// Errors of the envelope (§1.2 codes). A file with any is rejected whole; its
    /// records are still checked so the report is complete.
    pub envelope_errors: Vec<FieldError>,
}

impl AckFile {
    /// Whether the envelope is sound, so the valid acknowledgments may be applied.
    pub fn is_envelope_valid(&self) -> bool {
        self.envelope_errors.is_empty()
    }
}

/// Reads an acknowledgment file: the envelope first (header first, trailers present,
/// counts match), then each `ACK` record. Never panics; a bad record never stops the
/// good ones.
pub fn read_acknowledgments(bytes: &[u8]) -> AckFile {
    let env = read_envelope(bytes, FileKind::Acknowledgment);
    let mut acknowledgments = Vec::new();
    let mut verdicts = Vec::with_capacity(env.details.len());
    for d in &env.details {
        match Acknowledgment::from_record(d.number, d.bytes) {
            Ok(a) => {
                acknowledgments.push(a);
                verdicts.push(RecordVerdict::valid(d.number));
            }
            Err(errors) => verdicts.push(RecordVerdict::new(d.number, errors)),
        }
    }
    AckFile {
        header: env.header.clone(),
        file_control: env.file_control.clone(),
        fein: env.file_ein.clone(),
        acknowledgments,
        verdicts,
        envelope_errors: env.errors,
    }
}

/// One verdict per line of an acknowledgment file, envelope errors included (those of
/// the whole file, such as a missing trailer, on the last line): the contract of
/// `ivd-gateway check eiwo-ack`.
pub fn acknowledgment_verdicts(bytes: &[u8]) -> impl Iterator<Item = RecordVerdict> {
    let env = read_envelope(bytes, FileKind::Acknowledgment);
    let details: Vec<_> = env
        .details
        .iter()
        .map(|d| {
            (
                d.number,
                Acknowledgment::from_record(d.number, d.bytes)
                    .err()
                    .unwrap_or_default(),
            )
        })
        .collect();
    line_verdicts(&env, details).into_iter()
}
