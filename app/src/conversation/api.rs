//! The server functions of this feature.

#[cfg(feature = "ssr")]
use std::sync::Arc;

use leptos::prelude::*;

use super::*;
use crate::events::MessageView;
use crate::inbox::ConversationSummary;
use crate::AppError;
#[cfg(feature = "ssr")]
use crate::{Me, Scope};

#[cfg(feature = "ssr")]
#[async_trait::async_trait]
/// Reading a conversation: as it opens, as the inbox lists it, its older messages.
pub trait ConversationApi: Send + Sync + 'static {
    async fn detail(&self, me: &Me, id: i64) -> Result<ConversationDetail, AppError>;
    async fn summary_for(&self, me: &Me, id: i64) -> Result<ConversationSummary, AppError>;
    async fn history(&self, me: &Me, id: i64, before_seq: i64) -> Result<Vec<crate::events::MessageView>, AppError>;
}

#[cfg(feature = "ssr")]
#[async_trait::async_trait]
/// Changes to a conversation's state: its category, reopened, handed back to the assistant, resolved.
pub trait ConversationStateApi: Send + Sync + 'static {
    async fn set_category(&self, me: &Me, id: i64, category_id: Option<i64>) -> Result<ConversationSummary, AppError>;
    async fn reopen(&self, me: &Me, id: i64) -> Result<ConversationSummary, AppError>;
    async fn restore_to_ai(&self, me: &Me, id: i64) -> Result<ConversationSummary, AppError>;
    async fn resolve(&self, me: &Me, id: i64) -> Result<ConversationSummary, AppError>;
    /// Puts the conversation aside until `until` (Unix ms; `UNTIL_REPLY`: until the customer
    /// writes), or brings it back (`None`).
    async fn snooze(&self, me: &Me, id: i64, until: Option<i64>) -> Result<ConversationSummary, AppError>;
}

#[cfg(feature = "ssr")]
#[async_trait::async_trait]
pub trait HandlingApi: Send + Sync + 'static {
    async fn take_over(&self, me: &Me, id: i64) -> Result<ConversationSummary, AppError>;
    async fn transfer_options(&self, me: &Me, id: i64) -> Result<TransferOptions, AppError>;
    async fn transfer(
        &self,
        me: &Me,
        id: i64,
        to_member: Option<i64>,
        to_group: Option<i64>,
        note: &str,
    ) -> Result<(), AppError>;
}

#[cfg(feature = "ssr")]
#[async_trait::async_trait]
pub trait CategoriesApi: Send + Sync + 'static {
    async fn list(&self, me: &Me) -> Result<Vec<CategoryView>, AppError>;
    async fn add(&self, me: &Me, name: &str) -> Result<Vec<CategoryView>, AppError>;
    async fn delete(&self, me: &Me, id: i64) -> Result<Vec<CategoryView>, AppError>;
}

/// Reads `member:<id>` or `group:<id>`.
pub fn parse_transfer_target(to: &str) -> Result<(Option<i64>, Option<i64>), AppError> {
    let bad = || AppError::invalid("Transfer to", "choose an operator or an operator group");
    match to.split_once(':') {
        Some(("member", id)) => Ok((Some(id.parse().map_err(|_| bad())?), None)),
        Some(("group", id)) => Ok((None, Some(id.parse().map_err(|_| bad())?))),
        _ => Err(bad()),
    }
}

#[server(endpoint = "inbox/conversation")]
pub async fn get_conversation(id: i64) -> Result<ConversationDetail, AppError> {
    use crate::service::*;
    serve(
        Some(Scope::OperatorRead),
        "see conversations",
        |conversations: Arc<dyn ConversationApi>, me| async move { conversations.detail(&me, id).await },
    )
    .await
}

/// One conversation as the member's inbox lists it (with their unread count).
#[server(endpoint = "inbox/summary")]
pub async fn get_conversation_summary(id: i64) -> Result<ConversationSummary, AppError> {
    use crate::service::*;
    serve(
        Some(Scope::OperatorRead),
        "see conversations",
        |conversations: Arc<dyn ConversationApi>, me| async move { conversations.summary_for(&me, id).await },
    )
    .await
}

/// The messages before `before_seq`, a page at a time.
#[server(endpoint = "inbox/history")]
pub async fn get_history(id: i64, before_seq: i64) -> Result<Vec<MessageView>, AppError> {
    use crate::service::*;
    serve(
        Some(Scope::OperatorRead),
        "see conversations",
        |conversations: Arc<dyn ConversationApi>, me| async move { conversations.history(&me, id, before_seq).await },
    )
    .await
}

