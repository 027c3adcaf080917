//! Workspace settings and feature flags; routing hears of every change.

use std::sync::Arc;

use app::settings::WorkspaceSettings;
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
    async fn get(&self, me: &Me) -> Result<WorkspaceSettings, AppError> {
        Ok(self.store.workspace_settings(me.workspace_id).await?)
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
