//! Roles, scopes and the signed-in member: who may do what.

use serde::{Deserialize, Serialize};

/// What a signed-in member may do. Each server function names the scope it needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Scope {
    /// See operator groups and the inbox.
    OperatorRead,
    /// Go live and handle conversations.
    OperatorWrite,
    /// See every conversation in the workspace and the live view (supervisors and up).
    ConversationsReadAll,
    /// See the team.
    MembersRead,
    /// Add, change and deactivate team members; create and staff operator groups.
    MembersWrite,
    /// Create and edit workflows.
    WorkflowsWrite,
    /// Create and edit channels.
    ChannelsWrite,
    /// Change workspace settings and feature flags.
    SettingsWrite,
    /// Read the audit log.
    AuditRead,
    /// Review operators' practice runs and grant or revoke qualifications.
    QualificationsWrite,
}

impl Scope {
    pub const ALL: [Scope; 10] = [
        Scope::OperatorRead,
        Scope::OperatorWrite,
        Scope::ConversationsReadAll,
        Scope::MembersRead,
        Scope::MembersWrite,
        Scope::WorkflowsWrite,
        Scope::ChannelsWrite,
        Scope::SettingsWrite,
        Scope::AuditRead,
        Scope::QualificationsWrite,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Scope::OperatorRead => "operator:read",
            Scope::OperatorWrite => "operator:write",
            Scope::ConversationsReadAll => "conversations:read_all",
            Scope::MembersRead => "members:read",
            Scope::MembersWrite => "members:write",
            Scope::WorkflowsWrite => "workflows:write",
            Scope::ChannelsWrite => "channels:write",
            Scope::SettingsWrite => "settings:write",
            Scope::AuditRead => "audit:read",
            Scope::QualificationsWrite => "qualifications:write",
        }
    }
}

/// The role ladder, highest first: Owner > Admin > Supervisor > Account Manager > Agent >
/// Support Agent.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::Type))]
#[cfg_attr(feature = "ssr", sqlx(rename_all = "snake_case", type_name = "text"))]
pub enum Role {
    Owner,
    Admin,
    Supervisor,
    AccountManager,
    Agent,
    SupportAgent,
}

impl Role {
    pub const ALL: [Role; 6] = [
        Role::Owner,
        Role::Admin,
        Role::Supervisor,
        Role::AccountManager,
        Role::Agent,
        Role::SupportAgent,
    ];

    /// The name stored in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Owner => "owner",
            Role::Admin => "admin",
            Role::Supervisor => "supervisor",
            Role::AccountManager => "account_manager",
            Role::Agent => "agent",
            Role::SupportAgent => "support_agent",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            Role::Owner => "Owner",
            Role::Admin => "Admin",
            Role::Supervisor => "Supervisor",
            Role::AccountManager => "Account Manager",
            Role::Agent => "Agent",
            Role::SupportAgent => "Support Agent",
        }
    }

    /// The permissions table: which scopes each role carries.
    pub fn scopes(self) -> &'static [Scope] {
        use Scope::*;
        match self {
            Role::Owner | Role::Admin => &Scope::ALL,
            Role::Supervisor => &[
                OperatorRead,
                OperatorWrite,
                ConversationsReadAll,
                MembersRead,
                AuditRead,
                QualificationsWrite,
            ],
            // Account managers watch their accounts' conversations and the live view; they do not
            // go live or handle conversations themselves.
            Role::AccountManager => &[OperatorRead, ConversationsReadAll, MembersRead],
            Role::Agent | Role::SupportAgent => &[OperatorRead, OperatorWrite],
        }
    }

    pub fn has(self, scope: Scope) -> bool {
        self.scopes().contains(&scope)
    }

    /// `has`, in a workspace whose plan may let account managers handle chats.
    pub fn allows(self, scope: Scope, managers_handle_chats: bool) -> bool {
        self.has(scope) || (managers_handle_chats && self == Role::AccountManager && scope == Scope::OperatorWrite)
    }
}

