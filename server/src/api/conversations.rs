//! `/conversations`: the inbox as an integrator reads and works it.

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use app::conversation::{ConversationApi, ConversationStateApi, HandlingApi};
use app::events::{MessageBody, MessageView};
use app::inbox::{ConversationSummary, InboxApi, InboxQuery};
use app::lifecycle::{ChannelKind, DeliveryStatus, Handler, SenderKind, Status};
use app::AppError;

use super::{created_once, fingerprint, words, Body, Caller, Params, PathId, Problem};
use crate::AppState;

/// A conversation as the inbox lists it.
#[derive(Serialize, ToSchema)]
pub struct Conversation {
    pub id: i64,
    #[schema(schema_with = words::status)]
    pub status: Status,
    #[schema(schema_with = words::handler)]
    pub handler: Handler,
    pub channel_id: i64,
    #[schema(schema_with = words::channel_kind)]
    pub channel_kind: ChannelKind,
    pub channel_name: String,
    pub workflow_id: i64,
    pub contact_id: i64,
    pub contact_name: String,
    /// The team member who handles it.
    pub assignee_id: Option<i64>,
    pub assignee_name: Option<String>,
    /// The latest message the customer could see.
    pub last_message: Option<String>,
    /// The latest message's sequence number.
    pub last_seq: i64,
    /// When the customer started waiting for a person (Unix milliseconds).
    pub escalated_at: Option<i64>,
    /// Unix milliseconds.
    pub last_activity_at: i64,
    pub category: Option<String>,
}

impl From<ConversationSummary> for Conversation {
    fn from(s: ConversationSummary) -> Self {
        Conversation {
            id: s.id,
            status: s.status,
            handler: s.handler,
            channel_id: s.channel_id,
            channel_kind: s.channel_kind,
            channel_name: s.channel_name,
            workflow_id: s.workflow_id,
            contact_id: s.contact_id,
            contact_name: s.contact_name,
            assignee_id: s.assignee_id,
            assignee_name: s.assignee,
            last_message: s.last_message,
            last_seq: s.last_seq,
            escalated_at: s.escalated_at,
            last_activity_at: s.last_activity_at,
            category: s.category,
        }
    }
}

/// One conversation, with what the list leaves out.
#[derive(Serialize, ToSchema)]
pub struct ConversationDetail {
    #[serde(flatten)]
    pub conversation: Conversation,
    /// An e-mail conversation's subject.
    pub subject: Option<String>,
    /// Why a reply cannot be sent on its channel now (an SMS customer who texted STOP).
    pub reply_blocked: Option<String>,
}

/// A page of conversations, newest activity first.
#[derive(Serialize, ToSchema)]
pub struct ConversationPage {
    pub conversations: Vec<Conversation>,
    /// Pass as `before` for the next page; absent on the last page.
    pub next: Option<String>,
}

/// The inbox's filters.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// `mine`, `unassigned` or `all` (the default).
    view: Option<String>,
    /// `open`, `waiting`, `active` or `resolved`.
    status: Option<String>,
    /// A channel kind: `web`, `sms`, `email`, …
    channel: Option<String>,
    /// A workflow id.
    workflow: Option<String>,
    /// Words to find in the contact's name, e-mail or phone, or in the messages.
    q: Option<String>,
    /// Where the previous page ended (its `next`).
    before: Option<String>,
}

/// List conversations
///
/// The conversations the token's member may see, as their inbox lists them, a page at a time.
#[utoipa::path(get, path = "/conversations", tag = "Conversations", params(ListParams),
    responses((status = 200, description = "A page of conversations", body = ConversationPage)))]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    Params(p): Params<ListParams>,
) -> Result<Json<ConversationPage>, Problem> {
    let query = InboxQuery {
        view: p.view.unwrap_or_default(),
        status: p.status.unwrap_or_default(),
        channel: p.channel.unwrap_or_default(),
        workflow: p.workflow.unwrap_or_default(),
        q: p.q.unwrap_or_default(),
        before: p.before.unwrap_or_default(),
    };
    let page = state.conversations.inbox(&caller.me, &query).await.map_err(|e| {
        rename_field(
            e,
            &[
                ("Status", "status"),
                ("View", "view"),
                ("Channel", "channel"),
                ("Workflow", "workflow"),
                ("Search", "q"),
                ("Page", "before"),
            ],
        )
    })?;
    Ok(Json(ConversationPage {
        conversations: page.conversations.into_iter().map(Conversation::from).collect(),
        next: page.next,
    }))
}

