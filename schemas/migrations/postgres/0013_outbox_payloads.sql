-- Message bytes live beside the message, not in it (the same schema as SQLite, where a
-- row's UPDATE rewrites a large payload; PostgreSQL's TOAST would not, but one outbox
-- schema serves both backends). `partner` and `idempotency_key` are repeated (they never
-- change) because the sealed payload's associated data is made of them and key rotation
-- reads them with the value.
CREATE TABLE outbox_payloads (
    message_id      BIGINT PRIMARY KEY REFERENCES outbox_messages(id) ON DELETE CASCADE,
    partner         TEXT NOT NULL,
    idempotency_key TEXT NOT NULL,
    payload         BYTEA NOT NULL
);
INSERT INTO outbox_payloads (message_id, partner, idempotency_key, payload)
    SELECT id, partner, idempotency_key, payload FROM outbox_messages;
ALTER TABLE outbox_messages DROP COLUMN payload;
