//! The reconciliation data jobs, each run once over a database planted with known
//! discrepancies beside clean data, on both backends: every job reports exactly what was
//! planted — nothing missed, nothing invented — and a dry run changes nothing.

mod support;

use std::collections::BTreeSet;
use std::sync::Arc;

use ivd_csenet::icr::{self, IcrRecord};
use ivd_fixed::Encoding;
use ivd_gateway::channels::employers::jobs::NewHires;
use ivd_gateway::channels::fidm::jobs::Fidm;
use ivd_gateway::channels::interstate::jobs::interstate_cases::{EXTRACT_CHANNEL, InterstateCases};
use ivd_gateway::channels::offset::jobs::Offset;
use ivd_gateway::channels::offset::{
    COLLECTIONS_CHANNEL, OffsetExchange, OffsetSettings, RECONCILIATION_CHANNEL, REJECTS_CHANNEL,
    ReturnIntake,
};
use ivd_gateway::config::{FileEncoding, InterstateSettings, PartnerKind, Settings};
use ivd_gateway::intake::{self, Inbound};
use ivd_gateway::outbox::{self, NewMessage};
use ivd_gateway::privacy::{DataKeys, LookupKey};
use ivd_gateway::reconcile::jobs::control_totals::ControlTotals;
use ivd_gateway::reconcile::report::{Findings, Job, JobContext};
use ivd_gateway::store::events::{self, NewEvent};
use ivd_gateway::store::{Db, cases, requests};
use serde_json::{Value, json};
use support::{TestDb, gateway_settings, http_partner, test_message};

on_both_backends!(
    new_hires_reports_records_never_forwarded_forwarded_twice_and_batches_unanswered_or_miscounted,
    fidm_reports_unanswered_and_undelivered_inquiries_stalled_files_and_matches_without_a_case,
    offset_runs_the_cycle_and_reports_rejects_federal_differences_and_collections_without_a_case,
    control_totals_reports_files_whose_trailers_or_recorded_counts_disagree,
    interstate_cases_reports_every_icr_and_csi_mismatch_and_asks_for_the_missing_status,
);

const DAY: i64 = 86_400_000;
const HOUR: i64 = 3_600_000;
/// "Now" of every run: 2026-09-15.
const NOW: i64 = 1_789_430_400_000;
const TANF: &str = include_str!("../schemas/samples/case-tanf.json");

fn lookup_key() -> LookupKey {
    LookupKey::from_hex(&"5a".repeat(32)).unwrap()
}

fn context(t: &TestDb, settings: Settings, now: i64, dry_run: bool) -> JobContext {
    JobContext {
        db: t.db.clone(),
        settings: Arc::new(settings),
        lookup_key: lookup_key(),
        data_keys: DataKeys::from_hex([("k0001", "3c".repeat(32).as_str())]).unwrap(),
        now,
        dry_run,
        dispatcher_wake: None,
    }
}

/// One bound value of a planted row.
enum A {
    I(i64),
    S(String),
    NullI,
    NullS,
}

fn s(v: &str) -> A {
    A::S(v.to_string())
}

/// Runs one statement with bound values, on either backend.
async fn exec(db: &Db, sql: &str, args: Vec<A>) {
    macro_rules! run {
        ($pool:expr) => {{
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql.to_string()));
            for a in args {
                q = match a {
                    A::I(v) => q.bind(v),
                    A::S(v) => q.bind(v),
                    A::NullI => q.bind(None::<i64>),
                    A::NullS => q.bind(None::<String>),
                };
            }
            q.execute($pool).await.expect(sql);
        }};
    }
    match db {
        Db::Sqlite { write, .. } => run!(write),
        Db::Postgres(pool, _) => run!(pool),
    }
}

async fn count(db: &Db, sql: &str) -> i64 {
    let (n,): (i64,) = match db {
        Db::Sqlite { read, .. } => sqlx::query_as(sqlx::AssertSqlSafe(sql.to_string()))
            .fetch_one(read)
            .await
            .unwrap(),
        Db::Postgres(pool, _) => sqlx::query_as(sqlx::AssertSqlSafe(sql.to_string()))
            .fetch_one(pool)
            .await
            .unwrap(),
    };
    n
}

/// Stores a file as a partner's upload or pick-up would; returns the receipt id.
async fn receive(db: &Db, partner: &str, channel: &str, body: &[u8], at: i64) -> String {
    intake::receive(
        db,
        &Inbound {
            partner,
            channel,
            message_id: None,
            content_type: "application/octet-stream",
            body,
        },
        at,
    )
    .await
    .unwrap()
    .receipt_id()
    .to_string()
}

/// Enqueues a file we send; returns the message id.
async fn send(db: &Db, partner: &str, kind: &str, name: &str, payload: Vec<u8>, at: i64) -> i64 {
    let mut message: NewMessage = test_message(partner, name, 1, 5, at);
    message.kind = kind.to_string();
    message.file_name = name.to_string();
    message.payload = payload;
    let mut tx = db.begin().await.unwrap();
    let id = outbox::enqueue(&mut tx, &message, at).await.unwrap().id();
    tx.commit().await.unwrap();
    id
}

