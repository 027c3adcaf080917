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
pub trait CannedApi: Send + Sync + 'static {
    async fn list(&self, me: &Me) -> Result<Vec<CannedResponse>, AppError>;
    #[allow(clippy::too_many_arguments)]
    async fn save(
        &self,
        me: &Me,
        id: Option<i64>,
        scope: CannedScope,
        group_id: Option<i64>,
        shortcut: &str,
        title: &str,
        body: &str,
    ) -> Result<CannedResponse, AppError>;
    async fn delete(&self, me: &Me, id: i64) -> Result<(), AppError>;
}

#[server(endpoint = "canned/list")]
pub async fn list_canned() -> Result<Vec<CannedResponse>, AppError> {
    use crate::service::*;
    serve(
        Some(Scope::OperatorRead),
        "see canned responses",
        |canned: Arc<dyn CannedApi>, me| async move { canned.list(&me).await },
    )
    .await
}

/// Creates (empty `id`) or changes a canned response. `scope`: workspace, group or personal.
#[server(endpoint = "canned/save")]
pub async fn save_canned(
    id: String,
    scope: String,
    group_id: String,
    shortcut: String,
    title: String,
    body: String,
) -> Result<CannedResponse, AppError> {
    use crate::service::*;
    serve(
        Some(Scope::OperatorWrite),
        "write canned responses",
        |canned: Arc<dyn CannedApi>, me| async move {
            let id = match id.trim() {
                "" => None,
                v => Some(parse_number("Canned response", v)?),
            };
            let scope = crate::canned::CannedScope::parse(scope.trim())
                .ok_or_else(|| AppError::invalid("Available to", "choose the workspace, a group or only you"))?;
            let group_id = match group_id.trim() {
                "" => None,
                g => Some(parse_number("Group", g)?),
            };
            canned.save(&me, id, scope, group_id, &shortcut, &title, &body).await
        },
    )
    .await
}

#[server(endpoint = "canned/delete")]
pub async fn delete_canned(id: i64) -> Result<(), AppError> {
    use crate::service::*;
    serve(
        Some(Scope::OperatorWrite),
        "write canned responses",
        |canned: Arc<dyn CannedApi>, me| async move { canned.delete(&me, id).await },
    )
    .await
}
