//! `outbox-health`: messages that should have moved on and did not.
//!
//! - `OUTBOX_STUCK`: a pending or retry message due (its `run_at` passed) for longer than
//!   `stuck_after_secs` without being claimed: no dispatcher serves its partner, or its
//!   ordering key is blocked.
//! - `OUTBOX_LEASE_EXPIRED`: a message still `running` whose lease ended more than
//!   `stuck_after_secs` ago: its dispatcher died and nobody reaped it.
//! - `DEAD_LETTER_UNRESOLVED`: a dead letter older than `dead_letter_days` that no operator
//!   has redelivered or replayed.
//!
//! The job only reports: what to do with a stuck message is an operator's decision.

use serde::Deserialize;

use crate::on_read;
use crate::reconcile::report::{Discrepancy, Findings, Job, JobContext, JobError};

/// The job.
#[derive(Debug)]
pub struct OutboxHealth;

/// Parameters (`[reconcile.jobs.outbox-health]`).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Parameters {
    /// A live message is stuck when it has been due, or its lease expired, this long.
    pub stuck_after_secs: u64,
    /// A dead letter is reported once it is this many days old.
    pub dead_letter_days: u64,
}

impl Default for Parameters {
    fn default() -> Self {
        Parameters {
            stuck_after_secs: 3600,
            dead_letter_days: 3,
        }
    }
}

#[derive(sqlx::FromRow)]
struct Row {
    id: i64,
    partner: String,
    kind: String,
    state: String,
    attempt: i64,
    run_at: i64,
    lease_expires_at: Option<i64>,
    finalized_at: Option<i64>,
}

const NAME: &str = "outbox-health";

#[async_trait::async_trait]
impl Job for OutboxHealth {
    fn name(&self) -> &'static str {
        NAME
    }

    fn description(&self) -> &'static str {
        "Outbox messages stuck (due or leased far longer than expected) and dead letters left unresolved."
    }

    fn check_parameters(
        &self,
        parameters: &std::collections::BTreeMap<String, serde_json::Value>,
    ) -> Result<(), String> {
        crate::reconcile::settings::parameters::<Parameters>(parameters).map(|_| ())
    }

    async fn run(&self, context: &JobContext) -> Result<Findings, JobError> {
        let parameters: Parameters = context.parameters(NAME)?;
        let stuck_cutoff = context.now - (parameters.stuck_after_secs as i64) * 1000;
        let dead_cutoff = context.now - (parameters.dead_letter_days as i64) * 86_400_000;
        let mut findings = Findings::default();
        let (live, dead): (i64, i64) = on_read!(&context.db, c => {
            sqlx::query_as(
                "SELECT COALESCE(SUM(CASE WHEN state IN ('pending', 'retry', 'running') THEN 1 ELSE 0 END), 0), \
                 COALESCE(SUM(CASE WHEN state = 'dead' THEN 1 ELSE 0 END), 0) FROM outbox_messages",
            )
            .fetch_one(c)
            .await
            .map_err(crate::store::StoreError::from)?
        });
        findings.count("liveMessages", live);
        findings.count("deadLetters", dead);
        findings.count("stuck", 0);
        findings.count("leaseExpired", 0);
        findings.count("deadLettersUnresolved", 0);
        let rows: Vec<Row> = on_read!(&context.db, c => {
            sqlx::query_as::<_, Row>(
                "SELECT id, partner, kind, state, attempt, run_at, lease_expires_at, finalized_at \
                 FROM outbox_messages WHERE \
                 (state IN ('pending', 'retry') AND run_at < $1) \
                 OR (state = 'running' AND lease_expires_at < $1) \
                 OR (state IN ('delivered', 'dead') AND state = 'dead' AND finalized_at < $2) ORDER BY id",
            )
            .bind(stuck_cutoff)
            .bind(dead_cutoff)
            .fetch_all(c)
            .await
            .map_err(crate::store::StoreError::from)?
        });
        for row in rows {
            let reference = format!("message:{}", row.id);
            let discrepancy = match row.state.as_str() {
                "running" => {
                    findings.count("leaseExpired", 1);
                    Discrepancy::new(
                        "OUTBOX_LEASE_EXPIRED",
                        format!(
                            "{} message {} is still leased (attempt {}) although its lease expired long ago",
                            row.kind, row.id, row.attempt
                        ),
                        "check that a dispatcher serves this partner; the lease is reaped at its next claim",
                    )
                    .since(row.lease_expires_at.unwrap_or(row.run_at))
                }
                "dead" => {
                    findings.count("deadLettersUnresolved", 1);
                    Discrepancy::new(
                        "DEAD_LETTER_UNRESOLVED",
                        format!(
                            "{} message {} went to dead letter after {} attempt(s) and is still unresolved",
                            row.kind, row.id, row.attempt
                        ),
                        "redeliver or replay it (ivd-gateway outbox redeliver|replay), or settle it with the partner",
                    )
                    .since(row.finalized_at.unwrap_or(row.run_at))
                }
                _ => {
                    findings.count("stuck", 1);
                    Discrepancy::new(
                        "OUTBOX_STUCK",
                        format!(
                            "{} message {} ({}) has been due since its run time and was never claimed",
                            row.kind, row.id, row.state
                        ),
                        "check the partner's dispatcher and circuit, and whether an older message blocks its ordering key",
                    )
                    .since(row.run_at)
                }
            };
            findings.push(discrepancy.partner(row.partner).reference(reference));
        }
        Ok(findings)
    }
}
