//! One gateway in the test's own process, the way most tests want it: a fresh database
//! (the test's [`TestDb`]), every listener on port 0 (the kernel picks; nothing to race
//! for), scratch directories for keys and files, an HTTP client, and tokens issued on the
//! gateway's own database.
//!
//! ```ignore
//! let app = TestApp::spawn(&t, vec![http_partner("state-19", &partner.endpoint(), 5)]).await;
//! let token = app.token("case-system", Role::StateSystem).await;
//! let answer = app.http.get(app.url("/state/v1/events")).bearer_auth(&token).send().await;
//! app.stop().await;
//! ```

use std::ops::Deref;
use std::time::Duration;

use ivd_gateway::app::{BoundListeners, RunningGateway};
use ivd_gateway::config::{PartnerSettings, Settings};
use ivd_gateway::store::now_ms;
use ivd_gateway::store::tokens::{self, Role};
use ivd_gateway::tls::{DevCertificates, ensure_dev_certificates};
use serde_json::Value;

use super::{TestDb, gateway_settings};

/// A running in-process gateway and an HTTP client for it.
pub struct TestApp {
    /// The gateway (its addresses, its state); [`TestApp`] derefs to it.
    pub gateway: RunningGateway,
    /// A client with a 60 s timeout, for the API listener.
    pub http: reqwest::Client,
}

impl TestApp {
    /// A gateway on `t`'s database with the test settings ([`gateway_settings`]) and
    /// these partners.
    pub async fn spawn(t: &TestDb, partners: Vec<PartnerSettings>) -> TestApp {
        TestApp::spawn_with(gateway_settings(t, partners)).await
    }

    /// A gateway with `settings` (start from [`gateway_settings`] and change what the test
    /// is about).
    pub async fn spawn_with(settings: Settings) -> TestApp {
        TestApp::spawn_on(settings, BoundListeners::default()).await
    }

    /// A gateway with `settings` on listeners the test bound beforehand (when another
    /// gateway's settings must name its port before it starts).
    pub async fn spawn_on(settings: Settings, listeners: BoundListeners) -> TestApp {
        let gateway = RunningGateway::start_on(settings, listeners)
            .await
            .unwrap_or_else(|e| panic!("the gateway starts: {e:#}"));
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(60))
            .build()
            .expect("an HTTP client");
        TestApp { gateway, http }
    }

    /// The API listener's URL of `path` (`/state/v1/…`).
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.gateway.api_addr, path)
    }

    /// A new token for `role`, named `name`, issued on the gateway's database.
    pub async fn token(&self, name: &str, role: Role) -> String {
        tokens::issue(&self.gateway.state.db, name, role, now_ms())
            .await
            .expect("a token is issued")
    }

    /// The URL of `path` on the partner listener (mutual TLS; the name the development
    /// server certificate carries).
    pub fn partner_url(&self, path: &str) -> String {
        format!(
            "https://localhost:{}{}",
            self.gateway.partner_addr.port(),
            path
        )
    }

    /// The development certificates the gateway made in its TLS directory: the CA, its
    /// server certificate and the `dev-partner` client certificate.
    pub fn dev_certificates(&self) -> DevCertificates {
        ensure_dev_certificates(&self.gateway.state.settings.tls.dir)
            .expect("the development certificates")
    }

    /// A client of the partner listener presenting the `dev-partner` certificate (the one
    /// [`super::bind_dev_partner`] binds to a partner).
    pub fn dev_partner_client(&self) -> reqwest::Client {
        let certs = self.dev_certificates();
        super::mtls_client(
            &certs.ca_cert,
            Some((&certs.partner_cert, &certs.partner_key)),
        )
    }

    /// A browser-like visitor of its web pages.
    pub fn visitor(&self) -> super::pages::Visitor {
        super::pages::Visitor::new(self.url(""))
    }

    /// The state's case system, with a new token of its own.
    pub async fn case_system(&self) -> CaseSystem {
        let token = self.token("case-system", Role::StateSystem).await;
        CaseSystem::new(self.url(""), token)
    }

    /// Stops the gateway gracefully.
    pub async fn stop(self) {
        self.gateway.stop().await;
    }
}

impl Deref for TestApp {
    type Target = RunningGateway;

    fn deref(&self) -> &RunningGateway {
        &self.gateway
    }
}

/// A state's case system using the gateway's API with its token, as the state's own system
/// does: it stores cases, asks for transactions and reads its event feed.
pub struct CaseSystem {
    base: String,
    /// Its bearer token.
    pub token: String,
    http: reqwest::Client,
}

impl CaseSystem {
    /// The case system of the gateway whose API is at `base` (`http://host:port`).
    pub fn new(base: String, token: String) -> CaseSystem {
        CaseSystem {
            base,
            token,
            http: reqwest::Client::new(),
        }
    }

    /// Stores `case` (canonical case JSON) under its own `id`; the gateway must accept it.
    pub async fn put_case(&self, case: &str) {
        let id = serde_json::from_str::<Value>(case).expect("case JSON")["id"]
            .as_str()
            .expect("the case has an id")
            .to_string();
        let answer = self
            .http
            .put(format!("{}/state/v1/cases/{id}", self.base))
            .bearer_auth(&self.token)
            .header("content-type", "application/json")
            .body(case.to_string())
            .send()
            .await
            .expect("PUT case");
        let status = answer.status();
        assert!(
            status.is_success(),
            "{status} storing {id}: {}",
            answer.text().await.unwrap_or_default()
        );
    }

    /// Asks for a transaction on `case_id`: the answer's status and body (`null` when the
    /// body is not JSON).
    pub async fn ask(&self, case_id: &str, request: Value) -> (u16, Value) {
        let answer = self
            .http
            .post(format!(
                "{}/state/v1/cases/{case_id}/transactions",
                self.base
            ))
            .bearer_auth(&self.token)
            .json(&request)
            .send()
            .await
            .expect("POST transaction");
        let status = answer.status().as_u16();
        (status, answer.json().await.unwrap_or(Value::Null))
    }

    /// The events of `kind` in its feed (`GET /state/v1/events`), oldest first.
    pub async fn events(&self, kind: &str) -> Vec<Value> {
        let feed: Value = self
            .http
            .get(format!("{}/state/v1/events?after=0&limit=1000", self.base))
            .bearer_auth(&self.token)
            .send()
            .await
            .expect("GET events")
            .json()
            .await
            .expect("the feed is JSON");
        feed["events"]
            .as_array()
            .expect("an events array")
            .iter()
            .filter(|e| e["kind"] == kind)
            .cloned()
            .collect()
    }
}