/// The findings as comparable rows: (code, reference, case, person, taken).
type Row = (String, String, String, String, bool);

fn rows(findings: &Findings) -> BTreeSet<Row> {
    let rows: Vec<Row> = findings
        .discrepancies
        .iter()
        .map(|d| {
            (
                d.code.clone(),
                d.reference.clone().unwrap_or_default(),
                d.case_id.clone().unwrap_or_default(),
                d.person.clone().unwrap_or_default(),
                d.action_taken,
            )
        })
        .collect();
    let set: BTreeSet<Row> = rows.iter().cloned().collect();
    assert_eq!(
        set.len(),
        rows.len(),
        "a discrepancy is reported twice: {rows:#?}"
    );
    set
}

fn row(code: &str, reference: &str, case: &str, person: &str) -> Row {
    (
        code.into(),
        reference.into(),
        case.into(),
        person.into(),
        false,
    )
}

/// No discrepancy carries an SSN in clear or a name of the planted people.
fn assert_no_personal_data(findings: &Findings, ssns: &[&str]) {
    let text = serde_json::to_string(findings).unwrap();
    for ssn in ssns {
        assert!(!text.contains(ssn), "an SSN in clear: {text}");
    }
    for name in ["SAMPLE", "JANE", "JOHN", "LANTERN", "HARBOUR"] {
        assert!(!text.contains(name), "a name: {text}");
    }
}

// ---------------------------------------------------------------------------------------
// new-hires

async fn new_hires_reports_records_never_forwarded_forwarded_twice_and_batches_unanswered_or_miscounted(
    t: TestDb,
) {
    let db = &t.db;
    // Two uploads: one three days old, one an hour old.
    let old = receive(db, "employer-1", "newhire", b"old upload", NOW - 3 * DAY).await;
    let new = receive(db, "employer-1", "newhire", b"new upload", NOW - HOUR).await;
    for (receipt, at) in [(&old, NOW - 3 * DAY), (&new, NOW - HOUR)] {
        exec(
            db,
            "INSERT INTO new_hire_receipts (receipt_id, submitter, scope, format, state, received_at) \
             VALUES ($1, 'employer-1', '[]', 'w4', 'complete', $2)",
            vec![s(receipt), A::I(at)],
        )
        .await;
    }
    let record = |receipt: &str, no: i64, status: &str, hash: &str, batch: Option<i64>| {
        vec![
            s(receipt),
            A::I(no),
            s(status),
            s("411234567"),
            s(hash),
            s("2026-09-01"),
            batch.map(A::I).unwrap_or(A::NullI),
        ]
    };
    let insert = "INSERT INTO new_hire_records (receipt_id, record_no, status, fein, ssn_hash, hire_date, ndnh_batch) \
                  VALUES ($1, $2, $3, $4, $5, $6, $7)";
    // Accepted three days ago and still in no batch: planted.
    exec(db, insert, record(&old, 1, "accepted", "h1", None)).await;
    // Forwarded in batch 1 (clean); an invalid record is never forwarded (clean).
    exec(db, insert, record(&old, 2, "accepted", "h2", Some(1))).await;
    exec(db, insert, record(&old, 3, "invalid", "h3", None)).await;
    exec(db, insert, record(&old, 4, "accepted", "h4", Some(2))).await;
    exec(db, insert, record(&old, 5, "accepted", "h5", Some(4))).await;
    // An hour old, not yet forwarded: within the 48 hours (clean).
    exec(db, insert, record(&new, 1, "accepted", "h6", None)).await;
    // The same person, employer and hire date as old/2, forwarded again in batch 3: planted.
    exec(db, insert, record(&new, 2, "accepted", "h2", Some(3))).await;
    let batch = "INSERT INTO ndnh_batches (batch_number, record_count, created_at, returned_at, return_receipt, received) \
                 VALUES ($1, $2, $3, $4, $5, $6)";
    // Batch 1: returned, counts agree (clean).
    exec(
        db,
        batch,
        vec![
            A::I(1),
            A::I(1),
            A::I(NOW - 10 * DAY),
            A::I(NOW - 9 * DAY),
            s("ret-1"),
            A::I(1),
        ],
    )
    .await;
    // Batch 2: recorded with 2 records, holds 1 (planted); a day old, no return yet (clean).
    exec(
        db,
        batch,
        vec![
            A::I(2),
            A::I(2),
            A::I(NOW - DAY),
            A::NullI,
            A::NullS,
            A::NullI,
        ],
    )
    .await;
    // Batch 3: six days without a return (planted).
    exec(
        db,
        batch,
        vec![
            A::I(3),
            A::I(1),
            A::I(NOW - 6 * DAY),
            A::NullI,
            A::NullS,
            A::NullI,
        ],
    )
    .await;
    // Batch 4: NDNH says it received none of its one record (planted).
    exec(
        db,
        batch,
        vec![
            A::I(4),
            A::I(1),
            A::I(NOW - 8 * DAY),
            A::I(NOW - 7 * DAY),
            s("ret-4"),
            A::I(0),
        ],
    )
    .await;

    let settings = gateway_settings(&t, Vec::new());
    let findings = NewHires
        .run(&context(&t, settings, NOW, true))
        .await
        .unwrap();
    let expected: BTreeSet<Row> = [
        row("NEWHIRE_NOT_FORWARDED", &format!("{old}/1"), "", ""),
        row("NEWHIRE_FORWARDED_TWICE", &format!("{new}/2"), "", ""),
        row("NDNH_BATCH_COUNT", "ndnh-batch-2", "", ""),
        row("NDNH_RETURN_OVERDUE", "ndnh-batch-3", "", ""),
        row("NDNH_RETURN_COUNT", "ndnh-batch-4", "", ""),
    ]
    .into();
    assert_eq!(rows(&findings), expected, "{findings:#?}");
    assert_eq!(findings.counts["acceptedRecords"], 6);
    assert_eq!(findings.counts["batches"], 4);
    assert_eq!(NewHires.name(), "new-hires");
    t.cleanup().await;
}

