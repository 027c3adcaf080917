-- Files are deleted after the retention period (`attachment_retention_days`); the record stays
-- so the message says its file was removed. Uploads never sent are deleted after a day.
ALTER TABLE attachments ADD COLUMN removed_at INTEGER;
CREATE INDEX attachments_age ON attachments (created_at) WHERE removed_at IS NULL;
