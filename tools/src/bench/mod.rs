//! Load drivers: how fast the durable outbox delivers, measured end to end (and how fast
//! the bulk case push stores cases: [`bulk`]).
//!
//! `ivd-tools bench outbox` ([`run_outbox`]) measures **durable deliveries per second**
//! and **enqueue → delivered latency** of the real outbox: messages written with
//! [`ivd_gateway::outbox::enqueue`] in their own transactions (as the state-system API does,
//! waking the dispatcher after the commit), claimed and delivered by the real dispatcher
//! through the real HTTPS transport (`http://` to loopback, as test partners are allowed)
//! to an in-process [`sink`], and marked delivered in the store.
//!
//! One run, on a fresh database (a SQLite file, or a scratch database created on the
//! PostgreSQL server and dropped afterwards):
//! 1. **Throughput.** Half of the N messages (by default; `--enqueue-while-draining`)
//!    are enqueued before the gateway starts (transactions of 1,000, timed on their own);
//!    the clock starts, the gateway instances start, the rest is enqueued while they
//!    deliver (transactions of 100). The
//!    clock stops at the last `finalized_at` the store recorded: a message counts when the
//!    sink has it *and* its delivery is committed. Rate = N / that time.
//! 2. **Latency.** At a fixed rate (default half the measured throughput), one message a
//!    transaction, open loop: each enqueue starts at its scheduled time whether or not the
//!    earlier ones are done, and its latency is measured from that scheduled time (so a
//!    stall shows as latency instead of silently slowing the schedule). Latency = first
//!    arrival at the sink − scheduled enqueue; also enqueue → committed as delivered, from
//!    the store's own millisecond times.
//! 3. **Check.** Every key must have arrived (copies are counted and reported); every
//!    message must be `delivered` in the store, none dead. A run that misses one is void,
//!    and the command fails.
//!
//! With `--instances 2` (PostgreSQL only) the first instance runs in this process and
//! each further one is a separate `serve` process on the same database (`ivd-tools gateway
//! serve`: the same gateway code; or the `ivd-gateway` binary `--gateway-binary` names);
//! only the first is woken in-process by the enqueues.

pub mod backlog;
pub mod bulk;
pub mod claim;
pub mod sink;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::str::FromStr;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use serde::Serialize;
use sqlx::Connection;

use ivd_gateway::app::{self, RunningGateway};
use ivd_gateway::config::Settings;
use ivd_gateway::outbox::{self, NewMessage};
use ivd_gateway::store::{Db, StoreError, now_ms};
use sink::{Sink, wall_us};

/// The partner id the benchmark delivers to.
const PARTNER: &str = "bench-sink";
/// Messages per transaction when the first part is enqueued before the start.
const PRELOAD_BATCH: usize = 1_000;
/// Messages per transaction while the gateway runs.
const CONCURRENT_BATCH: usize = 100;
/// A run that makes no progress for this long has failed.
const STALL_LIMIT: Duration = Duration::from_secs(120);

/// What `bench outbox` runs.
#[derive(Clone, Debug, clap::Args)]
pub struct OutboxBenchOptions {
    /// `sqlite` (a fresh file in the scratch directory, the embedded default: WAL,
    /// synchronous=FULL) or a PostgreSQL server URL (a scratch database is created on it
    /// and dropped at the end).
    #[arg(long, default_value = "sqlite")]
    pub database: String,
    /// Gateway instances sharing the database (more than one: PostgreSQL only; the first
    /// runs in this process, the others as `ivd-tools gateway serve` processes).
    #[arg(long, default_value_t = 1)]
    pub instances: usize,
    /// Messages in the throughput phase.
    #[arg(long, default_value_t = 50_000)]
    pub messages: u64,
    /// Percentage of the throughput phase's messages enqueued while the gateway delivers
    /// (the rest is enqueued before it starts). 0 is the drain-only method of the
    /// side-by-side comparison (`BENCHMARKS.md`, its method: every job committed before
    /// the workers start), which the peer queues are measured with.
    #[arg(long, default_value_t = 50, value_parser = clap::value_parser!(u64).range(0..=100))]
    pub enqueue_while_draining: u64,
    /// Distinct ordering keys (cases) the messages are spread over; each key is FIFO.
    #[arg(long, default_value_t = 1_000)]
    pub ordering_keys: u64,
    /// The partner's concurrency (deliveries in flight per instance).
    #[arg(long, default_value_t = 32)]
    pub concurrency: usize,
    /// `outbox.batch_size`: most messages claimed per partner per claim.
    #[arg(long, default_value_t = 64)]
    pub batch_size: usize,
    /// `outbox.poll_interval_ms` of every instance.
    #[arg(long, default_value_t = 250)]
    pub poll_interval_ms: u64,
    /// Payload size in bytes.
    #[arg(long, default_value_t = 256)]
    pub payload_bytes: usize,
    /// Enqueue rate of the latency phase, messages per second (default: half the
    /// measured throughput).
    #[arg(long)]
    pub latency_rate: Option<f64>,
    /// Length of the latency phase in seconds (at least 100 messages are sent).
    #[arg(long, default_value_t = 10.0)]
    pub latency_secs: f64,
    /// Skip the latency phase.
    #[arg(long)]
    pub no_latency: bool,
    /// Write the latency phase's messages to this CSV file, one line each: when it was
    /// scheduled (ms from the phase's start), its enqueue → sink latency (ms), and when
    /// it was scheduled by the wall clock (µs since the Unix epoch), to see whether a
    /// tail is spread or one stall and to line a stall up with a trace of the run.
    #[arg(long)]
    pub latency_log: Option<PathBuf>,
    /// Scratch directory (database file, keys, configurations, logs of extra instances);
    /// default a fresh one under the system's temporary directory, removed at the end.
    #[arg(long)]
    pub dir: Option<PathBuf>,
    /// The `ivd-gateway` binary extra instances run, as `BINARY --config FILE serve`
    /// (default: this program's own copy of the gateway, `ivd-tools gateway --config FILE
    /// serve`).
    #[arg(long)]
    pub gateway_binary: Option<PathBuf>,
    /// Print the report as one JSON object instead of a table.
    #[arg(long)]
    pub json: bool,
}

