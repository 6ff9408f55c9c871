//! The Method 2 inquiry file: the state asks the financial institutions about its
//! obligors who owe.
//!
//! # Invariants
//! - **Exactly the obligors who owe.** Every noncustodial parent with an SSN on an open
//!   case whose orders carry arrears is asked about once (the first case, by id, is the
//!   pass-back that comes back on a match); nobody else is.
//! - **The file leaves through the outbox**, in the transaction that records the run; its
//!   idempotency key is the run number, which comes from a counter that never repeats, so
//!   a retry or a crash never produces a second copy with new content.
//! - **The feed learns the count, never who.** `fidm.inquiry_sent` carries the run, the
//!   month and the number of inquiries.
//! - **Memory grows with the obligors, not with the cases**: cases are read in pages.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use ivd_fidm::Inquiry;
use ivd_model::{Case, ParticipantRole};
use tokio_util::sync::CancellationToken;

use super::{owes_arrears, year_month_text};
use crate::config::Settings;
use crate::outbox::{self, NewMessage};
use crate::privacy::LookupKey;
use crate::store::events::{self, NewEvent};
use crate::store::{Db, StoreError, serials};
use crate::{on_read, on_tx};

/// The outbox kind of an inquiry file.
pub const KIND: &str = "fidm-inquiry";

/// Cases read per page.
const PAGE: i64 = 500;

/// Writes inquiry files.
#[derive(Clone, Debug)]
pub struct FidmInquiry {
    /// The database.
    pub db: Db,
    /// Settings (the FIDM section and the state's FIPS code).
    pub settings: Arc<Settings>,
    /// The keyed hash of SSNs (who was asked about is deduplicated by it).
    pub key: LookupKey,
}

/// One inquiry file written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InquiryRun {
    /// The run number (also in the file name).
    pub run_number: i64,
    /// The month the file says it was created, `YYYY-MM`.
    pub year_month: String,
    /// Inquiry records in it.
    pub count: usize,
    /// The outbox message that carries it.
    pub message_id: i64,
}

fn truncated(text: &str, max: usize) -> String {
    text.trim().to_uppercase().chars().take(max).collect()
}

impl FidmInquiry {
    /// The inquiries of every obligor who owes, in case-id order.
    pub async fn inquiries(&self) -> Result<Vec<Inquiry>, StoreError> {
        let fips = self
            .settings
            .state
            .fips
            .as_deref()
            .and_then(|f| f.get(..5))
            .ok_or_else(|| {
                StoreError::Invalid("FIDM inquiries need state.fips (7 digits)".to_string())
            })?
            .to_string();
        let mut asked: HashSet<String> = HashSet::new();
        let mut inquiries = Vec::new();
        let mut after = String::new();
        loop {
            let page = crate::store::cases::page_after(&self.db, &after, PAGE).await?;
            let Some(last) = page.last() else {
                break;
            };
            after = last.case_id.clone();
            for stored in &page {
                let case_id = &stored.case_id;
                let Ok(case) = serde_json::from_str::<Case>(&stored.snapshot) else {
                    tracing::warn!(
                        case_id,
                        "A stored case does not parse; left out of the FIDM inquiry."
                    );
                    continue;
                };
                if !owes_arrears(&case) {
                    continue;
                }
                if case_id.len() > 15 {
                    tracing::warn!(
                        case_id,
                        "A case id longer than the 15-character FIDM pass-back; left out of the inquiry."
                    );
                    continue;
                }
                for participant in &case.participants {
                    if participant.role != ParticipantRole::NoncustodialParent {
                        continue;
                    }
                    let Some(ssn) = &participant.person.ssn else {
                        continue;
                    };
                    if !asked.insert(self.key.ssn_hash(ssn)) {
                        continue;
                    }
                    let name = participant.person.name.expose();
                    inquiries.push(Inquiry {
                        ssn: ssn.clone(),
                        last_name: truncated(name.last, 20),
                        first_name: truncated(name.first, 16),
                        passback: case_id.clone(),
                        fips: fips.clone(),
                    });
                }
            }
        }
        Ok(inquiries)
    }

