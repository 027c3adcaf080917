-- E-mail: a conversation's subject (replies keep it), and every e-mail that came in, whole
-- (the thread shows what the customer wrote new; quoted history and the original stay here).
ALTER TABLE conversations ADD COLUMN subject TEXT;
CREATE TABLE inbound_mail (
    id              INTEGER PRIMARY KEY,
    workspace_id    INTEGER NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    conversation_id INTEGER NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    message_id      TEXT    NOT NULL,
    raw             BLOB    NOT NULL,
    received_at     INTEGER NOT NULL,
    UNIQUE (workspace_id, message_id)
);
