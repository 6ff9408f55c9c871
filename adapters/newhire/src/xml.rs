//! XML intake and output per `schemas/new-hire.xsd` (§7 \[P\]).
//!
//! The reader is a streaming pull parser (quick-xml): it holds one employer's and one
//! employee's fields at a time. It **refuses** any DOCTYPE (and so any entity
//! declaration) and any entity reference other than the five predefined ones and
//! character references: no entity expansion, no external resources. One event (tag, text
//! node, comment) may span at most 1 MiB, elements nest at most 64 deep, and an element
//! carries at most 64 attributes (counted, never collected). XML errors carry no byte
//! position; their field name is the element path (`Employee/Address/City`).

use std::io::{BufRead, Write};

use ivd_fixed::FieldError;
use quick_xml::events::{BytesStart, Event};

use crate::codes;
use crate::fields::{self as f, Locate, RawOwned, XML_ADDR, XML_PATHS, addr};
use crate::limit::{Limited, MAX_TOKEN};
use crate::validate::{Dialect, RecordOutcome, Rules, validate};

/// The target namespace of `schemas/new-hire.xsd`.
pub const NAMESPACE: &str = "urn:ivd-gateway:new-hire:1";

/// Longest text accepted in one element (the longest field is 45 characters).
const MAX_TEXT: usize = 1024;

/// Deepest element nesting accepted (the schema's is 5; a `Transmitter` may hold more).
/// Bounds the reader's element stack: without it, memory grows with the nesting.
const MAX_DEPTH: usize = 64;

/// Most attributes accepted on one element. The schema defines none, and the reader reads
/// none, but a tag of a hundred thousand is no new-hire report: it is refused after
/// counting to one past the limit, so an element costs at most that much.
const MAX_ATTRIBUTES: usize = 64;

