//! The state system's bulk case push (`POST /state/v1/cases/bulk`) end to end, on both
//! backends: a first load with a bad line in the middle, lines with transactions, the
//! bounds of a push, who may push, and the request quotas by role.

mod support;

use std::time::Duration;

use ivd_gateway::store::now_ms;
use ivd_gateway::store::tokens::{self, Role};
use reqwest::StatusCode;
use serde_json::{Value, json};
use support::app::TestApp;
use support::{Behaviour, MockPartner, TestDb, gateway_settings, http_partner, wait_until};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

on_both_backends!(
    a_state_system_loads_its_caseload_and_a_bad_line_is_named_without_stopping_the_others,
    a_line_with_a_transaction_enqueues_its_message_and_a_refused_one_stores_nothing,
    a_push_past_its_bounds_gets_verdicts_up_to_where_it_stopped,
    only_the_state_system_may_push_and_a_refused_push_is_not_read,
    the_state_system_is_not_held_back_by_the_token_quota_but_an_employer_is,
);

const TANF: &str = include_str!("../schemas/samples/case-tanf.json");
const WAIT: Duration = Duration::from_secs(30);

fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(60))
        .build()
        .expect("http client")
}

/// An employer's token (for Acme Tools' FEIN).
async fn employer_token(t: &TestDb) -> String {
    let fein = ivd_model::Fein::parse("411234567").unwrap();
    tokens::issue_scoped(&t.db, "acme-payroll", Role::Employer, &[fein], now_ms())
        .await
        .expect("token issued")
}

/// Case `n` as the gateway stores it: the canonical form of what was sent.
fn canonical(n: u32) -> Value {
    let sent = case_numbered(n).to_string();
    let case = ivd_casejson::read_case(sent.as_bytes()).expect("a valid case");
    serde_json::to_value(case).unwrap()
}

/// The sample case under another id (synthetic, as every case here).
fn case_numbered(n: u32) -> Value {
    let mut case: Value = serde_json::from_str(TANF).unwrap();
    case["id"] = json!(case_id(n));
    case
}

fn case_id(n: u32) -> String {
    format!("MN-{:07}", 2_000_000 + n)
}

/// One NDJSON line.
fn line(value: Value) -> String {
    format!("{value}\n")
}

/// Pushes `body` as NDJSON; the answer's status and its lines (verdicts, then the
/// summary), and the raw text.
async fn push(gateway: &TestApp, bearer: &str, body: String) -> (StatusCode, Vec<Value>, String) {
    let response = http()
        .post(gateway.url("/state/v1/cases/bulk"))
        .bearer_auth(bearer)
        .header("content-type", "application/x-ndjson")
        .body(body)
        .send()
        .await
        .expect("POST bulk");
    let status = response.status();
    if status == StatusCode::OK {
        assert_eq!(
            response.headers()["content-type"],
            "application/x-ndjson",
            "the verdicts are NDJSON"
        );
    }
    let text = response.text().await.expect("the answer");
    let lines = if status == StatusCode::OK {
        text.lines()
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
            .collect()
    } else {
        Vec::new()
    };
    (status, lines, text)
}

/// The summary (the last line) and the verdicts before it.
fn split(mut lines: Vec<Value>) -> (Vec<Value>, Value) {
    let summary = lines.pop().expect("a summary line");
    assert!(
        summary["summary"].is_object(),
        "the last line is the summary: {summary}"
    );
    (lines, summary["summary"].clone())
}

/// The participants of case `id` indexed for new-hire matching (those with an SSN).
async fn indexed_people(t: &TestDb, id: &str) -> i64 {
    ivd_gateway::on_read!(&t.db, c => {
        sqlx::query_scalar("SELECT COUNT(*) FROM case_people WHERE case_id = $1")
            .bind(id)
            .fetch_one(c)
            .await
            .unwrap()
    })
}

async fn stored_case(gateway: &TestApp, bearer: &str, id: &str) -> Option<Value> {
    let response = http()
        .get(gateway.url(&format!("/state/v1/cases/{id}")))
        .bearer_auth(bearer)
        .send()
        .await
        .expect("GET case");
    if response.status() == StatusCode::NOT_FOUND {
        return None;
    }
    assert_eq!(response.status(), StatusCode::OK);
    Some(response.json().await.expect("JSON"))
}

