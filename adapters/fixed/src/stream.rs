//! Streaming record framing: one fixed-length record at a time from any `BufRead`, into
//! one reused buffer, so memory does not grow with the file (a million-record new-hire or
//! all-accounts file is read in a few kilobytes).
//!
//! Records may come back to back (tape and mainframe transfers) or one per line; both are
//! accepted, told apart by what follows each record. Line terminators are those of the
//! file's encoding — ASCII `\n` / `\r\n`, EBCDIC `NL` (0x15) or `LF` (0x25), optionally
//! preceded by `CR` (0x0D). Blank lines between records are skipped. A line shorter than a
//! record, or longer in a line-terminated file, is a problem of that record and reading
//! resumes at the next line; a file that ends inside a record ends the stream.
//!
//! Problems come back as [`StreamProblem`]s, not errors. [`Framer`] words them as
//! record-level [`FieldError`]s with the shared codes (`IO_ERROR`, `LENGTH`,
//! `PARTIAL_RECORD`) and messages the FIDM and new-hire adapters publish; an adapter that
//! needs other wording reads the [`RecordStream`] itself.

use std::io::{BufRead, ErrorKind};

use crate::{ErrorCode, FieldError};

use crate::Encoding;

/// What the stream found next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StreamItem {
    /// A whole record is in [`RecordStream::record`]; its 1-based number.
    Record(u64),
    /// A problem with the record of this number.
    Problem(u64, StreamProblem),
    /// No more records.
    End,
}

/// A record that could not be framed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StreamProblem {
    /// The input failed; the stream ends.
    Io(ErrorKind),
    /// A line of `got` bytes (terminator excluded) where a record was expected.
    ShortLine {
        /// Bytes on the line.
        got: usize,
    },
    /// A line longer than a record in a line-terminated file: `extra` bytes beyond it were
    /// skipped.
    LongLine {
        /// Bytes skipped.
        extra: usize,
    },
    /// The file ends inside a record after `read` bytes; the stream ends.
    Partial {
        /// Bytes read of the record.
        read: usize,
        /// Whether the last byte read is a carriage return (some callers do not count it).
        ends_with_cr: bool,
    },
}

/// Frames fixed-length records from a `BufRead`. See the module documentation.
#[derive(Debug)]
pub struct RecordStream<R> {
    input: R,
    buf: Vec<u8>,
    len: usize,
    next: u64,
    lf: u8,
    nl: u8,
    cr: u8,
    terminated: Option<bool>,
    done: bool,
}

impl<R: BufRead> RecordStream<R> {
    /// Records of `len` bytes in `encoding` (which gives the line terminators).
    pub fn new(input: R, len: usize, encoding: Encoding) -> Self {
        // Line feed twice for ASCII: the record search takes two needles.
        let (lf, nl, cr) = match encoding {
            Encoding::Ascii => (b'\n', b'\n', b'\r'),
            Encoding::Ebcdic037 => (0x25, 0x15, 0x0D),
        };
        Self {
            input,
            buf: Vec::with_capacity(len),
            len,
            next: 1,
            lf,
            nl,
            cr,
            terminated: None,
            done: false,
        }
    }

    /// The record of the last [`StreamItem::Record`] (still in the file's encoding).
    pub fn record(&self) -> &[u8] {
        &self.buf
    }

    /// The record of the last [`StreamItem::Record`], to decode in place.
    pub fn record_mut(&mut self) -> &mut [u8] {
        &mut self.buf
    }

    /// The number the next record will get.
    pub fn next_number(&self) -> u64 {
        self.next
    }

    fn is_term(&self, b: u8) -> bool {
        b == self.lf || b == self.nl || b == self.cr
    }

    fn io_problem(&mut self, e: &std::io::Error) -> StreamItem {
        self.done = true;
        let n = self.next;
        self.next += 1;
        StreamItem::Problem(n, StreamProblem::Io(e.kind()))
    }

