//! The audit trail (`/audit?q=`), searchable.

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use maud::html;
use serde::Deserialize;

use super::view::{Viewer, page, when};
use super::{Operator, data, html_page};
use crate::web::{ApiError, AppState};

#[derive(Deserialize, Default)]
pub(super) struct AuditQuery {
    #[serde(default)]
    q: String,
}

pub(super) async fn audit(
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
