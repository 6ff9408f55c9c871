//! Signing in and out, and asking for an account (`/employer/sign-in`, `/employer/sign-out`,
//! `/employer/register`).

use axum::extract::{Form, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use ivd_model::Fein;
use maud::{Markup, html};
use serde::Deserialize;

use super::view::{FormError, Input, error_summary, page, text_input};
use super::{Employer, expired, html_page};
use crate::store::employer_accounts::{self, NewRequest, NotTaken};
use crate::store::now_ms;
use crate::web::limits::ClientAddress;
use crate::web::session::{self, FormPairing, Realm, SignInForm, SignInPage};
use crate::web::{ApiError, AppState};

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

pub(super) async fn sign_in_form(State(state): State<AppState>) -> Response {
    SIGN_IN.answer(&state, StatusCode::OK, None, "")
}

pub(super) async fn sign_in(
    State(state): State<AppState>,
    ClientAddress(client): ClientAddress,
    headers: HeaderMap,
    Form(form): Form<SignInForm>,
) -> Response {
    SIGN_IN.post(&state, &client, &headers, &form).await
}

#[derive(Deserialize)]
pub(super) struct CsrfOnly {
    csrf: String,
}

pub(super) async fn sign_out(
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

pub(super) async fn register_form(State(state): State<AppState>) -> Response {
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

pub(super) async fn register(
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
