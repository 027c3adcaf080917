-- Going live and routing: a record of each interaction an operator handles, and whether an
-- operator's conversations go to someone else when they go offline or disconnect.

CREATE TABLE operator_sessions (
    id              INTEGER PRIMARY KEY,
    workspace_id    INTEGER NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    conversation_id INTEGER NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    member_id       INTEGER NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    accepted_at     INTEGER NOT NULL,
    ended_at        INTEGER,
    outcome         TEXT CHECK (outcome IN ('completed', 'transferred', 'returned_to_ai', 'disconnected'))
);
CREATE INDEX operator_sessions_member ON operator_sessions (member_id, accepted_at DESC);
CREATE INDEX operator_sessions_open ON operator_sessions (conversation_id) WHERE ended_at IS NULL;

ALTER TABLE workspaces ADD COLUMN reroute_on_disconnect INTEGER NOT NULL DEFAULT 1;
