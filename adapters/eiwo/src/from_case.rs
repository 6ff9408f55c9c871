//! Building an IWO from the canonical case: [`iwo_from_case`].
//!
//! ## What comes from the case, and what does not
//!
//! From the [`ivd_model::Case`] (always its [`Case::redacted_for_disclosure`] copy): the case
//! id; the employee's name, SSN and date of birth; the obligee's **name**; the children's
//! names and dates of birth; the order id and the amounts of the order's active
//! obligations. Everything else — employer, SDU payee and remittance id, issuing office and
//! official, contacts, terms, date, action, tracking number — is the gateway's
//! [`IwoContext`].
//!
//! ## Family violence and nondisclosure (§3.3)
//!
//! No address, phone, email or employer of **any** case participant is copied into an IWO,
//! protected or not: the `DTL` layout has no field for them (§1.3: the obligee appears by
//! name only, payment goes to the SDU), and this function never reads them. Free-text
//! fields (the "other" description) are built from obligation *type names* only, never
//! from case text. The names and birth dates of a protected custodial party or child do
//! stay on the order: the IWO form requires them (boxes 3c–3o), an employer cannot honour
//! an order for unnamed children, and a name or birth date does not locate anyone — the
//! same line [`Case::redacted_for_disclosure`] draws. The employer, the remittance payee and
//! the issuing office come from the context, never from the case, so nothing of the
//! office serving a protected family can slip in from case data.
//!
//! ## Amounts \[I\]
//!
//! Active obligations (started on or before the document date, not ended before it) of the
//! chosen order are mapped to the form's lines:
//!
//! | obligation type | IWO line |
//! |---|---|
//! | `CS` child support, `CRCH` child care | current child support (5) |
//! | `AJ` arrears judgment | past-due child support (6) |
//! | `MS` medical support, `MC` medical costs | current cash medical (7) |
//! | `MJ` medical judgment | past-due cash medical (8) |
//! | `SP` spousal support | current spousal (9) |
//! | `SAJ` spousal arrears judgment | past-due spousal (10) |
//! | `IJ` interest judgment, `FEE` fee | other (11), described by type name |
//! | `HIC` health-insurance coverage, `VOL` voluntary | not withheld as cash: left out |
//!
//! Obligations of one line with one frequency are added up; mixed frequencies are
//! converted to a monthly amount (annual amount / 12, rounded half up to the cent). The
//! total (12) is the sum of the lines, in their frequency when they share one, else
//! monthly. Per-pay-period amounts (13a–13d) are the total's annual amount divided by 52,
//! 26, 24 and 12, rounded half up. A termination (`TRM`) carries no amounts.

use ivd_model::{
    Case, Money, ObligationType, OrderId, Participant, ParticipantRole, PersonName, Ssn,
    SupportOrder,
};
use time::Date;

use crate::codes::{DocumentAction, Frequency};
use crate::iwo::{
    Deductions, IssuingOfficial, Iwo, IwoChild, IwoEmployee, IwoEmployer, MAX_CHILDREN, Periodic,
    PostalAddress, Remittance, StateContact, SupportAmounts, WithholdingTerms,
};

/// Everything the gateway supplies that is not in the case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IwoContext {
    /// Original, amended, termination or lump sum.
    pub action: DocumentAction,
    /// The document date; also the day on which obligations must be active.
    pub document_date: Date,
    /// The document tracking number (up to 30), unique per IWO; the acknowledgment quotes it.
    pub tracking_number: String,
    /// Which order, when the case has several active ones.
    pub order: Option<OrderId>,
    /// Issuing state/Tribe/territory name.
    pub issuing_state: String,
    /// Issuing jurisdiction (city, county, district or Tribe).
    pub issuing_jurisdiction: String,
    /// The tribunal that issued the support order.
    pub issuing_tribunal: String,
    /// The employer.
    pub employer: IwoEmployer,
    /// The SDU payee and remittance id.
    pub remittance: Remittance,
    /// Terms and notices (CCPA percent included).
    pub terms: WithholdingTerms,
    /// Whether arrears are older than 12 weeks (the case model has no arrears ages).
    pub arrears_over_12_weeks: bool,
    /// The issuing official.
    pub official: IssuingOfficial,
    /// The agency contact for the employee.
    pub employee_contact: StateContact,
    /// The agency contact for the employer.
    pub employer_contact: StateContact,
    /// The employer contact's address.
    pub employer_contact_address: PostalAddress,
    /// The lump sum to withhold (`LUM` only).
    pub lump_sum: Option<Money>,
}

