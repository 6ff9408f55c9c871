//! A Tribal IV-D program exchanges cases with the state: documents of the Tribal exchange
//! (`schemas/tribal-exchange.xsd`) over mutual TLS, each judged against the Tribe's
//! exchange agreement, acknowledged, de-duplicated and answered through the outbox — first
//! with one gateway and a mock Tribe (on both backends), then with two gateway processes,
//! the state's and the Tribe's.

mod support;

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use ivd_gateway::config::{PartnerKind, PartnerSettings, Settings, TribalAgreement, TribalFormat};
use ivd_gateway::reconcile::deadlines;
use ivd_gateway::store::{Db, now_ms};
use ivd_gateway::tls::ensure_dev_certificates;
use serde_json::{Value, json};
use support::app::TestApp;
use support::pair::Pki;
use support::{Behaviour, MockPartner, TestDb, feed, gateway_settings, http_partner, wait_until};

on_both_backends!(
    a_tribe_sends_documents_and_each_gets_its_verdict,
    the_state_system_sends_a_tribe_a_request_within_the_agreement_only,
    a_tribe_whose_agreement_says_csenet_gets_csenet_transactions,
);

const TANF: &str = include_str!("../schemas/samples/case-tanf.json");
const PROTECTED: &str = include_str!("../schemas/samples/case-protected.json");
const CSI_REQUEST: &str = include_str!("../adapters/tribal/samples/csi-request.xml");
/// The sample request is addressed to FIPS 5500000 and names case WI-77001 as ours.
const OUR_FIPS: &str = "5500000";
const OUR_CASE: &str = "MN-0001234";

fn tribe(mock: &MockPartner) -> PartnerSettings {
    let mut partner = http_partner("tribe-90830", &mock.endpoint(), 3);
    partner.kind = PartnerKind::Tribe;
    support::bind_dev_partner(&mut partner);
    partner.tribal = Some(TribalAgreement {
        locator: "90830".to_string(),
        functions: vec!["CSI".into(), "ENF".into(), "LO1".into()],
        format: TribalFormat::Xml,
    });
    partner
}

fn settings(t: &TestDb, mock: &MockPartner) -> Settings {
    let mut settings = gateway_settings(t, vec![tribe(mock)]);
    settings.state.fips = Some(OUR_FIPS.to_string());
    settings
}

/// Every document must validate against the published schema.
fn assert_valid_against_xsd(document: &[u8], scratch: &Path) {
    let file = scratch.join(format!("doc-{}.xml", now_ms()));
    std::fs::write(&file, document).unwrap();
    let lint = Command::new("xmllint")
        .arg("--noout")
        .arg("--schema")
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/schemas/tribal-exchange.xsd"
        ))
        .arg(&file)
        .output()
        .expect("xmllint is installed");
    assert!(
        lint.status.success(),
        "the document validates against the XSD: {}",
        String::from_utf8_lossy(&lint.stderr)
    );
}

