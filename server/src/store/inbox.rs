//! The inbox: conversations as lists show them, filtered, searched and paged newest activity
//! first; what each operator has read; the workspace's categories.

use std::sync::LazyLock;

use app::conversation::CategoryView;
use app::events::SenderKind;
use app::inbox::{ConversationSummary, StatusCounts};
use app::lifecycle::{ChannelKind, Handler, Status};

use super::unique::{self, unique_as};
use super::{now_ms, Returning, Store, StoreError};
use crate::conversations::visibility::Visibility;

/// What to list. Every field narrows the list; `None` leaves it open.
#[derive(Clone, Debug)]
pub struct InboxFilter {
    pub workspace_id: i64,
    /// Only what this member may see.
    pub visibility: Visibility,
    /// The member whose unread counts are computed.
    pub reader: Option<i64>,
    pub assignee: Option<i64>,
    pub unassigned: bool,
    pub status: Option<String>,
    pub channel_kind: Option<String>,
    pub workflow_id: Option<i64>,
    /// Words to find in the contact's name, e-mail or phone, or in the messages.
    pub search: Option<String>,
    /// Only conversations that were active before this point (last activity ms, id).
    pub before: Option<(i64, i64)>,
    /// Only this conversation.
    pub id: Option<i64>,
    /// Inbox rule: conversations of auto-escalation workflows appear once they need (or have)
    /// a person; always-on ones from their first message.
    pub inbox_only: bool,
    /// `Some(false)`: leave out conversations snoozed now; `Some(true)`: only those.
    pub snoozed: Option<bool>,
}

impl InboxFilter {
    /// Every conversation of the workspace, for the server's own reads.
    pub fn workspace(workspace_id: i64) -> InboxFilter {
        InboxFilter {
            workspace_id,
            visibility: Visibility::everything(),
            reader: None,
            assignee: None,
            unassigned: false,
            status: None,
            channel_kind: None,
            workflow_id: None,
            search: None,
            before: None,
            id: None,
            inbox_only: false,
            snoozed: None,
        }
    }
}

/// The search as a full-text query: every word must appear in a message, the last as a prefix
/// (people type the start of a word). SQLite's words are quoted, so nothing typed is FTS5
/// syntax; PostgreSQL's are the letters and digits of what was typed, joined by `&`.
fn full_text(search: &str, postgres: bool) -> Option<String> {
    if postgres {
        let words: Vec<String> = search
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .map(str::to_lowercase)
            .collect();
        return (!words.is_empty()).then(|| format!("{}:*", words.join(" & ")));
    }
    let words: Vec<String> = search
        .split_whitespace()
        .map(|w| w.chars().filter(|c| *c != '"' && !c.is_control()).collect::<String>())
        .filter(|w| w.chars().any(char::is_alphanumeric))
        .map(|w| format!("\"{w}\""))
        .collect();
    if words.is_empty() {
        return None;
    }
    Some(format!("{}*", words.join(" ")))
}

/// `LIKE` pattern for a search, with its wildcards escaped.
fn like(search: &str) -> String {
    // Control characters (a NUL, say) are in no name: they are left out rather than sent to
    // SQLite, which cuts a pattern short at a NUL.
    let search: String = search.chars().filter(|c| !c.is_control()).collect();
    let escaped = search.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
    format!("%{escaped}%")
}

/// The shared WHERE clause. Binds: $1 workspace, $2 visibility, $3 assignee, $4 unassigned,
/// $5 status, $6 channel kind, $7 workflow, $8 search pattern (names), $9/$10 before, $11 id,
/// $12 inbox_only, $13 the search as a full-text query (messages), $14 snoozed (NULL: either,
/// false: not snoozed now, true: snoozed now), $15 now.
fn filter_sql(postgres: bool) -> &'static str {
    static SQLITE: LazyLock<String> = LazyLock::new(|| filter_sql_for(false));
    static POSTGRES: LazyLock<String> = LazyLock::new(|| filter_sql_for(true));
    if postgres {
        &POSTGRES
    } else {
        &SQLITE
    }
}

