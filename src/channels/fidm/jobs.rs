//! FIDM: every inquiry file answered, every all-accounts file finished, every levy
//! candidate still about a case we hold.
//!
//! What it reads (never changes): `fidm_inquiries` (Method 2 inquiry runs and how many
//! match files answered each), `fidm_account_files` (Method 1 files in progress),
//! `fidm_matches` (levy candidates) against `cases`, and the outbox state of each inquiry
//! file. Codes:
//!
//! | code | meaning |
//! |---|---|
//! | `FIDM_INQUIRY_UNANSWERED` | the latest inquiry run of a month has no match file after `answer_within_days` |
//! | `FIDM_INQUIRY_UNDELIVERED` | the inquiry file was dead-lettered: it never reached the partner |
//! | `FIDM_ACCOUNTS_STALLED` | an all-accounts file is still being processed after `stalled_after_hours` |
//! | `FIDM_MATCH_UNKNOWN_CASE` | a levy candidate names a case the gateway no longer holds |
//!
//! Whether the state system acted on a levy candidate is not recorded by the gateway, so
//! "matches not acted on" is limited to candidates that can no longer be acted on.

use serde::{Deserialize, Serialize};

use crate::on_read;
use crate::reconcile::report::{Discrepancy, Findings, Job, JobContext, JobError};
use crate::store::{Db, StoreError};

const HOUR_MS: i64 = 3_600_000;
const DAY_MS: i64 = 86_400_000;

/// Thresholds of the FIDM job.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FidmJobSettings {
    /// An inquiry run with no match file after this many days is reported (institutions
    /// answer within the month; 45 leaves room for a late file).
    pub answer_within_days: i64,
    /// An all-accounts file still processing after this many hours is reported.
    pub stalled_after_hours: i64,
}

impl Default for FidmJobSettings {
    fn default() -> Self {
        FidmJobSettings {
            answer_within_days: 45,
            stalled_after_hours: 24,
        }
    }
}

/// The `fidm` job.
#[derive(Clone, Copy, Debug, Default)]
pub struct Fidm;

#[async_trait::async_trait]
impl Job for Fidm {
    fn name(&self) -> &'static str {
        "fidm"
    }

    fn description(&self) -> &'static str {
        "Every FIDM inquiry file answered by a match file, every all-accounts file finished, every levy candidate about a case we hold."
    }

    fn check_parameters(
        &self,
        parameters: &std::collections::BTreeMap<String, serde_json::Value>,
    ) -> Result<(), String> {
        crate::reconcile::settings::parameters::<FidmJobSettings>(parameters).map(|_| ())
    }

    async fn run(&self, context: &JobContext) -> Result<Findings, JobError> {
        let settings: FidmJobSettings = context.parameters(self.name())?;
        self.run_with(context, &settings).await
    }
}

impl Fidm {
    /// Runs with explicit thresholds. Only reads: a dry run and a real run are the same.
    pub async fn run_with(
        &self,
        context: &JobContext,
        settings: &FidmJobSettings,
    ) -> Result<Findings, JobError> {
        let mut findings = Findings::default();
        inquiries(&context.db, context.now, settings, &mut findings).await?;
        account_files(&context.db, context.now, settings, &mut findings).await?;
        matches(&context.db, &mut findings).await?;
        Ok(findings)
    }
}

type InquiryRow = (i64, String, String, i64, i64, Option<String>);