async fn a_tribe_sends_documents_and_each_gets_its_verdict(t: TestDb) {
    let mock = MockPartner::start(Behaviour::default()).await;
    let settings = settings(&t, &mock);
    let tls_dir = settings.tls.dir.clone();
    let gateway = TestApp::spawn_with(settings).await;
    let cases = gateway.case_system().await;
    cases.put_case(TANF).await;
    let certs = ensure_dev_certificates(&tls_dir).unwrap();
    let tribe_client = support::mtls_client(
        &certs.ca_cert,
        Some((&certs.partner_cert, &certs.partner_key)),
    );
    let url = format!(
        "https://localhost:{}/partner/v1/tribal",
        gateway.partner_addr.port()
    );
    let post = |body: String| {
        let request = tribe_client
            .post(&url)
            .header("content-type", "application/xml")
            .body(body);
        async move {
            let response = request.send().await.unwrap();
            let status = response.status().as_u16();
            (status, response.json::<Value>().await.unwrap())
        }
    };
    let request = CSI_REQUEST.replace("WI-77001", OUR_CASE);

    // The Tribe asks for the status of our case: accepted, and acknowledged at once.
    let (status, answer) = post(request.clone()).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["document"]["status"], "accepted");
    assert_eq!(answer["document"]["transaction"], "CSI R FRINF");
    let ack_id = answer["document"]["acknowledgedWith"]
        .as_str()
        .expect("acknowledged")
        .to_string();
    assert_eq!(ack_id, "5500000-000000000001");

    // The acknowledgment reaches the Tribe: a valid document answering the request.
    assert!(
        wait_until(Duration::from_secs(30), || async {
            mock.applied_count() == 1
        })
        .await,
        "the acknowledgment was delivered"
    );
    let delivered = mock.server.received_requests().await.unwrap_or_default();
    let ack =
        ivd_tribal::read_message(&delivered[0].body).expect("the Tribe gets a valid document");
    assert_eq!(ack.kind, ivd_tribal::MessageKind::Acknowledgment);
    assert_eq!(ack.in_reply_to.as_deref(), Some("T90830-2025-000017"));
    assert_eq!(ack.sender_case_id, OUR_CASE);
    assert_valid_against_xsd(&delivered[0].body, &t.scratch_dir());

    // The same document again is a duplicate: not applied, not acknowledged twice.
    let (status, answer) = post(request.clone()).await;
    assert_eq!(
        (status, answer["document"]["status"].as_str()),
        (200, Some("duplicate")),
        "{answer}"
    );
    assert!(answer["document"]["firstReceipt"].is_string());

    // Refusals, each with the element path and a code, never a value.
    let outside = request
        .replace(
            "<FunctionCode>CSI</FunctionCode>",
            "<FunctionCode>PAT</FunctionCode>",
        )
        .replace("T90830-2025-000017", "T90830-2025-000018");
    let impostor = request
        .replace(
            "<LocatorCode>90830</LocatorCode>",
            "<LocatorCode>90831</LocatorCode>",
        )
        .replace("T90830-2025-000017", "T90830-2025-000019");
    let unknown_case = request
        .replace(OUR_CASE, "MN-7654321")
        .replace("T90830-2025-000017", "T90830-2025-000020");
    let not_for_us = request
        .replace(OUR_FIPS, "2700000")
        .replace("T90830-2025-000017", "T90830-2025-000021");
    let doctype = request.replace(
        "<TribalExchange",
        "<!DOCTYPE TribalExchange [<!ENTITY x \"y\">]>\n<TribalExchange",
    );
    for (document, code, path) in [
        (outside, "NOT_IN_AGREEMENT", "TribalExchange/Function"),
        (impostor, "SENDER", "TribalExchange/Header/Sender"),
        (
            unknown_case,
            "UNKNOWN_CASE",
            "TribalExchange/Request/ReceiverCaseID",
        ),
        (not_for_us, "RECEIVER", "TribalExchange/Header/Receiver"),
        (doctype, "XML_DOCTYPE", "document"),
    ] {
        let (status, answer) = post(document).await;
        assert_eq!(status, 422, "{code}: {answer}");
        let errors = answer["document"]["errors"].as_array().unwrap();
        assert_eq!(errors.len(), 1, "{answer}");
        assert_eq!(
            (errors[0]["code"].as_str(), errors[0]["field"].as_str()),
            (Some(code), Some(path))
        );
    }

    // The state system's feed: one request received, five refusals (codes only).
    let received = feed(&gateway.state.db, "tribal.received").await;
    assert_eq!(received.len(), 1);
    assert_eq!(received[0]["function"], "CSI");
    assert_eq!(received[0]["acknowledgedWith"], ack_id.as_str());
    assert_eq!(
        received[0]["case"]["id"], "T0123-000045",
        "the Tribe's case view"
    );
    let rejected = feed(&gateway.state.db, "tribal.rejected").await;
    assert_eq!(rejected.len(), 5);
    assert!(!rejected.iter().any(|r| r.to_string().contains("JOHNSON")));

    // A certificate of a partner without a Tribal agreement, and no certificate at all.
    let anonymous = support::mtls_client(&certs.ca_cert, None);
    assert!(
        anonymous
            .post(&url)
            .body(request.clone())
            .send()
            .await
            .is_err()
    );
    assert_eq!(
        mock.applied_count(),
        1,
        "one acknowledgment, for the one accepted request"
    );
    gateway.stop().await;
    t.cleanup().await;
}

