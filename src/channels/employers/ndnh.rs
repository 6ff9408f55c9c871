//! Forwarding accepted new hires to the National Directory of New Hires, and taking in
//! what NDNH sends back.
//!
//! # Invariants
//! - **Every accepted record in exactly one transmission.** A batch claims its records by
//!   setting `ndnh_batch` where it is still empty, in the transaction that enqueues the
//!   file; on PostgreSQL a concurrent forwarder re-checks the condition after the row lock
//!   and skips records another batch took. The batch number comes from a counter that
//!   never repeats, so NDNH never sees a batch number twice.
//! - **The file leaves through the outbox** (its idempotency key is the batch number), so
//!   retries and crashes never produce a second copy with new content.
//! - **Returns are matched back.** The R4 control record names the batch; each returned
//!   error record is matched to the record it answers by keyed SSN hash, FEIN and hire
//!   date; records NDNH did not return are posted.

use std::sync::Arc;
use std::time::Duration;

use ivd_newhire::ndnh::{TransmissionHeader, TransmissionWriter};
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

use crate::config::Settings;
use crate::intake::{Processor, Receipt};
use crate::outbox::{self, NewMessage};
use crate::privacy::LookupKey;
use crate::reconcile::deadlines::{self, Expectation};
use crate::store::events::{self, NewEvent};
use crate::store::{Db, DbTx, StoreError, serials};
use crate::{on_read, on_tx};

/// The intake channel of NDNH return files.
pub const RETURNS_CHANNEL: &str = "ndnh-returns";

/// The outbox kind of a transmission file.
pub const KIND: &str = "ndnh-transmission";

/// The deadline kind of the R4 control record we expect back for each batch.
pub const RETURN_KIND: &str = "ndnh-return";

/// The counter of NDNH batch numbers.
const BATCH_COUNTER: &str = "ndnh-batch";

/// Transmissions share a transaction while it is younger than this. On SQLite each
/// transaction waits its turn for the single writer, and a new-hire intake holds the writer
/// about a second at a time: one transmission a turn fell behind a million-record intake
/// (receipt after 46 s, the last file 12 s later).
const FORWARD_TRANSACTION_AGE: std::time::Duration = std::time::Duration::from_secs(1);

/// Working days NDNH has to answer a transmission (it enters data within two business
/// days of receipt).
const RETURN_WORKING_DAYS: u32 = 2;

/// Gathers accepted new hires into NDNH transmission files.
#[derive(Clone, Debug)]
pub struct NdnhForwarder {
    /// The database.
    pub db: Db,
    /// Settings (employers section and state FIPS).
    pub settings: Arc<Settings>,
    /// Wakes the dispatcher after an enqueue.
    pub dispatcher_wake: Arc<Notify>,
}

/// One transmission written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Forwarded {
    /// The batch number.
    pub batch_number: i64,
    /// W4 records in it.
    pub records: usize,
    /// The outbox message that carries it.
    pub message_id: i64,
}

impl NdnhForwarder {
    /// Writes every accepted, not yet forwarded record into transmission files of at most
    /// `ndnh_batch_size` records. Does nothing when no NDNH partner is configured.
    pub async fn forward_pending(&self, now: i64) -> Result<Vec<Forwarded>, StoreError> {
        let Some(partner) = self.settings.employers.ndnh_partner.clone() else {
            return Ok(Vec::new());
        };
        let mut done = Vec::new();
        loop {
            let mut tx = self.db.begin().await?;
            let opened = std::time::Instant::now();
            let mut batches = Vec::new();
            let mut more = false;
            while let Some(forwarded) = self.forward_one(&mut tx, &partner, now).await? {
                batches.push(forwarded);
                if opened.elapsed() >= FORWARD_TRANSACTION_AGE {
                    more = true;
                    break;
                }
            }
            tx.commit().await?;
            for forwarded in &batches {
                tracing::info!(
                    batch_number = forwarded.batch_number,
                    records = forwarded.records,
                    "NDNH transmission enqueued."
                );
            }
            done.extend(batches);
            if !more {
                break;
            }
        }
        if !done.is_empty() {
            self.dispatcher_wake.notify_waiters();
        }
        Ok(done)
    }

