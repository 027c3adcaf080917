//! E-mail conversations: their subject, the Message-IDs that thread replies into them, and the
//! e-mails that came in, kept whole.

use super::conversations::{ConversationRecord, CONVERSATION_COLUMNS};
use super::{now_ms, Returning, Store, StoreError};

dual! {}

impl Store {
    /// A new conversation for the contact on the channel (an e-mail that answers no earlier
    /// one starts its own), with the e-mail's subject.
    pub async fn new_conversation(
        &self,
        channel: &super::ChannelRecord,
        contact_id: i64,
        subject: Option<&str>,
    ) -> Result<ConversationRecord, StoreError> {
        on_db!(self.db, |read, write| {
            let now = now_ms();
            let mut tx = side::begin_write(write).await?;
            let created: ConversationRecord = sqlx::query_as(&format!(
            "INSERT INTO conversations (workspace_id, channel_id, workflow_id, contact_id, subject, last_activity_at, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $6) RETURNING {CONVERSATION_COLUMNS}"
        ))
        .bind(channel.workspace_id)
        .bind(channel.id)
        .bind(channel.workflow_id)
        .bind(contact_id)
        .bind(subject)
        .bind(now)
        .fetch_written(&mut *tx)
        .await?;
            side::webhooks::enqueue_conversation(&mut *tx, created.id, "conversation.created").await?;
            tx.commit().await?;
            Ok(created)
        })
    }

    /// The conversation's subject, if it has one.
    pub async fn conversation_subject(&self, conversation_id: i64) -> Result<Option<String>, StoreError> {
        on_db!(self.db, |read, write| {
            let row: Option<(Option<String>,)> = sqlx::query_as("SELECT subject FROM conversations WHERE id = $1")
                .bind(conversation_id)
                .fetch_optional(read)
                .await?;
            Ok(row.and_then(|r| r.0))
        })
    }

    /// Whether conversation `id` is the contact's on the channel.
    pub async fn conversation_of(&self, id: i64, channel_id: i64, contact_id: i64) -> Result<bool, StoreError> {
        on_db!(self.db, |read, write| {
            let row: Option<(i64,)> = sqlx::query_as(
                "SELECT CAST(1 AS BIGINT) FROM conversations WHERE id = $1 AND channel_id = $2 AND contact_id = $3",
            )
            .bind(id)
            .bind(channel_id)
            .bind(contact_id)
            .fetch_optional(read)
            .await?;
            Ok(row.is_some())
        })
    }

    /// The contact's conversation on the channel that has a message with one of these
    /// Message-IDs (theirs or ours), the most recent if several.
    pub async fn conversation_with_ids(
        &self,
        workspace_id: i64,
        channel_id: i64,
        contact_id: i64,
        ids: &[String],
    ) -> Result<Option<i64>, StoreError> {
        on_db!(self.db, |read, write| {
            if ids.is_empty() {
                return Ok(None);
            }
            let json = serde_json::to_string(ids).unwrap_or_else(|_| "[]".into());
            // The ids arrive as one JSON array, which each database reads its own way.
            let each = if side::PG {
                "json_array_elements_text($4::json)"
            } else {
                "json_each($4)"
            };
            let row: Option<(i64,)> = sqlx::query_as(&format!(
                "SELECT c.id FROM messages m JOIN conversations c ON c.id = m.conversation_id
                 WHERE m.workspace_id = $1 AND m.channel_message_id IN (SELECT value FROM {each})
                   AND c.channel_id = $2 AND c.contact_id = $3
                 ORDER BY m.id DESC LIMIT 1",
            ))
            .bind(workspace_id)
            .bind(channel_id)
            .bind(contact_id)
            .bind(json)
            .fetch_optional(read)
            .await?;
            Ok(row.map(|r| r.0))
        })
    }

    /// The Message-IDs of the conversation's e-mails, oldest first, each with whether the
    /// customer sent it.
    pub async fn thread_ids(&self, conversation_id: i64) -> Result<Vec<(String, bool)>, StoreError> {
        on_db!(self.db, |read, write| {
            Ok(sqlx::query_as(
                "SELECT channel_message_id, sender_kind = 'contact' FROM messages
             WHERE conversation_id = $1 AND channel_message_id IS NOT NULL ORDER BY seq",
            )
            .bind(conversation_id)
            .fetch_all(read)
            .await?)
        })
    }

