-- Acknowledgments and responses partners owe us, with their due dates.
-- Keep in step with ../sqlite/0002_ack_deadlines.sql.
CREATE TABLE ack_deadlines (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    partner       TEXT NOT NULL,
    message_id    BIGINT REFERENCES outbox_messages(id) ON DELETE SET NULL,
    reference     TEXT NOT NULL,
    kind          TEXT NOT NULL,
    due_at        BIGINT NOT NULL,
    created_at    BIGINT NOT NULL,
    satisfied_at  BIGINT,
    satisfied_by  TEXT,
    CONSTRAINT ack_deadline_unique UNIQUE (partner, reference, kind)
);
CREATE INDEX ack_deadlines_open ON ack_deadlines (due_at) WHERE satisfied_at IS NULL;
