//! The conversation service: what happens when a visitor writes, when the assistant answers,
//! and when an operator takes over, replies, hands back or resolves. Every change is stored
//! first, then published through the hub to the visitor and to the operators who may see it
//! (`publish.rs`). What operators read (a conversation, its history, the inbox) is `inbox.rs`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use app::events::{MessageBody, MessageView};
use app::inbox::ConversationSummary;
use app::lifecycle::{ChannelKind, Handler, Status};
use app::macros::{self, MacroValues};
use app::{AppError, Me, Scope};
use tokio::task::AbortHandle;

use crate::assistant;
use crate::channels::tokens::{unix_now, VisitorTokens};
use crate::hub::Hub;
mod answering;
mod handling;
mod inbox;
pub mod lifecycle;
mod publish;
pub mod rating;
pub mod visibility;

use crate::store::{Appended, ContactFields, ConversationRecord, Refusal, Store};

fn attachment_gone() -> AppError {
    AppError::invalid(
        "Attachments",
        "a file is not among those you uploaded to this conversation, or was sent already",
    )
}

/// What the visitor is told when the assistant fails.
pub const AI_FALLBACK: &str =
    "Sorry, I'm having trouble answering right now. If you ask for a human, one of our team will help you.";

/// What the router needs to know of conversations (crossing to the routing leader's node when
/// it is another).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Change {
    /// The conversation needs a person (one of the group's, when it names one).
    Escalated {
        conversation_id: i64,
        group_id: Option<i64>,
    },
    /// An operator holds it now (accepted an offer, took over, or replied first).
    Claimed { conversation_id: i64, member_id: i64 },
    /// The operator's part ended: `completed` (resolved) or `returned_to_ai`.
    Released {
        conversation_id: i64,
        member_id: Option<i64>,
        outcome: String,
    },
    /// The visitor wrote, with words to answer, while they wait for a person and the assistant
    /// still handles the conversation. Whether the assistant answers is routing's to say: it
    /// does while they wait in a queue (`Conversations::answer_in_queue`), not while the
    /// conversation is offered to someone.
    VisitorWaiting { conversation_id: i64, workflow_id: i64 },
}

/// How far back a restart looks for visitors' messages the assistant had not answered.
const UNANSWERED_WITHIN_MS: i64 = 60 * 60 * 1000;

pub struct Conversations {
    changes: tokio::sync::mpsc::UnboundedSender<Change>,
    store: Store,
    hub: Arc<Hub>,
    http: reqwest::Client,
    ai_defaults: assistant::OpenAiDefaults,
    /// The assistant replies being generated, by conversation, so a takeover can stop them.
    in_flight: Mutex<HashMap<i64, AbortHandle>>,
    /// The inbox summaries published lately (with their workspace), kept current from the
    /// messages that pass through `publish_message`, so a new message is announced without
    /// reading the database. Whatever else changes a conversation (status, assignee, contact,
    /// category) publishes from the database with `publish_summary`, which refreshes this.
    summaries: Mutex<HashMap<i64, (i64, ConversationSummary)>>,
    /// Signs the links to files that visitors open.
    tokens: VisitorTokens,
    /// Wakes the sender of replies on providers' channels (`channels::outbox`).
    outbox: Arc<tokio::sync::Notify>,
}

fn encode<T: serde::Serialize>(value: &T) -> Arc<str> {
    Arc::from(serde_json::to_string(value).expect("events serialise"))
}

fn refusal(r: Refusal) -> AppError {
    match r {
        Refusal::ClaimedBy(name) => AppError::Conflict(format!("{name} is already handling this conversation.")),
        Refusal::NotAiHandled => AppError::Conflict("A person handles this conversation now.".into()),
        Refusal::Duplicate(_) => AppError::Conflict("That message was sent already.".into()),
        Refusal::Store(e) => e.into(),
    }
}

impl Conversations {
    pub fn new(
        store: Store,
        hub: Arc<Hub>,
        ai_defaults: assistant::OpenAiDefaults,
        changes: tokio::sync::mpsc::UnboundedSender<Change>,
        tokens: VisitorTokens,
    ) -> Self {
        Conversations {
            changes,
            tokens,
            store,
            hub,
            http: reqwest::Client::new(),
            ai_defaults,
            in_flight: Mutex::new(HashMap::new()),
            summaries: Mutex::new(HashMap::new()),
            outbox: Arc::new(tokio::sync::Notify::new()),
        }
    }

