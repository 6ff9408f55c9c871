//! Splitting a file's bytes into fixed-length records.
//!
//! [`Records`] is an iterator of borrowed records: nothing is copied, and a caller that
//! reads a file in chunks can split each chunk of whole records and carry the rest over
//! ([`Records::remainder`]). Framing errors are record-level [`FieldError`]s carrying the
//! record number: a trailing partial record (`PARTIAL_RECORD`) and a missing line
//! terminator (`BAD_TERMINATOR`) or a line of the wrong length (`LENGTH`). With line
//! framings the splitter resynchronises at the next newline, so a bad line costs only
//! its own record (the caller reports it in that record's verdict) and numbering goes on;
//! without terminators nothing can be resynchronised, and a trailing partial record ends
//! the iteration.

use crate::error::{ErrorCode, FieldError};

/// How records are separated in a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Framing {
    /// Records back to back, no terminators (federal mainframe files, EBCDIC).
    Fixed,
    /// Each record followed by `\n`; the last one may lack it.
    Lf,
    /// Each record followed by `\r\n`; the last one may lack it.
    CrLf,
    /// Each record followed by `\n` or `\r\n` (mixed is tolerated); the last one may lack
    /// it. The usual choice for employer uploads of unknown origin.
    AnyNewline,
}

/// One record of a file: its 1-based number and its bytes (without terminator).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RawRecord<'a> {
    /// 1-based record number in the file.
    pub number: u64,
    /// The record's bytes, exactly `record_len` long.
    pub bytes: &'a [u8],
}

/// Iterator over the records of a buffer; see [`split_records`].
#[derive(Debug, Clone)]
pub struct Records<'a> {
    rest: &'a [u8],
    record_len: usize,
    framing: Framing,
    next_number: u64,
    done: bool,
}

/// Splits `buf` into records of `record_len` bytes framed by `framing`. Line terminators
/// are bytes of the file as stored (ASCII `\n`/`\r`), so split before decoding.
///
/// ```
/// # use ivd_fixed::{split_records, Framing};
/// let recs: Vec<_> = split_records(b"AB\r\nCD\r\nE", 2, Framing::CrLf).collect();
/// assert_eq!(recs[1].as_ref().unwrap().bytes, b"CD");
/// let err = recs[2].as_ref().unwrap_err();
/// assert_eq!((err.code.as_str(), err.record), ("PARTIAL_RECORD", Some(3)));
/// ```
pub fn split_records(buf: &[u8], record_len: usize, framing: Framing) -> Records<'_> {
    Records {
        rest: buf,
        record_len,
        framing,
        next_number: 1,
        done: false,
    }
}

impl<'a> Records<'a> {
    /// Starts numbering at `first` instead of 1 (for a caller splitting a file in chunks).
    #[must_use]
    pub fn starting_at(mut self, first: u64) -> Self {
        self.next_number = first;
        self
    }

    /// The bytes not consumed yet. For chunked reading: stop when this is shorter than a
    /// whole framed record and prepend it to the next chunk.
    pub fn remainder(&self) -> &'a [u8] {
        self.rest
    }

    /// The number the next record will get.
    pub fn next_number(&self) -> u64 {
        self.next_number
    }

    fn fail(
        &mut self,
        code: ErrorCode,
        message: String,
    ) -> Option<Result<RawRecord<'a>, FieldError>> {
        self.done = true;
        Some(Err(
            FieldError::record_level(code, message).with_record(self.next_number)
        ))
    }
}

impl<'a> Iterator for Records<'a> {
    type Item = Result<RawRecord<'a>, FieldError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done || self.rest.is_empty() {
            return None;
        }
        if self.record_len == 0 {
            return self.fail(ErrorCode::LENGTH, "record length 0".to_owned());
        }
        if self.framing == Framing::Fixed {
            if self.rest.len() < self.record_len {
                return self.partial(self.rest.len());
            }
            let (bytes, after) = self.rest.split_at(self.record_len);
            self.rest = after;
            return Some(Ok(self.take(bytes)));
        }
        // Line framings resynchronise at every newline, so one bad line costs one record.
        let (line, after, last) = match self.rest.iter().position(|&b| b == b'\n') {
            Some(p) => (&self.rest[..p], &self.rest[p + 1..], false),
            None => (self.rest, &self.rest[self.rest.len()..], true),
        };
        self.rest = after;
        let (line, had_cr) = match line.split_last() {
            Some((b'\r', head)) if !last => (head, true),
            _ => (line, false),
        };
        if last && line.len() < self.record_len {
            return self.partial(line.len());
        }
        if line.len() != self.record_len {
            let got = line.len();
            return Some(Err(self.line_error(
                ErrorCode::LENGTH,
                format!("line is {got} bytes, records are {}", self.record_len),
            )));
        }
        let wrong_terminator = !last
            && match self.framing {
                Framing::Lf => had_cr,
                Framing::CrLf => !had_cr,
                _ => false,
            };
        if wrong_terminator {
            let want = if self.framing == Framing::Lf {
                "\\n"
            } else {
                "\\r\\n"
            };
            return Some(Err(self.line_error(
                ErrorCode::BAD_TERMINATOR,
                format!("line not terminated by {want}"),
            )));
        }
        Some(Ok(self.take(line)))
    }
}

