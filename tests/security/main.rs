//! The security guarantees of `SECURITY.md`, each proven here against a running gateway:
//! who may connect and speak for whom, what each token may do, what the audit chain
//! notices, what limits hold, what hostile input does (nothing), and that no SSN or name
//! ever reaches a log line, a metric or an error body.

#[path = "../support/mod.rs"]
mod support;

mod audit_chain;
mod hostile_xml;
mod http_edges;
mod identity;
mod partners_and_data;
mod role_table;

use std::time::Duration;

use crate::support::app::TestApp;
use crate::support::issue_token;
use ivd_gateway::app::RunningGateway;
use ivd_gateway::config::{InterstateSettings, PartnerKind};
use ivd_gateway::store::now_ms;
use ivd_gateway::store::tokens::{self, Role};
use ivd_gateway::tls::issue_client_certificate;
use serde_json::{Value, json};
use support::{
    Behaviour, GatewayProcess, MockPartner, TestDb, gateway_settings, http_partner, mtls_client,
    wait_until,
};

on_both_backends!(
    a_partner_certificate_cannot_speak_for_another_state,
    an_employer_token_for_one_fein_cannot_report_for_another,
    an_operator_without_the_fti_role_cannot_read_federal_tax_information,
    an_audit_row_edited_by_hand_breaks_the_chain,
    sql_metacharacters_are_stored_verbatim_and_do_nothing,
);

const TANF: &str = include_str!("../../schemas/samples/case-tanf.json");
const PROTECTED: &str = include_str!("../../schemas/samples/case-protected.json");
const ENF_FROM_27: &[u8] = include_bytes!("../../adapters/csenet/samples/enf-request-outbound.txt");

fn api(gateway: &RunningGateway) -> String {
    format!("http://{}", gateway.api_addr)
}

