//! Two jurisdictions' gateways talking to each other over mutual TLS, each with its own
//! database, certificate and case system, as two states (or a state and a Tribe) run them.
//! Both run in the test's process on listeners bound at port 0 before either starts: each
//! side's partner table names the other's port, and no other process can take a port
//! between the test learning it and the gateway listening on it.
//!
//! ```ignore
//! let pki = Pki::new();
//! let mut a = pki.peer("state-27").await;
//! let mut b = pki.peer("state-06").await;
//! let (to_b, to_a) = (a.agreement_with(&b, "state", INTERSTATE), b.agreement_with(&a, …));
//! a.start("fips = \"2712300\"", &to_b).await;
//! b.start("fips = \"0603701\"", &to_a).await;
//! a.cases().put_case(TANF).await;
//! ```

use std::path::PathBuf;
use std::time::Duration;

use ivd_gateway::app::BoundListeners;
use ivd_gateway::config::Settings;
use ivd_gateway::store::tokens::{self, Role};
use ivd_gateway::store::{Db, now_ms};
use ivd_gateway::tls::{DevCertificates, ensure_dev_certificates, issue_client_certificate};
use serde_json::Value;

use super::app::{CaseSystem, TestApp};
use super::{fingerprint_of, wait_until};

/// A development CA and the scratch directory of both sides.
pub struct Pki {
    pub root: tempfile::TempDir,
    pub dir: PathBuf,
    dev: DevCertificates,
}

impl Pki {
    pub fn new() -> Pki {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("pki");
        let dev = ensure_dev_certificates(&dir).unwrap();
        Pki { root, dir, dev }
    }

    /// One side, named `name` (the partner id the other side knows it by, and its client
    /// certificate's common name): its directory, database, case-system token and bound
    /// listeners. It does not run until [`Peer::start`].
    pub async fn peer(&self, name: &'static str) -> Peer {
        let dir = self.root.path().join(name);
        std::fs::create_dir_all(&dir).unwrap();
        let client =
            issue_client_certificate(&self.dev.ca_cert, &self.dev.ca_key, name, &dir).unwrap();
        let db_url = format!("sqlite://{}/gateway.db", dir.display());
        let keys = dir.join("keys");
        let db = Db::connect(&db_url)
            .await
            .unwrap()
            .with_data_keys(
                ivd_gateway::privacy::DataKeys::load_or_create(&keys.join("data")).unwrap(),
            )
            .with_audit_key(
                ivd_gateway::audit::AuditKey::load_or_create(&keys.join("audit.key")).unwrap(),
            );
        db.migrate().await.unwrap();
        let token = tokens::issue(&db, "case-system", Role::StateSystem, now_ms())
            .await
            .unwrap();
        Peer {
            name,
            dir,
            db_url,
            db,
            token,
            pki: self.dir.clone(),
            client_cert: client.cert,
            client_key: client.key,
            listeners: Some(BoundListeners::loopback().unwrap()),
            app: None,
            cases: None,
        }
    }
}

/// One side of the pair.
pub struct Peer {
    pub name: &'static str,
    pub dir: PathBuf,
    db_url: String,
    /// The side's database, as its gateway sees it (sealed values open).
    pub db: Db,
    /// A token of its case system.
    pub token: String,
    pki: PathBuf,
    client_cert: PathBuf,
    client_key: PathBuf,
    listeners: Option<BoundListeners>,
    app: Option<TestApp>,
    cases: Option<CaseSystem>,
}

/// How one side is configured to see the other: the body of its `[[partners]]` entry
/// (identity, certificate, exchange, transport, retries).
pub struct Agreement(String);

impl Peer {
    fn partner_port(&self) -> u16 {
        match &self.app {
            Some(app) => app.partner_addr.port(),
            None => self
                .listeners
                .as_ref()
                .and_then(BoundListeners::partner_addr)
                .expect("the partner listener is bound")
                .port(),
        }
    }

