-- Each (partner, ordering key) with live messages has exactly one head: its oldest live
-- message, marked head = 1 (every other message, and every finished one, has 0). Claims
-- read only due heads, from outbox_due_heads, so a claim touches about as many rows as it
-- leases, whatever the planner's statistics say and however many messages wait behind
-- their heads. Before, a claim walked every due message of the partner and checked for
-- each that no older live message of its key existed (an anti-join the planner, with the
-- statistics a bulk load leaves, ran as a filter over all live messages: 63 ms a claim at
-- 14,000 live). The head moves on when it finishes (delivered or dead) and goes back to a
-- redelivered older message (src/outbox/store.rs, settle_heads). Keep in step with
-- ../postgres/0021_outbox_key_heads.sql.
ALTER TABLE outbox_messages ADD COLUMN head INTEGER NOT NULL DEFAULT 0;
UPDATE outbox_messages SET head = 1 WHERE id IN (
    SELECT MIN(id) FROM outbox_messages WHERE state IN ('pending', 'running', 'retry')
    GROUP BY partner, ordering_key);
-- At most one head a key: a second one would let two messages of a case go at once.
CREATE UNIQUE INDEX outbox_head_of_key ON outbox_messages (partner, ordering_key)
    WHERE head = 1;
-- What a claim reads: a partner's due heads in due order (run_at, then id).
CREATE INDEX outbox_due_heads ON outbox_messages (partner, run_at, id)
    WHERE head = 1 AND state IN ('pending', 'retry');
-- What reaping reads: the partner's leased messages by expiry (as many as are in flight).
CREATE INDEX outbox_leases ON outbox_messages (partner, lease_expires_at)
    WHERE state = 'running';
-- Claims and reaping no longer read every live message of a partner; one index fewer to
-- write at every enqueue, claim and result.
DROP INDEX outbox_live_by_partner;
