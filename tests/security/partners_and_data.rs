//! Partners and stored data: certificates bound by fingerprint (or subject and issuer),
//! never by a name in them; federal tax information of reconciliation reports seen by the
//! `fti-reader` role only; files owner-only and key files others can read refused; partner
//! error text masked and bounded.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use ivd_gateway::channels::offset::{
    COLLECTIONS_CHANNEL, OffsetExchange, OffsetSettings, ReturnIntake,
};
use ivd_gateway::config::{FileEncoding, PartnerKind, PickupSettings, TransportSettings};
use ivd_gateway::intake::{self, Inbound};
use ivd_gateway::store::tokens::{self, Role};
use ivd_gateway::store::{Db, now_ms};
use ivd_gateway::tls::ensure_dev_certificates;
use ivd_testkit::tls::issue_client_certificate_naming;
use serde_json::Value;
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::support::app::TestApp;
use crate::support::issue_token;
use crate::support::{
    GatewayProcess, TestDb, fingerprint_of, gateway_settings, http_partner, mtls_client,
    test_message, wait_until,
};
use crate::{api, partner_url};

crate::on_both_backends!(
    operators_see_that_the_offset_job_ran_and_only_the_fti_reader_reads_what_it_found,
    a_partner_answering_500_with_ssns_leaves_a_bounded_masked_error,
);

const DAY: i64 = 86_400_000;

/// Runs one statement with bound integers, on either backend.
async fn exec(db: &Db, sql: &str, args: &[Option<i64>]) {
    macro_rules! run {
        ($pool:expr) => {{
            let mut query = sqlx::query(sqlx::AssertSqlSafe(sql.to_string()));
            for arg in args {
                query = query.bind(*arg);
            }
            query.execute($pool).await.expect(sql);
        }};
    }
    match db {
        Db::Sqlite { write, .. } => run!(write),
        Db::Postgres(pool, _) => run!(pool),
    }
}

/// Every row of a query returning text columns, on either backend.
async fn texts(db: &Db, sql: &str) -> Vec<Vec<Option<String>>> {
    use sqlx::Row;
    macro_rules! rows {
        ($pool:expr) => {{
            sqlx::query(sqlx::AssertSqlSafe(sql.to_string()))
                .fetch_all($pool)
                .await
                .expect(sql)
                .iter()
                .map(|row| {
                    (0..row.len())
                        .map(|i| row.try_get::<Option<String>, _>(i).expect(sql))
                        .collect()
                })
                .collect()
        }};
    }
    match db {
        Db::Sqlite { read, .. } => rows!(read),
        Db::Postgres(pool, _) => rows!(pool),
    }
}

// ---------------------------------------------------------------------------------------
// Federal tax information in reconciliation reports

/// Signs in to the dashboard as `name`; returns the `Cookie` header of the session. Sends
/// back whatever the sign-in form carries (hidden fields, cookies), as a browser would.
async fn dashboard_session(http: &reqwest::Client, api: &str, name: &str, token: &str) -> String {
    let form = http.get(format!("{api}/sign-in")).send().await.unwrap();
    let mut cookies: Vec<String> = set_cookies(&form);
    let html = form.text().await.unwrap();
    let mut fields: Vec<(String, String)> = hidden_inputs(&html);
    fields.push(("name".into(), name.into()));
    fields.push(("token".into(), token.into()));
    let signed_in = http
        .post(format!("{api}/sign-in"))
        .header("cookie", cookies.join("; "))
        .form(&fields)
        .send()
        .await
        .unwrap();
    assert!(
        signed_in.status().is_redirection(),
        "signed in: {}",
        signed_in.status()
    );
    cookies.extend(set_cookies(&signed_in));
    cookies.join("; ")
}

fn set_cookies(response: &reqwest::Response) -> Vec<String> {
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(|v| v.split(';').next())
        .map(str::to_string)
        .collect()
}

