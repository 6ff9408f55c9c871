//! `ivd-tools demo`: the whole exchange on one machine, with synthetic data, in a minute.
//!
//! Three gateways run in this process on loopback, each with its own embedded SQLite
//! database under the demo directory: **Minnesota** (FIPS 2700000, the one whose dashboard
//! you look at), **Wisconsin** (FIPS 5500000, a partner state exchanging CSENet over mutual
//! TLS) and a **Tribe** (tribal locator 90830, exchanging the Tribal XML documents). Beside
//! them a small loopback server plays an employer's payroll system (receives e-IWOs), a
//! county office that refuses what it is sent (so there is a dead letter), and an alert
//! webhook that prints every alert; the federal exchanges (NDNH, tax offset) and the bank
//! (FIDM) are directories, as with their real file transfers.
//!
//! The traffic: cases pushed to each gateway; an enforcement request to Wisconsin
//! (acknowledged at once); a case-status request to the Tribe (acknowledged, then answered);
//! an employer's new-hire file with a few bad records and one noncustodial parent (matched:
//! an e-IWO goes to the employer), forwarded to NDNH; a tax-offset certification cycle; a
//! FIDM inquiry file; a case to the county (refused: dead letter and alert); then Wisconsin
//! goes down for twenty seconds while a request waits for it (partner down, partner back),
//! and answers it afterwards. Everything then stays up for the dashboard until Ctrl-C.
//!
//! All people are synthetic (the samples in `schemas/samples/` and the new-hire generator).

mod sinks;
mod traffic;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::Context;

use ivd_gateway::app::RunningGateway;
use ivd_gateway::config::Settings;
use ivd_gateway::store::now_ms;
use ivd_gateway::store::tokens::{self, Role};

/// A marker that says a directory was made by the demo (and may be wiped by the next one).
const MARKER: &str = ".ivd-demo";
/// The operator the demo signs you in as.
pub const OPERATOR: &str = "demo-operator";

/// How to run the demo.
#[derive(Clone, Debug)]
pub struct DemoOptions {
    /// Where the demo keeps its databases, certificates and file exchanges (wiped at the
    /// start when an earlier demo made it).
    pub dir: PathBuf,
    /// Minnesota's API listener: the dashboard.
    pub listen: SocketAddr,
    /// How long Wisconsin is down.
    pub outage: std::time::Duration,
}

/// Ports of every loopback listener, picked before anything starts (each gateway's
/// configuration names the others).
struct Ports {
    minnesota_partners: u16,
    wisconsin_api: u16,
    wisconsin_partners: u16,
    tribe_api: u16,
    tribe_partners: u16,
    sinks: u16,
}

fn free_port() -> anyhow::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

/// Runs the demo until Ctrl-C (or SIGTERM).
pub async fn run(options: DemoOptions) -> anyhow::Result<()> {
    prepare(&options.dir)?;
    let dir = std::fs::canonicalize(&options.dir)?;
    let ports = Ports {
        minnesota_partners: free_port()?,
        wisconsin_api: free_port()?,
        wisconsin_partners: free_port()?,
        tribe_api: free_port()?,
        tribe_partners: free_port()?,
        sinks: free_port()?,
    };
    let pki = Pki::create(&dir.join("pki"))?;
    let minnesota = settings(&minnesota_toml(&dir, &options, &ports, &pki))?;
    let wisconsin = settings(&wisconsin_toml(&dir, &ports, &pki))?;
    let tribe = settings(&tribe_toml(&dir, &ports, &pki))?;

    let sinks = sinks::start(ports.sinks).await?;
    let mn = RunningGateway::start(minnesota)
        .await
        .context("starting Minnesota")?;
    let wi = RunningGateway::start(wisconsin.clone())
        .await
        .context("starting Wisconsin")?;
    let tr = RunningGateway::start(tribe)
        .await
        .context("starting the Tribe")?;

    let now = now_ms();
    let operator = tokens::issue(&mn.state.db, OPERATOR, Role::Operator, now).await?;
    write_private(
        &dir.join("operator-token.txt"),
        format!("{operator}\n").as_bytes(),
    )?;
    println!();
    println!(
        "ivd-tools demo: three gateways, an employer, a county, NDNH, OCSE and a bank on loopback."
    );
    println!("  Dashboard:  http://{}/", mn.api_addr);
    println!("  Sign in as: {OPERATOR}");
    println!(
        "  Token:      {operator}   (also in {})",
        dir.join("operator-token.txt").display()
    );
    println!("  Files:      {}", dir.display());
    println!(
        "Traffic starts now; every exchange is on the dashboard within a minute. Ctrl-C stops."
    );
    println!();

    let scenario = traffic::Scenario::new(&dir, &mn, &wi, &tr).await?;
    let driver = tokio::spawn(scenario.play(wi, wisconsin, options.outage));
    ivd_gateway::app::ShutdownSignal::listen().received().await;
    println!("Stopping the demo.");
    let wi = match tokio::time::timeout(std::time::Duration::from_secs(1), driver).await {
        Ok(Ok(Ok(wi))) => Some(wi),
        Ok(Ok(Err(error))) => {
            tracing::warn!(error = %error, "The demo traffic stopped early.");
            None
        }
        _ => None,
    };
    if let Some(wi) = wi {
        wi.stop().await;
    }
    tr.stop().await;
    mn.stop().await;
    sinks.abort();
    Ok(())
}

