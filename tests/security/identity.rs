//! Identity: every credential belongs to an account with a stable id; sessions die with
//! their token; each role may do exactly what `SECURITY.md`'s role table says.

use ivd_gateway::config::Settings;
use ivd_gateway::store::accounts::{AccountError, Refusal};
use ivd_gateway::store::now_ms;
use ivd_gateway::store::tokens::{self, Role};
use ivd_model::Fein;
use serde_json::Value;

use crate::support::app::TestApp;
use crate::support::employers::employer_token;
pub(crate) use crate::support::employers::{order_sent, w4_file};
use crate::support::issue_token;
use crate::support::pages::Visitor;
pub(crate) use crate::support::pages::{client_from, field_value};
use crate::support::{self, TestDb, gateway_settings};

crate::on_both_backends!(
    a_stranger_cannot_take_over_an_employer_by_name_or_fein,
    a_second_token_with_the_same_name_is_refused_and_reads_nothing,
    a_session_dies_with_its_token_and_its_account,
    approving_employer_accounts_is_for_admins_who_did_not_ask,
    an_employers_upload_answer_reveals_no_match,
    failed_sign_ins_lock_out_by_name_and_address_not_by_name_alone,
    requests_without_a_credential_and_registrations_are_limited,
    every_error_answer_is_a_problem_document,
    a_sign_in_posted_from_another_site_is_refused,
);

pub(crate) const ACME_FEIN: &str = "411234567";
pub(crate) const NORTHWIND_FEIN: &str = "527654321";
/// The noncustodial parent's SSN in `schemas/samples/case-tanf.json`.
const NCP_SSN: &str = "234567890";

/// A gateway and a browser-like visitor of its pages; [`Site`] derefs to the visitor.
pub(crate) struct Site {
    pub gateway: TestApp,
    visitor: Visitor,
}

impl std::ops::Deref for Site {
    type Target = Visitor;

    fn deref(&self) -> &Visitor {
        &self.visitor
    }
}

impl Site {
    pub async fn start(t: &TestDb, tweak: impl FnOnce(&mut Settings)) -> Site {
        let mut settings = gateway_settings(t, Vec::new());
        tweak(&mut settings);
        let gateway = TestApp::spawn_with(settings).await;
        let visitor = gateway.visitor();
        Site { gateway, visitor }
    }

    /// Asks for an employer account on the employer pages from `client`, carrying
    /// `cookie` too (a signed-in session, or nothing); the status and the page.
    pub async fn register(
        &self,
        client: &reqwest::Client,
        cookie: &str,
        account: &str,
        feins: &str,
    ) -> (u16, String) {
        let form = client
            .get(self.url("/employer/register"))
            .send()
            .await
            .unwrap();
        let pairing = form
            .headers()
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find(|v| v.starts_with("ivd_register="))
            .and_then(|v| v.split(';').next())
            .unwrap()
            .to_string();
        let html = form.text().await.unwrap();
        let form_token = field_value(&html, "form_token");
        let cookies = if cookie.is_empty() {
            pairing
        } else {
            format!("{pairing}; {cookie}")
        };
        let response = client
            .post(self.url("/employer/register"))
            .header("cookie", cookies)
            .form(&[
                ("form_token", form_token.as_str()),
                ("business_name", "Synthetic Business"),
                ("account_name", account),
                ("feins", feins),
                ("contact_email", "payroll@example.com"),
            ])
            .send()
            .await
            .unwrap();
        (
            response.status().as_u16(),
            response.text().await.unwrap_or_default(),
        )
    }

    /// An admin's (or operator's) decision on the pending request for `account`, as the
    /// dashboard's form posts it; the status and the page.
    pub async fn decide(&self, cookie: &str, account: &str, decision: &str) -> (u16, String) {
        let (_, _, list) = self.get(cookie, "/employer-accounts").await;
        let id = request_id(&list, account).expect("the request is listed");
        let csrf = field_value(&list, "csrf");
        let (status, _, page) = self
            .post_form(
                cookie,
                &format!("/employer-accounts/{id}"),
                &[("csrf", csrf.as_str()), ("decision", decision)],
            )
            .await;
        (status, page)
    }

    pub async fn stop(self) {
        self.gateway.stop().await;
    }
}

/// The id of the listed request for `account` on the employer-accounts page.
fn request_id(list: &str, account: &str) -> Option<String> {
    list.split("<tr data-request=\"").skip(1).find_map(|row| {
        let (id, rest) = row.split_once('"')?;
        let cells = rest.split("</tr>").next()?;
        cells
            .contains(&format!("<td>{account}</td>"))
            .then(|| id.to_string())
    })
}

