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
pub trait ApiTokensApi: Send + Sync + 'static {
    async fn list(&self, me: &Me) -> Result<Vec<ApiTokenView>, AppError>;
    async fn create(&self, me: &Me, name: &str, scopes: &[Scope]) -> Result<NewApiToken, AppError>;
    async fn revoke(&self, me: &Me, id: i64) -> Result<ApiTokenView, AppError>;
}

#[cfg(feature = "ssr")]
#[async_trait::async_trait]
pub trait WebhooksApi: Send + Sync + 'static {
    async fn list(&self, me: &Me) -> Result<Vec<WebhookView>, AppError>;
    async fn save(&self, me: &Me, id: Option<i64>, url: &str, events: &[String]) -> Result<WebhookView, AppError>;
    async fn set_enabled(&self, me: &Me, id: i64, enabled: bool) -> Result<WebhookView, AppError>;
    async fn delete(&self, me: &Me, id: i64) -> Result<(), AppError>;
    /// Queues a test event for the endpoint and gives back its delivery.
    async fn test(&self, me: &Me, id: i64) -> Result<WebhookDeliveryView, AppError>;
    async fn deliveries(&self, me: &Me, id: i64) -> Result<Vec<WebhookDeliveryView>, AppError>;
}

#[server(endpoint = "integrations/tokens")]
pub async fn list_api_tokens() -> Result<Vec<ApiTokenView>, AppError> {
    use crate::service::*;
    serve(
        Some(Scope::SettingsWrite),
        "manage API tokens",
        |tokens: Arc<dyn ApiTokensApi>, me| async move { tokens.list(&me).await },
    )
    .await
}

/// Makes a token; `scopes` are scope names separated by spaces.
#[server(endpoint = "integrations/create_token")]
pub async fn create_api_token(name: String, scopes: String) -> Result<NewApiToken, AppError> {
    use crate::service::*;
    serve(
        Some(Scope::SettingsWrite),
        "manage API tokens",
        |tokens: Arc<dyn ApiTokensApi>, me| async move {
            let scopes = scopes
                .split_whitespace()
                .map(|s| {
                    Scope::ALL
                        .into_iter()
                        .find(|scope| scope.as_str() == s)
                        .ok_or_else(|| AppError::invalid("Scopes", format!("“{s}” is not a scope")))
                })
                .collect::<Result<Vec<_>, _>>()?;
            tokens.create(&me, &name, &scopes).await
        },
    )
    .await
}

#[server(endpoint = "integrations/revoke_token")]
pub async fn revoke_api_token(id: i64) -> Result<ApiTokenView, AppError> {
    use crate::service::*;
    serve(
        Some(Scope::SettingsWrite),
        "manage API tokens",
        |tokens: Arc<dyn ApiTokensApi>, me| async move { tokens.revoke(&me, id).await },
    )
    .await
}

#[server(endpoint = "integrations/webhooks")]
pub async fn list_webhooks() -> Result<Vec<WebhookView>, AppError> {
    use crate::service::*;
    serve(
        Some(Scope::SettingsWrite),
        "manage webhooks",
        |hooks: Arc<dyn WebhooksApi>, me| async move { hooks.list(&me).await },
    )
    .await
}

/// Adds (empty `id`) or changes an endpoint; `events` are event names separated by spaces.
#[server(endpoint = "integrations/save_webhook")]
pub async fn save_webhook(id: String, url: String, events: String) -> Result<WebhookView, AppError> {
    use crate::service::*;
    serve(
        Some(Scope::SettingsWrite),
        "manage webhooks",
        |hooks: Arc<dyn WebhooksApi>, me| async move {
            let id = match id.trim() {
                "" => None,
                v => Some(parse_number("Webhook", v)?),
            };
            let events: Vec<String> = events.split_whitespace().map(str::to_string).collect();
            hooks.save(&me, id, &url, &events).await
        },
    )
    .await
}

#[server(endpoint = "integrations/webhook_enabled")]
pub async fn set_webhook_enabled(id: i64, enabled: bool) -> Result<WebhookView, AppError> {
    use crate::service::*;
    serve(
        Some(Scope::SettingsWrite),
        "manage webhooks",
        |hooks: Arc<dyn WebhooksApi>, me| async move { hooks.set_enabled(&me, id, enabled).await },
    )
    .await
}

#[server(endpoint = "integrations/delete_webhook")]
pub async fn delete_webhook(id: i64) -> Result<(), AppError> {
    use crate::service::*;
    serve(
        Some(Scope::SettingsWrite),
        "manage webhooks",
        |hooks: Arc<dyn WebhooksApi>, me| async move { hooks.delete(&me, id).await },
    )
    .await
}

#[server(endpoint = "integrations/test_webhook")]
pub async fn test_webhook(id: i64) -> Result<WebhookDeliveryView, AppError> {
    use crate::service::*;
    serve(
        Some(Scope::SettingsWrite),
        "manage webhooks",
        |hooks: Arc<dyn WebhooksApi>, me| async move { hooks.test(&me, id).await },
    )
    .await
}

#[server(endpoint = "integrations/webhook_deliveries")]
pub async fn webhook_deliveries(id: i64) -> Result<Vec<WebhookDeliveryView>, AppError> {
    use crate::service::*;
    serve(
        Some(Scope::SettingsWrite),
        "manage webhooks",
        |hooks: Arc<dyn WebhooksApi>, me| async move { hooks.deliveries(&me, id).await },
    )
    .await
}
