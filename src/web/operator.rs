//! The operator API: outbox inspection, redeliver and replay, audit, partner health,
//! inbound receipts.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};

use crate::audit;
use crate::intake;
use crate::outbox::MessageState;
use crate::outbox::operator::{self as actions, OperatorError};
use crate::outbox::store::{self as outbox_store, ListFilter};
use crate::store::now_ms;
use crate::web::{ApiError, AppState, Bearer, OperatorRoles};

/// The operator routes every gateway has; channels add the runs of their own jobs.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/operator/v1/outbox", get(list_messages))
        .route("/operator/v1/outbox/{id}", get(show_message))
        .route("/operator/v1/outbox/{id}/redeliver", post(redeliver))
        .route("/operator/v1/outbox/{id}/replay", post(replay))
        .route("/operator/v1/partners", get(partners))
        .route("/operator/v1/receipts", get(receipts))
        .route("/operator/v1/audit", get(audit_recent))
        .route("/operator/v1/audit/verify", get(audit_verify))
}

/// Records that an operator started a job by hand.
pub(crate) async fn audit_job(
    state: &AppState,
    actor: &str,
    job: &str,
    outcome: serde_json::Value,
) -> Result<(), ApiError> {
    let mut tx = state.db.begin().await?;
    audit::append(
        &mut tx,
        &audit::NewEntry {
            actor,
            action: "job.run",
            subject: job,
            reason: None,
            details: outcome,
        },
        now_ms(),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

#[derive(Deserialize)]
struct ListQuery {
    partner: Option<String>,
    state: Option<String>,
    after: Option<i64>,
    limit: Option<i64>,
}

async fn list_messages(
    State(state): State<AppState>,
    _: Bearer<OperatorRoles>,
    Query(query): Query<ListQuery>,
) -> Result<impl IntoResponse, ApiError> {
    let message_state = match query.state.as_deref() {
        None => None,
        Some(name) => Some(MessageState::parse(name).ok_or_else(|| {
            ApiError::bad_request("state must be one of pending, running, retry, delivered, dead")
        })?),
    };
    let filter = ListFilter {
        partner: query.partner,
        state: message_state,
        after_id: query.after,
        limit: query.limit,
    };
    Ok(Json(outbox_store::list(&state.db, &filter).await?))
}

async fn show_message(
    State(state): State<AppState>,
    _: Bearer<OperatorRoles>,
    Path(id): Path<i64>,
) -> Result<impl IntoResponse, ApiError> {
    let detail = outbox_store::show(&state.db, id)
        .await?
        .ok_or_else(|| ApiError::not_found("no such message"))?;
    Ok(Json(detail))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ActionRequest {
    reason: String,
}

fn action_error(error: OperatorError) -> ApiError {
    match error {
        OperatorError::ReasonRequired => ApiError::bad_request("a reason is required"),
        OperatorError::NotFound(_) => ApiError::not_found("no such message"),
        OperatorError::StillLive { .. } => ApiError::new(
            StatusCode::CONFLICT,
            "Message still live",
            error.to_string(),
        ),
        OperatorError::Render(e) => ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "Cannot rebuild",
            e.to_string(),
        ),
        OperatorError::Store(e) => e.into(),
    }
}

async fn redeliver(
    State(state): State<AppState>,
    Bearer(holder, _): Bearer<OperatorRoles>,
    Path(id): Path<i64>,
    Json(request): Json<ActionRequest>,
) -> Result<impl IntoResponse, ApiError> {
    let actor = holder.actor();
    let attempts_for = |partner: &str| state.settings.max_attempts_for(partner);
    actions::redeliver(
        &state.db,
        id,
        &request.reason,
        &actor,
        &attempts_for,
        now_ms(),
    )
    .await
    .map_err(action_error)?;
    state.dispatcher_wake.notify_one();
    Ok(Json(
        serde_json::json!({ "messageId": id, "state": "pending" }),
    ))
}

async fn replay(
    State(state): State<AppState>,
    Bearer(holder, _): Bearer<OperatorRoles>,
    Path(id): Path<i64>,
    Json(request): Json<ActionRequest>,
) -> Result<impl IntoResponse, ApiError> {
    let actor = holder.actor();
    let attempts_for = |partner: &str| state.settings.max_attempts_for(partner);
    let replayed = actions::replay(
        &state.db,
        &state.renderers,
        id,
        &request.reason,
        &actor,
        &attempts_for,
        now_ms(),
    )
    .await
    .map_err(action_error)?;
    state.dispatcher_wake.notify_one();
    Ok((StatusCode::ACCEPTED, Json(replayed)))
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PartnerHealth {
    id: String,
    name: Option<String>,
    kind: crate::config::PartnerKind,
    circuit: &'static str,
}

async fn partners(
    State(state): State<AppState>,
    _: Bearer<OperatorRoles>,
) -> Result<impl IntoResponse, ApiError> {
    let list: Vec<PartnerHealth> = state
        .settings
        .partners
        .iter()
        .map(|p| PartnerHealth {
            id: p.id.clone(),
            name: p.name.clone(),
            kind: p.kind,
            circuit: state
                .channels
                .iter()
                .find(|c| c.id == p.id)
                .map(|c| c.circuit.state().as_str())
                .unwrap_or("not dispatched here"),
        })
        .collect();
    Ok(Json(list))
}

#[derive(Deserialize)]
struct LimitQuery {
    limit: Option<i64>,
}

async fn receipts(
    State(state): State<AppState>,
    _: Bearer<OperatorRoles>,
    Query(query): Query<LimitQuery>,
) -> Result<impl IntoResponse, ApiError> {
    Ok(Json(
        intake::recent(&state.db, query.limit.unwrap_or(100).clamp(1, 1000)).await?,
    ))
}

async fn audit_recent(
    State(state): State<AppState>,
    _: Bearer<OperatorRoles>,
    Query(query): Query<LimitQuery>,
) -> Result<impl IntoResponse, ApiError> {
    Ok(Json(
        audit::recent(&state.db, query.limit.unwrap_or(100).clamp(1, 1000)).await?,
    ))
}

async fn audit_verify(
    State(state): State<AppState>,
    _: Bearer<OperatorRoles>,
) -> Result<impl IntoResponse, ApiError> {
    // Against this instance's own checkpoints (audit.checkpoint_dir); copies shipped
    // elsewhere are checked with `ivd-gateway audit verify --checkpoints`.
    let key = state
        .db
        .sealer()
        .audit_key()
        .cloned()
        .ok_or(crate::store::StoreError::NoAuditKey)?;
    let settings = state.settings.audit.clone();
    let checkpoints =
        tokio::task::spawn_blocking(move || audit::Checkpoints::read_configured(&settings, &key))
            .await
            .map_err(|error| {
                ApiError::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "Checkpoints unreadable",
                    format!("reading the audit checkpoints failed: {error}"),
                )
            })?
            .map_err(|error| {
                tracing::error!(error = %error, "Reading the audit checkpoints failed.");
                ApiError::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "Checkpoints unreadable",
                    "the audit checkpoints could not be read (audit.checkpoint_dir); see the log",
                )
            })?;
    Ok(Json(audit::verify_against(&state.db, &checkpoints).await?))
}
