//! The state system's API: case snapshots (one by one, or a stream of them: [`bulk`]),
//! outbound transactions, the event feed.
//!
//! A case pushed alone (`PUT /state/v1/cases/{id}`) and a case in a bulk push take one
//! path: [`parse_case`] (the canonical model's parsing and rules), [`store_cases`] (the
//! snapshot, its version, the participants' index), and for a transaction
//! [`TransactionRequest::check`] then [`enqueue_transaction`], in the caller's database
//! transaction. Only the framing differs: one case a request, answered by its status, or
//! one line a case, answered by its verdict.

pub mod bulk;

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::{get, post, put};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};

use crate::outbox::EnqueueOutcome;
use crate::outbox::render::{
    ExchangeParameters, RenderError, RenderRequest, Renderer, TRANSACTION_REQUEST,
};
use crate::store::events::{self, Event};
use crate::store::{DbTx, StoreError, cases, now_ms, requests};
use crate::web::{ApiError, AppState, Bearer, FieldProblem, StateSystemRole};

/// The state-system routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/state/v1/cases/bulk", post(bulk::post_cases))
        .route("/state/v1/cases/{id}", put(put_case).get(get_case))
        .route("/state/v1/cases/{id}/transactions", post(post_transaction))
        .route("/state/v1/events", get(get_events))
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct CaseStored {
    case_id: String,
    version: i64,
    changed: bool,
}

/// Parses and validates a case body; every problem is reported by JSON path and code,
/// never with the value.
pub fn parse_case(body: &[u8]) -> Result<ivd_model::Case, ApiError> {
    ivd_casejson::read_case(body).map_err(|errors| {
        ApiError::invalid(
            "the case does not match the canonical model",
            errors.into_iter().map(FieldProblem::from).collect(),
        )
    })
}

/// A case the state system pushed, valid, with the canonical JSON it is stored as (so
/// that the same case pushed twice compares equal).
#[derive(Debug)]
pub struct PushedCase {
    /// The case.
    pub case: ivd_model::Case,
    /// Its canonical JSON.
    pub canonical: String,
}

impl PushedCase {
    /// The case with its canonical form; `None` when it cannot be serialised (never for a
    /// case that parsed).
    pub fn new(case: ivd_model::Case) -> Option<PushedCase> {
        let canonical = serde_json::to_string(&case).ok()?;
        Some(PushedCase { case, canonical })
    }
}

/// Stores `cases` in order in `tx`, as pushed one after the other, and re-indexes the
/// participants of those that changed (for new-hire matching); returns each one's
/// `(version, changed)`. The one path of the single `PUT` and of the bulk push.
pub async fn store_cases(
    tx: &mut DbTx,
    lookup_key: &crate::privacy::LookupKey,
    cases: &[&PushedCase],
    now: i64,
) -> Result<Vec<(i64, bool)>, StoreError> {
    let snapshots: Vec<(&str, &str)> = cases
        .iter()
        .map(|pushed| (pushed.case.id.as_str(), pushed.canonical.as_str()))
        .collect();
    let written = cases::put_many(tx, &snapshots, now).await?;
    // A case changed twice in `cases` is indexed as it was left. A case at its first
    // version was stored for the first time just now: it has no index rows to replace.
    let mut changed: Vec<(&ivd_model::Case, bool)> = Vec::new();
    let mut slot: HashMap<&str, usize> = HashMap::new();
    for (pushed, (version, was_changed)) in cases.iter().zip(&written) {
        if !was_changed {
            continue;
        }
        let indexed = (&pushed.case, *version > 1);
        match slot.get(pushed.case.id.as_str()) {
            Some(&at) => changed[at] = indexed,
            None => {
                slot.insert(pushed.case.id.as_str(), changed.len());
                changed.push(indexed);
            }
        }
    }
    if !changed.is_empty() {
        for channel in crate::channels::all() {
            channel.cases_changed(tx, lookup_key, &changed).await?;
        }
    }
    Ok(written)
}

