//! Income withholding orders to employers (e-IWO) and the employers' acknowledgments.
//!
//! # Invariants
//! - **Issued in the transaction of its cause.** The order, its outbox message, its
//!   acknowledgment deadline and the `eiwo.issued` event commit together with the new-hire
//!   verdict that matched, or not at all.
//! - **Control and tracking numbers are never reused.** They come from counters that only
//!   grow; a retry sends the same bytes, so the portal never sees a number twice.
//! - **One order per case and employer.** A later report of the same employee at the same
//!   employer does not issue a second original order while one is outstanding or accepted.
//! - **Every answer is recorded once.** An acknowledgment is matched to its order by
//!   tracking number and the employer's FEIN; it closes the deadline and goes on the state
//!   feed (`eiwo.accepted`, `eiwo.rejected` with the reason, `eiwo.employer_notice` for
//!   terminations and lump sums the employer reports on its own).

use std::sync::Arc;

use ivd_eiwo::{AckFile, Acknowledgment};
use ivd_model::Case;
use ivd_newhire::NewHire;
use sha2::{Digest, Sha256};

use crate::config::{IwoIssuerSettings, Settings};
use crate::intake::{Processor, Receipt};
use crate::outbox::{self, NewMessage};
use crate::reconcile::deadlines::{self, Expectation};
use crate::store::events::{self, NewEvent};
use crate::store::{Db, DbTx, StoreError, serials};
use crate::{on_read, on_tx};

/// The intake channel of employers' acknowledgment files.
pub const ACK_CHANNEL: &str = "eiwo-acks";

/// The outbox kind of an e-IWO file.
pub const KIND: &str = "eiwo";

/// The deadline kind of an employer's acknowledgment.
pub const ACK_KIND: &str = "eiwo-ack";

/// The employer's address as an event shows it (the payroll address where one is given).
pub fn employer_address_json(new_hire: &NewHire) -> serde_json::Value {
    let a = &new_hire.employer.address;
    let lines: Vec<&str> = std::iter::once(a.line1.as_str())
        .chain(a.line2.as_deref())
        .chain(a.line3.as_deref())
        .filter(|l| !l.trim().is_empty())
        .collect();
    serde_json::json!({
        "lines": lines,
        "city": a.city,
        "state": a.state,
        "zip": a.zip5,
        "country": a.country_code,
    })
}

fn state_fips2(settings: &Settings) -> String {
    settings
        .state
        .fips
        .as_deref()
        .and_then(|f| f.get(..2))
        .unwrap_or("00")
        .to_string()
}

