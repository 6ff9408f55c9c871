//! Method 1 all-accounts files: every open account of a financial institution, a million
//! records and more, matched against the obligors who owe.
//!
//! # Invariants
//! - **Raw bytes first.** [`AllAccountsIntake::process_file`] records a receipt naming the
//!   file (its path and SHA-256) before the first record is read; the file must stay where
//!   it is until the receipt is complete (it is the spool copy).
//! - **Memory does not grow with the file.** A reader thread parses the file, hashes each
//!   SSN and hands the accounts over in chunks of [`CHUNK`] through a bounded channel; each
//!   chunk is matched and committed in one transaction with the receipt's checkpoint
//!   (`records_done`). What stays in memory is two chunks and the obligors they hit.
//! - **A crash loses nothing and applies nothing twice.** A resumed run ([`resume`]
//!   at start) skips the records up to the checkpoint; a match already applied is
//!   refused by `fidm_matches` (see [`super`]).
//! - **The same file twice is one file**: its SHA-256 is the message id under the partner.
//!
//! Files picked up from a partner's directory (channel [`CHANNEL`]) go through
//! [`AccountsPickupIntake`]. **Limit:** the pick-up reads a file into memory and processes
//! it in the receipt's one transaction, so memory there grows with the file (500 bytes a
//! record: 500 MB for a million). Large files belong on the streaming path —
//! [`AllAccountsIntake::process_file`] on the file where it lies.
//!
//! [`resume`]: AllAccountsIntake::resume

use std::io::BufReader;
use std::path::Path;
use std::sync::Arc;

use ivd_fidm::{Account, AccountOutcome, FieldError, Institution};
use serde::Serialize;
use sha2::{Digest, Sha256};

use super::{Candidate, apply_candidate, obligors, problem_json, year_month_text};
use crate::config::Settings;
use crate::intake::{Processor, Receipt, claim_message_id, new_receipt_id};
use crate::privacy::LookupKey;
use crate::store::events::{self, NewEvent};
use crate::store::{Db, DbTx, StoreError};
use crate::{on_read, on_tx};

/// The intake channel of all-accounts files.
pub const CHANNEL: &str = "fidm-accounts";

/// Records matched and committed per transaction.
pub const CHUNK: usize = 2_000;

/// Processing an all-accounts file failed; the receipt stays open and is resumed.
#[derive(Debug, thiserror::Error)]
pub enum AccountsError {
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The file could not be read.
    #[error("reading the all-accounts file: {0}")]
    Io(String),
    /// The receipt does not exist or is not an all-accounts file.
    #[error("no all-accounts receipt {0}")]
    UnknownReceipt(String),
}

impl From<sqlx::Error> for AccountsError {
    fn from(error: sqlx::Error) -> Self {
        AccountsError::Store(error.into())
    }
}

/// The totals of one all-accounts file.
#[derive(Clone, Debug, Default, Serialize, sqlx::FromRow, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct AccountsSummary {
    /// The receipt id.
    pub receipt_id: String,
    /// The partner it came from.
    pub partner: String,
    /// `processing` or `complete`.
    pub state: String,
    /// Records read so far (the checkpoint).
    pub records: i64,
    /// Valid account records.
    pub accounts: i64,
    /// Records with an error (see the `fidm.file_problems` event).
    pub invalid: i64,
    /// Levy-candidate events appended.
    pub candidates: i64,
    /// When it was received (ms since the epoch).
    pub received_at: i64,
    /// When processing finished.
    pub completed_at: Option<i64>,
}

const SUMMARY_COLUMNS: &str = "receipt_id, partner, state, records_done AS records, accounts, \
     invalid, candidates, received_at, completed_at";

/// The institution of a file, as the chunks carry it.
#[derive(Clone, Debug)]
struct Bank {
    tin: String,
    name: String,
    year_month: (u16, u8),
}

