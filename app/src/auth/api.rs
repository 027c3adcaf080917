//! The server functions of this feature.

#[cfg(feature = "ssr")]
use std::sync::Arc;

use leptos::prelude::*;

use super::*;
use crate::{AlertPreferences, AppError, Me};

#[cfg(feature = "ssr")]
#[async_trait::async_trait]
pub trait SessionApi: Send + Sync + 'static {
    /// Checks the password (throttled per email and per client address) and opens a
    /// session; returns the member and the session token for the cookie.
    async fn sign_in(&self, email: &str, password: &str, client: &str) -> Result<(Me, String), AppError>;
    /// Revokes the session server-side.
    async fn sign_out(&self, token: &str) -> Result<(), AppError>;
    /// Ends every session of the member, on every device, and closes their sockets.
    async fn sign_out_everywhere(&self, me: &Me) -> Result<(), AppError>;
    /// Opens a session for a member whose password was just set (no second password check).
    async fn open(&self, member_id: i64, workspace_id: i64) -> Result<(Me, String), AppError>;
    /// The member a session token belongs to, if it is live.
    async fn member(&self, token: &str) -> Result<Me, AppError>;
    /// Seconds a new session lives.
    fn ttl_secs(&self) -> i64;
    /// Whether cookies must carry `Secure` (Switchboard is served over https).
    fn secure_cookies(&self) -> bool;
}

#[cfg(feature = "ssr")]
#[async_trait::async_trait]
pub trait InvitationApi: Send + Sync + 'static {
    /// Public: the invitation a link's token names.
    async fn invitation(&self, token: &str) -> Result<InvitationView, AppError>;
    /// Public: sets the invited member's password; the member and workspace it is for.
    async fn accept(&self, token: &str, password: &str) -> Result<(i64, i64), AppError>;
}

#[cfg(feature = "ssr")]
#[async_trait::async_trait]
pub trait PasswordApi: Send + Sync + 'static {
    /// Public: e-mails a reset link if an account uses the address (the answer never says).
    async fn request_reset(&self, email: &str, client: Option<std::net::IpAddr>) -> Result<ResetRequested, AppError>;
    /// Public: whom a working reset link is for.
    async fn reset_view(&self, token: &str) -> Result<PasswordResetView, AppError>;
    /// Public: sets the new password with a working link (every session of the member ends);
    /// the member and workspace it is for.
    async fn reset(&self, token: &str, password: &str) -> Result<(i64, i64), AppError>;
    /// Changes the member's password (the current one checked); their other sessions end.
    async fn change(&self, me: &Me, session: &str, current: &str, password: &str, client: &str)
        -> Result<(), AppError>;
}

/// A member's own preferences.
#[cfg(feature = "ssr")]
#[async_trait::async_trait]
pub trait PreferencesApi: Send + Sync + 'static {
    /// Keeps how the member wants to be alerted; the e-mail digest counts from now.
    async fn set_alerts(&self, me: &Me, alerts: AlertPreferences) -> Result<AlertPreferences, AppError>;
}

/// Where to go after signing in: a path on this site, never another site.
pub fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n) if is_local_path(n) => n.to_string(),
        _ => "/inbox".to_string(),
    }
}

/// A path on this site: it starts with one `/` and holds only visible ASCII without `\`.
/// Browsers drop tabs and line breaks from a URL and read `\` as `/`, so `/\t/evil.example`
/// or `/\\evil.example` would otherwise lead to another site.
fn is_local_path(n: &str) -> bool {
    let mut chars = n.chars();
    chars.next() == Some('/')
        && !matches!(chars.next(), Some('/'))
        && n.chars().all(|c| c.is_ascii_graphic() && c != '\\')
}

#[server(endpoint = "auth/sign_in")]
pub async fn sign_in(email: String, password: String, next: Option<String>) -> Result<(), AppError> {
    use crate::service::*;
    public(|sessions: Arc<dyn SessionApi>| async move {
        let email = email.trim().to_lowercase();
        if email.is_empty() {
            return Err(AppError::invalid("Email", "is required"));
        }
        if password.is_empty() {
            return Err(AppError::invalid("Password", "is required"));
        }
        let (_, token) = sessions.sign_in(&email, &password, &client_addr()).await?;
        start_session(&*sessions, &token, &safe_next(next.as_deref()));
        Ok(())
    })
    .await
}

#[server(endpoint = "auth/sign_out")]
pub async fn sign_out() -> Result<(), AppError> {
    use crate::service::*;
    public(|sessions: Arc<dyn SessionApi>| async move {
        if let Some(token) = session_token() {
            sessions.sign_out(&token).await?;
        }
        set_cookie(session_cookie("", 0, sessions.secure_cookies()));
        leptos_axum::redirect("/sign-in?reason=signed_out");
        Ok(())
    })
    .await
}

/// Signs the member out on every device (a lost laptop, a shared computer left signed in).
#[server(endpoint = "auth/sign_out_everywhere")]
pub async fn sign_out_everywhere() -> Result<(), AppError> {
    use crate::service::*;
    serve(None, "sign out", |sessions: Arc<dyn SessionApi>, me| async move {
        sessions.sign_out_everywhere(&me).await?;
        set_cookie(session_cookie("", 0, sessions.secure_cookies()));
        leptos_axum::redirect("/sign-in?reason=signed_out");
        Ok(())
    })
    .await
}

