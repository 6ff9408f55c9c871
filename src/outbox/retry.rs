//! When to try again, and when to stop.
//!
//! Delays come from `backon`'s exponential backoff (factor 2, capped, with jitter so that
//! a partner coming back is not hit by every waiting message in the same second). The
//! decision to stop is the partner's: `max_attempts`, or `max_age` since the message was
//! enqueued, whichever comes first.

use std::time::Duration;

use backon::{BackoffBuilder, ExponentialBuilder};
use serde::Deserialize;

use crate::outbox::store::Decision;

/// A partner's retry rules.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct RetryPolicy {
    /// Delay before the second attempt, in milliseconds.
    pub min_delay_ms: u64,
    /// The cap on any delay, in milliseconds.
    pub max_delay_ms: u64,
    /// Growth factor between delays.
    pub factor: f32,
    /// Add random jitter to every delay.
    pub jitter: bool,
    /// Attempts before dead letter.
    pub max_attempts: u32,
    /// Age (since enqueue) after which a failing message goes to dead letter, in seconds.
    pub max_age_secs: u64,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            min_delay_ms: 1_000,
            max_delay_ms: 300_000,
            factor: 2.0,
            jitter: true,
            max_attempts: 12,
            max_age_secs: 72 * 3600,
        }
    }
}

impl RetryPolicy {
    /// The wait after failed attempt number `attempt` (1-based).
    pub fn delay_after(&self, attempt: i64) -> Duration {
        let mut builder = ExponentialBuilder::default()
            .with_min_delay(Duration::from_millis(self.min_delay_ms))
            .with_max_delay(Duration::from_millis(self.max_delay_ms))
            .with_factor(self.factor)
            .without_max_times();
        if self.jitter {
            builder = builder.with_jitter();
        }
        let steps = attempt.clamp(1, 64) as usize - 1;
        builder
            .build()
            .nth(steps)
            .unwrap_or(Duration::from_millis(self.max_delay_ms))
    }

    /// What to do after a retryable failure of attempt `attempt` of a message enqueued at
    /// `created_at`. A partner's `Retry-After` is honoured up to the cap.
    pub fn after_failure(
        &self,
        attempt: i64,
        created_at: i64,
        now: i64,
        retry_after: Option<Duration>,
    ) -> Decision {
        let age_ms = now.saturating_sub(created_at);
        if attempt >= i64::from(self.max_attempts)
            || age_ms >= (self.max_age_secs as i64).saturating_mul(1000)
        {
            return Decision::DeadAfterRetries;
        }
        let mut delay = self.delay_after(attempt);
        if let Some(asked) = retry_after {
            delay = delay.max(asked.min(Duration::from_millis(self.max_delay_ms)));
        }
        Decision::RetryAt(now + delay.as_millis() as i64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn no_jitter() -> RetryPolicy {
        RetryPolicy {
            jitter: false,
            min_delay_ms: 100,
            max_delay_ms: 1_000,
            ..RetryPolicy::default()
        }
    }

    #[test]
    fn delays_double_until_the_cap() {
        let policy = no_jitter();
        let delays: Vec<u128> = (1..=6).map(|a| policy.delay_after(a).as_millis()).collect();
        assert_eq!(delays, vec![100, 200, 400, 800, 1_000, 1_000]);
    }

    #[test]
    fn jitter_stays_within_twice_the_delay_and_the_cap() {
        let policy = RetryPolicy {
            jitter: true,
            ..no_jitter()
        };
        for attempt in 1..10 {
            let delay = policy.delay_after(attempt).as_millis();
            assert!(delay >= 100, "attempt {attempt}: {delay}");
            assert!(delay <= 2_000, "attempt {attempt}: {delay}");
        }
    }

    #[test]
    fn a_message_dies_after_its_last_attempt() {
        let policy = RetryPolicy {
            max_attempts: 3,
            ..no_jitter()
        };
        assert_eq!(
            policy.after_failure(2, 0, 10, None),
            Decision::RetryAt(10 + 200)
        );
        assert_eq!(
            policy.after_failure(3, 0, 10, None),
            Decision::DeadAfterRetries
        );
    }

    #[test]
    fn a_message_dies_when_too_old() {
        let policy = RetryPolicy {
            max_age_secs: 60,
            ..no_jitter()
        };
        assert_eq!(
            policy.after_failure(1, 0, 60_000, None),
            Decision::DeadAfterRetries
        );
        assert_eq!(
            policy.after_failure(1, 0, 59_999, None),
            Decision::RetryAt(59_999 + 100)
        );
    }

    #[test]
    fn retry_after_is_honoured_up_to_the_cap() {
        let policy = no_jitter();
        let asked = Some(Duration::from_millis(700));
        assert_eq!(policy.after_failure(1, 0, 0, asked), Decision::RetryAt(700));
        let too_long = Some(Duration::from_secs(3600));
        assert_eq!(
            policy.after_failure(1, 0, 0, too_long),
            Decision::RetryAt(1_000)
        );
    }
}
