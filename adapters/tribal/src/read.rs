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
use ivd_model::{
    Address, AddressKind, AddressScope, ArrearsType, BirthDate, Case, CaseId, CaseStatus, CaseType,
    Collection, CollectionId, CollectionType, ContactPhone, CountryCode, Email, Employer,
    FamilyViolenceIndicator, Fein, Fips, Frequency, FviCode, FviSource, IntergovernmentalRole,
    Jurisdiction, JurisdictionKind, Money, ObligationType, OrderId, Participant, ParticipantRole,
    Person, PersonId, PersonName, PersonalText, Phone, Sex, Ssn, StateCode, SupportOrder,
    TribeCode, ZipCode,
};
use ivd_model::{Arrears, Obligation};
use quick_xml::events::Event;
use quick_xml::name::{NamespaceError, ResolveResult};
use time::{Date, OffsetDateTime};

use crate::codes::*;
use crate::{Function, MessageKind, NAMESPACE, Party, PartyKind, TribalMessage, ValidationError};

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

/// Collects errors while walking the tree (step 2).
struct Cx {
    errors: Vec<ValidationError>,
}

impl Cx {
    fn err(&mut self, path: &str, code: ErrorCode, message: impl Into<String>) {
        self.errors
            .push(ValidationError::new(path.to_owned(), code, message));
    }

    /// Checks that `n` holds only `allowed` children (non-repeatable ones once) and no
    /// stray text.
    fn allow(&mut self, n: &Node, allowed: &[&str]) {
        if !n.text.trim().is_empty() {
            self.err(&n.path, BAD_VALUE, "text is not allowed in this element");
        }
        // One bit per allowed name already seen: a repeat is found without looking back
        // over the siblings before it.
        debug_assert!(allowed.len() <= 64);
        let mut seen = 0u64;
        for c in siblings(n) {
            match allowed.iter().position(|a| *a == c.name) {
                None => self.err(
                    &c.path,
                    UNKNOWN_ELEMENT,
                    format!("not allowed in {}", n.name),
                ),
                Some(k) if !REPEATABLE.contains(&c.name.as_str()) => {
                    if seen & (1 << k) != 0 {
                        self.err(&c.path, REPEATED, "may appear only once");
                    }
                    seen |= 1 << k;
                }
                Some(_) => {}
            }
        }
    }

    fn text<'a>(&mut self, n: &'a Node) -> Option<&'a str> {
        if let Some(c) = n.children.first() {
            self.err(
                &c.path,
                UNKNOWN_ELEMENT,
                "a text element has no child elements",
            );
            return None;
        }
        Some(&n.text)
    }

    fn required<'a>(&mut self, n: &'a Node, name: &str) -> Option<&'a Node> {
        let found = child(n, name);
        if found.is_none() {
            self.err(
                &format!("{}/{name}", n.path),
                REQUIRED,
                "required element is missing",
            );
        }
        found
    }

    fn value<T, E>(
        &mut self,
        n: &Node,
        what: &str,
        parse: impl FnOnce(&str) -> Result<T, E>,
    ) -> Option<T> {
        let s = self.text(n)?;
        match parse(s) {
            Ok(v) => Some(v),
            Err(_) => {
                self.err(&n.path, BAD_VALUE, format!("not a valid {what}"));
                None
            }
        }
    }

    /// A required leaf's value; `None` (with an error) when missing or bad.
    fn req<T, E>(
        &mut self,
        n: &Node,
        name: &str,
        what: &str,
        parse: impl FnOnce(&str) -> Result<T, E>,
    ) -> Option<T> {
        let c = self.required(n, name)?;
        self.value(c, what, parse)
    }

    /// An optional leaf: `Ok(None)` when absent, `Err(())` when present but bad.
    fn opt<T, E>(
        &mut self,
        n: &Node,
        name: &str,
        what: &str,
        parse: impl FnOnce(&str) -> Result<T, E>,
    ) -> Result<Option<T>, ()> {
        match child(n, name) {
            None => Ok(None),
            Some(c) => self.value(c, what, parse).map(Some).ok_or(()),
        }
    }
}

fn child<'a>(n: &'a Node, name: &str) -> Option<&'a Node> {
    siblings(n).find(|c| c.name == name)
}

fn children<'a>(n: &'a Node, name: &'a str) -> impl Iterator<Item = &'a Node> + 'a {
    siblings(n).filter(move |c| c.name == name)
}

