//! The workspace's channels, workflows, members and operator groups, read only.

use axum::extract::State;
use axum::Json;
use serde::Serialize;
use utoipa::ToSchema;

use app::channels::ChannelsApi;
use app::lifecycle::ChannelKind;
use app::people::{GroupsApi, TeamApi};
use app::workflows::WorkflowsApi;
use app::Scope;

use super::{words, Caller, Problem};
use crate::AppState;

#[derive(Serialize, ToSchema)]
pub struct Channel {
    pub id: i64,
    #[schema(schema_with = words::channel_kind)]
    pub kind: ChannelKind,
    pub name: String,
    /// The workflow its conversations follow.
    pub workflow_id: i64,
    pub workflow_name: String,
    pub enabled: bool,
}

/// List channels
#[utoipa::path(get, path = "/channels", tag = "Workspace",
    responses((status = 200, description = "The workspace's channels", body = [Channel])))]
pub async fn channels(State(state): State<AppState>, caller: Caller) -> Result<Json<Vec<Channel>>, Problem> {
    caller.require(Scope::OperatorRead, "read channels")?;
    let list = state.services.channels.list(&caller.me).await?;
    Ok(Json(
        list.into_iter()
            .map(|c| Channel {
                id: c.id,
                kind: c.kind,
                name: c.name,
                workflow_id: c.workflow_id,
                workflow_name: c.workflow_name,
                enabled: c.enabled,
            })
            .collect(),
    ))
}

#[derive(Serialize, ToSchema)]
pub struct Workflow {
    pub id: i64,
    pub name: String,
    /// `auto_escalation`: the assistant answers until the customer needs a person;
    /// `always_on`: people see every conversation from its first message.
    #[schema(schema_with = words::handoff_mode)]
    pub handoff_mode: String,
    /// Conversations are offered to live operators.
    pub live_routing: bool,
}

/// List workflows
#[utoipa::path(get, path = "/workflows", tag = "Workspace",
    responses((status = 200, description = "The workspace's workflows", body = [Workflow])))]
pub async fn workflows(State(state): State<AppState>, caller: Caller) -> Result<Json<Vec<Workflow>>, Problem> {
    caller.require(Scope::OperatorRead, "read workflows")?;
    let list = state.services.workflows.list(&caller.me).await?;
    Ok(Json(
        list.into_iter()
            .map(|w| Workflow {
                id: w.id,
                name: w.name,
                handoff_mode: w.handoff_mode,
                live_routing: w.live_routing,
            })
            .collect(),
    ))
}

#[derive(Serialize, ToSchema)]
pub struct Member {
    pub id: i64,
    pub name: String,
    pub email: String,
    #[schema(schema_with = words::role)]
    pub role: &'static str,
    pub active: bool,
    /// Invited and not signed up yet.
    pub invited: bool,
}

/// List members
#[utoipa::path(get, path = "/members", tag = "Workspace",
    responses((status = 200, description = "The workspace's team", body = [Member])))]
pub async fn members(State(state): State<AppState>, caller: Caller) -> Result<Json<Vec<Member>>, Problem> {
    caller.require(Scope::MembersRead, "read the team")?;
    let list = state.services.team.members(&caller.me).await?;
    Ok(Json(
        list.into_iter()
            .map(|m| Member {
                id: m.id,
                name: m.name,
                email: m.email,
                role: m.role.as_str(),
                active: m.active,
                invited: m.invited,
            })
            .collect(),
    ))
}

#[derive(Serialize, ToSchema)]
pub struct Group {
    pub id: i64,
    pub name: String,
    pub description: Option<String>,
    pub member_ids: Vec<i64>,
    /// The workflows whose conversations its members take.
    pub workflow_ids: Vec<i64>,
}

/// List operator groups
#[utoipa::path(get, path = "/groups", tag = "Workspace",
    responses((status = 200, description = "The workspace's operator groups", body = [Group])))]
pub async fn groups(State(state): State<AppState>, caller: Caller) -> Result<Json<Vec<Group>>, Problem> {
    caller.require(Scope::MembersRead, "read operator groups")?;
    let list = GroupsApi::list(&*state.services.groups, &caller.me).await?;
    Ok(Json(
        list.into_iter()
            .map(|g| Group {
                id: g.id,
                name: g.name,
                description: g.description,
                member_ids: g.member_ids,
                workflow_ids: g.workflow_ids,
            })
            .collect(),
    ))
}