#[server(endpoint = "auth/me")]
pub async fn current_member() -> Result<Me, AppError> {
    use crate::service::*;
    finish(signed_in(None, "see this page").await)
}

/// Public: what an invitation link is for.
#[server(endpoint = "invite/get")]
pub async fn get_invitation(token: String) -> Result<InvitationView, AppError> {
    use crate::service::*;
    public(|team: Arc<dyn InvitationApi>| async move { team.invitation(&token).await }).await
}

/// Public: the invited person chooses a password and is signed in.
#[server(endpoint = "invite/accept")]
pub async fn accept_invitation(token: String, password: String, confirm: String) -> Result<(), AppError> {
    use crate::service::*;
    public(|team: Arc<dyn InvitationApi>| async move {
        same_twice("Password", &password, &confirm)?;
        let (member_id, workspace_id) = team.accept(&token, &password).await?;
        open_session(member_id, workspace_id).await
    })
    .await
}

/// Signs in the member whose password was just set (by an invitation or a reset link).
#[cfg(feature = "ssr")]
async fn open_session(member_id: i64, workspace_id: i64) -> Result<(), AppError> {
    let sessions = crate::service::service::<dyn SessionApi>()?;
    let (_, token) = sessions.open(member_id, workspace_id).await?;
    crate::service::start_session(&*sessions, &token, "/inbox");
    Ok(())
}

/// Public: "I forgot my password" — a reset link goes to the address if an account uses it.
#[server(endpoint = "auth/request_reset")]
pub async fn request_password_reset(email: String) -> Result<ResetRequested, AppError> {
    use crate::service::*;
    public(|accounts: Arc<dyn PasswordApi>| async move { accounts.request_reset(&email, client_ip()).await }).await
}

/// Public: whom a reset link is for, while it works.
#[server(endpoint = "auth/password_reset")]
pub async fn get_password_reset(token: String) -> Result<PasswordResetView, AppError> {
    use crate::service::*;
    public(|accounts: Arc<dyn PasswordApi>| async move { accounts.reset_view(&token).await }).await
}

/// Public: a new password with a reset link; every other session ends and this one begins.
#[server(endpoint = "auth/reset_password")]
pub async fn reset_password(token: String, password: String, confirm: String) -> Result<(), AppError> {
    use crate::service::*;
    public(|accounts: Arc<dyn PasswordApi>| async move {
        same_twice("Password", &password, &confirm)?;
        let (member_id, workspace_id) = accounts.reset(&token, &password).await?;
        open_session(member_id, workspace_id).await
    })
    .await
}

/// The signed-in member changes their password; their other sessions end, this one stays.
#[server(endpoint = "auth/change_password")]
pub async fn change_password(current: String, password: String, confirm: String) -> Result<(), AppError> {
    use crate::service::*;
    serve(
        None,
        "change your password",
        |accounts: Arc<dyn PasswordApi>, me| async move {
            same_twice("New password", &password, &confirm)?;
            let session = session_token().ok_or(AppError::Unauthenticated)?;
            accounts
                .change(&me, &session, &current, &password, &client_addr())
                .await
        },
    )
    .await
}

/// The signed-in member's alert preferences, kept on the server for every browser they use.
#[server(endpoint = "auth/alerts")]
pub async fn save_alert_preferences(
    sound: Option<String>,
    desktop: Option<String>,
    email_digest: Option<String>,
) -> Result<AlertPreferences, AppError> {
    use crate::service::*;
    serve(
        None,
        "change your alerts",
        |accounts: Arc<dyn PreferencesApi>, me| async move {
            let alerts = AlertPreferences {
                sound: sound.is_some(),
                desktop: desktop.is_some(),
                email_digest: email_digest.is_some(),
            };
            accounts.set_alerts(&me, alerts).await
        },
    )
    .await
}

/// `save_alert_preferences` from the preferences themselves.
pub async fn save_alerts(alerts: AlertPreferences) -> Result<AlertPreferences, AppError> {
    let on = |b: bool| b.then(|| "on".to_string());
    save_alert_preferences(on(alerts.sound), on(alerts.desktop), on(alerts.email_digest)).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sign_in_only_ever_redirects_within_the_site() {
        assert_eq!(safe_next(Some("/settings")), "/settings");
        assert_eq!(safe_next(Some("//evil.example")), "/inbox");
        assert_eq!(safe_next(Some("https://evil.example")), "/inbox");
        assert_eq!(safe_next(Some("/\\evil.example")), "/inbox");
        assert_eq!(safe_next(None), "/inbox");
        // Browsers drop tabs and line breaks: these would become //evil.example.
        assert_eq!(safe_next(Some("/\t/evil.example")), "/inbox");
        assert_eq!(safe_next(Some("/\n/evil.example")), "/inbox");
        assert_eq!(safe_next(Some("/ /evil.example")), "/inbox");
        assert_eq!(safe_next(Some("/inbox?view=mine&q=a%20b")), "/inbox?view=mine&q=a%20b");
        assert_eq!(safe_next(Some("/")), "/");
    }
}
