//! Batch control totals: every file in and out, its records against its header and
//! trailer, and what we recorded against what the file holds.
//!
//! The files are those the channels declare ([`ControlledFile`],
//! [`crate::channels::Channel::controlled_files`]): today NDNH returns and transmissions,
//! the offset submission and return files, FIDM match and inquiry files, e-IWO files and
//! their acknowledgments.
//!
//! Inbound: every file received in the last `window_days` on a channel whose format has
//! control records is read again with its adapter; the adapter's file-level problems
//! (missing header or trailer, trailer counts or amounts that do not add up) are reported,
//! one discrepancy per file, naming the adapter's codes.
//!
//! Outbound: every file we wrote in the window that is still in the outbox is read back
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

use crate::config::Settings;
use crate::on_read;
use crate::reconcile::report::{Discrepancy, Findings, Job, JobContext, JobError};
use crate::store::{Db, StoreError};

const DAY_MS: i64 = 86_400_000;

/// A file format with control records that a channel receives or writes.
#[derive(Clone, Copy, Debug)]
pub enum ControlledFile {
    /// Files received on a pick-up or partner channel.
    Received {
        /// The channel the receipts carry.
        channel: &'static str,
        /// The file-level problems of a received file, read with its adapter.
        problems: ReceivedProblems,
    },
    /// Files we write, as outbox messages of one kind.
    Written {
        /// The messages' kind.
        kind: &'static str,
        /// A scalar SQL subquery giving the number of records recorded for the outbox
        /// message `m` (its batch, cycle, run or orders).
        recorded_count: &'static str,
        /// The number of records in a file we wrote, and its file-level problems.
        contents: WrittenContents,
    },
}

/// Every controlled file the channels declare.
fn controlled_files() -> Vec<ControlledFile> {
    crate::channels::all()
        .iter()
        .flat_map(|channel| channel.controlled_files())
        .collect()
}

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

async fn inbound(
    db: &Db,
    settings: &Settings,
    since: i64,
    findings: &mut Findings,
) -> Result<(), StoreError> {
    let mut ids: Vec<(String, String, String, i64, ReceivedProblems)> = Vec::new();
    for file in controlled_files() {
        let ControlledFile::Received { channel, problems } = file else {
            continue;
        };
        let received: Vec<(String, String, String, i64)> = on_read!(db, c => {
            sqlx::query_as(
                "SELECT receipt_id, partner, channel, received_at FROM inbound_receipts \
                 WHERE received_at >= $1 AND channel = $2",
            )
            .bind(since)
            .bind(channel)
            .fetch_all(c)
            .await?
        });
        ids.extend(
            received
                .into_iter()
                .map(|(receipt, partner, channel, at)| (receipt, partner, channel, at, problems)),
        );
    }
    ids.sort_by(|a, b| (a.3, &a.0).cmp(&(b.3, &b.0)));
    findings.count("filesReceived", ids.len() as i64);
    // One body at a time: files can be large.
    for (receipt_id, partner, channel, received_at, problems_of) in ids {
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
        let errors = problems_of(settings, &body);
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

/// Reads a received file's problems.
type ReceivedProblems = fn(&Settings, &[u8]) -> Vec<ivd_fixed::FieldError>;
/// A file we wrote: message id, partner, kind, file name, when, and the records recorded
/// for it.
type WrittenRow = (i64, String, String, String, i64, Option<i64>);
/// Reads a written file's record count and problems.
type WrittenContents = fn(&Settings, &[u8]) -> (i64, Vec<ivd_fixed::FieldError>);

async fn outbound(
    db: &Db,
    settings: &Settings,
    since: i64,
    findings: &mut Findings,
) -> Result<(), StoreError> {
    // What we recorded for each file, by the table that records it.
    let mut ids: Vec<(WrittenRow, WrittenContents)> = Vec::new();
    for file in controlled_files() {
        let ControlledFile::Written {
            kind,
            recorded_count,
            contents,
        } = file
        else {
            continue;
        };
        // `recorded_count` is a constant the channel declares, never input.
        let sql = format!(
            "SELECT m.id, m.partner, m.kind, m.file_name, m.created_at, {recorded_count} \
             FROM outbox_messages m WHERE m.created_at >= $1 AND m.kind = $2"
        );
        let written: Vec<WrittenRow> = on_read!(db, c => {
            sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str())).bind(since).bind(kind).fetch_all(c).await?
        });
        ids.extend(written.into_iter().map(|row| (row, contents)));
    }
    ids.sort_by_key(|(row, _)| row.0);
    findings.count("filesSent", ids.len() as i64);
    for ((id, partner, kind, file_name, created_at, recorded), contents_of) in ids {
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
        let (records, errors) = contents_of(settings, &payload);
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
