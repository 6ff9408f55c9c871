//! Dispatchers: claim due messages, hand them to the partner's transport, record what
//! happened.
//!
//! One dispatcher loop runs per gateway instance and serves every partner. Per partner it
//! claims ahead of the partner's answers, within the partner's [`ClaimWindow`] (and only
//! what its circuit admits), spawns one task per claimed message, and goes back to sleep
//! when nothing was due; a finished delivery wakes it at once, so the next message of a key
//! does not wait for the poll interval. A task waits for one of the partner's concurrency
//! slots before it delivers: claiming ahead lets one claim (one commit) serve many slots,
//! where claiming only for the slots free at the moment made every claim a commit for one
//! or two messages at low concurrency. A message that waited for its slot is handed back
//! (its lease released, due again at once) instead of delivered if the partner's circuit
//! has left the closed state meanwhile, or if too little of its lease is left for a whole
//! delivery.
//!
//! Shutdown: the loop stops claiming; deliveries in flight get the grace period to finish
//! and record their outcome; any still running after it are cancelled and their leases
//! released (the message is due again at once, for this or another instance).

mod delivery;
mod events;
mod partner;
mod recorder;

use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::{Notify, Semaphore};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::alerts::Alerts;
use crate::outbox::store::{self, Reap};
use crate::store::{Db, now_ms};
use crate::telemetry::metrics::Metrics;

use delivery::DeliveryTask;
use events::CircuitChanged;
use recorder::{MAX_UNRECORDED, Recorder};

pub use partner::{ChannelError, ClaimWindow, PartnerChannel};

/// Dispatcher settings.
#[derive(Clone, Debug)]
pub struct DispatcherConfig {
    /// Name in leases and attempt history.
    pub worker_id: String,
    /// Lease length.
    pub lease: Duration,
    /// Idle poll interval.
    pub poll_interval: Duration,
    /// How long in-flight deliveries may finish after shutdown.
    pub grace: Duration,
}

/// The dispatcher of one gateway instance.
#[derive(Clone, Debug)]
pub struct Dispatcher {
    db: Db,
    channels: Arc<Vec<Arc<PartnerChannel>>>,
    config: DispatcherConfig,
    metrics: Arc<Metrics>,
    wake: Arc<Notify>,
    alerts: Alerts,
    /// Bounds the delivery results waiting to be recorded (see [`DeliveryTask::run`]).
    unrecorded: Arc<Semaphore>,
}

impl Dispatcher {
    /// A dispatcher over `channels`.
    pub fn new(
        db: Db,
        channels: Vec<Arc<PartnerChannel>>,
        config: DispatcherConfig,
        metrics: Arc<Metrics>,
    ) -> Self {
        for channel in &channels {
            metrics.set_circuit(&channel.id, channel.circuit.state());
        }
        Dispatcher {
            db,
            channels: Arc::new(channels),
            config,
            metrics,
            wake: Arc::new(Notify::new()),
            alerts: Alerts::disabled(),
            unrecorded: Arc::new(Semaphore::new(MAX_UNRECORDED)),
        }
    }

    /// Raises partner-down, partner-back and dead-letter alerts into `alerts`.
    pub fn with_alerts(mut self, alerts: Alerts) -> Self {
        self.alerts = alerts;
        self
    }

    /// Wakes the loop now (e.g. after an enqueue) instead of at the next poll.
    pub fn waker(&self) -> Arc<Notify> {
        self.wake.clone()
    }

    /// The channels served.
    pub fn channels(&self) -> &[Arc<PartnerChannel>] {
        &self.channels
    }

