//! Income withholding orders and the employer's answers to them (`/employer/orders`).

use axum::extract::{Form, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use ivd_eiwo::{AckAction, Acknowledgment, Disposition, DispositionReason, DispositionStatus};
use ivd_model::{CaseId, Fein, Money};
use maud::{Markup, html};
use serde::Deserialize;

use super::view::{FormError, Input, error_summary, page, text_input, when};
use super::{Employer, data, expired, fein_text, html_page, not_found, problem_page, problem_text};
use crate::channels::employers::iwo::acknowledgment_file;
use crate::channels::employers::routes::{self as employer, AckOutcome};
use crate::store::now_ms;
use crate::web::{ApiError, AppState};

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

pub(super) async fn orders(State(state): State<AppState>, employer: Employer) -> Response {
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
pub(super) struct Done {
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

pub(super) async fn order(
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

pub(super) async fn answer_order(
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
