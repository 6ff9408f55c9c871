//! The gateway's Prometheus metrics.
//!
//! Counters move where things happen (a delivery, a failure, a request). Figures that
//! live in the database (outbox depth per partner and state, age of the oldest live
//! message) are read at scrape time by [`Metrics::render`], so every instance sharing one
//! PostgreSQL reports the same truth rather than its own share of it.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

use crate::outbox::MessageState;
use crate::outbox::circuit::CircuitState;
use crate::store::{Db, StoreError};

/// Label set: one partner.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct PartnerLabel {
    /// Partner id.
    pub partner: String,
}

/// Label set: partner and outbox state.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct PartnerStateLabels {
    /// Partner id.
    pub partner: String,
    /// Outbox state.
    pub state: String,
}

/// Label set: partner and failure outcome.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct FailureLabels {
    /// Partner id.
    pub partner: String,
    /// `retry` or `rejected`.
    pub outcome: String,
}

/// Label set: a status (of a new-hire record or a withholding order).
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct StatusLabel {
    /// The status.
    pub status: String,
}

/// Label set: an alert kind.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct AlertLabel {
    /// `partner-down`, `dead-letter`, `ack-overdue`, `reconciliation-discrepancy`.
    pub alert: String,
}

/// Label set of HTTP requests.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct HttpLabels {
    /// `api` or `partner`.
    pub listener: String,
    /// Method.
    pub method: String,
    /// The matched route template (never the raw path, which may hold ids).
    pub route: String,
    /// Status code.
    pub status: String,
}

/// Label set of reconciliation runs.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ReconcileRunLabels {
    /// Job name.
    pub job: String,
    /// How the run ended (`succeeded`, `failed`, `died`).
    pub status: String,
}

/// Label set: one reconciliation job.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct JobLabel {
    /// Job name.
    pub job: String,
}

type DurationFamily<L> = Family<L, Histogram, fn() -> Histogram>;

fn delivery_buckets() -> Histogram {
    Histogram::new(exponential_buckets(0.001, 2.0, 16))
}

