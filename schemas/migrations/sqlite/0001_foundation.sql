-- Foundation schema (SQLite). Times are integer milliseconds since the Unix epoch, so the
-- same Rust code reads both backends. Keep in step with ../postgres/0001_foundation.sql.

CREATE TABLE cases (
    case_id     TEXT PRIMARY KEY,
    version     INTEGER NOT NULL,
    snapshot    TEXT NOT NULL,
    updated_at  INTEGER NOT NULL
);

-- The durable feed of inbound events for the state system. `id` is the cursor.
CREATE TABLE events (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    kind        TEXT NOT NULL,
    partner     TEXT,
    case_id     TEXT,
    receipt_id  TEXT,
    payload     TEXT NOT NULL,
    created_at  INTEGER NOT NULL
);

CREATE TABLE outbox_messages (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    partner          TEXT NOT NULL,
    ordering_key     TEXT NOT NULL,
    idempotency_key  TEXT NOT NULL,
    kind             TEXT NOT NULL,
    content_type     TEXT NOT NULL,
    file_name        TEXT NOT NULL,
    payload          BLOB NOT NULL,
    cause_kind       TEXT NOT NULL,
    cause_id         TEXT NOT NULL,
    replay_of        INTEGER REFERENCES outbox_messages(id) ON DELETE SET NULL,
    state            TEXT NOT NULL CONSTRAINT outbox_state_valid
                     CHECK (state IN ('pending', 'running', 'retry', 'delivered', 'dead')),
    attempt          INTEGER NOT NULL DEFAULT 0,
    max_attempts     INTEGER NOT NULL,
    run_at           INTEGER NOT NULL,
    lease_owner      TEXT,
    leased_at        INTEGER,
    lease_expires_at INTEGER,
    last_error       TEXT,
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL,
    finalized_at     INTEGER,
    CONSTRAINT outbox_idempotency_unique UNIQUE (partner, idempotency_key)
);
-- Claims look for the head of each (partner, ordering key) among live messages.
CREATE INDEX outbox_live_by_key ON outbox_messages (partner, ordering_key, id)
    WHERE state IN ('pending', 'running', 'retry');
CREATE INDEX outbox_live_by_partner ON outbox_messages (partner, id)
    WHERE state IN ('pending', 'running', 'retry');
CREATE INDEX outbox_finalized ON outbox_messages (state, finalized_at);

CREATE TABLE outbox_attempts (
    message_id   INTEGER NOT NULL REFERENCES outbox_messages(id) ON DELETE CASCADE,
    attempt      INTEGER NOT NULL,
    worker       TEXT NOT NULL,
    started_at   INTEGER NOT NULL,
    finished_at  INTEGER NOT NULL,
    outcome      TEXT NOT NULL CONSTRAINT attempt_outcome_valid
                 CHECK (outcome IN ('delivered', 'retry', 'rejected', 'lease_expired', 'released')),
    status       INTEGER,
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
    body          BLOB NOT NULL,
    size_bytes    INTEGER NOT NULL,
    sha256        TEXT NOT NULL,
    state         TEXT NOT NULL CONSTRAINT receipt_state_valid
                  CHECK (state IN ('stored', 'processed', 'failed')),
    received_at   INTEGER NOT NULL,
    processed_at  INTEGER,
    outcome       TEXT
);
CREATE INDEX inbound_receipts_state ON inbound_receipts (state, received_at);

CREATE TABLE inbound_dedup (
    partner        TEXT NOT NULL,
    message_id     TEXT NOT NULL,
    receipt_id     TEXT NOT NULL REFERENCES inbound_receipts(receipt_id),
    first_seen_at  INTEGER NOT NULL,
    last_seen_at   INTEGER NOT NULL,
    duplicates     INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (partner, message_id)
);

CREATE TABLE audit_log (
    seq        INTEGER PRIMARY KEY,
    at         INTEGER NOT NULL,
    actor      TEXT NOT NULL,
    action     TEXT NOT NULL,
    subject    TEXT NOT NULL,
    reason     TEXT,
    details    TEXT NOT NULL,
    prev_hash  TEXT NOT NULL,
    hash       TEXT NOT NULL
);

CREATE TABLE api_tokens (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    name        TEXT NOT NULL,
    role        TEXT NOT NULL CONSTRAINT token_role_valid
                CHECK (role IN ('state-system', 'operator', 'admin', 'fti-reader', 'employer')),
    token_hash  TEXT NOT NULL UNIQUE,
    created_at  INTEGER NOT NULL,
    revoked_at  INTEGER
);
