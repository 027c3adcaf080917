-- A workflow can offer every new conversation to a live operator as soon as its first message
-- arrives (the assistant answers while it waits), beside escalation.
ALTER TABLE workflows ADD COLUMN route_on_arrival INTEGER NOT NULL DEFAULT 0;
