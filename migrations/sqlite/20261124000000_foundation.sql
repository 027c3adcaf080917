-- Workspaces (tenants), team members, sessions, workflows, operator groups, channels,
-- contacts, conversations, messages and the audit log. Times are Unix milliseconds.

CREATE TABLE workspaces (
    id                      INTEGER PRIMARY KEY,
    name                    TEXT    NOT NULL,
    operator_enabled        INTEGER NOT NULL DEFAULT 1,
    presence_enabled        INTEGER NOT NULL DEFAULT 1,
    human_agents            INTEGER NOT NULL DEFAULT 5,
    default_chat_limit      INTEGER NOT NULL DEFAULT 3,
    disconnect_timeout_secs INTEGER NOT NULL DEFAULT 30,
    created_at              INTEGER NOT NULL,
    CONSTRAINT presence_requires_operator CHECK (presence_enabled = 0 OR operator_enabled = 1)
);

CREATE TABLE members (
    id            INTEGER PRIMARY KEY,
    workspace_id  INTEGER NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    email         TEXT    NOT NULL,
    name          TEXT    NOT NULL,
    password_hash TEXT    NOT NULL,
    role          TEXT    NOT NULL CHECK (role IN ('owner', 'admin', 'supervisor', 'account_manager', 'agent', 'support_agent')),
    active        INTEGER NOT NULL DEFAULT 1,
    chat_limit    INTEGER,
    created_at    INTEGER NOT NULL
);
-- One account per email: sign-in finds the workspace from it.
CREATE UNIQUE INDEX members_email_key ON members (email);
CREATE INDEX members_workspace ON members (workspace_id);

CREATE TABLE sessions (
    id           INTEGER PRIMARY KEY,
    token_hash   TEXT    NOT NULL UNIQUE,
    member_id    INTEGER NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    workspace_id INTEGER NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    created_at   INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL,
    revoked_at   INTEGER
);
CREATE INDEX sessions_member ON sessions (member_id);

CREATE TABLE workflows (
    id                     INTEGER PRIMARY KEY,
    workspace_id           INTEGER NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    name                   TEXT    NOT NULL,
    live_routing           INTEGER NOT NULL DEFAULT 1,
    handoff_mode           TEXT    NOT NULL DEFAULT 'auto_escalation' CHECK (handoff_mode IN ('auto_escalation', 'always_on')),
    escalation_threshold   INTEGER NOT NULL DEFAULT 3,
    handoff_message        TEXT    NOT NULL DEFAULT 'A human agent will be with you shortly.',
    routing_mode           TEXT    NOT NULL DEFAULT 'assigned' CHECK (routing_mode IN ('assigned', 'pooled')),
    accept_timeout_secs    INTEGER NOT NULL DEFAULT 30,
    requires_qualification INTEGER NOT NULL DEFAULT 0,
    created_at             INTEGER NOT NULL,
    CONSTRAINT workflows_name_key UNIQUE (workspace_id, name)
);

CREATE TABLE operator_groups (
    id           INTEGER PRIMARY KEY,
    workspace_id INTEGER NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    name         TEXT    NOT NULL,
    description  TEXT,
    created_at   INTEGER NOT NULL,
    CONSTRAINT operator_groups_name_key UNIQUE (workspace_id, name)
);

CREATE TABLE group_members (
    group_id  INTEGER NOT NULL REFERENCES operator_groups (id) ON DELETE CASCADE,
    member_id INTEGER NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    PRIMARY KEY (group_id, member_id)
);

CREATE TABLE group_workflows (
    group_id    INTEGER NOT NULL REFERENCES operator_groups (id) ON DELETE CASCADE,
    workflow_id INTEGER NOT NULL REFERENCES workflows (id) ON DELETE CASCADE,
    PRIMARY KEY (group_id, workflow_id)
);

CREATE TABLE channels (
    id           INTEGER PRIMARY KEY,
    workspace_id INTEGER NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    kind         TEXT    NOT NULL CHECK (kind IN ('web', 'sms', 'email', 'whatsapp', 'messenger', 'instagram', 'api')),
    name         TEXT    NOT NULL,
    workflow_id  INTEGER NOT NULL REFERENCES workflows (id),
    colour       TEXT    NOT NULL,
    -- The identifier a widget or provider names the channel by.
    public_key   TEXT    NOT NULL UNIQUE,
    created_at   INTEGER NOT NULL
);

CREATE TABLE contacts (
    id           INTEGER PRIMARY KEY,
    workspace_id INTEGER NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    name         TEXT    NOT NULL,
    email        TEXT,
    phone        TEXT,
    created_at   INTEGER NOT NULL
);

CREATE TABLE conversations (
    id                   INTEGER PRIMARY KEY,
    workspace_id         INTEGER NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    channel_id           INTEGER NOT NULL REFERENCES channels (id),
    workflow_id          INTEGER NOT NULL REFERENCES workflows (id),
    contact_id           INTEGER NOT NULL REFERENCES contacts (id),
    status               TEXT    NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'waiting', 'active', 'resolved')),
    handler              TEXT    NOT NULL DEFAULT 'ai' CHECK (handler IN ('ai', 'human')),
    assignee_id          INTEGER REFERENCES members (id),
    group_id             INTEGER REFERENCES operator_groups (id),
    category             TEXT,
    escalated_at         INTEGER,
    first_human_reply_at INTEGER,
    resolved_at          INTEGER,
    last_seq             INTEGER NOT NULL DEFAULT 0,
    last_activity_at     INTEGER NOT NULL,
    created_at           INTEGER NOT NULL
);
CREATE INDEX conversations_inbox ON conversations (workspace_id, last_activity_at DESC);

CREATE TABLE messages (
    id                 INTEGER PRIMARY KEY,
    workspace_id       INTEGER NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    conversation_id    INTEGER NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    seq                INTEGER NOT NULL,
    sender_kind        TEXT    NOT NULL CHECK (sender_kind IN ('contact', 'ai', 'operator', 'system')),
    sender_id          INTEGER,
    body               TEXT    NOT NULL,
    channel_message_id TEXT,
    delivery_status    TEXT,
    idempotency_key    TEXT,
    created_at         INTEGER NOT NULL,
    CONSTRAINT messages_seq_key UNIQUE (conversation_id, seq),
    CONSTRAINT messages_idempotency_key UNIQUE (conversation_id, idempotency_key)
);

CREATE TABLE audit_log (
    id           INTEGER PRIMARY KEY,
    workspace_id INTEGER NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    actor_id     INTEGER REFERENCES members (id),
    action       TEXT    NOT NULL,
    target       TEXT    NOT NULL,
    before_json  TEXT,
    after_json   TEXT,
    created_at   INTEGER NOT NULL
);
CREATE INDEX audit_log_workspace ON audit_log (workspace_id, created_at DESC);
