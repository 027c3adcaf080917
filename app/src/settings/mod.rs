//! Workspace settings, and the plan that gives the workspace its seats and feature flags.

use serde::{Deserialize, Serialize};

mod api;
pub mod page;

pub use api::*;

/// What a workspace's admins set for it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
pub struct WorkspaceSettings {
    pub name: String,
    /// Conversations one operator handles at once unless their own limit says otherwise.
    pub default_chat_limit: i64,
    /// Seconds after an operator's last socket closes before their presence is cleared.
    pub disconnect_timeout_secs: i64,
    /// When an operator's presence ends (disconnected, offline), their conversations go to
    /// other operators; otherwise they keep them.
    pub reroute_on_disconnect: bool,
}

/// What the workspace's plan gives it: seats and feature flags. Only an instance administrator
/// changes a plan; the workspace's own admins see it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Plan {
    /// The plan's name, as the instance's administrators call it ("Team", "Enterprise", …).
    pub name: String,
    /// The `human_agents` seats: how many operators may be live at once.
    pub human_agents: i64,
    /// Feature flag: operators may go live at all.
    pub operator_enabled: bool,
    /// Feature flag: live presence and routing; requires `operator_enabled`.
    pub presence_enabled: bool,
    /// Account managers may go live and handle conversations, as agents do.
    pub managers_handle_chats: bool,
}

impl Plan {
    /// Checks the rules a stored plan must keep; the first broken one is returned.
    pub fn validate(&self) -> Result<(), crate::AppError> {
        use crate::AppError;
        let name = self.name.trim();
        if name.is_empty() || name.chars().count() > 40 {
            return Err(AppError::invalid("Plan name", "must be 1 to 40 characters"));
        }
        if self.presence_enabled && !self.operator_enabled {
            return Err(AppError::invalid(
                "Live presence",
                "requires the Operators feature to be enabled first",
            ));
        }
        if !(0..=10_000).contains(&self.human_agents) {
            return Err(AppError::invalid("Human agent seats", "must be between 0 and 10000"));
        }
        Ok(())
    }
}

/// The Settings page: the workspace's own settings, and its plan to read.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SettingsView {
    pub settings: WorkspaceSettings,
    pub plan: Plan,
    /// Human-agent seats held now (by live operators).
    #[serde(default)]
    pub seats_in_use: i64,
}

impl WorkspaceSettings {
    /// Checks the rules a stored settings row must keep; the first broken one is returned.
    pub fn validate(&self) -> Result<(), crate::AppError> {
        use crate::AppError;
        let name = self.name.trim();
        if name.is_empty() {
            return Err(AppError::invalid("Workspace name", "must not be empty"));
        }
        if name.chars().count() > 80 {
            return Err(AppError::invalid("Workspace name", "must be at most 80 characters"));
        }
        if !(1..=100).contains(&self.default_chat_limit) {
            return Err(AppError::invalid("Default chat limit", "must be between 1 and 100"));
        }
        if !(5..=3_600).contains(&self.disconnect_timeout_secs) {
            return Err(AppError::invalid(
                "Disconnect timeout",
                "must be between 5 and 3600 seconds",
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings() -> WorkspaceSettings {
        WorkspaceSettings {
            name: "Acme".into(),
            default_chat_limit: 3,
            disconnect_timeout_secs: 30,
            reroute_on_disconnect: true,
        }
    }

    fn plan() -> Plan {
        Plan {
            name: "Team".into(),
            human_agents: 5,
            operator_enabled: true,
            presence_enabled: true,
            managers_handle_chats: false,
        }
    }

    #[test]
    fn presence_without_operator_is_refused_with_a_clear_message() {
        let p = Plan {
            operator_enabled: false,
            ..plan()
        };
        let err = p.validate().unwrap_err();
        assert!(err.to_string().contains("requires the Operators feature"), "{err}");
        assert!(plan().validate().is_ok());
    }

    #[test]
    fn out_of_range_numbers_and_blank_names_are_refused() {
        assert!(settings().validate().is_ok());
        assert!(WorkspaceSettings {
            name: "  ".into(),
            ..settings()
        }
        .validate()
        .is_err());
        assert!(WorkspaceSettings {
            default_chat_limit: 0,
            ..settings()
        }
        .validate()
        .is_err());
        assert!(WorkspaceSettings {
            disconnect_timeout_secs: 1,
            ..settings()
        }
        .validate()
        .is_err());
        assert!(Plan {
            human_agents: -1,
            ..plan()
        }
        .validate()
        .is_err());
        assert!(Plan {
            name: " ".into(),
            ..plan()
        }
        .validate()
        .is_err());
    }
}
