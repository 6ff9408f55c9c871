//! The employer pages, served at `/employer`: employers and payroll agents report new
//! hires and answer income withholding orders in a browser.
//!
//! - **Sign-in** (`/employer/sign-in`, in `account.rs`): the account's name and the token
//!   State IT issued (`ivd-gateway token issue --role employer --fein …`); the same
//!   sessions, CSRF tokens and lock-out as the operator dashboard ([`crate::web::session`]).
//!   The FEINs an account may act for are read from its live tokens at every request, never
//!   from the session or a form: a revoked token ends what the session may do at once.
//! - **Asking for an account** (`/employer/register`, in `account.rs`): a request waits for
//!   an operator, who approves it on the dashboard (`/employer-accounts`), which issues the
//!   token.
//! - **One new hire** (`/employer/new-hire`, in `new_hire.rs`): the form is turned into a
//!   one-row CSV file and judged by the adapter's own reader (`ivd_newhire::read_new_hires` with
//!   `Rules`), so the rules and messages are those of a file; a valid report goes through
//!   the same intake as an uploaded file ([`super::routes::receive_new_hires`]).
//! - **Files** (`/employer/files`, in `files.rs`): "check my file" reads it with the same
//!   reader and stores nothing; "send" hands it to the intake. The receipt
//!   (`/employer/receipts/{id}`, in `receipts.rs`) is printable and downloadable as CSV.
//! - **History** (`/employer/history`, in `receipts.rs`) and **withholding orders**
//!   (`/employer/orders`, in `orders.rs`): an answer is written as an acknowledgment file
//!   ([`super::iwo::acknowledgment_file`], with `ivd_eiwo::write_acknowledgments`) and goes
//!   through [`super::routes::receive_acknowledgments`], like a file.
//!
//! This file holds the routes, the home page, the signed-in `Employer` and the helpers
//! the pages share; the page frame and form pieces are in `view.rs`, the pages'
//! queries in `data.rs`.
//!
//! Every page works without JavaScript; `employer.js` checks fields as the user types
//! and adds a print button.

mod account;
mod data;
mod files;
mod new_hire;
mod orders;
mod receipts;
mod view;

use axum::Router;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use ivd_newhire::Rules;
use maud::{Markup, html};

use crate::channels::employers::newhire;
use crate::store::accounts;
use crate::store::now_ms;
use crate::store::tokens::{Role, TokenHolder};
use crate::web::session::{self, PUBLIC_FORM_BYTES, Realm, Session};
use crate::web::{ApiError, AppState};
use view::{Viewer, page};

const SCRIPT: &str = include_str!("employer.js");

/// The employer pages' routes (on the API listener).
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/employer", get(home))
        // Forms anyone may post are small: a big body is refused before it is read.
        .route(
            "/employer/sign-in",
            get(account::sign_in_form)
                .post(account::sign_in)
                .layer(DefaultBodyLimit::max(PUBLIC_FORM_BYTES)),
        )
        .route("/employer/sign-out", post(account::sign_out))
        .route(
            "/employer/register",
            get(account::register_form)
                .post(account::register)
                .layer(DefaultBodyLimit::max(PUBLIC_FORM_BYTES)),
        )
        .route(
            "/employer/new-hire",
            get(new_hire::new_hire_form).post(new_hire::new_hire_submit),
        )
        .route(
            "/employer/files",
            get(files::files_form).post(files::files_submit),
        )
        .route("/employer/files/check", post(files::files_check))
        .route("/employer/receipts/{id}", get(receipts::receipt))
        .route("/employer/receipts/{id}/csv", get(receipts::receipt_csv))
        .route("/employer/history", get(receipts::history))
        .route("/employer/orders", get(orders::orders))
        .route(
            "/employer/orders/{id}",
            get(orders::order).post(orders::answer_order),
        )
        .route("/employer/assets/employer.js", get(script))
}

/// An HTML answer that is never cached.
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

async fn script() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "max-age=3600"),
        ],
        SCRIPT,
    )
}

/// A signed-in employer: the session and the FEINs its live tokens may act for.
struct Employer {
    session: Session,
    holder: TokenHolder,
}

impl Employer {
    fn viewer(&self) -> Viewer<'_> {
        Viewer {
            name: &self.session.holder,
            csrf: &self.session.csrf,
        }
    }
}

