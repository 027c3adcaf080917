//! Transfers: the operator handling a conversation, or a supervisor, moves it to another
//! operator or to an operator group, with a note for the team; routing then offers it only to
//! them while they can take it.

use app::conversation::{GroupChoice, TransferOperator, TransferOptions};
use app::inbox::ConversationSummary;
use app::lifecycle::Status;
use app::live::OperatorStatus;
use app::{AppError, Me, Scope};

use super::{Call, Router};

#[async_trait::async_trait]
impl app::conversation::HandlingApi for Router {
    async fn take_over(&self, me: &Me, id: i64) -> Result<ConversationSummary, AppError> {
        if let Some(forwarded) = self
            .forward(|| Call::TakeOver {
                me: me.clone(),
                conversation_id: id,
            })
            .await
        {
            return forwarded;
        }
        self.require_seat(me).await?;
        self.conversations.take_over(me, id).await
    }

    /// The operators (those who could take it now first) and groups a conversation may go to.
    async fn transfer_options(&self, me: &Me, id: i64) -> Result<TransferOptions, AppError> {
        if let Some(forwarded) = self
            .forward(|| Call::TransferOptions {
                me: me.clone(),
                conversation_id: id,
            })
            .await
        {
            return forwarded;
        }
        let c = self.conversations.access(me, id).await?;
        let board = self.board(me.workspace_id);
        let mut operators: Vec<TransferOperator> = self
            .store
            .list_operators(me.workspace_id)
            .await?
            .into_iter()
            .filter(|o| o.member_id != me.member_id)
            .map(|o| TransferOperator {
                available: board
                    .operators
                    .iter()
                    .any(|b| b.member_id == o.member_id && b.status == OperatorStatus::Online && b.load < b.limit)
                    && self.is_live_on(o.member_id, c.workflow_id),
                member_id: o.member_id,
                name: o.name,
            })
            .collect();
        operators.sort_by(|a, b| b.available.cmp(&a.available).then(a.name.cmp(&b.name)));
        let groups = self
            .store
            .list_groups(me.workspace_id)
            .await?
            .into_iter()
            .map(|g| GroupChoice { id: g.id, name: g.name })
            .collect();
        Ok(TransferOptions { operators, groups })
    }

    /// Moves a conversation to another operator or to an operator group, with a note for the
    /// team. The one handling it, or a supervisor, may do so. A named operator must be
    /// available now; a group's conversation goes to its available members, or waits in the
    /// queue for anyone.
    async fn transfer(
        &self,
        me: &Me,
        conversation_id: i64,
        to_member: Option<i64>,
        to_group: Option<i64>,
        note: &str,
    ) -> Result<(), AppError> {
        if let Some(forwarded) = self
            .forward(|| Call::Transfer {
                me: me.clone(),
                conversation_id,
                to_member,
                to_group,
                note: note.to_string(),
            })
            .await
        {
            return forwarded;
        }
        let c = self.conversations.access(me, conversation_id).await?;
        if !me.can(Scope::OperatorWrite) {
            return Err(AppError::forbidden("transfer conversations"));
        }
        if c.assignee_id != Some(me.member_id) && !me.can(Scope::ConversationsReadAll) {
            return Err(AppError::Conflict(
                "Only the operator handling this conversation, or a supervisor, can transfer it.".into(),
            ));
        }
        if c.status == Status::Resolved {
            return Err(AppError::Conflict(
                "This conversation is resolved; there is nothing to transfer.".into(),
            ));
        }
        let note = note.trim();
        if note.chars().count() > 1000 {
            return Err(AppError::invalid("Note", "must be at most 1000 characters"));
        }
        let (targets, target_name) = match (to_member, to_group) {
            (Some(m), None) => {
                if m == me.member_id {
                    return Err(AppError::invalid("Transfer to", "choose someone other than yourself"));
                }
                let s = self.lock();
                let o = s.presence.get(m).filter(|o| o.workspace_id == me.workspace_id);
                let available = o.is_some_and(|o| {
                    o.status == OperatorStatus::Online
                        && o.live_ids.contains(&c.workflow_id)
                        && (o.load.len() as u32) < o.limit
                });
                match o {
                    Some(o) if available => (vec![m], o.name.clone()),
                    Some(o) => {
                        return Err(AppError::Conflict(format!(
                            "{} cannot take it right now: they are not live and online on this workflow, or are at their chat limit.",
                            o.name
                        )))
                    }
                    None => return Err(AppError::Conflict("That operator is not live right now.".into())),
                }
            }
            (None, Some(g)) => {
                let members = self.store.group_member_ids(me.workspace_id, g).await?;
                let groups = self.store.list_groups(me.workspace_id).await?;
                let group = groups
                    .into_iter()
                    .find(|x| x.id == g)
                    .ok_or_else(|| AppError::not_found("That operator group"))?;
                (
                    members.into_iter().filter(|m| *m != me.member_id).collect(),
                    format!("the group {}", group.name),
                )
            }
            _ => {
                return Err(AppError::invalid(
                    "Transfer to",
                    "choose one operator or one operator group",
                ))
            }
        };
        let text = if note.is_empty() {
            format!("{} transferred the conversation to {target_name}.", me.name)
        } else {
            format!("{} transferred the conversation to {target_name}: {note}", me.name)
        };
        self.conversations.stop_assistant_for(conversation_id);
        let released = self.store.release_for_transfer(conversation_id, &text).await?;
        let _ = self.store.end_operator_session(conversation_id, "transferred").await;
        {
            let mut s = self.lock();
            s.sessions.remove(&conversation_id);
            if let Some(previous) = c.assignee_id.and_then(|p| s.presence.get_mut(p)) {
                previous.load.remove(&conversation_id);
            }
            s.offers.remove(&conversation_id);
            s.lines.remove(conversation_id);
            s.restrict.insert(conversation_id, targets);
        }
        self.conversations.publish_message(&released.message);
        self.conversations.publish_summary(conversation_id).await;
        if let Some(previous) = c.assignee_id {
            self.tell_member(previous);
        }
        tracing::info!(conversation_id, ?to_member, ?to_group, "transferred");
        self.route(conversation_id).await;
        Ok(())
    }
}
