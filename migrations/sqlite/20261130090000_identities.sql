-- Known customers: a contact's identities (a site's own user id for the web widget; later a
-- phone number, an e-mail address, a Meta id), each unique in its workspace, so the same
-- customer is one contact wherever they write from.
CREATE TABLE contact_identities (
    id           INTEGER PRIMARY KEY,
    workspace_id INTEGER NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    contact_id   INTEGER NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
    kind         TEXT    NOT NULL CHECK (kind IN ('web', 'phone', 'email', 'whatsapp', 'psid')),
    value        TEXT    NOT NULL,
    created_at   INTEGER NOT NULL,
    UNIQUE (workspace_id, kind, value)
);
CREATE INDEX contact_identities_contact ON contact_identities (contact_id);

-- A web channel's key for verifying who a site says its signed-in customer is (HMAC-SHA256
-- of their id), write-only; and whether an unverified identity is refused.
ALTER TABLE channels ADD COLUMN identity_secret TEXT;
ALTER TABLE channels ADD COLUMN require_verified INTEGER NOT NULL DEFAULT 0;
