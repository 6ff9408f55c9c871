//! The employer pages, served at `/employer`: employers and payroll agents report new
//! hires and answer income withholding orders in a browser.
//!
//! - **Sign-in** (`/employer/sign-in`): the account's name and the token State IT issued
//!   (`ivd-gateway token issue --role employer --fein …`); the same sessions, CSRF tokens
//!   and lock-out as the operator dashboard ([`crate::web::session`]). The FEINs an account may
//!   act for are read from its live tokens at every request, never from the session or a
//!   form: a revoked token ends what the session may do at once.
//! - **Asking for an account** (`/employer/register`): a request waits for an operator,
//!   who approves it on the dashboard (`/employer-accounts`), which issues the token.
//! - **One new hire** (`/employer/new-hire`): the form is turned into a one-row CSV file
//!   and judged by the adapter's own reader (`ivd_newhire::read` with `Rules`), so the
//!   rules and messages are those of a file; a valid report goes through the same intake
//!   as an uploaded file ([`super::routes::receive_new_hires`]).
//! - **Files** (`/employer/files`): "check my file" reads it with the same reader and
//!   stores nothing; "send" hands it to the intake. The receipt
//!   (`/employer/receipts/{id}`) is printable and downloadable as CSV.
//! - **History** (`/employer/history`) and **withholding orders** (`/employer/orders`):
//!   an answer is written as an acknowledgment file with `ivd_eiwo::write_acknowledgments`
//!   and goes through [`super::routes::receive_acknowledgments`], like a file.
//!
//! Every page works without JavaScript; `employer.js` checks fields as the user types
//! and adds a print button.

mod data;
mod view;

use axum::Router;
use axum::extract::{DefaultBodyLimit, Form, Multipart, Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use ivd_eiwo::{
    AckAction, AckBatch, Acknowledgment, Disposition, DispositionReason, DispositionStatus,
    FileHeaderInfo,
};
use ivd_model::{CaseId, Fein, Money};
use ivd_newhire::{Format, RecordOutcome, Rules};
use maud::{Markup, html};
use serde::Deserialize;

use crate::channels::employers::newhire;
use crate::channels::employers::routes::{self as employer, AckOutcome, UploadOutcome};
use crate::store::accounts;
use crate::store::employer_accounts::{self, NewRequest, NotTaken};
use crate::store::now_ms;
use crate::store::tokens::{Role, TokenHolder};
use crate::web::limits::ClientAddress;
use crate::web::session::{
    self, FormPairing, PUBLIC_FORM_BYTES, Realm, Session, SignInForm, SignInPage,
};
use crate::web::{ApiError, AppState};
use view::{FormError, Input, Viewer, error_summary, page, text_input, when};

const SCRIPT: &str = include_str!("employer.js");
/// Most bad records listed on a "check my file" page (the count is always complete).
const CHECK_LIST_LIMIT: usize = 500;

/// The employer pages' routes (on the API listener).
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/employer", get(home))
        // Forms anyone may post are small: a big body is refused before it is read.
        .route(
            "/employer/sign-in",
            get(sign_in_form)
                .post(sign_in)
                .layer(DefaultBodyLimit::max(PUBLIC_FORM_BYTES)),
        )
        .route("/employer/sign-out", post(sign_out))
        .route(
            "/employer/register",
            get(register_form)
                .post(register)
                .layer(DefaultBodyLimit::max(PUBLIC_FORM_BYTES)),
        )
        .route(
            "/employer/new-hire",
            get(new_hire_form).post(new_hire_submit),
        )
        .route("/employer/files", get(files_form).post(files_submit))
        .route("/employer/files/check", post(files_check))
        .route("/employer/receipts/{id}", get(receipt))
        .route("/employer/receipts/{id}/csv", get(receipt_csv))
        .route("/employer/history", get(history))
        .route("/employer/orders", get(orders))
        .route("/employer/orders/{id}", get(order).post(answer_order))
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

// ----- sign-in -----

/// The employer pages' sign-in page; its form is paired with a cookie, so that a sign-in
/// posted from another site (login CSRF) is refused.
const SIGN_IN: SignInPage = SignInPage {
    realm: Realm::Employer,
    pairing: FormPairing {
        cookie: "ivd_employer_sign_in",
        path: "/employer/sign-in",
    },
    draw: sign_in_markup,
    incomplete: "Enter your account name and your access code.",
    throttled: "Too many failed sign-ins for this account from here. Wait 15 minutes, then try again.",
    refused: "That account name and access code do not match. Check both and try again.",
    home: "/employer",
};

fn sign_in_markup(error: Option<&str>, name: &str, form_token: &str) -> Markup {
    let content = html! {
        div.signin {
            p { "Sign in with your account name and the access code (token) the state child support agency gave you." }
            @if let Some(error) = error {
                p.error role="alert" id="sign-in-error" { (error) }
            }
            form method="post" action="/employer/sign-in" {
                input type="hidden" name="form_token" value=(form_token);
                div.field {
                    label for="name" { "Account name" }
                    input type="text" id="name" name="name" value=(name) autocomplete="username" required;
                }
                div.field {
                    label for="token" { "Access code" }
                    input type="password" id="token" name="token" autocomplete="current-password" required
                        aria-describedby=[error.map(|_| "sign-in-error")];
                }
                button.action type="submit" { "Sign in" }
            }
            p { "No account yet? " a href="/employer/register" { "Ask for an account" } ". "
                "A payroll agent gets one account for all the employers it reports for." }
        }
    };
    page("Sign in to employer services", "", None, content)
}

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
    employer: Employer,
    headers: HeaderMap,
    Form(form): Form<CsrfOnly>,
) -> Response {
    if !employer.session.csrf_matches(&form.csrf) {
        return expired();
    }
    session::sign_out(&state.db, &headers, "/employer/sign-in").await
}

// ----- asking for an account -----

/// The registration form is paired with a cookie (there is no session yet).
const REGISTER_FORM: FormPairing = FormPairing {
    cookie: "ivd_register",
    path: "/employer/register",
};

