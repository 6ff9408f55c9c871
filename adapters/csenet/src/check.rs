//! The `check` contract: one [`RecordVerdict`] per record of a data set.
//!
//! CSENet records are variable-length and newline-terminated (spec §1.1), so files are
//! split on `\n`, with an optional `\r` before it (UNIX interface servers add one byte per
//! record; Windows tools add two). A last record without a terminator is still checked:
//! the length rule of §1.2 catches a truncated one. Records are numbered from 1.

use ivd_fixed::{FieldError, RecordVerdict};

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
        let (line, next) = match memchr::memchr(b'\n', rest) {
            Some(p) => (rest.get(..p)?, rest.get(p + 1..)?),
            None => (rest, &rest[rest.len()..]),
        };
        rest = next;
        Some(line.strip_suffix(b"\r").unwrap_or(line))
    })
}

/// Reads an Outgoing or Incoming Transactions data set, one transaction at a time: for
/// each record (numbered from 1) the transaction or every problem [`Transaction::parse`]
/// found in it. Records are independent (the data set has no header or trailer), so the
/// reader streams: memory does not grow with the file.
pub fn read_transactions(
    file: &[u8],
) -> impl Iterator<Item = (u64, Result<Transaction, Vec<FieldError>>)> + '_ {
    split_transactions(file)
        .zip(1u64..)
        .map(|(record, n)| (n, Transaction::parse(record)))
}

/// One verdict per transaction of an Outgoing or Incoming Transactions data set:
/// framing, field syntax and transaction rules ([`read_transactions`]).
pub fn transaction_verdicts(file: &[u8]) -> impl Iterator<Item = RecordVerdict> + '_ {
    read_transactions(file).map(|(n, result)| match result {
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
    fn garbage_gets_a_length_verdict_numbered_from_one() {
        let v: Vec<_> = transaction_verdicts(b"nonsense\n").collect();
        assert_eq!(v.len(), 1);
        assert_eq!(v[0].record, 1);
        assert_eq!(v[0].errors[0].code, ivd_fixed::ErrorCode::LENGTH);
    }

    #[test]
    fn read_transactions_numbers_each_record_and_keeps_its_errors() {
        let read: Vec<_> = read_transactions(b"nonsense\r\n\n").collect();
        assert_eq!(read.len(), 2);
        assert_eq!(read[0].0, 1);
        assert_eq!(read[1].0, 2);
        let errors = read[0].1.as_ref().unwrap_err();
        assert_eq!(errors[0].code, ivd_fixed::ErrorCode::LENGTH);
    }
}