/// Every look at a child goes through here, so the tests can count the reader's work.
fn siblings(n: &Node) -> impl Iterator<Item = &Node> {
    n.children.iter().inspect(|_| step())
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

fn date(s: &str) -> Result<Date, ()> {
    BirthDate::parse(s).map(|d| d.expose()).map_err(|_| ())
}

fn code<T>(from: fn(&str) -> Option<T>) -> impl FnOnce(&str) -> Result<T, ()> {
    move |s| from(s).ok_or(())
}

fn identifier(s: &str) -> Result<String, ()> {
    let ok = (1..=50).contains(&s.len())
        && s.bytes()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'.' | b'_' | b'-'));
    if ok { Ok(s.to_owned()) } else { Err(()) }
}

fn reason(s: &str) -> Result<String, ()> {
    if s.len() == 5 && s.bytes().all(|c| c.is_ascii_uppercase()) {
        Ok(s.to_owned())
    } else {
        Err(())
    }
}

fn boolean(s: &str) -> Result<bool, ()> {
    match s {
        "true" | "1" => Ok(true),
        "false" | "0" => Ok(false),
        _ => Err(()),
    }
}

/// Collects every error of a document into a message (step 2).
pub(crate) fn message(root: &Node) -> Result<TribalMessage, Vec<ValidationError>> {
    let mut cx = Cx { errors: Vec::new() };
    let out = message_in(&mut cx, root);
    match out {
        Some(m) if cx.errors.is_empty() => Ok(m),
        _ => {
            if cx.errors.is_empty() {
                cx.err(&root.path, BAD_VALUE, "the document is not a valid message");
            }
            Err(cx.errors)
        }
    }
}

fn message_in(cx: &mut Cx, root: &Node) -> Option<TribalMessage> {
    cx.allow(root, &["Header", "Request", "Response", "Acknowledgment"]);
    let header = cx.required(root, "Header");
    let bodies: Vec<(&Node, MessageKind)> = siblings(root)
        .filter_map(|c| match c.name.as_str() {
            "Request" => Some((c, MessageKind::Request)),
            "Response" => Some((c, MessageKind::Response)),
            "Acknowledgment" => Some((c, MessageKind::Acknowledgment)),
            _ => None,
        })
        .collect();
    let body = match bodies.as_slice() {
        [one] => Some(*one),
        [] => {
            cx.err(
                &format!("{}/Request", root.path),
                REQUIRED,
                "one of Request, Response, Acknowledgment is required",
            );
            None
        }
        [_, second, ..] => {
            cx.err(
                &second.0.path,
                REPEATED,
                "only one of Request, Response, Acknowledgment",
            );
            None
        }
    };

    let (message_id, sent_at, sender, receiver) = match header {
        Some(h) => {
            cx.allow(h, &["MessageID", "SentDateTime", "Sender", "Receiver"]);
            (
                cx.req(h, "MessageID", "message id", identifier),
                cx.req(h, "SentDateTime", "RFC 3339 date-time with offset", |s| {
                    OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339)
                }),
                party(cx, h, "Sender"),
                party(cx, h, "Receiver"),
            )
        }
        None => (None, None, None, None),
    };
    let (body, kind) = body?;
    cx.allow(
        body,
        &[
            "FunctionCode",
            "ActionCode",
            "ReasonCode",
            "SenderCaseID",
            "ReceiverCaseID",
            "InReplyToMessageID",
            "Case",
        ],
    );
    let function = cx.req(
        body,
        "FunctionCode",
        "function code",
        code(Function::from_code),
    );
    let action = cx.required(body, "ActionCode").and_then(|n| {
        let a = cx.text(n)?;
        if kind.actions().contains(&a) {
            Some(a.to_owned())
        } else if ["R", "U", "C", "M", "P", "A"].contains(&a) {
            cx.err(
                &n.path,
                ACTION_MISMATCH,
                format!("this action code does not fit a {}", kind.element()),
            );
            None
        } else {
            cx.err(&n.path, BAD_VALUE, "not a valid action code");
            None
        }
    });
    let reason_code = cx.opt(body, "ReasonCode", "reason code", reason);
    let sender_case_id = if kind == MessageKind::Acknowledgment {
        cx.opt(body, "SenderCaseID", "case id", identifier)
            .map(Option::unwrap_or_default)
            .ok()
    } else {
        cx.req(body, "SenderCaseID", "case id", identifier)
    };
    let receiver_case_id = cx.opt(body, "ReceiverCaseID", "case id", identifier);
    let in_reply_to = cx.opt(body, "InReplyToMessageID", "message id", identifier);
    let case = match child(body, "Case") {
        None => Ok(None),
        Some(c) => case(cx, c).map(Some).ok_or(()),
    };
    Some(TribalMessage {
        message_id: message_id?,
        sent_at: sent_at?,
        sender: sender?,
        receiver: receiver?,
        kind,
        function: function?,
        action: action?,
        reason: reason_code.ok()?,
        sender_case_id: sender_case_id?,
        receiver_case_id: receiver_case_id.ok()?,
        in_reply_to: in_reply_to.ok()?,
        case: case.ok()?,
    })
}