/// Files the conversation under a category; an empty `category_id` clears it.
#[server(endpoint = "inbox/category")]
pub async fn set_conversation_category(id: i64, category_id: String) -> Result<ConversationSummary, AppError> {
    use crate::service::*;
    serve(
        Some(Scope::OperatorWrite),
        "categorise conversations",
        |conversations: Arc<dyn ConversationStateApi>, me| async move {
            let category = match category_id.trim() {
                "" => None,
                c => Some(parse_number("Category", c)?),
            };
            conversations.set_category(&me, id, category).await
        },
    )
    .await
}

#[server(endpoint = "inbox/reopen")]
pub async fn reopen_conversation(id: i64) -> Result<ConversationSummary, AppError> {
    use crate::service::*;
    serve(
        Some(Scope::OperatorWrite),
        "reopen conversations",
        |conversations: Arc<dyn ConversationStateApi>, me| async move { conversations.reopen(&me, id).await },
    )
    .await
}

/// Snoozes the conversation: `until` is Unix milliseconds, `reply` (until the customer writes),
/// or empty to bring it back now.
#[server(endpoint = "inbox/snooze")]
pub async fn snooze_conversation(id: i64, #[server(default)] until: String) -> Result<ConversationSummary, AppError> {
    use crate::service::*;
    serve(
        Some(Scope::OperatorWrite),
        "snooze conversations",
        |conversations: Arc<dyn ConversationStateApi>, me| async move {
            let until = match until.trim() {
                "" => None,
                "reply" => Some(crate::inbox::UNTIL_REPLY),
                ms => Some(parse_number("Snooze until", ms)?),
            };
            conversations.snooze(&me, id, until).await
        },
    )
    .await
}

#[server(endpoint = "inbox/take_over")]
pub async fn take_over(id: i64) -> Result<ConversationSummary, AppError> {
    use crate::service::*;
    serve(
        Some(Scope::OperatorWrite),
        "take conversations over",
        |handling: Arc<dyn HandlingApi>, me| async move { handling.take_over(&me, id).await },
    )
    .await
}

#[server(endpoint = "inbox/restore_to_ai")]
pub async fn restore_to_ai(id: i64) -> Result<ConversationSummary, AppError> {
    use crate::service::*;
    serve(
        Some(Scope::OperatorWrite),
        "hand conversations back to the assistant",
        |conversations: Arc<dyn ConversationStateApi>, me| async move { conversations.restore_to_ai(&me, id).await },
    )
    .await
}

#[server(endpoint = "inbox/resolve")]
pub async fn resolve_conversation(id: i64) -> Result<ConversationSummary, AppError> {
    use crate::service::*;
    serve(
        Some(Scope::OperatorWrite),
        "resolve conversations",
        |conversations: Arc<dyn ConversationStateApi>, me| async move { conversations.resolve(&me, id).await },
    )
    .await
}

#[server(endpoint = "inbox/transfer_options")]
pub async fn get_transfer_options(id: i64) -> Result<TransferOptions, AppError> {
    use crate::service::*;
    serve(
        Some(Scope::OperatorWrite),
        "transfer conversations",
        |handling: Arc<dyn HandlingApi>, me| async move { handling.transfer_options(&me, id).await },
    )
    .await
}

/// Moves a conversation to `to` (`member:<id>` or `group:<id>`), with a note for the team.
#[server(endpoint = "inbox/transfer")]
pub async fn transfer_conversation(id: i64, to: String, note: String) -> Result<(), AppError> {
    use crate::service::*;
    serve(
        Some(Scope::OperatorWrite),
        "transfer conversations",
        |handling: Arc<dyn HandlingApi>, me| async move {
            let (to_member, to_group) = parse_transfer_target(&to)?;
            handling.transfer(&me, id, to_member, to_group, &note).await
        },
    )
    .await
}

#[server(endpoint = "categories/list")]
pub async fn list_categories() -> Result<Vec<CategoryView>, AppError> {
    use crate::service::*;
    serve(
        Some(Scope::OperatorRead),
        "see categories",
        |categories: Arc<dyn CategoriesApi>, me| async move { categories.list(&me).await },
    )
    .await
}

#[server(endpoint = "categories/add")]
pub async fn add_category(name: String) -> Result<Vec<CategoryView>, AppError> {
    use crate::service::*;
    serve(
        Some(Scope::SettingsWrite),
        "change categories",
        |categories: Arc<dyn CategoriesApi>, me| async move { categories.add(&me, &name).await },
    )
    .await
}

#[server(endpoint = "categories/delete")]
pub async fn delete_category(id: i64) -> Result<Vec<CategoryView>, AppError> {
    use crate::service::*;
    serve(
        Some(Scope::SettingsWrite),
        "change categories",
        |categories: Arc<dyn CategoriesApi>, me| async move { categories.delete(&me, id).await },
    )
    .await
}
