//! The streaming reader: one [`RecordOutcome`] per record, in order, memory independent
//! of the file size.

use std::io::BufRead;

use ivd_fixed::FieldError;

use crate::Format;
use crate::codes;
use crate::fields::{self as f, Locate};
use crate::fixed::{self, FixedFormat, RECORD_LEN};
use crate::framing::{Frame, Framer, framer};
use crate::limit::{Limited, MAX_TOKEN};
use crate::validate::{Dialect, RecordOutcome, Rules, validate};
use crate::xml::XmlSource;

/// Reads `input` in `format`, validating each record with `rules`. See [`Reader`].
pub fn read_new_hires<R: BufRead>(format: Format, mut input: R, rules: &Rules) -> Reader<R> {
    if matches!(format, Format::W4 | Format::Xx) {
        skip_byte_order_mark(&mut input);
    }
    let inner = match format {
        Format::W4 => Inner::Fixed(framer(input, RECORD_LEN), &fixed::W4_FORMAT, 0),
        Format::Xx => Inner::Fixed(framer(input, RECORD_LEN), &fixed::XX_FORMAT, 0),
        Format::Csv => Inner::Csv(Box::new(CsvSource::new(input))),
        Format::Xml => Inner::Xml(Box::new(XmlSource::new(input))),
    };
    Reader {
        inner,
        rules: rules.clone(),
    }
}

/// One verdict per record of a file in `format`, judged by `rules` (errors only, as
/// [`RecordOutcome::verdict`]): what `ivd-gateway check` prints. Streams like
/// [`read_new_hires`].
pub fn new_hire_verdicts<R: BufRead>(
    format: Format,
    input: R,
    rules: &Rules,
) -> impl Iterator<Item = ivd_fixed::RecordVerdict> + use<R> {
    read_new_hires(format, input, rules).map(|outcome| outcome.verdict())
}

/// Skips a UTF-8 byte-order mark before the first fixed-width record. Editors on Windows
/// add one; [`Format::detect`] looks past it (and so calls such a file W4 or XX), and the
/// CSV and XML readers ignore it, so the fixed-width readers must too: read as data, it
/// made record 1 three bytes too long and cost it, plus a `LENGTH` verdict for the spill.
fn skip_byte_order_mark<R: BufRead>(input: &mut R) {
    const BOM: &[u8] = b"\xEF\xBB\xBF";
    if input.fill_buf().is_ok_and(|head| head.starts_with(BOM)) {
        input.consume(BOM.len());
    }
}

/// Iterator over the records of a new-hire file, numbered from 1.
///
/// Streaming: each `next` reads one record into reused buffers. File-level problems (I/O
/// error, partial last record, malformed XML, bad CSV header) come out as a
/// [`RecordOutcome`] with a record-level error; after a fatal one the iterator ends.
pub struct Reader<R: BufRead> {
    inner: Inner<R>,
    rules: Rules,
}

enum Inner<R: BufRead> {
    /// Framer, format, number of detail records seen (for a T4 trailer).
    Fixed(Framer<R>, &'static FixedFormat, u64),
    Csv(Box<CsvSource<R>>),
    Xml(Box<XmlSource<R>>),
}

impl<R: BufRead> Iterator for Reader<R> {
    type Item = RecordOutcome;

