//! The fault suite's shared pieces: how long it runs (`IVD_FAULT_SCALE`), a partner on raw
//! loopback TCP that can be made to fail in every way a real one does, continuous load on
//! the outbox, gateway processes from the real binary, and the end-of-run checks (every
//! message delivered, once per idempotency key, in per-key order, no lease left stuck).
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use ivd_gateway::outbox;
use ivd_gateway::store::{Db, now_ms};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

use super::{PartnerLog, assert_per_key_order, test_message, wait_until};

/// How long the fault suite runs: short in CI, long with `IVD_FAULT_SCALE=full`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Scale {
    pub full: bool,
}

impl Scale {
    /// Read once per test from `IVD_FAULT_SCALE` (`full` for the long run; anything else,
    /// or nothing, is the CI length).
    pub fn from_env() -> Scale {
        Scale {
            full: std::env::var("IVD_FAULT_SCALE").is_ok_and(|v| v.eq_ignore_ascii_case("full")),
        }
    }

    /// `ci` at CI scale, `full` at full scale.
    pub fn pick<T>(self, ci: T, full: T) -> T {
        if self.full { full } else { ci }
    }

    pub fn name(self) -> &'static str {
        self.pick("ci", "full")
    }
}

/// What a [`FaultPartner`] does with the next request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Applies the message (once per idempotency key) and answers 200.
    Up,
    /// Answers 503 without applying anything.
    Unavailable,
    /// The listener is closed: connections are refused.
    Refused,
    /// Reads the request and never answers (the gateway's time-out ends it).
    Hang,
    /// Applies the message, then answers 200 only after this delay.
    Slow(Duration),
    /// Applies the message, then drops the connection without answering: the response is
    /// lost after the partner processed the request.
    LoseResponse,
}

/// A partner speaking just enough HTTP/1.1 on loopback to be failed at will — closed
/// listener, hung connections, connections dropped after applying — which a mock HTTP
/// server cannot do. It de-duplicates on the idempotency key, as the outbox contract asks
/// of receivers, and counts every raw arrival.
pub struct FaultPartner {
    pub port: u16,
    pub log: Arc<Mutex<PartnerLog>>,
    mode: watch::Sender<Mode>,
    task: tokio::task::JoinHandle<()>,
}

impl FaultPartner {
    pub async fn start(mode: Mode) -> FaultPartner {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind partner");
        let port = listener.local_addr().unwrap().port();
        let log = Arc::new(Mutex::new(PartnerLog::default()));
        let (sender, receiver) = watch::channel(mode);
        let task = tokio::spawn(serve(listener, port, log.clone(), receiver));
        FaultPartner {
            port,
            log,
            mode: sender,
            task,
        }
    }

    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}/inbound", self.port)
    }

    pub fn set_mode(&self, mode: Mode) {
        self.mode.send_replace(mode);
    }

    /// Distinct idempotency keys applied.
    pub fn applied_count(&self) -> usize {
        self.log.lock().unwrap().applied.len()
    }

    /// Every POST that arrived, applied or not.
    pub fn raw_arrivals(&self) -> u32 {
        self.log.lock().unwrap().attempts.values().sum()
    }
}

impl Drop for FaultPartner {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn serve(
    mut listener: TcpListener,
    port: u16,
    log: Arc<Mutex<PartnerLog>>,
    mut mode: watch::Receiver<Mode>,
) {
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                if let Ok((stream, _)) = accepted {
                    tokio::spawn(handle(stream, log.clone(), mode.clone()));
                }
            }
            changed = mode.changed() => {
                if changed.is_err() {
                    return;
                }
                if *mode.borrow_and_update() == Mode::Refused {
                    // Closing the listener: connecting now fails with "connection refused".
                    drop(listener);
                    while *mode.borrow_and_update() == Mode::Refused {
                        if mode.changed().await.is_err() {
                            return;
                        }
                    }
                    listener = rebind(port).await;
                }
            }
        }
    }
}

