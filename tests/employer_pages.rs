//! Employers use the employer pages: sign in, report one new hire, check and send a file,
//! read receipts and history, and answer a withholding order.
//!
//! - Without JavaScript (plain form posts, on both backends): every essential path, the
//!   CSRF token and sign-in refusals, and that one employer never sees another's receipts
//!   or orders.
//! - In headless Chromium (chromedriver): the same walk as an employer would do it, the
//!   field checks as the user types, and axe-core (from npm, run in the page) finding no
//!   serious or critical accessibility violation on any page. Screenshots are saved under
//!   the test's target directory.

mod support;

use std::path::PathBuf;
use std::process::Command;

use fantoccini::{Client, Locator};
use ivd_gateway::channels::employers::iwo;
use ivd_gateway::store::now_ms;
use ivd_gateway::store::tokens::{self, Role};
use ivd_model::Fein;
use ivd_newhire::Format;
use ivd_newhire::generate::Generator;
use support::TestDb;
use support::app::TestApp;
use support::browser::{Chromedriver, page_showing, screenshot};
use support::employers::{employer_token, order_sent, upload_form};
use support::issue_token;
use support::pages::Visitor;

on_both_backends!(
    an_employer_uses_every_page_without_javascript_and_sees_only_its_own,
    an_employer_asks_for_an_account_and_an_admin_approves_it,
);

const OUR_FEIN: &str = "411234567";
const OTHER_FEIN: &str = "527654321";
const OUR_CASE: &str = "MN-0001234";
const OTHER_CASE: &str = "MN-0009999";
const OUR_ORDER: &str = "270000000001";
const OTHER_ORDER: &str = "270000000002";

struct Pages {
    gateway: TestApp,
    visitor: Visitor,
    our_token: String,
    other_token: String,
}

impl Pages {
    async fn start(t: &TestDb) -> Pages {
        let gateway = TestApp::spawn(t, Vec::new()).await;
        let our_token = employer_token(&t.db, "acme-payroll", OUR_FEIN).await;
        let other_token = employer_token(&t.db, "other-payroll", OTHER_FEIN).await;
        order_sent(&t.db, OUR_ORDER, OUR_CASE, OUR_FEIN).await;
        order_sent(&t.db, OTHER_ORDER, OTHER_CASE, OTHER_FEIN).await;
        let visitor = gateway.visitor();
        Pages {
            gateway,
            visitor,
            our_token,
            other_token,
        }
    }

    fn url(&self, path: &str) -> String {
        self.visitor.url(path)
    }

    /// Signs in; returns the cookie header value.
    async fn sign_in(&self, name: &str, token: &str) -> String {
        self.sign_in_at("/employer/sign-in", name, token).await
    }

    /// Signs in on `page` (the employer pages' or the dashboard's); returns the cookie.
    async fn sign_in_at(&self, page: &str, name: &str, token: &str) -> String {
        let base = self.url("");
        let (status, cookies, body) =
            support::sign_in_over_http(&self.visitor.http, &base, page, name, token).await;
        assert_eq!(status, 303, "{body}");
        let cookie = cookies
            .iter()
            .find(|c| c.starts_with("ivd_session="))
            .expect("a session cookie");
        assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"));
        cookie.split(';').next().unwrap().to_string()
    }

    /// A sign-in attempt on the employer pages; returns the status and the page.
    async fn try_sign_in(&self, name: &str, token: &str) -> (u16, String) {
        let base = self.url("");
        let (status, _, body) =
            support::sign_in_over_http(&self.visitor.http, &base, "/employer/sign-in", name, token)
                .await;
        (status, body)
    }

    async fn get(&self, cookie: &str, path: &str) -> (u16, String) {
        let (status, _, page) = self.visitor.get(cookie, path).await;
        (status, page)
    }

    /// Posts a form; returns the status and the `Location` (or, without one, the page).
    async fn post_form(&self, cookie: &str, path: &str, form: &[(&str, &str)]) -> (u16, String) {
        let (status, location, page) = self.visitor.post_form(cookie, path, form).await;
        (status, if location.is_empty() { page } else { location })
    }

