//! An operator watches exchange health on the dashboard in a real browser (headless
//! Chromium through chromedriver): signs in, sees a partner go down during an outage and
//! come back, redelivers a dead letter with a reason, and finds that action on the audit
//! page. Screenshots of each step are saved under the test's target directory.

mod support;

use std::sync::Arc;
use std::time::Duration;

use fantoccini::{Client, Locator};
use ivd_gateway::outbox;
use ivd_gateway::store::now_ms;
use ivd_gateway::store::tokens::Role;
use support::app::TestApp;
use support::browser::{Chromedriver, page_showing, screenshot, text_of};
use support::issue_token;
use support::{
    Behaviour, MockPartner, TestDb, gateway_settings, http_partner, test_message, wait_until,
};

on_both_backends!(sign_in_is_for_operators_and_every_form_needs_its_session_token);

/// The health badge of `partner` on the health page, reloaded.
async fn health_of(browser: &Client, api: &str, partner: &str) -> String {
    browser.goto(&format!("{api}/")).await.unwrap();
    browser
        .find(Locator::Css(&format!(
            "tr[data-partner='{partner}'] .badge"
        )))
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_operator_watches_an_outage_and_redelivers_a_dead_letter() {
    let t = TestDb::sqlite().await;
    let state_27 = MockPartner::start(Behaviour::default()).await;
    let county = MockPartner::start(Behaviour {
        reject: Arc::new(|key| key.starts_with("case-9")),
        ..Behaviour::default()
    })
    .await;
    let mut partner = http_partner("state-27", &state_27.endpoint(), 100);
    partner.name = Some("Example partner state (FIPS 27)".to_string());
    partner.circuit.failure_threshold = 2;
    partner.circuit.cooldown_secs = 1;
    let settings = gateway_settings(
        &t,
        vec![partner, http_partner("county-9", &county.endpoint(), 3)],
    );
    let gateway = TestApp::spawn_with(settings).await;
    let db = gateway.state.db.clone();
    let api = format!("http://{}", gateway.api_addr);
    let token = issue_token(&db, "ops-jane", Role::Operator).await;
    let enqueue = |partner: &'static str, key: &'static str, seq: u64| {
        let db = db.clone();
        let wake = gateway.state.dispatcher_wake.clone();
        async move {
            let mut tx = db.begin().await.unwrap();
            outbox::enqueue(
                &mut tx,
                &test_message(partner, key, seq, 100, now_ms()),
                now_ms(),
            )
            .await
            .unwrap();
            tx.commit().await.unwrap();
            wake.notify_one();
        }
    };

    let chromedriver = Chromedriver::start().await;
    let browser = chromedriver.browser(true).await;

    // Not signed in: the dashboard sends the operator to sign in.
    browser.goto(&format!("{api}/")).await.unwrap();
    assert!(
        browser
            .current_url()
            .await
            .unwrap()
            .path()
            .ends_with("/sign-in")
    );
    screenshot(&browser, "dashboard-1-sign-in").await;
    // A wrong token is refused in plain words.
    browser
        .find(Locator::Id("name"))
        .await
        .unwrap()
        .send_keys("ops-jane")
        .await
        .unwrap();
    browser
        .find(Locator::Id("token"))
        .await
        .unwrap()
        .send_keys("not-the-token")
        .await
        .unwrap();
    browser
        .find(Locator::Css("button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let refused = page_showing(&browser, "do not match an operator").await;
    assert!(refused.contains("do not match an operator"), "{refused}");
    browser
        .find(Locator::Id("token"))
        .await
        .unwrap()
        .send_keys(&token)
        .await
        .unwrap();
    browser
        .find(Locator::Css("form[action='/sign-in'] button"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    assert!(
        page_showing(&browser, "Partners")
            .await
            .contains("Partners")
    );
    assert_eq!(browser.current_url().await.unwrap().path(), "/");

    // State 27 receives a message: up.
    enqueue("state-27", "case-1", 0).await;
    assert!(
        wait_until(Duration::from_secs(20), || async {
            state_27.applied_count() == 1
        })
        .await
    );
    assert_eq!(health_of(&browser, &api, "state-27").await, "up");
    screenshot(&browser, "dashboard-2-partner-up").await;

    // An outage: every attempt fails; the circuit opens and the dashboard shows it down.
    state_27.set_behaviour(Behaviour {
        fail_first: u32::MAX,
        flaky: Arc::new(|_| true),
        ..Behaviour::default()
    });
    for seq in 1..4 {
        enqueue("state-27", "case-1", seq).await;
    }
    let down = wait_until(Duration::from_secs(30), || async {
        health_of(&browser, &api, "state-27").await == "down"
    })
    .await;
    assert!(
        down,
        "the dashboard shows state 27 down (last seen {})",
        health_of(&browser, &api, "state-27").await
    );
    let row = text_of(&browser, "tr[data-partner='state-27']").await;
    assert!(
        row.contains("503"),
        "the reason of the last failure is shown: {row}"
    );
    screenshot(&browser, "dashboard-3-partner-down").await;

    // The outage ends: everything waiting is delivered and the partner is up again.
    state_27.set_behaviour(Behaviour::default());
    let back = wait_until(Duration::from_secs(30), || async {
        state_27.applied_count() == 4 && health_of(&browser, &api, "state-27").await == "up"
    })
    .await;
    assert!(back, "the dashboard shows state 27 back up");
    screenshot(&browser, "dashboard-4-partner-back").await;

    // A county rejects a message: a dead letter, redelivered with a reason.
    enqueue("county-9", "case-9", 0).await;
    let dead = wait_until(Duration::from_secs(20), || async {
        browser.goto(&format!("{api}/dead-letters")).await.unwrap();
        browser
            .find(Locator::Css("#dead-letters tr[data-message]"))
            .await
            .is_ok()
    })
    .await;
    assert!(dead, "the dead letter is listed");
    screenshot(&browser, "dashboard-5-dead-letter").await;
    let message_id = browser
        .find(Locator::Css("#dead-letters tr[data-message]"))
        .await
        .unwrap()
        .attr("data-message")
        .await
        .unwrap()
        .unwrap();
    // Without a reason the browser does not even send the form (the field is required).
    let reason = browser
        .find(Locator::Id(&format!("reason-{message_id}")))
        .await
        .unwrap();
    assert_eq!(
        reason.attr("required").await.unwrap().as_deref(),
        Some("true")
    );
    reason
        .send_keys("County fixed its endpoint; ticket OPS-4411")
        .await
        .unwrap();
    browser
        .find(Locator::Css(&format!(
            "tr[data-message='{message_id}'] button:not([formaction])"
        )))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let done = format!("Message {message_id} will be delivered again.");
    let text = page_showing(&browser, &done).await;
    assert!(text.contains(&done), "{text}");
    screenshot(&browser, "dashboard-6-redelivered").await;

    // The action is on the audit page, with its reason, found by searching.
    browser.goto(&format!("{api}/audit")).await.unwrap();
    browser
        .find(Locator::Id("q"))
        .await
        .unwrap()
        .send_keys("OPS-4411")
        .await
        .unwrap();
    browser
        .find(Locator::Css("form[role=search] button"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let searched = wait_until(Duration::from_secs(10), || async {
        browser
            .current_url()
            .await
            .is_ok_and(|url| url.query() == Some("q=OPS-4411"))
    })
    .await;
    assert!(searched, "the search was sent");
    let rows = text_of(&browser, "#audit tbody").await;
    assert!(rows.contains("operator:ops-jane"), "{rows}");
    assert!(
        rows.contains("County fixed its endpoint; ticket OPS-4411"),
        "{rows}"
    );
    assert_eq!(rows.lines().count(), 1, "only the matching entry: {rows}");
    screenshot(&browser, "dashboard-7-audit").await;

    // Reconciliation: a job run now shows with its report, downloadable as CSV.
    let ran: serde_json::Value = reqwest::Client::new()
        .post(format!(
            "{api}/operator/v1/reconcile/jobs/outbox-health/run"
        ))
        .bearer_auth(&token)
        .json(&serde_json::json!({ "dryRun": false }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let run_id = ran["id"].as_i64().expect("a stored run");
    browser
        .goto(&format!("{api}/reconciliation"))
        .await
        .unwrap();
    let jobs = text_of(&browser, "#jobs").await;
    for job in [
        "ack-deadlines",
        "outbox-health",
        "interstate-cases",
        "new-hires",
        "offset",
        "control-totals",
        "fidm",
    ] {
        assert!(jobs.contains(job), "{job} is listed: {jobs}");
    }
    screenshot(&browser, "dashboard-8-reconciliation").await;
    browser
        .goto(&format!("{api}/reconciliation/runs/{run_id}"))
        .await
        .unwrap();
    let report = text_of(&browser, "main").await;
    assert!(
        report.contains("outbox-health") && report.contains("succeeded"),
        "{report}"
    );
    screenshot(&browser, "dashboard-9-reconciliation-run").await;

    // Signing out ends the session: the dashboard asks to sign in again.
    browser.goto(&format!("{api}/")).await.unwrap();
    browser
        .find(Locator::Css("form[action='/sign-out'] button"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    page_showing(&browser, "Sign in with your operator name").await;
    browser.goto(&format!("{api}/dead-letters")).await.unwrap();
    assert!(
        browser
            .current_url()
            .await
            .unwrap()
            .path()
            .ends_with("/sign-in")
    );

    browser.close().await.unwrap();
    gateway.stop().await;
    t.cleanup().await;
}

/// Signs in over plain HTTP; returns the session's `Set-Cookie` value when it worked.
async fn sign_in(
    http: &reqwest::Client,
    api: &str,
    name: &str,
    token: &str,
) -> (u16, Option<String>) {
    let (status, cookies, _) = support::sign_in_over_http(http, api, "/sign-in", name, token).await;
    let cookie = cookies
        .into_iter()
        .find(|c| c.starts_with("ivd_session=") && !c.starts_with("ivd_session=;"));
    (status, cookie)
}

async fn sign_in_is_for_operators_and_every_form_needs_its_session_token(t: TestDb) {
    let settings = gateway_settings(&t, Vec::new());
    let gateway = TestApp::spawn_with(settings).await;
    let db = gateway.state.db.clone();
    let api = format!("http://{}", gateway.api_addr);
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let operator = issue_token(&db, "ops-sam", Role::Operator).await;
    let system = issue_token(&db, "case-system", Role::StateSystem).await;

    // Pages need a session.
    let page = http.get(format!("{api}/audit")).send().await.unwrap();
    assert_eq!(page.status().as_u16(), 303);
    assert_eq!(page.headers()["location"], "/sign-in");
    // The state system's token is not an operator's; nor is a name that is not the token's.
    assert_eq!(
        sign_in(&http, &api, "case-system", &system).await,
        (401, None)
    );
    assert_eq!(
        sign_in(&http, &api, "someone-else", &operator).await,
        (401, None)
    );
    // The operator signs in: a session cookie only the server can read, for this site only.
    let (status, cookie) = sign_in(&http, &api, "ops-sam", &operator).await;
    assert_eq!(status, 303);
    let cookie = cookie.expect("a session cookie");
    for attribute in ["HttpOnly", "SameSite=Strict", "Path=/"] {
        assert!(cookie.contains(attribute), "{cookie}");
    }
    let session = cookie.split(';').next().unwrap().to_string();
    let page = http
        .get(format!("{api}/dead-letters"))
        .header("cookie", &session)
        .send()
        .await
        .unwrap();
    assert_eq!(page.status().as_u16(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains("No dead letters."));
    // A form posted without the session's CSRF token (as a forged cross-site form would
    // be) is refused; with it, the action runs (here: no such message).
    let forged = http
        .post(format!("{api}/dead-letters/999/redeliver"))
        .header("cookie", &session)
        .form(&[("csrf", "guessed"), ("reason", "forged")])
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status().as_u16(), 403);
    let csrf = html
        .split("name=\"csrf\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("the page carries the session's token")
        .to_string();
    let real = http
        .post(format!("{api}/dead-letters/999/redeliver"))
        .header("cookie", &session)
        .form(&[("csrf", csrf.as_str()), ("reason", "checking")])
        .send()
        .await
        .unwrap();
    assert_eq!(real.status().as_u16(), 404);
    assert!(
        real.text()
            .await
            .unwrap()
            .contains("There is no message 999.")
    );

    // Five failures lock the name out, even with the right token afterwards.
    for _ in 0..5 {
        assert_eq!(sign_in(&http, &api, "ops-sam", "wrong").await.0, 401);
    }
    let (status, _, body) =
        support::sign_in_over_http(&http, &api, "/sign-in", "ops-sam", &operator).await;
    assert_eq!(status, 401);
    assert!(body.contains("Too many failed sign-ins"), "{body}");
    // Signing out ends the session server-side: the old cookie opens nothing.
    let signed_out = http
        .post(format!("{api}/sign-out"))
        .header("cookie", &session)
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(signed_out.status().as_u16(), 303);
    let after = http
        .get(format!("{api}/"))
        .header("cookie", &session)
        .send()
        .await
        .unwrap();
    assert_eq!(after.status().as_u16(), 303);
    gateway.stop().await;
    t.cleanup().await;
}
