-- Tokens for the REST API (`/api/v1`). A token acts as the member who created it, with at most
-- the scopes chosen for it; only its SHA-256 is kept, the token itself is shown once.
CREATE TABLE api_tokens (
    id           INTEGER PRIMARY KEY,
    workspace_id INTEGER NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    member_id    INTEGER NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    name         TEXT    NOT NULL,
    token_hash   TEXT    NOT NULL UNIQUE,
    -- The token's first characters, so an admin can tell which one a log line or a script uses.
    prefix       TEXT    NOT NULL,
    -- Space-separated scope names (`operator:read operator:write`).
    scopes       TEXT    NOT NULL,
    created_at   INTEGER NOT NULL,
    last_used_at INTEGER,
    revoked_at   INTEGER
);
CREATE INDEX api_tokens_workspace ON api_tokens (workspace_id);

-- What a POST that creates something answered, by the token's `Idempotency-Key`, so that a
-- retried request gets the same answer instead of creating a second thing. `status` is NULL
-- while the first request is still being answered.
CREATE TABLE api_idempotency (
    token_id    INTEGER NOT NULL REFERENCES api_tokens (id) ON DELETE CASCADE,
    key         TEXT    NOT NULL,
    fingerprint TEXT    NOT NULL,
    status      INTEGER,
    body        TEXT,
    created_at  INTEGER NOT NULL,
    PRIMARY KEY (token_id, key)
);
CREATE INDEX api_idempotency_created ON api_idempotency (created_at);