    /// Posts a file form (multipart, as a browser does); returns status and Location or body.
    async fn post_file(&self, cookie: &str, path: &str, csrf: &str, file: &[u8]) -> (u16, String) {
        let (content_type, body) = upload_form(csrf, file);
        let response = self
            .visitor
            .http
            .post(self.url(path))
            .header("cookie", cookie)
            .header("content-type", content_type)
            .body(body)
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        let location = response
            .headers()
            .get("location")
            .map(|l| l.to_str().unwrap().to_string());
        let body = response.text().await.unwrap_or_default();
        (status, location.unwrap_or(body))
    }
}

/// The CSRF token a page's forms carry.
fn csrf_of(html: &str) -> String {
    let at = html
        .find("name=\"csrf\" value=\"")
        .expect("a form with a CSRF token")
        + 19;
    html[at..at + html[at..].find('"').unwrap()].to_string()
}

fn today() -> time::Date {
    time::OffsetDateTime::now_utc().date()
}

/// A W4 file of three reports for our employer; the second's SSN cannot be one.
fn w4_file_with_a_bad_ssn() -> Vec<u8> {
    let mut generator = Generator::new(11, today()).with_fein(Fein::parse(OUR_FEIN).unwrap());
    let mut writer = ivd_newhire::write_new_hires(Format::W4, Vec::new());
    for _ in 0..3 {
        writer.push(&generator.new_hire()).unwrap();
    }
    let mut file = writer.finish().unwrap();
    let start = 803 + 2;
    file[start..start + 9].copy_from_slice(b"000000000");
    file
}

/// A new hire as a person fills in the form (lower case, an SSN with dashes).
fn new_hire_form(ssn: &str) -> Vec<(&'static str, String)> {
    let hired = today() - time::Duration::days(3);
    vec![
        ("employee_first_name", "Jordan".into()),
        ("employee_last_name", "Rivera-Lee".into()),
        ("employee_ssn", ssn.into()),
        ("employee_address_line1", "12 Elm Street".into()),
        ("employee_city", "Saint Paul".into()),
        ("employee_state", "MN".into()),
        ("employee_zip", "55101".into()),
        ("employee_birth_date", "1990-04-30".into()),
        ("employee_hire_date", hired.to_string()),
        ("employee_state_of_hire", "MN".into()),
        ("employer_fein", OUR_FEIN.into()),
        ("employer_name", "Acme Tools".into()),
        ("employer_address_line1", "400 Main Street".into()),
        ("employer_city", "Minneapolis".into()),
        ("employer_state", "MN".into()),
        ("employer_zip", "55401".into()),
    ]
}

