//! Shared plumbing: the offset rules over [`ivd_fixed`]'s field reader, the crate's
//! [`WriteError`], value rules, file scanning and masking.

use std::borrow::Cow;
use std::collections::BTreeSet;
use std::fmt;

use ivd_fixed::{Encoding, ErrorCode, FieldError, Framing, Layout, RecordVerdict, split_records};

use crate::codes::{Exclusion, error};
use crate::layout::RECORD_LEN;
use crate::ssn::OffsetSsn;

pub(crate) use ivd_fixed::{FieldReader, FieldWriter};

/// The offset rules over [`FieldReader`]: years, indicators, SSNs and exclusions.
pub(crate) trait OffsetFields {
    /// A year (`CCYY`) field; zero or blank is `None`; outside 1900–2999 is `BAD_YEAR`.
    fn year(&mut self, name: &'static str) -> Option<u16>;
    /// A `Y`/`N` indicator; blank is `None`.
    fn indicator(&mut self, name: &'static str) -> Option<bool>;
    /// The 9 digits of an SSN field (any 9 digits: whether they are a valid SSN is the
    /// caller's rule); `INVALID_SSN` otherwise.
    fn ssn(&mut self, name: &'static str) -> Option<OffsetSsn>;
    /// The comma-joined exclusion field.
    fn exclusions(&mut self, name: &'static str) -> BTreeSet<Exclusion>;
}

impl OffsetFields for FieldReader<'_> {
    fn year(&mut self, name: &'static str) -> Option<u16> {
        let y = self.number_nonzero(name)?;
        match u16::try_from(y) {
            Ok(y) if (1900..=2999).contains(&y) => Some(y),
            _ => {
                self.fail(
                    name,
                    error::BAD_YEAR,
                    "year must be CCYY between 1900 and 2999",
                );
                None
            }
        }
    }

    fn indicator(&mut self, name: &'static str) -> Option<bool> {
        match self.text(name) {
            "" => None,
            "Y" => Some(true),
            "N" => Some(false),
            _ => {
                self.fail(
                    name,
                    error::BAD_INDICATOR,
                    "indicator must be Y, N or blank",
                );
                None
            }
        }
    }

    fn ssn(&mut self, name: &'static str) -> Option<OffsetSsn> {
        let s = self.text_checked(name)?;
        match OffsetSsn::parse(s) {
            Ok(v) => Some(v),
            Err(_) => {
                self.fail(name, error::INVALID_SSN, "an SSN field is 9 digits");
                None
            }
        }
    }

    fn exclusions(&mut self, name: &'static str) -> BTreeSet<Exclusion> {
        let s = self.text(name);
        match Exclusion::parse_list(s) {
            Ok(set) => set,
            Err((code, msg)) => {
                self.fail(name, code, msg);
                BTreeSet::new()
            }
        }
    }
}

/// An error on field `name` of `layout`, positioned from the table.
pub(crate) fn at(
    layout: &Layout,
    name: &'static str,
    code: ErrorCode,
    message: String,
) -> FieldError {
    layout.error_at(name, code, message)
}

/// Why a file could not be written: which record of the file (1-based, as the reader
/// would number it), which field, a stable code and a message — never the value, which
/// may be an SSN or a name.
#[derive(Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
#[error("{}", self.render())]
pub struct WriteError {
    /// 1-based record number in the file being written.
    pub record: u64,
    /// Field name (as in the layout), or `"record"`.
    pub field: Cow<'static, str>,
    /// Stable code: an [`ivd_fixed::ErrorCode`] or one of [`crate::codes::error`].
    pub code: ErrorCode,
    /// What is wrong.
    pub message: String,
}

impl WriteError {
    pub(crate) fn from_field(record: u64, e: FieldError) -> Self {
        WriteError {
            record,
            field: e.field,
            code: e.code,
            message: e.message,
        }
    }

    fn render(&self) -> String {
        format!(
            "record {}, {}: {}: {}",
            self.record, self.field, self.code, self.message
        )
    }
}

impl fmt::Debug for WriteError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.render())
    }
}