/// Makes (or remakes) the demo directory; refuses to wipe one the demo did not make.
fn prepare(dir: &Path) -> anyhow::Result<()> {
    if dir.exists() {
        let empty = std::fs::read_dir(dir)?.next().is_none();
        if !empty && !dir.join(MARKER).exists() {
            anyhow::bail!(
                "{} exists and was not made by the demo; choose another --dir",
                dir.display()
            );
        }
        std::fs::remove_dir_all(dir)?;
    }
    for sub in [
        "minnesota",
        "wisconsin",
        "tribe",
        "federal/ndnh-outbound",
        "federal/ndnh-returns",
        "federal/offset-outbound",
        "federal/offset-returns",
        "bank/inquiries",
        "bank/matches",
    ] {
        ivd_gateway::privacy::files::create_private_dir_all(&dir.join(sub))?;
    }
    std::fs::write(
        dir.join(MARKER),
        "made by `ivd-tools demo`; wiped by the next one\n",
    )?;
    Ok(())
}

/// Writes `bytes` to a new owner-only file (the operator's token, synthetic new hires).
pub(crate) fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    ivd_gateway::privacy::files::private_options()
        .write(true)
        .create(true)
        .truncate(true)
        .open(path)?
        .write_all(bytes)
}

fn settings(toml: &str) -> anyhow::Result<Settings> {
    Settings::from_toml(toml).context("the demo's configuration")
}

/// The demo's certificates: a CA, the server certificate every gateway presents, one
/// client certificate per party.
struct Pki {
    ca: PathBuf,
    server_cert: PathBuf,
    server_key: PathBuf,
    clients: Vec<(String, PathBuf, PathBuf)>,
}

impl Pki {
    fn create(dir: &Path) -> anyhow::Result<Pki> {
        let dev = ivd_gateway::tls::ensure_dev_certificates(dir)?;
        let mut clients = Vec::new();
        for name in ["state-27", "state-55", "tribe-90830"] {
            ivd_gateway::privacy::files::create_private_dir_all(&dir.join(name))?;
            let issued = ivd_gateway::tls::issue_client_certificate(
                &dev.ca_cert,
                &dev.ca_key,
                name,
                &dir.join(name),
            )?;
            clients.push((name.to_string(), issued.cert, issued.key));
        }
        Ok(Pki {
            ca: dev.ca_cert,
            server_cert: dev.server_cert,
            server_key: dev.server_key,
            clients,
        })
    }

    /// `client_cert = …, client_key = …` of `name`.
    fn client(&self, name: &str) -> String {
        let (_, cert, key) = self
            .clients
            .iter()
            .find(|(n, _, _)| n == name)
            .expect("every party has a certificate");
        format!(
            r#"client_cert = "{}", client_key = "{}""#,
            cert.display(),
            key.display()
        )
    }

