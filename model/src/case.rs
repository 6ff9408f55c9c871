//! The IV-D case: participants, orders, collections, cross-field rules and redaction.

use crate::codes::{
    AddressScope, CaseStatus, CaseType, IntergovernmentalRole, JurisdictionKind, ParticipantRole,
};
use crate::error::{ModelError, ModelErrorKind};
use crate::ids::{CaseId, CountryCode, Fips, PersonId, TribeCode};
use crate::order::{Collection, SupportOrder};
use crate::person::{Address, Person};
use serde::{Deserialize, Serialize};
use std::collections::HashSet;
use time::Date;

/// A IV-D case (NIEM `hs:ChildSupportEnforcementCaseType`): the hub every partner format
/// translates to and from.
///
/// Deserializing checks every single value (identifiers, codes, dates, amounts) and rejects
/// unknown fields; [`validate`](Case::validate) then checks the rules that span fields.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Case {
    /// The IV-D case id (NIEM `hs:ChildSupportEnforcementIV-DCaseIdentification`).
    pub id: CaseId,
    /// Program type.
    pub case_type: CaseType,
    /// Open or closed.
    pub status: CaseStatus,
    /// Interstate/Tribal/international role of this case.
    pub intergovernmental_role: IntergovernmentalRole,
    /// The other side of an intergovernmental case; set exactly when the role is not `none`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub partner_jurisdiction: Option<Jurisdiction>,
    /// The county (7-digit FIPS of the county office) that owns the case. Exactly one of
    /// `county` and `tribe` is set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub county: Option<Fips>,
    /// The Tribal IV-D program that owns the case (Tribal cases only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tribe: Option<TribeCode>,
    /// A tribunal ordered that the custodial party's and children's location not be disclosed
    /// (UIFSA §312; CSENet NONDISCLOSURE_FINDING). Sticky, like the FVI.
    #[serde(default)]
    pub nondisclosure_finding: bool,
    /// The people on the case and their roles.
    pub participants: Vec<Participant>,
    /// Support orders.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub orders: Vec<SupportOrder>,
    /// Collections received.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub collections: Vec<Collection>,
    /// The date the case was opened.
    #[serde(with = "crate::date::iso_date")]
    pub opened_on: Date,
}

/// A person in a role on a case, with the role's validity interval.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Participant {
    /// The role.
    pub role: ParticipantRole,
    /// The person.
    pub person: Person,
    /// First day in the role.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "crate::date::iso_date::option"
    )]
    pub role_start_on: Option<Date>,
    /// Last day in the role.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "crate::date::iso_date::option"
    )]
    pub role_end_on: Option<Date>,
}

/// A jurisdiction: a state or territory (by FIPS), a Tribe, or a foreign country.
///
/// JSON: `{"kind": "state", "fips": "2700000"}`, `{"kind": "tribe", "tribe": "T0123"}`,
/// `{"kind": "country", "country": "CA"}`. Valid by construction: each kind carries
/// exactly its own identifier.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "camelCase", deny_unknown_fields)]
pub enum Jurisdiction {
    /// A US state or territory, by FIPS code (state level `SS00000` or a specific office).
    State {
        /// The FIPS code.
        fips: Fips,
    },
    /// A Tribal IV-D program.
    Tribe {
        /// The Tribe code.
        tribe: TribeCode,
    },
    /// A foreign country (reciprocating country or Hague Convention partner).
    Country {
        /// The country code.
        country: CountryCode,
    },
}

impl Jurisdiction {
    /// The kind, with its external code.
    pub fn kind(&self) -> JurisdictionKind {
        match self {
            Jurisdiction::State { .. } => JurisdictionKind::State,
            Jurisdiction::Tribe { .. } => JurisdictionKind::Tribe,
            Jurisdiction::Country { .. } => JurisdictionKind::Country,
        }
    }
}

/// Which participants are protected, computed once for a case.
struct Protection {
    /// personIds whose contact data must not leave the gateway.
    protected: HashSet<PersonId>,
    /// personIds in a custodial-household role (CP, caretaker, child) on this case.
    household: HashSet<PersonId>,
}

