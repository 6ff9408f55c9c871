//! Alerts: the conditions State IT must hear of — a partner down and back, a dead letter,
//! an acknowledgment overdue, a reconciliation that found discrepancies — written to the
//! log and sent to the configured webhooks.
//!
//! Alerts fire on **state changes only**. A partner that fails a thousand retries is one
//! "partner down", and one "partner back" when its circuit closes again; the same
//! condition raised again while it is still firing is not sent again. The `alerts` table is
//! the memory, so this holds across restarts and across every gateway instance sharing a
//! PostgreSQL: the instance whose insert or update changed the row's state sends the alert,
//! the others see no change.
//!
//! Webhooks are partners (`[alerts] webhook_partners`): an alert is an outbox message to
//! each, enqueued in the transaction that changed the alert's state, so it is durable,
//! retried and never sent twice for one change (idempotency key `alert:<key>:<change>`).
//! Alerts carry partner ids, message ids, references and counts — never personal data.
//!
//! Raising is cheap and never blocks: the dispatcher calls [`Alerts::raise`] on its hot
//! path; the [`AlertService`] task records and sends.

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use tokio::sync::{Notify, mpsc};
use tokio_util::sync::CancellationToken;

use crate::outbox::{self, NewMessage};
use crate::store::{Db, StoreError, now_ms};
use crate::{on_read, on_tx};

/// Where alerts go besides the log.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AlertSettings {
    /// Partners (usually `https` transports to an alert manager or a chat webhook) that
    /// receive every alert as a JSON message.
    pub webhook_partners: Vec<String>,
}

/// A condition, as the part of the gateway that notices it raises it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Signal {
    /// A partner's circuit opened: deliveries to it stopped.
    PartnerDown {
        /// Partner id.
        partner: String,
        /// The last failure (status or connection error; never message content).
        reason: String,
    },
    /// A partner's circuit closed again.
    PartnerBack {
        /// Partner id.
        partner: String,
    },
    /// A message was given up on.
    DeadLetter {
        /// Partner id.
        partner: String,
        /// Outbox message id.
        message_id: i64,
        /// Message kind.
        kind: String,
        /// Why (`retries exhausted`, `rejected by partner`).
        cause: String,
    },
    /// A partner owes an answer past its due time.
    AckOverdue {
        /// Who owes it.
        partner: String,
        /// What the answer will quote.
        reference: String,
        /// Kind of answer.
        kind: String,
    },
    /// An acknowledgment that was overdue has arrived.
    AckReceived {
        /// Who owed it.
        partner: String,
        /// What it quotes.
        reference: String,
        /// Kind of answer.
        kind: String,
    },
    /// A reconciliation job's run finished: with discrepancies it fires, clean it resolves.
    Reconciliation {
        /// Job name.
        job: String,
        /// Run id.
        run: String,
        /// Discrepancies found.
        discrepancies: usize,
    },
}

/// Whether a signal starts or ends a condition.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AlertState {
    /// The condition holds.
    Firing,
    /// It no longer does.
    Resolved,
}

impl AlertState {
    fn as_str(self) -> &'static str {
        match self {
            AlertState::Firing => "firing",
            AlertState::Resolved => "resolved",
        }
    }
}

impl Signal {
    /// The condition's identity: signals with the same key are one alert.
    pub fn key(&self) -> String {
        match self {
            Signal::PartnerDown { partner, .. } | Signal::PartnerBack { partner } => {
                format!("partner-down:{partner}")
            }
            Signal::DeadLetter { message_id, .. } => format!("dead-letter:{message_id}"),
            Signal::AckOverdue {
                partner,
                reference,
                kind,
            }
            | Signal::AckReceived {
                partner,
                reference,
                kind,
            } => format!("ack-overdue:{partner}:{kind}:{reference}"),
            Signal::Reconciliation { job, .. } => format!("reconciliation:{job}"),
        }
    }