/// Issues an original e-IWO for the case to the employer of `new_hire`, when an issuer is
/// configured, the employer is a configured partner, and no order to it is outstanding.
/// Returns the tracking number.
pub async fn issue_for_new_hire(
    tx: &mut DbTx,
    settings: &Settings,
    case: &Case,
    new_hire: &NewHire,
    new_hire_ref: &str,
    now: i64,
) -> Result<Option<String>, StoreError> {
    let Some(issuer) = &settings.employers.iwo else {
        return Ok(None);
    };
    let case_id = case.id.as_str();
    let fein = new_hire.employer.fein.expose();
    let not_issued = |reason: &'static str| serde_json::json!({ "newHire": new_hire_ref, "employerFein": fein, "reason": reason });
    let Some(partner) = settings.employer_partner(fein) else {
        events::append(
            tx,
            &NewEvent {
                kind: "eiwo.not_issued",
                partner: None,
                case_id: Some(case_id),
                receipt_id: None,
                payload: not_issued("employer is not an e-IWO partner; send the order on paper"),
            },
            now,
        )
        .await?;
        return Ok(None);
    };
    let outstanding: Option<(String,)> = on_tx!(tx, c => {
        sqlx::query_as(
            "SELECT tracking_number FROM withholding_orders WHERE case_id = $1 AND employer_fein = $2 \
             AND status IN ('sent', 'accepted') LIMIT 1",
        )
        .bind(case_id)
        .bind(fein)
        .fetch_optional(c)
        .await?
    });
    if outstanding.is_some() {
        return Ok(None);
    }
    let fips2 = state_fips2(settings);
    let tracking_number = format!("{fips2}{:010}", serials::next(tx, "eiwo-tracking").await?);
    let file_control = format!("{fips2}F{:019}", serials::next(tx, "eiwo-file").await?);
    let batch_control = format!("{fips2}B{:019}", serials::next(tx, "eiwo-batch").await?);
    let Some(ncp_ssn) = new_hire.employee.ssn.as_ssn() else {
        return Ok(None);
    };
    let today = super::newhire::date_of(now);
    let built = iwo_context(issuer, settings, case, new_hire, &tracking_number, today).and_then(
        |context| ivd_eiwo::iwo_from_case(case, &ncp_ssn, &context).map_err(|e| e.to_string()),
    );
    let iwo = match built {
        Ok(iwo) => iwo,
        Err(reason) => {
            events::append(
                tx,
                &NewEvent {
                    kind: "eiwo.not_issued",
                    partner: Some(&partner.id),
                    case_id: Some(case_id),
                    receipt_id: None,
                    payload: serde_json::json!({
                        "newHire": new_hire_ref,
                        "employerFein": fein,
                        "reason": reason,
                    }),
                },
                now,
            )
            .await?;
            return Ok(None);
        }
    };
    let created = time::OffsetDateTime::from_unix_timestamp(now / 1000)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    let payload = ivd_eiwo::write_iwo_file(
        &ivd_eiwo::FileHeaderInfo {
            control_number: file_control.clone(),
            state_fips: ivd_model::StateFips::parse(&fips2).ok(),
            ein: new_hire.employer.fein.clone(),
            primary_ein: None,
            created: time::PrimitiveDateTime::new(created.date(), created.time()),
        },
        &[ivd_eiwo::IwoBatch {
            control_number: batch_control,
            fein: new_hire.employer.fein.clone(),
            iwos: vec![iwo],
        }],
    )
    .map_err(|e| StoreError::Invalid(format!("writing an e-IWO file: {e}")))?;
    let message = NewMessage {
        partner: partner.id.clone(),
        ordering_key: case_id.to_string(),
        idempotency_key: format!("eiwo-{tracking_number}"),
        kind: KIND.to_string(),
        content_type: "text/plain".to_string(),
        file_name: format!("EIWO.{file_control}.txt"),
        payload,
        cause_kind: "new-hire".to_string(),
        cause_id: new_hire_ref.to_string(),
        max_attempts: settings.max_attempts_for(&partner.id),
        run_at: now,
        replay_of: None,
    };
    let message_id = outbox::enqueue(tx, &message, now).await?.id();
    let due_at = now + settings.employers.iwo_ack_days * 86_400_000;
    on_tx!(tx, c => {
        sqlx::query(
            "INSERT INTO withholding_orders (tracking_number, case_id, employer_fein, partner, action, \
             file_control, message_id, new_hire, created_at, ack_due_at, status) \
             VALUES ($1, $2, $3, $4, 'ORG', $5, $6, $7, $8, $9, 'sent')",
        )
        .bind(&tracking_number)
        .bind(case_id)
        .bind(fein)
        .bind(&partner.id)
        .bind(&file_control)
        .bind(message_id)
        .bind(new_hire_ref)
        .bind(now)
        .bind(due_at)
        .execute(c)
        .await?
        .rows_affected()
    });
    deadlines::expect(
        tx,
        &Expectation {
            partner: &partner.id,
            message_id: Some(message_id),
            reference: &tracking_number,
            kind: ACK_KIND,
            due_at,
            case_id: Some(case_id),
        },
        now,
    )
    .await?;
    events::append(
        tx,
        &NewEvent {
            kind: "eiwo.issued",
            partner: Some(&partner.id),
            case_id: Some(case_id),
            receipt_id: None,
            payload: serde_json::json!({
                "trackingNumber": tracking_number,
                "fileControl": file_control,
                "employerFein": fein,
                "newHire": new_hire_ref,
                "acknowledgmentDueAt": due_at,
            }),
        },
        now,
    )
    .await?;
    Ok(Some(tracking_number))
}

