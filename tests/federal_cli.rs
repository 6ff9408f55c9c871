//! `check` and `convert` of the federal offset and FIDM files, as a state's batch operator
//! runs them on a file before it goes out or after it comes in.

use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_ivd-gateway");

fn run(args: &[&str]) -> Output {
    let dir = tempfile::tempdir().unwrap();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let args: Vec<String> = args
        .iter()
        .map(|a| {
            if a.starts_with("adapters/") {
                root.join(a).display().to_string()
            } else {
                a.to_string()
            }
        })
        .collect();
    Command::new(BIN)
        .args(&args)
        .current_dir(dir.path())
        .env_remove("IVD_CONFIG")
        .output()
        .expect("the binary runs")
}

fn lines(output: &[u8]) -> Vec<Value> {
    String::from_utf8_lossy(output)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn the_offset_submission_file_checks_clean_in_ebcdic_and_names_a_bad_record_in_a_mixed_one() {
    let clean = run(&[
        "check",
        "offset-submission",
        "adapters/offset/samples/submission.ebcdic",
        "--json",
    ]);
    assert_eq!(clean.status.code(), Some(0), "{clean:?}");
    assert!(lines(&clean.stdout).iter().all(|v| v["status"] == "valid"));

    let mixed = run(&[
        "check",
        "offset-submission",
        "adapters/offset/samples/submission-mixed.txt",
        "--json",
    ]);
    assert_eq!(mixed.status.code(), Some(1), "{mixed:?}");
    let bad: Vec<Value> = lines(&mixed.stdout)
        .into_iter()
        .filter(|v| v["status"] == "invalid")
        .collect();
    assert!(!bad.is_empty());
    for verdict in &bad {
        assert!(verdict["errors"][0]["code"].is_string(), "{verdict}");
    }
}

#[test]
fn a_banks_match_file_converts_to_one_json_object_per_match() {
    let check = run(&["check", "fidm-matches", "adapters/fidm/samples/match.txt"]);
    assert_eq!(check.status.code(), Some(0), "{check:?}");
    let convert = run(&["convert", "fidm-matches", "adapters/fidm/samples/match.txt"]);
    assert_eq!(convert.status.code(), Some(0), "{convert:?}");
    let matches = lines(&convert.stdout);
    assert!(!matches.is_empty());
    assert!(
        matches
            .iter()
            .all(|m| m["ssn"].is_string() && m["account_number"].is_string())
    );
}

#[test]
fn every_federal_format_is_listed_and_a_missing_file_exits_two() {
    let unknown = run(&["check", "no-such-format", "x"]);
    assert_eq!(unknown.status.code(), Some(2));
    let listed = String::from_utf8_lossy(&unknown.stderr);
    for name in [
        "offset-submission",
        "offset-rejects",
        "offset-collections",
        "offset-reconciliation",
        "fidm-accounts",
        "fidm-inquiry",
        "fidm-matches",
    ] {
        assert!(listed.contains(name), "{name} in {listed}");
        let missing = run(&["check", name, "missing.dat"]);
        assert_eq!(missing.status.code(), Some(2), "{name}");
    }
}

#[test]
fn a_tribal_document_checks_and_converts_to_json_and_back_to_a_valid_document() {
    let check = run(&[
        "check",
        "tribal",
        "adapters/tribal/samples/csi-request.xml",
        "--json",
    ]);
    assert_eq!(check.status.code(), Some(0), "{check:?}");
    let json = run(&[
        "convert",
        "tribal",
        "adapters/tribal/samples/csi-request.xml",
    ]);
    assert_eq!(json.status.code(), Some(0), "{json:?}");
    let message: Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(message["function"], "CSI");

    let dir = tempfile::tempdir().unwrap();
    let json_file = dir.path().join("message.json");
    std::fs::write(&json_file, &json.stdout).unwrap();
    let back = run(&[
        "convert",
        "tribal",
        json_file.to_str().unwrap(),
        "--from-json",
    ]);
    assert_eq!(back.status.code(), Some(0), "{back:?}");
    let xml_file = dir.path().join("message.xml");
    std::fs::write(&xml_file, &back.stdout).unwrap();
    let schema = Path::new(env!("CARGO_MANIFEST_DIR")).join("schemas/tribal-exchange.xsd");
    let lint = Command::new("xmllint")
        .args(["--noout", "--schema"])
        .arg(&schema)
        .arg(&xml_file)
        .output()
        .expect("xmllint is installed");
    assert!(lint.status.success(), "{lint:?}");

    let doctype = dir.path().join("doctype.xml");
    std::fs::write(
        &doctype,
        "<?xml version=\"1.0\"?><!DOCTYPE x [<!ENTITY e \"boom\">]><TribalExchange/>",
    )
    .unwrap();
    let refused = run(&["check", "tribal", doctype.to_str().unwrap(), "--json"]);
    assert_eq!(refused.status.code(), Some(1), "{refused:?}");
}
