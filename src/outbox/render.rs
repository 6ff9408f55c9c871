//! Renderers build an outbound message from its cause; replay runs them again.
//!
//! Every outbox message records the renderer (`kind`) and the cause (`cause_kind`,
//! `cause_id`) that built it. A replay asks the same renderer to build the message anew
//! from the cause as it is now (for a case: the latest snapshot), and enqueues the result
//! as a new message linked to the old one. Each partner format adds its renderer to the
//! [`Renderers`] registry.

use std::collections::HashMap;
use std::sync::Arc;

use crate::outbox::NewMessage;
use crate::store::{DbTx, StoreError, cases};

/// What a renderer is asked to build.
#[derive(Clone, Debug)]
pub struct RenderRequest<'a> {
    /// The partner it is for.
    pub partner: &'a str,
    /// Cause kind (e.g. `case`).
    pub cause_kind: &'a str,
    /// Cause id (e.g. the case id).
    pub cause_id: &'a str,
    /// 0 for the first build, n for the n-th replay (renderers fold it into the
    /// idempotency key so a replay is a new message to the receiver).
    pub replay: i64,
    /// Attempts the partner allows.
    pub max_attempts: i64,
    /// Time of the build (ms since the epoch).
    pub now: i64,
}

impl RenderRequest<'_> {
    /// The cause does not exist, or is not one this renderer builds from.
    pub fn cause_not_found(&self) -> RenderError {
        RenderError::CauseNotFound {
            kind: self.cause_kind.to_string(),
            id: self.cause_id.to_string(),
        }
    }

    /// The stored cause cannot be built from; `reason` names what, never a value.
    pub fn invalid_cause(&self, reason: impl Into<String>) -> RenderError {
        RenderError::InvalidCause {
            kind: self.cause_kind.to_string(),
            id: self.cause_id.to_string(),
            reason: reason.into(),
        }
    }
}

/// The cause kind of messages built from a stored transaction request (CSENet, Tribal):
/// the state system's request with its exchange parameters, kept so that a replay
/// rebuilds the same request from the case as it is then.
pub const TRANSACTION_REQUEST: &str = "transaction-request";

/// The stored transaction request of `format` that `request` names, and its parameters.
pub async fn transaction_request<P: serde::de::DeserializeOwned>(
    tx: &mut DbTx,
    request: &RenderRequest<'_>,
    format: &str,
) -> Result<(crate::store::requests::TransactionRequest, P), RenderError> {
    if request.cause_kind != TRANSACTION_REQUEST {
        return Err(request.cause_not_found());
    }
    let id: i64 = request
        .cause_id
        .parse()
        .map_err(|_| request.cause_not_found())?;
    let stored = crate::store::requests::get(tx, id)
        .await?
        .filter(|stored| stored.format == format)
        .ok_or_else(|| request.cause_not_found())?;
    let parameters = serde_json::from_str(&stored.parameters)
        .map_err(|e| request.invalid_cause(format!("stored parameters: {e}")))?;
    Ok((stored, parameters))
}

/// The latest snapshot of `case_id` as the canonical case.
pub async fn current_case(
    tx: &mut DbTx,
    request: &RenderRequest<'_>,
    case_id: &str,
) -> Result<ivd_model::Case, RenderError> {
    let row = cases::get_in(tx, case_id)
        .await?
        .ok_or_else(|| RenderError::CauseNotFound {
            kind: "case".to_string(),
            id: case_id.to_string(),
        })?;
    ivd_casejson::read_case(row.snapshot.as_bytes()).map_err(|errors| {
        request.invalid_cause(format!("stored case: {} problem(s)", errors.len()))
    })
}

/// Why a message could not be built.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    /// No renderer of that kind is registered.
    #[error("no renderer for message kind {0:?}")]
    UnknownKind(String),
    /// The cause no longer exists or is not of a kind this renderer builds from.
    #[error("cause {kind}:{id} not found")]
    CauseNotFound {
        /// Cause kind.
        kind: String,
        /// Cause id.
        id: String,
    },
    /// The stored cause cannot be read as the model.
    #[error("cause {kind}:{id} is not valid: {reason}")]
    InvalidCause {
        /// Cause kind.
        kind: String,
        /// Cause id.
        id: String,
        /// What is wrong (no personal data).
        reason: String,
    },
    /// Storage failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A built message and the answers the partner will owe for it.
