//! Configuration: one TOML file (`config/gateway.toml` is the embedded default), with any
//! value overridable by an environment variable `IVD_SECTION__KEY` (for example
//! `IVD_DATABASE__URL=postgres://…`). Checked once, at start: a wrong setting stops the
//! gateway with a message that names it, rather than failing on the first message.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use figment::Figment;
use figment::providers::{Env, Format, Toml};
use serde::Deserialize;

use crate::outbox::retry::RetryPolicy;
use crate::telemetry::LogFormat;

/// Every setting of a gateway instance.
#[derive(Clone, Debug, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct Settings {
    /// Where the data lives.
    pub database: DatabaseSettings,
    /// Listeners.
    pub server: ServerSettings,
    /// The partner listener's certificates.
    pub tls: TlsSettings,
    /// Outbox dispatching.
    pub outbox: OutboxSettings,
    /// Logging.
    pub log: LogSettings,
    /// The state this gateway speaks for.
    pub state: StateSettings,
    /// The partners this gateway exchanges with.
    pub partners: Vec<PartnerSettings>,
    /// Employers: new-hire intake, NDNH forwarding, income withholding orders.
    pub employers: EmployerSettings,
    /// Financial Institution Data Match: where inquiry files go, their character set and
    /// how often they are written.
    pub fidm: crate::channels::fidm::FidmSettings,
    /// Federal tax refund offset: the certification cycle and OCSE's return files.
    pub offset: crate::channels::offset::OffsetSettings,
    /// Keys that protect personal data.
    pub privacy: PrivacySettings,
    /// Where alerts go besides the log.
    pub alerts: crate::alerts::AlertSettings,
    /// Reconciliation jobs: schedules and parameters.
    pub reconcile: crate::reconcile::ReconcileSettings,
    /// The audit chain's key and the checkpoints that anchor it outside the database.
    pub audit: crate::audit::AuditSettings,
}

/// Keys that protect personal data.
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PrivacySettings {
    /// The key of the keyed SSN hash, as 64 hexadecimal digits (usually given as the
    /// environment variable `IVD_PRIVACY__LOOKUP_KEY`). Takes precedence over the file.
    pub lookup_key: Option<String>,
    /// A file holding the key; created with a random key on first start when missing.
    pub lookup_key_file: PathBuf,
    /// The data keys that seal federal tax information at rest, one `<id>.key` file each
    /// (64 hexadecimal digits); the greatest id seals, every one opens. A first key is
    /// created when the directory is empty.
    pub data_key_dir: PathBuf,
    /// Data keys given in the environment (`IVD_PRIVACY__DATA_KEYS`), `id=<64 hex>`
    /// separated by commas, in addition to the files of `data_key_dir` (for deployments
    /// that inject secrets as variables). When set, no first key file is created.
    pub data_keys: Option<String>,
    /// A key file (look-up key, data keys, TLS private keys) or the data key directory that
    /// other users can reach: `refuse` (the default) stops the start with the path, its
    /// mode and the `chmod` that fixes it; `warn` starts and logs a warning per path.
    pub insecure_key_permissions: crate::privacy::files::KeyPermissionPolicy,
}

impl Default for PrivacySettings {
    fn default() -> Self {
        PrivacySettings {
            lookup_key: None,
            lookup_key_file: PathBuf::from("data/keys/lookup.key"),
            data_key_dir: PathBuf::from("data/keys/data"),
            data_keys: None,
            insecure_key_permissions: Default::default(),
        }
    }
}

impl std::fmt::Debug for PrivacySettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PrivacySettings")
            .field("lookup_key", &self.lookup_key.as_ref().map(|_| "(set)"))
            .field("lookup_key_file", &self.lookup_key_file)
            .field("data_key_dir", &self.data_key_dir)
            .field("data_keys", &self.data_keys.as_ref().map(|_| "(set)"))
            .field("insecure_key_permissions", &self.insecure_key_permissions)
            .finish()
    }
}

impl PrivacySettings {
    /// The data keys: the files of `data_key_dir` and any given in `data_keys`.
    pub fn data_keys(&self) -> Result<crate::privacy::DataKeys, crate::privacy::SealError> {
        crate::privacy::DataKeys::load_with(
            &self.data_key_dir,
            self.data_keys.as_deref(),
            self.insecure_key_permissions,
        )
    }

    /// The look-up key: the configured one, else the key file's (created when missing).
    pub fn lookup_key(&self) -> Result<crate::privacy::LookupKey, crate::privacy::LookupKeyError> {
        match &self.lookup_key {
            Some(hex) => crate::privacy::LookupKey::from_hex(hex),
            None => crate::privacy::LookupKey::load_or_create_with(
                &self.lookup_key_file,
                self.insecure_key_permissions,
            ),
        }
    }
}

/// Employers: new-hire intake, NDNH forwarding, income withholding orders.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct EmployerSettings {
    /// Where uploaded files are written (and fsynced) before they are parsed.
    pub spool_dir: PathBuf,
    /// Largest new-hire upload accepted, in bytes.
    pub max_upload_bytes: u64,
    /// Uploaded files, and the W4 copies of records NDNH has taken, are kept this many
    /// days after receipt, then deleted (the per-record verdicts stay).
    pub retention_days: u64,
    /// Accept ITINs (9xx) in the SSN field (some states allow them for contractors).
    pub allow_itin: bool,
    /// A report of the same employee, FEIN and a hire date this many days or fewer from an
    /// earlier accepted one is a duplicate, not forwarded twice.
    pub duplicate_window_days: i64,
    /// The partner (kind `federal`) new hires are forwarded to; unset: not forwarded.
    pub ndnh_partner: Option<String>,
    /// Most W4 records in one NDNH transmission file.
    pub ndnh_batch_size: usize,
    /// How often accepted reports are gathered into transmission files, in seconds.
    pub forward_interval_secs: u64,
    /// Character set of NDNH files: `ebcdic` (the federal rule) or `ascii`.
    pub ndnh_encoding: FileEncoding,
    /// Days an employer has to acknowledge an income withholding order.
    pub iwo_ack_days: i64,
    /// What the income withholding orders we issue say about us; unset: matches are
    /// reported to the state system but no e-IWO is issued.
    pub iwo: Option<IwoIssuerSettings>,
    /// Requests for an employer account one client address may file per hour on the
    /// employer pages.
    pub registrations_per_address_per_hour: u32,
    /// Most requests for an employer account waiting for a decision; beyond, new requests
    /// are turned away ("try again later") until admins decide some.
    pub max_pending_registrations: u32,
}

impl EmployerSettings {
    /// The limits on requests for an employer account.
    pub fn registration_limits(&self) -> crate::store::employer_accounts::RegistrationLimits {
        crate::store::employer_accounts::RegistrationLimits {
            per_address_per_hour: i64::from(self.registrations_per_address_per_hour),
            max_pending: i64::from(self.max_pending_registrations),
        }
    }
}

