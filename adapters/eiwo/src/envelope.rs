//! The envelope every e-IWO file shares: file header, batches (batch header, detail
//! records, batch trailer), file trailer (Charts D-1 and D-2, spec §1.2).
//!
//! ```text
//! FHx  file header    control number of the file (unique forever)
//! BHx  batch header   control number of the batch (unique forever), the employer's EIN
//! DTL / ACK …         detail records
//! BTx  batch trailer  same control number; record count = detail records of the batch
//! …    more batches
//! FTx  file trailer   same control number; batch count; record count = all details
//! ```
//!
//! `x` is the file kind: `I` for IWOs (state → employer), `A` for acknowledgments
//! (employer → state). Reading validates the whole envelope before any detail record is
//! interpreted, as Kansas does (§1.2): structure errors are `REC`, a wrong document code
//! `DOC`, count mismatches `RCT` / `BCT`, and header fields `CNM`, `FPS`, `EIN`, `PPE`,
//! `CDT`, `CTM`. A file with any envelope error is rejected whole by the gateway; its
//! detail records are still checked so the report is complete.
//!
//! Counts \[P\]: a trailer's `RECORD_COUNT` counts detail records only (not headers and
//! trailers); `BATCH_COUNT` of the file trailer counts batches (a batch trailer writes 0 and
//! its batch count is not checked). `EMPLOYER_SENT_COUNT` and `STATE_SENT_COUNT` are the
//! portal's result counts: this crate writes the record count in the sender's column and 0
//! in the other, and does not check them on read.

use ivd_fixed::{ErrorCode, FieldError};
use ivd_model::{Fein, StateFips};
use time::{Date, PrimitiveDateTime, Time};

use crate::codes::envelope::{BCT, CDT, CNM, CTM, DOC, EIN, FPS, PPE, RCT, REC};
use crate::fields::{FieldReader, FieldWriter, IdFields, WriteError, lines};
use crate::layout::{HEADER, TRAILER};

/// Length of a control number (header positions 4–25, §1.2 \[V2\]).
pub const CONTROL_NUMBER_LEN: usize = 22;

/// Which kind of file: the third letter of the envelope's document codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FileKind {
    /// `FHI`/`BHI`/`BTI`/`FTI` with `DTL` records: IWOs, state → employer.
    Iwo,
    /// `FHA`/`BHA`/`BTA`/`FTA` with `ACK` records: acknowledgments, employer → state.
    Acknowledgment,
}

impl FileKind {
    /// `I` or `A`.
    pub const fn letter(self) -> u8 {
        match self {
            FileKind::Iwo => b'I',
            FileKind::Acknowledgment => b'A',
        }
    }

    /// `DTL` or `ACK`.
    pub const fn detail_code(self) -> &'static str {
        match self {
            FileKind::Iwo => "DTL",
            FileKind::Acknowledgment => "ACK",
        }
    }

    fn code(self, prefix: &str) -> String {
        format!("{prefix}{}", self.letter() as char)
    }
}

/// The file header's content (and, with the batch's own control number and EIN, every
/// batch header's).
///
/// * `ein` — in an IWO file, the EIN of the receiver (the employer or its payroll
///   processor); in an acknowledgment file, the sending employer's. Each batch header
///   carries its own employer's EIN.
/// * `primary_ein` — the payroll processor's EIN when one receives for several employers.
/// * `state_fips` — the state that issues the IWOs; required in IWO files, optional in
///   acknowledgment files (an employer's file may answer several states) \[P\].
/// * `created` — creation date and time; passed in, so the crate never reads a clock.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileHeaderInfo {
    /// The file's control number: 22 characters A–Z/0–9, unique forever (§1.2).
    pub control_number: String,
    /// The issuing state's FIPS code.
    pub state_fips: Option<StateFips>,
    /// EIN (see the type's documentation).
    pub ein: Fein,
    /// Primary (payroll-processor) EIN.
    pub primary_ein: Option<Fein>,
    /// Creation date and time.
    pub created: PrimitiveDateTime,
}

