//! Mutual-TLS tests against the real listener on 127.0.0.1:0, with certificates made in a
//! temporary directory. The client side is the outbox's `HttpsTransport`, so these also
//! prove the two halves of partner traffic agree.
//!
//! Not tested: a TLS 1.1 (or 1.0) client. rustls cannot speak either, so no client in this
//! crate can attempt it; the server's version list (`PROTOCOL_VERSIONS`) is asserted instead.

use std::net::SocketAddr;
use std::os::unix::fs::PermissionsExt;
use std::sync::Arc;
use std::time::Duration;

use axum::routing::post;
use axum::{Extension, Router};
use tokio::io::AsyncReadExt;
use tokio::sync::Notify;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use super::*;
use crate::outbox::transport::{Delivery, DeliveryOutcome, HttpsTransport, Transport};

const PAYLOAD: &[u8] = b"synthetic payload";

fn delivery() -> Delivery<'static> {
    Delivery {
        message_id: 7,
        idempotency_key: "key-7",
        content_type: "text/plain",
        payload: PAYLOAD,
        file_name: "f.txt",
    }
}

/// Echoes the caller's certificate CN and HTTP version; `/slow` signals `arrived` and takes
/// a second to answer, for the shutdown tests.
fn echo_router(arrived: Arc<Notify>) -> Router {
    Router::new()
        .route(
            "/whoami",
            post(|Extension(peer): Extension<PeerIdentity>, version: axum::http::Version| async move {
                format!("{} {version:?}", peer.common_name.unwrap_or_default())
            }),
        )
        .route(
            "/slow",
            post(move || async move {
                arrived.notify_one();
                tokio::time::sleep(Duration::from_secs(1)).await;
                "slow done"
            }),
        )
}

struct Server {
    addr: SocketAddr,
    shutdown: CancellationToken,
    task: JoinHandle<std::io::Result<()>>,
    /// Notified when a request reaches `/slow`.
    arrived: Arc<Notify>,
}

impl Server {
    async fn wait_for_slow_request(&self) {
        tokio::time::timeout(Duration::from_secs(10), self.arrived.notified())
            .await
            .expect("the slow request reaches the handler");
    }
}

async fn start(certs: &DevCertificates, options: ServeOptions) -> Server {
    let config = server_config(&certs.server_cert, &certs.server_key, &certs.ca_cert)
        .expect("server config");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let shutdown = CancellationToken::new();
    let arrived = Arc::new(Notify::new());
    let task = tokio::spawn(serve_mtls_with_options(
        listener,
        config,
        echo_router(arrived.clone()),
        shutdown.clone(),
        options,
    ));
    Server {
        addr,
        shutdown,
        task,
        arrived,
    }
}

fn transport(addr: SocketAddr, path: &str, config: Arc<rustls::ClientConfig>) -> HttpsTransport {
    HttpsTransport::new(
        &format!("https://127.0.0.1:{}{path}", addr.port()),
        Some(config),
        Duration::from_secs(5),
    )
    .unwrap()
}

/// The server's verdict reaches the client as a TLS alert; in TLS 1.3 that happens after
/// the client considers its own handshake done, so it surfaces on the first request.
fn assert_refused(outcome: DeliveryOutcome, alert: &str) {
    match outcome {
        DeliveryOutcome::Retry {
            status: None,
            reason,
            ..
        } => assert!(reason.contains(alert), "expected alert {alert}: {reason}"),
        other => panic!("expected the handshake to fail (retry without status), got {other:?}"),
    }
}

