-- Signed-in web sessions (the operator dashboard). The cookie carries a random session
-- id; only its SHA-256 is stored, so a copy of the database opens no session. Each session
-- has its own CSRF token, which every form posts back.
CREATE TABLE web_sessions (
    id_hash     TEXT PRIMARY KEY,
    holder      TEXT NOT NULL,
    role        TEXT NOT NULL,
    csrf        TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL
);
CREATE INDEX web_sessions_expiry ON web_sessions (expires_at);

-- Failed sign-ins by name, for the lock-out after repeated failures.
CREATE TABLE sign_in_failures (
    name  TEXT NOT NULL,
    at    BIGINT NOT NULL
);
CREATE INDEX sign_in_failures_by_name ON sign_in_failures (name, at);
