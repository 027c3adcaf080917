//! Canned responses: saved replies an operator inserts with a shortcut.

use serde::{Deserialize, Serialize};

mod api;
pub mod page;

pub use api::*;

/// Who may use a canned response.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CannedScope {
    /// Everyone in the workspace (admins manage them).
    Workspace,
    /// The members of one operator group.
    Group,
    /// Only the member who wrote it.
    Personal,
}

impl CannedScope {
    pub fn parse(s: &str) -> Option<CannedScope> {
        match s {
            "workspace" => Some(CannedScope::Workspace),
            "group" => Some(CannedScope::Group),
            "personal" => Some(CannedScope::Personal),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            CannedScope::Workspace => "workspace",
            CannedScope::Group => "group",
            CannedScope::Personal => "personal",
        }
    }
}

/// A canned response the member may use.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CannedResponse {
    pub id: i64,
    pub scope: CannedScope,
    pub group_id: Option<i64>,
    /// The group's name, for group responses.
    pub group: Option<String>,
    pub shortcut: String,
    pub title: String,
    pub body: String,
    /// The member may change or delete it.
    pub editable: bool,
}

impl CannedResponse {
    /// Whether it answers a `/` search in the composer: by shortcut first, then by title.
    pub fn matches(&self, query: &str) -> bool {
        let q = query.to_lowercase();
        self.shortcut.to_lowercase().starts_with(&q) || self.title.to_lowercase().contains(&q)
    }
}

/// A shortcut: 1 to 32 lowercase letters, digits, `-` or `_`.
pub fn check_shortcut(s: &str) -> Result<(), crate::AppError> {
    if s.is_empty()
        || s.chars().count() > 32
        || !s
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
    {
        return Err(crate::AppError::invalid(
            "Shortcut",
            "must be 1 to 32 lowercase letters, digits, - or _",
        ));
    }
    Ok(())
}
