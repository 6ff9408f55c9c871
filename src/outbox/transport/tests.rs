//! Transport tests: a wiremock partner for HTTP, a temporary directory for file drops.
//! Mutual-TLS deliveries are tested in `crate::tls`'s tests, against the real listener.

use std::time::Duration;

use wiremock::matchers::{body_bytes, header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use super::*;

/// Synthetic payload shaped like a record with an SSN, to prove it never leaks into texts.
const PAYLOAD: &[u8] = b"NCP|SSN=900-12-3456|NAME=TESTPERSON";
const SECRET: &str = "900-12-3456";

fn delivery<'a>(file_name: &'a str, payload: &'a [u8]) -> Delivery<'a> {
    Delivery {
        message_id: 42,
        idempotency_key: "csenet-000123",
        content_type: "application/octet-stream",
        payload,
        file_name,
    }
}

fn http_transport(server: &MockServer, timeout: Duration) -> HttpsTransport {
    HttpsTransport::new(&format!("{}/inbox", server.uri()), None, timeout).expect("valid endpoint")
}

fn assert_no_payload(outcome: &DeliveryOutcome) {
    let text = format!("{outcome:?}");
    assert!(!text.contains(SECRET), "payload leaked into {text}");
}

#[tokio::test]
async fn http_200_is_delivered_with_idempotency_headers() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/inbox"))
        .and(header("idempotency-key", "csenet-000123"))
        .and(header("x-ivd-message-id", "42"))
        .and(header("content-type", "application/octet-stream"))
        .and(body_bytes(PAYLOAD))
        .respond_with(ResponseTemplate::new(200).set_body_string("accepted\r\nreceipt 77"))
        .expect(1)
        .mount(&server)
        .await;
    let transport = http_transport(&server, Duration::from_secs(5));

    let outcome = transport.deliver(&delivery("f.dat", PAYLOAD)).await;

    assert_eq!(
        outcome,
        DeliveryOutcome::Delivered {
            status: Some(200),
            detail: "HTTP 200: accepted receipt 77".to_owned()
        }
    );
    let received = server.received_requests().await.expect("recording is on");
    assert_eq!(
        received[0]
            .headers
            .get("idempotency-key")
            .map(|v| v.as_bytes()),
        Some(&b"csenet-000123"[..])
    );
}

#[tokio::test]
async fn http_503_with_retry_after_is_retry() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(503).insert_header("retry-after", "120"))
        .expect(1)
        .mount(&server)
        .await;
    let outcome = http_transport(&server, Duration::from_secs(5))
        .deliver(&delivery("f.dat", PAYLOAD))
        .await;
    assert_eq!(
        outcome,
        DeliveryOutcome::Retry {
            status: Some(503),
            reason: "HTTP 503 (empty body)".to_owned(),
            retry_after: Some(Duration::from_secs(120)),
        }
    );
}

#[tokio::test]
async fn http_408_425_429_500_are_retry_and_a_huge_retry_after_is_capped() {
    let server = MockServer::start().await;
    for code in [408u16, 425, 429, 500] {
        Mock::given(path(format!("/s{code}")))
            .respond_with(ResponseTemplate::new(code).insert_header("retry-after", "99999999"))
            .mount(&server)
            .await;
    }
    for code in [408u16, 425, 429, 500] {
        let transport = HttpsTransport::new(
            &format!("{}/s{code}", server.uri()),
            None,
            Duration::from_secs(5),
        )
        .unwrap();
        match transport.deliver(&delivery("f.dat", PAYLOAD)).await {
            DeliveryOutcome::Retry {
                status,
                retry_after,
                ..
            } => {
                assert_eq!(status, Some(code));
                assert_eq!(retry_after, Some(Duration::from_secs(24 * 3600)));
            }
            other => panic!("{code}: expected retry, got {other:?}"),
        }
    }
}

#[tokio::test]
async fn http_400_is_rejected_with_the_partner_text() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(400).set_body_string("bad FIPS code in header"))
        .mount(&server)
        .await;
    let outcome = http_transport(&server, Duration::from_secs(5))
        .deliver(&delivery("f.dat", PAYLOAD))
        .await;
    assert_eq!(
        outcome,
        DeliveryOutcome::Rejected {
            status: Some(400),
            reason: "HTTP 400: bad FIPS code in header".to_owned()
        }
    );
}

#[tokio::test]
async fn redirect_is_retry_not_followed() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(308).insert_header("location", "/elsewhere"))
        .mount(&server)
        .await;
    let outcome = http_transport(&server, Duration::from_secs(5))
        .deliver(&delivery("f.dat", PAYLOAD))
        .await;
    assert!(
        matches!(
            outcome,
            DeliveryOutcome::Retry {
                status: Some(308),
                ..
            }
        ),
        "{outcome:?}"
    );
}

