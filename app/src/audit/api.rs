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
pub trait AuditApi: Send + Sync + 'static {
    async fn audit_log(&self, me: &Me, action: Option<String>) -> Result<Vec<AuditView>, AppError>;
}

#[server(endpoint = "audit/list")]
pub async fn list_audit(action: Option<String>) -> Result<Vec<AuditView>, AppError> {
    use crate::service::*;
    serve(
        Some(Scope::AuditRead),
        "read the audit log",
        |audit: Arc<dyn AuditApi>, me| async move { audit.audit_log(&me, action.filter(|a| !a.is_empty())).await },
    )
    .await
}
