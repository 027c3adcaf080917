-- A message without an idempotency key (the assistant's, Switchboard's notices) no longer has an
-- entry in the idempotency index: the index is partial, so storing such a message writes one
-- page fewer. The uniqueness rule for keyed messages is unchanged. SQLite cannot change a
-- table's constraints in place, so the table is rebuilt with the same rows and ids (the search
-- index refers to messages by id and stays valid).
CREATE TABLE messages_rebuilt (
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
    internal           INTEGER NOT NULL DEFAULT 0,
    CONSTRAINT messages_seq_key UNIQUE (conversation_id, seq)
);
INSERT INTO messages_rebuilt
    (id, workspace_id, conversation_id, seq, sender_kind, sender_id, body, channel_message_id,
     delivery_status, idempotency_key, created_at, internal)
SELECT id, workspace_id, conversation_id, seq, sender_kind, sender_id, body, channel_message_id,
       delivery_status, idempotency_key, created_at, internal
FROM messages;
DROP TABLE messages;
ALTER TABLE messages_rebuilt RENAME TO messages;

CREATE UNIQUE INDEX messages_idempotency_key ON messages (conversation_id, idempotency_key)
    WHERE idempotency_key IS NOT NULL;

-- The triggers went with the old table; they are the same as before.
CREATE TRIGGER messages_search_delete AFTER DELETE ON messages
WHEN OLD.id <= (SELECT indexed_upto FROM search_progress)
BEGIN
    INSERT INTO messages_search (messages_search, rowid, body) VALUES ('delete', OLD.id, OLD.body);
END;
CREATE TRIGGER messages_search_update AFTER UPDATE OF body ON messages
WHEN OLD.id <= (SELECT indexed_upto FROM search_progress)
BEGIN
    INSERT INTO messages_search (messages_search, rowid, body) VALUES ('delete', OLD.id, OLD.body);
    INSERT INTO messages_search (rowid, body) VALUES (NEW.id, NEW.body);
END;

-- The rules of server/src/conversations/lifecycle.rs for a stored message (the store's
-- conformance test holds the two together), in two statements so that only an operator's reply
-- assigns `assignee_id`: SQLite rewrites an index entry whenever its column is assigned, even
-- to the value it had, and the old single UPDATE assigned it for every message.
CREATE TRIGGER messages_move_conversation AFTER INSERT ON messages
BEGIN
    -- Every message: the last sequence number and the activity time; a customer's message
    -- reopens a resolved conversation (waiting when a person handles it, else open).
    UPDATE conversations SET
        last_seq = NEW.seq,
        last_activity_at = NEW.created_at,
        status = CASE
            WHEN NEW.sender_kind = 'contact' AND status = 'resolved'
                THEN (CASE WHEN handler = 'human' THEN 'waiting' ELSE 'open' END)
            ELSE status END,
        resolved_at = CASE WHEN NEW.sender_kind = 'contact' THEN NULL ELSE resolved_at END
    WHERE id = NEW.conversation_id;

    -- An operator's reply claims the conversation for them (human handler, active) unless it
    -- is theirs already, and records the first human reply. A resolved conversation stays as
    -- it is: only the customer or an explicit reopen brings it back.
    UPDATE conversations SET
        status = CASE
            WHEN assignee_id IS NULL OR assignee_id != NEW.sender_id OR handler != 'human' THEN 'active'
            ELSE status END,
        assignee_id = NEW.sender_id,
        handler = 'human',
        first_human_reply_at = COALESCE(first_human_reply_at, NEW.created_at)
    WHERE id = NEW.conversation_id AND NEW.sender_kind = 'operator' AND NEW.internal = 0
      AND status != 'resolved';

    -- An operator's own message (reply or note) reads the conversation for them.
    INSERT INTO read_markers (member_id, conversation_id, last_read_seq)
        SELECT NEW.sender_id, NEW.conversation_id, NEW.seq WHERE NEW.sender_kind = 'operator' AND NEW.sender_id IS NOT NULL
        ON CONFLICT (member_id, conversation_id) DO UPDATE SET last_read_seq = MAX(last_read_seq, excluded.last_read_seq);
END;
