//! Taking in Tribal exchange documents.
//!
//! One document per body. The body is stored first, as one receipt; then, in the
//! transaction that marks the receipt processed, the document gets its verdict:
//! - **rejected** — it does not parse (each error with its element path and code), it does
//!   not come from the partner whose certificate sent it, it is not addressed to us, its
//!   function is outside the agreement, or it is a request naming a case of ours we do not
//!   have; an event `tribal.rejected` (codes only) tells the state system;
//! - **duplicate** — the sender's message id was seen before: linked to the first receipt,
//!   not applied again;
//! - **accepted** — an event `tribal.received` carries the message and its case.
//!
//! A request (`R`) is acknowledged at once: the acknowledgment is enqueued to the sender
//! in the same transaction. An acknowledgment or a response satisfies the deadline of the
//! message it answers (`inReplyTo`).

use std::sync::Arc;

use ivd_tribal::{MessageKind, TribalMessage};
use serde::{Deserialize, Serialize};

use super::{answers, describe, message_id, our_party, partner_party};
use crate::channels::interstate::intake::Problem;
use crate::config::Settings;
use crate::intake::{self, Processor, Receipt};
use crate::outbox::{self, NewMessage};
use crate::reconcile::deadlines;
use crate::store::events::{self, NewEvent};
use crate::store::{DbTx, StoreError, cases, serials};

/// The intake channel name of Tribal documents.
pub const CHANNEL: &str = "tribal";

/// What happened to a document.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DocumentVerdict {
    /// Always 1: one document per body (the `check` contract's record number).
    pub record: u64,
    /// `accepted`, `duplicate` or `rejected`.
    pub status: String,
    /// The sender's message id, when it could be read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message_id: Option<String>,
    /// Function, action and reason, when they could be read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transaction: Option<String>,
    /// For a duplicate: the receipt that first carried it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_receipt: Option<String>,
    /// For an accepted request: the id of our acknowledgment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub acknowledged_with: Option<String>,
    /// Why it was rejected (`field` is the element path).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<Problem>,
}

impl DocumentVerdict {
    fn new(status: &str, message: Option<&TribalMessage>) -> Self {
        DocumentVerdict {
            record: 1,
            status: status.to_string(),
            message_id: message.map(|m| m.message_id.clone()),
            transaction: message.map(|m| describe(m.function, &m.action, m.reason.as_deref())),
            first_receipt: None,
            acknowledged_with: None,
            errors: Vec::new(),
        }
    }
}

/// Processes Tribal documents of the partners that have an XML Tribal agreement.
#[derive(Debug, Clone)]
pub struct TribalIntake {
    settings: Arc<Settings>,
}

fn problem(field: &str, code: &str, message: &str) -> Problem {
    Problem {
        field: field.to_string(),
        position: None,
        code: code.to_string(),
        message: message.to_string(),
    }
}

impl TribalIntake {
    /// A processor for these settings.
    pub fn new(settings: Arc<Settings>) -> Self {
        TribalIntake { settings }
    }

    /// Gives the document of `receipt` its verdict, in the caller's transaction.
    pub async fn take_in(
        &self,
        tx: &mut DbTx,
        receipt: &Receipt,
        now: i64,
    ) -> Result<DocumentVerdict, StoreError> {
        let message = match ivd_tribal::read_message(&receipt.body) {
            Ok(message) => message,
            Err(errors) => {
                let mut verdict = DocumentVerdict::new("rejected", None);
                verdict.errors = errors
                    .iter()
                    .map(|e| problem(&e.path, e.code.as_str(), &e.message))
                    .collect();
                self.note_rejection(tx, receipt, &verdict, now).await?;
                return Ok(verdict);
            }
        };
        let problems = self.refusals(tx, receipt, &message).await?;
        if !problems.is_empty() {
            let mut verdict = DocumentVerdict::new("rejected", Some(&message));
            verdict.errors = problems;
            self.note_rejection(tx, receipt, &verdict, now).await?;
            return Ok(verdict);
        }
        let key = format!("tribal:{}:{}", message.sender.locator, message.message_id);
        if let Some(first) =
            intake::claim_message_id(tx, &receipt.partner, &key, &receipt.receipt_id, now).await?
        {
            let mut verdict = DocumentVerdict::new("duplicate", Some(&message));
            verdict.first_receipt = Some(first);
            return Ok(verdict);
        }
        let answers = self.note_answer(tx, receipt, &message, now).await?;
        let acknowledged_with = self.acknowledge(tx, receipt, &message, now).await?;
        let our_case = message
            .receiver_case_id
            .as_deref()
            .filter(|c| !c.is_empty());
        events::append(
            tx,
            &NewEvent {
                kind: "tribal.received",
                partner: Some(&receipt.partner),
                case_id: our_case,
                receipt_id: Some(&receipt.receipt_id),
                payload: serde_json::json!({
                    "messageId": message.message_id,
                    "sender": message.sender,
                    "kind": message.kind,
                    "function": message.function.code(),
                    "action": message.action,
                    "reason": message.reason,
                    "senderCaseId": message.sender_case_id,
                    "receiverCaseId": message.receiver_case_id,
                    "inReplyTo": message.in_reply_to,
                    "answers": answers,
                    "acknowledgedWith": acknowledged_with,
                    "case": message.case,
                }),
            },
            now,
        )
        .await?;
        let mut verdict = DocumentVerdict::new("accepted", Some(&message));
        verdict.acknowledged_with = acknowledged_with;
        Ok(verdict)
    }

