//! XML → message, in two steps.
//!
//! 1. [`tree`]: a namespace-aware pull parser (quick-xml) reads the bounded input into a
//!    small element tree. It refuses a DOCTYPE (and so any entity declaration) and any
//!    entity reference other than `&lt; &gt; &amp; &apos; &quot;` and character references:
//!    nothing is ever expanded or fetched. The input size, nesting depth, element count,
//!    text length and attributes per element are bounded, so memory is bounded whatever
//!    arrives. Errors here are fatal: the document is not well-formed XML we are willing
//!    to read.
//!
//!    Attributes are counted, never collected (the schema defines none). quick-xml binds
//!    a start tag's namespace declarations before it hands us the tag; its limit is set to
//!    ours, so a tag declaring thousands is refused at the 65th, and a tag with thousands
//!    of plain attributes costs quick-xml one linear pass and us 65 looks.
//! 2. [`message`]: the tree is checked element by element against the schema's rules and
//!    the model's value types, collecting every error with its element path. Element
//!    *order* is the schema's business (xmllint); this reader accepts any order.
//!
//! Both steps are linear in the number of elements: a repeatable child's index
//! (`Participant[49990]`) comes from a running count kept on its open parent, and the
//! once-only check keeps a bit per allowed name, so no element looks back over its
//! siblings. (When each did, 49,990 `<Participant/>` in 700 KB cost 1.2 billion sibling
//! looks, 3.6 s.) Each element's check looks up a fixed handful of names among its
//! children, so the work is at most a small multiple of the element count; the tests
//! count it.

use ivd_fixed::ErrorCode;
use quick_xml::events::Event;
use quick_xml::name::{NamespaceError, ResolveResult};

use crate::codes::*;
use crate::{NAMESPACE, ValidationError};

mod message;

pub(crate) use message::message;

/// Largest document accepted, in bytes.
pub const MAX_DOCUMENT: usize = 4 * 1024 * 1024;
/// Deepest element nesting accepted (the schema's is 8).
pub const MAX_DEPTH: usize = 16;
/// Most elements accepted in one document.
pub const MAX_ELEMENTS: usize = 50_000;
/// Longest text accepted in one element, in bytes.
pub const MAX_TEXT: usize = 1024;
/// Most attributes, namespace declarations included, accepted on one element. The schema
/// defines none; a document carries a namespace declaration or two.
pub const MAX_ATTRIBUTES: usize = 64;

/// Elements that may repeat; their paths carry a 1-based index (`Participant[2]`).
const REPEATABLE: &[&str] = &[
    "Participant",
    "Address",
    "AddressDeliveryPointText",
    "ContactTelephoneNumber",
    "ContactEmailID",
    "Employer",
    "SupportOrder",
    "Obligation",
    "Arrears",
    "Collection",
];

/// One element: its path, its text (leaves) and its children.
#[derive(Debug)]
pub(crate) struct Node {
    name: String,
    path: String,
    text: String,
    children: Vec<Node>,
}

fn fatal(code: ErrorCode, message: impl Into<String>) -> ValidationError {
    ValidationError::new("document", code, message)
}

fn too_many_attributes() -> ValidationError {
    fatal(
        XML_MALFORMED,
        format!(
            "an element with more than {MAX_ATTRIBUTES} attributes (namespace declarations included)"
        ),
    )
}

fn push_text(open: Option<&mut Open>, s: &str) -> Result<(), ValidationError> {
    match open {
        Some(Open { node: n, .. }) => {
            if n.text.len() + s.len() > MAX_TEXT {
                return Err(ValidationError::new(
                    n.path.clone(),
                    XML_MALFORMED,
                    format!("element text longer than {MAX_TEXT} bytes"),
                ));
            }
            n.text.push_str(s);
            Ok(())
        }
        None if s.trim().is_empty() => Ok(()),
        None => Err(fatal(XML_MALFORMED, "text outside the root element")),
    }
}

