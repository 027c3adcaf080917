//! Conversations: a contact's conversation on a channel found or started, read by id, and the
//! changes that are not messages (taken over, handed back, reopened, resolved, escalated).
//! Each change is the lifecycle's decision, written with one compare-and-set UPDATE (`apply`)
//! in the same write transaction as the notice that tells of it.

use app::lifecycle::{ChannelKind, Handler, Status};

use crate::conversations::lifecycle::{self, Event, Refused, State};

use super::append::{Appended, NewMessage, Refusal};
use super::{now_ms, Returning, Store, StoreError};

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ConversationRecord {
    pub id: i64,
    pub workspace_id: i64,
    pub channel_id: i64,
    pub workflow_id: i64,
    pub contact_id: i64,
    pub status: Status,
    pub handler: Handler,
    pub assignee_id: Option<i64>,
    pub human_requests: i64,
    pub last_seq: i64,
    /// Its channel's kind (a channel's kind never changes).
    pub channel_kind: ChannelKind,
}

/// The columns of a `ConversationRecord`, from `conversations` (not aliased).
pub(super) const CONVERSATION_COLUMNS: &str =
    "id, workspace_id, channel_id, workflow_id, contact_id, status, handler, assignee_id, human_requests, last_seq,
     (SELECT kind FROM channels WHERE channels.id = conversations.channel_id) AS channel_kind";

/// The conversation as a change or a message finds it: where it stands, and what a message
/// appended to it needs.
#[derive(sqlx::FromRow)]
pub(super) struct Standing {
    pub workspace_id: i64,
    pub last_seq: i64,
    pub status: Status,
    pub handler: Handler,
    pub assignee_id: Option<i64>,
    pub escalated: bool,
    /// The channel it came on: replies on a provider's channel go out through the outbox.
    pub channel_kind: ChannelKind,
    /// An endpoint of the workspace wants `message.created` (read in the same statement, so
    /// the message insert skips the webhook queue's statement when none does).
    pub wants_messages: bool,
}

impl Standing {
    /// Where it stands, as the lifecycle sees it.
    pub fn state(&self) -> State {
        State {
            status: self.status,
            handler: self.handler,
            assignee: self.assignee_id,
            escalated: self.escalated,
        }
    }
}

dual! {
/// Reads how the conversation stands.
pub(in crate::store) async fn standing<'e, E>(executor: E, conversation_id: i64) -> Result<Option<Standing>, sqlx::Error>
where
    E: sqlx::Executor<'e, Database = Db>,
{
    sqlx::query_as(&standing_sql(""))
        .bind(conversation_id)
        .fetch_optional(executor)
        .await
}

/// Reads how the conversation stands and holds its row until the transaction ends, so that
/// another writer deciding about it (on PostgreSQL, where there are several) waits, then reads
/// what this one decided. A SQLite write transaction already keeps every other writer out.
pub(in crate::store) async fn standing_held(conn: &mut Conn, conversation_id: i64) -> Result<Option<Standing>, sqlx::Error> {
    sqlx::query_as(&standing_sql(if PG { " FOR UPDATE OF conversations" } else { "" }))
        .bind(conversation_id)
        .fetch_optional(conn)
        .await
}

pub(in crate::store) fn standing_sql(lock: &str) -> String {
    format!(
        "SELECT workspace_id, last_seq, status, handler, assignee_id, escalated_at IS NOT NULL AS escalated,
            (SELECT kind FROM channels WHERE id = conversations.channel_id) AS channel_kind,
            EXISTS (SELECT 1 FROM webhooks w WHERE w.workspace_id = conversations.workspace_id AND w.enabled = TRUE
                    AND {POSITION}(' ' || w.events || ' ', ' message.created ') > 0) AS wants_messages
         FROM conversations WHERE id = $1{lock}",
    )
}

/// The contact's latest conversation on the channel.
pub(in crate::store) async fn latest_on_channel<'e, E>(
    executor: E,
    contact_id: i64,
    channel_id: i64,
) -> Result<Option<ConversationRecord>, sqlx::Error>
where
    E: sqlx::Executor<'e, Database = Db>,
{
    sqlx::query_as(&format!(
        "SELECT {CONVERSATION_COLUMNS} FROM conversations WHERE contact_id = $1 AND channel_id = $2
         ORDER BY id DESC LIMIT 1"
    ))
    .bind(contact_id)
    .bind(channel_id)
    .fetch_optional(executor)
    .await
}

/// The member's name for the conversation's notices.
pub(in crate::store) async fn member_name(conn: &mut Conn, member_id: i64) -> Result<String, sqlx::Error> {
    let row: Option<(String,)> = sqlx::query_as("SELECT name FROM members WHERE id = $1")
        .bind(member_id)
        .fetch_optional(conn)
        .await?;
    Ok(row.map(|r| r.0).unwrap_or_else(|| "another operator".into()))
}

