//! FIDM on both backends: the state asks the banks about its obligors who owe; a bank's
//! match file, and a bank's whole list of accounts, become levy-candidate events for
//! exactly the obligors in them — once.

mod support;

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use ivd_fidm::{AccountType, BalanceIndicator, Encoding, FileIndicator, Framing, Match, MatchFlag};
use ivd_gateway::channels::employers::matching;
use ivd_gateway::channels::fidm::accounts::AllAccountsIntake;
use ivd_gateway::channels::fidm::inquiry::FidmInquiry;
use ivd_gateway::config::{FileEncoding, PartnerKind, PickupSettings, Settings, TransportSettings};
use ivd_gateway::intake::pickup::Pickup;
use ivd_gateway::intake::{self, ProcessorFor, Processors};
use ivd_gateway::privacy::LookupKey;
use ivd_gateway::store::events::{self, Event};
use ivd_gateway::store::{Db, cases, now_ms};
use ivd_model::{Case, Ssn};
use serde_json::Value;
use support::app::TestApp;
use support::{TestDb, gateway_settings, http_partner, wait_until};

on_both_backends!(
    the_state_sends_an_inquiry_for_its_obligors_with_arrears,
    a_banks_match_file_becomes_exactly_its_levy_candidates_once,
    an_all_accounts_file_of_20000_records_yields_exactly_its_3_obligors,
);

const TANF: &str = include_str!("../schemas/samples/case-tanf.json");
/// The custodial party of every test case (never asked about, never a candidate).
const CP_SSN: &str = "123456789";

/// One test case: id, the noncustodial parent's SSN and last name, arrears, open.
struct TestCase {
    id: &'static str,
    ncp_ssn: &'static str,
    ncp_last: &'static str,
    arrears: bool,
    open: bool,
}

const CASES: &[TestCase] = &[
    TestCase {
        id: "MN-0001234",
        ncp_ssn: "234567890",
        ncp_last: "SAMPLE",
        arrears: true,
        open: true,
    },
    TestCase {
        id: "MN-0001235",
        ncp_ssn: "345678901",
        ncp_last: "LANTERN",
        arrears: true,
        open: true,
    },
    TestCase {
        id: "MN-0001236",
        ncp_ssn: "456789012",
        ncp_last: "MAPLE",
        arrears: false,
        open: true,
    },
    TestCase {
        id: "MN-0001237",
        ncp_ssn: "567890123",
        ncp_last: "BIRCH",
        arrears: true,
        open: false,
    },
    TestCase {
        id: "MN-0001238",
        ncp_ssn: "678901234",
        ncp_last: "WILLOW",
        arrears: true,
        open: true,
    },
];

/// The obligors who owe: open cases with arrears.
fn owing() -> Vec<&'static TestCase> {
    CASES.iter().filter(|c| c.arrears && c.open).collect()
}

fn case(test: &TestCase) -> Case {
    let mut value: Value = serde_json::from_str(TANF).unwrap();
    value["id"] = test.id.into();
    value["participants"][1]["person"]["ssn"] = test.ncp_ssn.into();
    value["participants"][1]["person"]["name"]["last"] = test.ncp_last.into();
    if !test.arrears {
        value["orders"][0]["arrears"] = Value::Array(Vec::new());
    }
    if !test.open {
        value["status"] = "closed".into();
    }
    serde_json::from_value(value).expect("a valid test case")
}

/// Stores every test case as a case push does: the snapshot and its people's keyed hashes.
async fn store_cases(db: &Db, key: &LookupKey) {
    for test in CASES {
        let case = case(test);
        let mut tx = db.begin().await.unwrap();
        cases::put(
            &mut tx,
            test.id,
            &serde_json::to_string(&case).unwrap(),
            now_ms(),
        )
        .await
        .unwrap();
        matching::index_case(&mut tx, key, &case).await.unwrap();
        tx.commit().await.unwrap();
    }
}

fn test_key() -> LookupKey {
    LookupKey::from_hex(&"5a".repeat(32)).unwrap()
}

fn fidm_settings(t: &TestDb) -> Settings {
    let mut settings = gateway_settings(t, Vec::new());
    settings.state.fips = Some("2700000".into());
    settings.fidm.encoding = FileEncoding::Ascii;
    settings
}

async fn events_of(db: &Db, kind: &str) -> Vec<Event> {
    events::list_after(db, 0, 100_000)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.kind == kind)
        .collect()
}

