//! A visitor of the gateway's web pages (the dashboard, the employer pages) over plain
//! HTTP, as a browser without JavaScript is: no redirect followed (the test reads the
//! `Location`), no cookie jar (each request names its cookies), sign-in through the form
//! with its login-CSRF token.

use std::net::IpAddr;

use super::{session_cookie, sign_in_over_http};

/// A browser-like client of one gateway's API listener.
pub struct Visitor {
    /// `http://host:port` of the API listener.
    pub base: String,
    /// The client (connections from 127.0.0.1 unless made with [`Visitor::from_address`]).
    pub http: reqwest::Client,
}

/// A client whose connections come from `ip` (a loopback address such as 127.0.0.2), so
/// that the gateway sees a different client address; redirects are not followed.
pub fn client_from(ip: &str) -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .local_address(ip.parse::<IpAddr>().expect("an IP address"))
        .build()
        .expect("an HTTP client")
}

/// The `Location` of an answer, or "".
pub fn location(response: &reqwest::Response) -> String {
    response
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string()
}

/// The value of the first field `name` on a page (`name="…" value="…"`).
pub fn field_value(html: &str, name: &str) -> String {
    html.split(&format!("name=\"{name}\" value=\""))
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap_or_else(|| panic!("a field {name} on the page"))
        .to_string()
}

impl Visitor {
    /// A visitor of the gateway whose API is at `base`.
    pub fn new(base: String) -> Visitor {
        Visitor::from_address(base, "127.0.0.1")
    }

    /// A visitor whose connections come from `ip`.
    pub fn from_address(base: String, ip: &str) -> Visitor {
        Visitor {
            base,
            http: client_from(ip),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Signs in on `page` (`/sign-in` or `/employer/sign-in`) with `client`: the status,
    /// the session cookie (`ivd_session=…`) if it worked, and the page.
    pub async fn sign_in_with(
        &self,
        client: &reqwest::Client,
        page: &str,
        name: &str,
        token: &str,
    ) -> (u16, Option<String>, String) {
        let (status, cookies, body) =
            sign_in_over_http(client, &self.base, page, name, token).await;
        (status, session_cookie(&cookies), body)
    }

    /// Signs in on `page`; it must work. The session cookie.
    pub async fn sign_in(&self, page: &str, name: &str, token: &str) -> String {
        let (status, cookie, body) = self.sign_in_with(&self.http, page, name, token).await;
        assert_eq!(status, 303, "{name} signs in on {page}: {body}");
        cookie.expect("a session cookie")
    }

    /// GET with a cookie: the status, the `Location` (or "") and the body.
    pub async fn get(&self, cookie: &str, path: &str) -> (u16, String, String) {
        let response = self
            .http
            .get(self.url(path))
            .header("cookie", cookie)
            .send()
            .await
            .expect("GET");
        let status = response.status().as_u16();
        let location = location(&response);
        (status, location, response.text().await.unwrap_or_default())
    }

    /// POST a form with a cookie: the status, the `Location` (or "") and the body.
    pub async fn post_form(
        &self,
        cookie: &str,
        path: &str,
        form: &[(&str, &str)],
    ) -> (u16, String, String) {
        let response = self
            .http
            .post(self.url(path))
            .header("cookie", cookie)
            .form(form)
            .send()
            .await
            .expect("POST form");
        let status = response.status().as_u16();
        let location = location(&response);
        (status, location, response.text().await.unwrap_or_default())
    }
}
