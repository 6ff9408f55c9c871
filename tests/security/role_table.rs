//! The role table of `SECURITY.md`, walked: every operation of `schemas/openapi.yaml` (the
//! APIs and the pages) is sent with no credential, with each role's token or session, and
//! as an employer of another FEIN, and must answer as the table says. An operation missing
//! from the table, or a row naming no operation, fails the walk.

use std::collections::{BTreeMap, BTreeSet};

use ivd_eiwo::{AckAction, AckBatch, Acknowledgment, Disposition, FileHeaderInfo};
use ivd_gateway::store::now_ms;
use ivd_gateway::store::tokens::{self, Role};
use ivd_model::{CaseId, Fein};
use serde_json::Value;

use super::identity::{ACME_FEIN, NORTHWIND_FEIN, Site, field_value, order_sent, upload, w4_file};
use crate::support::employers::upload_form;
use crate::support::{self, Behaviour, MockPartner, TestDb, http_partner};

crate::on_both_backends!(every_route_answers_each_role_as_the_role_table_says);

/// The holders, in the table's column order.
const HOLDERS: [&str; 7] = [
    "none",
    "state-system",
    "operator",
    "admin",
    "fti-reader",
    "employer",
    "other employer",
];

/// `(method, path)` → the expected answer per holder, from `SECURITY.md`.
fn role_table() -> BTreeMap<(String, String), Vec<String>> {
    let text = include_str!("../../SECURITY.md");
    let mut table = BTreeMap::new();
    let mut header_seen = false;
    for line in text.lines().map(str::trim) {
        if line.starts_with("| operation |") {
            let columns: Vec<&str> = line.trim_matches('|').split('|').map(str::trim).collect();
            assert_eq!(&columns[1..], &HOLDERS, "the table's columns");
            header_seen = true;
            continue;
        }
        if !header_seen || !line.starts_with("| `") {
            continue;
        }
        let cells: Vec<String> = line
            .trim_matches('|')
            .split('|')
            .map(|c| c.trim().to_string())
            .collect();
        let operation = cells[0].trim_matches('`');
        let (method, path) = operation.split_once(' ').expect("METHOD /path");
        assert_eq!(cells.len(), 1 + HOLDERS.len(), "{line}");
        let known = ["✓", "401", "403", "404", "422", "sign-in", "mTLS"];
        for cell in &cells[1..] {
            assert!(
                known.contains(&cell.as_str()),
                "unknown cell {cell:?} in {line}"
            );
        }
        table.insert((method.to_string(), path.to_string()), cells[1..].to_vec());
    }
    assert!(header_seen, "SECURITY.md has the role table");
    table
}

/// Every operation `schemas/openapi.yaml` documents.
fn documented() -> BTreeSet<(String, String)> {
    let text = include_str!("../../schemas/openapi.yaml");
    let document: Value = serde_yaml_ng::from_str(text).unwrap();
    let mut operations = BTreeSet::new();
    for (path, item) in document["paths"].as_object().unwrap() {
        for method in ["get", "post", "put", "delete", "patch"] {
            if item.get(method).is_some() {
                operations.insert((method.to_uppercase(), path.clone()));
            }
        }
    }
    operations
}

/// What one holder brings to a request.
#[derive(Clone, Default)]
struct Credential {
    /// The account's name and token (none for "none").
    name: String,
    token: Option<String>,
    /// A dashboard session (operators and admins) and its CSRF token.
    dashboard: Option<(String, String)>,
    /// An employer-pages session (employers) and its CSRF token.
    employer_pages: Option<(String, String)>,
}

/// The things the requests name: a case, a message, a receipt, an order, a run, a job,
/// a request for an employer account.
struct Fixture {
    case_id: String,
    case_body: String,
    message_id: i64,
    receipt_id: String,
    order: String,
    run_id: i64,
    job: String,
    registration_id: String,
    ack_file: Vec<u8>,
    w4_file: Vec<u8>,
}

