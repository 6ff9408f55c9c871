//! The weekly cycle: from what the state wants certified and what is certified now, the
//! E-1 transactions that take the federal master file from one to the other.
//!
//! ## Rules (spec §A.1.2, §A.1.3, §E.4)
//!
//! Per key (state, SSN, case type):
//!
//! | desired | certified | transactions |
//! |---|---|---|
//! | amount ≥ threshold | — | **A** (with address, local code, exclusions) |
//! | amount < threshold | — | nothing: not eligible yet |
//! | — or amount 0 | yes | **D** (amount 0) |
//! | amount > 0 | yes | **C** case id, **B** name, **L** local code, **Z** address, **M** amount, **R** exclusions — one per field that changed |
//!
//! * The thresholds ($150 TANF, $500 non-TANF) apply to **adds only**; an M may take a
//!   certified amount below them (\[V-KS\] Kansas; whether OCSE rejects such an M was not
//!   found). A D is sent per key when that key's amount reaches 0 (§E.4); Kansas waits
//!   until both case types reach 0 — a caller that wants that keeps the zero key in
//!   `desired` with its old amount.
//! * **B** applies to both case types of an SSN and state (§A.1.2), so one B is sent per
//!   SSN and state, and the name of the first desired key (TANF before non-TANF) is the
//!   name for both.
//! * **Z** is sent only for a complete address (OCSE rejects an incomplete one with
//!   error 40); an address that disappears from `desired` is not "removed" — there is no
//!   transaction for that.
//! * **SSN change**: the old key is gone and a new key appears for the same case id,
//!   state and case type. That is a D of the old key and an A of the new (Kansas
//!   LeB520); the D is placed right before the A.
//!
//! Order: by key, then D, A, C, B, L, Z, M, R — so a file is reproducible and an SSN
//! change reads "delete, then add".
//!
//! Duplicate keys in `desired` (the same obligor certified from two IV-D cases) are
//! merged first ([`merge_certifications`]): amounts are summed, exclusions united, and
//! the first entry's case id, names, local code and address kept.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::codes::{CaseType, TransactionType};
use crate::submission::{Certification, OffsetKey, Submission};

/// Minimum arrears for a new certification (spec §A.1.3: TANF ≥ $150, non-TANF ≥ $500,
/// \[V-KS\] + secondary source).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Thresholds {
    /// TANF threshold, whole dollars.
    pub tanf_dollars: u64,
    /// Non-TANF threshold, whole dollars.
    pub non_tanf_dollars: u64,
}

impl Thresholds {
    /// The federal tax refund offset thresholds: $150 TANF, $500 non-TANF.
    pub const FEDERAL: Thresholds = Thresholds {
        tanf_dollars: 150,
        non_tanf_dollars: 500,
    };

    /// The threshold for `case_type`.
    pub fn for_case_type(&self, case_type: CaseType) -> u64 {
        match case_type {
            CaseType::Tanf => self.tanf_dollars,
            CaseType::NonTanf => self.non_tanf_dollars,
        }
    }
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds::FEDERAL
    }
}

/// Merges certifications with the same key: amounts summed (saturating), exclusions
/// united, the first entry's other fields kept; sorted by key.
pub fn merge_certifications(certifications: &[Certification]) -> Vec<Certification> {
    let mut by_key: BTreeMap<OffsetKey, Certification> = BTreeMap::new();
    for c in certifications {
        match by_key.get_mut(&c.key) {
            Some(m) => {
                m.arrears_dollars = m.arrears_dollars.saturating_add(c.arrears_dollars);
                m.exclusions.extend(c.exclusions.iter().copied());
            }
            None => {
                by_key.insert(c.key.clone(), c.clone());
            }
        }
    }
    by_key.into_values().collect()
}

/// Rank of a transaction among those of one key.
fn rank(t: TransactionType) -> u8 {
    match t {
        TransactionType::Delete => 0,
        TransactionType::Add => 1,
        TransactionType::CaseIdChange => 2,
        TransactionType::NameChange => 3,
        TransactionType::LocalCodeChange => 4,
        TransactionType::AddressChange => 5,
        TransactionType::Modify => 6,
        TransactionType::ReplaceExclusions => 7,
        _ => 8,
    }
}

