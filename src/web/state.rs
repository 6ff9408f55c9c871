//! The state system's API: case snapshots, outbound transactions, the event feed.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::{get, post, put};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};

use crate::channels::interstate::CsenetParameters;
use crate::channels::interstate::outbound::{self, CsenetRenderer};
use crate::channels::tribal::TribalParameters;
use crate::channels::tribal::outbound::TribalRenderer;
use crate::outbox::EnqueueOutcome;
use crate::outbox::render::{RenderError, RenderRequest};
use crate::store::events::{self, Event};
use crate::store::{cases, now_ms, requests};
use crate::web::{ApiError, AppState, Bearer, FieldProblem, StateSystemRole};

/// The state-system routes.
pub fn routes() -> Router<AppState> {
    Router::new()
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
    crate::canonical::parse_case(body).map_err(|errors| {
        ApiError::invalid(
            "the case does not match the canonical model",
            errors
                .into_iter()
                .map(|e| FieldProblem {
                    field: e.field.to_string(),
                    code: e.code.as_str().to_string(),
                    message: e.message,
                })
                .collect(),
        )
    })
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
    // Stored in canonical form, so that the same case pushed twice compares equal.
    let canonical = serde_json::to_string(&case)
        .map_err(|_| ApiError::bad_request("the case cannot be serialised"))?;
    let now = now_ms();
    let mut tx = state.db.begin().await?;
    let (version, changed) = cases::put(&mut tx, &id, &canonical, now).await?;
    if changed {
        crate::channels::employers::matching::index_case(&mut tx, &state.lookup_key, &case).await?;
    }
    tx.commit().await?;
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

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct TransactionRequest {
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

impl TransactionRequest {
    /// The exchange parameters of a format that has them (CSENet, Tribal), checked against
    /// the partner's agreement; `None` for a format without parameters.
    fn parameters(
        &self,
        partner: &crate::config::PartnerSettings,
    ) -> Result<Option<serde_json::Value>, ApiError> {
        let refused = |rule: String| {
            ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "Refused by the exchange rules",
                rule,
            )
        };
        let required = |value: &Option<String>, what: &str| {
            value.clone().ok_or_else(|| {
                ApiError::bad_request(format!("{what} is required for {}", self.format))
            })
        };
        let parameters = match self.format.as_str() {
            CsenetRenderer::KIND => {
                let agreement = partner.csenet_agreement().ok_or_else(|| {
                    ApiError::bad_request("this partner has no CSENet exchange agreement")
                })?;
                if self.in_reply_to.is_some() {
                    return Err(ApiError::bad_request(
                        "inReplyTo applies to the tribal format only",
                    ));
                }
                let parameters = CsenetParameters {
                    function: required(&self.function, "function")?,
                    action: required(&self.action, "action")?,
                    reason: self.reason.clone().unwrap_or_default(),
                    other_case_id: self.other_case_id.clone(),
                };
                parameters.check(&agreement).map_err(refused)?;
                serde_json::to_value(&parameters)
            }
            TribalRenderer::KIND => {
                let agreement = partner.tribal_xml_agreement().ok_or_else(|| {
                    ApiError::bad_request(
                        "this partner has no Tribal exchange agreement for XML documents",
                    )
                })?;
                let parameters = TribalParameters {
                    function: required(&self.function, "function")?,
                    action: required(&self.action, "action")?,
                    reason: self.reason.clone().filter(|r| !r.trim().is_empty()),
                    other_case_id: self.other_case_id.clone(),
                    in_reply_to: self.in_reply_to.clone(),
                };
                parameters.check(agreement).map_err(refused)?;
                serde_json::to_value(&parameters)
            }
            _ => {
                if self.function.is_some()
                    || self.action.is_some()
                    || self.reason.is_some()
                    || self.in_reply_to.is_some()
                {
                    return Err(ApiError::bad_request(
                        "function, action, reason and inReplyTo apply to the csenet and tribal formats only",
                    ));
                }
                return Ok(None);
            }
        };
        parameters
            .map(Some)
            .map_err(|_| ApiError::bad_request("bad parameters"))
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct TransactionQueued {
    message_id: i64,
    idempotency_key: String,
    duplicate: bool,
}

async fn post_transaction(
    State(state): State<AppState>,
    _: Bearer<StateSystemRole>,
    Path(id): Path<String>,
    Json(request): Json<TransactionRequest>,
) -> Result<impl IntoResponse, ApiError> {
    let partner = state
        .settings
        .partner(&request.partner)
        .ok_or_else(|| ApiError::bad_request("no such partner"))?;
    let renderer = state
        .renderers
        .get(&request.format)
        .map_err(|_| ApiError::bad_request("no such format"))?
        .clone();
    let now = now_ms();
    let mut tx = state.db.begin().await?;
    // CSENet and Tribal requests carry parameters: they are checked against the agreement
    // (and CSENet's valid combinations), and stored as the cause a replay rebuilds from.
    let (cause_kind, cause_id) = match request.parameters(partner)? {
        Some(parameters) => {
            if cases::get_in(&mut tx, &id).await?.is_none() {
                return Err(ApiError::not_found("no such case"));
            }
            let request_id =
                requests::insert(&mut tx, &id, &partner.id, &request.format, &parameters, now)
                    .await?;
            (outbound::CAUSE, request_id.to_string())
        }
        None => ("case", id.clone()),
    };
    let rendered = renderer
        .render(
            &mut tx,
            &RenderRequest {
                partner: &partner.id,
                cause_kind,
                cause_id: &cause_id,
                replay: 0,
                max_attempts: i64::from(partner.retry.max_attempts),
                now,
            },
        )
        .await
        .map_err(|error| match error {
            RenderError::CauseNotFound { .. } => ApiError::not_found("no such case"),
            RenderError::Store(e) => e.into(),
            other => ApiError::invalid(other.to_string(), Vec::new()),
        })?;
    let outcome = rendered.enqueue(&mut tx, now).await?;
    tx.commit().await?;
    state.dispatcher_wake.notify_one();
    let status = match outcome {
        EnqueueOutcome::Enqueued(_) => StatusCode::ACCEPTED,
        EnqueueOutcome::Duplicate(_) => StatusCode::OK,
    };
    Ok((
        status,
        Json(TransactionQueued {
            message_id: outcome.id(),
            idempotency_key: rendered.message.idempotency_key,
            duplicate: matches!(outcome, EnqueueOutcome::Duplicate(_)),
        }),
    ))
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