fn too_many_attributes(e: &BytesStart<'_>) -> bool {
    let mut attributes = e.attributes();
    let attributes = attributes.with_checks(false);
    attributes.take(MAX_ATTRIBUTES + 1).count() > MAX_ATTRIBUTES
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ctx {
    Root,
    Skip,
    Employer,
    Employee,
    /// An address block starting at this logical field.
    Address(usize),
    Leaf(usize),
}

struct XmlLoc;

impl Locate for XmlLoc {
    fn locate(&self, field: usize) -> (&'static str, Option<usize>) {
        (XML_PATHS[field], None)
    }
}

const EMPLOYER_LEAVES: &[(&str, usize)] = &[
    ("FEIN", f::FEIN),
    ("StateEIN", f::SEIN),
    ("Name", f::ER_NAME),
    ("Phone", f::PHONE),
    ("PhoneExtension", f::PHONE_EXT),
    ("Contact", f::CONTACT),
    ("MultistateIndicator", f::MULTISTATE),
];

const EMPLOYEE_LEAVES: &[(&str, usize)] = &[
    ("SSN", f::SSN),
    ("FirstName", f::FIRST),
    ("MiddleName", f::MIDDLE),
    ("LastName", f::LAST),
    ("DateOfBirth", f::DOB),
    ("DateOfHire", f::DOH),
    ("StateOfHire", f::STATE_OF_HIRE),
    ("MedicalInsuranceAvailable", f::MEDICAL),
    ("Salary", f::SALARY),
    ("SalaryFrequency", f::SALARY_FREQ),
];

fn is_employee_field(i: usize) -> bool {
    i < f::FEIN || i == f::MEDICAL || i == f::SALARY || i == f::SALARY_FREQ
}

pub(crate) struct XmlSource<R> {
    /// The input bounded per event (see [`crate::limit`]): one huge text node, comment or
    /// tag is an error, not a buffer the size of the file.
    reader: quick_xml::Reader<Limited<R>>,
    buf: Vec<u8>,
    vals: RawOwned,
    stack: Vec<Ctx>,
    seen_root: bool,
    next: u64,
    done: bool,
}

fn fatal_err(code: ivd_fixed::ErrorCode, msg: impl Into<String>) -> FieldError {
    FieldError::record_level(code, msg)
}

impl<R: BufRead> XmlSource<R> {
    pub(crate) fn new(input: R) -> Self {
        let mut reader = quick_xml::Reader::from_reader(Limited::new(input, MAX_TOKEN));
        let cfg = reader.config_mut();
        cfg.trim_text(false);
        cfg.check_end_names = true;
        Self {
            reader,
            buf: Vec::new(),
            vals: RawOwned::new(),
            stack: Vec::new(),
            seen_root: false,
            next: 1,
            done: false,
        }
    }

    fn fatal(&mut self, e: FieldError) -> Option<RecordOutcome> {
        self.done = true;
        Some(RecordOutcome::failed(self.next, e))
    }

    /// The context a child element `name` opens under the current one.
    fn child(&mut self, name: &[u8]) -> Result<Ctx, FieldError> {
        let top = self.stack.last().copied();
        let pick = |table: &[(&str, usize)]| {
            table
                .iter()
                .find(|(n, _)| n.as_bytes() == name)
                .map(|&(_, i)| Ctx::Leaf(i))
        };
        let ctx = match top {
            None if name == b"NewHireReport" && !self.seen_root => {
                self.seen_root = true;
                Some(Ctx::Root)
            }
            None => None,
            Some(Ctx::Root) => match name {
                b"Transmitter" => Some(Ctx::Skip),
                b"Employer" => {
                    for i in (0..f::N).filter(|&i| !is_employee_field(i)) {
                        self.vals.v[i].clear();
                    }
                    Some(Ctx::Employer)
                }
                _ => None,
            },
            Some(Ctx::Skip) => Some(Ctx::Skip),
            Some(Ctx::Employer) => match name {
                b"Employee" => {
                    for i in (0..f::N).filter(|&i| is_employee_field(i)) {
                        self.vals.v[i].clear();
                    }
                    Some(Ctx::Employee)
                }
                b"Address" => Some(Ctx::Address(f::ER_ADDR)),
                b"OptionalAddress" => Some(Ctx::Address(f::OPT_ADDR)),
                _ => pick(EMPLOYER_LEAVES),
            },
            Some(Ctx::Employee) => match name {
                b"Address" => Some(Ctx::Address(f::EMP_ADDR)),
                _ => pick(EMPLOYEE_LEAVES),
            },
            Some(Ctx::Address(base)) => XML_ADDR
                .iter()
                .position(|n| n.as_bytes() == name)
                .map(|o| Ctx::Leaf(base + o)),
            Some(Ctx::Leaf(_)) => None,
        };
        ctx.ok_or_else(|| {
            let shown: String = String::from_utf8_lossy(name).chars().take(40).collect();
            let within = match top {
                None => "the document",
                Some(Ctx::Root) => "NewHireReport",
                Some(Ctx::Employer) => "Employer",
                Some(Ctx::Employee) => "Employee",
                Some(Ctx::Address(_)) => "an address",
                Some(Ctx::Leaf(_)) => "a text element",
                Some(Ctx::Skip) => "Transmitter",
            };
            fatal_err(
                codes::XML_MALFORMED,
                format!("unexpected element <{shown}> in {within}"),
            )
        })
    }

    fn push_text(&mut self, s: &str) -> Result<(), FieldError> {
        match self.stack.last() {
            Some(Ctx::Leaf(i)) => {
                let v = &mut self.vals.v[*i];
                if v.len() + s.len() > MAX_TEXT {
                    return Err(fatal_err(
                        codes::XML_MALFORMED,
                        format!("element text longer than {MAX_TEXT} bytes"),
                    ));
                }
                v.push_str(s);
                Ok(())
            }
            Some(Ctx::Skip) => Ok(()),
            _ if s.trim().is_empty() => Ok(()),
            _ => Err(fatal_err(
                codes::XML_MALFORMED,
                "text outside a text element",
            )),
        }
    }

    /// Closes the current element; `Some` when it completes an employee.
    fn close(&mut self, rules: &Rules) -> Option<RecordOutcome> {
        let ctx = self.stack.pop()?;
        if ctx != Ctx::Employee {
            return None;
        }
        let number = self.next;
        self.next += 1;
        let mut raw = [""; f::N];
        for (slot, v) in raw.iter_mut().zip(&self.vals.v) {
            *slot = v.trim();
        }
        Some(validate(number, &raw, &XmlLoc, Dialect::Text, rules))
    }

    pub(crate) fn next(&mut self, rules: &Rules) -> Option<RecordOutcome> {
        if self.done {
            return None;
        }
        loop {
            self.buf.clear();
            self.reader.get_mut().reset();
            let event = match self.reader.read_event_into(&mut self.buf) {
                Ok(ev) => ev.into_owned(),
                Err(e) => {
                    let kind = match e {
                        quick_xml::Error::Io(_) if self.reader.get_ref().tripped() => {
                            let m = format!(
                                "an XML text, comment or tag longer than {MAX_TOKEN} bytes"
                            );
                            return self.fatal(fatal_err(codes::XML_MALFORMED, m));
                        }
                        quick_xml::Error::Io(ref io) => {
                            let m = format!("reading the input failed: {}", io.kind());
                            return self.fatal(fatal_err(codes::IO_ERROR, m));
                        }
                        quick_xml::Error::Syntax(_) => "syntax error",
                        quick_xml::Error::IllFormed(_) => "ill-formed document",
                        quick_xml::Error::Encoding(_) => "not valid UTF-8",
                        quick_xml::Error::Escape(_) => "bad character or entity reference",
                        _ => "not well-formed",
                    };
                    let pos = self.reader.error_position();
                    return self.fatal(fatal_err(
                        codes::XML_MALFORMED,
                        format!("XML {kind} at byte {pos}"),
                    ));
                }
            };
            let result: Result<Option<RecordOutcome>, FieldError> = match event {
                Event::DocType(_) => Err(fatal_err(
                    codes::XML_DOCTYPE,
                    "a DOCTYPE (and so any entity declaration) is refused",
                )),
                Event::Start(_) if self.stack.len() >= MAX_DEPTH => Err(fatal_err(
                    codes::XML_MALFORMED,
                    format!("elements nested deeper than {MAX_DEPTH}"),
                )),
                Event::Start(ref e) | Event::Empty(ref e) if too_many_attributes(e) => {
                    Err(fatal_err(
                        codes::XML_MALFORMED,
                        format!("an element with more than {MAX_ATTRIBUTES} attributes"),
                    ))
                }
                Event::Start(e) => self.child(e.local_name().as_ref()).map(|c| {
                    self.stack.push(c);
                    None
                }),
                Event::Empty(e) => self.child(e.local_name().as_ref()).map(|c| {
                    self.stack.push(c);
                    self.close(rules)
                }),
                Event::End(_) => Ok(self.close(rules)),
                Event::Text(t) => match t.decode() {
                    Ok(s) => self.push_text(&s).map(|()| None),
                    Err(_) => Err(fatal_err(codes::XML_MALFORMED, "text is not valid UTF-8")),
                },
                Event::CData(t) => match t.decode() {
                    Ok(s) => self.push_text(&s).map(|()| None),
                    Err(_) => Err(fatal_err(codes::XML_MALFORMED, "text is not valid UTF-8")),
                },
                Event::GeneralRef(r) => {
                    let resolved = match r.resolve_char_ref() {
                        Ok(Some(c)) => Some(c),
                        Ok(None) => match r.as_ref() {
                            b"lt" => Some('<'),
                            b"gt" => Some('>'),
                            b"amp" => Some('&'),
                            b"apos" => Some('\''),
                            b"quot" => Some('"'),
                            _ => None,
                        },
                        Err(_) => None,
                    };
                    match resolved {
                        Some(c) => {
                            let mut tmp = [0u8; 4];
                            self.push_text(c.encode_utf8(&mut tmp)).map(|()| None)
                        }
                        None => Err(fatal_err(
                            codes::XML_DOCTYPE,
                            "an entity reference other than the predefined ones is refused",
                        )),
                    }
                }
                Event::Eof => {
                    self.done = true;
                    if !self.seen_root {
                        return self.fatal(fatal_err(
                            codes::XML_MALFORMED,
                            "no NewHireReport root element",
                        ));
                    }
                    if !self.stack.is_empty() {
                        return self.fatal(fatal_err(
                            codes::XML_MALFORMED,
                            "the document ends inside an element",
                        ));
                    }
                    return None;
                }
                Event::Decl(_) | Event::PI(_) | Event::Comment(_) => Ok(None),
            };
            match result {
                Ok(Some(out)) => return Some(out),
                Ok(None) => {}
                Err(e) => return self.fatal(e),
            }
        }
    }
}

/// Streaming XML writer state: consecutive reports of the same employer share one
/// `Employer` element.
pub(crate) struct XmlOut {
    employer: Option<Vec<String>>,
    started: bool,
}

fn esc(s: &str) -> std::borrow::Cow<'_, str> {
    quick_xml::escape::escape(s)
}

