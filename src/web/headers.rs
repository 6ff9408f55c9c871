//! Headers on every answer that tell a browser what the gateway's pages may do.
//!
//! The dashboard and the employer pages are server-rendered HTML whose only resources are
//! same-origin: one stylesheet (`/assets/app.css`), one script on the employer pages
//! (`/employer/assets/employer.js`), forms that post back to the gateway, charts drawn as
//! inline SVG elements (markup, not fetched images). No inline script or style, no
//! `style` attribute, no other origin. So the policy allows exactly that and nothing
//! else: an injected `<script>` or inline handler does not run, an injected form cannot
//! post elsewhere, an injected `<base>` cannot redirect relative links, and no other site
//! can frame a page to trick a click (`frame-ancestors 'none'`, and `X-Frame-Options` for
//! browsers older than CSP 2).
//!
//! `Referrer-Policy: same-origin`: the pages' addresses (receipt ids, run ids) never leave
//! for another site, while same-origin form posts keep their `Origin` and `Referer`.
//! (`no-referrer` would send `Origin: null` on them, which a check of the request's origin
//! cannot tell from a cross-site post.)
//!
//! The API listener's answers (pages, API, problem documents) all carry the whole set; it
//! costs nothing on JSON and keeps a page added later protected without a thought. The
//! partner listener's answers carry `X-Content-Type-Options: nosniff` (no browser reaches
//! it without a partner certificate, and its answers are never pages). A header a handler
//! has set itself is left as it is.

use axum::extract::Request;
use axum::http::header::{self, HeaderName};
use axum::http::{HeaderMap, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;

/// The Content Security Policy of every answer of the API listener.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; \
     style-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

const BROWSER_PROTECTIONS: [(HeaderName, &str); 4] = [
    (header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY),
    (header::X_FRAME_OPTIONS, "DENY"),
    (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
    (header::REFERRER_POLICY, "same-origin"),
];

fn add_missing(headers: &mut HeaderMap, wanted: &[(HeaderName, &'static str)]) {
    for (name, value) in wanted {
        headers
            .entry(name.clone())
            .or_insert_with(|| HeaderValue::from_static(value));
    }
}

/// Middleware of the API and metrics listeners: the whole set.
pub async fn browser_protections(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    add_missing(response.headers_mut(), &BROWSER_PROTECTIONS);
    response
}

/// Middleware of the partner listener: `X-Content-Type-Options: nosniff`.
pub async fn no_sniffing(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    add_missing(
        response.headers_mut(),
        &[(header::X_CONTENT_TYPE_OPTIONS, "nosniff")],
    );
    response
}
