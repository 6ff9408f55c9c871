//! New hires: every accepted new-hire report forwarded to NDNH exactly once, and every
//! transmission answered.
//!
//! What it reads (never changes): `new_hire_records` / `new_hire_receipts` (what employers
//! reported and what became of each record) and `ndnh_batches` (what went to NDNH and the
//! R4 control record NDNH sent back). Codes:
//!
//! | code | meaning |
//! |---|---|
//! | `NEWHIRE_NOT_FORWARDED` | an accepted record is in no NDNH batch, older than `forward_within_hours` |
//! | `NEWHIRE_FORWARDED_TWICE` | the same new hire (person by keyed hash, FEIN, hire date) is in two batches; reported on each record after the first |
//! | `NDNH_RETURN_OVERDUE` | a batch has no NDNH return after `return_within_days` |
//! | `NDNH_BATCH_COUNT` | the batch's recorded record count differs from the records it claimed |
//! | `NDNH_RETURN_COUNT` | NDNH's return says it received a different number of records than we sent |

use serde::{Deserialize, Serialize};

use crate::on_read;
use crate::reconcile::report::{Discrepancy, Findings, Job, JobContext, JobError};
use crate::store::{Db, StoreError};

const HOUR_MS: i64 = 3_600_000;
const DAY_MS: i64 = 86_400_000;

/// Thresholds of the new-hires job.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct NewHiresSettings {
    /// An accepted report not in an NDNH batch after this many hours is reported (the
    /// forwarder runs far more often; NDNH wants reports within days of receipt).
    pub forward_within_hours: i64,
    /// A batch with no NDNH return after this many days is reported.
    pub return_within_days: i64,
}

impl Default for NewHiresSettings {
    fn default() -> Self {
        NewHiresSettings {
            forward_within_hours: 48,
            return_within_days: 5,
        }
    }
}

/// The `new-hires` job.
#[derive(Clone, Copy, Debug, Default)]
pub struct NewHires;

#[async_trait::async_trait]
impl Job for NewHires {
    fn name(&self) -> &'static str {
        "new-hires"
    }

    fn description(&self) -> &'static str {
        "Every accepted new-hire report forwarded to NDNH exactly once, and every NDNH transmission answered with matching counts."
    }

    fn check_parameters(
        &self,
        parameters: &std::collections::BTreeMap<String, serde_json::Value>,
    ) -> Result<(), String> {
        crate::reconcile::settings::parameters::<NewHiresSettings>(parameters).map(|_| ())
    }

    async fn run(&self, context: &JobContext) -> Result<Findings, JobError> {
        let settings: NewHiresSettings = context.parameters(self.name())?;
        self.run_with(context, &settings).await
    }
}

impl NewHires {
    /// Runs with explicit thresholds. Only reads: a dry run and a real run are the same.
    pub async fn run_with(
        &self,
        context: &JobContext,
        settings: &NewHiresSettings,
    ) -> Result<Findings, JobError> {
        let mut findings = Findings::default();
        let ndnh = context.settings.employers.ndnh_partner.clone();
        not_forwarded(
            &context.db,
            context.now,
            settings,
            ndnh.as_deref(),
            &mut findings,
        )
        .await?;
        forwarded_twice(&context.db, ndnh.as_deref(), &mut findings).await?;
        batches(&context.db, context.now, settings, &mut findings).await?;
        Ok(findings)
    }
}

fn with_partner(d: Discrepancy, partner: Option<&str>) -> Discrepancy {
    match partner {
        Some(p) => d.partner(p),
        None => d,
    }
}

async fn not_forwarded(
    db: &Db,
    now: i64,
    settings: &NewHiresSettings,
    ndnh: Option<&str>,
    findings: &mut Findings,
) -> Result<(), StoreError> {
    let (accepted,): (i64,) = on_read!(db, c => {
        sqlx::query_as("SELECT COUNT(*) FROM new_hire_records WHERE status = 'accepted'")
            .fetch_one(c)
            .await?
    });
    findings.count("acceptedRecords", accepted);
    let cutoff = now - settings.forward_within_hours * HOUR_MS;
    let rows: Vec<(String, i64, i64)> = on_read!(db, c => {
        sqlx::query_as(
            "SELECT r.receipt_id, r.record_no, h.received_at FROM new_hire_records r \
             JOIN new_hire_receipts h ON h.receipt_id = r.receipt_id \
             WHERE r.status = 'accepted' AND r.ndnh_batch IS NULL AND h.received_at <= $1 \
             ORDER BY r.receipt_id, r.record_no",
        )
        .bind(cutoff)
        .fetch_all(c)
        .await?
    });
    findings.count("notForwarded", rows.len() as i64);
    for (receipt_id, record_no, received_at) in rows {
        findings.push(with_partner(
            Discrepancy::new(
                "NEWHIRE_NOT_FORWARDED",
                format!(
                    "An accepted new-hire report is in no NDNH transmission after {} hours.",
                    settings.forward_within_hours
                ),
                if ndnh.is_some() {
                    "Check the NDNH forwarder; the record goes in the next transmission."
                } else {
                    "Set employers.ndnh_partner: no NDNH partner is configured."
                },
            )
            .reference(format!("{receipt_id}/{record_no}"))
            .since(received_at),
            ndnh,
        ));
    }
    Ok(())
}