/// Checks a control number the gateway is about to send: exactly 22 characters, each
/// `A`–`Z` or `0`–`9` (§1.2: 22 A/N, recommended FIPS code plus a sequence). The gateway
/// derives control numbers from its own sequence and never reuses one, not even on a retry
/// of the same file; that uniqueness is the caller's, this checks the form only.
///
/// ```
/// assert!(ivd_eiwo::check_control_number("27000000000000000000001").is_err()); // 23
/// assert!(ivd_eiwo::check_control_number("2700000000000000000001").is_ok());
/// ```
pub fn check_control_number(s: &str) -> Result<(), WriteError> {
    if s.len() != CONTROL_NUMBER_LEN
        || !s
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
    {
        return Err(WriteError::new(
            "CONTROL_NUMBER",
            CNM,
            "a control number is 22 characters A-Z or 0-9",
        ));
    }
    Ok(())
}

fn hhmmss(t: Time) -> u64 {
    u64::from(t.hour()) * 10_000 + u64::from(t.minute()) * 100 + u64::from(t.second())
}

/// Writes a file or batch header.
pub(crate) fn write_header(
    code: &str,
    control: &str,
    state_fips: Option<&StateFips>,
    ein: &Fein,
    primary_ein: Option<&Fein>,
    created: PrimitiveDateTime,
) -> Result<Vec<u8>, WriteError> {
    check_control_number(control)?;
    let mut w = FieldWriter::new(&HEADER);
    w.text("DOCUMENT_CODE", code)
        .text("CONTROL_NUMBER", control)
        .text(
            "STATE_FIPS_CODE",
            &state_fips.map_or(String::new(), |f| format!("{}000", f.as_str())),
        )
        .text("EIN", ein.expose())
        .text("PRIMARY_EIN", primary_ein.map_or("", Fein::expose))
        .date("CREATION_DATE", Some(created.date()))
        .number("CREATION_TIME", hhmmss(created.time()));
    Ok(w.finish()?)
}

/// Writes a file or batch trailer.
pub(crate) fn write_trailer(
    kind: FileKind,
    code: &str,
    control: &str,
    batch_count: u64,
    record_count: u64,
) -> Result<Vec<u8>, WriteError> {
    let (employer_sent, state_sent) = match kind {
        FileKind::Iwo => (0, record_count),
        FileKind::Acknowledgment => (record_count, 0),
    };
    let mut w = FieldWriter::new(&TRAILER);
    w.text("DOCUMENT_CODE", code)
        .text("CONTROL_NUMBER", control)
        .number("BATCH_COUNT", batch_count)
        .number("RECORD_COUNT", record_count)
        .number("EMPLOYER_SENT_COUNT", employer_sent)
        .number("STATE_SENT_COUNT", state_sent);
    Ok(w.finish()?)
}

/// Assembles a file from its batches: `FHx`, per batch `BHx` + details + `BTx`, `FTx`.
/// Checks the control numbers (form, and that no two in the file are equal) and that the
/// IWO file names its state.
pub(crate) fn assemble(
    kind: FileKind,
    header: &FileHeaderInfo,
    batches: &[(String, Fein, Vec<Vec<u8>>)],
) -> Result<Vec<u8>, WriteError> {
    check_control_number(&header.control_number)?;
    if kind == FileKind::Iwo && header.state_fips.is_none() {
        return Err(WriteError::new(
            "STATE_FIPS_CODE",
            FPS,
            "an IWO file names the issuing state",
        ));
    }
    let mut seen = vec![header.control_number.as_str()];
    for (i, (control, _, _)) in batches.iter().enumerate() {
        check_control_number(control).map_err(|e| e.at(Some(i + 1), None))?;
        if seen.contains(&control.as_str()) {
            return Err(WriteError::new(
                "CONTROL_NUMBER",
                CNM,
                "control number used twice in the file",
            )
            .at(Some(i + 1), None));
        }
        seen.push(control);
    }
    let total: usize = batches.iter().map(|b| b.2.len()).sum();
    let mut out = Vec::with_capacity(200 * (batches.len() + 1) + total * 2300);
    let mut push = |rec: Vec<u8>| {
        out.extend_from_slice(&rec);
        out.push(b'\n');
    };
    push(write_header(
        &kind.code("FH"),
        &header.control_number,
        header.state_fips.as_ref(),
        &header.ein,
        header.primary_ein.as_ref(),
        header.created,
    )?);
    for (i, (control, fein, details)) in batches.iter().enumerate() {
        let at = |e: WriteError| e.at(Some(i + 1), None);
        push(
            write_header(
                &kind.code("BH"),
                control,
                header.state_fips.as_ref(),
                fein,
                header.primary_ein.as_ref(),
                header.created,
            )
            .map_err(at)?,
        );
        for d in details {
            push(d.clone());
        }
        push(write_trailer(kind, &kind.code("BT"), control, 0, details.len() as u64).map_err(at)?);
    }
    push(write_trailer(
        kind,
        &kind.code("FT"),
        &header.control_number,
        batches.len() as u64,
        total as u64,
    )?);
    Ok(out)
}

