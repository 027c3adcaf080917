//! Workflows: the assistant's settings, its answers, and the conversations it handles.

use serde::{Deserialize, Serialize};

mod api;
pub mod page;

pub use api::*;

/// A workflow (chatbot) as lists show it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
pub struct WorkflowSummary {
    pub id: i64,
    pub name: String,
    pub live_routing: bool,
    pub handoff_mode: String,
}

/// A workflow's settings as the editor shows them. The provider's API key is never sent to a
/// browser: `has_api_key` says whether one is stored.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkflowSettings {
    pub id: i64,
    pub name: String,
    pub live_routing: bool,
    /// `auto_escalation` or `always_on`.
    pub handoff_mode: String,
    pub escalation_threshold: i64,
    pub escalate_on_frustration: bool,
    /// Every new conversation is offered to a live operator as soon as it arrives.
    #[serde(default)]
    pub route_on_arrival: bool,
    pub handoff_message: String,
    /// The customer is not told of the handoff: no handoff message, no "joined" notice.
    #[serde(default)]
    pub silent_handoff: bool,
    /// Phrases that hand over at once, one intent a line (`cancel, cancelling -> Retention`).
    #[serde(default)]
    pub handoff_triggers: String,
    /// A customer left unanswered by their operator this long is offered to someone else
    /// (0: never).
    #[serde(default)]
    pub reassign_after_secs: i64,
    /// Supervisors are alerted when a conversation has waited this long with nobody live on
    /// the workflow (0: never).
    #[serde(default)]
    pub alert_after_secs: i64,
    pub greeting: String,
    pub fallback_answer: String,
    /// `assigned` or `pooled`.
    pub routing_mode: String,
    pub accept_timeout_secs: i64,
    pub requires_qualification: bool,
    /// The practice scenario: what the scripted customer says, one message a line.
    pub practice_script: String,
    /// `builtin` or `openai`.
    pub ai_provider: String,
    pub openai_base_url: Option<String>,
    pub openai_model: Option<String>,
    pub has_api_key: bool,
    pub ai_timeout_secs: i64,
    pub answers: Vec<AnswerView>,
}

/// A question/answer pair of the built-in assistant.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
pub struct AnswerView {
    pub id: i64,
    pub question: String,
    pub answer: String,
}

impl WorkflowSettings {
    /// Checks what a person typed; the first problem is returned.
    pub fn validate(&self) -> Result<(), crate::AppError> {
        use crate::AppError;
        let text = |field: &str, value: &str, max: usize| -> Result<(), AppError> {
            if value.trim().is_empty() {
                return Err(AppError::invalid(field, "must not be empty"));
            }
            if value.chars().count() > max {
                return Err(AppError::invalid(field, format!("must be at most {max} characters")));
            }
            Ok(())
        };
        text("Name", &self.name, 80)?;
        text("Handoff message", &self.handoff_message, 500)?;
        text("Greeting", &self.greeting, 500)?;
        text("Fallback answer", &self.fallback_answer, 500)?;
        if !["auto_escalation", "always_on"].contains(&self.handoff_mode.as_str()) {
            return Err(AppError::invalid(
                "Handoff mode",
                "must be automatic escalation or always-on monitoring",
            ));
        }
        if !["assigned", "pooled"].contains(&self.routing_mode.as_str()) {
            return Err(AppError::invalid("Routing mode", "must be assigned or pooled"));
        }
        if !["builtin", "openai"].contains(&self.ai_provider.as_str()) {
            return Err(AppError::invalid(
                "AI provider",
                "must be the built-in assistant or an OpenAI-compatible API",
            ));
        }
        if !(1..=20).contains(&self.escalation_threshold) {
            return Err(AppError::invalid(
                "Escalation threshold",
                "must be between 1 and 20 requests",
            ));
        }
        if !(5..=3600).contains(&self.accept_timeout_secs) {
            return Err(AppError::invalid(
                "Accept timeout",
                "must be between 5 and 3600 seconds",
            ));
        }
        if !(1..=300).contains(&self.ai_timeout_secs) {
            return Err(AppError::invalid("AI timeout", "must be between 1 and 300 seconds"));
        }
        crate::qualifications::practice_lines(&self.practice_script)?;
        if !(0..=86_400).contains(&self.alert_after_secs) {
            return Err(AppError::invalid(
                "Alert after",
                "must be a number of minutes between 0 (never) and 1440",
            ));
        }
        if !(0..=86_400).contains(&self.reassign_after_secs) {
            return Err(AppError::invalid(
                "Reassign after",
                "must be a number of minutes between 0 (never) and 1440",
            ));
        }
        crate::escalation::parse_triggers(&self.handoff_triggers)
            .map_err(|why| AppError::invalid("Handoff triggers", why))?;
        if let Some(url) = &self.openai_base_url {
            if !(url.starts_with("http://") || url.starts_with("https://")) {
                return Err(AppError::invalid("API base URL", "must start with http:// or https://"));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn minutes_read_and_print_in_whole_seconds() {
        assert_eq!(super::minutes_to_secs("Reassign after", "5"), Ok(300));
        assert_eq!(super::minutes_to_secs("Reassign after", " 0.1 "), Ok(6));
        assert_eq!(super::minutes_to_secs("Reassign after", ""), Ok(0));
        assert!(super::minutes_to_secs("Reassign after", "-1").is_err());
        assert!(
            matches!(super::minutes_to_secs("Alert after", "soon"), Err(crate::AppError::Invalid { field, .. }) if field == "Alert after")
        );
        assert_eq!(super::secs_to_minutes(300), "5");
        assert_eq!(super::secs_to_minutes(30), "0.5");
        assert_eq!(super::secs_to_minutes(0), "0");
    }
}
