-- An idempotency key is the sender's own: a visitor who sends a key an operator will use (or
-- the other way round) no longer makes the other's message look like a repeat of theirs, which
-- dropped it. The key is unique per conversation, sender kind and sender.
DROP INDEX messages_idempotency_key;
CREATE UNIQUE INDEX messages_idempotency_key
    ON messages (conversation_id, sender_kind, COALESCE(sender_id, 0), idempotency_key)
    WHERE idempotency_key IS NOT NULL;
