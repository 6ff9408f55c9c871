//! `schemas/openapi.yaml` describes every HTTP route the gateway serves — no more and no
//! fewer: the routes registered in the source are compared with the document, and every
//! documented operation is sent to a running gateway, which must have a route for it.

mod support;

use std::collections::BTreeSet;
use std::path::Path;

use support::app::TestApp;
use support::{TestDb, gateway_settings};

const METHODS: [&str; 5] = ["get", "post", "put", "delete", "patch"];

type Operation = (String, String);

fn documented() -> BTreeSet<Operation> {
    let text =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/schemas/openapi.yaml"))
            .expect("schemas/openapi.yaml");
    let document: serde_json::Value = serde_yaml_ng::from_str(&text).expect("valid YAML");
    assert_eq!(document["openapi"].as_str().map(|v| &v[..2]), Some("3."));
    let paths = document["paths"].as_object().expect("paths");
    let mut operations = BTreeSet::new();
    for (path, item) in paths {
        let item = item.as_object().unwrap();
        for method in METHODS {
            if let Some(operation) = item.get(method) {
                assert!(
                    operation["summary"].is_string(),
                    "{method} {path} has a summary"
                );
                assert!(
                    operation["responses"].is_object(),
                    "{method} {path} has responses"
                );
                operations.insert((method.to_uppercase(), path.clone()));
            }
        }
    }
    operations
}

/// Every `.route("PATH", get(..).post(..))` in `src/` — test modules aside, and the
/// channel the library's own tests register (`src/channels/probe/`), which is compiled into
/// no gateway.
fn registered() -> BTreeSet<Operation> {
    let mut operations = BTreeSet::new();
    let mut stack = vec![Path::new(env!("CARGO_MANIFEST_DIR")).join("src")];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                if path.file_name().is_none_or(|n| n != "probe") {
                    stack.push(path);
                }
            } else if path.extension().is_some_and(|e| e == "rs")
                && path.file_name().is_some_and(|n| n != "tests.rs")
            {
                routes_in(&std::fs::read_to_string(&path).unwrap(), &mut operations);
            }
        }
    }
    operations
}

fn routes_in(source: &str, operations: &mut BTreeSet<Operation>) {
    // Line comments may sit between the arguments; they never hold a route.
    let code: String = source
        .lines()
        .map(|line| line.split("//").next().unwrap_or(""))
        .collect::<Vec<_>>()
        .join("\n");
    let mut rest = code.as_str();
    while let Some(at) = rest.find(".route(") {
        rest = &rest[at + ".route(".len()..];
        let Some(open) = rest.find('"') else { break };
        let after = &rest[open + 1..];
        let close = after.find('"').unwrap();
        let path = &after[..close];
        // The route's arguments end where its parenthesis closes.
        let mut depth = 1;
        let mut end = 0;
        for (i, c) in rest.char_indices() {
            match c {
                '(' => depth += 1,
                ')' => {
                    depth -= 1;
                    if depth == 0 {
                        end = i;
                        break;
                    }
                }
                _ => {}
            }
        }
        let arguments = &rest[open + close + 2..end];
        for method in METHODS {
            let call = format!("{method}(");
            let found = arguments.match_indices(&call).any(|(i, _)| {
                i == 0
                    || !arguments.as_bytes()[i - 1].is_ascii_alphanumeric()
                        && arguments.as_bytes()[i - 1] != b'_'
            });
            if found {
                operations.insert((method.to_uppercase(), path.to_string()));
            }
        }
        rest = &rest[end..];
    }
}

#[test]
fn every_route_in_the_source_is_documented_and_nothing_else() {
    let documented = documented();
    let registered = registered();
    assert!(
        registered.len() >= 25,
        "the scan finds the routes: {registered:?}"
    );
    let undocumented: Vec<_> = registered.difference(&documented).collect();
    let stale: Vec<_> = documented.difference(&registered).collect();
    assert!(
        undocumented.is_empty(),
        "routes missing from schemas/openapi.yaml: {undocumented:?}"
    );
    assert!(
        stale.is_empty(),
        "documented routes the gateway does not have: {stale:?}"
    );
}

/// A route exists when the answer is anything but the router's own "no route" (404 with
/// the fallback's detail) or "method not allowed" (405).
fn routed(status: u16, body: &str) -> bool {
    status != 405 && !(status == 404 && body.contains(ivd_gateway::web::NO_ROUTE))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_documented_operation_reaches_a_handler() {
    let t = TestDb::sqlite().await;
    let settings = gateway_settings(&t, Vec::new());
    let gateway = TestApp::spawn_with(settings).await;
    let partner_client = gateway.dev_partner_client();
    let api_client = reqwest::Client::new();
    let send = |method: &str, path: &str| {
        let concrete = path
            .replace("{id}", "1")
            .replace("{receipt}", "1")
            .replace("{run}", "1");
        let (client, url) = if path.starts_with("/partner/") {
            (
                &partner_client,
                format!(
                    "https://localhost:{}{concrete}",
                    gateway.partner_addr.port()
                ),
            )
        } else {
            (
                &api_client,
                format!("http://{}{concrete}", gateway.api_addr),
            )
        };
        let request = client
            .request(method.parse().unwrap(), url)
            .header("content-type", "application/json")
            .body("{}");
        async move {
            let response = request.send().await.unwrap();
            let status = response.status().as_u16();
            (status, response.text().await.unwrap_or_default())
        }
    };
    // The probe tells a missing route from a handler's answer.
    let (status, body) = send("GET", "/operator/v1/no-such-route").await;
    assert!(!routed(status, &body), "{status} {body}");
    let (status, body) = send("DELETE", "/state/v1/events").await;
    assert!(!routed(status, &body), "{status} {body}");

    for (method, path) in documented() {
        let (status, body) = send(&method, &path).await;
        assert!(routed(status, &body), "{method} {path}: {status} {body}");
    }
    gateway.stop().await;
    t.cleanup().await;
}