impl Case {
    /// Checks the rules that span fields. Returns every broken rule, each with a JSON path
    /// and a stable code, never a value.
    ///
    /// Rules:
    /// - exactly one of `county` and `tribe` (`CASE_COUNTY_OR_TRIBE`); `caseType` is
    ///   `tribal` exactly when `tribe` is set (`CASE_TRIBAL_TRIBE`);
    /// - `partnerJurisdiction` is set exactly when `intergovernmentalRole` is not `none`
    ///   (`CASE_PARTNER_MISSING`, `CASE_PARTNER_UNEXPECTED`);
    /// - at least one custodial party or caretaker, one child, and one noncustodial parent,
    ///   alleged or putative father (`CASE_NO_CUSTODIAL_PARTY`, `CASE_NO_CHILD`,
    ///   `CASE_NO_NONCUSTODIAL_PARENT`);
    /// - `personId`, `orderId`, `collectionId` unique on the case;
    /// - end dates not before start dates (`DATE_ORDER`);
    /// - addresses: 1–3 lines; domestic needs state and zip and no country; foreign needs a
    ///   non-US country and no state or zip;
    /// - obligation amounts not negative; one arrears balance per type per order;
    /// - collection amounts positive; `appliedOrderId` names an order of the case.
    pub fn validate(&self) -> Result<(), Vec<ModelError>> {
        let mut errors = Vec::new();
        let mut err = |path: String, kind| errors.push(ModelError::new(path, kind));

        match (&self.county, &self.tribe) {
            (Some(_), None) | (None, Some(_)) => {}
            (None, None) => err("county".into(), ModelErrorKind::CountyOrTribe),
            (Some(_), Some(_)) => err("tribe".into(), ModelErrorKind::CountyOrTribe),
        }
        if (self.case_type == CaseType::Tribal) != self.tribe.is_some() {
            err("caseType".into(), ModelErrorKind::TribalCaseTribe);
        }
        match (self.intergovernmental_role, &self.partner_jurisdiction) {
            (IntergovernmentalRole::None, Some(_)) => err(
                "partnerJurisdiction".into(),
                ModelErrorKind::PartnerUnexpected,
            ),
            (IntergovernmentalRole::Initiating | IntergovernmentalRole::Responding, None) => {
                err("partnerJurisdiction".into(), ModelErrorKind::PartnerMissing)
            }
            _ => {}
        }

        let roles = || self.participants.iter().map(|p| p.role);
        if !roles().any(ParticipantRole::is_custodial) {
            err("participants".into(), ModelErrorKind::NoCustodialParty);
        }
        if !roles().any(|r| r == ParticipantRole::Child) {
            err("participants".into(), ModelErrorKind::NoChild);
        }
        if !roles().any(ParticipantRole::is_noncustodial) {
            err("participants".into(), ModelErrorKind::NoNoncustodialParent);
        }

        let mut person_ids = HashSet::new();
        for (i, p) in self.participants.iter().enumerate() {
            let at = format!("participants[{i}]");
            if !person_ids.insert(&p.person.person_id) {
                err(
                    format!("{at}.person.personId"),
                    ModelErrorKind::DuplicatePersonId,
                );
            }
            if let (Some(start), Some(end)) = (p.role_start_on, p.role_end_on)
                && end < start
            {
                err(format!("{at}.roleEndOn"), ModelErrorKind::DateOrder);
            }
            for (j, a) in p.person.addresses.iter().enumerate() {
                check_address(a, &format!("{at}.person.addresses[{j}]"), &mut err);
            }
            for (j, e) in p.person.employers.iter().enumerate() {
                if let Some(a) = &e.address {
                    check_address(a, &format!("{at}.person.employers[{j}].address"), &mut err);
                }
            }
        }

        let mut order_ids = HashSet::new();
        for (i, o) in self.orders.iter().enumerate() {
            let at = format!("orders[{i}]");
            if !order_ids.insert(&o.order_id) {
                err(format!("{at}.orderId"), ModelErrorKind::DuplicateOrderId);
            }
            for (j, ob) in o.obligations.iter().enumerate() {
                if ob.amount.is_negative() {
                    err(
                        format!("{at}.obligations[{j}].amount"),
                        ModelErrorKind::NegativeObligation,
                    );
                }
                if ob.end_on.is_some_and(|end| end < ob.start_on) {
                    err(
                        format!("{at}.obligations[{j}].endOn"),
                        ModelErrorKind::DateOrder,
                    );
                }
            }
            let mut types = HashSet::new();
            for (j, a) in o.arrears.iter().enumerate() {
                if !types.insert(a.arrears_type) {
                    err(
                        format!("{at}.arrears[{j}].arrearsType"),
                        ModelErrorKind::DuplicateArrearsType,
                    );
                }
            }
        }

        let mut collection_ids = HashSet::new();
        for (i, c) in self.collections.iter().enumerate() {
            let at = format!("collections[{i}]");
            if !collection_ids.insert(&c.collection_id) {
                err(
                    format!("{at}.collectionId"),
                    ModelErrorKind::DuplicateCollectionId,
                );
            }
            if c.amount.cents() <= 0 {
                err(
                    format!("{at}.amount"),
                    ModelErrorKind::NonPositiveCollection,
                );
            }
            if let Some(order) = &c.applied_order_id
                && !order_ids.contains(order)
            {
                err(format!("{at}.appliedOrderId"), ModelErrorKind::UnknownOrder);
            }
        }

        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }

