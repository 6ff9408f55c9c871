//! Two states, two gateway processes, two databases, mutual TLS between them: state 27
//! sends an enforcement request; state 06 accepts it, acknowledges it, and later answers a
//! case-status request; each side's event feed shows the exchange; the same serial sent
//! again is recognised as a duplicate, not applied twice.

mod support;

use std::path::{Path, PathBuf};
use std::time::Duration;

use ivd_gateway::store::tokens::{self, Role};
use ivd_gateway::store::{Db, events, now_ms};
use ivd_gateway::tls::{ensure_dev_certificates, issue_client_certificate};
use serde_json::{Value, json};
use support::{GatewayProcess, free_port, wait_ready, wait_until};

const TANF: &str = include_str!("../schemas/samples/case-tanf.json");

struct State {
    name: &'static str,
    fips: &'static str,
    api: u16,
    partners: u16,
    dir: PathBuf,
}

impl State {
    fn db_url(&self) -> String {
        format!("sqlite://{}/gateway.db", self.dir.display())
    }
}

fn start(
    me: &State,
    other: &State,
    pki: &Path,
    client_cert: &Path,
    client_key: &Path,
) -> GatewayProcess {
    GatewayProcess::start(
        &me.dir,
        "gateway",
        &format!(
            r#"
[database]
url = "{db}"
[server]
listen = "127.0.0.1:{api}"
partner_listen = "127.0.0.1:{partners}"
shutdown_grace_secs = 2
[tls]
cert = "{pki}/server.pem"
key = "{pki}/server-key.pem"
client_ca = "{pki}/ca.pem"
[state]
fips = "{fips}"
[outbox]
poll_interval_ms = 50
[log]
format = "json"
filter = "info"
[[partners]]
id = "{other_name}"
kind = "state"
certificate_fingerprint = "{other_fingerprint}"
interstate = {{ fips = "{other_fips}", functions = ["ENF", "CSI", "MSC"] }}
transport = {{ type = "https", endpoint = "https://localhost:{other_partners}/partner/v1/csenet", ca = "{pki}/ca.pem", client_cert = "{cert}", client_key = "{key}", timeout_secs = 10 }}
retry = {{ min_delay_ms = 50, max_delay_ms = 500, max_attempts = 20 }}
"#,
            db = me.db_url(),
            api = me.api,
            partners = me.partners,
            pki = pki.display(),
            fips = me.fips,
            other_name = other.name,
            other_fingerprint =
                support::fingerprint_of(&other.dir.join(format!("{}.pem", other.name))),
            other_fips = other.fips,
            other_partners = other.partners,
            cert = client_cert.display(),
            key = client_key.display(),
        ),
    )
}

