-- A forgotten password is reset with a link that works once, for an hour: only the hash of
-- its token is kept, one per member (a newer link replaces the older).
ALTER TABLE members ADD COLUMN reset_hash TEXT;
ALTER TABLE members ADD COLUMN reset_expires_at INTEGER;
CREATE UNIQUE INDEX members_reset_hash ON members (reset_hash) WHERE reset_hash IS NOT NULL;
