-- Offers routing has made that nobody has answered yet: at most one per conversation (its
-- key). The leader decides in memory and writes each offer here, fenced by its term, before
-- anyone is told of it, so that the next leader carries on with the offers already shown. A
-- claim or any change that ends the wait deletes the row in the same transaction.
CREATE TABLE offers (
    conversation_id BIGINT PRIMARY KEY REFERENCES conversations (id) ON DELETE CASCADE,
    workflow_id     BIGINT NOT NULL,
    -- Member ids, as a JSON array: those it is offered to, and those who declined it or let
    -- it lapse.
    offered_to      TEXT   NOT NULL,
    passed_over     TEXT   NOT NULL,
    -- Unix ms; none for a pooled offer, which waits until someone accepts.
    expires_at      BIGINT,
    -- The routing leader's term that made it.
    term            BIGINT NOT NULL,
    offered_at      BIGINT NOT NULL
);
