//! Data at rest, on both backends: SSNs and the partner bytes that carry them are sealed
//! (AES-256-GCM) in every table, so no SSN can be read in the database files; the API and
//! the feed still serve them; spooled uploads are sealed on disk; `keys rotate` re-seals every value under a new key; a sealed
//! value moved to another row does not open; a missing key is named, not a panic.

mod support;

use std::path::PathBuf;
use std::time::Duration;

use ivd_gateway::channels::employers::ndnh::NdnhForwarder;
use ivd_gateway::config::{
    EmployerPartnerSettings, FileEncoding, PartnerKind, PartnerSettings, Settings,
    TransportSettings,
};
use ivd_gateway::intake::{self, Inbound};
use ivd_gateway::outbox;
use ivd_gateway::privacy::{DataKeys, SealError, rotate};
use ivd_gateway::store::events::{self, NewEvent};
use ivd_gateway::store::tokens::Role;
use ivd_gateway::store::{Db, StoreError, cases, now_ms};
use ivd_model::{Fein, Ssn};
use ivd_newhire::generate::Generator;
use ivd_newhire::{Format, NewHire};
use serde_json::{Value, json};
use support::app::TestApp;
use support::employers::employer_token;
use support::issue_token;
use support::{Behaviour, MockPartner, TestDb, gateway_settings, http_partner, test_message};

on_both_backends!(
    no_ssn_is_readable_in_the_database_yet_the_api_and_the_feed_serve_them,
    keys_rotate_reseals_every_value_under_the_new_key,
    a_sealed_value_moved_to_another_row_does_not_open_and_a_missing_key_is_named,
);

const TANF: &str = include_str!("../schemas/samples/case-tanf.json");
const CASE_ID: &str = "MN-0001234";
/// The sample case's custodial parent (written with dashes) and noncustodial parent.
const CP_SSN: &str = "123456789";
const NCP_SSN: &str = "234567890";
/// All nines after the prefix: SQLite stores a new hire's FEIN right before its keyed SSN
/// hash, and no SSN begins with 9, so no tail of this FEIN followed by hash digits can
/// spell one of the story's SSNs (with `411234567`, a hash starting `89` did: 1 run in 256).
const OUR_FEIN: &str = "419999999";

fn dashed(ssn: &str) -> String {
    format!("{}-{}-{}", &ssn[..3], &ssn[3..5], &ssn[5..])
}

fn settings(t: &TestDb, employer: &MockPartner) -> (Settings, PathBuf) {
    let ndnh_out = t.scratch_dir().join("ndnh-out");
    std::fs::create_dir_all(&ndnh_out).unwrap();
    let mut ndnh: PartnerSettings = http_partner("ndnh", "http://127.0.0.1:9/unused", 5);
    ndnh.kind = PartnerKind::Federal;
    ndnh.transport = Some(TransportSettings::FileDrop {
        directory: ndnh_out.clone(),
    });
    let mut acme = http_partner("employer-acme", &employer.endpoint(), 5);
    acme.kind = PartnerKind::Employer;
    acme.employer = Some(EmployerPartnerSettings {
        feins: vec!["41-9999999".into()],
    });
    let mut settings = gateway_settings(t, vec![ndnh, acme]);
    settings.state.fips = Some("2700000".into());
    settings.employers.ndnh_partner = Some("ndnh".into());
    settings.employers.ndnh_encoding = FileEncoding::Ascii;
    settings.employers.forward_interval_secs = 3600;
    settings.employers.iwo = Some(support::employers::iwo_issuer());
    (settings, ndnh_out)
}

/// Three synthetic new hires of our employer; the second is the case's noncustodial parent.
fn new_hires() -> Vec<NewHire> {
    let today = time::OffsetDateTime::now_utc().date();
    let mut generator = Generator::new(11, today);
    let mut employer = generator.employer();
    employer.fein = Fein::parse(OUR_FEIN).unwrap();
    (0..3)
        .map(|i| {
            let mut report = generator.new_hire();
            report.employer = employer.clone();
            if i == 1 {
                report.employee.ssn = Ssn::parse(NCP_SSN).unwrap().into();
            }
            report
        })
        .collect()
}

