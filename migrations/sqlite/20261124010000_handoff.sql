-- The handoff loop: the assistant's knowledge and provider per workflow, how often a visitor
-- asked for a human, and messages only the team sees.

ALTER TABLE workflows ADD COLUMN greeting TEXT NOT NULL DEFAULT 'Hi! How can I help you today?';
ALTER TABLE workflows ADD COLUMN escalate_on_frustration INTEGER NOT NULL DEFAULT 1;
ALTER TABLE workflows ADD COLUMN ai_provider TEXT NOT NULL DEFAULT 'builtin' CHECK (ai_provider IN ('builtin', 'openai'));
ALTER TABLE workflows ADD COLUMN openai_base_url TEXT;
ALTER TABLE workflows ADD COLUMN openai_model TEXT;
ALTER TABLE workflows ADD COLUMN openai_api_key TEXT;
ALTER TABLE workflows ADD COLUMN ai_timeout_secs INTEGER NOT NULL DEFAULT 20;
ALTER TABLE workflows ADD COLUMN fallback_answer TEXT NOT NULL DEFAULT 'I''m not sure about that one. I can connect you with a member of our team if you ask for a human.';

-- The built-in assistant answers from these.
CREATE TABLE workflow_answers (
    id          INTEGER PRIMARY KEY,
    workflow_id INTEGER NOT NULL REFERENCES workflows (id) ON DELETE CASCADE,
    question    TEXT    NOT NULL,
    answer      TEXT    NOT NULL
);
CREATE INDEX workflow_answers_workflow ON workflow_answers (workflow_id);

ALTER TABLE conversations ADD COLUMN human_requests INTEGER NOT NULL DEFAULT 0;
ALTER TABLE messages ADD COLUMN internal INTEGER NOT NULL DEFAULT 0;

-- A visitor of the web widget is a contact seen on a channel.
ALTER TABLE contacts ADD COLUMN channel_id INTEGER REFERENCES channels (id);
CREATE INDEX conversations_contact ON conversations (contact_id, channel_id, id DESC);