impl Default for EmployerSettings {
    fn default() -> Self {
        EmployerSettings {
            spool_dir: PathBuf::from("data/spool"),
            max_upload_bytes: 2 * 1024 * 1024 * 1024,
            retention_days: 90,
            allow_itin: false,
            duplicate_window_days: 60,
            ndnh_partner: None,
            ndnh_batch_size: 10_000,
            forward_interval_secs: 300,
            ndnh_encoding: FileEncoding::Ebcdic,
            iwo_ack_days: 10,
            iwo: None,
            registrations_per_address_per_hour: 5,
            max_pending_registrations: 1_000,
        }
    }
}

/// The character set of a federal file.
#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum FileEncoding {
    /// EBCDIC code page 037.
    Ebcdic,
    /// ASCII.
    Ascii,
}

impl FileEncoding {
    /// The adapter encoding.
    pub fn encoding(self) -> ivd_fixed::Encoding {
        match self {
            FileEncoding::Ebcdic => ivd_fixed::Encoding::Ebcdic037,
            FileEncoding::Ascii => ivd_fixed::Encoding::Ascii,
        }
    }
}

/// The issuer of our income withholding orders: the agency, the State Disbursement Unit
/// that receives payments, and the withholding terms.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IwoIssuerSettings {
    /// Issuing state, tribe or territory, as printed (e.g. `MINNESOTA`).
    pub issuing_state: String,
    /// Issuing jurisdiction (county or agency).
    pub issuing_jurisdiction: String,
    /// The government official who signs.
    pub official_name: String,
    /// Their title.
    pub official_title: String,
    /// State Disbursement Unit: payee name.
    pub payee_name: String,
    /// SDU address line 1.
    pub payee_address: String,
    /// SDU city.
    pub payee_city: String,
    /// SDU state (USPS).
    pub payee_state: String,
    /// SDU ZIP (5 digits).
    pub payee_zip: String,
    /// SDU locator (FIPS) code sent with every payment.
    pub remittance_fips: String,
    /// Withholding begins no later than the first pay period this many days after the
    /// order date.
    #[serde(default = "default_begin_days")]
    pub begin_within_days: u32,
    /// Payments go out within this many working days of the pay date.
    #[serde(default = "default_send_days")]
    pub send_within_days: u32,
    /// Percent of disposable income withheld when support cannot be paid in full.
    #[serde(default = "default_ccpa")]
    pub ccpa_percent: u32,
    /// Contact for the employee's questions: name.
    #[serde(default)]
    pub contact_name: Option<String>,
    /// Contact phone (10 digits).
    #[serde(default)]
    pub contact_phone: Option<String>,
}

fn default_begin_days() -> u32 {
    14
}

fn default_send_days() -> u32 {
    7
}

fn default_ccpa() -> u32 {
    50
}

/// The state this gateway speaks for.
#[derive(Clone, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct StateSettings {
    /// Our FIPS code, 7 digits (state 2, county 3, local office 2), e.g. `2700000`: the
    /// Local-FIPS of every CSENet transaction we send.
    pub fips: Option<String>,
    /// When this gateway speaks for a Tribal IV-D program instead of a state: its 5-digit
    /// tribal locator code (IRG), the sender of every Tribal exchange document it writes.
    pub tribe_code: Option<String>,
    /// Our office as the CSENet Case Data block gives it to partners: where to send
    /// payments and whom to contact (`paymentMailAddressLine1`, `paymentCity`,
    /// `paymentState`, `paymentZip1`, `contactNameLast`, `contactPhoneNum`, … — the block's
    /// fields in camelCase). Case type, status and the nondisclosure finding come from each
    /// case.
    pub csenet_office: Option<ivd_csenet::CaseData>,
}

impl std::fmt::Debug for StateSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StateSettings")
            .field("fips", &self.fips)
            .field("tribe_code", &self.tribe_code)
            .field("csenet_office", &self.csenet_office.is_some())
            .finish()
    }
}

/// Database settings.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DatabaseSettings {
    /// `sqlite://data/gateway.db` (the embedded default) or `postgres://…`.
    pub url: String,
}

impl Default for DatabaseSettings {
    fn default() -> Self {
        DatabaseSettings {
            url: "sqlite://data/gateway.db".to_string(),
        }
    }
}

/// Listener settings.
///
/// The bounds on connections (`max_connections` … `max_concurrent_streams`) apply to each
/// listener (API, partner, metrics) and to HTTP/1 and HTTP/2 alike; `web::listener`
/// explains each.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ServerSettings {
    /// State-system API, operator API, dashboard, employer pages, health and (unless
    /// `metrics_listen` is set) metrics.
    pub listen: SocketAddr,
    /// Partners, over mutual TLS only.
    pub partner_listen: SocketAddr,
    /// Largest request body accepted, in bytes.
    pub max_body_bytes: usize,
    /// How long in-flight deliveries, and open connections of the listeners, may run on
    /// after a shutdown signal, in seconds.
    pub shutdown_grace_secs: u64,
    /// Mark the session cookies of the dashboard and the employer pages `Secure`: set it
    /// when browsers reach the API listener over HTTPS (a TLS-terminating proxy in front of
    /// it). It may stay off only while `listen` is a loopback address (the embedded
    /// default, plain HTTP on 127.0.0.1): anywhere else the start is refused, because the
    /// cookies would cross the network in clear.
    pub secure_cookies: bool,
    /// Requests a minute one partner certificate may make on the partner listener (0: no
    /// limit).
    pub partner_requests_per_minute: u32,
    /// Requests a minute one bearer token may make on the API listener (0: no limit):
    /// operators, admins, readers of federal tax information and employers. The state
    /// system's tokens have their own quota, `state_requests_per_minute`.
    pub token_requests_per_minute: u32,
    /// Requests a minute one token of the state system's role may make on the API listener
    /// (0: no limit). The state's case system pushes every case change and asks for every
    /// outbound transaction, thousands a second at a nightly sync; the default (600,000, ten
    /// thousand a second) is above what the gateway serves per request, so it bounds only a
    /// runaway client.
    pub state_requests_per_minute: u32,
    /// Most bytes one bulk case push (`POST /state/v1/cases/bulk`) may send. The bulk push
    /// streams and is not bounded by `max_body_bytes`: a first load is hundreds of
    /// thousands of cases. Lines past the bound get no verdict; the push ends with a
    /// summary saying where it stopped.
    pub bulk_max_bytes: u64,
    /// Longest line of a bulk case push, in bytes (one case with its transaction request).
    /// A longer line is rejected with its verdict (`LINE_TOO_LONG`) and skipped; the lines
    /// after it are read on.
    pub bulk_max_line_bytes: usize,
    /// Requests a minute the API listener takes without a credential (no bearer token, no
    /// session cookie: sign-in and registration forms, unknown routes) or with one it
    /// refused, from all clients together (0: no limit). Health probes are not counted.
    pub anonymous_requests_per_minute: u32,
    /// The same, per client address (0: no limit).
    pub anonymous_requests_per_minute_per_address: u32,
    /// Addresses of proxies in front of the API listener (a TLS terminator) whose
    /// `X-Forwarded-For` names the client; from anyone else the header is ignored. Empty:
    /// the client is the TCP peer (behind a proxy, every client would then be the proxy,
    /// and the per-address limits would count them together).
    pub trusted_proxies: Vec<std::net::IpAddr>,
    /// Most connections one listener holds open at once; beyond it, new connections wait
    /// in the operating system's accept queue until one ends.
    pub max_connections: usize,
    /// Seconds a client of the partner listener has to complete the TLS handshake.
    pub handshake_timeout_secs: u64,
    /// Seconds an HTTP/1 client has to send a request's headers, counted from when the
    /// connection is ready for the request: it also closes an HTTP/1 connection that stays
    /// idle between requests.
    pub header_read_timeout_secs: u64,
    /// Seconds a connection may stay with no request in flight (before its first request,
    /// between requests, or while a request's headers trickle in) before it is told to
    /// close; it is cut if still open and idle as long again.
    pub idle_timeout_secs: u64,
    /// Seconds between the pings an HTTP/2 peer must answer (0: no pings).
    pub keep_alive_interval_secs: u64,
    /// Seconds an HTTP/2 peer has to answer a ping before its connection is closed.
    pub keep_alive_timeout_secs: u64,
    /// Most HTTP/2 streams (requests) in flight on one connection.
    pub max_concurrent_streams: u32,
    /// Serve `/metrics` on this address (plain HTTP, the same bounds) instead of on the API
    /// listener, for example an interface only the monitoring network reaches.
    pub metrics_listen: Option<SocketAddr>,
    /// A file holding the bearer token `/metrics` requires (`Authorization: Bearer …`),
    /// read at every scrape so that it can be replaced without a restart; unset: no token.
    pub metrics_token_file: Option<PathBuf>,
}

