//! API tokens and the answers kept for idempotency keys.

use app::Me;

use super::members::ME_COLUMNS;
use super::{now_ms, Store, StoreError};

dual! {}

/// A token as stored, with the member it acts as.
#[derive(sqlx::FromRow)]
pub struct ApiTokenRecord {
    pub id: i64,
    pub name: String,
    pub prefix: String,
    pub scopes: String,
    pub acts_as: String,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
    pub revoked_at: Option<i64>,
}

/// The caller behind a token that is not revoked and whose member is active.
#[derive(sqlx::FromRow)]
pub struct TokenCaller {
    pub token_id: i64,
    pub scopes: String,
    pub last_used_at: Option<i64>,
    #[sqlx(flatten)]
    pub me: Me,
}

/// What became of an idempotency key when a request claimed it.
pub enum Claim {
    /// New: answer the request, then `finish_idempotent`.
    Fresh,
    /// Answered before, with this status and body.
    Answered {
        fingerprint: String,
        status: u16,
        body: String,
    },
    /// Another request with this key is being answered now.
    InProgress,
}

impl Store {
    pub async fn create_api_token(
        &self,
        me: &Me,
        name: &str,
        token_hash: &str,
        prefix: &str,
        scopes: &str,
    ) -> Result<i64, StoreError> {
        on_db!(self.db, |read, write| {
            let (id,): (i64,) = sqlx::query_as(
                "INSERT INTO api_tokens (workspace_id, member_id, name, token_hash, prefix, scopes, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
            )
            .bind(me.workspace_id)
            .bind(me.member_id)
            .bind(name)
            .bind(token_hash)
            .bind(prefix)
            .bind(scopes)
            .bind(now_ms())
            .fetch_one(write)
            .await?;
            Ok(id)
        })
    }

    /// The workspace's tokens, live ones first, newest first.
    pub async fn api_tokens(&self, workspace_id: i64, id: Option<i64>) -> Result<Vec<ApiTokenRecord>, StoreError> {
        on_db!(self.db, |read, write| {
            Ok(sqlx::query_as(
                "SELECT t.id, t.name, t.prefix, t.scopes, m.name AS acts_as, t.created_at, t.last_used_at, t.revoked_at
             FROM api_tokens t JOIN members m ON m.id = t.member_id
             WHERE t.workspace_id = $1 AND ($2 IS NULL OR t.id = $2)
             ORDER BY t.revoked_at IS NOT NULL, t.id DESC",
            )
            .bind(workspace_id)
            .bind(id)
            .fetch_all(read)
            .await?)
        })
    }

    /// Revokes a token of the workspace; false when there is none (or it was revoked already).
    pub async fn revoke_api_token(&self, workspace_id: i64, id: i64) -> Result<bool, StoreError> {
        on_db!(self.db, |read, write| {
            let done = sqlx::query(
                "UPDATE api_tokens SET revoked_at = $3 WHERE id = $2 AND workspace_id = $1 AND revoked_at IS NULL",
            )
            .bind(workspace_id)
            .bind(id)
            .bind(now_ms())
            .execute(write)
            .await?;
            Ok(done.rows_affected() == 1)
        })
    }

    /// Who a token acts as, if it is live and its member active.
    pub async fn token_caller(&self, token_hash: &str) -> Result<Option<TokenCaller>, StoreError> {
        on_db!(self.db, |read, write| {
            Ok(sqlx::query_as(&format!(
                "SELECT t.id AS token_id, t.scopes, t.last_used_at, {ME_COLUMNS}
             FROM api_tokens t
             JOIN members m ON m.id = t.member_id AND m.workspace_id = t.workspace_id AND m.active
             JOIN workspaces w ON w.id = m.workspace_id
             WHERE t.token_hash = $1 AND t.revoked_at IS NULL"
            ))
            .bind(token_hash)
            .fetch_optional(read)
            .await?)
        })
    }

    pub async fn touch_api_token(&self, token_id: i64, now: i64) -> Result<(), StoreError> {
        on_db!(self.db, |read, write| {
            sqlx::query("UPDATE api_tokens SET last_used_at = $2 WHERE id = $1")
                .bind(token_id)
                .bind(now)
                .execute(write)
                .await?;
            Ok(())
        })
    }

    /// Claims `key` for a request whose method, path and body hash to `fingerprint`.
    pub async fn claim_idempotency_key(
        &self,
        token_id: i64,
        key: &str,
        fingerprint: &str,
    ) -> Result<Claim, StoreError> {
        on_db!(self.db, |read, write| {
            let inserted = sqlx::query(
                "INSERT INTO api_idempotency (token_id, key, fingerprint, created_at) VALUES ($1, $2, $3, $4)
             ON CONFLICT (token_id, key) DO NOTHING",
            )
            .bind(token_id)
            .bind(key)
            .bind(fingerprint)
            .bind(now_ms())
            .execute(write)
            .await?;
            if inserted.rows_affected() == 1 {
                return Ok(Claim::Fresh);
            }
            let (fingerprint, status, body): (String, Option<i64>, Option<String>) = sqlx::query_as(
                "SELECT fingerprint, status, body FROM api_idempotency WHERE token_id = $1 AND key = $2",
            )
            .bind(token_id)
            .bind(key)
            .fetch_one(write)
            .await?;
            Ok(match (status, body) {
                (Some(status), Some(body)) => Claim::Answered {
                    fingerprint,
                    status: status as u16,
                    body,
                },
                _ => Claim::InProgress,
            })
        })
    }

    /// Keeps the answer to a claimed key; an answer that is an error on our side frees the key
    /// instead, so the request can be tried again.
    pub async fn finish_idempotency_key(
        &self,
        token_id: i64,
        key: &str,
        answer: Option<(u16, &str)>,
    ) -> Result<(), StoreError> {
        on_db!(self.db, |read, write| {
            match answer {
                Some((status, body)) => {
                    sqlx::query("UPDATE api_idempotency SET status = $3, body = $4 WHERE token_id = $1 AND key = $2")
                        .bind(token_id)
                        .bind(key)
                        .bind(status as i64)
                        .bind(body)
                        .execute(write)
                        .await?
                }
                None => {
                    sqlx::query("DELETE FROM api_idempotency WHERE token_id = $1 AND key = $2")
                        .bind(token_id)
                        .bind(key)
                        .execute(write)
                        .await?
                }
            };
            Ok(())
        })
    }

    /// Forgets the answers kept before `before` (keys are kept for a day).
    pub async fn forget_idempotency_keys(&self, before: i64) -> Result<u64, StoreError> {
        on_db!(self.db, |read, write| {
            Ok(sqlx::query("DELETE FROM api_idempotency WHERE created_at < $1")
                .bind(before)
                .execute(write)
                .await?
                .rows_affected())
        })
    }
}
