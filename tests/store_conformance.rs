//! One storage conformance suite, run against SQLite and PostgreSQL alike: every rule of
//! the outbox, the intake, the event feed, the audit chain and the case store.

mod support;

use ivd_gateway::audit::{self, NewEntry, Verification};
use ivd_gateway::intake::{self, Inbound, Received, RecordArrival};
use ivd_gateway::outbox::operator::{self, OperatorError};
use ivd_gateway::outbox::render::Renderers;
use ivd_gateway::outbox::store::{self, AttemptRecord, Decision, FenceError, ListFilter};
use ivd_gateway::outbox::{self, EnqueueOutcome, MessageState};
use ivd_gateway::store::tokens::{self, Role};
use ivd_gateway::store::{Db, cases, events};
use support::{TestDb, test_message};

on_both_backends!(
    a_message_exists_only_if_its_transaction_commits,
    the_same_idempotency_key_is_enqueued_once_per_partner,
    two_enqueues_of_the_same_key_at_once_make_one_message,
    only_the_oldest_live_message_of_a_key_is_claimed,
    keys_are_claimed_in_parallel_and_partners_apart,
    a_stale_lease_holder_cannot_record_a_result,
    results_recorded_together_are_each_fenced_on_their_own_lease,
    an_expired_lease_is_reclaimed_and_its_lost_attempt_recorded,
    a_retry_waits_for_its_time,
    a_dead_message_stops_blocking_its_key_and_redeliver_brings_it_back,
    redeliver_and_replay_need_a_reason_and_a_final_message,
    replay_rebuilds_from_the_current_case_as_a_new_message,
    a_released_lease_is_due_at_once,
    delivered_messages_past_retention_are_purged_with_their_attempts,
    the_audit_chain_verifies_and_a_changed_row_breaks_it,
    raw_bytes_are_stored_first_and_duplicates_linked,
    a_receipt_left_unprocessed_by_a_crash_is_resumed_once,
    the_event_feed_pages_in_stable_order,
    a_case_snapshot_gets_a_new_version_only_when_it_changes,
    tokens_are_stored_hashed_and_can_be_revoked,
    readiness_reports_applied_migrations,
    an_acknowledgment_we_are_owed_is_overdue_until_it_arrives,
);

const P: &str = "partner-a";
const LEASE: i64 = 10_000;

async fn enqueue(db: &Db, key: &str, seq: u64, now: i64) -> i64 {
    let mut tx = db.begin().await.unwrap();
    let id = outbox::enqueue(&mut tx, &test_message(P, key, seq, 5, now), now)
        .await
        .unwrap()
        .id();
    tx.commit().await.unwrap();
    id
}

fn attempt<'a>(claimed: &store::Claimed, worker: &'a str, detail: &'a str) -> AttemptRecord<'a> {
    AttemptRecord {
        id: claimed.id,
        attempt: claimed.attempt,
        worker,
        started_at: 0,
        status: Some(200),
        detail,
    }
}

async fn state_of(db: &Db, id: i64) -> String {
    store::show(db, id).await.unwrap().unwrap().summary.state
}

async fn a_message_exists_only_if_its_transaction_commits(t: TestDb) {
    let mut tx = t.db.begin().await.unwrap();
    outbox::enqueue(&mut tx, &test_message(P, "case-1", 1, 5, 0), 0)
        .await
        .unwrap();
    drop(tx); // rolled back
    assert!(
        store::list(&t.db, &ListFilter::default())
            .await
            .unwrap()
            .is_empty()
    );

    let id = enqueue(&t.db, "case-1", 1, 0).await;
    let listed = store::list(&t.db, &ListFilter::default()).await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].id, id);
    assert_eq!(listed[0].state, "pending");
    t.cleanup().await;
}

