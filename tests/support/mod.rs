//! Shared test harness: fresh databases on both backends, mock partners that count what
//! they apply, and a gateway started in-process on free ports.
#![allow(dead_code)]

pub mod app;
pub mod browser;
pub mod employers;
pub mod faults;
pub mod pages;
pub mod pair;

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use ivd_gateway::config::{PartnerKind, PartnerSettings, Settings, TransportSettings};
use ivd_gateway::outbox::retry::RetryPolicy;
use ivd_gateway::store::Db;
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

// What every test needs (also the tools' tests): the PostgreSQL test server, polling,
// free ports, signing in over HTTP. Not every test file uses each.
#[allow(unused_imports)]
pub use ivd_testkit::{free_port, postgres_server, session_cookie, sign_in_over_http, wait_until};

/// A new token for `role`, named `name`, issued on `db` now.
pub async fn issue_token(db: &Db, name: &str, role: ivd_gateway::store::tokens::Role) -> String {
    ivd_gateway::store::tokens::issue(db, name, role, ivd_gateway::store::now_ms())
        .await
        .expect("a token is issued")
}

/// The payloads of the events of `kind` in `db`'s feed to the case system, oldest first.
pub async fn feed(db: &Db, kind: &str) -> Vec<serde_json::Value> {
    ivd_gateway::store::events::list_after(db, 0, 1000)
        .await
        .expect("the event feed")
        .into_iter()
        .filter(|e| e.kind == kind)
        .map(|e| e.payload_json())
        .collect()
}

/// The backend a test runs on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A fresh, migrated database that belongs to one test.
pub struct TestDb {
    pub url: String,
    pub db: Db,
    pub backend: Backend,
    dir: Option<tempfile::TempDir>,
    pg_name: Option<String>,
}

fn random_suffix() -> String {
    use rand::RngCore;
    let mut bytes = [0u8; 6];
    rand::rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}

impl TestDb {
    /// A new SQLite file in a temporary directory.
    pub async fn sqlite() -> TestDb {
        let dir = tempfile::tempdir().expect("temp dir");
        let url = format!("sqlite://{}/gateway.db", dir.path().display());
        let db = Db::connect(&url).await.expect("sqlite connects");
        db.migrate().await.expect("sqlite migrates");
        TestDb {
            url,
            db,
            backend: Backend::Sqlite,
            dir: Some(dir),
            pg_name: None,
        }
        .with_gateway_keys()
    }

    /// The data keys and the audit key of the gateway [`gateway_settings`] configures for
    /// this database (created on first use), attached to this handle so that the test reads
    /// and writes sealed values, and appends audit entries, as the gateway does.
    fn with_gateway_keys(mut self) -> TestDb {
        let keys =
            ivd_gateway::privacy::DataKeys::load_or_create(&self.scratch_dir().join("keys/data"))
                .expect("test data keys");
        let audit_key = ivd_gateway::audit::AuditKey::load_or_create(
            &self.scratch_dir().join("keys/audit.key"),
        )
        .expect("test audit key");
        self.db = self.db.with_data_keys(keys).with_audit_key(audit_key);
        self
    }

    /// A new database on the PostgreSQL test server, or None (with a loud note) when no
    /// server is named.
    pub async fn postgres() -> Option<TestDb> {
        let server = postgres_server()?;
        let name = format!("ivd_t_{}", random_suffix());
        let admin = Db::connect(&server)
            .await
            .expect("the PostgreSQL test server answers");
        if let Db::Postgres(pool, _) = &admin {
            sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
                .execute(pool)
                .await
                .expect("create test database");
        }
        admin.close().await;
        let url = ivd_gateway::store::postgres_url_with_database(&server, &name);
        let db = Db::connect(&url).await.expect("test database connects");
        db.migrate().await.expect("postgres migrates");
        Some(
            TestDb {
                url,
                db,
                backend: Backend::Postgres,
                dir: None,
                pg_name: Some(name),
            }
            .with_gateway_keys(),
        )
    }

    /// A new database of the given backend (None when PostgreSQL is not available).
    pub async fn new(backend: Backend) -> Option<TestDb> {
        match backend {
            Backend::Sqlite => Some(TestDb::sqlite().await),
            Backend::Postgres => TestDb::postgres().await,
        }
    }