fn filter_sql_for(postgres: bool) -> String {
    let matching = if postgres {
        "SELECT sm.conversation_id FROM messages sm WHERE sm.search @@ to_tsquery('simple', $13)"
    } else {
        "SELECT sm.conversation_id FROM messages_search JOIN messages sm ON sm.id = messages_search.rowid
         WHERE messages_search MATCH $13"
    };
    format!(
        "c.workspace_id = $1
    AND {visible}
    AND ($3 IS NULL OR c.assignee_id = $3)
    AND ($4 = FALSE OR c.assignee_id IS NULL)
    AND ($5 IS NULL OR c.status = $5)
    AND ($6 IS NULL OR ch.kind = $6)
    AND ($7 IS NULL OR c.workflow_id = $7)
    AND ($8 IS NULL OR LOWER(ct.name) LIKE LOWER($8) ESCAPE '\\' OR LOWER(ct.email) LIKE LOWER($8) ESCAPE '\\'
         OR ct.phone LIKE $8 ESCAPE '\\' OR ($13 IS NOT NULL AND c.id IN ({matching})))
    AND ($9 IS NULL OR c.last_activity_at < $9 OR (c.last_activity_at = $9 AND c.id < $10))
    AND ($11 IS NULL OR c.id = $11)
    AND ($12 = FALSE OR (c.last_seq > 0 AND (w.handoff_mode = 'always_on' OR c.escalated_at IS NOT NULL
         OR c.handler = 'human' OR c.assignee_id IS NOT NULL)))
    AND ($14 IS NULL OR $14 = (c.snoozed_until IS NOT NULL AND c.snoozed_until > $15))",
        visible = Visibility::sql("$2", postgres)
    )
}

const FROM: &str = "FROM conversations c
    JOIN channels ch ON ch.id = c.channel_id
    JOIN contacts ct ON ct.id = c.contact_id
    JOIN workflows w ON w.id = c.workflow_id";

/// Messages after the reader's marker that count as unread: the customer's and other team
/// members' (binds the reader as $16).
const UNREAD: &str = "(SELECT COUNT(*) FROM messages um WHERE um.conversation_id = c.id
        AND um.seq > COALESCE((SELECT last_read_seq FROM read_markers WHERE member_id = $16 AND conversation_id = c.id), 0)
        AND (um.sender_kind = 'contact' OR (um.sender_kind = 'operator' AND um.sender_id != $16)))";

macro_rules! bind_filter {
    ($query:expr, $f:expr, $pattern:expr, $words:expr) => {
        $query
            .bind($f.workspace_id)
            .bind($f.visibility.bind())
            .bind($f.assignee)
            .bind($f.unassigned)
            .bind($f.status.as_deref())
            .bind($f.channel_kind.as_deref())
            .bind($f.workflow_id)
            .bind($pattern)
            .bind($f.before.map(|b| b.0))
            .bind($f.before.map(|b| b.1))
            .bind($f.id)
            .bind($f.inbox_only)
            .bind($words)
            .bind($f.snoozed)
            .bind(now_ms())
    };
}

/// One row of the listing, in the SELECT's order.
#[derive(sqlx::FromRow)]
struct SummaryRow {
    id: i64,
    workflow_id: i64,
    channel_id: i64,
    contact_id: i64,
    channel_kind: ChannelKind,
    channel_name: String,
    channel_colour: String,
    contact_name: String,
    status: Status,
    handler: Handler,
    assignee_id: Option<i64>,
    assignee: Option<String>,
    last_message: Option<String>,
    last_seq: i64,
    escalated_at: Option<i64>,
    last_activity_at: i64,
    last_sender_kind: Option<String>,
    last_sender_id: Option<i64>,
    category: Option<String>,
    unread: i64,
    snoozed_until: Option<i64>,
    resolved_at: Option<i64>,
    resolved_by: Option<String>,
}

dual! {
/// Records that the member has read the conversation up to `seq` (never moving backwards), on
/// a connection or in a transaction.
pub(in crate::store) async fn mark_read_on(
    conn: &mut Conn,
    member_id: i64,
    conversation_id: i64,
    seq: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(&mark_read_sql())
    .bind(member_id)
    .bind(conversation_id)
    .bind(seq)
    .execute(conn)
    .await?;
    Ok(())
}

/// `mark_read_on`'s statement: `$1` the member, `$2` the conversation, `$3` the message number.
pub(in crate::store) fn mark_read_sql() -> String {
    format!(
        "INSERT INTO read_markers AS r (member_id, conversation_id, last_read_seq) VALUES ($1, $2, $3)
         ON CONFLICT (member_id, conversation_id) DO UPDATE SET last_read_seq = {GREATEST}(r.last_read_seq, excluded.last_read_seq)",
    )
}
}

