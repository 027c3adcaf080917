-- A repeated idempotency key is recognised among the conversation's recent messages, read
-- through the (conversation, seq) index (`store::conversations::REPEAT_WINDOW`), instead of by
-- an index of its own: every keyed message wrote a page of that index (about 0.7 of the 4.8
-- pages a stored message cost), often three when a leaf split.
DROP INDEX messages_idempotency_key;
