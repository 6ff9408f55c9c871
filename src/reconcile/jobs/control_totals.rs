//! Batch control totals: every file in and out, its records against its header and
//! trailer, and what we recorded against what the file holds.
//!
//! Inbound: every file received in the last `window_days` on a channel whose format has
//! control records (NDNH returns, the three OCSE offset return files, FIDM match files,
//! e-IWO acknowledgment files) is read again with its adapter; the adapter's file-level
//! problems (missing header or trailer, trailer counts or amounts that do not add up) are
//! reported, one discrepancy per file, naming the adapter's codes.
//!
//! Outbound: every file we wrote in the window that is still in the outbox (NDNH
//! transmissions, offset submission files, FIDM inquiry files, e-IWO files) is read back
//! with its adapter; its own control check must pass, and the number of records in it
//! must be the number recorded for its batch, cycle, run or order. Codes:
//!
//! | code | meaning |
//! |---|---|
//! | `INBOUND_FILE_CONTROL` | a received file's framing or control totals disagree with its records |
//! | `OUTBOUND_FILE_CONTROL` | a file we wrote fails its own framing or control-total check |
//! | `RECORDED_COUNT` | the records in a file we wrote differ from the count recorded for it |
//!
//! Only reads: a dry run and a real run are the same. Delivered messages purged by
//! retention are no longer checked.

use serde::{Deserialize, Serialize};

use crate::channels::employers::{iwo, ndnh};
use crate::channels::fidm;
use crate::channels::offset::{COLLECTIONS_CHANNEL, RECONCILIATION_CHANNEL, REJECTS_CHANNEL};
use crate::config::Settings;
use crate::on_read;
use crate::reconcile::report::{Discrepancy, Findings, Job, JobContext, JobError};
use crate::store::{Db, StoreError};

const DAY_MS: i64 = 86_400_000;

/// Settings of the control-totals job.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ControlTotalsSettings {
    /// Files received or written in the last this many days are checked.
    pub window_days: i64,
}

impl Default for ControlTotalsSettings {
    fn default() -> Self {
        ControlTotalsSettings { window_days: 35 }
    }
}

/// The `control-totals` job.
#[derive(Clone, Copy, Debug, Default)]
pub struct ControlTotals;

#[async_trait::async_trait]
impl Job for ControlTotals {
    fn name(&self) -> &'static str {
        "control-totals"
    }

    fn description(&self) -> &'static str {
        "Every file received and sent: records against header and trailer, and the counts we recorded against the file."
    }

    fn check_parameters(
        &self,
        parameters: &std::collections::BTreeMap<String, serde_json::Value>,
    ) -> Result<(), String> {
        crate::reconcile::settings::parameters::<ControlTotalsSettings>(parameters).map(|_| ())
    }

    async fn run(&self, context: &JobContext) -> Result<Findings, JobError> {
        let settings: ControlTotalsSettings = context.parameters(self.name())?;
        self.run_with(context, &settings).await
    }
}

impl ControlTotals {
    /// Runs with explicit settings.
    pub async fn run_with(
        &self,
        context: &JobContext,
        settings: &ControlTotalsSettings,
    ) -> Result<Findings, JobError> {
        let mut findings = Findings::default();
        let since = context.now - settings.window_days * DAY_MS;
        inbound(&context.db, &context.settings, since, &mut findings).await?;
        outbound(&context.db, &context.settings, since, &mut findings).await?;
        Ok(findings)
    }
}

/// "CODE field, CODE field" of the distinct problems: codes and field names, no values.
fn problems(errors: &[ivd_fixed::FieldError]) -> String {
    let mut seen: Vec<String> = Vec::new();
    for e in errors {
        let item = format!("{} ({})", e.code.as_str(), e.field);
        if !seen.contains(&item) {
            seen.push(item);
        }
    }
    seen.join(", ")
}

/// The file-level problems of a received file, read with its channel's adapter; `None`
/// for channels without control records.
fn inbound_problems(
    settings: &Settings,
    channel: &str,
    body: &[u8],
) -> Option<Vec<ivd_fixed::FieldError>> {
    let offset = settings.offset.encoding.encoding();
    Some(match channel {
        ndnh::RETURNS_CHANNEL => {
            ivd_newhire::ndnh::read_return(body, settings.employers.ndnh_encoding.encoding()).errors
        }
        REJECTS_CHANNEL => ivd_offset::read_rejects(body, offset).errors,
        COLLECTIONS_CHANNEL => ivd_offset::read_collections(body, offset).errors,
        RECONCILIATION_CHANNEL => ivd_offset::read_reconciliation(body, offset).errors,
        fidm::matches::CHANNEL => {
            ivd_fidm::read_match_file(body, settings.fidm.encoding.encoding()).errors
        }
        iwo::ACK_CHANNEL => ivd_eiwo::read_acknowledgments(body).envelope_errors,
        _ => return None,
    })
}