fn concrete_path(template: &str, fixture: &Fixture) -> String {
    let id = if template.starts_with("/state/") {
        fixture.case_id.clone()
    } else if template.starts_with("/operator/v1/outbox/") || template.starts_with("/dead-letters/")
    {
        fixture.message_id.to_string()
    } else if template.contains("/runs/") {
        fixture.run_id.to_string()
    } else if template.starts_with("/receipts/") || template.starts_with("/employer/receipts/") {
        fixture.receipt_id.clone()
    } else if template.starts_with("/employer/orders/") {
        fixture.order.clone()
    } else if template.starts_with("/employer-accounts/") {
        fixture.registration_id.clone()
    } else {
        "1".to_string()
    };
    template
        .replace("{id}", &id)
        .replace("{receipt}", &fixture.receipt_id)
        .replace("{job}", &fixture.job)
        .replace("{run}", &fixture.run_id.to_string())
}

/// The answer of one request: its status and, for a redirect, where to.
struct Answer {
    status: u16,
    location: String,
    body: String,
    /// The answer removed the session cookie (a sign-out's own way to the sign-in page).
    signed_out: bool,
}

impl Answer {
    /// Sent to the sign-in page for want of a session (not as the end of signing out).
    fn to_sign_in(&self) -> bool {
        self.status == 303 && self.location.ends_with("sign-in") && !self.signed_out
    }

    /// True when the answer is what the table's `cell` says.
    fn matches(&self, cell: &str, table_row: &[String]) -> bool {
        match cell {
            "401" => self.status == 401,
            "403" => self.status == 403,
            "404" => self.status == 404,
            "422" => self.status == 422,
            "sign-in" => self.to_sign_in(),
            "mTLS" => self.status == 404,
            "✓" => {
                let refusals_of_this_row: Vec<u16> = table_row
                    .iter()
                    .filter_map(|c| c.parse::<u16>().ok())
                    .collect();
                ![401, 403].contains(&self.status)
                    && !refusals_of_this_row.contains(&self.status)
                    && !self.to_sign_in()
            }
            _ => false,
        }
    }
}

/// A new-hire form as a person fills it in, for Acme's FEIN.
fn new_hire_form() -> Vec<(&'static str, String)> {
    let hired = time::OffsetDateTime::now_utc().date() - time::Duration::days(3);
    vec![
        ("employee_first_name", "Jordan".into()),
        ("employee_last_name", "Rivera-Lee".into()),
        ("employee_ssn", "345-67-8901".into()),
        ("employee_address_line1", "12 Elm Street".into()),
        ("employee_city", "Saint Paul".into()),
        ("employee_state", "MN".into()),
        ("employee_zip", "55101".into()),
        ("employee_birth_date", "1990-04-30".into()),
        ("employee_hire_date", hired.to_string()),
        ("employee_state_of_hire", "MN".into()),
        ("employer_fein", ACME_FEIN.into()),
        ("employer_name", "Acme Tools".into()),
        ("employer_address_line1", "400 Main Street".into()),
        ("employer_city", "Minneapolis".into()),
        ("employer_state", "MN".into()),
        ("employer_zip", "55401".into()),
    ]
}

