//! The outbox end to end, in-process, on both backends: a thousand messages over fifty
//! cases to a partner that fails some attempts; a partner that rejects a message, which
//! goes to dead letter and comes back by redelivery.

mod support;

use std::sync::Arc;
use std::time::Duration;

use ivd_gateway::outbox::operator;
use ivd_gateway::outbox::store::{self, ListFilter};
use ivd_gateway::outbox::{self, MessageState};
use ivd_gateway::store::{Db, now_ms};
use support::app::TestApp;
use support::{
    Behaviour, MockPartner, TestDb, assert_per_key_order, gateway_settings, http_partner,
    test_message, wait_until,
};

on_both_backends!(
    a_thousand_messages_over_fifty_cases_arrive_once_each_in_case_order,
    a_rejected_message_goes_to_dead_letter_and_redelivery_brings_it_home,
    a_file_drop_partner_gets_each_message_as_one_whole_file,
    messages_claimed_ahead_wait_for_a_slot_and_the_partner_never_gets_more_than_its_concurrency,
);

/// Messages the store holds as delivered (up to 10,000).
async fn delivered_count(db: &Db) -> usize {
    store::list(
        db,
        &ListFilter {
            state: Some(MessageState::Delivered),
            limit: Some(10_000),
            ..ListFilter::default()
        },
    )
    .await
    .unwrap()
    .len()
}

/// Every fourth message of a case fails its first two attempts with a 503.
fn flaky_every_fourth() -> Behaviour {
    Behaviour {
        fail_first: 2,
        flaky: Arc::new(|key: &str| {
            key.rsplit('-')
                .next()
                .and_then(|s| s.parse::<u64>().ok())
                .is_some_and(|seq| seq % 4 == 0)
        }),
        ..Behaviour::default()
    }
}

async fn a_thousand_messages_over_fifty_cases_arrive_once_each_in_case_order(t: TestDb) {
    let partner = MockPartner::start(flaky_every_fourth()).await;
    let settings = gateway_settings(&t, vec![http_partner("state-27", &partner.endpoint(), 10)]);
    let gateway = TestApp::spawn_with(settings).await;

    // Enqueue while the dispatcher runs, in transactions of 100, 20 messages per case.
    for batch in 0..10u64 {
        let mut tx = t.db.begin().await.unwrap();
        for n in 0..100u64 {
            let index = batch * 100 + n;
            let case = format!("case-{:02}", index % 50);
            let seq = index / 50;
            outbox::enqueue(
                &mut tx,
                &test_message("state-27", &case, seq, 10, now_ms()),
                now_ms(),
            )
            .await
            .unwrap();
        }
        tx.commit().await.unwrap();
        gateway.state.dispatcher_wake.notify_one();
    }

    let all_arrived = wait_until(Duration::from_secs(120), || async {
        partner.applied_count() >= 1000
    })
    .await;
    let delivered_in_store = wait_until(Duration::from_secs(10), || async {
        delivered_count(&t.db).await == 1000
    })
    .await;
    gateway.stop().await;
    assert!(
        all_arrived,
        "only {} of 1000 arrived",
        partner.applied_count()
    );
    assert!(delivered_in_store, "every message is recorded as delivered");

    {
        let log = partner.log.lock().unwrap();
        assert_eq!(log.applied.len(), 1000);
        assert_eq!(log.applied_set.len(), 1000, "once per idempotency key");
        assert_eq!(
            log.duplicates, 0,
            "no message was posted again after it succeeded"
        );
        assert_per_key_order(&log);
        let flaky_attempts: Vec<u32> = log
            .attempts
            .iter()
            .filter(|(k, _)| k.ends_with("-0") || k.ends_with("-4"))
            .map(|(_, n)| *n)
            .collect();
        assert!(!flaky_attempts.is_empty());
        assert!(
            flaky_attempts.iter().all(|n| *n == 3),
            "failed twice, then delivered: {flaky_attempts:?}"
        );
    }

    // The attempt history of a flaky message shows both failures and the delivery.
    let flaky = store::list(
        &t.db,
        &ListFilter {
            limit: Some(10_000),
            ..ListFilter::default()
        },
    )
    .await
    .unwrap()
    .into_iter()
    .find(|m| m.idempotency_key == "case-00-0")
    .unwrap();
    let detail = store::show(&t.db, flaky.id).await.unwrap().unwrap();
    let outcomes: Vec<&str> = detail.attempts.iter().map(|a| a.outcome.as_str()).collect();
    assert_eq!(outcomes, vec!["retry", "retry", "delivered"]);
    assert_eq!(detail.attempts[0].status, Some(503));
    t.cleanup().await;
}