impl Store {
    /// Conversations matching the filter, newest activity first.
    pub async fn summaries(&self, f: &InboxFilter, limit: i64) -> Result<Vec<ConversationSummary>, StoreError> {
        on_db!(self.db, |read, write| {
            let pattern = f.search.as_deref().map(like);
            let words = f.search.as_deref().and_then(|s| full_text(s, side::PG));
            if words.is_some() {
                // Messages are indexed in batches: the newest may not be in the index yet.
                self.index_for_search().await?;
            }
            let sql = format!(
            "SELECT c.id, c.workflow_id, c.channel_id, c.contact_id, ch.kind AS channel_kind, ch.name AS channel_name, ch.colour AS channel_colour,
                    ct.name AS contact_name, c.status, c.handler, c.assignee_id, a.name AS assignee,
                    (SELECT body FROM messages m WHERE m.conversation_id = c.id AND m.internal = FALSE
                        AND m.sender_kind != 'system' ORDER BY seq DESC LIMIT 1) AS last_message,
                    c.last_seq, c.escalated_at, c.last_activity_at, lm.sender_kind AS last_sender_kind,
                    lm.sender_id AS last_sender_id, cat.name AS category,
                    CASE WHEN $16 IS NULL THEN 0 ELSE {UNREAD} END AS unread, c.snoozed_until,
                    c.resolved_at, rb.name AS resolved_by
             {FROM}
             LEFT JOIN members a ON a.id = c.assignee_id
             LEFT JOIN messages lm ON lm.conversation_id = c.id AND lm.seq = c.last_seq
             LEFT JOIN categories cat ON cat.id = c.category_id
             LEFT JOIN members rb ON rb.id = c.resolved_by
             WHERE {by_id}{where_}
             ORDER BY c.last_activity_at DESC, c.id DESC
             LIMIT $17",
            // One conversation (a message's summary) is found by its key: the shared clause's
            // `($11 IS NULL OR c.id = $11)` alone reads every conversation of the workspace.
            by_id = if f.id.is_some() { "c.id = $11 AND " } else { "" },
            where_ = filter_sql(side::PG)
        );
            let rows: Vec<SummaryRow> = bind_filter!(sqlx::query_as(&sql), f, pattern.as_deref(), words.as_deref())
                .bind(f.reader)
                .bind(limit)
                .fetch_all(read)
                .await?;
            Ok(rows
                .into_iter()
                .map(|r| ConversationSummary {
                    id: r.id,
                    workflow_id: r.workflow_id,
                    channel_id: r.channel_id,
                    contact_id: r.contact_id,
                    channel_kind: r.channel_kind,
                    channel_name: r.channel_name,
                    channel_colour: r.channel_colour,
                    contact_name: r.contact_name,
                    status: r.status,
                    handler: r.handler,
                    assignee_id: r.assignee_id,
                    assignee: r.assignee,
                    last_message: r.last_message,
                    last_seq: r.last_seq,
                    escalated_at: r.escalated_at,
                    last_activity_at: r.last_activity_at,
                    last_sender_kind: r.last_sender_kind.as_deref().and_then(SenderKind::parse),
                    last_sender_id: r.last_sender_id,
                    category: r.category,
                    unread: r.unread.max(0) as u32,
                    snoozed_until: r.snoozed_until,
                    resolved_at: r.resolved_at,
                    resolved_by: r.resolved_by,
                })
                .collect())
        })
    }

    /// How many conversations of each status match the filter (its status aside).
    pub async fn status_counts(&self, f: &InboxFilter) -> Result<StatusCounts, StoreError> {
        on_db!(self.db, |read, write| {
            let f = InboxFilter {
                status: None,
                before: None,
                ..f.clone()
            };
            let pattern = f.search.as_deref().map(like);
            let words = f.search.as_deref().and_then(|s| full_text(s, side::PG));
            if words.is_some() {
                // Messages are indexed in batches: the newest may not be in the index yet.
                self.index_for_search().await?;
            }
            let sql = format!(
                "SELECT c.status, COUNT(*) {FROM} WHERE {where_} GROUP BY c.status",
                where_ = filter_sql(side::PG)
            );
            let rows: Vec<(String, i64)> = bind_filter!(sqlx::query_as(&sql), f, pattern.as_deref(), words.as_deref())
                .fetch_all(read)
                .await?;
            let mut counts = StatusCounts::default();
            for (status, n) in rows {
                let n = n.max(0) as u32;
                match status.as_str() {
                    "open" => counts.open = n,
                    "waiting" => counts.waiting = n,
                    "active" => counts.active = n,
                    _ => counts.resolved = n,
                }
            }
            Ok(counts)
        })
    }

