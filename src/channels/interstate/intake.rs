//! Taking in CSENet transactions from a partner state.
//!
//! A body (an HTTP request or a picked-up incoming data set) may hold many transactions,
//! one per line. The body is stored first, as one receipt; then, in the transaction that
//! marks the receipt processed, every transaction gets its verdict:
//! - **rejected** — it does not parse or breaks the CSENet rules (each error with field,
//!   position and code), it does not come from the partner whose certificate sent it (the
//!   sender's FIPS state is not the partner's) or is not addressed to us, or its function
//!   is outside the exchange agreement;
//! - **duplicate** — the partner's serial number was seen before (de-duplication by sender
//!   FIPS and serial): linked to the first receipt, not applied again;
//! - **accepted** — an event `csenet.received` on the state system's feed carries the
//!   transaction and its canonical view.
//!
//! Point of view: a transaction a partner sends directly carries the outbound (127-byte)
//! header from *its* point of view (Local = sender, Other = us); one relayed by the CSENet
//! server carries the inbound (121-byte) header, already swapped by the server (Local = us,
//! Other = sender). Each is read as it stands; nothing is swapped again.

use std::sync::Arc;

use ivd_csenet::acknowledgment::{self, AckContext, AckDecision};
use ivd_csenet::{HeaderKind, Transaction};
use serde::{Deserialize, Serialize};

use crate::config::Settings;
use crate::intake::{self, Processor, Receipt};
use crate::outbox::{self, NewMessage};
use crate::reconcile::deadlines;
use crate::store::events::{self, NewEvent};
use crate::store::{DbTx, StoreError, cases, serials};

/// The intake channel name of CSENet bodies.
pub const CHANNEL: &str = "csenet";

/// One problem of a transaction (the `check` contract's error shape).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Problem {
    /// Field (`PARTICIPANT[2].SSN`, `LOCAL-FIPS`, …).
    pub field: String,
    /// 1-based byte position in the transaction, when the problem has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub position: Option<usize>,
    /// Stable code.
    pub code: String,
    /// What is wrong, never the value.
    pub message: String,
}

impl From<&ivd_fixed::FieldError> for Problem {
    fn from(e: &ivd_fixed::FieldError) -> Self {
        Problem {
            field: e.field.to_string(),
            position: e.position,
            code: e.code.as_str().to_string(),
            message: e.message.clone(),
        }
    }
}

/// What happened to one transaction of a body.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TransactionVerdict {
    /// Position in the body, from 1.
    pub record: u64,
    /// `accepted`, `duplicate` or `rejected`.
    pub status: String,
    /// The sender's serial number, when it could be read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub serial_number: Option<u64>,
    /// Function, action and reason, when they could be read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transaction: Option<String>,
    /// For a duplicate: the receipt that first carried it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_receipt: Option<String>,
    /// Why it was rejected.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<Problem>,
}

/// Processes CSENet bodies of the partners that have an exchange agreement.
#[derive(Debug, Clone)]
pub struct CsenetIntake {
    settings: Arc<Settings>,
}

impl CsenetIntake {
    /// A processor for these settings.
    pub fn new(settings: Arc<Settings>) -> Self {
        CsenetIntake { settings }
    }

