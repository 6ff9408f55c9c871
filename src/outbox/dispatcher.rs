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

use std::sync::Arc;
use std::time::{Duration, Instant};

use backon::{ExponentialBuilder, Retryable};
use tokio::sync::{Notify, OwnedSemaphorePermit, Semaphore, mpsc, oneshot};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::alerts::{Alerts, Signal};
use crate::config::{PartnerSettings, TransportSettings};
use crate::outbox::circuit::{CircuitBreaker, CircuitState, Transition};
use crate::outbox::retry::RetryPolicy;
use crate::outbox::store::{self, AttemptRecord, Claimed, Decision, FenceError, Reap};
use crate::outbox::transport::{
    DataSetTransport, Delivery, DeliveryOutcome, FileDropTransport, HttpsTransport, Transport,
};
use crate::store::{Db, now_ms};
use crate::telemetry::metrics::{FailureLabels, Metrics, PartnerLabel};

/// A partner as the dispatcher sees it: where messages go and how failures are handled.
#[derive(Debug)]
pub struct PartnerChannel {
    /// Partner id.
    pub id: String,
    /// How messages reach it.
    pub transport: Arc<dyn Transport>,
    /// Retry rules.
    pub retry: RetryPolicy,
    /// Its circuit breaker.
    pub circuit: CircuitBreaker,
    /// Free delivery slots (the partner's concurrency).
    pub slots: Arc<Semaphore>,
    /// Claimed messages not yet answered: those delivering and those waiting for a slot
    /// (at most [`ClaimWindow::capacity`]).
    pub claims: Arc<Semaphore>,
    /// How far ahead of the partner's answers the dispatcher claims.
    pub window: ClaimWindow,
    /// The longest one delivery may take (the transport's timeout; zero where the
    /// transport has none): a message that waited for its slot is delivered only with at
    /// least this much of its lease left, plus [`LEASE_MARGIN`].
    pub delivery_timeout: Duration,
}

/// A partner's transport could not be built from its settings.
#[derive(Debug, thiserror::Error)]
#[error("partner {partner}: {reason}")]
pub struct ChannelError {
    /// Partner id.
    pub partner: String,
    /// What is wrong.
    pub reason: String,
}

impl PartnerChannel {
    /// Builds the runtime channel of a configured partner, failing fast on unreadable
    /// certificates or bad endpoints. A partner without a transport (one we only receive
    /// from) has no channel.
    /// `batch_size` is the outbox's claim batch size, which sets the [`ClaimWindow`].
    pub fn build(
        settings: &PartnerSettings,
        batch_size: usize,
    ) -> Result<Option<PartnerChannel>, ChannelError> {
        let fail = |reason: String| ChannelError {
            partner: settings.id.clone(),
            reason,
        };
        let Some(transport) = &settings.transport else {
            return Ok(None);
        };
        let window = ClaimWindow::new(settings.concurrency, batch_size);
        let delivery_timeout = match transport {
            TransportSettings::Https { timeout_secs, .. } => Duration::from_secs(*timeout_secs),
            TransportSettings::DataSet { .. } | TransportSettings::FileDrop { .. } => {
                Duration::ZERO
            }
        };
        let transport: Arc<dyn Transport> = match transport {
            TransportSettings::Https {
                endpoint,
                ca,
                client_cert,
                client_key,
                timeout_secs,
                ..
            } => {
                let tls = if endpoint.starts_with("https://") {
                    let ca = ca.as_deref().ok_or_else(|| {
                        fail("an https endpoint needs `ca`, the CA that signs the partner's server certificate".into())
                    })?;
                    let identity = client_cert.as_deref().zip(client_key.as_deref());
                    Some(
                        crate::tls::client_config(Some(ca), identity)
                            .map_err(|e| fail(e.to_string()))?,
                    )
                } else {
                    None
                };
                Arc::new(
                    HttpsTransport::new(endpoint, tls, Duration::from_secs(*timeout_secs))
                        .map_err(|e| fail(e.to_string()))?,
                )
            }
            TransportSettings::DataSet { file } => Arc::new(DataSetTransport::new(file.clone())),
            TransportSettings::FileDrop { directory } => {
                Arc::new(FileDropTransport::new(directory.clone()))
            }
        };
        Ok(Some(PartnerChannel {
            id: settings.id.clone(),
            transport,
            retry: settings.retry.clone(),
            circuit: CircuitBreaker::new(
                settings.circuit.failure_threshold,
                Duration::from_secs(settings.circuit.cooldown_secs),
            ),
            slots: Arc::new(Semaphore::new(window.concurrency)),
            claims: Arc::new(Semaphore::new(window.capacity)),
            window,
            delivery_timeout,
        }))
    }
}