    fn protection(&self) -> Protection {
        let any_fvi = self.participants.iter().any(|p| p.person.is_protected());
        let household: HashSet<PersonId> = self
            .participants
            .iter()
            .filter(|p| p.role.is_custodial_household())
            .map(|p| p.person.person_id.clone())
            .collect();
        let protected = self
            .participants
            .iter()
            .filter(|p| {
                p.person.is_protected()
                    || ((self.nondisclosure_finding || any_fvi) && p.role.is_custodial_household())
            })
            .map(|p| p.person.person_id.clone())
            .collect();
        Protection {
            protected,
            household,
        }
    }

    /// Whether `person`'s location must not be disclosed outbound (§3.3 rules 1–2):
    ///
    /// 1. the person has a family violence indicator; or
    /// 2. the case has a nondisclosure finding and the person is a custodial party, caretaker
    ///    or child on this case; or
    /// 3. anyone on the case has an FVI and the person is a custodial party, caretaker or
    ///    child. This goes beyond the letter of rules 1–2, on purpose: §3.3 rule 2 says to
    ///    redact when *any* co-participant is protected; the custodial household shares one
    ///    address, so an FVI on one member locates the others; and the redacted case carries
    ///    `nondisclosureFinding`, whose meaning (the custodial party's and children's location
    ///    is withheld) must then be true of the message that carries it.
    ///
    /// Matching is by `personId`, so a person listed twice is protected in every entry.
    pub fn is_protected(&self, person: &Person) -> bool {
        person.is_protected() || self.protection().protected.contains(&person.person_id)
    }

    /// Whether anyone on the case is protected.
    pub fn has_protected_participant(&self) -> bool {
        !self.protection().protected.is_empty()
    }

    /// The copy of this case that may be disclosed to another party.
    ///
    /// For every protected person (see [`is_protected`](Case::is_protected)) it removes all
    /// addresses, phones and emails, and for custodial parties, caretakers and children also
    /// all employers. Nothing is partially redacted (no ZIP or city is kept). When anyone was
    /// protected, `nondisclosureFinding` is set, so the flag travels with the data (§3.3
    /// rule 4). Names, SSNs and dates of birth stay: partners need them to match persons, and
    /// they do not locate anyone.
    ///
    /// Every outbound adapter calls this before writing a message. Idempotent.
    pub fn redacted_for_disclosure(&self) -> Case {
        let protection = self.protection();
        let mut out = self.clone();
        for p in &mut out.participants {
            let id = &p.person.person_id;
            let (protected, household) = (
                protection.protected.contains(id),
                protection.household.contains(id),
            );
            if protected {
                p.person.strip_contact();
                if household {
                    p.person.employers.clear();
                }
            }
        }
        if !protection.protected.is_empty() {
            out.nondisclosure_finding = true;
        }
        out
    }

    /// The participants in `role`.
    pub fn participants_in(&self, role: ParticipantRole) -> impl Iterator<Item = &Participant> {
        self.participants.iter().filter(move |p| p.role == role)
    }
}

fn check_address(a: &Address, at: &str, err: &mut impl FnMut(String, ModelErrorKind)) {
    if a.lines.is_empty() || a.lines.len() > 3 {
        err(format!("{at}.lines"), ModelErrorKind::AddressLines);
    }
    match a.scope {
        AddressScope::Domestic => {
            if a.state.is_none() {
                err(format!("{at}.state"), ModelErrorKind::DomesticAddress);
            }
            if a.zip.is_none() {
                err(format!("{at}.zip"), ModelErrorKind::DomesticAddress);
            }
            if a.country.is_some() {
                err(format!("{at}.country"), ModelErrorKind::DomesticAddress);
            }
        }
        AddressScope::Foreign => {
            if a.country.is_none_or(|c| c.is_us()) {
                err(format!("{at}.country"), ModelErrorKind::ForeignAddress);
            }
            if a.state.is_some() {
                err(format!("{at}.state"), ModelErrorKind::ForeignAddress);
            }
            if a.zip.is_some() {
                err(format!("{at}.zip"), ModelErrorKind::ForeignAddress);
            }
        }
    }
}
