//! The inbox's and the conversation view's calls, answered by the conversation service.

use app::conversation::ConversationDetail;
use app::events::MessageView;
use app::inbox::{ConversationSummary, InboxPage, InboxQuery};
use app::{AppError, Me};

use super::Conversations;

#[async_trait::async_trait]
impl app::inbox::InboxApi for Conversations {
    async fn inbox(&self, me: &Me, query: InboxQuery) -> Result<InboxPage, AppError> {
        Conversations::inbox(self, me, &query).await
    }
}

#[async_trait::async_trait]
impl app::conversation::ConversationApi for Conversations {
    async fn detail(&self, me: &Me, id: i64) -> Result<ConversationDetail, AppError> {
        Conversations::detail(self, me, id).await
    }

    async fn summary_for(&self, me: &Me, id: i64) -> Result<ConversationSummary, AppError> {
        Conversations::summary_for(self, me, id).await
    }

    async fn history(&self, me: &Me, id: i64, before_seq: i64) -> Result<Vec<MessageView>, AppError> {
        Conversations::history(self, me, id, before_seq).await
    }

    async fn set_category(&self, me: &Me, id: i64, category_id: Option<i64>) -> Result<ConversationSummary, AppError> {
        Conversations::set_category(self, me, id, category_id).await
    }

    async fn reopen(&self, me: &Me, id: i64) -> Result<ConversationSummary, AppError> {
        Conversations::reopen(self, me, id).await
    }

    async fn restore_to_ai(&self, me: &Me, id: i64) -> Result<ConversationSummary, AppError> {
        Conversations::restore_to_ai(self, me, id).await
    }

    async fn resolve(&self, me: &Me, id: i64) -> Result<ConversationSummary, AppError> {
        Conversations::resolve(self, me, id).await
    }
}