async fn the_state_system_sends_a_tribe_a_request_within_the_agreement_only(t: TestDb) {
    let mock = MockPartner::start(Behaviour::default()).await;
    let settings = settings(&t, &mock);
    let gateway = TestApp::spawn_with(settings).await;
    let cases = gateway.case_system().await;
    cases.put_case(TANF).await;
    let protected: Value = serde_json::from_str(PROTECTED).unwrap();
    let protected_id = protected["id"].as_str().unwrap().to_string();
    cases.put_case(PROTECTED).await;

    // Paternity is not in the agreement: refused before anything is queued.
    let (status, refused) = cases.ask(
        OUR_CASE,
        json!({ "partner": "tribe-90830", "format": "tribal", "function": "PAT", "action": "R", "reason": "PICHS" }),
    )
    .await;
    assert_eq!(status, 422, "{refused}");
    assert!(
        refused["detail"]
            .as_str()
            .unwrap()
            .contains("does not cover the function PAT")
    );
    // A response must say what it answers.
    let (status, _) = cases.ask(
        OUR_CASE,
        json!({ "partner": "tribe-90830", "format": "tribal", "function": "CSI", "action": "P" }),
    )
    .await;
    assert_eq!(status, 422);

    // Enforcement and a locate request about a protected family are sent.
    let (status, queued) = cases.ask(
        OUR_CASE,
        json!({ "partner": "tribe-90830", "format": "tribal", "function": "ENF", "action": "R", "reason": "ERWAG", "otherCaseId": "T0123-000045" }),
    )
    .await;
    assert_eq!(status, 202, "{queued}");
    assert_eq!(queued["idempotencyKey"], "5500000-000000000001");
    let (status, _) = cases.ask(
        &protected_id,
        json!({ "partner": "tribe-90830", "format": "tribal", "function": "LO1", "action": "R", "reason": "LSADR" }),
    )
    .await;
    assert_eq!(status, 202);
    assert!(
        wait_until(Duration::from_secs(30), || async {
            mock.applied_count() == 2
        })
        .await,
        "both delivered"
    );
    let delivered = mock.server.received_requests().await.unwrap_or_default();
    for request in &delivered {
        assert_valid_against_xsd(&request.body, &t.scratch_dir());
        assert_eq!(
            request
                .headers
                .get("content-type")
                .and_then(|v| v.to_str().ok()),
            Some("application/xml")
        );
    }
    // The two requests are for two cases (two ordering keys): the outbox promises no order
    // between them, so each document is found by what it is, not by when it arrived.
    let documents: Vec<_> = delivered
        .iter()
        .map(|request| ivd_tribal::read_message(&request.body).unwrap())
        .collect();
    let by_function = |function: ivd_tribal::Function| {
        documents
            .iter()
            .find(|document| document.function == function)
            .cloned()
            .unwrap_or_else(|| panic!("a {function:?} document was delivered"))
    };
    let enforcement = by_function(ivd_tribal::Function::Enforcement);
    assert_eq!(enforcement.receiver.locator, "90830");
    assert_eq!(
        enforcement.receiver_case_id.as_deref(),
        Some("T0123-000045")
    );
    // The protected family leaves without any address.
    let locate = by_function(ivd_tribal::Function::Locate);
    let case = locate.case.expect("the case travels");
    let original = ivd_casejson::read_case(PROTECTED.as_bytes()).unwrap();
    for (sent, held) in case.participants.iter().zip(&original.participants) {
        if held.person.family_violence.is_some() {
            assert!(
                sent.person.addresses.is_empty(),
                "a protected person's address stays home"
            );
        }
    }
    assert!(
        original
            .participants
            .iter()
            .any(|p| p.person.family_violence.is_some())
    );

    // The Tribe owes an acknowledgment of each request, within 10 working days.
    let owed = deadlines::for_reference(&gateway.state.db, "5500000-000000000001")
        .await
        .unwrap();
    assert_eq!(owed.len(), 1);
    assert_eq!(owed[0].kind, "tribal.acknowledgment");
    assert!(owed[0].satisfied_at.is_none());
    gateway.stop().await;
    t.cleanup().await;
}

