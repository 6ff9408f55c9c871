//! New-hire files from employers: spooled, parsed as a stream, judged record by record.
//!
//! # Invariants
//! - **Raw bytes first.** The upload is in a fsynced spool file with a receipt row before
//!   the first record is read ([`crate::intake::spool`]).
//! - **Memory does not grow with the file.** A reader thread parses, judges and seals the
//!   spool file's records and hands them over in chunks through a bounded channel; a
//!   transaction writes whole chunks (up to `TRANSACTION_RECORDS` or
//!   `TRANSACTION_AGE`) and commits them with the receipt's checkpoint (`records_done`).
//! - **A crash loses nothing and applies nothing twice.** A resumed run skips the records
//!   up to the checkpoint; records are keyed by (receipt, record number).
//! - **Scope.** A record whose FEIN is not one the uploader may report for is refused
//!   (`FEIN_NOT_IN_SCOPE`) and goes nowhere.
//! - **One employee, one report.** A record for an SSN (by keyed hash) and FEIN already
//!   accepted with a hire date at most `duplicate_window_days` away is a duplicate: kept in
//!   the receipt, never forwarded.

use std::collections::HashMap;
use std::io::BufReader;
use std::sync::Arc;

use ivd_newhire::{Format, NewHire, RecordOutcome, Rules};

use crate::config::Settings;
use crate::intake::spool;
use crate::privacy::LookupKey;
use crate::store::events::{self, NewEvent};
use crate::store::{Db, DbTx, StoreError};
use crate::{on_read, on_tx};

mod report;
mod retention;

pub use report::{Problem, RecordReport, Submitter, Summary, records, submitter_account, summary};
use report::{SUMMARY_COLUMNS, problem};
pub use retention::{purge_before, run_retention};

/// The intake channel of new-hire uploads.
pub const CHANNEL: &str = "new-hires";

/// Records judged and written together (what the reader hands over at a time, and so
/// what the intake holds in memory beside the database's own pages).
const CHUNK: usize = 2_000;

/// Records committed per transaction, unless [`TRANSACTION_AGE`] comes first. Much more
/// than a chunk: the duplicate index (`new_hire_by_person`) takes each person's hash in
/// random order, so a transaction dirties about one index page per record until it holds
/// several records per page; each dirtied page is written to the WAL at commit and again
/// at checkpoint. A SQLite microbenchmark of a million records (the intake's table and
/// indexes, `synchronous=FULL`) took 27.6 s in transactions of 2,000 and 15.8 s in
/// transactions of 20,000.
const TRANSACTION_RECORDS: usize = 8 * CHUNK;

/// A transaction open this long commits at the end of its chunk, however few records it
/// holds: on SQLite it holds the single writer, which the outbox and the API wait for.
const TRANSACTION_AGE: std::time::Duration = std::time::Duration::from_secs(1);

/// Rows per multi-row INSERT (well under both backends' bind-parameter limits).
const INSERT_ROWS: usize = 500;

/// Processing an upload failed; the receipt stays open and is resumed.
#[derive(Debug, thiserror::Error)]
pub enum NewHireError {
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The spool file could not be read.
    #[error("reading the spooled upload: {0}")]
    Io(String),
    /// The receipt does not exist or is not a new-hire upload.
    #[error("no new-hire receipt {0}")]
    UnknownReceipt(String),
}

impl From<sqlx::Error> for NewHireError {
    fn from(error: sqlx::Error) -> Self {
        NewHireError::Store(error.into())
    }
}

/// Takes in new-hire uploads.
#[derive(Clone, Debug)]
pub struct NewHireIntake {
    /// The database.
    pub db: Db,
    /// Settings (employers section, partners, IWO issuer).
    pub settings: Arc<Settings>,
    /// The keyed hash of SSNs.
    pub key: LookupKey,
}

/// What the intake knows about one record while judging its chunk.
struct Judged {
    record_no: i64,
    status: &'static str,
    problems: Vec<Problem>,
    fein: Option<String>,
    ssn_hash: Option<String>,
    hire_date: Option<time::Date>,
    duplicate_of: Option<String>,
    w4: Option<Vec<u8>>,
    matched_case: Option<String>,
    new_hire: Option<NewHire>,
}