    /// A directory that lives as long as this database (for certificates, file drops).
    pub fn scratch_dir(&self) -> PathBuf {
        match &self.dir {
            Some(dir) => dir.path().to_path_buf(),
            None => {
                let dir = std::env::temp_dir().join(format!(
                    "ivd-test-{}",
                    self.pg_name.as_deref().unwrap_or("x")
                ));
                std::fs::create_dir_all(&dir).expect("scratch dir");
                dir
            }
        }
    }

    /// Closes the pool and drops a PostgreSQL test database.
    pub async fn cleanup(self) {
        self.db.close().await;
        if let (Some(name), Some(server)) =
            (&self.pg_name, std::env::var("IVD_TEST_DATABASE_URL").ok())
        {
            if let Ok(Db::Postgres(pool, _)) = Db::connect(&server).await {
                let _ = sqlx::query(sqlx::AssertSqlSafe(format!(
                    "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                )))
                .execute(&pool)
                .await;
                pool.close().await;
            }
            let _ = std::fs::remove_dir_all(std::env::temp_dir().join(format!("ivd-test-{name}")));
        }
    }
}

/// Generates one `#[tokio::test]` per backend for each named async test function taking a
/// [`TestDb`]. PostgreSQL variants skip loudly when no server is named.
#[macro_export]
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let db = $crate::support::TestDb::sqlite().await;
                    super::$name(db).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let Some(db) = $crate::support::TestDb::postgres().await else { return };
                    super::$name(db).await;
                }
            )*
        }
    };
}

/// What a mock partner saw.
#[derive(Debug, Default)]
pub struct PartnerLog {
    /// Attempts per idempotency key (every POST).
    pub attempts: HashMap<String, u32>,
    /// Keys applied, in the order they were first applied.
    pub applied: Vec<String>,
    /// Applied keys (a second POST of an applied key is a duplicate, answered 200 and not
    /// applied again — how a real receiver de-duplicates).
    pub applied_set: HashSet<String>,
    /// POSTs of a key that was already applied.
    pub duplicates: u32,
    /// Applied (ordering key, sequence) pairs, in application order.
    pub applied_sequence: Vec<(String, u64)>,
}

/// Which messages a mock partner fails, and how.
#[derive(Clone)]
pub struct Behaviour {
    /// Fail the first N attempts of keys for which `flaky(key)` is true.
    pub fail_first: u32,
    pub flaky: Arc<dyn Fn(&str) -> bool + Send + Sync>,
    /// Status of a failing answer.
    pub failure_status: u16,
    /// Reject (permanently) keys for which this is true.
    pub reject: Arc<dyn Fn(&str) -> bool + Send + Sync>,
    /// Delay of every answer.
    pub delay: Duration,
}

impl Default for Behaviour {
    fn default() -> Self {
        Behaviour {
            fail_first: 0,
            flaky: Arc::new(|_| false),
            failure_status: 503,
            reject: Arc::new(|_| false),
            delay: Duration::ZERO,
        }
    }
}

#[derive(Clone)]
struct Responder {
    log: Arc<Mutex<PartnerLog>>,
    behaviour: Arc<Mutex<Behaviour>>,
}

impl Respond for Responder {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let key = request
            .headers
            .get("idempotency-key")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string();
        let behaviour = self.behaviour.lock().unwrap().clone();
        let mut log = self.log.lock().unwrap();
        let attempts = {
            let n = log.attempts.entry(key.clone()).or_insert(0);
            *n += 1;
            *n
        };
        if (behaviour.reject)(&key) {
            return ResponseTemplate::new(422)
                .set_body_string("rejected by test partner")
                .set_delay(behaviour.delay);
        }
        if (behaviour.flaky)(&key) && attempts <= behaviour.fail_first {
            return ResponseTemplate::new(behaviour.failure_status)
                .set_body_string("test partner failure")
                .set_delay(behaviour.delay);
        }
        if log.applied_set.contains(&key) {
            log.duplicates += 1;
        } else {
            log.applied_set.insert(key.clone());
            log.applied.push(key.clone());
            if let Ok(body) = serde_json::from_slice::<serde_json::Value>(&request.body)
                && let (Some(k), Some(seq)) = (body["orderingKey"].as_str(), body["seq"].as_u64())
            {
                log.applied_sequence.push((k.to_string(), seq));
            }
        }
        ResponseTemplate::new(200)
            .set_body_string("ok")
            .set_delay(behaviour.delay)
    }
}

/// A partner on loopback HTTP that records what it applied.
pub struct MockPartner {
    pub server: MockServer,
    pub log: Arc<Mutex<PartnerLog>>,
    behaviour: Arc<Mutex<Behaviour>>,
}