fn partner_url(gateway: &RunningGateway, path: &str) -> String {
    format!("https://localhost:{}{path}", gateway.partner_addr.port())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_a_certificate_from_the_partner_ca_bound_to_a_partner_gets_in() {
    let t = TestDb::sqlite().await;
    let mock = MockPartner::start(Behaviour::default()).await;
    let mut partner = http_partner("state-27", &mock.endpoint(), 3);
    support::bind_dev_partner(&mut partner);
    let settings = gateway_settings(&t, vec![partner]);
    let gateway = TestApp::spawn_with(settings).await;
    let certs = gateway.dev_certificates();
    let out = tempfile::tempdir().unwrap();
    let url = partner_url(&gateway, "/partner/v1/whoami");

    // The bound certificate: in, as its partner.
    let bound = gateway.dev_partner_client();
    let whoami: Value = bound.get(&url).send().await.unwrap().json().await.unwrap();
    assert_eq!(whoami["partner"], "state-27");

    // No certificate, an expired one, one from another CA, a self-signed one: the TLS
    // handshake fails, no request is read.
    let expired = ivd_testkit::tls::issue_expired_client_certificate(
        &certs.ca_cert,
        &certs.ca_key,
        "dev-partner",
        out.path(),
    )
    .unwrap();
    let foreign_dir = out.path().join("foreign");
    std::fs::create_dir_all(&foreign_dir).unwrap();
    let foreign =
        ivd_testkit::tls::issue_foreign_client_certificate("dev-partner", &foreign_dir).unwrap();
    let selfsigned = rcgen::generate_simple_self_signed(vec!["dev-partner".to_string()]).unwrap();
    let selfsigned_cert = out.path().join("self-signed.pem");
    let selfsigned_key = out.path().join("self-signed-key.pem");
    std::fs::write(&selfsigned_cert, selfsigned.cert.pem()).unwrap();
    std::fs::write(&selfsigned_key, selfsigned.signing_key.serialize_pem()).unwrap();
    for (what, identity) in [
        ("no certificate", None),
        (
            "an expired certificate",
            Some((expired.cert.as_path(), expired.key.as_path())),
        ),
        (
            "a certificate from another CA",
            Some((foreign.cert.as_path(), foreign.key.as_path())),
        ),
        (
            "a self-signed certificate",
            Some((selfsigned_cert.as_path(), selfsigned_key.as_path())),
        ),
    ] {
        let client = mtls_client(&certs.ca_cert, identity);
        let outcome = client.get(&url).send().await;
        assert!(
            outcome.is_err(),
            "{what} got in: {:?}",
            outcome.map(|r| r.status())
        );
    }

    // A valid certificate from the right CA, bound to no partner: refused at the door.
    let stranger =
        issue_client_certificate(&certs.ca_cert, &certs.ca_key, "stranger", out.path()).unwrap();
    let client = mtls_client(&certs.ca_cert, Some((&stranger.cert, &stranger.key)));
    assert_eq!(
        client.get(&url).send().await.unwrap().status().as_u16(),
        403
    );
    gateway.stop().await;
    t.cleanup().await;
}

async fn a_partner_certificate_cannot_speak_for_another_state(t: TestDb) {
    // The certificate is bound to Wisconsin (55); the transaction says it is from 27.
    let mock = MockPartner::start(Behaviour::default()).await;
    let mut partner = http_partner("state-55", &mock.endpoint(), 3);
    support::bind_dev_partner(&mut partner);
    partner.interstate = Some(InterstateSettings {
        fips: "5500000".into(),
        functions: vec!["ENF".into()],
    });
    let mut settings = gateway_settings(&t, vec![partner]);
    settings.state.fips = Some("0603701".into());
    let gateway = TestApp::spawn_with(settings).await;
    let client = gateway.dev_partner_client();
    let answer: Value = client
        .post(partner_url(&gateway, "/partner/v1/csenet"))
        .body(ENF_FROM_27.to_vec())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let verdict = &answer["transactions"][0];
    assert_eq!(verdict["status"], "rejected", "{answer}");
    assert_eq!(verdict["errors"][0]["code"], "SENDER_FIPS", "{answer}");
    let events = ivd_gateway::store::events::list_after(&t.db, 0, 10)
        .await
        .unwrap();
    assert!(
        events.iter().all(|e| e.kind != "csenet.received"),
        "nothing applied"
    );
    gateway.stop().await;
    t.cleanup().await;
}

async fn an_employer_token_for_one_fein_cannot_report_for_another(t: TestDb) {
    let settings = gateway_settings(&t, Vec::new());
    let gateway = TestApp::spawn_with(settings).await;
    let acme = ivd_model::Fein::parse("411234567").unwrap();
    let token = tokens::issue_scoped(&t.db, "acme-payroll", Role::Employer, &[acme], now_ms())
        .await
        .unwrap();
    // A file for another employer's FEIN (the generator's default employer is not Acme).
    let mut file = Vec::new();
    ivd_newhire::generate::write_file(
        ivd_newhire::Format::W4,
        3,
        11,
        0.0,
        time::macros::date!(2026 - 11 - 02),
        &mut file,
        |_| {},
    )
    .unwrap();
    let refused = reqwest::Client::new()
        .post(format!("{}/employer/v1/new-hires?format=w4", api(&gateway)))
        .bearer_auth(&token)
        .body(file)
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status().as_u16(), 403);
    let body = refused.text().await.unwrap();
    assert!(body.contains("FEIN"), "{body}");
    let (accepted,): (i64,) = ivd_gateway::on_read!(&t.db, c => {
        sqlx::query_as("SELECT COUNT(*) FROM new_hire_records WHERE status = 'accepted'")
            .fetch_one(c).await.unwrap()
    });
    assert_eq!(accepted, 0, "nothing was accepted for the other FEIN");
    gateway.stop().await;
    t.cleanup().await;
}

async fn an_operator_without_the_fti_role_cannot_read_federal_tax_information(t: TestDb) {
    let settings = gateway_settings(&t, Vec::new());
    let gateway = TestApp::spawn_with(settings).await;
    let operator = issue_token(&t.db, "ops-jane", Role::Operator).await;
    let admin = issue_token(&t.db, "admin-kim", Role::Admin).await;
    let reader = issue_token(&t.db, "fti-reader", Role::FtiReader).await;
    let http = reqwest::Client::new();
    let read = |token: String, path: &'static str| {
        let request = http
            .get(format!("{}{path}", api(&gateway)))
            .bearer_auth(token);
        async move { request.send().await.unwrap().status().as_u16() }
    };
    for path in [
        "/fti/v1/offset/collections/C-1",
        "/fti/v1/offset/reconciliations/1",
    ] {
        assert_eq!(
            read(operator.clone(), path).await,
            403,
            "operator on {path}"
        );
        assert_eq!(read(admin.clone(), path).await, 403, "admin on {path}");
        // The FTI reader gets through to the data (none here).
        assert_eq!(
            read(reader.clone(), path).await,
            404,
            "fti-reader on {path}"
        );
    }
    // And the FTI reader may not act as an operator.
    assert_eq!(read(reader.clone(), "/operator/v1/outbox").await, 403);
    gateway.stop().await;
    t.cleanup().await;
}