/// Latency figures in milliseconds.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Percentiles {
    /// How many samples.
    pub count: usize,
    /// Median.
    pub p50: f64,
    /// 90th percentile.
    pub p90: f64,
    /// 99th percentile.
    pub p99: f64,
    /// Largest.
    pub max: f64,
}

impl Percentiles {
    /// Nearest-rank percentiles of `samples` (sorted in place); `None` when empty.
    pub fn of(samples: &mut [f64]) -> Option<Percentiles> {
        if samples.is_empty() {
            return None;
        }
        samples.sort_by(f64::total_cmp);
        let rank = |p: f64| {
            let index = ((p / 100.0) * samples.len() as f64).ceil() as usize;
            samples[index.clamp(1, samples.len()) - 1]
        };
        Some(Percentiles {
            count: samples.len(),
            p50: rank(50.0),
            p90: rank(90.0),
            p99: rank(99.0),
            max: samples[samples.len() - 1],
        })
    }
}

/// One phase of a run.
#[derive(Clone, Debug, Serialize)]
pub struct PhaseReport {
    /// Messages in the phase.
    pub messages: u64,
    /// From the start of the phase to the last committed delivery, seconds.
    pub seconds: f64,
    /// `messages / seconds`.
    pub per_second: f64,
    /// Enqueue (scheduled) → first arrival at the sink (latency phase only).
    pub arrival_latency_ms: Option<Percentiles>,
    /// Enqueue → committed as delivered, from the store's millisecond times (latency
    /// phase only).
    pub durable_latency_ms: Option<Percentiles>,
    /// Target enqueue rate (latency phase only).
    pub target_rate: Option<f64>,
}

/// What a run measured and what it checked.
#[derive(Clone, Debug, Serialize)]
pub struct OutboxReport {
    /// `sqlite` or `postgres`.
    pub backend: String,
    /// Gateway instances.
    pub instances: usize,
    /// Partner concurrency per instance.
    pub concurrency: usize,
    /// Claim batch size.
    pub batch_size: usize,
    /// Percentage of phase 1 enqueued while the gateway delivered.
    pub enqueue_while_draining: u64,
    /// Preloaded part: messages per second enqueued (transactions of 1,000).
    pub preload_per_second: f64,
    /// Phase 1.
    pub throughput: PhaseReport,
    /// Phase 2.
    pub latency: Option<PhaseReport>,
    /// Messages enqueued in the whole run.
    pub enqueued: u64,
    /// Distinct keys the sink received.
    pub arrived: u64,
    /// POSTs the sink received beyond the first per key.
    pub duplicates: u64,
    /// Keys that never arrived (must be 0).
    pub missing: u64,
    /// Messages `delivered` in the store.
    pub delivered_in_store: u64,
    /// Messages dead-lettered (must be 0).
    pub dead: u64,
    /// Deliveries recorded per worker (instance).
    pub per_instance: Vec<(String, i64)>,
    /// `uptime`'s load average at the end of the run (the machine is shared).
    pub load_average: String,
}

impl OutboxReport {
    /// True when every message arrived and is recorded delivered.
    pub fn complete(&self) -> bool {
        self.missing == 0 && self.dead == 0 && self.delivered_in_store == self.enqueued
    }

