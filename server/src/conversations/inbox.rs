//! What operators read: a conversation with its latest messages, older messages a page at a
//! time, its summary, the inbox in pages with its filters and search, and how far they read.

use app::conversation::ConversationDetail;
use app::events::MessageView;
use app::inbox::{ConversationSummary, InboxPage, InboxQuery};
use app::{AppError, Me};

use super::visibility::Visibility;
use super::Conversations;
use crate::store::InboxFilter;

/// Messages a conversation page or a history page holds.
const HISTORY_PAGE: i64 = 100;
/// Conversations one inbox page holds.
const INBOX_PAGE: i64 = 50;

impl Conversations {
    /// The member read the conversation up to `seq`; their other tabs are told.
    pub async fn mark_read(&self, me: &Me, conversation_id: i64, seq: i64) -> Result<(), AppError> {
        self.access(me, conversation_id).await?;
        self.store.mark_read(me.member_id, conversation_id, seq).await?;
        self.publish_read(me.member_id, conversation_id, seq);
        Ok(())
    }
}

#[async_trait::async_trait]
impl app::conversation::ConversationApi for Conversations {
    async fn detail(&self, me: &Me, conversation_id: i64) -> Result<ConversationDetail, AppError> {
        let record = self.access(me, conversation_id).await?;
        let messages = self.store.latest_messages(conversation_id, HISTORY_PAGE).await?;
        // Opening a conversation reads it.
        if let Some(last) = messages.last() {
            self.store.mark_read(me.member_id, conversation_id, last.seq).await?;
            self.publish_read(me.member_id, conversation_id, last.seq);
        }
        let summary = self
            .store
            .summary_for(conversation_id, Some(me.member_id))
            .await?
            .ok_or_else(|| AppError::not_found("That conversation"))?;
        let reply_blocked = self.reply_blocked(&record).await?;
        Ok(ConversationDetail {
            summary,
            messages,
            reply_blocked,
            subject: self.subject_of(conversation_id).await?,
        })
    }

    /// Older messages, a page at a time, for scrolling back through a long history.
    async fn history(&self, me: &Me, conversation_id: i64, before_seq: i64) -> Result<Vec<MessageView>, AppError> {
        self.access(me, conversation_id).await?;
        Ok(self
            .store
            .messages_before(conversation_id, before_seq, HISTORY_PAGE)
            .await?)
    }

    /// The conversation as the member's inbox shows it, with their unread count.
    async fn summary_for(&self, me: &Me, conversation_id: i64) -> Result<ConversationSummary, AppError> {
        self.access(me, conversation_id).await?;
        self.store
            .summary_for(conversation_id, Some(me.member_id))
            .await?
            .ok_or_else(|| AppError::not_found("That conversation"))
    }
}

#[async_trait::async_trait]
impl app::inbox::InboxApi for Conversations {
    /// One page of the inbox, as the member may see it.
    async fn inbox(&self, me: &Me, q: &InboxQuery) -> Result<InboxPage, AppError> {
        let status = match q.status.as_str() {
            "" => None,
            s @ ("open" | "waiting" | "active" | "resolved") => Some(s.to_string()),
            s => {
                return Err(AppError::invalid(
                    "Status",
                    format!("`{s}` is not one of open, waiting, active, resolved"),
                ))
            }
        };
        let (assignee, unassigned, snoozed) = match q.view.as_str() {
            "" | "all" => (None, false, false),
            "mine" => (Some(me.member_id), false, false),
            "unassigned" => (None, true, false),
            "snoozed" => (None, false, true),
            v => {
                return Err(AppError::invalid(
                    "View",
                    format!("`{v}` is not one of mine, unassigned, snoozed, all"),
                ))
            }
        };
        let channel_kind = match q.channel.as_str() {
            "" => None,
            k @ ("web" | "sms" | "email" | "whatsapp" | "messenger" | "instagram" | "api") => Some(k.to_string()),
            k => return Err(AppError::invalid("Channel", format!("`{k}` is not a channel kind"))),
        };
        let workflow_id = match q.workflow.trim() {
            "" => None,
            w => Some(app::service::parse_number("Workflow", w)?),
        };
        if q.q.trim().chars().count() > 200 {
            return Err(AppError::invalid("Search", "must be at most 200 characters"));
        }
        // Control characters (a NUL, say) are in no message or name: they are left out, and a
        // search made only of them finds nothing.
        let stray = |c: char| c.is_control() && !c.is_whitespace();
        let printable: String = q.q.chars().filter(|c| !stray(*c)).collect();
        let search = printable.trim();
        if search.is_empty() && q.q.chars().any(stray) {
            return Ok(InboxPage {
                conversations: Vec::new(),
                next: None,
                counts: Default::default(),
                mine_unread: self.store.mine_unread(me.member_id).await?,
            });
        }
        let before = match q.before.split_once(':') {
            None if q.before.is_empty() => None,
            Some((ms, id)) => match (ms.parse::<i64>(), id.parse::<i64>()) {
                (Ok(ms), Ok(id)) => Some((ms, id)),
                _ => return Err(AppError::invalid("Page", "is not a place in the list")),
            },
            None => return Err(AppError::invalid("Page", "is not a place in the list")),
        };
        let filter = InboxFilter {
            workspace_id: me.workspace_id,
            visibility: Visibility::of(&self.store, me).await?,
            reader: Some(me.member_id),
            assignee,
            unassigned,
            status,
            channel_kind,
            workflow_id,
            search: (!search.is_empty()).then(|| search.to_string()),
            before,
            id: None,
            inbox_only: true,
            snoozed: Some(snoozed),
        };
        let mut conversations = self.store.summaries(&filter, INBOX_PAGE + 1).await?;
        let next = if conversations.len() as i64 > INBOX_PAGE {
            conversations.truncate(INBOX_PAGE as usize);
            conversations.last().map(|c| format!("{}:{}", c.last_activity_at, c.id))
        } else {
            None
        };
        let counts = self.store.status_counts(&filter).await?;
        let mine_unread = self.store.mine_unread(me.member_id).await?;
        Ok(InboxPage {
            conversations,
            next,
            counts,
            mine_unread,
        })
    }
}
