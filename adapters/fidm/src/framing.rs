//! Record framing for FIDM files: [`ivd_fixed::Framer`] (one record at a time from any
//! `BufRead`, constant memory, its problems worded with the shared codes), and writing.
//!
//! FIDM files come back to back (tape and mainframe transfers) or one record per line
//! (§E.1): both are accepted, detected from what follows the first record. Line
//! terminators are those of the file's encoding — ASCII `\n` / `\r\n`, EBCDIC `NL`
//! (0x15) or `LF` (0x25), optionally preceded by `CR` (0x0D). Blank lines between records
//! are skipped. A line shorter than a record, or longer in a line-terminated file, is a
//! `LENGTH` error for that record and reading resumes at the next line; a file that ends
//! inside a record gives `PARTIAL_RECORD` and ends the stream.

use std::io::Write;

use ivd_fixed::{Encoding, Framing};
pub(crate) use ivd_fixed::{Frame, Framer};

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