impl MockPartner {
    pub async fn start(behaviour: Behaviour) -> MockPartner {
        let server = MockServer::start().await;
        let log = Arc::new(Mutex::new(PartnerLog::default()));
        let behaviour = Arc::new(Mutex::new(behaviour));
        Mock::given(method("POST"))
            .respond_with(Responder {
                log: log.clone(),
                behaviour: behaviour.clone(),
            })
            .mount(&server)
            .await;
        MockPartner {
            server,
            log,
            behaviour,
        }
    }

    pub fn endpoint(&self) -> String {
        format!("{}/inbound", self.server.uri())
    }

    pub fn set_behaviour(&self, behaviour: Behaviour) {
        *self.behaviour.lock().unwrap() = behaviour;
    }

    pub fn applied_count(&self) -> usize {
        self.log.lock().unwrap().applied.len()
    }
}

/// A partner entry for a loopback HTTP mock, with fast retries.
pub fn http_partner(id: &str, endpoint: &str, max_attempts: u32) -> PartnerSettings {
    PartnerSettings {
        id: id.to_string(),
        name: Some(format!("test partner {id}")),
        kind: PartnerKind::State,
        certificate_fingerprint: Vec::new(),
        certificate_subject: None,
        certificate_issuer: None,
        certificate_identity: None,
        transport: Some(TransportSettings::Https {
            endpoint: endpoint.to_string(),
            ca: None,
            client_cert: None,
            client_key: None,
            timeout_secs: 5,
            allow_plaintext: true,
        }),
        retry: RetryPolicy {
            min_delay_ms: 10,
            max_delay_ms: 200,
            factor: 2.0,
            jitter: true,
            max_attempts,
            max_age_secs: 3600,
        },
        concurrency: 8,
        circuit: ivd_gateway::config::CircuitSettings {
            failure_threshold: 1000,
            cooldown_secs: 1,
        },
        pickup: None,
        interstate: None,
        tribal: None,
        employer: None,
    }
}

/// Binds the development partner certificate (`dev-partner.pem` of the development PKI a
/// test gateway makes in its `tls` directory) to `partner` the way a partner CA's
/// certificates are bound in production: by its subject pinned with its issuer.
pub fn bind_dev_partner(partner: &mut PartnerSettings) {
    partner.certificate_subject = Some(
        "CN=dev-partner, O=ivd-gateway development (not for production)"
            .parse()
            .unwrap(),
    );
    partner.certificate_issuer = Some(
        "CN=ivd-gateway development CA, O=ivd-gateway development (not for production)"
            .parse()
            .unwrap(),
    );
}

/// The `certificate_fingerprint` of the certificate in the PEM file `cert`.
pub fn fingerprint_of(cert: &std::path::Path) -> ivd_gateway::tls::Fingerprint {
    ivd_gateway::tls::CertificatePins::of_pem_file(cert)
        .expect("a certificate file")
        .fingerprint
}

/// Settings for an in-process gateway on free loopback ports over `db`.
pub fn gateway_settings(db: &TestDb, partners: Vec<PartnerSettings>) -> Settings {
    let mut settings = Settings::default();
    settings.database.url = db.url.clone();
    settings.server.listen = "127.0.0.1:0".parse().unwrap();
    settings.server.partner_listen = "127.0.0.1:0".parse().unwrap();
    settings.tls.dir = db.scratch_dir().join("tls");
    settings.outbox.lease_secs = 10;
    settings.outbox.poll_interval_ms = 20;
    settings.outbox.worker_id = Some(format!("test-{}", random_suffix()));
    settings.server.shutdown_grace_secs = 5;
    settings.partners = partners;
    // Nothing a test gateway writes may land in the working tree.
    settings.employers.spool_dir = db.scratch_dir().join("spool");
    settings.privacy.lookup_key_file = db.scratch_dir().join("keys/lookup.key");
    settings.privacy.data_key_dir = db.scratch_dir().join("keys/data");
    settings.audit.key_file = db.scratch_dir().join("keys/audit.key");
    settings.audit.checkpoint_dir = db.scratch_dir().join("audit/checkpoints");
    settings
}

/// Polls `check` every 20 ms until it is true or `limit` passes; returns whether it
/// became true.
/// The files `dir` shows to whoever picks them up: regular files, sorted by name, without
/// the hidden temporaries (`.name.tmp-…`, `.id.part`) the gateway writes a file under
/// before it publishes it by its real name. A test that listed those could catch a file
/// half written.
pub fn published_files(dir: &std::path::Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(|e| e.ok())
                .filter(|e| !e.file_name().to_string_lossy().starts_with('.'))
                .map(|e| e.path())
                .filter(|p| p.is_file())
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    files
}