#[test]
fn dev_certificates_are_made_once_and_reused() {
    let dir = tempfile::tempdir().unwrap();
    let certs = ensure_dev_certificates(&dir.path().join("pki")).unwrap();
    for file in [
        &certs.ca_cert,
        &certs.ca_key,
        &certs.server_cert,
        &certs.server_key,
        &certs.partner_cert,
        &certs.partner_key,
    ] {
        let mode = std::fs::metadata(file).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "{}", file.display());
    }
    let mode = std::fs::metadata(&certs.dir).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o700);
    let snapshot = |c: &DevCertificates| -> Vec<Vec<u8>> {
        [
            &c.ca_cert,
            &c.ca_key,
            &c.server_cert,
            &c.server_key,
            &c.partner_cert,
            &c.partner_key,
        ]
        .iter()
        .map(|p| std::fs::read(p).unwrap())
        .collect()
    };
    let before = snapshot(&certs);

    let again = ensure_dev_certificates(&dir.path().join("pki")).unwrap();
    assert_eq!(again, certs);
    assert_eq!(snapshot(&again), before, "nothing is regenerated");

    // A lost server certificate is made again under the same CA.
    std::fs::remove_file(&certs.server_cert).unwrap();
    ensure_dev_certificates(&dir.path().join("pki")).unwrap();
    let after = snapshot(&certs);
    assert_eq!(after[0], before[0], "CA kept");
    assert_ne!(after[2], before[2], "server certificate re-issued");
    assert_eq!(after[4], before[4], "partner certificate kept");

    // A lost CA key means a new CA, and every leaf re-issued.
    std::fs::remove_file(&certs.ca_key).unwrap();
    ensure_dev_certificates(&dir.path().join("pki")).unwrap();
    let renewed = snapshot(&certs);
    assert_ne!(renewed[0], before[0]);
    assert_ne!(renewed[4], before[4]);
    // No temporary files are left behind.
    assert_eq!(
        std::fs::read_dir(dir.path().join("pki")).unwrap().count(),
        6
    );
}

#[test]
fn peer_identity_reads_the_partner_certificate() {
    let dir = tempfile::tempdir().unwrap();
    let certs = ensure_dev_certificates(dir.path()).unwrap();
    let der = load_certificates(&certs.partner_cert).unwrap().remove(0);
    let identity = PeerIdentity::from_der(&der).unwrap();
    assert_eq!(identity.common_name.as_deref(), Some("dev-partner"));
    let pinned: crate::tls::DistinguishedName =
        "CN=dev-partner, O=ivd-gateway development (not for production)"
            .parse()
            .unwrap();
    assert!(
        identity.subject.is_pinned_by(&pinned),
        "{}",
        identity.subject
    );
    let ca: crate::tls::DistinguishedName =
        "O=ivd-gateway development (not for production), CN=ivd-gateway development CA"
            .parse()
            .unwrap();
    assert!(identity.issuer.is_pinned_by(&ca), "{}", identity.issuer);
    let pins = crate::tls::CertificatePins::of_pem_file(&certs.partner_cert).unwrap();
    assert_eq!(pins.fingerprint.hex(), identity.fingerprint_sha256);
    assert_eq!(pins.subject, identity.subject);
    assert_eq!(identity.fingerprint_sha256.len(), 64);
    assert_eq!(
        identity.fingerprint_sha256,
        hex::encode(Sha256::digest(&der))
    );
    assert!(PeerIdentity::from_der(b"not a certificate").is_err());
}

#[test]
fn configuration_errors_name_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let certs = ensure_dev_certificates(dir.path()).unwrap();
    let missing = dir.path().join("nope.pem");

    let error = server_config(&missing, &certs.server_key, &certs.ca_cert).unwrap_err();
    assert!(matches!(error, TlsError::Io { .. }));
    assert!(error.to_string().contains("nope.pem"), "{error}");

    // A key file where a certificate is expected, and the reverse.
    let error = server_config(&certs.server_key, &certs.server_key, &certs.ca_cert).unwrap_err();
    assert!(error.to_string().contains("server-key.pem"), "{error}");
    let error = client_config(
        Some(&certs.ca_cert),
        Some((&certs.partner_cert, &certs.partner_cert)),
    )
    .unwrap_err();
    assert!(matches!(error, TlsError::BadKeyFile { .. }), "{error}");
    assert!(
        !error.to_string().contains("BEGIN"),
        "no PEM content in errors: {error}"
    );

    // A certificate with someone else's key.
    let error = server_config(&certs.server_cert, &certs.partner_key, &certs.ca_cert).unwrap_err();
    assert!(
        matches!(error, TlsError::CertificateRejected { .. }),
        "{error}"
    );

    assert!(matches!(
        client_config(None, None),
        Err(TlsError::MissingCa)
    ));
    assert!(matches!(
        certs.issue_client("../evil", dir.path()),
        Err(TlsError::InvalidCommonName)
    ));
}