/// The weekly cycle's transactions: the difference between what the state wants
/// certified (`desired`) and what is certified now (`certified`). See the module
/// documentation for the rules and the order. Applying the result with [`apply`] and
/// planning again gives nothing.
pub fn plan_cycle(
    desired: &[Certification],
    certified: &[Certification],
    thresholds: &Thresholds,
) -> Vec<Submission> {
    let mut desired: BTreeMap<OffsetKey, Certification> = merge_certifications(desired)
        .into_iter()
        .map(|c| (c.key.clone(), c))
        .collect();
    // One name per SSN and state: the first key's (TANF first).
    let mut names: BTreeMap<(String, String), (String, String)> = BTreeMap::new();
    for c in desired.values() {
        names
            .entry((c.key.state.clone(), c.key.ssn.expose().to_owned()))
            .or_insert_with(|| (c.last_name.clone(), c.first_name.clone()));
    }
    for c in desired.values_mut() {
        if let Some((last, first)) =
            names.get(&(c.key.state.clone(), c.key.ssn.expose().to_owned()))
        {
            c.last_name.clone_from(last);
            c.first_name.clone_from(first);
        }
    }
    let certified: BTreeMap<OffsetKey, &Certification> =
        certified.iter().map(|c| (c.key.clone(), c)).collect();

    // (sort key, rank, submission)
    let mut plan: Vec<(OffsetKey, u8, Submission)> = Vec::new();
    let mut push =
        |sort: &OffsetKey, s: Submission| plan.push((sort.clone(), rank(s.transaction), s));
    let mut added: Vec<&Certification> = Vec::new();
    let mut renamed: BTreeSet<(String, String)> = BTreeSet::new();

    for (key, want) in &desired {
        match certified.get(key) {
            None => {
                if want.arrears_dollars > 0
                    && want.arrears_dollars >= thresholds.for_case_type(key.case_type)
                {
                    push(key, Submission::new(TransactionType::Add, want.clone()));
                    added.push(want);
                }
            }
            Some(have) if want.arrears_dollars == 0 => {
                let mut gone = (*have).clone();
                gone.arrears_dollars = 0;
                push(key, Submission::new(TransactionType::Delete, gone));
            }
            Some(have) => {
                let tx = |t| Submission::new(t, want.clone());
                if want.case_id != have.case_id {
                    push(key, tx(TransactionType::CaseIdChange));
                }
                let person = (key.state.clone(), key.ssn.expose().to_owned());
                if (want.last_name != have.last_name || want.first_name != have.first_name)
                    && renamed.insert(person)
                {
                    push(key, tx(TransactionType::NameChange));
                }
                if want.local_code != have.local_code {
                    push(key, tx(TransactionType::LocalCodeChange));
                }
                if let Some(a) = &want.address
                    && a.is_complete()
                    && want.address != have.address
                {
                    push(key, tx(TransactionType::AddressChange));
                }
                if want.arrears_dollars != have.arrears_dollars {
                    push(key, tx(TransactionType::Modify));
                }
                if want.exclusions != have.exclusions {
                    push(key, tx(TransactionType::ReplaceExclusions));
                }
            }
        }
    }
    for (key, have) in &certified {
        if desired.contains_key(key) {
            continue;
        }
        // An SSN change: the delete goes right before the add of the new SSN.
        let successor = added.iter().find(|a| {
            !have.case_id.is_empty()
                && a.case_id == have.case_id
                && a.key.state == key.state
                && a.key.case_type == key.case_type
        });
        let sort = successor.map_or(key, |a| &a.key);
        let mut gone = (*have).clone();
        gone.arrears_dollars = 0;
        push(sort, Submission::new(TransactionType::Delete, gone));
    }
    plan.sort_by(|a, b| (&a.0, a.1).cmp(&(&b.0, b.1)));
    plan.into_iter().map(|(_, _, s)| s).collect()
}

/// What `certified` becomes once `submission` is accepted by OCSE (the gateway records
/// it; a rejected submission is simply not applied).
///
/// A inserts the certification; D removes the key; M, C, L, Z, R replace the amount,
/// case id, local code, address, exclusions; B renames both case types of the SSN and
/// state. S, T and U do not change what is certified (\[I\]). A change to a key that is
/// not certified does nothing (OCSE rejects it: key-match rule, \[V\]).
pub fn apply(certified: &mut BTreeMap<OffsetKey, Certification>, submission: &Submission) {
    let c = &submission.certification;
    let key = &c.key;
    match submission.transaction {
        TransactionType::Add => {
            certified.insert(key.clone(), c.clone());
        }
        TransactionType::Delete => {
            certified.remove(key);
        }
        TransactionType::NameChange => {
            for t in CaseType::ALL {
                let k = OffsetKey::new(&key.state, key.ssn.clone(), t);
                if let Some(have) = certified.get_mut(&k) {
                    have.last_name.clone_from(&c.last_name);
                    have.first_name.clone_from(&c.first_name);
                }
            }
        }
        t => {
            let Some(have) = certified.get_mut(key) else {
                return;
            };
            match t {
                TransactionType::Modify => have.arrears_dollars = c.arrears_dollars,
                TransactionType::CaseIdChange => have.case_id.clone_from(&c.case_id),
                TransactionType::LocalCodeChange => have.local_code.clone_from(&c.local_code),
                TransactionType::AddressChange => have.address.clone_from(&c.address),
                TransactionType::ReplaceExclusions => have.exclusions.clone_from(&c.exclusions),
                _ => {}
            }
        }
    }
}