fn register_page(
    token: &str,
    values: &std::collections::BTreeMap<String, String>,
    errors: &[FormError],
) -> Markup {
    let value = |id: &str| values.get(id).map(String::as_str).unwrap_or("");
    let input = |id: &'static str,
                 label: &'static str,
                 hint: Option<&'static str>,
                 autocomplete: &'static str,
                 maxlength: u32| {
        text_input(
            &Input {
                id,
                label,
                hint,
                value: value(id),
                required: true,
                rule: None,
                autocomplete,
                inputmode: None,
                maxlength,
            },
            errors,
        )
    };
    let content = html! {
        (error_summary(errors))
        p { "Ask for an account to report new hires and answer withholding orders on this site. "
            "The state checks every request with the business before it opens an account, then sends you an access code." }
        form method="post" action="/employer/register" novalidate {
            input type="hidden" name="form_token" value=(token);
            (input("business_name", "Business name", None, "organization", 100))
            (input("account_name", "Account name you want", Some("You sign in with it. 3 to 60 letters, digits, dots, dashes or underscores, for example acme-payroll."), "username", 60))
            (input("feins", "FEIN of each employer you report for", Some("9 digits each. A payroll agent lists every client, separated by commas."), "off", 400))
            (input("contact_email", "Email address for our answer", None, "email", 254))
            button.action type="submit" { "Send my request" }
        }
    };
    page("Ask for an employer account", "", None, content)
}

fn with_register_cookie(response: Response, token: &str, secure: bool) -> Response {
    session::with_cookie(response, &REGISTER_FORM.set_cookie(token, secure))
}

async fn register_form(State(state): State<AppState>) -> Response {
    let token = FormPairing::new_value();
    with_register_cookie(
        html_page(
            StatusCode::OK,
            register_page(&token, &Default::default(), &[]),
        ),
        &token,
        state.settings.server.secure_cookies,
    )
}

/// The registration form's problems, or the parsed FEINs.
fn check_registration(
    values: &std::collections::BTreeMap<String, String>,
) -> Result<Vec<Fein>, Vec<FormError>> {
    let value = |id: &str| values.get(id).map(|v| v.trim()).unwrap_or("");
    let mut errors = Vec::new();
    let mut error = |field: &str, message: &str| {
        errors.push(FormError {
            field: field.into(),
            message: message.into(),
        })
    };
    if value("business_name").is_empty() || value("business_name").len() > 100 {
        error(
            "business_name",
            "Enter the business name (at most 100 characters)",
        );
    }
    let name = value("account_name");
    if !(3..=60).contains(&name.len())
        || !name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_'))
    {
        error(
            "account_name",
            "Choose an account name of 3 to 60 letters, digits, dots, dashes or underscores",
        );
    }
    let feins: Vec<&str> = value("feins")
        .split([',', ' ', ';', '\n'])
        .map(str::trim)
        .filter(|f| !f.is_empty())
        .collect();
    let parsed: Vec<Fein> = feins
        .iter()
        .filter_map(|f| Fein::parse(&f.replace('-', "")).ok())
        .collect();
    if feins.is_empty() || parsed.len() != feins.len() || parsed.len() > 50 {
        error(
            "feins",
            "Enter each FEIN as 9 digits, for example 41-1234567, separated by commas",
        );
    }
    let email = value("contact_email");
    if email.len() > 254 || !email.contains('@') || email.starts_with('@') || email.ends_with('@') {
        error(
            "contact_email",
            "Enter an email address, for example payroll@example.com",
        );
    }
    if errors.is_empty() {
        Ok(parsed)
    } else {
        Err(errors)
    }
}

