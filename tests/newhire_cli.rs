//! The new-hire file commands as an employer's payroll clerk or a tester uses them:
//! `generate newhire` writes a synthetic file, `check newhire` judges every record,
//! `convert newhire` turns one format into another — all without a gateway running.

use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_ivd-gateway");

fn run(dir: &Path, args: &[&str]) -> Output {
    Command::new(BIN)
        .args(args)
        .current_dir(dir)
        .env_remove("IVD_CONFIG")
        .output()
        .expect("the binary runs")
}

fn describe(output: &Output) -> String {
    format!(
        "exit {:?}\n--- stdout\n{}\n--- stderr\n{}",
        output.status.code(),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

#[test]
fn a_generated_file_is_the_same_for_a_seed_and_checks_clean() {
    let dir = tempfile::tempdir().unwrap();
    let args = |out: &str| {
        vec![
            "generate",
            "newhire",
            "--records",
            "500",
            "--seed",
            "9",
            "--format",
            "w4",
            "-o",
        ]
        .into_iter()
        .map(str::to_string)
        .chain([out.to_string()])
        .collect::<Vec<_>>()
    };
    for name in ["a.w4", "b.w4"] {
        let a: Vec<String> = args(name);
        let out = run(
            dir.path(),
            &a.iter().map(String::as_str).collect::<Vec<_>>(),
        );
        assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    }
    let a = std::fs::read(dir.path().join("a.w4")).unwrap();
    assert_eq!(a, std::fs::read(dir.path().join("b.w4")).unwrap());
    assert_eq!(a.len(), 500 * 803, "801-byte records with CR LF");

    let check = run(dir.path(), &["check", "newhire", "a.w4", "--json"]);
    assert_eq!(check.status.code(), Some(0), "{}", describe(&check));
    let lines: Vec<Value> = String::from_utf8_lossy(&check.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 500);
    assert!(lines.iter().all(|v| v["status"] == "valid"));
}

#[test]
fn check_names_every_invalid_record_and_exits_one_without_echoing_a_value() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(
        dir.path(),
        &[
            "generate",
            "newhire",
            "--records",
            "400",
            "--seed",
            "3",
            "--format",
            "xx",
            "--invalid-rate",
            "0.1",
            "-o",
            "mixed.xx",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    let summary = String::from_utf8_lossy(&out.stderr).trim().to_string();
    let invalid: usize = summary
        .split(", ")
        .find_map(|part| part.strip_suffix(" invalid.")?.trim().parse().ok())
        .unwrap_or_else(|| panic!("summary names the invalid count: {summary}"));
    assert!(invalid > 0);

    let check = run(
        dir.path(),
        &["check", "newhire", "mixed.xx", "--format", "xx", "--json"],
    );
    assert_eq!(check.status.code(), Some(1), "{}", describe(&check));
    let verdicts: Vec<Value> = String::from_utf8_lossy(&check.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(verdicts.len(), 400);
    let bad: Vec<&Value> = verdicts
        .iter()
        .filter(|v| v["status"] == "invalid")
        .collect();
    assert_eq!(bad.len(), invalid);
    for verdict in bad {
        let error = &verdict["errors"][0];
        assert!(
            error["field"].is_string() && error["code"].is_string(),
            "{verdict}"
        );
        assert!(error["message"].as_str().is_some_and(|m| !m.is_empty()));
    }
    // No SSN of the file appears in the report: every 9-digit run in the output would be one.
    let text = String::from_utf8_lossy(&check.stdout);
    assert!(
        !text
            .as_bytes()
            .windows(9)
            .any(|w| w.iter().all(u8::is_ascii_digit)),
        "a 9-digit value leaked into the report"
    );

    let missing = run(dir.path(), &["check", "newhire", "nothing-here.w4"]);
    assert_eq!(missing.status.code(), Some(2), "{}", describe(&missing));
}

#[test]
fn convert_turns_a_w4_file_into_valid_xml_and_back() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(
        dir.path(),
        &[
            "generate",
            "newhire",
            "--records",
            "50",
            "--seed",
            "5",
            "-o",
            "in.w4",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    let xml = run(dir.path(), &["convert", "newhire", "in.w4", "--to", "xml"]);
    assert_eq!(xml.status.code(), Some(0), "{}", describe(&xml));
    std::fs::write(dir.path().join("out.xml"), &xml.stdout).unwrap();
    let schema = Path::new(env!("CARGO_MANIFEST_DIR")).join("schemas/new-hire.xsd");
    let lint = Command::new("xmllint")
        .args(["--noout", "--schema"])
        .arg(&schema)
        .arg(dir.path().join("out.xml"))
        .output()
        .expect("xmllint is installed (Debian package libxml2-utils)");
    assert!(lint.status.success(), "{}", describe(&lint));

    let back = run(dir.path(), &["convert", "newhire", "out.xml", "--to", "w4"]);
    assert_eq!(back.status.code(), Some(0), "{}", describe(&back));
    std::fs::write(dir.path().join("back.w4"), &back.stdout).unwrap();
    let check = run(dir.path(), &["check", "newhire", "back.w4", "--json"]);
    assert_eq!(check.status.code(), Some(0), "{}", describe(&check));
    assert_eq!(String::from_utf8_lossy(&check.stdout).lines().count(), 50);
}