async fn feed(db: &Db, kind: &str) -> Vec<Value> {
    events::list_after(db, 0, 100)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.kind == kind)
        .map(|e| e.payload_json())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_states_exchange_an_enforcement_request_over_mutual_tls() {
    let root = tempfile::tempdir().unwrap();
    let pki = root.path().join("pki");
    let dev = ensure_dev_certificates(&pki).unwrap();
    let a = State {
        name: "state-27",
        fips: "2712300",
        api: free_port(),
        partners: free_port(),
        dir: root.path().join("a"),
    };
    let b = State {
        name: "state-06",
        fips: "0603701",
        api: free_port(),
        partners: free_port(),
        dir: root.path().join("b"),
    };
    for state in [&a, &b] {
        std::fs::create_dir_all(&state.dir).unwrap();
    }
    // Each state's client certificate names it; each gateway binds the other's name.
    let a_cert = issue_client_certificate(&dev.ca_cert, &dev.ca_key, a.name, &a.dir).unwrap();
    let b_cert = issue_client_certificate(&dev.ca_cert, &dev.ca_key, b.name, &b.dir).unwrap();
    // Databases are created (and tokens issued) before the processes start.
    let a_db = Db::connect(&a.db_url())
        .await
        .unwrap()
        .with_data_keys(support::process_data_keys(&a.dir))
        .with_audit_key(support::process_audit_key(&a.dir));
    a_db.migrate().await.unwrap();
    let b_db = Db::connect(&b.db_url())
        .await
        .unwrap()
        .with_data_keys(support::process_data_keys(&b.dir))
        .with_audit_key(support::process_audit_key(&b.dir));
    b_db.migrate().await.unwrap();
    let a_token = tokens::issue(&a_db, "case-system", Role::StateSystem, now_ms())
        .await
        .unwrap();
    let b_token = tokens::issue(&b_db, "case-system", Role::StateSystem, now_ms())
        .await
        .unwrap();
    let _a_process = start(&a, &b, &pki, &a_cert.cert, &a_cert.key);
    let _b_process = start(&b, &a, &pki, &b_cert.cert, &b_cert.key);
    let http = reqwest::Client::new();
    for state in [&a, &b] {
        assert!(wait_ready(state.api).await, "{} is ready", state.name);
    }

    // State 27's case system pushes the case and asks for an enforcement request.
    let put = http
        .put(format!(
            "http://127.0.0.1:{}/state/v1/cases/MN-0001234",
            a.api
        ))
        .bearer_auth(&a_token)
        .header("content-type", "application/json")
        .body(TANF)
        .send()
        .await
        .unwrap();
    assert!(put.status().is_success());
    let asked: Value = http
        .post(format!("http://127.0.0.1:{}/state/v1/cases/MN-0001234/transactions", a.api))
        .bearer_auth(&a_token)
        .json(&json!({ "partner": "state-06", "format": "csenet", "function": "ENF", "action": "R", "reason": "ERWAG" }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        asked["idempotencyKey"], "csenet-2712300-000000000001",
        "{asked}"
    );

    // State 06 accepts it: its case system sees the request with its canonical view.
    assert!(
        wait_until(Duration::from_secs(60), || async {
            !feed(&b_db, "csenet.received").await.is_empty()
        })
        .await,
        "state 06 received the request"
    );
    let request = &feed(&b_db, "csenet.received").await[0];
    assert_eq!(
        (request["function"].as_str(), request["action"].as_str()),
        (Some("ENF"), Some("R"))
    );
    assert_eq!(request["senderFips"], "2712300");
    assert!(
        request["acknowledgedWithSerial"].is_u64(),
        "state 06 acknowledged at once: {request}"
    );

    // ... and its acknowledgment reaches state 27, answering the deadline it had recorded.
    assert!(
        wait_until(Duration::from_secs(60), || async {
            !feed(&a_db, "csenet.received").await.is_empty()
        })
        .await,
        "state 27 received the acknowledgment"
    );
    let ack = &feed(&a_db, "csenet.received").await[0];
    assert_eq!(
        (
            ack["function"].as_str(),
            ack["action"].as_str(),
            ack["reason"].as_str()
        ),
        (Some("ENF"), Some("A"), Some("ANOAD"))
    );
    assert_eq!(
        ack["answers"], "000000000001",
        "the acknowledgment satisfies the deadline of serial 1: {ack}"
    );
    let open = ivd_gateway::reconcile::deadlines::for_reference(&a_db, "000000000001")
        .await
        .unwrap();
    assert!(open[0].satisfied_at.is_some());

    // Later, state 06's case system answers with a case-status response.
    let put = http
        .put(format!(
            "http://127.0.0.1:{}/state/v1/cases/MN-0001234",
            b.api
        ))
        .bearer_auth(&b_token)
        .header("content-type", "application/json")
        .body(TANF)
        .send()
        .await
        .unwrap();
    assert!(put.status().is_success());
    let answered: Value = http
        .post(format!("http://127.0.0.1:{}/state/v1/cases/MN-0001234/transactions", b.api))
        .bearer_auth(&b_token)
        .json(&json!({ "partner": "state-27", "format": "csenet", "function": "CSI", "action": "P", "reason": "FSINF", "otherCaseId": "MN-0001234" }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let csi_message = answered["messageId"].as_i64().expect("queued");
    assert!(
        wait_until(Duration::from_secs(60), || async {
            feed(&a_db, "csenet.received").await.len() == 2
        })
        .await,
        "state 27 received the response"
    );
    let response = &feed(&a_db, "csenet.received").await[1];
    assert_eq!(
        (response["function"].as_str(), response["action"].as_str()),
        (Some("CSI"), Some("P"))
    );

    // A request that names a case state 06 does not have is answered MSC P REJCT.
    let wrong: Value = http
        .post(format!("http://127.0.0.1:{}/state/v1/cases/MN-0001234/transactions", a.api))
        .bearer_auth(&a_token)
        .json(&json!({ "partner": "state-06", "format": "csenet", "function": "ENF", "action": "R", "reason": "ERARR", "otherCaseId": "CA-9999999" }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(wrong["messageId"].is_i64(), "{wrong}");
    assert!(
        wait_until(Duration::from_secs(60), || async {
            feed(&a_db, "csenet.received").await.len() == 3
        })
        .await,
        "state 27 received the rejection"
    );
    let rejection = &feed(&a_db, "csenet.received").await[2];
    assert_eq!(
        (
            rejection["function"].as_str(),
            rejection["action"].as_str(),
            rejection["reason"].as_str()
        ),
        (Some("MSC"), Some("P"), Some("REJCT")),
        "{rejection}"
    );
    assert_eq!(
        feed(&b_db, "csenet.rejected").await.len(),
        1,
        "state 06's case system hears of it too"
    );

    // The same transaction (same serial) sent again is recognised, not applied twice.
    ivd_gateway::outbox::operator::redeliver(
        &b_db,
        csi_message,
        "test: send the same serial again",
        "operator:test",
        &|_| 5,
        now_ms(),
    )
    .await
    .unwrap();
    let dup = wait_until(Duration::from_secs(60), || async {
        let rows: Vec<(i64,)> = ivd_gateway::on_read!(&a_db, c => {
            sqlx::query_as("SELECT duplicates FROM inbound_dedup WHERE partner = 'state-06' AND duplicates > 0").fetch_all(c).await.unwrap()
        });
        !rows.is_empty()
    })
    .await;
    assert!(dup, "state 27 recognised the second copy as a duplicate");
    assert_eq!(
        feed(&a_db, "csenet.received").await.len(),
        3,
        "and did not apply it again"
    );
    a_db.close().await;
    b_db.close().await;
}
