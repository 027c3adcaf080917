//! Workspaces, their settings, workflows, operator groups, the inbox listing and the audit log.

use app::live::OperatorSummary;
use app::people::GroupSummary;
use app::settings::WorkspaceSettings;
use app::workflows::WorkflowSummary;

use super::unique::{self, unique_as};
use super::{now_ms, Returning, Store, StoreError};

/// One administrative change, for the audit log.
pub struct AuditEntry<'a> {
    pub workspace_id: i64,
    pub actor_id: Option<i64>,
    pub action: &'a str,
    pub target: &'a str,
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
}

impl<'a> AuditEntry<'a> {
    /// What `me` did to `target`, with nothing to show before and after.
    pub fn by(me: &app::Me, action: &'a str, target: &'a str) -> Self {
        AuditEntry {
            workspace_id: me.workspace_id,
            actor_id: Some(me.member_id),
            action,
            target,
            before: None,
            after: None,
        }
    }
}

/// An operator group's own row.
#[derive(sqlx::FromRow)]
struct GroupRow {
    id: i64,
    name: String,
    description: Option<String>,
}

/// A member or a workflow in an operator group.
#[derive(sqlx::FromRow)]
struct InGroup {
    group_id: i64,
    id: i64,
    name: String,
}

impl InGroup {
    /// The ids and names of those in `group`, in their order.
    fn of_group(all: &[InGroup], group: i64) -> (Vec<i64>, Vec<String>) {
        all.iter()
            .filter(|x| x.group_id == group)
            .map(|x| (x.id, x.name.clone()))
            .unzip()
    }
}

impl Store {
    pub async fn create_workspace(&self, name: &str) -> Result<i64, StoreError> {
        on_db!(self.db, |read, write| {
            let row: (i64,) = sqlx::query_as("INSERT INTO workspaces (name, created_at) VALUES ($1, $2) RETURNING id")
                .bind(name)
                .bind(now_ms())
                .fetch_written(write)
                .await?;
            Ok(row.0)
        })
    }

    pub async fn workspace_settings(&self, workspace_id: i64) -> Result<WorkspaceSettings, StoreError> {
        on_db!(self.db, |read, write| {
            let row: Option<WorkspaceSettings> = sqlx::query_as(
                "SELECT name, default_chat_limit, disconnect_timeout_secs, reroute_on_disconnect FROM workspaces WHERE id = $1",
            )
            .bind(workspace_id)
            .fetch_optional(read)
            .await?;
            row.ok_or(StoreError::NotFound)
        })
    }

    /// Saves the settings and records the change in the audit log, in one transaction.
    pub async fn update_workspace_settings(
        &self,
        workspace_id: i64,
        actor_id: i64,
        settings: &WorkspaceSettings,
    ) -> Result<WorkspaceSettings, StoreError> {
        on_db!(self.db, |read, write| {
            let before = self.workspace_settings(workspace_id).await?;
            let mut tx = side::begin_write(write).await?;
            sqlx::query(
                "UPDATE workspaces SET name = $1, default_chat_limit = $2, disconnect_timeout_secs = $3,
             reroute_on_disconnect = $4 WHERE id = $5",
            )
            .bind(&settings.name)
            .bind(settings.default_chat_limit)
            .bind(settings.disconnect_timeout_secs)
            .bind(settings.reroute_on_disconnect)
            .bind(workspace_id)
            .execute(&mut *tx)
            .await?;
            side::insert_audit(
                &mut tx,
                AuditEntry {
                    workspace_id,
                    actor_id: Some(actor_id),
                    action: "workspace.settings_updated",
                    target: "workspace",
                    before: serde_json::to_value(&before).ok(),
                    after: serde_json::to_value(settings).ok(),
                },
            )
            .await?;
            tx.commit().await?;
            Ok(settings.clone())
        })
    }

    pub async fn create_workflow(&self, workspace_id: i64, name: &str) -> Result<i64, StoreError> {
        on_db!(self.db, |read, write| {
            let row: (i64,) = sqlx::query_as(
                "INSERT INTO workflows (workspace_id, name, created_at) VALUES ($1, $2, $3) RETURNING id",
            )
            .bind(workspace_id)
            .bind(name)
            .bind(now_ms())
            .fetch_written(write)
            .await
            .map_err(unique_as(unique::WORKFLOW_NAME))?;
            Ok(row.0)
        })
    }

    pub async fn list_workflows(&self, workspace_id: i64) -> Result<Vec<WorkflowSummary>, StoreError> {
        on_db!(self.db, |read, write| {
            Ok(sqlx::query_as(
                "SELECT id, name, live_routing, handoff_mode FROM workflows WHERE workspace_id = $1 ORDER BY name",
            )
            .bind(workspace_id)
            .fetch_all(read)
            .await?)
        })
    }

