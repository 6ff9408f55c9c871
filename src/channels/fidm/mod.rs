//! Financial Institution Data Match (FIDM): the quarterly match of the state's obligors
//! against the accounts of the financial institutions doing business in the state
//! (42 USC 666(a)(17); spec `tax-offset-fidm.md` part B; files by `ivd-fidm`).
//!
//! The parts:
//! 1. [`inquiry`] (Method 2, state → FI): every noncustodial parent with an SSN on an
//!    open case whose orders carry arrears becomes one inquiry record; the file leaves
//!    through the outbox, and the run is recorded (`fidm_inquiries`).
//! 2. [`matches`] (Method 2, FI → state): a bank's match file, picked up from its
//!    directory (channel `fidm-matches`), is read whole; each valid match whose SSN is a
//!    noncustodial parent's with arrears becomes a `fidm.levy_candidate` event.
//! 3. [`accounts`] (Method 1, FI → state): an all-accounts file — a million records and
//!    more — is streamed in checkpointed chunks and every account matched the same way.
//!
//! # Invariants
//! - **Matching by keyed hash only.** An SSN from a file is looked up by its keyed hash in
//!   `case_people` (maintained on every case push); the SSN itself is never a key, never
//!   stored, never on an event (the person is given by role and the last four digits).
//! - **A levy candidate is the obligor of a case that owes.** The case must be open and
//!   one of its orders must carry arrears above zero when the file is matched.
//! - **One match, one event.** A match — institution TIN, account (by keyed hash), SSN (by
//!   keyed hash), year and month of the file — is recorded per case in `fidm_matches`, in
//!   the transaction that appends its event; the same match again (the same file twice,
//!   a match file and an all-accounts file of the same month) adds nothing.
//! - **Account numbers stay at the bank.** Events carry the last four characters; the
//!   table keeps a keyed hash.
//! - **Bad records are reported, never silently dropped.** Invalid records and file-level
//!   errors go into the receipt's outcome and one `fidm.file_problems` event (record,
//!   field, position and code — never a value).
//! - **Memory does not grow with an all-accounts file** ([`accounts`]): a reader thread
//!   hands chunks through a bounded channel; each chunk is one transaction with its
//!   checkpoint, and a resumed run continues after it.

pub mod accounts;
pub mod files;
pub mod inquiry;
pub mod jobs;
pub mod matches;
pub mod routes;

use std::collections::HashMap;

use ivd_fidm::{AccountType, BalanceIndicator, MatchFlag};
use ivd_model::{Case, CaseStatus, ParticipantRole};
use serde::Deserialize;

use crate::config::FileEncoding;
use crate::on_tx;
use crate::privacy::LookupKey;
use crate::store::events::{self, NewEvent};
use crate::store::{DbTx, StoreError, cases};

/// FIDM: where inquiry files go, their character set and how often they are written.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FidmSettings {
    /// The partner inquiry files are sent to (a bank, a service bureau or the state's
    /// FIDM contractor); unset: no inquiry file is written.
    pub partner: Option<String>,
    /// Character set of FIDM files, written and read: `ebcdic` or `ascii`.
    pub encoding: FileEncoding,
    /// The period of the inquiry job, in seconds (a quarter is 7,776,000); 0: inquiry
    /// files are written only on demand.
    pub inquiry_interval_secs: u64,
}

impl Default for FidmSettings {
    fn default() -> Self {
        FidmSettings {
            partner: None,
            encoding: FileEncoding::Ascii,
            inquiry_interval_secs: 0,
        }
    }
}

/// Rows per `IN (…)` list (well under both backends' bind-parameter limits).
const IN_ROWS: usize = 500;

/// Whether a case is open and one of its orders carries arrears above zero.
pub fn owes_arrears(case: &Case) -> bool {
    case.status == CaseStatus::Open
        && case
            .orders
            .iter()
            .any(|order| order.arrears.iter().any(|a| a.amount.cents() > 0))
}

/// `CCYYMM` as the events and tables give it: `YYYY-MM`.
pub fn year_month_text((year, month): (u16, u8)) -> String {
    format!("{year:04}-{month:02}")
}

/// The obligor of a case that owes, as a file's SSN finds it.
#[derive(Clone, Debug)]
pub(crate) struct Obligor {
    /// The case.
    pub case_id: String,
    /// The FIDM last-name control of the noncustodial parent on the case.
    pub name_control: String,
}

