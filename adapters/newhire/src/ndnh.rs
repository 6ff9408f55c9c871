//! SDNH → NDNH: the W-4 transmission file (§5) and what NDNH sends back (§5.5).
//!
//! ## Transmission
//!
//! An `H4` header (§5.2: positions 1–32 verified, 33–801 filler \[I\]), the accepted reports
//! as 801-byte `W4` detail records (§2 layout, positions 752–801 filler), and a `T4`
//! trailer with the count of detail records (§5.4 \[P\]). Every record is 801 bytes. ASCII
//! files put `\r\n` after each record; EBCDIC (code page 037, what the NDNH documents
//! require) files have no terminators. Readers accept either framing.
//!
//! ## Return file \[P\]
//!
//! The `R4` control record (§5.5: positions 1–91 verified; 92–107 batch error codes 2–5
//! and the filler to 801 are \[P\]), then one **returned error detail record** per record
//! NDNH returned. That layout was not recovered; the proposed stand-in ([`W4_RETURN`]) is
//! the W4 record echoed with up to 12 four-character codes (`E001`…, `W001`…) in
//! positions 752–799. Codes this crate does not know are kept verbatim.

use std::io::Write;

use ivd_fixed::{Encoding, Field, FieldError, FieldKind, Layout, RecordWriter};
use ivd_model::{Fein, Ssn};
use time::Date;

use crate::NewHire;
use crate::codes;
use crate::fields::{self as f, RawOwned};
pub use crate::fixed::{W4_NDNH, W4_RETURN};
use crate::fixed::{W4_NDNH_FORMAT, W4_RETURN_FORMAT};
use crate::framing::{Frame, framer};
use crate::validate::{Dialect, RecordOutcome, Rules, parse_date};
use crate::write::{WriteError, fill_raw};

const LEN: usize = 801;

/// The W-4 transmitter header (§5.2).
pub static H4: Layout = Layout::new(
    "H4",
    LEN,
    &[
        Field::new("record_id", 1, 2, FieldKind::Literal("H4")),
        Field::new("state_fips", 3, 2, FieldKind::NUMBER),
        Field::new("agency_code", 5, 9, FieldKind::TEXT),
        Field::new("transmission_type", 14, 2, FieldKind::Literal("W4")),
        Field::new("dod_code", 16, 1, FieldKind::TEXT),
        Field::new("version", 17, 2, FieldKind::Literal("01")),
        Field::new("date", 19, 8, FieldKind::DATE),
        Field::new("batch_number", 27, 6, FieldKind::NUMBER),
        Field::new("filler_33", 33, 769, FieldKind::Filler),
    ],
);
const _: () = H4.assert_valid();

/// The W-4 transmitter trailer (§5.4 \[P\]).
pub static T4: Layout = Layout::new(
    "T4",
    LEN,
    &[
        Field::new("record_id", 1, 2, FieldKind::Literal("T4")),
        Field::new("record_count", 3, 11, FieldKind::NUMBER),
        Field::new("filler_14", 14, 788, FieldKind::Filler),
    ],
);
const _: () = T4.assert_valid();

/// The W-4 transmission control record NDNH returns (§5.5; 92–801 \[P\]).
pub static R4: Layout = Layout::new(
    "R4",
    LEN,
    &[
        Field::new("record_id", 1, 2, FieldKind::Literal("R4")),
        Field::new("state_fips", 3, 2, FieldKind::NUMBER),
        Field::new("agency_code", 5, 9, FieldKind::TEXT),
        Field::new("transmission_type", 14, 2, FieldKind::TEXT),
        Field::new("dod_code", 16, 1, FieldKind::TEXT),
        Field::new("version", 17, 2, FieldKind::TEXT),
        Field::new("date", 19, 8, FieldKind::DATE),
        Field::new("batch_number", 27, 6, FieldKind::NUMBER),
        Field::new("records_received", 33, 11, FieldKind::NUMBER),
        Field::new("records_rejected", 44, 11, FieldKind::NUMBER),
        Field::new("error_records_returned", 55, 11, FieldKind::NUMBER),
        Field::new("records_posted", 66, 11, FieldKind::NUMBER),
        Field::new("records_unverified", 77, 11, FieldKind::NUMBER),
        Field::new("batch_error_codes", 88, 20, FieldKind::TEXT),
        Field::new("filler_108", 108, 694, FieldKind::Filler),
    ],
);
const _: () = R4.assert_valid();