/// An element still being read: its node, and how many children of each repeatable name
/// it has so far, so that the next one's index (`Participant[49990]`) is known without
/// counting its siblings again.
struct Open {
    node: Node,
    repeats: [usize; REPEATABLE.len()],
}

/// Reads the document into a tree (step 1).
pub(crate) fn tree(bytes: &[u8]) -> Result<Node, ValidationError> {
    if bytes.len() > MAX_DOCUMENT {
        return Err(fatal(
            XML_MALFORMED,
            format!("document larger than {MAX_DOCUMENT} bytes"),
        ));
    }
    let mut reader = quick_xml::NsReader::from_reader(bytes);
    let cfg = reader.config_mut();
    cfg.trim_text(false);
    cfg.check_end_names = true;
    // The reader binds a start tag's namespace declarations before it hands us the tag:
    // capped here, a tag declaring thousands is refused at the first one past the limit.
    reader
        .resolver_mut()
        .set_max_declarations_per_element(MAX_ATTRIBUTES);
    let mut buf = Vec::new();
    let mut stack: Vec<Open> = Vec::new();
    let mut root: Option<Node> = None;
    let mut elements = 0usize;
    loop {
        buf.clear();
        let (ns, event) = match reader.read_resolved_event_into(&mut buf) {
            Ok((ns, ev)) => (ns, ev),
            Err(quick_xml::Error::Namespace(NamespaceError::TooManyDeclarations(_))) => {
                return Err(too_many_attributes());
            }
            Err(e) => {
                let kind = match e {
                    quick_xml::Error::Syntax(_) => "syntax error",
                    quick_xml::Error::IllFormed(_) => "ill-formed document",
                    quick_xml::Error::Encoding(_) => "not valid UTF-8",
                    quick_xml::Error::Escape(_) => "bad character or entity reference",
                    quick_xml::Error::Namespace(_) => "undeclared or bad namespace prefix",
                    _ => "not well-formed",
                };
                let pos = reader.error_position();
                return Err(fatal(XML_MALFORMED, format!("XML {kind} at byte {pos}")));
            }
        };
        let in_ns = matches!(ns, ResolveResult::Bound(n) if n.as_ref() == NAMESPACE.as_bytes());
        let (start, empty) = match &event {
            Event::Start(e) => (Some(e), false),
            Event::Empty(e) => (Some(e), true),
            _ => (None, false),
        };
        if let Some(tag) = start {
            // Counted, never collected: at most one past the limit is looked at.
            let mut attributes = tag.attributes();
            let attributes = attributes.with_checks(false);
            if attributes
                .take(MAX_ATTRIBUTES + 1)
                .inspect(|_| step())
                .count()
                > MAX_ATTRIBUTES
            {
                return Err(too_many_attributes());
            }
            let raw = tag.local_name().as_ref().to_vec();
            elements += 1;
            if elements > MAX_ELEMENTS {
                return Err(fatal(
                    XML_MALFORMED,
                    format!("more than {MAX_ELEMENTS} elements"),
                ));
            }
            if stack.len() >= MAX_DEPTH {
                return Err(fatal(
                    XML_MALFORMED,
                    format!("elements nested deeper than {MAX_DEPTH}"),
                ));
            }
            let name = String::from_utf8(raw)
                .map_err(|_| fatal(XML_MALFORMED, "element name is not valid UTF-8"))?;
            let path = match stack.last_mut() {
                None => {
                    if root.is_some() {
                        return Err(fatal(XML_MALFORMED, "more than one root element"));
                    }
                    if name != "TribalExchange" || !in_ns {
                        return Err(fatal(
                            WRONG_ROOT,
                            format!(
                                "the root element must be TribalExchange in namespace {NAMESPACE}"
                            ),
                        ));
                    }
                    name.clone()
                }
                Some(parent) => {
                    let shown = match REPEATABLE.iter().position(|r| *r == name) {
                        Some(k) => {
                            parent.repeats[k] += 1;
                            format!("{name}[{}]", parent.repeats[k])
                        }
                        None => name.clone(),
                    };
                    let path = format!("{}/{shown}", parent.node.path);
                    if !in_ns {
                        return Err(ValidationError::new(
                            path,
                            UNKNOWN_ELEMENT,
                            format!("element not in namespace {NAMESPACE}"),
                        ));
                    }
                    path
                }
            };
            stack.push(Open {
                node: Node {
                    name,
                    path,
                    text: String::new(),
                    children: Vec::new(),
                },
                repeats: [0; REPEATABLE.len()],
            });
            if !empty {
                continue;
            }
        }
        match event {
            Event::Start(_) => {}
            Event::Empty(_) | Event::End(_) => {
                let Some(Open { node: done, .. }) = stack.pop() else {
                    return Err(fatal(XML_MALFORMED, "unbalanced end tag"));
                };
                match stack.last_mut() {
                    Some(parent) => parent.node.children.push(done),
                    None => root = Some(done),
                }
            }
            Event::DocType(_) => {
                return Err(fatal(
                    XML_DOCTYPE,
                    "a DOCTYPE (and so any entity declaration) is refused",
                ));
            }
            Event::Text(t) => {
                let s = t
                    .decode()
                    .map_err(|_| fatal(XML_MALFORMED, "text is not valid UTF-8"))?;
                push_text(stack.last_mut(), &s)?;
            }
            Event::CData(t) => {
                let s = t
                    .decode()
                    .map_err(|_| fatal(XML_MALFORMED, "text is not valid UTF-8"))?;
                push_text(stack.last_mut(), &s)?;
            }
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
                let Some(c) = resolved else {
                    return Err(fatal(
                        XML_DOCTYPE,
                        "an entity reference other than the predefined ones is refused",
                    ));
                };
                let mut tmp = [0u8; 4];
                push_text(stack.last_mut(), c.encode_utf8(&mut tmp))?;
            }
            Event::Eof => break,
            Event::Decl(_) | Event::PI(_) | Event::Comment(_) => {}
        }
    }
    if !stack.is_empty() {
        return Err(fatal(XML_MALFORMED, "the document ends inside an element"));
    }
    root.ok_or_else(|| fatal(WRONG_ROOT, "no TribalExchange root element"))
}

