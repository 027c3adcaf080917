//! Reassign on silence: a workflow may say that a customer left unanswered by their operator
//! for so long is offered to someone else. The conversation goes back to waiting for a person
//! with a note saying why, the operator's session ends as transferred, and routing offers it
//! to anyone eligible but them (when nobody else is, it waits in the queue as any other).

use std::time::{Duration, Instant};

use super::Router;

/// How often silent operators are looked for.
const EVERY: Duration = Duration::from_secs(2);

impl Router {
    pub(super) async fn reassign_silent(&self, now: Instant) {
        {
            let mut s = self.lock();
            if s.silence_checked.is_some_and(|at| now.duration_since(at) < EVERY) {
                return;
            }
            s.silence_checked = Some(now);
        }
        // Snoozes run out on the same round.
        self.conversations.wake_snoozed().await;
        let silent = match self.store.silent_conversations(super::now_ms()).await {
            Ok(list) => list,
            Err(e) => {
                tracing::warn!(error = %e, "could not look for unanswered customers");
                return;
            }
        };
        for c in silent {
            let minutes = (c.after_secs + 59) / 60;
            let waited = if c.after_secs < 60 {
                format!("{} seconds", c.after_secs)
            } else if minutes == 1 {
                "a minute".to_string()
            } else {
                format!("{minutes} minutes")
            };
            let note = format!(
                "{} had not answered the customer for {waited}; the conversation is offered to someone else.",
                c.member_name
            );
            let released = match self.store.release_for_transfer(c.conversation_id, &note).await {
                Ok(m) => m,
                Err(e) => {
                    tracing::warn!(error = %e, conversation_id = c.conversation_id, "could not reassign a silent conversation");
                    continue;
                }
            };
            let _ = self.store.end_operator_session(c.conversation_id, "transferred").await;
            {
                let mut s = self.lock();
                s.sessions.remove(&c.conversation_id);
                if let Some(o) = s.presence.get_mut(c.member_id) {
                    o.load.remove(&c.conversation_id);
                }
                s.offers.remove(&c.conversation_id);
                s.lines.remove(c.conversation_id);
                s.restrict.remove(&c.conversation_id);
                s.avoid.insert(c.conversation_id, vec![c.member_id]);
            }
            tracing::info!(
                conversation_id = c.conversation_id,
                member_id = c.member_id,
                "reassigned after silence"
            );
            self.conversations.publish_message(&released.message);
            self.conversations.publish_summary(c.conversation_id).await;
            self.tell_member(c.member_id);
            self.route(c.conversation_id).await;
        }
    }
}
