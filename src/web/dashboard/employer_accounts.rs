//! Employers' requests for an account (`/employer-accounts`): approve or refuse each.

use axum::extract::{Form, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use maud::html;
use serde::Deserialize;

use super::view::{Viewer, page, when};
use super::{Operator, data, forbidden, html_page};
use crate::store::tokens::Role;
use crate::web::{ApiError, AppState};

/// Requests for an employer account shown on one page of the list.
const REQUESTS_PER_PAGE: i64 = 50;

#[derive(Deserialize)]
pub(super) struct RequestsPage {
    #[serde(default)]
    after: i64,
}

pub(super) async fn employer_accounts(
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
pub(super) struct Decision {
    csrf: String,
    decision: String,
}

pub(super) async fn decide_employer_account(
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