fn with_csrf<'a>(form: &'a [(&'static str, String)], csrf: &'a str) -> Vec<(&'a str, &'a str)> {
    let mut out: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    out.push(("csrf", csrf));
    out
}

async fn an_employer_uses_every_page_without_javascript_and_sees_only_its_own(t: TestDb) {
    let pages = Pages::start(&t).await;

    // Sign-in: not signed in goes to sign-in; a wrong token is refused without saying why.
    let (status, location) = pages.get("", "/employer").await;
    assert_eq!(status, 303, "{location}");
    let (status, body) = pages.try_sign_in("acme-payroll", "ivd_wrong").await;
    assert_eq!(status, 401);
    assert!(body.contains("do not match"), "{body}");
    // An operator's token does not open the employer pages.
    let operator = issue_token(&t.db, "ops", Role::Operator).await;
    let (status, _) = pages.try_sign_in("ops", &operator).await;
    assert_eq!(status, 401);
    let ours = pages.sign_in("acme-payroll", &pages.our_token).await;
    let (status, home) = pages.get(&ours, "/employer").await;
    assert_eq!(status, 200);
    assert!(home.contains("41-1234567"), "{home}");
    assert!(
        home.contains("1 withholding order(s) need your answer"),
        "{home}"
    );
    let csrf = csrf_of(&home);

    // One new hire: a form without the session's CSRF token is refused.
    let good = new_hire_form("123-45-6789");
    let (status, _) = pages
        .post_form(
            &ours,
            "/employer/new-hire",
            &with_csrf(&good, "not-the-token"),
        )
        .await;
    assert_eq!(status, 403);

    // A bad SSN: the file intake's own message, tied to the field and in the summary.
    let bad = new_hire_form("000-12-3456");
    let (status, body) = pages
        .post_form(&ours, "/employer/new-hire", &with_csrf(&bad, &csrf))
        .await;
    assert_eq!(status, 422, "{body}");
    assert!(
        body.contains("SSN area 000, 666 and 900-999 are never issued"),
        "{body}"
    );
    assert!(body.contains("href=\"#employee_ssn\""), "{body}");
    let field = &body[body.find("id=\"employee_ssn\"").unwrap()..];
    let field = &field[..field.find('>').unwrap()];
    assert!(field.contains("aria-invalid=\"true\""), "{field}");
    assert!(field.contains("employee_ssn-error"), "{field}");
    // The values typed are kept, the SSN included only in its own field.
    assert!(body.contains("value=\"Rivera-Lee\""), "{body}");

    // A good one goes through the file intake; the confirmation is its receipt.
    let (status, location) = pages
        .post_form(&ours, "/employer/new-hire", &with_csrf(&good, &csrf))
        .await;
    assert_eq!(status, 303, "{location}");
    assert!(location.ends_with("?sent=new-hire"), "{location}");
    let first_receipt = location
        .trim_start_matches("/employer/receipts/")
        .split('?')
        .next()
        .unwrap()
        .to_string();
    let (status, receipt) = pages.get(&ours, &location).await;
    assert_eq!(status, 200);
    assert!(
        receipt.contains("Your new hire report was received"),
        "{receipt}"
    );
    assert!(receipt.contains("Waiting to be sent"), "{receipt}");
    assert!(!receipt.contains("123456789"), "no SSN on a receipt");

    // Check my file: each bad record with field, position and what to fix; nothing kept.
    let file = w4_file_with_a_bad_ssn();
    let (status, checked) = pages
        .post_file(&ours, "/employer/files/check", &csrf, &file)
        .await;
    assert_eq!(status, 200, "{checked}");
    assert!(checked.contains("3 record(s) read as W4"), "{checked}");
    assert!(checked.contains("1 record(s) need fixing"), "{checked}");
    let row = &checked[checked.find("<tbody>").unwrap()..];
    assert!(
        row.contains("<td class=\"num\">2</td><td>employee_ssn</td><td class=\"num\">3</td>"),
        "{row}"
    );
    let (_, history) = pages.get(&ours, "/employer/history").await;
    assert_eq!(history.matches("href=\"/employer/receipts/").count(), 1);
    let (status, _) = pages
        .post_file(&ours, "/employer/files/check", "wrong", &file)
        .await;
    assert_eq!(status, 403);

    // Send it: a receipt with each record, and its CSV.
    let (status, location) = pages
        .post_file(&ours, "/employer/files", &csrf, &file)
        .await;
    assert_eq!(status, 303, "{location}");
    let file_receipt = location
        .trim_start_matches("/employer/receipts/")
        .split('?')
        .next()
        .unwrap()
        .to_string();
    let (_, receipt) = pages.get(&ours, &location).await;
    assert!(receipt.contains("Your file was received"), "{receipt}");
    assert!(receipt.contains("Needs fixing"), "{receipt}");
    let (status, csv) = pages
        .get(&ours, &format!("/employer/receipts/{file_receipt}/csv"))
        .await;
    assert_eq!(status, 200);
    assert!(
        csv.starts_with("record,status,field,position,code"),
        "{csv}"
    );
    assert!(
        csv.contains("2,invalid,employee_ssn,3,SSN_AREA,error,"),
        "{csv}"
    );
    // The same file again is the same receipt.
    let (status, location) = pages
        .post_file(&ours, "/employer/files", &csrf, &file)
        .await;
    assert_eq!(status, 303);
    assert!(location.contains(&file_receipt) && location.ends_with("?sent=again"));

    // History: both uploads, with how many records went on.
    let (_, history) = pages.get(&ours, "/employer/history").await;
    assert_eq!(history.matches("href=\"/employer/receipts/").count(), 2);
    assert!(history.contains("0 of 2"), "{history}");

    // Orders: only ours; a rejection needs a reason; the answer goes through the
    // acknowledgment intake.
    let (_, orders) = pages.get(&ours, "/employer/orders").await;
    assert!(
        orders.contains(OUR_ORDER) && !orders.contains(OTHER_ORDER),
        "{orders}"
    );
    let path = format!("/employer/orders/{OUR_ORDER}");
    let (status, body) = pages
        .post_form(&ours, &path, &[("csrf", &csrf), ("answer", "reject")])
        .await;
    assert_eq!(status, 422);
    assert!(
        body.contains("Choose the reason you reject the order"),
        "{body}"
    );
    let (status, _) = pages.post_form(&ours, &path, &[("answer", "accept")]).await;
    assert_eq!(status, 403, "no CSRF token, no answer");
    let (status, location) = pages
        .post_form(
            &ours,
            &path,
            &[("csrf", &csrf), ("answer", "reject"), ("reason", "N")],
        )
        .await;
    assert_eq!(status, 303, "{location}");
    let (_, order) = pages.get(&ours, &location).await;
    assert!(order.contains("Your answer was received"), "{order}");
    assert!(
        order.contains("You rejected it: no longer employed by this employer"),
        "{order}"
    );
    let stored = iwo::orders_for_case(&t.db, OUR_CASE).await.unwrap();
    assert_eq!(stored[0].status, "rejected");
    assert_eq!(stored[0].reason.as_deref(), Some("N"));
    // A termination notice on the same order.
    let (status, location) = pages
        .post_form(
            &ours,
            &path,
            &[
                ("csrf", &csrf),
                ("answer", "terminated"),
                ("termination_date", &today().to_string()),
            ],
        )
        .await;
    assert_eq!(status, 303, "{location}");
    assert!(location.ends_with("done=notice"), "{location}");

    // Another employer sees none of it.
    let theirs = pages.sign_in("other-payroll", &pages.other_token).await;
    let (_, their_home) = pages.get(&theirs, "/employer").await;
    let their_csrf = csrf_of(&their_home);
    for path in [
        format!("/employer/receipts/{first_receipt}"),
        format!("/employer/receipts/{file_receipt}"),
        format!("/employer/receipts/{file_receipt}/csv"),
        format!("/employer/orders/{OUR_ORDER}"),
    ] {
        let (status, body) = pages.get(&theirs, &path).await;
        assert_eq!(status, 404, "{path}: {body}");
    }
    let (_, their_history) = pages.get(&theirs, "/employer/history").await;
    assert!(!their_history.contains(&first_receipt));
    let (_, their_orders) = pages.get(&theirs, "/employer/orders").await;
    assert!(their_orders.contains(OTHER_ORDER) && !their_orders.contains(OUR_ORDER));
    let (status, _) = pages
        .post_form(
            &theirs,
            &format!("/employer/orders/{OUR_ORDER}"),
            &[("csrf", &their_csrf), ("answer", "accept")],
        )
        .await;
    assert_eq!(status, 404);
    // Nor can it report for our FEIN by editing the form.
    let (status, body) = pages
        .post_form(
            &theirs,
            "/employer/new-hire",
            &with_csrf(&good, &their_csrf),
        )
        .await;
    assert_eq!(status, 422);
    assert!(body.contains("You may not report for this FEIN"), "{body}");

    // A revoked token ends what its sessions may do.
    tokens::revoke(&t.db, "other-payroll", "test", now_ms())
        .await
        .unwrap();
    let (status, _) = pages.get(&theirs, "/employer").await;
    assert_eq!(status, 303);

    // Five failed sign-ins lock the name out, even with the right token after them.
    for _ in 0..5 {
        let (status, _) = pages.try_sign_in("acme-payroll", "ivd_wrong").await;
        assert_eq!(status, 401);
    }
    let (status, body) = pages.try_sign_in("acme-payroll", &pages.our_token).await;
    assert_eq!(status, 401);
    assert!(body.contains("Too many failed sign-ins"), "{body}");

    // Signing out ends the session.
    let (status, _) = pages
        .post_form(&ours, "/employer/sign-out", &[("csrf", &csrf)])
        .await;
    assert_eq!(status, 303);
    let (status, _) = pages.get(&ours, "/employer").await;
    assert_eq!(status, 303);

    pages.gateway.stop().await;
    t.cleanup().await;
}

async fn an_employer_asks_for_an_account_and_an_admin_approves_it(t: TestDb) {
    let pages = Pages::start(&t).await;

    // The form pairs with a cookie: a post from elsewhere is refused.
    let form = pages
        .visitor
        .http
        .get(pages.url("/employer/register"))
        .send()
        .await
        .unwrap();
    assert_eq!(form.status().as_u16(), 200);
    let cookie = form.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_string();
    let html = form.text().await.unwrap();
    let marker = "name=\"form_token\" value=\"";
    let at = html.find(marker).unwrap() + marker.len();
    let token = html[at..at + html[at..].find('"').unwrap()].to_string();
    let request = [
        ("form_token", token.as_str()),
        ("business_name", "Northwind Payroll"),
        ("account_name", "northwind-payroll"),
        ("feins", "41-1234567, 527654321"),
        ("contact_email", "payroll@northwind.example"),
    ];
    let (status, _) = pages.post_form("", "/employer/register", &request).await;
    assert_eq!(status, 403, "no form cookie, no request");

    // A bad FEIN is tied to its field.
    let mut bad = request;
    bad[3] = ("feins", "41-123");
    let (status, body) = pages.post_form(&cookie, "/employer/register", &bad).await;
    assert_eq!(status, 422);
    assert!(body.contains("href=\"#feins\""), "{body}");
    let (status, body) = pages
        .post_form(&cookie, "/employer/register", &request)
        .await;
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("Your request was received"), "{body}");
    // The name is now taken; a pending request grants nothing.
    let (status, body) = pages
        .post_form(&cookie, "/employer/register", &request)
        .await;
    assert_eq!(status, 422);
    assert!(body.contains("That account name is taken"), "{body}");

    // An operator sees the request; deciding it is an admin's.
    let operator = issue_token(&t.db, "ops", Role::Operator).await;
    let ops = pages.sign_in_at("/sign-in", "ops", &operator).await;
    let (status, list) = pages.get(&ops, "/employer-accounts").await;
    assert_eq!(status, 200);
    assert!(
        list.contains("northwind-payroll") && list.contains("411234567, 527654321"),
        "{list}"
    );
    assert!(list.contains("Only an admin may approve"), "{list}");
    let admin = issue_token(&t.db, "admin-kim", Role::Admin).await;
    let ops = pages.sign_in_at("/sign-in", "admin-kim", &admin).await;
    let (_, list) = pages.get(&ops, "/employer-accounts").await;
    let marker = "action=\"";
    let at = list.find("action=\"/employer-accounts/").unwrap() + marker.len();
    let action = list[at..at + list[at..].find('"').unwrap()].to_string();
    let ops_csrf = csrf_of(&list);
    let (status, _) = pages
        .post_form(&ops, &action, &[("csrf", "wrong"), ("decision", "approve")])
        .await;
    assert_eq!(status, 403);
    // Both FEINs still belong to the employers' own accounts: no approval yet.
    let (status, blocked) = pages
        .post_form(
            &ops,
            &action,
            &[("csrf", &ops_csrf), ("decision", "approve")],
        )
        .await;
    assert_eq!(status, 409, "{blocked}");
    assert!(blocked.contains("is held by another account"), "{blocked}");
    // The two employers hand their reporting to Northwind: their accounts are closed, and
    // the admin approves; the token is shown once.
    tokens::revoke(&t.db, "acme-payroll", "test", now_ms())
        .await
        .unwrap();
    tokens::revoke(&t.db, "other-payroll", "test", now_ms())
        .await
        .unwrap();
    let (status, approved) = pages
        .post_form(
            &ops,
            &action,
            &[("csrf", &ops_csrf), ("decision", "approve")],
        )
        .await;
    assert_eq!(status, 200, "{approved}");
    let marker = "id=\"issued-token\">";
    let at = approved.find(marker).unwrap() + marker.len();
    let issued = approved[at..at + approved[at..].find('<').unwrap()].to_string();
    assert!(issued.starts_with("ivd_"), "{issued}");
    let (_, again) = pages
        .post_form(
            &ops,
            &action,
            &[("csrf", &ops_csrf), ("decision", "approve")],
        )
        .await;
    assert!(again.contains("already decided"), "{again}");
    let (_, audit) = pages.get(&ops, "/audit?q=employer_account").await;
    assert!(audit.contains("employer_account.approve"), "{audit}");

    // The agent signs in and may act for both FEINs.
    let agent = pages.sign_in("northwind-payroll", &issued).await;
    let (_, home) = pages.get(&agent, "/employer").await;
    assert!(
        home.contains("41-1234567") && home.contains("52-7654321"),
        "{home}"
    );
    let (_, orders) = pages.get(&agent, "/employer/orders").await;
    assert!(
        orders.contains(OUR_ORDER) && orders.contains(OTHER_ORDER),
        "{orders}"
    );

    pages.gateway.stop().await;
    t.cleanup().await;
}

