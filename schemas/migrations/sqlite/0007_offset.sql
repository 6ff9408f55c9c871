-- Federal tax refund offset: what is certified, what was submitted, what OCSE returned.
-- Every value holding federal tax information is sealed (AES-256-GCM, see
-- src/privacy/sealed.rs); rows are found by the keyed SSN hash and the case type.
-- Keep in step with ../postgres/0007_offset.sql.

CREATE TABLE offset_certified (
    ssn_hash    TEXT NOT NULL,
    case_type   TEXT NOT NULL,
    case_id     TEXT NOT NULL,
    sealed      TEXT NOT NULL,
    updated_at  INTEGER NOT NULL,
    PRIMARY KEY (ssn_hash, case_type)
);

CREATE TABLE offset_cycles (
    cycle        INTEGER PRIMARY KEY,
    cause        TEXT NOT NULL,
    submissions  INTEGER NOT NULL,
    message_id   INTEGER,
    created_at   INTEGER NOT NULL
);

-- Each submission with the certified state it replaced (sealed together), so a reject
-- can put that state back.
CREATE TABLE offset_submissions (
    cycle             INTEGER NOT NULL,
    seq               INTEGER NOT NULL,
    ssn_hash          TEXT NOT NULL,
    case_type         TEXT NOT NULL,
    transaction_type  TEXT NOT NULL,
    sealed            TEXT NOT NULL,
    status            TEXT NOT NULL CONSTRAINT offset_submission_status_valid
                      CHECK (status IN ('sent', 'rejected', 'warning')),
    codes             TEXT,
    PRIMARY KEY (cycle, seq)
);
CREATE INDEX offset_submissions_by_key ON offset_submissions (ssn_hash, case_type, cycle);

CREATE TABLE offset_collections (
    collection_id  TEXT PRIMARY KEY,
    ssn_hash       TEXT NOT NULL,
    case_type      TEXT NOT NULL,
    case_id        TEXT NOT NULL,
    sealed         TEXT NOT NULL,
    received_at    INTEGER NOT NULL
);

CREATE TABLE offset_reconciliations (
    run          INTEGER PRIMARY KEY,
    receipt_id   TEXT NOT NULL,
    differences  INTEGER NOT NULL,
    sealed       TEXT NOT NULL,
    created_at   INTEGER NOT NULL
);
