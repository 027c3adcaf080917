-- Team management: invitations (only the SHA-256 of the link's token is kept) and who
-- deactivated whom and when.

ALTER TABLE members ADD COLUMN invite_hash TEXT;
ALTER TABLE members ADD COLUMN invite_expires_at INTEGER;
ALTER TABLE members ADD COLUMN deactivated_at INTEGER;
CREATE UNIQUE INDEX members_invite_hash ON members (invite_hash) WHERE invite_hash IS NOT NULL;