/// Every metric of one gateway process.
pub struct Metrics {
    registry: Registry,
    /// Messages delivered.
    pub deliveries: Family<PartnerLabel, Counter>,
    /// Attempts that failed, by outcome.
    pub delivery_failures: Family<FailureLabels, Counter>,
    /// Retries scheduled.
    pub retries: Family<PartnerLabel, Counter>,
    /// Messages sent to dead letter.
    pub dead_letters: Family<PartnerLabel, Counter>,
    /// Results refused because the lease had been taken over.
    pub lease_lost: Family<PartnerLabel, Counter>,
    /// Time from claim to recorded outcome.
    pub delivery_seconds: DurationFamily<PartnerLabel>,
    /// Circuit state per partner: 0 closed, 1 half-open, 2 open.
    pub circuit_state: Family<PartnerLabel, Gauge>,
    /// Outbox messages per partner and state (read at scrape time).
    pub outbox_messages: Family<PartnerStateLabels, Gauge>,
    /// Age of the oldest live message per partner, seconds (read at scrape time).
    pub oldest_live_age: Family<PartnerLabel, Gauge>,
    /// Inbound messages stored.
    pub inbound_received: Family<PartnerLabel, Counter>,
    /// Inbound messages recognised as duplicates.
    pub inbound_duplicates: Family<PartnerLabel, Counter>,
    /// HTTP requests served.
    pub http_requests: Family<HttpLabels, Counter>,
    /// New-hire records by verdict (read at scrape time).
    pub new_hire_records: Family<StatusLabel, Gauge>,
    /// Accepted new hires not yet in an NDNH transmission (read at scrape time).
    pub new_hires_awaiting_ndnh: Gauge,
    /// Income withholding orders by status (read at scrape time).
    pub withholding_orders: Family<StatusLabel, Gauge>,
    /// Alerts firing now, by kind (read at scrape time).
    pub alerts_firing: Family<AlertLabel, Gauge>,
    /// Reconciliation runs finished in this process, by job and outcome.
    pub reconcile_runs: Family<ReconcileRunLabels, Counter>,
    /// Discrepancies found by the latest real run of each job (read at scrape time).
    pub reconcile_discrepancies: Family<JobLabel, Gauge>,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Metrics")
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    /// Registers every metric.
    pub fn new() -> Self {
        let mut registry = Registry::with_prefix("ivd");
        let metrics = Metrics {
            deliveries: Family::default(),
            delivery_failures: Family::default(),
            retries: Family::default(),
            dead_letters: Family::default(),
            lease_lost: Family::default(),
            delivery_seconds: Family::new_with_constructor(delivery_buckets),
            circuit_state: Family::default(),
            outbox_messages: Family::default(),
            oldest_live_age: Family::default(),
            inbound_received: Family::default(),
            inbound_duplicates: Family::default(),
            http_requests: Family::default(),
            new_hire_records: Family::default(),
            new_hires_awaiting_ndnh: Gauge::default(),
            withholding_orders: Family::default(),
            alerts_firing: Family::default(),
            reconcile_runs: Family::default(),
            reconcile_discrepancies: Family::default(),
            registry: Registry::default(),
        };
        registry.register(
            "outbox_deliveries",
            "Messages delivered to partners",
            metrics.deliveries.clone(),
        );
        registry.register(
            "outbox_delivery_failures",
            "Delivery attempts that failed, by outcome (retry or rejected)",
            metrics.delivery_failures.clone(),
        );
        registry.register(
            "outbox_retries",
            "Retries scheduled",
            metrics.retries.clone(),
        );
        registry.register(
            "outbox_dead_letters",
            "Messages moved to dead letter",
            metrics.dead_letters.clone(),
        );
        registry.register(
            "outbox_lease_lost",
            "Results refused because another dispatcher had taken the lease over",
            metrics.lease_lost.clone(),
        );
        registry.register(
            "outbox_delivery_duration_seconds",
            "Time from claim to recorded outcome",
            metrics.delivery_seconds.clone(),
        );
        registry.register(
            "partner_circuit_state",
            "Circuit breaker state per partner: 0 closed, 1 half-open, 2 open",
            metrics.circuit_state.clone(),
        );
        registry.register(
            "outbox_messages",
            "Outbox messages per partner and state",
            metrics.outbox_messages.clone(),
        );
        registry.register(
            "outbox_oldest_live_age_seconds",
            "Age of the oldest pending, retrying or running message per partner",
            metrics.oldest_live_age.clone(),
        );
        registry.register(
            "inbound_messages_received",
            "Inbound messages stored, per partner",
            metrics.inbound_received.clone(),
        );
        registry.register(
            "inbound_duplicates",
            "Inbound messages recognised as duplicates, per partner",
            metrics.inbound_duplicates.clone(),
        );
        registry.register(
            "http_requests",
            "HTTP requests served",
            metrics.http_requests.clone(),
        );
        registry.register(
            "new_hire_records",
            "New-hire records received, by verdict (accepted, invalid, duplicate, refused)",
            metrics.new_hire_records.clone(),
        );
        registry.register(
            "new_hires_awaiting_ndnh",
            "Accepted new hires not yet written to an NDNH transmission",
            metrics.new_hires_awaiting_ndnh.clone(),
        );
        registry.register(
            "withholding_orders",
            "Income withholding orders issued, by status (sent, accepted, rejected)",
            metrics.withholding_orders.clone(),
        );
        registry.register(
            "alerts_firing",
            "Alerts firing now, by kind (partner-down, dead-letter, ack-overdue, reconciliation-discrepancy)",
            metrics.alerts_firing.clone(),
        );
        registry.register(
            "reconcile_runs",
            "Reconciliation runs finished by this instance, by job and status",
            metrics.reconcile_runs.clone(),
        );
        registry.register(
            "reconcile_open_discrepancies",
            "Discrepancies found by the latest finished real run of each job",
            metrics.reconcile_discrepancies.clone(),
        );
        Metrics {
            registry,
            ..metrics
        }
    }

    /// Counts one partner event.
    pub fn partner(family: &Family<PartnerLabel, Counter>, partner: &str) {
        family
            .get_or_create(&PartnerLabel {
                partner: partner.to_string(),
            })
            .inc();
    }