    /// A fixed-width table, one row a phase.
    pub fn table(&self) -> String {
        let mut out = String::new();
        out.push_str(&format!(
            "outbox bench: {} x{} instance(s), concurrency {}, claim batch {}, {}% enqueued while draining, load {}\n",
            self.backend, self.instances, self.concurrency, self.batch_size, self.enqueue_while_draining, self.load_average
        ));
        out.push_str(&format!(
            "{:<11} {:>9} {:>8} {:>9} {:>8} {:>8} {:>8} {:>8}  {}\n",
            "phase",
            "messages",
            "seconds",
            "per_s",
            "p50_ms",
            "p90_ms",
            "p99_ms",
            "max_ms",
            "latency"
        ));
        out.push_str(&phase_row("throughput", &self.throughput, None));
        if let Some(latency) = &self.latency {
            out.push_str(&phase_row(
                "latency",
                latency,
                latency
                    .arrival_latency_ms
                    .as_ref()
                    .map(|p| (p, "enqueue→sink")),
            ));
            out.push_str(&phase_row(
                "",
                latency,
                latency
                    .durable_latency_ms
                    .as_ref()
                    .map(|p| (p, "enqueue→recorded (ms clock)")),
            ));
        }
        out.push_str(&format!(
            "preload enqueue: {:.0} msg/s; check: {} enqueued, {} arrived, {} missing, {} duplicate POSTs, {} delivered in store, {} dead; per instance {:?} => {}\n",
            self.preload_per_second,
            self.enqueued,
            self.arrived,
            self.missing,
            self.duplicates,
            self.delivered_in_store,
            self.dead,
            self.per_instance,
            if self.complete() { "COMPLETE" } else { "VOID (messages missing)" }
        ));
        out
    }
}

fn phase_row(name: &str, phase: &PhaseReport, latency: Option<(&Percentiles, &str)>) -> String {
    let (numbers, label) = match latency {
        Some((p, label)) => (
            format!(
                "{:>8.1} {:>8.1} {:>8.1} {:>8.1}",
                p.p50, p.p90, p.p99, p.max
            ),
            label,
        ),
        None => (format!("{:>8} {:>8} {:>8} {:>8}", "-", "-", "-", "-"), ""),
    };
    if name.is_empty() {
        return format!(
            "{:<11} {:>9} {:>8} {:>9} {numbers}  {label}\n",
            "", "", "", ""
        );
    }
    format!(
        "{:<11} {:>9} {:>8.2} {:>9.0} {numbers}  {label}\n",
        name, phase.messages, phase.seconds, phase.per_second
    )
}

/// Prints a run's report (one JSON object, or its text); exit status 0, or 1 when the run
/// is void (a message or case missing).
fn report(
    report: &impl Serialize,
    json: bool,
    text: String,
    complete: bool,
) -> anyhow::Result<i32> {
    if json {
        println!("{}", serde_json::to_string(report)?);
    } else {
        print!("{text}");
    }
    Ok(if complete { 0 } else { 1 })
}

/// What `ivd-tools bench` runs.
#[derive(Debug, clap::Subcommand)]
pub enum BenchCommand {
    /// Measure the outbox on a fresh database: throughput over N messages, then latency at
    /// a fixed rate; fails (exit 1) when a message did not arrive. See [`crate::bench`].
    Outbox(OutboxBenchOptions),
    /// A backlog formed through the state API while the outbox is stopped (the partner
    /// down), then drained with the outbox on, nothing done to the database in between;
    /// fails (exit 1) when a message did not arrive. See [`backlog`].
    Backlog(backlog::BacklogBenchOptions),
    /// Time the outbox's claim statement on a fresh database bulk-loaded with many live
    /// messages and never analyzed. See [`claim`].
    Claim(claim::ClaimBenchOptions),
    /// Measure the bulk case push on a fresh database: N cases through
    /// `POST /state/v1/cases/bulk`, cases a second until the last verdict (each sent after
    /// its line committed); fails (exit 1) when a case is missing. See [`bulk`].
    Bulk(bulk::BulkBenchOptions),
    /// Serve the benchmark sink until SIGTERM or Ctrl-C: `POST /deliver` answers 200 and
    /// records each `Idempotency-Key` (and an `X-Enqueued-Us` header); `GET /_stats`,
    /// `POST /_reset`.
    Sink {
        /// Where to listen.
        #[arg(long, default_value = "127.0.0.1:18090")]
        listen: std::net::SocketAddr,
    },
}

/// Runs a `bench` command; exit status 0, or 1 when a run lost a message.
pub async fn run_command(command: &BenchCommand) -> anyhow::Result<i32> {
    match command {
        BenchCommand::Outbox(options) => {
            let run = run_outbox(options).await?;
            report(&run, options.json, run.table(), run.complete())
        }
        BenchCommand::Backlog(options) => {
            let run = backlog::run_backlog(options).await?;
            report(&run, options.json, run.table(), run.complete())
        }
        BenchCommand::Claim(options) => {
            let run = claim::run_claim(options).await?;
            report(&run, options.json, run.table(), true)
        }
        BenchCommand::Bulk(options) => {
            let run = bulk::run(options).await?;
            report(&run, options.json, run.line(), run.complete())
        }
        BenchCommand::Sink { listen } => {
            let sink = Sink::start(*listen)
                .await
                .with_context(|| format!("binding {listen}"))?;
            println!("bench sink listening on http://{}", sink.addr);
            app::ShutdownSignal::listen().received().await;
            sink.stop().await;
            Ok(0)
        }
    }
}

