-- Fewer pages written per stored message.
--
-- Messages are no longer indexed for search one by one as they are stored: a small FTS5
-- transaction for each wrote about six pages. The server's upkeep task indexes them in batches
-- (server/src/store/upkeep.rs) and the inbox's search brings the index up to date first;
-- `search_progress` remembers the last message indexed.
DROP TRIGGER messages_search_insert;

CREATE TABLE search_progress (
    id           INTEGER PRIMARY KEY CHECK (id = 1),
    indexed_upto INTEGER NOT NULL
);
INSERT INTO search_progress (id, indexed_upto) SELECT 1, COALESCE(MAX(id), 0) FROM messages;

-- Only what was indexed may be taken out of the index (an external-content FTS5 table must be
-- told exactly what it holds).
DROP TRIGGER messages_search_delete;
CREATE TRIGGER messages_search_delete AFTER DELETE ON messages
WHEN OLD.id <= (SELECT indexed_upto FROM search_progress)
BEGIN
    INSERT INTO messages_search (messages_search, rowid, body) VALUES ('delete', OLD.id, OLD.body);
END;
DROP TRIGGER messages_search_update;
CREATE TRIGGER messages_search_update AFTER UPDATE OF body ON messages
WHEN OLD.id <= (SELECT indexed_upto FROM search_progress)
BEGIN
    INSERT INTO messages_search (messages_search, rowid, body) VALUES ('delete', OLD.id, OLD.body);
    INSERT INTO messages_search (rowid, body) VALUES (NEW.id, NEW.body);
END;

-- An operator's own list is short enough to sort; its index need not move with every message.
DROP INDEX conversations_assignee;
CREATE INDEX conversations_assignee ON conversations (assignee_id);

-- The rules of server/src/conversations/lifecycle.rs for a stored message (the store's
-- conformance test holds the two together), in two statements so that only an operator's reply
-- assigns `assignee_id`: SQLite rewrites an index entry whenever its column is assigned, even
-- to the value it had, and the old single UPDATE assigned it for every message.
DROP TRIGGER messages_move_conversation;
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
