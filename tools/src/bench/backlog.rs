//! `ivd-tools bench backlog`: a backlog formed through the state system's API, then
//! drained, with nothing done to the database in between.
//!
//! The path a state takes, and the moment the outbox matters most:
//! 1. **Backlog.** The gateway runs with its outbox stopped (`outbox.enabled = false`: the
//!    partner is down, or the dispatcher is, and nothing is delivered) while the driver
//!    pushes N synthetic cases through the public API, each a `PUT /state/v1/cases/{id}`
//!    and a `POST /state/v1/cases/{id}/transactions` asking for a `case-json` message to
//!    the partner, from several HTTP clients at once. Timed on its own.
//! 2. **Drain.** The gateway stops and starts again with its outbox on, the partner (the
//!    in-process [`super::sink`]) answering. The clock starts before the start and stops
//!    at the last `finalized_at` the store recorded. No `ANALYZE`, no index hint, no
//!    warm-up: the statistics are whatever the enqueue left.
//! 3. **Check.** Every case's message arrived at the sink, none twice, every message is
//!    `delivered` in the store and none dead; otherwise the run is void and the command
//!    fails.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use anyhow::{Context, bail};
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper::{Method, Request};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use serde::Serialize;

use super::sink::Sink;
use super::{PARTNER, ScratchDatabase, last_finalized, state_counts, wait_for_delivered};
use ivd_gateway::app::RunningGateway;
use ivd_gateway::config::Settings;
use ivd_gateway::store::now_ms;
use ivd_gateway::store::tokens::{self, Role};

/// A synthetic case (no real person), the shape the state system pushes.
const SAMPLE_CASE: &str = include_str!("../../../schemas/samples/case-tanf.json");

/// What `bench backlog` runs.
#[derive(Clone, Debug, clap::Args)]
pub struct BacklogBenchOptions {
    /// `sqlite` (a fresh file, the embedded default) or a PostgreSQL server URL (a scratch
    /// database is created on it and dropped at the end).
    #[arg(long, default_value = "sqlite")]
    pub database: String,
    /// Cases pushed while the partner is down: one message each.
    #[arg(long, default_value_t = 20_000)]
    pub cases: u64,
    /// The partner's concurrency (deliveries in flight) during the drain.
    #[arg(long, default_value_t = 32)]
    pub concurrency: usize,
    /// `outbox.batch_size`: most messages claimed per partner per claim.
    #[arg(long, default_value_t = 64)]
    pub batch_size: usize,
    /// HTTP clients pushing cases at once.
    #[arg(long, default_value_t = 16)]
    pub clients: usize,
    /// Scratch directory (default: a fresh one under the system's temporary directory,
    /// removed at the end).
    #[arg(long)]
    pub dir: Option<PathBuf>,
    /// Print the report as one JSON object instead of a table.
    #[arg(long)]
    pub json: bool,
}

/// What a backlog run measured.
#[derive(Clone, Debug, Serialize)]
pub struct BacklogReport {
    /// `sqlite` or `postgres`.
    pub backend: String,
    /// Deliveries in flight during the drain.
    pub concurrency: usize,
    /// Claim batch.
    pub batch_size: usize,
    /// Cases pushed (one message each).
    pub cases: u64,
    /// Seconds the pushes took, and cases a second (a case is a PUT and a POST).
    pub enqueue_seconds: f64,
    /// Cases pushed a second.
    pub enqueue_per_second: f64,
    /// Seconds from the gateway's start to the last recorded delivery.
    pub drain_seconds: f64,
    /// Messages delivered a second during the drain.
    pub drain_per_second: f64,
    /// Distinct messages the partner received.
    pub arrived: u64,
    /// Deliveries the partner received twice.
    pub duplicates: u64,
    /// Messages `delivered` in the store.
    pub delivered_in_store: u64,
    /// Messages dead in the store.
    pub dead: u64,
}

impl BacklogReport {
    /// Every case's message arrived once and is recorded delivered.
    pub fn complete(&self) -> bool {
        self.arrived == self.cases && self.dead == 0 && self.delivered_in_store == self.cases
    }

    /// A human-readable summary.
    pub fn table(&self) -> String {
        format!(
            "backlog bench: {} backend, concurrency {}, claim batch {}\n\
             backlog: {} cases pushed through the state API in {:.2} s ({:.0} cases/s)\n\
             drain:   {} messages delivered in {:.2} s ({:.0} messages/s), no ANALYZE\n\
             check:   {} arrived, {} duplicate POSTs, {} delivered in store, {} dead => {}\n",
            self.backend,
            self.concurrency,
            self.batch_size,
            self.cases,
            self.enqueue_seconds,
            self.enqueue_per_second,
            self.cases,
            self.drain_seconds,
            self.drain_per_second,
            self.arrived,
            self.duplicates,
            self.delivered_in_store,
            self.dead,
            if self.complete() {
                "COMPLETE"
            } else {
                "VOID (messages missing)"
            }
        )
    }
}

/// Runs the backlog benchmark on a fresh database.
pub async fn run_backlog(options: &BacklogBenchOptions) -> anyhow::Result<BacklogReport> {
    if options.cases == 0 || options.clients == 0 || options.concurrency == 0 {
        bail!("--cases, --clients and --concurrency must be positive");
    }
    super::in_scratch_with_sink(
        options.dir.as_ref(),
        &options.database,
        async |dir, database, sink| drive(options, dir, database, sink).await,
    )
    .await
}