async fn the_state_sends_an_inquiry_for_its_obligors_with_arrears(t: TestDb) {
    let drop_dir = t.scratch_dir().join("fidm-out");
    std::fs::create_dir_all(&drop_dir).unwrap();
    let mut bank = http_partner("fidm-bank", "http://127.0.0.1:9/unused", 5);
    bank.kind = PartnerKind::FinancialInstitution;
    bank.transport = Some(TransportSettings::FileDrop {
        directory: drop_dir.clone(),
    });
    let mut settings = fidm_settings(&t);
    settings.partners = vec![bank];
    settings.fidm.partner = Some("fidm-bank".into());
    let gateway = TestApp::spawn_with(settings).await;
    let db = gateway.state.db.clone();
    let key = gateway.state.lookup_key.clone();
    store_cases(&db, &key).await;

    let job = FidmInquiry {
        db: db.clone(),
        settings: gateway.state.settings.clone(),
        key,
    };
    let run = job
        .write_inquiry(now_ms())
        .await
        .unwrap()
        .expect("an inquiry run");
    assert_eq!(run.count, owing().len());

    assert!(
        wait_until(Duration::from_secs(10), || async {
            !support::published_files(&drop_dir).is_empty()
        })
        .await,
        "the inquiry file reaches the drop directory"
    );
    let files = support::published_files(&drop_dir);
    assert_eq!(files.len(), 1, "{files:?}");
    let file = ivd_fidm::read_inquiry_file(&std::fs::read(&files[0]).unwrap(), Encoding::Ascii);
    assert!(file.is_valid(), "{:?}", file.verdicts);
    let asked: BTreeSet<(String, String, String, String)> = file
        .inquiries
        .iter()
        .map(|i| {
            (
                i.ssn.expose().to_string(),
                i.last_name.clone(),
                i.passback.clone(),
                i.fips.clone(),
            )
        })
        .collect();
    let expected: BTreeSet<(String, String, String, String)> = owing()
        .iter()
        .map(|c| {
            (
                c.ncp_ssn.to_string(),
                c.ncp_last.to_string(),
                c.id.to_string(),
                "27000".to_string(),
            )
        })
        .collect();
    assert_eq!(asked, expected);

    // The feed learns the count, never who.
    let sent = events_of(&db, "fidm.inquiry_sent").await;
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].payload_json()["inquiries"], owing().len());
    for c in CASES {
        assert!(!sent[0].payload.contains(c.ncp_ssn));
    }
    let runs = ivd_gateway::channels::fidm::inquiry::runs(&db)
        .await
        .unwrap();
    assert_eq!(runs.len(), 1);
    assert_eq!(runs[0].2, owing().len() as i64);
    gateway.stop().await;
    t.cleanup().await;
}

/// A match file from a bank: the two owing obligors of the first cases, the custodial
/// party, the parent who owes nothing, a stranger, and one record whose SSN is spoiled.
fn match_file() -> (Vec<u8>, usize) {
    let mut institution = ivd_fidm::generate::institution(7);
    institution.file_indicator = FileIndicator::Match;
    let matched = |ssn: &str, name: &str, account: &str| {
        let mut m = Match::new(Ssn::parse(ssn).unwrap(), name, account);
        m.balance_dollars = 1_500;
        m.balance_indicator = Some(BalanceIndicator::Current);
        m.account_type = Some(AccountType::Checking);
        m.match_flag = Some(MatchFlag::NameMatches);
        m
    };
    let matches = vec![
        matched(CASES[0].ncp_ssn, "JOHN SAMPLE", "12345678901234"),
        matched(CASES[1].ncp_ssn, "ANN LANTERN", "99887766"),
        matched(CP_SSN, "JANE SAMPLE", "55555555"),
        matched(CASES[2].ncp_ssn, "OWEN MAPLE", "44444444"),
        matched("111223333", "A STRANGER", "33333333"),
        matched(CASES[4].ncp_ssn, "SPOILED RECORD", "22222222"),
    ];
    let mut bytes =
        ivd_fidm::write_match_file_with(&institution, &matches, Encoding::Ascii, Framing::Lf)
            .unwrap();
    // The sixth match is physical record 7: its SSN (positions 15-23) cannot be one.
    bytes[6 * 501 + 14] = b'X';
    (bytes, 2)
}

