//! The state system asks for CSENet transactions to another state: each is checked against
//! the exchange agreement and the CSENet rules, built from the current case with
//! family-violence redaction, numbered with a serial that is never reused, delivered, and
//! the answers the partner owes are recorded as deadlines — on both backends.

mod support;

use std::time::Duration;

use ivd_csenet::{ActionCode, FunctionCode, HeaderKind, Transaction};
use ivd_gateway::config::{InterstateSettings, PartnerSettings, Settings};
use ivd_gateway::outbox::operator;
use ivd_gateway::outbox::store;
use ivd_gateway::reconcile::deadlines;
use ivd_gateway::store::now_ms;
use serde_json::{Value, json};
use support::app::{CaseSystem, TestApp};
use support::{Behaviour, MockPartner, TestDb, gateway_settings, http_partner, wait_until};

on_both_backends!(
    a_state_sends_an_enforcement_request_to_a_partner_state,
    a_request_outside_the_agreement_or_the_rules_is_refused,
    a_protected_family_is_never_located_through_csenet,
    a_replayed_transaction_gets_a_new_serial_number,
    a_partner_state_sends_transactions_and_each_gets_its_verdict,
    the_csenet_data_sets_carry_the_batch_exchange,
);

const TANF: &str = include_str!("../schemas/samples/case-tanf.json");
const PROTECTED: &str = include_str!("../schemas/samples/case-protected.json");
const OUR_FIPS: &str = "2700000";
const THEIR_FIPS: &str = "0600000";

fn partner_state(mock: &MockPartner) -> PartnerSettings {
    let mut partner = http_partner("state-06", &mock.endpoint(), 3);
    partner.interstate = Some(InterstateSettings {
        fips: THEIR_FIPS.to_string(),
        functions: vec!["ENF".into(), "CSI".into(), "LO1".into()],
    });
    partner
}

fn settings(t: &TestDb, mock: &MockPartner) -> Settings {
    let mut settings = gateway_settings(t, vec![partner_state(mock)]);
    settings.state.fips = Some(OUR_FIPS.to_string());
    settings.state.csenet_office = Some(ivd_csenet::CaseData {
        payment_mail_address_line_1: "PO BOX 64306".into(),
        payment_city: "ST PAUL".into(),
        payment_state: "MN".into(),
        payment_zip_1: "55164".into(),
        ..Default::default()
    });
    settings
}

/// The gateway, and the state's case system using it.
async fn start(t: &TestDb, mock: &MockPartner) -> (TestApp, CaseSystem) {
    let app = TestApp::spawn_with(settings(t, mock)).await;
    let cases = app.case_system().await;
    (app, cases)
}

fn enforcement() -> Value {
    json!({ "partner": "state-06", "format": "csenet", "function": "ENF", "action": "R", "reason": "ERWAG", "otherCaseId": "CA-778899" })
}

async fn received_transactions(mock: &MockPartner) -> Vec<Transaction> {
    mock.server
        .received_requests()
        .await
        .unwrap_or_default()
        .iter()
        .flat_map(|r| {
            ivd_csenet::split_transactions(&r.body)
                .map(|record| Transaction::parse(record).expect("the partner gets valid CSENet"))
                .collect::<Vec<_>>()
        })
        .collect()
}