/// Binds the same port again (SO_REUSEADDR is set by tokio on Unix; a connection of the
/// old listener in TIME_WAIT does not block it). Bounded: the port is ours on loopback.
async fn rebind(port: u16) -> TcpListener {
    for _ in 0..200 {
        if let Ok(listener) = TcpListener::bind(("127.0.0.1", port)).await {
            return listener;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the fault partner could not listen on port {port} again");
}

/// Reads one request: (idempotency key, body). None when the peer went away or sent
/// something that is not a bounded HTTP request.
async fn read_request(stream: &mut TcpStream) -> Option<(String, Vec<u8>)> {
    let mut buffer = Vec::with_capacity(4096);
    let mut chunk = [0u8; 4096];
    let header_end = loop {
        if let Some(at) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
            break at + 4;
        }
        if buffer.len() > 64 * 1024 {
            return None;
        }
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buffer.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buffer[..header_end]).into_owned();
    let mut key = String::new();
    let mut length = 0usize;
    for line in head.split("\r\n").skip(1) {
        if let Some((name, value)) = line.split_once(':') {
            let value = value.trim();
            if name.eq_ignore_ascii_case("idempotency-key") {
                key = value.to_string();
            } else if name.eq_ignore_ascii_case("content-length") {
                length = value.parse().ok()?;
            }
        }
    }
    if length > 16 * 1024 * 1024 {
        return None;
    }
    let mut body = buffer[header_end..].to_vec();
    while body.len() < length {
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        body.extend_from_slice(&chunk[..n]);
    }
    body.truncate(length);
    Some((key, body))
}

/// Records an arrival; applies the message unless its key was applied before.
fn apply(log: &Mutex<PartnerLog>, key: &str, body: &[u8]) {
    let mut log = log.lock().unwrap();
    if log.applied_set.contains(key) {
        log.duplicates += 1;
        return;
    }
    log.applied_set.insert(key.to_string());
    log.applied.push(key.to_string());
    if let Ok(body) = serde_json::from_slice::<serde_json::Value>(body)
        && let (Some(k), Some(seq)) = (body["orderingKey"].as_str(), body["seq"].as_u64())
    {
        log.applied_sequence.push((k.to_string(), seq));
    }
}

async fn answer(stream: &mut TcpStream, status: &str) {
    let response = format!("HTTP/1.1 {status}\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok");
    let _ = stream.write_all(response.as_bytes()).await;
    let _ = stream.shutdown().await;
}

async fn handle(
    mut stream: TcpStream,
    log: Arc<Mutex<PartnerLog>>,
    mut mode: watch::Receiver<Mode>,
) {
    let Some((key, body)) = read_request(&mut stream).await else {
        return;
    };
    *log.lock().unwrap().attempts.entry(key.clone()).or_insert(0) += 1;
    let current = *mode.borrow_and_update();
    match current {
        Mode::Up => {
            apply(&log, &key, &body);
            answer(&mut stream, "200 OK").await;
        }
        Mode::Slow(delay) => {
            apply(&log, &key, &body);
            tokio::time::sleep(delay).await;
            answer(&mut stream, "200 OK").await;
        }
        Mode::Unavailable | Mode::Refused => {
            answer(&mut stream, "503 Service Unavailable").await;
        }
        Mode::Hang => {
            // Hold the connection until the gateway gives up on it, the outage ends, or
            // (bounded) half a minute passes; then drop it unanswered.
            let _ = tokio::time::timeout(Duration::from_secs(30), mode.changed()).await;
        }
        Mode::LoseResponse => {
            apply(&log, &key, &body);
            // Dropping the stream closes the connection with no response at all.
        }
    }
}

/// Messages enqueued into the outbox without pause while faults happen: `batch` messages
/// per transaction, then `pause`; message `i` is sequence `i / keys` of case `i % keys`.
/// A failed batch (database restarting, connection killed) is tried again: enqueueing is
/// idempotent on the key, so a batch whose commit was in doubt is not doubled.
pub struct Load {
    stop: Arc<AtomicBool>,
    enqueued: Arc<AtomicU64>,
    task: tokio::task::JoinHandle<u64>,
    pub keys: u64,
}

/// The idempotency key of load message `index`.
pub fn load_key(index: u64, keys: u64) -> String {
    format!("{}-{}", load_case(index, keys), index / keys)
}

fn load_case(index: u64, keys: u64) -> String {
    format!("case-{:03}", index % keys)
}

impl Load {
    /// Starts enqueueing for `partner` until [`Load::stop`] or `max` messages.
    pub fn start(db: Db, partner: &str, keys: u64, batch: u64, pause: Duration, max: u64) -> Load {
        let stop = Arc::new(AtomicBool::new(false));
        let enqueued = Arc::new(AtomicU64::new(0));
        let partner = partner.to_string();
        let task = tokio::spawn({
            let (stop, enqueued) = (stop.clone(), enqueued.clone());
            async move {
                let mut index = 0u64;
                let mut failures = 0u32;
                while index < max && !stop.load(Ordering::SeqCst) {
                    let count = batch.min(max - index);
                    match enqueue_batch(&db, &partner, index, count, keys).await {
                        Ok(()) => {
                            index += count;
                            enqueued.store(index, Ordering::SeqCst);
                            failures = 0;
                            tokio::time::sleep(pause).await;
                        }
                        Err(error) => {
                            failures += 1;
                            assert!(
                                failures < 600,
                                "enqueueing kept failing for two minutes: {error}"
                            );
                            tokio::time::sleep(Duration::from_millis(200)).await;
                        }
                    }
                }
                index
            }
        });
        Load {
            stop,
            enqueued,
            task,
            keys,
        }
    }

    pub fn enqueued(&self) -> u64 {
        self.enqueued.load(Ordering::SeqCst)
    }

    /// Stops the load and returns how many messages it enqueued.
    pub async fn stop(self) -> u64 {
        self.stop.store(true, Ordering::SeqCst);
        self.task.await.expect("the load task")
    }
}

async fn enqueue_batch(
    db: &Db,
    partner: &str,
    first: u64,
    count: u64,
    keys: u64,
) -> Result<(), ivd_gateway::store::StoreError> {
    let mut tx = db.begin().await?;
    for index in first..first + count {
        outbox::enqueue(
            &mut tx,
            &test_message(
                partner,
                &load_case(index, keys),
                index / keys,
                100_000,
                now_ms(),
            ),
            now_ms(),
        )
        .await?;
    }
    tx.commit().await
}

/// Waits (bounded by `limit`) until `applied()` reaches `target`; panics with `what` if not.
pub async fn wait_applied(applied: impl Fn() -> usize, target: usize, limit: Duration, what: &str) {
    let reached = wait_until(limit, || async { applied() >= target }).await;
    assert!(reached, "{what}: only {} of {target} applied", applied());
}

/// Outbox messages of `partner` per state.
pub async fn states(db: &Db, partner: &str) -> std::collections::BTreeMap<String, i64> {
    let rows: Vec<(String, i64)> = ivd_gateway::on_read!(db, c => {
        sqlx::query_as("SELECT state, COUNT(*) FROM outbox_messages WHERE partner = $1 GROUP BY state")
            .bind(partner)
            .fetch_all(c)
            .await
            .unwrap()
    });
    rows.into_iter().collect()
}

pub async fn delivered(db: &Db, partner: &str) -> u64 {
    states(db, partner)
        .await
        .get("delivered")
        .copied()
        .unwrap_or(0) as u64
}

/// How many delivery attempts to `partner` have failed so far (any outcome but delivered).
pub async fn failed_attempts(db: &Db, partner: &str) -> i64 {
    let (n,): (i64,) = ivd_gateway::on_read!(db, c => {
        sqlx::query_as(
            "SELECT COUNT(*) FROM outbox_attempts a JOIN outbox_messages m ON m.id = a.message_id \
             WHERE m.partner = $1 AND a.outcome <> 'delivered'",
        )
        .bind(partner)
        .fetch_one(c)
        .await
        .unwrap()
    });
    n
}

/// Waits (a minute at most) until `more` further attempts to `partner` have failed: while
/// its circuit is open these are the half-open probes, one a cool-down, so an outage has
/// lasted that many cool-downs, observed rather than slept through.
pub async fn wait_failed_attempts(db: &Db, partner: &str, more: i64, what: &str) {
    let from = failed_attempts(db, partner).await;
    assert!(
        super::wait_until(Duration::from_secs(60), || async {
            failed_attempts(db, partner).await >= from + more
        })
        .await,
        "{what}: {more} more failed attempts to {partner} (from {from})"
    );
}

/// Messages still `running` whose lease ran out more than `margin` ago: a lease nobody
/// reclaimed.
pub async fn stuck_leases(db: &Db, margin: Duration) -> i64 {
    let cutoff = now_ms() - margin.as_millis() as i64;
    let (n,): (i64,) = ivd_gateway::on_read!(db, c => {
        sqlx::query_as("SELECT COUNT(*) FROM outbox_messages WHERE state = 'running' AND lease_expires_at < $1")
            .bind(cutoff)
            .fetch_one(c)
            .await
            .unwrap()
    });
    n
}

/// The end of every outbox fault scenario: each of the `total` load messages was delivered
/// (outbox) and applied exactly once (receiver), per-key order held, no lease is left.
/// Returns the duplicate POSTs the receiver absorbed.
pub async fn assert_exactly_once(
    db: &Db,
    partner: &str,
    log: &Mutex<PartnerLog>,
    total: u64,
    keys: u64,
) -> u32 {
    let states = states(db, partner).await;
    assert_eq!(
        states.get("delivered").copied().unwrap_or(0) as u64,
        total,
        "every message delivered: {states:?}"
    );
    assert_eq!(states.len(), 1, "nothing in another state: {states:?}");
    assert_eq!(
        stuck_leases(db, Duration::ZERO).await,
        0,
        "no lease left behind"
    );
    let log = log.lock().unwrap();
    assert_eq!(
        log.applied.len() as u64,
        total,
        "applied once per idempotency key"
    );
    let missing: Vec<String> = (0..total)
        .map(|i| load_key(i, keys))
        .filter(|k| !log.applied_set.contains(k))
        .take(5)
        .collect();
    assert!(missing.is_empty(), "never applied: {missing:?}");
    assert_eq!(
        log.applied_sequence.len() as u64,
        total,
        "every application carried its sequence"
    );
    assert_per_key_order(&log);
    log.duplicates
}

/// How many times the partner-down alert of `partner` changed state (fired + resolved),
/// and its current state.
pub async fn partner_down_changes(db: &Db, partner: &str) -> (i64, Option<String>) {
    let key = format!("partner-down:{partner}");
    ivd_gateway::alerts::list(db, None, 1000)
        .await
        .unwrap()
        .into_iter()
        .find(|a| a.key == key)
        .map(|a| (a.changes, Some(a.state)))
        .unwrap_or((0, None))
}

/// Waits (bounded) until the partner-down alert of `partner` has changed `changes` times,
/// and checks it did not change more often: one "down" and one "back" per outage.
pub async fn wait_alert_changes(db: &Db, partner: &str, changes: i64, what: &str) {
    let reached = wait_until(Duration::from_secs(90), || async {
        partner_down_changes(db, partner).await.0 >= changes
    })
    .await;
    let now = partner_down_changes(db, partner).await;
    assert!(
        reached,
        "{what}: the partner-down alert changed {now:?} times, expected {changes}"
    );
    assert_eq!(
        now.0, changes,
        "{what}: the partner-down alert changed more often than once per outage edge"
    );
}

/// The alert messages a webhook [`super::MockPartner`] received: distinct idempotency keys.
pub async fn webhook_alert_keys(webhook: &super::MockPartner) -> Vec<String> {
    let mut keys: Vec<String> = webhook
        .server
        .received_requests()
        .await
        .unwrap_or_default()
        .iter()
        .filter_map(|r| {
            r.headers
                .get("idempotency-key")
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        })
        .collect();
    keys.sort();
    keys.dedup();
    keys
}

/// A `[[partners]]` entry of a state partner on `endpoint`: quick retries that never give
/// up within a run, a 1 s time-out, a circuit that opens after 5 failures.
pub fn state_partner_toml(id: &str, endpoint: &str) -> String {
    format!(
        r#"
[[partners]]
id = "{id}"
kind = "state"
concurrency = 8
transport = {{ type = "https", endpoint = "{endpoint}", allow_plaintext = true, timeout_secs = 1 }}
retry = {{ min_delay_ms = 10, max_delay_ms = 200, max_attempts = 100000, max_age_secs = 3600 }}
circuit = {{ failure_threshold = 5, cooldown_secs = 1 }}
"#
    )
}

/// The configuration of a gateway process over `db_url` that shares the test's data keys
/// (the test enqueues sealed messages the gateway must open), plus `extra` TOML (partners).
pub fn process_config(
    scratch: &Path,
    db_url: &str,
    worker: &str,
    lease_secs: u64,
    extra: &str,
) -> String {
    format!(
        r#"
[database]
url = "{db_url}"
[server]
listen = "127.0.0.1:0"
partner_listen = "127.0.0.1:0"
shutdown_grace_secs = 2
[tls]
dir = "{tls}"
[outbox]
lease_secs = {lease_secs}
poll_interval_ms = 20
worker_id = "{worker}"
[log]
format = "json"
filter = "warn"
[privacy]
data_key_dir = "{keys}"
{extra}
"#,
        tls = scratch.join("tls").display(),
        keys = scratch.join("keys/data").display(),
    )
}

/// A directory for gateway processes under the test's scratch directory.
pub fn procs_dir(scratch: &Path) -> PathBuf {
    let dir = scratch.join("procs");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}