/// A batch as read: its header's control number and EIN, and where its details are.
#[derive(Debug, Clone)]
pub(crate) struct BatchFrame {
    pub(crate) control: String,
    pub(crate) fein: Option<Fein>,
}

/// A detail line and the batch it belongs to (`None` outside any batch: a `REC` error).
#[derive(Debug, Clone, Copy)]
pub(crate) struct DetailLine<'a> {
    pub(crate) number: u64,
    pub(crate) bytes: &'a [u8],
    pub(crate) batch: Option<usize>,
}

/// The envelope of a file, read and checked.
#[derive(Debug, Clone)]
pub(crate) struct Envelope<'a> {
    pub(crate) header: Option<FileHeaderInfo>,
    /// The file header's control number as written (even when invalid).
    pub(crate) file_control: String,
    /// The file header's EIN, when valid.
    pub(crate) file_ein: Option<Fein>,
    pub(crate) batches: Vec<BatchFrame>,
    pub(crate) details: Vec<DetailLine<'a>>,
    pub(crate) errors: Vec<FieldError>,
    /// Number of lines in the file.
    pub(crate) line_count: u64,
}

/// The §1.2 code for an error in a header or trailer field.
fn code_for(field: &str) -> ErrorCode {
    match field {
        "DOCUMENT_CODE" => DOC,
        "CONTROL_NUMBER" => CNM,
        "STATE_FIPS_CODE" => FPS,
        "EIN" => EIN,
        "PRIMARY_EIN" => PPE,
        "CREATION_DATE" => CDT,
        "CREATION_TIME" => CTM,
        "BATCH_COUNT" => BCT,
        "RECORD_COUNT" => RCT,
        _ => REC,
    }
}

/// A header or trailer as read.
struct HeaderRead {
    control: String,
    state_fips: Option<StateFips>,
    ein: Option<Fein>,
    primary_ein: Option<Fein>,
    created: Option<PrimitiveDateTime>,
}

struct TrailerRead {
    control: String,
    batch_count: Option<u64>,
    record_count: Option<u64>,
}

fn control_ok(reader: &mut FieldReader<'_>, control: &str) {
    if !control.is_empty() && !control.bytes().all(|b| b.is_ascii_alphanumeric()) {
        reader.fail(
            "CONTROL_NUMBER",
            CNM,
            "control number must be letters and digits",
        );
    }
}