async fn a_state_sends_an_enforcement_request_to_a_partner_state(t: TestDb) {
    let mock = MockPartner::start(Behaviour::default()).await;
    let (app, cases) = start(&t, &mock).await;
    cases.put_case(TANF).await;
    let (status, first) = cases.ask("MN-0001234", enforcement()).await;
    assert_eq!(status, 202, "{first}");
    assert_eq!(first["idempotencyKey"], "csenet-2700000-000000000001");
    let (_, second) = cases.ask("MN-0001234", json!({ "partner": "state-06", "format": "csenet", "function": "CSI", "action": "R", "reason": "FRINF" })).await;
    assert_eq!(
        second["idempotencyKey"], "csenet-2700000-000000000002",
        "serials are sequential"
    );

    assert!(
        wait_until(Duration::from_secs(30), || async {
            mock.applied_count() == 2
        })
        .await
    );
    let sent = received_transactions(&mock).await;
    app.stop().await;
    let enf = &sent[0];
    assert_eq!(enf.header_kind(), HeaderKind::Outbound);
    assert_eq!(enf.header.function, FunctionCode::Enf);
    assert_eq!(enf.header.action, ActionCode::Request);
    assert_eq!(enf.header.reason, "ERWAG");
    assert_eq!(enf.header.local_fips.code(), OUR_FIPS);
    assert_eq!(enf.header.other_fips.code(), THEIR_FIPS);
    assert_eq!(enf.header.serial_number, 1);
    let office = enf
        .case_data
        .as_ref()
        .expect("an enforcement request carries case data");
    assert_eq!(
        office.payment_city, "ST PAUL",
        "payments go where our configuration says"
    );
    assert!(
        !enf.orders.is_empty(),
        "an enforcement request carries the order"
    );

    // The partner owes an acknowledgment within 10 working days, and a CSI answer in 7 days.
    let owed = deadlines::for_reference(&t.db, "000000000001")
        .await
        .unwrap();
    assert_eq!(
        owed.iter().map(|d| d.kind.as_str()).collect::<Vec<_>>(),
        vec!["csenet.acknowledgment"]
    );
    assert!(
        owed[0].due_at > now_ms() + 9 * 86_400_000,
        "ten working days are at least two weeks"
    );
    let csi = deadlines::for_reference(&t.db, "000000000002")
        .await
        .unwrap();
    assert_eq!(
        csi.iter().map(|d| d.kind.as_str()).collect::<Vec<_>>(),
        vec!["csenet.case-status-response"]
    );
    t.cleanup().await;
}

async fn a_request_outside_the_agreement_or_the_rules_is_refused(t: TestDb) {
    let mock = MockPartner::start(Behaviour::default()).await;
    let (app, cases) = start(&t, &mock).await;
    cases.put_case(TANF).await;
    let (status, body) = cases.ask("MN-0001234", json!({ "partner": "state-06", "format": "csenet", "function": "PAT", "action": "R", "reason": "PICHS" })).await;
    assert_eq!(status, 422, "{body}");
    assert!(
        body["detail"].as_str().unwrap().contains("agreement"),
        "{body}"
    );
    let (status, body) = cases.ask("MN-0001234", json!({ "partner": "state-06", "format": "csenet", "function": "ENF", "action": "R", "reason": "NOSUCH" })).await;
    assert_eq!(status, 422, "{body}");
    assert!(
        body["detail"].as_str().unwrap().contains("combination"),
        "{body}"
    );
    let (status, _) = cases.ask("MN-0009999", enforcement()).await;
    assert_eq!(status, 404);
    let (status, _) = cases
        .ask(
            "MN-0001234",
            json!({ "partner": "state-06", "format": "csenet" }),
        )
        .await;
    assert_eq!(status, 400, "function and action are required");
    app.stop().await;
    assert!(
        store::list(&t.db, &Default::default())
            .await
            .unwrap()
            .is_empty(),
        "nothing was enqueued"
    );
    t.cleanup().await;
}