    /// Sets the circuit gauge of a partner.
    pub fn set_circuit(&self, partner: &str, state: CircuitState) {
        self.circuit_state
            .get_or_create(&PartnerLabel {
                partner: partner.to_string(),
            })
            .set(state.gauge());
    }

    /// Reads the database figures and renders every metric as Prometheus text.
    /// `partners` are the configured partner ids, so that every partner shows every state
    /// (a zero is information; a missing series is not).
    pub async fn render(
        &self,
        db: &Db,
        partners: &[String],
        now: i64,
    ) -> Result<String, StoreError> {
        let depth = crate::outbox::store::depth(db).await?;
        let oldest = crate::outbox::store::oldest_live(db).await?;
        self.outbox_messages.clear();
        self.oldest_live_age.clear();
        for partner in partners {
            for state in MessageState::ALL {
                self.outbox_messages
                    .get_or_create(&PartnerStateLabels {
                        partner: partner.clone(),
                        state: state.as_str().to_string(),
                    })
                    .set(0);
            }
            self.oldest_live_age
                .get_or_create(&PartnerLabel {
                    partner: partner.clone(),
                })
                .set(0);
        }
        for (partner, state, count) in depth {
            self.outbox_messages
                .get_or_create(&PartnerStateLabels { partner, state })
                .set(count);
        }
        for (partner, created_at) in oldest {
            self.oldest_live_age
                .get_or_create(&PartnerLabel { partner })
                .set(((now - created_at).max(0)) / 1000);
        }
        let employers = crate::channels::employers::stats(db).await?;
        for status in ["accepted", "invalid", "duplicate", "refused"] {
            let count = employers
                .records
                .iter()
                .find(|(s, _)| s == status)
                .map_or(0, |(_, n)| *n);
            self.new_hire_records
                .get_or_create(&StatusLabel {
                    status: status.to_string(),
                })
                .set(count);
        }
        self.new_hires_awaiting_ndnh.set(employers.awaiting_ndnh);
        for status in ["sent", "accepted", "rejected"] {
            let count = employers
                .orders
                .iter()
                .find(|(s, _)| s == status)
                .map_or(0, |(_, n)| *n);
            self.withholding_orders
                .get_or_create(&StatusLabel {
                    status: status.to_string(),
                })
                .set(count);
        }
        let firing = crate::alerts::firing_by_kind(db).await?;
        for kind in crate::alerts::KINDS {
            let count = firing
                .iter()
                .find(|(k, _)| k == kind)
                .map_or(0, |(_, n)| *n);
            self.alerts_firing
                .get_or_create(&AlertLabel {
                    alert: kind.to_string(),
                })
                .set(count);
        }
        self.reconcile_discrepancies.clear();
        for (job, count) in crate::reconcile::runs::open_discrepancies(db).await? {
            self.reconcile_discrepancies
                .get_or_create(&JobLabel { job })
                .set(count);
        }
        let mut text = String::new();
        encode(&mut text, &self.registry).map_err(|_| {
            StoreError::Sqlx(sqlx::Error::Protocol("metrics encoding failed".into()))
        })?;
        Ok(text)
    }
}

/// The classic Prometheus text format (0.0.4) of an OpenMetrics exposition: a counter's
/// HELP and TYPE name its `_total` samples, and the OpenMetrics-only lines (`# EOF`,
/// `# UNIT`) go. Every other line is the same in both formats.
pub fn classic_text(openmetrics: &str) -> String {
    let counters: std::collections::HashSet<&str> = openmetrics
        .lines()
        .filter_map(|line| line.strip_prefix("# TYPE "))
        .filter_map(|rest| rest.strip_suffix(" counter"))
        .collect();
    let mut text = String::with_capacity(openmetrics.len() + 64);
    for line in openmetrics.lines() {
        if line == "# EOF" || line.starts_with("# UNIT ") {
            continue;
        }
        let renamed = ["# HELP ", "# TYPE "].iter().find_map(|prefix| {
            let rest = line.strip_prefix(prefix)?;
            let (name, tail) = rest.split_once(' ').unwrap_or((rest, ""));
            counters
                .contains(name)
                .then(|| format!("{prefix}{name}_total {tail}"))
        });
        text.push_str(renamed.as_deref().unwrap_or(line));
        text.push('\n');
    }
    text
}
