//! One full weekly tax refund offset cycle, on both backends: the state pushes cases; the
//! submission file goes out; OCSE's reject and collection files come back and are taken in;
//! the next cycle sends only the changes; reconciliation against OCSE's file reports
//! exactly the differences planted in it. Offset data is federal tax information: sealed at
//! rest, read only by the `fti-reader` role, every read audited.

mod support;

use std::path::{Path, PathBuf};
use std::time::Duration;

use ivd_fixed::Encoding;
use ivd_gateway::channels::offset::{OffsetExchange, OffsetSettings};
use ivd_gateway::config::{FileEncoding, PartnerKind, PickupSettings, Settings, TransportSettings};
use ivd_gateway::store::now_ms;
use ivd_gateway::store::tokens::Role;
use ivd_offset::{ReconRecord, Reject, RejectControl};
use serde_json::{Value, json};
use support::app::TestApp;
use support::issue_token;
use support::{TestDb, gateway_settings, http_partner, wait_until};

on_both_backends!(a_weekly_offset_cycle_from_cases_to_reconciliation);

const TANF: &str = include_str!("../schemas/samples/case-tanf.json");

fn dirs(t: &TestDb) -> (PathBuf, PathBuf, PathBuf, PathBuf) {
    let s = t.scratch_dir();
    let d = (
        s.join("offset-out"),
        s.join("rejects-in"),
        s.join("collections-in"),
        s.join("recon-in"),
    );
    for dir in [&d.0, &d.1, &d.2, &d.3] {
        std::fs::create_dir_all(dir).unwrap();
    }
    d
}

fn settings(t: &TestDb) -> Settings {
    let (out, rejects, collections, recon) = dirs(t);
    let federal = |id: &str, pickup: Option<(&Path, &str)>| {
        let mut p = http_partner(id, "http://127.0.0.1:9/unused", 5);
        p.kind = PartnerKind::Federal;
        p.transport = Some(TransportSettings::FileDrop {
            directory: out.clone(),
        });
        p.pickup = pickup.map(|(dir, channel)| PickupSettings {
            directory: dir.to_path_buf(),
            channel: channel.to_string(),
            interval_secs: 1,
            settle_secs: 0,
        });
        p
    };
    let mut settings = gateway_settings(
        t,
        vec![
            federal("ocse-offset", None),
            federal("ocse-rejects", Some((&rejects, "offset-rejects"))),
            federal(
                "ocse-collections",
                Some((&collections, "offset-collections")),
            ),
            federal("ocse-recon", Some((&recon, "offset-reconciliation"))),
        ],
    );
    settings.state.fips = Some("2700000".into());
    settings.offset = OffsetSettings {
        partner: Some("ocse-offset".into()),
        state_code: "MN".into(),
        encoding: FileEncoding::Ascii,
        ..OffsetSettings::default()
    };
    settings
}

/// The TANF sample under another id, with another NCP and larger arrears.
fn second_case() -> String {
    let mut case: Value = serde_json::from_str(TANF).unwrap();
    case["id"] = json!("MN-0005555");
    for participant in case["participants"].as_array_mut().unwrap() {
        if participant["role"] == "noncustodialParent" {
            participant["person"]["ssn"] = json!("345678901");
            participant["person"]["personId"] = json!("P-5555");
        }
    }
    case["orders"][0]["arrears"][1]["amount"] = json!("900.00");
    case.to_string()
}

/// The offset exchange as the gateway `app` runs it (its settings, keys and database).
fn exchange(app: &TestApp, t: &TestDb) -> OffsetExchange {
    OffsetExchange {
        db: t.db.clone(),
        settings: app.state.settings.clone(),
        key: app.state.lookup_key.clone(),
        sealer: app.state.data_keys.clone(),
    }
}

