-- Channels beyond the web widget: a channel's plain settings (JSON: an SMS channel's Twilio
-- account and number, the API's base URL) and its provider secret (the Twilio auth token),
-- write-only like the identity secret.
ALTER TABLE channels ADD COLUMN settings TEXT NOT NULL DEFAULT '{}';
ALTER TABLE channels ADD COLUMN provider_secret TEXT;

-- Messages that travel through a provider: the provider's id for the message (inbound: the id
-- it came with; outbound: the id the provider gave our send), unique in the workspace so a
-- webhook delivered twice stores one message (`INSERT … ON CONFLICT DO NOTHING`); and the
-- delivery of outbound ones. A reply to an SMS or e-mail customer is stored `pending`, in the
-- same transaction as the operator's action: the message row is the outbox entry, which the
-- sender task takes from the partial index below.
ALTER TABLE messages ADD COLUMN delivery_error TEXT;
ALTER TABLE messages ADD COLUMN delivery_attempts INTEGER NOT NULL DEFAULT 0;
ALTER TABLE messages ADD COLUMN deliver_after INTEGER;
CREATE UNIQUE INDEX messages_channel_message ON messages (workspace_id, channel_message_id)
    WHERE channel_message_id IS NOT NULL;
CREATE INDEX messages_outbox ON messages (deliver_after) WHERE delivery_status = 'pending';

-- Phone numbers that texted STOP to a channel's number: Twilio refuses to send to them (21610)
-- until they text START, so the composer says so instead of failing.
CREATE TABLE sms_opt_outs (
    channel_id   INTEGER NOT NULL REFERENCES channels (id) ON DELETE CASCADE,
    phone        TEXT    NOT NULL,
    opted_out_at INTEGER NOT NULL,
    PRIMARY KEY (channel_id, phone)
) WITHOUT ROWID;
