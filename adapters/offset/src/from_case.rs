//! Desired certifications from the canonical case.

use ivd_model::{AddressScope, ArrearsType, Case, ParticipantRole};

use crate::codes::CaseType;
use crate::ssn::OffsetSsn;
use crate::submission::{Certification, OffsetAddress, OffsetKey};

/// The certifications `state` wants for a case (the *desired* side of
/// [`crate::plan_cycle`]).
///
/// * **Who:** the noncustodial parent (role `AP`) with an SSN. The model's orders do not
///   say which obligor owes them, so a case with **more than one** noncustodial parent
///   with an SSN yields nothing: certifying the case's arrears against each would offset
///   a person for another's debt. Alleged and putative fathers are not certified.
/// * **How much:** TANF arrears (the `TANF` bucket) and non-TANF arrears (every other
///   bucket: non-TANF, interest, fees, recovery), summed over the orders, negative totals
///   as 0, rounded half up to whole dollars. A case type with 0 dollars is not returned
///   (planning treats a missing key as "delete if certified").
/// * **Names:** upper case ASCII; letters, digits, hyphens and spaces kept, other
///   characters dropped; the last name without spaces (OCSE's first-4-positions rule, and
///   how the IRS name control reads "DE LA ROSA": `DELA`); truncated to 20 / 15.
/// * **Address:** the first domestic address of the obligor **in the disclosable copy of
///   the case** ([`Case::redacted_for_disclosure`]): a protected person's address is
///   never sent (DESIGN, family violence). Lines 2 and 3 are joined; truncated to 30 / 25.
/// * Local code empty, exclusions none: the caller's policy.
pub fn certifications_from_case(case: &Case, state: &str) -> Vec<Certification> {
    let case = case.redacted_for_disclosure();
    let ncps: Vec<_> = case
        .participants_in(ParticipantRole::NoncustodialParent)
        .filter(|p| p.person.ssn.is_some())
        .collect();
    let [ncp] = ncps.as_slice() else {
        return Vec::new();
    };
    let Some(ssn) = &ncp.person.ssn else {
        return Vec::new();
    };
    let (mut tanf, mut other) = (0i128, 0i128);
    for a in case.orders.iter().flat_map(|o| &o.arrears) {
        let cents = i128::from(a.amount.cents());
        if a.arrears_type == ArrearsType::Tanf {
            tanf += cents;
        } else {
            other += cents;
        }
    }
    let dollars = |cents: i128| u64::try_from((cents.max(0) + 50) / 100).unwrap_or(u64::MAX);
    let name = ncp.person.name.expose();
    let last: String = normalize(name.last)
        .chars()
        .filter(|c| *c != ' ')
        .take(20)
        .collect();
    let first: String = normalize(name.first)
        .trim_start_matches(|c: char| !c.is_ascii_uppercase())
        .chars()
        .take(15)
        .collect();
    let address = ncp
        .person
        .addresses
        .iter()
        .find(|a| a.scope == AddressScope::Domestic)
        .map(|a| {
            let line = |i: usize| a.lines.get(i).map_or("", |l| l.expose());
            let rest: Vec<&str> = (1..a.lines.len()).map(line).collect();
            OffsetAddress {
                line1: cut(&normalize_text(line(0)), 30),
                line2: cut(&normalize_text(&rest.join(" ")), 30),
                city: cut(&normalize_text(a.city.expose()), 25),
                state: a.state.map(|s| s.as_str().to_owned()).unwrap_or_default(),
                zip: a
                    .zip
                    .as_ref()
                    .map(|z| z.expose().replace('-', ""))
                    .unwrap_or_default(),
            }
        });
    let mut out = Vec::new();
    for (case_type, cents) in [(CaseType::Tanf, tanf), (CaseType::NonTanf, other)] {
        let amount = dollars(cents);
        if amount == 0 {
            continue;
        }
        let mut c = Certification::new(
            OffsetKey::new(state, OffsetSsn::from(ssn), case_type),
            case.id.as_str(),
            &last,
            &first,
            amount,
        );
        c.address.clone_from(&address);
        out.push(c);
    }
    out
}

/// Upper case; `A`–`Z`, `0`–`9`, `-` and single spaces kept.
fn normalize(s: &str) -> String {
    let kept: String = s
        .to_ascii_uppercase()
        .chars()
        .map(|c| if c.is_whitespace() { ' ' } else { c })
        .filter(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || *c == '-' || *c == ' ')
        .collect();
    kept.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Upper case printable ASCII, single spaces.
fn normalize_text(s: &str) -> String {
    let kept: String = s
        .to_ascii_uppercase()
        .chars()
        .map(|c| if c.is_whitespace() { ' ' } else { c })
        .filter(|c| (' '..='~').contains(c))
        .collect();
    kept.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn cut(s: &str, n: usize) -> String {
    s.chars().take(n).collect::<String>().trim_end().to_owned()
}