    /// What wakes the sender of replies on providers' channels when one is stored.
    pub fn outbox(&self) -> Arc<tokio::sync::Notify> {
        self.outbox.clone()
    }

    fn tell(&self, change: Change) {
        let _ = self.changes.send(change);
    }

    pub fn hub(&self) -> &Arc<Hub> {
        &self.hub
    }

    /// The customer's latest conversation on a channel, if they have one.
    pub async fn latest_for(&self, contact_id: i64, channel_id: i64) -> Result<Option<i64>, AppError> {
        Ok(self
            .store
            .latest_conversation(contact_id, channel_id)
            .await?
            .map(|c| c.id))
    }

    /// What a customer is called in the team's view (`Visitor` until they say).
    pub async fn customer_name(&self, contact_id: i64) -> String {
        match self.store.contact_name(contact_id).await {
            Ok(Some(name)) => name,
            Ok(None) => "Visitor".into(),
            Err(e) => {
                tracing::warn!(error = %e, contact_id, "could not read a customer's name");
                "Visitor".into()
            }
        }
    }

    /// The messages after `after_seq` that a reconnecting socket missed: a visitor's (without
    /// the team's notes) or an operator's (who may see the conversation: checked by the caller).
    pub async fn missed(
        &self,
        conversation_id: i64,
        after_seq: i64,
        visitor: bool,
    ) -> Result<Vec<MessageView>, crate::store::StoreError> {
        const AT_MOST: i64 = 10_000;
        let mut messages = self
            .store
            .messages_after(conversation_id, after_seq.max(0), visitor, AT_MOST)
            .await?;
        if visitor {
            let now = unix_now();
            for m in &mut messages {
                self.link_files(m, now);
            }
        }
        Ok(messages)
    }

    /// Gives each file of a message the visitor will see a link that opens it without their
    /// token (which never goes in a URL).
    pub fn link_files(&self, message: &mut MessageView, now: i64) {
        for f in message.attachments.iter_mut() {
            f.link = Some(self.tokens.file_link(f.id, now));
        }
    }

    /// The conversation a customer's message on a channel goes to: their latest there (a
    /// resolved one reopens with the message), or a new one. Every channel adapter asks this
    /// before it hands the message (or a file) over, and listens to the conversation first.
    pub async fn conversation_for(&self, contact_id: i64, channel_id: i64) -> Result<i64, AppError> {
        if let Some(id) = self.latest_for(contact_id, channel_id).await? {
            return Ok(id);
        }
        let channel = self
            .store
            .channel(channel_id)
            .await?
            .ok_or_else(|| AppError::not_found("This chat channel"))?;
        Ok(self.store.open_conversation(&channel, contact_id).await?.id)
    }

    /// A visitor's message: stored, published, then escalated or answered by the assistant.
    pub async fn visitor_message(
        self: &Arc<Self>,
        conversation_id: i64,
        body: MessageBody,
        key: &str,
        attachments: &[i64],
    ) -> Result<Appended, AppError> {
        let appended = self
            .store
            .append_visitor_message(conversation_id, body.as_str(), key, attachments)
            .await
            .map_err(|e| match e {
                crate::store::StoreError::NotFound if !attachments.is_empty() => attachment_gone(),
                other => other.into(),
            })?;
        self.after_customer_message(appended, body.as_str()).await
    }

    /// A customer's message that came through a provider (an SMS, an e-mail): stored once per
    /// provider id (a repeated delivery is `duplicate` and does nothing), then handled as a
    /// widget visitor's message is.
    pub async fn provider_message(
        self: &Arc<Self>,
        conversation_id: i64,
        text: &str,
        channel_message_id: &str,
        attachments: &[i64],
    ) -> Result<Appended, AppError> {
        // The answer to the rating question of a resolved conversation is its rating.
        if attachments.is_empty() {
            if let Some((rating, comment)) = rating::rating_reply(text) {
                let since = crate::store::now_ms() - rating::ANSWER_WITHIN_MS;
                if self.store.rating_pending(conversation_id, since).await? {
                    if let Some(noted) = self
                        .record_rating(conversation_id, rating, &comment, Some(channel_message_id))
                        .await?
                    {
                        return Ok(noted);
                    }
                }
            }
        }
        let appended = self
            .store
            .append_provider_message(conversation_id, text, channel_message_id, attachments)
            .await?;
        self.after_customer_message(appended, text).await
    }

