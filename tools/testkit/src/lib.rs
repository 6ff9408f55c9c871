//! # ivd-testkit
//!
//! Helpers for the tests of `ivd-gateway` and `ivd-tools`, kept out of the service's
//! library (a dev-dependency only):
//!
//! - [`tls`]: client certificates the mutual-TLS listener must refuse (expired, signed by
//!   a foreign CA, naming another partner);
//! - [`postgres_server`], [`free_port`], [`wait_until`], [`sign_in_over_http`],
//!   [`session_cookie`]: what every integration test needs (`tests/support` re-exports
//!   them).

pub mod tls;

use std::time::Duration;

/// The PostgreSQL server named by `IVD_TEST_DATABASE_URL`, or a loud note that the
/// PostgreSQL half of a test is skipped.
pub fn postgres_server() -> Option<String> {
    match std::env::var("IVD_TEST_DATABASE_URL") {
        Ok(url) if !url.is_empty() => Some(url),
        _ => {
            eprintln!(
                "\n!!! IVD_TEST_DATABASE_URL is not set: the PostgreSQL half of this test was SKIPPED.\n\
                 !!! Set it (e.g. postgres://postgres@127.0.0.1:5432/test) to run it; .ci/run does.\n"
            );
            None
        }
    }
}

/// Polls `check` every 20 ms until it holds (true) or `limit` has passed (false).
pub async fn wait_until<F, Fut>(limit: Duration, mut check: F) -> bool
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + limit;
    loop {
        if check().await {
            return true;
        }
        if tokio::time::Instant::now() >= deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// A free loopback port (bound and released: good enough for a test's own processes).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Signs in on a sign-in page over plain HTTP as a browser does: the form is fetched first
/// (it carries a hidden `form_token` paired with a cookie, the login-CSRF defence), then
/// posted with the cookie. `page` is `/sign-in` (dashboard) or `/employer/sign-in`.
/// Returns the status and the `Set-Cookie` values of the answer.
pub async fn sign_in_over_http(
    http: &reqwest::Client,
    base: &str,
    page: &str,
    name: &str,
    token: &str,
) -> (u16, Vec<String>, String) {
    let form = http.get(format!("{base}{page}")).send().await.unwrap();
    let pairing = form
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.contains("sign_in="))
        .and_then(|v| v.split(';').next())
        .expect("the sign-in form sets its pairing cookie")
        .to_string();
    let html = form.text().await.unwrap();
    let form_token = html
        .split("name=\"form_token\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("the sign-in form carries its form token")
        .to_string();
    let response = http
        .post(format!("{base}{page}"))
        .header("cookie", pairing)
        .form(&[
            ("name", name),
            ("token", token),
            ("form_token", &form_token),
        ])
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let cookies = response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .map(str::to_string)
        .collect();
    (status, cookies, response.text().await.unwrap_or_default())
}

/// The `ivd_session=…` pair among `Set-Cookie` values, if a session was started.
pub fn session_cookie(set_cookies: &[String]) -> Option<String> {
    set_cookies
        .iter()
        .find(|c| c.starts_with("ivd_session=") && !c.starts_with("ivd_session=;"))
        .and_then(|c| c.split(';').next())
        .map(str::to_string)
}