impl Bank {
    fn of(institution: Option<&Institution>) -> Option<Bank> {
        institution.map(|i| Bank {
            tin: i.tin.expose().to_string(),
            name: i.name.clone(),
            year_month: i.year_month,
        })
    }
}

/// One record as the reader thread hands it over.
struct Item {
    record: u64,
    ssn_hash: Option<String>,
    account: Option<Account>,
    errors: Vec<FieldError>,
}

/// A chunk of records and the institution named by the file's header.
struct Chunk {
    bank: Option<Bank>,
    items: Vec<Item>,
}

fn item(key: &LookupKey, outcome: AccountOutcome) -> Item {
    let valid = outcome.errors.is_empty();
    let account = outcome.account.filter(|_| valid);
    Item {
        record: outcome.record,
        ssn_hash: account.as_ref().map(|a| key.ssn_hash(&a.ssn)),
        account,
        errors: outcome.errors,
    }
}

/// Most problems kept per file (the count is always whole).
const PROBLEMS_KEPT: usize = super::matches::PROBLEMS_LISTED;

/// Registers a file in the receipt's transaction.
async fn register(
    tx: &mut DbTx,
    receipt_id: &str,
    partner: &str,
    path: &str,
    now: i64,
) -> Result<(), StoreError> {
    on_tx!(tx, c => {
        sqlx::query(
            "INSERT INTO fidm_account_files (receipt_id, partner, path, state, received_at) \
             VALUES ($1, $2, $3, 'processing', $4) ON CONFLICT (receipt_id) DO NOTHING",
        )
        .bind(receipt_id)
        .bind(partner)
        .bind(path)
        .bind(now)
        .execute(c)
        .await?
        .rows_affected()
    });
    Ok(())
}

/// Matches one chunk and moves the checkpoint, in the caller's transaction.
async fn apply_in(
    tx: &mut DbTx,
    key: &LookupKey,
    receipt_id: &str,
    partner: &str,
    chunk: &Chunk,
    now: i64,
) -> Result<(), StoreError> {
    let Some(last) = chunk.items.last().map(|i| i.record as i64) else {
        return Ok(());
    };
    let accounts = chunk.items.iter().filter(|i| i.account.is_some()).count() as i64;
    let invalid = chunk.items.iter().filter(|i| !i.errors.is_empty()).count() as i64;
    let mut candidates = 0i64;
    if let Some(bank) = &chunk.bank {
        let hashes: Vec<&str> = chunk
            .items
            .iter()
            .filter_map(|i| i.ssn_hash.as_deref())
            .collect();
        let found = obligors(tx, key, &hashes).await?;
        if !found.is_empty() {
            for i in &chunk.items {
                let (Some(hash), Some(account)) = (&i.ssn_hash, &i.account) else {
                    continue;
                };
                let Some(owing) = found.get(hash) else {
                    continue;
                };
                let candidate = Candidate {
                    source: "all-accounts",
                    receipt_id,
                    partner,
                    record: i.record,
                    institution_tin: &bank.tin,
                    institution_name: &bank.name,
                    year_month: bank.year_month,
                    ssn_hash: hash,
                    ssn_last4: account.ssn.last4(),
                    account_number: &account.account_number,
                    account_type: account.account_type,
                    balance_dollars: account.balance_dollars,
                    balance_indicator: Some(account.balance_indicator),
                    match_flag: None,
                    last_name_control: &account.last_name_control,
                };
                for obligor in owing {
                    if apply_candidate(tx, key, &candidate, obligor, now).await? {
                        candidates += 1;
                    }
                }
            }
        }
    }
    if invalid > 0 {
        let (kept,): (String,) = on_tx!(tx, c => {
            sqlx::query_as("SELECT problems FROM fidm_account_files WHERE receipt_id = $1")
                .bind(receipt_id)
                .fetch_one(c)
                .await?
        });
        let mut kept: Vec<serde_json::Value> = serde_json::from_str(&kept).unwrap_or_default();
        for i in &chunk.items {
            for error in &i.errors {
                if kept.len() < PROBLEMS_KEPT {
                    kept.push(problem_json(error, Some(i.record)));
                }
            }
        }
        on_tx!(tx, c => {
            sqlx::query("UPDATE fidm_account_files SET problems = $1 WHERE receipt_id = $2")
                .bind(serde_json::Value::Array(kept).to_string())
                .bind(receipt_id)
                .execute(c)
                .await?
                .rows_affected()
        });
    }
    let bank = chunk.bank.as_ref();
    on_tx!(tx, c => {
        sqlx::query(
            "UPDATE fidm_account_files SET records_done = $1, accounts = accounts + $2, \
             invalid = invalid + $3, candidates = candidates + $4, \
             institution_tin = COALESCE($5, institution_tin), year_month = COALESCE($6, year_month) \
             WHERE receipt_id = $7",
        )
        .bind(last)
        .bind(accounts)
        .bind(invalid)
        .bind(candidates)
        .bind(bank.map(|b| b.tin.clone()))
        .bind(bank.map(|b| year_month_text(b.year_month)))
        .bind(receipt_id)
        .execute(c)
        .await?
        .rows_affected()
    });
    Ok(())
}