/// Runs the outbox benchmark described in the module documentation.
pub async fn run_outbox(options: &OutboxBenchOptions) -> anyhow::Result<OutboxReport> {
    if options.instances == 0 || options.messages < 2 || options.ordering_keys == 0 {
        bail!("--instances, --messages (at least 2) and --ordering-keys must be positive");
    }
    in_scratch_with_sink(
        options.dir.as_ref(),
        &options.database,
        async |dir, database, sink| {
            if options.instances > 1 && database.backend == "sqlite" {
                bail!(
                    "several instances need PostgreSQL; SQLite is the single-instance embedded store"
                );
            }
            drive(options, dir, database, sink).await
        },
    )
    .await
}

/// [`in_scratch`] with a benchmark sink (the partner) listening on loopback meanwhile.
async fn in_scratch_with_sink<T>(
    given: Option<&PathBuf>,
    database: &str,
    run: impl AsyncFnOnce(&Path, &ScratchDatabase, &Sink) -> anyhow::Result<T>,
) -> anyhow::Result<T> {
    in_scratch(given, database, async |dir, database| {
        let sink = Sink::start("127.0.0.1:0".parse()?)
            .await
            .context("starting the sink")?;
        let result = run(dir, database, &sink).await;
        sink.stop().await;
        result
    })
    .await
}

/// Runs `run` in a scratch directory (the one given, kept; or a fresh one, removed after
/// a successful run) on a scratch database (`sqlite`, a file in the directory, or a
/// database created on the PostgreSQL server named, dropped afterwards).
async fn in_scratch<T>(
    given: Option<&PathBuf>,
    database: &str,
    run: impl AsyncFnOnce(&Path, &ScratchDatabase) -> anyhow::Result<T>,
) -> anyhow::Result<T> {
    let (dir, remove_dir) = scratch_dir(given);
    std::fs::create_dir_all(&dir)
        .with_context(|| format!("creating the scratch directory {}", dir.display()))?;
    let database = ScratchDatabase::create(database, &dir).await?;
    let result = run(&dir, &database).await;
    database.drop_scratch().await;
    if remove_dir && result.is_ok() {
        let _ = std::fs::remove_dir_all(&dir);
    }
    result
}

/// The scratch directory of a run: the one given (kept), or a fresh one under the system's
/// temporary directory (removed after a successful run).
fn scratch_dir(given: Option<&PathBuf>) -> (PathBuf, bool) {
    match given {
        Some(dir) => (dir.clone(), false),
        None => (
            std::env::temp_dir().join(format!(
                "ivd-bench-{}-{:08x}",
                std::process::id(),
                rand::random::<u32>()
            )),
            true,
        ),
    }
}

