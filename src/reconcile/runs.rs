//! The store of reconciliation runs (`reconcile_runs`).
//!
//! - A scheduled run is claimed by inserting `(job, scheduled_for)`: the UNIQUE constraint
//!   makes the insert the lock, so of several instances that see the same tick exactly one
//!   gets a row back ([`claim_tick`]).
//! - A manual run (CLI, API) has no tick ([`start_manual`]); a retry is a manual run that
//!   names the failed or died run it repeats (at most one retry per run).
//! - While it runs, the worker moves `heartbeat_at` ([`heartbeat`]); a run whose heartbeat
//!   is older than the configured limit is marked `died` by whoever looks
//!   ([`mark_died`]). Heartbeat and finish are fenced on `status = 'running'`: a worker
//!   that was declared dead cannot write a result over the verdict.
//! - A run's report is stored in two parts: `report`, what operators read (counts, the
//!   discrepancies that are not federal tax information, how many were withheld), and
//!   `fti_report`, the FTI discrepancies sealed with the data keys under
//!   `reconcile_runs:<id>:fti` ([`finish`], opened by [`fti_discrepancies`] for the
//!   `fti-reader` role). Reports of the offset job stored before migration 0020 held them
//!   in clear and were dropped by it (counts kept).
//!
//! Times are ms since the epoch, passed in by the caller.

use serde::Serialize;

use crate::reconcile::report::{Discrepancy, Findings};
use crate::store::sealing::place;
use crate::store::{Db, StoreError};
use crate::{on_db, on_read};

/// How a run was started.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Trigger {
    /// By the scheduler, for one tick.
    Scheduled,
    /// By an operator (CLI or API), including retries.
    Manual,
}

impl Trigger {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Trigger::Scheduled => "scheduled",
            Trigger::Manual => "manual",
        }
    }
}

/// A stored run.
#[derive(Clone, Debug, Serialize, sqlx::FromRow)]
#[serde(rename_all = "camelCase")]
pub struct Run {
    /// Run id.
    pub id: i64,
    /// Job name.
    pub job: String,
    /// `scheduled` or `manual`.
    pub triggered_by: String,
    /// The tick a scheduled run is for (ms since the epoch).
    pub scheduled_for: Option<i64>,
    /// `running`, `succeeded`, `failed` or `died`.
    pub status: String,
    /// A dry run only reports.
    pub dry_run: bool,
    /// Started at.
    pub started_at: i64,
    /// Finished (or declared dead) at.
    pub finished_at: Option<i64>,
    /// The instance that ran it.
    pub worker: String,
    /// Last sign of life.
    pub heartbeat_at: i64,
    /// How many discrepancies the run found (federal tax information included).
    pub discrepancies: Option<i64>,
    /// Counts, JSON text (see [`Run::findings`]).
    #[serde(skip)]
    pub counts: Option<String>,
    /// The report operators read, JSON text (see [`Run::findings`]).
    #[serde(skip)]
    pub report: Option<String>,
    /// The discrepancies that are federal tax information, sealed (see
    /// [`fti_discrepancies`]).
    #[serde(skip)]
    pub fti_report: Option<String>,
    /// Why it failed or died.
    pub error: Option<String>,
    /// The run this one retries.
    pub retry_of: Option<i64>,
}

impl Run {
    /// The stored report operators read, when the run finished: counts, the discrepancies
    /// that are not federal tax information, and how many were withheld.
    pub fn findings(&self) -> Option<Findings> {
        serde_json::from_str(self.report.as_deref()?).ok()
    }

    /// True for a run that may be retried.
    pub fn is_retryable(&self) -> bool {
        matches!(self.status.as_str(), "failed" | "died")
    }
}

const COLUMNS: &str = "id, job, triggered_by, scheduled_for, status, dry_run, started_at, \
     finished_at, worker, heartbeat_at, discrepancies, counts, report, fti_report, error, retry_of";

