//! HTTP: the API listener (state system, operators, health, metrics) and the partner
//! listener (mutual TLS only), and, when configured, a listener of its own for metrics.
//! Every listener runs the accept loop of [`listener`] (bounded connections, slow and idle
//! clients cut off); every answer carries the headers of [`headers`].
//!
//! Errors are RFC 9457 problem documents (`application/problem+json`) whose text never
//! carries personal data. Tokens come as `Authorization: Bearer …`; each route names the
//! roles it admits.

pub mod dashboard;
pub mod employer;
pub mod employer_pages;
pub mod fti;
pub mod headers;
pub mod health;
pub mod limits;
pub mod listener;
pub mod operator;
pub mod partner;
pub mod session;
pub mod state;

use std::sync::Arc;

use axum::Router;
use axum::extract::{DefaultBodyLimit, MatchedPath, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use tokio::sync::Notify;

use crate::config::Settings;
use crate::outbox::dispatcher::PartnerChannel;
use crate::outbox::render::Renderers;
use crate::store::tokens::{self, Role, TokenHolder};
use crate::store::{Db, StoreError};
use crate::telemetry::metrics::{HttpLabels, Metrics, method_label};

/// What every handler can reach.
#[derive(Clone, Debug)]
pub struct AppState {
    /// The database.
    pub db: Db,
    /// The settings the gateway started with.
    pub settings: Arc<Settings>,
    /// Metrics.
    pub metrics: Arc<Metrics>,
    /// Renderers of outbound messages.
    pub renderers: Arc<Renderers>,
    /// The partner channels (for circuit states); empty when dispatching is off.
    pub channels: Arc<Vec<Arc<PartnerChannel>>>,
    /// Wakes the dispatcher after an enqueue.
    pub dispatcher_wake: Arc<Notify>,
    /// Inbound processors by channel.
    pub processors: Arc<crate::intake::Processors>,
    /// The keyed hash of SSNs (matching, duplicates).
    pub lookup_key: crate::privacy::LookupKey,
    /// Data keys sealing federal tax information at rest.
    pub data_keys: crate::privacy::DataKeys,
    /// Raises alerts (partner down, dead letter, overdue answers, discrepancies).
    pub alerts: crate::alerts::Alerts,
}

impl AppState {
    /// Configured partner ids.
    pub fn partner_ids(&self) -> Vec<String> {
        self.settings
            .partners
            .iter()
            .map(|p| p.id.clone())
            .collect()
    }
}

/// An error answer.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    title: &'static str,
    detail: String,
    /// Per-field problems, when a body failed validation.
    errors: Vec<FieldProblem>,
}

/// One invalid field of a request body.
#[derive(Clone, Debug, Serialize)]
pub struct FieldProblem {
    /// Where (a JSON path such as `participants[1].person.ssn`).
    pub field: String,
    /// Stable code.
    pub code: String,
    /// What is wrong, without the value.
    pub message: String,
}

impl ApiError {
    /// An error with a status, a short title and a detail.
    pub fn new(status: StatusCode, title: &'static str, detail: impl Into<String>) -> Self {
        ApiError {
            status,
            title,
            detail: detail.into(),
            errors: Vec::new(),
        }
    }

    /// 400 with per-field problems.
    pub fn invalid(detail: impl Into<String>, errors: Vec<FieldProblem>) -> Self {
        ApiError {
            errors,
            ..ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "Invalid content", detail)
        }
    }

    /// 404.
    pub fn not_found(detail: impl Into<String>) -> Self {
        ApiError::new(StatusCode::NOT_FOUND, "Not found", detail)
    }

    /// The status and the detail, for a page that shows the problem in words.
    pub fn parts(&self) -> (StatusCode, &str) {
        (self.status, &self.detail)
    }

    /// 400.
    pub fn bad_request(detail: impl Into<String>) -> Self {
        ApiError::new(StatusCode::BAD_REQUEST, "Bad request", detail)
    }
}

