//! Appending one message on a connection or inside a write transaction: the lifecycle decides
//! what the message does to its conversation (or refuses it), a repeated idempotency key gives
//! back what was stored then, and the files the sender uploaded go with it. The group commit
//! (`commit.rs`) stores visitors', assistants' and operators' messages through here; the
//! conversation changes (`conversations.rs`, `routing.rs`) their notices.

use app::events::{MessageView, SenderKind};
use app::lifecycle::{DeliveryStatus, Status};

use crate::conversations::lifecycle::{self, Event, Refused, State};

use super::messages::{MessageRow, MESSAGE_SELECT};
use super::{now_ms, Returning, StoreError};

/// A message to append.
pub struct NewMessage<'a> {
    pub sender_kind: SenderKind,
    pub sender_id: Option<i64>,
    pub body: &'a str,
    pub internal: bool,
    pub idempotency_key: Option<&'a str>,
    /// Files this sender uploaded to the conversation beforehand.
    pub attachments: &'a [i64],
    /// The provider's id of a customer's message that came through one (SMS, e-mail): a
    /// second delivery of the same id stores nothing.
    pub channel_message_id: Option<&'a str>,
}

impl<'a> NewMessage<'a> {
    pub fn system(body: &'a str, internal: bool) -> Self {
        NewMessage {
            sender_kind: SenderKind::System,
            sender_id: None,
            body,
            internal,
            idempotency_key: None,
            attachments: &[],
            channel_message_id: None,
        }
    }

    /// An operator's reply to the customer or, `internal`, their note for the team.
    pub fn by_operator(member_id: i64, body: &'a str, internal: bool, key: &'a str, attachments: &'a [i64]) -> Self {
        NewMessage {
            sender_kind: SenderKind::Operator,
            sender_id: Some(member_id),
            body,
            internal,
            idempotency_key: Some(key),
            attachments,
            channel_message_id: None,
        }
    }
}

/// What a message append did.
#[derive(Debug, Clone)]
pub struct Appended {
    pub message: MessageView,
    /// The idempotency key was seen before: this is the message stored then.
    pub duplicate: bool,
    /// The conversation just before this message (`None` for a duplicate).
    pub before: Option<State>,
}

impl Appended {
    /// How the conversation stands after this message: the lifecycle's decision, which was
    /// stored with it.
    pub fn after(&self) -> Option<State> {
        let m = &self.message;
        lifecycle::decide(self.before?, Event::of_message(m.sender_kind, m.internal, m.sender_id)).ok()
    }

    /// An operator's reply that made the conversation theirs (it was nobody's, or the
    /// assistant's).
    pub fn claimed(&self) -> bool {
        let m = &self.message;
        match (self.before, self.after(), m.sender_id) {
            (Some(before), Some(after), Some(operator)) if m.sender_kind == SenderKind::Operator && !m.internal => {
                lifecycle::claimed(before, after, operator)
            }
            _ => false,
        }
    }
}

/// Why an append or a claim was refused.
#[derive(Debug)]
pub enum Refusal {
    /// The idempotency key was used before: the message stored then.
    Duplicate(Box<MessageView>),
    /// The conversation is handled by a person now; the assistant must stay quiet.
    NotAiHandled,
    /// Another operator holds the conversation.
    ClaimedBy(String),
    Store(StoreError),
}

impl From<sqlx::Error> for Refusal {
    fn from(e: sqlx::Error) -> Self {
        Refusal::Store(StoreError::Database(e))
    }
}

impl From<StoreError> for Refusal {
    fn from(e: StoreError) -> Self {
        Refusal::Store(e)
    }
}

