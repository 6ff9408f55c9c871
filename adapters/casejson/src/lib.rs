//! The canonical IV-D case as JSON (`schemas/case.schema.json`), read as partners and the
//! state system send it: the gateway's `PUT /state/v1/cases/{id}`, the bulk case push and
//! `ivd-gateway check case-json` all read cases through [`read_case`].
//!
//! Every problem is an [`ivd_fixed::FieldError`] naming the JSON path, the model's stable
//! code and the 1-based byte where the offending value starts — never the value itself,
//! which may be an SSN. Pure: bytes in, model values and errors out.
//!
//! ```
//! let errors = ivd_casejson::read_case(br#"{"id": "MN-1""#).unwrap_err();
//! assert_eq!(errors[0].field, "case");
//! assert_eq!(errors[0].code.as_str(), "JSON");
//! ```

use ivd_fixed::{ErrorCode, FieldError};

/// Parses and validates one canonical case.
///
/// A syntax error is one error on the field `case` at the byte where parsing stopped. A
/// value the model refuses (an SSN with area 666, an unknown code) names its JSON path
/// (`participants[0].person.ssn`), the model's code (`SSN_AREA`) and the 1-based byte
/// where the value starts. Cross-field rules (`Case::validate`) name their path and code;
/// they have no single position.
pub fn read_case(bytes: &[u8]) -> Result<ivd_model::Case, Vec<FieldError>> {
    let case: ivd_model::Case = parse_json(bytes, "case")?;
    validate_case(&case, "")?;
    Ok(case)
}

/// Reads one JSON document of type `T` (a case, or a document that holds one, such as a
/// line of the bulk case push) the way [`read_case`] reads a case: a syntax error, or
/// bytes after the document, is one error on the field `whole` at the byte where parsing
/// stopped; a refused value names its JSON path from the document's root, the model's
/// code and the 1-based byte where the value starts. The model's cross-field rules are
/// not checked here ([`validate_case`]).
pub fn parse_json<T: serde::de::DeserializeOwned>(
    bytes: &[u8],
    whole: &'static str,
) -> Result<T, Vec<FieldError>> {
    // Most documents are valid: read them without tracking the path (which costs a third
    // more), and read again, tracking it, only to say where a document went wrong.
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    if let Ok(document) = <T as serde::Deserialize>::deserialize(&mut deserializer)
        && deserializer.end().is_ok()
    {
        return Ok(document);
    }
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let parsed: Result<T, _> = serde_path_to_error::deserialize(&mut deserializer);
    let document = match parsed {
        Ok(document) => document,
        Err(error) => {
            let path = error.path().to_string();
            let inner = error.into_inner();
            let end = byte_offset(bytes, inner.line(), inner.column());
            let message = without_quoted_values(&inner.to_string());
            let problem = if inner.is_syntax() || inner.is_eof() || path == "." {
                FieldError::new(ErrorCode::new("JSON"), whole, end + 1, message)
            } else {
                let (message, code) = split_code(&message);
                FieldError::new(
                    ErrorCode::new(code),
                    path,
                    value_start(bytes, end) + 1,
                    message,
                )
            };
            return Err(vec![problem]);
        }
    };
    if let Err(trailing) = deserializer.end() {
        let end = byte_offset(bytes, trailing.line(), trailing.column());
        let message = format!("bytes follow the end of the {whole}");
        return Err(vec![FieldError::new(
            ErrorCode::new("JSON"),
            whole,
            end + 1,
            message,
        )]);
    }
    Ok(document)
}

/// Checks the model's cross-field rules of `case` (`Case::validate`): each problem names
/// its path, after `prefix` (empty for a case on its own, `case.` for the case inside a
/// bulk line), and its code.
pub fn validate_case(case: &ivd_model::Case, prefix: &str) -> Result<(), Vec<FieldError>> {
    case.validate().map_err(|errors| {
        errors
            .into_iter()
            .map(|e| {
                FieldError::unpositioned(
                    ErrorCode::new(e.code()),
                    format!("{prefix}{}", e.path),
                    e.to_string(),
                )
            })
            .collect::<Vec<_>>()
    })
}

/// The 0-based byte index of serde_json's 1-based (line, column).
fn byte_offset(bytes: &[u8], line: usize, column: usize) -> usize {
    let line_start = bytes
        .split_inclusive(|b| *b == b'\n')
        .take(line.saturating_sub(1))
        .map(<[u8]>::len)
        .sum::<usize>();
    (line_start + column.saturating_sub(1)).min(bytes.len())
}