async fn register(
    State(state): State<AppState>,
    ClientAddress(client): ClientAddress,
    headers: HeaderMap,
    Form(values): Form<std::collections::BTreeMap<String, String>>,
) -> Response {
    let posted = values.get("form_token").map(String::as_str).unwrap_or("");
    if !REGISTER_FORM.paired(&headers, posted) {
        return expired();
    }
    let secure = state.settings.server.secure_cookies;
    let feins = match check_registration(&values) {
        Ok(feins) => feins,
        Err(errors) => {
            return with_register_cookie(
                html_page(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    register_page(posted, &values, &errors),
                ),
                posted,
                secure,
            );
        }
    };
    let value = |id: &str| values.get(id).map(|v| v.trim()).unwrap_or("").to_string();
    let account = value("account_name");
    let outcome: Result<Response, crate::store::StoreError> = async {
        if employer_accounts::name_taken(&state.db, &account).await? {
            let errors = [FormError {
                field: "account_name".into(),
                message: "That account name is taken. Choose another".into(),
            }];
            return Ok(with_register_cookie(
                html_page(StatusCode::UNPROCESSABLE_ENTITY, register_page(posted, &values, &errors)),
                posted,
                secure,
            ));
        }
        let business_name = value("business_name");
        let contact_email = value("contact_email");
        let new = NewRequest {
            account_name: &account,
            business_name: &business_name,
            feins: &feins,
            contact_email: &contact_email,
            // A staff member (or employer) signed in in this browser is recorded as the
            // requester, so that they can never approve this request themselves.
            requested_by_account: session::account_behind(&state.db, &headers, now_ms()).await?,
            client: &client,
        };
        let limits = state.settings.employers.registration_limits();
        if let Err(not_taken) = employer_accounts::request(&state.db, &new, limits, now_ms()).await? {
            tracing::warn!(reason = ?not_taken, "A request for an employer account was turned away.");
            let message = match not_taken {
                NotTaken::TooManyFromHere => "Too many requests came from your network in the last hour. Try again later, or call the agency",
                NotTaken::QueueFull => "We are not taking new requests right now. Try again tomorrow, or call the agency",
            };
            let errors = [FormError {
                field: "account_name".into(),
                message: message.into(),
            }];
            return Ok(with_register_cookie(
                html_page(StatusCode::TOO_MANY_REQUESTS, register_page(posted, &values, &errors)),
                posted,
                secure,
            ));
        }
        tracing::info!("An employer asked for an account on the employer pages.");
        Ok(html_page(
            StatusCode::OK,
            page(
                "Your request was received",
                "",
                None,
                html! {
                    p.notice role="status" { "Thank you. We will check your request with your business and answer at the email address you gave." }
                    p { "When your account is ready you will get an access code. Then " a href="/employer/sign-in" { "sign in" } "." }
                },
            ),
        ))
    }
    .await;
    outcome.unwrap_or_else(|error| ApiError::from(error).into_response())
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

// ----- one new hire -----

/// The form's fields, by the CSV column they fill: (id, label, hint, required, rule,
/// autocomplete, inputmode, maxlength).
type FieldSpec = (
    &'static str,
    &'static str,
    Option<&'static str>,
    bool,
    Option<&'static str>,
    &'static str,
    Option<&'static str>,
    u32,
);

const EMPLOYEE_FIELDS: [FieldSpec; 12] = [
    (
        "employee_first_name",
        "First name",
        Some("Letters, spaces and hyphens only."),
        true,
        None,
        "off",
        None,
        16,
    ),
    (
        "employee_middle_name",
        "Middle name",
        None,
        false,
        None,
        "off",
        None,
        16,
    ),
    (
        "employee_last_name",
        "Last name",
        Some("Letters, spaces and hyphens only."),
        true,
        None,
        "off",
        None,
        30,
    ),
    (
        "employee_ssn",
        "Social Security number",
        Some("9 digits, for example 123456789. Dashes are fine."),
        true,
        Some("ssn"),
        "off",
        Some("numeric"),
        11,
    ),
    (
        "employee_address_line1",
        "Home address",
        Some("Street and number."),
        true,
        None,
        "off",
        None,
        40,
    ),
    (
        "employee_address_line2",
        "Address line 2",
        None,
        false,
        None,
        "off",
        None,
        40,
    ),
    ("employee_city", "City", None, true, None, "off", None, 25),
    (
        "employee_state",
        "State",
        Some("2 letters, for example MN."),
        true,
        Some("state"),
        "off",
        None,
        2,
    ),
    (
        "employee_zip",
        "ZIP code",
        Some("5 digits."),
        true,
        Some("zip"),
        "off",
        Some("numeric"),
        5,
    ),
    (
        "employee_birth_date",
        "Date of birth",
        Some("Year-month-day, for example 1990-04-30."),
        false,
        Some("date"),
        "off",
        None,
        10,
    ),
    (
        "employee_hire_date",
        "First day of work",
        Some("Year-month-day, for example 2026-11-02."),
        true,
        Some("date"),
        "off",
        None,
        10,
    ),
    (
        "employee_state_of_hire",
        "State of hire",
        Some("2 letters: the state where the employee works."),
        false,
        Some("state"),
        "off",
        None,
        2,
    ),
];

const EMPLOYER_FIELDS: [FieldSpec; 5] = [
    (
        "employer_name",
        "Employer name",
        None,
        true,
        None,
        "organization",
        None,
        45,
    ),
    (
        "employer_address_line1",
        "Payroll address",
        Some("Street and number, or PO box."),
        true,
        None,
        "street-address",
        None,
        40,
    ),
    (
        "employer_city",
        "City",
        None,
        true,
        None,
        "address-level2",
        None,
        25,
    ),
    (
        "employer_state",
        "State",
        Some("2 letters, for example MN."),
        true,
        Some("state"),
        "address-level1",
        None,
        2,
    ),
    (
        "employer_zip",
        "ZIP code",
        Some("5 digits."),
        true,
        Some("zip"),
        "postal-code",
        Some("numeric"),
        5,
    ),
];

/// Fields whose letters are sent in capitals (the file formats' names and addresses are).
fn capitalised(id: &str) -> bool {
    !id.ends_with("_date") && id != "employee_ssn" && id != "employer_fein"
}

/// Turns the form into the one-row CSV file the intake reads: the header names the
/// columns, so the reader judges it exactly as it judges an uploaded CSV file.
fn form_as_csv(values: &std::collections::BTreeMap<String, String>) -> Vec<u8> {
    let columns: Vec<&str> = EMPLOYEE_FIELDS
        .iter()
        .chain(EMPLOYER_FIELDS.iter())
        .map(|f| f.0)
        .chain(std::iter::once("employer_fein"))
        .collect();
    let row: Vec<String> = columns
        .iter()
        .map(|id| {
            let value = values.get(*id).map(|v| v.trim()).unwrap_or("");
            match *id {
                "employee_ssn" | "employer_fein" => value.replace(['-', ' '], ""),
                id if capitalised(id) => value.to_uppercase(),
                _ => value.to_string(),
            }
        })
        .collect();
    let mut out = csv::Writer::from_writer(Vec::new());
    let _ = out.write_record(&columns);
    let _ = out.write_record(&row);
    out.into_inner().unwrap_or_default()
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

fn new_hire_page(
    employer: &Employer,
    values: &std::collections::BTreeMap<String, String>,
    errors: &[FormError],
) -> Markup {
    let value = |id: &str| values.get(id).map(String::as_str).unwrap_or("");
    let field = |spec: &FieldSpec| {
        text_input(
            &Input {
                id: spec.0,
                label: spec.1,
                hint: spec.2,
                value: value(spec.0),
                required: spec.3,
                rule: spec.4,
                autocomplete: spec.5,
                inputmode: spec.6,
                maxlength: spec.7,
            },
            errors,
        )
    };
    let fein_errors: Vec<&FormError> = errors
        .iter()
        .filter(|e| e.field == "employer_fein")
        .collect();
    let content = html! {
        (error_summary(errors))
        p { "Tell us about one person you hired or rehired. Employers must report within 20 days of the first day of work. "
            "We check each answer as you go, and again when you send the form." }
        form method="post" action="/employer/new-hire" novalidate {
            input type="hidden" name="csrf" value=(employer.session.csrf);
            fieldset {
                legend { "The employee" }
                @for spec in &EMPLOYEE_FIELDS { (field(spec)) }
            }
            fieldset {
                legend { "The employer" }
                div.field.invalid[!fein_errors.is_empty()] {
                    label for="employer_fein" { "Employer's FEIN" }
                    span.hint id="employer_fein-hint" { "The employer you report for. You can report only for these." }
                    span.field-error id="employer_fein-error" aria-live="polite" {
                        @for e in &fein_errors { (e.message) ". " }
                    }
                    select id="employer_fein" name="employer_fein" aria-describedby="employer_fein-hint employer_fein-error"
                        aria-invalid=[(!fein_errors.is_empty()).then_some("true")] {
                        @for fein in &employer.holder.feins {
                            option value=(fein) selected[value("employer_fein") == fein] { (fein_text(fein)) }
                        }
                    }
                }
                @for spec in &EMPLOYER_FIELDS { (field(spec)) }
            }
            button.action type="submit" { "Send the report" }
        }
    };
    page(
        "Report a new hire",
        "/employer/new-hire",
        Some(&employer.viewer()),
        content,
    )
}

async fn new_hire_form(employer: Employer) -> Response {
    html_page(
        StatusCode::OK,
        new_hire_page(&employer, &Default::default(), &[]),
    )
}

async fn new_hire_submit(
    State(state): State<AppState>,
    employer: Employer,
    Form(values): Form<std::collections::BTreeMap<String, String>>,
) -> Response {
    if !employer
        .session
        .csrf_matches(values.get("csrf").map(String::as_str).unwrap_or(""))
    {
        return expired();
    }
    let file = form_as_csv(&values);
    let outcome: Option<RecordOutcome> =
        ivd_newhire::read(Format::Csv, file.as_slice(), &rules(&state)).next();
    let mut errors: Vec<FormError> = match &outcome {
        Some(outcome) => outcome
            .errors
            .iter()
            .map(|e| FormError {
                field: e.field.to_string(),
                message: problem_text(e),
            })
            .collect(),
        None => vec![FormError {
            field: String::new(),
            message: "The form was empty. Fill it in and send it again".into(),
        }],
    };
    let fein = values
        .get("employer_fein")
        .map(|f| f.replace(['-', ' '], ""))
        .unwrap_or_default();
    if errors.iter().all(|e| e.field != "employer_fein") && !employer.holder.may_act_for(&fein) {
        errors.push(FormError {
            field: "employer_fein".into(),
            message: "You may not report for this FEIN. Choose one from the list".into(),
        });
    }
    // Errors about columns the form has no input for are shown in the summary only.
    let known = |id: &str| {
        id == "employer_fein"
            || EMPLOYEE_FIELDS.iter().any(|f| f.0 == id)
            || EMPLOYER_FIELDS.iter().any(|f| f.0 == id)
    };
    for error in &mut errors {
        if !known(&error.field) {
            error.field.clear();
        }
    }
    if !errors.is_empty() {
        return html_page(
            StatusCode::UNPROCESSABLE_ENTITY,
            new_hire_page(&employer, &values, &errors),
        );
    }
    let body = futures::stream::iter([Ok::<_, std::io::Error>(bytes::Bytes::from(file))]);
    match employer::receive_new_hires(
        &state,
        &employer.holder,
        "text/csv",
        Some(Format::Csv),
        body,
    )
    .await
    {
        Ok(
            UploadOutcome::Received { receipt_id, .. } | UploadOutcome::Processing { receipt_id },
        ) => {
            Redirect::to(&format!("/employer/receipts/{receipt_id}?sent=new-hire")).into_response()
        }
        Ok(UploadOutcome::Duplicate { receipt_id, .. }) => {
            Redirect::to(&format!("/employer/receipts/{receipt_id}?sent=again")).into_response()
        }
        Err(error) => problem_page(&employer, error),
    }
}

// ----- files -----

fn formats_select(selected: &str) -> Markup {
    let options = [
        ("auto", "Work it out from the file"),
        ("w4", "W4 (fixed width, the national format)"),
        ("xx", "XX (fixed width, vendor)"),
        ("csv", "CSV (spreadsheet, with a header row)"),
        ("xml", "XML"),
    ];
    html! {
        div.field {
            label for="format" { "File format" }
            select id="format" name="format" {
                @for (value, label) in options {
                    option value=(value) selected[value == selected] { (label) }
                }
            }
        }
    }
}

fn files_page(employer: &Employer, errors: &[FormError], result: Option<Markup>) -> Markup {
    let file_errors: Vec<&FormError> = errors.iter().filter(|e| e.field == "file").collect();
    let content = html! {
        (error_summary(errors))
        @if let Some(result) = result { (result) }
        p { "Send many new hires at once in a file. First " strong { "check" } " the file: we read every record and tell you what to fix, and we keep nothing. "
            "When it is right, " strong { "send" } " it. You get a receipt you can print or download." }
        form method="post" action="/employer/files/check" enctype="multipart/form-data" {
            input type="hidden" name="csrf" value=(employer.session.csrf);
            div.field.invalid[!file_errors.is_empty()] {
                label for="file" { "Your file" }
                span.hint id="file-hint" { "W4, XX, CSV or XML. For a very large file, use the file transfer API." }
                span.field-error id="file-error" aria-live="polite" { @for e in &file_errors { (e.message) ". " } }
                input type="file" id="file" name="file" required aria-describedby="file-hint file-error"
                    aria-invalid=[(!file_errors.is_empty()).then_some("true")];
            }
            (formats_select("auto"))
            div.buttons {
                button.action type="submit" { "Check my file" }
                " "
                button.action.secondary type="submit" formaction="/employer/files" { "Send my file" }
            }
        }
    };
    page(
        "Send a file of new hires",
        "/employer/files",
        Some(&employer.viewer()),
        content,
    )
}

async fn files_form(employer: Employer) -> Response {
    html_page(StatusCode::OK, files_page(&employer, &[], None))
}

/// A posted file form: its CSRF token, the file's bytes and the format chosen.
struct PostedFile {
    csrf: String,
    name: String,
    bytes: bytes::Bytes,
    format: Option<Format>,
}

async fn read_file_form(mut form: Multipart) -> Result<PostedFile, String> {
    let mut posted = PostedFile {
        csrf: String::new(),
        name: String::new(),
        bytes: bytes::Bytes::new(),
        format: None,
    };
    let broken = |_| "The upload was cut off. Try again".to_string();
    while let Some(field) = form.next_field().await.map_err(broken)? {
        match field.name() {
            Some("csrf") => posted.csrf = field.text().await.map_err(broken)?,
            Some("format") => {
                let text = field.text().await.map_err(broken)?;
                posted.format = text.parse::<Format>().ok();
            }
            Some("file") => {
                posted.name = field.file_name().unwrap_or("").to_string();
                posted.bytes = field.bytes().await.map_err(broken)?;
            }
            _ => {}
        }
    }
    Ok(posted)
}

/// The file and its format, or the error to show on the file field.
fn file_and_format(posted: &PostedFile) -> Result<Format, FormError> {
    let on_file = |message: &str| FormError {
        field: "file".into(),
        message: message.into(),
    };
    if posted.bytes.is_empty() {
        return Err(on_file("Choose a file. The file you chose is empty"));
    }
    posted
        .format
        .or_else(|| Format::detect(&posted.bytes[..posted.bytes.len().min(4096)]))
        .ok_or_else(|| {
            on_file(
                "We cannot tell the file's format. Choose it in the list \"File format\" and try again",
            )
        })
}

/// The file and format a files form posted, its CSRF token checked; otherwise the files
/// page with the problem tied to the file field (or the expired-form page).
async fn posted_file(
    employer: &Employer,
    form: Multipart,
) -> Result<(PostedFile, Format), Response> {
    let posted = read_file_form(form).await.map_err(|message| {
        let errors = [FormError {
            field: "file".into(),
            message,
        }];
        html_page(StatusCode::BAD_REQUEST, files_page(employer, &errors, None))
    })?;
    if !employer.session.csrf_matches(&posted.csrf) {
        return Err(expired());
    }
    let format = file_and_format(&posted).map_err(|error| {
        html_page(
            StatusCode::UNPROCESSABLE_ENTITY,
            files_page(employer, &[error], None),
        )
    })?;
    Ok((posted, format))
}

async fn files_check(
    State(state): State<AppState>,
    employer: Employer,
    form: Multipart,
) -> Response {
    let (posted, format) = match posted_file(&employer, form).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    // The adapter's reader and rules, as the intake uses them; nothing is stored.
    let rules = rules(&state);
    let scope = employer.holder.feins.clone();
    let bytes = posted.bytes.clone();
    let checked = tokio::task::spawn_blocking(move || {
        let (mut records, mut bad, mut outside) = (0u64, Vec::new(), 0u64);
        for outcome in ivd_newhire::read(format, bytes.as_ref(), &rules) {
            records += 1;
            let foreign = outcome
                .new_hire
                .as_ref()
                .is_some_and(|n| !scope.iter().any(|f| f == n.employer.fein.expose()));
            if foreign {
                outside += 1;
            }
            if (!outcome.errors.is_empty() || foreign) && bad.len() < CHECK_LIST_LIMIT {
                bad.push((outcome, foreign));
            }
        }
        (records, bad, outside)
    })
    .await;
    let Ok((records, bad, outside)) = checked else {
        return problem_page(
            &employer,
            ApiError::bad_request("the file could not be read"),
        );
    };
    let invalid = bad.iter().filter(|(o, _)| !o.errors.is_empty()).count();
    let result = html! {
        section.check-result aria-labelledby="check-title" {
            h2 id="check-title" { "Check of " (if posted.name.is_empty() { "your file" } else { posted.name.as_str() }) }
            p role="status" id="check-summary" {
                (records) " record(s) read as " (format.name().to_uppercase()) ". "
                @if invalid == 0 && outside == 0 {
                    strong { "Every record is right." } " Choose the file again and select \u{201c}Send my file\u{201d}."
                } @else {
                    strong { (invalid) " record(s) need fixing" }
                    @if outside > 0 { ", and " (outside) " record(s) are for an employer you may not report for" }
                    ". Fix them in your payroll system, make the file again, and check it again. Records that are right will be accepted when you send the file."
                }
            }
            @if !bad.is_empty() {
                table id="check-problems" {
                    caption { "Records to fix" }
                    thead { tr { th.num scope="col" { "Record" } th scope="col" { "Field" } th.num scope="col" { "Position" } th scope="col" { "What to fix" } } }
                    tbody {
                        @for (outcome, foreign) in &bad {
                            @for error in &outcome.errors {
                                tr { td.num { (outcome.record) } td { (error.field) } td.num { (error.position.map(|p| p.to_string()).unwrap_or_else(|| "—".into())) } td { (problem_text(error)) "." } }
                            }
                            @if *foreign {
                                tr { td.num { (outcome.record) } td { "employer_fein" } td.num { "—" } td { "This employer's FEIN is not one you may report for. Ask the state to add it to your account." } }
                            }
                        }
                    }
                }
                @if bad.len() == CHECK_LIST_LIMIT { p.muted { "Only the first " (CHECK_LIST_LIMIT) " records with problems are listed." } }
            }
        }
    };
    html_page(StatusCode::OK, files_page(&employer, &[], Some(result)))
}

async fn files_submit(
    State(state): State<AppState>,
    employer: Employer,
    form: Multipart,
) -> Response {
    let (posted, format) = match posted_file(&employer, form).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    let body = futures::stream::iter([Ok::<_, std::io::Error>(posted.bytes.clone())]);
    match employer::receive_new_hires(
        &state,
        &employer.holder,
        format.media_type(),
        Some(format),
        body,
    )
    .await
    {
        Ok(UploadOutcome::Received {
            receipt_id,
            summary,
        }) if summary.all_outside_scope() => {
            problem_page(&employer, employer::outside_scope(&receipt_id))
        }
        Ok(UploadOutcome::Duplicate {
            receipt_id,
            summary: Some(summary),
        }) if summary.all_outside_scope() => {
            problem_page(&employer, employer::outside_scope(&receipt_id))
        }
        Ok(
            UploadOutcome::Received { receipt_id, .. } | UploadOutcome::Processing { receipt_id },
        ) => Redirect::to(&format!("/employer/receipts/{receipt_id}?sent=file")).into_response(),
        Ok(UploadOutcome::Duplicate { receipt_id, .. }) => {
            Redirect::to(&format!("/employer/receipts/{receipt_id}?sent=again")).into_response()
        }
        Err(error) => problem_page(&employer, error),
    }
}

// ----- receipts and history -----

#[derive(Deserialize, Default)]
struct Sent {
    #[serde(default)]
    sent: Option<String>,
}

/// The receipt's totals when `employer` sent it; `None` for any other receipt (the same
/// answer as for one that does not exist).
async fn own_receipt(
    state: &AppState,
    employer: &Employer,
    receipt_id: &str,
) -> Result<Option<newhire::Summary>, crate::store::StoreError> {
    match newhire::submitter_account(&state.db, receipt_id).await? {
        Some(Some(account)) if account == employer.holder.account_id => {
            newhire::summary(&state.db, receipt_id).await
        }
        _ => Ok(None),
    }
}

fn forwarded_text(record: &newhire::RecordReport) -> String {
    match (&record.ndnh_batch, record.status.as_str()) {
        (Some(batch), _) => match record.ndnh_status.as_deref() {
            Some(status) => format!("Sent (batch {batch}); the national directory says: {status}"),
            None => format!("Sent (batch {batch})"),
        },
        (None, "accepted") => "Waiting to be sent".into(),
        _ => "Not sent".into(),
    }
}

fn status_text(status: &str) -> &'static str {
    match status {
        "accepted" => "Accepted",
        "invalid" => "Needs fixing",
        "duplicate" => "Already reported",
        "refused" => "Not your employer",
        _ => "Being processed",
    }
}

async fn receipt(
    State(state): State<AppState>,
    employer: Employer,
    Path(receipt_id): Path<String>,
    Query(sent): Query<Sent>,
) -> Response {
    let summary = match own_receipt(&state, &employer, &receipt_id).await {
        Ok(Some(summary)) => summary,
        Ok(None) => return not_found(&employer, "this receipt"),
        Err(error) => return ApiError::from(error).into_response(),
    };
    let records = match newhire::records(&state.db, &receipt_id, 0, 1000).await {
        Ok(records) => records,
        Err(error) => return ApiError::from(error).into_response(),
    };
    let title = match sent.sent.as_deref() {
        Some("new-hire") => "Your new hire report was received",
        Some("file") => "Your file was received",
        Some("again") => "You sent this before",
        _ => "Receipt",
    };
    let content = html! {
        @if sent.sent.as_deref() == Some("again") {
            p.notice role="status" { "We received exactly the same report before, so nothing was added. This is its receipt." }
        } @else if sent.sent.is_some() {
            p.notice role="status" { "Thank you. Keep this receipt: print it or download it." }
        }
        table.facts id="receipt-summary" {
            tbody {
                tr { th scope="row" { "Receipt number" } td { code { (summary.receipt_id) } } }
                tr { th scope="row" { "Received" } td { (when(Some(summary.received_at))) } }
                tr { th scope="row" { "Sent by" } td { (employer.holder.name) } }
                tr { th scope="row" { "Format" } td { (summary.format.to_uppercase()) } }
                tr { th scope="row" { "Records" } td { (summary.records) } }
                tr { th scope="row" { "Accepted" } td { (summary.accepted) } }
                tr { th scope="row" { "Need fixing" } td { (summary.invalid) } }
                tr { th scope="row" { "Already reported" } td { (summary.duplicate) } }
                tr { th scope="row" { "Not your employer" } td { (summary.refused) } }
                @if summary.state != "complete" {
                    tr { th scope="row" { "State" } td { "Still being processed. Reload this page in a minute." } }
                }
            }
        }
        p.no-print {
            a href=(format!("/employer/receipts/{receipt_id}/csv")) download { "Download the results of each record (CSV)" }
            " "
            button.action.secondary type="button" data-print hidden { "Print this receipt" }
        }
        h2 { "Each record" }
        p { "Accepted records are sent to the National Directory of New Hires. Records that need fixing were not accepted: fix them and send them again." }
        table id="receipt-records" {
            thead { tr { th.num scope="col" { "Record" } th scope="col" { "Result" } th scope="col" { "What to fix" } th scope="col" { "Sent on to the national directory" } } }
            tbody {
                @for record in &records {
                    tr {
                        td.num { (record.record_no) }
                        td { (status_text(&record.status)) }
                        td {
                            @let problems: Vec<newhire::Problem> = record.problems.as_deref().and_then(|p| serde_json::from_str(p).ok()).unwrap_or_default();
                            @if problems.is_empty() {
                                @if let Some(earlier) = &record.duplicate_of { "Same as record " (earlier) } @else { "—" }
                            } @else {
                                ul.problems {
                                    @for p in &problems {
                                        li { (p.field) @if let Some(pos) = p.position { " (position " (pos) ")" } ": " (p.message) "." }
                                    }
                                }
                            }
                        }
                        td { (forwarded_text(record)) }
                    }
                }
            }
        }
        @if records.len() == 1000 { p.muted { "The first 1,000 records are shown; the CSV download has them all." } }
    };
    html_page(
        StatusCode::OK,
        page(
            title,
            "/employer/history",
            Some(&employer.viewer()),
            content,
        ),
    )
}

async fn receipt_csv(
    State(state): State<AppState>,
    employer: Employer,
    Path(receipt_id): Path<String>,
) -> Response {
    match own_receipt(&state, &employer, &receipt_id).await {
        Ok(Some(_)) => employer::csv_report(state, receipt_id),
        Ok(None) => not_found(&employer, "this receipt"),
        Err(error) => ApiError::from(error).into_response(),
    }
}

async fn history(State(state): State<AppState>, employer: Employer) -> Response {
    let uploads = match data::uploads_of(&state.db, employer.holder.account_id, 500).await {
        Ok(uploads) => uploads,
        Err(error) => return ApiError::from(error).into_response(),
    };
    let content = html! {
        p { "Everything you sent, newest first. Open a receipt to see each record." }
        @if uploads.is_empty() {
            p { "You have not sent anything yet." }
        } @else {
            table id="history" {
                thead { tr {
                    th scope="col" { "Received" } th scope="col" { "Receipt" } th scope="col" { "Format" }
                    th.num scope="col" { "Records" } th.num scope="col" { "Accepted" } th.num scope="col" { "Need fixing" }
                    th.num scope="col" { "Already reported" } th.num scope="col" { "Not your employer" }
                    th.num scope="col" { "Sent on to the national directory" }
                } }
                tbody {
                    @for upload in &uploads {
                        tr {
                            td { (when(Some(upload.received_at))) }
                            td { a href=(format!("/employer/receipts/{}", upload.receipt_id)) { (upload.receipt_id) } }
                            td { (upload.format.to_uppercase()) @if upload.state != "complete" { " (still being processed)" } }
                            td.num { (upload.records) }
                            td.num { (upload.accepted) }
                            td.num { (upload.invalid) }
                            td.num { (upload.duplicate) }
                            td.num { (upload.refused) }
                            td.num { (upload.forwarded) " of " (upload.accepted) }
                        }
                    }
                }
            }
        }
    };
    html_page(
        StatusCode::OK,
        page(
            "Past reports",
            "/employer/history",
            Some(&employer.viewer()),
            content,
        ),
    )
}

// ----- withholding orders -----

fn action_text(action: &str) -> &'static str {
    match action {
        "ORG" => "New order",
        "AMD" => "Changed order",
        "TRM" => "Order to stop withholding",
        "LUM" => "Lump-sum payment order",
        _ => "Order",
    }
}