fn read_header(
    bytes: &[u8],
    line: u64,
    kind: FileKind,
    errors: &mut Vec<FieldError>,
) -> Option<HeaderRead> {
    let rec = match HEADER.read(bytes) {
        Ok(r) => r,
        Err(e) => {
            errors.push(remap(e, REC, line));
            return None;
        }
    };
    let mut r = FieldReader::new(rec);
    let control = r.string("CONTROL_NUMBER");
    control_ok(&mut r, &control);
    // Five digits: the state's two, then the county's three (`000` for the state).
    let fips = r.text("STATE_FIPS_CODE").to_owned();
    let state_fips = if fips.is_empty() {
        None
    } else if fips.len() != 5 || !fips.bytes().all(|b| b.is_ascii_digit()) {
        r.fail("STATE_FIPS_CODE", FPS, "a FIPS code is 5 digits");
        None
    } else {
        match StateFips::parse(&fips[..2]) {
            Ok(f) => Some(f),
            Err(_) => {
                r.fail("STATE_FIPS_CODE", FPS, "not the FIPS code of a state");
                None
            }
        }
    };
    if state_fips.is_none() && kind == FileKind::Iwo && r.errors().is_empty() {
        r.fail(
            "STATE_FIPS_CODE",
            FPS,
            "an IWO file names the issuing state",
        );
    }
    let ein = r.required("EIN", Fein::parse);
    let primary_ein = r.parsed("PRIMARY_EIN", Fein::parse);
    let date: Option<Date> = r.date("CREATION_DATE");
    let time = match r.number_opt("CREATION_TIME") {
        Some(n) => {
            let t = u8::try_from(n / 10_000)
                .ok()
                .and_then(|h| Time::from_hms(h, (n / 100 % 100) as u8, (n % 100) as u8).ok());
            if t.is_none() {
                r.fail("CREATION_TIME", CTM, "not a valid HHMMSS time");
            }
            t
        }
        None => None,
    };
    errors.extend(r.finish().into_iter().map(|e| {
        let code = code_for(&e.field);
        remap(e, code, line)
    }));
    Some(HeaderRead {
        control,
        state_fips,
        ein,
        primary_ein,
        created: date.zip(time).map(|(d, t)| PrimitiveDateTime::new(d, t)),
    })
}

fn read_trailer(bytes: &[u8], line: u64, errors: &mut Vec<FieldError>) -> Option<TrailerRead> {
    let rec = match TRAILER.read(bytes) {
        Ok(r) => r,
        Err(e) => {
            errors.push(remap(e, REC, line));
            return None;
        }
    };
    let mut r = FieldReader::new(rec);
    let control = r.string("CONTROL_NUMBER");
    control_ok(&mut r, &control);
    let before = r.errors().len();
    let batch_count = Some(r.number("BATCH_COUNT")).filter(|_| r.errors().len() == before);
    let before = r.errors().len();
    let record_count = Some(r.number("RECORD_COUNT")).filter(|_| r.errors().len() == before);
    errors.extend(r.finish().into_iter().map(|e| {
        let code = code_for(&e.field);
        remap(e, code, line)
    }));
    Some(TrailerRead {
        control,
        batch_count,
        record_count,
    })
}

/// The same error with an envelope code and the line number (never any value: the
/// message is ivd-fixed's, which quotes none).
fn remap(e: FieldError, code: ErrorCode, line: u64) -> FieldError {
    let out = match e.position {
        Some(p) => FieldError::new(code, e.field, p, e.message),
        None => FieldError::unpositioned(code, e.field, e.message),
    };
    out.with_record(line)
}

fn structure(line: u64, message: impl Into<String>) -> FieldError {
    FieldError::record_level(REC, message).with_record(line)
}

fn mismatch(code: ErrorCode, field: &'static str, line: u64, msg: String) -> FieldError {
    // The position is the trailer field's start, from the one layout (1 if the name were
    // not in it, which the tests rule out).
    let pos = TRAILER.field(field).map_or(1, |f| f.range().start + 1);
    FieldError::new(code, field, pos, msg).with_record(line)
}

/// What a line is, by its document code (positions 1–3).
enum LineKind {
    FileHeader,
    BatchHeader,
    Detail,
    BatchTrailer,
    FileTrailer,
}

fn classify(bytes: &[u8], kind: FileKind) -> Result<LineKind, &'static str> {
    let Some(code) = bytes.get(..3) else {
        return Err("record is shorter than a document code");
    };
    if code == kind.detail_code().as_bytes() {
        return Ok(LineKind::Detail);
    }
    let (prefix, letter) = (&code[..2], code[2]);
    let envelope = match prefix {
        b"FH" => LineKind::FileHeader,
        b"BH" => LineKind::BatchHeader,
        b"BT" => LineKind::BatchTrailer,
        b"FT" => LineKind::FileTrailer,
        _ => {
            return Err(if code == b"DTL" || code == b"ACK" {
                "detail record of the other file kind"
            } else {
                "unknown document code"
            });
        }
    };
    if letter == kind.letter() {
        Ok(envelope)
    } else if b"IAKSR".contains(&letter) {
        Err("envelope record of another file kind")
    } else {
        Err("unknown document code")
    }
}