async fn drive(
    options: &OutboxBenchOptions,
    dir: &Path,
    database: &ScratchDatabase,
    sink: &Sink,
) -> anyhow::Result<OutboxReport> {
    let configs: Vec<PathBuf> = (1..=options.instances)
        .map(|n| {
            write_config(
                &options.into(),
                dir,
                &database.url,
                &sink.endpoint(),
                n,
                true,
            )
        })
        .collect::<anyhow::Result<_>>()?;
    let settings =
        Settings::load(Some(configs[0].as_path())).context("the benchmark configuration")?;
    let db = app::open_database(&settings).await?;
    let payload = filler_payload(options.payload_bytes);

    // Phase 1: some before the start, the rest while the gateway runs.
    let preload = options.messages - options.messages * options.enqueue_while_draining / 100;
    let clock = Instant::now();
    let mut index = 0;
    while index < preload {
        let upto = (index + PRELOAD_BATCH as u64).min(preload);
        let batch: Vec<NewMessage> = (index..upto)
            .map(|i| bench_message("t", i, options.ordering_keys, &payload))
            .collect();
        enqueue_batch(&db, &batch).await?;
        index = upto;
    }
    let preload_per_second = preload as f64 / clock.elapsed().as_secs_f64().max(1e-9);
    // No ANALYZE here: the gateway does not run one after a backlog forms, so neither
    // does its benchmark. The claim reads only due heads ([`ivd_gateway::outbox::store`]),
    // whatever statistics the planner has.
    let started_ms = now_ms();
    let mut extra = Vec::new();
    for config in &configs[1..] {
        extra.push(ExtraInstance::start(options, dir, config)?);
    }
    let gateway = RunningGateway::start(settings)
        .await
        .context("starting the gateway")?;
    let wake = gateway.state.dispatcher_wake.clone();
    // From here on the driver writes as the state-system API does: through the gateway's
    // own database handle. A handle of its own would be, on SQLite, a second connection
    // competing with the gateway's writer for the file's write lock, and SQLite's busy
    // handler sleeps 1, 2, 5, 10, 15... ms between tries: the latency would measure those
    // sleeps, not the outbox.
    let gateway_db = gateway.state.db.clone();
    let producer = {
        let db = gateway_db.clone();
        let payload = payload.clone();
        let (from, to, keys) = (preload, options.messages, options.ordering_keys);
        tokio::spawn(async move {
            let mut index = from;
            while index < to {
                let upto = (index + CONCURRENT_BATCH as u64).min(to);
                let batch: Vec<NewMessage> = (index..upto)
                    .map(|i| bench_message("t", i, keys, &payload))
                    .collect();
                enqueue_batch(&db, &batch).await?;
                wake.notify_one();
                index = upto;
            }
            anyhow::Ok(())
        })
    };
    let outcome = async {
        producer.await.context("the producer task")??;
        wait_for_delivered(&db, options.messages, &mut extra).await?;
        let finished_ms = last_finalized(&db).await?;
        let seconds = ((finished_ms - started_ms) as f64 / 1000.0).max(1e-3);
        let throughput = PhaseReport {
            messages: options.messages,
            seconds,
            per_second: options.messages as f64 / seconds,
            arrival_latency_ms: None,
            durable_latency_ms: None,
            target_rate: None,
        };
        let latency = if options.no_latency {
            None
        } else {
            let rate = options
                .latency_rate
                .unwrap_or(throughput.per_second / 2.0)
                .max(1.0);
            Some(
                latency_phase(
                    options,
                    &gateway_db,
                    &gateway,
                    sink,
                    rate,
                    &payload,
                    &mut extra,
                )
                .await?,
            )
        };
        anyhow::Ok((throughput, latency))
    }
    .await;
    gateway.stop().await;
    for instance in extra {
        instance.stop();
    }
    let (throughput, latency) = outcome?;

    let latency_messages = latency.as_ref().map_or(0, |l| l.messages);
    let arrivals = sink.log.snapshot();
    let expected = (0..options.messages)
        .map(|i| key("t", i))
        .chain((0..latency_messages).map(|i| key("l", i)));
    let missing = expected.filter(|k| !arrivals.contains_key(k)).count() as u64;
    let enqueued = options.messages + latency_messages;
    let counts = state_counts(&db).await?;
    let per_instance = deliveries_per_worker(&db).await?;
    db.close().await;
    let posts = sink.log.posts();
    Ok(OutboxReport {
        backend: database.backend.to_string(),
        instances: options.instances,
        concurrency: options.concurrency,
        batch_size: options.batch_size,
        enqueue_while_draining: options.enqueue_while_draining,
        preload_per_second,
        throughput,
        latency,
        enqueued,
        arrived: arrivals.len() as u64,
        duplicates: posts.saturating_sub(arrivals.len() as u64),
        missing,
        delivered_in_store: counts.get("delivered").copied().unwrap_or(0),
        dead: counts.get("dead").copied().unwrap_or(0),
        per_instance,
        load_average: load_average(),
    })
}

/// Phase 2: one message a transaction at `rate`, open loop.
async fn latency_phase(
    options: &OutboxBenchOptions,
    db: &Db,
    gateway: &RunningGateway,
    sink: &Sink,
    rate: f64,
    payload: &[u8],
    extra: &mut [ExtraInstance],
) -> anyhow::Result<PhaseReport> {
    let count = ((rate * options.latency_secs).round() as u64).max(100);
    let begin = Instant::now() + Duration::from_millis(20);
    let begin_us = wall_us() + 20_000;
    let mut tasks = Vec::with_capacity(count as usize);
    let mut scheduled = Vec::with_capacity(count as usize);
    for i in 0..count {
        let offset = Duration::from_secs_f64(i as f64 / rate);
        tokio::time::sleep_until((begin + offset).into()).await;
        scheduled.push(begin_us + offset.as_micros() as i64);
        let db = db.clone();
        let wake = gateway.state.dispatcher_wake.clone();
        let message = bench_message("l", i, options.ordering_keys, payload);
        tasks.push(tokio::spawn(async move {
            enqueue_batch(&db, std::slice::from_ref(&message)).await?;
            wake.notify_one();
            anyhow::Ok(())
        }));
    }
    for task in tasks {
        task.await.context("an enqueue task")??;
    }
    wait_for_delivered(db, options.messages + count, extra).await?;
    let finished_ms = last_finalized(db).await?;
    let seconds = ((finished_ms * 1000 - begin_us) as f64 / 1e6).max(1e-3);
    let arrivals: Vec<(i64, f64)> = scheduled
        .iter()
        .enumerate()
        .filter_map(|(i, at)| {
            sink.log
                .arrival(&key("l", i as u64))
                .map(|a| (*at, (a.first_us - at) as f64 / 1000.0))
        })
        .collect();
    if let Some(path) = &options.latency_log {
        // The wall clock beside the phase's own, to line a stall up with a trace
        // (`strace -tt`, `perf script`) of the same run.
        let mut csv = String::from("scheduled_ms,enqueue_to_sink_ms,scheduled_unix_us\n");
        for (at, latency) in &arrivals {
            let scheduled_ms = (at - begin_us) as f64 / 1000.0;
            csv.push_str(&format!("{scheduled_ms:.3},{latency:.3},{at}\n"));
        }
        std::fs::write(path, csv)
            .with_context(|| format!("writing the latency log {}", path.display()))?;
    }
    let mut arrival: Vec<f64> = arrivals.iter().map(|(_, latency)| *latency).collect();
    let mut durable = durable_latencies(db).await?;
    Ok(PhaseReport {
        messages: count,
        seconds,
        per_second: count as f64 / seconds,
        arrival_latency_ms: Percentiles::of(&mut arrival),
        durable_latency_ms: Percentiles::of(&mut durable),
        target_rate: Some(rate),
    })
}

