//! Channels, contacts, conversations and messages. Every change that adds a message runs in
//! one write transaction that also moves the conversation's sequence number, so a message is
//! stored with its place before anyone can be told of it, and claims are atomic.

use app::events::{MessageView, SenderKind};
use app::lifecycle::{ChannelKind, Handler, HandoffMode, Status};

use crate::conversations::lifecycle::{self, Event, Refused, State};

use super::{now_ms, Returning, Store, StoreError};

#[derive(Debug, Clone)]
pub struct ChannelRecord {
    pub id: i64,
    pub workspace_id: i64,
    pub workflow_id: i64,
    pub kind: ChannelKind,
    pub name: String,
    pub colour: String,
    pub public_key: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConversationRecord {
    pub id: i64,
    pub workspace_id: i64,
    pub channel_id: i64,
    pub workflow_id: i64,
    pub contact_id: i64,
    pub status: Status,
    pub handler: Handler,
    pub assignee_id: Option<i64>,
    pub human_requests: i64,
    pub last_seq: i64,
}

/// The workflow settings the assistant, escalation and routing need.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct WorkflowRecord {
    pub id: i64,
    pub workspace_id: i64,
    pub name: String,
    pub handoff_mode: HandoffMode,
    pub escalation_threshold: i64,
    pub escalate_on_frustration: bool,
    pub handoff_message: String,
    pub greeting: String,
    pub fallback_answer: String,
    pub ai_provider: String,
    pub openai_base_url: Option<String>,
    pub openai_model: Option<String>,
    pub openai_api_key: Option<String>,
    pub ai_timeout_secs: i64,
    #[sqlx(skip)]
    pub answers: Vec<(String, String)>,
    pub live_routing: bool,
    pub routing_mode: String,
    pub accept_timeout_secs: i64,
    pub requires_qualification: bool,
    pub practice_script: String,
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

type ConversationRow = (i64, i64, i64, i64, i64, Status, Handler, Option<i64>, i64, i64);

const CONVERSATION_COLUMNS: &str =
    "id, workspace_id, channel_id, workflow_id, contact_id, status, handler, assignee_id, human_requests, last_seq";

fn conversation(row: ConversationRow) -> ConversationRecord {
    let (id, workspace_id, channel_id, workflow_id, contact_id, status, handler, assignee_id, human_requests, last_seq) =
        row;
    ConversationRecord {
        id,
        workspace_id,
        channel_id,
        workflow_id,
        contact_id,
        status,
        handler,
        assignee_id,
        human_requests,
        last_seq,
    }
}

type MessageRow = (i64, i64, String, String, String, bool, Option<String>, i64, Option<i64>);

const MESSAGE_SELECT: &str = "SELECT m.conversation_id, m.seq, m.sender_kind,
        CASE m.sender_kind
            WHEN 'contact' THEN (SELECT name FROM contacts WHERE id = c.contact_id)
            WHEN 'ai' THEN (SELECT name FROM workflows WHERE id = c.workflow_id)
            WHEN 'operator' THEN COALESCE((SELECT name FROM members WHERE id = m.sender_id), 'Operator')
            ELSE 'Switchboard' END,
        m.body, m.internal, m.idempotency_key, m.created_at,
        CASE WHEN m.sender_kind = 'operator' THEN m.sender_id END
    FROM messages m JOIN conversations c ON c.id = m.conversation_id";

fn message(row: MessageRow) -> MessageView {
    let (conversation_id, seq, kind, sender_name, body, internal, idempotency_key, created_at, sender_id) = row;
    MessageView {
        conversation_id,
        seq,
        sender_kind: SenderKind::parse(&kind).unwrap_or(SenderKind::System),
        sender_name,
        body,
        internal,
        idempotency_key,
        created_at,
        sender_id,
        attachments: Vec::new(),
    }
}

/// Fills in the files sent with these messages (all of one conversation, in order).
async fn attach<'e, E>(executor: E, messages: &mut [MessageView]) -> Result<(), sqlx::Error>
where
    E: sqlx::Executor<'e, Database = sqlx::Sqlite>,
{
    let (Some(first), Some(last)) = (messages.first(), messages.last()) else {
        return Ok(());
    };
    let rows: Vec<(i64, i64, String, String, i64)> = sqlx::query_as(
        "SELECT id, message_seq, file_name, content_type, size_bytes FROM attachments
         WHERE conversation_id = $1 AND message_seq BETWEEN $2 AND $3 ORDER BY id",
    )
    .bind(first.conversation_id)
    .bind(first.seq.min(last.seq))
    .bind(first.seq.max(last.seq))
    .fetch_all(executor)
    .await?;
    for (id, seq, file_name, content_type, size_bytes) in rows {
        if let Some(m) = messages.iter_mut().find(|m| m.seq == seq) {
            m.attachments.push(app::conversation::AttachmentView {
                id,
                file_name,
                content_type,
                size_bytes,
            });
        }
    }
    Ok(())
}

/// A message to append.
pub struct NewMessage<'a> {
    pub sender_kind: SenderKind,
    pub sender_id: Option<i64>,
    pub body: &'a str,
    pub internal: bool,
    pub idempotency_key: Option<&'a str>,
    /// Files this sender uploaded to the conversation beforehand.
    pub attachments: &'a [i64],
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
        }
    }
}

