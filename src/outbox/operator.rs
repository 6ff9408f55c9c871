//! What operators do with messages: redeliver (the same bytes) and replay (rebuilt from
//! the cause). Both require a reason, and the action and its audit entry commit together.

use serde::Serialize;

use crate::audit::{self, NewEntry};
use crate::outbox::render::{RenderError, RenderRequest, Renderers};
use crate::outbox::{self, EnqueueOutcome, MessageState, store};
use crate::store::{Db, StoreError};

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

/// Puts message `id` back in line with the same bytes and `extra_attempts` more attempts.
pub async fn redeliver(
    db: &Db,
    id: i64,
    reason: &str,
    actor: &str,
    extra_attempts: i64,
    now: i64,
) -> Result<(), OperatorError> {
    let reason = checked_reason(reason)?;
    let mut tx = db.begin().await?;
    let before = store::redeliver(&mut tx, id, extra_attempts, now)
        .await?
        .ok_or(OperatorError::NotFound(id))?;
    if !matches!(before, MessageState::Dead | MessageState::Delivered) {
        return Err(OperatorError::StillLive {
            id,
            state: before.as_str(),
        });
    }
    audit::append(
        &mut tx,
        &NewEntry {
            actor,
            action: "outbox.redeliver",
            subject: &format!("message:{id}"),
            reason: Some(reason),
            details: serde_json::json!({ "previousState": before.as_str() }),
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
    max_attempts: i64,
    now: i64,
) -> Result<Replayed, OperatorError> {
    let reason = checked_reason(reason)?;
    let mut tx = db.begin().await?;
    let source = store::replay_source(&mut tx, id)
        .await?
        .ok_or(OperatorError::NotFound(id))?;
    let state = MessageState::parse(&source.state).unwrap_or(MessageState::Dead);
    if !matches!(state, MessageState::Dead | MessageState::Delivered) {
        return Err(OperatorError::StillLive {
            id,
            state: state.as_str(),
        });
    }
    let renderer = renderers.get(&source.kind)?;
    let replay_number = store::replay_count(&mut tx, id).await? + 1;
    let mut message = renderer
        .render(
            &mut tx,
            &RenderRequest {
                partner: &source.partner,
                cause_kind: &source.cause_kind,
                cause_id: &source.cause_id,
                replay: replay_number,
                max_attempts,
                now,
            },
        )
        .await?;
    message.replay_of = Some(id);
    let replacement = match outbox::enqueue(&mut tx, &message, now).await? {
        EnqueueOutcome::Enqueued(new_id) | EnqueueOutcome::Duplicate(new_id) => new_id,
    };
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
