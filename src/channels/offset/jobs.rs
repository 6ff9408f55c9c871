//! Tax refund offset certification: the weekly cycle run on the job's schedule, then its
//! outcome against what OCSE holds.
//!
//! **Action.** Unless it is a dry run, the job first runs the certification cycle
//! ([`OffsetExchange::run_cycle`]: the changes since the last cycle go out in one file
//! through the outbox). A dry run only counts what the cycle would send. The gateway's
//! own timer (`offset.cycle_interval_secs`) is left in place; both use the same cycle,
//! which sends nothing when nothing changed, so running both is harmless.
//!
//! **Report.** Federal tax information is opened only to mask a person (`***-**-6789`)
//! and name the case; amounts are never in a report. Every discrepancy about a person is
//! still FTI (who is certified, rejected or paid) and is marked so
//! ([`Discrepancy::fti`]): stored sealed apart from the report and read by the
//! `fti-reader` role only, each read audited (see [`crate::reconcile::report`]). The two
//! about files are not, so operators see them and fix the transport. Counts are kept for
//! every code. Codes:
//!
//! | code | meaning | FTI |
//! |---|---|---|
//! | `OFFSET_CYCLE_UNDELIVERED` | a submission file was dead-lettered: OCSE never got it | no |
//! | `OFFSET_CYCLE_UNCONFIRMED` | no OCSE reconciliation file has come since a cycle older than `confirm_within_days` | no |
//! | `OFFSET_REJECT_UNRESOLVED` | OCSE rejected a submission and no later submission for that person and case type was accepted | yes |
//! | `OFFSET_MISSING_AT_FEDERAL` / `OFFSET_MISSING_AT_STATE` / `OFFSET_AMOUNT_DIFFERS` / `OFFSET_CASE_ID_DIFFERS` / `OFFSET_NAME_DIFFERS` / `OFFSET_EXCLUSIONS_DIFFER` | a difference between our certified state and OCSE's latest reconciliation file (corrections went out when the file was taken in) | yes |
//! | `OFFSET_COLLECTION_UNMATCHED` | an offset collection names no case the gateway holds, so it cannot be applied | yes |

use serde::{Deserialize, Serialize};

use crate::channels::offset::OffsetExchange;
use crate::on_read;
use crate::reconcile::report::{Discrepancy, Findings, Job, JobContext, JobError};
use crate::store::StoreError;

const DAY_MS: i64 = 86_400_000;

/// Thresholds of the offset job.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct OffsetJobSettings {
    /// Run the certification cycle before reporting (not in a dry run).
    pub run_cycle: bool,
    /// A cycle older than this many days with no reconciliation file since is reported
    /// (OCSE sends the reconciliation file monthly).
    pub confirm_within_days: i64,
}

impl Default for OffsetJobSettings {
    fn default() -> Self {
        OffsetJobSettings {
            run_cycle: true,
            confirm_within_days: 35,
        }
    }
}

/// The `offset` job.
#[derive(Clone, Copy, Debug, Default)]
pub struct Offset;

#[async_trait::async_trait]
impl Job for Offset {
    fn name(&self) -> &'static str {
        "offset"
    }

    fn description(&self) -> &'static str {
        "Runs the tax refund offset certification cycle, then compares what was certified with OCSE's rejects, reconciliation file and collections."
    }

    fn check_parameters(
        &self,
        parameters: &std::collections::BTreeMap<String, serde_json::Value>,
    ) -> Result<(), String> {
        crate::reconcile::settings::parameters::<OffsetJobSettings>(parameters).map(|_| ())
    }

    async fn run(&self, context: &JobContext) -> Result<Findings, JobError> {
        let settings: OffsetJobSettings = context.parameters(self.name())?;
        self.run_with(context, &settings).await
    }
}

impl Offset {
    /// Runs with explicit settings.
    pub async fn run_with(
        &self,
        context: &JobContext,
        settings: &OffsetJobSettings,
    ) -> Result<Findings, JobError> {
        let exchange = OffsetExchange {
            db: context.db.clone(),
            settings: context.settings.clone(),
            key: context.lookup_key.clone(),
            sealer: context.data_keys.clone(),
        };
        let mut findings = Findings::default();
        if settings.run_cycle && context.settings.offset.partner.is_some() {
            cycle(&exchange, context, &mut findings).await?;
        }
        cycles(context, settings, &mut findings).await?;
        rejects(context, &mut findings).await?;
        reconciliation(context, &mut findings).await?;
        collections(context, &mut findings).await?;
        Ok(findings)
    }
}