/// The noncustodial parents among `hashes` (keyed SSN hashes) on open cases with
/// arrears: hash → the cases, in case-id order.
pub(crate) async fn obligors(
    tx: &mut DbTx,
    key: &LookupKey,
    hashes: &[&str],
) -> Result<HashMap<String, Vec<Obligor>>, StoreError> {
    let mut hits: Vec<(String, String)> = Vec::new();
    for part in hashes.chunks(IN_ROWS) {
        let rows: Vec<(String, String)> = on_tx!(tx, c => {
            let mut select = sqlx::QueryBuilder::new(
                "SELECT ssn_hash, case_id FROM case_people WHERE role = ",
            );
            select.push_bind(ParticipantRole::NoncustodialParent.code());
            select.push(" AND ssn_hash IN (");
            let mut list = select.separated(", ");
            for hash in part {
                list.push_bind(hash.to_string());
            }
            select.push(") ORDER BY case_id");
            select.build_query_as().fetch_all(c).await?
        });
        hits.extend(rows);
    }
    let mut found: HashMap<String, Vec<Obligor>> = HashMap::new();
    let mut loaded: HashMap<String, Option<Case>> = HashMap::new();
    for (hash, case_id) in hits {
        if !loaded.contains_key(&case_id) {
            let case = cases::get_in(tx, &case_id)
                .await?
                .and_then(|stored| serde_json::from_str::<Case>(&stored.snapshot).ok())
                .filter(owes_arrears);
            loaded.insert(case_id.clone(), case);
        }
        let Some(Some(case)) = loaded.get(&case_id) else {
            continue;
        };
        let Some(person) = case.participants.iter().find(|p| {
            p.role == ParticipantRole::NoncustodialParent
                && p.person
                    .ssn
                    .as_ref()
                    .is_some_and(|s| key.ssn_hash(s) == hash)
        }) else {
            continue;
        };
        found.entry(hash).or_default().push(Obligor {
            case_id,
            name_control: ivd_fidm::name_control(person.person.name.expose().last),
        });
    }
    Ok(found)
}

/// One account of a file that belongs to an obligor.
#[derive(Clone, Debug)]
pub(crate) struct Candidate<'a> {
    /// `match-file` or `all-accounts`.
    pub source: &'static str,
    /// The receipt of the file.
    pub receipt_id: &'a str,
    /// The partner it came from.
    pub partner: &'a str,
    /// 1-based record number in the file.
    pub record: u64,
    /// The institution's TIN (9 digits) and name.
    pub institution_tin: &'a str,
    /// The institution's name (where a levy is served).
    pub institution_name: &'a str,
    /// The year and month of the file.
    pub year_month: (u16, u8),
    /// The keyed SSN hash.
    pub ssn_hash: &'a str,
    /// The last four SSN digits.
    pub ssn_last4: &'a str,
    /// The FI's account number (only its last four leave this function).
    pub account_number: &'a str,
    /// The account type, when given.
    pub account_type: Option<AccountType>,
    /// Whole dollars.
    pub balance_dollars: i64,
    /// Average, current or not provided.
    pub balance_indicator: Option<BalanceIndicator>,
    /// The FI's match flag (Method 2), or ours from the last-name control (Method 1).
    pub match_flag: Option<MatchFlag>,
    /// The account's last-name control, when the FI gave one.
    pub last_name_control: &'a str,
}

fn last4(text: &str) -> String {
    let chars: Vec<char> = text.trim().chars().collect();
    chars[chars.len().saturating_sub(4)..].iter().collect()
}

/// Records a candidate on the obligor's case and appends its event, unless this match
/// was applied before. Returns whether it was new.
pub(crate) async fn apply_candidate(
    tx: &mut DbTx,
    key: &LookupKey,
    candidate: &Candidate<'_>,
    obligor: &Obligor,
    now: i64,
) -> Result<bool, StoreError> {
    let year_month = year_month_text(candidate.year_month);
    let account_hash = key.taxpayer_id_hash(&format!(
        "fidm-account:{}:{}",
        candidate.institution_tin,
        candidate.account_number.trim()
    ));
    let inserted = on_tx!(tx, c => {
        sqlx::query(
            "INSERT INTO fidm_matches (institution_tin, account_hash, ssn_hash, year_month, case_id, \
             source, receipt_id, record_no, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
             ON CONFLICT DO NOTHING",
        )
        .bind(candidate.institution_tin)
        .bind(&account_hash)
        .bind(candidate.ssn_hash)
        .bind(&year_month)
        .bind(&obligor.case_id)
        .bind(candidate.source)
        .bind(candidate.receipt_id)
        .bind(candidate.record as i64)
        .bind(now)
        .execute(c)
        .await?
        .rows_affected()
    });
    if inserted == 0 {
        return Ok(false);
    }
    let match_flag = candidate.match_flag.or_else(|| {
        (!candidate.last_name_control.trim().is_empty()).then(|| {
            if candidate.last_name_control.trim() == obligor.name_control {
                MatchFlag::NameMatches
            } else {
                MatchFlag::NameDiffers
            }
        })
    });
    events::append(
        tx,
        &NewEvent {
            kind: "fidm.levy_candidate",
            partner: Some(candidate.partner),
            case_id: Some(&obligor.case_id),
            receipt_id: Some(candidate.receipt_id),
            payload: serde_json::json!({
                "source": candidate.source,
                "record": candidate.record,
                "yearMonth": year_month,
                "institution": {
                    "tin": candidate.institution_tin,
                    "name": candidate.institution_name,
                },
                "account": {
                    "numberLast4": last4(candidate.account_number),
                    "type": candidate.account_type.map(|t| t.code()),
                    "balanceDollars": candidate.balance_dollars,
                    "balanceIndicator": candidate.balance_indicator.map(|b| b.code()),
                },
                "matchFlag": match_flag.map(|m| m.code()),
                "participant": {
                    "role": ParticipantRole::NoncustodialParent.code(),
                    "ssnLast4": candidate.ssn_last4,
                },
            }),
        },
        now,
    )
    .await?;
    Ok(true)
}