/// The order's context: the issuer from the configuration, the employer from the report
/// (its payroll address, where one is given, is where the order goes).
fn iwo_context(
    issuer: &IwoIssuerSettings,
    settings: &Settings,
    case: &Case,
    new_hire: &NewHire,
    tracking_number: &str,
    today: time::Date,
) -> Result<ivd_eiwo::IwoContext, String> {
    use ivd_eiwo::{
        DocumentAction, IssuingOfficial, IwoContext, IwoEmployer, PostalAddress, Remittance,
        StateContact, WithholdingTerms,
    };
    let employer = &new_hire.employer;
    let address = employer
        .optional_address
        .as_ref()
        .unwrap_or(&employer.address);
    let postal = |a: &ivd_newhire::PostalAddress| PostalAddress {
        line1: a.line1.to_string(),
        line2: a.line2.as_deref().unwrap_or_default().to_string(),
        city: a.city.to_string(),
        state: a.state.as_deref().unwrap_or_default().to_string(),
        zip5: a.zip5.as_deref().unwrap_or_default().to_string(),
        zip4: a.zip4.as_deref().unwrap_or_default().to_string(),
    };
    let remittance_fips = ivd_model::Fips::parse(&issuer.remittance_fips).map_err(|e| {
        format!(
            "employers.iwo.remittance_fips is not a FIPS code ({})",
            e.code()
        )
    })?;
    let contact = StateContact {
        name: issuer.contact_name.clone().unwrap_or_default(),
        phone: issuer.contact_phone.clone().unwrap_or_default(),
        ..StateContact::default()
    };
    let _ = settings;
    Ok(IwoContext {
        action: DocumentAction::Original,
        document_date: today,
        tracking_number: tracking_number.to_string(),
        order: None,
        issuing_state: issuer.issuing_state.clone(),
        issuing_jurisdiction: issuer.issuing_jurisdiction.clone(),
        issuing_tribunal: issuer.issuing_jurisdiction.clone(),
        employer: IwoEmployer {
            name: employer.name.to_string(),
            address: postal(address),
            fein: employer.fein.clone(),
        },
        remittance: Remittance {
            payee_name: issuer.payee_name.clone(),
            payee_address: PostalAddress {
                line1: issuer.payee_address.clone(),
                city: issuer.payee_city.clone(),
                state: issuer.payee_state.clone(),
                zip5: issuer.payee_zip.clone(),
                ..PostalAddress::default()
            },
            fips: remittance_fips,
            remittance_id: case.id.as_str().to_string(),
        },
        terms: WithholdingTerms {
            state_tribe_territory: issuer.issuing_state.clone(),
            begin_within_days: issuer.begin_within_days.min(99) as u8,
            send_payment_within_days: issuer.send_within_days.min(99) as u8,
            ccpa_percent: issuer.ccpa_percent.min(99) as u8,
            send_employee_copy: true,
            ..WithholdingTerms::default()
        },
        arrears_over_12_weeks: false,
        official: IssuingOfficial {
            name: issuer.official_name.clone(),
            title: issuer.official_title.clone(),
        },
        employee_contact: contact.clone(),
        employer_contact: contact,
        employer_contact_address: PostalAddress {
            line1: issuer.payee_address.clone(),
            city: issuer.payee_city.clone(),
            state: issuer.payee_state.clone(),
            zip5: issuer.payee_zip.clone(),
            ..PostalAddress::default()
        },
        lump_sum: None,
    })
}

/// The first acknowledgment (by record number) for a FEIN not in `scope`.
pub fn feins_outside_scope(file: &AckFile, scope: &[String]) -> Option<u64> {
    file.acknowledgments
        .iter()
        .find(|a| !scope.iter().any(|f| f == a.fein.expose()))
        .map(|a| a.record)
}

/// The message id that makes a second copy of an acknowledgment file a duplicate: its
/// file control number, else its content hash.
pub fn ack_message_id(file: &AckFile, body: &[u8]) -> String {
    if file.file_control.trim().is_empty() {
        format!("sha256:{}", hex::encode(Sha256::digest(body)))
    } else {
        format!("control:{}", file.file_control.trim())
    }
}

