//! The command line, driving the real `ivd-gateway` binary: help, migrations and tokens,
//! dead letters and redelivery, the audit chain, `check`, and `serve` stopping cleanly on
//! SIGTERM.

mod support;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::Duration;

use ivd_gateway::outbox::store::{self, AttemptRecord, Decision};
use ivd_gateway::outbox::{self};
use ivd_gateway::store::tokens;
use ivd_gateway::store::{Db, now_ms};
use serde_json::{Value, json};
use support::{TestDb, test_message, wait_until};

on_both_backends!(
    an_operator_redelivers_a_dead_letter_from_the_command_line_and_tampering_is_caught,
    serve_answers_health_checks_and_stops_cleanly_on_sigterm,
);

const BIN: &str = env!("CARGO_BIN_EXE_ivd-gateway");
const TANF: &str = include_str!("../schemas/samples/case-tanf.json");
const PROTECTED: &str = include_str!("../schemas/samples/case-protected.json");
const TRIBAL: &str = include_str!("../schemas/samples/case-tribal.json");

/// A configuration file in its own directory, and the directory to run the command in.
struct Config {
    dir: tempfile::TempDir,
    path: PathBuf,
}

impl Config {
    /// `database_url` and a TLS directory under the temporary directory; `extra` is added
    /// at the end (further sections).
    fn write(database_url: &str, tls_dir: &Path, extra: &str) -> Config {
        Config::write_in(
            tempfile::tempdir().expect("temp dir"),
            database_url,
            tls_dir,
            extra,
        )
    }

    fn write_in(dir: tempfile::TempDir, database_url: &str, tls_dir: &Path, extra: &str) -> Config {
        let path = dir.path().join("gateway.toml");
        let text = format!(
            "[database]\nurl = {}\n\n[tls]\ndir = {}\n\n{extra}\n",
            toml_string(database_url),
            toml_string(&tls_dir.display().to_string()),
        );
        std::fs::write(&path, text).expect("config written");
        Config { dir, path }
    }

    /// A fresh SQLite database in the config's own directory.
    fn fresh_sqlite() -> Config {
        let dir = tempfile::tempdir().expect("temp dir");
        let url = format!("sqlite://{}/gateway.db", dir.path().display());
        let tls = dir.path().join("tls");
        Config::write_in(dir, &url, &tls, "")
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(BIN);
        command
            .arg("--config")
            .arg(&self.path)
            .args(args)
            .current_dir(self.dir.path())
            .env_remove("IVD_CONFIG")
            .env("IVD_LOG__FORMAT", "text")
            .env("IVD_LOG__FILTER", "warn");
        command
    }

    fn run(&self, args: &[&str]) -> Output {
        self.command(args).output().expect("the binary runs")
    }
}

fn toml_string(s: &str) -> String {
    // A TOML basic string; JSON string escaping is a subset TOML accepts.
    serde_json::to_string(s).unwrap()
}

/// Runs the binary without a configuration (for help and `check`), in a scratch directory
/// so that no `config/gateway.toml` of the repository is picked up.
fn bare(args: &[&str]) -> Output {
    let dir = tempfile::tempdir().expect("temp dir");
    Command::new(BIN)
        .args(args)
        .current_dir(dir.path())
        .env_remove("IVD_CONFIG")
        .output()
        .expect("the binary runs")
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn code(output: &Output) -> i32 {
    output.status.code().expect("exited, not killed")
}

fn describe(output: &Output) -> String {
    format!(
        "exit {:?}\n--- stdout\n{}\n--- stderr\n{}",
        output.status.code(),
        stdout(output),
        stderr(output)
    )
}

// ---------------------------------------------------------------------------------------
// Help
// ---------------------------------------------------------------------------------------

#[test]
fn help_lists_every_command_and_every_outbox_action() {
    let help = bare(&["--help"]);
    assert_eq!(code(&help), 0, "{}", describe(&help));
    let text = stdout(&help);
    for command in [
        "serve", "migrate", "outbox", "audit", "token", "keys", "check",
    ] {
        assert!(
            text.lines()
                .any(|l| l.trim_start().starts_with(&format!("{command} "))),
            "--help does not list {command}:\n{text}"
        );
    }

    let outbox = bare(&["outbox", "--help"]);
    assert_eq!(code(&outbox), 0, "{}", describe(&outbox));
    let text = stdout(&outbox);
    for action in ["list", "show", "dead", "redeliver", "replay"] {
        assert!(
            text.lines()
                .any(|l| l.trim_start().starts_with(&format!("{action} "))),
            "outbox --help does not list {action}:\n{text}"
        );
    }

    let unknown = bare(&["frobnicate"]);
    assert_eq!(code(&unknown), 2, "{}", describe(&unknown));
}

// ---------------------------------------------------------------------------------------
// Start-up errors a person reads
// ---------------------------------------------------------------------------------------

/// A TOML typo: the file, the key as written and the keys the table has, said once.
#[test]
fn a_typo_in_the_configuration_is_said_once_with_the_file_and_key() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("gateway.toml");
    std::fs::write(&file, "[server]\nlisten = \"localhost-8080\"\n").unwrap();
    let out = Command::new(BIN)
        .arg("--config")
        .arg(&file)
        .arg("serve")
        .current_dir(dir.path())
        .env_remove("IVD_CONFIG")
        .output()
        .unwrap();
    assert_eq!(code(&out), 2, "{}", describe(&out));
    let said = stderr(&out);
    assert_eq!(said.lines().count(), 1, "{said}");
    assert!(
        said.contains(&format!("{}, key server.listen", file.display())),
        "{said}"
    );
    assert_eq!(said.matches("invalid socket address").count(), 1, "{said}");
    assert!(said.contains("e.g. \"127.0.0.1:8080\""), "{said}");
}

