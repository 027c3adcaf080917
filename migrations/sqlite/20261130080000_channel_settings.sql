-- A channel can be turned off (no new chats), and a web channel lists the sites allowed to
-- frame its chat (origins separated by spaces; empty: any site).
ALTER TABLE channels ADD COLUMN enabled INTEGER NOT NULL DEFAULT 1;
ALTER TABLE channels ADD COLUMN allowed_sites TEXT NOT NULL DEFAULT '';
