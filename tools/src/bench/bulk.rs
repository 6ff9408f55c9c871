//! `ivd-tools bench bulk`: how many cases a second the bulk case push stores, durably,
//! through the product's own path.
//!
//! One run, on a fresh database (a SQLite file, or a scratch database created on the
//! PostgreSQL server and dropped afterwards): a gateway starts in this process with its
//! default configuration (the outbox's dispatchers off, so that only the push is
//! measured), a state-system token is issued, and N synthetic cases (the committed sample
//! case under N ids) are sent over loopback HTTP to `POST /state/v1/cases/bulk` in one
//! push (or `--pushes` at once, the cases split among them), generated as they are sent.
//! The verdicts are read as they come. The clock runs from the first byte sent to the last
//! push's summary: every `accepted` verdict is sent only after its line committed, so
//! the rate is of durable cases. Then the check: every verdict `accepted`, every summary
//! complete, and the `cases` table holding N rows (and the outbox one message a line with
//! a transaction); a run that misses one is void, and the command fails.

use std::convert::Infallible;
use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context, bail};
use http_body_util::{BodyExt as _, StreamBody};
use hyper::body::{Bytes, Frame};
use hyper::{Method, Request};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use serde::Serialize;

use super::{PARTNER, ScratchDatabase, load_average};
use ivd_gateway::app::RunningGateway;
use ivd_gateway::config::Settings;
use ivd_gateway::store::now_ms;
use ivd_gateway::store::tokens::{self, Role};

/// The partner the lines' transactions are for (never delivered to: dispatching is off).
/// Lines generated per chunk of the request body.
const LINES_PER_CHUNK: u64 = 100;

/// What `bench bulk` runs.
#[derive(Clone, Debug, clap::Args)]
pub struct BulkBenchOptions {
    /// `sqlite` (a fresh file in the scratch directory, the embedded default: WAL,
    /// synchronous=FULL) or a PostgreSQL server URL (a scratch database is created on it
    /// and dropped at the end).
    #[arg(long, default_value = "sqlite")]
    pub database: String,
    /// Cases pushed in the run.
    #[arg(long, default_value_t = 100_000)]
    pub cases: u64,
    /// Pushes at once (the cases split among them).
    #[arg(long, default_value_t = 1)]
    pub pushes: u64,
    /// Every Nth line carries a `case-json` transaction to a partner (0: none).
    #[arg(long, default_value_t = 0)]
    pub transaction_every: u64,
    /// Scratch directory (database file, keys); default a fresh one under the system's
    /// temporary directory, removed at the end.
    #[arg(long)]
    pub dir: Option<PathBuf>,
    /// Print the report as one JSON object instead of a line.
    #[arg(long)]
    pub json: bool,
}

/// What a run measured and what it checked.
#[derive(Clone, Debug, Serialize)]
pub struct BulkReport {
    /// `sqlite` or `postgres`.
    pub backend: String,
    /// Cases sent.
    pub cases: u64,
    /// Pushes at once.
    pub pushes: u64,
    /// Lines that carried a transaction.
    pub transactions: u64,
    /// Bytes sent.
    pub bytes: u64,
    /// From the first byte sent to the last summary, seconds.
    pub seconds: f64,
    /// `cases / seconds`.
    pub cases_per_second: f64,
    /// Verdicts `accepted`.
    pub accepted: u64,
    /// Verdicts other than `accepted` (must be 0).
    pub not_accepted: u64,
    /// Every push ended with a complete summary.
    pub complete: bool,
    /// Rows in `cases` afterwards.
    pub cases_in_store: u64,
    /// Rows in `outbox_messages` afterwards.
    pub messages_in_store: u64,
    /// `uptime`'s load average at the end of the run (the machine is shared).
    pub load_average: String,
}

impl BulkReport {
    /// True when every case was accepted and is stored, with its message.
    pub fn complete(&self) -> bool {
        self.complete
            && self.not_accepted == 0
            && self.accepted == self.cases
            && self.cases_in_store == self.cases
            && self.messages_in_store == self.transactions
    }

    /// One line.
    pub fn line(&self) -> String {
        format!(
            "bulk push: {} x{} push(es), {} cases ({} with a transaction, {:.1} MB) in {:.2} s = {:.0} cases/s durable; check: {} accepted, {} not, {} cases and {} messages in store, load {} => {}\n",
            self.backend,
            self.pushes,
            self.cases,
            self.transactions,
            self.bytes as f64 / 1e6,
            self.seconds,
            self.cases_per_second,
            self.accepted,
            self.not_accepted,
            self.cases_in_store,
            self.messages_in_store,
            self.load_average,
            if self.complete() {
                "COMPLETE"
            } else {
                "VOID (cases missing)"
            }
        )
    }
}

