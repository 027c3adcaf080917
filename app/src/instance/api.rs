//! The server functions of this feature.

#[cfg(feature = "ssr")]
use std::sync::Arc;

use leptos::prelude::*;

use super::*;
use crate::AppError;
#[cfg(feature = "ssr")]
use crate::Me;

#[cfg(feature = "ssr")]
#[async_trait::async_trait]
pub trait InstanceApi: Send + Sync + 'static {
    async fn workspaces(&self, me: &Me) -> Result<Vec<WorkspacePlan>, AppError>;
    async fn set_plan(&self, me: &Me, workspace_id: i64, plan: Plan) -> Result<WorkspacePlan, AppError>;
}

/// Refused unless the member runs the instance (never through an API token).
#[cfg(feature = "ssr")]
pub fn require_instance_admin(me: &Me, action: &str) -> Result<(), AppError> {
    if me.runs_the_instance() {
        Ok(())
    } else {
        Err(AppError::forbidden(action))
    }
}

#[server(endpoint = "instance/workspaces")]
pub async fn instance_workspaces() -> Result<Vec<WorkspacePlan>, AppError> {
    use crate::service::*;
    serve(
        None,
        "see the instance's plans",
        |instance: Arc<dyn InstanceApi>, me| async move {
            require_instance_admin(&me, "see the instance's plans")?;
            instance.workspaces(&me).await
        },
    )
    .await
}

#[server(endpoint = "instance/plan")]
pub async fn set_plan(
    workspace_id: String,
    name: String,
    human_agents: String,
    operator_enabled: Option<String>,
    presence_enabled: Option<String>,
    managers_handle_chats: Option<String>,
) -> Result<WorkspacePlan, AppError> {
    use crate::service::*;
    serve(None, "change a plan", |instance: Arc<dyn InstanceApi>, me| async move {
        require_instance_admin(&me, "change a plan")?;
        let plan = Plan {
            name: name.trim().to_string(),
            human_agents: parse_number("Human agent seats", &human_agents)?,
            operator_enabled: operator_enabled.is_some(),
            presence_enabled: presence_enabled.is_some(),
            managers_handle_chats: managers_handle_chats.is_some(),
        };
        plan.validate()?;
        instance
            .set_plan(&me, parse_number("Workspace", &workspace_id)?, plan)
            .await
    })
    .await
}
