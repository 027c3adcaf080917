//! Outbound webhooks: the endpoints, and the queue of deliveries to them. A change to a
//! conversation or a new message queues its deliveries in the transaction that makes it (the
//! payload built by SQLite from the rows, only when an endpoint wants the event), so a crash
//! can lose neither.

use app::lifecycle::Status;

use crate::conversations::lifecycle::State;

use super::{now_ms, Store, StoreError};

/// An endpoint as stored.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct WebhookRecord {
    pub id: i64,
    pub workspace_id: i64,
    pub url: String,
    pub events: String,
    pub secret: String,
    pub enabled: bool,
    pub disabled_reason: Option<String>,
    pub consecutive_failures: i64,
    pub created_at: i64,
}

/// A delivery due now, with where it goes.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct DueDelivery {
    pub id: i64,
    pub webhook_id: i64,
    pub workspace_id: i64,
    pub event: String,
    pub payload: String,
    pub attempts: i64,
    pub url: String,
    pub secret: String,
}

/// An attempt's outcome.
pub enum Attempt<'a> {
    Delivered {
        status: u16,
        body: &'a str,
    },
    /// Tried again at `retry_at`, or given up (`None`).
    Failed {
        status: Option<u16>,
        body: Option<&'a str>,
        error: &'a str,
        retry_at: Option<i64>,
    },
}

dual! {
/// The endpoints of workspace `workspace` that want `event` (SQL over `w`).
pub(in crate::store) fn wants(workspace: &str, event: &str) -> String {
    format!("w.workspace_id = {workspace} AND w.enabled = TRUE AND {POSITION}(' ' || w.events || ' ', ' ' || {event} || ' ') > 0")
}

/// The conversation as a payload shows it (SQL over `c` and its contact `ct`).
fn conversation_json() -> String {
    format!(
        "{JSON_OBJECT}('id', c.id, 'status', c.status, 'handler', c.handler,
        'assignee_id', c.assignee_id, 'channel_id', c.channel_id, 'workflow_id', c.workflow_id,
        'escalated_at', c.escalated_at, 'resolved_at', c.resolved_at, 'last_activity_at', c.last_activity_at,
        'contact', {JSON_OBJECT}('id', ct.id, 'name', ct.name, 'email', ct.email, 'phone', ct.phone))"
    )
}

/// Queues `event` about the conversation for every endpoint that wants it, in the caller's
/// transaction.
pub(in crate::store) async fn enqueue_conversation(
    conn: &mut Conn,
    conversation_id: i64,
    event: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(&format!(
        "INSERT INTO webhook_deliveries (webhook_id, event, payload, next_attempt_at, created_at)
         SELECT w.id, $2, CAST({JSON_OBJECT}('event', $2, 'created_at', $3, 'workspace_id', c.workspace_id,
                'data', {JSON_OBJECT}('conversation', {conversation})) AS TEXT), $3, $3
         FROM conversations c JOIN contacts ct ON ct.id = c.contact_id JOIN webhooks w ON {wants}
         WHERE c.id = $1",
        conversation = conversation_json(),
        wants = wants("c.workspace_id", "$2"),
    ))
    .bind(conversation_id)
    .bind(event)
    .bind(now_ms())
    .execute(conn)
    .await?;
    Ok(())
}

/// Queues `message.created` for the message at `seq`, in the caller's transaction.
pub(in crate::store) async fn enqueue_message(
    conn: &mut Conn,
    conversation_id: i64,
    seq: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(&format!(
        "INSERT INTO webhook_deliveries (webhook_id, event, payload, next_attempt_at, created_at)
         SELECT w.id, $2, CAST({JSON_OBJECT}('event', $2, 'created_at', $3, 'workspace_id', c.workspace_id,
                'data', {JSON_OBJECT}('conversation', {conversation},
                    'message', {JSON_OBJECT}('seq', m.seq, 'sender_kind', m.sender_kind, 'sender_id', m.sender_id,
                        'sender_name', COALESCE(op.name, CASE m.sender_kind WHEN 'contact' THEN ct.name
                            WHEN 'ai' THEN 'Assistant' ELSE 'Switchboard' END),
                        'body', m.body, 'internal', {internal},
                        'created_at', m.created_at))) AS TEXT), $3, $3
         FROM messages m JOIN conversations c ON c.id = m.conversation_id JOIN contacts ct ON ct.id = c.contact_id
              LEFT JOIN members op ON op.id = m.sender_id AND m.sender_kind = 'operator'
              JOIN webhooks w ON {wants}
         WHERE m.conversation_id = $1 AND m.seq = $4",
        conversation = conversation_json(),
        internal = json_bool("m.internal"),
        wants = wants("c.workspace_id", "$2"),
    ))
    .bind(conversation_id)
    .bind("message.created")
    .bind(now_ms())
    .bind(seq)
    .execute(conn)
    .await?;
    Ok(())
}