/// One problem of a file, as reported: never the value.
pub(crate) fn problem_json(
    error: &ivd_fixed::FieldError,
    record: Option<u64>,
) -> serde_json::Value {
    serde_json::json!({
        "record": record.or(error.record),
        "field": error.field,
        "position": error.position,
        "code": error.code.as_str(),
    })
}

/// Financial institutions: the data match (all-accounts files, quarterly inquiry files
/// and their match files).
#[derive(Clone, Copy, Debug, Default)]
pub struct Fidm;

impl super::Channel for Fidm {
    fn name(&self) -> &'static str {
        "fidm"
    }

    /// Match files and (small) all-accounts files from a bank's directory.
    fn processors(
        &self,
        context: &super::ChannelContext,
    ) -> Vec<(&'static str, std::sync::Arc<dyn crate::intake::Processor>)> {
        vec![
            (
                matches::CHANNEL,
                std::sync::Arc::new(matches::MatchFileIntake {
                    settings: context.settings.clone(),
                    key: context.lookup_key.clone(),
                }),
            ),
            (
                accounts::CHANNEL,
                std::sync::Arc::new(accounts::AccountsPickupIntake {
                    settings: context.settings.clone(),
                    key: context.lookup_key.clone(),
                }),
            ),
        ]
    }

    fn jobs(&self) -> Vec<std::sync::Arc<dyn crate::reconcile::report::Job>> {
        vec![std::sync::Arc::new(jobs::Fidm)]
    }

    fn controlled_files(&self) -> Vec<crate::reconcile::jobs::control_totals::ControlledFile> {
        use crate::reconcile::jobs::control_totals::ControlledFile;
        vec![
            ControlledFile::Received {
                channel: matches::CHANNEL,
                problems: |settings, body| {
                    ivd_fidm::read_match_file(body, settings.fidm.encoding.encoding()).errors
                },
            },
            ControlledFile::Written {
                kind: inquiry::KIND,
                recorded_count: "(SELECT i.inquiry_count FROM fidm_inquiries i WHERE i.message_id = m.id)",
                contents: |settings, payload| {
                    let f = ivd_fidm::read_inquiry_file(payload, settings.fidm.encoding.encoding());
                    (f.inquiries.len() as i64, f.errors)
                },
            },
        ]
    }

    /// The partner inquiry files go to is configured.
    fn check_settings(&self, settings: &crate::config::Settings) -> Result<(), String> {
        if let Some(partner) = &settings.fidm.partner
            && settings.partner(partner).is_none()
        {
            return Err(format!(
                "fidm.partner {partner:?} is not a configured partner"
            ));
        }
        Ok(())
    }

    fn api_routes(&self) -> axum::Router<crate::web::AppState> {
        routes::api_routes()
    }

    fn file_formats(&self) -> Vec<&'static dyn crate::files::FileFormat> {
        files::FORMATS.to_vec()
    }

    /// All-accounts files interrupted by a crash continue from their checkpoint; then the
    /// inquiry file is written on its schedule.
    fn start(
        &self,
        context: &super::ChannelContext,
        shutdown: &tokio_util::sync::CancellationToken,
    ) -> Vec<tokio::task::JoinHandle<()>> {
        let accounts = accounts::AllAccountsIntake {
            db: context.db.clone(),
            settings: context.settings.clone(),
            key: context.lookup_key.clone(),
        };
        let inquiry = inquiry::FidmInquiry {
            db: context.db.clone(),
            settings: context.settings.clone(),
            key: context.lookup_key.clone(),
        };
        let shutdown = shutdown.clone();
        vec![tokio::spawn(async move {
            match accounts.resume(crate::store::now_ms()).await {
                Ok(0) => {}
                Ok(resumed) => tracing::info!(
                    resumed,
                    "Finished FIDM all-accounts files left over from the last run."
                ),
                Err(error) => {
                    tracing::error!(error = %error, "Resuming a FIDM all-accounts file failed; it is retried at the next start.")
                }
            }
            if inquiry.settings.fidm.partner.is_some() {
                inquiry.run(shutdown).await;
            }
        })]
    }
}
