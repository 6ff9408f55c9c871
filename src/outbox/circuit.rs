//! A per-partner circuit breaker, so a partner that keeps failing does not eat the workers.
//!
//! Closed: messages flow; consecutive retryable failures are counted. At the threshold the
//! circuit opens: nothing of that partner is claimed until the cool-down has passed. Then
//! it is half-open: one message is let through as a probe; its success closes the
//! circuit, its failure opens it again. A rejection (the partner answered and refused the
//! message) says the partner is up, so it counts as a success here. While open, results of
//! deliveries admitted before it opened change nothing: only the probe decides.

use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

/// What the circuit currently allows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CircuitState {
    /// Messages flow.
    Closed,
    /// One probe may go.
    HalfOpen,
    /// Nothing goes until the cool-down ends.
    Open,
}

impl CircuitState {
    /// The metric value: 0 closed, 1 half-open, 2 open.
    pub fn gauge(self) -> i64 {
        match self {
            CircuitState::Closed => 0,
            CircuitState::HalfOpen => 1,
            CircuitState::Open => 2,
        }
    }

    /// A lowercase name for logs and alerts.
    pub fn as_str(self) -> &'static str {
        match self {
            CircuitState::Closed => "closed",
            CircuitState::HalfOpen => "half-open",
            CircuitState::Open => "open",
        }
    }
}

#[derive(Debug)]
enum Inner {
    Closed { consecutive_failures: u32 },
    Open { until: Instant },
    HalfOpen { probe_out: bool },
}

/// One partner's breaker.
#[derive(Debug)]
pub struct CircuitBreaker {
    inner: Mutex<Inner>,
    failure_threshold: u32,
    cooldown: Duration,
}

/// A change of state, for logs, metrics and alerts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Transition {
    /// Before.
    pub from: CircuitState,
    /// After.
    pub to: CircuitState,
}

