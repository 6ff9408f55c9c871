//! Interstate case reconciliation: our interstate cases against each partner state's
//! caseload extract (ICR, spec §2), and against the partner's latest case-status answer
//! (CSENet `CSI P`).
//!
//! # Where the partner's extract comes from
//! A partner's ICR State Extract File arrives as a file on the intake channel
//! [`EXTRACT_CHANNEL`] (`csenet-icr`): a pick-up directory configured with that channel,
//! or any other route that stores an inbound receipt on it. No processor claims the
//! channel, so the receipt is stored and marked as an arrival; this job reads the
//! **latest** extract of each partner with a CSENet agreement and compares it. A partner
//! with no extract is compared through CSI only.
//!
//! # What is compared
//! Our side: every stored case whose intergovernmental role is initiating or responding
//! with a partner *state*; the partner is the configured partner whose agreement FIPS
//! names that state. The partner's case id as we know it comes from our CSENet
//! transaction requests (`otherCaseId`) and from the transactions it sent us
//! (`csenet.received`), the latest of either. People are compared by keyed SSN hash
//! ([`crate::privacy::LookupKey`]); a report shows them masked.
//!
//! The partner's extract is from its point of view: its case id, and ours as "other
//! state case id". Records about a third state are ignored. A case of ours is matched to
//! the partner's case that names it, else to one with a participant in common.
//!
//! | code | meaning (ICR reason code where the spec has one) |
//! |---|---|
//! | `01` | no matching case in the partner's extract (missing on their side) |
//! | `02` | case id mismatch: found only through a participant in common, or the partner's case id differs from the one we hold |
//! | `03` | the partner names another county office of ours than the one that owns the case |
//! | `04` | our case is open; the partner's is closed |
//! | `05` | our case is closed; the partner's is open |
//! | `06` | a participant of ours is not on the partner's case |
//! | `CASE_MISSING_AT_STATE` | a case in the partner's extract matches none of ours (missing on our side) |
//! | `PARTICIPANT_MISSING_AT_STATE` | a participant on the partner's case is not on ours |
//! | `ICR_EXTRACT_INVALID` | records of the partner's extract do not parse (record numbers in the text) |
//! | `CSI_STATUS_MISMATCH` | the partner's latest `CSI P` gives a case status other than ours |
//! | `CSI_NO_ANSWER` | an open interstate case has no `CSI P` from the partner within `csi_within_days`, and no `CSI R` was asked for in that time |
//!
//! # Action
//! For `CSI_NO_ANSWER`, unless it is a dry run or `request_csi` is off, the job asks the
//! partner for the case status (`CSI R FRINF`) the way `POST /state/v1/cases/{id}/
//! transactions` does: the request is stored as the cause, checked against the agreement,
//! rendered and enqueued with its answer deadline in one transaction. The discrepancy is
//! then marked as acted on, with the message's idempotency key as its reference.

use std::collections::{BTreeMap, BTreeSet};

use ivd_csenet::icr;
use ivd_model::{CaseStatus, IntergovernmentalRole, Jurisdiction};
use serde::{Deserialize, Serialize};

use crate::channels::interstate::CsenetParameters;
use crate::channels::interstate::outbound::{self, CsenetRenderer};
use crate::config::PartnerSettings;
use crate::on_read;
use crate::outbox::render::{RenderError, RenderRequest, Renderer};
use crate::reconcile::report::{Discrepancy, Findings, Job, JobContext, JobError};
use crate::store::sealing;
use crate::store::{StoreError, requests};

/// The intake channel of partners' ICR extract files.
pub const EXTRACT_CHANNEL: &str = "csenet-icr";

const DAY_MS: i64 = 86_400_000;

/// Settings of the interstate case job.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct InterstateCasesSettings {
    /// The intake channel partners' extracts arrive on.
    pub extract_channel: String,
    /// An open interstate case with no `CSI P` from the partner in this many days is
    /// reported.
    pub csi_within_days: i64,
    /// Ask for the case status (`CSI R`) when it is reported (not in a dry run).
    pub request_csi: bool,
}

