//! `ivd-tools bench claim`: what one claim statement costs with many live messages.
//!
//! A fresh database gets `--live` due messages in one bulk insert (as a first load or an
//! outage leaves them: `--per-key` messages on each case, so most wait behind their key's
//! head), nothing analyzed afterwards. Then the dispatcher's own claim statement
//! ([`ivd_gateway::outbox::store::claim_sql`]) runs `--claims` times, each leasing up to
//! `--batch` heads, and each run of the statement is timed on its own (on SQLite with its
//! commit, as the dispatcher's claim commits; on PostgreSQL in its own implicit
//! transaction, as the dispatcher runs it, so with its commit's wait for the disk). On
//! PostgreSQL the report adds the statement's own time on the server, the median of
//! 21 more claims under `EXPLAIN (ANALYZE, BUFFERS)`, and the buffers
//! that claim touched.

use std::time::Instant;

use anyhow::Context;
use serde::Serialize;

use super::{PARTNER, Percentiles};
use ivd_gateway::outbox::store::claim_sql;
use ivd_gateway::store::{Backend, Db};

/// What `bench claim` runs.
#[derive(Clone, Debug, clap::Args)]
pub struct ClaimBenchOptions {
    /// `sqlite` (a fresh file) or a PostgreSQL server URL (a scratch database is created
    /// on it and dropped at the end).
    #[arg(long, default_value = "sqlite")]
    pub database: String,
    /// Live messages loaded before the claims.
    #[arg(long, default_value_t = 1_000_000)]
    pub live: u64,
    /// Messages per ordering key (the key's head and those waiting behind it).
    #[arg(long, default_value_t = 10)]
    pub per_key: u64,
    /// Claims timed.
    #[arg(long, default_value_t = 200)]
    pub claims: u64,
    /// Most messages one claim leases (`outbox.batch_size`).
    #[arg(long, default_value_t = 64)]
    pub batch: i64,
    /// Print the report as one JSON object instead of a table.
    #[arg(long)]
    pub json: bool,
}

/// What a claim run measured.
#[derive(Clone, Debug, Serialize)]
pub struct ClaimReport {
    /// `sqlite` or `postgres`.
    pub backend: String,
    /// Live messages when the claims began.
    pub live: u64,
    /// Keys they are spread over.
    pub keys: u64,
    /// Seconds the bulk load took.
    pub load_seconds: f64,
    /// Most messages a claim leases.
    pub batch: i64,
    /// Messages leased in all.
    pub leased: u64,
    /// Wall time of each claim statement, ms.
    pub claim_ms: Percentiles,
    /// PostgreSQL: the server's execution time of a claim, the median of
    /// 21 more claims, ms.
    pub server_execution_ms: Option<f64>,
    /// PostgreSQL: shared buffers that median claim touched.
    pub server_buffers: Option<i64>,
}

impl ClaimReport {
    /// A human-readable summary.
    pub fn table(&self) -> String {
        let mut out = format!(
            "claim bench: {} backend, {} live messages on {} keys (loaded in {:.1} s, not analyzed)\n\
             {} claims of up to {} leased {} messages; per claim statement: p50 {:.3} ms, p90 {:.3} ms, p99 {:.3} ms, max {:.3} ms\n",
            self.backend,
            self.live,
            self.keys,
            self.load_seconds,
            self.claim_ms.count,
            self.batch,
            self.leased,
            self.claim_ms.p50,
            self.claim_ms.p90,
            self.claim_ms.p99,
            self.claim_ms.max,
        );
        if let (Some(ms), Some(buffers)) = (self.server_execution_ms, self.server_buffers) {
            out.push_str(&format!(
                "server's own timing, median of {EXPLAINED_CLAIMS} more claims (EXPLAIN ANALYZE): {ms:.3} ms, {buffers} shared buffers\n"
            ));
        }
        out
    }
}

/// Runs the claim benchmark on a fresh database.
pub async fn run_claim(options: &ClaimBenchOptions) -> anyhow::Result<ClaimReport> {
    anyhow::ensure!(
        options.live > 0 && options.per_key > 0 && options.claims > 0 && options.batch > 0,
        "--live, --per-key, --claims and --batch must be positive"
    );
    super::in_scratch(None, &options.database, async |_, database| {
        let db = Db::connect(&database.url).await?;
        db.migrate().await?;
        let report = measure(&db, options).await;
        db.close().await;
        report
    })
    .await
}