    /// Runs until `shutdown` is cancelled, then drains as described in the module doc.
    pub async fn run(self, shutdown: CancellationToken) {
        let tracker = TaskTracker::new();
        let abort = CancellationToken::new();
        let (recorder, recording) = Recorder::start(self.db.clone());
        tracing::info!(worker = %self.config.worker_id, partners = self.channels.len(), "Outbox dispatcher started.");
        // When each partner's expired leases were last reaped.
        let mut reaped_at: Vec<Option<Instant>> = vec![None; self.channels.len()];
        let reap_every = REAP_EVERY.min(self.config.lease / 2);
        while !shutdown.is_cancelled() {
            let mut claimed_any = false;
            for (index, channel) in self.channels.iter().enumerate() {
                let free = channel.window.to_claim(
                    channel.claims.available_permits(),
                    channel.slots.available_permits(),
                );
                if free == 0 {
                    continue;
                }
                let (admitted, transition) = channel.circuit.admit(free);
                if let Some(transition) = transition {
                    CircuitChanged {
                        partner: &channel.id,
                        transition,
                        reason: "",
                    }
                    .emit(&self.metrics, &self.alerts);
                }
                if admitted == 0 {
                    continue;
                }
                let reap = match reaped_at[index] {
                    Some(at) if at.elapsed() < reap_every => Reap::Skip,
                    _ => Reap::Expired,
                };
                let claimed = store::claim_with(
                    &self.db,
                    &channel.id,
                    &self.config.worker_id,
                    admitted as i64,
                    self.config.lease.as_millis() as i64,
                    now_ms(),
                    reap,
                )
                .await;
                if reap == Reap::Expired && claimed.is_ok() {
                    reaped_at[index] = Some(Instant::now());
                }
                match claimed {
                    Ok(messages) => {
                        if messages.is_empty() {
                            channel.circuit.probe_unused();
                        }
                        for message in messages {
                            // Only this loop takes claims, and it claimed no more than were
                            // free: the wait is never taken.
                            let claim = match channel.claims.clone().try_acquire_owned() {
                                Ok(claim) => claim,
                                Err(_) => match channel.claims.clone().acquire_owned().await {
                                    Ok(claim) => claim,
                                    Err(_) => break,
                                },
                            };
                            claimed_any = true;
                            let task = DeliveryTask {
                                db: self.db.clone(),
                                recorder: recorder.clone(),
                                channel: channel.clone(),
                                worker: self.config.worker_id.clone(),
                                metrics: self.metrics.clone(),
                                alerts: self.alerts.clone(),
                                wake: self.wake.clone(),
                                abort: abort.clone(),
                                stopping: shutdown.clone(),
                                claim: Some(claim),
                                slot: None,
                                unrecorded: self.unrecorded.clone(),
                            };
                            tracker.spawn(task.run(message));
                        }
                    }
                    Err(error) => {
                        channel.circuit.probe_unused();
                        tracing::warn!(partner = %channel.id, error = %error, "Claiming outbox messages failed.");
                    }
                }
            }
            if !claimed_any {
                tokio::select! {
                    _ = shutdown.cancelled() => break,
                    _ = self.wake.notified() => {}
                    _ = tokio::time::sleep(self.config.poll_interval) => {}
                }
            }
        }
        tracker.close();
        let in_flight = tracker.len();
        if in_flight > 0 {
            tracing::info!(
                in_flight,
                "Outbox dispatcher stopping; letting deliveries finish."
            );
        }
        if tokio::time::timeout(self.config.grace, tracker.wait())
            .await
            .is_err()
        {
            tracing::warn!(
                in_flight = tracker.len(),
                "Grace period over; releasing the remaining leases."
            );
            abort.cancel();
            tracker.wait().await;
        }
        // Every delivery task has its answer; the recorder ends with its last sender.
        drop(recorder);
        let _ = recording.await;
        tracing::info!(worker = %self.config.worker_id, "Outbox dispatcher stopped.");
    }
}

/// How often a busy dispatcher reaps a partner's expired leases (at most half a lease).
/// Reaping takes two statements; on every claim they were a third of its work, for leases
/// that expire only when their holder died or hung.
const REAP_EVERY: Duration = Duration::from_secs(1);

/// Purges delivered messages past the retention, every `interval`, until `shutdown`.
pub async fn run_retention(
    db: Db,
    retention: Duration,
    interval: Duration,
    shutdown: CancellationToken,
) {
    loop {
        let cutoff = now_ms() - retention.as_millis() as i64;
        match store::purge_delivered(&db, cutoff, 10_000).await {
            Ok(0) => {}
            Ok(purged) => {
                tracing::info!(purged, "Purged delivered outbox messages past retention.")
            }
            Err(error) => tracing::warn!(error = %error, "Outbox retention purge failed."),
        }
        tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = tokio::time::sleep(interval) => {}
        }
    }
}

/// A default worker id: host name and process id.
pub fn default_worker_id() -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_string())
        .ok()
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "gateway".to_string());
    format!("{host}-{}", std::process::id())
}

#[cfg(test)]
mod tests {
    use super::ClaimWindow;

    #[test]
    fn a_busy_partner_is_claimed_for_in_whole_batches_while_its_backlog_lasts() {
        let window = ClaimWindow::new(8, 32);
        assert_eq!((window.capacity, window.low_water), (72, 32));
        // 8 delivering, 40 waiting for a slot, 24 claims free: the backlog still feeds the
        // slots, so no claim for fewer than a batch.
        assert_eq!(window.to_claim(24, 0), 0);
        // 8 delivering, 32 waiting, 32 free: a whole batch.
        assert_eq!(window.to_claim(32, 0), 32);
        // More free than one statement claims: one batch.
        assert_eq!(window.to_claim(60, 0), 32);
    }

    #[test]
    fn once_nothing_waits_for_a_slot_whatever_is_free_is_claimed() {
        let window = ClaimWindow::new(8, 32);
        // 8 claimed, all delivering: what is due is claimed at once (up to a batch), not
        // held back for a full batch, so a quiet partner's next message does not wait.
        assert_eq!(window.to_claim(64, 0), 32);
        // 3 delivering, nothing waiting, 69 free.
        assert_eq!(window.to_claim(69, 5), 32);
        // Idle.
        assert_eq!(window.to_claim(72, 8), 32);
    }

    #[test]
    fn a_slow_partner_at_concurrency_one_keeps_a_short_backlog() {
        let window = ClaimWindow::new(1, 32);
        assert_eq!((window.capacity, window.low_water), (9, 4));
        // 1 delivering, 5 waiting, 3 free: below the low-water mark.
        assert_eq!(window.to_claim(3, 0), 0);
        assert_eq!(window.to_claim(4, 0), 4);
    }

    #[test]
    fn a_wide_partner_keeps_at_least_its_concurrency_in_backlog() {
        let window = ClaimWindow::new(100, 32);
        assert_eq!(window.capacity, 200);
        // 100 delivering, nothing waiting.
        assert_eq!(window.to_claim(100, 0), 32);
    }

    #[test]
    fn a_batch_of_one_claims_one_at_a_time() {
        let window = ClaimWindow::new(4, 1);
        assert_eq!((window.capacity, window.low_water), (8, 1));
        assert_eq!(window.to_claim(1, 0), 1);
        assert_eq!(window.to_claim(0, 0), 0);
    }
}
