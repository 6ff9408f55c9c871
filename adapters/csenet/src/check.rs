//! The `check` contract: one [`RecordVerdict`] per record of a data set.
//!
//! CSENet records are variable-length and newline-terminated (spec §1.1), so files are
//! split on `\n`, with an optional `\r` before it (UNIX interface servers add one byte per
//! record; Windows tools add two). A last record without a terminator is still checked:
//! the length rule of §1.2 catches a truncated one. Records are numbered from 1.

use ivd_fixed::RecordVerdict;

use crate::server_error::ServerError;
use crate::transaction::Transaction;

/// The records of a data set, without their line terminators (`\n` or `\r\n`). A file
/// that ends with a terminator has no empty last record; an empty line in the middle is a
/// record (and fails the length rule).
pub fn split_transactions(file: &[u8]) -> impl Iterator<Item = &[u8]> + '_ {
    let mut rest = file;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        let (line, next) = match find_newline(rest) {
            Some(p) => (rest.get(..p)?, rest.get(p + 1..)?),
            None => (rest, &rest[rest.len()..]),
        };
        rest = next;
        Some(line.strip_suffix(b"\r").unwrap_or(line))
    })
}

/// Offset of the first `\n` in `bytes`. Records are about 2 KB, so the terminator is
/// looked for eight bytes at a time (a zero-byte test on the word XOR `\n`…), then
/// byte by byte in the word that has it: a byte-at-a-time search was 7% of parsing.
fn find_newline(bytes: &[u8]) -> Option<usize> {
    const LF: u64 = u64::from_ne_bytes([b'\n'; 8]);
    const LOW: u64 = u64::from_ne_bytes([0x01; 8]);
    const HIGH: u64 = u64::from_ne_bytes([0x80; 8]);
    let mut words = bytes.chunks_exact(8);
    let mut base = 0;
    for word in words.by_ref() {
        let x = word.try_into().map(u64::from_ne_bytes).unwrap_or(0) ^ LF;
        // Non-zero exactly when some byte of `x` is zero, i.e. some byte was `\n`.
        if x.wrapping_sub(LOW) & !x & HIGH != 0 {
            return word.iter().position(|&b| b == b'\n').map(|p| base + p);
        }
        base += 8;
    }
    words
        .remainder()
        .iter()
        .position(|&b| b == b'\n')
        .map(|p| base + p)
}

/// One verdict per transaction of an Outgoing or Incoming Transactions data set:
/// framing, field syntax and transaction rules ([`Transaction::parse`]).
pub fn verdicts(file: &[u8]) -> impl Iterator<Item = RecordVerdict> + '_ {
    split_transactions(file)
        .zip(1u64..)
        .map(|(record, n)| match Transaction::parse(record) {
            Ok(_) => RecordVerdict::valid(n),
            Err(errors) => RecordVerdict::new(n, errors),
        })
}

/// One verdict per record of an Invalid Transactions data set (145-byte server error
/// records, §1.9).
pub fn server_error_verdicts(file: &[u8]) -> impl Iterator<Item = RecordVerdict> + '_ {
    split_transactions(file)
        .zip(1u64..)
        .map(|(record, n)| match ServerError::parse(record) {
            Ok(_) => RecordVerdict::valid(n),
            Err(errors) => RecordVerdict::new(n, errors),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_end_in_lf_or_crlf_and_the_last_terminator_is_optional() {
        let lines: Vec<&[u8]> = split_transactions(b"a\r\nb\nc").collect();
        assert_eq!(lines, [&b"a"[..], b"b", b"c"]);
        assert_eq!(split_transactions(b"a\n").count(), 1);
        assert_eq!(split_transactions(b"").count(), 0);
        assert_eq!(split_transactions(b"\n\n").count(), 2);
    }

    #[test]
    fn the_word_search_finds_the_first_newline_wherever_it_is() {
        for len in 0..40 {
            for at in 0..=len {
                let mut bytes = vec![b'x'; len];
                // Neighbours of `\n` in value, to catch a sloppy zero-byte test.
                for (i, b) in bytes.iter_mut().enumerate() {
                    *b = [b'x', 0x0B, 0x09, 0x8A, 0x00][i % 5];
                }
                if at < len {
                    bytes[at] = b'\n';
                    if at + 3 < len {
                        bytes[at + 3] = b'\n';
                    }
                }
                let expected = bytes.iter().position(|&b| b == b'\n');
                assert_eq!(find_newline(&bytes), expected, "len {len}, at {at}");
            }
        }
    }

    #[test]
    fn garbage_gets_a_length_verdict_numbered_from_one() {
        let v: Vec<_> = verdicts(b"nonsense\n").collect();
        assert_eq!(v.len(), 1);
        assert_eq!(v[0].record, 1);
        assert_eq!(v[0].errors[0].code, ivd_fixed::ErrorCode::LENGTH);
    }
}