    /// Gives every transaction of `receipt` its verdict, in the caller's transaction.
    pub async fn take_in(
        &self,
        tx: &mut DbTx,
        receipt: &Receipt,
        now: i64,
    ) -> Result<Vec<TransactionVerdict>, StoreError> {
        let direct = self
            .settings
            .partner(&receipt.partner)
            .and_then(|p| p.csenet_agreement().map(|a| (p.id.as_str(), a)));
        let our_state = self
            .settings
            .state
            .fips
            .as_deref()
            .map(|f| f[..2].to_string());
        let mut verdicts = Vec::new();
        for (record, n) in ivd_csenet::split_transactions(&receipt.body).zip(1u64..) {
            let rejected = |errors: Vec<Problem>, t: Option<&Transaction>| TransactionVerdict {
                record: n,
                status: "rejected".to_string(),
                serial_number: t.map(|t| t.header.serial_number),
                transaction: t.map(describe),
                first_receipt: None,
                errors,
            };
            let transaction = match Transaction::parse(record) {
                Ok(t) => t,
                Err(errors) => {
                    verdicts.push(rejected(errors.iter().map(Problem::from).collect(), None));
                    continue;
                }
            };
            let h = &transaction.header;
            let (sender, receiver, sender_field, receiver_field) = match transaction.header_kind() {
                HeaderKind::Outbound => (&h.local_fips, &h.other_fips, "LOCAL-FIPS", "OTHER-FIPS"),
                HeaderKind::Inbound => (&h.other_fips, &h.local_fips, "OTHER-FIPS", "LOCAL-FIPS"),
            };
            let mut problems = Vec::new();
            // Sent directly, the sender is the partner whose certificate (or pick-up
            // directory) it came through; relayed by the CSENet server, it is the partner
            // state whose FIPS the transaction names.
            let sender_partner = match &direct {
                Some((id, agreement)) => {
                    if sender.state != agreement.fips[..2] {
                        problems.push(problem(sender_field, "SENDER_FIPS", "the transaction does not come from the state whose certificate sent it"));
                    }
                    Some((id.to_string(), agreement.clone()))
                }
                None => {
                    let found = self.settings.partners.iter().find_map(|p| {
                        let agreement = p.csenet_agreement()?;
                        (agreement.fips[..2] == sender.state).then(|| (p.id.clone(), agreement))
                    });
                    if found.is_none() {
                        problems.push(problem(
                            sender_field,
                            "NO_AGREEMENT",
                            "there is no CSENet exchange agreement with the sending state",
                        ));
                    }
                    found
                }
            };
            if let Some((_, agreement)) = &sender_partner
                && !agreement.allows(h.function.code())
            {
                problems.push(problem(
                    "FUNCTION",
                    "NOT_IN_AGREEMENT",
                    "the exchange agreement does not cover this function",
                ));
            }
            if our_state.as_deref() != Some(receiver.state.as_str()) {
                problems.push(problem(
                    receiver_field,
                    "RECEIVER_FIPS",
                    "the transaction is not addressed to this state",
                ));
            }
            let Some((partner, _)) = sender_partner.filter(|_| problems.is_empty()) else {
                verdicts.push(rejected(problems, Some(&transaction)));
                continue;
            };
            let key = format!(
                "csenet:{}:{:012}",
                sender.code().trim_end(),
                h.serial_number
            );
            if let Some(first) =
                intake::claim_message_id(tx, &partner, &key, &receipt.receipt_id, now).await?
            {
                verdicts.push(TransactionVerdict {
                    record: n,
                    status: "duplicate".to_string(),
                    serial_number: Some(h.serial_number),
                    transaction: Some(describe(&transaction)),
                    first_receipt: Some(first),
                    errors: Vec::new(),
                });
                continue;
            }
            if let Some(problem) = self.unknown_case(tx, &transaction).await? {
                let ours = our_point_of_view(&transaction);
                let rejection = self
                    .reject_unknown_case(tx, (&partner, receipt, n), &ours, now)
                    .await?;
                events::append(
                    tx,
                    &NewEvent {
                        kind: "csenet.rejected",
                        partner: Some(&partner),
                        case_id: None,
                        receipt_id: Some(&receipt.receipt_id),
                        payload: serde_json::json!({
                            "record": n,
                            "serialNumber": h.serial_number,
                            "function": h.function.code(),
                            "action": h.action.code(),
                            "reason": h.reason,
                            "code": problem.code,
                            "rejectedWithSerial": rejection,
                        }),
                    },
                    now,
                )
                .await?;
                verdicts.push(rejected(vec![problem], Some(&transaction)));
                continue;
            }
            let answered = self
                .note_answer(tx, &partner, receipt, &transaction, now)
                .await?;
            let acknowledged = self
                .acknowledge(tx, &partner, receipt, n, &transaction, now)
                .await?;
            let view = ivd_csenet::translate::to_model(&transaction);
            let payload = serde_json::json!({
                "record": n,
                "senderFips": sender.code().trim_end(),
                "serialNumber": h.serial_number,
                "function": h.function.code(),
                "action": h.action.code(),
                "reason": h.reason,
                "answers": answered,
                "acknowledgedWithSerial": acknowledged,
                "transaction": transaction,
                "case": view.as_ref().ok(),
                "translationErrors": view.as_ref().err().map(|errors| errors.iter().map(|e| serde_json::json!({
                    "field": e.field, "code": e.code, "message": e.message,
                })).collect::<Vec<_>>()),
            });
            let ours = our_point_of_view(&transaction);
            let case_id = ours.header.case_id.trim();
            events::append(
                tx,
                &NewEvent {
                    kind: "csenet.received",
                    partner: Some(&partner),
                    case_id: (!case_id.is_empty()).then_some(case_id),
                    receipt_id: Some(&receipt.receipt_id),
                    payload,
                },
                now,
            )
            .await?;
            verdicts.push(TransactionVerdict {
                record: n,
                status: "accepted".to_string(),
                serial_number: Some(h.serial_number),
                transaction: Some(describe(&transaction)),
                first_receipt: None,
                errors: Vec::new(),
            });
        }
        Ok(verdicts)
    }
}

