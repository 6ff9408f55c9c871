//! Matches an all-accounts file on a fresh embedded (SQLite) database holding a number of
//! cases (three of whose obligors `generate_accounts` planted), through the streaming
//! intake, and prints the totals, the time and the peak resident memory (VmHWM).
//!
//! `cargo run --release --example match_accounts -- FILE WORKDIR [CASES]`

use std::sync::Arc;
use std::time::Instant;

use ivd_gateway::channels::employers::matching;
use ivd_gateway::channels::fidm::accounts::AllAccountsIntake;
use ivd_gateway::config::{FileEncoding, Settings};
use ivd_gateway::privacy::{DataKeys, LookupKey};
use ivd_gateway::store::{Db, cases, now_ms};
use serde_json::Value;

const TANF: &str = include_str!("../../schemas/samples/case-tanf.json");
const PLANTED: [&str; 3] = ["234567890", "345678901", "678901234"];

fn peak_rss_kb() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let usage = "usage: match_accounts FILE WORKDIR [CASES]";
    let file = args.next().ok_or(usage)?;
    let work = args.next().ok_or(usage)?;
    let case_count: usize = args
        .next()
        .map(|s| s.parse())
        .transpose()?
        .unwrap_or(10_000);
    // Cases are sealed at rest, as in the gateway: a synthetic data key for this run.
    let data_keys = DataKeys::from_hex([("k0001", "44".repeat(32).as_str())])?;
    let db = Db::connect(&format!("sqlite://{work}/bench.db"))
        .await?
        .with_data_keys(data_keys);
    db.migrate().await?;
    let key = LookupKey::from_hex(&"5a".repeat(32))?;

    // Cases with arrears: the three planted obligors, then others with made-up SSNs.
    let started = Instant::now();
    let mut tx = db.begin().await?;
    for n in 0..case_count {
        let mut value: Value = serde_json::from_str(TANF)?;
        value["id"] = format!("MN-{:07}", n + 1).into();
        let ssn = match PLANTED.get(n) {
            Some(ssn) => ssn.to_string(),
            None => format!("{:03}{:02}{:04}", 100 + n % 500, 1 + n % 99, 1 + n % 9_999),
        };
        value["participants"][1]["person"]["ssn"] = ssn.into();
        let case: ivd_model::Case = serde_json::from_value(value)?;
        cases::put(
            &mut tx,
            case.id.as_str(),
            &serde_json::to_string(&case)?,
            now_ms(),
        )
        .await?;
        matching::index_case(&mut tx, &key, &case).await?;
    }
    tx.commit().await?;
    let seeded = started.elapsed();

    let mut settings = Settings::default();
    settings.fidm.encoding = FileEncoding::Ascii;
    let intake = AllAccountsIntake {
        db: db.clone(),
        settings: Arc::new(settings),
        key,
    };
    let started = Instant::now();
    let summary = intake
        .process_file(std::path::Path::new(&file), "bench-bank", now_ms())
        .await?;
    let took = started.elapsed().as_secs_f64();
    println!(
        "cases: {case_count} (stored in {:.1} s); records: {}, accounts: {}, invalid: {}, levy candidates: {}",
        seeded.as_secs_f64(),
        summary.records,
        summary.accounts,
        summary.invalid,
        summary.candidates
    );
    println!(
        "match (hash + checkpointed chunks): {took:6.1} s  ({:.0} records/s)",
        summary.records as f64 / took
    );
    println!(
        "peak RSS (VmHWM):                   {:6.1} MB",
        peak_rss_kb() as f64 / 1024.0
    );
    db.close().await;
    Ok(())
}