async fn an_audit_row_edited_by_hand_breaks_the_chain(t: TestDb) {
    let settings = gateway_settings(&t, Vec::new());
    let gateway = TestApp::spawn_with(settings).await;
    let operator = issue_token(&t.db, "ops-jane", Role::Operator).await;
    for n in 0..3 {
        let mut tx = t.db.begin().await.unwrap();
        ivd_gateway::audit::append(
            &mut tx,
            &ivd_gateway::audit::NewEntry {
                actor: "operator:ops-jane",
                action: "outbox.redeliver",
                subject: &format!("message:{n}"),
                reason: Some("partner fixed its endpoint"),
                details: json!({}),
            },
            now_ms(),
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
    }
    let verify = |token: String| {
        let request = reqwest::Client::new()
            .get(format!("{}/operator/v1/audit/verify", api(&gateway)))
            .bearer_auth(token);
        async move { request.send().await.unwrap().json::<Value>().await.unwrap() }
    };
    let intact = verify(operator.clone()).await;
    assert_eq!(intact["intact"]["entries"], 3, "{intact}");
    // Someone with database access softens a reason.
    ivd_gateway::on_db!(&t.db, c => {
        sqlx::query("UPDATE audit_log SET reason = 'routine' WHERE seq = 2")
            .execute(c).await.unwrap().rows_affected()
    });
    let broken = verify(operator).await;
    assert_eq!(
        broken["broken"]["seq"], 2,
        "the edited row is named: {broken}"
    );
    assert_eq!(broken["broken"]["verified"], 1, "{broken}");
    gateway.stop().await;
    t.cleanup().await;
}

async fn sql_metacharacters_are_stored_verbatim_and_do_nothing(t: TestDb) {
    let mock = MockPartner::start(Behaviour {
        reject: std::sync::Arc::new(|_| true),
        ..Behaviour::default()
    })
    .await;
    let mut partner = http_partner("county-9", &mock.endpoint(), 1);
    support::bind_dev_partner(&mut partner);
    partner.kind = PartnerKind::Local;
    let settings = gateway_settings(&t, vec![partner]);
    let gateway = TestApp::spawn_with(settings).await;
    let hostile = "x'); DROP TABLE outbox_messages; -- %_\\ \" OR 1=1 ;";
    let operator = issue_token(&t.db, hostile, Role::Operator).await;
    let http = reqwest::Client::new();

    // A partner's message id (free text from outside) is kept as it came.
    let client = gateway.dev_partner_client();
    let sent = client
        .post(partner_url(&gateway, "/partner/v1/messages"))
        .header("idempotency-key", hostile)
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(sent.status().as_u16(), 202);
    let (kept,): (String,) = ivd_gateway::on_read!(&t.db, c => {
        sqlx::query_as("SELECT message_id FROM inbound_receipts").fetch_one(c).await.unwrap()
    });
    assert_eq!(kept, hostile);

    // An operator's reason for redelivering a dead letter, and the operator's own name,
    // go into the audit trail exactly.
    let mut tx = t.db.begin().await.unwrap();
    ivd_gateway::outbox::enqueue(
        &mut tx,
        &support::test_message("county-9", "k", 1, 1, now_ms()),
        now_ms(),
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    gateway.state.dispatcher_wake.notify_one();
    let dead = wait_until(Duration::from_secs(20), || async {
        !ivd_gateway::outbox::store::list(
            &t.db,
            &ivd_gateway::outbox::store::ListFilter {
                state: Some(ivd_gateway::outbox::MessageState::Dead),
                ..Default::default()
            },
        )
        .await
        .unwrap()
        .is_empty()
    })
    .await;
    assert!(dead);
    let redelivered = http
        .post(format!("{}/operator/v1/outbox/1/redeliver", api(&gateway)))
        .bearer_auth(&operator)
        .json(&json!({ "reason": hostile }))
        .send()
        .await
        .unwrap();
    assert!(redelivered.status().is_success());
    let audit: Value = http
        .get(format!("{}/operator/v1/audit", api(&gateway)))
        .bearer_auth(&operator)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let entry = audit
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["action"] == "outbox.redeliver")
        .unwrap();
    assert_eq!(entry["reason"], hostile);
    assert_eq!(entry["actor"], format!("operator:{hostile}"));

    // Every table is still there and the chain holds.
    let (messages,): (i64,) = ivd_gateway::on_read!(&t.db, c => {
        sqlx::query_as("SELECT COUNT(*) FROM outbox_messages").fetch_one(c).await.unwrap()
    });
    assert_eq!(messages, 1);
    let verdict = ivd_gateway::audit::verify(&t.db).await.unwrap();
    assert!(
        matches!(verdict, ivd_gateway::audit::Verification::Intact { .. }),
        "{verdict:?}"
    );
    gateway.stop().await;
    t.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_bodies_and_hostile_xml_are_refused() {
    let t = TestDb::sqlite().await;
    let mock = MockPartner::start(Behaviour::default()).await;
    let mut tribe = http_partner("tribe-90830", &mock.endpoint(), 3);
    tribe.kind = PartnerKind::Tribe;
    support::bind_dev_partner(&mut tribe);
    tribe.tribal = Some(ivd_gateway::config::TribalAgreement {
        locator: "90830".into(),
        functions: vec!["CSI".into()],
        format: Default::default(),
    });
    let mut settings = gateway_settings(&t, vec![tribe]);
    settings.state.fips = Some("5500000".into());
    settings.server.max_body_bytes = 64 * 1024;
    let gateway = TestApp::spawn_with(settings).await;
    let client = gateway.dev_partner_client();
    let system = issue_token(&t.db, "case-system", Role::StateSystem).await;

    // Over the body limit: 413 on both listeners, nothing stored.
    let big = vec![b'x'; 65 * 1024];
    let status = client
        .post(partner_url(&gateway, "/partner/v1/tribal"))
        .body(big.clone())
        .send()
        .await
        .unwrap()
        .status();
    assert_eq!(status.as_u16(), 413);
    let status = reqwest::Client::new()
        .put(format!("{}/state/v1/cases/MN-0001234", api(&gateway)))
        .bearer_auth(&system)
        .header("content-type", "application/json")
        .body(big)
        .send()
        .await
        .unwrap()
        .status();
    assert_eq!(status.as_u16(), 413);

    // Billion laughs and an external entity: refused before any entity is expanded or
    // any file read; the answer names the problem and quotes nothing.
    let laughs = r#"<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;"><!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<TribalExchange xmlns="urn:ivd-gateway:tribal-exchange:1"><Header><MessageID>&lol3;</MessageID></Header></TribalExchange>"#;
    let external = r#"<?xml version="1.0"?>
<!DOCTYPE x [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<TribalExchange xmlns="urn:ivd-gateway:tribal-exchange:1"><Header><MessageID>&secret;</MessageID></Header></TribalExchange>"#;
    for document in [laughs, external] {
        let answer = client
            .post(partner_url(&gateway, "/partner/v1/tribal"))
            .body(document)
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status().as_u16(), 422);
        let body = answer.text().await.unwrap();
        assert!(body.contains("XML_DOCTYPE"), "{body}");
        assert!(
            !body.contains("lollol") && !body.contains("root:"),
            "{body}"
        );
    }
    // The same for an employer's XML new-hire file.
    let acme = ivd_model::Fein::parse("411234567").unwrap();
    let employer = tokens::issue_scoped(&t.db, "acme", Role::Employer, &[acme], now_ms())
        .await
        .unwrap();
    let xxe = r#"<?xml version="1.0"?><!DOCTYPE x [<!ENTITY s SYSTEM "file:///etc/passwd">]><NewHireReport>&s;</NewHireReport>"#;
    let answer = reqwest::Client::new()
        .post(format!(
            "{}/employer/v1/new-hires?format=xml",
            api(&gateway)
        ))
        .bearer_auth(&employer)
        .body(xxe)
        .send()
        .await
        .unwrap();
    let body = answer.text().await.unwrap();
    assert!(!body.contains("root:"), "{body}");
    gateway.stop().await;
    t.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_over_the_quota_get_429_and_others_are_unaffected() {
    let t = TestDb::sqlite().await;
    let mock = MockPartner::start(Behaviour::default()).await;
    let mut partner = http_partner("state-27", &mock.endpoint(), 3);
    support::bind_dev_partner(&mut partner);
    let mut settings = gateway_settings(&t, vec![partner]);
    settings.server.partner_requests_per_minute = 3;
    settings.server.token_requests_per_minute = 3;
    let gateway = TestApp::spawn_with(settings).await;
    let greedy = issue_token(&t.db, "greedy", Role::Operator).await;
    let polite = issue_token(&t.db, "polite", Role::Operator).await;
    let http = reqwest::Client::new();
    let list_partners = |token: &str| {
        http.get(format!("{}/operator/v1/partners", api(&gateway)))
            .bearer_auth(token.to_string())
            .send()
    };
    for _ in 0..3 {
        assert_eq!(list_partners(&greedy).await.unwrap().status().as_u16(), 200);
    }
    let refused = list_partners(&greedy).await.unwrap();
    assert_eq!(refused.status().as_u16(), 429);
    let wait: u64 = refused.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&wait));
    assert_eq!(
        list_partners(&polite).await.unwrap().status().as_u16(),
        200,
        "another token is not held back"
    );
    // Health and metrics carry no token: never limited.
    for _ in 0..5 {
        let health = http
            .get(format!("{}/healthz", api(&gateway)))
            .send()
            .await
            .unwrap();
        assert_eq!(health.status().as_u16(), 200);
    }
    let client = gateway.dev_partner_client();
    let url = partner_url(&gateway, "/partner/v1/whoami");
    for _ in 0..3 {
        assert_eq!(
            client.get(&url).send().await.unwrap().status().as_u16(),
            200
        );
    }
    assert_eq!(
        client.get(&url).send().await.unwrap().status().as_u16(),
        429
    );
    gateway.stop().await;
    t.cleanup().await;
}

/// Every synthetic SSN (bare and dashed) and name the run below uses.
fn personal_values(new_hires: &[u8]) -> Vec<String> {
    let mut values = Vec::new();
    for sample in [TANF, PROTECTED] {
        let case = ivd_casejson::read_case(sample.as_bytes()).unwrap();
        for participant in &case.participants {
            let person = &participant.person;
            if let Some(ssn) = &person.ssn {
                values.push(ssn.expose().to_string());
            }
            let name = person.name.expose();
            values.extend([name.first.to_string(), name.last.to_string()]);
        }
    }
    let reader = ivd_newhire::read_new_hires(
        ivd_newhire::Format::W4,
        std::io::BufReader::new(new_hires),
        &ivd_newhire::Rules::new(time::macros::date!(2026 - 11 - 02)),
    );
    for outcome in reader {
        if let Some(hire) = outcome.new_hire {
            values.push(hire.employee.ssn.expose().to_string());
            let name = hire.employee.name.expose();
            values.extend([name.first.to_string(), name.last.to_string()]);
        }
    }
    let mut all = Vec::new();
    for value in values.into_iter().filter(|v| v.len() >= 3) {
        if value.len() == 9 && value.bytes().all(|b| b.is_ascii_digit()) {
            all.push(format!("{}-{}-{}", &value[..3], &value[3..5], &value[5..]));
        }
        all.push(value);
    }
    all.sort();
    all.dedup();
    all
}

/// `value` as a whole word (a name inside another word, an SSN inside a longer number, do
/// not count).
fn contains_word(text: &str, value: &str) -> bool {
    text.match_indices(value).any(|(at, _)| {
        let before = text[..at].chars().next_back();
        let after = text[at + value.len()..].chars().next();
        !before.is_some_and(|c| c.is_ascii_alphanumeric())
            && !after.is_some_and(|c| c.is_ascii_alphanumeric())
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_ssn_or_name_reaches_a_log_a_metric_or_an_error_body() {
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().to_path_buf();
    let partner = MockPartner::start(Behaviour {
        fail_first: 1,
        flaky: std::sync::Arc::new(|_| true),
        ..Behaviour::default()
    })
    .await;
    let config = format!(
        r#"
[database]
url = "sqlite://{dir}/gateway.db"
[server]
listen = "127.0.0.1:0"
partner_listen = "127.0.0.1:0"
shutdown_grace_secs = 2
[tls]
dir = "{dir}/tls"
[state]
fips = "2700000"
[outbox]
poll_interval_ms = 50
[log]
format = "json"
filter = "debug,hyper=info,h2=info,rustls=info,sqlx=info,tower=info"
[employers]
spool_dir = "{dir}/spool"
[[partners]]
id = "state-06"
kind = "state"
certificate_subject = "CN=dev-partner, O=ivd-gateway development (not for production)"
certificate_issuer = "CN=ivd-gateway development CA, O=ivd-gateway development (not for production)"
interstate = {{ fips = "0600000", functions = ["ENF", "CSI", "LO1"] }}
transport = {{ type = "https", endpoint = "{endpoint}", allow_plaintext = true, timeout_secs = 5 }}
retry = {{ min_delay_ms = 50, max_delay_ms = 200, max_attempts = 5 }}
"#,
        dir = dir.display(),
        endpoint = partner.endpoint(),
    );
    let db = ivd_gateway::store::Db::connect(&format!("sqlite://{}/gateway.db", dir.display()))
        .await
        .unwrap();
    db.migrate().await.unwrap();
    let system = issue_token(&db, "case-system", Role::StateSystem).await;
    let acme = ivd_model::Fein::parse("411234567").unwrap();
    let employer = tokens::issue_scoped(
        &db,
        "acme",
        Role::Employer,
        std::slice::from_ref(&acme),
        now_ms(),
    )
    .await
    .unwrap();
    let mut process = GatewayProcess::start(&dir, "gateway", &config);
    let api = process.wait_ready().await.expect("the gateway is up");
    let api = format!("http://{api}");
    let http = reqwest::Client::new();
    let mut error_bodies = Vec::new();

    // Cases, a redacted CSENet request with a retry, a locate about a protected family.
    for sample in [TANF, PROTECTED] {
        let id = serde_json::from_str::<Value>(sample).unwrap()["id"]
            .as_str()
            .unwrap()
            .to_string();
        let put = http
            .put(format!("{api}/state/v1/cases/{id}"))
            .bearer_auth(&system)
            .header("content-type", "application/json")
            .body(sample)
            .send()
            .await
            .unwrap();
        assert!(put.status().is_success());
    }
    for (case, function, reason) in [
        ("MN-0001234", "ENF", "ERWAG"),
        ("MN-0009876", "CSI", "FRINF"),
    ] {
        let asked = http
            .post(format!("{api}/state/v1/cases/{case}/transactions"))
            .bearer_auth(&system)
            .json(&json!({ "partner": "state-06", "format": "csenet", "function": function, "action": "R", "reason": reason }))
            .send()
            .await
            .unwrap();
        assert!(
            asked.status().is_success(),
            "{}",
            asked.text().await.unwrap()
        );
    }
    // Invalid input of every kind, whose error bodies are kept.
    let bad_case = TANF
        .replace("123-45-6789", "000-45-6789")
        .replace("JANE", "J4NE");
    let wrong_type = TANF.replace("\"JOHN\"", "42");
    for body in [bad_case, wrong_type] {
        let answer = http
            .put(format!("{api}/state/v1/cases/MN-0001234"))
            .bearer_auth(&system)
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap();
        assert!(answer.status().is_client_error());
        error_bodies.push(answer.text().await.unwrap());
    }
    // A new-hire file with mistakes in a quarter of its records.
    let mut file = Vec::new();
    ivd_newhire::generate::write_file_with(
        ivd_newhire::generate::Generator::new(5, time::macros::date!(2026 - 11 - 02))
            .with_fein(acme),
        ivd_newhire::Format::W4,
        40,
        0.25,
        &mut file,
        |_| {},
    )
    .unwrap();
    let uploaded: Value = http
        .post(format!("{api}/employer/v1/new-hires?format=w4"))
        .bearer_auth(&employer)
        .body(file.clone())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let receipt = uploaded["receiptId"]
        .as_str()
        .expect("a receipt")
        .to_string();
    let report = http
        .get(format!("{api}/employer/v1/new-hires/{receipt}?limit=1000"))
        .bearer_auth(&employer)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        report.contains("\"invalid\""),
        "some records were refused: {report}"
    );
    error_bodies.push(report);
    assert!(
        wait_until(Duration::from_secs(30), || async {
            partner.applied_count() == 2
        })
        .await
    );

    let metrics = http
        .get(format!("{api}/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    // The partner has applied both; the gateway logs each delivery once it is recorded.
    let log_file = dir.join("gateway.log");
    let delivered_logged = wait_until(Duration::from_secs(30), || async {
        std::fs::read_to_string(&log_file).is_ok_and(|logs| logs.contains("Message delivered"))
    })
    .await;
    drop(process);
    let logs = std::fs::read_to_string(&log_file).unwrap();
    assert!(delivered_logged, "the run logged at debug level: {logs}");
    assert!(
        logs.contains("Delivery attempt failed"),
        "the retry was logged"
    );

    let values = personal_values(&file);
    assert!(values.len() > 40, "the scan knows {} values", values.len());
    for (what, text) in [("logs", &logs), ("metrics", &metrics)]
        .into_iter()
        .chain(error_bodies.iter().map(|b| ("an error body", b)))
    {
        for value in &values {
            assert!(
                !contains_word(text, value),
                "{what} contain a synthetic SSN or name ({} characters)",
                value.len()
            );
        }
    }
    db.close().await;
}