#[tokio::test]
async fn slow_partner_times_out_as_retry() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_delay(Duration::from_secs(5)))
        .mount(&server)
        .await;
    let started = std::time::Instant::now();
    let outcome = http_transport(&server, Duration::from_millis(300))
        .deliver(&delivery("f.dat", PAYLOAD))
        .await;
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "the timeout bounds the attempt"
    );
    match &outcome {
        DeliveryOutcome::Retry {
            status: None,
            reason,
            ..
        } => assert!(reason.contains("timed out"), "{reason}"),
        other => panic!("expected retry, got {other:?}"),
    }
    assert_no_payload(&outcome);
}

#[tokio::test]
async fn connection_refused_is_retry() {
    // Bind then drop a listener: nothing listens on that port any more.
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let transport = HttpsTransport::new(
        &format!("http://127.0.0.1:{port}/inbox"),
        None,
        Duration::from_secs(5),
    )
    .unwrap();
    let outcome = transport.deliver(&delivery("f.dat", PAYLOAD)).await;
    match &outcome {
        DeliveryOutcome::Retry {
            status: None,
            reason,
            ..
        } => assert!(
            reason.contains("connecting to the partner failed"),
            "{reason}"
        ),
        other => panic!("expected retry, got {other:?}"),
    }
    assert_no_payload(&outcome);
}

#[tokio::test]
async fn large_response_body_is_bounded_and_truncated() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_bytes(vec![b'x'; 1024 * 1024]))
        .mount(&server)
        .await;
    let outcome = http_transport(&server, Duration::from_secs(5))
        .deliver(&delivery("f.dat", PAYLOAD))
        .await;
    match outcome {
        DeliveryOutcome::Delivered { status, detail } => {
            assert_eq!(status, Some(200));
            assert!(detail.chars().count() < 600, "detail is truncated");
            assert!(detail.ends_with('…'));
        }
        other => panic!("expected delivered, got {other:?}"),
    }
}

#[tokio::test]
async fn header_values_that_cannot_be_sent_are_rejected() {
    let server = MockServer::start().await;
    let transport = http_transport(&server, Duration::from_secs(5));
    let mut bad = delivery("f.dat", PAYLOAD);
    bad.idempotency_key = "line\nbreak";
    assert!(matches!(
        transport.deliver(&bad).await,
        DeliveryOutcome::Rejected { status: None, .. }
    ));
    assert!(server.received_requests().await.unwrap().is_empty());
}

#[test]
fn endpoints_are_checked_and_described_without_secrets() {
    let timeout = Duration::from_secs(1);
    let transport =
        HttpsTransport::new("http://127.0.0.1:8080/in/box?token=s3cr3t", None, timeout).unwrap();
    assert_eq!(
        transport.describe(),
        "http POST http://127.0.0.1:8080/in/box"
    );
    assert!(!format!("{transport:?}").contains("s3cr3t"));

    assert!(matches!(
        HttpsTransport::new("https://partner.example/in", None, timeout),
        Err(TransportError::TlsConfigRequired { .. })
    ));
    assert!(matches!(
        HttpsTransport::new("ftp://partner.example/in", None, timeout),
        Err(TransportError::InvalidEndpoint(_))
    ));
    assert!(matches!(
        HttpsTransport::new("http://user:pw@partner.example/in", None, timeout),
        Err(TransportError::InvalidEndpoint(_))
    ));
    assert!(matches!(
        HttpsTransport::new("/relative", None, timeout),
        Err(TransportError::InvalidEndpoint(_))
    ));
}

#[test]
fn delivery_debug_hides_the_payload() {
    let text = format!("{:?}", delivery("f.dat", PAYLOAD));
    assert!(!text.contains(SECRET));
    assert!(text.contains("payload_len: 35"), "{text}");
}

#[test]
fn partner_text_is_cleaned() {
    assert_eq!(clean_text(b"  a\r\n\tb\x00c  "), "a b c");
    assert_eq!(clean_text(&[0xff, b'o', b'k']), "\u{fffd}ok");
    assert_eq!(clean_text(b""), "");
    assert_eq!(
        clean_text(b"SSN 123-45-6789\r\n(123456789) on line 12"),
        "SSN ***-**-**** (*********) on line 12"
    );
}

// ---------------------------------------------------------------------------------------
// File drop

