-- Reports read a workspace's conversations by when they started, and each one's operator
-- sessions.
CREATE INDEX conversations_created ON conversations (workspace_id, created_at);
CREATE INDEX operator_sessions_conversation ON operator_sessions (conversation_id);
