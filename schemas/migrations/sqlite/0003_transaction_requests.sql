-- Outbound transactions the state system asked for (the cause a replay rebuilds from),
-- and the counters that hand out format serial numbers (never reused).
-- Keep in step with ../postgres/0003_transaction_requests.sql.
CREATE TABLE transaction_requests (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    case_id     TEXT NOT NULL,
    partner     TEXT NOT NULL,
    format      TEXT NOT NULL,
    parameters  TEXT NOT NULL,
    created_at  INTEGER NOT NULL
);
CREATE INDEX transaction_requests_case ON transaction_requests (case_id, id);

CREATE TABLE serial_counters (
    name        TEXT PRIMARY KEY,
    last_value  INTEGER NOT NULL
);
