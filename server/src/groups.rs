//! Operator groups: which team members handle which workflows. Changes are audited, and the
//! router learns at once what its operators may now go live on.

use std::sync::Arc;

use app::people::GroupSummary;
use app::{AppError, Me, Scope};

use crate::routing::Router;
use crate::store::workspaces::AuditEntry;
use crate::store::Store;

pub struct Groups {
    store: Store,
    router: Arc<Router>,
}

/// A group's name and description, checked.
pub fn check_fields(name: &str, description: &str) -> Result<(String, Option<String>), AppError> {
    let name = name.trim();
    if name.is_empty() {
        return Err(AppError::invalid("Name", "must not be empty"));
    }
    if name.chars().count() > 80 {
        return Err(AppError::invalid("Name", "must be at most 80 characters"));
    }
    let description = description.trim();
    if description.chars().count() > 500 {
        return Err(AppError::invalid("Description", "must be at most 500 characters"));
    }
    Ok((
        name.to_string(),
        (!description.is_empty()).then(|| description.to_string()),
    ))
}

impl Groups {
    pub fn new(store: Store, router: Arc<Router>) -> Self {
        Groups { store, router }
    }

    fn require(me: &Me) -> Result<(), AppError> {
        if me.can(Scope::OperatorWrite) {
            Ok(())
        } else {
            Err(AppError::forbidden("manage operator groups"))
        }
    }

    async fn group(&self, me: &Me, id: i64) -> Result<GroupSummary, AppError> {
        self.store
            .list_groups(me.workspace_id)
            .await?
            .into_iter()
            .find(|g| g.id == id)
            .ok_or_else(|| AppError::not_found("That operator group"))
    }

    async fn audit(
        &self,
        me: &Me,
        action: &str,
        group: &str,
        before: Option<&GroupSummary>,
        after: Option<&GroupSummary>,
    ) {
        let entry = AuditEntry {
            workspace_id: me.workspace_id,
            actor_id: Some(me.member_id),
            action,
            target: &format!("operator group {group}"),
            before: before.and_then(|g| serde_json::to_value(g).ok()),
            after: after.and_then(|g| serde_json::to_value(g).ok()),
        };
        self.store.audit(entry).await;
    }

    async fn refresh(&self, members: &[i64]) {
        for m in members {
            self.router.refresh_available(*m).await;
        }
    }
}

#[async_trait::async_trait]
impl app::people::GroupsApi for Groups {
    async fn list(&self, me: &Me) -> Result<Vec<GroupSummary>, AppError> {
        Ok(self.store.list_groups(me.workspace_id).await?)
    }

    async fn create(&self, me: &Me, name: &str, description: &str) -> Result<GroupSummary, AppError> {
        Self::require(me)?;
        let (name, description) = check_fields(name, description)?;
        let id = self
            .store
            .create_group(me.workspace_id, &name, description.as_deref())
            .await?;
        let group = self.group(me, id).await?;
        self.audit(me, "group.created", &group.name, None, Some(&group)).await;
        Ok(group)
    }

    async fn update(&self, me: &Me, id: i64, name: &str, description: &str) -> Result<GroupSummary, AppError> {
        Self::require(me)?;
        let before = self.group(me, id).await?;
        let (name, description) = check_fields(name, description)?;
        self.store
            .update_group(me.workspace_id, id, &name, description.as_deref())
            .await?;
        let after = self.group(me, id).await?;
        self.audit(me, "group.updated", &after.name, Some(&before), Some(&after))
            .await;
        Ok(after)
    }

    async fn delete(&self, me: &Me, id: i64) -> Result<(), AppError> {
        Self::require(me)?;
        let before = self.group(me, id).await?;
        self.store.delete_group(me.workspace_id, id).await?;
        self.audit(me, "group.deleted", &before.name, Some(&before), None).await;
        self.refresh(&before.member_ids).await;
        Ok(())
    }

    /// Adds a member; only roles that can handle conversations (`operator:write`) may join.
    async fn add_member(&self, me: &Me, id: i64, member_id: i64) -> Result<GroupSummary, AppError> {
        Self::require(me)?;
        let before = self.group(me, id).await?;
        let member = self
            .store
            .member(me.workspace_id, member_id)
            .await?
            .ok_or_else(|| AppError::not_found("That team member"))?;
        if !member.role.allows(Scope::OperatorWrite, me.managers_handle_chats) {
            return Err(AppError::Conflict(format!(
                "{} is an {}; only roles that handle conversations can be in an operator group.",
                member.name,
                member.role.label()
            )));
        }
        if !member.active {
            return Err(AppError::Conflict(format!("{} is deactivated.", member.name)));
        }
        if before.member_ids.contains(&member_id) {
            return Err(AppError::Conflict(format!(
                "{} is already in {}.",
                member.name, before.name
            )));
        }
        self.store.add_group_member(me.workspace_id, id, member_id).await?;
        let after = self.group(me, id).await?;
        self.audit(me, "group.member_added", &after.name, Some(&before), Some(&after))
            .await;
        self.refresh(&[member_id]).await;
        Ok(after)
    }

    async fn remove_member(&self, me: &Me, id: i64, member_id: i64) -> Result<GroupSummary, AppError> {
        Self::require(me)?;
        let before = self.group(me, id).await?;
        self.store.remove_group_member(me.workspace_id, id, member_id).await?;
        let after = self.group(me, id).await?;
        self.audit(me, "group.member_removed", &after.name, Some(&before), Some(&after))
            .await;
        self.refresh(&[member_id]).await;
        Ok(after)
    }

    async fn set_workflow(&self, me: &Me, id: i64, workflow_id: i64, assigned: bool) -> Result<GroupSummary, AppError> {
        Self::require(me)?;
        let before = self.group(me, id).await?;
        if assigned {
            if before.workflow_ids.contains(&workflow_id) {
                return Ok(before);
            }
            self.store
                .add_group_workflow(me.workspace_id, id, workflow_id)
                .await
                .map_err(|e| match e {
                    crate::store::StoreError::NotFound => AppError::not_found("That workflow"),
                    other => other.into(),
                })?;
        } else {
            self.store
                .remove_group_workflow(me.workspace_id, id, workflow_id)
                .await?;
        }
        let after = self.group(me, id).await?;
        self.audit(
            me,
            if assigned {
                "group.workflow_assigned"
            } else {
                "group.workflow_unassigned"
            },
            &after.name,
            Some(&before),
            Some(&after),
        )
        .await;
        self.refresh(&after.member_ids).await;
        Ok(after)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_required_and_bounded() {
        assert!(check_fields("  ", "").is_err());
        assert!(check_fields(&"x".repeat(81), "").is_err());
        assert!(check_fields("Billing", &"x".repeat(501)).is_err());
        assert_eq!(check_fields(" Billing ", " ").unwrap(), ("Billing".to_string(), None));
    }
}
