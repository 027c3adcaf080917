//! The server functions of this feature.

#[cfg(feature = "ssr")]
use std::sync::Arc;

use leptos::prelude::*;

use super::*;
use crate::AppError;
#[cfg(feature = "ssr")]
use crate::{Me, Role, Scope};

#[cfg(feature = "ssr")]
#[async_trait::async_trait]
pub trait TeamApi: Send + Sync + 'static {
    async fn invite(&self, me: &Me, name: &str, email: &str, role: Role) -> Result<Invitation, AppError>;
    async fn change_role(&self, me: &Me, id: i64, role: Role) -> Result<MemberSummary, AppError>;
    async fn set_active(&self, me: &Me, id: i64, active: bool) -> Result<MemberSummary, AppError>;
    async fn set_chat_limit(&self, me: &Me, id: i64, limit: Option<i64>) -> Result<MemberSummary, AppError>;
    async fn members(&self, me: &Me) -> Result<Vec<MemberSummary>, AppError>;
}

#[cfg(feature = "ssr")]
#[async_trait::async_trait]
pub trait GroupsApi: Send + Sync + 'static {
    async fn create(&self, me: &Me, name: &str, description: &str) -> Result<GroupSummary, AppError>;
    async fn update(&self, me: &Me, id: i64, name: &str, description: &str) -> Result<GroupSummary, AppError>;
    async fn delete(&self, me: &Me, id: i64) -> Result<(), AppError>;
    async fn add_member(&self, me: &Me, id: i64, member_id: i64) -> Result<GroupSummary, AppError>;
    async fn remove_member(&self, me: &Me, id: i64, member_id: i64) -> Result<GroupSummary, AppError>;
    async fn set_workflow(&self, me: &Me, id: i64, workflow_id: i64, assigned: bool) -> Result<GroupSummary, AppError>;
    async fn list(&self, me: &Me) -> Result<Vec<GroupSummary>, AppError>;
}

#[cfg(feature = "ssr")]
fn parse_role(value: &str) -> Result<crate::Role, AppError> {
    crate::Role::parse(value.trim())
        .ok_or_else(|| AppError::invalid("Role", format!("\u{201c}{value}\u{201d} is not a role")))
}

#[server(endpoint = "people/invite")]
pub async fn invite_member(name: String, email: String, role: String) -> Result<Invitation, AppError> {
    use crate::service::*;
    serve(
        Some(Scope::MembersWrite),
        "add team members",
        |team: Arc<dyn TeamApi>, me| async move { team.invite(&me, &name, &email, parse_role(&role)?).await },
    )
    .await
}

#[server(endpoint = "people/role")]
pub async fn change_role(id: i64, role: String) -> Result<MemberSummary, AppError> {
    use crate::service::*;
    serve(
        Some(Scope::MembersWrite),
        "change roles",
        |team: Arc<dyn TeamApi>, me| async move { team.change_role(&me, id, parse_role(&role)?).await },
    )
    .await
}

#[server(endpoint = "people/active")]
pub async fn set_member_active(id: i64, active: bool) -> Result<MemberSummary, AppError> {
    use crate::service::*;
    serve(
        Some(Scope::MembersWrite),
        "deactivate or reactivate team members",
        |team: Arc<dyn TeamApi>, me| async move { team.set_active(&me, id, active).await },
    )
    .await
}

/// `limit` empty: the workspace default.
#[server(endpoint = "people/chat_limit")]
pub async fn set_member_chat_limit(id: i64, limit: String) -> Result<MemberSummary, AppError> {
    use crate::service::*;
    serve(
        Some(Scope::MembersWrite),
        "change chat limits",
        |team: Arc<dyn TeamApi>, me| async move {
            let limit = if limit.trim().is_empty() {
                None
            } else {
                Some(parse_number("Chat limit", &limit)?)
            };
            team.set_chat_limit(&me, id, limit).await
        },
    )
    .await
}

#[server(endpoint = "groups/create")]
pub async fn create_group(name: String, description: String) -> Result<GroupSummary, AppError> {
    use crate::service::*;
    serve(
        Some(Scope::MembersWrite),
        "manage operator groups",
        |groups: Arc<dyn GroupsApi>, me| async move { groups.create(&me, &name, &description).await },
    )
    .await
}

#[server(endpoint = "groups/update")]
pub async fn update_group(id: i64, name: String, description: String) -> Result<GroupSummary, AppError> {
    use crate::service::*;
    serve(
        Some(Scope::MembersWrite),
        "manage operator groups",
        |groups: Arc<dyn GroupsApi>, me| async move { groups.update(&me, id, &name, &description).await },
    )
    .await
}

#[server(endpoint = "groups/delete")]
pub async fn delete_group(id: i64) -> Result<(), AppError> {
    use crate::service::*;
    serve(
        Some(Scope::MembersWrite),
        "manage operator groups",
        |groups: Arc<dyn GroupsApi>, me| async move { groups.delete(&me, id).await },
    )
    .await
}

/// Adds (`add` true) or removes a member.
#[server(endpoint = "groups/member")]
pub async fn group_member(id: i64, member_id: i64, add: bool) -> Result<GroupSummary, AppError> {
    use crate::service::*;
    serve(
        Some(Scope::MembersWrite),
        "manage operator groups",
        |groups: Arc<dyn GroupsApi>, me| async move {
            if add {
                groups.add_member(&me, id, member_id).await
            } else {
                groups.remove_member(&me, id, member_id).await
            }
        },
    )
    .await
}

#[server(endpoint = "groups/workflow")]
pub async fn group_workflow(id: i64, workflow_id: i64, assigned: bool) -> Result<GroupSummary, AppError> {
    use crate::service::*;
    serve(
        Some(Scope::MembersWrite),
        "manage operator groups",
        |groups: Arc<dyn GroupsApi>, me| async move { groups.set_workflow(&me, id, workflow_id, assigned).await },
    )
    .await
}

#[server(endpoint = "people/members")]
pub async fn list_members() -> Result<Vec<MemberSummary>, AppError> {
    use crate::service::*;
    serve(
        Some(Scope::MembersRead),
        "see the team",
        |team: Arc<dyn TeamApi>, me| async move { team.members(&me).await },
    )
    .await
}

#[server(endpoint = "people/groups")]
pub async fn list_groups() -> Result<Vec<GroupSummary>, AppError> {
    use crate::service::*;
    serve(
        Some(Scope::OperatorRead),
        "see operator groups",
        |groups: Arc<dyn GroupsApi>, me| async move { groups.list(&me).await },
    )
    .await
}