/// How far ahead of a partner's answers its messages are claimed, and when a claim is
/// worth its commit.
///
/// Every claim is a commit, and at low concurrency claiming whenever a slot came free
/// made most claims a commit for one or two messages: the database, not the partner,
/// set the pace (profiled on PostgreSQL at concurrency 8: eight messages a claim, half
/// the run's fsyncs spent on claims). So the dispatcher keeps a backlog of claimed
/// messages waiting for a slot, up to twice the claim batch (at least the concurrency, at
/// most eight times it, so a slow partner at concurrency 1 does not sit on a long queue of
/// leases), and while that backlog still feeds the slots it claims only whole batches
/// (`low_water`); once nothing waits it claims whatever is free, so a quiet partner's next
/// message is claimed at once and latency at moderate rates does not change.
///
/// The backlog's cost is lease time: a message may wait behind the backlog for its slot
/// and is handed back if too little of its lease is left (see [`PartnerChannel`]); a
/// smaller `outbox.batch_size` keeps a slow partner's backlog short.
///
/// ```
/// use ivd_gateway::outbox::dispatcher::ClaimWindow;
///
/// let window = ClaimWindow::new(8, 32);
/// assert_eq!(window.capacity, 8 + 64);
/// // All 8 slots busy, 59 messages waiting for one, 5 claims free: not worth a claim yet.
/// assert_eq!(window.to_claim(5, 0), 0);
/// // Nothing waits for a slot any more: claim what is free.
/// assert_eq!(window.to_claim(64, 0), 32);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClaimWindow {
    /// Delivery slots: the partner's concurrency.
    pub concurrency: usize,
    /// Most messages claimed in one statement.
    pub batch_size: usize,
    /// Most messages claimed and not yet answered: delivering plus waiting for a slot.
    pub capacity: usize,
    /// Fewest messages worth a claim while claimed messages still wait for a slot.
    pub low_water: usize,
}

impl ClaimWindow {
    /// The window of a partner with `concurrency` slots, claiming up to `batch_size` at
    /// once.
    pub fn new(concurrency: usize, batch_size: usize) -> Self {
        let concurrency = concurrency.max(1);
        let batch_size = batch_size.max(1);
        let backlog = (2 * batch_size).min(8 * concurrency).max(concurrency);
        ClaimWindow {
            concurrency,
            batch_size,
            capacity: concurrency + backlog,
            low_water: batch_size.min(backlog / 2).max(1),
        }
    }

    /// How many messages to claim now, given how many claims and delivery slots are free:
    /// none while claimed messages still wait for a slot and fewer than `low_water`
    /// claims are free.
    pub fn to_claim(&self, free_claims: usize, free_slots: usize) -> usize {
        let claimed = self.capacity.saturating_sub(free_claims);
        let delivering = self.concurrency.saturating_sub(free_slots);
        let waiting = claimed.saturating_sub(delivering);
        let free = free_claims.min(self.batch_size);
        if waiting > 0 && free < self.low_water {
            0
        } else {
            free
        }
    }
}

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

