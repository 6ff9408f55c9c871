//! Message → XML, in the element order of `schemas/tribal-exchange.xsd`.
//!
//! The caller ([`crate::write_message`]) hands in the already redacted case; this module writes
//! what it is given and nothing else.

use std::fmt::Write as _;

use ivd_model::{
    Address, Case, Collection, Employer, Jurisdiction, Money, Participant, Person, SupportOrder,
};
use time::Date;

use crate::{NAMESPACE, TribalMessage, WriteError};

/// A small indenting XML text writer.
struct Out {
    s: String,
    depth: usize,
}

impl Out {
    fn indent(&mut self) {
        for _ in 0..self.depth {
            self.s.push_str("  ");
        }
    }

    fn open(&mut self, name: &str) {
        self.indent();
        let _ = writeln!(self.s, "<{name}>");
        self.depth += 1;
    }

    fn close(&mut self, name: &str) {
        self.depth -= 1;
        self.indent();
        let _ = writeln!(self.s, "</{name}>");
    }

    fn leaf(&mut self, name: &str, value: &str) {
        self.indent();
        let _ = writeln!(
            self.s,
            "<{name}>{}</{name}>",
            quick_xml::escape::escape(value)
        );
    }

    fn opt(&mut self, name: &str, value: Option<&str>) {
        if let Some(v) = value {
            self.leaf(name, v);
        }
    }

    fn date(&mut self, name: &str, value: Date) {
        self.leaf(name, &iso(value));
    }

    fn opt_date(&mut self, name: &str, value: Option<Date>) {
        if let Some(v) = value {
            self.date(name, v);
        }
    }

    fn money(&mut self, name: &str, value: Money) {
        self.leaf(name, &value.to_string());
    }
}

pub(crate) fn iso(d: Date) -> String {
    format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
}

pub(crate) fn document(m: &TribalMessage, case: Option<&Case>) -> Result<Vec<u8>, WriteError> {
    let sent = m
        .sent_at
        .format(&time::format_description::well_known::Rfc3339)
        .map_err(|_| WriteError::Timestamp)?;
    let mut o = Out {
        s: String::with_capacity(4096),
        depth: 1,
    };
    o.s.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(o.s, "<TribalExchange xmlns=\"{NAMESPACE}\">");
    o.open("Header");
    o.leaf("MessageID", &m.message_id);
    o.leaf("SentDateTime", &sent);
    for (name, party) in [("Sender", &m.sender), ("Receiver", &m.receiver)] {
        o.open(name);
        o.leaf("PartyKindCode", party.kind.code());
        o.leaf("LocatorCode", &party.locator);
        o.close(name);
    }
    o.close("Header");
    let body = m.kind.element();
    o.open(body);
    o.leaf("FunctionCode", m.function.code());
    o.leaf("ActionCode", &m.action);
    o.opt("ReasonCode", m.reason.as_deref());
    if !m.sender_case_id.is_empty() {
        o.leaf("SenderCaseID", &m.sender_case_id);
    }
    o.opt("ReceiverCaseID", m.receiver_case_id.as_deref());
    o.opt("InReplyToMessageID", m.in_reply_to.as_deref());
    if let Some(c) = case {
        write_case(&mut o, c);
    }
    o.close(body);
    o.s.push_str("</TribalExchange>\n");
    Ok(o.s.into_bytes())
}

fn jurisdiction(o: &mut Out, name: &str, j: &Jurisdiction) {
    o.open(name);
    o.leaf("JurisdictionKindCode", j.kind().code());
    let id = match j {
        Jurisdiction::State { fips } => fips.as_str(),
        Jurisdiction::Tribe { tribe } => tribe.as_str(),
        Jurisdiction::Country { country } => country.as_str(),
    };
    o.leaf("JurisdictionID", id);
    o.close(name);
}

fn write_case(o: &mut Out, c: &Case) {
    o.open("Case");
    o.leaf(
        "ChildSupportEnforcementIV-DCaseIdentification",
        c.id.as_str(),
    );
    o.leaf("CaseCategoryCode", c.case_type.code());
    o.leaf("CaseStatusCode", c.status.code());
    o.leaf("IntergovernmentalRoleCode", c.intergovernmental_role.code());
    if let Some(j) = &c.partner_jurisdiction {
        jurisdiction(o, "PartnerJurisdiction", j);
    }
    o.opt("CountyFIPSCode", c.county.as_ref().map(|f| f.as_str()));
    o.opt("TribeCode", c.tribe.as_ref().map(|t| t.as_str()));
    o.leaf(
        "NondisclosureFindingIndicator",
        if c.nondisclosure_finding {
            "true"
        } else {
            "false"
        },
    );
    o.date("CaseOpenedDate", c.opened_on);
    for p in &c.participants {
        participant(o, p);
    }
    for order in &c.orders {
        support_order(o, order);
    }
    for col in &c.collections {
        collection(o, col);
    }
    o.close("Case");
}