impl Default for ServerSettings {
    fn default() -> Self {
        ServerSettings {
            listen: "127.0.0.1:8080".parse().expect("valid address"),
            partner_listen: "127.0.0.1:8443".parse().expect("valid address"),
            max_body_bytes: 64 * 1024 * 1024,
            shutdown_grace_secs: 10,
            secure_cookies: false,
            partner_requests_per_minute: 6000,
            token_requests_per_minute: 6000,
            state_requests_per_minute: 600_000,
            bulk_max_bytes: 8 * 1024 * 1024 * 1024,
            bulk_max_line_bytes: 1024 * 1024,
            anonymous_requests_per_minute: 3000,
            anonymous_requests_per_minute_per_address: 300,
            trusted_proxies: Vec::new(),
            max_connections: 1024,
            handshake_timeout_secs: 10,
            header_read_timeout_secs: 15,
            idle_timeout_secs: 60,
            keep_alive_interval_secs: 30,
            keep_alive_timeout_secs: 20,
            max_concurrent_streams: 100,
            metrics_listen: None,
            metrics_token_file: None,
        }
    }
}

impl ServerSettings {
    /// The rules among the listener settings; the message names the key.
    fn check(&self) -> Result<(), String> {
        if !self.secure_cookies && !self.listen.ip().is_loopback() {
            return Err(format!(
                "server.secure_cookies is false while server.listen ({}) is not a loopback \
                 address: browsers would send the session cookies of the dashboard and the \
                 employer pages in clear. Serve the API listener over HTTPS (a TLS-terminating \
                 proxy in front of it) and set server.secure_cookies = true, or listen on \
                 127.0.0.1 or ::1 (where a proxy on the same host reaches it)",
                self.listen
            ));
        }
        for (key, value) in [
            ("max_connections", self.max_connections as u64),
            ("handshake_timeout_secs", self.handshake_timeout_secs),
            ("header_read_timeout_secs", self.header_read_timeout_secs),
            ("idle_timeout_secs", self.idle_timeout_secs),
            ("keep_alive_timeout_secs", self.keep_alive_timeout_secs),
            (
                "max_concurrent_streams",
                u64::from(self.max_concurrent_streams),
            ),
            ("bulk_max_bytes", self.bulk_max_bytes),
            ("bulk_max_line_bytes", self.bulk_max_line_bytes as u64),
        ] {
            if value == 0 {
                return Err(format!("server.{key} must be positive"));
            }
        }
        if let Some(metrics) = self.metrics_listen
            && metrics.port() != 0
            && (metrics == self.listen || metrics == self.partner_listen)
        {
            return Err(format!(
                "server.metrics_listen ({metrics}) must differ from server.listen and server.partner_listen"
            ));
        }
        Ok(())
    }
}

/// Certificates of the partner listener. When `cert` is not set, development
/// certificates (a CA, a server certificate for localhost, one partner client certificate)
/// are generated in `dir` on first start.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TlsSettings {
    /// Where generated development certificates go.
    pub dir: PathBuf,
    /// Server certificate chain (PEM).
    pub cert: Option<PathBuf>,
    /// Server private key (PEM).
    pub key: Option<PathBuf>,
    /// The CA that signs partner client certificates (PEM).
    pub client_ca: Option<PathBuf>,
}

impl Default for TlsSettings {
    fn default() -> Self {
        TlsSettings {
            dir: PathBuf::from("data/tls"),
            cert: None,
            key: None,
            client_ca: None,
        }
    }
}

/// Outbox dispatcher settings.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct OutboxSettings {
    /// Run dispatchers in this instance.
    pub enabled: bool,
    /// How long a claim holds a message, in seconds. Must exceed every transport time-out.
    pub lease_secs: u64,
    /// How often an idle dispatcher looks for due messages, in milliseconds.
    pub poll_interval_ms: u64,
    /// Most messages claimed per partner in one statement. It also sets how many claimed
    /// messages may wait for a partner's delivery slot (twice this, see
    /// `outbox::dispatcher::ClaimWindow`): lower it for partners that answer slowly.
    pub batch_size: usize,
    /// Delivered messages are kept this many days, then purged.
    pub retention_days: u64,
    /// How often the purge runs, in seconds.
    pub purge_interval_secs: u64,
    /// Name of this instance in leases and attempt history (default: host name and pid).
    pub worker_id: Option<String>,
}

impl Default for OutboxSettings {
    fn default() -> Self {
        OutboxSettings {
            enabled: true,
            lease_secs: 60,
            poll_interval_ms: 250,
            batch_size: 32,
            retention_days: 30,
            purge_interval_secs: 3600,
            worker_id: None,
        }
    }
}

/// Log settings.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LogSettings {
    /// `auto`, `json` or `text`.
    pub format: LogFormat,
    /// Default filter when `RUST_LOG` is not set.
    pub filter: String,
}

