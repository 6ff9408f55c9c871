//! Method 2 match files: a bank's answer to the inquiry file, picked up from its
//! directory (channel `fidm-matches`).
//!
//! # Invariants
//! - **Processed in the receipt's transaction** ([`crate::intake::Processor`]): the events
//!   of a file and the receipt's `processed` mark commit together or not at all.
//! - **Every valid match of an obligor who owes is one `fidm.levy_candidate` event per
//!   case**, never twice (`fidm_matches`, see [`super`]); the pass-back is not trusted for
//!   the case — the SSN's keyed hash finds it, so a match for a person whose case closed
//!   since the inquiry is no candidate.
//! - **Problems are reported once**: invalid records and file-level errors (missing header
//!   or trailer, a wrong count) are counted in the outcome and listed in one
//!   `fidm.file_problems` event. A file without a valid header cannot name its institution
//!   and yields no candidate.
//! - **The answered run is noted** (by the file's year and month; best effort).

use std::sync::Arc;

use super::{Candidate, apply_candidate, obligors, problem_json, year_month_text};
use crate::config::Settings;
use crate::intake::{Processor, Receipt};
use crate::privacy::LookupKey;
use crate::store::events::{self, NewEvent};
use crate::store::{DbTx, StoreError};

/// The intake channel of match files.
pub const CHANNEL: &str = "fidm-matches";

/// Most problems listed in one `fidm.file_problems` event (the count is always whole).
pub(crate) const PROBLEMS_LISTED: usize = 200;

/// Takes in match files.
#[derive(Clone, Debug)]
pub struct MatchFileIntake {
    /// Settings (FIDM encoding).
    pub settings: Arc<Settings>,
    /// The keyed hash of SSNs.
    pub key: LookupKey,
}

#[async_trait::async_trait]
impl Processor for MatchFileIntake {
    async fn process(
        &self,
        tx: &mut DbTx,
        receipt: &Receipt,
        now: i64,
    ) -> Result<String, StoreError> {
        let encoding = self.settings.fidm.encoding.encoding();
        let file = ivd_fidm::read_match_file(&receipt.body, encoding);
        let invalid: Vec<&ivd_fidm::RecordVerdict> = file
            .verdicts
            .iter()
            .filter(|v| !v.errors.is_empty())
            .collect();
        let mut candidates = 0usize;
        let mut answered = None;
        if let Some(institution) = &file.institution {
            let tin = institution.tin.expose().to_string();
            let hashes: Vec<String> = file
                .matches
                .iter()
                .map(|m| self.key.ssn_hash(&m.ssn))
                .collect();
            let refs: Vec<&str> = hashes.iter().map(String::as_str).collect();
            let found = obligors(tx, &self.key, &refs).await?;
            for (m, hash) in file.matches.iter().zip(&hashes) {
                let Some(owing) = found.get(hash) else {
                    continue;
                };
                let candidate = Candidate {
                    source: "match-file",
                    receipt_id: &receipt.receipt_id,
                    partner: &receipt.partner,
                    record: m.record,
                    institution_tin: &tin,
                    institution_name: &institution.name,
                    year_month: institution.year_month,
                    ssn_hash: hash,
                    ssn_last4: m.ssn.last4(),
                    account_number: &m.account_number,
                    account_type: m.account_type,
                    balance_dollars: m.balance_dollars,
                    balance_indicator: m.balance_indicator,
                    match_flag: m.match_flag,
                    last_name_control: &m.last_name_control,
                };
                for obligor in owing {
                    if apply_candidate(tx, &self.key, &candidate, obligor, now).await? {
                        candidates += 1;
                    }
                }
            }
            answered = super::inquiry::note_answer(
                tx,
                &year_month_text(institution.year_month),
                &receipt.receipt_id,
                now,
            )
            .await?;
        }
        let problems: Vec<serde_json::Value> = invalid
            .iter()
            .flat_map(|v| v.errors.iter().map(|e| problem_json(e, Some(v.record))))
            .collect();
        if !problems.is_empty() || !file.errors.is_empty() || file.institution.is_none() {
            events::append(
                tx,
                &NewEvent {
                    kind: "fidm.file_problems",
                    partner: Some(&receipt.partner),
                    case_id: None,
                    receipt_id: Some(&receipt.receipt_id),
                    payload: serde_json::json!({
                        "file": "match",
                        "invalidRecords": invalid.len(),
                        "fileErrors": file.errors.iter().map(|e| e.code.as_str()).collect::<Vec<_>>(),
                        "noInstitution": file.institution.is_none(),
                        "problemCount": problems.len(),
                        "problems": problems.iter().take(PROBLEMS_LISTED).collect::<Vec<_>>(),
                    }),
                },
                now,
            )
            .await?;
        }
        let mut outcome = format!(
            "{} matches: {} levy candidates, {} invalid records",
            file.matches.len(),
            candidates,
            invalid.len()
        );
        if !file.errors.is_empty() {
            let codes: Vec<&str> = file.errors.iter().map(|e| e.code.as_str()).collect();
            outcome.push_str(&format!(", file errors: {}", codes.join(" ")));
        }
        if file.institution.is_none() {
            outcome.push_str(", no valid header: no institution");
        }
        if let Some(run) = answered {
            outcome.push_str(&format!(", answers inquiry run {run}"));
        }
        tracing::info!(receipt_id = %receipt.receipt_id, candidates, invalid = invalid.len(), "FIDM match file processed.");
        Ok(outcome)
    }
}
