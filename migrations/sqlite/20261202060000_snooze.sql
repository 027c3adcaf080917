-- Snooze: a conversation put aside until a time, or until its customer writes (a time far in
-- the future); it leaves the inbox's views meanwhile and comes back by itself.
ALTER TABLE conversations ADD COLUMN snoozed_until INTEGER;
CREATE INDEX conversations_snoozed ON conversations (snoozed_until) WHERE snoozed_until IS NOT NULL;
