//! Canned responses: the workspace's, each operator group's, and each member's own.

use app::canned::CannedScope;

use super::unique::{self, unique_as};
use super::{now_ms, Returning, Store, StoreError};

dual! {}

/// A stored canned response.
#[derive(Debug, Clone)]
pub struct CannedRecord {
    pub id: i64,
    pub workspace_id: i64,
    pub group_id: Option<i64>,
    pub group: Option<String>,
    pub member_id: Option<i64>,
    pub shortcut: String,
    pub title: String,
    pub body: String,
}

impl CannedRecord {
    pub fn scope(&self) -> CannedScope {
        match (self.group_id, self.member_id) {
            (Some(_), _) => CannedScope::Group,
            (_, Some(_)) => CannedScope::Personal,
            _ => CannedScope::Workspace,
        }
    }
}

type Row = (
    i64,
    i64,
    Option<i64>,
    Option<String>,
    Option<i64>,
    String,
    String,
    String,
);

fn record(r: Row) -> CannedRecord {
    CannedRecord {
        id: r.0,
        workspace_id: r.1,
        group_id: r.2,
        group: r.3,
        member_id: r.4,
        shortcut: r.5,
        title: r.6,
        body: r.7,
    }
}

const SELECT: &str = "SELECT r.id, r.workspace_id, r.group_id, g.name, r.member_id, r.shortcut, r.title, r.body
    FROM canned_responses r LEFT JOIN operator_groups g ON g.id = r.group_id";

impl Store {
    /// The responses a member may use: the workspace's, their groups', their own. With `all`,
    /// every group's too (for those who manage them).
    pub async fn canned_for(
        &self,
        workspace_id: i64,
        member_id: i64,
        all: bool,
    ) -> Result<Vec<CannedRecord>, StoreError> {
        on_db!(self.db, |read, write| {
            let rows: Vec<Row> = sqlx::query_as(&format!(
                "{SELECT} WHERE r.workspace_id = $1
               AND (r.member_id = $2
                    OR (r.member_id IS NULL AND r.group_id IS NULL)
                    OR r.group_id IN (SELECT group_id FROM group_members WHERE member_id = $2)
                    OR ($3 = TRUE AND r.group_id IS NOT NULL))
             ORDER BY r.shortcut, r.id"
            ))
            .bind(workspace_id)
            .bind(member_id)
            .bind(all)
            .fetch_all(read)
            .await?;
            Ok(rows.into_iter().map(record).collect())
        })
    }

    pub async fn canned(&self, id: i64) -> Result<Option<CannedRecord>, StoreError> {
        on_db!(self.db, |read, write| {
            let row: Option<Row> = sqlx::query_as(&format!("{SELECT} WHERE r.id = $1"))
                .bind(id)
                .fetch_optional(read)
                .await?;
            Ok(row.map(record))
        })
    }

    #[allow(clippy::too_many_arguments)]
    pub async fn create_canned(
        &self,
        workspace_id: i64,
        group_id: Option<i64>,
        member_id: Option<i64>,
        shortcut: &str,
        title: &str,
        body: &str,
        created_by: i64,
    ) -> Result<i64, StoreError> {
        on_db!(self.db, |read, write| {
            let now = now_ms();
            let (id,): (i64,) = sqlx::query_as(
            "INSERT INTO canned_responses (workspace_id, group_id, member_id, shortcut, title, body, created_by, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) RETURNING id",
        )
        .bind(workspace_id)
        .bind(group_id)
        .bind(member_id)
        .bind(shortcut)
        .bind(title)
        .bind(body)
        .bind(created_by)
        .bind(now)
        .fetch_written(write)
        .await
        .map_err(unique_as(unique::CANNED_SHORTCUT))?;
            Ok(id)
        })
    }

    pub async fn update_canned(&self, id: i64, shortcut: &str, title: &str, body: &str) -> Result<(), StoreError> {
        on_db!(self.db, |read, write| {
            sqlx::query(
                "UPDATE canned_responses SET shortcut = $2, title = $3, body = $4, updated_at = $5 WHERE id = $1",
            )
            .bind(id)
            .bind(shortcut)
            .bind(title)
            .bind(body)
            .bind(now_ms())
            .execute(write)
            .await
            .map_err(unique_as(unique::CANNED_SHORTCUT))?;
            Ok(())
        })
    }

    pub async fn delete_canned(&self, id: i64) -> Result<(), StoreError> {
        on_db!(self.db, |read, write| {
            sqlx::query("DELETE FROM canned_responses WHERE id = $1")
                .bind(id)
                .execute(write)
                .await?;
            Ok(())
        })
    }

    /// Whether the member belongs to the operator group.
    pub async fn in_group(&self, member_id: i64, group_id: i64) -> Result<bool, StoreError> {
        on_db!(self.db, |read, write| {
            let row: Option<(i64,)> =
                sqlx::query_as("SELECT CAST(1 AS BIGINT) FROM group_members WHERE member_id = $1 AND group_id = $2")
                    .bind(member_id)
                    .bind(group_id)
                    .fetch_optional(read)
                    .await?;
            Ok(row.is_some())
        })
    }

    /// The group, if it is the workspace's: its id.
    pub async fn group_in_workspace(&self, workspace_id: i64, group_id: i64) -> Result<bool, StoreError> {
        on_db!(self.db, |read, write| {
            let row: Option<(i64,)> =
                sqlx::query_as("SELECT id FROM operator_groups WHERE id = $1 AND workspace_id = $2")
                    .bind(group_id)
                    .bind(workspace_id)
                    .fetch_optional(read)
                    .await?;
            Ok(row.is_some())
        })
    }
}
