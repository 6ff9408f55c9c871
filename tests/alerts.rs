//! Alerts fire on state changes, never once per retry: a partner outage is one "partner
//! down" and one "partner back", however many attempts fail in between; a dead letter is
//! one alert; each goes to the log and, durably through the outbox, to the webhook — on
//! both backends.

mod support;

use std::sync::Arc;
use std::time::Duration;

use ivd_gateway::alerts::{self, Signal};
use ivd_gateway::outbox;
use ivd_gateway::store::now_ms;
use serde_json::Value;
use support::app::TestApp;
use support::{
    Behaviour, MockPartner, TestDb, gateway_settings, http_partner, test_message, wait_until,
};

on_both_backends!(
    a_partner_outage_is_one_alert_down_and_one_back,
    the_same_condition_raised_twice_is_sent_once,
    an_overdue_answer_alerts_once_and_resolves_when_it_arrives,
);

/// The alerts the webhook received, in order: (alert, state, key).
async fn webhook_alerts(webhook: &MockPartner) -> Vec<(String, String, String)> {
    let mut seen = std::collections::HashSet::new();
    webhook
        .server
        .received_requests()
        .await
        .unwrap_or_default()
        .iter()
        .filter(|r| {
            // A redelivered alert (same idempotency key) is one alert.
            let key = r
                .headers
                .get("idempotency-key")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("");
            seen.insert(key.to_string())
        })
        .map(|r| {
            let body: Value = serde_json::from_slice(&r.body).unwrap();
            (
                body["alert"].as_str().unwrap().to_string(),
                body["state"].as_str().unwrap().to_string(),
                body["key"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

async fn a_partner_outage_is_one_alert_down_and_one_back(t: TestDb) {
    // State 27 is out: every attempt fails with a 503 until the outage ends.
    let outage = Behaviour {
        fail_first: u32::MAX,
        flaky: Arc::new(|_| true),
        ..Behaviour::default()
    };
    let partner = MockPartner::start(outage).await;
    let webhook = MockPartner::start(Behaviour::default()).await;
    let mut state_27 = http_partner("state-27", &partner.endpoint(), 50);
    state_27.circuit.failure_threshold = 3;
    state_27.circuit.cooldown_secs = 1;
    // A county that rejects what it is sent: its message is a dead letter at once.
    let rejecting = MockPartner::start(Behaviour {
        reject: Arc::new(|_| true),
        ..Behaviour::default()
    })
    .await;
    let county = http_partner("county-9", &rejecting.endpoint(), 5);
    let mut settings = gateway_settings(
        &t,
        vec![
            state_27,
            county,
            http_partner("ops-alerts", &webhook.endpoint(), 10),
        ],
    );
    settings.alerts.webhook_partners = vec!["ops-alerts".to_string()];
    let gateway = TestApp::spawn_with(settings).await;
    let db = gateway.state.db.clone();
    let mut tx = db.begin().await.unwrap();
    for seq in 0..5 {
        outbox::enqueue(
            &mut tx,
            &test_message("state-27", "case-1", seq, 50, now_ms()),
            now_ms(),
        )
        .await
        .unwrap();
    }
    outbox::enqueue(
        &mut tx,
        &test_message("county-9", "case-2", 0, 5, now_ms()),
        now_ms(),
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    gateway.state.dispatcher_wake.notify_one();

    // The circuit opens: partner down. Attempts go on failing for a while (half-open
    // probes after each cool-down), then the outage ends.
    let down = wait_until(Duration::from_secs(30), || async {
        alerts::list(&db, Some("firing"), 10)
            .await
            .unwrap()
            .iter()
            .any(|a| a.key == "partner-down:state-27")
    })
    .await;
    assert!(down, "partner down recorded");
    // Down for a few cool-downs: the half-open probes fail and must not alert again.
    support::faults::wait_failed_attempts(&db, "state-27", 3, "probes while down").await;
    partner.set_behaviour(Behaviour::default());
    assert!(
        wait_until(Duration::from_secs(60), || async {
            partner.applied_count() == 5
        })
        .await,
        "state 27 came back and got everything"
    );
    let back = wait_until(Duration::from_secs(30), || async {
        alerts::list(&db, Some("resolved"), 10)
            .await
            .unwrap()
            .iter()
            .any(|a| a.key == "partner-down:state-27")
    })
    .await;
    assert!(back, "partner back recorded");
    assert!(
        wait_until(Duration::from_secs(30), || async {
            webhook_alerts(&webhook).await.len() == 3
        })
        .await,
        "three alerts reach the webhook: {:?}",
        webhook_alerts(&webhook).await
    );
    let failed_attempts = partner.log.lock().unwrap().attempts.values().sum::<u32>() - 5;
    assert!(
        failed_attempts > 3,
        "many attempts failed ({failed_attempts})"
    );

    let mut sent = webhook_alerts(&webhook).await;
    sent.sort();
    let dead_letter_key = sent
        .iter()
        .find(|(alert, ..)| alert == "dead-letter")
        .map(|(.., key)| key.clone())
        .expect("the dead letter alert");
    assert!(dead_letter_key.starts_with("dead-letter:"));
    assert_eq!(
        sent,
        vec![
            (
                "dead-letter".to_string(),
                "firing".to_string(),
                dead_letter_key
            ),
            (
                "partner-down".to_string(),
                "firing".to_string(),
                "partner-down:state-27".to_string()
            ),
            (
                "partner-down".to_string(),
                "resolved".to_string(),
                "partner-down:state-27".to_string()
            ),
        ],
        "one down, one back, one dead letter — not one per failed attempt"
    );
    // Nothing about the webhook itself, and nothing personal: ids and counts only.
    let stored = alerts::list(&db, None, 100).await.unwrap();
    assert_eq!(stored.len(), 2);
    gateway.stop().await;
    t.cleanup().await;
}

async fn the_same_condition_raised_twice_is_sent_once(t: TestDb) {
    let webhook = MockPartner::start(Behaviour::default()).await;
    let mut settings = gateway_settings(
        &t,
        vec![http_partner("ops-alerts", &webhook.endpoint(), 10)],
    );
    settings.alerts.webhook_partners = vec!["ops-alerts".to_string()];
    settings.outbox.enabled = false;
    let db = ivd_gateway::app::open_database(&settings).await.unwrap();
    let overdue = Signal::AckOverdue {
        partner: "state-06".into(),
        reference: "000000000042".into(),
        kind: "csenet.acknowledgment".into(),
    };
    let received = Signal::AckReceived {
        partner: "state-06".into(),
        reference: "000000000042".into(),
        kind: "csenet.acknowledgment".into(),
    };
    let now = now_ms();
    // Raised by two instances, or by every run of a job: sent once.
    assert!(
        alerts::apply(&db, &settings, &overdue, now)
            .await
            .unwrap()
            .is_some()
    );
    assert!(
        alerts::apply(&db, &settings, &overdue, now + 1)
            .await
            .unwrap()
            .is_none()
    );
    // Resolved once; resolving again changes nothing.
    assert!(
        alerts::apply(&db, &settings, &received, now + 2)
            .await
            .unwrap()
            .is_some()
    );
    assert!(
        alerts::apply(&db, &settings, &received, now + 3)
            .await
            .unwrap()
            .is_none()
    );
    // Overdue again later: a new change, a new message.
    let again = alerts::apply(&db, &settings, &overdue, now + 4)
        .await
        .unwrap()
        .expect("fires again");
    assert_eq!(again.changes, 3);
    let keys: Vec<(String,)> = ivd_gateway::on_read!(&db, c => {
        sqlx::query_as("SELECT idempotency_key FROM outbox_messages WHERE kind = 'alert' ORDER BY id")
            .fetch_all(c)
            .await
            .unwrap()
    });
    let keys: Vec<String> = keys.into_iter().map(|(k,)| k).collect();
    let key = "ack-overdue:state-06:csenet.acknowledgment:000000000042";
    assert_eq!(
        keys,
        vec![
            format!("alert:{key}:1"),
            format!("alert:{key}:2"),
            format!("alert:{key}:3")
        ]
    );
    // A reconciliation with discrepancies fires; a clean run resolves it.
    let dirty = Signal::Reconciliation {
        job: "ack-deadlines".into(),
        run: "7".into(),
        discrepancies: 2,
    };
    let clean = Signal::Reconciliation {
        job: "ack-deadlines".into(),
        run: "8".into(),
        discrepancies: 0,
    };
    assert!(
        alerts::apply(&db, &settings, &clean, now)
            .await
            .unwrap()
            .is_none(),
        "nothing to resolve"
    );
    assert!(
        alerts::apply(&db, &settings, &dirty, now)
            .await
            .unwrap()
            .is_some()
    );
    assert!(
        alerts::apply(&db, &settings, &clean, now + 1)
            .await
            .unwrap()
            .is_some()
    );
    db.close().await;
    t.cleanup().await;
}

async fn an_overdue_answer_alerts_once_and_resolves_when_it_arrives(t: TestDb) {
    use ivd_gateway::reconcile::deadlines::{self, Expectation};
    use ivd_gateway::reconcile::scheduler::Runner;
    let webhook = MockPartner::start(Behaviour::default()).await;
    let mut settings = gateway_settings(
        &t,
        vec![http_partner("ops-alerts", &webhook.endpoint(), 10)],
    );
    settings.alerts.webhook_partners = vec!["ops-alerts".to_string()];
    settings.outbox.enabled = false;
    let dir = t.scratch_dir();
    let runner = Runner {
        db: t.db.clone(),
        settings: Arc::new(settings),
        lookup_key: ivd_gateway::privacy::LookupKey::load_or_create(&dir.join("keys/lookup.key"))
            .unwrap(),
        data_keys: ivd_gateway::privacy::DataKeys::load_or_create(&dir.join("keys/data")).unwrap(),
        dispatcher_wake: None,
        worker: "test".to_string(),
        metrics: None,
    };
    // Acme Payroll owed an e-IWO acknowledgment yesterday.
    let now = now_ms();
    let mut tx = t.db.begin().await.unwrap();
    deadlines::expect(
        &mut tx,
        &Expectation {
            partner: "employer-acme",
            message_id: None,
            reference: "TRK-000042",
            kind: "eiwo.employer-ack",
            due_at: now - 86_400_000,
            case_id: None,
        },
        now - 10 * 86_400_000,
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let sent = || async {
        let rows: Vec<(String,)> = ivd_gateway::on_read!(&t.db, c => {
            sqlx::query_as("SELECT idempotency_key FROM outbox_messages WHERE kind = 'alert' ORDER BY id")
                .fetch_all(c)
                .await
                .unwrap()
        });
        rows.into_iter().map(|(k,)| k).collect::<Vec<_>>()
    };
    // A dry run alerts nobody; two real runs alert once (and the job's alert fires once).
    runner.run_now("ack-deadlines", true).await.unwrap();
    assert!(sent().await.is_empty());
    runner.run_now("ack-deadlines", false).await.unwrap();
    runner.run_now("ack-deadlines", false).await.unwrap();
    let overdue = "alert:ack-overdue:employer-acme:eiwo.employer-ack:TRK-000042";
    assert_eq!(
        sent().await,
        vec![
            format!("{overdue}:1"),
            "alert:reconciliation:ack-deadlines:1".to_string()
        ]
    );
    // The acknowledgment arrives: the next run resolves both alerts.
    let mut tx = t.db.begin().await.unwrap();
    assert!(
        deadlines::satisfy(
            &mut tx,
            "employer-acme",
            "TRK-000042",
            "eiwo.employer-ack",
            "R-1",
            now
        )
        .await
        .unwrap()
    );
    tx.commit().await.unwrap();
    runner.run_now("ack-deadlines", false).await.unwrap();
    assert_eq!(
        sent().await,
        vec![
            format!("{overdue}:1"),
            "alert:reconciliation:ack-deadlines:1".to_string(),
            format!("{overdue}:2"),
            "alert:reconciliation:ack-deadlines:2".to_string(),
        ]
    );
    t.cleanup().await;
}