/// `(name, value)` of every `<input type="hidden" …>` of a page.
fn hidden_inputs(html: &str) -> Vec<(String, String)> {
    let attribute = |tag: &str, name: &str| {
        let start = tag.find(&format!("{name}=\""))? + name.len() + 2;
        let end = tag[start..].find('"')? + start;
        Some(tag[start..end].replace("&amp;", "&"))
    };
    html.split("<input")
        .skip(1)
        .filter_map(|rest| rest.split('>').next())
        .filter(|tag| tag.contains("type=\"hidden\""))
        .filter_map(|tag| Some((attribute(tag, "name")?, attribute(tag, "value")?)))
        .collect()
}

/// What the offset job's report knows about people from OCSE's files: none of it may reach
/// someone without the `fti-reader` role.
fn assert_no_fti(what: &str, text: &str, facts: &[String]) {
    for fact in facts {
        assert!(
            !text.contains(fact.as_str()),
            "{what} shows federal tax information ({fact}):\n{text}"
        );
    }
}

async fn operators_see_that_the_offset_job_ran_and_only_the_fti_reader_reads_what_it_found(
    t: TestDb,
) {
    let mut settings = gateway_settings(&t, Vec::new());
    settings.offset = OffsetSettings {
        state_code: "MN".into(),
        encoding: FileEncoding::Ascii,
        ..OffsetSettings::default()
    };
    let db = &t.db;
    let now = now_ms();

    // OCSE paid offset collections for two cases the gateway does not hold: the job finds
    // each unmatched, which is federal tax information (who was paid, for which case).
    let exchange = OffsetExchange {
        db: db.clone(),
        settings: Arc::new(settings.clone()),
        key: settings.privacy.lookup_key().unwrap(),
        sealer: db.sealer().keys().cloned().unwrap(),
    };
    let collections = std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("adapters/offset/samples/collections.txt"),
    )
    .unwrap();
    let receipt = intake::receive(
        db,
        &Inbound {
            partner: "ocse",
            channel: COLLECTIONS_CHANNEL,
            message_id: None,
            content_type: "application/octet-stream",
            body: &collections,
        },
        now,
    )
    .await
    .unwrap()
    .receipt_id()
    .to_string();
    let processor = ReturnIntake {
        exchange,
        channel: COLLECTIONS_CHANNEL,
    };
    assert!(
        intake::process(db, &processor, &receipt, now)
            .await
            .unwrap()
    );
    // And a certification cycle with no reconciliation file since: a transport matter
    // operators must see and act on, not FTI.
    exec(
        db,
        "INSERT INTO offset_cycles (cycle, cause, submissions, message_id, created_at) \
         VALUES ($1, 'cycle', 0, NULL, $2)",
        &[Some(7), Some(now - 40 * DAY)],
    )
    .await;
    let facts: Vec<String> = [
        "KS-0001234",
        "KS-0002345",
        "***-**-",
        "OFFSET_COLLECTION_UNMATCHED",
        receipt.as_str(),
    ]
    .map(String::from)
    .to_vec();

    let gateway = TestApp::spawn_with(settings).await;
    let api = api(&gateway);
    let operator = tokens::issue(db, "ops-olga", Role::Operator, now)
        .await
        .unwrap();
    let reader = tokens::issue(db, "fti-clerk", Role::FtiReader, now)
        .await
        .unwrap();
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let get = |url: String, token: &str| http.get(url).bearer_auth(token.to_string()).send();

    // The operator runs the job: it ran, found three things, two of them withheld as FTI.
    let ran: Value = http
        .post(format!("{api}/operator/v1/reconcile/jobs/offset/run"))
        .bearer_auth(&operator)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let run = ran["id"].as_i64().expect("a stored run");
    assert_eq!(ran["status"], "succeeded", "{ran}");
    assert_eq!(ran["discrepancies"], 3, "{ran}");
    assert_eq!(ran["report"]["counts"]["collections"], 2, "{ran}");
    let codes: Vec<&str> = ran["report"]["discrepancies"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|d| d["code"].as_str())
        .collect();
    assert_eq!(codes, ["OFFSET_CYCLE_UNCONFIRMED"], "{ran}");
    assert_eq!(ran["report"]["ftiWithheld"], 2, "{ran}");
    assert_no_fti("the run's answer", &ran.to_string(), &facts);

    // Whatever else an operator can ask for about the run.
    for path in [
        format!("/operator/v1/reconcile/runs/{run}"),
        "/operator/v1/reconcile/runs?job=offset".to_string(),
        "/operator/v1/reconcile/jobs".to_string(),
        format!("/operator/v1/reconcile/runs/{run}/report.csv"),
    ] {
        let answer = get(format!("{api}{path}"), &operator).await.unwrap();
        assert_eq!(answer.status().as_u16(), 200, "{path}");
        assert_no_fti(&path, &answer.text().await.unwrap(), &facts);
    }
    let csv = get(
        format!("{api}/operator/v1/reconcile/runs/{run}/report.csv"),
        &operator,
    )
    .await
    .unwrap()
    .text()
    .await
    .unwrap();
    assert!(csv.contains("OFFSET_CYCLE_UNCONFIRMED"), "{csv}");

    // The dashboard: the run, its count and a word on what is withheld; no FTI.
    let session = dashboard_session(&http, &api, "ops-olga", &operator).await;
    for path in [
        "/reconciliation".to_string(),
        format!("/reconciliation/runs/{run}"),
        format!("/reconciliation/runs/{run}/report.csv"),
    ] {
        let page = http
            .get(format!("{api}{path}"))
            .header("cookie", &session)
            .send()
            .await
            .unwrap();
        assert_eq!(page.status().as_u16(), 200, "{path}");
        let text = page.text().await.unwrap();
        assert_no_fti(&path, &text, &facts);
        if path.ends_with(&format!("/runs/{run}")) {
            assert!(text.contains("OFFSET_CYCLE_UNCONFIRMED"), "{text}");
            assert!(
                text.contains("2 of them are federal tax information"),
                "{text}"
            );
        }
    }

    // Nor do the alert it raised, the metrics or the stored report.
    for row in texts(db, "SELECT summary FROM alerts").await {
        assert_no_fti("an alert", row[0].as_deref().unwrap_or(""), &facts);
    }
    let metrics = gateway
        .state
        .metrics
        .render(db, &[], now_ms())
        .await
        .unwrap();
    assert_no_fti("the metrics", &metrics, &facts);
    let stored = texts(
        db,
        &format!("SELECT report, fti_report FROM reconcile_runs WHERE id = {run}"),
    )
    .await;
    assert_no_fti(
        "the stored report",
        stored[0][0].as_deref().unwrap(),
        &facts,
    );
    let sealed = stored[0][1].as_deref().expect("the FTI kept apart");
    assert!(sealed.starts_with("ivd1."), "sealed at rest: {sealed}");
    assert_no_fti("the sealed report", sealed, &facts);

    // None of that was a read of FTI; the operator cannot make one.
    let audited = |entries: &[ivd_gateway::audit::Entry]| {
        entries
            .iter()
            .filter(|e| e.action == "fti.read" && e.subject == format!("reconcile-run:{run}"))
            .map(|e| e.actor.clone())
            .collect::<Vec<_>>()
    };
    let entries = ivd_gateway::audit::recent(db, 100).await.unwrap();
    assert!(audited(&entries).is_empty());
    for path in [
        format!("/fti/v1/reconcile/runs/{run}"),
        format!("/fti/v1/reconcile/runs/{run}/report.csv"),
    ] {
        let refused = get(format!("{api}{path}"), &operator).await.unwrap();
        assert_eq!(refused.status().as_u16(), 403, "{path}");
    }

    // The fti-reader reads all of it, and each read is on the audit trail.
    let whole: Value = get(format!("{api}/fti/v1/reconcile/runs/{run}"), &reader)
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let unmatched: Vec<&Value> = whole["report"]["discrepancies"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["code"] == "OFFSET_COLLECTION_UNMATCHED")
        .collect();
    assert_eq!(unmatched.len(), 2, "{whole}");
    assert!(
        unmatched
            .iter()
            .any(|d| d["caseId"] == "KS-0002345" && d["person"] == "***-**-7891"),
        "{whole}"
    );
    let csv = get(
        format!("{api}/fti/v1/reconcile/runs/{run}/report.csv"),
        &reader,
    )
    .await
    .unwrap()
    .text()
    .await
    .unwrap();
    assert!(
        csv.contains("KS-0002345") && csv.contains("OFFSET_CYCLE_UNCONFIRMED"),
        "{csv}"
    );
    let entries = ivd_gateway::audit::recent(db, 100).await.unwrap();
    assert_eq!(
        audited(&entries),
        ["token:fti-clerk", "token:fti-clerk"],
        "both reads audited"
    );

    gateway.stop().await;
    t.cleanup().await;
}