struct DeliveryTask {
    db: Db,
    recorder: Recorder,
    channel: Arc<PartnerChannel>,
    worker: String,
    metrics: Arc<Metrics>,
    alerts: Alerts,
    wake: Arc<Notify>,
    abort: CancellationToken,
    /// The gateway is stopping: a message still waiting for its slot goes back at once.
    stopping: CancellationToken,
    /// The message's claim, given back with its slot.
    claim: Option<OwnedSemaphorePermit>,
    /// The partner delivery slot, given back as soon as the partner has answered.
    slot: Option<OwnedSemaphorePermit>,
    unrecorded: Arc<Semaphore>,
}

/// Lease a message that waited for its slot must still have beyond the delivery timeout
/// to be delivered: time to record the result before the lease could be taken over.
const LEASE_MARGIN: Duration = Duration::from_secs(2);

impl DeliveryTask {
    /// Waits for one of the partner's delivery slots. Returns why the message must be
    /// handed back instead of delivered, if it must: the gateway began to stop, or it had to
    /// wait and meanwhile the partner's circuit left the closed state (only messages it
    /// admits may reach the partner, and a half-open circuit admits its probe alone) or
    /// its lease ran down too far for a whole delivery.
    async fn take_slot(&mut self, lease_expires_at: Option<i64>) -> Option<&'static str> {
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

    async fn run(mut self, message: Claimed) {
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

/// How often a busy dispatcher reaps a partner's expired leases (at most half a lease).
/// Reaping takes two statements; on every claim they were a third of its work, for leases
/// that expire only when their holder died or hung.
const REAP_EVERY: Duration = Duration::from_secs(1);

/// Most results one transaction of the [`Recorder`] records.
const RECORD_BATCH: usize = 512;

/// Most answered deliveries of one dispatcher waiting for their results to be recorded.
const MAX_UNRECORDED: usize = 2 * RECORD_BATCH;

/// Records delivery results for the delivery tasks of one dispatcher, group-commit style:
/// whatever results are waiting when the previous transaction has committed go into the
/// next one ([`store::record_many`]), each still fenced on its own lease. A task gets its
/// own answer (recorded, lease lost, or the database error) only after the commit, so
/// nothing is acknowledged (no metric, no circuit verdict) before it is durable; its
/// delivery slot is already free for the next message meanwhile.
#[derive(Clone, Debug)]
struct Recorder {
    queue: mpsc::UnboundedSender<PendingResult>,
}

/// One result waiting for the recorder.
#[derive(Debug)]
struct PendingResult {
    id: i64,
    attempt: i64,
    worker: String,
    started_at: i64,
    status: Option<u16>,
    detail: String,
    decision: Decision,
    answer: oneshot::Sender<Result<bool, String>>,
}

impl Recorder {
    fn start(db: Db) -> (Recorder, tokio::task::JoinHandle<()>) {
        let (queue, mut waiting) = mpsc::unbounded_channel::<PendingResult>();
        let task = tokio::spawn(async move {
            while let Some(first) = waiting.recv().await {
                let mut batch = vec![first];
                while batch.len() < RECORD_BATCH {
                    match waiting.try_recv() {
                        Ok(next) => batch.push(next),
                        Err(_) => break,
                    }
                }
                let results: Vec<(AttemptRecord<'_>, Decision)> = batch
                    .iter()
                    .map(|p| {
                        (
                            AttemptRecord {
                                id: p.id,
                                attempt: p.attempt,
                                worker: &p.worker,
                                started_at: p.started_at,
                                status: p.status,
                                detail: &p.detail,
                            },
                            p.decision,
                        )
                    })
                    .collect();
                let outcome = store::record_many(&db, &results, now_ms()).await;
                drop(results);
                match outcome {
                    Ok(recorded) => {
                        for (pending, recorded) in batch.into_iter().zip(recorded) {
                            let _ = pending.answer.send(Ok(recorded));
                        }
                    }
                    Err(error) => {
                        // The whole transaction rolled back: every task retries on its own.
                        let text = error.to_string();
                        for pending in batch {
                            let _ = pending.answer.send(Err(text.clone()));
                        }
                    }
                }
            }
        });
        (Recorder { queue }, task)
    }

    /// Records one result (with whatever others are waiting) and answers once committed.
    async fn record(
        &self,
        record: &AttemptRecord<'_>,
        decision: Decision,
    ) -> Result<(), FenceError> {
        let (answer, answered) = oneshot::channel();
        let pending = PendingResult {
            id: record.id,
            attempt: record.attempt,
            worker: record.worker.to_string(),
            started_at: record.started_at,
            status: record.status,
            detail: record.detail.to_string(),
            decision,
            answer,
        };
        let stopped = || {
            FenceError::Store(crate::store::StoreError::Invalid(
                "the outbox result recorder has stopped".to_string(),
            ))
        };
        self.queue.send(pending).map_err(|_| stopped())?;
        match answered.await.map_err(|_| stopped())? {
            Ok(true) => Ok(()),
            Ok(false) => Err(FenceError::LeaseLost {
                id: record.id,
                attempt: record.attempt,
            }),
            Err(text) => Err(FenceError::Store(crate::store::StoreError::Batch(text))),
        }
    }
}

/// A failed attempt: one log line and one counter, always together.
struct AttemptFailed<'a> {
    partner: &'a str,
    message_id: i64,
    attempt: i64,
    status: Option<u16>,
    outcome: &'static str,
}

impl AttemptFailed<'_> {
    fn emit(&self, metrics: &Metrics) {
        metrics
            .delivery_failures
            .get_or_create(&FailureLabels {
                partner: self.partner.to_string(),
                outcome: self.outcome,
            })
            .inc();
        tracing::info!(
            partner = self.partner,
            message_id = self.message_id,
            attempt = self.attempt,
            status = self.status,
            outcome = self.outcome,
            "Delivery attempt failed."
        );
    }
}

/// A message given up on.
struct DeadLettered<'a> {
    partner: &'a str,
    message_id: i64,
    attempts: i64,
    kind: &'a str,
    cause: &'static str,
}

