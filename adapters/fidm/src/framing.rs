//! Record framing for FIDM files: [`ivd_fixed::RecordStream`] (one record at a time from
//! any `BufRead`, constant memory) with its problems worded in this crate's codes.
//!
//! FIDM files come back to back (tape and mainframe transfers) or one record per line
//! (§E.1): both are accepted, detected from what follows the first record. Line
//! terminators are those of the file's encoding — ASCII `\n` / `\r\n`, EBCDIC `NL`
//! (0x15) or `LF` (0x25), optionally preceded by `CR` (0x0D). Blank lines between records
//! are skipped. A line shorter than a record, or longer in a line-terminated file, is a
//! `LENGTH` error for that record and reading resumes at the next line; a file that ends
//! inside a record gives `PARTIAL_RECORD` and ends the stream.

use std::io::{BufRead, Write};

use ivd_fixed::{Encoding, FieldError, Framing, RecordStream, StreamItem, StreamProblem};

use crate::codes;

/// The line feed and carriage return of an encoding, as written.
fn terminators(encoding: Encoding) -> (u8, u8) {
    match encoding {
        Encoding::Ascii => (b'\n', b'\r'),
        Encoding::Ebcdic037 => (0x25, 0x0D),
    }
}

/// Writes one finished ASCII record in `encoding`, followed by the terminator of
/// `framing` (`AnyNewline` is written as `CrLf`).
pub(crate) fn put_record<W: Write>(
    out: &mut W,
    record: &mut [u8],
    encoding: Encoding,
    framing: Framing,
) -> std::io::Result<()> {
    encoding.encode_in_place(record);
    out.write_all(record)?;
    let (lf, cr) = terminators(encoding);
    match framing {
        Framing::Fixed => Ok(()),
        Framing::Lf => out.write_all(&[lf]),
        Framing::CrLf | Framing::AnyNewline => out.write_all(&[cr, lf]),
    }
}

/// [`ivd_fixed::RecordStream`] with its problems worded in this crate's codes.
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
    pub(crate) fn new(input: R, len: usize, encoding: Encoding) -> Self {
        Self {
            stream: RecordStream::new(input, len, encoding),
            len,
        }
    }

    /// The record of the last [`Frame::Record`] (still in the file's encoding).
    pub(crate) fn record(&self) -> &[u8] {
        self.stream.record()
    }

    /// The same, to decode in place.
    pub(crate) fn record_mut(&mut self) -> &mut [u8] {
        self.stream.record_mut()
    }

    /// The number the next record will get.
    pub(crate) fn next_number(&self) -> u64 {
        self.stream.next_number()
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
                    StreamProblem::Partial { read, ends_with_cr } => FieldError::record_level(
                        codes::PARTIAL_RECORD,
                        format!(
                            "the file ends inside a record ({} of {len} bytes)",
                            read - usize::from(ends_with_cr)
                        ),
                    ),
                },
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frames(input: &[u8], len: usize, enc: Encoding) -> Vec<Result<Vec<u8>, &'static str>> {
        let mut f = Framer::new(input, len, enc);
        let mut out = Vec::new();
        loop {
            match f.next_frame() {
                Frame::End => return out,
                Frame::Record(_) => out.push(Ok(f.record().to_vec())),
                Frame::Error(_, e) => out.push(Err(e.code.as_str())),
            }
        }
    }

    #[test]
    fn back_to_back_and_line_terminated_files_frame_alike() {
        let want = vec![Ok(b"ABC".to_vec()), Ok(b"DEF".to_vec())];
        assert_eq!(frames(b"ABCDEF", 3, Encoding::Ascii), want);
        assert_eq!(frames(b"ABC\r\nDEF\r\n", 3, Encoding::Ascii), want);
        assert_eq!(frames(b"ABC\n\nDEF", 3, Encoding::Ascii), want);
        // EBCDIC NL and CR LF.
        let want = vec![Ok(vec![0xC1; 3]), Ok(vec![0xC2; 3])];
        assert_eq!(
            frames(
                &[0xC1, 0xC1, 0xC1, 0x15, 0xC2, 0xC2, 0xC2],
                3,
                Encoding::Ebcdic037
            ),
            want
        );
        assert_eq!(
            frames(
                &[0xC1, 0xC1, 0xC1, 0x0D, 0x25, 0xC2, 0xC2, 0xC2, 0x0D, 0x25],
                3,
                Encoding::Ebcdic037
            ),
            want
        );
    }

    #[test]
    fn short_and_long_lines_cost_one_record() {
        assert_eq!(
            frames(b"AB\nDEF\nGHIJ\nKLM", 3, Encoding::Ascii),
            vec![
                Err("LENGTH"),
                Ok(b"DEF".to_vec()),
                Err("LENGTH"),
                Ok(b"KLM".to_vec())
            ]
        );
        assert_eq!(
            frames(b"ABCDE", 3, Encoding::Ascii),
            vec![Ok(b"ABC".to_vec()), Err("PARTIAL_RECORD")]
        );
    }
}
