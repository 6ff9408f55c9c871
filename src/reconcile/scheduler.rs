//! Running jobs: now (CLI, API, retries) or on their cron schedules, once per tick across
//! every instance that shares the database.
//!
//! # How one tick runs exactly once
//! Every instance computes the same ticks from the same schedule (UTC). When a tick comes,
//! each tries to insert the run row `(job, scheduled_for = tick)`; the UNIQUE constraint
//! lets exactly one insert succeed, and that instance runs the job
//! ([`runs::claim_tick`]). No lock is held while the job runs.
//!
//! # A run whose process dies
//! While a job runs, its instance writes a heartbeat every `heartbeat_secs`. Every
//! scheduler pass marks runs whose heartbeat is older than `dead_after_secs` as `died`
//! ([`runs::mark_died`]). The next tick is claimed afresh by whichever instance is alive;
//! the died run can be retried by hand ([`Runner::retry`]). Heartbeats compare the clocks
//! of different instances: keep them synchronised (NTP) well within `dead_after_secs`. A
//! tick at which no instance was
//! up is not run later: the next tick covers it (every job looks at the whole state, not
//! at what changed since the last tick).
//!
//! Finished runs are deleted `retention_days` after they ended (checked hourly).
//!
//! Jobs run one at a time per instance; a job slower than its interval makes this
//! instance skip the ticks it was busy for, which another instance may claim.

use std::sync::Arc;
use std::time::Duration;

use futures::FutureExt;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

use crate::config::Settings;
use crate::reconcile::jobs;
use crate::reconcile::report::{Findings, Job, JobContext, JobError};
use crate::reconcile::runs::{self, Run};
use crate::store::{Db, StoreError, now_ms};
use crate::telemetry::metrics::{Metrics, ReconcileRunLabels};

/// Why a run could not be started.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// No job has this name.
    #[error("no reconciliation job named {0:?}")]
    UnknownJob(String),
    /// No run has this id.
    #[error("no reconciliation run {0}")]
    UnknownRun(i64),
    /// The run did not fail or die, or was already retried.
    #[error("run {0} cannot be retried: only a failed or died run, once")]
    NotRetryable(i64),
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Runs jobs and records their runs.
#[derive(Clone, Debug)]
pub struct Runner {
    /// The database.
    pub db: Db,
    /// The settings.
    pub settings: Arc<Settings>,
    /// Keyed SSN hash.
    pub lookup_key: crate::privacy::LookupKey,
    /// Data keys.
    pub data_keys: crate::privacy::DataKeys,
    /// Wakes the in-process dispatcher after a job enqueued something.
    pub dispatcher_wake: Option<Arc<Notify>>,
    /// Who runs (recorded on each run).
    pub worker: String,
    /// Metrics, when the runner lives in a gateway.
    pub metrics: Option<Arc<Metrics>>,
}

impl Runner {
    /// Runs `job` now (a manual run) and returns the finished run.
    pub async fn run_now(&self, job: &str, dry_run: bool) -> Result<Run, RunError> {
        let found = jobs::by_name(job).ok_or_else(|| RunError::UnknownJob(job.to_string()))?;
        let id = runs::start_manual(&self.db, job, dry_run, &self.worker, None, now_ms())
            .await?
            .ok_or_else(|| StoreError::Invalid("the run was not recorded".into()))?;
        self.execute(&found, id, dry_run, &CancellationToken::new())
            .await
    }

    /// Runs a failed or died run's job again, as a new manual run linked to it.
    pub async fn retry(&self, run_id: i64) -> Result<Run, RunError> {
        let original = runs::get(&self.db, run_id)
            .await?
            .ok_or(RunError::UnknownRun(run_id))?;
        let job = jobs::by_name(&original.job)
            .ok_or_else(|| RunError::UnknownJob(original.job.clone()))?;
        let id = runs::start_manual(
            &self.db,
            &original.job,
            original.dry_run,
            &self.worker,
            Some(run_id),
            now_ms(),
        )
        .await?
        .ok_or(RunError::NotRetryable(run_id))?;
        self.execute(&job, id, original.dry_run, &CancellationToken::new())
            .await
    }

