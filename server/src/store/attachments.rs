//! Files attached to messages: their records (the bytes live under the data directory).

use super::{now_ms, Returning, Store, StoreError};

#[derive(Debug, Clone)]
pub struct AttachmentRecord {
    pub id: i64,
    pub workspace_id: i64,
    pub conversation_id: i64,
    pub message_seq: Option<i64>,
    pub file_name: String,
    pub content_type: String,
    pub size_bytes: i64,
    pub storage_key: String,
    pub uploaded_by: String,
    pub uploader_id: i64,
}

type Row = (i64, i64, i64, Option<i64>, String, String, i64, String, String, i64);

impl Store {
    #[allow(clippy::too_many_arguments)]
    pub async fn create_attachment(
        &self,
        workspace_id: i64,
        conversation_id: i64,
        file_name: &str,
        content_type: &str,
        size_bytes: i64,
        storage_key: &str,
        uploaded_by: &str,
        uploader_id: i64,
    ) -> Result<i64, StoreError> {
        let (id,): (i64,) = sqlx::query_as(
            "INSERT INTO attachments (workspace_id, conversation_id, file_name, content_type, size_bytes, storage_key,
                                      uploaded_by, uploader_id, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
        )
        .bind(workspace_id)
        .bind(conversation_id)
        .bind(file_name)
        .bind(content_type)
        .bind(size_bytes)
        .bind(storage_key)
        .bind(uploaded_by)
        .bind(uploader_id)
        .bind(now_ms())
        .fetch_written(&self.write)
        .await?;
        Ok(id)
    }

    /// Bytes of all the workspace's files (for its quota).
    pub async fn attachment_bytes(&self, workspace_id: i64) -> Result<u64, StoreError> {
        let total: i64 =
            sqlx::query_scalar("SELECT COALESCE(SUM(size_bytes), 0) FROM attachments WHERE workspace_id = $1")
                .bind(workspace_id)
                .fetch_one(&self.read)
                .await?;
        Ok(total.max(0) as u64)
    }

    pub async fn attachment(&self, id: i64) -> Result<Option<AttachmentRecord>, StoreError> {
        let row: Option<Row> = sqlx::query_as(
            "SELECT id, workspace_id, conversation_id, message_seq, file_name, content_type, size_bytes, storage_key,
                    uploaded_by, uploader_id
             FROM attachments WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(&self.read)
        .await?;
        Ok(row.map(|r| AttachmentRecord {
            id: r.0,
            workspace_id: r.1,
            conversation_id: r.2,
            message_seq: r.3,
            file_name: r.4,
            content_type: r.5,
            size_bytes: r.6,
            storage_key: r.7,
            uploaded_by: r.8,
            uploader_id: r.9,
        }))
    }

    /// Whether the message at `seq` is one only the team sees.
    pub async fn message_is_internal(&self, conversation_id: i64, seq: i64) -> Result<bool, StoreError> {
        let row: Option<(bool,)> =
            sqlx::query_as("SELECT internal FROM messages WHERE conversation_id = $1 AND seq = $2")
                .bind(conversation_id)
                .bind(seq)
                .fetch_optional(&self.read)
                .await?;
        Ok(row.is_some_and(|r| r.0))
    }
}
