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
pub trait ReportsApi: Send + Sync + 'static {
    /// The report for `from`..=`to` (`YYYY-MM-DD`; empty: the last seven days).
    async fn report(&self, me: &Me, from: &str, to: &str) -> Result<Report, AppError>;
}

#[server(endpoint = "reports/get")]
pub async fn get_report(#[server(default)] from: String, #[server(default)] to: String) -> Result<Report, AppError> {
    use crate::service::*;
    serve(
        Some(Scope::ConversationsReadAll),
        "see reports",
        |reports: Arc<dyn ReportsApi>, me| async move { reports.report(&me, &from, &to).await },
    )
    .await
}
