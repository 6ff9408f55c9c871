//! An employer's XML file whose start tag carries a flood of attributes or namespace
//! declarations: the records before it get their verdicts, the flood is refused with a
//! record-level error, and nothing after it is read.

use std::cell::Cell;
use std::io::{BufRead, Read};

use ivd_newhire::{Format, RecordOutcome, Rules, read_new_hires};
use time::macros::date;

const SAMPLE: &str = include_str!("../samples/valid.xml");

/// A `BufRead` over bytes that counts what the reader consumed: the part of the file it
/// actually looked at.
struct Counting<'a> {
    rest: &'a [u8],
    consumed: &'a Cell<usize>,
}

impl Read for Counting<'_> {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        let n = self.rest.read(out)?;
        self.consumed.set(self.consumed.get() + n);
        Ok(n)
    }
}

impl BufRead for Counting<'_> {
    fn fill_buf(&mut self) -> std::io::Result<&[u8]> {
        Ok(self.rest)
    }

    fn consume(&mut self, amt: usize) {
        self.rest = &self.rest[amt..];
        self.consumed.set(self.consumed.get() + amt);
    }
}

/// Reads `input`, returning the outcomes and how many bytes were consumed.
fn read_counting(input: &[u8]) -> (Vec<RecordOutcome>, usize) {
    let consumed = Cell::new(0);
    let source = Counting {
        rest: input,
        consumed: &consumed,
    };
    let outcomes =
        read_new_hires(Format::Xml, source, &Rules::new(date!(2026 - 03 - 20))).collect();
    (outcomes, consumed.get())
}

/// The sample with `attributes` on its second `<Employee>` start tag; also returns where
/// that tag starts and ends.
fn second_employee_with(attributes: &str) -> (Vec<u8>, usize, usize) {
    let first = SAMPLE.find("<Employee>").expect("an employee");
    let second = first + 1 + SAMPLE[first + 1..].find("<Employee>").expect("two");
    let tag = format!("<Employee{attributes}>");
    let doc = format!(
        "{}{tag}{}",
        &SAMPLE[..second],
        &SAMPLE[second + "<Employee>".len()..]
    );
    (doc.into_bytes(), second, second + tag.len())
}

fn sample_outcomes() -> Vec<RecordOutcome> {
    read_counting(SAMPLE.as_bytes()).0
}

#[test]
fn a_start_tag_with_a_hundred_thousand_attributes_is_refused_and_nothing_after_it_is_read() {
    let flood: String = (0..100_000).map(|i| format!(" a{i}=\"\"")).collect();
    let (input, _, tag_end) = second_employee_with(&flood);

    let (outcomes, consumed) = read_counting(&input);

    assert_eq!(
        outcomes.len(),
        2,
        "record 1, then the refusal; the stream ends"
    );
    assert_eq!(
        outcomes[0],
        sample_outcomes()[0],
        "the record before is read"
    );
    let refused = &outcomes[1];
    assert_eq!(refused.record, 2);
    assert!(refused.new_hire.is_none());
    assert_eq!(refused.errors.len(), 1);
    assert_eq!(refused.errors[0].code.as_str(), "XML_MALFORMED");
    assert_eq!(
        refused.errors[0].message,
        "an element with more than 64 attributes"
    );
    assert!(
        consumed <= tag_end,
        "read {consumed} bytes; the flood ends at {tag_end} of {}",
        input.len()
    );
}

#[test]
fn a_start_tag_with_a_hundred_thousand_namespace_declarations_is_refused() {
    // 2.6 MB in one tag: past the 1 MiB bound on one XML event before any attribute is
    // looked at.
    let flood: String = (0..100_000)
        .map(|i| format!(" xmlns:p{i}=\"urn:example:{i}\""))
        .collect();
    let (input, tag_start, _) = second_employee_with(&flood);

    let (outcomes, consumed) = read_counting(&input);

    assert_eq!(
        outcomes.len(),
        2,
        "record 1, then the refusal; the stream ends"
    );
    let refused = &outcomes[1];
    assert_eq!(refused.record, 2);
    assert_eq!(refused.errors[0].code.as_str(), "XML_MALFORMED");
    assert_eq!(
        refused.errors[0].message,
        "an XML text, comment or tag longer than 1048576 bytes"
    );
    // The bound counts from the tag's name: its `<` was read with the event before.
    assert!(
        consumed <= tag_start + 1 + (1 << 20),
        "read {consumed} bytes of {}",
        input.len()
    );
}

#[test]
fn a_start_tag_with_64_attributes_is_read_and_65_are_refused() {
    let attributes: String = (0..64).map(|i| format!(" a{i}=\"\"")).collect();
    let (input, _, _) = second_employee_with(&attributes);
    assert_eq!(read_counting(&input).0, sample_outcomes());

    let (input, _, _) = second_employee_with(&format!("{attributes} a64=\"\""));
    let outcomes = read_counting(&input).0;
    assert_eq!(outcomes.len(), 2);
    assert_eq!(
        outcomes[1].errors[0].message,
        "an element with more than 64 attributes"
    );
}
