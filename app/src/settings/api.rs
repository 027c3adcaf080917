//! The server functions of this feature.

#[cfg(feature = "ssr")]
use std::sync::Arc;

use leptos::prelude::*;

use super::*;
use crate::AppError;
#[cfg(feature = "ssr")]
use crate::{Me, Scope};

#[cfg(feature = "ssr")]
#[async_trait::async_trait]
pub trait SettingsApi: Send + Sync + 'static {
    async fn get(&self, me: &Me) -> Result<SettingsView, AppError>;
    async fn update(&self, me: &Me, settings: WorkspaceSettings) -> Result<WorkspaceSettings, AppError>;
}

#[server(endpoint = "settings/get")]
pub async fn get_workspace_settings() -> Result<SettingsView, AppError> {
    use crate::service::*;
    serve(
        Some(Scope::SettingsWrite),
        "open workspace settings",
        |settings: Arc<dyn SettingsApi>, me| async move { settings.get(&me).await },
    )
    .await
}

#[server(endpoint = "settings/update")]
pub async fn update_workspace_settings(
    name: String,
    default_chat_limit: String,
    disconnect_timeout_secs: String,
    reroute_on_disconnect: Option<String>,
) -> Result<WorkspaceSettings, AppError> {
    use crate::service::*;
    serve(
        Some(Scope::SettingsWrite),
        "change workspace settings",
        |workspace: Arc<dyn SettingsApi>, me| async move {
            let settings = WorkspaceSettings {
                name: name.trim().to_string(),
                default_chat_limit: parse_number("Default chat limit", &default_chat_limit)?,
                disconnect_timeout_secs: parse_number("Disconnect timeout", &disconnect_timeout_secs)?,
                reroute_on_disconnect: reroute_on_disconnect.is_some(),
            };
            settings.validate()?;
            workspace.update(&me, settings).await
        },
    )
    .await
}
