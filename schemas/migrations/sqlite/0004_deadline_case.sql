-- The case a deadline is about: answers (CSENet acknowledgments) quote the case, not our serial.
ALTER TABLE ack_deadlines ADD COLUMN case_id TEXT;
CREATE INDEX ack_deadlines_case ON ack_deadlines (partner, kind, case_id) WHERE satisfied_at IS NULL;