/// Runs the benchmark described in the module documentation.
pub async fn run(options: &BulkBenchOptions) -> anyhow::Result<BulkReport> {
    if options.cases == 0 || options.pushes == 0 || options.pushes > options.cases {
        bail!("--cases and --pushes must be positive, and --pushes at most --cases");
    }
    super::in_scratch(
        options.dir.as_ref(),
        &options.database,
        async |dir, database| drive(options, dir, database).await,
    )
    .await
}

/// The gateway's configuration: the benchmarks' one ([`super::write_config`]) with the
/// outbox stopped, its partner the one the transaction lines name (nothing is delivered:
/// the push is what is measured).
fn settings(dir: &std::path::Path, db_url: &str) -> anyhow::Result<Settings> {
    let shape = super::GatewayShape {
        concurrency: 8,
        batch_size: 64,
        poll_interval_ms: 250,
    };
    let path = super::write_config(&shape, dir, db_url, "http://127.0.0.1:9/deliver", 1, false)?;
    Settings::load(Some(path.as_path())).context("the benchmark configuration")
}

/// The lines of the push: the committed sample case under generated ids.
#[derive(Clone)]
struct Lines {
    /// `{"case":` and the sample up to its id's value.
    before_id: String,
    /// The sample after its id's value, and the line's end without a transaction.
    after_id: String,
    transaction_every: u64,
}

impl Lines {
    fn new(transaction_every: u64) -> anyhow::Result<Lines> {
        const SAMPLE: &str = include_str!("../../../schemas/samples/case-tanf.json");
        const MARK: &str = "ID-PLACEHOLDER";
        let mut case: serde_json::Value = serde_json::from_str(SAMPLE)?;
        case["id"] = serde_json::Value::String(MARK.to_string());
        let text = serde_json::to_string(&case)?;
        let (before, after) = text.split_once(MARK).context("the sample case has an id")?;
        Ok(Lines {
            before_id: format!("{{\"case\":{before}"),
            after_id: after.to_string(),
            transaction_every,
        })
    }

    /// Line `n` (0-based over the run) into `out`.
    fn write(&self, n: u64, out: &mut String) {
        out.push_str(&self.before_id);
        out.push_str(&format!("MN-{:010}", n));
        out.push_str(&self.after_id);
        if self.carries_transaction(n) {
            out.push_str(&format!(
                ",\"transaction\":{{\"partner\":\"{PARTNER}\",\"format\":\"case-json\"}}"
            ));
        }
        out.push_str("}\n");
    }

    fn carries_transaction(&self, n: u64) -> bool {
        self.transaction_every > 0 && (n + 1).is_multiple_of(self.transaction_every)
    }
}

/// The chunks of a push's body, generated as they are sent.
type Chunks = Box<dyn Iterator<Item = Result<Frame<Bytes>, Infallible>> + Send>;
/// A push's body.
type PushBody = StreamBody<futures::stream::Iter<Chunks>>;

/// What one push saw.
#[derive(Default)]
struct PushOutcome {
    bytes: u64,
    accepted: u64,
    not_accepted: u64,
    complete: bool,
}

async fn drive(
    options: &BulkBenchOptions,
    dir: &std::path::Path,
    database: &ScratchDatabase,
) -> anyhow::Result<BulkReport> {
    let settings = settings(dir, &database.url)?;
    let gateway = RunningGateway::start(settings)
        .await
        .context("starting the gateway")?;
    let outcome = async {
        let token = tokens::issue(
            &gateway.state.db,
            "bench-case-system",
            Role::StateSystem,
            now_ms(),
        )
        .await
        .context("issuing the state system's token")?;
        let lines = Lines::new(options.transaction_every)?;
        let http: Client<HttpConnector, _> =
            Client::builder(TokioExecutor::new()).build(HttpConnector::new());
        let url = format!("http://{}/state/v1/cases/bulk", gateway.api_addr);
        let per_push = options.cases.div_ceil(options.pushes);
        let clock = Instant::now();
        let mut pushes = Vec::new();
        for p in 0..options.pushes {
            let from = p * per_push;
            let to = ((p + 1) * per_push).min(options.cases);
            pushes.push(tokio::spawn(push(
                http.clone(),
                url.clone(),
                token.clone(),
                lines.clone(),
                from..to,
            )));
        }
        let mut total = PushOutcome {
            complete: true,
            ..PushOutcome::default()
        };
        for pushed in pushes {
            let pushed = pushed.await.context("a push task")??;
            total.bytes += pushed.bytes;
            total.accepted += pushed.accepted;
            total.not_accepted += pushed.not_accepted;
            total.complete &= pushed.complete;
        }
        let seconds = clock.elapsed().as_secs_f64().max(1e-9);
        let cases_in_store = count(&gateway, "SELECT COUNT(*) FROM cases").await?;
        let messages_in_store = count(&gateway, "SELECT COUNT(*) FROM outbox_messages").await?;
        let transactions = (0..options.cases)
            .filter(|n| lines.carries_transaction(*n))
            .count() as u64;
        anyhow::Ok(BulkReport {
            backend: database.backend.to_string(),
            cases: options.cases,
            pushes: options.pushes,
            transactions,
            bytes: total.bytes,
            seconds,
            cases_per_second: options.cases as f64 / seconds,
            accepted: total.accepted,
            not_accepted: total.not_accepted,
            complete: total.complete,
            cases_in_store,
            messages_in_store,
            load_average: load_average(),
        })
    }
    .await;
    gateway.stop().await;
    outcome
}

