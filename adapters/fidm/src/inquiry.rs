//! Method 2: the inquiry file, state → FI (D / I… / T, 99 bytes each).

use ivd_fixed::{Encoding, FieldError, Framing, RecordVerdict};

use crate::engine::{Engine, FileFormat};
use crate::framing::put_record;
use crate::layouts::{INQUIRY_LEN, INQUIRY_T_RECORD};
use crate::matches::is_file_level;
use crate::records;
use crate::types::Inquiry;
use crate::write::{WriteError, accepted, invalid};

pub(crate) struct InquiryFormat;

impl FileFormat for InquiryFormat {
    type Header = (u16, u8);
    type Body = Inquiry;
    const LEN: usize = INQUIRY_LEN;
    const HEADER: u8 = b'D';
    const BODY: u8 = b'I';
    const TRAILER: &'static ivd_fixed::Layout = &INQUIRY_T_RECORD;

    fn header(rec: &[u8], errors: &mut Vec<FieldError>) -> Option<(u16, u8)> {
        records::read_inquiry_header(rec, errors)
    }

    fn body(
        _number: u64,
        rec: &[u8],
        _header: Option<&(u16, u8)>,
        errors: &mut Vec<FieldError>,
    ) -> Option<Inquiry> {
        records::read_inquiry(rec, errors)
    }
}

/// An inquiry file, read whole: see [`read_inquiry_file`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InquiryFile {
    /// `CCYYMM` from the D record, when the file starts with a valid one.
    pub year_month: Option<(u16, u8)>,
    /// Every valid I record, in file order.
    pub inquiries: Vec<Inquiry>,
    /// The record number of each entry of `inquiries`.
    pub records: Vec<u64>,
    /// One verdict per physical record (D, every I, T), plus one numbered after the last
    /// record when the T record is missing.
    pub verdicts: Vec<RecordVerdict>,
    /// The file-level errors among them: `MISSING_HEADER`, `MISSING_TRAILER`,
    /// `TRAILER_COUNT`.
    pub errors: Vec<FieldError>,
}

impl InquiryFile {
    /// `true` when every record is valid and the file is complete.
    pub fn is_valid(&self) -> bool {
        self.errors.is_empty() && self.verdicts.iter().all(RecordVerdict::is_valid)
    }
}

/// Writes a Method 2 inquiry file, back to back: `D` (with `year_month`, which the FI
/// copies into its A record), one `I` per inquiry, `T` with their count.
///
/// ```
/// use ivd_fidm::{Encoding, Inquiry, read_inquiry_file, write_inquiry_file};
/// let who = Inquiry {
///     ssn: "123456789".parse()?,
///     last_name: "LANTERN".into(),
///     first_name: "MAPLE".into(),
///     passback: "CSE0000000101".into(),
///     fips: "20000".into(),
/// };
/// let bytes = write_inquiry_file((2026, 3), &[who.clone()], Encoding::Ebcdic037)?;
/// assert_eq!(bytes.len(), 3 * 99);
/// let file = read_inquiry_file(&bytes, Encoding::Ebcdic037);
/// assert_eq!((file.year_month, file.inquiries), (Some((2026, 3)), vec![who]));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn write_inquiry_file(
    year_month: (u16, u8),
    inquiries: &[Inquiry],
    encoding: Encoding,
) -> Result<Vec<u8>, WriteError> {
    write_inquiry_file_with(year_month, inquiries, encoding, Framing::Fixed)
}

/// [`write_inquiry_file`] with line terminators (`Lf` or `CrLf`, in the file's encoding).
pub fn write_inquiry_file_with(
    year_month: (u16, u8),
    inquiries: &[Inquiry],
    encoding: Encoding,
    framing: Framing,
) -> Result<Vec<u8>, WriteError> {
    let mut out = Vec::with_capacity((inquiries.len() + 2) * (INQUIRY_LEN + 2));
    let mut rec = records::write_inquiry_header(year_month).map_err(invalid(1))?;
    let mut errors = Vec::new();
    records::read_inquiry_header(&rec, &mut errors);
    accepted(1, errors)?;
    put_record(&mut out, &mut rec, encoding, framing)?;
    for (i, q) in inquiries.iter().enumerate() {
        let number = i as u64 + 2;
        let mut rec = records::write_inquiry(q).map_err(invalid(number))?;
        let mut errors = Vec::new();
        records::read_inquiry(&rec, &mut errors);
        accepted(number, errors)?;
        put_record(&mut out, &mut rec, encoding, framing)?;
    }
    let number = inquiries.len() as u64 + 2;
    let mut rec =
        records::write_count(&INQUIRY_T_RECORD, inquiries.len() as u64).map_err(invalid(number))?;
    put_record(&mut out, &mut rec, encoding, framing)?;
    Ok(out)
}

/// Reads a Method 2 inquiry file (the FI's side; tests and demos).
pub fn read_inquiry_file(bytes: &[u8], encoding: Encoding) -> InquiryFile {
    let mut engine: Engine<&[u8], InquiryFormat> = Engine::new(bytes, encoding);
    let mut file = InquiryFile {
        year_month: None,
        inquiries: Vec::new(),
        records: Vec::new(),
        verdicts: Vec::new(),
        errors: Vec::new(),
    };
    while let Some(step) = engine.step() {
        if let Some(q) = step.body {
            file.inquiries.push(q);
            file.records.push(step.record);
        }
        file.errors
            .extend(step.errors.iter().filter(|e| is_file_level(e)).cloned());
        file.verdicts
            .push(RecordVerdict::new(step.record, step.errors));
    }
    file.year_month = engine.header().copied();
    file
}

/// One verdict per physical record of an inquiry file, streaming.
pub fn inquiry_verdicts(
    bytes: &[u8],
    encoding: Encoding,
) -> impl Iterator<Item = RecordVerdict> + '_ {
    let mut engine: Engine<&[u8], InquiryFormat> = Engine::new(bytes, encoding);
    std::iter::from_fn(move || engine.step()).map(|s| RecordVerdict::new(s.record, s.errors))
}
