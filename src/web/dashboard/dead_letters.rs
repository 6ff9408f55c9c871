//! Dead letters (`/dead-letters`): redeliver or replay each, with a reason.

use axum::extract::{Form, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use serde::Deserialize;

use super::view::{Viewer, page, when};
use super::{Operator, data, forbidden, html_page};
use crate::outbox::MessageState;
use crate::outbox::operator::{self as actions, OperatorError};
use crate::outbox::store::{self as outbox_store, ListFilter};
use crate::web::session::Session;
use crate::web::{ApiError, AppState};

#[derive(Deserialize, Default)]
pub(super) struct Notice {
    #[serde(default)]
    done: Option<String>,
}

pub(super) async fn dead_letters(
    State(state): State<AppState>,
    Operator(session): Operator,
    Query(notice): Query<Notice>,
) -> Response {
    let message = notice.done.map(|done| (false, done));
    match dead_letters_page(&state, &session, message).await {
        Ok(markup) => html_page(StatusCode::OK, markup),
        Err(error) => ApiError::from(error).into_response(),
    }
}

/// `message`: (is an error, text).
async fn dead_letters_page(
    state: &AppState,
    session: &Session,
    message: Option<(bool, String)>,
) -> Result<Markup, crate::store::StoreError> {
    let dead = outbox_store::list(
        &state.db,
        &ListFilter {
            partner: None,
            state: Some(MessageState::Dead),
            after_id: None,
            limit: Some(500),
        },
    )
    .await?;
    let viewer = Viewer {
        name: &session.holder,
        csrf: &session.csrf,
    };
    let content = html! {
        @if let Some((error, text)) = &message {
            @if *error { p.error role="alert" { (text) } } @else { p.notice role="status" { (text) } }
        }
        p { "A dead letter is a message the gateway gave up on. " strong { "Redeliver" }
            " sends the same message again under the same idempotency key (the partner de-duplicates it). "
            strong { "Replay" } " rebuilds it from the current case as a new message. Both need a reason, which goes to the audit trail." }
        @if dead.is_empty() {
            p { "No dead letters." }
        } @else {
            table id="dead-letters" {
                thead { tr { th.num { "Message" } th { "Partner" } th { "Kind" } th.num { "Attempts" } th { "Given up" } th { "Last error" } th { "Action" } } }
                tbody {
                    @for message in &dead {
                        tr data-message=(message.id) {
                            td.num { (message.id) }
                            td { (message.partner) }
                            td { (message.kind) }
                            td.num { (message.attempt) " of " (message.max_attempts) }
                            td { (when(message.finalized_at)) }
                            td { (message.last_error.as_deref().unwrap_or("—")) }
                            td {
                                form.inline method="post" action=(format!("/dead-letters/{}/redeliver", message.id)) {
                                    input type="hidden" name="csrf" value=(session.csrf);
                                    label for=(format!("reason-{}", message.id)) { "Reason" }
                                    input type="text" id=(format!("reason-{}", message.id)) name="reason" required maxlength="500";
                                    button.action type="submit" { "Redeliver" }
                                    button.action.secondary type="submit" formaction=(format!("/dead-letters/{}/replay", message.id)) { "Replay" }
                                }
                            }
                        }
                    }
                }
            }
        }
    };
    Ok(page(
        "Dead letters",
        "/dead-letters",
        Some(&viewer),
        None,
        content,
    ))
}

#[derive(Deserialize)]
pub(super) struct ActionForm {
    csrf: String,
    reason: String,
}

pub(super) async fn redeliver(
    State(state): State<AppState>,
    Operator(session): Operator,
    Path(id): Path<i64>,
    Form(form): Form<ActionForm>,
) -> Response {
    act(state, session, id, form, false).await
}

pub(super) async fn replay(
    State(state): State<AppState>,
    Operator(session): Operator,
    Path(id): Path<i64>,
    Form(form): Form<ActionForm>,
) -> Response {
    act(state, session, id, form, true).await
}

async fn act(
    state: AppState,
    session: Session,
    id: i64,
    form: ActionForm,
    replay: bool,
) -> Response {
    if !session.csrf_matches(&form.csrf) {
        return forbidden();
    }
    let actor = session.actor();
    let attempts_for = |partner: &str| state.settings.max_attempts_for(partner);
    let now = data::now();
    let outcome = if replay {
        actions::replay(
            &state.db,
            &state.renderers,
            id,
            &form.reason,
            &actor,
            &attempts_for,
            now,
        )
        .await
        .map(|replayed| {
            format!(
                "Message {id} was replayed as message {}.",
                replayed.replacement
            )
        })
    } else {
        actions::redeliver(&state.db, id, &form.reason, &actor, &attempts_for, now)
            .await
            .map(|()| format!("Message {id} will be delivered again."))
    };
    match outcome {
        Ok(done) => {
            state.dispatcher_wake.notify_one();
            Redirect::to(&format!("/dead-letters?done={}", urlencode(&done))).into_response()
        }
        Err(error) => {
            let (status, text) = match error {
                OperatorError::ReasonRequired => (
                    StatusCode::BAD_REQUEST,
                    "Give a reason: it goes to the audit trail.".to_string(),
                ),
                OperatorError::NotFound(_) => {
                    (StatusCode::NOT_FOUND, format!("There is no message {id}."))
                }
                OperatorError::StillLive { .. } => (
                    StatusCode::CONFLICT,
                    format!("Message {id} is not a dead letter any more."),
                ),
                OperatorError::Render(e) => (
                    StatusCode::UNPROCESSABLE_ENTITY,
                    format!("Message {id} cannot be rebuilt: {e}"),
                ),
                OperatorError::Store(e) => return ApiError::from(e).into_response(),
            };
            match dead_letters_page(&state, &session, Some((true, text))).await {
                Ok(markup) => html_page(status, markup),
                Err(error) => ApiError::from(error).into_response(),
            }
        }
    }
}

/// Percent-encodes a notice for a query string.
fn urlencode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}
