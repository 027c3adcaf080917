//! What the router reads and writes: operators' workflows and limits, assigned conversations,
//! operator sessions, and putting a conversation back in the queue.

use app::live::WorkflowChoice;

use super::append::NewMessage;
use super::conversations::decided;
use super::{now_ms, Store, StoreError};
use crate::conversations::lifecycle::Event;

dual! {}

/// The workspace settings routing obeys.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Gate {
    pub operator_enabled: bool,
    pub presence_enabled: bool,
    pub seats: i64,
    pub default_chat_limit: i64,
    pub disconnect_timeout_secs: i64,
    pub reroute_on_disconnect: bool,
    pub managers_handle_chats: bool,
}

/// A conversation whose operator has left the customer unanswered past its workflow's limit.
#[derive(Debug, sqlx::FromRow)]
pub struct SilentConversation {
    pub conversation_id: i64,
    pub member_id: i64,
    pub member_name: String,
    pub after_secs: i64,
}

/// A member who holds open conversations, as presence is restored after a start.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Holder {
    pub member_id: i64,
    pub workspace_id: i64,
    pub name: String,
}

/// One operator's time on a conversation.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct OperatorSession {
    pub member_id: i64,
    pub accepted_at: i64,
    pub ended_at: Option<i64>,
    /// How it ended (`transferred`, `disconnected`, …); none while it lasts.
    pub outcome: Option<String>,
}

impl Store {
    /// Active conversations on workflows that reassign on silence whose customer has waited for
    /// their operator longer than the limit: since their first message after the operator's
    /// last reply (`waiting_since`, kept with each message), or since the operator took it,
    /// whichever is later.
    pub async fn silent_conversations(&self, now: i64) -> Result<Vec<SilentConversation>, StoreError> {
        on_db!(self.db, |read, write| {
            Ok(sqlx::query_as(&format!(
                "SELECT c.id AS conversation_id, c.assignee_id AS member_id, m.name AS member_name,
                        w.reassign_after_secs AS after_secs
                 FROM conversations c JOIN workflows w ON w.id = c.workflow_id JOIN members m ON m.id = c.assignee_id
                 WHERE c.status = 'active' AND c.handler = 'human' AND c.waiting_since IS NOT NULL
                   AND w.reassign_after_secs > 0
                   AND {}(c.waiting_since, COALESCE((SELECT MAX(s.accepted_at) FROM operator_sessions s
                                                     WHERE s.conversation_id = c.id AND s.ended_at IS NULL), 0))
                       <= $1 - w.reassign_after_secs * 1000",
                side::GREATEST
            ))
            .bind(now)
            .fetch_all(read)
            .await?)
        })
    }

    /// Sets how long a conversation of the workflow may wait with nobody live before supervisors
    /// are alerted (0: never).
    pub async fn set_alert_after(&self, workflow_id: i64, secs: i64) -> Result<(), StoreError> {
        on_db!(self.db, |read, write| {
            sqlx::query("UPDATE workflows SET alert_after_secs = $2 WHERE id = $1")
                .bind(workflow_id)
                .bind(secs)
                .execute(write)
                .await?;
            Ok(())
        })
    }

    /// Sets how long a workflow's operators may leave a customer unanswered (0: forever).
    pub async fn set_reassign_after(&self, workflow_id: i64, secs: i64) -> Result<(), StoreError> {
        on_db!(self.db, |read, write| {
            sqlx::query("UPDATE workflows SET reassign_after_secs = $2 WHERE id = $1")
                .bind(workflow_id)
                .bind(secs)
                .execute(write)
                .await?;
            Ok(())
        })
    }

    pub async fn gate(&self, workspace_id: i64) -> Result<Gate, StoreError> {
        on_db!(self.db, |read, write| {
            sqlx::query_as(
            "SELECT operator_enabled, presence_enabled, human_agents AS seats, default_chat_limit, disconnect_timeout_secs,
                    reroute_on_disconnect, managers_handle_chats
             FROM workspaces WHERE id = $1",
        )
        .bind(workspace_id)
        .fetch_optional(read)
        .await?
        .ok_or(StoreError::NotFound)
        })
    }

