//! History: who handled which conversation, from when to when, and how it ended.

use serde::{Deserialize, Serialize};

mod api;
pub mod page;

pub use api::*;

/// One operator's part in a conversation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
pub struct SessionView {
    pub id: i64,
    pub conversation_id: i64,
    pub contact_name: String,
    pub member_id: i64,
    pub operator: String,
    pub workflow_id: i64,
    pub workflow: String,
    /// Unix milliseconds.
    pub accepted_at: i64,
    pub ended_at: Option<i64>,
    /// `completed`, `transferred`, `returned_to_ai`, `disconnected`; none while it goes on.
    pub outcome: Option<String>,
}

/// Which sessions to list: each field narrows the list; empty leaves it open.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryQuery {
    /// A member id (supervisors; others always see their own).
    pub operator: String,
    /// A workflow id.
    pub workflow: String,
    /// An outcome, or `ongoing`.
    pub outcome: String,
    /// Where the previous page ended (a session id).
    pub before: String,
}

/// A page of sessions, newest first.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryPage {
    pub sessions: Vec<SessionView>,
    /// Pass as `before` for the next page.
    pub next: Option<String>,
}

/// The outcomes a session can have, in words.
pub const OUTCOMES: [(&str, &str); 5] = [
    ("completed", "Completed"),
    ("transferred", "Transferred"),
    ("returned_to_ai", "Returned to AI"),
    ("disconnected", "Disconnected"),
    ("ongoing", "Ongoing"),
];

/// An outcome in words.
pub fn outcome_label(outcome: Option<&str>) -> &'static str {
    let key = outcome.unwrap_or("ongoing");
    OUTCOMES
        .iter()
        .find(|(k, _)| *k == key)
        .map_or("Ended", |(_, label)| label)
}
