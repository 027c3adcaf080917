//! Workspace settings, and plans (seats and feature flags, changed by the instance's
//! administrators); routing hears of every change.

use std::sync::Arc;

use app::instance::WorkspacePlan;
use app::settings::Plan;
use app::settings::{SettingsView, WorkspaceSettings};
use app::{AppError, Me};

use crate::routing::Router;
use crate::store::Store;

pub struct Settings {
    store: Store,
    router: Arc<Router>,
}

impl Settings {
    pub fn new(store: Store, router: Arc<Router>) -> Self {
        Settings { store, router }
    }
}

#[async_trait::async_trait]
impl app::settings::SettingsApi for Settings {
    async fn get(&self, me: &Me) -> Result<SettingsView, AppError> {
        Ok(SettingsView {
            settings: self.store.workspace_settings(me.workspace_id).await?,
            plan: self.store.workspace_plan(me.workspace_id).await?.plan,
            seats_in_use: self.router.seats_in_use(me.workspace_id).await,
        })
    }

    async fn update(&self, me: &Me, settings: WorkspaceSettings) -> Result<WorkspaceSettings, AppError> {
        settings.validate()?;
        let saved = self
            .store
            .update_workspace_settings(me.workspace_id, me.member_id, &settings)
            .await?;
        tracing::info!(
            workspace_id = me.workspace_id,
            member_id = me.member_id,
            "workspace settings updated"
        );
        self.router.workspace_changed(me.workspace_id).await;
        Ok(saved)
    }
}

/// The instance's administration: every workspace's plan.
pub struct Instance {
    store: Store,
    router: Arc<Router>,
}

impl Instance {
    pub fn new(store: Store, router: Arc<Router>) -> Self {
        Instance { store, router }
    }

    /// Changes a plan (the instance's administrators, on the Plans page): kept with an audit
    /// entry in the workspace, then routing follows it at once (`Router::follow_plans`).
    pub async fn change_plan(
        &self,
        workspace_id: i64,
        plan: Plan,
        by: &str,
        actor_id: Option<i64>,
    ) -> Result<WorkspacePlan, AppError> {
        plan.validate()?;
        let after = self.store.set_plan(workspace_id, &plan, by, actor_id).await?;
        tracing::info!(workspace_id, by, plan = %after.plan.name, "plan changed");
        self.router.follow_plans().await;
        Ok(after)
    }
}

#[async_trait::async_trait]
impl app::instance::InstanceApi for Instance {
    async fn workspaces(&self, _me: &Me) -> Result<Vec<WorkspacePlan>, AppError> {
        let mut all = self.store.workspace_plans().await?;
        for w in &mut all {
            w.seats_in_use = self.router.seats_in_use(w.workspace_id).await;
        }
        Ok(all)
    }

    async fn set_plan(&self, me: &Me, workspace_id: i64, plan: Plan) -> Result<WorkspacePlan, AppError> {
        let actor = (me.workspace_id == workspace_id).then_some(me.member_id);
        match self.change_plan(workspace_id, plan, &me.email, actor).await {
            Err(AppError::NotFound { .. }) => Err(AppError::not_found("That workspace")),
            other => other,
        }
    }
}