// ---------------------------------------------------------------------------------------
// fidm

async fn fidm_reports_unanswered_and_undelivered_inquiries_stalled_files_and_matches_without_a_case(
    t: TestDb,
) {
    let db = &t.db;
    let dead = send(
        db,
        "bank-1",
        "fidm-inquiry",
        "FIDM.INQ.5",
        b"x".to_vec(),
        NOW - DAY,
    )
    .await;
    exec(
        db,
        "UPDATE outbox_messages SET state = 'dead' WHERE id = $1",
        vec![A::I(dead)],
    )
    .await;
    let run = "INSERT INTO fidm_inquiries (run_number, partner, year_month, inquiry_count, message_id, created_at, answers) \
               VALUES ($1, 'bank-1', $2, 10, $3, $4, $5)";
    // Sixty days, no match file: planted.
    exec(
        db,
        run,
        vec![
            A::I(1),
            s("202607"),
            A::NullI,
            A::I(NOW - 60 * DAY),
            A::I(0),
        ],
    )
    .await;
    // Answered (clean); ten days old, not yet answered (clean).
    exec(
        db,
        run,
        vec![
            A::I(2),
            s("202606"),
            A::NullI,
            A::I(NOW - 60 * DAY),
            A::I(1),
        ],
    )
    .await;
    exec(
        db,
        run,
        vec![
            A::I(3),
            s("202608"),
            A::NullI,
            A::I(NOW - 10 * DAY),
            A::I(0),
        ],
    )
    .await;
    // Dead-lettered: planted.
    exec(
        db,
        run,
        vec![A::I(5), s("202609"), A::I(dead), A::I(NOW - DAY), A::I(0)],
    )
    .await;
    // An unanswered run superseded by a later, answered run of the same month (clean).
    exec(
        db,
        run,
        vec![
            A::I(6),
            s("202605"),
            A::NullI,
            A::I(NOW - 90 * DAY),
            A::I(0),
        ],
    )
    .await;
    exec(
        db,
        run,
        vec![
            A::I(7),
            s("202605"),
            A::NullI,
            A::I(NOW - 89 * DAY),
            A::I(1),
        ],
    )
    .await;

    let stalled = receive(db, "bank-1", "fidm-accounts", b"a", NOW - 2 * DAY).await;
    let fresh = receive(db, "bank-1", "fidm-accounts", b"b", NOW - HOUR).await;
    let done = receive(db, "bank-1", "fidm-accounts", b"c", NOW - 5 * DAY).await;
    for (receipt, state, at) in [
        (&stalled, "processing", NOW - 2 * DAY),
        (&fresh, "processing", NOW - HOUR),
        (&done, "complete", NOW - 5 * DAY),
    ] {
        exec(
            db,
            "INSERT INTO fidm_account_files (receipt_id, partner, path, state, received_at) VALUES ($1, 'bank-1', 'x', $2, $3)",
            vec![s(receipt), s(state), A::I(at)],
        )
        .await;
    }

    let mut tx = db.begin().await.unwrap();
    cases::put(&mut tx, "MN-0001234", TANF, NOW - 30 * DAY)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let matches = receive(db, "bank-1", "fidm-matches", b"m", NOW - 3 * DAY).await;
    let m = "INSERT INTO fidm_matches (institution_tin, account_hash, ssn_hash, year_month, case_id, source, receipt_id, record_no, created_at) \
             VALUES ('411234567', $1, 'h', '202608', $2, 'match-file', $3, $4, $5)";
    exec(
        db,
        m,
        vec![
            s("a1"),
            s("MN-0001234"),
            s(&matches),
            A::I(2),
            A::I(NOW - 3 * DAY),
        ],
    )
    .await;
    exec(
        db,
        m,
        vec![
            s("a2"),
            s("MN-0000404"),
            s(&matches),
            A::I(3),
            A::I(NOW - 3 * DAY),
        ],
    )
    .await;

    let settings = gateway_settings(&t, Vec::new());
    let findings = Fidm.run(&context(&t, settings, NOW, false)).await.unwrap();
    let expected: BTreeSet<Row> = [
        row("FIDM_INQUIRY_UNANSWERED", "fidm-inquiry-1", "", ""),
        row("FIDM_INQUIRY_UNDELIVERED", "fidm-inquiry-5", "", ""),
        row("FIDM_ACCOUNTS_STALLED", &stalled, "", ""),
        row(
            "FIDM_MATCH_UNKNOWN_CASE",
            &format!("{matches}/3"),
            "MN-0000404",
            "",
        ),
    ]
    .into();
    assert_eq!(rows(&findings), expected, "{findings:#?}");
    assert_eq!(findings.counts["levyCandidates"], 2);
    t.cleanup().await;
}

