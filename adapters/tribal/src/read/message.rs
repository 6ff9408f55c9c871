//! Step 2 of the reader: the element tree checked against the schema's rules and the
//! model's value types, collecting every error with its element path (see the parent
//! module).

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
use time::{Date, OffsetDateTime};

use crate::codes::*;
use crate::{Function, MessageKind, Party, PartyKind, TribalMessage, ValidationError};

use super::{Node, REPEATABLE, step};

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
