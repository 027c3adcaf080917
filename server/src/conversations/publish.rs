//! Publishing through the hub: a stored message to the conversation's visitor (unless it is
//! internal) and operators, a conversation's summary to the operators of its workspace who may
//! see it (from a cache the messages keep current, or from the database), and read markers to
//! the member's other tabs.

use app::events::{Delivery, MessageView, OperatorEvent, SenderKind, VisitorEvent};
use app::inbox::ConversationSummary;
use app::lifecycle::DeliveryStatus;

use super::{encode, lifecycle, Conversations};
use crate::channels::tokens::unix_now;
use crate::hub::{Event, Latest, Topic};
use crate::store::Appended;

/// How many summaries the cache keeps before it starts over.
const SUMMARY_CACHE: usize = 100_000;

/// How many times a summary older than the cache's is read again before giving up.
const STALE_READS: usize = 3;

impl Conversations {
    /// Tells the conversation's subscribers about a stored message: the visitor unless it is
    /// internal, and the operators. The cached summary follows it.
    pub fn publish_message(&self, message: &MessageView) {
        crate::metrics::COUNTERS.published((crate::store::now_ms() - message.created_at) as f64 / 1000.0);
        if message
            .delivery
            .as_ref()
            .is_some_and(|d| d.status == DeliveryStatus::Pending)
        {
            self.outbox.notify_one();
        }
        if let Some((_, s)) = self
            .summaries
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get_mut(&message.conversation_id)
        {
            if message.seq > s.last_seq {
                s.last_seq = message.seq;
                s.last_activity_at = message.created_at;
                s.last_sender_kind = Some(message.sender_kind);
                s.last_sender_id = message.sender_id;
                if !message.internal && message.sender_kind != SenderKind::System {
                    s.last_message = Some(message.body.clone());
                }
                // The customer writing ends a snooze (as the store has it).
                if message.sender_kind == SenderKind::Contact {
                    s.snoozed_until = None;
                }
            }
        }
        let event = Event {
            seq: Some(message.seq),
            for_visitors: (!message.internal).then(|| {
                let mut message = message.clone();
                self.link_files(&mut message, unix_now());
                encode(&VisitorEvent::Message { message })
            }),
            for_operators: Some(encode(&OperatorEvent::Message {
                message: message.clone(),
            })),
            received_ms: Some(message.created_at),
            ..Default::default()
        };
        self.hub.publish(Topic::Conversation(message.conversation_id), &event);
    }

    /// Tells the operators who may see it that the conversation changed, as the database has
    /// it; returns what was read.
    ///
    /// Two tasks may read one conversation in one order and publish in the other (the read of
    /// a customer's message, then the assistant's answer stored, read and published first): a
    /// read older than a message the cache already has is read again, and the cache's lock is
    /// held while publishing, so that one conversation's summaries go out in the order of what
    /// they say and the last one is never older than what went before it.
    pub async fn publish_summary(&self, conversation_id: i64) -> Option<ConversationSummary> {
        let mut read = None;
        for _ in 0..STALE_READS {
            match self.store.published_summary(conversation_id).await {
                Ok(Some((workspace, summary))) => {
                    let mut cache = self.summaries.lock().unwrap_or_else(|p| p.into_inner());
                    if cache
                        .get(&conversation_id)
                        .is_some_and(|(_, newer)| newer.last_seq > summary.last_seq)
                    {
                        read = Some(summary);
                        continue;
                    }
                    if cache.len() >= SUMMARY_CACHE {
                        cache.clear();
                    }
                    cache.insert(conversation_id, (workspace, summary.clone()));
                    self.broadcast_summary(workspace, &summary);
                    return Some(summary);
                }
                Ok(None) => return None,
                Err(e) => {
                    tracing::error!(error = %e, conversation_id, "could not read the conversation to publish it");
                    return None;
                }
            }
        }
        // Messages kept arriving between the reads: each publishes the conversation itself.
        read
    }

    /// Announces new messages in a conversation whose state is `now`: from the cached summary
    /// when it agrees with that state, else from the database.
    pub async fn publish_activity(&self, now: Option<lifecycle::State>, conversation_id: i64) {
        let published = now.is_some_and(|c| {
            let cache = self.summaries.lock().unwrap_or_else(|p| p.into_inner());
            match cache
                .get(&conversation_id)
                .filter(|(_, s)| s.status == c.status && s.handler == c.handler && s.assignee_id == c.assignee)
            {
                // Under the cache's lock, as `publish_summary` does.
                Some((workspace, summary)) => {
                    self.broadcast_summary(*workspace, summary);
                    true
                }
                None => false,
            }
        });
        if !published {
            self.publish_summary(conversation_id).await;
        }
    }

    fn broadcast_summary(&self, workspace: i64, summary: &ConversationSummary) {
        let event = Event {
            for_operators: Some(encode(&OperatorEvent::Conversation {
                conversation: summary.clone(),
            })),
            facts: Some(summary.facts()),
            latest: Some(Latest::Summary(summary.id)),
            ..Default::default()
        };
        self.hub.publish(Topic::Workspace(workspace), &event);
    }

    pub(super) fn publish_all(&self, appended: &Appended) {
        if !appended.duplicate {
            self.publish_message(&appended.message);
        }
    }

    /// Tells the conversation's operators how far a reply sent through a provider got.
    pub fn publish_delivery(&self, conversation_id: i64, seq: i64, delivery: Delivery) {
        let event = OperatorEvent::Delivery {
            conversation_id,
            seq,
            delivery,
        };
        self.hub.publish(
            Topic::Conversation(conversation_id),
            &Event {
                for_operators: Some(encode(&event)),
                ..Default::default()
            },
        );
    }

    /// Tells the conversation's operators whether a reply can be sent now (`reply_blocked`).
    pub fn publish_reply_blocked(&self, conversation_id: i64, reason: Option<String>) {
        let event = OperatorEvent::ReplyBlocked {
            conversation_id,
            reason,
        };
        self.hub.publish(
            Topic::Conversation(conversation_id),
            &Event {
                for_operators: Some(encode(&event)),
                ..Default::default()
            },
        );
    }

    /// Tells every tab of the member that they read the conversation up to `seq`.
    pub(super) fn publish_read(&self, member_id: i64, conversation_id: i64, seq: i64) {
        self.hub.publish(
            Topic::Member(member_id),
            &Event {
                for_operators: Some(encode(&OperatorEvent::Read { conversation_id, seq })),
                ..Default::default()
            },
        );
    }
}