impl NewHireIntake {
    /// Registers a spooled upload for processing: who sent it (the account id, when an
    /// account did; its name for display), what it may report for, and its format.
    pub async fn register(
        &self,
        receipt_id: &str,
        submitter: Submitter<'_>,
        scope: &[String],
        format: Format,
        now: i64,
    ) -> Result<(), StoreError> {
        let mut tx = self.db.begin().await?;
        on_tx!(&mut tx, c => {
            sqlx::query(
                "INSERT INTO new_hire_receipts (receipt_id, submitter, account_id, scope, format, state, received_at) \
                 VALUES ($1, $2, $3, $4, $5, 'processing', $6) ON CONFLICT (receipt_id) DO NOTHING",
            )
            .bind(receipt_id)
            .bind(submitter.name)
            .bind(submitter.account_id)
            .bind(scope.join(","))
            .bind(format.name())
            .bind(now)
            .execute(c)
            .await?
            .rows_affected()
        });
        tx.commit().await?;
        Ok(())
    }

    /// Processes (or resumes) an upload to the end and returns its totals.
    pub async fn process(&self, receipt_id: &str, now: i64) -> Result<Summary, NewHireError> {
        let row: Option<(String, String, i64, String, i64)> = on_read!(&self.db, c => {
            sqlx::query_as(
                "SELECT scope, format, records_done, state, received_at FROM new_hire_receipts WHERE receipt_id = $1",
            )
            .bind(receipt_id)
            .fetch_optional(c)
            .await?
        });
        let Some((scope, format, done, state, received_at)) = row else {
            return Err(NewHireError::UnknownReceipt(receipt_id.to_string()));
        };
        if state != "complete" {
            let format: Format = format
                .parse()
                .map_err(|_| NewHireError::UnknownReceipt(receipt_id.to_string()))?;
            let path = spool::spool_path(&self.db, receipt_id)
                .await?
                .ok_or_else(|| NewHireError::UnknownReceipt(receipt_id.to_string()))?;
            let scope: Vec<String> = scope.split(',').map(str::to_string).collect();
            let rules =
                Rules::new(date_of(received_at)).allow_itin(self.settings.employers.allow_itin);

            // The reader thread parses, judges and seals; this task only writes, so the
            // CPU work of a chunk overlaps the database's work on the one before.
            let (sender, mut chunks) =
                tokio::sync::mpsc::channel::<Result<Vec<Judged>, StoreError>>(2);
            let keys = self.db.sealer().keys().cloned();
            let spooled_id = receipt_id.to_string();
            let intake = self.clone();
            let reader = tokio::task::spawn_blocking(move || -> std::io::Result<()> {
                // The spool file is sealed on disk; it is read as clear bytes.
                let file = spool::open(&path, keys.as_ref(), &spooled_id)?;
                let input = BufReader::with_capacity(1 << 20, file);
                let mut chunk = Vec::with_capacity(CHUNK);
                for outcome in ivd_newhire::read_new_hires(format, input, &rules) {
                    if outcome.record as i64 <= done {
                        continue;
                    }
                    chunk.push(outcome);
                    if chunk.len() == CHUNK {
                        let judged = intake.judge_chunk(&spooled_id, &scope, &mut chunk);
                        // After a failure the writer stops: so does the reader.
                        let failed = judged.is_err();
                        if sender.blocking_send(judged).is_err() || failed {
                            return Ok(());
                        }
                    }
                }
                if !chunk.is_empty() {
                    let _ =
                        sender.blocking_send(intake.judge_chunk(&spooled_id, &scope, &mut chunk));
                }
                Ok(())
            });
            // One transaction spans several chunks; `records_done` moves with each commit,
            // so a crash resumes after the last committed chunk.
            let mut open: Option<(DbTx, usize, std::time::Instant)> = None;
            while let Some(chunk) = chunks.recv().await {
                let step = async {
                    let chunk = chunk?;
                    let (tx, records, opened) = match open.as_mut() {
                        Some(open) => open,
                        None => open.insert((self.db.begin().await?, 0, std::time::Instant::now())),
                    };
                    *records += chunk.len();
                    self.apply_chunk(tx, receipt_id, chunk, now).await?;
                    if (*records >= TRANSACTION_RECORDS || opened.elapsed() >= TRANSACTION_AGE)
                        && let Some((tx, _, _)) = open.take()
                    {
                        tx.commit().await?;
                    }
                    Ok::<(), NewHireError>(())
                };
                if let Err(error) = step.await {
                    chunks.close();
                    let _ = reader.await;
                    return Err(error);
                }
            }
            if let Some((tx, _, _)) = open.take() {
                tx.commit().await?;
            }
            reader
                .await
                .map_err(|e| NewHireError::Io(e.to_string()))?
                .map_err(|e| NewHireError::Io(e.to_string()))?;
            self.finish(receipt_id, now).await?;
        }
        summary(&self.db, receipt_id)
            .await?
            .ok_or_else(|| NewHireError::UnknownReceipt(receipt_id.to_string()))
    }

