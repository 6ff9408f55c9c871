//! The operator dashboard, served by the gateway at `/`: server-rendered HTML, its one
//! stylesheet embedded in the binary, no script and no external asset, so it works offline
//! and in any browser. Pages refresh themselves where the picture changes on its own.
//!
//! - **Exchange health** (`/`): alerts firing; each partner up, degraded or down with its
//!   circuit, last success and last failure (with the reason); the outbox by partner and
//!   state with the oldest waiting message; deliveries and failures over six hours.
//! - **Dead letters** (`/dead-letters`): redeliver (same idempotency key) or replay
//!   (rebuilt from its cause) each, with a reason, which goes to the audit trail.
//! - **Inbound receipts** (`/receipts`, `/receipts/{id}`): what partners sent and the
//!   verdict of each record.
//! - **Reconciliation** (`/reconciliation`, `/reconciliation/runs/{id}`): each job with its
//!   schedule and last run; every run's report, discrepancy by discrepancy, and as CSV —
//!   without the discrepancies that are federal tax information (their number is shown;
//!   the `fti-reader` role reads them through `/fti/v1/reconcile/runs/{id}`).
//! - **Audit trail** (`/audit?q=`): searchable.
//! - **Employer accounts** (`/employer-accounts`): employers' requests for an account on the
//!   employer pages; approving one issues its token, shown once to hand over.
//!
//! Sign-in is for operators and admins (name and token); see [`super::session`].

mod data;
mod view;

use axum::Router;
use axum::extract::{DefaultBodyLimit, Form, Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use maud::{Markup, html};
use serde::Deserialize;

use crate::outbox::MessageState;
use crate::outbox::circuit::CircuitState;
use crate::outbox::operator::{self as actions, OperatorError};
use crate::outbox::store::{self as outbox_store, ListFilter};
use crate::store::tokens::Role;
use crate::web::limits::ClientAddress;
use crate::web::session::{self, FormPairing, Realm, Session, SignInForm, SignInPage};
use crate::web::{ApiError, AppState};
pub(crate) use view::when;
use view::{Viewer, age, badge, page};

const STYLESHEET: &str = include_str!("app.css");
/// How often the health page reloads itself (seconds).
const REFRESH_SECS: u32 = 5;
/// The chart: 36 intervals of 10 minutes.
const CHART_BUCKET_MS: i64 = 10 * 60 * 1000;
const CHART_BUCKETS: usize = 36;
/// A partner whose oldest waiting message is older than this is degraded.
const DEGRADED_AFTER_SECS: i64 = 15 * 60;

/// The dashboard's routes (on the API listener).
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(health))
        .route(
            "/sign-in",
            get(sign_in_form)
                .post(sign_in)
                .layer(DefaultBodyLimit::max(super::session::PUBLIC_FORM_BYTES)),
        )
        .route("/sign-out", post(sign_out))
        .route("/dead-letters", get(dead_letters))
        .route("/dead-letters/{id}/redeliver", post(redeliver))
        .route("/dead-letters/{id}/replay", post(replay))
        .route("/receipts", get(receipts))
        .route("/receipts/{id}", get(receipt))
        .route("/reconciliation", get(reconciliation))
        .route("/reconciliation/runs/{id}", get(reconciliation_run))
        .route(
            "/reconciliation/runs/{id}/report.csv",
            get(reconciliation_csv),
        )
        .route("/audit", get(audit))
        .route("/employer-accounts", get(employer_accounts))
        .route("/employer-accounts/{id}", post(decide_employer_account))
        .route("/assets/app.css", get(stylesheet))
}

/// An HTML answer that is never cached (pages show personal-data-free but live state).
fn html_page(status: StatusCode, markup: Markup) -> Response {
    (
        status,
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        markup.into_string(),
    )
        .into_response()
}

/// The signed-in operator (or admin) of a dashboard request; without one, the request is
/// answered with the way to the sign-in page.
struct Operator(Session);

impl axum::extract::FromRequestParts<AppState> for Operator {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        match session::from_headers(&state.db, Realm::Dashboard, &parts.headers, data::now()).await
        {
            Ok(Some(session)) => Ok(Operator(session)),
            Ok(_) => Err(Redirect::to("/sign-in").into_response()),
            Err(error) => Err(ApiError::from(error).into_response()),
        }
    }
}

async fn stylesheet() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "max-age=3600"),
        ],
        STYLESHEET,
    )
}