    /// After a customer's message is stored: published, then escalated or answered.
    async fn after_customer_message(self: &Arc<Self>, appended: Appended, text: &str) -> Result<Appended, AppError> {
        if appended.duplicate {
            return Ok(appended);
        }
        let conversation_id = appended.message.conversation_id;
        self.publish_message(&appended.message);
        // A person handles it and it was not closed: nothing to route or answer, and the
        // message is all that changed (the lifecycle's decision, stored with it, says so), so
        // the inbox hears of it from the cached summary without a read.
        let after = appended.after();
        if after.is_some_and(|s| s.handler == Handler::Human)
            && appended.before.is_some_and(|b| b.status != Status::Resolved)
        {
            self.publish_activity(after, conversation_id).await;
            return Ok(appended);
        }
        let conversation = self
            .store
            .conversation(conversation_id)
            .await?
            .ok_or_else(|| AppError::not_found("The conversation"))?;
        // The assistant answers while it handles the conversation. While the visitor waits for
        // a person, routing decides: the assistant keeps answering while they wait in a queue,
        // and is quiet once a person has been found.
        if self.route_on_arrival(&appended, &conversation, text).await? {
            self.publish_summary(conversation_id).await;
            return Ok(appended);
        }
        // Writing again to a conversation resolved while it waited for a person (nobody holds
        // it) has it wait for one again: routing offers it or puts it in the queue, as after an
        // escalation. One a person held waits for them.
        if appended.before.is_some_and(|b| b.status == Status::Resolved)
            && conversation.status == Status::Waiting
            && conversation.assignee_id.is_none()
        {
            self.tell(Change::Escalated {
                conversation_id,
                group_id: None,
            });
        }
        // A file on its own gives the assistant nothing to answer.
        if conversation.handler == Handler::Ai && !text.trim().is_empty() {
            if conversation.status == Status::Waiting {
                self.tell(Change::VisitorWaiting {
                    conversation_id,
                    workflow_id: conversation.workflow_id,
                });
            } else {
                self.assistant_turn(&conversation, text).await?;
            }
        }
        self.publish_summary(conversation_id).await;
        Ok(appended)
    }

    /// A new conversation (its first message, or the one that reopens it) on a workflow that
    /// routes on arrival is escalated at once, so routing offers it to a live operator; while
    /// it waits, routing decides whether the assistant answers, as after any escalation.
    async fn route_on_arrival(
        &self,
        appended: &Appended,
        conversation: &ConversationRecord,
        text: &str,
    ) -> Result<bool, AppError> {
        let arrived = appended.message.seq == 1 || appended.before.is_some_and(|b| b.status == Status::Resolved);
        if !arrived || conversation.handler != Handler::Ai || conversation.status != Status::Open {
            return Ok(false);
        }
        let Some(workflow) = self.store.workflow(conversation.workflow_id).await? else {
            return Ok(false);
        };
        if !workflow.route_on_arrival {
            return Ok(false);
        }
        if !self.escalate_as(conversation.id, &workflow, None, None).await? {
            return Ok(false);
        }
        tracing::info!(conversation_id = conversation.id, "routed on arrival");
        if !text.trim().is_empty() {
            self.tell(Change::VisitorWaiting {
                conversation_id: conversation.id,
                workflow_id: conversation.workflow_id,
            });
        }
        Ok(true)
    }

    /// The conversation, if it is in the member's workspace and they may see it. Otherwise
    /// "not found", so that nothing is revealed about other workspaces.
    pub async fn access(&self, me: &Me, conversation_id: i64) -> Result<ConversationRecord, AppError> {
        let seen = visibility::Visibility::of(&self.store, me).await?;
        self.access_as(me, &seen, conversation_id).await
    }

    /// `access` for a member whose visibility is known (an operator's socket reads it when it
    /// opens and closes when it changes).
    pub async fn access_as(
        &self,
        me: &Me,
        seen: &visibility::Visibility,
        conversation_id: i64,
    ) -> Result<ConversationRecord, AppError> {
        let not_found = || AppError::not_found("That conversation");
        let c = self.store.conversation(conversation_id).await?.ok_or_else(not_found)?;
        if c.workspace_id != me.workspace_id || !me.can(Scope::OperatorRead) || seen.member_id != me.member_id {
            return Err(not_found());
        }
        if seen.sees(c.workflow_id, c.assignee_id) {
            return Ok(c);
        }
        Err(not_found())
    }

