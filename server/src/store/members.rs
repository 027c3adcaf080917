//! Team members and their sessions.

use app::people::MemberSummary;
use app::Me;

use super::unique::{self, unique_as};
use super::{now_ms, Returning, Store, StoreError};

dual! {}

/// A member as sign-in needs them.
#[derive(Debug, Clone, sqlx::FromRow)]
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

/// An invitation as its link finds it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct InvitationRecord {
    pub member_id: i64,
    pub workspace_id: i64,
    pub name: String,
    pub email: String,
    /// The workspace's name.
    pub workspace: String,
    pub expires_at: i64,
}

/// Whose password a reset link set.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PasswordReset {
    pub member_id: i64,
    pub workspace_id: i64,
    pub email: String,
}

/// A session as the server checks it.
#[derive(Debug, Clone)]
pub struct SessionRecord {
    pub expires_at: i64,
    /// When the person last did something in it (or opened it).
    pub last_active_at: i64,
    pub revoked: bool,
    pub me: Me,
    pub member_active: bool,
}

/// The columns a `Me` is read from, given `members m` joined to `workspaces w`.
pub(crate) const ME_COLUMNS: &str =
    "m.id AS member_id, m.workspace_id, w.name AS workspace_name, m.name, m.email, m.role,
    w.managers_handle_chats, EXISTS (SELECT 1 FROM instance_admins i WHERE i.member_id = m.id) AS instance_admin,
    m.alert_sound, m.alert_desktop, m.alert_digest";

/// A session's row: its times, and the member it belongs to as `Me`.
#[derive(sqlx::FromRow)]
struct SessionRow {
    expires_at: i64,
    last_active_at: i64,
    revoked_at: Option<i64>,
    active: bool,
    #[sqlx(flatten)]
    me: Me,
}

impl Store {
    pub async fn create_member(&self, workspace_id: i64, m: NewMember<'_>) -> Result<i64, StoreError> {
        on_db!(self.db, |read, write| {
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
            .fetch_written(write)
            .await
            .map_err(unique_as(unique::MEMBER_EMAIL))?;
            Ok(row.0)
        })
    }

    pub async fn member_by_email(&self, email: &str) -> Result<Option<MemberRecord>, StoreError> {
        on_db!(self.db, |read, write| {
            Ok(sqlx::query_as(
                "SELECT id, workspace_id, email, name, password_hash, role, active FROM members WHERE email = $1",
            )
            .bind(email)
            .fetch_optional(read)
            .await?)
        })
    }