/// Queues what a change of the conversation's state means to endpoints: it was escalated, it
/// was assigned (to someone new), it was resolved.
pub(in crate::store) async fn enqueue_changes(
    conn: &mut Conn,
    conversation_id: i64,
    before: State,
    after: State,
) -> Result<(), sqlx::Error> {
    for event in changes(before, after) {
        enqueue_conversation(&mut *conn, conversation_id, event).await?;
    }
    Ok(())
}
}

/// The events a change of state is, in the order they happened.
pub fn changes(before: State, after: State) -> Vec<&'static str> {
    let mut events = Vec::new();
    if after.escalated && !before.escalated {
        events.push("conversation.escalated");
    }
    if after.assignee.is_some() && after.assignee != before.assignee {
        events.push("conversation.assigned");
    }
    if after.status == Status::Resolved && before.status != Status::Resolved {
        events.push("conversation.resolved");
    }
    events
}

impl Store {
    /// Queues `event` with `data` for every endpoint of the workspace that wants it (events
    /// that are not one transaction's: a contact changed, an operator's status).
    pub async fn enqueue_webhook(
        &self,
        workspace_id: i64,
        event: &str,
        data: serde_json::Value,
    ) -> Result<u64, StoreError> {
        on_db!(self.db, |read, write| {
            let now = now_ms();
            let payload =
                serde_json::json!({ "event": event, "created_at": now, "workspace_id": workspace_id, "data": data });
            Ok(sqlx::query(&format!(
                "INSERT INTO webhook_deliveries (webhook_id, event, payload, next_attempt_at, created_at)
                 SELECT w.id, $2, $3, $4, $4 FROM webhooks w WHERE {}",
                side::wants("$1", "$2")
            ))
            .bind(workspace_id)
            .bind(event)
            .bind(payload.to_string())
            .bind(now)
            .execute(write)
            .await?
            .rows_affected())
        })
    }

    /// Queues a test event (`ping`) for one endpoint, whatever its events.
    pub async fn enqueue_ping(&self, webhook: &WebhookRecord) -> Result<i64, StoreError> {
        on_db!(self.db, |read, write| {
            let now = now_ms();
            let payload = serde_json::json!({
                "event": "ping", "created_at": now, "workspace_id": webhook.workspace_id,
                "data": { "webhook_id": webhook.id, "message": "A test event from Switchboard." }
            });
            let (id,): (i64,) = sqlx::query_as(
                "INSERT INTO webhook_deliveries (webhook_id, event, payload, next_attempt_at, created_at)
             VALUES ($1, 'ping', $2, $3, $3) RETURNING id",
            )
            .bind(webhook.id)
            .bind(payload.to_string())
            .bind(now)
            .fetch_one(write)
            .await?;
            Ok(id)
        })
    }

    pub async fn create_webhook(
        &self,
        workspace_id: i64,
        url: &str,
        events: &str,
        secret: &str,
    ) -> Result<i64, StoreError> {
        on_db!(self.db, |read, write| {
            let (id,): (i64,) = sqlx::query_as(
            "INSERT INTO webhooks (workspace_id, url, events, secret, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id",
        )
        .bind(workspace_id)
        .bind(url)
        .bind(events)
        .bind(self.seal(secret)?)
        .bind(now_ms())
        .fetch_one(write)
        .await?;
            Ok(id)
        })
    }