    /// Why a well-formed document is refused: sender, receiver, agreement, unknown case.
    async fn refusals(
        &self,
        tx: &mut DbTx,
        receipt: &Receipt,
        message: &TribalMessage,
    ) -> Result<Vec<Problem>, StoreError> {
        let mut problems = Vec::new();
        let partner = self.settings.partner(&receipt.partner);
        let agreement = partner.and_then(|p| p.tribal_xml_agreement());
        let expected_sender = partner.and_then(partner_party);
        match (agreement, expected_sender) {
            (Some(agreement), Some(sender)) => {
                if message.sender != sender {
                    problems.push(problem(
                        "TribalExchange/Header/Sender",
                        "SENDER",
                        "the document does not come from the partner whose certificate sent it",
                    ));
                }
                if !agreement.allows(message.function.code()) {
                    problems.push(problem(
                        "TribalExchange/Function",
                        "NOT_IN_AGREEMENT",
                        "the exchange agreement does not cover this function",
                    ));
                }
            }
            _ => problems.push(problem(
                "TribalExchange/Header/Sender",
                "NO_AGREEMENT",
                "there is no Tribal exchange agreement with the sender",
            )),
        }
        if our_party(&self.settings).as_ref() != Some(&message.receiver) {
            problems.push(problem(
                "TribalExchange/Header/Receiver",
                "RECEIVER",
                "the document is not addressed to us",
            ));
        }
        if problems.is_empty()
            && message.kind == MessageKind::Request
            && let Some(ours) = message
                .receiver_case_id
                .as_deref()
                .filter(|c| !c.is_empty())
            && cases::get_in(tx, ours).await?.is_none()
        {
            problems.push(problem(
                "TribalExchange/Request/ReceiverCaseID",
                "UNKNOWN_CASE",
                "we have no case with the id the request names as ours",
            ));
        }
        Ok(problems)
    }

    /// An event with the codes of a rejection (no values), so the state system learns of
    /// documents it will never see.
    async fn note_rejection(
        &self,
        tx: &mut DbTx,
        receipt: &Receipt,
        verdict: &DocumentVerdict,
        now: i64,
    ) -> Result<(), StoreError> {
        events::append(
            tx,
            &NewEvent {
                kind: "tribal.rejected",
                partner: Some(&receipt.partner),
                case_id: None,
                receipt_id: Some(&receipt.receipt_id),
                payload: serde_json::json!({
                    "messageId": verdict.message_id,
                    "transaction": verdict.transaction,
                    "errors": verdict.errors,
                }),
            },
            now,
        )
        .await
        .map(|_| ())
    }

    /// An acknowledgment or a response satisfies the deadline of the message it answers;
    /// returns that message id.
    async fn note_answer(
        &self,
        tx: &mut DbTx,
        receipt: &Receipt,
        message: &TribalMessage,
        now: i64,
    ) -> Result<Option<String>, StoreError> {
        let kind = match message.kind {
            MessageKind::Acknowledgment => answers::ACKNOWLEDGMENT,
            MessageKind::Response => answers::RESPONSE,
            MessageKind::Request => return Ok(None),
        };
        let Some(answered) = message.in_reply_to.as_deref() else {
            return Ok(None);
        };
        let satisfied = deadlines::satisfy(
            tx,
            &receipt.partner,
            answered,
            kind,
            &receipt.receipt_id,
            now,
        )
        .await?;
        Ok(satisfied.then(|| answered.to_string()))
    }

    /// A request (`R`) is acknowledged at once: the acknowledgment is enqueued to the
    /// sender in the transaction that accepts the request. Returns its message id.
    async fn acknowledge(
        &self,
        tx: &mut DbTx,
        receipt: &Receipt,
        request: &TribalMessage,
        now: i64,
    ) -> Result<Option<String>, StoreError> {
        if request.kind != MessageKind::Request || request.action != "R" {
            return Ok(None);
        }
        let Some(our) = our_party(&self.settings) else {
            return Ok(None);
        };
        let sent_at = time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(now) * 1_000_000)
            .map_err(|_| StoreError::Invalid("time out of range".into()))?;
        let serial = serials::next(tx, "tribal").await?;
        let id = message_id(&our, serial);
        let ack = ivd_tribal::acknowledgment(request, &id, sent_at);
        let payload = match ivd_tribal::write_message(&ack) {
            Ok(bytes) => bytes,
            Err(error) => {
                tracing::warn!(partner = %receipt.partner, receipt_id = %receipt.receipt_id, error = %error, "An acknowledgment could not be written.");
                return Ok(None);
            }
        };
        // Per-case order on our side: our case when the request named it, else the
        // partner's case.
        let ordering_key = match request
            .receiver_case_id
            .as_deref()
            .filter(|c| !c.is_empty())
        {
            Some(ours) => ours.to_string(),
            None => format!("{}:{}", request.sender.locator, request.sender_case_id),
        };
        outbox::enqueue(
            tx,
            &NewMessage {
                partner: receipt.partner.clone(),
                ordering_key,
                file_name: format!("{id}.xml"),
                idempotency_key: id.clone(),
                kind: "tribal-acknowledgment".to_string(),
                content_type: "application/xml".to_string(),
                payload,
                cause_kind: "tribal-received".to_string(),
                cause_id: receipt.receipt_id.clone(),
                max_attempts: self.settings.max_attempts_for(&receipt.partner),
                run_at: now,
                replay_of: None,
            },
            now,
        )
        .await?;
        Ok(Some(id))
    }
}

#[async_trait::async_trait]
impl Processor for TribalIntake {
    async fn process(
        &self,
        tx: &mut DbTx,
        receipt: &Receipt,
        now: i64,
    ) -> Result<String, StoreError> {
        let verdict = self.take_in(tx, receipt, now).await?;
        // The outcome column keeps the verdict (codes, ids, paths: no personal data).
        Ok(serde_json::to_string(&verdict).unwrap_or_default())
    }
}
