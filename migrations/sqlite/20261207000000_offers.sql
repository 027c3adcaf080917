-- Offers routing has made that nobody has answered yet: at most one per conversation (its
-- key). Routing decides in memory and writes each offer here before anyone is told of it, so
-- that whoever routes next carries on with the offers already shown. A claim or any change
-- that ends the wait deletes the row in the same transaction.
CREATE TABLE offers (
    conversation_id INTEGER PRIMARY KEY REFERENCES conversations (id) ON DELETE CASCADE,
    workflow_id     INTEGER NOT NULL,
    -- Member ids, as a JSON array: those it is offered to, and those who declined it or let
    -- it lapse.
    offered_to      TEXT    NOT NULL,
    passed_over     TEXT    NOT NULL,
    -- Unix ms; none for a pooled offer, which waits until someone accepts.
    expires_at      INTEGER,
    -- The routing leader's term that made it.
    term            INTEGER NOT NULL,
    offered_at      INTEGER NOT NULL
);

-- The routing leader's term (several nodes bump it; one node on SQLite always leads, at 0):
-- routing's writes name the term they were decided in and are refused once it has passed.
CREATE TABLE router_lease (
    id   INTEGER PRIMARY KEY CHECK (id = 1),
    term INTEGER NOT NULL DEFAULT 0
);
INSERT INTO router_lease (id, term) VALUES (1, 0);