    pub async fn create_group(
        &self,
        workspace_id: i64,
        name: &str,
        description: Option<&str>,
    ) -> Result<i64, StoreError> {
        on_db!(self.db, |read, write| {
            let row: (i64,) = sqlx::query_as(
            "INSERT INTO operator_groups (workspace_id, name, description, created_at) VALUES ($1, $2, $3, $4) RETURNING id",
        )
        .bind(workspace_id)
        .bind(name)
        .bind(description)
        .bind(now_ms())
        .fetch_written(write)
        .await
        .map_err(unique_as(unique::GROUP_NAME))?;
            Ok(row.0)
        })
    }

    pub async fn update_group(
        &self,
        workspace_id: i64,
        group_id: i64,
        name: &str,
        description: Option<&str>,
    ) -> Result<(), StoreError> {
        on_db!(self.db, |read, write| {
            let done = sqlx::query(
                "UPDATE operator_groups SET name = $3, description = $4 WHERE id = $2 AND workspace_id = $1",
            )
            .bind(workspace_id)
            .bind(group_id)
            .bind(name)
            .bind(description)
            .execute(write)
            .await
            .map_err(unique_as(unique::GROUP_NAME))?;
            if done.rows_affected() == 0 {
                return Err(StoreError::NotFound);
            }
            Ok(())
        })
    }

    pub async fn delete_group(&self, workspace_id: i64, group_id: i64) -> Result<(), StoreError> {
        on_db!(self.db, |read, write| {
            let done = sqlx::query("DELETE FROM operator_groups WHERE id = $2 AND workspace_id = $1")
                .bind(workspace_id)
                .bind(group_id)
                .execute(write)
                .await?;
            if done.rows_affected() == 0 {
                return Err(StoreError::NotFound);
            }
            Ok(())
        })
    }

    pub async fn remove_group_member(
        &self,
        workspace_id: i64,
        group_id: i64,
        member_id: i64,
    ) -> Result<(), StoreError> {
        on_db!(self.db, |read, write| {
            sqlx::query(
            "DELETE FROM group_members WHERE member_id = $3 AND group_id IN (SELECT id FROM operator_groups WHERE id = $2 AND workspace_id = $1)",
        )
        .bind(workspace_id)
        .bind(group_id)
        .bind(member_id)
        .execute(write)
        .await?;
            Ok(())
        })
    }

    pub async fn remove_group_workflow(
        &self,
        workspace_id: i64,
        group_id: i64,
        workflow_id: i64,
    ) -> Result<(), StoreError> {
        on_db!(self.db, |read, write| {
            sqlx::query(
            "DELETE FROM group_workflows WHERE workflow_id = $3 AND group_id IN (SELECT id FROM operator_groups WHERE id = $2 AND workspace_id = $1)",
        )
        .bind(workspace_id)
        .bind(group_id)
        .bind(workflow_id)
        .execute(write)
        .await?;
            Ok(())
        })
    }

    /// Adds a member to a group; both must belong to the workspace.
    pub async fn add_group_member(&self, workspace_id: i64, group_id: i64, member_id: i64) -> Result<(), StoreError> {
        self.add_to_group(
            "INSERT INTO group_members (group_id, member_id)
             SELECT g.id, m.id FROM operator_groups g JOIN members m ON m.workspace_id = g.workspace_id
             WHERE g.id = $1 AND m.id = $2 AND g.workspace_id = $3",
            (workspace_id, group_id, member_id),
            unique::GROUP_MEMBER,
        )
        .await
    }

    /// Gives a group a workflow; both must belong to the workspace.
    pub async fn add_group_workflow(
        &self,
        workspace_id: i64,
        group_id: i64,
        workflow_id: i64,
    ) -> Result<(), StoreError> {
        self.add_to_group(
            "INSERT INTO group_workflows (group_id, workflow_id)
             SELECT g.id, w.id FROM operator_groups g JOIN workflows w ON w.workspace_id = g.workspace_id
             WHERE g.id = $1 AND w.id = $2 AND g.workspace_id = $3",
            (workspace_id, group_id, workflow_id),
            unique::GROUP_WORKFLOW,
        )
        .await
    }

    /// Runs an insert of (group `$1`, item `$2`) guarded by the workspace `$3`: not found when
    /// either is not the workspace's, `rule` broken when the pair exists.
    async fn add_to_group(
        &self,
        sql: &str,
        (workspace_id, group_id, item): (i64, i64, i64),
        rule: unique::Unique,
    ) -> Result<(), StoreError> {
        on_db!(self.db, |read, write| {
            let done = sqlx::query(sql)
                .bind(group_id)
                .bind(item)
                .bind(workspace_id)
                .execute(write)
                .await
                .map_err(unique_as(rule))?;
            if done.rows_affected() == 0 {
                return Err(StoreError::NotFound);
            }
            Ok(())
        })
    }

