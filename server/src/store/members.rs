//! Team members and their sessions.

use app::model::MemberSummary;
use app::Me;

use super::{now_ms, unique_as, Store, StoreError};

/// A member as sign-in needs them.
#[derive(Debug, Clone)]
pub struct MemberRecord {
    pub id: i64,
    pub workspace_id: i64,
    pub email: String,
    pub name: String,
    pub password_hash: String,
    pub role: app::Role,
    pub active: bool,
}

pub struct NewMember<'a> {
    pub email: &'a str,
    pub name: &'a str,
    pub password_hash: &'a str,
    pub role: app::Role,
}

/// A session as the server checks it.
#[derive(Debug, Clone)]
pub struct SessionRecord {
    pub expires_at: i64,
    pub revoked: bool,
    pub me: Me,
    pub member_active: bool,
}

type MemberRow = (i64, i64, String, String, String, String, bool);

fn role(s: &str) -> app::Role {
    app::Role::parse(s).unwrap_or(app::Role::SupportAgent)
}

impl Store {
    pub async fn create_member(&self, workspace_id: i64, m: NewMember<'_>) -> Result<i64, StoreError> {
        let row: (i64,) = sqlx::query_as(
            "INSERT INTO members (workspace_id, email, name, password_hash, role, created_at)
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        )
        .bind(workspace_id)
        .bind(m.email)
        .bind(m.name)
        .bind(m.password_hash)
        .bind(m.role.as_str())
        .bind(now_ms())
        .fetch_one(&self.write)
        .await
        .map_err(unique_as("A team member with that email"))?;
        Ok(row.0)
    }

    pub async fn member_by_email(&self, email: &str) -> Result<Option<MemberRecord>, StoreError> {
        let row: Option<MemberRow> = sqlx::query_as(
            "SELECT id, workspace_id, email, name, password_hash, role, active FROM members WHERE email = $1",
        )
        .bind(email)
        .fetch_optional(&self.read)
        .await?;
        Ok(row.map(
            |(id, workspace_id, email, name, password_hash, r, active)| MemberRecord {
                id,
                workspace_id,
                email,
                name,
                password_hash,
                role: role(&r),
                active,
            },
        ))
    }

    pub async fn create_session(
        &self,
        token_hash: &str,
        member_id: i64,
        workspace_id: i64,
        ttl_ms: i64,
    ) -> Result<(), StoreError> {
        let now = now_ms();
        sqlx::query(
            "INSERT INTO sessions (token_hash, member_id, workspace_id, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(token_hash)
        .bind(member_id)
        .bind(workspace_id)
        .bind(now)
        .bind(now + ttl_ms)
        .execute(&self.write)
        .await?;
        Ok(())
    }

    pub async fn session(&self, token_hash: &str) -> Result<Option<SessionRecord>, StoreError> {
        let row: Option<(i64, Option<i64>, i64, i64, String, String, String, String, bool)> = sqlx::query_as(
            "SELECT s.expires_at, s.revoked_at, m.id, m.workspace_id, w.name, m.name, m.email, m.role, m.active
             FROM sessions s
             JOIN members m ON m.id = s.member_id AND m.workspace_id = s.workspace_id
             JOIN workspaces w ON w.id = m.workspace_id
             WHERE s.token_hash = $1",
        )
        .bind(token_hash)
        .fetch_optional(&self.read)
        .await?;
        Ok(row.map(
            |(expires_at, revoked_at, member_id, workspace_id, workspace_name, name, email, r, active)| SessionRecord {
                expires_at,
                revoked: revoked_at.is_some(),
                member_active: active,
                me: Me {
                    member_id,
                    workspace_id,
                    workspace_name,
                    name,
                    email,
                    role: role(&r),
                },
            },
        ))
    }

    pub async fn revoke_session(&self, token_hash: &str) -> Result<(), StoreError> {
        sqlx::query("UPDATE sessions SET revoked_at = $1 WHERE token_hash = $2 AND revoked_at IS NULL")
            .bind(now_ms())
            .bind(token_hash)
            .execute(&self.write)
            .await?;
        Ok(())
    }

    pub async fn list_members(&self, workspace_id: i64) -> Result<Vec<MemberSummary>, StoreError> {
        let rows: Vec<(i64, String, String, String, bool, i64)> = sqlx::query_as(
            "SELECT id, name, email, role, active, created_at FROM members WHERE workspace_id = $1 ORDER BY name",
        )
        .bind(workspace_id)
        .fetch_all(&self.read)
        .await?;
        Ok(rows
            .into_iter()
            .map(|(id, name, email, r, active, created_at)| MemberSummary {
                id,
                name,
                email,
                role: role(&r),
                active,
                created_at,
            })
            .collect())
    }
}