impl CsenetIntake {
    /// An acknowledgment or a case-status answer from the partner satisfies the oldest
    /// open deadline of that kind for our case; returns the reference (our serial) it
    /// answered.
    async fn note_answer(
        &self,
        tx: &mut DbTx,
        partner: &str,
        receipt: &Receipt,
        t: &Transaction,
        now: i64,
    ) -> Result<Option<String>, StoreError> {
        use ivd_csenet::{ActionCode, FunctionCode};
        let h = &t.header;
        let kind = match (&h.function, &h.action) {
            (_, ActionCode::Acknowledge) => "csenet.acknowledgment",
            (FunctionCode::Csi, ActionCode::Provide) => "csenet.case-status-response",
            _ => return Ok(None),
        };
        let ours = our_point_of_view(t);
        let case_id = ours.header.case_id.trim();
        if case_id.is_empty() {
            return Ok(None);
        }
        deadlines::satisfy_for_case(tx, partner, kind, case_id, &receipt.receipt_id, now).await
    }

    /// A referral (PAT, EST or ENF request) is acknowledged at once (`A ANOAD`): the
    /// acknowledgment is enqueued to the partner in the transaction that accepts the
    /// referral. Returns the acknowledgment's serial number.
    async fn acknowledge(
        &self,
        tx: &mut DbTx,
        partner: &str,
        receipt: &Receipt,
        record: u64,
        t: &Transaction,
        now: i64,
    ) -> Result<Option<u64>, StoreError> {
        if self.settings.state.fips.is_none() {
            return Ok(None);
        }
        let ours = our_point_of_view(t);
        let date = time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(now) * 1_000_000)
            .map(|d| d.date())
            .unwrap_or(time::Date::MIN);
        // The serial is taken only when an acknowledgment is due, so none is wasted.
        if !acknowledgment::needs_acknowledgment(&ours) {
            return Ok(None);
        }
        let serial = serials::next(tx, "csenet").await? as u64;
        let context = AckContext {
            serial_number: serial,
            transaction_date: date,
            case_data: self
                .settings
                .state
                .csenet_office
                .clone()
                .unwrap_or_default(),
        };
        let Some(ack) =
            acknowledgment::acknowledgment(&ours, AckDecision::NoFurtherInformation, &context)
        else {
            return Ok(None);
        };
        let reply = Reply {
            partner,
            receipt,
            record,
            kind: "csenet-acknowledgment",
            serial,
        };
        Ok(self
            .enqueue_reply(tx, &reply, &ours, &ack, now)
            .await?
            .then_some(serial))
    }

    /// The problem when the transaction names, as ours, a case this state does not have
    /// (LO1, MSC, ENF, EST, PAT and COL transactions; never an acknowledgment or a
    /// rejection, which would only bounce back and forth).
    async fn unknown_case(
        &self,
        tx: &mut DbTx,
        t: &Transaction,
    ) -> Result<Option<Problem>, StoreError> {
        use ivd_csenet::{ActionCode, FunctionCode};
        let h = &t.header;
        let applies = matches!(
            h.function,
            FunctionCode::Lo1
                | FunctionCode::Msc
                | FunctionCode::Enf
                | FunctionCode::Est
                | FunctionCode::Pat
                | FunctionCode::Col
        ) && h.action != ActionCode::Acknowledge
            && h.reason.trim() != "REJCT";
        let ours = our_point_of_view(t);
        let case_id = ours.header.case_id.trim();
        if !applies || case_id.is_empty() || cases::get_in(tx, case_id).await?.is_some() {
            return Ok(None);
        }
        Ok(Some(problem(
            "CASE-ID",
            "UNKNOWN_CASE",
            "this state has no case with the id the transaction names; answered with MSC P REJCT",
        )))
    }

    /// A transaction that names a case of ours we do not have is answered `MSC P REJCT`
    /// (CSENet Release 04-01) instead of being applied. Returns the rejection's serial.
    async fn reject_unknown_case(
        &self,
        tx: &mut DbTx,
        reply_to: (&str, &Receipt, u64),
        ours: &Transaction,
        now: i64,
    ) -> Result<Option<u64>, StoreError> {
        let (partner, receipt, record) = reply_to;
        let date = time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(now) * 1_000_000)
            .map(|d| d.date())
            .unwrap_or(time::Date::MIN);
        let serial = serials::next(tx, "csenet").await? as u64;
        let rejection = acknowledgment::rejection(ours, serial, date);
        let reply = Reply {
            partner,
            receipt,
            record,
            kind: "csenet-rejection",
            serial,
        };
        Ok(self
            .enqueue_reply(tx, &reply, ours, &rejection, now)
            .await?
            .then_some(serial))
    }

    /// Writes an answer to a received transaction and enqueues it to the sender; false
    /// when it cannot be written (logged; the received transaction keeps its verdict).
    async fn enqueue_reply(
        &self,
        tx: &mut DbTx,
        reply: &Reply<'_>,
        ours: &Transaction,
        answer: &Transaction,
        now: i64,
    ) -> Result<bool, StoreError> {
        let Some(our_fips) = self.settings.state.fips.as_deref() else {
            return Ok(false);
        };
        let mut payload = match answer.write(HeaderKind::Outbound) {
            Ok(bytes) => bytes,
            Err(errors) => {
                tracing::warn!(partner = reply.partner, receipt_id = %reply.receipt.receipt_id, record = reply.record, kind = reply.kind, errors = errors.len(), "An answer to a received transaction could not be written.");
                return Ok(false);
            }
        };
        payload.push(b'\n');
        let key = format!("csenet-{our_fips}-{:012}", reply.serial);
        let case = ours.header.case_id.trim();
        let ordering_key = if case.is_empty() {
            format!(
                "{}:{}",
                ours.header.other_fips.code().trim_end(),
                ours.header.other_case_id.trim()
            )
        } else {
            case.to_string()
        };
        outbox::enqueue(
            tx,
            &NewMessage {
                partner: reply.partner.to_string(),
                ordering_key,
                file_name: format!("{key}.txt"),
                idempotency_key: key,
                kind: reply.kind.to_string(),
                content_type: "text/plain; charset=us-ascii".to_string(),
                payload,
                cause_kind: "csenet-received".to_string(),
                cause_id: format!("{}#{}", reply.receipt.receipt_id, reply.record),
                max_attempts: self.settings.max_attempts_for(reply.partner),
                run_at: now,
                replay_of: None,
            },
            now,
        )
        .await?;
        Ok(true)
    }
}

