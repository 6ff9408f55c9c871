-- Financial Institution Data Match: inquiry runs, levy candidates, all-accounts files.
-- Keep in step with ../postgres/0006_fidm.sql.

-- Method 2 inquiry files sent, and how many match files answered each.
CREATE TABLE fidm_inquiries (
    run_number           INTEGER PRIMARY KEY,
    partner              TEXT NOT NULL,
    year_month           TEXT NOT NULL,
    inquiry_count        INTEGER NOT NULL,
    message_id           INTEGER,
    created_at           INTEGER NOT NULL,
    answers              INTEGER NOT NULL DEFAULT 0,
    last_answered_at     INTEGER,
    last_answer_receipt  TEXT
);
CREATE INDEX fidm_inquiries_by_month ON fidm_inquiries (year_month);

-- Every levy candidate reported, once: the account by keyed hash (never in clear), the
-- person by keyed SSN hash, per case.
CREATE TABLE fidm_matches (
    institution_tin  TEXT NOT NULL,
    account_hash     TEXT NOT NULL,
    ssn_hash         TEXT NOT NULL,
    year_month       TEXT NOT NULL,
    case_id          TEXT NOT NULL,
    source           TEXT NOT NULL CONSTRAINT fidm_match_source_valid
                     CHECK (source IN ('match-file', 'all-accounts')),
    receipt_id       TEXT NOT NULL,
    record_no        INTEGER NOT NULL,
    created_at       INTEGER NOT NULL,
    PRIMARY KEY (institution_tin, account_hash, ssn_hash, year_month, case_id)
);
CREATE INDEX fidm_matches_by_case ON fidm_matches (case_id);

-- Method 1 all-accounts files: running totals and the checkpoint (`records_done`) a
-- resumed run continues from; `problems` keeps the first invalid records (JSON, no
-- values).
CREATE TABLE fidm_account_files (
    receipt_id       TEXT PRIMARY KEY REFERENCES inbound_receipts(receipt_id),
    partner          TEXT NOT NULL,
    path             TEXT NOT NULL,
    records_done     INTEGER NOT NULL DEFAULT 0,
    accounts         INTEGER NOT NULL DEFAULT 0,
    invalid          INTEGER NOT NULL DEFAULT 0,
    candidates       INTEGER NOT NULL DEFAULT 0,
    problems         TEXT NOT NULL DEFAULT '[]',
    institution_tin  TEXT,
    year_month       TEXT,
    state            TEXT NOT NULL CONSTRAINT fidm_account_file_state_valid
                     CHECK (state IN ('processing', 'complete')),
    received_at      INTEGER NOT NULL,
    completed_at     INTEGER
);
