//! Batch files a partner drops into a pick-up directory: each taken in once, moved out of
//! the way only after its bytes are stored, never applied twice — on both backends.

mod support;

use std::time::Duration;

use ivd_gateway::config::PickupSettings;
use ivd_gateway::intake::pickup::Pickup;
use ivd_gateway::intake::{self, Inbound, RecordArrival};
use ivd_gateway::store::events;
use sha2::Digest;
use support::app::TestApp;
use support::{TestDb, gateway_settings, http_partner, wait_until};

on_both_backends!(
    a_partner_drops_three_files_and_each_is_taken_in_once,
    the_same_file_dropped_again_is_recognised_not_applied,
    a_crash_between_storing_and_moving_a_file_applies_it_once,
    a_file_still_being_written_is_left_alone,
    a_running_gateway_picks_up_a_dropped_file_and_tells_the_state_system,
);

fn pickup(t: &TestDb, settle_secs: u64) -> Pickup {
    let directory = t.scratch_dir().join("incoming");
    std::fs::create_dir_all(&directory).unwrap();
    Pickup {
        partner: "ocse-returns".to_string(),
        settings: PickupSettings {
            directory,
            channel: "files".to_string(),
            interval_secs: 1,
            settle_secs,
        },
    }
}

fn drop_file(p: &Pickup, name: &str, body: &[u8]) {
    std::fs::write(p.settings.directory.join(name), body).unwrap();
}

fn names_in(dir: &std::path::Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map(|d| {
            d.filter_map(Result::ok)
                .filter(|e| e.path().is_file())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

async fn a_partner_drops_three_files_and_each_is_taken_in_once(t: TestDb) {
    let p = pickup(&t, 0);
    for n in 1..=3 {
        drop_file(
            &p,
            &format!("RETURN.{n}.DAT"),
            format!("return file {n}\n").as_bytes(),
        );
    }
    drop_file(&p, ".RETURN.4.DAT.part", b"transfer in progress");
    let report = p.scan(&t.db, &RecordArrival).await.unwrap();
    assert_eq!(
        report.received,
        vec!["RETURN.1.DAT", "RETURN.2.DAT", "RETURN.3.DAT"]
    );
    assert_eq!(
        names_in(&p.settings.directory),
        vec![".RETURN.4.DAT.part"],
        "only the transfer in progress is left"
    );
    let processed = names_in(&p.settings.directory.join("processed"));
    assert_eq!(processed.len(), 3);
    assert!(
        processed
            .iter()
            .all(|n| n.starts_with('R') && n.contains("-RETURN.")),
        "named by receipt: {processed:?}"
    );
    // Kept sealed, not in clear; it reads back with the data keys.
    for name in &processed {
        let path = p.settings.directory.join("processed").join(name);
        let bytes = std::fs::read(&path).unwrap();
        assert!(!String::from_utf8_lossy(&bytes).contains("return file"));
        let receipt_id = &name[..name.find("-RETURN").unwrap()];
        let mut clear = String::new();
        std::io::Read::read_to_string(
            &mut ivd_gateway::intake::spool::open(&path, t.db.sealer().keys(), receipt_id).unwrap(),
            &mut clear,
        )
        .unwrap();
        assert!(clear.starts_with("return file "), "{clear}");
    }
    let feed = events::list_after(&t.db, 0, 10).await.unwrap();
    assert_eq!(feed.len(), 3);
    assert!(
        feed.iter()
            .all(|e| e.kind == "inbound.received" && e.partner.as_deref() == Some("ocse-returns"))
    );
    t.cleanup().await;
}

async fn the_same_file_dropped_again_is_recognised_not_applied(t: TestDb) {
    let p = pickup(&t, 0);
    drop_file(&p, "MATCH.DAT", b"same bytes");
    p.scan(&t.db, &RecordArrival).await.unwrap();
    drop_file(&p, "MATCH.DAT", b"same bytes");
    let again = p.scan(&t.db, &RecordArrival).await.unwrap();
    assert_eq!(again.duplicates, vec!["MATCH.DAT"]);
    assert!(again.received.is_empty());
    assert!(
        names_in(&p.settings.directory).is_empty(),
        "the duplicate is moved out of the way too"
    );
    assert_eq!(
        events::list_after(&t.db, 0, 10).await.unwrap().len(),
        1,
        "applied once"
    );
    // Same name, new content: a new file.
    drop_file(&p, "MATCH.DAT", b"corrected bytes");
    assert_eq!(
        p.scan(&t.db, &RecordArrival).await.unwrap().received,
        vec!["MATCH.DAT"]
    );
    t.cleanup().await;
}

async fn a_crash_between_storing_and_moving_a_file_applies_it_once(t: TestDb) {
    let p = pickup(&t, 0);
    let body = b"collection file\n";
    drop_file(&p, "COLL.DAT", body);
    // The gateway stored the file, then died before processing and moving it.
    let message_id = format!("file:COLL.DAT:{}", hex::encode(sha2::Sha256::digest(body)));
    intake::receive(
        &t.db,
        &Inbound {
            partner: "ocse-returns",
            channel: "files",
            message_id: Some(&message_id),
            content_type: "application/octet-stream",
            body,
        },
        1,
    )
    .await
    .unwrap();
    // At restart: leftover receipts are resumed, then the directory is scanned.
    assert_eq!(intake::resume(&t.db, &RecordArrival, 2).await.unwrap(), 1);
    let report = p.scan(&t.db, &RecordArrival).await.unwrap();
    assert_eq!(report.duplicates, vec!["COLL.DAT"]);
    assert!(names_in(&p.settings.directory).is_empty());
    assert_eq!(
        events::list_after(&t.db, 0, 10).await.unwrap().len(),
        1,
        "applied once"
    );
    t.cleanup().await;
}

async fn a_file_still_being_written_is_left_alone(t: TestDb) {
    let p = pickup(&t, 3600);
    drop_file(&p, "BIG.DAT", b"first half of a large file");
    let report = p.scan(&t.db, &RecordArrival).await.unwrap();
    assert_eq!(report.unsettled, 1);
    assert!(report.received.is_empty());
    assert_eq!(names_in(&p.settings.directory), vec!["BIG.DAT"]);
    t.cleanup().await;
}

async fn a_running_gateway_picks_up_a_dropped_file_and_tells_the_state_system(t: TestDb) {
    let p = pickup(&t, 0);
    let mut partner = http_partner("ocse-returns", "http://127.0.0.1:9/", 3);
    partner.pickup = Some(p.settings.clone());
    let gateway = TestApp::spawn_with(gateway_settings(&t, vec![partner])).await;
    drop_file(&p, "REJECTS.DAT", b"reject file\n");
    let seen = wait_until(Duration::from_secs(20), || async {
        events::list_after(&t.db, 0, 10)
            .await
            .unwrap()
            .iter()
            .any(|e| e.kind == "inbound.received")
    })
    .await;
    gateway.stop().await;
    assert!(seen, "the state system's feed shows the file");
    assert_eq!(names_in(&p.settings.directory.join("processed")).len(), 1);
    t.cleanup().await;
}