// ----- in a browser -----

/// axe-core, installed from npm into the test's target directory once.
fn axe_source() -> String {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("axe");
    let script = dir.join("node_modules/axe-core/axe.min.js");
    if !script.exists() {
        std::fs::create_dir_all(&dir).unwrap();
        let installed = Command::new("npm")
            .args(["install", "--no-audit", "--no-fund", "--prefix"])
            .arg(&dir)
            .arg("axe-core@4")
            .status()
            .expect("npm is installed");
        assert!(installed.success(), "npm install axe-core");
    }
    std::fs::read_to_string(script).unwrap()
}

/// Runs axe-core in the page; fails on any serious or critical violation.
async fn accessible(browser: &Client, axe: &str, page: &str) {
    browser.execute(axe, Vec::new()).await.expect("axe loads");
    let found = browser
        .execute_async(
            "const done = arguments[arguments.length - 1];
             axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] } })
               .then(r => done({
                 checked: r.passes.length + r.violations.length,
                 bad: r.violations.filter(v => v.impact === 'serious' || v.impact === 'critical')
                   .map(v => v.id + ' (' + v.impact + '): ' + v.nodes.map(n => n.target.join(' ')).join(', ')),
               }))
               .catch(e => done({ checked: 0, bad: ['axe failed: ' + e] }));",
            Vec::new(),
        )
        .await
        .expect("axe runs");
    let bad: Vec<String> = serde_json::from_value(found["bad"].clone()).unwrap();
    assert!(
        found["checked"].as_u64().unwrap_or(0) > 0,
        "{page}: axe ran"
    );
    assert!(bad.is_empty(), "{page}: {bad:#?}");
    println!("axe: {page}: no serious or critical violations");
}

