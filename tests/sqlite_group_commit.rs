//! SQLite's writer shares one commit among the transactions queued behind each other
//! (`ivd_gateway::store::writer`): each still commits or rolls back on its own, and none
//! is told it committed before the shared commit is on disk.

mod support;

use std::sync::Arc;
use std::time::Duration;

use ivd_gateway::outbox::{self, store::ListFilter};
use ivd_gateway::store::{Db, SqliteWriter};
use support::{TestDb, test_message, wait_until};

const P: &str = "partner-a";

fn writer(db: &Db) -> Arc<SqliteWriter> {
    match db {
        Db::Sqlite { writer, .. } => writer.clone(),
        Db::Postgres(..) => unreachable!("these tests run on SQLite"),
    }
}

/// A test database whose groups stay open as long as units wait (the 5 ms default would
/// close them while a test is still arranging its transactions).
async fn sqlite_with_open_groups() -> TestDb {
    let t = TestDb::sqlite().await;
    writer(&t.db).set_group_window(Duration::from_secs(3600));
    t
}

/// Waits until `count` callers are queued for the writer.
async fn until_queued(db: &Db, count: usize) {
    let writer = writer(db);
    assert!(
        wait_until(Duration::from_secs(10), || {
            let writer = writer.clone();
            async move { writer.waiting() == count }
        })
        .await,
        "{count} callers never queued for the writer"
    );
}

/// Keys whose messages a reader (another connection) sees committed.
async fn committed_keys(db: &Db) -> Vec<String> {
    let mut keys: Vec<String> = outbox::store::list(db, &ListFilter::default())
        .await
        .unwrap()
        .into_iter()
        .map(|m| m.ordering_key)
        .collect();
    keys.sort();
    keys
}

/// Starts `keys.len()` requests that each enqueue one message in their own transaction,
/// and waits until all of them are queued for the writer.
async fn queue_requests(db: &Db, keys: &[&str]) -> Vec<tokio::task::JoinHandle<()>> {
    let before = writer(db).waiting();
    let mut requests = Vec::new();
    for (n, key) in keys.iter().enumerate() {
        let request_db = db.clone();
        let key = key.to_string();
        requests.push(tokio::spawn(async move {
            let mut tx = request_db.begin().await.unwrap();
            outbox::enqueue(&mut tx, &test_message(P, &key, n as u64, 5, 0), 0)
                .await
                .unwrap();
            tx.commit().await.unwrap();
        }));
        until_queued(db, before + n + 1).await;
    }
    requests
}

#[tokio::test]
async fn requests_queued_behind_each_other_share_one_commit_and_all_land() {
    let t = sqlite_with_open_groups().await;
    let commits_before = writer(&t.db).commits();
    // The first request holds the writer while twenty more arrive.
    let mut first = t.db.begin().await.unwrap();
    outbox::enqueue(&mut first, &test_message(P, "case-00", 0, 5, 0), 0)
        .await
        .unwrap();
    let keys: Vec<String> = (1..=20).map(|n| format!("case-{n:02}")).collect();
    let key_refs: Vec<&str> = keys.iter().map(String::as_str).collect();
    let requests = queue_requests(&t.db, &key_refs).await;

    first.commit().await.unwrap();
    for request in requests {
        request.await.unwrap();
    }

    assert_eq!(committed_keys(&t.db).await.len(), 21);
    assert_eq!(
        writer(&t.db).commits() - commits_before,
        1,
        "the 21 transactions queued behind each other share one commit"
    );
    t.cleanup().await;
}

#[tokio::test]
async fn a_transaction_is_not_acknowledged_before_the_shared_commit() {
    let t = sqlite_with_open_groups().await;
    // A enqueues and commits while B waits for the writer: A's work joins B's group.
    let mut a = t.db.begin().await.unwrap();
    outbox::enqueue(&mut a, &test_message(P, "case-a", 0, 5, 0), 0)
        .await
        .unwrap();
    let db = t.db.clone();
    let b_started = tokio::spawn(async move { db.begin().await.unwrap() });
    until_queued(&t.db, 1).await;
    let a_commit = tokio::spawn(a.commit());
    let mut b = b_started.await.unwrap();

    // B has the writer, so A's commit cannot have happened: A is not answered yet, and a
    // reader does not see A's message.
    tokio::task::yield_now().await;
    assert!(
        !a_commit.is_finished(),
        "A was acknowledged before its commit"
    );
    assert!(committed_keys(&t.db).await.is_empty());

    outbox::enqueue(&mut b, &test_message(P, "case-b", 1, 5, 0), 0)
        .await
        .unwrap();
    b.commit().await.unwrap();
    a_commit.await.unwrap().unwrap();
    assert_eq!(committed_keys(&t.db).await, ["case-a", "case-b"]);
    t.cleanup().await;
}