    pub async fn update_webhook(
        &self,
        workspace_id: i64,
        id: i64,
        url: &str,
        events: &str,
    ) -> Result<bool, StoreError> {
        on_db!(self.db, |read, write| {
            Ok(
                sqlx::query("UPDATE webhooks SET url = $3, events = $4 WHERE id = $2 AND workspace_id = $1")
                    .bind(workspace_id)
                    .bind(id)
                    .bind(url)
                    .bind(events)
                    .execute(write)
                    .await?
                    .rows_affected()
                    == 1,
            )
        })
    }

    /// Turns an endpoint on (its failures forgotten) or off by an admin.
    pub async fn set_webhook_enabled(&self, workspace_id: i64, id: i64, enabled: bool) -> Result<bool, StoreError> {
        on_db!(self.db, |read, write| {
            Ok(sqlx::query(
                "UPDATE webhooks SET enabled = $3, disabled_reason = NULL, consecutive_failures = 0
             WHERE id = $2 AND workspace_id = $1",
            )
            .bind(workspace_id)
            .bind(id)
            .bind(enabled)
            .execute(write)
            .await?
            .rows_affected()
                == 1)
        })
    }

    pub async fn delete_webhook(&self, workspace_id: i64, id: i64) -> Result<bool, StoreError> {
        on_db!(self.db, |read, write| {
            Ok(sqlx::query("DELETE FROM webhooks WHERE id = $2 AND workspace_id = $1")
                .bind(workspace_id)
                .bind(id)
                .execute(write)
                .await?
                .rows_affected()
                == 1)
        })
    }

    /// The workspace's endpoints (or one), oldest first.
    pub async fn webhooks(&self, workspace_id: i64, only: Option<i64>) -> Result<Vec<WebhookRecord>, StoreError> {
        on_db!(self.db, |read, write| {
            let rows: Vec<WebhookRecord> = sqlx::query_as(
            "SELECT id, workspace_id, url, events, secret, enabled, disabled_reason, consecutive_failures, created_at
             FROM webhooks WHERE workspace_id = $1 AND ($2 IS NULL OR id = $2) ORDER BY id",
        )
        .bind(workspace_id)
        .bind(only)
        .fetch_all(read)
        .await?;
            rows.into_iter()
                .map(|mut w| {
                    w.secret = self.open_secret(Some(w.secret))?.unwrap_or_default();
                    Ok(w)
                })
                .collect()
        })
    }

    /// An endpoint's latest deliveries, newest first.
    pub async fn webhook_deliveries(
        &self,
        webhook_id: i64,
        limit: i64,
    ) -> Result<Vec<app::integrations::WebhookDeliveryView>, StoreError> {
        on_db!(self.db, |read, write| {
            Ok(sqlx::query_as(
            "SELECT id, event, status, attempts, next_attempt_at, response_status, response_body, error, created_at, finished_at
             FROM webhook_deliveries WHERE webhook_id = $1 ORDER BY id DESC LIMIT $2",
        )
        .bind(webhook_id)
        .bind(limit)
        .fetch_all(read)
        .await?)
        })
    }

    /// Deliveries due by `now` to endpoints that are on, oldest first.
    pub async fn due_webhook_deliveries(&self, now: i64, limit: i64) -> Result<Vec<DueDelivery>, StoreError> {
        on_db!(self.db, |read, write| {
            let rows: Vec<DueDelivery> = sqlx::query_as(
                "SELECT d.id, d.webhook_id, w.workspace_id, d.event, d.payload, d.attempts, w.url, w.secret
             FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id
             WHERE d.status = 'pending' AND d.next_attempt_at <= $1 AND w.enabled = TRUE
             ORDER BY d.next_attempt_at, d.id LIMIT $2",
            )
            .bind(now)
            .bind(limit)
            .fetch_all(write)
            .await?;
            rows.into_iter()
                .map(|mut d| {
                    d.secret = self.open_secret(Some(d.secret))?.unwrap_or_default();
                    Ok(d)
                })
                .collect()
        })
    }

