-- Reconciliation runs: one row a run of a job, scheduled or started by hand, with its
-- report. Keep in step with ../sqlite/0008_reconcile.sql.
--
-- One tick of one job runs once across every instance sharing the database: the
-- scheduler's INSERT of (job, scheduled_for) is the lock (UNIQUE below); manual runs have
-- no tick (NULL, and NULLs never collide). A running run's worker moves heartbeat_at; a
-- run whose heartbeat stopped is marked 'died' by whichever instance notices. A failed
-- or died run is retried at most once (UNIQUE retry_of); a failed retry can be retried.
CREATE TABLE reconcile_runs (
    id             BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    job            TEXT NOT NULL,
    triggered_by   TEXT NOT NULL CONSTRAINT reconcile_trigger_valid
                   CHECK (triggered_by IN ('scheduled', 'manual')),
    scheduled_for  BIGINT,
    status         TEXT NOT NULL CONSTRAINT reconcile_status_valid
                   CHECK (status IN ('running', 'succeeded', 'failed', 'died')),
    dry_run        BOOLEAN NOT NULL DEFAULT FALSE,
    started_at     BIGINT NOT NULL,
    finished_at    BIGINT,
    worker         TEXT NOT NULL,
    heartbeat_at   BIGINT NOT NULL,
    discrepancies  BIGINT,
    counts         TEXT,
    report         TEXT,
    error          TEXT,
    retry_of       BIGINT REFERENCES reconcile_runs(id) ON DELETE SET NULL,
    CONSTRAINT reconcile_tick_unique UNIQUE (job, scheduled_for),
    CONSTRAINT reconcile_retry_unique UNIQUE (retry_of)
);
CREATE INDEX reconcile_runs_by_job ON reconcile_runs (job, id);
CREATE INDEX reconcile_runs_running ON reconcile_runs (heartbeat_at) WHERE status = 'running';

-- Reminders the acknowledgment-deadline job sent: at most one per deadline.
CREATE TABLE reconcile_reminders (
    deadline_id  BIGINT PRIMARY KEY REFERENCES ack_deadlines(id) ON DELETE CASCADE,
    message_id   BIGINT NOT NULL,
    sent_at      BIGINT NOT NULL
);
