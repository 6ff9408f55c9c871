//! Text a partner wrote, made fit to store: SSN shapes masked, length bounded.
//!
//! A partner's error body is not ours to trust: a state's server may echo the record it
//! refused, SSN included, and a proxy may answer with a 64 KiB page. What the gateway keeps
//! of such text (an outbox message's `last_error`, each attempt's `detail`, the reason of a
//! partner-down alert, the log line) goes through [`stored_error_text`] first:
//!
//! - every run of 9 or more digits becomes as many `*` (an SSN, an ITIN, a FEIN with its
//!   prefix, an account number: none is needed to see why a delivery failed), and so do the
//!   written SSN shapes `123-45-6789` and `123 45 6789` (three, two and four digits with
//!   one separator repeated, not touching other digits);
//! - the result is cut to [`MAX_STORED_ERROR_BYTES`] bytes on a character boundary, ending
//!   with `…` when cut.
//!
//! Masking comes first, so a cut cannot leave the first digits of a masked run in clear.

use std::borrow::Cow;

/// Most bytes of partner-written text kept per stored error.
pub const MAX_STORED_ERROR_BYTES: usize = 512;

/// `text` masked ([`mask_digit_runs`]) and bounded to [`MAX_STORED_ERROR_BYTES`].
pub fn stored_error_text(text: &str) -> String {
    bounded(&mask_digit_runs(text), MAX_STORED_ERROR_BYTES)
}

/// Every run of 9 or more ASCII digits, and every `ddd-dd-dddd` / `ddd dd dddd` not
/// touching another digit, with its digits replaced by `*`.
pub fn mask_digit_runs(text: &str) -> Cow<'_, str> {
    let bytes = text.as_bytes();
    let mut masked: Option<Vec<u8>> = None;
    let mut i = 0;
    while i < bytes.len() {
        if !bytes[i].is_ascii_digit() {
            i += 1;
            continue;
        }
        let start = i;
        while i < bytes.len() && bytes[i].is_ascii_digit() {
            i += 1;
        }
        let end = if i - start >= 9 {
            Some(i)
        } else {
            ssn_shape_end(bytes, start)
        };
        if let Some(end) = end {
            let out = masked.get_or_insert_with(|| bytes.to_vec());
            for b in &mut out[start..end] {
                if b.is_ascii_digit() {
                    *b = b'*';
                }
            }
            i = end;
        }
    }
    match masked {
        // Only ASCII digits were replaced by an ASCII byte: still UTF-8.
        Some(out) => Cow::Owned(String::from_utf8(out).unwrap_or_default()),
        None => Cow::Borrowed(text),
    }
}

/// Where an SSN written `ddd-dd-dddd` or `ddd dd dddd` starting at `start` ends, if one
/// does (and no digit touches it on either side).
fn ssn_shape_end(bytes: &[u8], start: usize) -> Option<usize> {
    if start > 0 && bytes[start - 1].is_ascii_digit() {
        return None;
    }
    let digits = |from: usize, n: usize| {
        bytes.len() >= from + n && bytes[from..from + n].iter().all(u8::is_ascii_digit)
    };
    let separator = *bytes.get(start + 3)?;
    if !matches!(separator, b'-' | b' ')
        || !digits(start, 3)
        || !digits(start + 4, 2)
        || bytes.get(start + 6) != Some(&separator)
        || !digits(start + 7, 4)
    {
        return None;
    }
    let end = start + 11;
    if bytes.get(end).is_some_and(u8::is_ascii_digit) {
        return None;
    }
    Some(end)
}

/// `text` cut to at most `max` bytes on a character boundary, ending with `…` (counted in
/// `max`) when anything was cut.
pub fn bounded(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_string();
    }
    const MORE: &str = "…";
    let mut end = max.saturating_sub(MORE.len());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let mut out = String::with_capacity(end + MORE.len());
    out.push_str(text[..end].trim_end());
    out.push_str(MORE);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_of_nine_digits_and_written_ssns_are_masked() {
        assert_eq!(
            mask_digit_runs("SSN 123456789 refused"),
            "SSN ********* refused"
        );
        assert_eq!(
            mask_digit_runs("id 1234567890123, then 123-45-6789 and 123 45 6789."),
            "id *************, then ***-**-**** and *** ** ****."
        );
        assert_eq!(mask_digit_runs("x123456789y"), "x*********y");
    }

    #[test]
    fn shorter_numbers_dates_and_statuses_stay() {
        for text in [
            "HTTP 503: try again in 30 s",
            "record 12345678 of file 2026-09-15",
            "1234-56-7890 and 12-345-6789 are not SSN shapes",
            "0123-45-6789 touches another digit",
            "",
        ] {
            assert!(matches!(mask_digit_runs(text), Cow::Borrowed(_)), "{text}");
        }
        assert_eq!(
            mask_digit_runs("123-45-67890"),
            "123-45-67890",
            "a longer run is not an SSN shape"
        );
    }

    #[test]
    fn bounded_cuts_on_a_character_boundary() {
        assert_eq!(bounded("short", 512), "short");
        let long = "é".repeat(400);
        let cut = bounded(&long, 512);
        assert!(cut.len() <= 512, "{}", cut.len());
        assert!(cut.ends_with('…'));
        assert!(cut.trim_end_matches('…').chars().all(|c| c == 'é'));
    }

    #[test]
    fn a_huge_body_full_of_ssns_leaves_a_bounded_masked_text() {
        let body = "Invalid record: SSN 123456789 (123-45-6789) not on file. ".repeat(1200);
        let stored = stored_error_text(&format!("HTTP 500: {body}"));
        assert!(stored.len() <= MAX_STORED_ERROR_BYTES);
        assert!(stored.starts_with("HTTP 500: Invalid record: SSN *********"));
        assert!(
            !stored.contains("123") && !stored.contains("6789"),
            "{stored}"
        );
    }
}
