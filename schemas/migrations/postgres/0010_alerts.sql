-- Alerts: one row per condition operators must hear of (a partner down, a dead letter,
-- an overdue acknowledgment, a reconciliation with discrepancies). The row is the memory
-- that makes alerts fire on state changes only, once across every gateway instance.
CREATE TABLE alerts (
    key            TEXT PRIMARY KEY,
    kind           TEXT NOT NULL,
    partner        TEXT,
    summary        TEXT NOT NULL,
    state          TEXT NOT NULL CHECK (state IN ('firing', 'resolved')),
    changes        BIGINT NOT NULL,
    first_fired_at BIGINT NOT NULL,
    changed_at     BIGINT NOT NULL
);
CREATE INDEX alerts_by_state ON alerts (state, changed_at);
