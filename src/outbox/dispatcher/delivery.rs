//! One claimed message's delivery: wait for the partner's slot, deliver, hand the result
//! to the recorder, and say what happened.

use std::sync::Arc;
use std::time::{Duration, Instant};

use backon::{ExponentialBuilder, Retryable};
use tokio::sync::{Notify, OwnedSemaphorePermit, Semaphore};
use tokio_util::sync::CancellationToken;

use crate::alerts::Alerts;
use crate::outbox::circuit::CircuitState;
use crate::outbox::store::{self, AttemptRecord, Claimed, Decision, FenceError};
use crate::outbox::transport::{Delivery, DeliveryOutcome};
use crate::store::{Db, now_ms};
use crate::telemetry::metrics::{Metrics, PartnerLabel};

use super::PartnerChannel;
use super::events::{AttemptFailed, CircuitChanged, DeadLettered};
use super::recorder::Recorder;

pub(super) struct DeliveryTask {
    pub(super) db: Db,
    pub(super) recorder: Recorder,
    pub(super) channel: Arc<PartnerChannel>,
    pub(super) worker: String,
    pub(super) metrics: Arc<Metrics>,
    pub(super) alerts: Alerts,
    pub(super) wake: Arc<Notify>,
    pub(super) abort: CancellationToken,
    /// The gateway is stopping: a message still waiting for its slot goes back at once.
    pub(super) stopping: CancellationToken,
    /// The message's claim, given back with its slot.
    pub(super) claim: Option<OwnedSemaphorePermit>,
    /// The partner delivery slot, given back as soon as the partner has answered.
    pub(super) slot: Option<OwnedSemaphorePermit>,
    pub(super) unrecorded: Arc<Semaphore>,
}

/// Lease a message that waited for its slot must still have beyond the delivery timeout
/// to be delivered: time to record the result before the lease could be taken over.
pub(super) const LEASE_MARGIN: Duration = Duration::from_secs(2);