async fn a_tribe_whose_agreement_says_csenet_gets_csenet_transactions(t: TestDb) {
    let mock = MockPartner::start(Behaviour::default()).await;
    let mut partner = tribe(&mock);
    if let Some(agreement) = partner.tribal.as_mut() {
        // The (synthetic) location code CSENet routes to the Tribe by.
        agreement.format = TribalFormat::Csenet;
        agreement.locator = "5599901".to_string();
    }
    let mut settings = gateway_settings(&t, vec![partner]);
    settings.state.fips = Some(OUR_FIPS.to_string());
    let gateway = TestApp::spawn_with(settings).await;
    let api = gateway.url("");
    let cases = gateway.case_system().await;
    let token = cases.token.clone();
    cases.put_case(TANF).await;
    let http = reqwest::Client::new();
    let url = format!("{api}/state/v1/cases/{OUR_CASE}/transactions");
    let xml = http
        .post(&url)
        .bearer_auth(&token)
        .json(&json!({ "partner": "tribe-90830", "format": "tribal", "function": "ENF", "action": "R", "reason": "ERWAG" }))
        .send()
        .await
        .unwrap();
    assert_eq!(
        xml.status().as_u16(),
        400,
        "this Tribe does not take the XML documents"
    );
    let csenet = http
        .post(&url)
        .bearer_auth(&token)
        .json(&json!({ "partner": "tribe-90830", "format": "csenet", "function": "ENF", "action": "R", "reason": "ERWAG", "otherCaseId": "T0123-000045" }))
        .send()
        .await
        .unwrap();
    let status = csenet.status().as_u16();
    assert_eq!(status, 202, "{}", csenet.text().await.unwrap());
    assert!(
        wait_until(Duration::from_secs(30), || async {
            mock.applied_count() == 1
        })
        .await,
        "delivered"
    );
    let delivered = mock.server.received_requests().await.unwrap_or_default();
    let record = ivd_csenet::split_transactions(&delivered[0].body)
        .next()
        .unwrap();
    let transaction = ivd_csenet::Transaction::parse(record).expect("valid CSENet");
    assert_eq!(transaction.header.other_fips.code(), "5599901");
    assert_eq!(transaction.header.local_fips.code(), OUR_FIPS);
    gateway.stop().await;
    t.cleanup().await;
}

async fn outbox_payloads(db: &Db) -> Vec<(String, Vec<u8>)> {
    let rows: Vec<(String, String, String, Vec<u8>)> = ivd_gateway::on_read!(db, c => {
        sqlx::query_as(
            "SELECT m.kind, m.partner, m.idempotency_key, p.payload FROM outbox_messages m \
             JOIN outbox_payloads p ON p.message_id = m.id ORDER BY m.id",
        )
        .fetch_all(c)
        .await
        .unwrap()
    });
    // Payloads are sealed at rest: opened as the dispatcher opens them.
    rows.into_iter()
        .map(|(kind, partner, key, payload)| {
            let here = ivd_gateway::store::sealing::place::outbox(&partner, &key);
            (kind, db.sealer().open_bytes(payload, &here).unwrap())
        })
        .collect()
}