/// An acknowledgment file holding `ack`, as an employer's payroll system would write it
/// (the employer pages answer an order with one).
pub fn acknowledgment_file(ack: Acknowledgment, now: i64) -> Result<Vec<u8>, String> {
    let fein = ack.fein.clone();
    let prefix = fein.expose().get(..2).unwrap_or("00").to_string();
    // The control numbers make the file unique (a second copy is a duplicate): the time and
    // the order's number, so two answers sent in the same millisecond stay apart.
    let digits: String = ack
        .tracking_number
        .chars()
        .filter(char::is_ascii_digit)
        .collect();
    let order = digits.get(digits.len().saturating_sub(6)..).unwrap_or("");
    let unique = format!("{:013}{order:0>6}", now.max(0) % 10_000_000_000_000);
    let created = time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(now) * 1_000_000)
        .unwrap_or_else(|_| time::OffsetDateTime::now_utc());
    ivd_eiwo::write_acknowledgments(
        &ivd_eiwo::FileHeaderInfo {
            control_number: format!("{prefix}A{unique}"),
            state_fips: None,
            ein: fein.clone(),
            primary_ein: None,
            created: time::PrimitiveDateTime::new(created.date(), created.time()),
        },
        &[ivd_eiwo::AckBatch {
            control_number: format!("{prefix}B{unique}"),
            fein,
            acknowledgments: vec![ack],
        }],
    )
    .map_err(|e| e.to_string())
}

/// Takes in employers' acknowledgment files.
#[derive(Clone, Debug)]
pub struct AcknowledgmentIntake {
    /// Settings.
    pub settings: Arc<Settings>,
}

#[derive(sqlx::FromRow)]
struct OrderRow {
    tracking_number: String,
    case_id: String,
    employer_fein: String,
    partner: String,
    status: String,
}

async fn find_order(tx: &mut DbTx, ack: &Acknowledgment) -> Result<Option<OrderRow>, StoreError> {
    let tracking = ack.tracking_number.trim();
    let row: Option<OrderRow> = if tracking.is_empty() {
        // Employer-initiated notices may carry no tracking number: the newest order for the
        // case at this employer.
        on_tx!(tx, c => {
            sqlx::query_as::<_, OrderRow>(
                "SELECT tracking_number, case_id, employer_fein, partner, status FROM withholding_orders \
                 WHERE case_id = $1 AND employer_fein = $2 ORDER BY created_at DESC LIMIT 1",
            )
            .bind(ack.case_id.as_str())
            .bind(ack.fein.expose())
            .fetch_optional(c)
            .await?
        })
    } else {
        on_tx!(tx, c => {
            sqlx::query_as::<_, OrderRow>(
                "SELECT tracking_number, case_id, employer_fein, partner, status FROM withholding_orders \
                 WHERE tracking_number = $1",
            )
            .bind(tracking)
            .fetch_optional(c)
            .await?
        })
    };
    // An answer about another employer's order is not an answer.
    Ok(row.filter(|o| o.employer_fein == ack.fein.expose()))
}

