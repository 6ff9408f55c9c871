//! Reconciliation (`/reconciliation`, `/reconciliation/runs/{id}` and its CSV report).

use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use maud::html;

use super::view::{Viewer, page, when};
use super::{Operator, html_page};
use crate::web::{ApiError, AppState};

pub(super) async fn reconciliation(
    State(state): State<AppState>,
    Operator(session): Operator,
) -> Response {
    use crate::reconcile::{jobs, runs, scheduler};
    let (last, recent) = match tokio::try_join!(
        runs::last_per_job(&state.db),
        runs::list(&state.db, None, 100)
    ) {
        Ok(found) => found,
        Err(error) => return ApiError::from(error).into_response(),
    };
    let viewer = Viewer {
        name: &session.holder,
        csrf: &session.csrf,
    };
    let content = html! {
        p { "Each job compares what we sent or hold with what partners acknowledged, hold or paid. "
            "A discrepancy says what is wrong, where, since when and what to do." }
        h2 { "Jobs" }
        table id="jobs" {
            thead { tr { th { "Job" } th { "What it checks" } th { "Schedule (UTC)" } th { "Next run" } th { "Last run" } th.num { "Discrepancies" } } }
            tbody {
                @for job in jobs::all() {
                    @let settings = state.settings.reconcile.job(job.name());
                    @let latest = last.iter().find(|run| run.job == job.name());
                    tr data-job=(job.name()) {
                        td { strong { (job.name()) } }
                        td { (job.description()) }
                        td { code { (settings.schedule.as_deref().unwrap_or("by hand only")) } }
                        td { (when(scheduler::next_tick_of(&state.settings, job.name()))) }
                        td {
                            @if let Some(run) = latest {
                                a href=(format!("/reconciliation/runs/{}", run.id)) { (run.status) ", " (when(Some(run.started_at))) }
                            } @else { "never" }
                        }
                        td.num { (latest.and_then(|run| run.discrepancies).map_or("—".to_string(), |n| n.to_string())) }
                    }
                }
            }
        }
        h2 { "Recent runs" }
        @if recent.is_empty() {
            p { "No run yet." }
        } @else {
            table id="runs" {
                thead { tr { th.num { "Run" } th { "Job" } th { "Trigger" } th { "Status" } th { "Started" } th { "Finished" } th.num { "Discrepancies" } } }
                tbody {
                    @for run in &recent {
                        tr {
                            td.num { a href=(format!("/reconciliation/runs/{}", run.id)) { (run.id) } }
                            td { (run.job) }
                            td { (run.triggered_by) @if run.dry_run { " (dry run)" } }
                            td { (run.status) }
                            td { (when(Some(run.started_at))) }
                            td { (when(run.finished_at)) }
                            td.num { (run.discrepancies.map_or("—".to_string(), |n| n.to_string())) }
                        }
                    }
                }
            }
        }
    };
    html_page(
        StatusCode::OK,
        page(
            "Reconciliation",
            "/reconciliation",
            Some(&viewer),
            None,
            content,
        ),
    )
}

pub(super) async fn reconciliation_run(
    State(state): State<AppState>,
    Operator(session): Operator,
    Path(id): Path<i64>,
) -> Response {
    let run = match crate::reconcile::runs::get(&state.db, id).await {
        Ok(run) => run,
        Err(error) => return ApiError::from(error).into_response(),
    };
    let viewer = Viewer {
        name: &session.holder,
        csrf: &session.csrf,
    };
    let Some(run) = run else {
        let content = html! { p { "There is no run " (id) "." } p { a href="/reconciliation" { "All runs" } } };
        return html_page(
            StatusCode::NOT_FOUND,
            page(
                "Run not found",
                "/reconciliation",
                Some(&viewer),
                None,
                content,
            ),
        );
    };
    let findings = run.findings().unwrap_or_default();
    let content = html! {
        table {
            tbody {
                tr { th { "Job" } td { (run.job) } }
                tr { th { "Status" } td { (run.status) @if run.dry_run { " (dry run: nothing was changed)" } } }
                tr { th { "Started" } td { (when(Some(run.started_at))) " by " (run.worker) " (" (run.triggered_by) ")" } }
                tr { th { "Finished" } td { (when(run.finished_at)) } }
                @if let Some(error) = &run.error { tr { th { "Error" } td { (error) } } }
                @for (name, count) in &findings.counts { tr { th { (name) } td { (count) } } }
            }
        }
        h2 { "Discrepancies (" (findings.discrepancies.len() + findings.fti_withheld) ")" }
        @if findings.fti_withheld > 0 {
            p id="fti-withheld" {
                (findings.fti_withheld) " of them are federal tax information and are not shown here. "
                "The fti-reader role reads them, each read recorded in the audit trail: "
                code { "GET /fti/v1/reconcile/runs/" (run.id) } " (or " code { "…/report.csv" } ")."
            }
        }
        @if findings.discrepancies.is_empty() {
            @if findings.fti_withheld == 0 { p { "None: everything reconciles." } }
        } @else {
            p { a href=(format!("/reconciliation/runs/{}/report.csv", run.id)) download { "Download the report as CSV" } }
            table id="discrepancies" {
                thead { tr { th { "Code" } th { "What" } th { "Partner" } th { "Reference" } th { "Case" } th { "Person" } th { "Since" } th { "Action" } } }
                tbody {
                    @for d in &findings.discrepancies {
                        tr {
                            td { code { (d.code) } }
                            td { (d.what) }
                            td { (d.partner.as_deref().unwrap_or("—")) }
                            td { (d.reference.as_deref().unwrap_or("—")) }
                            td { (d.case_id.as_deref().unwrap_or("—")) }
                            td { (d.person.as_deref().unwrap_or("—")) }
                            td { (when(d.since)) }
                            td { (d.action) @if d.action_taken { " (done)" } }
                        }
                    }
                }
            }
        }
        p { a href="/reconciliation" { "All runs" } }
    };
    html_page(
        StatusCode::OK,
        page(
            &format!("Run {id}"),
            "/reconciliation",
            Some(&viewer),
            None,
            content,
        ),
    )
}

pub(super) async fn reconciliation_csv(
    State(state): State<AppState>,
    Operator(_): Operator,
    Path(id): Path<i64>,
) -> Response {
    let run = match crate::reconcile::runs::get(&state.db, id).await {
        Ok(Some(run)) => run,
        Ok(None) => return ApiError::not_found("no such run").into_response(),
        Err(error) => return ApiError::from(error).into_response(),
    };
    let findings = run.findings().unwrap_or_default();
    match crate::reconcile::csv::report_csv(&run, &findings) {
        Ok(bytes) => (
            [
                (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
                (
                    header::CONTENT_DISPOSITION,
                    format!(
                        "attachment; filename=\"reconciliation-{}-{id}.csv\"",
                        run.job
                    ),
                ),
            ],
            bytes,
        )
            .into_response(),
        Err(_) => ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "Report unavailable",
            "the report could not be written as CSV",
        )
        .into_response(),
    }
}