fn party(cx: &mut Cx, header: &Node, name: &str) -> Option<Party> {
    let n = cx.required(header, name)?;
    cx.allow(n, &["PartyKindCode", "LocatorCode"]);
    let kind = cx.req(
        n,
        "PartyKindCode",
        "party kind (state or tribe)",
        |s| match s {
            "state" => Ok(PartyKind::State),
            "tribe" => Ok(PartyKind::Tribe),
            _ => Err(()),
        },
    );
    let locator_node = cx.required(n, "LocatorCode")?;
    let kind = kind?;
    let what = match kind {
        PartyKind::State => "state FIPS code (7 digits)",
        PartyKind::Tribe => "tribal locator code (5 digits)",
    };
    let locator = cx.value(locator_node, what, |s| {
        let ok = s.len() == kind.locator_len() && s.bytes().all(|c| c.is_ascii_digit());
        let ok = ok && (kind == PartyKind::Tribe || Fips::parse(s).is_ok());
        if ok { Ok(s.to_owned()) } else { Err(()) }
    })?;
    Some(Party { kind, locator })
}

fn jurisdiction(cx: &mut Cx, n: &Node) -> Option<Jurisdiction> {
    cx.allow(n, &["JurisdictionKindCode", "JurisdictionID"]);
    let kind = cx.req(
        n,
        "JurisdictionKindCode",
        "jurisdiction kind code",
        code(JurisdictionKind::from_code),
    );
    let id = cx.required(n, "JurisdictionID")?;
    match kind? {
        JurisdictionKind::State => cx
            .value(id, "FIPS code", Fips::parse)
            .map(|fips| Jurisdiction::State { fips }),
        JurisdictionKind::Tribe => cx
            .value(id, "Tribe code", TribeCode::parse)
            .map(|tribe| Jurisdiction::Tribe { tribe }),
        JurisdictionKind::Country => cx
            .value(id, "country code", CountryCode::parse)
            .map(|country| Jurisdiction::Country { country }),
    }
}

fn case(cx: &mut Cx, n: &Node) -> Option<Case> {
    cx.allow(
        n,
        &[
            "ChildSupportEnforcementIV-DCaseIdentification",
            "CaseCategoryCode",
            "CaseStatusCode",
            "IntergovernmentalRoleCode",
            "PartnerJurisdiction",
            "CountyFIPSCode",
            "TribeCode",
            "NondisclosureFindingIndicator",
            "CaseOpenedDate",
            "Participant",
            "SupportOrder",
            "Collection",
        ],
    );
    let id = cx.req(
        n,
        "ChildSupportEnforcementIV-DCaseIdentification",
        "IV-D case id",
        CaseId::parse,
    );
    let case_type = cx.req(
        n,
        "CaseCategoryCode",
        "case category code",
        code(CaseType::from_code),
    );
    let status = cx.req(
        n,
        "CaseStatusCode",
        "case status code",
        code(CaseStatus::from_code),
    );
    let role = cx.req(
        n,
        "IntergovernmentalRoleCode",
        "intergovernmental role code",
        code(IntergovernmentalRole::from_code),
    );
    let partner = match child(n, "PartnerJurisdiction") {
        None => Ok(None),
        Some(j) => jurisdiction(cx, j).map(Some).ok_or(()),
    };
    let county = cx.opt(n, "CountyFIPSCode", "county FIPS code", Fips::parse);
    let tribe = cx.opt(n, "TribeCode", "Tribe code", TribeCode::parse);
    let nondisclosure = cx.req(n, "NondisclosureFindingIndicator", "boolean", boolean);
    let opened = cx.req(n, "CaseOpenedDate", "date", date);
    let participants: Vec<Option<Participant>> = children(n, "Participant")
        .map(|p| participant(cx, p))
        .collect();
    let orders: Vec<Option<SupportOrder>> = children(n, "SupportOrder")
        .map(|o| support_order(cx, o))
        .collect();
    let collections: Vec<Option<Collection>> = children(n, "Collection")
        .map(|c| collection(cx, c))
        .collect();
    let case = Case {
        id: id?,
        case_type: case_type?,
        status: status?,
        intergovernmental_role: role?,
        partner_jurisdiction: partner.ok()?,
        county: county.ok()?,
        tribe: tribe.ok()?,
        nondisclosure_finding: nondisclosure?,
        participants: participants.into_iter().collect::<Option<_>>()?,
        orders: orders.into_iter().collect::<Option<_>>()?,
        collections: collections.into_iter().collect::<Option<_>>()?,
        opened_on: opened?,
    };
    if let Err(errors) = case.validate() {
        for e in errors {
            cx.err(&n.path, CASE_RULE, e.to_string());
        }
        return None;
    }
    Some(case)
}

