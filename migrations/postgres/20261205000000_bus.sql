-- Batches of events too large for one notification between nodes (`bus.rs`): written by the
-- sending node, read by the others, removed after a minute. Not worth a crash's recovery.
CREATE UNLOGGED TABLE bus_spill (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    payload    TEXT   NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX bus_spill_created ON bus_spill (created_at);
