//! Deliveries: replies to customers on providers' channels (SMS, e-mail). Such a reply is
//! stored `pending` with the operator's action (`append.rs`), which makes the message row its
//! own outbox entry; the sender task takes the due ones from the partial index
//! `messages_outbox`, and providers' reports move each one forward — never back — by
//! compare-and-set on the status it was read with. Also the SMS opt-out list.

use app::events::Delivery;
use app::lifecycle::DeliveryStatus;

use super::{now_ms, Store, StoreError};

dual! {}

/// A reply waiting to be sent.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Outgoing {
    pub message_id: i64,
    pub workspace_id: i64,
    pub conversation_id: i64,
    pub seq: i64,
    pub body: String,
    pub sender_kind: app::lifecycle::SenderKind,
    pub attempts: i64,
    pub channel_id: i64,
    pub contact_id: i64,
}

/// A delivery that moved: which message, and where it stands now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Moved {
    pub conversation_id: i64,
    pub seq: i64,
    pub delivery: Delivery,
}

#[derive(sqlx::FromRow)]
struct Current {
    id: i64,
    conversation_id: i64,
    seq: i64,
    delivery_status: DeliveryStatus,
    delivery_error: Option<String>,
}

/// Where a report takes a delivery that stands at `now`: nowhere when it would go back or
/// repeats (a failure stays unless the message is reported delivered or read after all).
pub fn advanced(now: DeliveryStatus, report: DeliveryStatus) -> Option<DeliveryStatus> {
    (report.rank() > now.rank()).then_some(report)
}

impl Store {
    /// Replies due to be sent at `now`, oldest first.
    pub async fn due_deliveries(&self, now: i64, limit: i64) -> Result<Vec<Outgoing>, StoreError> {
        on_db!(self.db, |read, write| {
            Ok(sqlx::query_as(
                "SELECT m.id AS message_id, m.workspace_id, m.conversation_id, m.seq, m.body, m.sender_kind,
                    m.delivery_attempts AS attempts, c.channel_id, c.contact_id
             FROM messages m JOIN conversations c ON c.id = m.conversation_id
             WHERE m.delivery_status = 'pending' AND m.deliver_after <= $1
             ORDER BY m.deliver_after LIMIT $2",
            )
            .bind(now)
            .bind(limit)
            .fetch_all(read)
            .await?)
        })
    }

    /// How many replies wait to be handed to their provider.
    pub async fn pending_deliveries(&self) -> Result<i64, StoreError> {
        on_db!(self.db, |read, write| {
            let row: (i64,) = sqlx::query_as("SELECT COUNT(*) FROM messages WHERE delivery_status = 'pending'")
                .fetch_one(read)
                .await?;
            Ok(row.0)
        })
    }

    /// When the next pending reply is due, if any is waiting.
    pub async fn next_delivery_due(&self) -> Result<Option<i64>, StoreError> {
        on_db!(self.db, |read, write| {
            let row: (Option<i64>,) =
                sqlx::query_as("SELECT MIN(deliver_after) FROM messages WHERE delivery_status = 'pending'")
                    .fetch_one(read)
                    .await?;
            Ok(row.0)
        })
    }

    /// A pending reply is tried again at `after` (Unix ms).
    pub async fn retry_delivery(&self, message_id: i64, after: i64) -> Result<(), StoreError> {
        on_db!(self.db, |read, write| {
            sqlx::query(
                "UPDATE messages SET delivery_attempts = delivery_attempts + 1, deliver_after = $2
             WHERE id = $1 AND delivery_status = 'pending'",
            )
            .bind(message_id)
            .bind(after)
            .execute(write)
            .await?;
            Ok(())
        })
    }

    /// The provider took a reply and named it `provider_id`; `status` is what it said first.
    pub async fn delivery_accepted(
        &self,
        message_id: i64,
        provider_id: &str,
        status: DeliveryStatus,
    ) -> Result<Option<Moved>, StoreError> {
        on_db!(self.db, |read, write| {
            sqlx::query("UPDATE messages SET channel_message_id = $2 WHERE id = $1 AND channel_message_id IS NULL")
                .bind(message_id)
                .bind(provider_id)
                .execute(write)
                .await?;
            self.advance(Some(message_id), None, status, None).await
        })
    }

    /// A report on the reply with id `message_id` (our side: a refusal before or at sending).
    pub async fn delivery_report(
        &self,
        message_id: i64,
        status: DeliveryStatus,
        error: Option<&str>,
    ) -> Result<Option<Moved>, StoreError> {
        self.advance(Some(message_id), None, status, error).await
    }

    /// A provider's report on the message it knows as `provider_id` in the workspace.
    pub async fn provider_report(
        &self,
        workspace_id: i64,
        provider_id: &str,
        status: DeliveryStatus,
        error: Option<&str>,
    ) -> Result<Option<Moved>, StoreError> {
        self.advance(None, Some((workspace_id, provider_id)), status, error)
            .await
    }