async fn a_protected_family_is_never_located_through_csenet(t: TestDb) {
    let mock = MockPartner::start(Behaviour::default()).await;
    let (app, cases) = start(&t, &mock).await;
    cases.put_case(PROTECTED).await;
    let case: Value = serde_json::from_str(PROTECTED).unwrap();
    let (status, body) = cases
        .ask(case["id"].as_str().unwrap(), json!({ "partner": "state-06", "format": "csenet", "function": "CSI", "action": "R", "reason": "FRINF" }))
        .await;
    assert_eq!(status, 202, "{body}");
    assert!(
        wait_until(Duration::from_secs(30), || async {
            mock.applied_count() == 1
        })
        .await
    );
    let raw = mock.server.received_requests().await.unwrap()[0]
        .body
        .clone();
    app.stop().await;
    let text = String::from_utf8_lossy(&raw);
    assert!(
        !text.contains("HIDDEN WAY"),
        "the protected custodial party's street is not sent"
    );
    assert!(!text.contains("6125550110"), "nor her phone");
    let sent = Transaction::parse(raw.strip_suffix(b"\n").unwrap_or(&raw)).unwrap();
    let case_data = sent
        .case_data
        .expect("case data carries the nondisclosure finding");
    assert_eq!(case_data.nondisclosure_finding, "Y");
    t.cleanup().await;
}

async fn a_replayed_transaction_gets_a_new_serial_number(t: TestDb) {
    let mock = MockPartner::start(Behaviour {
        reject: std::sync::Arc::new(|_| true),
        ..Behaviour::default()
    })
    .await;
    let (app, cases) = start(&t, &mock).await;
    cases.put_case(TANF).await;
    let (_, queued) = cases.ask("MN-0001234", enforcement()).await;
    let id = queued["messageId"].as_i64().unwrap();
    assert!(
        wait_until(Duration::from_secs(30), || async {
            store::show(&t.db, id)
                .await
                .unwrap()
                .is_some_and(|m| m.summary.state == "dead")
        })
        .await
    );
    app.stop().await;
    let settings = settings(&t, &mock);
    let replayed = operator::replay(
        &t.db,
        &ivd_gateway::channels::renderers(&settings),
        id,
        "partner asked again",
        "operator:test",
        &|_| 3,
        now_ms(),
    )
    .await
    .unwrap();
    let new = store::show(&t.db, replayed.replacement)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        new.summary.idempotency_key, "csenet-2700000-000000000002",
        "a replay is a new transaction"
    );
    assert_eq!(new.summary.cause_kind, "transaction-request");
    assert_eq!(
        deadlines::for_reference(&t.db, "000000000002")
            .await
            .unwrap()
            .len(),
        1
    );
    t.cleanup().await;
}

fn sample(name: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/adapters/csenet/samples/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .expect("sample")
}

/// The third line of the sample with one malformed transaction.
fn malformed_transaction() -> Vec<u8> {
    let file = sample("check-one-invalid.txt");
    let mut line = ivd_csenet::split_transactions(&file)
        .nth(2)
        .expect("record 3")
        .to_vec();
    line.push(b'\n');
    line
}