#[derive(Clone, Debug)]
pub struct Rendered {
    /// The message to enqueue.
    pub message: NewMessage,
    /// Answers (acknowledgments, responses) the partner owes, to record as deadlines in the
    /// same transaction as the enqueue.
    pub expectations: Vec<ExpectedAnswer>,
}

/// An answer a partner will owe for a message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExpectedAnswer {
    /// What the answer will quote (e.g. the CSENet serial number).
    pub reference: String,
    /// What kind of answer.
    pub kind: String,
    /// When it is due (ms since the epoch).
    pub due_at: i64,
    /// The case the answer will name.
    pub case_id: Option<String>,
}

impl From<NewMessage> for Rendered {
    fn from(message: NewMessage) -> Self {
        Rendered {
            message,
            expectations: Vec::new(),
        }
    }
}

impl Rendered {
    /// Enqueues the message and records its expected answers, in the caller's transaction.
    pub async fn enqueue(
        &self,
        tx: &mut DbTx,
        now: i64,
    ) -> Result<crate::outbox::EnqueueOutcome, StoreError> {
        let outcome = crate::outbox::enqueue(tx, &self.message, now).await?;
        for answer in &self.expectations {
            crate::reconcile::deadlines::expect(
                tx,
                &crate::reconcile::deadlines::Expectation {
                    partner: &self.message.partner,
                    message_id: Some(outcome.id()),
                    reference: &answer.reference,
                    kind: &answer.kind,
                    due_at: answer.due_at,
                    case_id: answer.case_id.as_deref(),
                },
                now,
            )
            .await?;
        }
        Ok(outcome)
    }
}

/// Builds one kind of outbound message.
#[async_trait::async_trait]
pub trait Renderer: Send + Sync {
    /// The `kind` stored on messages it builds.
    fn kind(&self) -> &'static str;

    /// Builds the message, reading the cause in the caller's transaction.
    async fn render(
        &self,
        tx: &mut DbTx,
        request: &RenderRequest<'_>,
    ) -> Result<Rendered, RenderError>;

    /// The exchange parameters of a transaction request for this kind, checked against
    /// the partner's agreement, in the form they are stored (the cause a replay rebuilds
    /// from); `None` for a kind that takes none, which then refuses any that are given.
    fn parameters(
        &self,
        request: &ExchangeParameters,
        _partner: &crate::config::PartnerSettings,
    ) -> Result<Option<serde_json::Value>, ParameterRefusal> {
        if request.function.is_some()
            || request.action.is_some()
            || request.reason.is_some()
            || request.in_reply_to.is_some()
        {
            return Err(ParameterRefusal::bad_request(
                "",
                "NOT_APPLICABLE",
                "function, action, reason and inReplyTo apply to the csenet and tribal formats only",
            ));
        }
        Ok(None)
    }
}

/// The exchange parameters a transaction request may carry (a CSENet or Tribal request's
/// function, action and reason codes, the partner's case id, the message it answers).
#[derive(Clone, Debug, Default)]
pub struct ExchangeParameters {
    /// Function code.
    pub function: Option<String>,
    /// Action code.
    pub action: Option<String>,
    /// Reason code.
    pub reason: Option<String>,
    /// The partner's case id.
    pub other_case_id: Option<String>,
    /// The partner's message id a response or an acknowledgment answers.
    pub in_reply_to: Option<String>,
}

impl ExchangeParameters {
    /// The value of a parameter the kind requires, or the refusal naming it.
    pub fn required(
        value: &Option<String>,
        field: &'static str,
        kind: &str,
    ) -> Result<String, ParameterRefusal> {
        value.clone().ok_or_else(|| {
            ParameterRefusal::bad_request(
                field,
                "REQUIRED",
                format!("{field} is required for {kind}"),
            )
        })
    }
}