fn entries(dir: &std::path::Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[tokio::test]
async fn file_drop_writes_the_file_and_leaves_no_temporary() {
    let dir = tempfile::tempdir().unwrap();
    let transport = FileDropTransport::new(dir.path().to_owned());

    let outcome = transport
        .deliver(&delivery("OFFSET.20250101.txt", PAYLOAD))
        .await;

    assert!(
        matches!(outcome, DeliveryOutcome::Delivered { status: None, .. }),
        "{outcome:?}"
    );
    assert_no_payload(&outcome);
    assert_eq!(entries(dir.path()), vec!["OFFSET.20250101.txt"]);
    assert_eq!(
        std::fs::read(dir.path().join("OFFSET.20250101.txt")).unwrap(),
        PAYLOAD
    );
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(dir.path().join("OFFSET.20250101.txt"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
    assert_eq!(
        transport.describe(),
        format!("file drop {}", dir.path().display())
    );
}

#[tokio::test]
async fn file_drop_same_bytes_twice_is_delivered() {
    let dir = tempfile::tempdir().unwrap();
    let transport = FileDropTransport::new(dir.path().to_owned());
    let first = transport.deliver(&delivery("a.txt", PAYLOAD)).await;
    let second = transport.deliver(&delivery("a.txt", PAYLOAD)).await;
    assert!(matches!(first, DeliveryOutcome::Delivered { .. }));
    match second {
        DeliveryOutcome::Delivered { detail, .. } => {
            assert!(detail.contains("already present"), "{detail}")
        }
        other => panic!("expected delivered, got {other:?}"),
    }
    assert_eq!(entries(dir.path()), vec!["a.txt"]);
}

#[tokio::test]
async fn file_drop_never_overwrites_different_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let transport = FileDropTransport::new(dir.path().to_owned());
    transport.deliver(&delivery("a.txt", PAYLOAD)).await;
    // Same length, different bytes; and a different length.
    for other in [&b"NCP|SSN=900-12-3457|NAME=TESTPERSON"[..], b"short"] {
        let outcome = transport.deliver(&delivery("a.txt", other)).await;
        assert!(
            matches!(outcome, DeliveryOutcome::Rejected { status: None, .. }),
            "{outcome:?}"
        );
        assert_no_payload(&outcome);
    }
    assert_eq!(std::fs::read(dir.path().join("a.txt")).unwrap(), PAYLOAD);
    assert_eq!(entries(dir.path()), vec!["a.txt"]);
}

#[tokio::test]
async fn file_drop_onto_a_directory_name_is_rejected() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("taken")).unwrap();
    let outcome = FileDropTransport::new(dir.path().to_owned())
        .deliver(&delivery("taken", PAYLOAD))
        .await;
    assert!(
        matches!(outcome, DeliveryOutcome::Rejected { .. }),
        "{outcome:?}"
    );
}

#[tokio::test]
async fn file_drop_io_errors_are_retry() {
    // Tests run as root, where a 0555 directory is still writable: provoke real I/O errors
    // with a "directory" that is a regular file, and with one that does not exist.
    let dir = tempfile::tempdir().unwrap();
    let regular_file = dir.path().join("not-a-dir");
    std::fs::write(&regular_file, b"x").unwrap();
    let cases = [
        (regular_file.join("sub"), "NotADirectory"),
        (dir.path().join("missing"), "NotFound"),
    ];
    for (target_dir, kind) in cases {
        let outcome = FileDropTransport::new(target_dir)
            .deliver(&delivery("a.txt", PAYLOAD))
            .await;
        match &outcome {
            DeliveryOutcome::Retry {
                status: None,
                reason,
                ..
            } => assert!(reason.contains(kind), "{reason}"),
            other => panic!("expected retry, got {other:?}"),
        }
        assert_no_payload(&outcome);
    }
    assert_eq!(entries(dir.path()), vec!["not-a-dir"]);
}

#[tokio::test]
async fn file_drop_refuses_bad_names_without_touching_the_disk() {
    let dir = tempfile::tempdir().unwrap();
    let transport = FileDropTransport::new(dir.path().to_owned());
    for name in [
        "",
        "../escape",
        "a/b",
        "a\\b",
        "x..y",
        ".hidden",
        "..",
        "tab\there",
        &"n".repeat(201),
    ] {
        let outcome = transport.deliver(&delivery(name, PAYLOAD)).await;
        assert!(
            matches!(outcome, DeliveryOutcome::Rejected { status: None, .. }),
            "{name:?}: {outcome:?}"
        );
    }
    assert!(entries(dir.path()).is_empty());
    assert!(!dir.path().parent().unwrap().join("escape").exists());
}

#[test]
fn outcome_kinds() {
    let retry = DeliveryOutcome::Retry {
        status: None,
        reason: String::new(),
        retry_after: None,
    };
    assert_eq!(retry.kind(), "retry");
}
