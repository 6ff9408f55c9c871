//! Method 2: the match file, FI → state (A / B… / T), and the MSFIDM response.

use ivd_fixed::{Encoding, FieldError, Framing, RecordVerdict};

use crate::codes;
use crate::engine::{Engine, FileFormat};
use crate::framing::put_record;
use crate::layouts::{RECORD_LEN, T_RECORD};
use crate::records;
use crate::types::{FileIndicator, Institution, Match};
use crate::write::{WriteError, accepted, invalid};

pub(crate) struct Method2;

impl FileFormat for Method2 {
    type Header = Institution;
    type Body = Match;
    const LEN: usize = RECORD_LEN;
    const HEADER: u8 = b'A';
    const BODY: u8 = b'B';
    const TRAILER: &'static ivd_fixed::Layout = &T_RECORD;

    fn header(rec: &[u8], errors: &mut Vec<FieldError>) -> Option<Institution> {
        let i = records::read_institution(rec, errors)?;
        if i.file_indicator != FileIndicator::Match {
            errors.push(FieldError::new(
                codes::FILE_INDICATOR,
                "file_indicator",
                371,
                "a match file has data match file indicator M",
            ));
            return None;
        }
        Some(i)
    }

    fn body(
        number: u64,
        rec: &[u8],
        header: Option<&Institution>,
        errors: &mut Vec<FieldError>,
    ) -> Option<Match> {
        records::read_match(number, rec, header, errors)
    }
}

/// A match file, read whole: see [`read_match_file`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MatchFile {
    /// The institution from the A record, when the file starts with a valid one.
    pub institution: Option<Institution>,
    /// Every valid B record, in file order ([`Match::record`] is its record number).
    pub matches: Vec<Match>,
    /// One verdict per physical record (A, every B, T), plus one numbered after the last
    /// record when the T record is missing. Every error is here.
    pub verdicts: Vec<RecordVerdict>,
    /// The file-level errors among them: `MISSING_HEADER`, `MISSING_TRAILER`,
    /// `TRAILER_COUNT`. A file with any of these is incomplete or mis-framed and should be
    /// rejected whole.
    pub errors: Vec<FieldError>,
}

impl MatchFile {
    /// `true` when every record is valid and the file is complete.
    pub fn is_valid(&self) -> bool {
        self.errors.is_empty() && self.verdicts.iter().all(RecordVerdict::is_valid)
    }
}

pub(crate) fn is_file_level(e: &FieldError) -> bool {
    [
        codes::MISSING_HEADER,
        codes::MISSING_TRAILER,
        codes::TRAILER_COUNT,
    ]
    .contains(&e.code)
}

/// Reads a Method 2 match file (ASCII or EBCDIC, records back to back or one per line).
///
/// ```
/// use ivd_fidm::{Encoding, read_match_file};
/// let file = read_match_file(include_bytes!("../samples/match.txt"), Encoding::Ascii);
/// assert!(file.is_valid());
/// assert_eq!(file.matches.len(), 2);
/// assert_eq!(file.matches[0].passback, "CSE0000000101");
/// ```
pub fn read_match_file(bytes: &[u8], encoding: Encoding) -> MatchFile {
    let mut engine: Engine<&[u8], Method2> = Engine::new(bytes, encoding);
    let mut matches = Vec::new();
    let mut verdicts = Vec::new();
    let mut errors = Vec::new();
    while let Some(step) = engine.step() {
        if let Some(m) = step.body {
            matches.push(m);
        }
        errors.extend(step.errors.iter().filter(|e| is_file_level(e)).cloned());
        verdicts.push(RecordVerdict::new(step.record, step.errors));
    }
    MatchFile {
        institution: engine.header().cloned(),
        matches,
        verdicts,
        errors,
    }
}

/// One verdict per physical record of a match file, streaming.
pub fn match_verdicts(
    bytes: &[u8],
    encoding: Encoding,
) -> impl Iterator<Item = RecordVerdict> + '_ {
    let mut engine: Engine<&[u8], Method2> = Engine::new(bytes, encoding);
    std::iter::from_fn(move || engine.step()).map(|s| RecordVerdict::new(s.record, s.errors))
}

/// Writes a Method 2 match file, back to back; `institution.file_indicator` must be
/// [`FileIndicator::Match`]. Tests and demos play the bank with it.
pub fn write_match_file(
    institution: &Institution,
    matches: &[Match],
    encoding: Encoding,
) -> Result<Vec<u8>, WriteError> {
    write_match_file_with(institution, matches, encoding, Framing::Fixed)
}

/// [`write_match_file`] with line terminators (`Lf` or `CrLf`, in the file's encoding).
pub fn write_match_file_with(
    institution: &Institution,
    matches: &[Match],
    encoding: Encoding,
    framing: Framing,
) -> Result<Vec<u8>, WriteError> {
    let mut out = Vec::with_capacity((matches.len() + 2) * (RECORD_LEN + 2));
    let mut rec = records::write_institution(institution, Vec::new()).map_err(invalid(1))?;
    let mut errors = Vec::new();
    Method2::header(&rec, &mut errors);
    accepted(1, errors)?;
    put_record(&mut out, &mut rec, encoding, framing)?;
    for (i, m) in matches.iter().enumerate() {
        let number = i as u64 + 2;
        rec = records::write_match(institution.year_month, m, std::mem::take(&mut rec))
            .map_err(invalid(number))?;
        let mut errors = Vec::new();
        records::read_match(number, &rec, Some(institution), &mut errors);
        accepted(number, errors)?;
        put_record(&mut out, &mut rec, encoding, framing)?;
    }
    let number = matches.len() as u64 + 2;
    let mut rec = records::write_count(&T_RECORD, matches.len() as u64).map_err(invalid(number))?;
    put_record(&mut out, &mut rec, encoding, framing)?;
    Ok(out)
}
