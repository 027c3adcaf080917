//! Channels: where conversations come in (the web widget and the others), each on one
//! workflow, found by the public key a widget carries.

use app::lifecycle::ChannelKind;

use super::unique::{self, unique_as};
use super::{now_ms, Returning, Store, StoreError};

dual! {}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ChannelRecord {
    pub id: i64,
    pub workspace_id: i64,
    pub workflow_id: i64,
    pub kind: ChannelKind,
    pub name: String,
    pub colour: String,
    pub public_key: String,
    /// Off: no new chats.
    pub enabled: bool,
    /// Origins allowed to frame a web channel's chat, separated by spaces (empty: any site).
    pub allowed_sites: String,
    /// The key that verifies a site's signed-in customer (never shown again once saved).
    pub identity_secret: Option<String>,
    /// An identity without a valid signature is refused.
    pub require_verified: bool,
    /// A provider channel's plain settings, as JSON (an SMS channel's `SmsSettings`).
    pub settings: String,
    /// A provider channel's secret (an SMS channel's Twilio auth token), write-only.
    pub provider_secret: Option<String>,
}

impl ChannelRecord {
    /// An SMS channel's Twilio settings (`None` for other channels).
    pub fn sms(&self) -> Option<app::channels::SmsSettings> {
        if self.kind != ChannelKind::Sms {
            return None;
        }
        serde_json::from_str(&self.settings).ok()
    }

    /// An e-mail channel's settings (`None` for other channels).
    pub fn email(&self) -> Option<app::channels::EmailSettings> {
        if self.kind != ChannelKind::Email {
            return None;
        }
        serde_json::from_str(&self.settings).ok()
    }

    /// The origins allowed to frame its chat (empty: any site).
    pub fn sites(&self) -> Vec<String> {
        self.allowed_sites.split_whitespace().map(str::to_string).collect()
    }
}

/// A channel as its page lists it: with its workflow's name and how many conversations came in
/// on it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ChannelListing {
    #[sqlx(flatten)]
    pub channel: ChannelRecord,
    pub workflow_name: String,
    pub conversations: i64,
    /// An e-mail channel reading a mailbox: when it last looked, and what went wrong then.
    pub imap_checked_at: Option<i64>,
    pub imap_problem: Option<String>,
}

/// Channels as `ChannelRecord`s; the caller adds the condition.
pub(super) const CHANNEL_SELECT: &str =
    "SELECT id, workspace_id, workflow_id, kind, name, colour, public_key, enabled, allowed_sites, identity_secret,
            require_verified, settings, provider_secret FROM channels";

impl Store {
    pub async fn channel_by_key(&self, key: &str) -> Result<Option<ChannelRecord>, StoreError> {
        on_db!(self.db, |read, write| {
            let row: Option<ChannelRecord> = sqlx::query_as(&format!("{CHANNEL_SELECT} WHERE public_key = $1"))
                .bind(key)
                .fetch_optional(read)
                .await?;
            row.map(|c| self.opened(c)).transpose()
        })
    }

    pub async fn channel(&self, id: i64) -> Result<Option<ChannelRecord>, StoreError> {
        on_db!(self.db, |read, write| {
            let row: Option<ChannelRecord> = sqlx::query_as(&format!("{CHANNEL_SELECT} WHERE id = $1"))
                .bind(id)
                .fetch_optional(read)
                .await?;
            row.map(|c| self.opened(c)).transpose()
        })
    }

    /// The channel with its secrets opened.
    pub(super) fn opened(&self, mut c: ChannelRecord) -> Result<ChannelRecord, StoreError> {
        c.identity_secret = self.open_secret(c.identity_secret.take())?;
        c.provider_secret = self.open_secret(c.provider_secret.take())?;
        Ok(c)
    }

    pub async fn create_channel(
        &self,
        workspace_id: i64,
        workflow_id: i64,
        kind: &str,
        name: &str,
        colour: &str,
        public_key: &str,
    ) -> Result<i64, StoreError> {
        on_db!(self.db, |read, write| {
            let row: (i64,) = sqlx::query_as(
                "INSERT INTO channels (workspace_id, workflow_id, kind, name, colour, public_key, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
            )
            .bind(workspace_id)
            .bind(workflow_id)
            .bind(kind)
            .bind(name)
            .bind(colour)
            .bind(public_key)
            .bind(now_ms())
            .fetch_written(write)
            .await
            .map_err(unique_as(unique::CHANNEL_KEY))?;
            Ok(row.0)
        })
    }

