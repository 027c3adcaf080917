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
        // Snoozes run out, and long waits are told, on the same round.
        self.conversations.wake_snoozed().await;
        self.alert_long_waits().await;
        self.follow_plans().await;
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

impl Router {
    /// Tells the workspace's supervisors of each conversation that has waited in the queue past
    /// its workflow's `alert_after_secs` with nobody live on the workflow, once while it waits.
    async fn alert_long_waits(&self) {
        let queued: Vec<(i64, i64, i64, i64)> = {
            let mut s = self.lock();
            let s = &mut *s;
            let waiting: Vec<(i64, i64, i64, i64)> = s.lines.waiting();
            s.alerted.retain(|c| waiting.iter().any(|(id, ..)| id == c));
            waiting.into_iter().filter(|(id, ..)| !s.alerted.contains(id)).collect()
        };
        let now = super::now_ms();
        // Each workflow read once a round, however many of its conversations wait.
        let mut workflows = std::collections::HashMap::new();
        for (conversation_id, workspace_id, workflow_id, since_ms) in queued {
            if !workflows.contains_key(&workflow_id) {
                let read = self.store.workflow(workflow_id).await.ok().flatten();
                workflows.insert(workflow_id, read);
            }
            let Some(Some(workflow)) = workflows.get(&workflow_id) else {
                continue;
            };
            if workflow.alert_after_secs <= 0 || now - since_ms < workflow.alert_after_secs * 1000 {
                continue;
            }
            let nobody_live = {
                let s = self.lock();
                !s.presence
                    .members
                    .values()
                    .any(|o| o.workspace_id == workspace_id && o.live.iter().any(|w| w.id == workflow_id))
            };
            if !nobody_live {
                continue;
            }
            self.lock().alerted.insert(conversation_id);
            let contact_name = match self.store.conversation_summary(conversation_id).await {
                Ok(Some(s)) => s.contact_name,
                _ => continue,
            };
            let supervisors = match self.store.list_members(workspace_id).await {
                Ok(members) => members,
                Err(e) => {
                    tracing::warn!(error = %e, "could not list the supervisors to alert");
                    continue;
                }
            };
            let alert = super::encode(&app::events::OperatorEvent::WaitingAlert {
                conversation_id,
                contact_name,
                workflow_name: workflow.name.clone(),
                since_ms,
            });
            tracing::info!(conversation_id, "supervisors alerted: waiting with nobody live");
            for m in supervisors
                .iter()
                .filter(|m| m.active && !m.invited && m.role.has(app::Scope::ConversationsReadAll))
            {
                self.hub.publish(
                    crate::hub::Topic::Member(m.id),
                    &crate::hub::Event {
                        for_operators: Some(alert.clone()),
                        ..Default::default()
                    },
                );
            }
        }
    }
}