/// The transmission header's values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TransmissionHeader {
    /// 2-digit FIPS code of the sending state (e.g. 27).
    pub state_fips: u8,
    /// Sequential batch number (6 digits).
    pub batch_number: u32,
    /// Transmission date.
    pub date: Date,
}

fn terminator(encoding: Encoding) -> &'static [u8] {
    match encoding {
        Encoding::Ascii => b"\r\n",
        _ => b"",
    }
}

fn field_error(record: u64, error: FieldError) -> WriteError {
    WriteError::Field {
        record,
        error: Box::new(error),
    }
}

/// Writes a transmission: header, one W4 per [`push`](Self::push), trailer on
/// [`finish`](Self::finish). Streaming.
pub struct TransmissionWriter<W: Write> {
    header: TransmissionHeader,
    encoding: Encoding,
    out: W,
    started: bool,
    count: u64,
    raw: RawOwned,
    buf: Vec<u8>,
}

impl<W: Write> TransmissionWriter<W> {
    /// A writer; nothing is written until the first `push` or `finish`.
    pub fn new(header: TransmissionHeader, encoding: Encoding, out: W) -> Self {
        Self {
            header,
            encoding,
            out,
            started: false,
            count: 0,
            raw: RawOwned::new(),
            buf: Vec::with_capacity(LEN + 2),
        }
    }

    fn emit(&mut self) -> Result<(), WriteError> {
        self.encoding.encode_in_place(&mut self.buf);
        self.buf.extend_from_slice(terminator(self.encoding));
        self.out.write_all(&self.buf)?;
        Ok(())
    }

    fn start(&mut self) -> Result<(), WriteError> {
        if self.started {
            return Ok(());
        }
        self.started = true;
        let h = self.header;
        let mut w = RecordWriter::with_buffer(&H4, std::mem::take(&mut self.buf));
        w.number("state_fips", u64::from(h.state_fips))
            .and_then(|w| w.date("date", Some(h.date)))
            .and_then(|w| w.number("batch_number", u64::from(h.batch_number)))
            .map_err(|e| field_error(0, e))?;
        self.buf = w.finish();
        self.emit()
    }

    /// Writes one report as a W4 detail record.
    pub fn push(&mut self, nh: &NewHire) -> Result<(), WriteError> {
        self.start()?;
        self.count += 1;
        fill_raw(nh, &mut self.raw);
        W4_NDNH_FORMAT
            .emit(&self.raw, &mut self.buf)
            .map_err(|e| field_error(self.count, e))?;
        self.emit()
    }

    /// Writes a detail record made earlier by [`detail_record`] (801 ASCII bytes starting
    /// `W4`) without building the report again: how a gateway that stored the record at
    /// intake forwards it.
    pub fn push_record(&mut self, record: &[u8]) -> Result<(), WriteError> {
        if record.len() != LEN || !record.starts_with(b"W4") {
            return Err(field_error(
                self.count + 1,
                FieldError::record_level(
                    ivd_fixed::ErrorCode::LENGTH,
                    "a stored detail record must be 801 bytes starting W4",
                ),
            ));
        }
        self.start()?;
        self.count += 1;
        self.buf.clear();
        self.buf.extend_from_slice(record);
        self.emit()
    }

    /// Writes the trailer; returns the output and the number of detail records.
    pub fn finish(mut self) -> Result<(W, u64), WriteError> {
        self.start()?;
        let mut w = RecordWriter::with_buffer(&T4, std::mem::take(&mut self.buf));
        w.number("record_count", self.count)
            .map_err(|e| field_error(self.count, e))?;
        self.buf = w.finish();
        self.emit()?;
        self.out.flush()?;
        Ok((self.out, self.count))
    }
}