    /// The workspace's channels (or one of them), oldest first.
    pub async fn channel_listings(
        &self,
        workspace_id: i64,
        only: Option<i64>,
    ) -> Result<Vec<ChannelListing>, StoreError> {
        on_db!(self.db, |read, write| {
            Ok(sqlx::query_as(
                "SELECT c.id, c.workspace_id, c.workflow_id, c.kind, c.name, c.colour, c.public_key, c.enabled,
                    c.allowed_sites, c.identity_secret, c.require_verified, c.settings, c.provider_secret,
                    w.name AS workflow_name,
                    (SELECT COUNT(*) FROM conversations v WHERE v.channel_id = c.id) AS conversations,
                    ic.checked_at AS imap_checked_at, ic.problem AS imap_problem
             FROM channels c JOIN workflows w ON w.id = c.workflow_id
             LEFT JOIN imap_cursors ic ON ic.channel_id = c.id
             WHERE c.workspace_id = $1 AND ($2 IS NULL OR c.id = $2)
             ORDER BY c.id",
            )
            .bind(workspace_id)
            .bind(only)
            .fetch_all(read)
            .await?)
        })
    }

    /// Changes a channel of the workspace; false when there is no such channel.
    pub async fn update_channel(
        &self,
        workspace_id: i64,
        id: i64,
        name: &str,
        colour: &str,
        workflow_id: i64,
        allowed_sites: &str,
    ) -> Result<bool, StoreError> {
        on_db!(self.db, |read, write| {
            let done = sqlx::query(
                "UPDATE channels SET name = $3, colour = $4, workflow_id = $5, allowed_sites = $6
             WHERE id = $1 AND workspace_id = $2",
            )
            .bind(id)
            .bind(workspace_id)
            .bind(name)
            .bind(colour)
            .bind(workflow_id)
            .bind(allowed_sites)
            .execute(write)
            .await?;
            Ok(done.rows_affected() == 1)
        })
    }

    /// Sets how a web channel verifies identities: a new secret (`None`: keep the one it has)
    /// and whether an unverified identity is refused.
    pub async fn set_identity_check(
        &self,
        workspace_id: i64,
        id: i64,
        secret: Option<&str>,
        require_verified: bool,
    ) -> Result<(), StoreError> {
        on_db!(self.db, |read, write| {
            sqlx::query(
                "UPDATE channels SET identity_secret = COALESCE($3, identity_secret), require_verified = $4
             WHERE id = $1 AND workspace_id = $2",
            )
            .bind(id)
            .bind(workspace_id)
            .bind(secret.map(|s| self.seal(s)).transpose()?)
            .bind(require_verified)
            .execute(write)
            .await?;
            Ok(())
        })
    }

    /// Sets a provider channel's settings (JSON) and, when given, its secret.
    pub async fn set_provider(
        &self,
        workspace_id: i64,
        id: i64,
        settings: &str,
        secret: Option<&str>,
    ) -> Result<(), StoreError> {
        on_db!(self.db, |read, write| {
            sqlx::query(
                "UPDATE channels SET settings = $3, provider_secret = COALESCE($4, provider_secret)
             WHERE id = $1 AND workspace_id = $2",
            )
            .bind(id)
            .bind(workspace_id)
            .bind(settings)
            .bind(secret.map(|s| self.seal(s)).transpose()?)
            .execute(write)
            .await?;
            Ok(())
        })
    }

    /// Turns a channel of the workspace on or off; false when there is no such channel.
    pub async fn set_channel_enabled(&self, workspace_id: i64, id: i64, enabled: bool) -> Result<bool, StoreError> {
        on_db!(self.db, |read, write| {
            let done = sqlx::query("UPDATE channels SET enabled = $3 WHERE id = $1 AND workspace_id = $2")
                .bind(id)
                .bind(workspace_id)
                .bind(enabled)
                .execute(write)
                .await?;
            Ok(done.rows_affected() == 1)
        })
    }

    /// Deletes a channel of the workspace that no conversation came in on, with the visitors
    /// who opened its chat and never wrote; false when there is no such channel or it has
    /// conversations.
    pub async fn delete_unused_channel(&self, workspace_id: i64, id: i64) -> Result<bool, StoreError> {
        on_db!(self.db, |read, write| {
            let mut tx = side::begin_write(write).await?;
            let unused: Option<(i64,)> = sqlx::query_as(
                "SELECT id FROM channels c WHERE id = $1 AND workspace_id = $2
               AND NOT EXISTS (SELECT 1 FROM conversations v WHERE v.channel_id = c.id)",
            )
            .bind(id)
            .bind(workspace_id)
            .fetch_optional(&mut *tx)
            .await?;
            if unused.is_none() {
                return Ok(false);
            }
            sqlx::query(
                "DELETE FROM contacts WHERE channel_id = $1
               AND NOT EXISTS (SELECT 1 FROM conversations v WHERE v.contact_id = contacts.id)",
            )
            .bind(id)
            .execute(&mut *tx)
            .await?;
            sqlx::query("DELETE FROM channels WHERE id = $1")
                .bind(id)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            Ok(true)
        })
    }
}
