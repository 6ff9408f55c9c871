//! HTTP: the API listener (state system, operators, health, metrics) and the partner
//! listener (mutual TLS only), and, when configured, a listener of its own for metrics.
//! Every listener runs the accept loop of [`listener`] (bounded connections, slow and idle
//! clients cut off); every answer carries the headers of [`headers`].
//!
//! Errors are RFC 9457 problem documents (`application/problem+json`) whose text never
//! carries personal data. Tokens come as `Authorization: Bearer …`; each route names the
//! roles it admits.

pub mod dashboard;
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
    /// The request quotas of bearer tokens, by role.
    pub token_limits: limits::TokenLimits,
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
    /// Seconds to wait before trying again (`429`), sent as `Retry-After`.
    retry_after: Option<u64>,
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

impl From<ivd_fixed::FieldError> for FieldProblem {
    fn from(error: ivd_fixed::FieldError) -> Self {
        FieldProblem {
            field: error.field.to_string(),
            code: error.code.as_str().to_string(),
            message: error.message,
        }
    }
}

impl ApiError {
    /// An error with a status, a short title and a detail.
    pub fn new(status: StatusCode, title: &'static str, detail: impl Into<String>) -> Self {
        ApiError {
            status,
            title,
            detail: detail.into(),
            errors: Vec::new(),
            retry_after: None,
        }
    }

    /// 429, with the seconds to wait in `Retry-After`.
    pub fn too_many_requests(detail: impl Into<String>, wait_secs: u64) -> Self {
        ApiError {
            retry_after: Some(wait_secs),
            ..ApiError::new(StatusCode::TOO_MANY_REQUESTS, "Too many requests", detail)
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
        let mut response = (
            self.status,
            [(header::CONTENT_TYPE, "application/problem+json")],
            body,
        )
            .into_response();
        if let Some(wait) = self.retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, wait.into());
        }
        response
    }
}

/// Checks the bearer token, takes one request from its quota ([`limits::TokenLimits`]:
/// every request the token makes counts, whatever the route) and checks its role.
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
    state.token_limits.check(&holder)?;
    if !allowed.contains(&holder.role) {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "Forbidden",
            format!("the role {} may not use this route", holder.role.as_str()),
        ));
    }
    Ok(holder)
}

/// The roles a route admits, as a type, so that [`Bearer`] can check them before anything
/// else of the request is read.
pub trait Admits: Send + Sync + 'static {
    /// The roles.
    const ROLES: &'static [Role];
}

/// The state's case system.
#[derive(Debug)]
pub struct StateSystemRole;
impl Admits for StateSystemRole {
    const ROLES: &'static [Role] = &[Role::StateSystem];
}

/// Operators and admins.
#[derive(Debug)]
pub struct OperatorRoles;
impl Admits for OperatorRoles {
    const ROLES: &'static [Role] = &[Role::Operator, Role::Admin];
}

/// Employers (and payroll agents).
#[derive(Debug)]
pub struct EmployerRole;
impl Admits for EmployerRole {
    const ROLES: &'static [Role] = &[Role::Employer];
}

/// Employers, for their own receipts, and operators and admins, for any.
#[derive(Debug)]
pub struct ReceiptReaderRoles;
impl Admits for ReceiptReaderRoles {
    const ROLES: &'static [Role] = &[Role::Employer, Role::Operator, Role::Admin];
}

/// Readers of federal tax information.
#[derive(Debug)]
pub struct FtiReaderRole;
impl Admits for FtiReaderRole {
    const ROLES: &'static [Role] = &[Role::FtiReader];
}

/// The holder of a valid bearer token whose role `A` admits. As an extractor it runs
/// before any body extractor (axum runs request-parts extractors first, in order), so an
/// unauthenticated or unauthorized request is answered 401/403 before a byte of its body
/// is read: put it first among a handler's arguments, after `State`.
#[derive(Debug)]
pub struct Bearer<A: Admits>(pub TokenHolder, pub std::marker::PhantomData<A>);

impl<A: Admits> axum::extract::FromRequestParts<AppState> for Bearer<A> {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let holder = authorize(state, &parts.headers, A::ROLES).await?;
        Ok(Bearer(holder, std::marker::PhantomData))
    }
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