/// The dashboard's sign-in page; its form is paired with a cookie, so that a sign-in posted
/// from another site (login CSRF) is refused.
const SIGN_IN: SignInPage = SignInPage {
    realm: Realm::Dashboard,
    pairing: FormPairing {
        cookie: "ivd_sign_in",
        path: "/sign-in",
    },
    draw: view::sign_in,
    incomplete: "Enter your name and your token.",
    throttled: "Too many failed sign-ins for this name from here. Wait 15 minutes, then try again.",
    refused: "That name and token do not match an operator. Check both and try again.",
    home: "/",
};

async fn sign_in_form(State(state): State<AppState>) -> Response {
    SIGN_IN.answer(&state, StatusCode::OK, None, "")
}

async fn sign_in(
    State(state): State<AppState>,
    ClientAddress(client): ClientAddress,
    headers: HeaderMap,
    Form(form): Form<SignInForm>,
) -> Response {
    SIGN_IN.post(&state, &client, &headers, &form).await
}

#[derive(Deserialize)]
struct CsrfOnly {
    csrf: String,
}

async fn sign_out(
    State(state): State<AppState>,
    Operator(session): Operator,
    headers: HeaderMap,
    Form(form): Form<CsrfOnly>,
) -> Response {
    if !session.csrf_matches(&form.csrf) {
        return forbidden();
    }
    session::sign_out(&state.db, &headers, "/sign-in").await
}

fn forbidden() -> Response {
    html_page(
        StatusCode::FORBIDDEN,
        html! { p.error { "This form has expired. Go back, reload the page and try again." } },
    )
}

/// Up, degraded or down, from the circuit, the latest outcomes and the oldest waiting
/// message.
fn health_of(
    circuit: Option<CircuitState>,
    activity: &data::Activity,
    oldest_age: Option<i64>,
) -> &'static str {
    match circuit {
        Some(CircuitState::Open | CircuitState::HalfOpen) => "down",
        _ if activity.last_failure > activity.last_success
            || activity.retrying > 0
            || oldest_age.is_some_and(|age| age > DEGRADED_AFTER_SECS) =>
        {
            "degraded"
        }
        _ => "up",
    }
}

async fn health(State(state): State<AppState>, Operator(session): Operator) -> Response {
    match health_page(&state, &session).await {
        Ok(markup) => html_page(StatusCode::OK, markup),
        Err(error) => ApiError::from(error).into_response(),
    }
}