// ---------------------------------------------------------------------------------------
// Certificates bound to partners

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_partner_ca_certificate_naming_another_partner_is_not_taken_for_it() {
    let t = TestDb::sqlite().await;
    let tls_dir = t.scratch_dir().join("tls");
    let certs = ensure_dev_certificates(&tls_dir).unwrap();
    let out = t.scratch_dir().join("issued");
    ivd_gateway::privacy::files::create_private_dir_all(&out).unwrap();
    // Minnesota's certificate is the development partner's; Wisconsin has its own. The
    // partner CA also issued Minnesota a second certificate carrying Wisconsin's name.
    let wisconsin =
        ivd_gateway::tls::issue_client_certificate(&certs.ca_cert, &certs.ca_key, "state-55", &out)
            .unwrap();
    let forged = issue_client_certificate_naming(
        &certs.ca_cert,
        &certs.ca_key,
        "state-27-second",
        &["state-55"],
        &out,
    )
    .unwrap();

    let mut minnesota = http_partner("state-27", "http://127.0.0.1:9/unused", 3);
    minnesota.certificate_fingerprint = vec![fingerprint_of(&certs.partner_cert)];
    let mut wisconsin_partner = http_partner("state-55", "http://127.0.0.1:9/unused", 3);
    wisconsin_partner.certificate_fingerprint = vec![fingerprint_of(&wisconsin.cert)];

    // The same certificate pinned for two partners: the gateway does not start, and says
    // which two.
    let mut twice = GatewayProcess::start(
        &t.scratch_dir().join("twice"),
        "twice",
        &format!(
            r#"
[database]
url = "sqlite://{dir}/twice/gateway.db"
[server]
listen = "127.0.0.1:0"
partner_listen = "127.0.0.1:0"
[tls]
dir = "{dir}/tls"
[[partners]]
id = "state-27"
kind = "state"
certificate_fingerprint = "{fingerprint}"
[[partners]]
id = "state-19"
kind = "state"
certificate_fingerprint = ["{other}", "{fingerprint}"]
"#,
            dir = t.scratch_dir().display(),
            fingerprint = fingerprint_of(&certs.partner_cert),
            other = fingerprint_of(&wisconsin.cert),
        ),
    );
    assert!(
        wait_until(Duration::from_secs(30), || {
            let running = twice.alive();
            async move { !running }
        })
        .await,
        "a certificate bound to two partners is refused at start"
    );
    let log = std::fs::read_to_string(t.scratch_dir().join("twice/twice.log")).unwrap();
    assert!(log.contains("two partners, state-27 and state-19"), "{log}");

    // A partner pinned by subject and issuer instead, and one pinning a certificate that
    // another partner's subject pin also covers: that certificate speaks for nobody.
    let mut by_subject = http_partner("tribe-90830", "http://127.0.0.1:9/unused", 3);
    by_subject.kind = PartnerKind::Tribe;
    crate::support::bind_dev_partner(&mut by_subject);
    let gateway = TestApp::spawn_with(gateway_settings(
        &t,
        vec![minnesota.clone(), wisconsin_partner.clone()],
    ))
    .await;
    let url = partner_url(&gateway, "/partner/v1/whoami");
    let whoami = |cert: &Path, key: &Path| {
        let client = mtls_client(&certs.ca_cert, Some((cert, key)));
        let url = url.clone();
        async move {
            let answer = client.get(&url).send().await.unwrap();
            let status = answer.status().as_u16();
            (status, answer.json::<Value>().await.unwrap_or_default())
        }
    };
    let (status, body) = whoami(&certs.partner_cert, &certs.partner_key).await;
    assert_eq!((status, body["partner"].as_str()), (200, Some("state-27")));
    let (status, body) = whoami(&wisconsin.cert, &wisconsin.key).await;
    assert_eq!((status, body["partner"].as_str()), (200, Some("state-55")));
    // Wisconsin's name in a certificate does not make it Wisconsin's.
    let (status, body) = whoami(&forged.cert, &forged.key).await;
    assert_eq!(status, 403, "{body}");
    let client = mtls_client(&certs.ca_cert, Some((&forged.cert, &forged.key)));
    let csenet = client
        .post(partner_url(&gateway, "/partner/v1/csenet"))
        .body("anything")
        .send()
        .await
        .unwrap();
    assert_eq!(csenet.status().as_u16(), 403);
    gateway.stop().await;

    let gateway = TestApp::spawn_with(gateway_settings(&t, vec![minnesota, by_subject])).await;
    let url = partner_url(&gateway, "/partner/v1/whoami");
    let client = mtls_client(
        &certs.ca_cert,
        Some((&certs.partner_cert, &certs.partner_key)),
    );
    let answer = client.get(&url).send().await.unwrap();
    assert_eq!(
        answer.status().as_u16(),
        403,
        "a certificate two partners pin speaks for neither"
    );
    let client = mtls_client(&certs.ca_cert, Some((&wisconsin.cert, &wisconsin.key)));
    assert_eq!(
        client.get(&url).send().await.unwrap().status().as_u16(),
        403
    );
    gateway.stop().await;
    t.cleanup().await;
}

