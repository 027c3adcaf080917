//! People handling a conversation: handing it to a person, taking it over, snoozing it,
//! categorising it, reopening it, handing it back to the assistant and resolving it. Each is the
//! lifecycle's decision, stored first, then published and told to routing.

use app::inbox::ConversationSummary;
use app::lifecycle::Status;
use app::{AppError, Me, Scope};

use super::{refusal, require_write, Change, Conversations};
use crate::store::ConversationRecord;

impl Conversations {
    /// An outside bot hands the conversation to people (through the API): escalated as the
    /// assistant escalates (the workflow's handoff message to the customer, then routing), with
    /// `note` left for the team.
    pub async fn hand_off(&self, me: &Me, conversation_id: i64, note: Option<&str>) -> Result<(), AppError> {
        require_write(me)?;
        let c = self.access(me, conversation_id).await?;
        if c.status == Status::Resolved {
            return Err(AppError::Conflict(
                "This conversation is resolved; reopen it to hand it off.".into(),
            ));
        }
        self.require_operators_on(me).await?;
        let workflow = self
            .store
            .workflow(c.workflow_id)
            .await?
            .ok_or_else(|| AppError::not_found("The workflow"))?;
        self.stop_assistant(conversation_id);
        if self.escalate_as(conversation_id, &workflow, None, None).await? {
            tracing::info!(conversation_id, by = me.member_id, "handed off through the API");
        }
        if let Some(note) = note.map(str::trim).filter(|n| !n.is_empty()) {
            let text = format!("{} handed the conversation off: {note}", me.name);
            let noted = self.store.append_internal_note(conversation_id, &text).await?;
            self.publish_message(&noted.message);
        }
        self.publish_summary(conversation_id).await;
        Ok(())
    }

    /// The operator takes over: the assistant stops at once, including a reply in flight.
    pub async fn take_over(&self, me: &Me, conversation_id: i64) -> Result<ConversationSummary, AppError> {
        require_write(me)?;
        let c = self.access(me, conversation_id).await?;
        if c.status == Status::Resolved {
            return Err(AppError::Conflict(
                "This conversation is resolved. Reopen it to take it over.".into(),
            ));
        }
        self.require_operators_on(me).await?;
        self.stop_assistant(conversation_id);
        let silent = self
            .store
            .workflow(c.workflow_id)
            .await?
            .is_some_and(|w| w.silent_handoff);
        if let Some(joined) = self
            .store
            .take_over_as(conversation_id, me.member_id, silent)
            .await
            .map_err(refusal)?
        {
            self.publish_all(&joined);
            self.tell(Change::Claimed {
                conversation_id,
                member_id: me.member_id,
            });
        }
        self.summary_after_change(conversation_id).await
    }

    /// Only the operator handling a conversation, or a supervisor, changes how it stands
    /// (`doing`: what they tried, in words).
    async fn require_handler(&self, me: &Me, c: &ConversationRecord, doing: &str) -> Result<(), AppError> {
        if c.assignee_id.is_none_or(|h| h == me.member_id) || me.can(Scope::ConversationsReadAll) {
            return Ok(());
        }
        let name = self
            .store
            .conversation_summary(c.id)
            .await?
            .and_then(|s| s.assignee)
            .unwrap_or_else(|| "Another operator".into());
        Err(AppError::Conflict(format!(
            "{name} is handling this conversation; only they or a supervisor can {doing}."
        )))
    }

    /// People answer customers only while the workspace has operators turned on.
    async fn require_operators_on(&self, me: &Me) -> Result<(), AppError> {
        if self.store.gate(me.workspace_id).await?.operator_enabled {
            return Ok(());
        }
        Err(AppError::Conflict(
            "Operators are not part of this workspace’s plan; contact your account admin to turn them on.".into(),
        ))
    }

    async fn summary_after_change(&self, conversation_id: i64) -> Result<ConversationSummary, AppError> {
        self.publish_summary(conversation_id)
            .await
            .ok_or_else(|| AppError::not_found("That conversation"))
    }
}

impl Conversations {
    /// Brings back the conversations whose snooze ran out, with a note for the team.
    pub async fn wake_snoozed(&self) {
        let woken = match self.store.wake_snoozed(crate::store::now_ms()).await {
            Ok(ids) => ids,
            Err(e) => {
                tracing::warn!(error = %e, "could not wake snoozed conversations");
                return;
            }
        };
        for id in woken {
            if let Ok(noted) = self.store.append_internal_note(id, "The snooze is over.").await {
                self.publish_message(&noted.message);
            }
            let _ = self.publish_summary(id).await;
        }
    }
}