/// Marks a file complete, reports its problems and returns its one-line outcome.
async fn finish_in(
    tx: &mut DbTx,
    receipt_id: &str,
    now: i64,
) -> Result<Option<String>, StoreError> {
    let totals: AccountsSummary = on_tx!(tx, c => {
        sqlx::query_as::<_, AccountsSummary>(sqlx::AssertSqlSafe(format!(
            "SELECT {SUMMARY_COLUMNS} FROM fidm_account_files WHERE receipt_id = $1"
        )))
        .bind(receipt_id)
        .fetch_one(c)
        .await?
    });
    if totals.state == "complete" {
        return Ok(None);
    }
    let (problems, tin): (String, Option<String>) = on_tx!(tx, c => {
        sqlx::query_as("SELECT problems, institution_tin FROM fidm_account_files WHERE receipt_id = $1")
            .bind(receipt_id)
            .fetch_one(c)
            .await?
    });
    on_tx!(tx, c => {
        sqlx::query("UPDATE fidm_account_files SET state = 'complete', completed_at = $1 WHERE receipt_id = $2")
            .bind(now)
            .bind(receipt_id)
            .execute(c)
            .await?
            .rows_affected()
    });
    if totals.invalid > 0 || tin.is_none() {
        let listed: serde_json::Value =
            serde_json::from_str(&problems).unwrap_or(serde_json::Value::Array(Vec::new()));
        events::append(
            tx,
            &NewEvent {
                kind: "fidm.file_problems",
                partner: Some(&totals.partner),
                case_id: None,
                receipt_id: Some(receipt_id),
                payload: serde_json::json!({
                    "file": "all-accounts",
                    "invalidRecords": totals.invalid,
                    "noInstitution": tin.is_none(),
                    "problems": listed,
                }),
            },
            now,
        )
        .await?;
    }
    let mut outcome = format!(
        "{} records: {} accounts, {} levy candidates, {} invalid records",
        totals.records, totals.accounts, totals.candidates, totals.invalid
    );
    if tin.is_none() {
        outcome.push_str(", no valid header: no institution");
    }
    Ok(Some(outcome))
}

/// Takes in all-accounts files as a stream.
#[derive(Clone, Debug)]
pub struct AllAccountsIntake {
    /// The database.
    pub db: Db,
    /// Settings (FIDM encoding).
    pub settings: Arc<Settings>,
    /// The keyed hash of SSNs.
    pub key: LookupKey,
}