    /// Processes every upload a crash left unfinished.
    pub async fn resume(&self, now: i64) -> Result<usize, NewHireError> {
        let open: Vec<(String,)> = on_read!(&self.db, c => {
            sqlx::query_as("SELECT receipt_id FROM new_hire_receipts WHERE state = 'processing' ORDER BY received_at")
                .fetch_all(c)
                .await?
        });
        for (receipt_id,) in &open {
            self.process(receipt_id, now).await?;
        }
        Ok(open.len())
    }

    /// Judges the records of a chunk (taking them out of `chunk`) and seals the NDNH copy
    /// of each accepted one.
    fn judge_chunk(
        &self,
        receipt_id: &str,
        scope: &[String],
        chunk: &mut Vec<RecordOutcome>,
    ) -> Result<Vec<Judged>, StoreError> {
        chunk
            .drain(..)
            .map(|outcome| self.judge(receipt_id, scope, outcome))
            .collect()
    }

    fn judge(
        &self,
        receipt_id: &str,
        scope: &[String],
        outcome: RecordOutcome,
    ) -> Result<Judged, StoreError> {
        let mut problems: Vec<Problem> = outcome
            .errors
            .iter()
            .map(|e| problem(e, "error"))
            .chain(outcome.warnings.iter().map(|e| problem(e, "warning")))
            .collect();
        let record_no = outcome.record as i64;
        let mut judged = Judged {
            record_no,
            status: "invalid",
            problems: Vec::new(),
            fein: None,
            ssn_hash: None,
            hire_date: None,
            duplicate_of: None,
            w4: None,
            matched_case: None,
            new_hire: None,
        };
        let valid = outcome.errors.is_empty();
        if let (true, Some(new_hire)) = (valid, outcome.new_hire) {
            let fein = new_hire.employer.fein.expose().to_string();
            judged.fein = Some(fein.clone());
            if !scope.contains(&fein) {
                problems.push(Problem {
                    field: "employer_fein".into(),
                    position: None,
                    code: "FEIN_NOT_IN_SCOPE".into(),
                    message: "this account may not report for this employer's FEIN; \
                              ask the state to add it to your account"
                        .into(),
                    severity: "error".into(),
                });
                judged.status = "refused";
            } else {
                match ivd_newhire::ndnh::detail_record(&new_hire) {
                    Ok(bytes) => {
                        judged.status = "accepted";
                        judged.ssn_hash =
                            Some(self.key.taxpayer_id_hash(new_hire.employee.ssn.expose()));
                        judged.hire_date = Some(new_hire.hire_date);
                        // The NDNH detail record carries the SSN: sealed per row (one
                        // AES-GCM call per accepted record) under
                        // `new_hire_records:<receipt_id>:<record_no>`; the look-up columns
                        // hold only the keyed hash. `ndnh::forward` opens them. The clear
                        // record is not kept beside its sealed form.
                        judged.w4 = Some(self.db.sealer().seal_bytes(
                            &bytes,
                            &crate::store::sealing::place::new_hire(receipt_id, record_no),
                        )?);
                        judged.new_hire = Some(new_hire);
                    }
                    Err(_) => problems.push(Problem {
                        field: "record".into(),
                        position: None,
                        code: "NOT_FORWARDABLE".into(),
                        message: "the report cannot be written as an NDNH W4 record".into(),
                        severity: "error".into(),
                    }),
                }
            }
        }
        judged.problems = problems;
        Ok(judged)
    }

