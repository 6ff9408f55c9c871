//! Fault suite, PostgreSQL only: the database server is restarted in the middle of a run,
//! several times, and the gateway's own connections are killed with
//! `pg_terminate_backend` again and again — while the state system keeps enqueueing. A
//! gateway process rides it out: it stays up, delivers every message exactly once at the
//! receiver in per-case order, leaves no lease behind, and raises no partner alert (the
//! database was down, not the partner).
//!
//! Restarting the server disturbs every other user of it, so this binary holds only these
//! two tests, serialized, and a guard starts the server again if a test fails midway.

mod support;

use std::process::Command;
use std::time::Duration;

use support::faults::{
    FaultPartner, Load, Mode, Scale, assert_exactly_once, delivered, process_config, procs_dir,
    state_partner_toml, wait_applied,
};
use support::{GatewayProcess, TestDb, wait_until};

/// One PostgreSQL fault at a time in this binary.
static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

const KEYS: u64 = 20;
/// How the gateway's connections are told apart from the test's and everyone else's.
const APPLICATION: &str = "ivd-fault-gateway";

fn cluster_version() -> String {
    let mut versions: Vec<String> = std::fs::read_dir("/etc/postgresql")
        .expect("/etc/postgresql lists the clusters")
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    versions.sort();
    versions.pop().expect("a PostgreSQL cluster")
}

fn pg_ctl(action: &str) -> bool {
    Command::new("pg_ctlcluster")
        .args([
            "--skip-systemctl-redirect",
            &cluster_version(),
            "main",
            action,
        ])
        .stdout(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Leaves the server running whatever happens to the test.
struct ServerRunning;

impl Drop for ServerRunning {
    fn drop(&mut self) {
        if !pg_ctl("status") {
            pg_ctl("start");
        }
    }
}

fn gateway_url(t: &TestDb) -> String {
    let separator = if t.url.contains('?') { '&' } else { '?' };
    format!("{}{separator}application_name={APPLICATION}", t.url)
}

/// A gateway process delivering to a partner while the state system keeps enqueueing:
/// what both scenarios disturb.
struct GatewayUnderLoad {
    partner: FaultPartner,
    gateway: GatewayProcess,
    load: Load,
}

impl GatewayUnderLoad {
    async fn start(t: &TestDb) -> GatewayUnderLoad {
        let scratch = t.scratch_dir();
        let partner = FaultPartner::start(Mode::Slow(Duration::from_millis(10))).await;
        let gateway = GatewayProcess::start(
            &procs_dir(&scratch),
            "gw",
            &process_config(
                &scratch,
                &gateway_url(t),
                "gw",
                6,
                &state_partner_toml("state-27", &partner.endpoint()),
            ),
        );
        let load = Load::start(
            t.db.clone(),
            "state-27",
            KEYS,
            5,
            Duration::from_millis(50),
            100_000,
        );
        GatewayUnderLoad {
            partner,
            gateway,
            load,
        }
    }

    /// Waits until `more` further messages are applied at the partner.
    async fn wait_for_more(&self, more: usize, when: &str) {
        let target = self.partner.applied_count() + more;
        wait_applied(
            || self.partner.applied_count(),
            target,
            Duration::from_secs(120),
            when,
        )
        .await;
    }

    /// Stops the load, then checks that the gateway rode the faults out: still up, every
    /// message delivered and applied exactly once in per-case order, a clean SIGTERM, and
    /// no partner alert (the database was disturbed, not the partner). Returns the number
    /// of messages, the POSTs the partner saw, and the duplicates it absorbed.
    async fn finish(mut self, t: &TestDb, after: &str) -> (u64, u32, u32) {
        let total = self.load.stop().await;
        let all = wait_until(Duration::from_secs(180), || async {
            delivered(&t.db, "state-27").await == total
        })
        .await;
        assert!(
            self.gateway.alive(),
            "the gateway rode out {after} (see procs/gw.log)"
        );
        assert!(
            all,
            "after {after}: {} of {total} delivered",
            delivered(&t.db, "state-27").await
        );
        let status = self.gateway.sigterm_and_wait();
        assert!(status.success(), "SIGTERM exits 0: {status:?}");
        let duplicates =
            assert_exactly_once(&t.db, "state-27", &self.partner.log, total, KEYS).await;
        let alerts = ivd_gateway::alerts::list(&t.db, None, 100).await.unwrap();
        assert!(
            alerts.is_empty(),
            "a database fault is not a partner outage: {alerts:?}"
        );
        (total, self.partner.raw_arrivals(), duplicates)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_restarted_mid_run_under_load_loses_nothing() {
    let _serial = SERIAL.lock().await;
    let Some(t) = TestDb::postgres().await else {
        return;
    };
    let _guard = ServerRunning;
    let scale = Scale::from_env();
    let restarts = scale.pick(2, 6);
    let run = GatewayUnderLoad::start(&t).await;
    for restart in 0..restarts {
        run.wait_for_more(100, &format!("before restart {restart}"))
            .await;
        assert!(pg_ctl("restart"), "PostgreSQL restarts");
    }
    run.wait_for_more(100, "after the last restart").await;
    let (total, raw, duplicates) = run.finish(&t, &format!("{restarts} restarts")).await;
    eprintln!(
        "FAULTS postgres-restart scale={}: {restarts} server restarts, {total} messages, {raw} raw POSTs, {duplicates} duplicates absorbed by the receiver",
        scale.name(),
    );
    t.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_gateways_connections_killed_again_and_again_lose_nothing() {
    let _serial = SERIAL.lock().await;
    let Some(t) = TestDb::postgres().await else {
        return;
    };
    let _guard = ServerRunning;
    let scale = Scale::from_env();
    let rounds = scale.pick(15, 60);
    let run = GatewayUnderLoad::start(&t).await;
    let database = t.url.rsplit('/').next().unwrap().to_string();
    let admin = ivd_gateway::store::Db::connect(&support::postgres_server().unwrap())
        .await
        .unwrap();
    let ivd_gateway::store::Db::Postgres(admin_pool, _) = &admin else {
        unreachable!("a PostgreSQL server")
    };
    let mut terminated = 0i64;
    for round in 0..rounds {
        run.wait_for_more(20, &format!("before termination round {round}"))
            .await;
        // Only the gateway's own sessions: its application name, on its database.
        let killed: Vec<(bool,)> = sqlx::query_as(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
             WHERE application_name = $1 AND datname = $2 AND pid <> pg_backend_pid()",
        )
        .bind(APPLICATION)
        .bind(&database)
        .fetch_all(admin_pool)
        .await
        .unwrap();
        terminated += killed.iter().filter(|(ok,)| *ok).count() as i64;
    }
    admin.close().await;
    assert!(
        terminated >= rounds as i64,
        "every round killed at least one connection of the gateway ({terminated})"
    );
    let (total, raw, duplicates) = run
        .finish(&t, &format!("{rounds} termination rounds"))
        .await;
    eprintln!(
        "FAULTS postgres-terminate scale={}: {rounds} rounds, {terminated} gateway connections terminated, {total} messages, {raw} raw POSTs, {duplicates} duplicates absorbed by the receiver",
        scale.name(),
    );
    t.cleanup().await;
}