impl DeadLettered<'_> {
    fn emit(&self, metrics: &Metrics, alerts: &Alerts) {
        Metrics::partner(&metrics.dead_letters, self.partner);
        // An alert that cannot be delivered is in the log; alerting about it would loop.
        if self.kind != crate::alerts::ALERT_KIND {
            alerts.raise(Signal::DeadLetter {
                partner: self.partner.to_string(),
                message_id: self.message_id,
                kind: self.kind.to_string(),
                cause: self.cause.to_string(),
            });
        }
        tracing::warn!(
            partner = self.partner,
            message_id = self.message_id,
            attempts = self.attempts,
            cause = self.cause,
            "Message moved to dead letter."
        );
    }
}

/// A circuit changed state.
struct CircuitChanged<'a> {
    partner: &'a str,
    transition: Transition,
    /// The failure that moved it (empty when none did).
    reason: &'a str,
}

impl CircuitChanged<'_> {
    fn emit(&self, metrics: &Metrics, alerts: &Alerts) {
        use crate::outbox::circuit::CircuitState;
        metrics.set_circuit(self.partner, self.transition.to);
        // Down when the circuit opens (a failed half-open probe re-raises the same alert,
        // which is still firing and so not sent again); back when it closes.
        match self.transition.to {
            CircuitState::Open => alerts.raise(Signal::PartnerDown {
                partner: self.partner.to_string(),
                reason: self.reason.to_string(),
            }),
            CircuitState::Closed => alerts.raise(Signal::PartnerBack {
                partner: self.partner.to_string(),
            }),
            CircuitState::HalfOpen => {}
        }
        tracing::warn!(
            partner = self.partner,
            from = self.transition.from.as_str(),
            to = self.transition.to.as_str(),
            "Partner circuit changed state."
        );
    }
}

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
