//! `ivd-tools demo` on a clean machine: within a minute or so the story is told and
//! Minnesota's dashboard shows every exchange — Wisconsin (CSENet), the Tribe (Tribal XML),
//! the employer (e-IWO), NDNH, OCSE and the bank (files), the county's dead letter, and
//! Wisconsin's outage as an alert that fired and resolved.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use ivd_gateway::store::Db;
use ivd_testkit::free_port;

/// The demo's process, killed when the test ends (early or not).
struct DemoProcess(std::process::Child);

impl Drop for DemoProcess {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_shows_every_exchange_on_the_dashboard() {
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("demo");
    let port = free_port();
    let mut child = Command::new(env!("CARGO_BIN_EXE_ivd-tools"))
        .current_dir(root.path())
        .args(["demo", "--outage-secs", "5", "--listen"])
        .arg(format!("127.0.0.1:{port}"))
        .arg("--dir")
        .arg(&dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("the demo starts");
    // Read the story as it is told; the process is killed when the test ends.
    let (lines, story) = mpsc::channel();
    let stdout = child.stdout.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = lines.send(line);
        }
    });
    let _process = DemoProcess(child);
    let mut told = Vec::new();
    let deadline = std::time::Instant::now() + Duration::from_secs(120);
    while !told
        .iter()
        .any(|l: &String| l.contains("The story is told"))
    {
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        match story.recv_timeout(left) {
            Ok(line) => told.push(line),
            Err(_) => panic!(
                "the demo did not finish its story in time:\n{}",
                told.join("\n")
            ),
        }
    }
    let story = told.join("\n");
    for expected in [
        "Dashboard:  http://127.0.0.1:",
        "[employer] Acme Payroll received an income withholding order file",
        "[alert] firing: Message",
        "[alert] firing: Partner state-55 is down",
    ] {
        assert!(story.contains(expected), "{expected} in\n{story}");
    }

    // What Minnesota's database says: every partner exchanged something.
    let db = Db::connect(&format!("sqlite://{}/minnesota/gateway.db", dir.display()))
        .await
        .unwrap();
    let delivered_to = |partner: &'static str| {
        let db = db.clone();
        async move {
            let (n,): (i64,) = ivd_gateway::on_read!(&db, c => {
                sqlx::query_as("SELECT COUNT(*) FROM outbox_messages WHERE partner = $1 AND state = 'delivered'")
                    .bind(partner)
                    .fetch_one(c)
                    .await
                    .unwrap()
            });
            n
        }
    };
    let everything_delivered = ivd_testkit::wait_until(Duration::from_secs(60), || async {
        let mut all = true;
        for partner in [
            "state-55",
            "tribe-90830",
            "employer-acme",
            "ndnh",
            "ocse-offset",
            "fidm-bank",
            "ops-alerts",
        ] {
            all &= delivered_to(partner).await > 0;
        }
        all
    })
    .await;
    assert!(everything_delivered, "every partner got its messages");
    let received: Vec<(String, i64)> = ivd_gateway::on_read!(&db, c => {
        sqlx::query_as("SELECT partner, COUNT(*) FROM inbound_receipts GROUP BY partner ORDER BY partner")
            .fetch_all(c)
            .await
            .unwrap()
    });
    let from = |partner: &str| received.iter().any(|(p, n)| p == partner && *n > 0);
    assert!(
        from("state-55") && from("tribe-90830"),
        "answers came back: {received:?}"
    );
    let alerts = ivd_gateway::alerts::list(&db, None, 100).await.unwrap();
    let outage = alerts
        .iter()
        .find(|a| a.key == "partner-down:state-55")
        .expect("the outage alert");
    assert_eq!(
        (outage.state.as_str(), outage.changes),
        ("resolved", 2),
        "down, then back"
    );

    // And the dashboard shows it to a signed-in operator.
    let token = std::fs::read_to_string(dir.join("operator-token.txt")).unwrap();
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let (_, cookies, _) = ivd_testkit::sign_in_over_http(
        &http,
        &format!("http://127.0.0.1:{port}"),
        "/sign-in",
        "demo-operator",
        token.trim(),
    )
    .await;
    let cookie = ivd_testkit::session_cookie(&cookies).expect("the demo operator signs in");
    let page = http
        .get(format!("http://127.0.0.1:{port}/"))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for partner in [
        "state-55",
        "tribe-90830",
        "employer-acme",
        "ndnh",
        "ocse-offset",
        "fidm-bank",
        "county-9",
    ] {
        assert!(
            page.contains(&format!("data-partner=\"{partner}\"")),
            "{partner} on the dashboard"
        );
    }
    assert!(
        page.contains("href=\"/dead-letters\""),
        "the county's dead letter is linked"
    );
    db.close().await;
}
