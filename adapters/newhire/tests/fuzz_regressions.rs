//! Regressions from fuzzing and the pathological-input memory check. Each test feeds the
//! exact input and asserts the verdict. (Fuzzing all five targets found no crash; these
//! pin the bounds added after the memory check.)

use ivd_newhire::{Format, RecordOutcome, Rules, read_new_hires, write_new_hires};
use time::macros::date;

fn outcomes(format: Format, input: &[u8]) -> Vec<RecordOutcome> {
    read_new_hires(format, input, &Rules::new(date!(2026 - 03 - 20))).collect()
}

fn only_error(outcomes: &[RecordOutcome]) -> (&str, &str) {
    assert_eq!(outcomes.len(), 1, "one fatal outcome, then the stream ends");
    let e = &outcomes[0].errors[0];
    assert!(outcomes[0].new_hire.is_none());
    (e.code.as_str(), e.message.as_str())
}

fn csv_header() -> Vec<u8> {
    write_new_hires(Format::Csv, Vec::new()).finish().unwrap()
}

/// A 2 MB quoted CSV field was buffered whole (the csv crate grows its record buffer to
/// the row: ~3x the field in memory, 150 MB for a 50 MB field). A row is now bounded.
#[test]
fn an_enormous_csv_field_is_a_record_level_error() {
    let mut input = csv_header();
    input.push(b'"');
    input.resize(input.len() + 2 * 1024 * 1024, b'A');
    input.extend_from_slice(b"\",X\n");
    let out = outcomes(Format::Csv, &input);
    let (code, msg) = only_error(&out);
    assert_eq!(code, "CSV_HEADER");
    assert!(msg.contains("row longer than"), "{msg}");
    assert_eq!(out[0].record, 1);
}

/// The same for an unquoted header field with no newline at all.
#[test]
fn an_enormous_csv_header_is_a_record_level_error() {
    let input = vec![b'A'; 2 * 1024 * 1024];
    let out = outcomes(Format::Csv, &input);
    let (code, msg) = only_error(&out);
    assert_eq!(code, "CSV_HEADER");
    assert!(msg.contains("row longer than"), "{msg}");
}

/// A 2 MB XML text node was read whole into quick-xml's buffer and copied before the
/// 1024-byte text limit applied (~2x the node in memory). Events are now bounded.
#[test]
fn an_enormous_xml_text_node_is_a_record_level_error() {
    let mut input = b"<NewHireReport><Employer><Employee><SSN>".to_vec();
    input.resize(input.len() + 2 * 1024 * 1024, b'1');
    input.extend_from_slice(b"</SSN></Employee></Employer></NewHireReport>");
    let out = outcomes(Format::Xml, &input);
    let (code, msg) = only_error(&out);
    assert_eq!(code, "XML_MALFORMED");
    assert!(msg.contains("longer than"), "{msg}");
}

/// Comments and attributes are events too, and a `Transmitter` (skipped) holds any text.
#[test]
fn enormous_comments_attributes_and_skipped_text_are_record_level_errors() {
    for (open, close) in [
        (&b"<NewHireReport><!--"[..], &b"--></NewHireReport>"[..]),
        (b"<NewHireReport a=\"", b"\"></NewHireReport>"),
        (
            b"<NewHireReport><Transmitter>",
            b"</Transmitter></NewHireReport>",
        ),
    ] {
        let mut input = open.to_vec();
        input.resize(input.len() + 2 * 1024 * 1024, b'1');
        input.extend_from_slice(close);
        let out = outcomes(Format::Xml, &input);
        let (code, _) = only_error(&out);
        assert_eq!(code, "XML_MALFORMED");
    }
}

/// Elements nested without end under a `Transmitter` grew the reader's element stack with
/// the file (430 MB for 50 MB of `<a>`). Nesting is now bounded.
#[test]
fn deeply_nested_xml_is_a_record_level_error() {
    let mut input = b"<NewHireReport><Transmitter>".to_vec();
    input.extend_from_slice(&b"<a>".repeat(100_000));
    let out = outcomes(Format::Xml, &input);
    let (code, msg) = only_error(&out);
    assert_eq!(code, "XML_MALFORMED");
    assert!(msg.contains("nested deeper than"), "{msg}");
}

/// Nesting within the bound is still read (and a `Transmitter`'s content ignored).
#[test]
fn moderately_nested_transmitter_content_is_ignored() {
    let sample = include_bytes!("../samples/valid.xml");
    let text = std::str::from_utf8(sample).unwrap();
    let at = text.find("<Employer>").unwrap();
    let deep = format!(
        "{}<Transmitter>{}{}</Transmitter>{}",
        &text[..at],
        "<a>".repeat(50),
        "</a>".repeat(50),
        &text[at..]
    );
    let plain = outcomes(Format::Xml, sample);
    let nested = outcomes(Format::Xml, deep.as_bytes());
    assert!(!plain.is_empty());
    assert_eq!(plain, nested);
}

/// Found by the gateway's bad-input corpus (`tests/corpus/w4/bom-then-records.w4`): a
/// byte-order mark before a W4 or XX file was read as data, so record 1 was refused
/// (`RECORD_ID`) and its last three bytes became a second, `LENGTH`, verdict — although
/// `Format::detect` sniffs such a file as W4 or XX.
#[test]
fn a_byte_order_mark_before_fixed_width_records_is_skipped() {
    for (format, sample) in [
        (Format::W4, &include_bytes!("../samples/valid.w4")[..]),
        (Format::Xx, &include_bytes!("../samples/valid.xx")[..]),
    ] {
        let mut input = b"\xEF\xBB\xBF".to_vec();
        input.extend_from_slice(sample);
        assert_eq!(Format::detect(&input), Some(format));
        let with_bom = outcomes(format, &input);
        let without = outcomes(format, sample);
        assert_eq!(with_bom.len(), without.len(), "{format:?}");
        assert!(with_bom.iter().all(RecordOutcome::is_valid), "{format:?}");
        let hires = |o: &[RecordOutcome]| o.iter().map(|o| o.new_hire.clone()).collect::<Vec<_>>();
        assert_eq!(hires(&with_bom), hires(&without), "{format:?}");
    }
}

/// A byte-order mark anywhere else is data, and refused as such.
#[test]
fn a_byte_order_mark_inside_a_fixed_width_file_is_not_skipped() {
    let sample = include_bytes!("../samples/valid.w4");
    let first_line = sample.iter().position(|b| *b == b'\n').unwrap() + 1;
    let mut input = sample[..first_line].to_vec();
    input.extend_from_slice(b"\xEF\xBB\xBF");
    input.extend_from_slice(&sample[first_line..]);
    let out = outcomes(Format::W4, &input);
    assert!(out[0].is_valid());
    assert!(!out[1].is_valid());
}