async fn a_partner_state_sends_transactions_and_each_gets_its_verdict(t: TestDb) {
    // We are FIPS 06 037 01; the partner, state 27, may send ENF and PAT transactions.
    let mock = MockPartner::start(Behaviour::default()).await;
    let mut partner = http_partner("state-27", &mock.endpoint(), 3);
    support::bind_dev_partner(&mut partner);
    partner.interstate = Some(InterstateSettings {
        fips: "2712300".to_string(),
        functions: vec!["ENF".into(), "PAT".into()],
    });
    let mut settings = gateway_settings(&t, vec![partner]);
    settings.state.fips = Some("0603701".to_string());
    let gateway = TestApp::spawn_with(settings).await;
    let certs = gateway.dev_certificates();
    let client = gateway.dev_partner_client();
    let url = format!(
        "https://localhost:{}/partner/v1/csenet",
        gateway.partner_addr.port()
    );
    let send = |body: Vec<u8>| {
        let client = client.clone();
        let url = url.clone();
        async move {
            let response = client
                .post(url)
                .header("content-type", "text/plain")
                .body(body)
                .send()
                .await
                .expect("request");
            let status = response.status().as_u16();
            (status, response.json::<Value>().await.expect("JSON answer"))
        }
    };

    // An enforcement request from state 27: accepted, and the state system hears of it.
    let (status, answer) = send(sample("enf-request-outbound.txt")).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["transactions"][0]["status"], "accepted", "{answer}");
    assert_eq!(answer["transactions"][0]["serialNumber"], 1003);
    let first_receipt = answer["receiptId"].as_str().unwrap().to_string();
    let feed = ivd_gateway::store::events::list_after(&t.db, 0, 10)
        .await
        .unwrap();
    let received: Vec<_> = feed
        .iter()
        .filter(|e| e.kind == "csenet.received")
        .collect();
    assert_eq!(received.len(), 1);
    let payload = received[0].payload_json();
    assert_eq!(payload["function"], "ENF");
    assert_eq!(payload["senderFips"], "2712300");
    assert!(
        payload["case"].is_object(),
        "the canonical view travels with the event: {payload}"
    );

    // The same serial again is recognised, not applied twice.
    let (_, again) = send(sample("enf-request-outbound.txt")).await;
    assert_eq!(again["transactions"][0]["status"], "duplicate", "{again}");
    assert_eq!(
        again["transactions"][0]["firstReceipt"],
        first_receipt.as_str()
    );

    // A body with a function outside the agreement, a malformed transaction, and one that
    // is not from this partner nor addressed to us: three verdicts, nothing applied.
    let mut body = sample("csi-request-outbound.txt");
    body.extend(malformed_transaction());
    body.extend(sample("pat-request-inbound.txt"));
    let (status, mixed) = send(body).await;
    assert_eq!(status, 200, "{mixed}");
    let verdicts = mixed["transactions"].as_array().unwrap();
    assert_eq!(verdicts.len(), 3, "{mixed}");
    assert!(
        verdicts.iter().all(|v| v["status"] == "rejected"),
        "{mixed}"
    );
    assert_eq!(verdicts[0]["errors"][0]["code"], "NOT_IN_AGREEMENT");
    assert_eq!(verdicts[1]["errors"][0]["field"], "PARTICIPANT[2].SSN");
    assert_eq!(verdicts[1]["errors"][0]["position"], 1059);
    let codes: Vec<&str> = verdicts[2]["errors"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["code"].as_str())
        .collect();
    assert!(
        codes.contains(&"SENDER_FIPS") && codes.contains(&"RECEIVER_FIPS"),
        "{codes:?}"
    );
    let text = mixed.to_string();
    assert!(
        !text.contains("345678912") && !text.contains("4567891"),
        "no SSN is echoed"
    );
    let feed = ivd_gateway::store::events::list_after(&t.db, 0, 10)
        .await
        .unwrap();
    assert_eq!(
        feed.iter().filter(|e| e.kind == "csenet.received").count(),
        1,
        "only the accepted one reached the feed"
    );

    // A client without a certificate gets nothing.
    let anonymous = support::mtls_client(&certs.ca_cert, None);
    assert!(
        anonymous
            .post(&url)
            .body(sample("enf-request-outbound.txt"))
            .send()
            .await
            .is_err()
    );
    gateway.stop().await;
    t.cleanup().await;
}

