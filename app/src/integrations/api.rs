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