/// A PostgreSQL that does not answer: the host and port are named at once, not a pool
/// timeout. The "server" here accepts connections and never speaks.
#[test]
fn a_database_that_does_not_answer_is_named_by_host_and_port() {
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = silent.local_addr().unwrap().port();
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(BIN)
        .arg("serve")
        .current_dir(dir.path())
        .env_remove("IVD_CONFIG")
        .env(
            "IVD_DATABASE__URL",
            format!("postgres://postgres@127.0.0.1:{port}/test"),
        )
        .output()
        .unwrap();
    drop(silent);
    assert_eq!(code(&out), 2, "{}", describe(&out));
    let said = stderr(&out);
    let said = said.lines().last().unwrap_or_default();
    assert!(
        said.contains(&format!("PostgreSQL at 127.0.0.1:{port} cannot be reached")),
        "{said}"
    );
    assert!(!said.contains("pool timed out"), "{said}");
}

/// The production binary is built without the tools: the demo and the load drivers are
/// `ivd-tools` commands (`tools/`), not the gateway's.
#[test]
fn the_production_binary_has_no_demo_and_no_bench() {
    let help = bare(&["--help"]);
    assert_eq!(code(&help), 0, "{}", describe(&help));
    let text = stdout(&help);
    for tool in ["demo", "bench"] {
        assert!(
            !text
                .lines()
                .any(|l| l.trim_start().starts_with(&format!("{tool} "))),
            "--help lists {tool}:\n{text}"
        );
        let run = bare(&[tool, "--help"]);
        assert_eq!(code(&run), 2, "{}", describe(&run));
        assert!(
            stderr(&run).contains("unrecognized subcommand"),
            "{}",
            describe(&run)
        );
    }
}

// ---------------------------------------------------------------------------------------
// Migrations and tokens
// ---------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_a_fresh_machine_migrate_then_issue_a_token_that_the_api_accepts() {
    let config = Config::fresh_sqlite();

    let migrated = config.run(&["migrate"]);
    assert_eq!(code(&migrated), 0, "{}", describe(&migrated));
    let again = config.run(&["migrate"]);
    assert_eq!(code(&again), 0, "migrate twice: {}", describe(&again));

    let issued = config.run(&["token", "issue", "--name", "x", "--role", "operator"]);
    assert_eq!(code(&issued), 0, "{}", describe(&issued));
    let printed = stdout(&issued);
    let token = printed.trim();
    assert_eq!(
        printed.lines().count(),
        1,
        "only the token on stdout: {printed}"
    );
    assert!(token.starts_with("ivd_"), "token {token:?}");
    assert!(
        !stderr(&issued).contains(token),
        "the token is printed once"
    );

    let url = format!("sqlite://{}/gateway.db", config.dir.path().display());
    let db = Db::connect(&url).await.expect("the CLI made the database");
    let holder = tokens::authenticate(&db, token)
        .await
        .unwrap()
        .expect("the printed token is valid");
    assert_eq!(holder.name, "x");
    assert_eq!(holder.role, tokens::Role::Operator);
    db.close().await;

    let revoked = config.run(&["token", "revoke", "--name", "x"]);
    assert_eq!(code(&revoked), 0, "{}", describe(&revoked));
    let db = Db::connect(&url).await.unwrap();
    assert!(tokens::authenticate(&db, token).await.unwrap().is_none());
    db.close().await;

    let bad_role = config.run(&["token", "issue", "--name", "y", "--role", "superuser"]);
    assert_eq!(code(&bad_role), 2, "{}", describe(&bad_role));
}