/// Sends `method path` as `holder` would; pages get the holder's session of their area
/// (and a bearer token, which opens no page, when the holder has no session).
async fn send(
    site: &Site,
    method: &str,
    template: &str,
    fixture: &Fixture,
    holder: &Credential,
    seq: usize,
) -> Answer {
    let path = concrete_path(template, fixture);
    let is_page = !template.starts_with("/state/")
        && !template.starts_with("/operator/")
        && !template.starts_with("/employer/v1/")
        && !template.starts_with("/fti/")
        && !template.starts_with("/partner/")
        && !matches!(template, "/healthz" | "/readyz" | "/metrics");
    let employer_area = template == "/employer" || template.starts_with("/employer/");
    // Sign-in and sign-out are walked with fresh sessions, so the walk keeps its own.
    if method == "POST" && (template == "/sign-in" || template == "/employer/sign-in") {
        let name = if holder.name.is_empty() {
            "nobody".to_string()
        } else {
            holder.name.clone()
        };
        let token = holder.token.clone().unwrap_or_else(|| "ivd_nothing".into());
        let (status, _, body) =
            support::sign_in_over_http(&site.http, &site.base, template, &name, &token).await;
        let location = if status == 303 {
            "/".to_string()
        } else {
            String::new()
        };
        return Answer {
            status,
            location,
            body,
            signed_out: false,
        };
    }
    if method == "POST" && (template == "/sign-out" || template == "/employer/sign-out") {
        let page = if employer_area {
            "/employer/sign-in"
        } else {
            "/sign-in"
        };
        let session = match (&holder.token, employer_area) {
            (Some(token), _) => {
                let (_, cookie, _) = site
                    .sign_in_with(&site.http, page, &holder.name, token)
                    .await;
                cookie
            }
            _ => None,
        };
        let cookie = session.unwrap_or_default();
        let home = if employer_area { "/employer" } else { "/" };
        let csrf = if cookie.is_empty() {
            "none".to_string()
        } else {
            let (_, _, html) = site.get(&cookie, home).await;
            html.split("name=\"csrf\" value=\"")
                .nth(1)
                .and_then(|rest| rest.split('"').next())
                .unwrap_or("none")
                .to_string()
        };
        let response = site
            .http
            .post(site.url(template))
            .header("cookie", &cookie)
            .form(&[("csrf", csrf.as_str())])
            .send()
            .await
            .unwrap();
        let signed_out = response
            .headers()
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .any(|v| v.starts_with("ivd_session=;"));
        let status = response.status().as_u16();
        let location = response
            .headers()
            .get("location")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string();
        return Answer {
            status,
            location,
            body: response.text().await.unwrap_or_default(),
            signed_out,
        };
    }
    if method == "POST" && template == "/employer/register" {
        let (status, body) = site
            .register(
                &site.http,
                "",
                &format!("walker-{seq}"),
                &format!("43{seq:07}"),
            )
            .await;
        return Answer {
            status,
            location: String::new(),
            body,
            signed_out: false,
        };
    }

    let session = if is_page {
        if employer_area {
            holder.employer_pages.clone()
        } else {
            holder.dashboard.clone()
        }
    } else {
        None
    };
    let mut request = site.http.request(method.parse().unwrap(), site.url(&path));
    if let Some((cookie, _)) = &session {
        request = request.header("cookie", cookie);
    } else if let Some(token) = &holder.token {
        request = request.bearer_auth(token);
    }
    let csrf = session
        .as_ref()
        .map(|(_, csrf)| csrf.clone())
        .unwrap_or_default();
    request = match (method, template) {
        ("PUT", "/state/v1/cases/{id}") => request.body(fixture.case_body.clone()),
        ("POST", "/state/v1/cases/bulk") => {
            let case: Value = serde_json::from_str(&fixture.case_body).unwrap();
            request
                .header("content-type", "application/x-ndjson")
                .body(format!("{}\n", serde_json::json!({ "case": case })))
        }
        ("POST", "/state/v1/cases/{id}/transactions") => request.json(&serde_json::json!({
            "partner": "state-55", "format": "case-json"
        })),
        ("POST", "/operator/v1/outbox/{id}/redeliver" | "/operator/v1/outbox/{id}/replay") => {
            request.json(&serde_json::json!({ "reason": "walking the role table" }))
        }
        ("POST", "/operator/v1/reconcile/jobs/{job}/run") => {
            request.json(&serde_json::json!({ "dryRun": true }))
        }
        ("POST", "/employer/v1/new-hires") => request.body(fixture.w4_file.clone()),
        ("POST", "/employer/v1/iwo-acknowledgments") => request.body(fixture.ack_file.clone()),
        ("POST", "/dead-letters/{id}/redeliver" | "/dead-letters/{id}/replay") => request.form(&[
            ("csrf", csrf.as_str()),
            ("reason", "walking the role table"),
        ]),
        ("POST", "/employer-accounts/{id}") => {
            request.form(&[("csrf", csrf.as_str()), ("decision", "refuse")])
        }
        ("POST", "/employer/new-hire") => {
            let mut form: Vec<(&str, String)> = new_hire_form();
            form.push(("csrf", csrf.clone()));
            request.form(&form)
        }
        ("POST", "/employer/files" | "/employer/files/check") => {
            let (content_type, body) = upload_form(&csrf, &fixture.w4_file);
            request.header("content-type", content_type).body(body)
        }
        ("POST", "/employer/orders/{id}") => request.form(&[
            ("csrf", csrf.as_str()),
            ("answer", "accept"),
            ("action", "original"),
        ]),
        _ => request,
    };
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let location = response
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    Answer {
        status,
        location,
        body: response.text().await.unwrap_or_default(),
        signed_out: false,
    }
}