impl Default for InterstateCasesSettings {
    fn default() -> Self {
        InterstateCasesSettings {
            extract_channel: EXTRACT_CHANNEL.to_string(),
            csi_within_days: 90,
            request_csi: true,
        }
    }
}

/// The `interstate-cases` job.
#[derive(Clone, Copy, Debug, Default)]
pub struct InterstateCases;

#[async_trait::async_trait]
impl Job for InterstateCases {
    fn name(&self) -> &'static str {
        "interstate-cases"
    }

    fn description(&self) -> &'static str {
        "Our interstate cases against each partner state's ICR extract and its latest case-status answer (CSI); asks for the status where none came."
    }

    fn check_parameters(
        &self,
        parameters: &std::collections::BTreeMap<String, serde_json::Value>,
    ) -> Result<(), String> {
        crate::reconcile::settings::parameters::<InterstateCasesSettings>(parameters).map(|_| ())
    }

    async fn run(&self, context: &JobContext) -> Result<Findings, JobError> {
        let settings: InterstateCasesSettings = context.parameters(self.name())?;
        self.run_with(context, &settings).await
    }
}

/// One person of a case: keyed hash and masked SSN.
type People = BTreeMap<String, String>;

/// One interstate case of ours.
#[derive(Debug)]
struct OurCase {
    id: String,
    open: bool,
    partner: String,
    /// State and county FIPS (5 digits) of the office that owns the case.
    county: Option<String>,
    people: People,
}

/// One case of the partner's extract.
#[derive(Debug, Default)]
struct TheirCase {
    id: String,
    names_ours: String,
    /// Our FIPS as the partner holds it (7 characters).
    our_fips: String,
    open: bool,
    people: People,
}

/// The partner's latest case-status answer for a case.
#[derive(Debug)]
struct CsiAnswer {
    open: Option<bool>,
    at: i64,
    receipt: Option<String>,
}

/// What our transactions say about a case with a partner.
#[derive(Debug, Default)]
struct Known {
    /// The partner's case id and when we learned it.
    their_id: Option<(String, i64)>,
    /// The latest `CSI P` received.
    csi: Option<CsiAnswer>,
    /// The latest `CSI R` we asked for.
    asked_at: Option<i64>,
}

fn open_label(open: bool) -> &'static str {
    if open { "open" } else { "closed" }
}

impl InterstateCases {
    /// Runs with explicit settings.
    pub async fn run_with(
        &self,
        context: &JobContext,
        settings: &InterstateCasesSettings,
    ) -> Result<Findings, JobError> {
        let mut findings = Findings::default();
        let partners: Vec<&PartnerSettings> = context
            .settings
            .partners
            .iter()
            .filter(|p| p.interstate.is_some())
            .collect();
        let ours = our_cases(context, &partners, &mut findings).await?;
        let mut known = transactions(context).await?;
        let our_state = context
            .settings
            .state
            .fips
            .as_deref()
            .and_then(|f| f.get(..2))
            .unwrap_or("")
            .to_string();
        for partner in &partners {
            let cases: Vec<&OurCase> = ours.iter().filter(|c| c.partner == partner.id).collect();
            if let Some((receipt, body, _)) = latest_extract(context, &partner.id, settings).await?
            {
                findings.count("extracts", 1);
                let theirs = read_extract(
                    context,
                    (&receipt, &body),
                    &partner.id,
                    &our_state,
                    &mut findings,
                );
                compare(
                    &partner.id,
                    &receipt,
                    &cases,
                    &theirs,
                    &known,
                    &mut findings,
                );
            }
            for case in cases {
                let entry = known
                    .remove(&(partner.id.clone(), case.id.clone()))
                    .unwrap_or_default();
                csi(context, settings, partner, case, &entry, &mut findings).await?;
            }
        }
        Ok(findings)
    }
}