async fn count(gateway: &RunningGateway, sql: &'static str) -> anyhow::Result<u64> {
    let db = &gateway.state.db;
    let (n,): (i64,) = ivd_gateway::on_read!(db, c => {
        sqlx::query_as(sql).fetch_one(c).await?
    });
    Ok(n as u64)
}

/// One push of the lines `range`: the body generated as it is sent, the verdicts counted as
/// they come.
async fn push(
    http: Client<HttpConnector, PushBody>,
    url: String,
    token: String,
    lines: Lines,
    range: std::ops::Range<u64>,
) -> anyhow::Result<PushOutcome> {
    let sent = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
    let counter = sent.clone();
    let chunks: Chunks = Box::new(range.clone().step_by(LINES_PER_CHUNK as usize).map(
        move |start| {
            let end = (start + LINES_PER_CHUNK).min(range.end);
            let mut chunk = String::with_capacity(3_000 * LINES_PER_CHUNK as usize);
            for n in start..end {
                lines.write(n, &mut chunk);
            }
            counter.fetch_add(chunk.len() as u64, std::sync::atomic::Ordering::Relaxed);
            Ok(Frame::data(Bytes::from(chunk)))
        },
    ));
    let request = Request::builder()
        .method(Method::POST)
        .uri(&url)
        .header("authorization", format!("Bearer {token}"))
        .header("content-type", "application/x-ndjson")
        .body(StreamBody::new(futures::stream::iter(chunks)))
        .context("building the request")?;
    let response = http.request(request).await.context("sending the push")?;
    if !response.status().is_success() {
        bail!("the push was answered {}", response.status());
    }
    let mut body = response.into_body();
    let mut outcome = PushOutcome::default();
    let mut pending: Vec<u8> = Vec::new();
    while let Some(frame) = body.frame().await {
        let frame = frame.context("reading the verdicts")?;
        let Ok(data) = frame.into_data() else {
            continue;
        };
        pending.extend_from_slice(&data);
        let mut start = 0;
        while let Some(at) = pending[start..].iter().position(|b| *b == b'\n') {
            let line = &pending[start..start + at];
            start += at + 1;
            count_verdict(line, &mut outcome)?;
        }
        pending.drain(..start);
    }
    outcome.bytes = sent.load(std::sync::atomic::Ordering::Relaxed);
    Ok(outcome)
}

fn count_verdict(line: &[u8], outcome: &mut PushOutcome) -> anyhow::Result<()> {
    // The driver shares the machine with the gateway: an accepted verdict is counted by
    // its outcome alone, the rest read whole.
    const ACCEPTED: &[u8] = b"\"outcome\":\"accepted\"";
    if line.starts_with(b"{\"line\":") && line.windows(ACCEPTED.len()).any(|w| w == ACCEPTED) {
        outcome.accepted += 1;
        return Ok(());
    }
    let verdict: serde_json::Value =
        serde_json::from_slice(line).context("a verdict that is not JSON")?;
    if let Some(summary) = verdict.get("summary") {
        outcome.complete = summary["complete"] == true;
        if !outcome.complete {
            eprintln!("a push stopped: {summary}");
        }
    } else if verdict["outcome"] == "accepted" {
        outcome.accepted += 1;
    } else {
        if outcome.not_accepted == 0 {
            eprintln!("a line was not accepted: {verdict}");
        }
        outcome.not_accepted += 1;
    }
    Ok(())
}
