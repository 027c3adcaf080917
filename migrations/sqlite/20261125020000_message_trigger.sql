-- Storing a message is one statement: the INSERT numbers it after the conversation's last
-- message (and refuses it when its idempotency key was used, or when another operator holds
-- the conversation), and this trigger moves the conversation along in the same statement:
--   * its last sequence number and activity time;
--   * a customer's message reopens a resolved conversation (waiting when a person handles it,
--     else open);
--   * an operator's reply claims it for them (human handler, active) unless it is theirs
--     already, and records the first human reply;
--   * an operator's own message (reply or note) reads the conversation for them.
CREATE TRIGGER messages_move_conversation AFTER INSERT ON messages
BEGIN
    UPDATE conversations SET
        last_seq = NEW.seq,
        last_activity_at = NEW.created_at,
        status = CASE
            WHEN NEW.sender_kind = 'contact' AND status = 'resolved'
                THEN (CASE WHEN handler = 'human' THEN 'waiting' ELSE 'open' END)
            WHEN NEW.sender_kind = 'operator' AND NEW.internal = 0
                 AND (assignee_id IS NULL OR assignee_id != NEW.sender_id OR handler != 'human')
                THEN 'active'
            ELSE status END,
        resolved_at = CASE
            WHEN NEW.sender_kind = 'contact' THEN NULL
            WHEN NEW.sender_kind = 'operator' AND NEW.internal = 0
                 AND (assignee_id IS NULL OR assignee_id != NEW.sender_id OR handler != 'human')
                THEN NULL
            ELSE resolved_at END,
        assignee_id = CASE WHEN NEW.sender_kind = 'operator' AND NEW.internal = 0 THEN NEW.sender_id ELSE assignee_id END,
        handler = CASE WHEN NEW.sender_kind = 'operator' AND NEW.internal = 0 THEN 'human' ELSE handler END,
        first_human_reply_at = CASE
            WHEN NEW.sender_kind = 'operator' AND NEW.internal = 0 THEN COALESCE(first_human_reply_at, NEW.created_at)
            ELSE first_human_reply_at END
    WHERE id = NEW.conversation_id;

    INSERT INTO read_markers (member_id, conversation_id, last_read_seq)
        SELECT NEW.sender_id, NEW.conversation_id, NEW.seq WHERE NEW.sender_kind = 'operator' AND NEW.sender_id IS NOT NULL
        ON CONFLICT (member_id, conversation_id) DO UPDATE SET last_read_seq = MAX(last_read_seq, excluded.last_read_seq);
END;