    pub async fn list_groups(&self, workspace_id: i64) -> Result<Vec<GroupSummary>, StoreError> {
        on_db!(self.db, |read, write| {
            let groups: Vec<GroupRow> = sqlx::query_as(
                "SELECT id, name, description FROM operator_groups WHERE workspace_id = $1 ORDER BY name",
            )
            .bind(workspace_id)
            .fetch_all(read)
            .await?;
            let members: Vec<InGroup> = sqlx::query_as(
                "SELECT gm.group_id, m.id, m.name FROM group_members gm JOIN members m ON m.id = gm.member_id
             WHERE m.workspace_id = $1 ORDER BY m.name",
            )
            .bind(workspace_id)
            .fetch_all(read)
            .await?;
            let workflows: Vec<InGroup> = sqlx::query_as(
                "SELECT gw.group_id, w.id, w.name FROM group_workflows gw JOIN workflows w ON w.id = gw.workflow_id
             WHERE w.workspace_id = $1 ORDER BY w.name",
            )
            .bind(workspace_id)
            .fetch_all(read)
            .await?;
            Ok(groups
                .into_iter()
                .map(|GroupRow { id, name, description }| {
                    let (member_ids, members) = InGroup::of_group(&members, id);
                    let (workflow_ids, workflows) = InGroup::of_group(&workflows, id);
                    GroupSummary {
                        id,
                        name,
                        description,
                        members,
                        workflows,
                        member_ids,
                        workflow_ids,
                    }
                })
                .collect())
        })
    }

    /// Members whose role may handle conversations, with their groups. Presence is not stored
    /// here: the caller fills in the live status.
    pub async fn list_operators(&self, workspace_id: i64) -> Result<Vec<OperatorSummary>, StoreError> {
        let groups = self.list_groups(workspace_id).await?;
        let members = self.list_members(workspace_id).await?;
        let managers = self.managers_handle_chats(workspace_id).await?;
        Ok(members
            .into_iter()
            .filter(|m| m.active && m.role.allows(app::Scope::OperatorWrite, managers))
            .map(|m| OperatorSummary {
                member_id: m.id,
                groups: groups
                    .iter()
                    .filter(|g| g.member_ids.contains(&m.id))
                    .map(|g| g.name.clone())
                    .collect(),
                name: m.name,
                role: m.role,
                status: "offline".into(),
            })
            .collect())
    }

    /// Records an administrative change; a failure is logged, never shown to whoever made the
    /// change (it was made).
    pub async fn audit(&self, entry: AuditEntry<'_>) {
        if let Err(e) = self.record_audit(entry).await {
            tracing::error!(error = %e, "could not write the audit log");
        }
    }

    /// Records an administrative change.
    pub async fn record_audit(&self, entry: AuditEntry<'_>) -> Result<(), StoreError> {
        on_db!(self.db, |read, write| {
            let mut conn = write.acquire().await?;
            side::insert_audit(&mut conn, entry).await
        })
    }

    /// The audit log, newest first, optionally only one kind of action.
    pub async fn audit_log(
        &self,
        workspace_id: i64,
        action: Option<&str>,
        limit: i64,
    ) -> Result<Vec<app::audit::AuditView>, StoreError> {
        on_db!(self.db, |read, write| {
            Ok(sqlx::query_as(
            "SELECT a.id, m.name AS actor, a.action, a.target, a.before_json AS before, a.after_json AS after, a.created_at
             FROM audit_log a LEFT JOIN members m ON m.id = a.actor_id
             WHERE a.workspace_id = $1 AND ($2 IS NULL OR a.action = $2)
             ORDER BY a.id DESC LIMIT $3",
        )
        .bind(workspace_id)
        .bind(action)
        .bind(limit)
        .fetch_all(read)
        .await?)
        })
    }

    pub async fn audit_count(&self, workspace_id: i64, action: &str) -> Result<i64, StoreError> {
        on_db!(self.db, |read, write| {
            let row: (i64,) = sqlx::query_as("SELECT COUNT(*) FROM audit_log WHERE workspace_id = $1 AND action = $2")
                .bind(workspace_id)
                .bind(action)
                .fetch_one(read)
                .await?;
            Ok(row.0)
        })
    }
}

dual! {
pub(in crate::store) async fn insert_audit(tx: &mut Conn, e: AuditEntry<'_>) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO audit_log (workspace_id, actor_id, action, target, before_json, after_json, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(e.workspace_id)
    .bind(e.actor_id)
    .bind(e.action)
    .bind(e.target)
    .bind(e.before.map(|v| v.to_string()))
    .bind(e.after.map(|v| v.to_string()))
    .bind(now_ms())
    .execute(tx)
    .await?;
    Ok(())
}
}
