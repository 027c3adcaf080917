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
pub trait HistoryApi: Send + Sync + 'static {
    async fn sessions(&self, me: &Me, query: &HistoryQuery) -> Result<HistoryPage, AppError>;
}

/// The sessions for a query (a shorthand for the server function).
pub async fn sessions_page(query: HistoryQuery) -> Result<HistoryPage, AppError> {
    list_sessions(query.operator, query.workflow, query.outcome, query.before).await
}

#[server(endpoint = "history/sessions")]
pub async fn list_sessions(
    #[server(default)] operator: String,
    #[server(default)] workflow: String,
    #[server(default)] outcome: String,
    #[server(default)] before: String,
) -> Result<HistoryPage, AppError> {
    use crate::service::*;
    serve(
        Some(Scope::OperatorRead),
        "see the history",
        |history: Arc<dyn HistoryApi>, me| async move {
            let query = HistoryQuery {
                operator,
                workflow,
                outcome,
                before,
            };
            history.sessions(&me, &query).await
        },
    )
    .await
}