async fn the_same_idempotency_key_is_enqueued_once_per_partner(t: TestDb) {
    let first = enqueue(&t.db, "case-1", 1, 0).await;
    let mut tx = t.db.begin().await.unwrap();
    let again = outbox::enqueue(&mut tx, &test_message(P, "case-1", 1, 5, 0), 0)
        .await
        .unwrap();
    let other_partner = outbox::enqueue(&mut tx, &test_message("partner-b", "case-1", 1, 5, 0), 0)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(again, EnqueueOutcome::Duplicate(first));
    assert!(matches!(other_partner, EnqueueOutcome::Enqueued(id) if id != first));
    t.cleanup().await;
}

async fn two_enqueues_of_the_same_key_at_once_make_one_message(t: TestDb) {
    // Two requests of the state system carry the same idempotency key; the second arrives
    // while the first one's transaction is still open.
    let mut first = t.db.begin().await.unwrap();
    let enqueued = outbox::enqueue(&mut first, &test_message(P, "case-1", 1, 5, 0), 0)
        .await
        .unwrap();
    let db = t.db.clone();
    let second = tokio::spawn(async move {
        let mut tx = db.begin().await.unwrap();
        let outcome = outbox::enqueue(&mut tx, &test_message(P, "case-1", 1, 5, 0), 0)
            .await
            .unwrap();
        tx.commit().await.unwrap();
        outcome
    });
    // Give the second time to reach the database and wait there (SQLite's single writer,
    // PostgreSQL's lock on the new key); had it not yet, it is a plain duplicate.
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    first.commit().await.unwrap();
    let EnqueueOutcome::Enqueued(id) = enqueued else {
        panic!("the first enqueue found a message that did not exist: {enqueued:?}");
    };
    assert_eq!(second.await.unwrap(), EnqueueOutcome::Duplicate(id));
    let listed = store::list(&t.db, &ListFilter::default()).await.unwrap();
    assert_eq!(listed.len(), 1);
    t.cleanup().await;
}

async fn only_the_oldest_live_message_of_a_key_is_claimed(t: TestDb) {
    let first = enqueue(&t.db, "case-1", 1, 0).await;
    let second = enqueue(&t.db, "case-1", 2, 0).await;
    let claimed = store::claim(&t.db, P, "w1", 10, LEASE, 1).await.unwrap();
    assert_eq!(
        claimed.iter().map(|c| c.id).collect::<Vec<_>>(),
        vec![first]
    );
    assert_eq!(claimed[0].attempt, 1);
    // While the head is leased nothing else of the key may go.
    assert!(
        store::claim(&t.db, P, "w2", 10, LEASE, 2)
            .await
            .unwrap()
            .is_empty()
    );
    store::record(
        &t.db,
        &attempt(&claimed[0], "w1", "ok"),
        Decision::Delivered,
        3,
    )
    .await
    .unwrap();
    let next = store::claim(&t.db, P, "w2", 10, LEASE, 4).await.unwrap();
    assert_eq!(next.iter().map(|c| c.id).collect::<Vec<_>>(), vec![second]);
    t.cleanup().await;
}

async fn keys_are_claimed_in_parallel_and_partners_apart(t: TestDb) {
    for key in ["case-1", "case-2", "case-3"] {
        enqueue(&t.db, key, 1, 0).await;
        enqueue(&t.db, key, 2, 0).await;
    }
    let mut tx = t.db.begin().await.unwrap();
    outbox::enqueue(&mut tx, &test_message("partner-b", "case-1", 1, 5, 0), 0)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let claimed = store::claim(&t.db, P, "w1", 10, LEASE, 1).await.unwrap();
    let mut keys: Vec<_> = claimed.iter().map(|c| c.ordering_key.clone()).collect();
    keys.sort();
    assert_eq!(
        keys,
        vec!["case-1", "case-2", "case-3"],
        "one head per key, only partner-a"
    );
    assert!(claimed.iter().all(|c| c.partner == P));
    let limited = store::claim(&t.db, "partner-b", "w1", 1, LEASE, 1)
        .await
        .unwrap();
    assert_eq!(limited.len(), 1);
    t.cleanup().await;
}

