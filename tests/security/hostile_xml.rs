//! Hostile XML from partners and employers: start tags with huge attribute or namespace
//! lists, and documents with many repeated elements, are refused or read in bounded work.
//!
//! Here end to end: a Tribe's document on the partner listener gets a rejected verdict,
//! an employer's new-hire XML a record-level one. The work bounds themselves are counted
//! in the readers' own tests (`adapters/tribal/src/read.rs`,
//! `adapters/newhire/tests/hostile_xml.rs`).

use ivd_gateway::config::{PartnerKind, TribalAgreement};
use ivd_gateway::store::now_ms;
use ivd_gateway::store::tokens::{self, Role};
use serde_json::Value;

use crate::on_both_backends;
use crate::support::app::TestApp;
use crate::support::{MockPartner, TestDb, gateway_settings, http_partner};

on_both_backends!(
    a_tribes_document_flooding_a_start_tag_with_attributes_or_namespaces_is_rejected,
    an_employers_new_hire_xml_flooding_a_start_tag_gets_a_record_level_verdict,
);

const TRIBAL_REQUEST: &str = include_str!("../../adapters/tribal/samples/csi-request.xml");
const NEW_HIRES: &str = include_str!("../../adapters/newhire/samples/valid.xml");
/// The employer of `NEW_HIRES`.
const NEW_HIRES_FEIN: &str = "562165532";

/// ` a0="" a1="" …`: `n` distinct attributes.
fn attributes(n: usize) -> String {
    (0..n).map(|i| format!(" a{i}=\"\"")).collect()
}

/// ` xmlns:p0="urn:example:0" …`: `n` distinct namespace declarations.
fn namespace_declarations(n: usize) -> String {
    (0..n)
        .map(|i| format!(" xmlns:p{i}=\"urn:example:{i}\""))
        .collect()
}

async fn a_tribes_document_flooding_a_start_tag_with_attributes_or_namespaces_is_rejected(
    t: TestDb,
) {
    let mock = MockPartner::start(Default::default()).await;
    let mut tribe = http_partner("tribe-90830", &mock.endpoint(), 3);
    tribe.kind = PartnerKind::Tribe;
    crate::support::bind_dev_partner(&mut tribe);
    tribe.tribal = Some(TribalAgreement {
        locator: "90830".into(),
        functions: vec!["CSI".into()],
        format: Default::default(),
    });
    let mut settings = gateway_settings(&t, vec![tribe]);
    settings.state.fips = Some("5500000".into());
    let gateway = TestApp::spawn_with(settings).await;
    let tribe = gateway.dev_partner_client();
    let url = format!(
        "https://localhost:{}/partner/v1/tribal",
        gateway.partner_addr.port()
    );

    // The Tribe's request, its root element carrying 100,000 attributes, then 100,000
    // namespace declarations (1.0 and 2.7 MB, both under the body limit).
    let root = "<TribalExchange xmlns=";
    for flood in [attributes(100_000), namespace_declarations(100_000)] {
        let document = TRIBAL_REQUEST.replacen(root, &format!("<TribalExchange{flood} xmlns="), 1);
        assert!(document.len() > 900_000);
        let answer = tribe.post(&url).body(document).send().await.unwrap();
        assert_eq!(answer.status().as_u16(), 422);
        let body: Value = answer.json().await.unwrap();
        let verdict = &body["document"];
        assert_eq!(verdict["status"], "rejected", "{body}");
        assert_eq!(
            verdict["errors"],
            serde_json::json!([{
                "field": "document",
                "code": "XML_MALFORMED",
                "message": "an element with more than 64 attributes (namespace declarations included)",
            }]),
            "{body}"
        );
    }
    gateway.stop().await;
    t.cleanup().await;
}

async fn an_employers_new_hire_xml_flooding_a_start_tag_gets_a_record_level_verdict(t: TestDb) {
    let settings = gateway_settings(&t, vec![]);
    let gateway = TestApp::spawn_with(settings).await;
    let fein = ivd_model::Fein::parse(NEW_HIRES_FEIN).unwrap();
    let employer = tokens::issue_scoped(&t.db, "triangle", Role::Employer, &[fein], now_ms())
        .await
        .unwrap();
    let http = reqwest::Client::new();
    let api = format!("http://{}", gateway.api_addr);

    // The employer's file, its second employee's start tag flooded: the first employee
    // gets a verdict of its own, the second the refusal, and the file stops there.
    let first = NEW_HIRES.find("<Employee>").unwrap();
    let second = first + 1 + NEW_HIRES[first + 1..].find("<Employee>").unwrap();
    let cases = [
        (
            attributes(100_000),
            "an element with more than 64 attributes",
        ),
        (
            namespace_declarations(100_000),
            "an XML text, comment or tag longer than 1048576 bytes",
        ),
    ];
    for (flood, refusal) in cases {
        let file = format!(
            "{}<Employee{flood}>{}",
            &NEW_HIRES[..second],
            &NEW_HIRES[second + "<Employee>".len()..]
        );
        let answer = http
            .post(format!("{api}/employer/v1/new-hires?format=xml"))
            .bearer_auth(&employer)
            .body(file)
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status().as_u16(), 201);
        let receipt: Value = answer.json().await.unwrap();
        assert_eq!(receipt["summary"]["records"], 2, "{receipt}");
        let report: Value = http
            .get(format!(
                "{api}/employer/v1/new-hires/{}",
                receipt["receiptId"].as_str().unwrap()
            ))
            .bearer_auth(&employer)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let records = report["records"].as_array().unwrap();
        assert_eq!(records.len(), 2, "{report}");
        let refused = &records[1];
        assert_eq!(refused["record"], 2);
        assert_eq!(refused["status"], "invalid");
        assert_eq!(refused["problems"][0]["code"], "XML_MALFORMED", "{report}");
        assert_eq!(refused["problems"][0]["message"], refusal, "{report}");
    }
    gateway.stop().await;
    t.cleanup().await;
}
