//! Streaming record framing: one record at a time from any `BufRead`, into one reused
//! buffer, so memory does not grow with the file.
//!
//! FIDM files come back to back (tape and mainframe transfers) or one record per line
//! (§E.1): both are accepted, detected from what follows the first record. Line
//! terminators are those of the file's encoding — ASCII `\n` / `\r\n`, EBCDIC `NL`
//! (0x15) or `LF` (0x25), optionally preceded by `CR` (0x0D). Blank lines between records
//! are skipped. A line shorter than a record, or longer in a line-terminated file, is a
//! `LENGTH` error for that record and reading resumes at the next line; a file that ends
//! inside a record gives `PARTIAL_RECORD` and ends the stream.

use std::io::{BufRead, ErrorKind, Write};

use ivd_fixed::{Encoding, FieldError, Framing};

use crate::codes;

/// The terminator bytes of an encoding: (line feeds, carriage return).
fn terminators(encoding: Encoding) -> (u8, u8, u8) {
    match encoding {
        // Line feed twice: memchr2 needs two needles.
        Encoding::Ascii => (b'\n', b'\n', b'\r'),
        Encoding::Ebcdic037 => (0x25, 0x15, 0x0D),
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
    let (lf, _, cr) = terminators(encoding);
    match framing {
        Framing::Fixed => Ok(()),
        Framing::Lf => out.write_all(&[lf]),
        Framing::CrLf | Framing::AnyNewline => out.write_all(&[cr, lf]),
    }
}

pub(crate) struct Framer<R> {
    input: R,
    /// The current record, as read (still in the file's encoding).
    pub(crate) buf: Vec<u8>,
    len: usize,
    next: u64,
    lf: u8,
    nl: u8,
    cr: u8,
    terminated: Option<bool>,
    done: bool,
}

pub(crate) enum Frame {
    /// A whole record is in `buf`; its 1-based number.
    Record(u64),
    /// A record-level problem with the record of this number.
    Error(u64, FieldError),
    End,
}

impl<R: BufRead> Framer<R> {
    pub(crate) fn new(input: R, len: usize, encoding: Encoding) -> Self {
        let (lf, nl, cr) = terminators(encoding);
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

    /// The number the next record will get.
    pub(crate) fn next_number(&self) -> u64 {
        self.next
    }

    fn is_term(&self, b: u8) -> bool {
        b == self.lf || b == self.nl || b == self.cr
    }

    fn io_error(&mut self, e: &std::io::Error) -> Frame {
        self.done = true;
        let n = self.next;
        self.next += 1;
        Frame::Error(
            n,
            FieldError::record_level(
                codes::IO_ERROR,
                format!("reading the input failed: {}", e.kind()),
            ),
        )
    }

    pub(crate) fn next_frame(&mut self) -> Frame {
        if self.done {
            return Frame::End;
        }
        self.buf.clear();
        // Skip line terminators and blank lines between records.
        loop {
            let avail = match self.input.fill_buf() {
                Ok(a) => a,
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                Err(e) => return self.io_error(&e),
            };
            if avail.is_empty() {
                self.done = true;
                return Frame::End;
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
                    return self.io_error(&e);
                }
            };
            if avail.is_empty() {
                self.done = true;
                let mut got = self.buf.len();
                if self.buf.last() == Some(&self.cr) {
                    got -= 1;
                }
                return Frame::Error(
                    number,
                    FieldError::record_level(
                        codes::PARTIAL_RECORD,
                        format!(
                            "the file ends inside a record ({got} of {} bytes)",
                            self.len
                        ),
                    ),
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
                return Frame::Error(
                    number,
                    FieldError::record_level(
                        codes::LENGTH,
                        format!("line is {got} bytes, a record is {}", self.len),
                    ),
                );
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
            None => Frame::Record(number),
            Some(b) if self.is_term(b) => {
                self.terminated = Some(true);
                Frame::Record(number)
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
                Frame::Error(
                    number,
                    FieldError::record_level(
                        codes::LENGTH,
                        format!(
                            "line is longer than a record ({} bytes): {extra} extra bytes",
                            self.len
                        ),
                    ),
                )
            }
            Some(_) => {
                self.terminated = Some(false);
                Frame::Record(number)
            }
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
                Frame::Record(_) => out.push(Ok(f.buf.clone())),
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
