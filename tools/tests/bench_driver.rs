//! The outbox load driver (`ivd-tools bench outbox`) on a few hundred messages: its
//! report must add up (everything enqueued arrived and is recorded delivered, counts
//! consistent between phases, sink and store). No timing is asserted.

use ivd_testkit::postgres_server;
use ivd_tools::bench::{OutboxBenchOptions, OutboxReport, run_outbox};

/// The gateway binary the extra instances run: `ivd-tools gateway`, the gateway's own
/// command line in the tools' binary, behind a script named like the gateway's binary
/// (this test runs the driver in its own process, whose binary has no `gateway` command).
fn gateway_binary(dir: &std::path::Path) -> std::path::PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let script = dir.join("ivd-gateway");
    let text = format!(
        "#!/bin/sh\nexec '{}' gateway \"$@\"\n",
        env!("CARGO_BIN_EXE_ivd-tools")
    );
    std::fs::write(&script, text).unwrap();
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    script
}

fn options(database: &str, instances: usize, dir: &std::path::Path) -> OutboxBenchOptions {
    OutboxBenchOptions {
        database: database.to_string(),
        instances,
        messages: 300,
        enqueue_while_draining: 50,
        ordering_keys: 20,
        concurrency: 8,
        batch_size: 16,
        poll_interval_ms: 50,
        payload_bytes: 200,
        latency_rate: Some(100.0),
        latency_secs: 1.5,
        no_latency: false,
        latency_log: None,
        dir: Some(dir.to_path_buf()),
        gateway_binary: Some(gateway_binary(dir)),
        json: false,
    }
}