async fn a_weekly_offset_cycle_from_cases_to_reconciliation(t: TestDb) {
    let (out, rejects_in, collections_in, recon_in) = dirs(&t);
    let app = TestApp::spawn_with(settings(&t)).await;
    let cases = app.case_system().await;
    cases.put_case(TANF).await;
    cases.put_case(&second_case()).await;
    let exchange = exchange(&app, &t);

    // Cycle 1: both obligors' TANF debts (>= $150) are added; the sample's $200 non-TANF
    // is under the $500 threshold, the second case's $900 is not.
    let first = exchange
        .run_cycle(now_ms())
        .await
        .unwrap()
        .expect("a first cycle");
    assert_eq!(first.transactions.get("A"), Some(&3), "{first:?}");
    assert!(
        wait_until(Duration::from_secs(10), || async {
            !support::published_files(&out).is_empty()
        })
        .await,
        "the submission file is dropped for OCSE"
    );
    let file = ivd_offset::read_submission_file(
        &std::fs::read(&support::published_files(&out)[0]).unwrap(),
        Encoding::Ascii,
    );
    assert!(file.errors.is_empty(), "{:?}", file.errors);
    assert_eq!(file.submissions.len(), 3);
    // Sealed at rest: no SSN in clear anywhere in the certified table.
    let mut tx = t.db.begin().await.unwrap();
    assert_eq!(exchange.certified(&mut tx).await.unwrap().len(), 3);
    drop(tx);
    let stored: Vec<(String,)> = match &t.db {
        ivd_gateway::store::Db::Sqlite { read, .. } => {
            sqlx::query_as("SELECT sealed FROM offset_certified")
                .fetch_all(read)
                .await
                .unwrap()
        }
        ivd_gateway::store::Db::Postgres(pool, _) => {
            sqlx::query_as("SELECT sealed FROM offset_certified")
                .fetch_all(pool)
                .await
                .unwrap()
        }
    };
    assert_eq!(stored.len(), 3);
    for (sealed,) in &stored {
        assert!(sealed.starts_with("ivd1."), "sealed, not clear");
        assert!(!sealed.contains("234567890") && !sealed.contains("SAMPLE"));
    }

    // OCSE rejects the second case's non-TANF add (error 17: name does not match the SSN).
    let rejected = file
        .submissions
        .iter()
        .find(|s| {
            s.certification.case_id.trim() == "MN-0005555"
                && s.key().case_type == ivd_offset::CaseType::NonTanf
        })
        .expect("the non-TANF add");
    let reject = Reject::for_submission(rejected, &["17"]);
    let control = RejectControl::tally("MN", std::slice::from_ref(&reject), 2, 0);
    let reject_file = ivd_offset::write_rejects(&[reject], &control, Encoding::Ascii).unwrap();
    std::fs::write(rejects_in.join("REJECTS.dat"), reject_file).unwrap();
    assert!(
        wait_until(Duration::from_secs(15), || async {
            !cases.events("offset.rejected").await.is_empty()
        })
        .await,
        "the reject file is taken in"
    );
    let events = cases.events("offset.rejected").await;
    assert_eq!(events[0]["payload"]["codes"][0]["code"], "17");
    assert!(!events[0].to_string().contains("345678901"));
    let mut tx = t.db.begin().await.unwrap();
    assert_eq!(
        exchange.certified(&mut tx).await.unwrap().len(),
        2,
        "the rejected add is undone"
    );
    drop(tx);

    // Collections: references on the feed, amounts only through the FTI route.
    std::fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("adapters/offset/samples/collections.txt"),
        collections_in.join("COLLECTIONS.dat"),
    )
    .unwrap();
    assert!(
        wait_until(Duration::from_secs(15), || async {
            cases.events("offset.collection").await.len() == 2
        })
        .await,
        "both collections are taken in"
    );
    let collection = &cases.events("offset.collection").await[0];
    assert!(
        collection["payload"].get("collection").is_none(),
        "no amount on the feed"
    );
    let id = collection["payload"]["collectionId"]
        .as_str()
        .unwrap()
        .to_string();
    let url = app.url(&format!("/fti/v1/offset/collections/{id}"));
    let operator = issue_token(&t.db, "ops", Role::Operator).await;
    let refused = app
        .http
        .get(&url)
        .bearer_auth(&operator)
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status().as_u16(), 403);
    let reader = issue_token(&t.db, "fti-clerk", Role::FtiReader).await;
    let read = app
        .http
        .get(&url)
        .bearer_auth(&reader)
        .send()
        .await
        .unwrap();
    assert_eq!(read.status().as_u16(), 200);
    let body: Value = read.json().await.unwrap();
    assert_eq!(body["collection"], "250.00", "{body}");
    let audit = ivd_gateway::audit::recent(&t.db, 50).await.unwrap();
    assert!(
        audit.iter().any(|e| e.action == "fti.read"
            && e.actor == "token:fti-clerk"
            && e.subject == format!("offset-collection:{id}")),
        "the read is audited"
    );

    // Cycle 2: only the changes — the sample's TANF arrears went up, and the refused add
    // is tried again.
    let mut changed: Value = serde_json::from_str(TANF).unwrap();
    changed["orders"][0]["arrears"][0]["amount"] = json!("1600.00");
    cases.put_case(&changed.to_string()).await;
    let second = exchange
        .run_cycle(now_ms())
        .await
        .unwrap()
        .expect("a second cycle");
    assert_eq!(second.transactions.get("M"), Some(&1), "{second:?}");
    assert_eq!(second.transactions.get("A"), Some(&1), "{second:?}");
    assert_eq!(second.transactions.values().sum::<usize>(), 2, "{second:?}");
    assert!(
        exchange.run_cycle(now_ms()).await.unwrap().is_none(),
        "nothing changed: no file"
    );

    // Reconciliation with three planted differences: an amount, a missing case, an extra one.
    let mut tx = t.db.begin().await.unwrap();
    let certified = exchange.certified(&mut tx).await.unwrap();
    drop(tx);
    assert_eq!(certified.len(), 3);
    let mut federal: Vec<ReconRecord> = certified
        .iter()
        .map(ReconRecord::from_certification)
        .collect();
    federal[0].arrears_dollars += 40;
    federal.remove(1);
    let mut extra = ReconRecord::from_certification(&certified[1]);
    extra.key.ssn = "456789012".parse().unwrap();
    federal.push(extra);
    let recon_file = ivd_offset::write_reconciliation("MN", &federal, Encoding::Ascii).unwrap();
    std::fs::write(recon_in.join("RECON.dat"), recon_file).unwrap();
    assert!(
        wait_until(Duration::from_secs(15), || async {
            !cases.events("offset.reconciled").await.is_empty()
        })
        .await,
        "the reconciliation file is taken in"
    );
    let reconciled = &cases.events("offset.reconciled").await[0]["payload"];
    assert_eq!(reconciled["differences"], 3, "{reconciled}");
    assert!(reconciled["correctionCycle"].is_number(), "{reconciled}");
    let run = reconciled["run"].as_i64().unwrap();
    let report: Value = app
        .http
        .get(app.url(&format!("/fti/v1/offset/reconciliations/{run}")))
        .bearer_auth(&reader)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        report["differences"].as_array().unwrap().len(),
        3,
        "{report}"
    );

    app.stop().await;
    t.cleanup().await;
}