async fn health_page(
    state: &AppState,
    session: &Session,
) -> Result<Markup, crate::store::StoreError> {
    let now = data::now();
    let firing = crate::alerts::list(&state.db, Some("firing"), 50).await?;
    let depth = outbox_store::depth(&state.db).await?;
    let oldest = outbox_store::oldest_live(&state.db).await?;
    let chart_from = (now / CHART_BUCKET_MS - CHART_BUCKETS as i64 + 1) * CHART_BUCKET_MS;
    let buckets = data::throughput(&state.db, chart_from, CHART_BUCKET_MS).await?;
    let mut partners = Vec::new();
    for partner in &state.settings.partners {
        let channel = state.channels.iter().find(|c| c.id == partner.id);
        let activity = data::activity(&state.db, &partner.id).await?;
        let oldest_age = oldest
            .iter()
            .find(|(p, _)| *p == partner.id)
            .map(|(_, at)| (now - at) / 1000);
        let circuit = channel.map(|c| c.circuit.state());
        let health = if partner.transport.is_none() {
            "receive only"
        } else {
            health_of(circuit, &activity, oldest_age)
        };
        partners.push((partner, health, circuit, activity, oldest_age));
    }
    let count = |partner: &str, state: MessageState| {
        depth
            .iter()
            .find(|(p, s, _)| p == partner && s == state.as_str())
            .map_or(0, |(_, _, n)| *n)
    };
    let viewer = Viewer {
        name: &session.holder,
        csrf: &session.csrf,
    };
    let content = html! {
        p.muted { "Updated " (when(Some(now))) "; this page reloads every " (REFRESH_SECS) " seconds." }
        h2 { "Alerts firing" }
        @if firing.is_empty() {
            p { "None." }
        } @else {
            table {
                thead { tr { th { "Alert" } th { "Partner" } th { "Since" } th { "What" } } }
                tbody {
                    @for alert in &firing {
                        tr { td { (alert.kind) } td { (alert.partner.as_deref().unwrap_or("—")) } td { (when(Some(alert.changed_at))) } td { (alert.summary) } }
                    }
                }
            }
        }
        h2 { "Partners" }
        table id="partners" {
            thead { tr { th { "Partner" } th { "Kind" } th { "Health" } th { "Circuit" } th { "Last success" } th { "Last failure" } th { "Reason" } } }
            tbody {
                @for (partner, health, circuit, activity, _) in &partners {
                    tr data-partner=(partner.id) {
                        td { strong { (partner.id) } @if let Some(name) = &partner.name { br; span.muted { (name) } } }
                        td { (format!("{:?}", partner.kind).to_lowercase()) }
                        td { (badge(health)) }
                        td { (circuit.map_or("—", |c| c.as_str())) }
                        td { (when(activity.last_success)) }
                        td { (when(activity.last_failure)) }
                        td { (activity.last_failure_reason.as_deref().unwrap_or("—")) }
                    }
                }
            }
        }
        h2 { "Outbox" }
        table id="outbox" {
            thead { tr {
                th { "Partner" }
                @for message_state in MessageState::ALL { th.num { (message_state.as_str()) } }
                th.num { "Oldest waiting" }
            } }
            tbody {
                @for (partner, _, _, _, oldest_age) in &partners {
                    tr {
                        td { (partner.id) }
                        @for message_state in MessageState::ALL {
                            td.num {
                                @if message_state == MessageState::Dead && count(&partner.id, message_state) > 0 {
                                    a href="/dead-letters" { (count(&partner.id, message_state)) }
                                } @else {
                                    (count(&partner.id, message_state))
                                }
                            }
                        }
                        td.num { (oldest_age.map_or("—".to_string(), age)) }
                    }
                }
            }
        }
        h2 { "Deliveries and failures, last six hours" }
        (view::throughput_chart(&buckets, chart_from, CHART_BUCKET_MS, CHART_BUCKETS))
    };
    Ok(page(
        "Exchange health",
        "/",
        Some(&viewer),
        Some(REFRESH_SECS),
        content,
    ))
}

#[derive(Deserialize, Default)]
struct Notice {
    #[serde(default)]
    done: Option<String>,
}

async fn dead_letters(
    State(state): State<AppState>,
    Operator(session): Operator,
    Query(notice): Query<Notice>,
) -> Response {
    let message = notice.done.map(|done| (false, done));
    match dead_letters_page(&state, &session, message).await {
        Ok(markup) => html_page(StatusCode::OK, markup),
        Err(error) => ApiError::from(error).into_response(),
    }
}

/// `message`: (is an error, text).
async fn dead_letters_page(
    state: &AppState,
    session: &Session,
    message: Option<(bool, String)>,
) -> Result<Markup, crate::store::StoreError> {
    let dead = outbox_store::list(
        &state.db,
        &ListFilter {
            partner: None,
            state: Some(MessageState::Dead),
            after_id: None,
            limit: Some(500),
        },
    )
    .await?;
    let viewer = Viewer {
        name: &session.holder,
        csrf: &session.csrf,
    };
    let content = html! {
        @if let Some((error, text)) = &message {
            @if *error { p.error role="alert" { (text) } } @else { p.notice role="status" { (text) } }
        }
        p { "A dead letter is a message the gateway gave up on. " strong { "Redeliver" }
            " sends the same message again under the same idempotency key (the partner de-duplicates it). "
            strong { "Replay" } " rebuilds it from the current case as a new message. Both need a reason, which goes to the audit trail." }
        @if dead.is_empty() {
            p { "No dead letters." }
        } @else {
            table id="dead-letters" {
                thead { tr { th.num { "Message" } th { "Partner" } th { "Kind" } th.num { "Attempts" } th { "Given up" } th { "Last error" } th { "Action" } } }
                tbody {
                    @for message in &dead {
                        tr data-message=(message.id) {
                            td.num { (message.id) }
                            td { (message.partner) }
                            td { (message.kind) }
                            td.num { (message.attempt) " of " (message.max_attempts) }
                            td { (when(message.finalized_at)) }
                            td { (message.last_error.as_deref().unwrap_or("—")) }
                            td {
                                form.inline method="post" action=(format!("/dead-letters/{}/redeliver", message.id)) {
                                    input type="hidden" name="csrf" value=(session.csrf);
                                    label for=(format!("reason-{}", message.id)) { "Reason" }
                                    input type="text" id=(format!("reason-{}", message.id)) name="reason" required maxlength="500";
                                    button.action type="submit" { "Redeliver" }
                                    button.action.secondary type="submit" formaction=(format!("/dead-letters/{}/replay", message.id)) { "Replay" }
                                }
                            }
                        }
                    }
                }
            }
        }
    };
    Ok(page(
        "Dead letters",
        "/dead-letters",
        Some(&viewer),
        None,
        content,
    ))
}