async fn our_cases(
    context: &JobContext,
    partners: &[&PartnerSettings],
    findings: &mut Findings,
) -> Result<Vec<OurCase>, StoreError> {
    let rows: Vec<(String, String)> = on_read!(&context.db, c => {
        sqlx::query_as("SELECT case_id, snapshot FROM cases ORDER BY case_id")
            .fetch_all(c)
            .await?
    });
    let mut out = Vec::new();
    for (case_id, snapshot) in rows {
        let snapshot = context
            .db
            .sealer()
            .open_text(snapshot, &sealing::place::case(&case_id))?;
        let Ok(case) = serde_json::from_str::<ivd_model::Case>(&snapshot) else {
            findings.count("casesUnreadable", 1);
            continue;
        };
        if case.intergovernmental_role == IntergovernmentalRole::None {
            continue;
        }
        let Some(Jurisdiction::State { fips }) = &case.partner_jurisdiction else {
            continue;
        };
        let state = fips.as_str().get(..2).unwrap_or("");
        let partner = partners.iter().find(|p| {
            p.interstate
                .as_ref()
                .is_some_and(|a| a.fips.get(..2) == Some(state))
        });
        findings.count("interstateCases", 1);
        let Some(partner) = partner else {
            findings.count("interstateCasesWithoutAgreement", 1);
            continue;
        };
        let people = case
            .participants
            .iter()
            .filter_map(|p| p.person.ssn.as_ref())
            .map(|ssn| (context.lookup_key.ssn_hash(ssn), ssn.to_string()))
            .collect();
        out.push(OurCase {
            id: case_id,
            open: case.status == CaseStatus::Open,
            partner: partner.id.clone(),
            county: case
                .county
                .as_ref()
                .and_then(|f| f.as_str().get(..5))
                .map(str::to_string),
            people,
        });
    }
    Ok(out)
}

/// The partner's case ids, answers and our requests, by (partner, our case id).
async fn transactions(
    context: &JobContext,
) -> Result<BTreeMap<(String, String), Known>, StoreError> {
    let mut known: BTreeMap<(String, String), Known> = BTreeMap::new();
    let requests: Vec<(String, String, String, i64)> = on_read!(&context.db, c => {
        sqlx::query_as(
            "SELECT case_id, partner, parameters, created_at FROM transaction_requests \
             WHERE format = $1 ORDER BY id",
        )
        .bind(CsenetRenderer::KIND)
        .fetch_all(c)
        .await?
    });
    for (case_id, partner, parameters, at) in requests {
        let Ok(p) = serde_json::from_str::<CsenetParameters>(&parameters) else {
            continue;
        };
        let entry = known.entry((partner, case_id)).or_default();
        if let Some(other) = p.other_case_id.filter(|o| !o.trim().is_empty())
            && entry.their_id.as_ref().is_none_or(|(_, t)| *t <= at)
        {
            entry.their_id = Some((other.trim().to_string(), at));
        }
        if p.function.eq_ignore_ascii_case("CSI") && p.action.eq_ignore_ascii_case("R") {
            entry.asked_at = Some(entry.asked_at.map_or(at, |a| a.max(at)));
        }
    }
    let received: Vec<(i64, String, String, String, i64, Option<String>)> = on_read!(&context.db, c => {
        sqlx::query_as(
            "SELECT id, partner, case_id, payload, created_at, receipt_id FROM events \
             WHERE kind = 'csenet.received' AND partner IS NOT NULL AND case_id IS NOT NULL ORDER BY id",
        )
        .fetch_all(c)
        .await?
    });
    for (id, partner, case_id, payload, at, receipt) in received {
        let payload = context
            .db
            .sealer()
            .open_text(payload, &sealing::place::event(id))?;
        let Ok(payload) = serde_json::from_str::<serde_json::Value>(&payload) else {
            continue;
        };
        let header = &payload["transaction"]["header"];
        let field = |name: &str| header[name].as_str().unwrap_or("").trim().to_string();
        // The header as it stood: the partner's id is whichever of the two is not ours.
        let (a, b) = (field("caseId"), field("otherCaseId"));
        let theirs = if a == case_id { b } else { a };
        let entry = known.entry((partner, case_id)).or_default();
        if !theirs.is_empty() && entry.their_id.as_ref().is_none_or(|(_, t)| *t <= at) {
            entry.their_id = Some((theirs, at));
        }
        if payload["function"] == "CSI" && payload["action"] == "P" {
            let open = match payload["case"]["caseStatus"].as_str() {
                Some("open") => Some(true),
                Some("closed") => Some(false),
                _ => None,
            };
            entry.csi = Some(CsiAnswer { open, at, receipt });
        }
    }
    Ok(known)
}