    /// The alert's kind (`partner-down`, `dead-letter`, …).
    pub fn kind(&self) -> &'static str {
        match self {
            Signal::PartnerDown { .. } | Signal::PartnerBack { .. } => "partner-down",
            Signal::DeadLetter { .. } => "dead-letter",
            Signal::AckOverdue { .. } | Signal::AckReceived { .. } => "ack-overdue",
            Signal::Reconciliation { .. } => "reconciliation-discrepancy",
        }
    }

    /// Firing or resolved.
    pub fn state(&self) -> AlertState {
        match self {
            Signal::PartnerBack { .. } | Signal::AckReceived { .. } => AlertState::Resolved,
            Signal::Reconciliation { discrepancies, .. } if *discrepancies == 0 => {
                AlertState::Resolved
            }
            _ => AlertState::Firing,
        }
    }

    /// The partner concerned.
    pub fn partner(&self) -> Option<&str> {
        match self {
            Signal::PartnerDown { partner, .. }
            | Signal::PartnerBack { partner }
            | Signal::DeadLetter { partner, .. }
            | Signal::AckOverdue { partner, .. }
            | Signal::AckReceived { partner, .. } => Some(partner),
            Signal::Reconciliation { .. } => None,
        }
    }

    /// One sentence for people.
    pub fn summary(&self) -> String {
        match self {
            Signal::PartnerDown { partner, reason } => {
                format!(
                    "Partner {partner} is down: deliveries stopped after repeated failures ({reason})."
                )
            }
            Signal::PartnerBack { partner } => {
                format!("Partner {partner} is back: deliveries resumed.")
            }
            Signal::DeadLetter {
                partner,
                message_id,
                kind,
                cause,
            } => format!(
                "Message {message_id} ({kind}) to {partner} is a dead letter: {cause}. Redeliver or replay it with a reason."
            ),
            Signal::AckOverdue {
                partner,
                reference,
                kind,
            } => format!("{partner} owes {kind} for {reference}, and it is overdue."),
            Signal::AckReceived {
                partner,
                reference,
                kind,
            } => format!("{partner} sent the overdue {kind} for {reference}."),
            Signal::Reconciliation {
                job,
                run,
                discrepancies,
            } => {
                if *discrepancies == 0 {
                    format!("Reconciliation {job} is clean again (run {run}).")
                } else {
                    format!("Reconciliation {job} found {discrepancies} discrepancies (run {run}).")
                }
            }
        }
    }
}

/// Raises alerts; cheap to clone, never blocks. A disabled one drops every signal.
#[derive(Clone, Debug, Default)]
pub struct Alerts {
    sender: Option<mpsc::UnboundedSender<Signal>>,
}

impl Alerts {
    /// An alerter that drops everything (tools, tests of other parts).
    pub fn disabled() -> Self {
        Alerts::default()
    }

    /// Hands a signal to the alert service.
    pub fn raise(&self, signal: Signal) {
        if let Some(sender) = &self.sender {
            // A closed channel means the gateway is stopping: the log line of the
            // dispatcher itself still tells.
            let _ = sender.send(signal);
        }
    }
}

/// An alert as stored and sent.
#[derive(Clone, Debug, Serialize, Deserialize, sqlx::FromRow)]
#[serde(rename_all = "camelCase")]
pub struct Alert {
    /// Identity of the condition.
    pub key: String,
    /// Kind (`partner-down`, …).
    pub kind: String,
    /// The partner concerned.
    pub partner: Option<String>,
    /// One sentence.
    pub summary: String,
    /// `firing` or `resolved`.
    pub state: String,
    /// How many times it changed state (1 = first fired).
    pub changes: i64,
    /// When it first fired (ms).
    pub first_fired_at: i64,
    /// When it last changed state (ms).
    pub changed_at: i64,
}

/// Records signals and sends the alerts whose state they change.
#[derive(Debug)]
pub struct AlertService {
    db: Db,
    settings: Arc<crate::config::Settings>,
    dispatcher_wake: Arc<Notify>,
    receiver: mpsc::UnboundedReceiver<Signal>,
}

impl AlertService {
    /// The service and the handle that raises into it.
    pub fn new(
        db: Db,
        settings: Arc<crate::config::Settings>,
        dispatcher_wake: Arc<Notify>,
    ) -> (Alerts, AlertService) {
        let (sender, receiver) = mpsc::unbounded_channel();
        (
            Alerts {
                sender: Some(sender),
            },
            AlertService {
                db,
                settings,
                dispatcher_wake,
                receiver,
            },
        )
    }

    /// Records every signal until `shutdown`, then the ones already raised.
    pub async fn run(mut self, shutdown: CancellationToken) {
        loop {
            let signal = tokio::select! {
                signal = self.receiver.recv() => signal,
                _ = shutdown.cancelled() => {
                    self.receiver.close();
                    self.receiver.recv().await
                }
            };
            let Some(signal) = signal else { break };
            if let Err(error) = apply(&self.db, &self.settings, &signal, now_ms()).await {
                tracing::error!(alert = signal.kind(), key = %signal.key(), error = %error, "An alert could not be recorded; it is in the log only.");
                tracing::warn!(alert = signal.kind(), partner = signal.partner(), summary = %signal.summary(), "Alert.");
            } else {
                self.dispatcher_wake.notify_one();
            }
        }
    }
}