    pub async fn set_reroute_on_disconnect(&self, workspace_id: i64, reroute: bool) -> Result<(), StoreError> {
        on_db!(self.db, |read, write| {
            sqlx::query("UPDATE workspaces SET reroute_on_disconnect = $2 WHERE id = $1")
                .bind(workspace_id)
                .bind(reroute)
                .execute(write)
                .await?;
            Ok(())
        })
    }

    /// The workflows of the member's operator groups.
    pub async fn group_workflows(&self, member_id: i64) -> Result<Vec<WorkflowChoice>, StoreError> {
        on_db!(self.db, |read, write| {
            let rows: Vec<(i64, String)> = sqlx::query_as(
                "SELECT DISTINCT w.id, w.name FROM workflows w
             JOIN group_workflows gw ON gw.workflow_id = w.id
             JOIN group_members gm ON gm.group_id = gw.group_id
             WHERE gm.member_id = $1 ORDER BY w.name",
            )
            .bind(member_id)
            .fetch_all(read)
            .await?;
            Ok(rows.into_iter().map(|(id, name)| WorkflowChoice { id, name }).collect())
        })
    }

    /// The member's own chat limit, if one is set.
    pub async fn member_chat_limit(&self, member_id: i64) -> Result<Option<i64>, StoreError> {
        on_db!(self.db, |read, write| {
            let row: Option<(Option<i64>,)> = sqlx::query_as("SELECT chat_limit FROM members WHERE id = $1")
                .bind(member_id)
                .fetch_optional(read)
                .await?;
            Ok(row.and_then(|r| r.0))
        })
    }

    pub async fn set_member_chat_limit(&self, member_id: i64, limit: Option<i64>) -> Result<(), StoreError> {
        on_db!(self.db, |read, write| {
            sqlx::query("UPDATE members SET chat_limit = $2 WHERE id = $1")
                .bind(member_id)
                .bind(limit)
                .execute(write)
                .await?;
            Ok(())
        })
    }

    /// Conversations a person handles now for the member.
    pub async fn assigned_open(&self, member_id: i64) -> Result<Vec<i64>, StoreError> {
        on_db!(self.db, |read, write| {
            let rows: Vec<(i64,)> = sqlx::query_as(
            "SELECT id FROM conversations WHERE assignee_id = $1 AND handler = 'human' AND status IN ('active', 'waiting')",
        )
        .bind(member_id)
        .fetch_all(read)
        .await?;
            Ok(rows.into_iter().map(|r| r.0).collect())
        })
    }

    /// Members who hold open conversations (to restore, after a restart, the presence of
    /// operators who have not reconnected yet).
    pub async fn members_holding_conversations(&self) -> Result<Vec<Holder>, StoreError> {
        on_db!(self.db, |read, write| {
            Ok(sqlx::query_as(
                "SELECT DISTINCT m.id AS member_id, m.workspace_id, m.name
             FROM conversations c JOIN members m ON m.id = c.assignee_id
             WHERE c.handler = 'human' AND c.status IN ('active', 'waiting')",
            )
            .fetch_all(read)
            .await?)
        })
    }

    /// Conversations waiting for a person that nobody holds, oldest first (to rebuild queues).
    pub async fn waiting_unassigned(&self) -> Result<Vec<i64>, StoreError> {
        on_db!(self.db, |read, write| {
            let rows: Vec<(i64,)> = sqlx::query_as(
                "SELECT id FROM conversations
             WHERE status = 'waiting' AND assignee_id IS NULL ORDER BY escalated_at",
            )
            .fetch_all(read)
            .await?;
            Ok(rows.into_iter().map(|(id,)| id).collect())
        })
    }