fn leaf<W: Write>(
    out: &mut W,
    indent: &str,
    name: &str,
    v: &str,
    required: bool,
) -> std::io::Result<()> {
    if v.is_empty() && !required {
        return Ok(());
    }
    writeln!(out, "{indent}<{name}>{}</{name}>", esc(v))
}

fn iso(v: &str) -> std::borrow::Cow<'_, str> {
    if v.len() == 8 && v.is_ascii() {
        format!("{}-{}-{}", &v[..4], &v[4..6], &v[6..]).into()
    } else {
        v.into()
    }
}

/// Cents (digits) as `1234.56`.
pub(crate) fn decimal(cents: &str) -> String {
    match cents.parse::<u64>() {
        Ok(c) => format!("{}.{:02}", c / 100, c % 100),
        Err(_) => cents.to_owned(),
    }
}

fn address<W: Write>(
    out: &mut W,
    indent: &str,
    name: &str,
    raw: &RawOwned,
    base: usize,
) -> std::io::Result<()> {
    writeln!(out, "{indent}<{name}>")?;
    let inner = format!("{indent}  ");
    for (o, el) in XML_ADDR.iter().enumerate() {
        let required = o == addr::LINE1 || o == addr::CITY;
        leaf(out, &inner, el, &raw.v[base + o], required)?;
    }
    writeln!(out, "{indent}</{name}>")
}

