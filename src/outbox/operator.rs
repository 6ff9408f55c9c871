//! What operators do with messages: redeliver (the same bytes) and replay (rebuilt from
//! the cause). Both require a reason, and the action and its audit entry commit together.

use serde::Serialize;

use crate::audit::{self, NewEntry};
use crate::outbox::render::{RenderError, RenderRequest, Renderers};
use crate::outbox::store::MessageOrigin;
use crate::outbox::{MessageState, store};
use crate::store::{Db, DbTx, StoreError};

/// Why an operator action was refused.
#[derive(Debug, thiserror::Error)]
pub enum OperatorError {
    /// Redeliver and replay need a reason.
    #[error("a reason is required")]
    ReasonRequired,
    /// No such message.
    #[error("message {0} not found")]
    NotFound(i64),
    /// The message is still being delivered; acting now would send it twice.
    #[error(
        "message {id} is {state}: only dead or delivered messages can be redelivered or replayed"
    )]
    StillLive {
        /// Message id.
        id: i64,
        /// Its state.
        state: &'static str,
    },
    /// The message could not be rebuilt.
    #[error(transparent)]
    Render(#[from] RenderError),
    /// Storage failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What a replay produced.
#[derive(Clone, Copy, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Replayed {
    /// The message replayed.
    pub original: i64,
    /// The new message.
    pub replacement: i64,
}

fn checked_reason(reason: &str) -> Result<&str, OperatorError> {
    let reason = reason.trim();
    if reason.is_empty() {
        Err(OperatorError::ReasonRequired)
    } else {
        Ok(reason)
    }
}

/// How many attempts a partner allows a message (from its configuration).
pub type AttemptsFor<'a> = &'a (dyn Fn(&str) -> i64 + Sync);

/// Loads a message and checks that it is final (dead or delivered): acting on a live one
/// would send it twice.
async fn final_message(tx: &mut DbTx, id: i64) -> Result<MessageOrigin, OperatorError> {
    let origin = store::origin(tx, id)
        .await?
        .ok_or(OperatorError::NotFound(id))?;
    let state = MessageState::parse(&origin.state).unwrap_or(MessageState::Dead);
    if !matches!(state, MessageState::Dead | MessageState::Delivered) {
        return Err(OperatorError::StillLive {
            id,
            state: state.as_str(),
        });
    }
    Ok(origin)
}

/// Puts message `id` back in line with the same bytes and as many more attempts as its
/// partner allows.
pub async fn redeliver(
    db: &Db,
    id: i64,
    reason: &str,
    actor: &str,
    attempts_for: AttemptsFor<'_>,
    now: i64,
) -> Result<(), OperatorError> {
    let reason = checked_reason(reason)?;
    let mut tx = db.begin().await?;
    let origin = final_message(&mut tx, id).await?;
    store::put_back(&mut tx, id, attempts_for(&origin.partner), now).await?;
    audit::append(
        &mut tx,
        &NewEntry {
            actor,
            action: "outbox.redeliver",
            subject: &format!("message:{id}"),
            reason: Some(reason),
            details: serde_json::json!({ "previousState": origin.state }),
        },
        now,
    )
    .await?;
    tx.commit().await?;
    tracing::info!(message_id = id, actor, "Message put back for redelivery.");
    Ok(())
}

/// Rebuilds message `id` from its cause and enqueues the result as a new message.
pub async fn replay(
    db: &Db,
    renderers: &Renderers,
    id: i64,
    reason: &str,
    actor: &str,
    attempts_for: AttemptsFor<'_>,
    now: i64,
) -> Result<Replayed, OperatorError> {
    let reason = checked_reason(reason)?;
    let mut tx = db.begin().await?;
    let source = final_message(&mut tx, id).await?;
    let renderer = renderers.get(&source.kind)?;
    let replay_number = store::replay_count(&mut tx, id).await? + 1;
    let mut rendered = renderer
        .render(
            &mut tx,
            &RenderRequest {
                partner: &source.partner,
                cause_kind: &source.cause_kind,
                cause_id: &source.cause_id,
                replay: replay_number,
                max_attempts: attempts_for(&source.partner),
                now,
            },
        )
        .await?;
    rendered.message.replay_of = Some(id);
    let replacement = rendered.enqueue(&mut tx, now).await?.id();
    audit::append(
        &mut tx,
        &NewEntry {
            actor,
            action: "outbox.replay",
            subject: &format!("message:{id}"),
            reason: Some(reason),
            details: serde_json::json!({ "replacement": replacement, "replay": replay_number }),
        },
        now,
    )
    .await?;
    tx.commit().await?;
    tracing::info!(
        message_id = id,
        replacement,
        actor,
        "Message replayed from its cause."
    );
    Ok(Replayed {
        original: id,
        replacement,
    })
}
