-- Plans: a workspace's seats and feature flags come with its plan, which only an instance
-- administrator changes (workspace admins read it). The plan may let account managers handle
-- chats as agents do.
ALTER TABLE workspaces ADD COLUMN plan_name TEXT NOT NULL DEFAULT 'Standard';
ALTER TABLE workspaces ADD COLUMN managers_handle_chats INTEGER NOT NULL DEFAULT 0;
-- When the plan last changed: a running server follows a change made on the command line.
ALTER TABLE workspaces ADD COLUMN plan_changed_at INTEGER NOT NULL DEFAULT 0;
CREATE INDEX workspaces_plan_changed ON workspaces (plan_changed_at);

-- Who administers this Switchboard: granted to one member (one account) at a time by
-- `switchboard instance-admin`.
CREATE TABLE instance_admins (
    member_id  INTEGER PRIMARY KEY REFERENCES members (id) ON DELETE CASCADE,
    granted_at INTEGER NOT NULL
);

-- How each member wants to be alerted, for every browser they use; the e-mail digest counts
-- from `digest_sent_at`.
ALTER TABLE members ADD COLUMN alert_sound INTEGER NOT NULL DEFAULT 1;
ALTER TABLE members ADD COLUMN alert_desktop INTEGER NOT NULL DEFAULT 1;
ALTER TABLE members ADD COLUMN alert_digest INTEGER NOT NULL DEFAULT 0;
ALTER TABLE members ADD COLUMN digest_sent_at INTEGER;