/// Envelope errors after which reading stops: the file is rejected whole at the first,
/// and without a bound a file of millions of junk lines (or blank lines) would hold
/// millions of errors — and one verdict per line — in memory.
pub(crate) const MAX_ENVELOPE_ERRORS: usize = 1000;

/// Reads and checks the envelope of `file`. Never panics, whatever the bytes. Stops at the
/// line where the envelope errors exceed [`MAX_ENVELOPE_ERRORS`] (that line gets a `REC`
/// error saying so); the lines after it are not read.
pub(crate) fn read_envelope(file: &[u8], kind: FileKind) -> Envelope<'_> {
    let mut env = Envelope {
        header: None,
        file_control: String::new(),
        file_ein: None,
        batches: Vec::new(),
        details: Vec::new(),
        errors: Vec::new(),
        line_count: 0,
    };
    let mut file_header: Option<HeaderRead> = None;
    let mut seen_header = false;
    let mut seen_trailer = false;
    // The open batch: index in env.batches, header line, details so far.
    let mut open: Option<(usize, u64, u64)> = None;
    let errors = &mut env.errors;
    for (n, line) in lines(file) {
        env.line_count = n;
        if errors.len() >= MAX_ENVELOPE_ERRORS {
            errors.push(structure(
                n,
                format!(
                    "more than {MAX_ENVELOPE_ERRORS} envelope errors: reading stops at this record"
                ),
            ));
            break;
        }
        let what = match classify(line, kind) {
            Ok(w) => w,
            Err(msg) => {
                errors.push(FieldError::new(DOC, "DOCUMENT_CODE", 1, msg).with_record(n));
                continue;
            }
        };
        if seen_trailer {
            errors.push(structure(n, "record after the file trailer"));
        }
        if n == 1 && !matches!(what, LineKind::FileHeader) {
            errors.push(structure(n, "the first record is not the file header"));
        }
        match what {
            LineKind::FileHeader => {
                if seen_header {
                    errors.push(structure(n, "a second file header"));
                    continue;
                }
                seen_header = true;
                if n != 1 {
                    errors.push(structure(n, "the file header is not the first record"));
                }
                file_header = read_header(line, n, kind, errors);
            }
            LineKind::BatchHeader => {
                if let Some((_, at, _)) = open {
                    errors.push(structure(
                        n,
                        format!("batch opened at record {at} has no trailer"),
                    ));
                }
                let h = read_header(line, n, kind, errors);
                env.batches.push(BatchFrame {
                    control: h.as_ref().map(|h| h.control.clone()).unwrap_or_default(),
                    fein: h.and_then(|h| h.ein),
                });
                open = Some((env.batches.len() - 1, n, 0));
            }
            LineKind::Detail => {
                if open.is_none() {
                    errors.push(structure(n, "detail record outside a batch"));
                }
                if let Some((_, _, count)) = &mut open {
                    *count += 1;
                }
                env.details.push(DetailLine {
                    number: n,
                    bytes: line,
                    batch: open.map(|o| o.0),
                });
            }
            LineKind::BatchTrailer => {
                let Some((index, _, count)) = open.take() else {
                    errors.push(structure(n, "batch trailer without a batch header"));
                    continue;
                };
                if let Some(t) = read_trailer(line, n, errors) {
                    if t.control != env.batches[index].control {
                        errors.push(mismatch(
                            CNM,
                            "CONTROL_NUMBER",
                            n,
                            "batch trailer's control number differs from its header's".into(),
                        ));
                    }
                    if let Some(c) = t.record_count.filter(|&c| c != count) {
                        errors.push(mismatch(
                            RCT,
                            "RECORD_COUNT",
                            n,
                            format!("batch trailer counts {c} records, the batch has {count}"),
                        ));
                    }
                }
            }
            LineKind::FileTrailer => {
                if let Some((_, at, _)) = open.take() {
                    errors.push(structure(
                        n,
                        format!("batch opened at record {at} has no trailer"),
                    ));
                }
                if seen_trailer {
                    continue;
                }
                seen_trailer = true;
                if let Some(t) = read_trailer(line, n, errors) {
                    if file_header.as_ref().is_some_and(|h| h.control != t.control) {
                        errors.push(mismatch(
                            CNM,
                            "CONTROL_NUMBER",
                            n,
                            "file trailer's control number differs from the file header's".into(),
                        ));
                    }
                    let batches = env.batches.len() as u64;
                    if let Some(c) = t.batch_count.filter(|&c| c != batches) {
                        errors.push(mismatch(
                            BCT,
                            "BATCH_COUNT",
                            n,
                            format!("file trailer counts {c} batches, the file has {batches}"),
                        ));
                    }
                    let records = env.details.len() as u64;
                    if let Some(c) = t.record_count.filter(|&c| c != records) {
                        errors.push(mismatch(
                            RCT,
                            "RECORD_COUNT",
                            n,
                            format!("file trailer counts {c} records, the file has {records}"),
                        ));
                    }
                }
            }
        }
    }
    let last = env.line_count.max(1);
    if env.line_count == 0 {
        errors.push(structure(1, "the file is empty"));
    } else {
        if !seen_header {
            errors.push(structure(last, "the file header is missing"));
        }
        if let Some((_, at, _)) = open {
            errors.push(structure(
                last,
                format!("batch opened at record {at} has no trailer"),
            ));
        }
        if !seen_trailer {
            errors.push(structure(last, "the file trailer is missing"));
        }
    }
    if let Some(h) = file_header {
        env.file_control = h.control.clone();
        env.file_ein = h.ein.clone();
        if let (Some(ein), Some(created)) = (h.ein, h.created) {
            env.header = Some(FileHeaderInfo {
                control_number: h.control,
                state_fips: h.state_fips,
                ein,
                primary_ein: h.primary_ein,
                created,
            });
        }
    }
    env.errors.sort_by_key(|e| e.record);
    env
}

