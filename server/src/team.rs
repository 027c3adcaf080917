//! The team: inviting members, changing roles, deactivating and reactivating, chat limits.
//! The rules are pure functions; every change is recorded in the audit log.

use std::sync::Arc;

use app::audit::AuditView;
use app::auth::InvitationView;
use app::people::{Invitation, MemberSummary};
use app::{AppError, Me, Role, Scope};

use crate::auth::{check_new_password, hash_password, new_token, token_hash};
use crate::routing::Router;
use crate::store::workspaces::AuditEntry;
use crate::store::{InvitationRecord, Store};

/// How long an invitation link stays valid.
pub const INVITATION_DAYS: i64 = 7;

/// Whether `actor` may give `target` (who has `from` now) the role `to`. Only an owner grants
/// or takes away ownership; nobody changes their own role; the last owner stays an owner.
pub fn check_role_change(actor: &Me, target_id: i64, from: Role, to: Role, owners: i64) -> Result<(), AppError> {
    if !actor.can(Scope::MembersWrite) {
        return Err(AppError::forbidden("change roles"));
    }
    if actor.member_id == target_id {
        return Err(AppError::Conflict(
            "You cannot change your own role; ask another admin.".into(),
        ));
    }
    if (from == Role::Owner || to == Role::Owner) && actor.role != Role::Owner {
        return Err(AppError::forbidden(
            "grant or take away the Owner role (only owners can)",
        ));
    }
    if from == Role::Owner && to != Role::Owner && owners <= 1 {
        return Err(AppError::Conflict("A workspace needs at least one owner.".into()));
    }
    Ok(())
}

/// Whether `actor` may deactivate `target`.
pub fn check_deactivation(actor: &Me, target_id: i64, target_role: Role, owners: i64) -> Result<(), AppError> {
    if !actor.can(Scope::MembersWrite) {
        return Err(AppError::forbidden("deactivate team members"));
    }
    if actor.member_id == target_id {
        return Err(AppError::Conflict("You cannot deactivate yourself.".into()));
    }
    if target_role == Role::Owner && actor.role != Role::Owner {
        return Err(AppError::forbidden("deactivate an owner (only owners can)"));
    }
    if target_role == Role::Owner && owners <= 1 {
        return Err(AppError::Conflict(
            "A workspace needs at least one active owner.".into(),
        ));
    }
    Ok(())
}

fn valid_email(email: &str) -> bool {
    let Some((local, domain)) = email.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !email.contains(char::is_whitespace)
        && email.len() <= 254
}

pub struct Team {
    store: Store,
    router: Arc<Router>,
    mailer: Option<crate::mail::Mailer>,
    public_url: String,
}

/// The invitation e-mail's text.
pub fn invitation_email(name: &str, inviter: &str, workspace: &str, link: &str, expires_at: i64) -> String {
    format!(
        "Hello {name},\n\n{inviter} invited you to join {workspace} on Switchboard.\n\n\
         Choose your password and sign in here:\n{link}\n\n\
         The link works once, until {}.\n",
        app::time::format_utc(expires_at)
    )
}

impl Team {
    pub fn new(store: Store, router: Arc<Router>, mailer: Option<crate::mail::Mailer>, public_url: String) -> Self {
        Team {
            store,
            router,
            mailer,
            public_url,
        }
    }

    async fn member(&self, me: &Me, id: i64) -> Result<MemberSummary, AppError> {
        self.store
            .member(me.workspace_id, id)
            .await?
            .ok_or_else(|| AppError::not_found("That team member"))
    }

    async fn audit(
        &self,
        me: &Me,
        action: &str,
        target: &MemberSummary,
        before: serde_json::Value,
        after: serde_json::Value,
    ) {
        let entry = AuditEntry {
            workspace_id: me.workspace_id,
            actor_id: Some(me.member_id),
            action,
            target: &format!("member {} <{}>", target.name, target.email),
            before: (!before.is_null()).then_some(before),
            after: Some(after),
        };
        self.store.audit(entry).await;
    }

    async fn valid_invitation(&self, token: &str) -> Result<InvitationRecord, AppError> {
        let found = self.store.invitation(&token_hash(token)).await?;
        let invitation = found.ok_or_else(|| AppError::not_found("This invitation (it may have been used already)"))?;
        if invitation.expires_at <= crate::store::now_ms() {
            return Err(AppError::Conflict(
                "This invitation has expired. Ask an admin of your workspace for a new one.".into(),
            ));
        }
        Ok(invitation)
    }
}