#[test]
fn only_tls_1_2_and_1_3_are_offered() {
    // rustls implements nothing older, so a TLS 1.1-only client cannot be built to try.
    let versions: Vec<_> = PROTOCOL_VERSIONS.iter().map(|v| v.version).collect();
    assert_eq!(
        versions,
        vec![
            rustls::ProtocolVersion::TLSv1_3,
            rustls::ProtocolVersion::TLSv1_2
        ]
    );
    let dir = tempfile::tempdir().unwrap();
    let certs = ensure_dev_certificates(dir.path()).unwrap();
    let config = server_config(&certs.server_cert, &certs.server_key, &certs.ca_cert).unwrap();
    assert_eq!(
        config.alpn_protocols,
        vec![b"h2".to_vec(), b"http/1.1".to_vec()]
    );
}

#[tokio::test]
async fn dev_partner_delivers_over_mutual_tls_and_its_cn_reaches_the_handler() {
    let dir = tempfile::tempdir().unwrap();
    let certs = ensure_dev_certificates(dir.path()).unwrap();
    let server = start(&certs, ServeOptions::default()).await;

    let config = client_config(
        Some(&certs.ca_cert),
        Some((&certs.partner_cert, &certs.partner_key)),
    )
    .unwrap();
    let outcome = transport(server.addr, "/whoami", config)
        .deliver(&delivery())
        .await;
    assert_eq!(
        outcome,
        DeliveryOutcome::Delivered {
            status: Some(200),
            detail: "HTTP 200: dev-partner HTTP/2.0".to_owned()
        }
    );

    // Another partner identity, issued by the same CA.
    let issued = certs.issue_client("state-06", dir.path()).unwrap();
    let config = client_config(Some(&certs.ca_cert), Some((&issued.cert, &issued.key))).unwrap();
    let outcome = transport(server.addr, "/whoami", config)
        .deliver(&delivery())
        .await;
    assert!(
        matches!(&outcome, DeliveryOutcome::Delivered { detail, .. } if detail.contains("state-06")),
        "{outcome:?}"
    );

    server.shutdown.cancel();
    server.task.await.unwrap().unwrap();
}

#[tokio::test]
async fn refused_client_certificates() {
    let dir = tempfile::tempdir().unwrap();
    let certs = ensure_dev_certificates(dir.path()).unwrap();
    let server = start(&certs, ServeOptions::default()).await;

    // No certificate at all.
    let config = client_config(Some(&certs.ca_cert), None).unwrap();
    assert_refused(
        transport(server.addr, "/whoami", config)
            .deliver(&delivery())
            .await,
        "CertificateRequired",
    );

    // Signed by a CA with the same name as ours, but not ours.
    let foreign =
        ivd_testkit::tls::issue_foreign_client_certificate("impostor", dir.path()).unwrap();
    let config = client_config(Some(&certs.ca_cert), Some((&foreign.cert, &foreign.key))).unwrap();
    assert_refused(
        transport(server.addr, "/whoami", config)
            .deliver(&delivery())
            .await,
        "DecryptError",
    );

    // Ours, but expired.
    let expired = ivd_testkit::tls::issue_expired_client_certificate(
        &certs.ca_cert,
        &certs.ca_key,
        "expired-partner",
        dir.path(),
    )
    .unwrap();
    let config = client_config(Some(&certs.ca_cert), Some((&expired.cert, &expired.key))).unwrap();
    assert_refused(
        transport(server.addr, "/whoami", config)
            .deliver(&delivery())
            .await,
        "CertificateExpired",
    );

    // The listener is still serving good partners after all that.
    let config = client_config(
        Some(&certs.ca_cert),
        Some((&certs.partner_cert, &certs.partner_key)),
    )
    .unwrap();
    let outcome = transport(server.addr, "/whoami", config)
        .deliver(&delivery())
        .await;
    assert!(
        matches!(outcome, DeliveryOutcome::Delivered { .. }),
        "{outcome:?}"
    );

    server.shutdown.cancel();
    server.task.await.unwrap().unwrap();
}

#[tokio::test]
async fn client_refuses_a_server_outside_its_ca() {
    let dir = tempfile::tempdir().unwrap();
    let ours = ensure_dev_certificates(&dir.path().join("ours")).unwrap();
    let theirs = ensure_dev_certificates(&dir.path().join("theirs")).unwrap();
    let server = start(&theirs, ServeOptions::default()).await;
    let config = client_config(
        Some(&ours.ca_cert),
        Some((&ours.partner_cert, &ours.partner_key)),
    )
    .unwrap();
    let outcome = transport(server.addr, "/whoami", config)
        .deliver(&delivery())
        .await;
    match outcome {
        DeliveryOutcome::Retry { reason, .. } => {
            assert!(reason.contains("certificate"), "{reason}")
        }
        other => panic!("expected retry, got {other:?}"),
    }
    server.shutdown.cancel();
    server.task.await.unwrap().unwrap();
}