impl Default for LogSettings {
    fn default() -> Self {
        LogSettings {
            format: LogFormat::Auto,
            filter: "info".to_string(),
        }
    }
}

/// What kind of partner this is.
#[derive(Clone, Copy, Debug, Deserialize, serde::Serialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum PartnerKind {
    /// Another state's IV-D agency.
    State,
    /// A Tribal IV-D program.
    Tribe,
    /// An employer or payroll processor.
    Employer,
    /// A federal office (OCSE, NDNH, tax offset).
    Federal,
    /// A financial institution.
    FinancialInstitution,
    /// A county or other local office taking the canonical model.
    Local,
}

/// One partner.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PartnerSettings {
    /// Stable id used in the outbox, metrics and logs.
    pub id: String,
    /// Human name, for the dashboard.
    #[serde(default)]
    pub name: Option<String>,
    /// Kind of partner.
    pub kind: PartnerKind,
    /// The client certificates that speak for this partner on the mutual-TLS listener,
    /// by their SHA-256 fingerprint: `"sha256:<64 hex digits>"` (colons allowed, as
    /// `openssl x509 -noout -fingerprint -sha256` prints it), or a list of them while a
    /// certificate is being replaced. No two partners may share one.
    #[serde(default, deserialize_with = "one_or_many")]
    pub certificate_fingerprint: Vec<crate::tls::Fingerprint>,
    /// With `certificate_issuer`, instead of (or beside) fingerprints: the certificate's
    /// whole subject, e.g. `"CN=csenet.example-state.test, O=Example State, C=US"`, so that
    /// a renewed certificate from the same CA keeps working. Both or neither; no two
    /// partners may pin the same subject and issuer. See [`crate::tls::binding`].
    #[serde(default)]
    pub certificate_subject: Option<crate::tls::DistinguishedName>,
    /// The issuer (the partner CA's subject) that goes with `certificate_subject`.
    #[serde(default)]
    pub certificate_issuer: Option<crate::tls::DistinguishedName>,
    /// No longer accepted: a name (common name or DNS name) bound every certificate of the
    /// partner CA that carried it. Kept only so that a configuration still using it is
    /// refused at start with the way to bind the certificate instead.
    #[serde(default)]
    pub certificate_identity: Option<String>,
    /// How messages reach it; a partner we only receive from (a pick-up directory) has
    /// none.
    #[serde(default)]
    pub transport: Option<TransportSettings>,
    /// Retry rules.
    #[serde(default)]
    pub retry: RetryPolicy,
    /// Most deliveries in flight at once.
    #[serde(default = "default_concurrency")]
    pub concurrency: usize,
    /// Circuit breaker.
    #[serde(default)]
    pub circuit: CircuitSettings,
    /// A directory this partner's files arrive in (batch exchanges), picked up by the
    /// gateway.
    #[serde(default)]
    pub pickup: Option<PickupSettings>,
    /// For another state or a Tribe exchanging CSENet transactions: its code and the
    /// exchange agreement.
    #[serde(default)]
    pub interstate: Option<InterstateSettings>,
    /// For a Tribal IV-D program (or, in a Tribe's own gateway, a state): the Tribal
    /// exchange agreement — its locator, the functions it enables and whether it uses the
    /// XML documents or CSENet transactions.
    #[serde(default)]
    pub tribal: Option<TribalAgreement>,
    /// For an employer or payroll processor receiving income withholding orders: the
    /// FEINs it answers for.
    #[serde(default)]
    pub employer: Option<EmployerPartnerSettings>,
}

/// One value or a list of them, each parsed from its text.
fn one_or_many<'de, D, T>(deserializer: D) -> Result<Vec<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: std::str::FromStr<Err = String>,
{
    struct Visitor<T>(std::marker::PhantomData<T>);
    impl<'de, T: std::str::FromStr<Err = String>> serde::de::Visitor<'de> for Visitor<T> {
        type Value = Vec<T>;

        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("a string or a list of strings")
        }

        fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<Vec<T>, E> {
            text.parse().map(|one| vec![one]).map_err(E::custom)
        }

        fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<T>, A::Error> {
            let mut all = Vec::new();
            while let Some(text) = seq.next_element::<String>()? {
                all.push(text.parse().map_err(serde::de::Error::custom)?);
            }
            Ok(all)
        }
    }
    deserializer.deserialize_any(Visitor(std::marker::PhantomData))
}

impl PartnerSettings {
    /// True when the certificate that spoke is one this partner pins: by fingerprint, or
    /// by subject and issuer together. Names in the certificate play no part.
    pub fn binds(&self, peer: &crate::tls::PeerIdentity) -> bool {
        let by_fingerprint = self
            .certificate_fingerprint
            .iter()
            .any(|pinned| pinned.hex() == peer.fingerprint_sha256);
        let by_subject = match (&self.certificate_subject, &self.certificate_issuer) {
            (Some(subject), Some(issuer)) => {
                peer.subject.is_pinned_by(subject) && peer.issuer.is_pinned_by(issuer)
            }
            _ => false,
        };
        by_fingerprint || by_subject
    }
}

/// An employer partner: the FEINs whose withholding orders go to it.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EmployerPartnerSettings {
    /// FEINs, 9 digits (a payroll processor answers for many).
    pub feins: Vec<String>,
}

/// A CSENet partner: who it is and what the exchange agreement covers.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InterstateSettings {
    /// The partner's FIPS (or Tribal locator) code, 7 characters: the Other-FIPS of
    /// transactions we send it, and what its own transactions must say they come from.
    pub fips: String,
    /// The CSENet functions the agreement enables (`LO1`, `CSI`, `ENF`, `EST`, `PAT`,
    /// `MSC`, `COL`).
    pub functions: Vec<String>,
}

impl InterstateSettings {
    /// True when the agreement covers `function`.
    pub fn allows(&self, function: &str) -> bool {
        self.functions
            .iter()
            .any(|f| f.eq_ignore_ascii_case(function))
    }
}

/// How a Tribal exchange agreement exchanges cases.
#[derive(Clone, Copy, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum TribalFormat {
    /// The gateway's XML documents (`schemas/tribal-exchange.xsd`) on
    /// `POST /partner/v1/tribal`.
    #[default]
    Xml,
    /// CSENet transactions on `POST /partner/v1/csenet`. CSENet validates the state part
    /// of every location code against the IRG, so the locator is then the 7-character
    /// location code CSENet knows the Tribe by.
    Csenet,
}

/// A Tribal exchange agreement.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TribalAgreement {
    /// The partner's locator: for the XML documents a Tribe's 5-digit tribal locator code
    /// (IRG), or a state's 7-digit FIPS code when this gateway speaks for a Tribe; for
    /// CSENet the 7-character location code CSENet routes to.
    pub locator: String,
    /// The functions the agreement enables (`LO1`, `CSI`, `ENF`, `EST`, `PAT`, `MSC`,
    /// `COL`), with CSENet's meaning.
    pub functions: Vec<String>,
    /// XML documents (the default) or CSENet transactions.
    #[serde(default)]
    pub format: TribalFormat,
}