type Tx<'c> = sqlx::Transaction<'c, sqlx::Sqlite>;

/// Stores a message numbered after the conversation's last. The RETURNING clause gives the
/// stored message with its sender's name.
const INSERT_MESSAGE: &str = "INSERT INTO messages
        (workspace_id, conversation_id, seq, sender_kind, sender_id, body, internal, idempotency_key, created_at)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
    RETURNING conversation_id, seq, sender_kind,
        CASE sender_kind
            WHEN 'contact' THEN (SELECT ct.name FROM contacts ct JOIN conversations cv ON cv.contact_id = ct.id
                                 WHERE cv.id = messages.conversation_id)
            WHEN 'ai' THEN (SELECT w.name FROM workflows w JOIN conversations cv ON cv.workflow_id = w.id
                            WHERE cv.id = messages.conversation_id)
            WHEN 'operator' THEN COALESCE((SELECT name FROM members WHERE id = messages.sender_id), 'Operator')
            ELSE 'Switchboard' END AS sender_name,
        body, internal, idempotency_key, created_at,
        CASE WHEN sender_kind = 'operator' THEN sender_id END AS sender_id";

#[derive(sqlx::FromRow)]
struct Inserted {
    conversation_id: i64,
    seq: i64,
    sender_kind: SenderKind,
    sender_name: String,
    body: String,
    internal: bool,
    idempotency_key: Option<String>,
    created_at: i64,
    sender_id: Option<i64>,
}

/// The conversation as a message finds it.
#[derive(sqlx::FromRow)]
struct Before {
    workspace_id: i64,
    last_seq: i64,
    status: Status,
    handler: Handler,
    assignee_id: Option<i64>,
    escalated: bool,
}

impl Before {
    fn state(&self) -> State {
        State {
            status: self.status,
            handler: self.handler,
            assignee: self.assignee_id,
            escalated: self.escalated,
        }
    }
}