    /// Runs `job` for the recorded run `id`, writing heartbeats, and records the outcome.
    async fn execute(
        &self,
        job: &Arc<dyn Job>,
        id: i64,
        dry_run: bool,
        shutdown: &CancellationToken,
    ) -> Result<Run, RunError> {
        let context = JobContext {
            db: self.db.clone(),
            settings: self.settings.clone(),
            lookup_key: self.lookup_key.clone(),
            data_keys: self.data_keys.clone(),
            now: now_ms(),
            dry_run,
            dispatcher_wake: self.dispatcher_wake.clone(),
        };
        tracing::info!(
            job = job.name(),
            run = id,
            dry_run,
            "Reconciliation run started."
        );
        let work = std::panic::AssertUnwindSafe(job.run(&context)).catch_unwind();
        tokio::pin!(work);
        let mut beat = tokio::time::interval(Duration::from_secs(
            self.settings.reconcile.heartbeat_secs.max(1),
        ));
        beat.tick().await;
        let outcome: Result<Findings, String> = loop {
            tokio::select! {
                result = &mut work => break match result {
                    Ok(Ok(findings)) => Ok(findings),
                    Ok(Err(JobError::Store(error))) => Err(format!("database: {error}")),
                    Ok(Err(JobError::Failed(why))) => Err(why),
                    Err(_) => Err("the job panicked".to_string()),
                },
                _ = beat.tick() => {
                    match runs::heartbeat(&self.db, id, now_ms()).await {
                        Ok(true) => {}
                        Ok(false) => tracing::warn!(job = job.name(), run = id, "The run was declared dead while still running; its result will not be recorded."),
                        Err(error) => tracing::warn!(job = job.name(), run = id, error = %error, "Writing a reconciliation heartbeat failed."),
                    }
                }
                _ = shutdown.cancelled() => break Err("the gateway stopped before the job finished".to_string()),
            }
        };
        let recorded = runs::finish(
            &self.db,
            id,
            outcome.as_ref().map_err(String::as_str),
            now_ms(),
        )
        .await?;
        let status = match &outcome {
            Ok(findings) => {
                tracing::info!(
                    job = job.name(),
                    run = id,
                    discrepancies = findings.discrepancies.len(),
                    "Reconciliation run finished."
                );
                "succeeded"
            }
            Err(error) => {
                tracing::error!(job = job.name(), run = id, error = %error, "Reconciliation run failed.");
                "failed"
            }
        };
        if !recorded {
            tracing::warn!(
                job = job.name(),
                run = id,
                "The run had been declared dead; its outcome was not recorded."
            );
        }
        // A real run with discrepancies fires the job's alert; a clean one resolves it.
        if let Ok(findings) = &outcome
            && recorded
            && !dry_run
        {
            let signal = crate::alerts::Signal::Reconciliation {
                job: job.name().to_string(),
                run: id.to_string(),
                discrepancies: findings.discrepancies.len(),
            };
            match crate::alerts::apply(&self.db, &self.settings, &signal, now_ms()).await {
                Ok(Some(_)) => {
                    if let Some(wake) = &self.dispatcher_wake {
                        wake.notify_one();
                    }
                }
                Ok(None) => {}
                Err(error) => {
                    tracing::warn!(job = job.name(), run = id, error = %error, "The reconciliation alert could not be recorded.");
                }
            }
        }
        if let Some(metrics) = &self.metrics {
            metrics
                .reconcile_runs
                .get_or_create(&ReconcileRunLabels {
                    job: job.name(),
                    status,
                })
                .inc();
        }
        runs::get(&self.db, id)
            .await?
            .ok_or(RunError::UnknownRun(id))
    }

    /// Marks runs whose heartbeat stopped as died; returns how many.
    pub async fn reap_dead(&self, now: i64) -> Result<usize, StoreError> {
        let cutoff = now - (self.settings.reconcile.dead_after_secs as i64) * 1000;
        let died = runs::mark_died(&self.db, cutoff, now).await?;
        for run in &died {
            tracing::warn!(job = %run.job, run = run.id, worker = %run.worker, "A reconciliation run died (no heartbeat); retry it or wait for the next tick.");
            if let Some(metrics) = &self.metrics
                && let Some(job) = crate::reconcile::jobs::by_name(&run.job)
            {
                metrics
                    .reconcile_runs
                    .get_or_create(&ReconcileRunLabels {
                        job: job.name(),
                        status: "died",
                    })
                    .inc();
            }
        }
        Ok(died.len())
    }

