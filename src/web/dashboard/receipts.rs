//! Inbound receipts (`/receipts`, `/receipts/{id}`) and the verdict of each record.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use maud::html;

use super::view::{Viewer, page, when};
use super::{Operator, data, html_page};
use crate::web::{ApiError, AppState};

pub(super) async fn receipts(
    State(state): State<AppState>,
    Operator(session): Operator,
) -> Response {
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

pub(super) async fn receipt(
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