/// The token shown once on an approval page.
fn issued_token(page: &str) -> Option<String> {
    let marker = "id=\"issued-token\">";
    let at = page.find(marker)? + marker.len();
    Some(page[at..at + page[at..].find('<')?].to_string())
}

/// Uploads a W4 file with `token`; the status and the answer.
pub(crate) async fn upload(site: &Site, token: &str, file: Vec<u8>) -> (u16, Value) {
    let response = site
        .http
        .post(site.url("/employer/v1/new-hires?format=w4"))
        .bearer_auth(token)
        .body(file)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// Acme's employer account, holding Acme's FEIN; its token.
pub(crate) async fn acme_account(t: &TestDb) -> String {
    employer_token(&t.db, "acme-payroll", ACME_FEIN).await
}

async fn accounts_named(t: &TestDb, name: &str) -> i64 {
    let (n,): (i64,) = ivd_gateway::on_read!(&t.db, c => {
        sqlx::query_as("SELECT COUNT(*) FROM accounts WHERE name = $1")
            .bind(name)
            .fetch_one(c)
            .await
            .unwrap()
    });
    n
}

/// Seen on the old code: a second account asking for an existing employer's FEIN was
/// approved and then saw and answered that employer's withholding orders; a closed
/// employer's name asked for again was approved and showed the old account's receipts.
async fn a_stranger_cannot_take_over_an_employer_by_name_or_fein(t: TestDb) {
    let site = Site::start(&t, |_| {}).await;
    let acme = acme_account(&t).await;
    let (status, answer) = upload(&site, &acme, w4_file(ACME_FEIN, 2, 3, None)).await;
    assert_eq!(status, 201, "{answer}");
    let acme_receipt = answer["receiptId"].as_str().unwrap().to_string();
    order_sent(&t.db, "ACME-ORDER-1", "MN-ACME-1", ACME_FEIN).await;
    let admin = issue_token(&t.db, "admin-kim", Role::Admin).await;
    let kim = site.sign_in("/sign-in", "admin-kim", &admin).await;

    // A stranger asks for an account for Acme's FEIN under another name: the admin's
    // approval is refused (the FEIN is held), no token is issued, the request waits.
    let (status, page) = site.register(&site.http, "", "acme-tools", ACME_FEIN).await;
    assert_eq!(status, 200, "{page}");
    let (status, page) = site.decide(&kim, "acme-tools", "approve").await;
    assert_eq!(status, 409, "{page}");
    assert!(
        page.contains("FEIN 41-1234567 is held by another account"),
        "{page}"
    );
    assert!(issued_token(&page).is_none(), "no token for the stranger");
    assert_eq!(accounts_named(&t, "acme-tools").await, 0);
    let (_, _, list) = site.get(&kim, "/employer-accounts").await;
    assert!(request_id(&list, "acme-tools").is_some(), "still waiting");
    let (status, _) = site.decide(&kim, "acme-tools", "refuse").await;
    assert_eq!(status, 200);

    // Acme's account is closed. Its name is never given out again, on the pages or by
    // the store.
    tokens::revoke(&t.db, "acme-payroll", "test", now_ms())
        .await
        .unwrap();
    let (status, page) = site
        .register(&site.http, "", "acme-payroll", NORTHWIND_FEIN)
        .await;
    assert_eq!(status, 422, "{page}");
    assert!(page.contains("That account name is taken"), "{page}");
    let reused = tokens::issue_scoped(
        &t.db,
        "acme-payroll",
        Role::Employer,
        &[Fein::parse(NORTHWIND_FEIN).unwrap()],
        now_ms(),
    )
    .await;
    assert!(
        matches!(reused, Err(AccountError::Refused(Refusal::NameTaken(_)))),
        "{reused:?}"
    );

    // Its FEIN is released: the business's new account (approved by the admin) answers
    // the FEIN's orders, but Acme's old receipt is not its own.
    let (status, _) = site
        .register(&site.http, "", "acme-tools-2027", ACME_FEIN)
        .await;
    assert_eq!(status, 200);
    let (status, page) = site.decide(&kim, "acme-tools-2027", "approve").await;
    assert_eq!(status, 200, "{page}");
    let successor = issued_token(&page).expect("the token is shown once");
    let receipt = site
        .http
        .get(site.url(&format!("/employer/v1/new-hires/{acme_receipt}")))
        .bearer_auth(&successor)
        .send()
        .await
        .unwrap();
    assert_eq!(receipt.status().as_u16(), 404);
    let cookie = site
        .sign_in("/employer/sign-in", "acme-tools-2027", &successor)
        .await;
    let (_, _, history) = site.get(&cookie, "/employer/history").await;
    assert!(!history.contains(&acme_receipt), "{history}");
    let (status, _, _) = site
        .get(&cookie, &format!("/employer/receipts/{acme_receipt}"))
        .await;
    assert_eq!(status, 404);
    let (_, _, orders) = site.get(&cookie, "/employer/orders").await;
    assert!(orders.contains("ACME-ORDER-1"), "{orders}");
    site.stop().await;
    t.cleanup().await;
}

/// Seen on the old code: a second token issued under an existing name (for another FEIN)
/// read the first one's receipts.
async fn a_second_token_with_the_same_name_is_refused_and_reads_nothing(t: TestDb) {
    let site = Site::start(&t, |_| {}).await;
    let acme = acme_account(&t).await;
    let (status, answer) = upload(&site, &acme, w4_file(ACME_FEIN, 1, 5, None)).await;
    assert_eq!(status, 201, "{answer}");
    let second = tokens::issue_scoped(
        &t.db,
        "acme-payroll",
        Role::Employer,
        &[Fein::parse(NORTHWIND_FEIN).unwrap()],
        now_ms(),
    )
    .await;
    assert!(
        matches!(second, Err(AccountError::Refused(Refusal::NameTaken(_)))),
        "{second:?}"
    );
    // A name of another role is no way around it either.
    let as_operator = tokens::issue(&t.db, "acme-payroll", Role::Operator, now_ms()).await;
    assert!(
        matches!(as_operator, Err(AccountError::Refused(_))),
        "{as_operator:?}"
    );
    assert_eq!(accounts_named(&t, "acme-payroll").await, 1);
    let (live,): (i64,) = ivd_gateway::on_read!(&t.db, c => {
        sqlx::query_as("SELECT COUNT(*) FROM api_tokens WHERE revoked_at IS NULL")
            .fetch_one(c)
            .await
            .unwrap()
    });
    assert_eq!(live, 1, "nothing was issued");
    site.stop().await;
    t.cleanup().await;
}

/// Seen on the old code: after `token revoke` the bearer API answered 401 but the
/// operator's dashboard cookie still worked for hours, approvals included.
async fn a_session_dies_with_its_token_and_its_account(t: TestDb) {
    let site = Site::start(&t, |_| {}).await;
    let admin = issue_token(&t.db, "admin-kim", Role::Admin).await;
    let kim = site.sign_in("/sign-in", "admin-kim", &admin).await;
    let (status, _, _) = site.get(&kim, "/employer-accounts").await;
    assert_eq!(status, 200);
    let (status, _) = site
        .register(&site.http, "", "northwind-payroll", NORTHWIND_FEIN)
        .await;
    assert_eq!(status, 200);

    // The token is rotated (say it leaked): the session it opened ends at once, and its
    // pending approval with it.
    let (_, _, list) = site.get(&kim, "/employer-accounts").await;
    let id = request_id(&list, "northwind-payroll").unwrap();
    let csrf = field_value(&list, "csrf");
    let (_, rotated, _) = tokens::rotate(&t.db, "admin-kim", now_ms()).await.unwrap();
    let (status, location, _) = site.get(&kim, "/employer-accounts").await;
    assert_eq!((status, location.as_str()), (303, "/sign-in"));
    let (status, location, _) = site
        .post_form(
            &kim,
            &format!("/employer-accounts/{id}"),
            &[("csrf", csrf.as_str()), ("decision", "approve")],
        )
        .await;
    assert_eq!((status, location.as_str()), (303, "/sign-in"));
    assert_eq!(accounts_named(&t, "northwind-payroll").await, 0);

    // The new token signs in; closing the account ends that session too.
    let kim = site.sign_in("/sign-in", "admin-kim", &rotated).await;
    let (status, _, _) = site.get(&kim, "/").await;
    assert_eq!(status, 200);
    tokens::revoke(&t.db, "admin-kim", "test", now_ms())
        .await
        .unwrap();
    let (status, location, _) = site.get(&kim, "/").await;
    assert_eq!((status, location.as_str()), (303, "/sign-in"));

    // The same holds on the employer pages.
    let acme = acme_account(&t).await;
    let cookie = site
        .sign_in("/employer/sign-in", "acme-payroll", &acme)
        .await;
    let (status, _, _) = site.get(&cookie, "/employer/orders").await;
    assert_eq!(status, 200);
    tokens::rotate(&t.db, "acme-payroll", now_ms())
        .await
        .unwrap();
    let (status, location, _) = site.get(&cookie, "/employer/orders").await;
    assert_eq!((status, location.as_str()), (303, "/employer/sign-in"));
    site.stop().await;
    t.cleanup().await;
}

/// Seen on the old code: an operator could file a registration and approve it
/// themselves, minting an employer credential for any FEIN; "admin" granted nothing more.
async fn approving_employer_accounts_is_for_admins_who_did_not_ask(t: TestDb) {
    let site = Site::start(&t, |_| {}).await;
    let operator = issue_token(&t.db, "ops-jane", Role::Operator).await;
    let jane = site.sign_in("/sign-in", "ops-jane", &operator).await;
    let (status, _) = site
        .register(&site.http, &jane, "jane-shell-co", ACME_FEIN)
        .await;
    assert_eq!(status, 200);
    // The operator sees the request but has no buttons, and a forged post is refused.
    let (_, _, list) = site.get(&jane, "/employer-accounts").await;
    assert!(list.contains("Only an admin may approve"), "{list}");
    assert!(!list.contains("value=\"approve\""), "{list}");
    let id = request_id(&list, "jane-shell-co").unwrap();
    let csrf = field_value(&list, "csrf");
    let (status, _, page) = site
        .post_form(
            &jane,
            &format!("/employer-accounts/{id}"),
            &[("csrf", csrf.as_str()), ("decision", "approve")],
        )
        .await;
    assert_eq!(status, 403, "{page}");
    assert_eq!(accounts_named(&t, "jane-shell-co").await, 0);

    // An admin who filed a request while signed in cannot approve it; another admin can.
    let kim_token = issue_token(&t.db, "admin-kim", Role::Admin).await;
    let lee_token = issue_token(&t.db, "admin-lee", Role::Admin).await;
    let kim = site.sign_in("/sign-in", "admin-kim", &kim_token).await;
    let lee = site.sign_in("/sign-in", "admin-lee", &lee_token).await;
    let (status, _) = site
        .register(&site.http, &kim, "kim-shell-co", NORTHWIND_FEIN)
        .await;
    assert_eq!(status, 200);
    let (_, _, list) = site.get(&kim, "/employer-accounts").await;
    assert!(list.contains("You filed this request"), "{list}");
    let id = request_id(&list, "kim-shell-co").unwrap();
    let csrf = field_value(&list, "csrf");
    let (status, _, page) = site
        .post_form(
            &kim,
            &format!("/employer-accounts/{id}"),
            &[("csrf", csrf.as_str()), ("decision", "approve")],
        )
        .await;
    assert_eq!(status, 403, "{page}");
    assert!(page.contains("another admin must decide"), "{page}");
    assert_eq!(accounts_named(&t, "kim-shell-co").await, 0);
    let (status, page) = site.decide(&lee, "kim-shell-co", "approve").await;
    assert_eq!(status, 200, "{page}");
    assert!(issued_token(&page).is_some());
    // Jane's request is the admin's to decide, and is approved by one.
    let (status, _) = site.decide(&lee, "jane-shell-co", "approve").await;
    assert_eq!(status, 200);
    let entries = ivd_gateway::audit::recent(&t.db, 20).await.unwrap();
    assert!(
        entries
            .iter()
            .any(|e| e.action == "employer_account.approve" && e.actor == "admin:admin-lee"),
        "{entries:?}"
    );
    site.stop().await;
    t.cleanup().await;
}

/// Seen on the old code: the upload answer's `matched` told an employer whether an SSN
/// belongs to a noncustodial parent.
async fn an_employers_upload_answer_reveals_no_match(t: TestDb) {
    let site = Site::start(&t, |_| {}).await;
    let system = issue_token(&t.db, "case-system", Role::StateSystem).await;
    let case: Value = serde_json::from_str(super::TANF).unwrap();
    let case_id = case["id"].as_str().unwrap();
    let pushed = site
        .http
        .put(site.url(&format!("/state/v1/cases/{case_id}")))
        .bearer_auth(&system)
        .body(super::TANF)
        .send()
        .await
        .unwrap();
    assert!(pushed.status().is_success());
    let acme = acme_account(&t).await;
    let (status, answer) = upload(&site, &acme, w4_file(ACME_FEIN, 3, 9, Some(NCP_SSN))).await;
    assert_eq!(status, 201, "{answer}");
    // The match happened (internally)...
    let (matched,): (i64,) = ivd_gateway::on_read!(&t.db, c => {
        sqlx::query_as("SELECT COUNT(*) FROM new_hire_records WHERE matched_case IS NOT NULL")
            .fetch_one(c)
            .await
            .unwrap()
    });
    assert_eq!(matched, 1, "the noncustodial parent was matched");
    // ...and nothing the employer can read says so.
    let receipt_id = answer["receiptId"].as_str().unwrap().to_string();
    let leaks = |text: &str| text.to_lowercase().contains("match");
    assert!(!leaks(&answer.to_string()), "{answer}");
    let receipt = site
        .http
        .get(site.url(&format!("/employer/v1/new-hires/{receipt_id}")))
        .bearer_auth(&acme)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!leaks(&receipt), "{receipt}");
    let csv = site
        .http
        .get(site.url(&format!("/employer/v1/new-hires/{receipt_id}")))
        .bearer_auth(&acme)
        .header("accept", "text/csv")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!leaks(&csv), "{csv}");
    let cookie = site
        .sign_in("/employer/sign-in", "acme-payroll", &acme)
        .await;
    for page in [
        format!("/employer/receipts/{receipt_id}"),
        format!("/employer/receipts/{receipt_id}/csv"),
        "/employer/history".to_string(),
        "/employer".to_string(),
    ] {
        let (status, _, body) = site.get(&cookie, &page).await;
        assert_eq!(status, 200, "{page}");
        assert!(!leaks(&body), "{page}: {body}");
    }
    site.stop().await;
    t.cleanup().await;
}

