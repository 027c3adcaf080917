-- A workflow can take a conversation from an operator who leaves the customer unanswered for
-- this long and offer it to someone else (0: never).
ALTER TABLE workflows ADD COLUMN reassign_after_secs INTEGER NOT NULL DEFAULT 0;
CREATE INDEX conversations_active ON conversations (status) WHERE status = 'active';