/// The batch path through the CSENet server: its incoming data set and invalid data set are
/// picked up from directories; what we send, acknowledgments included, is appended to the
/// outgoing data set.
async fn the_csenet_data_sets_carry_the_batch_exchange(t: TestDb) {
    use ivd_gateway::config::{PartnerKind, PickupSettings, TransportSettings};
    let root = t.scratch_dir().join("csenet");
    let (incoming, invalid) = (root.join("incoming"), root.join("invalid"));
    for dir in [&incoming, &invalid] {
        std::fs::create_dir_all(dir).unwrap();
    }
    let outgoing = root.join("outgoing.dat");
    // We are state 27; state 06 is reached through the CSENet server.
    let mut state_06 = http_partner("state-06", "http://127.0.0.1:9/", 5);
    state_06.interstate = Some(InterstateSettings {
        fips: "0603701".into(),
        functions: vec!["PAT".into(), "EST".into(), "CSI".into(), "COL".into()],
    });
    state_06.transport = Some(TransportSettings::DataSet {
        file: outgoing.clone(),
    });
    let pickup = |directory: std::path::PathBuf, channel: &str| PickupSettings {
        directory,
        channel: channel.into(),
        interval_secs: 1,
        settle_secs: 0,
    };
    let mut server = http_partner("csenet-server", "http://127.0.0.1:9/", 5);
    server.kind = PartnerKind::Federal;
    server.transport = None; // we only receive from these two

    server.pickup = Some(pickup(incoming.clone(), "csenet"));
    let mut server_errors = http_partner("csenet-server-errors", "http://127.0.0.1:9/", 5);
    server_errors.kind = PartnerKind::Federal;
    server_errors.transport = None;
    server_errors.pickup = Some(pickup(invalid.clone(), "csenet-errors"));
    let mut settings = gateway_settings(&t, vec![state_06, server, server_errors]);
    settings.state.fips = Some("2712300".into());
    let gateway = TestApp::spawn_with(settings).await;
    // The collection names our case MN0000000006, which the state system has pushed.
    let mut case: Value = serde_json::from_str(TANF).unwrap();
    case["id"] = json!("MN0000000006");
    let mut tx = t.db.begin().await.unwrap();
    ivd_gateway::store::cases::put(&mut tx, "MN0000000006", &case.to_string(), now_ms())
        .await
        .unwrap();
    tx.commit().await.unwrap();

    std::fs::write(incoming.join("INCOMING.DAT"), sample("incoming-batch.txt")).unwrap();
    std::fs::write(invalid.join("INVALID.DAT"), sample("server-errors.txt")).unwrap();
    let events_of = |kind: &'static str| {
        let db = t.db.clone();
        async move {
            ivd_gateway::store::events::list_after(&db, 0, 100)
                .await
                .unwrap()
                .into_iter()
                .filter(|e| e.kind == kind)
                .collect::<Vec<_>>()
        }
    };
    assert!(
        wait_until(Duration::from_secs(30), || async {
            events_of("csenet.received").await.len() == 4
        })
        .await,
        "four transactions taken in"
    );
    let errors_in = wait_until(Duration::from_secs(30), || async {
        events_of("csenet.server-error").await.len() == 3
    })
    .await;
    if !errors_in {
        let receipts = ivd_gateway::intake::recent(&t.db, 10).await.unwrap();
        panic!("three server errors taken in: {receipts:?}");
    }
    // The two referrals (PAT and EST requests) are acknowledged through the outgoing data set.
    let acknowledged = wait_until(Duration::from_secs(30), || async {
        std::fs::read(&outgoing)
            .map(|b| ivd_csenet::split_transactions(&b).count() == 2)
            .unwrap_or(false)
    })
    .await;
    gateway.stop().await;
    assert!(acknowledged, "two acknowledgments in the outgoing data set");
    let received = events_of("csenet.received").await;
    assert!(
        received
            .iter()
            .all(|e| e.partner.as_deref() == Some("state-06")),
        "relayed transactions belong to the sending state"
    );
    let data_set = std::fs::read(&outgoing).unwrap();
    for record in ivd_csenet::split_transactions(&data_set) {
        let ack = Transaction::parse(record).expect("a valid outbound transaction");
        assert_eq!(ack.header.action, ActionCode::Acknowledge);
        assert_eq!(ack.header.local_fips.code(), "2712300");
        assert_eq!(ack.header.other_fips.code(), "0603701");
    }
    let severities: Vec<String> = events_of("csenet.server-error")
        .await
        .iter()
        .map(|e| e.payload_json()["severity"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        severities.iter().filter(|s| *s == "warning").count(),
        1,
        "{severities:?}"
    );
    t.cleanup().await;
}
