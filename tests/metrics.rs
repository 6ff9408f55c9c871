//! The metrics State IT scrapes: after real traffic (deliveries, retries, a dead letter
//! and its alert, API requests), `/metrics` passes `promtool check metrics` — the
//! Prometheus project's own linter — and shows what happened.

mod support;

use std::io::Write;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use ivd_gateway::outbox;
use ivd_gateway::store::now_ms;
use support::app::TestApp;
use support::{
    Behaviour, MockPartner, TestDb, gateway_settings, http_partner, test_message, wait_until,
};

fn promtool_check(exposition: &str) -> (bool, String) {
    let mut child = Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("promtool is installed (Debian package prometheus)");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(exposition.as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.success(), said)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_after_real_traffic_pass_promtool() {
    // The check can fail: a malformed exposition is refused.
    let (ok, _) = promtool_check("# TYPE broken counter\nbroken{ 1\n");
    assert!(!ok, "promtool refuses a malformed exposition");

    let t = TestDb::sqlite().await;
    let flaky = MockPartner::start(Behaviour {
        fail_first: 1,
        flaky: Arc::new(|key| key.ends_with("-0")),
        reject: Arc::new(|key| key.starts_with("bad")),
        ..Behaviour::default()
    })
    .await;
    let mut state_27 = http_partner("state-27", &flaky.endpoint(), 5);
    support::bind_dev_partner(&mut state_27);
    let settings = gateway_settings(&t, vec![state_27]);
    let tls_dir = settings.tls.dir.clone();
    let gateway = TestApp::spawn_with(settings).await;
    // State 27 sends us a message, and the same message again.
    let certs = ivd_gateway::tls::ensure_dev_certificates(&tls_dir).unwrap();
    let partner_client = support::mtls_client(
        &certs.ca_cert,
        Some((&certs.partner_cert, &certs.partner_key)),
    );
    for _ in 0..2 {
        let sent = partner_client
            .post(format!(
                "https://localhost:{}/partner/v1/messages",
                gateway.partner_addr.port()
            ))
            .header("idempotency-key", "state-27-note-1")
            .header("content-type", "application/json")
            .body("{}")
            .send()
            .await
            .unwrap();
        assert!(sent.status().is_success());
    }
    let db = gateway.state.db.clone();
    let mut tx = db.begin().await.unwrap();
    for seq in 0..3 {
        outbox::enqueue(
            &mut tx,
            &test_message("state-27", "case-1", seq, 5, now_ms()),
            now_ms(),
        )
        .await
        .unwrap();
    }
    outbox::enqueue(
        &mut tx,
        &test_message("state-27", "bad", 0, 5, now_ms()),
        now_ms(),
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    gateway.state.dispatcher_wake.notify_one();
    assert!(
        wait_until(Duration::from_secs(30), || async {
            flaky.applied_count() == 3
        })
        .await
    );
    let api = format!("http://{}", gateway.api_addr);
    let http = reqwest::Client::new();
    let scrape = || async {
        http.get(format!("{api}/metrics"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    };
    // The partner has applied all three, but the gateway records each delivery after
    // the partner's answer: wait for the third to be counted too, not only for the
    // alert (a loaded machine once scraped 2 deliveries here).
    assert!(
        wait_until(Duration::from_secs(30), || async {
            let exposition = scrape().await;
            exposition.contains("ivd_alerts_firing{alert=\"dead-letter\"} 1")
                && exposition.contains("ivd_outbox_deliveries_total{partner=\"state-27\"} 3")
        })
        .await,
        "the dead letter's alert is firing and the three deliveries are counted"
    );
    let exposition = scrape().await;
    let (ok, said) = promtool_check(&exposition);
    assert!(ok, "promtool check metrics: {said}\n{exposition}");
    // The example alert rules and Grafana dashboard in config/ only use metrics that exist.
    let exported = exported_names(&exposition);
    let rules = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/config/prometheus-alerts.yml"
    ))
    .unwrap();
    let dashboard = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/config/grafana-dashboard.json"
    ))
    .unwrap();
    let dashboard: serde_json::Value =
        serde_json::from_str(&dashboard).expect("the dashboard is JSON");
    let expressions: Vec<String> = dashboard["panels"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|panel| panel["targets"].as_array().unwrap().iter())
        .map(|target| target["expr"].as_str().unwrap().to_string())
        .collect();
    assert!(expressions.len() >= 10);
    for text in expressions
        .iter()
        .map(String::as_str)
        .chain([rules.as_str()])
    {
        for name in referenced_names(text) {
            assert!(
                exported.contains(&name),
                "{name} is not exported (used in {text}):\n{exposition}"
            );
        }
    }
    let checked = Command::new("promtool")
        .args(["check", "rules"])
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/config/prometheus-alerts.yml"
        ))
        .output()
        .unwrap();
    assert!(
        checked.status.success(),
        "{}",
        String::from_utf8_lossy(&checked.stdout)
    );
    for expected in [
        "ivd_outbox_deliveries_total{partner=\"state-27\"} 3",
        "ivd_outbox_dead_letters_total{partner=\"state-27\"} 1",
        "ivd_outbox_messages{partner=\"state-27\",state=\"dead\"} 1",
        "ivd_inbound_messages_received_total{partner=\"state-27\"} 1",
        "ivd_inbound_duplicates_total{partner=\"state-27\"} 1",
    ] {
        assert!(exposition.contains(expected), "{expected} in\n{exposition}");
    }
    gateway.stop().await;
    t.cleanup().await;
}

/// Sample names an exposition declares (`# TYPE`; a family without samples yet still
/// counts) or carries (`ivd_outbox_deliveries_total`, `…_bucket`, …).
fn exported_names(exposition: &str) -> std::collections::HashSet<String> {
    let mut names = std::collections::HashSet::new();
    for line in exposition.lines() {
        if let Some(declared) = line.strip_prefix("# TYPE ") {
            let (name, kind) = declared.split_once(' ').unwrap();
            names.insert(name.to_string());
            if kind == "histogram" {
                for suffix in ["_bucket", "_sum", "_count"] {
                    names.insert(format!("{name}{suffix}"));
                }
            }
        } else if !line.starts_with('#') && !line.is_empty() {
            names.insert(line.split(['{', ' ']).next().unwrap().to_string());
        }
    }
    names
}

/// The `ivd_…` metric names a PromQL text uses.
fn referenced_names(text: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut rest = text;
    while let Some(at) = rest.find("ivd_") {
        let name: String = rest[at..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        rest = &rest[at + name.len()..];
        names.push(name);
    }
    names
}
