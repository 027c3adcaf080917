-- A stored message no longer moves its conversation through a trigger: the store asks the
-- lifecycle (server/src/conversations/lifecycle.rs) and writes its decision with the message,
-- in the same transaction (server/src/store/conversations.rs, `store_message`). Only the
-- search index's triggers remain.
DROP TRIGGER messages_move_conversation;