fn key(phase: &str, index: u64) -> String {
    format!("{phase}-{index}")
}

/// A synthetic message: no personal data, `payload` as its bytes.
fn bench_message(phase: &str, index: u64, keys: u64, payload: &[u8]) -> NewMessage {
    let now = now_ms();
    NewMessage {
        partner: PARTNER.to_string(),
        ordering_key: format!("bench-case-{:05}", index % keys),
        idempotency_key: key(phase, index),
        kind: "bench".to_string(),
        content_type: "application/json".to_string(),
        file_name: format!("{}.json", key(phase, index)),
        payload: payload.to_vec(),
        cause_kind: "bench".to_string(),
        cause_id: key(phase, index),
        max_attempts: 100,
        run_at: now,
        replay_of: None,
    }
}

fn filler_payload(bytes: usize) -> Vec<u8> {
    let head = br#"{"bench":true,"filler":""#;
    let tail = br#""}"#;
    let fill = bytes.saturating_sub(head.len() + tail.len());
    let mut payload = Vec::with_capacity(bytes);
    payload.extend_from_slice(head);
    payload.extend(std::iter::repeat_n(b'x', fill));
    payload.extend_from_slice(tail);
    payload
}

/// Enqueues `messages` in one transaction, retrying while the database is away (another
/// process may restart PostgreSQL); a retry after a commit whose answer was lost finds
/// the messages already there (same idempotency keys) and adds nothing.
async fn enqueue_batch(db: &Db, messages: &[NewMessage]) -> anyhow::Result<()> {
    let deadline = Instant::now() + STALL_LIMIT;
    loop {
        let attempt = async {
            let mut tx = db.begin().await?;
            let now = now_ms();
            for message in messages {
                outbox::enqueue(&mut tx, message, now).await?;
            }
            tx.commit().await
        }
        .await;
        match attempt {
            Ok(()) => return Ok(()),
            Err(StoreError::Sqlx(error)) if Instant::now() < deadline => {
                tracing::warn!(error = %error, "Enqueue failed; retrying.");
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            Err(error) => return Err(error).context("enqueueing benchmark messages"),
        }
    }
}

/// Waits until `expected` messages are `delivered`, failing when progress stalls, a
/// message goes to dead letter, or an extra instance dies.
async fn wait_for_delivered(
    db: &Db,
    expected: u64,
    extra: &mut [ExtraInstance],
) -> anyhow::Result<()> {
    let mut last = (u64::MAX, Instant::now());
    loop {
        match unfinished(db).await {
            Ok((live, dead)) => {
                if dead > 0 {
                    bail!("{dead} messages went to dead letter; see the gateway's log");
                }
                if live == 0 {
                    let counts = state_counts(db).await?;
                    let delivered = counts.get("delivered").copied().unwrap_or(0);
                    if delivered >= expected {
                        return Ok(());
                    }
                    bail!("nothing left to deliver, but only {delivered} of {expected} delivered");
                }
                if live < last.0 {
                    last = (live, Instant::now());
                }
            }
            Err(error) => {
                tracing::warn!(error = %error, "Counting delivered messages failed; retrying.")
            }
        }
        if last.1.elapsed() > STALL_LIMIT {
            bail!(
                "no progress for {} s: {} of {expected} not delivered",
                STALL_LIMIT.as_secs(),
                last.0
            );
        }
        for instance in extra.iter_mut() {
            instance.check_alive()?;
        }
        // Often enough to end the wait promptly, rarely enough not to load the database
        // being measured (the end time itself comes from the store's `finalized_at`, not
        // from this poll).
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Messages still live and messages dead, counted from the partial live index and the
/// state index: a poll that does not read every delivered message (counting them all
/// every 200 ms took a core's tenth from the PostgreSQL being measured).
async fn unfinished(db: &Db) -> anyhow::Result<(u64, u64)> {
    let (live, dead): (i64, i64) = ivd_gateway::on_read!(db, c => {
        sqlx::query_as(
            "SELECT (SELECT COUNT(*) FROM outbox_messages WHERE partner = $1 \
             AND state IN ('pending', 'running', 'retry')), \
             (SELECT COUNT(*) FROM outbox_messages WHERE state = 'dead')",
        )
        .bind(PARTNER)
        .fetch_one(c)
        .await?
    });
    Ok((live as u64, dead as u64))
}

async fn state_counts(db: &Db) -> anyhow::Result<HashMap<String, u64>> {
    let rows: Vec<(String, i64)> = ivd_gateway::on_read!(db, c => {
        sqlx::query_as("SELECT state, COUNT(*) FROM outbox_messages GROUP BY state")
            .fetch_all(c)
            .await?
    });
    Ok(rows.into_iter().map(|(s, n)| (s, n as u64)).collect())
}

async fn last_finalized(db: &Db) -> anyhow::Result<i64> {
    let (last,): (Option<i64>,) = ivd_gateway::on_read!(db, c => {
        sqlx::query_as(
            "SELECT MAX(finalized_at) FROM outbox_messages \
             WHERE state IN ('delivered', 'dead') AND state = 'delivered'",
        )
            .fetch_one(c)
            .await?
    });
    last.context("no message was delivered")
}

/// Enqueue → committed as delivered of the latency phase's messages, in ms.
async fn durable_latencies(db: &Db) -> anyhow::Result<Vec<f64>> {
    let rows: Vec<(i64,)> = ivd_gateway::on_read!(db, c => {
        sqlx::query_as(
            "SELECT finalized_at - created_at FROM outbox_messages \
             WHERE state = 'delivered' AND idempotency_key LIKE 'l-%'",
        )
        .fetch_all(c)
        .await?
    });
    Ok(rows.into_iter().map(|(ms,)| ms as f64).collect())
}

async fn deliveries_per_worker(db: &Db) -> anyhow::Result<Vec<(String, i64)>> {
    Ok(ivd_gateway::on_read!(db, c => {
        sqlx::query_as(
            "SELECT worker, COUNT(*) FROM outbox_attempts WHERE outcome = 'delivered' \
             GROUP BY worker ORDER BY worker",
        )
        .fetch_all(c)
        .await?
    }))
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "unknown".to_string())
}

/// How a benchmarked gateway delivers.
struct GatewayShape {
    /// The partner's concurrency.
    concurrency: usize,
    /// `outbox.batch_size`.
    batch_size: usize,
    /// `outbox.poll_interval_ms`.
    poll_interval_ms: u64,
}

impl From<&OutboxBenchOptions> for GatewayShape {
    fn from(options: &OutboxBenchOptions) -> Self {
        GatewayShape {
            concurrency: options.concurrency,
            batch_size: options.batch_size,
            poll_interval_ms: options.poll_interval_ms,
        }
    }
}

/// The configuration of instance `n`: one partner, the sink, over plain HTTP on loopback;
/// the outbox on or stopped. The per-token request limit is off: the drivers push as fast
/// as the gateway takes them, and the limiter is not what is measured.
fn write_config(
    options: &GatewayShape,
    dir: &Path,
    db_url: &str,
    endpoint: &str,
    n: usize,
    outbox_enabled: bool,
) -> anyhow::Result<PathBuf> {
    let path = dir.join(format!("bench-{n}.toml"));
    let toml = format!(
        r#"# Written by `ivd-tools bench outbox`.
[database]
url = "{db_url}"
[server]
listen = "127.0.0.1:0"
partner_listen = "127.0.0.1:0"
shutdown_grace_secs = 5
token_requests_per_minute = 0
[tls]
dir = "{tls}"
[outbox]
enabled = {outbox_enabled}
lease_secs = 30
poll_interval_ms = {poll}
batch_size = {batch}
worker_id = "bench-{n}"
[log]
format = "text"
filter = "warn"
[privacy]
data_key_dir = "{keys}"
lookup_key_file = "{lookup}"
[audit]
key_file = "{audit_key}"
checkpoint_dir = "{checkpoints}"
instance = "bench-{n}"
[employers]
spool_dir = "{spool}"
[reconcile]
scheduler = false
[[partners]]
id = "{PARTNER}"
kind = "state"
concurrency = {concurrency}
transport = {{ type = "https", endpoint = "{endpoint}", allow_plaintext = true, timeout_secs = 10 }}
retry = {{ min_delay_ms = 50, max_delay_ms = 1000, max_attempts = 100, max_age_secs = 3600 }}
circuit = {{ failure_threshold = 1000, cooldown_secs = 1 }}
"#,
        tls = dir.join("tls").display(),
        poll = options.poll_interval_ms,
        batch = options.batch_size,
        keys = dir.join("keys/data").display(),
        lookup = dir.join("keys/lookup.key").display(),
        audit_key = dir.join("keys/audit.key").display(),
        checkpoints = dir.join("audit/checkpoints").display(),
        spool = dir.join("spool").display(),
        concurrency = options.concurrency,
    );
    std::fs::write(&path, toml).with_context(|| format!("writing {}", path.display()))?;
    Ok(path)
}

/// A further gateway instance: `serve` in its own process (this program's `gateway`
/// command, or the binary `--gateway-binary` names), its own configuration.
struct ExtraInstance {
    child: Child,
    log: PathBuf,
}

impl ExtraInstance {
    fn start(options: &OutboxBenchOptions, dir: &Path, config: &Path) -> anyhow::Result<Self> {
        let (binary, mut command) = match &options.gateway_binary {
            Some(binary) => (binary.clone(), Command::new(binary)),
            None => {
                let binary = std::env::current_exe().context("locating this binary")?;
                let mut command = Command::new(&binary);
                command.arg("gateway");
                (binary, command)
            }
        };
        let log = config.with_extension("log");
        let child = command
            .current_dir(dir)
            .arg("--config")
            .arg(config)
            .arg("serve")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log)?)
            .spawn()
            .with_context(|| format!("starting {}", binary.display()))?;
        Ok(ExtraInstance { child, log })
    }

    fn check_alive(&mut self) -> anyhow::Result<()> {
        if let Some(status) = self.child.try_wait()? {
            bail!(
                "a gateway instance exited ({status}); its log: {}",
                self.log.display()
            );
        }
        Ok(())
    }

    /// SIGTERM, then up to 15 s for a clean stop, then SIGKILL.
    fn stop(mut self) {
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(self.child.id().to_string())
            .status();
        for _ in 0..300 {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The database a run owns.
struct ScratchDatabase {
    backend: &'static str,
    url: String,
    /// PostgreSQL: the server URL and the scratch database's name, dropped at the end.
    postgres: Option<(String, String)>,
}

impl ScratchDatabase {
    async fn create(database: &str, dir: &Path) -> anyhow::Result<ScratchDatabase> {
        if database == "sqlite" {
            return Ok(ScratchDatabase {
                backend: "sqlite",
                url: format!("sqlite://{}/gateway.db", dir.display()),
                postgres: None,
            });
        }
        if !(database.starts_with("postgres://") || database.starts_with("postgresql://")) {
            bail!("--database is `sqlite` or a postgres:// URL");
        }
        let name = format!("ivd_bench_{:08x}", rand::random::<u32>());
        let mut server = connect_retrying(database).await?;
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&mut server)
            .await
            .context("creating the scratch database")?;
        let _ = server.close().await;
        Ok(ScratchDatabase {
            backend: "postgres",
            url: ivd_gateway::store::postgres_url_with_database(database, &name),
            postgres: Some((database.to_string(), name)),
        })
    }

    async fn drop_scratch(&self) {
        let Some((server, name)) = &self.postgres else {
            return;
        };
        match connect_retrying(server).await {
            Ok(mut c) => {
                let dropped = sqlx::query(sqlx::AssertSqlSafe(format!(
                    "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                )))
                .execute(&mut c)
                .await;
                if let Err(error) = dropped {
                    tracing::warn!(error = %error, database = %name, "Dropping the scratch database failed.");
                }
                let _ = c.close().await;
            }
            Err(error) => {
                tracing::warn!(error = %error, database = %name, "Dropping the scratch database failed.")
            }
        }
    }
}

/// Connects to PostgreSQL, retrying for a while (a restart by someone else).
async fn connect_retrying(url: &str) -> anyhow::Result<sqlx::PgConnection> {
    let options = sqlx::postgres::PgConnectOptions::from_str(url)?;
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        match sqlx::PgConnection::connect_with(&options).await {
            Ok(c) => return Ok(c),
            Err(error) if Instant::now() < deadline => {
                tracing::warn!(error = %error, "PostgreSQL is not answering; retrying.");
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
            Err(error) => return Err(error).context("connecting to PostgreSQL"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_are_nearest_rank() {
        let mut samples: Vec<f64> = (1..=100).rev().map(f64::from).collect();
        let p = Percentiles::of(&mut samples).unwrap();
        assert_eq!(
            (p.count, p.p50, p.p90, p.p99, p.max),
            (100, 50.0, 90.0, 99.0, 100.0)
        );
        assert_eq!(Percentiles::of(&mut []), None);
        let one = Percentiles::of(&mut [7.0]).unwrap();
        assert_eq!((one.p50, one.p99), (7.0, 7.0));
    }

    #[test]
    fn the_payload_has_the_asked_size_and_is_json() {
        let payload = filler_payload(256);
        assert_eq!(payload.len(), 256);
        serde_json::from_slice::<serde_json::Value>(&payload).unwrap();
    }
}
