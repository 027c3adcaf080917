//! Offers: a conversation offered to operators, accepted by one of them, declined, expired
//! or withdrawn from an operator who can no longer take it, and what they are told of it.

use std::time::{Duration, Instant};

use app::events::OperatorEvent;
use app::inbox::ConversationSummary;
use app::live::OfferView;
use app::{AppError, Me};

use super::queue::{self, Offer};
use super::{encode, now_ms, Call, Router};
use crate::hub::{Event, Topic};
use crate::store::{OpenOffer, WorkflowRecord};

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
        } else {
            self.write_offer(conversation_id).await;
        }
        Ok(())
    }

    /// Offers open to this operator go to someone else: all of them, or only those of the
    /// given workflows.
    pub(super) async fn withdraw_offers_of(&self, member_id: i64, workflows: Option<&[i64]>) {
        let affected: Vec<(i64, bool)> = {
            let mut s = self.lock();
            let mut affected = Vec::new();
            for (c, o) in s.offers.iter_mut() {
                if o.to.contains(&member_id) && workflows.is_none_or(|w| w.contains(&o.workflow_id)) {
                    o.to.retain(|m| *m != member_id);
                    o.passed_over.push(member_id);
                    affected.push((*c, o.to.is_empty()));
                }
            }
            affected
        };
        for (c, nobody_left) in affected {
            self.tell_offer_closed(&[member_id], c);
            if nobody_left {
                self.route(c).await;
            } else {
                self.write_offer(c).await;
            }
        }
    }

    /// Writes the conversation's offer as routing holds it now (or its end), before anyone is
    /// told of it. False when this node's term has passed: the offer is forgotten, and the lead
    /// is looked at once (another node routes from here).
    pub(super) async fn write_offer(&self, conversation_id: i64) -> bool {
        let _in_order = self.offer_writes.lock().await;
        let (open, term) = {
            let mut s = self.lock();
            // Several nodes: the term this node leads in fences the write. None yet: decided
            // before this node's state as leader was rebuilt, and rebuilding routes it.
            let term = match (self.cluster.is_shared(), s.term) {
                (false, _) => None,
                (true, Some(term)) => Some(term),
                (true, None) => {
                    s.offers.remove(&conversation_id);
                    return false;
                }
            };
            let open = s.offers.get(&conversation_id).map(|o| OpenOffer {
                conversation_id,
                workflow_id: o.workflow_id,
                offered_to: o.to.clone(),
                passed_over: o.passed_over.clone(),
                expires_at: o
                    .expires
                    .map(|e| now_ms() + e.saturating_duration_since(Instant::now()).as_millis() as i64),
            });
            (open, term)
        };
        let written = match &open {
            Some(offer) => self.store.save_offer(offer, term).await,
            None => self.store.drop_offer(conversation_id, term).await.map(|()| true),
        };
        match written {
            Ok(true) => true,
            Ok(false) => {
                tracing::warn!(conversation_id, ?term, "offer not made: another node's term has begun");
                self.lock().offers.remove(&conversation_id);
                self.cluster.recheck();
                false
            }
            Err(e) => {
                // The offer stands here; only a next leader would not know of it.
                tracing::error!(error = %e, conversation_id, "could not write the offer");
                true
            }
        }
    }

    /// A new leader (or this node after a restart) carries on with the offers made to operators
    /// who are live now: they keep them, with the time they had left. Offers to nobody live are
    /// closed, and their conversations routed again with the other waiting ones.
    pub(super) async fn adopt_offers(&self) {
        let open = match self.store.open_offers().await {
            Ok(open) => open,
            Err(e) => {
                tracing::warn!(error = %e, "could not read the open offers");
                return;
            }
        };
        let now = now_ms();
        for offer in open {
            let adopted = {
                let mut s = self.lock();
                let to: Vec<i64> = offer
                    .offered_to
                    .iter()
                    .copied()
                    .filter(|m| s.presence.get(*m).is_some_and(|p| !p.live.is_empty()))
                    .collect();
                let adopted = !to.is_empty();
                if adopted {
                    s.offers.insert(
                        offer.conversation_id,
                        Offer {
                            workflow_id: offer.workflow_id,
                            to,
                            expires: offer
                                .expires_at
                                .map(|at| Instant::now() + Duration::from_millis((at - now).max(0) as u64)),
                            passed_over: offer.passed_over,
                        },
                    );
                }
                adopted
            };
            if adopted {
                tracing::info!(conversation_id = offer.conversation_id, "an open offer carried on");
            } else {
                self.write_offer(offer.conversation_id).await;
            }
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