/// Why a transaction request's parameters are refused: the request's field at fault
/// (`""` for the request as a whole), a stable code and a text that names codes only.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParameterRefusal {
    /// The request's field at fault.
    pub field: &'static str,
    /// The stable code.
    pub code: &'static str,
    /// What is wrong.
    pub detail: String,
    /// `true` when the request is well formed but the exchange rules refuse it (an
    /// agreement that does not cover the function, a combination the format forbids).
    pub by_exchange_rules: bool,
}

impl ParameterRefusal {
    /// A malformed request.
    pub fn bad_request(field: &'static str, code: &'static str, detail: impl Into<String>) -> Self {
        ParameterRefusal {
            field,
            code,
            detail: detail.into(),
            by_exchange_rules: false,
        }
    }

    /// A request the exchange rules refuse.
    pub fn exchange_rules(detail: String) -> Self {
        ParameterRefusal {
            field: "",
            code: "EXCHANGE_RULES",
            detail,
            by_exchange_rules: true,
        }
    }
}

/// The renderers the gateway knows, by kind.
#[derive(Clone, Default)]
pub struct Renderers {
    by_kind: HashMap<&'static str, Arc<dyn Renderer>>,
}

impl std::fmt::Debug for Renderers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.by_kind.keys()).finish()
    }
}

impl Renderers {
    /// The registry with every built-in renderer (the partner channels add theirs:
    /// [`crate::channels::renderers`]).
    pub fn builtin() -> Self {
        let mut renderers = Renderers::default();
        renderers.register(Arc::new(CaseJson));
        renderers
    }

    /// Adds (or replaces) a renderer.
    pub fn register(&mut self, renderer: Arc<dyn Renderer>) {
        self.by_kind.insert(renderer.kind(), renderer);
    }

    /// The renderer of `kind`.
    pub fn get(&self, kind: &str) -> Result<&Arc<dyn Renderer>, RenderError> {
        self.by_kind
            .get(kind)
            .ok_or_else(|| RenderError::UnknownKind(kind.to_string()))
    }
}

/// The canonical case as JSON (`schemas/case.schema.json`), for partners that take the
/// canonical model as it is. Family-violence and nondisclosure redaction is applied: the
/// partner never receives a protected person's address, phone, email or employer.
#[derive(Debug)]
pub struct CaseJson;

impl CaseJson {
    /// The kind name.
    pub const KIND: &'static str = "case-json";
}

#[async_trait::async_trait]
impl Renderer for CaseJson {
    fn kind(&self) -> &'static str {
        Self::KIND
    }

    async fn render(
        &self,
        tx: &mut DbTx,
        request: &RenderRequest<'_>,
    ) -> Result<Rendered, RenderError> {
        let not_found = || RenderError::CauseNotFound {
            kind: request.cause_kind.to_string(),
            id: request.cause_id.to_string(),
        };
        if request.cause_kind != "case" {
            return Err(not_found());
        }
        let stored = cases::get_in(tx, request.cause_id)
            .await?
            .ok_or_else(not_found)?;
        let case: ivd_model::Case =
            serde_json::from_str(&stored.snapshot).map_err(|error| RenderError::InvalidCause {
                kind: request.cause_kind.to_string(),
                id: request.cause_id.to_string(),
                reason: format!("line {} column {}", error.line(), error.column()),
            })?;
        let disclosed = case.redacted_for_disclosure();
        let payload =
            serde_json::to_vec(&disclosed).map_err(|error| RenderError::InvalidCause {
                kind: request.cause_kind.to_string(),
                id: request.cause_id.to_string(),
                reason: error.to_string(),
            })?;
        let mut key = format!("case-{}-v{}", stored.case_id, stored.version);
        if request.replay > 0 {
            key.push_str(&format!("-r{}", request.replay));
        }
        Ok(Rendered::from(NewMessage {
            partner: request.partner.to_string(),
            ordering_key: stored.case_id.clone(),
            file_name: format!("{key}.json"),
            idempotency_key: key,
            kind: Self::KIND.to_string(),
            content_type: "application/json".to_string(),
            payload,
            cause_kind: "case".to_string(),
            cause_id: stored.case_id,
            max_attempts: request.max_attempts,
            run_at: request.now,
            replay_of: None,
        }))
    }
}