/// Appends the notice "{member's name} {did}" (`internal`: for the team only).
pub(in crate::store) async fn notice_by(
    tx: &mut Tx<'_>,
    conversation_id: i64,
    member_id: i64,
    did: &str,
    internal: bool,
) -> Result<Appended, StoreError> {
    let name = member_name(tx, member_id).await?;
    let text = format!("{name} {did}");
    append::append(tx, conversation_id, &NewMessage::system(&text, internal)).await
}

/// Reads the conversation's state, asks the lifecycle what `event` makes of it, and writes
/// that with one compare-and-set UPDATE (it must still stand as it was read). Gives the state
/// before and after; a refused event writes nothing.
pub(in crate::store) async fn apply(tx: &mut Tx<'_>, conversation_id: i64, event: Event) -> Result<(State, State), Refusal> {
    let before = standing_held(&mut **tx, conversation_id)
        .await?
        .ok_or(StoreError::NotFound)?
        .state();
    let after = match lifecycle::decide(before, event) {
        Ok(after) => after,
        Err(Refused::PersonHandles) => return Err(Refusal::NotAiHandled),
        Err(Refused::HeldBy(other)) => return Err(Refusal::ClaimedBy(member_name(tx, other).await?)),
    };
    if after == before {
        return Ok((before, after));
    }
    let done = sqlx::query(
        "UPDATE conversations SET status = $5, handler = $6, assignee_id = $7,
            escalated_at = CASE WHEN $8 THEN COALESCE(escalated_at, $9) END,
            resolved_at = CASE WHEN $5 = 'resolved' THEN COALESCE(resolved_at, $9) END,
            resolved_by = CASE WHEN $5 = 'resolved' THEN resolved_by END
         WHERE id = $1 AND status = $2 AND handler = $3 AND assignee_id IS NOT DISTINCT FROM $4",
    )
    .bind(conversation_id)
    .bind(before.status)
    .bind(before.handler)
    .bind(before.assignee)
    .bind(after.status)
    .bind(after.handler)
    .bind(after.assignee)
    .bind(after.escalated)
    .bind(now_ms())
    .execute(&mut **tx)
    .await?;
    if done.rows_affected() == 0 {
        // The row is held by this transaction: nobody else can have changed it. A bug.
        return Err(Refusal::Store(StoreError::Database(sqlx::Error::Protocol(format!(
            "conversation {conversation_id} changed while a decision was applied"
        )))));
    }
    // An offer lasts while the conversation waits for a person nobody holds: whatever ends
    // that wait (a claim above all) closes it in the same transaction.
    if waits_for_a_person(before) && !waits_for_a_person(after) {
        sqlx::query("DELETE FROM offers WHERE conversation_id = $1")
            .bind(conversation_id)
            .execute(&mut **tx)
            .await?;
    }
    webhooks::enqueue_changes(&mut **tx, conversation_id, before, after).await?;
    Ok((before, after))
}
}

/// The outcome of an event that cannot be refused (only storage can fail).
fn waits_for_a_person(s: State) -> bool {
    s.status == Status::Waiting && s.assignee.is_none()
}

pub(super) fn decided(r: Result<(State, State), Refusal>) -> Result<(State, State), StoreError> {
    r.map_err(|refusal| match refusal {
        Refusal::Store(e) => e,
        _ => StoreError::NotFound,
    })
}

impl Store {
    /// Where the conversation stands, as the lifecycle sees it.
    pub async fn lifecycle_state(&self, conversation_id: i64) -> Result<Option<State>, StoreError> {
        on_db!(self.db, |read, write| {
            Ok(side::standing(read, conversation_id).await?.map(|s| s.state()))
        })
    }

    pub async fn conversation(&self, id: i64) -> Result<Option<ConversationRecord>, StoreError> {
        on_db!(self.db, |read, write| {
            Ok(sqlx::query_as(&format!(
                "SELECT {CONVERSATION_COLUMNS} FROM conversations WHERE id = $1"
            ))
            .bind(id)
            .fetch_optional(read)
            .await?)
        })
    }

    /// The contact's latest conversation on the channel.
    pub async fn latest_conversation(
        &self,
        contact_id: i64,
        channel_id: i64,
    ) -> Result<Option<ConversationRecord>, StoreError> {
        on_db!(self.db, |read, write| {
            Ok(side::latest_on_channel(read, contact_id, channel_id).await?)
        })
    }

