//! A partner as the dispatcher sees it: its transport, circuit, retry policy and how far
//! ahead of its answers messages are claimed.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Semaphore;

use crate::config::{PartnerSettings, TransportSettings};
use crate::outbox::circuit::CircuitBreaker;
use crate::outbox::retry::RetryPolicy;
use crate::outbox::transport::{DataSetTransport, FileDropTransport, HttpsTransport, Transport};

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
