//! The gateway's Prometheus metrics.
//!
//! Counters move where things happen (a delivery, a failure, a request). Figures that
//! live in the database (outbox depth per partner and state, age of the oldest live
//! message) are read at scrape time by [`Metrics::render`], so every instance sharing one
//! PostgreSQL reports the same truth rather than its own share of it.
//!
//! # Every label comes from a fixed set or from the configuration
//!
//! `/metrics` may be reachable by anyone who can reach its listener, and every distinct
//! label value is a series the process keeps for ever: a label taken from a request (a
//! method, a path, a header) would let any client grow the exposition, and the memory
//! behind it, without bound. So each label below is either one of a fixed set of words
//! written in the code (most are `&'static str` fields, so nothing else fits) or an id
//! from the configuration; anything else is folded into a word of the set.
//!
//! | label | metrics | values |
//! |---|---|---|
//! | `partner` | outbox, circuit, inbound | configured partner ids (and `employers` for the employer API); database rows of a partner no longer configured are summed under `(unconfigured)` |
//! | `state` | `outbox_messages` | the outbox states ([`MessageState::ALL`]) |
//! | `outcome` | `outbox_delivery_failures` | `retry`, `rejected` |
//! | `status` | new hires, orders, reconciliation runs | fixed words; for HTTP requests the status code the gateway answered |
//! | `alert` | `alerts_firing` | [`crate::alerts::KINDS`] |
//! | `job` | reconciliation | the jobs of [`crate::reconcile::jobs::all`] |
//! | `listener` | HTTP | `api`, `partner`, `metrics` |
//! | `method` | HTTP | the eight methods of RFC 9110 and PATCH; any other method is `other` ([`method_label`]) |
//! | `route` | HTTP | the matched route template, never the raw path; `unmatched` when none matched |
//! | `reason` | `http_connections_cut` | `handshake-timeout`, `header-timeout`, `idle` |

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
    /// Partner id, or [`UNCONFIGURED_PARTNER`].
    pub partner: String,
    /// Outbox state.
    pub state: &'static str,
}

/// Label set: partner and failure outcome.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct FailureLabels {
    /// Partner id.
    pub partner: String,
    /// `retry` or `rejected`.
    pub outcome: &'static str,
}

/// Label set: a status (of a new-hire record or a withholding order).
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct StatusLabel {
    /// The status.
    pub status: &'static str,
}

/// Label set: an alert kind.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct AlertLabel {
    /// `partner-down`, `dead-letter`, `ack-overdue`, `reconciliation-discrepancy`.
    pub alert: &'static str,
}

/// Label set of HTTP requests.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct HttpLabels {
    /// `api`, `partner` or `metrics`.
    pub listener: &'static str,
    /// Method, from a fixed set ([`method_label`]).
    pub method: &'static str,
    /// The matched route template (never the raw path, which may hold ids), or
    /// `unmatched`.
    pub route: String,
    /// Status code.
    pub status: u16,
}

/// Label set: one listener.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ListenerLabel {
    /// `api`, `partner` or `metrics`.
    pub listener: &'static str,
}

/// Label set of connections a listener cut.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct CutLabels {
    /// `api`, `partner` or `metrics`.
    pub listener: &'static str,
    /// `handshake-timeout`, `header-timeout` or `idle`.
    pub reason: &'static str,
}

/// Label set of reconciliation runs.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ReconcileRunLabels {
    /// Job name.
    pub job: &'static str,
    /// How the run ended (`succeeded`, `failed`, `died`).
    pub status: &'static str,
}

/// Label set: one reconciliation job.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct JobLabel {
    /// Job name.
    pub job: &'static str,
}

/// The `partner` label of outbox rows whose partner is no longer in the configuration.
/// Partner ids are letters, digits, `-` and `_`, so no configured partner can take it.
pub const UNCONFIGURED_PARTNER: &str = "(unconfigured)";

/// The `method` label of a request: the method when it is one of RFC 9110's eight or
/// PATCH, `other` for any other (a client may send any token as a method, of any length).
pub fn method_label(method: &axum::http::Method) -> &'static str {
    use axum::http::Method;
    match *method {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::DELETE => "DELETE",
        Method::PATCH => "PATCH",
        Method::OPTIONS => "OPTIONS",
        Method::CONNECT => "CONNECT",
        Method::TRACE => "TRACE",
        _ => "other",
    }
}

/// The connection figures of one listener, handed to its accept loop
/// ([`crate::web::listener`]).
#[derive(Clone)]
pub struct ConnectionMetrics {
    listener: &'static str,
    open: Family<ListenerLabel, Gauge>,
    cut: Family<CutLabels, Counter>,
    at_capacity: Family<ListenerLabel, Counter>,
}

impl std::fmt::Debug for ConnectionMetrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConnectionMetrics")
            .field("listener", &self.listener)
            .finish()
    }
}

impl ConnectionMetrics {
    /// A connection was accepted; it counts as open until the returned guard is dropped.
    pub fn opened(&self) -> OpenConnection {
        let gauge = self.open.get_or_create(&ListenerLabel {
            listener: self.listener,
        });
        gauge.inc();
        OpenConnection(gauge.clone())
    }

