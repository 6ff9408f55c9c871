//! The operator API of reconciliation: jobs with their schedules and last runs, runs with
//! their reports (JSON, CSV), running a job now and retrying a failed or died run. Running
//! and retrying are audited.
//!
//! Operators read a run's status, counts and the discrepancies that are not federal tax
//! information; the FTI ones are withheld (the report says how many,
//! [`crate::reconcile::report`]). The `fti-reader` role reads the whole report at
//! `/fti/v1/reconcile/runs/{id}` (JSON) and `…/report.csv`, each read written to the audit
//! trail (`fti.read`, subject `reconcile-run:<id>`) before the answer leaves.

use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};

use crate::audit;
use crate::reconcile::jobs;
use crate::reconcile::report::Findings;
use crate::reconcile::runs::{self, Run};
use crate::reconcile::scheduler::{RunError, Runner, next_tick_of};
use crate::store::now_ms;
use crate::web::{ApiError, AppState, Bearer, FtiReaderRole, OperatorRoles};

/// The reconciliation routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/operator/v1/reconcile/jobs", get(list_jobs))
        .route("/operator/v1/reconcile/jobs/{job}/run", post(run_job))
        .route("/operator/v1/reconcile/runs", get(list_runs))
        .route("/operator/v1/reconcile/runs/{id}", get(show_run))
        .route(
            "/operator/v1/reconcile/runs/{id}/report.csv",
            get(report_csv),
        )
        .route("/operator/v1/reconcile/runs/{id}/retry", post(retry_run))
}

/// A runner for the API's manual runs.
pub fn runner(state: &AppState) -> Runner {
    Runner {
        db: state.db.clone(),
        settings: state.settings.clone(),
        lookup_key: state.lookup_key.clone(),
        data_keys: state.data_keys.clone(),
        dispatcher_wake: Some(state.dispatcher_wake.clone()),
        worker: state
            .settings
            .outbox
            .worker_id
            .clone()
            .unwrap_or_else(crate::outbox::dispatcher::default_worker_id),
        metrics: Some(state.metrics.clone()),
    }
}

/// A job, its schedule and its last run.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct JobView {
    /// Name.
    pub name: &'static str,
    /// What it compares.
    pub description: &'static str,
    /// Cron schedule, when scheduled.
    pub schedule: Option<String>,
    /// False when its schedule is switched off.
    pub enabled: bool,
    /// Next tick (ms since the epoch), when scheduled and enabled.
    pub next_run_at: Option<i64>,
    /// The latest run.
    pub last_run: Option<Run>,
}

/// Every job with its schedule and last run.
pub async fn job_views(
    db: &crate::store::Db,
    settings: &crate::config::Settings,
) -> Result<Vec<JobView>, crate::store::StoreError> {
    let last = runs::last_per_job(db).await?;
    Ok(jobs::all()
        .into_iter()
        .map(|job| {
            let configured = settings.reconcile.job(job.name());
            JobView {
                name: job.name(),
                description: job.description(),
                schedule: configured.schedule.clone(),
                enabled: configured.enabled,
                next_run_at: next_tick_of(settings, job.name()),
                last_run: last.iter().find(|r| r.job == job.name()).cloned(),
            }
        })
        .collect())
}

/// A run with its report.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RunView {
    /// The run.
    #[serde(flatten)]
    pub run: Run,
    /// Counts and discrepancies, when it finished: for operators without the discrepancies
    /// that are federal tax information (`report.ftiWithheld` says how many), for the
    /// `fti-reader` role with them.
    pub report: Option<Findings>,
    /// Where the `fti-reader` role reads the withheld discrepancies, when some were.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fti_report: Option<String>,
}

impl From<Run> for RunView {
    /// The operators' view: FTI withheld.
    fn from(run: Run) -> Self {
        let report = run.findings();
        let fti_report = report
            .as_ref()
            .filter(|r| r.fti_withheld > 0)
            .map(|_| format!("/fti/v1/reconcile/runs/{}", run.id));
        RunView {
            report,
            fti_report,
            run,
        }
    }
}

impl RunView {
    /// The `fti-reader`'s view: the report with its FTI discrepancies opened.
    pub fn with_fti(db: &crate::store::Db, run: Run) -> Result<RunView, crate::store::StoreError> {
        let fti = runs::fti_discrepancies(db, &run)?;
        Ok(RunView {
            report: run.findings().map(|report| report.with_fti(fti)),
            fti_report: None,
            run,
        })
    }
}

async fn list_jobs(
    State(state): State<AppState>,
    _: Bearer<OperatorRoles>,
) -> Result<impl IntoResponse, ApiError> {
    Ok(Json(job_views(&state.db, &state.settings).await?))
}

#[derive(Deserialize)]
struct RunsQuery {
    job: Option<String>,
    limit: Option<i64>,
}

async fn list_runs(
    State(state): State<AppState>,
    _: Bearer<OperatorRoles>,
    Query(query): Query<RunsQuery>,
) -> Result<impl IntoResponse, ApiError> {
    let limit = query.limit.unwrap_or(50).clamp(1, 1000);
    Ok(Json(
        runs::list(&state.db, query.job.as_deref(), limit).await?,
    ))
}

async fn find_run(state: &AppState, id: i64) -> Result<Run, ApiError> {
    runs::get(&state.db, id)
        .await?
        .ok_or_else(|| ApiError::not_found("no such run"))
}