/// Seen on the old code: five bad employer sign-ins with an operator's name locked that
/// operator out of the dashboard, from anywhere; guessing with varying names was never
/// slowed.
async fn failed_sign_ins_lock_out_by_name_and_address_not_by_name_alone(t: TestDb) {
    let site = Site::start(&t, |_| {}).await;
    let jane = issue_token(&t.db, "ops-jane", Role::Operator).await;
    let sam = issue_token(&t.db, "ops-sam", Role::Operator).await;
    let attacker = client_from("127.0.0.2");
    let guesser = client_from("127.0.0.3");

    // Failures on the employer pages under an operator's name lock nothing on the
    // dashboard.
    for _ in 0..6 {
        let (status, _, _) = site
            .sign_in_with(&attacker, "/employer/sign-in", "ops-jane", "ivd_wrong")
            .await;
        assert_eq!(status, 401);
    }
    let (status, _, body) = site
        .sign_in_with(&attacker, "/sign-in", "ops-jane", &jane)
        .await;
    assert_eq!(status, 303, "{body}");

    // Five dashboard failures for ops-jane from the attacker's address lock that name from
    // there only: Jane signs in from her own address.
    for _ in 0..5 {
        let (status, _, _) = site
            .sign_in_with(&attacker, "/sign-in", "ops-jane", "ivd_wrong")
            .await;
        assert_eq!(status, 401);
    }
    let (status, _, body) = site
        .sign_in_with(&attacker, "/sign-in", "ops-jane", &jane)
        .await;
    assert_eq!(status, 401);
    assert!(body.contains("Too many failed sign-ins"), "{body}");
    let (status, cookie, body) = site
        .sign_in_with(&site.http, "/sign-in", "ops-jane", &jane)
        .await;
    assert_eq!(status, 303, "{body}");
    assert!(cookie.is_some());

    // Guessing with a new name each time is slowed too: twenty failures from one address
    // and even a right name and token from there must wait.
    for i in 0..20 {
        let (status, _, _) = site
            .sign_in_with(&guesser, "/sign-in", &format!("ops-{i}"), "ivd_wrong")
            .await;
        assert_eq!(status, 401);
    }
    let (status, _, body) = site
        .sign_in_with(&guesser, "/sign-in", "ops-sam", &sam)
        .await;
    assert_eq!(status, 401);
    assert!(body.contains("Too many failed sign-ins"), "{body}");
    let (status, _, _) = site
        .sign_in_with(&site.http, "/sign-in", "ops-sam", &sam)
        .await;
    assert_eq!(status, 303);
    site.stop().await;
    t.cleanup().await;
}

