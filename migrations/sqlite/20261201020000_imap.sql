-- An e-mail channel that fetches its mail from a mailbox (IMAP): how far it has read (the
-- mailbox's UIDVALIDITY and the highest UID taken in), when it last looked, and what went
-- wrong then, for the Channels page. Switchboard never changes the mailbox's flags.
CREATE TABLE imap_cursors (
    channel_id   INTEGER PRIMARY KEY REFERENCES channels (id) ON DELETE CASCADE,
    uid_validity INTEGER NOT NULL,
    last_uid     INTEGER NOT NULL,
    checked_at   INTEGER NOT NULL,
    problem      TEXT
);