    /// Moves a delivery forward by compare-and-set on the status it was read with; tries again
    /// if another report moved it in between. `None` when nothing changed.
    async fn advance(
        &self,
        message_id: Option<i64>,
        provider: Option<(i64, &str)>,
        report: DeliveryStatus,
        error: Option<&str>,
    ) -> Result<Option<Moved>, StoreError> {
        on_db!(self.db, |read, write| {
            for _ in 0..5 {
                let current: Option<Current> = sqlx::query_as(
                    "SELECT id, conversation_id, seq, delivery_status, delivery_error FROM messages
                 WHERE delivery_status IS NOT NULL
                   AND (($1 IS NOT NULL AND id = $1)
                        OR ($1 IS NULL AND workspace_id = $2 AND channel_message_id = $3))",
                )
                .bind(message_id)
                .bind(provider.map(|p| p.0))
                .bind(provider.map(|p| p.1))
                .fetch_optional(write)
                .await?;
                let Some(current) = current else {
                    return Ok(None);
                };
                let Some(next) = advanced(current.delivery_status, report) else {
                    return Ok(None);
                };
                // The first error a provider gives is kept.
                let error = match (report, &current.delivery_error) {
                    (DeliveryStatus::Failed, None) => error.map(str::to_string),
                    _ => current.delivery_error.clone(),
                };
                let done = sqlx::query(
                    "UPDATE messages SET delivery_status = $2, delivery_error = $3
                 WHERE id = $1 AND delivery_status = $4",
                )
                .bind(current.id)
                .bind(next)
                .bind(&error)
                .bind(current.delivery_status)
                .execute(write)
                .await?;
                if done.rows_affected() == 1 {
                    return Ok(Some(Moved {
                        conversation_id: current.conversation_id,
                        seq: current.seq,
                        delivery: Delivery { status: next, error },
                    }));
                }
            }
            Ok(None)
        })
    }

    /// The phone number a contact texts from (the newest they have, if several were merged).
    pub async fn contact_phone(&self, contact_id: i64) -> Result<Option<String>, StoreError> {
        on_db!(self.db, |read, write| {
            let row: Option<(String,)> = sqlx::query_as(
                "SELECT value FROM contact_identities WHERE contact_id = $1 AND kind = 'phone'
             ORDER BY created_at DESC, id DESC LIMIT 1",
            )
            .bind(contact_id)
            .fetch_optional(read)
            .await?;
            Ok(row.map(|r| r.0))
        })
    }

    /// The files sent with a message.
    pub async fn message_files(&self, conversation_id: i64, seq: i64) -> Result<Vec<i64>, StoreError> {
        on_db!(self.db, |read, write| {
            let rows: Vec<(i64,)> = sqlx::query_as(
                "SELECT id FROM attachments WHERE conversation_id = $1 AND message_seq = $2 AND removed_at IS NULL
             ORDER BY id",
            )
            .bind(conversation_id)
            .bind(seq)
            .fetch_all(read)
            .await?;
            Ok(rows.into_iter().map(|r| r.0).collect())
        })
    }

    /// Whether a phone number of the contact texted STOP to the channel (and not START since).
    pub async fn sms_opted_out(&self, channel_id: i64, contact_id: i64) -> Result<bool, StoreError> {
        on_db!(self.db, |read, write| {
            let row: Option<(i64,)> = sqlx::query_as(
                "SELECT CAST(1 AS BIGINT) FROM sms_opt_outs o JOIN contact_identities i ON i.kind = 'phone' AND i.value = o.phone
             WHERE o.channel_id = $1 AND i.contact_id = $2 LIMIT 1",
            )
            .bind(channel_id)
            .bind(contact_id)
            .fetch_optional(read)
            .await?;
            Ok(row.is_some())
        })
    }

    /// Records a STOP (`out`) or a START from a phone number to a channel.
    pub async fn set_sms_opt_out(&self, channel_id: i64, phone: &str, out: bool) -> Result<(), StoreError> {
        on_db!(self.db, |read, write| {
            let sql = if out {
                "INSERT INTO sms_opt_outs (channel_id, phone, opted_out_at) VALUES ($1, $2, $3)
             ON CONFLICT (channel_id, phone) DO NOTHING"
            } else {
                "DELETE FROM sms_opt_outs WHERE channel_id = $1 AND phone = $2 AND $3 IS NOT NULL"
            };
            sqlx::query(sql)
                .bind(channel_id)
                .bind(phone)
                .bind(now_ms())
                .execute(write)
                .await?;
            Ok(())
        })
    }

    /// Whether the workspace has a message with the provider's id already.
    pub async fn has_provider_message(&self, workspace_id: i64, provider_id: &str) -> Result<bool, StoreError> {
        on_db!(self.db, |read, write| {
            let row: Option<(i64,)> = sqlx::query_as(
                "SELECT CAST(1 AS BIGINT) FROM messages WHERE workspace_id = $1 AND channel_message_id = $2",
            )
            .bind(workspace_id)
            .bind(provider_id)
            .fetch_optional(read)
            .await?;
            Ok(row.is_some())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use DeliveryStatus::*;

    #[test]
    fn reports_only_move_a_delivery_forward() {
        assert_eq!(advanced(Pending, Accepted), Some(Accepted));
        assert_eq!(advanced(Accepted, Delivered), Some(Delivered));
        // Late, repeated or out-of-order reports change nothing.
        assert_eq!(advanced(Delivered, Sent), None);
        assert_eq!(advanced(Sent, Sent), None);
        assert_eq!(advanced(Read, Delivered), None);
        assert_eq!(advanced(Delivered, Failed), None);
        // A failure stays unless the message arrived after all (a multi-part text).
        assert_eq!(advanced(Failed, Sent), None);
        assert_eq!(advanced(Failed, Delivered), Some(Delivered));
        assert_eq!(advanced(Sent, Failed), Some(Failed));
    }
}
