//! Receipts of what an employer sent, and the history of it (`/employer/receipts/{id}`,
//! `/employer/history`).

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use maud::html;
use serde::Deserialize;

use super::view::{page, when};
use super::{Employer, data, html_page, not_found};
use crate::channels::employers::newhire;
use crate::channels::employers::routes as employer;
use crate::web::{ApiError, AppState};

#[derive(Deserialize, Default)]
pub(super) struct Sent {
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

pub(super) async fn receipt(
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

pub(super) async fn receipt_csv(
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

pub(super) async fn history(State(state): State<AppState>, employer: Employer) -> Response {
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