    /// Writes one transmission of the records not yet forwarded, in `tx`; `None` when
    /// there were none.
    async fn forward_one(
        &self,
        tx: &mut DbTx,
        partner: &str,
        now: i64,
    ) -> Result<Option<Forwarded>, StoreError> {
        let limit = self.settings.employers.ndnh_batch_size as i64;
        let batch_number = serials::next(tx, BATCH_COUNTER).await?;
        let claimed = on_tx!(tx, c => {
            sqlx::query(
                "UPDATE new_hire_records SET ndnh_batch = $1 \
                 WHERE status = 'accepted' AND ndnh_batch IS NULL AND (receipt_id, record_no) IN ( \
                   SELECT receipt_id, record_no FROM new_hire_records \
                   WHERE status = 'accepted' AND ndnh_batch IS NULL \
                   ORDER BY receipt_id, record_no LIMIT $2)",
            )
            .bind(batch_number)
            .bind(limit)
            .execute(c)
            .await?
            .rows_affected()
        });
        if claimed == 0 {
            // The counter keeps no gap for an empty batch (the transaction may hold
            // batches already written, so it is not rolled back).
            serials::give_back(tx, BATCH_COUNTER, batch_number).await?;
            return Ok(None);
        }
        let rows: Vec<(String, i64, Vec<u8>)> = on_tx!(tx, c => {
            sqlx::query_as(
                "SELECT receipt_id, record_no, w4 FROM new_hire_records WHERE ndnh_batch = $1 \
                 ORDER BY receipt_id, record_no",
            )
            .bind(batch_number)
            .fetch_all(c)
            .await?
        });
        // Sealed at intake (see `newhire`): opened here, in memory only for this batch.
        let mut records = Vec::with_capacity(rows.len());
        for (receipt_id, record_no, w4) in rows {
            let here = crate::store::sealing::place::new_hire(&receipt_id, record_no);
            records.push((tx.sealer().open_bytes(w4, &here)?,));
        }
        let state_fips = self
            .settings
            .state
            .fips
            .as_deref()
            .and_then(|f| f.get(..2))
            .and_then(|f| f.parse::<u8>().ok())
            .unwrap_or(0);
        let header = TransmissionHeader {
            state_fips,
            batch_number: batch_number as u32,
            date: super::newhire::date_of(now),
        };
        let encoding = self.settings.employers.ndnh_encoding.encoding();
        let mut writer = TransmissionWriter::new(
            header,
            encoding,
            Vec::with_capacity(records.len() * 803 + 1606),
        );
        let mut written = 0usize;
        for (w4,) in &records {
            // The NDNH detail record was written at intake; a stored record that is not
            // one (which cannot happen short of tampering) is left out rather than sent.
            if writer.push_record(w4).is_ok() {
                written += 1;
            } else {
                tracing::error!(
                    batch_number,
                    "A stored W4 record is malformed; it was left out of the transmission."
                );
            }
        }
        let (payload, _) = writer
            .finish()
            .map_err(|e| StoreError::Invalid(format!("writing NDNH transmission: {e}")))?;
        let message = NewMessage {
            partner: partner.to_string(),
            ordering_key: "ndnh".to_string(),
            idempotency_key: format!("ndnh-batch-{batch_number}"),
            kind: KIND.to_string(),
            content_type: "application/octet-stream".to_string(),
            file_name: format!("NDNH.W4.B{batch_number:06}.dat"),
            payload,
            cause_kind: "ndnh-batch".to_string(),
            cause_id: batch_number.to_string(),
            max_attempts: self.settings.max_attempts_for(partner),
            run_at: now,
            replay_of: None,
        };
        let message_id = outbox::enqueue(tx, &message, now).await?.id();
        on_tx!(tx, c => {
            sqlx::query(
                "INSERT INTO ndnh_batches (batch_number, record_count, message_id, created_at) VALUES ($1, $2, $3, $4)",
            )
            .bind(batch_number)
            .bind(written as i64)
            .bind(message_id)
            .bind(now)
            .execute(c)
            .await?
            .rows_affected()
        });
        deadlines::expect(
            tx,
            &Expectation {
                partner,
                message_id: Some(message_id),
                reference: &batch_number.to_string(),
                kind: RETURN_KIND,
                due_at: deadlines::due_after_working_days(now, RETURN_WORKING_DAYS),
                case_id: None,
            },
            now,
        )
        .await?;
        events::append(
            tx,
            &NewEvent {
                kind: "newhire.forwarded",
                partner: Some(partner),
                case_id: None,
                receipt_id: None,
                payload: serde_json::json!({ "batch": batch_number, "records": written }),
            },
            now,
        )
        .await?;
        Ok(Some(Forwarded {
            batch_number,
            records: written,
            message_id,
        }))
    }