    /// The fingerprint that binds `name`'s client certificate to it on the other gateways.
    fn fingerprint(&self, name: &str) -> String {
        let (_, cert, _) = self
            .clients
            .iter()
            .find(|(n, _, _)| n == name)
            .expect("every party has a certificate");
        ivd_gateway::tls::CertificatePins::of_pem_file(cert)
            .map(|pins| pins.fingerprint.to_string())
            .unwrap_or_default()
    }

    fn tls_section(&self) -> String {
        format!(
            "[tls]\ncert = \"{}\"\nkey = \"{}\"\nclient_ca = \"{}\"\n",
            self.server_cert.display(),
            self.server_key.display(),
            self.ca.display()
        )
    }
}

/// What every demo gateway shares: its database, keys, audit checkpoints and spool in its
/// own directory, quick polling, readable logs only for warnings (the demo prints its own
/// story).
fn common(dir: &Path, api: &str, partners: u16, pki: &Pki) -> String {
    format!(
        r#"
[database]
url = "sqlite://{dir}/gateway.db"
[server]
listen = "{api}"
partner_listen = "127.0.0.1:{partners}"
shutdown_grace_secs = 2
{tls}
[outbox]
poll_interval_ms = 100
[log]
format = "text"
filter = "error"
[privacy]
lookup_key_file = "{dir}/keys/lookup.key"
data_key_dir = "{dir}/keys/data"
[audit]
key_file = "{dir}/keys/audit.key"
checkpoint_dir = "{dir}/audit/checkpoints"
"#,
        dir = dir.display(),
        tls = pki.tls_section(),
    )
}

/// A partner reached over mutual TLS, with fast retries and a circuit that opens after
/// three failures (so the outage shows within seconds).
fn mtls_partner(
    id: &str,
    kind: &str,
    agreement: &str,
    endpoint: &str,
    pki: &Pki,
    client: &str,
) -> String {
    format!(
        r#"
[[partners]]
id = "{id}"
kind = "{kind}"
certificate_fingerprint = "{fingerprint}"
{agreement}
transport = {{ type = "https", endpoint = "{endpoint}", ca = "{ca}", {client}, timeout_secs = 5 }}
retry = {{ min_delay_ms = 500, max_delay_ms = 4000, max_attempts = 200 }}
circuit = {{ failure_threshold = 3, cooldown_secs = 4 }}
"#,
        ca = pki.ca.display(),
        client = pki.client(client),
        fingerprint = pki.fingerprint(id),
    )
}

