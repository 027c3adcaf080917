//! Channels: where conversations come in (the web widget and the others), each on one
//! workflow, found by the public key a widget carries.

use app::lifecycle::ChannelKind;

use super::{now_ms, Returning, Store, StoreError};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ChannelRecord {
    pub id: i64,
    pub workspace_id: i64,
    pub workflow_id: i64,
    pub kind: ChannelKind,
    pub name: String,
    pub colour: String,
    pub public_key: String,
}

/// Channels as `ChannelRecord`s; the caller adds the condition.
const CHANNEL_SELECT: &str = "SELECT id, workspace_id, workflow_id, kind, name, colour, public_key FROM channels";

impl Store {
    pub async fn channel_by_key(&self, key: &str) -> Result<Option<ChannelRecord>, StoreError> {
        Ok(sqlx::query_as(&format!("{CHANNEL_SELECT} WHERE public_key = $1"))
            .bind(key)
            .fetch_optional(&self.read)
            .await?)
    }

    pub async fn channel(&self, id: i64) -> Result<Option<ChannelRecord>, StoreError> {
        Ok(sqlx::query_as(&format!("{CHANNEL_SELECT} WHERE id = $1"))
            .bind(id)
            .fetch_optional(&self.read)
            .await?)
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
        .fetch_written(&self.write)
        .await
        .map_err(super::unique_as("A channel with that key"))?;
        Ok(row.0)
    }
}