/// Why an IWO could not be built from a case. Never quotes a value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum IwoError {
    /// No noncustodial parent, alleged or putative father on the case has that SSN.
    #[error("NCP_NOT_ON_CASE: no noncustodial participant of the case has the given SSN")]
    NcpNotOnCase,
    /// The case has no order with an obligation active on the document date.
    #[error("NO_ACTIVE_ORDER: no order with an obligation active on the document date")]
    NoActiveOrder,
    /// Several orders are active and the context names none.
    #[error("AMBIGUOUS_ORDER: {count} orders are active; the context must name one")]
    AmbiguousOrder {
        /// How many orders are active.
        count: usize,
    },
    /// The context names an order the case does not have.
    #[error("UNKNOWN_ORDER: the order named by the context is not on the case")]
    UnknownOrder,
    /// The order has no active obligation the IWO can withhold for.
    #[error("NO_CURRENT_OBLIGATION: the order has no active obligation to withhold for")]
    NoCurrentObligation,
    /// More children than a `DTL` record names. The state sends this IWO on paper (with an
    /// attachment) rather than an e-IWO that leaves a child out.
    #[error("TOO_MANY_CHILDREN: {count} children; an e-IWO names at most 6")]
    TooManyChildren {
        /// How many children the case has.
        count: usize,
    },
    /// A lump-sum IWO without the lump-sum amount.
    #[error("MISSING_LUMP_SUM: a LUM IWO needs the lump-sum amount")]
    MissingLumpSum,
    /// A name does not fit the layout (ASCII, last 20, first 15, middle 15, suffix 4);
    /// names are never truncated on a legal order.
    #[error("NAME_DOES_NOT_FIT: the {who}'s name is not ASCII or longer than its fields")]
    NameDoesNotFit {
        /// `employee`, `obligee` or `child`.
        who: &'static str,
    },
    /// An amount overflowed while adding up.
    #[error("AMOUNT_OVERFLOW: amounts overflow")]
    AmountOverflow,
}

impl IwoError {
    /// The stable code (the prefix of the message).
    pub fn code(&self) -> &'static str {
        match self {
            IwoError::NcpNotOnCase => "NCP_NOT_ON_CASE",
            IwoError::NoActiveOrder => "NO_ACTIVE_ORDER",
            IwoError::AmbiguousOrder { .. } => "AMBIGUOUS_ORDER",
            IwoError::UnknownOrder => "UNKNOWN_ORDER",
            IwoError::NoCurrentObligation => "NO_CURRENT_OBLIGATION",
            IwoError::TooManyChildren { .. } => "TOO_MANY_CHILDREN",
            IwoError::MissingLumpSum => "MISSING_LUMP_SUM",
            IwoError::NameDoesNotFit { .. } => "NAME_DOES_NOT_FIT",
            IwoError::AmountOverflow => "AMOUNT_OVERFLOW",
        }
    }
}

/// Which IWO line an obligation type goes to; `None`: not withheld as cash.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Line {
    CurrentChild,
    PastDueChild,
    CurrentMedical,
    PastDueMedical,
    CurrentSpousal,
    PastDueSpousal,
    Other,
}

const LINES: [Line; 7] = [
    Line::CurrentChild,
    Line::PastDueChild,
    Line::CurrentMedical,
    Line::PastDueMedical,
    Line::CurrentSpousal,
    Line::PastDueSpousal,
    Line::Other,
];