async fn fill(browser: &Client, id: &str, value: &str) {
    let input = browser.find(Locator::Id(id)).await.unwrap();
    input.clear().await.unwrap();
    input.send_keys(value).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_employer_walks_every_path_in_a_browser_and_every_page_is_accessible() {
    let t = TestDb::sqlite().await;
    let pages = Pages::start(&t).await;
    let axe = axe_source();
    let driver = Chromedriver::start().await;
    let browser = driver.browser(true).await;
    let base = pages.url("");

    // Asking for an account.
    browser
        .goto(&format!("{base}/employer/register"))
        .await
        .unwrap();
    page_showing(&browser, "Ask for an account").await;
    accessible(&browser, &axe, "register").await;
    screenshot(&browser, "employer-00-register").await;

    // Sign in.
    browser
        .goto(&format!("{base}/employer/sign-in"))
        .await
        .unwrap();
    page_showing(&browser, "access code").await;
    accessible(&browser, &axe, "sign-in").await;
    screenshot(&browser, "employer-01-sign-in").await;
    fill(&browser, "name", "acme-payroll").await;
    fill(&browser, "token", &pages.our_token).await;
    browser
        .find(Locator::Css("form button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    page_showing(&browser, "What do you want to do?").await;
    accessible(&browser, &axe, "home").await;
    screenshot(&browser, "employer-02-home").await;

    // One new hire: the SSN is checked as it is typed, with the file intake's words.
    browser
        .find(Locator::LinkText("Report a new hire"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    page_showing(&browser, "The employee").await;
    accessible(&browser, &axe, "new-hire form").await;
    for (id, value) in new_hire_form("666-12-3456") {
        if id == "employer_fein" {
            continue;
        }
        fill(&browser, id, &value).await;
    }
    // Leaving the field shows the problem next to it.
    browser
        .find(Locator::Id("employee_address_line1"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let live = browser
        .find(Locator::Id("employee_ssn-error"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        live.contains("SSN area 000, 666 and 900-999 are never issued"),
        "{live}"
    );
    screenshot(&browser, "employer-03-new-hire-typing").await;
    // Sent anyway, the server says the same, tied to the field, with a summary.
    browser
        .find(Locator::Css("main form button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    page_showing(&browser, "There is a problem").await;
    accessible(&browser, &axe, "new-hire errors").await;
    screenshot(&browser, "employer-04-new-hire-errors").await;
    fill(&browser, "employee_ssn", "123-45-6789").await;
    browser
        .find(Locator::Css("main form button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    page_showing(&browser, "Waiting to be sent").await;
    accessible(&browser, &axe, "new-hire confirmation").await;
    screenshot(&browser, "employer-05-new-hire-receipt").await;

    // A file: check it, then send it.
    let file_path = t.scratch_dir().join("hires.w4");
    std::fs::write(&file_path, w4_file_with_a_bad_ssn()).unwrap();
    browser
        .goto(&format!("{base}/employer/files"))
        .await
        .unwrap();
    page_showing(&browser, "Your file").await;
    accessible(&browser, &axe, "files").await;
    browser
        .find(Locator::Id("file"))
        .await
        .unwrap()
        .send_keys(file_path.to_str().unwrap())
        .await
        .unwrap();
    browser
        .find(Locator::XPath(
            "//button[normalize-space()='Check my file']",
        ))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let checked = page_showing(&browser, "Records to fix").await;
    assert!(checked.contains("1 record(s) need fixing"), "{checked}");
    accessible(&browser, &axe, "file check").await;
    screenshot(&browser, "employer-06-file-check").await;
    browser
        .find(Locator::Id("file"))
        .await
        .unwrap()
        .send_keys(file_path.to_str().unwrap())
        .await
        .unwrap();
    browser
        .find(Locator::XPath("//button[normalize-space()='Send my file']"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    page_showing(&browser, "Your file was received").await;
    accessible(&browser, &axe, "file receipt").await;
    screenshot(&browser, "employer-07-file-receipt").await;

    // History.
    browser
        .find(Locator::LinkText("Past reports"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    page_showing(&browser, "Everything you sent").await;
    accessible(&browser, &axe, "history").await;
    screenshot(&browser, "employer-08-history").await;

    // Orders: accept ours.
    browser
        .find(Locator::LinkText("Withholding orders"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    page_showing(&browser, OUR_ORDER).await;
    accessible(&browser, &axe, "orders").await;
    screenshot(&browser, "employer-09-orders").await;
    browser
        .find(Locator::LinkText(OUR_ORDER))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    page_showing(&browser, "Your answer").await;
    accessible(&browser, &axe, "order").await;
    browser
        .find(Locator::Id("answer-accept"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    browser
        .find(Locator::XPath(
            "//button[normalize-space()='Send my answer']",
        ))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    page_showing(&browser, "Your answer was received").await;
    accessible(&browser, &axe, "order answered").await;
    screenshot(&browser, "employer-10-order-answered").await;
    assert_eq!(
        iwo::orders_for_case(&t.db, OUR_CASE).await.unwrap()[0].status,
        "accepted"
    );
    browser.close().await.unwrap();

    // Without JavaScript the essential path still works: sign in and report a new hire.
    let plain = driver.browser(false).await;
    plain
        .goto(&format!("{base}/employer/sign-in"))
        .await
        .unwrap();
    fill(&plain, "name", "acme-payroll").await;
    fill(&plain, "token", &pages.our_token).await;
    plain
        .find(Locator::Css("form button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    page_showing(&plain, "What do you want to do?").await;
    plain
        .goto(&format!("{base}/employer/new-hire"))
        .await
        .unwrap();
    page_showing(&plain, "The employee").await;
    for (id, value) in new_hire_form("234-56-7891") {
        if id == "employer_fein" {
            continue;
        }
        fill(&plain, id, &value).await;
    }
    plain
        .find(Locator::Css("main form button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    page_showing(&plain, "Your new hire report was received").await;
    screenshot(&plain, "employer-11-no-javascript-receipt").await;
    plain.close().await.unwrap();

    pages.gateway.stop().await;
    t.cleanup().await;
}