impl<'a> Records<'a> {
    fn take(&mut self, bytes: &'a [u8]) -> RawRecord<'a> {
        let number = self.next_number;
        self.next_number += 1;
        RawRecord { number, bytes }
    }

    fn line_error(&mut self, code: ErrorCode, message: String) -> FieldError {
        let e = FieldError::record_level(code, message).with_record(self.next_number);
        self.next_number += 1;
        e
    }

    fn partial(&mut self, got: usize) -> Option<Result<RawRecord<'a>, FieldError>> {
        let len = self.record_len;
        self.fail(
            ErrorCode::PARTIAL_RECORD,
            format!("file ends with a partial record of {got} bytes, records are {len}"),
        )
    }
}

impl std::iter::FusedIterator for Records<'_> {}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(buf: &[u8], len: usize, framing: Framing) -> Vec<&[u8]> {
        split_records(buf, len, framing)
            .map(|r| r.map(|r| r.bytes))
            .collect::<Result<_, _>>()
            .unwrap()
    }

    #[test]
    fn fixed_records() {
        assert_eq!(ok(b"abcdef", 3, Framing::Fixed), vec![b"abc", b"def"]);
        assert_eq!(ok(b"", 3, Framing::Fixed), Vec::<&[u8]>::new());
        // a newline is data when there is no framing
        assert_eq!(ok(b"ab\ncd\n", 3, Framing::Fixed), vec![b"ab\n", b"cd\n"]);
    }

    #[test]
    fn line_terminators() {
        assert_eq!(ok(b"abc\ndef\n", 3, Framing::Lf), vec![b"abc", b"def"]);
        assert_eq!(ok(b"abc\ndef", 3, Framing::Lf), vec![b"abc", b"def"]);
        assert_eq!(
            ok(b"abc\r\ndef\r\n", 3, Framing::CrLf),
            vec![b"abc", b"def"]
        );
        assert_eq!(
            ok(b"abc\r\ndef\nghi", 3, Framing::AnyNewline),
            vec![b"abc", b"def", b"ghi"]
        );
    }

    #[test]
    fn numbers_records_from_one() {
        let nums: Vec<u64> = split_records(b"aabbcc", 2, Framing::Fixed)
            .map(|r| r.unwrap().number)
            .collect();
        assert_eq!(nums, vec![1, 2, 3]);
        let r = split_records(b"aa", 2, Framing::Fixed)
            .starting_at(10)
            .next();
        assert_eq!(r.unwrap().unwrap().number, 10);
    }

    #[test]
    fn trailing_partial_record_is_reported_with_its_number() {
        let all: Vec<_> = split_records(b"abcdefgh", 3, Framing::Fixed).collect();
        assert_eq!(all.len(), 3);
        let e = all[2].as_ref().unwrap_err();
        assert_eq!(e.code, ErrorCode::PARTIAL_RECORD);
        assert_eq!(e.record, Some(3));
        assert_eq!(e.position, None);
        assert_eq!(
            e.message,
            "file ends with a partial record of 2 bytes, records are 3"
        );
        let e = split_records(b"abc\nde\n", 3, Framing::Lf)
            .nth(1)
            .unwrap()
            .unwrap_err();
        assert_eq!(e.code, ErrorCode::LENGTH);
        let e = split_records(b"abc\nd", 3, Framing::Lf)
            .nth(1)
            .unwrap()
            .unwrap_err();
        assert_eq!((e.code, e.record), (ErrorCode::PARTIAL_RECORD, Some(2)));
    }

    #[test]
    fn bad_lines_cost_one_record_each() {
        let all: Vec<_> = split_records(b"abc\ndef\r\nghi", 3, Framing::CrLf).collect();
        let e = all[0].as_ref().unwrap_err();
        assert_eq!((e.code, e.record), (ErrorCode::BAD_TERMINATOR, Some(1)));
        assert_eq!(
            all[1].as_ref().unwrap(),
            &RawRecord {
                number: 2,
                bytes: b"def"
            }
        );
        assert_eq!(all[2].as_ref().unwrap().bytes, b"ghi");
        let all: Vec<_> = split_records(b"abc\r\ndef\n", 3, Framing::Lf).collect();
        assert_eq!(all[0].as_ref().unwrap_err().code, ErrorCode::BAD_TERMINATOR);
        assert_eq!(all[1].as_ref().unwrap().bytes, b"def");
        // a long line and a short line in the middle
        let all: Vec<_> = split_records(b"abcd\nab\nxyz\n", 3, Framing::AnyNewline).collect();
        assert_eq!(all.len(), 3);
        let e = all[0].as_ref().unwrap_err();
        assert_eq!((e.code, e.record), (ErrorCode::LENGTH, Some(1)));
        assert_eq!(e.message, "line is 4 bytes, records are 3");
        assert_eq!(all[1].as_ref().unwrap_err().record, Some(2));
        assert_eq!(
            all[2].as_ref().unwrap(),
            &RawRecord {
                number: 3,
                bytes: b"xyz"
            }
        );
        assert_eq!(
            split_records(b"x", 0, Framing::Fixed)
                .next()
                .unwrap()
                .unwrap_err()
                .code,
            ErrorCode::LENGTH
        );
    }

    #[test]
    fn remainder_for_chunked_reading() {
        let mut it = split_records(b"abcdefg", 3, Framing::Fixed);
        it.next();
        assert_eq!(it.remainder(), b"defg");
        assert_eq!(it.next_number(), 2);
    }
}