/// Stores a message numbered after the conversation's last. The RETURNING clause gives the
/// stored message with its sender's name (a `MessageRow`).
pub(super) const INSERT_MESSAGE: &str = "INSERT INTO messages
        (workspace_id, conversation_id, seq, sender_kind, sender_id, body, internal, idempotency_key, created_at,
         channel_message_id, delivery_status, deliver_after)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, CASE WHEN $11 IS NOT NULL THEN $9 END)
    ON CONFLICT (workspace_id, channel_message_id) WHERE channel_message_id IS NOT NULL DO NOTHING
    RETURNING conversation_id, seq, sender_kind,
        CASE sender_kind
            WHEN 'contact' THEN (SELECT ct.name FROM contacts ct JOIN conversations cv ON cv.contact_id = ct.id
                                 WHERE cv.id = messages.conversation_id)
            WHEN 'ai' THEN (SELECT w.name FROM workflows w JOIN conversations cv ON cv.workflow_id = w.id
                            WHERE cv.id = messages.conversation_id)
            WHEN 'operator' THEN COALESCE((SELECT name FROM members WHERE id = messages.sender_id), 'Operator')
            ELSE 'Switchboard' END AS sender_name,
        body, internal, idempotency_key, created_at,
        CASE WHEN sender_kind = 'operator' THEN sender_id END AS sender_id, delivery_status, delivery_error";

/// How the conversation moves for a stored message: the UPDATE's text (what it assigns depends
/// on the change) and the two flags it binds. Its parameters: `$1` the conversation, `$2` the
/// message's number, `$3` its time, `$4` status, `$5` handler, `$6` first human reply, `$7` the
/// assignee, `$8` whether a snooze ends.
pub(super) struct Move {
    pub sql: String,
    pub first_human_reply: bool,
    pub ends_snooze: bool,
}

impl Move {
    pub(super) fn new(event: Event, before: State, after: State) -> Move {
        // The first reply a customer gets from a person, on an open conversation.
        let first_human_reply = matches!(event, Event::OperatorReply { .. }) && before.status != Status::Resolved;
        let assign = if after.assignee != before.assignee {
            ", assignee_id = $7"
        } else {
            ""
        };
        // The customer waits from their first message a person has not answered yet.
        let waiting = match event {
            Event::CustomerMessage => ", waiting_since = COALESCE(waiting_since, $3)",
            Event::OperatorReply { .. } => ", waiting_since = NULL",
            _ => "",
        };
        Move {
            sql: format!(
                "UPDATE conversations SET last_seq = $2, last_activity_at = $3, status = $4, handler = $5,
                    resolved_at = CASE WHEN $4 = 'resolved' THEN resolved_at END,
                    resolved_by = CASE WHEN $4 = 'resolved' THEN resolved_by END,
                    snoozed_until = CASE WHEN $8 THEN NULL ELSE snoozed_until END,
                    first_human_reply_at = CASE WHEN $6 THEN COALESCE(first_human_reply_at, $3) ELSE first_human_reply_at END
                    {assign}{waiting}
                 WHERE id = $1"
            ),
            first_human_reply,
            // The customer writing ends a snooze.
            ends_snooze: matches!(event, Event::CustomerMessage),
        }
    }
}

/// Finds a sender's earlier message with the same idempotency key (`m`): `$1` the conversation,
/// `$2` the number after which to look, `$3` the key, `$4` the sender's kind, `$5` their id.
pub(super) const REPEAT_CONDITION: &str = "m.conversation_id = $1 AND m.seq > $2 AND m.idempotency_key = $3
    AND m.sender_kind = $4 AND COALESCE(m.sender_id, 0) = COALESCE($5, 0)";

