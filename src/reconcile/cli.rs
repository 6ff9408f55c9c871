//! `ivd-gateway reconcile`: run one job now and print its report, list the jobs with
//! their schedules and last runs, or retry a failed or died run. The printed report is the
//! operators' one: discrepancies that are federal tax information are counted, not printed.
//!
//! Exit status of a run: 0 the job ran and found nothing, 1 it ran and found
//! discrepancies, 2 it could not run (unknown job, the job failed, the database failed).

use anyhow::Context;

use crate::audit;
use crate::config::Settings;
use crate::reconcile::runs::Run;
use crate::reconcile::scheduler::{RunError, Runner};
use crate::store::{Db, now_ms};

/// What `reconcile` was asked to do.
#[derive(Clone, Debug)]
pub enum Request {
    /// List jobs, schedules and last runs.
    List {
        /// JSON output.
        json: bool,
    },
    /// Run a job now.
    Run {
        /// Job name.
        job: String,
        /// Report only.
        dry_run: bool,
        /// JSON output.
        json: bool,
    },
    /// Retry a failed or died run.
    Retry {
        /// Run id.
        run: i64,
        /// JSON output.
        json: bool,
    },
}

fn time_text(ms: Option<i64>) -> String {
    ms.and_then(crate::store::rfc3339_of_ms)
        .unwrap_or_else(|| "-".to_string())
}

/// Runs the request; returns the exit code.
pub async fn run(settings: Settings, db: Db, actor: &str, request: Request) -> anyhow::Result<i32> {
    let settings = std::sync::Arc::new(settings);
    match request {
        Request::List { json } => {
            let views = super::web::job_views(&db, &settings).await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&views)?);
                return Ok(0);
            }
            println!(
                "{:<20} {:<22} {:<21} {:<10} {:<21} {:>13}",
                "JOB", "SCHEDULE (UTC)", "NEXT RUN", "LAST RUN", "LAST STARTED", "DISCREPANCIES"
            );
            for view in &views {
                let schedule = match (&view.schedule, view.enabled) {
                    (Some(s), true) => s.clone(),
                    (Some(s), false) => format!("{s} (off)"),
                    (None, _) => "by hand".to_string(),
                };
                let last = view.last_run.as_ref();
                println!(
                    "{:<20} {:<22} {:<21} {:<10} {:<21} {:>13}",
                    view.name,
                    schedule,
                    time_text(view.next_run_at),
                    last.map_or("never".to_string(), |r| r.status.clone()),
                    time_text(last.map(|r| r.started_at)),
                    last.and_then(|r| r.discrepancies)
                        .map_or("-".to_string(), |n| n.to_string()),
                );
                println!("{:<20} {}", "", view.description);
            }
            Ok(0)
        }
        Request::Run { job, dry_run, json } => {
            let runner = runner(&settings, &db)?;
            let outcome = runner.run_now(&job, dry_run).await;
            finish(
                &db,
                actor,
                "reconcile.run",
                &format!("job:{job}"),
                outcome,
                json,
            )
            .await
        }
        Request::Retry { run, json } => {
            let runner = runner(&settings, &db)?;
            let outcome = runner.retry(run).await;
            finish(
                &db,
                actor,
                "reconcile.retry",
                &format!("run:{run}"),
                outcome,
                json,
            )
            .await
        }
    }
}

fn runner(settings: &std::sync::Arc<Settings>, db: &Db) -> anyhow::Result<Runner> {
    let lookup_key = settings
        .privacy
        .lookup_key()
        .context("loading the look-up key (privacy.lookup_key or privacy.lookup_key_file)")?;
    let data_keys = db
        .sealer()
        .keys()
        .cloned()
        .context("the database has no data keys attached (privacy.data_key_dir)")?;
    Ok(Runner {
        db: db.clone(),
        settings: settings.clone(),
        lookup_key,
        data_keys,
        dispatcher_wake: None,
        worker: format!("cli-{}", std::process::id()),
        metrics: None,
    })
}

async fn finish(
    db: &Db,
    actor: &str,
    action: &str,
    subject: &str,
    outcome: Result<Run, RunError>,
    json: bool,
) -> anyhow::Result<i32> {
    let run = match outcome {
        Ok(run) => run,
        Err(error) => {
            eprintln!("error: {error}");
            return Ok(2);
        }
    };
    let mut tx = db.begin().await?;
    audit::append(
        &mut tx,
        &audit::NewEntry {
            actor,
            action,
            subject,
            reason: None,
            details: serde_json::json!({
                "run": run.id, "job": run.job, "dryRun": run.dry_run,
                "status": run.status, "discrepancies": run.discrepancies, "retryOf": run.retry_of,
            }),
        },
        now_ms(),
    )
    .await?;
    tx.commit().await?;
    let findings = run.findings();
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(&super::web::RunView::from(run.clone()))?
        );
    } else {
        print_report(&run, findings.as_ref());
    }
    Ok(match (run.status.as_str(), findings) {
        ("succeeded", Some(f)) if f.discrepancies.is_empty() && f.fti_withheld == 0 => 0,
        ("succeeded", Some(_)) => 1,
        _ => 2,
    })
}

fn print_report(run: &Run, findings: Option<&super::report::Findings>) {
    println!(
        "Run {} of {}{}: {}.",
        run.id,
        run.job,
        if run.dry_run { " (dry run)" } else { "" },
        run.status
    );
    if let Some(error) = &run.error {
        println!("Error: {error}");
    }
    let Some(findings) = findings else { return };
    let counts: Vec<String> = findings
        .counts
        .iter()
        .map(|(name, n)| format!("{name}={n}"))
        .collect();
    println!("Counts: {}", counts.join(" "));
    if findings.fti_withheld > 0 {
        println!(
            "{} discrepancy(ies) are federal tax information and are not printed: the fti-reader role reads them (audited) at GET /fti/v1/reconcile/runs/{}.",
            findings.fti_withheld, run.id
        );
    }
    if findings.discrepancies.is_empty() {
        if findings.fti_withheld == 0 {
            println!("No discrepancies.");
        }
        return;
    }
    println!(
        "{:<24} {:<14} {:<16} {:<16} {:<21} {:<6} WHAT / ACTION",
        "CODE", "PARTNER", "REFERENCE", "CASE", "SINCE", "TAKEN"
    );
    for d in &findings.discrepancies {
        println!(
            "{:<24} {:<14} {:<16} {:<16} {:<21} {:<6} {}",
            d.code,
            d.partner.as_deref().unwrap_or("-"),
            d.reference.as_deref().unwrap_or("-"),
            d.case_id.as_deref().unwrap_or("-"),
            time_text(d.since),
            if d.action_taken { "yes" } else { "no" },
            d.what
        );
        println!("{:<24} -> {}", "", d.action);
    }
    println!("{} discrepancy(ies).", findings.discrepancies.len());
}