async fn a_stale_lease_holder_cannot_record_a_result(t: TestDb) {
    let id = enqueue(&t.db, "case-1", 1, 0).await;
    let stale = store::claim(&t.db, P, "slow-worker", 1, LEASE, 100)
        .await
        .unwrap()
        .remove(0);
    // The slow worker's lease runs out; another instance takes the message over.
    let fresh = store::claim(&t.db, P, "fresh-worker", 1, LEASE, 100 + LEASE + 1)
        .await
        .unwrap()
        .remove(0);
    assert_eq!(fresh.id, id);
    assert_eq!(fresh.attempt, stale.attempt + 1);

    let refused = store::record(
        &t.db,
        &attempt(&stale, "slow-worker", "late"),
        Decision::Delivered,
        100 + LEASE + 2,
    )
    .await;
    assert!(
        matches!(refused, Err(FenceError::LeaseLost { .. })),
        "{refused:?}"
    );
    assert_eq!(
        state_of(&t.db, id).await,
        "running",
        "the stale result changed nothing"
    );

    store::record(
        &t.db,
        &attempt(&fresh, "fresh-worker", "ok"),
        Decision::Delivered,
        100 + LEASE + 3,
    )
    .await
    .unwrap();
    assert_eq!(state_of(&t.db, id).await, "delivered");
    t.cleanup().await;
}