/// Seen on the old code: sign-in and registration had no request limit, and every
/// pending registration was listed on one page.
async fn requests_without_a_credential_and_registrations_are_limited(t: TestDb) {
    let site = Site::start(&t, |settings| {
        settings.server.anonymous_requests_per_minute_per_address = 20;
        settings.employers.registrations_per_address_per_hour = 3;
    })
    .await;
    let operator = issue_token(&t.db, "ops-jane", Role::Operator).await;

    // Requests without a credential: twenty a minute from one address.
    let flooder = client_from("127.0.0.4");
    for _ in 0..20 {
        let status = flooder
            .get(site.url("/employer/assets/employer.js"))
            .send()
            .await
            .unwrap()
            .status();
        assert_eq!(status.as_u16(), 200);
    }
    let refused = flooder.get(site.url("/sign-in")).send().await.unwrap();
    assert_eq!(refused.status().as_u16(), 429);
    assert!(refused.headers().contains_key("retry-after"));
    assert_eq!(
        refused.headers()["content-type"],
        "application/problem+json"
    );
    // Others are unaffected, and so is a request with a credential from that address.
    let other = site.http.get(site.url("/sign-in")).send().await.unwrap();
    assert_eq!(other.status().as_u16(), 200);
    let with_token = flooder
        .get(site.url("/operator/v1/partners"))
        .bearer_auth(&operator)
        .send()
        .await
        .unwrap();
    assert_eq!(with_token.status().as_u16(), 200);

    // Requests for an employer account: three an hour from one address.
    let asker = client_from("127.0.0.5");
    for i in 0..3 {
        let (status, page) = site
            .register(&asker, "", &format!("shop-{i}"), &format!("41000000{i}"))
            .await;
        assert_eq!(status, 200, "{page}");
    }
    let (status, page) = site.register(&asker, "", "shop-3", "410000003").await;
    assert_eq!(status, 429, "{page}");
    assert!(
        page.contains("Too many requests came from your network"),
        "{page}"
    );

    // The requests are listed a page at a time.
    for i in 0..60 {
        let fein = Fein::parse(&format!("42{i:07}")).unwrap();
        let taken = ivd_gateway::store::employer_accounts::request(
            &t.db,
            &ivd_gateway::store::employer_accounts::NewRequest {
                account_name: &format!("bulk-{i:02}"),
                business_name: "Synthetic Business",
                feins: &[fein],
                contact_email: "payroll@example.com",
                requested_by_account: None,
                client: &format!("192.0.2.{i}"),
            },
            site.gateway.state.settings.employers.registration_limits(),
            now_ms(),
        )
        .await
        .unwrap();
        assert!(taken.is_ok());
    }
    let jane = site.sign_in("/sign-in", "ops-jane", &operator).await;
    let (_, _, first) = site.get(&jane, "/employer-accounts").await;
    assert!(first.contains("63 request(s) waiting"), "{first}");
    assert_eq!(first.matches("<tr data-request=").count(), 50);
    let next = first
        .split("id=\"next-requests\" href=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("a link to the next page")
        .replace("&amp;", "&");
    let (_, _, second) = site.get(&jane, &next).await;
    assert_eq!(second.matches("<tr data-request=").count(), 13);
    assert!(!second.contains("id=\"next-requests\""));
    site.stop().await;
    t.cleanup().await;
}

/// Seen on the old code: a body that was not JSON was answered (as plain text) before the
/// missing token was; unknown routes and methods answered with empty bodies.
async fn every_error_answer_is_a_problem_document(t: TestDb) {
    let site = Site::start(&t, |_| {}).await;
    let system = issue_token(&t.db, "case-system", Role::StateSystem).await;
    let problem = |response: &reqwest::Response| {
        response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string()
    };
    let transactions = site.url("/state/v1/cases/MN-1/transactions");
    let no_token = site
        .http
        .post(&transactions)
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(no_token.status().as_u16(), 401);
    assert_eq!(problem(&no_token), "application/problem+json");
    // With the token, the body's fault is answered, as a problem document that does not
    // echo the value sent.
    let bad_body = site
        .http
        .post(&transactions)
        .bearer_auth(&system)
        .header("content-type", "application/json")
        .body(r#"{"partner": 123456789, "format": "csenet"}"#)
        .send()
        .await
        .unwrap();
    assert!(bad_body.status().is_client_error());
    assert_eq!(problem(&bad_body), "application/problem+json");
    let text = bad_body.text().await.unwrap();
    let document: Value = serde_json::from_str(&text).unwrap();
    assert!(document["detail"].is_string(), "{document}");
    assert!(!text.contains("123456789"), "{text}");
    for (method, path, status) in [
        ("GET", "/no/such/route", 404),
        ("DELETE", "/state/v1/events", 405),
        ("GET", "/employer/v1/new-hires", 405),
    ] {
        let response = site
            .http
            .request(method.parse().unwrap(), site.url(path))
            .bearer_auth(&system)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), status, "{method} {path}");
        assert_eq!(
            problem(&response),
            "application/problem+json",
            "{method} {path}"
        );
    }
    site.stop().await;
    t.cleanup().await;
}

