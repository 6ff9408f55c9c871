//! The exchange health page (`/`): alerts, partners, the outbox and the throughput chart.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use maud::{Markup, html};

use super::view::{self, Viewer, age, badge, page, when};
use super::{Operator, data, html_page};
use crate::outbox::MessageState;
use crate::outbox::circuit::CircuitState;
use crate::outbox::store as outbox_store;
use crate::web::session::Session;
use crate::web::{ApiError, AppState};

/// How often the health page reloads itself (seconds).
const REFRESH_SECS: u32 = 5;
/// The chart: 36 intervals of 10 minutes.
const CHART_BUCKET_MS: i64 = 10 * 60 * 1000;
const CHART_BUCKETS: usize = 36;
/// A partner whose oldest waiting message is older than this is degraded.
const DEGRADED_AFTER_SECS: i64 = 15 * 60;

/// Up, degraded or down, from the circuit, the latest outcomes and the oldest waiting
/// message.
fn health_of(
    circuit: Option<CircuitState>,
    activity: &data::Activity,
    oldest_age: Option<i64>,
) -> &'static str {
    match circuit {
        Some(CircuitState::Open | CircuitState::HalfOpen) => "down",
        _ if activity.last_failure > activity.last_success
            || activity.retrying > 0
            || oldest_age.is_some_and(|age| age > DEGRADED_AFTER_SECS) =>
        {
            "degraded"
        }
        _ => "up",
    }
}

pub(super) async fn health(State(state): State<AppState>, Operator(session): Operator) -> Response {
    match health_page(&state, &session).await {
        Ok(markup) => html_page(StatusCode::OK, markup),
        Err(error) => ApiError::from(error).into_response(),
    }
}

async fn health_page(
    state: &AppState,
    session: &Session,
) -> Result<Markup, crate::store::StoreError> {
    let now = data::now();
    let firing = crate::alerts::list(&state.db, Some("firing"), 50).await?;
    let depth = outbox_store::depth(&state.db).await?;
    let oldest = outbox_store::oldest_live(&state.db).await?;
    let chart_from = (now / CHART_BUCKET_MS - CHART_BUCKETS as i64 + 1) * CHART_BUCKET_MS;
    let buckets = data::throughput(&state.db, chart_from, CHART_BUCKET_MS).await?;
    let mut partners = Vec::new();
    for partner in &state.settings.partners {
        let channel = state.channels.iter().find(|c| c.id == partner.id);
        let activity = data::activity(&state.db, &partner.id).await?;
        let oldest_age = oldest
            .iter()
            .find(|(p, _)| *p == partner.id)
            .map(|(_, at)| (now - at) / 1000);
        let circuit = channel.map(|c| c.circuit.state());
        let health = if partner.transport.is_none() {
            "receive only"
        } else {
            health_of(circuit, &activity, oldest_age)
        };
        partners.push((partner, health, circuit, activity, oldest_age));
    }
    let count = |partner: &str, state: MessageState| {
        depth
            .iter()
            .find(|(p, s, _)| p == partner && s == state.as_str())
            .map_or(0, |(_, _, n)| *n)
    };
    let viewer = Viewer {
        name: &session.holder,
        csrf: &session.csrf,
    };
    let content = html! {
        p.muted { "Updated " (when(Some(now))) "; this page reloads every " (REFRESH_SECS) " seconds." }
        h2 { "Alerts firing" }
        @if firing.is_empty() {
            p { "None." }
        } @else {
            table {
                thead { tr { th { "Alert" } th { "Partner" } th { "Since" } th { "What" } } }
                tbody {
                    @for alert in &firing {
                        tr { td { (alert.kind) } td { (alert.partner.as_deref().unwrap_or("—")) } td { (when(Some(alert.changed_at))) } td { (alert.summary) } }
                    }
                }
            }
        }
        h2 { "Partners" }
        table id="partners" {
            thead { tr { th { "Partner" } th { "Kind" } th { "Health" } th { "Circuit" } th { "Last success" } th { "Last failure" } th { "Reason" } } }
            tbody {
                @for (partner, health, circuit, activity, _) in &partners {
                    tr data-partner=(partner.id) {
                        td { strong { (partner.id) } @if let Some(name) = &partner.name { br; span.muted { (name) } } }
                        td { (format!("{:?}", partner.kind).to_lowercase()) }
                        td { (badge(health)) }
                        td { (circuit.map_or("—", |c| c.as_str())) }
                        td { (when(activity.last_success)) }
                        td { (when(activity.last_failure)) }
                        td { (activity.last_failure_reason.as_deref().unwrap_or("—")) }
                    }
                }
            }
        }
        h2 { "Outbox" }
        table id="outbox" {
            thead { tr {
                th { "Partner" }
                @for message_state in MessageState::ALL { th.num { (message_state.as_str()) } }
                th.num { "Oldest waiting" }
            } }
            tbody {
                @for (partner, _, _, _, oldest_age) in &partners {
                    tr {
                        td { (partner.id) }
                        @for message_state in MessageState::ALL {
                            td.num {
                                @if message_state == MessageState::Dead && count(&partner.id, message_state) > 0 {
                                    a href="/dead-letters" { (count(&partner.id, message_state)) }
                                } @else {
                                    (count(&partner.id, message_state))
                                }
                            }
                        }
                        td.num { (oldest_age.map_or("—".to_string(), age)) }
                    }
                }
            }
        }
        h2 { "Deliveries and failures, last six hours" }
        (view::throughput_chart(&buckets, chart_from, CHART_BUCKET_MS, CHART_BUCKETS))
    };
    Ok(page(
        "Exchange health",
        "/",
        Some(&viewer),
        Some(REFRESH_SECS),
        content,
    ))
}