/// The signed-in member, as every page and server function sees them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
pub struct Me {
    pub member_id: i64,
    pub workspace_id: i64,
    pub workspace_name: String,
    pub name: String,
    pub email: String,
    pub role: Role,
    /// Set when the member acts through an API token: the scopes it was given, which narrow
    /// the role's (a token never does more than its member may).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ssr", sqlx(skip))]
    pub token_scopes: Option<Vec<Scope>>,
    /// The workspace's plan lets account managers handle chats.
    #[serde(default)]
    pub managers_handle_chats: bool,
    /// May change every workspace's plan (granted with `switchboard instance-admin`).
    #[serde(default)]
    pub instance_admin: bool,
    /// How the member wants to be alerted, kept on the server.
    #[serde(default)]
    #[cfg_attr(feature = "ssr", sqlx(flatten))]
    pub alerts: AlertPreferences,
}

impl Me {
    pub fn can(&self, scope: Scope) -> bool {
        self.role.allows(scope, self.managers_handle_chats)
            && self.token_scopes.as_ref().is_none_or(|given| given.contains(&scope))
    }

    /// May change plans: an instance administrator signed in (never through an API token).
    pub fn runs_the_instance(&self) -> bool {
        self.instance_admin && self.token_scopes.is_none()
    }
}

/// How a member wants to hear of new work: a sound and a desktop notification in the console,
/// and an e-mail digest of what waited for them while they were away.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
pub struct AlertPreferences {
    #[cfg_attr(feature = "ssr", sqlx(rename = "alert_sound"))]
    pub sound: bool,
    #[cfg_attr(feature = "ssr", sqlx(rename = "alert_desktop"))]
    pub desktop: bool,
    #[cfg_attr(feature = "ssr", sqlx(rename = "alert_digest"))]
    pub email_digest: bool,
}

impl Default for AlertPreferences {
    fn default() -> Self {
        AlertPreferences {
            sound: true,
            desktop: true,
            email_digest: false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_narrows_what_its_member_may_do_and_never_widens_it() {
        let mut me = Me {
            member_id: 1,
            workspace_id: 1,
            workspace_name: "Acme".into(),
            name: "Ada".into(),
            email: "ada@example.com".into(),
            role: Role::Agent,
            token_scopes: None,
            managers_handle_chats: false,
            instance_admin: false,
            alerts: AlertPreferences::default(),
        };
        assert!(me.can(Scope::OperatorWrite));
        me.token_scopes = Some(vec![Scope::OperatorRead, Scope::SettingsWrite]);
        assert!(me.can(Scope::OperatorRead));
        assert!(!me.can(Scope::OperatorWrite), "not given to the token");
        assert!(!me.can(Scope::SettingsWrite), "given to the token, but not the agent's");
    }

    #[test]
    fn every_role_round_trips_through_its_stored_name() {
        for role in Role::ALL {
            assert_eq!(Role::parse(role.as_str()), Some(role));
        }
        assert_eq!(Role::parse("root"), None);
    }

    #[test]
    fn agents_handle_conversations_but_cannot_change_settings_or_the_team() {
        for role in [Role::Agent, Role::SupportAgent] {
            assert!(role.has(Scope::OperatorWrite));
            assert!(!role.has(Scope::SettingsWrite));
            assert!(!role.has(Scope::MembersWrite));
            assert!(!role.has(Scope::ConversationsReadAll));
        }
    }

    #[test]
    fn higher_roles_never_have_fewer_scopes_than_lower_ones_except_that_account_managers_do_not_handle_chats() {
        for pair in Role::ALL.windows(2) {
            let (higher, lower) = (pair[0], pair[1]);
            for scope in lower.scopes() {
                if higher == Role::AccountManager && *scope == Scope::OperatorWrite {
                    continue;
                }
                assert!(higher.has(*scope), "{higher:?} lacks {scope:?} that {lower:?} has");
            }
        }
        assert!(!Role::AccountManager.has(Scope::OperatorWrite));
        assert!(Role::Supervisor.has(Scope::OperatorWrite));
    }

    #[test]
    fn account_managers_handle_chats_only_where_the_plan_allows_it() {
        assert!(!Role::AccountManager.allows(Scope::OperatorWrite, false));
        assert!(Role::AccountManager.allows(Scope::OperatorWrite, true));
        // The plan widens nothing else, for anyone.
        assert!(!Role::AccountManager.allows(Scope::SettingsWrite, true));
        assert!(!Role::SupportAgent.allows(Scope::ConversationsReadAll, true));
        for role in Role::ALL {
            for scope in Scope::ALL {
                if role.has(scope) {
                    assert!(role.allows(scope, false) && role.allows(scope, true));
                }
            }
        }
    }
}