fn order_status_text(status: &str) -> &'static str {
    match status {
        "sent" => "Waiting for your answer",
        "accepted" => "You accepted it",
        "rejected" => "You rejected it",
        _ => "Unknown",
    }
}

async fn orders(State(state): State<AppState>, employer: Employer) -> Response {
    let orders = match data::orders_for(&state.db, &employer.holder.feins).await {
        Ok(orders) => orders,
        Err(error) => return ApiError::from(error).into_response(),
    };
    let content = html! {
        p { "An income withholding order tells you to take child support out of an employee's pay and send it to the state. "
            "Answer each order: accept it, or reject it and say why. Tell us too when the employee leaves or gets a lump-sum payment such as a bonus." }
        @if orders.is_empty() {
            p { "There are no orders for your employers." }
        } @else {
            table id="orders" {
                thead { tr { th scope="col" { "Order" } th scope="col" { "Kind" } th scope="col" { "Employer" } th scope="col" { "Sent" } th scope="col" { "Answer due" } th scope="col" { "Status" } } }
                tbody {
                    @for order in &orders {
                        tr {
                            td { a href=(format!("/employer/orders/{}", order.tracking_number)) { (order.tracking_number) } }
                            td { (action_text(&order.action)) }
                            td { (fein_text(&order.employer_fein)) }
                            td { (when(Some(order.created_at))) }
                            td { (when(Some(order.ack_due_at))) }
                            td { (order_status_text(&order.status)) }
                        }
                    }
                }
            }
        }
    };
    html_page(
        StatusCode::OK,
        page(
            "Withholding orders",
            "/employer/orders",
            Some(&employer.viewer()),
            content,
        ),
    )
}