fn w4_file(reports: &[NewHire]) -> Vec<u8> {
    let mut writer = ivd_newhire::write_new_hires(Format::W4, Vec::new());
    for report in reports {
        writer.push(report).unwrap();
    }
    writer.finish().unwrap()
}

/// Every SSN of the story, in the forms they are written in.
fn needles(hires: &[NewHire]) -> Vec<String> {
    let mut ssns: Vec<String> = vec![CP_SSN.into(), NCP_SSN.into()];
    for hire in hires {
        let digits: String = hire
            .employee
            .ssn
            .expose()
            .chars()
            .filter(char::is_ascii_digit)
            .collect();
        if digits.len() == 9 {
            ssns.push(digits);
        }
    }
    let mut all = Vec::new();
    for ssn in ssns {
        all.push(dashed(&ssn));
        all.push(ssn);
    }
    all.sort();
    all.dedup();
    all
}

fn find(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// The raw database: SQLite's file and write-ahead log after a checkpoint; on PostgreSQL,
/// every text, bytea and JSON column of every table read as text.
async fn raw_database(t: &TestDb) -> Vec<(String, Vec<u8>)> {
    match &t.db {
        Db::Sqlite { write, .. } => {
            sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
                .execute(write)
                .await
                .unwrap();
            let file = t.scratch_dir().join("gateway.db");
            let mut out = vec![("gateway.db".to_string(), std::fs::read(&file).unwrap())];
            for suffix in ["-wal", "-journal"] {
                let path = PathBuf::from(format!("{}{suffix}", file.display()));
                if let Ok(bytes) = std::fs::read(&path) {
                    out.push((format!("gateway.db{suffix}"), bytes));
                }
            }
            out
        }
        Db::Postgres(pool, _) => {
            let columns: Vec<(String, String, String)> = sqlx::query_as(
                "SELECT table_name::text, column_name::text, data_type::text \
                 FROM information_schema.columns WHERE table_schema = 'public' \
                 AND data_type IN ('text', 'bytea', 'character varying', 'json', 'jsonb')",
            )
            .fetch_all(pool)
            .await
            .unwrap();
            assert!(columns.len() > 20, "the scan sees the tables: {columns:?}");
            let mut out = Vec::new();
            for (table, column, data_type) in columns {
                let expr = if data_type == "bytea" {
                    format!("encode(\"{column}\", 'escape')")
                } else {
                    format!("\"{column}\"::text")
                };
                let sql = format!("SELECT {expr} FROM \"{table}\" WHERE \"{column}\" IS NOT NULL");
                let rows: Vec<(String,)> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
                    .fetch_all(pool)
                    .await
                    .unwrap();
                for (value,) in rows {
                    out.push((format!("{table}.{column}"), value.into_bytes()));
                }
            }
            out
        }
    }
}

async fn assert_no_ssn_in(t: &TestDb, needles: &[String]) {
    // PostgreSQL keeps old row versions until vacuumed; the scan reads live rows.
    let raw = raw_database(t).await;
    assert!(!raw.is_empty());
    for (place, bytes) in &raw {
        for needle in needles {
            if let Some(at) = bytes
                .windows(needle.len())
                .position(|w| w == needle.as_bytes())
            {
                let around =
                    &bytes[at.saturating_sub(120)..(at + needle.len() + 120).min(bytes.len())];
                panic!(
                    "an SSN ({}…) is readable in {place} at byte {at} (page {}): {}",
                    &needle[..3],
                    at / 4096 + 1,
                    String::from_utf8_lossy(around).replace(needle.as_str(), "<SSN>")
                );
            }
        }
    }
}

async fn no_ssn_is_readable_in_the_database_yet_the_api_and_the_feed_serve_them(t: TestDb) {
    let employer = MockPartner::start(Behaviour::default()).await;
    let (settings, ndnh_out) = settings(&t, &employer);
    let gateway = TestApp::spawn_with(settings).await;
    let http = reqwest::Client::new();
    let url = |path: &str| format!("http://{}{path}", gateway.api_addr);
    let state_token = issue_token(&t.db, "case-system", Role::StateSystem).await;
    let employer_token = employer_token(&t.db, "acme-payroll", OUR_FEIN).await;

    // The state system pushes a case with full SSNs.
    let pushed = http
        .put(url(&format!("/state/v1/cases/{CASE_ID}")))
        .bearer_auth(&state_token)
        .header("content-type", "application/json")
        .body(TANF)
        .send()
        .await
        .unwrap();
    assert!(pushed.status().is_success());

    // An employer reports new hires (one is the noncustodial parent: an income
    // withholding order is queued for the employer), and they go on to NDNH.
    let hires = new_hires();
    let uploaded = http
        .post(url("/employer/v1/new-hires"))
        .bearer_auth(&employer_token)
        .header("content-type", "application/vnd.ivd.newhire-w4")
        .body(w4_file(&hires))
        .send()
        .await
        .unwrap();
    assert_eq!(uploaded.status().as_u16(), 201);
    let forwarder = NdnhForwarder {
        db: t.db.clone(),
        settings: gateway.state.settings.clone(),
        dispatcher_wake: gateway.state.dispatcher_wake.clone(),
    };
    assert_eq!(forwarder.forward_pending(now_ms()).await.unwrap().len(), 1);

    // A partner's raw bytes, an event carrying a case, an outbound message.
    let csenet = format!("CSENET RECORD {CP_SSN} {}", dashed(NCP_SSN));
    let received = intake::receive(
        &t.db,
        &Inbound {
            partner: "state-06",
            channel: "at-rest-test",
            message_id: Some("MSG-AT-REST"),
            content_type: "text/plain",
            body: csenet.as_bytes(),
        },
        now_ms(),
    )
    .await
    .unwrap();
    assert!(matches!(received, intake::Received::New { .. }));
    let mut tx = t.db.begin().await.unwrap();
    events::append(
        &mut tx,
        &NewEvent {
            kind: "csenet.received",
            partner: Some("state-06"),
            case_id: Some(CASE_ID),
            receipt_id: None,
            payload: json!({ "case": { "ssn": dashed(CP_SSN) } }),
        },
        now_ms(),
    )
    .await
    .unwrap();
    let mut message = test_message("state-06", "at-rest", 1, 5, now_ms());
    message.payload = csenet.clone().into_bytes();
    outbox::enqueue(&mut tx, &message, now_ms()).await.unwrap();
    tx.commit().await.unwrap();

    // Let the dispatcher deliver what it delivers (its rows change state, not content).
    assert!(
        support::wait_until(Duration::from_secs(10), || async {
            !support::published_files(&ndnh_out).is_empty()
        })
        .await,
        "NDNH got its file"
    );

    assert_no_ssn_in(&t, &needles(&hires)).await;
    // The new-hire upload's spool file is sealed on disk too.
    let spool_dir = t.scratch_dir().join("spool");
    let spooled: Vec<PathBuf> = std::fs::read_dir(&spool_dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert!(!spooled.is_empty(), "the upload was spooled");
    for path in spooled {
        let bytes = std::fs::read(&path).unwrap();
        for needle in needles(&hires) {
            assert!(!find(&bytes, needle.as_bytes()), "an SSN in a spool file");
        }
    }

    // Sealed, not lost: the API serves the case, the feed the payloads.
    let case: Value = http
        .get(url(&format!("/state/v1/cases/{CASE_ID}")))
        .bearer_auth(&state_token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(case["case"]["participants"][0]["person"]["ssn"], CP_SSN);
    let feed: Value = http
        .get(url("/state/v1/events?after=0&limit=1000"))
        .bearer_auth(&state_token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let received = feed["events"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["kind"] == "csenet.received")
        .expect("the event is on the feed");
    assert_eq!(received["payload"]["case"]["ssn"], dashed(CP_SSN));
    let claimed = ivd_gateway::outbox::store::list(&t.db, &Default::default())
        .await
        .unwrap();
    let ours = claimed
        .iter()
        .find(|m| m.idempotency_key == "at-rest-1")
        .unwrap();
    let shown = ivd_gateway::outbox::store::show(&t.db, ours.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        shown.payload_bytes,
        csenet.len(),
        "sizes are of the clear bytes"
    );

    gateway.stop().await;
    t.cleanup().await;
}

/// Writes one value into each sealed table through the store, and one case in clear as
/// it would have been stored before sealing existed.
async fn seed(db: &Db) {
    let mut tx = db.begin().await.unwrap();
    cases::put(&mut tx, "C-1", &json!({ "ssn": CP_SSN }).to_string(), 1)
        .await
        .unwrap();
    events::append(
        &mut tx,
        &NewEvent {
            kind: "tribal.received",
            partner: None,
            case_id: Some("C-1"),
            receipt_id: None,
            payload: json!({ "ssn": NCP_SSN }),
        },
        1,
    )
    .await
    .unwrap();
    let mut message = test_message("state-06", "k", 1, 5, 1);
    message.payload = CP_SSN.as_bytes().to_vec();
    outbox::enqueue(&mut tx, &message, 1).await.unwrap();
    // The macro hands the unit's connection over with `?`: an async block to return to.
    async { Ok::<_, StoreError>(ivd_gateway::on_tx!(&mut tx, c => {
        sqlx::query("INSERT INTO cases (case_id, version, snapshot, updated_at) VALUES ('C-OLD', 1, $1, 1)")
            .bind(json!({ "ssn": NCP_SSN }).to_string())
            .execute(c)
            .await
            .unwrap()
            .rows_affected()
    })) }
        .await
        .unwrap();
    tx.commit().await.unwrap();
    intake::receive(
        db,
        &Inbound {
            partner: "tribe-1",
            channel: "x",
            message_id: None,
            content_type: "application/xml",
            body: format!("<ssn>{CP_SSN}</ssn>").as_bytes(),
        },
        1,
    )
    .await
    .unwrap();
}

fn under(
    census: &std::collections::BTreeMap<String, std::collections::BTreeMap<String, u64>>,
    key: &str,
) -> u64 {
    census.values().filter_map(|c| c.get(key)).sum()
}

async fn keys_rotate_reseals_every_value_under_the_new_key(t: TestDb) {
    seed(&t.db).await;
    let before = rotate::census(&t.db).await.unwrap();
    assert_eq!(under(&before, "k0001"), 4, "{before:?}");
    assert_eq!(
        under(&before, "clear"),
        1,
        "the case stored before 0009: {before:?}"
    );

    // The scan sees a value stored in clear (so its silence elsewhere means something).
    let raw = raw_database(&t).await;
    assert!(
        raw.iter().any(|(_, bytes)| find(bytes, NCP_SSN.as_bytes())),
        "the clear case before rotation is found by the scan"
    );

    let dir = t.scratch_dir().join("keys/data");
    let keys = rotate::prepare_key(&dir, None, None, Default::default()).unwrap();
    assert_eq!(keys.current(), "k0002");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir.join("k0002.key"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o077, 0, "owner-only key file");
    }
    let db = t.db.clone().with_data_keys(keys);
    let counts = rotate::reseal_all(&db).await.unwrap();
    assert_eq!(counts["cases.snapshot"].resealed, 2, "{counts:?}");
    assert_eq!(counts["events.payload"].resealed, 1);
    assert_eq!(counts["outbox_payloads.payload"].resealed, 1);
    assert_eq!(counts["inbound_receipts.body"].resealed, 1);
    let after = rotate::census(&db).await.unwrap();
    assert_eq!(under(&after, "k0002"), 5, "{after:?}");
    assert_eq!(
        under(&after, "k0001") + under(&after, "clear") + under(&after, "other"),
        0
    );

    // Idempotent: a second run finds everything under the new key.
    let again = rotate::reseal_all(&db).await.unwrap();
    assert!(again.values().all(|c| c.resealed == 0), "{again:?}");
    assert_eq!(again["cases.snapshot"].skipped, 2);

    // Still readable, and only with the new key.
    let case = cases::get(&db, "C-1").await.unwrap().unwrap();
    assert!(case.snapshot.contains(CP_SSN));
    let old = cases::get(&db, "C-OLD").await.unwrap().unwrap();
    assert!(old.snapshot.contains(NCP_SSN));
    let feed = events::list_after(&db, 0, 10).await.unwrap();
    assert!(feed[0].payload.contains(NCP_SSN));
    let claimed = ivd_gateway::outbox::store::claim(&db, "state-06", "w", 10, 60_000, 2)
        .await
        .unwrap();
    assert_eq!(claimed[0].payload, CP_SSN.as_bytes());
    let first_key_only = t.db.clone().with_data_keys(
        DataKeys::from_hex([(
            "k0001",
            std::fs::read_to_string(dir.join("k0001.key"))
                .unwrap()
                .as_str(),
        )])
        .unwrap(),
    );
    match cases::get(&first_key_only, "C-1").await {
        Err(StoreError::Sealed {
            source: SealError::UnknownKey(id),
            ..
        }) => assert_eq!(id, "k0002"),
        other => panic!("expected the missing key to be named: {other:?}"),
    }
    assert_no_ssn_in(&t, &needles(&[])).await;
    t.cleanup().await;
}

async fn a_sealed_value_moved_to_another_row_does_not_open_and_a_missing_key_is_named(t: TestDb) {
    let mut tx = t.db.begin().await.unwrap();
    cases::put(&mut tx, "C-A", &json!({ "ssn": CP_SSN }).to_string(), 1)
        .await
        .unwrap();
    cases::put(&mut tx, "C-B", &json!({ "ssn": NCP_SSN }).to_string(), 1)
        .await
        .unwrap();
    // Someone with write access to the database copies A's sealed snapshot into B.
    // The macro hands the unit's connection over with `?`: an async block to return to.
    async { Ok::<_, StoreError>(ivd_gateway::on_tx!(&mut tx, c => {
        sqlx::query("UPDATE cases SET snapshot = (SELECT snapshot FROM cases WHERE case_id = 'C-A') WHERE case_id = 'C-B'")
            .execute(c)
            .await
            .unwrap()
            .rows_affected()
    })) }
        .await
        .unwrap();
    tx.commit().await.unwrap();
    match cases::get(&t.db, "C-B").await {
        Err(StoreError::Sealed {
            place,
            source: SealError::Forged,
        }) => assert_eq!(place, "cases:C-B"),
        other => panic!("a moved value must not open: {other:?}"),
    }
    assert!(cases::get(&t.db, "C-A").await.unwrap().is_some());

    // A database opened with another key set: the error names the key it lacks.
    let other = DataKeys::from_hex([("k0009", "42".repeat(32).as_str())]).unwrap();
    let db = t.db.clone().with_data_keys(other);
    let error = cases::get(&db, "C-A").await.unwrap_err();
    let text = error.to_string();
    assert!(text.contains("k0001"), "{text}");
    assert!(!text.contains(CP_SSN), "{text}");
    // No keys at all: writing fails closed instead of storing in clear.
    let bare = Db::connect(&t.url).await.unwrap();
    let mut tx = bare.begin().await.unwrap();
    let refused = cases::put(&mut tx, "C-C", "{}", 1).await.unwrap_err();
    assert!(matches!(
        refused,
        StoreError::Sealed {
            source: SealError::NoKeys,
            ..
        }
    ));
    drop(tx);
    bare.close().await;
    t.cleanup().await;
}