fn minnesota_toml(dir: &Path, options: &DemoOptions, ports: &Ports, pki: &Pki) -> String {
    let home = dir.join("minnesota");
    let sinks = format!("http://127.0.0.1:{}", ports.sinks);
    format!(
        r#"{common}
[state]
fips = "2700000"
[employers]
spool_dir = "{home}/spool"
ndnh_partner = "ndnh"
ndnh_encoding = "ascii"
forward_interval_secs = 5
[employers.iwo]
issuing_state = "MINNESOTA"
issuing_jurisdiction = "RAMSEY COUNTY CHILD SUPPORT"
official_name = "PAT EXAMPLE"
official_title = "CHILD SUPPORT OFFICER"
payee_name = "MINNESOTA CHILD SUPPORT PAYMENT CENTER"
payee_address = "PO BOX 64326"
payee_city = "ST PAUL"
payee_state = "MN"
payee_zip = "55164"
remittance_fips = "2700000"
contact_name = "EMPLOYER SERVICES"
contact_phone = "6515550199"
[offset]
partner = "ocse-offset"
state_code = "MN"
encoding = "ascii"
cycle_interval_secs = 0
[fidm]
partner = "fidm-bank"
encoding = "ascii"
inquiry_interval_secs = 0
[alerts]
webhook_partners = ["ops-alerts"]
{wisconsin}{tribe}
[[partners]]
id = "employer-acme"
name = "Acme Payroll (synthetic employer)"
kind = "employer"
employer = {{ feins = ["41-1234567"] }}
transport = {{ type = "https", endpoint = "{sinks}/eiwo", allow_plaintext = true, timeout_secs = 5 }}

[[partners]]
id = "ndnh"
name = "National Directory of New Hires (file transfer)"
kind = "federal"
transport = {{ type = "file-drop", directory = "{dir}/federal/ndnh-outbound" }}
pickup = {{ directory = "{dir}/federal/ndnh-returns", channel = "ndnh-returns", interval_secs = 2, settle_secs = 0 }}

[[partners]]
id = "ocse-offset"
name = "OCSE Federal Offset (file transfer)"
kind = "federal"
transport = {{ type = "file-drop", directory = "{dir}/federal/offset-outbound" }}
pickup = {{ directory = "{dir}/federal/offset-returns", channel = "offset-rejects", interval_secs = 2, settle_secs = 0 }}

[[partners]]
id = "fidm-bank"
name = "Example bank (FIDM Method 2)"
kind = "financial-institution"
transport = {{ type = "file-drop", directory = "{dir}/bank/inquiries" }}
pickup = {{ directory = "{dir}/bank/matches", channel = "fidm-matches", interval_secs = 2, settle_secs = 0 }}

[[partners]]
id = "county-9"
name = "Example county office (refuses everything)"
kind = "local"
transport = {{ type = "https", endpoint = "{sinks}/cases", allow_plaintext = true, timeout_secs = 5 }}
retry = {{ min_delay_ms = 200, max_delay_ms = 1000, max_attempts = 3 }}

[[partners]]
id = "ops-alerts"
name = "Operations alert webhook"
kind = "local"
transport = {{ type = "https", endpoint = "{sinks}/alerts", allow_plaintext = true, timeout_secs = 5 }}
"#,
        common = common(
            &home,
            &options.listen.to_string(),
            ports.minnesota_partners,
            pki
        ),
        home = home.display(),
        dir = dir.display(),
        wisconsin = mtls_partner(
            "state-55",
            "state",
            r#"name = "Wisconsin (FIPS 55)"
interstate = { fips = "5500000", functions = ["LO1", "CSI", "ENF", "EST", "PAT", "MSC", "COL"] }"#,
            &format!(
                "https://localhost:{}/partner/v1/csenet",
                ports.wisconsin_partners
            ),
            pki,
            "state-27",
        ),
        tribe = mtls_partner(
            "tribe-90830",
            "tribe",
            r#"name = "Example Tribal IV-D program (90830)"
tribal = { locator = "90830", functions = ["LO1", "CSI", "ENF", "COL", "MSC"], format = "xml" }"#,
            &format!(
                "https://localhost:{}/partner/v1/tribal",
                ports.tribe_partners
            ),
            pki,
            "state-27",
        ),
    )
}

fn wisconsin_toml(dir: &Path, ports: &Ports, pki: &Pki) -> String {
    format!(
        "{common}\n[state]\nfips = \"5500000\"\n{minnesota}",
        common = common(
            &dir.join("wisconsin"),
            &format!("127.0.0.1:{}", ports.wisconsin_api),
            ports.wisconsin_partners,
            pki
        ),
        minnesota = mtls_partner(
            "state-27",
            "state",
            r#"name = "Minnesota (FIPS 27)"
interstate = { fips = "2700000", functions = ["LO1", "CSI", "ENF", "EST", "PAT", "MSC", "COL"] }"#,
            &format!(
                "https://localhost:{}/partner/v1/csenet",
                ports.minnesota_partners
            ),
            pki,
            "state-55",
        ),
    )
}

fn tribe_toml(dir: &Path, ports: &Ports, pki: &Pki) -> String {
    format!(
        "{common}\n[state]\ntribe_code = \"90830\"\n{minnesota}",
        common = common(
            &dir.join("tribe"),
            &format!("127.0.0.1:{}", ports.tribe_api),
            ports.tribe_partners,
            pki
        ),
        minnesota = mtls_partner(
            "state-27",
            "state",
            r#"name = "Minnesota (FIPS 27)"
tribal = { locator = "2700000", functions = ["LO1", "CSI", "ENF", "COL", "MSC"], format = "xml" }"#,
            &format!(
                "https://localhost:{}/partner/v1/tribal",
                ports.minnesota_partners
            ),
            pki,
            "tribe-90830",
        ),
    )
}
