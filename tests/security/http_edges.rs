//! The listeners' edges: bounded metric labels, slow and idle clients cut off, security
//! headers on every page, authorization before any body is read.

use std::collections::BTreeSet;
use std::io::Read as _;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use futures::future::{BoxFuture, join_all};
use ivd_gateway::app::RunningGateway;
use ivd_gateway::config::Settings;
use ivd_gateway::store::now_ms;
use ivd_gateway::telemetry::metrics::ListenerLabel;
use ivd_gateway::tls::{DevCertificates, client_config};
use rand::Rng;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::on_both_backends;
use crate::support::app::TestApp;
use crate::support::{GatewayProcess, TestDb, gateway_settings, test_message, wait_until};

on_both_backends!(no_request_adds_a_metric_series);

/// The value of `label` in one exposition line (`name{a="x",b="y"} 3`).
fn label<'a>(line: &'a str, label: &str) -> &'a str {
    let start = line
        .find(&format!("{label}=\""))
        .unwrap_or_else(|| panic!("{label} in {line}"))
        + label.len()
        + 2;
    let end = line[start..].find('"').unwrap() + start;
    &line[start..end]
}

fn sample_value(line: &str) -> f64 {
    line.rsplit(' ').next().unwrap().parse().unwrap()
}

async fn scrape(url: &str) -> String {
    let answer = reqwest::get(url).await.unwrap();
    assert_eq!(answer.status(), 200);
    answer.text().await.unwrap()
}