/// State IT opens accounts from the command line: a name is never given twice (not even
/// after the account is closed), a FEIN is held by one account, and adding a FEIN to an
/// account is a deliberate act with a reason in the audit trail.
#[tokio::test]
async fn token_issue_refuses_a_name_or_fein_already_held_and_add_fein_is_audited() {
    let config = Config::fresh_sqlite();
    assert_eq!(code(&config.run(&["migrate"])), 0);
    let acme = config.run(&[
        "token",
        "issue",
        "--name",
        "acme-payroll",
        "--role",
        "employer",
        "--fein",
        "411234567",
    ]);
    assert_eq!(code(&acme), 0, "{}", describe(&acme));

    // The same name again, for another FEIN: refused, nothing issued.
    let same_name = config.run(&[
        "token",
        "issue",
        "--name",
        "acme-payroll",
        "--role",
        "employer",
        "--fein",
        "527654321",
    ]);
    assert_eq!(code(&same_name), 1, "{}", describe(&same_name));
    assert!(
        stderr(&same_name).contains("is taken"),
        "{}",
        describe(&same_name)
    );
    assert!(stdout(&same_name).trim().is_empty(), "no token printed");
    // Another name for Acme's FEIN: refused.
    let same_fein = config.run(&[
        "token",
        "issue",
        "--name",
        "acme-2",
        "--role",
        "employer",
        "--fein",
        "411234567",
    ]);
    assert_eq!(code(&same_fein), 1, "{}", describe(&same_fein));
    assert!(
        stderr(&same_fein).contains("FEIN 41-1234567 is held by another account"),
        "{}",
        describe(&same_fein)
    );
    // An admin adds a second FEIN to Acme's own account, with a reason; without one, no.
    let no_reason = config.run(&[
        "token",
        "add-fein",
        "--name",
        "acme-payroll",
        "--fein",
        "527654321",
        "--reason",
        " ",
    ]);
    assert_eq!(code(&no_reason), 1, "{}", describe(&no_reason));
    let added = config.run(&[
        "token",
        "add-fein",
        "--name",
        "acme-payroll",
        "--fein",
        "527654321",
        "--reason",
        "Acme bought Northwind; ticket 4411",
    ]);
    assert_eq!(code(&added), 0, "{}", describe(&added));
    let listed = config.run(&["token", "list", "--json"]);
    let account: Value = serde_json::from_str(stdout(&listed).lines().next().unwrap()).unwrap();
    assert_eq!(account["name"], "acme-payroll");
    assert_eq!(account["feins"], json!(["411234567", "527654321"]));
    let url = format!("sqlite://{}/gateway.db", config.dir.path().display());
    let db = Db::connect(&url).await.unwrap();
    let entries = ivd_gateway::audit::recent(&db, 10).await.unwrap();
    let addition = entries
        .iter()
        .find(|e| e.action == "account.add_fein")
        .expect("the addition is audited");
    assert_eq!(
        addition.reason.as_deref(),
        Some("Acme bought Northwind; ticket 4411")
    );
    assert_eq!(addition.subject, format!("account:{}", account["id"]));
    db.close().await;

    // Closing the account releases its FEINs, but its name is never given out again.
    let closed = config.run(&["token", "revoke", "--name", "acme-payroll"]);
    assert_eq!(code(&closed), 0, "{}", describe(&closed));
    let reused = config.run(&[
        "token",
        "issue",
        "--name",
        "acme-payroll",
        "--role",
        "employer",
        "--fein",
        "411234567",
    ]);
    assert_eq!(code(&reused), 1, "{}", describe(&reused));
    assert!(
        stderr(&reused).contains("never reused"),
        "{}",
        describe(&reused)
    );
    let successor = config.run(&[
        "token",
        "issue",
        "--name",
        "acme-tools-2027",
        "--role",
        "employer",
        "--fein",
        "411234567",
    ]);
    assert_eq!(code(&successor), 0, "{}", describe(&successor));
}

// ---------------------------------------------------------------------------------------
// Dead letters, redelivery and the audit chain
// ---------------------------------------------------------------------------------------

/// Enqueues one message and makes it dead as a partner rejection would.
async fn dead_letter(db: &Db) -> i64 {
    let now = now_ms();
    let mut tx = db.begin().await.unwrap();
    let id = outbox::enqueue(&mut tx, &test_message("state-19", "case-1", 1, 5, now), now)
        .await
        .unwrap()
        .id();
    tx.commit().await.unwrap();
    let claimed = store::claim(db, "state-19", "test-worker", 10, 10_000, now)
        .await
        .unwrap();
    assert_eq!(claimed.len(), 1);
    store::record(
        db,
        &AttemptRecord {
            id: claimed[0].id,
            attempt: claimed[0].attempt,
            worker: "test-worker",
            started_at: now,
            status: Some(422),
            detail: "rejected by test partner",
        },
        Decision::DeadRejected,
        now,
    )
    .await
    .unwrap();
    id
}

async fn tamper_with_first_audit_entry(db: &Db) {
    let sql = "UPDATE audit_log SET reason = 'x' WHERE seq = 1";
    let changed = match db {
        Db::Sqlite { write, .. } => sqlx::query(sql)
            .execute(write)
            .await
            .unwrap()
            .rows_affected(),
        Db::Postgres(pool, _) => sqlx::query(sql)
            .execute(pool)
            .await
            .unwrap()
            .rows_affected(),
    };
    assert_eq!(changed, 1);
}