impl AllAccountsIntake {
    /// Takes in the all-accounts file at `path` from `partner`: records a receipt naming
    /// it, then matches it to the end. The same content from the same partner again is
    /// the first receipt (finished if it was not).
    pub async fn process_file(
        &self,
        path: &Path,
        partner: &str,
        now: i64,
    ) -> Result<AccountsSummary, AccountsError> {
        let path = std::fs::canonicalize(path).map_err(|e| AccountsError::Io(e.to_string()))?;
        let hashed = path.clone();
        let (sha256, size) =
            tokio::task::spawn_blocking(move || -> std::io::Result<(String, u64)> {
                let mut file = std::fs::File::open(&hashed)?;
                let mut hasher = Sha256::new();
                let size = std::io::copy(&mut file, &mut hasher)?;
                Ok((hex::encode(hasher.finalize()), size))
            })
            .await
            .map_err(|e| AccountsError::Io(e.to_string()))?
            .map_err(|e| AccountsError::Io(e.to_string()))?;
        let message_id = format!("sha256:{sha256}");
        let receipt_id = new_receipt_id(now);
        let path_text = path.to_string_lossy().to_string();
        let mut tx = self.db.begin().await?;
        on_tx!(&mut tx, c => {
            sqlx::query(
                "INSERT INTO inbound_receipts (receipt_id, partner, channel, message_id, content_type, \
                 body, size_bytes, sha256, state, received_at, spool_path) \
                 VALUES ($1, $2, $3, $4, 'application/octet-stream', $5, $6, $7, 'stored', $8, $9)",
            )
            .bind(&receipt_id)
            .bind(partner)
            .bind(CHANNEL)
            .bind(&message_id)
            .bind(Vec::<u8>::new())
            .bind(size as i64)
            .bind(&sha256)
            .bind(now)
            .bind(&path_text)
            .execute(c)
            .await?
            .rows_affected()
        });
        if let Some(original) =
            claim_message_id(&mut tx, partner, &message_id, &receipt_id, now).await?
        {
            drop(tx);
            tracing::info!(receipt_id = %original, "An all-accounts file already received was given again; not applied twice.");
            return self.process(&original, now).await;
        }
        register(&mut tx, &receipt_id, partner, &path_text, now).await?;
        tx.commit().await?;
        self.process(&receipt_id, now).await
    }

    /// Processes (or resumes) a registered file to the end and returns its totals.
    pub async fn process(
        &self,
        receipt_id: &str,
        now: i64,
    ) -> Result<AccountsSummary, AccountsError> {
        let row: Option<(String, String, i64, String)> = on_read!(&self.db, c => {
            sqlx::query_as(
                "SELECT partner, path, records_done, state FROM fidm_account_files WHERE receipt_id = $1",
            )
            .bind(receipt_id)
            .fetch_optional(c)
            .await?
        });
        let Some((partner, path, done, state)) = row else {
            return Err(AccountsError::UnknownReceipt(receipt_id.to_string()));
        };
        if state != "complete" {
            let done = done as u64;
            let encoding = self.settings.fidm.encoding.encoding();
            let key = self.key.clone();
            let (sender, mut chunks) = tokio::sync::mpsc::channel::<Chunk>(2);
            let reader = tokio::task::spawn_blocking(move || -> std::io::Result<()> {
                let file = std::fs::File::open(&path)?;
                let input = BufReader::with_capacity(1 << 20, file);
                let mut records = ivd_fidm::read_accounts(input, encoding);
                let mut items = Vec::with_capacity(CHUNK);
                while let Some(outcome) = records.next() {
                    if outcome.record <= done {
                        continue;
                    }
                    items.push(item(&key, outcome));
                    if items.len() == CHUNK {
                        let chunk = Chunk {
                            bank: Bank::of(records.institution()),
                            items: std::mem::replace(&mut items, Vec::with_capacity(CHUNK)),
                        };
                        if sender.blocking_send(chunk).is_err() {
                            return Ok(());
                        }
                    }
                }
                if !items.is_empty() {
                    let _ = sender.blocking_send(Chunk {
                        bank: Bank::of(records.institution()),
                        items,
                    });
                }
                Ok(())
            });
            while let Some(chunk) = chunks.recv().await {
                let applied = async {
                    let mut tx = self.db.begin().await?;
                    apply_in(&mut tx, &self.key, receipt_id, &partner, &chunk, now).await?;
                    tx.commit().await
                }
                .await;
                if let Err(error) = applied {
                    chunks.close();
                    let _ = reader.await;
                    return Err(error.into());
                }
            }
            reader
                .await
                .map_err(|e| AccountsError::Io(e.to_string()))?
                .map_err(|e| AccountsError::Io(e.to_string()))?;
            let mut tx = self.db.begin().await?;
            if let Some(outcome) = finish_in(&mut tx, receipt_id, now).await? {
                on_tx!(&mut tx, c => {
                    sqlx::query(
                        "UPDATE inbound_receipts SET state = 'processed', processed_at = $1, outcome = $2 \
                         WHERE receipt_id = $3",
                    )
                    .bind(now)
                    .bind(&outcome)
                    .bind(receipt_id)
                    .execute(c)
                    .await?
                    .rows_affected()
                });
                tx.commit().await?;
                tracing::info!(receipt_id, %outcome, "FIDM all-accounts file processed.");
            }
        }
        summary(&self.db, receipt_id)
            .await?
            .ok_or_else(|| AccountsError::UnknownReceipt(receipt_id.to_string()))
    }