async fn cycle(
    exchange: &OffsetExchange,
    context: &JobContext,
    findings: &mut Findings,
) -> Result<(), StoreError> {
    if context.dry_run {
        // What the cycle would send; the transaction is rolled back (dropped).
        let mut tx = context.db.begin().await?;
        let desired = exchange.desired(&mut tx).await?;
        let certified = exchange.certified(&mut tx).await?;
        let thresholds = ivd_offset::Thresholds {
            tanf_dollars: context.settings.offset.tanf_threshold,
            non_tanf_dollars: context.settings.offset.non_tanf_threshold,
        };
        let plan = ivd_offset::plan_cycle(&desired, &certified, &thresholds);
        findings.count("cycleWouldSubmit", plan.len() as i64);
        return Ok(());
    }
    match exchange.run_cycle(context.now).await? {
        Some(report) => {
            findings.count("cycleSent", 1);
            findings.count(
                "cycleSubmissions",
                report.transactions.values().sum::<usize>() as i64,
            );
            if let Some(wake) = &context.dispatcher_wake {
                wake.notify_one();
            }
        }
        None => findings.count("cycleSent", 0),
    }
    Ok(())
}

fn open<T: serde::de::DeserializeOwned>(
    context: &JobContext,
    sealed: &str,
    place: &str,
) -> Result<T, StoreError> {
    let clear = context
        .data_keys
        .open(sealed, place)
        .map_err(|e| StoreError::Invalid(format!("sealed offset data does not open: {e}")))?;
    serde_json::from_slice(&clear)
        .map_err(|_| StoreError::Invalid("sealed offset data is not a record".into()))
}

async fn cycles(
    context: &JobContext,
    settings: &OffsetJobSettings,
    findings: &mut Findings,
) -> Result<(), StoreError> {
    let db = &context.db;
    let (last_reconciliation,): (Option<i64>,) = on_read!(db, c => {
        sqlx::query_as("SELECT MAX(created_at) FROM offset_reconciliations")
            .fetch_one(c)
            .await?
    });
    let rows: Vec<(i64, i64, Option<String>, Option<String>)> = on_read!(db, c => {
        sqlx::query_as(
            "SELECT y.cycle, y.created_at, m.partner, m.state FROM offset_cycles y \
             LEFT JOIN outbox_messages m ON m.id = y.message_id ORDER BY y.cycle",
        )
        .fetch_all(c)
        .await?
    });
    findings.count("cycles", rows.len() as i64);
    let cutoff = context.now - settings.confirm_within_days * DAY_MS;
    for (cycle, created_at, partner, state) in rows {
        let reference = format!("offset-cycle-{cycle}");
        let with_partner = |d: Discrepancy| match &partner {
            Some(p) => d.partner(p),
            None => d,
        };
        if state.as_deref() == Some("dead") {
            findings.push(with_partner(
                Discrepancy::new(
                    "OFFSET_CYCLE_UNDELIVERED",
                    format!(
                        "The submission file of cycle {cycle} was dead-lettered: OCSE never got it."
                    ),
                    "Fix the transport to OCSE and redeliver the message.",
                )
                .reference(&reference)
                .since(created_at),
            ));
        } else if created_at <= cutoff && last_reconciliation.is_none_or(|r| r < created_at) {
            findings.push(with_partner(
                Discrepancy::new(
                    "OFFSET_CYCLE_UNCONFIRMED",
                    format!(
                        "No OCSE reconciliation file has come in since cycle {cycle}, {} or more days ago.",
                        settings.confirm_within_days
                    ),
                    "Ask OCSE for the case reconciliation file; check the pick-up directory.",
                )
                .reference(&reference)
                .since(created_at),
            ));
        }
    }
    Ok(())
}

async fn rejects(context: &JobContext, findings: &mut Findings) -> Result<(), StoreError> {
    let db = &context.db;
    // A reject is resolved by any later submission for the same person and case type
    // that OCSE did not reject.
    let rows: Vec<(i64, i64, String, String, i64)> = on_read!(db, c => {
        sqlx::query_as(
            "SELECT s.cycle, s.seq, s.transaction_type, s.sealed, y.created_at FROM offset_submissions s \
             JOIN offset_cycles y ON y.cycle = s.cycle \
             WHERE s.status = 'rejected' AND NOT EXISTS ( \
               SELECT 1 FROM offset_submissions t WHERE t.ssn_hash = s.ssn_hash AND t.case_type = s.case_type \
               AND t.cycle > s.cycle AND t.status <> 'rejected') \
             ORDER BY s.cycle, s.seq",
        )
        .fetch_all(c)
        .await?
    });
    findings.count("rejectsUnresolved", rows.len() as i64);
    for (cycle, seq, transaction, sealed, created_at) in rows {
        let (submission, _before): (ivd_offset::Submission, Option<ivd_offset::Certification>) =
            open(
                context,
                &sealed,
                &format!("offset-submission:{cycle}:{seq}"),
            )?;
        let key = submission.key();
        let mut d = Discrepancy::new(
            "OFFSET_REJECT_UNRESOLVED",
            format!(
                "OCSE rejected the {transaction} submission of cycle {cycle} ({} case type) and nothing since was accepted.",
                key.case_type.code()
            ),
            "Correct the case in the state system; the next cycle submits it again.",
        )
        .reference(format!("offset-cycle-{cycle}/{seq}"))
        .person(key.ssn.to_string())
        .since(created_at)
        .fti();
        let case_id = submission.certification.case_id.trim();
        if !case_id.is_empty() {
            d = d.case_id(case_id);
        }
        findings.push(d);
    }
    Ok(())
}