/// The console's words for a field ("Status") as the API's ("status").
fn rename_field(e: AppError, names: &[(&str, &str)]) -> AppError {
    match e {
        AppError::Invalid { field, message } => {
            let field = names
                .iter()
                .find(|(from, _)| *from == field)
                .map_or(field, |(_, to)| to.to_string());
            AppError::Invalid { field, message }
        }
        other => other,
    }
}

/// Open a conversation with a contact
///
/// The contact's conversation on the channel (their latest there, or a new one), optionally
/// with a first message from the token's member: a text or an e-mail goes out on the channel.
#[utoipa::path(post, path = "/conversations", tag = "Conversations", request_body = NewConversation,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes the request safe to retry")),
    responses((status = 201, description = "The conversation", body = ConversationDetail)))]
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Body(new): Body<NewConversation>,
) -> Response {
    let request = fingerprint("/conversations", &new);
    created_once(&state, &caller, &headers, &request, async {
        let body = new
            .message
            .as_deref()
            .map(MessageBody::parse)
            .transpose()
            .map_err(|e| rename_field(e, &[("Message", "message")]))?;
        let contact = state
            .services
            .contacts
            .reach(&caller.me, new.contact_id)
            .await
            .map_err(|_| AppError::invalid("contact_id", "is not a contact of this workspace"))?;
        let id = state
            .conversations
            .open_for(&caller.me, contact, new.channel_id)
            .await?;
        if let Some(body) = body {
            send_as_operator(&state, &caller, id, body, false).await?;
        }
        detail(&state, &caller, id).await
    })
    .await
}

/// Opens a conversation with a contact on a channel.
#[derive(Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewConversation {
    pub contact_id: i64,
    pub channel_id: i64,
    /// A first message to the contact, from the token's member.
    #[serde(default)]
    pub message: Option<String>,
}

async fn detail(state: &AppState, caller: &Caller, id: i64) -> Result<ConversationDetail, Problem> {
    let record = state.conversations.access(&caller.me, id).await?;
    let summary = state.conversations.summary_for(&caller.me, id).await?;
    Ok(ConversationDetail {
        conversation: summary.into(),
        subject: state.conversations.subject_of(id).await?,
        reply_blocked: state.conversations.reply_blocked(&record).await?,
    })
}

/// Get a conversation
#[utoipa::path(get, path = "/conversations/{id}", tag = "Conversations",
    params(("id" = i64, Path, description = "The conversation's id")),
    responses((status = 200, description = "The conversation", body = ConversationDetail)))]
pub async fn get(
    State(state): State<AppState>,
    caller: Caller,
    PathId(id): PathId,
) -> Result<Json<ConversationDetail>, Problem> {
    Ok(Json(detail(&state, &caller, id).await?))
}

/// A message of a conversation.
#[derive(Serialize, ToSchema)]
pub struct Message {
    /// Its place in the conversation, from 1.
    pub seq: i64,
    #[schema(schema_with = words::sender_kind)]
    pub sender_kind: SenderKind,
    pub sender_name: String,
    /// The team member who wrote it (operator messages and notes).
    pub sender_id: Option<i64>,
    pub body: String,
    /// A note for the team, never shown to the customer.
    pub internal: bool,
    /// Unix milliseconds.
    pub created_at: i64,
    /// Files sent with it.
    pub attachments: Vec<Attachment>,
    /// How far a reply sent through a provider got (none on web chat).
    #[schema(schema_with = delivery_status_or_null)]
    pub delivery: Option<DeliveryStatus>,
    /// The provider's words when the delivery failed.
    pub delivery_error: Option<String>,
}

fn delivery_status_or_null() -> utoipa::openapi::schema::Schema {
    use utoipa::openapi::schema::{Object, OneOfBuilder, Schema, Type};
    Schema::OneOf(
        OneOfBuilder::new()
            .item(words::delivery_status())
            .item(Object::with_type(Type::Null))
            .build(),
    )
}

/// A file sent with a message.
#[derive(Serialize, ToSchema)]
pub struct Attachment {
    pub id: i64,
    pub file_name: String,
    pub content_type: String,
    pub size_bytes: i64,
    /// Deleted after the workspace's retention period: named, no longer kept.
    pub removed: bool,
}

impl From<MessageView> for Message {
    fn from(m: MessageView) -> Self {
        Message {
            seq: m.seq,
            sender_kind: m.sender_kind,
            sender_name: m.sender_name,
            sender_id: m.sender_id,
            body: m.body,
            internal: m.internal,
            created_at: m.created_at,
            attachments: m
                .attachments
                .into_iter()
                .map(|a| Attachment {
                    id: a.id,
                    file_name: a.file_name,
                    content_type: a.content_type,
                    size_bytes: a.size_bytes,
                    removed: a.removed,
                })
                .collect(),
            delivery: m.delivery.as_ref().map(|d| d.status),
            delivery_error: m.delivery.and_then(|d| d.error),
        }
    }
}

