//! Federal tax refund offset: the weekly certification cycle, OCSE's return files, and
//! certification reconciliation.
//!
//! # Invariants
//! - **Federal tax information is sealed at rest.** What was certified, each submission,
//!   each collection and each reconciliation report are stored sealed
//!   ([`crate::privacy::DataKeys`]) with associated data naming their row; rows are found by
//!   the keyed SSN hash and the case type, never by a clear SSN. The state feed carries
//!   only references (`offset.collection` names the collection id, not its amounts); the
//!   details are read through `/fti/v1/…` by the `fti-reader` role, and every read is
//!   audited.
//! - **The cycle sends only the changes.** The desired certifications (from the cases
//!   the state system pushed) are compared with what is recorded as certified; the
//!   transactions ([`ivd_offset::plan_cycle`]) go out in one file through the outbox, and
//!   the recorded state moves on in the same transaction, each submission remembering the
//!   state it replaced.
//! - **A reject undoes its submission.** The recorded state goes back to what it was before
//!   that submission (an add that OCSE refused is not certified), so the next cycle tries
//!   again, and the reject is an event.
//! - **Reconciliation corrects.** Every difference between the recorded state and OCSE's
//!   reconciliation file is reported with its reason, and the corrections go out at once.

pub mod files;
pub mod jobs;
pub mod routes;

use std::collections::BTreeMap;
use std::sync::Arc;

use ivd_offset::{CaseType, Certification, OffsetKey, Submission};
use serde::{Deserialize, Serialize};

use crate::config::{FileEncoding, Settings};
use crate::intake::{Processor, Receipt};
use crate::outbox::{self, NewMessage};
use crate::privacy::{DataKeys, LookupKey};
use crate::reconcile::jobs::control_totals::ControlledFile;
use crate::store::events::{self, NewEvent};
use crate::store::{Db, DbTx, StoreError, serials};
use crate::{on_read, on_tx};

/// The outbox kind of the state's submission file.
pub const SUBMISSION_KIND: &str = "offset-submission";

/// Pick-up channel of OCSE's reject files.
pub const REJECTS_CHANNEL: &str = "offset-rejects";
/// Pick-up channel of OCSE's collection and adjustment files.
pub const COLLECTIONS_CHANNEL: &str = "offset-collections";
/// Pick-up channel of OCSE's case reconciliation files.
pub const RECONCILIATION_CHANNEL: &str = "offset-reconciliation";

/// Tax refund offset settings.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct OffsetSettings {
    /// The partner (kind `federal`, usually a file drop) submission files go to; unset: no
    /// certification.
    pub partner: Option<String>,
    /// Our USPS state code as OCSE knows it (`MN`).
    pub state_code: String,
    /// Character set of the files.
    pub encoding: FileEncoding,
    /// How often the cycle runs, in seconds (weekly: 604800); 0 runs it only on demand.
    pub cycle_interval_secs: u64,
    /// Certification thresholds in whole dollars.
    pub tanf_threshold: u64,
    /// Non-TANF threshold in whole dollars.
    pub non_tanf_threshold: u64,
}

impl Default for OffsetSettings {
    fn default() -> Self {
        OffsetSettings {
            partner: None,
            state_code: String::new(),
            encoding: FileEncoding::Ebcdic,
            cycle_interval_secs: 0,
            tanf_threshold: ivd_offset::Thresholds::FEDERAL.tanf_dollars,
            non_tanf_threshold: ivd_offset::Thresholds::FEDERAL.non_tanf_dollars,
        }
    }
}

fn case_type_code(case_type: CaseType) -> &'static str {
    case_type.code()
}

/// Where a certification of `key` lives: the associated data of its sealed value.
fn certified_context(hash: &str, case_type: CaseType) -> String {
    format!("offset-certified:{hash}:{}", case_type_code(case_type))
}

/// The offset exchange of one gateway.
#[derive(Clone, Debug)]
pub struct OffsetExchange {
    /// The database.
    pub db: Db,
    /// Settings.
    pub settings: Arc<Settings>,
    /// The keyed SSN hash.
    pub key: LookupKey,
    /// Data keys for federal tax information.
    pub sealer: DataKeys,
}

impl OffsetExchange {
    /// The exchange of the gateway `context` describes.
    pub fn new(context: &super::ChannelContext) -> Self {
        OffsetExchange {
            db: context.db.clone(),
            settings: context.settings.clone(),
            key: context.lookup_key.clone(),
            sealer: context.data_keys.clone(),
        }
    }
}