    /// This side's partner entry for `other`: `kind` (state, tribe), `exchange` the
    /// entry's exchange line (`interstate = {…}` or `tribal = {…}`), delivered by POST to
    /// `path` on the other side's partner listener, given up after `max_attempts`.
    pub fn agreement_with(
        &self,
        other: &Peer,
        kind: &str,
        exchange: &str,
        path: &str,
        max_attempts: u32,
    ) -> Agreement {
        Agreement(format!(
            "id = \"{other_name}\"\nkind = \"{kind}\"\ncertificate_fingerprint = \"{fingerprint}\"\n\
             {exchange}\n\
             transport = {{ type = \"https\", endpoint = \"https://localhost:{port}{path}\", \
             ca = \"{pki}/ca.pem\", client_cert = \"{cert}\", client_key = \"{key}\", timeout_secs = 10 }}\n\
             retry = {{ min_delay_ms = 50, max_delay_ms = 500, max_attempts = {max_attempts} }}\n",
            other_name = other.name,
            fingerprint = fingerprint_of(&other.dir.join(format!("{}.pem", other.name))),
            port = other.partner_port(),
            pki = self.pki.display(),
            cert = self.client_cert.display(),
            key = self.client_key.display(),
        ))
    }

    /// Starts this side's gateway: `identity` is its `[state]` table's body (`fips = …` or
    /// `tribe_code = …`), `agreement` its entry for the other side.
    pub async fn start(&mut self, identity: &str, agreement: &Agreement) {
        let keys = self.dir.join("keys");
        let config = format!(
            "[database]\nurl = \"{db}\"\n\
             [server]\nshutdown_grace_secs = 2\n\
             [tls]\ncert = \"{pki}/server.pem\"\nkey = \"{pki}/server-key.pem\"\nclient_ca = \"{pki}/ca.pem\"\n\
             [state]\n{identity}\n\
             [outbox]\npoll_interval_ms = 50\n\
             [privacy]\nlookup_key_file = \"{keys}/lookup.key\"\ndata_key_dir = \"{keys}/data\"\n\
             [audit]\nkey_file = \"{keys}/audit.key\"\ncheckpoint_dir = \"{dir}/audit\"\n\
             [employers]\nspool_dir = \"{dir}/spool\"\n\
             [[partners]]\n{agreement}",
            db = self.db_url,
            pki = self.pki.display(),
            keys = keys.display(),
            dir = self.dir.display(),
            agreement = agreement.0,
        );
        let settings = Settings::from_toml(&config).expect("the side's settings");
        let listeners = self.listeners.take().expect("started once");
        let app = TestApp::spawn_on(settings, listeners).await;
        self.cases = Some(CaseSystem::new(app.url(""), self.token.clone()));
        self.app = Some(app);
    }

    /// This side's case system (its token, its gateway's API).
    pub fn cases(&self) -> &CaseSystem {
        self.cases.as_ref().expect("started")
    }

    /// The events of `kind` in this side's feed to its case system, oldest first.
    pub async fn feed(&self, kind: &str) -> Vec<Value> {
        super::feed(&self.db, kind).await
    }

    /// Waits (a minute at most) until this side's feed holds `count` events of `kind`.
    pub async fn wait_for_feed(&self, kind: &str, count: usize) -> bool {
        wait_until(Duration::from_secs(60), || async {
            self.feed(kind).await.len() >= count
        })
        .await
    }

    /// Waits until this side has recognised a copy from `partner` as a duplicate.
    pub async fn recognises_a_duplicate_from(&self, partner: &str) -> bool {
        wait_until(Duration::from_secs(60), || async {
            let rows: Vec<(i64,)> = ivd_gateway::on_read!(&self.db, c => {
                sqlx::query_as("SELECT duplicates FROM inbound_dedup WHERE partner = $1 AND duplicates > 0")
                    .bind(partner)
                    .fetch_all(c)
                    .await
                    .unwrap()
            });
            !rows.is_empty()
        })
        .await
    }

    /// Stops the gateway, closes the database.
    pub async fn stop(mut self) {
        if let Some(app) = self.app.take() {
            app.stop().await;
        }
        self.db.close().await;
    }
}
