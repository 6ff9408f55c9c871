-- A claim rewrites the row it leases, and on PostgreSQL the new row version goes into
-- every index whose condition it meets (a change to a column an index or its condition
-- names forbids a heap-only update). outbox_live_by_key held every live message, the key's
-- head included, so every claim and every settled head wrote an entry into it, for the
-- one statement that reads it: settling a key that has no head, which then needs its
-- oldest live message. A key without a head has only messages with head = 0, so this
-- narrower index answers the same question, and the head, the message that is claimed,
-- leased and settled, is not in it: one index entry fewer per claim and per settled head
-- (src/outbox/mod.rs, "Claims cost what they lease"). A running message with head = 0
-- (a head that gave its place to a redelivered older message while in flight) stays in
-- it, so it takes the head back before anything younger. Keep in step with
-- ../sqlite/0022_outbox_waiting_by_key.sql.
CREATE INDEX outbox_waiting_by_key ON outbox_messages (partner, ordering_key, id)
    WHERE head = 0 AND state IN ('pending', 'running', 'retry');
DROP INDEX outbox_live_by_key;