async fn a_rejected_message_goes_to_dead_letter_and_redelivery_brings_it_home(t: TestDb) {
    let partner = MockPartner::start(Behaviour {
        reject: Arc::new(|key: &str| key == "case-7-1"),
        ..Behaviour::default()
    })
    .await;
    let settings = gateway_settings(&t, vec![http_partner("state-27", &partner.endpoint(), 3)]);
    let gateway = TestApp::spawn_with(settings).await;
    let mut tx = t.db.begin().await.unwrap();
    let mut ids = Vec::new();
    for seq in 1..=3 {
        ids.push(
            outbox::enqueue(
                &mut tx,
                &test_message("state-27", "case-7", seq, 3, now_ms()),
                now_ms(),
            )
            .await
            .unwrap()
            .id(),
        );
    }
    tx.commit().await.unwrap();
    gateway.state.dispatcher_wake.notify_one();

    assert!(
        wait_until(Duration::from_secs(30), || async {
            partner.applied_count() == 2
        })
        .await,
        "the two others arrive"
    );
    let dead = store::show(&t.db, ids[0]).await.unwrap().unwrap();
    assert_eq!(dead.summary.state, "dead");
    assert_eq!(dead.attempts.len(), 1, "a rejection is not retried");
    assert_eq!(dead.attempts[0].outcome, "rejected");
    assert_eq!(dead.attempts[0].status, Some(422));

    // The partner fixes its side; an operator redelivers with a reason.
    partner.set_behaviour(Behaviour::default());
    operator::redeliver(
        &t.db,
        ids[0],
        "partner fixed validation (ticket 123)",
        "operator:ana",
        &|_| 3,
        now_ms(),
    )
    .await
    .unwrap();
    gateway.state.dispatcher_wake.notify_one();
    assert!(
        wait_until(Duration::from_secs(30), || async {
            partner.applied_count() == 3
        })
        .await,
        "the redelivered message arrives"
    );
    assert!(
        wait_until(Duration::from_secs(5), || async {
            store::show(&t.db, ids[0])
                .await
                .unwrap()
                .unwrap()
                .summary
                .state
                == "delivered"
        })
        .await
    );
    gateway.stop().await;
    assert_eq!(
        partner.log.lock().unwrap().attempts["case-7-1"],
        2,
        "the same key, sent again"
    );
    assert!(matches!(
        ivd_gateway::audit::verify(&t.db).await.unwrap(),
        ivd_gateway::audit::Verification::Intact { entries: 1, .. }
    ));
    t.cleanup().await;
}

async fn a_file_drop_partner_gets_each_message_as_one_whole_file(t: TestDb) {
    let drop_dir = t.scratch_dir().join("pickup");
    let mut partner = http_partner("ndnh", "http://unused.invalid/", 5);
    partner.transport = Some(ivd_gateway::config::TransportSettings::FileDrop {
        directory: drop_dir.clone(),
    });
    // The pick-up directory is not there yet (say, a share not mounted): messages wait.
    let gateway = TestApp::spawn_with(gateway_settings(&t, vec![partner])).await;
    let mut tx = t.db.begin().await.unwrap();
    for seq in 1..=20 {
        outbox::enqueue(
            &mut tx,
            &test_message("ndnh", "batch", seq, 50, now_ms()),
            now_ms(),
        )
        .await
        .unwrap();
    }
    tx.commit().await.unwrap();
    gateway.state.dispatcher_wake.notify_one();
    let retried = wait_until(Duration::from_secs(10), || async {
        store::show(&t.db, 1)
            .await
            .unwrap()
            .is_some_and(|m| m.summary.attempt >= 2)
    })
    .await;
    assert!(retried, "a missing directory is retried, not given up on");

    std::fs::create_dir_all(&drop_dir).unwrap();
    let arrived = wait_until(Duration::from_secs(30), || async {
        std::fs::read_dir(&drop_dir).map(|d| d.count()).unwrap_or(0) == 20
    })
    .await;
    gateway.stop().await;
    assert!(arrived, "all twenty files are in the pick-up directory");
    for seq in 1..=20u64 {
        let bytes = std::fs::read(drop_dir.join(format!("batch-{seq}.json")))
            .expect("file named after its key");
        assert_eq!(
            bytes,
            test_message("ndnh", "batch", seq, 50, 0).payload,
            "whole and unchanged"
        );
    }
    let names: Vec<String> = std::fs::read_dir(&drop_dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        names.iter().all(|n| !n.starts_with('.')),
        "no temporary file left behind: {names:?}"
    );
    t.cleanup().await;
}