#[tokio::test]
async fn a_silent_client_is_dropped_after_the_handshake_timeout() {
    let dir = tempfile::tempdir().unwrap();
    let certs = ensure_dev_certificates(dir.path()).unwrap();
    let server = start(
        &certs,
        ServeOptions::default().handshake_timeout(Duration::from_millis(200)),
    )
    .await;

    let mut silent = tokio::net::TcpStream::connect(server.addr).await.unwrap();
    let mut buffer = [0u8; 16];
    let read = tokio::time::timeout(Duration::from_secs(5), silent.read(&mut buffer))
        .await
        .expect("the server closes the connection well before 5 s");
    assert!(
        matches!(read, Ok(0) | Err(_)),
        "closed, not answered: {read:?}"
    );

    server.shutdown.cancel();
    server.task.await.unwrap().unwrap();
}

#[tokio::test]
async fn shutdown_lets_the_request_in_flight_finish_then_stops_accepting() {
    let dir = tempfile::tempdir().unwrap();
    let certs = ensure_dev_certificates(dir.path()).unwrap();
    let server = start(&certs, ServeOptions::default()).await;
    let config = client_config(
        Some(&certs.ca_cert),
        Some((&certs.partner_cert, &certs.partner_key)),
    )
    .unwrap();
    let slow = transport(server.addr, "/slow", config.clone());

    let in_flight = tokio::spawn(async move { slow.deliver(&delivery()).await });
    server.wait_for_slow_request().await;
    server.shutdown.cancel();

    let outcome = in_flight.await.unwrap();
    assert_eq!(
        outcome,
        DeliveryOutcome::Delivered {
            status: Some(200),
            detail: "HTTP 200: slow done".to_owned()
        }
    );
    tokio::time::timeout(Duration::from_secs(5), server.task)
        .await
        .expect("the server stops once the connection is done")
        .unwrap()
        .unwrap();

    let outcome = transport(server.addr, "/whoami", config)
        .deliver(&delivery())
        .await;
    assert!(
        matches!(outcome, DeliveryOutcome::Retry { .. }),
        "{outcome:?}"
    );
}

#[tokio::test]
async fn shutdown_grace_bounds_a_connection_that_will_not_finish() {
    let dir = tempfile::tempdir().unwrap();
    let certs = ensure_dev_certificates(dir.path()).unwrap();
    let server = start(
        &certs,
        ServeOptions::default().shutdown_grace(Duration::from_millis(100)),
    )
    .await;
    let config = client_config(
        Some(&certs.ca_cert),
        Some((&certs.partner_cert, &certs.partner_key)),
    )
    .unwrap();
    let slow = transport(server.addr, "/slow", config);

    let in_flight = tokio::spawn(async move { slow.deliver(&delivery()).await });
    server.wait_for_slow_request().await;
    server.shutdown.cancel();
    let started = std::time::Instant::now();
    server.task.await.unwrap().unwrap();
    assert!(
        started.elapsed() < Duration::from_millis(900),
        "aborted at the grace bound"
    );
    assert!(matches!(
        in_flight.await.unwrap(),
        DeliveryOutcome::Retry { .. }
    ));
}

#[test]
fn processes_starting_together_on_one_directory_get_one_consistent_pki() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tls");
    let threads: Vec<_> = (0..6)
        .map(|_| {
            let path = path.clone();
            std::thread::spawn(move || {
                crate::tls::ensure_dev_certificates(&path).expect("generated")
            })
        })
        .collect();
    let results: Vec<_> = threads
        .into_iter()
        .map(|t| t.join().expect("no panic"))
        .collect();
    let first = &results[0];
    // Every caller sees the same, usable files: the server key matches its certificate.
    crate::tls::server_config(&first.server_cert, &first.server_key, &first.ca_cert)
        .expect("consistent server key");
    let ca = std::fs::read(&first.ca_cert).unwrap();
    assert!(
        results
            .iter()
            .all(|r| std::fs::read(&r.ca_cert).unwrap() == ca)
    );
    assert!(
        !path.join(".generating.lock").exists(),
        "the lock is released"
    );
}