    /// The conversation as the inbox shows it to everyone (no unread count).
    pub async fn conversation_summary(&self, conversation_id: i64) -> Result<Option<ConversationSummary>, StoreError> {
        self.summary_for(conversation_id, None).await
    }

    /// The conversation as the inbox shows it to everyone, with its workspace.
    pub async fn published_summary(
        &self,
        conversation_id: i64,
    ) -> Result<Option<(i64, ConversationSummary)>, StoreError> {
        self.summary_in_workspace(conversation_id, None).await
    }

    /// The conversation as the inbox shows it to `reader`, with their unread count.
    pub async fn summary_for(
        &self,
        conversation_id: i64,
        reader: Option<i64>,
    ) -> Result<Option<ConversationSummary>, StoreError> {
        Ok(self
            .summary_in_workspace(conversation_id, reader)
            .await?
            .map(|(_, s)| s))
    }

    async fn summary_in_workspace(
        &self,
        conversation_id: i64,
        reader: Option<i64>,
    ) -> Result<Option<(i64, ConversationSummary)>, StoreError> {
        on_db!(self.db, |read, write| {
            let workspace: Option<(i64,)> = sqlx::query_as("SELECT workspace_id FROM conversations WHERE id = $1")
                .bind(conversation_id)
                .fetch_optional(read)
                .await?;
            let Some((workspace_id,)) = workspace else {
                return Ok(None);
            };
            let f = InboxFilter {
                id: Some(conversation_id),
                reader,
                ..InboxFilter::workspace(workspace_id)
            };
            Ok(self
                .summaries(&f, 1)
                .await?
                .into_iter()
                .next()
                .map(|s| (workspace_id, s)))
        })
    }

    /// The conversations assigned to the member that are not resolved (what the console
    /// counts unread messages in).
    pub async fn own_conversations(&self, member_id: i64) -> Result<Vec<i64>, StoreError> {
        on_db!(self.db, |read, write| {
            let rows: Vec<(i64,)> =
                sqlx::query_as("SELECT id FROM conversations WHERE assignee_id = $1 AND status != 'resolved'")
                    .bind(member_id)
                    .fetch_all(read)
                    .await?;
            Ok(rows.into_iter().map(|(id,)| id).collect())
        })
    }

    /// Unread messages in the open conversations assigned to the member.
    pub async fn mine_unread(&self, member_id: i64) -> Result<u32, StoreError> {
        on_db!(self.db, |read, write| {
            let (n,): (i64,) = sqlx::query_as(
            "SELECT COUNT(*) FROM messages m JOIN conversations c ON c.id = m.conversation_id
             WHERE c.assignee_id = $1 AND c.status != 'resolved'
               AND m.seq > COALESCE((SELECT last_read_seq FROM read_markers WHERE member_id = $1 AND conversation_id = c.id), 0)
               AND (m.sender_kind = 'contact' OR (m.sender_kind = 'operator' AND m.sender_id != $1))",
        )
        .bind(member_id)
        .fetch_one(read)
        .await?;
            Ok(n.max(0) as u32)
        })
    }

    /// Puts a conversation aside until `until` (Unix ms), or brings it back (`None`), with a
    /// note for the team; false when it is resolved (nothing to put aside).
    pub async fn snooze(
        &self,
        conversation_id: i64,
        until: Option<i64>,
        note: &str,
    ) -> Result<Option<super::Appended>, StoreError> {
        on_db!(self.db, |read, write| {
            let mut tx = side::begin_write(write).await?;
            let done =
                sqlx::query("UPDATE conversations SET snoozed_until = $2 WHERE id = $1 AND status != 'resolved'")
                    .bind(conversation_id)
                    .bind(until)
                    .execute(&mut *tx)
                    .await?;
            if done.rows_affected() == 0 {
                return Ok(None);
            }
            let appended =
                side::append::append(&mut tx, conversation_id, &super::NewMessage::system(note, true)).await?;
            tx.commit().await?;
            Ok(Some(appended))
        })
    }