#[derive(Deserialize, Default)]
struct Done {
    #[serde(default)]
    done: Option<String>,
}

/// The reasons an employer may give when rejecting (all the standard codes but `M`,
/// which needs the other state named).
fn reject_reasons() -> impl Iterator<Item = DispositionReason> {
    DispositionReason::ALL
        .iter()
        .copied()
        .filter(|r| *r != DispositionReason::MultipleStates)
}

fn order_page(
    employer: &Employer,
    order: &data::Order,
    values: &std::collections::BTreeMap<String, String>,
    errors: &[FormError],
    done: Option<&str>,
) -> Markup {
    let value = |id: &str| values.get(id).map(String::as_str).unwrap_or("");
    let field_error = |id: &str| -> Option<String> {
        let messages: Vec<&str> = errors
            .iter()
            .filter(|e| e.field == id)
            .map(|e| e.message.as_str())
            .collect();
        (!messages.is_empty()).then(|| messages.join(". ") + ".")
    };
    let answer = value("answer");
    let date_input = |id: &'static str, label: &'static str| {
        text_input(
            &Input {
                id,
                label,
                hint: Some("Year-month-day, for example 2026-11-30."),
                value: value(id),
                required: false,
                rule: Some("date"),
                autocomplete: "off",
                inputmode: None,
                maxlength: 10,
            },
            errors,
        )
    };
    let content = html! {
        (error_summary(errors))
        @match done {
            Some("answered") => p.notice role="status" { "Thank you. Your answer was received." },
            Some("notice") => p.notice role="status" { "Thank you. Your notice was received." },
            Some("again") => p.notice role="status" { "We had already received this answer." },
            _ => {},
        }
        table.facts id="order-facts" {
            tbody {
                tr { th scope="row" { "Order number" } td { code { (order.tracking_number) } } }
                tr { th scope="row" { "Kind" } td { (action_text(&order.action)) } }
                tr { th scope="row" { "Child support case" } td { (order.case_id) } }
                tr { th scope="row" { "Employer" } td { (fein_text(&order.employer_fein)) } }
                tr { th scope="row" { "Sent" } td { (when(Some(order.created_at))) } }
                tr { th scope="row" { "Answer due" } td { (when(Some(order.ack_due_at))) } }
                tr { th scope="row" { "Status" } td id="order-status" {
                    (order_status_text(&order.status))
                    @if let Some(reason) = order.reason.as_deref().and_then(DispositionReason::from_code) {
                        ": " (reason.meaning())
                    }
                    @if let Some(at) = order.acked_at { " (" (when(Some(at))) ")" }
                } }
            }
        }
        form method="post" action=(format!("/employer/orders/{}", order.tracking_number)) novalidate {
            input type="hidden" name="csrf" value=(employer.session.csrf);
            fieldset aria-describedby=[field_error("answer").map(|_| "answer-error")] {
                legend { "Your answer" }
                span.field-error id="answer-error" { (field_error("answer").unwrap_or_default()) }
                @if order.status == "sent" {
                    div.choice {
                        input type="radio" id="answer-accept" name="answer" value="accept" checked[answer == "accept"];
                        label for="answer-accept" { "Accept: I will withhold as the order says" }
                    }
                    div.choice {
                        input type="radio" id="answer-reject" name="answer" value="reject" checked[answer == "reject"];
                        label for="answer-reject" { "Reject: I cannot withhold (choose the reason below)" }
                    }
                }
                div.choice {
                    input type="radio" id="answer-terminated" name="answer" value="terminated" checked[answer == "terminated"];
                    label for="answer-terminated" { "The employee no longer works here (give the last day below)" }
                }
                div.choice {
                    input type="radio" id="answer-lump-sum" name="answer" value="lump-sum" checked[answer == "lump-sum"];
                    label for="answer-lump-sum" { "The employee will get a lump-sum payment, such as a bonus (give the date and amount below)" }
                }
            }
            @if order.status == "sent" {
                div.field.invalid[field_error("reason").is_some()] {
                    label for="reason" { "Reason for rejecting" }
                    span.field-error id="reason-error" { (field_error("reason").unwrap_or_default()) }
                    select id="reason" name="reason" aria-describedby="reason-error"
                        aria-invalid=[field_error("reason").map(|_| "true")] {
                        option value="" { "Choose a reason" }
                        @for reason in reject_reasons() {
                            option value=(reason.code()) selected[value("reason") == reason.code()] {
                                (reason.code()) " — " (reason.meaning())
                            }
                        }
                    }
                }
            }
            (date_input("termination_date", "Last day of work"))
            (date_input("lump_sum_date", "Date of the lump-sum payment"))
            (text_input(&Input {
                id: "lump_sum_amount",
                label: "Amount of the lump-sum payment, in dollars",
                hint: Some("For example 1500.00."),
                value: value("lump_sum_amount"),
                required: false,
                rule: None,
                autocomplete: "off",
                inputmode: Some("decimal"),
                maxlength: 14,
            }, errors))
            button.action type="submit" { "Send my answer" }
        }
        p { a href="/employer/orders" { "All orders" } }
    };
    page(
        "Withholding order",
        "/employer/orders",
        Some(&employer.viewer()),
        content,
    )
}