/// A partner that answers 200 after a pause and counts how many requests it holds at once.
struct CountingPartner {
    url: String,
    peak: Arc<std::sync::atomic::AtomicUsize>,
    keys: Arc<std::sync::Mutex<Vec<String>>>,
}

impl CountingPartner {
    async fn start(pause: Duration) -> CountingPartner {
        use std::sync::atomic::{AtomicUsize, Ordering};
        let now = Arc::new(AtomicUsize::new(0));
        let peak = Arc::new(AtomicUsize::new(0));
        let keys = Arc::new(std::sync::Mutex::new(Vec::new()));
        let app = axum::Router::new().fallback({
            let (now, peak, keys) = (now.clone(), peak.clone(), keys.clone());
            move |headers: axum::http::HeaderMap| {
                let (now, peak, keys) = (now.clone(), peak.clone(), keys.clone());
                async move {
                    let holding = now.fetch_add(1, Ordering::SeqCst) + 1;
                    peak.fetch_max(holding, Ordering::SeqCst);
                    tokio::time::sleep(pause).await;
                    if let Some(key) = headers.get("idempotency-key") {
                        keys.lock()
                            .unwrap()
                            .push(key.to_str().unwrap_or_default().to_string());
                    }
                    now.fetch_sub(1, Ordering::SeqCst);
                    axum::http::StatusCode::OK
                }
            }
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        CountingPartner { url, peak, keys }
    }
}

/// The dispatcher claims ahead of a partner's free slots (its claim window: at concurrency
/// 3, up to 24 more), so that one claim serves many slots; the messages beyond the free
/// slots wait in the gateway, never at the partner, and each is delivered once with its
/// first attempt.
async fn messages_claimed_ahead_wait_for_a_slot_and_the_partner_never_gets_more_than_its_concurrency(
    t: TestDb,
) {
    let partner = CountingPartner::start(Duration::from_millis(30)).await;
    let mut state_27 = http_partner("state-27", &partner.url, 10);
    state_27.concurrency = 3;
    let gateway = TestApp::spawn_with(gateway_settings(&t, vec![state_27])).await;

    let mut tx = t.db.begin().await.unwrap();
    for n in 0..60u64 {
        outbox::enqueue(
            &mut tx,
            &test_message("state-27", &format!("case-{n:02}"), 0, 10, now_ms()),
            now_ms(),
        )
        .await
        .unwrap();
    }
    tx.commit().await.unwrap();
    gateway.state.dispatcher_wake.notify_one();

    let delivered = wait_until(Duration::from_secs(60), || async {
        delivered_count(&t.db).await == 60
    })
    .await;
    assert!(delivered, "all 60 messages are delivered");
    let peak = partner.peak.load(std::sync::atomic::Ordering::SeqCst);
    assert!(
        peak <= 3,
        "the partner held {peak} requests at once; its concurrency is 3"
    );
    assert!(peak >= 2, "deliveries overlap (peak {peak})");
    let mut keys = partner.keys.lock().unwrap().clone();
    keys.sort();
    let posts = keys.len();
    keys.dedup();
    assert_eq!(
        (posts, keys.len()),
        (60, 60),
        "each message reached the partner once"
    );
    for message in store::list(
        &t.db,
        &ListFilter {
            limit: Some(100),
            ..Default::default()
        },
    )
    .await
    .unwrap()
    {
        assert_eq!(
            message.attempt, 1,
            "message {} took one attempt",
            message.id
        );
    }
    gateway.stop().await;
    t.cleanup().await;
}