async fn put_case(
    State(state): State<AppState>,
    _: Bearer<StateSystemRole>,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> Result<impl IntoResponse, ApiError> {
    let case = parse_case(&body)?;
    if case.id.as_str() != id {
        return Err(ApiError::bad_request(
            "the case id in the path and in the body differ",
        ));
    }
    let pushed = PushedCase::new(case)
        .ok_or_else(|| ApiError::bad_request("the case cannot be serialised"))?;
    let now = now_ms();
    let mut tx = state.db.begin().await?;
    let written = store_cases(&mut tx, &state.lookup_key, &[&pushed], now).await?;
    tx.commit().await?;
    let (version, changed) = written[0];
    let status = if changed && version == 1 {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((
        status,
        Json(CaseStored {
            case_id: id,
            version,
            changed,
        }),
    ))
}

async fn get_case(
    State(state): State<AppState>,
    _: Bearer<StateSystemRole>,
    Path(id): Path<String>,
) -> Result<impl IntoResponse, ApiError> {
    let stored = cases::get(&state.db, &id)
        .await?
        .ok_or_else(|| ApiError::not_found("no such case"))?;
    let snapshot: serde_json::Value =
        serde_json::from_str(&stored.snapshot).unwrap_or(serde_json::Value::Null);
    Ok(Json(serde_json::json!({
        "caseId": stored.case_id,
        "version": stored.version,
        "updatedAt": stored.updated_at,
        "case": snapshot,
    })))
}

/// What the state system asks to send a partner about a case: the body of
/// `POST /state/v1/cases/{id}/transactions`, and the `transaction` of a bulk line.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TransactionRequest {
    partner: String,
    format: String,
    /// CSENet: function code.
    #[serde(default)]
    function: Option<String>,
    /// CSENet: action code.
    #[serde(default)]
    action: Option<String>,
    /// CSENet: reason code.
    #[serde(default)]
    reason: Option<String>,
    /// CSENet and Tribal: the partner's case id.
    #[serde(default)]
    other_case_id: Option<String>,
    /// Tribal: the partner's message id a response or an acknowledgment answers.
    #[serde(default)]
    in_reply_to: Option<String>,
}

/// Why a transaction request is refused, as the single `POST` answers it (status, title,
/// detail) and as a bulk verdict names it (field, code, message). The detail never holds
/// a value from the request beyond the codes it names.
#[derive(Debug)]
pub struct Refusal {
    status: StatusCode,
    title: &'static str,
    /// The request's field at fault (`""`: the request as a whole).
    field: &'static str,
    code: &'static str,
    detail: String,
}

impl Refusal {
    fn bad_request(field: &'static str, code: &'static str, detail: impl Into<String>) -> Self {
        Refusal {
            status: StatusCode::BAD_REQUEST,
            title: "Bad request",
            field,
            code,
            detail: detail.into(),
        }
    }

    /// The problem of a bulk line, its field under `prefix` (`transaction`).
    pub fn problem(&self, prefix: &str) -> FieldProblem {
        FieldProblem {
            field: if self.field.is_empty() {
                prefix.to_string()
            } else {
                format!("{prefix}.{}", self.field)
            },
            code: self.code.to_string(),
            message: self.detail.clone(),
        }
    }
}

impl From<Refusal> for ApiError {
    fn from(refusal: Refusal) -> Self {
        ApiError::new(refusal.status, refusal.title, refusal.detail)
    }
}

/// A transaction request checked against the configuration (the partner, the format, the
/// exchange agreement): what is left needs the database.
pub struct CheckedTransaction {
    partner: String,
    format: String,
    renderer: Arc<dyn Renderer>,
    /// CSENet and Tribal: the exchange parameters, stored as the cause a replay rebuilds
    /// from.
    parameters: Option<serde_json::Value>,
    max_attempts: i64,
}

impl TransactionRequest {
    /// Checks the request against the configuration, without the database.
    pub fn check(&self, state: &AppState) -> Result<CheckedTransaction, Refusal> {
        let partner = state
            .settings
            .partner(&self.partner)
            .ok_or_else(|| Refusal::bad_request("partner", "UNKNOWN_PARTNER", "no such partner"))?;
        let renderer = state
            .renderers
            .get(&self.format)
            .map_err(|_| Refusal::bad_request("format", "UNKNOWN_FORMAT", "no such format"))?
            .clone();
        Ok(CheckedTransaction {
            parameters: self.parameters(renderer.as_ref(), partner)?,
            partner: partner.id.clone(),
            format: self.format.clone(),
            renderer,
            max_attempts: i64::from(partner.retry.max_attempts),
        })
    }

    /// The exchange parameters of a format that has them, checked against the partner's
    /// agreement by the format's renderer.
    fn parameters(
        &self,
        renderer: &dyn Renderer,
        partner: &crate::config::PartnerSettings,
    ) -> Result<Option<serde_json::Value>, Refusal> {
        let request = ExchangeParameters {
            function: self.function.clone(),
            action: self.action.clone(),
            reason: self.reason.clone(),
            other_case_id: self.other_case_id.clone(),
            in_reply_to: self.in_reply_to.clone(),
        };
        renderer
            .parameters(&request, partner)
            .map_err(|refusal| match refusal.by_exchange_rules {
                true => Refusal {
                    status: StatusCode::UNPROCESSABLE_ENTITY,
                    title: "Refused by the exchange rules",
                    field: refusal.field,
                    code: refusal.code,
                    detail: refusal.detail,
                },
                false => Refusal::bad_request(refusal.field, refusal.code, refusal.detail),
            })
    }
}

/// A transaction that is in the outbox (new, or already there under its idempotency key).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TransactionQueued {
    message_id: i64,
    idempotency_key: String,
    duplicate: bool,
}