async fn no_request_adds_a_metric_series(t: TestDb) {
    let mut settings = gateway_settings(&t, vec![]);
    // Hundreds of requests without a credential from one address: the limit on those
    // (its own story in identity.rs) would answer most of them 429 before they count.
    settings.server.anonymous_requests_per_minute = 0;
    settings.server.anonymous_requests_per_minute_per_address = 0;
    let gateway = TestApp::spawn_with(settings).await;
    let api = format!("http://{}", gateway.api_addr);
    // Messages left for a partner since removed from the configuration.
    let db = gateway.state.db.clone();
    let mut tx = db.begin().await.unwrap();
    ivd_gateway::outbox::enqueue(
        &mut tx,
        &test_message("retired-partner", "case-1", 0, 5, now_ms()),
        now_ms(),
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();

    // A stranger sends 300 requests, each with a method of its own invention, to paths of
    // its own invention, then one whose method is 8,000 characters long.
    let http = reqwest::Client::new();
    let mut rng = rand::rng();
    let mut methods = BTreeSet::new();
    while methods.len() < 300 {
        // `X` first: never one of the methods HTTP defines.
        let length = rng.random_range(3..=11);
        let method: String = std::iter::once('X')
            .chain((0..length).map(|_| char::from(rng.random_range(b'A'..=b'Z'))))
            .collect();
        methods.insert(method);
    }
    methods.insert("M".repeat(8_000));
    for method in &methods {
        let answer = http
            .request(
                reqwest::Method::from_bytes(method.as_bytes()).unwrap(),
                format!("{api}/probe/{}", rng.random::<u64>()),
            )
            .send()
            .await
            .unwrap();
        assert!(answer.status().is_client_error(), "{}", answer.status());
    }

    let exposition = scrape(&format!("{api}/metrics")).await;
    let requests: Vec<&str> = exposition
        .lines()
        .filter(|line| line.starts_with("ivd_http_requests_total{"))
        .collect();
    let known = [
        "GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "CONNECT", "TRACE", "other",
    ];
    for line in &requests {
        assert!(known.contains(&label(line, "method")), "{line}");
        assert_eq!(label(line, "route"), "unmatched", "{line}");
    }
    let others: f64 = requests
        .iter()
        .filter(|line| label(line, "method") == "other")
        .map(|line| sample_value(line))
        .sum();
    assert_eq!(others, 301.0, "every invented method counted as other");
    assert!(
        requests.len() <= known.len(),
        "one series per known method at most, not one per invented one: {}",
        requests.len()
    );
    let longest = exposition.lines().map(str::len).max().unwrap();
    assert!(
        longest < 300,
        "no line carries what a client sent ({longest} bytes)"
    );

    // Database rows name only configured partners in labels.
    assert!(!exposition.contains("retired-partner"));
    assert!(
        exposition.contains(r#"ivd_outbox_messages{partner="(unconfigured)",state="pending"} 1"#),
        "{exposition}"
    );
    gateway.stop().await;
    t.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_on_their_own_listener_or_behind_a_token_refuse_everyone_else() {
    let t = TestDb::sqlite().await;
    let http = reqwest::Client::new();

    // On a listener of their own: served there, and only there.
    let mut settings = gateway_settings(&t, vec![]);
    settings.server.metrics_listen = Some("127.0.0.1:0".parse().unwrap());
    let gateway = TestApp::spawn_with(settings).await;
    let own = gateway.metrics_addr.expect("the metrics listener is bound");
    let on_api = http
        .get(format!("http://{}/metrics", gateway.api_addr))
        .send()
        .await
        .unwrap();
    assert_eq!(on_api.status(), 404, "not on the API listener");
    let exposition = scrape(&format!("http://{own}/metrics")).await;
    assert!(exposition.contains("ivd_http_requests_total{listener=\"api\""));
    for path in ["/healthz", "/state/v1/events", "/"] {
        let status = http
            .get(format!("http://{own}{path}"))
            .send()
            .await
            .unwrap()
            .status();
        assert_eq!(status, 404, "{path} is not on the metrics listener");
    }
    gateway.stop().await;

    // Behind a token: an empty token file stops the start, naming the key.
    let token_file = t.scratch_dir().join("metrics.token");
    std::fs::write(&token_file, "\n").unwrap();
    let mut settings = gateway_settings(&t, vec![]);
    settings.server.metrics_token_file = Some(token_file.clone());
    let error = RunningGateway::start(settings.clone()).await.unwrap_err();
    assert!(
        format!("{error:#}").contains("server.metrics_token_file"),
        "{error:#}"
    );
    std::fs::write(&token_file, "scrape-secret-1\n").unwrap();
    let gateway = TestApp::spawn_with(settings).await;
    let url = format!("http://{}/metrics", gateway.api_addr);
    let scrape_with = |token: Option<&'static str>| {
        let mut request = http.get(&url);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        async move { request.send().await.unwrap() }
    };
    for token in [None, Some("scrape-secret"), Some("scrape-secret-10")] {
        let refused = scrape_with(token).await;
        assert_eq!(refused.status(), 401, "{token:?}");
        assert_eq!(refused.headers()["www-authenticate"], "Bearer");
        assert_eq!(
            refused.headers()["content-type"],
            "application/problem+json"
        );
        assert!(!refused.text().await.unwrap().contains("ivd_"));
    }
    let answer = scrape_with(Some("scrape-secret-1")).await;
    assert_eq!(answer.status(), 200);
    assert!(
        answer
            .text()
            .await
            .unwrap()
            .contains("ivd_http_requests_total")
    );

    // The file is read at every scrape: a new token takes over without a restart.
    std::fs::write(&token_file, "scrape-secret-2").unwrap();
    assert_eq!(scrape_with(Some("scrape-secret-1")).await.status(), 401);
    assert_eq!(scrape_with(Some("scrape-secret-2")).await.status(), 200);
    gateway.stop().await;
    t.cleanup().await;
}

trait Io: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Io for T {}

#[derive(Clone, Copy, Debug)]
enum Version {
    Http1,
    Http2,
}

/// Where a raw client connects: the API listener, or the partner listener over mutual TLS
/// with the development partner certificate.
#[derive(Clone, Copy, Debug)]
enum Door<'a> {
    Api(SocketAddr),
    Partner(SocketAddr, &'a DevCertificates),
}

impl Door<'_> {
    /// A connection, after the TLS handshake on the partner listener (ALPN as `version`).
    async fn connect(self, version: Version) -> Box<dyn Io> {
        match self {
            Door::Api(addr) => Box::new(TcpStream::connect(addr).await.unwrap()),
            Door::Partner(addr, certs) => {
                let mut config = (*client_config(
                    Some(&certs.ca_cert),
                    Some((&certs.partner_cert, &certs.partner_key)),
                )
                .unwrap())
                .clone();
                config.alpn_protocols = vec![match version {
                    Version::Http1 => b"http/1.1".to_vec(),
                    Version::Http2 => b"h2".to_vec(),
                }];
                let tcp = TcpStream::connect(addr).await.unwrap();
                let tls = tokio_rustls::TlsConnector::from(Arc::new(config))
                    .connect(
                        rustls::pki_types::ServerName::try_from("localhost").unwrap(),
                        tcp,
                    )
                    .await
                    .unwrap();
                Box::new(tls)
            }
        }
    }
}

const H2_PREFACE: &[u8] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
/// An empty SETTINGS frame.
const H2_SETTINGS: &[u8] = &[0, 0, 0, 4, 0, 0, 0, 0, 0];

/// An HTTP/2 HEADERS frame (stream 1, END_STREAM | END_HEADERS) of `GET /healthz`, with an
/// `x-slow` header of `padding` bytes.
fn h2_get_healthz(padding: u8) -> Vec<u8> {
    assert!(padding < 127, "one-byte HPACK length");
    let mut block = vec![0x82, 0x86]; // :method GET, :scheme http (static table)
    block.extend([0x04, 8]); // :path, literal value
    block.extend(b"/healthz");
    block.extend([0x01, 9]); // :authority, literal value
    block.extend(b"localhost");
    if padding > 0 {
        block.extend([0x00, 6]); // a new name, not indexed
        block.extend(b"x-slow");
        block.push(padding);
        block.extend(std::iter::repeat_n(b'a', usize::from(padding)));
    }
    let length = block.len();
    let mut frame = vec![
        (length >> 16) as u8,
        (length >> 8) as u8,
        length as u8,
        0x01,
        0x05,
        0,
        0,
        0,
        1,
    ];
    frame.extend(block);
    frame
}

fn h1_get_healthz(padding: usize) -> Vec<u8> {
    let mut request = b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n".to_vec();
    if padding > 0 {
        request.extend(b"X-Slow: ");
        request.extend(std::iter::repeat_n(b'a', padding));
        request.extend(b"\r\n");
    }
    request.extend(b"\r\n");
    request
}

/// Sends `hello` at once, then `trickle` one byte at a time with a pause between bytes,
/// reading whatever the gateway says meanwhile. True when the gateway closed the
/// connection before the last byte went out.
async fn cut_off_while_trickling(mut stream: Box<dyn Io>, hello: &[u8], trickle: &[u8]) -> bool {
    stream.write_all(hello).await.unwrap();
    stream.flush().await.unwrap();
    let mut buffer = [0u8; 4096];
    for byte in trickle {
        if stream.write_all(&[*byte]).await.is_err() || stream.flush().await.is_err() {
            return true;
        }
        // Anything else read is HTTP/2 frames (SETTINGS, PING, GOAWAY), or nothing yet.
        let read = tokio::time::timeout(Duration::from_millis(100), stream.read(&mut buffer));
        if let Ok(Ok(0) | Err(_)) = read.await {
            return true;
        }
    }
    false
}

/// Sends `hello` (nothing, or a whole request), then says nothing. True when the gateway
/// closes the connection; false if it is still open after 60 s, far beyond the one-second
/// limits the test configures (a guard against hanging, not a measurement).
async fn cut_off_while_idle(mut stream: Box<dyn Io>, hello: &[u8]) -> bool {
    stream.write_all(hello).await.unwrap();
    stream.flush().await.unwrap();
    let mut buffer = [0u8; 4096];
    loop {
        match tokio::time::timeout(Duration::from_secs(60), stream.read(&mut buffer)).await {
            Err(_) => return false,
            Ok(Ok(0) | Err(_)) => return true,
            // The answer to `hello`, HTTP/2 frames.
            Ok(Ok(_)) => {}
        }
    }
}

/// Connections `listener` cut for a limit, whatever the reason.
fn cuts(exposition: &str, listener: &str) -> u64 {
    exposition
        .lines()
        .filter(|line| line.starts_with("ivd_http_connections_cut_total{"))
        .filter(|line| label(line, "listener") == listener)
        .map(|line| sample_value(line) as u64)
        .sum()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_and_idle_clients_are_cut_off_on_both_listeners_and_both_http_versions() {
    let t = TestDb::sqlite().await;
    let mut settings = gateway_settings(&t, vec![]);
    settings.server.header_read_timeout_secs = 1;
    settings.server.idle_timeout_secs = 1;
    let gateway = TestApp::spawn_with(settings).await;
    let certs = gateway.dev_certificates();
    let doors = [
        ("api", Door::Api(gateway.api_addr)),
        ("partner", Door::Partner(gateway.partner_addr, &certs)),
    ];

    let h2_hello = [H2_PREFACE, H2_SETTINGS].concat();
    let h2_request = [h2_hello.as_slice(), &h2_get_healthz(0)].concat();
    let (h2_hello, h2_request) = (&h2_hello, &h2_request);
    let mut cases: Vec<(&str, &str, BoxFuture<'_, bool>)> = Vec::new();
    for (listener, door) in doors {
        // Headers sent a byte at a time (the whole request would take 14 s or more).
        cases.push((
            listener,
            "HTTP/1 headers trickling in",
            Box::pin(async move {
                let stream = door.connect(Version::Http1).await;
                cut_off_while_trickling(stream, b"", &h1_get_healthz(100)).await
            }),
        ));
        cases.push((
            listener,
            "HTTP/2 headers trickling in",
            Box::pin(async move {
                let stream = door.connect(Version::Http2).await;
                cut_off_while_trickling(stream, h2_hello, &h2_get_healthz(100)).await
            }),
        ));
        // Connected, and never a word.
        cases.push((
            listener,
            "a silent connection",
            Box::pin(async move {
                let stream = door.connect(Version::Http1).await;
                cut_off_while_idle(stream, b"").await
            }),
        ));
        // One request answered, then the connection is kept open doing nothing.
        cases.push((
            listener,
            "HTTP/1 idle after a request",
            Box::pin(async move {
                let stream = door.connect(Version::Http1).await;
                cut_off_while_idle(stream, &h1_get_healthz(0)).await
            }),
        ));
        cases.push((
            listener,
            "HTTP/2 idle after a request",
            Box::pin(async move {
                let stream = door.connect(Version::Http2).await;
                cut_off_while_idle(stream, h2_request).await
            }),
        ));
    }
    let outcomes = join_all(
        cases
            .into_iter()
            .map(|(listener, what, case)| async move { (listener, what, case.await) }),
    )
    .await;
    let still_open: Vec<String> = outcomes
        .iter()
        .filter(|(_, _, cut)| !cut)
        .map(|(listener, what, _)| format!("{listener} listener: {what}"))
        .collect();
    assert!(still_open.is_empty(), "not cut off: {still_open:#?}");

    // Each cut is counted, per listener.
    let exposition = scrape(&format!("http://{}/metrics", gateway.api_addr)).await;
    for listener in ["api", "partner"] {
        assert!(
            cuts(&exposition, listener) >= 5,
            "{listener}: {}",
            exposition
                .lines()
                .filter(|l| l.contains("connections_cut"))
                .collect::<Vec<_>>()
                .join("\n")
        );
    }
    gateway.stop().await;
    t.cleanup().await;
}

/// Connections open now on `listener`, as the gateway counts them.
fn open_connections(gateway: &RunningGateway, listener: &'static str) -> i64 {
    gateway
        .state
        .metrics
        .http_connections_open
        .get_or_create(&ListenerLabel { listener })
        .get()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_listener_leaves_new_connections_waiting_until_one_is_cut() {
    let t = TestDb::sqlite().await;
    let mut settings = gateway_settings(&t, vec![]);
    settings.server.max_connections = 2;
    settings.server.idle_timeout_secs = 1;
    settings.server.handshake_timeout_secs = 1;
    let gateway = TestApp::spawn_with(settings).await;
    let partner = gateway.dev_partner_client();
    let plain = reqwest::Client::builder()
        .timeout(Duration::from_secs(60))
        .build()
        .unwrap();

    for (listener, addr) in [("api", gateway.api_addr), ("partner", gateway.partner_addr)] {
        // Two clients take every connection the listener allows, and say nothing.
        let mut holding: Vec<std::net::TcpStream> = (0..2)
            .map(|_| std::net::TcpStream::connect(addr).unwrap())
            .collect();
        assert!(
            wait_until(Duration::from_secs(10), || async {
                open_connections(&gateway, listener) == 2
            })
            .await
        );
        for stream in &holding {
            stream.set_nonblocking(true).unwrap();
        }

        // A third is answered, but only once the gateway has cut one of the two.
        let status = match listener {
            "api" => plain
                .get(format!("http://{addr}/healthz"))
                .send()
                .await
                .unwrap()
                .status(),
            _ => partner
                .get(format!(
                    "https://localhost:{}/partner/v1/whoami",
                    addr.port()
                ))
                .send()
                .await
                .unwrap()
                .status(),
        };
        assert!(status.as_u16() < 500, "{listener}: {status}");
        let closed = holding
            .iter_mut()
            .map(|stream| match stream.read(&mut [0u8; 16]) {
                Ok(0) => true,
                Ok(_) => false,
                Err(error) => error.kind() != std::io::ErrorKind::WouldBlock,
            })
            .filter(|closed| *closed)
            .count();
        assert!(
            closed >= 1,
            "{listener}: the third client was served while both others still held the listener"
        );
        let waited = gateway
            .state
            .metrics
            .http_connections_at_capacity
            .get_or_create(&ListenerLabel { listener })
            .get();
        assert!(waited >= 1, "{listener}: the wait is counted");
    }
    gateway.stop().await;
    t.cleanup().await;
}

/// Every operation of `schemas/openapi.yaml` (pages and API), with its path parameters
/// filled in: (method, path).
fn documented_operations() -> Vec<(String, String)> {
    let document: serde_json::Value =
        serde_yaml_ng::from_str(include_str!("../../schemas/openapi.yaml")).unwrap();
    let mut operations = Vec::new();
    for (path, item) in document["paths"].as_object().unwrap() {
        let mut concrete = String::new();
        let mut in_parameter = false;
        for c in path.chars() {
            match c {
                '{' => in_parameter = true,
                '}' => {
                    in_parameter = false;
                    concrete.push('1');
                }
                _ if !in_parameter => concrete.push(c),
                _ => {}
            }
        }
        for method in ["get", "post", "put", "delete", "patch"] {
            if item.get(method).is_some() {
                operations.push((method.to_uppercase(), concrete.clone()));
            }
        }
    }
    operations
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_page_and_api_answer_carries_the_browser_protections() {
    let t = TestDb::sqlite().await;
    let settings = gateway_settings(&t, vec![]);
    let gateway = TestApp::spawn_with(settings).await;
    let partner = gateway.dev_partner_client();
    let api = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();

    let mut operations = documented_operations();
    assert!(operations.len() > 40, "the whole document");
    operations.push(("GET".into(), "/no/such/page".into()));
    operations.push(("BREW".into(), "/".into()));
    let mut pages = 0;
    for (method, path) in &operations {
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        if path.starts_with("/partner/") {
            let url = format!("https://localhost:{}{path}", gateway.partner_addr.port());
            let answer = partner.request(method.clone(), url).send().await.unwrap();
            assert_eq!(
                answer.headers()["x-content-type-options"],
                "nosniff",
                "{method} {path}"
            );
            continue;
        }
        let answer = api
            .request(method.clone(), format!("http://{}{path}", gateway.api_addr))
            .send()
            .await
            .unwrap();
        let headers = answer.headers();
        let what = format!("{method} {path} ({})", answer.status());
        let csp = headers
            .get("content-security-policy")
            .unwrap_or_else(|| panic!("{what}: no Content-Security-Policy"))
            .to_str()
            .unwrap();
        for directive in [
            "default-src 'none'",
            "script-src 'self'",
            "style-src 'self'",
            "form-action 'self'",
            "frame-ancestors 'none'",
            "base-uri 'none'",
        ] {
            assert!(csp.contains(directive), "{what}: {csp}");
        }
        assert!(!csp.contains("unsafe"), "{what}: {csp}");
        assert_eq!(headers["x-frame-options"], "DENY", "{what}");
        assert_eq!(headers["x-content-type-options"], "nosniff", "{what}");
        assert_eq!(headers["referrer-policy"], "same-origin", "{what}");
        if headers
            .get("content-type")
            .is_some_and(|v| v.to_str().unwrap().starts_with("text/html"))
        {
            pages += 1;
        }
    }
    assert!(pages >= 3, "pages among the answers: {pages}");
    gateway.stop().await;
    t.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_pages_work_under_their_policy_and_an_injected_script_does_not_run() {
    use crate::support::browser::Chromedriver;

    let t = TestDb::sqlite().await;
    let gateway = TestApp::spawn_with(gateway_settings(&t, vec![])).await;
    let driver = Chromedriver::start().await;
    let browser = driver.browser(true).await;
    for page in ["/sign-in", "/employer/sign-in"] {
        browser
            .goto(&format!("http://{}{page}", gateway.api_addr))
            .await
            .unwrap();
        // The stylesheet (and on the employer pages the script) loaded and applied.
        let loaded = browser
            .execute(
                "return performance.getEntriesByType('resource').map(e => new URL(e.name).pathname)",
                vec![],
            )
            .await
            .unwrap();
        let loaded: Vec<String> = serde_json::from_value(loaded).unwrap();
        assert!(
            loaded.contains(&"/assets/app.css".to_string()),
            "{page}: {loaded:?}"
        );
        if page.starts_with("/employer") {
            assert!(
                loaded.contains(&"/employer/assets/employer.js".to_string()),
                "{page}: {loaded:?}"
            );
        }
        let rules = browser
            .execute("return document.styleSheets[0].cssRules.length", vec![])
            .await
            .unwrap();
        assert!(
            rules.as_u64().unwrap() > 10,
            "{page}: the stylesheet applies"
        );

        // What an injection would add: an inline script. The policy stops it.
        let ran = browser
            .execute(
                "const s = document.createElement('script');                  s.textContent = 'window.injected = true;';                  document.body.appendChild(s);                  return window.injected === true;",
                vec![],
            )
            .await
            .unwrap();
        assert_eq!(
            ran,
            serde_json::Value::Bool(false),
            "{page}: an inline script ran"
        );
    }
    browser.close().await.unwrap();
    gateway.stop().await;
    t.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_gateway_refuses_plain_session_cookies_beyond_loopback() {
    let error = Settings::from_toml("[server]\nlisten = \"0.0.0.0:8080\"\n")
        .unwrap_err()
        .to_string();
    assert!(error.contains("server.secure_cookies"), "{error}");

    // The gateway process: refused, with the key named, and nothing listening.
    let dir = tempfile::tempdir().unwrap();
    let config = |secure: bool| {
        format!(
            "[database]\nurl = \"sqlite://{}/gateway.db\"\n[server]\nlisten = \"0.0.0.0:0\"\n\
             partner_listen = \"127.0.0.1:0\"\nsecure_cookies = {secure}\nshutdown_grace_secs = 2\n",
            dir.path().display(),
        )
    };
    let mut exposed = GatewayProcess::start(dir.path(), "exposed", &config(false));
    assert!(
        wait_until(Duration::from_secs(30), || {
            let alive = exposed.alive();
            async move { !alive }
        })
        .await,
        "the gateway refuses to start"
    );
    let log = std::fs::read_to_string(dir.path().join("exposed.log")).unwrap();
    assert!(log.contains("server.secure_cookies"), "{log}");
    assert!(
        crate::support::started_api_address(&log).is_none(),
        "it never listened: {log}"
    );

    // Behind a TLS-terminating proxy the cookies are Secure: it starts.
    let mut proxied = GatewayProcess::start(dir.path(), "proxied", &config(true));
    assert!(proxied.wait_ready().await.is_some(), "the gateway starts");
    assert!(proxied.sigterm_and_wait().success());
}