/// Who an answer goes to and what it answers.
struct Reply<'a> {
    partner: &'a str,
    receipt: &'a Receipt,
    record: u64,
    kind: &'static str,
    serial: u64,
}

/// The transaction as we see it: Local = us, Case-ID = our case id. A partner sending
/// directly writes the outbound header from its own point of view; the CSENet server has
/// already swapped an inbound one. Only the former is turned around, once.
fn our_point_of_view(t: &Transaction) -> Transaction {
    let mut ours = t.clone();
    if ours.header_kind() == HeaderKind::Outbound {
        std::mem::swap(&mut ours.header.local_fips, &mut ours.header.other_fips);
        std::mem::swap(&mut ours.header.case_id, &mut ours.header.other_case_id);
    }
    ours
}

fn describe(t: &Transaction) -> String {
    format!(
        "{} {} {}",
        t.header.function.code(),
        t.header.action.code(),
        t.header.reason
    )
    .trim_end()
    .to_string()
}

fn problem(field: &str, code: &str, message: &str) -> Problem {
    Problem {
        field: field.to_string(),
        position: None,
        code: code.to_string(),
        message: message.to_string(),
    }
}

#[async_trait::async_trait]
impl Processor for CsenetIntake {
    async fn process(
        &self,
        tx: &mut DbTx,
        receipt: &Receipt,
        now: i64,
    ) -> Result<String, StoreError> {
        let verdicts = self.take_in(tx, receipt, now).await?;
        // The outcome column keeps the verdicts (codes, serials, positions: no personal data).
        Ok(serde_json::to_string(&verdicts).unwrap_or_default())
    }
}

