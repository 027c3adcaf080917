//! What reports read: a period's conversations with their times, who handled each, and which
//! groups take which workflows.

use super::{Store, StoreError};

dual! {}

/// A conversation as reports count it.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct ReportedConversation {
    pub id: i64,
    pub created_at: i64,
    pub escalated_at: Option<i64>,
    pub first_human_reply_at: Option<i64>,
    pub resolved_at: Option<i64>,
    /// When an operator first took it.
    pub first_accepted_at: Option<i64>,
    pub workflow_id: i64,
    pub channel_id: i64,
    /// The customer's rating, 1 to 5.
    pub csat_rating: Option<i64>,
}

impl Store {
    /// The workspace's conversations started in `from`..`to` (Unix ms) with a message.
    pub async fn reported_conversations(
        &self,
        workspace_id: i64,
        from: i64,
        to: i64,
    ) -> Result<Vec<ReportedConversation>, StoreError> {
        on_db!(self.db, |read, write| {
            Ok(sqlx::query_as(
            "SELECT c.id, c.created_at, c.escalated_at, c.first_human_reply_at, c.resolved_at,
                    (SELECT MIN(s.accepted_at) FROM operator_sessions s WHERE s.conversation_id = c.id) AS first_accepted_at,
                    c.workflow_id, c.channel_id, c.csat_rating
             FROM conversations c
             WHERE c.workspace_id = $1 AND c.created_at >= $2 AND c.created_at < $3 AND c.last_seq > 0",
        )
        .bind(workspace_id)
        .bind(from)
        .bind(to)
        .fetch_all(read)
        .await?)
        })
    }

    /// (conversation, operator) for each operator who handled a conversation started in
    /// the period, once each.
    pub async fn reported_operators(
        &self,
        workspace_id: i64,
        from: i64,
        to: i64,
    ) -> Result<Vec<(i64, i64)>, StoreError> {
        on_db!(self.db, |read, write| {
            Ok(sqlx::query_as(
                "SELECT DISTINCT s.conversation_id, s.member_id
             FROM conversations c JOIN operator_sessions s ON s.conversation_id = c.id
             WHERE c.workspace_id = $1 AND c.created_at >= $2 AND c.created_at < $3",
            )
            .bind(workspace_id)
            .bind(from)
            .bind(to)
            .fetch_all(read)
            .await?)
        })
    }

    /// The names of the workspace's workflows, channels and members, by id.
    pub async fn report_names(&self, workspace_id: i64) -> Result<Vec<(String, i64, String)>, StoreError> {
        on_db!(self.db, |read, write| {
            Ok(sqlx::query_as(
                "SELECT 'workflow', id, name FROM workflows WHERE workspace_id = $1
             UNION ALL SELECT 'channel', id, name FROM channels WHERE workspace_id = $1
             UNION ALL SELECT 'member', id, name FROM members WHERE workspace_id = $1",
            )
            .bind(workspace_id)
            .fetch_all(read)
            .await?)
        })
    }

    /// (workflow, group's name) for each workflow an operator group of the workspace takes.
    pub async fn group_workflow_names(&self, workspace_id: i64) -> Result<Vec<(i64, String)>, StoreError> {
        on_db!(self.db, |read, write| {
            Ok(sqlx::query_as(
                "SELECT gw.workflow_id, g.name FROM group_workflows gw JOIN operator_groups g ON g.id = gw.group_id
             WHERE g.workspace_id = $1",
            )
            .bind(workspace_id)
            .fetch_all(read)
            .await?)
        })
    }
}