    /// The next record or problem.
    pub fn next_item(&mut self) -> StreamItem {
        if self.done {
            return StreamItem::End;
        }
        self.buf.clear();
        // Skip line terminators and blank lines between records.
        loop {
            let avail = match self.input.fill_buf() {
                Ok(a) => a,
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                Err(e) => return self.io_problem(&e),
            };
            if avail.is_empty() {
                self.done = true;
                return StreamItem::End;
            }
            let (lf, nl, cr) = (self.lf, self.nl, self.cr);
            let skip = avail
                .iter()
                .take_while(|&&b| b == lf || b == nl || b == cr)
                .count();
            let all = skip == avail.len();
            self.input.consume(skip);
            if !all {
                break;
            }
        }
        let number = self.next;
        self.next += 1;
        // Read one record, stopping early at a line feed.
        while self.buf.len() < self.len {
            let avail = match self.input.fill_buf() {
                Ok(a) => a,
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                Err(e) => {
                    self.next -= 1;
                    return self.io_problem(&e);
                }
            };
            if avail.is_empty() {
                self.done = true;
                return StreamItem::Problem(
                    number,
                    StreamProblem::Partial {
                        read: self.buf.len(),
                        ends_with_cr: self.buf.last() == Some(&self.cr),
                    },
                );
            }
            let take = avail.len().min(self.len - self.buf.len());
            if let Some(p) = memchr::memchr2(self.lf, self.nl, &avail[..take]) {
                self.buf.extend_from_slice(&avail[..p]);
                self.input.consume(p + 1);
                let mut got = self.buf.len();
                if self.buf.last() == Some(&self.cr) {
                    got -= 1;
                }
                self.terminated = Some(true);
                return StreamItem::Problem(number, StreamProblem::ShortLine { got });
            }
            self.buf.extend_from_slice(&avail[..take]);
            self.input.consume(take);
        }
        // What follows the record tells the framing.
        let next = loop {
            match self.input.fill_buf() {
                Ok(a) => break a.first().copied(),
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                Err(_) => break None, // reported by the next call
            }
        };
        match next {
            None => StreamItem::Record(number),
            Some(b) if self.is_term(b) => {
                self.terminated = Some(true);
                StreamItem::Record(number)
            }
            Some(_) if self.terminated == Some(true) => {
                // Too long a line: skip to its end.
                let mut extra = 0usize;
                loop {
                    let avail = match self.input.fill_buf() {
                        Ok(a) if !a.is_empty() => a,
                        _ => break,
                    };
                    match memchr::memchr2(self.lf, self.nl, avail) {
                        Some(p) => {
                            extra += p;
                            self.input.consume(p + 1);
                            break;
                        }
                        None => {
                            let n = avail.len();
                            extra += n;
                            self.input.consume(n);
                        }
                    }
                }
                StreamItem::Problem(number, StreamProblem::LongLine { extra })
            }
            Some(_) => {
                self.terminated = Some(false);
                StreamItem::Record(number)
            }
        }
    }
}

/// What [`Framer::next_frame`] found next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Frame {
    /// A whole record is in [`Framer::record`]; its 1-based number.
    Record(u64),
    /// A record-level problem with the record of this number.
    Error(u64, FieldError),
    /// No more records.
    End,
}

/// A [`RecordStream`] whose problems come back as record-level [`FieldError`]s:
///
/// * `IO_ERROR` — "reading the input failed: {kind}";
/// * `LENGTH` — "line is {got} bytes, a record is {len}", or "line is longer than a record
///   ({len} bytes): {extra} extra bytes";
/// * `PARTIAL_RECORD` — "the file ends inside a record ({read} of {len} bytes)", where a
///   trailing carriage return is not counted as read unless [`Framer::counting_cr`].
///
/// ```
/// use ivd_fixed::{Encoding, Frame, Framer};
///
/// let mut f = Framer::new(&b"ABC\nDE"[..], 3, Encoding::Ascii);
/// assert_eq!(f.next_frame(), Frame::Record(1));
/// assert_eq!(f.record(), b"ABC");
/// match f.next_frame() {
///     Frame::Error(2, e) => assert_eq!(e.code.as_str(), "PARTIAL_RECORD"),
///     other => panic!("{other:?}"),
/// }
/// assert_eq!(f.next_frame(), Frame::End);
/// ```
#[derive(Debug)]
pub struct Framer<R> {
    stream: RecordStream<R>,
    len: usize,
    count_cr: bool,
}