// ---------------------------------------------------------------------------------------
// File modes

/// Every file and directory under `root`, with its permission bits.
fn modes_under(root: &Path) -> Vec<(PathBuf, u32, bool)> {
    let mut found = Vec::new();
    let mut pending = vec![root.to_path_buf()];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            let metadata = std::fs::symlink_metadata(&path).unwrap();
            found.push((
                path.clone(),
                metadata.permissions().mode() & 0o777,
                metadata.is_dir(),
            ));
            if metadata.is_dir() {
                pending.push(path);
            }
        }
    }
    found
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn everything_the_gateway_writes_is_owner_only() {
    let t = TestDb::sqlite().await;
    let scratch = t.scratch_dir();
    // The directories partners share with the gateway are the operator's; the test makes
    // them owner-only too, so that anything open under the scratch directory is the
    // gateway's doing.
    let (csenet, pickup) = (scratch.join("csenet"), scratch.join("pickup"));
    for dir in [&csenet, &pickup] {
        ivd_gateway::privacy::files::create_private_dir_all(dir).unwrap();
    }
    let mut state_06 = http_partner("state-06", "http://127.0.0.1:9/unused", 3);
    state_06.transport = Some(TransportSettings::DataSet {
        file: csenet.join("outgoing.dat"),
    });
    let mut ocse = http_partner("ocse-recon", "http://127.0.0.1:9/unused", 3);
    ocse.kind = PartnerKind::Federal;
    ocse.transport = None;
    ocse.pickup = Some(PickupSettings {
        directory: pickup.clone(),
        channel: "files".into(),
        interval_secs: 1,
        settle_secs: 0,
    });
    let gateway = TestApp::spawn_with(gateway_settings(&t, vec![state_06, ocse])).await;

    // A CSENet record goes out through the data set file.
    let mut record = test_message("state-06", "case-1", 1, 3, now_ms());
    record.payload = b"CSENET RECORD 1".to_vec();
    let mut tx = t.db.begin().await.unwrap();
    ivd_gateway::outbox::enqueue(&mut tx, &record, now_ms())
        .await
        .unwrap();
    tx.commit().await.unwrap();
    gateway.state.dispatcher_wake.notify_one();
    // A partner drops a file (owner-only too: the test's own); an employer uploads new
    // hires (spooled).
    let dropped = pickup.join("RECON.dat");
    ivd_gateway::privacy::files::private_options()
        .write(true)
        .create_new(true)
        .open(&dropped)
        .and_then(|mut file| std::io::Write::write_all(&mut file, b"a partner file"))
        .unwrap();
    let acme = ivd_model::Fein::parse("411234567").unwrap();
    let employer = tokens::issue_scoped(
        &t.db,
        "acme",
        Role::Employer,
        std::slice::from_ref(&acme),
        now_ms(),
    )
    .await
    .unwrap();
    let mut upload = Vec::new();
    ivd_newhire::generate::write_file_with(
        ivd_newhire::generate::Generator::new(5, time::macros::date!(2026 - 11 - 02))
            .with_fein(acme),
        ivd_newhire::Format::W4,
        3,
        0.0,
        &mut upload,
        |_| {},
    )
    .unwrap();
    let answer = reqwest::Client::new()
        .post(format!("{}/employer/v1/new-hires?format=w4", api(&gateway)))
        .bearer_auth(&employer)
        .body(upload)
        .send()
        .await
        .unwrap();
    assert!(answer.status().is_success(), "{}", answer.status());
    assert!(
        wait_until(Duration::from_secs(15), || async {
            csenet.join("outgoing.dat").exists()
                && !dropped.exists()
                && std::fs::read_dir(pickup.join("processed"))
                    .is_ok_and(|mut entries| entries.next().is_some())
        })
        .await,
        "the record is delivered and the file picked up"
    );
    gateway.stop().await;

    let found = modes_under(&scratch);
    let names: Vec<String> = found
        .iter()
        .map(|(path, _, _)| path.strip_prefix(&scratch).unwrap().display().to_string())
        .collect();
    for expected in [
        "gateway.db",
        "gateway.db-wal",
        "keys/lookup.key",
        "keys/data/k0001.key",
        "tls/ca-key.pem",
        "tls/server.pem",
        "tls/dev-partner-key.pem",
        "csenet/outgoing.dat",
        "spool",
        "pickup/processed",
    ] {
        assert!(
            names.iter().any(|n| n == expected),
            "{expected} in {names:?}"
        );
    }
    assert!(
        names
            .iter()
            .any(|n| n.starts_with("spool/") && n.ends_with(".raw")),
        "{names:?}"
    );
    assert!(
        names.iter().any(|n| n.starts_with("pickup/processed/")),
        "{names:?}"
    );
    let open: Vec<String> = found
        .iter()
        .filter(|(_, mode, dir)| *mode != if *dir { 0o700 } else { 0o600 })
        .map(|(path, mode, _)| format!("{} {mode:04o}", path.display()))
        .collect();
    assert!(open.is_empty(), "open to others: {open:#?}");
    t.cleanup().await;
}