#[cfg(test)]
thread_local! {
    /// Children and attributes looked at on this thread, while building the tree or
    /// checking it: the tests' measure of the reader's work.
    static STEPS: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
}

#[inline]
fn step() {
    #[cfg(test)]
    STEPS.with(|v| v.set(v.get() + 1));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::TribalMessage;

    const REQUEST: &str = include_str!("../samples/csi-request.xml");

    /// Runs `f` and counts the children and attributes the reader looked at meanwhile.
    fn counting<T>(f: impl FnOnce() -> T) -> (T, u64) {
        STEPS.with(|v| v.set(0));
        let out = f();
        (out, STEPS.with(|v| v.get()))
    }

    /// The sample request with `extra` appended to its case's children.
    fn request_with(extra: &str) -> Vec<u8> {
        let doc = REQUEST.replacen("    </Case>", &format!("{extra}    </Case>"), 1);
        assert_ne!(doc, REQUEST, "the sample has a case");
        doc.into_bytes()
    }

    /// How many more elements fit in a document beside the sample's own.
    fn room() -> usize {
        let sample = REQUEST.as_bytes().windows(2);
        let own = sample
            .filter(|w| w[0] == b'<' && w[1].is_ascii_alphabetic())
            .count();
        MAX_ELEMENTS - own
    }

    #[test]
    fn a_case_padded_with_empty_participants_up_to_the_element_limit_is_read_in_linear_work() {
        // The attack of issue 26: 49,9xx `<Participant/>` in 700 KB took 3.6 s because
        // each one counted its same-named siblings again.
        let n = room();
        assert!(n > 49_900);
        let doc = request_with(&"<Participant/>".repeat(n));

        let (result, steps) = counting(|| crate::read_message(&doc));

        let errors = result.expect_err("empty participants are not a case");
        let last = format!(
            "TribalExchange/Request/Case/Participant[{}]/ParticipantRoleCode",
            n + 2
        );
        assert!(
            errors.iter().any(|e| e.path == last && e.code == REQUIRED),
            "the last participant is named by its index"
        );
        let n = n as u64;
        assert!(steps >= n, "every participant was looked at");
        assert!(
            steps <= 20 * n,
            "{steps} steps for {n} participants: more than 20 each"
        );
    }

    #[test]
    fn an_element_repeated_after_many_siblings_is_reported_in_linear_work() {
        // The once-only check looked back over every earlier sibling for each repeat.
        let half = room() / 2;
        let doc = request_with(&format!(
            "{}{}",
            "<Participant/>".repeat(half),
            "<CountyFIPSCode>2700100</CountyFIPSCode>".repeat(half)
        ));

        let (result, steps) = counting(|| crate::read_message(&doc));

        let errors = result.expect_err("a repeated county is refused");
        let repeats = errors
            .iter()
            .filter(|e| {
                e.path == "TribalExchange/Request/Case/CountyFIPSCode" && e.code == REPEATED
            })
            .count();
        assert_eq!(repeats, half - 1, "every repeat after the first is named");
        let n = 2 * half as u64;
        assert!(
            steps <= 20 * n,
            "{steps} steps for {n} children of the case: more than 20 each"
        );
    }

    /// The sample request with `attributes` on its root element, beside its namespace
    /// declaration.
    fn request_with_root_attributes(attributes: &str) -> Vec<u8> {
        let root = "<TribalExchange xmlns=";
        assert!(REQUEST.contains(root));
        REQUEST
            .replacen(root, &format!("<TribalExchange{attributes} xmlns="), 1)
            .into_bytes()
    }

    fn refused_for_its_attributes(result: Result<TribalMessage, Vec<ValidationError>>) {
        let errors = result.expect_err("refused");
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert_eq!(errors[0].code, XML_MALFORMED);
        assert_eq!(errors[0].path, "document");
        assert_eq!(
            errors[0].message,
            "an element with more than 64 attributes (namespace declarations included)"
        );
    }

    #[test]
    fn a_start_tag_with_a_hundred_thousand_attributes_is_refused_after_looking_at_65() {
        let flood: String = (0..100_000).map(|i| format!(" a{i}=\"\"")).collect();
        let doc = request_with_root_attributes(&flood);

        let (result, steps) = counting(|| crate::read_message(&doc));

        refused_for_its_attributes(result);
        assert!(steps <= 65, "{steps} steps");
    }

    #[test]
    fn a_start_tag_with_a_hundred_thousand_namespace_declarations_is_refused() {
        // quick-xml binds declarations before the tag reaches us (RUSTSEC-2026-0195: with
        // no bound, ~3x the tag in memory); it stops at the 65th.
        let flood: String = (0..100_000)
            .map(|i| format!(" xmlns:p{i}=\"urn:example:{i}\""))
            .collect();
        let doc = request_with_root_attributes(&flood);
        assert!(doc.len() < MAX_DOCUMENT);

        let (result, steps) = counting(|| crate::read_message(&doc));

        refused_for_its_attributes(result);
        assert!(steps <= 65, "{steps} steps");
    }

    #[test]
    fn a_start_tag_with_64_attributes_is_read() {
        // The root's own namespace declaration is the 64th.
        let attributes: String = (0..63).map(|i| format!(" a{i}=\"\"")).collect();
        let doc = request_with_root_attributes(&attributes);
        let message = crate::read_message(&doc).expect("64 attributes are within the limit");
        assert_eq!(
            message,
            crate::read_message(REQUEST.as_bytes()).expect("the sample is valid")
        );
        let one_more = request_with_root_attributes(&format!("{attributes} a63=\"\""));
        refused_for_its_attributes(crate::read_message(&one_more));
    }
}