/// Frames encoded records into a file: EBCDIC back to back (no terminators, as the
/// federal host writes them), ASCII one record per `\n`-terminated line.
pub(crate) fn frame(records: Vec<Vec<u8>>, encoding: Encoding) -> Vec<u8> {
    let mut out = Vec::with_capacity(records.len() * (RECORD_LEN + 1));
    for mut r in records {
        encoding.encode_in_place(&mut r);
        out.extend_from_slice(&r);
        if encoding == Encoding::Ascii {
            out.push(b'\n');
        }
    }
    out
}

/// One record of a file as the scanner sees it.
pub(crate) enum Scanned<'a> {
    /// A record of the right length.
    Record(u64, &'a [u8]),
    /// A framing error (already numbered).
    Broken(FieldError),
}

/// Decodes `bytes` and splits it into 245-byte records. Accepts records back to back,
/// or `\n` / `\r\n` terminated lines; in EBCDIC, NL (0x25) decodes to `\n` and is
/// accepted the same way.
///
/// The file is line-framed when a line end follows the first record, or when one comes
/// anywhere within the first two records' worth of bytes: a first line that is too short
/// or too long must cost that line alone (a `LENGTH` verdict, resynchronised at the next
/// line end), not shift every later record by its error and hide the line end inside
/// record 1. Records are text, so a back-to-back file holds no line end.
pub(crate) fn scan(bytes: &[u8], encoding: Encoding) -> (Cow<'_, [u8]>, Framing) {
    let decoded = encoding.decode(bytes);
    let window = &decoded[..decoded.len().min(2 * RECORD_LEN + 2)];
    let framing = match decoded.get(RECORD_LEN) {
        Some(b'\n' | b'\r') => Framing::AnyNewline,
        _ if window.contains(&b'\n') => Framing::AnyNewline,
        _ => Framing::Fixed,
    };
    (decoded, framing)
}

/// Iterates the records of a decoded buffer.
pub(crate) fn records(decoded: &[u8], framing: Framing) -> impl Iterator<Item = Scanned<'_>> {
    split_records(decoded, RECORD_LEN, framing).map(|r| match r {
        Ok(raw) => Scanned::Record(raw.number, raw.bytes),
        Err(e) => Scanned::Broken(e),
    })
}

/// The verdicts `check` prints: every record's own, then, when the file has errors that
/// belong to no record (it has no control record at all), one more verdict after the last
/// record carrying them. Without it a file that lost its control record, or an empty
/// file, would be reported as entirely valid.
pub(crate) fn check_verdicts(
    mut verdicts: Vec<RecordVerdict>,
    errors: &[FieldError],
) -> Vec<RecordVerdict> {
    let number = verdicts.last().map_or(1, |v| v.record + 1);
    let loose: Vec<FieldError> = errors
        .iter()
        .filter(|e| e.record.is_none())
        .map(|e| e.clone().with_record(number))
        .collect();
    if !loose.is_empty() {
        verdicts.push(RecordVerdict::new(number, loose));
    }
    verdicts
}

/// The parts every file reader shares: verdicts, the control record's place, file errors.
pub(crate) struct FileCheck {
    pub(crate) verdicts: Vec<RecordVerdict>,
    pub(crate) errors: Vec<FieldError>,
    /// Index in `verdicts` of the first control record.
    pub(crate) control_at: Option<usize>,
}

impl FileCheck {
    pub(crate) fn new() -> Self {
        FileCheck {
            verdicts: Vec::new(),
            errors: Vec::new(),
            control_at: None,
        }
    }

    /// Records a control record's verdict; flags a second control record.
    pub(crate) fn control(&mut self, number: u64, errors: Vec<FieldError>) -> bool {
        let mut v = RecordVerdict::new(number, errors);
        let first = self.control_at.is_none();
        if first {
            self.control_at = Some(self.verdicts.len());
        } else {
            let e = FieldError::record_level(
                error::DUPLICATE_CONTROL,
                "a second control record; only one is allowed",
            );
            v.push(e.clone());
            self.errors.push(e.with_record(number));
        }
        self.verdicts.push(v);
        first
    }

