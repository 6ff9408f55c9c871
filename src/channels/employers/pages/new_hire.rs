//! Reporting one new hire with a form (`/employer/new-hire`).

use axum::extract::{Form, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use ivd_newhire::{Format, RecordOutcome};
use maud::{Markup, html};

use super::view::{FormError, Input, error_summary, page, text_input};
use super::{Employer, expired, fein_text, html_page, problem_page, problem_text, rules};
use crate::channels::employers::routes::{self as employer, UploadOutcome};
use crate::web::AppState;

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

pub(super) async fn new_hire_form(employer: Employer) -> Response {
    html_page(
        StatusCode::OK,
        new_hire_page(&employer, &Default::default(), &[]),
    )
}

pub(super) async fn new_hire_submit(
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
        ivd_newhire::read_new_hires(Format::Csv, file.as_slice(), &rules(&state)).next();
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
