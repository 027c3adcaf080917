//! What an e-mail digest reads: members who want one and are due, and what waited for them.

use app::Me;

use super::members::ME_COLUMNS;
use super::{Store, StoreError};
use crate::conversations::visibility::Visibility;

dual! {}

/// A member who asked for a digest and has not had one for the interval.
#[derive(Debug, sqlx::FromRow)]
pub struct DigestReader {
    #[sqlx(flatten)]
    pub me: Me,
    /// What came after this (Unix ms) is new to them.
    pub since: i64,
}

/// One line of a digest: a conversation, and how much waited in it.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct DigestLine {
    pub conversation_id: i64,
    pub contact_name: String,
    pub workflow_name: String,
    /// The customer's new messages (in the member's own conversations).
    pub new_messages: i64,
    /// When it was escalated (waiting for the team), Unix ms.
    pub escalated_at: Option<i64>,
}

impl Store {
    /// Members who want a digest and had none (or were last here) at least `every_ms` ago.
    pub async fn digest_readers(&self, now: i64, every_ms: i64) -> Result<Vec<DigestReader>, StoreError> {
        on_db!(self.db, |read, write| {
            Ok(sqlx::query_as(&format!(
                "SELECT {ME_COLUMNS}, COALESCE(m.digest_sent_at, 0) AS since
             FROM members m JOIN workspaces w ON w.id = m.workspace_id
             WHERE m.active AND m.alert_digest AND COALESCE(m.digest_sent_at, 0) <= $1"
            ))
            .bind(now - every_ms)
            .fetch_all(read)
            .await?)
        })
    }

    /// The member's open conversations whose customer wrote after `since`.
    pub async fn digest_mine(&self, member_id: i64, since: i64) -> Result<Vec<DigestLine>, StoreError> {
        on_db!(self.db, |read, write| {
            Ok(sqlx::query_as(
                "SELECT c.id AS conversation_id, ct.name AS contact_name, w.name AS workflow_name,
                    COUNT(*) AS new_messages, c.escalated_at
             FROM conversations c
             JOIN contacts ct ON ct.id = c.contact_id
             JOIN workflows w ON w.id = c.workflow_id
             JOIN messages g ON g.conversation_id = c.id
             WHERE c.assignee_id = $1 AND c.status != 'resolved'
               AND g.sender_kind = 'contact' AND g.internal = FALSE AND g.created_at > $2
             GROUP BY c.id, ct.name, w.name
             ORDER BY MIN(g.created_at)",
            )
            .bind(member_id)
            .bind(since)
            .fetch_all(read)
            .await?)
        })
    }

    /// Conversations the member may see that were escalated after `since` and still wait for
    /// someone to take them.
    pub async fn digest_waiting(
        &self,
        workspace_id: i64,
        seen: &Visibility,
        since: i64,
    ) -> Result<Vec<DigestLine>, StoreError> {
        on_db!(self.db, |read, write| {
            Ok(sqlx::query_as(&format!(
                "SELECT c.id AS conversation_id, ct.name AS contact_name, w.name AS workflow_name,
                    CAST(0 AS BIGINT) AS new_messages, c.escalated_at
             FROM conversations c
             JOIN contacts ct ON ct.id = c.contact_id
             JOIN workflows w ON w.id = c.workflow_id
             WHERE c.workspace_id = $1 AND c.status = 'waiting' AND c.assignee_id IS NULL
               AND c.escalated_at > $3 AND {}
             ORDER BY c.escalated_at",
                Visibility::sql("$2", side::PG)
            ))
            .bind(workspace_id)
            .bind(seen.bind())
            .bind(since)
            .fetch_all(read)
            .await?)
        })
    }

    /// The member has had their digest, or was here to see everything, up to `at`.
    pub async fn digest_done(&self, member_id: i64, at: i64) -> Result<(), StoreError> {
        on_db!(self.db, |read, write| {
            sqlx::query("UPDATE members SET digest_sent_at = $2 WHERE id = $1")
                .bind(member_id)
                .bind(at)
                .execute(write)
                .await?;
            Ok(())
        })
    }
}