fn participant(o: &mut Out, p: &Participant) {
    o.open("Participant");
    o.leaf("ParticipantRoleCode", p.role.code());
    o.opt_date("RoleStartDate", p.role_start_on);
    o.opt_date("RoleEndDate", p.role_end_on);
    person(o, &p.person);
    o.close("Participant");
}

fn person(o: &mut Out, p: &Person) {
    o.open("Person");
    o.leaf("PersonID", p.person_id.as_str());
    let n = p.name.expose();
    o.open("PersonName");
    o.leaf("PersonGivenName", n.first);
    o.opt("PersonMiddleName", n.middle);
    o.leaf("PersonSurName", n.last);
    o.opt("PersonNameSuffixText", n.suffix);
    o.close("PersonName");
    o.opt(
        "PersonSSNIdentification",
        p.ssn.as_ref().map(ivd_model::Ssn::expose),
    );
    if let Some(dob) = p.date_of_birth {
        o.date("PersonBirthDate", dob.expose());
    }
    o.opt("PersonSexCode", p.sex.map(|s| s.code()));
    for a in &p.addresses {
        address(o, a);
    }
    for ph in &p.phones {
        o.open("ContactTelephoneNumber");
        o.leaf("TelephoneCategoryCode", ph.kind.code());
        o.leaf("TelephoneNumberFullID", ph.number.expose());
        o.close("ContactTelephoneNumber");
    }
    for e in &p.emails {
        o.leaf("ContactEmailID", e.expose());
    }
    for e in &p.employers {
        employer(o, e);
    }
    if let Some(f) = &p.family_violence {
        o.open("FamilyViolenceIndicator");
        o.leaf("FamilyViolenceCode", f.code.code());
        o.date("FamilyViolenceSetDate", f.set_on);
        o.leaf("FamilyViolenceSourceCode", f.source.code());
        o.close("FamilyViolenceIndicator");
    }
    o.close("Person");
}

fn address(o: &mut Out, a: &Address) {
    o.open("Address");
    o.leaf("AddressCategoryCode", a.kind.code());
    o.leaf("AddressScopeCode", a.scope.code());
    for l in &a.lines {
        o.leaf("AddressDeliveryPointText", l.expose());
    }
    o.leaf("LocationCityName", a.city.expose());
    o.opt(
        "LocationStateUSPostalServiceCode",
        a.state.as_ref().map(|s| s.as_str()),
    );
    o.opt(
        "LocationPostalCode",
        a.zip.as_ref().map(ivd_model::ZipCode::expose),
    );
    o.opt(
        "LocationStateName",
        a.province.as_ref().map(ivd_model::PersonalText::expose),
    );
    o.opt(
        "LocationCountryISO3166Alpha2Code",
        a.country.as_ref().map(|c| c.as_str()),
    );
    o.opt_date("AddressVerifiedDate", a.verified_on);
    o.close("Address");
}

fn employer(o: &mut Out, e: &Employer) {
    o.open("Employer");
    o.leaf("OrganizationName", e.name.expose());
    o.opt(
        "OrganizationTaxIdentification",
        e.fein.as_ref().map(ivd_model::Fein::expose),
    );
    if let Some(a) = &e.address {
        address(o, a);
    }
    o.opt_date("EmploymentStartDate", e.started_on);
    o.close("Employer");
}

fn support_order(o: &mut Out, s: &SupportOrder) {
    o.open("SupportOrder");
    o.leaf("SupportOrderIdentification", s.order_id.as_str());
    jurisdiction(o, "IssuingJurisdiction", &s.issuing_jurisdiction);
    o.opt_date("OrderDate", s.ordered_on);
    for ob in &s.obligations {
        o.open("Obligation");
        o.leaf("ObligationCategoryCode", ob.obligation_type.code());
        o.money("ObligationDueAmount", ob.amount);
        o.leaf("ObligationFrequencyCode", ob.frequency.code());
        o.date("ObligationStartDate", ob.start_on);
        o.opt_date("ObligationEndDate", ob.end_on);
        o.close("Obligation");
    }
    for a in &s.arrears {
        o.open("Arrears");
        o.leaf("ArrearsCategoryCode", a.arrears_type.code());
        o.money("ArrearsAmount", a.amount);
        o.date("ArrearsAsOfDate", a.as_of);
        o.close("Arrears");
    }
    o.close("SupportOrder");
}

fn collection(o: &mut Out, c: &Collection) {
    o.open("Collection");
    o.leaf("CollectionIdentification", c.collection_id.as_str());
    o.date("CollectionDate", c.collected_on);
    o.money("CollectionAmount", c.amount);
    o.leaf("CollectionCategoryCode", c.collection_type.code());
    o.opt(
        "AppliedOrderIdentification",
        c.applied_order_id.as_ref().map(|i| i.as_str()),
    );
    o.close("Collection");
}