async fn a_state_system_loads_its_caseload_and_a_bad_line_is_named_without_stopping_the_others(
    t: TestDb,
) {
    let gateway = TestApp::spawn(&t, Vec::new()).await;
    let state = gateway.token("case-system", Role::StateSystem).await;

    // 1,200 cases (more than one batch); line 600 carries an SSN no one can have.
    const CASES: u32 = 1_200;
    const BAD: u32 = 600;
    let mut body = String::new();
    for n in 1..=CASES {
        let mut case = case_numbered(n);
        if n == BAD {
            case["participants"][0]["person"]["ssn"] = json!("666-45-6789");
        }
        body.push_str(&line(json!({ "case": case })));
    }
    let (status, lines, text) = push(&gateway, &state, body.clone()).await;
    assert_eq!(status, StatusCode::OK);
    let (verdicts, summary) = split(lines);

    assert_eq!(verdicts.len(), CASES as usize, "one verdict a line");
    for (verdict, n) in verdicts.iter().zip(1..) {
        assert_eq!(
            verdict["line"], n,
            "verdicts come in the order of the lines"
        );
        assert_eq!(verdict["caseId"], case_id(n));
        if n != BAD {
            assert_eq!(verdict["outcome"], "accepted", "{verdict}");
            assert_eq!(verdict["version"], 1);
        }
    }
    let bad = &verdicts[BAD as usize - 1];
    assert_eq!(bad["outcome"], "rejected");
    let errors = bad["errors"].as_array().expect("the problems");
    assert!(
        errors
            .iter()
            .any(|e| e["field"] == "case.participants[0].person.ssn"
                && e["code"] == "SSN_AREA"
                && e["message"].is_string()),
        "the bad line names its field and code: {bad}"
    );
    assert!(!text.contains("6789"), "no SSN in the verdicts");
    assert!(!text.contains("SAMPLE"), "no name in the verdicts");
    assert_eq!(
        summary,
        json!({ "lines": CASES, "accepted": CASES - 1, "unchanged": 0, "rejected": 1, "complete": true })
    );

    // What was accepted is there, as the state system sent it; the bad line is not.
    for n in [1, BAD - 1, BAD + 1, CASES] {
        let stored = stored_case(&gateway, &state, &case_id(n))
            .await
            .expect("an accepted case is stored");
        assert_eq!(stored["version"], 1);
        assert_eq!(stored["case"], canonical(n));
    }
    assert!(stored_case(&gateway, &state, &case_id(BAD)).await.is_none());
    // Their parents are indexed for new-hire matching, as a PUT indexes them: the two
    // participants with an SSN.
    assert_eq!(indexed_people(&t, &case_id(1)).await, 2);
    assert_eq!(indexed_people(&t, &case_id(BAD)).await, 0);

    // The nightly sync sends everything again: nothing changed, nothing is stored twice.
    let (_, lines, _) = push(&gateway, &state, body).await;
    let (verdicts, summary) = split(lines);
    assert!(
        verdicts
            .iter()
            .filter(|v| v["line"] != BAD)
            .all(|v| v["outcome"] == "unchanged" && v["version"] == 1),
        "a case pushed again unchanged keeps its version"
    );
    assert_eq!(summary["unchanged"], CASES - 1);

    // A changed case (another county, the father's SSN corrected) gets its next version,
    // as a PUT would give it, and its index is replaced.
    let mut changed = case_numbered(7);
    changed["county"] = json!("2700100");
    changed["participants"][1]["person"]["ssn"] = json!("345678912");
    let (_, lines, _) = push(&gateway, &state, line(json!({ "case": changed }))).await;
    let (verdicts, _) = split(lines);
    assert_eq!(verdicts[0]["outcome"], "accepted");
    assert_eq!(verdicts[0]["version"], 2);
    assert_eq!(
        indexed_people(&t, &case_id(7)).await,
        2,
        "the old SSN is no longer indexed"
    );

    gateway.stop().await;
    t.cleanup().await;
}