async fn dead_letters(db: &Db) -> Vec<(String, Option<String>)> {
    ivd_gateway::on_read!(db, c => {
        sqlx::query_as("SELECT kind, last_error FROM outbox_messages WHERE state = 'dead' ORDER BY id")
            .fetch_all(c)
            .await
            .unwrap()
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_state_and_a_tribe_exchange_a_case_over_mutual_tls() {
    let pki = Pki::new();
    let mut state = pki.peer("state-55").await;
    let mut tribe = pki.peer("tribe-90830").await;
    // The state takes case status, enforcement and locate from the Tribe; the Tribe's
    // gateway believes collections are covered too, which the state's agreement denies.
    let state_to_tribe = state.agreement_with(
        &tribe,
        "tribe",
        r#"tribal = { locator = "90830", functions = ["CSI", "ENF", "LO1"], format = "xml" }"#,
        "/partner/v1/tribal",
        3,
    );
    let tribe_to_state = tribe.agreement_with(
        &state,
        "state",
        r#"tribal = { locator = "5500000", functions = ["CSI", "ENF", "LO1", "COL"], format = "xml" }"#,
        "/partner/v1/tribal",
        3,
    );
    state.start("fips = \"5500000\"", &state_to_tribe).await;
    tribe.start("tribe_code = \"90830\"", &tribe_to_state).await;

    // The state asks the Tribe for the status of its case.
    state.cases().put_case(TANF).await;
    let (status, asked) = state.cases().ask(
        OUR_CASE,
        json!({ "partner": "tribe-90830", "format": "tribal", "function": "CSI", "action": "R", "reason": "FRINF" }),
    )
    .await;
    assert_eq!(status, 202, "{asked}");
    let request_id = asked["idempotencyKey"].as_str().unwrap().to_string();
    assert_eq!(request_id, "5500000-000000000001");

    // The Tribe's case system sees the request; the Tribe acknowledged it at once.
    assert!(
        tribe.wait_for_feed("tribal.received", 1).await,
        "the Tribe received the request"
    );
    let request = &tribe.feed("tribal.received").await[0];
    assert_eq!(
        (request["function"].as_str(), request["action"].as_str()),
        (Some("CSI"), Some("R"))
    );
    assert_eq!(request["messageId"], request_id.as_str());
    assert_eq!(request["sender"]["locator"], "5500000");
    assert_eq!(request["acknowledgedWith"], "90830-000000000001");

    // The acknowledgment reaches the state and answers its deadline.
    assert!(
        state.wait_for_feed("tribal.received", 1).await,
        "the state received the acknowledgment"
    );
    let ack = &state.feed("tribal.received").await[0];
    assert_eq!(ack["kind"], "acknowledgment");
    assert_eq!(ack["answers"], request_id.as_str());
    let owed = deadlines::for_reference(&state.db, &request_id)
        .await
        .unwrap();
    let satisfied = |kind: &str| {
        owed.iter()
            .find(|d| d.kind == kind)
            .unwrap()
            .satisfied_at
            .is_some()
    };
    assert!(satisfied("tribal.acknowledgment"));
    assert!(
        !satisfied("tribal.response"),
        "the answer itself is still owed"
    );

    // The Tribe's case system answers with the case status.
    tribe.cases().put_case(TANF).await;
    let (status, answered) = tribe.cases().ask(
        OUR_CASE,
        json!({ "partner": "state-55", "format": "tribal", "function": "CSI", "action": "P", "reason": "FSINF", "otherCaseId": OUR_CASE, "inReplyTo": request_id }),
    )
    .await;
    assert_eq!(status, 202, "{answered}");
    assert!(
        state.wait_for_feed("tribal.received", 2).await,
        "the state received the response"
    );
    let response = &state.feed("tribal.received").await[1];
    assert_eq!(
        (response["kind"].as_str(), response["function"].as_str()),
        (Some("response"), Some("CSI"))
    );
    assert_eq!(response["answers"], request_id.as_str());
    assert_eq!(response["case"]["id"], OUR_CASE);
    let owed = deadlines::for_reference(&state.db, &request_id)
        .await
        .unwrap();
    assert!(
        owed.iter().all(|d| d.satisfied_at.is_some()),
        "nothing more is owed"
    );

    // Paternity is in neither agreement: the Tribe's own gateway refuses to send it.
    let (status, refused) = tribe.cases().ask(
        OUR_CASE,
        json!({ "partner": "state-55", "format": "tribal", "function": "PAT", "action": "R", "reason": "PICHS" }),
    )
    .await;
    assert_eq!(status, 422, "{refused}");
    // Collections are in the Tribe's configuration but not in the state's: the state
    // refuses the document, and the Tribe's outbox keeps it as a dead letter with the reason.
    let (status, _) = tribe.cases().ask(
        OUR_CASE,
        json!({ "partner": "state-55", "format": "tribal", "function": "COL", "action": "R", "reason": "CITAX", "otherCaseId": OUR_CASE }),
    )
    .await;
    assert_eq!(status, 202);
    assert!(
        wait_until(Duration::from_secs(60), || async {
            !dead_letters(&tribe.db).await.is_empty()
        })
        .await,
        "the refused document is a dead letter at the Tribe"
    );
    let (kind, reason) = &dead_letters(&tribe.db).await[0];
    assert_eq!(kind, "tribal");
    assert!(
        reason.as_deref().unwrap_or("").contains("422"),
        "{reason:?}"
    );
    let refusals = state.feed("tribal.rejected").await;
    assert_eq!(refusals.len(), 1);
    assert_eq!(refusals[0]["errors"][0]["code"], "NOT_IN_AGREEMENT");
    assert_eq!(
        state.feed("tribal.received").await.len(),
        2,
        "nothing applied"
    );

    // The Tribe's acknowledgment delivered again is recognised, not applied twice.
    let ack_message: (i64,) = ivd_gateway::on_read!(&tribe.db, c => {
        sqlx::query_as("SELECT id FROM outbox_messages WHERE kind = 'tribal-acknowledgment'")
            .fetch_one(c)
            .await
            .unwrap()
    });
    ivd_gateway::outbox::operator::redeliver(
        &tribe.db,
        ack_message.0,
        "test: send the same acknowledgment again",
        "operator:test",
        &|_| 5,
        now_ms(),
    )
    .await
    .unwrap();
    assert!(
        state.recognises_a_duplicate_from("tribe-90830").await,
        "the state recognised the second copy"
    );
    assert_eq!(state.feed("tribal.received").await.len(), 2);

    // Every document either side wrote validates against the published schema.
    let mut documents = 0;
    for db in [&state.db, &tribe.db] {
        for (kind, payload) in outbox_payloads(db).await {
            assert!(kind.starts_with("tribal"), "{kind}");
            assert_valid_against_xsd(&payload, pki.root.path());
            documents += 1;
        }
    }
    assert_eq!(
        documents, 4,
        "request, acknowledgment, response, refused collection"
    );
    state.stop().await;
    tribe.stop().await;
}
