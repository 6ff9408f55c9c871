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
    let case_id = case.id.as_str();
    on_tx!(tx, c => {
        sqlx::query("DELETE FROM case_people WHERE case_id = $1")
            .bind(case_id)
            .execute(c)
            .await?
            .rows_affected()
    });
    for participant in &case.participants {
        let Some(ssn) = &participant.person.ssn else {
            continue;
        };
        on_tx!(tx, c => {
            sqlx::query(
                "INSERT INTO case_people (case_id, role, ssn_hash) VALUES ($1, $2, $3) \
                 ON CONFLICT DO NOTHING",
            )
            .bind(case_id)
            .bind(participant.role.code())
            .bind(key.ssn_hash(ssn))
            .execute(c)
            .await?
            .rows_affected()
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