    fn next(&mut self) -> Option<RecordOutcome> {
        match &mut self.inner {
            Inner::Fixed(framer, format, seen) => loop {
                match framer.next_frame() {
                    Frame::End => return None,
                    Frame::Error(n, e) => return Some(RecordOutcome::failed(n, e)),
                    Frame::Record(n) => {
                        let rec = framer.record();
                        if format.dialect == Dialect::W4 && rec.starts_with(b"T4") {
                            // A Texas-style trailer: checked, not a report.
                            if let Some(e) = check_trailer(rec, *seen) {
                                return Some(RecordOutcome::failed(n, e));
                            }
                            continue;
                        }
                        *seen += 1;
                        return Some(fixed_record(format, n, rec, &self.rules));
                    }
                }
            },
            Inner::Csv(src) => src.next(&self.rules),
            Inner::Xml(src) => src.next(&self.rules),
        }
    }
}

/// A `T4` trailer: `T4` + 11-digit count of detail records.
fn check_trailer(rec: &[u8], seen: u64) -> Option<FieldError> {
    let count = rec.get(2..13).and_then(|c| {
        c.iter()
            .all(u8::is_ascii_digit)
            .then(|| std::str::from_utf8(c).ok()?.parse::<u64>().ok())
            .flatten()
    });
    match count {
        Some(c) if c == seen => None,
        Some(c) => Some(FieldError::new(
            codes::TRAILER_COUNT,
            "trailer.record_count",
            3,
            format!("trailer counts {c} records, the file has {seen}"),
        )),
        None => Some(FieldError::new(
            codes::TRAILER_COUNT,
            "trailer.record_count",
            3,
            "trailer count is not 11 digits",
        )),
    }
}

/// Validates one ASCII fixed record (exactly 801 bytes).
pub(crate) fn fixed_record(
    format: &FixedFormat,
    number: u64,
    rec: &[u8],
    rules: &Rules,
) -> RecordOutcome {
    let id_ok = match format.dialect {
        Dialect::Xx => fixed::is_xx_id(rec) && matches!(rec.get(17..21), Some(b"1.00" | b"2.00")),
        _ => rec.starts_with(b"W4"),
    };
    if !id_ok {
        let msg = match format.dialect {
            Dialect::Xx => "record does not start with \"?? Newhire Record\" and version 1.00",
            _ => "record does not start with W4",
        };
        return RecordOutcome::failed(
            number,
            FieldError::new(codes::RECORD_ID, "record_id", 1, msg),
        );
    }
    let mut not_text = Vec::new();
    // Over the whole record; which field is at fault is looked up only when this fails.
    if !ivd_fixed::is_printable_ascii(rec) {
        for fd in format.layout.fields {
            if let Some(at) = rec[fd.range()]
                .iter()
                .position(|&b| !(0x20..=0x7E).contains(&b))
            {
                not_text.push(
                    FieldError::new(
                        codes::NOT_TEXT,
                        fd.name,
                        fd.start,
                        format!("byte {} of {} is not printable ASCII", at + 1, fd.len),
                    )
                    .with_record(number),
                );
            }
        }
    }
    let mut raw = [""; f::N];
    format.extract(rec, &mut raw);
    let mut out = validate(number, &raw, format, format.dialect, rules);
    if !not_text.is_empty() {
        out.new_hire = None;
        not_text.append(&mut out.errors);
        out.errors = not_text;
    }
    out
}

/// Required CSV columns (the others are optional).
const CSV_REQUIRED: &[usize] = &[
    f::SSN,
    f::FIRST,
    f::LAST,
    f::EMP_ADDR,
    f::EMP_ADDR + f::addr::CITY,
    f::EMP_ADDR + f::addr::STATE,
    f::EMP_ADDR + f::addr::ZIP,
    f::DOH,
    f::FEIN,
    f::ER_NAME,
    f::ER_ADDR,
    f::ER_ADDR + f::addr::CITY,
    f::ER_ADDR + f::addr::STATE,
    f::ER_ADDR + f::addr::ZIP,
];

struct CsvLoc {
    column: [usize; f::N],
}

impl Locate for CsvLoc {
    fn locate(&self, field: usize) -> (&'static str, Option<usize>) {
        let c = self.column[field];
        (f::NAMES[field], (c != 0).then_some(c))
    }
}

pub(crate) struct CsvSource<R> {
    /// The input bounded per row (see [`crate::limit`]): one huge field is an error, not
    /// a record buffer the size of the file.
    rdr: csv::Reader<Limited<R>>,
    rec: csv::ByteRecord,
    /// Logical field of each column.
    cols: Vec<usize>,
    loc: CsvLoc,
    header_done: bool,
    next: u64,
    done: bool,
}

impl<R: BufRead> CsvSource<R> {
    fn new(input: R) -> Self {
        let rdr = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(Limited::new(input, MAX_TOKEN));
        Self {
            rdr,
            rec: csv::ByteRecord::new(),
            cols: Vec::new(),
            loc: CsvLoc { column: [0; f::N] },
            header_done: false,
            next: 1,
            done: false,
        }
    }