async fn scan_until_received(pickup: &Pickup, db: &Db, processors: &Processors) -> usize {
    // A file written this instant may not count as settled yet: scan until it is taken.
    for _ in 0..200 {
        let report = pickup
            .scan(db, processors.for_channel(&pickup.settings.channel))
            .await
            .unwrap();
        let taken = report.received.len() + report.duplicates.len();
        if taken > 0 {
            return taken;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    0
}

async fn a_banks_match_file_becomes_exactly_its_levy_candidates_once(t: TestDb) {
    let key = test_key();
    store_cases(&t.db, &key).await;
    let settings = Arc::new(fidm_settings(&t));
    let context = ivd_gateway::channels::ChannelContext::new(
        t.db.clone(),
        settings.clone(),
        key.clone(),
        Arc::new(tokio::sync::Notify::new()),
    )
    .expect("the test database has data keys");
    let processors = ivd_gateway::channels::processors(&context);
    let inbox = t.scratch_dir().join("fidm-in");
    std::fs::create_dir_all(&inbox).unwrap();
    let pickup = Pickup {
        partner: "prairie-bank".into(),
        settings: PickupSettings {
            directory: inbox.clone(),
            channel: "fidm-matches".into(),
            interval_secs: 1,
            settle_secs: 0,
        },
    };
    let (bytes, expected) = match_file();
    std::fs::write(inbox.join("MATCH.2026-03.txt"), &bytes).unwrap();
    assert_eq!(scan_until_received(&pickup, &t.db, &processors).await, 1);

    let candidates = events_of(&t.db, "fidm.levy_candidate").await;
    assert_eq!(candidates.len(), expected, "{candidates:?}");
    let on_cases: BTreeSet<String> = candidates
        .iter()
        .filter_map(|e| e.case_id.clone())
        .collect();
    assert_eq!(
        on_cases,
        [CASES[0].id.to_string(), CASES[1].id.to_string()].into()
    );
    let first = candidates
        .iter()
        .find(|e| e.case_id.as_deref() == Some(CASES[0].id))
        .unwrap()
        .payload_json();
    assert_eq!(first["account"]["numberLast4"], "1234");
    assert_eq!(first["account"]["type"], "04");
    assert_eq!(first["account"]["balanceDollars"], 1500);
    assert_eq!(first["matchFlag"], "1");
    assert_eq!(
        first["participant"]["role"],
        ivd_model::ParticipantRole::NoncustodialParent.code()
    );
    assert_eq!(first["participant"]["ssnLast4"], "7890");
    assert_eq!(first["yearMonth"], "2026-03");
    assert_eq!(
        first["institution"]["name"],
        ivd_fidm::generate::institution(7).name
    );
    for event in &candidates {
        assert!(
            !event.payload.contains(CASES[0].ncp_ssn),
            "{}",
            event.payload
        );
        assert!(
            !event.payload.contains("12345678901234"),
            "{}",
            event.payload
        );
    }

    // The spoiled record is reported: in the receipt and in one problems event.
    let problems = events_of(&t.db, "fidm.file_problems").await;
    assert_eq!(problems.len(), 1);
    let listed = problems[0].payload_json();
    assert_eq!(listed["invalidRecords"], 1);
    assert_eq!(listed["problems"][0]["record"], 7);
    assert_eq!(listed["problems"][0]["field"], "ssn");
    let receipts = intake::recent(&t.db, 10).await.unwrap();
    assert_eq!(receipts.len(), 1);
    let outcome = receipts[0].outcome.clone().unwrap_or_default();
    assert!(
        outcome.contains("2 levy candidates") && outcome.contains("1 invalid"),
        "{outcome}"
    );

    // The same content under another name: a new receipt, and not one new candidate.
    std::fs::write(inbox.join("MATCH.2026-03.again.txt"), &bytes).unwrap();
    assert_eq!(scan_until_received(&pickup, &t.db, &processors).await, 1);
    assert_eq!(intake::recent(&t.db, 10).await.unwrap().len(), 2);
    assert_eq!(
        events_of(&t.db, "fidm.levy_candidate").await.len(),
        expected
    );
    t.cleanup().await;
}

async fn an_all_accounts_file_of_20000_records_yields_exactly_its_3_obligors(t: TestDb) {
    let key = test_key();
    store_cases(&t.db, &key).await;
    let owing = owing();
    assert_eq!(owing.len(), 3);
    // The three obligors who owe, the parent who owes nothing, the parent of the closed
    // case and the custodial party, spread over the file.
    let planted: Vec<(u64, Ssn)> = [
        (1, owing[0].ncp_ssn),
        (7_777, owing[1].ncp_ssn),
        (20_000, owing[2].ncp_ssn),
        (2, CASES[2].ncp_ssn),
        (10_000, CASES[3].ncp_ssn),
        (15_000, CP_SSN),
    ]
    .into_iter()
    .map(|(at, ssn)| (at, Ssn::parse(ssn).unwrap()))
    .collect();
    let path = t.scratch_dir().join("accounts.dat");
    let file = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
    ivd_fidm::generate::write_all_accounts(20_000, 11, &planted, Encoding::Ascii, file, |_| {})
        .unwrap();

    let intake = AllAccountsIntake {
        db: t.db.clone(),
        settings: Arc::new(fidm_settings(&t)),
        key,
    };
    let summary = intake
        .process_file(&path, "prairie-bank", now_ms())
        .await
        .unwrap();
    assert_eq!(summary.state, "complete");
    assert_eq!(summary.accounts, 20_000);
    assert_eq!(summary.invalid, 0);
    assert_eq!(summary.candidates, 3);

    let candidates = events_of(&t.db, "fidm.levy_candidate").await;
    assert_eq!(candidates.len(), 3);
    let on_cases: BTreeSet<String> = candidates
        .iter()
        .filter_map(|e| e.case_id.clone())
        .collect();
    let expected: BTreeSet<String> = owing.iter().map(|c| c.id.to_string()).collect();
    assert_eq!(on_cases, expected);
    let records: BTreeSet<i64> = candidates
        .iter()
        .map(|e| e.payload_json()["record"].as_i64().unwrap())
        .collect();
    // An account at position n is physical record n + 1.
    assert_eq!(records, [2, 7_778, 20_001].into());
    assert!(events_of(&t.db, "fidm.file_problems").await.is_empty());

    // The same file again is the same receipt: nothing applied twice.
    let again = intake
        .process_file(&path, "prairie-bank", now_ms())
        .await
        .unwrap();
    assert_eq!(again.receipt_id, summary.receipt_id);
    assert_eq!(events_of(&t.db, "fidm.levy_candidate").await.len(), 3);
    t.cleanup().await;
}