#[async_trait::async_trait]
impl app::auth::InvitationApi for Team {
    /// What the invitation page shows, if the link is valid.
    async fn invitation(&self, token: &str) -> Result<InvitationView, AppError> {
        let InvitationRecord {
            name, email, workspace, ..
        } = self.valid_invitation(token).await?;
        Ok(InvitationView { name, email, workspace })
    }

    /// Sets the password; gives the member and their workspace, for their first session.
    async fn accept(&self, token: &str, password: &str) -> Result<(i64, i64), AppError> {
        let InvitationRecord {
            member_id,
            workspace_id,
            ..
        } = self.valid_invitation(token).await?;
        check_new_password(password)?;
        let hash = hash_password(password)?;
        // The invitation must still stand when the password is set: of two acceptances at once
        // (two tabs, a forwarded link) only one chooses the password.
        if !self.store.accept_invitation(&token_hash(token), &hash).await? {
            return Err(AppError::not_found("This invitation (it may have been used already)"));
        }
        Ok((member_id, workspace_id))
    }
}

#[async_trait::async_trait]
impl app::audit::AuditApi for Team {
    /// The newest 500 entries, or those of one action.
    async fn audit_log(&self, me: &Me, action: Option<String>) -> Result<Vec<AuditView>, AppError> {
        Ok(self.store.audit_log(me.workspace_id, action.as_deref(), 500).await?)
    }
}

#[async_trait::async_trait]
impl app::people::TeamApi for Team {
    async fn members(&self, me: &Me) -> Result<Vec<MemberSummary>, AppError> {
        Ok(self.store.list_members(me.workspace_id).await?)
    }

    /// Adds a member who sets their own password through an invitation link.
    async fn invite(&self, me: &Me, name: &str, email: &str, role: Role) -> Result<Invitation, AppError> {
        if !me.can(Scope::MembersWrite) {
            return Err(AppError::forbidden("add team members"));
        }
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 100 {
            return Err(AppError::invalid("Name", "must be 1 to 100 characters"));
        }
        let email = email.trim().to_lowercase();
        if !valid_email(&email) {
            return Err(AppError::invalid(
                "Email",
                format!("\u{201c}{email}\u{201d} is not an email address"),
            ));
        }
        if role == Role::Owner && me.role != Role::Owner {
            return Err(AppError::forbidden("invite an owner (only owners can)"));
        }
        let token = new_token();
        let expires_at = crate::store::now_ms() + INVITATION_DAYS * 86_400_000;
        let id = self
            .store
            .invite_member(me.workspace_id, &email, name, role, &token_hash(&token), expires_at)
            .await?;
        let member = self.member(me, id).await?;
        self.audit(
            me,
            "member.invited",
            &member,
            serde_json::Value::Null,
            serde_json::json!({ "role": role.as_str() }),
        )
        .await;
        let path = format!("/invite/{token}");
        let (emailed, email_problem) = match &self.mailer {
            None => (false, None),
            Some(mailer) => {
                let link = format!("{}{path}", self.public_url);
                let body = invitation_email(name, &me.name, &me.workspace_name, &link, expires_at);
                let subject = format!("Join {} on Switchboard", me.workspace_name);
                match mailer.send(name, &email, &subject, &body).await {
                    Ok(()) => (true, None),
                    Err(e) => {
                        tracing::warn!(error = %e, member_id = id, "the invitation e-mail was not sent");
                        (false, Some(e.to_string()))
                    }
                }
            }
        };
        Ok(Invitation {
            member_id: id,
            path,
            expires_at,
            emailed,
            email_problem,
        })
    }

    async fn change_role(&self, me: &Me, id: i64, role: Role) -> Result<MemberSummary, AppError> {
        let target = self.member(me, id).await?;
        let owners = self.store.count_owners(me.workspace_id).await?;
        check_role_change(me, id, target.role, role, owners)?;
        self.store.set_role(me.workspace_id, id, role).await?;
        self.audit(
            me,
            "member.role_changed",
            &target,
            serde_json::json!({ "role": target.role.as_str() }),
            serde_json::json!({ "role": role.as_str() }),
        )
        .await;
        self.router.access_changed(id);
        if !role.allows(Scope::OperatorWrite, me.managers_handle_chats) {
            self.router
                .member_stops_handling(
                    id,
                    &format!(
                        "{} is now {} and no longer handles conversations; the conversation goes to the next available operator.",
                        target.name,
                        role.label()
                    ),
                )
                .await;
        }
        self.member(me, id).await
    }