/// The signed-in employer, or the way to the sign-in page. The session is checked live
/// (its token not revoked, its account open) and the FEINs are read from the account now,
/// never from the session or a form.
async fn employer(state: &AppState, headers: &HeaderMap) -> Result<Employer, Response> {
    let to_sign_in = || Redirect::to("/employer/sign-in").into_response();
    let session = match session::from_headers(&state.db, Realm::Employer, headers, now_ms()).await {
        Ok(Some(session)) => session,
        Ok(None) => return Err(to_sign_in()),
        Err(error) => return Err(ApiError::from(error).into_response()),
    };
    let feins = match accounts::feins_of(&state.db, session.account_id).await {
        Ok(feins) if !feins.is_empty() => feins,
        Ok(_) => return Err(to_sign_in()),
        Err(error) => return Err(ApiError::from(error).into_response()),
    };
    let holder = TokenHolder {
        token_id: session.token_id,
        account_id: session.account_id,
        name: session.holder.clone(),
        role: Role::Employer,
        feins,
    };
    Ok(Employer { session, holder })
}

impl axum::extract::FromRequestParts<AppState> for Employer {
    type Rejection = Response;

    /// The signed-in employer, checked before anything of the request's body is read.
    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        employer(state, &parts.headers).await
    }
}

/// The page for a form posted without this session's CSRF token.
fn expired() -> Response {
    html_page(
        StatusCode::FORBIDDEN,
        page(
            "This form has expired",
            "",
            None,
            html! {
                p { "For your safety, forms work only for a short time and only from this site." }
                p { a href="/employer" { "Go back to the start" } " and try again." }
            },
        ),
    )
}

fn not_found(employer: &Employer, what: &str) -> Response {
    html_page(
        StatusCode::NOT_FOUND,
        page(
            "Not found",
            "",
            Some(&employer.viewer()),
            html! {
                p { "We cannot find " (what) " for your account." }
                p { a href="/employer" { "Go back to the start" } }
            },
        ),
    )
}

fn problem_page(employer: &Employer, error: ApiError) -> Response {
    let (status, detail) = error.parts();
    html_page(
        status,
        page(
            "Something went wrong",
            "",
            Some(&employer.viewer()),
            html! { p.error role="alert" { "We could not do this: " (detail) "." } },
        ),
    )
}

fn fein_text(fein: &str) -> String {
    match fein.len() {
        9 => format!("{}-{}", &fein[..2], &fein[2..]),
        _ => fein.to_string(),
    }
}

fn rules(state: &AppState) -> Rules {
    Rules::new(newhire::date_of(now_ms())).allow_itin(state.settings.employers.allow_itin)
}

/// A problem of a record in plain words, with where it is.
fn problem_text(error: &ivd_fixed::FieldError) -> String {
    let mut message = error.message.clone();
    if let Some(first) = message.get(..1) {
        message = first.to_uppercase() + &message[1..];
    }
    message
}

// ----- home -----

async fn home(State(state): State<AppState>, employer: Employer) -> Response {
    let waiting = match data::orders_for(&state.db, &employer.holder.feins).await {
        Ok(orders) => orders.iter().filter(|o| o.status == "sent").count(),
        Err(error) => return ApiError::from(error).into_response(),
    };
    let content = html! {
        p { "You can report for these employers (by FEIN, the federal employer identification number):" }
        ul { @for fein in &employer.holder.feins { li { (fein_text(fein)) } } }
        @if waiting > 0 {
            p.notice role="status" { a href="/employer/orders" { (waiting) " withholding order(s) need your answer." } }
        }
        h2 { "What do you want to do?" }
        ul.tasks {
            li { a href="/employer/new-hire" { "Report one new hire" } " — fill in a form." }
            li { a href="/employer/files" { "Send a file of new hires" } " — check it first, then send it." }
            li { a href="/employer/history" { "See what you sent" } " — receipts, and which records went on to the national directory." }
            li { a href="/employer/orders" { "Answer income withholding orders" } " — orders to take child support from an employee's pay." }
        }
    };
    html_page(
        StatusCode::OK,
        page(
            "Employer services",
            "/employer",
            Some(&employer.viewer()),
            content,
        ),
    )
}
