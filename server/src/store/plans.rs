//! Plans (a workspace's seats and feature flags, changed by the instance's administrators),
//! who administers the instance, and each member's alert preferences.

use app::instance::WorkspacePlan;
use app::settings::Plan;
use app::AlertPreferences;

use super::workspaces::AuditEntry;
use super::{now_ms, Store, StoreError};

dual! {}

#[derive(sqlx::FromRow)]
struct PlanRow {
    workspace_id: i64,
    workspace_name: String,
    members: i64,
    plan_name: String,
    human_agents: i64,
    operator_enabled: bool,
    presence_enabled: bool,
    managers_handle_chats: bool,
}

impl From<PlanRow> for WorkspacePlan {
    fn from(r: PlanRow) -> Self {
        WorkspacePlan {
            workspace_id: r.workspace_id,
            workspace_name: r.workspace_name,
            members: r.members,
            plan: Plan {
                name: r.plan_name,
                human_agents: r.human_agents,
                operator_enabled: r.operator_enabled,
                presence_enabled: r.presence_enabled,
                managers_handle_chats: r.managers_handle_chats,
            },
            // Presence is the router's: the caller fills it in.
            seats_in_use: 0,
        }
    }
}

const PLANS: &str = "SELECT w.id AS workspace_id, w.name AS workspace_name,
        (SELECT COUNT(*) FROM members m WHERE m.workspace_id = w.id AND m.active) AS members,
        w.plan_name, w.human_agents, w.operator_enabled, w.presence_enabled, w.managers_handle_chats
    FROM workspaces w";

impl Store {
    /// Every workspace on the instance with its plan, by name.
    pub async fn workspace_plans(&self) -> Result<Vec<WorkspacePlan>, StoreError> {
        on_db!(self.db, |read, write| {
            let rows: Vec<PlanRow> = sqlx::query_as(&format!("{PLANS} ORDER BY LOWER(w.name), w.id"))
                .fetch_all(read)
                .await?;
            Ok(rows.into_iter().map(Into::into).collect())
        })
    }

    pub async fn workspace_plan(&self, workspace_id: i64) -> Result<WorkspacePlan, StoreError> {
        on_db!(self.db, |read, write| {
            let row: Option<PlanRow> = sqlx::query_as(&format!("{PLANS} WHERE w.id = $1"))
                .bind(workspace_id)
                .fetch_optional(read)
                .await?;
            row.map(Into::into).ok_or(StoreError::NotFound)
        })
    }

    /// The workspaces with this id or exactly this name (for the command line).
    pub async fn find_workspaces(&self, id_or_name: &str) -> Result<Vec<i64>, StoreError> {
        on_db!(self.db, |read, write| {
            let rows: Vec<(i64,)> =
                sqlx::query_as("SELECT id FROM workspaces WHERE CAST(id AS TEXT) = $1 OR name = $1")
                    .bind(id_or_name.trim())
                    .fetch_all(read)
                    .await?;
            Ok(rows.into_iter().map(|r| r.0).collect())
        })
    }

    /// Changes a workspace's plan and records it in that workspace's audit log (with who, by
    /// e-mail: an instance administrator need not be a member there), in one transaction.
    pub async fn set_plan(
        &self,
        workspace_id: i64,
        plan: &Plan,
        by: &str,
        actor_id: Option<i64>,
    ) -> Result<WorkspacePlan, StoreError> {
        on_db!(self.db, |read, write| {
            let before = self.workspace_plan(workspace_id).await?;
            let mut tx = side::begin_write(write).await?;
            sqlx::query(&format!(
                "UPDATE workspaces SET plan_name = $2, human_agents = $3, operator_enabled = $4, presence_enabled = $5,
                    managers_handle_chats = $6, plan_changed_at = {}($7, plan_changed_at + 1)
                 WHERE id = $1",
                side::GREATEST
            ))
            .bind(workspace_id)
            .bind(plan.name.trim())
            .bind(plan.human_agents)
            .bind(plan.operator_enabled)
            .bind(plan.presence_enabled)
            .bind(plan.managers_handle_chats)
            .bind(now_ms())
            .execute(&mut *tx)
            .await?;
            let mut after = serde_json::to_value(plan).unwrap_or_default();
            after["by"] = serde_json::Value::from(by);
            side::workspaces::insert_audit(
                &mut tx,
                AuditEntry {
                    workspace_id,
                    actor_id,
                    action: "workspace.plan_changed",
                    target: "plan",
                    before: serde_json::to_value(&before.plan).ok(),
                    after: Some(after),
                },
            )
            .await?;
            tx.commit().await?;
            self.workspace_plan(workspace_id).await
        })
    }

    /// Workspaces whose plan changed after `seen` (Unix ms), with when.
    pub async fn plans_changed_since(&self, seen: i64) -> Result<Vec<(i64, i64)>, StoreError> {
        on_db!(self.db, |read, write| {
            Ok(sqlx::query_as(
                "SELECT id, plan_changed_at FROM workspaces WHERE plan_changed_at > $1 ORDER BY plan_changed_at",
            )
            .bind(seen)
            .fetch_all(read)
            .await?)
        })
    }

    pub async fn managers_handle_chats(&self, workspace_id: i64) -> Result<bool, StoreError> {
        on_db!(self.db, |read, write| {
            let row: Option<(bool,)> = sqlx::query_as("SELECT managers_handle_chats FROM workspaces WHERE id = $1")
                .bind(workspace_id)
                .fetch_optional(read)
                .await?;
            Ok(row.is_some_and(|r| r.0))
        })
    }

    /// Makes the account with this e-mail an instance administrator (or no longer one); the
    /// member's name and workspace, or `None` when no account uses the address.
    pub async fn set_instance_admin(&self, email: &str, admin: bool) -> Result<Option<(String, String)>, StoreError> {
        on_db!(self.db, |read, write| {
            let mut tx = side::begin_write(write).await?;
            let member: Option<(i64, String, String)> = sqlx::query_as(
                "SELECT m.id, m.name, w.name FROM members m JOIN workspaces w ON w.id = m.workspace_id
             WHERE m.email = $1",
            )
            .bind(email.trim().to_lowercase())
            .fetch_optional(&mut *tx)
            .await?;
            let Some((id, name, workspace)) = member else {
                return Ok(None);
            };
            if admin {
                sqlx::query(
                    "INSERT INTO instance_admins (member_id, granted_at) VALUES ($1, $2) ON CONFLICT DO NOTHING",
                )
                .bind(id)
                .bind(now_ms())
                .execute(&mut *tx)
                .await?;
            } else {
                sqlx::query("DELETE FROM instance_admins WHERE member_id = $1")
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
            }
            tx.commit().await?;
            Ok(Some((name, workspace)))
        })
    }

    /// Keeps the member's alert preferences; turning the digest on counts it from now.
    pub async fn set_alerts(&self, member_id: i64, alerts: AlertPreferences) -> Result<(), StoreError> {
        on_db!(self.db, |read, write| {
            sqlx::query(
                "UPDATE members SET alert_sound = $2, alert_desktop = $3,
                digest_sent_at = CASE WHEN $4 AND NOT alert_digest THEN $5 ELSE digest_sent_at END,
                alert_digest = $4
             WHERE id = $1",
            )
            .bind(member_id)
            .bind(alerts.sound)
            .bind(alerts.desktop)
            .bind(alerts.email_digest)
            .bind(now_ms())
            .execute(write)
            .await?;
            Ok(())
        })
    }
}
