-- Supervisors are alerted when a conversation of the workflow has waited this long in the
-- queue with nobody live on the workflow (0: never).
ALTER TABLE workflows ADD COLUMN alert_after_secs INTEGER NOT NULL DEFAULT 0;