    /// When the next pending delivery to an endpoint that is on is due.
    pub async fn next_webhook_due(&self) -> Result<Option<i64>, StoreError> {
        on_db!(self.db, |read, write| {
            Ok(sqlx::query_scalar(
                "SELECT MIN(d.next_attempt_at) FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id
             WHERE d.status = 'pending' AND w.enabled = TRUE",
            )
            .fetch_one(write)
            .await?)
        })
    }

    /// Records an attempt. A failure counts against the endpoint; at `disable_after` failures
    /// in a row it is turned off with `reason`, and this says so (`true`).
    pub async fn record_webhook_attempt(
        &self,
        delivery: &DueDelivery,
        attempt: Attempt<'_>,
        disable_after: i64,
        reason: &str,
    ) -> Result<bool, StoreError> {
        on_db!(self.db, |read, write| {
            let now = now_ms();
            let mut tx = side::begin_write(write).await?;
            let disabled = match attempt {
                Attempt::Delivered { status, body } => {
                    sqlx::query(
                    "UPDATE webhook_deliveries SET status = 'delivered', attempts = attempts + 1, next_attempt_at = NULL,
                        response_status = $2, response_body = $3, error = NULL, finished_at = $4 WHERE id = $1",
                )
                .bind(delivery.id)
                .bind(status as i64)
                .bind(body)
                .bind(now)
                .execute(&mut *tx)
                .await?;
                    sqlx::query("UPDATE webhooks SET consecutive_failures = 0 WHERE id = $1")
                        .bind(delivery.webhook_id)
                        .execute(&mut *tx)
                        .await?;
                    false
                }
                Attempt::Failed {
                    status,
                    body,
                    error,
                    retry_at,
                } => {
                    sqlx::query(
                        "UPDATE webhook_deliveries SET status = CASE WHEN $5 IS NULL THEN 'failed' ELSE 'pending' END,
                        attempts = attempts + 1, next_attempt_at = $5, response_status = $2, response_body = $3,
                        error = $4, finished_at = CASE WHEN $5 IS NULL THEN $6 END WHERE id = $1",
                    )
                    .bind(delivery.id)
                    .bind(status.map(i64::from))
                    .bind(body)
                    .bind(error)
                    .bind(retry_at)
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
                    let (failures,): (i64,) = sqlx::query_as(
                        "UPDATE webhooks SET consecutive_failures = consecutive_failures + 1 WHERE id = $1
                     RETURNING consecutive_failures",
                    )
                    .bind(delivery.webhook_id)
                    .fetch_one(&mut *tx)
                    .await?;
                    // Only the attempt that turns it off says so (others may be in flight).
                    failures >= disable_after
                        && sqlx::query(
                            "UPDATE webhooks SET enabled = FALSE, disabled_reason = $2 WHERE id = $1 AND enabled = TRUE",
                        )
                        .bind(delivery.webhook_id)
                        .bind(reason)
                        .execute(&mut *tx)
                        .await?
                        .rows_affected()
                            == 1
                }
            };
            tx.commit().await?;
            Ok(disabled)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use app::lifecycle::Handler;

    fn state(status: Status, assignee: Option<i64>, escalated: bool) -> State {
        State {
            status,
            handler: if assignee.is_some() {
                Handler::Human
            } else {
                Handler::Ai
            },
            assignee,
            escalated,
        }
    }

    #[test]
    fn a_change_of_state_is_the_events_an_integrator_asks_for() {
        let open = state(Status::Open, None, false);
        let waiting = state(Status::Waiting, None, true);
        let active = state(Status::Active, Some(7), true);
        assert_eq!(changes(open, waiting), ["conversation.escalated"]);
        assert_eq!(changes(waiting, active), ["conversation.assigned"]);
        assert_eq!(
            changes(open, active),
            ["conversation.escalated", "conversation.assigned"]
        );
        assert_eq!(
            changes(active, state(Status::Active, Some(8), true)),
            ["conversation.assigned"]
        );
        assert_eq!(
            changes(active, state(Status::Resolved, Some(7), true)),
            ["conversation.resolved"]
        );
        assert!(changes(active, active).is_empty());
        assert!(
            changes(active, waiting).is_empty(),
            "a transfer is not an assignment until someone takes it"
        );
    }
}
