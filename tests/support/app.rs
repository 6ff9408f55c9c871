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

use ivd_gateway::app::RunningGateway;
use ivd_gateway::config::{PartnerSettings, Settings};
use ivd_gateway::store::now_ms;
use ivd_gateway::store::tokens::{self, Role};

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
        let gateway = RunningGateway::start(settings)
            .await
            .expect("the gateway starts");
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
