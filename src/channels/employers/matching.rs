//! Matching new hires to noncustodial parents.
//!
//! Every case the state system pushes has the keyed hashes of its participants' SSNs
//! indexed by role (`case_people`), in the same transaction that stores the case. An
//! accepted new-hire report is looked up by its own keyed hash; a noncustodial parent on
//! an open case with a support order in force is a match:
//! - the state system gets a `case.new_employer` event (the employer's name, FEIN and
//!   address, the hire date, and the person by role and last four SSN digits only);
//! - when the order has a current obligation, an income withholding order goes to the
//!   employer ([`super::iwo`]).

use ivd_model::{Case, CaseStatus, ParticipantRole};

use super::newhire::MatchTarget;
use crate::config::Settings;
use crate::on_tx;
use crate::privacy::LookupKey;
use crate::store::events::{self, NewEvent};
use crate::store::{DbTx, StoreError, cases};

/// Re-indexes the participants of `case` (in the transaction that stores it).
pub async fn index_case(tx: &mut DbTx, key: &LookupKey, case: &Case) -> Result<(), StoreError> {
    index_cases(tx, key, &[(case, true)]).await
}

/// Cases [`index_cases`] re-indexes per statement (a few participants each: well under the
/// backends' limits on bound parameters).
const INDEX_CHUNK: usize = 500;

/// Indexes the participants of each of `cases` (distinct cases, in the transaction that
/// stores them): one delete and one insert per 500 cases, not one statement per person, so
/// that a bulk push indexes as fast as it stores. A case marked `true` may have been
/// indexed before, and its rows are replaced; one marked `false` is new (stored for the
/// first time in this transaction) and has none, so nothing is deleted for it. That
/// matters on a first load: on a table bulk-loaded since PostgreSQL last analyzed it, the
/// planner expects each case id to match many rows and deletes with a scan of the whole
/// table (tens of milliseconds at 300,000 rows, every batch).
pub async fn index_cases(
    tx: &mut DbTx,
    key: &LookupKey,
    cases: &[(&Case, bool)],
) -> Result<(), StoreError> {
    for chunk in cases.chunks(INDEX_CHUNK) {
        let replaced: Vec<&str> = chunk
            .iter()
            .filter(|(_, replace)| *replace)
            .map(|(case, _)| case.id.as_str())
            .collect();
        if !replaced.is_empty() {
            on_tx!(tx, c => {
                let mut delete =
                    sqlx::QueryBuilder::new("DELETE FROM case_people WHERE case_id IN (");
                let mut list = delete.separated(", ");
                for case_id in &replaced {
                    list.push_bind(*case_id);
                }
                delete.push(")");
                delete.build().execute(c).await?.rows_affected()
            });
        }
        let people: Vec<(&str, &str, String)> = chunk
            .iter()
            .flat_map(|(case, _)| {
                case.participants.iter().filter_map(|participant| {
                    let ssn = participant.person.ssn.as_ref()?;
                    Some((case.id.as_str(), participant.role.code(), key.ssn_hash(ssn)))
                })
            })
            .collect();
        if people.is_empty() {
            continue;
        }
        on_tx!(tx, c => {
            let mut insert =
                sqlx::QueryBuilder::new("INSERT INTO case_people (case_id, role, ssn_hash) ");
            insert.push_values(&people, |mut row, (case_id, role, hash)| {
                row.push_bind(*case_id).push_bind(*role).push_bind(hash.as_str());
            });
            insert.push(" ON CONFLICT DO NOTHING");
            insert.build().execute(c).await?.rows_affected()
        });
    }
    Ok(())
}

/// Whether an order of the case is in force on `today`: an obligation running, or arrears
/// owed.
pub fn has_order_in_force(case: &Case, today: time::Date) -> bool {
    case.status == CaseStatus::Open
        && case.orders.iter().any(|order| {
            order.obligations.iter().any(|o| is_current(o, today))
                || order.arrears.iter().any(|a| a.amount.cents() > 0)
        })
}

/// Whether an obligation accrues on `today`.
pub fn is_current(obligation: &ivd_model::Obligation, today: time::Date) -> bool {
    obligation.start_on <= today && obligation.end_on.is_none_or(|end| end >= today)
}

/// Finds the noncustodial parents among the accepted records of a chunk; reports each
/// match and issues withholding orders. Returns the number of records matched.
pub(super) async fn match_new_hires<T: MatchTarget>(
    tx: &mut DbTx,
    settings: &Settings,
    receipt_id: &str,
    records: &mut T,
    now: i64,
) -> Result<i64, StoreError> {
    let accepted = records.accepted();
    if accepted.is_empty() {
        return Ok(0);
    }
    let mut hits: Vec<(String, String)> = Vec::new();
    for part in accepted.chunks(500) {
        let rows: Vec<(String, String)> = on_tx!(tx, c => {
            let mut select = sqlx::QueryBuilder::new(
                "SELECT ssn_hash, case_id FROM case_people WHERE role = ",
            );
            select.push_bind(ParticipantRole::NoncustodialParent.code());
            select.push(" AND ssn_hash IN (");
            let mut list = select.separated(", ");
            for record in part {
                list.push_bind(record.ssn_hash.to_string());
            }
            select.push(") ORDER BY case_id");
            select.build_query_as().fetch_all(c).await?
        });
        hits.extend(rows);
    }
    if hits.is_empty() {
        return Ok(0);
    }
    let today = super::newhire::date_of(now);
    let mut matched: Vec<(i64, String)> = Vec::new();
    for view in &accepted {
        for (_, case_id) in hits.iter().filter(|(hash, _)| hash == view.ssn_hash) {
            let Some(stored) = cases::get_in(tx, case_id).await? else {
                continue;
            };
            let Ok(case) = serde_json::from_str::<Case>(&stored.snapshot) else {
                continue;
            };
            if !has_order_in_force(&case, today) {
                continue;
            }
            let new_hire = view.new_hire;
            let reference = format!("{receipt_id}/{}", view.record_no);
            let employer = &new_hire.employer;
            events::append(
                tx,
                &NewEvent {
                    kind: "case.new_employer",
                    partner: None,
                    case_id: Some(case_id),
                    receipt_id: Some(receipt_id),
                    payload: serde_json::json!({
                        "newHire": reference,
                        "participant": {
                            "role": ParticipantRole::NoncustodialParent.code(),
                            "ssnLast4": new_hire.employee.ssn.last4(),
                        },
                        "hireDate": new_hire.hire_date.to_string(),
                        "stateOfHire": new_hire.state_of_hire,
                        "employer": {
                            "fein": employer.fein.expose(),
                            "name": employer.name,
                            "address": super::iwo::employer_address_json(new_hire),
                        },
                    }),
                },
                now,
            )
            .await?;
            super::iwo::issue_for_new_hire(tx, settings, &case, new_hire, &reference, now).await?;
            matched.push((view.record_no, case_id.clone()));
        }
    }
    let count = matched
        .iter()
        .map(|(r, _)| *r)
        .collect::<std::collections::BTreeSet<_>>()
        .len() as i64;
    drop(accepted);
    for (record_no, case_id) in matched {
        records.set_matched(record_no, &case_id);
    }
    Ok(count)
}