#[async_trait::async_trait]
impl app::conversation::ConversationStateApi for Conversations {
    async fn snooze(&self, me: &Me, conversation_id: i64, until: Option<i64>) -> Result<ConversationSummary, AppError> {
        require_write(me)?;
        let c = self.access(me, conversation_id).await?;
        if c.status == Status::Resolved {
            return Err(AppError::Conflict(
                "This conversation is resolved; there is nothing to snooze.".into(),
            ));
        }
        self.require_handler(me, &c, "snooze it").await?;
        let now = crate::store::now_ms();
        let note = match until {
            None => format!("{} brought the conversation back from snooze.", me.name),
            Some(app::inbox::UNTIL_REPLY) => format!("{} snoozed the conversation until the customer writes.", me.name),
            Some(t) if t <= now => return Err(AppError::invalid("Snooze until", "must be in the future")),
            Some(t) if t > now + 366 * 86_400_000 => {
                return Err(AppError::invalid("Snooze until", "must be within a year"))
            }
            Some(t) => format!(
                "{} snoozed the conversation until {}.",
                me.name,
                app::time::format_utc(t)
            ),
        };
        let Some(noted) = self.store.snooze(conversation_id, until, &note).await? else {
            return Err(AppError::Conflict(
                "This conversation is resolved; there is nothing to snooze.".into(),
            ));
        };
        self.publish_message(&noted.message);
        self.summary_after_change(conversation_id).await
    }

    /// Files the conversation's category (or clears it with `None`).
    async fn set_category(
        &self,
        me: &Me,
        conversation_id: i64,
        category_id: Option<i64>,
    ) -> Result<ConversationSummary, AppError> {
        require_write(me)?;
        self.access(me, conversation_id).await?;
        self.store
            .set_category(conversation_id, category_id)
            .await
            .map_err(|e| match e {
                crate::store::StoreError::NotFound => AppError::not_found("That category"),
                other => other.into(),
            })?;
        self.summary_after_change(conversation_id).await
    }

    /// Reopens a resolved conversation: active again if a person holds it, else open.
    async fn reopen(&self, me: &Me, conversation_id: i64) -> Result<ConversationSummary, AppError> {
        require_write(me)?;
        let c = self.access(me, conversation_id).await?;
        if c.status != Status::Resolved {
            return Err(AppError::Conflict(
                "Only a resolved conversation can be reopened.".into(),
            ));
        }
        self.require_handler(me, &c, "reopen it").await?;
        let note = self.store.reopen(conversation_id, me.member_id).await?;
        self.publish_all(&note);
        if let Some(member_id) = c.assignee_id {
            self.tell(Change::Claimed {
                conversation_id,
                member_id,
            });
        }
        self.summary_after_change(conversation_id).await
    }

    /// Hands the conversation back to the assistant, which answers the visitor's next message
    /// with the whole thread as context.
    async fn restore_to_ai(&self, me: &Me, conversation_id: i64) -> Result<ConversationSummary, AppError> {
        require_write(me)?;
        let c = self.access(me, conversation_id).await?;
        self.require_handler(me, &c, "hand it back").await?;
        let note = self.store.restore_to_ai(conversation_id, me.member_id).await?;
        self.publish_all(&note);
        self.tell(Change::Released {
            conversation_id,
            member_id: c.assignee_id,
            outcome: "returned_to_ai".into(),
        });
        self.summary_after_change(conversation_id).await
    }

    async fn resolve(&self, me: &Me, conversation_id: i64) -> Result<ConversationSummary, AppError> {
        require_write(me)?;
        let c = self.access(me, conversation_id).await?;
        if c.status == Status::Resolved {
            return Err(AppError::Conflict("This conversation is already resolved.".into()));
        }
        self.require_handler(me, &c, "resolve it").await?;
        self.stop_assistant(conversation_id);
        let note = self.store.resolve(conversation_id, me.member_id).await?;
        self.publish_all(&note);
        self.ask_for_rating(conversation_id).await;
        self.tell(Change::Released {
            conversation_id,
            member_id: c.assignee_id,
            outcome: "completed".into(),
        });
        self.summary_after_change(conversation_id).await
    }
}