fn difference_code(kind: &ivd_offset::DiscrepancyKind) -> (&'static str, &'static str) {
    use ivd_offset::DiscrepancyKind as K;
    match kind {
        K::MissingAtFederal => (
            "OFFSET_MISSING_AT_FEDERAL",
            "We hold it as certified; OCSE does not have it.",
        ),
        K::MissingAtState => (
            "OFFSET_MISSING_AT_STATE",
            "OCSE has it certified; we do not.",
        ),
        K::AmountDiffers { .. } => (
            "OFFSET_AMOUNT_DIFFERS",
            "Our certified amount and OCSE's differ.",
        ),
        K::CaseIdDiffers => ("OFFSET_CASE_ID_DIFFERS", "The case ids differ."),
        K::NameDiffers => ("OFFSET_NAME_DIFFERS", "The names differ."),
        K::ExclusionsDiffer => ("OFFSET_EXCLUSIONS_DIFFER", "The exclusions differ."),
        _ => ("OFFSET_DIFFERS", "Our certification and OCSE's differ."),
    }
}

async fn reconciliation(context: &JobContext, findings: &mut Findings) -> Result<(), StoreError> {
    let db = &context.db;
    let latest: Option<(i64, String, String, i64)> = on_read!(db, c => {
        sqlx::query_as(
            "SELECT run, receipt_id, sealed, created_at FROM offset_reconciliations ORDER BY run DESC LIMIT 1",
        )
        .fetch_optional(c)
        .await?
    });
    let Some((run, receipt_id, sealed, created_at)) = latest else {
        return Ok(());
    };
    let differences: Vec<ivd_offset::Discrepancy> =
        open(context, &sealed, &format!("offset-reconciliation:{run}"))?;
    findings.count("reconciliationDifferences", differences.len() as i64);
    for difference in differences {
        let (code, what) = difference_code(&difference.kind);
        let action = if difference.correction.is_some() {
            "A correction went to OCSE when the file was taken in; check the next reconciliation file."
        } else {
            "Update the state's record: OCSE's value is taken as correct."
        };
        let hash = context
            .lookup_key
            .taxpayer_id_hash(difference.key.ssn.expose());
        let case_type = difference.key.case_type.code();
        let certified: Option<(String,)> = on_read!(db, c => {
            sqlx::query_as("SELECT case_id FROM offset_certified WHERE ssn_hash = $1 AND case_type = $2")
                .bind(&hash)
                .bind(case_type)
                .fetch_optional(c)
                .await?
        });
        let case_id = certified.map(|(id,)| id).or_else(|| {
            difference
                .correction
                .as_ref()
                .map(|s| s.certification.case_id.trim().to_string())
        });
        let mut d = Discrepancy::new(
            code,
            format!("{what} ({case_type} case type; reconciliation file {receipt_id})"),
            action,
        )
        .reference(&receipt_id)
        .person(difference.key.ssn.to_string())
        .since(created_at)
        .fti();
        if let Some(case_id) = case_id.filter(|c| !c.is_empty()) {
            d = d.case_id(case_id);
        }
        findings.push(d);
    }
    Ok(())
}

async fn collections(context: &JobContext, findings: &mut Findings) -> Result<(), StoreError> {
    let db = &context.db;
    let (total,): (i64,) = on_read!(db, c => {
        sqlx::query_as("SELECT COUNT(*) FROM offset_collections")
            .fetch_one(c)
            .await?
    });
    findings.count("collections", total);
    let rows: Vec<(String, String, String, i64)> = on_read!(db, c => {
        sqlx::query_as(
            "SELECT o.collection_id, o.case_id, o.sealed, o.received_at FROM offset_collections o \
             LEFT JOIN cases c ON c.case_id = o.case_id WHERE c.case_id IS NULL ORDER BY o.collection_id",
        )
        .fetch_all(c)
        .await?
    });
    for (id, case_id, sealed, received_at) in rows {
        let collection: ivd_offset::Collection =
            open(context, &sealed, &format!("offset-collection:{id}"))?;
        let mut d = Discrepancy::new(
            "OFFSET_COLLECTION_UNMATCHED",
            "An offset collection names no case the gateway holds, so it cannot be applied.",
            "Find the case in the state system and apply the collection by hand.",
        )
        .reference(&id)
        .person(collection.key.ssn.to_string())
        .since(received_at)
        .fti();
        if !case_id.is_empty() {
            d = d.case_id(case_id);
        }
        findings.push(d);
    }
    Ok(())
}