impl<R: BufRead> Framer<R> {
    /// Frames `len`-byte records of `input`, whose line terminators are those of `encoding`.
    pub fn new(input: R, len: usize, encoding: Encoding) -> Self {
        Self {
            stream: RecordStream::new(input, len, encoding),
            len,
            count_cr: false,
        }
    }

    /// Counts a trailing carriage return of a partial record among the bytes read (the
    /// new-hire wording).
    pub fn counting_cr(mut self) -> Self {
        self.count_cr = true;
        self
    }

    /// The record of the last [`Frame::Record`] (still in the file's encoding).
    pub fn record(&self) -> &[u8] {
        self.stream.record()
    }

    /// The same, to decode in place.
    pub fn record_mut(&mut self) -> &mut [u8] {
        self.stream.record_mut()
    }

    /// The number the next record will get.
    pub fn next_number(&self) -> u64 {
        self.stream.next_number()
    }

    /// The next record or problem.
    pub fn next_frame(&mut self) -> Frame {
        let len = self.len;
        match self.stream.next_item() {
            StreamItem::End => Frame::End,
            StreamItem::Record(n) => Frame::Record(n),
            StreamItem::Problem(n, problem) => Frame::Error(
                n,
                match problem {
                    StreamProblem::Io(kind) => FieldError::record_level(
                        ErrorCode::IO_ERROR,
                        format!("reading the input failed: {kind}"),
                    ),
                    StreamProblem::ShortLine { got } => FieldError::record_level(
                        ErrorCode::LENGTH,
                        format!("line is {got} bytes, a record is {len}"),
                    ),
                    StreamProblem::LongLine { extra } => FieldError::record_level(
                        ErrorCode::LENGTH,
                        format!("line is longer than a record ({len} bytes): {extra} extra bytes"),
                    ),
                    StreamProblem::Partial { read, ends_with_cr } => FieldError::record_level(
                        ErrorCode::PARTIAL_RECORD,
                        format!(
                            "the file ends inside a record ({} of {len} bytes)",
                            read - usize::from(ends_with_cr && !self.count_cr)
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

    fn items(input: &[u8], len: usize, enc: Encoding) -> Vec<Result<Vec<u8>, StreamProblem>> {
        let mut s = RecordStream::new(input, len, enc);
        let mut out = Vec::new();
        loop {
            match s.next_item() {
                StreamItem::End => return out,
                StreamItem::Record(_) => out.push(Ok(s.record().to_vec())),
                StreamItem::Problem(_, p) => out.push(Err(p)),
            }
        }
    }

    #[test]
    fn back_to_back_and_line_terminated_files_frame_alike() {
        let want = vec![Ok(b"ABC".to_vec()), Ok(b"DEF".to_vec())];
        assert_eq!(items(b"ABCDEF", 3, Encoding::Ascii), want);
        assert_eq!(items(b"ABC\r\nDEF\r\n", 3, Encoding::Ascii), want);
        assert_eq!(items(b"ABC\n\nDEF", 3, Encoding::Ascii), want);
        let want = vec![Ok(vec![0xC1; 3]), Ok(vec![0xC2; 3])];
        assert_eq!(
            items(
                &[0xC1, 0xC1, 0xC1, 0x15, 0xC2, 0xC2, 0xC2],
                3,
                Encoding::Ebcdic037
            ),
            want
        );
        assert_eq!(
            items(
                &[0xC1, 0xC1, 0xC1, 0x0D, 0x25, 0xC2, 0xC2, 0xC2, 0x0D, 0x25],
                3,
                Encoding::Ebcdic037
            ),
            want
        );
    }

    #[test]
    fn short_and_long_lines_cost_one_record_and_a_cut_file_ends_the_stream() {
        assert_eq!(
            items(b"AB\nDEF\nGHIJ\nKLM", 3, Encoding::Ascii),
            vec![
                Err(StreamProblem::ShortLine { got: 2 }),
                Ok(b"DEF".to_vec()),
                Err(StreamProblem::LongLine { extra: 1 }),
                Ok(b"KLM".to_vec())
            ]
        );
        assert_eq!(
            items(b"ABCDE", 3, Encoding::Ascii),
            vec![
                Ok(b"ABC".to_vec()),
                Err(StreamProblem::Partial {
                    read: 2,
                    ends_with_cr: false
                })
            ]
        );
    }
}
