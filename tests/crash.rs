//! Real gateway processes under crashes: SIGKILL in the middle of delivery and a restart,
//! several times over; two processes sharing one PostgreSQL. The partner de-duplicates on
//! the idempotency key, as the outbox contract asks of receivers; the tests check that
//! every message is applied exactly once, in per-case order, and that no lease is left
//! behind.

mod support;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use ivd_gateway::outbox;
use ivd_gateway::outbox::store::{self, ListFilter};
use ivd_gateway::store::{Db, now_ms};
use support::{
    Backend, Behaviour, GatewayProcess, MockPartner, TestDb, assert_per_key_order, test_message,
    wait_until,
};

const LEASE_SECS: u64 = 6;

/// A gateway process from the real binary, on `db_url`, delivering to `endpoint`.
fn start_gateway(dir: &Path, db_url: &str, endpoint: &str, worker: &str) -> GatewayProcess {
    let config = format!(
        r#"
[database]
url = "{db_url}"
[server]
listen = "127.0.0.1:0"
partner_listen = "127.0.0.1:0"
shutdown_grace_secs = 2
[tls]
dir = "{tls}"
[outbox]
lease_secs = {LEASE_SECS}
poll_interval_ms = 20
worker_id = "{worker}"
[log]
format = "json"
filter = "warn"
[privacy]
data_key_dir = "{keys}"
[[partners]]
id = "state-27"
kind = "state"
concurrency = 8
transport = {{ type = "https", endpoint = "{endpoint}", allow_plaintext = true, timeout_secs = 1 }}
retry = {{ min_delay_ms = 10, max_delay_ms = 200, max_attempts = 100, max_age_secs = 3600 }}
circuit = {{ failure_threshold = 1000, cooldown_secs = 1 }}
"#,
        tls = dir.join("tls").display(),
        // The test's own handle (which enqueued the messages) seals with these.
        keys = dir.parent().unwrap_or(dir).join("keys/data").display(),
    );
    GatewayProcess::start(dir, worker, &config)
}

async fn enqueue_messages(db: &Db, messages: u64, keys: u64) {
    let mut index = 0;
    while index < messages {
        let mut tx = db.begin().await.unwrap();
        for _ in 0..100.min(messages - index) {
            let case = format!("case-{:02}", index % keys);
            outbox::enqueue(
                &mut tx,
                &test_message("state-27", &case, index / keys, 100, now_ms()),
                now_ms(),
            )
            .await
            .unwrap();
            index += 1;
        }
        tx.commit().await.unwrap();
    }
}

async fn count_state(db: &Db, state: &str) -> usize {
    store::list(
        db,
        &ListFilter {
            limit: Some(10_000),
            ..ListFilter::default()
        },
    )
    .await
    .unwrap()
    .iter()
    .filter(|m| m.state == state)
    .count()
}