/// A test message whose JSON body carries its ordering key and its sequence within it,
/// so the mock partner can check per-key order.
pub fn test_message(
    partner: &str,
    ordering_key: &str,
    seq: u64,
    max_attempts: i64,
    now: i64,
) -> ivd_gateway::outbox::NewMessage {
    ivd_gateway::outbox::NewMessage {
        partner: partner.to_string(),
        ordering_key: ordering_key.to_string(),
        idempotency_key: format!("{ordering_key}-{seq}"),
        kind: "test".to_string(),
        content_type: "application/json".to_string(),
        file_name: format!("{ordering_key}-{seq}.json"),
        payload: serde_json::to_vec(
            &serde_json::json!({ "orderingKey": ordering_key, "seq": seq }),
        )
        .unwrap(),
        cause_kind: "test".to_string(),
        cause_id: format!("{ordering_key}/{seq}"),
        max_attempts,
        run_at: now,
        replay_of: None,
    }
}

/// Asserts that, per ordering key, sequences were applied in increasing order.
pub fn assert_per_key_order(log: &PartnerLog) {
    let mut last: HashMap<&str, u64> = HashMap::new();
    for (key, seq) in &log.applied_sequence {
        if let Some(previous) = last.get(key.as_str()) {
            assert!(
                seq > previous,
                "key {key}: seq {seq} applied after {previous}"
            );
        }
        last.insert(key, *seq);
    }
}

/// A client of the partner listener: trusts the CA at `ca`, presents `identity`
/// (certificate and key PEM files) when given.
pub fn mtls_client(
    ca: &std::path::Path,
    identity: Option<(&std::path::Path, &std::path::Path)>,
) -> reqwest::Client {
    let ca = std::fs::read(ca).expect("CA file");
    let mut builder = reqwest::Client::builder()
        .use_rustls_tls()
        .tls_built_in_root_certs(false)
        .add_root_certificate(reqwest::Certificate::from_pem(&ca).expect("CA PEM"))
        .timeout(Duration::from_secs(20));
    if let Some((cert, key)) = identity {
        let mut pem = std::fs::read(cert).expect("certificate file");
        pem.push(b'\n');
        pem.extend(std::fs::read(key).expect("key file"));
        builder = builder.identity(reqwest::Identity::from_pem(&pem).expect("identity PEM"));
    }
    builder.build().expect("mTLS client")
}

/// A gateway running as its own process (`ivd-gateway --config FILE serve`), killed when
/// the test ends, early or not; a failing test shows the end of its log.
pub struct GatewayProcess {
    child: std::process::Child,
    log: Option<PathBuf>,
}

impl GatewayProcess {
    /// Writes `config` to `dir/<name>.toml` and starts the gateway in `dir` (relative
    /// defaults such as the look-up key and the spool land there), its log in
    /// `dir/<name>.log`.
    pub fn start(dir: &std::path::Path, name: &str, config: &str) -> GatewayProcess {
        use std::process::{Command, Stdio};
        std::fs::create_dir_all(dir).unwrap();
        let file = dir.join(format!("{name}.toml"));
        std::fs::write(&file, config).unwrap();
        let log_path = dir.join(format!("{name}.log"));
        let log = std::fs::File::create(&log_path).unwrap();
        let child = Command::new(env!("CARGO_BIN_EXE_ivd-gateway"))
            .current_dir(dir)
            // The gateway reads `IVD_*` variables as settings; the fault suite's is not one.
            .env_remove("IVD_FAULT_SCALE")
            .arg("--config")
            .arg(&file)
            .arg("serve")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("the gateway binary starts");
        GatewayProcess {
            child,
            log: Some(log_path),
        }
    }

    /// Waits (30 s at most) until the gateway says in its log where its API listens (it
    /// is started on port 0: the kernel picks, nothing to race for) and answers `/readyz`
    /// there. Its API address, or None when it exited or never got there.
    pub async fn wait_ready(&mut self) -> Option<std::net::SocketAddr> {
        let log = self.log.clone().expect("a gateway started with its log");
        let mut api = None;
        let found = wait_until(Duration::from_secs(30), || {
            let text = std::fs::read_to_string(&log).unwrap_or_default();
            api = api.or_else(|| started_api_address(&text));
            let done = api.is_some() || self.child.try_wait().expect("wait").is_some();
            async move { done }
        })
        .await;
        let api = api.filter(|_| found)?;
        wait_ready(api.port()).await.then_some(api)
    }