/// Seen on the old code: a sign-in form posted from another site (login CSRF) signed the
/// browser in.
async fn a_sign_in_posted_from_another_site_is_refused(t: TestDb) {
    let site = Site::start(&t, |_| {}).await;
    let operator = issue_token(&t.db, "ops-jane", Role::Operator).await;
    let acme = acme_account(&t).await;
    for (page, name, token) in [
        ("/sign-in", "ops-jane", operator.as_str()),
        ("/employer/sign-in", "acme-payroll", acme.as_str()),
    ] {
        // Another site's form carries no pairing cookie (nor a form token it could know).
        let forged = site
            .http
            .post(site.url(page))
            .form(&[("name", name), ("token", token), ("form_token", "guessed")])
            .send()
            .await
            .unwrap();
        assert_eq!(forged.status().as_u16(), 403, "{page}");
        let started = forged
            .headers()
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .any(|v| v.starts_with("ivd_session=") && !v.starts_with("ivd_session=;"));
        assert!(!started, "{page}: no session from a forged sign-in");
        // The form the gateway served works.
        site.sign_in(page, name, token).await;
    }
    site.stop().await;
    t.cleanup().await;
}

/// Sends `head` and `sent` bytes of a body announced as far longer, then reads what comes
/// back while the rest of the body is still unsent; returns the answer's head.
async fn answer_before_the_body(addr: std::net::SocketAddr, head: &str, sent: usize) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    stream.write_all(head.as_bytes()).await.unwrap();
    stream.write_all(&vec![b'x'; sent]).await.unwrap();
    let mut answer = Vec::new();
    let mut buffer = [0u8; 4096];
    // The answer must come although the body never will: the connection is left open and
    // only a broken gateway (one that waits for the body) makes this wait run out.
    let read = tokio::time::timeout(std::time::Duration::from_secs(60), async {
        loop {
            let n = stream.read(&mut buffer).await.unwrap_or(0);
            if n == 0 {
                break;
            }
            answer.extend_from_slice(&buffer[..n]);
            if answer.windows(4).any(|w| w == b"\r\n\r\n") {
                break;
            }
        }
    })
    .await;
    assert!(
        read.is_ok(),
        "no answer while the body was unsent: the body is being read first"
    );
    String::from_utf8_lossy(&answer).to_string()
}

