//! The `ivd-tools` command line: it has the demo and the load drivers (which the
//! production `ivd-gateway` binary does not, see the gateway's `tests/cli.rs`), and
//! `gateway …` runs the gateway's own command line.

use std::process::{Command, Output};

fn run(args: &[&str]) -> Output {
    let dir = tempfile::tempdir().expect("temp dir");
    Command::new(env!("CARGO_BIN_EXE_ivd-tools"))
        .args(args)
        .current_dir(dir.path())
        .env_remove("IVD_CONFIG")
        .output()
        .expect("the binary runs")
}

fn lists(help: &Output, command: &str) -> bool {
    String::from_utf8_lossy(&help.stdout)
        .lines()
        .any(|l| l.trim_start().starts_with(&format!("{command} ")))
}

#[test]
fn help_lists_the_demo_the_bench_drivers_and_the_gateway() {
    let help = run(&["--help"]);
    assert!(help.status.success(), "{help:?}");
    for command in ["demo", "bench", "gateway"] {
        assert!(lists(&help, command), "--help does not list {command}");
    }
    let bench = run(&["bench", "--help"]);
    assert!(bench.status.success(), "{bench:?}");
    for driver in ["outbox", "backlog", "claim", "bulk", "sink"] {
        assert!(lists(&bench, driver), "bench --help does not list {driver}");
    }
}

#[test]
fn gateway_runs_the_gateways_own_command_line() {
    let help = run(&["gateway", "--help"]);
    assert!(help.status.success(), "{help:?}");
    for command in ["serve", "migrate", "outbox", "check"] {
        assert!(
            lists(&help, command),
            "gateway --help does not list {command}"
        );
    }
    assert!(!lists(&help, "demo") && !lists(&help, "bench"));
    let unknown = run(&["gateway", "frobnicate"]);
    assert_eq!(unknown.status.code(), Some(2), "{unknown:?}");
}