// ---------------------------------------------------------------------------------------
// offset

fn offset_settings(t: &TestDb) -> Settings {
    let mut ocse = http_partner("ocse-offset", "http://127.0.0.1:9/unused", 5);
    ocse.kind = PartnerKind::Federal;
    let mut settings = gateway_settings(t, vec![ocse]);
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

async fn take(
    t: &TestDb,
    exchange: &OffsetExchange,
    channel: &'static str,
    body: &[u8],
    at: i64,
) -> String {
    let receipt = receive(&t.db, "ocse", channel, body, at).await;
    let processor = ReturnIntake {
        exchange: exchange.clone(),
        channel,
    };
    assert!(
        intake::process(&t.db, &processor, &receipt, at)
            .await
            .unwrap()
    );
    receipt
}

async fn offset_runs_the_cycle_and_reports_rejects_federal_differences_and_collections_without_a_case(
    t: TestDb,
) {
    let db = &t.db;
    let t0 = NOW - 40 * DAY;
    let mut tx = db.begin().await.unwrap();
    cases::put(&mut tx, "MN-0001234", TANF, t0).await.unwrap();
    cases::put(&mut tx, "MN-0005555", &second_case(), t0)
        .await
        .unwrap();
    tx.commit().await.unwrap();

    // A dry run counts what the cycle would send and sends nothing.
    let dry = Offset
        .run(&context(&t, offset_settings(&t), t0, true))
        .await
        .unwrap();
    assert_eq!(dry.counts["cycleWouldSubmit"], 3, "{dry:#?}");
    assert!(dry.discrepancies.is_empty(), "{dry:#?}");
    assert_eq!(count(db, "SELECT COUNT(*) FROM offset_cycles").await, 0);
    assert_eq!(count(db, "SELECT COUNT(*) FROM outbox_messages").await, 0);

    // The job's run sends cycle 1; everything is fresh and agrees: nothing to report.
    let first = Offset
        .run(&context(&t, offset_settings(&t), t0, false))
        .await
        .unwrap();
    assert_eq!(first.counts["cycleSent"], 1);
    assert_eq!(first.counts["cycleSubmissions"], 3);
    assert!(first.discrepancies.is_empty(), "{first:#?}");

    // OCSE rejects the second case's non-TANF add.
    let c = context(&t, offset_settings(&t), t0, false);
    let exchange = OffsetExchange {
        db: db.clone(),
        settings: c.settings.clone(),
        key: c.lookup_key.clone(),
        sealer: c.data_keys.clone(),
    };
    let (payload, partner, key): (Vec<u8>, String, String) = match db {
        Db::Sqlite { read, .. } => sqlx::query_as(
            "SELECT p.payload, p.partner, p.idempotency_key FROM outbox_messages m \
             JOIN outbox_payloads p ON p.message_id = m.id WHERE m.kind = 'offset-submission'",
        )
        .fetch_one(read)
        .await
        .unwrap(),
        Db::Postgres(pool, _) => sqlx::query_as(
            "SELECT p.payload, p.partner, p.idempotency_key FROM outbox_messages m \
             JOIN outbox_payloads p ON p.message_id = m.id WHERE m.kind = 'offset-submission'",
        )
        .fetch_one(pool)
        .await
        .unwrap(),
    };
    // Payloads are sealed at rest.
    let payload = db
        .sealer()
        .open_bytes(
            payload,
            &ivd_gateway::store::sealing::place::outbox(&partner, &key),
        )
        .unwrap();
    let file = ivd_offset::read_submission_file(&payload, Encoding::Ascii);
    let (seq, rejected) = file
        .submissions
        .iter()
        .enumerate()
        .find(|(_, s)| {
            s.certification.case_id.trim() == "MN-0005555"
                && s.key().case_type == ivd_offset::CaseType::NonTanf
        })
        .expect("the non-TANF add");
    let reject = ivd_offset::Reject::for_submission(rejected, &["17"]);
    let control = ivd_offset::RejectControl::tally("MN", std::slice::from_ref(&reject), 2, 0);
    let reject_file = ivd_offset::write_rejects(&[reject], &control, Encoding::Ascii).unwrap();
    take(&t, &exchange, REJECTS_CHANNEL, &reject_file, t0 + HOUR).await;

    // Collections: one for a case we hold, one for a case we do not (planted).
    let sample = std::fs::read(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("adapters/offset/samples/collections.txt"),
    )
    .unwrap();
    let body = String::from_utf8(sample)
        .unwrap()
        .replace("KS-0001234", "MN-0001234");
    let collections = take(
        &t,
        &exchange,
        COLLECTIONS_CHANNEL,
        body.as_bytes(),
        t0 + 2 * HOUR,
    )
    .await;

    // OCSE's reconciliation file: one amount differs, one case only OCSE has (planted).
    let mut tx = db.begin().await.unwrap();
    let certified = exchange.certified(&mut tx).await.unwrap();
    drop(tx);
    assert_eq!(certified.len(), 2);
    let mut federal: Vec<ivd_offset::ReconRecord> = certified
        .iter()
        .map(ivd_offset::ReconRecord::from_certification)
        .collect();
    federal[0].arrears_dollars += 40;
    let mut extra = ivd_offset::ReconRecord::from_certification(&certified[1]);
    extra.key.ssn = "456789012".parse().unwrap();
    extra.case_id = "MN-0007777".into();
    federal.push(extra);
    let recon_file = ivd_offset::write_reconciliation("MN", &federal, Encoding::Ascii).unwrap();
    let recon = take(&t, &exchange, RECONCILIATION_CHANNEL, &recon_file, t0 + DAY).await;

    // A cycle whose file was dead-lettered, and one with no reconciliation file since.
    let dead = send(
        db,
        "ocse-offset",
        "offset-submission",
        "OFFSET.MN.C000098.dat",
        b"x".to_vec(),
        NOW - DAY,
    )
    .await;
    exec(
        db,
        "UPDATE outbox_messages SET state = 'dead' WHERE id = $1",
        vec![A::I(dead)],
    )
    .await;
    let cycle = "INSERT INTO offset_cycles (cycle, cause, submissions, message_id, created_at) VALUES ($1, 'cycle', 0, $2, $3)";
    exec(db, cycle, vec![A::I(98), A::I(dead), A::I(NOW - DAY)]).await;
    exec(db, cycle, vec![A::I(99), A::NullI, A::I(NOW - 36 * DAY)]).await;

    let tanf_ncp = &certified[0];
    let mut expected: BTreeSet<Row> = [
        row(
            "OFFSET_REJECT_UNRESOLVED",
            &format!("offset-cycle-1/{seq}"),
            "MN-0005555",
            "***-**-8901",
        ),
        row(
            "OFFSET_AMOUNT_DIFFERS",
            &recon,
            tanf_ncp.case_id.trim(),
            &tanf_ncp.key.ssn.to_string(),
        ),
        row(
            "OFFSET_MISSING_AT_STATE",
            &recon,
            "MN-0007777",
            "***-**-9012",
        ),
        row("OFFSET_CYCLE_UNDELIVERED", "offset-cycle-98", "", ""),
        row("OFFSET_CYCLE_UNCONFIRMED", "offset-cycle-99", "", ""),
        row(
            "OFFSET_COLLECTION_UNMATCHED",
            &format!("{collections}.2"),
            "KS-0002345",
            "***-**-7891",
        ),
    ]
    .into();

    // A dry run at NOW reports all of it and changes nothing.
    let cycles_before = count(db, "SELECT COUNT(*) FROM offset_cycles").await;
    let report = Offset
        .run(&context(&t, offset_settings(&t), NOW, true))
        .await
        .unwrap();
    assert_eq!(rows(&report), expected, "{report:#?}");
    assert_no_personal_data(
        &report,
        &["234567890", "345678901", "456789012", "234567891"],
    );
    assert_eq!(
        count(db, "SELECT COUNT(*) FROM offset_cycles").await,
        cycles_before
    );

    // The real run sends the refused add again, which resolves the reject.
    let report = Offset
        .run(&context(&t, offset_settings(&t), NOW, false))
        .await
        .unwrap();
    assert_eq!(report.counts["cycleSent"], 1, "{report:#?}");
    assert_eq!(report.counts["cycleSubmissions"], 1, "{report:#?}");
    expected.retain(|r| r.0 != "OFFSET_REJECT_UNRESOLVED");
    assert_eq!(rows(&report), expected, "{report:#?}");
    t.cleanup().await;
}

// ---------------------------------------------------------------------------------------
// control-totals

fn sample(path: &str) -> Vec<u8> {
    std::fs::read(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(path)).unwrap()
}

/// The file without its last record (the trailer).
fn without_trailer(file: &[u8]) -> Vec<u8> {
    let text = String::from_utf8(file.to_vec()).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let mut out = lines[..lines.len() - 1].join("\n");
    out.push('\n');
    out.into_bytes()
}

async fn control_totals_reports_files_whose_trailers_or_recorded_counts_disagree(t: TestDb) {
    let db = &t.db;
    let mut settings = gateway_settings(&t, Vec::new());
    settings.offset.encoding = FileEncoding::Ascii;
    settings.fidm.encoding = FileEncoding::Ascii;

    // Inbound. A clean collections file; one whose trailer counts a record too many; a
    // match file without its trailer; an old broken file outside the window; a channel
    // without control records.
    let collections = sample("adapters/offset/samples/collections.txt");
    let miscounted = String::from_utf8(collections.clone())
        .unwrap()
        .replace("KSCTL000000002", "KSCTL000000003")
        .into_bytes();
    assert!(
        !ivd_offset::read_collections(&miscounted, Encoding::Ascii)
            .errors
            .is_empty()
    );
    let matches = sample("adapters/fidm/samples/match.txt");
    let cut = without_trailer(&matches);
    assert!(
        !ivd_fidm::read_match_file(&cut, Encoding::Ascii)
            .errors
            .is_empty()
    );
    receive(db, "ocse", COLLECTIONS_CHANNEL, &collections, NOW - DAY).await;
    let bad_collections =
        receive(db, "ocse", COLLECTIONS_CHANNEL, &miscounted, NOW - 2 * DAY).await;
    receive(db, "bank-1", "fidm-matches", &matches, NOW - DAY).await;
    let bad_matches = receive(db, "bank-1", "fidm-matches", &cut, NOW - 3 * DAY).await;
    receive(
        db,
        "bank-2",
        "fidm-matches",
        &without_trailer(&matches[..matches.len() - 1]),
        NOW - 40 * DAY,
    )
    .await;
    receive(db, "state-06", "csenet", b"not a control file", NOW - DAY).await;

    // Outbound. An offset submission file recorded with one submission too many; an
    // inquiry file that agrees with its run; one that lost its trailer.
    let submission = sample("adapters/offset/samples/submission.txt");
    let submissions = ivd_offset::read_submission_file(&submission, Encoding::Ascii);
    assert!(submissions.errors.is_empty());
    let offset_message = send(
        db,
        "ocse-offset",
        "offset-submission",
        "OFFSET.MN.C000001.dat",
        submission,
        NOW - DAY,
    )
    .await;
    exec(
        db,
        "INSERT INTO offset_cycles (cycle, cause, submissions, message_id, created_at) VALUES (1, 'cycle', $1, $2, $3)",
        vec![A::I(submissions.submissions.len() as i64 + 1), A::I(offset_message), A::I(NOW - DAY)],
    )
    .await;
    let inquiry = sample("adapters/fidm/samples/inquiry.txt");
    let inquiries = ivd_fidm::read_inquiry_file(&inquiry, Encoding::Ascii);
    assert!(inquiries.errors.is_empty());
    let n = inquiries.inquiries.len() as i64;
    let good = send(
        db,
        "bank-1",
        "fidm-inquiry",
        "FIDM.INQ.1",
        inquiry.clone(),
        NOW - DAY,
    )
    .await;
    let bad = send(
        db,
        "bank-1",
        "fidm-inquiry",
        "FIDM.INQ.2",
        without_trailer(&inquiry),
        NOW - DAY,
    )
    .await;
    let run = "INSERT INTO fidm_inquiries (run_number, partner, year_month, inquiry_count, message_id, created_at) \
               VALUES ($1, 'bank-1', '202609', $2, $3, $4)";
    exec(db, run, vec![A::I(1), A::I(n), A::I(good), A::I(NOW - DAY)]).await;
    exec(db, run, vec![A::I(2), A::I(n), A::I(bad), A::I(NOW - DAY)]).await;

    let findings = ControlTotals
        .run(&context(&t, settings, NOW, true))
        .await
        .unwrap();
    let expected: BTreeSet<Row> = [
        row("INBOUND_FILE_CONTROL", &bad_collections, "", ""),
        row("INBOUND_FILE_CONTROL", &bad_matches, "", ""),
        row("RECORDED_COUNT", "OFFSET.MN.C000001.dat", "", ""),
        row("OUTBOUND_FILE_CONTROL", "FIDM.INQ.2", "", ""),
    ]
    .into();
    assert_eq!(rows(&findings), expected, "{findings:#?}");
    assert_eq!(findings.counts["filesReceived"], 4);
    assert_eq!(findings.counts["filesSent"], 3);
    assert_no_personal_data(&findings, &["123456789", "234567891"]);
    t.cleanup().await;
}

// ---------------------------------------------------------------------------------------
// interstate-cases

const OUR_FIPS: &str = "2700000";

fn interstate_settings(t: &TestDb) -> Settings {
    let mut partner = http_partner("state-06", "http://127.0.0.1:9/unused", 3);
    partner.interstate = Some(InterstateSettings {
        fips: "0600000".into(),
        functions: vec!["CSI".into(), "ENF".into(), "MSC".into()],
    });
    let mut settings = gateway_settings(t, vec![partner]);
    settings.state.fips = Some(OUR_FIPS.into());
    settings.state.csenet_office = Some(ivd_csenet::CaseData {
        payment_mail_address_line_1: "PO BOX 64306".into(),
        payment_city: "ST PAUL".into(),
        payment_state: "MN".into(),
        payment_zip_1: "55164".into(),
        ..Default::default()
    });
    settings
}

/// An interstate case with state 06: the TANF sample with the given id, status, NCP SSN
/// and custodial party SSN (none: no SSN).
fn interstate_case(id: &str, open: bool, ncp: &str, cp: Option<&str>, interstate: bool) -> String {
    let mut case: Value = serde_json::from_str(TANF).unwrap();
    case["id"] = json!(id);
    case["status"] = json!(if open { "open" } else { "closed" });
    if interstate {
        case["intergovernmentalRole"] = json!("initiating");
        case["partnerJurisdiction"] = json!({ "kind": "state", "fips": "0600000" });
    }
    let participants = case["participants"].as_array_mut().unwrap();
    participants[1]["person"]["ssn"] = json!(ncp);
    match cp {
        Some(cp) => participants[0]["person"]["ssn"] = json!(cp),
        None => {
            participants[0]["person"]
                .as_object_mut()
                .unwrap()
                .remove("ssn");
        }
    }
    let parsed: ivd_model::Case = serde_json::from_value(case).expect("a valid test case");
    serde_json::to_string(&parsed).unwrap()
}

fn extract_record(
    their: &str,
    ours: &str,
    other_fips: &str,
    open: bool,
    kind: icr::ParticipantType,
    ssn: &str,
) -> IcrRecord {
    IcrRecord {
        case_id: their.into(),
        role: icr::Role::Responding,
        fips: "06037".into(),
        fips_suffix: String::new(),
        ssn: Some(ivd_model::Ssn::parse(ssn).unwrap()),
        member_id: format!("{their}-{}", kind.code()),
        participant_type: kind,
        case_status: if open {
            icr::CaseStatus::Open
        } else {
            icr::CaseStatus::Closed
        },
        last_name: "SAMPLE".into(),
        first_name: "PAT".into(),
        middle_name: String::new(),
        date_of_birth: None,
        sex: String::new(),
        other_case_id: ours.into(),
        other_fips: other_fips.into(),
        contact_name: "WORKER 0417".into(),
        contact_phone: String::new(),
        contact_email: String::new(),
    }
}

async fn received(
    db: &Db,
    case_id: &str,
    function: &str,
    action: &str,
    their_id: &str,
    status: Option<&str>,
    at: i64,
) {
    let mut tx = db.begin().await.unwrap();
    events::append(
        &mut tx,
        &NewEvent {
            kind: "csenet.received",
            partner: Some("state-06"),
            case_id: Some(case_id),
            receipt_id: None,
            payload: json!({
                "function": function,
                "action": action,
                "transaction": { "header": { "caseId": their_id, "otherCaseId": case_id } },
                "case": status.map(|s| json!({ "caseStatus": s })),
            }),
        },
        at,
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
}

async fn interstate_cases_reports_every_icr_and_csi_mismatch_and_asks_for_the_missing_status(
    t: TestDb,
) {
    use icr::ParticipantType::{CustodialParty as CP, NoncustodialParent as NP};
    let db = &t.db;
    let mut tx = db.begin().await.unwrap();
    for (id, open, ncp, cp, interstate) in [
        // A: agrees with the partner everywhere (clean).
        ("MN-0001234", true, "234567890", Some("123456789"), true),
        // B: open here, closed there (04); its custodial party is not on theirs (06); no
        // case-status answer ever (CSI_NO_ANSWER).
        ("MN-0005555", true, "345678901", Some("456789012"), true),
        // C: not in their extract (01); their CSI P says closed (CSI_STATUS_MISMATCH).
        ("MN-0007777", true, "567890123", None, true),
        // D: found only through its NCP; their record names a wrong case of ours (02).
        ("MN-0008888", true, "678901234", None, true),
        // E: their extract's case id differs from the one their transactions use (02).
        ("MN-0004444", true, "789012345", None, true),
        // F: closed here, open there (05); they name the wrong county office (03).
        ("MN-0003333", false, "890123456", None, true),
        // Not interstate: never compared (clean).
        ("MN-0002222", true, "223344556", None, false),
    ] {
        cases::put(
            &mut tx,
            id,
            &interstate_case(id, open, ncp, cp, interstate),
            NOW - 200 * DAY,
        )
        .await
        .unwrap();
    }
    // What our transactions know: A's partner case id; D's status was asked for yesterday.
    requests::insert(&mut tx, "MN-0001234", "state-06", "csenet", &json!({ "function": "ENF", "action": "R", "reason": "ERWAG", "otherCaseId": "CA-0001001" }), NOW - 100 * DAY).await.unwrap();
    requests::insert(
        &mut tx,
        "MN-0008888",
        "state-06",
        "csenet",
        &json!({ "function": "CSI", "action": "R", "reason": "FRINF" }),
        NOW - DAY,
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    received(
        db,
        "MN-0001234",
        "CSI",
        "P",
        "CA-0001001",
        Some("open"),
        NOW - 5 * DAY,
    )
    .await;
    received(
        db,
        "MN-0007777",
        "CSI",
        "P",
        "CA-0008008",
        Some("closed"),
        NOW - 5 * DAY,
    )
    .await;
    received(
        db,
        "MN-0004444",
        "CSI",
        "P",
        "CA-OLD-4444",
        Some("open"),
        NOW - 10 * DAY,
    )
    .await;
    received(
        db,
        "MN-0003333",
        "MSC",
        "P",
        "CA-0005005",
        None,
        NOW - 300 * DAY,
    )
    .await;

    // The partner's extract, with a record about a third state and one that does not parse.
    let records = [
        extract_record("CA-0001001", "MN-0001234", "2712300", true, NP, "234567890"),
        extract_record("CA-0001001", "MN-0001234", OUR_FIPS, true, CP, "123456789"),
        extract_record("CA-0002002", "MN-0005555", OUR_FIPS, false, NP, "345678901"),
        extract_record("CA-0003003", "MN-9999999", OUR_FIPS, true, NP, "678901234"),
        extract_record("CA-0004004", "MN-0004444", OUR_FIPS, true, NP, "789012345"),
        extract_record("CA-0005005", "MN-0003333", "2799900", true, NP, "890123456"),
        extract_record("CA-0006006", "MN-0006666", OUR_FIPS, true, NP, "112233445"),
        extract_record("CA-0007007", "IA-0000001", "1900000", true, NP, "567890123"),
    ];
    let mut extract = icr::write_extract(&records).unwrap();
    let mut broken = records[0].write().unwrap();
    broken[15] = b'X';
    extract.extend_from_slice(&broken);
    extract.push(b'\n');
    // An older extract is superseded by the latest.
    receive(
        db,
        "state-06",
        EXTRACT_CHANNEL,
        b"old extract",
        NOW - 40 * DAY,
    )
    .await;
    let receipt = receive(db, "state-06", EXTRACT_CHANNEL, &extract, NOW - 2 * DAY).await;

    let expected: BTreeSet<Row> = [
        row("04", "CA-0002002", "MN-0005555", ""),
        row("06", "CA-0002002", "MN-0005555", "***-**-9012"),
        row("CSI_NO_ANSWER", "", "MN-0005555", ""),
        row("01", &receipt, "MN-0007777", ""),
        row("CSI_STATUS_MISMATCH", "", "MN-0007777", ""),
        row("02", "CA-0003003", "MN-0008888", ""),
        row("02", "CA-0004004", "MN-0004444", ""),
        row("05", "CA-0005005", "MN-0003333", ""),
        row("03", "CA-0005005", "MN-0003333", ""),
        row("CASE_MISSING_AT_STATE", "CA-0006006", "MN-0006666", ""),
        row("ICR_EXTRACT_INVALID", &receipt, "", ""),
    ]
    .into();

    // A dry run reports everything and asks for nothing.
    let messages = "SELECT COUNT(*) FROM outbox_messages";
    let report = InterstateCases
        .run(&context(&t, interstate_settings(&t), NOW, true))
        .await
        .unwrap();
    assert_eq!(rows(&report), expected, "{report:#?}");
    assert_no_personal_data(
        &report,
        &["234567890", "345678901", "456789012", "678901234"],
    );
    assert_eq!(count(db, messages).await, 0);
    assert_eq!(report.counts["casesCompared"], 6);

    // The real run asks the partner for B's case status, as the state system's API would.
    let report = InterstateCases
        .run(&context(&t, interstate_settings(&t), NOW, false))
        .await
        .unwrap();
    let asked = report
        .discrepancies
        .iter()
        .find(|d| d.code == "CSI_NO_ANSWER")
        .expect("still reported");
    assert!(asked.action_taken, "{asked:#?}");
    let key = asked.reference.clone().expect("the message's key");
    assert!(key.starts_with("csenet-2700000-"), "{key}");
    let mut without_csi = expected.clone();
    without_csi.retain(|r| r.0 != "CSI_NO_ANSWER");
    let mut rest = rows(&report);
    rest.retain(|r| r.0 != "CSI_NO_ANSWER");
    assert_eq!(rest, without_csi);
    assert_eq!(count(db, messages).await, 1);
    assert_eq!(
        count(db, "SELECT COUNT(*) FROM outbox_messages WHERE kind = 'csenet' AND ordering_key = 'MN-0005555' AND partner = 'state-06'").await,
        1
    );
    assert_eq!(
        count(db, "SELECT COUNT(*) FROM ack_deadlines WHERE case_id = 'MN-0005555' AND kind = 'csenet.case-status-response'").await,
        1,
        "the answer is expected"
    );

    // Asked within the window: the next run neither reports nor asks again.
    let report = InterstateCases
        .run(&context(&t, interstate_settings(&t), NOW + HOUR, false))
        .await
        .unwrap();
    assert_eq!(rows(&report), without_csi, "{report:#?}");
    assert_eq!(count(db, messages).await, 1);
    t.cleanup().await;
}