async fn inbound(
    db: &Db,
    settings: &Settings,
    since: i64,
    findings: &mut Findings,
) -> Result<(), StoreError> {
    let channels = [
        ndnh::RETURNS_CHANNEL,
        REJECTS_CHANNEL,
        COLLECTIONS_CHANNEL,
        RECONCILIATION_CHANNEL,
        fidm::matches::CHANNEL,
        iwo::ACK_CHANNEL,
    ];
    let ids: Vec<(String, String, String, i64)> = on_read!(db, c => {
        sqlx::query_as(
            "SELECT receipt_id, partner, channel, received_at FROM inbound_receipts \
             WHERE received_at >= $1 AND channel IN ($2, $3, $4, $5, $6, $7) ORDER BY received_at, receipt_id",
        )
        .bind(since)
        .bind(channels[0])
        .bind(channels[1])
        .bind(channels[2])
        .bind(channels[3])
        .bind(channels[4])
        .bind(channels[5])
        .fetch_all(c)
        .await?
    });
    findings.count("filesReceived", ids.len() as i64);
    // One body at a time: files can be large.
    for (receipt_id, partner, channel, received_at) in ids {
        let (body,): (Vec<u8>,) = on_read!(db, c => {
            sqlx::query_as("SELECT body FROM inbound_receipts WHERE receipt_id = $1")
                .bind(&receipt_id)
                .fetch_one(c)
                .await?
        });
        // Bodies are sealed at rest.
        let body = db
            .sealer()
            .open_bytes(body, &crate::store::sealing::place::receipt(&receipt_id))?;
        let Some(errors) = inbound_problems(settings, &channel, &body) else {
            continue;
        };
        if errors.is_empty() {
            continue;
        }
        findings.push(
            Discrepancy::new(
                "INBOUND_FILE_CONTROL",
                format!(
                    "A file received on {channel} fails its framing or control-total checks: {}.",
                    problems(&errors)
                ),
                "Ask the partner to send the file again; its records may be incomplete.",
            )
            .partner(&partner)
            .reference(&receipt_id)
            .since(received_at),
        );
    }
    Ok(())
}

/// The records a file we wrote holds, and its file-level problems.
fn outbound_contents(
    settings: &Settings,
    kind: &str,
    payload: &[u8],
) -> Option<(i64, Vec<ivd_fixed::FieldError>)> {
    Some(match kind {
        ndnh::KIND => {
            let t = ivd_newhire::ndnh::read_transmission(
                payload,
                settings.employers.ndnh_encoding.encoding(),
            );
            (t.records.len() as i64, t.errors)
        }
        "offset-submission" => {
            let f = ivd_offset::read_submission_file(payload, settings.offset.encoding.encoding());
            (f.submissions.len() as i64, f.errors)
        }
        fidm::inquiry::KIND => {
            let f = ivd_fidm::read_inquiry_file(payload, settings.fidm.encoding.encoding());
            (f.inquiries.len() as i64, f.errors)
        }
        iwo::KIND => {
            let f = ivd_eiwo::read_iwo_file(payload);
            (f.iwos().count() as i64, f.envelope_errors)
        }
        _ => return None,
    })
}

async fn outbound(
    db: &Db,
    settings: &Settings,
    since: i64,
    findings: &mut Findings,
) -> Result<(), StoreError> {
    // What we recorded for each file, by the table that records it.
    let ids: Vec<(i64, String, String, String, i64, Option<i64>)> = on_read!(db, c => {
        sqlx::query_as(
            "SELECT m.id, m.partner, m.kind, m.file_name, m.created_at, CASE m.kind \
               WHEN $2 THEN (SELECT b.record_count FROM ndnh_batches b WHERE b.message_id = m.id) \
               WHEN 'offset-submission' THEN (SELECT y.submissions FROM offset_cycles y WHERE y.message_id = m.id) \
               WHEN $3 THEN (SELECT i.inquiry_count FROM fidm_inquiries i WHERE i.message_id = m.id) \
               ELSE (SELECT COUNT(*) FROM withholding_orders w WHERE w.message_id = m.id) END \
             FROM outbox_messages m WHERE m.created_at >= $1 AND m.kind IN ($2, 'offset-submission', $3, $4) \
             ORDER BY m.id",
        )
        .bind(since)
        .bind(ndnh::KIND)
        .bind(fidm::inquiry::KIND)
        .bind(iwo::KIND)
        .fetch_all(c)
        .await?
    });
    findings.count("filesSent", ids.len() as i64);
    for (id, partner, kind, file_name, created_at, recorded) in ids {
        let (payload, key): (Vec<u8>, String) = on_read!(db, c => {
            sqlx::query_as("SELECT payload, idempotency_key FROM outbox_payloads WHERE message_id = $1")
                .bind(id)
                .fetch_one(c)
                .await?
        });
        // Payloads are sealed at rest.
        let payload = db.sealer().open_bytes(
            payload,
            &crate::store::sealing::place::outbox(&partner, &key),
        )?;
        let Some((records, errors)) = outbound_contents(settings, &kind, &payload) else {
            continue;
        };
        if !errors.is_empty() {
            findings.push(
                Discrepancy::new(
                    "OUTBOUND_FILE_CONTROL",
                    format!(
                        "A {kind} file we sent (message {id}) fails its own framing or control-total checks: {}.",
                        problems(&errors)
                    ),
                    "Replay the message so the file is written again, and report the defect.",
                )
                .partner(&partner)
                .reference(&file_name)
                .since(created_at),
            );
        }
        if let Some(recorded) = recorded
            && recorded != records
        {
            findings.push(
                Discrepancy::new(
                    "RECORDED_COUNT",
                    format!(
                        "A {kind} file we sent (message {id}) holds {records} record(s); {recorded} are recorded for it."
                    ),
                    "Compare the file with what was recorded; resend what is missing.",
                )
                .partner(&partner)
                .reference(&file_name)
                .since(created_at),
            );
        }
    }
    Ok(())
}