#[async_trait::async_trait]
impl Processor for AcknowledgmentIntake {
    async fn process(
        &self,
        tx: &mut DbTx,
        receipt: &Receipt,
        now: i64,
    ) -> Result<String, StoreError> {
        let file = ivd_eiwo::read_acknowledgments(&receipt.body);
        let invalid = file.verdicts.iter().filter(|v| !v.is_valid()).count();
        if !file.is_envelope_valid() {
            // The portal's rule: a file whose envelope is wrong is rejected whole.
            let codes: Vec<&str> = file
                .envelope_errors
                .iter()
                .map(|e| e.code.as_str())
                .collect();
            events::append(
                tx,
                &NewEvent {
                    kind: "eiwo.ack_file_rejected",
                    partner: Some(&receipt.partner),
                    case_id: None,
                    receipt_id: Some(&receipt.receipt_id),
                    payload: serde_json::json!({ "envelopeErrors": codes, "records": file.verdicts.len() }),
                },
                now,
            )
            .await?;
            return Ok(format!(
                "acknowledgment file rejected: {} envelope error(s); nothing applied",
                file.envelope_errors.len()
            ));
        }
        let (mut accepted, mut rejected, mut notices, mut unmatched, mut repeated) =
            (0, 0, 0, 0, 0);
        for ack in &file.acknowledgments {
            let Some(order) = find_order(tx, ack).await? else {
                unmatched += 1;
                events::append(
                    tx,
                    &NewEvent {
                        kind: "eiwo.ack_unmatched",
                        partner: Some(&receipt.partner),
                        case_id: Some(ack.case_id.as_str()),
                        receipt_id: Some(&receipt.receipt_id),
                        payload: serde_json::json!({
                            "record": ack.record,
                            "trackingNumber": ack.tracking_number.trim(),
                            "employerFein": ack.fein.expose(),
                        }),
                    },
                    now,
                )
                .await?;
                continue;
            };
            let disposition = &ack.disposition;
            let mut payload = serde_json::json!({
                "trackingNumber": order.tracking_number,
                "employerFein": order.employer_fein,
                "record": ack.record,
                "action": ack.action.code(),
                "status": disposition.status.code(),
                "reason": disposition.reason.map(|r| r.code()),
                "reasonText": disposition.reason.map(|r| r.meaning()),
            });
            if let Some(date) = ack.termination_date {
                payload["terminationDate"] = serde_json::json!(date.to_string());
            }
            if ack.action == ivd_eiwo::AckAction::EmployerInitiated {
                notices += 1;
                events::append(
                    tx,
                    &NewEvent {
                        kind: "eiwo.employer_notice",
                        partner: Some(&order.partner),
                        case_id: Some(&order.case_id),
                        receipt_id: Some(&receipt.receipt_id),
                        payload,
                    },
                    now,
                )
                .await?;
                continue;
            }
            if order.status != "sent" {
                repeated += 1;
                continue;
            }
            let is_accepted = disposition.status == ivd_eiwo::DispositionStatus::Accepted;
            on_tx!(tx, c => {
                sqlx::query(
                    "UPDATE withholding_orders SET status = $1, disposition = $2, reason = $3, acked_at = $4, \
                     ack_receipt = $5 WHERE tracking_number = $6 AND status = 'sent'",
                )
                .bind(if is_accepted { "accepted" } else { "rejected" })
                .bind(disposition.status.code())
                .bind(disposition.reason.map(|r| r.code()))
                .bind(now)
                .bind(&receipt.receipt_id)
                .bind(&order.tracking_number)
                .execute(c)
                .await?
                .rows_affected()
            });
            deadlines::satisfy(
                tx,
                &order.partner,
                &order.tracking_number,
                ACK_KIND,
                &receipt.receipt_id,
                now,
            )
            .await?;
            if is_accepted {
                accepted += 1;
            } else {
                rejected += 1;
            }
            events::append(
                tx,
                &NewEvent {
                    kind: if is_accepted {
                        "eiwo.accepted"
                    } else {
                        "eiwo.rejected"
                    },
                    partner: Some(&order.partner),
                    case_id: Some(&order.case_id),
                    receipt_id: Some(&receipt.receipt_id),
                    payload,
                },
                now,
            )
            .await?;
        }
        Ok(format!(
            "{} acknowledgment(s): {accepted} accepted, {rejected} rejected, {notices} employer notice(s), \
             {unmatched} unmatched, {repeated} already answered, {invalid} invalid record(s), {} envelope error(s)",
            file.acknowledgments.len(),
            file.envelope_errors.len()
        ))
    }
}

/// An order as the API and reconciliation show it.
#[derive(Clone, Debug, serde::Serialize, sqlx::FromRow)]
#[serde(rename_all = "camelCase")]
pub struct WithholdingOrder {
    /// Tracking number.
    pub tracking_number: String,
    /// The case.
    pub case_id: String,
    /// The employer's FEIN.
    pub employer_fein: String,
    /// The employer partner.
    pub partner: String,
    /// ORG, AMD, TRM or LUM.
    pub action: String,
    /// sent, accepted or rejected.
    pub status: String,
    /// The employer's disposition code.
    pub disposition: Option<String>,
    /// The employer's reason code.
    pub reason: Option<String>,
    /// When it was issued.
    pub created_at: i64,
    /// When the acknowledgment is due.
    pub ack_due_at: i64,
    /// When it was answered.
    pub acked_at: Option<i64>,
}

/// The orders of a case, newest first.
pub async fn orders_for_case(db: &Db, case_id: &str) -> Result<Vec<WithholdingOrder>, StoreError> {
    Ok(on_read!(db, c => {
        sqlx::query_as::<_, WithholdingOrder>(
            "SELECT tracking_number, case_id, employer_fein, partner, action, status, disposition, reason, \
             created_at, ack_due_at, acked_at FROM withholding_orders WHERE case_id = $1 ORDER BY created_at DESC",
        )
        .bind(case_id)
        .fetch_all(c)
        .await?
    }))
}
