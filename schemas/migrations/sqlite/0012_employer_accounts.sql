-- Employers' requests for an account on the employer pages, waiting for an operator. An
-- approval issues the account's token (shown once to the operator) in the same transaction;
-- `feins` is a comma-separated list of 9-digit FEINs.
CREATE TABLE employer_registrations (
    id             INTEGER PRIMARY KEY,
    account_name   TEXT NOT NULL,
    business_name  TEXT NOT NULL,
    feins          TEXT NOT NULL,
    contact_email  TEXT NOT NULL,
    state          TEXT NOT NULL CONSTRAINT employer_registration_state_valid
                   CHECK (state IN ('pending', 'approved', 'refused')),
    requested_at   BIGINT NOT NULL,
    decided_at     BIGINT,
    decided_by     TEXT
);
CREATE INDEX employer_registrations_pending ON employer_registrations (state, requested_at);