/// Where the value that ends at (or just before) `end` starts: serde reports a refused
/// value after it has read it.
fn value_start(bytes: &[u8], end: usize) -> usize {
    let mut i = end.min(bytes.len());
    // Step back over the delimiter serde may already stand on.
    while i > 0
        && matches!(
            bytes[i - 1],
            b',' | b'}' | b']' | b' ' | b'\n' | b'\r' | b'\t'
        )
    {
        i -= 1;
    }
    if i > 0 && bytes[i - 1] == b'"' {
        // A string: find its opening quote (not escaped).
        let mut j = i - 1;
        while j > 0 {
            j -= 1;
            if bytes[j] == b'"' && (j == 0 || bytes[j - 1] != b'\\') {
                return j;
            }
        }
        return 0;
    }
    while i > 0
        && !matches!(
            bytes[i - 1],
            b':' | b',' | b'[' | b'{' | b' ' | b'\n' | b'\t' | b'\r'
        )
    {
        i -= 1;
    }
    i
}

/// The model's messages end in its stable code, "… (SSN_AREA)"; serde wraps them. Returns
/// the message without the code, and the code (`INVALID_VALUE` when there is none).
fn split_code(message: &str) -> (String, &'static str) {
    let trimmed = message.trim_end();
    if let Some(open) = trimmed.rfind(" (")
        && trimmed.ends_with(')')
    {
        let code = &trimmed[open + 2..trimmed.len() - 1];
        if let Some(rule) = ivd_model::IdError::from_code(code) {
            return (trimmed[..open].to_string(), rule.code());
        }
    }
    (trimmed.to_string(), "INVALID_VALUE")
}

/// serde quotes the offending value in some messages (``invalid type: integer `123456789` ``);
/// that value may be an SSN, so every quoted span before serde's ", expected" is blanked
/// before the text leaves. What follows "expected" is the schema's, not the sender's: the
/// allowed values of a code (``expected one of `child`, `parent` ``) stay, so the sender
/// can correct the value.
pub fn without_quoted_values(message: &str) -> String {
    let (sent, expected) = match message.find(", expected") {
        Some(at) => message.split_at(at),
        None => (message, ""),
    };
    let mut out = String::with_capacity(message.len());
    let mut quote: Option<char> = None;
    for ch in sent.chars() {
        match quote {
            Some(q) if ch == q => {
                out.push(ch);
                quote = None;
            }
            Some(_) => {}
            None if ch == '`' || ch == '"' => {
                out.push(ch);
                out.push('…');
                quote = Some(ch);
            }
            None => out.push(ch),
        }
    }
    out.push_str(expected);
    // Drop serde's own " at line L column C" suffix; the caller reports the position.
    match out.find(" at line ") {
        Some(at) => out[..at].to_string(),
        None => out,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = include_str!("../../../schemas/samples/case-tanf.json");

    #[test]
    fn quoted_values_never_reach_an_error_text() {
        let text = without_quoted_values(
            "invalid type: integer `123456789`, expected a string at line 1 column 9",
        );
        assert_eq!(text, "invalid type: integer `…`, expected a string");
        let text = without_quoted_values(
            "unknown variant `Sister`, expected one of `child`, `parent` at line 3 column 20",
        );
        assert!(!text.contains("Sister"), "{text}");
        assert_eq!(
            text, "unknown variant `…`, expected one of `child`, `parent`",
            "the allowed values are the schema's: they stay"
        );
    }

    #[test]
    fn a_bad_ssn_is_named_by_path_code_and_the_start_of_its_value() {
        let case: serde_json::Value = serde_json::from_str(SAMPLE).unwrap();
        let mut bad = case.clone();
        bad["participants"][0]["person"]["ssn"] = serde_json::json!("666-45-6789");
        let text = serde_json::to_string(&bad).unwrap();
        let errors = read_case(text.as_bytes()).unwrap_err();
        assert_eq!(errors.len(), 1);
        let error = &errors[0];
        assert_eq!(error.field, "participants[0].person.ssn");
        assert_eq!(error.code.as_str(), "SSN_AREA");
        let position = error.position.expect("a value error has a position");
        assert_eq!(
            &text[position - 1..position - 1 + 13],
            "\"666-45-6789\"",
            "points at the value's opening quote"
        );
        assert!(!error.message.contains("6789"), "{}", error.message);
    }

    #[test]
    fn broken_json_is_one_error_of_the_whole_case_at_the_stopping_point() {
        let errors = read_case(b"{\"id\": \"MN-1\",").unwrap_err();
        assert_eq!(errors[0].field, "case");
        assert_eq!(errors[0].code.as_str(), "JSON");
        assert!(errors[0].position.is_some());
    }

    #[test]
    fn trailing_bytes_after_the_case_are_refused() {
        let text = format!("{} x", SAMPLE.trim());
        let errors = read_case(text.as_bytes()).unwrap_err();
        assert_eq!(errors[0].code.as_str(), "JSON");
    }

    #[test]
    fn the_committed_sample_is_valid() {
        read_case(SAMPLE.as_bytes()).expect("sample is valid");
    }
}
