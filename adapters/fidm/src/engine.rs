//! The one streaming reader behind every FIDM file: a header record, detail records, a
//! trailer with their count.
//!
//! | file | header | detail | trailer | length |
//! |---|---|---|---|---|
//! | Method 1 all-accounts / update | `A` | `B` ([`crate::Account`]) | `T` | 500 \[P\] |
//! | Method 2 match | `A` | `B` ([`crate::Match`]) | `T` | 500 \[P\] |
//! | Method 2 inquiry | `D` | `I` ([`crate::Inquiry`]) | `T` | 99 |
//!
//! Invariants the reader keeps, whatever the bytes:
//!
//! * One [`Step`] per physical record, numbered from 1, plus one more (numbered after
//!   the last record) when the file ends without a trailer; nothing is buffered beyond
//!   the current record, so memory does not depend on the file's size.
//! * A bad record costs only itself: framing errors resynchronise at the next line,
//!   and a detail record is read whatever happened to the header (without the header's
//!   cross-checks when the header is missing or invalid).
//! * File-level problems are attached to the record where they are found: a missing
//!   header to the first record that is not one, a count mismatch to the trailer,
//!   anything after the trailer to itself.

use std::io::BufRead;

use ivd_fixed::{Encoding, FieldError, Layout};

use crate::codes;
use crate::framing::{Frame, Framer};

/// One file format: its record types and how to read its header and detail records.
pub(crate) trait FileFormat {
    type Header;
    type Body;
    const LEN: usize;
    const HEADER: u8;
    const BODY: u8;
    const TRAILER: &'static Layout;
    fn header(rec: &[u8], errors: &mut Vec<FieldError>) -> Option<Self::Header>;
    fn body(
        number: u64,
        rec: &[u8],
        header: Option<&Self::Header>,
        errors: &mut Vec<FieldError>,
    ) -> Option<Self::Body>;
}

/// What kind of record a step is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Header,
    Body,
    Trailer,
    /// A framing error, an unknown record type, a record after the trailer, or the
    /// missing trailer at the end.
    Other,
}

pub(crate) struct Step<B> {
    pub(crate) record: u64,
    pub(crate) kind: Kind,
    pub(crate) body: Option<B>,
    pub(crate) errors: Vec<FieldError>,
}

impl<B> Step<B> {
    fn new(record: u64, kind: Kind) -> Self {
        Self {
            record,
            kind,
            body: None,
            errors: Vec::new(),
        }
    }
}

pub(crate) struct Engine<R, F: FileFormat> {
    framer: Framer<R>,
    encoding: Encoding,
    header: Option<F::Header>,
    header_seen: bool,
    header_reported: bool,
    trailer_seen: bool,
    bodies: u64,
    finished: bool,
}

impl<R: BufRead, F: FileFormat> Engine<R, F> {
    pub(crate) fn new(input: R, encoding: Encoding) -> Self {
        Self {
            framer: Framer::new(input, F::LEN, encoding),
            encoding,
            header: None,
            header_seen: false,
            header_reported: false,
            trailer_seen: false,
            bodies: 0,
            finished: false,
        }
    }

    /// The header, once read and if valid.
    pub(crate) fn header(&self) -> Option<&F::Header> {
        self.header.as_ref()
    }

    /// Detail records seen so far.
    pub(crate) fn bodies(&self) -> u64 {
        self.bodies
    }

    fn missing_header(header_seen: bool, reported: &mut bool, errors: &mut Vec<FieldError>) {
        if !header_seen && !*reported {
            *reported = true;
            errors.push(FieldError::new(
                codes::MISSING_HEADER,
                "record_type",
                1,
                format!(
                    "the file must start with its {} record",
                    char::from(F::HEADER)
                ),
            ));
        }
    }

    /// The next record's step; `None` at the end.
    pub(crate) fn step(&mut self) -> Option<Step<F::Body>> {
        if self.finished {
            return None;
        }
        let number = match self.framer.next_frame() {
            Frame::End => {
                self.finished = true;
                let next = self.framer.next_number();
                if next == 1 {
                    let mut s = Step::new(1, Kind::Other);
                    s.errors.push(
                        FieldError::record_level(codes::MISSING_HEADER, "the file is empty")
                            .with_record(1),
                    );
                    return Some(s);
                }
                if self.trailer_seen {
                    return None;
                }
                let mut s = Step::new(next, Kind::Other);
                s.errors.push(
                    FieldError::record_level(
                        codes::MISSING_TRAILER,
                        format!(
                            "the file ends without its T record (after {} detail records)",
                            self.bodies
                        ),
                    )
                    .with_record(next),
                );
                return Some(s);
            }
            Frame::Error(n, e) => {
                let mut s = Step::new(n, Kind::Other);
                s.errors.push(e.with_record(n));
                return Some(s);
            }
            Frame::Record(n) => n,
        };
        self.encoding.decode_in_place(self.framer.record_mut());
        let rec = self.framer.record();
        let record_type = rec.first().copied().unwrap_or(b' ');
        if self.trailer_seen {
            let mut s = Step::new(number, Kind::Other);
            s.errors.push(FieldError::new(
                codes::AFTER_TRAILER,
                "record_type",
                1,
                "a record after the T record",
            ));
            return Some(s);
        }
        let mut s;
        if record_type == F::HEADER {
            s = Step::new(number, Kind::Header);
            if self.header_seen {
                s.errors.push(FieldError::new(
                    codes::RECORD_TYPE,
                    "record_type",
                    1,
                    "a second header record (one header per file)",
                ));
            } else {
                if self.bodies > 0 {
                    s.errors.push(FieldError::new(
                        codes::RECORD_TYPE,
                        "record_type",
                        1,
                        "the header record must come first",
                    ));
                }
                self.header_seen = true;
                self.header = F::header(rec, &mut s.errors);
            }
        } else if record_type == F::BODY {
            s = Step::new(number, Kind::Body);
            Self::missing_header(self.header_seen, &mut self.header_reported, &mut s.errors);
            self.bodies += 1;
            // The record's own errors withhold its value; a missing header does not.
            let mut own = Vec::new();
            s.body = F::body(number, rec, self.header.as_ref(), &mut own);
            if !own.is_empty() {
                s.body = None;
            }
            s.errors.append(&mut own);
        } else if record_type == b'T' {
            s = Step::new(number, Kind::Trailer);
            Self::missing_header(self.header_seen, &mut self.header_reported, &mut s.errors);
            self.trailer_seen = true;
            if let Some(count) = crate::records::read_count(F::TRAILER, rec, &mut s.errors)
                && count != self.bodies
            {
                s.errors.push(FieldError::new(
                    codes::TRAILER_COUNT,
                    "record_count",
                    2,
                    format!(
                        "the T record counts {count} detail records, the file has {}",
                        self.bodies
                    ),
                ));
            }
        } else {
            s = Step::new(number, Kind::Other);
            s.errors.push(FieldError::new(
                codes::RECORD_TYPE,
                "record_type",
                1,
                format!(
                    "record type must be {}, {} or T",
                    char::from(F::HEADER),
                    char::from(F::BODY)
                ),
            ));
        }
        for e in &mut s.errors {
            e.record = Some(number);
        }
        Some(s)
    }
}
