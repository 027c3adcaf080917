-- When the customer's oldest message not yet answered by a person was written (NULL when a
-- person has answered everything, or the customer has not written). Kept with each stored
-- message (server/src/store/append.rs, `move_for_message`) so that reassigning on silence reads
-- the conversation row instead of every message of every held conversation, which cost whole
-- seconds under load with a thousand messages a conversation.
ALTER TABLE conversations ADD COLUMN waiting_since INTEGER;

UPDATE conversations SET waiting_since = (
    SELECT MIN(q.created_at) FROM messages q
    WHERE q.conversation_id = conversations.id AND q.sender_kind = 'contact'
      AND q.seq > COALESCE((SELECT MAX(r.seq) FROM messages r WHERE r.conversation_id = conversations.id
                            AND r.sender_kind = 'operator' AND r.internal = FALSE), 0));