impl TribalAgreement {
    /// True when the agreement covers `function`.
    pub fn allows(&self, function: &str) -> bool {
        self.functions
            .iter()
            .any(|f| f.eq_ignore_ascii_case(function))
    }
}

impl PartnerSettings {
    /// The CSENet exchange agreement: the `interstate` one, or a Tribal agreement whose
    /// format is CSENet (its locator is then a CSENet location code).
    pub fn csenet_agreement(&self) -> Option<std::borrow::Cow<'_, InterstateSettings>> {
        if let Some(interstate) = &self.interstate {
            return Some(std::borrow::Cow::Borrowed(interstate));
        }
        let tribal = self.tribal.as_ref()?;
        (tribal.format == TribalFormat::Csenet).then(|| {
            std::borrow::Cow::Owned(InterstateSettings {
                fips: tribal.locator.clone(),
                functions: tribal.functions.clone(),
            })
        })
    }

    /// The Tribal XML exchange agreement, when the partner has one.
    pub fn tribal_xml_agreement(&self) -> Option<&TribalAgreement> {
        self.tribal
            .as_ref()
            .filter(|t| t.format == TribalFormat::Xml)
    }
}

/// A pick-up directory: files a partner (or its transfer software) drops for the gateway.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PickupSettings {
    /// The directory. Picked-up files move to its `processed/` subdirectory.
    pub directory: PathBuf,
    /// The intake channel the files go to (selects how they are processed).
    #[serde(default = "default_pickup_channel")]
    pub channel: String,
    /// How often the directory is scanned, in seconds.
    #[serde(default = "default_pickup_interval")]
    pub interval_secs: u64,
    /// A file is taken only when it has not changed for this long, in seconds, so that a
    /// file still being written is left alone.
    #[serde(default = "default_settle")]
    pub settle_secs: u64,
}

fn default_pickup_channel() -> String {
    "files".to_string()
}

fn default_pickup_interval() -> u64 {
    10
}

fn default_settle() -> u64 {
    2
}

fn default_concurrency() -> usize {
    4
}

/// Circuit breaker settings.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CircuitSettings {
    /// Consecutive failures that open the circuit.
    pub failure_threshold: u32,
    /// How long it stays open, in seconds.
    pub cooldown_secs: u64,
}

impl Default for CircuitSettings {
    fn default() -> Self {
        CircuitSettings {
            failure_threshold: 5,
            cooldown_secs: 30,
        }
    }
}

/// How messages reach a partner.
#[derive(Clone, Debug, Deserialize)]
#[serde(tag = "type", rename_all = "kebab-case", deny_unknown_fields)]
pub enum TransportSettings {
    /// HTTPS POST, one message per request.
    Https {
        /// The URL.
        endpoint: String,
        /// CA to trust for the partner's server certificate (PEM).
        #[serde(default)]
        ca: Option<PathBuf>,
        /// Our client certificate for this partner (PEM).
        #[serde(default)]
        client_cert: Option<PathBuf>,
        /// Its key (PEM).
        #[serde(default)]
        client_key: Option<PathBuf>,
        /// Time-out of one request, in seconds.
        #[serde(default = "default_timeout")]
        timeout_secs: u64,
        /// Allow an `http://` endpoint (loopback test partners only).
        #[serde(default)]
        allow_plaintext: bool,
    },
    /// A file written atomically into a directory the partner picks up from.
    FileDrop {
        /// The directory.
        directory: PathBuf,
    },
    /// One record appended to a data set file the partner retrieves (the CSENet outgoing
    /// transactions data set).
    DataSet {
        /// The data set file.
        file: PathBuf,
    },
}

fn default_timeout() -> u64 {
    30
}

/// A setting that cannot work.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file or an override could not be read.
    #[error("cannot read the configuration: {0}")]
    Load(#[from] Box<figment::Error>),
    /// A value is wrong.
    #[error("configuration: {0}")]
    Invalid(String),
}

impl Settings {
    /// Reads `path` (when it exists) and `IVD_…` overrides, then checks the result.
    pub fn load(path: Option<&Path>) -> Result<Settings, ConfigError> {
        let mut figment = Figment::new();
        if let Some(path) = path {
            if !path.exists() {
                return Err(ConfigError::Invalid(format!(
                    "configuration file {} does not exist",
                    path.display()
                )));
            }
            figment = figment.merge(Toml::file(path));
        }
        let settings: Settings = figment
            .merge(
                Env::prefixed("IVD_")
                    .split("__")
                    .ignore(&["test_database_url"]),
            )
            .extract()
            .map_err(Box::new)?;
        settings.check()?;
        Ok(settings)
    }

    /// Parses TOML text (no environment overrides), then checks it.
    pub fn from_toml(text: &str) -> Result<Settings, ConfigError> {
        let settings: Settings = Figment::new()
            .merge(Toml::string(text))
            .extract()
            .map_err(Box::new)?;
        settings.check()?;
        Ok(settings)
    }

    /// Every partner's certificate binding: no name (`certificate_identity`), subject and
    /// issuer together, and no certificate pinned by two partners.
    fn check_certificate_bindings(&self) -> Result<(), ConfigError> {
        let invalid = |m: String| Err(ConfigError::Invalid(m));
        for partner in &self.partners {
            if let Some(identity) = &partner.certificate_identity {
                return invalid(format!(
                    "partner {}: certificate_identity = {identity:?} is no longer accepted: a name binds \
                     every certificate of the partner CA that carries it, as its common name or as a \
                     DNS name. Bind the partner's certificate by certificate_fingerprint = \"sha256:…\" \
                     (openssl x509 -in CERT -noout -fingerprint -sha256), or by certificate_subject and \
                     certificate_issuer (openssl x509 -in CERT -noout -subject -issuer -nameopt RFC2253)",
                    partner.id
                ));
            }
            if partner.certificate_subject.is_some() != partner.certificate_issuer.is_some() {
                return invalid(format!(
                    "partner {}: certificate_subject and certificate_issuer go together (a subject \
                     alone could be issued by any CA the listener trusts)",
                    partner.id
                ));
            }
        }
        for (i, first) in self.partners.iter().enumerate() {
            for second in &self.partners[i + 1..] {
                if let Some(shared) = first
                    .certificate_fingerprint
                    .iter()
                    .find(|f| second.certificate_fingerprint.contains(f))
                {
                    return invalid(format!(
                        "certificate {shared} is bound to two partners, {} and {}: a certificate speaks \
                         for one partner only",
                        first.id, second.id
                    ));
                }
                if let (Some(s1), Some(i1), Some(s2), Some(i2)) = (
                    &first.certificate_subject,
                    &first.certificate_issuer,
                    &second.certificate_subject,
                    &second.certificate_issuer,
                ) && s1.same_as(s2)
                    && i1.same_as(i2)
                {
                    return invalid(format!(
                        "subject \"{s1}\" of issuer \"{i1}\" is bound to two partners, {} and {}: a \
                         certificate speaks for one partner only",
                        first.id, second.id
                    ));
                }
            }
        }
        Ok(())
    }