    pub async fn create_session(
        &self,
        token_hash: &str,
        member_id: i64,
        workspace_id: i64,
        ttl_ms: i64,
    ) -> Result<(), StoreError> {
        on_db!(self.db, |read, write| {
            let now = now_ms();
            sqlx::query(
            "INSERT INTO sessions (token_hash, member_id, workspace_id, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(token_hash)
        .bind(member_id)
        .bind(workspace_id)
        .bind(now)
        .bind(now + ttl_ms)
        .execute(write)
        .await?;
            Ok(())
        })
    }

    pub async fn session(&self, token_hash: &str) -> Result<Option<SessionRecord>, StoreError> {
        on_db!(self.db, |read, write| {
            let row: Option<SessionRow> = sqlx::query_as(
            &format!(
                "SELECT s.expires_at, COALESCE(s.last_active_at, s.created_at) AS last_active_at, s.revoked_at, m.active, {ME_COLUMNS}
                 FROM sessions s
                 JOIN members m ON m.id = s.member_id AND m.workspace_id = s.workspace_id
                 JOIN workspaces w ON w.id = m.workspace_id
                 WHERE s.token_hash = $1"
            ),
        )
        .bind(token_hash)
        .fetch_optional(read)
        .await?;
            Ok(row.map(|r| SessionRecord {
                expires_at: r.expires_at,
                last_active_at: r.last_active_at,
                revoked: r.revoked_at.is_some(),
                member_active: r.active,
                me: r.me,
            }))
        })
    }

    /// Notes that the person did something in the session at `now`, unless that was noted less
    /// than `gap_ms` ago (a page load or a click does not cost a write each).
    pub async fn touch_session(&self, token_hash: &str, now: i64, gap_ms: i64) -> Result<(), StoreError> {
        on_db!(self.db, |read, write| {
            sqlx::query(
                "UPDATE sessions SET last_active_at = $2
             WHERE token_hash = $1 AND revoked_at IS NULL AND COALESCE(last_active_at, created_at) < $2 - $3",
            )
            .bind(token_hash)
            .bind(now)
            .bind(gap_ms)
            .execute(write)
            .await?;
            Ok(())
        })
    }

    /// Ends every session of the member (sign out everywhere); gives how many were open.
    pub async fn revoke_sessions_of(&self, member_id: i64) -> Result<u64, StoreError> {
        on_db!(self.db, |read, write| {
            let done = sqlx::query("UPDATE sessions SET revoked_at = $2 WHERE member_id = $1 AND revoked_at IS NULL")
                .bind(member_id)
                .bind(now_ms())
                .execute(write)
                .await?;
            Ok(done.rows_affected())
        })
    }

    pub async fn revoke_session(&self, token_hash: &str) -> Result<(), StoreError> {
        on_db!(self.db, |read, write| {
            sqlx::query("UPDATE sessions SET revoked_at = $1 WHERE token_hash = $2 AND revoked_at IS NULL")
                .bind(now_ms())
                .bind(token_hash)
                .execute(write)
                .await?;
            Ok(())
        })
    }

    pub async fn list_members(&self, workspace_id: i64) -> Result<Vec<MemberSummary>, StoreError> {
        self.member_rows(workspace_id, None).await
    }

    /// One member of the workspace.
    pub async fn member(&self, workspace_id: i64, member_id: i64) -> Result<Option<MemberSummary>, StoreError> {
        Ok(self
            .member_rows(workspace_id, Some(member_id))
            .await?
            .into_iter()
            .next())
    }

    async fn member_rows(&self, workspace_id: i64, member_id: Option<i64>) -> Result<Vec<MemberSummary>, StoreError> {
        on_db!(self.db, |read, write| {
            Ok(sqlx::query_as(
                "SELECT id, name, email, role, active, created_at, invite_hash IS NOT NULL AS invited, chat_limit
             FROM members WHERE workspace_id = $1 AND ($2 IS NULL OR id = $2) ORDER BY name",
            )
            .bind(workspace_id)
            .bind(member_id)
            .fetch_all(read)
            .await?)
        })
    }

    /// A member invited to set their own password through a link.
    pub async fn invite_member(
        &self,
        workspace_id: i64,
        email: &str,
        name: &str,
        role: app::Role,
        invite_hash: &str,
        expires_at: i64,
    ) -> Result<i64, StoreError> {
        on_db!(self.db, |read, write| {
            let row: (i64,) = sqlx::query_as(
            "INSERT INTO members (workspace_id, email, name, password_hash, role, created_at, invite_hash, invite_expires_at)
             VALUES ($1, $2, $3, '', $4, $5, $6, $7) RETURNING id",
        )
        .bind(workspace_id)
        .bind(email)
        .bind(name)
        .bind(role.as_str())
        .bind(now_ms())
        .bind(invite_hash)
        .bind(expires_at)
        .fetch_written(write)
        .await
        .map_err(unique_as(unique::MEMBER_EMAIL))?;
            Ok(row.0)
        })
    }

    /// The invitation a token's hash names.
    pub async fn invitation(&self, invite_hash: &str) -> Result<Option<InvitationRecord>, StoreError> {
        on_db!(self.db, |read, write| {
            Ok(sqlx::query_as(
                "SELECT m.id AS member_id, m.workspace_id, m.name, m.email, w.name AS workspace,
                    m.invite_expires_at AS expires_at
             FROM members m
             JOIN workspaces w ON w.id = m.workspace_id
             WHERE m.invite_hash = $1 AND m.active = TRUE",
            )
            .bind(invite_hash)
            .fetch_optional(read)
            .await?)
        })
    }

    /// Sets the invited member's password while the invitation still stands (unused, not
    /// expired), in one statement: of two acceptances at once only one sets it. Gives whether
    /// this one did.
    pub async fn accept_invitation(&self, invite_hash: &str, password_hash: &str) -> Result<bool, StoreError> {
        on_db!(self.db, |read, write| {
            let done = sqlx::query(
                "UPDATE members SET password_hash = $2, invite_hash = NULL, invite_expires_at = NULL
             WHERE invite_hash = $1 AND invite_expires_at > $3 AND active = TRUE",
            )
            .bind(invite_hash)
            .bind(password_hash)
            .bind(now_ms())
            .execute(write)
            .await?;
            Ok(done.rows_affected() == 1)
        })
    }

    /// Keeps the hash of a new reset link for the member (replacing an earlier one).
    pub async fn set_password_reset(
        &self,
        member_id: i64,
        reset_hash: &str,
        expires_at: i64,
    ) -> Result<(), StoreError> {
        on_db!(self.db, |read, write| {
            sqlx::query("UPDATE members SET reset_hash = $2, reset_expires_at = $3 WHERE id = $1")
                .bind(member_id)
                .bind(reset_hash)
                .bind(expires_at)
                .execute(write)
                .await?;
            Ok(())
        })
    }

    /// The member a working reset link is for.
    pub async fn password_reset(&self, reset_hash: &str) -> Result<Option<app::auth::PasswordResetView>, StoreError> {
        on_db!(self.db, |read, write| {
            Ok(sqlx::query_as(
                "SELECT name, email FROM members WHERE reset_hash = $1 AND reset_expires_at > $2 AND active = TRUE",
            )
            .bind(reset_hash)
            .bind(now_ms())
            .fetch_optional(read)
            .await?)
        })
    }

    /// Sets the password with a working reset link, which (with any pending invitation) stops
    /// working, and ends every session of the member, in one transaction. Gives the member,
    /// their workspace and email; `None` when the link does not work.
    pub async fn reset_password(
        &self,
        reset_hash: &str,
        password_hash: &str,
    ) -> Result<Option<PasswordReset>, StoreError> {
        on_db!(self.db, |read, write| {
            let mut tx = side::begin_write(write).await?;
            let now = now_ms();
            let found: Option<PasswordReset> = sqlx::query_as(
                "UPDATE members SET password_hash = $2, reset_hash = NULL, reset_expires_at = NULL,
                invite_hash = NULL, invite_expires_at = NULL
             WHERE reset_hash = $1 AND reset_expires_at > $3 AND active = TRUE
             RETURNING id AS member_id, workspace_id, email",
            )
            .bind(reset_hash)
            .bind(password_hash)
            .bind(now)
            .fetch_written_optional(&mut *tx)
            .await?;
            if let Some(reset) = &found {
                sqlx::query("UPDATE sessions SET revoked_at = $2 WHERE member_id = $1 AND revoked_at IS NULL")
                    .bind(reset.member_id)
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
            }
            tx.commit().await?;
            Ok(found)
        })
    }

    /// Sets a member's new password and ends their sessions but the one in use (`keep`, a
    /// token hash), in one transaction; gives how many ended.
    pub async fn change_password(&self, member_id: i64, password_hash: &str, keep: &str) -> Result<u64, StoreError> {
        on_db!(self.db, |read, write| {
            let mut tx = side::begin_write(write).await?;
            sqlx::query(
                "UPDATE members SET password_hash = $2, reset_hash = NULL, reset_expires_at = NULL WHERE id = $1",
            )
            .bind(member_id)
            .bind(password_hash)
            .execute(&mut *tx)
            .await?;
            let ended = sqlx::query(
                "UPDATE sessions SET revoked_at = $3 WHERE member_id = $1 AND token_hash != $2 AND revoked_at IS NULL",
            )
            .bind(member_id)
            .bind(keep)
            .bind(now_ms())
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
            Ok(ended.rows_affected())
        })
    }

    pub async fn set_role(&self, workspace_id: i64, member_id: i64, role: app::Role) -> Result<(), StoreError> {
        on_db!(self.db, |read, write| {
            sqlx::query("UPDATE members SET role = $3 WHERE id = $2 AND workspace_id = $1")
                .bind(workspace_id)
                .bind(member_id)
                .bind(role.as_str())
                .execute(write)
                .await?;
            Ok(())
        })
    }

    /// Deactivating ends every session of the member at once.
    pub async fn set_active(&self, workspace_id: i64, member_id: i64, active: bool) -> Result<(), StoreError> {
        on_db!(self.db, |read, write| {
            let mut tx = side::begin_write(write).await?;
            sqlx::query(
            "UPDATE members SET active = $3, deactivated_at = CASE WHEN $3 THEN NULL ELSE $4 END WHERE id = $2 AND workspace_id = $1",
        )
        .bind(workspace_id)
        .bind(member_id)
        .bind(active)
        .bind(now_ms())
        .execute(&mut *tx)
        .await?;
            if !active {
                sqlx::query("UPDATE sessions SET revoked_at = $2 WHERE member_id = $1 AND revoked_at IS NULL")
                    .bind(member_id)
                    .bind(now_ms())
                    .execute(&mut *tx)
                    .await?;
            }
            tx.commit().await?;
            Ok(())
        })
    }

    pub async fn count_owners(&self, workspace_id: i64) -> Result<i64, StoreError> {
        on_db!(self.db, |read, write| {
            let row: (i64,) = sqlx::query_as(
                "SELECT COUNT(*) FROM members WHERE workspace_id = $1 AND role = 'owner' AND active = TRUE",
            )
            .bind(workspace_id)
            .fetch_one(read)
            .await?;
            Ok(row.0)
        })
    }
}