async fn latest_extract(
    context: &JobContext,
    partner: &str,
    settings: &InterstateCasesSettings,
) -> Result<Option<(String, Vec<u8>, i64)>, StoreError> {
    let latest: Option<(String, Vec<u8>, i64)> = on_read!(&context.db, c => {
        sqlx::query_as(
            "SELECT receipt_id, body, received_at FROM inbound_receipts \
             WHERE partner = $1 AND channel = $2 ORDER BY received_at DESC, receipt_id DESC LIMIT 1",
        )
        .bind(partner)
        .bind(&settings.extract_channel)
        .fetch_optional(c)
        .await?
    });
    // Bodies are sealed at rest.
    latest
        .map(|(receipt, body, at)| {
            let body = context
                .db
                .sealer()
                .open_bytes(body, &sealing::place::receipt(&receipt))?;
            Ok((receipt, body, at))
        })
        .transpose()
}

/// The partner's cases about us, by its case id.
fn read_extract(
    context: &JobContext,
    (receipt, body): (&str, &[u8]),
    partner: &str,
    our_state: &str,
    findings: &mut Findings,
) -> BTreeMap<String, TheirCase> {
    let extract = icr::read_extract(body);
    let invalid: Vec<String> = extract
        .verdicts
        .iter()
        .filter(|v| !v.is_valid())
        .map(|v| v.record.to_string())
        .collect();
    findings.count("extractRecords", extract.verdicts.len() as i64);
    if !invalid.is_empty() {
        findings.push(
            Discrepancy::new(
                "ICR_EXTRACT_INVALID",
                format!(
                    "{} record(s) of the partner's ICR extract do not parse (record {}); they were left out of the comparison.",
                    invalid.len(),
                    invalid.join(", ")
                ),
                "Ask the partner for a corrected extract; `ivd-gateway check` shows each record's problems.",
            )
            .partner(partner)
            .reference(receipt),
        );
    }
    let mut theirs: BTreeMap<String, TheirCase> = BTreeMap::new();
    for (_, record) in extract.records {
        if record.other_state() != our_state {
            continue;
        }
        let case = theirs
            .entry(record.case_id.clone())
            .or_insert_with(|| TheirCase {
                id: record.case_id.clone(),
                ..TheirCase::default()
            });
        if case.names_ours.is_empty() {
            case.names_ours = record.other_case_id.clone();
            case.our_fips = record.other_fips.clone();
        }
        case.open |= record.case_status == icr::CaseStatus::Open;
        if let Some(ssn) = &record.ssn {
            case.people
                .insert(context.lookup_key.ssn_hash(ssn), ssn.to_string());
        }
    }
    theirs
}

