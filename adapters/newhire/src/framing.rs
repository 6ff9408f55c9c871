//! Streaming record framing for the 801-byte formats: [`ivd_fixed::Framer`] in ASCII, its
//! problems worded with the shared codes (`LENGTH`, `PARTIAL_RECORD`, `IO_ERROR`).
//! Accepted framings: records back to back (federal files), or each followed by `\n` or
//! `\r\n` (employer uploads); blank lines between records are skipped. A line shorter than
//! a record, or longer in a file whose records are line-terminated, is reported as `LENGTH`
//! for that record and reading resumes at the next line. A file that ends inside a record
//! gives `PARTIAL_RECORD` and ends the stream.

use std::io::BufRead;

use ivd_fixed::Encoding;
pub(crate) use ivd_fixed::{Frame, Framer};

/// A framer of `len`-byte ASCII records; a partial record's count includes a trailing
/// carriage return, as this crate has always worded it.
pub(crate) fn framer<R: BufRead>(input: R, len: usize) -> Framer<R> {
    Framer::new(input, len, Encoding::Ascii).counting_cr()
}