fn participant(cx: &mut Cx, n: &Node) -> Option<Participant> {
    cx.allow(
        n,
        &[
            "ParticipantRoleCode",
            "RoleStartDate",
            "RoleEndDate",
            "Person",
        ],
    );
    let role = cx.req(
        n,
        "ParticipantRoleCode",
        "participant role code",
        code(ParticipantRole::from_code),
    );
    let start = cx.opt(n, "RoleStartDate", "date", date);
    let end = cx.opt(n, "RoleEndDate", "date", date);
    let person = cx.required(n, "Person").and_then(|p| person(cx, p));
    Some(Participant {
        role: role?,
        person: person?,
        role_start_on: start.ok()?,
        role_end_on: end.ok()?,
    })
}

fn person(cx: &mut Cx, n: &Node) -> Option<Person> {
    cx.allow(
        n,
        &[
            "PersonID",
            "PersonName",
            "PersonSSNIdentification",
            "PersonBirthDate",
            "PersonSexCode",
            "Address",
            "ContactTelephoneNumber",
            "ContactEmailID",
            "Employer",
            "FamilyViolenceIndicator",
        ],
    );
    let id = cx.req(n, "PersonID", "person id", PersonId::parse);
    let name = cx.required(n, "PersonName").and_then(|pn| {
        cx.allow(
            pn,
            &[
                "PersonGivenName",
                "PersonMiddleName",
                "PersonSurName",
                "PersonNameSuffixText",
            ],
        );
        let first = cx.required(pn, "PersonGivenName").and_then(|x| cx.text(x));
        let middle = child(pn, "PersonMiddleName").map(|x| cx.text(x));
        let last = cx.required(pn, "PersonSurName").and_then(|x| cx.text(x));
        let suffix = child(pn, "PersonNameSuffixText").map(|x| cx.text(x));
        let (first, last) = (first?, last?);
        let middle = middle.map_or(Some(None), |m| m.map(Some))?;
        let suffix = suffix.map_or(Some(None), |m| m.map(Some))?;
        match PersonName::new(first, middle, last, suffix) {
            Ok(name) => Some(name),
            Err(_) => {
                cx.err(&pn.path, BAD_VALUE, "not a valid person name");
                None
            }
        }
    });
    let ssn = cx.opt(n, "PersonSSNIdentification", "SSN", Ssn::parse);
    let dob = cx.opt(n, "PersonBirthDate", "date of birth", BirthDate::parse);
    let sex = cx.opt(n, "PersonSexCode", "sex code", code(Sex::from_code));
    let addresses: Vec<Option<Address>> = children(n, "Address").map(|a| address(cx, a)).collect();
    let phones: Vec<Option<ContactPhone>> = children(n, "ContactTelephoneNumber")
        .map(|p| {
            cx.allow(p, &["TelephoneCategoryCode", "TelephoneNumberFullID"]);
            let kind = cx.req(
                p,
                "TelephoneCategoryCode",
                "telephone category code",
                code(ivd_model::PhoneKind::from_code),
            );
            let number = cx.req(p, "TelephoneNumberFullID", "telephone number", Phone::parse);
            Some(ContactPhone {
                kind: kind?,
                number: number?,
            })
        })
        .collect();
    let emails: Vec<Option<Email>> = children(n, "ContactEmailID")
        .map(|e| cx.value(e, "email address", Email::parse))
        .collect();
    let employers: Vec<Option<Employer>> =
        children(n, "Employer").map(|e| employer(cx, e)).collect();
    let fvi = match child(n, "FamilyViolenceIndicator") {
        None => Ok(None),
        Some(f) => {
            cx.allow(
                f,
                &[
                    "FamilyViolenceCode",
                    "FamilyViolenceSetDate",
                    "FamilyViolenceSourceCode",
                ],
            );
            let c = cx.req(
                f,
                "FamilyViolenceCode",
                "family violence code",
                code(FviCode::from_code),
            );
            let set_on = cx.req(f, "FamilyViolenceSetDate", "date", date);
            let source = cx.req(
                f,
                "FamilyViolenceSourceCode",
                "family violence source code",
                code(FviSource::from_code),
            );
            match (c, set_on, source) {
                (Some(code), Some(set_on), Some(source)) => Ok(Some(FamilyViolenceIndicator {
                    code,
                    set_on,
                    source,
                })),
                _ => Err(()),
            }
        }
    };
    Some(Person {
        person_id: id?,
        name: name?,
        ssn: ssn.ok()?,
        date_of_birth: dob.ok()?,
        sex: sex.ok()?,
        addresses: addresses.into_iter().collect::<Option<_>>()?,
        phones: phones.into_iter().collect::<Option<_>>()?,
        emails: emails.into_iter().collect::<Option<_>>()?,
        employers: employers.into_iter().collect::<Option<_>>()?,
        family_violence: fvi.ok()?,
    })
}

