//! The HTTP APIs end to end, in-process, on both backends: health and metrics, the state
//! system's API (auth, cases, transactions, the event feed), the partner listener over real
//! mutual TLS, and the operator API. Everything goes over real sockets with `reqwest`.

mod support;

use std::sync::Arc;
use std::time::Duration;

use ivd_gateway::config::PartnerSettings;
use ivd_gateway::store::now_ms;
use ivd_gateway::store::tokens::{self, Role};
use ivd_gateway::tls::{DevCertificates, ensure_dev_certificates, issue_client_certificate};
use reqwest::StatusCode;
use serde_json::{Value, json};
use support::app::TestApp;
use support::{Behaviour, MockPartner, TestDb, http_partner, mtls_client, wait_until};

on_both_backends!(
    health_readiness_and_metrics_answer_without_leaking_case_data,
    the_state_api_refuses_missing_wrong_role_and_revoked_tokens,
    a_state_system_pushes_a_case_and_reads_it_back,
    a_case_with_a_bad_ssn_is_refused_without_echoing_the_ssn,
    a_case_breaking_a_model_rule_is_refused_with_the_field_path_and_code,
    a_state_system_sends_a_case_to_a_partner_exactly_once,
    a_protected_family_is_never_located_through_an_outbound_case,
    a_transaction_for_an_unknown_partner_format_or_case_is_refused,
    a_partner_delivers_over_mutual_tls_and_the_state_system_reads_the_event,
    the_event_feed_pages_with_a_cursor_and_bounds_its_limit,
    a_certificate_bound_to_no_partner_or_no_certificate_at_all_gets_nothing,
    an_operator_redelivers_a_dead_letter_and_the_audit_chain_records_it,
    a_bad_ssn_is_reported_by_json_path_and_code,
    a_partner_receipt_names_its_id_in_camel_case,
);

const TANF: &str = include_str!("../schemas/samples/case-tanf.json");
const PROTECTED: &str = include_str!("../schemas/samples/case-protected.json");
const TANF_ID: &str = "MN-0001234";
const PROTECTED_ID: &str = "MN-0009876";
const WAIT: Duration = Duration::from_secs(30);

fn sample(text: &str) -> Value {
    serde_json::from_str(text).expect("the sample is JSON")
}

fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(20))
        .build()
        .expect("http client")
}