/// Every error answer of both listeners is a problem document (RFC 9457), pages (HTML) and
/// documented JSON verdicts (a rejected Tribal document's 422) aside. Handlers answer with
/// [`ApiError`] already; what is left are axum's own rejections (a body that is not JSON,
/// too large, a path or query that does not parse, a method the route does not take), which
/// are plain text or empty. Their text is kept as the detail with quoted values and long
/// digit runs masked, because serde's messages quote the offending value.
async fn problem_documents(request: Request, next: Next) -> Response {
    let response = next.run(request).await;
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    let content_type = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    // A handler's own answer (a problem document, a page, a verdict in JSON) stays as it
    // is; axum's rejections are plain text or empty.
    if !(content_type.is_empty() || content_type.starts_with("text/plain")) {
        return response;
    }
    let (parts, body) = response.into_parts();
    let text = axum::body::to_bytes(body, 4096).await.unwrap_or_default();
    let detail = match masked_detail(&String::from_utf8_lossy(&text)) {
        detail if detail.is_empty() => status
            .canonical_reason()
            .unwrap_or("the request failed")
            .to_lowercase(),
        detail => detail,
    };
    let mut problem =
        ApiError::new(status, status.canonical_reason().unwrap_or("Error"), detail).into_response();
    for (name, value) in &parts.headers {
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
            problem.headers_mut().append(name.clone(), value.clone());
        }
    }
    problem
}

/// A rejection's text fit for a problem document: quoted values replaced by `"…"`, runs of
/// four or more digits by `#`s, at most 300 characters.
fn masked_detail(text: &str) -> String {
    let mut out = String::with_capacity(text.len().min(300));
    let mut in_quotes = false;
    let mut digits = String::new();
    let flush = |digits: &mut String, out: &mut String| {
        if digits.len() >= 4 {
            out.extend(std::iter::repeat_n('#', digits.len()));
        } else {
            out.push_str(digits);
        }
        digits.clear();
    };
    for c in text.trim().chars() {
        if c == '"' {
            flush(&mut digits, &mut out);
            if !in_quotes {
                out.push_str("\"…");
            }
            in_quotes = !in_quotes;
            if !in_quotes {
                out.push('"');
            }
            continue;
        }
        if in_quotes {
            continue;
        }
        if c.is_ascii_digit() {
            digits.push(c);
        } else {
            flush(&mut digits, &mut out);
            out.push(c);
        }
        if out.chars().count() >= 300 {
            break;
        }
    }
    flush(&mut digits, &mut out);
    if in_quotes {
        out.push('"');
    }
    out.chars().take(300).collect()
}

/// The answer for a path no route serves.
async fn no_route() -> ApiError {
    ApiError::not_found(NO_ROUTE)
}

/// The detail of [`no_route`]'s answer (tests tell a missing route by it).
pub const NO_ROUTE: &str = "no route serves this path";

/// The API listener's routes.
pub fn api_router(state: AppState) -> Router {
    let limit = state.settings.server.max_body_bytes;
    let metrics = state.metrics.clone();
    let mut router = Router::new()
        .merge(health::routes(&state.settings.server))
        .merge(state::routes())
        .merge(operator::routes())
        .merge(fti::routes())
        .merge(dashboard::routes())
        .merge(crate::reconcile::web::routes());
    for channel in crate::channels::all() {
        router = router.merge(channel.api_routes());
    }
    let router = router.fallback(no_route).with_state(state.clone());
    let router = match limits::AnonymousLimit::new(
        state
            .settings
            .server
            .anonymous_requests_per_minute_per_address,
        state.settings.server.anonymous_requests_per_minute,
        state.settings.server.trusted_proxies.clone(),
    ) {
        Some(quota) => router.layer(axum::middleware::from_fn_with_state(
            quota,
            limits::anonymous,
        )),
        None => router,
    };
    router
        .layer(axum::middleware::from_fn(problem_documents))
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
        .fallback(no_route)
        .with_state(state)
        .layer(axum::middleware::from_fn(problem_documents))
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
    let mut router = Router::new().merge(partner::routes());
    for channel in crate::channels::all() {
        router = router.merge(channel.partner_routes());
    }
    let router = router.fallback(no_route).with_state(state.clone());
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
        .layer(axum::middleware::from_fn(problem_documents))
        .layer(axum::middleware::from_fn_with_state(
            (metrics, "partner"),
            count_requests,
        ))
        .layer(DefaultBodyLimit::max(limit))
        .layer(axum::middleware::from_fn(headers::no_sniffing))
}

#[cfg(test)]
mod tests {
    use super::masked_detail;

    #[test]
    fn a_rejection_that_quotes_the_value_sent_keeps_the_field_but_not_the_value() {
        let text = r#"Failed to deserialize the JSON body into the target type: partner: invalid type: string "123-45-6789 Jane", expected one of `csenet` at line 1 column 20"#;
        let detail = masked_detail(text);
        assert!(
            !detail.contains("6789") && !detail.contains("Jane"),
            "{detail}"
        );
        assert!(
            detail.contains("partner: invalid type: string \"…\""),
            "{detail}"
        );
        assert!(
            detail.contains("line 1 column 20"),
            "short numbers stay: {detail}"
        );
    }

    #[test]
    fn long_digit_runs_are_masked_and_the_detail_is_bounded() {
        assert_eq!(masked_detail("integer `123456789`"), "integer `#########`");
        assert_eq!(masked_detail(&"x".repeat(1000)).chars().count(), 300);
        assert_eq!(masked_detail("unterminated \"quote"), "unterminated \"…\"");
    }
}
