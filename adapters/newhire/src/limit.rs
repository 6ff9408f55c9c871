//! A `BufRead` adapter that bounds how many bytes one token may span.
//!
//! The CSV and XML readers buffer a whole row or a whole XML event (text node, comment,
//! tag with its attributes) before this crate sees it. Without a bound, one enormous
//! field or text node — a 50 MB line with no delimiter — would be buffered whole (and
//! copied), so memory would grow with the file. The readers call [`Limited::reset`]
//! before each row or event; once more than the limit has been consumed since, the next
//! read fails and [`Limited::tripped`] tells the reader to report a record-level error.

use std::io::{self, BufRead, Read};

/// Longest CSV row or XML event accepted, in bytes. The longest legitimate row is a few
/// kilobytes; the bound only stops pathological input.
pub(crate) const MAX_TOKEN: usize = 1 << 20;

pub(crate) struct Limited<R> {
    inner: R,
    used: usize,
    limit: usize,
    tripped: bool,
}

impl<R: BufRead> Limited<R> {
    pub(crate) fn new(inner: R, limit: usize) -> Self {
        Self {
            inner,
            used: 0,
            limit,
            tripped: false,
        }
    }

    /// Starts a new token.
    pub(crate) fn reset(&mut self) {
        self.used = 0;
    }

    /// Whether a read failed because a token exceeded the limit.
    pub(crate) fn tripped(&self) -> bool {
        self.tripped
    }
}

impl<R: BufRead> BufRead for Limited<R> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        if self.used >= self.limit {
            self.tripped = true;
            return Err(io::Error::other("token longer than the limit"));
        }
        let room = self.limit - self.used;
        let buf = self.inner.fill_buf()?;
        Ok(&buf[..buf.len().min(room)])
    }

    fn consume(&mut self, amt: usize) {
        self.used = self.used.saturating_add(amt);
        self.inner.consume(amt);
    }
}

impl<R: BufRead> Read for Limited<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let avail = self.fill_buf()?;
        let n = avail.len().min(out.len());
        out[..n].copy_from_slice(&avail[..n]);
        self.consume(n);
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_within_the_limit_reads_and_a_longer_one_trips() {
        let mut r = Limited::new(&b"abcdefgh"[..], 4);
        let mut buf = [0u8; 3];
        assert_eq!(r.read(&mut buf).unwrap(), 3);
        r.reset();
        let mut rest = Vec::new();
        assert!(r.read_to_end(&mut rest).is_err());
        assert!(r.tripped());
        assert_eq!(rest, b"defg");
    }
}
