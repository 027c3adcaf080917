//! A member's own password: changing it while signed in, and resetting a forgotten one with a
//! link that works once, for an hour — e-mailed on request when Switchboard can send e-mail,
//! or made on the server with `switchboard reset-password --email …` (a locked-out owner).
//! Either way every other session of the member ends and their sockets close.

use std::sync::Arc;

use app::auth::{PasswordResetView, ResetRequested};
use app::{AppError, Me};

use crate::auth::{check_new_password, hash_password, new_token, token_hash, Sessions};
use crate::limits::Limits;
use crate::mail::Mailer;
use crate::routing::Router;
use crate::store::workspaces::AuditEntry;
use crate::store::{now_ms, PasswordReset, Store};

/// How long a reset link works.
pub const RESET_MINUTES: i64 = 60;

/// Makes a reset link for the active member with this email, replacing any earlier one; `None`
/// when no active member has it.
pub async fn reset_link(store: &Store, public_url: &str, email: &str) -> Result<Option<ResetLink>, AppError> {
    let email = email.trim().to_lowercase();
    let Some(member) = store.member_by_email(&email).await? else {
        return Ok(None);
    };
    if !member.active {
        return Ok(None);
    }
    let token = new_token();
    let expires_at = now_ms() + RESET_MINUTES * 60_000;
    store
        .set_password_reset(member.id, &token_hash(&token), expires_at)
        .await?;
    Ok(Some(ResetLink {
        name: member.name,
        email: member.email,
        url: format!("{public_url}/reset-password/{token}"),
    }))
}

/// A reset link and whom it is for.
pub struct ResetLink {
    pub name: String,
    pub email: String,
    pub url: String,
}

pub fn reset_email(name: &str, link: &str) -> String {
    format!(
        "Hello {name},\n\nSomeone (we hope you) asked to reset your Switchboard password. \
         Choose a new one here:\n\n{link}\n\nThe link works once, for {RESET_MINUTES} minutes. \
         Every device signed in to your account will be signed out.\n\n\
         If you did not ask, ignore this e-mail: your password stays as it is.\n"
    )
}

pub struct Accounts {
    store: Store,
    sessions: Arc<Sessions>,
    router: Arc<Router>,
    limits: Arc<Limits>,
    mailer: Option<Mailer>,
    public_url: String,
}

impl Accounts {
    pub fn new(
        store: Store,
        sessions: Arc<Sessions>,
        router: Arc<Router>,
        limits: Arc<Limits>,
        mailer: Option<Mailer>,
        public_url: String,
    ) -> Self {
        Accounts {
            store,
            sessions,
            router,
            limits,
            mailer,
            public_url,
        }
    }

    async fn audit(&self, workspace_id: i64, member_id: i64, action: &str, who: &str) {
        let target = format!("member {who}");
        self.store
            .audit(AuditEntry {
                workspace_id,
                actor_id: Some(member_id),
                action,
                target: &target,
                before: None,
                after: None,
            })
            .await;
    }
}

#[async_trait::async_trait]
impl app::auth::PasswordApi for Accounts {
    /// Sends a reset link if an active account uses `email`. The answer is the same whether or
    /// not one does (it only says whether Switchboard can send e-mail at all), so it tells
    /// nobody which addresses have accounts.
    async fn request_reset(&self, email: &str, client: Option<std::net::IpAddr>) -> Result<ResetRequested, AppError> {
        let email = email.trim().to_lowercase();
        if email.is_empty() || email.len() > 254 {
            return Err(AppError::invalid("Email", "give the email you sign in with"));
        }
        self.limits.reset_request(&email, client)?;
        let Some(mailer) = &self.mailer else {
            return Ok(ResetRequested { emailed: false });
        };
        if let Some(link) = reset_link(&self.store, &self.public_url, &email).await? {
            let body = reset_email(&link.name, &link.url);
            if let Err(e) = mailer
                .send(&link.name, &link.email, "Reset your Switchboard password", &body)
                .await
            {
                tracing::warn!(error = %e, "the password reset e-mail was not sent");
            }
        }
        Ok(ResetRequested { emailed: true })
    }

    /// Whom a reset link is for, while it works.
    async fn reset_view(&self, token: &str) -> Result<PasswordResetView, AppError> {
        self.store
            .password_reset(&token_hash(token))
            .await?
            .ok_or_else(not_usable)
    }

    /// Sets the new password with a working link (which then stops working) and ends every
    /// session of the member; gives the member and their workspace, to open their new session.
    async fn reset(&self, token: &str, password: &str) -> Result<(i64, i64), AppError> {
        check_new_password(password)?;
        let hash = hash_password(password)?;
        let PasswordReset {
            member_id,
            workspace_id,
            email,
        } = self
            .store
            .reset_password(&token_hash(token), &hash)
            .await?
            .ok_or_else(not_usable)?;
        self.router.access_changed(member_id);
        self.audit(workspace_id, member_id, "member.password_reset", &email)
            .await;
        tracing::info!(member_id, "password reset with a link");
        Ok((member_id, workspace_id))
    }

    /// Changes the signed-in member's password after checking the current one (throttled like
    /// a sign-in); every other session ends, the one in use (`session`) stays.
    async fn change(
        &self,
        me: &Me,
        session: &str,
        current: &str,
        password: &str,
        client: &str,
    ) -> Result<(), AppError> {
        match self.sessions.verify(&me.email, current, client).await {
            Ok(_) => {}
            Err(AppError::InvalidCredentials) => {
                return Err(AppError::invalid("Current password", "is not your password"))
            }
            Err(e) => return Err(e),
        }
        check_new_password(password)?;
        if password == current {
            return Err(AppError::invalid("New password", "is the same as the current one"));
        }
        let hash = hash_password(password)?;
        let ended = self
            .store
            .change_password(me.member_id, &hash, &token_hash(session))
            .await?;
        self.router.access_changed(me.member_id);
        self.audit(me.workspace_id, me.member_id, "member.password_changed", &me.email)
            .await;
        tracing::info!(
            member_id = me.member_id,
            other_sessions_ended = ended,
            "password changed"
        );
        Ok(())
    }
}

fn not_usable() -> AppError {
    AppError::not_found(
        "This reset link (it works once, for an hour; it may have been used or replaced by a newer one)",
    )
}

#[async_trait::async_trait]
impl app::auth::PreferencesApi for Accounts {
    async fn set_alerts(&self, me: &Me, alerts: app::AlertPreferences) -> Result<app::AlertPreferences, AppError> {
        self.store.set_alerts(me.member_id, alerts).await?;
        Ok(alerts)
    }
}