async fn every_route_answers_each_role_as_the_role_table_says(t: TestDb) {
    let table = role_table();
    let documented = documented();
    let in_table: BTreeSet<(String, String)> = table.keys().cloned().collect();
    let undocumented: Vec<_> = documented.difference(&in_table).collect();
    assert!(
        undocumented.is_empty(),
        "operations missing from SECURITY.md's role table: {undocumented:?}"
    );
    let stale: Vec<_> = table.keys().filter(|k| !documented.contains(*k)).collect();
    assert!(
        stale.is_empty(),
        "rows for operations openapi.yaml does not have: {stale:?}"
    );

    let mock = MockPartner::start(Behaviour::default()).await;
    let site = Site::start(&t, |settings| {
        settings.partners = vec![http_partner("state-55", &mock.endpoint(), 3)];
        // The walk is hundreds of requests from one address; its subject is authorization.
        settings.server.anonymous_requests_per_minute = 0;
        settings.server.anonymous_requests_per_minute_per_address = 0;
        settings.server.token_requests_per_minute = 0;
        settings.employers.registrations_per_address_per_hour = 1_000;
    })
    .await;

    // The holders.
    let now = now_ms();
    let mut holders: BTreeMap<&str, Credential> = BTreeMap::new();
    holders.insert("none", Credential::default());
    for (column, name, role, fein) in [
        ("state-system", "case-system", Role::StateSystem, None),
        ("operator", "ops-jane", Role::Operator, None),
        ("admin", "admin-kim", Role::Admin, None),
        ("fti-reader", "fti-clerk", Role::FtiReader, None),
        ("employer", "acme-payroll", Role::Employer, Some(ACME_FEIN)),
        (
            "other employer",
            "northwind-payroll",
            Role::Employer,
            Some(NORTHWIND_FEIN),
        ),
    ] {
        let feins: Vec<Fein> = fein.iter().map(|f| Fein::parse(f).unwrap()).collect();
        let token = tokens::issue_scoped(&t.db, name, role, &feins, now)
            .await
            .unwrap();
        let mut credential = Credential {
            name: name.to_string(),
            token: Some(token.clone()),
            ..Credential::default()
        };
        for (page, home) in [("/sign-in", "/"), ("/employer/sign-in", "/employer")] {
            let (status, cookie, _) = site.sign_in_with(&site.http, page, name, &token).await;
            if let (303, Some(cookie)) = (status, cookie) {
                let (_, _, html) = site.get(&cookie, home).await;
                let csrf = field_value(&html, "csrf");
                if page == "/sign-in" {
                    credential.dashboard = Some((cookie, csrf));
                } else {
                    credential.employer_pages = Some((cookie, csrf));
                }
            }
        }
        holders.insert(column, credential);
    }
    let token_of = |column: &str| holders[column].token.clone().unwrap();

    // The things the requests name.
    let case_body = super::TANF.to_string();
    let case: Value = serde_json::from_str(&case_body).unwrap();
    let case_id = case["id"].as_str().unwrap().to_string();
    let pushed = site
        .http
        .put(site.url(&format!("/state/v1/cases/{case_id}")))
        .bearer_auth(token_of("state-system"))
        .body(case_body.clone())
        .send()
        .await
        .unwrap();
    assert!(pushed.status().is_success());
    let message_id = {
        let mut tx = t.db.begin().await.unwrap();
        let id = ivd_gateway::outbox::enqueue(
            &mut tx,
            &support::test_message("state-55", "walk-1", 1, 5, now),
            now,
        )
        .await
        .unwrap()
        .id();
        tx.commit().await.unwrap();
        id
    };
    let w4 = w4_file(ACME_FEIN, 2, 17, None);
    let (status, answer) = upload(&site, &token_of("employer"), w4.clone()).await;
    assert_eq!(status, 201, "{answer}");
    let receipt_id = answer["receiptId"].as_str().unwrap().to_string();
    order_sent(&t.db, "WALK-ORDER-1", "MN-WALK-1", ACME_FEIN).await;
    let jobs: Value = site
        .http
        .get(site.url("/operator/v1/reconcile/jobs"))
        .bearer_auth(token_of("operator"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let job = jobs[0]["name"].as_str().unwrap().to_string();
    let run: Value = site
        .http
        .post(site.url(&format!("/operator/v1/reconcile/jobs/{job}/run")))
        .bearer_auth(token_of("operator"))
        .json(&serde_json::json!({ "dryRun": true }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let run_id = run["id"].as_i64().expect("a run id");
    let (status, _) = site
        .register(&site.http, "", "walk-request", "439999999")
        .await;
    assert_eq!(status, 200);
    let (_, _, list) = site
        .get(
            &holders["admin"].dashboard.as_ref().unwrap().0,
            "/employer-accounts",
        )
        .await;
    let registration_id = list
        .split("<tr data-request=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap()
        .to_string();
    let created = time::OffsetDateTime::now_utc();
    let ack_file = ivd_eiwo::write_acknowledgments(
        &FileHeaderInfo {
            control_number: "41A0000000000000000077".into(),
            state_fips: None,
            ein: Fein::parse(ACME_FEIN).unwrap(),
            primary_ein: None,
            created: time::PrimitiveDateTime::new(created.date(), created.time()),
        },
        &[AckBatch {
            control_number: "41B0000000000000000077".into(),
            fein: Fein::parse(ACME_FEIN).unwrap(),
            acknowledgments: vec![Acknowledgment::answer(
                AckAction::Original,
                CaseId::parse("MN-WALK-1").unwrap(),
                Fein::parse(ACME_FEIN).unwrap(),
                "WALK-ORDER-1",
                Disposition::ACCEPTED,
            )],
        }],
    )
    .unwrap();
    let fixture = Fixture {
        case_id,
        case_body,
        message_id,
        receipt_id,
        order: "WALK-ORDER-1".into(),
        run_id,
        job,
        registration_id,
        ack_file,
        w4_file: w4,
    };

    // The walk.
    let mut wrong = Vec::new();
    let mut seq = 0;
    for ((method, path), cells) in &table {
        for (column, cell) in HOLDERS.iter().zip(cells) {
            seq += 1;
            let answer = send(&site, method, path, &fixture, &holders[column], seq).await;
            if !answer.matches(cell, cells) {
                let excerpt: String = answer.body.chars().take(160).collect();
                wrong.push(format!(
                    "{method} {path} as {column}: expected {cell}, got {} {} {excerpt}",
                    answer.status, answer.location
                ));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "{} answers differ from the role table:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
    site.stop().await;
    t.cleanup().await;
}
