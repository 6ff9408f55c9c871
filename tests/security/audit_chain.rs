//! The audit trail: links keyed outside the database, the head anchored outside it, and
//! `audit verify` telling a rewritten entry, a deleted tail and a forged chain apart.
//!
//! The attacker of these stories can write the database and has read this repository, but
//! cannot read the audit key: they cover their tracks by computing every link again the
//! way the gateway used to (SHA-256 over the length-prefixed fields), or with a key of
//! their own.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use ivd_gateway::audit::{self, Entry, GENESIS, NewEntry};
use ivd_gateway::store::tokens::Role;
use ivd_gateway::store::{Db, now_ms};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::support::app::TestApp;
use crate::support::issue_token;
use crate::support::{GatewayProcess, TestDb, gateway_settings, wait_until};

crate::on_both_backends!(
    an_entry_edited_with_every_later_link_recomputed_is_named_as_rewritten,
    the_last_entries_deleted_are_named_even_after_a_restart,
    a_chain_replaced_whole_is_named_as_replaced,
    a_checkpoint_altered_to_hide_a_deleted_tail_does_not_verify,
    a_database_from_before_keyed_links_is_keyed_at_start_and_its_old_entries_stay_covered,
    two_instances_sharing_a_database_each_anchor_the_one_chain,
    a_stopping_gateway_process_anchors_the_head_in_a_file_and_in_its_log,
);

const BIN: &str = env!("CARGO_BIN_EXE_ivd-gateway");

/// The three findings, each in words no other finding uses.
const REWRITTEN: &str = "was rewritten";
const DELETED: &str = "deleted";
const REPLACED: &str = "the chain was replaced";

fn toml_string(text: &str) -> String {
    serde_json::to_string(text).unwrap()
}

/// The operator's command line, configured like the gateway of [`gateway_settings`]: the
/// same database, keys and checkpoint directory.
struct Cli {
    dir: tempfile::TempDir,
    config: PathBuf,
}

impl Cli {
    fn for_db(t: &TestDb) -> Cli {
        Cli::with_audit_key_file(t, &t.scratch_dir().join("keys/audit.key"))
    }

    fn with_audit_key_file(t: &TestDb, key_file: &Path) -> Cli {
        let scratch = t.scratch_dir();
        let path = |p: &str| toml_string(&scratch.join(p).display().to_string());
        let dir = tempfile::tempdir().unwrap();
        let config = dir.path().join("gateway.toml");
        std::fs::write(
            &config,
            format!(
                "[database]\nurl = {}\n[tls]\ndir = {}\n[privacy]\ndata_key_dir = {}\nlookup_key_file = {}\n\
                 [audit]\nkey_file = {}\ncheckpoint_dir = {}\n[log]\nformat = \"text\"\nfilter = \"warn\"\n",
                toml_string(&t.url),
                path("tls"),
                path("keys/data"),
                path("keys/lookup.key"),
                toml_string(&key_file.display().to_string()),
                path("audit/checkpoints"),
            ),
        )
        .unwrap();
        Cli { dir, config }
    }

    fn run(&self, args: &[&str]) -> Output {
        Command::new(BIN)
            .arg("--config")
            .arg(&self.config)
            .args(args)
            .current_dir(self.dir.path())
            .env_remove("IVD_CONFIG")
            .output()
            .expect("the binary runs")
    }

    /// `ivd-gateway audit verify ARGS`: exit status and what it printed.
    fn verify(&self, args: &[&str]) -> (i32, String) {
        let output = self.run(&[&["audit", "verify"], args].concat());
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        (output.status.code().expect("exited"), text)
    }
}

