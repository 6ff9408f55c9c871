//! Building outbound Tribal exchange documents from the canonical case.

use std::collections::HashMap;

use ivd_tribal::{MessageKind, Party, TribalMessage, WriteError};

use super::{TribalParameters, answers, message_id, our_party, partner_party};
use crate::config::Settings;
use crate::outbox::NewMessage;
use crate::outbox::render::TRANSACTION_REQUEST as CAUSE;
use crate::outbox::render::{self, ExpectedAnswer, RenderError, RenderRequest, Rendered, Renderer};
use crate::reconcile::deadlines::due_after_working_days;
use crate::store::{DbTx, serials};

/// Working days a partner has to acknowledge a request (as for a CSENet referral).
const ACKNOWLEDGE_WITHIN_WORKING_DAYS: u32 = 10;
/// Calendar days a partner has to answer a case-status request (as in CSENet).
const ANSWER_CASE_STATUS_WITHIN_DAYS: i64 = 7;

/// Builds Tribal exchange documents for the partners with an XML Tribal agreement.
#[derive(Debug, Clone)]
pub struct TribalRenderer {
    our: Party,
    partners: HashMap<String, Party>,
}

impl TribalRenderer {
    /// The format name (and message kind).
    pub const KIND: &'static str = "tribal";

    /// Built from the configuration; `None` when no partner has an XML Tribal agreement or
    /// we have no identity of our own.
    pub fn from_settings(settings: &Settings) -> Option<Self> {
        let partners: HashMap<String, Party> = settings
            .partners
            .iter()
            .filter_map(|p| Some((p.id.clone(), partner_party(p)?)))
            .collect();
        if partners.is_empty() {
            return None;
        }
        Some(TribalRenderer {
            our: our_party(settings)?,
            partners,
        })
    }
}

#[async_trait::async_trait]
impl Renderer for TribalRenderer {
    fn kind(&self) -> &'static str {
        Self::KIND
    }

    /// Function and action are required; the partner must have an agreement for XML
    /// documents that covers the function.
    fn parameters(
        &self,
        request: &render::ExchangeParameters,
        partner: &crate::config::PartnerSettings,
    ) -> Result<Option<serde_json::Value>, render::ParameterRefusal> {
        use render::{ExchangeParameters, ParameterRefusal};
        let agreement = partner.tribal_xml_agreement().ok_or_else(|| {
            ParameterRefusal::bad_request(
                "partner",
                "NO_AGREEMENT",
                "this partner has no Tribal exchange agreement for XML documents",
            )
        })?;
        let parameters = TribalParameters {
            function: ExchangeParameters::required(&request.function, "function", Self::KIND)?,
            action: ExchangeParameters::required(&request.action, "action", Self::KIND)?,
            reason: request.reason.clone().filter(|r| !r.trim().is_empty()),
            other_case_id: request.other_case_id.clone(),
            in_reply_to: request.in_reply_to.clone(),
        };
        parameters
            .check(agreement)
            .map_err(ParameterRefusal::exchange_rules)?;
        serde_json::to_value(&parameters)
            .map(Some)
            .map_err(|_| ParameterRefusal::bad_request("", "INVALID_VALUE", "bad parameters"))
    }

    async fn render(
        &self,
        tx: &mut DbTx,
        request: &RenderRequest<'_>,
    ) -> Result<Rendered, RenderError> {
        let (stored, parameters): (_, TribalParameters) =
            render::transaction_request(tx, request, Self::KIND).await?;
        let receiver = self.partners.get(&stored.partner).cloned().ok_or_else(|| {
            request.invalid_cause(format!(
                "partner {} has no Tribal exchange agreement",
                stored.partner
            ))
        })?;
        let (Some(function), Some(kind)) = (parameters.function(), parameters.kind()) else {
            return Err(request.invalid_cause("stored parameters: function or action"));
        };
        let case = if kind == MessageKind::Acknowledgment {
            None
        } else {
            Some(render::current_case(tx, request, &stored.case_id).await?)
        };
        let serial = serials::next(tx, "tribal").await?;
        let id = message_id(&self.our, serial);
        let sent_at =
            time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(request.now) * 1_000_000)
                .map_err(|_| request.invalid_cause("time out of range"))?;
        let action = parameters.action.to_ascii_uppercase();
        let message = TribalMessage {
            message_id: id.clone(),
            sent_at,
            sender: self.our.clone(),
            receiver,
            kind,
            function,
            action: action.clone(),
            reason: parameters.reason.as_ref().map(|r| r.to_ascii_uppercase()),
            sender_case_id: stored.case_id.clone(),
            receiver_case_id: parameters.other_case_id.clone(),
            in_reply_to: parameters.in_reply_to.clone(),
            case,
        };
        // The writer redacts for disclosure and re-reads what it wrote: what leaves is a
        // document the partner's reader (and the XSD) accepts.
        let payload = ivd_tribal::write_message(&message).map_err(|error| match error {
            WriteError::Invalid(errors) => request.invalid_cause(format!(
                "the message breaks the Tribal exchange rules: {}",
                errors
                    .iter()
                    .map(|e| format!("{} {}", e.path, e.code.as_str()))
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
            other => request.invalid_cause(other.to_string()),
        })?;

        let mut expectations = Vec::new();
        if kind == MessageKind::Request && action == "R" {
            expectations.push(ExpectedAnswer {
                reference: id.clone(),
                kind: answers::ACKNOWLEDGMENT.to_string(),
                due_at: due_after_working_days(request.now, ACKNOWLEDGE_WITHIN_WORKING_DAYS),
                case_id: Some(stored.case_id.clone()),
            });
            if function == ivd_tribal::Function::CaseStatus {
                expectations.push(ExpectedAnswer {
                    reference: id.clone(),
                    kind: answers::RESPONSE.to_string(),
                    due_at: due_after_working_days(request.now, 0)
                        + ANSWER_CASE_STATUS_WITHIN_DAYS * 86_400_000,
                    case_id: Some(stored.case_id.clone()),
                });
            }
        }
        Ok(Rendered {
            message: NewMessage {
                partner: stored.partner.clone(),
                ordering_key: stored.case_id.clone(),
                file_name: format!("{id}.xml"),
                idempotency_key: id,
                kind: Self::KIND.to_string(),
                content_type: "application/xml".to_string(),
                payload,
                cause_kind: CAUSE.to_string(),
                cause_id: stored.id.to_string(),
                max_attempts: request.max_attempts,
                run_at: request.now,
                replay_of: None,
            },
            expectations,
        })
    }
}
