//! The outbox's per-key heads: every key with live messages has exactly one head, its
//! oldest live message, whatever happens to its messages; and a claim reads only the due
//! heads it leases, also on a table the planner knows nothing about.

mod support;

use std::collections::HashMap;
use std::time::{Duration, Instant};

use ivd_gateway::outbox::operator;
use ivd_gateway::outbox::store::{self, AttemptRecord, Decision, FenceError};
use ivd_gateway::outbox::{self, MessageState};
use ivd_gateway::store::{Backend, Db};
use support::{TestDb, test_message};

on_both_backends!(
    every_key_keeps_one_head_through_deliveries_retries_dead_letters_and_redeliveries,
    messages_enqueued_while_their_key_drains_are_all_delivered_in_order,
);

const P: &str = "partner-a";

/// A small deterministic generator: the same day of operations on every run.
struct Dice(u64);

impl Dice {
    fn roll(&mut self, sides: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % sides
    }
}

fn attempt(claimed: &store::Claimed) -> AttemptRecord<'_> {
    AttemptRecord {
        id: claimed.id,
        attempt: claimed.attempt,
        worker: "w",
        started_at: 0,
        status: Some(200),
        detail: "ok",
    }
}

/// Per key: live messages, heads among them, the oldest live id and the head's id; and
/// how many finished messages still say they are a head.
async fn heads(db: &Db) -> (Vec<(String, i64, i64, Option<i64>, Option<i64>)>, i64) {
    ivd_gateway::on_read!(db, c => {
        let keys = sqlx::query_as(
            "SELECT ordering_key, \
             SUM(CASE WHEN state IN ('pending', 'running', 'retry') THEN 1 ELSE 0 END), \
             SUM(CASE WHEN state IN ('pending', 'running', 'retry') AND head = 1 THEN 1 ELSE 0 END), \
             MIN(CASE WHEN state IN ('pending', 'running', 'retry') THEN id END), \
             MAX(CASE WHEN head = 1 THEN id END) \
             FROM outbox_messages GROUP BY ordering_key ORDER BY ordering_key",
        )
        .fetch_all(c)
        .await
        .unwrap();
        let (stale,): (i64,) = sqlx::query_as(
            "SELECT COUNT(*) FROM outbox_messages \
             WHERE head = 1 AND state NOT IN ('pending', 'running', 'retry')",
        )
        .fetch_one(c)
        .await
        .unwrap();
        (keys, stale)
    })
}

async fn assert_one_head_per_live_key(db: &Db, step: usize) {
    let (keys, stale) = heads(db).await;
    assert_eq!(stale, 0, "step {step}: a finished message is still a head");
    for (key, live, head_count, oldest, head) in keys {
        if live == 0 {
            assert_eq!(head_count, 0, "step {step}: {key} has no live message");
        } else {
            assert_eq!(head_count, 1, "step {step}: {key} has {live} live messages");
            assert_eq!(head, oldest, "step {step}: {key}'s head is not its oldest");
        }
    }
}