fn assert_consistent(report: &OutboxReport, instances: usize) {
    let latency = report.latency.as_ref().expect("a latency phase ran");
    assert_eq!(report.throughput.messages, 300);
    assert_eq!(latency.messages, 150, "1.5 s at 100 messages/s");
    assert_eq!(report.enqueued, 300 + 150);
    assert_eq!(
        report.arrived, report.enqueued,
        "every key reached the sink"
    );
    assert_eq!(report.missing, 0);
    assert_eq!(report.dead, 0);
    assert_eq!(report.delivered_in_store, report.enqueued);
    assert!(report.complete(), "{}", report.table());
    let recorded: i64 = report.per_instance.iter().map(|(_, n)| n).sum();
    assert_eq!(
        recorded as u64, report.enqueued,
        "one recorded delivery per message: {:?}",
        report.per_instance
    );
    assert!(report.per_instance.len() <= instances);
    let arrival = latency
        .arrival_latency_ms
        .as_ref()
        .expect("latencies measured");
    assert_eq!(arrival.count, 150);
    assert!(arrival.p50 <= arrival.p99 && arrival.p99 <= arrival.max);
    let durable = latency
        .durable_latency_ms
        .as_ref()
        .expect("store latencies");
    assert_eq!(durable.count, 150);
    assert!(report.throughput.per_second > 0.0 && report.throughput.seconds > 0.0);
    let table = report.table();
    assert!(table.contains("COMPLETE"), "{table}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_run_reports_every_message_delivered() {
    let dir = tempfile::tempdir().unwrap();
    let report = run_outbox(&options("sqlite", 1, dir.path()))
        .await
        .expect("the benchmark runs");
    assert_eq!(report.backend, "sqlite");
    assert_consistent(&report, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_drain_only_run_commits_every_message_before_the_gateway_starts() {
    let dir = tempfile::tempdir().unwrap();
    let mut drain_only = options("sqlite", 1, dir.path());
    drain_only.enqueue_while_draining = 0;
    drain_only.no_latency = true;
    let report = run_outbox(&drain_only).await.expect("the benchmark runs");
    assert_eq!(report.enqueue_while_draining, 0);
    assert_eq!(report.enqueued, 300);
    assert!(report.complete(), "{}", report.table());
    assert!(report.table().contains("0% enqueued while draining"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_refuses_a_second_instance() {
    let dir = tempfile::tempdir().unwrap();
    let error = run_outbox(&options("sqlite", 2, dir.path()))
        .await
        .expect_err("SQLite is single-instance");
    assert!(error.to_string().contains("PostgreSQL"), "{error}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_runs_with_one_and_two_instances_report_every_message_delivered() {
    let Some(server) = postgres_server() else {
        return;
    };
    for instances in [1, 2] {
        let dir = tempfile::tempdir().unwrap();
        let report = run_outbox(&options(&server, instances, dir.path()))
            .await
            .expect("the benchmark runs");
        assert_eq!(report.backend, "postgres");
        assert_eq!(report.instances, instances);
        assert_consistent(&report, instances);
    }
}

#[test]
fn the_command_prints_a_json_report_and_exits_zero() {
    let dir = tempfile::tempdir().unwrap();
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_ivd-tools"))
        .args([
            "bench",
            "outbox",
            "--messages",
            "120",
            "--ordering-keys",
            "10",
        ])
        .args(["--no-latency", "--json", "--dir"])
        .arg(dir.path())
        .output()
        .expect("the binary runs");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let report: serde_json::Value =
        serde_json::from_slice(&output.stdout).expect("one JSON object");
    assert_eq!(report["enqueued"], 120);
    assert_eq!(report["arrived"], 120);
    assert_eq!(report["missing"], 0);
    assert_eq!(report["delivered_in_store"], 120);
    assert!(report["latency"].is_null());
}

/// `bench backlog` on a few hundred cases: pushed through the state API while the outbox
/// is stopped, then drained; every case's message arrives once and is recorded delivered.
async fn a_backlog_pushed_through_the_state_api_drains_completely(database: &str) {
    let dir = tempfile::tempdir().unwrap();
    let report =
        ivd_tools::bench::backlog::run_backlog(&ivd_tools::bench::backlog::BacklogBenchOptions {
            database: database.to_string(),
            cases: 200,
            concurrency: 8,
            batch_size: 16,
            clients: 4,
            dir: Some(dir.path().to_path_buf()),
            json: false,
        })
        .await
        .expect("the benchmark runs");
    assert!(report.complete(), "{}", report.table());
    assert_eq!(
        (report.arrived, report.duplicates, report.delivered_in_store),
        (200, 0, 200)
    );
    assert!(report.enqueue_per_second > 0.0 && report.drain_per_second > 0.0);
    assert!(report.table().contains("no ANALYZE"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_backlog_through_the_state_api_drains_completely() {
    a_backlog_pushed_through_the_state_api_drains_completely("sqlite").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_backlog_through_the_state_api_drains_completely() {
    let Some(server) = postgres_server() else {
        return;
    };
    a_backlog_pushed_through_the_state_api_drains_completely(&server).await;
}

/// `bench bulk` on a few hundred cases, every 10th with a transaction: every case is
/// accepted and in the store, with one outbox message per transaction line.
async fn a_bulk_push_run_accounts_for_every_case(database: &str) {
    let dir = tempfile::tempdir().unwrap();
    let report = ivd_tools::bench::bulk::run(&ivd_tools::bench::bulk::BulkBenchOptions {
        database: database.to_string(),
        cases: 300,
        pushes: 1,
        transaction_every: 10,
        dir: Some(dir.path().to_path_buf()),
        json: false,
    })
    .await
    .expect("the benchmark runs");
    assert!(report.complete(), "{}", report.line());
    assert_eq!(
        (
            report.accepted,
            report.not_accepted,
            report.cases_in_store,
            report.transactions,
            report.messages_in_store
        ),
        (300, 0, 300, 30, 30)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_bulk_push_run_accounts_for_every_case() {
    a_bulk_push_run_accounts_for_every_case("sqlite").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_bulk_push_run_accounts_for_every_case() {
    let Some(server) = postgres_server() else {
        return;
    };
    a_bulk_push_run_accounts_for_every_case(&server).await;
}