/// Why [`enqueue_transaction`] did not enqueue.
#[derive(Debug)]
pub enum TransactionError {
    /// The request cannot be served (no such case, a message the format cannot build).
    Refused(Refusal),
    /// The database failed: nothing of the transaction may be kept.
    Store(StoreError),
}

impl From<StoreError> for TransactionError {
    fn from(error: StoreError) -> Self {
        TransactionError::Store(error)
    }
}

impl From<TransactionError> for ApiError {
    fn from(error: TransactionError) -> Self {
        match error {
            TransactionError::Refused(refusal) => refusal.into(),
            TransactionError::Store(error) => error.into(),
        }
    }
}

/// Builds the message of `checked` from the case `case_id` as `tx` sees it and enqueues
/// it, in `tx`. On a refusal `tx` may hold writes of the request (its stored parameters):
/// the caller rolls them back.
pub async fn enqueue_transaction(
    tx: &mut DbTx,
    case_id: &str,
    checked: &CheckedTransaction,
    now: i64,
) -> Result<TransactionQueued, TransactionError> {
    let not_found = || {
        TransactionError::Refused(Refusal {
            status: StatusCode::NOT_FOUND,
            title: "Not found",
            field: "",
            code: "NO_SUCH_CASE",
            detail: "no such case".to_string(),
        })
    };
    // CSENet and Tribal requests carry parameters: they are checked against the agreement
    // (and CSENet's valid combinations), and stored as the cause a replay rebuilds from.
    let (cause_kind, cause_id) = match &checked.parameters {
        Some(parameters) => {
            if cases::get_in(tx, case_id).await?.is_none() {
                return Err(not_found());
            }
            let request_id = requests::insert(
                tx,
                case_id,
                &checked.partner,
                &checked.format,
                parameters,
                now,
            )
            .await?;
            (TRANSACTION_REQUEST, request_id.to_string())
        }
        None => ("case", case_id.to_string()),
    };
    let rendered = checked
        .renderer
        .render(
            tx,
            &RenderRequest {
                partner: &checked.partner,
                cause_kind,
                cause_id: &cause_id,
                replay: 0,
                max_attempts: checked.max_attempts,
                now,
            },
        )
        .await
        .map_err(|error| match error {
            RenderError::CauseNotFound { .. } => not_found(),
            RenderError::Store(e) => TransactionError::Store(e),
            other => TransactionError::Refused(Refusal {
                status: StatusCode::UNPROCESSABLE_ENTITY,
                title: "Invalid content",
                field: "",
                code: "NOT_RENDERED",
                detail: other.to_string(),
            }),
        })?;
    let outcome = rendered.enqueue(tx, now).await?;
    Ok(TransactionQueued {
        message_id: outcome.id(),
        idempotency_key: rendered.message.idempotency_key,
        duplicate: matches!(outcome, EnqueueOutcome::Duplicate(_)),
    })
}

async fn post_transaction(
    State(state): State<AppState>,
    _: Bearer<StateSystemRole>,
    Path(id): Path<String>,
    Json(request): Json<TransactionRequest>,
) -> Result<impl IntoResponse, ApiError> {
    let checked = request.check(&state)?;
    let now = now_ms();
    let mut tx = state.db.begin().await?;
    let queued = enqueue_transaction(&mut tx, &id, &checked, now).await?;
    tx.commit().await?;
    state.dispatcher_wake.notify_one();
    let status = if queued.duplicate {
        StatusCode::OK
    } else {
        StatusCode::ACCEPTED
    };
    Ok((status, Json(queued)))
}

#[derive(Deserialize)]
struct FeedQuery {
    after: Option<i64>,
    limit: Option<i64>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct FeedPage {
    events: Vec<FeedEvent>,
    /// Pass as `after` to read on; equal to the request's cursor when there was nothing new.
    next_cursor: i64,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct FeedEvent {
    #[serde(flatten)]
    event: Event,
    payload: serde_json::Value,
}

async fn get_events(
    State(state): State<AppState>,
    _: Bearer<StateSystemRole>,
    Query(query): Query<FeedQuery>,
) -> Result<impl IntoResponse, ApiError> {
    let after = query.after.unwrap_or(0);
    if after < 0 {
        return Err(ApiError::bad_request(
            "after must be a cursor from an earlier page, or 0",
        ));
    }
    let limit = query.limit.unwrap_or(100);
    if !(1..=1000).contains(&limit) {
        return Err(ApiError::bad_request("limit must be between 1 and 1000"));
    }
    let events = events::list_after(&state.db, after, limit).await?;
    let next_cursor = events.last().map(|e| e.id).unwrap_or(after);
    let events = events
        .into_iter()
        .map(|event| FeedEvent {
            payload: event.payload_json(),
            event,
        })
        .collect();
    Ok(Json(FeedPage {
        events,
        next_cursor,
    }))
}