impl From<StoreError> for ApiError {
    fn from(error: StoreError) -> Self {
        tracing::error!(error = %error, "Storage failed while serving a request.");
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "Storage unavailable",
            "the database could not complete the request; try again",
        )
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        #[derive(Serialize)]
        struct Problem<'a> {
            #[serde(rename = "type")]
            kind: &'static str,
            title: &'a str,
            status: u16,
            detail: &'a str,
            #[serde(skip_serializing_if = "<[_]>::is_empty")]
            errors: &'a [FieldProblem],
        }
        let body = serde_json::to_vec(&Problem {
            kind: "about:blank",
            title: self.title,
            status: self.status.as_u16(),
            detail: &self.detail,
            errors: &self.errors,
        })
        .unwrap_or_default();
        (
            self.status,
            [(header::CONTENT_TYPE, "application/problem+json")],
            body,
        )
            .into_response()
    }
}

/// Checks the bearer token and its role.
pub async fn authorize(
    state: &AppState,
    headers: &HeaderMap,
    allowed: &[Role],
) -> Result<TokenHolder, ApiError> {
    let presented = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::UNAUTHORIZED,
                "Unauthorized",
                "a bearer token is required",
            )
        })?;
    let holder = tokens::authenticate(&state.db, presented)
        .await?
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::UNAUTHORIZED,
                "Unauthorized",
                "the token is not valid",
            )
        })?;
    if !allowed.contains(&holder.role) {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "Forbidden",
            format!("the role {} may not use this route", holder.role.as_str()),
        ));
    }
    Ok(holder)
}

/// Counts every answer by listener, method, route template and status: labels from fixed
/// sets only (an unknown method is `other`, an unmatched path `unmatched`), so no client
/// can add series.
async fn count_requests(
    State((metrics, listener)): State<(Arc<Metrics>, &'static str)>,
    request: Request,
    next: Next,
) -> Response {
    let method = method_label(request.method());
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| "unmatched".to_string());
    let response = next.run(request).await;
    metrics
        .http_requests
        .get_or_create(&HttpLabels {
            listener,
            method,
            route,
            status: response.status().as_u16(),
        })
        .inc();
    response
}

/// The API listener's routes.
pub fn api_router(state: AppState) -> Router {
    let limit = state.settings.server.max_body_bytes;
    let metrics = state.metrics.clone();
    let router = Router::new()
        .merge(health::routes(&state.settings.server))
        .merge(state::routes())
        .merge(operator::routes())
        .merge(employer::routes())
        .merge(fti::routes())
        .merge(dashboard::routes())
        .merge(crate::reconcile::web::routes())
        .merge(employer_pages::routes())
        .with_state(state.clone());
    let router = match limits::RequestLimit::per_minute(
        state.settings.server.token_requests_per_minute,
        "token",
    ) {
        Some(quota) => router.layer(axum::middleware::from_fn_with_state(
            quota,
            limits::per_token,
        )),
        None => router,
    };
    router
        .layer(axum::middleware::from_fn_with_state(
            (metrics, "api"),
            count_requests,
        ))
        .layer(DefaultBodyLimit::max(limit))
        .layer(axum::middleware::from_fn(headers::browser_protections))
}

/// The metrics listener's one route (`server.metrics_listen`).
pub fn metrics_router(state: AppState) -> Router {
    let metrics = state.metrics.clone();
    Router::new()
        .merge(health::metrics_routes())
        .with_state(state)
        .layer(axum::middleware::from_fn_with_state(
            (metrics, "metrics"),
            count_requests,
        ))
        .layer(axum::middleware::from_fn(headers::browser_protections))
}

/// The partner listener's routes (served only behind mutual TLS).
pub fn partner_router(state: AppState) -> Router {
    let limit = state.settings.server.max_body_bytes;
    let metrics = state.metrics.clone();
    let router = Router::new()
        .merge(partner::routes())
        .with_state(state.clone());
    let router = match limits::RequestLimit::per_minute(
        state.settings.server.partner_requests_per_minute,
        "partner certificate",
    ) {
        Some(quota) => router.layer(axum::middleware::from_fn_with_state(
            quota,
            limits::per_partner,
        )),
        None => router,
    };
    router
        .layer(axum::middleware::from_fn_with_state(
            (metrics, "partner"),
            count_requests,
        ))
        .layer(DefaultBodyLimit::max(limit))
        .layer(axum::middleware::from_fn(headers::no_sniffing))
}
