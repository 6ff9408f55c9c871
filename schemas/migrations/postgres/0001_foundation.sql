-- Foundation schema (PostgreSQL). Times are integer milliseconds since the Unix epoch, so the
-- same Rust code reads both backends. Keep in step with ../sqlite/0001_foundation.sql.

CREATE TABLE cases (
    case_id     TEXT PRIMARY KEY,
    version     BIGINT NOT NULL,
    snapshot    TEXT NOT NULL,
    updated_at  BIGINT NOT NULL
);

-- The durable feed of inbound events for the state system. `id` is the cursor.
CREATE TABLE events (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind        TEXT NOT NULL,
    partner     TEXT,
    case_id     TEXT,
    receipt_id  TEXT,
    payload     TEXT NOT NULL,
    created_at  BIGINT NOT NULL
);

CREATE TABLE outbox_messages (
    id               BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    partner          TEXT NOT NULL,
    ordering_key     TEXT NOT NULL,
    idempotency_key  TEXT NOT NULL,
    kind             TEXT NOT NULL,
    content_type     TEXT NOT NULL,
    file_name        TEXT NOT NULL,
    payload          BYTEA NOT NULL,
    cause_kind       TEXT NOT NULL,
    cause_id         TEXT NOT NULL,
    replay_of        BIGINT REFERENCES outbox_messages(id) ON DELETE SET NULL,
    state            TEXT NOT NULL CONSTRAINT outbox_state_valid
                     CHECK (state IN ('pending', 'running', 'retry', 'delivered', 'dead')),
    attempt          BIGINT NOT NULL DEFAULT 0,
    max_attempts     BIGINT NOT NULL,
    run_at           BIGINT NOT NULL,
    lease_owner      TEXT,
    leased_at        BIGINT,
    lease_expires_at BIGINT,
    last_error       TEXT,
    created_at       BIGINT NOT NULL,
    updated_at       BIGINT NOT NULL,
    finalized_at     BIGINT,
    CONSTRAINT outbox_idempotency_unique UNIQUE (partner, idempotency_key)
);
-- Claims look for the head of each (partner, ordering key) among live messages.
CREATE INDEX outbox_live_by_key ON outbox_messages (partner, ordering_key, id)
    WHERE state IN ('pending', 'running', 'retry');
CREATE INDEX outbox_live_by_partner ON outbox_messages (partner, id)
    WHERE state IN ('pending', 'running', 'retry');
CREATE INDEX outbox_finalized ON outbox_messages (state, finalized_at);

CREATE TABLE outbox_attempts (
    message_id   BIGINT NOT NULL REFERENCES outbox_messages(id) ON DELETE CASCADE,
    attempt      BIGINT NOT NULL,
    worker       TEXT NOT NULL,
    started_at   BIGINT NOT NULL,
    finished_at  BIGINT NOT NULL,
    outcome      TEXT NOT NULL CONSTRAINT attempt_outcome_valid
                 CHECK (outcome IN ('delivered', 'retry', 'rejected', 'lease_expired', 'released')),
    status       BIGINT,
    detail       TEXT NOT NULL,
    PRIMARY KEY (message_id, attempt)
);

-- Raw inbound bytes, stored before anything parses them.
CREATE TABLE inbound_receipts (
    receipt_id    TEXT PRIMARY KEY,
    partner       TEXT NOT NULL,
    channel       TEXT NOT NULL,
    message_id    TEXT,
    content_type  TEXT NOT NULL,
    body          BYTEA NOT NULL,
    size_bytes    BIGINT NOT NULL,
    sha256        TEXT NOT NULL,
    state         TEXT NOT NULL CONSTRAINT receipt_state_valid
                  CHECK (state IN ('stored', 'processed', 'failed')),
    received_at   BIGINT NOT NULL,
    processed_at  BIGINT,
    outcome       TEXT
);
CREATE INDEX inbound_receipts_state ON inbound_receipts (state, received_at);

CREATE TABLE inbound_dedup (
    partner        TEXT NOT NULL,
    message_id     TEXT NOT NULL,
    receipt_id     TEXT NOT NULL REFERENCES inbound_receipts(receipt_id),
    first_seen_at  BIGINT NOT NULL,
    last_seen_at   BIGINT NOT NULL,
    duplicates     BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (partner, message_id)
);

CREATE TABLE audit_log (
    seq        BIGINT PRIMARY KEY,
    at         BIGINT NOT NULL,
    actor      TEXT NOT NULL,
    action     TEXT NOT NULL,
    subject    TEXT NOT NULL,
    reason     TEXT,
    details    TEXT NOT NULL,
    prev_hash  TEXT NOT NULL,
    hash       TEXT NOT NULL
);

CREATE TABLE api_tokens (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name        TEXT NOT NULL,
    role        TEXT NOT NULL CONSTRAINT token_role_valid
                CHECK (role IN ('state-system', 'operator', 'admin', 'fti-reader', 'employer')),
    token_hash  TEXT NOT NULL UNIQUE,
    created_at  BIGINT NOT NULL,
    revoked_at  BIGINT
);