/// One verdict per line of the file: the envelope errors found on that line (errors of
/// the whole file, such as a missing trailer, go on the last line) and the detail errors
/// of `details` (`(line, errors)`).
pub(crate) fn line_verdicts(
    env: &Envelope<'_>,
    details: impl IntoIterator<Item = (u64, Vec<FieldError>)>,
) -> Vec<ivd_fixed::RecordVerdict> {
    let lines = env.line_count.max(1);
    let mut per_line: Vec<Vec<FieldError>> = vec![Vec::new(); lines as usize];
    for e in &env.errors {
        let at = e.record.unwrap_or(lines).clamp(1, lines);
        per_line[(at - 1) as usize].push(e.clone());
    }
    for (n, errors) in details {
        if let Some(slot) = per_line.get_mut((n.max(1) - 1) as usize) {
            slot.extend(errors);
        }
    }
    per_line
        .into_iter()
        .zip(1u64..)
        .map(|(errors, n)| ivd_fixed::RecordVerdict::new(n, errors))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_numbers_are_22_capitals_or_digits() {
        assert!(check_control_number("27IWO00000000000000001").is_ok());
        for bad in [
            "",
            "27",
            "27iwo00000000000000001",
            "27 WO00000000000000001",
            "27-WO00000000000000001",
        ] {
            assert_eq!(check_control_number(bad).unwrap_err().code, CNM, "{bad:?}");
        }
    }

    #[test]
    fn every_line_kind_is_recognised() {
        assert!(matches!(
            classify(b"FHI", FileKind::Iwo),
            Ok(LineKind::FileHeader)
        ));
        assert!(matches!(
            classify(b"DTL", FileKind::Iwo),
            Ok(LineKind::Detail)
        ));
        assert!(matches!(
            classify(b"FTA", FileKind::Acknowledgment),
            Ok(LineKind::FileTrailer)
        ));
        assert!(classify(b"FHA", FileKind::Iwo).is_err());
        assert!(classify(b"DTL", FileKind::Acknowledgment).is_err());
        assert!(classify(b"XX", FileKind::Iwo).is_err());
    }
}