async fn an_operator_redelivers_a_dead_letter_from_the_command_line_and_tampering_is_caught(
    t: TestDb,
) {
    let id = dead_letter(&t.db).await;
    let id_arg = id.to_string();
    // The CLI opens the values sealed at rest with the same data keys as the test's handle.
    let keys = format!(
        "[privacy]\ndata_key_dir = {}\n",
        toml_string(&t.scratch_dir().join("keys/data").display().to_string())
    );
    let config = Config::write(&t.url, &t.scratch_dir().join("tls"), &keys);

    let dead = config.run(&["outbox", "dead", "--json"]);
    assert_eq!(code(&dead), 0, "{}", describe(&dead));
    let listed: Vec<Value> = stdout(&dead)
        .lines()
        .map(|l| serde_json::from_str(l).expect("one JSON object a line"))
        .collect();
    assert_eq!(listed.len(), 1, "{}", describe(&dead));
    assert_eq!(listed[0]["id"], id);
    assert_eq!(listed[0]["state"], "dead");
    assert_eq!(listed[0]["partner"], "state-19");

    let table = config.run(&["outbox", "dead"]);
    assert_eq!(code(&table), 0, "{}", describe(&table));
    assert!(
        stdout(&table)
            .lines()
            .any(|l| l.split_whitespace().next() == Some(id_arg.as_str()) && l.contains("dead")),
        "{}",
        describe(&table)
    );

    let no_reason = config.run(&["outbox", "redeliver", &id_arg]);
    assert_eq!(code(&no_reason), 2, "{}", describe(&no_reason));
    assert!(
        stderr(&no_reason).contains("--reason"),
        "{}",
        describe(&no_reason)
    );
    let blank_reason = config.run(&["outbox", "redeliver", &id_arg, "--reason", "  "]);
    assert_ne!(code(&blank_reason), 0, "{}", describe(&blank_reason));
    assert_eq!(
        store::show(&t.db, id).await.unwrap().unwrap().summary.state,
        "dead",
        "refused redeliveries change nothing"
    );

    let redelivered = config.run(&["outbox", "redeliver", &id_arg, "--reason", "partner fixed"]);
    assert_eq!(code(&redelivered), 0, "{}", describe(&redelivered));
    assert_eq!(
        store::show(&t.db, id).await.unwrap().unwrap().summary.state,
        "pending"
    );
    let pending = config.run(&["outbox", "list", "--state", "pending", "--json"]);
    assert_eq!(code(&pending), 0, "{}", describe(&pending));
    assert!(
        stdout(&pending).contains(&format!("\"id\":{id}")),
        "{}",
        describe(&pending)
    );
    let none_dead = config.run(&["outbox", "dead", "--json"]);
    assert_eq!(stdout(&none_dead).trim(), "", "{}", describe(&none_dead));

    let shown = config.run(&["outbox", "show", &id_arg]);
    assert_eq!(code(&shown), 0, "{}", describe(&shown));
    let shown: Value = serde_json::from_str(&stdout(&shown)).expect("show prints JSON");
    assert_eq!(shown["id"], id);
    assert_eq!(shown["state"], "pending");
    let attempts = shown["attempts"].as_array().expect("attempts");
    assert_eq!(attempts.len(), 1, "{shown}");
    assert_eq!(attempts[0]["outcome"], "rejected");
    assert_eq!(attempts[0]["status"], 422);
    assert!(shown.get("payload").is_none(), "no payload bytes: {shown}");

    let missing = config.run(&["outbox", "show", "999999"]);
    assert_eq!(code(&missing), 1, "{}", describe(&missing));

    let verified = config.run(&["audit", "verify"]);
    assert_eq!(code(&verified), 0, "{}", describe(&verified));
    let text = stdout(&verified);
    assert!(text.contains("intact"), "{text}");
    let entries: i64 = text
        .split_whitespace()
        .find_map(|w| w.parse().ok())
        .expect("a count of entries");
    assert!(entries >= 1, "{text}");
    let audit = ivd_gateway::audit::recent(&t.db, 10).await.unwrap();
    let entry = audit
        .iter()
        .find(|e| e.action == "outbox.redeliver")
        .expect("the redelivery is audited");
    assert_eq!(entry.reason.as_deref(), Some("partner fixed"));
    assert!(entry.actor.starts_with("cli:"), "actor {}", entry.actor);

    tamper_with_first_audit_entry(&t.db).await;
    let broken = config.run(&["audit", "verify"]);
    assert_eq!(code(&broken), 1, "{}", describe(&broken));
    let text = stdout(&broken);
    assert!(text.contains("BROKEN"), "{text}");
    assert!(text.contains("entry 1:"), "names entry 1: {text}");

    t.cleanup().await;
}

// ---------------------------------------------------------------------------------------
// check
// ---------------------------------------------------------------------------------------

fn minified(text: &str) -> String {
    serde_json::to_string(&serde_json::from_str::<Value>(text).unwrap()).unwrap()
}

const BAD_SSN: &str = "666-45-6789";

fn tanf_with_bad_ssn() -> String {
    let mut case: Value = serde_json::from_str(TANF).unwrap();
    case["participants"][1]["person"]["ssn"] = json!(BAD_SSN);
    case.to_string()
}