    /// Checks the cross-field rules.
    pub fn check(&self) -> Result<(), ConfigError> {
        let invalid = |m: String| Err(ConfigError::Invalid(m));
        if self.outbox.lease_secs == 0 || self.outbox.batch_size == 0 {
            return invalid("outbox.lease_secs and outbox.batch_size must be positive".into());
        }
        let mut ids = std::collections::HashSet::new();
        self.check_certificate_bindings()?;
        for partner in &self.partners {
            if partner.id.is_empty()
                || !partner
                    .id
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
            {
                return invalid(format!(
                    "partner id {:?} must be letters, digits, '-' or '_'",
                    partner.id
                ));
            }
            if !ids.insert(partner.id.as_str()) {
                return invalid(format!("partner id {:?} is used twice", partner.id));
            }
            if partner.concurrency == 0 || partner.retry.max_attempts == 0 {
                return invalid(format!(
                    "partner {}: concurrency and retry.max_attempts must be positive",
                    partner.id
                ));
            }
            if let Some(TransportSettings::Https {
                endpoint,
                timeout_secs,
                allow_plaintext,
                client_cert,
                client_key,
                ..
            }) = &partner.transport
            {
                if endpoint.starts_with("http://") && !allow_plaintext {
                    return invalid(format!(
                        "partner {}: endpoint is plaintext http; use https or set allow_plaintext for a loopback test partner",
                        partner.id
                    ));
                }
                if !endpoint.starts_with("https://") && !endpoint.starts_with("http://") {
                    return invalid(format!(
                        "partner {}: endpoint must be an https URL",
                        partner.id
                    ));
                }
                if *timeout_secs == 0 || *timeout_secs + 5 > self.outbox.lease_secs {
                    return invalid(format!(
                        "partner {}: timeout_secs ({timeout_secs}) must be positive and at least 5 s shorter than outbox.lease_secs ({})",
                        partner.id, self.outbox.lease_secs
                    ));
                }
                if client_cert.is_some() != client_key.is_some() {
                    return invalid(format!(
                        "partner {}: client_cert and client_key go together",
                        partner.id
                    ));
                }
            }
        }
        if let Some(fips) = &self.state.fips
            && (fips.len() != 7 || !fips.bytes().all(|b| b.is_ascii_digit()))
        {
            return invalid(format!("state.fips {fips:?} must be 7 digits"));
        }
        for partner in &self.partners {
            if let Some(interstate) = &partner.interstate {
                if interstate.fips.len() != 7 || !interstate.fips.is_ascii() {
                    return invalid(format!(
                        "partner {}: interstate.fips must be 7 characters",
                        partner.id
                    ));
                }
                if let Some(unknown) = interstate.functions.iter().find(|f| {
                    !["LO1", "CSI", "ENF", "EST", "PAT", "MSC", "COL"]
                        .contains(&f.to_ascii_uppercase().as_str())
                }) {
                    return invalid(format!(
                        "partner {}: {unknown:?} is not a CSENet function",
                        partner.id
                    ));
                }
                if self.state.fips.is_none() {
                    return invalid(format!(
                        "partner {} exchanges CSENet: set state.fips, our own FIPS code",
                        partner.id
                    ));
                }
            }
        }
        if let Some(code) = &self.state.tribe_code {
            if code.len() != 5 || !code.bytes().all(|b| b.is_ascii_digit()) {
                return invalid(format!(
                    "state.tribe_code {code:?} must be the 5-digit tribal locator code"
                ));
            }
            if self.state.fips.is_some() {
                return invalid(
                    "set state.fips (a state's gateway) or state.tribe_code (a Tribe's), not both"
                        .into(),
                );
            }
        }
        for partner in &self.partners {
            let Some(tribal) = &partner.tribal else {
                continue;
            };
            let id = &partner.id;
            if partner.interstate.is_some() {
                return invalid(format!(
                    "partner {id}: one agreement per partner: interstate (CSENet) or tribal, not both"
                ));
            }
            let digits = match (partner.kind, tribal.format) {
                (PartnerKind::Tribe, TribalFormat::Xml) => 5,
                (PartnerKind::Tribe | PartnerKind::State, _) => 7,
                _ => {
                    return invalid(format!(
                        "partner {id}: a tribal agreement is with a Tribe (or, for a Tribe's gateway, a state)"
                    ));
                }
            };
            if tribal.locator.len() != digits || !tribal.locator.bytes().all(|b| b.is_ascii_digit())
            {
                return invalid(format!(
                    "partner {id}: tribal.locator must be {digits} digits for a {:?} partner exchanging {:?}",
                    partner.kind, tribal.format
                ));
            }
            if tribal.format == TribalFormat::Csenet
                && ivd_model::StateFips::parse(&tribal.locator[..2]).is_err()
            {
                return invalid(format!(
                    "partner {id}: tribal.locator must be a CSENet location code (a valid state FIPS in positions 1-2) when the format is csenet"
                ));
            }
            if let Some(unknown) = tribal
                .functions
                .iter()
                .find(|f| ivd_tribal::Function::from_code(&f.to_ascii_uppercase()).is_none())
            {
                return invalid(format!(
                    "partner {id}: {unknown:?} is not a CSENet function"
                ));
            }
            match tribal.format {
                TribalFormat::Csenet if self.state.fips.is_none() => {
                    return invalid(format!(
                        "partner {id} exchanges CSENet: set state.fips, our own FIPS code"
                    ));
                }
                TribalFormat::Xml
                    if self.state.fips.is_none() && self.state.tribe_code.is_none() =>
                {
                    return invalid(format!(
                        "partner {id} exchanges Tribal documents: set state.fips (or state.tribe_code for a Tribe's gateway)"
                    ));
                }
                _ => {}
            }
        }
        for partner in &self.partners {
            if let Some(employer) = &partner.employer {
                if partner.kind != PartnerKind::Employer {
                    return invalid(format!(
                        "partner {}: only an employer partner has FEINs",
                        partner.id
                    ));
                }
                if let Some(bad) = employer
                    .feins
                    .iter()
                    .find(|f| ivd_model::Fein::parse(f).is_err())
                {
                    return invalid(format!(
                        "partner {}: {bad:?} is not a valid FEIN",
                        partner.id
                    ));
                }
            }
        }
        if let Some(ndnh) = &self.employers.ndnh_partner
            && self.partner(ndnh).is_none()
        {
            return invalid(format!(
                "employers.ndnh_partner {ndnh:?} is not a configured partner"
            ));
        }
        if let Some(sink) = self
            .alerts
            .webhook_partners
            .iter()
            .find(|id| self.partner(id).is_none_or(|p| p.transport.is_none()))
        {
            return invalid(format!(
                "alerts.webhook_partners: {sink:?} is not a configured partner with a transport"
            ));
        }
        if let Some(partner) = &self.fidm.partner
            && self.partner(partner).is_none()
        {
            return invalid(format!(
                "fidm.partner {partner:?} is not a configured partner"
            ));
        }
        if let Some(partner) = &self.offset.partner {
            if self.partner(partner).is_none() {
                return invalid(format!(
                    "offset.partner {partner:?} is not a configured partner"
                ));
            }
            let code = &self.offset.state_code;
            if code.len() != 2 || !code.bytes().all(|b| b.is_ascii_uppercase()) {
                return invalid(
                    "offset.state_code must be our 2-letter USPS state code (e.g. \"MN\")".into(),
                );
            }
        }
        if self.employers.ndnh_batch_size == 0 || self.employers.forward_interval_secs == 0 {
            return invalid(
                "employers.ndnh_batch_size and employers.forward_interval_secs must be positive"
                    .into(),
            );
        }
        if self.tls.cert.is_some() != self.tls.key.is_some()
            || (self.tls.cert.is_some() && self.tls.client_ca.is_none())
        {
            return invalid("tls.cert, tls.key and tls.client_ca are set together".into());
        }
        self.server.check().map_err(ConfigError::Invalid)?;
        self.reconcile.check().map_err(ConfigError::Invalid)?;
        self.audit.check().map_err(ConfigError::Invalid)?;
        Ok(())
    }