    /// Forwards on a schedule until shut down.
    pub async fn run(self, shutdown: CancellationToken) {
        let every = Duration::from_secs(self.settings.employers.forward_interval_secs);
        loop {
            if let Err(error) = self.forward_pending(crate::store::now_ms()).await {
                tracing::warn!(error = %error, "Forwarding new hires to NDNH failed; retrying at the next interval.");
            }
            tokio::select! {
                _ = shutdown.cancelled() => return,
                _ = tokio::time::sleep(every) => {}
            }
        }
    }
}

/// Takes in NDNH return files (R4 control record and returned error records).
#[derive(Clone, Debug)]
pub struct NdnhReturnIntake {
    /// Settings (NDNH encoding).
    pub settings: Arc<Settings>,
    /// The keyed hash of SSNs.
    pub key: LookupKey,
}

#[async_trait::async_trait]
impl Processor for NdnhReturnIntake {
    async fn process(
        &self,
        tx: &mut DbTx,
        receipt: &Receipt,
        now: i64,
    ) -> Result<String, StoreError> {
        let encoding = self.settings.employers.ndnh_encoding.encoding();
        let answer = ivd_newhire::ndnh::read_return(&receipt.body, encoding);
        let problems = answer.errors.len();
        let Some(control) = &answer.control else {
            events::append(
                tx,
                &NewEvent {
                    kind: "newhire.ndnh_return_unmatched",
                    partner: Some(&receipt.partner),
                    case_id: None,
                    receipt_id: Some(&receipt.receipt_id),
                    payload: serde_json::json!({ "batch": null, "problems": problems }),
                },
                now,
            )
            .await?;
            return Ok(format!(
                "no R4 control record ({problems} problem(s)); nothing matched"
            ));
        };
        let batch_number = i64::from(control.batch_number);
        let known: Option<(Option<i64>,)> = on_tx!(tx, c => {
            sqlx::query_as("SELECT returned_at FROM ndnh_batches WHERE batch_number = $1")
                .bind(batch_number)
                .fetch_optional(c)
                .await?
        });
        match known {
            None => {
                events::append(
                    tx,
                    &NewEvent {
                        kind: "newhire.ndnh_return_unmatched",
                        partner: Some(&receipt.partner),
                        case_id: None,
                        receipt_id: Some(&receipt.receipt_id),
                        payload: serde_json::json!({ "batch": batch_number, "problems": problems }),
                    },
                    now,
                )
                .await?;
                return Ok(format!("return for unknown batch {batch_number}"));
            }
            Some((Some(_),)) => {
                return Ok(format!(
                    "batch {batch_number} was already returned; kept, not applied again"
                ));
            }
            Some((None,)) => {}
        }
        let batch_codes: Vec<&str> = control
            .batch_codes
            .iter()
            .map(|c| c.code.as_str())
            .collect();
        on_tx!(tx, c => {
            sqlx::query(
                "UPDATE ndnh_batches SET returned_at = $1, return_receipt = $2, received = $3, \
                 rejected = $4, posted = $5, unverified = $6, batch_codes = $7 WHERE batch_number = $8",
            )
            .bind(now)
            .bind(&receipt.receipt_id)
            .bind(control.received as i64)
            .bind(control.rejected as i64)
            .bind(control.posted as i64)
            .bind(control.unverified as i64)
            .bind(serde_json::to_string(&batch_codes).unwrap_or_default())
            .bind(batch_number)
            .execute(c)
            .await?
            .rows_affected()
        });
        let (mut matched, mut unmatched, mut rejected) = (0usize, 0usize, 0usize);
        for returned in &answer.returned {
            let found = match (&returned.ssn, &returned.fein, returned.hire_date) {
                (Some(ssn), Some(fein), Some(hire)) => {
                    let row: Option<(String, i64)> = on_tx!(tx, c => {
                        sqlx::query_as(
                            "SELECT receipt_id, record_no FROM new_hire_records WHERE ndnh_batch = $1 \
                             AND ssn_hash = $2 AND fein = $3 AND hire_date = $4 ORDER BY receipt_id, record_no LIMIT 1",
                        )
                        .bind(batch_number)
                        .bind(self.key.ssn_hash(ssn))
                        .bind(fein.expose())
                        .bind(hire.to_string())
                        .fetch_optional(c)
                        .await?
                    });
                    row
                }
                _ => None,
            };
            let Some((receipt_id, record_no)) = found else {
                unmatched += 1;
                continue;
            };
            matched += 1;
            let is_rejected = returned.codes.iter().any(|c| c.rejected);
            let codes: Vec<serde_json::Value> = returned
                .codes
                .iter()
                .map(|c| serde_json::json!({ "code": c.code, "meaning": c.meaning, "rejected": c.rejected }))
                .collect();
            let codes = serde_json::Value::Array(codes);
            on_tx!(tx, c => {
                sqlx::query(
                    "UPDATE new_hire_records SET ndnh_status = $1, ndnh_codes = $2 WHERE receipt_id = $3 AND record_no = $4",
                )
                .bind(if is_rejected { "rejected" } else { "warning" })
                .bind(codes.to_string())
                .bind(&receipt_id)
                .bind(record_no)
                .execute(c)
                .await?
                .rows_affected()
            });
            if is_rejected {
                rejected += 1;
                events::append(
                    tx,
                    &NewEvent {
                        kind: "newhire.ndnh_rejected",
                        partner: Some(&receipt.partner),
                        case_id: None,
                        receipt_id: Some(&receipt_id),
                        payload: serde_json::json!({
                            "newHire": format!("{receipt_id}/{record_no}"),
                            "batch": batch_number,
                            "codes": codes,
                        }),
                    },
                    now,
                )
                .await?;
            }
        }
        let posted = on_tx!(tx, c => {
            sqlx::query(
                "UPDATE new_hire_records SET ndnh_status = 'posted' WHERE ndnh_batch = $1 AND ndnh_status IS NULL",
            )
            .bind(batch_number)
            .execute(c)
            .await?
            .rows_affected()
        });
        deadlines::satisfy(
            tx,
            &receipt.partner,
            &batch_number.to_string(),
            RETURN_KIND,
            &receipt.receipt_id,
            now,
        )
        .await?;
        events::append(
            tx,
            &NewEvent {
                kind: "newhire.ndnh_returned",
                partner: Some(&receipt.partner),
                case_id: None,
                receipt_id: Some(&receipt.receipt_id),
                payload: serde_json::json!({
                    "batch": batch_number,
                    "received": control.received,
                    "rejected": control.rejected,
                    "posted": control.posted,
                    "unverified": control.unverified,
                    "batchCodes": batch_codes,
                    "returnedMatched": matched,
                    "returnedUnmatched": unmatched,
                    "fileProblems": problems,
                }),
            },
            now,
        )
        .await?;
        Ok(format!(
            "batch {batch_number}: {posted} posted, {rejected} rejected, {matched} returned records matched, {unmatched} unmatched"
        ))
    }
}

/// A transmission batch as stored.
#[derive(Clone, Debug, serde::Serialize, sqlx::FromRow)]
#[serde(rename_all = "camelCase")]
pub struct Batch {
    /// Batch number.
    pub batch_number: i64,
    /// W4 records sent.
    pub record_count: i64,
    /// The outbox message.
    pub message_id: Option<i64>,
    /// When it was written.
    pub created_at: i64,
    /// When NDNH's return arrived.
    pub returned_at: Option<i64>,
    /// Records NDNH posted.
    pub posted: Option<i64>,
    /// Records NDNH rejected.
    pub rejected: Option<i64>,
}

/// Every batch, newest first.
pub async fn batches(db: &Db, limit: i64) -> Result<Vec<Batch>, StoreError> {
    Ok(on_read!(db, c => {
        sqlx::query_as::<_, Batch>(
            "SELECT batch_number, record_count, message_id, created_at, returned_at, posted, rejected \
             FROM ndnh_batches ORDER BY batch_number DESC LIMIT $1",
        )
        .bind(limit)
        .fetch_all(c)
        .await?
    }))
}