fn address(cx: &mut Cx, n: &Node) -> Option<Address> {
    cx.allow(
        n,
        &[
            "AddressCategoryCode",
            "AddressScopeCode",
            "AddressDeliveryPointText",
            "LocationCityName",
            "LocationStateUSPostalServiceCode",
            "LocationPostalCode",
            "LocationStateName",
            "LocationCountryISO3166Alpha2Code",
            "AddressVerifiedDate",
        ],
    );
    let kind = cx.req(
        n,
        "AddressCategoryCode",
        "address category code",
        code(AddressKind::from_code),
    );
    let scope = cx.req(
        n,
        "AddressScopeCode",
        "address scope code",
        code(AddressScope::from_code),
    );
    let lines: Vec<Option<PersonalText>> = children(n, "AddressDeliveryPointText")
        .map(|l| cx.value(l, "address line", PersonalText::parse))
        .collect();
    let city = cx.req(n, "LocationCityName", "city name", PersonalText::parse);
    let state = cx.opt(
        n,
        "LocationStateUSPostalServiceCode",
        "state code",
        StateCode::parse,
    );
    let zip = cx.opt(n, "LocationPostalCode", "ZIP code", ZipCode::parse);
    let province = cx.opt(n, "LocationStateName", "province name", PersonalText::parse);
    let country = cx.opt(
        n,
        "LocationCountryISO3166Alpha2Code",
        "country code",
        CountryCode::parse,
    );
    let verified = cx.opt(n, "AddressVerifiedDate", "date", date);
    Some(Address {
        kind: kind?,
        scope: scope?,
        lines: lines.into_iter().collect::<Option<_>>()?,
        city: city?,
        state: state.ok()?,
        zip: zip.ok()?,
        province: province.ok()?,
        country: country.ok()?,
        verified_on: verified.ok()?,
    })
}

fn employer(cx: &mut Cx, n: &Node) -> Option<Employer> {
    cx.allow(
        n,
        &[
            "OrganizationName",
            "OrganizationTaxIdentification",
            "Address",
            "EmploymentStartDate",
        ],
    );
    let name = cx.req(n, "OrganizationName", "employer name", PersonalText::parse);
    let fein = cx.opt(n, "OrganizationTaxIdentification", "FEIN", Fein::parse);
    let addr = match child(n, "Address") {
        None => Ok(None),
        Some(a) => address(cx, a).map(Some).ok_or(()),
    };
    let started = cx.opt(n, "EmploymentStartDate", "date", date);
    Some(Employer {
        name: name?,
        fein: fein.ok()?,
        address: addr.ok()?,
        started_on: started.ok()?,
    })
}