/// Seen on the old code: an unauthenticated 60 MiB `PUT /state/v1/cases/X` was read whole
/// before the 401.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unauthenticated_upload_is_refused_before_its_body_is_read() {
    let t = TestDb::sqlite().await;
    let site = Site::start(&t, |_| {}).await;
    let addr = site.gateway.api_addr;
    let sixty_mib = 60 * 1024 * 1024;
    for (head, status) in [
        (
            format!(
                "PUT /state/v1/cases/MN-1 HTTP/1.1\r\nHost: gateway\r\nContent-Type: application/json\r\nContent-Length: {sixty_mib}\r\n\r\n"
            ),
            "401",
        ),
        (
            format!(
                "POST /employer/v1/new-hires HTTP/1.1\r\nHost: gateway\r\nAuthorization: Bearer ivd_not_a_token\r\nContent-Length: {sixty_mib}\r\n\r\n"
            ),
            "401",
        ),
        (
            format!(
                "POST /state/v1/cases/MN-1/transactions HTTP/1.1\r\nHost: gateway\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n{:x}\r\n",
                sixty_mib
            ),
            "401",
        ),
    ] {
        let answer = answer_before_the_body(addr, &head, 64 * 1024).await;
        let first = answer.lines().next().unwrap_or("");
        assert!(first.contains(status), "{first}: {answer}");
        assert!(
            answer
                .to_lowercase()
                .contains("content-type: application/problem+json"),
            "{answer}"
        );
    }
    site.stop().await;
    t.cleanup().await;
}

