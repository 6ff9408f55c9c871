-- Message bytes live beside the message, not in it. SQLite rewrites a whole row, overflow
-- pages included, on every UPDATE: with the payload in `outbox_messages`, each claim, lease
-- and result rewrote an NDNH transmission's 8 MB. State changes now touch a small row.
-- `partner` and `idempotency_key` are repeated (they never change) because the sealed
-- payload's associated data is made of them and key rotation reads them with the value.
CREATE TABLE outbox_payloads (
    message_id      INTEGER PRIMARY KEY REFERENCES outbox_messages(id) ON DELETE CASCADE,
    partner         TEXT NOT NULL,
    idempotency_key TEXT NOT NULL,
    payload         BLOB NOT NULL
);
INSERT INTO outbox_payloads (message_id, partner, idempotency_key, payload)
    SELECT id, partner, idempotency_key, payload FROM outbox_messages;
ALTER TABLE outbox_messages DROP COLUMN payload;
