//! Building outbound CSENet transactions from the canonical case.

use std::collections::HashMap;

use ivd_csenet::acknowledgment::{self, Clock, DeadlineKind};
use ivd_csenet::translate::{self, OutboundRequest};
use ivd_csenet::{ActionCode, FipsCode, FunctionCode, HeaderKind};

use crate::channels::interstate::CsenetParameters;
use crate::config::Settings;
use crate::outbox::NewMessage;
use crate::outbox::render::{self, ExpectedAnswer, RenderError, RenderRequest, Rendered, Renderer};
use crate::reconcile::deadlines::due_after_working_days;
use crate::store::{DbTx, serials};

/// The cause kind of messages built from a stored transaction request.
pub const CAUSE: &str = render::TRANSACTION_REQUEST;

/// Builds CSENet transactions for the partners that have an exchange agreement.
#[derive(Debug, Clone)]
pub struct CsenetRenderer {
    local_fips: FipsCode,
    office: ivd_csenet::CaseData,
    partner_fips: HashMap<String, FipsCode>,
}

impl CsenetRenderer {
    /// The format name (and message kind).
    pub const KIND: &'static str = "csenet";

    /// Built from the configuration; `None` when the state's own FIPS is not set.
    pub fn from_settings(settings: &Settings) -> Option<Self> {
        let local_fips = FipsCode::parse(settings.state.fips.as_deref()?)?;
        let partner_fips = settings
            .partners
            .iter()
            .filter_map(|p| Some((p.id.clone(), FipsCode::parse(&p.csenet_agreement()?.fips)?)))
            .collect();
        Some(CsenetRenderer {
            local_fips,
            office: settings.state.csenet_office.clone().unwrap_or_default(),
            partner_fips,
        })
    }
}

/// "FIELD CODE, FIELD CODE" for an error text: names and codes, never values.
fn listed<'a>(fields: impl Iterator<Item = (&'a str, &'a str)>) -> String {
    fields
        .map(|(field, code)| format!("{field} {code}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The name under which a deadline kind is recorded.
fn answer_kind(kind: DeadlineKind) -> Option<&'static str> {
    match kind {
        DeadlineKind::Acknowledgment => Some("csenet.acknowledgment"),
        DeadlineKind::CaseStatusResponse => Some("csenet.case-status-response"),
        DeadlineKind::OrderAndPaymentRecords => Some("csenet.order-and-payment-records"),
        DeadlineKind::NewInformationNotice => Some("csenet.new-information-notice"),
        DeadlineKind::Referral => Some("csenet.referral"),
        // A limit on us (do not ask again too soon), not an answer the partner owes.
        DeadlineKind::NoRepeatedCaseStatusRequest => None,
    }
}

#[async_trait::async_trait]
impl Renderer for CsenetRenderer {
    fn kind(&self) -> &'static str {
        Self::KIND
    }

    /// Function, action and reason are required; the agreement must cover the function
    /// and the combination must be one CSENet allows.
    fn parameters(
        &self,
        request: &render::ExchangeParameters,
        partner: &crate::config::PartnerSettings,
    ) -> Result<Option<serde_json::Value>, render::ParameterRefusal> {
        use render::{ExchangeParameters, ParameterRefusal};
        let agreement = partner.csenet_agreement().ok_or_else(|| {
            ParameterRefusal::bad_request(
                "partner",
                "NO_AGREEMENT",
                "this partner has no CSENet exchange agreement",
            )
        })?;
        if request.in_reply_to.is_some() {
            return Err(ParameterRefusal::bad_request(
                "inReplyTo",
                "NOT_APPLICABLE",
                "inReplyTo applies to the tribal format only",
            ));
        }
        let parameters = CsenetParameters {
            function: ExchangeParameters::required(&request.function, "function", Self::KIND)?,
            action: ExchangeParameters::required(&request.action, "action", Self::KIND)?,
            reason: request.reason.clone().unwrap_or_default(),
            other_case_id: request.other_case_id.clone(),
        };
        parameters
            .check(&agreement)
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
        let (stored, parameters): (_, CsenetParameters) =
            render::transaction_request(tx, request, Self::KIND).await?;
        let other_fips = self
            .partner_fips
            .get(&stored.partner)
            .cloned()
            .ok_or_else(|| {
                request.invalid_cause(format!(
                    "partner {} has no CSENet agreement",
                    stored.partner
                ))
            })?;
        let case = render::current_case(tx, request, &stored.case_id).await?;

        let serial = serials::next(tx, "csenet").await?;
        let today =
            time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(request.now) * 1_000_000)
                .map(|t| t.date())
                .map_err(|_| request.invalid_cause("time out of range"))?;
        let outbound = OutboundRequest {
            function: FunctionCode::parse(&parameters.function.to_ascii_uppercase()),
            action: ActionCode::parse(&parameters.action.to_ascii_uppercase()),
            reason: parameters.reason.to_ascii_uppercase(),
            local_fips: self.local_fips.clone(),
            other_fips,
            other_case_id: parameters.other_case_id.clone(),
            serial_number: serial as u64,
            transaction_date: today,
            action_resolution_date: None,
            office: self.office.clone(),
            information: None,
            attachments: false,
            include_optional_blocks: false,
        };
        let transaction = translate::from_case(&case, &outbound).map_err(|errors| {
            let fields = errors.iter().map(|e| (e.field.as_str(), e.code));
            request.invalid_cause(format!(
                "the case cannot be sent as this transaction: {}",
                listed(fields)
            ))
        })?;
        let mut payload = transaction.write(HeaderKind::Outbound).map_err(|errors| {
            let fields = errors.iter().map(|e| (e.field.as_ref(), e.code.as_str()));
            request.invalid_cause(format!(
                "the transaction breaks the CSENet rules: {}",
                listed(fields)
            ))
        })?;
        payload.push(b'\n');

        let reference = format!("{serial:012}");
        let expectations = acknowledgment::deadlines(&transaction)
            .into_iter()
            .filter_map(|deadline| {
                let kind = answer_kind(deadline.kind)?;
                let due_at = match deadline.clock {
                    Clock::WorkingDays => {
                        due_after_working_days(request.now, u32::from(deadline.days))
                    }
                    Clock::CalendarDays => {
                        due_after_working_days(request.now, 0)
                            + i64::from(deadline.days) * 86_400_000
                    }
                };
                Some(ExpectedAnswer {
                    reference: reference.clone(),
                    kind: kind.to_string(),
                    due_at,
                    case_id: Some(stored.case_id.clone()),
                })
            })
            .collect();
        let key = format!("csenet-{}-{reference}", self.local_fips.code().trim_end());
        Ok(Rendered {
            message: NewMessage {
                partner: stored.partner.clone(),
                ordering_key: stored.case_id.clone(),
                file_name: format!("{key}.txt"),
                idempotency_key: key,
                kind: Self::KIND.to_string(),
                content_type: "text/plain; charset=us-ascii".to_string(),
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
