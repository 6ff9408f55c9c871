//! Reconciliation, end to end on both backends: each job finds exactly the discrepancies
//! planted for it (none missed, none invented); an overdue CSENet answer gets one
//! reminder, never two; runs are stored, a run whose worker died is marked so and can be
//! retried; the CLI and the operator API (JSON and CSV) show the reports; and two gateway
//! processes on one PostgreSQL run a scheduled job once per tick, the survivor taking over
//! when the other is killed.

mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

use ivd_gateway::config::{InterstateSettings, PartnerSettings, Settings};
use ivd_gateway::outbox::render::RenderRequest;
use ivd_gateway::outbox::{self, store as outbox_store};
use ivd_gateway::reconcile::deadlines::{self, Expectation};
use ivd_gateway::reconcile::runs;
use ivd_gateway::reconcile::scheduler::{RunError, Runner};
use ivd_gateway::reconcile::settings::JobSettings;
use ivd_gateway::store::tokens::Role;
use ivd_gateway::store::{Db, cases, now_ms, requests};
use serde_json::{Value, json};
use support::app::TestApp;
use support::issue_token;
use support::{GatewayProcess, TestDb, gateway_settings, http_partner, test_message, wait_until};

on_both_backends!(
    the_ack_job_reports_exactly_the_overdue_answers_and_reminds_once,
    the_outbox_health_job_reports_exactly_the_stuck_messages_and_old_dead_letters,
    a_run_whose_worker_died_is_marked_died_and_can_be_retried_once,
    operators_read_reports_as_json_and_csv_and_others_are_refused,
    the_cli_lists_jobs_and_runs_one_with_its_exit_status,
);

const TANF: &str = include_str!("../schemas/samples/case-tanf.json");
const CASE_ID: &str = "MN-0001234";
const HOUR: i64 = 3_600_000;
const DAY: i64 = 24 * HOUR;

fn csenet_partner() -> PartnerSettings {
    let mut partner = http_partner("state-06", "http://127.0.0.1:9/inbound", 3);
    partner.interstate = Some(InterstateSettings {
        fips: "0600000".to_string(),
        functions: vec!["ENF".into(), "CSI".into(), "LO1".into()],
    });
    partner
}

fn settings(t: &TestDb) -> Settings {
    let mut settings = gateway_settings(t, vec![csenet_partner()]);
    settings.state.fips = Some("2700000".to_string());
    settings.state.csenet_office = Some(ivd_csenet::CaseData {
        payment_mail_address_line_1: "PO BOX 64306".into(),
        payment_city: "ST PAUL".into(),
        payment_state: "MN".into(),
        payment_zip_1: "55164".into(),
        ..Default::default()
    });
    // Outbox dispatching stays off: planted messages keep their states.
    settings.outbox.enabled = false;
    settings
}

fn runner(t: &TestDb, settings: Settings) -> Runner {
    let dir = t.scratch_dir();
    Runner {
        db: t.db.clone(),
        settings: Arc::new(settings),
        lookup_key: ivd_gateway::privacy::LookupKey::load_or_create(&dir.join("keys/lookup.key"))
            .unwrap(),
        data_keys: ivd_gateway::privacy::DataKeys::load_or_create(&dir.join("keys/data")).unwrap(),
        dispatcher_wake: None,
        worker: "test-runner".to_string(),
        metrics: None,
    }
}

/// Sends a CSENet request as the state system would have `age_ms` ago: stored request,
/// rendered, enqueued with its deadlines. Returns the message id.
async fn csenet_request_sent_ago(
    db: &Db,
    settings: &Settings,
    function: &str,
    action: &str,
    reason: &str,
    age_ms: i64,
) -> i64 {
    let then = now_ms() - age_ms;
    let mut tx = db.begin().await.unwrap();
    if cases::get_in(&mut tx, CASE_ID).await.unwrap().is_none() {
        cases::put(&mut tx, CASE_ID, TANF, then).await.unwrap();
    }
    let parameters = json!({ "function": function, "action": action, "reason": reason, "otherCaseId": "CA-778899" });
    let request = requests::insert(&mut tx, CASE_ID, "state-06", "csenet", &parameters, then)
        .await
        .unwrap();
    let renderers = ivd_gateway::channels::renderers(settings);
    let rendered = renderers
        .get("csenet")
        .unwrap()
        .render(
            &mut tx,
            &RenderRequest {
                partner: "state-06",
                cause_kind: "transaction-request",
                cause_id: &request.to_string(),
                replay: 0,
                max_attempts: 3,
                now: then,
            },
        )
        .await
        .expect("the request renders");
    let id = rendered.enqueue(&mut tx, then).await.unwrap().id();
    tx.commit().await.unwrap();
    id
}