async fn results_recorded_together_are_each_fenced_on_their_own_lease(t: TestDb) {
    let delivered = enqueue(&t.db, "case-1", 1, 0).await;
    let taken_over = enqueue(&t.db, "case-2", 1, 0).await;
    let retried = enqueue(&t.db, "case-3", 1, 0).await;
    let rejected = enqueue(&t.db, "case-4", 1, 0).await;
    let held = store::claim(&t.db, P, "w1", 10, LEASE, 100).await.unwrap();
    assert_eq!(held.len(), 4);
    let of = |id: i64| held.iter().find(|c| c.id == id).unwrap().clone();
    // w1's leases run out and w2 takes every message over before w1 records.
    let fresh = store::claim(&t.db, P, "w2", 10, LEASE, 100 + LEASE + 1)
        .await
        .unwrap();
    assert_eq!(fresh.len(), 4, "every expired lease is claimed again");
    let late = 100 + LEASE + 2;
    // In one transaction: w2's results for three messages, and w1's stale one for case-2.
    let fresh_of = |id: i64| fresh.iter().find(|c| c.id == id).unwrap().clone();
    let results = [
        (fresh_of(delivered), Decision::Delivered),
        (of(taken_over), Decision::Delivered),
        (fresh_of(retried), Decision::RetryAt(late + 500)),
        (fresh_of(rejected), Decision::DeadRejected),
    ];
    let records: Vec<(AttemptRecord<'_>, Decision)> = results
        .iter()
        .map(|(c, d)| (attempt(c, "w", "batch"), *d))
        .collect();
    let recorded = store::record_many(&t.db, &records, late).await.unwrap();
    assert_eq!(recorded, vec![true, false, true, true]);
    assert_eq!(state_of(&t.db, delivered).await, "delivered");
    assert_eq!(
        state_of(&t.db, taken_over).await,
        "running",
        "the stale result changed nothing"
    );
    assert_eq!(state_of(&t.db, retried).await, "retry");
    assert_eq!(state_of(&t.db, rejected).await, "dead");
    let history = store::show(&t.db, delivered)
        .await
        .unwrap()
        .unwrap()
        .attempts;
    let outcomes: Vec<&str> = history.iter().map(|a| a.outcome.as_str()).collect();
    assert_eq!(outcomes, vec!["lease_expired", "delivered"]);
    let stale_history = store::show(&t.db, taken_over)
        .await
        .unwrap()
        .unwrap()
        .attempts;
    assert!(
        stale_history.iter().all(|a| a.outcome != "delivered"),
        "no attempt row for a result whose lease was lost: {stale_history:?}"
    );
    t.cleanup().await;
}

async fn an_expired_lease_is_reclaimed_and_its_lost_attempt_recorded(t: TestDb) {
    let id = enqueue(&t.db, "case-1", 1, 0).await;
    store::claim(&t.db, P, "crashed", 1, LEASE, 0)
        .await
        .unwrap();
    assert!(
        store::claim(&t.db, P, "other", 1, LEASE, LEASE - 1)
            .await
            .unwrap()
            .is_empty(),
        "lease still valid"
    );
    let again = store::claim(&t.db, P, "other", 1, LEASE, LEASE + 1)
        .await
        .unwrap();
    assert_eq!(again.len(), 1);
    assert_eq!(again[0].attempt, 2);
    let detail = store::show(&t.db, id).await.unwrap().unwrap();
    assert_eq!(detail.attempts.len(), 1);
    assert_eq!(detail.attempts[0].outcome, "lease_expired");
    assert_eq!(detail.attempts[0].worker, "crashed");
    t.cleanup().await;
}

async fn a_retry_waits_for_its_time(t: TestDb) {
    let id = enqueue(&t.db, "case-1", 1, 0).await;
    let claimed = store::claim(&t.db, P, "w", 1, LEASE, 0)
        .await
        .unwrap()
        .remove(0);
    let record = AttemptRecord {
        status: Some(503),
        ..attempt(&claimed, "w", "503 from partner")
    };
    store::record(&t.db, &record, Decision::RetryAt(5_000), 10)
        .await
        .unwrap();
    assert_eq!(state_of(&t.db, id).await, "retry");
    assert!(
        store::claim(&t.db, P, "w", 1, LEASE, 4_999)
            .await
            .unwrap()
            .is_empty()
    );
    let due = store::claim(&t.db, P, "w", 1, LEASE, 5_000).await.unwrap();
    assert_eq!(due[0].id, id);
    assert_eq!(due[0].attempt, 2);
    let detail = store::show(&t.db, id).await.unwrap().unwrap();
    assert_eq!(detail.attempts[0].status, Some(503));
    assert_eq!(
        detail.summary.last_error.as_deref(),
        Some("503 from partner")
    );
    t.cleanup().await;
}

async fn a_dead_message_stops_blocking_its_key_and_redeliver_brings_it_back(t: TestDb) {
    let first = enqueue(&t.db, "case-1", 1, 0).await;
    let second = enqueue(&t.db, "case-1", 2, 0).await;
    let claimed = store::claim(&t.db, P, "w", 1, LEASE, 0)
        .await
        .unwrap()
        .remove(0);
    store::record(
        &t.db,
        &attempt(&claimed, "w", "422 rejected"),
        Decision::DeadRejected,
        1,
    )
    .await
    .unwrap();
    assert_eq!(state_of(&t.db, first).await, "dead");
    let dead = store::list(
        &t.db,
        &ListFilter {
            state: Some(MessageState::Dead),
            ..ListFilter::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(dead.iter().map(|m| m.id).collect::<Vec<_>>(), vec![first]);
    let next = store::claim(&t.db, P, "w", 1, LEASE, 2)
        .await
        .unwrap()
        .remove(0);
    assert_eq!(next.id, second, "a dead head does not stall its key");
    store::record(&t.db, &attempt(&next, "w", "ok"), Decision::Delivered, 3)
        .await
        .unwrap();

    operator::redeliver(
        &t.db,
        first,
        "partner fixed its schema",
        "operator:test",
        &|_| 5,
        4,
    )
    .await
    .unwrap();
    let back = store::claim(&t.db, P, "w", 1, LEASE, 5)
        .await
        .unwrap()
        .remove(0);
    assert_eq!(back.id, first);
    assert_eq!(
        back.payload,
        test_message(P, "case-1", 1, 5, 0).payload,
        "the same bytes"
    );
    let entries = audit::recent(&t.db, 10).await.unwrap();
    assert_eq!(entries[0].action, "outbox.redeliver");
    assert_eq!(entries[0].subject, format!("message:{first}"));
    assert_eq!(
        entries[0].reason.as_deref(),
        Some("partner fixed its schema")
    );
    t.cleanup().await;
}

async fn redeliver_and_replay_need_a_reason_and_a_final_message(t: TestDb) {
    let id = enqueue(&t.db, "case-1", 1, 0).await;
    let no_reason = operator::redeliver(&t.db, id, "  ", "operator:test", &|_| 5, 1).await;
    assert!(matches!(no_reason, Err(OperatorError::ReasonRequired)));
    let live = operator::redeliver(&t.db, id, "why not", "operator:test", &|_| 5, 1).await;
    assert!(
        matches!(live, Err(OperatorError::StillLive { .. })),
        "{live:?}"
    );
    let replay_live = operator::replay(
        &t.db,
        &Renderers::builtin(),
        id,
        "why not",
        "operator:test",
        &|_| 5,
        1,
    )
    .await;
    assert!(matches!(replay_live, Err(OperatorError::StillLive { .. })));
    let missing = operator::redeliver(&t.db, 999_999, "reason", "operator:test", &|_| 5, 1).await;
    assert!(matches!(missing, Err(OperatorError::NotFound(_))));
    assert!(
        audit::recent(&t.db, 10).await.unwrap().is_empty(),
        "refused actions leave no audit entry"
    );
    t.cleanup().await;
}

const CASE: &str = include_str!("../schemas/samples/case-protected.json");

async fn replay_rebuilds_from_the_current_case_as_a_new_message(t: TestDb) {
    use ivd_gateway::outbox::render::{RenderRequest, Renderer};
    let case: ivd_model::Case = serde_json::from_str(CASE).unwrap();
    let case_id = case.id.as_str().to_string();
    let mut tx = t.db.begin().await.unwrap();
    cases::put(&mut tx, &case_id, &serde_json::to_string(&case).unwrap(), 0)
        .await
        .unwrap();
    let request = RenderRequest {
        partner: P,
        cause_kind: "case",
        cause_id: &case_id,
        replay: 0,
        max_attempts: 5,
        now: 0,
    };
    let message = ivd_gateway::outbox::render::CaseJson
        .render(&mut tx, &request)
        .await
        .unwrap()
        .message;
    let id = outbox::enqueue(&mut tx, &message, 0).await.unwrap().id();
    tx.commit().await.unwrap();
    // The family-violence redaction happened in the renderer.
    let sent: ivd_model::Case = serde_json::from_slice(&message.payload).unwrap();
    assert!(sent.nondisclosure_finding);
    assert_eq!(sent, case.redacted_for_disclosure());

    let claimed = store::claim(&t.db, P, "w", 1, LEASE, 1)
        .await
        .unwrap()
        .remove(0);
    store::record(
        &t.db,
        &attempt(&claimed, "w", "gone"),
        Decision::DeadRejected,
        2,
    )
    .await
    .unwrap();

    let replayed = operator::replay(
        &t.db,
        &Renderers::builtin(),
        id,
        "partner lost it",
        "cli:tester",
        &|_| 5,
        3,
    )
    .await
    .unwrap();
    assert_ne!(replayed.replacement, id);
    let new = store::show(&t.db, replayed.replacement)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(new.summary.replay_of, Some(id));
    assert_eq!(new.summary.idempotency_key, format!("case-{case_id}-v1-r1"));
    assert_eq!(new.summary.state, "pending");
    let entries = audit::recent(&t.db, 1).await.unwrap();
    assert_eq!(entries[0].action, "outbox.replay");
    assert!(matches!(
        audit::verify(&t.db).await.unwrap(),
        Verification::Intact { entries: 1, .. }
    ));
    t.cleanup().await;
}

async fn a_released_lease_is_due_at_once(t: TestDb) {
    let id = enqueue(&t.db, "case-1", 1, 0).await;
    let claimed = store::claim(&t.db, P, "w", 1, LEASE, 0)
        .await
        .unwrap()
        .remove(0);
    store::release(&t.db, &attempt(&claimed, "w", "shutdown"), 5)
        .await
        .unwrap();
    let again = store::claim(&t.db, P, "w2", 1, LEASE, 5).await.unwrap();
    assert_eq!(again[0].id, id);
    assert_eq!(again[0].attempt, 2, "attempt numbers are never reused");
    let twice = store::release(&t.db, &attempt(&claimed, "w", "again"), 6).await;
    assert!(matches!(twice, Err(FenceError::LeaseLost { .. })));
    t.cleanup().await;
}

async fn delivered_messages_past_retention_are_purged_with_their_attempts(t: TestDb) {
    let old = enqueue(&t.db, "case-1", 1, 0).await;
    let recent = enqueue(&t.db, "case-2", 1, 0).await;
    let pending = enqueue(&t.db, "case-3", 1, 0).await;
    for (id, at) in [(old, 1_000), (recent, 50_000)] {
        let claimed = store::claim(&t.db, P, "w", 10, LEASE, at).await.unwrap();
        let c = claimed.iter().find(|c| c.id == id).unwrap();
        store::record(&t.db, &attempt(c, "w", "ok"), Decision::Delivered, at)
            .await
            .unwrap();
        for other in claimed.iter().filter(|c| c.id != id) {
            store::release(&t.db, &attempt(other, "w", "not now"), at)
                .await
                .unwrap();
        }
    }
    let purged = store::purge_delivered(&t.db, 10_000, 1).await.unwrap();
    assert_eq!(purged, 1);
    assert!(store::show(&t.db, old).await.unwrap().is_none());
    assert!(store::show(&t.db, recent).await.unwrap().is_some());
    assert!(
        store::show(&t.db, pending).await.unwrap().is_some(),
        "live messages are never purged"
    );
    t.cleanup().await;
}

async fn the_audit_chain_verifies_and_a_changed_row_breaks_it(t: TestDb) {
    assert!(matches!(
        audit::verify(&t.db).await.unwrap(),
        Verification::Intact { entries: 0, .. }
    ));
    for n in 0..5 {
        let mut tx = t.db.begin().await.unwrap();
        audit::append(
            &mut tx,
            &NewEntry {
                actor: "operator:ana",
                action: "outbox.redeliver",
                subject: &format!("message:{n}"),
                reason: Some("test"),
                details: serde_json::json!({ "n": n }),
            },
            n,
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
    }
    assert!(matches!(
        audit::verify(&t.db).await.unwrap(),
        Verification::Intact { entries: 5, .. }
    ));
    ivd_gateway::on_db!(&t.db, c => {
        sqlx::query("UPDATE audit_log SET subject = 'message:99' WHERE seq = 3").execute(c).await.unwrap().rows_affected()
    });
    match audit::verify(&t.db).await.unwrap() {
        Verification::Broken { seq, verified, .. } => {
            assert_eq!(seq, 3);
            assert_eq!(verified, 2);
        }
        other => panic!("expected a broken chain, got {other:?}"),
    }
    t.cleanup().await;
}

async fn raw_bytes_are_stored_first_and_duplicates_linked(t: TestDb) {
    let body = b"\x00\x01 not even text \xff";
    let inbound = Inbound {
        partner: "state-27",
        channel: "messages",
        message_id: Some("MSG-1"),
        content_type: "application/octet-stream",
        body,
    };
    let first = intake::receive(&t.db, &inbound, 10).await.unwrap();
    let Received::New { receipt_id } = &first else {
        panic!("first copy is new: {first:?}")
    };
    let again = intake::receive(&t.db, &inbound, 11).await.unwrap();
    assert_eq!(
        again,
        Received::Duplicate {
            receipt_id: receipt_id.clone()
        }
    );
    let other_partner = intake::receive(
        &t.db,
        &Inbound {
            partner: "state-06",
            ..inbound.clone()
        },
        12,
    )
    .await
    .unwrap();
    assert!(
        matches!(other_partner, Received::New { .. }),
        "message ids are per partner"
    );

    let stored: (Vec<u8>, String) = ivd_gateway::on_read!(&t.db, c => {
        sqlx::query_as("SELECT body, state FROM inbound_receipts WHERE receipt_id = $1").bind(receipt_id).fetch_one(c).await.unwrap()
    });
    assert!(
        ivd_gateway::store::sealing::is_sealed(&stored.0),
        "sealed at rest"
    );
    let here = ivd_gateway::store::sealing::place::receipt(receipt_id);
    assert_eq!(
        t.db.sealer().open_bytes(stored.0, &here).unwrap(),
        body,
        "byte for byte"
    );
    assert_eq!(stored.1, "stored", "not yet processed");
    let (duplicates,): (i64,) = ivd_gateway::on_read!(&t.db, c => {
        sqlx::query_as("SELECT duplicates FROM inbound_dedup WHERE partner = 'state-27' AND message_id = 'MSG-1'").fetch_one(c).await.unwrap()
    });
    assert_eq!(duplicates, 1);
    t.cleanup().await;
}

async fn a_receipt_left_unprocessed_by_a_crash_is_resumed_once(t: TestDb) {
    let inbound = Inbound {
        partner: "state-27",
        channel: "messages",
        message_id: Some("MSG-7"),
        content_type: "text/plain",
        body: b"hello",
    };
    let received = intake::receive(&t.db, &inbound, 10).await.unwrap();
    // The process "crashed" here: stored but never processed.
    assert_eq!(intake::resume(&t.db, &RecordArrival, 20).await.unwrap(), 1);
    assert_eq!(
        intake::resume(&t.db, &RecordArrival, 30).await.unwrap(),
        0,
        "processed once only"
    );
    assert!(
        !intake::process(&t.db, &RecordArrival, received.receipt_id(), 40)
            .await
            .unwrap()
    );
    let feed = events::list_after(&t.db, 0, 10).await.unwrap();
    assert_eq!(feed.len(), 1);
    assert_eq!(feed[0].kind, "inbound.received");
    assert_eq!(feed[0].receipt_id.as_deref(), Some(received.receipt_id()));
    assert_eq!(feed[0].payload_json()["sizeBytes"], 5);
    t.cleanup().await;
}

async fn the_event_feed_pages_in_stable_order(t: TestDb) {
    for n in 0..25 {
        let mut tx = t.db.begin().await.unwrap();
        events::append(
            &mut tx,
            &events::NewEvent {
                kind: "test.event",
                partner: None,
                case_id: None,
                receipt_id: None,
                payload: serde_json::json!({ "n": n }),
            },
            n,
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
    }
    let mut cursor = 0;
    let mut seen = Vec::new();
    loop {
        let page = events::list_after(&t.db, cursor, 10).await.unwrap();
        if page.is_empty() {
            break;
        }
        cursor = page.last().unwrap().id;
        seen.extend(page.iter().map(|e| e.payload_json()["n"].as_i64().unwrap()));
    }
    assert_eq!(seen, (0..25).collect::<Vec<_>>());
    let again = events::list_after(&t.db, 0, 10).await.unwrap();
    assert_eq!(
        again
            .iter()
            .map(|e| e.payload_json()["n"].as_i64().unwrap())
            .collect::<Vec<_>>(),
        (0..10).collect::<Vec<_>>(),
        "re-reading gives the same events"
    );
    t.cleanup().await;
}

async fn a_case_snapshot_gets_a_new_version_only_when_it_changes(t: TestDb) {
    let mut tx = t.db.begin().await.unwrap();
    assert_eq!(
        cases::put(&mut tx, "C1", "{\"a\":1}", 1).await.unwrap(),
        (1, true)
    );
    assert_eq!(
        cases::put(&mut tx, "C1", "{\"a\":1}", 2).await.unwrap(),
        (1, false)
    );
    assert_eq!(
        cases::put(&mut tx, "C1", "{\"a\":2}", 3).await.unwrap(),
        (2, true)
    );
    tx.commit().await.unwrap();
    let stored = cases::get(&t.db, "C1").await.unwrap().unwrap();
    assert_eq!(
        (stored.version, stored.snapshot.as_str(), stored.updated_at),
        (2, "{\"a\":2}", 3)
    );
    assert!(cases::get(&t.db, "C2").await.unwrap().is_none());
    t.cleanup().await;
}

async fn tokens_are_stored_hashed_and_can_be_revoked(t: TestDb) {
    let token = tokens::issue(&t.db, "case-system", Role::StateSystem, 1)
        .await
        .unwrap();
    let holder = tokens::authenticate(&t.db, &token)
        .await
        .unwrap()
        .expect("valid token");
    assert_eq!(
        (holder.name.as_str(), holder.role),
        ("case-system", Role::StateSystem)
    );
    assert!(
        tokens::authenticate(&t.db, "ivd_wrong")
            .await
            .unwrap()
            .is_none()
    );
    let (stored,): (String,) = ivd_gateway::on_read!(&t.db, c => {
        sqlx::query_as("SELECT token_hash FROM api_tokens").fetch_one(c).await.unwrap()
    });
    assert!(
        !stored.contains(&token[4..]),
        "the clear token is never stored"
    );
    assert_eq!(
        tokens::revoke(&t.db, "case-system", "test", 2)
            .await
            .unwrap(),
        1
    );
    assert!(tokens::authenticate(&t.db, &token).await.unwrap().is_none());
    t.cleanup().await;
}

async fn readiness_reports_applied_migrations(t: TestDb) {
    assert!(t.db.is_ready().await.unwrap());
    t.cleanup().await;
}

async fn an_acknowledgment_we_are_owed_is_overdue_until_it_arrives(t: TestDb) {
    use ivd_gateway::reconcile::deadlines::{self, Expectation};
    let message = enqueue(&t.db, "case-1", 1, 0).await;
    let mut tx = t.db.begin().await.unwrap();
    let owed = Expectation {
        partner: "state-27",
        message_id: Some(message),
        reference: "000000000042",
        kind: "csenet.acknowledgment",
        due_at: 1_000,
        case_id: Some("MN-1"),
    };
    deadlines::expect(&mut tx, &owed, 0).await.unwrap();
    // The same message redelivered does not move the deadline.
    deadlines::expect(
        &mut tx,
        &Expectation {
            due_at: 9_000,
            ..owed.clone()
        },
        500,
    )
    .await
    .unwrap();
    deadlines::expect(
        &mut tx,
        &Expectation {
            reference: "000000000043",
            due_at: 5_000,
            ..owed.clone()
        },
        0,
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();

    assert!(
        deadlines::overdue(&t.db, 1_000).await.unwrap().is_empty(),
        "not overdue at its due time"
    );
    let late = deadlines::overdue(&t.db, 1_001).await.unwrap();
    assert_eq!(
        late.iter()
            .map(|d| d.reference.as_str())
            .collect::<Vec<_>>(),
        vec!["000000000042"]
    );
    assert_eq!(late[0].due_at, 1_000);
    assert_eq!(late[0].message_id, Some(message));

    let mut tx = t.db.begin().await.unwrap();
    assert!(
        deadlines::satisfy(
            &mut tx,
            "state-27",
            "000000000042",
            "csenet.acknowledgment",
            "R-receipt",
            2_000
        )
        .await
        .unwrap()
    );
    assert!(
        !deadlines::satisfy(
            &mut tx,
            "state-27",
            "000000000042",
            "csenet.acknowledgment",
            "R-again",
            2_001
        )
        .await
        .unwrap(),
        "answered once"
    );
    assert!(
        !deadlines::satisfy(
            &mut tx,
            "state-06",
            "000000000043",
            "csenet.acknowledgment",
            "R-other",
            2_002
        )
        .await
        .unwrap(),
        "another partner cannot answer for it"
    );
    tx.commit().await.unwrap();
    let late = deadlines::overdue(&t.db, 6_000).await.unwrap();
    assert_eq!(
        late.iter()
            .map(|d| d.reference.as_str())
            .collect::<Vec<_>>(),
        vec!["000000000043"]
    );
    let answered = deadlines::for_reference(&t.db, "000000000042")
        .await
        .unwrap();
    assert_eq!(answered[0].satisfied_by.as_deref(), Some("R-receipt"));
    t.cleanup().await;
}
