-- Outbound webhooks: URLs an admin registers for events, each delivery signed with the
-- endpoint's secret. A delivery is queued in the same transaction as the change it reports, so
-- none is lost to a crash; the sender retries with backoff and disables an endpoint that keeps
-- failing.
CREATE TABLE webhooks (
    id                   INTEGER PRIMARY KEY,
    workspace_id         INTEGER NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    url                  TEXT    NOT NULL,
    -- Space-separated event names (`message.created conversation.resolved`).
    events               TEXT    NOT NULL,
    secret               TEXT    NOT NULL,
    enabled              INTEGER NOT NULL DEFAULT 1,
    -- Why Switchboard turned it off (after repeated failures); NULL when an admin did.
    disabled_reason      TEXT,
    -- Failed attempts since the last success.
    consecutive_failures INTEGER NOT NULL DEFAULT 0,
    created_at           INTEGER NOT NULL
);
CREATE INDEX webhooks_workspace ON webhooks (workspace_id);

CREATE TABLE webhook_deliveries (
    id              INTEGER PRIMARY KEY,
    webhook_id      INTEGER NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    event           TEXT    NOT NULL,
    payload         TEXT    NOT NULL,
    status          TEXT    NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'failed')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER,
    -- The last attempt: the endpoint's HTTP status and the start of its answer, or why there
    -- was none.
    response_status INTEGER,
    response_body   TEXT,
    error           TEXT,
    created_at      INTEGER NOT NULL,
    finished_at     INTEGER
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE status = 'pending';
CREATE INDEX webhook_deliveries_log ON webhook_deliveries (webhook_id, id);