async fn every_key_keeps_one_head_through_deliveries_retries_dead_letters_and_redeliveries(
    t: TestDb,
) {
    let keys = ["case-1", "case-2", "case-3", "case-4"];
    let mut dice = Dice(0x5eed_1234_abcd_0001);
    let mut held: Vec<store::Claimed> = Vec::new();
    let mut dead: Vec<i64> = Vec::new();
    let mut seq = 0;
    let mut now = 1_000;
    let mut counts: HashMap<&str, u32> = HashMap::new();
    for step in 0..500 {
        now += 1;
        let operation = match dice.roll(12) {
            0..=3 => "enqueue",
            4 | 5 => "claim",
            6 | 7 => "deliver",
            8 => "retry",
            9 => "reject",
            10 => "redeliver",
            _ => "leases expire",
        };
        *counts.entry(operation).or_default() += 1;
        match operation {
            "enqueue" => {
                seq += 1;
                let key = keys[dice.roll(keys.len() as u64) as usize];
                let mut tx = t.db.begin().await.unwrap();
                outbox::enqueue(&mut tx, &test_message(P, key, seq, 3, now), now)
                    .await
                    .unwrap();
                tx.commit().await.unwrap();
            }
            "claim" => held.extend(store::claim(&t.db, P, "w", 3, 5, now).await.unwrap()),
            "redeliver" => {
                if let Some(id) = dead.pop() {
                    operator::redeliver(&t.db, id, "partner fixed it", "op", &|_| 3, now)
                        .await
                        .unwrap();
                }
            }
            "leases expire" => {
                // Everything held is abandoned; the claim reaps it (retry, or dead
                // after its last attempt).
                held.clear();
                now += 10;
                held.extend(store::claim(&t.db, P, "w", 3, 5, now).await.unwrap());
            }
            _ if held.is_empty() => {}
            result => {
                let message = held.remove(dice.roll(held.len() as u64) as usize);
                let decision = match result {
                    "deliver" => Decision::Delivered,
                    "retry" => Decision::RetryAt(now + 2),
                    _ => Decision::DeadRejected,
                };
                match store::record(&t.db, &attempt(&message), decision, now).await {
                    Ok(()) if decision == Decision::DeadRejected => dead.push(message.id),
                    Ok(()) | Err(FenceError::LeaseLost { .. }) => {}
                    Err(e) => panic!("step {step}: {e}"),
                }
            }
        }
        assert_one_head_per_live_key(&t.db, step).await;
    }
    // The day had every kind of event, several times.
    for operation in [
        "enqueue",
        "claim",
        "deliver",
        "retry",
        "reject",
        "redeliver",
        "leases expire",
    ] {
        assert!(
            counts.get(operation).copied().unwrap_or(0) >= 10,
            "{operation}: {counts:?}"
        );
    }
    let dead_now = store::list(
        &t.db,
        &store::ListFilter {
            state: Some(MessageState::Dead),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert!(!dead_now.is_empty(), "some messages went to dead letter");
    t.cleanup().await;
}

async fn messages_enqueued_while_their_key_drains_are_all_delivered_in_order(t: TestDb) {
    // Four producers, each with its own case, enqueue one message at a time while a
    // dispatcher claims and delivers: a head often finishes at the very moment the next
    // message of its key commits. None may be left without a head (never claimed), none
    // may overtake an older one of its case.
    const PER_KEY: u64 = 150;
    let producers: Vec<_> = (0..4)
        .map(|p| {
            let db = t.db.clone();
            tokio::spawn(async move {
                let key = format!("case-{p}");
                for seq in 1..=PER_KEY {
                    let mut tx = db.begin().await.unwrap();
                    outbox::enqueue(&mut tx, &test_message(P, &key, seq, 5, 0), 0)
                        .await
                        .unwrap();
                    tx.commit().await.unwrap();
                }
            })
        })
        .collect();
    let total = 4 * PER_KEY as usize;
    let mut delivered: Vec<(String, u64)> = Vec::new();
    let started = Instant::now();
    let mut now = 1;
    while delivered.len() < total {
        now += 1;
        let claimed = store::claim(&t.db, P, "w", 8, 60_000, now).await.unwrap();
        if claimed.is_empty() {
            assert!(
                started.elapsed() < Duration::from_secs(120),
                "stuck after {} of {total}: {:?}",
                delivered.len(),
                heads(&t.db).await
            );
            tokio::task::yield_now().await;
            continue;
        }
        let results: Vec<_> = claimed
            .iter()
            .map(|c| (attempt(c), Decision::Delivered))
            .collect();
        let recorded = store::record_many(&t.db, &results, now).await.unwrap();
        assert!(recorded.iter().all(|r| *r));
        for message in &claimed {
            let body: serde_json::Value = serde_json::from_slice(&message.payload).unwrap();
            delivered.push((message.ordering_key.clone(), body["seq"].as_u64().unwrap()));
        }
    }
    for producer in producers {
        producer.await.unwrap();
    }
    let mut last: HashMap<&str, u64> = HashMap::new();
    for (key, seq) in &delivered {
        let previous = last.insert(key, *seq).unwrap_or(0);
        assert_eq!(*seq, previous + 1, "{key}: {seq} after {previous}");
    }
    assert_one_head_per_live_key(&t.db, total).await;
    t.cleanup().await;
}

/// Bulk-loads `live` due messages of partner `P` the way a first load or an outage leaves
/// them: half on one key (a federal batch channel), half each on its own case, every
/// case's head already leased with a younger message waiting behind it, and nothing
/// analyzed since.
async fn bulk_load_never_analyzed(pool: &sqlx::PgPool, live: i64) {
    // Autovacuum must not analyze the table while the test looks at it.
    sqlx::query("ALTER TABLE outbox_messages SET (autovacuum_enabled = false)")
        .execute(pool)
        .await
        .unwrap();
    let half = live / 2;
    sqlx::query(
        "INSERT INTO outbox_messages (partner, ordering_key, idempotency_key, kind, \
         content_type, file_name, cause_kind, cause_id, state, attempt, max_attempts, \
         run_at, created_at, updated_at, head, lease_expires_at) \
         SELECT $1, CASE WHEN g <= $2 THEN 'batch' ELSE 'case-' || ((g - $2 + 1) / 2) END, \
         'm-' || g, 'test', 'application/json', 'f', 'test', 'c', \
         CASE WHEN g > $2 AND (g - $2) % 2 = 1 THEN 'running' ELSE 'pending' END, \
         0, 5, 0, 0, 0, \
         CASE WHEN g = 1 OR (g > $2 AND (g - $2) % 2 = 1) THEN 1 ELSE 0 END, \
         CASE WHEN g > $2 AND (g - $2) % 2 = 1 THEN 9000000000000 END \
         FROM generate_series(1, $3) AS g",
    )
    .bind(P)
    .bind(half)
    .bind(live)
    .execute(pool)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO outbox_payloads (message_id, partner, idempotency_key, payload) \
         SELECT id, partner, idempotency_key, '\\x7b7d'::bytea FROM outbox_messages",
    )
    .execute(pool)
    .await
    .unwrap();
    let (analyzed,): (bool,) = sqlx::query_as(
        "SELECT last_analyze IS NOT NULL OR last_autoanalyze IS NOT NULL \
         FROM pg_stat_user_tables WHERE relname = 'outbox_messages'",
    )
    .fetch_one(pool)
    .await
    .unwrap();
    assert!(!analyzed, "the table must be as the bulk load left it");
}

/// `sql` under `EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON)`.
fn explained(sql: &str) -> sqlx::AssertSqlSafe<String> {
    sqlx::AssertSqlSafe(format!("EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) {sql}"))
}

/// Shared buffers hit and read in all by an explained statement, and the plan as text
/// for a failure message.
fn buffers(plan: &serde_json::Value) -> (i64, String) {
    let top = &plan[0]["Plan"];
    let touched =
        top["Shared Hit Blocks"].as_i64().unwrap() + top["Shared Read Blocks"].as_i64().unwrap();
    (touched, serde_json::to_string_pretty(plan).unwrap())
}

/// Every scan of `outbox_messages` in `plan` (relation and index names, or "Seq Scan").
fn scans_of_outbox(node: &serde_json::Value, found: &mut Vec<String>) {
    if node["Relation Name"] == "outbox_messages" {
        found.push(format!(
            "{} {}",
            node["Node Type"].as_str().unwrap_or(""),
            node["Index Name"].as_str().unwrap_or("")
        ));
    }
    for child in node["Plans"].as_array().into_iter().flatten() {
        scans_of_outbox(child, found);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_claim_reads_only_what_it_leases_on_a_freshly_bulk_loaded_never_analyzed_table() {
    let Some(t) = TestDb::postgres().await else {
        return;
    };
    let Db::Postgres(pool, _) = &t.db else {
        unreachable!()
    };
    bulk_load_never_analyzed(pool, 100_000).await;
    // 50,000 messages wait on one key behind its head; 25,000 cases have their head in
    // flight and one message waiting. Only one message is due and claimable: the batch
    // key's head. The old claim looked at every due message and, for each, at the live
    // messages of its key.
    let explained_claim: serde_json::Value =
        sqlx::query_scalar(explained(store::claim_sql(Backend::Postgres)))
            .bind("w")
            .bind(1_i64)
            .bind(60_000_i64)
            .bind(P)
            .bind(16_i64)
            .fetch_one(pool)
            .await
            .unwrap();
    let (touched, plan) = buffers(&explained_claim);
    eprintln!("the claim touched {touched} shared buffers");
    let mut scans = Vec::new();
    scans_of_outbox(&explained_claim[0]["Plan"], &mut scans);
    assert!(
        scans.iter().any(|s| s.contains("outbox_due_heads"))
            && !scans.iter().any(|s| s.starts_with("Seq Scan")),
        "the claim does not read the due heads alone: {scans:?}\n{plan}"
    );
    assert!(
        touched < 500,
        "a claim of one message touched {touched} buffers at 100,000 live messages:\n{plan}"
    );
    let (claimed,): (i64,) =
        sqlx::query_as("SELECT COUNT(*) FROM outbox_messages WHERE lease_owner = 'w'")
            .fetch_one(pool)
            .await
            .unwrap();
    assert_eq!(claimed, 1, "only the batch key's head was due");

    // When the batch key's head is delivered, the next of its 50,000 takes its place from
    // the first entry of the key's live index.
    sqlx::query(
        "UPDATE outbox_messages SET state = 'delivered', head = 0, finalized_at = 2 \
         WHERE lease_owner = 'w'",
    )
    .execute(pool)
    .await
    .unwrap();
    let explained_settle: serde_json::Value =
        sqlx::query_scalar(explained(store::settle_heads_sql(Backend::Postgres)))
            .bind(vec![P.to_string()])
            .bind(vec!["batch".to_string()])
            .fetch_one(pool)
            .await
            .unwrap();
    let (touched, plan) = buffers(&explained_settle);
    eprintln!("settling the key touched {touched} shared buffers");
    assert!(
        touched < 100,
        "settling one key touched {touched} buffers behind 50,000 messages:\n{plan}"
    );
    let (head,): (String,) = sqlx::query_as(
        "SELECT idempotency_key FROM outbox_messages WHERE ordering_key = 'batch' AND head = 1",
    )
    .fetch_one(pool)
    .await
    .unwrap();
    assert_eq!(head, "m-2");
    t.cleanup().await;
}