    /// Writes the inquiry file of the obligors who owe and enqueues it to the FIDM
    /// partner. `None` when no partner is configured or nobody owes.
    pub async fn write_inquiry(&self, now: i64) -> Result<Option<InquiryRun>, StoreError> {
        let Some(partner) = self.settings.fidm.partner.clone() else {
            return Ok(None);
        };
        let mut inquiries = self.inquiries().await?;
        let date = crate::channels::employers::newhire::date_of(now);
        let year_month = (date.year() as u16, u8::from(date.month()));
        let encoding = self.settings.fidm.encoding.encoding();
        // A person the format cannot carry (a name with characters it refuses) is left
        // out and counted, rather than holding back everybody else's inquiry.
        let before = inquiries.len();
        inquiries.retain(|i| {
            ivd_fidm::write_inquiry_file(year_month, std::slice::from_ref(i), encoding).is_ok()
        });
        if inquiries.len() < before {
            tracing::warn!(
                left_out = before - inquiries.len(),
                "Obligors the FIDM inquiry format cannot carry were left out; see their cases' names."
            );
        }
        if inquiries.is_empty() {
            tracing::info!("No obligor owes arrears; no FIDM inquiry file written.");
            return Ok(None);
        }
        let payload = ivd_fidm::write_inquiry_file(year_month, &inquiries, encoding)
            .map_err(|e| StoreError::Invalid(format!("writing the FIDM inquiry file: {e}")))?;
        let month = year_month_text(year_month);
        let mut tx = self.db.begin().await?;
        let run_number = serials::next(&mut tx, "fidm-inquiry").await?;
        let message = NewMessage {
            partner: partner.clone(),
            ordering_key: "fidm".to_string(),
            idempotency_key: format!("fidm-inquiry-{run_number}"),
            kind: KIND.to_string(),
            content_type: "application/octet-stream".to_string(),
            file_name: format!(
                "FIDM.INQ.R{run_number:06}.{}{:02}.dat",
                year_month.0, year_month.1
            ),
            payload,
            cause_kind: "fidm-inquiry".to_string(),
            cause_id: run_number.to_string(),
            max_attempts: self.settings.max_attempts_for(&partner),
            run_at: now,
            replay_of: None,
        };
        let message_id = outbox::enqueue(&mut tx, &message, now).await?.id();
        let count = inquiries.len();
        on_tx!(&mut tx, c => {
            sqlx::query(
                "INSERT INTO fidm_inquiries (run_number, partner, year_month, inquiry_count, message_id, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(run_number)
            .bind(&partner)
            .bind(&month)
            .bind(count as i64)
            .bind(message_id)
            .bind(now)
            .execute(c)
            .await?
            .rows_affected()
        });
        events::append(
            &mut tx,
            &NewEvent {
                kind: "fidm.inquiry_sent",
                partner: Some(&partner),
                case_id: None,
                receipt_id: None,
                payload: serde_json::json!({ "run": run_number, "yearMonth": month, "inquiries": count }),
            },
            now,
        )
        .await?;
        tx.commit().await?;
        tracing::info!(run_number, inquiries = count, "FIDM inquiry file enqueued.");
        Ok(Some(InquiryRun {
            run_number,
            year_month: month,
            count,
            message_id,
        }))
    }

    /// Writes an inquiry file every `inquiry_interval_secs` until shut down (the first
    /// one a full period after the start, so a restart does not send an extra file).
    pub async fn run(self, shutdown: CancellationToken) {
        let every = Duration::from_secs(self.settings.fidm.inquiry_interval_secs);
        if every.is_zero() {
            return;
        }
        loop {
            tokio::select! {
                _ = shutdown.cancelled() => return,
                _ = tokio::time::sleep(every) => {}
            }
            if let Err(error) = self.write_inquiry(crate::store::now_ms()).await {
                tracing::warn!(error = %error, "Writing the FIDM inquiry file failed; retrying at the next interval.");
            }
        }
    }
}

/// Notes that a match file answered the inquiry run of its month (best effort: the
/// latest run of that month, if there is one). Returns the run number.
pub(crate) async fn note_answer(
    tx: &mut crate::store::DbTx,
    year_month: &str,
    receipt_id: &str,
    now: i64,
) -> Result<Option<i64>, StoreError> {
    let run: Option<(i64,)> = on_tx!(tx, c => {
        sqlx::query_as(
            "UPDATE fidm_inquiries SET answers = answers + 1, last_answered_at = $1, last_answer_receipt = $2 \
             WHERE run_number = (SELECT MAX(run_number) FROM fidm_inquiries WHERE year_month = $3) \
             RETURNING run_number",
        )
        .bind(now)
        .bind(receipt_id)
        .bind(year_month)
        .fetch_optional(c)
        .await?
    });
    Ok(run.map(|(r,)| r))
}

/// The inquiry runs, newest first: (run, month, count, answers).
pub async fn runs(db: &Db) -> Result<Vec<(i64, String, i64, i64)>, StoreError> {
    Ok(on_read!(db, c => {
        sqlx::query_as(
            "SELECT run_number, year_month, inquiry_count, answers FROM fidm_inquiries ORDER BY run_number DESC",
        )
        .fetch_all(c)
        .await?
    }))
}
