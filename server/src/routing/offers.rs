//! Offers: a conversation offered to operators, accepted by one of them, declined, expired
//! or withdrawn from an operator who can no longer take it, and what they are told of it.

use std::time::Instant;

use app::events::OperatorEvent;
use app::inbox::ConversationSummary;
use app::live::OfferView;
use app::{AppError, Me};

use super::{encode, now_ms, queue, Call, Router};
use crate::hub::{Event, Topic};
use crate::store::WorkflowRecord;

impl Router {
    /// Accepts an offer: the conversation becomes the operator's, atomically.
    pub async fn accept(&self, me: &Me, conversation_id: i64) -> Result<ConversationSummary, AppError> {
        if let Some(forwarded) = self
            .forward(|| Call::Accept {
                me: me.clone(),
                conversation_id,
            })
            .await
        {
            return forwarded;
        }
        let offered = self
            .lock()
            .offers
            .get(&conversation_id)
            .is_some_and(|o| o.to.contains(&me.member_id));
        if !offered {
            return Err(AppError::Conflict(
                "This conversation is no longer offered to you.".into(),
            ));
        }
        let taken = self.conversations.take_over(me, conversation_id).await;
        if taken.is_ok() {
            crate::metrics::COUNTERS.offer("accepted");
        }
        taken
    }

    pub async fn decline(&self, me: &Me, conversation_id: i64) -> Result<(), AppError> {
        if let Some(forwarded) = self
            .forward(|| Call::Decline {
                me: me.clone(),
                conversation_id,
            })
            .await
        {
            return forwarded;
        }
        crate::metrics::COUNTERS.offer("declined");
        let reroute = {
            let mut s = self.lock();
            match s.offers.get_mut(&conversation_id) {
                Some(o) if o.to.contains(&me.member_id) => {
                    o.to.retain(|m| *m != me.member_id);
                    o.passed_over.push(me.member_id);
                    o.to.is_empty()
                }
                _ => {
                    return Err(AppError::Conflict(
                        "This conversation is no longer offered to you.".into(),
                    ))
                }
            }
        };
        self.tell_offer_closed(&[me.member_id], conversation_id);
        if reroute {
            self.route(conversation_id).await;
        }
        Ok(())
    }

    /// Offers open to this operator go to someone else: all of them, or only those of the
    /// given workflows.
    pub(super) async fn withdraw_offers_of(&self, member_id: i64, workflows: Option<&[i64]>) {
        let affected: Vec<i64> = {
            let mut s = self.lock();
            let mut affected = Vec::new();
            for (c, o) in s.offers.iter_mut() {
                if o.to.contains(&member_id) && workflows.is_none_or(|w| w.contains(&o.workflow_id)) {
                    o.to.retain(|m| *m != member_id);
                    o.passed_over.push(member_id);
                    if o.to.is_empty() {
                        affected.push(*c);
                    }
                }
            }
            affected
        };
        for c in affected {
            self.tell_offer_closed(&[member_id], c);
            self.route(c).await;
        }
    }

    pub(super) fn tell_offer_closed(&self, members: &[i64], conversation_id: i64) {
        let text = encode(&OperatorEvent::OfferClosed { conversation_id });
        for m in members {
            self.hub.publish(
                Topic::Member(*m),
                &Event {
                    for_operators: Some(text.clone()),
                    ..Default::default()
                },
            );
        }
    }

    /// Offers nobody accepted by `now` go to the next operator.
    pub(super) async fn expire_offers(&self, now: Instant) {
        let expired = queue::expire(&mut self.lock().offers, now);
        for (c, to) in expired {
            crate::metrics::COUNTERS.offer("expired");
            tracing::info!(conversation_id = c, ?to, "offer expired");
            self.tell_offer_closed(&to, c);
            self.route(c).await;
        }
    }

    /// Tells the operators a conversation is offered to (a summary, when it has one).
    pub(super) async fn tell_offer(&self, conversation_id: i64, workflow: &WorkflowRecord, to: &[i64]) {
        crate::metrics::COUNTERS.offer("offered");
        self.show_offer(conversation_id, workflow, to).await
    }

    /// The offers open to the member, shown again (a console that connects, or reconnects
    /// after its socket dropped, sees what it is still offered).
    pub(super) async fn show_open_offers(&self, member_id: i64) {
        let open: Vec<(i64, i64)> = self
            .lock()
            .offers
            .iter()
            .filter(|(_, o)| o.to.contains(&member_id))
            .map(|(c, o)| (*c, o.workflow_id))
            .collect();
        for (conversation_id, workflow_id) in open {
            if let Ok(Some(workflow)) = self.store.workflow(workflow_id).await {
                self.show_offer(conversation_id, &workflow, &[member_id]).await;
            }
        }
    }

    async fn show_offer(&self, conversation_id: i64, workflow: &WorkflowRecord, to: &[i64]) {
        let summary = self.store.conversation_summary(conversation_id).await.ok().flatten();
        if let Some(summary) = summary {
            let expires_at = {
                let s = self.lock();
                s.offers
                    .get(&conversation_id)
                    .and_then(|o| o.expires)
                    .map(|e| now_ms() + e.saturating_duration_since(Instant::now()).as_millis() as i64)
            };
            let offer = OfferView {
                conversation: summary,
                workflow_name: workflow.name.clone(),
                pooled: workflow.routing_mode == "pooled",
                expires_at,
            };
            let text = encode(&OperatorEvent::Offer { offer });
            for m in to {
                self.hub.publish(
                    Topic::Member(*m),
                    &Event {
                        for_operators: Some(text.clone()),
                        ..Default::default()
                    },
                );
            }
        }
    }
}