    /// Keeps an e-mail that came in, whole (once per Message-ID).
    pub async fn keep_inbound_mail(
        &self,
        workspace_id: i64,
        conversation_id: i64,
        message_id: &str,
        raw: &[u8],
    ) -> Result<(), StoreError> {
        on_db!(self.db, |read, write| {
            sqlx::query(
                "INSERT INTO inbound_mail (workspace_id, conversation_id, message_id, raw, received_at)
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (workspace_id, message_id) DO NOTHING",
            )
            .bind(workspace_id)
            .bind(conversation_id)
            .bind(message_id)
            .bind(raw)
            .bind(now_ms())
            .execute(write)
            .await?;
            Ok(())
        })
    }

    /// The address a contact is written to: their newest e-mail identity, else the e-mail on
    /// their contact record.
    pub async fn contact_email(&self, contact_id: i64) -> Result<Option<String>, StoreError> {
        on_db!(self.db, |read, write| {
            let row: Option<(Option<String>,)> = sqlx::query_as(
                "SELECT COALESCE(
                (SELECT value FROM contact_identities WHERE contact_id = $1 AND kind = 'email'
                 ORDER BY created_at DESC, id DESC LIMIT 1),
                (SELECT email FROM contacts WHERE id = $1))",
            )
            .bind(contact_id)
            .fetch_optional(read)
            .await?;
            Ok(row.and_then(|r| r.0).filter(|e| !e.is_empty()))
        })
    }
}

/// How far an e-mail channel has read its mailbox.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ImapCursor {
    pub uid_validity: i64,
    pub last_uid: i64,
    pub checked_at: i64,
    pub problem: Option<String>,
}

impl Store {
    pub async fn imap_cursor(&self, channel_id: i64) -> Result<Option<ImapCursor>, StoreError> {
        on_db!(self.db, |read, write| {
            Ok(sqlx::query_as(
                "SELECT uid_validity, last_uid, checked_at, problem FROM imap_cursors WHERE channel_id = $1",
            )
            .bind(channel_id)
            .fetch_optional(read)
            .await?)
        })
    }

    /// Records how far the channel has read (`problem`: what went wrong this time, if anything).
    pub async fn set_imap_cursor(
        &self,
        channel_id: i64,
        uid_validity: i64,
        last_uid: i64,
        problem: Option<&str>,
    ) -> Result<(), StoreError> {
        on_db!(self.db, |read, write| {
            sqlx::query(
                "INSERT INTO imap_cursors (channel_id, uid_validity, last_uid, checked_at, problem)
             VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (channel_id) DO UPDATE SET uid_validity = $2, last_uid = $3, checked_at = $4, problem = $5",
            )
            .bind(channel_id)
            .bind(uid_validity)
            .bind(last_uid)
            .bind(now_ms())
            .bind(problem)
            .execute(write)
            .await?;
            Ok(())
        })
    }

    /// Notes a failed look at the mailbox, keeping how far it had read.
    pub async fn imap_problem(&self, channel_id: i64, problem: &str) -> Result<(), StoreError> {
        on_db!(self.db, |read, write| {
            sqlx::query(
                "INSERT INTO imap_cursors (channel_id, uid_validity, last_uid, checked_at, problem)
             VALUES ($1, -1, 0, $2, $3)
             ON CONFLICT (channel_id) DO UPDATE SET checked_at = $2, problem = $3",
            )
            .bind(channel_id)
            .bind(now_ms())
            .bind(problem)
            .execute(write)
            .await?;
            Ok(())
        })
    }

    /// The enabled e-mail channels of every workspace.
    pub async fn email_channels(&self) -> Result<Vec<super::ChannelRecord>, StoreError> {
        on_db!(self.db, |read, write| {
            let rows: Vec<super::ChannelRecord> = sqlx::query_as(&format!(
                "{} WHERE kind = 'email' AND enabled = TRUE ORDER BY id",
                super::channels::CHANNEL_SELECT
            ))
            .fetch_all(read)
            .await?;
            rows.into_iter().map(|c| self.opened(c)).collect()
        })
    }
}