/// Claims tick `scheduled_for` of `job` for `worker`; `None` when another instance (or an
/// earlier pass of this one) already has it.
pub async fn claim_tick(
    db: &Db,
    job: &str,
    scheduled_for: i64,
    worker: &str,
    now: i64,
) -> Result<Option<i64>, StoreError> {
    let row: Option<(i64,)> = on_db!(db, c => {
        sqlx::query_as(
            "INSERT INTO reconcile_runs (job, triggered_by, scheduled_for, status, dry_run, \
             started_at, worker, heartbeat_at) VALUES ($1, 'scheduled', $2, 'running', FALSE, $3, $4, $3) \
             ON CONFLICT (job, scheduled_for) DO NOTHING RETURNING id",
        )
        .bind(job)
        .bind(scheduled_for)
        .bind(now)
        .bind(worker)
        .fetch_optional(c)
        .await?
    });
    Ok(row.map(|(id,)| id))
}

/// Records a manual run of `job` as running. With `retry_of`, only when that run failed
/// or died and has not been retried yet (`None` otherwise).
pub async fn start_manual(
    db: &Db,
    job: &str,
    dry_run: bool,
    worker: &str,
    retry_of: Option<i64>,
    now: i64,
) -> Result<Option<i64>, StoreError> {
    let row: Option<(i64,)> = match retry_of {
        None => on_db!(db, c => {
            sqlx::query_as(
                "INSERT INTO reconcile_runs (job, triggered_by, status, dry_run, started_at, \
                 worker, heartbeat_at) VALUES ($1, 'manual', 'running', $2, $3, $4, $3) RETURNING id",
            )
            .bind(job)
            .bind(dry_run)
            .bind(now)
            .bind(worker)
            .fetch_optional(c)
            .await?
        }),
        Some(original) => on_db!(db, c => {
            sqlx::query_as(
                "INSERT INTO reconcile_runs (job, triggered_by, status, dry_run, started_at, \
                 worker, heartbeat_at, retry_of) \
                 SELECT job, 'manual', 'running', dry_run, $1, $2, $1, id FROM reconcile_runs \
                 WHERE id = $3 AND status IN ('failed', 'died') \
                 ON CONFLICT DO NOTHING RETURNING id",
            )
            .bind(now)
            .bind(worker)
            .bind(original)
            .fetch_optional(c)
            .await?
        }),
    };
    Ok(row.map(|(id,)| id))
}

/// Moves the heartbeat of a running run; false when the run is no longer running (it was
/// declared dead).
pub async fn heartbeat(db: &Db, id: i64, now: i64) -> Result<bool, StoreError> {
    let changed = on_db!(db, c => {
        sqlx::query("UPDATE reconcile_runs SET heartbeat_at = $1 WHERE id = $2 AND status = 'running'")
            .bind(now)
            .bind(id)
            .execute(c)
            .await?
            .rows_affected()
    });
    Ok(changed == 1)
}

/// Records how a run ended: its findings, or the error that stopped it. False when the
/// run was no longer running (declared dead meanwhile): nothing is recorded.
///
/// The discrepancies that are federal tax information are split from the report and
/// sealed with the database's data keys; a handle without keys fails rather than store
/// them in clear.
pub async fn finish(
    db: &Db,
    id: i64,
    outcome: Result<&Findings, &str>,
    now: i64,
) -> Result<bool, StoreError> {
    let (status, discrepancies, counts, report, fti_report, error) = match outcome {
        Ok(findings) => {
            let total = findings.discrepancies.len() as i64;
            let (open, fti) = findings.clone().split_fti();
            let fti_report = if fti.is_empty() {
                None
            } else {
                let clear = serde_json::to_vec(&fti).unwrap_or_default();
                Some(db.sealer().seal(&clear, &place::reconcile_fti(id))?)
            };
            (
                "succeeded",
                Some(total),
                Some(serde_json::to_string(&open.counts).unwrap_or_default()),
                Some(serde_json::to_string(&open).unwrap_or_default()),
                fti_report,
                None,
            )
        }
        Err(error) => ("failed", None, None, None, None, Some(error)),
    };
    let changed = on_db!(db, c => {
        sqlx::query(
            "UPDATE reconcile_runs SET status = $1, finished_at = $2, heartbeat_at = $2, \
             discrepancies = $3, counts = $4, report = $5, fti_report = $6, error = $7 \
             WHERE id = $8 AND status = 'running'",
        )
        .bind(status)
        .bind(now)
        .bind(discrepancies)
        .bind(counts)
        .bind(report)
        .bind(fti_report)
        .bind(error)
        .bind(id)
        .execute(c)
        .await?
        .rows_affected()
    });
    Ok(changed == 1)
}