async fn a_line_with_a_transaction_enqueues_its_message_and_a_refused_one_stores_nothing(
    t: TestDb,
) {
    let partner = MockPartner::start(Behaviour::default()).await;
    let gateway = TestApp::spawn_with(gateway_settings(
        &t,
        vec![http_partner("state-19", &partner.endpoint(), 5)],
    ))
    .await;
    let state = gateway.token("case-system", Role::StateSystem).await;

    let to_partner = json!({ "partner": "state-19", "format": "case-json" });
    let body = [
        line(json!({ "case": case_numbered(1) })),
        line(json!({ "case": case_numbered(2), "transaction": to_partner })),
        line(json!({ "case": case_numbered(3), "transaction": { "partner": "state-99", "format": "case-json" } })),
        "\n".to_string(),
        line(json!({ "case": case_numbered(4), "transaction": to_partner })),
    ]
    .concat();
    let (status, lines, _) = push(&gateway, &state, body).await;
    assert_eq!(status, StatusCode::OK);
    let (verdicts, summary) = split(lines);
    assert_eq!(
        verdicts
            .iter()
            .map(|v| v["line"].clone())
            .collect::<Vec<_>>(),
        vec![json!(1), json!(2), json!(3), json!(5)],
        "a blank line keeps its number and gets no verdict"
    );
    assert!(verdicts[0]["transaction"].is_null());
    for (verdict, n) in [(&verdicts[1], 2), (&verdicts[3], 4)] {
        assert_eq!(verdict["outcome"], "accepted");
        let queued = &verdict["transaction"];
        assert_eq!(queued["idempotencyKey"], format!("case-{}-v1", case_id(n)));
        assert_eq!(queued["duplicate"], false);
        assert!(queued["messageId"].is_i64(), "{verdict}");
    }
    let refused = &verdicts[2];
    assert_eq!(refused["outcome"], "rejected");
    assert_eq!(
        refused["errors"],
        json!([{ "field": "transaction.partner", "code": "UNKNOWN_PARTNER", "message": "no such partner" }])
    );
    assert!(
        stored_case(&gateway, &state, &case_id(3)).await.is_none(),
        "a rejected line stores nothing, its case neither"
    );
    assert_eq!(summary["lines"], 5);

    // The partner gets each queued case once, as the state system's own transaction would
    // have sent it.
    assert!(
        wait_until(WAIT, || async { partner.applied_count() >= 2 }).await,
        "the partner never received the cases"
    );
    let mut applied = partner.log.lock().unwrap().applied.clone();
    applied.sort();
    assert_eq!(
        applied,
        vec![
            format!("case-{}-v1", case_id(2)),
            format!("case-{}-v1", case_id(4))
        ]
    );

    // Sent again, the line is unchanged and its transaction recognised.
    let again = line(json!({ "case": case_numbered(2), "transaction": to_partner }));
    let (_, lines, _) = push(&gateway, &state, again).await;
    let (verdicts, _) = split(lines);
    assert_eq!(verdicts[0]["outcome"], "unchanged");
    assert_eq!(verdicts[0]["transaction"]["duplicate"], true);
    assert_eq!(
        verdicts[0]["transaction"]["messageId"],
        verdicts_message_id(&gateway, &state, 2).await
    );

    gateway.stop().await;
    t.cleanup().await;
}