    /// The partner with this id.
    pub fn partner(&self, id: &str) -> Option<&PartnerSettings> {
        self.partners.iter().find(|p| p.id == id)
    }

    /// The employer partner that answers for `fein` (9 digits), if one is configured.
    pub fn employer_partner(&self, fein: &str) -> Option<&PartnerSettings> {
        self.partners.iter().find(|p| {
            p.employer
                .as_ref()
                .is_some_and(|e| e.feins.iter().any(|f| f.replace('-', "") == fein))
        })
    }

    /// Attempts a message to `partner` is allowed (the default policy's for a partner no
    /// longer configured, so its old messages can still be redelivered).
    pub fn max_attempts_for(&self, partner: &str) -> i64 {
        let policy = self.partner(partner).map(|p| &p.retry);
        i64::from(policy.map_or(RetryPolicy::default().max_attempts, |r| r.max_attempts))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_committed_default_configuration_parses() {
        let text = include_str!("../config/gateway.toml");
        let settings = Settings::from_toml(text).expect("config/gateway.toml is valid");
        assert!(settings.database.url.starts_with("sqlite://"));
        assert_eq!(settings.server.listen.to_string(), "127.0.0.1:8080");
        assert_eq!(settings.server.partner_listen.to_string(), "127.0.0.1:8443");
        assert!(settings.reconcile.schedule_of("ack-deadlines").is_some());
        assert!(settings.reconcile.schedule_of("outbox-health").is_some());
    }

    #[test]
    fn reconcile_jobs_schedules_and_parameters_are_checked() {
        let error = |text: &str| Settings::from_toml(text).unwrap_err().to_string();
        let unknown = error("[reconcile.jobs.no-such-job]\nschedule = \"0 * * * * *\"\n");
        assert!(unknown.contains("no such job"), "{unknown}");
        let schedule = error("[reconcile.jobs.outbox-health]\nschedule = \"daily\"\n");
        assert!(schedule.contains("not a cron schedule"), "{schedule}");
        let parameter = error("[reconcile.jobs.outbox-health]\ndead_letter_dayz = 3\n");
        assert!(parameter.contains("dead_letter_dayz"), "{parameter}");
        let typed = error("[reconcile.jobs.outbox-health]\ndead_letter_days = \"x\"\n");
        assert!(typed.contains("outbox-health"), "{typed}");
        let ok = Settings::from_toml(
            "[reconcile.jobs.outbox-health]\nschedule = \"*/5 * * * * *\"\nenabled = false\ndead_letter_days = 7\n",
        )
        .unwrap();
        assert!(ok.reconcile.schedule_of("outbox-health").is_none());
        assert_eq!(
            ok.reconcile.job("outbox-health").parameters["dead_letter_days"],
            7
        );
    }

    #[test]
    fn the_example_partner_configuration_parses() {
        let text = include_str!("../config/partners.example.toml");
        let settings = Settings::from_toml(text).expect("config/partners.example.toml is valid");
        assert!(!settings.partners.is_empty());
    }

    #[test]
    fn plaintext_partners_must_be_allowed_explicitly() {
        let text = r#"
            [[partners]]
            id = "county"
            kind = "local"
            transport = { type = "https", endpoint = "http://127.0.0.1:9000/in" }
        "#;
        let error = Settings::from_toml(text).unwrap_err().to_string();
        assert!(error.contains("plaintext"), "{error}");
    }

    #[test]
    fn a_certificate_is_bound_to_one_partner_only() {
        let partners = |a: &str, b: &str| {
            format!(
                r#"
                [[partners]]
                id = "state-27"
                kind = "state"
                {a}
                transport = {{ type = "file-drop", directory = "/tmp/a" }}
                [[partners]]
                id = "state-55"
                kind = "state"
                {b}
                transport = {{ type = "file-drop", directory = "/tmp/b" }}
                "#
            )
        };
        let one = format!("sha256:{}", "ab".repeat(32));
        let other = format!("sha256:{}", "cd".repeat(32));
        let same_with_colons = format!("SHA256:{}", ["AB"; 32].join(":"));
        let error = Settings::from_toml(&partners(
            &format!("certificate_fingerprint = [\"{other}\", \"{one}\"]"),
            &format!("certificate_fingerprint = \"{same_with_colons}\""),
        ))
        .unwrap_err()
        .to_string();
        assert!(
            error.contains("two partners, state-27 and state-55"),
            "{error}"
        );
        let pinned = "certificate_subject = \"CN=x, O=Example State\"\n\
                      certificate_issuer = \"CN=Partner CA\"";
        let reversed = "certificate_subject = \"O=Example State,CN=x\"\n\
                        certificate_issuer = \"cn=Partner CA\"";
        let error = Settings::from_toml(&partners(pinned, reversed))
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("two partners, state-27 and state-55"),
            "{error}"
        );
        let settings = Settings::from_toml(&partners(
            &format!("certificate_fingerprint = \"{one}\""),
            &format!("certificate_fingerprint = \"{other}\"\n{pinned}"),
        ))
        .unwrap();
        assert_eq!(settings.partners[1].certificate_fingerprint.len(), 1);
        let error = Settings::from_toml(&partners("certificate_subject = \"CN=x\"", ""))
            .unwrap_err()
            .to_string();
        assert!(error.contains("go together"), "{error}");
        let error = Settings::from_toml(&partners("certificate_fingerprint = \"ab\"", ""))
            .unwrap_err()
            .to_string();
        assert!(error.contains("not a certificate fingerprint"), "{error}");
    }