    /// Writes a judged chunk in `tx` (after the duplicate check and the matching, which
    /// need the database), with the receipt's totals and progress.
    async fn apply_chunk(
        &self,
        tx: &mut DbTx,
        receipt_id: &str,
        mut judged: Vec<Judged>,
        now: i64,
    ) -> Result<(), NewHireError> {
        let Some(last) = judged.last().map(|j| j.record_no) else {
            return Ok(());
        };

        // Duplicates: earlier accepted reports of the same people, then this chunk's own.
        let hashes: Vec<String> = judged.iter().filter_map(|j| j.ssn_hash.clone()).collect();
        let mut seen = accepted_reports(tx, &hashes).await?;
        let window = self.settings.employers.duplicate_window_days;
        for record in judged.iter_mut().filter(|j| j.status == "accepted") {
            let (Some(hash), Some(fein), Some(hire)) =
                (&record.ssn_hash, &record.fein, record.hire_date)
            else {
                continue;
            };
            let earlier = seen.get(hash).and_then(|reports| {
                reports
                    .iter()
                    .find(|(f, d, _)| f == fein && (hire - *d).whole_days().abs() <= window)
            });
            if let Some((_, _, reference)) = earlier {
                record.status = "duplicate";
                record.duplicate_of = Some(reference.clone());
                record.w4 = None;
                record.new_hire = None;
                record.problems.push(Problem {
                    field: "record".into(),
                    position: None,
                    code: "DUPLICATE_REPORT".into(),
                    message: format!(
                        "this employee was already reported by this employer with a hire date within {window} days; \
                         the earlier report stands and this one is not forwarded"
                    ),
                    severity: "warning".into(),
                });
            } else {
                seen.entry(hash.clone()).or_default().push((
                    fein.clone(),
                    hire,
                    format!("{receipt_id}/{}", record.record_no),
                ));
            }
        }

        // Matches to noncustodial parents (events and withholding orders in this
        // transaction).
        let matched =
            super::matching::match_new_hires(tx, &self.settings, receipt_id, &mut judged, now)
                .await?;

        let count = |status: &str| judged.iter().filter(|j| j.status == status).count() as i64;
        let (accepted, invalid, duplicate, refused) = (
            count("accepted"),
            count("invalid"),
            count("duplicate"),
            count("refused"),
        );
        // The NDNH copies were sealed on the reader thread; each is moved into its row.
        for part in judged.chunks_mut(INSERT_ROWS) {
            on_tx!(tx, c => {
                let mut insert = sqlx::QueryBuilder::new(
                    "INSERT INTO new_hire_records (receipt_id, record_no, status, problems, fein, \
                     ssn_hash, hire_date, duplicate_of, w4, matched_case) ",
                );
                insert.push_values(part.iter_mut(), |mut row, record| {
                    row.push_bind(receipt_id.to_string())
                        .push_bind(record.record_no)
                        .push_bind(record.status)
                        .push_bind(
                            (!record.problems.is_empty())
                                .then(|| serde_json::to_string(&record.problems).unwrap_or_default()),
                        )
                        .push_bind(record.fein.clone())
                        .push_bind(record.ssn_hash.clone())
                        .push_bind(record.hire_date.map(|d| d.to_string()))
                        .push_bind(record.duplicate_of.clone())
                        .push_bind(record.w4.take())
                        .push_bind(record.matched_case.clone());
                });
                insert.push(" ON CONFLICT (receipt_id, record_no) DO NOTHING");
                insert.build().execute(c).await?.rows_affected()
            });
        }
        on_tx!(tx, c => {
            sqlx::query(
                "UPDATE new_hire_receipts SET records_done = $1, accepted = accepted + $2, \
                 invalid = invalid + $3, duplicate = duplicate + $4, refused = refused + $5, \
                 matched = matched + $6 WHERE receipt_id = $7",
            )
            .bind(last)
            .bind(accepted)
            .bind(invalid)
            .bind(duplicate)
            .bind(refused)
            .bind(matched)
            .bind(receipt_id)
            .execute(c)
            .await?
            .rows_affected()
        });
        Ok(())
    }