#[derive(Deserialize)]
struct ActionForm {
    csrf: String,
    reason: String,
}

async fn redeliver(
    State(state): State<AppState>,
    Operator(session): Operator,
    Path(id): Path<i64>,
    Form(form): Form<ActionForm>,
) -> Response {
    act(state, session, id, form, false).await
}

async fn replay(
    State(state): State<AppState>,
    Operator(session): Operator,
    Path(id): Path<i64>,
    Form(form): Form<ActionForm>,
) -> Response {
    act(state, session, id, form, true).await
}

async fn act(
    state: AppState,
    session: Session,
    id: i64,
    form: ActionForm,
    replay: bool,
) -> Response {
    if !session.csrf_matches(&form.csrf) {
        return forbidden();
    }
    let actor = session.actor();
    let attempts_for = |partner: &str| state.settings.max_attempts_for(partner);
    let now = data::now();
    let outcome = if replay {
        actions::replay(
            &state.db,
            &state.renderers,
            id,
            &form.reason,
            &actor,
            &attempts_for,
            now,
        )
        .await
        .map(|replayed| {
            format!(
                "Message {id} was replayed as message {}.",
                replayed.replacement
            )
        })
    } else {
        actions::redeliver(&state.db, id, &form.reason, &actor, &attempts_for, now)
            .await
            .map(|()| format!("Message {id} will be delivered again."))
    };
    match outcome {
        Ok(done) => {
            state.dispatcher_wake.notify_one();
            Redirect::to(&format!("/dead-letters?done={}", urlencode(&done))).into_response()
        }
        Err(error) => {
            let (status, text) = match error {
                OperatorError::ReasonRequired => (
                    StatusCode::BAD_REQUEST,
                    "Give a reason: it goes to the audit trail.".to_string(),
                ),
                OperatorError::NotFound(_) => {
                    (StatusCode::NOT_FOUND, format!("There is no message {id}."))
                }
                OperatorError::StillLive { .. } => (
                    StatusCode::CONFLICT,
                    format!("Message {id} is not a dead letter any more."),
                ),
                OperatorError::Render(e) => (
                    StatusCode::UNPROCESSABLE_ENTITY,
                    format!("Message {id} cannot be rebuilt: {e}"),
                ),
                OperatorError::Store(e) => return ApiError::from(e).into_response(),
            };
            match dead_letters_page(&state, &session, Some((true, text))).await {
                Ok(markup) => html_page(status, markup),
                Err(error) => ApiError::from(error).into_response(),
            }
        }
    }
}

/// Percent-encodes a notice for a query string.
fn urlencode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

async fn receipts(State(state): State<AppState>, Operator(session): Operator) -> Response {
    let list = match crate::intake::recent(&state.db, 200).await {
        Ok(list) => list,
        Err(error) => return ApiError::from(error).into_response(),
    };
    let viewer = Viewer {
        name: &session.holder,
        csrf: &session.csrf,
    };
    let content = html! {
        p { "What partners sent, newest first. Every body is stored before it is read; open a receipt for the verdict of each record." }
        @if list.is_empty() {
            p { "Nothing received yet." }
        } @else {
            table id="receipts" {
                thead { tr { th { "Receipt" } th { "Partner" } th { "Channel" } th.num { "Bytes" } th { "State" } th { "Received" } } }
                tbody {
                    @for receipt in &list {
                        tr {
                            td { a href=(format!("/receipts/{}", receipt.receipt_id)) { code { (receipt.receipt_id) } } }
                            td { (receipt.partner) }
                            td { (receipt.channel) }
                            td.num { (receipt.size_bytes) }
                            td { (receipt.state) }
                            td { (when(Some(receipt.received_at))) }
                        }
                    }
                }
            }
        }
    };
    html_page(
        StatusCode::OK,
        page(
            "Inbound receipts",
            "/receipts",
            Some(&viewer),
            None,
            content,
        ),
    )
}