    #[test]
    fn a_certificate_named_by_identity_is_refused_with_the_way_to_bind_it() {
        let error = Settings::from_toml(
            r#"
            [[partners]]
            id = "state-27"
            kind = "state"
            certificate_identity = "csenet.example-state.test"
            transport = { type = "file-drop", directory = "/tmp/a" }
            "#,
        )
        .unwrap_err()
        .to_string();
        for needed in [
            "partner state-27",
            "no longer accepted",
            "certificate_fingerprint",
            "certificate_subject",
            "certificate_issuer",
        ] {
            assert!(error.contains(needed), "{needed}: {error}");
        }
    }

    #[test]
    fn a_certificate_binds_by_fingerprint_or_subject_and_issuer_never_by_name() {
        let peer = |cn: &str, fingerprint: &str, issuer: &str| crate::tls::PeerIdentity {
            common_name: Some(cn.into()),
            subject: format!("CN={cn}, O=Example").parse().unwrap(),
            issuer: issuer.parse().unwrap(),
            fingerprint_sha256: fingerprint.repeat(32),
        };
        let settings = Settings::from_toml(&format!(
            r#"
            [[partners]]
            id = "by-fingerprint"
            kind = "state"
            certificate_fingerprint = "sha256:{}"
            [[partners]]
            id = "by-subject"
            kind = "tribe"
            certificate_subject = "CN=tribe, O=Example"
            certificate_issuer = "CN=Partner CA"
            "#,
            "ab".repeat(32)
        ))
        .unwrap();
        let (fingerprint, subject) = (&settings.partners[0], &settings.partners[1]);
        let pinned = peer("anyone", "ab", "CN=Other CA");
        assert!(fingerprint.binds(&pinned) && !subject.binds(&pinned));
        let renewed = peer("tribe", "01", "CN=Partner CA");
        assert!(subject.binds(&renewed) && !fingerprint.binds(&renewed));
        assert!(!subject.binds(&peer("tribe", "01", "CN=Other CA")));
        assert!(!subject.binds(&peer("by-subject", "01", "CN=Partner CA")));
        assert!(!fingerprint.binds(&peer("by-fingerprint", "01", "CN=Partner CA")));
    }

    #[test]
    fn a_timeout_longer_than_the_lease_is_refused() {
        let text = r#"
            [outbox]
            lease_secs = 20
            [[partners]]
            id = "slow"
            kind = "state"
            transport = { type = "https", endpoint = "https://example.invalid/", timeout_secs = 30 }
        "#;
        let error = Settings::from_toml(text).unwrap_err().to_string();
        assert!(error.contains("lease_secs"), "{error}");
    }

    #[test]
    fn a_tribal_agreement_names_the_tribe_by_its_locator() {
        let tribe = |locator: &str, format: &str| {
            format!(
                r#"
                [state]
                fips = "2700000"
                [[partners]]
                id = "tribe"
                kind = "tribe"
                tribal = {{ locator = "{locator}", functions = ["CSI", "ENF"], format = "{format}" }}
                "#
            )
        };
        let settings = Settings::from_toml(&tribe("90830", "xml")).expect("a Tribe on XML");
        let partner = settings.partner("tribe").unwrap();
        assert!(partner.tribal_xml_agreement().is_some());
        assert!(partner.csenet_agreement().is_none());
        let settings = Settings::from_toml(&tribe("5599901", "csenet")).expect("a Tribe on CSENet");
        let partner = settings.partner("tribe").unwrap();
        assert_eq!(partner.csenet_agreement().unwrap().fips, "5599901");
        assert!(partner.tribal_xml_agreement().is_none());
        for (locator, format, expected) in [
            ("9083", "xml", "5 digits"),
            ("90830", "csenet", "7 digits"),
            ("9990830", "csenet", "CSENet location code"),
        ] {
            let error = Settings::from_toml(&tribe(locator, format))
                .unwrap_err()
                .to_string();
            assert!(error.contains(expected), "{locator} {format}: {error}");
        }
        let error = Settings::from_toml(&tribe("90830", "xml").replace("\"ENF\"", "\"XYZ\""))
            .unwrap_err()
            .to_string();
        assert!(error.contains("not a CSENet function"), "{error}");
    }

    #[test]
    fn a_tribes_gateway_speaks_as_the_tribe() {
        let text = r#"
            [state]
            tribe_code = "90830"
            [[partners]]
            id = "state-27"
            kind = "state"
            tribal = { locator = "2700000", functions = ["CSI"] }
        "#;
        let settings = Settings::from_toml(text).expect("a Tribe's gateway");
        assert_eq!(settings.state.tribe_code.as_deref(), Some("90830"));
        let both = text.replace("[state]", "[state]\nfips = \"2700000\"");
        let error = Settings::from_toml(&both).unwrap_err().to_string();
        assert!(error.contains("not both"), "{error}");
    }

    #[test]
    fn plain_cookies_are_refused_off_loopback() {
        for listen in ["0.0.0.0:8080", "10.1.2.3:8080", "[::]:8080"] {
            let text = format!("[server]\nlisten = \"{listen}\"\n");
            let error = Settings::from_toml(&text).unwrap_err().to_string();
            assert!(error.contains("server.secure_cookies"), "{listen}: {error}");
            Settings::from_toml(&format!("{text}secure_cookies = true\n"))
                .expect("secure cookies behind HTTPS");
        }
        for listen in ["127.0.0.1:8080", "[::1]:8080"] {
            Settings::from_toml(&format!("[server]\nlisten = \"{listen}\"\n"))
                .expect("plain cookies on loopback");
        }
    }

    #[test]
    fn listener_bounds_must_be_positive() {
        for key in [
            "max_connections",
            "handshake_timeout_secs",
            "header_read_timeout_secs",
            "idle_timeout_secs",
            "keep_alive_timeout_secs",
            "max_concurrent_streams",
        ] {
            let error = Settings::from_toml(&format!("[server]\n{key} = 0\n"))
                .unwrap_err()
                .to_string();
            assert!(error.contains(&format!("server.{key}")), "{error}");
        }
        Settings::from_toml("[server]\nkeep_alive_interval_secs = 0\n")
            .expect("no HTTP/2 pings is a choice");
        let error =
            Settings::from_toml("[server]\nmetrics_listen = \"127.0.0.1:8080\"\n").unwrap_err();
        assert!(
            error.to_string().contains("server.metrics_listen"),
            "{error}"
        );
    }

    #[test]
    fn unknown_keys_are_refused() {
        let error = Settings::from_toml("[database]\nurll = \"x\"\n")
            .unwrap_err()
            .to_string();
        assert!(error.contains("urll"), "{error}");
    }
}