/// PostgreSQL: claims run under `EXPLAIN (ANALYZE, BUFFERS)` after the timed ones.
const EXPLAINED_CLAIMS: usize = 21;

/// The bulk load: message `g` is on key `g / per_key`; the first of each key is its head.
/// The payload rows are not written: the timed statement is the claim's update, and on
/// PostgreSQL its payload subquery finds no row the same way it finds one, by its key.
const LOAD: &str = "INSERT INTO outbox_messages (partner, ordering_key, idempotency_key, kind, \
     content_type, file_name, cause_kind, cause_id, state, attempt, max_attempts, run_at, \
     created_at, updated_at, head) \
     SELECT $1, 'case-' || (g / $2), 'm-' || g, 'bench', 'application/json', 'f', 'bench', \
     'c', 'pending', 0, 5, 0, 0, 0, CASE WHEN g % $2 = 0 THEN 1 ELSE 0 END FROM ";

async fn measure(db: &Db, options: &ClaimBenchOptions) -> anyhow::Result<ClaimReport> {
    let clock = Instant::now();
    let backend = db.backend();
    let (live, per_key) = (options.live as i64, options.per_key as i64);
    match db {
        Db::Postgres(pool, _) => {
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "{LOAD} generate_series(0, $3 - 1) AS g"
            )))
            .bind(PARTNER)
            .bind(per_key)
            .bind(live)
            .execute(pool)
            .await?;
        }
        Db::Sqlite { write, .. } => {
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "WITH RECURSIVE s(g) AS (SELECT 0 UNION ALL SELECT g + 1 FROM s WHERE g + 1 < $3) \
                 {LOAD} s"
            )))
            .bind(PARTNER)
            .bind(per_key)
            .bind(live)
            .execute(write)
            .await?;
        }
    }
    let load_seconds = clock.elapsed().as_secs_f64();

    let sql = claim_sql(backend);
    let mut samples = Vec::with_capacity(options.claims as usize);
    let mut leased = 0;
    for n in 0..options.claims {
        let now = 1 + n as i64;
        let started = Instant::now();
        let rows = ivd_gateway::on_db!(db, c => {
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind("bench")
                .bind(now)
                .bind(now + 3_600_000)
                .bind(PARTNER)
                .bind(options.batch)
                .execute(c)
                .await?
                .rows_affected()
        });
        samples.push(started.elapsed().as_secs_f64() * 1000.0);
        leased += rows;
    }
    // The server's own timing, without the commit: the median of several more claims
    // under `EXPLAIN (ANALYZE, BUFFERS)` (one sample swings with whatever else the
    // machine does), and the buffers of that median claim.
    let (server_execution_ms, server_buffers) = match db {
        Db::Postgres(pool, _) => {
            let mut runs: Vec<(f64, i64)> = Vec::with_capacity(EXPLAINED_CLAIMS);
            for k in 0..EXPLAINED_CLAIMS as i64 {
                let now = options.claims as i64 + 1 + k;
                let plan: serde_json::Value = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
                    "EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) {sql}"
                )))
                .bind("bench")
                .bind(now)
                .bind(now + 3_600_000)
                .bind(PARTNER)
                .bind(options.batch)
                .fetch_one(pool)
                .await?;
                let top = &plan[0];
                let buffers = top["Plan"]["Shared Hit Blocks"].as_i64().unwrap_or(0)
                    + top["Plan"]["Shared Read Blocks"].as_i64().unwrap_or(0);
                if let Some(ms) = top["Execution Time"].as_f64() {
                    runs.push((ms, buffers));
                }
            }
            runs.sort_by(|a, b| a.0.total_cmp(&b.0));
            match runs.get(runs.len() / 2) {
                Some((ms, buffers)) => (Some(*ms), Some(*buffers)),
                None => (None, None),
            }
        }
        Db::Sqlite { .. } => (None, None),
    };
    Ok(ClaimReport {
        backend: match backend {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
        .to_string(),
        live: options.live,
        keys: options.live.div_ceil(options.per_key),
        load_seconds,
        batch: options.batch,
        leased,
        claim_ms: Percentiles::of(&mut samples).context("no claim ran")?,
        server_execution_ms,
        server_buffers,
    })
}