async fn forwarded_twice(
    db: &Db,
    ndnh: Option<&str>,
    findings: &mut Findings,
) -> Result<(), StoreError> {
    // Same person (keyed hash), employer and hire date, in more than one batch.
    let rows: Vec<(String, String, String, String, i64, i64)> = on_read!(db, c => {
        sqlx::query_as(
            "SELECT r.ssn_hash, r.fein, r.hire_date, r.receipt_id, r.record_no, r.ndnh_batch \
             FROM new_hire_records r JOIN ( \
               SELECT ssn_hash, fein, hire_date FROM new_hire_records \
               WHERE status = 'accepted' AND ndnh_batch IS NOT NULL \
                 AND ssn_hash IS NOT NULL AND fein IS NOT NULL AND hire_date IS NOT NULL \
               GROUP BY ssn_hash, fein, hire_date HAVING COUNT(*) > 1) d \
             ON d.ssn_hash = r.ssn_hash AND d.fein = r.fein AND d.hire_date = r.hire_date \
             WHERE r.status = 'accepted' AND r.ndnh_batch IS NOT NULL \
             ORDER BY r.ssn_hash, r.fein, r.hire_date, r.ndnh_batch, r.receipt_id, r.record_no",
        )
        .fetch_all(c)
        .await?
    });
    let mut first: Option<((String, String, String), i64)> = None;
    let mut twice = 0;
    for (hash, fein, hire, receipt_id, record_no, batch) in rows {
        let key = (hash, fein, hire);
        match &first {
            Some((k, first_batch)) if *k == key => {
                twice += 1;
                findings.push(with_partner(
                    Discrepancy::new(
                        "NEWHIRE_FORWARDED_TWICE",
                        format!(
                            "The same new hire (person, employer, hire date) went to NDNH in batch {first_batch} and again in batch {batch}."
                        ),
                        "Check why the second report was accepted rather than marked a duplicate.",
                    )
                    .reference(format!("{receipt_id}/{record_no}")),
                    ndnh,
                ));
            }
            _ => first = Some((key, batch)),
        }
    }
    findings.count("forwardedTwice", twice);
    Ok(())
}

type BatchRow = (
    i64,
    i64,
    i64,
    Option<i64>,
    Option<String>,
    Option<i64>,
    Option<String>,
    i64,
);

async fn batches(
    db: &Db,
    now: i64,
    settings: &NewHiresSettings,
    findings: &mut Findings,
) -> Result<(), StoreError> {
    let rows: Vec<BatchRow> = on_read!(db, c => {
        sqlx::query_as(
            "SELECT b.batch_number, b.record_count, b.created_at, b.returned_at, b.return_receipt, \
             b.received, m.partner, \
             (SELECT COUNT(*) FROM new_hire_records r WHERE r.ndnh_batch = b.batch_number) \
             FROM ndnh_batches b LEFT JOIN outbox_messages m ON m.id = b.message_id \
             ORDER BY b.batch_number",
        )
        .fetch_all(c)
        .await?
    });
    findings.count("batches", rows.len() as i64);
    let cutoff = now - settings.return_within_days * DAY_MS;
    for (batch, recorded, created_at, returned_at, return_receipt, received, partner, claimed) in
        rows
    {
        let reference = format!("ndnh-batch-{batch}");
        let partner = partner.as_deref();
        if returned_at.is_none() && created_at <= cutoff {
            findings.count("returnsOverdue", 1);
            findings.push(with_partner(
                Discrepancy::new(
                    "NDNH_RETURN_OVERDUE",
                    format!(
                        "NDNH has not returned batch {batch} after {} days.",
                        settings.return_within_days
                    ),
                    "Ask NDNH whether the transmission arrived; redeliver it if not.",
                )
                .reference(&reference)
                .since(created_at),
                partner,
            ));
        }
        if recorded != claimed {
            findings.push(with_partner(
                Discrepancy::new(
                    "NDNH_BATCH_COUNT",
                    format!(
                        "Batch {batch} is recorded with {recorded} record(s) but {claimed} accepted record(s) are in it."
                    ),
                    "Compare the transmission file with the records of the batch; resend the missing ones.",
                )
                .reference(&reference)
                .since(created_at),
                partner,
            ));
        }
        if let (Some(received), Some(receipt)) = (received, return_receipt)
            && received != recorded
        {
            findings.push(with_partner(
                Discrepancy::new(
                    "NDNH_RETURN_COUNT",
                    format!(
                        "NDNH's return {receipt} says it received {received} record(s) of batch {batch}; we sent {recorded}."
                    ),
                    "Ask NDNH which records it did not receive; resend them.",
                )
                .reference(&reference)
                .since(returned_at.unwrap_or(created_at)),
                partner,
            ));
        }
    }
    Ok(())
}
