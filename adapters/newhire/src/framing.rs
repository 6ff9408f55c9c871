//! Streaming record framing for the 801-byte formats: one record at a time from any
//! `BufRead`, into one reused buffer, so memory does not grow with the file.
//!
//! Accepted framings: records back to back (federal files), or each followed by `\n` or
//! `\r\n` (employer uploads); blank lines between records are skipped. A line shorter
//! than a record, or longer in a file whose records are line-terminated, is reported as
//! `LENGTH` for that record and reading resumes at the next line. A file that ends inside
//! a record gives `PARTIAL_RECORD` and ends the stream.

use std::io::BufRead;

use ivd_fixed::FieldError;

use crate::codes;

pub(crate) struct Framer<R> {
    input: R,
    pub(crate) buf: Vec<u8>,
    len: usize,
    next: u64,
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
    pub(crate) fn new(input: R, len: usize) -> Self {
        Self {
            input,
            buf: Vec::with_capacity(len),
            len,
            next: 1,
            terminated: None,
            done: false,
        }
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
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return self.io_error(&e),
            };
            if avail.is_empty() {
                self.done = true;
                return Frame::End;
            }
            let skip = avail
                .iter()
                .take_while(|&&b| b == b'\n' || b == b'\r')
                .count();
            let all = skip == avail.len();
            self.input.consume(skip);
            if !all {
                break;
            }
        }
        let number = self.next;
        self.next += 1;
        // Read one record, stopping early at a newline.
        while self.buf.len() < self.len {
            let avail = match self.input.fill_buf() {
                Ok(a) => a,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    self.next -= 1;
                    return self.io_error(&e);
                }
            };
            if avail.is_empty() {
                self.done = true;
                return Frame::Error(
                    number,
                    FieldError::record_level(
                        codes::PARTIAL_RECORD,
                        format!(
                            "the file ends inside a record ({} of {} bytes)",
                            self.buf.len(),
                            self.len
                        ),
                    ),
                );
            }
            let take = avail.len().min(self.len - self.buf.len());
            if let Some(p) = memchr::memchr(b'\n', &avail[..take]) {
                self.buf.extend_from_slice(&avail[..p]);
                self.input.consume(p + 1);
                let mut got = self.buf.len();
                if self.buf.last() == Some(&b'\r') {
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
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(_) => break None, // reported by the next call
            }
        };
        match next {
            None | Some(b'\n' | b'\r') => {
                if next.is_some() {
                    self.terminated = Some(true);
                }
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
                    match memchr::memchr(b'\n', avail) {
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
