-- Qualifications: each workflow's practice scenario (what a scripted customer says, one line a
-- message), operators' practice runs in a sandbox that touches no real conversation, and the
-- grants a reviewer gives after reading a run's transcript.

ALTER TABLE workflows ADD COLUMN practice_script TEXT NOT NULL DEFAULT 'Hi, I was charged twice for my order this month.
I already asked your assistant and it could not help. Can a person look at it, please?
The order number is 48213. What happens next?
Thanks. How long will the refund take to reach my card?';

CREATE TABLE practice_runs (
    id           INTEGER PRIMARY KEY,
    workspace_id INTEGER NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    workflow_id  INTEGER NOT NULL REFERENCES workflows (id) ON DELETE CASCADE,
    member_id    INTEGER NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    status       TEXT    NOT NULL DEFAULT 'in_progress'
                 CHECK (status IN ('in_progress', 'submitted', 'granted', 'returned', 'revoked')),
    -- The scenario as it was when the run began, so later edits do not change a run.
    script       TEXT    NOT NULL,
    -- How many of the script's lines the customer has said so far.
    step         INTEGER NOT NULL DEFAULT 0,
    started_at   INTEGER NOT NULL,
    submitted_at INTEGER,
    reviewer_id  INTEGER REFERENCES members (id),
    reviewed_at  INTEGER,
    review_note  TEXT
);
CREATE INDEX practice_runs_member ON practice_runs (member_id, workflow_id, id DESC);
CREATE INDEX practice_runs_review ON practice_runs (workspace_id, status);
-- At most one unfinished run per operator and workflow.
CREATE UNIQUE INDEX practice_runs_one_open ON practice_runs (member_id, workflow_id)
    WHERE status IN ('in_progress', 'submitted');

CREATE TABLE practice_messages (
    run_id     INTEGER NOT NULL REFERENCES practice_runs (id) ON DELETE CASCADE,
    seq        INTEGER NOT NULL,
    sender     TEXT    NOT NULL CHECK (sender IN ('customer', 'operator')),
    body       TEXT    NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (run_id, seq)
);

CREATE TABLE qualifications (
    workspace_id INTEGER NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    member_id    INTEGER NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    workflow_id  INTEGER NOT NULL REFERENCES workflows (id) ON DELETE CASCADE,
    granted_by   INTEGER REFERENCES members (id),
    granted_at   INTEGER NOT NULL,
    run_id       INTEGER REFERENCES practice_runs (id) ON DELETE SET NULL,
    PRIMARY KEY (member_id, workflow_id)
);