/// A gateway process over `dir` with the key policy `policy` (none: the default) and, when
/// `client_key`, a partner reached with the development partner's client certificate.
fn start_over(dir: &Path, name: &str, policy: Option<&str>, client_key: bool) -> GatewayProcess {
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
[log]
format = "json"
filter = "info"
[employers]
spool_dir = "{dir}/spool"
[privacy]
{policy}
{partner}
"#,
        dir = dir.display(),
        policy = policy
            .map(|p| format!("insecure_key_permissions = \"{p}\""))
            .unwrap_or_default(),
        partner = if client_key {
            format!(
                "[[partners]]\nid = \"state-06\"\nkind = \"state\"\n\
                 transport = {{ type = \"https\", endpoint = \"https://localhost:9/in\", \
                 ca = \"{tls}/ca.pem\", client_cert = \"{tls}/dev-partner.pem\", \
                 client_key = \"{tls}/dev-partner-key.pem\" }}\n",
                tls = dir.join("tls").display()
            )
        } else {
            String::new()
        },
    );
    GatewayProcess::start(dir, name, &config)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_data_key_file_others_can_read_stops_the_start_unless_told_to_warn() {
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().to_path_buf();
    crate::support::process_data_keys(&dir);
    let certs = ensure_dev_certificates(&dir.join("tls")).unwrap();
    let chmod = |path: &Path, mode: u32| {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap()
    };
    let stops = |name: &'static str, client_key: bool, needed: [&'static str; 3]| {
        let dir = dir.clone();
        async move {
            let mut refused = start_over(&dir, name, None, client_key);
            assert!(
                wait_until(Duration::from_secs(30), || {
                    let running = refused.alive();
                    async move { !running }
                })
                .await,
                "{name}: the gateway does not start"
            );
            let log = std::fs::read_to_string(dir.join(format!("{name}.log"))).unwrap();
            for needed in needed {
                assert!(log.contains(needed), "{name}: {needed} in: {log}");
            }
        }
    };

    // A data key others can read: no start, and the message says which file and the fix.
    let key = dir.join("data/keys/data/k0001.key");
    chmod(&key, 0o644);
    stops(
        "data-key",
        false,
        ["data/keys/data/k0001.key", "mode 0644", "chmod 600"],
    )
    .await;
    // The same for the partner listener's TLS key, a partner client key, and a key
    // directory others can list.
    chmod(&key, 0o600);
    chmod(&certs.server_key, 0o640);
    stops(
        "tls-key",
        false,
        ["server-key.pem", "mode 0640", "chmod 600"],
    )
    .await;
    chmod(&certs.server_key, 0o600);
    chmod(&certs.partner_key, 0o644);
    stops(
        "client-key",
        true,
        ["dev-partner-key.pem", "mode 0644", "chmod 600"],
    )
    .await;
    chmod(&certs.partner_key, 0o600);
    chmod(&dir.join("data/keys/data"), 0o755);
    stops(
        "key-directory",
        false,
        ["data/keys/data", "mode 0755", "chmod 700"],
    )
    .await;
    chmod(&dir.join("data/keys/data"), 0o700);
    // And the audit key, with which whoever reads it could relink a rewritten chain.
    crate::support::process_audit_key(&dir);
    let audit_key = dir.join("data/keys/audit.key");
    chmod(&audit_key, 0o640);
    stops(
        "audit-key",
        false,
        ["data/keys/audit.key", "mode 0640", "chmod 600"],
    )
    .await;
    chmod(&audit_key, 0o600);

    // Told to warn, it starts, and says so in its log.
    chmod(&key, 0o644);
    let mut warned = start_over(&dir, "warned", Some("warn"), false);
    assert!(warned.wait_ready().await.is_some(), "it starts");
    let log = std::fs::read_to_string(dir.join("warned.log")).unwrap();
    assert!(
        log.contains("open to other users") && log.contains("k0001.key"),
        "and says so: {log}"
    );
    warned.sigterm_and_wait();
}