fn line_of(t: ObligationType) -> Option<Line> {
    use ObligationType as O;
    Some(match t {
        O::ChildSupport | O::ChildCare => Line::CurrentChild,
        O::ArrearsJudgment => Line::PastDueChild,
        O::MedicalSupport | O::MedicalCosts => Line::CurrentMedical,
        O::MedicalJudgment => Line::PastDueMedical,
        O::SpousalSupport => Line::CurrentSpousal,
        O::SpousalArrearsJudgment => Line::PastDueSpousal,
        O::InterestJudgment | O::Fee => Line::Other,
        O::HealthInsuranceCoverage | O::Voluntary => return None,
    })
}

fn type_name(t: ObligationType) -> &'static str {
    match t {
        ObligationType::InterestJudgment => "INTEREST JUDGMENT",
        ObligationType::Fee => "FEES",
        _ => "OTHER",
    }
}

fn active(start: Date, end: Option<Date>, on: Date) -> bool {
    start <= on && end.is_none_or(|e| e >= on)
}

fn role_active(p: &Participant, on: Date) -> bool {
    p.role_start_on.is_none_or(|s| s <= on) && p.role_end_on.is_none_or(|e| e >= on)
}

fn has_active_obligation(o: &SupportOrder, on: Date) -> bool {
    o.obligations
        .iter()
        .any(|ob| line_of(ob.obligation_type).is_some() && active(ob.start_on, ob.end_on, on))
}

/// `cents × n / d`, rounded half up; `None` on overflow.
fn scale(cents: i64, n: i64, d: i64) -> Option<i64> {
    let v = i128::from(cents) * i128::from(n);
    let d = i128::from(d);
    i64::try_from((2 * v + d).div_euclid(2 * d)).ok()
}

/// An obligation's amount in an e-IWO frequency: the four pay periods of the form as they
/// are; a bimonthly amount becomes its monthly amount (half of it, rounded half up to the
/// cent), since the record has no code for it.
fn periodic(amount: Money, frequency: ivd_model::Frequency) -> Result<Periodic, IwoError> {
    let per = match frequency {
        ivd_model::Frequency::Weekly => Frequency::Weekly,
        ivd_model::Frequency::Biweekly => Frequency::Biweekly,
        ivd_model::Frequency::Semimonthly => Frequency::Semimonthly,
        ivd_model::Frequency::Monthly => Frequency::Monthly,
        ivd_model::Frequency::Bimonthly => {
            let cents = scale(amount.cents(), 6, 12).ok_or(IwoError::AmountOverflow)?;
            return Ok(Periodic {
                amount: Money::from_cents(cents),
                per: Frequency::Monthly,
            });
        }
    };
    Ok(Periodic { amount, per })
}

/// Sums amounts in a shared frequency, or as monthly amounts when they differ.
fn combine(items: &[Periodic]) -> Result<Option<Periodic>, IwoError> {
    let Some(first) = items.first() else {
        return Ok(None);
    };
    let per = if items.iter().all(|p| p.per == first.per) {
        first.per
    } else {
        Frequency::Monthly
    };
    let mut total: i64 = 0;
    for p in items {
        let cents = if p.per == per {
            p.amount.cents()
        } else {
            scale(p.amount.cents(), p.per.per_year(), per.per_year())
                .ok_or(IwoError::AmountOverflow)?
        };
        total = total.checked_add(cents).ok_or(IwoError::AmountOverflow)?;
    }
    Ok(Some(Periodic {
        amount: Money::from_cents(total),
        per,
    }))
}

/// The name, if it fits the layout's name fields as printable ASCII.
fn fits(name: &PersonName, last_max: usize) -> bool {
    let p = name.expose();
    let ok = |s: &str, max: usize| s.len() <= max && s.bytes().all(|b| (0x20..=0x7E).contains(&b));
    ok(p.last, last_max)
        && ok(p.first, 15)
        && ok(p.middle.unwrap_or(""), 15)
        && ok(p.suffix.unwrap_or(""), 4)
}