impl CircuitBreaker {
    /// A closed breaker that opens after `failure_threshold` consecutive failures and stays
    /// open for `cooldown`.
    pub fn new(failure_threshold: u32, cooldown: Duration) -> Self {
        CircuitBreaker {
            inner: Mutex::new(Inner::Closed {
                consecutive_failures: 0,
            }),
            failure_threshold: failure_threshold.max(1),
            cooldown,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The current state (an open circuit whose cool-down is over reads as half-open).
    pub fn state(&self) -> CircuitState {
        match &*self.lock() {
            Inner::Closed { .. } => CircuitState::Closed,
            Inner::Open { until } if Instant::now() >= *until => CircuitState::HalfOpen,
            Inner::Open { .. } => CircuitState::Open,
            Inner::HalfOpen { .. } => CircuitState::HalfOpen,
        }
    }

    /// How many messages may be claimed now, out of `wanted`; a half-open circuit lets one
    /// probe through. Returns the transition when the cool-down just ended.
    pub fn admit(&self, wanted: usize) -> (usize, Option<Transition>) {
        let mut inner = self.lock();
        match &mut *inner {
            Inner::Closed { .. } => (wanted, None),
            Inner::Open { until } => {
                if Instant::now() >= *until && wanted > 0 {
                    *inner = Inner::HalfOpen { probe_out: true };
                    let t = Transition {
                        from: CircuitState::Open,
                        to: CircuitState::HalfOpen,
                    };
                    (1, Some(t))
                } else {
                    (0, None)
                }
            }
            Inner::HalfOpen { probe_out } => {
                if *probe_out || wanted == 0 {
                    (0, None)
                } else {
                    *probe_out = true;
                    (1, None)
                }
            }
        }
    }

    /// A claimed probe found nothing to send: let the next poll probe again.
    pub fn probe_unused(&self) {
        if let Inner::HalfOpen { probe_out } = &mut *self.lock() {
            *probe_out = false;
        }
    }

    /// The partner took a message (or answered and refused it).
    ///
    /// While the circuit is open nothing is admitted, so a success then is a delivery that
    /// was already in flight when the failures opened it: stale news that must not close
    /// the circuit (that would send "partner back" and, at the next failures, a second
    /// "partner down" for one outage). Only the half-open probe decides.
    pub fn on_success(&self) -> Option<Transition> {
        let mut inner = self.lock();
        let from = match &*inner {
            Inner::Closed { .. } => None,
            Inner::Open { .. } => return None,
            Inner::HalfOpen { .. } => Some(CircuitState::HalfOpen),
        };
        *inner = Inner::Closed {
            consecutive_failures: 0,
        };
        from.map(|from| Transition {
            from,
            to: CircuitState::Closed,
        })
    }

    /// A retryable failure (no answer, 5xx, time-out).
    pub fn on_failure(&self) -> Option<Transition> {
        let mut inner = self.lock();
        let until = Instant::now() + self.cooldown;
        match &mut *inner {
            Inner::Closed {
                consecutive_failures,
            } => {
                *consecutive_failures += 1;
                if *consecutive_failures >= self.failure_threshold {
                    *inner = Inner::Open { until };
                    return Some(Transition {
                        from: CircuitState::Closed,
                        to: CircuitState::Open,
                    });
                }
                None
            }
            Inner::HalfOpen { .. } => {
                *inner = Inner::Open { until };
                Some(Transition {
                    from: CircuitState::HalfOpen,
                    to: CircuitState::Open,
                })
            }
            Inner::Open { .. } => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn opens_after_the_threshold_and_probes_after_the_cooldown() {
        let breaker = CircuitBreaker::new(3, Duration::from_secs(30));
        assert_eq!(breaker.admit(8), (8, None));
        assert_eq!(breaker.on_failure(), None);
        assert_eq!(breaker.on_failure(), None);
        let opened = breaker.on_failure().expect("third failure opens");
        assert_eq!(opened.to, CircuitState::Open);
        assert_eq!(breaker.admit(8), (0, None));

        tokio::time::advance(Duration::from_secs(31)).await;
        assert_eq!(breaker.state(), CircuitState::HalfOpen);
        let (n, t) = breaker.admit(8);
        assert_eq!(n, 1, "one probe only");
        assert_eq!(t.map(|t| t.to), Some(CircuitState::HalfOpen));
        assert_eq!(
            breaker.admit(8),
            (0, None),
            "no second probe while the first is out"
        );

        let closed = breaker.on_success().expect("probe success closes");
        assert_eq!(closed.to, CircuitState::Closed);
        assert_eq!(breaker.admit(8), (8, None));
    }

    #[tokio::test(start_paused = true)]
    async fn a_failed_probe_opens_again() {
        let breaker = CircuitBreaker::new(1, Duration::from_secs(10));
        breaker.on_failure();
        tokio::time::advance(Duration::from_secs(11)).await;
        assert_eq!(breaker.admit(4).0, 1);
        assert_eq!(breaker.on_failure().map(|t| t.to), Some(CircuitState::Open));
        assert_eq!(breaker.admit(4).0, 0);
    }

    #[tokio::test(start_paused = true)]
    async fn a_success_in_flight_when_the_circuit_opened_does_not_close_it() {
        // Found by the fault suite (tests/faults_partner.rs): a delivery answered just
        // before the partner went down finished after the failures had opened the circuit,
        // closed it, and one outage became "down, back, down".
        let breaker = CircuitBreaker::new(2, Duration::from_secs(10));
        assert_eq!(breaker.admit(8), (8, None));
        breaker.on_failure();
        assert_eq!(breaker.on_failure().map(|t| t.to), Some(CircuitState::Open));
        assert_eq!(breaker.on_success(), None, "stale success ignored");
        assert_eq!(breaker.state(), CircuitState::Open);
        assert_eq!(breaker.admit(8), (0, None), "still nothing admitted");

        tokio::time::advance(Duration::from_secs(11)).await;
        assert_eq!(breaker.admit(8).0, 1, "the probe");
        assert_eq!(
            breaker.on_success().map(|t| t.to),
            Some(CircuitState::Closed),
            "the probe's success closes it"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn success_resets_the_failure_count() {
        let breaker = CircuitBreaker::new(2, Duration::from_secs(10));
        breaker.on_failure();
        breaker.on_success();
        assert_eq!(breaker.on_failure(), None);
        assert_eq!(breaker.state(), CircuitState::Closed);
    }
}