fn support_order(cx: &mut Cx, n: &Node) -> Option<SupportOrder> {
    cx.allow(
        n,
        &[
            "SupportOrderIdentification",
            "IssuingJurisdiction",
            "OrderDate",
            "Obligation",
            "Arrears",
        ],
    );
    let id = cx.req(n, "SupportOrderIdentification", "order id", OrderId::parse);
    let issuing = cx
        .required(n, "IssuingJurisdiction")
        .and_then(|j| jurisdiction(cx, j));
    let ordered = cx.opt(n, "OrderDate", "date", date);
    let obligations: Vec<Option<Obligation>> = children(n, "Obligation")
        .map(|o| {
            cx.allow(
                o,
                &[
                    "ObligationCategoryCode",
                    "ObligationDueAmount",
                    "ObligationFrequencyCode",
                    "ObligationStartDate",
                    "ObligationEndDate",
                ],
            );
            let t = cx.req(
                o,
                "ObligationCategoryCode",
                "obligation category code",
                code(ObligationType::from_code),
            );
            let amount = cx.req(o, "ObligationDueAmount", "amount", Money::parse);
            let f = cx.req(
                o,
                "ObligationFrequencyCode",
                "frequency code",
                code(Frequency::from_code),
            );
            let start = cx.req(o, "ObligationStartDate", "date", date);
            let end = cx.opt(o, "ObligationEndDate", "date", date);
            Some(Obligation {
                obligation_type: t?,
                amount: amount?,
                frequency: f?,
                start_on: start?,
                end_on: end.ok()?,
            })
        })
        .collect();
    let arrears: Vec<Option<Arrears>> = children(n, "Arrears")
        .map(|a| {
            cx.allow(
                a,
                &["ArrearsCategoryCode", "ArrearsAmount", "ArrearsAsOfDate"],
            );
            let t = cx.req(
                a,
                "ArrearsCategoryCode",
                "arrears category code",
                code(ArrearsType::from_code),
            );
            let amount = cx.req(a, "ArrearsAmount", "amount", Money::parse);
            let as_of = cx.req(a, "ArrearsAsOfDate", "date", date);
            Some(Arrears {
                arrears_type: t?,
                amount: amount?,
                as_of: as_of?,
            })
        })
        .collect();
    Some(SupportOrder {
        order_id: id?,
        issuing_jurisdiction: issuing?,
        ordered_on: ordered.ok()?,
        obligations: obligations.into_iter().collect::<Option<_>>()?,
        arrears: arrears.into_iter().collect::<Option<_>>()?,
    })
}

fn collection(cx: &mut Cx, n: &Node) -> Option<Collection> {
    cx.allow(
        n,
        &[
            "CollectionIdentification",
            "CollectionDate",
            "CollectionAmount",
            "CollectionCategoryCode",
            "AppliedOrderIdentification",
        ],
    );
    let id = cx.req(
        n,
        "CollectionIdentification",
        "collection id",
        CollectionId::parse,
    );
    let on = cx.req(n, "CollectionDate", "date", date);
    let amount = cx.req(n, "CollectionAmount", "amount", Money::parse);
    let t = cx.req(
        n,
        "CollectionCategoryCode",
        "collection category code",
        code(CollectionType::from_code),
    );
    let applied = cx.opt(n, "AppliedOrderIdentification", "order id", OrderId::parse);
    Some(Collection {
        collection_id: id?,
        collected_on: on?,
        amount: amount?,
        collection_type: t?,
        applied_order_id: applied.ok()?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

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

        let (result, steps) = counting(|| crate::parse(&doc));

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

        let (result, steps) = counting(|| crate::parse(&doc));

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

        let (result, steps) = counting(|| crate::parse(&doc));

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

        let (result, steps) = counting(|| crate::parse(&doc));

        refused_for_its_attributes(result);
        assert!(steps <= 65, "{steps} steps");
    }

    #[test]
    fn a_start_tag_with_64_attributes_is_read() {
        // The root's own namespace declaration is the 64th.
        let attributes: String = (0..63).map(|i| format!(" a{i}=\"\"")).collect();
        let doc = request_with_root_attributes(&attributes);
        let message = crate::parse(&doc).expect("64 attributes are within the limit");
        assert_eq!(
            message,
            crate::parse(REQUEST.as_bytes()).expect("the sample is valid")
        );
        let one_more = request_with_root_attributes(&format!("{attributes} a63=\"\""));
        refused_for_its_attributes(crate::parse(&one_more));
    }
}