    /// The listener cut a connection (`handshake-timeout`, `header-timeout`, `idle`).
    pub fn cut(&self, reason: &'static str) {
        self.cut
            .get_or_create(&CutLabels {
                listener: self.listener,
                reason,
            })
            .inc();
    }

    /// The listener had as many connections as it may and waited before accepting more.
    pub fn at_capacity(&self) {
        self.at_capacity
            .get_or_create(&ListenerLabel {
                listener: self.listener,
            })
            .inc();
    }
}

/// An open connection, counted in `ivd_http_connections_open` while it lives.
#[derive(Debug)]
pub struct OpenConnection(Gauge);

impl Drop for OpenConnection {
    fn drop(&mut self) {
        self.0.dec();
    }
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
    /// Connections open now, per listener.
    pub http_connections_open: Family<ListenerLabel, Gauge>,
    /// Connections a listener cut for a limit (slow handshake, slow headers, idle).
    pub http_connections_cut: Family<CutLabels, Counter>,
    /// Times a listener held as many connections as it may and left new ones waiting.
    pub http_connections_at_capacity: Family<ListenerLabel, Counter>,
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
            http_connections_open: Family::default(),
            http_connections_cut: Family::default(),
            http_connections_at_capacity: Family::default(),
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
            "http_connections_open",
            "HTTP connections open now, per listener",
            metrics.http_connections_open.clone(),
        );
        registry.register(
            "http_connections_cut",
            "HTTP connections a listener cut for a limit, by reason (handshake-timeout, header-timeout, idle)",
            metrics.http_connections_cut.clone(),
        );
        registry.register(
            "http_connections_at_capacity",
            "Times a listener held server.max_connections connections and left new ones waiting",
            metrics.http_connections_at_capacity.clone(),
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

    /// The connection figures of the listener `listener` (`api`, `partner`, `metrics`).
    pub fn connections(&self, listener: &'static str) -> ConnectionMetrics {
        ConnectionMetrics {
            listener,
            open: self.http_connections_open.clone(),
            cut: self.http_connections_cut.clone(),
            at_capacity: self.http_connections_at_capacity.clone(),
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
        let configured = |partner: String| -> String {
            if partners.contains(&partner) {
                partner
            } else {
                UNCONFIGURED_PARTNER.to_string()
            }
        };
        self.outbox_messages.clear();
        self.oldest_live_age.clear();
        for partner in partners {
            for state in MessageState::ALL {
                self.outbox_messages
                    .get_or_create(&PartnerStateLabels {
                        partner: partner.clone(),
                        state: state.as_str(),
                    })
                    .set(0);
            }
            self.oldest_live_age
                .get_or_create(&PartnerLabel {
                    partner: partner.clone(),
                })
                .set(0);
        }
        // Added up rather than set: every partner no longer configured shares one series.
        for (partner, state, count) in depth {
            let Some(state) = MessageState::ALL
                .into_iter()
                .map(MessageState::as_str)
                .find(|known| *known == state)
            else {
                continue;
            };
            self.outbox_messages
                .get_or_create(&PartnerStateLabels {
                    partner: configured(partner),
                    state,
                })
                .inc_by(count);
        }
        for (partner, created_at) in oldest {
            let age = (now - created_at).max(0) / 1000;
            let gauge = self.oldest_live_age.get_or_create(&PartnerLabel {
                partner: configured(partner),
            });
            if age > gauge.get() {
                gauge.set(age);
            }
        }
        // Each channel sets its own figures (the families are declared here, once).
        for channel in crate::channels::all() {
            channel.refresh_metrics(db, self).await?;
        }
        let firing = crate::alerts::firing_by_kind(db).await?;
        for kind in crate::alerts::KINDS {
            let count = firing
                .iter()
                .find(|(k, _)| k == kind)
                .map_or(0, |(_, n)| *n);
            self.alerts_firing
                .get_or_create(&AlertLabel { alert: kind })
                .set(count);
        }
        self.reconcile_discrepancies.clear();
        for (job, count) in crate::reconcile::runs::open_discrepancies(db).await? {
            // A run of a job this version no longer has stays in the database, not here.
            if let Some(job) = crate::reconcile::jobs::by_name(&job) {
                self.reconcile_discrepancies
                    .get_or_create(&JobLabel { job: job.name() })
                    .set(count);
            }
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

#[cfg(test)]
mod tests {
    use axum::http::Method;

    use super::*;

    #[test]
    fn a_method_label_is_one_of_ten_words() {
        for known in [
            "GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "CONNECT", "TRACE",
        ] {
            assert_eq!(
                method_label(&Method::from_bytes(known.as_bytes()).unwrap()),
                known
            );
        }
        for invented in ["get", "BREW", "PROPFIND", &"M".repeat(8_000)] {
            let method = Method::from_bytes(invented.as_bytes()).unwrap();
            assert_eq!(method_label(&method), "other", "{invented:.20}");
        }
    }
}