async fn body_json(response: reqwest::Response) -> Value {
    let text = response.text().await.expect("body");
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

fn content_type(response: &reqwest::Response) -> String {
    response
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string()
}

async fn put_case(gateway: &TestApp, bearer: &str, id: &str, body: &str) -> reqwest::Response {
    http()
        .put(gateway.url(&format!("/state/v1/cases/{id}")))
        .bearer_auth(bearer)
        .header("content-type", "application/json")
        .body(body.to_string())
        .send()
        .await
        .expect("PUT case")
}

async fn post_transaction(
    gateway: &TestApp,
    bearer: &str,
    id: &str,
    request: Value,
) -> reqwest::Response {
    http()
        .post(gateway.url(&format!("/state/v1/cases/{id}/transactions")))
        .bearer_auth(bearer)
        .json(&request)
        .send()
        .await
        .expect("POST transaction")
}

async fn get_authed(gateway: &TestApp, bearer: &str, path: &str) -> reqwest::Response {
    http()
        .get(gateway.url(path))
        .bearer_auth(bearer)
        .send()
        .await
        .expect("GET")
}

/// The parts of a case's persons that locate them: address lines, phones, emails.
fn locators(person: &Value) -> Vec<String> {
    let mut out = Vec::new();
    for address in person["addresses"].as_array().into_iter().flatten() {
        for line in address["lines"].as_array().into_iter().flatten() {
            out.push(line.as_str().unwrap().to_string());
        }
    }
    for phone in person["phones"].as_array().into_iter().flatten() {
        out.push(phone["number"].as_str().unwrap().to_string());
    }
    for email in person["emails"].as_array().into_iter().flatten() {
        out.push(email.as_str().unwrap().to_string());
    }
    out
}

// ---------------------------------------------------------------------------------------
// Health and metrics
// ---------------------------------------------------------------------------------------

async fn health_readiness_and_metrics_answer_without_leaking_case_data(t: TestDb) {
    let partner = MockPartner::start(Behaviour::default()).await;
    let gateway = TestApp::spawn(&t, vec![http_partner("state-19", &partner.endpoint(), 5)]).await;
    let state = gateway.token("case-system", Role::StateSystem).await;

    let health = http().get(gateway.url("/healthz")).send().await.unwrap();
    assert_eq!(health.status(), StatusCode::OK);
    assert_eq!(health.text().await.unwrap().trim(), "ok");

    let ready = http().get(gateway.url("/readyz")).send().await.unwrap();
    assert_eq!(ready.status(), StatusCode::OK);
    assert_eq!(body_json(ready).await, json!({ "status": "ready" }));

    // A stored case, so that there is personal data the metrics must not show.
    let stored = put_case(&gateway, &state, TANF_ID, TANF).await;
    assert_eq!(stored.status(), StatusCode::CREATED);

    let metrics = http().get(gateway.url("/metrics")).send().await.unwrap();
    assert_eq!(metrics.status(), StatusCode::OK);
    assert!(
        content_type(&metrics).starts_with("text/plain; version=0.0.4"),
        "content type {}",
        content_type(&metrics)
    );
    let text = metrics.text().await.unwrap();
    for state in ["pending", "running", "retry", "delivered", "dead"] {
        let series = format!("ivd_outbox_messages{{partner=\"state-19\",state=\"{state}\"}}");
        assert!(text.contains(&series), "missing {series} in:\n{text}");
    }
    assert!(text.contains("ivd_partner_circuit_state"), "{text}");
    assert!(text.contains("ivd_http_requests_total"), "{text}");
    // Requests are counted by route template, never by raw path.
    assert!(text.contains("route=\"/state/v1/cases/{id}\""), "{text}");

    let case = sample(TANF);
    for person in case["participants"].as_array().unwrap() {
        let person = &person["person"];
        let mut personal = locators(person);
        for part in ["first", "middle", "last"] {
            if let Some(name) = person["name"][part].as_str() {
                personal.push(name.to_string());
            }
        }
        if let Some(ssn) = person["ssn"].as_str() {
            personal.push(ssn.to_string());
            personal.push(ssn.replace('-', ""));
        }
        for value in personal {
            assert!(
                !text.contains(&value),
                "metrics show personal data {value:?}"
            );
        }
    }

    gateway.stop().await;
    t.cleanup().await;
}

// ---------------------------------------------------------------------------------------
// State-system API
// ---------------------------------------------------------------------------------------

async fn the_state_api_refuses_missing_wrong_role_and_revoked_tokens(t: TestDb) {
    let gateway = TestApp::spawn(&t, Vec::new()).await;
    let case_path = format!("/state/v1/cases/{TANF_ID}");

    let anonymous = http().get(gateway.url(&case_path)).send().await.unwrap();
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(content_type(&anonymous), "application/problem+json");
    let problem = body_json(anonymous).await;
    assert_eq!(problem["status"], 401);

    let garbage = get_authed(&gateway, "ivd_not-a-real-token", &case_path).await;
    assert_eq!(garbage.status(), StatusCode::UNAUTHORIZED);

    let operator = gateway.token("night-shift", Role::Operator).await;
    let wrong_role = get_authed(&gateway, &operator, &case_path).await;
    assert_eq!(wrong_role.status(), StatusCode::FORBIDDEN);
    assert_eq!(content_type(&wrong_role), "application/problem+json");
    let events = get_authed(&gateway, &operator, "/state/v1/events?after=0&limit=10").await;
    assert_eq!(events.status(), StatusCode::FORBIDDEN);

    let state = gateway.token("case-system", Role::StateSystem).await;
    let allowed = get_authed(&gateway, &state, &case_path).await;
    assert_eq!(
        allowed.status(),
        StatusCode::NOT_FOUND,
        "authorised, no case yet"
    );

    tokens::revoke(&t.db, "case-system", "test", now_ms())
        .await
        .unwrap();
    let revoked = get_authed(&gateway, &state, &case_path).await;
    assert_eq!(revoked.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(content_type(&revoked), "application/problem+json");

    gateway.stop().await;
    t.cleanup().await;
}

async fn a_state_system_pushes_a_case_and_reads_it_back(t: TestDb) {
    let gateway = TestApp::spawn(&t, Vec::new()).await;
    let state = gateway.token("case-system", Role::StateSystem).await;

    let first = put_case(&gateway, &state, TANF_ID, TANF).await;
    assert_eq!(first.status(), StatusCode::CREATED);
    assert_eq!(
        body_json(first).await,
        json!({ "caseId": TANF_ID, "version": 1, "changed": true })
    );

    let again = put_case(&gateway, &state, TANF_ID, TANF).await;
    assert_eq!(again.status(), StatusCode::OK);
    assert_eq!(
        body_json(again).await,
        json!({ "caseId": TANF_ID, "version": 1, "changed": false })
    );

    // The same case with other whitespace is the same case.
    let minified = serde_json::to_string(&sample(TANF)).unwrap();
    let reformatted = put_case(&gateway, &state, TANF_ID, &minified).await;
    assert_eq!(reformatted.status(), StatusCode::OK);
    assert_eq!(body_json(reformatted).await["changed"], false);

    let mut modified = sample(TANF);
    modified["orders"][0]["obligations"][0]["amount"] = json!("475.00");
    let changed = put_case(&gateway, &state, TANF_ID, &modified.to_string()).await;
    assert_eq!(changed.status(), StatusCode::OK);
    assert_eq!(
        body_json(changed).await,
        json!({ "caseId": TANF_ID, "version": 2, "changed": true })
    );

    let read = get_authed(&gateway, &state, &format!("/state/v1/cases/{TANF_ID}")).await;
    assert_eq!(read.status(), StatusCode::OK);
    let read = body_json(read).await;
    assert_eq!(read["caseId"], TANF_ID);
    assert_eq!(read["version"], 2);
    assert_eq!(read["case"]["id"], TANF_ID);
    assert_eq!(
        read["case"]["orders"][0]["obligations"][0]["amount"],
        "475.00"
    );
    assert_eq!(
        read["case"]["participants"].as_array().unwrap().len(),
        modified["participants"].as_array().unwrap().len()
    );

    let other_id = put_case(&gateway, &state, "MN-0005555", TANF).await;
    assert_eq!(other_id.status(), StatusCode::BAD_REQUEST);
    assert_eq!(content_type(&other_id), "application/problem+json");
    let unchanged = get_authed(&gateway, &state, "/state/v1/cases/MN-0005555").await;
    assert_eq!(unchanged.status(), StatusCode::NOT_FOUND);

    let malformed = put_case(&gateway, &state, TANF_ID, "{\"id\": \"MN-0001234\",").await;
    assert_eq!(malformed.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(content_type(&malformed), "application/problem+json");
    assert_eq!(body_json(malformed).await["status"], 422);

    let still =
        body_json(get_authed(&gateway, &state, &format!("/state/v1/cases/{TANF_ID}")).await).await;
    assert_eq!(still["version"], 2, "refused bodies change nothing");

    gateway.stop().await;
    t.cleanup().await;
}

/// The tanf sample with the custodial party's SSN replaced by one whose area is never issued.
const BAD_SSN: &str = "666-45-6789";

fn case_with_bad_ssn() -> String {
    let mut case = sample(TANF);
    case["participants"][0]["person"]["ssn"] = json!(BAD_SSN);
    case.to_string()
}

async fn a_case_with_a_bad_ssn_is_refused_without_echoing_the_ssn(t: TestDb) {
    let gateway = TestApp::spawn(&t, Vec::new()).await;
    let state = gateway.token("case-system", Role::StateSystem).await;

    for ssn in [BAD_SSN, "000-45-6789"] {
        let mut case = sample(TANF);
        case["participants"][0]["person"]["ssn"] = json!(ssn);
        let refused = put_case(&gateway, &state, TANF_ID, &case.to_string()).await;
        assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(content_type(&refused), "application/problem+json");
        let text = refused.text().await.unwrap();
        assert!(!text.contains(ssn), "the SSN is echoed: {text}");
        assert!(
            !text.contains(&ssn.replace('-', "")),
            "the SSN is echoed: {text}"
        );
        assert!(
            !text.contains("45-6789"),
            "part of the SSN is echoed: {text}"
        );
        let problem: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(problem["status"], 422);
        // The rule is named, whatever part of the document carries it.
        assert!(text.contains("SSN_AREA"), "the code is not named: {text}");
    }
    let nothing = get_authed(&gateway, &state, &format!("/state/v1/cases/{TANF_ID}")).await;
    assert_eq!(nothing.status(), StatusCode::NOT_FOUND);

    // An unknown code: the value sent stays hidden, the allowed values are said.
    let mut case = sample(TANF);
    case["caseType"] = json!("Tanf-ish");
    let refused = put_case(&gateway, &state, TANF_ID, &case.to_string()).await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let text = refused.text().await.unwrap();
    assert!(!text.contains("Tanf-ish"), "the value is echoed: {text}");
    assert!(
        text.contains("expected one of") && text.contains("`tanf`"),
        "the allowed values are not said: {text}"
    );

    gateway.stop().await;
    t.cleanup().await;
}

/// README: "invalid cases get a problem document with each field's JSON path and code".
async fn a_bad_ssn_is_reported_by_json_path_and_code(t: TestDb) {
    let gateway = TestApp::spawn(&t, Vec::new()).await;
    let state = gateway.token("case-system", Role::StateSystem).await;
    let refused = put_case(&gateway, &state, TANF_ID, &case_with_bad_ssn()).await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let problem = body_json(refused).await;
    let errors = problem["errors"].as_array().cloned().unwrap_or_default();
    assert!(
        errors
            .iter()
            .any(|e| e["field"] == "participants[0].person.ssn" && e["code"] == "SSN_AREA"),
        "no error names participants[0].person.ssn / SSN_AREA: {problem}"
    );
    gateway.stop().await;
    t.cleanup().await;
}

async fn a_case_breaking_a_model_rule_is_refused_with_the_field_path_and_code(t: TestDb) {
    let gateway = TestApp::spawn(&t, Vec::new()).await;
    let state = gateway.token("case-system", Role::StateSystem).await;

    // No child on the case.
    let mut case = sample(TANF);
    case["participants"]
        .as_array_mut()
        .unwrap()
        .retain(|p| p["role"] != "child");
    let refused = put_case(&gateway, &state, TANF_ID, &case.to_string()).await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(content_type(&refused), "application/problem+json");
    let text = refused.text().await.unwrap();
    let problem: Value = serde_json::from_str(&text).unwrap();
    let errors = problem["errors"].as_array().expect("errors listed");
    assert!(
        errors
            .iter()
            .any(|e| e["field"] == "participants" && e["code"] == "CASE_NO_CHILD"),
        "{problem}"
    );
    for error in errors {
        assert!(error["message"].is_string(), "{error}");
    }
    for ssn in ["123-45-6789", "123456789", "234567890"] {
        assert!(!text.contains(ssn), "an SSN is echoed: {text}");
    }

    gateway.stop().await;
    t.cleanup().await;
}

// ---------------------------------------------------------------------------------------
// Transactions to partners
// ---------------------------------------------------------------------------------------

/// The first request the mock partner received with this idempotency key.
async fn received_with_key(partner: &MockPartner, key: &str) -> Option<wiremock::Request> {
    partner
        .server
        .received_requests()
        .await
        .unwrap_or_default()
        .into_iter()
        .find(|r| {
            r.headers
                .get("idempotency-key")
                .and_then(|v| v.to_str().ok())
                == Some(key)
        })
}

async fn a_state_system_sends_a_case_to_a_partner_exactly_once(t: TestDb) {
    let partner = MockPartner::start(Behaviour::default()).await;
    let gateway = TestApp::spawn(&t, vec![http_partner("state-19", &partner.endpoint(), 5)]).await;
    let state = gateway.token("case-system", Role::StateSystem).await;
    assert_eq!(
        put_case(&gateway, &state, TANF_ID, TANF).await.status(),
        StatusCode::CREATED
    );

    let request = json!({ "partner": "state-19", "format": "case-json" });
    let queued = post_transaction(&gateway, &state, TANF_ID, request.clone()).await;
    assert_eq!(queued.status(), StatusCode::ACCEPTED);
    let queued = body_json(queued).await;
    let key = format!("case-{TANF_ID}-v1");
    assert_eq!(queued["idempotencyKey"], key.as_str());
    assert_eq!(queued["duplicate"], false);
    let message_id = queued["messageId"].as_i64().expect("messageId");

    let again = post_transaction(&gateway, &state, TANF_ID, request).await;
    assert_eq!(again.status(), StatusCode::OK);
    let again = body_json(again).await;
    assert_eq!(again["duplicate"], true);
    assert_eq!(again["messageId"], message_id);
    assert_eq!(again["idempotencyKey"], key.as_str());

    assert!(
        wait_until(WAIT, || async { partner.applied_count() >= 1 }).await,
        "the partner never received the case"
    );
    let received = received_with_key(&partner, &key)
        .await
        .expect("delivered with the Idempotency-Key header");
    let body: Value = serde_json::from_slice(&received.body).expect("JSON body");
    let stored =
        body_json(get_authed(&gateway, &state, &format!("/state/v1/cases/{TANF_ID}")).await).await;
    assert_eq!(body, stored["case"], "the partner gets the canonical case");

    let applied = partner.log.lock().unwrap().applied.clone();
    assert_eq!(applied, vec![key.clone()], "enqueued once, applied once");

    gateway.stop().await;
    t.cleanup().await;
}

async fn a_protected_family_is_never_located_through_an_outbound_case(t: TestDb) {
    let partner = MockPartner::start(Behaviour::default()).await;
    let gateway = TestApp::spawn(&t, vec![http_partner("state-19", &partner.endpoint(), 5)]).await;
    let state = gateway.token("case-system", Role::StateSystem).await;
    assert_eq!(
        put_case(&gateway, &state, PROTECTED_ID, PROTECTED)
            .await
            .status(),
        StatusCode::CREATED
    );
    let queued = post_transaction(
        &gateway,
        &state,
        PROTECTED_ID,
        json!({ "partner": "state-19", "format": "case-json" }),
    )
    .await;
    assert_eq!(queued.status(), StatusCode::ACCEPTED);
    let key = format!("case-{PROTECTED_ID}-v1");
    assert!(
        wait_until(WAIT, || async { partner.applied_count() >= 1 }).await,
        "the partner never received the case"
    );
    let received = received_with_key(&partner, &key).await.expect("delivered");
    let text = String::from_utf8(received.body.clone()).expect("UTF-8 body");
    let body: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(body["nondisclosureFinding"], true);

    // Who is protected: anyone with a family-violence indicator, and, because someone on
    // the case has one, the custodial household (custodial party, caretaker, children).
    let case = sample(PROTECTED);
    let mut withheld = Vec::new();
    let mut disclosed = Vec::new();
    for participant in case["participants"].as_array().unwrap() {
        let role = participant["role"].as_str().unwrap();
        let person = &participant["person"];
        let household =
            role != "noncustodialParent" && role != "alleged" && role != "putativeFather";
        if person.get("familyViolence").is_some() || household {
            withheld.extend(locators(person));
        } else {
            disclosed.extend(locators(person));
        }
    }
    assert!(!withheld.is_empty(), "the sample has protected locate data");
    for value in &withheld {
        assert!(
            !text.contains(value.as_str()),
            "protected {value:?} was sent"
        );
    }
    // The redaction is about the protected people, not everyone.
    for value in disclosed.iter().filter(|v| !withheld.contains(v)) {
        assert!(
            text.contains(value.as_str()),
            "unprotected {value:?} was dropped"
        );
    }

    gateway.stop().await;
    t.cleanup().await;
}

async fn a_transaction_for_an_unknown_partner_format_or_case_is_refused(t: TestDb) {
    let partner = MockPartner::start(Behaviour::default()).await;
    let gateway = TestApp::spawn(&t, vec![http_partner("state-19", &partner.endpoint(), 5)]).await;
    let state = gateway.token("case-system", Role::StateSystem).await;
    assert_eq!(
        put_case(&gateway, &state, TANF_ID, TANF).await.status(),
        StatusCode::CREATED
    );

    let unknown_partner = post_transaction(
        &gateway,
        &state,
        TANF_ID,
        json!({ "partner": "state-99", "format": "case-json" }),
    )
    .await;
    assert_eq!(unknown_partner.status(), StatusCode::BAD_REQUEST);
    assert_eq!(content_type(&unknown_partner), "application/problem+json");

    let unknown_format = post_transaction(
        &gateway,
        &state,
        TANF_ID,
        json!({ "partner": "state-19", "format": "csenet-1000" }),
    )
    .await;
    assert_eq!(unknown_format.status(), StatusCode::BAD_REQUEST);

    let unknown_case = post_transaction(
        &gateway,
        &state,
        "MN-0007777",
        json!({ "partner": "state-19", "format": "case-json" }),
    )
    .await;
    assert_eq!(unknown_case.status(), StatusCode::NOT_FOUND);
    assert_eq!(content_type(&unknown_case), "application/problem+json");

    let operator = gateway.token("night-shift", Role::Operator).await;
    let listed = body_json(get_authed(&gateway, &operator, "/operator/v1/outbox").await).await;
    assert_eq!(listed, json!([]), "nothing was enqueued");

    gateway.stop().await;
    t.cleanup().await;
}

// ---------------------------------------------------------------------------------------
// The partner listener (mutual TLS)
// ---------------------------------------------------------------------------------------

/// A partner bound to the development client certificate, delivering nowhere in particular.
fn dev_partner(mock: &MockPartner) -> PartnerSettings {
    let mut partner = http_partner("tribe-0123", &mock.endpoint(), 5);
    support::bind_dev_partner(&mut partner);
    partner
}

fn dev_certificates(t: &TestDb) -> DevCertificates {
    // The gateway made them on start; this only finds them (it is idempotent).
    ensure_dev_certificates(&t.scratch_dir().join("tls")).expect("development certificates")
}

/// The receipt id of a partner listener answer.
fn receipt_of(answer: &Value) -> String {
    answer
        .get("receiptId")
        .and_then(Value::as_str)
        .unwrap_or_else(|| panic!("no receipt id in {answer}"))
        .to_string()
}

fn partner_url(gateway: &TestApp, path: &str) -> String {
    format!("https://{}{}", gateway.partner_addr, path)
}

async fn send_partner_message(
    client: &reqwest::Client,
    gateway: &TestApp,
    key: Option<&str>,
    body: &str,
) -> reqwest::Response {
    let mut request = client
        .post(partner_url(gateway, "/partner/v1/messages"))
        .header("content-type", "application/json")
        .body(body.to_string());
    if let Some(key) = key {
        request = request.header("Idempotency-Key", key);
    }
    request.send().await.expect("the partner listener answers")
}

async fn a_partner_delivers_over_mutual_tls_and_the_state_system_reads_the_event(t: TestDb) {
    let mock = MockPartner::start(Behaviour::default()).await;
    let gateway = TestApp::spawn(&t, vec![dev_partner(&mock)]).await;
    let state = gateway.token("case-system", Role::StateSystem).await;
    let certs = dev_certificates(&t);
    let client = mtls_client(
        &certs.ca_cert,
        Some((&certs.partner_cert, &certs.partner_key)),
    );

    let whoami = client
        .get(partner_url(&gateway, "/partner/v1/whoami"))
        .send()
        .await
        .expect("whoami");
    assert_eq!(whoami.status(), StatusCode::OK);
    assert_eq!(body_json(whoami).await["partner"], "tribe-0123");

    let body = r#"{"notice":"synthetic test message"}"#;
    let first = send_partner_message(&client, &gateway, Some("MSG-1"), body).await;
    assert_eq!(first.status(), StatusCode::ACCEPTED);
    let first = body_json(first).await;
    assert_eq!(first["status"], "new");
    let receipt = receipt_of(&first);

    let again = send_partner_message(&client, &gateway, Some("MSG-1"), body).await;
    assert_eq!(again.status(), StatusCode::OK);
    let again = body_json(again).await;
    assert_eq!(again["status"], "duplicate");
    assert_eq!(receipt_of(&again), receipt);

    let missing_key = send_partner_message(&client, &gateway, None, body).await;
    assert_eq!(missing_key.status(), StatusCode::BAD_REQUEST);
    assert_eq!(content_type(&missing_key), "application/problem+json");

    let feed = get_authed(&gateway, &state, "/state/v1/events?after=0&limit=100").await;
    assert_eq!(feed.status(), StatusCode::OK);
    let feed = body_json(feed).await;
    let events = feed["events"].as_array().unwrap();
    assert_eq!(
        events.len(),
        1,
        "one event for one message sent twice: {feed}"
    );
    assert_eq!(events[0]["kind"], "inbound.received");
    assert_eq!(events[0]["receiptId"], receipt.as_str());
    assert_eq!(events[0]["partner"], "tribe-0123");
    assert_eq!(events[0]["payload"]["messageId"], "MSG-1");
    assert_eq!(feed["nextCursor"], events[0]["id"]);

    let operator = gateway.token("night-shift", Role::Operator).await;
    let receipts = body_json(get_authed(&gateway, &operator, "/operator/v1/receipts").await).await;
    assert_eq!(receipts.as_array().map(Vec::len), Some(1), "{receipts}");

    gateway.stop().await;
    t.cleanup().await;
}

/// Every other field of the API is camelCase, and so is the event feed's `receiptId`.
async fn a_partner_receipt_names_its_id_in_camel_case(t: TestDb) {
    let mock = MockPartner::start(Behaviour::default()).await;
    let gateway = TestApp::spawn(&t, vec![dev_partner(&mock)]).await;
    let certs = dev_certificates(&t);
    let client = mtls_client(
        &certs.ca_cert,
        Some((&certs.partner_cert, &certs.partner_key)),
    );
    let first = send_partner_message(&client, &gateway, Some("MSG-1"), "{}").await;
    assert_eq!(first.status(), StatusCode::ACCEPTED);
    let first = body_json(first).await;
    assert!(first["receiptId"].is_string(), "{first}");
    assert!(first.get("receipt_id").is_none(), "{first}");
    let again = body_json(send_partner_message(&client, &gateway, Some("MSG-1"), "{}").await).await;
    assert_eq!(again["status"], "duplicate");
    assert_eq!(again["receiptId"], first["receiptId"], "{again}");
    gateway.stop().await;
    t.cleanup().await;
}

async fn the_event_feed_pages_with_a_cursor_and_bounds_its_limit(t: TestDb) {
    let mock = MockPartner::start(Behaviour::default()).await;
    let gateway = TestApp::spawn(&t, vec![dev_partner(&mock)]).await;
    let state = gateway.token("case-system", Role::StateSystem).await;
    let certs = dev_certificates(&t);
    let client = mtls_client(
        &certs.ca_cert,
        Some((&certs.partner_cert, &certs.partner_key)),
    );

    let mut receipts = Vec::new();
    for n in 1..=3 {
        let sent = send_partner_message(&client, &gateway, Some(&format!("MSG-{n}")), "{}").await;
        assert_eq!(sent.status(), StatusCode::ACCEPTED);
        receipts.push(receipt_of(&body_json(sent).await));
    }

    let mut cursor = 0;
    let mut seen = Vec::new();
    for _ in 0..10 {
        let page = get_authed(
            &gateway,
            &state,
            &format!("/state/v1/events?after={cursor}&limit=1"),
        )
        .await;
        assert_eq!(page.status(), StatusCode::OK);
        let page = body_json(page).await;
        let events = page["events"].as_array().unwrap();
        assert!(events.len() <= 1, "limit 1 honoured: {page}");
        let next = page["nextCursor"].as_i64().unwrap();
        if events.is_empty() {
            assert_eq!(next, cursor, "an empty page keeps the cursor");
            break;
        }
        assert!(next > cursor, "the cursor moves on");
        seen.push(events[0]["receiptId"].as_str().unwrap().to_string());
        cursor = next;
    }
    assert_eq!(seen, receipts, "every event once, in arrival order");

    for bad in ["limit=0", "limit=5000", "after=-1&limit=10"] {
        let refused = get_authed(&gateway, &state, &format!("/state/v1/events?{bad}")).await;
        assert_eq!(refused.status(), StatusCode::BAD_REQUEST, "{bad}");
        assert_eq!(content_type(&refused), "application/problem+json");
    }

    gateway.stop().await;
    t.cleanup().await;
}

async fn a_certificate_bound_to_no_partner_or_no_certificate_at_all_gets_nothing(t: TestDb) {
    let mock = MockPartner::start(Behaviour::default()).await;
    let gateway = TestApp::spawn(&t, vec![dev_partner(&mock)]).await;
    let state = gateway.token("case-system", Role::StateSystem).await;
    let certs = dev_certificates(&t);

    let out = tempfile::tempdir().unwrap();
    let stranger =
        issue_client_certificate(&certs.ca_cert, &certs.ca_key, "stranger-bank", out.path())
            .expect("a client certificate from the same CA");
    let client = mtls_client(&certs.ca_cert, Some((&stranger.cert, &stranger.key)));
    let refused = send_partner_message(&client, &gateway, Some("MSG-1"), "{}").await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    assert_eq!(content_type(&refused), "application/problem+json");
    let whoami = client
        .get(partner_url(&gateway, "/partner/v1/whoami"))
        .send()
        .await
        .unwrap();
    assert_eq!(whoami.status(), StatusCode::FORBIDDEN);

    let anonymous = mtls_client(&certs.ca_cert, None);
    let outcome = anonymous
        .post(partner_url(&gateway, "/partner/v1/messages"))
        .header("Idempotency-Key", "MSG-2")
        .body("{}")
        .send()
        .await;
    assert!(
        outcome.is_err(),
        "a request without a client certificate completed: {:?}",
        outcome.map(|r| r.status())
    );

    let feed =
        body_json(get_authed(&gateway, &state, "/state/v1/events?after=0&limit=100").await).await;
    assert_eq!(feed["events"], json!([]), "nothing was received");

    gateway.stop().await;
    t.cleanup().await;
}

// ---------------------------------------------------------------------------------------
// Operator API
// ---------------------------------------------------------------------------------------

async fn post_action(
    gateway: &TestApp,
    bearer: &str,
    path: &str,
    body: Value,
) -> reqwest::Response {
    http()
        .post(gateway.url(path))
        .bearer_auth(bearer)
        .json(&body)
        .send()
        .await
        .expect("POST action")
}

async fn an_operator_redelivers_a_dead_letter_and_the_audit_chain_records_it(t: TestDb) {
    let partner = MockPartner::start(Behaviour {
        reject: Arc::new(|_| true),
        ..Behaviour::default()
    })
    .await;
    let gateway = TestApp::spawn(&t, vec![http_partner("state-19", &partner.endpoint(), 5)]).await;
    let state = gateway.token("case-system", Role::StateSystem).await;
    let operator = gateway.token("night-shift", Role::Operator).await;

    assert_eq!(
        put_case(&gateway, &state, TANF_ID, TANF).await.status(),
        StatusCode::CREATED
    );
    let queued = post_transaction(
        &gateway,
        &state,
        TANF_ID,
        json!({ "partner": "state-19", "format": "case-json" }),
    )
    .await;
    assert_eq!(queued.status(), StatusCode::ACCEPTED);
    let id = body_json(queued).await["messageId"].as_i64().unwrap();

    let dead = wait_until(WAIT, || async {
        let listed =
            body_json(get_authed(&gateway, &operator, "/operator/v1/outbox?state=dead").await)
                .await;
        listed
            .as_array()
            .is_some_and(|l| l.iter().any(|m| m["id"] == id))
    })
    .await;
    assert!(dead, "the rejected message never went to dead letter");

    let bad_filter = get_authed(&gateway, &operator, "/operator/v1/outbox?state=lost").await;
    assert_eq!(bad_filter.status(), StatusCode::BAD_REQUEST);

    let shown = get_authed(&gateway, &operator, &format!("/operator/v1/outbox/{id}")).await;
    assert_eq!(shown.status(), StatusCode::OK);
    let shown_text = shown.text().await.unwrap();
    let shown: Value = serde_json::from_str(&shown_text).unwrap();
    assert_eq!(shown["state"], "dead");
    assert_eq!(shown["partner"], "state-19");
    let attempts = shown["attempts"].as_array().expect("attempts");
    assert_eq!(attempts.len(), 1, "{shown}");
    assert_eq!(attempts[0]["outcome"], "rejected");
    assert_eq!(attempts[0]["status"], 422);
    assert!(shown.get("payload").is_none(), "the payload is never shown");
    assert!(shown["payloadSha256"].is_string());
    for personal in [
        "SAMPLE",
        "123-45-6789",
        "123456789",
        "234567890",
        "EXAMPLE AVE",
    ] {
        assert!(!shown_text.contains(personal), "{personal} in {shown_text}");
    }
    let missing = get_authed(&gateway, &operator, "/operator/v1/outbox/999999").await;
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);

    let redeliver = format!("/operator/v1/outbox/{id}/redeliver");
    let no_reason = post_action(&gateway, &operator, &redeliver, json!({ "reason": "" })).await;
    assert_eq!(no_reason.status(), StatusCode::BAD_REQUEST);
    assert_eq!(content_type(&no_reason), "application/problem+json");
    let blank_reason =
        post_action(&gateway, &operator, &redeliver, json!({ "reason": "   " })).await;
    assert_eq!(blank_reason.status(), StatusCode::BAD_REQUEST);

    let state_may_not =
        post_action(&gateway, &state, &redeliver, json!({ "reason": "mine" })).await;
    assert_eq!(state_may_not.status(), StatusCode::FORBIDDEN);
    for path in [
        "/operator/v1/outbox",
        "/operator/v1/audit",
        "/operator/v1/audit/verify",
    ] {
        assert_eq!(
            get_authed(&gateway, &state, path).await.status(),
            StatusCode::FORBIDDEN,
            "{path}"
        );
    }

    partner.set_behaviour(Behaviour::default());
    let redelivered = post_action(
        &gateway,
        &operator,
        &redeliver,
        json!({ "reason": "partner fixed its schema" }),
    )
    .await;
    assert_eq!(redelivered.status(), StatusCode::OK);
    assert_eq!(
        body_json(redelivered).await,
        json!({ "messageId": id, "state": "pending" })
    );

    let delivered = wait_until(WAIT, || async {
        let shown =
            body_json(get_authed(&gateway, &operator, &format!("/operator/v1/outbox/{id}")).await)
                .await;
        shown["state"] == "delivered"
    })
    .await;
    assert!(delivered, "the redelivered message never arrived");
    assert_eq!(
        partner.log.lock().unwrap().applied,
        vec![format!("case-{TANF_ID}-v1")]
    );

    let audit = get_authed(&gateway, &operator, "/operator/v1/audit").await;
    assert_eq!(audit.status(), StatusCode::OK);
    let audit = body_json(audit).await;
    let entries = audit.as_array().unwrap();
    let entry = entries
        .iter()
        .find(|e| e["action"] == "outbox.redeliver")
        .unwrap_or_else(|| panic!("no outbox.redeliver entry: {audit}"));
    assert_eq!(entry["actor"], "operator:night-shift");
    assert_eq!(entry["reason"], "partner fixed its schema");

    let verify = get_authed(&gateway, &operator, "/operator/v1/audit/verify").await;
    assert_eq!(verify.status(), StatusCode::OK);
    let verdict = body_json(verify).await;
    assert_eq!(verdict["intact"]["entries"], 1, "{verdict}");
    assert!(
        verdict["intact"]["checkpoints"].as_i64() >= Some(1),
        "checked against the gateway's checkpoint: {verdict}"
    );

    let partners = body_json(get_authed(&gateway, &operator, "/operator/v1/partners").await).await;
    assert_eq!(partners[0]["id"], "state-19");

    gateway.stop().await;
    t.cleanup().await;
}
