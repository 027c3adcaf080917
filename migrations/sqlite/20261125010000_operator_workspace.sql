-- The operator's workspace: what each operator has read, the workspace's conversation
-- categories, contact labels and data records, canned responses (workspace, group or
-- personal), and files attached to messages.

CREATE TABLE read_markers (
    member_id       INTEGER NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    conversation_id INTEGER NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    last_read_seq   INTEGER NOT NULL,
    PRIMARY KEY (member_id, conversation_id)
);

CREATE TABLE categories (
    id           INTEGER PRIMARY KEY,
    workspace_id INTEGER NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    name         TEXT    NOT NULL,
    created_at   INTEGER NOT NULL,
    CONSTRAINT categories_name_key UNIQUE (workspace_id, name)
);
ALTER TABLE conversations ADD COLUMN category_id INTEGER REFERENCES categories (id) ON DELETE SET NULL;

CREATE TABLE contact_labels (
    contact_id INTEGER NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
    label      TEXT    NOT NULL,
    PRIMARY KEY (contact_id, label)
);

CREATE TABLE contact_data (
    contact_id INTEGER NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
    key        TEXT    NOT NULL,
    value      TEXT    NOT NULL,
    PRIMARY KEY (contact_id, key)
);

CREATE TABLE canned_responses (
    id           INTEGER PRIMARY KEY,
    workspace_id INTEGER NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    -- Set for a group's responses; member_id for someone's own; neither for the workspace's.
    group_id     INTEGER REFERENCES operator_groups (id) ON DELETE CASCADE,
    member_id    INTEGER REFERENCES members (id) ON DELETE CASCADE,
    shortcut     TEXT    NOT NULL,
    title        TEXT    NOT NULL,
    body         TEXT    NOT NULL,
    created_by   INTEGER REFERENCES members (id) ON DELETE SET NULL,
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL,
    CONSTRAINT canned_one_owner CHECK (group_id IS NULL OR member_id IS NULL)
);
CREATE UNIQUE INDEX canned_responses_shortcut_key
    ON canned_responses (workspace_id, COALESCE(group_id, 0), COALESCE(member_id, 0), shortcut);

CREATE TABLE attachments (
    id              INTEGER PRIMARY KEY,
    workspace_id    INTEGER NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    conversation_id INTEGER NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    -- The message it was sent with; NULL while it is only uploaded.
    message_seq     INTEGER,
    file_name       TEXT    NOT NULL,
    content_type    TEXT    NOT NULL,
    size_bytes      INTEGER NOT NULL,
    -- The file's name under <data_dir>/attachments.
    storage_key     TEXT    NOT NULL UNIQUE,
    uploaded_by     TEXT    NOT NULL CHECK (uploaded_by IN ('contact', 'operator')),
    uploader_id     INTEGER NOT NULL,
    created_at      INTEGER NOT NULL
);
CREATE INDEX attachments_message ON attachments (conversation_id, message_seq);

CREATE INDEX conversations_contact_all ON conversations (contact_id, id DESC);
CREATE INDEX conversations_assignee ON conversations (assignee_id, last_activity_at DESC);