fn compare(
    partner: &str,
    receipt: &str,
    cases: &[&OurCase],
    theirs: &BTreeMap<String, TheirCase>,
    known: &BTreeMap<(String, String), Known>,
    findings: &mut Findings,
) {
    // A partner case that names one of ours belongs to it: matching through a person in
    // common looks only at the others.
    let ids: BTreeSet<&str> = cases.iter().map(|c| c.id.as_str()).collect();
    let mut matched: BTreeSet<&str> = theirs
        .values()
        .filter(|t| ids.contains(t.names_ours.as_str()))
        .map(|t| t.id.as_str())
        .collect();
    for case in cases {
        findings.count("casesCompared", 1);
        let by_id = theirs.values().find(|t| t.names_ours == case.id);
        let through_person = || {
            theirs.values().find(|t| {
                !matched.contains(t.id.as_str())
                    && t.people.keys().any(|h| case.people.contains_key(h))
            })
        };
        let found = by_id.or_else(through_person);
        let Some(t) = found else {
            findings.push(
                Discrepancy::new(
                    "01",
                    format!("The partner's ICR extract {receipt} has no case matching ours."),
                    "Check the case with the partner (CSENet CSI R); close it or send the referral again.",
                )
                .partner(partner)
                .reference(receipt)
                .case_id(&case.id),
            );
            continue;
        };
        matched.insert(t.id.as_str());
        let known_id = known
            .get(&(partner.to_string(), case.id.clone()))
            .and_then(|k| k.their_id.as_ref())
            .map(|(id, _)| id.as_str());
        if by_id.is_none() {
            let named = if t.names_ours.is_empty() {
                "no case of ours".to_string()
            } else {
                format!("our case id as {}", t.names_ours)
            };
            findings.push(
                Discrepancy::new(
                    "02",
                    format!(
                        "The partner's case {} shares a participant with ours but gives {named} (extract {receipt}).",
                        t.id
                    ),
                    "Agree on the case ids with the partner (CSENet MSC P GSCAS).",
                )
                .partner(partner)
                .reference(&t.id)
                .case_id(&case.id),
            );
        } else if let Some(known_id) = known_id.filter(|k| *k != t.id) {
            findings.push(
                Discrepancy::new(
                    "02",
                    format!(
                        "The partner's extract {receipt} holds our case as its case {}; our transactions know it as {known_id}.",
                        t.id
                    ),
                    "Agree on the case ids with the partner (CSENet MSC P GSCAS).",
                )
                .partner(partner)
                .reference(&t.id)
                .case_id(&case.id),
            );
        }
        if case.open != t.open {
            let code = if case.open { "04" } else { "05" };
            findings.push(
                Discrepancy::new(
                    code,
                    format!(
                        "Our case is {}; the partner's case {} is {} (extract {receipt}).",
                        open_label(case.open),
                        t.id,
                        open_label(t.open)
                    ),
                    "Agree on the case status with the partner; close or reopen one side.",
                )
                .partner(partner)
                .reference(&t.id)
                .case_id(&case.id),
            );
        }
        let their_county = t.our_fips.get(..5).filter(|f| f.get(2..) != Some("000"));
        if let (Some(ours), Some(theirs)) = (&case.county, their_county)
            && ours != theirs
        {
            findings.push(
                Discrepancy::new(
                    "03",
                    format!(
                        "The partner's case {} names our county office {theirs}; the case is {ours}'s (extract {receipt}).",
                        t.id
                    ),
                    "Tell the partner the right office (CSENet MSC P GSCAS or a CSI P).",
                )
                .partner(partner)
                .reference(&t.id)
                .case_id(&case.id),
            );
        }
        let people = &t.people;
        for (hash, masked) in &case.people {
            if !people.contains_key(hash) {
                findings.push(
                    Discrepancy::new(
                        "06",
                        format!(
                            "A participant of our case is not on the partner's case {} (extract {receipt}).",
                            t.id
                        ),
                        "Send the partner the participant (CSENet CSI P or MSC) or correct our case.",
                    )
                    .partner(partner)
                    .reference(&t.id)
                    .case_id(&case.id)
                    .person(masked),
                );
            }
        }
        for (hash, masked) in people {
            if !case.people.contains_key(hash) {
                findings.push(
                    Discrepancy::new(
                        "PARTICIPANT_MISSING_AT_STATE",
                        format!(
                            "A participant of the partner's case {} is not on our case (extract {receipt}).",
                            t.id
                        ),
                        "Check the participant with the partner and add it to our case if it belongs.",
                    )
                    .partner(partner)
                    .reference(&t.id)
                    .case_id(&case.id)
                    .person(masked),
                );
            }
        }
    }
    for t in theirs.values() {
        if matched.contains(t.id.as_str()) {
            continue;
        }
        let mut d = Discrepancy::new(
            "CASE_MISSING_AT_STATE",
            format!(
                "The partner's {} case {} in extract {receipt} matches no interstate case of ours.",
                open_label(t.open),
                t.id
            ),
            "Check the case with the partner: open it here, or ask the partner to close it.",
        )
        .partner(partner)
        .reference(&t.id);
        if !t.names_ours.is_empty() {
            d = d.case_id(&t.names_ours);
        }
        findings.push(d);
    }
}

