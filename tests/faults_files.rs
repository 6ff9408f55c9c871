//! Fault suite, files: a gateway SIGKILLed while it picks up a big drop directory (with
//! files still arriving, some of them dropped twice); an employer sending the same
//! new-hire file twice at the same moment; and a drop directory that cannot be written
//! (a full disk, then a read-only file system) while messages keep coming. On both
//! backends. Nothing is lost, nothing is taken in or written twice.

mod support;

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use ivd_gateway::config::{EmployerPartnerSettings, PartnerKind, TransportSettings};
use ivd_gateway::store::tokens::{self, Role};
use ivd_gateway::store::{Db, now_ms};
use ivd_model::Fein;
use ivd_newhire::Format;
use ivd_newhire::generate::Generator;
use support::app::TestApp;
use support::faults::{
    Load, Scale, delivered, load_key, partner_down_changes, process_config, procs_dir,
    stuck_leases, wait_alert_changes, wait_failed_attempts,
};
use support::{GatewayProcess, TestDb, gateway_settings, http_partner, wait_until};

on_both_backends!(
    a_gateway_killed_while_picking_up_a_big_drop_directory_takes_each_file_once,
    the_same_new_hire_file_sent_twice_at_once_is_one_receipt,
    a_drop_directory_that_cannot_be_written_keeps_messages_until_it_can,
);

