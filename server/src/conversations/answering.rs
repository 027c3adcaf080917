//! The assistant's side of a conversation: its turn after a customer's message (answer, or hand
//! the conversation to a person), its company while the customer waits in a queue, what it left
//! unanswered when the process stopped, and its reply task, cancelled when a person takes over.

use std::sync::Arc;

use app::AppError;

use super::{refusal, Change, Conversations, AI_FALLBACK, UNANSWERED_WITHIN_MS};
use crate::assistant::{self, escalation};
use crate::store::{ConversationRecord, Refusal};

impl Conversations {
    /// Stops a reply the assistant is generating for the conversation, if any.
    pub fn stop_assistant_for(&self, conversation_id: i64) {
        self.stop_assistant(conversation_id);
    }

    pub(super) fn stop_assistant(&self, conversation_id: i64) {
        if let Some(handle) = self
            .in_flight
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&conversation_id)
        {
            handle.abort();
        }
    }

    /// The assistant's turn after a visitor's message: escalate (true) or answer.
    pub(super) async fn assistant_turn(
        self: &Arc<Self>,
        conversation: &ConversationRecord,
        text: &str,
    ) -> Result<bool, AppError> {
        let workflow = self
            .store
            .workflow(conversation.workflow_id)
            .await?
            .ok_or_else(|| AppError::not_found("The workflow"))?;
        // The workflow's own triggers hand over at once, to their group if they name one.
        let triggers = escalation::parse_triggers(&workflow.handoff_triggers).unwrap_or_default();
        if let Some((phrase, trigger)) = escalation::triggered(text, &triggers) {
            self.stop_assistant(conversation.id);
            let why = format!("The customer wrote “{phrase}”, one of this workflow's handoff triggers.");
            let escalated = self
                .escalate_as(conversation.id, &workflow, trigger.group.as_deref(), Some(&why))
                .await?;
            tracing::info!(conversation_id = conversation.id, phrase, escalated, "handoff trigger");
            return Ok(escalated);
        }
        let requests = if escalation::asks_for_human(text) {
            self.store.count_human_request(conversation.id).await?
        } else {
            conversation.human_requests
        };
        match escalation::decide(
            text,
            requests,
            workflow.escalation_threshold,
            workflow.escalate_on_frustration,
        ) {
            escalation::Decision::Escalate => {
                self.stop_assistant(conversation.id);
                if self.escalate_as(conversation.id, &workflow, None, None).await? {
                    tracing::info!(conversation_id = conversation.id, requests, "escalated to a human");
                    return Ok(true);
                }
            }
            escalation::Decision::Answer => self.spawn_reply(conversation.id, workflow),
        }
        Ok(false)
    }

    /// Hands the conversation to people as its workflow says: the handoff message to the
    /// customer (a note for the team instead when the handoff is silent), `why` and the group
    /// named for the team, and routing told (only the group's members are offered it when one
    /// is named; a group that no longer exists is noted and routing offers it as usual). False
    /// when it was not the assistant's to hand over (a person has it, or it waits already).
    pub(crate) async fn escalate_as(
        &self,
        conversation_id: i64,
        workflow: &crate::store::WorkflowRecord,
        group: Option<&str>,
        why: Option<&str>,
    ) -> Result<bool, AppError> {
        let notice = if workflow.silent_handoff {
            self.store
                .escalate_with(
                    conversation_id,
                    "Waiting for a person. The handoff is silent: the customer was not told.",
                    true,
                )
                .await?
        } else {
            self.store.escalate(conversation_id, &workflow.handoff_message).await?
        };
        let Some(notice) = notice else {
            return Ok(false);
        };
        self.publish_message(&notice.message);
        let group_id = match group {
            Some(name) => self
                .store
                .list_groups(workflow.workspace_id)
                .await?
                .into_iter()
                .find(|g| g.name.eq_ignore_ascii_case(name))
                .map(|g| (g.id, g.name)),
            None => None,
        };
        let mut note = why.map(str::to_string).unwrap_or_default();
        match (group, &group_id) {
            (Some(_), Some((_, name))) => note.push_str(&format!(" It is offered to the group {name}.")),
            (Some(name), None) => {
                note.push_str(&format!(" The group {name} no longer exists: it is offered as usual."))
            }
            _ => {}
        }
        let note = note.trim();
        if !note.is_empty() {
            let noted = self.store.append_internal_note(conversation_id, note).await?;
            self.publish_message(&noted.message);
        }
        self.tell(Change::Escalated {
            conversation_id,
            group_id: group_id.map(|(id, _)| id),
        });
        Ok(true)
    }

    /// The assistant answers a visitor who waits in a routing queue for a person (routing's
    /// decision, on `Change::VisitorWaiting`).
    pub async fn answer_in_queue(self: &Arc<Self>, conversation_id: i64, workflow_id: i64) {
        match self.store.workflow(workflow_id).await {
            Ok(Some(workflow)) => self.spawn_reply(conversation_id, workflow),
            Ok(None) => {}
            Err(e) => tracing::error!(error = %e, conversation_id, "could not read the workflow for the assistant"),
        }
    }

    /// After a restart: the assistant's answers that were in flight when the server stopped
    /// (conversations it handles whose newest message, within the last hour, is the visitor's)
    /// are produced again. Gives how many.
    pub async fn answer_unanswered(self: &Arc<Self>) -> Result<usize, AppError> {
        let since = crate::store::now_ms() - UNANSWERED_WITHIN_MS;
        let unanswered = self.store.unanswered_by_assistant(since).await?;
        for (conversation_id, workflow_id) in &unanswered {
            if let Some(workflow) = self.store.workflow(*workflow_id).await? {
                self.spawn_reply(*conversation_id, workflow);
            }
        }
        if !unanswered.is_empty() {
            tracing::info!(
                count = unanswered.len(),
                "answering what the assistant had not answered before the restart"
            );
        }
        Ok(unanswered.len())
    }

    fn spawn_reply(self: &Arc<Self>, conversation_id: i64, mut workflow: crate::store::WorkflowRecord) {
        self.ai_defaults.apply(&mut workflow);
        let this = self.clone();
        // Held while spawning, so that the task cannot end (and look for itself) before it is
        // in the map.
        let mut in_flight = self.in_flight.lock().unwrap_or_else(|p| p.into_inner());
        let task = tokio::spawn(async move {
            let _leaves = Leaves {
                conversations: this.clone(),
                conversation_id,
            };
            let needs = assistant::needs(&workflow);
            let history = match this.store.latest_messages(conversation_id, needs.history).await {
                Ok(h) => h,
                Err(e) => {
                    tracing::error!(error = %e, conversation_id, "could not read the history for the assistant");
                    return;
                }
            };
            let groups: Vec<String> = if needs.groups {
                match this.store.list_groups(workflow.workspace_id).await {
                    Ok(groups) => groups.into_iter().map(|g| g.name).collect(),
                    Err(e) => {
                        tracing::warn!(error = %e, "could not list the groups for the assistant");
                        Vec::new()
                    }
                }
            } else {
                Vec::new()
            };
            let outcome = assistant::reply(&this.http, &workflow, &history, &groups).await;
            crate::metrics::COUNTERS.assistant(outcome.is_ok());
            let stored = match outcome {
                Ok(assistant::Reply::RequestHuman { reason, group }) => {
                    let why = format!("The assistant asked for a person: {reason}");
                    match this
                        .escalate_as(conversation_id, &workflow, group.as_deref(), Some(&why))
                        .await
                    {
                        Ok(escalated) => {
                            tracing::info!(conversation_id, escalated, ?group, "the assistant asked for a person")
                        }
                        Err(e) => {
                            tracing::error!(error = %e, conversation_id, "could not hand over as the assistant asked")
                        }
                    }
                    return;
                }
                Ok(assistant::Reply::Text(text)) => this.store.append_ai_message(conversation_id, &text).await,
                Err(e) => {
                    tracing::warn!(error = %e, conversation_id, "the assistant failed");
                    if let Ok(note) = this
                        .store
                        .append_internal_note(conversation_id, &format!("The assistant could not answer: {e}."))
                        .await
                    {
                        this.publish_message(&note.message);
                    }
                    this.store.append_ai_message(conversation_id, AI_FALLBACK).await
                }
            };
            match stored {
                Ok(appended) => {
                    this.publish_message(&appended.message);
                    this.publish_activity(appended.after(), conversation_id).await;
                }
                Err(Refusal::NotAiHandled) => {
                    tracing::info!(conversation_id, "a person took over; the assistant's reply was dropped")
                }
                Err(other) => {
                    tracing::error!(error = %refusal(other), conversation_id, "could not store the assistant's reply")
                }
            }
        });
        if let Some(previous) = in_flight.insert(conversation_id, task.abort_handle()) {
            previous.abort();
        }
    }

    /// The assistant's replies being generated now.
    pub fn replies_in_flight(&self) -> usize {
        self.in_flight.lock().unwrap_or_else(|p| p.into_inner()).len()
    }
}

/// Takes an assistant's reply out of `in_flight` on whatever way its task ends (done, failed or
/// stopped), unless a newer reply for the conversation has taken its place.
struct Leaves {
    conversations: Arc<Conversations>,
    conversation_id: i64,
}

impl Drop for Leaves {
    fn drop(&mut self) {
        let mut in_flight = self.conversations.in_flight.lock().unwrap_or_else(|p| p.into_inner());
        let mine = tokio::task::try_id();
        if mine.is_some() && in_flight.get(&self.conversation_id).map(|h| h.id()) == mine {
            in_flight.remove(&self.conversation_id);
        }
    }
}