#[tokio::test]
async fn a_transaction_that_rolls_back_in_a_shared_group_takes_nothing_else_with_it() {
    let t = sqlite_with_open_groups().await;
    let mut holder = t.db.begin().await.unwrap();
    outbox::enqueue(&mut holder, &test_message(P, "case-1", 1, 5, 0), 0)
        .await
        .unwrap();
    // Behind it: one request that writes and then gives up, one that commits.
    let db = t.db.clone();
    let gives_up = tokio::spawn(async move {
        let mut tx = db.begin().await.unwrap();
        outbox::enqueue(&mut tx, &test_message(P, "case-2", 2, 5, 0), 0)
            .await
            .unwrap();
        drop(tx); // e.g. a validation error after the write
    });
    until_queued(&t.db, 1).await;
    let commits = queue_requests(&t.db, &["case-3"]).await;

    holder.commit().await.unwrap();
    gives_up.await.unwrap();
    for request in commits {
        request.await.unwrap();
    }
    assert_eq!(committed_keys(&t.db).await, ["case-1", "case-3"]);

    // The writer is free and whole afterwards.
    let mut tx = t.db.begin().await.unwrap();
    outbox::enqueue(&mut tx, &test_message(P, "case-4", 4, 5, 0), 0)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(committed_keys(&t.db).await, ["case-1", "case-3", "case-4"]);
    t.cleanup().await;
}

#[tokio::test]
async fn a_lone_transaction_dropped_without_commit_frees_the_writer() {
    let t = TestDb::sqlite().await;
    let mut tx = t.db.begin().await.unwrap();
    outbox::enqueue(&mut tx, &test_message(P, "case-1", 1, 5, 0), 0)
        .await
        .unwrap();
    drop(tx);
    // Nobody else wanted the writer: its rollback must not wait for someone to.
    let mut next = t.db.begin().await.unwrap();
    outbox::enqueue(&mut next, &test_message(P, "case-2", 2, 5, 0), 0)
        .await
        .unwrap();
    next.commit().await.unwrap();
    assert_eq!(committed_keys(&t.db).await, ["case-2"]);
    t.cleanup().await;
}

#[tokio::test]
async fn a_long_transaction_commits_on_its_own_even_with_others_waiting() {
    // Default window: a group that has been open for longer commits at once.
    let t = TestDb::sqlite().await;
    let mut long = t.db.begin().await.unwrap();
    outbox::enqueue(&mut long, &test_message(P, "case-1", 1, 5, 0), 0)
        .await
        .unwrap();
    // The next request takes the writer and keeps it until told to commit.
    let (go, wait_for_go) = tokio::sync::oneshot::channel::<()>();
    let db = t.db.clone();
    let next = tokio::spawn(async move {
        let mut tx = db.begin().await.unwrap();
        outbox::enqueue(&mut tx, &test_message(P, "case-2", 2, 5, 0), 0)
            .await
            .unwrap();
        wait_for_go.await.unwrap();
        tx.commit().await.unwrap();
    });
    until_queued(&t.db, 1).await;
    // Past the 5 ms window (a sleep to make the group old, not a timing assertion).
    tokio::time::sleep(Duration::from_millis(20)).await;
    // Had it joined the next request's group, this would wait for that request, which
    // waits for us: the test would hang instead of passing.
    tokio::time::timeout(Duration::from_secs(30), long.commit())
        .await
        .expect("a long transaction waited for the one behind it")
        .unwrap();
    assert_eq!(committed_keys(&t.db).await, ["case-1"]);
    go.send(()).unwrap();
    next.await.unwrap();
    assert_eq!(committed_keys(&t.db).await, ["case-1", "case-2"]);
    t.cleanup().await;
}

/// Runs `sql` as the transaction's next statement (a unit that has not written yet opens
/// its savepoint in the same call, as the outbox's own statements do).
async fn run_statement(
    tx: &mut ivd_gateway::store::DbTx,
    sql: &str,
) -> Result<u64, ivd_gateway::store::StoreError> {
    let sql = tx.opening(sql).into_owned();
    Ok(ivd_gateway::on_tx!(tx, c => {
        sqlx::query(sqlx::AssertSqlSafe(sql)).execute(c).await?.rows_affected()
    }))
}

#[tokio::test]
async fn requests_that_fail_in_a_shared_group_undo_only_their_own_writes() {
    let t = sqlite_with_open_groups().await;
    let mut holder = t.db.begin().await.unwrap();
    outbox::enqueue(&mut holder, &test_message(P, "case-1", 1, 5, 0), 0)
        .await
        .unwrap();
    // Behind the holder, in this order: a request that commits; one that writes, then
    // fails (its savepoint was opened in the call that released the previous one's);
    // one whose very first statement fails (in the call that opens its savepoint); one
    // that commits.
    let commits = queue_requests(&t.db, &["case-2"]).await;
    let db = t.db.clone();
    let writes_then_fails = tokio::spawn(async move {
        let mut tx = db.begin().await.unwrap();
        outbox::enqueue(&mut tx, &test_message(P, "case-x", 10, 5, 0), 0)
            .await
            .unwrap();
        let failed = run_statement(&mut tx, "UPDATE no_such_table SET x = 1").await;
        assert!(failed.is_err());
    });
    until_queued(&t.db, 2).await;
    let db = t.db.clone();
    let fails_at_once = tokio::spawn(async move {
        let mut tx = db.begin().await.unwrap();
        let failed = run_statement(&mut tx, "UPDATE no_such_table SET x = 1").await;
        assert!(failed.is_err());
    });
    until_queued(&t.db, 3).await;
    let last = queue_requests(&t.db, &["case-3"]).await;

    holder.commit().await.unwrap();
    for request in commits.into_iter().chain(last) {
        request.await.unwrap();
    }
    writes_then_fails.await.unwrap();
    fails_at_once.await.unwrap();
    assert_eq!(committed_keys(&t.db).await, ["case-1", "case-2", "case-3"]);
    t.cleanup().await;
}