const EMPLOYER_RANGE: std::ops::Range<usize> = f::FEIN..f::MEDICAL;

impl XmlOut {
    pub(crate) fn new() -> Self {
        Self {
            employer: None,
            started: false,
        }
    }

    fn start<W: Write>(&mut self, out: &mut W) -> std::io::Result<()> {
        if !self.started {
            self.started = true;
            writeln!(out, r#"<?xml version="1.0" encoding="UTF-8"?>"#)?;
            writeln!(out, r#"<NewHireReport xmlns="{NAMESPACE}">"#)?;
        }
        Ok(())
    }

    pub(crate) fn push<W: Write>(&mut self, out: &mut W, raw: &RawOwned) -> std::io::Result<()> {
        self.start(out)?;
        let same = self
            .employer
            .as_ref()
            .is_some_and(|e| e[..] == raw.v[EMPLOYER_RANGE]);
        if !same {
            if self.employer.is_some() {
                writeln!(out, "  </Employer>")?;
            }
            self.employer = Some(raw.v[EMPLOYER_RANGE].to_vec());
            let i = "    ";
            writeln!(out, "  <Employer>")?;
            leaf(out, i, "FEIN", &raw.v[f::FEIN], true)?;
            leaf(out, i, "StateEIN", &raw.v[f::SEIN], false)?;
            leaf(out, i, "Name", &raw.v[f::ER_NAME], true)?;
            address(out, i, "Address", raw, f::ER_ADDR)?;
            if (0..addr::LEN).any(|o| !raw.v[f::OPT_ADDR + o].is_empty()) {
                address(out, i, "OptionalAddress", raw, f::OPT_ADDR)?;
            }
            leaf(out, i, "Phone", &raw.v[f::PHONE], false)?;
            leaf(out, i, "PhoneExtension", &raw.v[f::PHONE_EXT], false)?;
            leaf(out, i, "Contact", &raw.v[f::CONTACT], false)?;
            leaf(out, i, "MultistateIndicator", &raw.v[f::MULTISTATE], false)?;
        }
        let i = "      ";
        writeln!(out, "    <Employee>")?;
        leaf(out, i, "SSN", &raw.v[f::SSN], true)?;
        leaf(out, i, "FirstName", &raw.v[f::FIRST], false)?;
        leaf(out, i, "MiddleName", &raw.v[f::MIDDLE], false)?;
        leaf(out, i, "LastName", &raw.v[f::LAST], false)?;
        address(out, i, "Address", raw, f::EMP_ADDR)?;
        leaf(out, i, "DateOfBirth", &iso(&raw.v[f::DOB]), false)?;
        leaf(out, i, "DateOfHire", &iso(&raw.v[f::DOH]), true)?;
        leaf(out, i, "StateOfHire", &raw.v[f::STATE_OF_HIRE], false)?;
        leaf(
            out,
            i,
            "MedicalInsuranceAvailable",
            &raw.v[f::MEDICAL],
            false,
        )?;
        if !raw.v[f::SALARY].is_empty() {
            leaf(out, i, "Salary", &decimal(&raw.v[f::SALARY]), false)?;
        }
        leaf(out, i, "SalaryFrequency", &raw.v[f::SALARY_FREQ], false)?;
        writeln!(out, "    </Employee>")
    }

    pub(crate) fn finish<W: Write>(&mut self, out: &mut W) -> std::io::Result<()> {
        self.start(out)?;
        if self.employer.take().is_some() {
            writeln!(out, "  </Employer>")?;
        }
        writeln!(out, "</NewHireReport>")
    }
}