async fn show_run(
    State(state): State<AppState>,
    _: Bearer<OperatorRoles>,
    Path(id): Path<i64>,
) -> Result<impl IntoResponse, ApiError> {
    Ok(Json(RunView::from(find_run(&state, id).await?)))
}

async fn report_csv(
    State(state): State<AppState>,
    _: Bearer<OperatorRoles>,
    Path(id): Path<i64>,
) -> Result<impl IntoResponse, ApiError> {
    let run = find_run(&state, id).await?;
    let findings = stored_report(&run)?;
    csv_response(&run, &findings)
}

fn stored_report(run: &Run) -> Result<Findings, ApiError> {
    run.findings().ok_or_else(|| {
        ApiError::new(
            StatusCode::CONFLICT,
            "No report",
            format!("run {} has no report (status {})", run.id, run.status),
        )
    })
}

fn csv_response(run: &Run, findings: &Findings) -> Result<impl IntoResponse + use<>, ApiError> {
    let id = run.id;
    let body = super::csv::report_csv(run, findings).map_err(|_| {
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "Report not written",
            "the report could not be written as CSV",
        )
    })?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!(
                    "attachment; filename=\"reconcile-{}-run-{id}.csv\"",
                    run.job
                ),
            ),
            (header::CACHE_CONTROL, "no-store".to_string()),
        ],
        body,
    ))
}

/// `GET /fti/v1/reconcile/runs/{id}` (`fti-reader`): the run with its whole report,
/// federal tax information included; the read is audited before the answer leaves.
pub async fn fti_show_run(
    State(state): State<AppState>,
    Bearer(holder, _): Bearer<FtiReaderRole>,
    Path(id): Path<i64>,
) -> Result<impl IntoResponse, ApiError> {
    let run = find_run(&state, id).await?;
    let view = RunView::with_fti(&state.db, run)?;
    crate::web::fti::audit_read(&state, &holder, &format!("reconcile-run:{id}")).await?;
    Ok(Json(view))
}

/// `GET /fti/v1/reconcile/runs/{id}/report.csv` (`fti-reader`): the whole report as CSV,
/// federal tax information included; the read is audited before the answer leaves.
pub async fn fti_report_csv(
    State(state): State<AppState>,
    Bearer(holder, _): Bearer<FtiReaderRole>,
    Path(id): Path<i64>,
) -> Result<impl IntoResponse, ApiError> {
    let run = find_run(&state, id).await?;
    let fti = runs::fti_discrepancies(&state.db, &run)?;
    let findings = stored_report(&run)?.with_fti(fti);
    let answer = csv_response(&run, &findings)?;
    crate::web::fti::audit_read(&state, &holder, &format!("reconcile-run:{id}")).await?;
    Ok(answer)
}

#[derive(Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct RunRequest {
    #[serde(default)]
    dry_run: bool,
}

fn run_error(error: RunError) -> ApiError {
    match error {
        RunError::UnknownJob(_) => ApiError::not_found("no such job"),
        RunError::UnknownRun(_) => ApiError::not_found("no such run"),
        RunError::NotRetryable(_) => {
            ApiError::new(StatusCode::CONFLICT, "Not retryable", error.to_string())
        }
        RunError::Store(e) => e.into(),
    }
}

async fn audit_run(
    state: &AppState,
    actor: &str,
    action: &str,
    subject: &str,
    run: &Run,
) -> Result<(), ApiError> {
    let mut tx = state.db.begin().await?;
    audit::append(
        &mut tx,
        &audit::NewEntry {
            actor,
            action,
            subject,
            reason: None,
            details: serde_json::json!({
                "run": run.id,
                "job": run.job,
                "dryRun": run.dry_run,
                "status": run.status,
                "discrepancies": run.discrepancies,
                "retryOf": run.retry_of,
            }),
        },
        now_ms(),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// `POST /operator/v1/reconcile/jobs/{job}/run` with an optional `{"dryRun": true}`:
/// runs the job now and answers with the run and its report.
async fn run_job(
    State(state): State<AppState>,
    Bearer(holder, _): Bearer<OperatorRoles>,
    Path(job): Path<String>,
    body: axum::body::Bytes,
) -> Result<impl IntoResponse, ApiError> {
    let request: RunRequest = if body.iter().all(u8::is_ascii_whitespace) {
        RunRequest::default()
    } else {
        serde_json::from_slice(&body)
            .map_err(|_| ApiError::bad_request("the body must be {\"dryRun\": true|false}"))?
    };
    if jobs::by_name(&job).is_none() {
        return Err(ApiError::not_found("no such job"));
    }
    let run = runner(&state)
        .run_now(&job, request.dry_run)
        .await
        .map_err(run_error)?;
    audit_run(
        &state,
        &holder.actor(),
        "reconcile.run",
        &format!("job:{job}"),
        &run,
    )
    .await?;
    Ok(Json(RunView::from(run)))
}

/// `POST /operator/v1/reconcile/runs/{id}/retry`: runs a failed or died run's job again.
async fn retry_run(
    State(state): State<AppState>,
    Bearer(holder, _): Bearer<OperatorRoles>,
    Path(id): Path<i64>,
) -> Result<impl IntoResponse, ApiError> {
    let run = runner(&state).retry(id).await.map_err(run_error)?;
    audit_run(
        &state,
        &holder.actor(),
        "reconcile.retry",
        &format!("run:{id}"),
        &run,
    )
    .await?;
    Ok(Json(RunView::from(run)))
}