    /// The scheduler: until `shutdown`, runs each scheduled job at its ticks (when this
    /// instance claims them) and marks dead runs.
    pub async fn run_scheduler(self, shutdown: CancellationToken) {
        let scheduled: Vec<(Arc<dyn Job>, cron::Schedule)> = jobs::all()
            .into_iter()
            .filter_map(|job| {
                let schedule = self.settings.reconcile.schedule_of(job.name())?;
                Some((job, schedule))
            })
            .collect();
        let mut next: Vec<Option<i64>> = scheduled
            .iter()
            .map(|(_, schedule)| next_tick(schedule, now_ms()))
            .collect();
        tracing::info!(jobs = scheduled.len(), worker = %self.worker, "Reconciliation scheduler started.");
        let poll = Duration::from_millis(self.settings.reconcile.poll_interval_ms.max(10));
        // Looking for dead runs is a write: once a heartbeat interval is often enough.
        let reap_every = (self.settings.reconcile.heartbeat_secs.max(1) as i64) * 1000;
        let mut reaped_at = i64::MIN;
        let mut purged_at = i64::MIN;
        loop {
            tokio::select! {
                _ = shutdown.cancelled() => break,
                _ = tokio::time::sleep(poll) => {}
            }
            if now_ms().saturating_sub(reaped_at) >= reap_every {
                reaped_at = now_ms();
                if let Err(error) = self.reap_dead(reaped_at).await {
                    tracing::warn!(error = %error, "Looking for dead reconciliation runs failed.");
                }
            }
            if now_ms().saturating_sub(purged_at) >= PURGE_EVERY_MS {
                purged_at = now_ms();
                let cutoff = purged_at
                    - (self.settings.reconcile.retention_days as i64).saturating_mul(86_400_000);
                match runs::purge(&self.db, cutoff).await {
                    Ok(0) => {}
                    Ok(purged) => {
                        tracing::info!(purged, "Deleted reconciliation runs past their retention.")
                    }
                    Err(error) => {
                        tracing::warn!(error = %error, "Deleting old reconciliation runs failed.")
                    }
                }
            }
            for (index, (job, schedule)) in scheduled.iter().enumerate() {
                let Some(tick) = next[index] else { continue };
                let now = now_ms();
                if now < tick {
                    continue;
                }
                next[index] = next_tick(schedule, now.max(tick));
                match runs::claim_tick(&self.db, job.name(), tick, &self.worker, now).await {
                    Ok(Some(id)) => {
                        if let Err(error) = self.execute(job, id, false, &shutdown).await {
                            tracing::error!(job = job.name(), run = id, error = %error, "Recording a reconciliation run failed.");
                        }
                    }
                    Ok(None) => {
                        tracing::debug!(job = job.name(), tick, "Another instance runs this tick.");
                    }
                    Err(error) => {
                        tracing::warn!(job = job.name(), error = %error, "Claiming a reconciliation tick failed.");
                    }
                }
                if shutdown.is_cancelled() {
                    break;
                }
            }
        }
        tracing::info!("Reconciliation scheduler stopped.");
    }
}

/// How often finished runs past their retention are deleted.
const PURGE_EVERY_MS: i64 = 3_600_000;

/// The first tick of `schedule` strictly after `after_ms` (ms since the epoch).
pub fn next_tick(schedule: &cron::Schedule, after_ms: i64) -> Option<i64> {
    let after = chrono::DateTime::<chrono::Utc>::from_timestamp_millis(after_ms)?;
    schedule
        .after(&after)
        .next()
        .map(|tick| tick.timestamp_millis())
}

/// The next tick of a job's schedule after now, for listings.
pub fn next_tick_of(settings: &Settings, job: &str) -> Option<i64> {
    next_tick(&settings.reconcile.schedule_of(job)?, now_ms())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_of_a_seconds_schedule_follow_each_other() {
        let schedule = crate::reconcile::settings::parse_schedule("*/2 * * * * *").unwrap();
        let first = next_tick(&schedule, 1_000_000_000_500).unwrap();
        assert_eq!(first, 1_000_000_002_000);
        assert_eq!(next_tick(&schedule, first), Some(1_000_000_004_000));
    }
}