/// What one cycle sent.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CycleReport {
    /// The cycle number.
    pub cycle: i64,
    /// Transactions by type code.
    pub transactions: BTreeMap<String, usize>,
    /// The outbox message carrying the file.
    pub message_id: i64,
}

impl OffsetExchange {
    fn hash(&self, key: &OffsetKey) -> String {
        self.key.taxpayer_id_hash(key.ssn.expose())
    }

    /// Everything recorded as certified.
    pub async fn certified(&self, tx: &mut DbTx) -> Result<Vec<Certification>, StoreError> {
        let rows: Vec<(String, String, String)> = on_tx!(tx, c => {
            sqlx::query_as("SELECT ssn_hash, case_type, sealed FROM offset_certified ORDER BY ssn_hash, case_type")
                .fetch_all(c)
                .await?
        });
        let mut out = Vec::with_capacity(rows.len());
        for (hash, case_type, sealed) in rows {
            let case_type = CaseType::from_code(&case_type).ok_or_else(|| {
                StoreError::Invalid("unknown case type in offset_certified".into())
            })?;
            out.push(self.open(&sealed, &certified_context(&hash, case_type))?);
        }
        Ok(out)
    }

    fn open<T: serde::de::DeserializeOwned>(
        &self,
        sealed: &str,
        context: &str,
    ) -> Result<T, StoreError> {
        let clear = self.sealer.open(sealed, context).map_err(|e| {
            StoreError::Invalid(format!("federal tax information does not open: {e}"))
        })?;
        serde_json::from_slice(&clear).map_err(|_| {
            StoreError::Invalid("sealed federal tax information is not a record".into())
        })
    }

    fn seal<T: Serialize>(&self, value: &T, context: &str) -> String {
        self.sealer
            .seal(&serde_json::to_vec(value).unwrap_or_default(), context)
    }

    async fn put_certified(
        &self,
        tx: &mut DbTx,
        key: &OffsetKey,
        certification: Option<&Certification>,
        now: i64,
    ) -> Result<(), StoreError> {
        let hash = self.hash(key);
        let case_type = case_type_code(key.case_type);
        on_tx!(tx, c => {
            sqlx::query("DELETE FROM offset_certified WHERE ssn_hash = $1 AND case_type = $2")
                .bind(&hash)
                .bind(case_type)
                .execute(c)
                .await?
                .rows_affected()
        });
        if let Some(certification) = certification {
            let sealed = self.seal(certification, &certified_context(&hash, key.case_type));
            on_tx!(tx, c => {
                sqlx::query(
                    "INSERT INTO offset_certified (ssn_hash, case_type, case_id, sealed, updated_at) VALUES ($1, $2, $3, $4, $5)",
                )
                .bind(&hash)
                .bind(case_type)
                .bind(&certification.case_id)
                .bind(&sealed)
                .bind(now)
                .execute(c)
                .await?
                .rows_affected()
            });
        }
        Ok(())
    }

    /// What the state wants certified now, from every stored case.
    pub async fn desired(&self, tx: &mut DbTx) -> Result<Vec<Certification>, StoreError> {
        let stored = crate::store::cases::all_in(tx).await?;
        let state = &self.settings.offset.state_code;
        let mut wanted = Vec::new();
        for case in stored {
            if let Ok(case) = serde_json::from_str::<ivd_model::Case>(&case.snapshot) {
                wanted.extend(ivd_offset::certifications_from_case(&case, state));
            }
        }
        Ok(ivd_offset::merge_certifications(&wanted))
    }

    /// Runs one certification cycle: plans the changes, writes the submission file
    /// through the outbox and records the new certified state. `None` when nothing
    /// changed (no file is sent).
    pub async fn run_cycle(&self, now: i64) -> Result<Option<CycleReport>, StoreError> {
        let Some(partner) = self.settings.offset.partner.clone() else {
            return Ok(None);
        };
        let mut tx = self.db.begin().await?;
        let desired = self.desired(&mut tx).await?;
        let certified = self.certified(&mut tx).await?;
        let thresholds = ivd_offset::Thresholds {
            tanf_dollars: self.settings.offset.tanf_threshold,
            non_tanf_dollars: self.settings.offset.non_tanf_threshold,
        };
        let plan = ivd_offset::plan_cycle(&desired, &certified, &thresholds);
        if plan.is_empty() {
            return Ok(None);
        }
        let report = self
            .send(&mut tx, &partner, &plan, certified, "cycle", now)
            .await?;
        tx.commit().await?;
        Ok(Some(report))
    }