/// The discrepancies of `run` that are federal tax information, opened with the
/// database's data keys (none when the run withheld none). Callers serve them only to the
/// `fti-reader` role, after recording the read in the audit trail.
pub fn fti_discrepancies(db: &Db, run: &Run) -> Result<Vec<Discrepancy>, StoreError> {
    let Some(sealed) = run.fti_report.clone() else {
        return Ok(Vec::new());
    };
    let place = place::reconcile_fti(run.id);
    let clear = db.sealer().open_text(sealed, &place)?;
    serde_json::from_str(&clear)
        .map_err(|_| StoreError::Invalid(format!("{place} is not a list of discrepancies")))
}

/// Marks every running run whose heartbeat is older than `cutoff` as died; returns them.
pub async fn mark_died(db: &Db, cutoff: i64, now: i64) -> Result<Vec<Run>, StoreError> {
    let sql = format!(
        "UPDATE reconcile_runs SET status = 'died', finished_at = $1, \
         error = 'the worker stopped sending heartbeats (process ended or hung)' \
         WHERE status = 'running' AND heartbeat_at < $2 RETURNING {COLUMNS}"
    );
    Ok(on_db!(db, c => {
        sqlx::query_as::<_, Run>(sqlx::AssertSqlSafe(sql.as_str()))
            .bind(now)
            .bind(cutoff)
            .fetch_all(c)
            .await?
    }))
}

/// One run.
pub async fn get(db: &Db, id: i64) -> Result<Option<Run>, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM reconcile_runs WHERE id = $1");
    Ok(on_read!(db, c => {
        sqlx::query_as::<_, Run>(sqlx::AssertSqlSafe(sql.as_str()))
            .bind(id)
            .fetch_optional(c)
            .await?
    }))
}

/// The latest runs, newest first, of one job or all.
pub async fn list(db: &Db, job: Option<&str>, limit: i64) -> Result<Vec<Run>, StoreError> {
    let sql = format!(
        "SELECT {COLUMNS} FROM reconcile_runs WHERE ($1 IS NULL OR job = $1) ORDER BY id DESC LIMIT $2"
    );
    Ok(on_read!(db, c => {
        sqlx::query_as::<_, Run>(sqlx::AssertSqlSafe(sql.as_str()))
            .bind(job)
            .bind(limit.clamp(1, 10_000))
            .fetch_all(c)
            .await?
    }))
}

/// The latest run of each job that has one.
pub async fn last_per_job(db: &Db) -> Result<Vec<Run>, StoreError> {
    let sql = format!(
        "SELECT {COLUMNS} FROM reconcile_runs WHERE id IN \
         (SELECT MAX(id) FROM reconcile_runs GROUP BY job) ORDER BY job"
    );
    Ok(on_read!(db, c => {
        sqlx::query_as::<_, Run>(sqlx::AssertSqlSafe(sql.as_str()))
            .fetch_all(c)
            .await?
    }))
}

/// Discrepancies found by the latest finished (non-dry) run of each job, for the gauge.
pub async fn open_discrepancies(db: &Db) -> Result<Vec<(String, i64)>, StoreError> {
    Ok(on_read!(db, c => {
        sqlx::query_as(
            "SELECT job, COALESCE(discrepancies, 0) FROM reconcile_runs WHERE id IN \
             (SELECT MAX(id) FROM reconcile_runs WHERE status = 'succeeded' AND dry_run = FALSE GROUP BY job)",
        )
        .fetch_all(c)
        .await?
    }))
}

/// Deletes finished runs (with their reports) that ended before `cutoff`; running runs
/// stay. Returns how many were deleted.
pub async fn purge(db: &Db, cutoff: i64) -> Result<u64, StoreError> {
    Ok(on_db!(db, c => {
        sqlx::query("DELETE FROM reconcile_runs WHERE status <> 'running' AND finished_at < $1")
            .bind(cutoff)
            .execute(c)
            .await?
            .rows_affected()
    }))
}