    /// What `{{…}}` macros in the member's reply stand for in this conversation.
    async fn macro_values(&self, me: &Me, conversation: &ConversationRecord) -> Result<MacroValues, AppError> {
        let ContactFields { name, email, phone, .. } = self
            .store
            .contact_fields(conversation.contact_id)
            .await?
            .unwrap_or_default();
        Ok(MacroValues {
            contact_name: Some(name),
            contact_email: email,
            contact_phone: phone,
            operator_name: Some(me.name.clone()),
        })
    }

    /// An operator's reply; the first operator to reply claims the conversation. With
    /// `internal`, a note for the team: it claims nothing and the assistant carries on.
    /// Macros are expanded here; an unknown one refuses the whole message. `seen` is what the
    /// member may see (`access_as`).
    #[allow(clippy::too_many_arguments)]
    pub async fn operator_message(
        &self,
        me: &Me,
        seen: &visibility::Visibility,
        conversation_id: i64,
        body: MessageBody,
        key: &str,
        internal: bool,
        attachments: &[i64],
    ) -> Result<Appended, AppError> {
        require_write(me)?;
        let conversation = self.access_as(me, seen, conversation_id).await?;
        if !internal {
            if let Some(why) = self.reply_blocked(&conversation).await? {
                return Err(AppError::Conflict(why));
            }
        }
        let text = if macros::has_macros(body.as_str()) {
            let values = self.macro_values(me, &conversation).await?;
            let expanded = macros::expand(body.as_str(), &values)
                .map_err(|unknown| AppError::invalid("Message", macros::unknown_message(&unknown)))?;
            MessageBody::parse_with_files(&expanded, attachments.len())?.into_string()
        } else {
            body.into_string()
        };
        let gone = |e: crate::store::StoreError| match e {
            crate::store::StoreError::NotFound if !attachments.is_empty() => attachment_gone(),
            other => other.into(),
        };
        let appended = if internal {
            self.store
                .append_note(conversation_id, me.member_id, &text, key, attachments)
                .await
                .map_err(gone)?
        } else {
            // The caller checked that operators are on and the member has a seat
            // (`Router::require_seat`), from memory.
            self.stop_assistant(conversation_id);
            let appended = self
                .store
                .append_operator_message(conversation_id, me.member_id, &text, key, attachments)
                .await
                .map_err(|r| match r {
                    Refusal::Store(e) => gone(e),
                    other => refusal(other),
                })?;
            if appended.claimed() {
                self.tell(Change::Claimed {
                    conversation_id,
                    member_id: me.member_id,
                });
            }
            appended
        };
        if appended.duplicate {
            return Ok(appended);
        }
        self.publish_all(&appended);
        if appended.claimed() {
            let _ = self.publish_summary(conversation_id).await;
        } else {
            self.publish_activity(appended.after(), conversation_id).await;
        }
        Ok(appended)
    }

    /// A reply written by an outside bot as the workflow's assistant (through the API), refused
    /// once a person handles the conversation, as the built-in assistant's would be.
    pub async fn assistant_message(
        &self,
        me: &Me,
        conversation_id: i64,
        body: MessageBody,
    ) -> Result<Appended, AppError> {
        require_write(me)?;
        let conversation = self.access(me, conversation_id).await?;
        if let Some(why) = self.reply_blocked(&conversation).await? {
            return Err(AppError::Conflict(why));
        }
        let appended = self
            .store
            .append_ai_message(conversation_id, body.as_str())
            .await
            .map_err(refusal)?;
        self.publish_message(&appended.message);
        self.publish_activity(appended.after(), conversation_id).await;
        Ok(appended)
    }

    /// The contact's conversation on a channel of the member's workspace (their latest there, or
    /// a new one), for writing to them first. The contact must be reachable on it: a phone
    /// number for texts, an e-mail address for e-mail.
    pub async fn open_for(&self, me: &Me, contact_id: i64, channel_id: i64) -> Result<i64, AppError> {
        require_write(me)?;
        let channel = self
            .store
            .channel(channel_id)
            .await?
            .filter(|c| c.workspace_id == me.workspace_id)
            .ok_or_else(|| AppError::invalid("channel_id", "is not a channel of this workspace"))?;
        if !channel.enabled {
            return Err(AppError::Conflict(format!(
                "The channel {} is turned off.",
                channel.name
            )));
        }
        let Some(ContactFields { email, phone, .. }) = self.store.contact_fields(contact_id).await? else {
            return Err(AppError::invalid("contact_id", "is not a contact of this workspace"));
        };
        match channel.kind {
            ChannelKind::Sms if phone.as_deref().and_then(app::contacts::phone_e164).is_none() => {
                return Err(AppError::invalid(
                    "contact_id",
                    "the contact has no phone number to text",
                ))
            }
            ChannelKind::Email if email.is_none() => {
                return Err(AppError::invalid("contact_id", "the contact has no e-mail address"))
            }
            _ => {}
        }
        let id = self.conversation_for(contact_id, channel_id).await?;
        self.access(me, id).await?;
        Ok(id)
    }