/// Moves the conversation for a stored message: its last sequence number and activity time,
/// and where the lifecycle says it stands now. `assignee_id` is assigned only when it changes
/// (SQLite rewrites an index entry whenever its column is assigned, even to the same value).
async fn move_for_message(
    conn: &mut sqlx::SqliteConnection,
    message: &MessageView,
    event: Event,
    before: State,
    after: State,
) -> Result<(), sqlx::Error> {
    // The first reply a customer gets from a person, on an open conversation.
    let first_human_reply = matches!(event, Event::OperatorReply { .. }) && before.status != Status::Resolved;
    let assign = if after.assignee != before.assignee {
        ", assignee_id = $7"
    } else {
        ""
    };
    sqlx::query(&format!(
        "UPDATE conversations SET last_seq = $2, last_activity_at = $3, status = $4, handler = $5,
            resolved_at = CASE WHEN $4 = 'resolved' THEN resolved_at END,
            first_human_reply_at = CASE WHEN $6 THEN COALESCE(first_human_reply_at, $3) ELSE first_human_reply_at END
            {assign}
         WHERE id = $1"
    ))
    .bind(message.conversation_id)
    .bind(message.seq)
    .bind(message.created_at)
    .bind(after.status)
    .bind(after.handler)
    .bind(first_human_reply)
    .bind(after.assignee)
    .execute(&mut *conn)
    .await?;
    // An operator's own message (reply or note) reads the conversation for them.
    if let (SenderKind::Operator, Some(member)) = (message.sender_kind, message.sender_id) {
        sqlx::query(
            "INSERT INTO read_markers (member_id, conversation_id, last_read_seq) VALUES ($1, $2, $3)
             ON CONFLICT (member_id, conversation_id) DO UPDATE SET last_read_seq = MAX(last_read_seq, excluded.last_read_seq)",
        )
        .bind(member)
        .bind(message.conversation_id)
        .bind(message.seq)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// Appends on a connection (inside a transaction when the caller has one): the lifecycle
/// decides what the message does to the conversation, or refuses it (the assistant answering
/// a conversation a person handles, an operator replying to one another holds). A repeated key
/// returns the message stored then.
pub(super) async fn store_message(
    conn: &mut sqlx::SqliteConnection,
    conversation_id: i64,
    m: &NewMessage<'_>,
) -> Result<Appended, Refusal> {
    let found: Option<Before> = sqlx::query_as(
        "SELECT workspace_id, last_seq, status, handler, assignee_id, escalated_at IS NOT NULL AS escalated
         FROM conversations WHERE id = $1",
    )
    .bind(conversation_id)
    .fetch_optional(&mut *conn)
    .await?;
    let found = found.ok_or(StoreError::NotFound)?;
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
    let r: Inserted = sqlx::query_as(INSERT_MESSAGE)
        .bind(found.workspace_id)
        .bind(conversation_id)
        .bind(found.last_seq + 1)
        .bind(m.sender_kind)
        .bind(m.sender_id)
        .bind(m.body)
        .bind(m.internal)
        .bind(m.idempotency_key)
        .bind(now_ms())
        .fetch_written(&mut *conn)
        .await?;
    let mut message = MessageView {
        conversation_id: r.conversation_id,
        seq: r.seq,
        sender_kind: r.sender_kind,
        sender_name: r.sender_name,
        body: r.body,
        internal: r.internal,
        idempotency_key: r.idempotency_key,
        created_at: r.created_at,
        sender_id: r.sender_id,
        attachments: Vec::new(),
    };
    move_for_message(conn, &message, event, before, after).await?;
    if !m.attachments.is_empty() {
        bind_attachments(conn, conversation_id, m, r.seq).await?;
        let mut found = [message];
        attach(&mut *conn, &mut found).await?;
        let [with_files] = found;
        message = with_files;
    }
    Ok(Appended {
        message,
        duplicate: false,
        before: Some(before),
    })
}

/// Files the sender uploaded to the conversation go with the message at `seq`.
async fn bind_attachments(
    conn: &mut sqlx::SqliteConnection,
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

/// How far back a repeated idempotency key is recognised: among the conversation's last this
/// many messages. A retry (a widget or console resending what was not acknowledged before it
/// reconnected, an integration retrying a request) comes within a few messages; looking only
/// this far lets the key go without an index of its own, one B-tree fewer written for every
/// message (see BENCHMARKS.md, pages per message).
pub const REPEAT_WINDOW: i64 = 100;

/// The message this sender stored earlier with the same idempotency key, among the
/// conversation's last [`REPEAT_WINDOW`] messages (read through the `(conversation, seq)`
/// index; inside a transaction it sees the batch's own messages).
async fn repeat_of(
    conn: &mut sqlx::SqliteConnection,
    conversation_id: i64,
    last_seq: i64,
    m: &NewMessage<'_>,
) -> Result<Option<MessageView>, sqlx::Error> {
    let Some(key) = m.idempotency_key else {
        return Ok(None);
    };
    let existing: Option<MessageRow> = sqlx::query_as(&format!(
        "{MESSAGE_SELECT} WHERE m.conversation_id = $1 AND m.seq > $2 AND m.idempotency_key = $3
           AND m.sender_kind = $4 AND COALESCE(m.sender_id, 0) = COALESCE($5, 0)"
    ))
    .bind(conversation_id)
    .bind(last_seq - REPEAT_WINDOW)
    .bind(key)
    .bind(m.sender_kind)
    .bind(m.sender_id)
    .fetch_optional(&mut *conn)
    .await?;
    let Some(row) = existing else {
        return Ok(None);
    };
    let mut found = [message(row)];
    attach(&mut *conn, &mut found).await?;
    let [message] = found;
    Ok(Some(message))
}

/// Why the lifecycle refused the message.
async fn why_not_stored(conn: &mut sqlx::SqliteConnection, refused: Refused) -> Refusal {
    match refused {
        Refused::PersonHandles => Refusal::NotAiHandled,
        Refused::HeldBy(other) => match member_name_on(conn, other).await {
            Ok(name) => Refusal::ClaimedBy(name),
            Err(e) => Refusal::Store(StoreError::Database(e)),
        },
    }
}

/// The outcome of an event that cannot be refused (only storage can fail).
pub(super) fn decided(r: Result<(State, State), Refusal>) -> Result<(State, State), StoreError> {
    r.map_err(|refusal| match refusal {
        Refusal::Store(e) => e,
        _ => StoreError::NotFound,
    })
}

/// Appends a message the lifecycle never refuses (notices and the like), on a connection or in
/// a transaction.
async fn append(
    conn: &mut sqlx::SqliteConnection,
    conversation_id: i64,
    m: &NewMessage<'_>,
) -> Result<Appended, StoreError> {
    unguarded(store_message(conn, conversation_id, m).await)
}

/// A repeated idempotency key is not an error: the message stored then comes back.
fn duplicate_is_fine(r: Result<Appended, Refusal>) -> Result<Appended, Refusal> {
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
fn unguarded(r: Result<Appended, Refusal>) -> Result<Appended, StoreError> {
    match duplicate_is_fine(r) {
        Ok(a) => Ok(a),
        Err(Refusal::Store(e)) => Err(e),
        Err(_) => Err(StoreError::NotFound),
    }
}

/// Appends inside an open transaction (for other storage modules).
pub(super) async fn append_in(
    tx: &mut Tx<'_>,
    conversation_id: i64,
    m: &NewMessage<'_>,
) -> Result<Appended, StoreError> {
    append(tx, conversation_id, m).await
}

/// Records that the member has read the conversation up to `seq` (never moving backwards).
pub(super) async fn mark_read(
    tx: &mut Tx<'_>,
    member_id: i64,
    conversation_id: i64,
    seq: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO read_markers (member_id, conversation_id, last_read_seq) VALUES ($1, $2, $3)
         ON CONFLICT (member_id, conversation_id) DO UPDATE SET last_read_seq = MAX(last_read_seq, excluded.last_read_seq)",
    )
    .bind(member_id)
    .bind(conversation_id)
    .bind(seq)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

async fn member_name(tx: &mut Tx<'_>, member_id: i64) -> Result<String, sqlx::Error> {
    member_name_on(tx, member_id).await
}

async fn member_name_on(conn: &mut sqlx::SqliteConnection, member_id: i64) -> Result<String, sqlx::Error> {
    let row: Option<(String,)> = sqlx::query_as("SELECT name FROM members WHERE id = $1")
        .bind(member_id)
        .fetch_optional(conn)
        .await?;
    Ok(row.map(|r| r.0).unwrap_or_else(|| "another operator".into()))
}

/// Where the conversation stands, as the lifecycle sees it.
async fn state_of<'e, E>(executor: E, conversation_id: i64) -> Result<Option<State>, sqlx::Error>
where
    E: sqlx::Executor<'e, Database = sqlx::Sqlite>,
{
    let row: Option<(Status, Handler, Option<i64>, bool)> = sqlx::query_as(
        "SELECT status, handler, assignee_id, escalated_at IS NOT NULL FROM conversations WHERE id = $1",
    )
    .bind(conversation_id)
    .fetch_optional(executor)
    .await?;
    Ok(row.map(|(status, handler, assignee, escalated)| State {
        status,
        handler,
        assignee,
        escalated,
    }))
}

/// Reads the conversation's state, asks the lifecycle what `event` makes of it, and writes
/// that with one compare-and-set UPDATE (it must still stand as it was read). Gives the state
/// before and after; a refused event writes nothing.
pub(super) async fn apply(tx: &mut Tx<'_>, conversation_id: i64, event: Event) -> Result<(State, State), Refusal> {
    let before = state_of(&mut **tx, conversation_id)
        .await?
        .ok_or(StoreError::NotFound)?;
    let after = match lifecycle::decide(before, event) {
        Ok(after) => after,
        Err(Refused::PersonHandles) => return Err(Refusal::NotAiHandled),
        Err(Refused::HeldBy(other)) => return Err(Refusal::ClaimedBy(member_name(tx, other).await?)),
    };
    if after == before {
        return Ok((before, after));
    }
    let done = sqlx::query(
        "UPDATE conversations SET status = $5, handler = $6, assignee_id = $7,
            escalated_at = CASE WHEN $8 THEN COALESCE(escalated_at, $9) END,
            resolved_at = CASE WHEN $5 = 'resolved' THEN COALESCE(resolved_at, $9) END
         WHERE id = $1 AND status = $2 AND handler = $3 AND assignee_id IS $4",
    )
    .bind(conversation_id)
    .bind(before.status)
    .bind(before.handler)
    .bind(before.assignee)
    .bind(after.status)
    .bind(after.handler)
    .bind(after.assignee)
    .bind(after.escalated)
    .bind(now_ms())
    .execute(&mut **tx)
    .await?;
    if done.rows_affected() == 0 {
        // Only the single writer changes conversations, inside this transaction: this is a bug.
        return Err(Refusal::Store(StoreError::Database(sqlx::Error::Protocol(format!(
            "conversation {conversation_id} changed while a decision was applied"
        )))));
    }
    Ok((before, after))
}

impl Store {
    /// Where the conversation stands, as the lifecycle sees it.
    pub async fn lifecycle_state(&self, conversation_id: i64) -> Result<Option<State>, StoreError> {
        Ok(state_of(&self.read, conversation_id).await?)
    }

    pub async fn channel_by_key(&self, key: &str) -> Result<Option<ChannelRecord>, StoreError> {
        let row: Option<(i64, i64, i64, ChannelKind, String, String, String)> = sqlx::query_as(
            "SELECT id, workspace_id, workflow_id, kind, name, colour, public_key FROM channels WHERE public_key = $1",
        )
        .bind(key)
        .fetch_optional(&self.read)
        .await?;
        Ok(row.map(
            |(id, workspace_id, workflow_id, kind, name, colour, public_key)| ChannelRecord {
                id,
                workspace_id,
                workflow_id,
                kind,
                name,
                colour,
                public_key,
            },
        ))
    }

    pub async fn channel(&self, id: i64) -> Result<Option<ChannelRecord>, StoreError> {
        let row: Option<(String,)> = sqlx::query_as("SELECT public_key FROM channels WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.read)
            .await?;
        match row {
            Some((key,)) => self.channel_by_key(&key).await,
            None => Ok(None),
        }
    }

    pub async fn create_channel(
        &self,
        workspace_id: i64,
        workflow_id: i64,
        kind: &str,
        name: &str,
        colour: &str,
        public_key: &str,
    ) -> Result<i64, StoreError> {
        let row: (i64,) = sqlx::query_as(
            "INSERT INTO channels (workspace_id, workflow_id, kind, name, colour, public_key, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
        )
        .bind(workspace_id)
        .bind(workflow_id)
        .bind(kind)
        .bind(name)
        .bind(colour)
        .bind(public_key)
        .bind(now_ms())
        .fetch_written(&self.write)
        .await
        .map_err(super::unique_as("A channel with that key"))?;
        Ok(row.0)
    }

    pub async fn workflow(&self, id: i64) -> Result<Option<WorkflowRecord>, StoreError> {
        let row: Option<WorkflowRecord> = sqlx::query_as(
            "SELECT id, workspace_id, name, handoff_mode, escalation_threshold, escalate_on_frustration, handoff_message,
                    greeting, fallback_answer, ai_provider, openai_base_url, openai_model, openai_api_key, ai_timeout_secs,
                    live_routing, routing_mode, accept_timeout_secs, requires_qualification, practice_script
             FROM workflows WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(&self.read)
        .await?;
        let Some(mut workflow) = row else { return Ok(None) };
        workflow.answers =
            sqlx::query_as("SELECT question, answer FROM workflow_answers WHERE workflow_id = $1 ORDER BY id")
                .bind(id)
                .fetch_all(&self.read)
                .await?;
        Ok(Some(workflow))
    }

    /// The built-in assistant's pairs with their ids.
    pub async fn workflow_answers(&self, workflow_id: i64) -> Result<Vec<(i64, String, String)>, StoreError> {
        Ok(
            sqlx::query_as("SELECT id, question, answer FROM workflow_answers WHERE workflow_id = $1 ORDER BY id")
                .bind(workflow_id)
                .fetch_all(&self.read)
                .await?,
        )
    }

    pub async fn delete_workflow_answer(&self, workflow_id: i64, answer_id: i64) -> Result<(), StoreError> {
        let done = sqlx::query("DELETE FROM workflow_answers WHERE id = $2 AND workflow_id = $1")
            .bind(workflow_id)
            .bind(answer_id)
            .execute(&self.write)
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    /// Saves a workflow's settings. `api_key`: `None` keeps the stored key, `Some("")`
    /// removes it, anything else replaces it.
    pub async fn update_workflow(
        &self,
        s: &app::workflows::WorkflowSettings,
        api_key: Option<&str>,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE workflows SET name = $2, live_routing = $3, handoff_mode = $4, escalation_threshold = $5,
                escalate_on_frustration = $6, handoff_message = $7, greeting = $8, fallback_answer = $9, routing_mode = $10,
                accept_timeout_secs = $11, requires_qualification = $12, ai_provider = $13, openai_base_url = $14,
                openai_model = $15, ai_timeout_secs = $16,
                openai_api_key = CASE WHEN $17 IS NULL THEN openai_api_key WHEN $17 = '' THEN NULL ELSE $17 END,
                practice_script = $18
             WHERE id = $1",
        )
        .bind(s.id)
        .bind(&s.name)
        .bind(s.live_routing)
        .bind(&s.handoff_mode)
        .bind(s.escalation_threshold)
        .bind(s.escalate_on_frustration)
        .bind(&s.handoff_message)
        .bind(&s.greeting)
        .bind(&s.fallback_answer)
        .bind(&s.routing_mode)
        .bind(s.accept_timeout_secs)
        .bind(s.requires_qualification)
        .bind(&s.ai_provider)
        .bind(&s.openai_base_url)
        .bind(&s.openai_model)
        .bind(s.ai_timeout_secs)
        .bind(api_key)
        .bind(&s.practice_script)
        .execute(&self.write)
        .await
        .map_err(super::unique_as("A workflow with that name"))?;
        Ok(())
    }

    /// Sets how a workflow routes to people.
    pub async fn set_workflow_routing(
        &self,
        workflow_id: i64,
        live_routing: bool,
        mode: &str,
        accept_timeout_secs: i64,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE workflows SET live_routing = $2, routing_mode = $3, accept_timeout_secs = $4 WHERE id = $1",
        )
        .bind(workflow_id)
        .bind(live_routing)
        .bind(mode)
        .bind(accept_timeout_secs)
        .execute(&self.write)
        .await?;
        Ok(())
    }

    pub async fn add_workflow_answer(&self, workflow_id: i64, question: &str, answer: &str) -> Result<(), StoreError> {
        sqlx::query("INSERT INTO workflow_answers (workflow_id, question, answer) VALUES ($1, $2, $3)")
            .bind(workflow_id)
            .bind(question)
            .bind(answer)
            .execute(&self.write)
            .await?;
        Ok(())
    }

    /// Sets how a workflow hands off and which provider answers for it.
    pub async fn set_workflow_handoff(
        &self,
        workflow_id: i64,
        mode: &str,
        threshold: i64,
        message: &str,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE workflows SET handoff_mode = $2, escalation_threshold = $3, handoff_message = $4 WHERE id = $1",
        )
        .bind(workflow_id)
        .bind(mode)
        .bind(threshold)
        .bind(message)
        .execute(&self.write)
        .await?;
        Ok(())
    }

    pub async fn set_workflow_provider(
        &self,
        workflow_id: i64,
        provider: &str,
        base_url: Option<&str>,
        model: Option<&str>,
        api_key: Option<&str>,
        timeout_secs: i64,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE workflows SET ai_provider = $2, openai_base_url = $3, openai_model = $4, openai_api_key = $5, ai_timeout_secs = $6
             WHERE id = $1",
        )
        .bind(workflow_id)
        .bind(provider)
        .bind(base_url)
        .bind(model)
        .bind(api_key)
        .bind(timeout_secs)
        .execute(&self.write)
        .await?;
        Ok(())
    }

    pub async fn create_visitor(&self, channel: &ChannelRecord, name: &str) -> Result<i64, StoreError> {
        let row: (i64,) = sqlx::query_as(
            "INSERT INTO contacts (workspace_id, name, channel_id, created_at) VALUES ($1, $2, $3, $4) RETURNING id",
        )
        .bind(channel.workspace_id)
        .bind(name)
        .bind(channel.id)
        .bind(now_ms())
        .fetch_written(&self.write)
        .await?;
        Ok(row.0)
    }

    /// Whether the contact exists and was seen on that channel.
    pub async fn contact_on_channel(&self, contact_id: i64, channel_id: i64) -> Result<bool, StoreError> {
        let row: Option<(i64,)> = sqlx::query_as("SELECT id FROM contacts WHERE id = $1 AND channel_id = $2")
            .bind(contact_id)
            .bind(channel_id)
            .fetch_optional(&self.read)
            .await?;
        Ok(row.is_some())
    }

    /// The most recently created conversation of any workspace (for tools and tests).
    /// Conversations the assistant handles, active since `since`, whose newest message (notes
    /// and notices aside) is the visitor's and has words: the answer was lost in flight (a
    /// restart). Gives (conversation, workflow).
    pub async fn unanswered_by_assistant(&self, since: i64) -> Result<Vec<(i64, i64)>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT c.id, c.workflow_id FROM conversations c
             WHERE c.handler = 'ai' AND c.status = 'open' AND c.last_activity_at >= $1
               AND (SELECT m.sender_kind = 'contact' AND m.body != '' FROM messages m
                    WHERE m.conversation_id = c.id AND m.internal = 0 AND m.sender_kind != 'system'
                    ORDER BY m.seq DESC LIMIT 1)
             ORDER BY c.last_activity_at",
        )
        .bind(since)
        .fetch_all(&self.read)
        .await?)
    }

    pub async fn newest_conversation(&self) -> Result<Option<i64>, StoreError> {
        let row: Option<(i64,)> = sqlx::query_as("SELECT id FROM conversations ORDER BY id DESC LIMIT 1")
            .fetch_optional(&self.read)
            .await?;
        Ok(row.map(|r| r.0))
    }

    pub async fn contact_name(&self, contact_id: i64) -> Result<Option<String>, StoreError> {
        let row: Option<(String,)> = sqlx::query_as("SELECT name FROM contacts WHERE id = $1")
            .bind(contact_id)
            .fetch_optional(&self.read)
            .await?;
        Ok(row.map(|r| r.0))
    }

    /// The contact's latest conversation on the channel.
    pub async fn latest_conversation(
        &self,
        contact_id: i64,
        channel_id: i64,
    ) -> Result<Option<ConversationRecord>, StoreError> {
        let row: Option<ConversationRow> = sqlx::query_as(&format!(
            "SELECT {CONVERSATION_COLUMNS} FROM conversations WHERE contact_id = $1 AND channel_id = $2 ORDER BY id DESC LIMIT 1"
        ))
        .bind(contact_id)
        .bind(channel_id)
        .fetch_optional(&self.read)
        .await?;
        Ok(row.map(conversation))
    }

    /// The contact's conversation on the channel (the latest), started now if there is none.
    /// Looking and starting are one write transaction, so two first messages at once (two
    /// tabs) still make one conversation.
    pub async fn open_conversation(
        &self,
        channel: &ChannelRecord,
        contact_id: i64,
    ) -> Result<ConversationRecord, StoreError> {
        let mut tx = self.begin_write().await?;
        let existing: Option<ConversationRow> = sqlx::query_as(&format!(
            "SELECT {CONVERSATION_COLUMNS} FROM conversations WHERE contact_id = $1 AND channel_id = $2
             ORDER BY id DESC LIMIT 1"
        ))
        .bind(contact_id)
        .bind(channel.id)
        .fetch_optional(&mut *tx)
        .await?;
        let row = match existing {
            Some(row) => row,
            None => {
                let now = now_ms();
                sqlx::query_as(&format!(
                    "INSERT INTO conversations (workspace_id, channel_id, workflow_id, contact_id, last_activity_at, created_at)
                     VALUES ($1, $2, $3, $4, $5, $5) RETURNING {CONVERSATION_COLUMNS}"
                ))
                .bind(channel.workspace_id)
                .bind(channel.id)
                .bind(channel.workflow_id)
                .bind(contact_id)
                .bind(now)
                .fetch_written(&mut *tx)
                .await?
            }
        };
        tx.commit().await?;
        Ok(conversation(row))
    }

    pub async fn conversation(&self, id: i64) -> Result<Option<ConversationRecord>, StoreError> {
        let row: Option<ConversationRow> = sqlx::query_as(&format!(
            "SELECT {CONVERSATION_COLUMNS} FROM conversations WHERE id = $1"
        ))
        .bind(id)
        .fetch_optional(&self.read)
        .await?;
        Ok(row.map(conversation))
    }

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
        let m = NewMessage {
            sender_kind: SenderKind::Contact,
            sender_id: None,
            body,
            internal: false,
            idempotency_key: Some(key),
            attachments,
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
        let m = NewMessage {
            sender_kind: SenderKind::Operator,
            sender_id: Some(member_id),
            body,
            internal: false,
            idempotency_key: Some(key),
            attachments,
        };
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
        let m = NewMessage {
            sender_kind: SenderKind::Operator,
            sender_id: Some(member_id),
            body,
            internal: true,
            idempotency_key: Some(key),
            attachments,
        };
        unguarded(self.append_one(conversation_id, &m).await)
    }

    /// An operator takes the conversation over: the assistant stops, and a system message says
    /// who joined. Refused when another operator holds it.
    pub async fn take_over(&self, conversation_id: i64, member_id: i64) -> Result<Option<Appended>, Refusal> {
        let mut tx = self.begin_write().await?;
        let (before, after) = apply(&mut tx, conversation_id, Event::TakeOver { operator: member_id }).await?;
        if !lifecycle::claimed(before, after, member_id) {
            return Ok(None);
        }
        let name = member_name(&mut tx, member_id).await?;
        let text = format!("{name} joined the conversation.");
        let appended = append(&mut tx, conversation_id, &NewMessage::system(&text, false)).await?;
        tx.commit().await?;
        Ok(Some(appended))
    }

    /// Hands the conversation back to the assistant.
    pub async fn restore_to_ai(&self, conversation_id: i64, member_id: i64) -> Result<Appended, StoreError> {
        let mut tx = self.begin_write().await?;
        decided(apply(&mut tx, conversation_id, Event::Restore).await)?;
        sqlx::query("UPDATE conversations SET human_requests = 0 WHERE id = $1")
            .bind(conversation_id)
            .execute(&mut *tx)
            .await?;
        let name = member_name(&mut tx, member_id).await?;
        let text = format!("{name} handed the conversation back to the assistant.");
        let appended = append(&mut tx, conversation_id, &NewMessage::system(&text, true)).await?;
        tx.commit().await?;
        Ok(appended)
    }

    /// Reopens a resolved conversation: `active` when a person holds it, else `open`.
    pub async fn reopen(&self, conversation_id: i64, member_id: i64) -> Result<Appended, StoreError> {
        let mut tx = self.begin_write().await?;
        decided(apply(&mut tx, conversation_id, Event::Reopen).await)?;
        let name = member_name(&mut tx, member_id).await?;
        let text = format!("{name} reopened the conversation.");
        let appended = append(&mut tx, conversation_id, &NewMessage::system(&text, true)).await?;
        tx.commit().await?;
        Ok(appended)
    }

    pub async fn resolve(&self, conversation_id: i64, member_id: i64) -> Result<Appended, StoreError> {
        let mut tx = self.begin_write().await?;
        decided(apply(&mut tx, conversation_id, Event::Resolve).await)?;
        let name = member_name(&mut tx, member_id).await?;
        let text = format!("{name} resolved the conversation.");
        let appended = append(&mut tx, conversation_id, &NewMessage::system(&text, true)).await?;
        tx.commit().await?;
        Ok(appended)
    }

    /// Counts one more request for a human and returns the total.
    pub async fn count_human_request(&self, conversation_id: i64) -> Result<i64, StoreError> {
        let row: (i64,) = sqlx::query_as(
            "UPDATE conversations SET human_requests = human_requests + 1 WHERE id = $1 RETURNING human_requests",
        )
        .bind(conversation_id)
        .fetch_written(&self.write)
        .await?;
        Ok(row.0)
    }

    /// The visitor waits for a human now: status `waiting`, the escalation time, and the
    /// workflow's handoff message to the visitor. Does nothing if a person already handles it.
    pub async fn escalate(&self, conversation_id: i64, handoff_message: &str) -> Result<Option<Appended>, StoreError> {
        let mut tx = self.begin_write().await?;
        let (before, after) = decided(apply(&mut tx, conversation_id, Event::Escalate).await)?;
        if after.status != Status::Waiting || before == after {
            return Ok(None);
        }
        let appended = append(&mut tx, conversation_id, &NewMessage::system(handoff_message, false)).await?;
        tx.commit().await?;
        Ok(Some(appended))
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
        let rows: Vec<MessageRow> = sqlx::query_as(&format!(
            "{MESSAGE_SELECT} WHERE m.conversation_id = $1 AND m.seq > $2 AND ($3 = 0 OR m.internal = 0) ORDER BY m.seq LIMIT $4"
        ))
        .bind(conversation_id)
        .bind(after_seq)
        .bind(visitor)
        .bind(limit)
        .fetch_all(&self.read)
        .await?;
        let mut messages: Vec<MessageView> = rows.into_iter().map(message).collect();
        attach(&self.read, &mut messages).await?;
        Ok(messages)
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
        let rows: Vec<MessageRow> = sqlx::query_as(&format!(
            "SELECT * FROM ({MESSAGE_SELECT} WHERE m.conversation_id = $1 AND m.seq < $2 ORDER BY m.seq DESC LIMIT $3) ORDER BY 2"
        ))
        .bind(conversation_id)
        .bind(before_seq)
        .bind(limit)
        .fetch_all(&self.read)
        .await?;
        let mut messages: Vec<MessageView> = rows.into_iter().map(message).collect();
        attach(&self.read, &mut messages).await?;
        Ok(messages)
    }

    /// The workflows whose conversations a member sees through their operator groups.
    pub async fn visible_workflows(&self, member_id: i64) -> Result<Vec<i64>, StoreError> {
        let rows: Vec<(i64,)> = sqlx::query_as(
            "SELECT DISTINCT gw.workflow_id FROM group_workflows gw JOIN group_members gm ON gm.group_id = gw.group_id
             WHERE gm.member_id = $1",
        )
        .bind(member_id)
        .fetch_all(&self.read)
        .await?;
        Ok(rows.into_iter().map(|r| r.0).collect())
    }
}