    /// Processes every file a crash left unfinished.
    pub async fn resume(&self, now: i64) -> Result<usize, AccountsError> {
        let open: Vec<(String,)> = on_read!(&self.db, c => {
            sqlx::query_as(
                "SELECT receipt_id FROM fidm_account_files WHERE state = 'processing' ORDER BY received_at",
            )
            .fetch_all(c)
            .await?
        });
        for (receipt_id,) in &open {
            self.process(receipt_id, now).await?;
        }
        Ok(open.len())
    }
}

/// The totals of a file.
pub async fn summary(db: &Db, receipt_id: &str) -> Result<Option<AccountsSummary>, StoreError> {
    Ok(on_read!(db, c => {
        sqlx::query_as::<_, AccountsSummary>(sqlx::AssertSqlSafe(format!(
            "SELECT {SUMMARY_COLUMNS} FROM fidm_account_files WHERE receipt_id = $1"
        )))
        .bind(receipt_id)
        .fetch_optional(c)
        .await?
    }))
}

/// All-accounts files picked up from a partner's directory, processed in the receipt's
/// transaction (memory grows with the file: see the module documentation).
#[derive(Clone, Debug)]
pub struct AccountsPickupIntake {
    /// Settings (FIDM encoding).
    pub settings: Arc<Settings>,
    /// The keyed hash of SSNs.
    pub key: LookupKey,
}

#[async_trait::async_trait]
impl Processor for AccountsPickupIntake {
    async fn process(
        &self,
        tx: &mut DbTx,
        receipt: &Receipt,
        now: i64,
    ) -> Result<String, StoreError> {
        let encoding = self.settings.fidm.encoding.encoding();
        register(tx, &receipt.receipt_id, &receipt.partner, "", now).await?;
        let mut records = ivd_fidm::read_accounts(&receipt.body[..], encoding);
        let mut items = Vec::with_capacity(CHUNK);
        loop {
            let next = records.next();
            let end = next.is_none();
            if let Some(outcome) = next {
                items.push(item(&self.key, outcome));
            }
            if items.len() == CHUNK || (end && !items.is_empty()) {
                let chunk = Chunk {
                    bank: Bank::of(records.institution()),
                    items: std::mem::replace(&mut items, Vec::with_capacity(CHUNK)),
                };
                apply_in(
                    tx,
                    &self.key,
                    &receipt.receipt_id,
                    &receipt.partner,
                    &chunk,
                    now,
                )
                .await?;
            }
            if end {
                break;
            }
        }
        Ok(finish_in(tx, &receipt.receipt_id, now)
            .await?
            .unwrap_or_else(|| "already processed".to_string()))
    }
}