/// The message id the single route answers for case `n`'s case-json transaction (a
/// duplicate by then).
async fn verdicts_message_id(gateway: &TestApp, bearer: &str, n: u32) -> Value {
    let answer: Value = http()
        .post(gateway.url(&format!("/state/v1/cases/{}/transactions", case_id(n))))
        .bearer_auth(bearer)
        .json(&json!({ "partner": "state-19", "format": "case-json" }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(answer["duplicate"], true);
    answer["messageId"].clone()
}

async fn a_push_past_its_bounds_gets_verdicts_up_to_where_it_stopped(t: TestDb) {
    let mut padded = case_numbered(2);
    padded["participants"][0]["person"]["name"]["middle"] = json!("Q".repeat(200));
    let lines = [
        line(json!({ "case": case_numbered(1) })),
        line(json!({ "case": padded })),
        "this is not JSON\n".to_string(),
        line(json!({ "case": case_numbered(3) })),
        line(json!({ "case": case_numbered(4) })),
        line(json!({ "case": case_numbered(5) })),
        line(json!({ "case": case_numbered(6) })),
    ];
    let mut settings = gateway_settings(&t, Vec::new());
    settings.server.bulk_max_line_bytes = lines[0].len() + 100;
    // The bound falls in the middle of the sixth line.
    settings.server.bulk_max_bytes =
        (lines[..5].iter().map(String::len).sum::<usize>() + lines[5].len() / 2) as u64;
    let gateway = TestApp::spawn_with(settings).await;
    let state = gateway.token("case-system", Role::StateSystem).await;

    let body = lines.concat();
    let (status, lines, text) = push(&gateway, &state, body).await;
    assert_eq!(status, StatusCode::OK);
    let (verdicts, summary) = split(lines);
    let outcomes: Vec<(i64, &str)> = verdicts
        .iter()
        .map(|v| (v["line"].as_i64().unwrap(), v["outcome"].as_str().unwrap()))
        .collect();
    assert_eq!(
        outcomes,
        vec![
            (1, "accepted"),
            (2, "rejected"),
            (3, "rejected"),
            (4, "accepted"),
            (5, "accepted"),
        ],
        "{text}"
    );
    assert_eq!(verdicts[1]["errors"][0]["field"], "line");
    assert_eq!(verdicts[1]["errors"][0]["code"], "LINE_TOO_LONG");
    assert!(
        verdicts[1]["caseId"].is_null(),
        "a line too long is not read"
    );
    assert_eq!(verdicts[2]["errors"][0]["field"], "line");
    assert_eq!(verdicts[2]["errors"][0]["code"], "JSON");
    assert_eq!(summary["complete"], false);
    assert_eq!(summary["stoppedAfterLine"], 5);
    assert_eq!(summary["code"], "BODY_TOO_LARGE");
    assert!(
        stored_case(&gateway, &state, &case_id(4)).await.is_some(),
        "the lines before the bound are stored"
    );
    assert!(
        stored_case(&gateway, &state, &case_id(5)).await.is_none(),
        "the line the bound cut is not"
    );

    gateway.stop().await;
    t.cleanup().await;
}

/// Sends a push's head announcing a body of a gigabyte, and not a byte of it; returns
/// the status line the gateway answers with.
async fn head_only_push(gateway: &TestApp, authorization: &str, content_type: &str) -> String {
    let mut stream = tokio::net::TcpStream::connect(gateway.api_addr)
        .await
        .expect("connects");
    let head = format!(
        "POST /state/v1/cases/bulk HTTP/1.1\r\nHost: localhost\r\n{authorization}\
         Content-Type: {content_type}\r\nContent-Length: 1000000000\r\n\r\n"
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let mut answer = vec![0u8; 4096];
    let read = tokio::time::timeout(WAIT, stream.read(&mut answer))
        .await
        .expect("answered without the body")
        .unwrap();
    String::from_utf8_lossy(&answer[..read])
        .lines()
        .next()
        .unwrap_or_default()
        .to_string()
}

async fn only_the_state_system_may_push_and_a_refused_push_is_not_read(t: TestDb) {
    let gateway = TestApp::spawn(&t, Vec::new()).await;
    let state = gateway.token("case-system", Role::StateSystem).await;
    let employer = employer_token(&t).await;
    let ndjson = "application/x-ndjson";

    assert_eq!(
        head_only_push(&gateway, "", ndjson).await,
        "HTTP/1.1 401 Unauthorized"
    );
    assert_eq!(
        head_only_push(
            &gateway,
            "Authorization: Bearer ivd_not_a_token\r\n",
            ndjson
        )
        .await,
        "HTTP/1.1 401 Unauthorized"
    );
    assert_eq!(
        head_only_push(
            &gateway,
            &format!("Authorization: Bearer {employer}\r\n"),
            ndjson
        )
        .await,
        "HTTP/1.1 403 Forbidden"
    );
    assert_eq!(
        head_only_push(
            &gateway,
            &format!("Authorization: Bearer {state}\r\n"),
            "application/json"
        )
        .await,
        "HTTP/1.1 415 Unsupported Media Type",
        "a push is NDJSON"
    );
    assert!(stored_case(&gateway, &state, &case_id(1)).await.is_none());

    gateway.stop().await;
    t.cleanup().await;
}

async fn the_state_system_is_not_held_back_by_the_token_quota_but_an_employer_is(t: TestDb) {
    let mut settings = gateway_settings(&t, Vec::new());
    settings.server.token_requests_per_minute = 3;
    settings.server.state_requests_per_minute = 10;
    let gateway = TestApp::spawn_with(settings).await;
    let state = gateway.token("case-system", Role::StateSystem).await;
    let employer = employer_token(&t).await;
    let get = |bearer: &str, path: &str| {
        http()
            .get(gateway.url(path))
            .bearer_auth(bearer.to_string())
            .send()
    };

    for _ in 0..3 {
        let answer = get(&employer, "/employer/v1/new-hires/none").await.unwrap();
        assert_ne!(answer.status(), StatusCode::TOO_MANY_REQUESTS);
    }
    let refused = get(&employer, "/employer/v1/new-hires/none").await.unwrap();
    assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(refused.headers().contains_key("retry-after"));

    // The state system goes on past the employers' quota, up to its own.
    for _ in 0..10 {
        let answer = get(&state, "/state/v1/events").await.unwrap();
        assert_eq!(answer.status(), StatusCode::OK);
    }
    let refused = get(&state, "/state/v1/events").await.unwrap();
    assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(refused.headers().contains_key("retry-after"));

    gateway.stop().await;
    t.cleanup().await;
}

/// Sequential scans of `table` so far in the transaction `tx` runs (its own counters, not
/// yet flushed to the server's statistics: `pg_stat_xact_user_tables`).
async fn seq_scans_in(tx: &mut ivd_gateway::store::DbTx, table: &str) -> i64 {
    let ivd_gateway::store::DbTx::Postgres(tx, ..) = tx else {
        unreachable!("a PostgreSQL transaction")
    };
    let (scans,): (i64,) =
        sqlx::query_as("SELECT seq_scan FROM pg_stat_xact_user_tables WHERE relname = $1")
            .bind(table)
            .fetch_one(&mut **tx)
            .await
            .unwrap();
    scans
}

/// What a bulk line with a transaction does with the `cases` table: store the case (its
/// stored row read first, locked), then read it back to render the message.
async fn a_transaction_lines_case_reads(tx: &mut ivd_gateway::store::DbTx, n: u32, now: i64) {
    use ivd_gateway::store::cases;
    let id = case_id(n);
    let snapshot = canonical(n).to_string();
    cases::put_many(tx, &[(id.as_str(), snapshot.as_str())], now)
        .await
        .unwrap();
    // A run of nine lines without a transaction between two with one.
    let run: Vec<(String, String)> = (1..10)
        .map(|k| (case_id(n + k), canonical(n + k).to_string()))
        .collect();
    let run: Vec<(&str, &str)> = run.iter().map(|(i, s)| (i.as_str(), s.as_str())).collect();
    cases::put_many(tx, &run, now).await.unwrap();
    assert!(cases::get_in(tx, &id).await.unwrap().is_some());
}

/// The bulk push's lines with a transaction slowed down as the tables grew on PostgreSQL
/// (473 cases/s at 100,000, 2,851 sequential scans of `cases` sampled at 43,000): a
/// prepared statement's generic plan, chosen after its first executions while `cases` was
/// one page (its sealed snapshots are stored out of line, so a page holds dozens of
/// cases), read every case by a sequential scan for as long as the connection lived. The
/// reads by case id must use the key, whatever the table was when a connection first ran
/// them and whatever the statistics say.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reading_cases_by_id_uses_the_key_after_the_table_outgrew_its_statistics() {
    let Some(t) = TestDb::postgres().await else {
        return;
    };
    let now = now_ms();
    // One transaction, so one connection: the one whose prepared statements are looked at.
    let mut tx = t.db.begin().await.unwrap();
    {
        let ivd_gateway::store::DbTx::Postgres(c, ..) = &mut tx else {
            unreachable!()
        };
        sqlx::query("ALTER TABLE cases SET (autovacuum_enabled = false)")
            .execute(&mut **c)
            .await
            .unwrap();
    }
    // A first load's start: 60 cases, analyzed as autovacuum would analyze them (one page).
    let first: Vec<(String, String)> = (0..60)
        .map(|n| (case_id(900_000 + n), canonical(900_000 + n).to_string()))
        .collect();
    let first: Vec<(&str, &str)> = first
        .iter()
        .map(|(i, s)| (i.as_str(), s.as_str()))
        .collect();
    ivd_gateway::store::cases::put_many(&mut tx, &first, now)
        .await
        .unwrap();
    {
        let ivd_gateway::store::DbTx::Postgres(c, ..) = &mut tx else {
            unreachable!()
        };
        sqlx::query("ANALYZE cases")
            .execute(&mut **c)
            .await
            .unwrap();
    }
    // Lines with a transaction while the table is that small: more than the five runs
    // after which PostgreSQL may settle on a statement's generic plan.
    for line in 0..10 {
        a_transaction_lines_case_reads(&mut tx, 910_000 + line * 10, now).await;
    }
    // The load goes on: 5,000 cases, no ANALYZE.
    for chunk in 0..10_u32 {
        let more: Vec<(String, String)> = (0..500)
            .map(|k| {
                let n = 100_000 + chunk * 500 + k;
                (case_id(n), canonical(n).to_string())
            })
            .collect();
        let more: Vec<(&str, &str)> = more.iter().map(|(i, s)| (i.as_str(), s.as_str())).collect();
        ivd_gateway::store::cases::put_many(&mut tx, &more, now)
            .await
            .unwrap();
    }
    let before = seq_scans_in(&mut tx, "cases").await;
    for line in 0..10 {
        a_transaction_lines_case_reads(&mut tx, 920_000 + line * 10, now).await;
    }
    let scans = seq_scans_in(&mut tx, "cases").await - before;
    assert_eq!(
        scans, 0,
        "10 lines with a transaction read the 5,000 cases by {scans} sequential scans"
    );
    tx.commit().await.unwrap();
    t.cleanup().await;
}