/// A page of messages, oldest first.
#[derive(Serialize, ToSchema)]
pub struct MessagePage {
    pub messages: Vec<Message>,
    /// Pass as `before_seq` for the page before this one; absent at the start.
    pub next_before_seq: Option<i64>,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MessageParams {
    /// Only messages before this sequence number (the default: the latest page).
    before_seq: Option<i64>,
}

/// List a conversation's messages
///
/// The latest page, or the page before `before_seq`; notes for the team included.
#[utoipa::path(get, path = "/conversations/{id}/messages", tag = "Conversations",
    params(("id" = i64, Path, description = "The conversation's id"), MessageParams),
    responses((status = 200, description = "A page of messages", body = MessagePage)))]
pub async fn messages(
    State(state): State<AppState>,
    caller: Caller,
    PathId(id): PathId,
    Params(p): Params<MessageParams>,
) -> Result<Json<MessagePage>, Problem> {
    let before = p.before_seq.unwrap_or(i64::MAX);
    let messages = state.conversations.history(&caller.me, id, before).await?;
    let next_before_seq = messages.first().map(|m| m.seq).filter(|seq| *seq > 1);
    Ok(Json(MessagePage {
        messages: messages.into_iter().map(Message::from).collect(),
        next_before_seq,
    }))
}

/// Who a message sent through the API is from.
#[derive(Clone, Copy, Default, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Author {
    /// The token's member, as an operator: the first reply claims the conversation.
    #[default]
    Operator,
    /// The workflow's assistant (an outside bot answering for it); refused once a person
    /// handles the conversation.
    Assistant,
}

/// A message to send.
#[derive(Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewMessage {
    /// The text (1 to 4,000 characters; an operator's may use `{{contact.first_name}}` and the
    /// other macros).
    pub body: String,
    /// A note for the team instead of a reply to the customer (operators only).
    #[serde(default)]
    pub internal: bool,
    #[serde(default, rename = "as")]
    pub author: Author,
}

/// Send a message
///
/// A reply to the customer (sent on the conversation's channel) or a note for the team.
#[utoipa::path(post, path = "/conversations/{id}/messages", tag = "Conversations",
    params(("id" = i64, Path, description = "The conversation's id"),
        ("Idempotency-Key" = Option<String>, Header, description = "Makes the request safe to retry")),
    request_body = NewMessage,
    responses((status = 201, description = "The message as stored", body = Message)))]
pub async fn send(
    State(state): State<AppState>,
    caller: Caller,
    PathId(id): PathId,
    headers: HeaderMap,
    Body(new): Body<NewMessage>,
) -> Response {
    let request = fingerprint(&format!("/conversations/{id}/messages"), &new);
    created_once(&state, &caller, &headers, &request, async {
        let body = MessageBody::parse(&new.body).map_err(|e| rename_field(e, &[("Message", "body")]))?;
        let appended = match new.author {
            Author::Operator => send_as_operator(&state, &caller, id, body, new.internal).await?,
            Author::Assistant if new.internal => {
                return Err(AppError::invalid("internal", "the assistant does not write notes").into())
            }
            Author::Assistant => state.conversations.assistant_message(&caller.me, id, body).await?,
        };
        Ok(Message::from(appended.message))
    })
    .await
}

async fn send_as_operator(
    state: &AppState,
    caller: &Caller,
    id: i64,
    body: MessageBody,
    internal: bool,
) -> Result<crate::store::Appended, Problem> {
    // A reply to the customer takes a seat, as in the console; a note does not.
    if !internal {
        state.router.require_seat(&caller.me).await?;
    }
    let key = format!("api-{}", crate::auth::new_token());
    let seen = crate::conversations::visibility::Visibility::of(&state.store, &caller.me)
        .await
        .map_err(app::AppError::from)?;
    Ok(state
        .conversations
        .operator_message(&caller.me, &seen, id, body, &key, internal, &[])
        .await?)
}

/// Take over a conversation
///
/// The token's member takes the conversation from the assistant (or from the queue).
#[utoipa::path(post, path = "/conversations/{id}/take_over", tag = "Conversations",
    params(("id" = i64, Path, description = "The conversation's id")),
    responses((status = 200, description = "The conversation now", body = Conversation)))]
pub async fn take_over(
    State(state): State<AppState>,
    caller: Caller,
    PathId(id): PathId,
) -> Result<Json<Conversation>, Problem> {
    Ok(Json(state.router.take_over(&caller.me, id).await?.into()))
}

/// Restore a conversation to the assistant
#[utoipa::path(post, path = "/conversations/{id}/restore", tag = "Conversations",
    params(("id" = i64, Path, description = "The conversation's id")),
    responses((status = 200, description = "The conversation now", body = Conversation)))]