impl DeliveryTask {
    /// Waits for one of the partner's delivery slots. Returns why the message must be
    /// handed back instead of delivered, if it must: the gateway began to stop, or it had to
    /// wait and meanwhile the partner's circuit left the closed state (only messages it
    /// admits may reach the partner, and a half-open circuit admits its probe alone) or
    /// its lease ran down too far for a whole delivery.
    pub(super) async fn take_slot(
        &mut self,
        lease_expires_at: Option<i64>,
    ) -> Option<&'static str> {
        if let Ok(slot) = self.channel.slots.clone().try_acquire_owned() {
            self.slot = Some(slot);
            return None;
        }
        let slot = tokio::select! {
            slot = self.channel.slots.clone().acquire_owned() => slot.ok(),
            _ = self.stopping.cancelled() => None,
        };
        let Some(slot) = slot else {
            return Some("released at shutdown");
        };
        self.slot = Some(slot);
        if self.channel.circuit.state() != CircuitState::Closed {
            return Some("released: the partner's circuit opened while it waited for a slot");
        }
        let needed = (self.channel.delivery_timeout + LEASE_MARGIN).as_millis() as i64;
        if lease_expires_at.is_some_and(|expires| now_ms() + needed > expires) {
            return Some("released: too little of its lease left after waiting for a slot");
        }
        None
    }

    pub(super) async fn run(mut self, message: Claimed) {
        let held_back = self.take_slot(message.lease_expires_at).await;
        let started_at = now_ms();
        let clock = Instant::now();
        let delivery = Delivery {
            message_id: message.id,
            idempotency_key: &message.idempotency_key,
            content_type: &message.content_type,
            payload: &message.payload,
            file_name: &message.file_name,
        };
        let outcome = match held_back {
            Some(_) => None,
            None => tokio::select! {
                outcome = self.channel.transport.deliver(&delivery) => Some(outcome),
                _ = self.abort.cancelled() => None,
            },
        };
        let released_because = held_back.unwrap_or("released at shutdown");
        // The partner has answered: its slot is free for the next message while this
        // result waits for its commit. Holding the slot until the commit made claiming,
        // delivering and recording take turns (the partner idle while the database
        // worked, and the other way round). The message keeps its lease until its result
        // is recorded, so the next message of its key still cannot be claimed before that.
        // Results waiting for the recorder are bounded, so a slow database slows the
        // deliveries down instead of piling up answered messages.
        let _unrecorded = self.unrecorded.clone().acquire_owned().await.ok();
        self.slot = None;
        self.claim = None;
        self.wake.notify_one();
        let partner = self.channel.id.as_str();
        let now = now_ms();
        let (status, detail, decision) = match &outcome {
            None => (None, released_because.to_string(), None),
            Some(DeliveryOutcome::Delivered { status, detail }) => {
                (*status, detail.clone(), Some(Decision::Delivered))
            }
            Some(DeliveryOutcome::Retry {
                status,
                reason,
                retry_after,
            }) => (
                *status,
                reason.clone(),
                Some(self.channel.retry.after_failure(
                    message.attempt,
                    message.created_at,
                    now,
                    *retry_after,
                )),
            ),
            Some(DeliveryOutcome::Rejected { status, reason }) => {
                (*status, reason.clone(), Some(Decision::DeadRejected))
            }
        };
        // The partner's own words: SSN shapes masked and bounded before they reach a log
        // line, an alert or the store (which masks again, whoever calls it).
        let detail = crate::privacy::redact::stored_error_text(&detail);
        let record = AttemptRecord {
            id: message.id,
            attempt: message.attempt,
            worker: &self.worker,
            started_at,
            status,
            detail: &detail,
        };
        // A database hiccup (a restart, a dropped connection) must not lose the outcome:
        // try a few times before leaving it to the lease expiry, which redelivers under
        // the same idempotency key.
        let retry_db = ExponentialBuilder::default()
            .with_min_delay(Duration::from_millis(100))
            .with_max_delay(Duration::from_secs(2))
            .with_max_times(6);
        let result = match decision {
            // Handed back, before or during the attempt: due again at once. The attempt
            // keeps its number (a fencing token is never reused) and its row says why.
            None => {
                (|| store::release(&self.db, &record, now))
                    .retry(retry_db)
                    .when(|e| matches!(e, FenceError::Store(_)))
                    .await
            }
            Some(decision) => {
                (|| self.recorder.record(&record, decision))
                    .retry(retry_db)
                    .when(|e| matches!(e, FenceError::Store(_)))
                    .await
            }
        };
        let elapsed = clock.elapsed();
        match result {
            Ok(()) => {
                if held_back.is_none() {
                    self.metrics
                        .delivery_seconds
                        .get_or_create(&PartnerLabel {
                            partner: partner.to_string(),
                        })
                        .observe(elapsed.as_secs_f64());
                }
                match (&outcome, decision) {
                    (Some(DeliveryOutcome::Delivered { .. }), _) => {
                        Metrics::partner(&self.metrics.deliveries, partner);
                        if let Some(t) = self.channel.circuit.on_success() {
                            CircuitChanged {
                                partner,
                                transition: t,
                                reason: &detail,
                            }
                            .emit(&self.metrics, &self.alerts);
                        }
                        tracing::debug!(
                            partner,
                            message_id = message.id,
                            attempt = message.attempt,
                            status,
                            "Message delivered."
                        );
                    }
                    (Some(DeliveryOutcome::Retry { .. }), Some(decision)) => {
                        AttemptFailed {
                            partner,
                            message_id: message.id,
                            attempt: message.attempt,
                            status,
                            outcome: "retry",
                        }
                        .emit(&self.metrics);
                        if let Some(t) = self.channel.circuit.on_failure() {
                            CircuitChanged {
                                partner,
                                transition: t,
                                reason: &detail,
                            }
                            .emit(&self.metrics, &self.alerts);
                        }
                        if decision == Decision::DeadAfterRetries {
                            DeadLettered {
                                partner,
                                message_id: message.id,
                                attempts: message.attempt,
                                kind: &message.kind,
                                cause: "retries exhausted",
                            }
                            .emit(&self.metrics, &self.alerts);
                        } else {
                            Metrics::partner(&self.metrics.retries, partner);
                        }
                    }
                    (Some(DeliveryOutcome::Rejected { .. }), _) => {
                        AttemptFailed {
                            partner,
                            message_id: message.id,
                            attempt: message.attempt,
                            status,
                            outcome: "rejected",
                        }
                        .emit(&self.metrics);
                        if let Some(t) = self.channel.circuit.on_success() {
                            CircuitChanged {
                                partner,
                                transition: t,
                                reason: &detail,
                            }
                            .emit(&self.metrics, &self.alerts);
                        }
                        DeadLettered {
                            partner,
                            message_id: message.id,
                            attempts: message.attempt,
                            kind: &message.kind,
                            cause: "rejected by partner",
                        }
                        .emit(&self.metrics, &self.alerts);
                    }
                    _ => {
                        tracing::info!(
                            partner,
                            message_id = message.id,
                            reason = released_because,
                            "Lease released without a delivery."
                        );
                    }
                }
            }
            Err(FenceError::LeaseLost { id, attempt }) => {
                Metrics::partner(&self.metrics.lease_lost, partner);
                tracing::warn!(
                    partner,
                    message_id = id,
                    attempt,
                    "Lease was taken over; this attempt's result is not recorded."
                );
            }
            Err(FenceError::Store(error)) => {
                tracing::error!(partner, message_id = message.id, error = %error, "Recording a delivery outcome failed; the lease will expire and the message be retried.");
            }
        }
        // A probe that ended without a verdict (lease lost, database error, shutdown)
        // must not leave the half-open circuit waiting for it forever.
        self.channel.circuit.probe_unused();
        self.metrics
            .set_circuit(partner, self.channel.circuit.state());
        // Wake the loop again: the recorded result may have unblocked the next message of
        // its key. The slot was given back before the wake-up (above): woken first, the
        // loop found no free slot, went back to sleep, and (the wake-up spent) claimed
        // again only at the next poll (79/s polled vs. woken on PostgreSQL).
        self.wake.notify_one();
    }
}
