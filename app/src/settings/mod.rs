//! Workspace settings and feature flags.

use serde::{Deserialize, Serialize};

mod api;
pub mod page;

pub use api::*;

/// The workspace's settings and feature flags.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkspaceSettings {
    pub name: String,
    /// Feature flag: operators may go live at all.
    pub operator_enabled: bool,
    /// Feature flag: live presence and routing; requires `operator_enabled`.
    pub presence_enabled: bool,
    /// The plan's `human_agents` seats: how many operators may be live at once.
    pub human_agents: i64,
    /// Conversations one operator handles at once unless their own limit says otherwise.
    pub default_chat_limit: i64,
    /// Seconds after an operator's last socket closes before their presence is cleared.
    pub disconnect_timeout_secs: i64,
    /// When an operator's presence ends (disconnected, offline), their conversations go to
    /// other operators; otherwise they keep them.
    pub reroute_on_disconnect: bool,
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
        if self.presence_enabled && !self.operator_enabled {
            return Err(AppError::invalid(
                "Live presence",
                "requires the Operators feature to be enabled first",
            ));
        }
        if !(0..=10_000).contains(&self.human_agents) {
            return Err(AppError::invalid("Human agent seats", "must be between 0 and 10000"));
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
            operator_enabled: true,
            presence_enabled: true,
            human_agents: 5,
            default_chat_limit: 3,
            disconnect_timeout_secs: 30,
            reroute_on_disconnect: true,
        }
    }

    #[test]
    fn presence_without_operator_is_refused_with_a_clear_message() {
        let s = WorkspaceSettings {
            operator_enabled: false,
            ..settings()
        };
        let err = s.validate().unwrap_err();
        assert!(err.to_string().contains("requires the Operators feature"), "{err}");
        assert!(settings().validate().is_ok());
    }

    #[test]
    fn out_of_range_numbers_and_blank_names_are_refused() {
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
            human_agents: -1,
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
    }
}