/// Writes `lines` to a file and runs `check case-json FILE --json` on it.
fn check_lines(lines: &[String]) -> (Output, Vec<Value>) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("cases.jsonl");
    std::fs::write(&file, lines.join("\n") + "\n").unwrap();
    let output = bare(&["check", "case-json", file.to_str().unwrap(), "--json"]);
    let verdicts = stdout(&output)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("line {l:?} is not JSON: {e}")))
        .collect();
    (output, verdicts)
}

/// The `check --json` contract: keys exactly record/status/errors; each error has field,
/// code and message, and position only as a 1-based number.
fn assert_verdict_shape(verdict: &Value) {
    let object = verdict.as_object().expect("an object");
    let mut keys: Vec<&str> = object.keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(keys, ["errors", "record", "status"], "{verdict}");
    assert!(
        verdict["record"].as_u64().is_some_and(|n| n >= 1),
        "{verdict}"
    );
    let status = verdict["status"].as_str().unwrap();
    assert!(status == "valid" || status == "invalid", "{verdict}");
    let errors = verdict["errors"].as_array().expect("errors is a list");
    assert_eq!(status == "valid", errors.is_empty(), "{verdict}");
    for error in errors {
        let error = error.as_object().expect("an error object");
        for key in error.keys() {
            assert!(
                ["field", "position", "code", "message"].contains(&key.as_str()),
                "unexpected key {key} in {verdict}"
            );
        }
        for key in ["field", "code", "message"] {
            assert!(
                error[key].as_str().is_some_and(|s| !s.is_empty()),
                "{key} in {verdict}"
            );
        }
        if let Some(position) = error.get("position") {
            assert!(position.as_u64().is_some_and(|p| p >= 1), "{verdict}");
        }
    }
}

#[test]
fn check_reports_one_verdict_a_record_and_never_echoes_an_ssn() {
    let (output, verdicts) = check_lines(&[minified(TANF), tanf_with_bad_ssn()]);
    assert_eq!(code(&output), 1, "{}", describe(&output));
    assert_eq!(verdicts.len(), 2, "{}", describe(&output));
    for verdict in &verdicts {
        assert_verdict_shape(verdict);
    }
    assert_eq!(
        verdicts[0],
        json!({ "record": 1, "status": "valid", "errors": [] })
    );
    assert_eq!(verdicts[1]["record"], 2);
    assert_eq!(verdicts[1]["status"], "invalid");
    let errors = verdicts[1]["errors"].as_array().unwrap();
    assert!(!errors.is_empty());
    for error in errors {
        let field = error["field"].as_str().unwrap();
        assert!(
            field == "case" || field.starts_with("participants[1]"),
            "the field is the record or the JSON path: {error}"
        );
    }
    let everything = stdout(&output) + &stderr(&output);
    for digits in [BAD_SSN, "666456789", "45-6789"] {
        assert!(
            !everything.contains(digits),
            "the SSN is echoed:\n{everything}"
        );
    }
    assert!(
        everything.contains("SSN_AREA"),
        "the rule is named:\n{everything}"
    );
}

/// The `check` contract: `field` names the offending field and `code` is its stable code.
#[test]
fn check_names_a_bad_ssn_by_json_path_and_code() {
    let (output, verdicts) = check_lines(&[tanf_with_bad_ssn()]);
    assert_eq!(code(&output), 1, "{}", describe(&output));
    let errors = verdicts[0]["errors"].as_array().unwrap();
    assert!(
        errors
            .iter()
            .any(|e| e["field"] == "participants[1].person.ssn" && e["code"] == "SSN_AREA"),
        "{}",
        describe(&output)
    );
}

#[test]
fn check_reports_a_broken_model_rule_by_json_path_without_a_position() {
    let mut no_child: Value = serde_json::from_str(TANF).unwrap();
    no_child["participants"]
        .as_array_mut()
        .unwrap()
        .retain(|p| p["role"] != "child");
    let (output, verdicts) = check_lines(&[no_child.to_string(), "{not json".to_string()]);
    assert_eq!(code(&output), 1, "{}", describe(&output));
    assert_eq!(verdicts.len(), 2, "{}", describe(&output));
    for verdict in &verdicts {
        assert_verdict_shape(verdict);
        assert_eq!(verdict["status"], "invalid");
    }
    let rule = verdicts[0]["errors"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["code"] == "CASE_NO_CHILD")
        .unwrap_or_else(|| panic!("no CASE_NO_CHILD: {}", verdicts[0]));
    assert_eq!(rule["field"], "participants");
    assert!(rule.get("position").is_none(), "{rule}");
    assert_eq!(verdicts[1]["errors"][0]["field"], "case");
}

#[test]
fn check_of_valid_cases_exits_zero() {
    let (output, verdicts) = check_lines(&[minified(TANF), minified(PROTECTED), minified(TRIBAL)]);
    assert_eq!(code(&output), 0, "{}", describe(&output));
    assert_eq!(verdicts.len(), 3);
    for (n, verdict) in verdicts.iter().enumerate() {
        assert_verdict_shape(verdict);
        assert_eq!(
            verdict,
            &json!({ "record": n + 1, "status": "valid", "errors": [] })
        );
    }

    // Without --json: one line a record and a summary.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("cases.jsonl");
    std::fs::write(&file, minified(TANF) + "\n").unwrap();
    let plain = bare(&["check", "case-json", file.to_str().unwrap()]);
    assert_eq!(code(&plain), 0, "{}", describe(&plain));
    assert!(stdout(&plain).contains("1 valid"), "{}", describe(&plain));
}