dual! {
/// Moves the conversation for a stored message: its last sequence number and activity time,
/// where the lifecycle says it stands now, and since when the customer has waited for a person.
/// `assignee_id` is assigned only when it changes (SQLite rewrites an index entry whenever its
/// column is assigned, even to the same value).
pub(in crate::store) async fn move_for_message(
    conn: &mut Conn,
    message: &MessageView,
    event: Event,
    before: State,
    after: State,
) -> Result<(), sqlx::Error> {
    let moved = Move::new(event, before, after);
    sqlx::query(&moved.sql)
    .bind(message.conversation_id)
    .bind(message.seq)
    .bind(message.created_at)
    .bind(after.status)
    .bind(after.handler)
    .bind(moved.first_human_reply)
    .bind(after.assignee)
    .bind(moved.ends_snooze)
    .execute(&mut *conn)
    .await?;
    // An operator's own message (reply or note) reads the conversation for them.
    if let (SenderKind::Operator, Some(member)) = (message.sender_kind, message.sender_id) {
        inbox::mark_read_on(conn, member, message.conversation_id, message.seq).await?;
    }
    Ok(())
}

/// Appends on a connection (inside a transaction when the caller has one): the lifecycle
/// decides what the message does to the conversation, or refuses it (the assistant answering
/// a conversation a person handles, an operator replying to one another holds). A repeated key
/// returns the message stored then.
pub(in crate::store) async fn store_message(
    conn: &mut Conn,
    conversation_id: i64,
    m: &NewMessage<'_>,
) -> Result<Appended, Refusal> {
    // Messages to one conversation are numbered one after another: the next waits here.
    let found = conversations::standing_held(&mut *conn, conversation_id)
        .await?
        .ok_or(StoreError::NotFound)?;
    // A retry gets what was stored then, whatever happened since.
    if let Some(earlier) = repeat_of(conn, conversation_id, found.last_seq, m).await? {
        return Err(Refusal::Duplicate(Box::new(earlier)));
    }
    let before = found.state();
    let event = Event::of_message(m.sender_kind, m.internal, m.sender_id);
    let after = match lifecycle::decide(before, event) {
        Ok(after) => after,
        Err(refused) => return Err(why_not_stored(conn, refused).await),
    };
    // A reply to a customer on a provider's channel waits for the sender task (`outbox.rs`).
    // Whatever the customer sees goes: the assistant's and operators' replies and Switchboard's
    // notices to them (the handoff message, "… joined the conversation").
    let outbound = m.sender_kind != SenderKind::Contact && !m.internal;
    let delivery = (outbound && found.channel_kind.through_provider()).then_some(DeliveryStatus::Pending);
    let row: Option<MessageRow> = sqlx::query_as(INSERT_MESSAGE)
        .bind(found.workspace_id)
        .bind(conversation_id)
        .bind(found.last_seq + 1)
        .bind(m.sender_kind)
        .bind(m.sender_id)
        .bind(m.body)
        .bind(m.internal)
        .bind(m.idempotency_key)
        .bind(now_ms())
        .bind(m.channel_message_id)
        .bind(delivery)
        .fetch_written_optional(&mut *conn)
        .await?;
    let Some(row) = row else {
        // The provider delivered this message before: nothing was inserted.
        let earlier = by_channel_message_id(conn, found.workspace_id, m.channel_message_id.unwrap_or_default())
            .await?
            .ok_or(StoreError::NotFound)?;
        return Err(Refusal::Duplicate(Box::new(earlier)));
    };
    let mut message = row.into_view();
    move_for_message(conn, &message, event, before, after).await?;
    if found.wants_messages {
        webhooks::enqueue_message(&mut *conn, conversation_id, message.seq).await?;
    }
    webhooks::enqueue_changes(&mut *conn, conversation_id, before, after).await?;
    if !m.attachments.is_empty() {
        bind_attachments(conn, conversation_id, m, message.seq).await?;
        message = messages::with_files(conn, message).await?;
    }
    Ok(Appended {
        message,
        duplicate: false,
        before: Some(before),
    })
}

/// Files the sender uploaded to the conversation go with the message at `seq`.
pub(in crate::store) async fn bind_attachments(
    conn: &mut Conn,
    conversation_id: i64,
    m: &NewMessage<'_>,
    seq: i64,
) -> Result<(), Refusal> {
    let uploader = match m.sender_kind {
        SenderKind::Contact => "contact",
        _ => "operator",
    };
    for id in m.attachments {
        let bound = sqlx::query(
            "UPDATE attachments SET message_seq = $3 WHERE id = $1 AND conversation_id = $2 AND message_seq IS NULL
             AND uploaded_by = $4
             AND uploader_id = CASE WHEN $4 = 'contact' THEN (SELECT contact_id FROM conversations WHERE id = $2) ELSE $5 END",
        )
        .bind(id)
        .bind(conversation_id)
        .bind(seq)
        .bind(uploader)
        .bind(m.sender_id)
        .execute(&mut *conn)
        .await?;
        if bound.rows_affected() == 0 {
            return Err(Refusal::Store(StoreError::NotFound));
        }
    }
    Ok(())
}

/// The message this sender stored earlier with the same idempotency key, among the
/// conversation's last [`REPEAT_WINDOW`] messages (read through the `(conversation, seq)`
/// index; inside a transaction it sees the batch's own messages).
pub(in crate::store) async fn repeat_of(
    conn: &mut Conn,
    conversation_id: i64,
    last_seq: i64,
    m: &NewMessage<'_>,
) -> Result<Option<MessageView>, sqlx::Error> {
    let Some(key) = m.idempotency_key else {
        return Ok(None);
    };
    let existing: Option<MessageRow> = sqlx::query_as(&format!("{MESSAGE_SELECT} WHERE {REPEAT_CONDITION}"))
    .bind(conversation_id)
    .bind(last_seq - REPEAT_WINDOW)
    .bind(key)
    .bind(m.sender_kind)
    .bind(m.sender_id)
    .fetch_optional(&mut *conn)
    .await?;
    match existing {
        Some(row) => Ok(Some(messages::with_files(conn, row.into_view()).await?)),
        None => Ok(None),
    }
}

/// The message stored with a provider's id in the workspace.
pub(in crate::store) async fn by_channel_message_id(
    conn: &mut Conn,
    workspace_id: i64,
    channel_message_id: &str,
) -> Result<Option<MessageView>, sqlx::Error> {
    let row: Option<MessageRow> = sqlx::query_as(&format!(
        "{MESSAGE_SELECT} WHERE m.workspace_id = $1 AND m.channel_message_id = $2"
    ))
    .bind(workspace_id)
    .bind(channel_message_id)
    .fetch_optional(&mut *conn)
    .await?;
    match row {
        Some(row) => Ok(Some(messages::with_files(conn, row.into_view()).await?)),
        None => Ok(None),
    }
}

/// Why the lifecycle refused the message.
pub(in crate::store) async fn why_not_stored(conn: &mut Conn, refused: Refused) -> Refusal {
    match refused {
        Refused::PersonHandles => Refusal::NotAiHandled,
        Refused::HeldBy(other) => match conversations::member_name(conn, other).await {
            Ok(name) => Refusal::ClaimedBy(name),
            Err(e) => Refusal::Store(StoreError::Database(e)),
        },
    }
}

/// Appends a message the lifecycle never refuses (notices and the like), on a connection or in
/// a transaction; for other storage modules inside their open transaction.
pub(in crate::store) async fn append(
    conn: &mut Conn,
    conversation_id: i64,
    m: &NewMessage<'_>,
) -> Result<Appended, StoreError> {
    unguarded(store_message(conn, conversation_id, m).await)
}
}

/// How far back a repeated idempotency key is recognised: among the conversation's last this
/// many messages. A retry (a widget or console resending what was not acknowledged before it
/// reconnected, an integration retrying a request) comes within a few messages; looking only
/// this far lets the key go without an index of its own, one B-tree fewer written for every
/// message (see BENCHMARKS.md, pages per message).
pub const REPEAT_WINDOW: i64 = 100;

/// A repeated idempotency key is not an error: the message stored then comes back.
pub(super) fn duplicate_is_fine(r: Result<Appended, Refusal>) -> Result<Appended, Refusal> {
    match r {
        Err(Refusal::Duplicate(message)) => Ok(Appended {
            message: *message,
            duplicate: true,
            before: None,
        }),
        other => other,
    }
}

/// The outcome of an append that cannot be refused: only storage errors remain.
pub(super) fn unguarded(r: Result<Appended, Refusal>) -> Result<Appended, StoreError> {
    match duplicate_is_fine(r) {
        Ok(a) => Ok(a),
        Err(Refusal::Store(e)) => Err(e),
        Err(_) => Err(StoreError::NotFound),
    }
}