async fn receipt(
    State(state): State<AppState>,
    Operator(session): Operator,
    Path(id): Path<String>,
) -> Response {
    let found = match data::receipt(&state.db, &id).await {
        Ok(found) => found,
        Err(error) => return ApiError::from(error).into_response(),
    };
    let viewer = Viewer {
        name: &session.holder,
        csrf: &session.csrf,
    };
    let Some(receipt) = found else {
        let content = html! { p { "There is no receipt " code { (id) } "." } p { a href="/receipts" { "All receipts" } } };
        return html_page(
            StatusCode::NOT_FOUND,
            page(
                "Receipt not found",
                "/receipts",
                Some(&viewer),
                None,
                content,
            ),
        );
    };
    let verdicts = receipt
        .outcome
        .as_deref()
        .map(verdict_rows)
        .unwrap_or_default();
    let content = html! {
        table {
            tbody {
                tr { th { "Receipt" } td { code { (receipt.receipt_id) } } }
                tr { th { "Partner" } td { (receipt.partner) } }
                tr { th { "Channel" } td { (receipt.channel) } }
                tr { th { "Partner's message id" } td { (receipt.message_id.as_deref().unwrap_or("—")) } }
                tr { th { "Size" } td { (receipt.size_bytes) " bytes, SHA-256 " code { (receipt.sha256) } } }
                tr { th { "Received" } td { (when(Some(receipt.received_at))) } }
                tr { th { "Processed" } td { (when(receipt.processed_at)) " (" (receipt.state) ")" } }
            }
        }
        h2 { "Verdict per record" }
        @if verdicts.is_empty() {
            p { (receipt.outcome.as_deref().unwrap_or("Not processed yet.")) }
        } @else {
            table id="verdicts" {
                thead { tr { th.num { "Record" } th { "Verdict" } th { "Field" } th.num { "Position" } th { "Code" } th { "What is wrong" } } }
                tbody {
                    @for row in &verdicts {
                        tr { td.num { (row.record) } td { (row.status) } td { (row.field) } td.num { (row.position) } td { (row.code) } td { (row.message) } }
                    }
                }
            }
        }
        p { a href="/receipts" { "All receipts" } }
    };
    html_page(
        StatusCode::OK,
        page("Receipt", "/receipts", Some(&viewer), None, content),
    )
}

/// One line of a per-record report.
struct VerdictRow {
    record: String,
    status: String,
    field: String,
    position: String,
    code: String,
    message: String,
}

/// Reads a processor's outcome: a list of verdicts (CSENet), one verdict (Tribal), or
/// anything else (counts), which is shown as text.
fn verdict_rows(outcome: &str) -> Vec<VerdictRow> {
    let Ok(value) = serde_json::from_str::<serde_json::Value>(outcome) else {
        return Vec::new();
    };
    let verdicts = match &value {
        serde_json::Value::Array(items) => items.clone(),
        serde_json::Value::Object(object) if object.contains_key("status") => vec![value.clone()],
        _ => return Vec::new(),
    };
    let text = |v: &serde_json::Value| match v {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Null => String::new(),
        other => other.to_string(),
    };
    let mut rows = Vec::new();
    for verdict in &verdicts {
        let record = text(&verdict["record"]);
        let status = text(&verdict["status"]);
        let errors = verdict["errors"].as_array().cloned().unwrap_or_default();
        if errors.is_empty() {
            rows.push(VerdictRow {
                record,
                status,
                field: String::new(),
                position: String::new(),
                code: String::new(),
                message: String::new(),
            });
            continue;
        }
        for error in errors {
            rows.push(VerdictRow {
                record: record.clone(),
                status: status.clone(),
                field: text(&error["field"]),
                position: text(&error["position"]),
                code: text(&error["code"]),
                message: text(&error["message"]),
            });
        }
    }
    rows
}

#[derive(Deserialize, Default)]
struct AuditQuery {
    #[serde(default)]
    q: String,
}