    pub(crate) fn detail(&mut self, number: u64, errors: Vec<FieldError>) -> usize {
        self.verdicts.push(RecordVerdict::new(number, errors));
        self.verdicts.len() - 1
    }

    pub(crate) fn broken(&mut self, e: FieldError) {
        let number = e.record.unwrap_or(self.verdicts.len() as u64 + 1);
        self.verdicts.push(RecordVerdict::new(number, vec![e]));
    }

    /// Adds an error to record `index`'s verdict.
    pub(crate) fn flag(&mut self, index: usize, e: FieldError) {
        self.verdicts[index].push(e);
    }

    /// An error of the control record: on its verdict and in the file errors.
    pub(crate) fn control_error(&mut self, e: FieldError) {
        if let Some(i) = self.control_at {
            let number = self.verdicts[i].record;
            self.verdicts[i].push(e.clone());
            self.errors.push(e.with_record(number));
        } else {
            self.errors.push(e);
        }
    }

    /// Missing control, or control not last.
    pub(crate) fn finish_structure(&mut self, what: &str) {
        match self.control_at {
            None => self.errors.push(FieldError::record_level(
                error::MISSING_CONTROL,
                format!("the file has no {what} control record"),
            )),
            Some(i) if i + 1 != self.verdicts.len() => {
                self.control_error(FieldError::record_level(
                    error::CONTROL_NOT_LAST,
                    "the control record must be the last record",
                ))
            }
            Some(_) => {}
        }
    }

    /// Compares one control total with the file's.
    pub(crate) fn compare(
        &mut self,
        layout: &Layout,
        field: &'static str,
        code: ErrorCode,
        control: impl Into<i128>,
        counted: impl Into<i128>,
    ) {
        let (control, counted) = (control.into(), counted.into());
        if control != counted {
            self.control_error(at(
                layout,
                field,
                code,
                format!("control says {control}, the records give {counted}"),
            ));
        }
    }
}

/// Reads a control record: the control when readable, and the record's errors.
pub(crate) type ControlReader<C> = fn(&[u8]) -> (Option<C>, Vec<FieldError>);

/// A file of detail records closed by one control record, as read: the readable details
/// (each with the index of its verdict), the control record when readable, and the
/// verdicts and file errors. Every offset file has this shape; each keeps its own control
/// totals.
pub(crate) struct ControlledFile<D, C> {
    pub(crate) details: Vec<(usize, D)>,
    pub(crate) control: Option<C>,
    pub(crate) check: FileCheck,
}

impl<D, C> ControlledFile<D, C> {
    /// Reads `bytes`: a record for which `is_control` holds is read by `control`, every
    /// other one by `detail` (which also answers for a record of an unknown type); then
    /// the structure is checked (the `what` control record missing or not last).
    pub(crate) fn read(
        bytes: &[u8],
        encoding: Encoding,
        what: &str,
        is_control: fn(&[u8]) -> bool,
        control: ControlReader<C>,
        mut detail: impl FnMut(u64, &[u8]) -> Result<D, Vec<FieldError>>,
    ) -> Self {
        let (decoded, framing) = scan(bytes, encoding);
        let mut check = FileCheck::new();
        let mut details = Vec::new();
        let mut found = None;
        for item in records(&decoded, framing) {
            match item {
                Scanned::Broken(e) => check.broken(e),
                Scanned::Record(n, rec) if is_control(rec) => {
                    let (c, errors) = control(rec);
                    if check.control(n, errors) {
                        found = c;
                    }
                }
                Scanned::Record(n, rec) => match detail(n, rec) {
                    Ok(d) => details.push((check.detail(n, Vec::new()), d)),
                    Err(errors) => {
                        check.detail(n, errors);
                    }
                },
            }
        }
        check.finish_structure(what);
        ControlledFile {
            details,
            control: found,
            check,
        }
    }

    /// The readable details, in file order.
    pub(crate) fn detail_values(&self) -> impl Iterator<Item = &D> {
        self.details.iter().map(|(_, d)| d)
    }