fn fitted(name: &PersonName, who: &'static str) -> Result<PersonName, IwoError> {
    // The obligee's last name field is 57 long (Kansas record definition), the others 20.
    let last_max = if who == "obligee" { 57 } else { 20 };
    if fits(name, last_max) {
        Ok(name.clone())
    } else {
        Err(IwoError::NameDoesNotFit { who })
    }
}

/// Builds the IWO for the noncustodial participant of `case` whose SSN is `ncp` (see the
/// module documentation for what comes from where, the amounts and the family-violence
/// rule).
///
/// Errors: the SSN is not a noncustodial participant's ([`IwoError::NcpNotOnCase`]); no
/// order is active, or several are and the context names none; the order has nothing to
/// withhold for; more than six children; a `LUM` without amount; a name that does not fit.
pub fn iwo_from_case(case: &Case, ncp: &Ssn, ctx: &IwoContext) -> Result<Iwo, IwoError> {
    let case = case.redacted_for_disclosure();
    let on = ctx.document_date;
    let employee = case
        .participants
        .iter()
        .find(|p| p.role.is_noncustodial() && p.person.ssn.as_ref() == Some(ncp))
        .ok_or(IwoError::NcpNotOnCase)?;
    let termination = ctx.action == DocumentAction::Termination;
    let order = match &ctx.order {
        Some(id) => case
            .orders
            .iter()
            .find(|o| &o.order_id == id)
            .ok_or(IwoError::UnknownOrder)?,
        None => {
            let active: Vec<&SupportOrder> = case
                .orders
                .iter()
                .filter(|o| has_active_obligation(o, on))
                .collect();
            // A termination may end an order whose obligations have already ended.
            let candidates = if active.is_empty() && termination {
                case.orders.iter().collect()
            } else {
                active
            };
            match candidates.as_slice() {
                [] => return Err(IwoError::NoActiveOrder),
                [one] => *one,
                many => return Err(IwoError::AmbiguousOrder { count: many.len() }),
            }
        }
    };
    if ctx.action == DocumentAction::LumpSum && ctx.lump_sum.is_none() {
        return Err(IwoError::MissingLumpSum);
    }
    let mut amounts = SupportAmounts {
        arrears_over_12_weeks: ctx.arrears_over_12_weeks,
        ..SupportAmounts::default()
    };
    let mut deductions = Deductions::default();
    if !termination {
        let mut per_line: Vec<Vec<Periodic>> = vec![Vec::new(); LINES.len()];
        let mut other_types: Vec<&'static str> = Vec::new();
        for ob in &order.obligations {
            let Some(line) = line_of(ob.obligation_type) else {
                continue;
            };
            if !active(ob.start_on, ob.end_on, on) {
                continue;
            }
            if line == Line::Other && !other_types.contains(&type_name(ob.obligation_type)) {
                other_types.push(type_name(ob.obligation_type));
            }
            let i = LINES.iter().position(|l| *l == line).unwrap_or(0);
            per_line[i].push(periodic(ob.amount, ob.frequency)?);
        }
        let lines = per_line
            .iter()
            .map(|items| combine(items))
            .collect::<Result<Vec<_>, _>>()?;
        let present: Vec<Periodic> = lines.iter().flatten().copied().collect();
        let Some(total) = combine(&present)? else {
            return Err(IwoError::NoCurrentObligation);
        };
        amounts.current_child = lines[0];
        amounts.past_due_child = lines[1];
        amounts.current_medical = lines[2];
        amounts.past_due_medical = lines[3];
        amounts.current_spousal = lines[4];
        amounts.past_due_spousal = lines[5];
        amounts.other = lines[6];
        amounts.other_description = other_types.join(", ");
        amounts.total = Some(total);
        let annual = |periods: i64| {
            scale(total.amount.cents(), total.per.per_year(), periods)
                .map(Money::from_cents)
                .ok_or(IwoError::AmountOverflow)
        };
        deductions = Deductions {
            weekly: annual(52)?,
            biweekly: annual(26)?,
            semimonthly: annual(24)?,
            monthly: annual(12)?,
        };
    }
    let children: Vec<IwoChild> = case
        .participants_in(ParticipantRole::Child)
        .filter(|p| role_active(p, on))
        .map(|p| {
            Ok(IwoChild {
                name: fitted(&p.person.name, "child")?,
                birth_date: p.person.date_of_birth,
            })
        })
        .collect::<Result<_, IwoError>>()?;
    if children.len() > MAX_CHILDREN {
        return Err(IwoError::TooManyChildren {
            count: children.len(),
        });
    }
    let custodial = |role| {
        case.participants_in(role)
            .find(|p| role_active(p, on))
            .map(|p| &p.person.name)
    };
    let obligee = custodial(ParticipantRole::CustodialParty)
        .or_else(|| custodial(ParticipantRole::Caretaker))
        .map(|n| fitted(n, "obligee"))
        .transpose()?;
    Ok(Iwo {
        action: ctx.action,
        document_date: on,
        issuing_state: ctx.issuing_state.clone(),
        issuing_jurisdiction: ctx.issuing_jurisdiction.clone(),
        issuing_tribunal: ctx.issuing_tribunal.clone(),
        case_id: case.id.clone(),
        order_id: order.order_id.as_str().to_owned(),
        tracking_number: ctx.tracking_number.clone(),
        employer: ctx.employer.clone(),
        employee: IwoEmployee {
            name: fitted(&employee.person.name, "employee")?,
            ssn: ncp.clone(),
            birth_date: employee.person.date_of_birth,
        },
        obligee,
        amounts,
        deductions,
        lump_sum: ctx
            .lump_sum
            .filter(|_| ctx.action == DocumentAction::LumpSum),
        terms: ctx.terms.clone(),
        remittance: ctx.remittance.clone(),
        official: ctx.official.clone(),
        employee_contact: ctx.employee_contact.clone(),
        employer_contact: ctx.employer_contact.clone(),
        employer_contact_address: ctx.employer_contact_address.clone(),
        children,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scaling_rounds_half_up() {
        // $100.00 a week is $433.33 a month (5200 / 12 = 433.333…).
        assert_eq!(scale(10_000, 52, 12), Some(43_333));
        // $1.00 a month is 23 cents a week (12 / 52 = 0.2307…).
        assert_eq!(scale(100, 12, 52), Some(23));
        assert_eq!(scale(50, 1, 100), Some(1)); // 0.5 rounds up
        assert_eq!(scale(i64::MAX, 52, 1), None);
    }

    #[test]
    fn a_bimonthly_obligation_is_written_as_its_monthly_amount() {
        // The record's frequency has no code for every two months (1 byte, W/B/S/M).
        let p = periodic(Money::from_cents(10_001), ivd_model::Frequency::Bimonthly).unwrap();
        assert_eq!(p.per, Frequency::Monthly);
        assert_eq!(p.amount, Money::from_cents(5_001)); // 50.005 rounded half up
        let w = periodic(Money::from_cents(2_500), ivd_model::Frequency::Weekly).unwrap();
        assert_eq!(
            (w.per, w.amount),
            (Frequency::Weekly, Money::from_cents(2_500))
        );
    }

    #[test]
    fn mixed_frequencies_become_monthly() {
        let w = Periodic {
            amount: Money::from_cents(10_000),
            per: Frequency::Weekly,
        };
        let m = Periodic {
            amount: Money::from_cents(5_000),
            per: Frequency::Monthly,
        };
        assert_eq!(combine(&[w, w]).unwrap().unwrap().amount.cents(), 20_000);
        let mixed = combine(&[w, m]).unwrap().unwrap();
        assert_eq!(mixed.per, Frequency::Monthly);
        assert_eq!(mixed.amount.cents(), 43_333 + 5_000);
        assert_eq!(combine(&[]).unwrap(), None);
    }
}