async fn csi(
    context: &JobContext,
    settings: &InterstateCasesSettings,
    partner: &PartnerSettings,
    case: &OurCase,
    known: &Known,
    findings: &mut Findings,
) -> Result<(), StoreError> {
    if let Some(answer) = &known.csi
        && let Some(open) = answer.open
        && open != case.open
    {
        let mut d = Discrepancy::new(
            "CSI_STATUS_MISMATCH",
            format!(
                "Our case is {}; the partner's latest case-status answer (CSI P) says {}.",
                open_label(case.open),
                open_label(open)
            ),
            "Agree on the case status with the partner; close or reopen one side.",
        )
        .partner(&partner.id)
        .case_id(&case.id)
        .since(answer.at);
        if let Some(receipt) = &answer.receipt {
            d = d.reference(receipt);
        }
        findings.push(d);
    }
    if !case.open {
        return Ok(());
    }
    let window = context.now - settings.csi_within_days * DAY_MS;
    let answered = known.csi.as_ref().is_some_and(|a| a.at >= window);
    let asked = known.asked_at.is_some_and(|a| a >= window);
    if answered || asked {
        return Ok(());
    }
    let what = format!(
        "No case-status answer (CSI P) from the partner in {} days.",
        settings.csi_within_days
    );
    let mut d = Discrepancy::new(
        "CSI_NO_ANSWER",
        what,
        "Ask the partner for the case status (CSI R FRINF).",
    )
    .partner(&partner.id)
    .case_id(&case.id);
    if let Some(answer) = &known.csi {
        d = d.since(answer.at);
    }
    if !context.dry_run && settings.request_csi {
        let their_id = known.their_id.as_ref().map(|(id, _)| id.clone());
        match request_csi(context, partner, &case.id, their_id).await? {
            Ok(key) => {
                findings.count("csiRequested", 1);
                d = d.reference(key).taken();
            }
            Err(why) => {
                d.action = format!(
                    "Ask the partner for the case status (CSI R FRINF); the job could not: {why}"
                );
            }
        }
    }
    findings.push(d);
    Ok(())
}

/// Asks `partner` for the status of `case_id` (`CSI R FRINF`) as the state system's API
/// does. `Ok(Err(reason))` when the rules or the case do not allow it (nothing stored).
async fn request_csi(
    context: &JobContext,
    partner: &PartnerSettings,
    case_id: &str,
    other_case_id: Option<String>,
) -> Result<Result<String, String>, StoreError> {
    let Some(renderer) = CsenetRenderer::from_settings(&context.settings) else {
        return Ok(Err("the state's FIPS code is not configured".into()));
    };
    let Some(agreement) = partner.interstate.as_ref() else {
        return Ok(Err("the partner has no CSENet agreement".into()));
    };
    let parameters = CsenetParameters {
        function: "CSI".into(),
        action: "R".into(),
        reason: "FRINF".into(),
        other_case_id,
    };
    if let Err(rule) = parameters.check(agreement) {
        return Ok(Err(rule));
    }
    let value = serde_json::to_value(&parameters)
        .map_err(|_| StoreError::Invalid("CSENet parameters do not serialize".into()))?;
    let mut tx = context.db.begin().await?;
    let request_id = requests::insert(
        &mut tx,
        case_id,
        &partner.id,
        CsenetRenderer::KIND,
        &value,
        context.now,
    )
    .await?;
    let cause_id = request_id.to_string();
    let rendered = match renderer
        .render(
            &mut tx,
            &RenderRequest {
                partner: &partner.id,
                cause_kind: outbound::CAUSE,
                cause_id: &cause_id,
                replay: 0,
                max_attempts: i64::from(partner.retry.max_attempts),
                now: context.now,
            },
        )
        .await
    {
        Ok(rendered) => rendered,
        Err(RenderError::Store(e)) => return Err(e),
        // Dropping the transaction forgets the stored request.
        Err(other) => return Ok(Err(other.to_string())),
    };
    rendered.enqueue(&mut tx, context.now).await?;
    tx.commit().await?;
    if let Some(wake) = &context.dispatcher_wake {
        wake.notify_one();
    }
    Ok(Ok(rendered.message.idempotency_key))
}