    /// Deactivating ends the member's sessions, clears their presence and hands their
    /// conversations to others; reactivating lets them sign in again.
    async fn set_active(&self, me: &Me, id: i64, active: bool) -> Result<MemberSummary, AppError> {
        let target = self.member(me, id).await?;
        if !active {
            let owners = self.store.count_owners(me.workspace_id).await?;
            check_deactivation(me, id, target.role, owners)?;
        } else if !me.can(Scope::MembersWrite) {
            return Err(AppError::forbidden("reactivate team members"));
        }
        self.store.set_active(me.workspace_id, id, active).await?;
        if !active {
            self.router.member_deactivated(id, &target.name).await;
        }
        let action = if active {
            "member.reactivated"
        } else {
            "member.deactivated"
        };
        self.audit(
            me,
            action,
            &target,
            serde_json::json!({ "active": target.active }),
            serde_json::json!({ "active": active }),
        )
        .await;
        self.member(me, id).await
    }

    async fn set_chat_limit(&self, me: &Me, id: i64, limit: Option<i64>) -> Result<MemberSummary, AppError> {
        if !me.can(Scope::MembersWrite) {
            return Err(AppError::forbidden("change chat limits"));
        }
        if let Some(l) = limit {
            if !(1..=100).contains(&l) {
                return Err(AppError::invalid(
                    "Chat limit",
                    "must be between 1 and 100, or empty for the workspace default",
                ));
            }
        }
        let target = self.member(me, id).await?;
        self.store.set_member_chat_limit(id, limit).await?;
        self.audit(
            me,
            "member.chat_limit_changed",
            &target,
            serde_json::json!({ "chat_limit": target.chat_limit }),
            serde_json::json!({ "chat_limit": limit }),
        )
        .await;
        self.router.workspace_changed(me.workspace_id).await;
        self.member(me, id).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn me(role: Role) -> Me {
        Me {
            member_id: 1,
            workspace_id: 1,
            workspace_name: "W".into(),
            name: "Me".into(),
            email: "me@x.io".into(),
            role,
            token_scopes: None,
            managers_handle_chats: false,
            instance_admin: false,
            alerts: app::AlertPreferences::default(),
        }
    }

    #[test]
    fn only_owners_touch_ownership_and_the_last_owner_stays() {
        assert!(check_role_change(&me(Role::Admin), 2, Role::Agent, Role::Supervisor, 1).is_ok());
        assert!(matches!(
            check_role_change(&me(Role::Admin), 2, Role::Agent, Role::Owner, 1),
            Err(AppError::Forbidden { .. })
        ));
        assert!(matches!(
            check_role_change(&me(Role::Admin), 2, Role::Owner, Role::Agent, 2),
            Err(AppError::Forbidden { .. })
        ));
        assert!(check_role_change(&me(Role::Owner), 2, Role::Owner, Role::Admin, 2).is_ok());
        assert!(matches!(
            check_role_change(&me(Role::Owner), 2, Role::Owner, Role::Admin, 1),
            Err(AppError::Conflict(_))
        ));
        assert!(matches!(
            check_role_change(&me(Role::Owner), 1, Role::Owner, Role::Admin, 3),
            Err(AppError::Conflict(_))
        ));
        assert!(matches!(
            check_role_change(&me(Role::Supervisor), 2, Role::Agent, Role::Agent, 1),
            Err(AppError::Forbidden { .. })
        ));
    }

    #[test]
    fn nobody_deactivates_themselves_or_the_last_owner() {
        assert!(check_deactivation(&me(Role::Admin), 2, Role::Agent, 1).is_ok());
        assert!(check_deactivation(&me(Role::Admin), 1, Role::Admin, 1).is_err());
        assert!(check_deactivation(&me(Role::Admin), 2, Role::Owner, 2).is_err());
        assert!(check_deactivation(&me(Role::Owner), 2, Role::Owner, 1).is_err());
        assert!(check_deactivation(&me(Role::Owner), 2, Role::Owner, 2).is_ok());
    }

    #[test]
    fn emails_are_checked_for_shape() {
        assert!(valid_email("ann@example.com"));
        assert!(!valid_email("ann"));
        assert!(!valid_email("ann@localhost"));
        assert!(!valid_email("a n@example.com"));
    }
}