    /// Conversations whose snooze has run out by `now`, woken: their snooze is cleared.
    pub async fn wake_snoozed(&self, now: i64) -> Result<Vec<i64>, StoreError> {
        on_db!(self.db, |read, write| {
            let rows: Vec<(i64,)> = sqlx::query_as(
                "UPDATE conversations SET snoozed_until = NULL WHERE snoozed_until IS NOT NULL AND snoozed_until <= $1
             RETURNING id",
            )
            .bind(now)
            .fetch_all(write)
            .await?;
            Ok(rows.into_iter().map(|r| r.0).collect())
        })
    }

    /// The member has read the conversation up to `seq`.
    pub async fn mark_read(&self, member_id: i64, conversation_id: i64, seq: i64) -> Result<(), StoreError> {
        on_db!(self.db, |read, write| {
            let mut tx = side::begin_write(write).await?;
            side::mark_read_on(&mut tx, member_id, conversation_id, seq).await?;
            tx.commit().await?;
            Ok(())
        })
    }

    pub async fn categories(&self, workspace_id: i64) -> Result<Vec<CategoryView>, StoreError> {
        on_db!(self.db, |read, write| {
            let rows: Vec<(i64, String)> =
                sqlx::query_as("SELECT id, name FROM categories WHERE workspace_id = $1 ORDER BY name")
                    .bind(workspace_id)
                    .fetch_all(read)
                    .await?;
            Ok(rows.into_iter().map(|(id, name)| CategoryView { id, name }).collect())
        })
    }

    pub async fn create_category(&self, workspace_id: i64, name: &str) -> Result<i64, StoreError> {
        on_db!(self.db, |read, write| {
            let (id,): (i64,) = sqlx::query_as(
                "INSERT INTO categories (workspace_id, name, created_at) VALUES ($1, $2, $3) RETURNING id",
            )
            .bind(workspace_id)
            .bind(name)
            .bind(now_ms())
            .fetch_written(write)
            .await
            .map_err(unique_as(unique::CATEGORY_NAME))?;
            Ok(id)
        })
    }

    pub async fn delete_category(&self, workspace_id: i64, id: i64) -> Result<(), StoreError> {
        on_db!(self.db, |read, write| {
            let done = sqlx::query("DELETE FROM categories WHERE id = $1 AND workspace_id = $2")
                .bind(id)
                .bind(workspace_id)
                .execute(write)
                .await?;
            if done.rows_affected() == 0 {
                return Err(StoreError::NotFound);
            }
            Ok(())
        })
    }

    /// Sets (or clears) a conversation's category; the category must be the workspace's.
    pub async fn set_category(&self, conversation_id: i64, category_id: Option<i64>) -> Result<(), StoreError> {
        on_db!(self.db, |read, write| {
            let done = sqlx::query(
                "UPDATE conversations SET category_id = $2 WHERE id = $1
             AND ($2 IS NULL OR $2 IN (SELECT id FROM categories WHERE workspace_id = conversations.workspace_id))",
            )
            .bind(conversation_id)
            .bind(category_id)
            .execute(write)
            .await?;
            if done.rows_affected() == 0 {
                return Err(StoreError::NotFound);
            }
            Ok(())
        })
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn searches_become_quoted_full_text_queries() {
        assert_eq!(
            super::full_text("invoice 48213", false).as_deref(),
            Some("\"invoice\" \"48213\"*")
        );
        assert_eq!(
            super::full_text("say \"hi\" OR NOT x", false).as_deref(),
            Some("\"say\" \"hi\" \"OR\" \"NOT\" \"x\"*")
        );
        assert_eq!(super::full_text(" %% ** ", false), None);
        assert_eq!(
            super::full_text("in\0voice\u{7}", false).as_deref(),
            Some("\"invoice\"*")
        );
        assert_eq!(super::full_text("\0", false), None);
        assert_eq!(
            super::full_text("Invoice 48213, e-mail", true).as_deref(),
            Some("invoice & 48213 & e & mail:*"),
            "PostgreSQL's query keeps letters and digits only, so nothing typed is its syntax"
        );
        assert_eq!(super::full_text("'&|!:*()", true), None);
    }

    #[test]
    fn search_wildcards_are_taken_literally() {
        assert_eq!(super::like("50% off_now"), "%50\\% off\\_now%");
        assert_eq!(super::like("a\0b"), "%ab%");
    }
}