    /// The contact's conversation on the channel (the latest), started now if there is none.
    /// Looking and starting are one write transaction, so two first messages at once (two
    /// tabs) still make one conversation.
    pub async fn open_conversation(
        &self,
        channel: &super::ChannelRecord,
        contact_id: i64,
    ) -> Result<ConversationRecord, StoreError> {
        on_db!(self.db, |read, write| {
            let mut tx = side::begin_write(write).await?;
            side::lock_row(&mut tx, "contacts", contact_id).await?;
            let conversation = match side::latest_on_channel(&mut *tx, contact_id, channel.id).await? {
                Some(existing) => existing,
                None => {
                    let now = now_ms();
                    let created: ConversationRecord = sqlx::query_as(&format!(
                    "INSERT INTO conversations (workspace_id, channel_id, workflow_id, contact_id, last_activity_at, created_at)
                     VALUES ($1, $2, $3, $4, $5, $5) RETURNING {CONVERSATION_COLUMNS}"
                ))
                .bind(channel.workspace_id)
                .bind(channel.id)
                .bind(channel.workflow_id)
                .bind(contact_id)
                .bind(now)
                .fetch_written(&mut *tx)
                .await?;
                    side::webhooks::enqueue_conversation(&mut *tx, created.id, "conversation.created").await?;
                    created
                }
            };
            tx.commit().await?;
            Ok(conversation)
        })
    }

    /// The most recently created conversation of any workspace (for tools and tests).
    pub async fn newest_conversation(&self) -> Result<Option<i64>, StoreError> {
        on_db!(self.db, |read, write| {
            let row: Option<(i64,)> = sqlx::query_as("SELECT id FROM conversations ORDER BY id DESC LIMIT 1")
                .fetch_optional(read)
                .await?;
            Ok(row.map(|r| r.0))
        })
    }

    /// Conversations the assistant handles, active since `since`, whose newest message (notes
    /// and notices aside) is the visitor's and has words: the answer was lost in flight (a
    /// restart). Gives (conversation, workflow).
    pub async fn unanswered_by_assistant(&self, since: i64) -> Result<Vec<(i64, i64)>, StoreError> {
        on_db!(self.db, |read, write| {
            Ok(sqlx::query_as(
                "SELECT c.id, c.workflow_id FROM conversations c
             WHERE c.handler = 'ai' AND c.status = 'open' AND c.last_activity_at >= $1
               AND (SELECT m.sender_kind = 'contact' AND m.body != '' FROM messages m
                    WHERE m.conversation_id = c.id AND m.internal = FALSE AND m.sender_kind != 'system'
                    ORDER BY m.seq DESC LIMIT 1)
             ORDER BY c.last_activity_at",
            )
            .bind(since)
            .fetch_all(read)
            .await?)
        })
    }

    /// The workflows whose conversations a member sees through their operator groups.
    pub async fn visible_workflows(&self, member_id: i64) -> Result<Vec<i64>, StoreError> {
        on_db!(self.db, |read, write| {
            let rows: Vec<(i64,)> = sqlx::query_as(
            "SELECT DISTINCT gw.workflow_id FROM group_workflows gw JOIN group_members gm ON gm.group_id = gw.group_id
             WHERE gm.member_id = $1",
        )
        .bind(member_id)
        .fetch_all(read)
        .await?;
            Ok(rows.into_iter().map(|r| r.0).collect())
        })
    }

    /// An operator takes the conversation over: the assistant stops, and a system message says
    /// who joined. Refused when another operator holds it.
    pub async fn take_over(&self, conversation_id: i64, member_id: i64) -> Result<Option<Appended>, Refusal> {
        self.take_over_as(conversation_id, member_id, false).await
    }

    /// `take_over`; with `silent`, "… joined the conversation" is a note for the team only (a
    /// workflow whose handoff the customer is not told of).
    pub async fn take_over_as(
        &self,
        conversation_id: i64,
        member_id: i64,
        silent: bool,
    ) -> Result<Option<Appended>, Refusal> {
        on_db!(self.db, |read, write| {
            let mut tx = side::begin_write(write).await?;
            let (before, after) =
                side::apply(&mut tx, conversation_id, Event::TakeOver { operator: member_id }).await?;
            if !lifecycle::claimed(before, after, member_id) {
                return Ok(None);
            }
            let appended =
                side::notice_by(&mut tx, conversation_id, member_id, "joined the conversation.", silent).await?;
            tx.commit().await?;
            Ok(Some(appended))
        })
    }

    /// Hands the conversation back to the assistant.
    pub async fn restore_to_ai(&self, conversation_id: i64, member_id: i64) -> Result<Appended, StoreError> {
        on_db!(self.db, |read, write| {
            let mut tx = side::begin_write(write).await?;
            decided(side::apply(&mut tx, conversation_id, Event::Restore).await)?;
            sqlx::query("UPDATE conversations SET human_requests = 0 WHERE id = $1")
                .bind(conversation_id)
                .execute(&mut *tx)
                .await?;
            let did = "handed the conversation back to the assistant.";
            let appended = side::notice_by(&mut tx, conversation_id, member_id, did, true).await?;
            tx.commit().await?;
            Ok(appended)
        })
    }