async fn audit(
    State(state): State<AppState>,
    Operator(session): Operator,
    Query(query): Query<AuditQuery>,
) -> Response {
    let entries = match data::search_audit(&state.db, &query.q, 500).await {
        Ok(entries) => entries,
        Err(error) => return ApiError::from(error).into_response(),
    };
    let viewer = Viewer {
        name: &session.holder,
        csrf: &session.csrf,
    };
    let content = html! {
        p { "Every operator action, every disclosure and every read of federal tax information, in a hash chain that shows any change." }
        form.inline method="get" action="/audit" role="search" {
            label for="q" { "Search" }
            input type="search" id="q" name="q" value=(query.q) placeholder="actor, action, subject or reason";
            button.action type="submit" { "Search" }
        }
        @if entries.is_empty() {
            p { "No audit entries match." }
        } @else {
            table id="audit" {
                thead { tr { th.num { "#" } th { "When" } th { "Who" } th { "Action" } th { "Subject" } th { "Reason" } } }
                tbody {
                    @for entry in &entries {
                        tr { td.num { (entry.seq) } td { (when(Some(entry.at))) } td { (entry.actor) } td { (entry.action) } td { (entry.subject) } td { (entry.reason.as_deref().unwrap_or("—")) } }
                    }
                }
            }
        }
    };
    html_page(
        StatusCode::OK,
        page("Audit trail", "/audit", Some(&viewer), None, content),
    )
}

async fn reconciliation(State(state): State<AppState>, Operator(session): Operator) -> Response {
    use crate::reconcile::{jobs, runs, scheduler};
    let (last, recent) = match tokio::try_join!(
        runs::last_per_job(&state.db),
        runs::list(&state.db, None, 100)
    ) {
        Ok(found) => found,
        Err(error) => return ApiError::from(error).into_response(),
    };
    let viewer = Viewer {
        name: &session.holder,
        csrf: &session.csrf,
    };
    let content = html! {
        p { "Each job compares what we sent or hold with what partners acknowledged, hold or paid. "
            "A discrepancy says what is wrong, where, since when and what to do." }
        h2 { "Jobs" }
        table id="jobs" {
            thead { tr { th { "Job" } th { "What it checks" } th { "Schedule (UTC)" } th { "Next run" } th { "Last run" } th.num { "Discrepancies" } } }
            tbody {
                @for job in jobs::all() {
                    @let settings = state.settings.reconcile.job(job.name());
                    @let latest = last.iter().find(|run| run.job == job.name());
                    tr data-job=(job.name()) {
                        td { strong { (job.name()) } }
                        td { (job.description()) }
                        td { code { (settings.schedule.as_deref().unwrap_or("by hand only")) } }
                        td { (when(scheduler::next_tick_of(&state.settings, job.name()))) }
                        td {
                            @if let Some(run) = latest {
                                a href=(format!("/reconciliation/runs/{}", run.id)) { (run.status) ", " (when(Some(run.started_at))) }
                            } @else { "never" }
                        }
                        td.num { (latest.and_then(|run| run.discrepancies).map_or("—".to_string(), |n| n.to_string())) }
                    }
                }
            }
        }
        h2 { "Recent runs" }
        @if recent.is_empty() {
            p { "No run yet." }
        } @else {
            table id="runs" {
                thead { tr { th.num { "Run" } th { "Job" } th { "Trigger" } th { "Status" } th { "Started" } th { "Finished" } th.num { "Discrepancies" } } }
                tbody {
                    @for run in &recent {
                        tr {
                            td.num { a href=(format!("/reconciliation/runs/{}", run.id)) { (run.id) } }
                            td { (run.job) }
                            td { (run.triggered_by) @if run.dry_run { " (dry run)" } }
                            td { (run.status) }
                            td { (when(Some(run.started_at))) }
                            td { (when(run.finished_at)) }
                            td.num { (run.discrepancies.map_or("—".to_string(), |n| n.to_string())) }
                        }
                    }
                }
            }
        }
    };
    html_page(
        StatusCode::OK,
        page(
            "Reconciliation",
            "/reconciliation",
            Some(&viewer),
            None,
            content,
        ),
    )
}