    async fn finish(&self, receipt_id: &str, now: i64) -> Result<(), NewHireError> {
        let mut tx = self.db.begin().await?;
        let totals: Summary = on_tx!(&mut tx, c => {
            sqlx::query_as::<_, Summary>(sqlx::AssertSqlSafe(format!(
                "SELECT {SUMMARY_COLUMNS} FROM new_hire_receipts WHERE receipt_id = $1"
            )))
            .bind(receipt_id)
            .fetch_one(c)
            .await?
        });
        if totals.state == "complete" {
            return Ok(());
        }
        let submitter: (String,) = on_tx!(&mut tx, c => {
            sqlx::query_as("SELECT submitter FROM new_hire_receipts WHERE receipt_id = $1")
                .bind(receipt_id)
                .fetch_one(c)
                .await?
        });
        let outcome = format!(
            "{} records: {} accepted, {} invalid, {} duplicate, {} refused, {} matched",
            totals.records,
            totals.accepted,
            totals.invalid,
            totals.duplicate,
            totals.refused,
            totals.matched
        );
        on_tx!(&mut tx, c => {
            sqlx::query("UPDATE new_hire_receipts SET state = 'complete', completed_at = $1 WHERE receipt_id = $2")
                .bind(now)
                .bind(receipt_id)
                .execute(c)
                .await?
                .rows_affected()
        });
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
        events::append(
            &mut tx,
            &NewEvent {
                kind: "newhire.received",
                partner: Some(&submitter.0),
                case_id: None,
                receipt_id: Some(receipt_id),
                payload: serde_json::json!({
                    "format": totals.format,
                    "records": totals.records,
                    "accepted": totals.accepted,
                    "invalid": totals.invalid,
                    "duplicate": totals.duplicate,
                    "refused": totals.refused,
                    "matched": totals.matched,
                }),
            },
            now,
        )
        .await?;
        tx.commit().await?;
        tracing::info!(receipt_id, %outcome, "New-hire upload processed.");
        Ok(())
    }
}

/// Accepted reports of these people: keyed hash → (FEIN, hire date, `receipt/record`).
async fn accepted_reports(
    tx: &mut DbTx,
    hashes: &[String],
) -> Result<HashMap<String, Vec<(String, time::Date, String)>>, StoreError> {
    let mut found: HashMap<String, Vec<(String, time::Date, String)>> = HashMap::new();
    for part in hashes.chunks(INSERT_ROWS) {
        let rows: Vec<(String, String, String, String, i64)> = on_tx!(tx, c => {
            // Through `new_hire_by_person`, keyed by the hash's first 16 characters: the
            // expression is the index's, word for word. A row of another person who shares
            // the prefix comes back too, filed under its own whole hash, which no record
            // of the chunk looks up.
            let mut select = sqlx::QueryBuilder::new(
                "SELECT ssn_hash, fein, hire_date, receipt_id, record_no FROM new_hire_records \
                 WHERE status = 'accepted' AND substr(ssn_hash, 1, 16) IN (",
            );
            let mut list = select.separated(", ");
            for hash in part {
                list.push_bind(person_prefix(hash).to_string());
            }
            select.push(")");
            select.build_query_as().fetch_all(c).await?
        });
        for (hash, fein, hire, receipt, record) in rows {
            if let Ok(date) =
                time::Date::parse(&hire, &time::format_description::well_known::Iso8601::DATE)
            {
                found
                    .entry(hash)
                    .or_default()
                    .push((fein, date, format!("{receipt}/{record}")));
            }
        }
    }
    Ok(found)
}

/// The part of a keyed SSN hash that `new_hire_by_person` is keyed by (migration 0016).
fn person_prefix(hash: &str) -> &str {
    hash.get(..16).unwrap_or(hash)
}

/// The calendar date (UTC) of a time in ms since the epoch.
pub fn date_of(ms: i64) -> time::Date {
    time::OffsetDateTime::from_unix_timestamp(ms / 1000)
        .map(|t| t.date())
        .unwrap_or(time::Date::MIN)
}

/// The records the matching step needs to see: accepted ones with their report.
pub(super) struct AcceptedView<'a> {
    pub record_no: i64,
    pub ssn_hash: &'a str,
    pub new_hire: &'a NewHire,
}

/// Gives the matcher the accepted records of a chunk and lets it note the case matched.
pub(super) trait MatchTarget {
    fn accepted(&self) -> Vec<AcceptedView<'_>>;
    fn set_matched(&mut self, record_no: i64, case_id: &str);
}

impl MatchTarget for Vec<Judged> {
    fn accepted(&self) -> Vec<AcceptedView<'_>> {
        self.iter()
            .filter(|j| j.status == "accepted")
            .filter_map(|j| {
                Some(AcceptedView {
                    record_no: j.record_no,
                    ssn_hash: j.ssn_hash.as_deref()?,
                    new_hire: j.new_hire.as_ref()?,
                })
            })
            .collect()
    }

    fn set_matched(&mut self, record_no: i64, case_id: &str) {
        if let Some(j) = self.iter_mut().find(|j| j.record_no == record_no) {
            j.matched_case = Some(case_id.to_string());
        }
    }
}