    /// Asks the customer of a resolved conversation to rate it: the web widget shows the stars;
    /// on SMS and e-mail the question goes out in the thread (`rating::QUESTION`).
    pub async fn ask_for_rating(&self, conversation_id: i64) {
        if !self.store.rating_pending(conversation_id, 0).await.unwrap_or(false) {
            return;
        }
        let channel = match self.store.conversation(conversation_id).await {
            Ok(Some(c)) => self.store.channel(c.channel_id).await,
            Ok(None) => Ok(None),
            Err(e) => Err(e),
        };
        match channel {
            Ok(Some(ch)) if ch.kind == ChannelKind::Web => self.hub.publish(
                crate::hub::Topic::Conversation(conversation_id),
                &crate::hub::Event {
                    for_visitors: Some(encode(&app::events::VisitorEvent::RatingRequested)),
                    ..Default::default()
                },
            ),
            Ok(Some(_)) => match self.store.append_notice(conversation_id, rating::QUESTION).await {
                Ok(asked) => self.publish_message(&asked.message),
                Err(e) => tracing::warn!(conversation_id, error = %e, "could not ask for a rating"),
            },
            _ => {}
        }
    }

    /// The customer rates their resolved conversation: kept, noted for the team, and counted
    /// in reports.
    pub async fn rate(&self, conversation_id: i64, rating: u8, comment: &str) -> Result<(), AppError> {
        if self
            .record_rating(conversation_id, rating, comment, None)
            .await?
            .is_none()
        {
            return Err(AppError::Conflict(
                "This conversation cannot be rated now: it is not resolved, or it was rated already.".into(),
            ));
        }
        Ok(())
    }

    /// Keeps a rating with a note for the team (carrying the provider's id of the reply that
    /// gave it, so a second delivery of that reply stores nothing); `None` when the
    /// conversation may not be rated now.
    async fn record_rating(
        &self,
        conversation_id: i64,
        rating: u8,
        comment: &str,
        channel_message_id: Option<&str>,
    ) -> Result<Option<Appended>, AppError> {
        if !(1..=5).contains(&rating) {
            return Err(AppError::invalid("Rating", "must be 1 to 5 stars"));
        }
        let comment = comment.trim();
        if comment.chars().count() > 1000 {
            return Err(AppError::invalid("Comment", "must be at most 1000 characters"));
        }
        let stars = "★".repeat(rating as usize) + &"☆".repeat(5 - rating as usize);
        let note = if comment.is_empty() {
            format!("The customer rated this conversation {stars} ({rating}/5).")
        } else {
            format!("The customer rated this conversation {stars} ({rating}/5): “{comment}”")
        };
        let Some(noted) = self
            .store
            .rate(conversation_id, rating, comment, &note, channel_message_id)
            .await?
        else {
            return Ok(None);
        };
        self.publish_message(&noted.message);
        let _ = self.publish_summary(conversation_id).await;
        Ok(Some(noted))
    }

    /// Why a reply to the customer cannot be sent on the conversation's channel now, in words
    /// for the operator (an SMS customer who texted STOP).
    pub async fn reply_blocked(&self, conversation: &ConversationRecord) -> Result<Option<String>, AppError> {
        // Only an SMS number can opt out.
        if conversation.channel_kind == ChannelKind::Sms
            && self
            .store
            .sms_opted_out(conversation.channel_id, conversation.contact_id)
            .await?
        {
            return Ok(Some(crate::channels::sms::OPTED_OUT.to_string()));
        }
        Ok(None)
    }

    /// An e-mail conversation's subject.
    pub async fn subject_of(&self, conversation_id: i64) -> Result<Option<String>, AppError> {
        Ok(self.store.conversation_subject(conversation_id).await?)
    }
}

fn require_write(me: &Me) -> Result<(), AppError> {
    if me.can(Scope::OperatorWrite) {
        Ok(())
    } else {
        Err(AppError::forbidden("handle conversations"))
    }
}