#[test]
fn check_of_a_missing_file_or_an_unknown_format_exits_two() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("no-such-file.jsonl");
    let output = bare(&["check", "case-json", missing.to_str().unwrap(), "--json"]);
    assert_eq!(code(&output), 2, "{}", describe(&output));
    assert_eq!(stdout(&output), "", "no verdicts for an unreadable file");

    let file = dir.path().join("cases.jsonl");
    std::fs::write(&file, minified(TANF) + "\n").unwrap();
    let output = bare(&["check", "csenet-9999", file.to_str().unwrap(), "--json"]);
    assert_eq!(code(&output), 2, "{}", describe(&output));
    assert!(
        stderr(&output).contains("case-json"),
        "lists the known formats: {}",
        describe(&output)
    );
}

// ---------------------------------------------------------------------------------------
// serve
// ---------------------------------------------------------------------------------------

/// Kills the child if the test fails before it has exited.
struct Running(Option<Child>);

impl Drop for Running {
    fn drop(&mut self) {
        if let Some(child) = self.0.as_mut()
            && matches!(child.try_wait(), Ok(None))
        {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

async fn serve_answers_health_checks_and_stops_cleanly_on_sigterm(t: TestDb) {
    let config = Config::write(
        &t.url,
        &t.scratch_dir().join("tls"),
        "[server]\nlisten = \"127.0.0.1:0\"\npartner_listen = \"127.0.0.1:0\"\nshutdown_grace_secs = 5\n",
    );
    let log = std::fs::File::create(config.dir.path().join("serve.log")).unwrap();
    let child = config
        .command(&["serve"])
        .env("IVD_LOG__FILTER", "info")
        .stdin(Stdio::null())
        .stdout(log.try_clone().unwrap())
        .stderr(log)
        .spawn()
        .expect("serve starts");
    let pid = child.id();
    let mut running = Running(Some(child));
    let log_text =
        || std::fs::read_to_string(config.dir.path().join("serve.log")).unwrap_or_default();

    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap();
    // Listening on port 0, it says where in its log.
    let mut api = None;
    let started = wait_until(Duration::from_secs(60), || {
        api = api.or_else(|| support::started_api_address(&log_text()));
        let done = api.is_some();
        async move { done }
    })
    .await;
    assert!(
        started,
        "serve never said where it listens:\n{}",
        log_text()
    );
    let base = format!("http://{}", api.unwrap());
    let healthy = wait_until(Duration::from_secs(60), || async {
        match client.get(format!("{base}/healthz")).send().await {
            Ok(r) => r.status() == reqwest::StatusCode::OK,
            Err(_) => false,
        }
    })
    .await;
    assert!(healthy, "serve never answered /healthz:\n{}", log_text());

    let ready = client.get(format!("{base}/readyz")).send().await.unwrap();
    assert_eq!(ready.status(), reqwest::StatusCode::OK);
    assert_eq!(
        ready.json::<Value>().await.unwrap(),
        json!({ "status": "ready" })
    );
    let metrics = client.get(format!("{base}/metrics")).send().await.unwrap();
    assert_eq!(metrics.status(), reqwest::StatusCode::OK);
    assert!(
        metrics
            .text()
            .await
            .unwrap()
            .contains("ivd_http_requests_total")
    );
    // Every listener is bound before the gateway says it started.
    let partner = support::started_address(&log_text(), "partners").expect("the partner listener");
    let partner_bound = wait_until(Duration::from_secs(60), || async {
        tokio::net::TcpStream::connect(partner).await.is_ok()
    })
    .await;
    assert!(
        partner_bound,
        "the partner listener never bound:\n{}",
        log_text()
    );

    let signalled = Command::new("kill")
        .arg("-TERM")
        .arg(pid.to_string())
        .status()
        .expect("kill runs");
    assert!(signalled.success());

    let child = running.0.as_mut().unwrap();
    let mut status = None;
    let exited = wait_until(Duration::from_secs(30), || {
        let polled = child.try_wait().expect("try_wait");
        if polled.is_some() {
            status = polled;
        }
        async move { polled.is_some() }
    })
    .await;
    assert!(
        exited,
        "serve did not exit within 30 s of SIGTERM:\n{}",
        log_text()
    );
    let status = status.unwrap();
    assert_eq!(
        status.code(),
        Some(0),
        "exit status {status:?}:\n{}",
        log_text()
    );
    running.0 = None;

    t.cleanup().await;
}

/// The CSENet acceptance of the `check` contract: one malformed transaction among valid
/// ones is reported alone, with its field and position.
#[test]
fn check_csenet_reports_exactly_the_one_malformed_transaction() {
    let sample = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/adapters/csenet/samples/check-one-invalid.txt"
    );
    let output = bare(&["check", "csenet", sample, "--json"]);
    assert_eq!(code(&output), 1, "{}", describe(&output));
    let verdicts: Vec<Value> = stdout(&output)
        .lines()
        .map(|line| serde_json::from_str(line).expect("each line is JSON"))
        .collect();
    assert_eq!(verdicts.len(), 4, "{}", describe(&output));
    for verdict in &verdicts {
        assert_verdict_shape(verdict);
    }
    let invalid: Vec<&Value> = verdicts
        .iter()
        .filter(|v| v["status"] == "invalid")
        .collect();
    assert_eq!(invalid.len(), 1, "{}", describe(&output));
    assert_eq!(invalid[0]["record"], 3);
    let error = &invalid[0]["errors"][0];
    assert_eq!(error["field"], "PARTICIPANT[2].SSN");
    assert_eq!(error["position"], 1059);
    assert_eq!(error["code"], "NOT_NUMERIC");

    for valid in [
        "incoming-batch.txt",
        "outgoing-batch.txt",
        "enf-request-outbound.txt",
    ] {
        let path = format!(
            "{}/adapters/csenet/samples/{valid}",
            env!("CARGO_MANIFEST_DIR")
        );
        let output = bare(&["check", "csenet", &path]);
        assert_eq!(code(&output), 0, "{valid}: {}", describe(&output));
    }
    let errors = format!(
        "{}/adapters/csenet/samples/server-errors.txt",
        env!("CARGO_MANIFEST_DIR")
    );
    assert_eq!(code(&bare(&["check", "csenet-errors", &errors])), 0);
}

// ---------------------------------------------------------------------------------------
// convert
// ---------------------------------------------------------------------------------------

fn csenet_sample(name: &str) -> String {
    format!(
        "{}/adapters/csenet/samples/{name}",
        env!("CARGO_MANIFEST_DIR")
    )
}

fn json_lines(output: &Output) -> Vec<Value> {
    stdout(output)
        .lines()
        .map(|line| serde_json::from_str(line).expect("each line is JSON"))
        .collect()
}

/// The CSENet incoming batch becomes one JSON line per transaction, in order, each with
/// the transaction in its JSON form; converted back, the file comes out byte for byte.
#[test]
fn convert_csenet_to_json_and_back_reproduces_the_file_byte_for_byte() {
    let sample = csenet_sample("incoming-batch.txt");
    let original = std::fs::read(&sample).expect("sample");
    let output = bare(&["convert", "csenet", &sample]);
    assert_eq!(code(&output), 0, "{}", describe(&output));
    let lines = json_lines(&output);
    let functions: Vec<&str> = lines
        .iter()
        .map(|l| {
            l["transaction"]["header"]["function"]
                .as_str()
                .expect("a code")
        })
        .collect();
    assert_eq!(
        functions,
        ["PAT", "EST", "CSI", "COL"],
        "{}",
        describe(&output)
    );
    for (n, line) in lines.iter().enumerate() {
        assert_eq!(line["record"], n + 1);
        assert_eq!(line["transaction"]["header"]["tail"]["kind"], "inbound");
        // Either the canonical view or why it could not be built, never neither.
        assert!(
            line["case"].is_object() != line["errors"].is_array(),
            "record {}: {line}",
            n + 1
        );
        for error in line["errors"].as_array().into_iter().flatten() {
            assert!(
                error["field"].is_string() && error["code"].is_string(),
                "{error}"
            );
        }
    }

    let dir = tempfile::tempdir().expect("temp dir");
    let json = dir.path().join("incoming.jsonl");
    std::fs::write(&json, &output.stdout).expect("written");
    let back = bare(&["convert", "csenet", "--from-json", json.to_str().unwrap()]);
    assert_eq!(code(&back), 0, "{}", describe(&back));
    assert!(
        back.stdout == original,
        "not byte for byte: {}",
        describe(&back)
    );

    // Bare transactions convert too, and --outbound rewrites every header as outbound.
    let bare_lines: String = lines
        .iter()
        .map(|l| format!("{}\n", l["transaction"]))
        .collect();
    std::fs::write(&json, bare_lines).expect("written");
    let outbound = bare(&[
        "convert",
        "csenet",
        "--from-json",
        "--outbound",
        json.to_str().unwrap(),
    ]);
    assert_eq!(code(&outbound), 0, "{}", describe(&outbound));
    let records: Vec<&[u8]> = outbound.stdout.split(|b| *b == b'\n').collect();
    let originals: Vec<&[u8]> = original.split(|b| *b == b'\n').collect();
    assert_eq!(records.len(), originals.len());
    for (written, original) in records.iter().zip(&originals) {
        if !original.is_empty() {
            // The 127-byte outbound header instead of the 121-byte inbound one.
            assert_eq!(written.len(), original.len() + 6);
        }
    }
}

/// A malformed record is one errors line (check's shape, no value quoted) and exit 1;
/// the other records still convert; a JSON line that cannot be written is reported on
/// stderr, never echoing a value.
#[test]
fn convert_csenet_reports_the_malformed_record_and_converts_the_others() {
    let output = bare(&["convert", "csenet", &csenet_sample("check-one-invalid.txt")]);
    assert_eq!(code(&output), 1, "{}", describe(&output));
    let lines = json_lines(&output);
    assert_eq!(lines.len(), 4, "{}", describe(&output));
    for (n, line) in lines.iter().enumerate() {
        assert_eq!(line["record"], n + 1);
        if n + 1 == 3 {
            assert!(line.get("transaction").is_none(), "{line}");
            let error = &line["errors"][0];
            assert_eq!(error["field"], "PARTICIPANT[2].SSN");
            assert_eq!(error["position"], 1059);
            assert_eq!(error["code"], "NOT_NUMERIC");
            assert!(error["message"].is_string());
        } else {
            assert!(line["transaction"]["header"].is_object(), "{line}");
        }
    }

    // Back: the three good lines are written, the errors line is reported.
    let dir = tempfile::tempdir().expect("temp dir");
    let json = dir.path().join("mixed.jsonl");
    let mut text = stdout(&output);
    // A line whose SSN is not digits: refused at writing, by field and position only.
    let mut bad = lines[0].clone();
    bad["transaction"]["participants"][0]["ssn"] = json!("12345678X");
    text.push_str(&format!("{bad}\n"));
    std::fs::write(&json, text).expect("written");
    let back = bare(&["convert", "csenet", "--from-json", json.to_str().unwrap()]);
    assert_eq!(code(&back), 1, "{}", describe(&back));
    assert_eq!(stdout(&back).lines().count(), 3, "{}", describe(&back));
    let err = stderr(&back);
    assert!(err.contains("record 3"), "{err}");
    assert!(err.contains("record 5") && err.contains("SSN"), "{err}");
    assert!(
        !err.contains("12345678X") && !err.contains("TESTPERSON"),
        "{err}"
    );
}

#[test]
fn convert_of_a_missing_file_or_an_unknown_format_exits_two() {
    let missing = bare(&["convert", "csenet", "/nonexistent/batch.txt"]);
    assert_eq!(code(&missing), 2, "{}", describe(&missing));
    let missing = bare(&[
        "convert",
        "csenet",
        "--from-json",
        "/nonexistent/batch.jsonl",
    ]);
    assert_eq!(code(&missing), 2, "{}", describe(&missing));
    let unknown = bare(&["convert", "nacha", &csenet_sample("incoming-batch.txt")]);
    assert_eq!(code(&unknown), 2, "{}", describe(&unknown));
    assert!(
        stderr(&unknown).contains("csenet"),
        "{}",
        describe(&unknown)
    );

    let help = bare(&["convert", "--help"]);
    assert_eq!(code(&help), 0, "{}", describe(&help));
    for word in ["--from-json", "--outbound", "--inbound", "Exit status"] {
        assert!(stdout(&help).contains(word), "{word}: {}", describe(&help));
    }
}

// ---------------------------------------------------------------------------------------
// Data keys
// ---------------------------------------------------------------------------------------

#[test]
fn keys_rotate_creates_a_sealing_key_reseals_and_is_audited() {
    let config = Config::fresh_sqlite();
    let migrated = config.run(&["migrate"]);
    assert_eq!(code(&migrated), 0, "{}", describe(&migrated));
    let listed = config.run(&["keys", "list", "--json"]);
    assert_eq!(code(&listed), 0, "{}", describe(&listed));
    let before: serde_json::Value = serde_json::from_str(stdout(&listed).trim()).unwrap();
    assert_eq!(before["sealing"], "k0001", "{before}");

    let rotated = config.run(&["keys", "rotate"]);
    assert_eq!(code(&rotated), 0, "{}", describe(&rotated));
    let text = stdout(&rotated);
    assert!(text.contains("Sealing key: k0002"), "{text}");
    assert!(text.contains("cases.snapshot: 0 re-sealed"), "{text}");
    let key_file = config.dir.path().join("data/keys/data/k0002.key");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&key_file).unwrap().permissions().mode();
        assert_eq!(mode & 0o077, 0, "owner-only key file");
    }
    assert!(
        config.dir.path().join("data/keys/data/k0001.key").exists(),
        "old keys are kept"
    );

    let listed = config.run(&["keys", "list", "--json"]);
    let after: serde_json::Value = serde_json::from_str(stdout(&listed).trim()).unwrap();
    assert_eq!(after["sealing"], "k0002", "{after}");
    assert_eq!(after["keys"], serde_json::json!(["k0001", "k0002"]));

    // An id that would not seal is refused.
    let refused = config.run(&["keys", "rotate", "--new-key-id", "k0000"]);
    assert_ne!(code(&refused), 0, "{}", describe(&refused));
    assert!(stderr(&refused).contains("k0000"), "{}", describe(&refused));

    let verified = config.run(&["audit", "verify"]);
    assert_eq!(code(&verified), 0, "{}", describe(&verified));
}