pub async fn restore(
    State(state): State<AppState>,
    caller: Caller,
    PathId(id): PathId,
) -> Result<Json<Conversation>, Problem> {
    Ok(Json(state.conversations.restore_to_ai(&caller.me, id).await?.into()))
}

/// Resolve a conversation
///
/// Closed; the customer's next message reopens it.
#[utoipa::path(post, path = "/conversations/{id}/resolve", tag = "Conversations",
    params(("id" = i64, Path, description = "The conversation's id")),
    responses((status = 200, description = "The conversation now", body = Conversation)))]
pub async fn resolve(
    State(state): State<AppState>,
    caller: Caller,
    PathId(id): PathId,
) -> Result<Json<Conversation>, Problem> {
    Ok(Json(state.conversations.resolve(&caller.me, id).await?.into()))
}

/// Reopen a resolved conversation
#[utoipa::path(post, path = "/conversations/{id}/reopen", tag = "Conversations",
    params(("id" = i64, Path, description = "The conversation's id")),
    responses((status = 200, description = "The conversation now", body = Conversation)))]
pub async fn reopen(
    State(state): State<AppState>,
    caller: Caller,
    PathId(id): PathId,
) -> Result<Json<Conversation>, Problem> {
    Ok(Json(state.conversations.reopen(&caller.me, id).await?.into()))
}

/// Where to transfer or hand off a conversation: one operator or one operator group.
#[derive(Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Handoff {
    /// An operator group: offered to its live members.
    #[serde(default)]
    pub group_id: Option<i64>,
    /// One operator (live and online on the conversation's workflow).
    #[serde(default)]
    pub member_id: Option<i64>,
    /// For the team: why, and what the customer needs (at most 1,000 characters).
    #[serde(default)]
    pub note: Option<String>,
}

/// Transfer a conversation
///
/// From its operator (or, for a supervisor's token, from anyone) to another operator or a group.
#[utoipa::path(post, path = "/conversations/{id}/transfer", tag = "Conversations",
    params(("id" = i64, Path, description = "The conversation's id")),
    request_body = Handoff,
    responses((status = 200, description = "The conversation now", body = Conversation)))]
pub async fn transfer(
    State(state): State<AppState>,
    caller: Caller,
    PathId(id): PathId,
    Body(to): Body<Handoff>,
) -> Result<Json<Conversation>, Problem> {
    if to.group_id.is_some() == to.member_id.is_some() {
        return Err(AppError::invalid("group_id", "give one group_id or one member_id").into());
    }
    state
        .router
        .transfer(
            &caller.me,
            id,
            to.member_id,
            to.group_id,
            to.note.as_deref().unwrap_or(""),
        )
        .await
        .map_err(|e| rename_field(e, &[("Note", "note"), ("Transfer to", "member_id")]))?;
    Ok(Json(state.conversations.summary_for(&caller.me, id).await?.into()))
}

/// Hand a conversation to people
///
/// For an outside bot: the customer gets the workflow's handoff message and waits for a person,
/// as when the assistant escalates. With a `group_id` or `member_id` it is offered only to them;
/// without, routing offers it as usual. The note is left for the team.
#[utoipa::path(post, path = "/conversations/{id}/handoff", tag = "Conversations",
    params(("id" = i64, Path, description = "The conversation's id")),
    request_body = Handoff,
    responses((status = 200, description = "The conversation now", body = Conversation)))]
pub async fn handoff(
    State(state): State<AppState>,
    caller: Caller,
    PathId(id): PathId,
    Body(to): Body<Handoff>,
) -> Result<Json<Conversation>, Problem> {
    if to.group_id.is_some() && to.member_id.is_some() {
        return Err(AppError::invalid("group_id", "give a group_id or a member_id, not both").into());
    }
    let note = to.note.as_deref().map(str::trim).filter(|n| !n.is_empty());
    if note.is_some_and(|n| n.chars().count() > 1000) {
        return Err(AppError::invalid("note", "must be at most 1000 characters").into());
    }
    let targeted = to.group_id.is_some() || to.member_id.is_some();
    // A transfer leaves its own note; a plain handoff leaves this one.
    state
        .conversations
        .hand_off(&caller.me, id, if targeted { None } else { note })
        .await?;
    if targeted {
        state
            .router
            .transfer(&caller.me, id, to.member_id, to.group_id, note.unwrap_or(""))
            .await
            .map_err(|e| rename_field(e, &[("Note", "note"), ("Transfer to", "member_id")]))?;
    }
    Ok(Json(state.conversations.summary_for(&caller.me, id).await?.into()))
}