async fn drive(
    options: &BacklogBenchOptions,
    dir: &std::path::Path,
    database: &ScratchDatabase,
    sink: &Sink,
) -> anyhow::Result<BacklogReport> {
    let shape = super::GatewayShape {
        concurrency: options.concurrency,
        batch_size: options.batch_size,
        poll_interval_ms: 250,
    };
    let config = |outbox_enabled| {
        super::write_config(
            &shape,
            dir,
            &database.url,
            &sink.endpoint(),
            1,
            outbox_enabled,
        )
    };

    // 1. The backlog: the outbox stopped, the cases pushed through the API.
    let settings = Settings::load(Some(config(false)?.as_path())).context("the configuration")?;
    let gateway = RunningGateway::start(settings)
        .await
        .context("starting the gateway with its outbox stopped")?;
    let token = tokens::issue(
        &gateway.state.db,
        "bench-case-system",
        Role::StateSystem,
        now_ms(),
    )
    .await?;
    let api = format!("http://{}", gateway.api_addr);
    let clock = Instant::now();
    let pushed = push_cases(&api, &token, options.cases, options.clients).await;
    let enqueue_seconds = clock.elapsed().as_secs_f64().max(1e-3);
    gateway.stop().await;
    pushed?;

    // 2. The drain: the same database, the outbox on, nothing done in between.
    let settings = Settings::load(Some(config(true)?.as_path())).context("the configuration")?;
    let started_ms = now_ms();
    let gateway = RunningGateway::start(settings)
        .await
        .context("starting the gateway with its outbox on")?;
    let drained = wait_for_delivered(&gateway.state.db, options.cases, &mut []).await;
    let finished_ms = last_finalized(&gateway.state.db).await;
    let counts = state_counts(&gateway.state.db).await;
    gateway.stop().await;
    drained?;
    let drain_seconds = ((finished_ms? - started_ms) as f64 / 1000.0).max(1e-3);
    let counts = counts?;

    let stats = sink.log.stats();
    Ok(BacklogReport {
        backend: database.backend.to_string(),
        concurrency: options.concurrency,
        batch_size: options.batch_size,
        cases: options.cases,
        enqueue_seconds,
        enqueue_per_second: options.cases as f64 / enqueue_seconds,
        drain_seconds,
        drain_per_second: options.cases as f64 / drain_seconds,
        arrived: stats.distinct,
        duplicates: stats.duplicates,
        delivered_in_store: counts.get("delivered").copied().unwrap_or(0),
        dead: counts.get("dead").copied().unwrap_or(0),
    })
}

/// Case `index` of the run: the sample case under its own id.
fn case_body(index: u64) -> anyhow::Result<(String, Vec<u8>)> {
    let mut case: serde_json::Value = serde_json::from_str(SAMPLE_CASE)?;
    let id = format!("BK-{index:08}");
    case["id"] = serde_json::Value::String(id.clone());
    Ok((id, serde_json::to_vec(&case)?))
}

/// Pushes `cases` cases, each with its transaction request, from `clients` clients.
async fn push_cases(api: &str, token: &str, cases: u64, clients: usize) -> anyhow::Result<()> {
    let http: Client<HttpConnector, Full<Bytes>> =
        Client::builder(TokioExecutor::new()).build(HttpConnector::new());
    let next = Arc::new(AtomicU64::new(0));
    let transaction = serde_json::to_vec(&serde_json::json!({
        "partner": PARTNER,
        "format": "case-json",
    }))?;
    let mut workers = tokio::task::JoinSet::new();
    for _ in 0..clients {
        let (http, next, transaction) = (http.clone(), next.clone(), transaction.clone());
        let (api, token) = (api.to_string(), token.to_string());
        workers.spawn(async move {
            loop {
                let index = next.fetch_add(1, Ordering::Relaxed);
                if index >= cases {
                    return anyhow::Ok(());
                }
                let (id, body) = case_body(index)?;
                let url = format!("{api}/state/v1/cases/{id}");
                call(&http, Method::PUT, &url, &token, body).await?;
                let url = format!("{api}/state/v1/cases/{id}/transactions");
                call(&http, Method::POST, &url, &token, transaction.clone()).await?;
            }
        });
    }
    while let Some(done) = workers.join_next().await {
        done.context("a pushing client panicked")??;
    }
    Ok(())
}

async fn call(
    http: &Client<HttpConnector, Full<Bytes>>,
    method: Method,
    url: &str,
    token: &str,
    body: Vec<u8>,
) -> anyhow::Result<()> {
    let request = Request::builder()
        .method(method.clone())
        .uri(url)
        .header("authorization", format!("Bearer {token}"))
        .header("content-type", "application/json")
        .body(Full::new(Bytes::from(body)))?;
    let response = http
        .request(request)
        .await
        .with_context(|| format!("{method} {url}"))?;
    let status = response.status();
    let answer = response.into_body().collect().await?.to_bytes();
    if !status.is_success() {
        bail!(
            "{method} {url}: {status} {}",
            String::from_utf8_lossy(&answer)
        );
    }
    Ok(())
}