async fn inquiries(
    db: &Db,
    now: i64,
    settings: &FidmJobSettings,
    findings: &mut Findings,
) -> Result<(), StoreError> {
    // Only the latest run of each month: an answer is credited to it (see
    // `channels::fidm::inquiry::note_answer`), an earlier run of the month is superseded.
    let rows: Vec<InquiryRow> = on_read!(db, c => {
        sqlx::query_as(
            "SELECT i.run_number, i.partner, i.year_month, i.created_at, i.answers, m.state \
             FROM fidm_inquiries i LEFT JOIN outbox_messages m ON m.id = i.message_id \
             WHERE i.run_number = (SELECT MAX(j.run_number) FROM fidm_inquiries j WHERE j.year_month = i.year_month) \
             ORDER BY i.run_number",
        )
        .fetch_all(c)
        .await?
    });
    findings.count("inquiryRuns", rows.len() as i64);
    let cutoff = now - settings.answer_within_days * DAY_MS;
    for (run, partner, year_month, created_at, answers, state) in rows {
        let reference = format!("fidm-inquiry-{run}");
        if state.as_deref() == Some("dead") {
            findings.push(
                Discrepancy::new(
                    "FIDM_INQUIRY_UNDELIVERED",
                    format!("The inquiry file of {year_month} (run {run}) was dead-lettered: it never reached the partner."),
                    "Fix the partner's transport and redeliver the message.",
                )
                .partner(&partner)
                .reference(&reference)
                .since(created_at),
            );
        } else if answers == 0 && created_at <= cutoff {
            findings.count("unanswered", 1);
            findings.push(
                Discrepancy::new(
                    "FIDM_INQUIRY_UNANSWERED",
                    format!(
                        "No match file answered the inquiry file of {year_month} (run {run}) after {} days.",
                        settings.answer_within_days
                    ),
                    "Ask the institution or its service bureau for the match file.",
                )
                .partner(&partner)
                .reference(&reference)
                .since(created_at),
            );
        }
    }
    Ok(())
}

async fn account_files(
    db: &Db,
    now: i64,
    settings: &FidmJobSettings,
    findings: &mut Findings,
) -> Result<(), StoreError> {
    let cutoff = now - settings.stalled_after_hours * HOUR_MS;
    let rows: Vec<(String, String, i64, i64)> = on_read!(db, c => {
        sqlx::query_as(
            "SELECT receipt_id, partner, records_done, received_at FROM fidm_account_files \
             WHERE state = 'processing' AND received_at <= $1 ORDER BY received_at, receipt_id",
        )
        .bind(cutoff)
        .fetch_all(c)
        .await?
    });
    for (receipt_id, partner, done, received_at) in rows {
        findings.push(
            Discrepancy::new(
                "FIDM_ACCOUNTS_STALLED",
                format!(
                    "An all-accounts file is still being processed after {} hours ({done} record(s) done).",
                    settings.stalled_after_hours
                ),
                "Check the gateway's log; a restart resumes the file from its checkpoint.",
            )
            .partner(&partner)
            .reference(&receipt_id)
            .since(received_at),
        );
    }
    Ok(())
}

async fn matches(db: &Db, findings: &mut Findings) -> Result<(), StoreError> {
    let (total,): (i64,) = on_read!(db, c => {
        sqlx::query_as("SELECT COUNT(*) FROM fidm_matches")
            .fetch_one(c)
            .await?
    });
    findings.count("levyCandidates", total);
    let rows: Vec<(String, String, i64, String, i64)> = on_read!(db, c => {
        sqlx::query_as(
            "SELECT m.case_id, m.receipt_id, m.record_no, m.year_month, m.created_at FROM fidm_matches m \
             LEFT JOIN cases c ON c.case_id = m.case_id WHERE c.case_id IS NULL \
             ORDER BY m.case_id, m.receipt_id, m.record_no",
        )
        .fetch_all(c)
        .await?
    });
    for (case_id, receipt_id, record_no, year_month, created_at) in rows {
        findings.push(
            Discrepancy::new(
                "FIDM_MATCH_UNKNOWN_CASE",
                format!("A levy candidate of {year_month} names a case the gateway no longer holds."),
                "Check the case in the state system; the match cannot be acted on through the gateway.",
            )
            .reference(format!("{receipt_id}/{record_no}"))
            .case_id(&case_id)
            .since(created_at),
        );
    }
    Ok(())
}
