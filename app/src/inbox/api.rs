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
pub trait InboxApi: Send + Sync + 'static {
    async fn inbox(&self, me: &Me, query: &InboxQuery) -> Result<InboxPage, AppError>;
}

/// The inbox page for a query (in the browser, a shorthand for the server function).
pub async fn inbox_page(query: InboxQuery) -> Result<InboxPage, AppError> {
    let some = |s: String| (!s.is_empty()).then_some(s);
    list_conversations(
        some(query.view),
        some(query.status),
        some(query.channel),
        some(query.workflow),
        some(query.q),
        some(query.before),
    )
    .await
}

/// A page of the inbox: filtered by view, status, channel and workflow, searched, and paged
/// with `before` (the previous page's `next`).
#[server(endpoint = "inbox/conversations")]
pub async fn list_conversations(
    view: Option<String>,
    status: Option<String>,
    channel: Option<String>,
    workflow: Option<String>,
    q: Option<String>,
    before: Option<String>,
) -> Result<InboxPage, AppError> {
    use crate::service::*;
    serve(
        Some(Scope::OperatorRead),
        "see the inbox",
        |conversations: Arc<dyn InboxApi>, me| async move {
            let query = InboxQuery {
                view: view.unwrap_or_default(),
                status: status.unwrap_or_default(),
                channel: channel.unwrap_or_default(),
                workflow: workflow.unwrap_or_default(),
                q: q.unwrap_or_default(),
                before: before.unwrap_or_default(),
            };
            conversations.inbox(&me, &query).await
        },
    )
    .await
}