/// The NDNH W4 detail record of a report: 801 ASCII bytes, no terminator (the record
/// [`TransmissionWriter::push_record`] takes).
pub fn detail_record(nh: &NewHire) -> Result<Vec<u8>, WriteError> {
    let mut raw = RawOwned::new();
    fill_raw(nh, &mut raw);
    let mut buf = Vec::with_capacity(LEN);
    W4_NDNH_FORMAT
        .emit(&raw, &mut buf)
        .map_err(|e| field_error(1, e))?;
    Ok(buf)
}

/// A transmission as read back: its header, one outcome per W4 record, and file-level
/// errors (`HEADER_MISSING` E010, `TRAILER_COUNT` E011, bad header fields).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transmission {
    /// The header, when the first record is a valid one.
    pub header: Option<TransmissionHeader>,
    /// One outcome per detail record (numbered by physical record, header = 1).
    pub records: Vec<RecordOutcome>,
    /// Problems with the file as a whole.
    pub errors: Vec<FieldError>,
}

fn read_header(rec: &[u8]) -> Result<TransmissionHeader, FieldError> {
    let r = H4.read(rec)?;
    let state = r.number("state_fips")?;
    let date = r.date("date")?.ok_or_else(|| {
        FieldError::new(ivd_fixed::ErrorCode::REQUIRED, "date", 19, "date is blank")
    })?;
    let batch = r.number("batch_number")?;
    Ok(TransmissionHeader {
        state_fips: u8::try_from(state).unwrap_or(u8::MAX),
        batch_number: u32::try_from(batch).unwrap_or(u32::MAX),
        date,
    })
}

/// Reads a transmission (the NDNH side, or a test of our own output). The header must be
/// first: without it every detail record is rejected with `HEADER_MISSING` (as NDNH does).
/// Detail records are validated with [`Rules::new`] of the header's date.
pub fn read_transmission(bytes: &[u8], encoding: Encoding) -> Transmission {
    let ascii = encoding.decode(bytes);
    let mut framer = framer(&ascii[..], LEN);
    let mut t = Transmission {
        header: None,
        records: Vec::new(),
        errors: Vec::new(),
    };
    let mut rules: Option<Rules> = None;
    let mut details = 0u64;
    let mut trailer_seen = false;
    loop {
        let n = match framer.next_frame() {
            Frame::End => break,
            Frame::Error(n, e) => {
                t.records.push(RecordOutcome::failed(n, e));
                continue;
            }
            Frame::Record(n) => n,
        };
        let rec = framer.record();
        if trailer_seen {
            t.errors.push(
                FieldError::record_level(codes::TRAILER_COUNT, "a record follows the trailer")
                    .with_record(n),
            );
            continue;
        }
        if n == 1 {
            if rec.starts_with(b"H4") {
                match read_header(rec) {
                    Ok(h) => {
                        rules = Some(Rules::new(h.date));
                        t.header = Some(h);
                    }
                    Err(e) => t.errors.push(e.with_record(n)),
                }
                continue;
            }
            t.errors.push(
                FieldError::record_level(
                    codes::HEADER_MISSING,
                    "the first record is not an H4 header",
                )
                .with_record(n),
            );
        }
        if rec.starts_with(b"T4") {
            trailer_seen = true;
            let count = T4.read(rec).and_then(|r| r.number("record_count"));
            match count {
                Ok(c) if c == details => {}
                Ok(c) => t.errors.push(
                    FieldError::new(
                        codes::TRAILER_COUNT,
                        "record_count",
                        3,
                        format!("trailer counts {c} detail records, the file has {details}"),
                    )
                    .with_record(n),
                ),
                Err(e) => t.errors.push(e.with_record(n)),
            }
            continue;
        }
        details += 1;
        let outcome = match &rules {
            Some(r) => crate::read::fixed_record(&W4_NDNH_FORMAT, n, rec, r),
            None => RecordOutcome::failed(
                n,
                FieldError::record_level(
                    codes::HEADER_MISSING,
                    "no valid transmission header before this record",
                ),
            ),
        };
        t.records.push(outcome);
    }
    if !trailer_seen {
        t.errors.push(FieldError::record_level(
            codes::TRAILER_COUNT,
            "the transmission has no T4 trailer",
        ));
    }
    t
}

