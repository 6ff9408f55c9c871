//! The operator dashboard, served by the gateway at `/`: server-rendered HTML, its one
//! stylesheet embedded in the binary, no script and no external asset, so it works offline
//! and in any browser. Pages refresh themselves where the picture changes on its own.
//!
//! - **Exchange health** (`/`, in `health.rs`): alerts firing; each partner up, degraded or
//!   down with its circuit, last success and last failure (with the reason); the outbox by
//!   partner and state with the oldest waiting message; deliveries and failures over six
//!   hours.
//! - **Dead letters** (`/dead-letters`, in `dead_letters.rs`): redeliver (same idempotency
//!   key) or replay (rebuilt from its cause) each, with a reason, which goes to the audit
//!   trail.
//! - **Inbound receipts** (`/receipts`, `/receipts/{id}`, in `receipts.rs`): what partners
//!   sent and the verdict of each record.
//! - **Reconciliation** (`/reconciliation`, `/reconciliation/runs/{id}`, in
//!   `reconciliation.rs`): each job with its schedule and last run; every run's report,
//!   discrepancy by discrepancy, and as CSV — without the discrepancies that are federal
//!   tax information (their number is shown; the `fti-reader` role reads them through
//!   `/fti/v1/reconcile/runs/{id}`).
//! - **Audit trail** (`/audit?q=`, in `audit.rs`): searchable.
//! - **Employer accounts** (`/employer-accounts`, in `employer_accounts.rs`): employers'
//!   requests for an account on the employer pages; approving one issues its token, shown
//!   once to hand over.
//!
//! Sign-in is for operators and admins (name and token); see [`super::session`]. This file
//! holds the routes, the signed-in `Operator`, sign-in and sign-out; the page frame and
//! markup pieces are in `view.rs`, the pages' queries in `data.rs`.

mod audit;
mod data;
mod dead_letters;
mod employer_accounts;
mod health;
mod receipts;
mod reconciliation;
mod view;

use axum::Router;
use axum::extract::{DefaultBodyLimit, Form, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use maud::{Markup, html};
use serde::Deserialize;

use crate::web::limits::ClientAddress;
use crate::web::session::{self, FormPairing, Realm, Session, SignInForm, SignInPage};
use crate::web::{ApiError, AppState};
pub(crate) use view::when;

const STYLESHEET: &str = include_str!("app.css");

/// The dashboard's routes (on the API listener).
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(health::health))
        .route(
            "/sign-in",
            get(sign_in_form)
                .post(sign_in)
                .layer(DefaultBodyLimit::max(super::session::PUBLIC_FORM_BYTES)),
        )
        .route("/sign-out", post(sign_out))
        .route("/dead-letters", get(dead_letters::dead_letters))
        .route(
            "/dead-letters/{id}/redeliver",
            post(dead_letters::redeliver),
        )
        .route("/dead-letters/{id}/replay", post(dead_letters::replay))
        .route("/receipts", get(receipts::receipts))
        .route("/receipts/{id}", get(receipts::receipt))
        .route("/reconciliation", get(reconciliation::reconciliation))
        .route(
            "/reconciliation/runs/{id}",
            get(reconciliation::reconciliation_run),
        )
        .route(
            "/reconciliation/runs/{id}/report.csv",
            get(reconciliation::reconciliation_csv),
        )
        .route("/audit", get(audit::audit))
        .route(
            "/employer-accounts",
            get(employer_accounts::employer_accounts),
        )
        .route(
            "/employer-accounts/{id}",
            post(employer_accounts::decide_employer_account),
        )
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