/// Records `signal`; when it changes the alert's state, logs the alert and enqueues it to
/// every webhook partner in the same transaction. Returns the alert when it changed.
pub async fn apply(
    db: &Db,
    settings: &crate::config::Settings,
    signal: &Signal,
    now: i64,
) -> Result<Option<Alert>, StoreError> {
    let key = signal.key();
    let summary = signal.summary();
    let mut tx = db.begin().await?;
    let changed: Option<Alert> = match signal.state() {
        AlertState::Firing => on_tx!(&mut tx, c => {
            sqlx::query_as(
                "INSERT INTO alerts (key, kind, partner, summary, state, changes, first_fired_at, changed_at) \
                 VALUES ($1, $2, $3, $4, 'firing', 1, $5, $5) \
                 ON CONFLICT (key) DO UPDATE SET state = 'firing', changes = alerts.changes + 1, \
                 summary = excluded.summary, changed_at = excluded.changed_at \
                 WHERE alerts.state = 'resolved' \
                 RETURNING key, kind, partner, summary, state, changes, first_fired_at, changed_at",
            )
            .bind(&key)
            .bind(signal.kind())
            .bind(signal.partner())
            .bind(&summary)
            .bind(now)
            .fetch_optional(c)
            .await?
        }),
        AlertState::Resolved => on_tx!(&mut tx, c => {
            sqlx::query_as(
                "UPDATE alerts SET state = 'resolved', changes = changes + 1, summary = $1, changed_at = $2 \
                 WHERE key = $3 AND state = 'firing' \
                 RETURNING key, kind, partner, summary, state, changes, first_fired_at, changed_at",
            )
            .bind(&summary)
            .bind(now)
            .bind(&key)
            .fetch_optional(c)
            .await?
        }),
    };
    let Some(alert) = changed else {
        // Nothing changed: the transaction is dropped, which rolls it back.
        return Ok(None);
    };
    tracing::warn!(
        alert = %alert.kind,
        state = %alert.state,
        partner = alert.partner.as_deref(),
        key = %alert.key,
        summary = %alert.summary,
        "Alert."
    );
    // A webhook's own trouble is not sent to itself, and an alert message that dies does
    // not raise another alert (see the dispatcher), so alerts cannot feed on themselves.
    let about_alert_message =
        matches!(signal, Signal::DeadLetter { kind, .. } if kind == ALERT_KIND);
    for sink in &settings.alerts.webhook_partners {
        if about_alert_message || signal.partner() == Some(sink.as_str()) {
            continue;
        }
        let payload = serde_json::to_vec(&serde_json::json!({
            "alert": alert.kind,
            "state": signal.state().as_str(),
            "key": alert.key,
            "partner": alert.partner,
            "summary": alert.summary,
            "firstFiredAt": alert.first_fired_at,
            "at": alert.changed_at,
        }))
        .map_err(|e| StoreError::Invalid(e.to_string()))?;
        let idempotency_key = format!("alert:{}:{}", alert.key, alert.changes);
        outbox::enqueue(
            &mut tx,
            &NewMessage {
                partner: sink.clone(),
                ordering_key: "alerts".to_string(),
                file_name: format!("{}.json", idempotency_key.replace(':', "-")),
                idempotency_key,
                kind: ALERT_KIND.to_string(),
                content_type: "application/json".to_string(),
                payload,
                cause_kind: "alert".to_string(),
                cause_id: alert.key.clone(),
                max_attempts: settings.max_attempts_for(sink),
                run_at: now,
                replay_of: None,
            },
            now,
        )
        .await?;
    }
    tx.commit().await?;
    Ok(Some(alert))
}

/// The outbox message kind of alerts sent to webhooks.
pub const ALERT_KIND: &str = "alert";

/// Alerts, newest change first (`state` filters `firing` or `resolved`).
pub async fn list(db: &Db, state: Option<&str>, limit: i64) -> Result<Vec<Alert>, StoreError> {
    Ok(on_read!(db, c => {
        sqlx::query_as(
            "SELECT key, kind, partner, summary, state, changes, first_fired_at, changed_at FROM alerts \
             WHERE ($1 IS NULL OR state = $1) ORDER BY changed_at DESC, key LIMIT $2",
        )
        .bind(state)
        .bind(limit)
        .fetch_all(c)
        .await?
    }))
}

/// Every alert kind.
pub const KINDS: [&str; 4] = [
    "partner-down",
    "dead-letter",
    "ack-overdue",
    "reconciliation-discrepancy",
];

/// How many alerts of each kind are firing.
pub async fn firing_by_kind(db: &Db) -> Result<Vec<(String, i64)>, StoreError> {
    Ok(on_read!(db, c => {
        sqlx::query_as("SELECT kind, COUNT(*) FROM alerts WHERE state = 'firing' GROUP BY kind")
            .fetch_all(c)
            .await?
    }))
}
