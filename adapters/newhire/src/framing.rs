//! Streaming record framing for the 801-byte formats: [`ivd_fixed::RecordStream`] in
//! ASCII, its problems worded with this crate's codes. Accepted framings: records back to
//! back (federal files), or each followed by `\n` or `\r\n` (employer uploads); blank lines
//! between records are skipped. A line shorter than a record, or longer in a file whose
//! records are line-terminated, is reported as `LENGTH` for that record and reading resumes
//! at the next line. A file that ends inside a record gives `PARTIAL_RECORD` and ends the
//! stream.

use std::io::BufRead;

use ivd_fixed::{Encoding, FieldError, RecordStream, StreamItem, StreamProblem};

use crate::codes;

pub(crate) struct Framer<R> {
    stream: RecordStream<R>,
    len: usize,
}

pub(crate) enum Frame {
    /// A whole record is in [`Framer::record`]; its 1-based number.
    Record(u64),
    /// A record-level problem with the record of this number.
    Error(u64, FieldError),
    End,
}

impl<R: BufRead> Framer<R> {
    pub(crate) fn new(input: R, len: usize) -> Self {
        Self {
            stream: RecordStream::new(input, len, Encoding::Ascii),
            len,
        }
    }

    /// The record of the last [`Frame::Record`].
    pub(crate) fn record(&self) -> &[u8] {
        self.stream.record()
    }

    pub(crate) fn next_frame(&mut self) -> Frame {
        let len = self.len;
        match self.stream.next_item() {
            StreamItem::End => Frame::End,
            StreamItem::Record(n) => Frame::Record(n),
            StreamItem::Problem(n, problem) => Frame::Error(
                n,
                match problem {
                    StreamProblem::Io(kind) => FieldError::record_level(
                        codes::IO_ERROR,
                        format!("reading the input failed: {kind}"),
                    ),
                    StreamProblem::ShortLine { got } => FieldError::record_level(
                        codes::LENGTH,
                        format!("line is {got} bytes, a record is {len}"),
                    ),
                    StreamProblem::LongLine { extra } => FieldError::record_level(
                        codes::LENGTH,
                        format!("line is longer than a record ({len} bytes): {extra} extra bytes"),
                    ),
                    StreamProblem::Partial { read, .. } => FieldError::record_level(
                        codes::PARTIAL_RECORD,
                        format!("the file ends inside a record ({read} of {len} bytes)"),
                    ),
                },
            ),
        }
    }
}
