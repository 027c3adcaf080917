-- Several nodes on one database (`cluster.rs`). Liveness is not worth a crash's recovery:
-- nodes write their rows again at every beat.

-- This database's name among others on a shared NATS server: its nodes' events go on a subject
-- of their own.
CREATE TABLE cluster_identity (
    id   SMALLINT PRIMARY KEY CHECK (id = 1),
    name TEXT     NOT NULL DEFAULT md5(random()::text || clock_timestamp()::text)
);
INSERT INTO cluster_identity (id) VALUES (1);

-- Each running node and when it last showed it is alive (the database's clock, so the nodes'
-- clocks do not matter).
CREATE UNLOGGED TABLE cluster_nodes (
    node_id      TEXT        PRIMARY KEY,
    started_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    heartbeat_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- The routing leader's term: bumped by each node that becomes leader, so its writes can be
-- told from those of a leader that has lost the lock without knowing it.
CREATE TABLE router_lease (
    id          SMALLINT    PRIMARY KEY CHECK (id = 1),
    term        BIGINT      NOT NULL DEFAULT 0,
    holder      TEXT,
    acquired_at TIMESTAMPTZ
);
INSERT INTO router_lease (id, term) VALUES (1, 0);

-- What routing knows of an operator beyond their sockets (status, the workflows they are live
-- on), written by the leader whenever it changes, so a new leader carries on from it.
CREATE TABLE operator_presence (
    member_id     BIGINT  PRIMARY KEY REFERENCES members (id) ON DELETE CASCADE,
    workspace_id  BIGINT  NOT NULL,
    name          TEXT    NOT NULL,
    status        TEXT    NOT NULL,
    live_ids      TEXT    NOT NULL,
    since_ms      BIGINT  NOT NULL,
    live_since_ms BIGINT  NOT NULL
);