async fn order(
    State(state): State<AppState>,
    employer: Employer,
    Path(tracking): Path<String>,
    Query(done): Query<Done>,
) -> Response {
    match data::order(&state.db, &tracking, &employer.holder.feins).await {
        Ok(Some(order)) => html_page(
            StatusCode::OK,
            order_page(
                &employer,
                &order,
                &Default::default(),
                &[],
                done.done.as_deref(),
            ),
        ),
        Ok(None) => not_found(&employer, "this order"),
        Err(error) => ApiError::from(error).into_response(),
    }
}

fn parse_date(text: &str) -> Option<time::Date> {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    time::Date::parse(text.trim(), &format).ok()
}

/// The acknowledgment the form describes, or the problems to show.
fn acknowledgment_of(
    order: &data::Order,
    values: &std::collections::BTreeMap<String, String>,
) -> Result<Acknowledgment, Vec<FormError>> {
    let value = |id: &str| values.get(id).map(|v| v.trim()).unwrap_or("");
    let error = |field: &str, message: &str| FormError {
        field: field.into(),
        message: message.into(),
    };
    let (Ok(case_id), Ok(fein)) = (
        CaseId::parse(&order.case_id),
        Fein::parse(&order.employer_fein),
    ) else {
        return Err(vec![error(
            "",
            "This order cannot be answered here. Call employer services",
        )]);
    };
    let answered = order.status != "sent";
    let iwo_action = AckAction::from_code(&order.action).unwrap_or(AckAction::Original);
    let mut errors = Vec::new();
    let ack = match value("answer") {
        "accept" if !answered => Some(Acknowledgment::answer(
            iwo_action,
            case_id,
            fein,
            &order.tracking_number,
            Disposition::ACCEPTED,
        )),
        "reject" if !answered => match DispositionReason::from_code(value("reason"))
            .filter(|r| *r != DispositionReason::MultipleStates)
        {
            Some(reason) => Some(Acknowledgment::answer(
                iwo_action,
                case_id,
                fein,
                &order.tracking_number,
                Disposition::rejected(reason),
            )),
            None => {
                errors.push(error("reason", "Choose the reason you reject the order"));
                None
            }
        },
        "terminated" => match parse_date(value("termination_date")) {
            Some(date) => {
                let mut ack = Acknowledgment::answer(
                    AckAction::EmployerInitiated,
                    case_id,
                    fein,
                    &order.tracking_number,
                    Disposition {
                        status: DispositionStatus::Terminated,
                        reason: None,
                    },
                );
                ack.termination_date = Some(date);
                Some(ack)
            }
            None => {
                errors.push(error(
                    "termination_date",
                    "Enter the last day of work as year-month-day, for example 2026-11-30",
                ));
                None
            }
        },
        "lump-sum" => {
            let date = parse_date(value("lump_sum_date"));
            let amount = Money::parse(value("lump_sum_amount")).ok();
            if date.is_none() {
                errors.push(error(
                    "lump_sum_date",
                    "Enter the date of the payment as year-month-day, for example 2026-12-15",
                ));
            }
            if amount.is_none() {
                errors.push(error(
                    "lump_sum_amount",
                    "Enter the amount in dollars and cents, for example 1500.00",
                ));
            }
            match (date, amount) {
                (Some(date), Some(amount)) => {
                    let mut ack = Acknowledgment::answer(
                        AckAction::EmployerInitiated,
                        case_id,
                        fein,
                        &order.tracking_number,
                        Disposition {
                            status: DispositionStatus::LumpSumNotice,
                            reason: None,
                        },
                    );
                    ack.lump_sum_date = Some(date);
                    ack.lump_sum_amount = Some(amount);
                    Some(ack)
                }
                _ => None,
            }
        }
        _ => {
            errors.push(error("answer-accept", "Choose your answer"));
            None
        }
    };
    match ack {
        Some(ack) if errors.is_empty() => Ok(ack),
        _ => Err(errors),
    }
}