/// Operators redeliver messages: one audit entry each, appended as the gateway appends.
async fn operators_act(db: &Db, times: usize) {
    for n in 0..times {
        let mut tx = db.begin().await.unwrap();
        audit::append(
            &mut tx,
            &NewEntry {
                actor: "operator:ops-jane",
                action: "outbox.redeliver",
                subject: &format!("message:{n}"),
                reason: Some("partner fixed its endpoint"),
                details: json!({ "attempt": n }),
            },
            now_ms(),
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
    }
}

/// A gateway runs while operators act `times` times, then stops (its last checkpoint).
async fn a_day_of_work(t: &TestDb, times: usize) {
    let gateway = TestApp::spawn_with(gateway_settings(t, Vec::new())).await;
    operators_act(&t.db, times).await;
    gateway.stop().await;
}

/// The chain, oldest first.
async fn chain(db: &Db) -> Vec<Entry> {
    let mut entries = audit::recent(db, 10_000).await.unwrap();
    entries.reverse();
    entries
}

/// The link as the gateway computed it before links were keyed, which anyone can.
fn unkeyed_link(e: &Entry) -> String {
    let mut hasher = Sha256::new();
    for part in [
        e.seq.to_string().as_str(),
        e.at.to_string().as_str(),
        &e.actor,
        &e.action,
        &e.subject,
        e.reason.as_deref().unwrap_or("\u{0}"),
        &e.details,
        &e.prev_hash,
    ] {
        hasher.update((part.len() as u64).to_be_bytes());
        hasher.update(part.as_bytes());
    }
    hex::encode(hasher.finalize())
}

/// Computes every link from `from` (an index) on again, so the chain hangs together.
fn relink(entries: &mut [Entry], from: usize) {
    for i in from..entries.len() {
        entries[i].prev_hash = if i == 0 {
            GENESIS.to_string()
        } else {
            entries[i - 1].hash.clone()
        };
        entries[i].hash = unkeyed_link(&entries[i]);
    }
}

async fn overwrite(db: &Db, entries: &[Entry]) {
    for e in entries {
        let changed = ivd_gateway::on_db!(db, c => {
            sqlx::query(
                "UPDATE audit_log SET at = $1, actor = $2, action = $3, subject = $4, reason = $5, \
                 details = $6, prev_hash = $7, hash = $8 WHERE seq = $9",
            )
            .bind(e.at)
            .bind(&e.actor)
            .bind(&e.action)
            .bind(&e.subject)
            .bind(&e.reason)
            .bind(&e.details)
            .bind(&e.prev_hash)
            .bind(&e.hash)
            .bind(e.seq)
            .execute(c)
            .await
            .unwrap()
            .rows_affected()
        });
        assert_eq!(changed, 1);
    }
}

async fn insert(db: &Db, entries: &[Entry]) {
    for e in entries {
        ivd_gateway::on_db!(db, c => {
            sqlx::query(
                "INSERT INTO audit_log (seq, at, actor, action, subject, reason, details, prev_hash, hash) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            )
            .bind(e.seq)
            .bind(e.at)
            .bind(&e.actor)
            .bind(&e.action)
            .bind(&e.subject)
            .bind(&e.reason)
            .bind(&e.details)
            .bind(&e.prev_hash)
            .bind(&e.hash)
            .execute(c)
            .await
            .unwrap()
            .rows_affected()
        });
    }
}

async fn delete_from(db: &Db, seq: i64) -> u64 {
    ivd_gateway::on_db!(db, c => {
        sqlx::query("DELETE FROM audit_log WHERE seq >= $1")
            .bind(seq)
            .execute(c)
            .await
            .unwrap()
            .rows_affected()
    })
}

/// Entries made up by the attacker, linked the old way.
fn made_up_chain(n: i64) -> Vec<Entry> {
    let mut entries: Vec<Entry> = (1..=n)
        .map(|seq| Entry {
            seq,
            at: now_ms(),
            actor: "system".into(),
            action: "outbox.purge".into(),
            subject: format!("message:{seq}"),
            reason: None,
            details: "{}".into(),
            prev_hash: String::new(),
            hash: String::new(),
        })
        .collect();
    relink(&mut entries, 0);
    entries
}

fn checkpoint_files(t: &TestDb) -> Vec<PathBuf> {
    let dir = t.scratch_dir().join("audit/checkpoints");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map(|list| list.map(|e| e.unwrap().path()).collect())
        .unwrap_or_default();
    files.retain(|p| p.extension().is_some_and(|e| e == "checkpoint"));
    files.sort();
    files
}

fn read_checkpoint(path: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

fn only_finding(text: &str, expected: &str) {
    for finding in [REWRITTEN, DELETED, REPLACED] {
        assert_eq!(
            text.contains(finding),
            finding == expected,
            "one finding, {expected:?}: {text}"
        );
    }
}

async fn an_entry_edited_with_every_later_link_recomputed_is_named_as_rewritten(t: TestDb) {
    a_day_of_work(&t, 6).await;
    let cli = Cli::for_db(&t);
    let (code, text) = cli.verify(&[]);
    assert_eq!(code, 0, "{text}");
    assert!(
        text.contains("Audit chain intact: 6 entries verified."),
        "{text}"
    );
    assert!(text.contains("the newest records entry 6"), "{text}");

    // Someone with database access softens entry 3's reason and computes every link from
    // there on again: by the old rules the chain is whole.
    let mut entries = chain(&t.db).await;
    entries[2].reason = Some("routine".into());
    relink(&mut entries, 2);
    overwrite(&t.db, &entries[2..]).await;

    let (code, text) = cli.verify(&[]);
    assert_eq!(code, 1, "{text}");
    assert!(
        text.contains("Audit chain BROKEN at entry 3: entry 3 was rewritten"),
        "{text}"
    );
    assert!(text.contains("2 entries before it verified"), "{text}");
    only_finding(&text, REWRITTEN);
    assert!(
        !text.contains("routine"),
        "no entry's content is repeated: {text}"
    );
    t.cleanup().await;
}

async fn the_last_entries_deleted_are_named_even_after_a_restart(t: TestDb) {
    a_day_of_work(&t, 6).await;
    // Someone deletes the two newest entries: what is left links up perfectly.
    assert_eq!(delete_from(&t.db, 5).await, 2);

    let cli = Cli::for_db(&t);
    let (code, text) = cli.verify(&[]);
    assert_eq!(code, 1, "{text}");
    assert!(
        text.contains("Audit chain BROKEN at entry 5: the last 2 entries were deleted"),
        "{text}"
    );
    assert!(
        text.contains("records entry 6, the chain ends at entry 4"),
        "names the checkpoint that shows it: {text}"
    );
    only_finding(&text, DELETED);

    // A restart checkpoints the shortened chain, which launders nothing: the earlier
    // checkpoint still records entry 6, and the operator route says so too.
    let gateway = TestApp::spawn_with(gateway_settings(&t, Vec::new())).await;
    let operator = issue_token(&t.db, "ops-jane", Role::Operator).await;
    let answer: Value = reqwest::Client::new()
        .get(format!(
            "http://{}/operator/v1/audit/verify",
            gateway.api_addr
        ))
        .bearer_auth(operator)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(answer["broken"]["kind"], "tail-deleted", "{answer}");
    assert_eq!(answer["broken"]["seq"], 5, "{answer}");
    assert_eq!(answer["broken"]["verified"], 4, "{answer}");
    gateway.stop().await;
    let (code, text) = cli.verify(&[]);
    assert_eq!(code, 1, "{text}");
    assert!(text.contains("the last 2 entries were deleted"), "{text}");
    t.cleanup().await;
}

async fn a_chain_replaced_whole_is_named_as_replaced(t: TestDb) {
    a_day_of_work(&t, 6).await;
    // Someone swaps the whole chain for four entries of their own, linked the old way.
    assert_eq!(delete_from(&t.db, 1).await, 6);
    insert(&t.db, &made_up_chain(4)).await;

    let cli = Cli::for_db(&t);
    let (code, text) = cli.verify(&[]);
    assert_eq!(code, 1, "{text}");
    assert!(
        text.contains("Audit chain BROKEN at entry 1: the chain was replaced"),
        "{text}"
    );
    assert!(
        text.contains("says the chain is keyed from entry 1"),
        "the checkpoint shows it: {text}"
    );
    only_finding(&text, REPLACED);

    // Links in the keyed form, made with a key of their own, give themselves away without
    // any checkpoint (an empty directory of them here).
    let mut forged = made_up_chain(4);
    for i in 0..forged.len() {
        if i > 0 {
            forged[i].prev_hash = forged[i - 1].hash.clone();
        }
        forged[i].hash = format!("hmac:{}", unkeyed_link(&forged[i]));
    }
    delete_from(&t.db, 1).await;
    insert(&t.db, &forged).await;
    let empty = tempfile::tempdir().unwrap();
    let (code, text) = cli.verify(&["--checkpoints", &empty.path().display().to_string()]);
    assert_eq!(code, 1, "{text}");
    assert!(
        text.contains("Audit chain BROKEN at entry 1: the chain was replaced"),
        "{text}"
    );
    only_finding(&text, REPLACED);
    t.cleanup().await;
}

async fn a_checkpoint_altered_to_hide_a_deleted_tail_does_not_verify(t: TestDb) {
    a_day_of_work(&t, 6).await;
    assert_eq!(delete_from(&t.db, 5).await, 2);
    // The attacker also makes every checkpoint agree with the shortened chain.
    let head = chain(&t.db).await.pop().unwrap();
    let files = checkpoint_files(&t);
    assert!(!files.is_empty());
    for file in &files {
        let mut checkpoint = read_checkpoint(file);
        if checkpoint["seq"].as_i64() > Some(4) {
            checkpoint["seq"] = json!(4);
            checkpoint["head"] = json!(head.hash);
            std::fs::write(file, serde_json::to_vec(&checkpoint).unwrap()).unwrap();
        }
    }
    let (code, text) = Cli::for_db(&t).verify(&[]);
    assert_eq!(code, 1, "{text}");
    assert!(
        text.contains("Audit checkpoint BROKEN: checkpoint file"),
        "{text}"
    );
    assert!(
        text.contains("altered or forged: its signature does not verify"),
        "{text}"
    );
    t.cleanup().await;
}

async fn a_database_from_before_keyed_links_is_keyed_at_start_and_its_old_entries_stay_covered(
    t: TestDb,
) {
    // Three entries as the previous version wrote them: unkeyed links.
    let old = made_up_chain(3);
    insert(&t.db, &old).await;
    let cli = Cli::for_db(&t);
    let (code, text) = cli.verify(&[]);
    assert_eq!(code, 0, "{text}");
    assert!(
        text.contains("Entries 1 to 3 have unkeyed links")
            && text.contains("no keyed entry covers them yet"),
        "{text}"
    );

    // The first start of this version keys the chain: an entry whose keyed link covers
    // the old ones. Nothing old is rewritten.
    a_day_of_work(&t, 0).await;
    let entries = chain(&t.db).await;
    assert_eq!(entries.len(), 4);
    assert_eq!(
        &entries[..3].iter().map(|e| &e.hash).collect::<Vec<_>>(),
        &old.iter().map(|e| &e.hash).collect::<Vec<_>>()
    );
    assert_eq!(entries[3].action, "audit.keyed");
    assert!(entries[3].hash.starts_with("hmac:"), "{}", entries[3].hash);
    let details: Value = serde_json::from_str(&entries[3].details).unwrap();
    assert_eq!(details["unkeyedEntries"], 3);
    let (code, text) = cli.verify(&[]);
    assert_eq!(code, 0, "{text}");
    assert!(
        text.contains("the keyed entries after them cover them"),
        "{text}"
    );
    // A second start keys nothing more.
    a_day_of_work(&t, 0).await;
    assert_eq!(chain(&t.db).await.len(), 4);

    // Rewriting an old entry, and every old link after it, breaks the keyed link that
    // covers them.
    let mut rewritten = entries[..3].to_vec();
    rewritten[1].reason = Some("routine".into());
    relink(&mut rewritten, 1);
    overwrite(&t.db, &rewritten[1..]).await;
    let (code, text) = cli.verify(&[]);
    assert_eq!(code, 1, "{text}");
    assert!(
        text.contains("Audit chain BROKEN at entry 3: entry 3 (or one before it) was rewritten"),
        "{text}"
    );
    only_finding(&text, REWRITTEN);
    t.cleanup().await;
}

async fn two_instances_sharing_a_database_each_anchor_the_one_chain(t: TestDb) {
    let instance = |name: &str| {
        let mut settings = gateway_settings(&t, Vec::new());
        settings.audit.instance = Some(name.into());
        settings.audit.checkpoint_interval_secs = 1;
        settings
    };
    let east = TestApp::spawn_with(instance("gw-east")).await;
    let west = TestApp::spawn_with(instance("gw-west")).await;
    operators_act(&east.state.db, 2).await;
    operators_act(&west.state.db, 1).await;
    // While the chain grows, each instance checkpoints it on its interval, in files of
    // its own.
    let anchored = |name: &'static str| {
        let t = &t;
        move || {
            let found = checkpoint_files(t).iter().any(|f| {
                let text = f.file_name().unwrap().to_string_lossy().into_owned();
                text.starts_with(&format!("{name}.")) && text.ends_with(".3.checkpoint")
            });
            async move { found }
        }
    };
    assert!(wait_until(std::time::Duration::from_secs(20), anchored("gw-east")).await);
    assert!(wait_until(std::time::Duration::from_secs(20), anchored("gw-west")).await);
    east.stop().await;
    west.stop().await;

    let files = checkpoint_files(&t);
    for file in &files {
        let name = file.file_name().unwrap().to_string_lossy().into_owned();
        assert!(
            name.starts_with("gw-east.") || name.starts_with("gw-west."),
            "{name}"
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(file).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600, "{name}");
        }
    }
    let (code, text) = Cli::for_db(&t).verify(&[]);
    assert_eq!(code, 0, "{text}");
    assert!(
        text.contains(&format!("Checked against {} checkpoint(s)", files.len())),
        "{text}"
    );
    t.cleanup().await;
}

/// A gateway process's configuration: JSON logs at INFO, the audit key `key_file`.
fn process_config(t: &TestDb, key_file: &str) -> String {
    let scratch = t.scratch_dir();
    format!(
        "[database]\nurl = {}\n[server]\nlisten = \"127.0.0.1:0\"\npartner_listen = \"127.0.0.1:0\"\n\
         [tls]\ndir = {}\n[privacy]\ndata_key_dir = {}\n[audit]\nkey_file = {}\ncheckpoint_dir = {}\n\
         instance = \"gw-1\"\n[log]\nformat = \"json\"\nfilter = \"info\"\n",
        toml_string(&t.url),
        toml_string(&scratch.join("tls").display().to_string()),
        toml_string(&scratch.join("keys/data").display().to_string()),
        toml_string(&scratch.join(key_file).display().to_string()),
        toml_string(&scratch.join("audit/checkpoints").display().to_string()),
    )
}

async fn a_stopping_gateway_process_anchors_the_head_in_a_file_and_in_its_log(t: TestDb) {
    let dir = t.scratch_dir().join("proc");
    let mut gateway = GatewayProcess::start(&dir, "gw-1", &process_config(&t, "keys/audit.key"));
    assert!(gateway.wait_ready().await.is_some());
    operators_act(&t.db, 3).await;
    assert!(gateway.sigterm_and_wait().success());

    let head = chain(&t.db).await.pop().unwrap();
    let log = std::fs::read_to_string(dir.join("gw-1.log")).unwrap();
    let lines: Vec<Value> = log
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .filter(|l: &Value| l["message"] == "Audit chain checkpoint written.")
        .collect();
    assert_eq!(
        lines.first().map(|l| &l["trigger"]),
        Some(&json!("start")),
        "{log}"
    );
    let last = lines.last().expect("a checkpoint line");
    assert_eq!(last["trigger"], "shutdown", "{log}");
    assert_eq!(last["seq"], 3, "{log}");
    assert_eq!(
        last["head"],
        head.hash.as_str(),
        "the head in the log: {log}"
    );
    assert_eq!(last["level"], "INFO");
    let file = PathBuf::from(last["file"].as_str().unwrap());
    let checkpoint = read_checkpoint(&file);
    assert_eq!(checkpoint["seq"], 3);
    assert_eq!(checkpoint["head"], head.hash.as_str());
    assert_eq!(checkpoint["instance"], "gw-1");

    // An instance started with another audit key says so at once (it would link entries
    // nobody else can verify), and runs on.
    let mut stranger = GatewayProcess::start(&dir, "gw-2", &process_config(&t, "keys/other.key"));
    assert!(stranger.wait_ready().await.is_some());
    assert!(stranger.sigterm_and_wait().success());
    let log = std::fs::read_to_string(dir.join("gw-2.log")).unwrap();
    assert!(
        log.lines()
            .filter_map(|l| serde_json::from_str::<Value>(l).ok())
            .any(|l| l["level"] == "ERROR"
                && l["message"].as_str().is_some_and(|m| m.starts_with(
                    "The newest audit entry does not verify under this instance's audit key"
                ))),
        "{log}"
    );
    t.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verify_without_the_audit_key_says_so_and_makes_no_key() {
    let t = TestDb::sqlite().await;
    operators_act(&t.db, 1).await;
    let missing = t.scratch_dir().join("elsewhere/audit.key");
    let (code, text) = Cli::with_audit_key_file(&t, &missing).verify(&[]);
    assert_eq!(code, 2, "{text}");
    assert!(
        text.contains("audit key file") && text.contains("does not exist"),
        "{text}"
    );
    assert!(!missing.exists(), "a verifier never makes itself a key");
    t.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_checkpoint_command_anchors_the_head_on_demand() {
    let t = TestDb::sqlite().await;
    operators_act(&t.db, 2).await;
    let cli = Cli::for_db(&t);
    let output = cli.run(&["audit", "checkpoint"]);
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    let path = PathBuf::from(String::from_utf8_lossy(&output.stdout).trim());
    assert_eq!(read_checkpoint(&path)["seq"], 2);
    delete_from(&t.db, 2).await;
    let (code, text) = cli.verify(&["--checkpoints", &path.display().to_string()]);
    assert_eq!(code, 1, "{text}");
    assert!(text.contains("the last entry was deleted"), "{text}");
    t.cleanup().await;
}