fn files_in(dir: &Path) -> Vec<String> {
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

fn visible(names: Vec<String>) -> Vec<String> {
    names.into_iter().filter(|n| !n.starts_with('.')).collect()
}

/// A synthetic return file of about 2 KiB, different for every `index`.
fn return_file(index: usize) -> (String, Vec<u8>) {
    let mut body = String::new();
    for line in 0..40 {
        body.push_str(&format!(
            "RETURN {index:06} LINE {line:03} SYNTHETIC TEST DATA\n"
        ));
    }
    (format!("RETURN.{index:06}.DAT"), body.into_bytes())
}

/// Drops a file the way transfer software does: written under a hidden name, then renamed
/// into place, so the gateway never sees half of it.
fn drop_file(dir: &Path, name: &str, body: &[u8]) {
    let hidden = dir.join(format!(".{name}.part"));
    std::fs::write(&hidden, body).unwrap();
    std::fs::rename(&hidden, dir.join(name)).unwrap();
}

async fn count(db: &Db, sql: &'static str, partner: &str) -> i64 {
    let (n,): (i64,) = ivd_gateway::on_read!(db, c => {
        sqlx::query_as(sql).bind(partner).fetch_one(c).await.unwrap()
    });
    n
}

async fn a_gateway_killed_while_picking_up_a_big_drop_directory_takes_each_file_once(t: TestDb) {
    let scale = Scale::from_env();
    let (initial, kills) = scale.pick((300, 3), (3000, 10));
    let scratch = t.scratch_dir();
    let incoming = scratch.join("incoming");
    std::fs::create_dir_all(&incoming).unwrap();
    for index in 0..initial {
        let (name, body) = return_file(index);
        drop_file(&incoming, &name, &body);
    }
    let partners = format!(
        r#"
[[partners]]
id = "ocse-returns"
kind = "federal"
pickup = {{ directory = "{}", channel = "files", interval_secs = 1, settle_secs = 0 }}
"#,
        incoming.display()
    );
    let config = |worker: &str| process_config(&scratch, &t.url, worker, 5, &partners);
    let dir = procs_dir(&scratch);

    // Files keep arriving while the gateway is killed; every fifth drop is a file that was
    // dropped before (same name, same bytes), which must be recognised, not taken twice.
    let stop = Arc::new(AtomicBool::new(false));
    let dropper = std::thread::spawn({
        let (stop, incoming) = (stop.clone(), incoming.clone());
        move || {
            let mut next = initial;
            let mut drops = 0usize;
            while !stop.load(Ordering::SeqCst) && next < initial + 20_000 {
                let index = if drops % 5 == 4 {
                    (drops * 7919) % next
                } else {
                    next += 1;
                    next - 1
                };
                let (name, body) = return_file(index);
                drop_file(&incoming, &name, &body);
                drops += 1;
                std::thread::sleep(Duration::from_millis(20));
            }
            (next, drops)
        }
    });

    let processed = incoming.join("processed");
    for round in 0..kills {
        let gateway = GatewayProcess::start(
            &dir,
            &format!("gw-{round}"),
            &config(&format!("gw-{round}")),
        );
        let before = files_in(&processed).len();
        let target = before + 20 + rand::random_range(0..40);
        let reached = wait_until(Duration::from_secs(120), || async {
            files_in(&processed).len() >= target
        })
        .await;
        assert!(
            reached,
            "round {round}: the gateway picks up files ({} processed)",
            files_in(&processed).len()
        );
        gateway.sigkill();
    }
    let mut last = GatewayProcess::start(&dir, "gw-final", &config("gw-final"));
    let target = files_in(&processed).len() + 50;
    assert!(
        wait_until(Duration::from_secs(120), || async {
            files_in(&processed).len() >= target
        })
        .await,
        "the last gateway picks up files"
    );
    stop.store(true, Ordering::SeqCst);
    let (unique, drops) = dropper.join().unwrap();
    let unique = unique as i64;
    let all = wait_until(Duration::from_secs(240), || async {
        visible(files_in(&incoming)).is_empty()
            && count(
                &t.db,
                "SELECT COUNT(*) FROM inbound_receipts WHERE partner = $1 AND state = 'processed'",
                "ocse-returns",
            )
            .await
                == unique
    })
    .await;
    assert!(last.alive(), "the last gateway is still running");
    let status = last.sigterm_and_wait();
    assert!(
        all,
        "every file taken in: {} left in the directory, {} receipts of {unique}",
        visible(files_in(&incoming)).len(),
        count(
            &t.db,
            "SELECT COUNT(*) FROM inbound_receipts WHERE partner = $1",
            "ocse-returns"
        )
        .await
    );
    assert!(status.success(), "SIGTERM exits 0: {status:?}");

    // Each distinct file is one receipt and one event, however often it was dropped or
    // the gateway died with it half taken in.
    assert_eq!(
        count(
            &t.db,
            "SELECT COUNT(*) FROM inbound_receipts WHERE partner = $1",
            "ocse-returns"
        )
        .await,
        unique,
        "one receipt per distinct file"
    );
    assert_eq!(
        count(
            &t.db,
            "SELECT COUNT(DISTINCT message_id) FROM inbound_receipts WHERE partner = $1",
            "ocse-returns"
        )
        .await,
        unique
    );
    assert_eq!(
        count(
            &t.db,
            "SELECT COUNT(*) FROM events WHERE kind = 'inbound.received' AND partner = $1",
            "ocse-returns"
        )
        .await,
        unique,
        "applied once per distinct file"
    );
    let kept = visible(files_in(&processed));
    assert_eq!(kept.len() as i64, unique, "one sealed copy per file");
    let redrops_seen = count(
        &t.db,
        "SELECT CAST(COALESCE(SUM(duplicates), 0) AS BIGINT) FROM inbound_dedup WHERE partner = $1",
        "ocse-returns",
    )
    .await;
    eprintln!(
        "FAULTS pickup {:?} scale={}: {kills} SIGKILLs during pick-up, {initial} files at the start, {unique} distinct files, {drops} drops while running, {redrops_seen} arrivals recognised as duplicates",
        t.backend,
        scale.name(),
    );
    t.cleanup().await;
}

const OUR_FEIN: &str = "411234567";
/// The employer's token holder: uploads are received under its name.
const EMPLOYER: &str = "acme-payroll";

fn new_hire_file(seed: u64) -> Vec<u8> {
    let today = time::OffsetDateTime::now_utc().date();
    let mut generator = Generator::new(seed, today);
    let mut employer = generator.employer();
    employer.fein = Fein::parse(OUR_FEIN).unwrap();
    let mut writer = ivd_newhire::write_new_hires(Format::Csv, Vec::new());
    for _ in 0..3 {
        let mut report = generator.new_hire();
        report.employer = employer.clone();
        writer.push(&report).unwrap();
    }
    writer.finish().unwrap()
}

async fn the_same_new_hire_file_sent_twice_at_once_is_one_receipt(t: TestDb) {
    let scale = Scale::from_env();
    let files = scale.pick(10u64, 60);
    let mut acme = http_partner("employer-acme", "http://127.0.0.1:9/unused", 5);
    acme.kind = PartnerKind::Employer;
    acme.employer = Some(EmployerPartnerSettings {
        feins: vec!["41-1234567".into()],
    });
    let gateway = TestApp::spawn_with(gateway_settings(&t, vec![acme])).await;
    let token = tokens::issue_scoped(
        &t.db,
        EMPLOYER,
        Role::Employer,
        &[Fein::parse(OUR_FEIN).unwrap()],
        now_ms(),
    )
    .await
    .unwrap();
    let http = reqwest::Client::new();
    let url = format!("http://{}/employer/v1/new-hires", gateway.api_addr);
    let upload = |body: Vec<u8>| {
        let request = http
            .post(&url)
            .bearer_auth(&token)
            .header("content-type", "text/csv")
            .body(body);
        async move {
            let response = request.send().await.unwrap();
            let status = response.status().as_u16();
            let body: serde_json::Value = response.json().await.unwrap();
            (status, body)
        }
    };
    for seed in 0..files {
        let file = new_hire_file(1000 + seed);
        // The payroll system's retry fires while the first upload is still in flight.
        let ((first, a), (second, b)) = tokio::join!(upload(file.clone()), upload(file));
        let mut statuses = [first, second];
        statuses.sort();
        assert!(
            statuses[0] == 200 && (statuses[1] == 201 || statuses[1] == 202),
            "one taken in, one recognised: {first} {a} / {second} {b}"
        );
        assert_eq!(a["receiptId"], b["receiptId"], "both point at one receipt");
        let duplicate = if first == 200 { &a } else { &b };
        assert_eq!(duplicate["status"], "duplicate");
    }
    // And once more, after the fact: still the same receipts.
    let (status, again) = upload(new_hire_file(1000)).await;
    assert_eq!(status, 200, "{again}");
    gateway.stop().await;
    assert_eq!(
        count(
            &t.db,
            "SELECT COUNT(*) FROM inbound_receipts WHERE partner = $1",
            EMPLOYER
        )
        .await,
        files as i64,
        "one receipt per distinct file"
    );
    assert_eq!(
        count(
            &t.db,
            "SELECT CAST(COALESCE(SUM(duplicates), 0) AS BIGINT) FROM inbound_dedup WHERE partner = $1",
            EMPLOYER
        )
        .await,
        files as i64 + 1,
        "every second copy counted as a duplicate"
    );
    assert_eq!(
        count(
            &t.db,
            "SELECT COUNT(*) FROM new_hire_records r JOIN inbound_receipts i ON i.receipt_id = r.receipt_id \
             WHERE i.partner = $1 AND r.status = 'accepted'",
            EMPLOYER
        )
        .await,
        3 * files as i64,
        "each new hire accepted once"
    );
    eprintln!(
        "FAULTS new-hire-twice {:?} scale={}: {files} files each sent twice at once, one receipt each",
        t.backend,
        scale.name()
    );
    t.cleanup().await;
}

/// A small file system of its own for the drop directory, so it can be filled up and made
/// read-only without touching anything else; unmounted when the test ends, early or not.
struct OwnFileSystem {
    dir: PathBuf,
}

impl OwnFileSystem {
    /// None (with a loud note) where mounting is not allowed (not root, no tmpfs).
    fn mount(dir: &Path) -> Option<OwnFileSystem> {
        std::fs::create_dir_all(dir).unwrap();
        let mounted = Command::new("mount")
            .args(["-t", "tmpfs", "-o", "size=32m,mode=0700", "tmpfs"])
            .arg(dir)
            .status()
            .is_ok_and(|s| s.success());
        if !mounted {
            eprintln!(
                "\n!!! mounting a tmpfs failed (not root?): the failing drop directory test was SKIPPED.\n"
            );
            return None;
        }
        Some(OwnFileSystem {
            dir: dir.to_path_buf(),
        })
    }

    /// Remounts with `option`; going read-only fails while a file is open for writing (the
    /// gateway may be writing one at that moment), so it is tried again, bounded.
    fn remount(&self, option: &str) {
        for _ in 0..100 {
            let status = Command::new("mount")
                .args(["-o", &format!("remount,{option}")])
                .arg(&self.dir)
                .stderr(std::process::Stdio::null())
                .status()
                .expect("mount runs");
            if status.success() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        panic!("remount {option} kept failing");
    }

    /// Fills the file system to the last byte with one file.
    fn fill(&self) {
        use std::io::Write;
        let mut filler = std::fs::File::create(self.dir.join("filler")).unwrap();
        for chunk in [1 << 20, 4096, 1] {
            let block = vec![0u8; chunk];
            // Bounded: 32 MiB in the largest blocks, then the last pages byte by byte.
            for _ in 0..(64 << 20) / chunk.max(4096) {
                if filler.write_all(&block).is_err() {
                    break;
                }
            }
        }
    }

    fn unfill(&self) {
        std::fs::remove_file(self.dir.join("filler")).unwrap();
    }
}

impl Drop for OwnFileSystem {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.dir).status();
    }
}

