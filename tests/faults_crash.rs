//! Fault suite: the gateway process is SIGKILLed in the middle of delivery twenty times in
//! a row (ten at CI scale), restarted after each kill, while the state system keeps
//! enqueueing. The partner de-duplicates on the idempotency key as the outbox contract
//! asks; the test checks that every message is applied exactly once, in per-case order,
//! that only messages in flight at a kill were posted twice, and that no lease is left.

mod support;

use std::time::Duration;

use support::faults::{
    FaultPartner, Load, Mode, Scale, assert_exactly_once, delivered, process_config, procs_dir,
    state_partner_toml, stuck_leases, wait_applied,
};
use support::{Backend, GatewayProcess, TestDb, wait_until};

/// Short (the shortest the gateway accepts with a 1 s partner time-out), so that the leases
/// of a killed process come back within the run.
const LEASE_SECS: u64 = 6;

async fn running(db: &ivd_gateway::store::Db) -> i64 {
    support::faults::states(db, "state-27")
        .await
        .get("running")
        .copied()
        .unwrap_or(0)
}

async fn killed_again_and_again_mid_delivery_loses_nothing(backend: Backend) {
    let Some(t) = TestDb::new(backend).await else {
        return;
    };
    let scale = Scale::from_env();
    let kills = scale.pick(10, 20);
    // Deliveries between two kills: the full run pushes thousands of messages through.
    let per_round = scale.pick(15, 120);
    let scratch = t.scratch_dir();
    let dir = procs_dir(&scratch);
    // Slow enough that deliveries are in flight whenever the process dies.
    let partner = FaultPartner::start(Mode::Slow(Duration::from_millis(20))).await;
    let config = |worker: &str| {
        process_config(
            &scratch,
            &t.url,
            worker,
            LEASE_SECS,
            &state_partner_toml("state-27", &partner.endpoint()),
        )
    };
    // About 100 (full: 200) messages a second, over 25 cases, for as long as the kills go on.
    let load = Load::start(
        t.db.clone(),
        "state-27",
        25,
        scale.pick(5, 10),
        Duration::from_millis(50),
        50_000,
    );

    let mut in_flight_at_kills = 0;
    for round in 0..kills {
        let gateway = GatewayProcess::start(
            &dir,
            &format!("gw-{round}"),
            &config(&format!("gw-{round}")),
        );
        // Kill only once this process has delivered something: it is mid-delivery.
        let target = partner.applied_count() + per_round;
        wait_applied(
            || partner.applied_count(),
            target,
            Duration::from_secs(90),
            &format!("round {round}"),
        )
        .await;
        // A varying moment within the stream of deliveries.
        tokio::time::sleep(Duration::from_millis(rand::random_range(0..150))).await;
        gateway.sigkill();
        in_flight_at_kills += running(&t.db).await;
    }
    let enqueued_during_kills = load.enqueued();
    let mut last = GatewayProcess::start(&dir, "gw-final", &config("gw-final"));
    // Still under load for a while after the last restart, then the load stops.
    let target = partner.applied_count() + 100;
    wait_applied(
        || partner.applied_count(),
        target,
        Duration::from_secs(90),
        "after the last restart",
    )
    .await;
    let total = load.stop().await;
    let all = wait_until(Duration::from_secs(180), || async {
        delivered(&t.db, "state-27").await == total
    })
    .await;
    assert!(last.alive(), "the last gateway is still running");
    assert!(
        all,
        "after {kills} kills: {} of {total} delivered",
        delivered(&t.db, "state-27").await
    );
    let status = last.sigterm_and_wait();
    assert!(status.success(), "SIGTERM exits 0: {status:?}");

    let duplicates = assert_exactly_once(&t.db, "state-27", &partner.log, total, 25).await;
    assert!(
        duplicates as i64 <= in_flight_at_kills,
        "only messages in flight at a kill may be posted again ({duplicates} duplicates, {in_flight_at_kills} in flight)"
    );
    assert_eq!(stuck_leases(&t.db, Duration::ZERO).await, 0);
    if in_flight_at_kills > 0 {
        let (expired,): (i64,) = ivd_gateway::on_read!(&t.db, c => {
            sqlx::query_as("SELECT COUNT(*) FROM outbox_attempts WHERE outcome = 'lease_expired'")
                .fetch_one(c)
                .await
                .unwrap()
        });
        assert!(
            expired > 0,
            "leases of killed processes were reclaimed and recorded"
        );
    }
    eprintln!(
        "FAULTS crash {backend:?} scale={}: {kills} SIGKILLs, {total} messages ({enqueued_during_kills} enqueued while killing), {in_flight_at_kills} leases held by killed processes, {} raw POSTs, {duplicates} duplicates absorbed by the receiver",
        scale.name(),
        partner.raw_arrivals()
    );
    t.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_gateway_sigkilled_mid_delivery_again_and_again_under_load_loses_nothing() {
    killed_again_and_again_mid_delivery_loses_nothing(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_gateway_sigkilled_mid_delivery_again_and_again_under_load_loses_nothing() {
    killed_again_and_again_mid_delivery_loses_nothing(Backend::Postgres).await;
}