/// An acknowledgment file holding `ack`, as an employer's payroll system would write it.
fn acknowledgment_file(ack: Acknowledgment, now: i64) -> Result<Vec<u8>, String> {
    let fein = ack.fein.clone();
    let prefix = fein.expose().get(..2).unwrap_or("00").to_string();
    // The control numbers make the file unique (a second copy is a duplicate): the time and
    // the order's number, so two answers sent in the same millisecond stay apart.
    let digits: String = ack
        .tracking_number
        .chars()
        .filter(char::is_ascii_digit)
        .collect();
    let order = digits.get(digits.len().saturating_sub(6)..).unwrap_or("");
    let unique = format!("{:013}{order:0>6}", now.max(0) % 10_000_000_000_000);
    let created = time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(now) * 1_000_000)
        .unwrap_or_else(|_| time::OffsetDateTime::now_utc());
    ivd_eiwo::write_acknowledgments(
        &FileHeaderInfo {
            control_number: format!("{prefix}A{unique}"),
            state_fips: None,
            ein: fein.clone(),
            primary_ein: None,
            created: time::PrimitiveDateTime::new(created.date(), created.time()),
        },
        &[AckBatch {
            control_number: format!("{prefix}B{unique}"),
            fein,
            acknowledgments: vec![ack],
        }],
    )
    .map_err(|e| e.to_string())
}