fn scratch(t: &TestDb) -> PathBuf {
    let dir = t.scratch_dir().join("procs");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A slow partner, so that deliveries are in flight when the process dies.
fn slow_partner() -> Behaviour {
    Behaviour {
        delay: Duration::from_millis(25),
        ..Behaviour::default()
    }
}

async fn sigkill_mid_delivery_then_restart_loses_nothing(backend: Backend) {
    let Some(t) = TestDb::new(backend).await else {
        return;
    };
    let dir = scratch(&t);
    let partner = MockPartner::start(slow_partner()).await;
    const MESSAGES: u64 = 400;
    enqueue_messages(&t.db, MESSAGES, 20).await;

    let mut kills = 0;
    let mut running_at_kill = 0;
    for (round, kill_at) in [60usize, 160, 260].into_iter().enumerate() {
        let gateway = start_gateway(&dir, &t.url, &partner.endpoint(), &format!("gw-{round}"));
        let reached = wait_until(Duration::from_secs(60), || async {
            partner.applied_count() >= kill_at
        })
        .await;
        assert!(
            reached,
            "round {round}: only {} applied",
            partner.applied_count()
        );
        gateway.sigkill();
        kills += 1;
        running_at_kill += count_state(&t.db, "running").await;
    }
    let final_gateway = start_gateway(&dir, &t.url, &partner.endpoint(), "gw-final");
    let all = wait_until(Duration::from_secs(90), || async {
        partner.applied_count() as u64 >= MESSAGES
            && count_state(&t.db, "delivered").await as u64 == MESSAGES
    })
    .await;
    let status = final_gateway.sigterm_and_wait();
    assert!(
        all,
        "after {kills} kills: {} applied, {} delivered",
        partner.applied_count(),
        count_state(&t.db, "delivered").await
    );
    assert!(status.success(), "SIGTERM exits 0: {status:?}");

    let duplicates = {
        let log = partner.log.lock().unwrap();
        assert_eq!(
            log.applied_set.len() as u64,
            MESSAGES,
            "every message applied"
        );
        assert_per_key_order(&log);
        assert!(
            log.duplicates as usize <= running_at_kill,
            "only messages in flight at a kill may be posted again ({} duplicates, {running_at_kill} in flight)",
            log.duplicates
        );
        log.duplicates
    };
    eprintln!(
        "{backend:?}: {kills} SIGKILLs, {running_at_kill} leases held by killed processes, {duplicates} duplicate POSTs absorbed by the partner"
    );
    assert_eq!(
        count_state(&t.db, "running").await,
        0,
        "no lease left behind"
    );
    if running_at_kill > 0 {
        let lease_expired: (i64,) = ivd_gateway::on_read!(&t.db, c => {
            sqlx::query_as("SELECT COUNT(*) FROM outbox_attempts WHERE outcome = 'lease_expired'").fetch_one(c).await.unwrap()
        });
        assert!(
            lease_expired.0 > 0,
            "leases of killed processes were reclaimed and recorded"
        );
    }
    t.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_gateway_killed_three_times_mid_delivery_loses_nothing() {
    sigkill_mid_delivery_then_restart_loses_nothing(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_gateway_killed_three_times_mid_delivery_loses_nothing() {
    sigkill_mid_delivery_then_restart_loses_nothing(Backend::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_gateways_on_one_postgres_deliver_everything_once() {
    let Some(t) = TestDb::postgres().await else {
        return;
    };
    let dir = scratch(&t);
    // Some messages fail twice first, so retries interleave across the two instances.
    let partner = MockPartner::start(Behaviour {
        fail_first: 2,
        flaky: Arc::new(|key: &str| key.ends_with("-3")),
        delay: Duration::from_millis(5),
        ..Behaviour::default()
    })
    .await;
    let first = start_gateway(&dir, &t.url, &partner.endpoint(), "gw-a");
    let second = start_gateway(&dir, &t.url, &partner.endpoint(), "gw-b");
    const MESSAGES: u64 = 1000;
    enqueue_messages(&t.db, MESSAGES, 50).await;
    let all = wait_until(Duration::from_secs(120), || async {
        count_state(&t.db, "delivered").await as u64 == MESSAGES
    })
    .await;
    let (a, b) = (first.sigterm_and_wait(), second.sigterm_and_wait());
    assert!(
        all,
        "{} of {MESSAGES} delivered",
        count_state(&t.db, "delivered").await
    );
    assert!(a.success() && b.success());

    {
        let log = partner.log.lock().unwrap();
        assert_eq!(log.applied.len() as u64, MESSAGES);
        assert_eq!(
            log.duplicates, 0,
            "no message was delivered twice by the two instances"
        );
        assert_per_key_order(&log);
    }
    let workers: Vec<(String, i64)> = ivd_gateway::on_read!(&t.db, c => {
        sqlx::query_as("SELECT worker, COUNT(*) FROM outbox_attempts WHERE outcome = 'delivered' GROUP BY worker ORDER BY worker")
            .fetch_all(c)
            .await
            .unwrap()
    });
    eprintln!("deliveries per instance: {workers:?}");
    assert_eq!(workers.len(), 2, "both instances delivered: {workers:?}");
    t.cleanup().await;
}