    async fn send(
        &self,
        tx: &mut DbTx,
        partner: &str,
        plan: &[Submission],
        certified: Vec<Certification>,
        cause: &str,
        now: i64,
    ) -> Result<CycleReport, StoreError> {
        let state = &self.settings.offset.state_code;
        let payload = ivd_offset::write_submission_file(
            state,
            plan,
            self.settings.offset.encoding.encoding(),
        )
        .map_err(|e| StoreError::Invalid(format!("writing the offset submission file: {e}")))?;
        let cycle = serials::next(tx, "offset-cycle").await?;
        let message_id = outbox::enqueue(
            tx,
            &NewMessage {
                partner: partner.to_string(),
                ordering_key: "offset".into(),
                idempotency_key: format!("offset-cycle-{cycle}"),
                kind: SUBMISSION_KIND.into(),
                content_type: "application/octet-stream".into(),
                file_name: format!("OFFSET.{state}.C{cycle:06}.dat"),
                payload,
                cause_kind: format!("offset-{cause}"),
                cause_id: cycle.to_string(),
                max_attempts: self.settings.max_attempts_for(partner),
                run_at: now,
                replay_of: None,
            },
            now,
        )
        .await?
        .id();
        let mut recorded: BTreeMap<OffsetKey, Certification> =
            certified.into_iter().map(|c| (c.key.clone(), c)).collect();
        let mut transactions: BTreeMap<String, usize> = BTreeMap::new();
        for (seq, submission) in plan.iter().enumerate() {
            let key = submission.key().clone();
            let before = recorded.get(&key).cloned();
            ivd_offset::apply(&mut recorded, submission);
            let after = recorded.get(&key);
            self.put_certified(tx, &key, after, now).await?;
            // A name change renames both case types of the SSN.
            if submission.transaction == ivd_offset::TransactionType::NameChange {
                let mut sibling = key.clone();
                sibling.case_type = match key.case_type {
                    CaseType::Tanf => CaseType::NonTanf,
                    CaseType::NonTanf => CaseType::Tanf,
                };
                let current = recorded.get(&sibling).cloned();
                self.put_certified(tx, &sibling, current.as_ref(), now)
                    .await?;
            }
            let hash = self.hash(&key);
            let context = format!("offset-submission:{cycle}:{seq}");
            let sealed = self.seal(&(submission, &before), &context);
            on_tx!(tx, c => {
                sqlx::query(
                    "INSERT INTO offset_submissions (cycle, seq, ssn_hash, case_type, transaction_type, sealed, status) \
                     VALUES ($1, $2, $3, $4, $5, $6, 'sent')",
                )
                .bind(cycle)
                .bind(seq as i64)
                .bind(&hash)
                .bind(case_type_code(key.case_type))
                .bind(submission.transaction.code())
                .bind(&sealed)
                .execute(c)
                .await?
                .rows_affected()
            });
            *transactions
                .entry(submission.transaction.code().to_string())
                .or_default() += 1;
        }
        on_tx!(tx, c => {
            sqlx::query(
                "INSERT INTO offset_cycles (cycle, cause, submissions, message_id, created_at) VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(cycle)
            .bind(cause)
            .bind(plan.len() as i64)
            .bind(message_id)
            .bind(now)
            .execute(c)
            .await?
            .rows_affected()
        });
        events::append(
            tx,
            &NewEvent {
                kind: "offset.cycle_sent",
                partner: Some(partner),
                case_id: None,
                receipt_id: None,
                payload: serde_json::json!({ "cycle": cycle, "cause": cause, "transactions": transactions }),
            },
            now,
        )
        .await?;
        Ok(CycleReport {
            cycle,
            transactions,
            message_id,
        })
    }

    /// Runs the cycle on its schedule until shut down.
    pub async fn run(self, shutdown: tokio_util::sync::CancellationToken) {
        let secs = self.settings.offset.cycle_interval_secs;
        if secs == 0 || self.settings.offset.partner.is_none() {
            return;
        }
        loop {
            tokio::select! {
                _ = shutdown.cancelled() => return,
                _ = tokio::time::sleep(std::time::Duration::from_secs(secs)) => {}
            }
            match self.run_cycle(crate::store::now_ms()).await {
                Ok(Some(report)) => {
                    tracing::info!(cycle = report.cycle, "Offset certification cycle sent.")
                }
                Ok(None) => {}
                Err(error) => {
                    tracing::warn!(error = %error, "The offset certification cycle failed; it runs again at the next interval.")
                }
            }
        }
    }

    async fn take_rejects(
        &self,
        tx: &mut DbTx,
        receipt: &Receipt,
        now: i64,
    ) -> Result<String, StoreError> {
        let file =
            ivd_offset::read_rejects(&receipt.body, self.settings.offset.encoding.encoding());
        let (mut undone, mut warnings, mut unmatched) = (0, 0, 0);
        for reject in &file.rejects {
            let hash = self.hash(&reject.key);
            let case_type = case_type_code(reject.key.case_type);
            let row: Option<(i64, i64, String, String)> = on_tx!(tx, c => {
                sqlx::query_as(
                    "SELECT cycle, seq, sealed, status FROM offset_submissions WHERE ssn_hash = $1 AND case_type = $2 \
                     AND ($3 = '' OR transaction_type = $3) ORDER BY cycle DESC, seq DESC LIMIT 1",
                )
                .bind(&hash)
                .bind(case_type)
                .bind(reject.transaction.map(|t| t.code()).unwrap_or(""))
                .fetch_optional(c)
                .await?
            });
            let codes: Vec<serde_json::Value> = reject
                .codes
                .iter()
                .map(|c| serde_json::json!({ "code": c.code, "meaning": c.meaning, "warning": c.warning }))
                .collect();
            let Some((cycle, seq, sealed, status)) = row else {
                unmatched += 1;
                continue;
            };
            if !reject.is_rejected() {
                warnings += 1;
            } else if status == "sent" {
                let (_submission, before): (Submission, Option<Certification>) =
                    self.open(&sealed, &format!("offset-submission:{cycle}:{seq}"))?;
                self.put_certified(tx, &reject.key, before.as_ref(), now)
                    .await?;
                undone += 1;
            }
            let new_status = if reject.is_rejected() {
                "rejected"
            } else {
                "warning"
            };
            on_tx!(tx, c => {
                sqlx::query("UPDATE offset_submissions SET status = $1, codes = $2 WHERE cycle = $3 AND seq = $4")
                    .bind(new_status)
                    .bind(serde_json::Value::Array(codes.clone()).to_string())
                    .bind(cycle)
                    .bind(seq)
                    .execute(c)
                    .await?
                    .rows_affected()
            });
            let case_id = reject.case_id.trim();
            events::append(
                tx,
                &NewEvent {
                    kind: if reject.is_rejected() {
                        "offset.rejected"
                    } else {
                        "offset.warning"
                    },
                    partner: Some(&receipt.partner),
                    case_id: (!case_id.is_empty()).then_some(case_id),
                    receipt_id: Some(&receipt.receipt_id),
                    payload: serde_json::json!({
                        "cycle": cycle,
                        "caseType": case_type,
                        "transaction": reject.transaction.map(|t| t.code()),
                        "ssnLast4": reject.key.ssn.last4(),
                        "codes": codes,
                    }),
                },
                now,
            )
            .await?;
        }
        Ok(format!(
            "{} reject record(s): {undone} submission(s) undone, {warnings} warning(s), {unmatched} unmatched, {} invalid record(s)",
            file.rejects.len(),
            file.verdicts.iter().filter(|v| !v.is_valid()).count()
        ))
    }

    async fn take_collections(
        &self,
        tx: &mut DbTx,
        receipt: &Receipt,
        now: i64,
    ) -> Result<String, StoreError> {
        let file =
            ivd_offset::read_collections(&receipt.body, self.settings.offset.encoding.encoding());
        let mut taken = 0;
        for collection in &file.collections {
            let id = format!("{}.{}", receipt.receipt_id, collection.record);
            let sealed = self.seal(collection, &format!("offset-collection:{id}"));
            let case_id = collection.case_id.trim().to_string();
            let inserted = on_tx!(tx, c => {
                sqlx::query(
                    "INSERT INTO offset_collections (collection_id, ssn_hash, case_type, case_id, sealed, received_at) \
                     VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (collection_id) DO NOTHING",
                )
                .bind(&id)
                .bind(self.hash(&collection.key))
                .bind(case_type_code(collection.key.case_type))
                .bind(&case_id)
                .bind(&sealed)
                .bind(now)
                .execute(c)
                .await?
                .rows_affected()
            });
            if inserted == 0 {
                continue;
            }
            taken += 1;
            // The feed carries the reference only: amounts are federal tax information,
            // read through /fti/v1/offset/collections/{id} by the fti-reader role.
            events::append(
                tx,
                &NewEvent {
                    kind: "offset.collection",
                    partner: Some(&receipt.partner),
                    case_id: (!case_id.is_empty()).then_some(case_id.as_str()),
                    receipt_id: Some(&receipt.receipt_id),
                    payload: serde_json::json!({ "collectionId": id, "caseType": case_type_code(collection.key.case_type) }),
                },
                now,
            )
            .await?;
        }
        Ok(format!(
            "{taken} collection(s) recorded, {} invalid record(s), {} file problem(s)",
            file.verdicts.iter().filter(|v| !v.is_valid()).count(),
            file.errors.len()
        ))
    }

    /// Compares the recorded certified state with OCSE's reconciliation file, stores the
    /// report (sealed), and sends the corrections at once.
    async fn take_reconciliation(
        &self,
        tx: &mut DbTx,
        receipt: &Receipt,
        now: i64,
    ) -> Result<String, StoreError> {
        let file = ivd_offset::read_reconciliation(
            &receipt.body,
            self.settings.offset.encoding.encoding(),
        );
        let certified = self.certified(tx).await?;
        let differences = ivd_offset::reconcile(&certified, &file.records);
        let corrections: Vec<Submission> = differences
            .iter()
            .filter_map(|d| d.correction.clone())
            .collect();
        let mut by_kind: BTreeMap<String, usize> = BTreeMap::new();
        for difference in &differences {
            let kind = serde_json::to_value(&difference.kind)
                .ok()
                .and_then(|v| match v {
                    serde_json::Value::String(s) => Some(s),
                    serde_json::Value::Object(m) => m.keys().next().cloned(),
                    _ => None,
                })
                .unwrap_or_else(|| "other".into());
            *by_kind.entry(kind).or_default() += 1;
        }
        let run = serials::next(tx, "offset-reconciliation").await?;
        let sealed = self.seal(&differences, &format!("offset-reconciliation:{run}"));
        on_tx!(tx, c => {
            sqlx::query(
                "INSERT INTO offset_reconciliations (run, receipt_id, differences, sealed, created_at) VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(run)
            .bind(&receipt.receipt_id)
            .bind(differences.len() as i64)
            .bind(&sealed)
            .bind(now)
            .execute(c)
            .await?
            .rows_affected()
        });
        let corrected = match (&self.settings.offset.partner, corrections.is_empty()) {
            (Some(partner), false) => Some(
                self.send(tx, partner, &corrections, certified, "reconciliation", now)
                    .await?
                    .cycle,
            ),
            _ => None,
        };
        events::append(
            tx,
            &NewEvent {
                kind: "offset.reconciled",
                partner: Some(&receipt.partner),
                case_id: None,
                receipt_id: Some(&receipt.receipt_id),
                payload: serde_json::json!({
                    "run": run,
                    "differences": differences.len(),
                    "byKind": by_kind,
                    "correctionCycle": corrected,
                }),
            },
            now,
        )
        .await?;
        Ok(format!(
            "{} difference(s); corrections in cycle {corrected:?}",
            differences.len()
        ))
    }

    /// The reconciliation report of `run`, opened (federal tax information).
    pub async fn reconciliation_report(
        &self,
        run: i64,
    ) -> Result<Option<Vec<ivd_offset::Discrepancy>>, StoreError> {
        let row: Option<(String,)> = on_read!(&self.db, c => {
            sqlx::query_as("SELECT sealed FROM offset_reconciliations WHERE run = $1")
                .bind(run)
                .fetch_optional(c)
                .await?
        });
        row.map(|(sealed,)| self.open(&sealed, &format!("offset-reconciliation:{run}")))
            .transpose()
    }

    /// A collection, opened (federal tax information).
    pub async fn collection(&self, id: &str) -> Result<Option<ivd_offset::Collection>, StoreError> {
        let row: Option<(String,)> = on_read!(&self.db, c => {
            sqlx::query_as("SELECT sealed FROM offset_collections WHERE collection_id = $1")
                .bind(id)
                .fetch_optional(c)
                .await?
        });
        row.map(|(sealed,)| self.open(&sealed, &format!("offset-collection:{id}")))
            .transpose()
    }
}

/// Takes in one kind of OCSE return file.
#[derive(Clone, Debug)]
pub struct ReturnIntake {
    /// The exchange.
    pub exchange: OffsetExchange,
    /// Which channel (rejects, collections or reconciliation).
    pub channel: &'static str,
}

#[async_trait::async_trait]
impl Processor for ReturnIntake {
    async fn process(
        &self,
        tx: &mut DbTx,
        receipt: &Receipt,
        now: i64,
    ) -> Result<String, StoreError> {
        match self.channel {
            REJECTS_CHANNEL => self.exchange.take_rejects(tx, receipt, now).await,
            COLLECTIONS_CHANNEL => self.exchange.take_collections(tx, receipt, now).await,
            _ => self.exchange.take_reconciliation(tx, receipt, now).await,
        }
    }
}

/// The federal tax refund offset program: the weekly certification cycle out, OCSE's
/// rejects, collections and reconciliation files back.
#[derive(Clone, Copy, Debug, Default)]
pub struct Offset;

impl super::Channel for Offset {
    fn name(&self) -> &'static str {
        "offset"
    }

    fn processors(
        &self,
        context: &super::ChannelContext,
    ) -> Vec<(&'static str, Arc<dyn Processor>)> {
        let exchange = OffsetExchange::new(context);
        [REJECTS_CHANNEL, COLLECTIONS_CHANNEL, RECONCILIATION_CHANNEL]
            .into_iter()
            .map(|channel| {
                let intake: Arc<dyn Processor> = Arc::new(ReturnIntake {
                    exchange: exchange.clone(),
                    channel,
                });
                (channel, intake)
            })
            .collect()
    }

    fn jobs(&self) -> Vec<Arc<dyn crate::reconcile::report::Job>> {
        vec![Arc::new(jobs::Offset)]
    }

    fn controlled_files(&self) -> Vec<ControlledFile> {
        vec![
            ControlledFile::Received {
                channel: REJECTS_CHANNEL,
                problems: |settings, body| {
                    ivd_offset::read_rejects(body, settings.offset.encoding.encoding()).errors
                },
            },
            ControlledFile::Received {
                channel: COLLECTIONS_CHANNEL,
                problems: |settings, body| {
                    ivd_offset::read_collections(body, settings.offset.encoding.encoding()).errors
                },
            },
            ControlledFile::Received {
                channel: RECONCILIATION_CHANNEL,
                problems: |settings, body| {
                    ivd_offset::read_reconciliation(body, settings.offset.encoding.encoding())
                        .errors
                },
            },
            ControlledFile::Written {
                kind: SUBMISSION_KIND,
                recorded_count: "(SELECT y.submissions FROM offset_cycles y WHERE y.message_id = m.id)",
                contents: |settings, payload| {
                    let f = ivd_offset::read_submission_file(
                        payload,
                        settings.offset.encoding.encoding(),
                    );
                    (f.submissions.len() as i64, f.errors)
                },
            },
        ]
    }

    /// The partner submission files go to is configured, with our 2-letter state code.
    fn check_settings(&self, settings: &crate::config::Settings) -> Result<(), String> {
        if let Some(partner) = &settings.offset.partner {
            if settings.partner(partner).is_none() {
                return Err(format!(
                    "offset.partner {partner:?} is not a configured partner"
                ));
            }
            let code = &settings.offset.state_code;
            if code.len() != 2 || !code.bytes().all(|b| b.is_ascii_uppercase()) {
                return Err(
                    "offset.state_code must be our 2-letter USPS state code (e.g. \"MN\")".into(),
                );
            }
        }
        Ok(())
    }

    fn api_routes(&self) -> axum::Router<crate::web::AppState> {
        routes::api_routes()
    }

    fn file_formats(&self) -> Vec<&'static dyn crate::files::FileFormat> {
        files::FORMATS.to_vec()
    }

    /// The certification cycle, on its schedule.
    fn start(
        &self,
        context: &super::ChannelContext,
        shutdown: &tokio_util::sync::CancellationToken,
    ) -> Vec<tokio::task::JoinHandle<()>> {
        vec![tokio::spawn(
            OffsetExchange::new(context).run(shutdown.clone()),
        )]
    }
}