    /// A gateway process the test started itself (another subcommand, say).
    pub fn adopt(child: std::process::Child) -> GatewayProcess {
        GatewayProcess { child, log: None }
    }

    pub fn id(&self) -> u32 {
        self.child.id()
    }

    /// Whether the process is still running (it did not exit on its own).
    pub fn alive(&mut self) -> bool {
        self.child.try_wait().expect("wait").is_none()
    }

    pub fn sigkill(mut self) {
        self.child.kill().expect("SIGKILL");
        self.child.wait().expect("reaped");
    }

    /// SIGTERM, then waits (bounded) for a clean exit.
    pub fn sigterm_and_wait(mut self) -> std::process::ExitStatus {
        let _ = std::process::Command::new("kill")
            .arg("-TERM")
            .arg(self.child.id().to_string())
            .status();
        for _ in 0..600 {
            if let Some(status) = self.child.try_wait().expect("wait") {
                return status;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        panic!("the gateway did not stop within 30 s of SIGTERM");
    }
}

impl Drop for GatewayProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        // A failing test's scratch directory is deleted with it: show what the gateway said.
        if let (true, Some(log)) = (std::thread::panicking(), &self.log) {
            let text = std::fs::read_to_string(log).unwrap_or_default();
            let tail: Vec<&str> = text.lines().rev().take(20).collect();
            eprintln!(
                "--- last lines of {}:\n{}",
                log.display(),
                tail.into_iter().rev().collect::<Vec<_>>().join("\n")
            );
        }
    }
}

/// The API address in a gateway's "Gateway started." log line (JSON or text), on the
/// loopback interface when it listens on all of them.
pub fn started_api_address(log: &str) -> Option<std::net::SocketAddr> {
    started_address(log, "api")
}

/// The address of listener `field` (`api`, `partners`) in a gateway's "Gateway started."
/// log line, on the loopback interface when it listens on all of them.
pub fn started_address(log: &str, field: &str) -> Option<std::net::SocketAddr> {
    let line = log.lines().find(|l| l.contains("Gateway started."))?;
    // A text log may colour its field names: `\x1b[3mapi\x1b[0m\x1b[2m=\x1b[0m…`.
    let mut plain = String::with_capacity(line.len());
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        if c == '\x1b' {
            chars.by_ref().find(|c| c.is_ascii_alphabetic());
        } else {
            plain.push(c);
        }
    }
    let line = plain.as_str();
    let value = line
        .split_once(&format!("\"{field}\":\""))
        .or_else(|| line.split_once(&format!(" {field}=")))?
        .1;
    let end = value.find(['"', ' ']).unwrap_or(value.len());
    let mut addr: std::net::SocketAddr = value[..end].parse().ok()?;
    if addr.ip().is_unspecified() {
        addr.set_ip(std::net::Ipv4Addr::LOCALHOST.into());
    }
    Some(addr)
}

/// Waits until the gateway whose API listens on `api_port` answers `/readyz`.
pub async fn wait_ready(api_port: u16) -> bool {
    let http = reqwest::Client::new();
    wait_until(Duration::from_secs(30), || async {
        http.get(format!("http://127.0.0.1:{api_port}/readyz"))
            .send()
            .await
            .is_ok_and(|r| r.status().is_success())
    })
    .await
}

/// The data keys of a [`GatewayProcess`] started in `dir` (its default
/// `privacy.data_key_dir`, created on first use), to attach to a test's own handle on its
/// database: values at rest are sealed.
pub fn process_data_keys(dir: &std::path::Path) -> ivd_gateway::privacy::DataKeys {
    ivd_gateway::privacy::DataKeys::load_or_create(&dir.join("data/keys/data"))
        .expect("the gateway's data keys")
}

/// The audit key of a [`GatewayProcess`] started in `dir` (its default `audit.key_file`,
/// created on first use), for a test's own handle that appends audit entries (an
/// operator's redelivery, say) to the chain the gateway links.
pub fn process_audit_key(dir: &std::path::Path) -> ivd_gateway::audit::AuditKey {
    ivd_gateway::audit::AuditKey::load_or_create(&dir.join("data/keys/audit.key"))
        .expect("the gateway's audit key")
}
