//! Files attached to messages: their records (the bytes live under the data directory).

use super::{now_ms, Returning, Store, StoreError};

dual! {}

#[derive(Debug, Clone, sqlx::FromRow)]
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
    /// Deleted after the retention period (the record stays for the message).
    pub removed: bool,
}

/// A file due for deletion: its record, and its bytes' name under the data directory.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ExpiredFile {
    pub id: i64,
    pub storage_key: String,
    pub sent: bool,
}

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
        on_db!(self.db, |read, write| {
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
        .fetch_written(write)
        .await?;
            Ok(id)
        })
    }

    /// Bytes of all the workspace's files (for its quota).
    pub async fn attachment_bytes(&self, workspace_id: i64) -> Result<u64, StoreError> {
        on_db!(self.db, |read, write| {
            let total: i64 = sqlx::query_scalar(
                "SELECT CAST(COALESCE(SUM(size_bytes), 0) AS BIGINT) FROM attachments WHERE workspace_id = $1 AND removed_at IS NULL",
            )
            .bind(workspace_id)
            .fetch_one(read)
            .await?;
            Ok(total.max(0) as u64)
        })
    }

    pub async fn attachment(&self, id: i64) -> Result<Option<AttachmentRecord>, StoreError> {
        on_db!(self.db, |read, write| {
            Ok(sqlx::query_as(
            "SELECT id, workspace_id, conversation_id, message_seq, file_name, content_type, size_bytes, storage_key,
                    uploaded_by, uploader_id, removed_at IS NOT NULL AS removed
             FROM attachments WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(read)
        .await?)
        })
    }

    /// Up to `limit` files due for deletion: uploads never sent that were made before
    /// `unsent_before`, and (with a retention period) sent files made before `sent_before`.
    pub async fn expired_attachments(
        &self,
        unsent_before: i64,
        sent_before: Option<i64>,
        limit: i64,
    ) -> Result<Vec<ExpiredFile>, StoreError> {
        on_db!(self.db, |read, write| {
            Ok(sqlx::query_as(&format!(
                "SELECT id, storage_key, message_seq IS NOT NULL AS sent FROM attachments
                 WHERE removed_at IS NULL AND created_at < {}($1, COALESCE($2, 0))
                   AND ((message_seq IS NULL AND created_at < $1) OR created_at < COALESCE($2, 0))
                 ORDER BY created_at LIMIT $3",
                side::GREATEST
            ))
            .bind(unsent_before)
            .bind(sent_before)
            .bind(limit)
            .fetch_all(read)
            .await?)
        })
    }

    /// Forgets files whose bytes are about to be deleted: an upload never sent goes entirely,
    /// a sent one stays as a record marked removed. Returns the storage keys of those it
    /// forgot: an upload sent since it was found is kept, and so are its bytes.
    pub async fn remove_attachments(&self, files: &[ExpiredFile]) -> Result<Vec<String>, StoreError> {
        on_db!(self.db, |read, write| {
            let mut tx = side::begin_write(write).await?;
            let mut gone = Vec::new();
            for f in files {
                let done = if f.sent {
                    sqlx::query("UPDATE attachments SET removed_at = $2 WHERE id = $1 AND removed_at IS NULL")
                        .bind(f.id)
                        .bind(now_ms())
                        .execute(&mut *tx)
                        .await?
                } else {
                    sqlx::query("DELETE FROM attachments WHERE id = $1 AND message_seq IS NULL")
                        .bind(f.id)
                        .execute(&mut *tx)
                        .await?
                };
                if done.rows_affected() == 1 {
                    gone.push(f.storage_key.clone());
                }
            }
            tx.commit().await?;
            Ok(gone)
        })
    }

    /// Whether the message at `seq` is one only the team sees.
    pub async fn message_is_internal(&self, conversation_id: i64, seq: i64) -> Result<bool, StoreError> {
        on_db!(self.db, |read, write| {
            let row: Option<(bool,)> =
                sqlx::query_as("SELECT internal FROM messages WHERE conversation_id = $1 AND seq = $2")
                    .bind(conversation_id)
                    .bind(seq)
                    .fetch_optional(read)
                    .await?;
            Ok(row.is_some_and(|r| r.0))
        })
    }
}
