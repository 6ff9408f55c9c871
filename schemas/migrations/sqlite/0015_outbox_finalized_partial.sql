-- Finished messages (delivered or dead) by state and time: what the retention purge, the
-- dead-letter report and the operators' lists look for. Over every message, this index
-- was rewritten by every enqueue, claim and result, though only the last of them makes a
-- message finished; partial, only the result writes it. A query that should use it states
-- the index's condition word for word (SQLite uses a partial index only then). Keep in
-- step with ../postgres/0015_outbox_finalized_partial.sql.
DROP INDEX outbox_finalized;
CREATE INDEX outbox_finalized ON outbox_messages (state, finalized_at)
    WHERE state IN ('delivered', 'dead');