/// The intake channel name of the CSENet server's invalid transactions data set.
pub const ERRORS_CHANNEL: &str = "csenet-errors";

/// Processes the CSENet server's error records (the invalid transactions data set): each
/// becomes an event `csenet.server-error` naming our failed transaction by its serial
/// number, so the state system and reconciliation learn that it never reached the partner
/// (or reached it with a warning).
#[derive(Debug, Clone, Copy, Default)]
pub struct ServerErrorIntake;

#[async_trait::async_trait]
impl Processor for ServerErrorIntake {
    async fn process(
        &self,
        tx: &mut DbTx,
        receipt: &Receipt,
        now: i64,
    ) -> Result<String, StoreError> {
        let (mut errors, mut warnings, mut unreadable) = (0, 0, 0);
        for (record, n) in ivd_csenet::split_transactions(&receipt.body).zip(1u64..) {
            let error = match ivd_csenet::ServerError::parse(record) {
                Ok(error) => error,
                Err(problems) => {
                    unreadable += 1;
                    let problems: Vec<Problem> = problems.iter().map(Problem::from).collect();
                    tracing::warn!(receipt_id = %receipt.receipt_id, record = n, problems = problems.len(), "A CSENet server error record could not be read.");
                    continue;
                }
            };
            let warning = error.code.is_warning();
            if warning {
                warnings += 1;
            } else {
                errors += 1;
            }
            let case_id = error.local_case_id.trim();
            events::append(
                tx,
                &NewEvent {
                    kind: "csenet.server-error",
                    partner: Some(&receipt.partner),
                    case_id: (!case_id.is_empty()).then_some(case_id),
                    receipt_id: Some(&receipt.receipt_id),
                    payload: serde_json::json!({
                        "record": n,
                        "failedSerialNumber": error.serial_number,
                        "code": error.code.0,
                        "severity": if warning { "warning" } else { "error" },
                        "message": error.message.trim(),
                        "function": error.function,
                        "action": error.action,
                        "reason": error.reason.trim(),
                        "otherFips": error.other_fips,
                        "otherCaseId": error.other_case_id.trim(),
                    }),
                },
                now,
            )
            .await?;
        }
        Ok(format!(
            "{errors} error(s), {warnings} warning(s), {unreadable} unreadable record(s)"
        ))
    }
}