async fn reconciliation_run(
    State(state): State<AppState>,
    Operator(session): Operator,
    Path(id): Path<i64>,
) -> Response {
    let run = match crate::reconcile::runs::get(&state.db, id).await {
        Ok(run) => run,
        Err(error) => return ApiError::from(error).into_response(),
    };
    let viewer = Viewer {
        name: &session.holder,
        csrf: &session.csrf,
    };
    let Some(run) = run else {
        let content = html! { p { "There is no run " (id) "." } p { a href="/reconciliation" { "All runs" } } };
        return html_page(
            StatusCode::NOT_FOUND,
            page(
                "Run not found",
                "/reconciliation",
                Some(&viewer),
                None,
                content,
            ),
        );
    };
    let findings = run.findings().unwrap_or_default();
    let content = html! {
        table {
            tbody {
                tr { th { "Job" } td { (run.job) } }
                tr { th { "Status" } td { (run.status) @if run.dry_run { " (dry run: nothing was changed)" } } }
                tr { th { "Started" } td { (when(Some(run.started_at))) " by " (run.worker) " (" (run.triggered_by) ")" } }
                tr { th { "Finished" } td { (when(run.finished_at)) } }
                @if let Some(error) = &run.error { tr { th { "Error" } td { (error) } } }
                @for (name, count) in &findings.counts { tr { th { (name) } td { (count) } } }
            }
        }
        h2 { "Discrepancies (" (findings.discrepancies.len() + findings.fti_withheld) ")" }
        @if findings.fti_withheld > 0 {
            p id="fti-withheld" {
                (findings.fti_withheld) " of them are federal tax information and are not shown here. "
                "The fti-reader role reads them, each read recorded in the audit trail: "
                code { "GET /fti/v1/reconcile/runs/" (run.id) } " (or " code { "…/report.csv" } ")."
            }
        }
        @if findings.discrepancies.is_empty() {
            @if findings.fti_withheld == 0 { p { "None: everything reconciles." } }
        } @else {
            p { a href=(format!("/reconciliation/runs/{}/report.csv", run.id)) download { "Download the report as CSV" } }
            table id="discrepancies" {
                thead { tr { th { "Code" } th { "What" } th { "Partner" } th { "Reference" } th { "Case" } th { "Person" } th { "Since" } th { "Action" } } }
                tbody {
                    @for d in &findings.discrepancies {
                        tr {
                            td { code { (d.code) } }
                            td { (d.what) }
                            td { (d.partner.as_deref().unwrap_or("—")) }
                            td { (d.reference.as_deref().unwrap_or("—")) }
                            td { (d.case_id.as_deref().unwrap_or("—")) }
                            td { (d.person.as_deref().unwrap_or("—")) }
                            td { (when(d.since)) }
                            td { (d.action) @if d.action_taken { " (done)" } }
                        }
                    }
                }
            }
        }
        p { a href="/reconciliation" { "All runs" } }
    };
    html_page(
        StatusCode::OK,
        page(
            &format!("Run {id}"),
            "/reconciliation",
            Some(&viewer),
            None,
            content,
        ),
    )
}

async fn reconciliation_csv(
    State(state): State<AppState>,
    Operator(_): Operator,
    Path(id): Path<i64>,
) -> Response {
    let run = match crate::reconcile::runs::get(&state.db, id).await {
        Ok(Some(run)) => run,
        Ok(None) => return ApiError::not_found("no such run").into_response(),
        Err(error) => return ApiError::from(error).into_response(),
    };
    let findings = run.findings().unwrap_or_default();
    match crate::reconcile::csv::report_csv(&run, &findings) {
        Ok(bytes) => (
            [
                (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
                (
                    header::CONTENT_DISPOSITION,
                    format!(
                        "attachment; filename=\"reconciliation-{}-{id}.csv\"",
                        run.job
                    ),
                ),
            ],
            bytes,
        )
            .into_response(),
        Err(_) => ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "Report unavailable",
            "the report could not be written as CSV",
        )
        .into_response(),
    }
}

/// Requests for an employer account shown on one page of the list.
const REQUESTS_PER_PAGE: i64 = 50;

#[derive(Deserialize)]
struct RequestsPage {
    #[serde(default)]
    after: i64,
}

