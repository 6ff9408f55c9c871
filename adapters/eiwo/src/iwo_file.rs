//! e-IWO files (state → employer): `FHI`, batches of `BHI` / `DTL`… / `BTI`, `FTI`.

use ivd_fixed::{FieldError, RecordVerdict};
use ivd_model::{Fein, StateFips};
use time::PrimitiveDateTime;

use crate::codes::envelope::EIN;
use crate::envelope::{
    FileHeaderInfo, FileKind, assemble, check_control_number, line_verdicts, read_envelope,
};
use crate::fields::WriteError;
use crate::iwo::Iwo;

/// One batch of IWOs for one employer FEIN.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IwoBatch {
    /// The batch's control number (22 A/N, unique forever).
    pub control_number: String,
    /// The employer's FEIN (batch header EIN); every IWO of the batch is for it.
    pub fein: Fein,
    /// The IWOs.
    pub iwos: Vec<Iwo>,
}

/// Writes an e-IWO file. Checks every control number (22 A/N, none twice in the file),
/// that the header names the issuing state, and that every IWO's employer FEIN is its
/// batch's. Nothing is truncated: a value that does not fit is an error naming the batch,
/// record and field.
pub fn write_iwo_file(
    header: &FileHeaderInfo,
    batches: &[IwoBatch],
) -> Result<Vec<u8>, WriteError> {
    let mut framed = Vec::with_capacity(batches.len());
    for (b, batch) in batches.iter().enumerate() {
        let mut records = Vec::with_capacity(batch.iwos.len());
        for (i, iwo) in batch.iwos.iter().enumerate() {
            let at = |e: WriteError| e.at(Some(b + 1), Some(i + 1));
            if iwo.employer.fein != batch.fein {
                return Err(at(WriteError::new(
                    "EIN",
                    EIN,
                    "the IWO's employer FEIN is not its batch's",
                )));
            }
            records.push(iwo.to_record().map_err(at)?);
        }
        framed.push((batch.control_number.clone(), batch.fein.clone(), records));
    }
    assemble(FileKind::Iwo, header, &framed)
}

/// Builds an e-IWO file batch by batch.
///
/// ```
/// # use ivd_eiwo::IwoFileWriter;
/// # use ivd_model::{Fein, StateFips};
/// # use time::macros::datetime;
/// let mut w = IwoFileWriter::new(
///     "27IWO00000000000000001",
///     StateFips::parse("27")?,
///     Fein::parse("41-1234567")?,
///     datetime!(2025-03-01 08:30:00),
/// )
/// .expect("valid control number");
/// w.add_batch("27IWB00000000000000001", &Fein::parse("41-1234567")?, &[]).unwrap();
/// let file = w.finish().unwrap();
/// assert!(file.starts_with(b"FHI27IWO00000000000000001"));
/// assert_eq!(ivd_eiwo::read_iwo_file(&file).envelope_errors, vec![]);
/// # Ok::<(), ivd_model::IdError>(())
/// ```
#[derive(Debug, Clone)]
pub struct IwoFileWriter {
    header: FileHeaderInfo,
    batches: Vec<IwoBatch>,
}

impl IwoFileWriter {
    /// A file with control number `file_control`, from `state_fips` to the receiver whose
    /// EIN is `ein` (the employer, or its payroll processor), created at `created`.
    pub fn new(
        file_control: &str,
        state_fips: StateFips,
        ein: Fein,
        created: PrimitiveDateTime,
    ) -> Result<Self, WriteError> {
        check_control_number(file_control)?;
        Ok(IwoFileWriter {
            header: FileHeaderInfo {
                control_number: file_control.to_owned(),
                state_fips: Some(state_fips),
                ein,
                primary_ein: None,
                created,
            },
            batches: Vec::new(),
        })
    }

    /// Sets the primary (payroll-processor) EIN of the headers.
    pub fn primary_ein(&mut self, ein: Fein) -> &mut Self {
        self.header.primary_ein = Some(ein);
        self
    }

    /// Adds a batch for `employer_fein`. The control number is checked now; the IWOs when
    /// the file is finished.
    pub fn add_batch(
        &mut self,
        batch_control: &str,
        employer_fein: &Fein,
        iwos: &[Iwo],
    ) -> Result<&mut Self, WriteError> {
        check_control_number(batch_control)
            .map_err(|e| e.at(Some(self.batches.len() + 1), None))?;
        self.batches.push(IwoBatch {
            control_number: batch_control.to_owned(),
            fein: employer_fein.clone(),
            iwos: iwos.to_vec(),
        });
        Ok(self)
    }

    /// The file's bytes.
    pub fn finish(self) -> Result<Vec<u8>, WriteError> {
        write_iwo_file(&self.header, &self.batches)
    }
}

/// An e-IWO file as an employer reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IwoFile {
    /// The file header, when it is valid.
    pub header: Option<FileHeaderInfo>,
    /// The file header's control number as written (even when the header is invalid).
    pub file_control: String,
    /// The batches whose header is valid, each with its valid IWOs, in file order.
    pub batches: Vec<IwoBatch>,
    /// One verdict per `DTL` record (numbered by line in the file).
    pub verdicts: Vec<RecordVerdict>,
    /// Errors of the envelope (§1.2 codes: `REC`, `DOC`, `RCT`, `BCT`, `CNM`, …). A file
    /// with any is rejected whole; its records are still checked.
    pub envelope_errors: Vec<FieldError>,
}

impl IwoFile {
    /// Every valid IWO, in file order.
    pub fn iwos(&self) -> impl Iterator<Item = &Iwo> {
        self.batches.iter().flat_map(|b| b.iwos.iter())
    }
}

/// Reads an e-IWO file: the envelope first, then each `DTL` record. Never panics; a bad
/// record never stops the good ones.
pub fn read_iwo_file(bytes: &[u8]) -> IwoFile {
    let env = read_envelope(bytes, FileKind::Iwo);
    let mut batches: Vec<Option<IwoBatch>> = env
        .batches
        .iter()
        .map(|b| {
            b.fein.clone().map(|fein| IwoBatch {
                control_number: b.control.clone(),
                fein,
                iwos: Vec::new(),
            })
        })
        .collect();
    let mut verdicts = Vec::with_capacity(env.details.len());
    for d in &env.details {
        match Iwo::from_record(d.bytes) {
            Ok(iwo) => {
                verdicts.push(RecordVerdict::valid(d.number));
                if let Some(Some(b)) = d.batch.and_then(|i| batches.get_mut(i)) {
                    b.iwos.push(iwo);
                }
            }
            Err(errors) => verdicts.push(RecordVerdict::new(d.number, errors)),
        }
    }
    IwoFile {
        header: env.header.clone(),
        file_control: env.file_control.clone(),
        batches: batches.into_iter().flatten().collect(),
        verdicts,
        envelope_errors: env.errors,
    }
}

/// One verdict per line of an e-IWO file (envelope and `DTL` errors together), for a
/// `check` command.
pub fn iwo_verdicts(bytes: &[u8]) -> impl Iterator<Item = RecordVerdict> {
    let env = read_envelope(bytes, FileKind::Iwo);
    let details: Vec<_> = env
        .details
        .iter()
        .map(|d| {
            (
                d.number,
                Iwo::from_record(d.bytes).err().unwrap_or_default(),
            )
        })
        .collect();
    line_verdicts(&env, details).into_iter()
}