async fn expect_answer(db: &Db, partner: &str, reference: &str, kind: &str, due_at: i64) -> i64 {
    let mut tx = db.begin().await.unwrap();
    deadlines::expect(
        &mut tx,
        &Expectation {
            partner,
            message_id: None,
            reference,
            kind,
            due_at,
            case_id: None,
        },
        due_at - 10 * DAY,
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    deadlines::for_reference(db, reference).await.unwrap()[0].id
}

async fn outbox_count(db: &Db) -> usize {
    outbox_store::list(
        db,
        &outbox_store::ListFilter {
            limit: Some(10_000),
            ..Default::default()
        },
    )
    .await
    .unwrap()
    .len()
}

/// (code, reference) of every discrepancy, sorted.
fn found(run: &runs::Run) -> BTreeSet<(String, String)> {
    run.findings()
        .expect("the run has a report")
        .discrepancies
        .into_iter()
        .map(|d| (d.code, d.reference.unwrap_or_default()))
        .collect()
}

async fn the_ack_job_reports_exactly_the_overdue_answers_and_reminds_once(t: TestDb) {
    let settings = settings(&t);
    // An enforcement referral sent 30 days ago: its acknowledgment (10 working days) is
    // overdue, and ENF has a reminder (M).
    let enf = csenet_request_sent_ago(&t.db, &settings, "ENF", "R", "ERWAG", 30 * DAY).await;
    // A case-status request sent 20 days ago: the answer (7 days) is overdue, but CSI has
    // no reminder: report only.
    let csi = csenet_request_sent_ago(&t.db, &settings, "CSI", "R", "FRINF", 20 * DAY).await;
    // A referral sent today: nothing is due yet.
    csenet_request_sent_ago(&t.db, &settings, "ENF", "R", "ERWAG", 0).await;
    // A referral sent 25 days ago that went to dead letter: no reminder about a message
    // the partner never had.
    let undelivered =
        csenet_request_sent_ago(&t.db, &settings, "ENF", "R", "ERWAG", 25 * DAY).await;
    set_state(&t.db, enf, "delivered").await;
    set_state(&t.db, csi, "delivered").await;
    set_state(&t.db, undelivered, "dead").await;
    let enf_ref = deadlines_of(&t.db, enf).await;
    let csi_ref = deadlines_of(&t.db, csi).await;
    let undelivered_ref = deadlines_of(&t.db, undelivered).await;
    // An employer's e-IWO acknowledgment, overdue: no reminder in that format.
    expect_answer(
        &t.db,
        "employer-1",
        "IWO-0001",
        "eiwo.employer-ack",
        now_ms() - 2 * DAY,
    )
    .await;
    // Not yet due.
    expect_answer(
        &t.db,
        "employer-1",
        "IWO-0002",
        "eiwo.employer-ack",
        now_ms() + DAY,
    )
    .await;
    // Overdue but answered.
    expect_answer(
        &t.db,
        "employer-1",
        "IWO-0003",
        "eiwo.employer-ack",
        now_ms() - DAY,
    )
    .await;
    let mut tx = t.db.begin().await.unwrap();
    assert!(
        deadlines::satisfy(
            &mut tx,
            "employer-1",
            "IWO-0003",
            "eiwo.employer-ack",
            "receipt-1",
            now_ms()
        )
        .await
        .unwrap()
    );
    tx.commit().await.unwrap();

    let expected: BTreeSet<(String, String)> = [
        enf_ref.clone(),
        csi_ref.clone(),
        undelivered_ref.clone(),
        "IWO-0001".to_string(),
    ]
    .into_iter()
    .map(|r| ("ACK_OVERDUE".to_string(), r))
    .collect();
    let runner = runner(&t, settings);
    let messages_before = outbox_count(&t.db).await;

    // A dry run reports the four and sends nothing.
    let dry = runner.run_now("ack-deadlines", true).await.unwrap();
    assert_eq!(
        (dry.status.as_str(), dry.dry_run, dry.triggered_by.as_str()),
        ("succeeded", true, "manual")
    );
    assert_eq!(found(&dry), expected);
    assert!(
        dry.findings()
            .unwrap()
            .discrepancies
            .iter()
            .all(|d| !d.action_taken)
    );
    assert_eq!(outbox_count(&t.db).await, messages_before);

    // A real run enqueues one reminder: for the ENF referral only.
    let real = runner.run_now("ack-deadlines", false).await.unwrap();
    assert_eq!(found(&real), expected);
    let report = real.findings().unwrap();
    assert_eq!(report.counts["overdue"], 4);
    assert_eq!(report.counts["remindersEnqueued"], 1);
    let taken: Vec<_> = report
        .discrepancies
        .iter()
        .filter(|d| d.action_taken)
        .collect();
    assert_eq!(taken.len(), 1);
    assert_eq!(taken[0].reference.as_deref(), Some(enf_ref.as_str()));
    assert_eq!(taken[0].case_id.as_deref(), Some(CASE_ID));
    assert_eq!(taken[0].partner.as_deref(), Some("state-06"));
    assert!(taken[0].since.is_some());
    let csi_finding = report
        .discrepancies
        .iter()
        .find(|d| d.reference.as_deref() == Some(csi_ref.as_str()))
        .unwrap();
    assert!(
        csi_finding.action.contains("no reminder for function CSI"),
        "{}",
        csi_finding.action
    );
    let dead_finding = report
        .discrepancies
        .iter()
        .find(|d| d.reference.as_deref() == Some(undelivered_ref.as_str()))
        .unwrap();
    assert!(
        dead_finding.action.contains("dead letter") && !dead_finding.action_taken,
        "{}",
        dead_finding.action
    );
    assert_eq!(outbox_count(&t.db).await, messages_before + 1);
    let newest = outbox_store::list(
        &t.db,
        &outbox_store::ListFilter {
            limit: Some(10_000),
            ..Default::default()
        },
    )
    .await
    .unwrap()
    .pop()
    .unwrap();
    let detail = outbox_store::show(&t.db, newest.id).await.unwrap().unwrap();
    assert_eq!(
        (
            detail.summary.partner.as_str(),
            detail.summary.kind.as_str()
        ),
        ("state-06", "csenet")
    );
    let payload = payload_of(&t.db, newest.id).await;
    let reminder = ivd_csenet::Transaction::parse(payload.trim_end().as_bytes())
        .expect("the reminder is valid CSENet");
    assert_eq!(reminder.header.function, ivd_csenet::FunctionCode::Enf);
    assert_eq!(reminder.header.action, ivd_csenet::ActionCode::Reminder);

    let audit = ivd_gateway::audit::recent(&t.db, 50).await.unwrap();
    let reminders: Vec<_> = audit
        .iter()
        .filter(|e| e.action == "reconcile.reminder")
        .collect();
    assert_eq!(reminders.len(), 1);
    assert_eq!(reminders[0].subject, format!("message:{}", newest.id));

    // Run again: the same four, and no second reminder.
    let again = runner.run_now("ack-deadlines", false).await.unwrap();
    assert_eq!(found(&again), expected);
    assert_eq!(again.findings().unwrap().counts["remindersEnqueued"], 0);
    assert_eq!(again.findings().unwrap().counts["remindersSentBefore"], 1);
    assert_eq!(outbox_count(&t.db).await, messages_before + 1);
    t.cleanup().await;
}

async fn set_state(db: &Db, id: i64, state: &str) {
    ivd_gateway::on_db!(db, c => {
        sqlx::query("UPDATE outbox_messages SET state = $1, finalized_at = $2 WHERE id = $3")
            .bind(state)
            .bind(now_ms())
            .bind(id)
            .execute(c)
            .await
            .unwrap()
            .rows_affected()
    });
}

async fn payload_of(db: &Db, id: i64) -> String {
    let (payload, partner, key): (Vec<u8>, String, String) = ivd_gateway::on_read!(db, c => {
        sqlx::query_as("SELECT payload, partner, idempotency_key FROM outbox_payloads WHERE message_id = $1").bind(id).fetch_one(c).await.unwrap()
    });
    // Payloads are sealed at rest.
    let payload = db
        .sealer()
        .open_bytes(
            payload,
            &ivd_gateway::store::sealing::place::outbox(&partner, &key),
        )
        .unwrap();
    String::from_utf8(payload).unwrap()
}

/// The reference (serial) of the deadline recorded for message `id`.
async fn deadlines_of(db: &Db, id: i64) -> String {
    let (reference,): (String,) = ivd_gateway::on_read!(db, c => {
        sqlx::query_as("SELECT reference FROM ack_deadlines WHERE message_id = $1").bind(id).fetch_one(c).await.unwrap()
    });
    reference
}

/// Plants a message and forces its state and times.
async fn plant(
    db: &Db,
    key: &str,
    state: &str,
    run_at: i64,
    lease_expires_at: Option<i64>,
    finalized_at: Option<i64>,
) -> i64 {
    let mut tx = db.begin().await.unwrap();
    let id = outbox::enqueue(
        &mut tx,
        &test_message("state-06", key, 1, 5, run_at),
        run_at,
    )
    .await
    .unwrap()
    .id();
    // The macro hands the unit's connection over with `?`: an async block to return to.
    async { Ok::<_, ivd_gateway::store::StoreError>(ivd_gateway::on_tx!(&mut tx, c => {
        sqlx::query("UPDATE outbox_messages SET state = $1, run_at = $2, lease_expires_at = $3, finalized_at = $4, attempt = $5 WHERE id = $6")
            .bind(state).bind(run_at).bind(lease_expires_at).bind(finalized_at)
            .bind(i64::from(state != "pending")).bind(id)
            .execute(c).await.unwrap().rows_affected()
    })) }
        .await
        .unwrap();
    tx.commit().await.unwrap();
    id
}

async fn the_outbox_health_job_reports_exactly_the_stuck_messages_and_old_dead_letters(t: TestDb) {
    let now = now_ms();
    let stuck_pending = plant(&t.db, "a", "pending", now - 2 * HOUR, None, None).await;
    plant(&t.db, "b", "pending", now - 10 * 60_000, None, None).await;
    let stuck_retry = plant(&t.db, "c", "retry", now - 2 * HOUR, None, None).await;
    plant(&t.db, "d", "retry", now + HOUR, None, None).await;
    let lease_expired = plant(
        &t.db,
        "e",
        "running",
        now - 3 * HOUR,
        Some(now - 2 * HOUR),
        None,
    )
    .await;
    plant(
        &t.db,
        "f",
        "running",
        now - 3 * HOUR,
        Some(now + 60_000),
        None,
    )
    .await;
    let old_dead = plant(&t.db, "g", "dead", now - 5 * DAY, None, Some(now - 4 * DAY)).await;
    let young_dead = plant(&t.db, "h", "dead", now - 2 * DAY, None, Some(now - DAY)).await;
    plant(
        &t.db,
        "i",
        "delivered",
        now - 30 * DAY,
        None,
        Some(now - 29 * DAY),
    )
    .await;

    let expected: BTreeSet<(String, String)> = [
        ("OUTBOX_STUCK", stuck_pending),
        ("OUTBOX_STUCK", stuck_retry),
        ("OUTBOX_LEASE_EXPIRED", lease_expired),
        ("DEAD_LETTER_UNRESOLVED", old_dead),
    ]
    .into_iter()
    .map(|(code, id)| (code.to_string(), format!("message:{id}")))
    .collect();
    let run = runner(&t, settings(&t))
        .run_now("outbox-health", false)
        .await
        .unwrap();
    assert_eq!(run.status, "succeeded");
    assert_eq!(found(&run), expected);
    let report = run.findings().unwrap();
    assert_eq!(report.counts["stuck"], 2);
    assert_eq!(report.counts["leaseExpired"], 1);
    assert_eq!(report.counts["deadLettersUnresolved"], 1);
    assert_eq!(report.counts["deadLetters"], 2);
    assert!(
        report
            .discrepancies
            .iter()
            .all(|d| d.partner.as_deref() == Some("state-06") && d.since.is_some())
    );
    assert_eq!(run.discrepancies, Some(4));

    // N is configurable: with dead_letter_days = 0 the young dead letter counts too.
    let mut settings = settings(&t);
    let mut job = JobSettings::default();
    job.parameters.insert("dead_letter_days".into(), json!(0));
    settings.reconcile.jobs.insert("outbox-health".into(), job);
    let run = runner(&t, settings)
        .run_now("outbox-health", true)
        .await
        .unwrap();
    let mut wider = expected.clone();
    wider.insert((
        "DEAD_LETTER_UNRESOLVED".to_string(),
        format!("message:{young_dead}"),
    ));
    assert_eq!(found(&run), wider);
    t.cleanup().await;
}

async fn a_run_whose_worker_died_is_marked_died_and_can_be_retried_once(t: TestDb) {
    let runner = runner(&t, settings(&t));
    let long_ago = now_ms() - 10 * 60_000;
    // A scheduled run claimed by a worker that stopped ten minutes ago.
    let dead = runs::claim_tick(&t.db, "outbox-health", long_ago, "gone-worker", long_ago)
        .await
        .unwrap()
        .unwrap();
    // The same tick cannot be claimed twice.
    assert_eq!(
        runs::claim_tick(&t.db, "outbox-health", long_ago, "other", now_ms())
            .await
            .unwrap(),
        None
    );
    // A live run (fresh heartbeat) is left alone.
    let live = runs::claim_tick(&t.db, "ack-deadlines", long_ago, "live-worker", now_ms())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(runner.reap_dead(now_ms()).await.unwrap(), 1);
    let died = runs::get(&t.db, dead).await.unwrap().unwrap();
    assert_eq!(died.status, "died");
    assert!(died.error.is_some() && died.finished_at.is_some());
    assert_eq!(
        runs::get(&t.db, live).await.unwrap().unwrap().status,
        "running"
    );
    // A dead worker's late result is not recorded over the verdict.
    assert!(
        !runs::finish(&t.db, dead, Ok(&Default::default()), now_ms())
            .await
            .unwrap()
    );
    assert!(!runs::heartbeat(&t.db, dead, now_ms()).await.unwrap());

    let retried = runner.retry(dead).await.unwrap();
    assert_eq!(
        (
            retried.status.as_str(),
            retried.retry_of,
            retried.triggered_by.as_str()
        ),
        ("succeeded", Some(dead), "manual")
    );
    assert!(matches!(
        runner.retry(dead).await,
        Err(RunError::NotRetryable(_))
    ));
    assert!(matches!(
        runner.retry(retried.id).await,
        Err(RunError::NotRetryable(_))
    ));
    assert!(matches!(
        runner.retry(9_999).await,
        Err(RunError::UnknownRun(_))
    ));
    assert!(matches!(
        runner.run_now("no-such-job", false).await,
        Err(RunError::UnknownJob(_))
    ));
    let last = runs::last_per_job(&t.db).await.unwrap();
    assert_eq!(last.len(), 2);
    // Retention: finished runs go, the running one stays.
    assert_eq!(runs::purge(&t.db, now_ms() + 1).await.unwrap(), 2);
    assert_eq!(
        runs::get(&t.db, live).await.unwrap().unwrap().status,
        "running"
    );
    assert!(runs::get(&t.db, dead).await.unwrap().is_none());
    t.cleanup().await;
}

async fn operators_read_reports_as_json_and_csv_and_others_are_refused(t: TestDb) {
    let now = now_ms();
    let dead = plant(
        &t.db,
        "=cmd",
        "dead",
        now - 5 * DAY,
        None,
        Some(now - 4 * DAY),
    )
    .await;
    let gateway = TestApp::spawn_with(settings(&t)).await;
    let base = format!("http://{}/operator/v1/reconcile", gateway.api_addr);
    let operator = issue_token(&t.db, "ops", Role::Operator).await;
    let state_system = issue_token(&t.db, "case-system", Role::StateSystem).await;
    let http = reqwest::Client::new();

    assert_eq!(
        http.get(format!("{base}/jobs"))
            .send()
            .await
            .unwrap()
            .status(),
        401
    );
    assert_eq!(
        http.get(format!("{base}/jobs"))
            .bearer_auth(&state_system)
            .send()
            .await
            .unwrap()
            .status(),
        403
    );
    assert_eq!(
        http.post(format!("{base}/jobs/outbox-health/run"))
            .bearer_auth(&state_system)
            .send()
            .await
            .unwrap()
            .status(),
        403
    );

    let jobs: Value = http
        .get(format!("{base}/jobs"))
        .bearer_auth(&operator)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let names: Vec<&str> = jobs
        .as_array()
        .unwrap()
        .iter()
        .map(|j| j["name"].as_str().unwrap())
        .collect();
    assert!(
        names.contains(&"ack-deadlines") && names.contains(&"outbox-health"),
        "{jobs}"
    );

    let response = http
        .post(format!("{base}/jobs/outbox-health/run"))
        .bearer_auth(&operator)
        .json(&json!({ "dryRun": false }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let run: Value = response.json().await.unwrap();
    assert_eq!(run["status"], "succeeded", "{run}");
    assert_eq!(
        run["report"]["discrepancies"].as_array().unwrap().len(),
        1,
        "{run}"
    );
    assert_eq!(
        run["report"]["discrepancies"][0]["reference"],
        format!("message:{dead}")
    );
    let id = run["id"].as_i64().unwrap();
    assert_eq!(
        http.post(format!("{base}/jobs/no-such-job/run"))
            .bearer_auth(&operator)
            .send()
            .await
            .unwrap()
            .status(),
        404
    );

    let shown: Value = http
        .get(format!("{base}/runs/{id}"))
        .bearer_auth(&operator)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(shown["report"], run["report"]);
    let listed: Value = http
        .get(format!("{base}/runs?job=outbox-health&limit=5"))
        .bearer_auth(&operator)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(listed.as_array().unwrap().len(), 1);

    assert_eq!(
        http.get(format!("{base}/runs/{id}/report.csv"))
            .send()
            .await
            .unwrap()
            .status(),
        401
    );
    let csv = http
        .get(format!("{base}/runs/{id}/report.csv"))
        .bearer_auth(&operator)
        .send()
        .await
        .unwrap();
    assert_eq!(csv.status(), 200);
    assert!(
        csv.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    let text = csv.text().await.unwrap();
    let mut lines = text.lines();
    assert_eq!(
        lines.next().unwrap(),
        "run,job,code,what,partner,reference,case_id,person,since,since_ms,action,action_taken"
    );
    let row = lines.next().unwrap();
    assert!(
        row.starts_with(&format!("{id},outbox-health,DEAD_LETTER_UNRESOLVED,")),
        "{row}"
    );
    assert_eq!(lines.next(), None);

    // A died run is retried through the API; a succeeded one is not.
    let long_ago = now_ms() - 10 * 60_000;
    let dead_run = runs::claim_tick(&t.db, "outbox-health", long_ago, "gone", long_ago)
        .await
        .unwrap()
        .unwrap();
    runner(&t, settings(&t)).reap_dead(now_ms()).await.unwrap();
    let retried = http
        .post(format!("{base}/runs/{dead_run}/retry"))
        .bearer_auth(&operator)
        .send()
        .await
        .unwrap();
    assert_eq!(retried.status(), 200);
    assert_eq!(
        http.post(format!("{base}/runs/{id}/retry"))
            .bearer_auth(&operator)
            .send()
            .await
            .unwrap()
            .status(),
        409
    );

    let audit = ivd_gateway::audit::recent(&t.db, 50).await.unwrap();
    let actions: Vec<&str> = audit.iter().map(|e| e.action.as_str()).collect();
    assert!(
        actions.contains(&"reconcile.run") && actions.contains(&"reconcile.retry"),
        "{actions:?}"
    );
    let metrics = http
        .get(format!("http://{}/metrics", gateway.api_addr))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains("ivd_reconcile_runs_total{job=\"outbox-health\",status=\"succeeded\"}"),
        "{metrics}"
    );
    gateway.stop().await;
    t.cleanup().await;
}

fn toml_string(text: &str) -> String {
    format!("{:?}", text)
}

fn cli(dir: &Path, config: &Path, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_ivd-gateway"))
        .current_dir(dir)
        .arg("--config")
        .arg(config)
        .args(args)
        .env_remove("IVD_CONFIG")
        .output()
        .expect("the binary runs")
}

async fn the_cli_lists_jobs_and_runs_one_with_its_exit_status(t: TestDb) {
    let dir = t.scratch_dir().join("cli");
    std::fs::create_dir_all(&dir).unwrap();
    let config = dir.join("gateway.toml");
    std::fs::write(
        &config,
        format!(
            "[database]\nurl = {}\n[tls]\ndir = {}\n[log]\nfilter = \"warn\"\n[reconcile.jobs.ack-deadlines]\nschedule = \"0 0 6 * * Mon-Fri\"\n",
            toml_string(&t.url),
            toml_string(&dir.join("tls").display().to_string())
        ),
    )
    .unwrap();

    // Nothing overdue: exit 0.
    let clean = cli(&dir, &config, &["reconcile", "ack-deadlines", "--dry-run"]);
    assert_eq!(
        clean.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&clean.stderr)
    );
    assert!(String::from_utf8_lossy(&clean.stdout).contains("No discrepancies."));

    // Two overdue answers: exit 1, both in the report.
    expect_answer(
        &t.db,
        "employer-1",
        "IWO-0101",
        "eiwo.employer-ack",
        now_ms() - DAY,
    )
    .await;
    expect_answer(
        &t.db,
        "employer-2",
        "IWO-0102",
        "eiwo.employer-ack",
        now_ms() - 2 * DAY,
    )
    .await;
    let found = cli(
        &dir,
        &config,
        &["reconcile", "ack-deadlines", "--dry-run", "--json"],
    );
    assert_eq!(
        found.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&found.stderr)
    );
    let report: Value = serde_json::from_slice(&found.stdout).unwrap();
    assert_eq!(report["dryRun"], true);
    let references: BTreeSet<&str> = report["report"]["discrepancies"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["reference"].as_str().unwrap())
        .collect();
    assert_eq!(references, BTreeSet::from(["IWO-0101", "IWO-0102"]));
    let text = cli(&dir, &config, &["reconcile", "ack-deadlines", "--dry-run"]);
    let stdout = String::from_utf8_lossy(&text.stdout);
    assert!(
        stdout.contains("ACK_OVERDUE")
            && stdout.contains("IWO-0102")
            && stdout.contains("2 discrepancy(ies)."),
        "{stdout}"
    );

    let list = cli(&dir, &config, &["reconcile", "--list"]);
    assert_eq!(list.status.code(), Some(0));
    let stdout = String::from_utf8_lossy(&list.stdout);
    let ack_line = stdout
        .lines()
        .find(|l| l.starts_with("ack-deadlines"))
        .expect(&stdout);
    assert!(
        ack_line.contains("0 0 6 * * Mon-Fri")
            && ack_line.contains("succeeded")
            && ack_line.trim_end().ends_with('2'),
        "{ack_line}"
    );
    let outbox_line = stdout
        .lines()
        .find(|l| l.starts_with("outbox-health"))
        .expect(&stdout);
    assert!(
        outbox_line.contains("by hand") && outbox_line.contains("never"),
        "{outbox_line}"
    );

    let unknown = cli(&dir, &config, &["reconcile", "no-such-job"]);
    assert_eq!(unknown.status.code(), Some(2));
    let runs = runs::list(&t.db, Some("ack-deadlines"), 10).await.unwrap();
    assert_eq!(runs.len(), 3);
    assert!(runs.iter().all(|r| r.dry_run && r.triggered_by == "manual"));
    t.cleanup().await;
}

/// A gateway process from the real binary, with a schedule of every second.
fn start_gateway(dir: &Path, db_url: &str, worker: &str) -> GatewayProcess {
    let config = format!(
        r#"
[database]
url = {url}
[server]
listen = "127.0.0.1:0"
partner_listen = "127.0.0.1:0"
shutdown_grace_secs = 2
[tls]
dir = {tls}
[outbox]
worker_id = "{worker}"
[log]
format = "json"
filter = "warn"
[reconcile]
poll_interval_ms = 100
heartbeat_secs = 1
dead_after_secs = 3
[reconcile.jobs.outbox-health]
schedule = "* * * * * *"
"#,
        url = toml_string(db_url),
        tls = toml_string(&dir.join("tls").display().to_string()),
    );
    GatewayProcess::start(dir, worker, &config)
}

/// Scheduled runs of outbox-health: tick → (runs of that tick, worker of the first).
async fn scheduled_runs(db: &Db) -> BTreeMap<i64, (usize, String)> {
    let mut ticks: BTreeMap<i64, (usize, String)> = BTreeMap::new();
    for run in runs::list(db, Some("outbox-health"), 10_000).await.unwrap() {
        if let Some(tick) = run.scheduled_for {
            let entry = ticks.entry(tick).or_insert((0, run.worker.clone()));
            entry.0 += 1;
        }
    }
    ticks
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_gateways_on_one_postgresql_run_each_tick_once_and_the_survivor_takes_over() {
    let Some(t) = TestDb::postgres().await else {
        return;
    };
    let dir = t.scratch_dir();
    let mut a = Some(start_gateway(&dir, &t.url, "gw-a"));
    let mut b = Some(start_gateway(&dir, &t.url, "gw-b"));
    assert!(
        wait_until(Duration::from_secs(60), || async {
            scheduled_runs(&t.db).await.len() >= 6
        })
        .await,
        "six ticks were not run within a minute"
    );
    let before = scheduled_runs(&t.db).await;
    assert!(
        before.values().all(|(n, _)| *n == 1),
        "a tick ran twice: {before:?}"
    );
    // Kill the process that ran the latest tick.
    let (&latest, (_, worker)) = before.iter().next_back().unwrap();
    let survivor = if worker == "gw-a" { "gw-b" } else { "gw-a" };
    let killed = if worker == "gw-a" { a.take() } else { b.take() };
    drop(killed);
    let killed_at = now_ms();
    assert!(
        wait_until(Duration::from_secs(60), || async {
            scheduled_runs(&t.db)
                .await
                .range(killed_at + 1000..)
                .count()
                >= 3
        })
        .await,
        "the survivor did not run the next ticks"
    );
    let after = scheduled_runs(&t.db).await;
    assert!(
        after.values().all(|(n, _)| *n == 1),
        "a tick ran twice: {after:?}"
    );
    let taken_over: Vec<_> = after.range(killed_at + 1000..).collect();
    assert!(
        taken_over.iter().all(|(_, (_, w))| w == survivor),
        "{taken_over:?}"
    );
    assert!(after.keys().any(|&tick| tick > latest));
    // The killed worker's runs all ended: succeeded, or died if the kill caught one
    // mid-run (the survivor marks it once its heartbeat is older than dead_after_secs).
    let killed_worker = worker.clone();
    assert!(
        wait_until(Duration::from_secs(30), || async {
            runs::list(&t.db, Some("outbox-health"), 10_000)
                .await
                .unwrap()
                .iter()
                .filter(|r| r.worker == killed_worker)
                .all(|r| r.status == "succeeded" || r.status == "died")
        })
        .await,
        "a run of the killed worker was left running"
    );
    drop(a);
    drop(b);
    t.cleanup().await;
}
