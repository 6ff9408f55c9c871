//! What a delivery reports besides its record: log lines, counters and alerts.

use crate::alerts::{Alerts, Signal};
use crate::outbox::circuit::Transition;
use crate::telemetry::metrics::{FailureLabels, Metrics};

/// A failed attempt: one log line and one counter, always together.
pub(super) struct AttemptFailed<'a> {
    pub(super) partner: &'a str,
    pub(super) message_id: i64,
    pub(super) attempt: i64,
    pub(super) status: Option<u16>,
    pub(super) outcome: &'static str,
}

impl AttemptFailed<'_> {
    pub(super) fn emit(&self, metrics: &Metrics) {
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
pub(super) struct DeadLettered<'a> {
    pub(super) partner: &'a str,
    pub(super) message_id: i64,
    pub(super) attempts: i64,
    pub(super) kind: &'a str,
    pub(super) cause: &'static str,
}

impl DeadLettered<'_> {
    pub(super) fn emit(&self, metrics: &Metrics, alerts: &Alerts) {
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
pub(super) struct CircuitChanged<'a> {
    pub(super) partner: &'a str,
    pub(super) transition: Transition,
    /// The failure that moved it (empty when none did).
    pub(super) reason: &'a str,
}

impl CircuitChanged<'_> {
    pub(super) fn emit(&self, metrics: &Metrics, alerts: &Alerts) {
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