/// A database at migration `upto` (the migrations of `schemas/migrations` up to it), on
/// `backend`; `None` when PostgreSQL is not available. Its URL and, for PostgreSQL, the
/// name to drop.
async fn database_at_migration(
    backend: support::Backend,
    upto: i64,
    scratch: &std::path::Path,
) -> Option<(ivd_gateway::store::Db, Option<(String, String)>)> {
    use ivd_gateway::store::Db;
    let (db, dir, drop) = match backend {
        support::Backend::Sqlite => {
            let url = format!("sqlite://{}/gateway.db", scratch.display());
            (Db::connect(&url).await.unwrap(), "sqlite", None)
        }
        support::Backend::Postgres => {
            let server = support::postgres_server()?;
            let name = format!("ivd_m_{}", now_ms() % 1_000_000_000);
            let admin = Db::connect(&server).await.unwrap();
            ivd_gateway::on_db!(&admin, c => {
                sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
                    .execute(c)
                    .await
                    .unwrap()
                    .rows_affected()
            });
            admin.close().await;
            let url = ivd_gateway::store::postgres_url_with_database(&server, &name);
            (
                Db::connect(&url).await.unwrap(),
                "postgres",
                Some((server, name)),
            )
        }
    };
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("schemas/migrations")
        .join(dir);
    let mut migrator = sqlx::migrate::Migrator::new(path).await.unwrap();
    migrator.migrations = std::borrow::Cow::Owned(
        migrator
            .migrations
            .iter()
            .filter(|m| m.version <= upto)
            .cloned()
            .collect(),
    );
    ivd_gateway::on_db!(&db, c => migrator.run(c).await.unwrap());
    Some((db, drop))
}

