-- How a workflow hands over to people: silently (the customer is told nothing: no handoff
-- message, no "joined" notice), and on its own trigger phrases, one intent a line
-- (`cancel, cancelling -> Retention`: any of the phrases escalates, to that group if named).
ALTER TABLE workflows ADD COLUMN silent_handoff INTEGER NOT NULL DEFAULT 0;
ALTER TABLE workflows ADD COLUMN handoff_triggers TEXT NOT NULL DEFAULT '';
