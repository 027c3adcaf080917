//! Messages: a conversation's messages read oldest first with their sender's name and files,
//! and the `Store`'s ways to append one (a visitor's, the assistant's, an operator's reply or
//! note, a notice), all through the group commit (`commit.rs`). What one append does inside
//! its transaction is `append.rs`.

use app::events::{Delivery, MessageView, SenderKind};
use app::lifecycle::DeliveryStatus;

use super::append::{duplicate_is_fine, unguarded, Appended, NewMessage, Refusal};
use super::{Store, StoreError};

/// A message as `MESSAGE_SELECT` and the INSERT … RETURNING of `append.rs` give it.
#[derive(sqlx::FromRow)]
pub(super) struct MessageRow {
    pub conversation_id: i64,
    pub seq: i64,
    pub sender_kind: String,
    pub sender_name: String,
    pub body: String,
    pub internal: bool,
    pub idempotency_key: Option<String>,
    pub created_at: i64,
    /// The operator who wrote it; none for other senders.
    pub sender_id: Option<i64>,
    /// Outbound through a provider: how far it got, and why it failed.
    pub delivery_status: Option<DeliveryStatus>,
    pub delivery_error: Option<String>,
}

impl MessageRow {
    /// The message without its files (see `attach`).
    pub(super) fn into_view(self) -> MessageView {
        MessageView {
            conversation_id: self.conversation_id,
            seq: self.seq,
            sender_kind: SenderKind::parse(&self.sender_kind).unwrap_or(SenderKind::System),
            sender_name: self.sender_name,
            body: self.body,
            internal: self.internal,
            idempotency_key: self.idempotency_key,
            created_at: self.created_at,
            sender_id: self.sender_id,
            attachments: Vec::new(),
            delivery: self.delivery_status.map(|status| Delivery {
                status,
                error: self.delivery_error,
            }),
        }
    }
}

/// Messages (`m`) with their sender's name, as `MessageRow`s; the caller adds the conditions.
pub(super) const MESSAGE_SELECT: &str = "SELECT m.conversation_id AS conversation_id, m.seq AS seq,
        m.sender_kind AS sender_kind,
        CASE m.sender_kind
            WHEN 'contact' THEN (SELECT name FROM contacts WHERE id = c.contact_id)
            WHEN 'ai' THEN (SELECT name FROM workflows WHERE id = c.workflow_id)
            WHEN 'operator' THEN COALESCE((SELECT name FROM members WHERE id = m.sender_id), 'Operator')
            ELSE 'Switchboard' END AS sender_name,
        m.body AS body, m.internal AS internal, m.idempotency_key AS idempotency_key, m.created_at AS created_at,
        CASE WHEN m.sender_kind = 'operator' THEN m.sender_id END AS sender_id,
        m.delivery_status AS delivery_status, m.delivery_error AS delivery_error
    FROM messages m JOIN conversations c ON c.id = m.conversation_id";

/// A file sent with a message.
#[derive(sqlx::FromRow)]
struct FileRow {
    id: i64,
    message_seq: i64,
    file_name: String,
    content_type: String,
    size_bytes: i64,
    removed: bool,
}

dual! {
/// Fills in the files sent with these messages (all of one conversation, in order).
pub(in crate::store) async fn attach<'e, E>(executor: E, messages: &mut [MessageView]) -> Result<(), sqlx::Error>
where
    E: sqlx::Executor<'e, Database = Db>,
{
    let (Some(first), Some(last)) = (messages.first(), messages.last()) else {
        return Ok(());
    };
    let files: Vec<FileRow> = sqlx::query_as(
        "SELECT id, message_seq, file_name, content_type, size_bytes, removed_at IS NOT NULL AS removed FROM attachments
         WHERE conversation_id = $1 AND message_seq BETWEEN $2 AND $3 ORDER BY id",
    )
    .bind(first.conversation_id)
    .bind(first.seq.min(last.seq))
    .bind(first.seq.max(last.seq))
    .fetch_all(executor)
    .await?;
    for f in files {
        if let Some(m) = messages.iter_mut().find(|m| m.seq == f.message_seq) {
            m.attachments.push(app::conversation::AttachmentView {
                id: f.id,
                file_name: f.file_name,
                content_type: f.content_type,
                size_bytes: f.size_bytes,
                link: None,
                removed: f.removed,
            });
        }
    }
    Ok(())
}

/// One message with its files.
pub(in crate::store) async fn with_files(
    conn: &mut Conn,
    message: MessageView,
) -> Result<MessageView, sqlx::Error> {
    let mut found = [message];
    attach(conn, &mut found).await?;
    let [message] = found;
    Ok(message)
}
}

impl Store {
    /// Appends through the group commit (`commit.rs`): answered once its batch is committed.
    async fn append_one(&self, conversation_id: i64, m: &NewMessage<'_>) -> Result<Appended, Refusal> {
        self.committer.append(conversation_id, m).await
    }

    /// Stores a visitor's message. A resolved conversation reopens: to `waiting` when a person
    /// handles it, else `open`.
    pub async fn append_visitor_message(
        &self,
        conversation_id: i64,
        body: &str,
        key: &str,
        attachments: &[i64],
    ) -> Result<Appended, StoreError> {
        self.append_customer(conversation_id, body, Some(key), None, attachments)
            .await
    }

