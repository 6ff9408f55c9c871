-- Identity by id. Every credential belongs to an account with a stable id; an account's
-- name is unique for all time (accounts are closed, never deleted, so a name is never
-- reused); employer scope (FEINs) belongs to the account, and a FEIN is held by at most one
-- open account. Sessions, receipts and registrations refer to the account id.
CREATE TABLE accounts (
    -- An identity: an id is never handed out twice.
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name        TEXT NOT NULL CONSTRAINT account_name_unique UNIQUE,
    role        TEXT NOT NULL CONSTRAINT account_role_valid
                CHECK (role IN ('state-system', 'operator', 'admin', 'fti-reader', 'employer')),
    created_at  BIGINT NOT NULL,
    created_by  TEXT NOT NULL,
    closed_at   BIGINT
);

-- The FEINs an employer or payroll-agent account acts for. A FEIN is released when its
-- account is closed; while held it belongs to one account only.
CREATE TABLE account_feins (
    account_id   BIGINT NOT NULL REFERENCES accounts(id),
    fein         TEXT NOT NULL,
    added_at     BIGINT NOT NULL,
    released_at  BIGINT,
    PRIMARY KEY (account_id, fein)
);
CREATE UNIQUE INDEX account_feins_held_once ON account_feins (fein) WHERE released_at IS NULL;

-- Existing tokens become accounts: one per name and role (a name used with a second role
-- becomes `name.role`). A name reused after revocation cannot be told apart from its first
-- holder here, so such tokens share an account; operators should review `token list` after
-- upgrading. Where two accounts held one FEIN, the older account keeps it.
INSERT INTO accounts (name, role, created_at, created_by, closed_at)
SELECT CASE WHEN rank_in_name = 1 THEN name ELSE name || '.' || role END,
       role, first_created, 'migration 0017',
       CASE WHEN live = 0 THEN last_revoked END
FROM (
    SELECT name, role, MIN(created_at) AS first_created,
           SUM(CASE WHEN revoked_at IS NULL THEN 1 ELSE 0 END) AS live,
           MAX(revoked_at) AS last_revoked,
           ROW_NUMBER() OVER (PARTITION BY name ORDER BY MIN(created_at), role) AS rank_in_name
    FROM api_tokens GROUP BY name, role
) AS grouped
ORDER BY first_created, name, role;

ALTER TABLE api_tokens ADD COLUMN account_id BIGINT REFERENCES accounts(id);
UPDATE api_tokens SET account_id = (
    SELECT a.id FROM accounts a
    WHERE a.role = api_tokens.role
      AND (a.name = api_tokens.name OR a.name = api_tokens.name || '.' || api_tokens.role)
    ORDER BY a.id LIMIT 1
);
UPDATE api_tokens SET name = (SELECT a.name FROM accounts a WHERE a.id = api_tokens.account_id);
ALTER TABLE api_tokens ALTER COLUMN account_id SET NOT NULL;
CREATE INDEX api_tokens_by_account ON api_tokens (account_id);

INSERT INTO account_feins (account_id, fein, added_at)
SELECT t.account_id, f.fein, MIN(t.created_at)
FROM token_feins f JOIN api_tokens t ON t.id = f.token_id
JOIN accounts a ON a.id = t.account_id
WHERE t.revoked_at IS NULL AND a.closed_at IS NULL
GROUP BY t.account_id, f.fein
ORDER BY t.account_id
ON CONFLICT DO NOTHING;
DROP TABLE token_feins;

-- Receipts belong to the account that sent them (NULL for files a partner dropped).
ALTER TABLE new_hire_receipts ADD COLUMN account_id BIGINT REFERENCES accounts(id);
UPDATE new_hire_receipts SET account_id = (
    SELECT a.id FROM accounts a
    WHERE a.role = 'employer'
      AND (a.name = new_hire_receipts.submitter OR a.name = new_hire_receipts.submitter || '.employer')
    ORDER BY a.id LIMIT 1
);
CREATE INDEX new_hire_receipts_by_account ON new_hire_receipts (account_id, received_at);

-- Sessions are bound to the token that opened them and its account, and checked against
-- both on every request. Sessions from before this migration are ended.
DROP TABLE web_sessions;
CREATE TABLE web_sessions (
    id_hash     TEXT PRIMARY KEY,
    account_id  BIGINT NOT NULL REFERENCES accounts(id),
    token_id    BIGINT NOT NULL REFERENCES api_tokens(id),
    realm       TEXT NOT NULL CONSTRAINT web_session_realm_valid
                CHECK (realm IN ('dashboard', 'employer')),
    csrf        TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL
);
CREATE INDEX web_sessions_expiry ON web_sessions (expires_at);

-- Failed sign-ins, per realm (the dashboard's and the employer pages' names are separate
-- namespaces) and per client address, for lock-out by name and throttling by address.
DROP TABLE sign_in_failures;
CREATE TABLE sign_in_failures (
    realm   TEXT NOT NULL,
    name    TEXT NOT NULL,
    client  TEXT NOT NULL,
    at      BIGINT NOT NULL
);
CREATE INDEX sign_in_failures_by_name ON sign_in_failures (realm, name, at);
CREATE INDEX sign_in_failures_by_client ON sign_in_failures (realm, client, at);

-- Who asked (the staff account whose session came with the request, if any), from where,
-- and who decided, by id: the requester may never approve their own request.
ALTER TABLE employer_registrations ADD COLUMN requested_by_account BIGINT REFERENCES accounts(id);
ALTER TABLE employer_registrations ADD COLUMN client TEXT;
ALTER TABLE employer_registrations ADD COLUMN decided_by_account BIGINT REFERENCES accounts(id);
ALTER TABLE employer_registrations ADD COLUMN account_id BIGINT REFERENCES accounts(id);
CREATE INDEX employer_registrations_by_client ON employer_registrations (client, requested_at);