    fn fatal(&mut self, e: FieldError) -> Option<RecordOutcome> {
        self.done = true;
        Some(RecordOutcome::failed(self.next, e))
    }

    fn read_row(&mut self) -> Result<bool, FieldError> {
        self.rdr.get_mut().reset();
        self.rdr.read_byte_record(&mut self.rec).map_err(|e| {
            if self.rdr.get_ref().tripped() {
                return FieldError::record_level(
                    codes::CSV_HEADER,
                    format!("the CSV is not well-formed: a row longer than {MAX_TOKEN} bytes"),
                );
            }
            let msg = match e.kind() {
                csv::ErrorKind::Io(io) => format!("reading the input failed: {}", io.kind()),
                _ => "the CSV is not well-formed".to_owned(),
            };
            let code = if matches!(e.kind(), csv::ErrorKind::Io(_)) {
                codes::IO_ERROR
            } else {
                codes::CSV_HEADER
            };
            FieldError::record_level(code, msg)
        })
    }

    fn header(&mut self) -> Result<(), FieldError> {
        let bad = |m: String| FieldError::record_level(codes::CSV_HEADER, m);
        if !self.read_row()? {
            return Err(bad("the file is empty: a header row is required".into()));
        }
        for (j, h) in self.rec.iter().enumerate() {
            let h = if j == 0 {
                h.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(h)
            } else {
                h
            };
            let h = std::str::from_utf8(h).unwrap_or("").trim();
            let Some(idx) = f::NAMES.iter().position(|n| n.eq_ignore_ascii_case(h)) else {
                return Err(bad(format!(
                    "column {} of the header row is not a known column name (see the crate README)",
                    j + 1
                )));
            };
            if self.loc.column[idx] != 0 {
                return Err(bad(format!("column {} repeats a column name", j + 1)));
            }
            self.loc.column[idx] = j + 1;
            self.cols.push(idx);
        }
        if let Some(&m) = CSV_REQUIRED.iter().find(|&&i| self.loc.column[i] == 0) {
            return Err(bad(format!("required column {} is missing", f::NAMES[m])));
        }
        Ok(())
    }

    fn next(&mut self, rules: &Rules) -> Option<RecordOutcome> {
        if self.done {
            return None;
        }
        if !self.header_done {
            self.header_done = true;
            if let Err(e) = self.header() {
                return self.fatal(e);
            }
        }
        match self.read_row() {
            Ok(true) => {}
            Ok(false) => {
                self.done = true;
                return None;
            }
            Err(e) => return self.fatal(e),
        }
        let number = self.next;
        self.next += 1;
        if self.rec.len() != self.cols.len() {
            return Some(RecordOutcome::failed(
                number,
                FieldError::record_level(
                    codes::CSV_FIELD_COUNT,
                    format!(
                        "row has {} fields, the header {}",
                        self.rec.len(),
                        self.cols.len()
                    ),
                ),
            ));
        }
        let mut raw = [""; f::N];
        let mut not_text = Vec::new();
        for (j, v) in self.rec.iter().enumerate() {
            let field = self.cols[j];
            match std::str::from_utf8(v) {
                Ok(s) => raw[field] = s.trim(),
                Err(_) => not_text.push(
                    FieldError::new(codes::NOT_TEXT, f::NAMES[field], j + 1, "not UTF-8 text")
                        .with_record(number),
                ),
            }
        }
        let mut out = validate(number, &raw, &self.loc, Dialect::Text, rules);
        if !not_text.is_empty() {
            out.new_hire = None;
            not_text.append(&mut out.errors);
            out.errors = not_text;
        }
        Some(out)
    }
}