    /// A customer's message that came through a provider (an SMS, an e-mail), stored once
    /// however often the provider delivers `channel_message_id` (a repeat is `duplicate`).
    pub async fn append_provider_message(
        &self,
        conversation_id: i64,
        body: &str,
        channel_message_id: &str,
        attachments: &[i64],
    ) -> Result<Appended, StoreError> {
        self.append_customer(conversation_id, body, None, Some(channel_message_id), attachments)
            .await
    }

    async fn append_customer(
        &self,
        conversation_id: i64,
        body: &str,
        idempotency_key: Option<&str>,
        channel_message_id: Option<&str>,
        attachments: &[i64],
    ) -> Result<Appended, StoreError> {
        let m = NewMessage {
            sender_kind: SenderKind::Contact,
            sender_id: None,
            body,
            internal: false,
            idempotency_key,
            attachments,
            channel_message_id,
        };
        unguarded(self.append_one(conversation_id, &m).await)
    }

    /// Stores the assistant's reply only while the assistant still handles the conversation:
    /// the check and the insert are one statement on the single writer, so a takeover that
    /// committed first always wins.
    pub async fn append_ai_message(&self, conversation_id: i64, body: &str) -> Result<Appended, Refusal> {
        let m = NewMessage {
            sender_kind: SenderKind::Ai,
            sender_id: None,
            body,
            internal: false,
            idempotency_key: None,
            attachments: &[],
            channel_message_id: None,
        };
        self.append_one(conversation_id, &m).await
    }

    /// Stores an operator's reply, claiming the conversation for them if nobody holds it (the
    /// claim is the insert's: see `Appended::claimed`). The first operator to reply wins; the
    /// other is refused with the winner's name. A retried send gets what was stored then.
    pub async fn append_operator_message(
        &self,
        conversation_id: i64,
        member_id: i64,
        body: &str,
        key: &str,
        attachments: &[i64],
    ) -> Result<Appended, Refusal> {
        let m = NewMessage::by_operator(member_id, body, false, key, attachments);
        duplicate_is_fine(self.append_one(conversation_id, &m).await)
    }

    /// A note only the team sees, by an operator: it neither claims the conversation nor stops
    /// the assistant, and it never reaches the visitor or the channel.
    pub async fn append_note(
        &self,
        conversation_id: i64,
        member_id: i64,
        body: &str,
        key: &str,
        attachments: &[i64],
    ) -> Result<Appended, StoreError> {
        let m = NewMessage::by_operator(member_id, body, true, key, attachments);
        unguarded(self.append_one(conversation_id, &m).await)
    }

    /// A notice from Switchboard that the visitor sees (their place in the queue, say).
    pub async fn append_notice(&self, conversation_id: i64, body: &str) -> Result<Appended, StoreError> {
        unguarded(self.append_one(conversation_id, &NewMessage::system(body, false)).await)
    }

    /// A note only the team sees (the assistant failed, for instance).
    pub async fn append_internal_note(&self, conversation_id: i64, body: &str) -> Result<Appended, StoreError> {
        unguarded(self.append_one(conversation_id, &NewMessage::system(body, true)).await)
    }

    /// Messages after `after_seq`, oldest first; with `visitor`, internal ones are left out.
    pub async fn messages_after(
        &self,
        conversation_id: i64,
        after_seq: i64,
        visitor: bool,
        limit: i64,
    ) -> Result<Vec<MessageView>, StoreError> {
        on_db!(self.db, |read, write| {
            let rows: Vec<MessageRow> = sqlx::query_as(&format!(
            "{MESSAGE_SELECT} WHERE m.conversation_id = $1 AND m.seq > $2 AND ($3 = FALSE OR m.internal = FALSE) ORDER BY m.seq LIMIT $4"
        ))
        .bind(conversation_id)
        .bind(after_seq)
        .bind(visitor)
        .bind(limit)
        .fetch_all(read)
        .await?;
            self.messages_with_files(rows).await
        })
    }

    /// The latest `limit` messages, oldest first.
    pub async fn latest_messages(&self, conversation_id: i64, limit: i64) -> Result<Vec<MessageView>, StoreError> {
        self.messages_before(conversation_id, i64::MAX, limit).await
    }

    /// Up to `limit` messages before `before_seq`, oldest first: history in pages, newest first.
    pub async fn messages_before(
        &self,
        conversation_id: i64,
        before_seq: i64,
        limit: i64,
    ) -> Result<Vec<MessageView>, StoreError> {
        on_db!(self.db, |read, write| {
            let rows: Vec<MessageRow> = sqlx::query_as(&format!(
            "SELECT * FROM ({MESSAGE_SELECT} WHERE m.conversation_id = $1 AND m.seq < $2 ORDER BY m.seq DESC LIMIT $3) AS recent
             ORDER BY seq"
        ))
            .bind(conversation_id)
            .bind(before_seq)
            .bind(limit)
            .fetch_all(read)
            .await?;
            self.messages_with_files(rows).await
        })
    }

    /// The messages of these rows (all of one conversation, in order), with their files.
    async fn messages_with_files(&self, rows: Vec<MessageRow>) -> Result<Vec<MessageView>, StoreError> {
        on_db!(self.db, |read, write| {
            let mut messages: Vec<MessageView> = rows.into_iter().map(MessageRow::into_view).collect();
            side::attach(read, &mut messages).await?;
            Ok(messages)
        })
    }
}
