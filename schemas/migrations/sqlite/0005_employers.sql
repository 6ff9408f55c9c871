-- Employers: new-hire reports, NDNH forwarding, matching and income withholding orders.
-- Keep in step with ../postgres/0005_employers.sql.

-- The FEINs an employer (or payroll agent) token may report for.
CREATE TABLE token_feins (
    token_id  INTEGER NOT NULL REFERENCES api_tokens(id) ON DELETE CASCADE,
    fein      TEXT NOT NULL,
    PRIMARY KEY (token_id, fein)
);

-- Large uploads keep their raw bytes in a spool file (fsynced before the receipt row is
-- committed) instead of the body column.
ALTER TABLE inbound_receipts ADD COLUMN spool_path TEXT;

-- One uploaded new-hire file: its format and running totals. `records_done` is the
-- checkpoint a resumed run continues from.
CREATE TABLE new_hire_receipts (
    receipt_id    TEXT PRIMARY KEY REFERENCES inbound_receipts(receipt_id),
    submitter     TEXT NOT NULL,
    scope         TEXT NOT NULL,
    format        TEXT NOT NULL,
    records_done  INTEGER NOT NULL DEFAULT 0,
    accepted      INTEGER NOT NULL DEFAULT 0,
    invalid       INTEGER NOT NULL DEFAULT 0,
    duplicate     INTEGER NOT NULL DEFAULT 0,
    refused       INTEGER NOT NULL DEFAULT 0,
    matched       INTEGER NOT NULL DEFAULT 0,
    state         TEXT NOT NULL CONSTRAINT new_hire_receipt_state_valid
                  CHECK (state IN ('processing', 'complete')),
    received_at   INTEGER NOT NULL,
    completed_at  INTEGER
);

-- One record of an uploaded file and what became of it. `w4` is the NDNH detail record of
-- an accepted report; `ssn_hash` the keyed hash used for duplicates and matching.
CREATE TABLE new_hire_records (
    receipt_id    TEXT NOT NULL REFERENCES new_hire_receipts(receipt_id),
    record_no     INTEGER NOT NULL,
    status        TEXT NOT NULL CONSTRAINT new_hire_status_valid
                  CHECK (status IN ('accepted', 'invalid', 'duplicate', 'refused')),
    problems      TEXT,
    fein          TEXT,
    ssn_hash      TEXT,
    hire_date     TEXT,
    duplicate_of  TEXT,
    w4            BLOB,
    ndnh_batch    INTEGER,
    ndnh_status   TEXT,
    ndnh_codes    TEXT,
    matched_case  TEXT,
    PRIMARY KEY (receipt_id, record_no)
);
CREATE INDEX new_hire_by_person ON new_hire_records (ssn_hash, fein) WHERE status = 'accepted';
CREATE INDEX new_hire_unforwarded ON new_hire_records (receipt_id, record_no)
    WHERE status = 'accepted' AND ndnh_batch IS NULL;
CREATE INDEX new_hire_by_batch ON new_hire_records (ndnh_batch) WHERE ndnh_batch IS NOT NULL;

-- SDNH -> NDNH transmissions and what NDNH answered.
CREATE TABLE ndnh_batches (
    batch_number   INTEGER PRIMARY KEY,
    record_count   INTEGER NOT NULL,
    message_id     INTEGER,
    created_at     INTEGER NOT NULL,
    returned_at    INTEGER,
    return_receipt TEXT,
    received       INTEGER,
    rejected       INTEGER,
    posted         INTEGER,
    unverified     INTEGER,
    batch_codes    TEXT
);

-- Keyed hashes of the SSNs of every case participant, by role: how a new hire finds its
-- noncustodial parent without the SSN ever being a lookup key in clear.
CREATE TABLE case_people (
    case_id   TEXT NOT NULL,
    role      TEXT NOT NULL,
    ssn_hash  TEXT NOT NULL,
    PRIMARY KEY (case_id, role, ssn_hash)
);
CREATE INDEX case_people_by_ssn ON case_people (ssn_hash);

-- Income withholding orders sent to employers, and the employers' answers.
CREATE TABLE withholding_orders (
    tracking_number  TEXT PRIMARY KEY,
    case_id          TEXT NOT NULL,
    employer_fein    TEXT NOT NULL,
    partner          TEXT NOT NULL,
    action           TEXT NOT NULL,
    file_control     TEXT NOT NULL,
    message_id       INTEGER,
    new_hire         TEXT,
    created_at       INTEGER NOT NULL,
    ack_due_at       INTEGER NOT NULL,
    status           TEXT NOT NULL CONSTRAINT withholding_status_valid
                     CHECK (status IN ('sent', 'accepted', 'rejected')),
    disposition      TEXT,
    reason           TEXT,
    acked_at         INTEGER,
    ack_receipt      TEXT
);
CREATE INDEX withholding_by_case ON withholding_orders (case_id);