#[derive(Clone, Copy, Debug)]
enum WriteFault {
    DiskFull,
    ReadOnly,
}

async fn a_drop_directory_that_cannot_be_written_keeps_messages_until_it_can(t: TestDb) {
    let scale = Scale::from_env();
    let outages = scale.pick(2, 6);
    let drop_dir = t.scratch_dir().join("to-ndnh");
    let Some(fs) = OwnFileSystem::mount(&drop_dir) else {
        t.cleanup().await;
        return;
    };
    let mut ndnh = http_partner("ndnh", "http://127.0.0.1:9/unused", 100_000);
    ndnh.kind = PartnerKind::Federal;
    ndnh.transport = Some(TransportSettings::FileDrop {
        directory: drop_dir.clone(),
    });
    ndnh.circuit.failure_threshold = 5;
    ndnh.circuit.cooldown_secs = 1;
    let gateway = TestApp::spawn_with(gateway_settings(&t, vec![ndnh])).await;
    const KEYS: u64 = 10;
    let load = Load::start(
        t.db.clone(),
        "ndnh",
        KEYS,
        5,
        Duration::from_millis(50),
        100_000,
    );
    for outage in 0..outages {
        let fault = if outage % 2 == 0 {
            WriteFault::DiskFull
        } else {
            WriteFault::ReadOnly
        };
        let target = visible(files_in(&drop_dir)).len() + 20;
        assert!(
            wait_until(Duration::from_secs(60), || async {
                visible(files_in(&drop_dir)).len() >= target
            })
            .await,
            "files are written before outage {outage}"
        );
        match fault {
            WriteFault::DiskFull => fs.fill(),
            WriteFault::ReadOnly => fs.remount("ro"),
        }
        wait_alert_changes(
            &t.db,
            "ndnh",
            2 * outage as i64 + 1,
            &format!("{fault:?} opens the circuit"),
        )
        .await;
        let stuck_at = delivered(&t.db, "ndnh").await;
        wait_failed_attempts(&t.db, "ndnh", 2, &format!("{fault:?} probes")).await;
        assert_eq!(
            delivered(&t.db, "ndnh").await,
            stuck_at,
            "nothing is delivered while the directory cannot be written"
        );
        match fault {
            WriteFault::DiskFull => fs.unfill(),
            WriteFault::ReadOnly => fs.remount("rw"),
        }
        wait_alert_changes(
            &t.db,
            "ndnh",
            2 * outage as i64 + 2,
            &format!("writable again after {fault:?}"),
        )
        .await;
    }
    let total = load.stop().await;
    let all = wait_until(Duration::from_secs(120), || async {
        delivered(&t.db, "ndnh").await == total
    })
    .await;
    gateway.stop().await;
    assert!(
        all,
        "{} of {total} delivered",
        delivered(&t.db, "ndnh").await
    );
    assert_eq!(stuck_leases(&t.db, Duration::ZERO).await, 0);

    // Each message is one file with its own bytes; no temporary file is left behind.
    let names = files_in(&drop_dir);
    assert_eq!(
        names.len() as u64,
        total,
        "one file per message, nothing else: {:?}",
        names
            .iter()
            .filter(|n| n.starts_with('.'))
            .collect::<Vec<_>>()
    );
    let names: HashSet<String> = names.into_iter().collect();
    for index in 0..total {
        let key = load_key(index, KEYS);
        let name = format!("{key}.json");
        assert!(names.contains(&name), "{name} written");
        let body: serde_json::Value =
            serde_json::from_slice(&std::fs::read(drop_dir.join(&name)).unwrap()).unwrap();
        assert_eq!(
            body["seq"].as_u64(),
            Some(index / KEYS),
            "{name} holds its message"
        );
    }
    // Per case, no message was attempted before the one ahead of it was delivered.
    let attempts: Vec<(String, String, i64, i64, String)> = ivd_gateway::on_read!(&t.db, c => {
        sqlx::query_as(
            "SELECT m.ordering_key, m.idempotency_key, a.started_at, a.finished_at, a.outcome \
             FROM outbox_attempts a JOIN outbox_messages m ON m.id = a.message_id \
             WHERE m.partner = 'ndnh' ORDER BY m.id, a.attempt",
        )
        .fetch_all(c)
        .await
        .unwrap()
    });
    let mut by_message: BTreeMap<String, (i64, Option<i64>)> = BTreeMap::new();
    for (_, key, started, finished, outcome) in &attempts {
        let entry = by_message.entry(key.clone()).or_insert((*started, None));
        entry.0 = entry.0.min(*started);
        if outcome == "delivered" {
            entry.1 = Some(*finished);
        }
    }
    for index in KEYS..total {
        let (this, ahead) = (load_key(index, KEYS), load_key(index - KEYS, KEYS));
        let first_try = by_message[&this].0;
        let delivered_ahead = by_message[&ahead].1.expect("delivered");
        assert!(
            first_try >= delivered_ahead,
            "{this} was tried before {ahead} was delivered"
        );
    }
    assert_eq!(
        partner_down_changes(&t.db, "ndnh").await,
        (2 * outages as i64, Some("resolved".to_string())),
        "one partner-down and one partner-back per outage"
    );
    let retries = attempts.iter().filter(|a| a.4 == "retry").count();
    assert!(retries > 0, "writes failed and were retried");
    eprintln!(
        "FAULTS drop-dir {:?} scale={}: {outages} outages (full disk / read-only), {total} messages, {retries} failed writes retried, {} alert changes",
        t.backend,
        scale.name(),
        2 * outages
    );
    drop(fs);
    t.cleanup().await;
}