async fn employer_accounts(
    State(state): State<AppState>,
    Operator(session): Operator,
    Query(page_at): Query<RequestsPage>,
) -> Response {
    let listed = match crate::store::employer_accounts::pending(
        &state.db,
        page_at.after.max(0),
        REQUESTS_PER_PAGE,
    )
    .await
    {
        Ok(listed) => listed,
        Err(error) => return ApiError::from(error).into_response(),
    };
    let viewer = Viewer {
        name: &session.holder,
        csrf: &session.csrf,
    };
    let may_decide = session.role == Role::Admin;
    let content = html! {
        p { "Employers ask for an account on the employer pages at " code { "/employer/register" } ". "
            "An admin checks each request with the business (by phone or mail, using the contact details you have on file) before approving it. "
            "Approving opens the account and issues its token, shown once: hand it to the employer by a safe route. "
            "Nobody may decide a request they filed themselves." }
        @if !may_decide {
            p.notice { "Only an admin may approve or refuse a request." }
        }
        @if listed.requests.is_empty() {
            p { "No requests are waiting." }
        } @else {
            p id="requests-count" { (listed.total) " request(s) waiting; oldest first." }
            table id="employer-requests" {
                thead { tr { th { "Asked" } th { "Account" } th { "Business" } th { "FEINs" } th { "Contact" } th { "Decision" } } }
                tbody {
                    @for request in &listed.requests {
                        tr data-request=(request.id) {
                            td { (when(Some(request.requested_at))) }
                            td { (request.account_name) }
                            td { (request.business_name) }
                            td { (request.feins.replace(',', ", ")) }
                            td { (request.contact_email) }
                            td {
                                @if !may_decide {
                                    "Waiting for an admin"
                                } @else if request.requested_by_account == Some(session.account_id) {
                                    "You filed this request: another admin decides it"
                                } @else {
                                    form.inline method="post" action=(format!("/employer-accounts/{}", request.id)) {
                                        input type="hidden" name="csrf" value=(session.csrf);
                                        button.action type="submit" name="decision" value="approve" { "Approve" }
                                        button.action.secondary type="submit" name="decision" value="refuse" { "Refuse" }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            @if let Some(after) = listed.next_after {
                p { a id="next-requests" href=(format!("/employer-accounts?after={after}")) { "Next requests" } }
            }
        }
    };
    html_page(
        StatusCode::OK,
        page(
            "Employer accounts",
            "/employer-accounts",
            Some(&viewer),
            None,
            content,
        ),
    )
}

#[derive(Deserialize)]
struct Decision {
    csrf: String,
    decision: String,
}

async fn decide_employer_account(
    State(state): State<AppState>,
    Operator(session): Operator,
    Path(id): Path<i64>,
    Form(form): Form<Decision>,
) -> Response {
    use crate::store::employer_accounts::{self, Decided, Decider};
    if !session.csrf_matches(&form.csrf) {
        return forbidden();
    }
    if session.role != Role::Admin {
        return html_page(
            StatusCode::FORBIDDEN,
            html! { p.error { "Only an admin may approve or refuse a request for an employer account." } },
        );
    }
    let approve = match form.decision.as_str() {
        "approve" => true,
        "refuse" => false,
        _ => return forbidden(),
    };
    let actor = session.actor();
    let decider = Decider {
        account_id: session.account_id,
        actor: &actor,
    };
    let decided =
        match employer_accounts::decide(&state.db, id, approve, decider, data::now()).await {
            Ok(decided) => decided,
            Err(error) => return ApiError::from(error).into_response(),
        };
    let viewer = Viewer {
        name: &session.holder,
        csrf: &session.csrf,
    };
    let content = match decided {
        Decided::Approved {
            account_name,
            token,
            ..
        } => html! {
            p.notice role="status" { "Approved. The account " strong { (account_name) } " may sign in at " code { "/employer/sign-in" } " with this token:" }
            pre id="issued-token" { (token) }
            p { "It is shown only now and stored only as a hash. Hand it to the employer by a safe route." }
            p { a href="/employer-accounts" { "Back to the requests" } }
        },
        Decided::Refused => html! {
            p.notice role="status" { "Refused. No account was made." }
            p { a href="/employer-accounts" { "Back to the requests" } }
        },
        Decided::NotPending => html! {
            p.error role="alert" { "This request was already decided." }
            p { a href="/employer-accounts" { "Back to the requests" } }
        },
        Decided::OwnRequest => {
            return html_page(
                StatusCode::FORBIDDEN,
                page(
                    "Employer accounts",
                    "/employer-accounts",
                    Some(&viewer),
                    None,
                    html! {
                        p.error role="alert" { "You filed this request yourself: another admin must decide it." }
                        p { a href="/employer-accounts" { "Back to the requests" } }
                    },
                ),
            );
        }
        Decided::Blocked(refusal) => {
            return html_page(
                StatusCode::CONFLICT,
                page(
                    "Employer accounts",
                    "/employer-accounts",
                    Some(&viewer),
                    None,
                    html! {
                        p.error role="alert" { "This request cannot be approved: " (refusal.to_string()) ". It is still waiting; refuse it, or ask the business." }
                        p { a href="/employer-accounts" { "Back to the requests" } }
                    },
                ),
            );
        }
    };
    html_page(
        StatusCode::OK,
        page(
            "Employer accounts",
            "/employer-accounts",
            Some(&viewer),
            None,
            content,
        ),
    )
}
