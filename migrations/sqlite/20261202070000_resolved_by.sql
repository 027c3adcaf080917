-- Who resolved a conversation (with `resolved_at`, cleared when it is reopened).
ALTER TABLE conversations ADD COLUMN resolved_by INTEGER REFERENCES members (id) ON DELETE SET NULL;