// ---------------------------------------------------------------------------------------
// Partner error text

async fn a_partner_answering_500_with_ssns_leaves_a_bounded_masked_error(t: TestDb) {
    // A partner that echoes the refused records, SSNs and all, in a 64 KiB error page.
    let echo = "Record refused: SSN 123456789 (written 123-45-6789) is not on file; \
                other parent 987 65 4321. ";
    let body = echo.repeat(64 * 1024 / echo.len() + 1);
    assert!(body.len() >= 64 * 1024);
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(500).set_body_string(body))
        .mount(&server)
        .await;
    let mut partner = http_partner("state-06", &format!("{}/inbound", server.uri()), 2);
    // The first failure opens the circuit: the partner-down alert carries the reason too.
    partner.circuit.failure_threshold = 1;
    let gateway = TestApp::spawn_with(gateway_settings(&t, vec![partner])).await;
    let mut tx = t.db.begin().await.unwrap();
    let id = ivd_gateway::outbox::enqueue(
        &mut tx,
        &test_message("state-06", "case-1", 1, 2, now_ms()),
        now_ms(),
    )
    .await
    .unwrap()
    .id();
    tx.commit().await.unwrap();
    gateway.state.dispatcher_wake.notify_one();
    assert!(
        wait_until(Duration::from_secs(20), || async {
            texts(
                &t.db,
                &format!("SELECT state FROM outbox_messages WHERE id = {id}"),
            )
            .await[0][0]
                .as_deref()
                == Some("dead")
        })
        .await,
        "both attempts fail and the message is a dead letter"
    );

    let last_error = texts(
        &t.db,
        &format!("SELECT last_error FROM outbox_messages WHERE id = {id}"),
    )
    .await[0][0]
        .clone()
        .expect("the last error is kept");
    assert!(
        last_error.starts_with("HTTP 500: Record refused: SSN ********* (written ***-**-****)"),
        "{last_error}"
    );
    let mut stored: Vec<String> = vec![last_error];
    let details = texts(
        &t.db,
        &format!("SELECT detail FROM outbox_attempts WHERE message_id = {id}"),
    )
    .await;
    assert_eq!(details.len(), 2);
    stored.extend(details.into_iter().filter_map(|row| row[0].clone()));
    for text in &stored {
        assert!(text.len() <= 512, "bounded: {} bytes", text.len());
    }
    let alerts = || async {
        texts(&t.db, "SELECT kind, summary FROM alerts")
            .await
            .into_iter()
            .map(|row| format!("{}: {}", row[0].clone().unwrap(), row[1].clone().unwrap()))
            .collect::<Vec<String>>()
    };
    assert!(
        wait_until(Duration::from_secs(10), || async {
            alerts()
                .await
                .iter()
                .any(|a| a.starts_with("partner-down: "))
        })
        .await,
        "the partner-down alert is recorded: {:?}",
        alerts().await
    );
    let alerts = alerts().await;
    for alert in &alerts {
        assert!(alert.len() <= 1024, "bounded: {alert}");
    }
    stored.extend(alerts);
    // What operators are shown comes from the same columns.
    let operator = issue_token(&t.db, "ops", Role::Operator).await;
    let shown: serde_json::Value = reqwest::Client::new()
        .get(format!("{}/operator/v1/outbox/{id}", api(&gateway)))
        .bearer_auth(&operator)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    // Its texts, not its numbers: a millisecond timestamp may hold "4321" by chance.
    fn texts_of(value: &serde_json::Value, out: &mut Vec<String>) {
        match value {
            serde_json::Value::String(text) => out.push(text.clone()),
            serde_json::Value::Array(items) => items.iter().for_each(|v| texts_of(v, out)),
            serde_json::Value::Object(fields) => fields.values().for_each(|v| texts_of(v, out)),
            _ => {}
        }
    }
    texts_of(&shown, &mut stored);
    for text in &stored {
        for ssn in ["123456789", "6789", "4321"] {
            assert!(!text.contains(ssn), "{ssn} kept in: {text}");
        }
    }
    gateway.stop().await;
    t.cleanup().await;
}