/// An NDNH-style 4-character code from a return file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NdnhCode {
    /// The code as received (`E001`, `W003`, or anything else, verbatim).
    pub code: String,
    /// Its meaning, when the code is in this crate's table (§5.5 \[P\]).
    pub meaning: Option<&'static str>,
    /// `E` codes reject the record; `W` codes are warnings (the record was posted).
    pub rejected: bool,
}

impl NdnhCode {
    /// A code, with its meaning looked up.
    pub fn new(code: &str) -> Self {
        Self {
            code: code.to_owned(),
            meaning: codes::ndnh_meaning(code),
            rejected: code.starts_with('E'),
        }
    }
}

/// The `R4` transmission control record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ControlRecord {
    /// Transmitter state FIPS code (echoed).
    pub state_fips: u8,
    /// Batch number (echoed).
    pub batch_number: u32,
    /// Date stamp (echoed).
    pub date: Date,
    /// All records received, including header and trailer.
    pub received: u64,
    /// Records rejected.
    pub rejected: u64,
    /// W-4 records returned with errors.
    pub returned: u64,
    /// Records posted to the NDNH W-4 file.
    pub posted: u64,
    /// Records posted to the Unverified file.
    pub unverified: u64,
    /// Batch error codes (up to 5).
    pub batch_codes: Vec<NdnhCode>,
}

/// One returned error detail record \[P\].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReturnedRecord {
    /// 1-based record number in the return file (the R4 is 1).
    pub record: u64,
    /// The employee SSN echoed, when it is a valid SSN.
    pub ssn: Option<Ssn>,
    /// The employer FEIN echoed, when valid.
    pub fein: Option<Fein>,
    /// The date of hire echoed, when a valid CCYYMMDD date.
    pub hire_date: Option<Date>,
    /// Error and warning codes, in order.
    pub codes: Vec<NdnhCode>,
}

/// A return file as read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NdnhReturn {
    /// The control record; `None` when the first record is not a valid `R4`.
    pub control: Option<ControlRecord>,
    /// The returned records.
    pub returned: Vec<ReturnedRecord>,
    /// Problems with the file (missing R4, bad records, count mismatch).
    pub errors: Vec<FieldError>,
}

fn split_codes(s: &str) -> Vec<NdnhCode> {
    s.as_bytes()
        .chunks(4)
        .filter_map(|c| std::str::from_utf8(c).ok())
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .map(NdnhCode::new)
        .collect()
}

fn read_control(rec: &[u8]) -> Result<ControlRecord, FieldError> {
    let r = R4.read(rec)?;
    let date = r.date("date")?.ok_or_else(|| {
        FieldError::new(ivd_fixed::ErrorCode::REQUIRED, "date", 19, "date is blank")
    })?;
    Ok(ControlRecord {
        state_fips: u8::try_from(r.number("state_fips")?).unwrap_or(u8::MAX),
        batch_number: u32::try_from(r.number("batch_number")?).unwrap_or(u32::MAX),
        date,
        received: r.number("records_received")?,
        rejected: r.number("records_rejected")?,
        returned: r.number("error_records_returned")?,
        posted: r.number("records_posted")?,
        unverified: r.number("records_unverified")?,
        batch_codes: split_codes(r.text("batch_error_codes")?),
    })
}

