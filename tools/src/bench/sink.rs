//! The benchmark's receiving partner: a small HTTP server on loopback that answers 200 to
//! every `POST /deliver` and remembers, per `Idempotency-Key`, when the first copy arrived
//! and how many copies came. It is what proves a run "all delivered, none lost" and what
//! the latency is measured at.
//!
//! The gateway's load driver runs it in-process and keeps the enqueue times itself. Other
//! queues (the side-by-side run) talk to it as a separate process (`ivd-tools bench
//! sink`): their jobs send their enqueue time in an `X-Enqueued-Us` header (microseconds
//! since the Unix epoch), and `GET /_stats` reports counts and the enqueue → arrival
//! latency; `POST /_reset` forgets everything before the next phase.
//!
//! Times are wall-clock microseconds, so that a job enqueued by one process and posted by
//! another is measured on the one clock of this machine.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{get, post};
use serde::Serialize;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use super::Percentiles;

/// What the sink knows of one idempotency key.
#[derive(Clone, Copy, Debug)]
pub struct Arrival {
    /// When the first copy arrived (µs since the epoch).
    pub first_us: i64,
    /// How many copies arrived.
    pub copies: u32,
    /// The enqueue time the sender declared (`X-Enqueued-Us`), if any.
    pub enqueued_us: Option<i64>,
}

/// Everything received since the last reset.
#[derive(Debug, Default)]
pub struct SinkLog {
    posts: AtomicU64,
    arrivals: Mutex<HashMap<String, Arrival>>,
}

impl SinkLog {
    /// POSTs received (copies included).
    pub fn posts(&self) -> u64 {
        self.posts.load(Ordering::Relaxed)
    }

    /// Distinct idempotency keys received.
    pub fn distinct(&self) -> usize {
        self.lock().len()
    }

    /// The arrival of `key`, if it came.
    pub fn arrival(&self, key: &str) -> Option<Arrival> {
        self.lock().get(key).copied()
    }

    /// A copy of every arrival.
    pub fn snapshot(&self) -> HashMap<String, Arrival> {
        self.lock().clone()
    }

    /// Forgets everything.
    pub fn reset(&self) {
        self.lock().clear();
        self.posts.store(0, Ordering::Relaxed);
    }

    fn record(&self, key: String, enqueued_us: Option<i64>) {
        let now = wall_us();
        self.posts.fetch_add(1, Ordering::Relaxed);
        self.lock()
            .entry(key)
            .and_modify(|a| a.copies += 1)
            .or_insert(Arrival {
                first_us: now,
                copies: 1,
                enqueued_us,
            });
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Arrival>> {
        // A panic while holding the lock cannot leave the map half-updated (each change is
        // one insert or one increment), so a poisoned lock is still usable.
        self.arrivals.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Counts and the declared-enqueue → first-arrival latency, for `GET /_stats`.
    pub fn stats(&self) -> SinkStats {
        let arrivals = self.lock();
        let posts = self.posts();
        let distinct = arrivals.len() as u64;
        let mut latencies: Vec<f64> = arrivals
            .values()
            .filter_map(|a| a.enqueued_us.map(|e| (a.first_us - e) as f64 / 1000.0))
            .collect();
        SinkStats {
            posts,
            distinct,
            duplicates: posts.saturating_sub(distinct),
            first_arrival_us: arrivals.values().map(|a| a.first_us).min(),
            last_arrival_us: arrivals.values().map(|a| a.first_us).max(),
            latency_ms: Percentiles::of(&mut latencies),
        }
    }
}

/// The body of `GET /_stats`.
#[derive(Clone, Debug, Serialize)]
pub struct SinkStats {
    /// POSTs received.
    pub posts: u64,
    /// Distinct idempotency keys.
    pub distinct: u64,
    /// `posts - distinct`.
    pub duplicates: u64,
    /// First arrival, µs since the epoch.
    pub first_arrival_us: Option<i64>,
    /// Last first-arrival, µs since the epoch.
    pub last_arrival_us: Option<i64>,
    /// Declared enqueue → first arrival, over the keys that declared one.
    pub latency_ms: Option<Percentiles>,
}

/// A running sink.
#[derive(Debug)]
pub struct Sink {
    /// Where it listens.
    pub addr: SocketAddr,
    /// What it received.
    pub log: Arc<SinkLog>,
    stop: CancellationToken,
    task: tokio::task::JoinHandle<()>,
}

impl Sink {
    /// Binds `addr` (port 0: any free port) and serves until [`Sink::stop`].
    pub async fn start(addr: SocketAddr) -> std::io::Result<Sink> {
        let listener = TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let log = Arc::new(SinkLog::default());
        let stop = CancellationToken::new();
        let router = Router::new()
            .route("/deliver", post(deliver))
            .route("/_stats", get(stats))
            .route("/_reset", post(reset))
            .with_state(log.clone());
        let until = stop.clone();
        let task = tokio::spawn(async move {
            let served = axum::serve(listener, router)
                .with_graceful_shutdown(async move { until.cancelled().await })
                .await;
            if let Err(error) = served {
                tracing::error!(error = %error, "The benchmark sink failed.");
            }
        });
        Ok(Sink {
            addr,
            log,
            stop,
            task,
        })
    }

    /// The URL deliveries go to.
    pub fn endpoint(&self) -> String {
        format!("http://{}/deliver", self.addr)
    }

    /// Stops serving.
    pub async fn stop(self) {
        self.stop.cancel();
        let _ = self.task.await;
    }
}

// The body is read whole (and dropped) so the connection stays reusable for the next
// request, as a real partner's would.
async fn deliver(
    State(log): State<Arc<SinkLog>>,
    headers: HeaderMap,
    _body: axum::body::Bytes,
) -> StatusCode {
    let Some(key) = headers
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
    else {
        // A delivery without a key cannot be counted: refuse it loudly.
        return StatusCode::BAD_REQUEST;
    };
    let enqueued_us = headers
        .get("x-enqueued-us")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<i64>().ok());
    log.record(key, enqueued_us);
    StatusCode::OK
}

async fn stats(State(log): State<Arc<SinkLog>>) -> axum::Json<SinkStats> {
    axum::Json(log.stats())
}

async fn reset(State(log): State<Arc<SinkLog>>) -> StatusCode {
    log.reset();
    StatusCode::NO_CONTENT
}

/// Microseconds since the Unix epoch.
pub fn wall_us() -> i64 {
    let now = time::OffsetDateTime::now_utc();
    (now.unix_timestamp_nanos() / 1_000) as i64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copies_count_as_duplicates_and_latency_uses_the_declared_enqueue_time() {
        let log = SinkLog::default();
        let now = wall_us();
        log.record("a".into(), Some(now - 5_000));
        log.record("a".into(), Some(now - 5_000));
        log.record("b".into(), None);
        let stats = log.stats();
        assert_eq!((stats.posts, stats.distinct, stats.duplicates), (3, 2, 1));
        let latency = stats.latency_ms.expect("one key declared its enqueue time");
        assert_eq!(latency.count, 1);
        assert!(latency.p50 >= 5.0, "{latency:?}");
        log.reset();
        assert_eq!((log.posts(), log.distinct()), (0, 0));
    }
}