/// A deployment upgrading from before accounts: its tokens become accounts, one per name
/// and role; two tokens that shared a name share one account (and its receipts), a name
/// used with a second role becomes `name.role`, a FEIN two accounts claimed stays with the
/// older one, revoked-only names become closed accounts, old sessions end.
async fn tokens_from_before_accounts_become_accounts_holding_each_fein_once(
    backend: support::Backend,
) {
    let scratch = tempfile::tempdir().unwrap();
    let Some((db, drop)) = database_at_migration(backend, 16, scratch.path()).await else {
        return;
    };
    async fn run(db: &ivd_gateway::store::Db, sql: &str) {
        ivd_gateway::on_db!(db, c => {
            sqlx::query(sqlx::AssertSqlSafe(sql.to_string()))
                .execute(c)
                .await
                .unwrap_or_else(|e| panic!("{sql}: {e}"))
                .rows_affected()
        });
    }
    for sql in [
        "INSERT INTO api_tokens (name, role, token_hash, created_at, revoked_at) VALUES \
         ('case-system', 'state-system', 'h1', 1, NULL), \
         ('acme-payroll', 'employer', 'h2', 2, NULL), \
         ('acme-payroll', 'employer', 'h3', 3, NULL), \
         ('ops', 'operator', 'h4', 4, 40), \
         ('ops', 'employer', 'h5', 5, NULL)",
        "INSERT INTO token_feins (token_id, fein) VALUES \
         (2, '411234567'), (3, '527654321'), (5, '411234567')",
        "INSERT INTO web_sessions (id_hash, holder, role, csrf, created_at, expires_at) \
         VALUES ('s1', 'ops', 'operator', 'c', 1, 99999999999999)",
        "INSERT INTO inbound_receipts (receipt_id, partner, channel, content_type, body, size_bytes, \
         sha256, state, received_at) VALUES ('R1', 'acme-payroll', 'employers', 'text/plain', '', 0, 'x', 'processed', 6)",
        "INSERT INTO new_hire_receipts (receipt_id, submitter, scope, format, state, received_at) \
         VALUES ('R1', 'acme-payroll', '411234567', 'w4', 'complete', 6)",
    ] {
        run(&db, sql).await;
    }
    db.migrate().await.expect("0017 and later apply");

    let accounts: Vec<(i64, String, String, Option<i64>)> = ivd_gateway::on_read!(&db, c => {
        sqlx::query_as("SELECT id, name, role, closed_at FROM accounts ORDER BY id")
            .fetch_all(c)
            .await
            .unwrap()
    });
    let names: Vec<(&str, &str, bool)> = accounts
        .iter()
        .map(|(_, name, role, closed)| (name.as_str(), role.as_str(), closed.is_some()))
        .collect();
    assert_eq!(
        names,
        [
            ("case-system", "state-system", false),
            ("acme-payroll", "employer", false),
            ("ops", "operator", true),
            ("ops.employer", "employer", false),
        ]
    );
    let id_of = |name: &str| accounts.iter().find(|a| a.1 == name).unwrap().0;
    let held: Vec<(String, i64)> = ivd_gateway::on_read!(&db, c => {
        sqlx::query_as("SELECT fein, account_id FROM account_feins WHERE released_at IS NULL ORDER BY fein")
            .fetch_all(c)
            .await
            .unwrap()
    });
    assert_eq!(
        held,
        [
            ("411234567".to_string(), id_of("acme-payroll")),
            ("527654321".to_string(), id_of("acme-payroll")),
        ],
        "each FEIN held once, by the older account"
    );
    let receipt: (Option<i64>,) = ivd_gateway::on_read!(&db, c => {
        sqlx::query_as("SELECT account_id FROM new_hire_receipts WHERE receipt_id = 'R1'")
            .fetch_one(c)
            .await
            .unwrap()
    });
    assert_eq!(receipt.0, Some(id_of("acme-payroll")));
    let sessions: (i64,) = ivd_gateway::on_read!(&db, c => {
        sqlx::query_as("SELECT COUNT(*) FROM web_sessions").fetch_one(c).await.unwrap()
    });
    assert_eq!(sessions.0, 0, "sessions from before end");
    db.close().await;
    if let Some((server, name)) = drop {
        let admin = ivd_gateway::store::Db::connect(&server).await.unwrap();
        ivd_gateway::on_db!(&admin, c => {
            sqlx::query(sqlx::AssertSqlSafe(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")))
                .execute(c)
                .await
                .unwrap()
                .rows_affected()
        });
        admin.close().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tokens_from_before_accounts_become_accounts_on_sqlite() {
    tokens_from_before_accounts_become_accounts_holding_each_fein_once(support::Backend::Sqlite)
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tokens_from_before_accounts_become_accounts_on_postgres() {
    tokens_from_before_accounts_become_accounts_holding_each_fein_once(support::Backend::Postgres)
        .await;
}