    /// Reopens a resolved conversation: `active` when a person holds it, else `open`.
    pub async fn reopen(&self, conversation_id: i64, member_id: i64) -> Result<Appended, StoreError> {
        on_db!(self.db, |read, write| {
            let mut tx = side::begin_write(write).await?;
            decided(side::apply(&mut tx, conversation_id, Event::Reopen).await)?;
            let appended =
                side::notice_by(&mut tx, conversation_id, member_id, "reopened the conversation.", true).await?;
            tx.commit().await?;
            Ok(appended)
        })
    }

    pub async fn resolve(&self, conversation_id: i64, member_id: i64) -> Result<Appended, StoreError> {
        on_db!(self.db, |read, write| {
            let mut tx = side::begin_write(write).await?;
            decided(side::apply(&mut tx, conversation_id, Event::Resolve).await)?;
            sqlx::query("UPDATE conversations SET resolved_by = $2 WHERE id = $1")
                .bind(conversation_id)
                .bind(member_id)
                .execute(&mut *tx)
                .await?;
            let appended =
                side::notice_by(&mut tx, conversation_id, member_id, "resolved the conversation.", true).await?;
            tx.commit().await?;
            Ok(appended)
        })
    }

    /// Whether the conversation's customer may rate it now: resolved (at `resolved_since` or
    /// later) and not rated since it was resolved.
    pub async fn rating_pending(&self, conversation_id: i64, resolved_since: i64) -> Result<bool, StoreError> {
        on_db!(self.db, |read, write| {
            let row: Option<(i64,)> = sqlx::query_as(
                "SELECT CAST(1 AS BIGINT) FROM conversations c
             WHERE c.id = $1 AND c.status = 'resolved' AND c.resolved_at >= $2
               AND (c.csat_at IS NULL OR c.csat_at < c.resolved_at)",
            )
            .bind(conversation_id)
            .bind(resolved_since)
            .fetch_optional(read)
            .await?;
            Ok(row.is_some())
        })
    }

    /// Keeps the customer's rating of a resolved conversation with a note for the team, in one
    /// transaction; `None` when it may not be rated now.
    pub async fn rate(
        &self,
        conversation_id: i64,
        rating: u8,
        comment: &str,
        note: &str,
        channel_message_id: Option<&str>,
    ) -> Result<Option<Appended>, StoreError> {
        on_db!(self.db, |read, write| {
            let mut tx = side::begin_write(write).await?;
            let done = sqlx::query(
                "UPDATE conversations SET csat_rating = $2, csat_comment = $3, csat_at = $4
             WHERE id = $1 AND status = 'resolved' AND resolved_at IS NOT NULL
               AND (csat_at IS NULL OR csat_at < resolved_at)",
            )
            .bind(conversation_id)
            .bind(i64::from(rating))
            .bind((!comment.is_empty()).then_some(comment))
            .bind(now_ms())
            .execute(&mut *tx)
            .await?;
            if done.rows_affected() == 0 {
                return Ok(None);
            }
            let message = NewMessage {
                channel_message_id,
                ..NewMessage::system(note, true)
            };
            let appended = side::append::append(&mut tx, conversation_id, &message).await?;
            tx.commit().await?;
            Ok(Some(appended))
        })
    }

    /// Counts one more request for a human and returns the total.
    pub async fn count_human_request(&self, conversation_id: i64) -> Result<i64, StoreError> {
        on_db!(self.db, |read, write| {
            let row: (i64,) = sqlx::query_as(
                "UPDATE conversations SET human_requests = human_requests + 1 WHERE id = $1 RETURNING human_requests",
            )
            .bind(conversation_id)
            .fetch_written(write)
            .await?;
            Ok(row.0)
        })
    }

    /// The visitor waits for a human now: status `waiting`, the escalation time, and the
    /// workflow's handoff message to the visitor. Does nothing if a person already handles it.
    pub async fn escalate(&self, conversation_id: i64, handoff_message: &str) -> Result<Option<Appended>, StoreError> {
        self.escalate_with(conversation_id, handoff_message, false).await
    }

    /// `escalate`, with the notice for the team only (`internal`) when the customer is not to
    /// be told.
    pub async fn escalate_with(
        &self,
        conversation_id: i64,
        notice: &str,
        internal: bool,
    ) -> Result<Option<Appended>, StoreError> {
        on_db!(self.db, |read, write| {
            let mut tx = side::begin_write(write).await?;
            let (before, after) = decided(side::apply(&mut tx, conversation_id, Event::Escalate).await)?;
            if after.status != Status::Waiting || before == after {
                return Ok(None);
            }
            let appended =
                side::append::append(&mut tx, conversation_id, &NewMessage::system(notice, internal)).await?;
            tx.commit().await?;
            Ok(Some(appended))
        })
    }
}