async fn answer_order(
    State(state): State<AppState>,
    employer: Employer,
    Path(tracking): Path<String>,
    Form(values): Form<std::collections::BTreeMap<String, String>>,
) -> Response {
    if !employer
        .session
        .csrf_matches(values.get("csrf").map(String::as_str).unwrap_or(""))
    {
        return expired();
    }
    let order = match data::order(&state.db, &tracking, &employer.holder.feins).await {
        Ok(Some(order)) => order,
        Ok(None) => return not_found(&employer, "this order"),
        Err(error) => return ApiError::from(error).into_response(),
    };
    let ack = match acknowledgment_of(&order, &values) {
        Ok(ack) => ack,
        Err(errors) => {
            return html_page(
                StatusCode::UNPROCESSABLE_ENTITY,
                order_page(&employer, &order, &values, &errors, None),
            );
        }
    };
    let is_notice = ack.action == AckAction::EmployerInitiated;
    let file = match acknowledgment_file(ack, now_ms()) {
        Ok(file) => file,
        Err(reason) => {
            let errors = [FormError {
                field: String::new(),
                message: format!("Your answer could not be written: {reason}"),
            }];
            return html_page(
                StatusCode::UNPROCESSABLE_ENTITY,
                order_page(&employer, &order, &values, &errors, None),
            );
        }
    };
    let done = match employer::receive_acknowledgments(&state, &employer.holder, &file).await {
        Ok(AckOutcome::Received { file, .. }) => {
            let problems: Vec<FormError> = file
                .verdicts
                .iter()
                .flat_map(|v| v.errors.iter())
                .chain(file.envelope_errors.iter())
                .map(|e| FormError {
                    field: String::new(),
                    message: problem_text(e),
                })
                .collect();
            if !problems.is_empty() {
                return html_page(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    order_page(&employer, &order, &values, &problems, None),
                );
            }
            if is_notice { "notice" } else { "answered" }
        }
        Ok(AckOutcome::Duplicate { .. }) => "again",
        Err(error) => return problem_page(&employer, error),
    };
    tracing::info!(employer = %employer.holder.name, "An employer answered a withholding order on the web.");
    Redirect::to(&format!("/employer/orders/{tracking}?done={done}")).into_response()
}