    pub async fn open_operator_session(
        &self,
        workspace_id: i64,
        conversation_id: i64,
        member_id: i64,
    ) -> Result<(), StoreError> {
        on_db!(self.db, |read, write| {
            sqlx::query(
            "INSERT INTO operator_sessions (workspace_id, conversation_id, member_id, accepted_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(workspace_id)
        .bind(conversation_id)
        .bind(member_id)
        .bind(now_ms())
        .execute(write)
        .await?;
            Ok(())
        })
    }

    /// Ends the open session of a conversation with its outcome.
    pub async fn end_operator_session(&self, conversation_id: i64, outcome: &str) -> Result<(), StoreError> {
        on_db!(self.db, |read, write| {
            sqlx::query(
            "UPDATE operator_sessions SET ended_at = $2, outcome = $3 WHERE conversation_id = $1 AND ended_at IS NULL",
        )
        .bind(conversation_id)
        .bind(now_ms())
        .bind(outcome)
        .execute(write)
        .await?;
            Ok(())
        })
    }

    /// The sessions of a conversation, oldest first.
    pub async fn operator_sessions(&self, conversation_id: i64) -> Result<Vec<OperatorSession>, StoreError> {
        on_db!(self.db, |read, write| {
            Ok(sqlx::query_as(
            "SELECT member_id, accepted_at, ended_at, outcome FROM operator_sessions WHERE conversation_id = $1 ORDER BY id",
        )
        .bind(conversation_id)
        .fetch_all(read)
        .await?)
        })
    }

    /// Operator sessions of the workspace, newest first, narrowed by operator, workflow,
    /// outcome (`ongoing`: not ended) and where the previous page ended.
    pub async fn session_history(
        &self,
        workspace_id: i64,
        operator: Option<i64>,
        workflow: Option<i64>,
        outcome: Option<&str>,
        before: Option<i64>,
        limit: i64,
    ) -> Result<Vec<app::history::SessionView>, StoreError> {
        on_db!(self.db, |read, write| {
            Ok(sqlx::query_as(
                "SELECT s.id, s.conversation_id, ct.name AS contact_name, s.member_id, m.name AS operator,
                    c.workflow_id, w.name AS workflow, s.accepted_at, s.ended_at, s.outcome
             FROM operator_sessions s
             JOIN conversations c ON c.id = s.conversation_id
             JOIN contacts ct ON ct.id = c.contact_id
             JOIN members m ON m.id = s.member_id
             JOIN workflows w ON w.id = c.workflow_id
             WHERE s.workspace_id = $1 AND ($2 IS NULL OR s.member_id = $2) AND ($3 IS NULL OR c.workflow_id = $3)
               AND ($4 IS NULL OR ($4 = 'ongoing' AND s.ended_at IS NULL) OR s.outcome = $4)
               AND ($5 IS NULL OR s.id < $5)
             ORDER BY s.id DESC LIMIT $6",
            )
            .bind(workspace_id)
            .bind(operator)
            .bind(workflow)
            .bind(outcome)
            .bind(before)
            .bind(limit)
            .fetch_all(read)
            .await?)
        })
    }

    /// The active members of an operator group of the workspace.
    pub async fn group_member_ids(&self, workspace_id: i64, group_id: i64) -> Result<Vec<i64>, StoreError> {
        on_db!(self.db, |read, write| {
            let rows: Vec<(i64,)> = sqlx::query_as(
                "SELECT gm.member_id FROM group_members gm JOIN operator_groups g ON g.id = gm.group_id
             JOIN members m ON m.id = gm.member_id
             WHERE g.id = $1 AND g.workspace_id = $2 AND m.active = TRUE",
            )
            .bind(group_id)
            .bind(workspace_id)
            .fetch_all(read)
            .await?;
            Ok(rows.into_iter().map(|r| r.0).collect())
        })
    }

    /// Releases a conversation for a transfer: nobody holds it, a person is still wanted (the
    /// assistant stays quiet), and the team sees who moved it where and why.
    pub async fn release_for_transfer(&self, conversation_id: i64, note: &str) -> Result<super::Appended, StoreError> {
        self.release(conversation_id, Event::Transfer, note).await
    }

    /// Puts a conversation its operator can no longer handle back in the queue: nobody holds
    /// it, it waits for a person, and the assistant covers meanwhile.
    pub async fn requeue(&self, conversation_id: i64, note: &str) -> Result<super::Appended, StoreError> {
        self.release(conversation_id, Event::OperatorGone, note).await
    }

    /// Applies `event` and leaves `note` for the team, in one transaction.
    async fn release(&self, conversation_id: i64, event: Event, note: &str) -> Result<super::Appended, StoreError> {
        on_db!(self.db, |read, write| {
            let mut tx = side::begin_write(write).await?;
            decided(side::conversations::apply(&mut tx, conversation_id, event).await)?;
            let appended = side::append::append(&mut tx, conversation_id, &NewMessage::system(note, true)).await?;
            tx.commit().await?;
            Ok(appended)
        })
    }
}