/// Reads what NDNH sends back. Never panics; problems go to `errors`.
pub fn read_return(bytes: &[u8], encoding: Encoding) -> NdnhReturn {
    let ascii = encoding.decode(bytes);
    let mut framer = framer(&ascii[..], LEN);
    let mut out = NdnhReturn {
        control: None,
        returned: Vec::new(),
        errors: Vec::new(),
    };
    loop {
        let n = match framer.next_frame() {
            Frame::End => break,
            Frame::Error(n, e) => {
                out.errors.push(e.with_record(n));
                continue;
            }
            Frame::Record(n) => n,
        };
        let rec = framer.record();
        if n == 1 {
            match read_control(rec) {
                Ok(c) => out.control = Some(c),
                Err(e) => out.errors.push(
                    FieldError::record_level(
                        codes::HEADER_MISSING,
                        format!(
                            "the first record is not a valid R4 control record ({})",
                            e.code
                        ),
                    )
                    .with_record(n),
                ),
            }
            continue;
        }
        if !rec.starts_with(b"W4") {
            out.errors.push(
                FieldError::new(
                    codes::RECORD_ID,
                    "record_id",
                    1,
                    "returned record does not start with W4",
                )
                .with_record(n),
            );
            continue;
        }
        let mut raw = [""; f::N];
        W4_RETURN_FORMAT.extract(rec, &mut raw);
        let codes_field = W4_RETURN
            .field("error_codes")
            .map(|fd| std::str::from_utf8(&rec[fd.range()]).unwrap_or(""))
            .unwrap_or("");
        out.returned.push(ReturnedRecord {
            record: n,
            ssn: Ssn::parse(raw[f::SSN]).ok(),
            fein: Fein::parse(raw[f::FEIN]).ok(),
            hire_date: parse_date(raw[f::DOH], Dialect::W4).ok(),
            codes: split_codes(codes_field),
        });
    }
    if let Some(c) = &out.control
        && c.returned != out.returned.len() as u64
    {
        out.errors.push(FieldError::new(
            codes::TRAILER_COUNT,
            "error_records_returned",
            55,
            format!(
                "control record counts {} returned records, the file has {}",
                c.returned,
                out.returned.len()
            ),
        ));
    }
    out
}

/// Writes a return file as NDNH would \[P\] (so tests can play NDNH): the R4, then each
/// returned record as a W4 echo carrying its SSN, FEIN, date of hire and codes (up to 12;
/// each cut or padded to 4 characters). Values that do not fit are left blank.
pub fn write_return(
    control: &ControlRecord,
    returned: &[ReturnedRecord],
    encoding: Encoding,
) -> Vec<u8> {
    let mut out = Vec::with_capacity((returned.len() + 1) * (LEN + 2));
    let codes_text = |codes: &[NdnhCode], max: usize| -> String {
        codes
            .iter()
            .take(max)
            .map(|c| format!("{:<4.4}", c.code))
            .collect()
    };
    let mut w = RecordWriter::new(&R4);
    let _ = w.number("state_fips", u64::from(control.state_fips));
    let _ = w.text("transmission_type", "W4");
    let _ = w.text("version", "01");
    let _ = w.date("date", Some(control.date));
    let _ = w.number("batch_number", u64::from(control.batch_number));
    let _ = w.number("records_received", control.received);
    let _ = w.number("records_rejected", control.rejected);
    let _ = w.number("error_records_returned", control.returned);
    let _ = w.number("records_posted", control.posted);
    let _ = w.number("records_unverified", control.unverified);
    let _ = w.text("batch_error_codes", &codes_text(&control.batch_codes, 5));
    let mut push = |w: RecordWriter<'_>| {
        out.extend_from_slice(&w.finish_encoded(encoding));
        out.extend_from_slice(terminator(encoding));
    };
    push(w);
    for r in returned {
        let mut w = RecordWriter::new(&W4_RETURN);
        if let Some(s) = &r.ssn {
            let _ = w.text("employee_ssn", s.expose());
        }
        if let Some(fein) = &r.fein {
            let _ = w.text("employer_fein", fein.expose());
        }
        if let Some(d) = r.hire_date {
            let s = format!("{:04}{:02}{:02}", d.year(), d.month() as u8, d.day());
            let _ = w.text("employee_hire_date", &s);
        }
        let _ = w.text("error_codes", &codes_text(&r.codes, 12));
        push(w);
    }
    out
}