    /// Drops the details whose state is not `control_state`, flagging each on its
    /// verdict (`STATE_MISMATCH` on `layout`'s `STATE_CODE`).
    pub(crate) fn retain_state(
        &mut self,
        control_state: &str,
        state: impl Fn(&D) -> &str,
        layout: &Layout,
    ) {
        let check = &mut self.check;
        self.details.retain(|(i, d)| {
            let same = state(d) == control_state;
            if !same {
                check.flag(
                    *i,
                    at(
                        layout,
                        "STATE_CODE",
                        error::STATE_MISMATCH,
                        "the record's state is not the control record's".into(),
                    ),
                );
            }
            same
        });
    }

    /// The details, the control record, the verdicts and the file errors.
    pub(crate) fn into_parts(self) -> (Vec<D>, Option<C>, Vec<RecordVerdict>, Vec<FieldError>) {
        (
            self.details.into_iter().map(|(_, d)| d).collect(),
            self.control,
            self.check.verdicts,
            self.check.errors,
        )
    }
}

/// Reads a control record of `layout` with `read`: the control when the record has no
/// error, and its errors.
pub(crate) fn read_control<C>(
    layout: &'static Layout,
    record: &[u8],
    read: impl FnOnce(&mut FieldReader<'_>) -> C,
) -> (Option<C>, Vec<FieldError>) {
    let rec = match layout.read(record) {
        Ok(r) => r,
        Err(e) => return (None, vec![e]),
    };
    let mut r = FieldReader::new(rec);
    let c = read(&mut r);
    let errors = r.finish();
    (errors.is_empty().then_some(c), errors)
}

/// Writes a controlled file: each detail by `detail`, then the control record by
/// `control`, numbered as the reader would number them (an error says which record), and
/// frames them in `encoding`.
pub(crate) fn write_controlled<D>(
    details: &[D],
    detail: impl Fn(&D) -> Result<Vec<u8>, FieldError>,
    control: impl FnOnce() -> Result<Vec<u8>, FieldError>,
    encoding: Encoding,
) -> Result<Vec<u8>, WriteError> {
    let mut out = Vec::with_capacity(details.len() + 1);
    for (i, d) in details.iter().enumerate() {
        out.push(detail(d).map_err(|e| WriteError::from_field(i as u64 + 1, e))?);
    }
    let n = details.len() as u64 + 1;
    out.push(control().map_err(|e| WriteError::from_field(n, e))?);
    Ok(frame(out, encoding))
}

/// Whether positions 3–5 hold `CTL` (a control record of E, F-1/F-2 and F-4/F-5 files).
pub(crate) fn is_ctl(record: &[u8]) -> bool {
    record.get(2..5) == Some(b"CTL")
}

// ---- value rules -------------------------------------------------------------------

/// No lower-case letter (alphabetic data is upper case, \[V\]).
pub(crate) fn upper(s: &str) -> bool {
    !s.bytes().any(|b| b.is_ascii_lowercase())
}

/// A code-like value: `A`–`Z`, `0`–`9`, `-`, and spaces not at the start.
pub(crate) fn code_chars(s: &str) -> bool {
    !s.starts_with(' ')
        && s.bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'-' || b == b' ')
}

/// The last-name rule \[V\]: its first 4 positions hold no space and no special character
/// other than a hyphen (applied to the first `min(4, len)` characters of a shorter name,
/// \[I\]).
pub(crate) fn last_name_ok(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .take(4)
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'-')
}

/// The first-name rule \[V\]: position 1 is a letter.
pub(crate) fn first_name_ok(s: &str) -> bool {
    s.bytes().next().is_some_and(|b| b.is_ascii_uppercase())
}

/// A 2-letter USPS state code.
pub(crate) fn state_ok(s: &str) -> bool {
    ivd_model::StateCode::parse(s).is_ok()
}

/// A name masked to its initial, for `Debug`.
pub(crate) fn mask(s: &str) -> String {
    match s.chars().next() {
        Some(c) => format!("{c}***"),
        None => String::new(),
    }
}
